"""The trust list (spec Section 4.6, R-TRUST-1, R-TRUST-3)."""

import struct
from dataclasses import dataclass

from . import ed25519, mutants
from .errors import MALFORMED, Rejected
from .keys import DS_TRUST, VERSION

_HEAD = struct.Struct(">BQQH")  # version, sequence, issued_at, count: 19 bytes
_ENTRY = struct.Struct(">HQQ32s")  # 50 bytes


@dataclass(frozen=True)
class Entry:
    key_id: int
    not_before: int
    not_after: int
    public_key: bytes


@dataclass(frozen=True)
class TrustList:
    sequence: int
    issued_at: int
    entries: dict  # key_id -> Entry, ascending
    signed: bytes  # list[0..19 + 50·count]
    root_sig: bytes

    def signature_valid(self, root_pk: bytes) -> bool:
        """R-TRUST-3: root_sig by the root key over DS_trust || every byte before it."""
        if mutants.on("root-sig-unchecked"):
            return True
        return ed25519.verify(root_pk, DS_TRUST + self.signed, self.root_sig)


def body(sequence, issued_at, entries) -> bytes:
    """list[0..19 + 50·count], entries in the given order (the decoder checks the rules)."""
    out = _HEAD.pack(VERSION, sequence, issued_at, len(entries))
    for e in entries:
        out += _ENTRY.pack(e.key_id, e.not_before, e.not_after, e.public_key)
    return out


def issue(root_secret: bytes, sequence, issued_at, entries) -> bytes:
    """The list signed by the root key (R-TRUST-3)."""
    b = body(sequence, issued_at, entries)
    return b + ed25519.sign(root_secret, DS_TRUST + b)


def decode(data: bytes) -> TrustList:
    """Rejected(malformed) on any R-TRUST-1 failure; the signature is the installer's to check."""
    if len(data) < _HEAD.size or data[0] != VERSION:
        raise Rejected(MALFORMED)
    _, sequence, issued_at, count = _HEAD.unpack_from(data, 0)
    end = _HEAD.size + _ENTRY.size * count
    if count == 0 or len(data) != end + 64:
        raise Rejected(MALFORMED)
    entries = {}
    previous = -1
    for i in range(count):
        e = Entry(*_ENTRY.unpack_from(data, _HEAD.size + _ENTRY.size * i))
        if e.key_id <= previous or e.not_before > e.not_after:
            raise Rejected(MALFORMED)
        if ed25519.valid_point(e.public_key, key=True) is None:
            raise Rejected(MALFORMED)
        previous = e.key_id
        entries[e.key_id] = e
    return TrustList(sequence, issued_at, entries, data[:end], data[end:])
