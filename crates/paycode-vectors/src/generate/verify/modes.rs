//! `verify-modes.json`: capped codes, challenge codes and the numeric
//! ceiling (spec §4.9, §7.4 steps V1.C, V2, C2, C3 and C4, §7.5), in both
//! profiles, with the precedence of their checks.

use paycode::{Challenge, Error, Mode, Purpose};

use super::{VerifyCase, add};
use crate::errors::VectorError;
use crate::format::{ChallengeEntry, StateBefore, TimeParams, VerifierConfig};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, ACCOUNT_PERIOD, DEFAULT_PARAMS, STEP, TIME, challenge, ed25519_code_for, ed25519_verifier,
    entry, hex, hmac_code, hmac_code_for, hmac_verifier, issue, main_fields, numeric_text, qr_text, state,
    state_with_entry, trust_list_key_1, with_budget,
};
use crate::generate::flags::Flag;
use paycode::Profile;

/// The hmac verifier's terminal.
const HMAC_TERMINAL: u32 = 1;
/// The ed25519 verifier's terminal.
const ED25519_TERMINAL: u32 = 7;
/// The price the cases' challenges ask.
const PRICE: u64 = 250;

/// The requirements every accepted challenge code exercises.
const CHALLENGE_ACCEPTED: &[&str] = &["R-MODE-1", "R-CHAL-2", "R-CHAL-3", "R-CHAL-4", "R-HMAC-1"];

/// The cases, in file order.
pub(super) fn cases(file: &mut FileBuilder) -> Result<(), VectorError> {
    hmac_capped(file)?;
    hmac_challenge(file)?;
    challenge_time(file)?;
    challenge_state(file)?;
    numeric_ceiling(file)?;
    ed25519(file)?;
    precedence(file)
}

/// The hmac QR text of account 42's code at `step`, `counter` for `purpose`.
fn hmac_text(step: u64, counter: u32, purpose: Purpose<'_>) -> Result<String, VectorError> {
    Ok(hmac_code_for(&DEFAULT_PARAMS, ACCOUNT, step, counter, purpose)?.to_qr_text())
}

/// The terminal-1 challenge for `PRICE`, made at `issued_at`.
fn till(issued_at: u64) -> Challenge {
    challenge(HMAC_TERMINAL, PRICE, issued_at, "till")
}

fn with_params(t: TimeParams, challenge_lifetime: Option<u64>, numeric_ceiling: Option<u64>) -> TimeParams {
    TimeParams { challenge_lifetime, numeric_ceiling, ..t }
}

fn used(c: &Challenge, closes: u64) -> StateBefore {
    StateBefore {
        challenges: vec![ChallengeEntry { nonce: hex(c.nonce()), closes }],
        ..StateBefore::default()
    }
}

