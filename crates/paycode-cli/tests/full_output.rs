//! A standard output that cannot be written (`/dev/full`): every command
//! exits 2 naming standard output, never panics, and says what it had done
//! before: a code whose counter advanced, a verdict the state holds, a
//! token revoked because its secret was never delivered. A standard error
//! that cannot be written changes no exit code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs::File;
use std::io::Write;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use paycode_test_support::{Cli, TempDir};
use serde_json::Value;

const T: u64 = 1_800_000_000;

const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

/// `/dev/full`, on which every write fails with ENOSPC.
fn full() -> File {
    File::options().write(true).open("/dev/full").unwrap_or_else(|e| {
        panic!(
            "these tests need /dev/full (a device on which every write fails), which cannot be opened: {e}"
        )
    })
}

/// Runs the command with `args`, standard output on `/dev/full`.
fn run_full(args: &[&str]) -> Output {
    CLI.command().args(args).stdin(Stdio::null()).stdout(full()).stderr(Stdio::piped()).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 2, no panic, and a message naming standard output and its reason.
fn refused(args: &[&str], out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(err.contains("cannot write to standard output: No space left on device"), "{args:?}: {err}");
    err
}

/// An issuer, an hmac wallet and a state database, made at T.
fn world(dir: &TempDir) -> (String, String, String) {
    let (issuer, wallet, state) = (dir.arg("issuer.json"), dir.arg("alice.json"), dir.arg("state.db"));
    let at = T.to_string();
    CLI.stdout(&["issuer", "init", "--out", &issuer, "--at", &at]);
    CLI.stdout(&[
        "wallet",
        "enroll",
        "--issuer",
        &issuer,
        "--profile",
        "hmac",
        "--out",
        &wallet,
        "--at",
        &at,
    ]);
    CLI.stdout(&["state", "init", "--state", &state]);
    (issuer, wallet, state)
}

#[test]
fn dev_full_is_there() {
    // Every other test here needs it: its absence fails them all, loudly.
    full().write_all(b"x").expect_err("/dev/full took a write");
}

#[test]
fn code_says_its_counter_advanced_and_the_next_code_comes_next() {
    let dir = TempDir::new("full-code");
    let (_, wallet, _) = world(&dir);
    let at = T.to_string();
    for extra in [&["--only", "text"][..], &[], &["--json"]] {
        let args = [&["code", "--wallet", wallet.as_str(), "--at", at.as_str()][..], extra].concat();
        let err = refused(&args, &run_full(&args));
        assert!(err.contains("counter had advanced") && err.contains("nothing to undo"), "{err}");
    }
    // The three codes spent counters 0, 1 and 2: the next one is 3.
    let next: Value =
        serde_json::from_str(&CLI.stdout(&["code", "--wallet", &wallet, "--at", &at, "--json"])).unwrap();
    assert_eq!(next["counter"], 3, "{next}");
    // An image written holds the code: the message names it.
    let png = dir.arg("code.png");
    let args = ["code", "--wallet", &wallet, "--at", &at, "--qr", "png", "--out", &png];
    let err = refused(&args, &run_full(&args));
    assert!(err.contains(&format!("the code was written to {png}")), "{err}");
    assert!(std::fs::metadata(&png).unwrap().len() > 0);
}

#[test]
fn verify_says_the_code_was_accepted_and_a_second_verify_says_replayed() {
    let dir = TempDir::new("full-verify");
    let (issuer, wallet, state) = world(&dir);
    let at = T.to_string();
    let code = CLI.stdout(&["code", "--wallet", &wallet, "--at", &at, "--only", "text"]);
    let code = code.trim_end();
    let args = ["verify", code, "--issuer", &issuer, "--state", &state, "--at", &at];
    let err = refused(&args, &run_full(&args));
    assert!(err.contains("the code WAS accepted") && err.contains("acceptance log"), "{err}");
    // It was: the state holds it, and the same code again is replayed.
    let again = CLI.run(&args);
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stdout).contains("replayed"), "{again:?}");
    // A rejection that cannot be printed names itself.
    let err = refused(&args, &run_full(&args));
    assert!(err.contains("the code was rejected (replayed"), "{err}");
    assert!(!err.contains("WAS accepted"), "{err}");
    // --json: the same.
    let json = [&args[..], &["--json"]].concat();
    let err = refused(&json, &run_full(&json));
    assert!(err.contains("the code was rejected (replayed"), "{err}");
    // The log holds the one acceptance.
    let log = dir.arg("log.bin");
    CLI.stdout(&["log", "export", "--state", &state, "--out", &log]);
    let reconciled = CLI.stdout(&["reconcile", "--issuer", &issuer, &log]);
    assert!(reconciled.starts_with("1 record(s), 0 unproven"), "{reconciled}");
}

#[test]
fn scan_says_the_code_was_accepted() {
    let dir = TempDir::new("full-scan");
    let (issuer, wallet, state) = world(&dir);
    let at = T.to_string();
    let png = dir.arg("code.png");
    CLI.stdout(&["code", "--wallet", &wallet, "--at", &at, "--qr", "png", "--out", &png]);
    let args = ["scan", &png, "--issuer", &issuer, "--state", &state, "--at", &at];
    let err = refused(&args, &run_full(&args));
    assert!(err.contains("the code WAS accepted"), "{err}");
    let again = CLI.run(&args);
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stdout).contains("replayed"), "{again:?}");
}

