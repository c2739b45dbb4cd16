//! The keys, credentials, lists, codes and verifiers the cases share. Every
//! secret is derived from a label ([`seed_bytes`]), every time is fixed.

use sha2::{Digest, Sha256};

use crate::errors::{FixtureError, InputError, VectorError};
use crate::format::{
    AccountBudget, EnrolledAccount, MarkEntry, ReplayEntry, SourceBudget, StateBefore, TimeParams,
    VerifierConfig,
};
use crate::reference;
use paycode::code::{DS_ED25519_CODE, Ed25519Code, HmacCode};
use paycode::codec::to_hex;
use paycode::credential::{Credential, CredentialFields};
use paycode::hazmat::eddsa::SecretKey;
use paycode::hazmat::keys::{LABEL_DEVICE_KEY, LABEL_ISSUER_KEY, LABEL_ROOT_KEY, derive};
use paycode::issuer::{Issuer, KeyPeriod};
use paycode::revocation::ListHeader;
use paycode::trust::{TrustHeader, TrustList};
use paycode::{BatchCredential, Challenge, Ed25519Wallet, HmacWallet, Profile, Purpose, Seed};

/// The fixed time of most cases: 2027-01-15T08:00:00Z.
pub(crate) const TIME: u64 = 1_800_000_000;
/// Its step with the default parameters.
pub(crate) const STEP: u64 = TIME / 60;
/// The hmac account of most cases.
pub(crate) const ACCOUNT: u64 = 42;
/// A second enrolled account.
pub(crate) const OTHER_ACCOUNT: u64 = 7;
/// The credential serial of most cases.
pub(crate) const SERIAL: u64 = 1001;
/// Issuer key 1 and its validity.
pub(crate) const KEY_1: KeyPeriod =
    KeyPeriod { key_id: 1, not_before: TIME - 10 * 86_400, not_after: TIME + 10 * 86_400 };
/// Issuer key 2, whose validity overlaps key 1's.
pub(crate) const KEY_2: KeyPeriod =
    KeyPeriod { key_id: 2, not_before: TIME - 86_400, not_after: TIME + 30 * 86_400 };
/// The main credential's first valid second.
pub(crate) const CREDENTIAL_START: u64 = TIME - 3_600;
/// The main credential's lifetime.
pub(crate) const CREDENTIAL_LIFETIME: u32 = 86_400;
/// The main credential's last valid second.
pub(crate) const CREDENTIAL_END: u64 = CREDENTIAL_START + CREDENTIAL_LIFETIME as u64;
/// The default parameters: `T0 = 0`, `X = 60`, `B = 2`, `F = 1`.
pub(crate) const DEFAULT_PARAMS: TimeParams = params(0, 60, 2, 1);

/// A 32-byte seed derived from a label, so anyone can regenerate the keys:
/// `SHA-256("paycode/v1/vectors/seed" 0x00 || label)`.
pub fn seed_bytes(label: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"paycode/v1/vectors/seed\0");
    hash.update(label.as_bytes());
    hash.finalize().into()
}

/// Bytes as the vectors write them: lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    to_hex(bytes)
}

/// Bytes of a hex string this generator wrote.
pub(crate) fn unhex(text: &str) -> Result<Vec<u8>, VectorError> {
    reference::unhex(text).map_err(fixture_error)
}

/// Time parameters.
pub(crate) const fn params(t0: u64, step: u64, back: u64, forward: u64) -> TimeParams {
    TimeParams { t0, step, back, forward, challenge_lifetime: None, numeric_ceiling: None }
}

/// A fixture the reference refuses: a defect of the generator itself.
pub(crate) fn fixture_error(source: InputError) -> VectorError {
    VectorError::Fixture(FixtureError::Input(source))
}

fn checked(params: &TimeParams) -> Result<paycode::Params, VectorError> {
    reference::params(params).map_err(fixture_error)
}

// ---------------------------------------------------------------- hmac

/// The seed of hmac account `account`.
pub(crate) fn hmac_seed(account: u64) -> [u8; 32] {
    seed_bytes(&format!("hmac/account-{account}"))
}

fn hmac_wallet(params: &TimeParams, account: u64) -> Result<HmacWallet, VectorError> {
    seeded_wallet(params, account, &hmac_seed(account))
}

/// The wallet of `account` under `seed` (a seed other than the fixture's:
/// a re-enrolment).
pub(crate) fn seeded_wallet(
    params: &TimeParams,
    account: u64,
    seed: &[u8; 32],
) -> Result<HmacWallet, VectorError> {
    Ok(HmacWallet::new(checked(params)?, account, &Seed::from_bytes(seed), 0))
}

