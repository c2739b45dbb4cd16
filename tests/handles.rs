//! Rotating handles through the public API: codes of one wallet at
//! different steps carry no common identifier, colliding numeric handles
//! resolve to the right account with the budget charged as the spec says,
//! and a re-enrolment replaces an account's handles.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashMap;

use paycode::hazmat::handle::StepHandle;
use paycode::hazmat::keys::HandleKey;
use paycode::numeric::NumericCode;
use paycode::{Code, Error, HmacCode, HmacWallet, Params, Seed, Verifier};

const NOW: u64 = 1_800_000_000;

fn seed_of(account: u64) -> Seed {
    let mut bytes = [0x5a; 32];
    bytes[..8].copy_from_slice(&account.to_be_bytes());
    Seed::from_bytes(&bytes)
}

#[test]
fn codes_of_one_wallet_at_two_steps_share_no_identifier() {
    let params = Params::default();
    let seed = Seed::from_bytes(&[4; 32]);
    let wallet = HmacWallet::new(params, 9, &seed, 0);
    let mut verifier = Verifier::new(params, 1);
    verifier.add_account(9, &seed);
    let step = NOW / 60;
    let (a, b) = (wallet.code_for(step, 5), wallet.code_for(step + 1, 6));
    assert_ne!(a.handle(), b.handle());
    assert_ne!(a.masked_counter(), b.masked_counter());
    // Bytes 0..2 (version, mode) and 10..18 (the step) say nothing about the
    // account; no 4-byte window elsewhere in one payload occurs anywhere
    // outside those bytes in the other.
    let (pa, pb) = (a.encode(), b.encode());
    let outside = |p: &[u8]| -> Vec<[u8; 4]> {
        (0..=p.len() - 4)
            .filter(|&i| i >= 2 && (i + 4 <= 10 || i >= 18))
            .map(|i| p[i..i + 4].try_into().unwrap())
            .collect()
    };
    let (wa, wb) = (outside(&pa), outside(&pb));
    assert!(!wa.is_empty());
    for w in &wa {
        assert!(!wb.contains(w), "common window {w:02x?}");
    }
    // Both verify, at the steps they were made for, as the same account.
    let accepted_a = verifier.verify(&Code::Hmac(a), NOW, 0).unwrap();
    let accepted_b = verifier.verify(&Code::Hmac(b), NOW + 60, 0).unwrap();
    assert_eq!((accepted_a.subject, accepted_a.counter), (9, 5));
    assert_eq!((accepted_b.subject, accepted_b.counter), (9, 6));
}

/// Two account ids, in ascending order, whose numeric handles collide at
/// `step`, found by a deterministic search over ids 0, 1, 2, ...
fn numeric_collision(step: u64) -> (u64, u64) {
    let mut seen: HashMap<u32, u64> = HashMap::new();
    for account in 0u64.. {
        let h = StepHandle::derive(&HandleKey::derive(account, &seed_of(account)), step);
        if let Some(&other) = seen.get(&h.handle30()) {
            return (other, account);
        }
        seen.insert(h.handle30(), account);
    }
    unreachable!()
}

