//! The verifier's state in one SQLite database file: the embedded default,
//! for a terminal or a command that runs once per verification.
//!
//! Every verification is one `BEGIN IMMEDIATE` transaction: it takes the
//! database's write lock first, so that concurrent processes on one file
//! run one after another (spec: R-REPLAY-3, R-STATE-3), waiting up to the
//! busy timeout for each other. The database is in WAL mode with
//! `synchronous=FULL`, so that a commit is on stable storage when it
//! returns (spec: R-STATE-1; the README of this crate argues it). SQLite
//! has one writer at a time: a verifier that needs calls on different
//! identities to run in parallel uses the PostgreSQL store.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use paycode::log::LogRecord;
use paycode::replay::{Snapshot, Window};
use paycode::revocation::ListMark;
use paycode::store::{
    Call, Eviction, Identity, Mark, Records, Spent, StateStore, StoreError, StoreErrorKind,
};
use paycode::trust::TrustList;
use paycode::{Profile, RevocationList, UsedChallenge, VerifierState};
use rusqlite::{
    Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

use crate::codec::{corrupt, from_sql, profile_from_sql, profile_to_sql, to_sql, u32_from_sql, u64_below};
use crate::{Contents, SCHEMA_VERSION, Scope, TokenRow};

/// How long a call waits for another process's transaction before it fails
/// with `StoreErrorKind::Busy`, unless [`SqliteStore::set_busy_timeout`] says otherwise.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// `PRAGMA application_id` of a paycode state database ("PYCD"), so that
/// `file(1)` and a careful reader can tell it from other SQLite files.
const APPLICATION_ID: i32 = 0x5059_4344;

/// The schema, one step per version: `MIGRATIONS[v]` takes a database at
/// version `v` to `v + 1`. Steps are never edited once released; a change
/// is a new step. The README of this crate documents the tables.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    "CREATE TABLE schema_version (version INTEGER NOT NULL);
     INSERT INTO schema_version VALUES (0);
     CREATE TABLE meta (
         id INTEGER PRIMARY KEY CHECK (id = 0),
         high_water INTEGER NOT NULL,
         quarantine INTEGER NOT NULL);
     INSERT INTO meta VALUES (0, 0, 0);
     CREATE TABLE windows (
         profile INTEGER NOT NULL,
         subject INTEGER NOT NULL,
         high INTEGER NOT NULL,
         bitmap INTEGER NOT NULL,
         top INTEGER NOT NULL,
         PRIMARY KEY (profile, subject)) WITHOUT ROWID;
     CREATE TABLE ledger (
         serial INTEGER PRIMARY KEY,
         spent INTEGER NOT NULL,
         not_after INTEGER NOT NULL);
     CREATE TABLE throttle (
         account INTEGER PRIMARY KEY,
         step INTEGER NOT NULL,
         failures INTEGER NOT NULL);
     CREATE TABLE revocation (
         id INTEGER PRIMARY KEY CHECK (id = 0),
         number INTEGER NOT NULL,
         encoding BLOB NOT NULL);
     CREATE TABLE revoked (serial INTEGER PRIMARY KEY);
     CREATE TABLE log (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         profile INTEGER NOT NULL,
         key_id INTEGER NOT NULL,
         subject INTEGER NOT NULL,
         counter INTEGER NOT NULL,
         step INTEGER NOT NULL,
         accepted_at INTEGER NOT NULL,
         amount INTEGER NOT NULL,
         terminal_id INTEGER NOT NULL);",
    // Version 2: replay windows and ledger entries per terminal, for a
    // service that verifies the codes several terminals forward; a store of
    // one verifier keeps everything under terminal 0. SQLite cannot change a
    // primary key in place, so the two tables are rebuilt.
    "CREATE TABLE windows2 (
         terminal INTEGER NOT NULL,
         profile INTEGER NOT NULL,
         subject INTEGER NOT NULL,
         high INTEGER NOT NULL,
         bitmap INTEGER NOT NULL,
         top INTEGER NOT NULL,
         PRIMARY KEY (terminal, profile, subject)) WITHOUT ROWID;
     INSERT INTO windows2 SELECT 0, profile, subject, high, bitmap, top FROM windows;
     DROP TABLE windows;
     ALTER TABLE windows2 RENAME TO windows;
     CREATE TABLE ledger2 (
         terminal INTEGER NOT NULL,
         serial INTEGER NOT NULL,
         spent INTEGER NOT NULL,
         not_after INTEGER NOT NULL,
         PRIMARY KEY (terminal, serial));
     INSERT INTO ledger2 SELECT 0, serial, spent, not_after FROM ledger;
     DROP TABLE ledger;
     ALTER TABLE ledger2 RENAME TO ledger;",
    // Version 3: the verification service's bearer tokens.
    "CREATE TABLE tokens (
         id BLOB PRIMARY KEY,
         hash BLOB NOT NULL,
         terminal_id INTEGER NOT NULL,
         name TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         revoked_at INTEGER);",
    // Version 4: the counter marks (spec: R-REPLAY-7), which outlive the
    // windows; `until` is the ed25519 credential's `not_after`, null for an
    // hmac account's mark. A store written before marks existed gets, for
    // each window, the mark its acceptances would have left but for the step:
    // its highest counter with its top step, at or after the code's own, so
    // that no mark rejects more than the one it stands for.
    "CREATE TABLE marks (
         terminal INTEGER NOT NULL,
         profile INTEGER NOT NULL,
         subject INTEGER NOT NULL,
         counter INTEGER NOT NULL,
         step INTEGER NOT NULL,
         until INTEGER,
         PRIMARY KEY (terminal, profile, subject)) WITHOUT ROWID;
     INSERT INTO marks (terminal, profile, subject, counter, step, until)
         SELECT w.terminal, w.profile, w.subject, w.high, w.top,
                (SELECT l.not_after FROM ledger l
                 WHERE w.profile = 2 AND l.terminal = w.terminal AND l.serial = w.subject)
         FROM windows w;",
    // Version 5: the nonce set `N` (spec: R-CHAL-4), per terminal as the
    // windows are: the nonce of each challenge a code was accepted for, with
    // `closes = issued_at + C`. No store before it accepted a challenge
    // code, so a migrated store's set is empty.
    "CREATE TABLE nonces (
         terminal INTEGER NOT NULL,
         nonce BLOB NOT NULL CHECK (length(nonce) = 16),
         closes INTEGER NOT NULL,
         PRIMARY KEY (terminal, nonce)) WITHOUT ROWID;",
    // Version 6: the revocation list gains `next_update` and `grace`
    // (spec §4.7), so a list installed before cannot be decoded any more.
    // It is uninstalled: its number stays as the floor the next list must
    // pass (spec: R-REVOKE-2), its issue time is not carried (0), and every
    // ed25519 code is `revocation-stale` until a new list is installed
    // (spec: R-REVOKE-4). `fresh_until` is the installed list's
    // `next_update + grace`, null when none is installed.
    "ALTER TABLE revocation ADD COLUMN issued_at INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE revocation ADD COLUMN fresh_until INTEGER;
     UPDATE revocation SET encoding = X'', fresh_until = NULL;
     DELETE FROM revoked;",
    // Version 7: the numeric failure budgets (spec: R-HMAC-7, R-HMAC-8)
    // replace the per-step throttle: `until` is the budget's `u`, a step,
    // per account (shared by every terminal) and per source (the terminal a
    // numeric code came through). A throttle record counted only within its
    // own step, and no budget can be derived from it without `X`, so the
    // migration carries none over: at most one step's 8 failures per account
    // are forgotten, once.
    "CREATE TABLE budgets (
         account INTEGER PRIMARY KEY,
         until INTEGER NOT NULL);
     CREATE TABLE source_budgets (
         terminal INTEGER PRIMARY KEY,
         until INTEGER NOT NULL);
     DROP TABLE throttle;",
    // Version 8: log records that carry their evidence (spec §4.8): the
    // code's payload (or `N`) and the challenge. A record of an earlier version has
    // neither, so it proves nothing (spec: R-LOG-2); its rows stay, as they
    // were, in `log_v7`, which nothing reads or exports, and the new log
    // starts empty.
    "ALTER TABLE log RENAME TO log_v7;
     CREATE TABLE log (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         kind INTEGER NOT NULL,
         evidence BLOB NOT NULL,
         subject INTEGER NOT NULL,
         counter INTEGER NOT NULL,
         step INTEGER NOT NULL,
         accepted_at INTEGER NOT NULL,
         amount INTEGER NOT NULL,
         terminal_id INTEGER NOT NULL,
         challenge BLOB);",
    // Version 9: the installed trust list (spec §4.6), signed by the root key
    // and sequenced, kept so that only a newer one replaces it (spec:
    // R-TRUST-4). A database of an earlier version holds none.
    "CREATE TABLE trust (
         id INTEGER PRIMARY KEY CHECK (id = 0),
         sequence INTEGER NOT NULL,
         issued_at INTEGER NOT NULL,
         encoding BLOB NOT NULL);",
];

