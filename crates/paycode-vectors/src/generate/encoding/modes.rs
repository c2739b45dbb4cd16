//! `encoding-modes.json`: the payloads of capped and challenge codes, their
//! mode byte, and the challenge with its digest (spec §4.1, §4.2, §4.5,
//! §4.9).

use paycode::code::HmacCode;
use paycode::{Error, Purpose};

use super::{Decode, add_decode};
use crate::errors::VectorError;
use crate::format::{
    ChallengeFields, Ed25519CodeEncodeInput, HmacCodeEncodeInput, ModeName, Op, TextInput, VectorFile,
};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{
    ACCOUNT, DEFAULT_PARAMS, STEP, TIME, challenge, ed25519_code_for, hex, hmac_code_for, issue, main_fields,
    qr_text,
};
use crate::generate::flags::Flag;

/// A payload a decoder must refuse: name, bytes, error, flags, comment.
type PayloadReject<'a> = (&'a str, Vec<u8>, Error, &'a [Flag], &'a str);

/// A challenge text and its outcome: name, text, error if any, flags, comment.
type TextDecode<'a> = (&'a str, String, Option<Error>, &'a [Flag], &'a str);

/// `encoding-modes.json`.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-modes",
        "Capped and challenge code payloads (spec §4.1 R-MODE-1, §4.2, §4.5): their mode byte, layout and length; and the 37-byte challenge, its PT3: text and its digest (§4.9, R-CHAL-1, R-CHAL-2).",
    );
    payloads(&mut file)?;
    decodes(&mut file)?;
    challenges(&mut file)?;
    Ok(file.finish())
}

fn payloads(file: &mut FileBuilder) -> Result<(), VectorError> {
    for (name, mode, cap, comment) in [
        (
            "capped",
            ModeName::Capped,
            Some(0x0102_0304),
            "A capped payload: the cap after the counter, 42 bytes, QR text 67 characters.",
        ),
        ("capped-max", ModeName::Capped, Some(u32::MAX), "The largest cap."),
        (
            "challenge",
            ModeName::Challenge,
            None,
            "A challenge code's payload: the one-way layout with second byte 0x21.",
        ),
    ] {
        file.add(Case {
            id: &format!("hmac.encode.{name}"),
            requirements: &["R-MODE-1", "R-ENC-1", "R-ENC-3"],
            flags: &[Flag::Valid, Flag::Mode],
            comment,
            op: Op::HmacCodeEncode,
            input: HmacCodeEncodeInput {
                mode,
                cap,
                handle: hex(&ACCOUNT.to_be_bytes()),
                step: STEP,
                masked_counter: 7,
                tag: hex(&[0x5a; 16]),
            },
            intent: Intent::valid(),
        })?;
    }
    let credential = issue(main_fields());
    for (name, mode, cap, comment) in [
        (
            "capped",
            ModeName::Capped,
            Some(1200),
            "A capped ed25519 payload: the cap between the counter and the credential, 208 bytes, QR text 316 characters.",
        ),
        (
            "challenge",
            ModeName::Challenge,
            None,
            "A challenge ed25519 payload: the one-way layout with second byte 0x22.",
        ),
    ] {
        file.add(Case {
            id: &format!("ed25519.encode.{name}"),
            requirements: &["R-MODE-1", "R-ENC-1", "R-ENC-3"],
            flags: &[Flag::Valid, Flag::Mode],
            comment,
            op: Op::Ed25519CodeEncode,
            input: Ed25519CodeEncodeInput {
                mode,
                cap,
                step: STEP,
                counter: 7,
                credential: hex(credential.as_bytes()),
                device_signature: hex(&[0x77; 64]),
            },
            intent: Intent::valid(),
        })?;
    }
    Ok(())
}

