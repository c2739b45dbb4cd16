//! The deterministic generator of `vectors/`, a tool separate from the format
//! ([`crate::format`]) and from the checker ([`crate::check`]).
//!
//! Every key comes from a seed derived from a label ([`seed_bytes`]), every
//! time is fixed, and every case is a typed value that states the outcome the
//! spec requires: the generator runs the reference and refuses to write a case
//! whose outcome differs from that intent. The cases are grouped by area, one
//! module per vector file or family of files:
//!
//! - `primitives`: published vectors of the primitives, parameters, key
//!   derivation and the Ed25519 edge cases;
//! - `encoding`: every structure's encoding and decoding;
//! - `wallet`: byte-exact code generation of both profiles;
//! - `verify`: one verification from an explicit state, per profile, with the
//!   precedence of the checks apart;
//! - `scenarios`: ordered steps on one verifier, and reconciliation.

mod builder;
mod encoding;
mod fixtures;
mod flags;
mod primitives;
mod scenarios;
mod verify;
mod wallet;

use std::path::{Path, PathBuf};

use crate::errors::VectorError;
use crate::format::VectorFile;

pub use fixtures::seed_bytes;

/// Every vector file, in a fixed order.
///
/// # Errors
///
/// A case whose reference outcome differs from its stated intent, or a
/// fixture that cannot be built.
pub fn generate() -> Result<Vec<VectorFile>, VectorError> {
    let mut files = primitives::files()?;
    files.extend(encoding::files()?);
    files.extend(wallet::files()?);
    files.extend(verify::files()?);
    files.extend(scenarios::files()?);
    Ok(files)
}

/// The canonical text of a file: pretty JSON with two-space indents and a final newline.
///
/// # Errors
///
/// [`VectorError::Serialize`].
pub fn to_text(file: &VectorFile) -> Result<String, VectorError> {
    Ok(serde_json::to_string_pretty(file).map_err(VectorError::Serialize)? + "\n")
}

/// Generates every file into `out` (created if absent), with the files'
/// JSON Schema, returning the paths written.
///
/// # Errors
///
/// Generation or writing failed.
pub fn write(out: &Path) -> Result<Vec<PathBuf>, VectorError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |source| VectorError::Write { path, source }
    };
    std::fs::create_dir_all(out).map_err(write_error(out))?;
    let mut written = Vec::new();
    for file in generate()? {
        let path = out.join(format!("{}.json", file.name));
        crate::files::write_output(&path, to_text(&file)?.as_bytes()).map_err(write_error(&path))?;
        written.push(path);
    }
    // The files' JSON Schema, written by hand, beside them: the folder is a
    // suite that `check_dir` (and any JSON Schema validator) takes as it is.
    let path = out.join(crate::suite::SCHEMA_FILE);
    crate::files::write_output(&path, SCHEMA.as_bytes()).map_err(write_error(&path))?;
    written.push(path);
    Ok(written)
}

/// The vector files' JSON Schema, `vectors/schema.json`.
pub const SCHEMA: &str = include_str!("../../../vectors/schema.json");

/// Why the cases of a version byte 0x02 were retired: 0x02 is the version
/// byte of this protocol version, and the cases of another version's byte
/// use 0x01, that of the retired v1.
pub(crate) const VERSION_2_RETIRED: &str = "version 0x02 is this version of the protocol; a version byte of another one is tested with 0x01, of the retired v1";
