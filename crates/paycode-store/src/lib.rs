#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use paycode::VerifierState;
use paycode::log::{LogRecord, RECORD_LEN};

mod codec;

#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "postgres")]
pub mod postgres;

#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore};

/// The schema version this crate writes and reads. A store of an older
/// version is migrated forward when it is opened; a store of a newer
/// version is refused with `StoreErrorKind::Incompatible`.
pub const SCHEMA_VERSION: u32 = 2;

/// Everything a store holds except its log, read as one consistent view:
/// for a one-time import's round trip, for audits, and for the tests that
/// compare stores.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contents {
    /// The replay windows, ledger, `T_hw`, `Q` and the installed revocation
    /// list, in the core's snapshot form. A store keeps one `T_hw` and one
    /// `Q`, so both profiles' snapshots carry the same values.
    pub state: VerifierState,
    /// The hmac throttle records `(account, step, failures)`, sorted by
    /// account (spec: R-HMAC-6, R-STATE-6).
    pub throttle: Vec<(u64, u64, u32)>,
}

/// The log records in the spec's format, back to back (spec §4.8): what
/// `paycode reconcile` reads.
pub fn encode_log(records: &[LogRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len().saturating_mul(RECORD_LEN));
    for r in records {
        out.extend_from_slice(&r.encode());
    }
    out
}
