"""Code payloads, QR text and the numeric form (spec Sections 4.1-4.3, 4.5, 5).

`decode` is step V1 of Section 7.4 without the verifier: it parses the scanned
bytes into one of three typed codes, each with its mode (R-MODE-1), or rejects
them with the V1 error code.
"""

import hmac as _hmac
import struct
from dataclasses import dataclass

from . import base45, credential, mutants
from .errors import MALFORMED, UNSUPPORTED_PROFILE, UNSUPPORTED_VERSION, Rejected
from .keys import DS_CODE, DS_NUM, DS_QR, VERSION, hmac_sha256
from .params import U64_MAX

PREFIX = f"PC{VERSION}:".encode()
HMAC, ED25519 = 0x01, 0x02
ONE_WAY, CAPPED, CHALLENGE = 0, 1, 2
MODE_NAMES = {ONE_WAY: "one-way", CAPPED: "capped", CHALLENGE: "challenge"}
# spec: R-MODE-1
# The second payload byte (mode · 16 + profile) of every code, with its payload length.
SIZES = {0x01: 38, 0x21: 38, 0x11: 42, 0x02: 204, 0x22: 204, 0x12: 208}
NUMERIC_DIGITS = 24
N_LIMIT = 2**79


@dataclass(frozen=True)
class HmacQr:
    handle: bytes  # the account's 8-byte handle at `step`
    step: int
    masked: int  # counter XOR pad
    tag: bytes
    mode: int = ONE_WAY
    cap: int = None  # capped codes only


@dataclass(frozen=True)
class HmacNumeric:
    handle30: int
    step_low: int
    masked16: int  # counter XOR pad16
    tag29: int
    mode = ONE_WAY  # V1.N: a numeric code is one-way
    cap = None


@dataclass(frozen=True)
class Ed25519Qr:
    step: int
    counter: int
    credential: credential.Credential
    device_sig: bytes
    head: bytes  # the payload without its signature (Section 4.5)
    mode: int = ONE_WAY
    cap: int = None


def mode_byte(mode, profile) -> int:
    """The second payload byte, mode · 16 + profile (R-MODE-1)."""
    return 16 * mode + profile


# ---------------------------------------------------------------- hmac


def hmac_head(handle, step, masked, mode=ONE_WAY, cap=None) -> bytes:
    """The hmac payload without its tag: 22 bytes, 26 for a capped code (Section 4.2).

    `handle` is the 8 bytes at offset 2 (the account's handle at `step` on the wire, the
    account id as a u64 in the numeric MAC input), `masked` the u32 at offset 18.
    """
    if len(handle) != 8:
        raise ValueError("a handle is 8 bytes")
    head = struct.pack(">BB", VERSION, mode_byte(mode, HMAC)) + handle + struct.pack(">QI", step, masked)
    return head + struct.pack(">I", cap) if mode == CAPPED else head


def _mac_head(handle, step, masked, mode=ONE_WAY, cap=None) -> bytes:
    head = hmac_head(handle, step, masked, mode, cap)
    if mutants.on("counter-little-endian"):
        head = head[:18] + struct.pack("<I", masked) + head[22:]
    if mode == CAPPED and mutants.on("cap-not-covered"):
        head = head[:22]
    return head


def _digest(mode, digest) -> bytes:
    """D of R-HMAC-1 and R-ED-5: the challenge digest for a challenge code, empty for the other modes."""
    if mode != CHALLENGE or mutants.on("challenge-digest-ignored"):
        return b""
    return digest


def qr_mac_input(handle, step, masked, mode=ONE_WAY, cap=None, digest=b"") -> bytes:
    """DS_qr || head || D over the wire head (handle and masked counter), with D the
    challenge digest of a challenge code (R-HMAC-1)."""
    label = b"" if mutants.on("missing-qr-label") else DS_QR
    return label + _mac_head(handle, step, masked, mode, cap) + _digest(mode, digest)


def qr_tag(k_qr, handle, step, masked, mode=ONE_WAY, cap=None, digest=b"") -> bytes:
    mac = hmac_sha256(k_qr, qr_mac_input(handle, step, masked, mode, cap, digest))
    return mac[16:] if mutants.on("tag-wrong-offset") else mac[:16]


