//! The JSON test vectors of paycode v1: their format, the deterministic
//! generator that writes `vectors/`, the checker that runs the reference
//! implementation over every case, and the requirement traceability map.
//!
//! `vectors/README.md` defines the format for implementers in other
//! languages; the types in [`format`](mod@format) are the same definition in Rust, read
//! with `deny_unknown_fields` throughout.
//!
//! ```no_run
//! let dir = std::path::Path::new("vectors");
//! let report = paycode_vectors::check::check_dir(dir).unwrap();
//! assert!(report.cases >= 300);
//! ```

pub mod check;
mod edge;
pub mod format;
pub mod generate;
mod generate_encoding;
mod generate_fixtures;
mod generate_primitives;
mod generate_scenarios;
mod generate_speccheck;
mod generate_verify;
pub mod run;
pub mod trace;

/// Why vectors could not be generated, read or checked: a message naming the
/// file and case where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorError(String);

impl VectorError {
    /// An error with this message.
    pub fn new(msg: impl Into<String>) -> VectorError {
        VectorError(msg.into())
    }

    /// The same error, with `context` (a file or case id) in front.
    #[must_use]
    pub fn context(self, context: &str) -> VectorError {
        VectorError(format!("{context}: {}", self.0))
    }
}

impl core::fmt::Display for VectorError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VectorError {}

impl From<serde_json::Error> for VectorError {
    fn from(e: serde_json::Error) -> VectorError {
        VectorError(format!("json: {e}"))
    }
}

impl From<std::io::Error> for VectorError {
    fn from(e: std::io::Error) -> VectorError {
        VectorError(format!("i/o: {e}"))
    }
}

impl From<paycode::HexError> for VectorError {
    fn from(e: paycode::HexError) -> VectorError {
        VectorError(format!("hex: {e}"))
    }
}

/// Shorthand for results in this module.
pub type VResult<T> = Result<T, VectorError>;

/// Every requirement id of paycode v1 (spec section 14).
pub const REQUIREMENT_IDS: &[&str] = &[
    "R-TIME-1",
    "R-TIME-2",
    "R-TIME-3",
    "R-TIME-4",
    "R-TIME-5",
    "R-TIME-6",
    "R-TIME-7",
    "R-KEY-1",
    "R-KEY-2",
    "R-KEY-3",
    "R-KEY-4",
    "R-ENC-1",
    "R-ENC-2",
    "R-ENC-3",
    "R-ENC-4",
    "R-ENC-5",
    "R-HMAC-1",
    "R-HMAC-2",
    "R-HMAC-3",
    "R-HMAC-4",
    "R-HMAC-5",
    "R-HMAC-6",
    "R-ED-1",
    "R-ED-2",
    "R-ED-3",
    "R-ED-4",
    "R-ED-5",
    "R-ED-6",
    "R-TRUST-1",
    "R-TRUST-2",
    "R-REVOKE-1",
    "R-REVOKE-2",
    "R-REVOKE-3",
    "R-VERIFY-1",
    "R-VERIFY-2",
    "R-VERIFY-3",
    "R-REPLAY-1",
    "R-REPLAY-2",
    "R-REPLAY-3",
    "R-REPLAY-4",
    "R-REPLAY-5",
    "R-REPLAY-6",
    "R-GEN-1",
    "R-GEN-2",
    "R-GEN-3",
    "R-LIMIT-1",
    "R-LIMIT-2",
    "R-LOG-1",
    "R-LOG-2",
    "R-LOG-3",
];
