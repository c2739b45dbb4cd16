//! `verify-ed25519.json`, what the terminal trusts: the issuer's keys, the
//! credential's signature, device key, lifetime and validity, revocation, and
//! the device signature.

use paycode::Error;
use paycode::code::Ed25519Code;
use paycode::credential::{Credential, CredentialFields};
use paycode::hazmat::eddsa::SecretKey;
use paycode::revocation::ListHeader;

use super::ed25519::{AMOUNT, Terminal};
use super::{VerifyCase, add};
use crate::curve;
use crate::errors::{FixtureError, InputError, VectorError};
use crate::format::StateBefore;
use crate::generate::builder::FileBuilder;
use crate::generate::fixtures::{
    CREDENTIAL_END, CREDENTIAL_START, DEFAULT_PARAMS, KEY_1, SERIAL, STEP, TIME, cut, device_secret,
    ed25519_code, ed25519_text, ed25519_text_signed_by, ed25519_verifier, fixture_error, fresh_list,
    fresh_state, issue, issue_with, issuer_secret, main_fields, main_fields_valid, qr_text, revocation_list,
    seed_bytes, trust_list_keys_1_2, with_bytes_at,
};
use crate::generate::flags::Flag;

/// The cases, in file order.
pub(super) fn cases(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    issuer_keys(file, terminal)?;
    issuer_signatures(file, terminal)?;
    device_keys(file, terminal)?;
    lifetimes(file, terminal)?;
    validity(file, terminal)?;
    revocation(file, terminal)?;
    device_signatures(file, terminal)
}

/// A credential of key 2: `key_id = 2`, serial 2002.
pub(super) fn key_2_fields() -> CredentialFields {
    CredentialFields { key_id: 2, serial: 2002, ..main_fields() }
}

/// A credential is checked against the key its key id names, and only if that key is trusted.
fn issuer_keys(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    let both_keys = ed25519_verifier(DEFAULT_PARAMS, &trust_list_keys_1_2()?);
    let key_2_credential = issue(key_2_fields());
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.key-2-of-two",
            requirements: &["R-TRUST-2", "R-ED-3"],
            flags: &[Flag::Rotation, Flag::Valid],
            comment: "A credential of key 2 with keys 1 and 2 trusted.",
            text: ed25519_text(&DEFAULT_PARAMS, 1, key_2_credential, STEP, 0)?,
            amount: AMOUNT,
            ..VerifyCase::at(&both_keys)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.unknown-issuer",
            requirements: &["R-TRUST-2", "R-VERIFY-1"],
            flags: &[Flag::UnknownIssuer],
            comment: "A credential of key 2 when only key 1 is trusted.",
            text: ed25519_text(&DEFAULT_PARAMS, 1, key_2_credential, STEP, 0)?,
            amount: AMOUNT,
            verdict: Err(Error::UnknownIssuer),
            ..VerifyCase::at(&terminal.verifier)
        },
    )?;
    let signed_by_key_1 = issue_with(key_2_fields(), &SecretKey::from_secret(&issuer_secret(1)));
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.key-id-2-signed-by-key-1",
            requirements: &["R-TRUST-2", "R-ED-3", "R-ED-4"],
            flags: &[Flag::Rotation, Flag::BadCredential],
            comment: "Key id 2 in the credential, signed by key 1: checked only against key 2.",
            text: ed25519_text(&DEFAULT_PARAMS, 1, signed_by_key_1, STEP, 0)?,
            amount: AMOUNT,
            verdict: Err(Error::BadCredential),
            ..VerifyCase::at(&both_keys)
        },
    )
}

