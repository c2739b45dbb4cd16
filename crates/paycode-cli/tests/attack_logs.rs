//! Forged acceptance logs, replayed as scripts against the `paycode` command
//! (spec §10.3, §10.4, §12.13): a merchant appends to its terminal's log a
//! record that would flag an honest payer (a second code for a counter the
//! payer used, a lower counter at a later step, a copy of the payer's own
//! record) and hands the log to the issuer. `paycode reconcile --issuer`
//! checks every record's evidence under the issuer's keys: the fabricated
//! records are listed as unproven, a copy counts once, and nothing is
//! flagged. A real clone's second code for one counter still is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use paycode_test_support::TempDir;
use serde_json::{Value, json};

mod scripts;
use scripts::{CLI, T, code, s};

/// An issuer and one wallet of `profile`, enrolled at `T`.
fn setup(dir: &TempDir, profile: &str) -> (PathBuf, PathBuf) {
    let issuer = scripts::issuer(dir, &[]);
    // An ed25519 wallet of one credential, with the whole per-terminal limit.
    let one: &[&str] = if profile == "ed25519" { &["--batch", "1"] } else { &[] };
    let wallet = scripts::enroll(dir, &issuer, profile, &format!("{profile}.json"), one);
    (issuer, wallet)
}

const X: u64 = 60;

/// Offsets in a record (spec §4.8): the amount, the terminal id, the step and
/// the evidence.
const AMOUNT: usize = 10;
const TERMINAL: usize = 18;
const STEP: usize = 22;
const EVIDENCE: usize = 30;

/// Verifies `text` at `at` for 100 at the terminal whose state is `state`.
fn verify(issuer: &Path, state: &Path, text: &str, at: u64) {
    let at = at.to_string();
    let mut args = vec!["verify", "--issuer", s(issuer), "--state", s(state), "--at", &at, "--amount", "100"];
    if !state.exists() {
        args.push("--init");
    }
    args.extend(["--", text]);
    let out = CLI.run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

/// The log of the terminal whose state is `state`, as records (each the bytes of one).
fn export(dir: &TempDir, state: &Path, name: &str) -> Vec<Vec<u8>> {
    let log = dir.join(name);
    CLI.stdout(&["log", "export", "--state", s(state), "--out", s(&log)]);
    let bytes = std::fs::read(&log).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = paycode::log::record_len(bytes[at + 1]).unwrap();
        out.push(bytes[at..at + len].to_vec());
        at += len;
    }
    out
}

/// `records` written as a log file `name`.
fn write(dir: &TempDir, name: &str, records: &[Vec<u8>]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, records.concat()).unwrap();
    path
}

/// `reconcile --issuer --json` of `logs`: the exit status and the report.
fn reconcile(issuer: &Path, logs: &[PathBuf]) -> (i32, Value) {
    let mut args = vec!["reconcile", "--json", "--issuer", s(issuer)];
    args.extend(logs.iter().map(|l| s(l)));
    let out = CLI.run(&args);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap())
}

/// `record` with its step, in the record and in the evidence, set to `step`:
/// what a merchant writes to claim the payer's counter at another step. The
/// tag or signature is the honest code's, so it no longer verifies.
fn at_step(record: &[u8], step: u64) -> Vec<u8> {
    let mut r = record.to_vec();
    r[STEP..STEP + 8].copy_from_slice(&step.to_be_bytes());
    // The code's step: offset 10 of an hmac payload, 2 of an ed25519 one (spec §4.2, §4.5).
    let at = EVIDENCE + if r[1] & 0x0f == 0x01 { 10 } else { 2 };
    r[at..at + 8].copy_from_slice(&step.to_be_bytes());
    r
}

/// `record` with its counter field set to `counter` (offset 18 of an hmac
/// payload, where it is masked, 10 of an ed25519 one).
fn with_counter(record: &[u8], counter: u32) -> Vec<u8> {
    let mut r = record.to_vec();
    let at = EVIDENCE + if r[1] & 0x0f == 0x01 { 18 } else { 10 };
    r[at..at + 4].copy_from_slice(&counter.to_be_bytes());
    r
}

