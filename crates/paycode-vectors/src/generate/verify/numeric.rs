//! `verify-numeric.json`: the hmac numeric form at a verifier: step
//! reconstruction from 4 bits, the replay identity it shares with the QR form,
//! the failure budgets and the u64 edges.

use paycode::{Error, Profile};

use super::{VerifyCase, add};
use crate::errors::VectorError;
use crate::format::{StateBefore, VerifierConfig};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, ACCOUNT_PERIOD, DEFAULT_PARAMS, SOURCE_PERIOD, STEP, TIME, budget, ed25519_verifier, entry,
    fresh_state, hmac_verifier, numeric_text, params, state_with_entry, trust_list_key_1, with_budget,
    with_source_budget, with_value_xor,
};
use crate::generate::flags::Flag;

/// The value `2^79`, one above the largest numeric value.
pub(super) const TWO_TO_79: &str = "604462909807314587353088";

/// The cases before the precedence cases, in file order.
pub(super) fn cases(file: &mut FileBuilder) -> Result<(), VectorError> {
    accepted_and_reconstructed(file)?;
    window_edges(file)?;
    u64_edges(file)?;
    identity_and_account(file)?;
    tag_and_throttle(file)?;
    syntax_and_epoch(file)
}

/// A fresh code, and codes up to 8 steps off reconstructed exactly (or not).
fn accepted_and_reconstructed(file: &mut FileBuilder) -> Result<(), VectorError> {
    add(
        file,
        VerifyCase {
            id: "numeric.verify.accepted",
            requirements: &["R-VERIFY-1", "R-HMAC-2", "R-HMAC-3", "R-LOG-1"],
            flags: &[Flag::Valid, Flag::LogRecord],
            comment: "A fresh numeric code, on time.",
            text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            ..VerifyCase::at(&hmac_verifier(DEFAULT_PARAMS))
        },
    )?;
    let widest = params(0, 60, 8, 7);
    let verifier = hmac_verifier(widest);
    for offset in [-8i64, -7, -1, 1, 6, 7] {
        let (name, sign) = if offset < 0 { ("minus", '-') } else { ("plus", '+') };
        let distance = offset.unsigned_abs();
        add(
            file,
            VerifyCase {
                id: &format!("numeric.verify.reconstruct-offset-{name}-{distance}"),
                requirements: &["R-HMAC-3", "R-TIME-4"],
                flags: &[Flag::StepReconstruction, Flag::WindowEdge, Flag::Valid],
                comment: &format!(
                    "B = 8, F = 7: a code of step T {sign} {distance}: reconstructed exactly and accepted."
                ),
                text: numeric_text(&widest, ACCOUNT, STEP.wrapping_add_signed(offset), 1)?,
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    add(
        file,
        VerifyCase {
            id: "numeric.verify.reconstruct-offset-minus-9",
            requirements: &["R-HMAC-3"],
            flags: &[Flag::StepReconstruction],
            comment: "A code of step T - 9 reconstructs to T + 7; the tag covers the full step, so it is invalid-code.",
            text: numeric_text(&widest, ACCOUNT, STEP - 9, 1)?,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.reconstruct-offset-plus-8",
            requirements: &["R-HMAC-3"],
            flags: &[Flag::StepReconstruction],
            comment: "A code of step T + 8 reconstructs to T - 8: invalid-code.",
            text: numeric_text(&widest, ACCOUNT, STEP + 8, 1)?,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.replay-16-steps-later",
            requirements: &["R-HMAC-3", "R-REPLAY-1"],
            flags: &[Flag::StepReconstruction, Flag::Replay],
            comment: "A code shown 16 steps after its step has the same low bits as step T; it reconstructs to T and fails the tag.",
            time: TIME + 16 * 60,
            text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 1)?,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&hmac_verifier(DEFAULT_PARAMS))
        },
    )
}

/// The default window's edges, reached through reconstruction.
fn window_edges(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    for (name, step, verdict, what) in [
        ("back-edge", STEP - 2, Ok(()), "step T - 2 = T - B"),
        ("back-edge-minus-1", STEP - 3, Err(Error::TooOld), "step T - 3: reconstructed, tag valid, too old"),
        ("forward-edge", STEP + 1, Ok(()), "step T + 1 = T + F"),
        ("forward-edge-plus-1", STEP + 2, Err(Error::TooNew), "step T + 2: too new"),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("numeric.verify.window-{name}"),
                requirements: &["R-TIME-4", "R-HMAC-3"],
                flags: &[Flag::WindowEdge, Flag::StepReconstruction],
                comment: &format!("Default window: {what}."),
                text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, step, 2)?,
                verdict,
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    let zero = params(0, 60, 0, 0);
    let zero_verifier = hmac_verifier(zero);
    for (name, step, verdict, what) in [
        ("back-edge", STEP, Ok(()), "step T is both edges"),
        ("back-edge-minus-1", STEP - 1, Err(Error::TooOld), "step T - 1: reconstructed, tag valid, too old"),
        (
            "forward-edge-plus-1",
            STEP + 1,
            Err(Error::TooNew),
            "step T + 1: reconstructed, tag valid, too new",
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("numeric.verify.window-b0-f0-{name}"),
                requirements: &["R-TIME-4", "R-HMAC-3"],
                flags: &[Flag::WindowEdge, Flag::StepReconstruction],
                comment: &format!("B = 0, F = 0: {what}."),
                text: numeric_text(&zero, ACCOUNT, step, 2)?,
                verdict,
                ..VerifyCase::at(&zero_verifier)
            },
        )?;
    }
    Ok(())
}

