//! Encode/decode vectors of every structure, and the byte-exact generation vectors.

use serde_json::json;

use super::VResult;
use super::format::{Op, VectorFile};
use super::generate::{FileBuilder, Want};
use super::generate_fixtures::*;

pub(crate) fn files() -> VResult<Vec<VectorFile>> {
    Ok(vec![
        hmac_payload()?,
        numeric()?,
        ed25519_payload()?,
        credential()?,
        trust_list()?,
        revocation_list()?,
        log_record()?,
        generate_hmac()?,
        generate_ed25519()?,
    ])
}

fn decode(
    f: &mut FileBuilder,
    id: &str,
    reqs: &[&str],
    flags: &[&str],
    comment: &str,
    text: &str,
    want: Want,
) -> VResult<()> {
    f.add(id, reqs, flags, comment, Op::CodeDecode, json!({"text": text}), want)
}

fn hmac_payload() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "encoding-hmac-payload",
        "The 38-byte hmac payload and its QR text (spec §4.2, §5.1): encoding, decoding, and every way a text can fail to be the canonical encoding of a v1 payload.",
    );
    for (n, account, step, counter, tag, comment) in [
        ("basic", ACCOUNT, S, 7u32, [0x5a; 16], "An ordinary payload."),
        ("zeros", 0, 0, 0, [0; 16], "Every field zero."),
        ("max", u64::MAX, u64::MAX, u32::MAX, [0xff; 16], "Every field at its maximum."),
    ] {
        f.add(
            &format!("hmac.encode.{n}"),
            &["R-ENC-1", "R-ENC-3"],
            &["Valid"],
            comment,
            Op::HmacCodeEncode,
            json!({"account_id": account, "step": step, "counter": counter, "tag": h(&tag)}),
            Want::valid(),
        )?;
    }
    let p = default_params();
    let code = hmac_code(&p, ACCOUNT, S, 7)?;
    let payload = code.encode();
    let text = code.to_qr_text();
    decode(
        &mut f,
        "hmac.decode.valid",
        &["R-ENC-1", "R-ENC-2", "R-ENC-3"],
        &["Valid"],
        "A valid code's text.",
        &text,
        Want::valid(),
    )?;
    let max = paycode::code::HmacCode::new(u64::MAX, u64::MAX, u32::MAX, [0xff; 16]);
    decode(
        &mut f,
        "hmac.decode.max-fields",
        &["R-ENC-3", "R-TIME-3"],
        &["Valid", "U64Extreme"],
        "Every field at its maximum decodes exactly.",
        &max.to_qr_text(),
        Want::valid(),
    )?;
    let mut with = |id: &str, reqs: &[&str], flags: &[&str], comment: &str, t: String, err: &'static str| {
        decode(&mut f, &format!("hmac.decode.{id}"), reqs, flags, comment, &t, Want::invalid(err))
    };
    let body = &text[4..];
    with(
        "lowercase-prefix",
        &["R-ENC-1"],
        &["Prefix"],
        "pc1: in lower case.",
        format!("pc1:{body}"),
        "malformed",
    )?;
    with(
        "no-prefix",
        &["R-ENC-1"],
        &["Prefix"],
        "The Base45 text without its prefix.",
        body.to_owned(),
        "malformed",
    )?;
    with("no-colon", &["R-ENC-1"], &["Prefix"], "PC1 without the colon.", format!("PC1{body}"), "malformed")?;
    with(
        "leading-space",
        &["R-ENC-1"],
        &["Prefix"],
        "A space before the prefix.",
        format!(" {text}"),
        "malformed",
    )?;
    with(
        "trailing-newline",
        &["R-ENC-2"],
        &["Base45Alphabet"],
        "A line feed after the text: a decoder must not trim.",
        format!("{text}\n"),
        "malformed",
    )?;
    with(
        "trailing-space",
        &["R-ENC-2"],
        &["Length"],
        "A space after the text: an alphabet character that leaves a dangling group.",
        format!("{text} "),
        "malformed",
    )?;
    with(
        "lowercase-body",
        &["R-ENC-2"],
        &["Base45Alphabet"],
        "The Base45 body in lower case.",
        format!("PC1:{}", body.to_lowercase()),
        "malformed",
    )?;
    with(
        "empty-payload",
        &["R-ENC-3"],
        &["Length"],
        "PC1: with nothing after it.",
        "PC1:".into(),
        "malformed",
    )?;
    with("empty", &["R-ENC-1"], &["Prefix"], "The empty text.", String::new(), "malformed")?;
    // A group of value 65536+ in the middle of a valid text.
    with(
        "non-canonical-group",
        &["R-ENC-2"],
        &["NonCanonicalBase45"],
        "The first 3-character group replaced by GGW (65536).",
        format!("PC1:GGW{}", &body[3..]),
        "malformed",
    )?;
    let mut last_pair = text.clone();
    last_pair.truncate(text.len() - 3);
    last_pair.push_str("V5");
    with(
        "non-canonical-final-pair",
        &["R-ENC-2"],
        &["NonCanonicalBase45", "Length"],
        "The last group replaced by a 2-character group of value 256.",
        last_pair,
        "malformed",
    )?;
    with(
        "truncated-37",
        &["R-ENC-3"],
        &["Length"],
        "37 bytes: the tag one byte short.",
        qr(&payload[..37]),
        "malformed",
    )?;
    with(
        "extended-39",
        &["R-ENC-3"],
        &["Length"],
        "39 bytes: a trailing zero byte.",
        qr(&[&payload[..], &[0]].concat()),
        "malformed",
    )?;
    with(
        "header-only",
        &["R-ENC-3"],
        &["Length"],
        "Version and profile bytes only.",
        qr(&[1, 1]),
        "malformed",
    )?;
    with(
        "version-only",
        &["R-ENC-3"],
        &["Length"],
        "A single byte 0x01: too short to name a profile.",
        qr(&[1]),
        "malformed",
    )?;
    let mut v = payload;
    v[0] = 2;
    with("version-2", &["R-VERIFY-1"], &["Version"], "Version byte 0x02.", qr(&v), "unsupported-version")?;
    v[0] = 0;
    with("version-0", &["R-VERIFY-1"], &["Version"], "Version byte 0x00.", qr(&v), "unsupported-version")?;
    with(
        "version-2-short",
        &["R-VERIFY-1"],
        &["Version", "Length", "Precedence"],
        "A single byte 0x02: the version is checked before any length.",
        qr(&[2]),
        "unsupported-version",
    )?;
    let mut pr = payload;
    pr[1] = 3;
    with("profile-3", &["R-VERIFY-1"], &["Profile"], "Profile byte 0x03.", qr(&pr), "unsupported-profile")?;
    pr[1] = 0;
    with("profile-0", &["R-VERIFY-1"], &["Profile"], "Profile byte 0x00.", qr(&pr), "unsupported-profile")?;
    with(
        "profile-3-short",
        &["R-VERIFY-1"],
        &["Profile", "Length", "Precedence"],
        "An unknown profile in a 3-byte payload: the profile is checked before the length.",
        qr(&[1, 3, 0]),
        "unsupported-profile",
    )?;
    let mut as_ed = payload.to_vec();
    put(&mut as_ed, 1, &[2])?;
    with(
        "profile-2-length-38",
        &["R-ENC-3"],
        &["Profile", "Length"],
        "An hmac payload relabelled as ed25519: 38 bytes is the wrong length for that profile.",
        qr(&as_ed),
        "malformed",
    )?;
    f.finish()
}

