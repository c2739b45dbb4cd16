//! What the command prints, as a new user reads it: labelled text and
//! digits, `--only` for shell variables, JSON without `null`s, the serial
//! and account id an enrolment hands out, the files an image output wrote,
//! and the exit codes in `--help`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use paycode_test_support::{Cli, TempDir};
use serde_json::Value;

const T: u64 = 1_800_000_000;

const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap()
}

/// The value of the line `label: value` in `out`.
fn labelled<'a>(out: &'a str, label: &str) -> Option<&'a str> {
    out.lines().find_map(|l| l.strip_prefix(label)?.strip_prefix(": "))
}

/// An issuer with an hmac and an ed25519 wallet, made at T; the enrolments' outputs.
fn world(dir: &TempDir) -> (String, String, String, String, String) {
    let (issuer, h, e) = (dir.arg("issuer.json"), dir.arg("h.json"), dir.arg("e.json"));
    let at = T.to_string();
    CLI.stdout(&["issuer", "init", "--out", &issuer, "--at", &at]);
    let hmac =
        CLI.stdout(&["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &h, "--at", &at]);
    let nb = (T - 3_600).to_string();
    let ed = CLI.stdout(&[
        "wallet",
        "enroll",
        "--issuer",
        &issuer,
        "--profile",
        "ed25519",
        "--out",
        &e,
        "--at",
        &at,
        "--not-before",
        &nb,
    ]);
    CLI.stdout(&["state", "init", "--state", &dir.arg("state.db")]);
    (issuer, h, e, hmac, ed)
}

#[test]
fn code_labels_its_text_and_digits_and_only_prints_one_value() {
    let dir = TempDir::new("output-labels");
    let (issuer, h, e, ..) = world(&dir);
    let at = T.to_string();
    let out = CLI.stdout(&["code", "--wallet", &h, "--at", &at]);
    let text = labelled(&out, "text").unwrap();
    let digits = labelled(&out, "digits").unwrap();
    assert!(text.starts_with("PC3:"), "{out}");
    assert!(digits.len() == 24 && digits.bytes().all(|b| b.is_ascii_digit()), "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    // The demo labels them the same way.
    let demo = CLI.stdout(&["demo", "--at", &at, "--seed", &"42".repeat(32)]);
    assert!(labelled(&demo, "text").unwrap().starts_with("PC3:") && labelled(&demo, "digits").is_some());

    let ed = CLI.stdout(&["code", "--wallet", &e, "--at", &at]);
    assert!(labelled(&ed, "text").unwrap().starts_with("PC3:") && labelled(&ed, "digits").is_none(), "{ed}");

    // --only: the one value, for `code=$(paycode code --only text)`; it verifies.
    let only = CLI.stdout(&["code", "--wallet", &h, "--at", &at, "--only", "text"]);
    assert!(only.starts_with("PC3:") && only.ends_with('\n') && only.lines().count() == 1, "{only:?}");
    let state = dir.arg("state.db");
    CLI.stdout(&["verify", only.trim_end(), "--issuer", &issuer, "--state", &state, "--at", &at]);
    let d = CLI.stdout(&["code", "--wallet", &h, "--at", &at, "--only", "digits"]);
    assert_eq!(d.trim_end().len(), 24, "{d:?}");
    CLI.stdout(&["verify", d.trim_end(), "--issuer", &issuer, "--state", &state, "--at", &at]);
    // An ed25519 wallet has no digits: refused before a counter value is spent.
    let refused = CLI.run(&["code", "--wallet", &e, "--at", &at, "--only", "digits"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    // One code made so far, of the batch's first credential; the next is of the second.
    let spent = |w: &str| -> u64 {
        let v = json(&std::fs::read_to_string(w).unwrap());
        v["credentials"].as_array().unwrap().iter().map(|c| c["next_counter"].as_u64().unwrap()).sum()
    };
    assert_eq!(spent(&e), 1);
    let next = json(&CLI.stdout(&["code", "--wallet", &e, "--at", &at, "--json"]));
    assert_eq!((next["counter"].as_u64(), spent(&e)), (Some(0), 2));
    assert_eq!(CLI.run(&["code", "--wallet", &h, "--only", "text", "--json"]).status.code(), Some(2));
}

#[test]
fn json_leaves_out_absent_fields() {
    let dir = TempDir::new("output-json");
    let (issuer, h, e, ..) = world(&dir);
    let at = T.to_string();
    let state = dir.arg("state.db");
    let mut outputs = Vec::new();
    let ed = CLI.stdout(&["code", "--wallet", &e, "--at", &at, "--json"]);
    let v = json(&ed);
    for absent in ["digits", "qr_version", "qr_file", "barcode_file"] {
        assert!(v.get(absent).is_none(), "{absent} in {ed}");
    }
    assert_eq!(v["profile"], "ed25519");
    outputs.push(ed);
    let hm = CLI.stdout(&[
        "code",
        "--wallet",
        &h,
        "--at",
        &at,
        "--json",
        "--qr",
        "svg",
        "--out",
        &dir.arg("q.svg"),
    ]);
    let v = json(&hm);
    assert_eq!((v["qr_version"].as_u64(), v["qr_file"].as_str()), (Some(3), Some(dir.arg("q.svg").as_str())));
    assert_eq!(v["digits"].as_str().map(str::len), Some(24));
    assert!(v.get("barcode_file").is_none());
    outputs.push(hm.clone());
    outputs.push(CLI.stdout(&[
        "verify",
        v["text"].as_str().unwrap(),
        "--issuer",
        &issuer,
        "--state",
        &state,
        "--at",
        &at,
        "--json",
    ]));
    outputs.push(CLI.stdout(&["demo", "--at", &at, "--json"]));
    let demo = json(outputs.last().unwrap());
    assert!(demo["profiles"][1].get("digits").is_none() && demo["profiles"][0]["digits"].is_string());
    outputs.push(CLI.stdout(&[
        "wallet",
        "enroll",
        "--issuer",
        &issuer,
        "--profile",
        "hmac",
        "--out",
        &dir.arg("x.json"),
        "--json",
        "--at",
        &at,
    ]));
    outputs.push(CLI.stdout(&[
        "wallet",
        "enroll",
        "--issuer",
        &issuer,
        "--profile",
        "ed25519",
        "--out",
        &dir.arg("y.json"),
        "--json",
        "--at",
        &at,
    ]));
    for o in &outputs {
        json(o);
        assert!(!o.contains("null"), "{o}");
    }
}

#[test]
fn enrolment_prints_the_account_id_and_the_serial_revoke_needs() {
    let dir = TempDir::new("output-enroll");
    let (issuer, h, e, hmac, ed) = world(&dir);
    let at = T.to_string();
    let wallet = |p: &str| json(&std::fs::read_to_string(p).unwrap());
    let id = wallet(&h)["account_id"].as_u64().unwrap();
    assert!(hmac.contains(&format!("account id {id}")), "{hmac}");
    // The payer printed is the wallet's: revoking it rejects the wallet's codes.
    let payer: u64 = ed
        .split("payer ")
        .nth(1)
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(wallet(&e)["payer"].as_u64(), Some(payer));
    assert!(ed.contains(&format!("paycode issuer revoke --payer {payer}")), "{ed}");
    assert!(ed.contains("8 credential(s)"), "{ed}");
    let code = json(&CLI.stdout(&["code", "--wallet", &e, "--at", &at, "--json"]));
    CLI.stdout(&["issuer", "revoke", "--issuer", &issuer, "--payer", &payer.to_string(), "--at", &at]);
    let out = CLI.run(&[
        "verify",
        code["text"].as_str().unwrap(),
        "--issuer",
        &issuer,
        "--state",
        &dir.arg("state.db"),
        "--at",
        &at,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rejected: revoked"), "{out:?}");
    // --json says the same.
    let v = json(&CLI.stdout(&[
        "wallet",
        "enroll",
        "--issuer",
        &issuer,
        "--profile",
        "ed25519",
        "--out",
        &dir.arg("z.json"),
        "--json",
        "--at",
        &at,
    ]));
    assert_eq!(v["payer"].as_u64(), Some(payer + 1));
    let serials: std::collections::BTreeSet<u64> =
        v["serials"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()).collect();
    assert_eq!(serials.len(), 8, "{v}");
    assert_eq!(v["serial"], v["serials"][0], "the first credential's, which the first code uses");
    assert!(v["not_after"].is_u64() && v.get("account_id").is_none());
}

#[test]
fn every_image_output_names_the_files_it_wrote() {
    let dir = TempDir::new("output-images");
    let (_, h, e, ..) = world(&dir);
    let at = T.to_string();
    let (q, b) = (dir.arg("q.png"), dir.arg("b.svg"));
    let out = CLI.stdout(&[
        "code",
        "--wallet",
        &h,
        "--at",
        &at,
        "--qr",
        "png",
        "--out",
        &q,
        "--barcode",
        "svg",
        "--barcode-out",
        &b,
    ]);
    assert!(out.contains(&format!("wrote {q} (QR code, PNG)")), "{out}");
    assert!(out.contains(&format!("wrote {b} (barcode, SVG)")), "{out}");
    assert!(Path::new(&q).exists() && Path::new(&b).exists());
    let bar = dir.arg("bar.png");
    let out = CLI.stdout(&["code", "--wallet", &h, "--at", &at, "--barcode", "png", "--out", &bar]);
    assert!(out.contains(&format!("wrote {bar} (barcode, PNG)")), "{out}");
    let s = dir.arg("e.svg");
    let only = CLI.run(&["code", "--wallet", &e, "--at", &at, "--qr", "svg", "--out", &s, "--only", "text"]);
    assert!(String::from_utf8_lossy(&only.stderr).contains(&format!("wrote {s} (QR code, SVG)")), "{only:?}");
    assert_eq!(String::from_utf8_lossy(&only.stdout).lines().count(), 1);
    let term = CLI.stdout(&["code", "--wallet", &e, "--at", &at, "--qr", "term"]);
    assert!(!term.contains("wrote"), "{term}");
}

#[test]
fn help_lists_the_exit_codes() {
    let help = CLI.stdout(&["--help"]);
    let status = &help[help.find("Exit status:").expect("no exit status in --help")..];
    for line in [
        "  0  success",
        "  1  verify/scan: the code was rejected",
        "reconcile: an identity is flagged on verified records (two codes for one counter, counters",
        "  2  usage error",
    ] {
        assert!(status.contains(line), "{line:?} not in\n{status}");
    }
    let reconcile = CLI.stdout(&["reconcile", "--help"]);
    assert!(reconcile.contains("1 an identity is flagged: two codes for one counter"), "{reconcile}");
    assert!(status.contains("4 meets no conformance class"), "{status}");
    assert!(status.contains("or a standard output that cannot be\n     written"), "{status}");
    let conformance = CLI.stdout(&["conformance", "--help"]);
    assert!(conformance.contains("3 usage error"), "{conformance}");
    assert!(conformance.contains("4 run: nothing failed"), "{conformance}");
    let lost = CLI.stdout(&["verify", "--help"]);
    assert!(lost.contains("--state-lost") && lost.contains("never below the time floor"), "{lost}");
}
