#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use paycode::VerifierState;
use paycode::log::LogRecord;

mod codec;

#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "postgres")]
pub mod postgres;

#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore};

/// The schema version this crate writes and reads. A store of an older
/// version is migrated forward when it is opened; a store of a newer
/// version is refused with `StoreErrorKind::Incompatible`.
pub const SCHEMA_VERSION: u32 = 9;

/// Everything a store holds except its log, read as one consistent view:
/// for a one-time import's round trip, for audits, and for the tests that
/// compare stores.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contents {
    /// The replay windows, counter marks, ledger, nonce set, `T_hw`, `Q`
    /// and the installed revocation list of the store's own verifier
    /// (terminal 0), and the store's numeric failure budgets (of every
    /// account and every source, spec: R-HMAC-7, R-HMAC-8, R-STATE-6), in
    /// the core's snapshot form. A store keeps one `T_hw` and one `Q`, so
    /// both profiles' snapshots carry the same values.
    pub state: VerifierState,
}

/// Whose records a call of `transact_at` reads and writes, in a store that
/// keeps several terminals' state (a service that verifies the codes its
/// terminals forward). The replay windows, counter marks and spend ledger
/// are those of `records`; the nonce set `N` that a challenge code's nonce
/// is checked against and recorded in is that of `nonces`: the terminal
/// that made the challenge, so that each of its challenges is accepted once
/// whichever records the code uses (spec: R-CHAL-4). `T_hw`, `Q`, the
/// failure budgets and the revocation list are the store's.
/// [`paycode::StateStore`]'s methods use `Scope::terminal(0)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    /// The terminal whose windows, marks and ledger entries the call uses
    /// (0: the store's own verifier).
    pub records: u32,
    /// The terminal whose nonce set the call's challenge nonce belongs to.
    pub nonces: u32,
}

impl Scope {
    /// Terminal `terminal`'s records and nonce set.
    pub const fn terminal(terminal: u32) -> Scope {
        Scope { records: terminal, nonces: terminal }
    }
}

/// A bearer token of the verification service as the store keeps it: its
/// public id, the hash of its secret (never the secret), the terminal it
/// speaks for, a name, and when it was made and revoked (unix seconds).
/// The nodes of a fleet share the tokens through their store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    /// The public id.
    pub id: [u8; 8],
    /// The hash of the secret.
    pub hash: [u8; 32],
    /// The terminal it is bound to.
    pub terminal_id: u32,
    /// A name for people.
    pub name: String,
    /// When it was made.
    pub created_at: u64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<u64>,
}

/// The log records in the spec's format, back to back (spec §4.8): what
/// `paycode reconcile` reads.
pub fn encode_log(records: &[LogRecord]) -> Vec<u8> {
    LogRecord::encode_log(records)
}

/// A log row as the stores keep it: the record's fields in columns.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) struct RecordColumns {
    pub kind: i16,
    pub evidence: Vec<u8>,
    pub step: u64,
    pub accepted_at: u64,
    pub amount: u64,
    pub terminal_id: u32,
    pub challenge: Option<Vec<u8>>,
}

/// The record a log row holds, checked as the spec's decoder checks it:
/// a row that is not a well-formed record is a corrupt store.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn record_from_columns(c: RecordColumns) -> Result<LogRecord, paycode::StoreError> {
    let kind = u8::try_from(c.kind).map_err(|_| corrupt_log(format!("kind {}", c.kind)))?;
    let mut bytes = vec![paycode::VERSION, kind];
    bytes.extend_from_slice(&c.accepted_at.to_be_bytes());
    bytes.extend_from_slice(&c.amount.to_be_bytes());
    bytes.extend_from_slice(&c.terminal_id.to_be_bytes());
    bytes.extend_from_slice(&c.step.to_be_bytes());
    bytes.extend_from_slice(&c.evidence);
    bytes.extend_from_slice(c.challenge.as_deref().unwrap_or_default());
    LogRecord::decode(&bytes)
        .map_err(|_| corrupt_log(format!("a record of kind {kind:#04x} that does not decode")))
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn corrupt_log(what: String) -> paycode::StoreError {
    paycode::StoreError::new(paycode::store::StoreErrorKind::Corrupt, format!("log: {what}"))
}

