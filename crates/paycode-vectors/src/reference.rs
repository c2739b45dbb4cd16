//! The reference implementation run on a case's input: what it answers, in
//! the vector format. The generator writes this as `expected`, the checker
//! compares it with the committed `expected`, and the conformance runner's
//! built-in adapter answers with it.

mod encoding;
mod primitives;
mod verifier;
mod wallet;

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::Sha256;

use crate::errors::{CaseError, InputError};
use crate::format::*;
use paycode::codec::{from_hex, to_hex};
use paycode::{Params, Seed};

pub use verifier::ScenarioRunner;

/// What the reference answers for one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// The `expected` object.
    pub expected: Value,
    /// The `intermediates` object, for ops that have them.
    pub intermediates: Option<Value>,
    /// The verdicts `expected` states (one per step for scenarios).
    pub verdicts: Vec<Verdict>,
}

/// Declares [`run`], [`check_input`] and [`check_output`] from one table of
/// op → (function, input type, expected type, intermediates type).
macro_rules! ops {
    ($($op:ident => $f:path: $in:ty, $ex:ty, $im:ty;)*) => {
        /// Runs the reference on `input` of `op`.
        ///
        /// # Errors
        ///
        /// The input does not have the op's type, or does not describe a run
        /// (such as a state that cannot be loaded). Verdicts are answers, not errors.
        pub fn run(op: Op, input: &Value) -> Result<Answer, InputError> {
            match op {
                $(Op::$op => answer::<$in, $ex, $im>(input, $f),)*
            }
        }

        /// Checks that `input` has the op's type (with `deny_unknown_fields`).
        ///
        /// # Errors
        ///
        /// [`CaseError::Input`] naming what serde found.
        pub fn check_input(op: Op, input: &Value) -> Result<(), CaseError> {
            match op {
                $(Op::$op => typed_input::<$in>(input),)*
            }
        }

        /// Checks that `expected` and `intermediates` have the op's types
        /// (with `deny_unknown_fields`), and returns the verdicts `expected` states.
        ///
        /// # Errors
        ///
        /// [`CaseError::Expected`] or [`CaseError::Intermediates`].
        pub fn check_output(op: Op, expected: &Value, intermediates: Option<&Value>) -> Result<Vec<Verdict>, CaseError> {
            match op {
                $(Op::$op => typed_output::<$ex, $im>(expected, intermediates),)*
            }
        }
    };
}

ops! {
    HmacSha256 => primitives::hmac_sha256: MacInput, MacExpected, NoIntermediates;
    HkdfSha256 => primitives::hkdf_sha256: HkdfInput, HkdfExpected, NoIntermediates;
    Ed25519Sign => primitives::ed25519_sign: SignInput, SignExpected, NoIntermediates;
    Ed25519Verify => primitives::ed25519_verify: SigVerifyInput, ValidityExpected, SigVerifyIntermediates;
    Ed25519Point => primitives::ed25519_point: PointInput, ValidityExpected, PointIntermediates;
    Base45Encode => primitives::base45_encode: BytesInput, TextExpected, NoIntermediates;
    Base45Decode => primitives::base45_decode: TextInput, BytesExpected, NoIntermediates;
    ParamsCheck => primitives::params_check: TimeParams, ValidityExpected, NoIntermediates;
    DeriveKey => primitives::derive_key: DeriveInput, DeriveExpected, DeriveIntermediates;
    HmacHandle => primitives::hmac_handle: HandleInput, HandleExpected, NoIntermediates;
    HmacCodeEncode => encoding::hmac_code_encode: HmacCodeEncodeInput, PayloadExpected, NoIntermediates;
    NumericEncode => encoding::numeric_encode: NumericEncodeInput, DigitsExpected, NoIntermediates;
    Ed25519CodeEncode => encoding::ed25519_code_encode: Ed25519CodeEncodeInput, PayloadExpected, NoIntermediates;
    CodeDecode => encoding::code_decode: TextInput, CodeDecodeExpected, NoIntermediates;
    ChallengeEncode => encoding::challenge_encode: ChallengeFields, ChallengeExpected, NoIntermediates;
    ChallengeDecode => encoding::challenge_decode: TextInput, ChallengeDecodeExpected, NoIntermediates;
    CredentialIssue => encoding::credential_issue: CredentialIssueInput, CredentialIssueExpected, SigningIntermediates;
    CredentialDecode => encoding::credential_decode: BytesInput, CredentialDecodeExpected, NoIntermediates;
    CredentialBatchIssue => encoding::credential_batch_issue: BatchIssueInput, BatchIssueExpected, BatchIssueIntermediates;
    TrustListEncode => encoding::trust_list_encode: TrustListEncodeInput, BytesExpected, NoIntermediates;
    TrustListDecode => encoding::trust_list_decode: BytesInput, TrustListDecodeExpected, NoIntermediates;
    RevocationListIssue => encoding::revocation_list_issue: RevocationIssueInput, BytesExpected, SigningIntermediates;
    RevocationListDecode => encoding::revocation_list_decode: BytesInput, RevocationDecodeExpected, NoIntermediates;
    LogRecordEncode => encoding::log_record_encode: paycode::log::LogRecord, BytesExpected, NoIntermediates;
    LogDecode => encoding::log_decode: BytesInput, LogDecodeExpected, NoIntermediates;
    HmacGenerate => wallet::hmac_generate: HmacGenerateInput, HmacGenerateExpected, HmacGenerateIntermediates;
    Ed25519Generate => wallet::ed25519_generate: Ed25519GenerateInput, Ed25519GenerateExpected, Ed25519GenerateIntermediates;
    Ed25519BatchGenerate => wallet::ed25519_batch_generate: Ed25519BatchGenerateInput, Ed25519BatchGenerateExpected, NoIntermediates;
    Verify => verifier::verify: VerifyInput, VerifyExpected, VerifyIntermediates;
    Scenario => verifier::scenario: ScenarioInput, ScenarioExpected, NoIntermediates;
    Reconcile => verifier::reconcile: ReconcileInput, ReconcileExpected, NoIntermediates;
}

