//! Verifications per second on the PostgreSQL store against `pgbench`
//! running a one-row update on the same server, in one run: a server of its
//! own (`fsync=on`), the same number of clients, the same duration.
//!
//! ```sh
//! cargo run --release -p paycode-store --example pg_throughput -- [clients] [seconds]
//! ```
//!
//! Each client is a thread verifying fresh hmac codes of accounts of its own
//! through one shared `Verifier<PostgresStore>` (a pool of `clients`
//! connections); pgbench's clients each update a random row of 1,000 in a
//! transaction of one statement. Both commit once per operation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use paycode::{HmacWallet, Params, Seed, Verifier};
use paycode_store::{PostgresOptions, PostgresStore};
use paycode_test_support::postgres::Cluster;

const NOW: u64 = 1_800_000_000;
/// Accounts per client; each thread cycles through its own.
const ACCOUNTS_PER_CLIENT: u64 = 16;

fn main() {
    let mut args = std::env::args().skip(1);
    let clients: u64 = args.next().map_or(8, |a| a.parse().unwrap());
    let seconds: u64 = args.next().map_or(10, |a| a.parse().unwrap());
    let cluster = Cluster::start();
    let options = PostgresOptions { max_connections: clients as usize, ..PostgresOptions::default() };
    let store = PostgresStore::create(&cluster.url(), options).unwrap();
    let params = Params::default();
    let mut v = Verifier::with_store(params, 1, store);
    let accounts = clients * ACCOUNTS_PER_CLIENT;
    let seed = |a: u64| Seed::from_bytes(&[u8::try_from(a % 250).unwrap() + 1; 32]);
    for a in 0..accounts {
        v.add_account(a, &seed(a));
    }
    let step = NOW / params.step_secs();
    let done = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    let barrier = Barrier::new(usize::try_from(clients).unwrap() + 1);
    let elapsed = std::thread::scope(|s| {
        for c in 0..clients {
            let (v, done, count, barrier) = (&v, &done, &count, &barrier);
            s.spawn(move || {
                let wallets: Vec<HmacWallet> = (0..ACCOUNTS_PER_CLIENT)
                    .map(|i| {
                        let a = c * ACCOUNTS_PER_CLIENT + i;
                        HmacWallet::new(params, a, &seed(a), 0)
                    })
                    .collect();
                barrier.wait();
                let mut n = 0u64;
                while !done.load(Ordering::Relaxed) {
                    let w = &wallets[(n % ACCOUNTS_PER_CLIENT) as usize];
                    let text = w.code_for(step, u32::try_from(n / ACCOUNTS_PER_CLIENT).unwrap()).to_qr_text();
                    v.verify_text(&text, NOW, 0).unwrap();
                    n += 1;
                }
                count.fetch_add(n, Ordering::Relaxed);
            });
        }
        barrier.wait();
        let start = Instant::now();
        std::thread::sleep(Duration::from_secs(seconds));
        done.store(true, Ordering::Relaxed);
        start.elapsed()
    });
    let ours = count.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64();

    cluster.psql(
        "CREATE TABLE bench (id integer PRIMARY KEY, v bigint NOT NULL);
         INSERT INTO bench SELECT g, 0 FROM generate_series(1, 1000) g;",
    );
    let script = std::env::temp_dir().join(format!("paycode-pgbench-{}.sql", std::process::id()));
    std::fs::write(&script, "\\set id random(1, 1000)\nUPDATE bench SET v = v + 1 WHERE id = :id;\n")
        .unwrap();
    let out = cluster
        .command("pgbench")
        .args(["-n", "-M", "prepared", "-j", "2", "-h", "127.0.0.1", "-U", "paycode", "-d", "postgres"])
        .args(["-p", &cluster.port().to_string(), "-c", &clients.to_string(), "-T", &seconds.to_string()])
        .arg("-f")
        .arg(&script)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    let tps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| {
            panic!("no tps in pgbench's output:\n{text}{}", String::from_utf8_lossy(&out.stderr))
        });
    println!("clients {clients}, {seconds} s each, fsync=on, synchronous_commit=on");
    println!("paycode verify on PostgresStore: {ours:.0} verifications/s");
    println!("pgbench one-row update:          {tps:.0} transactions/s");
    println!("ratio: {:.2}", ours / tps);
}
