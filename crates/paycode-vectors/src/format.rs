//! The vector format: one JSON file per operation group, each a list of
//! cases. A case's `input` is everything an implementation needs; its
//! `expected` and `intermediates` are withheld from the implementation under
//! test and compared afterwards. Every struct denies unknown fields.
//!
//! Byte strings are lowercase hex. Integers are JSON integers up to `2^64 - 1`
//! (read them with arbitrary-precision or unsigned 64-bit integers). Error
//! codes are typed: [`paycode::Error`] for verdicts and decoding,
//! [`paycode::GenerateError`] for wallet operations, each written as its code
//! string. Log records, profiles and double acceptances are the core's own
//! types.
//!
//! `vectors/README.md` is the same definition for implementers in other
//! languages.

mod encoding;
mod primitives;
mod trace;
mod verifier;
mod wallet;

use std::collections::BTreeMap;

use paycode::{Error, GenerateError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use encoding::*;
pub use primitives::*;
pub use trace::*;
pub use verifier::*;
pub use wallet::*;

/// The `format` value of a vector file.
pub const FORMAT: &str = "paycode-vectors-v1";
/// The `format` value of the traceability file.
pub const TRACE_FORMAT: &str = "paycode-traceability-v1";

/// One vector file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The spec version the expectations follow: `"paycode v3"`.
    pub spec_version: String,
    /// The file's name without `.json`, for example `"verify-hmac"`.
    pub name: String,
    /// What the file covers.
    pub description: String,
    /// Published sources of the expected values, where they come from outside this project.
    pub sources: Vec<Source>,
    /// Every flag used by a case in this file, with the bug class it targets.
    pub notes: BTreeMap<String, Note>,
    /// Case ids no longer used; never reused.
    pub retired: Vec<Retired>,
    /// The cases, in a stable order.
    pub cases: Vec<Case>,
}

/// A published source of test values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Short name, such as `"RFC 4231"`.
    pub name: String,
    /// Title and section.
    pub reference: String,
}

/// What a flag means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// The class of implementation bug the flagged cases catch.
    pub bug_class: String,
    /// A longer description.
    pub description: String,
}

/// A retired case id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retired {
    /// The id.
    pub id: String,
    /// Why it was retired.
    pub reason: String,
}

/// One test case. `input` is sent to an implementation; `expected` and
/// `intermediates` are what it must answer and what helps find a bug.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Stable namespaced id, for example `hmac.verify.replayed-counter`.
    pub id: String,
    /// The requirement ids the case exercises.
    pub requirements: Vec<String>,
    /// What the case is about.
    pub comment: String,
    /// Flags, each explained in the file's `notes`.
    pub flags: Vec<String>,
    /// The operation.
    pub op: Op,
    /// The operation's input (typed per op, see [`Op`]).
    pub input: Value,
    /// The expected output (typed per op).
    pub expected: Value,
    /// Intermediate values for debugging (typed per op); not part of the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intermediates: Option<Value>,
}

impl Case {
    /// The profile the id names by its first part (`hmac.` or `ed25519.`), if any.
    pub fn profile(&self) -> Option<paycode::Profile> {
        self.id.split('.').next().and_then(paycode::Profile::from_name)
    }
}

