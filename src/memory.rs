//! The in-memory state store: the replay state of each profile and the
//! installed revocation list, in this process only.
//!
//! It is as durable as the process. A verifier that keeps it must restart in
//! quarantine after a crash (spec: R-REPLAY-5), or save a [`VerifierState`]
//! snapshot before it reports each acceptance.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::challenge::UsedChallenge;

use crate::log::LogRecord;
use crate::profile::Profile;
use crate::replay::{IdHashing, Outside, ReplayState, Snapshot};
use crate::revocation::{ListMark, RevocationList};
use crate::shared::ReadMostly;
use crate::store::{Call, Eviction, Identity, StateStore, StoreError, StoreErrorKind};
use crate::time::Params;
use crate::trust::TrustList;

/// A snapshot of a [`MemoryStore`], for saving between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct VerifierState {
    /// hmac replay state.
    pub hmac: Snapshot,
    /// ed25519 replay state and spend ledger.
    pub ed25519: Snapshot,
    /// The installed revocation list (spec §8.6: `RL` is durable state, so a
    /// restart cannot fall back to an older list). Serialized as the hex of its encoding.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub revocation_list: Option<RevocationList>,
    /// Whether the list installed last was uninstalled by the re-check under
    /// a new trust list: it is kept, as `revocation_list` or as its mark
    /// `revocation_floor`, only as the floor of the next install, and no
    /// list is in force (spec: R-REVOKE-6).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "core::ops::Not::not"))]
    pub revocation_withdrawn: bool,
    /// The number and issue time of a list the re-check uninstalled, when
    /// `revocation_list` does not hold the list itself (a database store
    /// keeps only these of it): the floor the next install must pass (spec:
    /// R-REVOKE-2, R-REVOKE-6). Given only with `revocation_withdrawn`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub revocation_floor: Option<ListMark>,
    /// The nonce set `N`: the challenges a code was accepted for, while they
    /// may still matter (spec: R-CHAL-4).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub challenges: Vec<UsedChallenge>,
    /// The numeric failure budgets `u` of the sources (terminal ids), sorted
    /// (spec: R-HMAC-8, R-STATE-6). The accounts' budgets are in [`VerifierState::hmac`].
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub sources: Vec<(u32, u64)>,
}

/// The in-memory [`StateStore`], safe to share between threads: the records of
/// one identity are read, decided and written under one lock (spec: R-REPLAY-3).
#[derive(Debug)]
pub struct MemoryStore {
    hmac: ReplayState,
    ed25519: ReplayState,
    revocation: ReadMostly<Option<Arc<RevocationList>>>,
    /// The list in `revocation` was uninstalled by the re-check: it is only
    /// the floor of the next install (spec: R-REVOKE-6).
    withdrawn: AtomicBool,
    /// The floor of the next install while `revocation` holds no list: the
    /// mark of a list uninstalled before this store was restored, whose
    /// state kept only its mark (spec: R-REVOKE-2).
    floor: ListMark,
    trust: RwLock<Option<TrustList>>,
    nonces: Mutex<HashMap<[u8; 16], u64, IdHashing>>,
    /// The size of `nonces` at which a call sweeps it next; read and
    /// written under its lock.
    nonce_sweep_at: AtomicUsize,
    sources: Mutex<HashMap<u32, u64>>,
    log: Option<RwLock<Vec<LogRecord>>>,
}

/// Nonces kept before a call with a nonce first sweeps the closed ones.
const NONCE_SWEEP_AT: usize = 4096;

impl MemoryStore {
    /// The state of a verifier that has never accepted a code.
    pub fn new(params: Params) -> MemoryStore {
        MemoryStore::of(ReplayState::new(params), ReplayState::new(params), None)
    }

