//! The verifier's state in PostgreSQL, shared by the nodes of a fleet.
//!
//! A verification is one read-committed transaction in two round trips,
//! each a pipeline of statements (spec §8.8, the notes for implementers):
//!
//! 1. `BEGIN`; lock the identity's rows with `SELECT … FOR UPDATE` (its
//!    window, and its ledger entry or failure budget); then read `T_hw`,
//!    `Q` and whether the serial is revoked, in a statement of its own, so
//!    that its snapshot is taken after the locks are held (spec: R-STATE-8).
//!    A numeric code's call then locks its source's budget with an upsert
//!    that creates the row if absent (one more round trip, for numeric codes
//!    only; spec: R-HMAC-8).
//! 2. The core decides on those records; then one statement writes every
//!    changed row and the log record, and `COMMIT`.
//!
//! A row that was absent is written with a plain `INSERT`: if another node
//! inserted it meanwhile, the insert fails with a unique violation and the
//! whole step is retried on the records as they are then, as it is after a
//! deadlock or a serialization failure. So the outcome on one identity is
//! that of the calls one after another (spec: R-STATE-3), while calls on
//! different identities take different row locks and run in parallel.
//! `T_hw` is written only when a call raises it, with an update that keeps
//! the larger value (spec: R-STATE-7).
//!
//! A challenge code's nonce (spec: R-CHAL-4) is read in the statement that
//! reads `T_hw`, and inserted with the other changes. Two codes for one
//! challenge are two payers' codes, on two identities that lock different
//! rows, perhaps at two nodes; under read committed the read of an absent
//! row locks nothing, so both may find the nonce absent and decide to
//! accept. The primary key `(terminal, nonce)` decides between them: the
//! second insert waits for the first transaction, and fails with a unique
//! violation once that commits, and then the whole step is retried, as for
//! any row inserted first by another node, and reads the nonce as used
//! (`challenge-used`); if the first rolls back, the second insert goes
//! through. Exactly one is accepted, and the outcome is that of the calls
//! one after another (spec: R-REPLAY-3). An advisory lock on the nonce would
//! order the same calls with one more lock per call, and on a 64-bit hash
//! of the nonce; the key does it with the write the acceptance makes anyway,
//! and calls without a nonce, or with different ones, never wait on it.
//!
//! The store is synchronous, as [`StateStore`] is. Each pooled connection
//! has a single-threaded runtime of its own, and the thread that makes a call
//! drives the connection itself while it waits for the answers: no hand-off
//! to other threads on the way to the server and back. So the store must not
//! be called on a thread of another async runtime (it returns a
//! [`StoreErrorKind::Other`] error there instead of blocking that runtime):
//! an async service calls the verifier on threads of its own.

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use paycode::log::LogRecord;
use paycode::replay::{Snapshot, Window};
use paycode::revocation::ListMark;
use paycode::store::{
    Call, Eviction, Identity, Mark, Records, Spent, StateStore, StoreError, StoreErrorKind,
};
use paycode::trust::TrustList;
use paycode::{Profile, RevocationList, UsedChallenge, VerifierState};
use tokio::runtime::Runtime;
use tokio_postgres::error::{Severity, SqlState};
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, Connection, NoTls, Socket, Statement};

use crate::codec::{corrupt, from_sql, profile_from_sql, profile_to_sql, to_sql, u32_from_sql, u64_below};
use crate::{Contents, SCHEMA_VERSION, Scope, TokenRow};

/// The schema, one step per version: `MIGRATIONS[v]` takes a database at
/// version `v` to `v + 1`. The tables are those of the SQLite store, in
/// PostgreSQL's types; the README of this crate documents them.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    "CREATE TABLE schema_version (version integer NOT NULL);
     INSERT INTO schema_version VALUES (0);
     CREATE TABLE meta (
         id smallint PRIMARY KEY CHECK (id = 0),
         high_water bigint NOT NULL,
         quarantine bigint NOT NULL) WITH (fillfactor = 50);
     INSERT INTO meta VALUES (0, 0, 0);
     CREATE TABLE windows (
         profile smallint NOT NULL,
         subject bigint NOT NULL,
         high bigint NOT NULL,
         bitmap bigint NOT NULL,
         top bigint NOT NULL,
         PRIMARY KEY (profile, subject)) WITH (fillfactor = 80);
     CREATE TABLE ledger (
         serial bigint PRIMARY KEY,
         spent bigint NOT NULL,
         not_after bigint NOT NULL) WITH (fillfactor = 80);
     CREATE TABLE throttle (
         account bigint PRIMARY KEY,
         step bigint NOT NULL,
         failures bigint NOT NULL) WITH (fillfactor = 80);
     CREATE TABLE revocation (
         id smallint PRIMARY KEY CHECK (id = 0),
         number bigint NOT NULL,
         encoding bytea NOT NULL);
     INSERT INTO revocation VALUES (0, 0, '');
     CREATE TABLE revoked (serial bigint PRIMARY KEY);
     CREATE TABLE log (
         seq bigserial PRIMARY KEY,
         profile smallint NOT NULL,
         key_id bigint NOT NULL,
         subject bigint NOT NULL,
         counter bigint NOT NULL,
         step bigint NOT NULL,
         accepted_at bigint NOT NULL,
         amount bigint NOT NULL,
         terminal_id bigint NOT NULL);",
    // Version 2: replay windows and ledger entries per terminal, for a
    // service that verifies the codes several terminals forward; a store of
    // one verifier keeps everything under terminal 0.
    "ALTER TABLE windows ADD COLUMN terminal bigint NOT NULL DEFAULT 0;
     ALTER TABLE windows DROP CONSTRAINT windows_pkey;
     ALTER TABLE windows ADD PRIMARY KEY (terminal, profile, subject);
     ALTER TABLE ledger ADD COLUMN terminal bigint NOT NULL DEFAULT 0;
     ALTER TABLE ledger DROP CONSTRAINT ledger_pkey;
     ALTER TABLE ledger ADD PRIMARY KEY (terminal, serial);",
    // Version 3: the verification service's bearer tokens.
    "CREATE TABLE tokens (
         id bytea PRIMARY KEY,
         hash bytea NOT NULL,
         terminal_id bigint NOT NULL,
         name text NOT NULL,
         created_at bigint NOT NULL,
         revoked_at bigint);",
    // Version 4: the counter marks (spec: R-REPLAY-7), which outlive the
    // windows; `until` is the ed25519 credential's `not_after`, null for an
    // hmac account's mark. A store written before marks existed gets one for
    // each window, as in the SQLite store's migration.
    "CREATE TABLE marks (
         terminal bigint NOT NULL,
         profile smallint NOT NULL,
         subject bigint NOT NULL,
         counter bigint NOT NULL,
         step bigint NOT NULL,
         until bigint,
         PRIMARY KEY (terminal, profile, subject)) WITH (fillfactor = 80);
     INSERT INTO marks (terminal, profile, subject, counter, step, until)
         SELECT w.terminal, w.profile, w.subject, w.high, w.top,
                (SELECT l.not_after FROM ledger l
                 WHERE w.profile = 2 AND l.terminal = w.terminal AND l.serial = w.subject)
         FROM windows w;",
    // Version 5: the nonce set `N` (spec: R-CHAL-4), as in the SQLite
    // store's migration; a migrated store's set is empty.
    "CREATE TABLE nonces (
         terminal bigint NOT NULL,
         nonce bytea NOT NULL CHECK (length(nonce) = 16),
         closes bigint NOT NULL,
         PRIMARY KEY (terminal, nonce));",
    // Version 6: the revocation list gains `next_update` and `grace`, as in
    // the SQLite store's migration: a list installed before is uninstalled,
    // its number kept as the floor; `fresh_until` is null when none is installed.
    "ALTER TABLE revocation ADD COLUMN issued_at bigint NOT NULL DEFAULT 0,
         ADD COLUMN fresh_until bigint;
     UPDATE revocation SET encoding = '', fresh_until = NULL;
     DELETE FROM revoked;",
    // Version 7: the numeric failure budgets (spec: R-HMAC-7, R-HMAC-8)
    // replace the per-step throttle, as in the SQLite store's migration; no
    // throttle record carries over.
    "CREATE TABLE budgets (
         account bigint PRIMARY KEY,
         until bigint NOT NULL) WITH (fillfactor = 80);
     CREATE TABLE source_budgets (
         terminal bigint PRIMARY KEY,
         until bigint NOT NULL) WITH (fillfactor = 50);
     DROP TABLE throttle;",
    // Version 8: log records that carry their evidence (spec §4.8): the
    // code's payload (or `N`) and the challenge. A record of an earlier version has
    // neither, so it proves nothing (spec: R-LOG-2); its rows stay, as they
    // were, in `log_v7`, which nothing reads or exports, and the new log
    // starts empty.
    "ALTER TABLE log RENAME TO log_v7;
     ALTER INDEX log_pkey RENAME TO log_v7_pkey;
     ALTER SEQUENCE log_seq_seq RENAME TO log_v7_seq_seq;
     CREATE TABLE log (
         seq bigserial PRIMARY KEY,
         kind smallint NOT NULL,
         evidence bytea NOT NULL,
         subject bigint NOT NULL,
         counter bigint NOT NULL,
         step bigint NOT NULL,
         accepted_at bigint NOT NULL,
         amount bigint NOT NULL,
         terminal_id bigint NOT NULL,
         challenge bytea);",
    // Version 9: the installed trust list (spec §4.6), as in SQLite: only a
    // newer one replaces it (spec: R-TRUST-4). Sequence 0 with an empty
    // encoding: none installed.
    "CREATE TABLE trust (
         id smallint PRIMARY KEY CHECK (id = 0),
         sequence bigint NOT NULL,
         issued_at bigint NOT NULL,
         encoding bytea NOT NULL);
     INSERT INTO trust VALUES (0, 0, 0, '');",
];

/// The advisory lock that serializes schema creation and migration between nodes.
const MIGRATION_LOCK: i64 = 0x7061_7963_6f64_6531;

/// How a [`PostgresStore`] connects and how long it waits.
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    /// Most connections open at once; a call waits for a free one up to
    /// `lock_timeout`, then fails with [`StoreErrorKind::Busy`].
    pub max_connections: usize,
    /// How long opening a connection may take before the store counts as unavailable.
    pub connect_timeout: Duration,
    /// How long a call waits for another call's row locks (PostgreSQL's
    /// `lock_timeout`) before it fails with [`StoreErrorKind::Busy`].
    pub lock_timeout: Duration,
    /// How long one attempt at a call may take in all; past it the
    /// connection is dropped and the store counts as unavailable (a server
    /// that stopped answering). A call whose `COMMIT` was sent and whose
    /// answer was lost then takes as long again at most to find out whether
    /// it committed, on a connection of its own.
    pub operation_timeout: Duration,
    /// Attempts at a call that fails to serialize (a deadlock, a
    /// serialization failure, a row another node inserted first) before it
    /// fails with [`StoreErrorKind::Busy`].
    pub max_attempts: u32,
}

impl Default for PostgresOptions {
    fn default() -> PostgresOptions {
        PostgresOptions {
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(15),
            max_attempts: 20,
        }
    }
}

/// A verifier's state in a PostgreSQL database, shared by every node that
/// connects to it. A pool of connections: share one store between the
/// threads of a node.
pub struct PostgresStore {
    config: Config,
    options: PostgresOptions,
    target: String,
    pool: Mutex<Pool>,
    freed: Condvar,
    /// A `T_hw` this node has read or written: the stored one is at least
    /// this (it never decreases), so a call below it need not write (spec: R-STATE-7).
    known_high_water: AtomicU64,
}

