"""The trust list (spec Section 4.6, R-TRUST-1)."""

import struct
from dataclasses import dataclass

from . import ed25519
from .errors import MALFORMED, Rejected

VERSION = 0x01
_ENTRY = struct.Struct(">HQQ32s")


@dataclass(frozen=True)
class Entry:
    key_id: int
    not_before: int
    not_after: int
    public_key: bytes


def encode(entries) -> bytes:
    """The list bytes, entries in the given order (the decoder checks the rules)."""
    out = struct.pack(">BH", VERSION, len(entries))
    for e in entries:
        out += _ENTRY.pack(e.key_id, e.not_before, e.not_after, e.public_key)
    return out


def decode(data: bytes):
    """The entries as a dict key_id -> Entry, in ascending key order; Rejected(malformed) on any R-TRUST-1 failure."""
    if len(data) < 3 or data[0] != VERSION:
        raise Rejected(MALFORMED)
    (count,) = struct.unpack(">H", data[1:3])
    if count == 0 or len(data) != 3 + 50 * count:
        raise Rejected(MALFORMED)
    entries = {}
    previous = -1
    for i in range(count):
        e = Entry(*_ENTRY.unpack_from(data, 3 + 50 * i))
        if e.key_id <= previous or e.not_before > e.not_after:
            raise Rejected(MALFORMED)
        if ed25519.valid_point(e.public_key, key=True) is None:
            raise Rejected(MALFORMED)
        previous = e.key_id
        entries[e.key_id] = e
    return entries
