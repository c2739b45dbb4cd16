//! Challenges and the payments that carry them: `Challenge::parse` on the
//! call's challenge text, then `Verifier::verify_text_payment` with a code
//! text, that challenge text (or none) and an amount, on a verifier of the
//! fixture (see `challenge/case.rs` for the input layout).
//!
//! Checks: no panic; `Challenge::parse` accepts exactly the texts the layout
//! allows, canonically, and reads its fields from where the layout puts them
//! (spec: R-CHAL-1); an acceptance is for a genuine code of the fixture's
//! wallets: a challenge code only with its own challenge, of this terminal,
//! for the call's amount, while the challenge is open (spec: R-CHAL-2,
//! R-CHAL-3), a capped code only up to its cap (spec: R-CAP-2), a numeric
//! code only up to A_num (spec: R-CAP-3), and no other code with a
//! challenge; the same payment again is `replayed` and another code for the
//! same challenge `challenge-used` (spec: R-CHAL-4); a rejection records
//! nothing (spec: R-VERIFY-3).

#![no_main]

#[path = "challenge/case.rs"]
mod case;

use case::ChallengeCase;
use libfuzzer_sys::fuzz_target;
use paycode::hazmat::base45;
use paycode::{Challenge, Code, Error, Mode, Payment, Purpose, TextPayment, VerifierState};
use paycode_test_support::fixture;

fuzz_target!(|data: &[u8]| {
    let case = ChallengeCase::from_bytes(data);
    let challenge_text = case.challenge_text();
    let challenge = challenge_text.as_deref().map(parse);
    let text = case.code_text();
    let v = case.verifier();
    let now = case.now();
    v.evict(now).expect("T0 = 0");
    let before = v.state();
    let payment = TextPayment { text: &text, amount: case.amount, challenge: challenge_text.as_deref() };
    match v.verify_text_payment(payment, now) {
        Ok(acc) => {
            let r = acc.record;
            assert_eq!((r.accepted_at, r.terminal_id), (now, fixture::TERMINAL));
            let code = Code::parse(&text).expect("an accepted text parses");
            let challenge = challenge.map(|c| c.expect("accepted with a challenge that does not decode"));
            accepted(&code, &text, r.step(), challenge.as_ref(), case.amount, now);
            // The same payment again is a replay (spec: R-REPLAY-1).
            let again = v.verify_text_payment(payment, now).map_err(|r| r.error());
            assert_eq!(again.err(), Some(Error::Replayed));
            if let Some(c) = &challenge {
                // Another genuine code for the challenge: used (spec: R-CHAL-4).
                let other = sibling(&code, c);
                let pay = Payment { amount: case.amount, challenge: Some(c) };
                let verdict = v.verify_payment(&other, now, pay).map_err(|r| r.error());
                assert_eq!(verdict.err(), Some(Error::ChallengeUsed));
            }
        }
        Err(_) => unchanged(&before, &v.state()),
    }
});

/// `Challenge::parse`, checked against an independent reading of R-CHAL-1:
/// `PT3:`, canonical Base45 of 37 bytes, version byte 0x02.
fn parse(text: &str) -> Result<Challenge, Error> {
    let parsed = Challenge::parse(text);
    let bytes = text
        .strip_prefix("PT3:")
        .and_then(|rest| base45::decode(rest).ok())
        .filter(|b| b.len() == 37 && b[0] == paycode::VERSION);
    match (&parsed, bytes) {
        (Ok(c), Some(b)) => {
            assert_eq!(c.encode()[..], b[..]);
            assert_eq!(c.to_qr_text(), text, "one text per challenge");
            assert_eq!(Challenge::decode(&b), Ok(*c));
            let u64_at = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            assert_eq!(c.terminal_id(), u32::from_be_bytes(b[1..5].try_into().expect("4 bytes")));
            assert_eq!((c.amount(), c.issued_at()), (u64_at(5), u64_at(13)));
            assert_eq!(c.nonce()[..], b[21..37]);
        }
        (Err(e), None) => assert_eq!(*e, Error::Malformed),
        (p, b) => panic!("parse gave {p:?}, the layout says {b:?}"),
    }
    parsed
}

