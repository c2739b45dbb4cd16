//! The command on its state database, as the user tried it: many
//! `paycode verify` processes at once on one state (one acceptance per code,
//! no lost update), `kill -9` at random moments (no acknowledged acceptance
//! lost, log and state never disagree), a full file system, a read-only one
//! and a state locked past the busy timeout (`state-unavailable` naming the
//! cause, nothing torn, the next verification works), a commit whose sync
//! fails (it does not come back after a crash), a folder that cannot be
//! synced (nothing accepted), and the state
//! commands: init, import of a JSON state file, log export that reconcile
//! reads.
//!
//! `PAYCODE_STORE_FULL=1` runs the full-size trials (16 processes × 200
//! trials, 200 kills); the default sizes keep CI within its budget.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use paycode::{HmacWallet, Params, Seed};
use paycode_store::SqliteStore;
use paycode_test_support::scratch::{SmallFs, root_case};
use paycode_test_support::{Cli, SplitMix64, TempDir};

const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));
const T: u64 = 1_800_000_000;
/// hmac accounts enrolled with known seeds.
const ACCOUNTS: u64 = 8;

fn full_size() -> bool {
    std::env::var_os("PAYCODE_STORE_FULL").is_some()
}

fn seed(account: u64) -> Seed {
    Seed::from_bytes(&[u8::try_from(account).unwrap() + 0x30; 32])
}

/// The QR text of `account`'s code with `counter` at time [`T`].
fn code(account: u64, counter: u32) -> String {
    HmacWallet::new(Params::default(), account, &seed(account), 0).code_for(T / 60, counter).to_qr_text()
}

/// An issuer with accounts 1 to [`ACCOUNTS`] and a new state database.
struct World {
    dir: TempDir,
    state: PathBuf,
}

impl World {
    fn new(name: &str) -> World {
        let dir = TempDir::new(name);
        World::in_folder(dir, None)
    }

