//! The vector format: one JSON file per operation group, each a list of
//! cases. A case's `input` is everything an implementation needs; its
//! `expected` and `intermediates` are withheld from the implementation under
//! test and compared afterwards. Every struct denies unknown fields.
//!
//! Byte strings are lowercase hex. Integers are JSON integers up to `2^64 - 1`
//! (read them with arbitrary-precision or unsigned 64-bit integers).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// The spec version the expectations follow: `"paycode v1"`.
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
    /// [`ParamsJson`] → [`ValidityExpected`].
    ParamsCheck,
    /// [`DeriveInput`] → [`DeriveExpected`], [`DeriveIntermediates`].
    DeriveKey,
    /// [`HmacCodeEncodeInput`] → [`PayloadExpected`].
    HmacCodeEncode,
    /// [`NumericEncodeInput`] → [`DigitsExpected`].
    NumericEncode,
    /// [`Ed25519CodeEncodeInput`] → [`PayloadExpected`].
    Ed25519CodeEncode,
    /// [`TextInput`] → [`CodeDecodeExpected`].
    CodeDecode,
    /// [`CredentialIssueInput`] → [`CredentialIssueExpected`], [`SigningIntermediates`].
    CredentialIssue,
    /// [`BytesInput`] → [`CredentialDecodeExpected`].
    CredentialDecode,
    /// [`TrustListEncodeInput`] → [`BytesExpected`].
    TrustListEncode,
    /// [`BytesInput`] → [`TrustListDecodeExpected`].
    TrustListDecode,
    /// [`RevocationIssueInput`] → [`BytesExpected`], [`SigningIntermediates`].
    RevocationListIssue,
    /// [`BytesInput`] → [`RevocationDecodeExpected`].
    RevocationListDecode,
    /// [`LogRecordJson`] → [`BytesExpected`].
    LogRecordEncode,
    /// [`BytesInput`] → [`LogDecodeExpected`].
    LogDecode,
    /// [`HmacGenerateInput`] → [`HmacGenerateExpected`], [`HmacGenerateIntermediates`].
    HmacGenerate,
    /// [`Ed25519GenerateInput`] → [`Ed25519GenerateExpected`], [`SigningIntermediates`].
    Ed25519Generate,
    /// [`VerifyInput`] → [`VerifyExpected`], [`VerifyIntermediates`].
    Verify,
    /// [`ScenarioInput`] → [`ScenarioExpected`].
    Scenario,
    /// [`ReconcileInput`] → [`ReconcileExpected`].
    Reconcile,
}

impl Op {
    /// Every op, in declaration order.
    pub const ALL: [Op; 26] = [
        Op::HmacSha256,
        Op::HkdfSha256,
        Op::Ed25519Sign,
        Op::Ed25519Verify,
        Op::Ed25519Point,
        Op::Base45Encode,
        Op::Base45Decode,
        Op::ParamsCheck,
        Op::DeriveKey,
        Op::HmacCodeEncode,
        Op::NumericEncode,
        Op::Ed25519CodeEncode,
        Op::CodeDecode,
        Op::CredentialIssue,
        Op::CredentialDecode,
        Op::TrustListEncode,
        Op::TrustListDecode,
        Op::RevocationListIssue,
        Op::RevocationListDecode,
        Op::LogRecordEncode,
        Op::LogDecode,
        Op::HmacGenerate,
        Op::Ed25519Generate,
        Op::Verify,
        Op::Scenario,
        Op::Reconcile,
    ];

    /// The op's name in the JSON files.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
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

/// Empty intermediates, for ops that have none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoIntermediates {}

// ---------------------------------------------------------------- primitives

/// HMAC-SHA256 input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacInput {
    /// Key, hex.
    pub key: String,
    /// Message, hex.
    pub message: String,
}

/// HMAC-SHA256 output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacExpected {
    /// Always valid.
    pub result: Outcome,
    /// The 32-byte MAC, hex.
    pub mac: String,
}

/// HKDF-SHA256 input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HkdfInput {
    /// Input keying material, hex.
    pub ikm: String,
    /// Salt, hex (empty: no salt, that is 32 zero bytes).
    pub salt: String,
    /// Info, hex.
    pub info: String,
    /// Output length in bytes.
    pub length: u16,
}

/// HKDF-SHA256 output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HkdfExpected {
    /// Always valid.
    pub result: Outcome,
    /// HKDF-Extract output, hex.
    pub prk: String,
    /// HKDF-Expand output, hex.
    pub okm: String,
}

/// Ed25519 signing input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInput {
    /// RFC 8032 32-byte secret key, hex.
    pub secret: String,
    /// Message, hex.
    pub message: String,
}