    /// The state of a verifier that lost its state and restarted at step `now`:
    /// empty, with `T_hw = now` and `Q = now + F + 1` (spec: R-REPLAY-5).
    pub fn after_loss(params: Params, now: u64) -> MemoryStore {
        MemoryStore::of(ReplayState::after_loss(params, now), ReplayState::after_loss(params, now), None)
    }

    /// The state saved in `state`.
    pub fn restore(params: Params, state: &VerifierState) -> MemoryStore {
        let mut store = MemoryStore::of(
            ReplayState::restore(params, &state.hmac),
            ReplayState::restore(params, &state.ed25519),
            state.revocation_list.clone(),
        );
        // A list uninstalled and kept as its mark alone: no list is in
        // force, and the mark is the floor of the next install. A floor is
        // only ever such a mark, so it is kept as one even where the state
        // does not say the list was withdrawn (a database store's import
        // refuses that state); a list given beside it is the newer.
        store.floor = match (&state.revocation_list, state.revocation_floor) {
            (None, Some(floor)) if floor.number != 0 => floor,
            _ => ListMark::default(),
        };
        let floored = store.floor != ListMark::default();
        store.withdrawn =
            AtomicBool::new(floored || (state.revocation_withdrawn && state.revocation_list.is_some()));
        let mut nonces = HashMap::with_hasher(IdHashing::random());
        nonces.extend(state.challenges.iter().map(|c| (c.nonce, c.closes)));
        store.nonces = Mutex::new(nonces);
        store.sources = Mutex::new(state.sources.iter().copied().collect());
        store
    }

    /// This store, keeping every acceptance log record it commits, in order
    /// (see [`MemoryStore::log`]).
    #[must_use]
    pub fn with_log(mut self) -> MemoryStore {
        self.log = Some(RwLock::new(Vec::new()));
        self
    }

    fn of(hmac: ReplayState, ed25519: ReplayState, revocation: Option<RevocationList>) -> MemoryStore {
        MemoryStore {
            hmac,
            ed25519,
            revocation: ReadMostly::new(revocation.map(Arc::new)),
            withdrawn: AtomicBool::new(false),
            floor: ListMark::default(),
            trust: RwLock::new(None),
            nonces: Mutex::new(HashMap::with_hasher(IdHashing::random())),
            nonce_sweep_at: AtomicUsize::new(NONCE_SWEEP_AT),
            sources: Mutex::new(HashMap::new()),
            log: None,
        }
    }

    /// The replay state of a profile.
    pub const fn replay_state(&self, profile: Profile) -> &ReplayState {
        match profile {
            Profile::Hmac => &self.hmac,
            Profile::Ed25519 => &self.ed25519,
        }
    }

    /// The acceptance log records committed so far, if this store keeps them.
    pub fn log(&self) -> Option<Vec<LogRecord>> {
        self.log.as_ref().and_then(|l| l.read().ok()).map(|l| l.clone())
    }

    /// A snapshot of the whole state.
    pub fn state(&self) -> VerifierState {
        VerifierState {
            hmac: self.hmac.snapshot(),
            ed25519: self.ed25519.snapshot(),
            // The list as held, withdrawn or not: a withdrawn one is still the floor.
            revocation_list: self.revocation.read().ok().and_then(|l| l.as_deref().cloned()),
            revocation_withdrawn: self.withdrawn.load(Ordering::Acquire),
            revocation_floor: self.floor_alone(),
            challenges: {
                let mut all: Vec<UsedChallenge> = self
                    .nonces
                    .lock()
                    .map(|n| n.iter().map(|(&nonce, &closes)| UsedChallenge { nonce, closes }).collect())
                    .unwrap_or_default();
                all.sort_by_key(|c| c.nonce);
                all
            },
            sources: {
                let mut all: Vec<(u32, u64)> = self
                    .sources
                    .lock()
                    .map(|m| m.iter().map(|(&k, &u)| (k, u)).collect())
                    .unwrap_or_default();
                all.sort_unstable();
                all
            },
        }
    }

