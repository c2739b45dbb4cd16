//! `scenarios-limits.json`: offline limits per payment and cumulative per
//! terminal through the spend ledger (spec §10.1, §10.2).

use paycode::Error;

use super::{Scenario, add, pay};
use crate::errors::VectorError;
use crate::format::VectorFile;
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    CREDENTIAL_END, CREDENTIAL_LIFETIME, CREDENTIAL_START, DEFAULT_PARAMS, STEP, TIME, credential_fields,
    ed25519_text, ed25519_verifier, issue, main_fields, trust_list_key_1,
};
use crate::generate::flags::Flag;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-limits",
        "Offline limits (spec §10.1, §10.2): per payment, and cumulative per terminal through the spend ledger; rejected payments add nothing.",
    );
    let terminal = ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?);
    let credential = issue(main_fields());
    let code = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 1, credential, step, counter);
    let second_wallet = issue(credential_fields(2, 1, 1002, CREDENTIAL_START, CREDENTIAL_LIFETIME));
    let scenarios = [
        Scenario {
            id: "scenario.limits.cumulative",
            requirements: &["R-LIMIT-1", "R-LIMIT-2"],
            flags: &[Flag::Limit],
            comment: "5000 three times; 5001 is over the per-payment limit; 5000 reaches 20000 exactly; then 1 is over the cumulative limit and 0 is still accepted.",
            verifier: &terminal,
            steps: vec![
                pay(TIME, code(STEP, 0)?, 5_000, Ok(())),
                pay(TIME + 1, code(STEP, 1)?, 5_000, Ok(())),
                pay(TIME + 2, code(STEP, 2)?, 5_000, Ok(())),
                pay(TIME + 3, code(STEP, 3)?, 5_001, Err(Error::OverLimit)),
                pay(TIME + 4, code(STEP, 3)?, 5_000, Ok(())),
                pay(TIME + 5, code(STEP, 4)?, 1, Err(Error::OverLimit)),
                pay(TIME + 6, code(STEP, 4)?, 0, Ok(())),
            ],
        },
        Scenario {
            id: "scenario.limits.mark-kept-with-the-ledger",
            requirements: &["R-REPLAY-7", "R-LIMIT-2"],
            flags: &[Flag::CounterMark, Flag::Eviction],
            comment: "Serial 1001 pays with counter 3, then counter 1 (out of order, the mark stays (3, T)), at step T. Ten steps later its window is dead, but its credential is valid, so its ledger entry and counter mark stay: counter 2 made for step T + 10 is counter-behind and adds nothing to the ledger; counter 4 is accepted.",
            verifier: &terminal,
            steps: vec![
                pay(TIME, code(STEP, 3)?, 1_000, Ok(())),
                pay(TIME + 1, code(STEP, 1)?, 1_000, Ok(())),
                pay(TIME + 600, code(STEP + 10, 2)?, 1_000, Err(Error::CounterBehind)),
                pay(TIME + 601, code(STEP + 10, 4)?, 1_000, Ok(())),
            ],
        },
        Scenario {
            id: "scenario.limits.rejections-add-nothing",
            requirements: &["R-LIMIT-2", "R-VERIFY-3"],
            flags: &[Flag::Limit, Flag::Replay],
            comment: "A replayed code and an over-limit code leave the ledger as it was.",
            verifier: &terminal,
            steps: vec![
                pay(TIME, code(STEP, 0)?, 5_000, Ok(())),
                pay(TIME + 1, code(STEP, 0)?, 5_000, Err(Error::Replayed)),
                pay(TIME + 2, code(STEP, 1)?, 6_000, Err(Error::OverLimit)),
                pay(TIME + 3, code(STEP, 1)?, 5_000, Ok(())),
            ],
        },
        Scenario {
            id: "scenario.limits.per-credential",
            requirements: &["R-LIMIT-1", "R-LIMIT-2"],
            flags: &[Flag::Limit],
            comment: "Two credentials have separate ledgers.",
            verifier: &terminal,
            steps: vec![
                pay(TIME, code(STEP, 0)?, 5_000, Ok(())),
                pay(TIME, code(STEP, 1)?, 5_000, Ok(())),
                pay(TIME, code(STEP, 2)?, 5_000, Ok(())),
                pay(TIME, code(STEP, 3)?, 5_000, Ok(())),
                pay(TIME, code(STEP, 4)?, 1, Err(Error::OverLimit)),
                pay(TIME, ed25519_text(&DEFAULT_PARAMS, 2, second_wallet, STEP, 0)?, 5_000, Ok(())),
            ],
        },
        Scenario {
            id: "scenario.limits.until-expiry",
            requirements: &["R-LIMIT-1", "R-LIMIT-2"],
            flags: &[Flag::Limit, Flag::CredentialValidity],
            comment: "The ledger holds until the credential's last second; after it the credential is expired anyway.",
            verifier: &terminal,
            steps: vec![
                pay(CREDENTIAL_END - 60, code((CREDENTIAL_END - 60) / 60, 0)?, 5_000, Ok(())),
                pay(CREDENTIAL_END, code(CREDENTIAL_END / 60, 1)?, 5_000, Ok(())),
                pay(CREDENTIAL_END + 1, code(CREDENTIAL_END / 60, 2)?, 5_000, Err(Error::Expired)),
            ],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    Ok(file.finish())
}
