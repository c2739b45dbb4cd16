"""The revocation list (spec Section 4.7, R-REVOKE-1), its signature check, and
the newer test of an install (Section 10.5, R-REVOKE-2)."""

import struct
from dataclasses import dataclass

from . import ed25519, mutants
from .errors import MALFORMED, Rejected
from .keys import DS_REV, VERSION

MAX_GRACE = 604800
_HEAD = struct.Struct(">BHQQQII")
HEAD_LEN = _HEAD.size  # 35


@dataclass(frozen=True)
class RevocationList:
    key_id: int
    number: int
    issued_at: int
    next_update: int
    grace: int
    serials: tuple
    signature: bytes
    signed: bytes  # list[0..35 + 8*count]

    def fresh_until(self) -> int:
        """next_update + grace, exact (R-REVOKE-4)."""
        return self.next_update + self.grace


def body(key_id, number, issued_at, next_update, grace, serials) -> bytes:
    out = _HEAD.pack(VERSION, key_id, number, issued_at, next_update, grace, len(serials))
    return out + b"".join(struct.pack(">Q", s) for s in serials)


def issue(secret, key_id, number, issued_at, next_update, grace, serials) -> bytes:
    """The signed list of the distinct serials, in ascending order (Section 4.7);
    Rejected(malformed) for next_update < issued_at or grace > 604800."""
    if next_update < issued_at or grace > MAX_GRACE:
        raise Rejected(MALFORMED)
    serials = sorted(set(serials))
    b = body(key_id, number, issued_at, next_update, grace, serials)
    return b + ed25519.sign(secret, DS_REV + b)


def decode(data: bytes) -> RevocationList:
    """The decoder half of R-REVOKE-1 (no signature check)."""
    if len(data) < HEAD_LEN or data[0] != VERSION:
        raise Rejected(MALFORMED)
    _, key_id, number, issued_at, next_update, grace, count = _HEAD.unpack_from(data, 0)
    if len(data) != 99 + 8 * count:
        raise Rejected(MALFORMED)
    if next_update < issued_at or grace > MAX_GRACE:
        raise Rejected(MALFORMED)
    end = HEAD_LEN + 8 * count
    serials = struct.unpack(f">{count}Q", data[HEAD_LEN:end])
    if any(a >= b for a, b in zip(serials, serials[1:])):
        raise Rejected(MALFORMED)
    return RevocationList(key_id, number, issued_at, next_update, grace, serials, data[end:], data[:end])


def accepted_by(rl: RevocationList, trust) -> bool:
    """The verifier half of R-REVOKE-1 against an installed trust list (dict key_id -> Entry)."""
    entry = trust.get(rl.key_id) if trust is not None else None
    if entry is None:
        return False
    if not entry.not_before <= rl.issued_at <= entry.not_after:
        return False
    return ed25519.verify(entry.public_key, DS_REV + rl.signed, rl.signature)


def newer(number, issued_at, newest_number, newest_issued_at, t, x) -> bool:
    """R-REVOKE-2: newer than the newest list installed ((0, 0) if none) at
    verifier time t: a higher number, by at most one more than the whole
    minutes between the issue times; issued no earlier; not dated after t + X.
    Exact integers."""
    if mutants.on("revocation-equal-number"):
        if number < newest_number:
            return False
    elif number <= newest_number:
        return False
    minutes = max(issued_at - newest_issued_at, 0) // 60
    if number > newest_number + 1 + minutes and not mutants.on("revocation-number-uncapped"):
        return False
    if issued_at < newest_issued_at:
        return False
    return issued_at <= t + x or mutants.on("revocation-from-the-future")
