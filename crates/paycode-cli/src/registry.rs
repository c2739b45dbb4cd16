//! The issuer's registry operations on its file: creation, enrolment of
//! hmac accounts and ed25519 credentials, revocation. The command holds the
//! issuer file's lock around each of them ([`crate::fsio::Locked`]).

use std::collections::{BTreeMap, BTreeSet};

use paycode::codec::to_hex;
use paycode::log::Holder;
use paycode::{BatchCredential, BatchError, BatchTerms, Ed25519Wallet, Params, Profile, Seed};

use crate::errors::RegistryError;
use crate::files::{
    AccountFile, BatchFile, ISSUER_FORMAT, IssuerFile, KeyFile, PayerFile, RevocationFile, TrustFile,
    WALLET_FORMAT, WalletFile,
};

/// A payer's per-terminal cumulative limit when none is given, minor units.
pub const DEFAULT_PAYER_LIMIT: u64 = 20_000;
/// The per-payment limit when none is given, minor units (lowered to the
/// cumulative limit of a credential when that is smaller).
pub const DEFAULT_PER_PAYMENT: u32 = 5_000;

/// What a batch of ed25519 credentials grants (spec: R-BATCH-2,
/// R-BATCH-3); the serials are random unless a first one is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialTerms {
    /// The first serial, the others following it; `None` for random serials.
    pub serial: Option<u64>,
    /// Start of validity, unix seconds (aligned down to the hour by the issuer).
    pub not_before: u64,
    /// Lifetime, seconds (at most 604800, spec: R-ED-4).
    pub lifetime: u32,
    /// Per-payment offline limit, minor units; `None` for
    /// [`DEFAULT_PER_PAYMENT`] or the cumulative limit if smaller.
    pub per_payment: Option<u32>,
    /// Cumulative offline limit per terminal of each credential; `None` for
    /// the payer's limit split evenly over the batch.
    pub cumulative: Option<u32>,
    /// The payer's per-terminal cumulative limit; `None` for the payer's
    /// stored one, or [`DEFAULT_PAYER_LIMIT`] for a new payer.
    pub payer_limit: Option<u64>,
    /// The number of credentials in the batch.
    pub batch: u32,
}

impl IssuerFile {
    /// A new issuer: key 1 valid over `key`'s period, no accounts, no revocations.
    pub fn create(params: Params, seed: &Seed, key: KeyFile) -> IssuerFile {
        IssuerFile {
            format: ISSUER_FORMAT.into(),
            params: params.into(),
            issuer_seed: to_hex(seed.expose()),
            keys: vec![key],
            current_key_id: 1,
            accounts: Vec::new(),
            next_account_id: 1,
            next_serial: 1,
            revocation: RevocationFile::default(),
            trust: TrustFile::default(),
            payers: Vec::new(),
            next_payer: 1,
        }
    }

    /// Enrolls an hmac account sharing `seed`, with `account_id` or the next
    /// free id, and returns its wallet, whose first counter is `counter`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::AccountTaken`], [`RegistryError::AccountsExhausted`].
    pub fn enroll_hmac(
        &mut self,
        seed: &Seed,
        account_id: Option<u64>,
        counter: u32,
    ) -> Result<WalletFile, RegistryError> {
        let id = account_id.unwrap_or(self.next_account_id);
        if self.accounts.iter().any(|a| a.account_id == id) {
            return Err(RegistryError::AccountTaken(id));
        }
        let after = id.checked_add(1).ok_or(RegistryError::AccountsExhausted)?;
        self.next_account_id = self.next_account_id.max(after);
        self.accounts.push(AccountFile { account_id: id, seed: to_hex(seed.expose()) });
        Ok(self.wallet(Profile::Hmac, seed, Some(id), None, counter))
    }

    /// Enrolls a new ed25519 payer: issues a batch of credentials for the
    /// device keys of `seed` of indexes `0..terms.batch` with the current
    /// issuer key, and returns the wallet, whose credentials' first counter
    /// is `counter`. A batch that terminals would reject is refused.
    ///
    /// # Errors
    ///
    /// As [`IssuerFile::renew_ed25519`].
    pub fn enroll_ed25519(
        &mut self,
        seed: &Seed,
        terms: &CredentialTerms,
        counter: u32,
    ) -> Result<WalletFile, RegistryError> {
        let payer = self.next_payer;
        let after = payer.checked_add(1).ok_or(RegistryError::AccountsExhausted)?;
        let limit = terms.payer_limit.unwrap_or(DEFAULT_PAYER_LIMIT);
        let (batch, record) = self.issue_batch(seed, limit, terms, 0, counter)?;
        self.next_payer = after;
        self.payers.push(PayerFile { payer, limit, batches: vec![BatchFile { batch: 1, ..record }] });
        let mut wallet = self.wallet(Profile::Ed25519, seed, None, None, counter);
        wallet.payer = Some(payer);
        wallet.next_key_index = Some(terms.batch);
        wallet.set_batch(&batch);
        Ok(wallet)
    }