    /// The issuer in `dir`, the state database in `state_dir` (default: `dir`).
    fn in_folder(dir: TempDir, state_dir: Option<&Path>) -> World {
        let issuer = dir.arg("issuer.json");
        ok(&CLI.run(&["issuer", "init", "--out", &issuer, "--at", &T.to_string()]));
        for a in 1..=ACCOUNTS {
            let hex: String = seed(a).expose().iter().map(|b| format!("{b:02x}")).collect();
            let wallet = dir.arg(format!("w{a}.json"));
            let args = ["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &wallet];
            ok(&CLI.run(&[&args[..], &["--seed", &hex, "--account-id", &a.to_string()]].concat()));
        }
        let state = state_dir.unwrap_or(dir.path()).join("state.db");
        ok(&CLI.run(&["state", "init", "--state", state.to_str().unwrap()]));
        World { dir, state }
    }

    fn verify_args<'a>(&'a self, text: &'a str) -> Vec<String> {
        let state = self.state.to_str().unwrap();
        [
            "verify",
            "--issuer",
            &self.dir.arg("issuer.json"),
            "--state",
            state,
            "--at",
            &T.to_string(),
            "--",
            text,
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn verify(&self, text: &str) -> Output {
        CLI.run(&self.verify_args(text))
    }

    fn spawn(&self, text: &str) -> Child {
        CLI.command()
            .args(self.verify_args(text))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn store(&self) -> SqliteStore {
        SqliteStore::open(&self.state).unwrap()
    }

    /// (account, counter) of every logged acceptance, in commit order: the
    /// log's columns, which name the account and the real counter (its
    /// records carry the codes' handles and masked counters). The records
    /// export as many as the columns.
    fn logged(&self) -> Vec<(u64, u32)> {
        let c = rusqlite::Connection::open(&self.state).unwrap();
        let mut q = c.prepare("SELECT subject, counter FROM log ORDER BY seq").unwrap();
        let rows: Vec<(u64, u32)> = q
            .query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u32)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(self.store().export_log(None).unwrap().len(), rows.len());
        rows
    }
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{:?}\n{}{}",
        out.status,
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(out)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// 16 processes verify one code at once; exactly one accepts it. Repeated
/// with a fresh code per trial.
#[test]
fn concurrent_processes_accept_each_code_once() {
    let (procs, trials) = if full_size() { (16, 200) } else { (16, 8) };
    let w = World::new("store-race");
    let mut doubles = 0;
    for trial in 0..trials {
        let text = code(1 + u64::from(trial) % ACCOUNTS, trial / 8);
        let children: Vec<Child> = (0..procs).map(|_| w.spawn(&text)).collect();
        let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        let accepted = outs.iter().filter(|o| o.status.success()).count();
        for o in outs.iter().filter(|o| !o.status.success()) {
            assert_eq!(o.status.code(), Some(1), "{}{}", stdout(o), String::from_utf8_lossy(&o.stderr));
            assert!(stdout(o).contains("replayed"), "{}", stdout(o));
        }
        if accepted != 1 {
            doubles += 1;
            eprintln!("trial {trial}: {accepted} acceptances");
        }
    }
    assert_eq!(doubles, 0, "trials without exactly one acceptance");
    assert_eq!(w.logged().len(), trials as usize);
    eprintln!("{procs} processes x {trials} trials: 0 double acceptances");
}

/// 16 processes verify 16 different codes at once (eight of one account,
/// eight of eight accounts); all are accepted, and all are in the state
/// afterwards: a second try of each is `replayed`.
#[test]
fn concurrent_different_codes_lose_no_update() {
    let trials = if full_size() { 50 } else { 4 };
    let w = World::new("store-lost");
    for trial in 0..trials {
        let base = trial * 16;
        let texts: Vec<String> = (0..8)
            .map(|i| code(1, base + i))
            .chain((0..8).map(|i| code(1 + u64::from(i), base + 8 + i)))
            .collect();
        let children: Vec<Child> = texts.iter().map(|t| w.spawn(t)).collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "trial {trial}: {}", stdout(&o));
        }
        for t in &texts {
            let o = w.verify(t);
            assert_eq!(
                o.status.code(),
                Some(1),
                "trial {trial}: a lost update accepted again: {}",
                stdout(&o)
            );
            assert!(stdout(&o).contains("replayed"));
        }
    }
    assert_eq!(w.logged().len(), trials as usize * 16);
}

/// `kill -9` at random moments of verifications of fresh codes: every
/// verification that reported acceptance (exit 0) is in the log; a code is
/// in the log if and only if the state knows it (verifying it again is
/// `replayed`, else it is accepted now); no code is logged twice.
#[test]
fn kill_9_at_random_moments_loses_nothing_acknowledged() {
    let kills = if full_size() { 200 } else { 24 };
    let w = World::new("store-kill");
    // How long one verification takes here, to spread the kills over it.
    let start = Instant::now();
    ok(&w.verify(&code(ACCOUNTS, 0)));
    let typical = start.elapsed().as_micros().max(1_000) as u64;
    let mut rng = SplitMix64::new(0x6b69_6c6c);
    let mut acknowledged = Vec::new();
    let mut tried = Vec::new();
    for k in 0..kills {
        // 50 counters per account keeps every one inside the 64-wide window.
        let (account, counter) = (1 + u64::from(k) / 50, k % 50);
        let mut child = w.spawn(&code(account, counter));
        std::thread::sleep(Duration::from_micros(rng.range(0, typical * 3 / 2)));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        if status.success() {
            acknowledged.push((account, counter));
        }
        tried.push((account, counter));
    }
    let logged = w.logged();
    let mut unique = logged.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), logged.len(), "a record logged twice");
    let lost: Vec<_> = acknowledged.iter().filter(|a| !logged.contains(a)).collect();
    assert!(lost.is_empty(), "acknowledged but not logged: {lost:?}");
    let mut divergent = Vec::new();
    for &(account, counter) in &tried {
        let out = w.verify(&code(account, counter));
        let in_log = logged.contains(&(account, counter));
        let replayed = stdout(&out).contains("replayed");
        let accepted_now = out.status.success();
        if in_log != replayed || in_log == accepted_now {
            divergent.push((account, counter, in_log, stdout(&out)));
        }
    }
    assert!(divergent.is_empty(), "log and state disagree: {divergent:?}");
    let killed_mid = tried.len() - acknowledged.len();
    eprintln!(
        "{kills} kills: {} acknowledged, {killed_mid} killed before reporting, {} of those committed; \
         0 lost, 0 divergent",
        acknowledged.len(),
        logged.len() - 1 - acknowledged.len()
    );
}

