//! The verifier's state for the command: a SQLite database of
//! `paycode-store`, which holds the replay windows, ledger, throttle counts,
//! `T_hw`, `Q`, the installed revocation list and the acceptance log. Every
//! verification is one transaction of it, so that any number of `paycode
//! verify` processes can share one state (spec §8.8).
//!
//! Creating a state is explicit ([`create`]): a missing state is an error
//! naming the file, so that a mistyped `--state` cannot start a fresh
//! verifier that accepts a code used before. [`import`] migrates a JSON
//! state file of earlier versions, once.

use std::path::Path;

use paycode::log::LogRecord;
use paycode::store::{StoreError, StoreErrorKind};
use paycode_store::SqliteStore;

use crate::files::{self, FileError, STATE_FORMAT, StateFile};

/// Why a state command failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateError {
    /// No state database at the path.
    Missing(String),
    /// The file is not a state database this version reads (another kind
    /// of file, a newer schema).
    Incompatible(StoreError),
    /// The store failed: full, read-only, locked, damaged. A verification
    /// that meets it is rejected as `state-unavailable`.
    Store(StoreError),
    /// A JSON state file or an output file could not be used.
    File(FileError),
}

impl core::fmt::Display for StateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StateError::Missing(path) => write!(
                f,
                "{path}: no such state database; create it with `paycode state init --state {path}` \
                 (or `paycode state import` to migrate a JSON state file)"
            ),
            StateError::Incompatible(e) | StateError::Store(e) => write!(f, "{e}"),
            StateError::File(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StateError {}

impl From<FileError> for StateError {
    fn from(e: FileError) -> StateError {
        StateError::File(e)
    }
}

fn store_error(e: StoreError) -> StateError {
    match e.kind() {
        StoreErrorKind::Incompatible => StateError::Incompatible(e),
        _ => StateError::Store(e),
    }
}

/// Creates the state database of a new terminal at `path`.
///
/// # Errors
///
/// [`StateError`] if `path` exists or cannot be created.
pub fn create(path: &Path) -> Result<SqliteStore, StateError> {
    SqliteStore::create(path).map_err(store_error)
}

/// Opens the state database at `path`.
///
/// # Errors
///
/// [`StateError::Missing`] if there is none; else as the store fails.
pub fn open(path: &Path) -> Result<SqliteStore, StateError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(StateError::Missing(path.display().to_string()));
    }
    SqliteStore::open(path).map_err(store_error)
}

/// Migrates the JSON state file `json` (`paycode-state-v1`: windows, ledger,
/// `T_hw`, `Q`, revocation list, throttle records) into the state database
/// `db`, which is created unless it exists and is still empty. Returns the
/// number of replay windows imported. The acceptance log of those versions
/// was a file of its own; it stays what it was and reconciles as before.
///
/// # Errors
///
/// [`StateError`] if the JSON file cannot be read or the database holds state
/// already; a database this call created is removed again.
pub fn import(json: &Path, db: &Path) -> Result<usize, StateError> {
    let file: StateFile = files::read_json(json)?;
    if file.format != STATE_FORMAT {
        return Err(FileError::Format(format!("{} is not a {STATE_FORMAT} file", json.display())).into());
    }
    let created = std::fs::symlink_metadata(db).is_err();
    let store = if created { create(db)? } else { open(db)? };
    match store.import(&file.state, &file.throttle) {
        Ok(()) => Ok(file.state.hmac.windows.len() + file.state.ed25519.windows.len()),
        Err(e) => {
            drop(store);
            if created {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
                }
            }
            Err(store_error(e))
        }
    }
}

/// Writes the acceptance log of `db` (of `terminal` only, or all of it) to
/// `out` in the spec's format (§4.8), which `paycode reconcile` reads:
/// atomically, so that `out` holds the whole export or its old contents.
/// Returns the records written.
///
/// # Errors
///
/// [`StateError`] if the database cannot be read or `out` written.
pub fn export_log(db: &Path, out: &Path, terminal: Option<u32>) -> Result<Vec<LogRecord>, StateError> {
    let store = open(db)?;
    let records = store.export_log(terminal).map_err(store_error)?;
    files::write_bytes(out, &paycode_store::encode_log(&records))?;
    Ok(records)
}
