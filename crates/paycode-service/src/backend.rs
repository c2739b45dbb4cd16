//! Where the service keeps its state: the issuer's verifier state, each
//! terminal's, and the token table.
//!
//! The hmac profile's codes are verified by the issuer's one online verifier:
//! every node and every terminal share its state. An ed25519 code that a
//! terminal forwards is verified as that terminal would verify it offline:
//! against that terminal's replay windows and spend ledger (the offline
//! limits are per terminal, spec: R-LIMIT-2), and the terminal is the one
//! bound to the request's token, never one named in the request.
//!
//! A challenge is its terminal's, and is paid once whichever profile pays it
//! (spec: R-CHAL-4): each terminal has one nonce set, which its ed25519
//! verifier uses, and which the issuer's state uses for the hmac codes that
//! pay that terminal's challenges ([`Backend::issuer_for`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use paycode::revocation::{ListMark, RevocationList};
use paycode::store::{Call, Eviction, StoreErrorKind};
use paycode::{MemoryStore, Params, StateStore, StoreError};

use crate::token::{MemoryTokens, TokenStore};

/// The state and tokens of a service: one store per verifier (the issuer's,
/// and one per terminal), all in one place that every node shares.
pub trait Backend: Send + Sync + 'static {
    /// The store of one verifier's state.
    type Store: StateStore + 'static;

    /// The issuer's online verifier's state (hmac profile), the same for
    /// every node and every terminal.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store cannot be opened.
    fn issuer(&self) -> Result<Self::Store, StoreError>;

    /// The issuer's state, as [`Backend::issuer`], with the nonce set of
    /// terminal `terminal_id`: for the hmac codes that pay that terminal's
    /// challenges, whose nonces go into the set its ed25519 codes use too.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store cannot be opened.
    fn issuer_for(&self, terminal_id: u32) -> Result<Self::Store, StoreError>;

    /// The state of terminal `terminal_id` (ed25519 profile): its replay
    /// windows, spend ledger, nonce set and acceptance log.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store cannot be opened.
    fn terminal(&self, terminal_id: u32) -> Result<Self::Store, StoreError>;

    /// The token table.
    fn tokens(&self) -> &dyn TokenStore;

    /// The stores an eviction sweep goes through so that it reaches the
    /// issuer's state and that of every terminal in `terminals`: by default
    /// [`Backend::issuer`] and each [`Backend::terminal`]. A backend whose
    /// terminals' records are rows of the issuer's tables, evicted by one
    /// statement, returns the issuer's store alone.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if a store cannot be opened.
    fn sweep(&self, terminals: &[u32]) -> Result<Vec<Self::Store>, StoreError> {
        let mut stores = Vec::with_capacity(terminals.len().saturating_add(1));
        stores.push(self.issuer()?);
        for &id in terminals {
            stores.push(self.terminal(id)?);
        }
        Ok(stores)
    }
}

/// Nodes in one process that share one backend.
impl<B: Backend> Backend for Arc<B> {
    type Store = B::Store;

    fn issuer(&self) -> Result<B::Store, StoreError> {
        B::issuer(self)
    }

    fn issuer_for(&self, terminal_id: u32) -> Result<B::Store, StoreError> {
        B::issuer_for(self, terminal_id)
    }

    fn terminal(&self, terminal_id: u32) -> Result<B::Store, StoreError> {
        B::terminal(self, terminal_id)
    }

    fn tokens(&self) -> &dyn TokenStore {
        B::tokens(self)
    }

    fn sweep(&self, terminals: &[u32]) -> Result<Vec<B::Store>, StoreError> {
        B::sweep(self, terminals)
    }
}

/// A shared handle on a store, itself a store.
#[derive(Debug)]
pub struct Shared<S>(pub Arc<S>);

impl<S> Clone for Shared<S> {
    fn clone(&self) -> Shared<S> {
        Shared(Arc::clone(&self.0))
    }
}