    /// Renews the batch of the ed25519 `wallet` of `seed`: a new batch for
    /// its payer, whose device key indexes continue after the wallet's last
    /// (spec: R-BATCH-1), replaces the wallet's credentials.
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownPayer`], [`RegistryError::IndexesExhausted`],
    /// [`RegistryError::Batch`], [`RegistryError::SerialsExhausted`],
    /// [`RegistryError::NoCurrentKey`], [`RegistryError::Credential`],
    /// [`RegistryError::Content`].
    pub fn renew_ed25519(
        &mut self,
        wallet: &mut WalletFile,
        seed: &Seed,
        terms: &CredentialTerms,
    ) -> Result<(), RegistryError> {
        let payer = wallet.payer.ok_or(RegistryError::UnknownPayer(0))?;
        let at =
            self.payers.iter().position(|p| p.payer == payer).ok_or(RegistryError::UnknownPayer(payer))?;
        let limit = terms.payer_limit.or(self.payers.get(at).map(|p| p.limit)).unwrap_or(DEFAULT_PAYER_LIMIT);
        // A wallet without next_key_index (an earlier version's used index 0
        // for its one credential) starts after the indexes it holds.
        let held = wallet.batch().map_err(RegistryError::Content)?.iter().map(|b| b.index).max();
        let after_held = held.map_or(Some(1), |i| i.checked_add(1)).ok_or(RegistryError::IndexesExhausted)?;
        let first = wallet.next_key_index.unwrap_or(after_held);
        let end = first.checked_add(terms.batch).ok_or(RegistryError::IndexesExhausted)?;
        let (batch, record) = self.issue_batch(seed, limit, terms, first, 0)?;
        let p = self.payers.get_mut(at).ok_or(RegistryError::UnknownPayer(payer))?;
        let number = p.batches.last().map_or(1, |b| b.batch.saturating_add(1));
        p.limit = limit;
        p.batches.push(BatchFile { batch: number, ..record });
        wallet.next_key_index = Some(end);
        wallet.set_batch(&batch);
        Ok(())
    }

    /// Every serial of `payer`'s batches that has not expired at `now`:
    /// what revoking the payer puts on the list (spec: R-BATCH-5).
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownPayer`].
    pub fn payer_serials(&self, payer: u64, now: u64) -> Result<Vec<u64>, RegistryError> {
        let p = self.payers.iter().find(|p| p.payer == payer).ok_or(RegistryError::UnknownPayer(payer))?;
        Ok(p.batches.iter().filter(|b| b.not_after >= now).flat_map(|b| b.serials.iter().copied()).collect())
    }

    /// The issuer's mapping of serials to payer, batch and index (spec: R-BATCH-5).
    pub fn holders(&self) -> BTreeMap<u64, Holder> {
        let mut out = BTreeMap::new();
        for p in &self.payers {
            for b in &p.batches {
                let n = u64::try_from(b.serials.len()).unwrap_or(u64::MAX);
                let batch_limit = u64::from(b.cumulative).saturating_mul(n);
                for (index, serial) in b.serials.iter().enumerate() {
                    let index = u32::try_from(index).unwrap_or(u32::MAX);
                    out.insert(*serial, Holder { payer: p.payer, batch: b.batch, index, batch_limit });
                }
            }
        }
        out
    }

    /// Issues a batch for the device keys of `seed` from index `first`,
    /// within the payer's per-terminal `limit`, each credential's counter
    /// starting at `counter`; the batch's record is numbered 0.
    fn issue_batch(
        &mut self,
        seed: &Seed,
        limit: u64,
        terms: &CredentialTerms,
        first: u32,
        counter: u32,
    ) -> Result<(Vec<BatchCredential>, BatchFile), RegistryError> {
        let indexes = (0..terms.batch)
            .map(|k| first.checked_add(k))
            .collect::<Option<Vec<u32>>>()
            .ok_or(RegistryError::IndexesExhausted)?;
        let keys: Vec<[u8; 32]> =
            indexes.iter().map(|i| Ed25519Wallet::device_public_key(seed, *i)).collect();
        let cumulative = terms.cumulative.unwrap_or_else(|| BatchTerms::split(limit, terms.batch));
        let batch_terms = BatchTerms {
            key_id: self.current_key_id,
            not_before: terms.not_before,
            lifetime: terms.lifetime,
            per_payment_limit: terms.per_payment.unwrap_or(DEFAULT_PER_PAYMENT.min(cumulative)),
            cumulative_limit: cumulative,
            payer_limit: limit,
        };
        let taken: BTreeSet<u64> = self
            .payers
            .iter()
            .flat_map(|p| p.batches.iter().flat_map(|b| b.serials.iter().copied()))
            .chain(self.revocation.serials.iter().copied())
            .collect();
        let issuer = self.issuer()?;
        let (credentials, next_serial) = match terms.serial {
            Some(s) => {
                let end = s.checked_add(u64::from(terms.batch)).ok_or(RegistryError::SerialsExhausted)?;
                let serials: Vec<u64> = (s..end).collect();
                if serials.iter().any(|s| taken.contains(s)) {
                    return Err(RegistryError::Batch(BatchError::DuplicateSerial));
                }
                (issuer.issue_batch_with_serials(&batch_terms, &keys, &serials), Some(end))
            }
            None => (issuer.issue_batch(&batch_terms, &keys, |s| taken.contains(&s)), None),
        };
        let credentials = credentials.map_err(RegistryError::Batch)?;
        let trust = self.trust_list()?;
        let entry = trust.get(batch_terms.key_id).ok_or(RegistryError::NoCurrentKey(batch_terms.key_id))?;
        for c in &credentials {
            c.check(&entry.key, entry.not_before, entry.not_after).map_err(RegistryError::Credential)?;
        }
        if let Some(end) = next_serial {
            self.next_serial = self.next_serial.max(end);
        }
        let not_after = credentials.first().and_then(|c| c.fields().not_after()).unwrap_or(0);
        let record = BatchFile {
            batch: 0,
            serials: credentials.iter().map(|c| c.fields().serial).collect(),
            not_after,
            cumulative,
        };
        let batch = indexes
            .into_iter()
            .zip(credentials)
            .map(|(index, credential)| BatchCredential { index, credential, next_counter: counter })
            .collect();
        Ok((batch, record))
    }

    /// Adds `serials` to the revocation list, drops those of the issuer's
    /// batches that expired before `now`, and signs a new list, numbered one
    /// above the last, issued at `now`.
    pub fn revoke(&mut self, serials: &[u64], now: u64) -> &RevocationFile {
        // spec: R-BATCH-5: a serial leaves the list once its credential expired.
        let expired: BTreeSet<u64> = self
            .payers
            .iter()
            .flat_map(|p| {
                p.batches.iter().filter(|b| b.not_after < now).flat_map(|b| b.serials.iter().copied())
            })
            .collect();
        let r = &mut self.revocation;
        r.serials.extend_from_slice(serials);
        r.serials.retain(|s| !expired.contains(s));
        r.serials.sort_unstable();
        r.serials.dedup();
        // One more, issued no earlier: newer at every terminal (spec: R-REVOKE-2).
        r.number = r.number.saturating_add(1);
        r.issued_at = now.max(r.issued_at);
        r
    }

    /// Publishes a new trust list of the issuer's keys, numbered one above
    /// the last, issued at `now` (or at the last list's time if later), so
    /// that it is newer at every terminal (spec: R-TRUST-4).
    pub fn publish_trust_list(&mut self, now: u64) -> &TrustFile {
        let t = &mut self.trust;
        t.sequence = t.sequence.saturating_add(1);
        t.issued_at = now.max(t.issued_at);
        t
    }

    fn wallet(
        &self,
        profile: Profile,
        seed: &Seed,
        account_id: Option<u64>,
        credential: Option<String>,
        counter: u32,
    ) -> WalletFile {
        WalletFile {
            format: WALLET_FORMAT.into(),
            profile,
            params: self.params,
            account_id,
            seed: to_hex(seed.expose()),
            credential,
            next_counter: counter,
            payer: None,
            credentials: Vec::new(),
            next_key_index: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn issuer() -> IssuerFile {
        let key = KeyFile { key_id: 1, not_before: NOW - 86_400, not_after: NOW + 86_400 };
        IssuerFile::create(Params::default(), &Seed::from_bytes(&[9; 32]), key)
    }

    fn terms(serial: Option<u64>, batch: u32) -> CredentialTerms {
        CredentialTerms {
            serial,
            not_before: NOW,
            lifetime: 3_600,
            per_payment: None,
            cumulative: None,
            payer_limit: Some(20),
            batch,
        }
    }

    #[test]
    fn hmac_accounts_are_distinct_and_numbered_upwards() {
        let mut i = issuer();
        let seed = Seed::from_bytes(&[1; 32]);
        assert_eq!(i.enroll_hmac(&seed, None, 0).unwrap().account_id, Some(1));
        assert_eq!(i.enroll_hmac(&seed, Some(10), 0).unwrap().account_id, Some(10));
        assert_eq!(i.enroll_hmac(&seed, None, 0).unwrap().account_id, Some(11));
        assert_eq!(i.enroll_hmac(&seed, Some(10), 0).err(), Some(RegistryError::AccountTaken(10)));
        assert_eq!(i.enroll_hmac(&seed, Some(u64::MAX), 0).err(), Some(RegistryError::AccountsExhausted));
        assert_eq!(i.accounts.len(), 3);
    }

    #[test]
    fn batches_split_the_payer_limit_and_are_refused_outside_the_key_period() {
        let mut i = issuer();
        let seed = Seed::from_bytes(&[2; 32]);
        let w = i.enroll_ed25519(&seed, &terms(Some(1), 1), 5).unwrap();
        assert_eq!(w.credential().unwrap().fields().serial, 1);
        assert_eq!(w.next_counter, 5);
        // Four credentials share the payer's 20: 5 each, per payment at most 5.
        let w = i.enroll_ed25519(&seed, &terms(Some(7), 4), 0).unwrap();
        let batch = w.batch().unwrap();
        let fields: Vec<_> = batch.iter().map(|b| *b.credential.fields()).collect();
        assert_eq!(fields.iter().map(|f| f.serial).collect::<Vec<_>>(), [7, 8, 9, 10]);
        assert!(fields.iter().all(|f| (f.cumulative_limit, f.per_payment_limit) == (5, 5)));
        assert_eq!(batch.iter().map(|b| b.index).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!((w.payer, w.next_key_index, i.next_serial), (Some(2), Some(4), 11));
        assert_eq!(i.holders().get(&9), Some(&Holder { payer: 2, batch: 1, index: 2, batch_limit: 20 }));
        let over = CredentialTerms { cumulative: Some(6), ..terms(None, 4) };
        assert_eq!(
            i.enroll_ed25519(&seed, &over, 0).err(),
            Some(RegistryError::Batch(BatchError::LimitSplit))
        );
        let taken = terms(Some(10), 2);
        assert_eq!(
            i.enroll_ed25519(&seed, &taken, 0).err(),
            Some(RegistryError::Batch(BatchError::DuplicateSerial))
        );
        let late = CredentialTerms { not_before: NOW + 86_400, ..terms(None, 1) };
        assert!(matches!(i.enroll_ed25519(&seed, &late, 0), Err(RegistryError::Credential(_))));
        assert_eq!((i.next_serial, i.payers.len()), (11, 2), "a refused batch uses no serial and no payer");
    }

    #[test]
    fn renewal_continues_the_indexes_and_revocation_takes_the_payer() {
        let mut i = issuer();
        let seed = Seed::from_bytes(&[2; 32]);
        let mut w = i.enroll_ed25519(&seed, &terms(None, 3), 0).unwrap();
        let first: Vec<u64> = w.batch().unwrap().iter().map(|b| b.credential.fields().serial).collect();
        i.renew_ed25519(&mut w, &seed, &terms(None, 2)).unwrap();
        let renewed = w.batch().unwrap();
        // spec: R-BATCH-1: indexes 3 and 4, never 0 and 1 again.
        assert_eq!(renewed.iter().map(|b| b.index).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(renewed[0].credential.fields().device_key, Ed25519Wallet::device_public_key(&seed, 3));
        assert_eq!(w.next_key_index, Some(5));
        let second: Vec<u64> = renewed.iter().map(|b| b.credential.fields().serial).collect();
        assert!(second.iter().all(|s| !first.contains(s)));
        assert_eq!(i.payers[0].batches.iter().map(|b| b.batch).collect::<Vec<_>>(), [1, 2]);
        // spec: R-BATCH-5: every unexpired serial of the payer.
        let mut all = [first.clone(), second].concat();
        all.sort_unstable();
        let mut revoked = i.payer_serials(1, NOW).unwrap();
        revoked.sort_unstable();
        assert_eq!(revoked, all);
        assert_eq!(i.revoke(&revoked, NOW).serials, all);
        assert_eq!(i.payer_serials(1, NOW + 3_601).unwrap(), Vec::<u64>::new(), "expired at NOW + 3600");
        // The next list after they expired leaves them out; a serial of no batch stays.
        assert_eq!(i.revoke(&[7], NOW + 3_600).serials.len(), 6);
        assert_eq!(i.revoke(&[], NOW + 3_601).serials, [7]);
        assert_eq!(i.payer_serials(9, NOW).err(), Some(RegistryError::UnknownPayer(9)));
    }

    #[test]
    fn revocation_numbers_lists_upwards() {
        let mut i = issuer();
        assert_eq!(i.revoke(&[5, 3, 5], NOW).serials, [3, 5]);
        let r = i.revoke(&[4], NOW + 1);
        assert_eq!((r.number, r.issued_at, r.serials.as_slice()), (2, NOW + 1, &[3, 4, 5][..]));
    }
}