/// Ed25519 signing output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignExpected {
    /// Always valid.
    pub result: Outcome,
    /// Public key, hex.
    pub public_key: String,
    /// Signature `R || S`, hex.
    pub signature: String,
}

/// Ed25519 verification input, under the pinned rules (spec §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigVerifyInput {
    /// Public key `A`, hex (32 bytes).
    pub public_key: String,
    /// Message, hex.
    pub message: String,
    /// Signature `R || S`, hex (64 bytes).
    pub signature: String,
}

/// Why a signature verdict is what it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigVerifyIntermediates {
    /// `S < L`.
    pub s_canonical: bool,
    /// `A` is a valid point (R-ED-1).
    pub a_valid: bool,
    /// `R` is a valid point (R-ED-1).
    pub r_valid: bool,
    /// `k = SHA-512(R || A || M) mod L`, 32 bytes little-endian, hex.
    pub k: String,
    /// `[S]B - [k]A` encodes to `R` (cofactorless), where `A` decodes.
    pub cofactorless_equation: bool,
    /// `[8]([S]B - [k]A - R)` is the identity (cofactored, as lax verifiers check), where `A` and `R` decode.
    pub cofactored_equation: bool,
}

/// A 32-byte point encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointInput {
    /// The encoding, hex.
    pub point: String,
}

/// Why a point verdict is what it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointIntermediates {
    /// The encoded `y` (sign bit cleared) is below `p`.
    pub y_below_p: bool,
    /// `y mod p` belongs to a curve point.
    pub on_curve: bool,
    /// `x = 0` and the sign bit is set.
    pub x_zero_with_sign: bool,
    /// The point has small order (null where it is not on the curve).
    pub small_order: Option<bool>,
}

/// A verdict with no output: valid or invalid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidityExpected {
    /// Valid or invalid.
    pub result: Outcome,
}

/// A byte string input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BytesInput {
    /// Bytes, hex.
    pub bytes: String,
}

/// A text input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    /// The text (QR text or digits), any Unicode.
    pub text: String,
}

/// A text output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextExpected {
    /// Always valid.
    pub result: Outcome,
    /// The text.
    pub text: String,
}

/// A byte string output, or an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BytesExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// The error code when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The bytes when valid, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<String>,
}

// ---------------------------------------------------------------- keys and params

/// Time parameters (spec §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsJson {
    /// `T0`, unix seconds.
    pub t0: u64,
    /// `X`, seconds.
    pub step: u64,
    /// `B`, steps.
    pub back: u64,
    /// `F`, steps.
    pub forward: u64,
}

/// What a derived key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// `K_qr` of an hmac account.
    HmacQr,
    /// `K_num` of an hmac account.
    HmacNumeric,
    /// A wallet's Ed25519 device secret.
    Ed25519Device,
    /// An issuer's Ed25519 secret for one key id.
    Ed25519Issuer,
}

/// Key derivation input (spec §3.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveInput {
    /// Which key.
    pub purpose: Purpose,
    /// The 32-byte seed, hex.
    pub seed: String,
    /// hmac purposes: the account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<u64>,
    /// `ed25519-issuer`: the key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<u16>,
}

/// Key derivation output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveExpected {
    /// Always valid.
    pub result: Outcome,
    /// The derived 32 bytes (MAC key or RFC 8032 secret), hex.
    pub key: String,
    /// Ed25519 purposes: the public key, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// Key derivation intermediates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeriveIntermediates {
    /// The HKDF salt, hex.
    pub salt: String,
    /// HKDF-Extract output, hex.
    pub prk: String,
    /// The HKDF info: label, zero byte, context; hex.
    pub info: String,
}

// ---------------------------------------------------------------- encodings

/// hmac payload fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacCodeEncodeInput {
    /// Account id.
    pub account_id: u64,
    /// Step.
    pub step: u64,
    /// Counter.
    pub counter: u32,
    /// 16-byte tag, hex.
    pub tag: String,
}

/// A payload and its QR text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadExpected {
    /// Always valid.
    pub result: Outcome,
    /// The payload, hex.
    pub payload: String,
    /// `PC1:` + Base45 of the payload.
    pub text: String,
}

/// Numeric form fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericEncodeInput {
    /// Account id.
    pub account_id: u64,
    /// Full step (only its low 4 bits are carried).
    pub step: u64,
    /// Counter.
    pub counter: u32,
    /// 29-bit tag.
    pub tag29: u32,
}

/// Numeric digits, or why there are none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitsExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `numeric-unavailable` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The 24 digits when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<String>,
}

