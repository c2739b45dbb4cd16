//! The crate's errors: why a suite cannot be read ([`VectorError`]), why the
//! reference cannot run a case's input ([`InputError`]), why one case does not
//! hold ([`CaseError`]), and why the spec's requirement index cannot be read
//! ([`SpecError`]).

use core::fmt;
use std::path::PathBuf;

use serde_json::Value;

use crate::check::Problem;
use crate::trace::TraceError;

/// Why vectors could not be generated, loaded, checked or traced.
#[non_exhaustive]
#[derive(Debug)]
pub enum VectorError {
    /// A file or folder could not be read.
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file or folder could not be written.
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not JSON of the format's types: an unknown field, op, flag
    /// or error code, a missing field, or not JSON at all.
    Format {
        /// The file's name.
        file: String,
        /// What serde found.
        source: serde_json::Error,
    },
    /// A file's `format` or `spec_version` is not the one this crate reads.
    Header {
        /// The file's name.
        file: String,
        /// The field.
        field: &'static str,
        /// Its value.
        found: String,
    },
    /// A folder, or a set of texts, holds no vector file.
    NoVectorFiles {
        /// The folder (empty for a set of texts).
        dir: PathBuf,
    },
    /// One case is wrong, or the reference cannot run it.
    Case {
        /// The file's name.
        file: String,
        /// The case id.
        id: String,
        /// What is wrong.
        source: Box<CaseError>,
    },
    /// A generated file could not be serialized.
    Serialize(serde_json::Error),
    /// The generator could not build a value its cases share: a defect of the generator.
    Fixture(FixtureError),
    /// The spec's requirement index could not be read.
    Spec(SpecError),
    /// The checker found problems; each says where.
    Check(Vec<Problem>),
    /// The traceability map could not be built.
    Trace(TraceError),
}

impl fmt::Display for VectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VectorError::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            VectorError::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            VectorError::Format { file, source } => {
                write!(f, "{file}: not a vector file of this format: {source}")
            }
            VectorError::Header { file, field, found } => {
                write!(f, "{file}: {field} is {found:?}, not what this crate reads")
            }
            VectorError::NoVectorFiles { dir } if dir.as_os_str().is_empty() => {
                f.write_str("no vector files")
            }
            VectorError::NoVectorFiles { dir } => write!(f, "no vector files in {}", dir.display()),
            VectorError::Case { file, id, source } => write!(f, "{file}: {id}: {source}"),
            VectorError::Serialize(e) => write!(f, "cannot serialize a vector file: {e}"),
            VectorError::Fixture(e) => write!(f, "generator fixture: {e}"),
            VectorError::Spec(e) => write!(f, "spec: {e}"),
            VectorError::Check(problems) => {
                for (n, p) in problems.iter().enumerate() {
                    if n > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
            VectorError::Trace(e) => write!(f, "traceability: {e}"),
        }
    }
}

impl std::error::Error for VectorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VectorError::Read { source, .. } | VectorError::Write { source, .. } => Some(source),
            VectorError::Format { source, .. } | VectorError::Serialize(source) => Some(source),
            VectorError::Case { source, .. } => Some(source.as_ref()),
            VectorError::Spec(e) => Some(e),
            VectorError::Trace(e) => Some(e),
            VectorError::Fixture(e) => Some(e),
            VectorError::Header { .. } | VectorError::NoVectorFiles { .. } | VectorError::Check(_) => None,
        }
    }
}

impl From<FixtureError> for VectorError {
    fn from(e: FixtureError) -> VectorError {
        VectorError::Fixture(e)
    }
}

impl From<SpecError> for VectorError {
    fn from(e: SpecError) -> VectorError {
        VectorError::Spec(e)
    }
}

impl From<TraceError> for VectorError {
    fn from(e: TraceError) -> VectorError {
        VectorError::Trace(e)
    }
}