fn hmac_capped(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let capped = hmac_text(STEP, 0, Purpose::Capped(500))?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.capped-at-cap",
            requirements: &["R-MODE-1", "R-CAP-1", "R-CAP-2", "R-HMAC-1", "R-LOG-1"],
            flags: &[Flag::Valid, Flag::Cap, Flag::Mode, Flag::LogRecord],
            comment: "A capped code (0x11, 42 bytes) for a payment of exactly its cap.",
            text: capped.clone(),
            amount: 500,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.capped-over-cap",
            requirements: &["R-CAP-2"],
            flags: &[Flag::Cap],
            comment: "The same code for one minor unit more than its cap.",
            text: capped,
            amount: 501,
            verdict: Err(Error::OverCap),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.capped-zero-cap",
            requirements: &["R-CAP-2"],
            flags: &[Flag::Cap, Flag::U64Extreme],
            comment: "A cap of 0 pays only a payment of 0.",
            text: hmac_text(STEP, 0, Purpose::Capped(0))?,
            amount: 1,
            verdict: Err(Error::OverCap),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.capped-max-cap",
            requirements: &["R-CAP-2", "R-TIME-3"],
            flags: &[Flag::Cap, Flag::U64Extreme],
            comment: "A cap of 2^32 - 1 and a u64 amount just above it: compared as u64, never truncated.",
            text: hmac_text(STEP, 0, Purpose::Capped(u32::MAX))?,
            amount: u64::from(u32::MAX) + 1,
            verdict: Err(Error::OverCap),
            ..VerifyCase::at(&verifier)
        },
    )?;
    // The tag of cap 500, with the cap field raised: the tag covers the cap.
    let good = hmac_code_for(&DEFAULT_PARAMS, ACCOUNT, STEP, 0, Purpose::Capped(500))?;
    let raised = good.with_mode(Mode::Capped(50_000));
    add(
        file,
        VerifyCase {
            id: "hmac.verify.capped-cap-raised",
            requirements: &["R-CAP-1", "R-HMAC-1"],
            flags: &[Flag::Cap, Flag::BadTag],
            comment: "A capped code whose cap was raised from 500 to 50000 after it was made: its tag no longer matches.",
            text: raised.to_qr_text(),
            amount: 600,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let one_way = hmac_code(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.one-way-made-capped",
            requirements: &["R-MODE-1", "R-HMAC-1"],
            flags: &[Flag::Mode, Flag::BadTag],
            comment: "A one-way code's tag under a capped code's fields: the mode byte is covered by the tag.",
            text: one_way.with_mode(Mode::Capped(5)).to_qr_text(),
            amount: 5,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.one-way-any-amount",
            requirements: &["R-CAP-3", "R-MODE-1"],
            flags: &[Flag::Valid, Flag::Ceiling, Flag::U64Extreme],
            comment: "A one-way QR code has no cap, and the numeric ceiling is for numeric codes only: any amount.",
            text: one_way.to_qr_text(),
            amount: u64::MAX,
            ..VerifyCase::at(&verifier)
        },
    )
}

fn hmac_challenge(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let ch = till(TIME);
    let code = hmac_text(STEP, 0, Purpose::Challenge(&ch))?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-accepted",
            requirements: CHALLENGE_ACCEPTED,
            flags: &[Flag::Valid, Flag::Challenge, Flag::LogRecord],
            comment: "A challenge code (0x21) for terminal 1's challenge, at terminal 1, for the challenge's amount.",
            text: code.clone(),
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-other-amount",
            requirements: &["R-CHAL-3"],
            flags: &[Flag::Challenge],
            comment: "The same, with the call's amount one above the challenge's.",
            text: code.clone(),
            amount: PRICE + 1,
            challenge: Some(ch.to_qr_text()),
            verdict: Err(Error::ChallengeMismatch),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let elsewhere = challenge(2, PRICE, TIME, "till");
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-other-terminal",
            requirements: &["R-CHAL-3"],
            flags: &[Flag::Challenge],
            comment: "A code made for terminal 2's challenge, presented with that challenge at terminal 1: a lifted code.",
            text: hmac_text(STEP, 0, Purpose::Challenge(&elsewhere))?,
            amount: PRICE,
            challenge: Some(elsewhere.to_qr_text()),
            verdict: Err(Error::ChallengeMismatch),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let other = challenge(HMAC_TERMINAL, PRICE, TIME, "other");
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-other-challenge",
            requirements: &["R-CHAL-2", "R-HMAC-1"],
            flags: &[Flag::Challenge, Flag::BadTag],
            comment: "A code made for one challenge, presented with another challenge of the same terminal and amount: its tag covers the first challenge's digest.",
            text: code.clone(),
            amount: PRICE,
            challenge: Some(other.to_qr_text()),
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-code-without-challenge",
            requirements: &["R-CHAL-3"],
            flags: &[Flag::Challenge],
            comment: "A challenge code in a call without a challenge.",
            text: code,
            amount: PRICE,
            verdict: Err(Error::NoChallenge),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.one-way-with-challenge",
            requirements: &["R-CHAL-3"],
            flags: &[Flag::Challenge, Flag::Mode],
            comment: "A one-way code in a call with a challenge: a lifted one-way code is refused where the terminal asks for a challenge code.",
            text: hmac_text(STEP, 0, Purpose::OneWay)?,
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            verdict: Err(Error::ChallengeRequired),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.capped-with-challenge",
            requirements: &["R-CHAL-3"],
            flags: &[Flag::Challenge, Flag::Mode],
            comment: "A capped code in a call with a challenge.",
            text: hmac_text(STEP, 0, Purpose::Capped(1000))?,
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            verdict: Err(Error::ChallengeRequired),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.with-challenge",
            requirements: &["R-CHAL-3", "R-HMAC-4"],
            flags: &[Flag::Challenge, Flag::Mode],
            comment: "A numeric code is one-way: in a call with a challenge it is challenge-required.",
            text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            verdict: Err(Error::ChallengeRequired),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let mut bad = ch.to_qr_text();
    bad.push('0');
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-malformed",
            requirements: &["R-CHAL-1"],
            flags: &[Flag::Challenge, Flag::Length],
            comment: "A challenge text one character too long (V1.C).",
            text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(bad),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let mut v1 = ch.encode();
    v1[0] = 1;
    file.retire("hmac.verify.challenge-version-2", crate::generate::VERSION_2_RETIRED);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-version-1",
            requirements: &["R-CHAL-1"],
            flags: &[Flag::Challenge, Flag::Version],
            comment: "A challenge whose version byte is 0x01, of the retired v1, is malformed (no version of a challenge but 0x02 exists).",
            text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(format!("PT3:{}", paycode::hazmat::base45::encode(&v1))),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-with-code-prefix",
            requirements: &["R-CHAL-1"],
            flags: &[Flag::Challenge, Flag::Prefix],
            comment: "A challenge's bytes behind the code prefix PC3: are not a challenge.",
            text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(qr_text(&ch.encode())),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&verifier)
        },
    )
}

