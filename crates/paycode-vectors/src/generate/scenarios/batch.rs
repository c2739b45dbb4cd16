//! `scenarios-batch.json`: a payer's batch of credentials (spec §4.3,
//! R-BATCH-1 to R-BATCH-5).

use paycode::{BatchCredential, BatchTerms, Ed25519Wallet, Error};

use super::{Scenario, accept, add, install_revocation_list, reject};
use crate::errors::{FixtureError, VectorError};
use crate::format::VectorFile;
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    CREDENTIAL_LIFETIME, CREDENTIAL_START, DEFAULT_PARAMS, TIME, device_seed, ed25519_batch_wallet,
    ed25519_verifier, issuer, revocation_list, trust_list_keys_1_2,
};
use crate::generate::flags::Flag;

/// The batch's serials: unrelated 64-bit values, as an issuer draws them at
/// random (fixed here so that the file is reproducible).
const SERIALS: [u64; 3] = [0x9c1e_52a7_0b3d_46f8, 0x1f84_d06e_c972_3a15, 0x6a2b_f913_84e0_7dc2];

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-batch",
        "A payer's batch of three credentials (spec §4.3, R-BATCH-1 to R-BATCH-5): the wallet's device keys of indexes 0, 1 and 2, each in its own credential with its own serial, all with the same key id, not_before, lifetime and limits. The wallet uses them in turn, one code each with counter 0, then again from the first with counter 1; each code verifies under its own credential. Revoking the payer puts every serial of the batch on the revocation list, which revokes each credential.",
    );
    let terminal = ed25519_verifier(DEFAULT_PARAMS, &trust_list_keys_1_2()?);
    let codes = batch_codes(7)?;
    let code = |n: usize| codes.get(n).cloned().ok_or(FixtureError::NotFound("the batch's code"));
    let mut sorted = SERIALS.to_vec();
    sorted.sort_unstable();
    let scenarios = [
        Scenario {
            id: "scenario.batch.codes-in-turn",
            requirements: &["R-BATCH-1", "R-BATCH-2", "R-BATCH-4"],
            flags: &[Flag::Batch, Flag::Valid],
            comment: "Seven codes in turn: serials 1, 2, 3 with counter 0, then 1, 2, 3 with counter 1, then 1 with counter 2; every one is accepted, as each credential's counters rise on their own.",
            verifier: &terminal,
            steps: (0..7).map(|n| code(n).map(|c| accept(TIME + n as u64, c))).collect::<Result<_, _>>()?,
        },
        Scenario {
            id: "scenario.batch.payer-revoked",
            requirements: &["R-BATCH-5", "R-REVOKE-3"],
            flags: &[Flag::Batch, Flag::Revocation],
            comment: "The first code of each credential is accepted; then list 1 names the batch's three serials (sorted) and each credential's next code is revoked.",
            verifier: &terminal,
            steps: vec![
                accept(TIME, code(0)?),
                accept(TIME, code(1)?),
                accept(TIME, code(2)?),
                install_revocation_list(TIME + 1, revocation_list(1, 1, TIME + 1, sorted), true),
                reject(TIME + 2, code(3)?, Error::Revoked),
                reject(TIME + 2, code(4)?, Error::Revoked),
                reject(TIME + 2, code(5)?, Error::Revoked),
            ],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    Ok(file.finish())
}

/// The first `n` codes of the batch wallet of wallet 1, in turn, all at the
/// fixed step.
fn batch_codes(n: usize) -> Result<Vec<String>, VectorError> {
    let seed = device_seed(1);
    let keys: Vec<[u8; 32]> = (0..3).map(|i| Ed25519Wallet::device_public_key(&seed, i)).collect();
    // spec: R-BATCH-3: 3 * 6666 is within the payer's 20000.
    let terms = BatchTerms {
        key_id: 1,
        not_before: CREDENTIAL_START,
        lifetime: CREDENTIAL_LIFETIME,
        per_payment_limit: 5_000,
        cumulative_limit: BatchTerms::split(20_000, 3),
        payer_limit: 20_000,
    };
    let credentials = issuer()
        .issue_batch_with_serials(&terms, &keys, &SERIALS)
        .map_err(|_| FixtureError::NotFound("a batch the issuer issues"))?;
    let batch: Vec<BatchCredential> = (0..3)
        .zip(credentials)
        .map(|(index, credential)| BatchCredential { index, credential, next_counter: 0 })
        .collect();
    let mut wallet = ed25519_batch_wallet(&DEFAULT_PARAMS, 1, &batch)?;
    // TIME is the start of a step: every code is made for it.
    (0..n)
        .map(|_| wallet.generate(TIME).map(|c| c.to_qr_text()))
        .collect::<Result<_, _>>()
        .map_err(|_| FixtureError::NotFound("a code of the batch").into())
}
