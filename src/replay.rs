//! Replay state: per identity a sliding window over counters (RFC 4303
//! §3.4.3 style: highest accepted counter plus a 64-bit bitmap), with the
//! time rules that decide when it may be forgotten (spec §8).
//!
//! [`ReplayState`] is safe to share between threads: the check and the
//! record for one identity happen under one lock (spec: R-REPLAY-3).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::{Error, Params};

/// Width of the replay bitmap `W` (spec: R-REPLAY-2).
pub const WINDOW: u32 = 64;
/// `invalid-code` verdicts per account and step before `throttled` (spec: R-HMAC-6).
pub const MAX_FAILURES_PER_STEP: u32 = 8;
const SHARDS: usize = 16;

/// The replay window of one identity (hmac account or ed25519 serial):
/// highest accepted counter `H`, bitmap (bit `i` set: counter `H - i` was
/// accepted), and `top`, the highest step among accepted codes (spec: R-REPLAY-2, R-REPLAY-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Highest accepted counter `H`.
    pub high: u32,
    /// Bit `i` set: counter `H - i` was accepted. Bit 0 is always set.
    pub bitmap: u64,
    /// Highest step among the accepted codes.
    pub top: u64,
}

impl Window {
    /// The window after accepting only `counter` in `step`.
    pub const fn first(counter: u32, step: u64) -> Window {
        Window { high: counter, bitmap: 1, top: step }
    }

    /// Whether `counter` may be accepted: [`Error::StaleCounter`] below the
    /// window, [`Error::Replayed`] if already accepted (spec: R-REPLAY-1, R-REPLAY-2).
    ///
    /// # Errors
    ///
    /// As above.
    pub const fn check(&self, counter: u32) -> Result<(), Error> {
        if counter > self.high {
            return Ok(());
        }
        let behind = self.high - counter;
        if behind >= WINDOW {
            Err(Error::StaleCounter)
        } else if self.bitmap & (1u64 << behind) != 0 {
            Err(Error::Replayed)
        } else {
            Ok(())
        }
    }

    /// Records `counter` in `step` as accepted; call only after [`Window::check`] passed.
    pub const fn record(&mut self, counter: u32, step: u64) {
        if counter > self.high {
            let ahead = counter - self.high;
            self.bitmap = if ahead >= WINDOW { 1 } else { (self.bitmap << ahead) | 1 };
            self.high = counter;
        } else {
            let behind = self.high - counter;
            if behind < WINDOW {
                self.bitmap |= 1u64 << behind;
            }
        }
        if step > self.top {
            self.top = step;
        }
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

/// The ledger entry of one credential: total accepted here and its expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spent {
    /// Sum of the amounts accepted.
    pub total: u64,
    /// The credential's `not_after`.
    pub not_after: u64,
}

#[derive(Default)]
struct Shard {
    windows: HashMap<u64, Window>,
    spent: HashMap<u64, Spent>,
    throttle: HashMap<u64, (u64, u32)>,
    swept_low: u64,
}

/// Replay state of one profile at one verifier: the windows, the spend ledger,
/// the throttle counters, the high-water step `T_hw` and the quarantine floor `Q`.
pub struct ReplayState {
    params: Params,
    shards: Box<[Mutex<Shard>]>,
    high_water: AtomicU64,
    quarantine: u64,
}

/// A serializable copy of a [`ReplayState`], for durable storage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The high-water step `T_hw`.
    pub high_water: u64,
    /// The quarantine floor `Q`.
    pub quarantine: u64,
    /// Windows by identity, sorted.
    pub windows: Vec<(u64, Window)>,
    /// Ledger by serial, sorted.
    pub spent: Vec<(u64, Spent)>,
}

impl ReplayState {
    /// Empty state of a verifier that has never accepted a code.
    pub fn new(params: Params) -> ReplayState {
        ReplayState::with_floor(params, 0, 0)
    }

    /// Empty state of a verifier that lost its state, restarted at step `now`:
    /// codes of steps below `now + F + 1` get [`Error::StateUnavailable`]
    /// (spec: R-REPLAY-5).
    pub fn after_loss(params: Params, now: u64) -> ReplayState {
        let q = now.saturating_add(params.forward()).saturating_add(1);
        ReplayState::with_floor(params, now, q)
    }

    /// State restored from a snapshot.
    pub fn restore(params: Params, snap: &Snapshot) -> ReplayState {
        let state = ReplayState::with_floor(params, snap.high_water, snap.quarantine);
        for &(id, w) in &snap.windows {
            if let Ok(mut s) = state.shard(id) {
                s.windows.insert(id, w);
            }
        }
        for &(id, sp) in &snap.spent {
            if let Ok(mut s) = state.shard(id) {
                s.spent.insert(id, sp);
            }
        }
        state
    }

