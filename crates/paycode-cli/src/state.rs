//! The verifier's durable state (spec §8): a SQLite database of
//! `paycode-store`, which holds the replay windows, ledger, failure budgets,
//! `T_hw`, `Q`, the installed revocation list and the acceptance log. Every
//! verification is one transaction of it, committed before `accepted` is
//! reported, so that any number of `paycode verify` processes can share one
//! state (spec: R-STATE-1 to R-STATE-3). All of the command's state handling
//! is here.
//!
//! A state is created explicitly ([`create`]): a missing state is an error
//! naming the file, so that a mistyped `--state` is not a fresh verifier that
//! accepts a code already used. [`import`] migrates a JSON state file of
//! earlier versions ([`StateFile`]), once.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use paycode::log::LogRecord;
use paycode::store::{StateStore, StoreError, StoreErrorKind};
use paycode::{InstallError, Params, PublicKey, TrustList, Verifier, VerifierState};
use paycode_store::SqliteStore;

use crate::errors::{Action, ContentError, FileError, Node, Role};
use crate::files::{IssuerFile, seed_from_hex};
use crate::fsio;

/// `state.json`: a verifier's durable state as earlier versions of the
/// command kept it, `"format": "paycode-state-v1"`; [`import`] migrates it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// `"paycode-state-v1"`.
    pub format: String,
    /// The replay state.
    pub state: VerifierState,
    /// The per-step throttle records (account, step, failures) of those
    /// versions. They are read and not imported: each counted only within
    /// its own step, and the failure budgets that replace them (spec:
    /// R-HMAC-7) cannot be derived from one, as the store's migration to
    /// schema version 6 does not either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub throttle: Vec<(u64, u64, u32)>,
}

/// How a verification finds its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// From the existing state database.
    Existing,
    /// From a new, empty state; the database must not exist yet.
    New,
    /// After a possible loss of committed changes, at unix time `now`: in
    /// quarantine, from the existing database or a new one (spec:
    /// R-STATE-5). See [`after_loss`].
    Lost {
        /// The verifier's time.
        now: u64,
    },
}

/// Creates the state database of a new terminal at `path`: a verifier that
/// has never accepted a code.
///
/// # Errors
///
/// [`FileError::Exists`] if `path` exists; [`FileError::Io`] if its folder
/// does not; [`StateError::Unavailable`] if the database cannot be created,
/// and then no file is left at `path` (a partly created database would be
/// refused as existing by the next `create`, and as no state database by
/// [`open`]).
pub fn create(path: &Path) -> Result<SqliteStore, StateError> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(FileError::Exists { role: Role::State, path: path.to_path_buf() }.into());
    }
    // SQLite says only "unable to open database file"; the folder's absence is the reason.
    let folder = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::metadata(folder).map_err(FileError::io(Action::Create, Role::State, path))?;
    // A create that fails removes the files it made, and only those: a
    // file another process made at the path since the check above stays.
    SqliteStore::create(path).map_err(|e| StateError::of(path, e))
}

/// Removes the state database `db` and SQLite's files beside it, as far as
/// they exist.
fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}

/// Checks that the existing `path` (a link followed) can be a state
/// database: a regular file, and not an empty one. SQLite takes an empty
/// file for a new database, so a stray or truncated file would otherwise be
/// a fresh verifier that accepts a code used before.
fn check_database_file(path: &Path) -> Result<(), FileError> {
    let meta = std::fs::metadata(path).map_err(FileError::io(Action::Read, Role::State, path))?;
    if let Some(node) = Node::of(meta.file_type()) {
        return Err(FileError::NotRegular { role: Role::State, path: path.to_path_buf(), node });
    }
    if meta.len() == 0 {
        return Err(FileError::Empty { role: Role::State, path: path.to_path_buf() });
    }
    Ok(())
}