/// The operations, with their input and expected types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// [`MacInput`] → [`MacExpected`].
    HmacSha256,
    /// [`HkdfInput`] → [`HkdfExpected`].
    HkdfSha256,
    /// [`SignInput`] → [`SignExpected`].
    Ed25519Sign,
    /// [`SigVerifyInput`] → [`ValidityExpected`], [`SigVerifyIntermediates`].
    Ed25519Verify,
    /// [`PointInput`] → [`ValidityExpected`], [`PointIntermediates`].
    Ed25519Point,
    /// [`BytesInput`] → [`TextExpected`].
    Base45Encode,
    /// [`TextInput`] → [`BytesExpected`].
    Base45Decode,
    /// [`TimeParams`] → [`ValidityExpected`].
    ParamsCheck,
    /// [`DeriveInput`] → [`DeriveExpected`], [`DeriveIntermediates`].
    DeriveKey,
    /// [`HandleInput`] → [`HandleExpected`].
    HmacHandle,
    /// [`HmacCodeEncodeInput`] → [`PayloadExpected`].
    HmacCodeEncode,
    /// [`NumericEncodeInput`] → [`DigitsExpected`].
    NumericEncode,
    /// [`Ed25519CodeEncodeInput`] → [`PayloadExpected`].
    Ed25519CodeEncode,
    /// [`TextInput`] → [`CodeDecodeExpected`].
    CodeDecode,
    /// [`ChallengeFields`] → [`ChallengeExpected`].
    ChallengeEncode,
    /// [`TextInput`] → [`ChallengeDecodeExpected`].
    ChallengeDecode,
    /// [`CredentialIssueInput`] → [`CredentialIssueExpected`], [`SigningIntermediates`].
    CredentialIssue,
    /// [`BytesInput`] → [`CredentialDecodeExpected`].
    CredentialDecode,
    /// [`BatchIssueInput`] → [`BatchIssueExpected`], [`BatchIssueIntermediates`].
    CredentialBatchIssue,
    /// [`TrustListEncodeInput`] → [`BytesExpected`].
    TrustListEncode,
    /// [`BytesInput`] → [`TrustListDecodeExpected`].
    TrustListDecode,
    /// [`RevocationIssueInput`] → [`BytesExpected`], [`SigningIntermediates`].
    RevocationListIssue,
    /// [`BytesInput`] → [`RevocationDecodeExpected`].
    RevocationListDecode,
    /// [`LogRecord`](paycode::log::LogRecord) → [`BytesExpected`].
    LogRecordEncode,
    /// [`BytesInput`] → [`LogDecodeExpected`].
    LogDecode,
    /// [`HmacGenerateInput`] → [`HmacGenerateExpected`], [`HmacGenerateIntermediates`].
    HmacGenerate,
    /// [`Ed25519GenerateInput`] → [`Ed25519GenerateExpected`], [`SigningIntermediates`].
    Ed25519Generate,
    /// [`Ed25519BatchGenerateInput`] → [`Ed25519BatchGenerateExpected`].
    Ed25519BatchGenerate,
    /// [`VerifyInput`] → [`VerifyExpected`], [`VerifyIntermediates`].
    Verify,
    /// [`ScenarioInput`] → [`ScenarioExpected`].
    Scenario,
    /// [`ReconcileInput`] → [`ReconcileExpected`].
    Reconcile,
}

impl Op {
    /// Every op, in declaration order.
    pub const ALL: [Op; 31] = [
        Op::HmacSha256,
        Op::HkdfSha256,
        Op::Ed25519Sign,
        Op::Ed25519Verify,
        Op::Ed25519Point,
        Op::Base45Encode,
        Op::Base45Decode,
        Op::ParamsCheck,
        Op::DeriveKey,
        Op::HmacHandle,
        Op::HmacCodeEncode,
        Op::NumericEncode,
        Op::Ed25519CodeEncode,
        Op::CodeDecode,
        Op::ChallengeEncode,
        Op::ChallengeDecode,
        Op::CredentialIssue,
        Op::CredentialDecode,
        Op::CredentialBatchIssue,
        Op::TrustListEncode,
        Op::TrustListDecode,
        Op::RevocationListIssue,
        Op::RevocationListDecode,
        Op::LogRecordEncode,
        Op::LogDecode,
        Op::HmacGenerate,
        Op::Ed25519Generate,
        Op::Ed25519BatchGenerate,
        Op::Verify,
        Op::Scenario,
        Op::Reconcile,
    ];

    /// The op's name in the JSON files.
    pub const fn name(self) -> &'static str {
        match self {
            Op::HmacSha256 => "hmac-sha256",
            Op::HkdfSha256 => "hkdf-sha256",
            Op::Ed25519Sign => "ed25519-sign",
            Op::Ed25519Verify => "ed25519-verify",
            Op::Ed25519Point => "ed25519-point",
            Op::Base45Encode => "base45-encode",
            Op::Base45Decode => "base45-decode",
            Op::ParamsCheck => "params-check",
            Op::DeriveKey => "derive-key",
            Op::HmacHandle => "hmac-handle",
            Op::HmacCodeEncode => "hmac-code-encode",
            Op::NumericEncode => "numeric-encode",
            Op::Ed25519CodeEncode => "ed25519-code-encode",
            Op::CodeDecode => "code-decode",
            Op::ChallengeEncode => "challenge-encode",
            Op::ChallengeDecode => "challenge-decode",
            Op::CredentialIssue => "credential-issue",
            Op::CredentialDecode => "credential-decode",
            Op::CredentialBatchIssue => "credential-batch-issue",
            Op::TrustListEncode => "trust-list-encode",
            Op::TrustListDecode => "trust-list-decode",
            Op::RevocationListIssue => "revocation-list-issue",
            Op::RevocationListDecode => "revocation-list-decode",
            Op::LogRecordEncode => "log-record-encode",
            Op::LogDecode => "log-decode",
            Op::HmacGenerate => "hmac-generate",
            Op::Ed25519Generate => "ed25519-generate",
            Op::Ed25519BatchGenerate => "ed25519-batch-generate",
            Op::Verify => "verify",
            Op::Scenario => "scenario",
            Op::Reconcile => "reconcile",
        }
    }

    /// The op named `name` in the JSON files, if any.
    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether the op is a wallet operation, whose errors are wallet codes.
    pub const fn is_wallet_op(self) -> bool {
        matches!(self, Op::HmacGenerate | Op::Ed25519Generate | Op::NumericEncode)
    }
}