struct Pool {
    idle: Vec<Pooled>,
    open: usize,
}

/// A pooled connection: what its calls use, and what carries their messages.
struct Pooled {
    conn: Conn,
    driver: Driver,
}

/// The runtime and the connection's I/O of one connection: the calling
/// thread runs them while it waits for a call's answers.
struct Driver {
    /// `None` only while dropping.
    rt: Option<Runtime>,
    /// `None` once the connection has ended.
    connection: Option<Pin<Box<Connection<Socket, NoTlsStream>>>>,
}

impl Driver {
    /// Opens a connection within `limit`.
    fn connect(config: &Config, limit: Duration) -> Result<(Client, Driver), Failure> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
            Failure::Store(StoreError::new(
                StoreErrorKind::Other,
                format!("cannot start a client runtime: {e}"),
            ))
        })?;
        let connected = rt.block_on(async { tokio::time::timeout(limit, config.connect(NoTls)).await });
        match connected {
            Ok(Ok((client, connection))) => {
                Ok((client, Driver { rt: Some(rt), connection: Some(Box::pin(connection)) }))
            }
            Ok(Err(e)) => Err(Failure::Db(e)),
            Err(_) => Err(Failure::Timeout),
        }
    }

    /// Runs `fut` to completion on this thread, driving the connection
    /// meanwhile; `None` only if the runtime is gone.
    fn block_on<F: Future>(&mut self, fut: F) -> Option<F::Output> {
        let Driver { rt, connection } = self;
        let mut fut = pin!(fut);
        Some(rt.as_ref()?.block_on(poll_fn(|cx| {
            if let Poll::Ready(v) = fut.as_mut().poll(cx) {
                return Poll::Ready(v);
            }
            if let Some(c) = connection
                && c.as_mut().poll(cx).is_ready()
            {
                // The connection ended (the server went away, or closed
                // it): the client's calls now fail, which `fut` sees.
                *connection = None;
                return fut.as_mut().poll(cx);
            }
            Poll::Pending
        })))
    }

    /// Reads what the server sent while the connection was idle, so that a
    /// connection the server has closed is known to be closed before a call
    /// sends anything on it.
    fn refresh(&mut self) {
        let _ = self.block_on(async {
            // Yielding lets the runtime poll the socket once without waiting.
            for _ in 0..2 {
                tokio::task::yield_now().await;
            }
        });
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Without blocking: a connection may be dropped on an async runtime's thread.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// One connection's client and prepared statements.
struct Conn {
    client: Client,
    lock_window: Statement,
    lock_mark: Statement,
    lock_ledger: Statement,
    lock_budget: Statement,
    lock_source: Statement,
    write_source: Statement,
    read_shared: Statement,
    write: Statement,
    raise: Statement,
    read_meta: Statement,
    /// The statements of [`StateStore::transact_all`], on many identities at once.
    many: Many,
    /// The server this connection reached ([`SERVER`]).
    server: Arc<str>,
}

/// The prepared statements of a transaction on several identities.
struct Many {
    lock_windows: Statement,
    lock_marks: Statement,
    lock_ledger: Statement,
    lock_budgets: Statement,
    read_shared: Statement,
    write: Statement,
}

/// A transaction whose `COMMIT` was sent: its id and its session's process,
/// read in its first round trip, the server it ran on, and the `T_hw` it
/// leaves if it commits. Until the answer arrives its outcome is unknown; if
/// the answer is lost (the connection ends, or the node stops waiting for
/// it), [`PostgresStore::settle`] asks the server over another connection.
#[derive(Clone, Debug)]
struct Sent {
    xid: i64,
    pid: i32,
    server: Arc<str>,
    high_water: u64,
    /// The evidence of the first log record the transaction writes, if it
    /// writes one: what shows that a committed transaction of this id is
    /// this one, and not one that was given the id again after a crash.
    evidence: Option<Vec<u8>>,
}

/// Names the server a connection reached: its address and port, and when it
/// started (in seconds since 1970, whatever the session's time zone). A
/// transaction id is looked up only on the server, and in the run of it,
/// that gave it out: after a restart or a failover to another server, the
/// same id may name another transaction, or none yet. A crash of a server
/// process restarts the others without a new start time, and an id that
/// never reached the disk may then be given out again: so a transaction
/// that wrote a log record is known as committed by that record
/// ([`Sent::evidence`]).
const SERVER: &str = "SELECT coalesce(inet_server_addr()::text, 'local') || ':' ||
                             coalesce(inet_server_port()::text, '') || ' started ' ||
                             extract(epoch FROM pg_postmaster_start_time())::text";

/// Marks `sent` as the transaction whose `COMMIT` goes out next, then sends
/// `write` and the `COMMIT` in one round trip. A write the server refused
/// aborted the transaction, and the `COMMIT` behind it rolled it back: the
/// outcome is known. So is a `COMMIT` the server answered. Only an answer
/// that never came, or a session that ended (FATAL, PANIC), leaves `sent`
/// set.
async fn write_and_commit<W>(
    c: &Client,
    write: W,
    sent: &Cell<Option<Sent>>,
    txn: Sent,
) -> Result<(), tokio_postgres::Error>
where
    W: Future<Output = Result<u64, tokio_postgres::Error>>,
{
    sent.set(Some(txn));
    let (write, commit) = tokio::join!(biased; write, c.batch_execute("COMMIT"));
    // An answer to the COMMIT comes only after the write's: a write whose
    // answer was lost leaves the COMMIT's lost too. An error of severity
    // ERROR rolled the transaction back; a FATAL or PANIC may have come
    // after the commit was written, so its outcome is asked.
    let refused = |e: Option<&tokio_postgres::Error>| {
        e.and_then(tokio_postgres::Error::as_db_error)
            .is_some_and(|d| d.parsed_severity() == Some(Severity::Error))
    };
    if commit.is_ok() || refused(write.as_ref().err()) || refused(commit.as_ref().err()) {
        sent.set(None);
    }
    write?;
    commit?;
    sent.set(None);
    Ok(())
}

/// What the server says of a transaction whose `COMMIT`'s answer was lost.
enum Asked {
    Committed,
    RolledBack,
    /// Still running, or committing: ask again.
    InProgress,
    /// The server cannot tell (another server, or one that restarted).
    Unknowable(String),
}

/// Asks `client`'s server what became of `txn` ([`PostgresStore::outcome`]).
async fn ask(client: &Client, txn: &Sent, xid32: &str) -> Result<Asked, tokio_postgres::Error> {
    let server: String = client.query_one(SERVER, &[]).await?.get(0);
    if *server != *txn.server {
        return Ok(Asked::Unknowable(format!(
            "the transaction ran on {}, and the server reached now is {server}",
            txn.server
        )));
    }
    let status: Option<String> =
        client.query_one("SELECT pg_xact_status($1::bigint::text::xid8)", &[&txn.xid]).await?.get(0);
    match status.as_deref() {
        Some("committed") => {
            if let Some(evidence) = &txn.evidence {
                let found: bool = client
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM log WHERE xmin = $1::bigint::text::xid AND evidence = $2)",
                        &[&(txn.xid & 0xFFFF_FFFF), evidence],
                    )
                    .await?
                    .get(0);
                if !found {
                    return Ok(Asked::Unknowable(
                        "a transaction of that id committed without this call's log record: the id was given \
                         out again after a crash of the server"
                            .to_owned(),
                    ));
                }
            }
            // A commit after it, on this connection: confirmed by the
            // synchronous standbys, if any, once it returns. It must write
            // to the log of changes, or its commit would not wait for them:
            // an update that changes no value does.
            client
                .batch_execute("BEGIN; UPDATE meta SET high_water = high_water WHERE id = 0; COMMIT")
                .await?;
            Ok(Asked::Committed)
        }
        Some("aborted") => Ok(Asked::RolledBack),
        Some(_) => {
            client
                .execute(
                    "SELECT pg_terminate_backend(pid, 1000) FROM pg_stat_activity
                     WHERE pid = $1 AND backend_xid::text = $2 AND wait_event IS DISTINCT FROM 'SyncRep'",
                    &[&txn.pid, &xid32],
                )
                .await?;
            Ok(Asked::InProgress)
        }
        None => Ok(Asked::Unknowable("the server no longer knows the transaction".to_owned())),
    }
}

/// What failed in one attempt.
enum Failure {
    Db(tokio_postgres::Error),
    Timeout,
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Failure {
        Failure::Db(e)
    }
}