/// What an acceptance of `code` (scanned as `text`, logged with step `step`)
/// with `challenge` and `amount` at `now` must satisfy.
fn accepted(code: &Code, text: &str, step: u64, challenge: Option<&Challenge>, amount: u64, now: u64) {
    let params = fixture::params();
    let purpose = match (code.mode(), challenge) {
        (Mode::Challenge, Some(c)) => {
            assert_eq!((c.terminal_id(), c.amount()), (fixture::TERMINAL, amount), "spec: R-CHAL-3");
            let (t, issued) = (u128::from(now), u128::from(c.issued_at()));
            assert!(t <= issued + u128::from(params.challenge_lifetime()), "a closed challenge");
            assert!(issued <= t + u128::from(params.step_secs()), "a challenge from the future");
            Purpose::Challenge(c)
        }
        (Mode::Challenge, None) => panic!("a challenge code accepted without a challenge"),
        (_, Some(_)) => panic!("a {} code accepted with a challenge", code.mode().name()),
        (Mode::Capped(cap), None) => {
            assert!(amount <= u64::from(cap), "spec: R-CAP-2: {amount} above the cap {cap}");
            Purpose::Capped(cap)
        }
        (Mode::OneWay, None) => Purpose::OneWay,
    };
    // Genuine: what the fixture's wallet makes for these fields (spec:
    // R-CHAL-2, R-CAP-1); only its account and credential are known here.
    let genuine = match code {
        Code::Hmac(c) => {
            let w = fixture::hmac_wallet(0);
            let handle = w.handle_for(c.step());
            assert_eq!(c.handle(), handle.bytes());
            w.code_as(c.step(), c.masked_counter() ^ handle.pad(), purpose).to_qr_text()
        }
        Code::Numeric(n) => {
            assert!(amount <= params.numeric_ceiling(), "spec: R-CAP-3: {amount} above A_num");
            let w = fixture::hmac_wallet(0);
            let counter = u32::from(n.masked_counter() ^ w.handle_for(step).pad16());
            w.numeric_for(step, counter).expect("a numeric form").to_digits()
        }
        Code::Ed25519(c) => fixture::ed25519_wallet(0).code_as(c.step(), c.counter(), purpose).to_qr_text(),
    };
    assert_eq!(genuine, text, "accepted a code the wallet did not make");
}

/// Another code of the same wallet for challenge `c`: the same step, the
/// counter next to the accepted one, so that C3 has nothing else to say.
fn sibling(code: &Code, c: &Challenge) -> Code {
    let (step, counter) = match code {
        Code::Hmac(h) => (h.step(), h.masked_counter() ^ fixture::hmac_wallet(0).handle_for(h.step()).pad()),
        Code::Ed25519(e) => (e.step(), e.counter()),
        Code::Numeric(_) => unreachable!("a numeric code is one-way"),
    };
    let counter = if counter > 0 { counter - 1 } else { 1 };
    match code {
        Code::Ed25519(_) => {
            Code::Ed25519(Box::new(fixture::ed25519_wallet(0).code_as(step, counter, Purpose::Challenge(c))))
        }
        _ => Code::Hmac(fixture::hmac_wallet(0).code_as(step, counter, Purpose::Challenge(c))),
    }
}

/// A rejection records nothing (spec: R-VERIFY-3): only T_hw may rise.
fn unchanged(before: &VerifierState, after: &VerifierState) {
    for (a, b) in [(&after.hmac, &before.hmac), (&after.ed25519, &before.ed25519)] {
        assert_eq!(
            (&a.windows, &a.spent, &a.marks, a.quarantine),
            (&b.windows, &b.spent, &b.marks, b.quarantine),
            "a rejection changed the replay state"
        );
        assert!(b.high_water <= a.high_water);
    }
    assert_eq!(after.challenges, before.challenges, "a rejection changed the nonce set");
    assert_eq!(after.revocation_list, before.revocation_list);
}
