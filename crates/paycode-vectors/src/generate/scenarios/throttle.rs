//! `scenarios-throttle.json`: throttling of the hmac profile (spec R-HMAC-6).

use paycode::Error;
use paycode::code::HmacCode;

use super::{Scenario, Step, accept, add, reject, restart};
use crate::errors::VectorError;
use crate::format::{RestartMode, VectorFile, VerifierConfig};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, OTHER_ACCOUNT, STEP, TIME, enrolled, hmac_text, hmac_verifier, numeric_text,
    with_value_xor,
};
use crate::generate::flags::Flag;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-throttle",
        "Throttling of the hmac profile (spec R-HMAC-6): at most 8 invalid-code verdicts per account per verifier step, then throttled for the rest of the step, for both forms, even for valid codes.",
    );
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let code = |account: u64, counter: u32| hmac_text(&DEFAULT_PARAMS, account, STEP, counter);
    let bad_tag = |counter: u32| HmacCode::new(ACCOUNT, STEP, counter, [0; 16]).to_qr_text();
    let failing = |count: u32| (0..count).map(|i| reject(TIME, bad_tag(i), Error::InvalidCode));
    let digits = numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 1)?;
    let wrong_digits = |i: u128| with_value_xor(&digits, i + 1);
    let mut numeric_steps = (0..8u64)
        .map(|i| Ok(reject(TIME + i, wrong_digits(u128::from(i))?, Error::InvalidCode)))
        .collect::<Result<Vec<Step>, VectorError>>()?;
    numeric_steps.extend([
        reject(TIME + 10, digits.clone(), Error::Throttled),
        reject(TIME + 11, code(ACCOUNT, 2)?, Error::Throttled),
        reject(TIME + 12, wrong_digits(9)?, Error::Throttled),
        accept(TIME + 60, digits.clone()),
    ]);
    // A verifier whose clock is behind T_hw: the current step's throttle record must survive
    // other identities' acceptances (the sibling account shares a shard with 42 in the reference).
    let sibling = sibling_account(ACCOUNT);
    let with_sibling = VerifierConfig {
        hmac_accounts: verifier.hmac_accounts.clone().map(|mut accounts| {
            accounts.push(enrolled(sibling));
            accounts
        }),
        ..verifier.clone()
    };
    let mut kept_restart_steps: Vec<Step> = failing(8).collect();
    kept_restart_steps.extend([
        restart(RestartMode::Kept, TIME + 1),
        reject(TIME + 2, code(ACCOUNT, 9)?, Error::Throttled),
        accept(TIME + 60, code(ACCOUNT, 10)?),
    ]);
    let scenarios = [
        Scenario {
            id: "scenario.throttle.numeric-eight-failures",
            requirements: &["R-HMAC-6", "R-HMAC-2"],
            flags: &[Flag::Throttle, Flag::NumericSyntax],
            comment: "8 wrong numeric codes: invalid-code each; then the valid numeric code, a valid QR code and another wrong code are all throttled; in the next step the valid code is accepted.",
            verifier: &verifier,
            steps: numeric_steps,
        },
        Scenario {
            id: "scenario.throttle.success-does-not-reset",
            requirements: &["R-HMAC-6"],
            flags: &[Flag::Throttle],
            comment: "7 failures, a success, an 8th failure: the next valid code is throttled (successes do not reset the count).",
            verifier: &verifier,
            steps: failing(7)
                .chain([
                    accept(TIME, code(ACCOUNT, 20)?),
                    reject(TIME, bad_tag(8), Error::InvalidCode),
                    reject(TIME, code(ACCOUNT, 21)?, Error::Throttled),
                ])
                .collect(),
        },
        Scenario {
            id: "scenario.throttle.numeric-success-does-not-reset",
            requirements: &["R-HMAC-6", "R-HMAC-2"],
            flags: &[Flag::Throttle, Flag::NumericSyntax],
            comment: "7 wrong numeric codes, the valid numeric code, an 8th wrong one: the next valid QR code is throttled (a success does not reset the count).",
            verifier: &verifier,
            steps: (0..7u64)
                .map(|i| Ok(reject(TIME + i, wrong_digits(u128::from(i))?, Error::InvalidCode)))
                .collect::<Result<Vec<Step>, VectorError>>()?
                .into_iter()
                .chain([
                    accept(TIME + 20, digits.clone()),
                    reject(TIME + 21, wrong_digits(9)?, Error::InvalidCode),
                    reject(TIME + 22, code(ACCOUNT, 21)?, Error::Throttled),
                ])
                .collect(),
        },
        Scenario {
            id: "scenario.throttle.replayed-does-not-count",
            requirements: &["R-HMAC-6", "R-REPLAY-1"],
            flags: &[Flag::Throttle, Flag::Replay],
            comment: "7 failures; a valid code, then the same code again (replayed): a replay verified its MAC, so it counts as no failure and the next valid code is accepted; an 8th failure then throttles.",
            verifier: &verifier,
            steps: failing(7)
                .chain([
                    accept(TIME, code(ACCOUNT, 30)?),
                    reject(TIME, code(ACCOUNT, 30)?, Error::Replayed),
                    accept(TIME, code(ACCOUNT, 31)?),
                    reject(TIME, bad_tag(7), Error::InvalidCode),
                    reject(TIME, code(ACCOUNT, 32)?, Error::Throttled),
                ])
                .collect(),
        },
        Scenario {
            id: "scenario.throttle.too-old-does-not-count",
            requirements: &["R-HMAC-6", "R-TIME-4"],
            flags: &[Flag::Throttle, Flag::WindowEdge],
            comment: "7 failures; a valid but too-old code (step T - 3) counts as no failure, so the next valid code is accepted.",
            verifier: &verifier,
            steps: failing(7)
                .chain([
                    reject(TIME, hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP - 3, 40)?, Error::TooOld),
                    accept(TIME, code(ACCOUNT, 41)?),
                ])
                .collect(),
        },
        Scenario {
            id: "scenario.throttle.per-account",
            requirements: &["R-HMAC-6"],
            flags: &[Flag::Throttle],
            comment: "Account 42 is throttled; account 7 is not.",
            verifier: &verifier,
            steps: failing(8)
                .chain([
                    accept(TIME, code(OTHER_ACCOUNT, 0)?),
                    reject(TIME, code(ACCOUNT, 0)?, Error::Throttled),
                ])
                .collect(),
        },
        Scenario {
            id: "scenario.throttle.other-rejections-do-not-count",
            requirements: &["R-HMAC-6"],
            flags: &[Flag::Throttle],
            comment: "Only invalid-code counts: after 8 failures, unknown-account and malformed verdicts are reported as such, and the account stays throttled.",
            verifier: &verifier,
            steps: failing(8)
                .chain([
                    reject(TIME, code(99, 0)?, Error::UnknownAccount),
                    reject(TIME, "garbage".into(), Error::Malformed),
                    reject(TIME, code(ACCOUNT, 9)?, Error::Throttled),
                ])
                .collect(),
        },
        Scenario {
            id: "scenario.throttle.clock-behind-high-water",
            requirements: &["R-HMAC-6", "R-TIME-5"],
            flags: &[Flag::Throttle, Flag::ClockJump],
            comment: &format!(
                "T_hw is 10 steps ahead of the clock. Account 42 fails 8 times in the current step; account {sibling}'s valid code (too old) must not clear that count: account 42 stays throttled."
            ),
            verifier: &with_sibling,
            steps: [reject(TIME + 600, "garbage".into(), Error::Malformed)]
                .into_iter()
                .chain(failing(8))
                .chain([
                    reject(TIME, code(sibling, 0)?, Error::TooOld),
                    reject(TIME, code(ACCOUNT, 0)?, Error::Throttled),
                ])
                .collect(),
        },
        Scenario {
            id: "scenario.throttle.kept-restart-keeps-count",
            requirements: &["R-HMAC-6", "R-STATE-6", "R-REPLAY-5"],
            flags: &[Flag::Throttle, Flag::Restart],
            comment: "8 invalid-code verdicts, then a restart with durable state in the same step: the throttle records are durable state, so the valid code that follows is still throttled; in the next step it passes.",
            verifier: &verifier,
            steps: kept_restart_steps,
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    Ok(file.finish())
}

/// An account id that shares the reference's replay-state shard with `id`.
fn sibling_account(id: u64) -> u64 {
    let shard = |x: u64| x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 60;
    (id + 1..id + 1000).find(|&x| shard(x) == shard(id)).unwrap_or(id + 1)
}