/// A verifier's state in a SQLite database file. Safe to share between
/// threads (one connection behind a lock); any number of processes may open
/// the same file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
    /// The database file this store opened and the write-ahead log it
    /// writes, by identity: see [`SqliteStore::check_files`].
    files: Files,
    /// A `T_hw` this store has read or written: the stored one is at least
    /// this (it never decreases), so a call below it need not write
    /// (spec: R-STATE-7).
    known_high_water: AtomicU64,
}

impl SqliteStore {
    /// Creates a new state database at `path` with the current schema.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("paycode-store-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// use paycode::{Params, Seed, HmacWallet, Verifier};
    /// use paycode_store::SqliteStore;
    ///
    /// let store = SqliteStore::create(&dir.join("state.db")).unwrap();
    /// let seed = Seed::from_bytes(&[1; 32]);
    /// let mut verifier = Verifier::with_store(Params::default(), 1, store);
    /// verifier.add_account(42, &seed);
    /// let code = HmacWallet::new(Params::default(), 42, &seed, 0).generate(1_800_000_000).unwrap();
    /// assert!(verifier.verify_text(&code.to_qr_text(), 1_800_000_000, 0).is_ok());
    /// assert_eq!(verifier.store().export_log(None).unwrap().len(), 1);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`StoreError`] if `path` exists already, or the file cannot be created.
    pub fn create(path: &Path) -> Result<SqliteStore, StoreError> {
        if path.exists() {
            return Err(StoreError::new(
                StoreErrorKind::Other,
                format!("{}: exists already; a new state database needs a new file", path.display()),
            ));
        }
        // The file is made here, and only if none is there: a failure below
        // removes it, knowing it is this call's (a full disk must not leave
        // an empty file that a later create refuses and an open mistakes).
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| cannot_create(path, &e))?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | open_flags();
        let made = Connection::open_with_flags(path, flags)
            .map_err(|e| classify(path, &e))
            .and_then(|conn| SqliteStore::configure(path, conn))
            .and_then(|store| store.migrate().map(|()| store));
        if made.is_err() {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                let _ = std::fs::remove_file(file);
            }
        }
        made
    }

    /// Opens the state database at `path`, migrating an older schema forward.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Unavailable`] if there is no file at `path` (creating
    /// one is [`SqliteStore::create`]'s job); [`StoreErrorKind::Incompatible`]
    /// if it is not a paycode state database or has a newer schema; else as
    /// the database fails.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::new(
                StoreErrorKind::Unavailable,
                format!("{}: no such state database (create one first)", path.display()),
            ));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | open_flags();
        let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, &e))?;
        // Only a database being created may start empty: an existing file
        // with no tables (an empty file, one whose creation failed, a
        // mistyped path something else made) is not a state database, and
        // taking it for a new one would accept again every code accepted
        // before. It is refused before anything is written to it.
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(|e| classify(path, &e))?;
        if tables == 0 {
            return Err(StoreError::new(
                StoreErrorKind::Incompatible,
                format!(
                    "{}: an empty file, not a state database (a new one is made by creating it, at a \
                     path where no file is)",
                    path.display()
                ),
            ));
        }
        let store = SqliteStore::configure(path, conn)?;
        store.migrate()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets how long a call waits for another connection's transaction
    /// before it fails with [`StoreErrorKind::Busy`].
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the connection refuses the setting, or `timeout` is
    /// above 2147483647 ms, the largest SQLite takes.
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<(), StoreError> {
        // SQLite takes milliseconds as a C int.
        const LARGEST_MS: u64 = 2_147_483_647;
        if timeout > Duration::from_millis(LARGEST_MS) {
            return Err(StoreError::new(
                StoreErrorKind::Other,
                format!(
                    "a busy timeout of {} ms is above the largest SQLite takes, {LARGEST_MS} ms",
                    timeout.as_millis()
                ),
            ));
        }
        let conn = self.conn()?;
        conn.busy_timeout(timeout).map_err(|e| self.error(&e))
    }

    /// Stores a new token.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be written or holds a token with this id.
    pub fn insert_token(&self, token: &TokenRow) -> Result<(), StoreError> {
        let conn = self.conn()?;
        conn.execute(
            "INSERT INTO tokens (id, hash, terminal_id, name, created_at, revoked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                token.id.as_slice(),
                token.hash.as_slice(),
                i64::from(token.terminal_id),
                token.name,
                to_sql(token.created_at),
                token.revoked_at.map(to_sql)
            ],
        )
        .map(|_| ())
        .map_err(|e| self.error(&e))
    }

    /// Every token, revoked ones included, oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be read or holds a malformed token.
    pub fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, hash, terminal_id, name, created_at, revoked_at FROM tokens ORDER BY created_at, id",
            )
            .map_err(|e| self.error(&e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                ))
            })
            .map_err(|e| self.error(&e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, hash, terminal, name, created, revoked) = row.map_err(|e| self.error(&e))?;
            out.push(crate::token_row(&id, &hash, terminal, name, created, revoked)?);
        }
        Ok(out)
    }

    /// Marks token `id` revoked at `at`; returns whether it was live until now.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be written.
    pub fn revoke_token(&self, id: [u8; 8], at: u64) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        conn.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id.as_slice(), to_sql(at)],
        )
        .map(|n| n > 0)
        .map_err(|e| self.error(&e))
    }

    /// The acceptance log, in commit order: of `terminal` only, or of every
    /// terminal (spec §10.3). [`crate::encode_log`] gives the spec's bytes.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be read.
    pub fn export_log(&self, terminal: Option<u32>) -> Result<Vec<LogRecord>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT kind, evidence, step, accepted_at, amount, terminal_id, challenge
                 FROM log WHERE ?1 IS NULL OR terminal_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.error(&e))?;
        let rows = stmt
            .query_map(params![terminal.map(i64::from)], |r| {
                Ok((
                    r.get::<_, i16>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, Option<Vec<u8>>>(6)?,
                ))
            })
            .map_err(|e| self.error(&e))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, evidence, step, accepted_at, amount, terminal_id, challenge) =
                row.map_err(|e| self.error(&e))?;
            out.push(crate::record_from_columns(crate::RecordColumns {
                kind,
                evidence,
                step: from_sql(step),
                accepted_at: from_sql(accepted_at),
                amount: from_sql(amount),
                terminal_id: u32_from_sql(terminal_id, "log terminal_id")?,
                challenge,
            })?);
        }
        Ok(out)
    }

    /// Loads a verifier's state saved elsewhere (a JSON state file of the
    /// command, a [`paycode::MemoryStore`]'s snapshot), failure budgets
    /// included, as one transaction, into a store that holds nothing yet.
    /// Windows without bit 0 are read as having `H` accepted, as
    /// [`paycode::replay::ReplayState::restore`] does.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Other`] if the store holds state already, the hmac
    /// snapshot has ledger entries (no verifier writes them), or the state
    /// lists a record twice or gives its revocation list inconsistently;
    /// else as the database fails. Nothing is written then.
    pub fn import(&self, state: &VerifierState) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = self.begin(&mut conn)?;
        let e = |e: rusqlite::Error| self.error(&e);
        let held: i64 = tx
            .query_row(
                "SELECT (SELECT count(*) FROM windows) + (SELECT count(*) FROM ledger)
                      + (SELECT count(*) FROM marks) + (SELECT count(*) FROM nonces)
                      + (SELECT count(*) FROM budgets) + (SELECT count(*) FROM source_budgets)
                      + (SELECT count(*) FROM log) + (SELECT count(*) FROM revocation)
                      + (SELECT count(*) FROM meta WHERE high_water <> 0 OR quarantine <> 0)",
                [],
                |r| r.get(0),
            )
            .map_err(e)?;
        if held != 0 {
            return Err(StoreError::new(
                StoreErrorKind::Other,
                format!("{}: holds state already; import only into a new store", self.path.display()),
            ));
        }
        if !state.hmac.spent.is_empty() {
            return Err(StoreError::new(
                StoreErrorKind::Other,
                "the hmac state has ledger entries, which no verifier writes".to_owned(),
            ));
        }
        crate::check_state(state)?;
        let held = crate::held_list(state)?;
        let high_water = state.hmac.high_water.max(state.ed25519.high_water);
        let quarantine = state.hmac.quarantine.max(state.ed25519.quarantine);
        tx.execute(
            "UPDATE meta SET high_water = ?1, quarantine = ?2 WHERE id = 0",
            params![to_sql(high_water), to_sql(quarantine)],
        )
        .map_err(e)?;
        for (profile, snap) in [(Profile::Hmac, &state.hmac), (Profile::Ed25519, &state.ed25519)] {
            for &(subject, w) in &snap.windows {
                put_window(&tx, 0, Identity { profile, subject }, Window { bitmap: w.bitmap | 1, ..w })
                    .map_err(e)?;
            }
            for &(subject, m) in &snap.marks {
                put_mark(&tx, 0, Identity { profile, subject }, m).map_err(e)?;
            }
        }
        for &(serial, spent) in &state.ed25519.spent {
            put_spent(&tx, 0, serial, spent).map_err(e)?;
        }
        for &used in &state.challenges {
            put_nonce(&tx, 0, used).map_err(e)?;
        }
        // A state written before marks existed: each window's mark, as the migration makes it.
        tx.execute(crate::codec::MARKS_OF_WINDOWS, []).map_err(e)?;
        for &(account, until) in &state.hmac.budgets {
            put_budget(&tx, account, until).map_err(e)?;
        }
        for &(terminal, until) in &state.sources {
            put_source_budget(&tx, terminal, until).map_err(e)?;
        }
        match held {
            crate::HeldList::None => {}
            crate::HeldList::InForce(list) => put_revocation_list(&tx, list).map_err(e)?,
            crate::HeldList::Withdrawn(floor) => put_withdrawn_list(&tx, floor).map_err(e)?,
        }
        self.commit(tx)?;
        self.note_high_water(high_water);
        Ok(())
    }

    /// Everything the store holds but its log, as one consistent view.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be read, or holds values this
    /// version cannot have written.
    pub fn contents(&self) -> Result<Contents, StoreError> {
        let mut conn = self.conn()?;
        // A read transaction: one snapshot for every table.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(|e| self.error(&e))?;
        let e = |e: rusqlite::Error| self.error(&e);
        let (high_water, quarantine) = read_meta(&tx).map_err(e)?;
        let mut hmac = Snapshot { high_water, quarantine, ..Snapshot::default() };
        let mut ed25519 = hmac.clone();
        let mut stmt = tx
            .prepare(
                "SELECT profile, subject, high, bitmap, top FROM windows WHERE terminal = 0
                 ORDER BY profile, subject",
            )
            .map_err(e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i16>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?))
            })
            .map_err(e)?;
        for row in rows {
            let (profile, subject, high, bitmap, top) = row.map_err(e)?;
            let window = Window {
                high: u32_from_sql(high, "windows high")?,
                bitmap: from_sql(bitmap),
                top: from_sql(top),
            };
            let snap = match profile_from_sql(profile)? {
                Profile::Hmac => &mut hmac,
                Profile::Ed25519 => &mut ed25519,
            };
            snap.windows.push((from_sql(subject), window));
        }
        drop(stmt);
        let mut stmt = tx
            .prepare("SELECT profile, subject, counter, step, until FROM marks WHERE terminal = 0")
            .map_err(e)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i16>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            })
            .map_err(e)?;
        for row in rows {
            let (profile, subject, counter, step, until) = row.map_err(e)?;
            let mark = Mark {
                counter: u32_from_sql(counter, "marks counter")?,
                step: from_sql(step),
                until: until.map(from_sql),
            };
            let snap = match profile_from_sql(profile)? {
                Profile::Hmac => &mut hmac,
                Profile::Ed25519 => &mut ed25519,
            };
            snap.marks.push((from_sql(subject), mark));
        }
        drop(stmt);
        let mut stmt =
            tx.prepare("SELECT serial, spent, not_after FROM ledger WHERE terminal = 0").map_err(e)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?))).map_err(e)?;
        for row in rows {
            let (serial, spent, not_after) = row.map_err(e)?;
            ed25519
                .spent
                .push((from_sql(serial), Spent { total: from_sql(spent), not_after: from_sql(not_after) }));
        }
        drop(stmt);
        let mut challenges = Vec::new();
        let mut stmt = tx.prepare("SELECT nonce, closes FROM nonces WHERE terminal = 0").map_err(e)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))).map_err(e)?;
        for row in rows {
            let (nonce, closes) = row.map_err(e)?;
            challenges.push(used_challenge(&nonce, closes)?);
        }
        drop(stmt);
        let mut stmt = tx.prepare("SELECT account, until FROM budgets").map_err(e)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))).map_err(e)?;
        for row in rows {
            let (account, until) = row.map_err(e)?;
            hmac.budgets.push((from_sql(account), from_sql(until)));
        }
        drop(stmt);
        let mut sources = Vec::new();
        let mut stmt = tx.prepare("SELECT terminal, until FROM source_budgets").map_err(e)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))).map_err(e)?;
        for row in rows {
            let (terminal, until) = row.map_err(e)?;
            sources.push((u32_from_sql(terminal, "source_budgets terminal")?, from_sql(until)));
        }
        drop(stmt);
        let revocation_list = read_revocation_list(&tx).map_err(e)??;
        let floor = read_withdrawn_floor(&tx).map_err(e)?;
        self.commit(tx)?;
        Ok(crate::codec::contents((hmac, ed25519), (revocation_list, floor), challenges, sources))
    }

    fn configure(path: &Path, conn: Connection) -> Result<SqliteStore, StoreError> {
        let e = |e: rusqlite::Error| classify(path, &e);
        conn.busy_timeout(DEFAULT_BUSY_TIMEOUT).map_err(e)?;
        // spec: R-STATE-1: WAL with synchronous=FULL syncs the log at every
        // commit; fullfsync makes that a real flush on macOS (a no-op elsewhere).
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(e)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(
                StoreErrorKind::Other,
                format!("{}: cannot use the write-ahead log (journal mode {mode})", path.display()),
            ));
        }
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA fullfsync = ON; PRAGMA checkpoint_fullfsync = ON;",
        )
        .map_err(e)?;
        // The file as SQLite resolved it (absolute, a link followed: its
        // write-ahead log is beside it), so that a later change of the
        // working folder changes nothing.
        let at = conn
            .path()
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::path::absolute(path).ok())
            .unwrap_or_else(|| path.to_owned());
        let mut wal_at = at.clone().into_os_string();
        wal_at.push("-wal");
        let files = Files { database: file_id(&at).ok(), at, wal_at: wal_at.into(), wal: OnceLock::new() };
        Ok(SqliteStore {
            path: path.to_owned(),
            conn: Mutex::new(conn),
            files,
            known_high_water: AtomicU64::new(0),
        })
    }

    /// Brings the schema to [`SCHEMA_VERSION`], in one transaction.
    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = self.begin(&mut conn)?;
        let e = |e: rusqlite::Error| self.error(&e);
        let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).map_err(e)?;
        let has_version: bool = tx
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(e)?;
        let version: i64 = match (has_version, tables) {
            (true, _) => {
                tx.query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0)).map_err(e)?
            }
            (false, 0) => 0,
            (false, _) => {
                return Err(StoreError::new(
                    StoreErrorKind::Incompatible,
                    format!("{}: a SQLite database, but not a paycode state database", self.path.display()),
                ));
            }
        };
        let current = i64::from(SCHEMA_VERSION);
        if version > current {
            return Err(StoreError::new(
                StoreErrorKind::Incompatible,
                format!(
                    "{}: schema version {version} is newer than this version of paycode reads ({current})",
                    self.path.display()
                ),
            ));
        }
        let from = usize::try_from(version).map_err(|_| corrupt(format!("schema version {version}")))?;
        for step in MIGRATIONS.iter().skip(from) {
            tx.execute_batch(step).map_err(e)?;
        }
        if version < current {
            tx.execute("UPDATE schema_version SET version = ?1", [current]).map_err(e)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(e)?;
        }
        self.commit(tx)
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        let conn = self.conn.lock().map_err(|_| {
            StoreError::new(StoreErrorKind::Other, "a thread failed while it held the database connection")
        })?;
        self.check_files()?;
        Ok(conn)
    }

    /// Commits `tx`, then checks that what it wrote is still at the store's
    /// path: an acceptance written into a file removed from under the
    /// store is lost with it, so it is reported as a failure, never as
    /// durable (spec: R-STATE-1).
    fn commit(&self, tx: Transaction<'_>) -> Result<(), StoreError> {
        // COMMIT through the connection, so that a failure leaves it in
        // hand; `tx` then finds the connection out of its transaction.
        if let Err(e) = tx.execute_batch("COMMIT") {
            return Err(self.erase_failed_commit(&tx, &e));
        }
        drop(tx);
        self.check_files()
    }

    /// The error of a COMMIT that failed, once what it wrote can no longer
    /// come back (spec: R-STATE-4: a failed call changes nothing).
    ///
    /// A commit whose frames reached the write-ahead log but whose sync
    /// failed (or whose shared-memory index could not be updated) is
    /// invisible to every reader, yet the log holds its commit frame: if
    /// the process ended before its next write, the next opening's recovery
    /// would find the frames whole and count the transaction, and a code
    /// reported `state-unavailable` would be `replayed` when presented
    /// again. The next write transaction starts at the same place in the
    /// log and breaks the chain of checksums those frames hang on, so one
    /// is written here at once (`user_version` counts them). If it commits,
    /// the failed transaction is durably gone and the original error
    /// stands; if it fails too, nobody can say which way a later recovery
    /// goes, and the call is in doubt, unless the commit failed on a write
    /// refused for want of space, which leaves no whole commit frame.
    fn erase_failed_commit(&self, conn: &Connection, e: &rusqlite::Error) -> StoreError {
        let rollback = |conn: &Connection| {
            if !conn.is_autocommit() {
                // A connection that cannot roll back fails its next BEGIN.
                let _ = conn.execute_batch("ROLLBACK");
            }
        };
        rollback(conn);
        // First the write, then the error's cause (which may write a file
        // of its own to tell a full disk): the window for a crash is short.
        let erased = overwrite_log_tail(conn);
        let failed = self.error(e);
        match erased {
            Ok(()) => failed,
            // A write refused for want of space wrote no whole commit frame:
            // the frames before the refused one have none to count them.
            // (A log padded to a sector boundary after its commit frame
            // could; SQLite pads only without powersafe overwrite, which
            // its unix VFS has unless a `psow=0` URI turns it off, and the
            // store opens no URI.)
            Err(_) if e.sqlite_error_code() == Some(ErrorCode::DiskFull) => failed,
            Err(again) => {
                rollback(conn);
                StoreError::new(
                    StoreErrorKind::InDoubt,
                    format!(
                        "{failed}; a failed commit may come back when the database is next opened, \
                         and the write that would rule that out failed too ({again})"
                    ),
                )
            }
        }
    }

    /// Fails if the file at the store's path is no longer the database this
    /// store opened (removed, renamed away or replaced), or its write-ahead
    /// log is no longer the one it writes. SQLite goes on writing to the
    /// files it has open, so every commit would go where no later opening
    /// of the path finds it: after a restart the state would be empty, and
    /// codes accepted since would be accepted again.
    fn check_files(&self) -> Result<(), StoreError> {
        let gone = |what: &str, path: &Path, why: String| {
            StoreError::new(
                StoreErrorKind::Unavailable,
                format!(
                    "{}: the {what} was {why} while in use; what is written now would be lost \
                     (restore the file, or restart over a state database)",
                    path.display()
                ),
            )
        };
        let files = &self.files;
        let Some(opened) = files.database else { return Ok(()) };
        match file_id(&files.at) {
            Ok(now) if now == opened => {}
            Ok(_) => return Err(gone("state database", &files.at, "replaced by another file".into())),
            Err(e) => return Err(gone("state database", &files.at, format!("removed or renamed ({e})"))),
        }
        match (files.wal.get(), file_id(&files.wal_at)) {
            (Some(&held), Ok(now)) if now != held => {
                Err(gone("write-ahead log", &files.wal_at, "replaced by another file".into()))
            }
            (Some(_), Err(e)) => {
                Err(gone("write-ahead log", &files.wal_at, format!("removed or renamed ({e})")))
            }
            // The log is made by the first transaction after every
            // connection closed (at the latest the one that opens the
            // store); it stays while this one is open. SQLite syncs the
            // folder after making it, but ignores a failure of that sync, and
            // then the log's entry in the folder, with every commit in the
            // log, might not survive a power loss. So the store syncs the
            // folder itself before it trusts the log; a failure fails the
            // call, and the next one tries again (spec: R-STATE-1).
            (None, Ok(now)) => {
                sync_folder(&files.wal_at).map_err(|e| {
                    StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!(
                            "{}: the folder could not be synced after the write-ahead log was made \
                             in it ({e}): the log might not survive a power loss",
                            files.wal_at.display()
                        ),
                    )
                })?;
                let _ = self.files.wal.set(now);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A write transaction: the database's write lock is taken first, so
    /// that no two verifications interleave (spec: R-REPLAY-3).
    fn begin<'c>(&self, conn: &'c mut Connection) -> Result<Transaction<'c>, StoreError> {
        conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| self.error(&e))
    }

    fn error(&self, e: &rusqlite::Error) -> StoreError {
        classify(&self.path, e)
    }

    fn note_high_water(&self, step: u64) {
        self.known_high_water.fetch_max(step, Ordering::AcqRel);
    }

    /// Fails if `stored`, a `T_hw` just read, is below one this store has
    /// read or written: the store lost committed changes.
    fn check_high_water(&self, stored: u64) -> Result<(), StoreError> {
        let known = self.known_high_water.load(Ordering::Acquire);
        crate::check_high_water(&self.path.display().to_string(), known, stored)
    }

    /// Raises `T_hw` to `step` in a write transaction, unless it is there.
    fn raise_high_water(&self, step: u64) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = self.begin(&mut conn)?;
        let e = |e: rusqlite::Error| self.error(&e);
        let (high_water, _) = read_meta(&tx).map_err(e)?;
        self.check_high_water(high_water)?;
        if high_water < step {
            tx.execute("UPDATE meta SET high_water = ?1 WHERE id = 0", [to_sql(step)]).map_err(e)?;
        }
        self.commit(tx)?;
        self.note_high_water(high_water.max(step));
        Ok(())
    }
}