/// The QR text and the numeric form's digits of `wallet`'s code for `step` and `counter`.
pub(crate) fn both_forms(
    wallet: &HmacWallet,
    step: u64,
    counter: u32,
) -> Result<(String, String), VectorError> {
    let code = wallet.code_for(step, counter);
    let numeric = wallet.numeric(&code).map_err(|e| fixture_error(InputError::Wallet(e)))?;
    Ok((code.to_qr_text(), numeric.to_digits()))
}

/// The hmac code of `account` for `step` and `counter`.
pub(crate) fn hmac_code(
    params: &TimeParams,
    account: u64,
    step: u64,
    counter: u32,
) -> Result<HmacCode, VectorError> {
    Ok(hmac_wallet(params, account)?.code_for(step, counter))
}

/// The hmac code of `account` for `step`, `counter` and `purpose`.
pub(crate) fn hmac_code_for(
    params: &TimeParams,
    account: u64,
    step: u64,
    counter: u32,
    purpose: Purpose<'_>,
) -> Result<HmacCode, VectorError> {
    Ok(hmac_wallet(params, account)?.code_as(step, counter, purpose))
}

/// A challenge of terminal `terminal` for `amount`, made at `issued_at`,
/// with the nonce derived from `label`.
pub(crate) fn challenge(terminal: u32, amount: u64, issued_at: u64, label: &str) -> Challenge {
    let mut nonce = [0u8; 16];
    nonce.iter_mut().zip(seed_bytes(&format!("challenge/{label}"))).for_each(|(n, s)| *n = s);
    Challenge::new(terminal, amount, issued_at, nonce)
}

/// Its QR text.
pub(crate) fn hmac_text(
    params: &TimeParams,
    account: u64,
    step: u64,
    counter: u32,
) -> Result<String, VectorError> {
    Ok(hmac_code(params, account, step, counter)?.to_qr_text())
}

/// The QR text of `account`'s code for `step` and `counter` with the given
/// tag: its handle and masked counter, a wrong tag.
pub(crate) fn hmac_text_with_tag(
    params: &TimeParams,
    account: u64,
    step: u64,
    counter: u32,
    tag: [u8; 16],
) -> Result<String, VectorError> {
    let code = hmac_code(params, account, step, counter)?;
    Ok(HmacCode::new(code.handle(), step, code.masked_counter(), tag).to_qr_text())
}

/// The numeric form's digits of the same code.
pub(crate) fn numeric_text(
    params: &TimeParams,
    account: u64,
    step: u64,
    counter: u32,
) -> Result<String, VectorError> {
    let wallet = hmac_wallet(params, account)?;
    let code = wallet.code_for(step, counter);
    let numeric = wallet.numeric(&code).map_err(|e| fixture_error(InputError::Wallet(e)))?;
    Ok(numeric.to_digits())
}

/// Digits whose value is that of `digits` XOR `mask`: a numeric code with tag bits flipped.
pub(crate) fn with_value_xor(digits: &str, mask: u128) -> Result<String, VectorError> {
    let value: u128 = digits.parse().map_err(|_| FixtureError::NotFound("decimal value in the digits"))?;
    Ok(format!("{:024}", value ^ mask))
}

/// The first 16 bytes of HMAC-SHA256 under `key` over `parts`: a tag as a
/// wrong implementation would compute it.
pub(crate) fn tag_with(key: &[u8], parts: &[&[u8]]) -> Result<[u8; 16], VectorError> {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|_| fixture_error(InputError::MacKey))?;
    for part in parts {
        mac.update(part);
    }
    let full: [u8; 32] = mac.finalize().into_bytes().into();
    let mut tag = [0u8; 16];
    tag.copy_from_slice(cut(&full, 0, 16)?.as_slice());
    Ok(tag)
}

/// The QR text of any payload.
pub(crate) fn qr_text(payload: &[u8]) -> String {
    format!("PC3:{}", paycode::hazmat::base45::encode(payload))
}

/// The accounts an hmac verifier holds: 7 and 42.
pub(crate) fn enrolled_accounts() -> Vec<EnrolledAccount> {
    [OTHER_ACCOUNT, ACCOUNT].into_iter().map(enrolled).collect()
}

/// Account `account` with its seed.
pub(crate) fn enrolled(account: u64) -> EnrolledAccount {
    EnrolledAccount { account_id: account, seed: hex(&hmac_seed(account)) }
}