    fn with_floor(params: Params, high_water: u64, quarantine: u64) -> ReplayState {
        ReplayState {
            params,
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            high_water: AtomicU64::new(high_water),
            quarantine,
        }
    }

    /// Raises `T_hw` to `now` (spec: R-TIME-5); every verification starts here.
    pub fn observe(&self, now: u64) {
        self.high_water.fetch_max(now, Ordering::AcqRel);
    }

    /// The high-water step `T_hw`.
    pub fn high_water(&self) -> u64 {
        self.high_water.load(Ordering::Acquire)
    }

    /// The quarantine floor `Q`.
    pub const fn quarantine(&self) -> u64 {
        self.quarantine
    }

    /// Steps C1-C5 for a code already authenticated: time window, quarantine,
    /// replay, limits; on success records the counter (and the amount)
    /// atomically (spec: R-TIME-4, R-REPLAY-3, R-VERIFY-3).
    ///
    /// # Errors
    ///
    /// `too-old`, `too-new`, `state-unavailable`, `stale-counter`, `replayed`,
    /// `over-limit`, in that order.
    pub fn admit(
        &self,
        id: u64,
        step: u64,
        counter: u32,
        now: u64,
        spend: Option<Spend>,
    ) -> Result<(), Error> {
        let mut shard = self.shard(id)?;
        // T_hw is read under the lock, after any eviction that used it, so an
        // evicted window's codes are already too old here (spec: R-REPLAY-4).
        let (low, high) = self.params.window(now, self.high_water());
        self.sweep(&mut shard, low);
        if step < low {
            return Err(Error::TooOld);
        }
        if step > high {
            return Err(Error::TooNew);
        }
        if step < self.quarantine {
            return Err(Error::StateUnavailable);
        }
        let window = shard.windows.get(&id).copied();
        if let Some(w) = window {
            w.check(counter)?;
        }
        let mut total = None;
        if let Some(sp) = spend {
            // spec: R-LIMIT-1, R-LIMIT-2
            let before = shard.spent.get(&id).map_or(0, |s| s.total);
            match before.checked_add(sp.amount) {
                Some(t) if sp.amount <= sp.per_payment_limit && t <= sp.cumulative_limit => {
                    total = Some(Spent { total: t, not_after: sp.not_after });
                }
                _ => return Err(Error::OverLimit),
            }
        }
        let mut w = window.unwrap_or(Window::first(counter, step));
        w.record(counter, step);
        shard.windows.insert(id, w);
        if let Some(t) = total {
            shard.spent.insert(id, t);
        }
        Ok(())
    }

    /// Step H2: reserves one MAC attempt for `account` in step `now`, or
    /// returns [`Error::Throttled`] (spec: R-HMAC-6).
    ///
    /// # Errors
    ///
    /// `throttled`, or `state-unavailable` if the state is unusable.
    pub fn reserve_attempt(&self, account: u64, now: u64) -> Result<(), Error> {
        let mut shard = self.shard(account)?;
        let entry = shard.throttle.entry(account).or_insert((now, 0));
        if entry.0 != now {
            *entry = (now, 0);
        }
        if entry.1 >= MAX_FAILURES_PER_STEP {
            return Err(Error::Throttled);
        }
        entry.1 += 1;
        Ok(())
    }

    /// Returns an attempt reserved by [`ReplayState::reserve_attempt`] whose MAC verified.
    pub fn release_attempt(&self, account: u64, now: u64) {
        if let Ok(mut shard) = self.shard(account)
            && let Some(e) = shard.throttle.get_mut(&account)
        {
            if e.0 == now {
                e.1 = e.1.saturating_sub(1);
            }
            if e.1 == 0 {
                shard.throttle.remove(&account);
            }
        }
    }

    /// Drops every window and ledger entry that can no longer matter at step
    /// `now` (spec: R-REPLAY-4, R-LIMIT-2).
    pub fn evict(&self, now: u64) {
        self.observe(now);
        let (low, _) = self.params.window(now, self.high_water());
        for m in self.shards.iter() {
            if let Ok(mut s) = m.lock() {
                s.swept_low = 0;
                self.sweep(&mut s, low);
                // A throttle record counts only in its own step (spec: R-HMAC-6).
                // Records of other steps go here, at a time the caller chooses,
                // and not in the sweeps of `admit`: those touch one shard, so
                // a verdict would depend on which identities share it.
                s.throttle.retain(|_, t| t.0 == now);
            }
        }
    }

