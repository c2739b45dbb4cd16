//! Property tests of the time, replay, throttle, amount and challenge rules
//! against an executable model of the spec (spec §2, §4.9, §5.3, §7.4, §7.5,
//! §8).
//!
//! `Model` is written from the spec text, not from `src/`. Its replay state is
//! the list of (counter, step) pairs accepted per identity since that
//! identity's entry was created; `H`, the bitmap and `top` are derived from it
//! on demand. The window bounds are computed as R-TIME-4 writes them.
//! Authenticity (TagOK, CredOK, SigOK) is decided by regenerating the genuine
//! encoding with the issuer's and the wallets' keys: HMAC and Ed25519 signing
//! are deterministic, so a code is authentic exactly when it equals the code
//! its owner would produce for the same fields. The model never calls the
//! verifier's own checks.
//!
//! The stateful properties drive the real `Verifier` and the model with the
//! same generated actions: verifier clock moves (back and forward, to the u64
//! extremes), wallet clock offsets, in-order, skipped, out-of-order and
//! replayed counters, both profiles and both hmac forms, bit flips, random
//! payloads, restarts with and without state, revocation list updates,
//! eviction, and amounts against the limits; one-way, capped and challenge
//! codes, a terminal's challenges (its own and others', open, closed and
//! from the future, several payers each, a nonce used twice), calls with the
//! code's own challenge, another, a broken one or none, and amounts around the
//! caps, the challenges' amounts and `A_num`. At every step they require the
//! same verdict and error code, the same `T_hw` and `Q`, the same replay window
//! per identity, a spend ledger and a nonce set that agree; and they check the
//! ghost record of every acceptance for a second acceptance of a code or of a
//! challenge, and for a payment its cap or its challenge does not allow.
//!
//! Every property runs 1000 cases unless `PROPTEST_CASES` says otherwise.
//!
//! The same world also replays Spin's runs of the Promela model
//! (`spec/model/runs.txt`, see `properties/spin.rs`), so that the formal
//! model, the executable model and the verifier are compared on one set of runs.
//!
//! The properties are in this file; what they are built from is in
//! `properties/`: `model.rs` (the model, and the verdicts the spec gives for
//! window edges, bit flips, Base45 texts, payload layouts and challenge
//! texts), `world.rs` (the real verifier, wallets and challenges driven beside
//! the model), `strategies.rs` (the generators), `single.rs` (a verifier with
//! one account of each profile, for the window-edge and bit-flip properties),
//! `modes.rs` (the verdicts of capped and challenge codes on such a verifier)
//! and `spin.rs` (Spin's runs).

// Test code: clippy.toml allows these inside #[test] functions; the helpers
// here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

// A test crate's root finds its modules beside it, so the paths are spelled out.
#[path = "properties/model.rs"]
mod model;
#[path = "properties/modes.rs"]
mod modes;
#[path = "properties/single.rs"]
mod single;
#[path = "properties/spin.rs"]
mod spin;
#[path = "properties/strategies.rs"]
mod strategies;
#[path = "properties/world.rs"]
mod world;

use std::collections::{BTreeMap, BTreeSet};

use paycode::numeric::NumericCode;
use paycode::replay::Window;
use paycode::{
    Challenge, Code, Error, GenerateError, HmacWallet, Params, Payment, Profile, Purpose, Seed, TextPayment,
    Verifier,
};
use proptest::test_runner::FileFailurePersistence;
use proptest::{collection::vec, prelude::*};

use model::{
    FORMS, Form, Ident, Input, NUMERIC_LIMIT, expected_window_verdict, model_base45, model_payload_verdict,
};
use modes::{Change, cap_verdict, challenge_verdict, one};
use single::{ACCOUNT, check_edges, check_flip, flip, single, single_for, single_hmac};
use strategies::{
    BALANCED, CHALLENGES, HISTORY, OFFLINE, REPLAYS, RESTARTS, THROTTLE, Weights, actions, amount_strategy,
    base45_text_strategy, params_strategy, payload_strategy, steps_after_epoch, time_in, with_strategy,
    world_strategy,
};
use world::{Action, Amount, Kind, With, World, WorldCfg, restored_copy, shift};

/// The terminal id of every verifier here.
const TERMINAL: u32 = 77;

/// Cases per property, and the regression file every property replays first.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/properties.txt"
        )))),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Stateful properties: real verifier and model, step by step
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Verdicts, error codes, T_hw, Q and replay windows agree with the model
    /// over a balanced mix of every action (R-VERIFY-1, R-VERIFY-2, R-VERIFY-3,
    /// R-TIME-4, R-TIME-5, R-REPLAY-2, R-REPLAY-4, R-REPLAY-6, R-HMAC-3).
    #[test]
    fn r_verify_1_r_time_4_r_time_5_r_replay_2_verdicts_match_model(
        cfg in world_strategy(false),
        acts in actions(BALANCED, 40),
    ) {
        World::run(cfg, &acts);
    }

    /// No (identity, counter) is accepted twice under any interleaving of
    /// fresh, stashed and replayed codes, clock jumps, eviction and restarts
    /// (R-REPLAY-1, R-REPLAY-2, R-REPLAY-4).
    #[test]
    fn r_replay_1_no_double_acceptance(
        cfg in world_strategy(false),
        acts in actions(REPLAYS, 50),
    ) {
        World::run(cfg, &acts);
    }

    /// A restart opens no replay hole, whether it comes back with the current
    /// state, with a snapshot taken at or after the last durable write (which
    /// may lack T_hw raised and entries evicted since), from an older
    /// snapshot in quarantine, or without state: every code seen so far is
    /// replayed after restarts (R-REPLAY-1, R-REPLAY-5, R-STATE-1, R-STATE-5).
    #[test]
    fn r_replay_5_restart_opens_no_replay_hole(
        cfg in world_strategy(false),
        acts in actions(RESTARTS, 40),
    ) {
        World::run(cfg, &acts);
    }

    /// The failure budgets count exactly the spec's numeric invalid-code
    /// verdicts per account and per source, across steps, QR codes are never
    /// throttled, unknown accounts are invalid-code, and the budgets survive
    /// restarts with state (R-HMAC-6, R-HMAC-7, R-HMAC-8, R-HMAC-9, R-HMAC-3,
    /// R-HMAC-5, R-STATE-6).
    #[test]
    fn r_hmac_7_r_state_6_budgets_match_model(
        cfg in world_strategy(true),
        acts in actions(THROTTLE, 50),
    ) {
        World::run(cfg, &acts);
    }

    /// Offline rules: validity, revocation list updates, per-payment and
    /// cumulative limits (R-LIMIT-1, R-LIMIT-2, R-REVOKE-2, R-REVOKE-3, R-ED-4).
    #[test]
    fn r_limit_1_r_limit_2_r_revoke_2_r_revoke_3_offline_rules_match_model(
        cfg in world_strategy(false),
        acts in actions(OFFLINE, 40),
    ) {
        World::run(cfg, &acts);
    }
}