/// A time edge: id, `issued_at`, verifier time, verdict, comment.
type TimeCase<'a> = (&'a str, u64, u64, Result<(), Error>, &'a str);

/// Lifetime and time edges of V2.3 (spec: R-CHAL-3).
fn challenge_time(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let cases: [TimeCase<'_>; 4] = [
        (
            "hmac.verify.challenge-last-second",
            TIME - 120,
            TIME,
            Ok(()),
            "Verified at issued_at + C (C = 120): still open.",
        ),
        (
            "hmac.verify.challenge-closed",
            TIME - 121,
            TIME,
            Err(Error::ChallengeExpired),
            "Verified at issued_at + C + 1: closed.",
        ),
        (
            "hmac.verify.challenge-one-step-ahead",
            TIME + 60,
            TIME,
            Ok(()),
            "A challenge made by a clock X = 60 s ahead of the verifier's: open.",
        ),
        (
            "hmac.verify.challenge-from-the-future",
            TIME + 61,
            TIME,
            Err(Error::ChallengeExpired),
            "A challenge made 61 s after the verifier's time: from the future.",
        ),
    ];
    for (id, issued_at, time, verdict, comment) in cases {
        let ch = till(issued_at);
        add(
            file,
            VerifyCase {
                id,
                requirements: &["R-CHAL-3"],
                flags: &[Flag::Challenge, Flag::WindowEdge],
                comment,
                time,
                text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
                amount: PRICE,
                challenge: Some(ch.to_qr_text()),
                verdict,
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    let short = hmac_verifier(with_params(DEFAULT_PARAMS, Some(30), None));
    for (id, issued_at, verdict) in [
        ("hmac.verify.challenge-lifetime-30-last-second", TIME - 30, Ok(())),
        ("hmac.verify.challenge-lifetime-30-closed", TIME - 31, Err(Error::ChallengeExpired)),
    ] {
        let ch = till(issued_at);
        add(
            file,
            VerifyCase {
                id,
                requirements: &["R-CHAL-3", "R-TIME-6"],
                flags: &[Flag::Challenge, Flag::Params, Flag::WindowEdge],
                comment: "A verifier with C = 30: open through issued_at + 30.",
                text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
                amount: PRICE,
                challenge: Some(ch.to_qr_text()),
                verdict,
                ..VerifyCase::at(&short)
            },
        )?;
    }
    let top = till(u64::MAX);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-issued-at-max",
            requirements: &["R-CHAL-3", "R-TIME-3"],
            flags: &[Flag::Challenge, Flag::U64Extreme],
            comment: "issued_at = 2^64 - 1 at the verifier time 2^64 - 1: issued_at + C is computed exactly, so the challenge is open.",
            time: u64::MAX,
            state: state(u64::MAX / 60, 0),
            text: hmac_text(u64::MAX / 60, 0, Purpose::Challenge(&top))?,
            amount: PRICE,
            challenge: Some(top.to_qr_text()),
            ..VerifyCase::at(&verifier)
        },
    )
}

/// The nonce set and what the verifier can no longer decide (C2, C3).
fn challenge_state(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let long_lived = with_params(DEFAULT_PARAMS, Some(600), None);
    let long_verifier = hmac_verifier(long_lived);
    let ch = till(TIME);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-used",
            requirements: &["R-CHAL-4"],
            flags: &[Flag::Challenge, Flag::Replay],
            comment: "The challenge's nonce is in the nonce set: a code was already accepted for it (another payer's, say).",
            state: used(&ch, TIME + 120),
            text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            verdict: Err(Error::ChallengeUsed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-other-nonce-used",
            requirements: &["R-CHAL-4"],
            flags: &[Flag::Valid, Flag::Challenge],
            comment: "Another challenge's nonce in the set does not matter.",
            state: used(&challenge(HMAC_TERMINAL, PRICE, TIME, "other"), TIME + 120),
            text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            ..VerifyCase::at(&verifier)
        },
    )?;
    // After a lost-state restart at TIME - 90: T_hw = STEP - 2, Q = STEP;
    // T0 + (Q + 1)·X = TIME + 60.
    let after_loss = state(STEP - 2, STEP);
    for (id, issued_at, verdict, comment) in [
        (
            "hmac.verify.challenge-issued-before-quarantine-floor",
            TIME + 59,
            Err(Error::StateUnavailable),
            "Q = 30000000 after a loss: a challenge issued at T0 + (Q + 1)·X - 1 may have been used before the state was lost (accepted up to one step ahead of the clock); its code's step passes C2's own check.",
        ),
        (
            "hmac.verify.challenge-issued-at-quarantine-floor",
            TIME + 60,
            Ok(()),
            "A challenge issued at T0 + (Q + 1)·X exactly (one step ahead of the verifier's clock, which V2.3 allows): accepted.",
        ),
    ] {
        let ch = till(issued_at);
        add(
            file,
            VerifyCase {
                id,
                requirements: &["R-CHAL-4", "R-REPLAY-5"],
                flags: &[Flag::Challenge, Flag::Quarantine, Flag::WindowEdge],
                comment,
                state: after_loss.clone(),
                text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
                amount: PRICE,
                challenge: Some(ch.to_qr_text()),
                verdict,
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    let old = till(0);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-no-loss-no-floor",
            requirements: &["R-CHAL-4"],
            flags: &[Flag::Valid, Flag::Challenge, Flag::Params],
            comment: "Without a loss (Q = 0) no issue time is refused at C2: a verifier with C = 600 at t = 600 accepts a challenge issued at 0.",
            state: state(0, 0),
            time: 600,
            text: hmac_code_for(&long_lived, ACCOUNT, 10, 0, Purpose::Challenge(&old))?.to_qr_text(),
            amount: PRICE,
            challenge: Some(old.to_qr_text()),
            ..VerifyCase::at(&long_verifier)
        },
    )?;
    // The clock went back: T_hw = STEP + 3 while the time is TIME (step STEP),
    // so L = STEP + 1, and the start of T' is TIME + 180.
    let high = state(STEP + 3, 0);
    let before = till(TIME + 59);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-closed-before-floor",
            requirements: &["R-CHAL-4", "R-TIME-8"],
            flags: &[Flag::Challenge, Flag::HighWater, Flag::ClockJump],
            comment: "A challenge open by the clock (closes at TIME + 179) but closed at the verifier time, the start of the high-water step (TIME + 180): expired.",
            state: high.clone(),
            text: hmac_text(STEP + 1, 0, Purpose::Challenge(&before))?,
            amount: PRICE,
            challenge: Some(before.to_qr_text()),
            verdict: Err(Error::ChallengeExpired),
            ..VerifyCase::at(&verifier)
        },
    )?;
    file.retire(
        "hmac.verify.challenge-closed-before-high-water",
        "challenge expiry uses the verifier time max(t, φ) (R-TIME-8); see hmac.verify.challenge-closed-before-floor",
    );
    let at = till(TIME + 60);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.challenge-closes-at-high-water",
            requirements: &["R-CHAL-4", "R-TIME-5"],
            flags: &[Flag::Valid, Flag::Challenge, Flag::HighWater],
            comment: "The same with a challenge that closes exactly at the start of the high-water step: accepted.",
            state: high,
            text: hmac_text(STEP + 1, 0, Purpose::Challenge(&at))?,
            amount: PRICE,
            challenge: Some(at.to_qr_text()),
            ..VerifyCase::at(&verifier)
        },
    )
}

