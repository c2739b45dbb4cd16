//! `encoding-credential.json` and `encoding-log-record.json`: fixed-layout
//! records, issued and decoded.

use paycode::credential::CredentialFields;
use paycode::log::LogRecord;
use paycode::{Error, Profile};

use super::{BytesDecode, add_bytes_decodes};
use crate::errors::VectorError;
use crate::format::{CredentialIssueInput, Op, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{
    ACCOUNT, SERIAL, STEP, TIME, cut, hex, issue, issuer_secret, main_fields, with_bytes_at,
};
use crate::generate::flags::Flag;

/// The encoding of the identity point, of order 1: never a valid device key (spec R-ED-1).
const SMALL_ORDER_IDENTITY: [u8; 32] = {
    let mut point = [0u8; 32];
    point[0] = 1;
    point
};

/// `encoding-credential.json`: credentials issued by key, and decoded.
pub(super) fn credential() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-credential",
        "The 126-byte credential (spec §4.4): key id u16, serial u64, device key, not_before u64, lifetime u32, limits u32 x 2, issuer signature over \"paycode/v1/ed25519/credential\" 00 || bytes 0..62. The issuer refuses a bad credential with bad-credential (spec R-ED-4, §7.1).",
    );
    let main = main_fields();
    for (name, fields, comment) in [
        ("main", main, "The credential most verification vectors use."),
        ("key-2", CredentialFields { key_id: 2, serial: 2002, ..main }, "Signed by issuer key 2."),
        (
            "max-fields",
            CredentialFields {
                key_id: u16::MAX,
                serial: u64::MAX,
                not_before: u64::MAX - 604_800,
                lifetime: 604_800,
                per_payment_limit: u32::MAX,
                cumulative_limit: u32::MAX,
                ..main
            },
            "Every integer at its maximum that still gives a consistent credential.",
        ),
    ] {
        file.add(Case {
            id: &format!("credential.issue.{name}"),
            requirements: &["R-ED-3", "R-KEY-3", "R-ENC-3"],
            flags: &[Flag::Valid, Flag::DomainSeparation],
            comment,
            op: Op::CredentialIssue,
            input: CredentialIssueInput {
                issuer_secret: hex(&issuer_secret(fields.key_id)),
                key_id: fields.key_id,
                serial: fields.serial,
                device_key: hex(&fields.device_key),
                not_before: fields.not_before,
                lifetime: fields.lifetime,
                per_payment_limit: fields.per_payment_limit,
                cumulative_limit: fields.cumulative_limit,
            },
            intent: Intent::valid(),
        })?;
    }
    for (name, fields, comment) in [
        (
            "refused-lifetime-too-long",
            CredentialFields { lifetime: 604_801, ..main },
            "A lifetime of 604801 s, one second above 7 days: the issuer refuses (bad-credential) and signs nothing.",
        ),
        (
            "refused-validity-overflows",
            CredentialFields { not_before: u64::MAX - 99, lifetime: 100, ..main },
            "not_before + lifetime = 2^64: not_after does not exist, so the issuer refuses (bad-credential).",
        ),
        (
            "refused-device-key-small-order",
            CredentialFields { device_key: SMALL_ORDER_IDENTITY, ..main },
            "The device key is the identity point (order 1), not a valid point (R-ED-1): the issuer refuses (bad-credential).",
        ),
    ] {
        file.add(Case {
            id: &format!("credential.issue.{name}"),
            requirements: if name.contains("device-key") { &["R-ED-4", "R-ED-1"] } else { &["R-ED-4"] },
            flags: &[Flag::BadCredential],
            comment,
            op: Op::CredentialIssue,
            input: CredentialIssueInput {
                issuer_secret: hex(&issuer_secret(fields.key_id)),
                key_id: fields.key_id,
                serial: fields.serial,
                device_key: hex(&fields.device_key),
                not_before: fields.not_before,
                lifetime: fields.lifetime,
                per_payment_limit: fields.per_payment_limit,
                cumulative_limit: fields.cumulative_limit,
            },
            intent: Intent::invalid(Error::BadCredential),
        })?;
    }
    let bytes = issue(main).as_bytes().to_vec();
    let decodes = [
        BytesDecode {
            name: "valid",
            flags: &[Flag::Valid],
            comment: "The main credential decodes (its signature is checked at verification, E2).",
            bytes: bytes.clone(),
            intent: Intent::valid(),
        },
        BytesDecode {
            name: "truncated",
            flags: &[Flag::Length],
            comment: "125 bytes.",
            bytes: cut(&bytes, 0, 125)?,
            intent: Intent::invalid(Error::Malformed),
        },
        BytesDecode {
            name: "extended",
            flags: &[Flag::Length],
            comment: "127 bytes.",
            bytes: [&bytes[..], &[0]].concat(),
            intent: Intent::invalid(Error::Malformed),
        },
        BytesDecode {
            name: "old-layout-141",
            flags: &[Flag::Length, Flag::Version],
            comment: "141 bytes: a credential with a version byte and 64-bit limits, which v1 does not have.",
            bytes: [&[1u8][..], &bytes[..], &[0u8; 14]].concat(),
            intent: Intent::invalid(Error::Malformed),
        },
    ];
    add_bytes_decodes(&mut file, "credential", &["R-ED-3", "R-ENC-3"], Op::CredentialDecode, decodes)?;
    Ok(file.finish())
}

