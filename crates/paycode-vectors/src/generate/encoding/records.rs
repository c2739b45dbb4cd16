//! `encoding-credential.json` and `encoding-log-record.json`: fixed-layout
//! records, issued and decoded.

use paycode::credential::CredentialFields;
use paycode::log::LogRecord;
use paycode::{Challenge, Code, Ed25519Wallet, Error, NumericCode, Purpose};

use super::{BytesDecode, add_bytes_decodes};
use crate::errors::{FixtureError, InputError, VectorError};
use crate::format::{BatchIssueInput, CredentialIssueInput, Op, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, STEP, TIME, challenge, cut, device_seed, ed25519_code, ed25519_code_for,
    fixture_error, hex, hmac_code, hmac_code_for, issue, issuer_secret, main_fields, numeric_text,
    seed_bytes, with_bytes_at,
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
        "The 126-byte credential (spec §4.4): key id u16, serial u64, device key, not_before u64, lifetime u32, limits u32 x 2, issuer signature over \"paycode/v3/ed25519/credential\" 00 || bytes 0..62. The issuer refuses a bad credential with bad-credential (spec R-ED-4, §7.1).",
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
            bytes: [&[3u8][..], &bytes[..], &[0u8; 14]].concat(),
            intent: Intent::invalid(Error::Malformed),
        },
    ];
    add_bytes_decodes(&mut file, "credential", &["R-ED-3", "R-ENC-3"], Op::CredentialDecode, decodes)?;
    batches(&mut file)?;
    Ok(file.finish())
}

/// A batch case: name, requirements, flags, comment, input and intent.
type BatchCase<'a> = (&'a str, &'a [&'a str], &'a [Flag], &'a str, BatchIssueInput, Intent);

