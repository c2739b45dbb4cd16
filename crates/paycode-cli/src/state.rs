//! The verifier's durable state (spec §8, R-REPLAY-5): a JSON file,
//! `paycode-state-v1`, locked for the whole of a verification and replaced
//! atomically before `accepted` is reported. All of the command's state
//! handling is here, so that another store can take the file's place.
//!
//! A state is created explicitly ([`Store::create`]): a mistyped `--state`
//! is an error, not a fresh verifier that accepts a code already used.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use paycode::replay::Snapshot;
use paycode::{Params, Profile, Verifier, VerifierState};

use crate::errors::{ContentError, FileError, Role};
use crate::files::{IssuerFile, STATE_FORMAT, seed_from_hex};
use crate::fsio::Locked;

/// `state.json`: a verifier's durable state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// `"paycode-state-v1"`.
    pub format: String,
    /// The replay state.
    pub state: VerifierState,
    /// The hmac throttle records (account, step, failures): a command that
    /// runs once per verification keeps them, or every run would reset them
    /// (spec §12.6, R-HMAC-6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub throttle: Vec<(u64, u64, u32)>,
}

impl StateFile {
    /// The state of a verifier that has never accepted a code.
    pub fn new() -> StateFile {
        StateFile { format: STATE_FORMAT.into(), ..StateFile::default() }
    }

    /// The durable state of `verifier`.
    pub fn of(verifier: &Verifier) -> StateFile {
        StateFile {
            format: STATE_FORMAT.into(),
            state: verifier.state(),
            throttle: verifier.replay_state(Profile::Hmac).throttle_records(),
        }
    }
}

/// How a verification finds its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// From the existing state file.
    Existing,
    /// From a new, empty state; the file must not exist yet.
    New,
    /// After a loss of state, at unix time `now`: in quarantine (spec:
    /// R-REPLAY-5). See [`after_loss`].
    Lost {
        /// The verifier's time.
        now: u64,
    },
}

/// A state file, locked for one verification.
#[derive(Debug)]
pub struct Store {
    lock: Locked,
}

impl Store {
    /// Creates the state file of a new terminal: a verifier that has never
    /// accepted a code.
    ///
    /// # Errors
    ///
    /// [`FileError::Exists`] if the file exists, else [`FileError`] naming it.
    pub fn create(path: &Path) -> Result<Store, FileError> {
        let store = Store { lock: Locked::acquire(path, Role::State)? };
        if store.lock.exists() {
            return Err(FileError::Exists { role: Role::State, path: path.to_path_buf() });
        }
        store.save(&StateFile::new())?;
        Ok(store)
    }