impl SqliteStore {
    /// [`StateStore::transact_call`] on the records of `scope`: the replay
    /// windows, counter marks and ledger entries of terminal `scope.records`,
    /// and the nonce set of terminal `scope.nonces`, while `T_hw`, `Q`, the
    /// failure budgets and the revocation list are the store's (for a
    /// service that verifies the codes several terminals forward, each with
    /// its own offline limits, spec: R-LIMIT-2). The [`StateStore`] methods
    /// are `Scope::terminal(0)`.
    ///
    /// # Errors
    ///
    /// As [`StateStore::transact`].
    pub fn transact_at(&self, scope: Scope, call: &mut Call<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = self.begin(&mut conn)?;
        let high_water = self.step(&tx, scope, call)?;
        self.commit(tx)?;
        self.note_high_water(high_water);
        Ok(())
    }

    /// [`StateStore::transact_all`] on the records of `scope` (see
    /// [`SqliteStore::transact_at`]): every call in one transaction, each
    /// reading what the ones before it wrote, a nonce an earlier call
    /// recorded included, with one durable commit for all of them; they
    /// fail together.
    pub fn transact_all_at(&self, scope: Scope, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>> {
        crate::run_calls(
            calls,
            |call| self.transact_at(scope, call),
            |calls| {
                let mut conn = self.conn()?;
                let tx = self.begin(&mut conn)?;
                let mut high_water = 0;
                for call in calls.iter_mut() {
                    high_water = high_water.max(self.step(&tx, scope, call)?);
                }
                self.commit(tx)?;
                self.note_high_water(high_water);
                Ok(())
            },
        )
    }

    /// One call's atomic step within the transaction `tx`: reads, decides,
    /// writes; returns `T_hw` after it. The write transaction holds the
    /// database's one write lock, so the step is atomic with respect to
    /// every other call, on its identity, its nonce or anything else
    /// (spec: R-REPLAY-3, R-CHAL-4).
    fn step(&self, tx: &Transaction<'_>, scope: Scope, call: &mut Call<'_>) -> Result<u64, StoreError> {
        let e = |e: rusqlite::Error| self.error(&e);
        let (terminal, nonces) = (i64::from(scope.records), i64::from(scope.nonces));
        let identity = call.identity;
        let mut records = read_records(tx, terminal, identity).map_err(e)??;
        self.check_high_water(records.high_water)?;
        if let Some(nonce) = call.nonce {
            records.challenge_used = tx
                .prepare_cached("SELECT count(*) > 0 FROM nonces WHERE terminal = ?1 AND nonce = ?2")
                .and_then(|mut s| s.query_row(params![nonces, nonce.as_slice()], |r| r.get(0)))
                .map_err(e)?;
        }
        if let Some(source) = call.source {
            records.source_budget = tx
                .prepare_cached("SELECT until FROM source_budgets WHERE terminal = ?1")
                .and_then(|mut s| s.query_row([i64::from(source)], |r| r.get::<_, i64>(0)).optional())
                .map_err(e)?
                .map_or(0, from_sql);
        }
        let changes = (call.decide)(&records);
        // spec: R-STATE-7: T_hw is written only when the call raises it.
        if changes.high_water > records.high_water {
            tx.prepare_cached("UPDATE meta SET high_water = ?1 WHERE id = 0")
                .and_then(|mut s| s.execute([to_sql(changes.high_water)]))
                .map_err(e)?;
        }
        if let Some(w) = changes.window {
            put_window(tx, terminal, identity, w).map_err(e)?;
        }
        if let Some(m) = changes.mark {
            put_mark(tx, terminal, identity, m).map_err(e)?;
        }
        if let Some(s) = changes.spent {
            put_spent(tx, terminal, identity.subject, s).map_err(e)?;
        }
        // spec: R-STATE-6: the budgets change in the verdict's own step.
        if let Some(u) = changes.budget {
            put_budget(tx, identity.subject, u).map_err(e)?;
        }
        if let (Some(source), Some(u)) = (call.source, changes.source_budget) {
            put_source_budget(tx, source, u).map_err(e)?;
        }
        // spec: R-CHAL-4 (C5): only the call's own nonce, which it read.
        if let Some(used) = changes.challenge.filter(|c| Some(c.nonce) == call.nonce) {
            put_nonce(tx, nonces, used).map_err(e)?;
        }
        // spec: R-STATE-2, R-LOG-1: the record commits with the changes or not at all.
        if let Some(r) = changes.record {
            put_record(tx, r, identity.subject, changes.counter.unwrap_or(r.counter())).map_err(e)?;
        }
        Ok(records.high_water.max(changes.high_water))
    }
}

impl StateStore for SqliteStore {
    fn transact_call(&self, call: &mut Call<'_>) -> Result<(), StoreError> {
        self.transact_at(Scope::terminal(0), call)
    }