fn numeric_ceiling(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let digits = numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.at-ceiling",
            requirements: &["R-CAP-3"],
            flags: &[Flag::Valid, Flag::Ceiling],
            comment: "A numeric code for exactly the default ceiling A_num = 5000.",
            text: digits.clone(),
            amount: 5000,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.over-ceiling",
            requirements: &["R-CAP-3"],
            flags: &[Flag::Ceiling],
            comment: "One minor unit above the default ceiling.",
            text: digits.clone(),
            amount: 5001,
            verdict: Err(Error::OverCeiling),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let low = hmac_verifier(with_params(DEFAULT_PARAMS, None, Some(100)));
    add(
        file,
        VerifyCase {
            id: "numeric.verify.configured-ceiling",
            requirements: &["R-CAP-3"],
            flags: &[Flag::Ceiling, Flag::Params],
            comment: "An issuer ceiling of 100: 101 is over it.",
            text: digits.clone(),
            amount: 101,
            verdict: Err(Error::OverCeiling),
            ..VerifyCase::at(&low)
        },
    )?;
    let zero = hmac_verifier(with_params(DEFAULT_PARAMS, None, Some(0)));
    add(
        file,
        VerifyCase {
            id: "numeric.verify.zero-ceiling",
            requirements: &["R-CAP-3"],
            flags: &[Flag::Valid, Flag::Ceiling],
            comment: "An issuer ceiling of 0 leaves numeric codes for payments of 0 only.",
            text: digits,
            amount: 0,
            ..VerifyCase::at(&zero)
        },
    )
}

