//! The JSON bodies of the HTTP API (documented in the crate's README).

use serde::{Deserialize, Serialize};

use paycode::codec::to_hex;
use paycode::log::LogRecord;
use paycode::{Acceptance, Error, Profile};

/// The body of `POST /v1/verify`. Unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The code as scanned: QR text (`PC3:…`) or the 24 digits of the numeric form.
    pub code: String,
    /// The payment's amount in minor units. The hmac profile ignores it
    /// (its log record says 0) but for a capped code's cap and a challenge's
    /// amount; the ed25519 profile checks it against the credential's limits too.
    pub amount: u64,
    /// For a challenge-mode payment, the challenge the terminal showed, as
    /// its QR text (`PT3:…`, spec §4.9). It is checked against the terminal
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

/// An acceptance log record (spec §4.8) as JSON, with its encoding in hex.
/// `subject` and `counter` are the verifier's: an hmac code carries its
/// account's handle for the step and its counter masked (spec §4.2), which
/// the evidence and the encoding keep as they were; the record names the
/// account the handle resolved to and the real counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// `hmac` or `ed25519`.
    pub profile: Profile,
    /// The record's kind: the code's mode and profile byte, or `0x81` for a
    /// numeric code.
    pub kind: u8,
    /// The hmac account the code resolved to, or the ed25519 credential serial.
    pub subject: u64,
    /// The code's real counter (an hmac code's evidence carries it masked).
    pub counter: u32,
    /// The code's time step.
    pub step: u64,
    /// The node's time of acceptance, unix seconds.
    pub accepted_at: u64,
    /// The amount accepted.
    pub amount: u64,
    /// The accepting terminal: the one the request's token is bound to for
    /// ed25519, the service's own id for hmac.
    pub terminal_id: u32,
    /// The evidence: the code's payload, or `N` of a numeric code, lowercase hex.
    pub evidence: String,
    /// The challenge the code answered, lowercase hex (challenge codes only).
    pub challenge: Option<String>,
    /// The record's encoding, lowercase hex, as reconciliation reads it.
    pub encoded: String,
}

impl From<&Acceptance> for Record {
    fn from(a: &Acceptance) -> Record {
        let r = &a.record;
        Record {
            profile: r.profile(),
            kind: r.kind(),
            subject: a.subject,
            counter: a.counter,
            step: r.step(),
            accepted_at: r.accepted_at,
            amount: r.amount,
            terminal_id: r.terminal_id,
            evidence: to_hex(r.evidence()),
            challenge: r.challenge().map(|c| to_hex(&c.encode())),
            encoded: to_hex(&r.encode()),
        }
    }
}

impl Record {
    /// The log record its encoding holds.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if `encoded` is not the hex of a well-formed record.
    pub fn log_record(&self) -> Result<LogRecord, Error> {
        let bytes = paycode::codec::from_hex(&self.encoded).map_err(|_| Error::Malformed)?;
        LogRecord::decode(&bytes)
    }
}

/// The body of a refusal before verification (401, 400, 408, 413, 429, 431,
/// and 404 and 405 for a route or method the service does not have).
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