def numeric_mac_input(account_id, step, counter) -> bytes:
    """DS_num || head of a one-way code over the real account id, the full 64-bit step and
    the real counter (R-HMAC-2): the numeric form carries neither, so the MAC binds them."""
    return DS_NUM + _mac_head(struct.pack(">Q", account_id), step, counter)


def tag29(k_num, account_id, step, counter) -> int:
    mac = hmac_sha256(k_num, numeric_mac_input(account_id, step, counter))
    return int.from_bytes(mac[:4], "big") >> 3


def tags_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison (R-HMAC-5)."""
    return _hmac.compare_digest(a, b)


def hmac_payload(handle, step, masked, tag, mode=ONE_WAY, cap=None) -> bytes:
    return hmac_head(handle, step, masked, mode, cap) + tag


def numeric_available(counter, mode=ONE_WAY) -> bool:
    """R-HMAC-4: only a one-way code with a counter below 2^16 has digits."""
    one_way = mode == ONE_WAY or mutants.on("numeric-for-any-mode")
    return one_way and counter < 2**16


def numeric_n(handle30, step_low, masked16, tag29_value) -> int:
    """N (Section 4.3): handle30, step mod 16, masked16, tag29 from the top bit down."""
    return handle30 << 49 | step_low << 45 | masked16 << 29 | tag29_value


def numeric_digits(handle30, step, masked16, tag29_value) -> str:
    """The 24 digits of N; the caller checks numeric_available first."""
    return f"{numeric_n(handle30, step % 16, masked16, tag29_value):024d}"


def reconstruct_step(step_low, s_now) -> int:
    """R-HMAC-3: the unique step in [lo, lo + 15] with step mod 16 = step_low."""
    back = 7 if mutants.on("numeric-reconstruct-offset-7") else 8
    lo = min(max(s_now - back, 0), U64_MAX - 15)
    return lo + (step_low - lo) % 16


# ---------------------------------------------------------------- ed25519


def ed25519_head(step, counter, cred_bytes, mode=ONE_WAY, cap=None) -> bytes:
    """The ed25519 payload without its signature: 140 bytes, 144 for a capped code (Section 4.5)."""
    head = struct.pack(">BBQI", VERSION, mode_byte(mode, ED25519), step, counter)
    if mode == CAPPED:
        head += struct.pack(">I", cap)
    return head + cred_bytes


def ed25519_signing_input(head, mode=ONE_WAY, digest=b"") -> bytes:
    """DS_code || head || D (R-ED-5)."""
    if mode == CAPPED and mutants.on("cap-not-covered"):
        head = head[:14] + head[18:]
    return DS_CODE + head + _digest(mode, digest)


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
    if mutants.on("prefix-of-any-version") and x[:2] == b"PC" and x[2:3].isdigit() and x[3:4] == b":":
        x = PREFIX + x[4:]
    if not x.startswith(PREFIX):  # V1.2
        raise Rejected(MALFORMED)
    p = base45.decode(x[len(PREFIX):])  # V1.3: Base45 decodes the empty text to b""
    if not p:
        raise Rejected(MALFORMED)
    if p[0] != VERSION:  # V1.4
        raise Rejected(UNSUPPORTED_VERSION)
    if len(p) < 2:  # V1.5
        raise Rejected(MALFORMED)
    if mutants.on("length-before-profile") and len(p) not in SIZES.values():
        raise Rejected(MALFORMED)
    profile, mode = p[1] & 0x0F, p[1] >> 4
    known = p[1] in SIZES
    if mutants.on("mode-byte-ignored"):
        mode = ONE_WAY
        known = profile in (HMAC, ED25519)
    if not known or profile not in enabled:  # V1.5
        raise Rejected(UNSUPPORTED_PROFILE)
    if len(p) != SIZES[mode_byte(mode, profile)]:  # V1.6
        raise Rejected(MALFORMED)
    rest = p[22:] if profile == HMAC else p[14:]
    cap = None
    if mode == CAPPED:
        (cap,) = struct.unpack(">I", rest[:4])
        rest = rest[4:]
    if profile == HMAC:
        step, masked = struct.unpack(">QI", p[10:22])
        return HmacQr(p[2:10], step, masked, rest, mode, cap)
    _, _, step, counter = struct.unpack(">BBQI", p[:14])
    return Ed25519Qr(step, counter, credential.decode(rest[:126]), rest[126:], p[:-64], mode, cap)