fn numeric() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "encoding-numeric",
        "The hmac numeric form (spec §4.3, §5.3): 24 ASCII digits of N < 2^79, N = account << 49 | step mod 16 << 45 | counter << 29 | tag29.",
    );
    for (n, account, step, counter, tag29, comment) in [
        ("zero", 0u64, 0u64, 0u32, 0u32, "Every field zero: 24 zeros."),
        ("basic", ACCOUNT, S, 7, 0x0abc_def0 >> 3, "An ordinary code."),
        ("step-low-bits", 1, 0x1234_5678_9abc_def5, 1, 1, "Only the low 4 bits of the step (5) are carried."),
        ("max", (1 << 30) - 1, u64::MAX, 0xffff, (1 << 29) - 1, "Every field at its maximum: N = 2^79 - 1."),
    ] {
        f.add(
            &format!("numeric.encode.{n}"),
            &["R-HMAC-2", "R-ENC-4"],
            &["Valid", "NumericLayout"],
            comment,
            Op::NumericEncode,
            json!({"account_id": account, "step": step, "counter": counter, "tag29": tag29}),
            Want::valid(),
        )?;
    }
    for (n, account, counter, comment) in [
        ("account-2-30", 1u64 << 30, 0u32, "Account id 2^30 has no numeric form."),
        ("counter-2-16", 1, 1 << 16, "Counter 2^16 has no numeric form."),
    ] {
        f.add(
            &format!("numeric.encode.unavailable-{n}"),
            &["R-HMAC-4"],
            &["NumericUnavailable"],
            comment,
            Op::NumericEncode,
            json!({"account_id": account, "step": S, "counter": counter, "tag29": 0}),
            Want::invalid("numeric-unavailable"),
        )?;
    }
    let p = default_params();
    let digits = numeric_text(&p, ACCOUNT, S, 7)?;
    decode(
        &mut f,
        "numeric.decode.valid",
        &["R-ENC-4", "R-HMAC-2"],
        &["Valid", "NumericLayout"],
        "A valid code's digits.",
        &digits,
        Want::valid(),
    )?;
    decode(
        &mut f,
        "numeric.decode.zeros",
        &["R-ENC-4"],
        &["Valid"],
        "24 zeros decode (to account 0, counter 0, tag 0).",
        "000000000000000000000000",
        Want::valid(),
    )?;
    decode(
        &mut f,
        "numeric.decode.max",
        &["R-ENC-4", "R-HMAC-2"],
        &["Valid", "NumericLayout"],
        "2^79 - 1, the largest value.",
        "604462909807314587353087",
        Want::valid(),
    )?;
    for (n, text, comment) in [
        ("2-79", "604462909807314587353088".to_owned(), "2^79 exactly."),
        ("all-nines", "9".repeat(24), "The largest 24-digit number."),
        ("23-digits", digits[1..].to_owned(), "23 digits."),
        ("25-digits", format!("0{digits}"), "25 digits."),
        ("letter", format!("{}a", &digits[..23]), "A letter in place of the last digit."),
        ("plus-sign", format!("+{}", &digits[1..]), "A leading plus sign."),
        ("space", format!(" {}", &digits[1..]), "A leading space."),
        ("newline", format!("{}\n", &digits[..23]), "A line feed in place of the last digit."),
        (
            "arabic-indic",
            format!("\u{660}{}", &digits[2..]),
            "An Arabic-Indic zero (non-ASCII digit) in front of 22 digits: 24 bytes in UTF-8.",
        ),
        (
            "fullwidth",
            format!("\u{ff10}{}", &digits[3..]),
            "A fullwidth zero in front of 21 digits: 24 bytes in UTF-8.",
        ),
        (
            "fullwidth-24",
            digits.chars().map(|c| char::from_u32(0xff10 + (c as u32 - 0x30)).unwrap_or('?')).collect(),
            "24 fullwidth digits: 24 characters that are Unicode decimal digits, none of them ASCII.",
        ),
        (
            "arabic-indic-24",
            digits.chars().map(|c| char::from_u32(0x660 + (c as u32 - 0x30)).unwrap_or('?')).collect(),
            "24 Arabic-Indic digits: Unicode decimal digits, none of them ASCII.",
        ),
    ] {
        decode(
            &mut f,
            &format!("numeric.decode.reject-{n}"),
            &["R-ENC-4"],
            &["NumericSyntax"],
            comment,
            &text,
            Want::invalid("malformed"),
        )?;
    }
    f.finish()
}