/// Issuer signatures that do not verify: a flipped bit, a foreign key, no DS string.
fn issuer_signatures(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    let decode =
        |bytes: &[u8]| Credential::decode(bytes).map_err(|e| fixture_error(InputError::Credential(e)));
    let bytes = terminal.credential.as_bytes().to_vec();
    let mut flipped = *terminal.credential.as_bytes();
    flipped[100] ^= 0x10;
    let unsigned = cut(&bytes, 0, 62)?;
    let without_ds = with_bytes_at(bytes, 62, &SecretKey::from_secret(&issuer_secret(1)).sign(&unsigned))?;
    for (name, requirements, flags, comment, credential) in [
        (
            "credential-signature-flipped",
            &["R-ED-3", "R-ED-4"][..],
            &[Flag::BadCredential, Flag::BadSignature][..],
            "One bit of the issuer signature flipped.",
            decode(&flipped)?,
        ),
        (
            "credential-foreign-issuer",
            &["R-ED-3"],
            &[Flag::BadCredential],
            "A credential naming key 1 but signed by an unrelated key.",
            issue_with(main_fields(), &SecretKey::from_secret(&seed_bytes("other-issuer"))),
        ),
        (
            "credential-without-domain-separation",
            &["R-ED-3", "R-KEY-3"],
            &[Flag::BadCredential, Flag::DomainSeparation],
            "The issuer signed the credential bytes without the DS string.",
            decode(&without_ds)?,
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.{name}"),
                requirements,
                flags,
                comment,
                text: ed25519_text(&DEFAULT_PARAMS, 1, credential, STEP, 0)?,
                amount: AMOUNT,
                verdict: Err(Error::BadCredential),
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    Ok(())
}

/// Device keys that are no valid point, in credentials the issuer signed anyway.
fn device_keys(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    let mut identity_plus_p = [0xffu8; 32];
    identity_plus_p[0] = 0xee;
    identity_plus_p[31] = 0x7f;
    for (name, device_key, what) in [
        ("device-key-identity", curve::torsion()[0], "The device key is the identity point (small order)."),
        ("device-key-order-8", curve::torsion()[1], "The device key is a point of order 8."),
        (
            "device-key-non-canonical",
            identity_plus_p,
            "The device key is the identity encoded with y = p + 1.",
        ),
    ] {
        let credential = issue(CredentialFields { device_key, ..main_fields() });
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.{name}"),
                requirements: &["R-ED-4", "R-ED-1"],
                flags: &[Flag::BadCredential, Flag::SmallOrder],
                comment: &format!("{what} The issuer signed it anyway; the code is signed by wallet 1."),
                text: ed25519_text_signed_by(&device_secret(1), &credential, STEP, 0),
                amount: AMOUNT,
                verdict: Err(Error::BadCredential),
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    Ok(())
}

/// The longest lifetime, one second more, an overflowing validity, and
/// validity at and beyond the edges of the issuer key's period.
fn lifetimes(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    let key_start = KEY_1.not_before + 10;
    let key_end = KEY_1.not_after - 10;
    for (name, flags, comment, (not_before, lifetime), time, verdict) in [
        (
            "lifetime-7-days",
            &[Flag::CredentialValidity, Flag::Valid][..],
            "lifetime = 604800, the longest allowed.",
            (TIME - 600_000, 604_800),
            TIME,
            Ok(()),
        ),
        (
            "lifetime-too-long",
            &[Flag::CredentialValidity, Flag::BadCredential],
            "lifetime = 604801.",
            (TIME - 600_000, 604_801),
            TIME,
            Err(Error::BadCredential),
        ),
        (
            "validity-overflows",
            &[Flag::CredentialValidity, Flag::BadCredential, Flag::U64Extreme],
            "not_before + lifetime exceeds 2^64 - 1.",
            (u64::MAX - 10, 100),
            TIME,
            Err(Error::BadCredential),
        ),
        (
            "validity-overflows-to-zero",
            &[Flag::CredentialValidity, Flag::BadCredential, Flag::U64Extreme],
            "not_before + lifetime = 2^64 exactly: one above 2^64 - 1 (wrapping would give 0).",
            (u64::MAX - 99, 100),
            TIME,
            Err(Error::BadCredential),
        ),
        (
            "starts-with-key",
            &[Flag::CredentialValidity, Flag::Valid],
            "not_before = the key's not_before.",
            (KEY_1.not_before, 1000),
            key_start,
            Ok(()),
        ),
        (
            "starts-before-key",
            &[Flag::CredentialValidity, Flag::BadCredential],
            "not_before one second before the key's not_before.",
            (KEY_1.not_before - 1, 1000),
            key_start,
            Err(Error::BadCredential),
        ),
        (
            "ends-with-key",
            &[Flag::CredentialValidity, Flag::Valid],
            "not_after = the key's not_after.",
            (KEY_1.not_after - 1000, 1000),
            key_end,
            Ok(()),
        ),
        (
            "ends-after-key",
            &[Flag::CredentialValidity, Flag::BadCredential],
            "not_after one second after the key's not_after.",
            (KEY_1.not_after - 1000, 1001),
            key_end,
            Err(Error::BadCredential),
        ),
    ] {
        let credential = issue(main_fields_valid(not_before, lifetime));
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.{name}"),
                requirements: &["R-ED-4"],
                flags,
                comment,
                time,
                text: ed25519_text(&DEFAULT_PARAMS, 1, credential, time / 60, 0)?,
                amount: AMOUNT,
                verdict,
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    Ok(())
}

/// Validity is inclusive at both ends: `not_before <= t <= not_before + lifetime`.
fn validity(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    for (name, time, verdict, comment) in [
        ("not-yet-valid", CREDENTIAL_START - 1, Err(Error::NotYetValid), "t = not_before - 1."),
        ("first-second", CREDENTIAL_START, Ok(()), "t = not_before: inclusive."),
        ("last-second", CREDENTIAL_END, Ok(()), "t = not_before + lifetime: inclusive."),
        ("expired", CREDENTIAL_END + 1, Err(Error::Expired), "t = not_before + lifetime + 1."),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.validity-{name}"),
                requirements: &["R-ED-4", "R-VERIFY-1"],
                flags: &[Flag::CredentialValidity],
                comment,
                time,
                text: terminal.code(time / 60, 0)?,
                amount: AMOUNT,
                verdict,
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    Ok(())
}

/// The state with list 1, revoking 5 and 1001, installed.
pub(super) fn revoked_state() -> StateBefore {
    StateBefore { revocation_list: Some(revocation_list(1, 1, TIME - 100, vec![5, SERIAL])), ..fresh_state() }
}

/// The installed list revokes the serial, or only its neighbours.
fn revocation(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.revoked",
            requirements: &["R-REVOKE-3"],
            flags: &[Flag::Revocation],
            comment: "The serial is on the installed list.",
            state: revoked_state(),
            text: terminal.code(STEP, 0)?,
            amount: AMOUNT,
            verdict: Err(Error::Revoked),
            ..VerifyCase::at(&terminal.verifier)
        },
    )?;
    add(
        file,
        VerifyCase {
            id: "ed25519.verify.neighbours-revoked",
            requirements: &["R-REVOKE-3"],
            flags: &[Flag::Revocation, Flag::Valid],
            comment: "Serials 1000 and 1002 are revoked, 1001 is not.",
            state: StateBefore {
                revocation_list: Some(revocation_list(1, 1, TIME - 100, vec![SERIAL - 1, SERIAL + 1])),
                ..fresh_state()
            },
            text: terminal.code(STEP, 0)?,
            amount: AMOUNT,
            ..VerifyCase::at(&terminal.verifier)
        },
    )?;
    freshness(file, terminal)
}

/// A state whose list (number 1, issued 100 s before the fixed time) lists
/// `serials` and is fresh through `fresh_until = next_update + grace`.
fn list_fresh_until(fresh_until: u64, serials: Vec<u64>) -> StateBefore {
    let header =
        ListHeader { key_id: 1, number: 1, issued_at: TIME - 100, next_update: fresh_until - 60, grace: 60 };
    StateBefore { revocation_list: Some(fresh_list(header, serials)), ..fresh_state() }
}

/// One freshness case: id, comment, state, no list installed, text, verdict.
type FreshnessCase<'a> = (&'a str, &'a str, StateBefore, bool, String, Result<(), Error>);

/// The freshness of the installed list (spec: R-REVOKE-4): none installed,
/// fresh through `next_update + grace` exactly, and `revoked` before
/// `revocation-stale`, which comes before the device signature.
fn freshness(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    let cases: [FreshnessCase<'_>; 6] = [
        (
            "ed25519.verify.revocation-stale-no-list",
            "No revocation list is installed: every ed25519 code is revocation-stale.",
            fresh_state(),
            true,
            terminal.code(STEP, 0)?,
            Err(Error::RevocationStale),
        ),
        (
            "ed25519.verify.revocation-fresh-at-edge",
            "t = next_update + grace exactly: the list is still fresh.",
            list_fresh_until(TIME, vec![5]),
            false,
            terminal.code(STEP, 0)?,
            Ok(()),
        ),
        (
            "ed25519.verify.revocation-stale-past-grace",
            "t = next_update + grace + 1: stale, for a serial the list does not name.",
            list_fresh_until(TIME - 1, vec![5]),
            false,
            terminal.code(STEP, 0)?,
            Err(Error::RevocationStale),
        ),
        (
            "ed25519.verify.revoked-before-stale",
            "A stale list that names the serial: revoked comes first (E4).",
            list_fresh_until(TIME - 1, vec![SERIAL]),
            false,
            terminal.code(STEP, 0)?,
            Err(Error::Revoked),
        ),
        (
            "ed25519.verify.stale-before-device-signature",
            "A stale list and a device signature that does not verify: revocation-stale (E4 before E5).",
            list_fresh_until(TIME - 1, vec![5]),
            false,
            flipped_signature(terminal)?,
            Err(Error::RevocationStale),
        ),
        (
            "ed25519.verify.no-list-before-device-signature",
            "No list and a device signature that does not verify: revocation-stale (E4 before E5).",
            fresh_state(),
            true,
            flipped_signature(terminal)?,
            Err(Error::RevocationStale),
        ),
    ];
    for (id, comment, state, unlisted, text, verdict) in cases {
        add(
            file,
            VerifyCase {
                id,
                requirements: &["R-REVOKE-4", "R-VERIFY-1"],
                flags: &[Flag::Revocation],
                comment,
                state,
                text,
                amount: AMOUNT,
                verdict,
                unlisted,
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    Ok(())
}

/// Wallet 1's code for step `T`, counter 0, with the last bit of its signature's `S` flipped.
pub(super) fn flipped_signature(terminal: &Terminal) -> Result<String, VectorError> {
    let mut payload = ed25519_code(&DEFAULT_PARAMS, 1, terminal.credential, STEP, 0)?.encode().to_vec();
    *payload.last_mut().ok_or(FixtureError::NotFound("payload byte"))? ^= 0x01;
    Ok(qr_text(&payload))
}

/// Device signatures that do not verify: a flipped bit, another wallet's key,
/// `S + L`, and no DS string.
fn device_signatures(file: &mut FileBuilder, terminal: &Terminal) -> Result<(), VectorError> {
    let payload = ed25519_code(&DEFAULT_PARAMS, 1, terminal.credential, STEP, 0)?.encode().to_vec();
    let mut s = [0u8; 32];
    s.copy_from_slice(&cut(&payload, 172, 204)?);
    let s_plus_l = with_bytes_at(
        payload,
        172,
        &curve::add_order(&s, 1).ok_or(FixtureError::NotFound("S + L below 2^256"))?,
    )?;
    let unsigned = Ed25519Code::unsigned(STEP, 0, &terminal.credential);
    let without_ds = [&unsigned[..], &device_secret(1).sign(&unsigned)[..]].concat();
    for (name, requirements, flags, comment, text) in [
        (
            "device-signature-flipped",
            &["R-ED-5", "R-ED-2"][..],
            &[Flag::BadSignature][..],
            "One bit of S flipped.",
            flipped_signature(terminal)?,
        ),
        (
            "signed-by-other-wallet",
            &["R-ED-5"],
            &[Flag::BadSignature],
            "Wallet 1's credential, signed by wallet 2's device key.",
            ed25519_text_signed_by(&device_secret(2), &terminal.credential, STEP, 0),
        ),
        (
            "device-signature-s-plus-l",
            &["R-ED-2", "R-ED-5"],
            &[Flag::NonCanonicalS],
            "The device signature's S replaced by S + L.",
            qr_text(&s_plus_l),
        ),
        (
            "signature-without-domain-separation",
            &["R-ED-5", "R-KEY-3"],
            &[Flag::BadSignature, Flag::DomainSeparation],
            "The device signed payload[0..140] without the DS string.",
            qr_text(&without_ds),
        ),
    ] {
        add(
            file,
            VerifyCase {
                id: &format!("ed25519.verify.{name}"),
                requirements,
                flags,
                comment,
                text,
                amount: AMOUNT,
                verdict: Err(Error::InvalidCode),
                ..VerifyCase::at(&terminal.verifier)
            },
        )?;
    }
    Ok(())
}