impl<S: StateStore> StateStore for Shared<S> {
    fn transact_call(&self, call: &mut Call<'_>) -> Result<(), StoreError> {
        self.0.transact_call(call)
    }

    fn transact_all(&self, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>> {
        self.0.transact_all(calls)
    }

    fn observe(&self, step: u64) -> Result<(), StoreError> {
        self.0.observe(step)
    }

    fn high_water(&self) -> Result<u64, StoreError> {
        self.0.high_water()
    }

    fn quarantine(&self, floor: u64, high_water: u64) -> Result<(), StoreError> {
        self.0.quarantine(floor, high_water)
    }

    fn install_revocation_list(
        &self,
        list: &RevocationList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.0.install_revocation_list(list, newer)
    }

    fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
        self.0.revocation_list()
    }

    fn withdraw_revocation_list(&self) -> Result<(), StoreError> {
        self.0.withdraw_revocation_list()
    }

    fn revocation_withdrawn(&self) -> Result<bool, StoreError> {
        self.0.revocation_withdrawn()
    }

    fn install_trust_list(
        &self,
        list: &paycode::TrustList,
        newer: &dyn Fn(paycode::revocation::ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.0.install_trust_list(list, newer)
    }

    fn trust_list(&self) -> Result<Option<paycode::TrustList>, StoreError> {
        self.0.trust_list()
    }

    fn last_accepted_at(&self) -> Result<Option<u64>, StoreError> {
        self.0.last_accepted_at()
    }

    fn evict(&self, step: u64, plan: &dyn Fn(u64) -> Eviction) -> Result<(), StoreError> {
        self.0.evict(step, plan)
    }
}

/// Everything in this process: for tests, and for a single node that
/// accepts losing its state with the process, so that it must start in
/// quarantine (spec: R-REPLAY-5).
#[derive(Debug)]
pub struct MemoryBackend {
    params: Params,
    issuer: Arc<MemoryStore>,
    terminals: Mutex<HashMap<u32, Terminal>>,
    tokens: MemoryTokens,
}

/// A terminal's state in a [`MemoryBackend`].
#[derive(Clone, Debug)]
struct Terminal {
    records: Arc<MemoryStore>,
    nonces: Arc<Nonces>,
}

impl MemoryBackend {
    /// Empty state and no tokens.
    pub fn new(params: Params) -> MemoryBackend {
        MemoryBackend {
            params,
            issuer: Arc::new(MemoryStore::new(params).with_log()),
            terminals: Mutex::new(HashMap::new()),
            tokens: MemoryTokens::default(),
        }
    }

    /// The acceptance records committed so far: the issuer's, then each terminal's.
    pub fn log(&self) -> Vec<paycode::LogRecord> {
        let mut log = self.issuer.log().unwrap_or_default();
        if let Ok(terminals) = self.terminals.lock() {
            let mut ids: Vec<_> = terminals.keys().copied().collect();
            ids.sort_unstable();
            for id in ids {
                log.extend(terminals.get(&id).and_then(|t| t.records.log()).unwrap_or_default());
            }
        }
        log
    }

    /// Terminal `id`'s state, made on first use.
    fn terminal_state(&self, id: u32) -> Result<Terminal, StoreError> {
        let mut terminals =
            self.terminals.lock().map_err(|_| StoreError::of_kind(StoreErrorKind::Corrupt))?;
        let terminal = terminals.entry(id).or_insert_with(|| {
            let records = Arc::new(MemoryStore::new(self.params).with_log());
            let readers = [Arc::clone(&self.issuer), Arc::clone(&records)];
            Terminal { records, nonces: Arc::new(Nonces::new(self.params, readers)) }
        });
        Ok(terminal.clone())
    }
}

impl Backend for MemoryBackend {
    type Store = MemoryScoped;

    fn issuer(&self) -> Result<MemoryScoped, StoreError> {
        self.issuer_for(0)
    }