fn ed25519_payload() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "encoding-ed25519-payload",
        "The 204-byte ed25519 payload and its 310-character QR text (spec §4.5): encoding, decoding and malformed inputs.",
    );
    let p = default_params();
    let cred = issue(main_fields());
    let code = ed_code(&p, 1, cred, S, 3)?;
    let payload = *code.encode();
    f.add(
        "ed25519.encode.basic",
        &["R-ENC-1", "R-ENC-3"],
        &["Valid"],
        "Layout: version, profile, step, counter, credential, device signature.",
        Op::Ed25519CodeEncode,
        json!({"step": S, "counter": 3, "credential": h(cred.as_bytes()), "device_signature": h(&code.signature())}),
        Want::valid(),
    )?;
    f.add(
        "ed25519.encode.max-fields",
        &["R-ENC-3"],
        &["Valid", "U64Extreme"],
        "Step 2^64 - 1 and counter 2^32 - 1 (signature bytes arbitrary).",
        Op::Ed25519CodeEncode,
        json!({"step": u64::MAX, "counter": u32::MAX, "credential": h(cred.as_bytes()), "device_signature": h(&[0xee; 64])}),
        Want::valid(),
    )?;
    decode(
        &mut f,
        "ed25519.decode.valid",
        &["R-ENC-1", "R-ENC-2", "R-ENC-3"],
        &["Valid"],
        "A valid code's text (310 characters).",
        &code.to_qr_text(),
        Want::valid(),
    )?;
    let mut with = |id: &str,
                    reqs: &[&str],
                    flags: &[&str],
                    comment: &str,
                    bytes: Vec<u8>,
                    err: &'static str| {
        decode(&mut f, &format!("ed25519.decode.{id}"), reqs, flags, comment, &qr(&bytes), Want::invalid(err))
    };
    with("truncated-203", &["R-ENC-3"], &["Length"], "203 bytes.", payload[..203].to_vec(), "malformed")?;
    with(
        "extended-205",
        &["R-ENC-3"],
        &["Length"],
        "205 bytes.",
        [&payload[..], &[0]].concat(),
        "malformed",
    )?;
    with(
        "no-signature",
        &["R-ENC-3"],
        &["Length"],
        "The 140 signed bytes without the signature.",
        payload[..140].to_vec(),
        "malformed",
    )?;
    with("header-only", &["R-ENC-3"], &["Length"], "Version and profile only.", vec![1, 2], "malformed")?;
    let mut v = payload.to_vec();
    put(&mut v, 0, &[2])?;
    with("version-2", &["R-VERIFY-1"], &["Version"], "Version byte 0x02.", v, "unsupported-version")?;
    let mut pr = payload.to_vec();
    put(&mut pr, 1, &[0xff])?;
    with("profile-ff", &["R-VERIFY-1"], &["Profile"], "Profile byte 0xff.", pr, "unsupported-profile")?;
    let mut as_hmac = payload.to_vec();
    put(&mut as_hmac, 1, &[1])?;
    with(
        "profile-1-length-204",
        &["R-ENC-3"],
        &["Profile", "Length"],
        "An ed25519 payload relabelled hmac: wrong length for hmac.",
        as_hmac,
        "malformed",
    )?;
    f.finish()
}