    fn transact_all(&self, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>> {
        self.transact_all_at(Scope::terminal(0), calls)
    }

    fn observe(&self, step: u64) -> Result<(), StoreError> {
        if self.known_high_water.load(Ordering::Acquire) >= step {
            return Ok(());
        }
        // Most calls find T_hw there already: a read needs no write lock.
        let stored = {
            let conn = self.conn()?;
            read_meta(&conn).map_err(|e| self.error(&e))?.0
        };
        self.check_high_water(stored)?;
        self.note_high_water(stored);
        if stored >= step {
            return Ok(());
        }
        self.raise_high_water(step)
    }

    fn high_water(&self) -> Result<u64, StoreError> {
        let conn = self.conn()?;
        let (high_water, _) = read_meta(&conn).map_err(|e| self.error(&e))?;
        self.check_high_water(high_water)?;
        self.note_high_water(high_water);
        Ok(high_water)
    }

    fn quarantine(&self, floor: u64, high_water: u64) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = self.begin(&mut conn)?;
        let e = |e: rusqlite::Error| self.error(&e);
        let (hw, q) = read_meta(&tx).map_err(e)?;
        let (hw, q) = (hw.max(high_water), q.max(floor));
        tx.execute(
            "UPDATE meta SET high_water = ?1, quarantine = ?2 WHERE id = 0",
            params![to_sql(hw), to_sql(q)],
        )
        .map_err(e)?;
        self.commit(tx)?;
        self.note_high_water(hw);
        Ok(())
    }

