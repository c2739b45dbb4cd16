//! `primitives-base45.json`: Base45 as paycode uses it, with its canonical
//! decoder that rejects every text the encoder cannot produce (spec R-ENC-2).

use paycode::Error;

use crate::errors::VectorError;
use crate::format::{BytesInput, Op, TextInput, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::hex;
use crate::generate::flags::Flag;

/// The file.
pub(super) fn file() -> Result<VectorFile, VectorError> {
    let mut file = FileBuilder::new(
        "primitives-base45",
        "Base45 (RFC 9285) as paycode uses it: encoding, and the canonical decoder that rejects every text the encoder cannot produce (spec R-ENC-2). Decoding errors are `malformed`.",
    )
    .source("RFC 9285", "The Base45 Data Encoding, §4.3 (encoding examples) and §4.4 (decoding example)");
    rfc9285_examples(&mut file)?;
    edges(&mut file)?;
    rejects(&mut file)?;
    Ok(file.finish())
}

/// The RFC's examples, encoded and decoded.
fn rfc9285_examples(file: &mut FileBuilder) -> Result<(), VectorError> {
    for (name, bytes, text) in [
        ("ab", &b"AB"[..], "BB8"),
        ("hello", b"Hello!!", "%69 VD92EX0"),
        ("base-45", b"base-45", "UJCLQE7W581"),
        ("ietf", b"ietf!", "QED8WEX0"),
    ] {
        let shown = String::from_utf8_lossy(bytes);
        file.add(Case {
            id: &format!("primitive.base45.encode-rfc9285-{name}"),
            requirements: &["R-ENC-1"],
            flags: &[Flag::Published],
            comment: &format!("RFC 9285 example: {shown:?} encodes to {text:?}."),
            op: Op::Base45Encode,
            input: BytesInput { bytes: hex(bytes) },
            intent: Intent::valid().with("text", text),
        })?;
        file.add(Case {
            id: &format!("primitive.base45.decode-rfc9285-{name}"),
            requirements: &["R-ENC-2"],
            flags: &[Flag::Published, Flag::Valid],
            comment: &format!("RFC 9285 example: {text:?} decodes to {shown:?}."),
            op: Op::Base45Decode,
            input: TextInput { text: text.into() },
            intent: Intent::valid().with("bytes", hex(bytes)),
        })?;
    }
    Ok(())
}

/// The ends of the group values, and the empty string, both ways.
fn edges(file: &mut FileBuilder) -> Result<(), VectorError> {
    for (name, bytes, comment) in [
        ("empty", &[][..], "No bytes encode to the empty text."),
        ("ffff", &[0xff, 0xff], "The largest pair, 65535, is FGW."),
        ("ff", &[0xff], "The largest single byte, 255, is U5."),
        ("zero", &[0x00], "A single zero byte is 00."),
    ] {
        file.add(Case {
            id: &format!("primitive.base45.encode-{name}"),
            requirements: &["R-ENC-1"],
            flags: &[Flag::Valid],
            comment,
            op: Op::Base45Encode,
            input: BytesInput { bytes: hex(bytes) },
            intent: Intent::valid(),
        })?;
    }
    for (name, text, comment) in [
        ("max-pair", "FGW", "65535, the largest value of a 3-character group."),
        ("max-byte", "U5", "255, the largest value of a final 2-character group."),
        ("space", "B B", "Space is the alphabet character of value 36; it is data, not white space."),
        (
            "empty",
            "",
            "The empty text is the empty byte string (the QR decoder rejects an empty payload separately).",
        ),
    ] {
        file.add(Case {
            id: &format!("primitive.base45.decode-{name}"),
            requirements: &["R-ENC-2"],
            flags: &[Flag::Valid],
            comment,
            op: Op::Base45Decode,
            input: TextInput { text: text.into() },
            intent: Intent::valid(),
        })?;
    }
    Ok(())
}

/// Texts the encoder never produces: each is `malformed`.
fn rejects(file: &mut FileBuilder) -> Result<(), VectorError> {
    for (name, text, flag, comment) in [
        (
            "group-65536",
            "GGW",
            Flag::NonCanonicalBase45,
            "A 3-character group of value 65536 does not fit in 2 bytes.",
        ),
        ("group-max", ":::", Flag::NonCanonicalBase45, "The largest 3-character group, 91124."),
        (
            "pair-256",
            "V5",
            Flag::NonCanonicalBase45,
            "A final 2-character group of value 256 does not fit in a byte.",
        ),
        ("pair-max", "::", Flag::NonCanonicalBase45, "The largest 2-character group, 2024."),
        ("length-1", "A", Flag::Length, "A single character is no group."),
        ("length-4", "BB8A", Flag::Length, "Length 4 leaves a dangling character."),
        (
            "lowercase",
            "bb8",
            Flag::Base45Alphabet,
            "Lower-case letters are outside the alphabet; a decoder must not fold case.",
        ),
        (
            "newline",
            "BB\n",
            Flag::Base45Alphabet,
            "A line feed is outside the alphabet; a decoder must not trim.",
        ),
        ("tab", "\tB8", Flag::Base45Alphabet, "A tab is outside the alphabet."),
        (
            "non-ascii",
            "\u{c4}B",
            Flag::Base45Alphabet,
            "A non-ASCII character (its UTF-8 bytes are outside the alphabet).",
        ),
        ("equals", "BB=", Flag::Base45Alphabet, "'=' is not an alphabet character."),
    ] {
        file.add(Case {
            id: &format!("primitive.base45.decode-reject-{name}"),
            requirements: &["R-ENC-2"],
            flags: &[flag],
            comment,
            op: Op::Base45Decode,
            input: TextInput { text: text.into() },
            intent: Intent::invalid(Error::Malformed),
        })?;
    }
    Ok(())
}