fn credential() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "encoding-credential",
        "The 126-byte credential (spec §4.4): key id u16, serial u64, device key, not_before u64, lifetime u32, limits u32 x 2, issuer signature over \"paycode/v1/ed25519/credential\" 00 || bytes 0..62.",
    );
    let base = main_fields();
    for (n, fields, comment) in [
        ("main", base, "The credential most verification vectors use."),
        ("key-2", paycode::CredentialFields { key_id: 2, serial: 2002, ..base }, "Signed by issuer key 2."),
        (
            "max-fields",
            paycode::CredentialFields {
                key_id: u16::MAX,
                serial: u64::MAX,
                not_before: u64::MAX - 604_800,
                lifetime: 604_800,
                per_payment_limit: u32::MAX,
                cumulative_limit: u32::MAX,
                ..base
            },
            "Every integer at its maximum that still gives a consistent credential.",
        ),
    ] {
        f.add(
            &format!("credential.issue.{n}"),
            &["R-ED-3", "R-KEY-3", "R-ENC-3"],
            &["Valid", "DomainSeparation"],
            comment,
            Op::CredentialIssue,
            json!({"issuer_secret": h(&issuer_secret(fields.key_id)), "key_id": fields.key_id, "serial": fields.serial,
                "device_key": h(&fields.device_key), "not_before": fields.not_before, "lifetime": fields.lifetime,
                "per_payment_limit": fields.per_payment_limit, "cumulative_limit": fields.cumulative_limit}),
            Want::valid(),
        )?;
    }
    let bytes = issue(base).as_bytes().to_vec();
    let cd = |f: &mut FileBuilder, id: &str, flags: &[&str], comment: &str, b: Vec<u8>, want: Want| {
        f.add(
            &format!("credential.decode.{id}"),
            &["R-ED-3", "R-ENC-3"],
            flags,
            comment,
            Op::CredentialDecode,
            json!({"bytes": h(&b)}),
            want,
        )
    };
    cd(
        &mut f,
        "valid",
        &["Valid"],
        "The main credential decodes (its signature is checked at verification, E2).",
        bytes.clone(),
        Want::valid(),
    )?;
    cd(&mut f, "truncated", &["Length"], "125 bytes.", cut(&bytes, 0, 125)?, Want::invalid("malformed"))?;
    cd(
        &mut f,
        "extended",
        &["Length"],
        "127 bytes.",
        [&bytes[..], &[0]].concat(),
        Want::invalid("malformed"),
    )?;
    cd(
        &mut f,
        "old-layout-141",
        &["Length", "Version"],
        "141 bytes: a credential with a version byte and 64-bit limits, which v1 does not have.",
        [&[1u8][..], &bytes[..], &[0u8; 14]].concat(),
        Want::invalid("malformed"),
    )?;
    f.finish()
}