// ---------------------------------------------------------------- verifiers

/// A verifier of the hmac profile only, terminal 1.
pub(crate) fn hmac_verifier(params: TimeParams) -> VerifierConfig {
    VerifierConfig {
        params,
        terminal_id: 1,
        hmac_accounts: Some(enrolled_accounts()),
        root_key: None,
        trust_list: None,
    }
}

/// A verifier of the ed25519 profile only, terminal 7.
pub(crate) fn ed25519_verifier(params: TimeParams, trust_list: &str) -> VerifierConfig {
    VerifierConfig {
        params,
        terminal_id: 7,
        hmac_accounts: None,
        root_key: Some(root_key()),
        trust_list: Some(trust_list.to_owned()),
    }
}

/// A verifier of both profiles, terminal 3.
pub(crate) fn both_profiles_verifier(params: TimeParams, trust_list: &str) -> VerifierConfig {
    VerifierConfig {
        params,
        terminal_id: 3,
        hmac_accounts: Some(enrolled_accounts()),
        root_key: Some(root_key()),
        trust_list: Some(trust_list.to_owned()),
    }
}

/// A verifier's state with `T_hw` and `Q` and nothing else.
pub(crate) fn state(t_hw: u64, q: u64) -> StateBefore {
    StateBefore { t_hw, q, ..StateBefore::default() }
}

/// The state of a verifier that has never been called.
pub(crate) fn fresh_state() -> StateBefore {
    StateBefore::default()
}

/// A state at `T_hw` with one replay entry, and the counter mark that the
/// acceptances which left it would have left: the entry's highest counter,
/// with its top step (spec: R-REPLAY-7).
pub(crate) fn state_with_entry(t_hw: u64, entry: ReplayEntry) -> StateBefore {
    let mark =
        MarkEntry { profile: entry.profile, subject: entry.subject, counter: entry.high, step: entry.top };
    StateBefore { t_hw, entries: vec![entry], marks: vec![mark], ..StateBefore::default() }
}

/// Steps after which an account's budget forgives one failure at X = 60:
/// `P = ⌈86400 / 60⌉` (spec: R-HMAC-7).
pub(crate) const ACCOUNT_PERIOD: u64 = 1440;
/// Steps after which a source's budget forgives one failure at X = 60:
/// `P_src = ⌈3600 / 60⌉` (spec: R-HMAC-8).
pub(crate) const SOURCE_PERIOD: u64 = 60;

/// The budget of `account` at `u` (spec: R-HMAC-7).
pub(crate) fn budget(account: u64, u: u64) -> AccountBudget {
    AccountBudget { account_id: account, u }
}

/// The state with `fresh_state`'s values and the budget of `account` at `u`.
pub(crate) fn with_budget(account: u64, u: u64) -> StateBefore {
    StateBefore { budgets: vec![budget(account, u)], ..fresh_state() }
}

/// The state with `fresh_state`'s values and the budget of source `terminal` at `u` (spec: R-HMAC-8).
pub(crate) fn with_source_budget(terminal: u32, u: u64) -> StateBefore {
    StateBefore { source_budgets: vec![SourceBudget { terminal_id: terminal, u }], ..fresh_state() }
}

/// A replay entry: highest counter `high`, bitmap and top step.
pub(crate) fn entry(profile: Profile, subject: u64, high: u32, bitmap: u64, top: u64) -> ReplayEntry {
    ReplayEntry { profile, subject, high, bitmap: format!("{bitmap:016x}"), top }
}

// ---------------------------------------------------------------- issuer and credentials

/// The issuer of every credential and list.
pub(crate) fn issuer() -> Issuer {
    Issuer::from_seed(&Seed::from_bytes(&seed_bytes("issuer")))
}

/// The RFC 8032 secret of issuer key `key_id`.
pub(crate) fn issuer_secret(key_id: u16) -> [u8; 32] {
    *derive(&Seed::from_bytes(&seed_bytes("issuer")), LABEL_ISSUER_KEY, &key_id.to_be_bytes()).expose()
}

/// The RFC 8032 secret of the issuer's root key.
pub(crate) fn root_secret() -> [u8; 32] {
    *derive(&Seed::from_bytes(&seed_bytes("issuer")), LABEL_ROOT_KEY, &[]).expose()
}

/// The issuer's root public key, hex.
pub(crate) fn root_key() -> String {
    hex(&issuer().root_key().public_bytes())
}

/// When the fixture's trust list 1 was issued: when key 1's validity starts.
pub(crate) const TRUST_ISSUED_AT: u64 = KEY_1.not_before;