impl core::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PostgresStore").field("target", &self.target).finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgresql://` URL or a
    /// `key=value` string, as libpq takes them), whose paycode schema
    /// [`PostgresStore::create`] made; an older schema is migrated forward.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Unavailable`] if the server cannot be reached;
    /// [`StoreErrorKind::Incompatible`] if the database has no paycode
    /// schema or a newer one; else as the database fails.
    pub fn connect(url: &str, options: PostgresOptions) -> Result<PostgresStore, StoreError> {
        let store = PostgresStore::new(url, options)?;
        store.migrate(false)?;
        Ok(store)
    }

    /// Creates the paycode schema in the database at `url` and connects.
    /// The database itself must exist.
    ///
    /// # Errors
    ///
    /// As [`PostgresStore::connect`]; [`StoreErrorKind::Other`] if the
    /// database holds the paycode schema already.
    pub fn create(url: &str, options: PostgresOptions) -> Result<PostgresStore, StoreError> {
        let store = PostgresStore::new(url, options)?;
        store.migrate(true)?;
        Ok(store)
    }

    /// The acceptance log in the order of its sequence numbers: of
    /// `terminal` only, or of every terminal (spec §10.3).
    /// [`crate::encode_log`] gives the spec's bytes. Records of transactions
    /// that commit at the same time may be numbered in a different order
    /// than they commit; the set is complete for every commit before the call.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be read.
    pub fn export_log(&self, terminal: Option<u32>) -> Result<Vec<LogRecord>, StoreError> {
        let terminal = terminal.map(i64::from);
        let rows = self.run(|conn| async move {
            let rows = conn
                .client
                .query(
                    "SELECT kind, evidence, subject, counter, step, accepted_at, amount, terminal_id, challenge
                     FROM log WHERE $1::bigint IS NULL OR terminal_id = $1 ORDER BY seq",
                    &[&terminal],
                )
                .await;
            (conn, rows.map_err(Failure::Db))
        })?;
        rows.iter()
            .map(|r| {
                let terminal: i64 = r.get(7);
                crate::record_from_columns(crate::RecordColumns {
                    kind: r.get(0),
                    evidence: r.get(1),
                    step: from_sql(r.get(4)),
                    accepted_at: from_sql(r.get(5)),
                    amount: from_sql(r.get(6)),
                    terminal_id: u32_from_sql(terminal, "log terminal_id")?,
                    challenge: r.get(8),
                })
            })
            .collect()
    }

    /// Loads a verifier's state saved elsewhere, failure budgets included,
    /// as one transaction, into a store that holds nothing yet (see
    /// [`crate::SqliteStore::import`]).
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Other`] if the store holds state already, the hmac
    /// snapshot has ledger entries, or the state lists a record twice or
    /// gives its revocation list inconsistently; else as the database fails.
    pub fn import(&self, state: &VerifierState) -> Result<(), StoreError> {
        if !state.hmac.spent.is_empty() {
            return Err(StoreError::new(
                StoreErrorKind::Other,
                "the hmac state has ledger entries, which no verifier writes",
            ));
        }
        crate::check_state(state)?;
        crate::held_list(state)?;
        let target = self.target.clone();
        self.run(|conn| {
            let target = target.clone();
            async move {
                let r = import_rows(&conn.client, state, &target).await;
                (conn, r)
            }
        })?;
        self.known_high_water
            .fetch_max(state.hmac.high_water.max(state.ed25519.high_water), Ordering::AcqRel);
        Ok(())
    }

    /// Everything the store holds but its log, as one consistent view.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be read, or holds values this
    /// version cannot have written.
    pub fn contents(&self) -> Result<Contents, StoreError> {
        self.run(|conn| async move {
            let r = read_contents(&conn.client).await;
            (conn, r)
        })
    }

    /// Stores a new token.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be written or holds a token with this id.
    pub fn insert_token(&self, token: &TokenRow) -> Result<(), StoreError> {
        let (id, hash) = (token.id.as_slice(), token.hash.as_slice());
        let (terminal, name) = (i64::from(token.terminal_id), token.name.as_str());
        let (created, revoked) = (to_sql(token.created_at), token.revoked_at.map(to_sql));
        self.run(|conn| async move {
            let r = conn
                .client
                .execute(
                    "INSERT INTO tokens (id, hash, terminal_id, name, created_at, revoked_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&id, &hash, &terminal, &name, &created, &revoked],
                )
                .await;
            (conn, r.map(|_| ()).map_err(Failure::Db))
        })
    }

    /// Every token, revoked ones included, oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be read or holds a malformed token.
    pub fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let rows = self.run(|conn| async move {
            let r = conn
                .client
                .query(
                    "SELECT id, hash, terminal_id, name, created_at, revoked_at FROM tokens
                     ORDER BY created_at, id",
                    &[],
                )
                .await;
            (conn, r.map_err(Failure::Db))
        })?;
        rows.iter()
            .map(|r| {
                let (id, hash): (&[u8], &[u8]) = (r.get(0), r.get(1));
                crate::token_row(id, hash, r.get(2), r.get(3), r.get(4), r.get(5))
            })
            .collect()
    }

    /// Marks token `id` revoked at `at`; returns whether it was live until now.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the database cannot be written.
    pub fn revoke_token(&self, id: [u8; 8], at: u64) -> Result<bool, StoreError> {
        let (id, at) = (id.as_slice(), to_sql(at));
        self.run(|conn| async move {
            let r = conn
                .client
                .execute(
                    "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                    &[&id, &at],
                )
                .await;
            (conn, r.map(|n| n > 0).map_err(Failure::Db))
        })
    }

    fn new(url: &str, options: PostgresOptions) -> Result<PostgresStore, StoreError> {
        let mut config = Config::from_str(url)
            .map_err(|e| StoreError::new(StoreErrorKind::Unavailable, format!("bad PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("paycode");
        }
        let target = describe(&config);
        Ok(PostgresStore {
            config,
            options,
            target,
            pool: Mutex::new(Pool { idle: Vec::new(), open: 0 }),
            freed: Condvar::new(),
            known_high_water: AtomicU64::new(0),
        })
    }

    /// Creates or checks the schema on a connection of its own, before the
    /// pool's connections prepare their statements on it.
    fn migrate(&self, create: bool) -> Result<(), StoreError> {
        self.blocking_allowed()?;
        let outcome =
            Driver::connect(&self.config, self.options.connect_timeout).and_then(|(client, mut driver)| {
                let limit = self.options.operation_timeout;
                let work =
                    async { tokio::time::timeout(limit, migrate(&client, create, &self.target)).await };
                match driver.block_on(work) {
                    Some(Ok(r)) => r,
                    Some(Err(_)) | None => Err(Failure::Timeout),
                }
            });
        match outcome {
            Ok(()) => Ok(()),
            Err(Failure::Db(e)) => Err(self.error(&e)),
            Err(Failure::Store(e)) => Err(e),
            Err(Failure::Timeout) => Err(self.timeout()),
        }
    }

    /// Refuses to block a thread of an async runtime.
    fn blocking_allowed(&self) -> Result<(), StoreError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(StoreError::new(
                StoreErrorKind::Other,
                "PostgresStore called on an async runtime's thread; call the verifier on a thread of its own",
            ));
        }
        Ok(())
    }

    fn lock_pool(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An idle connection, or a new one if fewer than the maximum are open.
    fn checkout(&self) -> Result<Pooled, StoreError> {
        let mut pool = self.lock_pool();
        loop {
            if let Some(mut pooled) = pool.idle.pop() {
                drop(pool);
                pooled.driver.refresh();
                if !pooled.conn.client.is_closed() {
                    return Ok(pooled);
                }
                drop(pooled);
                pool = self.lock_pool();
                pool.open = pool.open.saturating_sub(1);
                continue;
            }
            if pool.open < self.options.max_connections.max(1) {
                pool.open += 1;
                drop(pool);
                let conn = self.open_connection();
                if conn.is_err() {
                    self.discard();
                }
                return conn;
            }
            let (guard, wait) = self
                .freed
                .wait_timeout(pool, self.options.lock_timeout)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pool = guard;
            if wait.timed_out() && pool.idle.is_empty() {
                return Err(StoreError::new(
                    StoreErrorKind::Busy,
                    format!(
                        "{}: all {} connections stayed in use for {:?}",
                        self.target, self.options.max_connections, self.options.lock_timeout
                    ),
                ));
            }
        }
    }

    fn checkin(&self, pooled: Pooled) {
        self.lock_pool().idle.push(pooled);
        self.freed.notify_one();
    }

    /// Forgets a connection that is gone or in an unknown state.
    fn discard(&self) {
        let mut pool = self.lock_pool();
        pool.open = pool.open.saturating_sub(1);
        drop(pool);
        self.freed.notify_one();
    }

    fn open_connection(&self) -> Result<Pooled, StoreError> {
        let lock_timeout = self.options.lock_timeout.as_millis();
        let opened =
            Driver::connect(&self.config, self.options.connect_timeout).and_then(|(client, mut driver)| {
                // The prepared statements' plans do not depend on their values:
                // plan them once per connection, not at every call.
                let setup = async {
                    client
                        .batch_execute(&format!(
                            "SET lock_timeout = {lock_timeout}; SET plan_cache_mode = force_generic_plan"
                        ))
                        .await?;
                    prepare(client).await
                };
                match driver
                    .block_on(async { tokio::time::timeout(self.options.connect_timeout, setup).await })
                {
                    Some(Ok(Ok(conn))) => Ok(Pooled { conn, driver }),
                    Some(Ok(Err(e))) => Err(Failure::Db(e)),
                    Some(Err(_)) | None => Err(Failure::Timeout),
                }
            });
        match opened {
            Ok(pooled) => Ok(pooled),
            Err(Failure::Db(e)) => Err(self.error(&e)),
            Err(Failure::Store(e)) => Err(e),
            Err(Failure::Timeout) => Err(StoreError::new(
                StoreErrorKind::Unavailable,
                format!("{}: no connection within {:?}", self.target, self.options.connect_timeout),
            )),
        }
    }

    /// Runs `f` on a pooled connection, retrying what failed to serialize.
    /// `f` gets the connection and gives it back with its result; a
    /// connection whose transaction failed is rolled back before it is reused.
    fn run<T, F, Fut>(&self, mut f: F) -> Result<T, StoreError>
    where
        F: FnMut(Conn) -> Fut,
        Fut: Future<Output = (Conn, Result<T, Failure>)>,
    {
        self.blocking_allowed()?;
        let mut attempt = 1;
        loop {
            let Pooled { conn, mut driver } = self.checkout()?;
            let closed = conn.client.is_closed();
            let outcome = driver.block_on(async {
                let fut = f(conn);
                tokio::time::timeout(self.options.operation_timeout, fut).await
            });
            let failure = match outcome {
                Some(Ok((conn, Ok(value)))) => {
                    self.checkin(Pooled { conn, driver });
                    return Ok(value);
                }
                Some(Ok((conn, Err(failure)))) => {
                    self.recover(Pooled { conn, driver });
                    failure
                }
                Some(Err(_)) | None => {
                    // The connection is in an unknown state: it was dropped with the future.
                    drop(driver);
                    self.discard();
                    Failure::Timeout
                }
            };
            match failure {
                Failure::Db(e) if retryable(&e) && attempt < self.options.max_attempts && !closed => {
                    attempt += 1;
                    std::thread::sleep(backoff(attempt));
                }
                Failure::Db(e) => return Err(self.retries_error(&e, attempt)),
                Failure::Timeout => return Err(self.timeout()),
                Failure::Store(e) => return Err(e),
            }
        }
    }

    /// Ends a failed transaction and returns the connection to the pool, or
    /// forgets it when it cannot be made clean.
    fn recover(&self, mut pooled: Pooled) {
        if pooled.conn.client.is_closed() {
            drop(pooled);
            self.discard();
            return;
        }
        let limit = self.options.operation_timeout;
        let client = &pooled.conn.client;
        let rollback = pooled
            .driver
            .block_on(async { tokio::time::timeout(limit, client.batch_execute("ROLLBACK")).await });
        match rollback {
            Some(Ok(Ok(()))) => self.checkin(pooled),
            _ => {
                drop(pooled);
                self.discard();
            }
        }
    }

    fn error(&self, e: &tokio_postgres::Error) -> StoreError {
        classify(&self.target, e)
    }

    fn retries_error(&self, e: &tokio_postgres::Error, attempts: u32) -> StoreError {
        if retryable(e) {
            return StoreError::new(
                StoreErrorKind::Busy,
                format!("{}: {attempts} attempts failed to serialize; last: {}", self.target, message(e)),
            );
        }
        self.error(e)
    }

    fn timeout(&self) -> StoreError {
        StoreError::new(
            StoreErrorKind::Unavailable,
            format!("{}: no answer within {:?}", self.target, self.options.operation_timeout),
        )
    }

    /// The outcome of transaction `txn`, whose `COMMIT` was sent and whose
    /// answer was lost (`cause`), asked of the server ([`PostgresStore::outcome`]).
    /// Committed: the call succeeded, as if the answer had come. Rolled back:
    /// `cause`, and the call changed nothing (spec: R-STATE-4). If the server
    /// cannot tell, an error that says the outcome is unknown and names the
    /// transaction.
    fn settle(&self, txn: &Sent, cause: StoreError) -> Result<(), StoreError> {
        match self.outcome(txn) {
            Ok(true) => {
                self.note_high_water(txn.high_water);
                Ok(())
            }
            Ok(false) => Err(cause),
            Err(why) => {
                // The cause alone: the error names its kind once when shown.
                let cause =
                    std::error::Error::source(&cause).map_or_else(|| cause.to_string(), ToString::to_string);
                Err(StoreError::new(
                    StoreErrorKind::InDoubt,
                    format!(
                        "{cause}; whether transaction {} (xmin {}) committed is unknown: {why}",
                        txn.xid,
                        txn.xid & 0xFFFF_FFFF
                    ),
                ))
            }
        }
    }

    /// Whether transaction `txn` committed (`false`: it rolled back), asked
    /// within `operation_timeout` on a connection of its own (the pool's may
    /// all be taken, or as cut off as the one that was lost), opened again
    /// after a failure until then. It is asked of the server that gave the
    /// id out only.
    ///
    /// A session that still holds the transaction open (it has not yet seen
    /// its connection end) is ended, which rolls it back; a commit under way
    /// completes first. A session waiting for synchronous standbys to
    /// confirm its commit is left to wait: ended, its commit would stand on
    /// the primary alone. A commit is reported only once a transaction of
    /// the settling connection's own has committed after it, so that the
    /// standbys that confirm that one hold the lost one too.
    fn outcome(&self, txn: &Sent) -> Result<bool, String> {
        let limit = self.options.operation_timeout;
        let deadline = std::time::Instant::now() + limit;
        let xid32 = (txn.xid & 0xFFFF_FFFF).to_string();
        let mut link: Option<(Client, Driver)> = None;
        let mut last = String::from("no connection");
        // Between looks: from 50 ms, doubled up to a second.
        let mut pause = Duration::from_millis(50);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(format!("no answer within {limit:?} ({last})"));
            }
            let (client, driver) = match link.take() {
                Some(open) if !open.0.is_closed() => open,
                _ => match Driver::connect(&self.config, left) {
                    Ok(open) => open,
                    Err(e) => {
                        last = match e {
                            Failure::Db(e) => message(&e),
                            Failure::Timeout | Failure::Store(_) => "no connection".to_owned(),
                        };
                        std::thread::sleep(pause.min(left));
                        pause = (pause * 2).min(Duration::from_secs(1));
                        continue;
                    }
                },
            };
            let mut driver = driver;
            let asked =
                driver.block_on(async { tokio::time::timeout(left, ask(&client, txn, &xid32)).await });
            match asked {
                Some(Ok(Ok(Asked::Committed))) => return Ok(true),
                Some(Ok(Ok(Asked::RolledBack))) => return Ok(false),
                Some(Ok(Ok(Asked::Unknowable(why)))) => return Err(why),
                Some(Ok(Ok(Asked::InProgress))) => {
                    last = "still in progress".to_owned();
                    link = Some((client, driver));
                }
                // A failed statement may leave a transaction open on the
                // connection: the next look is on a new one.
                Some(Ok(Err(e))) => last = message(&e),
                Some(Err(_)) | None => last = "no answer".to_owned(),
            }
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    fn note_high_water(&self, step: u64) {
        self.known_high_water.fetch_max(step, Ordering::AcqRel);
    }

    /// Fails if `stored`, a `T_hw` just read, is below one this store has
    /// read or written: the store lost committed changes.
    fn check_high_water(&self, stored: u64) -> Result<(), StoreError> {
        crate::check_high_water(&self.target, self.known_high_water.load(Ordering::Acquire), stored)
    }
}

impl StateStore for PostgresStore {
    fn transact_call(&self, call: &mut Call<'_>) -> Result<(), StoreError> {
        self.transact_at(Scope::terminal(0), call)
    }

    fn transact_all(&self, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>> {
        self.transact_all_at(Scope::terminal(0), calls)
    }

    fn observe(&self, step: u64) -> Result<(), StoreError> {
        let known = self.known_high_water.load(Ordering::Acquire);
        if known >= step {
            return Ok(());
        }
        // The stored T_hw is checked before it is raised over: a raise
        // would hide that it went back (the store lost committed changes).
        if known != 0 && self.high_water()? >= step {
            return Ok(());
        }
        let value = to_sql(step);
        self.run(|conn| async move {
            let r = conn.client.execute(&conn.raise, &[&value]).await;
            (conn, r.map(|_| ()).map_err(Failure::Db))
        })?;
        self.note_high_water(step);
        Ok(())
    }

    fn high_water(&self) -> Result<u64, StoreError> {
        let hw = self.run(|conn| async move {
            let r = conn.client.query_one(&conn.read_meta, &[]).await;
            (conn, r.map(|row| from_sql(row.get(0))).map_err(Failure::Db))
        })?;
        self.check_high_water(hw)?;
        self.note_high_water(hw);
        Ok(hw)
    }

    fn quarantine(&self, floor: u64, high_water: u64) -> Result<(), StoreError> {
        let (q, hw) = (to_sql(floor), to_sql(high_water));
        let sql = format!(
            "UPDATE meta SET
                 high_water = CASE WHEN {} THEN $2::bigint ELSE high_water END,
                 quarantine = CASE WHEN {} THEN $1::bigint ELSE quarantine END
             WHERE id = 0",
            u64_below("high_water", "$2::bigint"),
            u64_below("quarantine", "$1::bigint")
        );
        let sql = sql.as_str();
        self.run(|conn| async move {
            let r = conn.client.execute(sql, &[&q, &hw]).await;
            (conn, r.map(|_| ()).map_err(Failure::Db))
        })?;
        self.note_high_water(high_water);
        Ok(())
    }

    fn install_revocation_list(
        &self,
        list: &RevocationList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.run(|conn| async move {
            let r = install(&conn.client, list, newer).await;
            (conn, r.map_err(Failure::Db))
        })
    }

    fn withdraw_revocation_list(&self) -> Result<(), StoreError> {
        self.run(|conn| async move {
            // spec: R-REVOKE-6: the number and issue time stay as the floor;
            // an empty encoding is a list uninstalled.
            let r = conn
                .client
                .batch_execute(
                    "BEGIN;
                     UPDATE revocation SET encoding = '', fresh_until = NULL WHERE id = 0;
                     DELETE FROM revoked;
                     COMMIT;",
                )
                .await;
            (conn, r.map_err(Failure::Db))
        })
    }

    fn install_trust_list(
        &self,
        list: &TrustList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.run(|conn| async move {
            let r = install_trust(&conn.client, list, newer).await;
            (conn, r.map_err(Failure::Db))
        })
    }

    fn trust_list(&self) -> Result<Option<TrustList>, StoreError> {
        let row = self.run(|conn| async move {
            let r = conn.client.query_one("SELECT sequence, encoding FROM trust WHERE id = 0", &[]).await;
            (conn, r.map_err(Failure::Db))
        })?;
        let (sequence, encoding): (i64, Vec<u8>) = (row.get(0), row.get(1));
        if sequence == 0 && encoding.is_empty() {
            return Ok(None);
        }
        TrustList::decode(&encoding).map(Some).map_err(|e| corrupt(format!("the installed trust list: {e}")))
    }

    fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
        let row = self.run(|conn| async move {
            let r = conn.client.query_one("SELECT number, encoding FROM revocation WHERE id = 0", &[]).await;
            (conn, r.map_err(Failure::Db))
        })?;
        let (number, encoding): (i64, Vec<u8>) = (row.get(0), row.get(1));
        // An empty encoding: a list uninstalled, whose number is only a floor.
        if number == 0 || encoding.is_empty() {
            return Ok(None);
        }
        RevocationList::decode(&encoding)
            .map(Some)
            .map_err(|e| corrupt(format!("the installed revocation list: {e}")))
    }

    fn revocation_withdrawn(&self) -> Result<bool, StoreError> {
        let row = self.run(|conn| async move {
            let r = conn.client.query_one("SELECT number, encoding FROM revocation WHERE id = 0", &[]).await;
            (conn, r.map_err(Failure::Db))
        })?;
        let (number, encoding): (i64, Vec<u8>) = (row.get(0), row.get(1));
        // An empty encoding under a number: a list uninstalled, whose
        // number and issue time are the floor.
        Ok(number != 0 && encoding.is_empty())
    }

    fn last_accepted_at(&self) -> Result<Option<u64>, StoreError> {
        // The record numbered last: one probe of the log's key, not a scan.
        let row = self.run(|conn| async move {
            let r = conn.client.query_opt("SELECT accepted_at FROM log ORDER BY seq DESC LIMIT 1", &[]).await;
            (conn, r.map_err(Failure::Db))
        })?;
        Ok(row.map(|r| from_sql(r.get(0))))
    }

    fn evict(&self, step: u64, plan: &dyn Fn(u64) -> Eviction) -> Result<(), StoreError> {
        // V0 first, in a statement of its own: the eviction's transaction then
        // holds no lock on the shared row while it deletes.
        self.observe(step)?;
        let check = |stored| self.check_high_water(stored);
        let high_water = self.run(|conn| async move {
            let r = evict(&conn.client, plan, &check).await;
            (conn, r)
        })?;
        self.note_high_water(high_water);
        Ok(())
    }
}

impl PostgresStore {
    /// [`StateStore::transact_call`] on the records of `scope`: the replay
    /// windows, counter marks and ledger entries of terminal
    /// `scope.records`, and the nonce set of terminal `scope.nonces`, while
    /// `T_hw`, `Q`, the failure budgets and the revocation list are the
    /// store's (for a service that verifies the codes several terminals
    /// forward, each with its own offline limits, spec: R-LIMIT-2). The
    /// [`StateStore`] methods are `Scope::terminal(0)`.
    ///
    /// # Errors
    ///
    /// As [`StateStore::transact`].
    pub fn transact_at(&self, scope: Scope, call: &mut Call<'_>) -> Result<(), StoreError> {
        let check = |stored| self.check_high_water(stored);
        self.attempts(|conn, driver, sent| {
            let limit = self.options.operation_timeout;
            driver
                .block_on(async { tokio::time::timeout(limit, step(conn, scope, call, &check, sent)).await })
        })
    }

    /// [`StateStore::transact_all`] on the records of `scope` (see
    /// [`PostgresStore::transact_at`]): two calls or more as one
    /// transaction, which commits all of them or none; a call reads a nonce
    /// an earlier one recorded as used.
    pub fn transact_all_at(&self, scope: Scope, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>> {
        let one = |call: &mut Call<'_>| self.transact_at(scope, call);
        crate::run_calls(calls, one, |calls| {
            let check = |stored| self.check_high_water(stored);
            self.attempts(|conn, driver, sent| {
                let limit = self.options.operation_timeout;
                driver.block_on(async {
                    tokio::time::timeout(limit, step_all(conn, scope, calls, &check, sent)).await
                })
            })
        })
    }

    /// Runs `attempt` on a pooled connection until it commits, fails for
    /// good, or has failed to serialize as often as allowed. `attempt`
    /// returns `None` or a timeout when the connection's state is unknown,
    /// and leaves a [`Sent`] in its cell when its `COMMIT`'s answer was
    /// lost: that outcome is settled before the call returns.
    fn attempts<F>(&self, mut attempt: F) -> Result<(), StoreError>
    where
        F: FnMut(
            &Conn,
            &mut Driver,
            &Cell<Option<Sent>>,
        ) -> Option<Result<Result<u64, Failure>, tokio::time::error::Elapsed>>,
    {
        self.blocking_allowed()?;
        let mut tries = 1;
        loop {
            let Pooled { conn, mut driver } = self.checkout()?;
            let sent = Cell::new(None);
            let e = match attempt(&conn, &mut driver, &sent) {
                Some(Ok(Ok(high_water))) => {
                    self.checkin(Pooled { conn, driver });
                    self.note_high_water(high_water);
                    return Ok(());
                }
                Some(Ok(Err(failure))) => {
                    self.recover(Pooled { conn, driver });
                    let e = match failure {
                        Failure::Db(e) => e,
                        Failure::Store(e) => return Err(e),
                        Failure::Timeout => return Err(self.timeout()),
                    };
                    if let Some(txn) = sent.take() {
                        return self.settle(&txn, self.error(&e));
                    }
                    e
                }
                Some(Err(_)) | None => {
                    drop((conn, driver));
                    self.discard();
                    return match sent.take() {
                        Some(txn) => self.settle(&txn, self.timeout()),
                        None => Err(self.timeout()),
                    };
                }
            };
            if retryable(&e) && tries < self.options.max_attempts {
                tries += 1;
                std::thread::sleep(backoff(tries));
                continue;
            }
            return Err(self.retries_error(&e, tries));
        }
    }
}

/// What a step calls on the `T_hw` it reads before it decides: an error
/// if the store lost committed changes ([`PostgresStore::check_high_water`]).
type HighWaterCheck<'a> = dyn Fn(u64) -> Result<(), StoreError> + 'a;

/// One attempt at the atomic step of a verification; returns the `T_hw`
/// the store holds after it.
async fn step(
    conn: &Conn,
    scope: Scope,
    call: &mut Call<'_>,
    check: &HighWaterCheck<'_>,
    sent: &Cell<Option<Sent>>,
) -> Result<u64, Failure> {
    let c = &conn.client;
    let (terminal, nonces) = (i64::from(scope.records), i64::from(scope.nonces));
    let identity = call.identity;
    let nonce: Option<&[u8]> = call.nonce.as_ref().map(|n| n.as_slice());
    let profile = profile_to_sql(identity.profile);
    let subject = to_sql(identity.subject);
    let ed25519 = identity.profile == Profile::Ed25519;
    let other = if ed25519 { &conn.lock_ledger } else { &conn.lock_budget };
    // Round trip 1, pipelined in this order: the shared read's snapshot is
    // taken after the row locks are held (spec: R-STATE-8).
    let window_key: [&(dyn ToSql + Sync); 3] = [&profile, &subject, &terminal];
    let ledger_key: [&(dyn ToSql + Sync); 2] = [&subject, &terminal];
    let budget_key: [&(dyn ToSql + Sync); 1] = [&subject];
    let own_key: &[&(dyn ToSql + Sync)] = if ed25519 { &ledger_key } else { &budget_key };
    let shared_key: [&(dyn ToSql + Sync); 4] = [&subject, &ed25519, &nonces, &nonce];
    let (begin, window, mark, own, shared) = tokio::join!(
        biased;
        c.batch_execute("BEGIN"),
        c.query_opt(&conn.lock_window, &window_key),
        c.query_opt(&conn.lock_mark, &window_key),
        c.query_opt(other, own_key),
        c.query_one(&conn.read_shared, &shared_key),
    );
    begin?;
    let (window, mark, own, shared) = (window?, mark?, own?, shared?);
    let mut records = Records {
        high_water: from_sql(shared.get(0)),
        quarantine: from_sql(shared.get(1)),
        revoked: shared.get(2),
        challenge_used: shared.get(3),
        fresh_until: shared.get::<_, Option<i64>>(4).map(from_sql),
        ..Records::default()
    };
    check(records.high_water).map_err(Failure::Store)?;
    let (xid, pid): (i64, i32) = (shared.get(5), shared.get(6));
    if let Some(w) = &window {
        let high: i64 = w.get(0);
        records.window = Some(Window {
            high: u32::try_from(high).unwrap_or(u32::MAX),
            bitmap: from_sql(w.get(1)),
            top: from_sql(w.get(2)),
        });
    }
    if let Some(m) = &mark {
        records.mark = Some(mark_from_row(m.get(0), m.get(1), m.get(2)));
    }
    match (&own, ed25519) {
        (Some(r), true) => {
            records.spent = Some(Spent { total: from_sql(r.get(0)), not_after: from_sql(r.get(1)) })
        }
        (Some(r), false) => records.budget = from_sql(r.get(0)),
        (None, _) => {}
    }
    // A numeric call's source budget: its row, created if absent, locked
    // after the identity's rows, as every call locks them (spec: R-HMAC-8).
    let source = call.source.map(i64::from);
    if let Some(source) = &source {
        records.source_budget = from_sql(c.query_one(&conn.lock_source, &[source]).await?.get(0));
    }
    let changes = (call.decide)(&records);
    // Round trip 2: every change and the log record in one statement, then COMMIT.
    let found = |present: bool| if present { OP_UPDATE } else { OP_INSERT };
    let (w_op, w) = match changes.window {
        Some(w) => (found(window.is_some()), w),
        None => (OP_NONE, Window::first(0, 0)),
    };
    let (m_op, m) = match changes.mark {
        Some(m) => (found(mark.is_some()), m),
        None => (OP_NONE, Mark { counter: 0, step: 0, until: None }),
    };
    let (l_op, s) = match changes.spent {
        Some(s) => (found(ed25519 && own.is_some()), s),
        None => (OP_NONE, Spent { total: 0, not_after: 0 }),
    };
    let (t_op, until) = match changes.budget {
        Some(u) => (found(!ed25519 && own.is_some()), u),
        None => (OP_NONE, 0),
    };
    if let (Some(source), Some(u)) = (&source, changes.source_budget) {
        c.execute(&conn.write_source, &[source, &to_sql(u)]).await?;
    }
    // spec: R-STATE-7: T_hw is written only when the call raises it.
    let raise = changes.high_water > records.high_water;
    let r = changes.record;
    let (high, bitmap, top) = (i64::from(w.high), to_sql(w.bitmap), to_sql(w.top));
    let (spent, not_after) = (to_sql(s.total), to_sql(s.not_after));
    let until = to_sql(until);
    let (m_counter, m_step, m_until) = (i64::from(m.counter), to_sql(m.step), m.until.map(to_sql));
    let hw = to_sql(changes.high_water);
    let has_record = r.is_some();
    // spec: R-CHAL-4 (C5): only the call's own nonce, which it read. A
    // nonce another call inserted meanwhile fails the insert (see `write`).
    let challenge = changes.challenge.filter(|u| Some(u.nonce) == call.nonce);
    let new_nonce: Option<&[u8]> = challenge.as_ref().map(|u| u.nonce.as_slice());
    let closes = challenge.map_or(0, |u| to_sql(u.closes));
    // The log's columns name the account an hmac code resolved to and its
    // real counter; the record's evidence carries the handle and the masked one.
    let r_counter = i64::from(changes.counter.or(r.map(|r| r.counter())).unwrap_or(0));
    let (r_kind, r_evidence, r_subject) =
        r.as_ref().map_or((0, Vec::new(), 0), |r| (i16::from(r.kind()), r.evidence().to_vec(), subject));
    let (r_step, r_at, r_amount, r_terminal) = r.as_ref().map_or((0, 0, 0, 0), |r| {
        (to_sql(r.step()), to_sql(r.accepted_at), to_sql(r.amount), i64::from(r.terminal_id))
    });
    let r_challenge: Option<Vec<u8>> = r.and_then(LogRecord::challenge).map(|c| c.encode().to_vec());
    let values: [&(dyn ToSql + Sync); 31] = [
        &profile,
        &subject,
        &w_op,
        &high,
        &bitmap,
        &top,
        &l_op,
        &spent,
        &not_after,
        &t_op,
        &until,
        &raise,
        &hw,
        &has_record,
        &r_kind,
        &r_evidence,
        &r_subject,
        &r_counter,
        &r_step,
        &r_at,
        &r_amount,
        &r_terminal,
        &terminal,
        &m_op,
        &m_counter,
        &m_step,
        &m_until,
        &nonces,
        &new_nonce,
        &closes,
        &r_challenge,
    ];
    let high_water = records.high_water.max(changes.high_water);
    let evidence = has_record.then(|| r_evidence.clone());
    let txn = Sent { xid, pid, server: Arc::clone(&conn.server), high_water, evidence };
    write_and_commit(c, c.execute(&conn.write, &values), sent, txn).await?;
    Ok(high_water)
}

/// Rows to write, one array per column.
struct Columns<const N: usize> {
    small: Vec<i16>,
    big: [Vec<i64>; N],
}

impl<const N: usize> Default for Columns<N> {
    fn default() -> Columns<N> {
        Columns { small: Vec::new(), big: core::array::from_fn(|_| Vec::new()) }
    }
}

impl<const N: usize> Columns<N> {
    fn push(&mut self, small: Option<i16>, big: [i64; N]) {
        if let Some(x) = small {
            self.small.push(x);
        }
        for (column, x) in self.big.iter_mut().zip(big) {
            column.push(x);
        }
    }
}

/// One attempt at the atomic steps of several verifications, as one
/// transaction in two round trips as [`step`]'s, on the rows of every
/// identity at once, locked in one order; the calls are decided in turn, each
/// on the records the calls before it left. Returns `T_hw` after it.
async fn step_all(
    conn: &Conn,
    scope: Scope,
    calls: &mut [Call<'_>],
    check: &HighWaterCheck<'_>,
    sent: &Cell<Option<Sent>>,
) -> Result<u64, Failure> {
    let (c, m) = (&conn.client, &conn.many);
    let (terminal, nonce_terminal) = (i64::from(scope.records), i64::from(scope.nonces));
    let asked: Vec<&[u8]> =
        calls.iter().filter_map(|call| call.nonce.as_ref()).map(|n| n.as_slice()).collect();
    let mut ids: Vec<Identity> = calls.iter().map(|call| call.identity).collect();
    ids.sort_unstable();
    ids.dedup();
    let profiles: Vec<i16> = ids.iter().map(|i| profile_to_sql(i.profile)).collect();
    let subjects: Vec<i64> = ids.iter().map(|i| to_sql(i.subject)).collect();
    let of = |p: Profile| -> Vec<i64> {
        ids.iter().filter(|i| i.profile == p).map(|i| to_sql(i.subject)).collect()
    };
    let (accounts, serials) = (of(Profile::Hmac), of(Profile::Ed25519));
    // Round trip 1: the row locks, then the shared read (spec: R-STATE-8).
    let window_keys: [&(dyn ToSql + Sync); 3] = [&profiles, &subjects, &terminal];
    let ledger_keys: [&(dyn ToSql + Sync); 2] = [&serials, &terminal];
    let budget_keys: [&(dyn ToSql + Sync); 1] = [&accounts];
    let shared_keys: [&(dyn ToSql + Sync); 3] = [&serials, &nonce_terminal, &asked];
    let (begin, windows, marks, ledger, budget_rows, shared) = tokio::join!(
        biased;
        c.batch_execute("BEGIN"),
        c.query(&m.lock_windows, &window_keys),
        c.query(&m.lock_marks, &window_keys),
        c.query(&m.lock_ledger, &ledger_keys),
        c.query(&m.lock_budgets, &budget_keys),
        c.query_one(&m.read_shared, &shared_keys),
    );
    begin?;
    let (windows, marks, ledger, budget_rows, shared) = (windows?, marks?, ledger?, budget_rows?, shared?);
    // The sources' budgets, in one order, after the identities' rows (see `step`).
    let mut sources: Vec<i64> = calls.iter().filter_map(|call| call.source.map(i64::from)).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut source_budget: HashMap<i64, u64> = HashMap::new();
    for source in &sources {
        source_budget.insert(*source, from_sql(c.query_one(&conn.lock_source, &[source]).await?.get(0)));
    }
    let mut source_changed: BTreeSet<i64> = BTreeSet::new();
    let mut window: HashMap<(i16, i64), Window> = windows
        .iter()
        .map(|r| {
            let high: i64 = r.get(2);
            let w = Window {
                high: u32::try_from(high).unwrap_or(u32::MAX),
                bitmap: from_sql(r.get(3)),
                top: from_sql(r.get(4)),
            };
            ((r.get(0), r.get(1)), w)
        })
        .collect();
    let mut mark: HashMap<(i16, i64), Mark> =
        marks.iter().map(|r| ((r.get(0), r.get(1)), mark_from_row(r.get(2), r.get(3), r.get(4)))).collect();
    let mut spent: HashMap<i64, Spent> = ledger
        .iter()
        .map(|r| (r.get(0), Spent { total: from_sql(r.get(1)), not_after: from_sql(r.get(2)) }))
        .collect();
    let mut budgets: HashMap<i64, u64> = budget_rows.iter().map(|r| (r.get(0), from_sql(r.get(1)))).collect();
    let stored_window: HashSet<(i16, i64)> = window.keys().copied().collect();
    let stored_mark: HashSet<(i16, i64)> = mark.keys().copied().collect();
    let stored_spent: HashSet<i64> = spent.keys().copied().collect();
    let stored_budget: HashSet<i64> = budgets.keys().copied().collect();
    let stored_high_water = from_sql(shared.get(0));
    check(stored_high_water).map_err(Failure::Store)?;
    let quarantine = from_sql(shared.get(1));
    let revoked: Vec<i64> = shared.get(2);
    let stored_nonces: Vec<Vec<u8>> = shared.get(3);
    let fresh_until = shared.get::<_, Option<i64>>(4).map(from_sql);
    let (xid, pid): (i64, i32) = (shared.get(5), shared.get(6));
    // The nonces used so far: the stored ones, then those the calls record.
    let mut used: HashSet<[u8; 16]> =
        stored_nonces.iter().filter_map(|n| n.as_slice().try_into().ok()).collect();
    let mut new_nonces: Vec<UsedChallenge> = Vec::new();
    let mut high_water = stored_high_water;
    let (mut window_changed, mut mark_changed, mut spent_changed, mut budget_changed) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut log = Columns::<6>::default();
    let mut log_evidence: Vec<Vec<u8>> = Vec::new();
    let mut log_challenge: Vec<Option<Vec<u8>>> = Vec::new();
    for call in calls.iter_mut() {
        let ed25519 = call.identity.profile == Profile::Ed25519;
        let key = (profile_to_sql(call.identity.profile), to_sql(call.identity.subject));
        let mut records = Records {
            high_water,
            quarantine,
            window: window.get(&key).copied(),
            mark: mark.get(&key).copied(),
            spent: if ed25519 { spent.get(&key.1).copied() } else { None },
            budget: if ed25519 { 0 } else { budgets.get(&key.1).copied().unwrap_or(0) },
            source_budget: call.source.and_then(|r| source_budget.get(&i64::from(r)).copied()).unwrap_or(0),
            revoked: ed25519 && revoked.contains(&key.1),
            fresh_until,
            challenge_used: call.nonce.is_some_and(|n| used.contains(&n)),
        };
        let changes = (call.decide)(&records);
        records.apply(&changes);
        // spec: R-CHAL-4 (C5): only the call's own nonce; a later call reads it as used.
        if let Some(u) = changes.challenge.filter(|u| Some(u.nonce) == call.nonce) {
            used.insert(u.nonce);
            new_nonces.push(u);
        }
        high_water = records.high_water;
        if let (Some(_), Some(w)) = (changes.window, records.window) {
            window.insert(key, w);
            window_changed.insert(key);
        }
        if let (Some(_), Some(k)) = (changes.mark, records.mark) {
            mark.insert(key, k);
            mark_changed.insert(key);
        }
        if let (true, Some(_), Some(s)) = (ed25519, changes.spent, records.spent) {
            spent.insert(key.1, s);
            spent_changed.insert(key.1);
        }
        if let (false, Some(u)) = (ed25519, changes.budget) {
            budgets.insert(key.1, u);
            budget_changed.insert(key.1);
        }
        if let (Some(r), Some(u)) = (call.source, changes.source_budget) {
            source_budget.insert(i64::from(r), u);
            source_changed.insert(i64::from(r));
        }
        if let Some(r) = changes.record {
            log.push(
                Some(i16::from(r.kind())),
                [
                    key.1,
                    i64::from(changes.counter.unwrap_or(r.counter())),
                    to_sql(r.step()),
                    to_sql(r.accepted_at),
                    to_sql(r.amount),
                    i64::from(r.terminal_id),
                ],
            );
            log_evidence.push(r.evidence().to_vec());
            log_challenge.push(r.challenge().map(|c| c.encode().to_vec()));
        }
    }
    // Round trip 2: every row as the last call left it, and the log records in order.
    let (mut w_ins, mut w_upd) = (Columns::<4>::default(), Columns::<4>::default());
    for key in &window_changed {
        if let Some(w) = window.get(key) {
            let target = if stored_window.contains(key) { &mut w_upd } else { &mut w_ins };
            target.push(Some(key.0), [key.1, i64::from(w.high), to_sql(w.bitmap), to_sql(w.top)]);
        }
    }
    let (mut m_ins, mut m_upd) = (Marks::default(), Marks::default());
    for key in &mark_changed {
        if let Some(k) = mark.get(key) {
            let target = if stored_mark.contains(key) { &mut m_upd } else { &mut m_ins };
            target.push(*key, k);
        }
    }
    let (mut l_ins, mut l_upd) = (Columns::<3>::default(), Columns::<3>::default());
    for serial in &spent_changed {
        if let Some(s) = spent.get(serial) {
            let target = if stored_spent.contains(serial) { &mut l_upd } else { &mut l_ins };
            target.push(None, [*serial, to_sql(s.total), to_sql(s.not_after)]);
        }
    }
    let (mut t_ins, mut t_upd) = (Columns::<2>::default(), Columns::<2>::default());
    for account in &budget_changed {
        if let Some(u) = budgets.get(account) {
            let target = if stored_budget.contains(account) { &mut t_upd } else { &mut t_ins };
            target.push(None, [*account, to_sql(*u)]);
        }
    }
    for source in &source_changed {
        if let Some(u) = source_budget.get(source) {
            c.execute(&conn.write_source, &[source, &to_sql(*u)]).await?;
        }
    }
    // In one order, so that two runs that insert the same nonces wait on
    // each other rather than deadlock.
    new_nonces.sort_unstable_by_key(|u| u.nonce);
    let n_nonce: Vec<&[u8]> = new_nonces.iter().map(|u| u.nonce.as_slice()).collect();
    let n_closes: Vec<i64> = new_nonces.iter().map(|u| to_sql(u.closes)).collect();
    // spec: R-STATE-7: T_hw is written only when the calls raise it.
    let raise = high_water > stored_high_water;
    let hw = to_sql(high_water);
    let [w_ins_s, w_ins_h, w_ins_b, w_ins_t] = &w_ins.big;
    let [w_upd_s, w_upd_h, w_upd_b, w_upd_t] = &w_upd.big;
    let [l_ins_s, l_ins_a, l_ins_n] = &l_ins.big;
    let [l_upd_s, l_upd_a, l_upd_n] = &l_upd.big;
    let [t_ins_a, t_ins_u] = &t_ins.big;
    let [t_upd_a, t_upd_u] = &t_upd.big;
    let [g_subject, g_counter, g_step, g_at, g_amount, g_terminal] = &log.big;
    let values: [&(dyn ToSql + Sync); 45] = [
        &terminal,
        &w_ins.small,
        w_ins_s,
        w_ins_h,
        w_ins_b,
        w_ins_t,
        &w_upd.small,
        w_upd_s,
        w_upd_h,
        w_upd_b,
        w_upd_t,
        l_ins_s,
        l_ins_a,
        l_ins_n,
        l_upd_s,
        l_upd_a,
        l_upd_n,
        t_ins_a,
        t_ins_u,
        t_upd_a,
        t_upd_u,
        &raise,
        &hw,
        &log.small,
        &log_evidence,
        g_subject,
        g_counter,
        g_step,
        g_at,
        g_amount,
        g_terminal,
        &m_ins.profile,
        &m_ins.subject,
        &m_ins.counter,
        &m_ins.step,
        &m_ins.until,
        &m_upd.profile,
        &m_upd.subject,
        &m_upd.counter,
        &m_upd.step,
        &m_upd.until,
        &nonce_terminal,
        &n_nonce,
        &n_closes,
        &log_challenge,
    ];
    let evidence = log_evidence.first().cloned();
    let txn = Sent { xid, pid, server: Arc::clone(&conn.server), high_water, evidence };
    write_and_commit(c, c.execute(&m.write, &values), sent, txn).await?;
    Ok(high_water)
}

/// Counter marks to write, one array per column.
#[derive(Default)]
struct Marks {
    profile: Vec<i16>,
    subject: Vec<i64>,
    counter: Vec<i64>,
    step: Vec<i64>,
    until: Vec<Option<i64>>,
}

impl Marks {
    fn push(&mut self, key: (i16, i64), m: &Mark) {
        self.profile.push(key.0);
        self.subject.push(key.1);
        self.counter.push(i64::from(m.counter));
        self.step.push(to_sql(m.step));
        self.until.push(m.until.map(to_sql));
    }
}

/// A counter mark as stored: a counter above `u32::MAX` cannot have been
/// written, and is read as the highest, which makes more codes `counter-behind`, never fewer.
fn mark_from_row(counter: i64, step: i64, until: Option<i64>) -> Mark {
    Mark {
        counter: u32::try_from(counter).unwrap_or(u32::MAX),
        step: from_sql(step),
        until: until.map(from_sql),
    }
}

const OP_NONE: i16 = 0;
const OP_INSERT: i16 = 1;
const OP_UPDATE: i16 = 2;

/// Prepares a new connection's statements.
async fn prepare(client: Client) -> Result<Conn, tokio_postgres::Error> {
    let (i2, i8, b, bytes) = (Type::INT2, Type::INT8, Type::BOOL, Type::BYTEA);
    let lock_window = client
        .prepare_typed(
            "SELECT high, bitmap, top FROM windows
             WHERE profile = $1 AND subject = $2 AND terminal = $3 FOR UPDATE",
            &[i2.clone(), i8.clone(), i8.clone()],
        )
        .await?;
    let lock_mark = client
        .prepare_typed(
            "SELECT counter, step, until FROM marks
             WHERE profile = $1 AND subject = $2 AND terminal = $3 FOR UPDATE",
            &[i2.clone(), i8.clone(), i8.clone()],
        )
        .await?;
    let lock_ledger = client
        .prepare_typed(
            "SELECT spent, not_after FROM ledger WHERE serial = $1 AND terminal = $2 FOR UPDATE",
            &[i8.clone(), i8.clone()],
        )
        .await?;
    let lock_budget = client
        .prepare_typed("SELECT until FROM budgets WHERE account = $1 FOR UPDATE", std::slice::from_ref(&i8))
        .await?;
    // An upsert that changes nothing: it creates the row if absent and locks
    // it either way, so that two calls of one source never both read a
    // budget that neither has charged yet.
    let lock_source = client
        .prepare_typed(
            "INSERT INTO source_budgets (terminal, until) VALUES ($1, 0)
             ON CONFLICT (terminal) DO UPDATE SET until = source_budgets.until RETURNING until",
            std::slice::from_ref(&i8),
        )
        .await?;
    let write_source = client
        .prepare_typed("UPDATE source_budgets SET until = $2 WHERE terminal = $1", &[i8.clone(), i8.clone()])
        .await?;
    // The nonce is read in the statement that reads T_hw: a nonce that an
    // eviction removed is absent only in a snapshot that holds the T_hw the
    // eviction read, so C2 refuses its challenge (spec: R-STATE-8, R-CHAL-4).
    // The statement also names the transaction and its session, so that a
    // commit whose answer is lost can be looked up ([`Sent`]).
    let read_shared = client
        .prepare_typed(
            "SELECT high_water, quarantine, $2 AND EXISTS (SELECT 1 FROM revoked WHERE serial = $1),
                    EXISTS (SELECT 1 FROM nonces WHERE terminal = $3 AND nonce = $4),
                    (SELECT fresh_until FROM revocation WHERE id = 0),
                    pg_current_xact_id()::text::bigint, pg_backend_pid()
             FROM meta WHERE id = 0",
            &[i8.clone(), b.clone(), i8.clone(), bytes.clone()],
        )
        .await?;
    let write_sql = format!(
        "WITH
         w_ins AS (INSERT INTO windows (terminal, profile, subject, high, bitmap, top)
                   SELECT $23, $1, $2, $4, $5, $6 WHERE $3 = 1),
         w_upd AS (UPDATE windows SET high = $4, bitmap = $5, top = $6
                   WHERE $3 = 2 AND terminal = $23 AND profile = $1 AND subject = $2),
         m_ins AS (INSERT INTO marks (terminal, profile, subject, counter, step, until)
                   SELECT $23, $1, $2, $25, $26, $27 WHERE $24 = 1),
         m_upd AS (UPDATE marks SET counter = $25, step = $26, until = $27
                   WHERE $24 = 2 AND terminal = $23 AND profile = $1 AND subject = $2),
         l_ins AS (INSERT INTO ledger (terminal, serial, spent, not_after) SELECT $23, $2, $8, $9 WHERE $7 = 1),
         l_upd AS (UPDATE ledger SET spent = $8, not_after = $9 WHERE $7 = 2 AND terminal = $23 AND serial = $2),
         t_ins AS (INSERT INTO budgets (account, until) SELECT $2, $11 WHERE $10 = 1),
         t_upd AS (UPDATE budgets SET until = $11 WHERE $10 = 2 AND account = $2),
         hw AS (UPDATE meta SET high_water = $13 WHERE $12 AND id = 0 AND {}),
         n_ins AS (INSERT INTO nonces (terminal, nonce, closes) SELECT $28, $29, $30 WHERE $29 IS NOT NULL),
         lg AS (INSERT INTO log (kind, evidence, subject, counter, step, accepted_at, amount, terminal_id,
                                 challenge)
                SELECT $15, $16, $17, $18, $19, $20, $21, $22, $31 WHERE $14)
         SELECT 1",
        u64_below("high_water", "$13")
    );
    let write = client
        .prepare_typed(
            &write_sql,
            &[
                i2.clone(),
                i8.clone(),
                i2.clone(),
                i8.clone(),
                i8.clone(),
                i8.clone(),
                i2.clone(),
                i8.clone(),
                i8.clone(),
                i2.clone(),
                i8.clone(),
                b.clone(),
                i8.clone(),
                b,
                i2.clone(),
                bytes.clone(),
                i8.clone(),
                i8.clone(),
                i8.clone(),
                i8.clone(),
                i8.clone(),
                i8.clone(),
                i8.clone(),
                i2.clone(),
                i8.clone(),
                i8.clone(),
                i8.clone(),
                i8.clone(),
                bytes.clone(),
                i8.clone(),
                bytes,
            ],
        )
        .await?;
    let raise = client
        .prepare_typed(
            &format!("UPDATE meta SET high_water = $1 WHERE id = 0 AND {}", u64_below("high_water", "$1")),
            &[i8],
        )
        .await?;
    let read_meta = client.prepare("SELECT high_water, quarantine FROM meta WHERE id = 0").await?;
    let many = prepare_many(&client).await?;
    let server: String = client.query_one(SERVER, &[]).await?.get(0);
    Ok(Conn {
        client,
        lock_window,
        lock_mark,
        lock_ledger,
        lock_budget,
        lock_source,
        write_source,
        read_shared,
        write,
        raise,
        read_meta,
        many,
        server: server.into(),
    })
}

/// Prepares the statements of a transaction on several identities: each
/// takes its values as arrays, one element per row.
async fn prepare_many(client: &Client) -> Result<Many, tokio_postgres::Error> {
    let lock_windows = client
        .prepare(
            "SELECT w.profile, w.subject, w.high, w.bitmap, w.top
             FROM windows w JOIN unnest($1::smallint[], $2::bigint[]) AS k (profile, subject)
                  ON w.profile = k.profile AND w.subject = k.subject
             WHERE w.terminal = $3::bigint ORDER BY w.profile, w.subject FOR UPDATE OF w",
        )
        .await?;
    let lock_marks = client
        .prepare(
            "SELECT m.profile, m.subject, m.counter, m.step, m.until
             FROM marks m JOIN unnest($1::smallint[], $2::bigint[]) AS k (profile, subject)
                  ON m.profile = k.profile AND m.subject = k.subject
             WHERE m.terminal = $3::bigint ORDER BY m.profile, m.subject FOR UPDATE OF m",
        )
        .await?;
    let lock_ledger = client
        .prepare(
            "SELECT serial, spent, not_after FROM ledger
             WHERE terminal = $2::bigint AND serial = ANY($1::bigint[]) ORDER BY serial FOR UPDATE",
        )
        .await?;
    let lock_budgets = client
        .prepare(
            "SELECT account, until FROM budgets WHERE account = ANY($1::bigint[])
             ORDER BY account FOR UPDATE",
        )
        .await?;
    let read_shared = client
        .prepare(
            "SELECT high_water, quarantine, ARRAY(SELECT serial FROM revoked WHERE serial = ANY($1::bigint[])),
                    ARRAY(SELECT nonce FROM nonces WHERE terminal = $2::bigint AND nonce = ANY($3::bytea[])),
                    (SELECT fresh_until FROM revocation WHERE id = 0),
                    pg_current_xact_id()::text::bigint, pg_backend_pid()
             FROM meta WHERE id = 0",
        )
        .await?;
    let write = client
        .prepare(&format!(
            "WITH
             w_ins AS (INSERT INTO windows (terminal, profile, subject, high, bitmap, top)
                       SELECT $1::bigint, * FROM unnest($2::smallint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])),
             w_upd AS (UPDATE windows w SET high = v.high, bitmap = v.bitmap, top = v.top
                       FROM unnest($7::smallint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])
                            AS v (profile, subject, high, bitmap, top)
                       WHERE w.terminal = $1 AND w.profile = v.profile AND w.subject = v.subject),
             m_ins AS (INSERT INTO marks (terminal, profile, subject, counter, step, until)
                       SELECT $1::bigint, * FROM unnest($32::smallint[], $33::bigint[], $34::bigint[],
                                                        $35::bigint[], $36::bigint[])),
             m_upd AS (UPDATE marks m SET counter = v.counter, step = v.step, until = v.until
                       FROM unnest($37::smallint[], $38::bigint[], $39::bigint[], $40::bigint[], $41::bigint[])
                            AS v (profile, subject, counter, step, until)
                       WHERE m.terminal = $1 AND m.profile = v.profile AND m.subject = v.subject),
             l_ins AS (INSERT INTO ledger (terminal, serial, spent, not_after)
                       SELECT $1, * FROM unnest($12::bigint[], $13::bigint[], $14::bigint[])),
             l_upd AS (UPDATE ledger l SET spent = v.spent, not_after = v.not_after
                       FROM unnest($15::bigint[], $16::bigint[], $17::bigint[]) AS v (serial, spent, not_after)
                       WHERE l.terminal = $1 AND l.serial = v.serial),
             t_ins AS (INSERT INTO budgets (account, until)
                       SELECT * FROM unnest($18::bigint[], $19::bigint[])),
             t_upd AS (UPDATE budgets t SET until = v.until
                       FROM unnest($20::bigint[], $21::bigint[]) AS v (account, until)
                       WHERE t.account = v.account),
             hw AS (UPDATE meta SET high_water = $23::bigint WHERE $22::boolean AND id = 0 AND {}),
             n_ins AS (INSERT INTO nonces (terminal, nonce, closes)
                       SELECT $42::bigint, * FROM unnest($43::bytea[], $44::bigint[])),
             lg AS (INSERT INTO log (kind, evidence, subject, counter, step, accepted_at, amount, terminal_id,
                                     challenge)
                    SELECT * FROM unnest($24::smallint[], $25::bytea[], $26::bigint[], $27::bigint[],
                                         $28::bigint[], $29::bigint[], $30::bigint[], $31::bigint[],
                                         $45::bytea[]))
             SELECT 1",
            u64_below("high_water", "$23::bigint")
        ))
        .await?;
    Ok(Many { lock_windows, lock_marks, lock_ledger, lock_budgets, read_shared, write })
}

/// Creates (`create`) or checks and migrates the schema, serialized between
/// nodes by an advisory lock.
async fn migrate(client: &Client, create: bool, target: &str) -> Result<(), Failure> {
    client.batch_execute("BEGIN").await?;
    client.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
    let exists: bool =
        client.query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[]).await?.get(0);
    let version: i32 = match (exists, create) {
        (true, true) => {
            return Err(Failure::Store(StoreError::new(
                StoreErrorKind::Other,
                format!("{target}: holds a paycode schema already"),
            )));
        }
        (true, false) => client.query_one("SELECT max(version) FROM schema_version", &[]).await?.get(0),
        (false, true) => 0,
        (false, false) => {
            return Err(Failure::Store(StoreError::new(
                StoreErrorKind::Incompatible,
                format!("{target}: no paycode schema in this database (create it first)"),
            )));
        }
    };
    let current = i32::try_from(SCHEMA_VERSION).unwrap_or(i32::MAX);
    if version > current {
        return Err(Failure::Store(StoreError::new(
            StoreErrorKind::Incompatible,
            format!(
                "{target}: schema version {version} is newer than this version of paycode reads ({current})"
            ),
        )));
    }
    let from =
        usize::try_from(version).map_err(|_| Failure::Store(corrupt(format!("schema version {version}"))))?;
    for step in MIGRATIONS.iter().skip(from) {
        client.batch_execute(step).await?;
    }
    if version < current {
        client.execute("UPDATE schema_version SET version = $1", &[&current]).await?;
    }
    client.batch_execute("COMMIT").await?;
    Ok(())
}

async fn install(
    client: &Client,
    list: &RevocationList,
    newer: &dyn Fn(ListMark) -> bool,
) -> Result<bool, tokio_postgres::Error> {
    client.batch_execute("BEGIN").await?;
    let row =
        client.query_one("SELECT number, issued_at FROM revocation WHERE id = 0 FOR UPDATE", &[]).await?;
    let newest = ListMark { number: from_sql(row.get(0)), issued_at: from_sql(row.get(1)) };
    // spec: R-REVOKE-2: only a newer list replaces the installed one.
    if !newer(newest) {
        client.batch_execute("ROLLBACK").await?;
        return Ok(false);
    }
    put_revocation_list(client, list).await?;
    client.batch_execute("COMMIT").await?;
    Ok(true)
}

async fn install_trust(
    client: &Client,
    list: &TrustList,
    newer: &dyn Fn(ListMark) -> bool,
) -> Result<bool, tokio_postgres::Error> {
    client.batch_execute("BEGIN").await?;
    let row = client.query_one("SELECT sequence, issued_at FROM trust WHERE id = 0 FOR UPDATE", &[]).await?;
    let newest = ListMark { number: from_sql(row.get(0)), issued_at: from_sql(row.get(1)) };
    // spec: R-TRUST-4: only a newer list replaces the installed one.
    if !newer(newest) {
        client.batch_execute("ROLLBACK").await?;
        return Ok(false);
    }
    client
        .execute(
            "UPDATE trust SET sequence = $1, issued_at = $2, encoding = $3 WHERE id = 0",
            &[&to_sql(list.sequence()), &to_sql(list.issued_at()), &list.encode()],
        )
        .await?;
    client.batch_execute("COMMIT").await?;
    Ok(true)
}

/// Writes `list` as the installed one, in the caller's transaction.
async fn put_revocation_list(client: &Client, list: &RevocationList) -> Result<(), tokio_postgres::Error> {
    let serials: Vec<i64> = list.serials().iter().map(|&s| to_sql(s)).collect();
    client
        .execute(
            "UPDATE revocation SET number = $1, encoding = $2, issued_at = $3, fresh_until = $4 WHERE id = 0",
            &[&to_sql(list.number()), &list.encode(), &to_sql(list.issued_at()), &to_sql(list.fresh_until())],
        )
        .await?;
    client.execute("DELETE FROM revoked", &[]).await?;
    client.execute("INSERT INTO revoked (serial) SELECT DISTINCT unnest($1::bigint[])", &[&serials]).await?;
    Ok(())
}

/// Deletes what the [`Eviction`] for the `T_hw` read in the same
/// transaction allows (spec: R-STATE-8), once `check` passed that `T_hw`;
/// returns it.
async fn evict(
    client: &Client,
    plan: &dyn Fn(u64) -> Eviction,
    check: &HighWaterCheck<'_>,
) -> Result<u64, Failure> {
    client.batch_execute("BEGIN").await?;
    let high_water: i64 = client.query_one("SELECT high_water FROM meta WHERE id = 0", &[]).await?.get(0);
    let high_water = from_sql(high_water);
    check(high_water).map_err(Failure::Store)?;
    let ev = plan(high_water);
    let (w, l, t) = (to_sql(ev.window_below), to_sql(ev.ledger_below), to_sql(ev.budgets_through));
    client.execute(&format!("DELETE FROM windows WHERE {}", u64_below("top", "$1::bigint")), &[&w]).await?;
    // An ed25519 mark goes with its ledger entry; an hmac mark (null `until`)
    // stays (spec: R-REPLAY-7). Marks before the ledger: the order in which a
    // verification locks them.
    client
        .execute(
            &format!("DELETE FROM marks WHERE until IS NOT NULL AND {}", u64_below("until", "$1::bigint")),
            &[&l],
        )
        .await?;
    client
        .execute(&format!("DELETE FROM ledger WHERE {}", u64_below("not_after", "$1::bigint")), &[&l])
        .await?;
    // spec: R-HMAC-7, R-HMAC-8: a budget at or below T_hw charges nothing.
    for table in ["budgets", "source_budgets"] {
        client
            .execute(&format!("DELETE FROM {table} WHERE NOT {}", u64_below("$1::bigint", "until")), &[&t])
            .await?;
    }
    // spec: R-CHAL-4: a nonce whose challenge closed before T0 + T_hw·X.
    client
        .execute(
            &format!("DELETE FROM nonces WHERE {}", u64_below("closes", "$1::bigint")),
            &[&to_sql(ev.nonces_closed_before)],
        )
        .await?;
    client.batch_execute("COMMIT").await?;
    Ok(high_water)
}

async fn import_rows(client: &Client, state: &VerifierState, target: &str) -> Result<(), Failure> {
    client.batch_execute("BEGIN").await?;
    let held: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM windows) + (SELECT count(*) FROM ledger)
                  + (SELECT count(*) FROM marks) + (SELECT count(*) FROM nonces)
                  + (SELECT count(*) FROM budgets) + (SELECT count(*) FROM source_budgets)
                  + (SELECT count(*) FROM log)
                  + (SELECT count(*) FROM revocation WHERE number <> 0)
                  + (SELECT count(*) FROM meta WHERE high_water <> 0 OR quarantine <> 0)",
            &[],
        )
        .await?
        .get(0);
    if held != 0 {
        return Err(Failure::Store(StoreError::new(
            StoreErrorKind::Other,
            format!("{target}: holds state already; import only into a new store"),
        )));
    }

    let hw = to_sql(state.hmac.high_water.max(state.ed25519.high_water));
    let q = to_sql(state.hmac.quarantine.max(state.ed25519.quarantine));
    client.execute("UPDATE meta SET high_water = $1, quarantine = $2 WHERE id = 0", &[&hw, &q]).await?;
    for (profile, snap) in [(Profile::Hmac, &state.hmac), (Profile::Ed25519, &state.ed25519)] {
        for &(subject, w) in &snap.windows {
            client
                .execute(
                    "INSERT INTO windows (profile, subject, high, bitmap, top) VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &profile_to_sql(profile),
                        &to_sql(subject),
                        &i64::from(w.high),
                        &to_sql(w.bitmap | 1),
                        &to_sql(w.top),
                    ],
                )
                .await?;
        }
        for &(subject, m) in &snap.marks {
            client
                .execute(
                    "INSERT INTO marks (terminal, profile, subject, counter, step, until) VALUES (0, $1, $2, $3, $4, $5)",
                    &[
                        &profile_to_sql(profile),
                        &to_sql(subject),
                        &i64::from(m.counter),
                        &to_sql(m.step),
                        &m.until.map(to_sql),
                    ],
                )
                .await?;
        }
    }
    for &(serial, s) in &state.ed25519.spent {
        client
            .execute(
                "INSERT INTO ledger (serial, spent, not_after) VALUES ($1, $2, $3)",
                &[&to_sql(serial), &to_sql(s.total), &to_sql(s.not_after)],
            )
            .await?;
    }
    // A state written before marks existed: each window's mark, as the migration makes it.
    client.execute(crate::codec::MARKS_OF_WINDOWS, &[]).await?;
    for u in &state.challenges {
        client
            .execute(
                "INSERT INTO nonces (terminal, nonce, closes) VALUES (0, $1, $2)",
                &[&u.nonce.as_slice(), &to_sql(u.closes)],
            )
            .await?;
    }
    for &(account, until) in &state.hmac.budgets {
        client
            .execute(
                "INSERT INTO budgets (account, until) VALUES ($1, $2)",
                &[&to_sql(account), &to_sql(until)],
            )
            .await?;
    }
    for &(terminal, until) in &state.sources {
        client
            .execute(
                "INSERT INTO source_budgets (terminal, until) VALUES ($1, $2)",
                &[&i64::from(terminal), &to_sql(until)],
            )
            .await?;
    }
    match crate::held_list(state).map_err(Failure::Store)? {
        crate::HeldList::None => {}
        crate::HeldList::InForce(list) => put_revocation_list(client, list).await?,
        crate::HeldList::Withdrawn(floor) => {
            // As withdrawing leaves a list: its number and issue time, no
            // encoding, nothing revoked.
            client
                .execute(
                    "UPDATE revocation SET number = $1, encoding = '', issued_at = $2, fresh_until = NULL WHERE id = 0",
                    &[&to_sql(floor.number), &to_sql(floor.issued_at)],
                )
                .await?;
            client.execute("DELETE FROM revoked", &[]).await?;
        }
    }
    client.batch_execute("COMMIT").await?;
    Ok(())
}

async fn read_contents(client: &Client) -> Result<Contents, Failure> {
    // One snapshot for every table.
    client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let meta = client.query_one("SELECT high_water, quarantine FROM meta WHERE id = 0", &[]).await?;
    let (high_water, quarantine) = (from_sql(meta.get(0)), from_sql(meta.get(1)));
    let mut hmac = Snapshot { high_water, quarantine, ..Snapshot::default() };
    let mut ed25519 = hmac.clone();
    for r in client
        .query("SELECT profile, subject, high, bitmap, top FROM windows WHERE terminal = 0", &[])
        .await?
    {
        let high: i64 = r.get(2);
        let w = Window {
            high: u32_from_sql(high, "windows high").map_err(Failure::Store)?,
            bitmap: from_sql(r.get(3)),
            top: from_sql(r.get(4)),
        };
        let snap = match profile_from_sql(r.get(0)).map_err(Failure::Store)? {
            Profile::Hmac => &mut hmac,
            Profile::Ed25519 => &mut ed25519,
        };
        snap.windows.push((from_sql(r.get(1)), w));
    }
    for r in client
        .query("SELECT profile, subject, counter, step, until FROM marks WHERE terminal = 0", &[])
        .await?
    {
        let snap = match profile_from_sql(r.get(0)).map_err(Failure::Store)? {
            Profile::Hmac => &mut hmac,
            Profile::Ed25519 => &mut ed25519,
        };
        let counter: i64 = r.get(2);
        let counter = u32_from_sql(counter, "marks counter").map_err(Failure::Store)?;
        let until: Option<i64> = r.get(4);
        snap.marks.push((
            from_sql(r.get(1)),
            Mark { counter, step: from_sql(r.get(3)), until: until.map(from_sql) },
        ));
    }
    for r in client.query("SELECT serial, spent, not_after FROM ledger WHERE terminal = 0", &[]).await? {
        ed25519
            .spent
            .push((from_sql(r.get(0)), Spent { total: from_sql(r.get(1)), not_after: from_sql(r.get(2)) }));
    }
    let mut challenges = Vec::new();
    for r in client.query("SELECT nonce, closes FROM nonces WHERE terminal = 0", &[]).await? {
        let nonce: &[u8] = r.get(0);
        let nonce = nonce
            .try_into()
            .map_err(|_| Failure::Store(corrupt(format!("a nonce of {} bytes", nonce.len()))))?;
        challenges.push(UsedChallenge { nonce, closes: from_sql(r.get(1)) });
    }
    for r in client.query("SELECT account, until FROM budgets", &[]).await? {
        hmac.budgets.push((from_sql(r.get(0)), from_sql(r.get(1))));
    }
    let mut sources = Vec::new();
    for r in client.query("SELECT terminal, until FROM source_budgets", &[]).await? {
        let terminal: i64 = r.get(0);
        sources.push((
            u32_from_sql(terminal, "source_budgets terminal").map_err(Failure::Store)?,
            from_sql(r.get(1)),
        ));
    }
    let rl = client.query_one("SELECT number, encoding, issued_at FROM revocation WHERE id = 0", &[]).await?;
    let (number, encoding, issued_at): (i64, Vec<u8>, i64) = (rl.get(0), rl.get(1), rl.get(2));
    client.batch_execute("COMMIT").await?;
    // An empty encoding under a number: a list uninstalled, whose number
    // and issue time are the floor.
    let floor = (number != 0 && encoding.is_empty())
        .then(|| ListMark { number: from_sql(number), issued_at: from_sql(issued_at) });
    let revocation_list = if number == 0 || encoding.is_empty() {
        None
    } else {
        Some(
            RevocationList::decode(&encoding)
                .map_err(|e| Failure::Store(corrupt(format!("the installed revocation list: {e}"))))?,
        )
    };
    Ok(crate::codec::contents((hmac, ed25519), (revocation_list, floor), challenges, sources))
}

/// Whether a failure is a conflict with a concurrent call, which a new
/// attempt on the records as they are then resolves.
fn retryable(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    )
}

/// A short, growing, jittered pause between attempts.
fn backoff(attempt: u32) -> Duration {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let cap = 1u64 << attempt.min(6); // up to 64 ms
    Duration::from_micros(u64::from(nanos) % (cap * 1000) + 100)
}

/// The kind of a PostgreSQL failure, with a message that names the server
/// and the cause (spec: R-STATE-4).
fn classify(target: &str, e: &tokio_postgres::Error) -> StoreError {
    let kind = match e.code() {
        Some(c) if *c == SqlState::DISK_FULL => StoreErrorKind::Full,
        Some(c) if *c == SqlState::READ_ONLY_SQL_TRANSACTION => StoreErrorKind::ReadOnly,
        Some(c)
            if *c == SqlState::LOCK_NOT_AVAILABLE
                || *c == SqlState::QUERY_CANCELED
                || *c == SqlState::TOO_MANY_CONNECTIONS
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            StoreErrorKind::Busy
        }
        Some(c) if *c == SqlState::DATA_CORRUPTED || *c == SqlState::INDEX_CORRUPTED => {
            StoreErrorKind::Corrupt
        }
        Some(c) if *c == SqlState::UNDEFINED_TABLE || *c == SqlState::UNDEFINED_COLUMN => {
            StoreErrorKind::Incompatible
        }
        Some(c) if c.code().starts_with("08") || c.code().starts_with("57P") => StoreErrorKind::Unavailable,
        Some(_) => StoreErrorKind::Other,
        // No SQLSTATE: the connection failed (refused, reset, closed), or the client did.
        None if e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()) => {
            StoreErrorKind::Unavailable
        }
        None => StoreErrorKind::Other,
    };
    StoreError::new(kind, format!("{target}: {}", message(e)))
}

/// The server's message, or the client's error with its cause.
fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// `user@host:port/dbname`, for messages: the URL without its password.
fn describe(config: &Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgresql://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}