/// A history for the older-snapshot property: no jumps and no restarts that
/// may push the clock to the end of u64, so that a time after every call exists.
const OLDER: Weights = Weights { jump: 0, restart_lost_state: 0, restart_from_backup: 0, ..HISTORY };

/// `cfg` with its epoch and start time away from the end of u64.
fn moderate(mut cfg: WorldCfg) -> WorldCfg {
    cfg.t0 %= 1 << 62;
    cfg.start = if cfg.start < cfg.t0 { cfg.t0.saturating_sub(1) } else { cfg.t0 + cfg.start % (1 << 40) };
    cfg
}

proptest! {
    #![proptest_config(config())]

    /// Durable before accepted (R-STATE-1, R-REPLAY-5): after a random
    /// history, a fresh code is accepted at a time after every call; the
    /// verifier restarted from the snapshot taken just before that
    /// acceptance accepts the code again, so the obligation is real and its
    /// breach visible. A start in quarantine from any older snapshot, the
    /// records it holds kept (R-STATE-5), or without any state
    /// (restart-lost-state), at a time not behind any call, accepts no code a
    /// second time, in either form, however the replays and restarts go on.
    #[test]
    fn r_state_1_r_state_5_restart_from_an_older_snapshot(
        cfg in world_strategy(true).prop_map(moderate),
        history in actions(OLDER, 25),
        lost in any::<bool>(),
        pick in any::<usize>(),
        later in prop_oneof![Just(0u64), 0u64..300],
        after in actions(REPLAYS, 15),
    ) {
        let mut w = World::run(cfg, &history);
        let x = w.params.step_secs();
        // Past every call and past the time floor (R-TIME-8), which a list
        // dated up to X ahead of the clock raises beyond the latest call.
        let t = shift(w.latest().max(w.model.floor()), w.params.forward() as i64 + 1, x, 0);
        w.act(&Action::Jump(t), "to a step past every call and Q");
        let before = w.history.last().unwrap().clone();
        let issued = w.pool_len();
        let fresh = Action::Fresh {
            who: 0,
            offset: 0,
            jitter: 0,
            skip: 0,
            numeric: false,
            amount: Amount::Zero,
            kind: Kind::OneWay,
            with: With::Own,
        };
        w.act(&fresh, "a fresh code");
        prop_assume!(w.pool_len() > issued, "the wallet's counters are used up");
        prop_assert_eq!(w.last, Some(Ok(())), "a fresh code after every call and above Q is accepted");
        let text = w.text_of(issued);
        let stale = w.restored(&before);
        prop_assert!(stale.verify_text(&text, t, 0).is_ok(), "a snapshot older than an acceptance accepts it again");
        let restart = if lost { Action::RestartLostState { later } } else { Action::RestartFromBackup { pick, later } };
        w.act(&restart, "restart in quarantine");
        w.act(&Action::ReplayAll, "every code, in both forms");
        for (i, a) in after.iter().enumerate() {
            w.act(a, &format!("after the restart, action {i}"));
        }
        w.act(&Action::ReplayAll, "every code again");
        prop_assert!(w.exposures.is_empty());
    }
}

