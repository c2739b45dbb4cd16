//! The issuer's registry operations on its file: creation, enrolment of
//! hmac accounts and ed25519 credentials, revocation. The command holds the
//! issuer file's lock around each of them ([`crate::fsio::Locked`]).

use paycode::codec::to_hex;
use paycode::{CredentialFields, Ed25519Wallet, Params, Profile, Seed};

use crate::errors::RegistryError;
use crate::files::{
    AccountFile, ISSUER_FORMAT, IssuerFile, KeyFile, RevocationFile, TrustFile, WALLET_FORMAT, WalletFile,
};

/// What an ed25519 credential grants; the serial is the issuer's next one
/// unless given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialTerms {
    /// The serial, or `None` for the issuer's next one.
    pub serial: Option<u64>,
    /// Start of validity, unix seconds.
    pub not_before: u64,
    /// Lifetime, seconds (at most 604800, spec: R-ED-4).
    pub lifetime: u32,
    /// Per-payment offline limit, minor units.
    pub per_payment: u32,
    /// Cumulative offline limit per terminal, minor units.
    pub cumulative: u32,
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

    /// Issues an ed25519 credential for the device key of `seed` with the
    /// current issuer key, and returns its wallet, whose first counter is
    /// `counter`. A credential that terminals would reject is refused.
    ///
    /// # Errors
    ///
    /// [`RegistryError::SerialsExhausted`], [`RegistryError::NoCurrentKey`],
    /// [`RegistryError::Credential`], [`RegistryError::Content`].
    pub fn enroll_ed25519(
        &mut self,
        seed: &Seed,
        terms: &CredentialTerms,
        counter: u32,
    ) -> Result<WalletFile, RegistryError> {
        let serial = terms.serial.unwrap_or(self.next_serial);
        let after = serial.checked_add(1).ok_or(RegistryError::SerialsExhausted)?;
        let fields = CredentialFields {
            key_id: self.current_key_id,
            serial,
            device_key: Ed25519Wallet::device_public_key(seed, 0),
            not_before: terms.not_before,
            lifetime: terms.lifetime,
            per_payment_limit: terms.per_payment,
            cumulative_limit: terms.cumulative,
        };
        let credential = self.issuer()?.issue(fields);
        let trust = self.trust_list()?;
        let entry = trust.get(fields.key_id).ok_or(RegistryError::NoCurrentKey(fields.key_id))?;
        credential.check(&entry.key, entry.not_before, entry.not_after).map_err(RegistryError::Credential)?;
        self.next_serial = self.next_serial.max(after);
        Ok(self.wallet(Profile::Ed25519, seed, None, Some(to_hex(credential.as_bytes())), counter))
    }

    /// Adds `serials` to the revocation list and signs a new list, numbered
    /// one above the last, issued at `now`.
    pub fn revoke(&mut self, serials: &[u64], now: u64) -> &RevocationFile {
        let r = &mut self.revocation;
        r.serials.extend_from_slice(serials);
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

    fn terms(serial: Option<u64>) -> CredentialTerms {
        CredentialTerms { serial, not_before: NOW, lifetime: 3_600, per_payment: 10, cumulative: 20 }
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
    fn credentials_get_serials_and_are_refused_outside_the_key_period() {
        let mut i = issuer();
        let seed = Seed::from_bytes(&[2; 32]);
        let w = i.enroll_ed25519(&seed, &terms(None), 5).unwrap();
        assert_eq!(w.credential().unwrap().fields().serial, 1);
        assert_eq!(w.next_counter, 5);
        assert_eq!(
            i.enroll_ed25519(&seed, &terms(Some(7)), 0).unwrap().credential().unwrap().fields().serial,
            7
        );
        assert_eq!(i.next_serial, 8);
        let late = CredentialTerms { not_before: NOW + 86_400, ..terms(None) };
        assert!(matches!(i.enroll_ed25519(&seed, &late, 0), Err(RegistryError::Credential(_))));
        assert_eq!(i.next_serial, 8, "a refused credential uses no serial");
    }

    #[test]
    fn revocation_numbers_lists_upwards() {
        let mut i = issuer();
        assert_eq!(i.revoke(&[5, 3, 5], NOW).serials, [3, 5]);
        let r = i.revoke(&[4], NOW + 1);
        assert_eq!((r.number, r.issued_at, r.serials.as_slice()), (2, NOW + 1, &[3, 4, 5][..]));
    }
}
