//! The trust list: the issuer keys an offline terminal accepts, by key id,
//! each with a validity period (spec §4.4).

use crate::codec::{Reader, Writer};
use crate::eddsa::PublicKey;
use crate::errors::Error;
use crate::profile::VERSION;

/// Encoded length of one trust list entry.
pub const ENTRY_LEN: usize = 50;

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

/// A well-formed trust list: entries sorted by strictly increasing key id
/// (spec: R-TRUST-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustList {
    entries: Vec<TrustEntry>,
}

impl TrustList {
    /// Builds a trust list from entries in any order.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] if it is empty, holds more than 65535 entries,
    /// names a key id twice, or has an entry with `not_before > not_after`.
    pub fn new(mut entries: Vec<TrustEntry>) -> Result<TrustList, Error> {
        entries.sort_by_key(|e| e.key_id);
        let list = TrustList { entries };
        list.check()?;
        Ok(list)
    }

    /// Decodes the binary trust list.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for anything not canonical, an unknown version byte
    /// included (spec: R-TRUST-1).
    pub fn decode(bytes: &[u8]) -> Result<TrustList, Error> {
        let mut r = Reader::new(bytes);
        if r.u8()? != VERSION {
            return Err(Error::Malformed);
        }
        let count = usize::from(r.u16()?);
        if r.remaining() != count * ENTRY_LEN {
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
        let list = TrustList { entries };
        list.check()?;
        Ok(list)
    }

    /// The binary encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION];
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

    /// The entry for `key_id` (spec: R-TRUST-2).
    pub fn get(&self, key_id: u16) -> Option<&TrustEntry> {
        self.entries.binary_search_by_key(&key_id, |e| e.key_id).ok().and_then(|i| self.entries.get(i))
    }

    /// The entries, by increasing key id.
    pub fn entries(&self) -> &[TrustEntry] {
        &self.entries
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eddsa::SecretKey;

    fn entry(id: u16) -> TrustEntry {
        let key = PublicKey::from_bytes(&SecretKey::from_secret(&[id as u8; 32]).public_bytes()).unwrap();
        TrustEntry { key_id: id, not_before: 10, not_after: 20, key }
    }

    #[test]
    fn canonical_round_trip_and_rejections() {
        let list = TrustList::new(vec![entry(7), entry(3)]).unwrap();
        let bytes = list.encode();
        assert_eq!(bytes.len(), 3 + 2 * ENTRY_LEN);
        assert_eq!(TrustList::decode(&bytes).unwrap(), list);
        assert_eq!(list.get(7).unwrap().key_id, 7);
        assert!(list.get(5).is_none());
        // Swap the two entries: unsorted.
        let mut swapped = bytes[..3].to_vec();
        swapped.extend_from_slice(&bytes[3 + ENTRY_LEN..]);
        swapped.extend_from_slice(&bytes[3..3 + ENTRY_LEN]);
        assert_eq!(TrustList::decode(&swapped), Err(Error::Malformed));
        assert!(TrustList::new(vec![entry(3), entry(3)]).is_err());
        assert!(TrustList::new(vec![]).is_err());
        assert_eq!(TrustList::decode(&bytes[..bytes.len() - 1]), Err(Error::Malformed));
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(TrustList::decode(&v2), Err(Error::Malformed));
    }
}
