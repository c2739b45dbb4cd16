//! `encoding-trust-list.json` and `encoding-revocation-list.json`: the two
//! signed or published lists, encoded and decoded. Every defect is `malformed`.

use paycode::Error;
use paycode::issuer::KeyPeriod;
use paycode::revocation::ListHeader;
use paycode::trust::TrustHeader;

use super::{BytesDecode, add_bytes_decodes};
use crate::curve;
use crate::errors::VectorError;
use crate::format::{Op, RevocationIssueInput, TrustListEncodeInput, TrustListEntry, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{
    KEY_1, KEY_2, SERIAL, TIME, TRUST_ISSUED_AT, cut, fresh_list, hex, issuer, issuer_secret,
    revocation_list as signed_list, root_secret, trust_list as list_of, trust_list_at, unhex, with_bytes_at,
};
use crate::generate::flags::Flag;

/// The ids of the unsigned trust list of before (3 + 50·count bytes).
const RETIRED_TRUST: [&str; 14] = [
    "trust.encode.one-key",
    "trust.encode.two-keys",
    "trust.decode.two-keys",
    "trust.decode.empty-validity",
    "trust.decode.count-0",
    "trust.decode.truncated",
    "trust.decode.trailing-byte",
    "trust.decode.count-too-large",
    "trust.decode.unsorted",
    "trust.decode.duplicate",
    "trust.decode.reversed-validity",
    "trust.decode.small-order-key",
    "trust.decode.non-canonical-key",
    "trust.decode.version-2",
];

/// Offset of the first entry: version, sequence, issued_at, count.
const ENTRIES: usize = 19;
/// Length of an entry.
const ENTRY: usize = 50;

/// `encoding-trust-list.json`.
pub(super) fn trust_list() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-trust-list",
        "The trust list (spec §4.6): version 0x03, sequence u64, issued_at u64, count u16, entries of 50 bytes (key id u16, not_before u64, not_after u64, public key) strictly ascending by key id, and the root signature (64 bytes) over DS_trust and every byte before it: 83 + 50·count bytes. Every defect is malformed; decoding does not check the signature, installing does (scenarios-rotation.json).",
    );
    for id in RETIRED_TRUST {
        file.retire(id, "the unsigned trust list of 3 + 50·count bytes: the list now carries a sequence number, an issue time and the root signature (spec §4.6, R-TRUST-3)");
    }
    let entry = |key: KeyPeriod| TrustListEntry {
        key_id: key.key_id,
        not_before: key.not_before,
        not_after: key.not_after,
        public_key: hex(&issuer().key(key.key_id).public_bytes()),
    };
    let encode = |entries| TrustListEncodeInput {
        root_secret: hex(&root_secret()),
        sequence: 1,
        issued_at: TRUST_ISSUED_AT,
        entries,
    };
    file.add(Case {
        id: "trust-list.encode.one-key",
        requirements: &["R-TRUST-1", "R-TRUST-3", "R-ENC-3"],
        flags: &[Flag::Valid],
        comment: "One key, list 1, signed by the root key.",
        op: Op::TrustListEncode,
        input: encode(vec![entry(KEY_1)]),
        intent: Intent::valid(),
    })?;
    file.add(Case {
        id: "trust-list.encode.two-keys",
        requirements: &["R-TRUST-1", "R-TRUST-2", "R-TRUST-3"],
        flags: &[Flag::Valid, Flag::Rotation],
        comment: "Two keys with overlapping validity.",
        op: Op::TrustListEncode,
        input: encode(vec![entry(KEY_1), entry(KEY_2)]),
        intent: Intent::valid(),
    })?;
    let two = unhex(&list_of(&[KEY_1, KEY_2])?)?;
    let one = unhex(&list_of(&[KEY_1])?)?;
    let signature = two.len() - 64;
    let malformed = || Intent::invalid(Error::Malformed);
    let key_at = ENTRIES + 18;
    let small_order = with_bytes_at(one.clone(), key_at, &curve::torsion()[0])?;
    let far_ahead = TrustHeader { sequence: u64::MAX, issued_at: TRUST_ISSUED_AT };
    let decodes = [
        BytesDecode {
            name: "two-keys",
            flags: &[Flag::Valid],
            comment: "Two keys decode, with the sequence number and issue time.",
            bytes: two.clone(),
            intent: Intent::valid(),
        },
        BytesDecode {
            name: "empty-validity",
            flags: &[Flag::Valid],
            comment: "not_before = not_after: a one-second key is allowed.",
            bytes: unhex(&list_of(&[KeyPeriod { key_id: 5, not_before: TIME, not_after: TIME }])?)?,
            intent: Intent::valid(),
        },
        BytesDecode {
            name: "sequence-max",
            flags: &[Flag::Valid],
            comment: "Sequence 2^64 - 1 decodes: only installing compares it with the installed list (R-TRUST-4).",
            bytes: unhex(&trust_list_at(far_ahead, &[KEY_1])?)?,
            intent: Intent::valid(),
        },
        BytesDecode {
            name: "count-0",
            flags: &[Flag::Length],
            comment: "count = 0, with a signature: 83 bytes.",
            bytes: [cut(&one, 0, 17)?, vec![0, 0], cut(&one, one.len() - 64, one.len())?].concat(),
            intent: malformed(),
        },
        BytesDecode {
            name: "truncated",
            flags: &[Flag::Length],
            comment: "One byte short.",
            bytes: cut(&two, 0, two.len() - 1)?,
            intent: malformed(),
        },
        BytesDecode {
            name: "trailing-byte",
            flags: &[Flag::Length],
            comment: "One byte too many.",
            bytes: [&two[..], &[0]].concat(),
            intent: malformed(),
        },
        BytesDecode {
            name: "unsigned",
            flags: &[Flag::Length],
            comment: "The list without its root signature: 19 + 50·count bytes.",
            bytes: cut(&two, 0, signature)?,
            intent: malformed(),
        },
        BytesDecode {
            name: "header-only",
            flags: &[Flag::Length],
            comment: "The 19-byte header alone, count = 2.",
            bytes: cut(&two, 0, ENTRIES)?,
            intent: malformed(),
        },
        BytesDecode {
            name: "count-too-large",
            flags: &[Flag::Length],
            comment: "count = 3 with two entries.",
            bytes: with_bytes_at(two.clone(), 18, &[3])?,
            intent: malformed(),
        },
        BytesDecode {
            name: "count-too-small",
            flags: &[Flag::Length],
            comment: "count = 1 with two entries.",
            bytes: with_bytes_at(two.clone(), 18, &[1])?,
            intent: malformed(),
        },
        BytesDecode {
            name: "unsorted",
            flags: &[Flag::Rotation],
            comment: "Key ids 2 then 1.",
            bytes: [
                cut(&two, 0, ENTRIES)?,
                cut(&two, ENTRIES + ENTRY, signature)?,
                cut(&two, ENTRIES, ENTRIES + ENTRY)?,
                cut(&two, signature, two.len())?,
            ]
            .concat(),
            intent: malformed(),
        },
        BytesDecode {
            name: "duplicate",
            flags: &[Flag::Rotation],
            comment: "Key id 1 twice.",
            bytes: [
                cut(&two, 0, ENTRIES + ENTRY)?,
                cut(&two, ENTRIES, ENTRIES + ENTRY)?,
                cut(&two, signature, two.len())?,
            ]
            .concat(),
            intent: malformed(),
        },
        BytesDecode {
            name: "reversed-validity",
            flags: &[Flag::CredentialValidity],
            comment: "not_before > not_after.",
            bytes: with_bytes_at(
                with_bytes_at(one, ENTRIES + 2, &KEY_1.not_after.to_be_bytes())?,
                ENTRIES + 10,
                &KEY_1.not_before.to_be_bytes(),
            )?,
            intent: malformed(),
        },
        BytesDecode {
            name: "small-order-key",
            flags: &[Flag::SmallOrder],
            comment: "The identity point as a key.",
            bytes: small_order.clone(),
            intent: malformed(),
        },
        BytesDecode {
            name: "non-canonical-key",
            flags: &[Flag::NonCanonicalPoint],
            comment: "A key encoded with y = p + 1.",
            bytes: with_bytes_at(
                with_bytes_at(with_bytes_at(small_order, key_at, &[0xee])?, key_at + 1, &[0xff; 30])?,
                key_at + 31,
                &[0x7f],
            )?,
            intent: malformed(),
        },
        BytesDecode {
            name: "version-1",
            flags: &[Flag::Version],
            comment: "Version byte 0x01, of the retired v1 (malformed, not unsupported-version: the list is not a code).",
            bytes: with_bytes_at(two, 0, &[1])?,
            intent: malformed(),
        },
    ];
    add_bytes_decodes(&mut file, "trust-list", &["R-TRUST-1", "R-ENC-3"], Op::TrustListDecode, decodes)?;
    file.retire("trust-list.decode.version-2", crate::generate::VERSION_2_RETIRED);
    Ok(file.finish())
}

