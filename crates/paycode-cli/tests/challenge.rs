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
    assert!(term.starts_with('█') && term.contains("\ntext: PT3:"), "{term}");

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

/// An issuer and one wallet of each profile, enrolled at `T`.
fn world(dir: &TempDir) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let issuer = dir.join("issuer.json");
    let at = T.to_string();
    CLI.stdout(&["issuer", "init", "--out", s(&issuer), "--at", &at]);
    let mut wallets = Vec::new();
    for profile in ["hmac", "ed25519"] {
        let wallet = dir.join(format!("{profile}.json"));
        let args = ["wallet", "enroll", "--issuer", s(&issuer), "--profile", profile, "--out", s(&wallet)];
        CLI.stdout(&[&args[..], &["--at", &at]].concat());
        wallets.push(wallet);
    }
    let ed = wallets.pop().unwrap();
    (issuer, wallets.pop().unwrap(), ed)
}

/// A challenge of `terminal` for `amount`, made at `at`.
fn challenge(terminal: u32, amount: u64, at: u64) -> String {
    let (t, a, at) = (terminal.to_string(), amount.to_string(), at.to_string());
    let out = CLI.stdout(&[
        "terminal",
        "challenge",
        "--terminal-id",
        &t,
        "--amount",
        &a,
        "--at",
        &at,
        "--only",
        "text",
    ]);
    out.trim_end().to_owned()
}

