//! The trust list: the issuer keys an offline terminal accepts, by key id,
//! each with a validity period, sequenced and signed by the issuer's root key
//! (spec §4.6); and the newer test every installed list passes (spec §10.5).

use crate::codec::{Reader, Writer};
use crate::eddsa::{PublicKey, SecretKey};
use crate::errors::Error;
use crate::profile::VERSION;

/// Encoded length of one trust list entry.
pub const ENTRY_LEN: usize = 50;
/// Domain-separation string of the trust list's root signature (spec: R-KEY-3).
pub const DS_TRUST: &[u8] = b"paycode/v3/ed25519/trust-list\0";
/// Length of a trust list's header: version, sequence, issued_at, count.
const HEADER_LEN: usize = 19;

/// One trusted issuer key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustEntry {
    /// The key id credentials name.
    pub key_id: u16,
    /// First second the key may be used (unix time, inclusive).
    pub not_before: u64,
    /// Last second the key may be used (unix time, inclusive).
    pub not_after: u64,
    /// The issuer public key.
    pub key: PublicKey,
}

/// A list's place in its sequence: its number (a trust list's `sequence`)
/// and its issue time (spec §10.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct ListMark {
    /// The list's number.
    pub number: u64,
    /// When it was issued (unix seconds).
    pub issued_at: u64,
}

impl ListMark {
    /// Whether a list marked `self` is newer than `newest`, the newest list of
    /// its kind ever installed (`(0, 0)` if none), at verifier time `t_v`
    /// with step length `step_secs` (spec: R-TRUST-4, R-REVOKE-2): its number
    /// is higher, by at most one more than the whole minutes between their
    /// issue times; it is not issued before `newest`; and it is not dated
    /// after `t_v ⊕ X`.
    ///
    /// ```
    /// use paycode::trust::ListMark;
    /// let newest = ListMark { number: 5, issued_at: 1000 };
    /// let at = |number, issued_at| ListMark { number, issued_at };
    /// assert!(at(6, 1000).is_newer_than(newest, 2000, 60));
    /// assert!(at(7, 1060).is_newer_than(newest, 2000, 60));
    /// assert!(!at(8, 1060).is_newer_than(newest, 2000, 60)); // two a minute
    /// assert!(!at(6, 999).is_newer_than(newest, 2000, 60)); // issued before
    /// assert!(!at(6, 2061).is_newer_than(newest, 2000, 60)); // dated ahead
    /// assert!(!at(u64::MAX, 2000).is_newer_than(newest, 2000, 60)); // the end of the range
    /// ```
    pub const fn is_newer_than(self, newest: ListMark, t_v: u64, step_secs: u64) -> bool {
        let minutes = self.issued_at.saturating_sub(newest.issued_at) / 60;
        // Exact: the bound may exceed 2^64 - 1, which no number does.
        let most = newest.number as u128 + 1 + minutes as u128;
        self.number > newest.number
            && (self.number as u128) <= most
            && self.issued_at >= newest.issued_at
            && self.issued_at <= t_v.saturating_add(step_secs)
    }
}

/// What a trust list says besides its entries: its place in the sequence of
/// the issuer's trust lists (spec §4.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrustHeader {
    /// The list's sequence number.
    pub sequence: u64,
    /// When it was issued (unix seconds).
    pub issued_at: u64,
}

/// A well-formed trust list: entries sorted by strictly increasing key id,
/// its sequence, issue time and root signature (spec: R-TRUST-1). The
/// signature is checked when a verifier installs it ([`TrustList::verify`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustList {
    sequence: u64,
    issued_at: u64,
    entries: Vec<TrustEntry>,
    signature: [u8; 64],
}

impl TrustList {
    /// Signs a trust list of `entries` (in any order) with the issuer's root key
    /// (spec: R-TRUST-3).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if it is empty, holds more than 65535 entries,
    /// names a key id twice, or has an entry with `not_before > not_after`.
    pub fn issue(
        header: TrustHeader,
        root: &SecretKey,
        mut entries: Vec<TrustEntry>,
    ) -> Result<TrustList, Error> {
        let TrustHeader { sequence, issued_at } = header;
        entries.sort_by_key(|e| e.key_id);
        let mut list = TrustList { sequence, issued_at, entries, signature: [0; 64] };
        list.check()?;
        list.signature = root.sign(&list.signing_input());
        Ok(list)
    }

