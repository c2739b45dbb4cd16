//! `scenarios-revocation.json`: revocation list updates (spec §4.7, §10.5).

use paycode::Error;

use super::{Scenario, accept, add, install_revocation_list, reject, restart};
use crate::errors::VectorError;
use crate::format::{RestartMode, VectorFile};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    DEFAULT_PARAMS, KEY_1, SERIAL, STEP, TIME, ed25519_text, ed25519_verifier, hex, issue, issuer,
    main_fields, revocation_list, trust_list_keys_1_2, unhex, with_bytes_at,
};
use crate::generate::flags::Flag;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-revocation",
        "Revocation list updates (spec §4.7, §10.5): a list installs only if valid, signed by a trusted key whose validity contains issued_at, and numbered above the installed one (initially 0); the installed list replaces the old one.",
    );
    let terminal = ed25519_verifier(DEFAULT_PARAMS, &trust_list_keys_1_2()?);
    let credential = issue(main_fields());
    let code = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 1, credential, step, counter);
    let mut flipped_signature = unhex(&revocation_list(1, 3, TIME, vec![SERIAL]))?;
    if let Some(last) = flipped_signature.last_mut() {
        *last ^= 1;
    }
    let unsorted = unhex(&revocation_list(1, 3, TIME, vec![5, SERIAL]))?;
    let unsorted =
        with_bytes_at(with_bytes_at(unsorted, 23, &SERIAL.to_be_bytes())?, 31, &5u64.to_be_bytes())?;
    let untrusted_key = hex(&issuer().revocation_list(3, 3, TIME, vec![SERIAL]).encode());
    let scenarios = [
        Scenario {
            id: "scenario.revocation.install-update-unrevoke",
            requirements: &["R-REVOKE-1", "R-REVOKE-2", "R-REVOKE-3"],
            flags: &[Flag::Revocation],
            comment: "Accepted; list 1 revokes 1001; list 1 again and an older list are refused; list 2 (empty) replaces it and the serial is accepted again.",
            verifier: &terminal,
            steps: vec![
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(revocation_list(1, 1, TIME, vec![SERIAL]), true),
                reject(TIME + 1, code(STEP, 1)?, Error::Revoked),
                install_revocation_list(revocation_list(1, 1, TIME, vec![]), false),
                reject(TIME + 2, code(STEP, 1)?, Error::Revoked),
                install_revocation_list(revocation_list(1, 2, TIME + 5, vec![]), true),
                accept(TIME + 6, code(STEP, 1)?),
                install_revocation_list(revocation_list(1, 1, TIME, vec![SERIAL]), false),
                accept(TIME + 7, code(STEP, 2)?),
            ],
        },
        Scenario {
            id: "scenario.revocation.number-zero",
            requirements: &["R-REVOKE-2"],
            flags: &[Flag::Revocation],
            comment: "The installed number starts at 0, so a list numbered 0 is never installed.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(revocation_list(1, 0, TIME, vec![SERIAL]), false),
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(revocation_list(1, u64::MAX, TIME, vec![SERIAL]), true),
                reject(TIME, code(STEP, 1)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.refused-lists",
            requirements: &["R-REVOKE-1", "R-REVOKE-2"],
            flags: &[Flag::Revocation, Flag::BadSignature, Flag::Rotation],
            comment: "Refused: a flipped signature, a key not in the trust list, key 1 after its validity, unsorted serials. Installed: key 2 within its validity.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(hex(&flipped_signature), false),
                install_revocation_list(untrusted_key, false),
                install_revocation_list(revocation_list(1, 3, KEY_1.not_after + 1, vec![SERIAL]), false),
                install_revocation_list(hex(&unsorted), false),
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(revocation_list(2, 3, TIME, vec![SERIAL]), true),
                reject(TIME + 1, code(STEP, 1)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.key-validity-edges",
            requirements: &["R-REVOKE-1"],
            flags: &[Flag::Revocation, Flag::Rotation],
            comment: "A list signed by key 1 one second before the key's not_before is refused; one issued at its not_before, and one at its not_after, are installed: the key's validity includes both ends.",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(revocation_list(1, 5, KEY_1.not_before - 1, vec![SERIAL]), false),
                accept(TIME, code(STEP, 0)?),
                install_revocation_list(revocation_list(1, 5, KEY_1.not_before, vec![]), true),
                accept(TIME, code(STEP, 1)?),
                install_revocation_list(revocation_list(1, 6, KEY_1.not_after, vec![SERIAL]), true),
                reject(TIME, code(STEP, 2)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.revocation.kept-across-restarts",
            requirements: &["R-REVOKE-2", "R-REPLAY-5"],
            flags: &[Flag::Revocation, Flag::Restart],
            comment: "The installed list survives both kinds of restart (revoked, E4, comes before the quarantine check, C2).",
            verifier: &terminal,
            steps: vec![
                install_revocation_list(revocation_list(1, 4, TIME, vec![SERIAL]), true),
                restart(RestartMode::Kept, TIME + 1),
                reject(TIME + 2, code(STEP, 0)?, Error::Revoked),
                restart(RestartMode::Lost, TIME + 3),
                reject(TIME + 4, code(STEP, 0)?, Error::Revoked),
                reject(TIME + 125, code(STEP + 2, 1)?, Error::Revoked),
            ],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    Ok(file.finish())
}
