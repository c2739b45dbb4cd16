//! Replay state: per identity a sliding window over counters (RFC 4303
//! §3.4.3 style: highest accepted counter plus a 64-bit bitmap), with the
//! time rules that decide when it may be forgotten (spec §8).
//!
//! [`ReplayState`] is safe to share between threads: the check and the
//! record for one identity happen under one lock (spec: R-REPLAY-3). The
//! identities are spread over many small shards, each with its own lock on
//! its own cache line, so that threads verifying different identities rarely
//! write to a line the other thread has just written.

mod hashing;
mod table;

pub(crate) mod window;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

pub(crate) use hashing::IdHashing;
use table::{Probe, WindowTable};
pub use window::{WINDOW, Window};

pub use crate::acceptance::{ACCOUNT_CAPACITY, Budget, SOURCE_CAPACITY, Spend};
use crate::acceptance::{Attempt, Proof, decide, ledger_horizon};
use crate::challenge::UsedChallenge;
use crate::errors::Error;
use crate::log::LogRecord;
pub use crate::store::Spent;
use crate::store::{Changes, Mark, Records};
use crate::time::Params;

/// The shards: 2^12. Two threads that verify codes of different identities
/// write to the same shard, and so move its lock's cache line between their
/// cores, only when the identities share a shard: with a few thousand
/// identities active at once that is rare, and with many more their windows
/// no longer fit in the caches, so a cache miss costs either thread as much
/// as a line the other one wrote.
const SHARD_BITS: u32 = 12;
/// The shards are allocated in chunks of 2^6 (8 KiB), each on its first use,
/// so that a state used for a few identities costs a few chunks, not 512 KiB.
const CHUNK_BITS: u32 = 6;
const CHUNK: usize = 1 << CHUNK_BITS;
const CHUNKS: usize = 1 << (SHARD_BITS - CHUNK_BITS);

/// One shard: its identities' replay windows, and the step below which they
/// were last swept. The counter marks, spend ledger and failure budgets sit
/// behind a pointer, allocated on first use, so that the lock and the window
/// table fit one cache line; a verification reaches the marks through it
/// (one probe of one map, see [`ReplayState::transact`]).
struct Shard {
    windows: WindowTable,
    swept_low: u64,
    maps: Option<Box<Maps>>,
}

/// The counter marks, the spend ledger and the numeric failure budgets of one shard.
struct Maps {
    marks: HashMap<u64, Mark, IdHashing>,
    spent: HashMap<u64, Spent, IdHashing>,
    budgets: HashMap<u64, u64, IdHashing>,
}

impl Maps {
    fn new(hashing: IdHashing) -> Box<Maps> {
        // The maps get their own key: all identities of a shard share the top
        // bits of `hashing`'s hash, which the maps' probing would otherwise see.
        let key = hashing.derived();
        Box::new(Maps {
            marks: HashMap::with_hasher(key),
            spent: HashMap::with_hasher(key),
            budgets: HashMap::with_hasher(key),
        })
    }
}

impl Shard {
    fn new(hashing: IdHashing) -> Shard {
        Shard { windows: WindowTable::new(hashing), swept_low: 0, maps: None }
    }

    /// The marks, ledger and budgets, allocated if this is their first use.
    fn maps(&mut self, hashing: IdHashing) -> &mut Maps {
        self.maps.get_or_insert_with(|| Maps::new(hashing))
    }

    fn spent(&self, id: u64) -> Option<Spent> {
        self.maps.as_ref().and_then(|m| m.spent.get(&id).copied())
    }
}

/// A shard on a cache line of its own (with the line beside it, which some
/// processors fetch in pairs), so that threads working on different shards
/// do not write to one line.
#[repr(align(128))]
struct Padded(Mutex<Shard>);

/// Replay state of one profile at one verifier: the windows, the spend ledger,
/// the numeric failure budgets, the high-water step `T_hw` and the quarantine floor `Q`.
// Aligned so that no other value shares a cache line with the fields every
// verification reads (a lock beside it in a verifier would move that line).
#[repr(align(128))]
pub struct ReplayState {
    params: Params,
    hashing: IdHashing,
    chunks: Box<[OnceLock<Box<[Padded]>>]>,
    high_water: AtomicU64,
    quarantine: AtomicU64,
}