/// `code` with `extra` at `T`: (exit status, standard output, standard error).
fn code(wallet: &Path, extra: &[&str]) -> (i32, String, String) {
    let at = T.to_string();
    let out = CLI.run(&[&["code", "--wallet", s(wallet), "--at", &at][..], extra].concat());
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The payload of a code's QR text.
fn payload(text: &str) -> Vec<u8> {
    match paycode::Code::parse(text).unwrap() {
        paycode::Code::Hmac(c) => c.encode(),
        paycode::Code::Ed25519(c) => c.encode().to_vec(),
        paycode::Code::Numeric(_) => panic!("digits"),
    }
}

/// `code --cap` and `code --challenge` (spec §7.2, R-GEN-5, R-MODE-1): the
/// cap, or the challenge's amount and terminal, printed before the code; the
/// mode and the cap in the payload; no numeric form (spec: R-HMAC-4,
/// `numeric-unavailable`); a challenge that does not decode makes no code;
/// nothing refused spends a counter value.
#[test]
fn code_makes_capped_and_challenge_codes_after_showing_their_terms() {
    let dir = TempDir::new("challenge-code");
    let (_, hmac, ed) = world(&dir);
    let ch = challenge(7, 250, T);
    for (wallet, profile) in [(&hmac, 1u8), (&ed, 2)] {
        // Capped: the cap line, then the text; 4 bytes more than a one-way code.
        let (status, out, _) = code(wallet, &["--cap", "300"]);
        assert_eq!(status, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "cap: 300 (no payment above it)", "{out}");
        let p = payload(lines[1].strip_prefix("text: ").unwrap());
        assert_eq!((p[1], p.len()), (0x10 + profile, if profile == 1 { 42 } else { 208 }));
        let at = if profile == 1 { 22 } else { 14 };
        assert_eq!(p[at..at + 4], 300u32.to_be_bytes());
        assert!(!out.contains("digits:"), "{out}");
        let v: Value = serde_json::from_str(&code(wallet, &["--cap", "4294967295", "--json"]).1).unwrap();
        assert_eq!(
            (v["mode"].as_str(), v["cap"].as_u64(), v.get("digits")),
            (Some("capped"), Some(u64::from(u32::MAX)), None)
        );
        // Challenge: its amount and terminal, then the text; the length of a one-way code.
        let (status, out, _) = code(wallet, &["--challenge", &ch]);
        assert_eq!(status, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], format!("challenge: pay 250 to terminal 7 (issued at {T})"), "{out}");
        let p = payload(lines[1].strip_prefix("text: ").unwrap());
        assert_eq!((p[1], p.len()), (0x20 + profile, if profile == 1 { 38 } else { 204 }));
        let v: Value = serde_json::from_str(&code(wallet, &["--challenge", &ch, "--json"]).1).unwrap();
        assert_eq!(v["mode"], "challenge");
        assert_eq!(v["challenge"], serde_json::json!({"terminal_id": 7, "amount": 250, "issued_at": T}));
        assert!(v.get("cap").is_none() && v.get("digits").is_none(), "{v}");
        // --only text: the code alone on standard output, its terms on standard error.
        let (status, out, err) = code(wallet, &["--challenge", &ch, "--only", "text"]);
        assert_eq!(status, 0);
        assert!(out.starts_with("PC3:") && out.lines().count() == 1, "{out}");
        assert_eq!(err, format!("challenge: pay 250 to terminal 7 (issued at {T})\n"));
        let (_, _, err) = code(wallet, &["--cap", "5", "--only", "text"]);
        assert_eq!(err, "cap: 5 (no payment above it)\n");
    }
    // The wallet's counters: an ed25519 wallet keeps one per credential of its batch.
    let counter = |wallet: &Path| -> u64 {
        let v = serde_json::from_slice::<Value>(&std::fs::read(wallet).unwrap()).unwrap();
        match v["credentials"].as_array() {
            Some(batch) => batch.iter().map(|c| c["next_counter"].as_u64().unwrap()).sum(),
            None => v["next_counter"].as_u64().unwrap(),
        }
    };
    let before = (counter(&hmac), counter(&ed));
    assert_eq!(before, (6, 6));
    // No numeric form for a capped or challenge code: refused before the counter moves.
    let bar = dir.join("bar.svg");
    for extra in [
        &["--cap", "300", "--only", "digits"][..],
        &["--challenge", &ch, "--only", "digits"],
        &["--cap", "300", "--barcode", "svg", "--out", s(&bar)],
        &["--challenge", &ch, "--barcode", "svg", "--out", s(&bar)],
    ] {
        let (status, out, err) = code(&hmac, extra);
        assert_eq!(status, 2, "{extra:?}");
        assert!(out.is_empty() && err.starts_with("paycode: numeric-unavailable: "), "{extra:?}: {err}");
    }
    assert!(!bar.exists());
    // A challenge that does not decode makes no code (spec: R-GEN-5).
    let mut other_prefix = ch.clone();
    other_prefix.replace_range(..4, "PC3:");
    for bad in ["", "PT3:", "garbage", &ch[..59], &format!("{ch}0"), &ch.to_lowercase(), &other_prefix] {
        for wallet in [&hmac, &ed] {
            let (status, out, err) = code(wallet, &["--challenge", bad]);
            assert_eq!(status, 2, "{bad:?}");
            assert!(
                out.is_empty() && err.starts_with("paycode: the challenge: malformed: "),
                "{bad:?}: {err}"
            );
        }
    }
    // Options that do not go together, and caps that are not u32.
    for extra in [
        &["--cap", "1", "--challenge", &ch][..],
        &["--cap", "4294967296"],
        &["--cap", "-1"],
        &["--cap", "1.5"],
        &["--cap", ""],
    ] {
        assert_eq!(code(&hmac, extra).0, 2, "{extra:?}");
    }
    assert_eq!((counter(&hmac), counter(&ed)), before, "a refused code spends no counter value");
}
/// Verifies `text` at `at` against `state` (created on first use) with
/// `extra`: (exit status, verdict: "accepted" or the error code).
fn verify(issuer: &Path, state: &Path, text: &str, at: u64, extra: &[&str]) -> (i32, String) {
    let at = at.to_string();
    let mut args = vec!["verify", text, "--issuer", s(issuer), "--state", s(state), "--at", &at, "--json"];
    if !state.exists() {
        args.push("--init");
    }
    args.extend_from_slice(extra);
    let out = CLI.run(&args);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stderr)));
    let verdict = if v["verdict"] == "accepted" { "accepted" } else { v["code"].as_str().unwrap() };
    (out.status.code().unwrap(), verdict.to_owned())
}

