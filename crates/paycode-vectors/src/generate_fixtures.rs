//! Keys, credentials, lists and codes shared by the generated files. Every
//! secret is derived from a label (see [`seed_bytes`]).

use serde_json::{Value, json};

use super::generate::seed_bytes;
use super::{VResult, VectorError};
use paycode::code::{ED25519_PAYLOAD_LEN, ED25519_SIGNED_LEN, Ed25519Code, HmacCode};
use paycode::codec::to_hex;
use paycode::credential::{Credential, CredentialFields};
use paycode::hazmat::eddsa::SecretKey;
use paycode::hazmat::keys::LABEL_DEVICE_KEY;
use paycode::issuer::{Issuer, KeyPeriod};
use paycode::numeric::NumericCode;
use paycode::{Ed25519Wallet, HmacWallet, Params, Seed};

/// The fixed time of most cases: 2027-01-15T08:00:00Z.
pub(crate) const T: u64 = 1_800_000_000;
/// Its step with the default parameters.
pub(crate) const S: u64 = T / 60;
/// The hmac account of most cases.
pub(crate) const ACCOUNT: u64 = 42;
/// A second enrolled account.
pub(crate) const ACCOUNT2: u64 = 7;
/// The credential serial of most cases.
pub(crate) const SERIAL: u64 = 1001;
/// Validity of issuer key 1.
pub(crate) const KEY1: (u64, u64) = (T - 10 * 86_400, T + 10 * 86_400);
/// Validity of issuer key 2 (overlaps key 1).
pub(crate) const KEY2: (u64, u64) = (T - 86_400, T + 30 * 86_400);
/// The main credential's start and lifetime.
pub(crate) const CRED_NB: u64 = T - 3_600;
/// The main credential's lifetime.
pub(crate) const CRED_LIFE: u32 = 86_400;

pub(crate) fn h(b: &[u8]) -> String {
    to_hex(b)
}

pub(crate) fn params_json(t0: u64, step: u64, back: u64, forward: u64) -> Value {
    json!({"t0": t0, "step": step, "back": back, "forward": forward})
}

pub(crate) fn default_params() -> Value {
    params_json(0, 60, 2, 1)
}

pub(crate) fn params(p: &Value) -> VResult<Params> {
    let p: super::format::ParamsJson = serde_json::from_value(p.clone())?;
    super::run::params(&p)
}

pub(crate) fn hmac_seed(account: u64) -> [u8; 32] {
    seed_bytes(&format!("hmac/account-{account}"))
}

pub(crate) fn hmac_wallet(p: &Value, account: u64) -> VResult<HmacWallet> {
    Ok(HmacWallet::new(params(p)?, account, &Seed::from_bytes(&hmac_seed(account)), 0))
}

/// QR text of an hmac code.
pub(crate) fn hmac_text(p: &Value, account: u64, step: u64, counter: u32) -> VResult<String> {
    Ok(hmac_wallet(p, account)?.code_for(step, counter).to_qr_text())
}

/// The hmac code itself.
pub(crate) fn hmac_code(p: &Value, account: u64, step: u64, counter: u32) -> VResult<HmacCode> {
    Ok(hmac_wallet(p, account)?.code_for(step, counter))
}

/// Digits of an hmac code.
pub(crate) fn numeric_text(p: &Value, account: u64, step: u64, counter: u32) -> VResult<String> {
    let w = hmac_wallet(p, account)?;
    let c = w.code_for(step, counter);
    w.numeric(&c).map(|n: NumericCode| n.to_digits()).map_err(|e| VectorError::new(e.to_string()))
}

/// QR text of an arbitrary payload.
pub(crate) fn qr(payload: &[u8]) -> String {
    format!("PC1:{}", paycode::hazmat::base45::encode(payload))
}

pub(crate) fn accounts() -> Value {
    json!([
        {"account_id": ACCOUNT2, "seed": h(&hmac_seed(ACCOUNT2))},
        {"account_id": ACCOUNT, "seed": h(&hmac_seed(ACCOUNT))},
    ])
}

pub(crate) fn hmac_verifier(p: Value) -> Value {
    json!({"params": p, "terminal_id": 1, "hmac_accounts": accounts(), "trust_list": null})
}

pub(crate) fn ed_verifier(p: Value, trust: &str) -> Value {
    json!({"params": p, "terminal_id": 7, "hmac_accounts": null, "trust_list": trust})
}

pub(crate) fn both_verifier(p: Value, trust: &str) -> Value {
    json!({"params": p, "terminal_id": 3, "hmac_accounts": accounts(), "trust_list": trust})
}

/// State with `T_hw` and `Q` and nothing else.
pub(crate) fn state(t_hw: u64, q: u64) -> Value {
    json!({"t_hw": t_hw, "q": q, "entries": [], "spent": [], "throttle": [], "revocation_list": null})
}

pub(crate) fn issuer() -> Issuer {
    Issuer::from_seed(&Seed::from_bytes(&seed_bytes("issuer")))
}

