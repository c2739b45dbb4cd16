//! The published attacks on offline payment codes, each replayed as a
//! script against the `paycode` command, and refused with the spec's error
//! code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use paycode_test_support::{Cli, TempDir};
use serde_json::Value;

const T: u64 = 1_800_000_000;
const X: u64 = 60;

/// The command under test.
const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An issuer and one wallet of `profile`, enrolled at `T`.
fn setup(dir: &TempDir, profile: &str) -> (PathBuf, PathBuf) {
    let issuer = dir.join("issuer.json");
    CLI.stdout(&["issuer", "init", "--out", s(&issuer), "--at", &T.to_string()]);
    let wallet = dir.join(format!("{profile}.json"));
    let at = T.to_string();
    CLI.stdout(&[
        "wallet",
        "enroll",
        "--issuer",
        s(&issuer),
        "--profile",
        profile,
        "--out",
        s(&wallet),
        "--at",
        &at,
    ]);
    (issuer, wallet)
}

/// The wallet's next code, made with the phone's clock at `at`.
fn code(wallet: &Path, at: u64) -> (String, u64) {
    let out = CLI.stdout(&["code", "--wallet", s(wallet), "--at", &at.to_string(), "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    (v["text"].as_str().unwrap().to_owned(), v["counter"].as_u64().unwrap())
}

/// Verifies `text` at `at` with the state in `state` (created on first use):
/// the exit status and the verdict's code, "accepted" for an acceptance.
fn verify(issuer: &Path, state: &Path, text: &str, at: u64) -> (i32, String) {
    let at = at.to_string();
    let mut args = vec!["verify", text, "--issuer", s(issuer), "--state", s(state), "--at", &at, "--json"];
    if !state.exists() {
        args.push("--init");
    }
    args.extend_from_slice(&["--amount", "100"]);
    let out = CLI.run(&args);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stderr)));
    let verdict = if v["verdict"] == "accepted" {
        "accepted".to_owned()
    } else {
        v["code"].as_str().unwrap().to_owned()
    };
    (out.status.code().unwrap(), verdict)
}

/// Codes made in advance (spec §12.12, R-REPLAY-7): with a moment's access
/// to the phone, an attacker sets its clock three steps ahead and takes a
/// code; the owner goes on paying with higher counters; when the taken
/// code's step comes, the verifier that accepted the owner's later codes
/// refuses it with `counter-behind`.
fn made_in_advance(profile: &str) {
    let dir = TempDir::new(&format!("attack-advance-{profile}"));
    let (issuer, wallet) = setup(&dir, profile);
    let state = dir.join("terminal.db");
    let (taken, counter) = code(&wallet, T + 3 * X);
    assert_eq!(counter, 0);
    for i in 0..3 {
        let (text, counter) = code(&wallet, T + i * X);
        assert_eq!(counter, i + 1);
        assert_eq!(verify(&issuer, &state, &text, T + i * X), (0, "accepted".to_owned()), "{profile} {i}");
    }
    assert_eq!(verify(&issuer, &state, &taken, T + 3 * X), (1, "counter-behind".to_owned()), "{profile}");
    // The refusal recorded nothing: refused again, and the owner's next code is accepted.
    assert_eq!(verify(&issuer, &state, &taken, T + 3 * X + 1), (1, "counter-behind".to_owned()));
    let (text, _) = code(&wallet, T + 3 * X);
    assert_eq!(verify(&issuer, &state, &text, T + 3 * X + 2), (0, "accepted".to_owned()));
    // At a terminal that accepted none of the owner's later codes the taken
    // code passes once (spec §12.12); made for 3 steps ahead, it is within
    // the order check's tolerance D = B + F = 3 (R-LOG-2).
    let other = dir.join("other-terminal.db");
    assert_eq!(verify(&issuer, &other, &taken, T + 3 * X), (0, "accepted".to_owned()));
    let reconciled = reconcile(&dir, &[&state, &other]);
    assert_eq!(reconciled["flagged"], serde_json::json!([]), "{profile}");
    // A code taken for 10 steps ahead, used at a third terminal when its step
    // comes: its counter is below the owner's, its step far above: out of
    // order, and the identity is to be revoked (or disabled).
    let (far, _) = code(&wallet, T + 10 * X);
    let third = dir.join("third-terminal.db");
    assert_eq!(verify(&issuer, &third, &far, T + 10 * X), (0, "accepted".to_owned()));
    let (later, _) = code(&wallet, T + 4 * X);
    assert_eq!(verify(&issuer, &state, &later, T + 4 * X), (0, "accepted".to_owned()));
    let reconciled = reconcile(&dir, &[&state, &other, &third]);
    let subject = &reconciled["flagged"][0]["subject"];
    assert_eq!(reconciled["flagged"][0]["reasons"], serde_json::json!(["order"]), "{profile}: {reconciled}");
    let listed =
        if profile == "hmac" { &reconciled["flagged_accounts"] } else { &reconciled["revoke_serials"] };
    assert_eq!(listed, &serde_json::json!([subject]));
}

