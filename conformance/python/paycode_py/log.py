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


DOUBLE = "double"
ORDER = "order"
JUMP = "jump"
OVERSPEND = "overspend"
# J of R-LOG-2 step 4: the largest gap between consecutive counters that is not flagged.
MAX_GAP = 65536


@dataclass
class Report:
    duplicates: list  # [((profile, subject, counter), [Record sorted by encoding])]
    flagged: list  # [((profile, subject), [reason, in the order double, order, jump, overspend])]
    revoke_serials: list
    disable_accounts: list
    totals: list  # [(serial, total)]


def reconcile(logs, tolerance, limits=None) -> Report:
    """R-LOG-2 over the given logs (each bytes) with the order check's tolerance D in steps and
    the cumulative limits the issuer gives ({serial: limit}).

    Rejected(malformed) if any log is malformed.
    """
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
    reasons = {}
    for key, _ in duplicates:
        reasons[key[:2]] = [DOUBLE]
    for identity in _out_of_order(records, tolerance):
        reasons.setdefault(identity, []).append(ORDER)
    for identity in _jumps(records):
        reasons.setdefault(identity, []).append(JUMP)
    spent = {}
    for r in records:
        if r.profile == 2:
            spent[r.subject] = spent.get(r.subject, 0) + r.amount
    for serial, total in spent.items():
        limit = (limits or {}).get(serial)
        if limit is not None and (total > limit or (mutants.on("reconcile-overspend-at-limit") and total == limit)):
            reasons.setdefault((2, serial), []).append(OVERSPEND)
    flagged = sorted(reasons.items())
    revoke = [subject for (profile, subject), _ in flagged if profile == 2]
    disable = [subject for (profile, subject), _ in flagged if profile == 1]
    totals = {}
    if mutants.on("reconcile-totals-once-per-group"):
        records = [g[0] for g in groups.values()]
    for r in records:
        if r.profile == 2:
            totals[r.subject] = totals.get(r.subject, 0) + r.amount
    return Report(duplicates, flagged, revoke, disable, sorted(totals.items()))


def _out_of_order(records, tolerance):
    """The identities with records r1, r2 where r1.counter < r2.counter and r1.step > r2.step + D."""
    steps = {}  # identity -> counter -> [step]
    for r in records:
        steps.setdefault((r.profile, r.subject), {}).setdefault(r.counter, []).append(r.step)
    out = set()
    for identity, by_counter in steps.items():
        highest_below = None  # the highest step among the records of lower counters
        for counter in sorted(by_counter):
            if highest_below is not None and _late(highest_below, min(by_counter[counter]) + tolerance):
                out.add(identity)
                break
            top = max(by_counter[counter])
            highest_below = top if highest_below is None else max(highest_below, top)
    return out


def _jumps(records):
    """The identities with two consecutive counters (no counter of theirs between) more than J apart."""
    counters = {}
    for r in records:
        counters.setdefault((r.profile, r.subject), set()).add(r.counter)
    out = set()
    for identity, cs in counters.items():
        cs = sorted(cs)
        for low, high in zip(cs, cs[1:]):
            gap = high - low
            if gap > MAX_GAP or (mutants.on("reconcile-jump-edge-inclusive") and gap == MAX_GAP):
                out.add(identity)
    return out


def _late(step, edge):
    if mutants.on("reconcile-order-edge-inclusive"):
        return step >= edge
    return step > edge
