//! `paycode serve` as an operator runs it: real `paycode serve` processes,
//! started by these tests, on a SQLite file or on a PostgreSQL cluster the
//! tests start themselves (`paycode_test_support::postgres::Cluster`),
//! driven over HTTP by 64 clients that race copies of the same codes at
//! different nodes; PostgreSQL restarted and a node killed under load.
//! Every process is stopped at the end of its test.
//!
//! Sizes: `PAYCODE_FLEET_VERIFICATIONS` (default 6000 per fleet test; the
//! full run uses 100000).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::StatusCode;
use paycode::{Error, HmacWallet, Params, Seed};
use paycode_cli::files::{AccountFile, IssuerFile};
use paycode_service::client::{Answer, Client};
use paycode_service::load::{self, Outcome, Plan, Progress, Tally};
use paycode_test_support::postgres::Cluster;

/// The fleet tests share the machine's two cores: one at a time.
static ONE_FLEET: Mutex<()> = Mutex::new(());

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("paycode-serve-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn p(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn paycode(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_paycode")).args(args).output().unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "failed: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The seed of fleet account `a`.
fn seed(a: u64) -> Seed {
    let mut bytes = [0x5a; 32];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    Seed::from_bytes(&bytes)
}

/// An issuer file with hmac accounts 1 to `accounts`.
fn issuer(dir: &Dir, accounts: u64) -> PathBuf {
    let path = dir.p("issuer.json");
    ok(&paycode(&["issuer", "init", "--out", s(&path)]));
    let lock = paycode_cli::fsio::Locked::acquire_existing(&path, paycode_cli::Role::Issuer).unwrap();
    let mut file = IssuerFile::load_locked(&lock).unwrap();
    let hex = |b: &[u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    file.accounts =
        (1..=accounts).map(|a| AccountFile { account_id: a, seed: hex(seed(a).expose()) }).collect();
    file.next_account_id = accounts + 1;
    lock.write(&file, true).unwrap();
    path
}

/// A `paycode serve` process; killed on drop.
struct Node {
    child: Child,
    addr: SocketAddr,
}

impl Node {
    fn start(issuer: &Path, store: &str, log: &Path, extra: &[&str]) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_paycode"))
            .args(["serve", "--issuer", s(issuer), "--store", store, "--listen", "127.0.0.1:0"])
            .args(["--rate", "1000000", "--workers", "8"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("{line:?}; log: {}", std::fs::read_to_string(log).unwrap_or_default()))
            .parse()
            .unwrap();
        Node { child, addr }
    }

    /// SIGTERM, and the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        self.child.wait().unwrap()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_add(store: &str, terminal: u32) -> String {
    let out = ok(&paycode(&[
        "serve",
        "token",
        "add",
        "--store",
        store,
        "--terminal",
        &terminal.to_string(),
        "--name",
        "fleet",
    ]));
    out.trim().to_owned()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn tokens_are_made_listed_and_revoked_through_the_command() {
    let dir = Dir::new("tokens");
    let issuer = issuer(&dir, 1);
    let store = format!("sqlite:{}", s(&dir.p("state.db")));
    // The service does not make its state: tokens are made first, and that
    // makes the store. A state lost and made again by the service would
    // accept again the codes accepted before.
    let refused = paycode(&["serve", "--issuer", s(&issuer), "--store", &store, "--listen", "127.0.0.1:0"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("serve token add"), "{refused:?}");
    assert!(!dir.p("state.db").exists(), "nothing made");
    let token = token_add(&store, 7);
    assert!(token.starts_with("pct_") && token.len() == 85, "{token}");
    let node = Node::start(&issuer, &store, &dir.p("node.log"), &[]);
    let code = HmacWallet::new(Params::default(), 1, &seed(1), 0).generate(now()).unwrap().to_qr_text();
    let rt = runtime();
    let mut client = Client::new(node.addr, Some(&token));
    let verdict = |a: Answer| match a {
        Answer::Verdict { response, .. } => response.verdict().map(|r| r.terminal_id),
        Answer::Refused { status, .. } => panic!("refused: {status}"),
    };
    assert_eq!(verdict(rt.block_on(client.verify(&code, 0)).unwrap()), Ok(0));
    // The list shows the token's id, terminal and name, never its secret.
    let list = ok(&paycode(&["serve", "token", "list", "--store", &store]));
    let id = &token[4..20];
    assert!(list.contains(id) && list.contains("fleet") && !list.contains(&token[21..]), "{list}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&paycode(&["serve", "token", "list", "--store", &store, "--json"])))
            .unwrap();
    assert_eq!(json[0]["terminal_id"], 7);
    assert!(json[0]["revoked_at"].is_null());
    // Revoked through the command while the node runs: refused within its reload period.
    ok(&paycode(&["serve", "token", "revoke", "--store", &store, id]));
    let again = paycode(&["serve", "token", "revoke", "--store", &store, id]);
    assert_eq!(again.status.code(), Some(2));
    let deadline = Instant::now() + Duration::from_secs(5);
    while rt.block_on(client.send(hyper::Method::GET, "/v1/health", None)).unwrap().status
        != StatusCode::UNAUTHORIZED
    {
        assert!(Instant::now() < deadline, "still served after revocation");
        std::thread::sleep(Duration::from_millis(100));
    }
    let code2 = HmacWallet::new(Params::default(), 1, &seed(1), 1).generate(now()).unwrap().to_qr_text();
    match rt.block_on(client.verify(&code2, 0)).unwrap() {
        Answer::Refused { status: StatusCode::UNAUTHORIZED, .. } => {}
        other => panic!("verified with a revoked token: {other:?}"),
    }
    // Nothing was verified with the revoked token: the code is good with a new one.
    let fresh = token_add(&store, 8);
    let mut client = Client::new(node.addr, Some(&fresh));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(verdict(rt.block_on(client.verify(&code2, 0)).unwrap()), Ok(0));
    // SIGTERM stops the node cleanly.
    assert!(node.terminate().success());
    // A store URL that is neither, and a bad id, are usage errors.
    assert_eq!(paycode(&["serve", "token", "list", "--store", "mysql://x"]).status.code(), Some(2));
    assert_eq!(paycode(&["serve", "token", "revoke", "--store", &store, "xyz"]).status.code(), Some(2));
}

/// `--max-body` takes 512 to 65536 bytes: a value outside, however large,
/// stops the command before it starts, with exit status 2 and a message that
/// names the option and the range; the bounds themselves serve.
#[test]
fn a_max_body_outside_its_range_is_refused_at_start() {
    let dir = Dir::new("max-body");
    let issuer = issuer(&dir, 1);
    let store = format!("sqlite:{}", s(&dir.p("state.db")));
    let token = token_add(&store, 7);
    for value in
        ["65537", "1048576", "18446744073709551615", "99999999999999999999999", "511", "0", "-1", "4k"]
    {
        let arg = format!("--max-body={value}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_paycode"))
            .args(["serve", "--issuer", s(&issuer), "--store", &store, "--listen", "127.0.0.1:0", &arg])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("--max-body={value}: the node started");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {stderr}");
        assert!(stderr.contains("--max-body") && stderr.contains(value), "{value}: {stderr}");
        assert!(out.stdout.is_empty(), "{value}: started");
    }
    let rt = runtime();
    for value in ["512", "65536"] {
        let node = Node::start(&issuer, &store, &dir.p("node.log"), &["--max-body", value]);
        let mut client = Client::new(node.addr, Some(&token));
        let padded = format!("{{\"code\":\"PC3:\",\"amount\":0{}}}", " ".repeat(65_536 - 26));
        assert_eq!(padded.len(), 65_536);
        let reply =
            rt.block_on(client.send(hyper::Method::POST, "/v1/verify", Some(padded.into_bytes()))).unwrap();
        let expected = if value == "512" { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::OK };
        assert_eq!(reply.status, expected, "{value}");
        assert!(node.terminate().success());
    }
}

/// A password in the store's URL, in its user information or its query, is
/// never printed: not in the errors of `serve` and `serve token`, when the
/// database cannot be reached, nor when the value names no store; the rest
/// of the URL is.
#[test]
fn store_passwords_are_never_printed() {
    let secret = "Zq9@Zq9:Zq9&Zq9%25Zq9 Zq9";
    // Port 1 on the loopback: nothing listens, the connection is refused at once.
    let urls = [
        format!("postgres://pc@127.0.0.1:1/pc?password={secret}"),
        format!("postgres://pc@127.0.0.1:1/pc?sslmode=disable&PASSWORD={secret}&application_name=x"),
        format!("postgres://pc:{secret}@127.0.0.1:1/pc"),
        format!("postgresql://pc:{secret}@127.0.0.1:1/pc?password={secret}"),
    ];
    let dir = Dir::new("store-secret");
    let issuer = issuer(&dir, 1);
    for url in &urls {
        for args in [
            vec!["serve", "--issuer", s(&issuer), "--store", url, "--listen", "127.0.0.1:0"],
            vec!["serve", "token", "add", "--store", url, "--terminal", "7", "--name", "x"],
            vec!["serve", "token", "list", "--store", url],
            vec!["serve", "token", "revoke", "--store", url, "0123456789abcdef"],
        ] {
            let out = paycode(&args);
            let (stdout, stderr) =
                (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(!stdout.contains("Zq9") && !stderr.contains("Zq9"), "{args:?}: {stdout}{stderr}");
            assert!(
                stderr.contains("pc@127.0.0.1:1/pc") || stderr.contains("pc:…@127.0.0.1:1/pc"),
                "{stderr}"
            );
        }
    }
    // Values that name no store, which clap would repeat whole.
    for bad in [format!("host=127.0.0.1 password='{secret}'"), format!("mysql://pc:{secret}@db/pay")] {
        let out = paycode(&["serve", "token", "list", "--store", &bad]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(!stderr.contains("Zq9") && stderr.contains("is not sqlite:PATH or postgres://"), "{stderr}");
    }
}

/// A PostgreSQL cluster, four `paycode serve` nodes on it, and tokens.
struct Fleet {
    cluster: Cluster,
    nodes: Vec<Option<Node>>,
    addrs: Vec<SocketAddr>,
    tokens: Vec<String>,
    _dir: Dir,
}

/// Hmac accounts in the fleet tests: enough that the codes in flight for one
/// account stay far inside its replay window.
const ACCOUNTS: u64 = 512;

impl Fleet {
    fn start(name: &str) -> Fleet {
        let dir = Dir::new(name);
        let issuer = issuer(&dir, ACCOUNTS);
        let cluster = Cluster::start();
        let url = cluster.url();
        // A node does not make the schema: over a state lost and made again
        // it would accept again the codes accepted before.
        let refused = paycode(&["serve", "--issuer", s(&issuer), "--store", &url, "--listen", "127.0.0.1:0"]);
        assert_eq!(refused.status.code(), Some(2), "{refused:?}");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("serve token add"), "{refused:?}");
        // Four terminals' tokens; the schema is made by the first command.
        let tokens: Vec<String> = (1..=4).map(|t| token_add(&url, t)).collect();
        let nodes: Vec<Node> =
            (0..4).map(|i| Node::start(&issuer, &url, &dir.p(&format!("node{i}.log")), &[])).collect();
        let addrs = nodes.iter().map(|n| n.addr).collect();
        Fleet { cluster, nodes: nodes.into_iter().map(Some).collect(), addrs, tokens, _dir: dir }
    }

    /// `(profile, subject, counter)` of every log record, with how often each appears.
    fn log(&self) -> HashMap<(u64, u64, u32), usize> {
        let out = self.cluster.psql("SELECT kind % 16, subject, counter, count(*) FROM log GROUP BY 1, 2, 3");
        out.lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split('|').collect();
                ((f[0].parse().unwrap(), f[1].parse().unwrap(), f[2].parse().unwrap()), f[3].parse().unwrap())
            })
            .collect()
    }
}

fn verifications() -> usize {
    std::env::var("PAYCODE_FLEET_VERIFICATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(6000)
}

/// Code `k` of the fleet: account `k % ACCOUNTS + 1`, counter `k / ACCOUNTS`,
/// at the time it is first sent.
fn fleet_code(k: usize) -> String {
    let account = k as u64 % ACCOUNTS + 1;
    let counter = u32::try_from(k as u64 / ACCOUNTS).unwrap();
    HmacWallet::new(Params::default(), account, &seed(account), 0).code_for(now() / 60, counter).to_qr_text()
}

fn identity(k: usize) -> (u64, u64, u32) {
    (1, k as u64 % ACCOUNTS + 1, u32::try_from(k as u64 / ACCOUNTS).unwrap())
}

/// The invariants of every fleet run, whatever happened during it:
/// no code accepted twice, every accepted answer's record in the store, no
/// record twice, and every `replayed` answer for a code the store holds.
fn check(fleet: &Fleet, tally: &Tally, codes: usize) -> HashSet<usize> {
    let counts = tally.counts();
    let accepted = tally.accepted();
    let log = fleet.log();
    // 0 double acceptances: in the answers, and in the store.
    for (k, records) in &accepted {
        assert_eq!(records.len(), 1, "code {k} accepted {} times: {counts:?}", records.len());
    }
    assert!(log.values().all(|&n| n == 1), "a record twice in the log");
    // 0 lost acceptances: every accepted answer is recorded, with its own record.
    for (k, records) in &accepted {
        assert!(log.contains_key(&identity(*k)), "code {k} answered accepted, not in the store");
        // The answer names the account and the counter; its encoded record
        // carries the code as scanned: the account's handle for the step and
        // the counter masked with the step's pad.
        let (_, account, counter) = identity(*k);
        assert_eq!((records[0].subject, records[0].counter), (account, counter));
        let r = records[0].log_record().unwrap();
        let handle = HmacWallet::new(Params::default(), account, &seed(account), 0).handle_for(r.step());
        assert_eq!((r.subject(), r.counter() ^ handle.pad()), (handle.value(), counter));
    }
    // replayed only for a code some node committed.
    let mut replayed = HashSet::new();
    for sent in &tally.sent {
        if sent.outcome == Outcome::Rejected(StatusCode::OK, Error::Replayed) {
            assert!(log.contains_key(&identity(sent.code)), "code {} replayed but never recorded", sent.code);
            replayed.insert(sent.code);
        }
    }
    // The store holds nothing but the plan's codes.
    assert!(log.keys().all(|&(p, a, c)| p == 1 && (1..=ACCOUNTS).contains(&a) && (c as usize) <= codes));
    // Every answer is accepted, replayed, or (in an outage) 503 state-unavailable; or none.
    for label in counts.keys() {
        assert!(
            ["accepted", "replayed", "503 state-unavailable", "no answer"].contains(&label.as_str()),
            "unexpected answer {label}: {counts:?}"
        );
    }
    // Records without an accepted answer are the ones whose answer was lost
    // (a 503 after the commit, a node killed after it): at most one per such request.
    let undecided = tally
        .sent
        .iter()
        .filter(|s| {
            matches!(s.outcome, Outcome::NoAnswer | Outcome::Rejected(StatusCode::SERVICE_UNAVAILABLE, _))
        })
        .count();
    assert!(
        log.len() >= accepted.len() && log.len() - accepted.len() <= undecided,
        "{} records, {} accepted, {undecided} undecided",
        log.len(),
        accepted.len()
    );
    eprintln!(
        "{} requests in {:.1} s ({:.0}/s), {} codes accepted, {} records: {counts:?}",
        tally.sent.len(),
        tally.elapsed.as_secs_f64(),
        tally.throughput(),
        accepted.len(),
        log.len()
    );
    accepted.keys().copied().collect()
}

fn plan(fleet: &Fleet, verifications: usize, rate: Option<f64>, retries: usize) -> Plan {
    Plan {
        nodes: fleet.addrs.clone(),
        tokens: fleet.tokens.clone(),
        clients: 64,
        codes: verifications / 3,
        copies: 3,
        amount: 0,
        rate,
        retries,
    }
}

#[test]
fn four_nodes_on_one_postgres_accept_each_raced_code_once() {
    let _one = ONE_FLEET.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let fleet = Fleet::start("race");
    let n = verifications();
    let plan = plan(&fleet, n, None, 0);
    let codes = plan.codes;
    let tally = runtime().block_on(load::run(plan, fleet_code, Arc::new(Progress::default())));
    assert_eq!(tally.sent.len(), codes * 3);
    let accepted = check(&fleet, &tally, codes);
    // With every node up, every code is decided: accepted once, and its other copies replayed.
    assert_eq!(accepted.len(), codes, "{:?}", tally.counts());
    assert_eq!(tally.counts().get("replayed"), Some(&(codes * 2)));
    // Every node accepted some.
    for node in 0..4 {
        assert!(tally.sent.iter().any(|s| s.node == node && matches!(s.outcome, Outcome::Accepted(_))));
    }
    // The races ran through transactions of several verifications too (copies
    // of one code among them), not only one verification at a time.
    let (mut runs, mut in_runs) = (0, 0);
    for (addr, token) in fleet.addrs.iter().zip(&fleet.tokens) {
        let text = runtime().block_on(async {
            let mut client = paycode_service::client::Client::new(*addr, Some(token));
            client.send(hyper::Method::GET, "/metrics", None).await.unwrap().body
        });
        let text = String::from_utf8(text.to_vec()).unwrap();
        let value = |name: &str| -> u64 {
            text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok()).unwrap()
        };
        runs += value("paycode_store_runs_total");
        in_runs += value("paycode_store_run_verifications_total");
    }
    assert_eq!(in_runs, u64::try_from(codes * 3).unwrap(), "every verification went through a run");
    assert!(in_runs > runs, "no run had more than one verification: {runs} runs");
}

#[test]
fn postgres_crashed_and_restarted_under_load_loses_no_acceptance() {
    let _one = ONE_FLEET.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let fleet = Fleet::start("restart");
    let n = verifications();
    // A fixed rate, so that load runs before, during and after the outage; a
    // copy that gets a 503 is sent again to the next node, up to 30 times.
    let plan = plan(&fleet, n, Some(1500.0), 30);
    let codes = plan.codes;
    let progress = Arc::new(Progress::default());
    let rt = runtime();
    let run = rt.spawn(load::run(plan, fleet_code, Arc::clone(&progress)));
    let start = Instant::now();
    while progress.done() < n * 3 / 10 {
        std::thread::sleep(Duration::from_millis(20));
    }
    // An immediate stop, as a crash: no checkpoint, the restart replays the
    // WAL; an acceptance answered before it must be there after (spec: R-STATE-1).
    let crash = fleet
        .cluster
        .command("pg_ctl")
        .args(["-D", "data", "-m", "immediate", "-w", "stop"])
        .output()
        .unwrap();
    assert!(crash.status.success(), "{}", String::from_utf8_lossy(&crash.stderr));
    let down = start.elapsed();
    std::thread::sleep(Duration::from_millis(1500));
    let up = start.elapsed();
    fleet.cluster.restart();
    let restarted = start.elapsed();
    let tally = rt.block_on(run).unwrap();
    check(&fleet, &tally, codes);
    // The outage was seen: 503 state-unavailable while the server was down
    // (never an acceptance that was not committed: check() found each in the store).
    // A request sent after the server was down and answered before it was
    // started again cannot have been accepted.
    let during: Vec<_> = tally.sent.iter().filter(|s| s.at > down && s.at + s.latency < up).collect();
    assert!(!during.is_empty());
    assert!(
        during.iter().all(|s| !matches!(s.outcome, Outcome::Accepted(_))),
        "accepted while the store was down"
    );
    assert!(
        during.iter().any(|s| s.outcome == Outcome::Rejected(StatusCode::SERVICE_UNAVAILABLE, Error::StateUnavailable))
    );
    // And the nodes came back without a restart of their own.
    assert!(tally.sent.iter().any(|s| s.at > restarted && matches!(s.outcome, Outcome::Accepted(_))));
}

#[test]
fn a_node_killed_under_load_leaves_the_others_serving() {
    let _one = ONE_FLEET.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut fleet = Fleet::start("kill");
    let n = verifications();
    let plan = plan(&fleet, n, Some(1500.0), 3);
    let codes = plan.codes;
    let progress = Arc::new(Progress::default());
    let rt = runtime();
    let run = rt.spawn(load::run(plan, fleet_code, Arc::clone(&progress)));
    let start = Instant::now();
    while progress.done() < n * 4 / 10 {
        std::thread::sleep(Duration::from_millis(20));
    }
    // kill -9: no shutdown of any kind.
    let mut victim = fleet.nodes[3].take().unwrap();
    victim.child.kill().unwrap();
    victim.child.wait().unwrap();
    let killed = start.elapsed();
    progress.avoid(3);
    let tally = rt.block_on(run).unwrap();
    check(&fleet, &tally, codes);
    let after: Vec<_> = tally.sent.iter().filter(|s| s.at > killed + Duration::from_millis(100)).collect();
    assert!(after.iter().all(|s| s.node != 3 || s.outcome == Outcome::NoAnswer));
    for node in 0..3 {
        assert!(
            after.iter().any(|s| s.node == node && matches!(s.outcome, Outcome::Accepted(_))),
            "node {node} stopped accepting"
        );
    }
    drop(victim);
}
