//! The issuer side of the ed25519 profile: issuer keys by key id,
//! credentials, trust lists and revocation lists (spec §4.3-§4.5).

use crate::credential::{Credential, CredentialFields};
use crate::eddsa::{PublicKey, SecretKey};
use crate::errors::Error;
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
