"""Acceptance log records (spec Section 4.8) and reconciliation (Section 10.4, R-LOG-2)."""

import struct
from dataclasses import dataclass

from . import mutants
from .errors import MALFORMED, Rejected

VERSION = 0x01
SIZE = 44
_RECORD = struct.Struct(">BBHQIQQQI")
_SWAPPED = struct.Struct(">BBHQQIQQI")  # the counter-step-swapped mutant's layout


def _layout():
    return _SWAPPED if mutants.on("log-counter-step-swapped") else _RECORD


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
        swapped = mutants.on("log-counter-step-swapped")
        return _layout().pack(
            VERSION,
            self.profile,
            self.key_id,
            self.subject,
            self.step if swapped else self.counter,
            self.counter if swapped else self.step,
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
        version, *fields = _layout().unpack_from(data, i)
        if version != VERSION or fields[0] not in (1, 2):
            raise Rejected(MALFORMED)
        if fields[0] == 1 and (fields[1] != 0 or fields[6] != 0):  # hmac: key_id 0, amount 0 (Section 4.8)
            raise Rejected(MALFORMED)
        if mutants.on("log-counter-step-swapped"):
            fields[3], fields[4] = fields[4], fields[3]
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
    tagged = [(n, r) for n, data in enumerate(logs) for r in decode(data)]
    if mutants.on("reconcile-dedups-identical-records"):
        tagged = list({r.encode(): (n, r) for n, r in tagged}.values())
    records = [r for _, r in tagged]
    groups = {}
    for n, r in tagged:
        key = (r.profile, r.subject, r.counter)
        if mutants.on("reconcile-ignores-profile"):
            key = (r.subject, r.counter)
        if mutants.on("reconcile-per-log"):
            key = (n, *key)
        groups.setdefault(key, []).append(r)
    if mutants.on("reconcile-ignores-profile") or mutants.on("reconcile-per-log"):
        merged = {}
        for g in groups.values():  # the key the report shows: the first record's
            key = (g[0].profile, g[0].subject, g[0].counter)
            merged[key] = g if len(g) >= len(merged.get(key, ())) else merged[key]
        groups = merged
    duplicates = [
        (key, sorted(group, key=Record.encode)) for key, group in sorted(groups.items()) if len(group) >= 2
    ]
    revoke = sorted({k[1] for k, _ in duplicates if k[0] == 2})
    disable = sorted({k[1] for k, _ in duplicates if k[0] == 1})
    totals = {}
    if mutants.on("reconcile-totals-once-per-group"):
        records = [g[0] for g in groups.values()]
    for r in records:
        if r.profile == 2:
            totals[r.subject] = totals.get(r.subject, 0) + r.amount
    return Report(duplicates, revoke, disable, sorted(totals.items()))
