"""The verifier: Section 7.4's check order over the state of Section 8.

One `Verifier` is one verifier's configuration plus its state
σ = (T_hw, Q, E, K, Θ, Λ, N, RL). Every operation takes the time as input (R-TIME-7).
"""

from dataclasses import dataclass, field

from . import challenge, code, ed25519, handle, keys, log, mutants, revocation, trust
from .errors import (
    BAD_CREDENTIAL,
    CHALLENGE_EXPIRED,
    CHALLENGE_MISMATCH,
    CHALLENGE_REQUIRED,
    CHALLENGE_USED,
    COUNTER_BEHIND,
    EXPIRED,
    INVALID_CODE,
    NO_CHALLENGE,
    NOT_YET_VALID,
    OVER_CAP,
    OVER_CEILING,
    OVER_LIMIT,
    REPLAYED,
    REVOCATION_STALE,
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
N_ACCT = 4  # numeric failures an account's budget allows at once (R-HMAC-7)
N_SRC = 64  # ... and a source's (R-HMAC-8)
# The keys a code without candidates is checked under: its MAC is computed and ignored (R-HMAC-9).
DUMMY_KEYS = (bytes(32), bytes(32))
DUMMY_HANDLE = handle.Handle(bytes(8), 0, 0, 0)


@dataclass
class Entry:
    """A replay entry (H, M, top) of Section 8.1."""

    high: int
    bitmap: int
    top: int


@dataclass
class Mark:
    """A counter mark (H*, S*) of Section 8.1: the highest accepted counter and its code's step."""

    high: int
    step: int


@dataclass
class Outcome:
    """A verdict, with what the call touched for reporting."""

    error: str = None  # None: accepted
    record: bytes = None
    identity: tuple = None  # (profile id, subject) once known: V1 for ed25519, H2 for hmac


@dataclass
class Verifier:
    params: object
    terminal_id: int = 0
    accounts: dict = None  # account_id -> (K_qr, K_num); None: hmac not enabled
    handles: handle.Index = field(default_factory=handle.Index)  # every account's handles, per step
    root: bytes = None  # the issuer's root public key (R-TRUST-3)
    trust: dict = None  # key_id -> trust.Entry; None: ed25519 not enabled
    tl_sequence: int = 0  # TL.sequence and TL.issued_at; (0, 0): none installed
    tl_issued_at: int = 0
    t_hw: int = 0
    q: int = 0
    entries: dict = field(default_factory=dict)  # (profile, subject) -> Entry
    marks: dict = field(default_factory=dict)  # (profile, subject) -> Mark
    budgets: dict = field(default_factory=dict)  # Θ_acct: account_id -> u (a step)
    sources: dict = field(default_factory=dict)  # Θ_src: source (terminal id) -> u
    budget_step: int = None  # for the mutant that forgets the budgets at each new step
    ledger: dict = field(default_factory=dict)  # serial -> [spent, not_after]
    nonces: dict = field(default_factory=dict)  # N: nonce -> closes (issued_at + C)
    rl_number: int = 0
    rl_issued_at: int = 0
    rl_fresh_until: int = None  # next_update + grace of the installed list; None: none installed
    rl_serials: frozenset = frozenset()
    rl_bytes: bytes = None
    last_accepted: int = 0  # accepted_at of the last acceptance: the log, kept apart from the state

    # ------------------------------------------------------------ configuration

    def enabled(self):
        out = set()
        if self.accounts is not None:
            out.add(code.HMAC)
        if self.trust is not None:
            out.add(code.ED25519)
        return out

    def add_account(self, account_id, seed):
        """Enrol an account, or replace its keys (seed rotation)."""
        self.accounts[account_id] = (keys.k_qr(seed, account_id), keys.k_num(seed, account_id))
        self.handles.add(account_id, keys.k_h(seed, account_id))

    def set_revocation_list(self, data: bytes):
        """Take a list as installed state (as stored, without the install rule)."""
        rl = revocation.decode(data)
        self._take(rl, data)

    def _take(self, rl, data):
        self.rl_number, self.rl_issued_at = rl.number, rl.issued_at
        self.rl_fresh_until, self.rl_serials, self.rl_bytes = rl.fresh_until(), frozenset(rl.serials), data

    # ------------------------------------------------------------ time floor

    def floor(self, kept_only=False):
        """φ (R-TIME-8): the installed list's issued_at, the last accepted_at, and
        T0 ⊕ T_hw·X once T_hw > 0; `kept_only`: the bounds that survive a lost state."""
        parts = [self.last_accepted]
        if self.rl_fresh_until is not None:
            parts.append(self.rl_issued_at)
        if not kept_only and self.t_hw > 0:
            parts.append(min(self.params.t0 + self.t_hw * self.params.x, 2**64 - 1))
        return max(parts)

    # ------------------------------------------------------------ window

    def low(self):
        """L = T_hw ⊖ B (R-TIME-4)."""
        b = self.params.back + (1 if mutants.on("back-edge-off-by-one") else 0)
        if mutants.on("back-edge-wraps"):
            return (self.t_hw - b) % 2**64
        return ssub(self.t_hw, b)

    def high(self, s_now):
        """U = T(t) ⊕ F (R-TIME-4)."""
        f = self.params.forward
        if mutants.on("forward-edge-off-by-one"):
            f += 1
        if mutants.on("symmetric-window"):
            f = self.params.back
        if mutants.on("forward-edge-wraps"):
            return (s_now + f) % 2**64
        return sadd(s_now, f)

    def live(self, identity):
        """The entry of `identity` if it is live (top ≥ L), else None (R-REPLAY-4)."""
        e = self.entries.get(identity)
        if e is None:
            return None
        low = self.low()
        top = e.high if mutants.on("evict-by-counter") else e.top
        if top < low or (mutants.on("eviction-early") and top == low):
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
        if mutants.on("mark-evicted-with-window"):
            self.marks = {i: m for i, m in self.marks.items() if i in self.entries}
        for serial in [n for n, e in self.ledger.items() if not self.ledger_kept(e[1])]:
            # An ed25519 mark goes with its serial's ledger entry; an hmac mark is never evicted.
            del self.ledger[serial]
            self.marks.pop((code.ED25519, serial), None)
        # A budget at or below T_hw charges nothing at any later call (R-HMAC-7).
        self.budgets = {j: u for j, u in self.budgets.items() if u > self.t_hw}
        self.sources = {r: u for r, u in self.sources.items() if u > self.t_hw}
        # The handle index is kept for the steps a code can still pass C1 with, and one ahead.
        self.handles.retain(low, sadd(self.high(s_now), 1))
        if mutants.on("budget-resets-every-step") and self.budget_step != s_now:
            self.budgets, self.sources = {}, {}
        self.budget_step = s_now
        return low

    def evict_at(self, t):
        """The evict transition of Section 8.4 called on its own at time t: T_hw := max(T_hw, T(t)),
        then the removals."""
        self._clock = t
        s_now = self.params.step(max(t, self.floor()))  # time-before-epoch raises before any change
        self.t_hw = max(self.t_hw, s_now)
        self.evict(s_now)
        self.evict_nonces()

    def evict_nonces(self):
        """Drop every nonce whose challenge closed before t_hw (Section 8.4, R-CHAL-4)."""
        hw = self.hw_time()
        self.nonces = {n: closes for n, closes in self.nonces.items() if closes >= hw}

    def hw_time(self):
        """T0 + T_hw·X, the start of the high-water step, computed exactly (C2, Section 8.4)."""
        return self.params.t0 + self.t_hw * self.params.x

    def spent(self, serial):
        e = self.ledger.get(serial)
        return e[0] if e else 0

    # ------------------------------------------------------------ verify

    def verify(self, x: bytes, t: int, amount: int, chal_text: bytes = None) -> Outcome:
        """Section 7.4, steps V0 to C5; `chal_text` is the call's challenge γ (QR text), if any."""
        out = Outcome()
        self._clock = t
        t = max(t, self.floor())  # the verifier time t_v (R-TIME-8)
        try:
            self._verify(x, t, amount, chal_text, out)
            if out.record is not None:
                self.last_accepted = max(self.last_accepted, t)
        except Rejected as r:
            out.error = r.code
        # After the verdict, so that it is decided on N as the call found it.
        self.evict_nonces()
        return out

    def _verify(self, x, t, amount, chal_text, out):
        s_now = self.params.step(t)  # V0 (time-before-epoch raises before any change)
        if mutants.on("t-hw-not-monotonic"):
            self.t_hw = self._clock_step(s_now)
        else:
            self.t_hw = max(self.t_hw, s_now)
        low, high = self.evict(s_now), self.high(s_now)

        c = code.decode(x, self.enabled())  # V1
        if isinstance(c, code.HmacNumeric):
            step = code.reconstruct_step(c.step_low, s_now)
            kind = "numeric"
        elif isinstance(c, code.HmacQr):
            step = c.step
            kind = "hmac"
        else:
            step = c.step
            out.identity = (code.ED25519, c.credential.serial)
            kind = "ed25519"
        chal = None if chal_text is None else challenge.decode(chal_text)  # V1.C
        if not mutants.on("challenge-after-auth"):
            chal = self._challenge(c, chal, t, amount)  # V2
        digest = chal.digest() if chal is not None else b""

        ed25519 = isinstance(c, code.Ed25519Qr)
        # H0 for hmac: the window before the candidates, for a forged code as for any other
        # (R-HANDLE-3). Checked after H1-H3 under its mutant, as C1 is for ed25519.
        early = not mutants.on("window-after-mac") if not ed25519 else mutants.on("window-before-signature")
        if early:
            if mutants.on("limit-before-window"):
                self._limits(c, amount)
            if mutants.on("quarantine-before-window"):
                self._quarantine(step, chal)
            self._window(step, low, high, kind)
        if ed25519:
            not_after = self._auth_ed25519(c, self._clock if mutants.on("floor-ignored-at-e3") else t, digest)
            counter = c.counter
        else:
            account_id, counter = self._auth_hmac(c, step, s_now, digest)
            out.identity = (code.HMAC, account_id)
        if mutants.on("challenge-after-auth"):
            chal = self._challenge(c, chal, t, amount)
        entry = self.live(out.identity)
        mark = self.marks.get(out.identity)
        if not early:
            if mutants.on("limit-before-window"):
                self._limits(c, amount)
            if mutants.on("replay-before-window"):
                self._replay(counter, step, entry, mark, chal)
            if mutants.on("quarantine-before-window"):
                self._quarantine(step, chal)
            self._window(step, low, high, kind)  # C1
        if mutants.on("replay-before-quarantine"):
            self._replay(counter, step, entry, mark, chal)
        self._quarantine(step, chal)  # C2
        if mutants.on("limit-before-replay"):
            self._limits(c, amount)
        self._replay(counter, step, entry, mark, chal)  # C3
        self._limits(c, amount)  # C4

        # C5: record, ledger, nonce, log, as one step.
        self._record(out.identity, entry, mark, counter, step)
        if chal is not None:
            self.nonces[chal.nonce] = self._closes(chal)
        if isinstance(c, code.Ed25519Qr):
            cred = c.credential
            self.ledger[cred.serial] = [self._add_spent(self.spent(cred.serial), amount), not_after]
        # R-LOG-1: the code and the challenge exactly as verified, and the amount in both profiles.
        logged = 0 if mutants.on("log-hmac-amount-zero") and not isinstance(c, code.Ed25519Qr) else amount
        record = log.of_code(c, step, self._accepted_at(t, step), logged, self.terminal_id, chal, out.identity[1], counter)
        out.record = record.encode()

    def _challenge(self, c, chal, t, amount):
        """V2 (R-CHAL-3): the challenge the rest of the call checks the code under, or None."""
        if c.mode == code.CHALLENGE and chal is None:  # V2.1
            if not mutants.on("no-challenge-accepted"):
                raise Rejected(NO_CHALLENGE)
            return None
        if chal is None:
            return None
        if c.mode != code.CHALLENGE:
            if mutants.on("challenge-required-unchecked"):
                return None
            raise Rejected(CHALLENGE_REQUIRED)
        if chal.terminal_id != self.terminal_id and not mutants.on("challenge-terminal-unchecked"):  # V2.2
            raise Rejected(CHALLENGE_MISMATCH)
        if chal.amount != amount and not mutants.on("challenge-amount-unchecked"):
            raise Rejected(CHALLENGE_MISMATCH)
        if t > self._closes(chal):  # V2.3, exact
            raise Rejected(CHALLENGE_EXPIRED)
        if chal.issued_at > t + self.params.x and not mutants.on("challenge-future-unchecked"):
            raise Rejected(CHALLENGE_EXPIRED)
        return chal

    def _closes(self, chal):
        """issued_at + C, exact: the last second the challenge is open."""
        closes = chal.issued_at + self.params.challenge_lifetime
        return closes + 1 if mutants.on("challenge-expiry-off-by-one") else closes

    def _accepted_at(self, t, step):
        if mutants.on("log-accepted-at-step-start"):
            return (self.params.t0 + step * self.params.x) % 2**64
        return t

    def _add_spent(self, spent, amount):
        if mutants.on("total-u32-wraps"):
            return (spent + amount) & 0xFFFFFFFF
        return spent + amount

    def _quarantine(self, step, chal):
        if step < self.q:  # C2
            raise Rejected(STATE_UNAVAILABLE)
        if chal is None:
            return
        # spec: R-CHAL-4: a nonce lost with the state, or dropped once closed, may have been used.
        floor = self.params.t0 + (self.q + 1) * self.params.x
        if self.q > 0 and chal.issued_at < floor and not mutants.on("challenge-after-loss"):
            raise Rejected(STATE_UNAVAILABLE)
        if self.hw_time() > self._closes(chal):  # unreachable past V2.3 at t_v >= the floor (R-TIME-8); kept as stated
            raise Rejected(STATE_UNAVAILABLE)

    def _replay(self, counter, step, entry, mark, chal):
        """C3 against the live entry, the mark (both looked up once, before any of C1-C4) and N."""
        if entry is not None and not mutants.on("no-replay-check"):
            width = WIDTH - 1 if mutants.on("stale-width-63") else WIDTH
            edge = counter + width
            if mutants.on("counter-window-u32-wraps"):
                edge &= 0xFFFFFFFF
            if edge <= entry.high:
                raise Rejected(STALE_COUNTER)
            if counter <= entry.high and entry.bitmap >> (entry.high - counter) & 1:
                raise Rejected(REPLAYED)
        # spec: R-REPLAY-7
        if mark is not None and not mutants.on("mark-unchecked"):
            later = step >= mark.step if mutants.on("mark-equal-step-behind") else step > mark.step
            if counter <= mark.high and later:
                raise Rejected(COUNTER_BEHIND)
        if chal is not None and chal.nonce in self.nonces and not mutants.on("challenge-reuse"):
            raise Rejected(CHALLENGE_USED)

    def _limits(self, c, amount):
        """C4: the cap, the numeric ceiling and the ed25519 limits, with exact sums."""
        if mutants.on("amount-u32-truncated"):
            amount &= 0xFFFFFFFF
        if c.mode == code.CAPPED and not mutants.on("cap-unchecked"):  # spec: R-CAP-2
            if amount >= c.cap if mutants.on("cap-edge-inclusive") else amount > c.cap:
                raise Rejected(OVER_CAP)
        if isinstance(c, code.HmacNumeric) and not mutants.on("ceiling-unchecked"):  # spec: R-CAP-3
            if amount > self.params.numeric_ceiling:
                raise Rejected(OVER_CEILING)
        if not isinstance(c, code.Ed25519Qr):
            return
        cred = c.credential
        if amount > cred.limit_payment or self._add_spent(self.spent(cred.serial), amount) > cred.limit_total:
            raise Rejected(OVER_LIMIT)

    def _window(self, step, low, high, kind):
        if mutants.on(f"{kind}-back-edge-wide"):
            low = ssub(low, 1)
        if mutants.on(f"{kind}-back-edge-narrow"):
            low = sadd(low, 1)
        if mutants.on(f"{kind}-forward-edge-wide"):
            high = sadd(high, 1)
        if mutants.on(f"{kind}-forward-edge-narrow"):
            high = ssub(high, 1)
        if step < low:
            raise Rejected(TOO_OLD)
        if step > high:
            raise Rejected(TOO_NEW)

    def _auth_hmac(self, c, step, s_now, digest):
        """H1-H3: the matched account and its real counter, or Rejected."""
        numeric = isinstance(c, code.HmacNumeric)
        if numeric:  # H1: the candidates, in ascending account id, at most M_h
            candidates = self.handles.candidates_numeric(step, c.handle30)
        else:
            candidates = self.handles.candidates_qr(step, c.handle)
        if not candidates and mutants.on("unknown-account-told"):
            raise Rejected(UNKNOWN_ACCOUNT)
        if mutants.on("first-candidate-only"):
            candidates = candidates[:1]
        matched = None  # H2: every candidate's MAC, so the time depends on their number only
        for account_id, h in candidates or [(None, DUMMY_HANDLE)]:
            k_qr, k_num = self.accounts[account_id] if account_id is not None else DUMMY_KEYS
            if numeric:
                counter = c.masked16 ^ h.pad16
                expected = code.tag29(k_num, account_id or 0, step, counter).to_bytes(4, "big")
                ok = code.tags_equal(expected, c.tag29.to_bytes(4, "big"))
            else:
                counter = c.masked ^ h.pad
                expected = code.qr_tag(k_qr, c.handle, step, c.masked, c.mode, c.cap, digest)
                ok = code.tags_equal(expected, c.tag)
            if ok and account_id is not None and matched is None:  # R-HMAC-9: the dummy never matches
                matched = (account_id, counter)
        # H3 (R-HMAC-6): only the numeric form spends and checks budgets.
        if numeric or mutants.on("qr-spends-budget"):
            if matched is not None:
                budget = matched[0]
            elif candidates and not mutants.on("budget-on-matched-only"):
                budget = candidates[0][0]
            else:
                budget = None
            if not (mutants.on("budget-after-mac") and matched is not None):
                self._check_budgets(budget, s_now)
            if matched is None:
                self._charge(budget, s_now)
            elif mutants.on("budget-counts-successes"):
                self._charge(budget, s_now)
        if matched is None:
            raise Rejected(INVALID_CODE)
        return matched

    def _periods(self):
        """(P_acct, P_src) = (⌈86400 / X⌉, ⌈3600 / X⌉) steps (Section 2.1)."""
        x = self.params.x
        return -(-86400 // x), -(-3600 // x)

    def _budget_key(self, account_id):
        return 0 if mutants.on("budget-global") else account_id

    def _t_prime(self, s_now):
        """T' = max(T_hw, s_now), the step the budgets are measured from (R-HMAC-7)."""
        return self._clock_step(s_now) if mutants.on("budget-from-clock") else self.t_hw

    def _clock_step(self, s_now):
        """The step of the clock's own reading, below the time floor or not: only
        the mutants read it; the rules read the verifier time (R-TIME-8)."""
        return self.params.step(self._clock) if self._clock >= self.params.t0 else s_now

    def _exhausted(self, u, n, p, s_now):
        over = ssub(u, self._t_prime(s_now))
        limit = (n - 1) * p
        return over >= limit if mutants.on("budget-off-by-one") else over > limit

    def _check_budgets(self, account_id, s_now):
        """H3: the source's budget, then the budget account's, if any (R-HMAC-7 to R-HMAC-9)."""
        p_acct, p_src = self._periods()
        source = self.sources.get(self.terminal_id, 0)
        if not mutants.on("source-budget-ignored") and self._exhausted(source, N_SRC, p_src, s_now):
            raise Rejected(THROTTLED)
        if account_id is None:
            return
        if self._exhausted(self.budgets.get(self._budget_key(account_id), 0), N_ACCT, p_acct, s_now):
            raise Rejected(THROTTLED)

    def _charge(self, account_id, s_now):
        """A numeric invalid-code charges the source and the budget account, if any: u := max(u, T') ⊕ P."""
        p_acct, p_src = self._periods()
        t = self._t_prime(s_now)
        self.sources[self.terminal_id] = sadd(max(self.sources.get(self.terminal_id, 0), t), p_src)
        if account_id is not None:
            key = self._budget_key(account_id)
            self.budgets[key] = sadd(max(self.budgets.get(key, 0), t), p_acct)

    def _auth_ed25519(self, c, t, digest):
        """E1-E5 (E5 over the challenge digest of a challenge code); returns the credential's not_after."""
        cred = c.credential
        entry = self.trust.get(cred.key_id)  # E1
        if entry is None:
            raise Rejected(UNKNOWN_ISSUER)
        if mutants.on("validity-before-credential-check"):
            self._validity(cred, t)
        if cred.problems(entry):  # E2
            raise Rejected(BAD_CREDENTIAL)
        not_after = cred.not_after()
        if mutants.on("revocation-after-signature"):
            self._validity(cred, t)
            self._signature(c, digest)
            self._revocation(cred, t)
            return not_after
        if mutants.on("expiry-after-revocation"):
            self._revocation(cred, t)
        self._validity(cred, t)  # E3
        self._revocation(cred, t)  # E4
        self._signature(c, digest)  # E5
        return not_after

    def _validity(self, cred, t):
        if t < cred.not_before:  # E3
            raise Rejected(NOT_YET_VALID)
        if t > cred.not_after() and not mutants.on("ignore-expiry"):
            raise Rejected(EXPIRED)

    def _revocation(self, cred, t):
        if cred.serial in self.rl_serials and not mutants.on("ignore-revocation"):  # E4
            raise Rejected(REVOKED)
        # E4, R-REVOKE-4: no list, or t past next_update + grace (exact).
        if mutants.on("ignore-freshness"):
            return
        if self.rl_fresh_until is None:
            raise Rejected(REVOCATION_STALE)
        limit = self.rl_fresh_until + (1 if mutants.on("grace-off-by-one") else 0)
        if t > limit:
            raise Rejected(REVOCATION_STALE)

    def _signature(self, c, digest):
        signing_input = code.ed25519_signing_input(c.head, c.mode, digest)
        if not ed25519.verify(c.credential.device_pk, signing_input, c.device_sig):  # E5
            raise Rejected(INVALID_CODE)

    def _record(self, identity, entry, mark, counter, step):
        """Section 8.3."""
        if mark is None or counter > mark.high or mutants.on("mark-any-counter"):
            self.marks[identity] = Mark(counter, step)
        if entry is None:
            self.entries[identity] = Entry(counter, 1, step)
        elif counter > entry.high:
            shift = counter - entry.high
            if mutants.on("bitmap-shift-short"):
                shift -= 1
            if mutants.on("bitmap-cleared-on-new-top") and step > entry.top:
                shift = WIDTH
            entry.bitmap = 0 if shift >= WIDTH else (entry.bitmap << shift) & U64_MAX
            entry.bitmap |= 1
            entry.high = counter
            entry.top = step if mutants.on("top-overwritten") else max(entry.top, step)
        else:
            entry.bitmap |= 1 << (entry.high - counter)
            entry.top = max(entry.top, step)

    # ------------------------------------------------------------ other transitions

    def install_revocation_list(self, data: bytes, t: int) -> bool:
        """R-REVOKE-2: install only a valid list that is newer at time t."""
        try:
            rl = revocation.decode(data)
        except Rejected:
            return False
        if not revocation.accepted_by(rl, self.trust):
            return False
        t = max(t, self.floor())
        if not revocation.newer(rl.number, rl.issued_at, self.rl_number, self.rl_issued_at, t, self.params.x):
            return False
        self._take(rl, data)
        return True

    def install_trust_list(self, data: bytes, t: int) -> bool:
        """R-TRUST-3, R-TRUST-4: install only a list signed by the root key and newer at time t;
        a refused list changes nothing, an installed one replaces the installed one."""
        try:
            tl = trust.decode(data)
        except Rejected:
            return False
        if self.root is None or not tl.signature_valid(self.root):
            return False
        if not self._trust_newer(tl, t):
            return False
        self.trust, self.tl_sequence, self.tl_issued_at = tl.entries, tl.sequence, tl.issued_at
        self._recheck_revocation_list()
        return True

    def _trust_newer(self, tl, t) -> bool:
        """R-TRUST-4: the newer test of R-REVOKE-2, against the installed trust list."""
        newest = self.tl_sequence
        if mutants.on("trust-sequence-unchecked"):
            newest = -1
        if tl.sequence <= newest:
            return False
        minutes = max(tl.issued_at - self.tl_issued_at, 0) // 60
        if tl.sequence > self.tl_sequence + 1 + minutes and not mutants.on("trust-jump-unbounded"):
            return False
        if tl.issued_at < self.tl_issued_at:
            return False
        return tl.issued_at <= t + self.params.x or mutants.on("trust-from-the-future")

    def _recheck_revocation_list(self):
        """R-REVOKE-6: the installed revocation list is checked again under the new trust list;
        one that fails is uninstalled, its number and issue time kept as the floor of R-REVOKE-2."""
        if self.rl_bytes is None or mutants.on("trust-list-no-recheck"):
            return
        rl = revocation.decode(self.rl_bytes)
        if revocation.accepted_by(rl, self.trust) and not mutants.on("recheck-drops-every-list"):
            return
        self.rl_fresh_until, self.rl_serials, self.rl_bytes = None, frozenset(), None
        if mutants.on("recheck-forgets-floor"):
            self.rl_number, self.rl_issued_at = 0, 0

    def restart(self, lost: bool, t: int):
        """restart-with-state keeps σ, budgets included (R-STATE-6); restart-lost-state (Section 8.6) quarantines."""
        if not lost:
            if mutants.on("budget-volatile"):
                self.budgets, self.sources = {}, {}
            return
        if not mutants.on("floor-ignored-at-restart"):
            t = max(t, self.floor(kept_only=True))  # R-TIME-8: the list and the log survive
        s = self.params.step(t)
        self.entries, self.marks, self.budgets, self.sources, self.ledger, self.nonces = {}, {}, {}, {}, {}, {}
        self.t_hw = s
        if mutants.on("quarantine-wraps"):
            self.q = (s + self.params.forward + 1) % 2**64
        elif mutants.on("quarantine-one-short"):
            self.q = sadd(s, self.params.forward)
        else:
            self.q = sadd(sadd(s, self.params.forward), 1)