/// `encoding-revocation-list.json`.
pub(super) fn revocation_list() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-revocation-list",
        "The revocation list (spec §4.7): version 0x03, key id u16, number u64, issued_at u64, next_update u64, grace u32, count u32, strictly ascending serials, signature over \"paycode/v3/ed25519/revocation\" 00 || preceding bytes. Issuing sorts the serials and drops repeats; decoding checks structure, next_update >= issued_at and grace <= 604800; installation (scenario files) checks the signature.",
    );
    for (name, number, serials, comment) in [
        ("empty", 1u64, vec![], "No serials: a list that clears every revocation."),
        ("one", 2, vec![SERIAL], "One serial."),
        ("three", 3, vec![5, SERIAL, u64::MAX], "Three serials, the largest 2^64 - 1."),
    ] {
        file.add(Case {
            id: &format!("revocation.issue.{name}"),
            requirements: &["R-REVOKE-1", "R-KEY-3", "R-ENC-3"],
            flags: &[Flag::Valid, Flag::DomainSeparation],
            comment,
            op: Op::RevocationListIssue,
            input: RevocationIssueInput {
                issuer_secret: hex(&issuer_secret(1)),
                key_id: 1,
                number,
                issued_at: TIME,
                next_update: TIME + 86_400,
                grace: 86_400,
                serials,
            },
            intent: Intent::valid(),
        })?;
    }
    file.add(Case {
        id: "revocation.issue.unsorted-duplicates",
        requirements: &["R-REVOKE-1"],
        flags: &[Flag::Revocation],
        comment: "Serials 2^64 - 1, 1001, 5, 1001: the issuer sorts them and drops the repeat, and signs the same list as revocation.issue.three (count 3, serials 5, 1001, 2^64 - 1).",
        op: Op::RevocationListIssue,
        input: RevocationIssueInput {
            issuer_secret: hex(&issuer_secret(1)),
            key_id: 1,
            number: 3,
            issued_at: TIME,
            next_update: TIME + 86_400,
            grace: 86_400,
            serials: vec![u64::MAX, SERIAL, 5, SERIAL],
        },
        intent: Intent::valid().with("bytes", signed_list(1, 3, TIME, vec![5, SERIAL, u64::MAX])),
    })?;
    // The issuer's own checks of the header (R-REVOKE-1): the edges it signs
    // and the first values past them, which it refuses.
    for (name, comment, next_update, grace, intent) in [
        (
            "longest-grace",
            "grace 604800, the longest allowed, and next_update = issued_at: the issuer signs it.",
            TIME,
            604_800,
            Intent::valid(),
        ),
        (
            "grace-too-long",
            "grace 604801, one second over the longest: the issuer refuses, malformed.",
            TIME + 86_400,
            604_801,
            Intent::invalid(Error::Malformed),
        ),
        (
            "next-update-before-issue",
            "next_update = issued_at - 1: the issuer refuses, malformed.",
            TIME - 1,
            86_400,
            Intent::invalid(Error::Malformed),
        ),
    ] {
        file.add(Case {
            id: &format!("revocation.issue.{name}"),
            requirements: &["R-REVOKE-1"],
            flags: &[Flag::Revocation],
            comment,
            op: Op::RevocationListIssue,
            input: RevocationIssueInput {
                issuer_secret: hex(&issuer_secret(1)),
                key_id: 1,
                number: 4,
                issued_at: TIME,
                next_update,
                grace,
                serials: vec![5],
            },
            intent,
        })?;
    }
    let three = unhex(&signed_list(1, 3, TIME, vec![5, SERIAL, u64::MAX]))?;
    let malformed = || Intent::invalid(Error::Malformed);
    let decodes = [
        BytesDecode {
            name: "three",
            flags: &[Flag::Valid],
            comment: "Three serials decode.",
            bytes: three.clone(),
            intent: Intent::valid(),
        },
        BytesDecode {
            name: "empty",
            flags: &[Flag::Valid],
            comment: "Zero serials decode.",
            bytes: unhex(&signed_list(1, 1, TIME, vec![]))?,
            intent: Intent::valid(),
        },
        BytesDecode {
            name: "unsorted",
            flags: &[Flag::Revocation],
            comment: "Serials 1001 then 5.",
            bytes: with_bytes_at(
                with_bytes_at(three.clone(), 35, &SERIAL.to_be_bytes())?,
                43,
                &5u64.to_be_bytes(),
            )?,
            intent: malformed(),
        },
        BytesDecode {
            name: "duplicate",
            flags: &[Flag::Revocation],
            comment: "Serial 5 twice.",
            bytes: with_bytes_at(three.clone(), 43, &5u64.to_be_bytes())?,
            intent: malformed(),
        },
        BytesDecode {
            name: "truncated",
            flags: &[Flag::Length],
            comment: "One byte short.",
            bytes: cut(&three, 0, three.len() - 1)?,
            intent: malformed(),
        },
        BytesDecode {
            name: "trailing-byte",
            flags: &[Flag::Length],
            comment: "One byte too many.",
            bytes: [&three[..], &[0]].concat(),
            intent: malformed(),
        },
        BytesDecode {
            name: "count-max",
            flags: &[Flag::Length, Flag::U64Extreme],
            comment: "count = 2^32 - 1 with three serials: the length check must not overflow.",
            bytes: with_bytes_at(three.clone(), 31, &u32::MAX.to_be_bytes())?,
            intent: malformed(),
        },
        BytesDecode {
            name: "header-35-only",
            flags: &[Flag::Length],
            comment: "The 35-byte header alone.",
            bytes: cut(&three, 0, 35)?,
            intent: malformed(),
        },
        BytesDecode {
            name: "next-update-before-issue",
            flags: &[Flag::Revocation],
            comment: "next_update one second before issued_at (R-REVOKE-1).",
            bytes: unhex(&fresh_list(
                ListHeader { key_id: 1, number: 1, issued_at: TIME, next_update: TIME - 1, grace: 0 },
                vec![],
            ))?,
            intent: malformed(),
        },
        BytesDecode {
            name: "next-update-at-issue",
            flags: &[Flag::Valid],
            comment: "next_update = issued_at, grace 604800: the edges decode.",
            bytes: unhex(&fresh_list(
                ListHeader { key_id: 1, number: 1, issued_at: TIME, next_update: TIME, grace: 604_800 },
                vec![],
            ))?,
            intent: Intent::valid(),
        },
        BytesDecode {
            name: "grace-too-long",
            flags: &[Flag::Revocation],
            comment: "grace 604801 s, one second above 7 days (R-REVOKE-1).",
            bytes: unhex(&fresh_list(
                ListHeader { key_id: 1, number: 1, issued_at: TIME, next_update: TIME, grace: 604_801 },
                vec![],
            ))?,
            intent: malformed(),
        },
        BytesDecode {
            name: "version-1",
            flags: &[Flag::Version],
            comment: "Version byte 0x01, of the retired v1.",
            bytes: with_bytes_at(three, 0, &[1])?,
            intent: malformed(),
        },
    ];
    add_bytes_decodes(
        &mut file,
        "revocation",
        &["R-REVOKE-1", "R-ENC-3"],
        Op::RevocationListDecode,
        decodes,
    )?;
    file.retire(
        "revocation.decode.header-only",
        "the header grew to 35 bytes with next_update and grace (spec §4.7); see revocation.decode.header-35-only",
    );
    file.retire("revocation.decode.version-2", crate::generate::VERSION_2_RETIRED);
    Ok(file.finish())
}
