//! The replay windows of one shard, in an open-addressing table of 28-byte
//! slots (spec: R-REPLAY-6).

use super::SHARD_BITS;
use super::hashing::IdHashing;
use super::window::Window;

/// One replay window as the table stores it: the identity and the window in
/// 28 bytes with no padding (spec: R-REPLAY-6). A free slot has `bitmap == 0`,
/// which no window has (bit 0 is always set).
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
pub(super) struct Slot {
    id: u64,
    bitmap: u64,
    top: u64,
    high: u32,
}

const FREE: Slot = Slot { id: 0, bitmap: 0, top: 0, high: 0 };

impl Slot {
    const fn window(self) -> Window {
        Window { high: self.high, bitmap: self.bitmap, top: self.top }
    }
}

/// Where an identity is in a [`WindowTable`], or where it would go.
#[derive(Clone, Copy)]
pub(super) enum Probe {
    /// At this slot, with this window.
    Found(usize, Window),
    /// Absent; this free slot would take it.
    Vacant(usize),
}

/// The replay windows of one shard: open addressing with linear probing
/// over [`Slot`]s, with no control bytes, kept between 64% and 80% full
/// (after growth or a sweep), so a window costs 28 / 0.8 = 35 to
/// 28 / 0.64 = 43.75 bytes however many there are (at most two slots, 56
/// bytes, while a shard holds only one or two). A general-purpose map would
/// cost 33 bytes a slot (its windows padded to 24 bytes, plus a control
/// byte) at 44% to 88% load, up to 75 bytes a window.
pub(super) struct WindowTable {
    slots: Vec<Slot>,
    pub(super) len: usize,
    hashing: IdHashing,
}

/// Fewest slots a non-empty table has.
const MIN_SLOTS: usize = 2;

impl WindowTable {
    pub(super) const fn new(hashing: IdHashing) -> WindowTable {
        WindowTable { slots: Vec::new(), len: 0, hashing }
    }

    /// The slot count for `n` windows after growing or rebuilding: 64% full.
    pub(super) fn slots_for(n: usize) -> usize {
        (n.saturating_mul(25) / 16).saturating_add(1).max(MIN_SLOTS)
    }

    pub(super) fn find(&self, id: u64) -> Probe {
        self.find_hashed(id, self.hashing.hash(id))
    }

    /// [`WindowTable::find`] of `id` whose hash is `hash`.
    pub(super) fn find_hashed(&self, id: u64, hash: u64) -> Probe {
        if self.slots.is_empty() {
            return Probe::Vacant(0);
        }
        // The first slot to probe: the hash bits below the shard selector,
        // scaled to the table size.
        let mut i = ((u128::from(hash << SHARD_BITS) * self.slots.len() as u128) >> 64) as usize;
        // The table is never full, so the probe ends at a free slot.
        loop {
            let Some(&slot) = self.slots.get(i) else {
                i = 0;
                continue;
            };
            if slot.bitmap == 0 {
                return Probe::Vacant(i);
            }
            if slot.id == id {
                return Probe::Found(i, slot.window());
            }
            i += 1;
        }
    }

    /// Records `counter` in `step` for `id`, found by `probe` (from [`WindowTable::find`]
    /// with no change to the table since).
    #[cfg(test)]
    pub(super) fn record(&mut self, id: u64, probe: Probe, counter: u32, step: u64) {
        let w = match probe {
            Probe::Found(_, mut w) => {
                w.record(counter, step);
                w
            }
            Probe::Vacant(_) => Window::first(counter, step),
        };
        self.set(id, probe, w);
    }

    /// Stores `w` as the window of `id`, found by `probe` (from [`WindowTable::find`]
    /// with no change to the table since).
    pub(super) fn set(&mut self, id: u64, probe: Probe, w: Window) {
        match probe {
            Probe::Found(i, _) => self.put(i, id, w),
            Probe::Vacant(i) => {
                if (self.len + 1).saturating_mul(5) > self.slots.len().saturating_mul(4) {
                    self.rebuild(Self::slots_for(self.len + 1));
                    self.insert(id, w);
                } else {
                    self.put(i, id, w);
                    self.len += 1;
                }
            }
        }
    }