/// ed25519 payload fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ed25519CodeEncodeInput {
    /// Step.
    pub step: u64,
    /// Counter.
    pub counter: u32,
    /// The 126-byte credential, hex.
    pub credential: String,
    /// The 64-byte device signature, hex.
    pub device_signature: String,
}

/// Credential fields, decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialJson {
    /// Issuer key id.
    pub key_id: u16,
    /// Serial.
    pub serial: u64,
    /// Device public key, hex.
    pub device_key: String,
    /// First valid second.
    pub not_before: u64,
    /// Validity length in seconds.
    pub lifetime: u32,
    /// Per-payment limit.
    pub per_payment_limit: u32,
    /// Cumulative limit per terminal.
    pub cumulative_limit: u32,
    /// Issuer signature, hex.
    pub issuer_signature: String,
}

/// A decoded code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DecodedCode {
    /// hmac QR text.
    HmacQr {
        /// Account id.
        account_id: u64,
        /// Step.
        step: u64,
        /// Counter.
        counter: u32,
        /// Tag, hex.
        tag: String,
    },
    /// hmac numeric form.
    HmacNumeric {
        /// Account id.
        account_id: u64,
        /// Low 4 bits of the step.
        step_low: u8,
        /// Counter.
        counter: u32,
        /// 29-bit tag.
        tag29: u32,
    },
    /// ed25519 QR text.
    Ed25519Qr {
        /// Step.
        step: u64,
        /// Counter.
        counter: u32,
        /// The credential.
        credential: CredentialJson,
        /// Device signature, hex.
        device_signature: String,
    },
}

/// A decoded code or a decode error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeDecodeExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed`, `unsupported-version` or `unsupported-profile` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The code when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<DecodedCode>,
}

/// Credential issuance input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialIssueInput {
    /// RFC 8032 secret of the issuer key, hex.
    pub issuer_secret: String,
    /// Issuer key id.
    pub key_id: u16,
    /// Serial.
    pub serial: u64,
    /// Device public key, hex.
    pub device_key: String,
    /// First valid second.
    pub not_before: u64,
    /// Validity length in seconds.
    pub lifetime: u32,
    /// Per-payment limit.
    pub per_payment_limit: u32,
    /// Cumulative limit.
    pub cumulative_limit: u32,
}

/// An issued credential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialIssueExpected {
    /// Always valid.
    pub result: Outcome,
    /// The 126-byte credential, hex.
    pub credential: String,
}

/// A signature's inputs and output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningIntermediates {
    /// The signer's public key, hex.
    pub public_key: String,
    /// The signed message: DS string and bytes, hex.
    pub signing_input: String,
    /// The signature, hex.
    pub signature: String,
}

/// A decoded credential or an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialDecodeExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The fields when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<CredentialJson>,
}

/// One trust list entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustEntryJson {
    /// Key id.
    pub key_id: u16,
    /// First valid second.
    pub not_before: u64,
    /// Last valid second.
    pub not_after: u64,
    /// Public key, hex.
    pub public_key: String,
}

/// Trust list entries to encode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListEncodeInput {
    /// Entries by increasing key id.
    pub entries: Vec<TrustEntryJson>,
}

/// A decoded trust list or an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListDecodeExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The entries when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<TrustEntryJson>>,
}

/// Revocation list issuance input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationIssueInput {
    /// RFC 8032 secret of the signing issuer key, hex.
    pub issuer_secret: String,
    /// Its key id.
    pub key_id: u16,
    /// List number.
    pub number: u64,
    /// Issue time.
    pub issued_at: u64,
    /// Serials, strictly increasing.
    pub serials: Vec<u64>,
}

/// A decoded revocation list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationJson {
    /// Signing key id.
    pub key_id: u16,
    /// List number.
    pub number: u64,
    /// Issue time.
    pub issued_at: u64,
    /// Serials.
    pub serials: Vec<u64>,
    /// Signature, hex.
    pub signature: String,
}

/// A decoded revocation list or an error (signature not checked: see `install-revocation-list`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationDecodeExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The list when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<RevocationJson>,
}

/// The profiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileJson {
    /// hmac.
    Hmac,
    /// ed25519.
    Ed25519,
}

/// An acceptance log record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogRecordJson {
    /// Profile.
    pub profile: ProfileJson,
    /// Issuer key id (0 for hmac).
    pub key_id: u16,
    /// Account id or serial.
    pub subject: u64,
    /// Counter.
    pub counter: u32,
    /// Step.
    pub step: u64,
    /// Verifier time of acceptance.
    pub accepted_at: u64,
    /// Amount (0 for hmac).
    pub amount: u64,
    /// Terminal id.
    pub terminal_id: u32,
}