/// Checks a `T_hw` read from the store against `known`, the highest this
/// store handle has read or written. `T_hw` never decreases (spec:
/// R-STATE-7), so a lower one means the store lost committed changes while
/// in use: it was made again, empty, or restored from a backup. Its replay
/// windows may then lack codes this node accepted, so nothing is decided on
/// it until a node starts on it in quarantine (spec: R-STATE-5).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn check_high_water(target: &str, known: u64, stored: u64) -> Result<(), paycode::StoreError> {
    if stored >= known {
        return Ok(());
    }
    Err(paycode::StoreError::new(
        paycode::store::StoreErrorKind::Corrupt,
        format!(
            "{target}: the high-water step went back from {known} to {stored}: the store lost committed \
             changes (made again, or restored from a backup) and may accept again codes accepted before; \
             start the node again in quarantine"
        ),
    ))
}

/// [`paycode::StateStore::transact_all`] for a store: fewer than two calls go
/// one by one through `one`; more go to `all`, one transaction that commits
/// or fails for all of them, and then each call reports the same failure.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn run_calls(
    calls: &mut [paycode::store::Call<'_>],
    one: impl Fn(&mut paycode::store::Call<'_>) -> Result<(), paycode::StoreError>,
    all: impl FnOnce(&mut [paycode::store::Call<'_>]) -> Result<(), paycode::StoreError>,
) -> Vec<Result<(), paycode::StoreError>> {
    if calls.len() < 2 {
        return calls.iter_mut().map(one).collect();
    }
    let n = calls.len();
    match all(calls) {
        Ok(()) => (0..n).map(|_| Ok(())).collect(),
        Err(e) => {
            // The cause alone: each error names its kind again when shown.
            let (kind, cause) = (e.kind(), std::error::Error::source(&e).map(ToString::to_string));
            let each = || match &cause {
                Some(cause) => paycode::StoreError::new(kind, cause.clone()),
                None => paycode::StoreError::of_kind(kind),
            };
            (0..n).map(|_| Err(each())).collect()
        }
    }
}

/// Refuses a state to import that lists a challenge nonce twice, or any
/// identity's window, ledger entry, counter mark or failure budget twice, or
/// a terminal's failure budget twice: a verifier's state holds each once
/// (spec §8.1), so such a state was not written by one, and no record of
/// the two is the right one to keep.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn check_state(state: &paycode::VerifierState) -> Result<(), paycode::StoreError> {
    let twice = |what: String| {
        paycode::StoreError::new(
            paycode::store::StoreErrorKind::Other,
            format!("the state lists {what} twice"),
        )
    };
    let nonces = state.challenges.iter().map(|c| c.nonce);
    if let Some(nonce) = repeated(nonces) {
        return Err(twice(format!("the challenge nonce {}", paycode::codec::to_hex(&nonce))));
    }
    if let Some(terminal) = repeated(state.sources.iter().map(|s| s.0)) {
        return Err(twice(format!("the failure budget of terminal {terminal}")));
    }
    // One identity's records are one row each: a second would replace the
    // first as it is written, and could lower a window, a mark, a ledger
    // total or a budget, reopening codes the first one closed.
    for (profile, snap) in [("hmac", &state.hmac), ("ed25519", &state.ed25519)] {
        let tables: [(&str, Option<u64>); 4] = [
            ("the replay window", repeated(snap.windows.iter().map(|w| w.0))),
            ("the ledger entry", repeated(snap.spent.iter().map(|s| s.0))),
            ("the counter mark", repeated(snap.marks.iter().map(|m| m.0))),
            ("the failure budget", repeated(snap.budgets.iter().map(|b| b.0))),
        ];
        if let Some((what, id)) = tables.into_iter().find_map(|(what, id)| id.map(|id| (what, id))) {
            return Err(twice(format!("{what} of {profile} identity {id}")));
        }
    }
    Ok(())
}

/// A state's revocation list as a database store holds it.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) enum HeldList<'a> {
    /// None was ever installed.
    None,
    /// The list in force.
    InForce(&'a paycode::RevocationList),
    /// A list the re-check uninstalled: only its number and issue time are
    /// kept, as the floor of the next install (spec: R-REVOKE-2, R-REVOKE-6).
    Withdrawn(paycode::revocation::ListMark),
}

/// What a state to import says of its revocation list, refusing a state
/// no verifier writes: a floor beside a list, a floor or a withdrawal
/// without the other, or a floor numbered 0 (no list 0 is installed).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn held_list(state: &paycode::VerifierState) -> Result<HeldList<'_>, paycode::StoreError> {
    let refuse = |what: &str| {
        paycode::StoreError::new(paycode::store::StoreErrorKind::Other, format!("the state {what}"))
    };
    match (&state.revocation_list, state.revocation_floor, state.revocation_withdrawn) {
        (None, None, false) => Ok(HeldList::None),
        (Some(list), None, false) => Ok(HeldList::InForce(list)),
        (Some(list), None, true) => Ok(HeldList::Withdrawn(list.mark())),
        (None, Some(floor), true) if floor.number != 0 => Ok(HeldList::Withdrawn(floor)),
        (None, Some(_), true) => Err(refuse("gives a revocation floor numbered 0")),
        (Some(_), Some(_), _) => Err(refuse("gives both a revocation list and a revocation floor")),
        (None, Some(_), false) => Err(refuse("gives a revocation floor but no list withdrawn")),
        (None, None, true) => {
            Err(refuse("says its revocation list was withdrawn but gives neither list nor floor"))
        }
    }
}

/// A value that `values` holds more than once, if any.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn repeated<T: Ord + Copy>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut all: Vec<T> = values.collect();
    all.sort_unstable();
    all.windows(2).find(|w| w.first() == w.last()).and_then(|w| w.first().copied())
}