/// The records of a call that a store keeps outside its [`ReplayState`]:
/// the revocation list's verdict and freshness, the call's source budget
/// and whether its challenge's nonce is used (see [`Records`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Outside {
    pub revoked: bool,
    pub fresh_until: Option<u64>,
    pub source_budget: u64,
    pub challenge_used: bool,
}

/// What a step of [`ReplayState::transact_with`] decided that the store
/// applies outside the state: the log record, the challenge's nonce, the
/// source's new budget.
pub(crate) struct Applied<'a> {
    pub record: Option<&'a LogRecord>,
    pub challenge: Option<UsedChallenge>,
    pub source_budget: Option<u64>,
}

/// A serializable copy of a [`ReplayState`], for durable storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Snapshot {
    /// The high-water step `T_hw`.
    pub high_water: u64,
    /// The quarantine floor `Q`.
    pub quarantine: u64,
    /// Windows by identity, sorted.
    pub windows: Vec<(u64, Window)>,
    /// Ledger by serial, sorted.
    pub spent: Vec<(u64, Spent)>,
    /// Counter marks by identity, sorted (spec: R-REPLAY-7). A snapshot
    /// written before marks existed has none.
    #[cfg_attr(feature = "serde", serde(default))]
    pub marks: Vec<(u64, Mark)>,
    /// Numeric failure budgets `u` by account, sorted (spec: R-HMAC-7,
    /// R-STATE-6): durable state like the rest.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub budgets: Vec<(u64, u64)>,
}

impl ReplayState {
    /// Empty state of a verifier that has never accepted a code.
    pub fn new(params: Params) -> ReplayState {
        ReplayState::with_floor(params, 0, 0)
    }

    /// Empty state of a verifier that lost its state, restarted at step `now`:
    /// codes of steps below `now + F + 1` get [`Error::StateUnavailable`]
    /// (spec: R-REPLAY-5).
    pub fn after_loss(params: Params, now: u64) -> ReplayState {
        let q = now.saturating_add(params.forward()).saturating_add(1);
        ReplayState::with_floor(params, now, q)
    }

    /// State restored from a snapshot.
    pub fn restore(params: Params, snap: &Snapshot) -> ReplayState {
        let state = ReplayState::with_floor(params, snap.high_water, snap.quarantine);
        for &(id, w) in &snap.windows {
            if let Ok(mut s) = state.shard(id) {
                // Bit 0 is always set in a window this code writes; a state file
                // without it is read as the safer window that has `H` accepted.
                s.windows.insert(id, Window { bitmap: w.bitmap | 1, ..w });
            }
        }
        for &(id, sp) in &snap.spent {
            if let Ok(mut s) = state.shard(id) {
                s.maps(state.hashing).spent.insert(id, sp);
            }
        }
        for &(id, m) in &snap.marks {
            if let Ok(mut s) = state.shard(id) {
                s.maps(state.hashing).marks.insert(id, m);
            }
        }
        for &(id, u) in &snap.budgets {
            if let Ok(mut s) = state.shard(id) {
                s.maps(state.hashing).budgets.insert(id, u);
            }
        }
        state
    }

    fn with_floor(params: Params, high_water: u64, quarantine: u64) -> ReplayState {
        let hashing = IdHashing::random();
        ReplayState {
            params,
            hashing,
            chunks: (0..CHUNKS).map(|_| OnceLock::new()).collect(),
            high_water: AtomicU64::new(high_water),
            quarantine: AtomicU64::new(quarantine),
        }
    }

    /// Raises `T_hw` to `now` (spec: R-TIME-5); every verification starts here.
    pub fn observe(&self, now: u64) {
        // Most calls find T_hw already there: reading first keeps the shared
        // cache line clean, so concurrent verifiers do not contend for it.
        if self.high_water.load(Ordering::Acquire) < now {
            self.high_water.fetch_max(now, Ordering::AcqRel);
        }
    }

    /// The parameters.
    pub const fn params(&self) -> &Params {
        &self.params
    }

    /// The high-water step `T_hw`.
    pub fn high_water(&self) -> u64 {
        self.high_water.load(Ordering::Acquire)
    }

    /// The quarantine floor `Q`.
    pub fn quarantine(&self) -> u64 {
        self.quarantine.load(Ordering::Acquire)
    }

    /// Raises the quarantine floor `Q` to `floor` (spec: R-REPLAY-5).
    pub fn raise_quarantine(&self, floor: u64) {
        self.quarantine.fetch_max(floor, Ordering::AcqRel);
    }

