//! The issuer side of the ed25519 profile: issuer keys by key id,
//! credentials, trust lists and revocation lists (spec §4.3-§4.5).

use crate::credential::{Credential, CredentialFields, MAX_VALIDITY_SECS};
use crate::eddsa::{PublicKey, SecretKey};
use crate::errors::{BatchError, Error};
use crate::keys::{LABEL_ISSUER_KEY, LABEL_ROOT_KEY, Seed};
use crate::revocation::{ListHeader, RevocationList};
use crate::trust::{TrustEntry, TrustHeader, TrustList};

/// An issuer: one seed from which every issuer key is derived by key id, so
/// keys rotate without new secret material (spec: R-KEY-2, R-TRUST-2).
#[derive(Debug)]
pub struct Issuer {
    seed: Seed,
}

/// A key id with its validity period, as published in the trust list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyPeriod {
    /// The key id.
    pub key_id: u16,
    /// First second of validity (inclusive).
    pub not_before: u64,
    /// Last second of validity (inclusive).
    pub not_after: u64,
}

/// The unit to which an issuer aligns a batch's `not_before`, seconds, so
/// that the batches issued in one hour share it (spec: R-BATCH-2).
pub const NOT_BEFORE_ALIGNMENT: u64 = 3600;

/// How many times a random serial is drawn again when it collides before
/// the batch is refused: with 64-bit serials a collision is already rare.
const SERIAL_DRAWS: usize = 16;

/// The terms every credential of a batch shares (spec: R-BATCH-2), and the
/// payer's per-terminal cumulative limit that the batch splits (spec:
/// R-BATCH-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchTerms {
    /// Id of the issuer key that signs the batch.
    pub key_id: u16,
    /// Start of validity; the issuer aligns it down to a multiple of
    /// [`NOT_BEFORE_ALIGNMENT`].
    pub not_before: u64,
    /// Length of the validity period, seconds.
    pub lifetime: u32,
    /// Largest amount of one offline payment, per credential.
    pub per_payment_limit: u32,
    /// Largest total one terminal accepts offline, per credential.
    pub cumulative_limit: u32,
    /// The payer's per-terminal cumulative limit, which the batch's
    /// cumulative limits may not exceed in sum.
    pub payer_limit: u64,
}

impl BatchTerms {
    /// The `not_before` every credential of the batch carries: `not_before`
    /// aligned down to a multiple of [`NOT_BEFORE_ALIGNMENT`] (spec: R-BATCH-2).
    ///
    /// ```
    /// # let t = paycode::BatchTerms { key_id: 1, not_before: 7_300, lifetime: 60,
    /// #     per_payment_limit: 1, cumulative_limit: 1, payer_limit: 1 };
    /// assert_eq!(t.aligned_not_before(), 7_200);
    /// ```
    pub const fn aligned_not_before(&self) -> u64 {
        self.not_before - self.not_before % NOT_BEFORE_ALIGNMENT
    }

    /// The largest per-credential cumulative limit with which `n` credentials
    /// stay within `payer_limit` (spec: R-BATCH-3); `0` for `n = 0`.
    ///
    /// ```
    /// assert_eq!(paycode::BatchTerms::split(20_000, 8), 2_500);
    /// assert_eq!(paycode::BatchTerms::split(10, 3), 3);
    /// ```
    pub fn split(payer_limit: u64, n: u32) -> u32 {
        payer_limit.checked_div(u64::from(n)).map_or(0, |each| u32::try_from(each).unwrap_or(u32::MAX))
    }

    /// Checks the terms for a batch of `n` credentials (spec: R-BATCH-3, R-ED-4).
    fn check(&self, n: usize) -> Result<(), BatchError> {
        if n == 0 {
            return Err(BatchError::Empty);
        }
        if u64::from(self.lifetime) > MAX_VALIDITY_SECS {
            return Err(BatchError::Lifetime);
        }
        // spec: R-BATCH-3
        if self.per_payment_limit > self.cumulative_limit {
            return Err(BatchError::PaymentAboveTotal);
        }
        let sum = u128::from(self.cumulative_limit).saturating_mul(n as u128);
        if sum > u128::from(self.payer_limit) {
            return Err(BatchError::LimitSplit);
        }
        Ok(())
    }
}