/// Trust list 1 of issuer keys, signed by the root key, hex.
pub(crate) fn trust_list(keys: &[KeyPeriod]) -> Result<String, VectorError> {
    trust_list_at(TrustHeader { sequence: 1, issued_at: TRUST_ISSUED_AT }, keys)
}

/// A trust list of issuer keys numbered and dated by `header`, signed by
/// the root key, hex.
pub(crate) fn trust_list_at(header: TrustHeader, keys: &[KeyPeriod]) -> Result<String, VectorError> {
    let list = issuer().trust_list(header, keys).map_err(|e| fixture_error(InputError::TrustList(e)))?;
    Ok(hex(&list.encode()))
}

/// The trust list of key 1 alone.
pub(crate) fn trust_list_key_1() -> Result<String, VectorError> {
    trust_list(&[KEY_1])
}

/// The trust list of keys 1 and 2.
pub(crate) fn trust_list_keys_1_2() -> Result<String, VectorError> {
    trust_list(&[KEY_1, KEY_2])
}

/// The seed of wallet `wallet`.
pub(crate) fn device_seed(wallet: u32) -> Seed {
    Seed::from_bytes(&seed_bytes(&format!("wallet/{wallet}")))
}

/// The device public key of wallet `wallet`.
pub(crate) fn device_key(wallet: u32) -> [u8; 32] {
    Ed25519Wallet::device_public_key(&device_seed(wallet), 0)
}

/// The device secret key of wallet `wallet`.
pub(crate) fn device_secret(wallet: u32) -> SecretKey {
    SecretKey::derive(&device_seed(wallet), LABEL_DEVICE_KEY, &0u32.to_be_bytes())
}

/// Credential fields for wallet `wallet`, limits 5000 and 20000.
pub(crate) fn credential_fields(
    wallet: u32,
    key_id: u16,
    serial: u64,
    not_before: u64,
    lifetime: u32,
) -> CredentialFields {
    CredentialFields {
        key_id,
        serial,
        device_key: device_key(wallet),
        not_before,
        lifetime,
        per_payment_limit: 5_000,
        cumulative_limit: 20_000,
    }
}

/// The main credential's fields: wallet 1, key 1, serial 1001.
pub(crate) fn main_fields() -> CredentialFields {
    credential_fields(1, 1, SERIAL, CREDENTIAL_START, CREDENTIAL_LIFETIME)
}

/// The main credential's fields with another validity.
pub(crate) fn main_fields_valid(not_before: u64, lifetime: u32) -> CredentialFields {
    CredentialFields { not_before, lifetime, ..main_fields() }
}

/// A credential the issuer signs with the key its fields name.
pub(crate) fn issue(fields: CredentialFields) -> Credential {
    issuer().issue(fields)
}

/// A credential signed by another key.
pub(crate) fn issue_with(fields: CredentialFields, key: &SecretKey) -> Credential {
    Credential::issue(fields, key)
}

/// A revocation list signed by issuer key `key_id`, hex, fresh for a day
/// after `issued_at` and a day's grace.
pub(crate) fn revocation_list(key_id: u16, number: u64, issued_at: u64, serials: Vec<u64>) -> String {
    fresh_list(
        ListHeader { key_id, number, issued_at, next_update: issued_at + 86_400, grace: 86_400 },
        serials,
    )
}

/// The revocation list of `header` and `serials`, signed by the key the
/// header names, hex; a header the issuer refuses gives its bytes all the same.
pub(crate) fn fresh_list(header: ListHeader, serials: Vec<u64>) -> String {
    match issuer().revocation_list(header, serials.clone()) {
        Ok(list) => hex(&list.encode()),
        // A malformed header (for decoding cases): the layout of spec §4.7, signed.
        Err(_) => {
            let mut body = vec![paycode::VERSION];
            body.extend_from_slice(&header.key_id.to_be_bytes());
            body.extend_from_slice(&header.number.to_be_bytes());
            body.extend_from_slice(&header.issued_at.to_be_bytes());
            body.extend_from_slice(&header.next_update.to_be_bytes());
            body.extend_from_slice(&header.grace.to_be_bytes());
            body.extend_from_slice(&(serials.len() as u32).to_be_bytes());
            for s in &serials {
                body.extend_from_slice(&s.to_be_bytes());
            }
            let key = issuer().key(header.key_id);
            let signature = key.sign(&[paycode::hazmat::ds::DS_REVOCATION, &body].concat());
            body.extend_from_slice(&signature);
            hex(&body)
        }
    }
}

