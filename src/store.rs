//! The verifier's state behind a trait, so that it can live in memory, in an
//! embedded database or in a database shared by many machines (spec §8,
//! §11 on shared and durable state).
//!
//! A verification reads and writes the records of one identity: its replay
//! window, its counter mark, its spend ledger entry (ed25519) and its throttle record (hmac),
//! beside the verifier's high-water step `T_hw` and quarantine floor `Q`.
//! [`StateStore::transact`] runs the protocol's decision over those records
//! and writes back what it returns as one atomic step, together with the
//! acceptance log record (spec: R-REPLAY-3, R-LOG-1, R-STATE-1). The
//! decision itself is the core's, the same for every store; a store only
//! keeps records and makes the step atomic and durable.

use core::fmt;

use crate::challenge::UsedChallenge;
use crate::log::LogRecord;
use crate::profile::Profile;
use crate::replay::window::Window;
use crate::revocation::{ListMark, RevocationList};
use crate::trust::TrustList;

/// The replay identity of a code: its profile and subject (hmac account id
/// or ed25519 credential serial) (spec §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    /// The profile.
    pub profile: Profile,
    /// The hmac account id or the ed25519 serial.
    pub subject: u64,
}

/// The ledger entry of one credential: total accepted here and its expiry
/// (spec: R-LIMIT-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Spent {
    /// Sum of the amounts accepted.
    pub total: u64,
    /// The credential's `not_after`.
    pub not_after: u64,
}

/// The counter mark of one identity: the highest counter accepted and the
/// step of that code (spec: R-REPLAY-7). It outlives the replay window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Mark {
    /// The highest counter accepted, `H*`.
    pub counter: u32,
    /// The step of the code that carried it, `S*`.
    pub step: u64,
    /// When the mark may go: the `not_after` of an ed25519 credential, whose
    /// ledger entry it goes with (spec: R-LIMIT-2); `None` for an hmac
    /// account's mark, kept as long as the account.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub until: Option<u64>,
}

impl Mark {
    /// Whether a code of `counter` and `step` is behind this mark: a counter
    /// no higher than the highest accepted, claiming a later step than that
    /// code (spec: R-REPLAY-7).
    pub const fn is_behind(&self, counter: u32, step: u64) -> bool {
        counter <= self.counter && step > self.step
    }
}

/// What a verification reads: the verifier-wide values and the records of
/// one identity, as one consistent view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Records {
    /// The high-water step `T_hw` as stored.
    pub high_water: u64,
    /// The quarantine floor `Q`.
    pub quarantine: u64,
    /// The identity's replay window, if one is stored (live or not).
    pub window: Option<Window>,
    /// The identity's counter mark, if any.
    pub mark: Option<Mark>,
    /// The identity's ledger entry (ed25519), if any.
    pub spent: Option<Spent>,
    /// The account's numeric failure budget `u` (hmac), 0 if none is stored
    /// (spec: R-HMAC-7).
    pub budget: u64,
    /// The numeric failure budget `u` of the call's source ([`Call::source`]),
    /// 0 if none is stored or the call has no source (spec: R-HMAC-8).
    pub source_budget: u64,
    /// Whether the identity's serial is on the installed revocation list (ed25519).
    pub revoked: bool,
    /// The installed revocation list's `next_update ⊕ grace`, the last time
    /// it is fresh; `None` if no list is installed (spec: R-REVOKE-4).
    pub fresh_until: Option<u64>,
    /// Whether the call's challenge nonce ([`Call::nonce`]) is in the nonce
    /// set `N`: a code was already accepted for that challenge (spec:
    /// R-CHAL-4). False for a call without one.
    pub challenge_used: bool,
}

impl Records {
    /// These records after `changes` are written: what the next call on the
    /// same identity reads, for a store that runs several calls in one
    /// transaction (see [`StateStore::transact_all`]).
    pub fn apply(&mut self, changes: &Changes<'_>) {
        self.high_water = self.high_water.max(changes.high_water);
        if let Some(w) = changes.window {
            self.window = Some(w);
        }
        if let Some(m) = changes.mark {
            self.mark = Some(m);
        }
        if let Some(s) = changes.spent {
            self.spent = Some(s);
        }
        if let Some(u) = changes.budget {
            self.budget = u;
        }
        if let Some(u) = changes.source_budget {
            self.source_budget = u;
        }
        if changes.challenge.is_some() {
            self.challenge_used = true;
        }
    }
}