    /// The window of `id`, if any.
    pub fn window(&self, id: u64) -> Option<Window> {
        self.shard(id).ok().and_then(|s| s.windows.get(&id).copied())
    }

    /// The ledger entry of `id`, if any.
    pub fn spent(&self, id: u64) -> Option<Spent> {
        self.shard(id).ok().and_then(|s| s.spent.get(&id).copied())
    }

    /// Number of identities with a window.
    pub fn len(&self) -> usize {
        self.shards.iter().filter_map(|m| m.lock().ok()).map(|s| s.windows.len()).sum()
    }

    /// Whether no identity has a window.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy for durable storage.
    pub fn snapshot(&self) -> Snapshot {
        let mut snap =
            Snapshot { high_water: self.high_water(), quarantine: self.quarantine, ..Snapshot::default() };
        for m in self.shards.iter() {
            if let Ok(s) = m.lock() {
                snap.windows.extend(s.windows.iter().map(|(k, v)| (*k, *v)));
                snap.spent.extend(s.spent.iter().map(|(k, v)| (*k, *v)));
            }
        }
        snap.windows.sort_unstable_by_key(|e| e.0);
        snap.spent.sort_unstable_by_key(|e| e.0);
        snap
    }

    fn shard(&self, id: u64) -> Result<MutexGuard<'_, Shard>, Error> {
        // Fibonacci hashing spreads sequential ids over the shards.
        let i = (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 60) as usize % SHARDS;
        self.shards.get(i).ok_or(Error::StateUnavailable)?.lock().map_err(|_| Error::StateUnavailable)
    }

    fn sweep(&self, shard: &mut Shard, low: u64) {
        if low <= shard.swept_low {
            return;
        }
        shard.swept_low = low;
        shard.windows.retain(|_, w| w.top >= low);
        // A ledger entry matters while a code of its credential can still be
        // accepted: acceptance needs t >= T0 + (L - F) * X, and t <= not_after.
        let horizon = low
            .saturating_sub(self.params.forward())
            .saturating_mul(self.params.step_secs())
            .saturating_add(self.params.t0());
        shard.spent.retain(|_, s| s.not_after >= horizon);
    }
}