/// The logs of the terminals whose states are `states`, reconciled: the JSON report.
fn reconcile(dir: &TempDir, states: &[&Path]) -> Value {
    reconcile_with(dir, states, &[])
}

/// [`reconcile`] with more arguments.
fn reconcile_with(dir: &TempDir, states: &[&Path], extra: &[&str]) -> Value {
    let mut logs = Vec::new();
    for (i, state) in states.iter().enumerate() {
        let log = dir.join(format!("terminal-{i}.log"));
        CLI.stdout(&["log", "export", "--state", s(state), "--out", s(&log)]);
        logs.push(log);
    }
    let mut args = vec!["reconcile", "--json"];
    args.extend_from_slice(extra);
    args.extend(logs.iter().map(|l| s(l)));
    let out = CLI.run(&args);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flagged = !report["flagged"].as_array().unwrap().is_empty();
    assert_eq!(out.status.code(), Some(i32::from(flagged)), "{report}");
    report
}

#[test]
fn codes_made_in_advance_are_counter_behind_hmac() {
    made_in_advance("hmac");
}

#[test]
fn codes_made_in_advance_are_counter_behind_ed25519() {
    made_in_advance("ed25519");
}

/// Spending the full offline allowance at every terminal (spec R-LOG-2,
/// `overspend`): each offline terminal enforces the cumulative limit (20000,
/// the enrolment's default) on what it alone accepted, so a clone and its
/// original can spend it at each; the issuer, which knows the credential's
/// limit, flags the serial once the logs come in, and an issuer that does not
/// give the limit flags nothing.
#[test]
fn spending_the_limit_at_every_terminal_is_overspend() {
    let dir = TempDir::new("attack-overspend");
    let (issuer, wallet) = setup(&dir, "ed25519");
    let terminals = [dir.join("terminal-a.db"), dir.join("terminal-b.db")];
    for (i, state) in terminals.iter().enumerate() {
        for n in 0..4 {
            let at = T + 60 * i as u64 + n;
            let (text, _) = code(&wallet, at);
            let args =
                ["verify", &text, "--issuer", s(&issuer), "--state", s(state), "--at", &at.to_string()];
            let mut args = args.to_vec();
            if n == 0 {
                args.push("--init");
            }
            args.extend_from_slice(&["--amount", "5000", "--json"]);
            let out = CLI.run(&args);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
        }
        // The terminal's own limit holds: a fifth payment is over it.
        let (text, _) = code(&wallet, T + 60 * i as u64 + 5);
        let at = (T + 60 * i as u64 + 5).to_string();
        let args =
            ["verify", &text, "--issuer", s(&issuer), "--state", s(state), "--at", &at, "--amount", "1"];
        assert_eq!(CLI.run(&args).status.code(), Some(1));
    }
    let refs: Vec<&Path> = terminals.iter().map(PathBuf::as_path).collect();
    let unlimited = reconcile(&dir, &refs);
    assert_eq!(unlimited["flagged"], serde_json::json!([]));
    // The totals, as (serial, total) pairs.
    let serial = unlimited["totals"][0][0].as_u64().unwrap();
    assert_eq!(unlimited["totals"][0][1], 40_000);
    let limited = reconcile_with(&dir, &refs, &["--limit", &format!("{serial}=20000")]);
    assert_eq!(
        limited["flagged"],
        serde_json::json!([{"profile": "ed25519", "subject": serial, "reasons": ["overspend"]}])
    );
    assert_eq!(limited["revoke_serials"], serde_json::json!([serial]));
    // The text report names the serial and its reason.
    let log = dir.join("terminal-0.log");
    let text = CLI.run(&[
        "reconcile",
        "--limit",
        &format!("{serial}=20000"),
        s(&log),
        s(&dir.join("terminal-1.log")),
    ]);
    assert_eq!(text.status.code(), Some(1));
    let said = String::from_utf8_lossy(&text.stdout);
    assert!(said.contains(&format!("ed25519 {serial}: overspend")), "{said}");
    // A malformed limit, or one serial limited twice, is a usage error.
    for limits in [&["--limit", "1:20000"][..], &["--limit", "1=5", "--limit", "1=6"]] {
        let mut args = vec!["reconcile"];
        args.extend_from_slice(limits);
        args.push(s(&log));
        assert_eq!(CLI.run(&args).status.code(), Some(2), "{limits:?}");
    }
}
