"""The verifier: Section 7.4's check order over the state of Section 8.

One `Verifier` is one verifier's configuration plus its state
σ = (T_hw, Q, E, Θ, Λ, RL). Every operation takes the time as input (R-TIME-7).
"""

from dataclasses import dataclass, field

from . import code, ed25519, keys, log, mutants, revocation, trust
from .errors import (
    BAD_CREDENTIAL,
    EXPIRED,
    INVALID_CODE,
    NOT_YET_VALID,
    OVER_LIMIT,
    REPLAYED,
    REVOKED,
    STALE_COUNTER,
    STATE_UNAVAILABLE,
    THROTTLED,
    TOO_NEW,
    TOO_OLD,
    UNKNOWN_ACCOUNT,
    UNKNOWN_ISSUER,
    Rejected,
)
from .params import U64_MAX, sadd, smul, ssub

WIDTH = 64
THROTTLE_LIMIT = 8


@dataclass
class Entry:
    """A replay entry (H, M, top) of Section 8.1."""

    high: int
    bitmap: int
    top: int


@dataclass
class Outcome:
    """A verdict, with what the call touched for reporting."""

    error: str = None  # None: accepted
    record: bytes = None
    identity: tuple = None  # (profile id, subject) once V1 has passed


@dataclass
class Verifier:
    params: object
    terminal_id: int = 0
    accounts: dict = None  # account_id -> (K_qr, K_num); None: hmac not enabled
    trust: dict = None  # key_id -> trust.Entry; None: ed25519 not enabled
    t_hw: int = 0
    q: int = 0
    entries: dict = field(default_factory=dict)  # (profile, subject) -> Entry
    throttle: dict = field(default_factory=dict)  # account_id -> [step, n]
    ledger: dict = field(default_factory=dict)  # serial -> [spent, not_after]
    rl_number: int = 0
    rl_serials: frozenset = frozenset()
    rl_bytes: bytes = None

    # ------------------------------------------------------------ configuration

    def enabled(self):
        out = set()
        if self.accounts is not None:
            out.add(code.HMAC)
        if self.trust is not None:
            out.add(code.ED25519)
        return out

    def add_account(self, account_id, seed):
        self.accounts[account_id] = (keys.k_qr(seed, account_id), keys.k_num(seed, account_id))

    def set_revocation_list(self, data: bytes):
        """Take a list as installed state (as stored, without the install rule)."""
        rl = revocation.decode(data)
        self.rl_number, self.rl_serials, self.rl_bytes = rl.number, frozenset(rl.serials), data

    # ------------------------------------------------------------ window

    def low(self):
        """L = T_hw ⊖ B (R-TIME-4)."""
        b = self.params.back + (1 if mutants.on("back-edge-off-by-one") else 0)
        return ssub(self.t_hw, b)

    def high(self, s_now):
        """U = T(t) ⊕ F (R-TIME-4)."""
        f = self.params.forward
        if mutants.on("forward-edge-off-by-one"):
            f += 1
        if mutants.on("symmetric-window"):
            f = self.params.back
        return sadd(s_now, f)

    def live(self, identity):
        """The entry of `identity` if it is live (top ≥ L), else None (R-REPLAY-4)."""
        e = self.entries.get(identity)
        if e is None:
            return None
        low = self.low()
        if e.top < low or (mutants.on("eviction-early") and e.top == low):
            return None
        return e

    def ledger_kept(self, not_after):
        """Whether R-LIMIT-2 requires keeping a ledger entry with this not_after."""
        p = self.params
        return not_after >= sadd(p.t0, smul(ssub(self.low(), p.forward), p.x))

    def evict(self, s_now):
        """Remove what the evict transition of Section 8.4 allows; verdicts do not depend on it."""
        low = self.low()
        self.entries = {i: e for i, e in self.entries.items() if self.live(i) is not None}
        self.ledger = {n: e for n, e in self.ledger.items() if self.ledger_kept(e[1])}
        self.throttle = {j: r for j, r in self.throttle.items() if r[0] == s_now}
        return low

    def spent(self, serial):
        e = self.ledger.get(serial)
        return e[0] if e else 0

    # ------------------------------------------------------------ verify

    def verify(self, x: bytes, t: int, amount: int) -> Outcome:
        """Section 7.4, steps V0 to C5."""
        out = Outcome()
        try:
            self._verify(x, t, amount, out)
        except Rejected as r:
            out.error = r.code
        return out

    def _verify(self, x, t, amount, out):
        s_now = self.params.step(t)  # V0 (time-before-epoch raises before any change)
        self.t_hw = s_now if mutants.on("t-hw-not-monotonic") else max(self.t_hw, s_now)
        low, high = self.evict(s_now), self.high(s_now)

        c = code.decode(x, self.enabled())  # V1
        if isinstance(c, code.HmacNumeric):
            step = code.reconstruct_step(c.step_low, s_now)
            out.identity = (code.HMAC, c.account_id)
        elif isinstance(c, code.HmacQr):
            step = c.step
            out.identity = (code.HMAC, c.account_id)
        else:
            step = c.step
            out.identity = (code.ED25519, c.credential.serial)

        if mutants.on("window-before-mac"):
            self._window(step, low, high)
        if isinstance(c, code.Ed25519Qr):
            not_after = self._auth_ed25519(c, t)
        else:
            self._auth_hmac(c, step, s_now)
        self._window(step, low, high)  # C1

        if step < self.q:  # C2
            raise Rejected(STATE_UNAVAILABLE)

        entry = self.live(out.identity)  # C3
        if entry is not None and not mutants.on("no-replay-check"):
            if c.counter + WIDTH <= entry.high:
                raise Rejected(STALE_COUNTER)
            if c.counter <= entry.high and entry.bitmap >> (entry.high - c.counter) & 1:
                raise Rejected(REPLAYED)

        if isinstance(c, code.Ed25519Qr):  # C4, exact sums (R-LIMIT-1, R-LIMIT-2)
            cred = c.credential
            if amount > cred.limit_payment or self.spent(cred.serial) + amount > cred.limit_total:
                raise Rejected(OVER_LIMIT)

        # C5: record, ledger, log, as one step.
        self._record(out.identity, entry, c.counter, step)
        if isinstance(c, code.Ed25519Qr):
            cred = c.credential
            self.ledger[cred.serial] = [self.spent(cred.serial) + amount, not_after]
            out.record = log.Record(
                code.ED25519, cred.key_id, cred.serial, c.counter, step, t, amount, self.terminal_id
            ).encode()
        else:
            out.record = log.Record(
                code.HMAC, 0, c.account_id, c.counter, step, t, 0, self.terminal_id
            ).encode()

    def _window(self, step, low, high):
        if step < low:
            raise Rejected(TOO_OLD)
        if step > high:
            raise Rejected(TOO_NEW)

    def _auth_hmac(self, c, step, s_now):
        keys_ = self.accounts.get(c.account_id)  # H1
        if keys_ is None:
            raise Rejected(UNKNOWN_ACCOUNT)
        record = self.throttle.get(c.account_id)  # H2
        att = record[1] if record is not None and record[0] == s_now else 0
        if att > THROTTLE_LIMIT if mutants.on("throttle-off-by-one") else att >= THROTTLE_LIMIT:
            raise Rejected(THROTTLED)
        self.throttle[c.account_id] = [s_now, att + 1]
        k_qr, k_num = keys_  # H3
        if isinstance(c, code.HmacNumeric):
            expected = code.tag29(k_num, c.account_id, step, c.counter).to_bytes(4, "big")
            ok = code.tags_equal(expected, c.tag29.to_bytes(4, "big"))
        else:
            ok = code.tags_equal(code.qr_tag(k_qr, c.account_id, step, c.counter), c.tag)
        if not ok:
            raise Rejected(INVALID_CODE)
        if not mutants.on("throttle-counts-successes"):
            self.throttle[c.account_id] = [s_now, att]

    def _auth_ed25519(self, c, t):
        """E1-E5; returns the credential's not_after."""
        cred = c.credential
        entry = self.trust.get(cred.key_id)  # E1
        if entry is None:
            raise Rejected(UNKNOWN_ISSUER)
        if cred.problems(entry):  # E2
            raise Rejected(BAD_CREDENTIAL)
        not_after = cred.not_after()
        if t < cred.not_before:  # E3
            raise Rejected(NOT_YET_VALID)
        if t > not_after and not mutants.on("ignore-expiry"):
            raise Rejected(EXPIRED)
        if cred.serial in self.rl_serials and not mutants.on("ignore-revocation"):  # E4
            raise Rejected(REVOKED)
        if not ed25519.verify(cred.device_pk, code.ed25519_signing_input(c.signed), c.device_sig):  # E5
            raise Rejected(INVALID_CODE)
        return not_after

    def _record(self, identity, entry, counter, step):
        """Section 8.3."""
        if entry is None:
            self.entries[identity] = Entry(counter, 1, step)
        elif counter > entry.high:
            shift = counter - entry.high
            entry.bitmap = 0 if shift >= WIDTH else (entry.bitmap << shift) & U64_MAX
            entry.bitmap |= 1
            entry.high = counter
            entry.top = max(entry.top, step)
        else:
            entry.bitmap |= 1 << (entry.high - counter)
            entry.top = max(entry.top, step)

    # ------------------------------------------------------------ other transitions

    def install_revocation_list(self, data: bytes) -> bool:
        """R-REVOKE-2: install only a valid list with a greater number."""
        try:
            rl = revocation.decode(data)
        except Rejected:
            return False
        if not revocation.accepted_by(rl, self.trust):
            return False
        newer = rl.number >= self.rl_number if mutants.on("revocation-equal-number") else rl.number > self.rl_number
        if not newer:
            return False
        self.rl_number, self.rl_serials, self.rl_bytes = rl.number, frozenset(rl.serials), data
        return True

    def install_trust_list(self, data: bytes) -> bool:
        """R-TRUST-1: a rejected list changes nothing; an accepted one replaces the installed one."""
        try:
            self.trust = trust.decode(data)
        except Rejected:
            return False
        return True

    def restart(self, lost: bool, t: int):
        """restart-with-state keeps σ; restart-lost-state (Section 8.6) quarantines."""
        if not lost:
            return
        s = self.params.step(t)
        self.entries, self.throttle, self.ledger = {}, {}, {}
        self.t_hw = s
        self.q = sadd(s, self.params.forward) if mutants.on("quarantine-one-short") else sadd(sadd(s, self.params.forward), 1)
