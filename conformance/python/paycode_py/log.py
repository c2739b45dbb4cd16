"""Acceptance log records (spec Section 4.8) and reconciliation (Section 10.4, R-LOG-2)."""

import struct
from dataclasses import dataclass

from .errors import MALFORMED, Rejected

VERSION = 0x01
SIZE = 44
_RECORD = struct.Struct(">BBHQIQQQI")


@dataclass(frozen=True)
class Record:
    profile: int
    key_id: int
    subject: int
    counter: int
    step: int
    accepted_at: int
    amount: int
    terminal_id: int

    def encode(self) -> bytes:
        return _RECORD.pack(
            VERSION,
            self.profile,
            self.key_id,
            self.subject,
            self.counter,
            self.step,
            self.accepted_at,
            self.amount,
            self.terminal_id,
        )


def decode(data: bytes):
    """A log as a list of records; Rejected(malformed) per R-LOG-2 step 1."""
    if len(data) % SIZE:
        raise Rejected(MALFORMED)
    out = []
    for i in range(0, len(data), SIZE):
        version, *fields = _RECORD.unpack_from(data, i)
        if version != VERSION or fields[0] not in (1, 2):
            raise Rejected(MALFORMED)
        if fields[0] == 1 and (fields[1] != 0 or fields[6] != 0):  # hmac: key_id 0, amount 0 (Section 4.8)
            raise Rejected(MALFORMED)
        out.append(Record(*fields))
    return out


@dataclass
class Report:
    duplicates: list  # [((profile, subject, counter), [Record sorted by encoding])]
    revoke_serials: list
    disable_accounts: list
    totals: list  # [(serial, total)]


def reconcile(logs) -> Report:
    """R-LOG-2 over the given logs (each bytes); Rejected(malformed) if any log is."""
    records = [r for data in logs for r in decode(data)]
    groups = {}
    for r in records:
        groups.setdefault((r.profile, r.subject, r.counter), []).append(r)
    duplicates = [
        (key, sorted(group, key=Record.encode)) for key, group in sorted(groups.items()) if len(group) >= 2
    ]
    revoke = sorted({k[1] for k, _ in duplicates if k[0] == 2})
    disable = sorted({k[1] for k, _ in duplicates if k[0] == 1})
    totals = {}
    for r in records:
        if r.profile == 2:
            totals[r.subject] = totals.get(r.subject, 0) + r.amount
    return Report(duplicates, revoke, disable, sorted(totals.items()))
