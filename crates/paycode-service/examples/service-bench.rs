//! The service benchmark behind `scripts/service-bench.sh`: on one
//! temporary PostgreSQL cluster (fsync and synchronous_commit on), in one
//! run,
//!
//! 1. `pgbench` with a one-row update script (a random row of 100 000)
//!    from 64 clients: the server's own rate of durable one-row commits;
//! 2. `paycode serve` on 1, 2, 3 and 4 nodes, 64 clients sending distinct
//!    hmac codes as fast as they are answered: throughput, and the CPU the
//!    machine had left;
//! 3. 4 nodes at a fixed request rate: p50 and p99 latency;
//! 4. one node on the embedded default, a SQLite store, under the load of 2.
//!
//! It prints a Markdown report on standard output.
//!
//! `cargo run --release -p paycode-service --example service-bench -- PAYCODE_BINARY [REQUESTS]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use paycode::{HmacWallet, Params, Seed};
use paycode_service::load::{self, Plan, Progress, Tally};
use paycode_test_support::postgres::Cluster;

const ACCOUNTS: u64 = 1024;
const CLIENTS: usize = 64;

fn main() {
    let mut args = std::env::args().skip(1);
    let paycode = PathBuf::from(args.next().expect("usage: service-bench PAYCODE_BINARY [REQUESTS]"));
    let requests: usize = args.next().map_or(20_000, |n| n.parse().unwrap());
    let dir = std::env::temp_dir().join(format!("paycode-service-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let load_before = loadavg();
    let cluster = Cluster::start();
    let url = cluster.url();
    let settings =
        cluster.psql("SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit')");

    // 1. pgbench: one-row updates, the same server, the same durability.
    cluster.psql(
        "CREATE TABLE bench (id integer PRIMARY KEY, n bigint NOT NULL);
         INSERT INTO bench SELECT i, 0 FROM generate_series(1, 100000) i;",
    );
    cluster.psql("VACUUM ANALYZE bench");
    let script = dir.join("update.sql");
    std::fs::write(&script, "\\set id random(1, 100000)\nUPDATE bench SET n = n + 1 WHERE id = :id;\n")
        .unwrap();
    let cpu = Cpu::now();
    let pgbench = Command::new("pgbench")
        .args(["-n", "-h", "127.0.0.1", "-U", "paycode", "-p", &cluster.port().to_string()])
        .args(["-c", &CLIENTS.to_string(), "-j", "2", "-T", "15", "-f"])
        .arg(&script)
        .arg("postgres")
        .output()
        .expect("pgbench (Debian package postgresql-contrib)");
    let pgbench_cpu = cpu.busy();
    let out = String::from_utf8_lossy(&pgbench.stdout);
    let pg_tps: f64 = out
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("pgbench: {out}\n{}", String::from_utf8_lossy(&pgbench.stderr)));

    // 2. The service on 1 to 4 nodes.
    let issuer = issuer(&paycode, &dir);
    let token = token_add(&paycode, &url);
    let mut nodes: Vec<Node> = Vec::new();
    let mut scaling = Vec::new();
    let mut next_code = 0usize;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for n in 1..=4 {
        nodes.push(Node::start(&paycode, &issuer, &url, &dir.join(format!("node{n}.log"))));
        let cpu = Cpu::now();
        let tally = run(&runtime, &nodes, &token, requests, None, &mut next_code);
        scaling.push((n, tally.throughput(), cpu.busy(), tally));
    }
    // 3. Latency at a fixed rate: half of the 4-node throughput.
    let rate = (scaling[3].1 * 0.5).round();
    let fixed = run(&runtime, &nodes, &token, (rate * 10.0) as usize, Some(rate), &mut next_code);
    drop(nodes);
    drop(cluster);
    // 4. One node on the embedded default, SQLite (WAL, synchronous=FULL), with the same load.
    let sqlite = format!("sqlite:{}", dir.join("state.db").display());
    let sqlite_token = token_add(&paycode, &sqlite);
    let node = Node::start(&paycode, &issuer, &sqlite, &dir.join("sqlite.log"));
    let cpu = Cpu::now();
    let embedded = run(&runtime, std::slice::from_ref(&node), &sqlite_token, requests, None, &mut next_code);
    let embedded_busy = cpu.busy();
    drop(node);
    let load_after = loadavg();
    let _ = std::fs::remove_dir_all(&dir);

    let best = scaling.iter().map(|s| s.1).fold(0.0, f64::max);
    println!("# Service benchmark\n");
    println!("Produced by `scripts/service-bench.sh` ({requests} requests per point). One PostgreSQL 15");
    println!("cluster made for the run, `fsync` and `synchronous_commit` = `{}`, the same", settings.trim());
    println!("for `pgbench` and the service. {} cores; load average before the run {load_before},", nproc());
    println!("after it {load_after} (the machine is shared: other builds ran beside it).\n");
    println!("Every request of the service is one verification of a distinct hmac code (QR text) by");
    println!("{CLIENTS} clients over kept-alive HTTP/1.1 connections, spread over the nodes. Each node runs");
    println!("`paycode serve` as it starts by default: its worker threads each take the requests queued");
    println!("at that moment, up to 32, and verify them in one durable PostgreSQL transaction (a group");
    println!("commit); a request that finds no queue goes alone. The codes are made before each run; the");
    println!("clients (the crate's load generator) run on the same machine and take a share of its CPU.");
    println!("The last row is one node on the embedded default instead, a SQLite store (WAL,");
    println!("`synchronous=FULL`), under the same load.\n");
    println!("| what | per second | CPU busy | p50 | p99 | outcome |");
    println!("|---|---:|---:|---:|---:|---|");
    println!(
        "| pgbench, one-row update, {CLIENTS} clients | {pg_tps:.0} | {:.0} % | | | |",
        pgbench_cpu * 100.0
    );
    for (n, tput, busy, tally) in &scaling {
        println!(
            "| service, {n} node{} | {tput:.0} | {:.0} % | {} | {} | {:?} |",
            if *n == 1 { "" } else { "s" },
            busy * 100.0,
            ms(tally.latency(0.5)),
            ms(tally.latency(0.99)),
            tally.counts()
        );
    }
    println!(
        "| service, 4 nodes, fixed {rate:.0}/s | {:.0} | | {} | {} | {:?} |",
        fixed.throughput(),
        ms(fixed.latency(0.5)),
        ms(fixed.latency(0.99)),
        fixed.counts()
    );
    println!(
        "| service, 1 node, SQLite store | {:.0} | {:.0} % | {} | {} | {:?} |",
        embedded.throughput(),
        embedded_busy * 100.0,
        ms(embedded.latency(0.5)),
        ms(embedded.latency(0.99)),
        embedded.counts()
    );
    println!();
    println!("Ratio, best service throughput to pgbench: **{:.2}×** (target ≥ 0.5×).", best / pg_tps);
    println!();
    println!(
        "The machine's limit: with CPU busy near 100 % of its {} cores, each node added is one more",
        nproc()
    );
    println!("process on the same cores as PostgreSQL and the load generator, and it splits the clients'");
    println!("requests into more and shorter queues, so that each transaction carries fewer");
    println!("verifications: on this machine throughput falls from 1 to 4 nodes. The bound is the CPU,");
    println!("not rows the nodes share: no row is shared between codes of different accounts");
    println!("(R-STATE-3), and `T_hw` is written once per step (R-STATE-7).");
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn run(
    runtime: &tokio::runtime::Runtime,
    nodes: &[Node],
    token: &str,
    requests: usize,
    rate: Option<f64>,
    next_code: &mut usize,
) -> Tally {
    let first = *next_code;
    *next_code += requests;
    let plan = Plan {
        nodes: nodes.iter().map(|n| n.addr).collect(),
        tokens: vec![token.to_owned()],
        clients: CLIENTS,
        codes: requests,
        copies: 1,
        amount: 0,
        rate,
        retries: 0,
    };
    // The codes are made before the clock starts, as pgbench's statements are.
    let texts: Vec<String> = (first..first + requests).map(code).collect();
    runtime.block_on(load::run(plan, move |k| texts[k].clone(), Arc::new(Progress::default())))
}

/// A new token of terminal 1 in the store at `url`.
fn token_add(paycode: &Path, url: &str) -> String {
    let out = Command::new(paycode)
        .args(["serve", "token", "add", "--store", url, "--terminal", "1", "--name", "bench"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn seed(a: u64) -> Seed {
    let mut bytes = [0x6b; 32];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    Seed::from_bytes(&bytes)
}

fn code(k: usize) -> String {
    let account = k as u64 % ACCOUNTS + 1;
    let counter = u32::try_from(k as u64 / ACCOUNTS).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    HmacWallet::new(Params::default(), account, &seed(account), 0).code_for(now / 60, counter).to_qr_text()
}

/// An issuer file with hmac accounts 1 to ACCOUNTS.
fn issuer(paycode: &Path, dir: &Path) -> PathBuf {
    let path = dir.join("issuer.json");
    // Standard output is the report: the command's message is not part of it.
    let status = Command::new(paycode)
        .args(["issuer", "init", "--out"])
        .arg(&path)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let hex = |b: &[u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    file["accounts"] = (1..=ACCOUNTS)
        .map(|a| serde_json::json!({"account_id": a, "seed": hex(seed(a).expose())}))
        .collect::<Vec<_>>()
        .into();
    file["next_account_id"] = (ACCOUNTS + 1).into();
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    path
}

struct Node {
    child: Child,
    addr: SocketAddr,
}

impl Node {
    fn start(paycode: &Path, issuer: &Path, url: &str, log: &Path) -> Node {
        let mut child = Command::new(paycode)
            .args(["serve", "--issuer"])
            .arg(issuer)
            .args(["--store", url, "--listen", "127.0.0.1:0", "--rate", "1000000"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("{line}"))
            .parse()
            .unwrap();
        Node { child, addr }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The machine's CPU counters at a moment, from /proc/stat.
struct Cpu {
    busy: u64,
    total: u64,
}

impl Cpu {
    fn now() -> Cpu {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let f: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        let total: u64 = f.iter().sum();
        let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
        Cpu { busy: total - idle, total }
    }

    /// The share of all cores busy since `self`.
    fn busy(&self) -> f64 {
        let now = Cpu::now();
        (now.busy - self.busy) as f64 / ((now.total - self.total).max(1)) as f64
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn nproc() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
