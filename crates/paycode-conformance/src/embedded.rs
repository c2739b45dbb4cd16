//! The committed vectors (`vectors/*.json`), built into the runner so that
//! `paycode conformance run` works from any folder. `--vectors DIR` reads
//! another folder instead; a test keeps this list equal to the folder.

use paycode_vectors::VectorError;
use paycode_vectors::suite::Suite;

/// Declares [`FILES`] from the file names, each embedded with `include_str!`.
macro_rules! embed {
    ($($name:literal,)*) => {
        /// The vector files as (file name, contents), by name.
        pub const FILES: &[(&str, &str)] = &[$(($name, include_str!(concat!("../../../vectors/", $name))),)*];
    };
}

embed! {
    "ed25519-edge.json",
    "ed25519-speccheck.json",
    "encoding-credential.json",
    "encoding-ed25519-payload.json",
    "encoding-hmac-payload.json",
    "encoding-log-record.json",
    "encoding-modes.json",
    "encoding-numeric.json",
    "encoding-revocation-list.json",
    "encoding-trust-list.json",
    "generate-ed25519.json",
    "generate-hmac.json",
    "keys.json",
    "params.json",
    "primitives-base45.json",
    "primitives-ed25519.json",
    "primitives-hkdf.json",
    "primitives-hmac-sha256.json",
    "scenarios-batch.json",
    "scenarios-challenge.json",
    "scenarios-clock.json",
    "scenarios-enrol.json",
    "scenarios-evict.json",
    "scenarios-handles.json",
    "scenarios-limits.json",
    "scenarios-reconcile.json",
    "scenarios-replay.json",
    "scenarios-restart.json",
    "scenarios-revocation.json",
    "scenarios-rotation.json",
    "scenarios-throttle.json",
    "verify-ed25519.json",
    "verify-hmac.json",
    "verify-modes.json",
    "verify-numeric.json",
}

/// The built-in suite.
///
/// # Errors
///
/// A file does not load; the tests keep this from happening.
pub fn suite() -> Result<Suite, VectorError> {
    Suite::from_texts(FILES.iter().copied())
}