fn ed25519(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier: VerifierConfig = ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?);
    let credential = issue(main_fields());
    let text = |purpose: Purpose<'_>| -> Result<String, VectorError> {
        Ok(ed25519_code_for(&DEFAULT_PARAMS, 1, credential, STEP, 0, purpose)?.to_qr_text())
    };
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.capped-at-cap",
            requirements: &["R-MODE-1", "R-CAP-1", "R-CAP-2", "R-ED-5", "R-LOG-1"],
            flags: &[Flag::Valid, Flag::Cap, Flag::Mode, Flag::LogRecord],
            comment: "A capped ed25519 code (0x12, 208 bytes) for exactly its cap, below the credential's limits.",
            text: text(Purpose::Capped(1200))?,
            amount: 1200,
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.capped-over-cap",
            requirements: &["R-CAP-2"],
            flags: &[Flag::Cap],
            comment: "One above the cap, below the per-payment limit (5000).",
            text: text(Purpose::Capped(1200))?,
            amount: 1201,
            verdict: Err(Error::OverCap),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.cap-above-limit",
            requirements: &["R-CAP-2", "R-LIMIT-1"],
            flags: &[Flag::Cap, Flag::Limit],
            comment: "A cap above the per-payment limit does not raise it: 5001 is within the cap and over-limit.",
            text: text(Purpose::Capped(9000))?,
            amount: 5001,
            verdict: Err(Error::OverLimit),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let good = ed25519_code_for(&DEFAULT_PARAMS, 1, credential, STEP, 0, Purpose::Capped(1200))?;
    let mut raised = good.encode().to_vec();
    if let Some(cap) = raised.get_mut(14..18) {
        cap.copy_from_slice(&90_000u32.to_be_bytes());
    }
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.capped-cap-raised",
            requirements: &["R-CAP-1", "R-ED-5"],
            flags: &[Flag::Cap, Flag::BadSignature],
            comment: "A capped code whose cap was raised after it was signed.",
            text: qr_text(&raised),
            amount: 1201,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let ch = challenge(ED25519_TERMINAL, PRICE, TIME, "stall");
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.challenge-accepted",
            requirements: &["R-MODE-1", "R-CHAL-2", "R-CHAL-3", "R-CHAL-4", "R-ED-5"],
            flags: &[Flag::Valid, Flag::Challenge, Flag::LogRecord],
            comment: "A challenge ed25519 code (0x22, 204 bytes) for terminal 7's challenge.",
            text: text(Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let other = challenge(ED25519_TERMINAL, PRICE, TIME, "other");
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.challenge-other-challenge",
            requirements: &["R-CHAL-2", "R-ED-5"],
            flags: &[Flag::Challenge, Flag::BadSignature],
            comment: "A code signed for one challenge, presented with another of the same terminal and amount.",
            text: text(Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(other.to_qr_text()),
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let elsewhere = challenge(HMAC_TERMINAL, PRICE, TIME, "stall");
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.challenge-other-terminal",
            requirements: &["R-CHAL-3"],
            flags: &[Flag::Challenge],
            comment: "A code made for terminal 1's challenge, lifted and presented at terminal 7.",
            text: text(Purpose::Challenge(&elsewhere))?,
            amount: PRICE,
            challenge: Some(elsewhere.to_qr_text()),
            verdict: Err(Error::ChallengeMismatch),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.challenge-code-without-challenge",
            requirements: &["R-CHAL-3"],
            flags: &[Flag::Challenge],
            comment: "A challenge ed25519 code in a call without a challenge.",
            text: text(Purpose::Challenge(&ch))?,
            amount: PRICE,
            verdict: Err(Error::NoChallenge),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.challenge-used",
            requirements: &["R-CHAL-4"],
            flags: &[Flag::Challenge, Flag::Replay],
            comment: "The challenge's nonce is already in the set.",
            state: used(&ch, TIME + 120),
            text: text(Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            verdict: Err(Error::ChallengeUsed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let ahead = challenge(ED25519_TERMINAL, PRICE, TIME + 61, "stall");
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.challenge-from-the-future",
            requirements: &["R-CHAL-3"],
            flags: &[Flag::Challenge, Flag::WindowEdge],
            comment: "A challenge made 61 s after the terminal's time: from the future.",
            text: text(Purpose::Challenge(&ahead))?,
            amount: PRICE,
            challenge: Some(ahead.to_qr_text()),
            verdict: Err(Error::ChallengeExpired),
            ..VerifyCase::at(&verifier)
        },
    )?;
    // The clock went back: T_hw = STEP + 3 at TIME; the start of T' is TIME + 180.
    let before = challenge(ED25519_TERMINAL, PRICE, TIME + 59, "stall");
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.challenge-closed-before-floor",
            requirements: &["R-CHAL-4", "R-TIME-8"],
            flags: &[Flag::Challenge, Flag::HighWater, Flag::ClockJump],
            comment: "A challenge open by the clock (closes at TIME + 179) but expired at the verifier time, the start of the high-water step (TIME + 180).",
            state: state(STEP + 3, 0),
            text: ed25519_code_for(&DEFAULT_PARAMS, 1, credential, STEP + 1, 0, Purpose::Challenge(&before))?
                .to_qr_text(),
            amount: PRICE,
            challenge: Some(before.to_qr_text()),
            verdict: Err(Error::ChallengeExpired),
            ..VerifyCase::at(&verifier)
        },
    )?;
    file.retire(
        "ed25519.verify.challenge-closed-before-high-water",
        "challenge expiry uses the verifier time max(t, φ) (R-TIME-8); see ed25519.verify.challenge-closed-before-floor",
    );
    let dear = challenge(ED25519_TERMINAL, 5001, TIME, "stall");
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.challenge-over-limit",
            requirements: &["R-CHAL-3", "R-LIMIT-1"],
            flags: &[Flag::Challenge, Flag::Limit],
            comment: "A challenge for more than the per-payment limit: the limits still apply.",
            text: text(Purpose::Challenge(&dear))?,
            amount: 5001,
            challenge: Some(dear.to_qr_text()),
            verdict: Err(Error::OverLimit),
            ..VerifyCase::at(&verifier)
        },
    )
}

