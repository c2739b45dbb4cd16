//! Where the service keeps its state: the issuer's verifier state, each
//! terminal's, and the token table.
//!
//! The hmac profile's codes are verified by the issuer's one online verifier:
//! every node and every terminal share its state. An ed25519 code that a
//! terminal forwards is verified as that terminal would verify it offline:
//! against that terminal's replay windows and spend ledger (the offline
//! limits are per terminal, spec: R-LIMIT-2), and the terminal is the one
//! bound to the request's token, never one named in the request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use paycode::revocation::RevocationList;
use paycode::store::{Call, Eviction};
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

    /// The state of terminal `terminal_id` (ed25519 profile): its replay
    /// windows, spend ledger and acceptance log.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store cannot be opened.
    fn terminal(&self, terminal_id: u32) -> Result<Self::Store, StoreError>;

    /// The token table.
    fn tokens(&self) -> &dyn TokenStore;
}

/// Nodes in one process that share one backend.
impl<B: Backend> Backend for Arc<B> {
    type Store = B::Store;

    fn issuer(&self) -> Result<B::Store, StoreError> {
        B::issuer(self)
    }

    fn terminal(&self, terminal_id: u32) -> Result<B::Store, StoreError> {
        B::terminal(self, terminal_id)
    }

    fn tokens(&self) -> &dyn TokenStore {
        B::tokens(self)
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

    fn install_revocation_list(&self, list: &RevocationList) -> Result<bool, StoreError> {
        self.0.install_revocation_list(list)
    }

    fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
        self.0.revocation_list()
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
    terminals: Mutex<HashMap<u32, Arc<MemoryStore>>>,
    tokens: MemoryTokens,
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
                log.extend(terminals.get(&id).and_then(|t| t.log()).unwrap_or_default());
            }
        }
        log
    }
}

impl Backend for MemoryBackend {
    type Store = Shared<MemoryStore>;

    fn issuer(&self) -> Result<Shared<MemoryStore>, StoreError> {
        Ok(Shared(Arc::clone(&self.issuer)))
    }

    fn terminal(&self, terminal_id: u32) -> Result<Shared<MemoryStore>, StoreError> {
        let mut terminals = self
            .terminals
            .lock()
            .map_err(|_| StoreError::of_kind(paycode::store::StoreErrorKind::Corrupt))?;
        let store = terminals
            .entry(terminal_id)
            .or_insert_with(|| Arc::new(MemoryStore::new(self.params).with_log()));
        Ok(Shared(Arc::clone(store)))
    }

    fn tokens(&self) -> &dyn TokenStore {
        &self.tokens
    }
}