/// `credential-batch-issue`: one payer's batch (spec §7.1, R-BATCH-2,
/// R-BATCH-3, R-ED-4): the issuer refuses a batch with any bad credential or
/// whose limits break the split, and otherwise signs every credential with
/// the same terms and `not_before` rounded down to the hour.
#[allow(clippy::too_many_lines)]
fn batches(file: &mut FileBuilder) -> Result<(), VectorError> {
    let wallet = device_seed(7);
    let keys: Vec<String> = (0..3u32).map(|i| hex(&Ed25519Wallet::device_public_key(&wallet, i))).collect();
    // Serials as an issuer draws them: independent of one another and of the payer.
    let serials: Vec<u64> = (0..3)
        .map(|i| {
            let mut first = [0u8; 8];
            first.iter_mut().zip(seed_bytes(&format!("batch/serial-{i}"))).for_each(|(f, b)| *f = b);
            u64::from_be_bytes(first)
        })
        .collect();
    // Three credentials of 10000 each split the payer's 30000 exactly.
    let base = BatchIssueInput {
        issuer_seed: hex(&seed_bytes("issuer")),
        key_id: 1,
        not_before: TIME + 1_234,
        lifetime: 86_400,
        per_payment_limit: 5_000,
        cumulative_limit: 10_000,
        payer_limit: 30_000,
        device_keys: keys.clone(),
        serials: serials.clone(),
    };
    let cases: [BatchCase<'_>; 13] = [
        (
            "three-split-exactly",
            &["R-BATCH-2", "R-BATCH-3", "R-KEY-2"],
            &[Flag::Valid, Flag::Batch, Flag::Limit],
            "Three device keys (key indexes 0 to 2 of one wallet seed) and three drawn serials: three credentials, in the order of the keys, signed by issuer key 1 (derived from the issuer seed), each with cumulative limit 10000, which add up to exactly the payer's 30000, and not_before 1800001234 rounded down to the hour, 1800000000.",
            base.clone(),
            Intent::valid(),
        ),
        (
            "one-at-the-payer-limit",
            &["R-BATCH-3"],
            &[Flag::Valid, Flag::Batch, Flag::Limit],
            "One credential whose cumulative limit is the payer's whole limit, and whose per-payment limit equals it: issued.",
            BatchIssueInput {
                per_payment_limit: 30_000,
                cumulative_limit: 30_000,
                device_keys: keys.iter().take(1).cloned().collect(),
                serials: serials.iter().take(1).copied().collect(),
                ..base.clone()
            },
            Intent::valid(),
        ),
        (
            "not-before-on-the-hour",
            &["R-BATCH-2"],
            &[Flag::Valid, Flag::Batch],
            "A not_before already on the hour (1800003600) is kept as it is.",
            BatchIssueInput { not_before: TIME + 3_600, ..base.clone() },
            Intent::valid(),
        ),
        (
            "longest-lifetime",
            &["R-BATCH-2", "R-ED-4"],
            &[Flag::Valid, Flag::Batch, Flag::CredentialValidity],
            "A lifetime of 604800 s, the longest a credential may have: issued.",
            BatchIssueInput { lifetime: 604_800, ..base.clone() },
            Intent::valid(),
        ),
        (
            "refused-empty",
            &["R-BATCH-3"],
            &[Flag::Batch],
            "No device key: there is no batch to issue, and the issuer refuses (bad-credential).",
            BatchIssueInput { device_keys: Vec::new(), serials: Vec::new(), ..base.clone() },
            Intent::invalid(Error::BadCredential),
        ),
        (
            "refused-limits-above-payer-limit",
            &["R-BATCH-3"],
            &[Flag::Batch, Flag::Limit],
            "Three cumulative limits of 10001 add up to 30003, above the payer's 30000: refused (bad-credential), or a batch would spend more at one terminal than the payer may.",
            BatchIssueInput { cumulative_limit: 10_001, ..base.clone() },
            Intent::invalid(Error::BadCredential),
        ),
        (
            "refused-limits-one-above",
            &["R-BATCH-3"],
            &[Flag::Batch, Flag::Limit],
            "Three cumulative limits of 10000 against a payer limit of 29999: refused (bad-credential).",
            BatchIssueInput { payer_limit: 29_999, ..base.clone() },
            Intent::invalid(Error::BadCredential),
        ),
        (
            "refused-payment-above-total",
            &["R-BATCH-3"],
            &[Flag::Batch, Flag::Limit],
            "A per-payment limit of 10001 above the cumulative limit of 10000: refused (bad-credential).",
            BatchIssueInput { per_payment_limit: 10_001, ..base.clone() },
            Intent::invalid(Error::BadCredential),
        ),
        (
            "refused-lifetime-too-long",
            &["R-ED-4", "R-BATCH-3"],
            &[Flag::Batch, Flag::BadCredential],
            "A lifetime of 604801 s: every credential would be bad, so the batch is refused (bad-credential).",
            BatchIssueInput { lifetime: 604_801, ..base.clone() },
            Intent::invalid(Error::BadCredential),
        ),
        (
            "refused-validity-overflows",
            &["R-ED-4"],
            &[Flag::Batch, Flag::BadCredential],
            "not_before 2^64 - 1 rounds down to 18446744073709550400; with a lifetime of 86400 the validity would end after 2^64 - 1: refused (bad-credential).",
            BatchIssueInput { not_before: u64::MAX, ..base.clone() },
            Intent::invalid(Error::BadCredential),
        ),
        (
            "refused-one-device-key-small-order",
            &["R-ED-4", "R-ED-1"],
            &[Flag::Batch, Flag::SmallOrder],
            "The second device key is the identity point (small order): the whole batch is refused (bad-credential), not the other two issued.",
            BatchIssueInput {
                device_keys: keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| if i == 1 { hex(&SMALL_ORDER_IDENTITY) } else { k.clone() })
                    .collect(),
                ..base.clone()
            },
            Intent::invalid(Error::BadCredential),
        ),
        (
            "refused-serial-twice",
            &["R-BATCH-2"],
            &[Flag::Batch],
            "The first serial given twice: two credentials would share a replay identity, so the batch is refused (bad-credential).",
            BatchIssueInput {
                serials: serials.iter().take(2).chain(serials.first()).copied().collect(),
                ..base.clone()
            },
            Intent::invalid(Error::BadCredential),
        ),
        (
            "zero-limits",
            &["R-BATCH-3"],
            &[Flag::Valid, Flag::Batch, Flag::Limit],
            "A payer limit of 0, split as cumulative and per-payment limits of 0: the sums are equal, not above, so the batch is issued (its credentials pay nothing offline).",
            BatchIssueInput { per_payment_limit: 0, cumulative_limit: 0, payer_limit: 0, ..base },
            Intent::valid(),
        ),
    ];
    for (name, requirements, flags, comment, input, intent) in cases {
        file.add(Case {
            id: &format!("credential.batch-issue.{name}"),
            requirements,
            flags,
            comment,
            op: Op::CredentialBatchIssue,
            input,
            intent,
        })?;
    }
    Ok(())
}