#[test]
fn a_full_file_system_is_state_unavailable_naming_it_and_tears_nothing() {
    // Without root there is no tmpfs to fill; the store's own tests cover
    // the failure with a store that fails on purpose.
    if !root_case("the full file system case") {
        return;
    }
    let fs = SmallFs::mount(512);
    let w = World::in_folder(TempDir::new("store-full"), Some(fs.path()));
    ok(&w.verify(&code(1, 0)));
    let filler = fs.fill();
    let mut acknowledged = vec![(1, 0)];
    let mut rejected = None;
    for c in 1..2000u32 {
        let (account, counter) = (1 + u64::from(c) % ACCOUNTS, c / 8);
        let out = w.verify(&code(account, counter));
        if out.status.success() {
            acknowledged.push((account, counter));
        } else {
            rejected = Some(out);
            break;
        }
    }
    let out = rejected.expect("the file system never filled");
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("state-unavailable") && text.contains("full"), "{text}");
    std::fs::remove_file(filler).unwrap();
    ok(&w.verify(&code(ACCOUNTS, 250)));
    acknowledged.push((ACCOUNTS, 250));
    assert_eq!(w.logged(), acknowledged, "the log is exactly the reported acceptances");
}

#[test]
fn a_read_only_state_is_state_unavailable_naming_it() {
    if !root_case("the read-only file system case") {
        return;
    }
    let fs = SmallFs::mount(1024);
    let w = World::in_folder(TempDir::new("store-ro"), Some(fs.path()));
    ok(&w.verify(&code(1, 0)));
    fs.set_read_only(true);
    let out = w.verify(&code(1, 1));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.contains("state-unavailable") && text.contains("read-only"), "{text}");
    fs.set_read_only(false);
    ok(&w.verify(&code(1, 1)));
    assert_eq!(w.logged(), vec![(1, 0), (1, 1)]);
}

#[test]
fn a_state_locked_past_the_busy_timeout_is_state_unavailable() {
    let w = World::new("store-locked");
    let holder = rusqlite::Connection::open(&w.state).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let mut args = w.verify_args(&code(2, 0));
    args.splice(1..1, ["--busy-timeout".to_owned(), "200".to_owned()]);
    let out = CLI.run(&args);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("state-unavailable") && text.contains("busy"), "{text}");
    holder.execute_batch("COMMIT").unwrap();
    ok(&CLI.run(&args));
    assert_eq!(w.logged(), vec![(2, 0)]);
}

/// `paycode verify` of `text` under strace with `options` (which syscalls
/// fail or kill it); its output, and what strace printed of the syscalls.
fn verify_under_strace(w: &World, options: &[&str], text: &str) -> (Output, String) {
    let trace = w.dir.path().join("strace.txt");
    let out = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o", trace.to_str().unwrap()])
        .args(options)
        .arg(env!("CARGO_BIN_EXE_paycode"))
        .args(w.verify_args(text))
        .output()
        .expect("strace, which scripts/test.sh installs (Debian's strace package), runs");
    let syscalls = std::fs::read_to_string(&trace).unwrap_or_default();
    (out, syscalls)
}