#[test]
fn a_token_whose_secret_cannot_be_printed_is_revoked() {
    let dir = TempDir::new("full-token");
    let store = format!("sqlite:{}", dir.arg("t.db"));
    let args = ["serve", "token", "add", "--store", &store, "--terminal", "5", "--name", "full"];
    let err = refused(&args, &run_full(&args));
    let list: Value =
        serde_json::from_str(&CLI.stdout(&["serve", "token", "list", "--store", &store, "--json"])).unwrap();
    let tokens = list.as_array().unwrap();
    assert_eq!(tokens.len(), 1, "{list}");
    let id = tokens[0]["id"].as_str().unwrap();
    assert!(tokens[0]["revoked_at"].is_u64(), "left live: {list}");
    assert!(err.contains(&format!("the token {id} was revoked")), "{err}");
    // The text list says so too.
    let text = CLI.stdout(&["serve", "token", "list", "--store", &store]);
    let row = text.lines().find(|l| l.starts_with(id)).unwrap();
    assert!(!row.split_whitespace().any(|w| w == "-"), "{text}");

    for list in [
        &["serve", "token", "list", "--store", &store][..],
        &["serve", "token", "list", "--store", &store, "--json"],
    ] {
        refused(list, &run_full(list));
    }
}

#[test]
fn serve_stops_when_it_cannot_say_where_it_listens() {
    let dir = TempDir::new("full-serve");
    let (issuer, ..) = world(&dir);
    let store = format!("sqlite:{}", dir.arg("t.db"));
    CLI.stdout(&["serve", "token", "add", "--store", &store, "--terminal", "5", "--name", "x"]);
    let mut child = CLI
        .command()
        .args(["serve", "--issuer", &issuer, "--store", &store, "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(full())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve ran on with a standard output it cannot write");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    refused(&["serve"], &out);
}

#[test]
fn every_other_command_exits_2_without_a_panic() {
    let dir = TempDir::new("full-others");
    let (issuer, _, state) = world(&dir);
    let at = T.to_string();
    let seed = "42".repeat(32);
    let (issuer2, wallet2, state2) = (dir.arg("i2.json"), dir.arg("w2.json"), dir.arg("s2.db"));
    let (log, log2) = (dir.arg("log.bin"), dir.arg("log2.json"));
    CLI.stdout(&["log", "export", "--state", &state, "--out", &log]);
    // A conformance run of no case (quick), and its report to compare.
    let (report, report2) = (dir.arg("report"), dir.arg("report2"));
    let conformance = ["conformance", "run", "--builtin", "--quiet", "--include", "no-such-case"];
    CLI.run(&[&conformance[..], &["--out", &report]].concat());
    let report_json = format!("{report}/report.json");
    let runs: Vec<Vec<&str>> = vec![
        vec!["issuer", "init", "--out", &issuer2, "--at", &at],
        vec!["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &wallet2, "--at", &at],
        vec!["state", "init", "--state", &state2],
        vec!["issuer", "revoke", "--issuer", &issuer, "--serial", "7", "--at", &at],
        vec!["log", "export", "--state", &state, "--out", &log2],
        vec!["terminal", "challenge", "--terminal-id", "3", "--amount", "100", "--at", &at],
        vec!["reconcile", "--issuer", &issuer, &log],
        vec!["demo", "--at", &at, "--seed", &seed],
        vec!["demo", "--at", &at, "--seed", &seed, "--json"],
        vec!["vectors", "check", concat!(env!("CARGO_MANIFEST_DIR"), "/../../vectors")],
        vec!["--help"],
        vec!["--version"],
        vec!["code", "--help"],
        vec!["vectors", "--help"],
        vec!["conformance", "--help"],
        vec!["conformance", "run", "--help"],
        [&conformance[..], &["--out", &report2]].concat(),
        vec!["conformance", "compare", &report_json, &report_json],
    ];
    for args in &runs {
        let out = CLI
            .command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(full())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        refused(args, &out);
    }
}

#[test]
fn the_conformance_adapter_names_standard_output() {
    let hello = b"{\"type\":\"hello\",\"seq\":1,\"contract\":\"paycode-adapter/1\"}\n";
    let mut child = CLI
        .command()
        .args(["conformance", "adapter"])
        .stdin(Stdio::piped())
        .stdout(full())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It may exit before it has read all of it.
    let _ = child.stdin.take().unwrap().write_all(hello);
    let out = child.wait_with_output().unwrap();
    let err = refused(&["conformance", "adapter"], &out);
    assert!(!err.contains("standard input"), "{err}");
}

#[test]
fn a_standard_error_that_cannot_be_written_changes_no_exit_code() {
    let dir = TempDir::new("full-stderr");
    let (issuer, wallet, state) = world(&dir);
    let at = T.to_string();
    let stderr_full = |args: &[&str]| {
        CLI.command().args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(full()).output().unwrap()
    };
    // A capped code's terms go to standard error with --only: the code is still printed.
    let out = stderr_full(&["code", "--wallet", &wallet, "--at", &at, "--cap", "100", "--only", "text"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let code = String::from_utf8(out.stdout).unwrap();
    assert!(code.starts_with("PC3:"), "{code}");
    let verify =
        ["verify", code.trim_end(), "--issuer", &issuer, "--state", &state, "--at", &at, "--amount", "50"];
    assert_eq!(stderr_full(&verify).status.code(), Some(0));
    assert_eq!(stderr_full(&verify).status.code(), Some(1));
    // An error whose message cannot be written keeps its exit code.
    let missing = stderr_full(&["verify", "x", "--issuer", &issuer, "--state", &dir.arg("none.db")]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(stderr_full(&["--bogus"]).status.code(), Some(2));
    assert_eq!(stderr_full(&["conformance", "run", "--bogus"]).status.code(), Some(3));
    // Both full: still 2, not a panic's 101.
    let both = CLI
        .command()
        .args(["code", "--wallet", &wallet, "--at", &at])
        .stdin(Stdio::null())
        .stdout(full())
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
}
