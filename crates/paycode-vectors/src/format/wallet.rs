//! Wallet generation of both profiles.

use paycode::GenerateError;
use serde::{Deserialize, Serialize};

use super::{ModeName, Outcome, TimeParams};

/// hmac wallet generation input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacGenerateInput {
    /// Parameters (only `t0` and `step` matter to a wallet).
    pub params: TimeParams,
    /// The account's seed, hex.
    pub seed: String,
    /// Account id.
    pub account_id: u64,
    /// Wallet time.
    pub time: u64,
    /// The wallet's next counter.
    pub counter: u32,
    /// The mode.
    #[serde(default, skip_serializing_if = "ModeName::is_one_way")]
    pub mode: ModeName,
    /// The cap of a capped code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    /// The challenge's QR text, for a challenge code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
}

/// hmac wallet generation output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacGenerateExpected {
    /// Valid, or invalid with a wallet error.
    pub result: Outcome,
    /// `time-before-epoch` or `counter-exhausted` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<GenerateError>,
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
    pub numeric_error: Option<GenerateError>,
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
    /// The challenge digest, hex, for a challenge code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_digest: Option<String>,
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
    pub params: TimeParams,
    /// The wallet seed (spec §3.1), hex: the HKDF input of the device secret,
    /// not the device secret itself.
    pub device_seed: String,
    /// The wallet's credential, hex.
    pub credential: String,
    /// Wallet time.
    pub time: u64,
    /// The wallet's next counter.
    pub counter: u32,
    /// The mode.
    #[serde(default, skip_serializing_if = "ModeName::is_one_way")]
    pub mode: ModeName,
    /// The cap of a capped code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<u32>,
    /// The challenge's QR text, for a challenge code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
}

/// ed25519 wallet generation output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ed25519GenerateExpected {
    /// Valid, or invalid with a wallet error.
    pub result: Outcome,
    /// `time-before-epoch` or `counter-exhausted` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<GenerateError>,
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

/// ed25519 generation intermediates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ed25519GenerateIntermediates {
    /// The device public key, hex.
    pub public_key: String,
    /// The signed message, `DS_code || head || D`, hex.
    pub signing_input: String,
    /// The device signature, hex.
    pub signature: String,
    /// The challenge digest `D`, hex, for a challenge code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_digest: Option<String>,
}

/// One credential of a wallet's batch, as the wallet holds it (spec R-BATCH-1, R-BATCH-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchSlot {
    /// The key index of its device key.
    pub key_index: u32,
    /// The credential, hex.
    pub credential: String,
    /// The counter of its next code.
    pub next_counter: u32,
}

/// One-way codes of a wallet with a batch, one per time, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ed25519BatchGenerateInput {
    /// Parameters.
    pub params: TimeParams,
    /// The wallet seed, hex.
    pub device_seed: String,
    /// The batch, in any order.
    pub batch: Vec<BatchSlot>,
    /// The wallet times of the codes, one code each.
    pub times: Vec<u64>,
}

/// One code of a batch wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchCode {
    /// The key index of the credential that made it.
    pub key_index: u32,
    /// Its counter.
    pub counter: u32,
    /// Its QR text.
    pub text: String,
}

/// The codes of a batch wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ed25519BatchGenerateExpected {
    /// Valid, or invalid with the wallet error of the first code that fails.
    pub result: Outcome,
    /// `time-before-epoch` or `counter-exhausted` when invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<GenerateError>,
    /// One per time, in order, when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<BatchCode>>,
}