impl core::fmt::Debug for ReplayState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReplayState")
            .field("high_water", &self.high_water())
            .field("quarantine", &self.quarantine)
            .field("windows", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_accepts_each_counter_once() {
        let mut w = Window::first(100, 1);
        assert_eq!(w.check(100), Err(Error::Replayed));
        assert_eq!(w.check(99), Ok(()));
        w.record(99, 1);
        assert_eq!(w.check(99), Err(Error::Replayed));
        assert_eq!(w.check(37), Ok(())); // 100 - 63
        assert_eq!(w.check(36), Err(Error::StaleCounter)); // 100 - 64
        w.record(163, 2);
        assert_eq!(w.high, 163);
        assert_eq!(w.check(100), Err(Error::Replayed));
        assert_eq!(w.check(99), Err(Error::StaleCounter));
        w.record(1000, 3);
        assert_eq!(w.bitmap, 1);
        assert_eq!(w.check(u32::MAX), Ok(()));
        assert_eq!(w.top, 3);
    }

    #[test]
    fn admit_applies_window_and_evicts() {
        let p = Params::new(0, 60, 2, 1).unwrap();
        let s = ReplayState::new(p);
        s.observe(100);
        assert_eq!(s.admit(1, 98, 0, 100, None), Ok(()));
        assert_eq!(s.admit(1, 98, 0, 100, None), Err(Error::Replayed));
        assert_eq!(s.admit(1, 97, 1, 100, None), Err(Error::TooOld));
        assert_eq!(s.admit(1, 102, 1, 100, None), Err(Error::TooNew));
        assert_eq!(s.admit(1, 101, 1, 100, None), Ok(()));
        s.evict(103);
        assert_eq!(s.window(1).map(|w| (w.high, w.top)), Some((1, 101)));
        s.evict(104);
        assert!(s.window(1).is_none());
    }

    #[test]
    fn clock_going_back_never_reopens_window() {
        let p = Params::new(0, 60, 2, 1).unwrap();
        let s = ReplayState::new(p);
        s.observe(100);
        assert_eq!(s.admit(1, 100, 5, 100, None), Ok(()));
        s.evict(200);
        assert!(s.is_empty());
        // The clock returns to 100: the old code is too old, not accepted again.
        s.observe(100);
        assert_eq!(s.admit(1, 100, 5, 100, None), Err(Error::TooOld));
    }

    #[test]
    fn quarantine_after_loss() {
        let p = Params::new(0, 60, 2, 1).unwrap();
        let s = ReplayState::after_loss(p, 100);
        s.observe(100);
        assert_eq!(s.admit(1, 101, 5, 100, None), Err(Error::StateUnavailable));
        s.observe(101);
        assert_eq!(s.admit(1, 102, 5, 101, None), Ok(()));
    }

    #[test]
    fn limits() {
        let p = Params::default();
        let s = ReplayState::new(p);
        let sp = |amount| {
            Some(Spend { amount, per_payment_limit: 10, cumulative_limit: 25, not_after: 1_000_000 })
        };
        s.observe(5);
        assert_eq!(s.admit(7, 5, 0, 5, sp(11)), Err(Error::OverLimit));
        assert!(s.window(7).is_none());
        assert_eq!(s.admit(7, 5, 0, 5, sp(10)), Ok(()));
        assert_eq!(s.admit(7, 5, 1, 5, sp(10)), Ok(()));
        assert_eq!(s.admit(7, 5, 2, 5, sp(6)), Err(Error::OverLimit));
        assert_eq!(s.admit(7, 5, 2, 5, sp(5)), Ok(()));
        assert_eq!(s.spent(7).unwrap().total, 25);
        assert_eq!(
            s.admit(
                7,
                5,
                3,
                5,
                Some(Spend {
                    amount: u64::MAX,
                    per_payment_limit: u64::MAX,
                    cumulative_limit: u64::MAX,
                    not_after: 0
                })
            ),
            Err(Error::OverLimit)
        );
    }

    #[test]
    fn throttle_counts_failures_per_step() {
        let s = ReplayState::new(Params::default());
        for _ in 0..MAX_FAILURES_PER_STEP {
            assert_eq!(s.reserve_attempt(3, 10), Ok(()));
        }
        assert_eq!(s.reserve_attempt(3, 10), Err(Error::Throttled));
        assert_eq!(s.reserve_attempt(4, 10), Ok(()));
        assert_eq!(s.reserve_attempt(3, 11), Ok(()));
        s.release_attempt(3, 11);
        assert_eq!(s.reserve_attempt(3, 11), Ok(()));
    }

    #[test]
    fn throttle_survives_a_sweep_while_the_clock_is_behind() {
        let s = ReplayState::new(Params::default());
        s.observe(200);
        // The clock went back to step 100: account 3 fails 8 times there.
        for _ in 0..MAX_FAILURES_PER_STEP {
            assert_eq!(s.reserve_attempt(3, 100), Ok(()));
        }
        // Another identity's code in the same step sweeps every shard's state.
        s.evict(100);
        assert_eq!(s.admit(4, 100, 0, 100, None), Err(Error::TooOld));
        assert_eq!(s.reserve_attempt(3, 100), Err(Error::Throttled));
    }

    #[test]
    fn throttle_does_not_depend_on_other_identities() {
        // spec: R-HMAC-6, R-VERIFY-1: whether another identity's acceptance
        // swept the shard of account 3 must not change account 3's verdicts.
        for other in 1000..1256 {
            let s = ReplayState::new(Params::default());
            s.observe(200);
            // The clock went back to step 100: account 3 fails 8 times there.
            for _ in 0..MAX_FAILURES_PER_STEP {
                assert_eq!(s.reserve_attempt(3, 100), Ok(()));
            }
            // At step 201 another identity pays, which raises L and sweeps its shard.
            s.observe(201);
            assert_eq!(s.admit(other, 201, 0, 201, None), Ok(()));
            // With the clock back at step 100, account 3 is still throttled.
            assert_eq!(s.reserve_attempt(3, 100), Err(Error::Throttled), "other identity {other}");
        }
        // evict drops the records of other steps, and keeps the current step's.
        let s = ReplayState::new(Params::default());
        for _ in 0..MAX_FAILURES_PER_STEP {
            assert_eq!(s.reserve_attempt(3, 100), Ok(()));
            assert_eq!(s.reserve_attempt(4, 101), Ok(()));
        }
        s.evict(101);
        assert_eq!(s.reserve_attempt(4, 101), Err(Error::Throttled));
        assert_eq!(s.reserve_attempt(3, 100), Ok(()));
    }

    #[test]
    fn snapshot_round_trip() {
        let s = ReplayState::new(Params::default());
        s.observe(50);
        s.admit(9, 50, 3, 50, None).unwrap();
        let snap = s.snapshot();
        let r = ReplayState::restore(Params::default(), &snap);
        assert_eq!(r.snapshot(), snap);
        assert_eq!(r.admit(9, 50, 3, 50, None), Err(Error::Replayed));
    }
}