/// Two or more checks fail; the first in the spec's order is reported.
fn precedence(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let ch = till(TIME);
    let stranger = hmac_code_for(&DEFAULT_PARAMS, 99, STEP, 0, Purpose::Challenge(&ch))?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-no-challenge-over-unknown-account",
            requirements: &["R-VERIFY-1", "R-CHAL-3"],
            flags: &[Flag::Precedence, Flag::Challenge],
            comment: "A challenge code of an account the verifier does not hold, without a challenge: V2 comes before H1.",
            text: stranger.to_qr_text(),
            amount: PRICE,
            verdict: Err(Error::NoChallenge),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let mut forged = hmac_code_for(&DEFAULT_PARAMS, ACCOUNT, STEP, 0, Purpose::Challenge(&ch))?.encode();
    if let Some(last) = forged.last_mut() {
        *last ^= 1;
    }
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-mismatch-over-bad-tag",
            requirements: &["R-VERIFY-1", "R-CHAL-3"],
            flags: &[Flag::Precedence, Flag::Challenge, Flag::BadTag],
            comment: "A forged challenge code for another amount: challenge-mismatch (V2) before invalid-code (H3).",
            text: qr_text(&forged),
            amount: PRICE + 1,
            challenge: Some(ch.to_qr_text()),
            verdict: Err(Error::ChallengeMismatch),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let closed = till(TIME - 500);
    file.retire(
        "hmac.verify.precedence-expired-over-throttled",
        "a challenge code is a QR code, which is never throttled (R-HMAC-6); the numeric form is, and meets V2 as challenge-required",
    );
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-challenge-required-over-throttled",
            requirements: &["R-VERIFY-1", "R-CHAL-3", "R-HMAC-7"],
            flags: &[Flag::Precedence, Flag::Challenge, Flag::Throttle],
            comment: "A valid numeric code of an account whose failure budget is spent, in a call with a challenge: challenge-required (V2) before throttled (H2).",
            state: with_budget(ACCOUNT, STEP + 4 * ACCOUNT_PERIOD),
            text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            amount: PRICE,
            challenge: Some(closed.to_qr_text()),
            verdict: Err(Error::ChallengeRequired),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let ed_only = ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?);
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-disabled-profile-over-no-challenge",
            requirements: &["R-VERIFY-1", "R-MODE-1"],
            flags: &[Flag::Precedence, Flag::Profile, Flag::Challenge],
            comment: "An hmac challenge code without a challenge at a verifier without the hmac profile: unsupported-profile (V1.5) first.",
            text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
            amount: PRICE,
            verdict: Err(Error::UnsupportedProfile),
            ..VerifyCase::at(&ed_only)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-disabled-profile-over-malformed-challenge",
            requirements: &["R-VERIFY-1", "R-CHAL-1"],
            flags: &[Flag::Precedence, Flag::Profile, Flag::Challenge],
            comment: "The code decodes to a disabled profile (V1.5) before the challenge is decoded (V1.C).",
            text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some("PT3:".to_owned()),
            verdict: Err(Error::UnsupportedProfile),
            ..VerifyCase::at(&ed_only)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-malformed-challenge-over-no-challenge-needed",
            requirements: &["R-VERIFY-1", "R-CHAL-1"],
            flags: &[Flag::Precedence, Flag::Challenge],
            comment: "A one-way code with a challenge that does not decode: malformed (V1.C) before challenge-required (V2).",
            text: hmac_text(STEP, 0, Purpose::OneWay)?,
            amount: PRICE,
            challenge: Some("PT3:00".to_owned()),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    // The entry of counter 0 at STEP, and its mark.
    let seen = state_with_entry(STEP, entry(Profile::Hmac, ACCOUNT, 0, 1, STEP));
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-replayed-over-challenge-used",
            requirements: &["R-VERIFY-1", "R-REPLAY-2", "R-CHAL-4"],
            flags: &[Flag::Precedence, Flag::Replay, Flag::Challenge],
            comment: "The same challenge code again: replayed comes before challenge-used in C3.",
            state: StateBefore { challenges: used(&ch, TIME + 120).challenges, ..seen.clone() },
            text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            verdict: Err(Error::Replayed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-replayed-over-over-cap",
            requirements: &["R-VERIFY-1", "R-CAP-2"],
            flags: &[Flag::Precedence, Flag::Replay, Flag::Cap],
            comment: "A capped code already accepted, for more than its cap: replayed (C3) before over-cap (C4).",
            state: seen.clone(),
            text: hmac_text(STEP, 0, Purpose::Capped(10))?,
            amount: 11,
            verdict: Err(Error::Replayed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.precedence-replayed-over-over-ceiling",
            requirements: &["R-VERIFY-1", "R-CAP-3"],
            flags: &[Flag::Precedence, Flag::Replay, Flag::Ceiling],
            comment: "A numeric code already accepted, above the ceiling: replayed (C3) before over-ceiling (C4).",
            state: seen,
            text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            amount: 5001,
            verdict: Err(Error::Replayed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-quarantine-over-challenge-used",
            requirements: &["R-VERIFY-1", "R-REPLAY-5", "R-CHAL-4"],
            flags: &[Flag::Precedence, Flag::Quarantine, Flag::Challenge],
            comment: "A used challenge whose code's step is below Q: state-unavailable (C2) before challenge-used (C3).",
            state: StateBefore { q: STEP + 1, ..used(&ch, TIME + 120) },
            text: hmac_text(STEP, 0, Purpose::Challenge(&ch))?,
            amount: PRICE,
            challenge: Some(ch.to_qr_text()),
            verdict: Err(Error::StateUnavailable),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let bad_code = {
        let mut t = hmac_text(STEP, 0, Purpose::Challenge(&ch))?;
        t.push('0');
        t
    };
    add(
        file,
        VerifyCase {
            id: "hmac.verify.precedence-malformed-code-over-malformed-challenge",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Precedence, Flag::Length],
            comment: "Both texts are malformed: the code is decoded first; the verdict is malformed either way, and nothing is recorded.",
            text: bad_code,
            amount: PRICE,
            challenge: Some("garbage".to_owned()),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let ed = ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?);
    let credential = issue(main_fields());
    let capped = ed25519_code_for(&DEFAULT_PARAMS, 1, credential, STEP, 0, Purpose::Capped(100))?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.precedence-over-cap-over-over-limit",
            requirements: &["R-VERIFY-1", "R-CAP-2", "R-LIMIT-1"],
            flags: &[Flag::Precedence, Flag::Cap, Flag::Limit],
            comment: "An amount above both the cap and the per-payment limit: over-cap first in C4.",
            text: capped.to_qr_text(),
            amount: 6000,
            verdict: Err(Error::OverCap),
            ..VerifyCase::at(&ed)
        },
    )?;
    Ok(())
}