/// Why the reference cannot run a case's input. A verdict is never an
/// error: these are inputs that do not describe a run at all.
#[non_exhaustive]
#[derive(Debug)]
pub enum InputError {
    /// The input does not have the op's type (or, which these types never
    /// give, the answer does not serialize).
    Json(serde_json::Error),
    /// A byte string that is not lowercase hex.
    Hex {
        /// The text.
        value: String,
    },
    /// Hex of another length than the field's.
    HexLength {
        /// The field's length in bytes.
        expected: usize,
        /// The text.
        value: String,
    },
    /// Time parameters outside the spec's ranges where a run needs valid ones.
    Params(paycode::ParamsError),
    /// `derive-key`: `account_id` or `key_id` given or missing against the purpose.
    DerivePurpose,
    /// `hkdf-sha256`: an output longer than HKDF-SHA256 gives (255 × 32 bytes).
    HkdfLength(u16),
    /// HMAC refused the key (HMAC-SHA256 takes keys of any length).
    MacKey,
    /// `numeric-encode`: a `tag29` of `2^29` or more.
    Tag29(u32),
    /// A numeric `handle30` that is not below 2^30.
    Handle30(u32),
    /// A mode with a `cap` it does not take, a capped mode without one, a
    /// challenge mode without a challenge, or a challenge that does not decode.
    Mode,
    /// `numeric-encode`: the digits do not parse back to the packed value.
    NumericRoundTrip,
    /// `ed25519-code-encode`: the fields do not form a payload.
    Payload(paycode::Error),
    /// A public key that is not a valid point.
    PublicKey,
    /// An input lists one key twice: a counter mark of one identity, a limit of one serial.
    Repeated(String),
    /// `credential-batch-issue`: not one serial per device key.
    SerialCount {
        /// Device keys given.
        keys: usize,
        /// Serials given.
        serials: usize,
    },
    /// A trust list that cannot be built or decoded.
    TrustList(paycode::Error),
    /// A credential that does not decode.
    Credential(paycode::Error),
    /// A revocation list in a verifier state that does not decode.
    RevocationList(paycode::Error),
    /// A revocation list in a verifier state that the verifier refuses.
    RevocationInstall(paycode::InstallError),
    /// The configured trust list does not install under the configured root key.
    TrustInstall(paycode::InstallError),
    /// A wallet error that no generation vector expects.
    Wallet(paycode::GenerateError),
    /// The computed intermediates disagree with the wallet's output.
    IntermediatesDisagree,
    /// A `restart` at a time the verifier cannot restart at.
    Restart(paycode::Error),
    /// A step other than a lost-state restart after a restart that failed.
    NotStarted,
    /// The two profiles' `T_hw` or `Q` differ.
    ProfilesDisagree,
    /// `ed25519-verify`: the batch checks give the signature another verdict
    /// than the single check (spec: R-ED-6).
    BatchDisagrees,
    /// A scenario step.
    Step {
        /// The step's index.
        index: usize,
        /// What is wrong with it.
        source: Box<InputError>,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Json(e) => write!(f, "input: {e}"),
            InputError::Hex { value } => write!(f, "not lowercase hex: {value:?}"),
            InputError::HexLength { expected, value } => {
                write!(f, "expected {expected} bytes of hex: {value:?}")
            }
            InputError::Params(e) => write!(f, "params: {e}"),
            InputError::DerivePurpose => {
                f.write_str("derive-key: account_id or key_id does not fit the purpose")
            }
            InputError::HkdfLength(n) => write!(f, "hkdf-sha256: {n} bytes is longer than HKDF-SHA256 gives"),
            InputError::MacKey => f.write_str("HMAC refused the key"),
            InputError::Tag29(t) => write!(f, "numeric-encode: tag29 {t} is not below 2^29"),
            InputError::Handle30(h) => write!(f, "numeric-encode: handle30 {h} is not below 2^30"),
            InputError::Mode => f.write_str(
                "mode: a cap is given for a mode without one, or missing; or a challenge mode without a valid challenge",
            ),
            InputError::Repeated(what) => write!(f, "{what} is given twice"),
            InputError::SerialCount { keys, serials } => {
                write!(f, "credential-batch-issue: {keys} device keys but {serials} serials")
            }
            InputError::NumericRoundTrip => f.write_str("numeric-encode: the digits do not parse back"),
            InputError::Payload(e) => write!(f, "ed25519 payload: {e}"),
            InputError::PublicKey => f.write_str("a public key is not a valid point"),
            InputError::TrustList(e) => write!(f, "trust list: {e}"),
            InputError::Credential(e) => write!(f, "credential: {e}"),
            InputError::RevocationList(e) => write!(f, "revocation list: {e}"),
            InputError::RevocationInstall(e) => write!(f, "revocation list not installed: {e}"),
            InputError::TrustInstall(e) => write!(f, "configured trust list not installed: {e}"),
            InputError::Wallet(e) => write!(f, "wallet error outside the vectors: {e}"),
            InputError::IntermediatesDisagree => f.write_str("the intermediates disagree with the wallet"),
            InputError::BatchDisagrees => f.write_str(
                "ed25519-verify: the batch check's verdict differs from the single check's (R-ED-6)",
            ),
            InputError::Restart(e) => write!(f, "restart: {e}"),
            InputError::NotStarted => {
                f.write_str("a restart failed: the next step must be a restart without state")
            }
            InputError::ProfilesDisagree => f.write_str("the profiles' T_hw or Q differ"),
            InputError::Step { index, source } => write!(f, "step {index}: {source}"),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InputError::Json(e) => Some(e),
            InputError::Params(e) => Some(e),
            InputError::Payload(e)
            | InputError::TrustList(e)
            | InputError::Credential(e)
            | InputError::RevocationList(e)
            | InputError::Restart(e) => Some(e),
            InputError::RevocationInstall(e) | InputError::TrustInstall(e) => Some(e),
            InputError::Wallet(e) => Some(e),
            InputError::Step { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// Why one case does not hold.
#[non_exhaustive]
#[derive(Debug)]
pub enum CaseError {
    /// The reference cannot run the input.
    Input(InputError),
    /// `expected` does not have the op's type.
    Expected(serde_json::Error),
    /// `intermediates` do not have the op's type.
    Intermediates(serde_json::Error),
    /// The id is not namespaced lowercase (`area.operation.what`).
    Id,
    /// The case names no requirement id.
    NoRequirements,
    /// A requirement id that the spec's index does not list.
    UnknownRequirement(String),
    /// The comment is empty or the case has no flag.
    NoCommentOrFlag,
    /// A flag the file's notes do not explain, or the generator does not know.
    UnknownFlag(String),
    /// An `acceptable` outcome: paycode v3 leaves no verdict to the implementation.
    Acceptable,
    /// A valid outcome with an error code.
    ValidWithError,
    /// A rejected verification without its error code.
    RejectionWithoutCode,
    /// An error code that the op does not give, such as a verifier code for a
    /// wallet op or a wallet code the spec does not list.
    CodeNotForOp(&'static str),
    /// The reference gives another `expected` or `intermediates`.
    Differs {
        /// `expected` or `intermediates`.
        field: &'static str,
        /// What the case states.
        stated: Option<Value>,
        /// What the reference gives.
        reference: Option<Value>,
    },
    /// The generator's intent differs from what the reference gives.
    Intent {
        /// The intended outcome.
        intended: String,
        /// What the reference gives.
        reference: Value,
    },
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<Value>| v.as_ref().map_or_else(|| "nothing".to_owned(), Value::to_string);
        match self {
            CaseError::Input(e) => write!(f, "{e}"),
            CaseError::Expected(e) => write!(f, "expected: {e}"),
            CaseError::Intermediates(e) => write!(f, "intermediates: {e}"),
            CaseError::Id => f.write_str("the id is not namespaced lowercase (a.b.c)"),
            CaseError::NoRequirements => f.write_str("no requirement ids"),
            CaseError::UnknownRequirement(r) => write!(f, "unknown requirement id {r}"),
            CaseError::NoCommentOrFlag => f.write_str("a case needs a comment and at least one flag"),
            CaseError::UnknownFlag(flag) => write!(f, "flag {flag} has no note"),
            CaseError::Acceptable => {
                f.write_str("acceptable: paycode v3 leaves no verdict to the implementation")
            }
            CaseError::ValidWithError => f.write_str("a valid outcome has no error code"),
            CaseError::RejectionWithoutCode => f.write_str("a rejected verification needs its error code"),
            CaseError::CodeNotForOp(code) => write!(f, "error code {code} is not defined for this op"),
            CaseError::Differs { field, stated, reference } => {
                write!(f, "{field} {}\n  the reference gives {}", show(stated), show(reference))
            }
            CaseError::Intent { intended, reference } => {
                write!(f, "intended {intended}, the reference gives {reference}")
            }
        }
    }
}

impl std::error::Error for CaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaseError::Input(e) => Some(e),
            CaseError::Expected(e) | CaseError::Intermediates(e) => Some(e),
            _ => None,
        }
    }
}

