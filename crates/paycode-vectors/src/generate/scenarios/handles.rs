//! `scenarios-handles.json`: how a verifier finds an hmac code's account
//! from its handle (spec §7.4 H0-H3, R-HANDLE-1 to R-HANDLE-4): two accounts
//! whose numeric handles collide in a step, a wrong tag on the shared handle,
//! a handle that names no account, and the window before the lookup.

use std::collections::HashMap;

use paycode::Error;
use paycode::hazmat::handle::StepHandle;
use paycode::hazmat::keys::HandleKey;

use super::{Scenario, Step, accept, add, reject};
use crate::errors::VectorError;
use crate::format::{VectorFile, VerifierConfig};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, STEP, TIME, enrolled, hmac_seed, hmac_text, hmac_text_with_tag, hmac_verifier,
    numeric_text, with_value_xor,
};
use crate::generate::flags::Flag;

/// Seconds in one step of [`DEFAULT_PARAMS`].
const X: u64 = 60;

/// The first two account ids, in ascending order, whose numeric handles
/// (the top 30 bits) collide at `step` and whose 64-bit handles are in the
/// other order, searching 1, 2, 3, ... with the fixtures' seeds: so a
/// verifier that took the candidates in handle order, not by account id,
/// charges the wrong one. A birthday search: about 2^15 ids, twice.
fn numeric_collision(step: u64) -> Result<(u64, u64), VectorError> {
    collision(step, true)
}

