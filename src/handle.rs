//! The hmac profile's rotating handles (spec: R-HANDLE-1..R-HANDLE-3): per
//! account and step, the handle a code carries instead of the account id,
//! the pad that masks its counter, and the verifier's index from handle to
//! account for one step.

use crate::codec::Writer;
use crate::keys::HandleKey;

/// Domain-separation string of the handle derivation (spec: R-HANDLE-1).
pub const DS_HMAC_HANDLE: &[u8] = b"paycode/v3/hmac/handle\0";
/// Most candidate accounts a verifier checks for one handle, `M_h` (spec: R-HANDLE-3).
pub const MAX_CANDIDATES: usize = 4;

/// The handle and pad of one account for one step (spec: R-HANDLE-1):
/// `h = HMAC(K_h, DS_handle || u64(step))`, `handle = h[0..8]`,
/// `pad = u32(h[8..12])`.
///
/// ```
/// use paycode::Seed;
/// use paycode::hazmat::handle::StepHandle;
/// use paycode::hazmat::keys::HandleKey;
/// let key = HandleKey::derive(42, &Seed::from_bytes(&[1; 32]));
/// let (a, b) = (StepHandle::derive(&key, 7), StepHandle::derive(&key, 8));
/// assert_ne!(a.bytes(), b.bytes());
/// assert_eq!(a.handle30(), (a.value() >> 34) as u32);
/// assert_eq!(a.pad16(), (a.pad() >> 16) as u16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepHandle {
    bytes: [u8; 8],
    pad: u32,
}

impl StepHandle {
    /// The handle and pad of the account with handle key `key` for `step`.
    pub fn derive(key: &HandleKey, step: u64) -> StepHandle {
        // spec: R-HANDLE-1
        StepHandle::from_mac(key.mac(&input(step)))
    }

    /// The 8-byte handle of the QR form, `h[0..8]`.
    pub const fn bytes(&self) -> [u8; 8] {
        self.bytes
    }

    /// The handle as a big-endian u64.
    pub const fn value(&self) -> u64 {
        u64::from_be_bytes(self.bytes)
    }

    /// The numeric form's handle: the top 30 bits, `u32(h[0..4]) >> 2`.
    pub const fn handle30(&self) -> u32 {
        (self.value() >> 34) as u32
    }

    /// The QR form's counter mask, `u32(h[8..12])`.
    pub const fn pad(&self) -> u32 {
        self.pad
    }

    /// The numeric form's counter mask, `u32(h[8..12]) >> 16`.
    pub const fn pad16(&self) -> u16 {
        StepHandle::pad16_of(self.pad)
    }
}

/// The handle derivation's MAC input, `DS_handle || u64(step)`.
pub fn mac_input(step: u64) -> Vec<u8> {
    input(step).to_vec()
}

fn input(step: u64) -> [u8; DS_HMAC_HANDLE.len() + 8] {
    let mut w = Writer::<{ DS_HMAC_HANDLE.len() + 8 }>::new();
    w.bytes(DS_HMAC_HANDLE);
    w.u64(step);
    w.finish()
}

/// One account's entry in a [`StepIndex`]: its handle, its slot (the
/// position of its keys in the verifier's account list) and its pad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The handle, as a big-endian u64.
    pub handle: u64,
    /// The account's slot.
    pub slot: u32,
    /// The account's pad for this step.
    pub pad: u32,
}

/// A verifier's index of the handles of every enrolled account for one
/// step: the entries sorted by handle, 16 bytes each. A QR lookup is a
/// binary search for the 64-bit handle; a numeric lookup the range of the
/// handles whose top 30 bits are the code's (spec: R-HANDLE-3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepIndex {
    step: u64,
    entries: Vec<Entry>,
}