impl From<InputError> for CaseError {
    fn from(e: InputError) -> CaseError {
        CaseError::Input(e)
    }
}

/// Why the generator could not build a value its cases share.
#[non_exhaustive]
#[derive(Debug)]
pub enum FixtureError {
    /// The reference refused a value the generator built.
    Input(InputError),
    /// A byte range outside the bytes it was cut from or written into.
    Range {
        /// The length of the bytes.
        len: usize,
        /// The range's start.
        from: usize,
        /// The range's end.
        to: usize,
    },
    /// A search for a value with a property found none.
    NotFound(&'static str),
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FixtureError::Input(e) => write!(f, "{e}"),
            FixtureError::Range { len, from, to } => write!(f, "bytes {from}..{to} of {len}"),
            FixtureError::NotFound(what) => write!(f, "found no {what}"),
        }
    }
}

impl std::error::Error for FixtureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FixtureError::Input(e) => Some(e),
            FixtureError::Range { .. } | FixtureError::NotFound(_) => None,
        }
    }
}

impl From<InputError> for FixtureError {
    fn from(e: InputError) -> FixtureError {
        FixtureError::Input(e)
    }
}

/// Why the requirement index (spec section 14) cannot be read.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// The spec has no "Requirement index" section.
    NoIndex,
    /// The index lists no requirement.
    EmptyIndex,
    /// An index row whose first cell is not a requirement id.
    Row(String),
    /// The index lists an id twice.
    Duplicate(String),
    /// The spec's text uses an id that its index does not list.
    NotIndexed(String),
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::NoIndex => f.write_str("no \"Requirement index\" section"),
            SpecError::EmptyIndex => f.write_str("the requirement index lists no id"),
            SpecError::Row(row) => write!(f, "an index row without a requirement id: {row:?}"),
            SpecError::Duplicate(id) => write!(f, "the index lists {id} twice"),
            SpecError::NotIndexed(id) => write!(f, "the text uses {id}, which the index does not list"),
        }
    }
}

impl std::error::Error for SpecError {}