/// The ids of the 44-byte record's cases, whose layout §4.8 replaced.
const RETIRED_44: &[&str] = &[
    "log.encode.ed25519",
    "log.encode.hmac",
    "log.encode.max",
    "log.decode.two-records",
    "log.decode.empty",
    "log.decode.truncated",
    "log.decode.trailing-byte",
    "log.decode.old-layout-46",
    "log.decode.version-2",
    "log.decode.profile-0",
    "log.decode.profile-3",
    "log.decode.hmac-key-id",
    "log.decode.hmac-amount",
];

/// One record of each kind (spec §4.8), from the fixture wallets: hmac
/// account 42 and ed25519 serial 1001 at terminal 7.
pub(crate) fn records_of_every_kind() -> Result<Vec<(&'static str, LogRecord)>, VectorError> {
    let p = DEFAULT_PARAMS;
    let ch = challenge(7, 250, TIME, "log-record");
    let cred = issue(main_fields());
    let rec = |code: Code, amount: u64, ch: Option<&Challenge>| {
        let step = match &code {
            Code::Hmac(c) => c.step(),
            Code::Ed25519(c) => c.step(),
            Code::Numeric(_) => STEP,
        };
        LogRecord::new(&code, step, TIME, amount, 7, ch).map_err(|e| fixture_error(InputError::Payload(e)))
    };
    let numeric = NumericCode::parse(&numeric_text(&p, ACCOUNT, STEP, 6)?)
        .map_err(|e| fixture_error(InputError::Payload(e)))?;
    Ok(vec![
        ("hmac-one-way", rec(Code::Hmac(hmac_code(&p, ACCOUNT, STEP, 3)?), 250, None)?),
        (
            "hmac-capped",
            rec(Code::Hmac(hmac_code_for(&p, ACCOUNT, STEP, 4, Purpose::Capped(500))?), 250, None)?,
        ),
        (
            "hmac-challenge",
            rec(Code::Hmac(hmac_code_for(&p, ACCOUNT, STEP, 5, Purpose::Challenge(&ch))?), 250, Some(&ch))?,
        ),
        ("hmac-numeric", rec(Code::Numeric(numeric), 250, None)?),
        ("ed25519-one-way", rec(Code::Ed25519(Box::new(ed25519_code(&p, 1, cred, STEP, 3)?)), 1250, None)?),
        (
            "ed25519-capped",
            rec(
                Code::Ed25519(Box::new(ed25519_code_for(&p, 1, cred, STEP, 4, Purpose::Capped(2000))?)),
                1250,
                None,
            )?,
        ),
        (
            "ed25519-challenge",
            rec(
                Code::Ed25519(Box::new(ed25519_code_for(&p, 1, cred, STEP, 5, Purpose::Challenge(&ch))?)),
                250,
                Some(&ch),
            )?,
        ),
    ])
}

