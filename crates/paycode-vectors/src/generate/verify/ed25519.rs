//! `verify-ed25519.json`: ed25519 codes at an offline terminal. Acceptance,
//! then (in [`super::ed25519_trust`]) what the terminal trusts, then the
//! window, replay, limits, an unenabled profile, quarantine and the epoch.

use paycode::credential::{Credential, CredentialFields};
use paycode::{Error, Profile};

use super::{VerifyCase, add};
use crate::errors::VectorError;
use crate::format::{LedgerEntry, StateBefore, VerifierConfig};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    CREDENTIAL_END, DEFAULT_PARAMS, SERIAL, STEP, TIME, both_profiles_verifier, ed25519_text,
    ed25519_verifier, entry, fresh_state, hmac_verifier, issue, main_fields, params, state, state_with_entry,
    trust_list_key_1,
};
use crate::generate::flags::Flag;

/// The amount of most cases: below every limit.
pub(super) const AMOUNT: u64 = 10;

/// The requirements an accepted ed25519 code exercises.
const ACCEPTED: &[&str] = &["R-VERIFY-1", "R-ED-3", "R-ED-5", "R-LOG-1", "R-LIMIT-1", "R-LIMIT-2"];

/// A terminal trusting issuer key 1, and wallet 1 with the main credential.
pub(super) struct Terminal {
    /// The terminal's configuration.
    pub verifier: VerifierConfig,
    /// The wallet's credential.
    pub credential: Credential,
}

impl Terminal {
    pub(super) fn new() -> Result<Terminal, VectorError> {
        Ok(Terminal {
            verifier: ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?),
            credential: issue(main_fields()),
        })
    }

    /// The wallet's code for `step` and `counter`.
    pub(super) fn code(&self, step: u64, counter: u32) -> Result<String, VectorError> {
        ed25519_text(&DEFAULT_PARAMS, 1, self.credential, step, counter)
    }

    /// The main credential's replay entry with highest counter `high`, at `T_hw = T`.
    pub(super) fn with_entry(high: u32, bitmap: u64) -> StateBefore {
        state_with_entry(STEP, entry(Profile::Ed25519, SERIAL, high, bitmap, STEP))
    }
}

/// The cases before the precedence cases, in file order.
pub(super) fn cases(file: &mut FileBuilder) -> Result<(), VectorError> {
    let terminal = Terminal::new()?;
    accepted(file, &terminal)?;
    super::ed25519_trust::cases(file, &terminal)?;
    window_edges(file, &terminal)?;
    replay(file, &terminal)?;
    top_moves(file, &terminal)?;
    limits(file, &terminal)?;
    limits_at_u32_max(file)?;
    unavailable(file, &terminal)
}

/// A fresh code, at a terminal of the ed25519 profile and at one of both.
fn accepted(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.accepted",
            requirements: ACCEPTED,
            flags: &[Flag::Valid, Flag::LogRecord],
            comment: "A fresh code, on time, amount 1250.",
            text: terminal.code(STEP, 3)?,
            amount: 1250,
            ..VerifyCase::at(&terminal.verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.accepted-both-profiles",
            requirements: ACCEPTED,
            flags: &[Flag::Valid, Flag::LogRecord],
            comment: "A verifier with both profiles enabled.",
            text: terminal.code(STEP, 4)?,
            ..VerifyCase::at(&both_profiles_verifier(DEFAULT_PARAMS, &trust_list_key_1()?))
        },
    )
}

/// Codes at and one step beyond each edge of `[T - B, T + F]`, at the first second of step `T`.
fn window_edges(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    for (back, forward) in [(2u64, 1u64), (0, 0), (8, 7)] {
        let window = params(0, 60, back, forward);
        let verifier = ed25519_verifier(window, &trust_list_key_1()?);
        for (counter, (edge, step, verdict)) in [
            ("back-edge", STEP - back, Ok(())),
            ("back-edge-minus-1", STEP - back - 1, Err(Error::TooOld)),
            ("forward-edge", STEP + forward, Ok(())),
            ("forward-edge-plus-1", STEP + forward + 1, Err(Error::TooNew)),
        ]
        .into_iter()
        .enumerate()
        {
            add(
                file,
                VerifyCase {
                    id: &format!("ed25519.verify.window-b{back}-f{forward}-{edge}"),
                    requirements: &["R-TIME-4"],
                    flags: &[Flag::WindowEdge],
                    comment: &format!(
                        "B = {back}, F = {forward}, verifier at the first second of step T: a code of step {step}."
                    ),
                    text: ed25519_text(&window, 1, terminal.credential, step, counter as u32)?,
                    amount: AMOUNT,
                    verdict,
                    ..VerifyCase::at(&verifier)
                },
            )?;
        }
    }
    Ok(())
}

