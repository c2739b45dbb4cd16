//! `scenarios-throttle.json`: the numeric failure budgets of the hmac
//! profile (spec R-HMAC-6 to R-HMAC-9).

use paycode::Error;

use super::{Scenario, Step, accept, add, reject, restart};
use crate::errors::VectorError;
use crate::format::{RestartMode, VectorFile};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, ACCOUNT_PERIOD, DEFAULT_PARAMS, OTHER_ACCOUNT, SOURCE_PERIOD, STEP, TIME, hmac_text,
    hmac_text_with_tag, hmac_verifier, numeric_text, with_value_xor,
};
use crate::generate::flags::Flag;

/// The ids of the per-step throttle, whose meaning the budgets changed.
const RETIRED: [&str; 9] = [
    "scenario.throttle.numeric-eight-failures",
    "scenario.throttle.success-does-not-reset",
    "scenario.throttle.numeric-success-does-not-reset",
    "scenario.throttle.replayed-does-not-count",
    "scenario.throttle.too-old-does-not-count",
    "scenario.throttle.per-account",
    "scenario.throttle.other-rejections-do-not-count",
    "scenario.throttle.clock-behind-high-water",
    "scenario.throttle.kept-restart-keeps-count",
];

/// Seconds in one step of [`DEFAULT_PARAMS`].
const X: u64 = 60;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-throttle",
        "The numeric failure budgets (spec R-HMAC-6 to R-HMAC-9): an account's numeric codes may fail 4 times at once and once more a day, a source's (the verifier's terminal) 64 times at once and once more an hour, across steps and restarts; QR codes are never throttled and spend nothing; a code of an account without keys is invalid-code and spends its source's budget.",
    );
    for id in RETIRED {
        file.retire(
            id,
            "the per-step throttle of both forms is retired: QR codes are never throttled, numeric codes spend failure budgets that persist across steps (R-HMAC-6, R-HMAC-7)",
        );
    }
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let qr = |account: u64, counter: u32| hmac_text(&DEFAULT_PARAMS, account, STEP, counter);
    let digits_at =
        |account: u64, step: u64, counter: u32| numeric_text(&DEFAULT_PARAMS, account, step, counter);
    let digits = |counter: u32| digits_at(ACCOUNT, STEP, counter);
    // Account 42's numeric code for counter 1 with the low tag bits changed by i + 1.
    let wrong = |i: u64| -> Result<String, VectorError> { with_value_xor(&digits(1)?, u128::from(i) + 1) };
    let failing = |count: u64, time: u64| -> Result<Vec<Step>, VectorError> {
        (0..count).map(|i| Ok(reject(time + i, wrong(i)?, Error::InvalidCode))).collect()
    };
    let bad_qr = |counter: u32| hmac_text_with_tag(&DEFAULT_PARAMS, ACCOUNT, STEP, counter, [0; 16]);
    let day = TIME + ACCOUNT_PERIOD * X;

    let mut four = failing(4, TIME)?;
    four.extend([
        reject(TIME + 10, digits(1)?, Error::Throttled),
        accept(TIME + 11, qr(ACCOUNT, 2)?),
        reject(TIME + X, digits_at(ACCOUNT, STEP + 1, 3)?, Error::Throttled),
        reject(TIME + X + 1, wrong(9)?, Error::Throttled),
    ]);

    let mut daily = failing(4, TIME)?;
    daily.extend([
        reject(day - X, digits_at(ACCOUNT, STEP + ACCOUNT_PERIOD - 1, 1)?, Error::Throttled),
        reject(day, with_value_xor(&digits_at(ACCOUNT, STEP + ACCOUNT_PERIOD, 2)?, 1)?, Error::InvalidCode),
        reject(day + 1, digits_at(ACCOUNT, STEP + ACCOUNT_PERIOD, 3)?, Error::Throttled),
        accept(day + ACCOUNT_PERIOD * X, digits_at(ACCOUNT, STEP + 2 * ACCOUNT_PERIOD, 4)?),
    ]);

    let mut qr_free: Vec<Step> = (0..10)
        .map(|i| Ok(reject(TIME, bad_qr(i)?, Error::InvalidCode)))
        .collect::<Result<_, VectorError>>()?;
    qr_free.push(accept(TIME + 1, digits(20)?));

    let mut returned = failing(3, TIME)?;
    returned.extend([
        accept(TIME + 5, digits(1)?),
        reject(TIME + 6, wrong(3)?, Error::InvalidCode),
        reject(TIME + 7, digits(2)?, Error::Throttled),
    ]);

    let mut others = failing(3, TIME)?;
    others.extend([
        accept(TIME + 5, digits(1)?),
        reject(TIME + 6, digits(1)?, Error::Replayed),
        reject(TIME + 7, digits_at(ACCOUNT, STEP - 5, 6)?, Error::TooOld),
        reject(TIME + 8, "garbage".into(), Error::Malformed),
        reject(TIME + 9, wrong(3)?, Error::InvalidCode),
        reject(TIME + 10, digits(7)?, Error::Throttled),
    ]);

    let mut per_account = failing(4, TIME)?;
    per_account.extend([
        accept(TIME + 5, digits_at(OTHER_ACCOUNT, STEP, 0)?),
        reject(TIME + 6, digits(0)?, Error::Throttled),
    ]);

    let mut kept = failing(4, TIME)?;
    kept.extend([
        restart(RestartMode::Kept, TIME + 5),
        reject(TIME + X, digits_at(ACCOUNT, STEP + 1, 9)?, Error::Throttled),
        accept(TIME + X + 1, hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP + 1, 10)?),
    ]);

    let hour = TIME + SOURCE_PERIOD * X;
    let mut source: Vec<Step> = (0..64u64)
        .map(|i| Ok(reject(TIME, digits_at(1000 + i, STEP, 0)?, Error::InvalidCode)))
        .collect::<Result<_, VectorError>>()?;
    source.extend([
        reject(TIME + 1, digits(1)?, Error::Throttled),
        reject(TIME + 2, digits_at(2000, STEP, 0)?, Error::Throttled),
        accept(TIME + 3, qr(ACCOUNT, 2)?),
        reject(hour - X, digits_at(ACCOUNT, STEP + SOURCE_PERIOD - 1, 3)?, Error::Throttled),
        accept(hour, digits_at(ACCOUNT, STEP + SOURCE_PERIOD, 4)?),
        reject(
            hour + 1,
            with_value_xor(&digits_at(OTHER_ACCOUNT, STEP + SOURCE_PERIOD, 5)?, 1)?,
            Error::InvalidCode,
        ),
        reject(hour + 2, digits_at(ACCOUNT, STEP + SOURCE_PERIOD, 6)?, Error::Throttled),
    ]);

    file.retire(
        "scenario.throttle.unknown-account-budget",
        "a code carries a handle, not an account id: a handle with no candidate charges its source only (R-HANDLE-4), so the 5th code is not throttled; scenario.handles.no-candidate-charges-source-only takes its place",
    );

    let mut kept_source: Vec<Step> = (0..64u64)
        .map(|i| Ok(reject(TIME, digits_at(1000 + i, STEP, 0)?, Error::InvalidCode)))
        .collect::<Result<_, VectorError>>()?;
    kept_source.extend([
        restart(RestartMode::Kept, TIME + 1),
        reject(TIME + X, digits_at(ACCOUNT, STEP + 1, 1)?, Error::Throttled),
        accept(TIME + X + 1, hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP + 1, 2)?),
    ]);

    let scenarios = [
        Scenario {
            id: "scenario.throttle.numeric-budget-four-failures",
            requirements: &["R-HMAC-7", "R-HMAC-6", "R-HMAC-2"],
            flags: &[Flag::Throttle, Flag::NumericSyntax],
            comment: "4 wrong numeric codes of account 42: invalid-code each. Then its valid numeric code is throttled, in this step and the next, while its valid QR code is accepted.",
            verifier: &verifier,
            steps: four,
        },
        Scenario {
            id: "scenario.throttle.numeric-budget-one-a-day",
            requirements: &["R-HMAC-7"],
            flags: &[Flag::Throttle],
            comment: "4 failures at step T leave u = T + 4P (P = 1440 steps, a day at X = 60). At T + P - 1 a valid numeric code is still throttled; at T + P one more failure is allowed (invalid-code), then throttled again; a day later a valid numeric code is accepted.",
            verifier: &verifier,
            steps: daily,
        },
        Scenario {
            id: "scenario.throttle.qr-failures-spend-nothing",
            requirements: &["R-HMAC-6"],
            flags: &[Flag::Throttle, Flag::BadTag],
            comment: "10 QR codes with wrong tags: invalid-code each, and none spends a budget, so the account's valid numeric code that follows is accepted.",
            verifier: &verifier,
            steps: qr_free,
        },
        Scenario {
            id: "scenario.throttle.numeric-success-returns-reservation",
            requirements: &["R-HMAC-7"],
            flags: &[Flag::Throttle],
            comment: "3 failures, a valid numeric code (accepted: its reservation is returned), a 4th failure (invalid-code), then a valid numeric code is throttled: a success forgives nothing.",
            verifier: &verifier,
            steps: returned,
        },
        Scenario {
            id: "scenario.throttle.numeric-other-rejections-do-not-count",
            requirements: &["R-HMAC-7", "R-VERIFY-3", "R-REPLAY-1"],
            flags: &[Flag::Throttle, Flag::Replay],
            comment: "3 failures; a valid numeric code accepted, then replayed, a too-old numeric code with a right tag and garbage: none spends the budget, so a 4th failure is still invalid-code; then throttled.",
            verifier: &verifier,
            steps: others,
        },
        Scenario {
            id: "scenario.throttle.numeric-budget-per-account",
            requirements: &["R-HMAC-7"],
            flags: &[Flag::Throttle],
            comment: "Account 42's budget is spent; account 7's numeric code is accepted; account 42's is throttled.",
            verifier: &verifier,
            steps: per_account,
        },
        Scenario {
            id: "scenario.throttle.kept-restart-keeps-budget",
            requirements: &["R-HMAC-7", "R-STATE-6", "R-REPLAY-5"],
            flags: &[Flag::Throttle, Flag::Restart],
            comment: "4 failures, then a restart with durable state: the budget is durable state, so in the next step the valid numeric code is still throttled; the QR code is accepted.",
            verifier: &verifier,
            steps: kept,
        },
        Scenario {
            id: "scenario.throttle.source-budget-sixty-four",
            requirements: &["R-HMAC-8", "R-HMAC-9"],
            flags: &[Flag::Throttle, Flag::UnknownAccount],
            comment: "64 numeric codes of accounts 1000 to 1063, which are not enrolled: invalid-code each, charged to this verifier's source budget (P_src = 60 steps, an hour). Then every numeric code through it is throttled, account 42's valid one and another unknown account's, while a QR code is accepted. An hour later the source may fail once more: a valid numeric code passes (a success spends nothing), a wrong one of account 7 is invalid-code, and the next valid one is throttled.",
            verifier: &verifier,
            steps: source,
        },
        Scenario {
            id: "scenario.throttle.kept-restart-keeps-source-budget",
            requirements: &["R-HMAC-8", "R-STATE-6", "R-REPLAY-5"],
            flags: &[Flag::Throttle, Flag::Restart],
            comment: "64 numeric failures spend the source's budget; after a restart with durable state, in the next step, a valid numeric code through that source is still throttled, and a QR code is accepted.",
            verifier: &verifier,
            steps: kept_source,
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    Ok(file.finish())
}
