//! The stateful part of the acceptance predicate (spec §7.4 steps H0, H2, H3,
//! E4, E5 and C1-C5, §8.2, §8.3): one identity's records in, the verdict and the
//! changes out. Every state store runs this same decision inside its atomic
//! step, so that the verdicts do not depend on where the state lives.

use crate::challenge::UsedChallenge;
use crate::errors::Error;
use crate::log::LogRecord;
use crate::replay::window::Window;
use crate::store::{Changes, Mark, Records, Spent};
use crate::time::Params;

/// A numeric failure budget's shape: `capacity` failures at once, and one
/// more forgiven every `period` steps (spec: R-HMAC-7, R-HMAC-8). Its state
/// is one step `u`, a leaky bucket's theoretical arrival time (GCRA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Failures the budget allows at once: `N`.
    pub capacity: u64,
    /// Steps after which one failure is forgiven: `P`.
    pub period: u64,
}

/// An account's numeric failures allowed at once (spec: R-HMAC-7).
pub const ACCOUNT_CAPACITY: u64 = 4;
/// A source's numeric failures allowed at once (spec: R-HMAC-8).
pub const SOURCE_CAPACITY: u64 = 64;

impl Budget {
    /// The account budget under `params`: `N = 4`, `P = ⌈86400 / X⌉` (spec: R-HMAC-7).
    pub const fn account(params: &Params) -> Budget {
        Budget { capacity: ACCOUNT_CAPACITY, period: 86_400_u64.div_ceil(params.step_secs()) }
    }

    /// The source budget under `params`: `N_src = 64`, `P_src = ⌈3600 / X⌉` (spec: R-HMAC-8).
    pub const fn source(params: &Params) -> Budget {
        Budget { capacity: SOURCE_CAPACITY, period: 3_600_u64.div_ceil(params.step_secs()) }
    }

    /// Whether a budget at `u` is exhausted at step `t`: `u ⊖ t > (N − 1)·P`,
    /// exact (the product is at most 63 · 86400).
    pub const fn exhausted(&self, u: u64, t: u64) -> bool {
        u.saturating_sub(t) > (self.capacity - 1) * self.period
    }

    /// `u` after one failure is charged at step `t`: `max(u, t) ⊕ P`.
    pub const fn charge(&self, u: u64, t: u64) -> u64 {
        let base = if u > t { u } else { t };
        base.saturating_add(self.period)
    }
}

/// What an ed25519 acceptance must also satisfy and record: the amount
/// against the credential's limits (spec: R-LIMIT-1, R-LIMIT-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spend {
    /// Amount of this payment.
    pub amount: u64,
    /// The credential's per-payment limit.
    pub per_payment_limit: u64,
    /// The credential's cumulative limit at this verifier.
    pub cumulative_limit: u64,
    /// The credential's `not_after`, which decides when the ledger entry may go.
    pub not_after: u64,
}

/// A bound on the amount that the code's form or mode sets: a capped code's
/// cap (`over-cap`), or the numeric ceiling (`over-ceiling`) (spec: R-CAP-2, R-CAP-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// Amount of this payment.
    pub amount: u64,
    /// The largest amount allowed.
    pub limit: u64,
    /// The verdict for an amount above it.
    pub error: Error,
}

/// A challenge code's claim on the nonce set (spec: R-CHAL-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChallengeClaim {
    /// What an acceptance records.
    pub used: UsedChallenge,
    /// The challenge's `issued_at`.
    pub issued_at: u64,
}