fn trust_list() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "encoding-trust-list",
        "The trust list (spec §4.6): version 0x01, count u16, entries of 50 bytes (key id u16, not_before u64, not_after u64, public key) strictly ascending by key id. Every defect is malformed.",
    );
    let e = |key_id: u16, nb: u64, na: u64| json!({"key_id": key_id, "not_before": nb, "not_after": na, "public_key": h(&issuer().key(key_id).public_bytes())});
    f.add(
        "trust.encode.one-key",
        &["R-TRUST-1", "R-ENC-3"],
        &["Valid"],
        "One key.",
        Op::TrustListEncode,
        json!({"entries": [e(1, KEY1.0, KEY1.1)]}),
        Want::valid(),
    )?;
    f.add(
        "trust.encode.two-keys",
        &["R-TRUST-1", "R-TRUST-2"],
        &["Valid", "Rotation"],
        "Two keys with overlapping validity.",
        Op::TrustListEncode,
        json!({"entries": [e(1, KEY1.0, KEY1.1), e(2, KEY2.0, KEY2.1)]}),
        Want::valid(),
    )?;
    let two = crate::run::unhex(&trust(&[(1, KEY1.0, KEY1.1), (2, KEY2.0, KEY2.1)])?)?;
    let td = |f: &mut FileBuilder, id: &str, flags: &[&str], comment: &str, b: Vec<u8>, want: Want| {
        f.add(
            &format!("trust.decode.{id}"),
            &["R-TRUST-1", "R-ENC-3"],
            flags,
            comment,
            Op::TrustListDecode,
            json!({"bytes": h(&b)}),
            want,
        )
    };
    td(&mut f, "two-keys", &["Valid"], "Two keys decode.", two.clone(), Want::valid())?;
    td(
        &mut f,
        "empty-validity",
        &["Valid"],
        "not_before = not_after: a one-second key is allowed.",
        crate::run::unhex(&trust(&[(5, T, T)])?)?,
        Want::valid(),
    )?;
    let malformed = Want::invalid("malformed");
    td(&mut f, "count-0", &["Length"], "count = 0.", vec![1, 0, 0], malformed.clone())?;
    let mut short = two.clone();
    short.pop();
    td(&mut f, "truncated", &["Length"], "One byte short.", short, malformed.clone())?;
    td(
        &mut f,
        "trailing-byte",
        &["Length"],
        "One byte too many.",
        [&two[..], &[0]].concat(),
        malformed.clone(),
    )?;
    let mut count = two.clone();
    put(&mut count, 2, &[3])?;
    td(&mut f, "count-too-large", &["Length"], "count = 3 with two entries.", count, malformed.clone())?;
    let swapped = [cut(&two, 0, 3)?, cut(&two, 53, 103)?, cut(&two, 3, 53)?].concat();
    td(&mut f, "unsorted", &["Rotation"], "Key ids 2 then 1.", swapped, malformed.clone())?;
    let dup = [cut(&two, 0, 53)?, cut(&two, 3, 53)?].concat();
    td(&mut f, "duplicate", &["Rotation"], "Key id 1 twice.", dup, malformed.clone())?;
    let mut reversed = crate::run::unhex(&trust(&[(1, KEY1.0, KEY1.1)])?)?;
    put(&mut reversed, 5, &KEY1.1.to_be_bytes())?;
    put(&mut reversed, 13, &KEY1.0.to_be_bytes())?;
    td(
        &mut f,
        "reversed-validity",
        &["CredentialValidity"],
        "not_before > not_after.",
        reversed.clone(),
        malformed.clone(),
    )?;
    let mut small = crate::run::unhex(&trust(&[(1, KEY1.0, KEY1.1)])?)?;
    put(&mut small, 21, &super::edge::torsion()[0])?;
    td(
        &mut f,
        "small-order-key",
        &["SmallOrder"],
        "The identity point as a key.",
        small.clone(),
        malformed.clone(),
    )?;
    let mut noncanon = small.clone();
    put(&mut noncanon, 21, &[0xee])?;
    put(&mut noncanon, 22, &[0xff; 30])?;
    put(&mut noncanon, 52, &[0x7f])?;
    td(
        &mut f,
        "non-canonical-key",
        &["NonCanonicalPoint"],
        "A key encoded with y = p + 1.",
        noncanon,
        malformed.clone(),
    )?;
    let mut v2 = two;
    put(&mut v2, 0, &[2])?;
    td(
        &mut f,
        "version-2",
        &["Version"],
        "Version byte 0x02 (malformed, not unsupported-version: the list is not a code).",
        v2,
        malformed,
    )?;
    f.finish()
}

