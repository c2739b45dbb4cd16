//! Challenge mode, capped codes and the numeric ceiling through the
//! `paycode` command (spec §4.9, §7.5): the terminal's challenge, the
//! wallet's code for it or under a cap, and the verifier's parameters `C`
//! and `A_num` in the issuer file. The attacks they answer are in
//! `tests/attacks.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use paycode_test_support::{Cli, TempDir};
use serde_json::Value;

const T: u64 = 1_800_000_000;

/// The command under test.
const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// `issuer init --challenge-lifetime --numeric-ceiling` (spec §2.1): kept in
/// the issuer file's parameters, left out at their defaults, refused out of
/// range (spec: R-TIME-6), and read back by every verification.
#[test]
fn issuer_init_keeps_the_challenge_lifetime_and_the_numeric_ceiling() {
    let dir = TempDir::new("challenge-params");
    let issuer = dir.join("issuer.json");
    let at = T.to_string();
    CLI.stdout(&["issuer", "init", "--out", s(&issuer), "--at", &at]);
    let params = &read_json(&issuer)["params"];
    assert_eq!(params, &serde_json::json!({"t0": 0, "step": 60, "back": 2, "forward": 1}));
    let init = |extra: &[&str]| {
        let mut args = vec!["issuer", "init", "--force", "--out", s(&issuer), "--at", &at];
        args.extend_from_slice(extra);
        CLI.run(&args)
    };
    let out = init(&["--challenge-lifetime", "300", "--numeric-ceiling", "700"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let params = &read_json(&issuer)["params"];
    assert_eq!(
        (params["challenge_lifetime"].as_u64(), params["numeric_ceiling"].as_u64()),
        (Some(300), Some(700))
    );
    let written = std::fs::read(&issuer).unwrap();
    for c in ["29", "601", "0"] {
        let out = init(&["--challenge-lifetime", c]);
        assert_eq!(out.status.code(), Some(2), "C = {c}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("challenge lifetime must be 30..=600 seconds"), "{stderr}");
        assert_eq!(std::fs::read(&issuer).unwrap(), written, "a refused init writes nothing");
    }
    for bad in [&["--numeric-ceiling", "18446744073709551616"][..], &["--numeric-ceiling", "-1"]] {
        assert_eq!(init(bad).status.code(), Some(2), "{bad:?}");
    }
    // A file edited by hand to a C out of range is refused where it is read, naming it.
    let mut edited = read_json(&issuer);
    edited["params"]["challenge_lifetime"] = 10.into();
    std::fs::write(&issuer, serde_json::to_vec(&edited).unwrap()).unwrap();
    let out = CLI.run(&["verify", "x", "--issuer", s(&issuer), "--state", s(&dir.join("s.db")), "--init"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(s(&issuer)) && stderr.contains("challenge lifetime"), "{stderr}");
    assert!(!dir.join("s.db").exists(), "nothing was created");
}

/// `terminal challenge` (spec §4.9, R-CHAL-1): the challenge's fields as
/// given, a nonce of its own every time, in text, JSON, `--only text` and a
/// QR file; options that do not go together are refused before anything is
/// written.
#[test]
fn terminal_challenge_prints_a_fresh_challenge() {
    let dir = TempDir::new("challenge-terminal");
    let at = T.to_string();
    let make = |extra: &[&str]| {
        let mut args = vec!["terminal", "challenge", "--terminal-id", "7", "--amount", "250", "--at", &at];
        args.extend_from_slice(extra);
        CLI.run(&args)
    };
    let json = |out: std::process::Output| -> Value {
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = json(make(&["--json"]));
    let text = first["text"].as_str().unwrap();
    assert_eq!(text.len(), 60);
    let parsed = paycode::Challenge::parse(text).unwrap();
    assert_eq!((parsed.terminal_id(), parsed.amount(), parsed.issued_at()), (7, 250, T));
    assert_eq!(first["terminal_id"], 7);
    assert_eq!(first["amount"], 250);
    assert_eq!(first["issued_at"], T);
    assert_eq!(first["nonce"], paycode::codec::to_hex(parsed.nonce()));
    assert!(first.get("qr_version").is_none(), "{first}");
    // A fresh nonce each time (spec: R-CHAL-1): the same terminal, amount and time give another challenge.
    let second = json(make(&["--json"]));
    assert_ne!(second["nonce"], first["nonce"]);
    assert_ne!(second["text"], first["text"]);

    // Text: the terms, then the text; --only text: the text alone.
    let out = make(&[]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], format!("challenge: terminal 7, amount 250, issued at {T}"));
    let shown = lines[1].strip_prefix("text: ").unwrap();
    assert_eq!(paycode::Challenge::parse(shown).unwrap().amount(), 250);
    let out = CLI.run(&[
        "terminal",
        "challenge",
        "--terminal",
        "9",
        "--amount",
        "1",
        "--now",
        &at,
        "--only",
        "text",
    ]);
    let only = String::from_utf8(out.stdout).unwrap();
    assert_eq!(only.lines().count(), 1, "{only}");
    let c = paycode::Challenge::parse(only.trim_end()).unwrap();
    assert_eq!((c.terminal_id(), c.amount(), c.issued_at()), (9, 1, T));

    // The QR symbol as a file, named on standard output; in the terminal, above the text.
    let svg = dir.join("c.svg");
    let out = make(&["--qr", "svg", "--out", s(&svg)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("wrote {} (QR code, SVG)", s(&svg))));
    let v = json(make(&["--qr", "png", "--out", s(&dir.join("c.png")), "--json"]));
    assert_eq!((v["qr_version"].as_u64(), v["qr_file"].as_str()), (Some(3), Some(s(&dir.join("c.png")))));
    let term = String::from_utf8(make(&["--qr", "term"]).stdout).unwrap();
    assert!(term.starts_with('█') && term.contains("\ntext: PT1:"), "{term}");

    // Refused: --qr png without --out, --out without --qr, --out over a key file.
    let issuer = dir.join("issuer.json");
    CLI.stdout(&["issuer", "init", "--out", s(&issuer), "--at", &at]);
    let key = std::fs::read(&issuer).unwrap();
    let y = dir.join("y.png");
    for extra in [
        &["--qr", "png"][..],
        &["--out", s(&y)],
        &["--qr", "png", "--out", s(&issuer)],
        &["--json", "--only", "text"],
    ] {
        let out = make(extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{extra:?}");
    }
    assert!(!y.exists());
    assert_eq!(std::fs::read(&issuer).unwrap(), key);
}