// ---------------------------------------------------------------------------
// Window edges, fresh codes, state bounds
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Window edges are exact for every window configuration and every u64
    /// time, with and without a high-water step above the clock; times before
    /// T0 are an error, not a panic (R-TIME-2, R-TIME-3, R-TIME-4, R-TIME-5, R-HMAC-3).
    #[test]
    fn r_time_3_r_time_4_window_edges_exact(
        (t0, x, b, f) in params_strategy(),
        steps in steps_after_epoch(),
        r in any::<u64>(),
        ahead in prop_oneof![4 => Just(0u64), 2 => 1u64..=20, 1 => any::<u64>()],
        form in prop::sample::select(FORMS.to_vec()),
        before in any::<u64>(),
    ) {
        let p = Params::new(t0, x, b, f).unwrap();
        let t = time_in(t0, x, steps, r, false);
        let s_now = (t - t0) / x;
        let hw_time = time_in(t0, x, s_now.saturating_add(ahead), 0, false).max(t);
        check_edges(p, t, hw_time, form);
        if t0 > 0 {
            let early = before % t0;
            let one = single_for(p, t, form);
            prop_assert_eq!(one.verifier.verify_text(&one.text(form, s_now, 0), early, 0).unwrap_err(), Error::TimeBeforeEpoch);
            prop_assert_eq!(one.verifier.evict(early), Err(Error::TimeBeforeEpoch));
            prop_assert_eq!(HmacWallet::new(p, 1, &Seed::from_bytes(&[1; 32]), 0).generate(early).unwrap_err(), GenerateError::TimeBeforeEpoch);
            prop_assert_eq!(one.verifier.replay_state(Profile::Hmac).high_water(), 0);
        }
    }

    /// A freshly generated code is accepted whenever the wallet clock's step is
    /// inside the window, and otherwise rejected as too-old or too-new (or, in
    /// numeric form outside the 16-step reconstruction range, invalid-code)
    /// (R-TIME-4, R-GEN-2, R-HMAC-3).
    #[test]
    fn r_time_4_fresh_code_accepted_inside_window(
        (t0, x, b, f) in params_strategy(),
        steps in steps_after_epoch(),
        r in any::<u64>(),
        offset in prop_oneof![4 => -12i64..=12, 1 => any::<i64>()],
        jitter in any::<i64>(),
        form in prop::sample::select(FORMS.to_vec()),
    ) {
        let p = Params::new(t0, x, b, f).unwrap();
        let t = time_in(t0, x, steps, r, false);
        let tw = shift(t, offset, x, jitter % x as i64);
        let mut one = single_for(p, t, form);
        let s_now = (t - t0) / x;
        let text = match form {
            Form::Qr | Form::Numeric => one.hmac.generate(tw).map(|c| match form {
                Form::Qr => c.to_qr_text(),
                _ => one.hmac.numeric(&c).unwrap().to_digits(),
            }),
            Form::Ed => one.ed.as_mut().unwrap().generate(tw).map(|c| c.to_qr_text()),
        };
        if tw < t0 {
            prop_assert_eq!(text.unwrap_err(), GenerateError::TimeBeforeEpoch);
            return Ok(());
        }
        let sw = (tw - t0) / x;
        let got = one.verifier.verify_text(&text.unwrap(), t, 0).map(|_| ());
        let inside = i128::from(sw) >= i128::from(s_now) - i128::from(b) && i128::from(sw) <= i128::from(s_now) + i128::from(f);
        if inside {
            prop_assert_eq!(got, Ok(()));
        } else {
            prop_assert_eq!(got, expected_window_verdict(form, sw, s_now, s_now, b, f));
            prop_assert!(got.is_err());
        }
    }

    /// State is bounded: one window per identity that paid, exactly the spec's
    /// (H, bitmap, top); after evict only live windows remain, and a wallet idle
    /// past the window holds no state, nor, after its credential expired, a
    /// ledger entry (R-REPLAY-4, R-REPLAY-6, R-LIMIT-2).
    #[test]
    fn r_replay_4_r_replay_6_idle_wallet_holds_no_state(
        (t0, x, b, f) in params_strategy(),
        steps in steps_after_epoch(),
        r in any::<u64>(),
        pays in vec((0usize..5, -8i64..=7, 0u32..3), 1..25),
        advance in 0u64..20,
    ) {
        let p = Params::new(t0, x, b, f).unwrap();
        let t = time_in(t0, x, steps, r, false);
        let s_now = (t - t0) / x;
        let mut one = single(p, t);
        let seeds: Vec<Seed> = (0..4).map(|i| Seed::from_bytes(&[0x70 + i; 32])).collect();
        for (i, s) in seeds.iter().enumerate() {
            one.verifier.add_account(100 + i as u64, s);
        }
        // Accepted (counter, step) per identity; each payer's counters increase.
        let mut accepted: BTreeMap<Ident, Vec<(u32, u64)>> = BTreeMap::new();
        let mut next = [0u32; 5];
        for &(who, off, skip) in &pays {
            let Ok(step) = u64::try_from(i128::from(s_now) + i128::from(off)) else { continue };
            let counter = next[who] + skip;
            next[who] = counter + 1;
            let (id, text) = if who < 4 {
                let w = HmacWallet::new(p, 100 + who as u64, &seeds[who], 0);
                ((Profile::Hmac, 100 + who as u64), w.code_for(step, counter).to_qr_text())
            } else {
                ((Profile::Ed25519, one.serial), one.text(Form::Ed, step, counter))
            };
            if one.verifier.verify_text(&text, t, 1).is_ok() {
                accepted.entry(id).or_default().push((counter, step));
            }
            for profile in [Profile::Hmac, Profile::Ed25519] {
                let n = accepted.keys().filter(|k| k.0 == profile).count();
                prop_assert!(one.verifier.replay_state(profile).len() <= n, "R-REPLAY-6: at most one entry per identity");
            }
        }
        for (id, acc) in &accepted {
            let high = acc.iter().map(|a| a.0).max().unwrap();
            let bitmap = acc.iter().fold(0u64, |m, a| m | 1 << (high - a.0));
            let top = acc.iter().map(|a| a.1).max().unwrap();
            prop_assert_eq!(one.verifier.replay_state(id.0).window(id.1), Some(Window { high, bitmap, top }));
        }
        // Some steps later, evict keeps exactly the windows with top >= L.
        let t2 = shift(t, advance as i64, x, 0);
        one.verifier.evict(t2).unwrap();
        let low = ((t2 - t0) / x).max(s_now).saturating_sub(b);
        for profile in [Profile::Hmac, Profile::Ed25519] {
            let live = accepted.iter().filter(|(id, acc)| id.0 == profile && acc.iter().any(|a| a.1 >= low)).count();
            prop_assert_eq!(one.verifier.replay_state(profile).len(), live);
        }
        for (id, acc) in &accepted {
            let top = acc.iter().map(|a| a.1).max().unwrap();
            prop_assert_eq!(one.verifier.replay_state(id.0).window(id.1).is_some(), top >= low);
        }
        // Idle past the window: once T_hw - B exceeds every top, nothing is left.
        let top = accepted.values().flat_map(|a| a.iter().map(|p| p.1)).max().unwrap_or(0);
        let last_step = (u64::MAX - t0) / x;
        if let Some(idle) = top.checked_add(b + 1).filter(|&s| s <= last_step) {
            let t3 = (t0 + idle * x).max(t2);
            one.verifier.evict(t3).unwrap();
            prop_assert!(one.verifier.replay_state(Profile::Hmac).is_empty());
            prop_assert!(one.verifier.replay_state(Profile::Ed25519).is_empty());
        } else {
            // No u64 time has a step B + 1 past the top: L never exceeds it,
            // and at the last second of u64 exactly the entries with top >= L stay.
            one.verifier.evict(u64::MAX).unwrap();
            let low = last_step.saturating_sub(b);
            let kept = accepted.values().filter(|a| a.iter().any(|p| p.1 >= low)).count();
            let len = one.verifier.replay_state(Profile::Hmac).len() + one.verifier.replay_state(Profile::Ed25519).len();
            prop_assert!(kept >= 1 || accepted.is_empty());
            prop_assert_eq!(len, kept);
        }
        // The ledger entry goes once no acceptable time can be inside the
        // credential's validity: T0 + (L - F) * X > not_after.
        if accepted.contains_key(&(Profile::Ed25519, one.serial)) {
            let after = (one.not_after.saturating_sub(t0) / x).checked_add(b + f + 2);
            if let Some(s4) = after {
                let t4 = time_in(t0, x, s4, 0, false);
                if u128::from(t0) + u128::from(s4 - b - f) * u128::from(x) > u128::from(one.not_after) && t4 < u64::MAX {
                    one.verifier.evict(t4).unwrap();
                    prop_assert_eq!(one.verifier.replay_state(Profile::Ed25519).spent(one.serial), None);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Numeric and QR forms, bit flips, canonical encodings
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// The numeric and the QR form of the same hmac code get the same verdict
    /// and the same log record, in any verifier state reached by a random
    /// history, whenever the code's step lies in the numeric reconstruction
    /// range [lo, lo + 15], lo = min(s_now ⊖ 8, 2^64 - 16) (that is
    /// [s_now - 8, s_now + 7] away from the ends of u64), unless the numeric
    /// form is throttled, which the QR form never is (both verifiers are
    /// restored from the same state, budgets included, R-STATE-6, R-HMAC-6).
    /// Otherwise the numeric
    /// form is invalid-code and the QR form too-old or too-new. The two forms
    /// share one replay identity: after one is accepted, the other is
    /// replayed (R-HMAC-3, R-REPLAY-1, R-HMAC-2, R-HMAC-1).
    #[test]
    fn r_hmac_3_numeric_and_qr_same_verdict(
        cfg in world_strategy(true),
        history in actions(HISTORY, 25),
        offset in prop_oneof![4 => -9i64..=8, 1 => -40i64..=40],
        pick in 0usize..4,
        skip in 0u32..80,
    ) {
        let w = World::run(cfg, &history);
        let a = &w.hmac[0];
        let wallet = HmacWallet::new(w.params, a.id, &a.seed, 0);
        let t = w.clock;
        // The model of the restored copies below: a restart keeps no log,
        // so of the time floor's bounds the last accepted_at goes (R-TIME-8).
        let mut restored = w.model.clone();
        restored.last_accepted = 0;
        // The step of the verifier time max(t, φ).
        let s_now = restored.step(restored.verifier_time(t));
        let step = shift(s_now.unwrap_or(0), offset, 1, 0);
        let id = (Profile::Hmac, a.id);
        let high = w.model.window(id).map(|win| win.high);
        let used = w.model.entries.get(&id).and_then(|e| e.first().map(|p| p.0));
        let counter = match pick {
            0 => a.next,
            1 => used.unwrap_or(a.next),
            2 => a.next.saturating_add(skip),
            _ => high.map_or(0, |h| h.saturating_sub(64 + skip)),
        } % (1 << 16);
        let qr = wallet.code_for(step, counter);
        let digits = wallet.numeric(&qr).unwrap().to_digits();
        let (v_qr, v_num) = (restored_copy(&w), restored_copy(&w));
        // The two forms' acceptances differ only in their evidence (spec
        // §4.8): the account and the real counter are the same, while the
        // records carry each form's handle and masked counter.
        let facts = |a: paycode::Acceptance| {
            let r = a.record;
            (a.subject, a.counter, r.profile(), r.step(), r.accepted_at, r.amount)
        };
        let by_qr = v_qr.verify_text(&qr.to_qr_text(), t, 0).map(facts);
        let by_num = v_num.verify_text(&digits, t, 0).map(facts);
        let lo = s_now.unwrap_or(0).saturating_sub(8).min(u64::MAX - 15);
        let in_range = s_now.is_none() || (step >= lo && step <= lo + 15);
        // H0 before H3: a code outside the window is never throttled.
        let outside = matches!(by_qr, Err(Error::TooOld | Error::TooNew));
        let throttled = !outside && s_now.is_some_and(|s| w.model.numeric_throttled(Some(a.id), s));
        if in_range && throttled {
            prop_assert_eq!(by_num, Err(Error::Throttled));
        } else if in_range {
            prop_assert_eq!(by_qr, by_num);
        } else {
            prop_assert!(
                matches!(by_num, Err(Error::TooOld | Error::TooNew | Error::InvalidCode | Error::Throttled)),
                "{:?}", by_num
            );
            prop_assert!(outside, "{:?}", by_qr);
        }
        if let Ok((subject, real, ..)) = by_qr {
            prop_assert_eq!((subject, real), (a.id, counter));
        }
        // The model agrees, on both forms.
        let mut model = restored.clone();
        let want = model.verify(&Input::Payload(qr.encode().to_vec()), None, t, 0, &w.oracle).map(|_| ());
        prop_assert_eq!(by_qr.map(|_| ()), want);
        let mut model = restored;
        let value = paycode::NumericCode::parse(&digits).unwrap().value();
        let want = model.verify(&Input::Numeric(value), None, t, 0, &w.oracle).map(|_| ());
        prop_assert_eq!(by_num.map(|_| ()), want);
        // One identity: whichever form was accepted, the other is now replayed.
        // A throttled numeric form stays throttled, whatever was replayed
        // (H2 comes before C3), and its QR form, never throttled, still pays.
        if by_qr.is_ok() && in_range && throttled {
            prop_assert_eq!(v_qr.verify_text(&digits, t, 0).unwrap_err(), Error::Throttled);
            prop_assert!(v_num.verify_text(&qr.to_qr_text(), t, 0).is_ok());
        } else if by_qr.is_ok() && in_range {
            prop_assert_eq!(v_qr.verify_text(&digits, t, 0).unwrap_err(), Error::Replayed);
            prop_assert_eq!(v_num.verify_text(&qr.to_qr_text(), t, 0).unwrap_err(), Error::Replayed);
        }
    }

    /// Any single-bit change to a valid code (a bit of a character of its
    /// text, or a bit of its payload or of N) is rejected with a decode or
    /// authentication code and changes no state; the genuine code is accepted
    /// afterwards (R-ENC-2, R-HMAC-1, R-HMAC-2, R-ED-3, R-ED-5, R-VERIFY-3).
    #[test]
    fn r_enc_2_r_hmac_1_r_ed_5_single_bit_flip_rejected(
        (t0, x, b, f) in params_strategy(),
        steps in steps_after_epoch(),
        r in any::<u64>(),
        form in prop::sample::select(FORMS.to_vec()),
        payload in any::<bool>(),
        pos in any::<usize>(),
        bit in 0u8..8,
    ) {
        let p = Params::new(t0, x, b, f).unwrap();
        let t = time_in(t0, x, steps, r, false);
        let one = single_for(p, t, form);
        let genuine = one.text(form, (t - t0) / x, 9);
        let flipped = flip(&genuine, form, payload, pos, bit);
        check_flip(&one.verifier, &genuine, &flipped, form, t);
        prop_assert!(one.verifier.verify_text(&genuine, t, 0).is_ok());
    }

    /// Base45: decode(encode(b)) = b for all bytes (R-ENC-1).
    #[test]
    fn r_enc_1_base45_round_trip(bytes in vec(any::<u8>(), 0..300)) {
        let text = paycode::hazmat::base45::encode(&bytes);
        prop_assert_eq!(text.len(), bytes.len() / 2 * 3 + bytes.len() % 2 * 2);
        prop_assert_eq!(paycode::hazmat::base45::decode(&text).unwrap(), bytes);
    }

    /// Base45 decoding accepts exactly the canonical strings (the model's
    /// reading of R-ENC-2), and encode(decode(s)) = s for every s that decodes.
    #[test]
    fn r_enc_2_base45_canonical(s in base45_text_strategy()) {
        let got = paycode::hazmat::base45::decode(&s);
        let want = model_base45(&s);
        prop_assert_eq!(got.as_ref().ok(), want.as_ref());
        if let Ok(bytes) = got {
            prop_assert_eq!(paycode::hazmat::base45::encode(&bytes), s);
        }
    }

    /// QR text: a payload decodes exactly when its layout is right, decoding
    /// gives back the same payload, and encode(decode(s)) = s for every s that
    /// decodes, including texts with characters changed (R-ENC-1, R-ENC-2, R-ENC-3).
    #[test]
    fn r_enc_1_r_enc_3_code_text_canonical(
        payload in payload_strategy(),
        edits in vec((any::<usize>(), prop::sample::select("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a".chars().collect::<Vec<_>>())), 0..3),
    ) {
        let text = format!("PC3:{}", paycode::hazmat::base45::encode(&payload));
        let parsed = Code::parse(&text);
        prop_assert_eq!(parsed.as_ref().map(|_| ()).map_err(|e| *e), model_payload_verdict(&payload));
        if let Ok(code) = parsed {
            prop_assert_eq!(code.to_text(), text.clone());
            let bytes = match &code {
                Code::Hmac(c) => c.encode().to_vec(),
                Code::Ed25519(c) => c.encode().to_vec(),
                Code::Numeric(_) => Vec::new(),
            };
            prop_assert_eq!(bytes, payload);
            prop_assert_eq!(Code::parse(&code.to_text()), Ok(code));
        }
        let mut chars: Vec<char> = text.chars().collect();
        for (pos, c) in edits {
            let i = 4 + pos % (chars.len() - 4).max(1);
            if i < chars.len() {
                chars[i] = c;
            }
        }
        let edited: String = chars.into_iter().collect();
        if let Ok(code) = Code::parse(&edited) {
            prop_assert_eq!(code.to_text(), edited);
        }
    }

    /// Numeric form: every N < 2^79 round-trips through its 24 digits with the
    /// fields of the layout; N >= 2^79, other lengths and non-digits are
    /// malformed (R-ENC-4, R-HMAC-2).
    #[test]
    fn r_enc_4_numeric_canonical(
        n in prop_oneof![3 => 0u128..NUMERIC_LIMIT, 1 => NUMERIC_LIMIT..10u128.pow(24)],
        junk_at in 0usize..24,
        junk in prop::sample::select(vec!['a', ' ', '+', '-', '.', 'Z', '\u{661}', '\0']),
        len in 0usize..40,
    ) {
        let s = format!("{n:024}");
        if n < NUMERIC_LIMIT {
            let c = NumericCode::parse(&s).unwrap();
            prop_assert_eq!(c.value(), n);
            prop_assert_eq!(c.to_digits(), s.clone());
            prop_assert_eq!(
                (c.handle30(), c.step_low(), c.masked_counter(), c.tag()),
                ((n >> 49) as u32, (n >> 45 & 0xf) as u8, (n >> 29 & 0xffff) as u16, (n & 0x1fff_ffff) as u32)
            );
            let code = Code::parse(&s).unwrap();
            prop_assert_eq!(code.to_text(), s.clone());
            prop_assert_eq!(Code::parse(&code.to_text()), Ok(code));
        } else {
            prop_assert_eq!(NumericCode::parse(&s), Err(Error::Malformed));
            prop_assert_eq!(Code::parse(&s), Err(Error::Malformed));
        }
        let mut bad: Vec<char> = s.chars().collect();
        bad[junk_at] = junk;
        let bad: String = bad.into_iter().collect();
        prop_assert_eq!(Code::parse(&bad), Err(Error::Malformed));
        if len != 24 {
            prop_assert_eq!(Code::parse(&"7".repeat(len)), Err(Error::Malformed));
        }
    }
}

// ---------------------------------------------------------------------------
// Modes: caps, the numeric ceiling, challenges
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// At most one code is accepted per challenge nonce, across any sequence
    /// of calls, payers (several per challenge), clock moves, eviction and
    /// restarts that keep the state or quarantine; no challenge code is
    /// accepted under another challenge, at another terminal or for another
    /// amount, and no capped or numeric code above its cap or A_num; and the
    /// model agrees on every verdict, the nonce set included (R-CHAL-2,
    /// R-CHAL-3, R-CHAL-4, R-CAP-2, R-CAP-3, R-REPLAY-5), with F = 0 too
    /// (`r_chal_4_one_step_ahead_challenge_after_state_loss` pins that case).
    #[test]
    fn r_chal_4_at_most_one_acceptance_per_challenge(
        cfg in world_strategy(true),
        acts in actions(CHALLENGES, 40),
    ) {
        let mut w = World::run(cfg, &acts);
        w.act(&Action::ReplayAll, "every code again, with its own challenge");
        prop_assert!(w.challenge_exposures.is_empty(), "{:?}", w.challenge_exposures);
    }

    /// A challenge code pays the challenge it was made for and nothing else:
    /// under that challenge with any bit changed, for another amount, at
    /// another terminal, without a challenge, or once the challenge closed,
    /// it is refused with the code the spec gives; under its own, once, and
    /// a second code for the same challenge is `challenge-used` (R-CHAL-1,
    /// R-CHAL-2, R-CHAL-3, R-CHAL-4, R-HMAC-1, R-ED-5).
    #[test]
    fn r_chal_2_r_chal_3_a_challenge_code_pays_only_its_challenge(
        (t0, x, b, f) in params_strategy(),
        lifetime in prop_oneof![Just(120u64), 30u64..=600],
        steps in steps_after_epoch(),
        r in any::<u64>(),
        ed in prop::bool::weighted(0.3),
        other in prop_oneof![8 => Just(None), 1 => any::<u32>().prop_map(Some)],
        amount in prop_oneof![Just(0u64), 1u64..200, Just(u64::MAX)],
        issued in prop_oneof![4 => -700i64..=100, 1 => any::<i64>()],
        nonce in any::<[u8; 16]>(),
        change in prop_oneof![
            3 => Just(Change::None),
            4 => (0usize..37 * 8).prop_map(Change::Bit),
            1 => any::<u64>().prop_map(Change::Amount),
            1 => Just(Change::Omit),
        ],
        later in prop_oneof![3 => Just(0u64), 2 => 0u64..800],
        typed in any::<bool>(),
    ) {
        let p = Params::new(t0, x, b, f).unwrap().with_challenge_lifetime(lifetime).unwrap();
        let t = time_in(t0, x, steps, r, false);
        let terminal = other.filter(|&o| o != TERMINAL).unwrap_or(TERMINAL);
        let issued_at = (i128::from(t) + i128::from(issued)).clamp(0, i128::from(u64::MAX)) as u64;
        let made = Challenge::new(terminal, amount, issued_at, nonce);
        let one = one(p, t, ed);
        let step = (t - t0) / x;
        let code = one.code_as(ed, step, 3, Purpose::Challenge(&made));
        let mut bytes = Some(made.encode());
        let mut paid = amount;
        match change {
            Change::None => {}
            Change::Bit(i) => bytes.as_mut().unwrap()[i / 8] ^= 0x80 >> (i % 8),
            Change::Amount(a) => paid = a,
            Change::Omit => bytes = None,
        }
        let at = t.saturating_add(later);
        let want = challenge_verdict(&p, ed, &made, bytes, paid, step, at);
        let text = bytes.map(|b| format!("PT3:{}", paycode::hazmat::base45::encode(&b)));
        let got = if typed && bytes.is_none_or(|b| b[0] == paycode::VERSION) {
            let call = text.as_deref().map(|t| Challenge::parse(t).unwrap());
            one.pay_typed(&code, at, paid, call.as_ref())
        } else {
            one.pay(&code, at, paid, text.as_deref())
        };
        prop_assert_eq!(got, want);
        if got.is_ok() {
            // Accepted: the challenge is in N; another code for it is used,
            // and the same code again is replayed first (C3's order).
            let again = one.code_as(ed, step, 4, Purpose::Challenge(&made));
            prop_assert_eq!(one.pay(&again, at, paid, text.as_deref()), Err(Error::ChallengeUsed));
            prop_assert_eq!(one.pay(&code, at, paid, text.as_deref()), Err(Error::Replayed));
            prop_assert_eq!(bytes, Some(made.encode()));
            prop_assert_eq!((terminal, paid), (TERMINAL, amount));
        }
    }

    /// No capped code pays above its cap, whatever the amount (R-CAP-2),
    /// and the cap cannot be changed without the tag or signature failing
    /// (R-CAP-1); a capped code is not a challenge code (V2.1). A numeric
    /// code pays at most A_num (R-CAP-3), and the QR form of a one-way hmac
    /// code has no such bound.
    #[test]
    fn r_cap_1_r_cap_2_r_cap_3_no_payment_above_the_cap(
        (t0, x, b, f) in params_strategy(),
        steps in steps_after_epoch(),
        r in any::<u64>(),
        ed in prop::bool::weighted(0.3),
        cap in prop_oneof![Just(0u32), 1u32..300, Just(u32::MAX), any::<u32>()],
        delta in prop_oneof![3 => -2i64..=2, 1 => any::<i64>()],
        flip in prop_oneof![3 => Just(None), 1 => (0usize..32).prop_map(Some)],
        challenged in prop::bool::weighted(0.1),
        ceiling in prop_oneof![Just(5_000u64), Just(0u64), any::<u64>()],
    ) {
        let p = Params::new(t0, x, b, f).unwrap().with_numeric_ceiling(ceiling);
        let t = time_in(t0, x, steps, r, false);
        let step = (t - t0) / x;
        let one = one(p, t, ed);
        let amount = u64::from(cap).saturating_add_signed(delta);
        let mut code = one.code_as(ed, step, 5, Purpose::Capped(cap));
        if let Some(bit) = flip {
            // A bit of the cap: offset 22 (hmac) or 14 (ed25519), §4.2, §4.5.
            let mut payload = match &code {
                Code::Hmac(c) => c.encode(),
                Code::Ed25519(c) => c.encode().to_vec(),
                Code::Numeric(_) => unreachable!(),
            };
            payload[if ed { 14 } else { 22 } + bit / 8] ^= 0x80 >> (bit % 8);
            code = Code::decode_payload(&payload).unwrap();
        }
        let challenge = Challenge::new(TERMINAL, amount, t, [1; 16]).to_qr_text();
        let got = one.pay(&code, t, amount, challenged.then_some(challenge.as_str()));
        let want = if challenged {
            Err(Error::ChallengeRequired)
        } else if flip.is_some() {
            Err(Error::InvalidCode)
        } else {
            cap_verdict(ed, cap, amount)
        };
        prop_assert_eq!(got, want);
        // The numeric form and the QR form of one-way hmac codes, for the same amount.
        if let Ok(n) = one.hmac.numeric(&one.hmac.code_for(step, 6)) {
            let got = one.verifier.verify_text(&n.to_digits(), t, amount).map(|_| ());
            prop_assert_eq!(got, if amount > ceiling { Err(Error::OverCeiling) } else { Ok(()) });
        }
        let qr = one.hmac.code_for(step, 7).to_qr_text();
        prop_assert!(one.verifier.verify_text(&qr, t, amount).is_ok());
    }

    /// The batched path, `verify_payments_with_cause`, gives what calls one
    /// after the other give, verdict for verdict and log record for log
    /// record, and leaves the same state, with challenge, capped and numeric
    /// codes, repeated codes and challenges mixed in after any history; and
    /// both are the model's verdicts (R-VERIFY-1, R-REPLAY-3, R-CHAL-4).
    #[test]
    fn r_replay_3_batched_payments_match_sequential_calls(
        cfg in world_strategy(true),
        history in actions(CHALLENGES, 20),
        items in vec((0usize..8, any::<bool>(), amount_strategy(CHALLENGES.exact), with_strategy()), 1..12),
        garbage in prop::option::of(any::<usize>()),
    ) {
        let w = World::run(cfg, &history);
        let t = w.clock;
        let n = w.pool_len();
        // The recent codes, some of them several times; a text that does not decode.
        let mut calls: Vec<(Input, Option<String>, u64)> = items
            .iter()
            .filter(|_| n > 0)
            .map(|&(pick, numeric, amount, with)| w.call(n - 1 - pick % n.min(8), numeric, amount, with))
            .collect();
        if let Some(i) = garbage {
            calls.insert(i % (calls.len() + 1), (Input::Garbage("PC3:A"), None, 0));
        }
        let texts: Vec<String> = calls.iter().map(|c| c.0.text()).collect();
        let payments: Vec<TextPayment<'_>> = calls
            .iter()
            .zip(&texts)
            .map(|(c, text)| TextPayment { text, amount: c.2, challenge: c.1.as_deref() })
            .collect();
        let (batch, seq) = (restored_copy(&w), restored_copy(&w));
        let batched = batch.verify_payments_with_cause(&payments, t);
        prop_assert_eq!(batched.len(), payments.len());
        let mut model = w.model.clone();
        // The copies are restored, and a restart keeps no log (R-TIME-8).
        model.last_accepted = 0;
        for (i, (payment, call)) in payments.iter().zip(&calls).enumerate() {
            let one = seq.verify_text_payment(*payment, t).map(|a| a.record).map_err(|r| r.error());
            let got = batched[i].as_ref().map(|a| a.record.clone()).map_err(|r| r.error());
            prop_assert_eq!(&got, &one, "item {}", i);
            let want = model.verify(&call.0, call.1.as_deref(), t, call.2, &w.oracle).map(|_| ());
            prop_assert_eq!(one.map(|_| ()), want, "item {}", i);
        }
        let live = |v: &Verifier| live_state(v.state(), v.params());
        prop_assert_eq!(live(&batch), live(&seq));
        let budgets = |v: &Verifier| (v.state().hmac.budgets, v.state().sources);
        prop_assert_eq!(budgets(&batch), budgets(&seq));
    }
}

/// `state` without what eviction may remove at any moment, and no verdict
/// depends on: replay entries that are not live (R-REPLAY-4), ledger entries
/// and their ed25519 marks past the bound of R-LIMIT-2, and nonces of
/// challenges closed before the start of the high-water step (R-CHAL-4).
fn live_state(mut s: paycode::VerifierState, p: &Params) -> paycode::VerifierState {
    let t_hw = s.hmac.high_water.max(s.ed25519.high_water);
    let low = t_hw.saturating_sub(p.back());
    let horizon = low.saturating_sub(p.forward()).saturating_mul(p.step_secs()).saturating_add(p.t0());
    for snap in [&mut s.hmac, &mut s.ed25519] {
        snap.windows.retain(|(_, w)| w.top >= low);
        snap.spent.retain(|(_, e)| e.not_after >= horizon);
        snap.marks.retain(|(_, m)| m.until.is_none_or(|u| u >= horizon));
    }
    let start = u128::from(p.t0()) + u128::from(t_hw) * u128::from(p.step_secs());
    s.challenges.retain(|c| u128::from(c.closes) >= start);
    s
}

// ---------------------------------------------------------------------------
// Deterministic companions
// ---------------------------------------------------------------------------

/// Every window configuration the spec allows (B in 0..=8, F in 0..=7), at
/// the extremes of u64 time, for three step lengths and epochs
/// (R-TIME-3, R-TIME-4, R-TIME-6).
#[test]
fn r_time_4_window_edges_every_configuration_at_extremes() {
    for b in 0..=Params::MAX_BACK {
        for f in 0..=Params::MAX_FORWARD {
            for x in [1, 60, Params::MAX_STEP_SECS] {
                for t0 in [0, 1_000_003, u64::MAX - 30 * Params::MAX_STEP_SECS] {
                    let p = Params::new(t0, x, b, f).unwrap();
                    let times =
                        [Some(t0), t0.checked_add(x * b), t0.checked_add(31 * x - 1), Some(u64::MAX - 3 * x)];
                    for t in times.into_iter().flatten().filter(|&t| t >= t0).chain([u64::MAX]) {
                        for form in [Form::Qr, Form::Numeric] {
                            check_edges(p, t, t, form);
                            check_edges(p, t, t.saturating_add(3 * x), form);
                        }
                    }
                }
            }
            check_edges(Params::new(0, 1, b, f).unwrap(), u64::MAX, u64::MAX, Form::Ed);
            check_edges(Params::new(0, 60, b, f).unwrap(), 1_800_000_000, 1_800_000_000, Form::Ed);
        }
    }
    for (b, f) in [(9, 1), (2, 8)] {
        assert!(Params::new(0, 60, b, f).is_err());
    }
    for x in [0, Params::MAX_STEP_SECS + 1] {
        assert!(Params::new(0, x, 2, 1).is_err());
    }
}

/// Every single-bit change (bits 0-6 of each text character, every payload
/// bit, every bit of N) of one code of each form is rejected.
#[test]
fn r_enc_2_every_single_bit_flip_rejected() {
    let p = Params::default();
    let t = 1_800_000_000;
    let base = single(p, t);
    let s = p.step_at(t).unwrap();
    for (i, form) in FORMS.into_iter().enumerate() {
        // One counter per form: the QR and numeric forms share one identity.
        let genuine = base.text(form, s, 3 + i as u32);
        let payload_bits = match form {
            Form::Qr => 38 * 8,
            Form::Numeric => 79,
            Form::Ed => 204 * 8,
        };
        let text_flips = (0..genuine.len()).flat_map(|i| (0..7).map(move |b| (false, i, b)));
        let payload_flips = (0..payload_bits).map(|i| (true, i, 0));
        let mut n = 0;
        for (payload, pos, bit) in text_flips.chain(payload_flips) {
            // A fresh verifier per flip for hmac: eight invalid-code verdicts
            // would otherwise turn the rest into `throttled`.
            let fresh;
            let v = if form == Form::Ed {
                &base.verifier
            } else {
                fresh = single_hmac(p).verifier;
                &fresh
            };
            check_flip(v, &genuine, &flip(&genuine, form, payload, pos, bit), form, t);
            n += 1;
        }
        assert_eq!(n, genuine.len() * 7 + payload_bits);
        assert!(base.verifier.verify_text(&genuine, t, 0).is_ok(), "{form:?}: genuine code after the flips");
    }
}

/// Spec §12.9: with X = 1 and restart-lost-state at a time where T(t) + F + 1
/// exceeds 2^64 - 1, Q saturates and a code of step 2^64 - 1 accepted before
/// the restart is accepted again. The property tests excuse exactly this
/// case; this test pins that it exists and that it is the only one.
#[test]
fn r_replay_5_quarantine_saturation_is_the_documented_limit() {
    let p = Params::new(0, 1, 0, 0).unwrap();
    let t = u64::MAX;
    let one = single_hmac(p);
    let last = one.text(Form::Qr, u64::MAX, 0);
    assert!(one.verifier.verify_text(&last, t, 0).is_ok());
    let mut v = Verifier::after_state_loss(p, TERMINAL, t).unwrap();
    v.add_account(ACCOUNT, &Seed::from_bytes(&[0x17; 32]));
    assert_eq!(v.replay_state(Profile::Hmac).quarantine(), u64::MAX);
    assert!(v.verify_text(&last, t, 0).is_ok(), "the §12.9 exposure");
    // One step lower nothing saturates, and the quarantine holds.
    let one = single_hmac(p);
    let before = one.text(Form::Qr, u64::MAX - 1, 0);
    assert!(one.verifier.verify_text(&before, t - 1, 0).is_ok());
    let mut v = Verifier::after_state_loss(p, TERMINAL, t - 1).unwrap();
    v.add_account(ACCOUNT, &Seed::from_bytes(&[0x17; 32]));
    assert_eq!(v.verify_text(&before, t - 1, 0).unwrap_err(), Error::StateUnavailable);
}

/// R-REPLAY-1 after eviction rests on the counter mark, not on R-GEN-3 alone:
/// the verifier forgets an identity's bitmap once its entry is evicted, but
/// not its mark, so a wallet that reused a counter with a later step gets
/// `counter-behind` (R-REPLAY-7); the same code is too old by then; a higher
/// counter starts a new entry.
#[test]
fn r_replay_1_r_replay_7_the_mark_outlives_eviction() {
    let p = Params::new(0, 60, 2, 1).unwrap();
    let t = 6_000;
    let one = single_hmac(p);
    let first = one.text(Form::Qr, 100, 5);
    assert!(one.verifier.verify_text(&first, t, 0).is_ok());
    let later = t + 3 * 60;
    one.verifier.evict(later).unwrap();
    assert!(one.verifier.replay_state(Profile::Hmac).is_empty());
    assert_eq!(one.verifier.verify_text(&first, later, 0).unwrap_err(), Error::TooOld);
    for counter in [0, 4, 5] {
        let reused = one.text(Form::Qr, 103, counter);
        assert_eq!(
            one.verifier.verify_text(&reused, later, 0).unwrap_err(),
            Error::CounterBehind,
            "{counter}"
        );
    }
    assert!(one.verifier.verify_text(&one.text(Form::Qr, 103, 6), later, 0).is_ok());
}

/// The stateful generators reach every verdict of the closed list, and each
/// weighting reaches the verdicts it is there for, so no rule of the model
/// goes untested (checked over fixed seeds, 100 sequences per weighting,
/// each weighting from the same seed).
#[test]
fn stateful_generators_reach_every_verdict() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let challenges: &[&str] = &[
        "accepted",
        "challenge-used",
        "challenge-mismatch",
        "challenge-expired",
        "challenge-required",
        "no-challenge",
        "malformed",
        "over-cap",
        "state-unavailable",
        "replayed",
    ];
    let sets: [(&str, Weights, bool, &[&str]); 6] = [
        ("balanced", BALANCED, false, &["accepted", "replayed", "too-old", "too-new", "malformed"]),
        ("replays", REPLAYS, false, &["replayed", "stale-counter", "too-old"]),
        ("restarts", RESTARTS, false, &["state-unavailable", "replayed"]),
        ("throttle", THROTTLE, true, &["throttled", "invalid-code"]),
        (
            "offline",
            OFFLINE,
            false,
            &["revoked", "revocation-stale", "over-limit", "expired", "not-yet-valid", "bad-credential"],
        ),
        ("challenges", CHALLENGES, true, challenges),
    ];
    let mut all: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (name, w, numeric, wanted) in sets {
        let mut runner = TestRunner::deterministic();
        let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
        for _ in 0..100 {
            let cfg = world_strategy(numeric).new_tree(&mut runner).unwrap().current();
            let acts = actions(w, 40).new_tree(&mut runner).unwrap().current();
            for (k, n) in World::run(cfg, &acts).verdicts {
                *seen.entry(k).or_default() += n;
                *all.entry(k).or_default() += n;
            }
        }
        eprintln!("{name}: {seen:?}");
        for v in wanted {
            assert!(seen.get(v).is_some_and(|&n| n >= 5), "{name} reached {v} fewer than 5 times: {seen:?}");
        }
    }
    let missing: Vec<&str> =
        Error::ALL.iter().map(|e| e.code()).chain(["accepted"]).filter(|c| !all.contains_key(c)).collect();
    assert!(missing.is_empty(), "never reached: {missing:?}; reached: {all:?}");
}

/// Spin's runs of the Promela model (`spec/model/runs.txt`, written by
/// `spec/model/trails.sh`: random simulations and runs to a goal of the
/// correct model, and the counterexample of each broken variant), replayed
/// against the real verifier through the world of these properties, the
/// identity as an hmac account and as an ed25519 credential. The runs of
/// the model's `THROTTLE` configurations are set aside, counted: they model
/// the per-step throttle of both hmac forms that the numeric failure budgets
/// replaced (R-HMAC-6, R-HMAC-7), which the verifier no longer has
/// (spec/model/README.md); the budgets are checked against `model.rs` by
/// `r_hmac_7_r_state_6_budgets_match_model`. In a run of the correct model every verdict is the model's,
/// and so is every live window. A counterexample agrees with the verifier up
/// to the model's violation, where the verifier does not do what the broken
/// model did; except where what is broken is the environment (a clock set
/// back across a restart after state loss: the verifier accepts twice too,
/// spec §12.8) or a claim the rules do not make (R-REPLAY-1, R-REPLAY-2,
/// R-REPLAY-4, R-REPLAY-5, R-REPLAY-7, R-TIME-4, R-HMAC-6, R-STATE-6).
#[test]
fn r_replay_1_r_time_4_spin_runs_match_the_verifier() {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut variants = BTreeSet::new();
    let (mut simulations, mut wide, mut set_aside) = (0, 0, 0);
    for run in spin::runs() {
        let title = run.title();
        if run.defines.contains_key("THROTTLE") {
            set_aside += 1;
            continue;
        }
        for &profile in &[Profile::Hmac, Profile::Ed25519] {
            let r = spin::replay(&run, profile);
            let show = |c: &spin::Call| format!("{title} ({profile:?}), step {}: {c:?}", c.index);
            match run.kind.as_str() {
                "simulation" | "witness" => {
                    simulations += 1;
                    for c in &r.calls {
                        assert!(c.agrees(), "{}", show(c));
                        *seen.entry(c.model.clone()).or_default() += 1;
                        wide +=
                            usize::from(c.windows.as_ref().is_some_and(|(m, _)| m.bitmap.count_ones() > 1));
                    }
                    assert_eq!(r.exposures, 0, "{title}: a second acceptance");
                }
                "counterexample" => {
                    variants.insert(run.name.clone());
                    let (last, before) = r.calls.split_last().unwrap_or_else(|| panic!("{title}: no call"));
                    assert_eq!(
                        last.index,
                        run.steps.len() - 1,
                        "{title}: the violation is not the last action"
                    );
                    for c in before {
                        assert_eq!(c.model, c.verifier, "{}", show(c));
                    }
                    match run.name.as_str() {
                        // The verifier does not do what the broken model did.
                        "evict-early" | "forward-edge" | "shift-mod-w" | "throttle-volatile" => {
                            assert!(
                                !last.agrees(),
                                "{}: the verifier behaves like the broken model",
                                show(last)
                            )
                        }
                        // The clock set back across a restart after state loss
                        // is outside the spec's assumption: the same exposure.
                        "restart-any-time" => {
                            assert!(
                                last.agrees() && r.exposures == 1,
                                "{}: {} exposures",
                                show(last),
                                r.exposures
                            )
                        }
                        // A claim the counter mark does not make: accepted there too.
                        "mark-any-higher" => assert!(last.agrees(), "{}", show(last)),
                        // The mark never checked, or gone with its entry: the
                        // broken model accepts a code made in advance, the
                        // verifier's mark rejects it.
                        "mark-unchecked" | "mark-evicted" => assert_eq!(
                            (last.model.as_str(), last.verifier.as_str()),
                            ("accepted", "counter-behind"),
                            "{}",
                            show(last)
                        ),
                        other => panic!("{title}: a broken variant this test does not know: {other}"),
                    }
                }
                other => panic!("{title}: unknown kind {other}"),
            }
        }
    }
    eprintln!(
        "spin runs: {simulations} replays of the correct model, verdicts {seen:?}; counterexamples {variants:?}; {set_aside} runs of the per-step throttle set aside"
    );
    assert_eq!(set_aside, 6, "the runs of the THROTTLE configurations in runs.txt");
    for v in
        ["accepted", "too-old", "too-new", "state-unavailable", "stale-counter", "replayed", "counter-behind"]
    {
        assert!(seen.get(v).is_some_and(|&n| n >= 3), "the runs reach {v} fewer than 3 times: {seen:?}");
    }
    assert!(wide >= 3, "windows of more than one counter compared {wide} times");
    let want = [
        "evict-early",
        "restart-any-time",
        "forward-edge",
        "shift-mod-w",
        "mark-unchecked",
        "mark-evicted",
        "mark-any-higher",
    ];
    assert_eq!(variants, want.into_iter().map(String::from).collect(), "the counterexamples in runs.txt");
}

/// A challenge may be issued up to X seconds ahead of the verifier's clock
/// (R-CHAL-3: open while `issued_at ≤ t + X`), so after a loss of state C2
/// knows only challenges issued from `T0 + (Q + 1)·X` on, with
/// `Q = T(t) + F + 1` (R-CHAL-4): with F = 0 a floor of `T0 + Q·X` would lie
/// below a challenge already paid, and a verifier that lost its nonce set
/// would accept a second code for it.
#[test]
fn r_chal_4_one_step_ahead_challenge_after_state_loss() {
    let seeds = [Seed::from_bytes(&[0x17; 32]), Seed::from_bytes(&[0x18; 32])];
    let challenge = Challenge::new(TERMINAL, 250, 150, [7; 16]);
    let pay = Payment { amount: 250, challenge: Some(&challenge) };
    for f in [0, 1] {
        let p = Params::new(0, 60, 2, f).unwrap();
        let code = |i: usize, step| {
            let w = HmacWallet::new(p, i as u64 + 1, &seeds[i], 0);
            Code::Hmac(w.code_as(step, 0, Purpose::Challenge(&challenge)))
        };
        let enrol = |mut v: Verifier| {
            for (i, s) in seeds.iter().enumerate() {
                v.add_account(i as u64 + 1, s);
            }
            v
        };
        // At t = 100 (step 1) the challenge, issued at 150, is open, and paid.
        let v = enrol(Verifier::new(p, TERMINAL));
        assert!(v.verify_payment(&code(0, 1), 100, pay).is_ok());
        // The same verifier restarted without its state at t = 100: Q = 2 + F.
        // A second payer's code of step Q, at the start of step Q, while the
        // challenge is still open (until 270).
        let q = 2 + f;
        let t = q * 60 + 5;
        assert_eq!(v.verify_payment(&code(1, q), t, pay).unwrap_err().error(), Error::ChallengeUsed);
        // The floor T0 + (Q + 1)·X is 180 (F = 0) or 240 (F = 1): above
        // issued_at 150 either way, so no second payment.
        let lost = enrol(Verifier::after_state_loss(p, TERMINAL, 100).unwrap());
        let second = lost.verify_payment(&code(1, q), t, pay).map_err(|r| r.error());
        assert_eq!(second, Err(Error::StateUnavailable), "F = {f}: a second payment of one challenge");
    }
}