/// One identity's step (see [`StateStore::transact_call`]).
pub struct Call<'a> {
    /// The identity whose records are read and written.
    pub identity: Identity,
    /// For a challenge code, its challenge's nonce: the store reads whether
    /// it is in the nonce set into [`Records::challenge_used`], in the same
    /// atomic step, which is then atomic with respect to every other call
    /// with this nonce too (spec: R-CHAL-4, R-REPLAY-3).
    pub nonce: Option<[u8; 16]>,
    /// For a numeric code, the source it came through (the terminal the call
    /// is made for): the store reads that source's failure budget into
    /// [`Records::source_budget`] and writes [`Changes::source_budget`] back
    /// in the same atomic step, which is then atomic with respect to every
    /// other call from this source too (spec: R-HMAC-8, R-STATE-6).
    pub source: Option<u32>,
    /// The decision, as for [`StateStore::transact`].
    pub decide: &'a mut dyn FnMut(&Records) -> Changes<'a>,
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("identity", &self.identity)
            .field("nonce", &self.nonce.is_some())
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// What a verification writes back. The store applies all of it or nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes<'a> {
    /// Raise `T_hw` to at least this step (a store keeps the larger value).
    pub high_water: u64,
    /// The identity's new replay window.
    pub window: Option<Window>,
    /// The identity's new counter mark.
    pub mark: Option<Mark>,
    /// The identity's new ledger entry.
    pub spent: Option<Spent>,
    /// The account's new numeric failure budget `u` (spec: R-HMAC-7).
    pub budget: Option<u64>,
    /// The new failure budget `u` of the call's own [`Call::source`] (spec: R-HMAC-8).
    pub source_budget: Option<u64>,
    /// The acceptance log record to append.
    pub record: Option<&'a LogRecord>,
    /// With [`Changes::record`], the accepted code's real counter. An hmac
    /// record carries the counter masked and the step's handle (spec:
    /// R-HANDLE-2); a store that keeps the log's identity and counter in
    /// columns of their own takes the account from [`Call::identity`] and the
    /// counter from here.
    pub counter: Option<u32>,
    /// The challenge nonce to add to the nonce set, with the time its
    /// challenge closes (spec: R-CHAL-4). Only with an acceptance, and only
    /// for the call's own [`Call::nonce`].
    pub challenge: Option<UsedChallenge>,
}

/// What may be forgotten at a given time (spec: R-REPLAY-4, R-LIMIT-2, R-HMAC-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eviction {
    /// Windows whose `top` is below this step are dead.
    pub window_below: u64,
    /// Ledger entries whose `not_after` is below this time are dead, and
    /// with them the counter marks of their serials.
    pub ledger_below: u64,
    /// Failure budgets (of accounts and of sources) whose `u` is at or below
    /// this step charge nothing, now or at any later call: `T_hw`.
    pub budgets_through: u64,
    /// Challenge nonces whose challenge closed before this time are dead:
    /// `T0 + T_hw·X`, saturating (spec: R-CHAL-4).
    pub nonces_closed_before: u64,
}