impl StepIndex {
    /// The index of `step` over `keys`, the handle key of slot `i` at position `i`.
    ///
    /// Slots above `u32::MAX` are not indexed.
    pub fn build<'k>(step: u64, keys: impl IntoIterator<Item = &'k HandleKey>) -> StepIndex {
        let input = input(step);
        let entries = keys.into_iter().zip(0..=u32::MAX).map(|(key, slot)| {
            let h = StepHandle::from_mac(key.mac(&input));
            Entry { handle: h.value(), slot, pad: h.pad }
        });
        let mut entries: Vec<Entry> = entries.collect();
        entries.sort_unstable();
        StepIndex { step, entries }
    }

    /// The step this index is for.
    pub const fn step(&self) -> u64 {
        self.step
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bytes the entries take.
    pub fn memory(&self) -> usize {
        self.entries.capacity() * core::mem::size_of::<Entry>()
    }

    /// The entries whose handle is `handle` (a QR code's).
    pub fn exact(&self, handle: u64) -> &[Entry] {
        self.range(handle, handle)
    }

    /// The entries whose handle's top 30 bits are `handle30` (a numeric code's).
    pub fn numeric(&self, handle30: u32) -> &[Entry] {
        let low = u64::from(handle30) << 34;
        self.range(low, low | ((1 << 34) - 1))
    }

    /// Replaces the entry of `slot`: `old` is its handle before (none for a
    /// new account), `new` its handle under its new keys. A re-enrolment
    /// updates the index in place, with no rebuild.
    pub fn replace(&mut self, slot: u32, old: Option<&StepHandle>, new: &StepHandle) {
        if let Some(old) = old {
            let at = self.entries.binary_search(&Entry { handle: old.value(), slot, pad: old.pad });
            if let Ok(at) = at {
                self.entries.remove(at);
            }
        }
        let entry = Entry { handle: new.value(), slot, pad: new.pad };
        if let Err(at) = self.entries.binary_search(&entry) {
            self.entries.insert(at, entry);
        }
    }

    /// The entries with `low <= handle <= high`: one binary search for the
    /// first, then a scan over the matches, which are almost always none or
    /// one, rather than a second search over the whole index.
    fn range(&self, low: u64, high: u64) -> &[Entry] {
        let start = self.entries.partition_point(|e| e.handle < low);
        let rest = self.entries.get(start..).unwrap_or_default();
        let len = rest.iter().take_while(|e| e.handle <= high).count();
        rest.get(..len).unwrap_or_default()
    }
}

impl StepHandle {
    /// The 16-bit pad of a 32-bit one, `pad >> 16`.
    pub const fn pad16_of(pad: u32) -> u16 {
        (pad >> 16) as u16
    }

    fn from_mac(mac: [u8; 32]) -> StepHandle {
        let [b0, b1, b2, b3, b4, b5, b6, b7, p0, p1, p2, p3, ..] = mac;
        StepHandle { bytes: [b0, b1, b2, b3, b4, b5, b6, b7], pad: u32::from_be_bytes([p0, p1, p2, p3]) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::keys::{LABEL_HMAC_HANDLE_KEY, Seed, derive};
    use hmac::{Hmac, KeyInit, Mac};

    #[test]
    fn derivation_is_the_spec_hmac() {
        let seed = Seed::from_bytes(&[3; 32]);
        let (account, step) = (0x0102_0304_0506_0708u64, 0x1112_1314_1516_1718u64);
        let k = derive(&seed, LABEL_HMAC_HANDLE_KEY, &account.to_be_bytes());
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(k.expose()).unwrap();
        mac.update(b"paycode/v3/hmac/handle\0");
        mac.update(&step.to_be_bytes());
        let h = mac.finalize().into_bytes();
        let got = StepHandle::derive(&HandleKey::derive(account, &seed), step);
        assert_eq!(got.bytes(), h[..8]);
        assert_eq!(got.pad(), u32::from_be_bytes([h[8], h[9], h[10], h[11]]));
        assert_eq!(got.pad16(), u16::from_be_bytes([h[8], h[9]]));
        assert_eq!(got.handle30(), u32::from_be_bytes([h[0], h[1], h[2], h[3]]) >> 2);
        assert_eq!(mac_input(step).len(), 23 + 8);
    }

    #[test]
    fn index_finds_exact_and_numeric_and_replaces() {
        let keys: Vec<HandleKey> =
            (0..50u64).map(|a| HandleKey::derive(a, &Seed::from_bytes(&[a as u8; 32]))).collect();
        let mut index = StepIndex::build(9, &keys);
        assert_eq!(index.len(), 50);
        for (slot, key) in keys.iter().enumerate() {
            let h = StepHandle::derive(key, 9);
            let found = index.exact(h.value());
            assert_eq!(found, [Entry { handle: h.value(), slot: slot as u32, pad: h.pad() }]);
            assert!(index.numeric(h.handle30()).iter().any(|e| e.slot == slot as u32));
        }
        // A handle one above an entry's top-30-bit range finds none of that range.
        let h = StepHandle::derive(&keys[3], 9);
        assert!(index.numeric(h.handle30() ^ 1).iter().all(|e| e.slot != 3));
        // Re-enrolment of slot 3 with another seed: the old handle is gone, the new one found.
        let new = StepHandle::derive(&HandleKey::derive(3, &Seed::from_bytes(&[200; 32])), 9);
        index.replace(3, Some(&h), &new);
        assert_eq!(index.len(), 50);
        assert!(index.exact(h.value()).is_empty());
        assert_eq!(index.exact(new.value())[0].slot, 3);
        let rebuilt = StepIndex::build(
            9,
            keys.iter()
                .enumerate()
                .map(
                    |(i, k)| {
                        if i == 3 { HandleKey::derive(3, &Seed::from_bytes(&[200; 32])) } else { k.clone() }
                    },
                )
                .collect::<Vec<_>>()
                .iter(),
        );
        assert_eq!(index, rebuilt);
    }
}
