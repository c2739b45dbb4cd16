//! The SQLite store against a real SQLite file: schema and versions, the
//! atomic step under threads and under several connections (processes),
//! failures that must leave nothing behind (a full file system, a read-only
//! one, a lock held too long), import, export and eviction.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::Barrier;
use std::time::Duration;

use common::*;
use paycode::store::{Identity, Mark, StateStore, StoreErrorKind};
use paycode::{Error, MemoryStore, Profile};
use paycode_store::{Contents, SCHEMA_VERSION, SqliteStore};
use paycode_test_support::TempDir;
use paycode_test_support::scratch::{SmallFs, is_root, root_case};

#[test]
fn a_missing_store_is_an_error_naming_the_file_and_creating_is_explicit() {
    let dir = TempDir::new("sqlite-missing");
    let path = dir.join("state.db");
    let e = SqliteStore::open(&path).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Unavailable);
    assert!(e.to_string().contains(path.to_str().unwrap()), "{e}");
    assert!(!path.exists(), "open must not create the file");
    SqliteStore::create(&path).unwrap();
    let e = SqliteStore::create(&path).unwrap_err();
    assert!(e.to_string().contains("exists"), "{e}");
    SqliteStore::open(&path).unwrap();
}

#[test]
fn a_newer_schema_is_refused_naming_both_versions() {
    let dir = TempDir::new("sqlite-newer");
    let path = dir.join("state.db");
    drop(SqliteStore::create(&path).unwrap());
    let newer = SCHEMA_VERSION + 1;
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute("UPDATE schema_version SET version = ?1", [newer]).unwrap();
    drop(c);
    let e = SqliteStore::open(&path).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Incompatible);
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("version {newer}")) && msg.contains(&format!("({SCHEMA_VERSION})")),
        "{msg}"
    );
}

#[test]
fn other_files_are_refused() {
    let dir = TempDir::new("sqlite-other");
    let foreign = dir.join("other.db");
    let c = rusqlite::Connection::open(&foreign).unwrap();
    c.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
    drop(c);
    let e = SqliteStore::open(&foreign).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Incompatible, "{e}");
    let json = dir.join("state.json");
    std::fs::write(&json, br#"{"format": "paycode-state-v1"}"#).unwrap();
    let e = SqliteStore::open(&json).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Incompatible, "{e}");
    assert!(e.to_string().contains("state.json"), "{e}");
}

#[test]
fn a_state_database_is_told_from_other_files_by_its_first_bytes() {
    let dir = TempDir::new("sqlite-header");
    let header = |p: &std::path::Path| {
        let bytes = std::fs::read(p).unwrap();
        bytes[..bytes.len().min(paycode_store::sqlite::HEADER_LEN)].to_vec()
    };
    let path = dir.join("state.db");
    let store = SqliteStore::create(&path).unwrap();
    // Open, the new database's first transaction may be in its write-ahead log only.
    assert!(paycode_store::sqlite::is_state_database(&header(&path)));
    drop(store);
    let closed = header(&path);
    assert!(paycode_store::sqlite::is_state_database(&closed));
    assert_eq!(&closed[68..72], b"PYCD");
    let foreign = dir.join("other.db");
    let c = rusqlite::Connection::open(&foreign).unwrap();
    c.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
    drop(c);
    assert!(!paycode_store::sqlite::is_state_database(&header(&foreign)));
    assert!(!paycode_store::sqlite::is_state_database(br#"{"format": "paycode-state-v1"}"#));
    assert!(!paycode_store::sqlite::is_state_database(&closed[..40]));
}

#[test]
fn an_acceptance_survives_reopening_with_its_log_record() {
    let dir = TempDir::new("sqlite-reopen");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), 7);
    let hmac = hmac_text(1, NOW, 5);
    let ed = ed25519_text(0, NOW, 3);
    let a = v.verify_text(&hmac, NOW, 0).unwrap();
    let b = v.verify_text(&ed, NOW, 400).unwrap();
    assert_eq!(v.verify_text(&hmac, NOW, 0).unwrap_err(), Error::Replayed);
    drop(v);
    // spec: R-REPLAY-5 restart-with-state: the same verdicts after a restart.
    let v = verifier(SqliteStore::open(&path).unwrap(), 7);
    assert_eq!(v.verify_text(&hmac, NOW, 0).unwrap_err(), Error::Replayed);
    assert_eq!(v.verify_text(&ed, NOW, 400).unwrap_err(), Error::Replayed);
    assert_eq!(v.store().export_log(None).unwrap(), vec![a.record.clone(), b.record.clone()]);
    assert_eq!(v.store().export_log(Some(7)).unwrap().len(), 2);
    assert!(v.store().export_log(Some(8)).unwrap().is_empty());
    let contents = v.store().contents().unwrap();
    assert_eq!(contents.state.ed25519.spent[0].1.total, 400);
    let bytes = paycode_store::encode_log(&v.store().export_log(None).unwrap());
    assert_eq!(paycode::LogRecord::decode_log(&bytes).unwrap(), vec![a.record, b.record]);
}

#[test]
fn threads_on_one_store_accept_each_code_once() {
    let dir = TempDir::new("sqlite-threads");
    let v = verifier(SqliteStore::create(&dir.join("state.db")).unwrap(), 1);
    race(&v, 8, 6);
}

