//! `scenarios-evict.json`: the evict transition on its own (spec §8.4,
//! R-REPLAY-4, R-TIME-7): it raises `T_hw` to the step of its time and
//! removes only what can no longer matter, so every verdict after it is
//! the verdict without it.

use paycode::{Challenge, Error, Purpose};

use super::{Scenario, Step, accept, add, evict, reject};
use crate::errors::VectorError;
use crate::format::VectorFile;
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, OTHER_ACCOUNT, STEP, TIME, challenge, hmac_code_for, hmac_text, hmac_verifier,
    numeric_text, with_value_xor,
};
use crate::generate::flags::Flag;

/// Seconds in one step of [`DEFAULT_PARAMS`].
const X: u64 = 60;

/// `text` for `challenge`'s amount, with its verdict.
fn pay(time: u64, text: String, c: &Challenge, verdict: Result<(), Error>) -> Step {
    Step::Challenged { time, text, amount: c.amount(), challenge: c.to_qr_text(), verdict }
}

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-evict",
        "The evict transition called on its own (spec §8.4, R-REPLAY-4): `T_hw := max(T_hw, T(t))`, then only entries below the window, closed challenges and budgets at or below `T_hw` go. Budgets above `T_hw`, used challenges that are still open and live entries stay, so every verdict after an evict is the one without it.",
    );
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let digits =
        |account: u64, step: u64, counter: u32| numeric_text(&DEFAULT_PARAMS, account, step, counter);
    let qr = |account: u64, step: u64, counter: u32| hmac_text(&DEFAULT_PARAMS, account, step, counter);
    // Account 42's numeric code for counter 1 with the low tag bits changed by i + 1.
    let wrong = |i: u64| with_value_xor(&digits(ACCOUNT, STEP, 1)?, u128::from(i) + 1);

    let mut account_budget: Vec<Step> = (0..4u64)
        .map(|i| Ok(reject(TIME + i, wrong(i)?, Error::InvalidCode)))
        .collect::<Result<_, VectorError>>()?;
    account_budget.extend([
        evict(TIME + 5),
        reject(TIME + 6, digits(ACCOUNT, STEP, 1)?, Error::Throttled),
        evict(TIME + X),
        reject(TIME + X + 1, digits(ACCOUNT, STEP + 1, 2)?, Error::Throttled),
        accept(TIME + X + 2, digits(OTHER_ACCOUNT, STEP + 1, 0)?),
    ]);

    let mut source_budget: Vec<Step> = (0..64u64)
        .map(|i| Ok(reject(TIME, digits(1000 + i, STEP, 0)?, Error::InvalidCode)))
        .collect::<Result<_, VectorError>>()?;
    source_budget.extend([
        evict(TIME + 1),
        reject(TIME + 2, digits(ACCOUNT, STEP, 1)?, Error::Throttled),
        evict(TIME + X),
        reject(TIME + X + 1, digits(OTHER_ACCOUNT, STEP + 1, 1)?, Error::Throttled),
        accept(TIME + X + 2, qr(ACCOUNT, STEP + 1, 2)?),
    ]);

    let till = challenge(1, 250, TIME, "till");
    let challenged = |account: u64, counter: u32| -> Result<String, VectorError> {
        Ok(hmac_code_for(&DEFAULT_PARAMS, account, STEP, counter, Purpose::Challenge(&till))?.to_qr_text())
    };

    let scenarios = [
        Scenario {
            id: "scenario.evict.keeps-account-budget",
            requirements: &["R-REPLAY-4", "R-HMAC-7", "R-VERIFY-3"],
            flags: &[Flag::Eviction, Flag::Throttle],
            comment: "4 wrong numeric codes of account 42 leave its budget u = T + 4P, far above T_hw. An evict in step T, and another in step T + 1, keep it: account 42's valid numeric code is throttled after each. Account 7's is accepted.",
            verifier: &verifier,
            steps: account_budget,
        },
        Scenario {
            id: "scenario.evict.keeps-source-budget",
            requirements: &["R-REPLAY-4", "R-HMAC-8"],
            flags: &[Flag::Eviction, Flag::Throttle],
            comment: "64 numeric codes of accounts that are not enrolled spend the source's budget (u = T + 64 P_src). Evicts in steps T and T + 1 keep it: a valid numeric code through the source is throttled after each, and a QR code is accepted.",
            verifier: &verifier,
            steps: source_budget,
        },
        Scenario {
            id: "scenario.evict.keeps-open-challenge",
            requirements: &["R-REPLAY-4", "R-CHAL-4"],
            flags: &[Flag::Eviction, Flag::Challenge],
            comment: "Account 42 pays the till's challenge. An evict in the same step, while the challenge is open, keeps its nonce: account 7's code for the same challenge is challenge-used.",
            verifier: &verifier,
            steps: vec![
                pay(TIME, challenged(ACCOUNT, 0)?, &till, Ok(())),
                evict(TIME + 10),
                pay(TIME + 11, challenged(OTHER_ACCOUNT, 0)?, &till, Err(Error::ChallengeUsed)),
            ],
        },
        Scenario {
            id: "scenario.evict.raises-high-water",
            requirements: &["R-REPLAY-4", "R-TIME-4", "R-TIME-7"],
            flags: &[Flag::Eviction, Flag::HighWater, Flag::WindowEdge],
            comment: "An evict at T + 3X raises T_hw to T + 3, so the window's low edge is T + 1 (B = 2): account 42's code of step T is then too-old and its code of step T + 1 accepted, though the call's own clock reads T. Account 42's earlier acceptance at T + 1 stays live: the same code is replayed.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, qr(ACCOUNT, STEP + 1, 1)?),
                evict(TIME + 3 * X),
                reject(TIME, qr(ACCOUNT, STEP, 2)?, Error::TooOld),
                reject(TIME + 1, qr(ACCOUNT, STEP + 1, 1)?, Error::Replayed),
                accept(TIME + 2, qr(ACCOUNT, STEP + 1, 3)?),
            ],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    Ok(file.finish())
}