/// spec: R-STATE-4: a verification whose commit cannot be synced to disk
/// is `state-unavailable`, and it changes nothing, even when the process
/// ends before it closes the database: SQLite's write-ahead log then stays
/// behind, holding the failed transaction's frames, commit frame included,
/// for the next opening to recover. strace makes the log's sync fail (EIO)
/// and kills the process where its close would remove the log.
#[test]
fn a_commit_whose_sync_fails_does_not_come_back_after_a_crash() {
    use std::os::unix::process::ExitStatusExt;
    let w = World::new("store-fsync");
    // The log is removed at every close, so each process starts a new one:
    // its first sync is of the log's header, its second the commit's.
    ok(&w.verify(&code(1, 0)));
    let wal = format!("{}-wal", w.state.display());
    let fail = |when: &str, text: &str| {
        let inject = format!("inject=fsync:error=EIO:when={when}");
        // SQLite removes its log with unlink; some architectures have only unlinkat.
        let kill = "inject=unlink,unlinkat:signal=KILL";
        let options = ["-P", &wal, "-e", "trace=fsync,unlink,unlinkat", "-e", &inject, "-e", kill];
        let (out, syscalls) = verify_under_strace(&w, &options, text);
        assert!(syscalls.contains("EIO (Input/output error) (INJECTED)"), "{syscalls}");
        assert_eq!(out.status.signal(), Some(9), "killed at the close: {syscalls}");
        assert!(Path::new(&wal).exists(), "the log is left for the next opening");
        stdout(&out)
    };
    let failed_once = |text: &str| {
        assert!(text.contains("state-unavailable") && text.contains("disk I/O error"), "{text}");
        assert!(!text.contains("did not confirm"), "{text}");
    };
    // The commit's sync fails once, in a new log: the store's own write
    // starts the log anew (a new salt, which the failed frames lack).
    failed_once(&fail("2", &code(1, 1)));
    // The log left behind holds that write; the next process recovers it
    // and appends, so its commit's sync is its first, and the store's write
    // lands where the failed frames begin and breaks their checksum chain.
    failed_once(&fail("1", &code(1, 2)));
    // Presented again, each code is accepted, once: no failed commit came back.
    ok(&w.verify(&code(1, 1)));
    ok(&w.verify(&code(1, 2)));
    assert_eq!(w.logged(), vec![(1, 0), (1, 1), (1, 2)]);
    // Every sync fails: the write that would rule the recovery out fails
    // too, and the call is in doubt (the terminal asks for a new code).
    let text = fail("2+", &code(1, 3));
    assert!(text.contains("state-unavailable") && text.contains("did not confirm whether"), "{text}");
    assert!(text.contains("may come back") && text.contains("pay with a new code"), "{text}");
    ok(&w.verify(&code(1, 4)));
}

/// spec: R-STATE-1: SQLite ignores a failed sync of the folder it makes
/// its write-ahead log in, after which the log's entry, and every
/// acceptance in the log, might not survive a power loss. The store syncs
/// the folder itself and accepts nothing until that succeeds.
#[test]
fn a_folder_that_cannot_be_synced_accepts_nothing() {
    let w = World::new("store-folder-sync");
    let folder = w.state.parent().unwrap().to_str().unwrap().to_owned();
    // Every sync of the folder fails; nothing else does.
    let options = ["-P", &folder, "-e", "trace=fsync", "-e", "inject=fsync:error=EIO"];
    let (out, syscalls) = verify_under_strace(&w, &options, &code(2, 0));
    assert!(syscalls.contains("EIO (Input/output error) (INJECTED)"), "{syscalls}");
    let said = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && !said.contains("accepted"), "{said}");
    assert!(
        said.contains("the folder could not be synced after the write-ahead log was made in it"),
        "{said}"
    );
    // Once the folder syncs, the same code is accepted, once.
    ok(&w.verify(&code(2, 0)));
    assert_eq!(w.logged(), vec![(2, 0)]);
}

