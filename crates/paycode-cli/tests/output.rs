//! What the command prints, as a new user reads it: labelled text and
//! digits, `--only` for shell variables, JSON without `null`s, the serial
//! and account id an enrolment hands out, the files an image output wrote,
//! and the exit codes in `--help`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const T: u64 = 1_800_000_000;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn p(&self, f: &str) -> String {
        self.0.join(f).to_str().unwrap().to_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn paycode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paycode")).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = paycode(args);
    assert!(out.status.success(), "{args:?}: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap()
}

/// The value of the line `label: value` in `out`.
fn labelled<'a>(out: &'a str, label: &str) -> Option<&'a str> {
    out.lines().find_map(|l| l.strip_prefix(label)?.strip_prefix(": "))
}

/// An issuer with an hmac and an ed25519 wallet, made at T; the enrolments' outputs.
fn world(dir: &Dir) -> (String, String, String, String, String) {
    let (issuer, h, e) = (dir.p("issuer.json"), dir.p("h.json"), dir.p("e.json"));
    let at = T.to_string();
    ok(&["issuer", "init", "--out", &issuer, "--at", &at]);
    let hmac = ok(&["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &h, "--at", &at]);
    let nb = (T - 3_600).to_string();
    let ed = ok(&[
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
    ok(&["state", "init", "--state", &dir.p("state.json")]);
    (issuer, h, e, hmac, ed)
}

#[test]
fn code_labels_its_text_and_digits_and_only_prints_one_value() {
    let dir = Dir::new("labels");
    let (issuer, h, e, ..) = world(&dir);
    let at = T.to_string();
    let out = ok(&["code", "--wallet", &h, "--at", &at]);
    let text = labelled(&out, "text").unwrap();
    let digits = labelled(&out, "digits").unwrap();
    assert!(text.starts_with("PC1:"), "{out}");
    assert!(digits.len() == 24 && digits.bytes().all(|b| b.is_ascii_digit()), "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    // The demo labels them the same way.
    let demo = ok(&["demo", "--at", &at, "--seed", &"42".repeat(32)]);
    assert!(labelled(&demo, "text").unwrap().starts_with("PC1:") && labelled(&demo, "digits").is_some());

    let ed = ok(&["code", "--wallet", &e, "--at", &at]);
    assert!(labelled(&ed, "text").unwrap().starts_with("PC1:") && labelled(&ed, "digits").is_none(), "{ed}");

    // --only: the one value, for `code=$(paycode code --only text)`; it verifies.
    let only = ok(&["code", "--wallet", &h, "--at", &at, "--only", "text"]);
    assert!(only.starts_with("PC1:") && only.ends_with('\n') && only.lines().count() == 1, "{only:?}");
    let state = dir.p("state.json");
    ok(&["verify", only.trim_end(), "--issuer", &issuer, "--state", &state, "--at", &at]);
    let d = ok(&["code", "--wallet", &h, "--at", &at, "--only", "digits"]);
    assert_eq!(d.trim_end().len(), 24, "{d:?}");
    ok(&["verify", d.trim_end(), "--issuer", &issuer, "--state", &state, "--at", &at]);
    // An ed25519 wallet has no digits: refused before a counter value is spent.
    let refused = paycode(&["code", "--wallet", &e, "--at", &at, "--only", "digits"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stdout.is_empty());
    let next = json(&ok(&["code", "--wallet", &e, "--at", &at, "--json"]));
    assert_eq!(next["counter"], 1);
    assert_eq!(paycode(&["code", "--wallet", &h, "--only", "text", "--json"]).status.code(), Some(2));
}

#[test]
fn json_leaves_out_absent_fields() {
    let dir = Dir::new("json");
    let (issuer, h, e, ..) = world(&dir);
    let at = T.to_string();
    let state = dir.p("state.json");
    let mut outputs = Vec::new();
    let ed = ok(&["code", "--wallet", &e, "--at", &at, "--json"]);
    let v = json(&ed);
    for absent in ["digits", "qr_version", "qr_file", "barcode_file"] {
        assert!(v.get(absent).is_none(), "{absent} in {ed}");
    }
    assert_eq!(v["profile"], "ed25519");
    outputs.push(ed);
    let hm = ok(&["code", "--wallet", &h, "--at", &at, "--json", "--qr", "svg", "--out", &dir.p("q.svg")]);
    let v = json(&hm);
    assert_eq!((v["qr_version"].as_u64(), v["qr_file"].as_str()), (Some(3), Some(dir.p("q.svg").as_str())));
    assert_eq!(v["digits"].as_str().map(str::len), Some(24));
    assert!(v.get("barcode_file").is_none());
    outputs.push(hm.clone());
    outputs.push(ok(&[
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
    outputs.push(ok(&["demo", "--at", &at, "--json"]));
    let demo = json(outputs.last().unwrap());
    assert!(demo["profiles"][1].get("digits").is_none() && demo["profiles"][0]["digits"].is_string());
    outputs.push(ok(&[
        "wallet",
        "enroll",
        "--issuer",
        &issuer,
        "--profile",
        "hmac",
        "--out",
        &dir.p("x.json"),
        "--json",
        "--at",
        &at,
    ]));
    outputs.push(ok(&[
        "wallet",
        "enroll",
        "--issuer",
        &issuer,
        "--profile",
        "ed25519",
        "--out",
        &dir.p("y.json"),
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
    let dir = Dir::new("enroll");
    let (issuer, h, e, hmac, ed) = world(&dir);
    let at = T.to_string();
    let wallet = |p: &str| json(&std::fs::read_to_string(p).unwrap());
    let id = wallet(&h)["account_id"].as_u64().unwrap();
    assert!(hmac.contains(&format!("account id {id}")), "{hmac}");
    // The serial printed is the credential's: revoking it rejects the wallet's codes.
    let serial: u64 = ed
        .split("serial ")
        .nth(1)
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ed.contains(&format!("paycode issuer revoke --serial {serial}")), "{ed}");
    let code = json(&ok(&["code", "--wallet", &e, "--at", &at, "--json"]));
    ok(&["issuer", "revoke", "--issuer", &issuer, "--serial", &serial.to_string(), "--at", &at]);
    let out = paycode(&[
        "verify",
        code["text"].as_str().unwrap(),
        "--issuer",
        &issuer,
        "--state",
        &dir.p("state.json"),
        "--at",
        &at,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rejected: revoked"), "{out:?}");
    // --json says the same.
    let v = json(&ok(&[
        "wallet",
        "enroll",
        "--issuer",
        &issuer,
        "--profile",
        "ed25519",
        "--out",
        &dir.p("z.json"),
        "--json",
        "--at",
        &at,
    ]));
    assert_eq!(v["serial"].as_u64(), Some(serial + 1));
    assert!(v["not_after"].is_u64() && v.get("account_id").is_none());
}

#[test]
fn every_image_output_names_the_files_it_wrote() {
    let dir = Dir::new("images");
    let (_, h, e, ..) = world(&dir);
    let at = T.to_string();
    let (q, b) = (dir.p("q.png"), dir.p("b.svg"));
    let out = ok(&[
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
    let bar = dir.p("bar.png");
    let out = ok(&["code", "--wallet", &h, "--at", &at, "--barcode", "png", "--out", &bar]);
    assert!(out.contains(&format!("wrote {bar} (barcode, PNG)")), "{out}");
    let s = dir.p("e.svg");
    let only = paycode(&["code", "--wallet", &e, "--at", &at, "--qr", "svg", "--out", &s, "--only", "text"]);
    assert!(String::from_utf8_lossy(&only.stderr).contains(&format!("wrote {s} (QR code, SVG)")), "{only:?}");
    assert_eq!(String::from_utf8_lossy(&only.stdout).lines().count(), 1);
    let term = ok(&["code", "--wallet", &e, "--at", &at, "--qr", "term"]);
    assert!(!term.contains("wrote"), "{term}");
}

#[test]
fn help_lists_the_exit_codes() {
    let help = ok(&["--help"]);
    let status = &help[help.find("Exit status:").expect("no exit status in --help")..];
    for line in [
        "  0  success",
        "  1  verify/scan: the code was rejected",
        "reconcile: a code was accepted more than once",
        "  2  usage error",
    ] {
        assert!(status.contains(line), "{line:?} not in\n{status}");
    }
    let reconcile = ok(&["reconcile", "--help"]);
    assert!(reconcile.contains("1 a code was accepted more than once"), "{reconcile}");
    let conformance = ok(&["conformance", "--help"]);
    assert!(conformance.contains("3 usage error"), "{conformance}");
    let lost = ok(&["verify", "--help"]);
    assert!(lost.contains("--state-lost") && lost.contains("high-water step is kept"), "{lost}");
}