fn decodes(file: &mut FileBuilder) -> Result<(), VectorError> {
    let ch = challenge(1, 250, TIME, "till");
    let capped = hmac_code_for(&DEFAULT_PARAMS, ACCOUNT, STEP, 3, Purpose::Capped(500))?;
    let chal = hmac_code_for(&DEFAULT_PARAMS, ACCOUNT, STEP, 3, Purpose::Challenge(&ch))?;
    let one_way = HmacCode::new(ACCOUNT.to_be_bytes(), STEP, 3, [9; 16]);
    let credential = issue(main_fields());
    let ed_capped = ed25519_code_for(&DEFAULT_PARAMS, 1, credential, STEP, 3, Purpose::Capped(1200))?;
    let ed_chal = ed25519_code_for(&DEFAULT_PARAMS, 1, credential, STEP, 3, Purpose::Challenge(&ch))?;
    let valid = [
        ("hmac.decode.capped", capped.to_qr_text(), "A capped hmac code decodes with its cap."),
        (
            "hmac.decode.challenge",
            chal.to_qr_text(),
            "A challenge hmac code decodes with mode challenge; it carries no part of the challenge.",
        ),
        ("ed25519.decode.capped", ed_capped.to_qr_text(), "A capped ed25519 code."),
        ("ed25519.decode.challenge", ed_chal.to_qr_text(), "A challenge ed25519 code."),
    ];
    for (name, text, comment) in valid {
        add_decode(
            file,
            Decode {
                id: name,
                requirements: &["R-MODE-1", "R-ENC-3"],
                flags: &[Flag::Valid, Flag::Mode],
                comment,
                text,
                intent: Intent::valid(),
            },
        )?;
    }
    let with_byte = |bytes: &[u8], byte: u8| -> Vec<u8> {
        let mut b = bytes.to_vec();
        if let Some(p) = b.get_mut(1) {
            *p = byte;
        }
        b
    };
    let one_way_bytes = one_way.encode();
    let capped_bytes = capped.encode();
    let ed_bytes = ed_chal.encode().to_vec();
    let ed_capped_bytes = ed_capped.encode().to_vec();
    let rejects: Vec<PayloadReject<'_>> = vec![
        (
            "hmac.decode.capped-38-bytes",
            with_byte(&one_way_bytes, 0x11),
            Error::Malformed,
            &[Flag::Mode, Flag::Length],
            "Second byte 0x11 (capped) on 38 bytes: a capped payload is 42.",
        ),
        (
            "hmac.decode.one-way-42-bytes",
            with_byte(&capped_bytes, 0x01),
            Error::Malformed,
            &[Flag::Mode, Flag::Length],
            "Second byte 0x01 (one-way) on 42 bytes: a one-way payload is 38.",
        ),
        (
            "hmac.decode.challenge-42-bytes",
            with_byte(&capped_bytes, 0x21),
            Error::Malformed,
            &[Flag::Mode, Flag::Length],
            "Second byte 0x21 (challenge) on 42 bytes: a challenge payload is 38.",
        ),
        (
            "ed25519.decode.capped-204-bytes",
            with_byte(&ed_bytes, 0x12),
            Error::Malformed,
            &[Flag::Mode, Flag::Length],
            "Second byte 0x12 on 204 bytes: a capped ed25519 payload is 208.",
        ),
        (
            "ed25519.decode.one-way-208-bytes",
            with_byte(&ed_capped_bytes, 0x02),
            Error::Malformed,
            &[Flag::Mode, Flag::Length],
            "Second byte 0x02 on 208 bytes.",
        ),
        (
            "hmac.decode.mode-3",
            with_byte(&one_way_bytes, 0x31),
            Error::UnsupportedProfile,
            &[Flag::Mode, Flag::Profile],
            "Mode 3 does not exist: 0x31 is unsupported-profile.",
        ),
        (
            "hmac.decode.mode-15",
            with_byte(&one_way_bytes, 0xf1),
            Error::UnsupportedProfile,
            &[Flag::Mode, Flag::Profile],
            "Mode 15, profile 1: 0xf1.",
        ),
        (
            "hmac.decode.mode-1-profile-0",
            with_byte(&one_way_bytes, 0x10),
            Error::UnsupportedProfile,
            &[Flag::Mode, Flag::Profile],
            "Mode 1 of no profile: 0x10.",
        ),
        (
            "hmac.decode.mode-2-profile-3",
            with_byte(&one_way_bytes, 0x23),
            Error::UnsupportedProfile,
            &[Flag::Mode, Flag::Profile],
            "Mode 2 of an unknown profile: 0x23.",
        ),
    ];
    for (name, bytes, error, flags, comment) in rejects {
        add_decode(
            file,
            Decode {
                id: name,
                requirements: &["R-MODE-1", "R-ENC-3", "R-VERIFY-1"],
                flags,
                comment,
                text: qr_text(&bytes),
                intent: Intent::invalid(error),
            },
        )?;
    }
    Ok(())
}

