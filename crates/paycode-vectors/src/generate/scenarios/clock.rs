//! `scenarios-clock.json`: the verifier's clock going back and jumping
//! forward (spec §2.4, §12.7, §12.8).

use paycode::Error;

use super::{Scenario, accept, add, reject, restart};
use crate::errors::VectorError;
use crate::format::{RestartMode, VectorFile};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{ACCOUNT, DEFAULT_PARAMS, STEP, TIME, hmac_text, hmac_verifier, params};
use crate::generate::flags::Flag;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-clock",
        "The verifier's clock going back and jumping forward (spec §2.4, §12.7, §12.8): T_hw never decreases, so no window reopens.",
    );
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let code = |step: u64, counter: u32| hmac_text(&DEFAULT_PARAMS, ACCOUNT, step, counter);
    let late = params(TIME, 60, 2, 1);
    let scenarios = [
        Scenario {
            id: "scenario.clock.back-floored",
            requirements: &["R-TIME-5", "R-TIME-4", "R-TIME-8"],
            flags: &[Flag::ClockJump, Flag::HighWater],
            comment: "Accepted at T; the clock goes back 10 minutes: the verifier time is the floor T (the last accepted_at), so a code of the clock's step is too old, the next code of step T is accepted, and the first is a replay.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                reject(TIME - 600, code(STEP - 10, 1)?, Error::TooOld),
                accept(TIME - 600, code(STEP, 1)?),
                reject(TIME, code(STEP, 0)?, Error::Replayed),
            ],
        },
        Scenario {
            id: "scenario.clock.lost-state-back-below-last-acceptance",
            requirements: &["R-TIME-8", "R-REPLAY-5"],
            flags: &[Flag::ClockJump, Flag::Quarantine, Flag::Restart],
            comment: "Accepted at T; the replay state is lost and the terminal restarts with its clock set back 10 minutes. The log kept the last accepted_at T, so the restart takes its quarantine from T: the code accepted before the loss is refused when the clock is right again, and a new code passes after the quarantine.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                restart(RestartMode::Lost, TIME - 600),
                reject(TIME, code(STEP, 0)?, Error::StateUnavailable),
                reject(TIME - 600, code(STEP + 1, 0)?, Error::StateUnavailable),
                accept(TIME + 120, code(STEP + 2, 1)?),
            ],
        },
        Scenario {
            id: "scenario.clock.forward",
            requirements: &["R-TIME-5", "R-TIME-4"],
            flags: &[Flag::ClockJump, Flag::HighWater],
            comment: "A call (even with garbage) one hour ahead raises T_hw; back at T every code is too old until real time passes T_hw - B.",
            verifier: &verifier,
            steps: vec![
                reject(TIME + 3_600, "garbage".into(), Error::Malformed),
                reject(TIME, code(STEP, 0)?, Error::TooOld),
                reject(TIME + 3_480, code(STEP + 57, 0)?, Error::TooOld),
                accept(TIME + 3_480, code(STEP + 58, 0)?),
            ],
        },
        Scenario {
            id: "scenario.clock.forward-recovered-by-lost-state",
            requirements: &["R-REPLAY-5", "R-TIME-5"],
            flags: &[Flag::ClockJump, Flag::Quarantine],
            comment: "After a jump forward, the operator applies restart-lost-state at the corrected time: T_hw returns to T, and codes pass after the quarantine.",
            verifier: &verifier,
            steps: vec![
                reject(TIME + 3_600, "garbage".into(), Error::Malformed),
                restart(RestartMode::Lost, TIME),
                reject(TIME + 1, code(STEP, 0)?, Error::StateUnavailable),
                accept(TIME + 120, code(STEP + 2, 1)?),
            ],
        },
        Scenario {
            id: "scenario.clock.before-epoch-changes-nothing",
            requirements: &["R-TIME-2", "R-TIME-5"],
            flags: &[Flag::BeforeEpoch],
            comment: "A call before T0 is rejected and leaves T_hw alone.",
            verifier: &hmac_verifier(late),
            steps: vec![
                reject(TIME - 1, hmac_text(&late, ACCOUNT, 0, 0)?, Error::TimeBeforeEpoch),
                accept(TIME, hmac_text(&late, ACCOUNT, 0, 0)?),
            ],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    file.retire(
        "scenario.clock.back",
        "a clock set back below the last accepted_at reads as the floor (R-TIME-8); see scenario.clock.back-floored",
    );
    Ok(file.finish())
}
