"""Acceptance log records (spec Section 4.8) and reconciliation (Section 10.4, R-LOG-2).

A record carries the code a verifier accepted (its payload, or N of a numeric code) and the
challenge it answered; reconciliation checks each record against the issuer's keys before it
gives any reason, and sets apart the records that fail.
"""

import struct
from dataclasses import dataclass, field, replace

from . import base45, challenge, code, credential, ed25519, handle, mutants
from .errors import (
    BAD_CREDENTIAL,
    CHALLENGE_MISMATCH,
    INVALID_CODE,
    MALFORMED,
    OVER_CAP,
    OVER_LIMIT,
    UNKNOWN_ACCOUNT,
    UNKNOWN_ISSUER,
    Rejected,
)
from .keys import VERSION

NUMERIC = 0x81
HEADER = 30
_HEADER = struct.Struct(">BBQQIQ")
# Section 4.8: the evidence length of every kind; challenge kinds carry the 37-byte challenge too.
EVIDENCE = {0x01: 38, 0x11: 42, 0x21: 38, NUMERIC: 10, 0x02: 204, 0x12: 208, 0x22: 204}
CHALLENGED = (0x21, 0x22)
NUMERIC_BESIDE_UNPROVEN = "numeric-beside-unproven"


def size(kind):
    """The record length of `kind`, or None for a kind not in the table."""
    if kind not in EVIDENCE:
        return None
    return HEADER + EVIDENCE[kind] + (challenge.SIZE if kind in CHALLENGED else 0)


@dataclass(frozen=True)
class Record:
    kind: int
    accepted_at: int
    amount: int
    terminal_id: int
    step: int
    evidence: bytes
    chal: bytes  # the 37 challenge bytes, or b""
    # hmac: the real account id and counter, which the evidence hides behind the handle and the
    # pad. The verifier knows them; reconciliation finds them again (`resolve`). Not encoded.
    account_id: int = field(default=None, compare=False)
    real_counter: int = field(default=None, compare=False)

    def encode(self) -> bytes:
        head = _HEADER.pack(VERSION, self.kind, self.accepted_at, self.amount, self.terminal_id, self.step)
        return head + self.evidence + self.chal

    def code(self):
        """The code the evidence holds (a well-formed record's evidence always decodes)."""
        return evidence_code(self.kind, self.evidence)

    @property
    def profile(self):
        return self.kind & 0x0F

    @property
    def subject(self):
        c = self.code()
        return c.credential.serial if isinstance(c, code.Ed25519Qr) else self.account_id

    @property
    def counter(self):
        c = self.code()
        return c.counter if isinstance(c, code.Ed25519Qr) else self.real_counter

    def named(self):
        """(subject, counter) as the evidence names them (Section 4.8): an ed25519 code's serial
        and counter; an hmac code's handle as a u64 (`handle30` for a numeric code) and its
        masked counter, which is all a record's reader can check without the issuer's keys."""
        c = self.code()
        if isinstance(c, code.Ed25519Qr):
            return c.credential.serial, c.counter
        if isinstance(c, code.HmacNumeric):
            return c.handle30, c.masked16
        return int.from_bytes(c.handle, "big"), c.masked

    def challenge(self):
        return challenge.decode(challenge.PREFIX + base45.encode(self.chal).encode()) if self.chal else None


def of_code(c, step, accepted_at, amount, terminal_id, chal=None, account_id=None, counter=None) -> Record:
    """The record a verifier writes for code `c` (R-LOG-1): its payload, or N, and the challenge;
    for an hmac code also the account and counter it verified as."""
    if isinstance(c, code.HmacNumeric):
        n = code.numeric_n(c.handle30, c.step_low, c.masked16, c.tag29)
        kind, evidence = NUMERIC, n.to_bytes(10, "big")
    elif isinstance(c, code.HmacQr):
        kind = code.mode_byte(c.mode, code.HMAC)
        evidence = code.hmac_payload(c.handle, c.step, c.masked, c.tag, c.mode, c.cap)
    else:
        kind, evidence = code.mode_byte(c.mode, code.ED25519), c.head + c.device_sig
        account_id = counter = None
    chal_bytes = chal.encode() if chal is not None and c.mode == code.CHALLENGE else b""
    return Record(kind, accepted_at, amount, terminal_id, step, evidence, chal_bytes, account_id, counter)