    /// Reads the records of `id`, calls `decide` on them and applies what it
    /// returns, under the lock of `id`'s shard: one atomic step with respect
    /// to every other call on `id` (spec: R-REPLAY-3). `revoked` is passed
    /// through to the records; the log record is the caller's to keep.
    ///
    /// # Errors
    ///
    /// [`Error::StateUnavailable`] if the shard's lock is poisoned.
    pub fn transact<'a>(
        &self,
        id: u64,
        revoked: bool,
        decide: &mut dyn FnMut(&Records) -> Changes<'a>,
    ) -> Result<Option<&'a LogRecord>, Error> {
        let outside = Outside { revoked, ..Outside::default() };
        self.transact_with(id, outside, decide).map(|applied| applied.record)
    }

    /// [`ReplayState::transact`], with the records that a store keeps
    /// outside this state given in `outside`; returns what the caller
    /// applies to those after the step.
    pub(crate) fn transact_with<'a>(
        &self,
        id: u64,
        outside: Outside,
        decide: &mut dyn FnMut(&Records) -> Changes<'a>,
    ) -> Result<Applied<'a>, Error> {
        let hash = self.hashing.hash(id);
        let mut shard = self.shard_of(hash)?;
        // T_hw is read under the lock, after any eviction that used it, so an
        // evicted window's codes are already too old here (spec: R-REPLAY-4).
        let high_water = self.high_water();
        let (low, _) = self.params.window(high_water, high_water);
        if low > shard.swept_low {
            self.sweep(&mut shard, low);
        }
        let probe = shard.windows.find_hashed(id, hash);
        let Shard { windows, maps, .. } = &mut *shard;
        let maps = maps.get_or_insert_with(|| Maps::new(self.hashing));
        // One probe of the marks for the read and the write.
        let mark = maps.marks.entry(id);
        let records = Records {
            high_water,
            quarantine: self.quarantine(),
            window: match probe {
                Probe::Found(_, w) => Some(w),
                Probe::Vacant(_) => None,
            },
            mark: match &mark {
                Entry::Occupied(e) => Some(*e.get()),
                Entry::Vacant(_) => None,
            },
            spent: maps.spent.get(&id).copied(),
            budget: maps.budgets.get(&id).copied().unwrap_or(0),
            source_budget: outside.source_budget,
            revoked: outside.revoked,
            fresh_until: outside.fresh_until,
            challenge_used: outside.challenge_used,
        };
        let changes = decide(&records);
        self.observe(changes.high_water);
        if let Some(w) = changes.window {
            windows.set(id, probe, w);
        }
        if let Some(m) = changes.mark {
            match mark {
                Entry::Occupied(mut e) => *e.get_mut() = m,
                Entry::Vacant(e) => {
                    e.insert(m);
                }
            }
        }
        if let Some(sp) = changes.spent {
            maps.spent.insert(id, sp);
        }
        if let Some(u) = changes.budget {
            maps.budgets.insert(id, u);
        }
        Ok(Applied {
            record: changes.record,
            challenge: changes.challenge,
            source_budget: changes.source_budget,
        })
    }

    /// Steps C1-C5 for a code already authenticated: time window, quarantine,
    /// replay, limits; on success records the counter (and the amount)
    /// atomically (spec: R-TIME-4, R-REPLAY-3, R-VERIFY-3).
    ///
    /// # Errors
    ///
    /// `too-old`, `too-new`, `state-unavailable`, `stale-counter`, `replayed`,
    /// `counter-behind`, `over-limit`, in that order.
    pub fn admit(
        &self,
        id: u64,
        step: u64,
        counter: u32,
        now: u64,
        spend: Option<Spend>,
    ) -> Result<(), Error> {
        self.run(id, step, counter, now, Proof::Checked, spend)
    }

    /// Steps H0, H3 and C2-C5 of an hmac QR code, under one lock: the
    /// window (C1, first for an hmac code), the MAC check `authentic`, then
    /// [`ReplayState::admit`]. A QR code is never
    /// throttled and its failure spends no budget (spec: R-HMAC-6, R-VERIFY-1,
    /// R-REPLAY-3).
    ///
    /// # Errors
    ///
    /// `too-old` or `too-new`, `invalid-code`, then as [`ReplayState::admit`].
    pub fn admit_authenticated(
        &self,
        account: u64,
        step: u64,
        counter: u32,
        now: u64,
        authentic: impl Fn() -> bool,
    ) -> Result<(), Error> {
        self.run(account, step, counter, now, Proof::Mac(&authentic), None)
    }

    /// Steps H0, H2, H3 and C2-C5 of a numeric code of an enrolled account,
    /// under one lock: the window (C1, first for an hmac code), the
    /// account's failure budget, the MAC check
    /// `authentic` (run only if the budget is not exhausted; a failure is
    /// charged to it), then [`ReplayState::admit`] (spec: R-HMAC-7). This
    /// state keeps no source budgets; [`crate::MemoryStore`] does.
    ///
    /// # Errors
    ///
    /// `too-old` or `too-new`, `throttled`, `invalid-code`, then as
    /// [`ReplayState::admit`].
    pub fn admit_numeric(
        &self,
        account: u64,
        step: u64,
        counter: u32,
        now: u64,
        authentic: impl Fn() -> bool,
    ) -> Result<(), Error> {
        self.run(account, step, counter, now, Proof::Guess(&authentic), None)
    }

    fn run(
        &self,
        id: u64,
        step: u64,
        counter: u32,
        now: u64,
        proof: Proof<'_>,
        spend: Option<Spend>,
    ) -> Result<(), Error> {
        let attempt = Attempt {
            step,
            counter,
            now,
            time: 0,
            proof,
            account_budget: true,
            spend,
            bound: None,
            challenge: None,
            record: None,
        };
        let mut verdict = Ok(());
        self.transact(id, false, &mut |records| {
            let (v, changes) = decide(&self.params, &attempt, records);
            verdict = v;
            changes
        })?;
        verdict
    }

    /// The numeric failure budget `u` of `account`, 0 if none is stored (spec: R-HMAC-7).
    pub fn budget(&self, account: u64) -> u64 {
        self.shard(account)
            .ok()
            .and_then(|s| s.maps.as_ref().and_then(|m| m.budgets.get(&account).copied()))
            .unwrap_or(0)
    }

    /// Drops every window and ledger entry that can no longer matter at step
    /// `now` (spec: R-REPLAY-4, R-LIMIT-2).
    pub fn evict(&self, now: u64) {
        self.observe(now);
        let (low, _) = self.params.window(now, self.high_water());
        for m in self.shards() {
            if let Ok(mut s) = m.0.lock() {
                s.swept_low = 0;
                self.sweep(&mut s, low);
                // A budget at or below T_hw charges nothing at any later call,
                // whose T' is at least T_hw (spec: R-HMAC-7).
                let through = self.high_water();
                if let Some(maps) = &mut s.maps {
                    maps.budgets.retain(|_, u| *u > through);
                }
            }
        }
    }

    /// The window of `id`, if any.
    pub fn window(&self, id: u64) -> Option<Window> {
        self.shard(id).ok().and_then(|s| match s.windows.find(id) {
            Probe::Found(_, w) => Some(w),
            Probe::Vacant(_) => None,
        })
    }

    /// The ledger entry of `id`, if any.
    pub fn spent(&self, id: u64) -> Option<Spent> {
        self.shard(id).ok().and_then(|s| s.spent(id))
    }

    /// Number of identities with a window.
    pub fn len(&self) -> usize {
        self.shards().filter_map(|m| m.0.lock().ok()).map(|s| s.windows.len).sum()
    }

    /// Whether no identity has a window.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of heap memory the replay windows occupy: every table slot,
    /// used or free, at 28 bytes each (the identity and the 20-byte window,
    /// spec: R-REPLAY-6). The counter marks, spend ledger and failure budgets are not included.
    pub fn window_bytes(&self) -> usize {
        self.shards().filter_map(|m| m.0.lock().ok()).map(|s| s.windows.heap_bytes()).sum()
    }

    /// A copy for durable storage.
    pub fn snapshot(&self) -> Snapshot {
        let mut snap =
            Snapshot { high_water: self.high_water(), quarantine: self.quarantine(), ..Snapshot::default() };
        for m in self.shards() {
            if let Ok(s) = m.0.lock() {
                snap.windows.extend(s.windows.iter());
                if let Some(maps) = &s.maps {
                    snap.spent.extend(maps.spent.iter().map(|(k, v)| (*k, *v)));
                    snap.marks.extend(maps.marks.iter().map(|(k, v)| (*k, *v)));
                    snap.budgets.extend(maps.budgets.iter().map(|(k, v)| (*k, *v)));
                }
            }
        }
        snap.windows.sort_unstable_by_key(|e| e.0);
        snap.spent.sort_unstable_by_key(|e| e.0);
        snap.marks.sort_unstable_by_key(|e| e.0);
        snap.budgets.sort_unstable_by_key(|e| e.0);
        snap
    }

    fn shard(&self, id: u64) -> Result<MutexGuard<'_, Shard>, Error> {
        self.shard_of(self.hashing.hash(id))
    }

    /// The shard of the identity whose hash is `hash`: its top bits pick the
    /// shard; the table inside uses the bits below them.
    #[inline]
    fn shard_of(&self, hash: u64) -> Result<MutexGuard<'_, Shard>, Error> {
        let i = (hash >> (64 - SHARD_BITS)) as usize;
        let slot = self.chunks.get(i >> CHUNK_BITS).ok_or(Error::StateUnavailable)?;
        let chunk = match slot.get() {
            Some(chunk) => chunk,
            None => self.first_use(slot),
        };
        chunk.get(i % CHUNK).ok_or(Error::StateUnavailable)?.0.lock().map_err(|_| Error::StateUnavailable)
    }

    /// The chunk of shards in `slot`, allocated now unless another thread just did.
    #[cold]
    fn first_use<'a>(&self, slot: &'a OnceLock<Box<[Padded]>>) -> &'a [Padded] {
        slot.get_or_init(|| (0..CHUNK).map(|_| Padded(Mutex::new(Shard::new(self.hashing)))).collect())
    }

    /// Every shard allocated so far (the others hold nothing).
    fn shards(&self) -> impl Iterator<Item = &Padded> {
        self.chunks.iter().filter_map(OnceLock::get).flat_map(|chunk| chunk.iter())
    }

    fn sweep(&self, shard: &mut Shard, low: u64) {
        if low <= shard.swept_low {
            return;
        }
        shard.swept_low = low;
        shard.windows.retain(|w| w.top >= low);
        let horizon = ledger_horizon(&self.params, low);
        if let Some(maps) = &mut shard.maps {
            maps.spent.retain(|_, s| s.not_after >= horizon);
            // An ed25519 mark goes with its ledger entry; an hmac mark stays (spec: R-REPLAY-7).
            maps.marks.retain(|_, m| m.until.is_none_or(|not_after| not_after >= horizon));
        }
    }
}