    /// Inserts or replaces the window of `id`.
    pub(super) fn insert(&mut self, id: u64, w: Window) {
        let probe = self.find(id);
        match probe {
            Probe::Found(i, _) => self.put(i, id, w),
            Probe::Vacant(_) => {
                if (self.len + 1).saturating_mul(5) > self.slots.len().saturating_mul(4) {
                    self.rebuild(Self::slots_for(self.len + 1));
                }
                if let Probe::Vacant(i) = self.find(id) {
                    self.put(i, id, w);
                    self.len += 1;
                }
            }
        }
    }

    fn put(&mut self, i: usize, id: u64, w: Window) {
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = Slot { id, bitmap: w.bitmap, top: w.top, high: w.high };
        }
    }

    /// Keeps the windows for which `keep` holds; the table is rebuilt
    /// without the others (linear probing has no cheap in-place delete),
    /// shrinking if it fell below 20% full.
    pub(super) fn retain(&mut self, keep: impl Fn(&Window) -> bool) {
        let survivors = self.slots.iter().filter(|s| s.bitmap != 0 && keep(&s.window())).count();
        if survivors == self.len {
            return;
        }
        let size = if survivors.saturating_mul(5) < self.slots.len() {
            Self::slots_for(survivors)
        } else {
            self.slots.len()
        };
        let old = core::mem::take(&mut self.slots);
        self.slots = vec![FREE; if survivors == 0 { 0 } else { size }];
        self.len = 0;
        for s in old.into_iter().filter(|s| s.bitmap != 0 && keep(&s.window())) {
            self.insert(s.id, s.window());
        }
    }

    /// Moves every window into a table of `size` slots.
    fn rebuild(&mut self, size: usize) {
        let old = core::mem::replace(&mut self.slots, vec![FREE; size]);
        self.len = 0;
        for s in old.into_iter().filter(|s| s.bitmap != 0) {
            self.insert(s.id, s.window());
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, Window)> + '_ {
        self.slots.iter().filter(|s| s.bitmap != 0).map(|s| (s.id, s.window()))
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.slots.capacity().saturating_mul(size_of::<Slot>())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A small deterministic generator for the randomized tests below.
    pub(crate) struct Lcg(pub(crate) u64);

    impl Lcg {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 11
        }
        pub(crate) fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn window_table_agrees_with_a_map() {
        let mut rng = Lcg(7);
        let mut table = WindowTable::new(IdHashing::random());
        let mut model: HashMap<u64, Window> = HashMap::new();
        let mut low = 0;
        let mut largest = 0;
        for round in 0..40_000u64 {
            match rng.below(1000) {
                0 => {
                    low += rng.below(3);
                    table.retain(|w| w.top >= low);
                    model.retain(|_, w| w.top >= low);
                }
                _ => {
                    // Sequential, spread and colliding ids alike.
                    let id = match rng.below(3) {
                        0 => rng.below(300),
                        1 => rng.below(300) << 40,
                        _ => rng.next(),
                    };
                    let counter = rng.below(200) as u32;
                    let step = low + rng.below(5);
                    let probe = table.find(id);
                    let expect = model.get(&id).copied();
                    match probe {
                        Probe::Found(_, w) => assert_eq!(Some(w), expect, "round {round}"),
                        Probe::Vacant(_) => assert_eq!(None, expect, "round {round}"),
                    }
                    if expect.is_none_or(|w| w.check(counter).is_ok()) {
                        table.record(id, probe, counter, step);
                        let w = model.entry(id).or_insert(Window::first(counter, step));
                        w.record(counter, step);
                    }
                }
            }
            assert_eq!(table.len, model.len());
            assert!(table.len * 5 <= table.slots.len() * 4 || table.slots.is_empty());
            largest = largest.max(table.len);
        }
        let mut all: Vec<_> = table.iter().collect();
        all.sort_unstable_by_key(|e| e.0);
        let mut expect: Vec<_> = model.into_iter().collect();
        expect.sort_unstable_by_key(|e| e.0);
        assert_eq!(all, expect);
        assert!(largest > 1_000, "the test must exercise a sizeable table: {largest}");
    }
}
