//! The `paycode` command as a new user drives it: issuer, wallets, codes,
//! verification with persisted state, rejections with their codes and exit
//! codes, reconciliation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use paycode_test_support::{Cli, TempDir};
use serde_json::Value;

const T: u64 = 1_800_000_000;
const X: u64 = 60;
const B: u64 = 2;
const F: u64 = 1;

/// The command under test.
const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Issuer + one wallet of `profile`, created at time T.
fn setup(dir: &TempDir, profile: &str) -> (PathBuf, PathBuf) {
    let issuer = dir.join("issuer.json");
    if !issuer.exists() {
        // Made an hour early too, so that its first revocation list, issued
        // then, is not dated after a terminal's clock a few steps before T
        // (spec: R-REVOKE-2).
        CLI.stdout(&["issuer", "init", "--out", s(&issuer), "--at", &(T - 3_600).to_string()]);
    }
    let wallet = dir.join(format!("{profile}.json"));
    // The credential starts an hour early, so that codes verified a few steps
    // before T meet the time window, not the credential's start.
    let not_before = (T - 3_600).to_string();
    let at = T.to_string();
    let mut args = vec![
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
        "--not-before",
        &not_before,
    ];
    if profile == "ed25519" {
        // One credential, serial 1: the session's codes share one counter sequence.
        args.extend_from_slice(&["--batch", "1", "--serial", "1"]);
    }
    CLI.stdout(&args);
    (issuer, wallet)
}

fn code_json(wallet: &Path, at: u64) -> Value {
    serde_json::from_str(&CLI.stdout(&["code", "--wallet", s(wallet), "--at", &at.to_string(), "--json"]))
        .unwrap()
}

