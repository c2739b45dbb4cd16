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
/// step: the entries sorted by handle, 16 bytes each, in buckets named by
/// the handle's top bits (about log2 of the entry count, so a bucket holds
/// two entries on average), with each bucket's start, 4 bytes per bucket.
/// A QR lookup reads its bucket's start and searches the bucket for the
/// 64-bit handle; a numeric lookup takes the range of the handles whose top
/// 30 bits are the code's (spec: R-HANDLE-3). Building it is a sort by
/// bucket in two passes, then a sort of each bucket's few entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepIndex {
    step: u64,
    /// The bits of a handle that name its bucket, at most [`MAX_BUCKET_BITS`].
    bits: u32,
    /// `starts[b]..starts[b + 1]` are the positions of bucket `b`'s entries.
    starts: Vec<u32>,
    entries: Vec<Entry>,
}

/// The most bucket bits an index uses: 2^24 buckets, 64 MiB of starts.
const MAX_BUCKET_BITS: u32 = 24;

/// The most bucket bits the first pass of an index's sort goes by: 2^10
/// parts, each filled at its own place, which the processor's caches hold.
const FIRST_PASS_BITS: u32 = 10;

impl StepIndex {
    /// The index of `step` over `keys`, the handle key of slot `i` at position `i`.
    ///
    /// Slots above `u32::MAX - 1` are not indexed.
    pub fn build<'k>(step: u64, keys: impl IntoIterator<Item = &'k HandleKey>) -> StepIndex {
        StepIndex::default().rebuild(step, keys)
    }

    /// [`StepIndex::build`] in this index's memory, for an index no longer
    /// needed: a verifier builds each step's index as the oldest one leaves
    /// its window, and writing into memory already in use spares the
    /// system's work of handing out fresh pages (at 10^7 accounts, about a
    /// twentieth of the build).
    pub fn rebuild<'k>(self, step: u64, keys: impl IntoIterator<Item = &'k HandleKey>) -> StepIndex {
        let input = input(step);
        let mut entries = self.entries;
        entries.clear();
        entries.extend(keys.into_iter().zip(0..u32::MAX).map(|(key, slot)| {
            let h = StepHandle::from_mac(key.mac(&input));
            Entry { handle: h.value(), slot, pad: h.pad }
        }));
        StepIndex::sorted(step, entries, self.starts)
    }

    /// The index of `step` over handles derived already, the handle of
    /// slot `i` at position `i`: for a builder that derives them on several
    /// threads, or without keeping every account's key at hand.
    ///
    /// Slots above `u32::MAX - 1` are not indexed.
    pub fn from_handles(step: u64, handles: impl IntoIterator<Item = StepHandle>) -> StepIndex {
        let entries = handles.into_iter().zip(0..u32::MAX);
        StepIndex::of_entries(
            step,
            entries.map(|(h, slot)| Entry { handle: h.value(), slot, pad: h.pad }).collect(),
        )
    }

    /// The index of `step` holding `entries`, in any order.
    fn of_entries(step: u64, entries: Vec<Entry>) -> StepIndex {
        StepIndex::sorted(step, entries, Vec::new())
    }

    /// [`StepIndex::of_entries`], with `starts` the memory of the bucket starts.
    ///
    /// Two sorts by bucket. The first, in place, by the bucket's top bits
    /// (at most [`FIRST_PASS_BITS`], at most half), moves each entry once to
    /// the next free position of its part; the second is a counting sort of
    /// each part by the rest of the bits, through a copy of the part, which
    /// fits in the processor's cache. No pass writes to more than 2^14
    /// places at once (one pass scattering straight into 2^24 buckets would
    /// miss the cache on nearly every entry of a large index), and no vector
    /// beside the entries grows with the index but the bucket starts. Each
    /// bucket's few entries are then sorted.
    fn sorted(step: u64, mut entries: Vec<Entry>, mut starts: Vec<u32>) -> StepIndex {
        let bits = bucket_bits(entries.len());
        let low = bits.saturating_sub(FIRST_PASS_BITS).max(bits / 2);
        let top = bits - low;
        let mut parts = Vec::new();
        key_starts(&entries, 0, &mut parts, (top, |h| bucket(h, top)));
        permute_in_place(&mut entries, &parts, |h| bucket(h, top));
        starts.clear();
        starts.resize((1 << bits) + 1, 0);
        let (mut sub, mut next, mut copy) = (Vec::new(), Vec::new(), Vec::new());
        let low_mask = (1usize << low) - 1;
        let low_key = |h| bucket(h, bits) & low_mask;
        for (t, pair) in parts.windows(2).enumerate() {
            let &[from, to] = pair else { continue };
            let Some(part) = entries.get_mut(from as usize..to as usize) else { continue };
            copy.clear();
            copy.extend_from_slice(part);
            key_starts(&copy, from, &mut sub, (low, low_key));
            next.clear();
            next.extend_from_slice(&sub);
            for &e in &copy {
                let Some(at) = next.get_mut(low_key(e.handle)) else { continue };
                if let Some(place) = part.get_mut((*at - from) as usize) {
                    *place = e;
                }
                *at += 1;
            }
            if let Some(dest) = starts.get_mut(t << low..(t + 1) << low) {
                dest.copy_from_slice(sub.get(..1 << low).unwrap_or_default());
            }
            for pair in sub.windows(2) {
                if let &[a, b] = pair
                    && b - a > 1
                    && let Some(bucket) = part.get_mut((a - from) as usize..(b - from) as usize)
                {
                    bucket.sort_unstable();
                }
            }
        }
        if let Some(last) = starts.last_mut() {
            *last = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        }
        StepIndex { step, bits, starts, entries }
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

    /// The bytes the entries and the bucket starts take.
    pub fn memory(&self) -> usize {
        self.entries.capacity() * core::mem::size_of::<Entry>()
            + self.starts.capacity() * core::mem::size_of::<u32>()
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
    /// updates the index in place, with no rebuild; the bucket bits stay
    /// those the index was built with.
    pub fn replace(&mut self, slot: u32, old: Option<&StepHandle>, new: &StepHandle) {
        if let Some(old) = old {
            let entry = Entry { handle: old.value(), slot, pad: old.pad };
            let (from, bucket_entries) = self.bucket_of(entry.handle);
            if let Ok(at) = bucket_entries.binary_search(&entry) {
                self.entries.remove(from + at);
                self.shift_starts(entry.handle, |s| s - 1);
            }
        }
        let entry = Entry { handle: new.value(), slot, pad: new.pad };
        let (from, bucket_entries) = self.bucket_of(entry.handle);
        if let Err(at) = bucket_entries.binary_search(&entry) {
            self.entries.insert(from + at, entry);
            self.shift_starts(entry.handle, |s| s + 1);
        }
    }

    /// The position of the first entry of `handle`'s bucket, and its entries.
    fn bucket_of(&self, handle: u64) -> (usize, &[Entry]) {
        let b = bucket(handle, self.bits);
        let at = |i: usize| self.starts.get(i).map_or(0, |&s| s as usize);
        let (from, to) = (at(b), at(b + 1));
        (from, self.entries.get(from..to).unwrap_or_default())
    }

    /// Applies `f` to the start of every bucket after `handle`'s.
    fn shift_starts(&mut self, handle: u64, f: impl Fn(u32) -> u32) {
        let b = bucket(handle, self.bits);
        for s in self.starts.iter_mut().skip(b + 1) {
            *s = f(*s);
        }
    }

    /// The entries with `low <= handle <= high`, where `low` and `high` are
    /// in one bucket (an exact handle, or a 30-bit prefix, longer than any
    /// bucket's): the bucket's start, then a search of its few entries.
    fn range(&self, low: u64, high: u64) -> &[Entry] {
        let (_, entries) = self.bucket_of(low);
        let start = entries.partition_point(|e| e.handle < low);
        let rest = entries.get(start..).unwrap_or_default();
        let len = rest.iter().take_while(|e| e.handle <= high).count();
        rest.get(..len).unwrap_or_default()
    }
}

/// The bucket bits of an index of `n` entries: `floor(log2 n) - 1`, so a
/// bucket holds two entries on average, at most [`MAX_BUCKET_BITS`].
fn bucket_bits(n: usize) -> u32 {
    n.checked_ilog2().unwrap_or(0).saturating_sub(1).min(MAX_BUCKET_BITS)
}

/// The bucket of `handle`: its top `bits` bits.
fn bucket(handle: u64, bits: u32) -> usize {
    handle.checked_shr(64 - bits).unwrap_or(0) as usize
}

/// `starts[j]` := `base` plus the number of `entries` whose `key` of their
/// handle is below `j`, for every `j` up to `2^bits` (every key is below).
fn key_starts(
    entries: &[Entry],
    base: u32,
    starts: &mut Vec<u32>,
    (bits, key): (u32, impl Fn(u64) -> usize),
) {
    starts.clear();
    starts.resize((1 << bits) + 1, 0);
    for e in entries {
        if let Some(n) = starts.get_mut(key(e.handle) + 1) {
            *n += 1;
        }
    }
    let mut total = base;
    for s in starts.iter_mut() {
        total += *s;
        *s = total;
    }
}

/// Moves every entry into its part, `starts[k]..starts[k + 1]` for its
/// `key` `k`, in place: each part fills from its start, and an entry found
/// in another part's place is swapped into its own part's next free place.
fn permute_in_place(entries: &mut [Entry], starts: &[u32], key: impl Fn(u64) -> usize) {
    let mut next: Vec<usize> = starts.iter().map(|&s| s as usize).collect();
    for (k, pair) in starts.windows(2).enumerate() {
        let end = pair.get(1).map_or(0, |&e| e as usize);
        while let Some(&at) = next.get(k)
            && at < end
        {
            // Follow the cycle through `at` until an entry of part `k` lands there.
            while let Some(e) = entries.get(at)
                && let home = key(e.handle)
                && home != k
                && let Some(free) = next.get_mut(home)
            {
                entries.swap(at, *free);
                *free += 1;
            }
            if let Some(n) = next.get_mut(k) {
                *n += 1;
            }
        }
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

    /// Entries from a xorshift stream, some sharing a handle's top 30 bits
    /// or all of it, some with the same handle in another slot.
    fn stream(n: usize, seed: u64) -> Vec<Entry> {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut entries: Vec<Entry> = Vec::new();
        for slot in 0..n as u32 {
            let r = next();
            let handle = match (r % 7, entries.last()) {
                (0, Some(prev)) => prev.handle,
                (1, Some(prev)) => prev.handle ^ (next() >> 30),
                _ => next(),
            };
            entries.push(Entry { handle, slot, pad: r as u32 });
        }
        entries
    }

    #[test]
    fn bucketed_lookups_equal_a_scan_of_every_entry() {
        for n in [0usize, 1, 2, 3, 4, 5, 17, 1000, 4099, 70_000] {
            let entries = stream(n, n as u64 * 7919 + 3);
            let index = StepIndex::of_entries(5, entries.clone());
            let mut sorted = entries.clone();
            sorted.sort_unstable();
            assert_eq!(index.entries, sorted, "n = {n}");
            let bits = bucket_bits(n);
            let starts: Vec<u32> = (0..=1usize << bits)
                .map(|b| sorted.partition_point(|e| bucket(e.handle, bits) < b) as u32)
                .collect();
            assert_eq!(index.starts, starts, "n = {n}");
            let probes =
                entries.iter().take(5000).map(|e| e.handle).chain([0, u64::MAX, 1 << 63, (1 << 63) - 1]);
            for h in probes {
                let exact: Vec<Entry> = sorted.iter().filter(|e| e.handle == h).copied().collect();
                assert_eq!(index.exact(h), &exact[..], "n = {n}, handle {h:x}");
                let h30 = (h >> 34) as u32;
                let numeric: Vec<Entry> =
                    sorted.iter().filter(|e| (e.handle >> 34) as u32 == h30).copied().collect();
                assert_eq!(index.numeric(h30), &numeric[..], "n = {n}, handle30 {h30:x}");
            }
        }
        assert_eq!((bucket_bits(0), bucket_bits(3), bucket_bits(4), bucket_bits(1 << 40)), (0, 0, 1, 24));
    }

    #[test]
    fn replacing_entries_keeps_every_bucket_searchable() {
        let entries = stream(300, 11);
        let mut index = StepIndex::of_entries(5, entries.clone());
        let mut held = entries.clone();
        // New slots, then every tenth slot re-enrolled with a new handle.
        for (i, e) in stream(40, 99).into_iter().enumerate() {
            let new = StepHandle { bytes: e.handle.to_be_bytes(), pad: e.pad };
            let slot = 300 + i as u32;
            index.replace(slot, None, &new);
            held.push(Entry { handle: e.handle, slot, pad: e.pad });
        }
        for slot in (0..340u32).step_by(10) {
            let old = held[slot as usize];
            let new = Entry { handle: old.handle.rotate_left(17) ^ 0xabc, slot, pad: !old.pad };
            let as_handle = |e: &Entry| StepHandle { bytes: e.handle.to_be_bytes(), pad: e.pad };
            index.replace(slot, Some(&as_handle(&old)), &as_handle(&new));
            held[slot as usize] = new;
        }
        let mut sorted = held.clone();
        sorted.sort_unstable();
        assert_eq!(index.entries, sorted);
        for e in &held {
            assert!(index.exact(e.handle).contains(e));
            assert!(index.numeric((e.handle >> 34) as u32).contains(e));
        }
        // 300 and 340 entries both take 7 bucket bits: the index is the one
        // a build of what it holds makes, starts and all.
        assert_eq!(index, StepIndex::of_entries(5, held));
        assert_eq!(index.bits, 7);
    }

    #[test]
    fn index_finds_exact_and_numeric_and_replaces() {
        let keys: Vec<HandleKey> =
            (0..50u64).map(|a| HandleKey::derive(a, &Seed::from_bytes(&[a as u8; 32]))).collect();
        let mut index = StepIndex::build(9, &keys);
        assert_eq!(index.len(), 50);
        assert_eq!(StepIndex::from_handles(9, keys.iter().map(|k| StepHandle::derive(k, 9))), index);
        // A step's index built in the memory of another step's, of more
        // accounts, is the one built afresh.
        let more: Vec<HandleKey> =
            (0..80u64).map(|id| HandleKey::derive(id, &Seed::from_bytes(&[4; 32]))).collect();
        assert_eq!(StepIndex::build(8, &more).rebuild(9, &keys), index);
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
