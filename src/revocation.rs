//! Signed revocation lists of credential serials, with the time by which the
//! next list will exist and the grace a verifier may use this one after it
//! (spec §4.7), and the newer test every installed list passes (spec §10.5).

use crate::codec::Reader;
use crate::eddsa::SecretKey;
use crate::errors::Error;
use crate::profile::VERSION;
pub use crate::trust::ListMark;
use crate::trust::TrustList;

/// Domain-separation string of the revocation list signature (spec: R-KEY-3).
pub const DS_REVOCATION: &[u8] = b"paycode/v3/ed25519/revocation\0";
/// Longest grace a revocation list may give, seconds (spec: R-REVOKE-1).
pub const MAX_GRACE_SECS: u32 = 604_800;

/// A decoded revocation list; its signature is checked when a verifier
/// installs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationList {
    key_id: u16,
    number: u64,
    issued_at: u64,
    next_update: u64,
    grace: u32,
    serials: Vec<u64>,
    signature: [u8; 64],
}

/// What a revocation list says besides its serials: its signing key, number,
/// issue time, next update and grace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListHeader {
    /// The signing issuer key's id.
    pub key_id: u16,
    /// The list's number.
    pub number: u64,
    /// When it was issued (unix seconds).
    pub issued_at: u64,
    /// When the issuer will publish the next list (unix seconds).
    pub next_update: u64,
    /// Seconds a verifier may go on using this list after `next_update`.
    pub grace: u32,
}

impl RevocationList {
    /// Signs a revocation list (spec: R-REVOKE-1). Serials are sorted and
    /// deduplicated, so that the list is well-formed.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if `next_update < issued_at` or `grace > 604800`.
    pub fn issue(
        header: ListHeader,
        key: &SecretKey,
        mut serials: Vec<u64>,
    ) -> Result<RevocationList, Error> {
        // spec: R-REVOKE-1: a header no verifier decodes is refused.
        if header.next_update < header.issued_at || header.grace > MAX_GRACE_SECS {
            return Err(Error::Malformed);
        }
        serials.sort_unstable();
        serials.dedup();
        let ListHeader { key_id, number, issued_at, next_update, grace } = header;
        let mut list =
            RevocationList { key_id, number, issued_at, next_update, grace, serials, signature: [0; 64] };
        list.signature = key.sign(&list.signing_input());
        Ok(list)
    }

    /// Decodes a binary revocation list.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for a version byte other than `0x03`, a wrong
    /// length, serials not strictly increasing, `next_update < issued_at` or
    /// a grace above 7 days (spec: R-REVOKE-1).
    pub fn decode(bytes: &[u8]) -> Result<RevocationList, Error> {
        let mut r = Reader::new(bytes);
        if r.u8()? != VERSION {
            return Err(Error::Malformed);
        }
        let key_id = r.u16()?;
        let number = r.u64()?;
        let issued_at = r.u64()?;
        let next_update = r.u64()?;
        let grace = r.u32()?;
        if next_update < issued_at || grace > MAX_GRACE_SECS {
            return Err(Error::Malformed);
        }
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
        Ok(RevocationList { key_id, number, issued_at, next_update, grace, serials, signature })
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

    /// The signing key, number, issue time, next update and grace.
    pub const fn header(&self) -> ListHeader {
        ListHeader {
            key_id: self.key_id,
            number: self.number,
            issued_at: self.issued_at,
            next_update: self.next_update,
            grace: self.grace,
        }
    }

    /// The list number; a verifier installs only newer lists (spec: R-REVOKE-2).
    pub const fn number(&self) -> u64 {
        self.number
    }

    /// The list's place in its sequence.
    pub const fn mark(&self) -> ListMark {
        ListMark { number: self.number, issued_at: self.issued_at }
    }

    /// When the issuer will publish the next list (unix seconds).
    pub const fn next_update(&self) -> u64 {
        self.next_update
    }

    /// Seconds a verifier may use this list after `next_update`.
    pub const fn grace(&self) -> u32 {
        self.grace
    }

    /// The last verifier time at which the list is fresh, `next_update ⊕ grace`
    /// (exact where it matters: no u64 time exceeds the saturated sum; spec: R-REVOKE-4).
    pub const fn fresh_until(&self) -> u64 {
        self.next_update.saturating_add(self.grace as u64)
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
        let mut out = Vec::with_capacity(35 + 8 * self.serials.len() + 64);
        out.push(VERSION);
        out.extend_from_slice(&self.key_id.to_be_bytes());
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.extend_from_slice(&self.next_update.to_be_bytes());
        out.extend_from_slice(&self.grace.to_be_bytes());
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

    fn header(number: u64, issued_at: u64) -> ListHeader {
        ListHeader { key_id: 1, number, issued_at, next_update: issued_at + 3600, grace: 600 }
    }

    #[test]
    fn sign_decode_check() {
        let sk = SecretKey::from_secret(&[9; 32]);
        let key = PublicKey::from_bytes(&sk.public_bytes()).unwrap();
        let trust = TrustList::issue(
            Default::default(),
            &sk,
            vec![TrustEntry { key_id: 1, not_before: 0, not_after: 100, key }],
        )
        .unwrap();
        let list = RevocationList::issue(header(3, 50), &sk, vec![9, 2, 9]).unwrap();
        assert_eq!(list.serials(), [2, 9]);
        let bytes = list.encode();
        assert_eq!(bytes.len(), 99 + 2 * 8);
        let back = RevocationList::decode(&bytes).unwrap();
        assert_eq!(back, list);
        assert_eq!(back.check(&trust), Ok(()));
        assert_eq!(back.fresh_until(), 50 + 3600 + 600);
        assert!(back.contains(9) && !back.contains(3));
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(RevocationList::decode(&bad).unwrap().check(&trust), Err(Error::InvalidCode));
        let late = RevocationList::issue(header(4, 101), &sk, vec![]).unwrap();
        assert_eq!(late.check(&trust), Err(Error::UnknownIssuer));
        let mut v1 = bytes.clone();
        v1[0] = 1;
        assert_eq!(RevocationList::decode(&v1), Err(Error::Malformed));
        // Unsorted serials are not canonical.
        let mut unsorted = bytes.clone();
        unsorted[35..43].copy_from_slice(&9u64.to_be_bytes());
        assert_eq!(RevocationList::decode(&unsorted), Err(Error::Malformed));
    }

    #[test]
    fn next_update_and_grace_bounds() {
        let sk = SecretKey::from_secret(&[9; 32]);
        let before = ListHeader { next_update: 49, ..header(1, 50) };
        assert_eq!(RevocationList::issue(before, &sk, vec![]), Err(Error::Malformed));
        let long = ListHeader { grace: MAX_GRACE_SECS + 1, ..header(1, 50) };
        assert_eq!(RevocationList::issue(long, &sk, vec![]), Err(Error::Malformed));
        let edge = ListHeader { next_update: 50, grace: MAX_GRACE_SECS, ..header(1, 50) };
        let bytes = RevocationList::issue(edge, &sk, vec![]).unwrap().encode();
        assert!(RevocationList::decode(&bytes).is_ok());
        let mut grace = bytes.clone();
        grace[27..31].copy_from_slice(&(MAX_GRACE_SECS + 1).to_be_bytes());
        assert_eq!(RevocationList::decode(&grace), Err(Error::Malformed));
        let mut early = bytes;
        early[19..27].copy_from_slice(&49u64.to_be_bytes());
        assert_eq!(RevocationList::decode(&early), Err(Error::Malformed));
    }
}