/// How the code was authenticated before its state is read.
pub(crate) enum Proof<'a> {
    /// hmac QR form: the MAC check (H3); never throttled (spec: R-HMAC-6).
    Mac(&'a dyn Fn() -> bool),
    /// hmac numeric form: the MAC check's answer, used only if neither the
    /// source's nor the budget account's budget is exhausted (H3). A code
    /// with no candidate fails it and charges the source alone (spec:
    /// R-HMAC-9, R-HANDLE-4).
    Guess(&'a dyn Fn() -> bool),
    /// ed25519: whether the device signature is valid (E5), checked after revocation (E4).
    Signature(bool),
    /// Authenticated already, with no throttle or revocation to consult.
    Checked,
}

/// One code's claim on its identity's state.
pub(crate) struct Attempt<'a> {
    /// The code's step.
    pub step: u64,
    /// The code's counter.
    pub counter: u32,
    /// The verifier's step `s_now = T(t)`.
    pub now: u64,
    /// The verifier's time `t`.
    pub time: u64,
    /// How the code is authenticated.
    pub proof: Proof<'a>,
    /// Whether a numeric code has a budget account, the identity's, whose
    /// budget it spends beside the source's (spec: R-HANDLE-4).
    pub account_budget: bool,
    /// The amount and limits (ed25519).
    pub spend: Option<Spend>,
    /// The cap or the numeric ceiling, if the code has one.
    pub bound: Option<Bound>,
    /// The challenge, for a challenge code.
    pub challenge: Option<ChallengeClaim>,
    /// The log record to append on acceptance.
    pub record: Option<&'a LogRecord>,
}

/// Decides `attempt` on `records`: the verdict, and what to write back.
pub(crate) fn decide<'a>(
    params: &Params,
    attempt: &Attempt<'a>,
    records: &Records,
) -> (Result<(), Error>, Changes<'a>) {
    let mut verdict = Ok(());
    let changes = decide_into(params, attempt, records, &mut verdict);
    (verdict, changes)
}

/// [`decide`], with the verdict written to `verdict`, so that the changes
/// go straight to the store that applies them, not through a pair.
pub(crate) fn decide_into<'a>(
    params: &Params,
    attempt: &Attempt<'a>,
    records: &Records,
    verdict: &mut Result<(), Error>,
) -> Changes<'a> {
    // spec: R-TIME-5 (V0): every call raises T_hw, whatever its verdict.
    let high_water = records.high_water.max(attempt.now);
    let mut changes = Changes { high_water, ..Changes::default() };
    *verdict = check(params, attempt, records, high_water, &mut changes);
    if verdict.is_ok() {
        changes.record = attempt.record;
        changes.counter = attempt.record.map(|_| attempt.counter);
    }
    changes
}

