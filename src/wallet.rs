//! The wallet side: code generation for both profiles (spec §7.1).

use crate::challenge::Challenge;
use crate::code::{DS_ED25519_CODE, DS_HMAC_QR, Ed25519Code, HmacCode};
use crate::credential::Credential;
use crate::eddsa::SecretKey;
use crate::errors::GenerateError;
use crate::handle::StepHandle;
use crate::keys::{HmacKeys, LABEL_DEVICE_KEY, Seed};
use crate::numeric::NumericCode;
use crate::profile::Mode;
use crate::time::Params;

/// What a code is made for: the mode `m` of the generation algorithm, with
/// its cap or its challenge (spec: R-GEN-2, R-MODE-1). The wallet shows the
/// payer the cap, or the challenge's amount and terminal, and makes the code
/// only once the payer confirmed them (spec: R-GEN-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// A one-way code: no amount, no terminal.
    OneWay,
    /// A capped code: no payment above the cap, in minor units.
    Capped(u32),
    /// A challenge code, for this terminal's challenge.
    Challenge(&'a Challenge),
}

impl Purpose<'_> {
    /// The code's mode.
    pub const fn mode(&self) -> Mode {
        match self {
            Purpose::OneWay => Mode::OneWay,
            Purpose::Capped(cap) => Mode::Capped(*cap),
            Purpose::Challenge(_) => Mode::Challenge,
        }
    }

    /// The challenge digest the code covers, `D`: empty but for a challenge code (spec: R-CHAL-2).
    pub fn digest(&self) -> Vec<u8> {
        match self {
            Purpose::Challenge(c) => c.digest().to_vec(),
            Purpose::OneWay | Purpose::Capped(_) => Vec::new(),
        }
    }
}

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
        self.generate_for(now, Purpose::OneWay)
    }

    /// Generates a code in the mode `purpose` names for unix time `now`, and
    /// advances the counter (spec: R-GEN-2).
    ///
    /// # Errors
    ///
    /// As [`HmacWallet::generate`].
    pub fn generate_for(&mut self, now: u64, purpose: Purpose<'_>) -> Result<HmacCode, GenerateError> {
        let step = self.params.step_at(now).map_err(|_| GenerateError::TimeBeforeEpoch)?;
        let counter = self.take_counter()?;
        Ok(self.code_as(step, counter, purpose))
    }

    /// The one-way code for a given step and counter, without touching the
    /// counter (for vectors and worked examples).
    pub fn code_for(&self, step: u64, counter: u32) -> HmacCode {
        self.code_as(step, counter, Purpose::OneWay)
    }

    /// The code for a given step, counter and purpose, without touching the
    /// counter: the account's handle for `step` and the counter masked with
    /// the step's pad (spec: R-HANDLE-2).
    pub fn code_as(&self, step: u64, counter: u32, purpose: Purpose<'_>) -> HmacCode {
        let handle = StepHandle::derive(self.keys.handle_key(), step);
        let mut code =
            HmacCode::new(handle.bytes(), step, counter ^ handle.pad(), [0; 16]).with_mode(purpose.mode());
        // spec: R-HMAC-1
        let mac = self.keys.mac_qr(&[DS_HMAC_QR, &code.maced(), &purpose.digest()]);
        code.tag.copy_from_slice(mac.get(..16).unwrap_or(&[0; 16]));
        code
    }

    /// The numeric form of `code` (spec: R-HMAC-2, R-HMAC-4).
    ///
    /// # Errors
    ///
    /// [`GenerateError::NumericUnavailable`] for a capped or challenge code,
    /// a code of another account, or a counter `>= 2^16`.
    pub fn numeric(&self, code: &HmacCode) -> Result<NumericCode, GenerateError> {
        let handle = StepHandle::derive(self.keys.handle_key(), code.step());
        if code.mode() != Mode::OneWay || code.handle() != handle.bytes() {
            return Err(GenerateError::NumericUnavailable);
        }
        self.numeric_for(code.step(), code.masked_counter() ^ handle.pad())
    }

    /// The numeric form of the one-way code for `step` and `counter`,
    /// without touching the counter (spec: R-HMAC-2, R-HMAC-4).
    ///
    /// # Errors
    ///
    /// [`GenerateError::NumericUnavailable`] if the counter is `>= 2^16`.
    pub fn numeric_for(&self, step: u64, counter: u32) -> Result<NumericCode, GenerateError> {
        NumericCode::generate(&self.keys, step, counter).ok_or(GenerateError::NumericUnavailable)
    }

    /// The account's handle and pad for `step` (spec: R-HANDLE-1).
    pub fn handle_for(&self, step: u64) -> StepHandle {
        StepHandle::derive(self.keys.handle_key(), step)
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
        self.generate_for(now, Purpose::OneWay)
    }

    /// Generates a code in the mode `purpose` names for unix time `now`, and
    /// advances the counter (spec: R-GEN-2).
    ///
    /// # Errors
    ///
    /// As [`Ed25519Wallet::generate`].
    pub fn generate_for(&mut self, now: u64, purpose: Purpose<'_>) -> Result<Ed25519Code, GenerateError> {
        let step = self.params.step_at(now).map_err(|_| GenerateError::TimeBeforeEpoch)?;
        let counter = take(&mut self.next_counter)?;
        Ok(self.code_as(step, counter, purpose))
    }

    /// The one-way code for a given step and counter, without touching the counter.
    pub fn code_for(&self, step: u64, counter: u32) -> Ed25519Code {
        self.code_as(step, counter, Purpose::OneWay)
    }

    /// The code for a given step, counter and purpose, without touching the counter.
    pub fn code_as(&self, step: u64, counter: u32, purpose: Purpose<'_>) -> Ed25519Code {
        let head = Ed25519Code::unsigned_in(step, counter, purpose.mode(), &self.credential);
        // spec: R-ED-5
        let sig = self.key.sign(&[DS_ED25519_CODE, &head, &purpose.digest()].concat());
        let mut bytes = head;
        bytes.extend_from_slice(&sig);
        Ed25519Code { step, counter, mode: purpose.mode(), credential: self.credential, bytes }
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