#[test]
fn state_commands_init_import_and_export_for_reconcile() {
    let w = World::new("store-commands");
    let state = w.state.to_str().unwrap();
    // Creating is explicit, once; a missing state is an error naming the file.
    let again = CLI.run(&["state", "init", "--state", state]);
    assert_eq!(again.status.code(), Some(2));
    let missing = w.dir.arg("missing.db");
    let out =
        CLI.run(&["verify", "--issuer", &w.dir.arg("issuer.json"), "--state", &missing, "--", &code(1, 0)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&missing) && err.contains("state init"), "{err}");
    assert!(!Path::new(&missing).exists());

    // Two terminals, one code accepted at both: export, reconcile.
    ok(&w.verify(&code(3, 7)));
    let other = w.dir.arg("other.db");
    ok(&CLI.run(&["state", "init", "--state", &other]));
    let mut args = w.verify_args(&code(3, 7));
    args[4] = other.clone();
    args.splice(1..1, ["--terminal-id".to_owned(), "2".to_owned()]);
    ok(&CLI.run(&args));
    let (log1, log2) = (w.dir.arg("t1.log"), w.dir.arg("t2.log"));
    ok(&CLI.run(&["log", "export", "--state", state, "--out", &log1]));
    ok(&CLI.run(&["log", "export", "--state", &other, "--out", &log2]));
    // An hmac record with its code: 30 + 38 bytes (spec §4.8).
    assert_eq!(std::fs::metadata(&log1).unwrap().len(), 68);
    let issuer = w.dir.arg("issuer.json");
    let rec = CLI.run(&["reconcile", "--issuer", &issuer, &log1, &log2, "--json"]);
    assert_eq!(rec.status.code(), Some(0), "one code at two verifiers is a copy, not a double");
    let report: serde_json::Value = serde_json::from_slice(&rec.stdout).unwrap();
    assert_eq!(report["records"], 2);
    assert_eq!(report["copies"][0]["subject"], 3);
    assert_eq!(report["flagged_accounts"], serde_json::json!([]));

    // A JSON state file of earlier versions migrates once; its per-step
    // throttle counts are read and not imported (no budget follows from one).
    let mem = paycode::Verifier::new(Params::default(), 1);
    let mut v = mem;
    v.add_account(4, &seed(4));
    v.verify_text(&code(4, 9), T, 0).unwrap();
    let json = serde_json::json!({
        "format": "paycode-state-v1",
        "state": v.state(),
        "throttle": [[5, T / 60, 3]],
    });
    let json_path = w.dir.join("old-state.json");
    std::fs::write(&json_path, serde_json::to_vec(&json).unwrap()).unwrap();
    let imported = w.dir.arg("imported.db");
    ok(&CLI.run(&["state", "import", json_path.to_str().unwrap(), "--state", &imported]));
    let contents = SqliteStore::open(Path::new(&imported)).unwrap().contents().unwrap();
    assert!(contents.state.hmac.budgets.is_empty() && contents.state.sources.is_empty(), "{contents:?}");
    assert_eq!(contents.state.hmac.windows, v.state().hmac.windows);
    let mut args = w.verify_args(&code(4, 9));
    args[4] = imported.clone();
    let out = CLI.run(&args);
    assert!(stdout(&out).contains("replayed"), "{}", stdout(&out));
    // A second import into a state in use is refused and changes nothing.
    let out = CLI.run(&["state", "import", json_path.to_str().unwrap(), "--state", &imported]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds state already"));
}

#[test]
fn state_lost_quarantines_and_keeps_the_records() {
    // spec: R-STATE-5
    let w = World::new("store-lost-state");
    ok(&w.verify(&code(6, 1)));
    let mut args = w.verify_args(&code(6, 2));
    args.insert(1, "--state-lost".to_owned());
    let out = CLI.run(&args);
    assert!(stdout(&out).contains("state-unavailable"), "{}", stdout(&out));
    let state = w.store().contents().unwrap().state;
    assert_eq!(state.hmac.quarantine, T / 60 + 2);
    assert_eq!(state.hmac.windows.len(), 1, "the records are kept");
}

#[test]
fn a_busy_timeout_above_what_sqlite_takes_is_a_usage_error() {
    let w = World::new("store-busy-max");
    // SQLite takes the timeout as a C int of milliseconds: 2^31 - 1 at most.
    let most = i64::from(i32::MAX).to_string();
    let scan = [
        "scan".to_owned(),
        w.dir.arg("none.png"),
        "--issuer".to_owned(),
        w.dir.arg("issuer.json"),
        "--state".to_owned(),
        w.state.to_str().unwrap().to_owned(),
    ];
    for value in ["2147483648".to_owned(), u64::MAX.to_string()] {
        for mut args in [w.verify_args(&code(3, 0)), scan.to_vec()] {
            args.splice(1..1, ["--busy-timeout".to_owned(), value.clone()]);
            let out = CLI.run(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains("--busy-timeout") && stderr.contains(&most) && !stderr.contains("panicked"),
                "{stderr}"
            );
        }
    }
    assert_eq!(w.logged(), vec![], "nothing was verified");
    let mut args = w.verify_args(&code(3, 0));
    args.splice(1..1, ["--busy-timeout".to_owned(), most]);
    ok(&CLI.run(&args));
    assert_eq!(w.logged(), vec![(3, 0)]);
}