/// `encoding-log-record.json`: records encoded, and logs decoded.
pub(super) fn log_record() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-log-record",
        "The acceptance log record (spec §4.8): version, kind (the code's mode and profile byte, or 0x81 for a numeric code), accepted_at u64, amount u64, terminal id u32, step u64, evidence (the code's payload, or N of a numeric code as 10 bytes), and for a challenge code the 37-byte challenge. Lengths by kind: 0x01 68, 0x11 72, 0x21 105, 0x81 40, 0x02 234, 0x12 238, 0x22 271. A log is records back to back. A decoder rejects a record whose evidence does not decode as a code of its kind, or whose step is not the evidence's.",
    );
    for id in RETIRED_44 {
        file.retire(
            id,
            "the 44-byte record of an earlier layout; records now carry their evidence (spec §4.8)",
        );
    }
    let records = records_of_every_kind()?;
    for (name, record) in &records {
        file.add(Case {
            id: &format!("log-record.encode.{name}"),
            requirements: &["R-LOG-1", "R-ENC-3"],
            flags: &[Flag::Valid, Flag::LogRecord],
            comment: &format!("A record of kind {:#04x}: {} bytes.", record.kind(), record.encode().len()),
            op: Op::LogRecordEncode,
            input: record.clone(),
            intent: Intent::valid(),
        })?;
    }
    let by = |name: &str| {
        records
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| r.encode())
            .ok_or(VectorError::Fixture(FixtureError::NotFound("a record kind")))
    };
    let one_way = by("hmac-one-way")?;
    let answered = by("hmac-challenge")?;
    let numeric = by("hmac-numeric")?;
    let signed = by("ed25519-one-way")?;
    let every: Vec<u8> = records.iter().flat_map(|(_, r)| r.encode()).collect();
    let mut decodes = vec![
        BytesDecode {
            name: "every-kind",
            flags: &[Flag::Valid],
            comment: "One record of each kind back to back; each record's length follows from its kind.",
            bytes: every,
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
            name: "ends-inside-a-record",
            flags: &[Flag::Length],
            comment: "An ed25519 one-way record without its last byte: the log ends inside a record.",
            bytes: cut(&signed, 0, signed.len() - 1)?,
            intent: Intent::invalid(Error::Malformed),
        },
        BytesDecode {
            name: "trailing-byte",
            flags: &[Flag::Length],
            comment: "An hmac record and one more byte.",
            bytes: [&one_way[..], &[1]].concat(),
            intent: Intent::invalid(Error::Malformed),
        },
        BytesDecode {
            name: "old-44-byte-record",
            flags: &[Flag::Length, Flag::LogRecord],
            comment: "A 44-byte record of the earlier layout (profile 0x02, key id 1): kind 0x02 needs 234 bytes.",
            bytes: [&[3u8, 2, 0, 1][..], &[0u8; 40][..]].concat(),
            intent: Intent::invalid(Error::Malformed),
        },
        BytesDecode {
            name: "challenge-without-challenge",
            flags: &[Flag::Length, Flag::LogRecord],
            comment: "A challenge record (kind 0x21) cut after its evidence: 68 bytes, its kind needs 105.",
            bytes: cut(&answered, 0, 68)?,
            intent: Intent::invalid(Error::Malformed),
        },
    ];
    for (name, at, value, flags, comment) in [
        ("version-1", 0usize, 1u8, &[Flag::Version][..], "Version byte 0x01, of the retired v1."),
        ("kind-0x03", 1, 3, &[Flag::Profile], "Kind 0x03: no such kind."),
        ("kind-0x31", 1, 0x31, &[Flag::Profile], "Kind 0x31: no mode 3."),
        (
            "kind-0x21-one-way-evidence",
            1,
            0x21,
            &[Flag::LogRecord],
            "Kind 0x21 (105 bytes) over a one-way record padded to 105: the evidence's byte 1 is 0x01, not the kind.",
        ),
    ] {
        let base = if name == "kind-0x21-one-way-evidence" {
            [&one_way[..], &[0u8; 37][..]].concat()
        } else {
            one_way.clone()
        };
        decodes.push(BytesDecode {
            name,
            flags,
            comment,
            bytes: with_bytes_at(base, at, &[value])?,
            intent: Intent::invalid(Error::Malformed),
        });
    }
    let step_at = 29usize;
    let last = |r: &[u8]| r.get(step_at).copied().unwrap_or_default();
    for (name, base, at, value, comment) in [
        (
            "step-not-the-evidences",
            one_way.clone(),
            step_at,
            last(&one_way) ^ 1,
            "The record's step is one above or below the code's step in the evidence.",
        ),
        (
            "evidence-version-1",
            one_way.clone(),
            30,
            1,
            "The evidence's version byte is 0x01, of the retired v1: it does not decode as a code of this version.",
        ),
        (
            "evidence-other-kind",
            one_way.clone(),
            31,
            0x11,
            "The evidence's byte 1 is 0x11 (capped) in a record of kind 0x01.",
        ),
        (
            "numeric-step-field",
            numeric.clone(),
            step_at,
            last(&numeric) ^ 1,
            "A numeric record whose step mod 16 is not the step field of N.",
        ),
        ("numeric-too-large", numeric.clone(), 30, 0x80, "A numeric record whose N is 2^79 or more."),
        (
            "challenge-version-1",
            answered.clone(),
            68,
            1,
            "A challenge record whose challenge has version byte 0x01, of the retired v1.",
        ),
        (
            "ed25519-evidence-hmac",
            signed.clone(),
            31,
            0x01,
            "An ed25519 record (kind 0x02) whose evidence's byte 1 is 0x01.",
        ),
    ] {
        decodes.push(BytesDecode {
            name,
            flags: &[Flag::LogRecord],
            comment,
            bytes: [&one_way[..], &with_bytes_at(base, at, &[value])?[..]].concat(),
            intent: Intent::invalid(Error::Malformed),
        });
    }
    add_bytes_decodes(&mut file, "log-record", &["R-LOG-1", "R-LOG-2", "R-ENC-3"], Op::LogDecode, decodes)?;
    for id in [
        "log-record.decode.version-2",
        "log-record.decode.evidence-version-2",
        "log-record.decode.challenge-version-2",
    ] {
        file.retire(id, crate::generate::VERSION_2_RETIRED);
    }
    Ok(file.finish())
}