/// What one op gives: its expected output and, for some ops, intermediates.
type Ran<E, I> = Result<(E, Option<I>), InputError>;

fn answer<I: DeserializeOwned, E: Serialize + Expected, M: Serialize>(
    input: &Value,
    f: impl FnOnce(I) -> Ran<E, M>,
) -> Result<Answer, InputError> {
    let input = I::deserialize(input).map_err(InputError::Json)?;
    let (expected, intermediates) = f(input)?;
    Ok(Answer {
        verdicts: expected.verdicts(),
        expected: serde_json::to_value(&expected).map_err(InputError::Json)?,
        intermediates: intermediates.map(serde_json::to_value).transpose().map_err(InputError::Json)?,
    })
}

fn typed_input<I: DeserializeOwned>(input: &Value) -> Result<(), CaseError> {
    I::deserialize(input).map(|_| ()).map_err(|e| CaseError::Input(InputError::Json(e)))
}

fn typed_output<E: DeserializeOwned + Expected, M: DeserializeOwned>(
    expected: &Value,
    intermediates: Option<&Value>,
) -> Result<Vec<Verdict>, CaseError> {
    let expected = E::deserialize(expected).map_err(CaseError::Expected)?;
    if let Some(v) = intermediates {
        M::deserialize(v).map_err(CaseError::Intermediates)?;
    }
    Ok(expected.verdicts())
}

// ---------------------------------------------------------------- helpers

/// Bytes of lowercase hex; uppercase or odd-length hex is an error.
pub(crate) fn unhex(s: &str) -> Result<Vec<u8>, InputError> {
    let bytes = from_hex(s).map_err(|_| InputError::Hex { value: s.to_owned() })?;
    if to_hex(&bytes) != s {
        return Err(InputError::Hex { value: s.to_owned() });
    }
    Ok(bytes)
}

/// Exactly `N` bytes of lowercase hex.
pub(crate) fn unhex_n<const N: usize>(s: &str) -> Result<[u8; N], InputError> {
    unhex(s)?.try_into().map_err(|_| InputError::HexLength { expected: N, value: s.to_owned() })
}

fn hex(b: &[u8]) -> String {
    to_hex(b)
}

fn valid<T>(expected: T) -> Ran<T, NoIntermediates> {
    Ok((expected, None))
}

fn seed(s: &str) -> Result<Seed, InputError> {
    Ok(Seed::from_bytes(&unhex_n::<32>(s)?))
}

/// The [`Params`] of [`TimeParams`].
pub(crate) fn params(p: &TimeParams) -> Result<Params, InputError> {
    let params = Params::new(p.t0, p.step, p.back, p.forward).map_err(InputError::Params)?;
    let params = match p.challenge_lifetime {
        Some(c) => params.with_challenge_lifetime(c).map_err(InputError::Params)?,
        None => params,
    };
    Ok(match p.numeric_ceiling {
        Some(a) => params.with_numeric_ceiling(a),
        None => params,
    })
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 32], InputError> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| InputError::MacKey)?;
    for p in parts {
        m.update(p);
    }
    Ok(m.finalize().into_bytes().into())
}

/// `valid` or `invalid`.
const fn outcome(valid: bool) -> Outcome {
    if valid { Outcome::Valid } else { Outcome::Invalid }
}
