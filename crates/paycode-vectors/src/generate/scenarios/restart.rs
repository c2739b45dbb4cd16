//! `scenarios-restart.json`: restarts with and without durable state (spec §8.6).

use paycode::Error;

use super::{Scenario, accept, add, pay, reject, restart, restart_before_epoch};
use crate::errors::VectorError;
use crate::format::{RestartMode, VectorFile};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, CREDENTIAL_END, DEFAULT_PARAMS, STEP, TIME, ed25519_text, ed25519_verifier, hmac_text,
    hmac_verifier, issue, main_fields, numeric_text, params, trust_list_key_1,
};
use crate::generate::flags::Flag;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-restart",
        "Restarts (spec §8.6): with durable state the entries, the ledger and the throttle survive and T_hw does not move; without it the verifier quarantines every step below Q = T + F + 1, and such a restart before T0 fails with time-before-epoch.",
    );
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let code = |step: u64, counter: u32| hmac_text(&DEFAULT_PARAMS, ACCOUNT, step, counter);
    let no_forward = params(0, 60, 2, 0);
    let late_epoch = params(TIME - 600, 60, 2, 1);
    let late_step = 10;
    let one_second = params(0, 1, 2, 1);
    let terminal = ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?);
    let credential = issue(main_fields());
    let signed = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 1, credential, step, counter);
    let scenarios = [
        Scenario {
            id: "scenario.restart.kept-state",
            requirements: &["R-REPLAY-5", "R-REPLAY-1"],
            flags: &[Flag::Restart, Flag::Replay],
            comment: "Counters 0 and 1 accepted; restart with durable state; counter 1 is still replayed, 2 is accepted.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                accept(TIME + 1, code(STEP, 1)?),
                restart(RestartMode::Kept, TIME + 10),
                reject(TIME + 11, code(STEP, 1)?, Error::Replayed),
                accept(TIME + 12, code(STEP, 2)?),
            ],
        },
        Scenario {
            id: "scenario.restart.kept-state-keeps-mark",
            requirements: &["R-REPLAY-5", "R-REPLAY-7"],
            flags: &[Flag::Restart, Flag::CounterMark],
            comment: "Counter 3 accepted at step T (mark (3, T)); restart with durable state; ten steps later, with the entry dead, counter 1 made for step T + 10 is still counter-behind.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 3)?),
                restart(RestartMode::Kept, TIME + 10),
                reject(TIME + 600, code(STEP + 10, 1)?, Error::CounterBehind),
                accept(TIME + 601, code(STEP + 10, 4)?),
            ],
        },
        Scenario {
            id: "scenario.restart.lost-state-forgets-mark",
            requirements: &["R-REPLAY-5", "R-REPLAY-7"],
            flags: &[Flag::Quarantine, Flag::Restart, Flag::CounterMark],
            comment: "Counter 3 accepted at step T; the state is lost at T + 10, which empties the marks with the rest (Q = T + 12). Counter 1 made for step T + 12 is accepted at T + 12: after a loss a code made in advance passes once, which is why reconciliation checks that counters and steps rise together. It sets a new mark (1, T + 12): counter 0 made for step T + 13 is counter-behind.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 3)?),
                restart(RestartMode::Lost, TIME + 600),
                reject(TIME + 660, code(STEP + 11, 1)?, Error::StateUnavailable),
                accept(TIME + 720, code(STEP + 12, 1)?),
                reject(TIME + 721, code(STEP + 13, 0)?, Error::CounterBehind),
            ],
        },
        Scenario {
            id: "scenario.restart.lost-state-quarantine",
            requirements: &["R-REPLAY-5", "R-REPLAY-1"],
            flags: &[Flag::Quarantine, Flag::Restart],
            comment: "Counter 0 accepted at T; the state is lost at T + 10 (Q = T + 2). The old code is not replayable: state-unavailable, then too old. A fast wallet's code of step T + 2 passes at T + 1; on-time codes pass from T + 2.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                restart(RestartMode::Lost, TIME + 10),
                reject(TIME + 20, code(STEP, 0)?, Error::StateUnavailable),
                reject(TIME + 30, code(STEP, 1)?, Error::StateUnavailable),
                accept(TIME + 60, code(STEP + 2, 2)?),
                accept(TIME + 120, code(STEP + 2, 3)?),
                reject(TIME + 180, code(STEP, 0)?, Error::TooOld),
            ],
        },
        Scenario {
            id: "scenario.restart.kept-after-lost-keeps-quarantine",
            requirements: &["R-REPLAY-5", "R-STATE-6"],
            flags: &[Flag::Quarantine, Flag::Restart],
            comment: "Counter 0 accepted at T; the state is lost at T + 10 (Q = T + 2); a restart with state at T + 15 keeps Q, which is durable state like T_hw: the old code, and a new one of step T, are still state-unavailable.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                restart(RestartMode::Lost, TIME + 10),
                restart(RestartMode::Kept, TIME + 15),
                reject(TIME + 20, code(STEP, 0)?, Error::StateUnavailable),
                reject(TIME + 30, code(STEP, 1)?, Error::StateUnavailable),
                accept(TIME + 120, code(STEP + 2, 2)?),
            ],
        },
        Scenario {
            id: "scenario.restart.lost-state-forward-zero",
            requirements: &["R-REPLAY-5"],
            flags: &[Flag::Quarantine, Flag::Restart, Flag::WindowEdge],
            comment: "F = 0: Q = T + 1 after a loss at T, so nothing passes until the next step.",
            verifier: &hmac_verifier(no_forward),
            steps: vec![
                restart(RestartMode::Lost, TIME),
                reject(TIME + 59, hmac_text(&no_forward, ACCOUNT, STEP, 0)?, Error::StateUnavailable),
                accept(TIME + 60, hmac_text(&no_forward, ACCOUNT, STEP + 1, 1)?),
            ],
        },
        Scenario {
            id: "scenario.restart.lost-state-ed25519",
            requirements: &["R-REPLAY-5", "R-LIMIT-2"],
            flags: &[Flag::Quarantine, Flag::Restart, Flag::Limit],
            comment: "An offline terminal loses its state: quarantine, then the spend ledger starts again from zero (one more cumulative limit becomes available, spec §10.2).",
            verifier: &terminal,
            steps: vec![
                pay(TIME, signed(STEP, 0)?, 5_000, Ok(())),
                pay(TIME, signed(STEP, 1)?, 5_000, Ok(())),
                pay(TIME, signed(STEP, 2)?, 5_000, Ok(())),
                pay(TIME, signed(STEP, 3)?, 5_000, Ok(())),
                pay(TIME, signed(STEP, 4)?, 1, Err(Error::OverLimit)),
                restart(RestartMode::Lost, TIME + 5),
                pay(TIME + 6, signed(STEP, 4)?, 1, Err(Error::StateUnavailable)),
                pay(TIME + 120, signed(STEP + 2, 5)?, 5_000, Ok(())),
            ],
        },
        Scenario {
            id: "scenario.restart.kept-state-ed25519",
            requirements: &["R-REPLAY-5", "R-LIMIT-2"],
            flags: &[Flag::Restart, Flag::Limit],
            comment: "With durable state the ledger survives a restart: the cumulative limit still binds.",
            verifier: &terminal,
            steps: vec![
                pay(TIME, signed(STEP, 0)?, 5_000, Ok(())),
                pay(TIME, signed(STEP, 1)?, 5_000, Ok(())),
                pay(TIME, signed(STEP, 2)?, 5_000, Ok(())),
                restart(RestartMode::Kept, TIME + 5),
                pay(TIME + 6, signed(STEP, 3)?, 5_001, Err(Error::OverLimit)),
                pay(TIME + 7, signed(STEP, 3)?, 5_000, Ok(())),
                pay(TIME + 8, signed(STEP, 4)?, 1, Err(Error::OverLimit)),
            ],
        },
        Scenario {
            id: "scenario.restart.kept-restart-after-expiry",
            requirements: &["R-LIMIT-2", "R-REPLAY-5"],
            flags: &[Flag::Restart, Flag::Limit],
            comment: "The listing rule of state_after.spent counts verify calls only: a kept restart after the credential's not_after changes nothing, so the next payment before not_after still lists the total. A call after not_after (expired) ends the listing for good.",
            verifier: &terminal,
            steps: vec![
                pay(TIME, signed(STEP, 0)?, 1_000, Ok(())),
                restart(RestartMode::Kept, CREDENTIAL_END + 1),
                pay(TIME + 1, signed(STEP, 1)?, 1_000, Ok(())),
                pay(CREDENTIAL_END + 1, signed(STEP, 2)?, 1_000, Err(Error::Expired)),
                pay(TIME + 2, signed(STEP, 3)?, 1_000, Err(Error::TooOld)),
            ],
        },
        Scenario {
            id: "scenario.restart.kept-state-time-unused",
            requirements: &["R-TIME-7", "R-TIME-5", "R-REPLAY-5"],
            flags: &[Flag::Restart, Flag::HighWater],
            comment: "Counter 0 accepted at T; a restart with durable state at T + 10 steps does not raise T_hw (it takes no time input), so counter 0 presented at T is still replayed, not too-old; the next call at T + 10 steps raises T_hw at V0.",
            verifier: &verifier,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                restart(RestartMode::Kept, TIME + 600),
                reject(TIME + 1, code(STEP, 0)?, Error::Replayed),
                reject(TIME + 600, code(STEP, 1)?, Error::TooOld),
            ],
        },
        Scenario {
            id: "scenario.restart.lost-state-before-epoch-nothing-kept",
            requirements: &["R-REPLAY-5", "R-TIME-2", "R-TIME-8"],
            flags: &[Flag::Quarantine, Flag::Restart, Flag::BeforeEpoch],
            comment: "T0 = T - 600, nothing accepted and no list: the time floor is 0. The state is lost and the clock reads T0 - 1: the restart fails with time-before-epoch and the verifier does not start. A restart at T + 10 then quarantines as usual (Q = T + 2).",
            verifier: &hmac_verifier(late_epoch),
            steps: vec![
                restart_before_epoch(TIME - 601),
                restart(RestartMode::Lost, TIME + 10),
                reject(TIME + 20, hmac_text(&late_epoch, ACCOUNT, late_step, 0)?, Error::StateUnavailable),
                accept(TIME + 120, hmac_text(&late_epoch, ACCOUNT, late_step + 2, 0)?),
            ],
        },
        Scenario {
            id: "scenario.restart.lost-state-before-epoch-floored",
            requirements: &["R-REPLAY-5", "R-TIME-8", "R-REPLAY-1"],
            flags: &[Flag::Quarantine, Flag::Restart, Flag::BeforeEpoch, Flag::ClockJump],
            comment: "T0 = T - 600. Counter 0 accepted at T; the log keeps its accepted_at. The state is lost and the clock reads T0 - 1: the restart takes the floor T as its time and quarantines from it (Q = T + 2), so counter 0 is state-unavailable.",
            verifier: &hmac_verifier(late_epoch),
            steps: vec![
                accept(TIME, hmac_text(&late_epoch, ACCOUNT, late_step, 0)?),
                restart(RestartMode::Lost, TIME - 601),
                reject(TIME + 20, hmac_text(&late_epoch, ACCOUNT, late_step, 0)?, Error::StateUnavailable),
                accept(TIME + 120, hmac_text(&late_epoch, ACCOUNT, late_step + 2, 1)?),
            ],
        },
        Scenario {
            id: "scenario.restart.lost-state-at-step-max",
            requirements: &["R-REPLAY-5", "R-TIME-3"],
            flags: &[Flag::Quarantine, Flag::Restart, Flag::U64Extreme],
            comment: "X = 1, state lost at t = 2^64 - 1: Q = T + F + 1 saturates at 2^64 - 1 (no wrap to 1), so steps 2^64 - 3 and 2^64 - 2 are state-unavailable and step 2^64 - 1 passes.",
            verifier: &hmac_verifier(one_second),
            steps: vec![
                restart(RestartMode::Lost, u64::MAX),
                reject(u64::MAX, hmac_text(&one_second, ACCOUNT, u64::MAX - 2, 0)?, Error::StateUnavailable),
                reject(u64::MAX, hmac_text(&one_second, ACCOUNT, u64::MAX - 1, 1)?, Error::StateUnavailable),
                accept(u64::MAX, hmac_text(&one_second, ACCOUNT, u64::MAX, 2)?),
            ],
        },
        Scenario {
            id: "scenario.restart.lost-state-at-step-max-numeric",
            requirements: &["R-REPLAY-5", "R-TIME-3", "R-HMAC-3"],
            flags: &[Flag::Quarantine, Flag::Restart, Flag::U64Extreme, Flag::StepReconstruction],
            comment: "As above with numeric codes: Q saturates at 2^64 - 1, so the code of step 2^64 - 2 is state-unavailable and that of step 2^64 - 1 passes.",
            verifier: &hmac_verifier(one_second),
            steps: vec![
                restart(RestartMode::Lost, u64::MAX),
                reject(
                    u64::MAX,
                    numeric_text(&one_second, ACCOUNT, u64::MAX - 1, 0)?,
                    Error::StateUnavailable,
                ),
                accept(u64::MAX, numeric_text(&one_second, ACCOUNT, u64::MAX, 1)?),
            ],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    file.retire(
        "scenario.restart.lost-state-before-epoch",
        "the log's last accepted_at is a time floor that survives the loss (R-TIME-8), so the restart no longer fails; see scenario.restart.lost-state-before-epoch-floored and -nothing-kept",
    );
    Ok(file.finish())
}