/// Reconstruction near step 0 and near the top of the u64 range.
fn u64_edges(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    for (name, requirements, flags, comment, step, verdict) in [
        (
            "small-step-range",
            &["R-HMAC-3", "R-TIME-3"][..],
            &[Flag::StepReconstruction, Flag::U64Extreme, Flag::Valid][..],
            "Verifier step 3 (< 8): the range is [0, 15]; a code of step 2 is accepted.",
            2,
            Ok(()),
        ),
        (
            "small-step-too-old",
            &["R-HMAC-3", "R-TIME-4"],
            &[Flag::StepReconstruction, Flag::WindowEdge],
            "Verifier step 3: a code of step 0 is reconstructed to 0 and is too old (L = 1).",
            0,
            Err(Error::TooOld),
        ),
        (
            "small-step-too-new",
            &["R-HMAC-3", "R-TIME-4"],
            &[Flag::StepReconstruction, Flag::WindowEdge],
            "Verifier step 3: a code of step 15 is reconstructed to 15 and is too new.",
            15,
            Err(Error::TooNew),
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("numeric.verify.{name}"),
                requirements,
                flags,
                comment,
                time: 3 * 60,
                text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, step, 0)?,
                verdict,
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    let one_second = params(0, 1, 8, 7);
    let one_second_verifier = hmac_verifier(one_second);
    for (name, flags, comment, step, verdict) in [
        (
            "step-max",
            &[Flag::StepReconstruction, Flag::U64Extreme, Flag::Valid][..],
            "X = 1, t = 2^64 - 1: a code of step 2^64 - 1 is accepted.",
            u64::MAX,
            Ok(()),
        ),
        (
            "step-max-back-edge",
            &[Flag::StepReconstruction, Flag::U64Extreme, Flag::WindowEdge, Flag::Valid],
            "X = 1, t = 2^64 - 1, B = 8: a code of step 2^64 - 9 is accepted.",
            u64::MAX - 8,
            Ok(()),
        ),
        (
            "clamped-candidates-too-old",
            &[Flag::StepReconstruction, Flag::U64Extreme],
            "X = 1, t = 2^64 - 1, B = 8: the candidate steps are clamped to the last 16, so the code of step 2^64 - 10 is reconstructed exactly and is too old.",
            u64::MAX - 9,
            Err(Error::TooOld),
        ),
        (
            "clamped-candidates-oldest",
            &[Flag::StepReconstruction, Flag::U64Extreme],
            "X = 1, t = 2^64 - 1, B = 8: the lowest clamped candidate, step 2^64 - 16, is reconstructed exactly and is too old.",
            u64::MAX - 15,
            Err(Error::TooOld),
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("numeric.verify.{name}"),
                requirements: &["R-HMAC-3", "R-TIME-3"],
                flags,
                comment,
                time: u64::MAX,
                text: numeric_text(&one_second, ACCOUNT, step, 0)?,
                verdict,
                ..VerifyCase::at(&one_second_verifier)
            },
        )?;
    }
    add(
        file,
        VerifyCase {
            id: "numeric.verify.step-two-to-the-63",
            requirements: &["R-HMAC-3", "R-TIME-3"],
            flags: &[Flag::StepReconstruction, Flag::U64Extreme, Flag::Valid],
            comment: "X = 1, t = 2^63: the candidate steps [2^63 - 8, 2^63 + 7] lie far from the clamp at 2^64 - 16; a code of step 2^63 is accepted.",
            time: 1 << 63,
            text: numeric_text(&one_second, ACCOUNT, 1 << 63, 0)?,
            verdict: Ok(()),
            ..VerifyCase::at(&one_second_verifier)
        },
    )?;
    Ok(())
}