#[test]
fn colliding_numeric_handles_resolve_and_charge_the_first_candidate() {
    let params = Params::default();
    let step = NOW / 60;
    let (low, high) = numeric_collision(step);
    assert!(low < high);
    let wallet = |id| HmacWallet::new(params, id, &seed_of(id), 0);
    let (wl, wh) = (wallet(low), wallet(high));
    assert_eq!(wl.handle_for(step).handle30(), wh.handle_for(step).handle30());
    assert_ne!(wl.handle_for(step).bytes(), wh.handle_for(step).bytes());
    let mut verifier = Verifier::new(params, 7);
    verifier.add_account(high, &seed_of(high));
    verifier.add_account(low, &seed_of(low));

    // Both accounts' numeric codes are accepted, each as its own account.
    let nl = wl.numeric_for(step, 1).unwrap();
    let nh = wh.numeric_for(step, 1).unwrap();
    assert_eq!(nl.handle30(), nh.handle30());
    let a = verifier.verify(&Code::Numeric(nl), NOW, 10).unwrap();
    let b = verifier.verify(&Code::Numeric(nh), NOW, 10).unwrap();
    assert_eq!((a.subject, a.counter), (low, 1));
    assert_eq!((b.subject, b.counter), (high, 1));

    // A wrong tag on the shared handle is invalid-code, and it is the first
    // candidate's (the lower id's) budget that pays, with the source's.
    let good = wh.numeric_for(step, 2).unwrap();
    let bad = NumericCode::from_value(good.value() ^ 1).unwrap();
    assert_eq!(verifier.verify(&Code::Numeric(bad), NOW, 10).unwrap_err(), Error::InvalidCode);
    let state = verifier.state();
    let budgets: Vec<u64> = state.hmac.budgets.iter().map(|&(id, _)| id).collect();
    assert_eq!(budgets, [low]);
    assert_eq!(state.sources.len(), 1);
    assert_eq!(state.sources[0].0, 7);
    // Three more exhaust the lower id's budget (4 at once): its own good code
    // is then throttled, while the other account's still goes through.
    for _ in 0..3 {
        assert_eq!(verifier.verify(&Code::Numeric(bad), NOW, 10).unwrap_err(), Error::InvalidCode);
    }
    let next_low = wl.numeric_for(step, 2).unwrap();
    assert_eq!(verifier.verify(&Code::Numeric(next_low), NOW, 10).unwrap_err(), Error::Throttled);
    assert_eq!(verifier.verify(&Code::Numeric(bad), NOW, 10).unwrap_err(), Error::Throttled);
    let ok = verifier.verify(&Code::Numeric(good), NOW, 10).unwrap();
    assert_eq!((ok.subject, ok.counter), (high, 2));
}

#[test]
fn a_handle_with_no_candidate_charges_the_source_only() {
    let params = Params::default();
    let step = NOW / 60;
    let mut verifier = Verifier::new(params, 3);
    verifier.add_account(1, &seed_of(1));
    // Account 2's code: its handle is no enrolled account's.
    let stranger = HmacWallet::new(params, 2, &seed_of(2), 0).numeric_for(step, 0).unwrap();
    assert_ne!(stranger.handle30(), HmacWallet::new(params, 1, &seed_of(1), 0).handle_for(step).handle30());
    assert_eq!(verifier.verify(&Code::Numeric(stranger), NOW, 1).unwrap_err(), Error::InvalidCode);
    let state = verifier.state();
    assert!(state.hmac.budgets.is_empty(), "{:?}", state.hmac.budgets);
    assert_eq!(state.sources.len(), 1);
    assert!(state.sources[0].1 > step);
    // A QR code with no candidate is invalid-code and charges nothing.
    let qr = HmacWallet::new(params, 2, &seed_of(2), 0).code_for(step, 0);
    assert_eq!(verifier.verify(&Code::Hmac(qr), NOW, 1).unwrap_err(), Error::InvalidCode);
    assert_eq!(verifier.state().sources, state.sources);
}

#[test]
fn re_enrolment_with_a_new_seed_replaces_the_handles() {
    let params = Params::default();
    let step = NOW / 60;
    let (old, new) = (Seed::from_bytes(&[1; 32]), Seed::from_bytes(&[2; 32]));
    let mut verifier = Verifier::new(params, 1);
    verifier.add_account(5, &old);
    verifier.add_account(6, &seed_of(6));
    // The indexes of the window and the next step are built before the change.
    verifier.prepare_handles(NOW).unwrap();
    assert_eq!(verifier.indexed_steps(), (step - 2..=step + 2).collect::<Vec<_>>());
    let old_wallet = HmacWallet::new(params, 5, &old, 0);
    assert!(verifier.verify(&Code::Hmac(old_wallet.code_for(step, 0)), NOW, 0).is_ok());
    verifier.add_account(5, &new);
    let new_wallet = HmacWallet::new(params, 5, &new, 0);
    for (k, s) in [(0u32, step), (1, step + 1)] {
        let t = s * 60;
        let old_code = Code::Hmac(old_wallet.code_for(s, 1 + k));
        assert_eq!(verifier.verify(&old_code, t, 0).unwrap_err(), Error::InvalidCode);
        let old_numeric = Code::Numeric(old_wallet.numeric_for(s, 3).unwrap());
        assert_eq!(verifier.verify(&old_numeric, t, 0).unwrap_err(), Error::InvalidCode);
        let accepted = verifier.verify(&Code::Hmac(new_wallet.code_for(s, 10 + k)), t, 0).unwrap();
        assert_eq!((accepted.subject, accepted.counter), (5, 10 + k));
    }
    // The other account is untouched.
    let other = HmacWallet::new(params, 6, &seed_of(6), 0);
    assert!(verifier.verify(&Code::Hmac(other.code_for(step + 1, 0)), NOW + 60, 0).is_ok());
    // A step built after the change knows only the new seed.
    let later = step + 2;
    assert!(verifier.verify(&Code::Hmac(new_wallet.code_for(later, 20)), later * 60, 0).is_ok());
    let stale = Code::Hmac(old_wallet.code_for(later, 21));
    assert_eq!(verifier.verify(&stale, later * 60, 0).unwrap_err(), Error::InvalidCode);
}

