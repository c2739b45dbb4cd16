"""The revocation list (spec Section 4.7, R-REVOKE-1) and its signature check."""

import struct
from dataclasses import dataclass

from . import ed25519
from .errors import MALFORMED, Rejected
from .keys import DS_REV

VERSION = 0x01
_HEAD = struct.Struct(">BHQQI")


@dataclass(frozen=True)
class RevocationList:
    key_id: int
    number: int
    issued_at: int
    serials: tuple
    signature: bytes
    signed: bytes  # list[0..23 + 8*count]


def body(key_id, number, issued_at, serials) -> bytes:
    out = _HEAD.pack(VERSION, key_id, number, issued_at, len(serials))
    return out + b"".join(struct.pack(">Q", s) for s in serials)


def issue(secret, key_id, number, issued_at, serials) -> bytes:
    """The signed list of the distinct serials, in ascending order (Section 4.7)."""
    serials = sorted(set(serials))
    b = body(key_id, number, issued_at, serials)
    return b + ed25519.sign(secret, DS_REV + b)


def decode(data: bytes) -> RevocationList:
    """The decoder half of R-REVOKE-1 (no signature check)."""
    if len(data) < 23 or data[0] != VERSION:
        raise Rejected(MALFORMED)
    _, key_id, number, issued_at, count = _HEAD.unpack_from(data, 0)
    if len(data) != 87 + 8 * count:
        raise Rejected(MALFORMED)
    end = 23 + 8 * count
    serials = struct.unpack(f">{count}Q", data[23:end])
    if any(a >= b for a, b in zip(serials, serials[1:])):
        raise Rejected(MALFORMED)
    return RevocationList(key_id, number, issued_at, serials, data[end:], data[:end])


def accepted_by(rl: RevocationList, trust) -> bool:
    """The verifier half of R-REVOKE-1 against an installed trust list (dict key_id -> Entry)."""
    entry = trust.get(rl.key_id) if trust is not None else None
    if entry is None:
        return False
    if not entry.not_before <= rl.issued_at <= entry.not_after:
        return False
    return ed25519.verify(entry.public_key, DS_REV + rl.signed, rl.signature)
