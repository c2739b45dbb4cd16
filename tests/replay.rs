//! The replay state (spec §8) through its public interface: the window,
//! eviction, the quarantine floor, limits, the throttle, memory per window,
//! the one-lock hmac path against its reserve-and-release equivalent, and
//! snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use paycode::Error;
use paycode::Params;
use paycode::replay::{MAX_FAILURES_PER_STEP, ReplayState, Snapshot, Spend, Window};
use paycode_test_support::SplitMix64;

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
    let sp =
        |amount| Some(Spend { amount, per_payment_limit: 10, cumulative_limit: 25, not_after: 1_000_000 });
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
fn window_memory_stays_within_bounds() {
    let s = ReplayState::new(Params::default());
    s.observe(10);
    let mut n = 0u64;
    for target in [100u64, 1_000, 10_000, 30_000, 100_000, 300_000] {
        while n < target {
            n += 1;
            s.admit(n, 10, 0, 10, None).unwrap();
        }
        let per = s.window_bytes() as f64 / n as f64;
        if n >= 30_000 {
            // Several windows a shard: 28 bytes a slot at 64% to 80% load,
            // give or take one growth step in flight per shard.
            assert!((28.0 / 0.8..=28.0 / 0.6).contains(&per), "{per} bytes per window at {n}");
        } else {
            // A few windows a shard: at most two slots each.
            assert!(per <= 56.0, "{per} bytes per window at {n}");
        }
    }
    // Evicting them all frees the tables.
    s.evict(20);
    assert!(s.is_empty());
    assert_eq!(s.window_bytes(), 0);
}

#[test]
fn one_lock_hmac_path_equals_reserve_and_release() {
    // The same random calls through admit_authenticated and through
    // reserve_attempt / MAC / release_attempt / admit give the same
    // verdicts and the same state.
    let p = Params::new(0, 60, 2, 1).unwrap();
    let (a, b) = (ReplayState::new(p), ReplayState::new(p));
    let mut rng = SplitMix64::new(11);
    let mut now = 100u64;
    for _ in 0..20_000 {
        now = match rng.range(0, 20 - 1) {
            0 => now + 1,
            1 => now - 1, // clocks go back too
            _ => now,
        };
        let account = rng.range(0, 4 - 1);
        let step = now + 1 - rng.range(0, 4 - 1);
        let counter = rng.range(0, 40 - 1) as u32;
        let authentic = rng.range(0, 3 - 1) != 0;
        a.observe(now);
        b.observe(now);
        let one = a.admit_authenticated(account, step, counter, now, || authentic);
        let two = b.reserve_attempt(account, now).and_then(|()| {
            if !authentic {
                return Err(Error::InvalidCode);
            }
            b.release_attempt(account, now);
            b.admit(account, step, counter, now, None)
        });
        assert_eq!(one, two);
    }
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn restore_reads_a_window_without_bit_0_as_having_h() {
    let snap = Snapshot {
        high_water: 5,
        windows: vec![(3, Window { high: 9, bitmap: 0, top: 5 })],
        ..Snapshot::default()
    };
    let s = ReplayState::restore(Params::default(), &snap);
    assert_eq!(s.admit(3, 5, 9, 5, None), Err(Error::Replayed));
    assert_eq!(s.admit(3, 5, 8, 5, None), Ok(()));
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
fn snapshot_round_trip() {
    let s = ReplayState::new(Params::default());
    s.observe(50);
    s.admit(9, 50, 3, 50, None).unwrap();
    let snap = s.snapshot();
    let r = ReplayState::restore(Params::default(), &snap);
    assert_eq!(r.snapshot(), snap);
    assert_eq!(r.admit(9, 50, 3, 50, None), Err(Error::Replayed));
}