fn revocation_list() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "encoding-revocation-list",
        "The revocation list (spec §4.7): version 0x01, key id u16, number u64, issued_at u64, count u32, strictly ascending serials, signature over \"paycode/v1/ed25519/revocation\" 00 || preceding bytes. Decoding checks structure; installation (scenario files) checks the signature.",
    );
    for (n, number, serials, comment) in [
        ("empty", 1u64, vec![], "No serials: a list that clears every revocation."),
        ("one", 2, vec![SERIAL], "One serial."),
        ("three", 3, vec![5, SERIAL, u64::MAX], "Three serials, the largest 2^64 - 1."),
    ] {
        f.add(
            &format!("revocation.issue.{n}"),
            &["R-REVOKE-1", "R-KEY-3", "R-ENC-3"],
            &["Valid", "DomainSeparation"],
            comment,
            Op::RevocationListIssue,
            json!({"issuer_secret": h(&issuer_secret(1)), "key_id": 1, "number": number, "issued_at": T, "serials": serials}),
            Want::valid(),
        )?;
    }
    let three = crate::run::unhex(&revocation(1, 3, T, vec![5, SERIAL, u64::MAX]))?;
    let rd = |f: &mut FileBuilder, id: &str, flags: &[&str], comment: &str, b: Vec<u8>, want: Want| {
        f.add(
            &format!("revocation.decode.{id}"),
            &["R-REVOKE-1", "R-ENC-3"],
            flags,
            comment,
            Op::RevocationListDecode,
            json!({"bytes": h(&b)}),
            want,
        )
    };
    rd(&mut f, "three", &["Valid"], "Three serials decode.", three.clone(), Want::valid())?;
    rd(
        &mut f,
        "empty",
        &["Valid"],
        "Zero serials decode.",
        crate::run::unhex(&revocation(1, 1, T, vec![]))?,
        Want::valid(),
    )?;
    let malformed = Want::invalid("malformed");
    let mut unsorted = three.clone();
    put(&mut unsorted, 23, &SERIAL.to_be_bytes())?;
    put(&mut unsorted, 31, &5u64.to_be_bytes())?;
    rd(&mut f, "unsorted", &["Revocation"], "Serials 1001 then 5.", unsorted, malformed.clone())?;
    let mut dup = three.clone();
    put(&mut dup, 31, &5u64.to_be_bytes())?;
    rd(&mut f, "duplicate", &["Revocation"], "Serial 5 twice.", dup, malformed.clone())?;
    let mut short = three.clone();
    short.pop();
    rd(&mut f, "truncated", &["Length"], "One byte short.", short, malformed.clone())?;
    rd(
        &mut f,
        "trailing-byte",
        &["Length"],
        "One byte too many.",
        [&three[..], &[0]].concat(),
        malformed.clone(),
    )?;
    let mut count = three.clone();
    put(&mut count, 19, &u32::MAX.to_be_bytes())?;
    rd(
        &mut f,
        "count-max",
        &["Length", "U64Extreme"],
        "count = 2^32 - 1 with three serials: the length check must not overflow.",
        count,
        malformed.clone(),
    )?;
    rd(
        &mut f,
        "header-only",
        &["Length"],
        "The 23-byte header alone.",
        cut(&three, 0, 23)?,
        malformed.clone(),
    )?;
    let mut v2 = three;
    put(&mut v2, 0, &[2])?;
    rd(&mut f, "version-2", &["Version"], "Version byte 0x02.", v2, malformed)?;
    f.finish()
}

fn log_record() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "encoding-log-record",
        "The 44-byte acceptance log record (spec §4.8): version, profile, key id u16, subject u64, counter u32, step u64, accepted_at u64, amount u64, terminal id u32. A log is records back to back.",
    );
    let ed = json!({"profile": "ed25519", "key_id": 1, "subject": SERIAL, "counter": 3, "step": S, "accepted_at": T, "amount": 1250, "terminal_id": 7});
    let hm = json!({"profile": "hmac", "key_id": 0, "subject": ACCOUNT, "counter": 7, "step": S, "accepted_at": T, "amount": 0, "terminal_id": 1});
    let max = json!({"profile": "ed25519", "key_id": u16::MAX, "subject": u64::MAX, "counter": u32::MAX, "step": u64::MAX, "accepted_at": u64::MAX, "amount": u64::MAX, "terminal_id": u32::MAX});
    for (n, r, comment) in [
        ("ed25519", &ed, "An ed25519 acceptance."),
        ("hmac", &hm, "An hmac acceptance: key id and amount 0."),
        ("max", &max, "Every field at its maximum."),
    ] {
        f.add(
            &format!("log.encode.{n}"),
            &["R-LOG-1", "R-ENC-3"],
            &["Valid", "LogRecord"],
            comment,
            Op::LogRecordEncode,
            r.clone(),
            Want::valid(),
        )?;
    }
    let rec = |v: &serde_json::Value| -> VResult<Vec<u8>> {
        let actual = super::run::run(Op::LogRecordEncode, v)?;
        crate::run::unhex(actual.expected.get("bytes").and_then(|b| b.as_str()).unwrap_or_default())
    };
    let (a, b) = (rec(&ed)?, rec(&hm)?);
    let ld = |f: &mut FileBuilder, id: &str, flags: &[&str], comment: &str, bytes: Vec<u8>, want: Want| {
        f.add(
            &format!("log.decode.{id}"),
            &["R-LOG-2", "R-ENC-3"],
            flags,
            comment,
            Op::LogDecode,
            json!({"bytes": h(&bytes)}),
            want,
        )
    };
    ld(
        &mut f,
        "two-records",
        &["Valid"],
        "Two records back to back.",
        [&a[..], &b[..]].concat(),
        Want::valid(),
    )?;
    ld(&mut f, "empty", &["Valid"], "An empty log has no records.", Vec::new(), Want::valid())?;
    let malformed = Want::invalid("malformed");
    ld(&mut f, "truncated", &["Length"], "43 bytes.", cut(&a, 0, 43)?, malformed.clone())?;
    ld(&mut f, "trailing-byte", &["Length"], "45 bytes.", [&a[..], &[0]].concat(), malformed.clone())?;
    ld(
        &mut f,
        "old-layout-46",
        &["Length"],
        "46 bytes: a record with 32-bit key ids, which v1 does not have.",
        [&a[..], &[0, 0]].concat(),
        malformed.clone(),
    )?;
    for (n, at, value, flag, comment) in [
        ("version-2", 0usize, 2u8, "Version", "Version byte 0x02."),
        ("profile-0", 1, 0, "Profile", "Profile byte 0x00."),
        ("profile-3", 1, 3, "Profile", "Profile byte 0x03."),
    ] {
        let mut bad = a.clone();
        put(&mut bad, at, &[value])?;
        ld(&mut f, n, &[flag], comment, [&b[..], &bad[..]].concat(), malformed.clone())?;
    }
    f.finish()
}