/// A decoded log or an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogDecodeExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The records when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<LogRecordJson>>,
}

// ---------------------------------------------------------------- generation

/// hmac wallet generation input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacGenerateInput {
    /// Parameters (only `t0` and `step` matter to a wallet).
    pub params: ParamsJson,
    /// The account's seed, hex.
    pub seed: String,
    /// Account id.
    pub account_id: u64,
    /// Wallet time.
    pub time: u64,
    /// The wallet's next counter.
    pub counter: u32,
}

/// hmac wallet generation output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacGenerateExpected {
    /// Valid, or invalid with a wallet error.
    pub result: Outcome,
    /// `time-before-epoch` or `counter-exhausted` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The code's step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// The payload, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The QR text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The 24 digits, where the numeric form exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<String>,
    /// `numeric-unavailable` where it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric_error: Option<String>,
    /// The counter the wallet stores for its next code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_counter: Option<u32>,
}

/// hmac generation intermediates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacGenerateIntermediates {
    /// `K_qr`, hex.
    pub k_qr: String,
    /// `K_num`, hex.
    pub k_num: String,
    /// `DS_qr || payload[0..22]`, hex.
    pub mac_input: String,
    /// The full HMAC, hex.
    pub mac: String,
    /// Its first 16 bytes, hex.
    pub tag: String,
    /// `DS_num || head`, hex, where the numeric form exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric_mac_input: Option<String>,
    /// The full numeric HMAC, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric_mac: Option<String>,
    /// `u32(mac[0..4]) >> 3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag29: Option<u32>,
}

/// ed25519 wallet generation input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ed25519GenerateInput {
    /// Parameters.
    pub params: ParamsJson,
    /// The wallet seed, hex.
    pub device_seed: String,
    /// The wallet's credential, hex.
    pub credential: String,
    /// Wallet time.
    pub time: u64,
    /// The wallet's next counter.
    pub counter: u32,
}

/// ed25519 wallet generation output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ed25519GenerateExpected {
    /// Valid, or invalid with a wallet error.
    pub result: Outcome,
    /// `time-before-epoch` or `counter-exhausted` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The code's step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// The payload, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The QR text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The counter the wallet stores for its next code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_counter: Option<u32>,
}

// ---------------------------------------------------------------- verification

/// An enrolled hmac account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountJson {
    /// Account id.
    pub account_id: u64,
    /// Seed, hex.
    pub seed: String,
}

/// A verifier's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierJson {
    /// Parameters.
    pub params: ParamsJson,
    /// Terminal id, written into log records.
    pub terminal_id: u32,
    /// hmac accounts; null: the hmac profile is not enabled.
    pub hmac_accounts: Option<Vec<AccountJson>>,
    /// The trust list, hex; null: the ed25519 profile is not enabled.
    pub trust_list: Option<String>,
}

/// A replay entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryJson {
    /// Profile of the identity.
    pub profile: ProfileJson,
    /// Account id or serial.
    pub subject: u64,
    /// Highest accepted counter `H`.
    pub high: u32,
    /// Bitmap, 16 hex digits (bit `i` set: counter `H - i` accepted).
    pub bitmap: String,
    /// Highest accepted step.
    pub top: u64,
}

/// A spend ledger entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpentJson {
    /// Serial.
    pub serial: u64,
    /// Total accepted.
    pub total: u64,
    /// The credential's `not_after`.
    pub not_after: u64,
}

/// A throttle record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleJson {
    /// Account id.
    pub account_id: u64,
    /// The verifier step the failures were counted in.
    pub step: u64,
    /// Failures in that step (at most 8).
    pub failures: u32,
}

/// Verifier state before a call (spec §8.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateJson {
    /// `T_hw`.
    pub t_hw: u64,
    /// `Q`.
    pub q: u64,
    /// Replay entries.
    pub entries: Vec<EntryJson>,
    /// Spend ledger.
    pub spent: Vec<SpentJson>,
    /// Throttle records.
    pub throttle: Vec<ThrottleJson>,
    /// The installed revocation list, hex, or null.
    pub revocation_list: Option<String>,
}

/// A replay window as observed after a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowJson {
    /// `H`.
    pub high: u32,
    /// Bitmap, 16 hex digits.
    pub bitmap: String,
    /// `top`.
    pub top: u64,
}

/// The live entry of one identity after a call; null: none (absent or not live).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryAfterJson {
    /// Profile.
    pub profile: ProfileJson,
    /// Account id or serial.
    pub subject: u64,
    /// The live window, or null.
    pub window: Option<WindowJson>,
}