impl core::fmt::Debug for ReplayState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReplayState")
            .field("high_water", &self.high_water())
            .field("quarantine", &self.quarantine())
            .field("windows", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_fits_one_cache_line() {
        // The lock and what an hmac verification reads under it (spec: R-REPLAY-3).
        assert!(size_of::<Mutex<Shard>>() <= 64, "{}", size_of::<Mutex<Shard>>());
        assert_eq!(align_of::<Padded>(), 128);
        assert_eq!(size_of::<Padded>(), 128);
        // A window's slot: the identity and the 20-byte window (spec: R-REPLAY-6).
        assert_eq!(size_of::<table::Slot>(), 28);
    }

    #[test]
    fn budget_does_not_depend_on_other_identities() {
        // spec: R-HMAC-7, R-VERIFY-1: whether another identity's acceptance
        // swept the shard of account 3 must not change account 3's verdicts.
        let fail = || false;
        for round in 0..32 {
            let s = ReplayState::new(Params::default());
            let shard = |id: u64| s.hashing.hash(id) >> (64 - SHARD_BITS);
            let other = (1000..).find(|&id| (shard(id) == shard(3)) == (round % 4 != 0)).unwrap();
            s.observe(200);
            for _ in 0..ACCOUNT_CAPACITY {
                assert_eq!(s.admit_numeric(3, 200, 0, 200, fail), Err(Error::InvalidCode));
            }
            // At step 201 another identity pays, which raises L and sweeps its shard.
            s.observe(201);
            assert_eq!(s.admit(other, 201, 0, 201, None), Ok(()));
            assert_eq!(
                s.admit_numeric(3, 201, 0, 201, || true),
                Err(Error::Throttled),
                "other identity {other}"
            );
        }
        // evict drops only the budgets that charge nothing any more.
        let s = ReplayState::new(Params::default());
        assert_eq!(s.admit_numeric(3, 100, 0, 100, fail), Err(Error::InvalidCode));
        assert_eq!(s.budget(3), 100 + 1440);
        s.evict(100 + 1439);
        assert_eq!(s.budget(3), 100 + 1440);
        s.evict(100 + 1440);
        assert_eq!(s.budget(3), 0);
    }
}