fn check(
    params: &Params,
    a: &Attempt<'_>,
    r: &Records,
    high_water: u64,
    changes: &mut Changes<'_>,
) -> Result<(), Error> {
    let (low, high) = params.window(a.now, high_water);
    // spec: R-HANDLE-3 (H0): an hmac code's window comes before its MAC and
    // budgets, so a code outside it is too-old or too-new whatever its tag,
    // and charges nothing.
    if matches!(a.proof, Proof::Mac(_) | Proof::Guess(_)) {
        window(a.step, low, high)?;
    }
    match a.proof {
        Proof::Mac(authentic) => {
            // spec: R-HMAC-6 (H3): a QR failure spends no budget.
            if !authentic() {
                return Err(Error::InvalidCode);
            }
        }
        Proof::Guess(authentic) => {
            // spec: R-HMAC-7, R-HMAC-8 (H2): the source's budget first, then
            // the account's, both against T' so that the clock going back
            // forgives nothing.
            // spec: R-HANDLE-4: a code with no candidate has no budget account.
            let (source, account) = (Budget::source(params), Budget::account(params));
            let account_exhausted = a.account_budget && account.exhausted(r.budget, high_water);
            if source.exhausted(r.source_budget, high_water) || account_exhausted {
                return Err(Error::Throttled);
            }
            // H3: a failure keeps the reservations; a match returns them,
            // which leaves every later verdict as if nothing was reserved.
            if !authentic() {
                changes.source_budget = Some(source.charge(r.source_budget, high_water));
                if a.account_budget {
                    changes.budget = Some(account.charge(r.budget, high_water));
                }
                return Err(Error::InvalidCode);
            }
        }
        Proof::Signature(valid) => {
            // spec: R-REVOKE-3 (E4), then R-ED-5 (E5)
            if r.revoked {
                return Err(Error::Revoked);
            }
            // spec: R-REVOKE-4 (E4): no list, or one past next_update + grace.
            if r.fresh_until.is_none_or(|f| a.time > f) {
                return Err(Error::RevocationStale);
            }
            if !valid {
                return Err(Error::InvalidCode);
            }
        }
        Proof::Checked => {}
    }
    // spec: R-TIME-4 (C1)
    window(a.step, low, high)?;
    // spec: R-REPLAY-5 (C2)
    if a.step < r.quarantine {
        return Err(Error::StateUnavailable);
    }
    // spec: R-CHAL-4 (C2): after a loss (Q > 0), a challenge issued before
    // T0 + (Q + 1)·X; or one closed before the start of step T': its nonce
    // may have been forgotten.
    if let Some(ch) = a.challenge {
        let issued = u128::from(ch.issued_at);
        let lost =
            r.quarantine > 0 && issued < params.step_start(r.quarantine) + u128::from(params.step_secs());
        if lost || params.step_start(high_water) > issued + u128::from(params.challenge_lifetime()) {
            return Err(Error::StateUnavailable);
        }
    }
    // spec: R-REPLAY-2, R-REPLAY-4 (C3): an entry that is not live is absent.
    let live = r.window.filter(|w| w.top >= low);
    if let Some(w) = live {
        w.check(a.counter)?;
    }
    // spec: R-REPLAY-7 (C3): the mark outlives the window.
    if r.mark.is_some_and(|m| m.is_behind(a.counter, a.step)) {
        return Err(Error::CounterBehind);
    }
    // spec: R-CHAL-4 (C3)
    if a.challenge.is_some() && r.challenge_used {
        return Err(Error::ChallengeUsed);
    }
    // spec: R-CAP-2, R-CAP-3 (C4)
    if let Some(b) = a.bound
        && b.amount > b.limit
    {
        return Err(b.error);
    }
    // spec: R-LIMIT-1, R-LIMIT-2 (C4), exact
    if let Some(sp) = a.spend {
        let before = r.spent.map_or(0, |s| s.total);
        match before.checked_add(sp.amount) {
            Some(total) if sp.amount <= sp.per_payment_limit && total <= sp.cumulative_limit => {
                changes.spent = Some(Spent { total, not_after: sp.not_after });
            }
            _ => return Err(Error::OverLimit),
        }
    }
    // C5: record the counter (spec §8.3).
    changes.window = Some(match live {
        Some(mut w) => {
            w.record(a.counter, a.step);
            w
        }
        None => Window::first(a.counter, a.step),
    });
    if r.mark.is_none_or(|m| a.counter > m.counter) {
        let until = a.spend.map(|sp| sp.not_after);
        changes.mark = Some(Mark { counter: a.counter, step: a.step, until });
    }
    changes.challenge = a.challenge.map(|c| c.used);
    Ok(())
}

/// C1: `too-old` below the window `[low, high]`, `too-new` above it (spec: R-TIME-4).
const fn window(step: u64, low: u64, high: u64) -> Result<(), Error> {
    if step < low {
        Err(Error::TooOld)
    } else if step > high {
        Err(Error::TooNew)
    } else {
        Ok(())
    }
}

/// What may be forgotten once `T_hw` is `high_water` at step `now` (spec:
/// R-REPLAY-4, R-LIMIT-2, R-HMAC-7).
pub(crate) fn eviction(params: &Params, now: u64, high_water: u64) -> crate::store::Eviction {
    let (low, _) = params.window(now, high_water);
    crate::store::Eviction {
        window_below: low,
        ledger_below: ledger_horizon(params, low),
        budgets_through: high_water.max(now),
        nonces_closed_before: u64::try_from(params.step_start(high_water.max(now))).unwrap_or(u64::MAX),
    }
}

