"""Code generation by a wallet (spec Sections 7.2 and 7.3, R-GEN-1, R-GEN-2)."""

from dataclasses import dataclass

from . import code, credential, ed25519, handle, keys
from .errors import COUNTER_EXHAUSTED, NUMERIC_UNAVAILABLE, Rejected

COUNTER_END = 2**32 - 1  # never used (R-GEN-1)


@dataclass
class Generated:
    step: int
    payload: bytes
    text: str
    next_counter: int
    digits: str = None
    numeric_error: str = None


def _next(counter):
    if counter >= COUNTER_END:
        raise Rejected(COUNTER_EXHAUSTED)
    return counter + 1


def generate_hmac(params, seed, account_id, t, counter, mode=code.ONE_WAY, cap=None, chal=None) -> Generated:
    """R-GEN-2 (hmac): QR form, and the numeric form where it exists (R-HMAC-4).

    `cap` is the payer-confirmed cap of a capped code, `chal` the decoded
    challenge of a challenge code (R-GEN-5: the payer has confirmed both).
    """
    s = params.step(t)  # steps 1-2
    nxt = _next(counter)  # step 3
    digest = _digest(mode, chal)  # steps 4-5
    h = handle.derive(keys.k_h(seed, account_id), s)  # the handle and pads of step s
    masked = counter ^ h.pad
    tag = code.qr_tag(keys.k_qr(seed, account_id), h.handle, s, masked, mode, cap, digest)
    payload = code.hmac_payload(h.handle, s, masked, tag, mode, cap)
    out = Generated(s, payload, code.qr_text(payload), nxt)
    if code.numeric_available(counter, mode):  # step 7
        # The numeric MAC covers the real account id and counter; the digits carry neither.
        t29 = code.tag29(keys.k_num(seed, account_id), account_id, s, counter)
        out.digits = code.numeric_digits(h.handle30, s, counter ^ h.pad16, t29)
    else:
        out.numeric_error = NUMERIC_UNAVAILABLE
    return out


def generate_ed25519(
    params, wallet_seed, cred_bytes, t, counter, mode=code.ONE_WAY, cap=None, chal=None, key_index=0
) -> Generated:
    """R-GEN-2 (ed25519), signed with the device key of batch index `key_index`, the one the
    credential was issued for; the credential's validity is the verifier's business (E3)."""
    credential.decode(cred_bytes)
    s = params.step(t)
    nxt = _next(counter)
    head = code.ed25519_head(s, counter, cred_bytes, mode, cap)
    signing_input = code.ed25519_signing_input(head, mode, _digest(mode, chal))
    payload = head + ed25519.sign(keys.device_secret(wallet_seed, key_index), signing_input)
    return Generated(s, payload, code.qr_text(payload), nxt)


def _digest(mode, chal):
    """D: the challenge digest for a challenge code, empty otherwise (R-CHAL-2)."""
    if (mode == code.CHALLENGE) != (chal is not None):
        raise ValueError("a challenge code needs a challenge, and only it takes one")
    return chal.digest() if chal is not None else b""