#[test]
fn connections_on_one_file_accept_each_code_once() {
    // Each verifier has its own connection, as separate processes would.
    let dir = TempDir::new("sqlite-conns");
    let path = dir.join("state.db");
    drop(SqliteStore::create(&path).unwrap());
    let verifiers: Vec<_> = (0..6).map(|_| verifier(SqliteStore::open(&path).unwrap(), 1)).collect();
    let barrier = Barrier::new(verifiers.len());
    let codes: Vec<String> = (0..6).map(|c| hmac_text(2, NOW, c)).collect();
    let accepted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = verifiers
            .iter()
            .map(|v| {
                let (codes, barrier) = (&codes, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    codes.iter().filter(|c| v.verify_text(c, NOW, 0).is_ok()).count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(accepted, codes.len(), "each code exactly once");
    assert_eq!(verifiers[0].store().export_log(None).unwrap().len(), codes.len());
}

/// `threads` threads verify the same `codes` codes of several identities at
/// once; each code must be accepted exactly once and logged once.
fn race<S: StateStore>(v: &paycode::Verifier<S>, threads: usize, codes: u32) {
    let texts: Vec<String> = (0..codes)
        .flat_map(|c| [hmac_text(3, NOW, c), hmac_text(4, NOW, c), ed25519_text(1, NOW, c)])
        .collect();
    let barrier = Barrier::new(threads);
    let accepted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (texts, barrier) = (&texts, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    texts.iter().filter(|t| v.verify_text(t, NOW, 10).is_ok()).count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(accepted, texts.len());
}

#[test]
fn a_lock_held_past_the_busy_timeout_is_busy_then_clears() {
    let dir = TempDir::new("sqlite-locked");
    let path = dir.join("state.db");
    let store = SqliteStore::create(&path).unwrap();
    store.set_busy_timeout(Duration::from_millis(200)).unwrap();
    let v = verifier(store, 1);
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let code = hmac_text(5, NOW, 1);
    let r = v.verify_text_with_cause(&code, NOW, 0).unwrap_err();
    assert_eq!(r.error(), Error::StateUnavailable);
    assert_eq!(r.store_error().unwrap().kind(), StoreErrorKind::Busy, "{r}");
    assert!(r.to_string().contains("busy") || r.to_string().contains("locked"), "{r}");
    holder.execute_batch("COMMIT").unwrap();
    // spec: R-STATE-4: the next call works once the cause is gone.
    v.verify_text(&code, NOW, 0).unwrap();
    assert_eq!(v.store().export_log(None).unwrap().len(), 1);
}

#[test]
fn a_full_file_system_rejects_tears_nothing_and_recovers() {
    // A full disk needs a tmpfs of its own; without root, a store that fails
    // on purpose stands in.
    if !root_case("the full file system case") {
        full_disk_fallback();
        return;
    }
    let fs = SmallFs::mount(512);
    let path = fs.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), 1);
    let first = v.verify_text(&hmac_text(6, NOW, 0), NOW, 0).unwrap();
    let filler = fs.fill();
    // Verify until the store fails for lack of space: every call either
    // commits whole or is rejected with the cause.
    let mut accepted = vec![first.record];
    let mut full = None;
    for c in 1..5000 {
        match v.verify_text_with_cause(&hmac_text(7 + u64::from(c) % 50, NOW, c / 50), NOW, 0) {
            Ok(a) => accepted.push(a.record),
            Err(r) => {
                full = Some(r);
                break;
            }
        }
    }
    let r = full.expect("the file system never filled");
    assert_eq!(r.error(), Error::StateUnavailable);
    assert_eq!(r.store_error().unwrap().kind(), StoreErrorKind::Full, "{r}");
    assert!(r.to_string().contains("full"), "{r}");
    std::fs::remove_file(filler).unwrap();
    let next = v.verify_text(&hmac_text(60, NOW, 0), NOW, 0).unwrap();
    accepted.push(next.record);
    // Nothing torn: the log is exactly the acceptances reported.
    drop(v);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.export_log(None).unwrap(), accepted);
}

/// Not root, so no tmpfs: a store that fails on purpose as a full disk does.
fn full_disk_fallback() {
    let dir = TempDir::new("sqlite-full-fallback");
    let store = Failing { inner: SqliteStore::create(&dir.join("state.db")).unwrap(), failing: true.into() };
    let v = verifier(store, 1);
    let r = v.verify_text_with_cause(&hmac_text(6, NOW, 0), NOW, 0).unwrap_err();
    assert_eq!(r.error(), Error::StateUnavailable);
    assert!(r.to_string().contains("full"), "{r}");
    v.store().failing.store(false, std::sync::atomic::Ordering::SeqCst);
    v.verify_text(&hmac_text(6, NOW, 0), NOW, 0).unwrap();
    assert_eq!(v.store().inner.export_log(None).unwrap().len(), 1);
}

#[test]
fn a_read_only_store_rejects_with_the_cause_and_recovers() {
    let dir = TempDir::new("sqlite-ro");
    let fs = is_root().then(|| SmallFs::mount(2048));
    let path = fs.as_ref().map_or_else(|| dir.join("state.db"), |f| f.join("state.db"));
    drop(SqliteStore::create(&path).unwrap());
    let make_read_only = |ro: bool| match &fs {
        Some(f) => f.set_read_only(ro),
        None => {
            use std::os::unix::fs::PermissionsExt;
            let mode = if ro { 0o555 } else { 0o755 };
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
            let mode = if ro { 0o444 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    };
    make_read_only(true);
    let code = hmac_text(8, NOW, 2);
    match SqliteStore::open(&path) {
        Err(e) => assert_eq!(e.kind(), StoreErrorKind::ReadOnly, "{e}"),
        Ok(store) => {
            let r = verifier(store, 1).verify_text_with_cause(&code, NOW, 0).unwrap_err();
            assert_eq!(r.store_error().unwrap().kind(), StoreErrorKind::ReadOnly, "{r}");
            assert!(r.to_string().contains("read-only"), "{r}");
        }
    }
    make_read_only(false);
    let v = verifier(SqliteStore::open(&path).unwrap(), 1);
    v.verify_text(&code, NOW, 0).unwrap();
    assert_eq!(v.store().export_log(None).unwrap().len(), 1);
}

#[test]
fn import_round_trips_a_memory_state_and_refuses_a_store_in_use() {
    let mem = verifier(MemoryStore::new(params()), 1);
    mem.install_revocation_list(revocation_list(3, vec![102]), NOW).unwrap();
    for c in [0, 3, 60] {
        mem.verify_text(&hmac_text(9, NOW, c), NOW, 0).unwrap();
        mem.verify_text(&ed25519_text(0, NOW, c), NOW, 100).unwrap();
    }
    for c in 0..3 {
        assert_eq!(mem.verify_text(&numeric_bad_text(10, NOW, c), NOW, 0).unwrap_err(), Error::InvalidCode);
    }
    let state = mem.state();
    assert!(!state.hmac.budgets.is_empty() && !state.sources.is_empty());
    let dir = TempDir::new("sqlite-import");
    let store = SqliteStore::create(&dir.join("state.db")).unwrap();
    store.import(&state).unwrap();
    let contents = store.contents().unwrap();
    assert_eq!(contents, Contents { state: state.clone() });
    let e = store.import(&state).unwrap_err();
    assert!(e.to_string().contains("holds state already"), "{e}");
    // A state that lists one identity's record twice was not written by a
    // verifier: the second would replace the first as it is written (here
    // lowering it), so the state is refused whole.
    type Damage = fn(&mut paycode::VerifierState);
    let cases: [(&str, Damage); 6] = [
        ("the replay window of hmac identity", |s| {
            let (id, mut w) = s.hmac.windows[0];
            w.high = 0;
            s.hmac.windows.push((id, w));
        }),
        ("the ledger entry of ed25519 identity", |s| {
            let (id, mut sp) = s.ed25519.spent[0];
            sp.total = 0;
            s.ed25519.spent.push((id, sp));
        }),
        ("the counter mark of hmac identity", |s| {
            let (id, mark) = s.hmac.marks[0];
            s.hmac.marks.push((id, mark));
        }),
        ("the replay window of ed25519 identity", |s| {
            let first = s.ed25519.windows[0];
            s.ed25519.windows.push(first);
        }),
        ("the failure budget of hmac identity", |s| {
            let (id, _) = s.hmac.budgets[0];
            s.hmac.budgets.push((id, 0));
        }),
        ("the failure budget of terminal", |s| {
            let (terminal, _) = s.sources[0];
            s.sources.push((terminal, 0));
        }),
    ];
    for (i, (what, damage)) in cases.into_iter().enumerate() {
        let mut twice = state.clone();
        damage(&mut twice);
        let store = SqliteStore::create(&dir.join(format!("twice{i}.db"))).unwrap();
        let e = store.import(&twice).unwrap_err();
        assert!(e.to_string().contains(what) && e.to_string().contains("twice"), "{what}: {e}");
        assert_eq!(store.contents().unwrap(), Contents::default(), "{what}: nothing is written");
    }
    let v = verifier(store, 1);
    assert_eq!(v.verify_text(&hmac_text(9, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
    assert_eq!(v.verify_text(&ed25519_text(2, NOW, 0), NOW, 0).unwrap_err(), Error::Revoked);
    assert_eq!(v.revocation_number(), Some(3));
}

#[test]
fn quarantine_keeps_the_records() {
    // spec: R-STATE-5
    let dir = TempDir::new("sqlite-quarantine");
    let v = verifier(SqliteStore::create(&dir.join("state.db")).unwrap(), 1);
    v.verify_text(&hmac_text(11, NOW, 4), NOW, 0).unwrap();
    let later = NOW;
    v.quarantine(later).unwrap();
    // Codes of steps below T(later) + F + 1 are quarantined ...
    let r = v.verify_text_with_cause(&hmac_text(11, later, 5), later, 0).unwrap_err();
    assert_eq!(r.error(), Error::StateUnavailable);
    assert!(r.store_error().is_none(), "quarantine is a verdict, not a store failure");
    // ... and once on time again, the kept window (still live: top = T(NOW) = L)
    // knows counter 4.
    let after = later + 2 * 60;
    assert_eq!(v.verify_text(&hmac_text(11, after, 4), after, 0).unwrap_err(), Error::Replayed);
    v.verify_text(&hmac_text(11, after, 6), after, 0).unwrap();
    let state = v.store().contents().unwrap().state;
    assert_eq!(state.hmac.quarantine, step(later) + 2);
}

#[test]
fn revocation_lists_install_only_when_newer() {
    let dir = TempDir::new("sqlite-revocation");
    let v = verifier(SqliteStore::create(&dir.join("state.db")).unwrap(), 1);
    assert_eq!(v.revocation_number(), Some(1));
    v.install_revocation_list(revocation_list(2, vec![101]), NOW).unwrap();
    assert_eq!(v.verify_text(&ed25519_text(1, NOW, 0), NOW, 0).unwrap_err(), Error::Revoked);
    assert_eq!(
        v.install_revocation_list(revocation_list(2, vec![]), NOW),
        Err(paycode::InstallError::NotNewer)
    );
    v.install_revocation_list(revocation_list(5, vec![102]), NOW).unwrap();
    v.verify_text(&ed25519_text(1, NOW, 0), NOW, 0).unwrap();
    assert_eq!(v.verify_text(&ed25519_text(2, NOW, 0), NOW, 0).unwrap_err(), Error::Revoked);
    assert_eq!(v.revocation_number(), Some(5));
}

#[test]
fn eviction_removes_dead_records_only() {
    let dir = TempDir::new("sqlite-evict");
    let v = verifier(SqliteStore::create(&dir.join("state.db")).unwrap(), 1);
    v.verify_text(&hmac_text(12, NOW, 1), NOW, 0).unwrap();
    let t1 = NOW + 2 * 60;
    v.verify_text(&hmac_text(13, t1, 1), t1, 0).unwrap();
    assert_eq!(v.verify_text(&numeric_bad_text(14, t1, 1), t1, 0).unwrap_err(), Error::InvalidCode);
    // At t1 + 1 step, L = T(NOW) + 1: account 12's window (top T(NOW)) is dead.
    let t2 = t1 + 60;
    v.evict(t2).unwrap();
    let c = v.store().contents().unwrap();
    let subjects: Vec<u64> = c.state.hmac.windows.iter().map(|w| w.0).collect();
    assert_eq!(subjects, vec![13]);
    // The failure's budgets still charge (u = T(t1) + P), so they stay
    // until T_hw reaches u (spec: R-HMAC-7, R-HMAC-8).
    assert_eq!(c.state.hmac.budgets, [(14, step(t1) + 1440)]);
    assert_eq!(c.state.sources, [(1, step(t1) + 60)]);
    v.evict(t1 + 60 * 60).unwrap();
    let c = v.store().contents().unwrap();
    assert_eq!((c.state.hmac.budgets.len(), c.state.sources.len()), (1, 0), "the source's hour is over");
    v.evict(t1 + 1440 * 60).unwrap();
    assert!(v.store().contents().unwrap().state.hmac.budgets.is_empty());
    assert_eq!(v.store().contents().unwrap().state.hmac.high_water, step(t1) + 1440);
}

#[test]
fn marks_outlive_windows_and_go_with_the_ledger() {
    let dir = TempDir::new("sqlite-marks");
    let v = verifier(SqliteStore::create(&dir.join("state.db")).unwrap(), 1);
    common::marks_outlive_windows_and_go_with_the_ledger(&v, &|| v.store().contents().unwrap());
}

#[test]
fn a_version_3_database_gains_the_marks_of_its_windows() {
    let dir = TempDir::new("sqlite-v3");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), 1);
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    v.verify_text(&ed25519_text(1, NOW, 5), NOW, 10).unwrap();
    drop(v);
    // The database as version 3 left it: no marks table, no nonce table;
    // opening it runs the migrations. (Its log is the one the migration to
    // version 8 keeps as `log_v7`.)
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "DROP TABLE nonces; DROP TABLE marks; DROP TABLE budgets; DROP TABLE source_budgets;
         CREATE TABLE throttle (account INTEGER PRIMARY KEY, step INTEGER NOT NULL, failures INTEGER NOT NULL);
         ALTER TABLE revocation DROP COLUMN issued_at; ALTER TABLE revocation DROP COLUMN fresh_until;
         DROP TABLE log_v7;
         DROP TABLE trust;
         UPDATE schema_version SET version = 3",
    )
    .unwrap();
    drop(c);
    let store = SqliteStore::open(&path).unwrap();
    let version: u32 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // Each window's mark: its highest counter with its top step; the ed25519
    // one goes with the ledger entry (spec: R-REPLAY-7).
    let c = store.contents().unwrap();
    let wallet = common::ed25519(1);
    let fields = wallet.credential().fields();
    let not_after = fields.not_before + u64::from(fields.lifetime);
    assert_eq!(c.state.hmac.marks, [(12, Mark { counter: 3, step: step(NOW), until: None })]);
    assert_eq!(c.state.ed25519.marks, [(101, Mark { counter: 5, step: step(NOW), until: Some(not_after) })]);
    // So a lower counter with a later step is behind it at once, window or
    // not, once a list newer than the one version 6 uninstalled is in.
    let v = verifier(store, 1);
    v.install_revocation_list(revocation_list(2, vec![]), NOW).unwrap();
    let next = NOW + 60;
    assert_eq!(v.verify_text(&hmac_text(12, next, 2), next, 0).unwrap_err(), Error::CounterBehind);
    assert_eq!(v.verify_text(&ed25519_text(1, next, 4), next, 10).unwrap_err(), Error::CounterBehind);
    assert_eq!(v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
    v.verify_text(&hmac_text(12, next, 4), next, 0).unwrap();
}

#[test]
fn a_version_6_database_trades_its_throttle_for_budgets() {
    let dir = TempDir::new("sqlite-v6");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), 1);
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    drop(v);
    // The database as version 6 left it: a throttle table with a full
    // record of the current step, no budget tables.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "DROP TABLE budgets; DROP TABLE source_budgets;
         CREATE TABLE throttle (account INTEGER PRIMARY KEY, step INTEGER NOT NULL, failures INTEGER NOT NULL);
         DROP TABLE log_v7;
         DROP TABLE trust;
         UPDATE schema_version SET version = 6",
    )
    .unwrap();
    c.execute("INSERT INTO throttle VALUES (12, ?1, 8)", [i64::try_from(step(NOW)).unwrap()]).unwrap();
    drop(c);
    let store = SqliteStore::open(&path).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = c.query_row("SELECT version FROM schema_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('throttle', 'budgets', 'source_budgets') ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(tables, ["budgets", "source_budgets"]);
    drop(c);
    // The windows are kept; no budget is charged; the numeric form works
    // and its failures are charged from then on, durably.
    let v = verifier(store, 1);
    assert_eq!(v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
    assert!(v.store().contents().unwrap().state.hmac.budgets.is_empty());
    v.verify_text(&numeric_text(12, NOW, 4), NOW, 0).unwrap();
    for c in 5..9 {
        assert_eq!(v.verify_text(&numeric_bad_text(12, NOW, c), NOW, 0).unwrap_err(), Error::InvalidCode);
    }
    drop(v);
    let v = verifier(SqliteStore::open(&path).unwrap(), 1);
    assert_eq!(v.verify_text(&numeric_text(12, NOW + 60, 9), NOW + 60, 0).unwrap_err(), Error::Throttled);
    v.verify_text(&hmac_text(12, NOW + 60, 10), NOW + 60, 0).unwrap();
}

#[test]
fn a_state_without_marks_is_imported_with_the_marks_of_its_windows() {
    // A state file of a version before marks: windows, no marks.
    let mem = verifier(MemoryStore::new(params()), 1);
    mem.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    let mut state = mem.state();
    state.hmac.marks.clear();
    let dir = TempDir::new("sqlite-import-marks");
    let store = SqliteStore::create(&dir.join("state.db")).unwrap();
    store.import(&state).unwrap();
    let marks = store.contents().unwrap().state.hmac.marks;
    assert_eq!(marks, [(12, Mark { counter: 3, step: step(NOW), until: None })]);
}

#[test]
fn an_imported_window_without_bit_0_has_its_high_counter_accepted() {
    // A window whose bitmap lacks bit 0 (counter `H` itself) is read as
    // having `H` accepted, as the core's restore reads it: `H` is what the
    // window was raised to, by an acceptance.
    let mem = verifier(MemoryStore::new(params()), 1);
    mem.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    let mut state = mem.state();
    for w in &mut state.hmac.windows {
        w.1.bitmap &= !1;
    }
    let dir = TempDir::new("sqlite-import-bit0");
    let store = SqliteStore::create(&dir.join("state.db")).unwrap();
    store.import(&state).unwrap();
    assert_eq!(store.contents().unwrap().state.hmac.windows[0].1.bitmap & 1, 1);
    let v = verifier(store, 1);
    assert_eq!(v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
}

#[test]
fn steps_above_two_to_the_63_keep_their_order() {
    // u64 values above i64::MAX are stored as negative SQL integers; the
    // store's comparisons must still order them as u64s.
    let dir = TempDir::new("sqlite-u64");
    let store = SqliteStore::create(&dir.join("state.db")).unwrap();
    let id = Identity { profile: Profile::Hmac, subject: 1 };
    let top = u64::MAX - 5;
    store
        .transact(id, &mut |_| paycode::store::Changes {
            high_water: top,
            window: Some(paycode::replay::Window::first(1, top)),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(store.high_water().unwrap(), top);
    let keep = |below| paycode::store::Eviction {
        window_below: below,
        ledger_below: 0,
        budgets_through: 0,
        nonces_closed_before: 0,
    };
    store.evict(0, &|_| keep(1 << 63)).unwrap();
    assert_eq!(store.contents().unwrap().state.hmac.windows.len(), 1, "top > 2^63 is not below 2^63");
    store.evict(0, &|_| keep(u64::MAX)).unwrap();
    assert!(store.contents().unwrap().state.hmac.windows.is_empty());
    store.observe(u64::MAX).unwrap();
    assert_eq!(store.high_water().unwrap(), u64::MAX);
}

#[test]
fn terminals_have_their_own_windows_and_ledger() {
    let dir = TempDir::new("sqlite-terminals");
    let store = SqliteStore::create(&dir.join("state.db")).unwrap();
    terminals_keep_their_own_windows_and_ledger(&|scope, call| store.transact_at(scope, call));
    terminals_keep_their_own_nonce_sets(&|scope, call| store.transact_at(scope, call));
    // Terminal 0's records are the store's contents; the others' are not.
    let c = store.contents().unwrap();
    assert!(c.state.ed25519.windows.is_empty() && c.state.challenges.is_empty(), "{c:?}");
}

#[test]
fn tokens_are_kept_hashed_and_revoked_once() {
    let dir = TempDir::new("sqlite-tokens");
    let store = SqliteStore::create(&dir.join("state.db")).unwrap();
    tokens_round_trip(&|t| store.insert_token(t), &|| store.tokens(), &|id, at| store.revoke_token(id, at));
}

/// The reference: the in-memory store, whose contents are its state.
fn memory_contents(v: &paycode::Verifier<MemoryStore>) -> Contents {
    Contents { state: v.state() }
}

#[test]
fn a_challenge_is_paid_once() {
    let mem = verifier(MemoryStore::new(params()), TILL);
    common::a_challenge_is_paid_once(&mem, &|| memory_contents(&mem));
    let dir = TempDir::new("sqlite-challenge");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), TILL);
    common::a_challenge_is_paid_once(&v, &|| v.store().contents().unwrap());
    assert_eq!(v.store().contents().unwrap(), memory_contents(&mem));
    drop(v);
    // spec: R-REPLAY-5 restart-with-state: the nonce set is durable state.
    let v = verifier(SqliteStore::open(&path).unwrap(), TILL);
    let ch = paycode::Challenge::new(TILL, 250, NOW, [1; 16]);
    assert_eq!(pay(&v, &hmac_challenge_text(24, NOW, 0, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
    assert_eq!(v.store().contents().unwrap(), memory_contents(&mem));
}

#[test]
fn a_group_commit_pays_a_challenge_once() {
    let mem = verifier(MemoryStore::new(params()), TILL);
    common::a_group_commit_pays_a_challenge_once(&mem, &|| memory_contents(&mem));
    let dir = TempDir::new("sqlite-challenge-batch");
    let v = verifier(SqliteStore::create(&dir.join("state.db")).unwrap(), TILL);
    common::a_group_commit_pays_a_challenge_once(&v, &|| v.store().contents().unwrap());
    assert_eq!(v.store().contents().unwrap(), memory_contents(&mem));
}

#[test]
fn eviction_drops_closed_nonces_only() {
    let mem = verifier(MemoryStore::new(params()), TILL);
    common::eviction_drops_closed_nonces_only(&mem, &|| memory_contents(&mem));
    let dir = TempDir::new("sqlite-challenge-evict");
    let v = verifier(SqliteStore::create(&dir.join("state.db")).unwrap(), TILL);
    common::eviction_drops_closed_nonces_only(&v, &|| v.store().contents().unwrap());
}

#[test]
fn connections_racing_pay_each_challenge_once() {
    // Two connections to one file, as two processes have, two threads each.
    let dir = TempDir::new("sqlite-challenge-race");
    let path = dir.join("state.db");
    let verifiers = [
        verifier(SqliteStore::create(&path).unwrap(), TILL),
        verifier(SqliteStore::open(&path).unwrap(), TILL),
    ];
    assert_eq!(racing_payers_pay_each_challenge_once(&verifiers, 2, 20, 1), 20);
    // And in group commits of five, as a node's queue makes them.
    let verifiers = [
        verifier(SqliteStore::create(&dir.join("batches.db")).unwrap(), TILL),
        verifier(SqliteStore::open(&dir.join("batches.db")).unwrap(), TILL),
    ];
    assert_eq!(racing_payers_pay_each_challenge_once(&verifiers, 2, 40, 5), 40);
    let c = verifiers[0].store().contents().unwrap();
    assert_eq!(c.state.challenges, (0..40).map(|k| used(k, NOW)).collect::<Vec<_>>());
    assert_eq!(verifiers[1].store().export_log(None).unwrap().len(), 40);
}

#[test]
fn a_version_4_database_gains_an_empty_nonce_set() {
    let dir = TempDir::new("sqlite-v4");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), TILL);
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    let before = v.store().contents().unwrap();
    drop(v);
    // The database as version 4 left it: no nonce table, the throttle table.
    let c = rusqlite::Connection::open(&path).unwrap();
    // (Its log is the one the migration to version 8 keeps as `log_v7`.)
    c.execute_batch(
        "DROP TABLE nonces; DROP TABLE budgets; DROP TABLE source_budgets;
         CREATE TABLE throttle (account INTEGER PRIMARY KEY, step INTEGER NOT NULL, failures INTEGER NOT NULL);
         ALTER TABLE revocation DROP COLUMN issued_at; ALTER TABLE revocation DROP COLUMN fresh_until;
         DROP TABLE log_v7;
         DROP TABLE trust;
         UPDATE schema_version SET version = 4",
    )
    .unwrap();
    drop(c);
    let v = verifier(SqliteStore::open(&path).unwrap(), TILL);
    let version: u32 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // Version 6 uninstalls the revocation list (its layout changed), keeping
    // its number, not its issue time, as the floor; the rest is kept.
    let number = before.state.revocation_list.as_ref().unwrap().number();
    let floor = paycode::revocation::ListMark { number, issued_at: 0 };
    let before = Contents {
        state: paycode::VerifierState {
            revocation_list: None,
            revocation_withdrawn: true,
            revocation_floor: Some(floor),
            ..before.state
        },
    };
    assert_eq!(v.store().contents().unwrap(), before);
    assert_eq!(v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
    let ch = paycode::Challenge::new(TILL, 9, NOW, [5; 16]);
    pay(&v, &hmac_challenge_text(12, NOW, 4, &ch), &ch, NOW).unwrap();
    assert_eq!(pay(&v, &hmac_challenge_text(13, NOW, 0, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
    assert_eq!(v.store().contents().unwrap().state.challenges, [used(5, NOW)]);
}

#[test]
fn a_version_7_log_is_kept_apart_and_the_new_log_carries_evidence() {
    let dir = TempDir::new("sqlite-v7");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), TILL);
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    let before = v.store().contents().unwrap();
    drop(v);
    // The database as version 7 left it: a log of 44-byte records' fields.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "DROP TABLE log_v7; DROP TABLE log;
         CREATE TABLE log (
             seq INTEGER PRIMARY KEY AUTOINCREMENT, profile INTEGER NOT NULL, key_id INTEGER NOT NULL,
             subject INTEGER NOT NULL, counter INTEGER NOT NULL, step INTEGER NOT NULL,
             accepted_at INTEGER NOT NULL, amount INTEGER NOT NULL, terminal_id INTEGER NOT NULL);
         INSERT INTO log (profile, key_id, subject, counter, step, accepted_at, amount, terminal_id)
             VALUES (1, 0, 12, 3, 30000000, 1800000000, 0, 7);
         DROP TABLE trust;
         UPDATE schema_version SET version = 7",
    )
    .unwrap();
    drop(c);
    let v = verifier(SqliteStore::open(&path).unwrap(), TILL);
    let c = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = c.query_row("SELECT version FROM schema_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // The old record stays as it was, apart; it is not exported, as it proves nothing.
    let old: (i64, i64, i64) = c
        .query_row("SELECT subject, counter, terminal_id FROM log_v7", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(old, (12, 3, 7));
    assert!(v.store().export_log(None).unwrap().is_empty());
    assert_eq!(v.store().contents().unwrap(), before, "the replay state is untouched");
    assert_eq!(v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
    let text = hmac_text(12, NOW, 4);
    v.verify_text(&text, NOW, 250).unwrap();
    let log = v.store().export_log(None).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].code().unwrap().to_text(), text, "the record holds the code as verified");
    assert_eq!((log[0].amount, log[0].terminal_id), (250, TILL));
}

#[test]
fn import_keeps_the_nonce_set_and_refuses_a_nonce_twice() {
    let mem = verifier(MemoryStore::new(params()), TILL);
    let ch = paycode::Challenge::new(TILL, 9, NOW, [6; 16]);
    pay(&mem, &hmac_challenge_text(12, NOW, 0, &ch), &ch, NOW).unwrap();
    let state = mem.state();
    assert_eq!(state.challenges, [used(6, NOW)]);
    let dir = TempDir::new("sqlite-import-nonces");
    let store = SqliteStore::create(&dir.join("state.db")).unwrap();
    store.import(&state).unwrap();
    assert_eq!(store.contents().unwrap().state, state);
    let v = verifier(store, TILL);
    assert_eq!(pay(&v, &hmac_challenge_text(13, NOW, 0, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
    // A state with one nonce twice was not written by a verifier.
    let mut twice = state.clone();
    twice.challenges.push(paycode::UsedChallenge { nonce: [6; 16], closes: NOW });
    let store = SqliteStore::create(&dir.join("twice.db")).unwrap();
    let e = store.import(&twice).unwrap_err();
    assert!(e.to_string().contains("06060606060606060606060606060606 twice"), "{e}");
    assert_eq!(store.contents().unwrap(), Contents::default(), "nothing is written");
}

#[test]
fn a_version_5_database_uninstalls_its_list_and_keeps_its_number() {
    let dir = TempDir::new("sqlite-v5");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), TILL);
    v.install_revocation_list(revocation_list(3, vec![101]), NOW).unwrap();
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    drop(v);
    // The database as version 5 left it: a list in the old layout (no
    // next_update, no grace), numbered 3, and no issued_at or fresh_until columns.
    let mut old = vec![1u8, 0, 1];
    old.extend_from_slice(&3u64.to_be_bytes());
    old.extend_from_slice(&(NOW - 60).to_be_bytes());
    old.extend_from_slice(&1u32.to_be_bytes());
    old.extend_from_slice(&101u64.to_be_bytes());
    old.extend_from_slice(&[7; 64]);
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "ALTER TABLE revocation DROP COLUMN issued_at; ALTER TABLE revocation DROP COLUMN fresh_until;
         DROP TABLE budgets; DROP TABLE source_budgets;
         CREATE TABLE throttle (account INTEGER PRIMARY KEY, step INTEGER NOT NULL, failures INTEGER NOT NULL);
         DROP TABLE log_v7;
         DROP TABLE trust;
         UPDATE schema_version SET version = 5",
    )
    .unwrap();
    c.execute("UPDATE revocation SET encoding = ?1", [&old]).unwrap();
    drop(c);
    let store = SqliteStore::open(&path).unwrap();
    let version: u32 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // The old list is uninstalled: every ed25519 code is revocation-stale (spec: R-REVOKE-4).
    assert_eq!(store.contents().unwrap().state.revocation_list, None);
    let mut v = paycode::Verifier::with_store(params(), TILL, store);
    let period =
        paycode::KeyPeriod { key_id: 1, not_before: NOW - 30 * 86_400, not_after: NOW + 30 * 86_400 };
    trust(&mut v, &issuer(), &[period]);
    assert_eq!(v.revocation_number(), None);
    assert_eq!(v.verify_text(&ed25519_text(2, NOW, 0), NOW, 0).unwrap_err(), Error::RevocationStale);
    // Its number stays the floor: list 3 again is not newer, list 4 is.
    assert_eq!(
        v.install_revocation_list(revocation_list(3, vec![]), NOW),
        Err(paycode::InstallError::NotNewer)
    );
    v.install_revocation_list(revocation_list(4, vec![101]), NOW).unwrap();
    assert_eq!(v.verify_text(&ed25519_text(1, NOW, 0), NOW, 0).unwrap_err(), Error::Revoked);
    v.verify_text(&ed25519_text(2, NOW, 0), NOW, 0).unwrap();
}

#[test]
fn a_version_8_database_holds_no_trust_list_until_one_is_installed() {
    let dir = TempDir::new("sqlite-v8");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), TILL);
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    let before = v.store().contents().unwrap();
    drop(v);
    // The database as version 8 left it: no trust table.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("DROP TABLE trust; UPDATE schema_version SET version = 8").unwrap();
    drop(c);
    let store = SqliteStore::open(&path).unwrap();
    let version: u32 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(store.trust_list().unwrap(), None);
    assert_eq!(store.contents().unwrap(), before, "the replay state is untouched");
    let v = verifier(store, TILL);
    assert_eq!(v.store().trust_list().unwrap().map(|t| t.sequence()), Some(1));
    assert_eq!(v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
}

#[test]
fn the_installed_trust_list_survives_a_reopening_and_an_older_one_is_refused() {
    // spec: R-TRUST-4, across processes: the store keeps the newest list.
    let dir = TempDir::new("sqlite-trust");
    let path = dir.join("state.db");
    let issuer = issuer();
    let period = paycode::KeyPeriod { key_id: 1, not_before: NOW - 86_400, not_after: NOW + 86_400 };
    let list =
        |sequence| issuer.trust_list(paycode::TrustHeader { sequence, issued_at: NOW }, &[period]).unwrap();
    let mut v = paycode::Verifier::with_store(params(), TILL, SqliteStore::create(&path).unwrap());
    v.set_root_key(issuer.root_public_key().unwrap());
    assert_eq!(v.install_trust_list(list(3), NOW), Ok(()));
    drop(v);
    let mut v = paycode::Verifier::with_store(params(), TILL, SqliteStore::open(&path).unwrap());
    assert_eq!(v.trust_list().map(|t| t.sequence()), Some(3), "loaded from the store");
    v.set_root_key(issuer.root_public_key().unwrap());
    assert_eq!(v.install_trust_list(list(2), NOW), Err(paycode::InstallError::NotNewer));
    assert_eq!(v.install_trust_list(list(3), NOW), Err(paycode::InstallError::NotNewer));
    assert_eq!(v.install_trust_list(list(4), NOW), Ok(()));
    assert_eq!(v.store().trust_list().unwrap().map(|t| t.sequence()), Some(4));
}

#[test]
fn a_revocation_list_the_recheck_uninstalled_stays_uninstalled_after_a_reopening() {
    // spec: R-REVOKE-6, kept with the state: the floor stays, the list does not come back.
    let dir = TempDir::new("sqlite-withdrawn");
    let path = dir.join("state.db");
    let issuer = issuer();
    let key = |key_id| paycode::KeyPeriod { key_id, not_before: NOW - 86_400, not_after: NOW + 86_400 };
    let trust = |sequence, keys: &[paycode::KeyPeriod]| {
        issuer.trust_list(paycode::TrustHeader { sequence, issued_at: NOW }, keys).unwrap()
    };
    let mut v = paycode::Verifier::with_store(params(), TILL, SqliteStore::create(&path).unwrap());
    v.set_root_key(issuer.root_public_key().unwrap());
    v.install_trust_list(trust(1, &[key(1), key(2)]), NOW).unwrap();
    v.install_revocation_list(revocation_list(3, vec![]), NOW).unwrap();
    v.install_trust_list(trust(2, &[key(2)]), NOW).unwrap();
    assert!(v.revocation_list_withdrawn());
    drop(v);
    let mut v = paycode::Verifier::with_store(params(), TILL, SqliteStore::open(&path).unwrap());
    assert_eq!(v.store().revocation_list().unwrap(), None, "uninstalled in the database");
    assert!(v.store().revocation_withdrawn().unwrap());
    assert!(v.revocation_list_withdrawn(), "the reopened verifier knows it");
    assert_eq!(v.revocation_number(), None);
    v.set_root_key(issuer.root_public_key().unwrap());
    // Trusting key 1 again does not bring it back.
    v.install_trust_list(trust(3, &[key(1), key(2)]), NOW).unwrap();
    assert_eq!(v.store().revocation_list().unwrap(), None);
    // Its number is still the floor: list 3 again is not newer.
    assert_eq!(
        v.install_revocation_list(revocation_list(3, vec![]), NOW),
        Err(paycode::InstallError::NotNewer)
    );
    assert_eq!(v.install_revocation_list(revocation_list(4, vec![]), NOW), Ok(()));
    assert!(!v.revocation_list_withdrawn());
    assert!(!v.store().revocation_withdrawn().unwrap());
    drop(v);
    let v = paycode::Verifier::with_store(params(), TILL, SqliteStore::open(&path).unwrap());
    assert!(!v.revocation_list_withdrawn(), "installed again");
}

#[test]
fn a_withdrawn_revocation_list_is_exported_as_its_floor_and_imported_withdrawn() {
    // spec: R-REVOKE-2, R-REVOKE-6, across an export and an import: the list
    // stays uninstalled and its number stays the floor of the next install.
    let dir = TempDir::new("sqlite-withdrawn-export");
    let exported = common::a_withdrawn_list_is_exported_as_its_floor_and_imported_withdrawn(
        SqliteStore::create(&dir.join("first.db")).unwrap(),
        &|s: &SqliteStore| s.contents().unwrap().state,
        &|name, state| {
            let store = SqliteStore::create(&dir.join(format!("{name}.db"))).unwrap();
            store.import(state).unwrap();
            store
        },
    );

    // A state that gives its list inconsistently is refused, and nothing is written.
    let list = Some(revocation_list(7, vec![]));
    let bad = [
        paycode::VerifierState { revocation_list: list.clone(), ..exported.clone() },
        paycode::VerifierState { revocation_withdrawn: false, ..exported.clone() },
        paycode::VerifierState { revocation_floor: None, ..exported.clone() },
        paycode::VerifierState {
            revocation_floor: Some(paycode::revocation::ListMark { number: 0, issued_at: NOW }),
            ..exported
        },
    ];
    for (i, state) in bad.iter().enumerate() {
        let store = SqliteStore::create(&dir.join(format!("bad{i}.db"))).unwrap();
        let err = store.import(state).unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Other, "{i}: {err}");
        assert!(err.to_string().contains("revocation"), "{i}: {err}");
        assert_eq!(store.contents().unwrap(), Contents::default(), "{i}");
    }
}

#[test]
fn log_columns_name_the_account_and_the_real_counter() {
    let dir = TempDir::new("sqlite-columns");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), 3);
    let columns = || {
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut q = c.prepare("SELECT subject, counter FROM log ORDER BY seq").unwrap();
        q.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u32)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let export = || v.store().export_log(None).unwrap();
    common::log_columns_name_the_account_and_the_real_counter(&v, &columns, &export);
}

#[test]
fn a_database_removed_or_replaced_while_in_use_rejects_every_call() {
    // SQLite goes on writing to the files it has open: an acceptance written
    // into a file no longer at the path would be lost at the next opening.
    for (case, damage) in [
        (
            "removed",
            &(|path: &std::path::Path| {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }) as &dyn Fn(&std::path::Path),
        ),
        ("renamed", &|path| std::fs::rename(path, path.with_extension("moved")).unwrap()),
        ("replaced", &|path| {
            let other = path.with_extension("other");
            drop(SqliteStore::create(&other).unwrap());
            std::fs::rename(&other, path).unwrap();
        }),
        ("log removed", &|path| std::fs::remove_file(format!("{}-wal", path.display())).unwrap()),
        ("log replaced", &|path| {
            // A copy of the same bytes, put in its place: another file.
            let wal = format!("{}-wal", path.display());
            std::fs::copy(&wal, format!("{wal}.copy")).unwrap();
            std::fs::rename(format!("{wal}.copy"), &wal).unwrap();
        }),
    ] {
        let dir = TempDir::new("sqlite-removed");
        let path = dir.join("state.db");
        let v = verifier(SqliteStore::create(&path).unwrap(), 1);
        let first = v.verify_text(&hmac_text(6, NOW, 0), NOW, 0).unwrap();
        damage(&path);
        let code = hmac_text(6, NOW, 1);
        let r = v.verify_text_with_cause(&code, NOW, 0).unwrap_err();
        assert_eq!(r.error(), Error::StateUnavailable, "{case}");
        assert_eq!(r.store_error().unwrap().kind(), StoreErrorKind::Unavailable, "{case}: {r}");
        assert!(r.to_string().contains("while in use"), "{case}: {r}");
        // Reads fail too (a health check reads), and so does the next call.
        assert!(v.store().high_water().is_err(), "{case}");
        assert_eq!(
            v.verify_text(&hmac_text(7, NOW, 0), NOW, 0).unwrap_err(),
            Error::StateUnavailable,
            "{case}"
        );
        if case == "log removed" {
            drop(v);
            // The database file holds what was checkpointed, and nothing the
            // rejected calls wrote.
            let log = SqliteStore::open(&path).unwrap().export_log(None).unwrap();
            assert!(log.iter().all(|r| *r == first.record), "{log:?}");
        }
    }
}

#[test]
fn an_empty_file_is_not_a_state_database() {
    let dir = TempDir::new("sqlite-empty");
    let path = dir.join("state.db");
    std::fs::write(&path, b"").unwrap();
    let e = SqliteStore::open(&path).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Incompatible, "{e}");
    assert!(e.to_string().contains("an empty file"), "{e}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left as it was");
    assert!(SqliteStore::create(&path).unwrap_err().to_string().contains("exists already"));
}

#[test]
fn a_create_that_fails_leaves_no_file() {
    // Without root there is no tmpfs to fill, so a create cannot be made to fail midway.
    if !root_case("a create that fails midway") {
        return;
    }
    let fs = SmallFs::mount(256);
    let filler = fs.fill();
    let path = fs.join("state.db");
    let e = SqliteStore::create(&path).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Full, "{e}");
    let left: Vec<_> = std::fs::read_dir(fs.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, [std::ffi::OsString::from("filler")], "nothing but the filler");
    std::fs::remove_file(filler).unwrap();
    let v = verifier(SqliteStore::create(&path).unwrap(), 1);
    v.verify_text(&hmac_text(6, NOW, 0), NOW, 0).unwrap();
}

#[test]
fn a_list_another_verifier_installs_over_a_withdrawn_one_is_in_force_at_once() {
    // spec: R-REVOKE-6 over a store two verifiers share: B starts while the
    // store holds list 3 withdrawn, then A installs list 4, which B uses at once.
    let dir = TempDir::new("sqlite-withdrawn-shared");
    let path = dir.join("state.db");
    let issuer = issuer();
    let key =
        |key_id| paycode::KeyPeriod { key_id, not_before: NOW - 30 * 86_400, not_after: NOW + 30 * 86_400 };
    let trust = |sequence, keys: &[paycode::KeyPeriod]| {
        issuer.trust_list(paycode::TrustHeader { sequence, issued_at: NOW }, keys).unwrap()
    };
    let mut a = paycode::Verifier::with_store(params(), TILL, SqliteStore::create(&path).unwrap());
    a.set_root_key(issuer.root_public_key().unwrap());
    a.install_trust_list(trust(1, &[key(1), key(2)]), NOW).unwrap();
    a.install_revocation_list(revocation_list(3, vec![]), NOW).unwrap();
    a.install_trust_list(trust(2, &[key(2)]), NOW).unwrap();
    a.install_trust_list(trust(3, &[key(1), key(2)]), NOW).unwrap();
    assert!(a.revocation_list_withdrawn());
    let b = paycode::Verifier::with_store(params(), TILL, SqliteStore::open(&path).unwrap());
    assert!(b.revocation_list_withdrawn());
    assert_eq!(b.verify_text(&ed25519_text(1, NOW, 0), NOW, 5).unwrap_err(), Error::RevocationStale);
    a.install_revocation_list(revocation_list(4, vec![]), NOW).unwrap();
    assert!(!a.revocation_list_withdrawn() && !b.revocation_list_withdrawn());
    b.verify_text(&ed25519_text(1, NOW, 0), NOW, 5).unwrap();
}

#[test]
fn a_database_reached_through_a_link_is_checked_where_it_is() {
    let dir = TempDir::new("sqlite-link");
    let real = dir.join("real.db");
    drop(SqliteStore::create(&real).unwrap());
    let link = dir.join("state.db");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let v = verifier(SqliteStore::open(&link).unwrap(), 1);
    v.verify_text(&hmac_text(6, NOW, 0), NOW, 0).unwrap();
    assert!(dir.join("real.db-wal").exists(), "the log is beside the file the link names");
    std::fs::remove_file(dir.join("real.db-wal")).unwrap();
    assert_eq!(v.verify_text(&hmac_text(6, NOW, 1), NOW, 0).unwrap_err(), Error::StateUnavailable);
}

#[test]
fn a_busy_timeout_above_what_sqlite_takes_is_refused() {
    let dir = TempDir::new("sqlite-busy-max");
    let store = SqliteStore::create(&dir.join("state.db")).unwrap();
    store.set_busy_timeout(Duration::from_millis(2_147_483_647)).unwrap();
    for too_long in [Duration::from_millis(2_147_483_648), Duration::MAX] {
        let e = store.set_busy_timeout(too_long).unwrap_err();
        assert!(e.to_string().contains("2147483647 ms"), "{e}");
    }
}

#[test]
fn another_connection_closing_leaves_the_files_a_store_checks() {
    // The last connection to close removes the write-ahead log; while a
    // store is open, no other connection's close does.
    let dir = TempDir::new("sqlite-two");
    let path = dir.join("state.db");
    let a = verifier(SqliteStore::create(&path).unwrap(), 1);
    a.verify_text(&hmac_text(6, NOW, 0), NOW, 0).unwrap();
    for c in 1..4 {
        let b = verifier(SqliteStore::open(&path).unwrap(), 1);
        b.verify_text(&hmac_text(7, NOW, c), NOW, 0).unwrap();
        drop(b);
        a.verify_text(&hmac_text(6, NOW, c), NOW, 0).unwrap();
    }
    assert_eq!(a.store().export_log(None).unwrap().len(), 7);
}

/// An older state written into the file in place (a backup restored into
/// it) while a node uses it: the node has read a higher `T_hw` than the
/// file now holds, so it decides nothing on it, where it would accept again
/// a code it accepted before (spec: R-STATE-5, R-STATE-7).
#[test]
fn a_store_that_lost_committed_changes_under_a_running_node_rejects_every_call() {
    let dir = TempDir::new("sqlite-went-back");
    let path = dir.join("state.db");
    let v = verifier(SqliteStore::create(&path).unwrap(), 1);
    let code = hmac_text(6, NOW, 0);
    v.verify_text(&code, NOW, 0).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "UPDATE meta SET high_water = 0; DELETE FROM windows; DELETE FROM marks; DELETE FROM log;",
        )
        .unwrap();
    let export = || v.store().export_log(None).unwrap();
    common::a_store_that_went_back_rejects_every_call(&v, &code, &export);
    // A node that opens it anew (in quarantine, as the operator must) reads it.
    assert_eq!(SqliteStore::open(&path).unwrap().high_water().unwrap(), 0);
}