/// Challenge mode end to end, for both profiles (spec §4.9, R-CHAL-3,
/// R-CHAL-4): a terminal's challenge, the wallet's code for it and the
/// verifier that takes both accept the payment once; the challenge may come
/// as text or as its QR image, and the code from `verify` or `scan`. A
/// challenge code without its challenge is `no-challenge`; a code of another
/// mode with a challenge is `challenge-required`.
#[test]
fn a_challenge_code_pays_its_challenge_once() {
    let dir = TempDir::new("challenge-flow");
    let (issuer, hmac, ed) = world(&dir);
    let accepted = || (0, "accepted".to_owned());
    let rejected = |code: &str| (1, code.to_owned());
    for (wallet, profile) in [(&hmac, "hmac"), (&ed, "ed25519")] {
        let state = dir.join(format!("{profile}.db"));
        let pay = ["--terminal-id", "7", "--amount", "250"];
        let ch = challenge(7, 250, T);
        let with = |extra: &[&str]| -> Vec<String> {
            pay.iter()
                .chain(["--challenge", ch.as_str()].iter())
                .chain(extra)
                .map(|a| (*a).to_owned())
                .collect()
        };
        let with_ch: Vec<String> = with(&[]);
        let with_ch: Vec<&str> = with_ch.iter().map(String::as_str).collect();
        let text = code(wallet, &["--challenge", &ch, "--only", "text"]).1.trim_end().to_owned();
        assert_eq!(verify(&issuer, &state, &text, T + 5, &pay), rejected("no-challenge"), "{profile}");
        assert_eq!(verify(&issuer, &state, &text, T + 5, &with_ch), accepted(), "{profile}");
        assert_eq!(verify(&issuer, &state, &text, T + 6, &with_ch), rejected("replayed"), "{profile}");
        // Codes of the other modes, with a challenge.
        let one_way = code(wallet, &["--only", "text"]).1.trim_end().to_owned();
        assert_eq!(verify(&issuer, &state, &one_way, T + 7, &with_ch), rejected("challenge-required"));
        let capped = code(wallet, &["--cap", "250", "--only", "text"]).1.trim_end().to_owned();
        assert_eq!(verify(&issuer, &state, &capped, T + 7, &with_ch), rejected("challenge-required"));
        if profile == "hmac" {
            let digits = code(wallet, &["--only", "digits"]).1.trim_end().to_owned();
            assert_eq!(verify(&issuer, &state, &digits, T + 7, &with_ch), rejected("challenge-required"));
        }
        // Refused without a trace: each of those codes still pays once, as made.
        assert_eq!(verify(&issuer, &state, &one_way, T + 8, &pay), accepted());
        assert_eq!(verify(&issuer, &state, &capped, T + 8, &pay), accepted());
    }
}

/// The challenge as a QR image (spec: R-CHAL-1): `code --challenge-image`
/// reads the terminal's symbol, and `verify`/`scan --challenge-image` take it
/// with the code.
#[cfg(feature = "scan")]
#[test]
fn the_challenge_may_come_as_its_qr_image() {
    let dir = TempDir::new("challenge-image");
    let (issuer, hmac, ed) = world(&dir);
    let at = T.to_string();
    for (wallet, profile) in [(&hmac, "hmac"), (&ed, "ed25519")] {
        let png = dir.join(format!("challenge-{profile}.png"));
        let shown: Value = serde_json::from_str(&CLI.stdout(&[
            "terminal",
            "challenge",
            "--terminal-id",
            "7",
            "--amount",
            "250",
            "--at",
            &at,
            "--qr",
            "png",
            "--out",
            s(&png),
            "--json",
        ]))
        .unwrap();
        let made: Value =
            serde_json::from_str(&code(wallet, &["--challenge-image", s(&png), "--json"]).1).unwrap();
        assert_eq!(made["challenge"], serde_json::json!({"terminal_id": 7, "amount": 250, "issued_at": T}));
        // The same code as made from the text: the counter aside, one payload.
        let text = made["text"].as_str().unwrap();
        let state = dir.join(format!("{profile}.db"));
        let pay = ["--terminal-id", "7", "--amount", "250"];
        let image = [&pay[..], &["--challenge-image", s(&png)]].concat();
        assert_eq!(verify(&issuer, &state, text, T + 1, &image), (0, "accepted".to_owned()), "{profile}");
        // scan: the code's image and the challenge's text.
        let code_png = dir.join(format!("code-{profile}.png"));
        code(wallet, &["--challenge", shown["text"].as_str().unwrap(), "--qr", "png", "--out", s(&code_png)]);
        let out = CLI.run(
            &[
                &["scan", s(&code_png), "--issuer", s(&issuer), "--state", s(&state), "--at", &at][..],
                &pay,
                &["--challenge", shown["text"].as_str().unwrap(), "--json"],
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["code"], "challenge-used", "a second code for one challenge: {v}");
    }
    // An image that holds no challenge: a usage error for the wallet and the verifier.
    let (status, out, err) = code(&hmac, &["--challenge-image", s(&issuer)]);
    assert!(status == 2 && out.is_empty() && err.contains("not a PNG or JPEG image"), "{err}");
    let out = CLI.run(&[
        "verify",
        "x",
        "--issuer",
        s(&issuer),
        "--state",
        s(&dir.join("hmac.db")),
        "--challenge-image",
        s(&dir.join("absent.png")),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the image"));
}