    fn install_revocation_list(
        &self,
        list: &RevocationList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        // Most calls find the list installed: a read needs no write lock.
        let newest = |c: &Connection| -> Result<ListMark, StoreError> {
            c.query_row("SELECT number, issued_at FROM revocation WHERE id = 0", [], |r| {
                Ok(ListMark { number: from_sql(r.get(0)?), issued_at: from_sql(r.get(1)?) })
            })
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.error(&e))
        };
        if !newer(newest(&conn)?) {
            return Ok(false);
        }
        let tx = self.begin(&mut conn)?;
        // spec: R-REVOKE-2: only a newer list replaces the installed one.
        if !newer(newest(&tx)?) {
            return Ok(false);
        }
        let e = |e: rusqlite::Error| self.error(&e);
        put_revocation_list(&tx, list).map_err(e)?;
        self.commit(tx)?;
        Ok(true)
    }

    fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
        let conn = self.conn()?;
        read_revocation_list(&conn).map_err(|e| self.error(&e))?
    }

    fn withdraw_revocation_list(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let e = |e: rusqlite::Error| self.error(&e);
        let tx = self.begin(&mut conn)?;
        // spec: R-REVOKE-6: the number and issue time stay as the floor; an
        // empty encoding is a list uninstalled.
        tx.execute("UPDATE revocation SET encoding = X'', fresh_until = NULL WHERE id = 0", []).map_err(e)?;
        tx.execute("DELETE FROM revoked", []).map_err(e)?;
        self.commit(tx)
    }

    fn revocation_withdrawn(&self) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        // An empty encoding under a number (a u64 kept as its i64 bits):
        // a list uninstalled, whose number and issue time are the floor.
        conn.query_row("SELECT number <> 0 AND length(encoding) = 0 FROM revocation WHERE id = 0", [], |r| {
            r.get(0)
        })
        .optional()
        .map(|w| w.unwrap_or(false))
        .map_err(|e| self.error(&e))
    }

    fn install_trust_list(
        &self,
        list: &TrustList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let e = |e: rusqlite::Error| self.error(&e);
        let tx = self.begin(&mut conn)?;
        let newest = tx
            .query_row("SELECT sequence, issued_at FROM trust WHERE id = 0", [], |r| {
                Ok(ListMark { number: from_sql(r.get(0)?), issued_at: from_sql(r.get(1)?) })
            })
            .optional()
            .map_err(e)?
            .unwrap_or_default();
        // spec: R-TRUST-4: only a newer list replaces the installed one.
        if !newer(newest) {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO trust (id, sequence, issued_at, encoding) VALUES (0, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET sequence = excluded.sequence,
                 issued_at = excluded.issued_at, encoding = excluded.encoding",
            params![to_sql(list.sequence()), to_sql(list.issued_at()), list.encode()],
        )
        .map_err(e)?;
        self.commit(tx)?;
        Ok(true)
    }

    fn trust_list(&self) -> Result<Option<TrustList>, StoreError> {
        let conn = self.conn()?;
        let bytes: Option<Vec<u8>> = conn
            .query_row("SELECT encoding FROM trust WHERE id = 0", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.error(&e))?;
        bytes
            .map(|b| TrustList::decode(&b).map_err(|e| corrupt(format!("the installed trust list: {e}"))))
            .transpose()
    }

    fn last_accepted_at(&self) -> Result<Option<u64>, StoreError> {
        let conn = self.conn()?;
        // The last record appended: one probe of the log's key, not a scan.
        let at: Option<i64> = conn
            .query_row("SELECT accepted_at FROM log ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.error(&e))?;
        Ok(at.map(from_sql))
    }

    fn evict(&self, step: u64, plan: &dyn Fn(u64) -> Eviction) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = self.begin(&mut conn)?;
        let e = |e: rusqlite::Error| self.error(&e);
        let (stored, _) = read_meta(&tx).map_err(e)?;
        // Checked before it is raised over, which would hide that it went back.
        self.check_high_water(stored)?;
        let high_water = stored.max(step);
        if high_water > stored {
            tx.execute("UPDATE meta SET high_water = ?1 WHERE id = 0", [to_sql(high_water)]).map_err(e)?;
        }
        // spec: R-STATE-8: the bounds rest on the T_hw of this transaction.
        let ev = plan(high_water);
        tx.execute(
            &format!("DELETE FROM windows WHERE {}", u64_below("top", "?1")),
            [to_sql(ev.window_below)],
        )
        .map_err(e)?;
        tx.execute(
            &format!("DELETE FROM ledger WHERE {}", u64_below("not_after", "?1")),
            [to_sql(ev.ledger_below)],
        )
        .map_err(e)?;
        // An ed25519 mark goes with its ledger entry; an hmac mark (null `until`) stays (spec: R-REPLAY-7).
        tx.execute(
            &format!("DELETE FROM marks WHERE until IS NOT NULL AND {}", u64_below("until", "?1")),
            [to_sql(ev.ledger_below)],
        )
        .map_err(e)?;
        // spec: R-HMAC-7, R-HMAC-8: a budget at or below T_hw charges nothing.
        for table in ["budgets", "source_budgets"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE NOT {}", u64_below("?1", "until")),
                [to_sql(ev.budgets_through)],
            )
            .map_err(e)?;
        }
        // spec: R-CHAL-4: a nonce whose challenge closed before T0 + T_hw·X.
        tx.execute(
            &format!("DELETE FROM nonces WHERE {}", u64_below("closes", "?1")),
            [to_sql(ev.nonces_closed_before)],
        )
        .map_err(e)?;
        self.commit(tx)?;
        self.note_high_water(high_water);
        Ok(())
    }
}