    /// The floor this store was restored with, while no list was installed
    /// since: the mark of a list uninstalled and kept as its mark alone.
    fn floor_alone(&self) -> Option<ListMark> {
        let installed = self.revocation.read().map_or(true, |l| l.is_some());
        (!installed && self.floor != ListMark::default()).then_some(self.floor)
    }

    /// `T0 + T_hw·X` of `state`, saturating: a nonce whose challenge closed
    /// before it can go (spec: R-CHAL-4).
    fn nonce_horizon(&self, state: &ReplayState) -> u64 {
        let start = state.params().step_start(state.high_water());
        u64::try_from(start).unwrap_or(u64::MAX)
    }

    /// Whether `identity` is revoked, and until when the installed list is
    /// fresh (spec: R-REVOKE-3, R-REVOKE-4). Only an ed25519 code's step
    /// reads them (E4): an hmac identity gets neither, and no lock is taken.
    fn revocation_of(&self, identity: Identity) -> Result<Revocation, StoreError> {
        if identity.profile != Profile::Ed25519 {
            return Ok(Revocation::default());
        }
        let list = self.revocation.read().map_err(|_| poisoned())?;
        let list = if self.withdrawn.load(Ordering::Acquire) { None } else { list.as_deref() };
        Ok(Revocation {
            revoked: list.as_ref().is_some_and(|l| l.contains(identity.subject)),
            fresh_until: list.map(RevocationList::fresh_until),
        })
    }
}

/// What the installed revocation list says of an identity.
#[derive(Clone, Copy, Default)]
struct Revocation {
    revoked: bool,
    fresh_until: Option<u64>,
}

impl StateStore for MemoryStore {
    fn transact_call(&self, call: &mut Call<'_>) -> Result<(), StoreError> {
        let identity = call.identity;
        let Revocation { revoked, fresh_until } = self.revocation_of(identity)?;
        let state = self.replay_state(identity.profile);
        // A numeric call holds its source's budget across its identity's
        // step, so that both are one atomic step (spec: R-HMAC-8, R-STATE-6).
        let mut sources = match call.source {
            Some(_) => Some(self.sources.lock().map_err(|_| poisoned())?),
            None => None,
        };
        let source_budget = match (&sources, call.source) {
            (Some(map), Some(r)) => map.get(&r).copied().unwrap_or(0),
            _ => 0,
        };
        // A call with a nonce holds the nonce set across its identity's
        // step, so that both are one atomic step (spec: R-CHAL-4).
        let mut nonces = match call.nonce {
            Some(_) => Some(self.nonces.lock().map_err(|_| poisoned())?),
            None => None,
        };
        let used = match (&nonces, call.nonce) {
            (Some(set), Some(n)) => set.contains_key(&n),
            _ => false,
        };
        let outside = Outside { revoked, fresh_until, source_budget, challenge_used: used };
        let applied =
            state.transact_with(identity.subject, outside, &mut *call.decide).map_err(|_| poisoned())?;
        let recorded = applied.challenge.filter(|c| Some(c.nonce) == call.nonce);
        if let (Some(set), Some(c)) = (nonces.as_mut(), recorded) {
            if set.len() >= self.nonce_sweep_at.load(Ordering::Relaxed) {
                let before = self.nonce_horizon(state);
                set.retain(|_, closes| *closes >= before);
                // The next sweep waits until the set has doubled: with many
                // challenges open, sweeping at every call would cost each
                // call the whole set; this way it costs O(1) a call.
                self.nonce_sweep_at.store((2 * set.len()).max(NONCE_SWEEP_AT), Ordering::Relaxed);
            }
            set.insert(c.nonce, c.closes);
        }
        drop(nonces);
        if let (Some(map), Some(r), Some(u)) = (sources.as_mut(), call.source, applied.source_budget) {
            map.insert(r, u);
        }
        drop(sources);
        // The other profile's T_hw follows, so that both read the same step.
        let other = match identity.profile {
            Profile::Hmac => &self.ed25519,
            Profile::Ed25519 => &self.hmac,
        };
        other.observe(state.high_water());
        if let (Some(r), Some(log)) = (applied.record, &self.log) {
            log.write().map_err(|_| poisoned())?.push(r.clone());
        }
        Ok(())
    }