    /// Locks the state file at `path` and reads the state a verification
    /// starts from, as `start` says.
    ///
    /// # Errors
    ///
    /// [`FileError::NoState`] for a missing file (unless `start` creates
    /// it); [`FileError`] naming the file if it cannot be read or is of
    /// another kind; [`StateError::TimeBeforeEpoch`].
    pub fn open(path: &Path, start: Start, params: Params) -> Result<(Store, StateFile), StateError> {
        if start == Start::New {
            return Ok((Store::create(path)?, StateFile::new()));
        }
        if start == Start::Existing && std::fs::symlink_metadata(path).is_err() {
            // Before the lock, so that a mistyped path leaves no lock file behind.
            return Err(FileError::NoState { path: path.to_path_buf() }.into());
        }
        let store = Store { lock: Locked::acquire(path, Role::State)? };
        let stored: Option<StateFile> = match store.lock.read::<StateFile>(false) {
            Ok(s) => Some(s),
            Err(FileError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound && matches!(start, Start::Lost { .. }) =>
            {
                None
            }
            Err(FileError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Err(FileError::NoState { path: path.to_path_buf() }.into());
            }
            Err(e) => return Err(e.into()),
        };
        let state = match (start, stored) {
            (Start::Lost { now }, stored) => {
                let state = after_loss(params, stored.as_ref().map(|s| &s.state), now)
                    .map_err(|_| StateError::TimeBeforeEpoch { path: path.to_path_buf() })?;
                StateFile { format: STATE_FORMAT.into(), state, throttle: Vec::new() }
            }
            (_, Some(s)) => s,
            (_, None) => return Err(FileError::NoState { path: path.to_path_buf() }.into()),
        };
        Ok((store, state))
    }

    /// Replaces the state file with `state`, atomically.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`] naming the file; it is then unchanged.
    pub fn save(&self, state: &StateFile) -> Result<(), FileError> {
        self.lock.write(state, false)
    }

    /// The state file as given.
    pub fn path(&self) -> &Path {
        self.lock.path()
    }
}

/// The state of a verifier restarted after a loss of state at unix time
/// `now` (spec §8.6, R-REPLAY-5): every replay window, ledger entry and
/// throttle count is gone, and codes of steps below the quarantine floor
/// are rejected as `state-unavailable`.
///
/// Restart-lost-state at `T(now)` covers every code accepted before, as long
/// as the clock did not go back. When a state file survives (a backup, or a
/// verifier told its state is lost while the file is intact), its high-water
/// step `T_hw` records how far the clock had been: the restart is taken at
/// `max(T_hw, T(now))`, and its floor `Q` never falls below the stored one.
/// A clock that went back therefore reopens no code accepted before. The
/// cost: after a clock that jumped forward (spec §12.8), the quarantine lasts
/// until real time passes the stored `T_hw`; an operator who accepts the
/// risk §12.8 describes moves the state file away first.
///
/// # Errors
///
/// [`paycode::Error::TimeBeforeEpoch`] if `now` is before `T0`.
pub fn after_loss(
    params: Params,
    stored: Option<&VerifierState>,
    now: u64,
) -> Result<VerifierState, paycode::Error> {
    let step = params.step_at(now)?;
    let lost = |stored: Option<&Snapshot>| {
        let high_water = stored.map_or(step, |s| s.high_water.max(step));
        let floor = high_water.saturating_add(params.forward()).saturating_add(1);
        Snapshot {
            high_water,
            quarantine: stored.map_or(floor, |s| s.quarantine.max(floor)),
            ..Snapshot::default()
        }
    };
    Ok(VerifierState {
        hmac: lost(stored.map(|s| &s.hmac)),
        ed25519: lost(stored.map(|s| &s.ed25519)),
        // Installed configuration, kept across the loss (spec §8.4).
        revocation_list: stored.and_then(|s| s.revocation_list.clone()),
    })
}

impl IssuerFile {
    /// A verifier for every enrolled account and the issuer's trust list,
    /// restored from `state`, with the issuer's current revocation list
    /// installed.
    ///
    /// # Errors
    ///
    /// [`ContentError`] on bad key material or parameters.
    pub fn verifier(&self, terminal_id: u32, state: &StateFile) -> Result<Verifier, ContentError> {
        let params = self.params.params()?;
        let mut v = Verifier::restore(params, terminal_id, &state.state);
        v.replay_state(Profile::Hmac).load_throttle_records(&state.throttle);
        v.enable_hmac();
        for a in &self.accounts {
            // Checked when the file was loaded.
            let seed =
                seed_from_hex(&a.seed).map_err(|_| ContentError::SeedLength { field: "accounts[].seed" })?;
            v.add_account(a.account_id, &seed);
        }
        v.set_trust_list(self.trust_list()?);
        if let Some(list) = self.revocation_list()? {
            // The stored state may already hold this list (or a newer one).
            match v.install_revocation_list(list) {
                Ok(()) | Err(paycode::InstallError::NotNewer) => {}
                Err(e) => return Err(ContentError::RevocationList(e)),
            }
        }
        Ok(v)
    }
}

/// Why a verification could not start from its state.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateError {
    /// The state file could not be used.
    File(FileError),
    /// `--state-lost` at a time before the epoch `T0`: there is no step to
    /// quarantine from, and nothing is written.
    TimeBeforeEpoch {
        /// The state file as given.
        path: PathBuf,
    },
}

impl core::fmt::Display for StateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StateError::File(e) => e.fmt(f),
            StateError::TimeBeforeEpoch { path } => write!(
                f,
                "cannot restart the state file {} after a loss: the time is before the epoch T0",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StateError {}

impl From<FileError> for StateError {
    fn from(e: FileError) -> StateError {
        StateError::File(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_loss_without_a_file_is_the_spec_restart() {
        let p = Params::default();
        let now = 1_800_000_000;
        let step = now / 60;
        let s = after_loss(p, None, now).unwrap();
        assert_eq!((s.hmac.high_water, s.hmac.quarantine), (step, step + 2));
        assert_eq!(s.ed25519, s.hmac);
        // The library's own restart gives the same state.
        assert_eq!(Verifier::after_state_loss(p, 1, now).unwrap().state(), s);
    }

    #[test]
    fn after_loss_keeps_a_stored_high_water_ahead_of_the_clock() {
        let p = Params::default();
        let now = 1_800_000_000;
        let step = now / 60;
        let mut stored = VerifierState::default();
        stored.hmac.high_water = step + 1_000;
        stored.ed25519.quarantine = step + 5_000;
        stored.hmac.windows = vec![(1, paycode::replay::Window { high: 0, bitmap: 1, top: step + 1_000 })];
        let s = after_loss(p, Some(&stored), now).unwrap();
        assert_eq!((s.hmac.high_water, s.hmac.quarantine), (step + 1_000, step + 1_002));
        assert!(s.hmac.windows.is_empty());
        assert_eq!((s.ed25519.high_water, s.ed25519.quarantine), (step, step + 5_000));
        // A stored state behind the clock changes nothing.
        let behind = VerifierState::default();
        assert_eq!(after_loss(p, Some(&behind), now).unwrap(), after_loss(p, None, now).unwrap());
        assert_eq!(
            after_loss(Params::new(100, 60, 2, 1).unwrap(), None, 99),
            Err(paycode::Error::TimeBeforeEpoch)
        );
    }
}