/// `encoding-log-record.json`: records encoded, and logs decoded.
pub(super) fn log_record() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-log-record",
        "The 44-byte acceptance log record (spec §4.8): version, profile, key id u16, subject u64, counter u32, step u64, accepted_at u64, amount u64, terminal id u32; an hmac record has key id 0 and amount 0. A log is records back to back.",
    );
    let ed25519 = LogRecord {
        profile: Profile::Ed25519,
        key_id: 1,
        subject: SERIAL,
        counter: 3,
        step: STEP,
        accepted_at: TIME,
        amount: 1250,
        terminal_id: 7,
    };
    let hmac = LogRecord {
        profile: Profile::Hmac,
        key_id: 0,
        subject: ACCOUNT,
        counter: 7,
        step: STEP,
        accepted_at: TIME,
        amount: 0,
        terminal_id: 1,
    };
    let max = LogRecord {
        profile: Profile::Ed25519,
        key_id: u16::MAX,
        subject: u64::MAX,
        counter: u32::MAX,
        step: u64::MAX,
        accepted_at: u64::MAX,
        amount: u64::MAX,
        terminal_id: u32::MAX,
    };
    for (name, record, comment) in [
        ("ed25519", ed25519, "An ed25519 acceptance."),
        ("hmac", hmac, "An hmac acceptance: key id and amount 0."),
        ("max", max, "Every field at its maximum."),
    ] {
        file.add(Case {
            id: &format!("log.encode.{name}"),
            requirements: &["R-LOG-1", "R-ENC-3"],
            flags: &[Flag::Valid, Flag::LogRecord],
            comment,
            op: Op::LogRecordEncode,
            input: record,
            intent: Intent::valid(),
        })?;
    }
    let (a, b) = (ed25519.encode().to_vec(), hmac.encode().to_vec());
    let mut decodes = vec![
        BytesDecode {
            name: "two-records",
            flags: &[Flag::Valid],
            comment: "Two records back to back.",
            bytes: [&a[..], &b[..]].concat(),
            intent: Intent::valid(),
        },
        BytesDecode {
            name: "empty",
            flags: &[Flag::Valid],
            comment: "An empty log has no records.",
            bytes: Vec::new(),
            intent: Intent::valid(),
        },
        BytesDecode {
            name: "truncated",
            flags: &[Flag::Length],
            comment: "43 bytes.",
            bytes: cut(&a, 0, 43)?,
            intent: Intent::invalid(Error::Malformed),
        },
        BytesDecode {
            name: "trailing-byte",
            flags: &[Flag::Length],
            comment: "45 bytes.",
            bytes: [&a[..], &[0]].concat(),
            intent: Intent::invalid(Error::Malformed),
        },
        BytesDecode {
            name: "old-layout-46",
            flags: &[Flag::Length],
            comment: "46 bytes: a record with 32-bit key ids, which v1 does not have.",
            bytes: [&a[..], &[0, 0]].concat(),
            intent: Intent::invalid(Error::Malformed),
        },
    ];
    for (name, at, value, flags, comment) in [
        ("version-2", 0usize, 2u8, &[Flag::Version][..], "Version byte 0x02."),
        ("profile-0", 1, 0, &[Flag::Profile], "Profile byte 0x00."),
        ("profile-3", 1, 3, &[Flag::Profile], "Profile byte 0x03."),
    ] {
        let bad = with_bytes_at(a.clone(), at, &[value])?;
        decodes.push(BytesDecode {
            name,
            flags,
            comment,
            bytes: [&b[..], &bad[..]].concat(),
            intent: Intent::invalid(Error::Malformed),
        });
    }
    for (name, at, comment) in [
        ("hmac-key-id", 3usize, "An hmac record whose key id is 1: hmac records have key id 0 (spec §4.8)."),
        ("hmac-amount", 39, "An hmac record whose amount is 1: hmac records have amount 0 (spec §4.8)."),
    ] {
        decodes.push(BytesDecode {
            name,
            flags: &[Flag::LogRecord],
            comment,
            bytes: [&a[..], &with_bytes_at(b.clone(), at, &[1])?[..]].concat(),
            intent: Intent::invalid(Error::Malformed),
        });
    }
    add_bytes_decodes(&mut file, "log", &["R-LOG-2", "R-ENC-3"], Op::LogDecode, decodes)?;
    Ok(file.finish())
}