    /// Decodes the binary trust list.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for anything not canonical, a version byte other
    /// than `0x01` included (spec: R-TRUST-1).
    pub fn decode(bytes: &[u8]) -> Result<TrustList, Error> {
        let mut r = Reader::new(bytes);
        if r.u8()? != VERSION {
            return Err(Error::Malformed);
        }
        let (sequence, issued_at) = (r.u64()?, r.u64()?);
        let count = usize::from(r.u16()?);
        if r.remaining() != count * ENTRY_LEN + 64 {
            return Err(Error::Malformed);
        }
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            let key_id = r.u16()?;
            let not_before = r.u64()?;
            let not_after = r.u64()?;
            let key = PublicKey::from_bytes(&r.array()?).ok_or(Error::Malformed)?;
            entries.push(TrustEntry { key_id, not_before, not_after, key });
        }
        let list = TrustList { sequence, issued_at, entries, signature: r.array()? };
        list.check()?;
        Ok(list)
    }

    /// The binary encoding, `83 + 50 · count` bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.unsigned();
        out.extend_from_slice(&self.signature);
        out
    }

    /// The root signature's input: the domain-separation string and every
    /// byte before the signature.
    pub fn signing_input(&self) -> Vec<u8> {
        [DS_TRUST, &self.unsigned()].concat()
    }

    /// Whether the root signature is valid under `root` (spec: R-TRUST-3).
    pub fn verify(&self, root: &PublicKey) -> bool {
        root.verify(&self.signing_input(), &self.signature)
    }

    /// The entry for `key_id` (spec: R-TRUST-2).
    pub fn get(&self, key_id: u16) -> Option<&TrustEntry> {
        self.entries.binary_search_by_key(&key_id, |e| e.key_id).ok().and_then(|i| self.entries.get(i))
    }

    /// The entries, by increasing key id.
    pub fn entries(&self) -> &[TrustEntry] {
        &self.entries
    }

    /// The sequence number and issue time.
    pub const fn header(&self) -> TrustHeader {
        TrustHeader { sequence: self.sequence, issued_at: self.issued_at }
    }

    /// The sequence number.
    pub const fn sequence(&self) -> u64 {
        self.sequence
    }

    /// When the list was issued (unix seconds).
    pub const fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// The list's place in its sequence.
    pub const fn mark(&self) -> ListMark {
        ListMark { number: self.sequence, issued_at: self.issued_at }
    }

    /// The root signature.
    pub const fn signature(&self) -> &[u8; 64] {
        &self.signature
    }

    fn unsigned(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + ENTRY_LEN * self.entries.len() + 64);
        out.push(VERSION);
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.extend_from_slice(&(self.entries.len() as u16).to_be_bytes());
        for e in &self.entries {
            let mut w = Writer::<ENTRY_LEN>::new();
            w.u16(e.key_id);
            w.u64(e.not_before);
            w.u64(e.not_after);
            w.bytes(&e.key.to_bytes());
            out.extend_from_slice(&w.finish());
        }
        out
    }

    fn check(&self) -> Result<(), Error> {
        if self.entries.is_empty() || self.entries.len() > usize::from(u16::MAX) {
            return Err(Error::Malformed);
        }
        let sorted = self.entries.windows(2).all(|w| matches!(w, [a, b] if a.key_id < b.key_id));
        let periods = self.entries.iter().all(|e| e.not_before <= e.not_after);
        if sorted && periods { Ok(()) } else { Err(Error::Malformed) }
    }
}

