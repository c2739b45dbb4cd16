//! `scenarios-rotation.json`: issuer key rotation (spec §10.5).

use paycode::Error;

use super::{Scenario, accept, add, install_revocation_list, install_trust_list, reject};
use crate::errors::VectorError;
use crate::format::VectorFile;
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    CREDENTIAL_LIFETIME, DEFAULT_PARAMS, KEY_1, KEY_2, STEP, TIME, credential_fields, ed25519_text,
    ed25519_verifier, hmac_verifier, issue, issue_with, main_fields, revocation_list, trust_list,
    trust_list_key_1, trust_list_keys_1_2,
};
use crate::generate::flags::Flag;
use paycode::hazmat::eddsa::SecretKey;
use paycode::issuer::KeyPeriod;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "scenarios-rotation",
        "Issuer key rotation (spec §10.5): keys with overlapping validity in one trust list; each credential is checked only against the key its key id names; replacing the trust list retires a key.",
    );
    let key_1 = issue(main_fields());
    let key_2 = issue(credential_fields(2, 2, 2002, TIME - 60, CREDENTIAL_LIFETIME));
    let wallet_1 = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 1, key_1, step, counter);
    let wallet_2 = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 2, key_2, step, counter);
    let both_keys = ed25519_verifier(DEFAULT_PARAMS, &trust_list_keys_1_2()?);
    let key_2_narrowed = trust_list(&[KEY_1, KeyPeriod { not_before: TIME, ..KEY_2 }])?;
    let hmac_only = hmac_verifier(DEFAULT_PARAMS);
    let key_1_code = wallet_1(STEP, 0)?;
    // The main credential's fields signed by a key that is not the issuer's:
    // the same serial and device key as `key_1`, other bytes.
    let forged = issue_with(main_fields(), &SecretKey::from_secret(&[0x77; 32]));
    let forged_code = |step: u64, counter: u32| ed25519_text(&DEFAULT_PARAMS, 1, forged, step, counter);
    let scenarios = [
        Scenario {
            id: "scenario.rotation.same-serial-other-signature",
            requirements: &["R-ED-4", "R-VERIFY-1"],
            flags: &[Flag::Rotation, Flag::BadCredential],
            comment: "A code of the main credential is accepted; then a code whose credential has the same fields, serial and device key, but an issuer signature by another key, is bad-credential: E2 holds for every code, whatever a verifier has checked before for that serial.",
            verifier: &both_keys,
            steps: vec![
                accept(TIME, wallet_1(STEP, 0)?),
                reject(TIME, forged_code(STEP, 1)?, Error::BadCredential),
                accept(TIME, wallet_1(STEP, 2)?),
            ],
        },
        Scenario {
            id: "scenario.rotation.overlap-then-retire-list-rechecked",
            requirements: &["R-TRUST-1", "R-TRUST-2", "R-REVOKE-6", "R-REVOKE-4"],
            flags: &[Flag::Rotation, Flag::UnknownIssuer, Flag::Revocation],
            comment: "Keys 1 and 2 trusted: both credentials pass. The trust list is replaced by key 2 alone: key 1's credential is unknown-issuer, and the installed revocation list, signed by key 1, fails the re-check and is uninstalled, so key 2's credential is revocation-stale until a list signed by key 2 is installed. A malformed trust list is refused and changes nothing.",
            verifier: &both_keys,
            steps: vec![
                accept(TIME, wallet_1(STEP, 0)?),
                accept(TIME, wallet_2(STEP, 0)?),
                install_trust_list(trust_list(&[KEY_2])?, true),
                reject(TIME + 1, wallet_1(STEP, 1)?, Error::UnknownIssuer),
                reject(TIME + 1, wallet_2(STEP, 1)?, Error::RevocationStale),
                install_revocation_list(TIME + 1, revocation_list(2, 1, TIME, vec![]), true),
                accept(TIME + 2, wallet_2(STEP, 1)?),
                install_trust_list("01000000".into(), false),
                accept(TIME + 3, wallet_2(STEP, 2)?),
            ],
        },
        Scenario {
            id: "scenario.rotation.recheck-keeps-floor",
            requirements: &["R-REVOKE-6", "R-REVOKE-2"],
            flags: &[Flag::Rotation, Flag::Revocation],
            comment: "List 3 signed by key 1 is installed. The trust list drops key 1: the list is uninstalled (key 2's credential is revocation-stale) but its number and issue time stay the floor: a list signed by key 2 with number 3 is not newer and is refused; number 4 installs and the code is accepted.",
            verifier: &both_keys,
            steps: vec![
                install_revocation_list(TIME, revocation_list(1, 3, TIME, vec![]), true),
                accept(TIME, wallet_2(STEP, 0)?),
                install_trust_list(trust_list(&[KEY_2])?, true),
                reject(TIME + 1, wallet_2(STEP, 1)?, Error::RevocationStale),
                install_revocation_list(TIME + 1, revocation_list(2, 3, TIME, vec![]), false),
                reject(TIME + 1, wallet_2(STEP, 1)?, Error::RevocationStale),
                install_revocation_list(TIME + 1, revocation_list(2, 4, TIME, vec![]), true),
                accept(TIME + 2, wallet_2(STEP, 1)?),
            ],
        },
        Scenario {
            id: "scenario.rotation.recheck-floor-keeps-issue-time",
            requirements: &["R-REVOKE-6", "R-REVOKE-2"],
            flags: &[Flag::Rotation, Flag::Revocation],
            comment: "List 3 issued at T, signed by key 1, is installed; the trust list drops key 1 and the list is uninstalled. A list signed by key 2 with number 4 but issued a minute before T is refused: the uninstalled list's issue time is still the floor. The same number issued at T installs.",
            verifier: &both_keys,
            steps: vec![
                install_revocation_list(TIME, revocation_list(1, 3, TIME, vec![]), true),
                install_trust_list(trust_list(&[KEY_2])?, true),
                install_revocation_list(TIME + 1, revocation_list(2, 4, TIME - 60, vec![]), false),
                reject(TIME + 1, wallet_2(STEP, 0)?, Error::RevocationStale),
                install_revocation_list(TIME + 1, revocation_list(2, 4, TIME, vec![]), true),
                accept(TIME + 2, wallet_2(STEP, 0)?),
            ],
        },
        Scenario {
            id: "scenario.rotation.recheck-keeps-a-list-still-trusted",
            requirements: &["R-REVOKE-6"],
            flags: &[Flag::Rotation, Flag::Revocation],
            comment: "The trust list drops key 2 and keeps key 1, which signed the installed revocation list: the list passes the re-check and stays installed, so key 1's credential is still accepted and a revoked serial is still revoked.",
            verifier: &both_keys,
            steps: vec![
                install_revocation_list(TIME, revocation_list(1, 1, TIME, vec![2002]), true),
                reject(TIME, wallet_2(STEP, 0)?, Error::Revoked),
                install_trust_list(trust_list_key_1()?, true),
                accept(TIME + 1, wallet_1(STEP, 0)?),
                install_trust_list(trust_list_keys_1_2()?, true),
                reject(TIME + 2, wallet_2(STEP, 1)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.rotation.key-added",
            requirements: &["R-TRUST-1", "R-TRUST-2"],
            flags: &[Flag::Rotation, Flag::UnknownIssuer],
            comment: "Only key 1 trusted: key 2's credential is unknown-issuer until the trust list adds key 2.",
            verifier: &ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?),
            steps: vec![
                reject(TIME, wallet_2(STEP, 0)?, Error::UnknownIssuer),
                install_trust_list(trust_list_keys_1_2()?, true),
                accept(TIME + 1, wallet_2(STEP, 0)?),
                accept(TIME + 2, wallet_1(STEP, 0)?),
            ],
        },
        Scenario {
            id: "scenario.rotation.key-period-shrinks",
            requirements: &["R-TRUST-2", "R-ED-4"],
            flags: &[Flag::Rotation, Flag::BadCredential],
            comment: "Key 2's period is narrowed to start at T: its credential (valid from T - 60) no longer lies inside and becomes bad-credential.",
            verifier: &both_keys,
            steps: vec![
                accept(TIME, wallet_2(STEP, 0)?),
                install_trust_list(key_2_narrowed, true),
                reject(TIME + 1, wallet_2(STEP, 1)?, Error::BadCredential),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-enables-ed25519-list-required",
            requirements: &["R-TRUST-1", "R-VERIFY-1", "R-REVOKE-1", "R-REVOKE-4"],
            flags: &[Flag::Rotation, Flag::Profile],
            comment: "A verifier with the hmac profile alone: an ed25519 code gets unsupported-profile, and a revocation list is refused (no trust list holds its key). Installing a trust list enables the ed25519 profile, with no revocation list yet: the same code is revocation-stale; the list then installs and the code is accepted.",
            verifier: &hmac_only,
            steps: vec![
                reject(TIME, key_1_code.clone(), Error::UnsupportedProfile),
                install_revocation_list(TIME, revocation_list(1, 1, TIME, vec![]), false),
                install_trust_list(trust_list_key_1()?, true),
                reject(TIME + 1, key_1_code.clone(), Error::RevocationStale),
                install_revocation_list(TIME + 1, revocation_list(1, 1, TIME, vec![]), true),
                accept(TIME + 1, key_1_code),
            ],
        },
    ];
    for scenario in scenarios {
        add(&mut file, scenario)?;
    }
    file.retire(
        "scenario.rotation.overlap-then-retire",
        "a trust list that drops the key of the installed revocation list uninstalls that list (R-REVOKE-6); see scenario.rotation.overlap-then-retire-list-rechecked",
    );
    file.retire(
        "scenario.rotation.trust-list-enables-ed25519",
        "a terminal with no revocation list accepts no ed25519 code (R-REVOKE-4); see scenario.rotation.trust-list-enables-ed25519-list-required",
    );
    Ok(file.finish())
}
