//! The replay state (spec §8) through its public interface: the window,
//! eviction, the quarantine floor, limits, the throttle, memory per window,
//! the one-lock hmac path against its reserve-and-release equivalent, and
//! snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use paycode::Error;
use paycode::Params;
use paycode::replay::{ACCOUNT_CAPACITY, Budget, ReplayState, Snapshot, Spend, Window};
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
fn numeric_budget_persists_across_steps() {
    // spec: R-HMAC-7: N = 4 failures at once, one more a day (P = 1440 at X = 60).
    let s = ReplayState::new(Params::default());
    s.observe(10);
    for _ in 0..ACCOUNT_CAPACITY {
        assert_eq!(s.admit_numeric(3, 10, 0, 10, || false), Err(Error::InvalidCode));
    }
    assert_eq!(s.admit_numeric(3, 10, 0, 10, || true), Err(Error::Throttled));
    assert_eq!(s.admit_numeric(4, 10, 0, 10, || true), Ok(()));
    // The next step, and the last step of the day, still throttle.
    for now in [11, 10 + 1439] {
        s.observe(now);
        assert_eq!(s.admit_numeric(3, now, 1, now, || true), Err(Error::Throttled));
    }
    // A QR code of the account is never throttled (spec: R-HMAC-6).
    assert_eq!(s.admit_authenticated(3, 10 + 1439, 2, 10 + 1439, || true), Ok(()));
    s.observe(10 + 1440);
    assert_eq!(s.admit_numeric(3, 10 + 1440, 3, 10 + 1440, || true), Ok(()));
    // The success returned its reservation: one failure, then throttled again.
    assert_eq!(s.admit_numeric(3, 10 + 1440, 4, 10 + 1440, || false), Err(Error::InvalidCode));
    assert_eq!(s.admit_numeric(3, 10 + 1440, 5, 10 + 1440, || true), Err(Error::Throttled));
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
fn numeric_path_equals_a_leaky_bucket_model() {
    // The same random numeric calls through admit_numeric and through a
    // model of R-HMAC-7 written from the spec: a code below the window is
    // too-old first and changes nothing (H0), u ⊖ T' > (N − 1)·P throttles,
    // a failure sets u := max(u, T') + P, a match changes no budget.
    let p = Params::new(0, 60, 2, 1).unwrap();
    let budget = Budget::account(&p);
    assert_eq!((budget.capacity, budget.period), (4, 1440));
    let s = ReplayState::new(p);
    let mut model = [0u64; 4];
    let mut high_water = 0u64;
    let mut rng = SplitMix64::new(11);
    let mut now = 100u64;
    for _ in 0..20_000 {
        now = match rng.range(0, 20 - 1) {
            0 => now + rng.range(1, 600),
            1 => now - rng.range(1, 50), // clocks go back too
            _ => now,
        };
        let account = rng.range(0, 4 - 1);
        let counter = rng.range(0, 1 << 20) as u32;
        let authentic = rng.range(0, 3 - 1) == 0;
        s.observe(now);
        high_water = high_water.max(now);
        let u = &mut model[account as usize];
        // The code is of the current step: below L = T_hw - 2 once the clock went back that far.
        let expected = if now + 2 < high_water {
            Some(Err(Error::TooOld))
        } else if u.saturating_sub(high_water) > 3 * 1440 {
            Some(Err(Error::Throttled))
        } else if !authentic {
            *u = (*u).max(high_water) + 1440;
            Some(Err(Error::InvalidCode))
        } else {
            // Past H3 the verdict is the replay window's; the budget stays.
            None
        };
        let got = s.admit_numeric(account, now, counter, now, || authentic);
        match expected {
            Some(expected) => assert_eq!(got, expected, "account {account} at {now}"),
            None => assert!(
                !matches!(got, Err(Error::Throttled | Error::InvalidCode | Error::TooOld)),
                "account {account} at {now}: {got:?}"
            ),
        }
    }
    for (account, u) in model.iter().enumerate() {
        assert_eq!(s.budget(account as u64), *u);
    }
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
fn budget_survives_a_sweep_while_the_clock_is_behind() {
    let s = ReplayState::new(Params::default());
    s.observe(200);
    // The clock went back to step 199: account 3 fails 4 times there with
    // codes of step 198 (in [L, U] = [198, 200]), charged from T' = 200, so
    // the clock going back forgives nothing.
    for _ in 0..ACCOUNT_CAPACITY {
        assert_eq!(s.admit_numeric(3, 198, 0, 199, || false), Err(Error::InvalidCode));
    }
    assert_eq!(s.budget(3), 200 + 4 * 1440);
    s.evict(199);
    assert_eq!(s.admit(4, 197, 0, 199, None), Err(Error::TooOld));
    assert_eq!(s.admit_numeric(3, 198, 0, 199, || true), Err(Error::Throttled));
    // Below the window the same code is too-old before its budget is read.
    assert_eq!(s.admit_numeric(3, 197, 0, 199, || true), Err(Error::TooOld));
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
