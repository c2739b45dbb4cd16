//! Signed revocation lists of credential serials (spec §4.5).

use crate::codec::Reader;
use crate::eddsa::SecretKey;
use crate::errors::Error;
use crate::profile::VERSION;
use crate::trust::TrustList;

/// Domain-separation string of the revocation list signature (spec: R-KEY-3).
pub const DS_REVOCATION: &[u8] = b"paycode/v1/ed25519/revocation\0";

/// A decoded revocation list; its signature is checked when a verifier
/// installs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationList {
    key_id: u16,
    number: u64,
    issued_at: u64,
    serials: Vec<u64>,
    signature: [u8; 64],
}

impl RevocationList {
    /// Signs a revocation list (spec: R-REVOKE-1). Serials are sorted and
    /// deduplicated.
    pub fn issue(
        key_id: u16,
        key: &SecretKey,
        number: u64,
        issued_at: u64,
        mut serials: Vec<u64>,
    ) -> RevocationList {
        serials.sort_unstable();
        serials.dedup();
        let mut list = RevocationList { key_id, number, issued_at, serials, signature: [0; 64] };
        list.signature = key.sign(&list.signing_input());
        list
    }

    /// Decodes a binary revocation list.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for an unknown version byte, a wrong length or serials
    /// not strictly increasing (spec: R-REVOKE-1).
    pub fn decode(bytes: &[u8]) -> Result<RevocationList, Error> {
        let mut r = Reader::new(bytes);
        if r.u8()? != VERSION {
            return Err(Error::Malformed);
        }
        let key_id = r.u16()?;
        let number = r.u64()?;
        let issued_at = r.u64()?;
        let count = r.u32()? as usize;
        if Some(r.remaining()) != count.checked_mul(8).and_then(|n| n.checked_add(64)) {
            return Err(Error::Malformed);
        }
        let mut serials = Vec::with_capacity(count);
        for _ in 0..count {
            let s = r.u64()?;
            if serials.last().is_some_and(|&last| last >= s) {
                return Err(Error::Malformed);
            }
            serials.push(s);
        }
        let signature = r.array()?;
        Ok(RevocationList { key_id, number, issued_at, serials, signature })
    }

    /// The binary encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.unsigned();
        out.extend_from_slice(&self.signature);
        out
    }

    /// The signature's input: the domain-separation string and every byte before the signature.
    pub fn signing_input(&self) -> Vec<u8> {
        [DS_REVOCATION, &self.unsigned()].concat()
    }

    /// Checks the signature under the trusted key that the list names, valid
    /// at `issued_at` (spec: R-REVOKE-1).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownIssuer`] if the key id is not trusted, or not valid at
    /// `issued_at`; [`Error::InvalidCode`] if the signature does not verify.
    pub fn check(&self, trust: &TrustList) -> Result<(), Error> {
        let entry = trust.get(self.key_id).ok_or(Error::UnknownIssuer)?;
        if self.issued_at < entry.not_before || self.issued_at > entry.not_after {
            return Err(Error::UnknownIssuer);
        }
        if entry.key.verify(&self.signing_input(), &self.signature) {
            Ok(())
        } else {
            Err(Error::InvalidCode)
        }
    }

    /// Whether `serial` is revoked (spec: R-REVOKE-3).
    pub fn contains(&self, serial: u64) -> bool {
        self.serials.binary_search(&serial).is_ok()
    }

    /// The list number; a verifier installs only increasing numbers (spec: R-REVOKE-2).
    pub const fn number(&self) -> u64 {
        self.number
    }

    /// The signing key id.
    pub const fn key_id(&self) -> u16 {
        self.key_id
    }

    /// When the list was issued (unix seconds).
    pub const fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// The revoked serials, increasing.
    pub fn serials(&self) -> &[u64] {
        &self.serials
    }

    fn unsigned(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(23 + 8 * self.serials.len() + 64);
        out.push(VERSION);
        out.extend_from_slice(&self.key_id.to_be_bytes());
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.extend_from_slice(&(self.serials.len() as u32).to_be_bytes());
        for s in &self.serials {
            out.extend_from_slice(&s.to_be_bytes());
        }
        out
    }
}

/// Serialized as the lowercase hex of its encoding; deserializing decodes it
/// under spec §4.7, so a list that does not decode is an error, never dropped.
#[cfg(feature = "serde")]
impl serde::Serialize for RevocationList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::codec::to_hex(&self.encode()))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for RevocationList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RevocationList, D::Error> {
        use serde::de::Error as _;
        let hex = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        let bytes = crate::codec::from_hex(&hex).map_err(D::Error::custom)?;
        RevocationList::decode(&bytes).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eddsa::PublicKey;
    use crate::trust::TrustEntry;

    #[test]
    fn sign_decode_check() {
        let sk = SecretKey::from_secret(&[9; 32]);
        let key = PublicKey::from_bytes(&sk.public_bytes()).unwrap();
        let trust =
            TrustList::new(vec![TrustEntry { key_id: 1, not_before: 0, not_after: 100, key }]).unwrap();
        let list = RevocationList::issue(1, &sk, 3, 50, vec![9, 2, 9]);
        assert_eq!(list.serials(), [2, 9]);
        let bytes = list.encode();
        let back = RevocationList::decode(&bytes).unwrap();
        assert_eq!(back, list);
        assert_eq!(back.check(&trust), Ok(()));
        assert!(back.contains(9) && !back.contains(3));
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(RevocationList::decode(&bad).unwrap().check(&trust), Err(Error::InvalidCode));
        let late = RevocationList::issue(1, &sk, 4, 101, vec![]);
        assert_eq!(late.check(&trust), Err(Error::UnknownIssuer));
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(RevocationList::decode(&v2), Err(Error::Malformed));
        // Unsorted serials are not canonical.
        let mut unsorted = bytes.clone();
        unsorted[23..31].copy_from_slice(&9u64.to_be_bytes());
        assert_eq!(RevocationList::decode(&unsorted), Err(Error::Malformed));
    }
}
