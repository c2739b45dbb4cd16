//! A verification on the SQLite store against its floor, in the same run: a
//! bare SQLite write transaction that updates one row, on a database with
//! the same durability settings (WAL, `synchronous=FULL`) in the same
//! folder (under `target/`, on disk). Both end in one fsync of the
//! write-ahead log per call, which dominates; the ratio is what the store
//! adds to it (target at most 1.5). `verify_challenge` is a challenge-mode
//! payment, whose transaction also reads and inserts the challenge's nonce.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

// The core's bench support: the run record that ties these results to one run.
#[path = "../../../benches/common/mod.rs"]
mod common;

use std::cell::Cell;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use paycode::{Challenge, HmacWallet, Params, Purpose, Seed, TextPayment, Verifier};
use paycode_store::SqliteStore;

const NOW: u64 = 1_800_000_000;
/// Enrolled accounts; codes cycle through them so that each window stays small.
const ACCOUNTS: u64 = 64;

fn folder() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-sqlite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sqlite(c: &mut Criterion) {
    let run = common::Run::start("sqlite");
    let dir = folder();
    let mut g = c.benchmark_group("sqlite");

    // The floor: one write transaction updating one row, durable as the store's.
    let conn = rusqlite::Connection::open(dir.join("floor.db")).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
         INSERT INTO t VALUES (1, 0);",
    )
    .unwrap();
    let floor = || {
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        conn.prepare_cached("UPDATE t SET v = v + 1 WHERE id = ?1").unwrap().execute([black_box(1)]).unwrap();
        conn.execute_batch("COMMIT").unwrap();
    };

    // A verification from QR text: decode, key lookup, then the store's
    // transaction (read meta and the identity's rows, decide, write the
    // window and the log record, commit).
    let params = Params::default();
    let seeds: Vec<Seed> =
        (0..ACCOUNTS).map(|a| Seed::from_bytes(&[u8::try_from(a).unwrap() + 1; 32])).collect();
    let mut v = Verifier::with_store(params, 1, SqliteStore::create(&dir.join("state.db")).unwrap());
    for (a, seed) in seeds.iter().enumerate() {
        v.add_account(a as u64, seed);
    }
    let wallets: Vec<HmacWallet> =
        seeds.iter().enumerate().map(|(a, s)| HmacWallet::new(params, a as u64, s, 0)).collect();
    let step = NOW / params.step_secs();
    let n = Cell::new(0u64);
    let next_text = || {
        n.set(n.get() + 1);
        let w = &wallets[(n.get() % ACCOUNTS) as usize];
        w.code_for(step, u32::try_from(n.get() / ACCOUNTS).unwrap()).to_qr_text()
    };
    let verify = |text: &str| assert!(v.verify_text(text, NOW, 0).is_ok());
    // A challenge payment: a fresh challenge of this terminal each time,
    // paid by the next account's challenge code.
    let next_payment = || {
        n.set(n.get() + 1);
        let mut nonce = [0; 16];
        nonce[..8].copy_from_slice(&n.get().to_be_bytes());
        let ch = Challenge::new(1, 250, NOW, nonce);
        let w = &wallets[(n.get() % ACCOUNTS) as usize];
        let counter = u32::try_from(n.get() / ACCOUNTS).unwrap();
        (w.code_as(step, counter, Purpose::Challenge(&ch)).to_qr_text(), ch.to_qr_text())
    };
    let pay = |(text, challenge): &(String, String)| {
        let payment = TextPayment { text, amount: 250, challenge: Some(challenge) };
        assert!(v.verify_text_payment(payment, NOW).is_ok());
    };

    // The two alternate in both benchmarks, one timed and one not, so that
    // both see the same disk: an fsync's cost drifts with what else the
    // machine writes, and would otherwise favour whichever ran at a quiet time.
    g.bench_function("bare_update", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                floor();
                timed += start.elapsed();
                verify(&next_text());
            }
            timed
        })
    });
    g.bench_function("verify_text", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let text = next_text();
                floor();
                let start = Instant::now();
                verify(&text);
                timed += start.elapsed();
            }
            timed
        })
    });
    g.bench_function("verify_challenge", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let payment = next_payment();
                floor();
                let start = Instant::now();
                pay(&payment);
                timed += start.elapsed();
            }
            timed
        })
    });
    g.finish();
    run.finish("");
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, sqlite);
criterion_main!(benches);