def evidence_code(kind, evidence):
    """The code in `evidence`, of kind `kind`; Rejected(malformed) otherwise (Section 4.8)."""
    if kind == NUMERIC:
        n = int.from_bytes(evidence, "big")
        if len(evidence) != 10 or n >= code.N_LIMIT:
            raise Rejected(MALFORMED)
        return code.HmacNumeric(n >> 49, (n >> 45) & 0xF, (n >> 29) & 0xFFFF, n & (2**29 - 1))
    if len(evidence) < 2 or evidence[1] != kind:
        raise Rejected(MALFORMED)
    try:
        return code.decode(code.qr_text(evidence).encode())
    except Rejected:
        raise Rejected(MALFORMED) from None


def decode_one(data: bytes) -> Record:
    """One record; Rejected(malformed) per Section 4.8."""
    if len(data) < HEADER:
        raise Rejected(MALFORMED)
    version, kind, accepted_at, amount, terminal_id, step = _HEADER.unpack_from(data)
    if version != VERSION or size(kind) != len(data):
        raise Rejected(MALFORMED)
    end = HEADER + EVIDENCE[kind]
    r = Record(kind, accepted_at, amount, terminal_id, step, data[HEADER:end], data[end:])
    c = r.code()
    if isinstance(c, code.HmacNumeric):
        if c.step_low != step % 16:
            raise Rejected(MALFORMED)
    elif c.step != step:
        raise Rejected(MALFORMED)
    if r.chal:
        r.challenge()  # R-CHAL-1: a challenge that does not decode is malformed
    return r


def decode(data: bytes):
    """A log as a list of records; Rejected(malformed) per R-LOG-2 step 1."""
    out, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            raise Rejected(MALFORMED)
        n = size(data[i + 1])
        if n is None or i + n > len(data):
            raise Rejected(MALFORMED)
        out.append(decode_one(data[i : i + n]))
        i += n
    return out


DOUBLE = "double"
ORDER = "order"
JUMP = "jump"
OVERSPEND = "overspend"
# J of R-LOG-2 step 4: the largest gap between consecutive counters that is not flagged.
MAX_GAP = 65536


@dataclass
class Report:
    unproven: list  # [(log, index, why)]
    doubles: list  # [((profile, subject, counter), [Record sorted by encoding])]
    copies: list  # [((profile, subject, counter), [Record sorted by encoding])]
    flagged: list  # [((profile, subject), [reason, in the order double, order, jump, overspend])]
    revoke_serials: list
    disable_accounts: list
    totals: list  # [(serial, total)]
    payers: list = None  # with a mapping: [dict per payer, ascending] (step 7)
    flagged_payers: list = None


def resolve(r: Record, accounts, digest=b""):
    """An hmac record with the account and counter its evidence verifies as, found as a verifier
    finds them (H1, H2): the first of at most M_h accounts, in ascending id, whose handle at the
    record's step matches and whose MAC verifies. `accounts` maps account id to (K_qr, K_num, K_h).
    Returns (record, why): why is None, unknown-account (no candidate) or invalid-code (no match)."""
    c = r.code()
    numeric = isinstance(c, code.HmacNumeric)
    found = []
    for account_id in sorted(accounts):
        h = handle.derive(accounts[account_id][2], r.step)
        if (h.handle30 == c.handle30) if numeric else (h.handle == c.handle):
            found.append((account_id, h))
    candidates = found[: handle.M_H]
    if not candidates:
        return r, UNKNOWN_ACCOUNT
    for account_id, h in candidates:
        k_qr, k_num = accounts[account_id][:2]
        if numeric:
            counter = c.masked16 ^ h.pad16
            expected = code.tag29(k_num, account_id, r.step, counter).to_bytes(4, "big")
            ok = code.tags_equal(expected, c.tag29.to_bytes(4, "big"))
        else:
            counter = c.masked ^ h.pad
            expected = code.qr_tag(k_qr, c.handle, c.step, c.masked, c.mode, c.cap, digest)
            ok = code.tags_equal(expected, c.tag)
        if ok:
            return replace(r, account_id=account_id, real_counter=counter), None
    if mutants.on("reconcile-trusts-records"):
        account_id, h = candidates[0]
        counter = (c.masked16 ^ h.pad16) if numeric else (c.masked ^ h.pad)
        return replace(r, account_id=account_id, real_counter=counter), None
    return r, INVALID_CODE