#[test]
fn old_steps_are_dropped_from_the_index() {
    let params = Params::default();
    let step = NOW / 60;
    let mut verifier = Verifier::new(params, 1);
    verifier.add_account(5, &seed_of(5));
    verifier.prepare_handles(NOW).unwrap();
    verifier.prepare_handles(NOW + 600).unwrap();
    assert_eq!(verifier.indexed_steps(), (step + 8..=step + 12).collect::<Vec<_>>());
}

#[test]
fn an_old_code_at_the_end_of_time_is_too_old_not_invalid() {
    let params = Params::default();
    let mut verifier = Verifier::new(params, 1);
    verifier.add_account(1, &seed_of(1));
    let wallet = HmacWallet::new(params, 1, &seed_of(1), 0);
    let code = Code::Hmac(wallet.code_for(52, 0));
    assert_eq!(verifier.verify(&code, u64::MAX, 0).unwrap_err(), Error::TooOld);
}

#[test]
fn a_code_outside_the_window_is_too_old_or_too_new_whatever_its_tag() {
    let params = Params::default();
    let step = NOW / 60;
    let mut verifier = Verifier::new(params, 4);
    verifier.add_account(1, &seed_of(1));
    let wallet = HmacWallet::new(params, 1, &seed_of(1), 0);
    // B = 2, F = 1: steps step - 3 and step + 2 are outside [step - 2, step + 1].
    for (s, error) in [(step - 3, Error::TooOld), (step + 2, Error::TooNew)] {
        let good_qr = wallet.code_for(s, 0);
        let mut tag = *good_qr.tag();
        tag[0] ^= 1;
        let qr = HmacCode::new(good_qr.handle(), s, good_qr.masked_counter(), tag);
        assert_eq!(verifier.verify(&Code::Hmac(qr), NOW, 0).unwrap_err(), error);
        let good = wallet.numeric_for(s, 0).unwrap();
        let bad = NumericCode::from_value(good.value() ^ 1).unwrap();
        assert_eq!(verifier.verify(&Code::Numeric(bad), NOW, 0).unwrap_err(), error);
        assert_eq!(verifier.verify(&Code::Numeric(good), NOW, 0).unwrap_err(), error);
    }
    // No budget was charged, and no index was built for a step outside the window.
    let state = verifier.state();
    assert!(state.hmac.budgets.is_empty() && state.sources.is_empty(), "{state:?}");
    assert!(verifier.indexed_steps().is_empty(), "{:?}", verifier.indexed_steps());
    // Once the account's budget is spent an in-window guess is throttled,
    // an out-of-window one is still too-new.
    let good = wallet.numeric_for(step, 0).unwrap();
    let bad = Code::Numeric(NumericCode::from_value(good.value() ^ 1).unwrap());
    let verdicts: Vec<Error> = (0..5).map(|_| verifier.verify(&bad, NOW, 0).unwrap_err()).collect();
    assert_eq!(verdicts[..4], [Error::InvalidCode; 4]);
    assert_eq!(verdicts[4], Error::Throttled);
    let ahead = wallet.numeric_for(step + 2, 0).unwrap();
    let ahead = Code::Numeric(NumericCode::from_value(ahead.value() ^ 1).unwrap());
    assert_eq!(verifier.verify(&ahead, NOW, 0).unwrap_err(), Error::TooNew);
    assert_eq!(verifier.indexed_steps(), [step]);
}