/// A ledger entry matters while a code of its credential can still be
/// accepted: acceptance needs `t >= T0 + (L - F) * X`, and `t <= not_after` (spec: R-LIMIT-2).
pub(crate) const fn ledger_horizon(params: &Params, low: u64) -> u64 {
    low.saturating_sub(params.forward()).saturating_mul(params.step_secs()).saturating_add(params.t0())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 100;

    /// The log record every attempt here carries.
    static RECORD: std::sync::LazyLock<LogRecord> = std::sync::LazyLock::new(|| {
        let code = crate::code::HmacCode::new(1u64.to_be_bytes(), NOW, 0, [0; 16]);
        LogRecord::new(&crate::code::Code::Hmac(code), NOW, 0, 0, 0, None).unwrap()
    });

    fn attempt(step: u64, counter: u32, proof: Proof<'_>) -> Attempt<'_> {
        Attempt {
            step,
            counter,
            now: NOW,
            time: NOW * 60,
            proof,
            account_budget: true,
            spend: None,
            bound: None,
            challenge: None,
            record: Some(&RECORD),
        }
    }

    #[test]
    fn a_fresh_identity_is_accepted_and_recorded() {
        let p = Params::default();
        let (v, c) = decide(&p, &attempt(NOW, 5, Proof::Checked), &Records::default());
        assert_eq!(v, Ok(()));
        assert_eq!(c.window, Some(Window::first(5, NOW)));
        assert_eq!(c.high_water, NOW);
        assert_eq!(c.record, Some(&*RECORD));
    }

    #[test]
    fn a_rejection_only_raises_the_high_water_step() {
        let p = Params::default();
        let r = Records { window: Some(Window::first(5, NOW)), high_water: 90, ..Records::default() };
        let (v, c) = decide(&p, &attempt(NOW, 5, Proof::Checked), &r);
        assert_eq!(v, Err(Error::Replayed));
        assert_eq!(c, Changes { high_water: NOW, ..Changes::default() });
    }

    #[test]
    fn a_dead_window_is_absent() {
        let p = Params::default();
        // top = NOW - 3 < L = NOW - 2: the old window guards nothing any more.
        let r = Records { window: Some(Window::first(5, NOW - 3)), ..Records::default() };
        let (v, c) = decide(&p, &attempt(NOW, 5, Proof::Checked), &r);
        assert_eq!(v, Ok(()));
        assert_eq!(c.window, Some(Window::first(5, NOW)));
    }

    #[test]
    fn a_numeric_failure_budget_allows_four_then_one_a_day() {
        let p = Params::default();
        let fail: &dyn Fn() -> bool = &|| false;
        let pass: &dyn Fn() -> bool = &|| true;
        let guess = |authentic, _known: bool| Proof::Guess(authentic);
        // P = 1440 steps at X = 60; the fourth failure leaves u = NOW + 4·1440.
        let mut r = Records { high_water: NOW, ..Records::default() };
        for i in 1..=4u64 {
            let (v, c) = decide(&p, &attempt(NOW, 1, guess(fail, true)), &r);
            assert_eq!(v, Err(Error::InvalidCode));
            assert_eq!(c.budget, Some(NOW + i * 1440));
            assert_eq!(c.source_budget, Some(NOW + i * 60));
            r.apply(&c);
        }
        assert_eq!(decide(&p, &attempt(NOW, 1, guess(pass, true)), &r).0, Err(Error::Throttled));
        // One failure is forgiven 1440 steps later, and not one step earlier.
        let later = |now| Records { high_water: now, ..r };
        let mut a = attempt(NOW + 1439, 1, guess(pass, true));
        a.now = NOW + 1439;
        assert_eq!(decide(&p, &a, &later(NOW + 1439)).0, Err(Error::Throttled));
        let mut a = attempt(NOW + 1440, 1, guess(pass, true));
        a.now = NOW + 1440;
        assert_eq!(decide(&p, &a, &later(NOW + 1440)).0, Ok(()));
        // A QR code is never throttled and spends nothing (spec: R-HMAC-6).
        assert_eq!(decide(&p, &attempt(NOW, 2, Proof::Mac(pass)), &r).0, Ok(()));
        let (v, c) = decide(&p, &attempt(NOW, 2, Proof::Mac(fail)), &r);
        assert_eq!((v, c.budget, c.source_budget), (Err(Error::InvalidCode), None, None));
    }

    #[test]
    fn an_exhausted_source_throttles_every_numeric_code_through_it() {
        let p = Params::default();
        let pass: &dyn Fn() -> bool = &|| true;
        let r = Records { source_budget: NOW + 64 * 60, ..Records::default() };
        assert_eq!(decide(&p, &attempt(NOW, 1, Proof::Guess(pass)), &r).0, Err(Error::Throttled));
        let r = Records { source_budget: NOW + 63 * 60, ..Records::default() };
        assert_eq!(decide(&p, &attempt(NOW, 1, Proof::Guess(pass)), &r).0, Ok(()));
        // The clock going back (s_now below T_hw) forgives nothing: T' is T_hw.
        let r = Records { high_water: NOW + 10, source_budget: NOW + 10 + 64 * 60, ..Records::default() };
        let mut a = attempt(NOW + 9, 1, Proof::Guess(pass));
        a.now = NOW + 9;
        assert_eq!(decide(&p, &a, &r).0, Err(Error::Throttled));
    }

    #[test]
    fn an_hmac_window_comes_before_the_mac_and_the_budgets() {
        let p = Params::default();
        let fail: &dyn Fn() -> bool = &|| false;
        // T_hw = NOW + 3 with s_now = NOW: L = NOW + 1, U = NOW + 1.
        let exhausted = Records {
            high_water: NOW + 3,
            source_budget: NOW + 3 + 64 * 60,
            budget: NOW + 3 + 4 * 1440,
            ..Records::default()
        };
        for (step, error) in [(NOW, Error::TooOld), (NOW + 2, Error::TooNew)] {
            let mut a = attempt(step, 1, Proof::Guess(fail));
            a.now = NOW;
            let (v, c) = decide(&p, &a, &exhausted);
            assert_eq!((v, c.budget, c.source_budget), (Err(error), None, None));
            a.proof = Proof::Mac(fail);
            assert_eq!(decide(&p, &a, &exhausted).0, Err(error));
        }
        // In the window the same code is throttled, and with budgets left it is charged.
        let mut a = attempt(NOW + 1, 1, Proof::Guess(fail));
        a.now = NOW;
        assert_eq!(decide(&p, &a, &exhausted).0, Err(Error::Throttled));
        let (v, c) = decide(&p, &a, &Records { high_water: NOW + 3, ..Records::default() });
        assert_eq!((v, c.budget), (Err(Error::InvalidCode), Some(NOW + 3 + 1440)));
    }

    #[test]
    fn revocation_comes_before_the_signature_and_the_window() {
        let p = Params::default();
        let fresh = Some(NOW * 60);
        let r = Records { revoked: true, fresh_until: fresh, ..Records::default() };
        assert_eq!(decide(&p, &attempt(0, 1, Proof::Signature(false)), &r).0, Err(Error::Revoked));
        let r = Records { fresh_until: fresh, ..Records::default() };
        assert_eq!(decide(&p, &attempt(0, 1, Proof::Signature(false)), &r).0, Err(Error::InvalidCode));
        assert_eq!(decide(&p, &attempt(0, 1, Proof::Signature(true)), &r).0, Err(Error::TooOld));
    }

    #[test]
    fn a_missing_or_stale_revocation_list_rejects_before_the_signature() {
        let p = Params::default();
        // No list installed.
        let none = Records::default();
        assert_eq!(
            decide(&p, &attempt(NOW, 1, Proof::Signature(true)), &none).0,
            Err(Error::RevocationStale)
        );
        // Fresh through next_update + grace inclusive, stale one second later.
        let edge = Records { fresh_until: Some(NOW * 60), ..Records::default() };
        assert_eq!(decide(&p, &attempt(NOW, 1, Proof::Signature(true)), &edge).0, Ok(()));
        let stale = Records { fresh_until: Some(NOW * 60 - 1), ..Records::default() };
        assert_eq!(
            decide(&p, &attempt(NOW, 1, Proof::Signature(false)), &stale).0,
            Err(Error::RevocationStale)
        );
        // A listed serial stays revoked when the list is stale.
        let listed = Records { revoked: true, ..stale };
        assert_eq!(decide(&p, &attempt(NOW, 1, Proof::Signature(true)), &listed).0, Err(Error::Revoked));
        // hmac codes do not consult it.
        assert_eq!(decide(&p, &attempt(NOW, 1, Proof::Checked), &none).0, Ok(()));
    }

    fn claim(issued_at: u64) -> ChallengeClaim {
        ChallengeClaim { used: UsedChallenge { nonce: [7; 16], closes: issued_at + 120 }, issued_at }
    }

    #[test]
    fn a_challenge_is_used_once_and_recorded_with_the_acceptance() {
        let p = Params::default();
        let t = NOW * 60;
        let mut a = attempt(NOW, 1, Proof::Checked);
        a.challenge = Some(claim(t));
        let (v, c) = decide(&p, &a, &Records::default());
        assert_eq!(v, Ok(()));
        assert_eq!(c.challenge, Some(claim(t).used));
        let used = Records { challenge_used: true, ..Records::default() };
        let (v, c) = decide(&p, &a, &used);
        assert_eq!(v, Err(Error::ChallengeUsed));
        assert_eq!(c.challenge, None);
        // A code without a challenge ignores the flag.
        assert_eq!(decide(&p, &attempt(NOW, 1, Proof::Checked), &used).0, Ok(()));
        // A rejection records no nonce.
        let r = Records { window: Some(Window::first(1, NOW)), ..Records::default() };
        let (v, c) = decide(&p, &a, &r);
        assert_eq!(v, Err(Error::Replayed));
        assert_eq!(c.challenge, None);
    }

    #[test]
    fn a_challenge_the_verifier_may_have_forgotten_is_state_unavailable() {
        let p = Params::default();
        let t = NOW * 60;
        let mut a = attempt(NOW, 1, Proof::Checked);
        // After a loss, Q at the code's step: issued before T0 + (Q + 1)·X = t + 60.
        a.challenge = Some(claim(t + 59));
        let quarantined = Records { quarantine: NOW, ..Records::default() };
        assert_eq!(decide(&p, &a, &quarantined).0, Err(Error::StateUnavailable));
        a.challenge = Some(claim(t + 60));
        assert_eq!(decide(&p, &a, &quarantined).0, Ok(()));
        // Closed before the start of step T' = max(T_hw, s_now) = NOW + 3,
        // which is t + 180; the code's step NOW + 1 is in the window.
        let ahead = Records { high_water: NOW + 3, ..Records::default() };
        a.step = NOW + 1;
        a.challenge = Some(claim(t + 59));
        assert_eq!(decide(&p, &a, &ahead).0, Err(Error::StateUnavailable));
        a.challenge = Some(claim(t + 60));
        assert_eq!(decide(&p, &a, &ahead).0, Ok(()));
    }

    #[test]
    fn a_bound_is_checked_after_replay_and_before_the_limits() {
        let p = Params::default();
        let mut a = attempt(NOW, 1, Proof::Checked);
        a.bound = Some(Bound { amount: 11, limit: 10, error: Error::OverCap });
        a.spend = Some(Spend { amount: 11, per_payment_limit: 5, cumulative_limit: 5, not_after: 9 });
        assert_eq!(decide(&p, &a, &Records::default()).0, Err(Error::OverCap));
        a.bound = Some(Bound { amount: 10, limit: 10, error: Error::OverCap });
        assert_eq!(decide(&p, &a, &Records::default()).0, Err(Error::OverLimit));
        a.spend = None;
        assert_eq!(decide(&p, &a, &Records::default()).0, Ok(()));
        let r = Records { window: Some(Window::first(1, NOW)), ..Records::default() };
        a.bound = Some(Bound { amount: 11, limit: 10, error: Error::OverCeiling });
        assert_eq!(decide(&p, &a, &r).0, Err(Error::Replayed));
        assert_eq!(decide(&p, &a, &Records::default()).0, Err(Error::OverCeiling));
    }

    #[test]
    fn limits_are_exact() {
        let p = Params::default();
        let spend = |amount| Spend { amount, per_payment_limit: 10, cumulative_limit: 25, not_after: 9 };
        let r = Records { spent: Some(Spent { total: 20, not_after: 9 }), ..Records::default() };
        let mut a = attempt(NOW, 1, Proof::Checked);
        a.spend = Some(spend(6));
        assert_eq!(decide(&p, &a, &r).0, Err(Error::OverLimit));
        a.spend = Some(spend(5));
        let (v, c) = decide(&p, &a, &r);
        assert_eq!(v, Ok(()));
        assert_eq!(c.spent, Some(Spent { total: 25, not_after: 9 }));
        a.spend = Some(Spend {
            amount: u64::MAX,
            per_payment_limit: u64::MAX,
            cumulative_limit: u64::MAX,
            not_after: 0,
        });
        assert_eq!(decide(&p, &a, &r).0, Err(Error::OverLimit));
    }
}