    fn issuer_for(&self, terminal_id: u32) -> Result<MemoryScoped, StoreError> {
        let nonces = self.terminal_state(terminal_id)?.nonces;
        Ok(MemoryScoped { records: Arc::clone(&self.issuer), nonces })
    }

    fn terminal(&self, terminal_id: u32) -> Result<MemoryScoped, StoreError> {
        let Terminal { records, nonces } = self.terminal_state(terminal_id)?;
        Ok(MemoryScoped { records, nonces })
    }

    fn tokens(&self) -> &dyn TokenStore {
        &self.tokens
    }
}

/// A store of a [`MemoryBackend`]: one verifier's records (the issuer's or
/// a terminal's), with the nonce set of the terminal whose challenges it
/// pays.
#[derive(Clone, Debug)]
pub struct MemoryScoped {
    records: Arc<MemoryStore>,
    nonces: Arc<Nonces>,
}

/// One terminal's nonce set `N` (spec: R-CHAL-4), which two stores read: the
/// issuer's and the terminal's, each with a `T_hw` of its own.
#[derive(Debug)]
struct Nonces {
    params: Params,
    set: Mutex<HashMap<[u8; 16], u64>>,
    /// The stores whose calls read the set: a nonce may go once the `T_hw`
    /// of each is past its challenge.
    readers: [Arc<MemoryStore>; 2],
}

/// Nonces a set keeps before a call that adds one sweeps the closed ones.
const NONCE_SWEEP_AT: usize = 4096;

impl Nonces {
    fn new(params: Params, readers: [Arc<MemoryStore>; 2]) -> Nonces {
        Nonces { params, set: Mutex::new(HashMap::new()), readers }
    }

    /// Drops from `set` the nonces whose challenge closed before
    /// `T0 + T_hw·X` of both readers, read while the set is held (spec:
    /// R-CHAL-4, R-STATE-8).
    fn sweep(&self, set: &mut HashMap<[u8; 16], u64>) -> Result<(), StoreError> {
        let mut high_water = u64::MAX;
        for reader in &self.readers {
            high_water = high_water.min(reader.high_water()?);
        }
        let before = u64::try_from(self.params.step_start(high_water)).unwrap_or(u64::MAX);
        set.retain(|_, closes| *closes >= before);
        Ok(())
    }
}

fn poisoned() -> StoreError {
    StoreError::new(StoreErrorKind::Other, "a thread failed while it held a nonce set")
}

impl StateStore for MemoryScoped {
    fn transact_call(&self, call: &mut Call<'_>) -> Result<(), StoreError> {
        let Some(nonce) = call.nonce else { return self.records.transact_call(call) };
        // The set is held across the records' step, so that both are one
        // atomic step with respect to every call on the nonce (spec: R-CHAL-4).
        let mut set = self.nonces.set.lock().map_err(|_| poisoned())?;
        let used = set.contains_key(&nonce);
        let mut recorded = None;
        let decide = &mut *call.decide;
        let mut step = |records: &paycode::store::Records| {
            let records = paycode::store::Records { challenge_used: used, ..*records };
            let changes = decide(&records);
            recorded = changes.challenge.filter(|c| c.nonce == nonce);
            changes
        };
        self.records.transact_call(&mut Call {
            identity: call.identity,
            nonce: None,
            source: call.source,
            decide: &mut step,
        })?;
        if let Some(c) = recorded {
            if set.len() >= NONCE_SWEEP_AT {
                self.nonces.sweep(&mut set)?;
            }
            set.insert(c.nonce, c.closes);
        }
        Ok(())
    }

    fn observe(&self, step: u64) -> Result<(), StoreError> {
        self.records.observe(step)
    }

    fn high_water(&self) -> Result<u64, StoreError> {
        self.records.high_water()
    }

    fn quarantine(&self, floor: u64, high_water: u64) -> Result<(), StoreError> {
        self.records.quarantine(floor, high_water)
    }

