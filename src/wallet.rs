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

/// An ed25519 profile wallet: a batch of one or more credentials, each for
/// its own device key, with a counter per credential (spec: R-BATCH-4).
///
/// Each code uses the credential whose next counter is the lowest, the first
/// such in the order they were added: a fresh batch shows one code per
/// credential, in turn, before any credential shows a second.
#[derive(Debug)]
pub struct Ed25519Wallet {
    params: Params,
    first: Held,
    more: Vec<Held>,
}

/// One credential of a wallet's batch: its device key's index, the
/// credential, and the counter its next code uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchCredential {
    /// The index of the credential's device key (spec: R-BATCH-1).
    pub index: u32,
    /// The credential.
    pub credential: Credential,
    /// The counter of this credential's next code.
    pub next_counter: u32,
}

#[derive(Debug)]
struct Held {
    key: SecretKey,
    index: u32,
    credential: Credential,
    next_counter: u32,
}

impl Ed25519Wallet {
    /// The device public key of index `index` of the wallet with `seed`;
    /// the issuer puts it in a credential (spec: R-BATCH-1).
    ///
    /// ```
    /// use paycode::{Ed25519Wallet, Seed};
    /// let seed = Seed::from_bytes(&[1; 32]);
    /// assert_ne!(Ed25519Wallet::device_public_key(&seed, 0), Ed25519Wallet::device_public_key(&seed, 1));
    /// ```
    pub fn device_public_key(seed: &Seed, index: u32) -> [u8; 32] {
        device_key(seed, index).public_bytes()
    }

    /// A wallet with device `seed` and one `credential`, for the device key
    /// of index `index`, whose next code uses `next_counter`.
    ///
    /// # Errors
    ///
    /// [`GenerateError::WrongCredential`] if the credential names another device key.
    pub fn new(
        params: Params,
        seed: &Seed,
        index: u32,
        credential: Credential,
        next_counter: u32,
    ) -> Result<Ed25519Wallet, GenerateError> {
        let first = held(seed, BatchCredential { index, credential, next_counter })?;
        Ok(Ed25519Wallet { params, first, more: Vec::new() })
    }

    /// A wallet with device `seed` and the credentials of `batch`, used in
    /// turn: fewest codes first, then key index (spec: R-BATCH-4).
    ///
    /// # Errors
    ///
    /// [`GenerateError::WrongCredential`] if the batch is empty, a
    /// credential names another device key than its index's, or two
    /// credentials have one index (one credential, whose counters each
    /// entry would use again: spec R-GEN-1).
    pub fn batch(
        params: Params,
        seed: &Seed,
        batch: &[BatchCredential],
    ) -> Result<Ed25519Wallet, GenerateError> {
        let mut indexes: Vec<u32> = batch.iter().map(|b| b.index).collect();
        indexes.sort_unstable();
        if indexes.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
            return Err(GenerateError::WrongCredential);
        }
        let (first, rest) = batch.split_first().ok_or(GenerateError::WrongCredential)?;
        let first = held(seed, *first)?;
        let more = rest.iter().map(|b| held(seed, *b)).collect::<Result<Vec<Held>, GenerateError>>()?;
        Ok(Ed25519Wallet { params, first, more })
    }

    /// Generates the code for unix time `now` with the next credential in
    /// turn, and advances that credential's counter (spec: R-GEN-1, R-GEN-2,
    /// R-ED-5, R-BATCH-4). The caller persists [`Ed25519Wallet::credentials`]
    /// before showing the code.
    ///
    /// # Errors
    ///
    /// [`GenerateError::TimeBeforeEpoch`], [`GenerateError::CounterExhausted`].
    pub fn generate(&mut self, now: u64) -> Result<Ed25519Code, GenerateError> {
        self.generate_for(now, Purpose::OneWay)
    }

    /// Generates a code in the mode `purpose` names for unix time `now` with
    /// the next credential in turn, and advances its counter (spec: R-GEN-2,
    /// R-BATCH-4).
    ///
    /// # Errors
    ///
    /// As [`Ed25519Wallet::generate`].
    pub fn generate_for(&mut self, now: u64, purpose: Purpose<'_>) -> Result<Ed25519Code, GenerateError> {
        let step = self.params.step_at(now).map_err(|_| GenerateError::TimeBeforeEpoch)?;
        let held = self.slot_mut(self.next_slot());
        let counter = take(&mut held.next_counter)?;
        Ok(code(held, step, counter, purpose))
    }

    /// The one-way code of the first credential for a given step and
    /// counter, without touching the counter.
    pub fn code_for(&self, step: u64, counter: u32) -> Ed25519Code {
        self.code_as(step, counter, Purpose::OneWay)
    }

    /// The code of the first credential for a given step, counter and
    /// purpose, without touching the counter.
    pub fn code_as(&self, step: u64, counter: u32, purpose: Purpose<'_>) -> Ed25519Code {
        code(&self.first, step, counter, purpose)
    }

    /// The counter the next code will use (that of the next credential in turn).
    pub fn next_counter(&self) -> u32 {
        self.slot(self.next_slot()).next_counter
    }

    /// The credential the next code will use (spec: R-BATCH-4).
    pub fn credential(&self) -> &Credential {
        &self.slot(self.next_slot()).credential
    }

    /// Every credential of the batch with its index and next counter, in the
    /// order the wallet holds them (the turn follows the counters and key
    /// indexes, not this order): what the wallet persists.
    pub fn credentials(&self) -> Vec<BatchCredential> {
        self.all()
            .map(|h| BatchCredential {
                index: h.index,
                credential: h.credential,
                next_counter: h.next_counter,
            })
            .collect()
    }

    /// The position of the next credential in turn: the one with the lowest
    /// next counter (the fewest codes made), the lowest key index among
    /// those (spec: R-BATCH-4).
    fn next_slot(&self) -> usize {
        let mut best = 0;
        let mut lowest = (u32::MAX, u32::MAX);
        for (i, h) in self.all().enumerate() {
            if (h.next_counter, h.index) < lowest {
                lowest = (h.next_counter, h.index);
                best = i;
            }
        }
        best
    }

    fn all(&self) -> impl Iterator<Item = &Held> {
        core::iter::once(&self.first).chain(self.more.iter())
    }

    fn slot(&self, i: usize) -> &Held {
        i.checked_sub(1).and_then(|j| self.more.get(j)).unwrap_or(&self.first)
    }

    fn slot_mut(&mut self, i: usize) -> &mut Held {
        match i.checked_sub(1).and_then(|j| self.more.get_mut(j)) {
            Some(h) => h,
            None => &mut self.first,
        }
    }
}