/// The credential's replay window: a replay, a stale counter, the window's bottom.
fn replay(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    for (name, requirements, flags, comment, high, counter, verdict) in [
        (
            "replayed-counter",
            &["R-REPLAY-1", "R-REPLAY-2"][..],
            &[Flag::Replay][..],
            "Counter 3 = H was accepted.",
            3,
            3,
            Err(Error::Replayed),
        ),
        (
            "stale-counter",
            &["R-REPLAY-2"],
            &[Flag::StaleCounter, Flag::WindowEdge],
            "Counter 6 with H = 70: 6 + 64 <= 70.",
            70,
            6,
            Err(Error::StaleCounter),
        ),
        (
            "window-bottom",
            &["R-REPLAY-2"],
            &[Flag::OutOfOrder, Flag::WindowEdge, Flag::Valid],
            "Counter 7 with H = 70: the lowest in the window, bit clear.",
            70,
            7,
            Ok(()),
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.{name}"),
                requirements,
                flags,
                comment,
                state: Terminal::with_entry(high, 1),
                text: terminal.code(STEP, counter)?,
                amount: AMOUNT,
                verdict,
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    Ok(())
}

/// The per-payment limit (5000) and the cumulative limit (20000) through the
/// spend ledger, exact at the boundary and without overflow.
fn limits(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    let spent = |total| StateBefore {
        spent: vec![LedgerEntry { serial: SERIAL, total, not_after: CREDENTIAL_END }],
        ..fresh_state()
    };
    let limit = &["R-LIMIT-1", "R-LIMIT-2"][..];
    for (name, requirements, flags, comment, state, amount, verdict) in [
        (
            "amount-at-per-payment-limit",
            limit,
            &[Flag::Limit, Flag::Valid][..],
            "Amount 5000 = the per-payment limit.",
            fresh_state(),
            5_000,
            Ok(()),
        ),
        (
            "amount-over-per-payment-limit",
            limit,
            &[Flag::Limit],
            "Amount 5001.",
            fresh_state(),
            5_001,
            Err(Error::OverLimit),
        ),
        ("amount-zero", limit, &[Flag::Limit, Flag::Valid], "Amount 0.", fresh_state(), 0, Ok(())),
        (
            "cumulative-at-limit",
            limit,
            &[Flag::Limit, Flag::Valid],
            "15000 spent here + 5000 = 20000, the cumulative limit.",
            spent(15_000),
            5_000,
            Ok(()),
        ),
        (
            "cumulative-over-limit",
            limit,
            &[Flag::Limit],
            "15001 spent + 5000 = 20001.",
            spent(15_001),
            5_000,
            Err(Error::OverLimit),
        ),
        (
            "cumulative-overflow",
            &["R-LIMIT-2", "R-TIME-3"],
            &[Flag::Limit, Flag::U64Extreme],
            "2^64 - 1 spent + 1: the exact sum exceeds every limit (no wrap to 0).",
            spent(u64::MAX),
            1,
            Err(Error::OverLimit),
        ),
        (
            "amount-max",
            &["R-LIMIT-1", "R-TIME-3"],
            &[Flag::Limit, Flag::U64Extreme],
            "Amount 2^64 - 1.",
            fresh_state(),
            u64::MAX,
            Err(Error::OverLimit),
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.{name}"),
                requirements,
                flags,
                comment,
                state,
                text: terminal.code(STEP, 0)?,
                amount,
                verdict,
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    Ok(())
}

/// The entry's top step and bitmap when the new code's step and counter move
/// in different directions (spec §8.3): top is the newest step ever accepted,
/// the bitmap follows the counters only.
fn top_moves(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    for (name, comment, high, bitmap, top, step, counter) in [
        (
            "top-kept-by-higher-counter-at-older-step",
            "Entry H = 5, top = T; counter 6 at step T - 1 is accepted and top stays T (state after).",
            5,
            1,
            STEP,
            STEP - 1,
            6,
        ),
        (
            "new-top-keeps-bitmap",
            "Entry H = 5 with counters 4 and 5, top = T - 1; counter 6 at step T shifts the bitmap by 1 and keeps both bits (state after).",
            5,
            0b11,
            STEP - 1,
            STEP,
            6,
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.{name}"),
                requirements: &["R-REPLAY-1", "R-REPLAY-4"],
                flags: &[Flag::OutOfOrder, Flag::Valid],
                comment,
                state: state_with_entry(STEP, entry(Profile::Ed25519, SERIAL, high, bitmap, top)),
                text: terminal.code(step, counter)?,
                amount: AMOUNT,
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.lower-counter-later-step-is-behind",
            requirements: &["R-REPLAY-7", "R-REPLAY-1"],
            flags: &[Flag::CounterMark],
            comment: "Entry H = 5, top = T - 1, mark (5, T - 1); counter 3, not yet accepted, at step T claims a later step than counter 5: counter-behind (a code made in advance), and the ledger is unchanged.",
            state: state_with_entry(STEP, entry(Profile::Ed25519, SERIAL, 5, 1, STEP - 1)),
            text: terminal.code(STEP, 3)?,
            amount: AMOUNT,
            verdict: Err(Error::CounterBehind),
            ..VerifyCase::at(&terminal.verifier)
        },
    )?;
    file.retire(
        "ed25519.verify.top-raised-by-lower-counter",
        "R-REPLAY-7: a lower counter with a later step than the highest accepted is counter-behind; see ed25519.verify.lower-counter-later-step-is-behind",
    );
    Ok(())
}

/// A credential whose limits are both `2^32 - 1`: amounts and sums at and
/// above `2^32` are compared exactly, never in 32 bits.
fn limits_at_u32_max(file: &mut FileBuilder) -> Result<(), VectorError> {
    let max = u64::from(u32::MAX);
    let credential =
        issue(CredentialFields { per_payment_limit: u32::MAX, cumulative_limit: u32::MAX, ..main_fields() });
    let verifier = ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?);
    let spent = |total| StateBefore {
        spent: vec![LedgerEntry { serial: SERIAL, total, not_after: CREDENTIAL_END }],
        ..fresh_state()
    };
    for (name, comment, state, amount, verdict) in [
        (
            "u32-max-limits-amount-at-limit",
            "Limits 2^32 - 1: amount 2^32 - 1 is accepted.",
            fresh_state(),
            max,
            Ok(()),
        ),
        (
            "u32-max-limits-amount-2-32",
            "Limits 2^32 - 1: amount 2^32 is over the per-payment limit (its low 32 bits are 0).",
            fresh_state(),
            max + 1,
            Err(Error::OverLimit),
        ),
        (
            "u32-max-limits-amount-2-32-plus-10",
            "Limits 2^32 - 1: amount 2^32 + 10 is over the per-payment limit (its low 32 bits are 10).",
            fresh_state(),
            max + 11,
            Err(Error::OverLimit),
        ),
        (
            "u32-max-limits-cumulative-2-32",
            "Limits 2^32 - 1: 2^32 - 1 spent + 1 = 2^32 is over the cumulative limit (no wrap to 0).",
            spent(max),
            1,
            Err(Error::OverLimit),
        ),
        (
            "u32-max-limits-cumulative-2-32-plus-4999",
            "Limits 2^32 - 1: 2^32 - 1 spent + 5000 is over the cumulative limit (no wrap to 4999).",
            spent(max),
            5_000,
            Err(Error::OverLimit),
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.{name}"),
                requirements: &["R-LIMIT-1", "R-LIMIT-2"],
                flags: &[Flag::Limit, Flag::U64Extreme],
                comment,
                state,
                text: ed25519_text(&DEFAULT_PARAMS, 1, credential, STEP, 0)?,
                amount,
                verdict,
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    Ok(())
}

/// No verdict on the code itself: the profile is not enabled, the state is
/// in quarantine, or the time lies before the epoch.
fn unavailable(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.profile-not-enabled",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Profile],
            comment: "An ed25519 code at an hmac-only verifier.",
            text: terminal.code(STEP, 0)?,
            amount: AMOUNT,
            verdict: Err(Error::UnsupportedProfile),
            ..VerifyCase::at(&hmac_verifier(DEFAULT_PARAMS))
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.quarantine",
            requirements: &["R-REPLAY-5"],
            flags: &[Flag::Quarantine],
            comment: "Q = T + 2: an on-time code is state-unavailable.",
            state: state(STEP, STEP + 2),
            text: terminal.code(STEP, 0)?,
            amount: AMOUNT,
            verdict: Err(Error::StateUnavailable),
            ..VerifyCase::at(&terminal.verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.before-epoch",
            requirements: &["R-TIME-2"],
            flags: &[Flag::BeforeEpoch],
            comment: "t < T0.",
            time: TIME - 1,
            text: terminal.code(STEP, 0)?,
            amount: AMOUNT,
            verdict: Err(Error::TimeBeforeEpoch),
            ..VerifyCase::at(&ed25519_verifier(params(TIME, 60, 2, 1), &trust_list_key_1()?))
        },
    )
}
