//! `encoding-hmac-payload.json` and `encoding-ed25519-payload.json`: the code
//! payloads, their QR texts, and every way a text can fail to be the
//! canonical encoding of a v1 payload.

use paycode::Error;
use paycode::code::HmacCode;

use super::{Decode, add_decode};
use crate::errors::VectorError;
use crate::format::{Ed25519CodeEncodeInput, HmacCodeEncodeInput, Op, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, STEP, cut, ed25519_code, hex, hmac_code, issue, main_fields, qr_text,
    with_bytes_at,
};
use crate::generate::flags::Flag;

/// A text that does not decode, and the error it gives.
struct Reject<'a> {
    name: &'a str,
    requirements: &'a [&'a str],
    flags: &'a [Flag],
    comment: &'a str,
    text: String,
    error: Error,
}

fn add_rejects(file: &mut FileBuilder, area: &str, rejects: Vec<Reject<'_>>) -> Result<(), VectorError> {
    for reject in rejects {
        add_decode(
            file,
            Decode {
                id: &format!("{area}.decode.{}", reject.name),
                requirements: reject.requirements,
                flags: reject.flags,
                comment: reject.comment,
                text: reject.text,
                intent: Intent::invalid(reject.error),
            },
        )?;
    }
    Ok(())
}

/// `encoding-hmac-payload.json`.
pub(super) fn hmac_payload() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-hmac-payload",
        "The 38-byte hmac payload and its QR text (spec §4.2, §5.1): encoding, decoding, and every way a text can fail to be the canonical encoding of a v1 payload.",
    );
    for (name, handle, step, masked_counter, tag, comment) in [
        ("basic", ACCOUNT.to_be_bytes(), STEP, 7u32, [0x5a; 16], "An ordinary payload."),
        ("zeros", [0; 8], 0, 0, [0; 16], "Every field zero."),
        ("max", [0xff; 8], u64::MAX, u32::MAX, [0xff; 16], "Every field at its maximum."),
    ] {
        file.add(Case {
            id: &format!("hmac.encode.{name}"),
            requirements: &["R-ENC-1", "R-ENC-3", "R-HANDLE-2"],
            flags: &[Flag::Valid],
            comment,
            op: Op::HmacCodeEncode,
            input: HmacCodeEncodeInput {
                mode: crate::format::ModeName::OneWay,
                cap: None,
                handle: hex(&handle),
                step,
                masked_counter,
                tag: hex(&tag),
            },
            intent: Intent::valid(),
        })?;
    }
    let code = hmac_code(&DEFAULT_PARAMS, ACCOUNT, STEP, 7)?;
    let payload = code.encode().to_vec();
    let text = code.to_qr_text();
    add_decode(
        &mut file,
        Decode {
            id: "hmac.decode.valid",
            requirements: &["R-ENC-1", "R-ENC-2", "R-ENC-3"],
            flags: &[Flag::Valid],
            comment: "A valid code's text.",
            text: text.clone(),
            intent: Intent::valid(),
        },
    )?;
    add_decode(
        &mut file,
        Decode {
            id: "hmac.decode.max-fields",
            requirements: &["R-ENC-3", "R-TIME-3"],
            flags: &[Flag::Valid, Flag::U64Extreme],
            comment: "Every field at its maximum decodes exactly.",
            text: HmacCode::new([0xff; 8], u64::MAX, u32::MAX, [0xff; 16]).to_qr_text(),
            intent: Intent::valid(),
        },
    )?;
    let body = text.strip_prefix("PC3:").unwrap_or_default();
    let group_rest = body.get(3..).unwrap_or_default();
    let without_last_group = text.get(..text.len() - 3).unwrap_or_default();
    let rejects = vec![
        Reject {
            name: "lowercase-prefix",
            requirements: &["R-ENC-1"],
            flags: &[Flag::Prefix],
            comment: "pc2: in lower case.",
            text: format!("pc2:{body}"),
            error: Error::Malformed,
        },
        Reject {
            name: "prefix-of-v1",
            requirements: &["R-ENC-6", "R-ENC-1"],
            flags: &[Flag::Prefix, Flag::Version],
            comment: "A payload of this version under the prefix PC1: of v1: a text of no code of this version.",
            text: format!("PC1:{body}"),
            error: Error::Malformed,
        },
        Reject {
            name: "no-prefix",
            requirements: &["R-ENC-1"],
            flags: &[Flag::Prefix],
            comment: "The Base45 text without its prefix.",
            text: body.to_owned(),
            error: Error::Malformed,
        },
        Reject {
            name: "no-colon",
            requirements: &["R-ENC-1"],
            flags: &[Flag::Prefix],
            comment: "PC2 without the colon.",
            text: format!("PC2{body}"),
            error: Error::Malformed,
        },
        Reject {
            name: "leading-space",
            requirements: &["R-ENC-1"],
            flags: &[Flag::Prefix],
            comment: "A space before the prefix.",
            text: format!(" {text}"),
            error: Error::Malformed,
        },
        Reject {
            name: "trailing-newline",
            requirements: &["R-ENC-2"],
            flags: &[Flag::Base45Alphabet],
            comment: "A line feed after the text: a decoder must not trim.",
            text: format!("{text}\n"),
            error: Error::Malformed,
        },
        Reject {
            name: "trailing-space",
            requirements: &["R-ENC-2"],
            flags: &[Flag::Length],
            comment: "A space after the text: an alphabet character that leaves a dangling group.",
            text: format!("{text} "),
            error: Error::Malformed,
        },
        Reject {
            name: "lowercase-body",
            requirements: &["R-ENC-2"],
            flags: &[Flag::Base45Alphabet],
            comment: "The Base45 body in lower case.",
            text: format!("PC3:{}", body.to_lowercase()),
            error: Error::Malformed,
        },
        Reject {
            name: "empty-payload",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Length],
            comment: "PC3: with nothing after it.",
            text: "PC3:".into(),
            error: Error::Malformed,
        },
        Reject {
            name: "empty",
            requirements: &["R-ENC-1"],
            flags: &[Flag::Prefix],
            comment: "The empty text.",
            text: String::new(),
            error: Error::Malformed,
        },
        Reject {
            name: "non-canonical-group",
            requirements: &["R-ENC-2"],
            flags: &[Flag::NonCanonicalBase45],
            comment: "The first 3-character group replaced by GGW (65536).",
            text: format!("PC3:GGW{group_rest}"),
            error: Error::Malformed,
        },
        Reject {
            name: "non-canonical-final-pair",
            requirements: &["R-ENC-2"],
            flags: &[Flag::NonCanonicalBase45, Flag::Length],
            comment: "The last group replaced by a 2-character group of value 256.",
            text: format!("{without_last_group}V5"),
            error: Error::Malformed,
        },
        Reject {
            name: "truncated-37",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Length],
            comment: "37 bytes: the tag one byte short.",
            text: qr_text(&cut(&payload, 0, 37)?),
            error: Error::Malformed,
        },
        Reject {
            name: "extended-39",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Length],
            comment: "39 bytes: a trailing zero byte.",
            text: qr_text(&[&payload[..], &[0]].concat()),
            error: Error::Malformed,
        },
        Reject {
            name: "header-only",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Length],
            comment: "Version and profile bytes only.",
            text: qr_text(&[2, 1]),
            error: Error::Malformed,
        },
        Reject {
            name: "version-only",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Length],
            comment: "A single byte 0x02: too short to name a profile.",
            text: qr_text(&[2]),
            error: Error::Malformed,
        },
        Reject {
            name: "version-1",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Version],
            comment: "Version byte 0x01, of the retired v1.",
            text: qr_text(&with_bytes_at(payload.clone(), 0, &[1])?),
            error: Error::UnsupportedVersion,
        },
        Reject {
            name: "version-0",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Version],
            comment: "Version byte 0x00.",
            text: qr_text(&with_bytes_at(payload.clone(), 0, &[0])?),
            error: Error::UnsupportedVersion,
        },
        Reject {
            name: "version-1-short",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Version, Flag::Length, Flag::Precedence],
            comment: "A single byte 0x01: the version is checked before any length.",
            text: qr_text(&[1]),
            error: Error::UnsupportedVersion,
        },
        Reject {
            name: "version-1-long",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Version, Flag::Length, Flag::Precedence],
            comment: "Version byte 0x01 in 300 bytes, longer than any code's payload: the version is checked before the length, whatever the length.",
            text: qr_text(&[&[1u8, 1][..], &[0; 298]].concat()),
            error: Error::UnsupportedVersion,
        },
        Reject {
            name: "profile-3",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Profile],
            comment: "Profile byte 0x03.",
            text: qr_text(&with_bytes_at(payload.clone(), 1, &[3])?),
            error: Error::UnsupportedProfile,
        },
        Reject {
            name: "profile-0",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Profile],
            comment: "Profile byte 0x00.",
            text: qr_text(&with_bytes_at(payload.clone(), 1, &[0])?),
            error: Error::UnsupportedProfile,
        },
        Reject {
            name: "profile-3-short",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Profile, Flag::Length, Flag::Precedence],
            comment: "An unknown profile in a 3-byte payload: the profile is checked before the length.",
            text: qr_text(&[2, 3, 0]),
            error: Error::UnsupportedProfile,
        },
        Reject {
            name: "profile-2-length-38",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Profile, Flag::Length],
            comment: "An hmac payload relabelled as ed25519: 38 bytes is the wrong length for that profile.",
            text: qr_text(&with_bytes_at(payload.clone(), 1, &[2])?),
            error: Error::Malformed,
        },
    ];
    add_rejects(&mut file, "hmac", rejects)?;
    for id in ["hmac.decode.version-2", "hmac.decode.version-2-short", "hmac.decode.version-2-long"] {
        file.retire(id, crate::generate::VERSION_2_RETIRED);
    }
    Ok(file.finish())
}

