"""Code payloads, QR text and the numeric form (spec Sections 4.2, 4.3, 4.5, 5).

`decode` is step V1 of Section 7.4 without the verifier: it parses the scanned
bytes into one of three typed codes, or rejects them with the V1 error code.
"""

import hmac as _hmac
import struct
from dataclasses import dataclass

from . import base45, credential, mutants
from .errors import MALFORMED, UNSUPPORTED_PROFILE, UNSUPPORTED_VERSION, Rejected
from .keys import DS_CODE, DS_NUM, DS_QR, hmac_sha256
from .params import U64_MAX

PREFIX = b"PC1:"
VERSION = 0x01
HMAC, ED25519 = 0x01, 0x02
HMAC_SIZE, ED25519_SIZE = 38, 204
NUMERIC_DIGITS = 24
N_LIMIT = 2**79


@dataclass(frozen=True)
class HmacQr:
    account_id: int
    step: int
    counter: int
    tag: bytes


@dataclass(frozen=True)
class HmacNumeric:
    account_id: int
    step_low: int
    counter: int
    tag29: int


@dataclass(frozen=True)
class Ed25519Qr:
    step: int
    counter: int
    credential: credential.Credential
    device_sig: bytes
    signed: bytes  # payload[0..140]


# ---------------------------------------------------------------- hmac


def hmac_head(account_id, step, counter) -> bytes:
    """payload[0..22] of an hmac code."""
    return struct.pack(">BBQQI", VERSION, HMAC, account_id, step, counter)


def _mac_head(account_id, step, counter) -> bytes:
    if mutants.on("counter-little-endian"):
        return struct.pack(">BBQQ", VERSION, HMAC, account_id, step) + struct.pack("<I", counter)
    return hmac_head(account_id, step, counter)


def qr_mac_input(account_id, step, counter) -> bytes:
    """DS_qr || head (R-HMAC-1)."""
    label = b"" if mutants.on("missing-qr-label") else DS_QR
    return label + _mac_head(account_id, step, counter)


def qr_tag(k_qr, account_id, step, counter) -> bytes:
    mac = hmac_sha256(k_qr, qr_mac_input(account_id, step, counter))
    return mac[16:] if mutants.on("tag-wrong-offset") else mac[:16]


def numeric_mac_input(account_id, step, counter) -> bytes:
    """DS_num || head, over the full 64-bit step (R-HMAC-2)."""
    return DS_NUM + _mac_head(account_id, step, counter)


def tag29(k_num, account_id, step, counter) -> int:
    mac = hmac_sha256(k_num, numeric_mac_input(account_id, step, counter))
    return int.from_bytes(mac[:4], "big") >> 3


def tags_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison (R-HMAC-5)."""
    return _hmac.compare_digest(a, b)


def hmac_payload(account_id, step, counter, tag) -> bytes:
    return hmac_head(account_id, step, counter) + tag


def numeric_available(account_id, counter) -> bool:
    """R-HMAC-4."""
    return account_id < 2**30 and counter < 2**16


def numeric_digits(account_id, step, counter, tag29_value) -> str:
    """The 24 digits of N (Section 4.3); the caller checks numeric_available first."""
    n = account_id << 49 | (step % 16) << 45 | counter << 29 | tag29_value
    return f"{n:024d}"


def reconstruct_step(step_low, s_now) -> int:
    """R-HMAC-3: the unique step in [lo, lo + 15] with step mod 16 = step_low."""
    back = 7 if mutants.on("numeric-reconstruct-offset-7") else 8
    if mutants.on("numeric-reconstruct-wraps"):
        lo = (s_now - back) % 2**64
        return (lo + (step_low - lo) % 16) % 2**64
    lo = max(s_now - back, 0)
    if mutants.on("numeric-reconstruct-unclamped"):  # the sum then wraps as a u64
        return (lo + (step_low - lo) % 16) % 2**64
    lo = min(lo, U64_MAX - 15)
    return lo + (step_low - lo) % 16


# ---------------------------------------------------------------- ed25519


def ed25519_signed_part(step, counter, cred_bytes) -> bytes:
    """payload[0..140] of an ed25519 code."""
    return struct.pack(">BBQI", VERSION, ED25519, step, counter) + cred_bytes


def ed25519_signing_input(signed_part) -> bytes:
    return DS_CODE + signed_part


# ---------------------------------------------------------------- text


def qr_text(payload: bytes) -> str:
    """R-ENC-1."""
    return PREFIX.decode() + base45.encode(payload)


def is_numeric(x: bytes) -> bool:
    """V1.1: exactly 24 bytes, each an ASCII digit."""
    if mutants.on("unicode-digits"):
        try:
            s = x.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return len(s) == NUMERIC_DIGITS and all(c.isdecimal() for c in s)
    return len(x) == NUMERIC_DIGITS and all(0x30 <= b <= 0x39 for b in x)


def decode(x: bytes, enabled=(HMAC, ED25519)):
    """Step V1 of Section 7.4: the typed code, or Rejected with the V1 code.

    `enabled` is the set of profile ids this verifier has enabled.
    """
    if mutants.on("numeric-strips-whitespace") and is_numeric(x.strip()):
        x = x.strip()
    if is_numeric(x):  # V1.1 -> V1.N
        n = int(x.decode("utf-8"))
        if n >= N_LIMIT and not mutants.on("numeric-no-range-check"):
            raise Rejected(MALFORMED)
        if HMAC not in enabled:
            raise Rejected(UNSUPPORTED_PROFILE)
        n %= N_LIMIT
        return HmacNumeric(n >> 49, (n >> 45) & 0xF, (n >> 29) & 0xFFFF, n & (2**29 - 1))
    if not x.startswith(PREFIX):  # V1.2
        raise Rejected(MALFORMED)
    p = base45.decode(x[len(PREFIX):])  # V1.3: Base45 decodes the empty text to b""
    if not p:
        raise Rejected(MALFORMED)
    if p[0] != VERSION:  # V1.4
        raise Rejected(UNSUPPORTED_VERSION)
    if len(p) < 2:  # V1.5
        raise Rejected(MALFORMED)
    if mutants.on("length-before-profile") and len(p) not in (HMAC_SIZE, ED25519_SIZE):
        raise Rejected(MALFORMED)
    if p[1] not in (HMAC, ED25519) or p[1] not in enabled:
        raise Rejected(UNSUPPORTED_PROFILE)
    if p[1] == HMAC:
        if len(p) != HMAC_SIZE:  # V1.6
            raise Rejected(MALFORMED)
        _, _, account_id, step, counter = struct.unpack(">BBQQI", p[:22])
        return HmacQr(account_id, step, counter, p[22:])
    if len(p) != ED25519_SIZE:
        raise Rejected(MALFORMED)
    _, _, step, counter = struct.unpack(">BBQI", p[:14])
    return Ed25519Qr(step, counter, credential.decode(p[14:140]), p[140:], p[:140])
