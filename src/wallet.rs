//! The wallet side: code generation for both profiles (spec §7.1).

use crate::code::{
    DS_ED25519_CODE, DS_HMAC_QR, ED25519_PAYLOAD_LEN, ED25519_SIGNED_LEN, Ed25519Code, HmacCode,
};
use crate::credential::Credential;
use crate::eddsa::SecretKey;
use crate::errors::GenerateError;
use crate::keys::{HmacKeys, LABEL_DEVICE_KEY, Seed};
use crate::numeric::NumericCode;
use crate::time::Params;

/// An hmac profile wallet: account id, the seed's derived keys, and the next counter.
#[derive(Debug)]
pub struct HmacWallet {
    params: Params,
    keys: HmacKeys,
    next_counter: u32,
}

impl HmacWallet {
    /// A wallet for `account_id` with its `seed`, whose next code uses `next_counter`.
    pub fn new(params: Params, account_id: u64, seed: &Seed, next_counter: u32) -> HmacWallet {
        HmacWallet { params, keys: HmacKeys::derive(account_id, seed), next_counter }
    }

    /// Generates the code for unix time `now` and advances the counter
    /// (spec: R-GEN-1, R-GEN-2, R-HMAC-1). The caller persists
    /// [`HmacWallet::next_counter`] before showing the code.
    ///
    /// # Errors
    ///
    /// [`GenerateError::TimeBeforeEpoch`], [`GenerateError::CounterExhausted`].
    pub fn generate(&mut self, now: u64) -> Result<HmacCode, GenerateError> {
        let step = self.params.step_at(now).map_err(|_| GenerateError::TimeBeforeEpoch)?;
        let counter = self.take_counter()?;
        Ok(self.code_for(step, counter))
    }

    /// The code for a given step and counter, without touching the counter
    /// (for vectors and worked examples).
    pub fn code_for(&self, step: u64, counter: u32) -> HmacCode {
        let mut code = HmacCode { account_id: self.keys.account_id(), step, counter, tag: [0; 16] };
        let mac = self.keys.mac_qr(&[DS_HMAC_QR, &code.maced()]);
        code.tag.copy_from_slice(mac.get(..16).unwrap_or(&[0; 16]));
        code
    }

    /// The numeric form of `code` (spec: R-HMAC-2, R-HMAC-4).
    ///
    /// # Errors
    ///
    /// [`GenerateError::NumericUnavailable`] if the account id is `>= 2^30` or the counter `>= 2^16`.
    pub fn numeric(&self, code: &HmacCode) -> Result<NumericCode, GenerateError> {
        NumericCode::generate(&self.keys, code.step(), code.counter())
            .ok_or(GenerateError::NumericUnavailable)
    }

    /// The counter the next code will use.
    pub const fn next_counter(&self) -> u32 {
        self.next_counter
    }

    /// The account id.
    pub const fn account_id(&self) -> u64 {
        self.keys.account_id()
    }

    fn take_counter(&mut self) -> Result<u32, GenerateError> {
        take(&mut self.next_counter)
    }
}

/// An ed25519 profile wallet: device key, issuer credential, next counter.
#[derive(Debug)]
pub struct Ed25519Wallet {
    params: Params,
    key: SecretKey,
    credential: Credential,
    next_counter: u32,
}

impl Ed25519Wallet {
    /// The device public key the wallet with `seed` has; the issuer puts it in the credential.
    pub fn device_public_key(seed: &Seed) -> [u8; 32] {
        SecretKey::derive(seed, LABEL_DEVICE_KEY, &[]).public_bytes()
    }

    /// A wallet with device `seed` and its `credential`.
    ///
    /// # Errors
    ///
    /// [`GenerateError::WrongCredential`] if the credential names another device key.
    pub fn new(
        params: Params,
        seed: &Seed,
        credential: Credential,
        next_counter: u32,
    ) -> Result<Ed25519Wallet, GenerateError> {
        let key = SecretKey::derive(seed, LABEL_DEVICE_KEY, &[]);
        if key.public_bytes() != credential.fields().device_key {
            return Err(GenerateError::WrongCredential);
        }
        Ok(Ed25519Wallet { params, key, credential, next_counter })
    }

    /// Generates the code for unix time `now` and advances the counter
    /// (spec: R-GEN-1, R-GEN-2, R-ED-5). The caller persists
    /// [`Ed25519Wallet::next_counter`] before showing the code.
    ///
    /// # Errors
    ///
    /// [`GenerateError::TimeBeforeEpoch`], [`GenerateError::CounterExhausted`].
    pub fn generate(&mut self, now: u64) -> Result<Ed25519Code, GenerateError> {
        let step = self.params.step_at(now).map_err(|_| GenerateError::TimeBeforeEpoch)?;
        let counter = take(&mut self.next_counter)?;
        Ok(self.code_for(step, counter))
    }

    /// The code for a given step and counter, without touching the counter.
    pub fn code_for(&self, step: u64, counter: u32) -> Ed25519Code {
        let unsigned = Ed25519Code::unsigned(step, counter, &self.credential);
        let sig = self.key.sign(&[DS_ED25519_CODE, &unsigned].concat());
        let mut bytes = [0u8; ED25519_PAYLOAD_LEN];
        let (head, tail) = bytes.split_at_mut(ED25519_SIGNED_LEN);
        head.copy_from_slice(&unsigned);
        tail.copy_from_slice(&sig);
        Ed25519Code { step, counter, credential: self.credential, bytes }
    }

    /// The counter the next code will use.
    pub const fn next_counter(&self) -> u32 {
        self.next_counter
    }

    /// The wallet's credential.
    pub const fn credential(&self) -> &Credential {
        &self.credential
    }
}

fn take(counter: &mut u32) -> Result<u32, GenerateError> {
    // spec: R-GEN-3: a counter value is never used twice; u32::MAX is never handed out
    // so that the stored "next" value always exists.
    let c = *counter;
    *counter = c.checked_add(1).ok_or(GenerateError::CounterExhausted)?;
    Ok(c)
}