/// A token row from its columns, checking their sizes.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn token_row(
    id: &[u8],
    hash: &[u8],
    terminal_id: i64,
    name: String,
    created_at: i64,
    revoked_at: Option<i64>,
) -> Result<TokenRow, paycode::StoreError> {
    let bad = |what: &str| codec::corrupt(format!("tokens {what}"));
    Ok(TokenRow {
        id: id.try_into().map_err(|_| bad("id"))?,
        hash: hash.try_into().map_err(|_| bad("hash"))?,
        terminal_id: u32::try_from(terminal_id).map_err(|_| bad("terminal_id"))?,
        name,
        created_at: codec::from_sql(created_at),
        revoked_at: revoked_at.map(codec::from_sql),
    })
}

#[cfg(all(test, any(feature = "sqlite", feature = "postgres")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use paycode::store::{Call, Changes, Identity, StoreErrorKind};
    use paycode::{Profile, StoreError};

    #[test]
    fn a_failed_group_reports_its_failure_once_to_each_call() {
        let mut decide = |_: &paycode::store::Records| Changes::default();
        let mut other = |_: &paycode::store::Records| Changes::default();
        let identity = Identity { profile: Profile::Hmac, subject: 1 };
        let mut calls = [
            Call { identity, nonce: None, source: None, decide: &mut decide },
            Call { identity, nonce: None, source: None, decide: &mut other },
        ];
        for (failure, shown) in [
            (
                StoreError::new(StoreErrorKind::Unavailable, "db: gone"),
                "the state store is unavailable: db: gone",
            ),
            (StoreError::of_kind(StoreErrorKind::Busy), "the state store stayed busy"),
        ] {
            let results = super::run_calls(&mut calls, |_| Ok(()), |_| Err(failure));
            assert_eq!(results.len(), 2);
            for r in results {
                let e = r.unwrap_err();
                assert_eq!(e.to_string(), shown);
            }
        }
    }
}
