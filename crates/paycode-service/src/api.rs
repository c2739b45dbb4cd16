//! The JSON bodies of the HTTP API (documented in the crate's README).

use serde::{Deserialize, Serialize};

use paycode::log::LogRecord;
use paycode::{Error, Profile};

/// The body of `POST /v1/verify`. Unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The code as scanned: QR text (`PC1:…`) or the 24 digits of the numeric form.
    pub code: String,
    /// The payment's amount in minor units. The hmac profile ignores it
    /// (its log record says 0) but for a capped code's cap and a challenge's
    /// amount; the ed25519 profile checks it against the credential's limits too.
    pub amount: u64,
    /// For a challenge-mode payment, the challenge the terminal showed, as
    /// its QR text (`PT1:…`, spec §4.9). It is checked against the terminal
    /// the request's token is bound to; a text that does not decode is the
    /// verdict `malformed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
}

/// The verdict: the answer to `POST /v1/verify` (status 200, or 503 when the
/// state store failed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
pub enum VerifyResponse {
    /// The code is accepted; its acceptance record is committed to the store.
    Accepted {
        /// The acceptance log record (spec §4.8).
        record: Record,
    },
    /// The code is rejected with the spec's error code.
    Rejected {
        /// The spec's error code (spec §9), for example `replayed`.
        code: String,
        /// What it means, for people.
        message: String,
    },
}

impl VerifyResponse {
    /// The spec's verdict: `Ok` with the record, or the error code.
    ///
    /// # Errors
    ///
    /// The rejection's error code; [`Error::Malformed`] for a code string
    /// that is not one of the spec's (not sent by this service).
    pub fn verdict(&self) -> Result<&Record, Error> {
        match self {
            VerifyResponse::Accepted { record } => Ok(record),
            VerifyResponse::Rejected { code, .. } => Err(Error::from_code(code).unwrap_or(Error::Malformed)),
        }
    }
}

/// An acceptance log record (spec §4.8) as JSON, with its 44-byte encoding in hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// `hmac` or `ed25519`.
    pub profile: Profile,
    /// The credential's issuer key id (0 for hmac).
    pub key_id: u16,
    /// The hmac account id or the ed25519 credential serial.
    pub subject: u64,
    /// The code's counter.
    pub counter: u32,
    /// The code's time step.
    pub step: u64,
    /// The node's time of acceptance, unix seconds.
    pub accepted_at: u64,
    /// The amount accepted (0 for hmac).
    pub amount: u64,
    /// The accepting terminal: the one the request's token is bound to for
    /// ed25519, the service's own id for hmac.
    pub terminal_id: u32,
    /// The record's 44-byte encoding, lowercase hex, as reconciliation reads it.
    pub encoded: String,
}

impl From<&LogRecord> for Record {
    fn from(r: &LogRecord) -> Record {
        let encoded = r.encode().iter().fold(String::with_capacity(88), |mut s, b| {
            use core::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        });
        Record {
            profile: r.profile,
            key_id: r.key_id,
            subject: r.subject,
            counter: r.counter,
            step: r.step,
            accepted_at: r.accepted_at,
            amount: r.amount,
            terminal_id: r.terminal_id,
            encoded,
        }
    }
}

impl Record {
    /// The log record.
    pub const fn log_record(&self) -> LogRecord {
        LogRecord {
            profile: self.profile,
            key_id: self.key_id,
            subject: self.subject,
            counter: self.counter,
            step: self.step,
            accepted_at: self.accepted_at,
            amount: self.amount,
            terminal_id: self.terminal_id,
        }
    }
}

/// The body of a refusal before verification (401, 400, 408, 413, 429) and of
/// a failed health check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// `unauthorized`, `bad-request`, `timeout`, `too-large`, `rate-limited`,
    /// `not-found`, `method-not-allowed`.
    pub error: String,
    /// What was wrong, for people.
    pub message: String,
}

/// The body of `GET /v1/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `ok` when the state store answered, `unavailable` when it did not (503).
    pub status: String,
    /// What the store said: `reachable`, or the failure's description.
    pub store: String,
    /// The verifier's high-water step `T_hw` as the store holds it, when reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_water: Option<u64>,
    /// This node's step `T(t)`.
    pub step: u64,
}