impl Issuer {
    /// The issuer with this seed.
    pub fn from_seed(seed: &Seed) -> Issuer {
        Issuer { seed: seed.clone() }
    }

    /// The signing key of `key_id`.
    pub fn key(&self, key_id: u16) -> SecretKey {
        SecretKey::derive(&self.seed, LABEL_ISSUER_KEY, &key_id.to_be_bytes())
    }

    /// The root key, which signs trust lists and nothing else (spec: R-KEY-3,
    /// R-TRUST-3).
    pub fn root_key(&self) -> SecretKey {
        SecretKey::derive(&self.seed, LABEL_ROOT_KEY, &[])
    }

    /// The root public key, which a terminal is configured with to check
    /// trust lists (spec: R-TRUST-3).
    ///
    /// # Errors
    ///
    /// [`Error::BadCredential`] if the derived key were invalid (it never is
    /// for honest derivation).
    pub fn root_public_key(&self) -> Result<PublicKey, Error> {
        PublicKey::from_bytes(&self.root_key().public_bytes()).ok_or(Error::BadCredential)
    }

    /// Issues a credential, signed with the key its `key_id` names (spec: R-ED-3).
    pub fn issue(&self, fields: CredentialFields) -> Credential {
        Credential::issue(fields, &self.key(fields.key_id))
    }

    /// Issues a batch for one payer: a credential for each of
    /// `device_keys`, in order, each with its own random serial, all with the
    /// same `terms` (spec: R-BATCH-2, R-BATCH-3). `taken` tells the serials
    /// the issuer already used: a serial is drawn again until it is new. The
    /// caller keeps which payer, batch and index each serial is for (spec:
    /// R-BATCH-5).
    ///
    /// # Errors
    ///
    /// [`BatchError::Empty`], [`BatchError::Lifetime`],
    /// [`BatchError::PaymentAboveTotal`], [`BatchError::LimitSplit`],
    /// [`BatchError::DeviceKey`], [`BatchError::Validity`];
    /// [`BatchError::Random`] if the system has no randomness, and
    /// [`BatchError::DuplicateSerial`] if fresh serials kept colliding.
    pub fn issue_batch(
        &self,
        terms: &BatchTerms,
        device_keys: &[[u8; 32]],
        taken: impl Fn(u64) -> bool,
    ) -> Result<Vec<Credential>, BatchError> {
        terms.check(device_keys.len())?;
        let mut serials: Vec<u64> = Vec::with_capacity(device_keys.len());
        for _ in device_keys {
            serials.push(fresh_serial(&serials, &taken)?);
        }
        self.issue_batch_with_serials(terms, device_keys, &serials)
    }