/// Serialized as the lowercase hex of its encoding; deserializing decodes it
/// under spec §4.6 (the signature is checked when a verifier installs it).
#[cfg(feature = "serde")]
impl serde::Serialize for TrustList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::codec::to_hex(&self.encode()))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for TrustList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<TrustList, D::Error> {
        use serde::de::Error as _;
        let hex = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
        let bytes = crate::codec::from_hex(&hex).map_err(D::Error::custom)?;
        TrustList::decode(&bytes).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u16) -> TrustEntry {
        let key = PublicKey::from_bytes(&SecretKey::from_secret(&[id as u8; 32]).public_bytes()).unwrap();
        TrustEntry { key_id: id, not_before: 10, not_after: 20, key }
    }

    fn root() -> SecretKey {
        SecretKey::from_secret(&[0xaa; 32])
    }

    #[test]
    fn a_trust_list_holds_at_most_65535_entries() {
        // spec: R-TRUST-1: the entry count is a u16.
        let key = entry(1).key;
        let entries = |n: u32| -> Vec<TrustEntry> {
            (0..n).map(|i| TrustEntry { key_id: i as u16, not_before: 10, not_after: 20, key }).collect()
        };
        let header = TrustHeader { sequence: 1, issued_at: 5 };
        let full = TrustList::issue(header, &root(), entries(65_535)).unwrap();
        assert_eq!(TrustList::decode(&full.encode()).map(|l| l.entries().len()), Ok(65_535));
        assert_eq!(TrustList::issue(header, &root(), entries(65_536)).err(), Some(Error::Malformed));
    }

    fn root_public() -> PublicKey {
        PublicKey::from_bytes(&root().public_bytes()).unwrap()
    }

    const HEADER: TrustHeader = TrustHeader { sequence: 3, issued_at: 1000 };

    #[test]
    fn canonical_round_trip_and_rejections() {
        let list = TrustList::issue(HEADER, &root(), vec![entry(7), entry(3)]).unwrap();
        let bytes = list.encode();
        assert_eq!(bytes.len(), 83 + 2 * ENTRY_LEN);
        assert_eq!(TrustList::decode(&bytes).unwrap(), list);
        assert_eq!(list.get(7).unwrap().key_id, 7);
        assert!(list.get(5).is_none());
        assert_eq!(list.header(), HEADER);
        // Swap the two entries: unsorted.
        let mut swapped = bytes[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&bytes[HEADER_LEN + ENTRY_LEN..HEADER_LEN + 2 * ENTRY_LEN]);
        swapped.extend_from_slice(&bytes[HEADER_LEN..HEADER_LEN + ENTRY_LEN]);
        swapped.extend_from_slice(&bytes[HEADER_LEN + 2 * ENTRY_LEN..]);
        assert_eq!(TrustList::decode(&swapped), Err(Error::Malformed));
        assert!(TrustList::issue(HEADER, &root(), vec![entry(3), entry(3)]).is_err());
        assert!(TrustList::issue(HEADER, &root(), vec![]).is_err());
        assert_eq!(TrustList::decode(&bytes[..bytes.len() - 1]), Err(Error::Malformed));
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(TrustList::decode(&long), Err(Error::Malformed));
        let mut v2 = bytes.clone();
        v2[0] = 1;
        assert_eq!(TrustList::decode(&v2), Err(Error::Malformed));
        // The unsigned layout of before, 3 + 50 * count bytes, is too short.
        assert_eq!(TrustList::decode(&bytes[..3 + 2 * ENTRY_LEN]), Err(Error::Malformed));
    }

    #[test]
    fn root_signature_covers_every_byte_before_it() {
        let list = TrustList::issue(HEADER, &root(), vec![entry(1)]).unwrap();
        assert!(list.verify(&root_public()));
        let other = PublicKey::from_bytes(&SecretKey::from_secret(&[0xab; 32]).public_bytes()).unwrap();
        assert!(!list.verify(&other));
        let bytes = list.encode();
        for i in [0usize, 1, 9, 17, 19, HEADER_LEN + 3, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[i] ^= 1;
            if let Ok(decoded) = TrustList::decode(&bad) {
                assert!(!decoded.verify(&root_public()), "byte {i}");
            }
        }
        assert!(list.signing_input().starts_with(DS_TRUST));
    }
}