    fn install_revocation_list(
        &self,
        list: &RevocationList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.records.install_revocation_list(list, newer)
    }

    fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
        self.records.revocation_list()
    }

    fn withdraw_revocation_list(&self) -> Result<(), StoreError> {
        self.records.withdraw_revocation_list()
    }

    fn revocation_withdrawn(&self) -> Result<bool, StoreError> {
        self.records.revocation_withdrawn()
    }

    fn install_trust_list(
        &self,
        list: &paycode::TrustList,
        newer: &dyn Fn(paycode::revocation::ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.records.install_trust_list(list, newer)
    }

    fn trust_list(&self) -> Result<Option<paycode::TrustList>, StoreError> {
        self.records.trust_list()
    }

    fn last_accepted_at(&self) -> Result<Option<u64>, StoreError> {
        self.records.last_accepted_at()
    }

    fn evict(&self, step: u64, plan: &dyn Fn(u64) -> Eviction) -> Result<(), StoreError> {
        self.records.evict(step, plan)?;
        let mut set = self.nonces.set.lock().map_err(|_| poisoned())?;
        self.nonces.sweep(&mut set)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use paycode::store::{Changes, Identity, Records};
    use paycode::{Profile, UsedChallenge};

    fn nonce(i: usize) -> [u8; 16] {
        let mut n = [0; 16];
        n[..8].copy_from_slice(&(i as u64).to_be_bytes());
        n
    }

    /// Records nonce `i`, closing at `closes`; returns whether it was used before.
    fn record(store: &MemoryScoped, i: usize, closes: u64) -> bool {
        let mut used = false;
        let decide = &mut |r: &Records| {
            used = r.challenge_used;
            let challenge = (!r.challenge_used).then_some(UsedChallenge { nonce: nonce(i), closes });
            Changes { high_water: r.high_water, challenge, ..Changes::default() }
        };
        let identity = Identity { profile: Profile::Hmac, subject: 1 };
        store.transact_call(&mut Call { identity, nonce: Some(nonce(i)), source: None, decide }).unwrap();
        used
    }

    fn held(store: &MemoryScoped) -> usize {
        store.nonces.set.lock().unwrap().len()
    }

    #[test]
    fn a_terminal_s_nonces_are_shared_by_its_two_stores_and_swept_on_the_lower_high_water() {
        let backend = MemoryBackend::new(Params::default());
        let (issuer, till) = (backend.issuer_for(7).unwrap(), backend.terminal(7).unwrap());
        assert!(!record(&issuer, 0, 1_000));
        assert!(record(&till, 0, 1_000), "one set for both");
        assert!(!record(&backend.terminal(9).unwrap(), 0, 1_000), "another terminal's set");
        assert!(!record(&backend.issuer().unwrap(), 0, 1_000), "the issuer's own set");
        for i in 1..NONCE_SWEEP_AT {
            record(&till, i, 1_000);
        }
        // Step 100 starts at 6000, past every `closes`; only the terminal's
        // T_hw is there, so a call may not sweep, nor may eviction.
        till.observe(100).unwrap();
        record(&till, NONCE_SWEEP_AT, 1_000);
        assert_eq!(held(&till), NONCE_SWEEP_AT + 1);
        till.evict(100, &|_| Eviction {
            window_below: 0,
            ledger_below: 0,
            budgets_through: 100,
            nonces_closed_before: u64::MAX,
        })
        .unwrap();
        assert_eq!(held(&till), NONCE_SWEEP_AT + 1);
        // Once the issuer's T_hw is there too, the next nonce sweeps them.
        issuer.observe(100).unwrap();
        assert!(!record(&issuer, NONCE_SWEEP_AT + 1, 6_000));
        assert_eq!(held(&issuer), 1);
        assert!(record(&till, NONCE_SWEEP_AT + 1, 6_000), "a nonce that is still open stays");
    }
}
