//! `encoding-numeric.json`: the hmac numeric form, 24 ASCII digits of
//! `N < 2^79` (spec §4.3, §5.3).

use paycode::Error;

use super::{Decode, add_decode};
use crate::errors::VectorError;
use crate::format::{NumericEncodeInput, Op, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::{ACCOUNT, DEFAULT_PARAMS, STEP, numeric_text};
use crate::generate::flags::Flag;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "encoding-numeric",
        "The hmac numeric form (spec §4.3, §5.3): 24 ASCII digits of N < 2^79, N = handle30 << 49 | step mod 16 << 45 | masked16 << 29 | tag29.",
    );
    encodings(&mut file)?;
    decodings(&mut file)?;
    Ok(file.finish())
}

/// Fields packed into the digits. Every value of the fields packs: whether a
/// code has a numeric form is the wallet's question (R-HMAC-4, `hmac-generate`).
fn encodings(file: &mut FileBuilder) -> Result<(), VectorError> {
    for (name, handle30, step, masked16, tag29, comment) in [
        ("zero", 0u32, 0u64, 0u16, 0u32, "Every field zero: 24 zeros."),
        ("basic", 42, STEP, 7, 0x0abc_def0 >> 3, "An ordinary code."),
        ("step-low-bits", 1, 0x1234_5678_9abc_def5, 1, 1, "Only the low 4 bits of the step (5) are carried."),
        ("max", (1 << 30) - 1, u64::MAX, 0xffff, (1 << 29) - 1, "Every field at its maximum: N = 2^79 - 1."),
    ] {
        file.add(Case {
            id: &format!("numeric.encode.{name}"),
            requirements: &["R-HMAC-2", "R-ENC-4", "R-HANDLE-2"],
            flags: &[Flag::Valid, Flag::NumericLayout],
            comment,
            op: Op::NumericEncode,
            input: NumericEncodeInput { handle30, step, masked16, tag29 },
            intent: Intent::valid(),
        })?;
    }
    for name in ["account-2-30", "counter-2-16"] {
        file.retire(
            &format!("numeric.encode.unavailable-{name}"),
            "numeric-encode packs handle30 and masked16, which always fit: a code carries no account id, and whether a code has a numeric form (R-HMAC-4) is tested by hmac-generate",
        );
    }
    Ok(())
}

/// Digits that decode, and every way digits can fail to be the numeric form.
fn decodings(file: &mut FileBuilder) -> Result<(), VectorError> {
    let digits = numeric_text(&DEFAULT_PARAMS, ACCOUNT, STEP, 7)?;
    for (id, requirements, flags, comment, text) in [
        (
            "numeric.decode.valid",
            &["R-ENC-4", "R-HMAC-2"][..],
            &[Flag::Valid, Flag::NumericLayout][..],
            "A valid code's digits.",
            digits.as_str(),
        ),
        (
            "numeric.decode.zeros",
            &["R-ENC-4"],
            &[Flag::Valid],
            "24 zeros decode (to account 0, counter 0, tag 0).",
            "000000000000000000000000",
        ),
        (
            "numeric.decode.max",
            &["R-ENC-4", "R-HMAC-2"],
            &[Flag::Valid, Flag::NumericLayout],
            "2^79 - 1, the largest value.",
            "604462909807314587353087",
        ),
    ] {
        add_decode(
            file,
            Decode { id, requirements, flags, comment, text: text.to_owned(), intent: Intent::valid() },
        )?;
    }
    let tail = |from: usize| digits.get(from..).unwrap_or_default();
    let head = digits.get(..23).unwrap_or_default();
    let mapped = |zero: u32| -> String {
        digits.chars().map(|c| char::from_u32(zero + (c as u32 - 0x30)).unwrap_or('?')).collect()
    };
    for (name, text, comment) in [
        ("2-79", "604462909807314587353088".to_owned(), "2^79 exactly."),
        ("all-nines", "9".repeat(24), "The largest 24-digit number."),
        ("23-digits", tail(1).to_owned(), "23 digits."),
        ("25-digits", format!("0{digits}"), "25 digits."),
        ("letter", format!("{head}a"), "A letter in place of the last digit."),
        ("plus-sign", format!("+{}", tail(1)), "A leading plus sign."),
        ("space", format!(" {}", tail(1)), "A leading space."),
        ("newline", format!("{head}\n"), "A line feed in place of the last digit."),
        (
            "arabic-indic",
            format!("\u{660}{}", tail(2)),
            "An Arabic-Indic zero (non-ASCII digit) in front of 22 digits: 24 bytes in UTF-8.",
        ),
        (
            "fullwidth",
            format!("\u{ff10}{}", tail(3)),
            "A fullwidth zero in front of 21 digits: 24 bytes in UTF-8.",
        ),
        (
            "fullwidth-24",
            mapped(0xff10),
            "24 fullwidth digits: 24 characters that are Unicode decimal digits, none of them ASCII.",
        ),
        (
            "arabic-indic-24",
            mapped(0x660),
            "24 Arabic-Indic digits: Unicode decimal digits, none of them ASCII.",
        ),
        (
            "leading-space-24",
            format!(" {digits}"),
            "A valid code's 24 digits after a space: nothing is trimmed.",
        ),
        (
            "trailing-newline-24",
            format!("{digits}\n"),
            "A valid code's 24 digits and a line feed: nothing is trimmed.",
        ),
        (
            "trailing-crlf-24",
            format!("{digits}\r\n"),
            "A valid code's 24 digits, CR and LF: nothing is trimmed.",
        ),
    ] {
        add_decode(
            file,
            Decode {
                id: &format!("numeric.decode.reject-{name}"),
                requirements: &["R-ENC-4"],
                flags: &[Flag::NumericSyntax],
                comment,
                text,
                intent: Intent::invalid(Error::Malformed),
            },
        )?;
    }
    Ok(())
}