    fn observe(&self, step: u64) -> Result<(), StoreError> {
        self.hmac.observe(step);
        self.ed25519.observe(step);
        Ok(())
    }

    fn high_water(&self) -> Result<u64, StoreError> {
        Ok(self.hmac.high_water().max(self.ed25519.high_water()))
    }

    fn quarantine(&self, floor: u64, high_water: u64) -> Result<(), StoreError> {
        for state in [&self.hmac, &self.ed25519] {
            state.observe(high_water);
            state.raise_quarantine(floor);
        }
        Ok(())
    }

    fn install_revocation_list(
        &self,
        list: &RevocationList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.revocation
            .update(|slot| {
                // With no list held, the floor: (0, 0) unless restored from a
                // list uninstalled, so list number 0 is never installed (spec: R-REVOKE-2).
                if !newer(slot.as_deref().map_or(self.floor, RevocationList::mark)) {
                    return false;
                }
                *slot = Some(Arc::new(list.clone()));
                self.withdrawn.store(false, Ordering::Release);
                true
            })
            .map_err(|_| poisoned())
    }

    fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
        let slot = self.revocation.read().map_err(|_| poisoned())?;
        Ok(if self.withdrawn.load(Ordering::Acquire) { None } else { slot.as_deref().cloned() })
    }

    fn withdraw_revocation_list(&self) -> Result<(), StoreError> {
        // Under the write locks, so that no install or read interleaves.
        self.revocation.update(|_| self.withdrawn.store(true, Ordering::Release)).map_err(|_| poisoned())
    }

    fn revocation_withdrawn(&self) -> Result<bool, StoreError> {
        let slot = self.revocation.read().map_err(|_| poisoned())?;
        Ok(self.withdrawn.load(Ordering::Acquire) && (slot.is_some() || self.floor != ListMark::default()))
    }

    fn install_trust_list(
        &self,
        list: &TrustList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        let mut slot = self.trust.write().map_err(|_| poisoned())?;
        if !newer(slot.as_ref().map_or(ListMark::default(), TrustList::mark)) {
            return Ok(false);
        }
        *slot = Some(list.clone());
        Ok(true)
    }

    fn trust_list(&self) -> Result<Option<TrustList>, StoreError> {
        Ok(self.trust.read().map_err(|_| poisoned())?.clone())
    }

    fn last_accepted_at(&self) -> Result<Option<u64>, StoreError> {
        match &self.log {
            Some(log) => Ok(log.read().map_err(|_| poisoned())?.last().map(|r| r.accepted_at)),
            None => Ok(None),
        }
    }

    fn evict(&self, step: u64, _plan: &dyn Fn(u64) -> Eviction) -> Result<(), StoreError> {
        // Each profile's state sweeps under its shard locks with the bounds
        // `plan` would give, on the T_hw it reads there.
        self.hmac.evict(step);
        self.ed25519.evict(step);
        let before = self.nonce_horizon(&self.hmac).max(self.nonce_horizon(&self.ed25519));
        self.nonces.lock().map_err(|_| poisoned())?.retain(|_, closes| *closes >= before);
        // spec: R-HMAC-8: a source budget at or below T_hw charges nothing any more.
        let through = self.hmac.high_water().max(self.ed25519.high_water());
        self.sources.lock().map_err(|_| poisoned())?.retain(|_, u| *u > through);
        Ok(())
    }
}

/// A lock held by a thread that panicked: the state behind it may be half-written.
fn poisoned() -> StoreError {
    StoreError::of_kind(StoreErrorKind::Corrupt)
}