/// The identity shared with the QR form, an unknown account, and a verifier without hmac.
fn identity_and_account(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    add(
        file,
        VerifyCase {
            id: "numeric.verify.shared-identity-replayed",
            requirements: &["R-REPLAY-1", "R-HMAC-3"],
            flags: &[Flag::SharedIdentity, Flag::Replay],
            comment: "The QR form of counter 7 was accepted (entry H = 7); its numeric form is replayed.",
            state: state_with_entry(STEP, entry(Profile::Hmac, ACCOUNT, 7, 1, STEP)),
            text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 7)?,
            verdict: Err(Error::Replayed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.shared-identity-stale",
            requirements: &["R-REPLAY-2"],
            flags: &[Flag::SharedIdentity, Flag::StaleCounter],
            comment: "QR codes advanced H to 70000; numeric counter 65535 is 4465 below it.",
            state: state_with_entry(STEP, entry(Profile::Hmac, ACCOUNT, 70_000, 1, STEP)),
            text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0xffff)?,
            verdict: Err(Error::StaleCounter),
            ..VerifyCase::at(&verifier)
        },
    )?;
    file.retire(
        "numeric.verify.unknown-account",
        "unknown-account is retired: an account without keys here is invalid-code, as a wrong tag is (R-HMAC-9)",
    );
    add(
        file,
        VerifyCase {
            id: "numeric.verify.unknown-account-invalid-code",
            requirements: &["R-VERIFY-1", "R-HMAC-9"],
            flags: &[Flag::UnknownAccount],
            comment: "A numeric code for account 99, which is not enrolled: invalid-code, as for a wrong tag (its failure is charged to the source's budget, which state_after does not show).",
            text: numeric_text(&DEFAULT_PARAMS, 99, STEP, 0)?,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.profile-not-enabled",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Profile],
            comment: "Digits at a verifier without the hmac profile.",
            text: numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 0)?,
            verdict: Err(Error::UnsupportedProfile),
            ..VerifyCase::at(&ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?))
        },
    )
}

/// The digits of account 42's code for counter 3, and the same with the lowest tag bit flipped.
pub(super) fn counter_3_digits() -> Result<(String, String), VectorError> {
    let digits = numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 3)?;
    let flipped = with_value_xor(&digits, 1)?;
    Ok((digits, flipped))
}

/// A valid numeric code against a state's failure budgets.
struct BudgetCase {
    id: &'static str,
    requirements: &'static [&'static str],
    comment: &'static str,
    state: StateBefore,
    /// The step the code is made for, with counter 3.
    step: u64,
    verdict: Result<(), Error>,
}

