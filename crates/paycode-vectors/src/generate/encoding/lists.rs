//! `encoding-trust-list.json` and `encoding-revocation-list.json`: the two
//! signed or published lists, encoded and decoded. Every defect is `malformed`.

use paycode::Error;
use paycode::issuer::KeyPeriod;
use paycode::revocation::ListHeader;

use super::{BytesDecode, add_bytes_decodes};
use crate::curve;
use crate::errors::VectorError;
use crate::format::{Op, RevocationIssueInput, TrustListEncodeInput, TrustListEntry, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{
    KEY_1, KEY_2, SERIAL, TIME, cut, fresh_list, hex, issuer, issuer_secret, revocation_list as signed_list,
    trust_list as list_of, unhex, with_bytes_at,
};
use crate::generate::flags::Flag;

/// `encoding-trust-list.json`.
pub(super) fn trust_list() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-trust-list",
        "The trust list (spec §4.6): version 0x01, count u16, entries of 50 bytes (key id u16, not_before u64, not_after u64, public key) strictly ascending by key id. Every defect is malformed.",
    );
    let entry = |key: KeyPeriod| TrustListEntry {
        key_id: key.key_id,
        not_before: key.not_before,
        not_after: key.not_after,
        public_key: hex(&issuer().key(key.key_id).public_bytes()),
    };
    file.add(Case {
        id: "trust.encode.one-key",
        requirements: &["R-TRUST-1", "R-ENC-3"],
        flags: &[Flag::Valid],
        comment: "One key.",
        op: Op::TrustListEncode,
        input: TrustListEncodeInput { entries: vec![entry(KEY_1)] },
        intent: Intent::valid(),
    })?;
    file.add(Case {
        id: "trust.encode.two-keys",
        requirements: &["R-TRUST-1", "R-TRUST-2"],
        flags: &[Flag::Valid, Flag::Rotation],
        comment: "Two keys with overlapping validity.",
        op: Op::TrustListEncode,
        input: TrustListEncodeInput { entries: vec![entry(KEY_1), entry(KEY_2)] },
        intent: Intent::valid(),
    })?;
    let two = unhex(&list_of(&[KEY_1, KEY_2])?)?;
    let one = unhex(&list_of(&[KEY_1])?)?;
    let malformed = || Intent::invalid(Error::Malformed);
    let small_order = with_bytes_at(one.clone(), 21, &curve::torsion()[0])?;
    let decodes = [
        BytesDecode {
            name: "two-keys",
            flags: &[Flag::Valid],
            comment: "Two keys decode.",
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
            name: "count-0",
            flags: &[Flag::Length],
            comment: "count = 0.",
            bytes: vec![1, 0, 0],
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
            name: "count-too-large",
            flags: &[Flag::Length],
            comment: "count = 3 with two entries.",
            bytes: with_bytes_at(two.clone(), 2, &[3])?,
            intent: malformed(),
        },
        BytesDecode {
            name: "unsorted",
            flags: &[Flag::Rotation],
            comment: "Key ids 2 then 1.",
            bytes: [cut(&two, 0, 3)?, cut(&two, 53, 103)?, cut(&two, 3, 53)?].concat(),
            intent: malformed(),
        },
        BytesDecode {
            name: "duplicate",
            flags: &[Flag::Rotation],
            comment: "Key id 1 twice.",
            bytes: [cut(&two, 0, 53)?, cut(&two, 3, 53)?].concat(),
            intent: malformed(),
        },
        BytesDecode {
            name: "reversed-validity",
            flags: &[Flag::CredentialValidity],
            comment: "not_before > not_after.",
            bytes: with_bytes_at(
                with_bytes_at(one, 5, &KEY_1.not_after.to_be_bytes())?,
                13,
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
                with_bytes_at(with_bytes_at(small_order, 21, &[0xee])?, 22, &[0xff; 30])?,
                52,
                &[0x7f],
            )?,
            intent: malformed(),
        },
        BytesDecode {
            name: "version-2",
            flags: &[Flag::Version],
            comment: "Version byte 0x02 (malformed, not unsupported-version: the list is not a code).",
            bytes: with_bytes_at(two, 0, &[2])?,
            intent: malformed(),
        },
    ];
    add_bytes_decodes(&mut file, "trust", &["R-TRUST-1", "R-ENC-3"], Op::TrustListDecode, decodes)?;
    Ok(file.finish())
}

/// `encoding-revocation-list.json`.
pub(super) fn revocation_list() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-revocation-list",
        "The revocation list (spec §4.7): version 0x01, key id u16, number u64, issued_at u64, next_update u64, grace u32, count u32, strictly ascending serials, signature over \"paycode/v1/ed25519/revocation\" 00 || preceding bytes. Issuing sorts the serials and drops repeats; decoding checks structure, next_update >= issued_at and grace <= 604800; installation (scenario files) checks the signature.",
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
            name: "version-2",
            flags: &[Flag::Version],
            comment: "Version byte 0x02.",
            bytes: with_bytes_at(three, 0, &[2])?,
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
    Ok(file.finish())
}
