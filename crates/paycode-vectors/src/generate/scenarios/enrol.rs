//! `scenarios-enrol.json`: accounts enrolled, and seeds replaced, while
//! the verifier runs (spec §7.1 hmac provisioning step 3, R-HANDLE-3): from
//! then on the account is found under its new seed's handles only, in
//! every step, including those whose candidates were already looked up.

use paycode::Error;

use super::{Scenario, accept, add, enrol, reject};
use crate::errors::VectorError;
use crate::format::{VectorFile, VerifierConfig};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    DEFAULT_PARAMS, STEP, TIME, both_forms, enrolled, hmac_seed, hmac_verifier, seed_bytes, seeded_wallet,
};
use crate::generate::flags::Flag;

/// The accounts enrolled at the start: 16, so that an implementation that
/// keeps its handles in buckets has several.
const FIRST: std::ops::RangeInclusive<u64> = 100..=115;
/// Accounts enrolled while the verifier runs.
const LATER: [u64; 2] = [200, 201];
/// Accounts given a new seed while the verifier runs.
const RESEEDED: [u64; 3] = [105, 110, 113];

/// The second seed of `account`.
fn new_seed(account: u64) -> [u8; 32] {
    seed_bytes(&format!("hmac/account-{account}/reenrolled"))
}

/// The seed `account` holds after the enrolments.
fn seed_after(account: u64) -> [u8; 32] {
    if RESEEDED.contains(&account) { new_seed(account) } else { hmac_seed(account) }
}

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-enrol",
        "Accounts enrolled and seeds replaced while a verifier runs (spec §7.1 hmac provisioning step 3, R-HANDLE-3, R-HANDLE-1): an `enrol` step adds an account, or replaces all three keys of an enrolled one, and every later lookup, in any step, finds the account under its current seed's handles only; its replay state stays.",
    );
    let verifier = VerifierConfig {
        hmac_accounts: Some(FIRST.map(enrolled).collect()),
        ..hmac_verifier(DEFAULT_PARAMS)
    };
    let forms = |account: u64, seed: &[u8; 32], step: u64, counter: u32| {
        both_forms(&seeded_wallet(&DEFAULT_PARAMS, account, seed)?, step, counter)
    };

    // Codes of two steps first, so that both steps' candidates have been looked up.
    let mut steps = vec![
        accept(TIME, forms(101, &hmac_seed(101), STEP - 1, 1)?.0),
        accept(TIME + 1, forms(102, &hmac_seed(102), STEP, 1)?.1),
    ];
    for account in LATER {
        steps.push(enrol(account, hmac_seed(account)));
    }
    for account in RESEEDED {
        steps.push(enrol(account, new_seed(account)));
    }
    let mut time = TIME + 2;
    for account in RESEEDED {
        let (qr, digits) = forms(account, &hmac_seed(account), STEP, 1)?;
        steps.push(reject(time, qr, Error::InvalidCode));
        steps.push(reject(time + 1, digits, Error::InvalidCode));
        time += 2;
    }
    // Every account, in both steps, in both forms: each is found, and found as itself.
    for account in FIRST.chain(LATER) {
        let seed = seed_after(account);
        let (qr, _) = forms(account, &seed, STEP - 1, 2)?;
        let (_, digits) = forms(account, &seed, STEP, 3)?;
        steps.push(accept(time, qr));
        steps.push(accept(time + 1, digits));
        time += 2;
    }

    let replaced_comment = format!(
        "16 accounts (100 to 115) enrolled; codes of steps T - 1 and T are accepted first. Then accounts {} and {} are enrolled and accounts {}, {} and {} get new seeds. The old seeds' codes are invalid-code in both forms; every account's QR code of step T - 1 and numeric code of step T, under its current seed, is accepted.",
        LATER[0], LATER[1], RESEEDED[0], RESEEDED[1], RESEEDED[2]
    );
    let kept = vec![
        accept(TIME, forms(105, &hmac_seed(105), STEP, 5)?.0),
        enrol(105, new_seed(105)),
        reject(TIME + 1, forms(105, &new_seed(105), STEP, 5)?.0, Error::Replayed),
        reject(TIME + 2, forms(105, &new_seed(105), STEP, 5)?.1, Error::Replayed),
        accept(TIME + 3, forms(105, &new_seed(105), STEP, 6)?.0),
        reject(TIME + 4, forms(105, &hmac_seed(105), STEP, 7)?.0, Error::InvalidCode),
    ];
    let scenarios = [
        Scenario {
            id: "scenario.enrol.new-accounts-and-seeds",
            requirements: &["R-HANDLE-3", "R-HANDLE-1", "R-KEY-2"],
            flags: &[Flag::UnknownAccount, Flag::Valid],
            comment: &replaced_comment,
            verifier: &verifier,
            steps,
        },
        Scenario {
            id: "scenario.enrol.new-seed-keeps-replay-state",
            requirements: &["R-HANDLE-3", "R-REPLAY-1"],
            flags: &[Flag::Replay],
            comment: "Account 105 pays with counter 5 in step T, then gets a new seed. Its replay state is the account's, not the seed's: the new seed's code for counter 5 is replayed in both forms, for counter 6 accepted; the old seed's code for counter 7 is invalid-code.",
            verifier: &verifier,
            steps: kept,
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    Ok(file.finish())
}
