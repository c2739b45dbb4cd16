//! The primitives anchored in published vectors, the parameter ranges, key
//! derivation, the Ed25519 edge cases, and the ed25519-speccheck cases.

mod base45;
mod ed25519_edge;
mod ed25519_speccheck;
mod keys;
mod published;

use crate::errors::VectorError;
use crate::format::VectorFile;

/// `primitives-*.json`, `params.json`, `keys.json`, `ed25519-edge.json` and
/// `ed25519-speccheck.json`.
pub(super) fn files() -> Result<Vec<VectorFile>, VectorError> {
    Ok(vec![
        published::hmac_sha256()?,
        published::hkdf()?,
        published::ed25519()?,
        base45::file()?,
        keys::params()?,
        keys::derivation()?,
        ed25519_edge::file()?,
        ed25519_speccheck::file()?,
    ])
}