def verify(r: Record, accounts, trust):
    """R-LOG-2 step 2: None if the record's evidence verifies, else why not; the credential's
    cumulative limit for ed25519; and the record, an hmac one with its account and counter.
    `accounts` maps account id to (K_qr, K_num, K_h), `trust` key id to trust entry."""
    c = r.code()
    chal = r.challenge()
    digest = chal.digest() if chal is not None else b""
    limit = None
    if isinstance(c, (code.HmacQr, code.HmacNumeric)):
        if mutants.on("reconcile-challenge-digest-ignored"):
            digest = b""
        r, why = resolve(r, accounts, digest)
        if why is not None:
            return why, None, r
    else:
        cred = c.credential
        entry = trust.get(cred.key_id)
        if entry is None:
            return UNKNOWN_ISSUER, None, r
        if cred.problems(entry):
            return BAD_CREDENTIAL, None, r
        if mutants.on("reconcile-challenge-digest-ignored"):
            digest = b""
        signing_input = code.ed25519_signing_input(c.head, c.mode, digest)
        if not ed25519.verify(cred.device_pk, signing_input, c.device_sig) and not mutants.on(
            "reconcile-trusts-records"
        ):
            return INVALID_CODE, None, r
        if r.amount > cred.limit_payment:
            return OVER_LIMIT, None, r
        limit = cred.limit_total
    if c.cap is not None and r.amount > c.cap and not mutants.on("reconcile-cap-unchecked"):
        return OVER_CAP, None, r
    if chal is not None and (chal.terminal_id != r.terminal_id or chal.amount != r.amount):
        return CHALLENGE_MISMATCH, None, r
    return None, limit, r


def _code_key(r: Record):
    """One code apart from its authenticator: the QR and numeric forms of an hmac code are one."""
    c = r.code()
    return (r.profile, r.subject, r.counter, r.step, c.mode, c.cap, r.chal)


def reconcile(logs, tolerance, accounts, trust, holders=None) -> Report:
    """R-LOG-2 over the given logs (each bytes) with the order check's tolerance D in steps and
    the issuer's keys; `holders`, the issuer's mapping serial -> (payer, batch, batch_limit), adds
    step 7. Rejected(malformed) if any log is malformed."""
    decoded = [decode(data) for data in logs]
    unproven, proven = [], []
    for n, records in enumerate(decoded):
        checked = [verify(r, accounts, trust) for r in records]
        tainted = any(why is not None for why, _, _ in checked)
        for i, (why, limit, r) in enumerate(checked):
            if why is None and tainted and r.kind == NUMERIC:
                why = NUMERIC_BESIDE_UNPROVEN
            if why is None:
                proven.append((n, r, limit))
            else:
                unproven.append((n, i, why))
    codes = {}  # code key -> [records, smallest amount, limit]
    for n, r, limit in proven:
        key = _code_key(r)
        if mutants.on("reconcile-copies-are-doubles"):
            key = key + (len(codes),)
        entry = codes.setdefault(key, [[], r.amount, limit])
        entry[0].append(r)
        entry[1] = min(entry[1], r.amount)
    groups = {}
    for key in codes:
        groups.setdefault(key[:3], []).append(key)
    doubles = [
        (g, sorted((r for k in keys for r in codes[k][0]), key=Record.encode))
        for g, keys in sorted(groups.items())
        if len(keys) >= 2
    ]
    copies = [
        (key[:3], sorted(codes[key][0], key=Record.encode))
        for key in sorted(codes, key=_sort_key)
        if len(codes[key][0]) >= 2
    ]
    reasons = {}
    for g, _ in doubles:
        reasons[g[:2]] = [DOUBLE]
    for identity in _out_of_order(codes, tolerance):
        reasons.setdefault(identity, []).append(ORDER)
    for identity in _jumps(codes):
        reasons.setdefault(identity, []).append(JUMP)
    spent, limits = {}, {}
    for key, (_, amount, limit) in codes.items():
        if key[0] == code.ED25519:
            spent[key[1]] = spent.get(key[1], 0) + amount
            if limit is not None:
                limits[key[1]] = min(limits.get(key[1], limit), limit)
    for serial, total in spent.items():
        limit = limits.get(serial)
        if limit is not None and (total > limit or (mutants.on("reconcile-overspend-at-limit") and total == limit)):
            reasons.setdefault((code.ED25519, serial), []).append(OVERSPEND)
    flagged = sorted(reasons.items())
    revoke = [subject for (profile, subject), _ in flagged if profile == code.ED25519]
    disable = [subject for (profile, subject), _ in flagged if profile == code.HMAC]
    totals = {}
    if mutants.on("reconcile-totals-once-per-group"):
        counted = {}
        for key, (_, amount, _) in codes.items():
            counted.setdefault(key[:3], amount)
        items = [(g, a) for g, a in counted.items()]
    else:
        items = [(key[:3], amount) for key, (_, amount, _) in codes.items()]
    for (profile, subject, _), amount in items:
        if profile == code.ED25519:
            totals[subject] = totals.get(subject, 0) + amount
    report = Report(unproven, doubles, copies, flagged, revoke, disable, sorted(totals.items()))
    if holders is not None:
        report.payers = _payers(codes, dict(flagged), holders)
        report.flagged_payers = [p["payer"] for p in report.payers if p["flagged_serials"] or p["over_batch_limit"]]
    return report