/// A flipped tag bit, and the failure budgets of the account and the source
/// at their edges (spec: R-HMAC-7, R-HMAC-8): exhausted iff `u ⊖ T' > (N − 1)·P`.
fn tag_and_throttle(file: &mut FileBuilder) -> Result<(), VectorError> {
    for id in ["numeric.verify.throttled", "numeric.verify.seven-failures"] {
        file.retire(
            id,
            "the per-step throttle is retired: numeric codes spend failure budgets that persist across steps (R-HMAC-7)",
        );
    }
    for (id, new) in [
        ("numeric.verify.account-budget-from-high-water", "numeric.verify.account-budget-from-floor"),
        ("numeric.verify.source-budget-from-high-water", "numeric.verify.source-budget-from-floor"),
    ] {
        file.retire(
            id,
            &format!("the window is taken at the verifier time max(t, φ), so the code is invalid-code, not too-old (R-TIME-8); see {new}"),
        );
    }
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let source = verifier.terminal_id;
    let (digits, flipped) = counter_3_digits()?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.tag-bit-flipped",
            requirements: &["R-HMAC-2", "R-HMAC-5"],
            flags: &[Flag::BadTag],
            comment: "The lowest tag bit flipped.",
            text: flipped,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let cases = [
        BudgetCase {
            id: "numeric.verify.account-budget-spent",
            requirements: &["R-HMAC-7"],
            comment: "The account's budget at u = T + 4P (P = 1440 at X = 60): u - T = 4P > 3P, so a valid numeric code is throttled and no MAC is computed.",
            state: with_budget(ACCOUNT, STEP + 4 * ACCOUNT_PERIOD),
            step: STEP,
            verdict: Err(Error::Throttled),
        },
        BudgetCase {
            id: "numeric.verify.account-budget-edge-spent",
            requirements: &["R-HMAC-7"],
            comment: "The account's budget at u = T + 3P + 1: one step over (N - 1)·P, throttled.",
            state: with_budget(ACCOUNT, STEP + 3 * ACCOUNT_PERIOD + 1),
            step: STEP,
            verdict: Err(Error::Throttled),
        },
        BudgetCase {
            id: "numeric.verify.account-budget-edge-open",
            requirements: &["R-HMAC-7"],
            comment: "The account's budget at u = T + 3P: exactly (N - 1)·P, not exhausted; the valid code is accepted.",
            state: with_budget(ACCOUNT, STEP + 3 * ACCOUNT_PERIOD),
            step: STEP,
            verdict: Ok(()),
        },
        BudgetCase {
            id: "numeric.verify.account-budget-of-another-account",
            requirements: &["R-HMAC-7"],
            comment: "Account 7's budget is spent; account 42's code is accepted.",
            state: with_budget(7, STEP + 10 * ACCOUNT_PERIOD),
            step: STEP,
            verdict: Ok(()),
        },
        BudgetCase {
            id: "numeric.verify.account-budget-from-floor-accepted",
            requirements: &["R-HMAC-7", "R-TIME-8"],
            comment: "T_hw = T + 10 (the clock went back 10 steps) and u = T + 3P + 5: the verifier time is the floor, the start of step T + 10, so T' = T + 10 and u - T' = 3P - 5, not exhausted, and the code of step T + 10 is accepted. Measured from the clock instead (u - T = 3P + 5), it would be throttled.",
            state: StateBefore {
                t_hw: STEP + 10,
                budgets: vec![budget(ACCOUNT, STEP + 3 * ACCOUNT_PERIOD + 5)],
                ..fresh_state()
            },
            step: STEP + 10,
            verdict: Ok(()),
        },
        BudgetCase {
            id: "numeric.verify.source-budget-spent",
            requirements: &["R-HMAC-8"],
            comment: "The source's budget (this verifier's terminal 1) at u = T + 64·P_src (P_src = 60 at X = 60): throttled, whatever the account's budget.",
            state: with_source_budget(source, STEP + 64 * SOURCE_PERIOD),
            step: STEP,
            verdict: Err(Error::Throttled),
        },
        BudgetCase {
            id: "numeric.verify.source-budget-edge-open",
            requirements: &["R-HMAC-8"],
            comment: "The source's budget at u = T + 63·P_src, exactly (N_src - 1)·P_src: not exhausted, accepted.",
            state: with_source_budget(source, STEP + 63 * SOURCE_PERIOD),
            step: STEP,
            verdict: Ok(()),
        },
        BudgetCase {
            id: "numeric.verify.source-budget-from-floor-accepted",
            requirements: &["R-HMAC-8", "R-TIME-8"],
            comment: "T_hw = T + 10 and the source's u = T + 63·P_src + 5: at the verifier time, the start of step T + 10, u - T' = 63·P_src - 5, not exhausted, and the code of step T + 10 is accepted. Measured from the clock instead, it would be throttled.",
            state: StateBefore {
                t_hw: STEP + 10,
                source_budgets: vec![crate::format::SourceBudget {
                    terminal_id: source,
                    u: STEP + 63 * SOURCE_PERIOD + 5,
                }],
                ..fresh_state()
            },
            step: STEP + 10,
            verdict: Ok(()),
        },
        BudgetCase {
            id: "numeric.verify.source-budget-of-another-source",
            requirements: &["R-HMAC-8"],
            comment: "Terminal 2's source budget is spent; this verifier is terminal 1, so its call is not throttled.",
            state: with_source_budget(source + 1, STEP + 100 * SOURCE_PERIOD),
            step: STEP,
            verdict: Ok(()),
        },
    ];
    for (id, new) in [
        ("numeric.verify.account-budget-from-floor", "numeric.verify.account-budget-from-floor-accepted"),
        ("numeric.verify.source-budget-from-floor", "numeric.verify.source-budget-from-floor-accepted"),
    ] {
        file.retire(
            id,
            &format!("its code, of a step outside the window, is too-new at H0 before any budget is read (R-HANDLE-3); {new} presents a code of the window"),
        );
    }
    for BudgetCase { id, requirements, comment, state, step, verdict } in cases {
        let flags: &[Flag] = if verdict.is_ok() { &[Flag::Throttle, Flag::Valid] } else { &[Flag::Throttle] };
        add(
            file,
            VerifyCase {
                id,
                requirements,
                flags,
                comment,
                state,
                text: if step == STEP {
                    digits.clone()
                } else {
                    numeric_text(&DEFAULT_PARAMS, ACCOUNT, step, 3)?
                },
                verdict,
                ..VerifyCase::at(&verifier)
            },
        )?;
    }
    file.retire(
        "numeric.verify.unknown-account-budget-spent",
        "a code carries a handle, not an account id: a handle with no candidate has no budget account, whatever budgets the state holds (R-HANDLE-4); numeric.verify.no-candidate-reads-no-account-budget takes its place",
    );
    // The source is the terminal the call is made for, whatever its id.
    let terminal_5 = VerifierConfig { terminal_id: 5, ..verifier.clone() };
    add(
        file,
        VerifyCase {
            id: "numeric.verify.source-budget-of-terminal-5",
            requirements: &["R-HMAC-8"],
            flags: &[Flag::Throttle],
            comment: "This verifier is terminal 5, whose source budget is spent (u = T + 64·P_src); terminal 1 has none: throttled, since the source is the terminal the call is made for.",
            state: with_source_budget(5, STEP + 64 * SOURCE_PERIOD),
            text: digits.clone(),
            verdict: Err(Error::Throttled),
            ..VerifyCase::at(&terminal_5)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.no-candidate-reads-no-account-budget",
            requirements: &["R-HANDLE-4", "R-HMAC-9"],
            flags: &[Flag::Throttle, Flag::UnknownAccount],
            comment: "Account 99 is not enrolled; the state holds a spent budget under its id (u = T + 4P). Its code's handle has no candidate, so it has no budget account: invalid-code, charged to the source only.",
            state: with_budget(99, STEP + 4 * ACCOUNT_PERIOD),
            text: numeric_text(&DEFAULT_PARAMS, 99, STEP, 0)?,
            verdict: Err(Error::InvalidCode),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.unknown-account-source-spent",
            requirements: &["R-HMAC-8", "R-HMAC-9"],
            flags: &[Flag::Throttle, Flag::UnknownAccount],
            comment: "The source's budget is spent and the code names account 99, which is not enrolled: throttled, as for an enrolled account (H2 checks the source first).",
            state: with_source_budget(source, STEP + 64 * SOURCE_PERIOD),
            text: numeric_text(&DEFAULT_PARAMS, 99, STEP, 0)?,
            verdict: Err(Error::Throttled),
            ..VerifyCase::at(&verifier)
        },
    )
}

/// Digits that are not the numeric form, and a time before the epoch.
fn syntax_and_epoch(file: &mut FileBuilder) -> Result<(), VectorError> {
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let (digits, _) = counter_3_digits()?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.malformed-2-79",
            requirements: &["R-ENC-4"],
            flags: &[Flag::NumericSyntax],
            comment: "N = 2^79.",
            text: TWO_TO_79.into(),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "numeric.verify.malformed-23-digits",
            requirements: &["R-ENC-4"],
            flags: &[Flag::NumericSyntax],
            comment: "23 digits.",
            text: digits.get(1..).unwrap_or_default().to_owned(),
            verdict: Err(Error::Malformed),
            ..VerifyCase::at(&verifier)
        },
    )?;
    let late = params(TIME, 60, 2, 1);
    add(
        file,
        VerifyCase {
            id: "numeric.verify.before-epoch",
            requirements: &["R-TIME-2"],
            flags: &[Flag::BeforeEpoch],
            comment: "t < T0.",
            time: TIME - 1,
            text: numeric_text(&late, ACCOUNT, 0, 0)?,
            verdict: Err(Error::TimeBeforeEpoch),
            ..VerifyCase::at(&hmac_verifier(late))
        },
    )
}