/// `encoding-ed25519-payload.json`.
pub(super) fn ed25519_payload() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-ed25519-payload",
        "The 204-byte ed25519 payload and its 310-character QR text (spec §4.5): encoding, decoding and malformed inputs.",
    );
    let credential = issue(main_fields());
    let code = ed25519_code(&DEFAULT_PARAMS, 1, credential, STEP, 3)?;
    let payload = code.encode().to_vec();
    file.add(Case {
        id: "ed25519.encode.basic",
        requirements: &["R-ENC-1", "R-ENC-3"],
        flags: &[Flag::Valid],
        comment: "Layout: version, profile, step, counter, credential, device signature.",
        op: Op::Ed25519CodeEncode,
        input: Ed25519CodeEncodeInput {
            mode: crate::format::ModeName::OneWay,
            cap: None,
            step: STEP,
            counter: 3,
            credential: hex(credential.as_bytes()),
            device_signature: hex(&code.signature()),
        },
        intent: Intent::valid(),
    })?;
    file.add(Case {
        id: "ed25519.encode.max-fields",
        requirements: &["R-ENC-3"],
        flags: &[Flag::Valid, Flag::U64Extreme],
        comment: "Step 2^64 - 1 and counter 2^32 - 1 (signature bytes arbitrary).",
        op: Op::Ed25519CodeEncode,
        input: Ed25519CodeEncodeInput {
            mode: crate::format::ModeName::OneWay,
            cap: None,
            step: u64::MAX,
            counter: u32::MAX,
            credential: hex(credential.as_bytes()),
            device_signature: hex(&[0xee; 64]),
        },
        intent: Intent::valid(),
    })?;
    add_decode(
        &mut file,
        Decode {
            id: "ed25519.decode.valid",
            requirements: &["R-ENC-1", "R-ENC-2", "R-ENC-3"],
            flags: &[Flag::Valid],
            comment: "A valid code's text (310 characters).",
            text: code.to_qr_text(),
            intent: Intent::valid(),
        },
    )?;
    let rejects = vec![
        Reject {
            name: "truncated-203",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Length],
            comment: "203 bytes.",
            text: qr_text(&cut(&payload, 0, 203)?),
            error: Error::Malformed,
        },
        Reject {
            name: "extended-205",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Length],
            comment: "205 bytes.",
            text: qr_text(&[&payload[..], &[0]].concat()),
            error: Error::Malformed,
        },
        Reject {
            name: "no-signature",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Length],
            comment: "The 140 signed bytes without the signature.",
            text: qr_text(&cut(&payload, 0, 140)?),
            error: Error::Malformed,
        },
        Reject {
            name: "header-only",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Length],
            comment: "Version and profile only.",
            text: qr_text(&[2, 2]),
            error: Error::Malformed,
        },
        Reject {
            name: "version-1",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Version],
            comment: "Version byte 0x01, of the retired v1.",
            text: qr_text(&with_bytes_at(payload.clone(), 0, &[1])?),
            error: Error::UnsupportedVersion,
        },
        Reject {
            name: "profile-ff",
            requirements: &["R-VERIFY-1"],
            flags: &[Flag::Profile],
            comment: "Profile byte 0xff.",
            text: qr_text(&with_bytes_at(payload.clone(), 1, &[0xff])?),
            error: Error::UnsupportedProfile,
        },
        Reject {
            name: "profile-1-length-204",
            requirements: &["R-ENC-3"],
            flags: &[Flag::Profile, Flag::Length],
            comment: "An ed25519 payload relabelled hmac: wrong length for hmac.",
            text: qr_text(&with_bytes_at(payload.clone(), 1, &[1])?),
            error: Error::Malformed,
        },
    ];
    add_rejects(&mut file, "ed25519", rejects)?;
    file.retire("ed25519.decode.version-2", crate::generate::VERSION_2_RETIRED);
    Ok(file.finish())
}