/// The files a store holds open, by identity.
#[derive(Debug)]
struct Files {
    /// The database file as opened; `None` where the platform gives no
    /// identity to compare.
    database: Option<FileId>,
    /// Its absolute path.
    at: PathBuf,
    /// The write-ahead log, once it exists.
    wal: OnceLock<FileId>,
    /// Its absolute path.
    wal_at: PathBuf,
}

/// A file's identity: the device and the file number on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId {
    device: u64,
    number: u64,
}

#[cfg(unix)]
fn file_id(path: &Path) -> std::io::Result<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path)?;
    Ok(FileId { device: m.dev(), number: m.ino() })
}

/// Syncs the folder that holds `file`, so that its entry there survives a
/// power loss. A file system that cannot sync a folder (EINVAL, ENOTSUP)
/// keeps its entries by other means, as SQLite assumes too.
#[cfg(unix)]
fn sync_folder(file: &Path) -> std::io::Result<()> {
    let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match std::fs::File::open(folder)?.sync_all() {
        // EINVAL, EOPNOTSUPP
        Err(e) if matches!(e.raw_os_error(), Some(22 | 95)) => Ok(()),
        other => other,
    }
}

/// Elsewhere the log is never trusted this way ([`file_id`] fails first).
#[cfg(not(unix))]
fn sync_folder(_file: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Elsewhere an open file cannot be removed: nothing to compare.
#[cfg(not(unix))]
fn file_id(_path: &Path) -> std::io::Result<FileId> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "no file identity"))
}