fn generate_hmac() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "generate-hmac",
        "hmac wallet generation (spec §7.2): byte-exact payload, QR text and digits from seed, account, time and counter, with K_qr, K_num, the MAC inputs and outputs as intermediates.",
    );
    let g = |f: &mut FileBuilder,
             id: &str,
             reqs: &[&str],
             flags: &[&str],
             comment: &str,
             p: serde_json::Value,
             seed: Vec<u8>,
             account: u64,
             time: u64,
             counter: u32,
             want: Want| {
        f.add(
            &format!("hmac.generate.{id}"),
            reqs,
            flags,
            comment,
            Op::HmacGenerate,
            json!({"params": p, "seed": h(&seed), "account_id": account, "time": time, "counter": counter}),
            want,
        )
    };
    let gen_reqs = ["R-GEN-2", "R-HMAC-1", "R-HMAC-2", "R-KEY-3", "R-ENC-1", "R-TIME-1"];
    g(
        &mut f,
        "spec-worked-example",
        &gen_reqs,
        &["SpecExample", "Generation", "DomainSeparation"],
        "The spec's worked example (section 11.1): seed 00..1f, account 42, counter 7, t = 1800000000.",
        default_params(),
        (0u8..32).collect(),
        42,
        T,
        7,
        Want::valid().with(json!({"text": "PC1:W50000000000.000000007A08WO000700S3C2:2PCJ4TMDURV8K8AJOCG", "digits": "000000023643902217535274"})),
    )?;
    let seed = hmac_seed(ACCOUNT).to_vec();
    for (n, p, time, counter, comment) in [
        ("basic", default_params(), T, 0u32, "Counter 0 at the fixed time."),
        (
            "step-boundary-last",
            default_params(),
            T + 59,
            1,
            "The last second of step S: floor, not rounding.",
        ),
        ("step-boundary-first", default_params(), T + 60, 2, "The first second of step S + 1."),
        ("t0-offset", params_json(1_000_000_000, 30, 2, 1), T, 3, "T0 = 10^9, X = 30: step (t - T0) / 30."),
        ("t-equals-t0", params_json(T, 60, 2, 1), T, 4, "t = T0: step 0."),
        (
            "step-1-second-max-time",
            params_json(0, 1, 2, 1),
            u64::MAX,
            5,
            "X = 1 and t = 2^64 - 1: step 2^64 - 1.",
        ),
        (
            "counter-numeric-max",
            default_params(),
            T,
            0xffff,
            "Counter 2^16 - 1, the largest with a numeric form.",
        ),
        (
            "counter-max-usable",
            default_params(),
            T,
            u32::MAX - 1,
            "Counter 2^32 - 2, the last one a wallet may use; no numeric form.",
        ),
    ] {
        g(
            &mut f,
            n,
            &gen_reqs,
            &["Generation"],
            comment,
            p,
            seed.clone(),
            ACCOUNT,
            time,
            counter,
            Want::valid(),
        )?;
    }
    g(
        &mut f,
        "account-numeric-max",
        &["R-GEN-2", "R-HMAC-4"],
        &["Generation", "NumericLayout"],
        "Account 2^30 - 1, the largest with a numeric form.",
        default_params(),
        seed.clone(),
        (1 << 30) - 1,
        T,
        1,
        Want::valid(),
    )?;
    g(
        &mut f,
        "account-2-30",
        &["R-GEN-2", "R-HMAC-4"],
        &["Generation", "NumericUnavailable"],
        "Account 2^30: QR text only; numeric-unavailable.",
        default_params(),
        seed.clone(),
        1 << 30,
        T,
        1,
        Want::valid().with(json!({"numeric_error": "numeric-unavailable"})),
    )?;
    g(
        &mut f,
        "counter-2-16",
        &["R-GEN-2", "R-HMAC-4"],
        &["Generation", "NumericUnavailable"],
        "Counter 2^16: QR text only; numeric-unavailable.",
        default_params(),
        seed.clone(),
        ACCOUNT,
        T,
        1 << 16,
        Want::valid().with(json!({"numeric_error": "numeric-unavailable"})),
    )?;
    g(
        &mut f,
        "before-epoch",
        &["R-TIME-2"],
        &["BeforeEpoch"],
        "t = T0 - 1: the wallet fails with time-before-epoch.",
        params_json(T, 60, 2, 1),
        seed.clone(),
        ACCOUNT,
        T - 1,
        0,
        Want::invalid("time-before-epoch"),
    )?;
    g(
        &mut f,
        "before-epoch-max",
        &["R-TIME-2", "R-TIME-3"],
        &["BeforeEpoch", "U64Extreme"],
        "T0 = 2^64 - 1 and t = 0.",
        params_json(u64::MAX, 60, 2, 1),
        seed.clone(),
        ACCOUNT,
        0,
        0,
        Want::invalid("time-before-epoch"),
    )?;
    g(
        &mut f,
        "counter-exhausted",
        &["R-GEN-1"],
        &["CounterExhausted", "U64Extreme"],
        "Counter 2^32 - 1: its successor does not exist, so the wallet refuses.",
        default_params(),
        seed,
        ACCOUNT,
        T,
        u32::MAX,
        Want::invalid("counter-exhausted"),
    )?;
    f.finish()
}