/// `spent(serial)` after a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpentAfterJson {
    /// Serial.
    pub serial: u64,
    /// Total (0 if no entry).
    pub total: u64,
}

/// The relevant verifier state after a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateAfterJson {
    /// `T_hw`.
    pub t_hw: u64,
    /// `Q`.
    pub q: u64,
    /// The identities this call touched.
    pub entries: Vec<EntryAfterJson>,
    /// The ledger of the serial this call touched, while its credential is unexpired.
    pub spent: Vec<SpentAfterJson>,
}

/// Stateless verification input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyInput {
    /// Configuration.
    pub verifier: VerifierJson,
    /// State before the call.
    pub state: StateJson,
    /// Verifier time.
    pub time: u64,
    /// The scanned text.
    pub text: String,
    /// Amount (ignored by hmac).
    pub amount: u64,
}

/// A verdict with its effects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyExpected {
    /// Valid (accepted) or invalid.
    pub result: Outcome,
    /// The spec error code when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The 44-byte log record when accepted, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_record: Option<String>,
    /// Relevant state after the call.
    pub state_after: StateAfterJson,
}

/// Where the window was for this call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyIntermediates {
    /// `T(t)`.
    pub s_now: u64,
    /// `L = T_hw ⊖ B` after V0.
    pub low: u64,
    /// `U = T(t) ⊕ F`.
    pub high: u64,
    /// The code's step (numeric: reconstructed), where the text decodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_step: Option<u64>,
}

/// How a verifier restarts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestartMode {
    /// With its durable state (`T_hw`, `Q`, entries, ledger, revocation list).
    Kept,
    /// Without it: restart-lost-state at `time` (quarantine).
    Lost,
}

/// One step of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum StepJson {
    /// Verify a text.
    Verify {
        /// Verifier time.
        time: u64,
        /// The scanned text.
        text: String,
        /// Amount.
        amount: u64,
    },
    /// Install a revocation list.
    InstallRevocationList {
        /// The list, hex.
        list: String,
    },
    /// Replace the trust list.
    InstallTrustList {
        /// The list, hex.
        trust_list: String,
    },
    /// Restart the verifier.
    Restart {
        /// Kept or lost state.
        mode: RestartMode,
        /// The time of the restart.
        time: u64,
    },
}

/// A stateful scenario: ordered steps from a given state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInput {
    /// Configuration.
    pub verifier: VerifierJson,
    /// State before the first step.
    pub state: StateJson,
    /// The steps.
    pub steps: Vec<StepJson>,
}

/// What one step must give.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepExpected {
    /// verify: accepted or rejected; install: installed or refused; restart: valid.
    pub result: Outcome,
    /// verify: the spec error code when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// verify: the log record when accepted, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_record: Option<String>,
    /// verify and restart: relevant state after the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_after: Option<StateAfterJson>,
}

/// What a scenario must give, step by step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioExpected {
    /// One entry per input step.
    pub steps: Vec<StepExpected>,
}

/// Logs to reconcile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileInput {
    /// Each log, hex.
    pub logs: Vec<String>,
}

/// A double acceptance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateJson {
    /// Profile.
    pub profile: ProfileJson,
    /// Account id or serial.
    pub subject: u64,
    /// Counter.
    pub counter: u32,
    /// Its records, sorted by their encoding.
    pub records: Vec<LogRecordJson>,
}

/// The total accepted for one serial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotalJson {
    /// Serial.
    pub serial: u64,
    /// Sum of amounts.
    pub total: u64,
}

/// The reconciliation report (spec R-LOG-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed` when a log is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Double acceptances, by (profile, subject, counter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Vec<DuplicateJson>>,
    /// Serials to revoke, increasing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_serials: Option<Vec<u64>>,
    /// hmac accounts to disable, increasing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_accounts: Option<Vec<u64>>,
    /// Totals per ed25519 serial, by serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totals: Option<Vec<TotalJson>>,
}

// ---------------------------------------------------------------- traceability

/// `vectors/traceability.json`: what vectors cannot test, and where else it is tested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceFile {
    /// Always [`TRACE_FORMAT`].
    pub format: String,
    /// `"paycode v1"`.
    pub spec_version: String,
    /// Requirements covered (also) by named tests.
    pub named_tests: Vec<NamedTests>,
    /// Requirements no vector can exercise, with the reason.
    pub untestable: Vec<Untestable>,
}

/// Tests that exercise a requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedTests {
    /// Requirement id.
    pub id: String,
    /// Tests as `path/to/file.rs::test_fn`.
    pub tests: Vec<String>,
}

/// A requirement that vectors cannot test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Untestable {
    /// Requirement id.
    pub id: String,
    /// Why.
    pub reason: String,
}