fn forged_records_flag_no_one(profile: &str) {
    let dir = TempDir::new(&format!("attack-logs-{profile}"));
    let (issuer, wallet) = setup(&dir, profile);
    let till = dir.join("till.db");
    // The honest payer pays twice: counters 0 and 1, steps T and T + 1.
    verify(&issuer, &till, &code(&wallet, T), T);
    verify(&issuer, &till, &code(&wallet, T + X), T + X);
    let honest = export(&dir, &till, "till.log");
    assert_eq!(honest.len(), 2);
    let step = T / X;

    // The merchant appends what would make a double (counter 0 again, at step
    // T + 2), an order (counter 0 at step T + 9, after counter 1 at T + 1), and
    // a copy of the payer's first record claiming 4000 at its other terminal.
    let double = at_step(&honest[0], step + 2);
    let order = at_step(&with_counter(&honest[1], 0), step + 9);
    let mut copy = honest[0].clone();
    copy[AMOUNT..AMOUNT + 8].copy_from_slice(&4_000u64.to_be_bytes());
    copy[TERMINAL..TERMINAL + 4].copy_from_slice(&9u32.to_be_bytes());
    let forged = write(&dir, "forged.log", &[honest.clone(), vec![double, order, copy]].concat());

    let (status, report) = reconcile(&issuer, &[forged]);
    assert_eq!(status, 0, "{profile}: {report}");
    assert_eq!(report["flagged"], json!([]), "{profile}: {report}");
    assert_eq!(report["revoke_serials"], json!([]));
    assert_eq!(report["flagged_accounts"], json!([]));
    assert_eq!(report["doubles"], json!([]));
    // An hmac code carries its account's handle for its own step: moved to
    // another step, it names no account at all; an ed25519 code still names
    // its credential, whose signature no longer verifies.
    let why = if profile == "hmac" { "unknown-account" } else { "invalid-code" };
    assert_eq!(
        report["unproven"],
        json!([{"log": 0, "index": 2, "why": why}, {"log": 0, "index": 3, "why": why}]),
        "{profile}"
    );
    // The copy is one code with the honest record, counted once at its smaller amount.
    assert_eq!(report["copies"].as_array().unwrap().len(), 1, "{profile}: {report}");
    assert_eq!(report["copies"][0]["counter"], 0);
    if profile == "ed25519" {
        assert_eq!(report["totals"][0][1], 200, "{report}");
    }
    // The text report says the same.
    let text = CLI.run(&["reconcile", "--issuer", s(&issuer), s(&dir.join("forged.log"))]);
    let said = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(0), "{said}");
    assert!(said.contains("2 unproven") && said.contains("0 identities flagged"), "{said}");
    assert!(said.contains(&format!("record 2: {why}")), "{said}");

    // Control: a clone (the wallet file copied) makes a second code for
    // counter 2, and both reach the issuer: a double, on proven records.
    let clone = dir.join("clone.json");
    std::fs::copy(&wallet, &clone).unwrap();
    verify(&issuer, &till, &code(&wallet, T + 2 * X), T + 2 * X);
    let other = dir.join("other.db");
    verify(&issuer, &other, &code(&clone, T + 3 * X), T + 3 * X);
    let logs = [
        write(&dir, "till-2.log", &export(&dir, &till, "till-2-raw.log")),
        write(&dir, "other.log", &export(&dir, &other, "other-raw.log")),
    ];
    let (status, report) = reconcile(&issuer, &logs);
    assert_eq!(status, 1, "{profile}: {report}");
    assert_eq!(report["flagged"][0]["reasons"], json!(["double"]), "{profile}: {report}");
    assert_eq!(report["unproven"], json!([]));
}

#[test]
fn forged_log_records_flag_no_one_hmac() {
    forged_records_flag_no_one("hmac");
}

#[test]
fn forged_log_records_flag_no_one_ed25519() {
    forged_records_flag_no_one("ed25519");
}

/// Without the issuer's keys, reconcile checks nothing and so refuses to run:
/// a usage error, not a report of records it cannot judge.
#[test]
fn reconcile_needs_the_issuer() {
    let dir = TempDir::new("attack-logs-no-issuer");
    let (issuer, wallet) = setup(&dir, "hmac");
    let till = dir.join("till.db");
    verify(&issuer, &till, &code(&wallet, T), T);
    let log = write(&dir, "till.log", &export(&dir, &till, "raw.log"));
    assert_eq!(CLI.run(&["reconcile", s(&log)]).status.code(), Some(2));
}
