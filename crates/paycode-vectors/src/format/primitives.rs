//! Primitives, parameters and key derivation.

use paycode::Error;
use serde::{Deserialize, Serialize};

use super::Outcome;

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
    pub error: Option<Error>,
    /// The bytes when valid, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<String>,
}

/// Time parameters (spec §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeParams {
    /// `T0`, unix seconds.
    pub t0: u64,
    /// `X`, seconds.
    pub step: u64,
    /// `B`, steps.
    pub back: u64,
    /// `F`, steps.
    pub forward: u64,
    /// `C`, seconds; the default 120 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_lifetime: Option<u64>,
    /// `A_num`, minor units; the default 5000 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric_ceiling: Option<u64>,
}

/// What a derived key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// `K_qr` of an hmac account.
    HmacQr,
    /// `K_num` of an hmac account.
    HmacNumeric,
    /// `K_h` of an hmac account, the handle key (spec R-HANDLE-1).
    HmacHandle,
    /// A wallet's Ed25519 device secret.
    Ed25519Device,
    /// An issuer's Ed25519 secret for one key id.
    Ed25519Issuer,
    /// An issuer's Ed25519 root secret, which signs trust lists.
    Ed25519Root,
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
    /// `ed25519-device`: the device key index (spec R-BATCH-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_index: Option<u32>,
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

/// An hmac account's handle at one step (spec R-HANDLE-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandleInput {
    /// The account's 32-byte seed, hex.
    pub seed: String,
    /// The account id.
    pub account_id: u64,
    /// The step.
    pub step: u64,
}

/// The handle and the pads of one account at one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandleExpected {
    /// Always valid.
    pub result: Outcome,
    /// `h[0..8]`, hex: the QR form's handle.
    pub handle: String,
    /// `u32(h[0..4]) >> 2`: the numeric form's handle.
    pub handle30: u32,
    /// `u32(h[8..12])`: the QR form's counter mask.
    pub pad: u32,
    /// `u32(h[8..12]) >> 16`: the numeric form's counter mask.
    pub pad16: u16,
}
