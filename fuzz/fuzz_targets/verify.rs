//! The whole verify path with arbitrary verifier state: a verifier with the
//! fixture's hmac account and trust list is restored from a state decoded
//! from the input (see `VerifyCase`), then verifies arbitrary text at an
//! arbitrary time and amount.
//!
//! Checks: no panic; verify never accepts what fails to decode, and then
//! reports the decoder's error; a rejection leaves the replay entries,
//! ledger, quarantine floor and revocation list as they were, and raises
//! T_hw no higher than the store already had it (spec: R-VERIFY-3,
//! R-TIME-5); an acceptance matches the code and the same input is then
//! rejected as `replayed` (spec: R-REPLAY-1); state survives a snapshot
//! round trip.

#![no_main]

use libfuzzer_sys::fuzz_target;
use paycode::verifier::Verifier;
use paycode::{Code, Error, Profile};
use paycode_test_support::fixture::{self, VerifyCase};

fuzz_target!(|data: &[u8]| {
    let case = VerifyCase::from_bytes(data);
    let v = case.verifier();
    let now = case.now;
    v.evict(now).expect("T0 = 0");
    let before = v.state();
    let parsed = Code::parse(&case.text);
    // spec: R-TIME-8: the call runs at the verifier time, never below the floor.
    let verifier_time = v.verifier_time(now);
    let verdict = v.verify_text(&case.text, now, case.amount);
    match (&parsed, &verdict) {
        (Err(_), Ok(_)) => panic!("accepted an input that does not decode"),
        (Err(pe), Err(ve)) => assert_eq!(pe, ve),
        (Ok(code), _) => assert_eq!(code.to_text(), case.text),
    }
    match (&parsed, &verdict) {
        (Ok(code), Ok(acc)) => {
            let r = &acc.record;
            assert_eq!(r.profile(), code.profile());
            assert_eq!(r.accepted_at, verifier_time);
            assert_eq!(r.terminal_id, fixture::TERMINAL);
            assert_eq!(paycode::log::LogRecord::decode(&r.encode()), Ok(r.clone()));
            match code {
                Code::Hmac(c) => {
                    assert_eq!(
                        (r.subject(), r.counter(), r.step(), r.amount),
                        (c.handle_value(), c.masked_counter(), c.step(), case.amount)
                    );
                    let pad = fixture::hmac_wallet(0).handle_for(c.step()).pad();
                    assert_eq!((acc.subject, acc.counter), (fixture::ACCOUNT, c.masked_counter() ^ pad));
                }
                Code::Numeric(c) => {
                    assert_eq!(
                        (r.subject(), r.counter(), r.amount),
                        (u64::from(c.handle30()), u32::from(c.masked_counter()), case.amount)
                    );
                    let pad16 = fixture::hmac_wallet(0).handle_for(r.step()).pad16();
                    assert_eq!(
                        (acc.subject, acc.counter),
                        (fixture::ACCOUNT, u32::from(c.masked_counter() ^ pad16))
                    );
                    assert_eq!(r.step() % 16, u64::from(c.step_low()));
                }
                Code::Ed25519(c) => {
                    let f = c.credential().fields();
                    assert_eq!((r.subject(), r.counter(), r.step()), (f.serial, c.counter(), c.step()));
                    assert_eq!(r.amount, case.amount);
                    assert!(case.amount <= u64::from(f.per_payment_limit));
                    assert!(!case.revoke || f.serial != fixture::SERIAL);
                }
            }
            // Only the fixture's identities can be accepted.
            // spec: R-LOG-1: the record holds the code exactly as verified.
            assert_eq!(r.code().as_ref(), Some(code));
            match r.profile() {
                Profile::Hmac => assert_eq!(acc.subject, fixture::ACCOUNT),
                Profile::Ed25519 => assert_eq!(acc.subject, fixture::SERIAL),
            }
            let window = v.replay_state(r.profile()).window(acc.subject).expect("window after acceptance");
            assert!(window.high >= acc.counter && window.top >= r.step());
            // The same input again is a replay (spec: R-REPLAY-1).
            assert_eq!(v.verify_text(&case.text, now, case.amount), Err(Error::Replayed));
            assert_eq!(v.verify(code, now, case.amount), Err(Error::Replayed));
        }
        (_, Err(_)) => {
            // A rejection records nothing (spec: R-VERIFY-3). Only T_hw may
            // rise (spec: R-TIME-5): `evict` above already raised it to the
            // step of `now`, and the store's two profiles share one T_hw, so
            // neither goes above the larger of the two.
            let after = v.state();
            let ceiling = before.hmac.high_water.max(before.ed25519.high_water);
            for (a, b) in [(&after.hmac, &before.hmac), (&after.ed25519, &before.ed25519)] {
                assert_eq!(
                    (&a.windows, &a.spent, a.quarantine),
                    (&b.windows, &b.spent, b.quarantine),
                    "a rejection changed the replay state"
                );
                assert!(b.high_water <= a.high_water && a.high_water <= ceiling, "T_hw {b:?} -> {a:?}");
            }
            assert_eq!(after.revocation_list, before.revocation_list);
        }
        (Err(_), Ok(_)) => unreachable!(),
    }
    let state = v.state();
    let restored = Verifier::restore(fixture::params(), fixture::TERMINAL, &state);
    assert_eq!(restored.state(), state);
});
