"""Rotating handles of the hmac profile: one per account and step.

A code names its account by a handle that changes every step, and masks its counter with a pad
of the same step, so that codes of different steps do not link. The verifier finds the account
again among the accounts whose handle at the code's step matches (the candidates).
"""

import struct
from dataclasses import dataclass

from . import mutants
from .keys import DS_HANDLE, hmac_sha256

M_H = 4  # at most this many candidates are tried for one code


@dataclass(frozen=True)
class Handle:
    """An account's handle and pads at one step."""

    handle: bytes  # h[0..8], the QR form
    handle30: int  # u32(h[0..4]) >> 2, the numeric form
    pad: int  # u32(h[8..12]), the QR counter's mask
    pad16: int  # u32(h[8..12]) >> 16, the numeric counter's mask

    @property
    def handle64(self) -> int:
        return int.from_bytes(self.handle, "big")


def derive(k_h: bytes, step: int) -> Handle:
    """h = HMAC-SHA256(K_h, DS_handle || u64(step)), cut into the handle and the pads."""
    msg = DS_HANDLE if mutants.on("handle-ignores-step") else DS_HANDLE + struct.pack(">Q", step)
    h = hmac_sha256(k_h, msg)
    (pad,) = struct.unpack(">I", h[8:12])
    if mutants.on("counter-unmasked"):
        pad = 0
    return Handle(h[:8], int.from_bytes(h[:4], "big") >> 2, pad, pad >> 16)


class Index:
    """The handles of every enrolled account at the steps looked up so far.

    Per step, a list of (handle64, account_id, Handle) sorted by handle64 and account id; a QR
    code's candidates are one exact handle, a numeric code's the range of one top 30 bits.
    """

    def __init__(self):
        self._keys = {}  # account_id -> K_h
        self._steps = {}  # step -> sorted [(handle64, account_id, Handle)]

    def add(self, account_id, k_h):
        """Enrol an account, or replace its keys: every built step is updated, none rebuilt."""
        replaced = account_id in self._keys
        self._keys[account_id] = k_h
        for step, rows in self._steps.items():
            if replaced:
                rows[:] = [r for r in rows if r[1] != account_id]
            h = derive(k_h, step)
            _insert(rows, (h.handle64, account_id, h))

    def build(self, step):
        """The sorted handles of `step`, built on first use."""
        rows = self._steps.get(step)
        if rows is None:
            rows = []
            for account_id, k_h in self._keys.items():
                h = derive(k_h, step)
                rows.append((h.handle64, account_id, h))
            rows.sort(key=lambda r: (r[0], r[1]))
            self._steps[step] = rows
        return rows

    def retain(self, low, high):
        """Forget the built steps outside [low, high]; a later lookup there builds them again."""
        for s in [s for s in self._steps if not low <= s <= high]:
            del self._steps[s]

    def candidates_qr(self, step, handle: bytes):
        """H1 for a QR code: [(account_id, Handle)] whose 8-byte handle is `handle`."""
        h64 = int.from_bytes(handle, "big")
        return self._range(step, h64, h64)

    def candidates_numeric(self, step, handle30: int):
        """H1 for a numeric code: [(account_id, Handle)] whose top 30 bits are `handle30`."""
        return self._range(step, handle30 << 34, (handle30 << 34) | (2**34 - 1))

    def _range(self, step, lo, hi):
        rows = self.build(step)
        i = _bisect(rows, lo)
        found = []
        while i < len(rows) and rows[i][0] <= hi:
            found.append((rows[i][1], rows[i][2]))
            i += 1
        found.sort(key=lambda r: r[0])  # ascending account id
        return found[:M_H]


def _bisect(rows, h64):
    """The first position whose handle64 is >= h64."""
    lo, hi = 0, len(rows)
    while lo < hi:
        mid = (lo + hi) // 2
        if rows[mid][0] < h64:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _insert(rows, row):
    key = (row[0], row[1])
    lo, hi = 0, len(rows)
    while lo < hi:
        mid = (lo + hi) // 2
        if (rows[mid][0], rows[mid][1]) < key:
            lo = mid + 1
        else:
            hi = mid
    rows.insert(lo, row)
