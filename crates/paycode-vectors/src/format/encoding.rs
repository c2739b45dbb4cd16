//! Encodings: payloads, numeric digits, credentials, lists and log records.

use paycode::log::LogRecord;
use paycode::{Error, GenerateError};
use serde::{Deserialize, Serialize};

use super::Outcome;

/// A code's mode (spec R-MODE-1); one-way when a file leaves it out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModeName {
    /// One-way: no amount, no terminal.
    #[default]
    OneWay,
    /// Capped: the code carries a cap.
    Capped,
    /// Challenge: the code covers a terminal's challenge.
    Challenge,
}

impl ModeName {
    /// Whether this is the default, one-way.
    pub fn is_one_way(&self) -> bool {
        *self == ModeName::OneWay
    }

    /// The name of `mode`.
    pub const fn of(mode: paycode::Mode) -> ModeName {
        match mode {
            paycode::Mode::OneWay => ModeName::OneWay,
            paycode::Mode::Capped(_) => ModeName::Capped,
            paycode::Mode::Challenge => ModeName::Challenge,
        }
    }
}

/// hmac payload fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacCodeEncodeInput {
    /// The mode.
    #[serde(default, skip_serializing_if = "ModeName::is_one_way")]
    pub mode: ModeName,
    /// The cap of a capped code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    /// The account's 8-byte handle for the step, hex (spec R-HANDLE-1).
    pub handle: String,
    /// Step.
    pub step: u64,
    /// The masked counter, `counter ⊕ pad` (spec R-HANDLE-2).
    pub masked_counter: u32,
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
    /// `PC3:` + Base45 of the payload.
    pub text: String,
}

/// Numeric form fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericEncodeInput {
    /// The handle's top 30 bits (spec R-HANDLE-1).
    pub handle30: u32,
    /// Full step (only its low 4 bits are carried).
    pub step: u64,
    /// The masked counter, `counter ⊕ pad16` (spec R-HANDLE-2).
    pub masked16: u16,
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
    pub error: Option<GenerateError>,
    /// The 24 digits when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<String>,
}

/// ed25519 payload fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ed25519CodeEncodeInput {
    /// The mode.
    #[serde(default, skip_serializing_if = "ModeName::is_one_way")]
    pub mode: ModeName,
    /// The cap of a capped code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
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
pub struct DecodedCredential {
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
        /// The mode.
        mode: ModeName,
        /// The cap of a capped code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<u32>,
        /// The handle, hex (spec R-HANDLE-1).
        handle: String,
        /// Step.
        step: u64,
        /// The masked counter (spec R-HANDLE-2).
        masked_counter: u32,
        /// Tag, hex.
        tag: String,
    },
    /// hmac numeric form.
    HmacNumeric {
        /// The handle's top 30 bits (spec R-HANDLE-1).
        handle30: u32,
        /// Low 4 bits of the step.
        step_low: u8,
        /// The masked counter (spec R-HANDLE-2).
        masked16: u16,
        /// 29-bit tag.
        tag29: u32,
    },
    /// ed25519 QR text.
    Ed25519Qr {
        /// The mode.
        mode: ModeName,
        /// The cap of a capped code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cap: Option<u32>,
        /// Step.
        step: u64,
        /// Counter.
        counter: u32,
        /// The credential.
        credential: DecodedCredential,
        /// Device signature, hex.
        device_signature: String,
    },
}

/// A challenge's fields (spec §4.9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeFields {
    /// The terminal that made it.
    pub terminal_id: u32,
    /// The amount, minor units.
    pub amount: u64,
    /// When it was made, unix seconds.
    pub issued_at: u64,
    /// The 16-byte nonce, hex.
    pub nonce: String,
}

/// An encoded challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeExpected {
    /// Always valid.
    pub result: Outcome,
    /// The 37 bytes, hex.
    pub bytes: String,
    /// `PT3:` + Base45 of the bytes.
    pub text: String,
    /// The challenge digest `SHA-256(DS_chal || bytes)`, hex (spec R-CHAL-2).
    pub digest: String,
}

/// A decoded challenge or a decode error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeDecodeExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// The challenge when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<ChallengeFields>,
}

/// A decoded code or a decode error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeDecodeExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed`, `unsupported-version` or `unsupported-profile` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
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
    /// Valid (issued), or invalid: the issuer refuses a bad credential (spec R-ED-4).
    pub result: Outcome,
    /// `bad-credential` when the issuer refuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// The 126-byte credential when issued, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// A batch of credentials for one payer (spec §7.1, R-BATCH-2, R-BATCH-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchIssueInput {
    /// The issuer seed, hex: the key of `key_id` is derived from it (spec R-KEY-2).
    pub issuer_seed: String,
    /// Issuer key id.
    pub key_id: u16,
    /// The start of validity asked for; the issuer rounds it down to a multiple of 3600.
    pub not_before: u64,
    /// Validity length in seconds.
    pub lifetime: u32,
    /// Per-payment limit of each credential.
    pub per_payment_limit: u32,
    /// Cumulative limit of each credential.
    pub cumulative_limit: u32,
    /// The payer's per-terminal limit `L`, which the batch splits.
    pub payer_limit: u64,
    /// The wallet's device public keys, hex, one per credential.
    pub device_keys: Vec<String>,
    /// The serials the issuer drew, one per device key, in the same order.
    pub serials: Vec<u64>,
}

/// An issued batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchIssueExpected {
    /// Valid (issued), or invalid: the issuer refuses the batch.
    pub result: Outcome,
    /// `bad-credential` when the issuer refuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// The 126-byte credentials when issued, hex, in the order of `device_keys`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<String>>,
}

/// What every credential of an issued batch shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchIssueIntermediates {
    /// The issuer key's public key, hex.
    pub public_key: String,
    /// The `not_before` every credential carries.
    pub not_before: u64,
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
    pub error: Option<Error>,
    /// The fields when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<DecodedCredential>,
}

/// One trust list entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListEntry {
    /// Key id.
    pub key_id: u16,
    /// First valid second.
    pub not_before: u64,
    /// Last valid second.
    pub not_after: u64,
    /// Public key, hex.
    pub public_key: String,
}

/// A trust list to sign and encode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListEncodeInput {
    /// RFC 8032 secret of the issuer's root key, hex.
    pub root_secret: String,
    /// Sequence number.
    pub sequence: u64,
    /// Issue time.
    pub issued_at: u64,
    /// Entries by increasing key id.
    pub entries: Vec<TrustListEntry>,
}

/// A decoded trust list or an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListDecodeExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// The sequence number when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// The issue time when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<u64>,
    /// The entries when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<TrustListEntry>>,
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
    /// When the next list will exist.
    pub next_update: u64,
    /// Seconds the list may be used after `next_update`.
    pub grace: u32,
    /// Serials, strictly increasing.
    pub serials: Vec<u64>,
}

/// A decoded revocation list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodedRevocationList {
    /// Signing key id.
    pub key_id: u16,
    /// List number.
    pub number: u64,
    /// Issue time.
    pub issued_at: u64,
    /// When the next list will exist.
    pub next_update: u64,
    /// Seconds the list may be used after `next_update`.
    pub grace: u32,
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
    pub error: Option<Error>,
    /// The list when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<DecodedRevocationList>,
}

/// A decoded log or an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogDecodeExpected {
    /// Valid or invalid.
    pub result: Outcome,
    /// `malformed` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// The records when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<LogRecord>>,
}
