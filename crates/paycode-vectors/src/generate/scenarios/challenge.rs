//! `scenarios-challenge.json`: a challenge's single use across calls,
//! restarts and time (spec §4.9, §7.5, R-CHAL-3, R-CHAL-4).

use paycode::{Challenge, Error, Purpose};

use super::{Scenario, Step, add, restart};
use crate::errors::VectorError;
use crate::format::{RestartMode, VectorFile};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, OTHER_ACCOUNT, STEP, TIME, challenge, ed25519_code_for, ed25519_verifier,
    hmac_code_for, hmac_verifier, issue, main_fields, params, trust_list_key_1,
};
use crate::generate::flags::Flag;

/// `text` for `challenge`'s amount, with its verdict.
fn pay(time: u64, text: String, c: &Challenge, verdict: Result<(), Error>) -> Step {
    Step::Challenged { time, text, amount: c.amount(), challenge: c.to_qr_text(), verdict }
}

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-challenge",
        "A challenge's single use across calls, payers, restarts and time (spec §4.9, §7.5): one acceptance per challenge, kept across a restart with state, refused after a restart without it, and closed after C seconds.",
    );
    let verifier = hmac_verifier(DEFAULT_PARAMS);
    let code = |account: u64, step: u64, counter: u32, c: &Challenge| -> Result<String, VectorError> {
        Ok(hmac_code_for(&DEFAULT_PARAMS, account, step, counter, Purpose::Challenge(c))?.to_qr_text())
    };
    let till = challenge(1, 250, TIME, "till");
    let next = challenge(1, 250, TIME + 30, "next");
    let scenarios = [
        Scenario {
            id: "scenario.challenge.one-payment-per-challenge",
            requirements: &["R-CHAL-4", "R-REPLAY-1"],
            flags: &[Flag::Challenge, Flag::Replay],
            comment: "Account 42 pays the till's challenge; the same code again is replayed; account 7's code for the same challenge is challenge-used; account 7 pays the next challenge.",
            verifier: &verifier,
            steps: vec![
                pay(TIME, code(ACCOUNT, STEP, 0, &till)?, &till, Ok(())),
                pay(TIME + 1, code(ACCOUNT, STEP, 0, &till)?, &till, Err(Error::Replayed)),
                pay(TIME + 2, code(OTHER_ACCOUNT, STEP, 0, &till)?, &till, Err(Error::ChallengeUsed)),
                pay(TIME + 31, code(OTHER_ACCOUNT, STEP, 0, &next)?, &next, Ok(())),
            ],
        },
        Scenario {
            id: "scenario.challenge.rejection-records-no-nonce",
            requirements: &["R-CHAL-4", "R-VERIFY-3"],
            flags: &[Flag::Challenge],
            comment: "A forged code (account 42's code made for another challenge) is invalid-code and does not use the challenge: the honest code is accepted after it.",
            verifier: &verifier,
            steps: vec![
                pay(TIME, code(ACCOUNT, STEP, 1, &next)?, &till, Err(Error::InvalidCode)),
                pay(TIME + 1, code(ACCOUNT, STEP, 0, &till)?, &till, Ok(())),
            ],
        },
        Scenario {
            id: "scenario.challenge.kept-across-restart",
            requirements: &["R-CHAL-4", "R-REPLAY-5"],
            flags: &[Flag::Challenge, Flag::Restart],
            comment: "A restart with state keeps the nonce set: another payer's code for the used challenge is still challenge-used.",
            verifier: &verifier,
            steps: vec![
                pay(TIME, code(ACCOUNT, STEP, 0, &till)?, &till, Ok(())),
                restart(RestartMode::Kept, TIME + 5),
                pay(TIME + 6, code(OTHER_ACCOUNT, STEP, 0, &till)?, &till, Err(Error::ChallengeUsed)),
            ],
        },
        Scenario {
            id: "scenario.challenge.refused-after-lost-state",
            requirements: &["R-CHAL-4", "R-REPLAY-5"],
            flags: &[Flag::Challenge, Flag::Quarantine],
            comment: "After a restart without state at TIME + 70 (Q = STEP + 3, T0 + (Q + 1)·X = TIME + 240), a challenge issued before that is state-unavailable, even for a code whose step passes Q; one issued at TIME + 240 is accepted.",
            verifier: &verifier,
            steps: {
                let old = challenge(1, 250, TIME + 60, "old");
                let fresh = challenge(1, 250, TIME + 240, "fresh");
                vec![
                    pay(TIME + 60, code(ACCOUNT, STEP + 1, 0, &old)?, &old, Ok(())),
                    restart(RestartMode::Lost, TIME + 70),
                    pay(
                        TIME + 120,
                        code(OTHER_ACCOUNT, STEP + 3, 0, &old)?,
                        &old,
                        Err(Error::StateUnavailable),
                    ),
                    pay(TIME + 240, code(OTHER_ACCOUNT, STEP + 4, 1, &fresh)?, &fresh, Ok(())),
                ]
            },
        },
        Scenario {
            id: "scenario.challenge.closes",
            requirements: &["R-CHAL-3"],
            flags: &[Flag::Challenge, Flag::WindowEdge],
            comment: "A payer who scanned the challenge pays 121 s later (C = 120): challenge-expired, although the code itself is on time.",
            verifier: &verifier,
            steps: vec![pay(
                TIME + 121,
                code(ACCOUNT, STEP + 2, 0, &till)?,
                &till,
                Err(Error::ChallengeExpired),
            )],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    let no_forward = hmac_verifier(params(0, 60, 2, 0));
    let ahead = challenge(1, 250, TIME + 60, "ahead");
    let forward_zero = |account: u64, step: u64, counter: u32| -> Result<String, VectorError> {
        Ok(hmac_code_for(&params(0, 60, 2, 0), account, step, counter, Purpose::Challenge(&ahead))?
            .to_qr_text())
    };
    add(
        &mut file,
        Scenario {
            id: "scenario.challenge.lost-state-forward-zero",
            requirements: &["R-CHAL-4", "R-REPLAY-5"],
            flags: &[Flag::Challenge, Flag::Quarantine, Flag::WindowEdge],
            comment: "F = 0: a challenge made one step ahead of the clock is paid at TIME; after a restart without state at TIME (Q = STEP + 1), another payer's code for it at TIME + 60 has a step that passes Q, and the challenge is still open: only the floor T0 + (Q + 1)·X = TIME + 120 keeps it from being paid twice.",
            verifier: &no_forward,
            steps: vec![
                pay(TIME, forward_zero(ACCOUNT, STEP, 0)?, &ahead, Ok(())),
                restart(RestartMode::Lost, TIME),
                pay(
                    TIME + 60,
                    forward_zero(OTHER_ACCOUNT, STEP + 1, 0)?,
                    &ahead,
                    Err(Error::StateUnavailable),
                ),
            ],
        },
    )?;
    let ed = ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?);
    let stall = challenge(7, 300, TIME, "stall");
    let credential = issue(main_fields());
    let ed_code = |counter: u32, c: &Challenge| -> Result<String, VectorError> {
        Ok(ed25519_code_for(&DEFAULT_PARAMS, 1, credential, STEP, counter, Purpose::Challenge(c))?
            .to_qr_text())
    };
    add(
        &mut file,
        Scenario {
            id: "scenario.challenge.ed25519-one-payment",
            requirements: &["R-CHAL-4", "R-LIMIT-2"],
            flags: &[Flag::Challenge, Flag::Limit],
            comment: "At an offline terminal: a challenge code pays the stall's 300 once; a second code of the same payer for the same challenge is challenge-used and adds nothing to the ledger.",
            verifier: &ed,
            steps: vec![
                pay(TIME, ed_code(0, &stall)?, &stall, Ok(())),
                pay(TIME + 1, ed_code(1, &stall)?, &stall, Err(Error::ChallengeUsed)),
            ],
        },
    )?;
    Ok(file.finish())
}
