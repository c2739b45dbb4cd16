//! `scenarios-rotation.json`: issuer key rotation (spec §10.5).

use paycode::Error;

use super::{Scenario, accept, add, install_revocation_list, install_trust_list, reject, restart};
use crate::errors::{InputError, VectorError};
use crate::format::{RestartMode, VectorFile, VerifierConfig};
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    CREDENTIAL_LIFETIME, DEFAULT_PARAMS, KEY_1, KEY_2, STEP, TIME, credential_fields, ed25519_text,
    ed25519_verifier, fixture_error, hex, hmac_verifier, issue, issue_with, issuer, issuer_secret,
    main_fields, revocation_list, root_key, trust_list_at, trust_list_key_1, trust_list_keys_1_2, unhex,
};
use crate::generate::flags::Flag;
use paycode::hazmat::eddsa::{PublicKey, SecretKey};
use paycode::issuer::KeyPeriod;
use paycode::trust::{TrustEntry, TrustHeader, TrustList};

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
    let key_2_narrowed = next(2, &[KEY_1, KeyPeriod { not_before: TIME, ..KEY_2 }])?;
    // Configured with the root key, so that a trust list can enable ed25519.
    let key_1_only = ed25519_verifier(DEFAULT_PARAMS, &trust_list_key_1()?);
    let hmac_only = VerifierConfig { root_key: Some(root_key()), ..hmac_verifier(DEFAULT_PARAMS) };
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
                install_trust_list(TIME, next(2, &[KEY_2])?, true),
                reject(TIME + 1, wallet_1(STEP, 1)?, Error::UnknownIssuer),
                reject(TIME + 1, wallet_2(STEP, 1)?, Error::RevocationStale),
                install_revocation_list(TIME + 1, revocation_list(2, 1, TIME, vec![]), true),
                accept(TIME + 2, wallet_2(STEP, 1)?),
                install_trust_list(TIME + 2, "01000000".into(), false),
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
                install_trust_list(TIME, next(2, &[KEY_2])?, true),
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
                install_trust_list(TIME, next(2, &[KEY_2])?, true),
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
                install_trust_list(TIME, next(2, &[KEY_1])?, true),
                accept(TIME + 1, wallet_1(STEP, 0)?),
                install_trust_list(TIME + 1, next(3, &[KEY_1, KEY_2])?, true),
                reject(TIME + 2, wallet_2(STEP, 1)?, Error::Revoked),
            ],
        },
        Scenario {
            id: "scenario.rotation.uninstalled-list-stays-uninstalled",
            requirements: &["R-REVOKE-6", "R-REVOKE-4", "R-STATE-6"],
            flags: &[Flag::Rotation, Flag::Revocation, Flag::Restart],
            comment: "The standing revocation list, signed by key 1, is uninstalled when the trust list drops key 1. A later trust list that trusts key 1 again does not bring it back: only an install does. Key 2's credential stays revocation-stale, also after a restart with state, until a list signed by key 1 with a higher number is installed.",
            verifier: &both_keys,
            steps: vec![
                accept(TIME, wallet_2(STEP, 0)?),
                install_trust_list(TIME, next(2, &[KEY_2])?, true),
                reject(TIME + 1, wallet_2(STEP, 1)?, Error::RevocationStale),
                install_trust_list(TIME + 1, next(3, &[KEY_1, KEY_2])?, true),
                reject(TIME + 2, wallet_2(STEP, 1)?, Error::RevocationStale),
                restart(RestartMode::Kept, TIME + 3),
                reject(TIME + 4, wallet_2(STEP, 1)?, Error::RevocationStale),
                install_revocation_list(TIME + 5, revocation_list(1, 1, TIME, vec![]), true),
                accept(TIME + 6, wallet_2(STEP, 1)?),
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
                install_trust_list(TIME, next(2, &[KEY_1, KEY_2])?, true),
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
                install_trust_list(TIME, key_2_narrowed, true),
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
                install_trust_list(TIME, trust_list_key_1()?, true),
                reject(TIME + 1, key_1_code.clone(), Error::RevocationStale),
                install_revocation_list(TIME + 1, revocation_list(1, 1, TIME, vec![]), true),
                accept(TIME + 1, key_1_code),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-root-signature",
            requirements: &["R-TRUST-3", "R-ED-2"],
            flags: &[Flag::Rotation, Flag::BadSignature],
            comment: "Only key 1 trusted. Trust lists adding key 2 are refused when the root signature has a flipped bit and when a foreign root key signed it: key 2's credential stays unknown-issuer. The list signed by the root key installs.",
            verifier: &key_1_only,
            steps: vec![
                install_trust_list(TIME, flip_last(&next(2, &[KEY_1, KEY_2])?)?, false),
                install_trust_list(
                    TIME,
                    signed_by(&SecretKey::from_secret(&[0x5a; 32]), 2, &[KEY_1, KEY_2])?,
                    false,
                ),
                reject(TIME, wallet_2(STEP, 0)?, Error::UnknownIssuer),
                install_trust_list(TIME, next(2, &[KEY_1, KEY_2])?, true),
                accept(TIME + 1, wallet_2(STEP, 0)?),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-signed-by-an-issuer-key",
            requirements: &["R-TRUST-3", "R-KEY-3"],
            flags: &[Flag::Rotation, Flag::BadSignature, Flag::DomainSeparation],
            comment: "A trust list adding key 2, signed by issuer key 1 (trusted for credentials and revocation lists) instead of the root key, is refused: key 2's credential stays unknown-issuer.",
            verifier: &key_1_only,
            steps: vec![
                install_trust_list(
                    TIME,
                    signed_by(&SecretKey::from_secret(&issuer_secret(1)), 2, &[KEY_1, KEY_2])?,
                    false,
                ),
                reject(TIME, wallet_2(STEP, 0)?, Error::UnknownIssuer),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-older-or-equal-refused",
            requirements: &["R-TRUST-4"],
            flags: &[Flag::Rotation, Flag::UnknownIssuer],
            comment: "List 3 (keys 1 and 2) installs over the configured list 1. List 2 (key 1 alone), older, is refused, and so is list 3 again (equal, a replay): key 2's credential stays accepted. List 4 (key 1 alone) installs and key 2 is unknown-issuer.",
            verifier: &key_1_only,
            steps: vec![
                install_trust_list(TIME, next(3, &[KEY_1, KEY_2])?, true),
                install_trust_list(TIME + 1, next(2, &[KEY_1])?, false),
                install_trust_list(TIME + 1, next(3, &[KEY_1, KEY_2])?, false),
                accept(TIME + 2, wallet_2(STEP, 0)?),
                install_trust_list(TIME + 2, next(4, &[KEY_1])?, true),
                reject(TIME + 3, wallet_2(STEP, 1)?, Error::UnknownIssuer),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-rollback-refused",
            requirements: &["R-TRUST-4"],
            flags: &[Flag::Rotation, Flag::UnknownIssuer],
            comment: "Keys 1 and 2 trusted by the configured list 1; list 2 drops key 2 (say it leaked). The configured list 1, offered again, is refused: key 2 stays unknown-issuer, so a dropped key cannot be brought back by replaying an old signed list.",
            verifier: &both_keys,
            steps: vec![
                accept(TIME, wallet_2(STEP, 0)?),
                install_trust_list(TIME, next(2, &[KEY_1])?, true),
                install_trust_list(TIME + 1, trust_list_keys_1_2()?, false),
                reject(TIME + 1, wallet_2(STEP, 1)?, Error::UnknownIssuer),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-jump-bounded",
            requirements: &["R-TRUST-4"],
            flags: &[Flag::Rotation],
            comment: "From list 1 issued at T - 10 days, a list issued at T may run at most 1 + 14400 (whole minutes) ahead: list 14403 is refused, list 14402 installs. The next list, issued a minute later with the next number, still installs.",
            verifier: &key_1_only,
            steps: vec![
                install_trust_list(TIME, next(14_403, &[KEY_1, KEY_2])?, false),
                reject(TIME, wallet_2(STEP, 0)?, Error::UnknownIssuer),
                install_trust_list(TIME, next(14_402, &[KEY_1, KEY_2])?, true),
                accept(TIME, wallet_2(STEP, 0)?),
                install_trust_list(TIME + 60, dated(14_403, TIME + 60, &[KEY_1])?, true),
                reject(TIME + 60, wallet_2(STEP + 1, 1)?, Error::UnknownIssuer),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-at-end-of-range-refused",
            requirements: &["R-TRUST-4"],
            flags: &[Flag::Rotation],
            comment: "A list numbered 2^64 - 1, signed by the root key, would block every later list: it is refused (key 2 stays unknown-issuer), and the issuer's list 2 installs.",
            verifier: &key_1_only,
            steps: vec![
                install_trust_list(TIME, next(u64::MAX, &[KEY_1, KEY_2])?, false),
                reject(TIME, wallet_2(STEP, 0)?, Error::UnknownIssuer),
                install_trust_list(TIME, next(2, &[KEY_1])?, true),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-dated-in-future-refused",
            requirements: &["R-TRUST-4"],
            flags: &[Flag::Rotation],
            comment: "A list issued at T + 61 is refused at T (after t + X = T + 60), and installs at T + 1.",
            verifier: &key_1_only,
            steps: vec![
                install_trust_list(TIME, dated(2, TIME + 61, &[KEY_1, KEY_2])?, false),
                reject(TIME, wallet_2(STEP, 0)?, Error::UnknownIssuer),
                install_trust_list(TIME + 1, dated(2, TIME + 61, &[KEY_1, KEY_2])?, true),
                accept(TIME + 1, wallet_2(STEP, 0)?),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-a-day-ahead-refused",
            requirements: &["R-TRUST-4"],
            flags: &[Flag::Rotation],
            comment: "A list issued a day after the verifier's time is refused: key 2 stays unknown-issuer.",
            verifier: &key_1_only,
            steps: vec![
                install_trust_list(TIME, dated(2, TIME + 86_400, &[KEY_1, KEY_2])?, false),
                reject(TIME, wallet_2(STEP, 0)?, Error::UnknownIssuer),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-issued-before-refused",
            requirements: &["R-TRUST-4"],
            flags: &[Flag::Rotation],
            comment: "List 2 issued at T installs; list 3 issued at T - 1, before it, is refused even with a higher number.",
            verifier: &key_1_only,
            steps: vec![
                install_trust_list(TIME, next(2, &[KEY_1, KEY_2])?, true),
                install_trust_list(TIME, dated(3, TIME - 1, &[KEY_1])?, false),
                accept(TIME, wallet_2(STEP, 0)?),
            ],
        },
        Scenario {
            id: "scenario.rotation.trust-list-survives-restart",
            requirements: &["R-TRUST-4"],
            flags: &[Flag::Rotation],
            comment: "List 2 adds key 2. After a restart, kept or lost, the verifier still holds list 2 (configuration): key 2's credential is accepted and list 2 is not newer.",
            verifier: &key_1_only,
            steps: vec![
                install_trust_list(TIME, next(2, &[KEY_1, KEY_2])?, true),
                restart(RestartMode::Kept, TIME + 1),
                accept(TIME + 1, wallet_2(STEP, 0)?),
                install_trust_list(TIME + 1, next(2, &[KEY_1, KEY_2])?, false),
                restart(RestartMode::Lost, TIME + 120),
                install_trust_list(TIME + 120, next(2, &[KEY_1, KEY_2])?, false),
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

/// Trust list `sequence` of `keys`, issued at `TIME`, signed by the root key.
fn next(sequence: u64, keys: &[KeyPeriod]) -> Result<String, VectorError> {
    dated(sequence, TIME, keys)
}

/// Trust list `sequence` of `keys`, issued at `issued_at`, signed by the root key.
fn dated(sequence: u64, issued_at: u64, keys: &[KeyPeriod]) -> Result<String, VectorError> {
    trust_list_at(TrustHeader { sequence, issued_at }, keys)
}

/// Trust list `sequence` of the issuer's `keys`, issued at `TIME`, signed by `key`.
fn signed_by(key: &SecretKey, sequence: u64, keys: &[KeyPeriod]) -> Result<String, VectorError> {
    let entries = keys
        .iter()
        .map(|k| {
            let key = PublicKey::from_bytes(&issuer().key(k.key_id).public_bytes())
                .ok_or_else(|| fixture_error(InputError::PublicKey))?;
            Ok(TrustEntry { key_id: k.key_id, not_before: k.not_before, not_after: k.not_after, key })
        })
        .collect::<Result<Vec<_>, VectorError>>()?;
    let list = TrustList::issue(TrustHeader { sequence, issued_at: TIME }, key, entries)
        .map_err(|e| fixture_error(InputError::TrustList(e)))?;
    Ok(hex(&list.encode()))
}

/// `list` (hex) with the last bit of its root signature flipped.
fn flip_last(list: &str) -> Result<String, VectorError> {
    let mut bytes = unhex(list)?;
    if let Some(last) = bytes.last_mut() {
        *last ^= 1;
    }
    Ok(hex(&bytes))
}