/// How many bytes of a file [`is_state_database`] needs.
pub const HEADER_LEN: usize = 72;

/// Whether `header`, the first [`HEADER_LEN`] bytes of a file (or more), are
/// those of a paycode state database, for a tool that tells its files apart
/// without opening one as a database: SQLite's magic string and this crate's
/// application id at offset 68; or, while the first transaction of a new
/// state database is still only in its write-ahead log (a connection has it
/// open), SQLite's magic string, WAL mode, and no application id yet.
pub fn is_state_database(header: &[u8]) -> bool {
    let id = header.get(68..HEADER_LEN);
    header.starts_with(b"SQLite format 3\0")
        && (id == Some(APPLICATION_ID.to_be_bytes().as_slice())
            || (id == Some([0; 4].as_slice()) && header.get(18..20) == Some([2, 2].as_slice())))
}

/// rusqlite's flags but `SQLITE_OPEN_CREATE`: no URI names, no SQLite mutex
/// (the store's lock guards the connection).
fn open_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_EXRESCODE
}

fn read_meta(c: &Connection) -> rusqlite::Result<(u64, u64)> {
    c.prepare_cached("SELECT high_water, quarantine FROM meta WHERE id = 0")?
        .query_row([], |r| Ok((from_sql(r.get(0)?), from_sql(r.get(1)?))))
}

/// The records of `identity` and the verifier-wide values, read inside the
/// write transaction.
fn read_records(
    tx: &Transaction<'_>,
    terminal: i64,
    identity: Identity,
) -> rusqlite::Result<Result<Records, StoreError>> {
    let (high_water, quarantine) = read_meta(tx)?;
    let subject = to_sql(identity.subject);
    let window = tx
        .prepare_cached(
            "SELECT high, bitmap, top FROM windows WHERE terminal = ?3 AND profile = ?1 AND subject = ?2",
        )?
        .query_row(params![profile_to_sql(identity.profile), subject, terminal], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })
        .optional()?;
    let window = match window {
        Some((high, bitmap, top)) => match u32_from_sql(high, "windows high") {
            Ok(high) => Some(Window { high, bitmap: from_sql(bitmap), top: from_sql(top) }),
            Err(e) => return Ok(Err(e)),
        },
        None => None,
    };
    let mark = tx
        .prepare_cached(
            "SELECT counter, step, until FROM marks WHERE terminal = ?3 AND profile = ?1 AND subject = ?2",
        )?
        .query_row(params![profile_to_sql(identity.profile), subject, terminal], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?))
        })
        .optional()?;
    let mark = match mark {
        Some((counter, step, until)) => match u32_from_sql(counter, "marks counter") {
            Ok(counter) => Some(Mark { counter, step: from_sql(step), until: until.map(from_sql) }),
            Err(e) => return Ok(Err(e)),
        },
        None => None,
    };
    let mut records = Records { high_water, quarantine, window, mark, ..Records::default() };
    match identity.profile {
        Profile::Ed25519 => {
            records.spent = tx
                .prepare_cached("SELECT spent, not_after FROM ledger WHERE terminal = ?2 AND serial = ?1")?
                .query_row([subject, terminal], |r| {
                    Ok(Spent { total: from_sql(r.get(0)?), not_after: from_sql(r.get(1)?) })
                })
                .optional()?;
            records.revoked = tx
                .prepare_cached("SELECT count(*) > 0 FROM revoked WHERE serial = ?1")?
                .query_row([subject], |r| r.get(0))?;
            records.fresh_until = tx
                .prepare_cached("SELECT fresh_until FROM revocation WHERE id = 0")?
                .query_row([], |r| r.get::<_, Option<i64>>(0))
                .optional()?
                .flatten()
                .map(from_sql);
        }
        Profile::Hmac => {
            records.budget = tx
                .prepare_cached("SELECT until FROM budgets WHERE account = ?1")?
                .query_row([subject], |r| r.get::<_, i64>(0))
                .optional()?
                .map_or(0, from_sql);
        }
    }
    Ok(Ok(records))
}

fn put_window(tx: &Transaction<'_>, terminal: i64, identity: Identity, w: Window) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO windows (terminal, profile, subject, high, bitmap, top) VALUES (?6, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (terminal, profile, subject) DO UPDATE
         SET high = excluded.high, bitmap = excluded.bitmap, top = excluded.top",
    )?
    .execute(params![
        profile_to_sql(identity.profile),
        to_sql(identity.subject),
        i64::from(w.high),
        to_sql(w.bitmap),
        to_sql(w.top),
        terminal
    ])
}

fn put_mark(tx: &Transaction<'_>, terminal: i64, identity: Identity, m: Mark) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO marks (terminal, profile, subject, counter, step, until) VALUES (?6, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (terminal, profile, subject) DO UPDATE
         SET counter = excluded.counter, step = excluded.step, until = excluded.until",
    )?
    .execute(params![
        profile_to_sql(identity.profile),
        to_sql(identity.subject),
        i64::from(m.counter),
        to_sql(m.step),
        m.until.map(to_sql),
        terminal
    ])
}

fn put_spent(tx: &Transaction<'_>, terminal: i64, serial: u64, s: Spent) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO ledger (terminal, serial, spent, not_after) VALUES (?4, ?1, ?2, ?3)
         ON CONFLICT (terminal, serial) DO UPDATE SET spent = excluded.spent, not_after = excluded.not_after",
    )?
    .execute(params![to_sql(serial), to_sql(s.total), to_sql(s.not_after), terminal])
}

fn put_budget(tx: &Transaction<'_>, account: u64, until: u64) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO budgets (account, until) VALUES (?1, ?2)
         ON CONFLICT (account) DO UPDATE SET until = excluded.until",
    )?
    .execute(params![to_sql(account), to_sql(until)])
}

fn put_source_budget(tx: &Transaction<'_>, terminal: u32, until: u64) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO source_budgets (terminal, until) VALUES (?1, ?2)
         ON CONFLICT (terminal) DO UPDATE SET until = excluded.until",
    )?
    .execute(params![i64::from(terminal), to_sql(until)])
}

fn put_nonce(tx: &Transaction<'_>, terminal: i64, used: UsedChallenge) -> rusqlite::Result<usize> {
    tx.prepare_cached("INSERT INTO nonces (terminal, nonce, closes) VALUES (?1, ?2, ?3)")?.execute(params![
        terminal,
        used.nonce.as_slice(),
        to_sql(used.closes)
    ])
}