/// Opens the state database at `path` as `start` says: the existing one, a
/// new one, or after a loss the existing one or else a new one. A
/// [`Start::Lost`] state still has to enter quarantine ([`after_loss`]) once
/// the verifier is configured.
///
/// # Errors
///
/// [`FileError::NoState`] for a missing database (unless `start` creates
/// it); [`FileError::NotRegular`] for a folder, a device, a FIFO or a
/// socket; [`FileError::Empty`] for an empty file; [`FileError::WrongKind`]
/// for a paycode file of another kind (a JSON state file of earlier
/// versions says how to migrate it); [`FileError::Io`] for a link that
/// leads nowhere; [`StateError::Incompatible`] for another file or a newer
/// schema;
/// [`StateError::Unavailable`] if the database cannot be used.
pub fn open(path: &Path, start: Start) -> Result<SqliteStore, StateError> {
    let exists = std::fs::symlink_metadata(path).is_ok();
    match start {
        Start::New => return create(path),
        Start::Lost { .. } if !exists => return create(path),
        Start::Existing if !exists => return Err(FileError::NoState { path: path.to_path_buf() }.into()),
        _ => {}
    }
    check_database_file(path)?;
    // A key file or a JSON state file given as --state says what it is.
    if let Some(found) = fsio::kind_of(path).filter(|k| *k != Role::State) {
        return Err(FileError::WrongKind { role: Role::State, path: path.to_path_buf(), found }.into());
    }
    SqliteStore::open(path).map_err(|e| StateError::of(path, e))
}

/// Puts the store of a verifier whose state may have lost committed changes
/// in quarantine at unix time `now`, keeping the records it holds (spec
/// §8.6, R-REPLAY-5, R-STATE-5).
///
/// The spec quarantines from `T(now)`, which covers every code accepted
/// before as long as the clock did not go back. The store's high-water step
/// `T_hw` records how far the clock had been, so the quarantine is taken
/// from `max(T_hw, T(now))`: a clock that went back reopens no code accepted
/// before. The cost: after a clock that jumped forward (spec §12.8), the
/// quarantine lasts until real time passes the stored `T_hw`; an operator
/// who accepts the risk §12.8 describes moves the state database away first.
///
/// # Errors
///
/// [`LossError::TimeBeforeEpoch`] if `now` is before `T0`;
/// [`LossError::Store`] if the store could not be read or written.
pub fn after_loss<S: StateStore>(store: &S, params: Params, now: u64) -> Result<(), LossError> {
    let step = params.step_at(now).map_err(|_| LossError::TimeBeforeEpoch)?;
    let high_water = store.high_water().map_err(LossError::Store)?.max(step);
    let floor = high_water.saturating_add(params.forward()).saturating_add(1);
    store.quarantine(floor, high_water).map_err(LossError::Store)
}

/// Migrates the JSON state file `json` (`paycode-state-v1`: windows, ledger,
/// `T_hw`, `Q`, revocation list; failure budgets, if any) into the state database
/// `db`, which is created unless it exists and is still empty. Returns the
/// number of replay windows imported. The acceptance log of those versions
/// was a file of its own; it stays what it was and reconciles as before.
///
/// # Errors
///
/// [`StateError`] if the JSON file cannot be read or the database holds
/// state already; a database this call created is removed again.
pub fn import(json: &Path, db: &Path) -> Result<usize, StateError> {
    let file: StateFile = fsio::read_json(json, Role::JsonState, false)?;
    let created = std::fs::symlink_metadata(db).is_err();
    let store = if created { create(db)? } else { open(db, Start::Existing)? };
    match store.import(&file.state) {
        Ok(()) => Ok(file.state.hmac.windows.len().saturating_add(file.state.ed25519.windows.len())),
        Err(e) => {
            drop(store);
            if created {
                remove_database(db);
            }
            Err(StateError::of(db, e))
        }
    }
}

/// Writes the acceptance log of the state database `db` (of `terminal`
/// only, or all of it) to `out` in the spec's format (§4.8), which `paycode
/// reconcile` reads, atomically: `out` holds the whole export or its old
/// contents. Returns the records written.
///
/// # Errors
///
/// [`StateError`] if the database cannot be read; [`FileError`] if `out`
/// is a link, a key file or a state database, or cannot be written.
pub fn export_log(db: &Path, out: &Path, terminal: Option<u32>) -> Result<Vec<LogRecord>, StateError> {
    let store = open(db, Start::Existing)?;
    let records = store.export_log(terminal).map_err(|e| StateError::of(db, e))?;
    fsio::write_output(out, Role::Log, &paycode_store::encode_log(&records), &[(db, Role::State)])?;
    Ok(records)
}

/// What a terminal trusts besides the issuer file: the root key it was
/// configured with and the trust list it received, each the issuer file's
/// own when not given.
#[derive(Clone, Debug, Default)]
pub struct TerminalTrust {
    /// The issuer's root public key (spec: R-TRUST-3).
    pub root: Option<PublicKey>,
    /// The trust list received, to install if it is newer (spec: R-TRUST-4).
    pub trust_list: Option<TrustList>,
}

