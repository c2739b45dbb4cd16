//! The ed25519 profile's credential: an issuer-signed binding of a device key
//! to a serial, a validity period and offline limits (spec §4.3).

use crate::eddsa::{PublicKey, SecretKey};
use crate::errors::Error;

/// Domain-separation string of the credential signature (spec: R-KEY-3).
pub const DS_CREDENTIAL: &[u8] = b"paycode/v3/ed25519/credential\0";
/// Encoded length of a credential.
pub const CREDENTIAL_LEN: usize = 126;
/// Length of the signed part of a credential.
const SIGNED_LEN: usize = 62;
/// Longest credential validity the spec allows, seconds (spec: R-ED-4).
pub const MAX_VALIDITY_SECS: u64 = 7 * 24 * 3600;

/// The fields an issuer signs into a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialFields {
    /// Id of the issuer key that signs it.
    pub key_id: u16,
    /// Serial, unique per issuer: the replay identity of the wallet's codes.
    pub serial: u64,
    /// The wallet's Ed25519 device public key.
    pub device_key: [u8; 32],
    /// First valid second (unix time, inclusive).
    pub not_before: u64,
    /// Length of the validity period in seconds: the credential is valid from
    /// `not_before` through `not_before + lifetime` inclusive.
    pub lifetime: u32,
    /// Largest amount of one offline payment, in minor currency units.
    pub per_payment_limit: u32,
    /// Largest total a single terminal accepts offline from this credential.
    pub cumulative_limit: u32,
}

impl CredentialFields {
    /// The last valid second, `not_before + lifetime`; `None` if that overflows.
    pub const fn not_after(&self) -> Option<u64> {
        self.not_before.checked_add(self.lifetime as u64)
    }
}

/// A decoded credential: well-formed, but not yet verified (verification
/// needs the trust list; see [`crate::Verifier`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Credential {
    fields: CredentialFields,
    bytes: [u8; CREDENTIAL_LEN],
}

impl Credential {
    /// Signs `fields` with `issuer_key` (spec: R-ED-3).
    pub fn issue(fields: CredentialFields, issuer_key: &SecretKey) -> Credential {
        let mut bytes = [0u8; CREDENTIAL_LEN];
        let signed = signed_part(&fields);
        bytes[..SIGNED_LEN].copy_from_slice(&signed);
        let sig = issuer_key.sign(&signing_input(&signed));
        bytes[SIGNED_LEN..].copy_from_slice(&sig);
        Credential { fields, bytes }
    }

    /// Decodes a credential's 141 bytes (structure only).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] on a wrong length (spec: R-ENC-3).
    pub fn decode(bytes: &[u8]) -> Result<Credential, Error> {
        let bytes: [u8; CREDENTIAL_LEN] = bytes.try_into().map_err(|_| Error::Malformed)?;
        let mut r = crate::codec::Reader::new(&bytes);
        let fields = CredentialFields {
            key_id: r.u16()?,
            serial: r.u64()?,
            device_key: r.array()?,
            not_before: r.u64()?,
            lifetime: r.u32()?,
            per_payment_limit: r.u32()?,
            cumulative_limit: r.u32()?,
        };
        Ok(Credential { fields, bytes })
    }

    /// The signed fields.
    pub const fn fields(&self) -> &CredentialFields {
        &self.fields
    }

    /// The 141-byte encoding.
    pub const fn as_bytes(&self) -> &[u8; CREDENTIAL_LEN] {
        &self.bytes
    }

    /// The issuer signature's input: the domain-separation string and the signed part.
    pub fn signing_input(&self) -> Vec<u8> {
        signing_input(self.bytes.get(..SIGNED_LEN).unwrap_or_default())
    }

    /// Checks the credential against the issuer key that its key id names and
    /// whose validity period is `[key_not_before, key_not_after]`, returning
    /// the device key (spec: R-ED-3, R-ED-4).
    ///
    /// # Errors
    ///
    /// [`Error::BadCredential`] if the signature, the device key or the
    /// validity period is invalid.
    pub fn check(
        &self,
        issuer: &PublicKey,
        key_not_before: u64,
        key_not_after: u64,
    ) -> Result<PublicKey, Error> {
        let f = &self.fields;
        let sig: [u8; 64] =
            self.bytes.get(SIGNED_LEN..).and_then(|s| s.try_into().ok()).ok_or(Error::BadCredential)?;
        // spec: R-ED-3
        if !issuer.verify(&self.signing_input(), &sig) {
            return Err(Error::BadCredential);
        }
        // spec: R-ED-4
        let not_after = f.not_after().ok_or(Error::BadCredential)?;
        if u64::from(f.lifetime) > MAX_VALIDITY_SECS
            || f.not_before < key_not_before
            || not_after > key_not_after
        {
            return Err(Error::BadCredential);
        }
        PublicKey::from_bytes(&f.device_key).ok_or(Error::BadCredential)
    }
}

impl core::fmt::Debug for Credential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credential").field("fields", &self.fields).finish_non_exhaustive()
    }
}

fn signed_part(f: &CredentialFields) -> [u8; SIGNED_LEN] {
    let mut w = crate::codec::Writer::<SIGNED_LEN>::new();
    w.u16(f.key_id);
    w.u64(f.serial);
    w.bytes(&f.device_key);
    w.u64(f.not_before);
    w.u32(f.lifetime);
    w.u32(f.per_payment_limit);
    w.u32(f.cumulative_limit);
    w.finish()
}

fn signing_input(signed: &[u8]) -> Vec<u8> {
    [DS_CREDENTIAL, signed].concat()
}