/// The RFC 8032 secret of issuer key `key_id`.
pub(crate) fn issuer_secret(key_id: u16) -> [u8; 32] {
    *paycode::hazmat::keys::derive(
        &Seed::from_bytes(&seed_bytes("issuer")),
        paycode::hazmat::keys::LABEL_ISSUER_KEY,
        &key_id.to_be_bytes(),
    )
    .expose()
}

/// A trust list of issuer keys, hex.
pub(crate) fn trust(periods: &[(u16, u64, u64)]) -> VResult<String> {
    let periods: Vec<KeyPeriod> = periods
        .iter()
        .map(|&(key_id, not_before, not_after)| KeyPeriod { key_id, not_before, not_after })
        .collect();
    let list = issuer().trust_list(&periods).map_err(|e| VectorError::new(e.to_string()))?;
    Ok(h(&list.encode()))
}

/// The trust list of key 1 alone.
pub(crate) fn trust1() -> VResult<String> {
    trust(&[(1, KEY1.0, KEY1.1)])
}

pub(crate) fn device_seed(n: u32) -> Seed {
    Seed::from_bytes(&seed_bytes(&format!("wallet/{n}")))
}

pub(crate) fn device_key(n: u32) -> [u8; 32] {
    Ed25519Wallet::device_public_key(&device_seed(n))
}

/// Credential fields of wallet `n`.
pub(crate) fn fields(n: u32, key_id: u16, serial: u64, not_before: u64, lifetime: u32) -> CredentialFields {
    CredentialFields {
        key_id,
        serial,
        device_key: device_key(n),
        not_before,
        lifetime,
        per_payment_limit: 5_000,
        cumulative_limit: 20_000,
    }
}

/// The main credential: wallet 1, key 1, serial 1001.
pub(crate) fn main_fields() -> CredentialFields {
    fields(1, 1, SERIAL, CRED_NB, CRED_LIFE)
}

pub(crate) fn issue(f: CredentialFields) -> Credential {
    issuer().issue(f)
}

/// A code of wallet `n` with `credential`.
pub(crate) fn ed_code(
    p: &Value,
    n: u32,
    credential: Credential,
    step: u64,
    counter: u32,
) -> VResult<Ed25519Code> {
    let w = Ed25519Wallet::new(params(p)?, &device_seed(n), credential, 0)
        .map_err(|e| VectorError::new(e.to_string()))?;
    Ok(w.code_for(step, counter))
}

pub(crate) fn ed_text(p: &Value, n: u32, credential: Credential, step: u64, counter: u32) -> VResult<String> {
    Ok(ed_code(p, n, credential, step, counter)?.to_qr_text())
}

/// A code signed by an arbitrary key, for credentials whose device key has no secret.
pub(crate) fn ed_text_signed_by(key: &SecretKey, credential: &Credential, step: u64, counter: u32) -> String {
    let mut bytes = [0u8; ED25519_PAYLOAD_LEN];
    let unsigned = Ed25519Code::unsigned(step, counter, credential);
    bytes[..ED25519_SIGNED_LEN].copy_from_slice(&unsigned);
    let sig = key.sign(&[paycode::code::DS_ED25519_CODE, &unsigned].concat());
    bytes[ED25519_SIGNED_LEN..].copy_from_slice(&sig);
    qr(&bytes)
}

/// A credential with `fields` signed by an arbitrary key.
pub(crate) fn issue_with(f: CredentialFields, key: &SecretKey) -> Credential {
    Credential::issue(f, key)
}

/// The device secret key of wallet `n`.
pub(crate) fn device_secret(n: u32) -> SecretKey {
    SecretKey::derive(&device_seed(n), LABEL_DEVICE_KEY, &[])
}

/// A revocation list signed by issuer key `key_id`, hex.
pub(crate) fn revocation(key_id: u16, number: u64, issued_at: u64, serials: Vec<u64>) -> String {
    h(&issuer().revocation_list(key_id, number, issued_at, serials).encode())
}

/// The state with one replay entry.
pub(crate) fn state_with_entry(
    t_hw: u64,
    profile: &str,
    subject: u64,
    high: u32,
    bitmap: u64,
    top: u64,
) -> Value {
    json!({"t_hw": t_hw, "q": 0,
        "entries": [{"profile": profile, "subject": subject, "high": high, "bitmap": format!("{bitmap:016x}"), "top": top}],
        "spent": [], "throttle": [], "revocation_list": null})
}

/// `b[from..to]` as a vector, or an error if out of range.
pub(crate) fn cut(b: &[u8], from: usize, to: usize) -> VResult<Vec<u8>> {
    b.get(from..to).map(<[u8]>::to_vec).ok_or_else(|| VectorError::new("fixture slice out of range"))
}

/// Overwrites `b[at..at + bytes.len()]`, or an error if out of range.
pub(crate) fn put(b: &mut [u8], at: usize, bytes: &[u8]) -> VResult<()> {
    b.get_mut(at..at + bytes.len())
        .ok_or_else(|| VectorError::new("fixture write out of range"))?
        .copy_from_slice(bytes);
    Ok(())
}

/// `v` with `key` set to `value` (for JSON objects).
pub(crate) fn set(mut v: Value, key: &str, value: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert(key.into(), value);
    }
    v
}