impl IssuerFile {
    /// Configures `v` as this issuer's verifier: every enrolled account, the
    /// issuer's root key and trust list, and its current revocation list,
    /// each list installed if it is newer at unix time `now` than the one
    /// the store holds.
    ///
    /// # Errors
    ///
    /// As [`IssuerFile::configure_with`].
    pub fn configure<S: StateStore>(&self, v: Verifier<S>, now: u64) -> Result<Verifier<S>, ConfigureError> {
        self.configure_with(v, now, &TerminalTrust::default())
    }

    /// As [`IssuerFile::configure`], with the root key and the trust list of
    /// `terminal` where it gives them. The trust list is installed first,
    /// under the root key and only if newer (spec: R-TRUST-3, R-TRUST-4): a
    /// list that is not newer leaves the installed one, as a revocation list
    /// does. The revocation list is then checked under the installed trust
    /// list.
    ///
    /// # Errors
    ///
    /// [`ConfigureError::Content`] on bad key material, a trust list whose
    /// root signature fails, or a revocation list that does not check;
    /// [`ConfigureError::Store`] if the store could not install a list.
    pub fn configure_with<S: StateStore>(
        &self,
        mut v: Verifier<S>,
        now: u64,
        terminal: &TerminalTrust,
    ) -> Result<Verifier<S>, ConfigureError> {
        v.enable_hmac();
        for a in &self.accounts {
            // Checked when the file was loaded.
            let seed =
                seed_from_hex(&a.seed).map_err(|_| ContentError::SeedLength { field: "accounts[].seed" })?;
            v.add_account(a.account_id, &seed);
        }
        let root = match terminal.root {
            Some(root) => root,
            None => self.issuer()?.root_public_key().map_err(ContentError::TrustList)?,
        };
        v.set_root_key(root);
        let trust = match &terminal.trust_list {
            Some(list) => list.clone(),
            None => self.trust_list()?,
        };
        match v.install_trust_list(trust, now) {
            Ok(()) | Err(InstallError::NotNewer) => {}
            Err(InstallError::StateUnavailable) => {
                return Err(ConfigureError::Store(StoreError::of_kind(StoreErrorKind::Unavailable)));
            }
            // A list the terminal received is that list's fault, not the issuer file's.
            Err(e) if terminal.trust_list.is_some() => return Err(ContentError::ReceivedTrustList(e).into()),
            Err(e) => return Err(ContentError::TrustInstall(e).into()),
        }
        // With no trust list installed (the issuer's is dated after `now`),
        // no revocation list can be (spec: R-REVOKE-1): ed25519 stays off.
        if let (Some(list), Some(installed)) = (self.revocation_list()?, v.trust_list()) {
            // The issuer's own list, signed with its own key: checked as any list is.
            list.check(installed).map_err(|e| {
                ContentError::RevocationList(match e {
                    paycode::Error::UnknownIssuer => InstallError::UnknownKey,
                    _ => InstallError::BadSignature,
                })
            })?;
            // spec: R-TIME-8: the issuer file is the terminal's configuration,
            // kept apart from its replay state, and its list's issued_at
            // bounds the time floor, whatever state the store was restored to.
            v.raise_floor(list.issued_at());
            // spec: R-REVOKE-2: installed only if it is newer at `now`.
            match v.install_revocation_list(list, now) {
                Ok(()) | Err(InstallError::NotNewer) => {}
                Err(InstallError::StateUnavailable) => {
                    return Err(ConfigureError::Store(StoreError::of_kind(StoreErrorKind::Unavailable)));
                }
                Err(e) => return Err(ContentError::RevocationList(e).into()),
            }
        }
        Ok(v)
    }
}

/// Why a state database could not be created, opened or used.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateError {
    /// A file could not be used: a missing state database, a file of
    /// another kind, an existing one where a new one was asked for, a JSON
    /// state file or a log file that cannot be read or written.
    File(FileError),
    /// `--state-lost` at a time before the epoch `T0`: there is no step to
    /// quarantine from, and nothing is written.
    TimeBeforeEpoch {
        /// The state database as given.
        path: PathBuf,
    },
    /// Not a state database this version reads: another kind of file, or a
    /// newer schema.
    Incompatible(StoreError),
    /// The store failed: full, read-only, locked past the busy timeout,
    /// damaged. A verification that meets it is rejected as
    /// `state-unavailable` (spec: R-STATE-4).
    Unavailable(StoreError),
}