/// A stored nonce and its time, checking the nonce's size.
fn used_challenge(nonce: &[u8], closes: i64) -> Result<UsedChallenge, StoreError> {
    let nonce = nonce.try_into().map_err(|_| corrupt(format!("a nonce of {} bytes", nonce.len())))?;
    Ok(UsedChallenge { nonce, closes: from_sql(closes) })
}

/// Appends `r`, its columns naming the identity's `subject` (an hmac
/// record's account, which its evidence carries as a handle) and the real
/// `counter`; the record itself is the evidence and its fields.
fn put_record(tx: &Transaction<'_>, r: &LogRecord, subject: u64, counter: u32) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "INSERT INTO log (kind, evidence, subject, counter, step, accepted_at, amount, terminal_id, challenge)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        i64::from(r.kind()),
        r.evidence(),
        to_sql(subject),
        i64::from(counter),
        to_sql(r.step()),
        to_sql(r.accepted_at),
        to_sql(r.amount),
        i64::from(r.terminal_id),
        r.challenge().map(|c| c.encode().to_vec()),
    ])
}

fn put_revocation_list(tx: &Transaction<'_>, list: &RevocationList) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO revocation (id, number, encoding, issued_at, fresh_until) VALUES (0, ?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET number = excluded.number, encoding = excluded.encoding,
             issued_at = excluded.issued_at, fresh_until = excluded.fresh_until",
        params![to_sql(list.number()), list.encode(), to_sql(list.issued_at()), to_sql(list.fresh_until())],
    )?;
    tx.execute("DELETE FROM revoked", [])?;
    let mut insert = tx.prepare_cached("INSERT OR IGNORE INTO revoked (serial) VALUES (?1)")?;
    for &serial in list.serials() {
        insert.execute([to_sql(serial)])?;
    }
    Ok(())
}

/// Writes the mark of a list the re-check uninstalled, as withdrawing it
/// leaves it: the number and issue time, no encoding, nothing revoked.
fn put_withdrawn_list(tx: &Transaction<'_>, floor: ListMark) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO revocation (id, number, encoding, issued_at, fresh_until) VALUES (0, ?1, X'', ?2, NULL)
         ON CONFLICT (id) DO UPDATE SET number = excluded.number, encoding = excluded.encoding,
             issued_at = excluded.issued_at, fresh_until = NULL",
        params![to_sql(floor.number), to_sql(floor.issued_at)],
    )?;
    tx.execute("DELETE FROM revoked", [])?;
    Ok(())
}

/// The mark of the list the re-check uninstalled, if the store holds one
/// (an empty encoding under a number).
fn read_withdrawn_floor(c: &Connection) -> rusqlite::Result<Option<ListMark>> {
    c.query_row(
        "SELECT number, issued_at FROM revocation WHERE id = 0 AND number <> 0 AND length(encoding) = 0",
        [],
        |r| Ok(ListMark { number: from_sql(r.get(0)?), issued_at: from_sql(r.get(1)?) }),
    )
    .optional()
}

fn read_revocation_list(c: &Connection) -> rusqlite::Result<Result<Option<RevocationList>, StoreError>> {
    let bytes: Option<Vec<u8>> =
        c.query_row("SELECT encoding FROM revocation WHERE id = 0", [], |r| r.get(0)).optional()?;
    // An empty encoding: a list uninstalled, whose number is only a floor.
    Ok(bytes
        .filter(|b| !b.is_empty())
        .map(|b| {
            RevocationList::decode(&b).map_err(|e| corrupt(format!("the installed revocation list: {e}")))
        })
        .transpose())
}

/// A write transaction of its own, which changes `user_version` (a write
/// that changes nothing writes no frame); see `SqliteStore::erase_failed_commit`.
fn overwrite_log_tail(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let erased: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    conn.pragma_update(None, "user_version", erased.wrapping_add(1) & i32::MAX)?;
    conn.execute_batch("COMMIT")
}

/// The kind of a SQLite failure, with a message that names the file and the
/// cause (spec: R-STATE-4).
fn classify(path: &Path, e: &rusqlite::Error) -> StoreError {
    let kind = match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => StoreErrorKind::Full,
        Some(ErrorCode::ReadOnly) => StoreErrorKind::ReadOnly,
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreErrorKind::Busy,
        Some(ErrorCode::DatabaseCorrupt) => StoreErrorKind::Corrupt,
        // Another kind of file: a mistaken path, not a damaged store.
        Some(ErrorCode::NotADatabase) => StoreErrorKind::Incompatible,
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => return cannot_open(path, e),
        // SQLite reports a failed write to its log or shared-memory file as
        // an i/o error, whatever the cause: find out whether it is space.
        Some(ErrorCode::SystemIoFailure) => match probe_folder(path) {
            Some((kind, cause)) => {
                return StoreError::new(kind, format!("{}: {e} ({cause})", path.display()));
            }
            None => StoreErrorKind::Other,
        },
        _ => StoreErrorKind::Other,
    };
    StoreError::new(kind, format!("{}: {e}", path.display()))
}

/// Writes and removes a small file beside `path`, to tell a full or
/// read-only file system from other i/o failures; only on a failure path.
fn probe_folder(path: &Path) -> Option<(StoreErrorKind, std::io::Error)> {
    use std::io::Write;
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let probe = folder.join(format!(".paycode-probe-{}", std::process::id()));
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut f| f.write_all(&[0; 64 * 1024]).and_then(|()| f.sync_data()));
    let _ = std::fs::remove_file(&probe);
    let e = result.err()?;
    match (e.raw_os_error(), e.kind()) {
        // ENOSPC, EDQUOT
        (Some(28 | 122), _) | (_, std::io::ErrorKind::StorageFull) => Some((StoreErrorKind::Full, e)),
        (_, std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied) => {
            Some((StoreErrorKind::ReadOnly, e))
        }
        _ => None,
    }
}

/// The kind of a failure to make a new database file, with its cause.
fn cannot_create(path: &Path, e: &std::io::Error) -> StoreError {
    use std::io::ErrorKind as Io;
    let kind = match e.kind() {
        Io::AlreadyExists => StoreErrorKind::Other,
        Io::ReadOnlyFilesystem | Io::PermissionDenied => StoreErrorKind::ReadOnly,
        Io::StorageFull => StoreErrorKind::Full,
        _ => StoreErrorKind::Unavailable,
    };
    StoreError::new(kind, format!("{}: cannot create the state database: {e}", path.display()))
}

/// SQLite could not open the file or one beside it (its write-ahead log): a
/// read-only file system or folder, a missing folder, or no permission.
fn cannot_open(path: &Path, e: &rusqlite::Error) -> StoreError {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Opening for writing without changing anything tells a read-only file
    // system (EROFS) or file from the rest.
    let probe = std::fs::OpenOptions::new().append(true).open(path);
    let read_only = match &probe {
        Err(p) => {
            matches!(p.kind(), std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied)
        }
        Ok(_) => std::fs::metadata(folder).is_ok_and(|m| m.permissions().readonly()),
    };
    if read_only {
        let cause = match probe {
            Err(p) => format!("{}: {p} ({e})", path.display()),
            Ok(_) => format!("{}: the folder {} is read-only ({e})", path.display(), folder.display()),
        };
        return StoreError::new(StoreErrorKind::ReadOnly, cause);
    }
    StoreError::new(StoreErrorKind::Unavailable, format!("{}: {e}", path.display()))
}
