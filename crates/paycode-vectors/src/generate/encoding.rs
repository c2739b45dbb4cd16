//! Encoding and decoding of every structure: the code payloads and their
//! texts, the numeric form, credentials, trust and revocation lists, and log
//! records, with the non-canonical and malformed inputs a decoder must refuse.

mod codes;
mod lists;
mod modes;
mod numeric;
mod records;

use crate::errors::VectorError;
use crate::format::{BytesInput, Op, TextInput, VectorFile};
use crate::generate::builder::{Case, FileBuilder, Intent};
use crate::generate::fixtures::hex;
use crate::generate::flags::Flag;

/// `encoding-*.json`.
pub(super) fn files() -> Result<Vec<VectorFile>, VectorError> {
    Ok(vec![
        codes::hmac_payload()?,
        numeric::file()?,
        codes::ed25519_payload()?,
        modes::file()?,
        records::credential()?,
        lists::trust_list()?,
        lists::revocation_list()?,
        records::log_record()?,
    ])
}

/// A `code-decode` case.
struct Decode<'a> {
    id: &'a str,
    requirements: &'a [&'a str],
    flags: &'a [Flag],
    comment: &'a str,
    text: String,
    intent: Intent,
}

fn add_decode(file: &mut FileBuilder, case: Decode<'_>) -> Result<(), VectorError> {
    file.add(Case {
        id: case.id,
        requirements: case.requirements,
        flags: case.flags,
        comment: case.comment,
        op: Op::CodeDecode,
        input: TextInput { text: case.text },
        intent: case.intent,
    })
}

/// A decode case of a byte structure: its name within the area, and the outcome.
struct BytesDecode<'a> {
    name: &'a str,
    flags: &'a [Flag],
    comment: &'a str,
    bytes: Vec<u8>,
    intent: Intent,
}

/// Adds `{area}.decode.{name}` cases of `op`, each exercising `requirements`.
fn add_bytes_decodes<'a>(
    file: &mut FileBuilder,
    area: &str,
    requirements: &[&str],
    op: Op,
    decodes: impl IntoIterator<Item = BytesDecode<'a>>,
) -> Result<(), VectorError> {
    for decode in decodes {
        file.add(Case {
            id: &format!("{area}.decode.{}", decode.name),
            requirements,
            flags: decode.flags,
            comment: decode.comment,
            op,
            input: BytesInput { bytes: hex(&decode.bytes) },
            intent: decode.intent,
        })?;
    }
    Ok(())
}