/// Verifies `code` and returns (exit code, verdict JSON).
fn verify(issuer: &Path, state: &Path, code: &str, at: u64, extra: &[&str]) -> (i32, Value) {
    let at = at.to_string();
    let mut args = vec!["verify", code, "--issuer", s(issuer), "--state", s(state), "--at", &at, "--json"];
    // A state database is created explicitly: the first verification of each state says so.
    if !state.exists() {
        args.push("--init");
    }
    args.extend_from_slice(extra);
    let out = CLI.run(&args);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

fn rejected_with(r: (i32, Value), code: &str) {
    assert_eq!(r.0, 1, "{:?}", r.1);
    assert_eq!(r.1["verdict"], "rejected");
    assert_eq!(r.1["code"], code, "{:?}", r.1);
}

fn accepted(r: (i32, Value)) {
    assert_eq!(r.0, 0, "{:?}", r.1);
    assert_eq!(r.1["verdict"], "accepted");
}

fn session(profile: &str) {
    let dir = TempDir::new(&format!("cli-{profile}"));
    let (issuer, wallet) = setup(&dir, profile);
    let state = dir.join("state.db");
    let c = code_json(&wallet, T);
    let text = c["text"].as_str().unwrap().to_owned();
    assert_eq!(c["counter"], 0);
    accepted(verify(&issuer, &state, &text, T, &[]));
    rejected_with(verify(&issuer, &state, &text, T, &[]), "replayed");

    // The wallet's counter was persisted: the next code is a new one.
    let next = code_json(&wallet, T);
    assert_eq!(next["counter"], 1);

    // Window edges, each with a state of its own (the verifier's clock only moves forward).
    let late = next["text"].as_str().unwrap();
    rejected_with(verify(&issuer, &dir.join("late.json"), late, T + (B + 1) * X, &[]), "too-old");
    accepted(verify(&issuer, &dir.join("edge-b.json"), late, T + B * X, &[]));
    rejected_with(verify(&issuer, &dir.join("early.json"), late, T - (F + 1) * X, &[]), "too-new");
    accepted(verify(&issuer, &dir.join("edge-f.json"), late, T - F * X, &[]));

    // One character changed: rejected, whichever check notices first.
    let fresh = code_json(&wallet, T)["text"].as_str().unwrap().to_owned();
    let mut chars: Vec<char> = fresh.chars().collect();
    let i = chars.len() - 5;
    chars[i] = if chars[i] == '0' { '1' } else { '0' };
    let changed: String = chars.into_iter().collect();
    let r = verify(&issuer, &state, &changed, T, &[]);
    assert_eq!(r.0, 1);
    assert!(["invalid-code", "malformed"].contains(&r.1["code"].as_str().unwrap()), "{:?}", r.1);
    accepted(verify(&issuer, &state, &fresh, T, &[]));

    // Empty, garbage and 10 kB inputs.
    rejected_with(verify(&issuer, &state, "", T, &[]), "malformed");
    rejected_with(verify(&issuer, &state, "garbage", T, &[]), "malformed");
    rejected_with(verify(&issuer, &state, &"PC3:".repeat(2_500), T, &[]), "malformed");
    let big = "9".repeat(10_000);
    rejected_with(verify(&issuer, &state, &big, T, &[]), "malformed");

    // Standard input, with the newline a shell adds.
    let line = format!("{}\n", code_json(&wallet, T)["text"].as_str().unwrap());
    let out = CLI.run_stdin(
        &["verify", "--issuer", s(&issuer), "--state", s(&state), "--at", &T.to_string()],
        line.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("accepted"));
    let out = CLI.run_stdin(
        &["verify", "--issuer", s(&issuer), "--state", s(&state), "--at", &T.to_string()],
        line.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rejected: replayed"));
    let out = CLI.run_stdin(
        &["verify", "--issuer", s(&issuer), "--state", s(&state), "--at", &T.to_string()],
        &[0xff, 0xfe, b'P'],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rejected: malformed"));
}

#[test]
fn hmac_session() {
    session("hmac");
}

#[test]
fn ed25519_session() {
    session("ed25519");
}

#[test]
fn throttling_survives_between_runs() {
    // Each `paycode verify` is a new process: the failure budget lives in the
    // state file, or guessing the 29-bit numeric tag would be unlimited (R-HMAC-7).
    let dir = TempDir::new("cli-throttle");
    let (issuer, wallet) = setup(&dir, "hmac");
    let state = dir.join("state.db");
    let c = code_json(&wallet, T);
    let digits = c["digits"].as_str().unwrap().to_owned();
    let last = digits.chars().last().unwrap();
    let wrong: String = digits[..23].to_owned() + if last == '0' { "1" } else { "0" };
    for _ in 0..4 {
        rejected_with(verify(&issuer, &state, &wrong, T, &[]), "invalid-code");
    }
    rejected_with(verify(&issuer, &state, &wrong, T, &[]), "throttled");
    rejected_with(verify(&issuer, &state, &digits, T, &[]), "throttled");
    // The next step starts no new count; the QR form is never throttled (R-HMAC-6).
    rejected_with(verify(&issuer, &state, &digits, T + X, &[]), "throttled");
    accepted(verify(&issuer, &state, c["text"].as_str().unwrap(), T + X, &[]));
}

#[test]
fn hmac_digits_share_the_replay_identity_of_the_qr_form() {
    let dir = TempDir::new("cli-digits");
    let (issuer, wallet) = setup(&dir, "hmac");
    let state = dir.join("state.db");
    let c = code_json(&wallet, T);
    let digits = c["digits"].as_str().unwrap();
    assert_eq!(digits.len(), 24);
    accepted(verify(&issuer, &state, digits, T, &[]));
    rejected_with(verify(&issuer, &state, c["text"].as_str().unwrap(), T, &[]), "replayed");
    rejected_with(verify(&issuer, &state, digits, T, &[]), "replayed");
}

#[test]
fn ed25519_limits_revocation_and_reconciliation() {
    let dir = TempDir::new("cli-ed-limits");
    let (issuer, wallet) = setup(&dir, "ed25519");
    let c = code_json(&wallet, T);
    let text = c["text"].as_str().unwrap();
    let (log1, log2) = (dir.join("t1.log"), dir.join("t2.log"));
    // Two offline terminals, each with its own state, both accept the same code.
    accepted(verify(&issuer, &dir.join("t1.db"), text, T, &["--amount", "300"]));
    accepted(verify(&issuer, &dir.join("t2.db"), text, T + 5, &["--amount", "300", "--terminal-id", "2"]));
    // Each terminal's log, exported from its state database.
    CLI.stdout(&["log", "export", "--state", s(&dir.join("t1.db")), "--out", s(&log1)]);
    CLI.stdout(&["log", "export", "--state", s(&dir.join("t2.db")), "--out", s(&log2)]);
    // One code recorded at two terminals: a copy, which flags no one (spec R-LOG-2, R-LOG-4).
    let out = CLI.run(&["reconcile", "--issuer", s(&issuer), s(&log1), s(&log2), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let rec: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rec["records"], 2);
    assert_eq!(rec["revoke_serials"], serde_json::json!([]));
    assert_eq!(rec["copies"][0]["counter"], 0);
    assert_eq!(rec["copies"][0]["records"].as_array().unwrap().len(), 2);
    assert_eq!(rec["unproven"], serde_json::json!([]));

    let next = code_json(&wallet, T);
    rejected_with(
        verify(&issuer, &dir.join("t1.db"), next["text"].as_str().unwrap(), T, &["--amount", "5001"]),
        "over-limit",
    );
    // Revoke serial 1: the next verification installs the new list.
    CLI.stdout(&["issuer", "revoke", "--issuer", s(&issuer), "--serial", "1", "--at", &T.to_string()]);
    rejected_with(verify(&issuer, &dir.join("t1.db"), next["text"].as_str().unwrap(), T, &[]), "revoked");
}

#[test]
fn io_and_usage_errors_exit_2() {
    let dir = TempDir::new("cli-io");
    let (issuer, wallet) = setup(&dir, "hmac");
    let missing =
        CLI.run(&["verify", "x", "--issuer", s(&dir.join("none.json")), "--state", s(&dir.join("s.db"))]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(CLI.run(&["verify", "--bogus"]).status.code(), Some(2));
    assert_eq!(
        CLI.run(&["issuer", "init", "--out", s(&issuer)]).status.code(),
        Some(2),
        "refuses to overwrite"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wallet, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = CLI.run(&["code", "--wallet", s(&wallet), "--at", &T.to_string()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    }
    let before = CLI.run(&[
        "verify",
        "x",
        "--issuer",
        s(&issuer),
        "--state",
        s(&dir.join("s.db")),
        "--init",
        "--at",
        "5",
    ]);
    // T0 = 0, so time 5 is valid; with --t0 above it the time is before the epoch.
    assert_eq!(before.status.code(), Some(1));
    let late_issuer = dir.join("late-issuer.json");
    // Its revocation list is issued at 50, before the epoch too: the list's
    // issued_at bounds the verifier's time from below (spec R-TIME-8).
    // `issuer init` refuses a time before the epoch, so the list's time is
    // set in the file (key 1 is valid from 0, a day before 100).
    CLI.stdout(&["issuer", "init", "--out", s(&late_issuer), "--t0", "100", "--at", "100"]);
    let mut file: Value = serde_json::from_slice(&std::fs::read(&late_issuer).unwrap()).unwrap();
    assert_eq!(file["keys"][0]["not_before"], 0);
    file["revocation"]["issued_at"] = 50.into();
    std::fs::write(&late_issuer, serde_json::to_vec(&file).unwrap()).unwrap();
    let r = verify(&late_issuer, &dir.join("s2.json"), "x", 99, &[]);
    rejected_with(r, "time-before-epoch");
}

#[test]
fn demo_runs_and_reports_every_verdict() {
    // One seed for both runs, so that the text report shows the JSON report's handles.
    let seed = "5a".repeat(32);
    let v: Value =
        serde_json::from_str(&CLI.stdout(&["demo", "--at", &T.to_string(), "--seed", &seed, "--json"]))
            .unwrap();
    assert_eq!(v["ok"], true);
    let mut seen = std::collections::BTreeSet::new();
    for p in v["profiles"].as_array().unwrap() {
        for c in p["checks"].as_array().unwrap() {
            assert_eq!(c["verdict"], c["expected"], "{c}");
            seen.insert(c["verdict"].as_str().unwrap().to_owned());
        }
    }
    for code in ["accepted", "replayed", "too-old", "too-new", "invalid-code"] {
        assert!(seen.contains(code), "demo shows no {code}");
    }
    assert_eq!(v["profiles"][0]["qr_version"], 3);
    assert_eq!(v["profiles"][1]["qr_version"], 10);
    // Two hmac codes of account 42, made one step apart: each carries its step's
    // handle and masked counter; the verifier accepts both as account 42 with
    // the counter the wallet used.
    let handles = v["handles"].as_array().unwrap();
    let steps: Vec<u64> = handles.iter().map(|h| h["step"].as_u64().unwrap()).collect();
    assert_eq!(steps, [T / 60 - 1, T / 60]);
    for h in handles {
        assert_eq!(
            (&h["verdict"], &h["account"], &h["ok"]),
            (&"accepted".into(), &42.into(), &true.into()),
            "{h}"
        );
        assert_eq!(h["verified_counter"], h["counter"], "{h}");
        assert_ne!(h["masked_counter"], h["counter"], "{h}");
        assert_eq!(h["handle"].as_str().unwrap().len(), 16, "{h}");
    }
    assert_eq!(handles[1]["counter"].as_u64().unwrap(), handles[0]["counter"].as_u64().unwrap() + 1);
    assert_ne!(handles[0]["handle"], handles[1]["handle"]);
    // Challenge mode: the terminal's challenge, and the verdicts of a lifted code, a second
    // code for the challenge and a capped code (spec §4.9, §7.5).
    let challenge = &v["challenge"];
    let parsed = paycode::Challenge::parse(challenge["text"].as_str().unwrap()).unwrap();
    assert_eq!((parsed.terminal_id(), parsed.amount(), parsed.issued_at()), (7, 250, T));
    assert_eq!(
        (&challenge["terminal_id"], &challenge["amount"], &challenge["qr_version"]),
        (&7.into(), &250.into(), &3.into())
    );
    let verdicts: Vec<&str> =
        challenge["checks"].as_array().unwrap().iter().map(|c| c["verdict"].as_str().unwrap()).collect();
    for c in challenge["checks"].as_array().unwrap() {
        assert_eq!((&c["verdict"], &c["ok"]), (&c["expected"], &true.into()), "{c}");
    }
    for code in ["invalid-code", "challenge-mismatch", "accepted", "replayed", "challenge-used", "over-cap"] {
        assert!(verdicts.contains(&code), "the challenge part of the demo shows no {code}: {verdicts:?}");
    }
    // The text report lists the same verdicts under its own heading, and counts them all.
    let text = CLI.stdout(&["demo", "--at", &T.to_string(), "--seed", &seed]);
    let part = text
        .split_once("== challenge mode, ed25519: terminal 7 shows a challenge for 250 (QR version 3-M) ==")
        .unwrap()
        .1;
    assert!(part.contains(&format!("challenge: {}", &challenge["text"].as_str().unwrap()[..4])), "{part}");
    assert_eq!(part.lines().filter(|l| l.contains(" -> ")).count(), verdicts.len(), "{part}");
    assert!(text.contains("all 27 verdicts are the ones the spec requires"), "{text}");
    // spec: R-BATCH-4: the ed25519 payer's two codes, of two credentials of its batch.
    let batch = v["ed25519_batch"].as_array().unwrap();
    assert_eq!(batch.len(), 2);
    assert_ne!(batch[0]["serial"], batch[1]["serial"]);
    assert_ne!(batch[0]["device_key"], batch[1]["device_key"]);
    let ed = &v["profiles"][1]["checks"];
    let next = ed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"].as_str().unwrap().starts_with("the payer's next code"));
    assert_eq!(next.unwrap()["verdict"], "accepted");
    let part = text.split_once("== hmac profile: two codes of account 42, one step apart ==").unwrap().1;
    for h in handles {
        let line = format!("step {}: handle {}", h["step"], h["handle"].as_str().unwrap());
        assert!(part.contains(&line) && part.contains(&format!("counter {}", h["counter"])), "{part}");
    }
}