/// The outcome class of a case, as in Wycheproof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The input must be accepted and the outputs must match.
    Valid,
    /// The input must be rejected, with `error` where the spec defines a code.
    Invalid,
    /// Either is conforming; only where the spec allows a choice (no v1 case).
    Acceptable,
}

/// The error code of an invalid outcome: a verdict or decoding error, or a
/// wallet error.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// A verifier's or decoder's error code (spec §9).
    Verdict(Error),
    /// A wallet's error code (spec §9, wallet codes).
    Wallet(GenerateError),
}

impl ErrorCode {
    /// The code string, for example `"replayed"`.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorCode::Verdict(e) => e.code(),
            ErrorCode::Wallet(e) => e.code(),
        }
    }
}

impl From<Error> for ErrorCode {
    fn from(e: Error) -> ErrorCode {
        ErrorCode::Verdict(e)
    }
}

impl From<GenerateError> for ErrorCode {
    fn from(e: GenerateError) -> ErrorCode {
        ErrorCode::Wallet(e)
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.code())
    }
}

/// A stated outcome: the result, and the error code of an invalid one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Valid, invalid or acceptable.
    pub result: Outcome,
    /// The error code, where the op defines one.
    pub error: Option<ErrorCode>,
}

impl Verdict {
    /// A valid outcome.
    pub const VALID: Verdict = Verdict { result: Outcome::Valid, error: None };
    /// An invalid outcome without an error code.
    pub const REJECTED: Verdict = Verdict { result: Outcome::Invalid, error: None };

    /// An invalid outcome with `code`.
    pub fn invalid(code: impl Into<ErrorCode>) -> Verdict {
        Verdict { result: Outcome::Invalid, error: Some(code.into()) }
    }

    fn of(result: Outcome, error: Option<impl Into<ErrorCode>>) -> Verdict {
        Verdict { result, error: error.map(Into::into) }
    }
}

impl core::fmt::Display for Verdict {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let result = match self.result {
            Outcome::Valid => "valid",
            Outcome::Invalid => "invalid",
            Outcome::Acceptable => "acceptable",
        };
        match self.error {
            Some(e) => write!(f, "{result} ({e})"),
            None => f.write_str(result),
        }
    }
}

/// An op's expected output: the verdicts it states.
pub trait Expected {
    /// One verdict, or one per scenario step.
    fn verdicts(&self) -> Vec<Verdict>;
}

/// Implements [`Expected`] for outputs with a `result` and, where given, an `error`.
macro_rules! expected {
    ($($ty:ty),* $(,)?) => {
        $(impl Expected for $ty {
            fn verdicts(&self) -> Vec<Verdict> {
                vec![Verdict { result: self.result, error: None }]
            }
        })*
    };
    ($($ty:ty),* ; with error) => {
        $(impl Expected for $ty {
            fn verdicts(&self) -> Vec<Verdict> {
                vec![Verdict::of(self.result, self.error)]
            }
        })*
    };
}

expected!(
    MacExpected,
    HkdfExpected,
    SignExpected,
    ValidityExpected,
    TextExpected,
    DeriveExpected,
    HandleExpected,
    PayloadExpected,
    ChallengeExpected,
);
expected!(
    CredentialIssueExpected,
    BatchIssueExpected,
    BytesExpected,
    DigitsExpected,
    CodeDecodeExpected,
    ChallengeDecodeExpected,
    CredentialDecodeExpected,
    TrustListDecodeExpected,
    RevocationDecodeExpected,
    LogDecodeExpected,
    HmacGenerateExpected,
    Ed25519GenerateExpected,
    Ed25519BatchGenerateExpected,
    VerifyExpected,
    ReconcileExpected;
    with error
);

impl Expected for ScenarioExpected {
    fn verdicts(&self) -> Vec<Verdict> {
        self.steps.iter().map(|s| Verdict::of(s.result, s.error)).collect()
    }
}

/// Empty intermediates, for ops that have none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoIntermediates {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_names_are_the_serde_names() {
        for op in Op::ALL {
            assert_eq!(serde_json::to_value(op).unwrap(), op.name());
            assert_eq!(Op::from_name(op.name()), Some(op));
        }
        assert_eq!(Op::from_name("verify-fast"), None);
    }
}