    /// As [`Issuer::issue_batch`], with the serials given, one per device
    /// key: for vectors and for an issuer that draws its serials elsewhere.
    /// They must be distinct; that they are unpredictable and new at the
    /// issuer is the caller's duty (spec: R-BATCH-2).
    ///
    /// # Errors
    ///
    /// As [`Issuer::issue_batch`]; [`BatchError::SerialCount`] if there are
    /// not as many serials as device keys; [`BatchError::DeviceKey`] if a
    /// device key is not a valid point, and [`BatchError::Validity`] if the
    /// validity period would end after `2^64 - 1` (spec: R-ED-4).
    pub fn issue_batch_with_serials(
        &self,
        terms: &BatchTerms,
        device_keys: &[[u8; 32]],
        serials: &[u64],
    ) -> Result<Vec<Credential>, BatchError> {
        terms.check(device_keys.len())?;
        if serials.len() != device_keys.len() {
            return Err(BatchError::SerialCount);
        }
        let mut sorted = serials.to_vec();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w.first() == w.get(1)) {
            return Err(BatchError::DuplicateSerial);
        }
        // spec: R-BATCH-2: the same terms for every credential.
        let not_before = terms.aligned_not_before();
        // spec: R-ED-4: no credential of the batch may be bad on its own.
        if not_before.checked_add(u64::from(terms.lifetime)).is_none() {
            return Err(BatchError::Validity);
        }
        if device_keys.iter().any(|k| PublicKey::from_bytes(k).is_none()) {
            return Err(BatchError::DeviceKey);
        }
        let key = self.key(terms.key_id);
        Ok(device_keys
            .iter()
            .zip(serials)
            .map(|(device_key, serial)| {
                let fields = CredentialFields {
                    key_id: terms.key_id,
                    serial: *serial,
                    device_key: *device_key,
                    not_before,
                    lifetime: terms.lifetime,
                    per_payment_limit: terms.per_payment_limit,
                    cumulative_limit: terms.cumulative_limit,
                };
                Credential::issue(fields, &key)
            })
            .collect())
    }

    /// The trust list of these key periods, numbered and dated by `header`
    /// and signed with the root key (spec: R-TRUST-3).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] as [`TrustList::issue`]; [`Error::BadCredential`]
    /// if a derived key were invalid (it never is for honest derivation).
    pub fn trust_list(&self, header: TrustHeader, periods: &[KeyPeriod]) -> Result<TrustList, Error> {
        let entries = periods
            .iter()
            .map(|p| {
                let key =
                    PublicKey::from_bytes(&self.key(p.key_id).public_bytes()).ok_or(Error::BadCredential)?;
                Ok(TrustEntry { key_id: p.key_id, not_before: p.not_before, not_after: p.not_after, key })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        TrustList::issue(header, &self.root_key(), entries)
    }

    /// Signs the revocation list of `header` and `serials` with the key
    /// `header.key_id` names (spec: R-REVOKE-1). An issuer publishes one
    /// even when no serial is revoked: a terminal without a fresh list
    /// accepts no ed25519 code (spec: R-REVOKE-4).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if `next_update < issued_at` or `grace > 604800`.
    pub fn revocation_list(&self, header: ListHeader, serials: Vec<u64>) -> Result<RevocationList, Error> {
        RevocationList::issue(header, &self.key(header.key_id), serials)
    }
}

/// A random serial that is neither in `batch` nor `taken` (spec: R-BATCH-2).
fn fresh_serial(batch: &[u64], taken: &impl Fn(u64) -> bool) -> Result<u64, BatchError> {
    for _ in 0..SERIAL_DRAWS {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|_| BatchError::Random)?;
        let serial = u64::from_be_bytes(bytes);
        if !batch.contains(&serial) && !taken(serial) {
            return Ok(serial);
        }
    }
    Err(BatchError::DuplicateSerial)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const NOW: u64 = 1_800_001_234;

    fn terms() -> BatchTerms {
        BatchTerms {
            key_id: 3,
            not_before: NOW,
            lifetime: 86_400,
            per_payment_limit: 1_000,
            cumulative_limit: 2_500,
            payer_limit: 20_000,
        }
    }

    /// `n` valid device public keys.
    fn keys(n: u8) -> Vec<[u8; 32]> {
        (0..n).map(|i| SecretKey::derive(&Seed::from_bytes(&[i; 32]), b"test", &[]).public_bytes()).collect()
    }

    #[test]
    fn a_batch_has_equal_terms_and_distinct_random_serials() {
        // spec: R-BATCH-2
        let issuer = Issuer::from_seed(&Seed::from_bytes(&[4; 32]));
        let devices = keys(8);
        let batch = issuer.issue_batch(&terms(), &devices, |_| false).unwrap();
        assert_eq!(batch.len(), 8);
        let public = PublicKey::from_bytes(&issuer.key(3).public_bytes()).unwrap();
        let mut serials: Vec<u64> = Vec::new();
        for (i, c) in batch.iter().enumerate() {
            let f = c.fields();
            assert_eq!(f.device_key, devices[i]);
            // 1_800_001_234 = 500_000 * 3600 + 1_234: aligned down to 1_800_000_000.
            assert_eq!((f.key_id, f.not_before, f.lifetime), (3, 1_800_000_000, 86_400));
            assert_eq!((f.per_payment_limit, f.cumulative_limit), (1_000, 2_500));
            assert!(c.check(&public, 0, u64::MAX).is_ok());
            serials.push(f.serial);
        }
        serials.sort_unstable();
        serials.dedup();
        assert_eq!(serials.len(), 8, "distinct serials");
        // Another batch draws other serials; a serial the issuer holds is never drawn.
        let next = issuer.issue_batch(&terms(), &keys(8), |s| serials.contains(&s)).unwrap();
        assert!(next.iter().all(|c| !serials.contains(&c.fields().serial)));
        assert_eq!(issuer.issue_batch(&terms(), &keys(2), |_| true).err(), Some(BatchError::DuplicateSerial));
    }

    #[test]
    fn a_batch_with_a_bad_credential_is_refused_whole() {
        // spec: R-ED-4, R-BATCH-3: a small-order device key, or a validity past 2^64 - 1.
        let issuer = Issuer::from_seed(&Seed::from_bytes(&[4; 32]));
        let mut devices = keys(3);
        let mut identity = [0u8; 32];
        identity[0] = 1;
        devices[1] = identity;
        assert_eq!(
            issuer.issue_batch_with_serials(&terms(), &devices, &[1, 2, 3]).err(),
            Some(BatchError::DeviceKey)
        );
        let late = BatchTerms { not_before: u64::MAX, ..terms() };
        assert_eq!(
            issuer.issue_batch_with_serials(&late, &keys(3), &[1, 2, 3]).err(),
            Some(BatchError::Validity)
        );
        // The latest start that still fits: its hour plus the lifetime is 2^64 - 1 or less.
        let last = u64::MAX - 86_400;
        let fits = BatchTerms { not_before: last, ..terms() };
        assert_eq!(issuer.issue_batch_with_serials(&fits, &keys(3), &[1, 2, 3]).map(|b| b.len()), Ok(3));
    }

    #[test]
    fn a_batch_splits_the_payer_limit() {
        // spec: R-BATCH-3: 8 * 2_500 = 20_000 is the most; one unit more is refused.
        let issuer = Issuer::from_seed(&Seed::from_bytes(&[4; 32]));
        let given = |t: &BatchTerms, n: u8| {
            let serials: Vec<u64> = (0..u64::from(n)).collect();
            issuer.issue_batch_with_serials(t, &keys(n), &serials).map(|b| b.len())
        };
        assert_eq!(given(&terms(), 8), Ok(8));
        assert_eq!(given(&terms(), 9), Err(BatchError::LimitSplit));
        assert_eq!(given(&BatchTerms { cumulative_limit: 2_501, ..terms() }, 8), Err(BatchError::LimitSplit));
        assert_eq!(
            given(&BatchTerms { per_payment_limit: 2_501, ..terms() }, 1),
            Err(BatchError::PaymentAboveTotal)
        );
        assert_eq!(given(&BatchTerms { lifetime: 604_801, ..terms() }, 1), Err(BatchError::Lifetime));
        assert_eq!(given(&terms(), 0), Err(BatchError::Empty));
        let cumulative = BatchTerms::split(20_000, 3);
        assert_eq!(cumulative, 6_666);
        assert_eq!(given(&BatchTerms { cumulative_limit: cumulative, ..terms() }, 3), Ok(3));
        assert_eq!(
            issuer.issue_batch_with_serials(&terms(), &keys(2), &[7, 7]).err(),
            Some(BatchError::DuplicateSerial)
        );
        assert_eq!(
            issuer.issue_batch_with_serials(&terms(), &keys(2), &[7]).err(),
            Some(BatchError::SerialCount)
        );
        assert_eq!(BatchTerms::split(5, 0), 0);
        assert_eq!(BatchTerms::split(u64::MAX, 1), u32::MAX);
    }
}