/// Where a store keeps a verifier's state. Implementations: [`crate::memory::MemoryStore`]
/// in this crate; SQLite and PostgreSQL in `paycode-store`.
///
/// Every method either completes or fails with a [`StoreError`]; a failure
/// changes nothing, and the verifier then rejects with `state-unavailable`
/// (spec: R-REPLAY-5, R-STATE-4). A store never decides a verdict.
pub trait StateStore: Send + Sync {
    /// Reads the records of `identity`, calls `decide` on them, and writes
    /// what it returns, as one atomic step with respect to every other call
    /// on this identity, in this process or any other that shares the store
    /// (spec: R-REPLAY-3, R-STATE-2). When it returns `Ok`, the changes are
    /// as durable as the store promises (spec: R-STATE-1).
    ///
    /// `decide` is pure: a store that retries a transaction (on a
    /// serialization failure, say) calls it again on the records it reads then.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the step could not complete; nothing was written.
    fn transact<'a>(
        &self,
        identity: Identity,
        decide: &'a mut dyn FnMut(&Records) -> Changes<'a>,
    ) -> Result<(), StoreError> {
        self.transact_call(&mut Call { identity, nonce: None, source: None, decide })
    }

    /// [`StateStore::transact`] for `call`: its identity's records, and for a
    /// challenge code whether its nonce was used, read, decided and written
    /// as one atomic step with respect to every other call on this identity
    /// or this nonce (spec: R-REPLAY-3, R-CHAL-4).
    ///
    /// # Errors
    ///
    /// As [`StateStore::transact`].
    fn transact_call(&self, call: &mut Call<'_>) -> Result<(), StoreError>;

    /// Runs the steps of `calls` in their order, each with the outcome it
    /// would have if [`StateStore::transact`] were called on each in turn:
    /// a call on an identity that an earlier call in the slice changed
    /// reads the records as that call left them (see [`Records::apply`]),
    /// and a call whose nonce an earlier call recorded reads it as used.
    /// Returns one result per call.
    ///
    /// A store may commit all of them as one transaction, with one durable
    /// write (a database's group commit): then they succeed or fail
    /// together, and a retry calls every `decide` again. This default calls
    /// [`StateStore::transact_call`] on each.
    fn transact_all(&self, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>> {
        calls.iter_mut().map(|c| self.transact_call(c)).collect()
    }

    /// Raises `T_hw` to at least `step`, for a verification that ends before
    /// [`StateStore::transact`] (spec: R-TIME-5, step V0).
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be written.
    fn observe(&self, step: u64) -> Result<(), StoreError>;

    /// The stored high-water step `T_hw`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be read.
    fn high_water(&self) -> Result<u64, StoreError>;

    /// Enters quarantine after state loss or failover: `Q := max(Q, floor)` and
    /// `T_hw := max(T_hw, high_water)`; the records are kept (spec: R-REPLAY-5, R-STATE-5).
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be written.
    fn quarantine(&self, floor: u64, high_water: u64) -> Result<(), StoreError>;

    /// Installs `list` if `newer` holds for the mark of the newest list ever
    /// installed (`(0, 0)` if none), as one atomic step; returns whether it
    /// did (spec: R-REVOKE-2). The caller has checked the list's signature.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be read or written.
    fn install_revocation_list(
        &self,
        list: &RevocationList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError>;

    /// The installed revocation list, if any.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be read.
    fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError>;

    /// Uninstalls the installed revocation list, keeping its number and issue
    /// time as the floor the next install must pass: the list failed the
    /// re-check under a newly installed trust list (spec: R-REVOKE-6). Until
    /// a list is installed again, [`StateStore::revocation_list`] is `None`
    /// and every ed25519 code is `revocation-stale`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be written.
    fn withdraw_revocation_list(&self) -> Result<(), StoreError>;

    /// Whether the store holds a revocation list that was uninstalled and
    /// none since: [`StateStore::revocation_list`] is `None`, and the
    /// uninstalled list's number and issue time are the floor of the next
    /// install (spec: R-REVOKE-6). A verifier reads it when it starts over
    /// the store, so that a restart does not forget the withdrawal.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be read.
    fn revocation_withdrawn(&self) -> Result<bool, StoreError>;

    /// Installs the trust list `list` if `newer` holds for the mark
    /// (sequence, issue time) of the installed trust list (`(0, 0)` if
    /// none), as one atomic step; returns whether it did (spec: R-TRUST-4).
    /// The caller has checked the list's root signature (spec: R-TRUST-3).
    /// The installed trust list is configuration kept with the state, so
    /// "only if newer" holds across restarts and processes.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be read or written.
    fn install_trust_list(
        &self,
        list: &TrustList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError>;

    /// The installed trust list, if any.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be read.
    fn trust_list(&self) -> Result<Option<TrustList>, StoreError>;

    /// The `accepted_at` of the last record of the acceptance log this store
    /// keeps, a bound of the verifier's time floor that a restart reads back
    /// (spec: R-TIME-8). `None` for a store that keeps no log, or an empty one.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be read.
    fn last_accepted_at(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }

    /// Raises `T_hw` to at least `step`, reads it, and removes what can no
    /// longer matter under the [`Eviction`] that `plan` gives for the `T_hw`
    /// read, as one atomic step: a removal rests on a `T_hw` read in the same
    /// step (spec: R-REPLAY-4, R-STATE-8).
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be written.
    fn evict(&self, step: u64, plan: &dyn Fn(u64) -> Eviction) -> Result<(), StoreError>;
}

/// Why a store could not complete an operation.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The store cannot be reached or opened (a missing file, a database that is down).
    Unavailable,
    /// The disk or database is full.
    Full,
    /// The store is read-only.
    ReadOnly,
    /// The store stayed locked or busy past the time allowed.
    Busy,
    /// The stored data is not what this version reads (a newer schema, say).
    Incompatible,
    /// The stored data is damaged.
    Corrupt,
    /// The store was sent the commit of a call's changes, its answer was
    /// lost, and whether the changes were made could not be found out
    /// (spec: R-STATE-4): the one failure that may have changed the store.
    InDoubt,
    /// Another failure of the store.
    Other,
}

impl StoreErrorKind {
    const fn describe(self) -> &'static str {
        match self {
            StoreErrorKind::Unavailable => "the state store is unavailable",
            StoreErrorKind::Full => "the state store is full",
            StoreErrorKind::ReadOnly => "the state store is read-only",
            StoreErrorKind::Busy => "the state store stayed busy",
            StoreErrorKind::Incompatible => "the state store has an incompatible format",
            StoreErrorKind::Corrupt => "the state store is damaged",
            StoreErrorKind::InDoubt => "the state store did not confirm whether the changes were made",
            StoreErrorKind::Other => "the state store failed",
        }
    }
}

/// A state store's failure: its kind, and the underlying error that names the cause.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A failure of this kind, caused by `source`.
    pub fn new(
        kind: StoreErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> StoreError {
        StoreError { kind, source: Some(source.into()) }
    }

    /// A failure of this kind with no further cause.
    pub const fn of_kind(kind: StoreErrorKind) -> StoreError {
        StoreError { kind, source: None }
    }

    /// The kind of failure.
    pub const fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(s) => write!(f, "{}: {s}", self.kind.describe()),
            None => f.write_str(self.kind.describe()),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