fn challenges(file: &mut FileBuilder) -> Result<(), VectorError> {
    let ch = challenge(1, 250, TIME, "till");
    let encodes = [
        (
            "basic",
            ChallengeFields { terminal_id: 1, amount: 250, issued_at: TIME, nonce: hex(ch.nonce()) },
            "Terminal 1 asks 250 at the fixed time.",
        ),
        (
            "zeros",
            ChallengeFields { terminal_id: 0, amount: 0, issued_at: 0, nonce: hex(&[0; 16]) },
            "Every field zero.",
        ),
        (
            "max",
            ChallengeFields {
                terminal_id: u32::MAX,
                amount: u64::MAX,
                issued_at: u64::MAX,
                nonce: hex(&[0xff; 16]),
            },
            "Every field at its maximum.",
        ),
    ];
    for (name, fields, comment) in encodes {
        file.add(Case {
            id: &format!("challenge.encode.{name}"),
            requirements: &["R-CHAL-1", "R-CHAL-2", "R-KEY-3"],
            flags: &[Flag::Valid, Flag::Challenge, Flag::DomainSeparation],
            comment,
            op: Op::ChallengeEncode,
            input: fields,
            intent: Intent::valid(),
        })?;
    }
    let text = ch.to_qr_text();
    let body = text.strip_prefix("PT3:").unwrap_or_default().to_owned();
    let mut v1 = ch.encode();
    v1[0] = 1;
    file.retire("challenge.decode.version-2", crate::generate::VERSION_2_RETIRED);
    let b45 = |bytes: &[u8]| paycode::hazmat::base45::encode(bytes);
    let decodes: Vec<TextDecode<'_>> = vec![
        ("valid", text.clone(), None, &[Flag::Valid, Flag::Challenge], "A challenge's text."),
        (
            "lowercase-prefix",
            format!("pt2:{body}"),
            Some(Error::Malformed),
            &[Flag::Prefix],
            "pt2: in lower case.",
        ),
        (
            "code-prefix",
            format!("PC3:{body}"),
            Some(Error::Malformed),
            &[Flag::Prefix],
            "A challenge behind a code's prefix.",
        ),
        ("no-prefix", body.clone(), Some(Error::Malformed), &[Flag::Prefix], "The Base45 text alone."),
        (
            "short",
            format!("PT3:{}", b45(&ch.encode()[..36])),
            Some(Error::Malformed),
            &[Flag::Length],
            "36 bytes.",
        ),
        (
            "long",
            format!("PT3:{}", b45(&[&ch.encode()[..], &[0]].concat())),
            Some(Error::Malformed),
            &[Flag::Length],
            "38 bytes.",
        ),
        ("empty", "PT3:".to_owned(), Some(Error::Malformed), &[Flag::Length], "The prefix alone."),
        (
            "version-1",
            format!("PT3:{}", b45(&v1)),
            Some(Error::Malformed),
            &[Flag::Version],
            "Version byte 0x01, of the retired v1: malformed.",
        ),
        (
            "lowercase-body",
            format!("PT3:{}", body.to_lowercase()),
            Some(Error::Malformed),
            &[Flag::Base45Alphabet],
            "Lower-case Base45.",
        ),
        (
            "trailing-newline",
            format!("{text}\n"),
            Some(Error::Malformed),
            &[Flag::Base45Alphabet],
            "A line feed after the text.",
        ),
    ];
    for (name, text, error, flags, comment) in decodes {
        file.add(Case {
            id: &format!("challenge.decode.{name}"),
            requirements: &["R-CHAL-1", "R-ENC-2"],
            flags,
            comment,
            op: Op::ChallengeDecode,
            input: TextInput { text },
            intent: match error {
                None => Intent::valid(),
                Some(e) => Intent::invalid(e),
            },
        })?;
    }
    // A group of three characters whose value is above 65535.
    let mut over = body.into_bytes();
    if let Some(g) = over.get_mut(..3) {
        g.copy_from_slice(b"GGW");
    }
    file.add(Case {
        id: "challenge.decode.non-canonical-group",
        requirements: &["R-CHAL-1", "R-ENC-2"],
        flags: &[Flag::NonCanonicalBase45],
        comment: "The first group GGW has value 16 + 45·16 + 2025·32 = 65536, above 65535.",
        op: Op::ChallengeDecode,
        input: TextInput { text: format!("PT3:{}", String::from_utf8_lossy(&over)) },
        intent: Intent::invalid(Error::Malformed),
    })?;
    Ok(())
}