impl StateError {
    /// The error of the store at `path`; the store's messages name the file.
    fn of(path: &Path, e: StoreError) -> StateError {
        match e.kind() {
            StoreErrorKind::Incompatible => StateError::Incompatible(e),
            // The store's own "no such file" (the file went away after the check).
            StoreErrorKind::Unavailable if std::fs::symlink_metadata(path).is_err() => {
                StateError::File(FileError::NoState { path: path.to_path_buf() })
            }
            _ => StateError::Unavailable(e),
        }
    }
}

impl core::fmt::Display for StateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StateError::File(e) => e.fmt(f),
            StateError::TimeBeforeEpoch { path } => write!(
                f,
                "cannot restart the state database {} after a loss: the time is before the epoch T0",
                path.display()
            ),
            StateError::Incompatible(e) | StateError::Unavailable(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::File(e) => Some(e),
            StateError::Incompatible(e) | StateError::Unavailable(e) => Some(e),
            StateError::TimeBeforeEpoch { .. } => None,
        }
    }
}

impl From<FileError> for StateError {
    fn from(e: FileError) -> StateError {
        StateError::File(e)
    }
}

/// Why [`after_loss`] could not put a store in quarantine.
#[derive(Debug)]
pub enum LossError {
    /// The time is before the epoch `T0`: there is no step to quarantine from.
    TimeBeforeEpoch,
    /// The store could not be read or written.
    Store(StoreError),
}

impl core::fmt::Display for LossError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LossError::TimeBeforeEpoch => f.write_str("the time is before the epoch T0"),
            LossError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LossError {}

/// Why [`IssuerFile::configure`] could not configure a verifier.
#[derive(Debug)]
pub enum ConfigureError {
    /// The issuer file's keys or revocation list are not usable.
    Content(ContentError),
    /// The store could not install the revocation list.
    Store(StoreError),
}

impl core::fmt::Display for ConfigureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConfigureError::Content(e) => e.fmt(f),
            ConfigureError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ConfigureError {}

impl From<ContentError> for ConfigureError {
    fn from(e: ContentError) -> ConfigureError {
        ConfigureError::Content(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paycode::MemoryStore;

    const NOW: u64 = 1_800_000_000;

    fn quarantined(store: &MemoryStore) -> (u64, u64) {
        let s = store.state();
        assert_eq!((s.ed25519.high_water, s.ed25519.quarantine), (s.hmac.high_water, s.hmac.quarantine));
        (s.hmac.high_water, s.hmac.quarantine)
    }

    #[test]
    fn after_loss_on_a_new_store_is_the_spec_restart() {
        let p = Params::default();
        let step = NOW / 60;
        let store = MemoryStore::new(p);
        after_loss(&store, p, NOW).unwrap();
        assert_eq!(quarantined(&store), (step, step + 2));
        // The library's own restart gives the same state.
        assert_eq!(Verifier::after_state_loss(p, 1, NOW).unwrap().state(), store.state());
    }

    #[test]
    fn after_loss_keeps_a_stored_high_water_ahead_of_the_clock_and_the_records() {
        let p = Params::default();
        let step = NOW / 60;
        let mut stored = VerifierState::default();
        stored.hmac.high_water = step + 1_000;
        stored.ed25519.high_water = step + 1_000;
        stored.hmac.windows = vec![(1, paycode::replay::Window { high: 0, bitmap: 1, top: step + 1_000 })];
        let store = MemoryStore::restore(p, &stored);
        after_loss(&store, p, NOW).unwrap();
        assert_eq!(quarantined(&store), (step + 1_000, step + 1_002));
        assert_eq!(store.state().hmac.windows, stored.hmac.windows, "the records are kept");
        // A floor above the new one stays; a stored state behind the clock changes nothing else.
        let mut high = VerifierState::default();
        high.hmac.quarantine = step + 5_000;
        high.ed25519.quarantine = step + 5_000;
        let store = MemoryStore::restore(p, &high);
        after_loss(&store, p, NOW).unwrap();
        assert_eq!(quarantined(&store), (step, step + 5_000));
        let behind = MemoryStore::restore(p, &VerifierState::default());
        after_loss(&behind, p, NOW).unwrap();
        assert_eq!(quarantined(&behind), (step, step + 2));
        assert!(matches!(
            after_loss(&behind, Params::new(100, 60, 2, 1).unwrap(), 99),
            Err(LossError::TimeBeforeEpoch)
        ));
    }
}