fn device_key(seed: &Seed, index: u32) -> SecretKey {
    // spec: R-BATCH-1
    SecretKey::derive(seed, LABEL_DEVICE_KEY, &index.to_be_bytes())
}

fn held(seed: &Seed, b: BatchCredential) -> Result<Held, GenerateError> {
    let key = device_key(seed, b.index);
    if key.public_bytes() != b.credential.fields().device_key {
        return Err(GenerateError::WrongCredential);
    }
    Ok(Held { key, index: b.index, credential: b.credential, next_counter: b.next_counter })
}

fn code(h: &Held, step: u64, counter: u32, purpose: Purpose<'_>) -> Ed25519Code {
    let head = Ed25519Code::unsigned_in(step, counter, purpose.mode(), &h.credential);
    // spec: R-ED-5
    let sig = h.key.sign(&[DS_ED25519_CODE, &head, &purpose.digest()].concat());
    let mut bytes = head;
    bytes.extend_from_slice(&sig);
    Ed25519Code { step, counter, mode: purpose.mode(), credential: h.credential, bytes }
}

fn take(counter: &mut u32) -> Result<u32, GenerateError> {
    // spec: R-GEN-3: a counter value is never used twice; u32::MAX is never handed out
    // so that the stored "next" value always exists.
    let c = *counter;
    *counter = c.checked_add(1).ok_or(GenerateError::CounterExhausted)?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::credential::CredentialFields;
    use crate::issuer::Issuer;

    const NOW: u64 = 1_800_000_000;

    /// The device key of index `i`, derived here with HKDF and Ed25519
    /// straight from the libraries: info = label || u32(i).
    fn expected_device_key(seed: &[u8; 32], i: u32) -> [u8; 32] {
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"paycode v3"), seed);
        let mut okm = [0u8; 32];
        let info = [&b"paycode/v3/ed25519/device-key\0"[..], &i.to_be_bytes()].concat();
        hk.expand(&info, &mut okm).unwrap();
        ed25519_dalek::SigningKey::from_bytes(&okm).verifying_key().to_bytes()
    }

    fn credential(issuer: &Issuer, seed: &Seed, index: u32, serial: u64) -> Credential {
        issuer.issue(CredentialFields {
            key_id: 1,
            serial,
            device_key: Ed25519Wallet::device_public_key(seed, index),
            not_before: NOW - 3_600,
            lifetime: 86_400,
            per_payment_limit: 100,
            cumulative_limit: 1_000,
        })
    }

    #[test]
    fn device_keys_follow_their_index() {
        // spec: R-BATCH-1
        let seed = Seed::from_bytes(&[3; 32]);
        for i in [0, 1, 2, u32::MAX] {
            assert_eq!(Ed25519Wallet::device_public_key(&seed, i), expected_device_key(&[3; 32], i), "{i}");
        }
        assert_ne!(Ed25519Wallet::device_public_key(&seed, 0), Ed25519Wallet::device_public_key(&seed, 1));
    }

    #[test]
    fn a_batch_is_used_in_turn_with_a_counter_per_credential() {
        // spec: R-BATCH-4
        let issuer = Issuer::from_seed(&Seed::from_bytes(&[1; 32]));
        let seed = Seed::from_bytes(&[2; 32]);
        let batch: Vec<BatchCredential> = [(5, 501), (6, 502), (7, 503)]
            .into_iter()
            .map(|(index, serial)| BatchCredential {
                index,
                credential: credential(&issuer, &seed, index, serial),
                next_counter: 0,
            })
            .collect();
        let mut w = Ed25519Wallet::batch(Params::default(), &seed, &batch).unwrap();
        let mut seen = Vec::new();
        for _ in 0..7 {
            let c = w.generate(NOW).unwrap();
            seen.push((c.credential().fields().serial, c.counter()));
        }
        assert_eq!(seen, [(501, 0), (502, 0), (503, 0), (501, 1), (502, 1), (503, 1), (501, 2)]);
        let counters: Vec<u32> = w.credentials().iter().map(|b| b.next_counter).collect();
        assert_eq!(counters, [3, 2, 2]);
        assert_eq!((w.credential().fields().serial, w.next_counter()), (502, 2));
        // A wallet read back from its counters goes on where it stopped.
        let again = Ed25519Wallet::batch(Params::default(), &seed, &w.credentials()).unwrap();
        assert_eq!((again.credential().fields().serial, again.next_counter()), (502, 2));
        // Each code verifies under its own credential's device key.
        let c = w.generate(NOW).unwrap();
        let device = crate::PublicKey::from_bytes(&c.credential().fields().device_key).unwrap();
        assert!(device.verify_parts(&[DS_ED25519_CODE, c.head()], &c.signature()));
        assert_eq!(c.credential().fields().device_key, expected_device_key(&[2; 32], 6));
    }

    #[test]
    fn a_batch_refuses_a_credential_of_another_index_and_emptiness() {
        let issuer = Issuer::from_seed(&Seed::from_bytes(&[1; 32]));
        let seed = Seed::from_bytes(&[2; 32]);
        let cred = credential(&issuer, &seed, 1, 9);
        assert_eq!(
            Ed25519Wallet::new(Params::default(), &seed, 0, cred, 0).err(),
            Some(GenerateError::WrongCredential)
        );
        assert!(Ed25519Wallet::new(Params::default(), &seed, 1, cred, 0).is_ok());
        let wrong = [
            BatchCredential { index: 1, credential: cred, next_counter: 0 },
            BatchCredential { index: 3, credential: cred, next_counter: 0 },
        ];
        assert_eq!(
            Ed25519Wallet::batch(Params::default(), &seed, &wrong).err(),
            Some(GenerateError::WrongCredential)
        );
        assert_eq!(
            Ed25519Wallet::batch(Params::default(), &seed, &[]).err(),
            Some(GenerateError::WrongCredential)
        );
    }

    #[test]
    fn a_batch_refuses_one_index_twice() {
        // spec: R-GEN-1: two entries of one credential would each use its counters.
        let issuer = Issuer::from_seed(&Seed::from_bytes(&[1; 32]));
        let seed = Seed::from_bytes(&[2; 32]);
        let held = |index, serial| BatchCredential {
            index,
            credential: credential(&issuer, &seed, index, serial),
            next_counter: 0,
        };
        for twice in [[held(4, 9), held(4, 9), held(5, 10)], [held(4, 9), held(5, 10), held(4, 11)]] {
            assert_eq!(
                Ed25519Wallet::batch(Params::default(), &seed, &twice).err(),
                Some(GenerateError::WrongCredential)
            );
        }
        assert!(Ed25519Wallet::batch(Params::default(), &seed, &[held(5, 10), held(4, 9)]).is_ok());
    }
}