/// The same search for the first pair whose 64-bit handles are in the
/// order of their ids (`reversed` false) or in the other order (true).
fn collision(step: u64, reversed: bool) -> Result<(u64, u64), VectorError> {
    let mut seen: HashMap<u32, (u64, u64)> = HashMap::new();
    for account in 1u64..1 << 20 {
        let seed = paycode::Seed::from_bytes(&hmac_seed(account));
        let handle = StepHandle::derive(&HandleKey::derive(account, &seed), step);
        match seen.get(&handle.handle30()) {
            Some(&(first, first_handle)) if (first_handle > handle.value()) == reversed => {
                return Ok((first, account));
            }
            Some(_) => {}
            None => {
                seen.insert(handle.handle30(), (account, handle.value()));
            }
        }
    }
    Err(crate::errors::FixtureError::NotFound("two accounts whose numeric handles collide").into())
}

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-handles",
        "How a verifier finds an hmac code's account (spec §7.4 H0-H3, R-HANDLE-1 to R-HANDLE-4): the candidates are the enrolled accounts whose handle for the code's step matches, in ascending account id; the account is the first whose tag matches; a numeric failure is charged to it, else to the first candidate, else to the source alone; and the window is checked before any of it.",
    );
    let (low, high) = numeric_collision(STEP)?;
    let pair = VerifierConfig {
        hmac_accounts: Some(vec![enrolled(high), enrolled(low), enrolled(ACCOUNT)]),
        ..hmac_verifier(DEFAULT_PARAMS)
    };
    let digits = |account: u64, counter: u32| numeric_text(&DEFAULT_PARAMS, account, STEP, counter);
    // A wrong tag on the shared handle: the high account's code with tag bits changed.
    let wrong = |i: u64| with_value_xor(&digits(high, 2)?, u128::from(i) + 1);

    let mut charged: Vec<Step> = (0..4u64)
        .map(|i| Ok(reject(TIME + i, wrong(i)?, Error::InvalidCode)))
        .collect::<Result<_, VectorError>>()?;
    charged.extend([
        reject(TIME + 10, digits(low, 1)?, Error::Throttled),
        accept(TIME + 11, digits(high, 1)?),
        accept(TIME + 12, hmac_text(&DEFAULT_PARAMS, low, STEP, 2)?),
    ]);

    // The same with a pair whose handles are in the order of their ids: a
    // verifier that took the candidates in any order but by id fails one of the two.
    let (first, second) = collision(STEP, false)?;
    let ordered = VerifierConfig {
        hmac_accounts: Some(vec![enrolled(second), enrolled(first), enrolled(ACCOUNT)]),
        ..hmac_verifier(DEFAULT_PARAMS)
    };
    let wrong_second = |i: u64| with_value_xor(&digits(second, 2)?, u128::from(i) + 1);
    let mut charged_ordered: Vec<Step> = (0..4u64)
        .map(|i| Ok(reject(TIME + i, wrong_second(i)?, Error::InvalidCode)))
        .collect::<Result<_, VectorError>>()?;
    charged_ordered.extend([
        reject(TIME + 10, digits(first, 1)?, Error::Throttled),
        accept(TIME + 11, digits(second, 1)?),
    ]);
    let ordered_comment = format!(
        "Accounts {first} and {second} share a numeric handle in step T, and their 64-bit handles are in the order of their ids. Four codes on it with wrong tags are each charged to the first candidate by id, account {first}: its numeric code is then throttled, account {second}'s accepted."
    );

    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let stranger = |counter: u32| numeric_text(&DEFAULT_PARAMS, 99, STEP, counter);
    let mut no_candidate: Vec<Step> = (0..6u32)
        .map(|i| Ok(reject(TIME + u64::from(i), stranger(i)?, Error::InvalidCode)))
        .collect::<Result<_, VectorError>>()?;
    no_candidate.push(accept(TIME + 10, numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 1)?));

    let spent: Vec<Step> = (0..4u64)
        .map(|i| {
            Ok(reject(
                TIME + i,
                with_value_xor(&numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 1)?, u128::from(i) + 1)?,
                Error::InvalidCode,
            ))
        })
        .chain([
            Ok(reject(
                TIME + 10,
                with_value_xor(&numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP - 3, 1)?, 1)?,
                Error::TooOld,
            )),
            Ok(reject(
                TIME + 11,
                hmac_text_with_tag(&DEFAULT_PARAMS, ACCOUNT, STEP + 2, 1, [0; 16])?,
                Error::TooNew,
            )),
            Ok(reject(TIME + 12, numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 1)?, Error::Throttled)),
            Ok(accept(TIME + X, hmac_text(&DEFAULT_PARAMS, ACCOUNT, STEP + 1, 1)?)),
        ])
        .collect::<Result<_, VectorError>>()?;

    let low_comment = format!(
        "Accounts {low} and {high} (the first two ids, searching upward, whose numeric handles for step T collide while their 64-bit handles are in the other order, with account 42 also enrolled): each one's numeric code is accepted as its own; their QR handles (64 bits) differ."
    );
    let charged_comment = format!(
        "Accounts {low} and {high} share a numeric handle in step T. Four codes on it with wrong tags are invalid-code, each charged to the first candidate, account {low}, and the source: account {low}'s numeric code is then throttled, account {high}'s accepted, and account {low}'s QR code accepted."
    );
    let scenarios = vec![
        Scenario {
            id: "scenario.handles.numeric-collision-both-accepted",
            requirements: &["R-HANDLE-3", "R-HANDLE-2", "R-HMAC-2"],
            flags: &[Flag::Valid],
            comment: &low_comment,
            verifier: &pair,
            steps: vec![
                accept(TIME, digits(high, 1)?),
                accept(TIME + 1, digits(low, 1)?),
                reject(TIME + 2, digits(high, 1)?, Error::Replayed),
                reject(TIME + 3, digits(low, 1)?, Error::Replayed),
            ],
        },
        Scenario {
            id: "scenario.handles.collision-bad-tag-charges-first-candidate",
            requirements: &["R-HANDLE-4", "R-HANDLE-3", "R-HMAC-7"],
            flags: &[Flag::Throttle, Flag::BadTag],
            comment: &charged_comment,
            verifier: &pair,
            steps: charged,
        },
        Scenario {
            id: "scenario.handles.collision-in-handle-order-charges-lowest-id",
            requirements: &["R-HANDLE-4", "R-HANDLE-3"],
            flags: &[Flag::Throttle, Flag::BadTag],
            comment: &ordered_comment,
            verifier: &ordered,
            steps: charged_ordered,
        },
        Scenario {
            id: "scenario.handles.no-candidate-charges-source-only",
            requirements: &["R-HANDLE-4", "R-HMAC-9", "R-HMAC-8"],
            flags: &[Flag::Throttle, Flag::UnknownAccount],
            comment: "Six numeric codes of account 99, which is not enrolled: their handles have no candidate, so each is invalid-code and charged to the source alone (more than an account's 4 at once, none throttled). Account 42's numeric code is then accepted.",
            verifier: &verifier,
            steps: no_candidate,
        },
        Scenario {
            id: "scenario.handles.window-before-budget",
            requirements: &["R-HANDLE-3", "R-TIME-4", "R-HMAC-7"],
            flags: &[Flag::Throttle, Flag::Precedence, Flag::WindowEdge],
            comment: "Four wrong numeric tags spend account 42's budget. A numeric code of step T - 3 with a wrong tag is then too-old and a QR code of step T + 2 with a wrong tag too-new (H0, before any candidate, MAC or budget); a valid numeric code of step T is throttled; a QR code of step T + 1 is accepted.",
            verifier: &verifier,
            steps: spent,
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    Ok(file.finish())
}