/// `state` with the standing revocation list installed when the verifier
/// enables ed25519 and the state names no list: number 0, signed by the
/// trust list's first key at the start of its validity, fresh at every
/// u64 time (`next_update = 2^64 - 1`), listing nothing. Every ed25519 case
/// needs a fresh list (spec: R-REVOKE-4); number 0 lets every list a case
/// installs be newer. A trust list whose first key is not the fixture
/// issuer's gets none.
pub(crate) fn with_standing_list(
    verifier: &VerifierConfig,
    state: StateBefore,
) -> Result<StateBefore, VectorError> {
    let Some(trust) = &verifier.trust_list else { return Ok(state) };
    if state.revocation_list.is_some() {
        return Ok(state);
    }
    let Ok(trust) = TrustList::decode(&unhex(trust)?) else { return Ok(state) };
    let Some(first) = trust.entries().first() else { return Ok(state) };
    if first.key.to_bytes() != issuer().key(first.key_id).public_bytes() {
        return Ok(state);
    }
    let header = ListHeader {
        key_id: first.key_id,
        number: 0,
        issued_at: first.not_before,
        next_update: u64::MAX,
        grace: 0,
    };
    Ok(StateBefore { revocation_list: Some(fresh_list(header, vec![])), ..state })
}

// ---------------------------------------------------------------- ed25519 codes

/// A code of wallet `wallet` with `credential`.
pub(crate) fn ed25519_code(
    params: &TimeParams,
    wallet: u32,
    credential: Credential,
    step: u64,
    counter: u32,
) -> Result<Ed25519Code, VectorError> {
    let wallet = Ed25519Wallet::new(checked(params)?, &device_seed(wallet), 0, credential, 0)
        .map_err(|e| fixture_error(InputError::Wallet(e)))?;
    Ok(wallet.code_for(step, counter))
}

/// A code of wallet `wallet` with `credential`, made for `purpose`.
pub(crate) fn ed25519_code_for(
    params: &TimeParams,
    wallet: u32,
    credential: Credential,
    step: u64,
    counter: u32,
    purpose: Purpose<'_>,
) -> Result<Ed25519Code, VectorError> {
    let wallet = Ed25519Wallet::new(checked(params)?, &device_seed(wallet), 0, credential, 0)
        .map_err(|e| fixture_error(InputError::Wallet(e)))?;
    Ok(wallet.code_as(step, counter, purpose))
}

/// The wallet of wallet `wallet`'s seed holding `batch`, used in turn (spec R-BATCH-4).
pub(crate) fn ed25519_batch_wallet(
    params: &TimeParams,
    wallet: u32,
    batch: &[BatchCredential],
) -> Result<Ed25519Wallet, VectorError> {
    Ed25519Wallet::batch(checked(params)?, &device_seed(wallet), batch)
        .map_err(|e| fixture_error(InputError::Wallet(e)))
}

/// Its QR text.
pub(crate) fn ed25519_text(
    params: &TimeParams,
    wallet: u32,
    credential: Credential,
    step: u64,
    counter: u32,
) -> Result<String, VectorError> {
    Ok(ed25519_code(params, wallet, credential, step, counter)?.to_qr_text())
}

/// The QR text of a code signed by any key, for credentials whose device key
/// has no secret or belongs to another wallet.
pub(crate) fn ed25519_text_signed_by(
    key: &SecretKey,
    credential: &Credential,
    step: u64,
    counter: u32,
) -> String {
    let unsigned = Ed25519Code::unsigned(step, counter, credential);
    let signature = key.sign(&[DS_ED25519_CODE, &unsigned].concat());
    qr_text(&[&unsigned[..], &signature[..]].concat())
}

// ---------------------------------------------------------------- bytes

/// `bytes[from..to]`.
pub(crate) fn cut(bytes: &[u8], from: usize, to: usize) -> Result<Vec<u8>, VectorError> {
    let range = FixtureError::Range { len: bytes.len(), from, to };
    Ok(bytes.get(from..to).ok_or(range)?.to_vec())
}

/// `bytes` with `bytes[at..at + new.len()]` replaced by `new`.
pub(crate) fn with_bytes_at(mut bytes: Vec<u8>, at: usize, new: &[u8]) -> Result<Vec<u8>, VectorError> {
    let range = FixtureError::Range { len: bytes.len(), from: at, to: at + new.len() };
    bytes.get_mut(at..at + new.len()).ok_or(range)?.copy_from_slice(new);
    Ok(bytes)
}