def _payers(codes, reasons, holders):
    """Step 7: the proven ed25519 codes by payer, and by batch and terminal: a code counts once
    at each terminal that recorded it, at its smallest amount there."""
    payers, at = {}, {}  # payer -> summary; (payer, batch, terminal) -> [total, limit]
    for key, (records, _, _) in codes.items():
        profile, serial = key[0], key[1]
        if profile != code.ED25519 or serial not in holders:
            continue
        payer, batch, batch_limit = holders[serial]
        p = payers.setdefault(payer, {"payer": payer, "serials": set(), "codes": 0, "flagged_serials": set()})
        p["codes"] += 1
        p["serials"].add(serial)
        if (code.ED25519, serial) in reasons:
            p["flagged_serials"].add(serial)
        here = {}
        for r in records:
            here[r.terminal_id] = min(here.get(r.terminal_id, r.amount), r.amount)
        for terminal_id, amount in here.items():
            e = at.setdefault((payer, batch, terminal_id), [0, batch_limit])
            e[0] += amount
            e[1] = min(e[1], batch_limit)
    out = []
    for payer in sorted(payers):
        p = payers[payer]
        rows = [(b, t, total, limit) for (q, b, t), (total, limit) in sorted(at.items()) if q == payer]
        out.append({
            "payer": payer,
            "serials": sorted(p["serials"]),
            "codes": p["codes"],
            "terminals": [
                {"batch": b, "terminal_id": t, "total": min(total, 2**64 - 1), "limit": limit} for b, t, total, limit in rows
            ],
            "flagged_serials": sorted(p["flagged_serials"]),
            "over_batch_limit": any(total > limit for _, _, total, limit in rows),
        })
    return out


def _sort_key(key):
    profile, subject, counter, step, mode, cap, chal = key[:7]
    return (profile, subject, counter, step, mode, -1 if cap is None else cap, chal)


def _out_of_order(codes, tolerance):
    """The identities with codes c1, c2 where c1.counter < c2.counter and c1.step > c2.step + D."""
    steps = {}  # identity -> counter -> [step]
    for key in codes:
        steps.setdefault(key[:2], {}).setdefault(key[2], []).append(key[3])
    out = set()
    for identity, by_counter in steps.items():
        highest_below = None  # the highest step among the codes of lower counters
        for counter in sorted(by_counter):
            if highest_below is not None and _late(highest_below, min(by_counter[counter]) + tolerance):
                out.add(identity)
                break
            top = max(by_counter[counter])
            highest_below = top if highest_below is None else max(highest_below, top)
    return out


def _jumps(codes):
    """The identities with two consecutive counters (no counter of theirs between) more than J apart."""
    counters = {}
    for key in codes:
        counters.setdefault(key[:2], set()).add(key[2])
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