fn generate_ed25519() -> VResult<VectorFile> {
    let mut f = FileBuilder::new(
        "generate-ed25519",
        "ed25519 wallet generation (spec §7.3): byte-exact payload and QR text from the wallet seed, credential, time and counter; the device key, signing input and signature as intermediates.",
    );
    let cred = issue(main_fields());
    let g = |f: &mut FileBuilder,
             id: &str,
             reqs: &[&str],
             flags: &[&str],
             comment: &str,
             p: serde_json::Value,
             n: u32,
             cred: &paycode::Credential,
             time: u64,
             counter: u32,
             want: Want| {
        f.add(
            &format!("ed25519.generate.{id}"),
            reqs,
            flags,
            comment,
            Op::Ed25519Generate,
            json!({"params": p, "device_seed": h(device_seed(n).expose()), "credential": h(cred.as_bytes()), "time": time, "counter": counter}),
            want,
        )
    };
    let reqs = ["R-GEN-2", "R-ED-5", "R-KEY-3", "R-ENC-1", "R-TIME-1"];
    g(
        &mut f,
        "basic",
        &reqs,
        &["Generation", "DomainSeparation"],
        "Counter 3 at the fixed time.",
        default_params(),
        1,
        &cred,
        T,
        3,
        Want::valid(),
    )?;
    g(
        &mut f,
        "counter-0",
        &reqs,
        &["Generation"],
        "Counter 0, one minute later.",
        default_params(),
        1,
        &cred,
        T + 60,
        0,
        Want::valid(),
    )?;
    let cred2 = issue(fields(2, 2, 2002, T, 604_800));
    g(
        &mut f,
        "key-2-wallet-2",
        &reqs,
        &["Generation", "Rotation"],
        "Another wallet with a credential of issuer key 2.",
        default_params(),
        2,
        &cred2,
        T + 1,
        9,
        Want::valid(),
    )?;
    g(
        &mut f,
        "step-1-second-max-time",
        &reqs,
        &["Generation", "U64Extreme"],
        "X = 1 and t = 2^64 - 1.",
        params_json(0, 1, 2, 1),
        1,
        &cred,
        u64::MAX,
        1,
        Want::valid(),
    )?;
    g(
        &mut f,
        "before-epoch",
        &["R-TIME-2"],
        &["BeforeEpoch"],
        "t < T0: time-before-epoch.",
        params_json(T, 60, 2, 1),
        1,
        &cred,
        T - 1,
        0,
        Want::invalid("time-before-epoch"),
    )?;
    g(
        &mut f,
        "counter-exhausted",
        &["R-GEN-1"],
        &["CounterExhausted"],
        "Counter 2^32 - 1 is never used.",
        default_params(),
        1,
        &cred,
        T,
        u32::MAX,
        Want::invalid("counter-exhausted"),
    )?;
    f.finish()
}
