//! The command's files under misuse and concurrency: outputs that are links,
//! key files or state databases, files of the wrong kind or version, errors
//! that name their file, temporary files a killed process left, concurrent
//! processes on one wallet, issuer or state database, and the explicit
//! creation and loss of a verifier's state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use paycode_test_support::scratch::{SmallFs, is_root, root_case};
use paycode_test_support::{Cli, TempDir};
use serde_json::Value;

const T: u64 = 1_800_000_000;

const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

/// Runs `args` with empty standard input; a command still running after a
/// minute (a read that waits forever) is killed and fails the test.
fn run_bounded(args: &[&str]) -> Output {
    let mut child = CLI
        .command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("{args:?} still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs `args`, expects exit 2 and a message on standard error containing every one of `needles`.
fn fails(args: &[&str], needles: &[&str]) -> String {
    let out = run_bounded(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {err:?} lacks {n:?}");
    }
    assert!(!err.contains("os error") && !err.contains("panicked"), "{err}");
    err
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap()
}

/// The QR text of `wallet`'s next code at unix time `at` (the command saves the advanced counter).
fn code_text(wallet: &str, at: &str) -> String {
    json(&CLI.stdout(&["code", "--wallet", wallet, "--at", at, "--json"]))["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An issuer, an hmac wallet and an ed25519 wallet made at T, and an empty state.
fn world(dir: &TempDir) -> (String, String, String, String) {
    let (issuer, h, e, state) =
        (dir.arg("issuer.json"), dir.arg("h.json"), dir.arg("e.json"), dir.arg("state.db"));
    let at = T.to_string();
    CLI.stdout(&["issuer", "init", "--out", &issuer, "--at", &at]);
    CLI.stdout(&["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &h, "--at", &at]);
    let nb = (T - 3_600).to_string();
    CLI.stdout(&[
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
    CLI.stdout(&["state", "init", "--state", &state]);
    (issuer, h, e, state)
}

/// The wallet's counters added up: an ed25519 wallet keeps one per credential of its batch.
/// Fails unless `path` holds a PNG image (its signature).
fn assert_png(path: impl AsRef<Path>) {
    let bytes = std::fs::read(path.as_ref()).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}: not a PNG image", path.as_ref().display());
}

/// Fails if a temporary file of a write is left in `dir`.
fn assert_no_temporaries(dir: &TempDir) {
    assert!(dir.names().iter().all(|n| !n.contains(".tmp")), "{:?}", dir.names());
}

fn next_counter(wallet: &str) -> u64 {
    let v = json(&std::fs::read_to_string(wallet).unwrap());
    match v["credentials"].as_array() {
        Some(batch) => batch.iter().map(|c| c["next_counter"].as_u64().unwrap()).sum(),
        None => v["next_counter"].as_u64().unwrap(),
    }
}

fn verify(issuer: &str, state: &str, code: &str, at: u64, extra: &[&str]) -> (i32, Value) {
    let at = at.to_string();
    let mut args = vec!["verify", "--issuer", issuer, "--state", state, "--at", &at, "--json"];
    args.extend_from_slice(extra);
    args.extend(["--", code]);
    let out = CLI.run(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{err}")))
}

// ---------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn code_out_never_writes_through_a_link_nor_over_a_key_file() {
    let dir = TempDir::new("files-out");
    let (issuer, h, _, state) = world(&dir);
    let at = T.to_string();
    let victim = dir.arg("victim.txt");
    std::fs::write(&victim, b"keep me").unwrap();
    let link = dir.arg("link.png");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let hard = dir.arg("hard.png");
    std::fs::hard_link(&h, &hard).unwrap();
    let (wallet_before, issuer_before) = (std::fs::read(&h).unwrap(), std::fs::read(&issuer).unwrap());

    let code = |extra: &[&str]| -> Vec<String> {
        ["code", "--wallet", h.as_str(), "--at", at.as_str()]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect()
    };
    let fails = |args: Vec<String>, needles: &[&str]| {
        fails(&args.iter().map(String::as_str).collect::<Vec<_>>(), needles);
    };
    fails(code(&["--qr", "png", "--out", &link]), &["QR image", "link.png", "symbolic link"]);
    fails(code(&["--barcode", "png", "--out", &link]), &["barcode image", "symbolic link"]);
    fails(code(&["--qr", "svg", "--out", &h]), &["h.json", "is the wallet file"]);
    fails(code(&["--qr", "png", "--out", &hard]), &["hard.png", "is the wallet file"]);
    fails(code(&["--qr", "png", "--out", &issuer]), &["is the issuer file"]);
    fails(code(&["--qr", "png", "--out", &state]), &["is the state database"]);
    fails(
        code(&["--qr", "png", "--out", &dir.arg("q.png"), "--barcode", "png", "--barcode-out", &h]),
        &["wallet file"],
    );
    let q = dir.arg("q.png");
    fails(code(&["--qr", "png", "--out", &q, "--barcode", "png", "--barcode-out", &q]), &["same file"]);
    fails(code(&["--qr", "png", "--out", dir.path().to_str().unwrap()]), &["not a regular file"]);
    // A folder that is not there, or is no folder: found before the counter moves.
    let nowhere = dir.arg("no-such-folder/q.png");
    fails(code(&["--qr", "png", "--out", &nowhere]), &["cannot write the QR image", "no-such-folder"]);
    let under_file = format!("{victim}/q.svg");
    fails(
        code(&["--barcode", "svg", "--out", &under_file]),
        &["cannot write the barcode image", "victim.txt"],
    );

    // Nothing was written, and no counter value was spent.
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&h).unwrap(), wallet_before);
    assert_eq!(std::fs::read(&issuer).unwrap(), issuer_before);
    assert!(!Path::new(&q).exists());
    let (exit, v) = verify(&issuer, &state, "garbage", T, &[]);
    assert_eq!((exit, v["code"].as_str()), (1, Some("malformed")), "the state database was damaged");

    // A regular image file is replaced, atomically, and nothing is left beside it.
    std::fs::write(&q, b"old image").unwrap();
    let v = json(&CLI.stdout(&code(&["--qr", "png", "--out", &q, "--json"])));
    assert_eq!(v["counter"], 0);
    assert_png(&q);
    assert_eq!(next_counter(&h), 1);
    assert_no_temporaries(&dir);
}

/// --out and --barcode-out that name one file not yet there, spelt two
/// ways (`./q.png`, `sub/../q.png`, through a linked folder), are refused as
/// one file before anything is written: no counter value is spent, and no
/// image nor temporary file is left.
#[cfg(unix)]
#[test]
fn code_refuses_one_new_output_file_spelt_two_ways() {
    let dir = TempDir::new("files-same-out");
    let (_, h, _, _) = world(&dir);
    let at = T.to_string();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.join("here")).unwrap();
    let (wallet_before, names_before) = (std::fs::read(&h).unwrap(), dir.names());
    let (q, via_sub) = (dir.arg("q.png"), dir.arg("sub/../q.png"));
    let spellings = [
        ("q.png", "./q.png"),
        ("./q.png", "q.png"),
        ("q.png", "sub/../q.png"),
        ("sub/../q.png", "q.png"),
        ("q.png", "here/q.png"),
        ("here/q.png", "sub/../here/./q.png"),
        ("q.png/", "q.png"),
        (q.as_str(), via_sub.as_str()),
        (q.as_str(), "here/q.png"),
    ];
    for (qr, barcode) in spellings {
        let args = [
            "code",
            "--wallet",
            &h,
            "--at",
            &at,
            "--qr",
            "png",
            "--out",
            qr,
            "--barcode",
            "png",
            "--barcode-out",
            barcode,
        ];
        let out = CLI.command().current_dir(dir.path()).args(args).stdin(Stdio::null()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{qr} and {barcode}: {err}");
        assert!(err.contains("--out and --barcode-out name the same file"), "{qr} and {barcode}: {err}");
        assert!(!err.contains("os error") && !err.contains("panicked"), "{err}");
        assert_eq!(
            std::fs::read(&h).unwrap(),
            wallet_before,
            "{qr} and {barcode}: a counter value was spent"
        );
        assert_eq!(dir.names(), names_before, "{qr} and {barcode}: a file was left");
        assert!(std::fs::read_dir(dir.join("sub")).unwrap().next().is_none());
    }
    // Two names in one folder are two files.
    let args = [
        "code",
        "--wallet",
        &h,
        "--at",
        &at,
        "--qr",
        "png",
        "--out",
        "q.png",
        "--barcode",
        "png",
        "--barcode-out",
        "here/b.png",
    ];
    let out = CLI.command().current_dir(dir.path()).args(args).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_png(&q);
    assert_png(dir.join("b.png"));
    assert_ne!(std::fs::read(&q).unwrap(), std::fs::read(dir.join("b.png")).unwrap());
    assert_eq!(next_counter(&h), 1);
    assert_no_temporaries(&dir);
}

/// An image that cannot be made where --out names it (a read-only folder, a
/// name too long for the file system, a folder that takes no new file) is
/// found before the wallet's counter is saved: no counter value is spent and
/// no image is left, not even the other one of the run.
#[cfg(unix)]
#[test]
fn a_code_whose_image_cannot_be_written_spends_no_counter_value() {
    let dir = TempDir::new("files-unwritable");
    let (issuer, h, e, state) = world(&dir);
    let at = T.to_string();
    // A read-only folder: a read-only file system stops root too; without
    // root, the folder's mode does.
    let small = is_root().then(|| SmallFs::mount(64));
    let read_only = match &small {
        Some(fs) => {
            fs.set_read_only(true);
            fs.path().to_path_buf()
        }
        None => {
            use std::os::unix::fs::PermissionsExt;
            let folder = dir.path().join("read-only");
            std::fs::create_dir(&folder).unwrap();
            std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
            folder
        }
    };
    let mut unwritable = vec![read_only.join("q.png").to_str().unwrap().to_owned(), dir.arg("q".repeat(300))];
    if Path::new("/proc/self").exists() {
        unwritable.push("/proc/paycode-q.png".to_owned());
    }
    let good = dir.arg("good.png");
    let (h_before, e_before) = (std::fs::read_to_string(&h).unwrap(), std::fs::read_to_string(&e).unwrap());

    for bad in &unwritable {
        let bad = bad.as_str();
        let mut cases: Vec<(&str, Vec<&str>, &str)> = vec![
            (&h, vec!["--qr", "png", "--out", bad], "cannot write the QR image"),
            (&h, vec!["--qr", "svg", "--out", bad, "--json"], "cannot write the QR image"),
            (
                &h,
                vec!["--barcode", "png", "--out", bad, "--only", "digits"],
                "cannot write the barcode image",
            ),
            (
                &h,
                vec!["--qr", "png", "--out", &good, "--barcode", "svg", "--barcode-out", bad],
                "barcode image",
            ),
            (&h, vec!["--qr", "png", "--out", bad, "--barcode", "png", "--barcode-out", &good], "QR image"),
            (&e, vec!["--qr", "png", "--out", bad, "--cap", "500"], "cannot write the QR image"),
        ];
        for (wallet, extra, what) in cases.drain(..) {
            let mut args = vec!["code", "--wallet", wallet, "--at", &at];
            args.extend(extra);
            fails(&args, &[what]);
            let before = if wallet == h.as_str() { &h_before } else { &e_before };
            assert_eq!(
                &std::fs::read_to_string(wallet).unwrap(),
                before,
                "{args:?}: a counter value was spent"
            );
            assert!(!Path::new(&good).exists(), "{args:?}: the other image was written");
        }
    }
    // Nothing is left beside the images' paths.
    assert_no_temporaries(&dir);
    drop(small);

    // The wallets' next codes are their first, and are accepted.
    let v =
        json(&CLI.stdout(&["code", "--wallet", &h, "--at", &at, "--qr", "png", "--out", &good, "--json"]));
    assert_eq!(v["counter"], 0);
    assert_png(&good);
    assert_eq!(verify(&issuer, &state, v["text"].as_str().unwrap(), T, &[]).0, 0);
    assert_eq!(next_counter(&e), 0);
    assert_eq!(verify(&issuer, &state, &code_text(&e, &at), T, &[]).0, 0);
}

/// A trust list whose --out cannot be written, or may not be (a link, the
/// issuer file, a folder that takes no new file), is not published: the
/// issuer file is unchanged, and the next list takes the number it would
/// have had.
#[cfg(unix)]
#[test]
fn a_trust_list_whose_out_cannot_be_written_is_not_published() {
    let dir = TempDir::new("files-trust-out");
    let (issuer, _, _, _) = world(&dir);
    let at = T.to_string();
    let victim = dir.arg("victim.txt");
    std::fs::write(&victim, b"keep me").unwrap();
    let link = dir.arg("link.hex");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let mut refused = vec![
        (dir.arg("no-such-folder/t.hex"), "cannot write the trust list"),
        (dir.arg("t".repeat(300)), "cannot write the trust list"),
        (link.clone(), "symbolic link"),
        (issuer.clone(), "is the issuer file"),
    ];
    if Path::new("/proc/self").exists() {
        refused.push(("/proc/paycode-t.hex".to_owned(), "cannot write the trust list"));
    }
    let before = std::fs::read_to_string(&issuer).unwrap();
    for (out, what) in &refused {
        let args = ["issuer", "trust-list", "--issuer", &issuer, "--at", &at, "--out", out];
        fails(&args, &[what]);
        assert_eq!(std::fs::read_to_string(&issuer).unwrap(), before, "{args:?}: a trust list was published");
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
    assert_no_temporaries(&dir);

    let out = dir.arg("t.hex");
    let printed = CLI.stdout(&["issuer", "trust-list", "--issuer", &issuer, "--at", &at, "--out", &out]);
    assert!(printed.starts_with("trust list 2 published"), "{printed}");
    assert!(std::fs::read_to_string(&out).unwrap().trim().bytes().all(|b| b.is_ascii_hexdigit()));
}

#[cfg(unix)]
#[test]
fn the_exported_log_is_never_a_key_file_a_state_database_or_a_link() {
    let dir = TempDir::new("files-log");
    let (issuer, h, e, state) = world(&dir);
    let at = T.to_string();
    let code = code_text(&h, &at);
    assert_eq!(verify(&issuer, &state, &code, T, &[]).0, 0);
    let other = dir.arg("other.db");
    CLI.stdout(&["state", "init", "--state", &other]);
    let victim = dir.arg("victim.txt");
    std::fs::write(&victim, b"keep me").unwrap();
    let link = dir.arg("link.log");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let files = [&issuer, &h, &e, &state, &other, &victim];
    let before: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    fn export<'a>(state: &'a str, out: &'a str) -> [&'a str; 6] {
        ["log", "export", "--state", state, "--out", out]
    }
    for (out, what) in [
        (&issuer, "is the issuer file"),
        (&h, "is the wallet file"),
        (&state, "is the state database"),
        (&other, "is the state database"),
        (&link, "is a symbolic link"),
    ] {
        fails(&export(&state, out), &["acceptance log", what]);
    }
    let after: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(before, after, "a refused export changed a file");
    // A log file is replaced, atomically, with the state's one record.
    let log = dir.arg("t.log");
    std::fs::write(&log, b"old log").unwrap();
    let out = CLI.stdout(&export(&state, &log));
    assert!(out.contains(&format!("1 acceptance record(s) written to {log}")), "{out}");
    assert_eq!(paycode::log::LogRecord::decode_log(&std::fs::read(&log).unwrap()).unwrap().len(), 1);
    assert_no_temporaries(&dir);
}

// ---------------------------------------------------------------------------
// Formats and messages
// ---------------------------------------------------------------------------

#[test]
fn every_file_kind_checks_its_format_and_says_what_it_is() {
    let dir = TempDir::new("files-formats");
    let (issuer, h, _, state) = world(&dir);
    let at = T.to_string();
    let code = code_text(&h, &at);
    let verify_with = |issuer: &str, state: &str| {
        vec!["verify", "--issuer", issuer, "--state", state, "--at", &at, "--", &code]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<String>>()
    };
    let run = |args: Vec<String>, needles: &[&str]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails(&args, needles)
    };

    // Files of another kind say which kind they are.
    run(verify_with(&h, &state), &["h.json is a wallet file, not an issuer file"]);
    run(verify_with(&state, &state), &["state.db is a state database, not an issuer file"]);
    run(verify_with(&issuer, &issuer), &["issuer.json is an issuer file, not a state database"]);
    run(verify_with(&issuer, &h), &["h.json is a wallet file, not a state database"]);
    fails(&["code", "--wallet", &issuer, "--at", &at], &["issuer.json is an issuer file, not a wallet file"]);
    fails(&["code", "--wallet", &state, "--at", &at], &["state.db is a state database, not a wallet file"]);
    fails(&["issuer", "revoke", "--issuer", &h, "--serial", "1"], &["is a wallet file, not an issuer file"]);
    // A JSON state file of an earlier version says how to migrate it, and is read only by `state import`.
    let old = dir.arg("old-state.json");
    std::fs::write(&old, br#"{"format": "paycode-state-v1", "state": {}}"#).unwrap();
    run(verify_with(&issuer, &old), &["old-state.json is a JSON state file", "paycode state import"]);
    fails(
        &["state", "import", &state, "--state", &dir.arg("n.db")],
        &["is a state database, not a JSON state file"],
    );
    fails(
        &["state", "import", &h, "--state", &dir.arg("n.db")],
        &["is a wallet file, not a JSON state file"],
    );

    // Another version of the right kind is refused, by name.
    let edit = |path: &str, from: &str, to: &str| {
        let mode = std::fs::metadata(path).unwrap().permissions();
        let copy = format!("{path}.v9");
        std::fs::write(&copy, std::fs::read_to_string(path).unwrap().replacen(from, to, 1)).unwrap();
        std::fs::set_permissions(&copy, mode).unwrap();
        copy
    };
    let issuer9 = edit(&issuer, "paycode-issuer-v1", "paycode-issuer-v9");
    run(verify_with(&issuer9, &state), &["issuer file", "\"paycode-issuer-v9\"", "\"paycode-issuer-v1\""]);
    fails(
        &["wallet", "enroll", "--issuer", &issuer9, "--profile", "hmac", "--out", &dir.arg("n.json")],
        &["paycode-issuer-v9"],
    );
    fails(&["issuer", "revoke", "--issuer", &issuer9, "--serial", "1"], &["paycode-issuer-v9"]);
    let wallet9 = edit(&h, "paycode-wallet-v1", "paycode-wallet-v2");
    fails(&["code", "--wallet", &wallet9, "--at", &at], &["wallet file", "paycode-wallet-v2"]);
    let state7 = edit(&old, "paycode-state-v1", "paycode-state-v7");
    fails(
        &["state", "import", &state7, "--state", &dir.arg("n.db")],
        &["JSON state file", "paycode-state-v7"],
    );
    let unformatted = edit(&old, "\"format\": \"paycode-state-v1\",", "");
    fails(&["state", "import", &unformatted, "--state", &dir.arg("n.db")], &["no \"format\" field"]);
    // A SQLite file of another program, and a state database of a newer schema.
    let foreign = dir.arg("foreign.db");
    std::fs::write(&foreign, b"SQLite format 3\0").unwrap();
    run(verify_with(&issuer, &foreign), &["foreign.db"]);
    assert!(!Path::new(&dir.arg("n.json")).exists() && !Path::new(&dir.arg("n.db")).exists());
    // Nothing above spent a counter value or touched a file.
    assert_eq!(next_counter(&h), 1);
    assert_eq!(verify(&issuer, &state, &code, T, &[]).0, 0);
}

#[test]
fn every_io_error_names_its_file_and_what_it_was_for() {
    let dir = TempDir::new("files-io");
    let (issuer, h, _, state) = world(&dir);
    let at = T.to_string();
    let none = dir.arg("none.json");
    let no_dir = dir.arg("no/such/dir/x");
    let gone = "No such file or directory";
    fails(
        &["code", "--wallet", &none, "--at", &at],
        &[&format!("cannot read the wallet file {none}: {gone}")],
    );
    fails(
        &["verify", "x", "--issuer", &none, "--state", &state],
        &[&format!("cannot read the issuer file {none}: {gone}")],
    );
    fails(
        &["verify", "x", "--issuer", &issuer, "--state", &none],
        &[&format!("the state database {none} does not exist"), "paycode state init"],
    );
    fails(&["issuer", "revoke", "--issuer", &none, "--serial", "1"], &["cannot read the issuer file", gone]);
    fails(
        &["wallet", "enroll", "--issuer", &none, "--profile", "hmac", "--out", &dir.arg("w.json")],
        &["cannot read the issuer file", gone],
    );
    fails(
        &["reconcile", "--issuer", &issuer, &none],
        &[&format!("cannot read the acceptance log {none}: {gone}")],
    );
    fails(
        &["reconcile", "--issuer", &none, &none],
        &[&format!("cannot read the issuer file {none}: {gone}")],
    );
    #[cfg(feature = "scan")]
    fails(
        &["scan", &none, "--issuer", &issuer, "--state", &state],
        &[&format!("cannot read the image {none}: {gone}")],
    );
    fails(&["issuer", "init", "--out", &no_dir], &[&format!("the issuer file {no_dir}"), gone]);
    fails(
        &["state", "init", "--state", &no_dir],
        &[&format!("cannot create the state database {no_dir}"), gone],
    );
    fails(
        &["state", "import", &none, "--state", &dir.arg("n.db")],
        &[&format!("cannot read the JSON state file {none}: {gone}")],
    );
    fails(
        &["log", "export", "--state", &none, "--out", &dir.arg("t.log")],
        &[&format!("the state database {none} does not exist")],
    );
    fails(
        &["code", "--wallet", &h, "--at", &at, "--qr", "png", "--out", &no_dir],
        &[&format!("cannot write the QR image {no_dir}"), gone],
    );
    let code = code_text(&h, &at);
    assert_eq!(verify(&issuer, &state, &code, T, &[]).0, 0);
    fails(
        &["log", "export", "--state", &state, "--out", &no_dir],
        &[&format!("cannot write the acceptance log {no_dir}"), gone],
    );
    fails(&["vectors", "trace", "--spec", &none], &[&format!("cannot read the spec {none}"), gone]);
    // A mistyped path leaves nothing behind, not even a lock file.
    assert!(dir.names().iter().all(|n| !n.contains("none.json") && !n.contains("n.db")), "{:?}", dir.names());
}

// ---------------------------------------------------------------------------
// Temporary files
// ---------------------------------------------------------------------------

/// Runs the command with `args` in a process that first leaves, for each of
/// `names`, the temporary file a writer of that process id killed before its
/// rename would have left (`.NAME.tmpPID`), then becomes the command (`exec`
/// keeps the process id). `link_to`: the wallet's is a symbolic link to it.
#[cfg(unix)]
fn with_stale_temporaries(dir: &TempDir, names: &[&str], link_to: &str, args: &[&str]) -> Output {
    let script = r#"cd "$1"; shift; victim=$1; shift
for n in $NAMES; do printf '{half a fi' > ".$n.tmp$$"; done
ln -s "$victim" ".h.json.tmp$$" 2>/dev/null
exec "$PAYCODE" "$@""#;
    Command::new("sh")
        .args(["-c", script, "sh", dir.path().to_str().unwrap(), link_to])
        .args(args)
        .env("NAMES", names.join(" "))
        .env("PAYCODE", env!("CARGO_BIN_EXE_paycode"))
        .output()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn temporary_files_a_killed_process_left_do_not_stop_a_later_run() {
    let dir = TempDir::new("files-stale");
    let (issuer, h, _, state) = world(&dir);
    let at = T.to_string();
    let victim = dir.arg("victim.txt");
    std::fs::write(&victim, b"keep me").unwrap();
    // Leftovers of other process ids too, which only the key files' writers clear.
    let me = std::process::id();
    for pid in me..me + 200 {
        for name in ["h.json", "issuer.json"] {
            std::fs::write(dir.arg(format!(".{name}.tmp{pid}")), b"{half a fi").unwrap();
        }
    }
    let run = |names: &[&str], args: &[&str]| {
        let out = with_stale_temporaries(&dir, names, &victim, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    // The wallet's leftover is a link to another file: removed, not written through.
    let v = json(&run(
        &["h.json", "q.png"],
        &["code", "--wallet", &h, "--at", &at, "--qr", "png", "--out", &dir.arg("q.png"), "--json"],
    ));
    let code = v["text"].as_str().unwrap();
    run(&[], &["verify", code, "--issuer", &issuer, "--state", &state, "--at", &at]);
    run(&["t.log"], &["log", "export", "--state", &state, "--out", &dir.arg("t.log")]);
    run(&["issuer.json"], &["issuer", "revoke", "--issuer", &issuer, "--serial", "9", "--at", &at]);
    run(
        &["issuer.json", "h2.json"],
        &[
            "wallet",
            "enroll",
            "--issuer",
            &issuer,
            "--profile",
            "hmac",
            "--out",
            &dir.arg("h2.json"),
            "--at",
            &at,
        ],
    );
    run(&["q.png"], &["code", "--wallet", &h, "--at", &at, "--barcode", "png", "--out", &dir.arg("q.png")]);
    assert_eq!(next_counter(&h), 2);
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
    assert!(std::fs::read(dir.arg("q.png")).unwrap().starts_with(b"\x89PNG"));
    // Every leftover is gone: only a holder of a file's lock writes its
    // temporary files, so every one found under the lock is stale; an image
    // writer removes the one of its own process id.
    let left: Vec<String> = dir.names().into_iter().filter(|n| n.contains(".tmp")).collect();
    assert!(left.is_empty(), "{} left, e.g. {:?}", left.len(), left.first());
}

// ---------------------------------------------------------------------------
// Concurrent processes
// ---------------------------------------------------------------------------

/// Starts every command of `batch` at once and waits for all of them.
fn all_at_once(batch: &[Vec<String>]) -> Vec<Output> {
    let children: Vec<_> = batch
        .iter()
        .map(|args| {
            Command::new(env!("CARGO_BIN_EXE_paycode"))
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children.into_iter().map(|c| c.wait_with_output().unwrap()).collect()
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn eight_concurrent_code_processes_never_share_a_counter() {
    // spec: R-GEN-1, R-GEN-3: a counter value is never used twice.
    let dir = TempDir::new("files-race-code");
    let (_, h, e, _) = world(&dir);
    let at = T.to_string();
    const TRIALS: usize = 25;
    const PROCESSES: usize = 8;
    for wallet in [&h, &e] {
        let mut counters = BTreeSet::new();
        for trial in 0..TRIALS {
            let batch: Vec<Vec<String>> =
                (0..PROCESSES).map(|_| args(&["code", "--wallet", wallet, "--at", &at, "--json"])).collect();
            for out in all_at_once(&batch) {
                assert!(out.status.success(), "trial {trial}: {}", String::from_utf8_lossy(&out.stderr));
                let v = json(std::str::from_utf8(&out.stdout).unwrap());
                let c = v["counter"].as_u64().unwrap();
                // The identity of the counter: the account, or the credential's serial.
                let payload = v["payload"].as_str().unwrap();
                let id = if v["profile"] == "ed25519" { &payload[32..48] } else { &payload[4..20] };
                assert!(
                    counters.insert((id.to_owned(), c)),
                    "trial {trial}: counter {c} of {id} used twice in {wallet}"
                );
            }
        }
        // hmac: counters 0..200 of the one account; ed25519: 0..25 of each of the 8 credentials.
        let ids: BTreeSet<&str> = counters.iter().map(|(id, _)| id.as_str()).collect();
        let per_id = (TRIALS * PROCESSES / ids.len()) as u64;
        let expected: BTreeSet<(String, u64)> =
            ids.iter().flat_map(|id| (0..per_id).map(|c| ((*id).to_owned(), c))).collect();
        assert_eq!(ids.len(), if wallet == &e { 8 } else { 1 }, "{wallet}");
        assert_eq!(counters, expected, "{wallet}");
        assert_eq!(next_counter(wallet), (TRIALS * PROCESSES) as u64);
    }
}

#[test]
fn concurrent_enrolments_and_revocations_lose_nothing() {
    let dir = TempDir::new("files-race-issuer");
    let (issuer, ..) = world(&dir);
    let at = T.to_string();
    let mut serials = Vec::new();
    let mut wallets = Vec::new();
    for trial in 0..5 {
        let mut batch = Vec::new();
        for i in 0..4 {
            let w = dir.arg(format!("w{trial}-{i}.json"));
            batch.push(args(&[
                "wallet",
                "enroll",
                "--issuer",
                &issuer,
                "--profile",
                "hmac",
                "--out",
                &w,
                "--at",
                &at,
            ]));
            wallets.push(w);
            let serial = (100 + trial * 4 + i).to_string();
            batch.push(args(&["issuer", "revoke", "--issuer", &issuer, "--serial", &serial, "--at", &at]));
            serials.push(100 + trial * 4 + i);
        }
        for out in all_at_once(&batch) {
            assert!(out.status.success(), "trial {trial}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let file = json(&std::fs::read_to_string(&issuer).unwrap());
    // Account 1 is the world's hmac wallet; 20 more were enrolled, each once.
    let accounts: BTreeSet<u64> =
        file["accounts"].as_array().unwrap().iter().map(|a| a["account_id"].as_u64().unwrap()).collect();
    assert_eq!(accounts, (1..=21).collect());
    let from_wallets: BTreeSet<u64> = wallets
        .iter()
        .map(|w| json(&std::fs::read_to_string(w).unwrap())["account_id"].as_u64().unwrap())
        .collect();
    assert_eq!(from_wallets, (2..=21).collect());
    assert_eq!(file["revocation"]["serials"].as_array().unwrap().len(), serials.len());
    // List 1 came with `issuer init` (spec: R-REVOKE-5); each revocation signed one more.
    assert_eq!(file["revocation"]["number"], serials.len() + 1);
}

#[test]
fn concurrent_verifications_on_one_state_accept_a_code_once() {
    let dir = TempDir::new("files-race-state");
    let (issuer, h, _, state) = world(&dir);
    let at = T.to_string();
    for trial in 0..5 {
        let code = code_text(&h, &at);
        let batch: Vec<Vec<String>> = (0..8)
            .map(|_| args(&["verify", "--issuer", &issuer, "--state", &state, "--at", &at, "--", &code]))
            .collect();
        let exits: Vec<Option<i32>> = all_at_once(&batch).iter().map(|o| o.status.code()).collect();
        assert_eq!(exits.iter().filter(|c| **c == Some(0)).count(), 1, "trial {trial}: {exits:?}");
        assert_eq!(exits.iter().filter(|c| **c == Some(1)).count(), 7, "trial {trial}: {exits:?}");
    }
}

// ---------------------------------------------------------------------------
// The verifier's state
// ---------------------------------------------------------------------------

#[test]
fn a_state_is_created_explicitly_and_a_mistyped_one_accepts_nothing() {
    let dir = TempDir::new("files-state");
    let (issuer, h, ..) = world(&dir);
    let at = T.to_string();
    let code = code_text(&h, &at);
    let (s1, typo) = (dir.arg("terminal.db"), dir.arg("termnal.db"));
    fails(
        &["verify", &code, "--issuer", &issuer, "--state", &s1, "--at", &at],
        &["terminal.db does not exist"],
    );
    assert!(!Path::new(&s1).exists());
    assert_eq!(verify(&issuer, &s1, &code, T, &["--init"]).0, 0);
    fails(
        &["verify", &code, "--issuer", &issuer, "--state", &s1, "--init"],
        &["terminal.db exists", "move it away first"],
    );
    fails(&["state", "init", "--state", &s1], &["terminal.db exists", "move it away first"]);
    // The mistyped state database is an error, not a fresh verifier that accepts the code again.
    fails(
        &["verify", &code, "--issuer", &issuer, "--state", &typo, "--at", &at],
        &["termnal.db does not exist"],
    );
    assert!(dir.names().iter().all(|n| !n.contains("termnal")), "{:?}", dir.names());
    let (exit, v) = verify(&issuer, &s1, &code, T, &[]);
    assert_eq!((exit, v["code"].as_str()), (1, Some("replayed")));
    CLI.stdout(&["state", "init", "--state", &typo]);
    assert!(std::fs::read(&typo).unwrap().starts_with(b"SQLite format 3\0"));
}

#[test]
fn state_lost_with_a_clock_gone_back_does_not_reopen_an_accepted_code() {
    let dir = TempDir::new("files-lost");
    let (issuer, h, _, state) = world(&dir);
    let at = T.to_string();
    let code = code_text(&h, &at);
    assert_eq!(verify(&issuer, &state, &code, T, &[]).0, 0);
    // The terminal restarts as after a loss, with its clock 1000 steps behind.
    let wrong = T - 1_000 * 60;
    let (exit, v) = verify(&issuer, &state, "garbage", wrong, &["--state-lost"]);
    assert_eq!((exit, v["code"].as_str()), (1, Some("malformed")));
    // The clock is right again: the code accepted before is not accepted again.
    let (exit, v) = verify(&issuer, &state, &code, T, &[]);
    assert_eq!(exit, 1, "{v}");
    assert_eq!(v["code"], "state-unavailable");
    // The quarantine ends F + 1 steps after the stored high-water step.
    let fresh = json(&CLI.stdout(&["code", "--wallet", &h, "--at", &(T + 120).to_string(), "--json"]));
    assert_eq!(verify(&issuer, &state, fresh["text"].as_str().unwrap(), T + 120, &[]).0, 0);

    // A missing state database with --state-lost: quarantine from the current time, as the spec says.
    let lost = dir.arg("lost.db");
    let next = code_text(&h, &at);
    let (exit, v) = verify(&issuer, &lost, &next, T, &["--state-lost"]);
    assert_eq!((exit, v["code"].as_str()), (1, Some("state-unavailable")));
    // --state-lost never overwrites a file of another kind.
    fails(
        &["verify", &next, "--issuer", &issuer, "--state", &h, "--state-lost"],
        &["is a wallet file, not a state database"],
    );
    assert_eq!(json(&std::fs::read_to_string(&h).unwrap())["format"], "paycode-wallet-v1");
}

#[cfg(unix)]
fn mkfifo(path: &str) {
    use std::os::unix::fs::PermissionsExt;
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {path}");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[cfg(unix)]
#[test]
fn a_state_that_is_no_state_database_file_starts_no_fresh_verifier() {
    let dir = TempDir::new("files-state-kind");
    let (issuer, h, _, state) = world(&dir);
    let at = T.to_string();
    let code = code_text(&h, &at);
    assert_eq!(verify(&issuer, &state, &code, T, &[]).0, 0);
    // An empty file, as `: > z.db` or `touch typo.db` leave, is no state database:
    // SQLite would take it for a new one, which accepts the code again.
    let empty = dir.arg("z.db");
    std::fs::write(&empty, b"").unwrap();
    let verify_args = |st: &str, extra: &[&str]| -> Vec<String> {
        let mut a = vec!["verify", code.as_str(), "--issuer", issuer.as_str(), "--state", st, "--at", &at];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_owned).collect()
    };
    let run = |args: Vec<String>, needles: &[&str]| {
        fails(&args.iter().map(String::as_str).collect::<Vec<_>>(), needles);
    };
    let is_empty = [format!("the state database {empty} is an empty file, not a state database")];
    let is_empty: Vec<&str> = is_empty.iter().map(String::as_str).collect();
    run(verify_args(&empty, &[]), &is_empty);
    run(verify_args(&empty, &["--state-lost"]), &is_empty);
    fails(&["log", "export", "--state", &empty, "--out", &dir.arg("t.log")], &is_empty);
    let old = dir.arg("old-state.json");
    let file = paycode_cli::state::StateFile { format: "paycode-state-v1".into(), ..Default::default() };
    std::fs::write(&old, serde_json::to_vec(&file).unwrap()).unwrap();
    fails(&["state", "import", &old, "--state", &empty], &is_empty);
    assert_eq!(std::fs::read(&empty).unwrap(), b"", "the empty file was made a database");
    assert!(!Path::new(&dir.arg("t.log")).exists());

    // A folder, a character device and a FIFO are the operator's mistake, not an unavailable state.
    let folder = dir.arg("folder.db");
    std::fs::create_dir(&folder).unwrap();
    let fifo = dir.arg("fifo.db");
    mkfifo(&fifo);
    for (path, node) in [
        (folder.as_str(), "is a folder, not a regular file"),
        ("/dev/null", "is a character device, not a regular file"),
        (fifo.as_str(), "is a FIFO (named pipe), not a regular file"),
    ] {
        let named = format!("the state database {path} {node}");
        run(verify_args(path, &[]), &[&named]);
        run(verify_args(path, &["--state-lost"]), &[&named]);
    }
    // The code was used once, and only the terminal's own state decides.
    let (exit, v) = verify(&issuer, &state, &code, T, &[]);
    assert_eq!((exit, v["code"].as_str()), (1, Some("replayed")));
}

#[cfg(unix)]
#[test]
fn inputs_are_read_from_regular_files_only_and_up_to_their_kind_s_size() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("files-inputs");
    let (issuer, h, _, state) = world(&dir);
    let at = T.to_string();
    let fifo = dir.arg("fifo");
    mkfifo(&fifo);
    let folder = dir.arg("folder");
    std::fs::create_dir(&folder).unwrap();
    let n_db = dir.arg("n.db");
    for (input, node) in [
        (fifo.as_str(), "is a FIFO (named pipe), not a regular file"),
        ("/dev/zero", "is a character device, not a regular file"),
        (folder.as_str(), "is a folder, not a regular file"),
    ] {
        let named = |role: &str| format!("the {role} {input} {node}");
        fails(&["verify", "x", "--issuer", input, "--state", &state, "--at", &at], &[&named("issuer file")]);
        fails(&["code", "--wallet", input, "--at", &at], &[&named("wallet file")]);
        fails(
            &["wallet", "enroll", "--issuer", input, "--profile", "hmac", "--out", &dir.arg("w.json")],
            &[&named("issuer file")],
        );
        fails(&["reconcile", "--issuer", &issuer, input], &[&named("acceptance log")]);
        fails(&["state", "import", input, "--state", &n_db], &[&named("JSON state file")]);
        fails(
            &["verify", "x", "--issuer", &issuer, "--state", &state, "--trust-list", input],
            &[&named("trust list file")],
        );
        #[cfg(feature = "scan")]
        fails(&["scan", input, "--issuer", &issuer, "--state", &state], &[&named("image")]);
    }
    // Nothing was created: no state database, no wallet, no lock file beside the FIFO.
    assert!(!Path::new(&n_db).exists() && !Path::new(&dir.arg("w.json")).exists());
    assert!(!Path::new(&dir.arg(".fifo.lock")).exists());

    // Files larger than their kind holds are refused before they are read
    // (sparse: they take no disk space).
    let large = |name: &str, len: u64| {
        let path = dir.arg(name);
        std::fs::File::create(&path).unwrap().set_len(len).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    };
    const MIB: u64 = 1 << 20;
    let big_wallet = large("big-wallet.json", 4 * MIB + 1);
    fails(
        &["code", "--wallet", &big_wallet, "--at", &at],
        &[&format!("the wallet file {big_wallet} is larger than 4 MiB")],
    );
    let big_issuer = large("big-issuer.json", 256 * MIB + 1);
    fails(
        &["verify", "x", "--issuer", &big_issuer, "--state", &state],
        &[&format!("the issuer file {big_issuer} is larger than 256 MiB")],
    );
    let big_log = large("big.log", 1024 * MIB + 1);
    fails(
        &["reconcile", "--issuer", &issuer, &big_log],
        &[&format!("the acceptance log {big_log} is larger than 1024 MiB")],
    );
    let big_state = large("big-state.json", 1024 * MIB + 1);
    fails(
        &["state", "import", &big_state, "--state", &n_db],
        &[&format!("the JSON state file {big_state} is larger than 1024 MiB")],
    );
    let big_list = large("big-list.hex", 8 * MIB + 1);
    fails(
        &["verify", "x", "--issuer", &issuer, "--state", &state, "--trust-list", &big_list],
        &[&format!("the trust list file {big_list} is larger than 8 MiB")],
    );
    // A wallet of exactly 4 MiB (padded with white space) is read and used.
    let padded = dir.arg("padded.json");
    let mut bytes = std::fs::read(&h).unwrap();
    bytes.resize(usize::try_from(4 * MIB).unwrap(), b' ');
    std::fs::write(&padded, &bytes).unwrap();
    std::fs::set_permissions(&padded, std::fs::Permissions::from_mode(0o600)).unwrap();
    let v = json(&CLI.stdout(&["code", "--wallet", &padded, "--at", &at, "--json"]));
    assert_eq!(v["counter"], 0);
}

// ---------------------------------------------------------------------------
// A full file system
// ---------------------------------------------------------------------------

#[test]
fn a_full_file_system_leaves_no_wallet_the_issuer_never_recorded_nor_an_empty_state() {
    // Without root there is no tmpfs to fill.
    if !root_case("the full file system case") {
        return;
    }
    let fs = SmallFs::mount(256);
    let dir = TempDir::new("files-full");
    let issuer = fs.join("issuer.json").to_str().unwrap().to_owned();
    let at = T.to_string();
    let nb = (T - 3_600).to_string();
    CLI.stdout(&["issuer", "init", "--out", &issuer, "--at", &at]);
    let enroll = |profile: &str, out: &str| -> Vec<String> {
        let mut a = vec!["wallet", "enroll", "--issuer", &issuer, "--profile", profile, "--out", out];
        a.extend(["--at", &at, "--not-before", &nb, "--json"]);
        a.into_iter().map(str::to_owned).collect()
    };
    let (h1, e1, h2, e2) = (dir.arg("h1.json"), dir.arg("e1.json"), dir.arg("h2.json"), dir.arg("e2.json"));
    let first_hmac = json(&CLI.stdout(&enroll("hmac", &h1)));
    let first_payer = json(&CLI.stdout(&enroll("ed25519", &e1)));

    let filler = fs.fill();
    let issuer_before = std::fs::read(&issuer).unwrap();
    let e1_before = std::fs::read(&e1).unwrap();
    let no_room = [format!("cannot write the issuer file {issuer}"), "No space left on device".to_owned()];
    let no_room: Vec<&str> = no_room.iter().map(String::as_str).collect();
    for (profile, out) in [("hmac", &h2), ("ed25519", &e2)] {
        let args = enroll(profile, out);
        fails(&args.iter().map(String::as_str).collect::<Vec<_>>(), &no_room);
        assert!(!Path::new(out).exists(), "{profile}: a wallet the issuer never recorded was written");
    }
    fails(&["wallet", "renew", "--issuer", &issuer, "--wallet", &e1, "--at", &at], &no_room);
    assert_eq!(std::fs::read(&e1).unwrap(), e1_before, "renewal changed the wallet");
    assert_eq!(std::fs::read(&issuer).unwrap(), issuer_before);
    // A state database that cannot be created leaves no file that `state init` then refuses.
    let new_db = fs.join("new.db").to_str().unwrap().to_owned();
    fails(&["state", "init", "--state", &new_db], &["new.db"]);
    let left: Vec<String> = std::fs::read_dir(fs.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("new.db"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    std::fs::remove_file(filler).unwrap();
    CLI.stdout(&["state", "init", "--state", &new_db]);
    // The next enrolments get ids no wallet holds.
    let second_hmac = json(&CLI.stdout(&enroll("hmac", &h2)));
    let second_payer = json(&CLI.stdout(&enroll("ed25519", &e2)));
    assert_ne!(second_hmac["account_id"], first_hmac["account_id"]);
    assert_ne!(second_payer["payer"], first_payer["payer"]);
    let file = json(&std::fs::read_to_string(&issuer).unwrap());
    let accounts: BTreeSet<u64> =
        file["accounts"].as_array().unwrap().iter().map(|a| a["account_id"].as_u64().unwrap()).collect();
    let held: BTreeSet<u64> = [&h1, &h2]
        .iter()
        .map(|w| json(&std::fs::read_to_string(w).unwrap())["account_id"].as_u64().unwrap())
        .collect();
    assert_eq!(accounts, held);
    // Revoking the second payer revokes its serials and none of the first's.
    let payer = second_payer["payer"].as_u64().unwrap().to_string();
    CLI.stdout(&["issuer", "revoke", "--issuer", &issuer, "--payer", &payer, "--at", &at]);
    let revoked: BTreeSet<u64> = json(&std::fs::read_to_string(&issuer).unwrap())["revocation"]["serials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    let serials = |v: &Value| -> BTreeSet<u64> {
        v["serials"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()).collect()
    };
    assert_eq!(revoked, serials(&second_payer));
    assert!(revoked.is_disjoint(&serials(&first_payer)));
}

/// A wallet file that cannot be written (a name that leaves no room for its
/// temporary file's, a folder given with --force, a full disk) is found
/// before the issuer file records its account or batch: the issuer file is
/// unchanged, and no wallet is left.
#[cfg(unix)]
#[test]
fn a_wallet_that_cannot_be_written_is_not_recorded_by_the_issuer() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("files-unwritable-wallet");
    let (issuer, _, e, _) = world(&dir);
    let at = T.to_string();
    let nb = (T - 3_600).to_string();
    // 249 bytes: room for the lock file `.NAME.lock`, none for `.NAME.tmpPID`.
    let long = dir.arg("w".repeat(249));
    let folder = dir.arg("folder");
    std::fs::create_dir(&folder).unwrap();
    let small = is_root().then(|| SmallFs::mount(64));
    let mut outs: Vec<(String, &[&str], &str)> = vec![
        (long.clone(), &[], "cannot write the wallet file"),
        (folder.clone(), &["--force"], "is a folder, not a regular file"),
    ];
    if let Some(fs) = &small {
        fs.fill();
        outs.push((fs.join("w.json").to_str().unwrap().to_owned(), &[], "No space left on device"));
    }
    let before = std::fs::read_to_string(&issuer).unwrap();
    for (out, extra, what) in &outs {
        for profile in ["hmac", "ed25519"] {
            let mut args = vec!["wallet", "enroll", "--issuer", &issuer, "--profile", profile, "--out", out];
            args.extend(["--at", &at, "--not-before", &nb]);
            args.extend(extra.iter());
            fails(&args, &[what]);
            assert_eq!(std::fs::read_to_string(&issuer).unwrap(), before, "{args:?}: the issuer recorded it");
            assert!(
                std::fs::metadata(out).is_err() || Path::new(out).is_dir(),
                "{args:?}: a wallet was left"
            );
        }
    }
    // A renewal whose wallet cannot be rewritten is not recorded either.
    std::fs::copy(&e, &long).unwrap();
    std::fs::set_permissions(&long, std::fs::Permissions::from_mode(0o600)).unwrap();
    let wallet_before = std::fs::read_to_string(&long).unwrap();
    fails(
        &["wallet", "renew", "--issuer", &issuer, "--wallet", &long, "--at", &at, "--not-before", &nb],
        &["cannot write the wallet file"],
    );
    assert_eq!(std::fs::read_to_string(&issuer).unwrap(), before, "the issuer recorded the renewal");
    assert_eq!(std::fs::read_to_string(&long).unwrap(), wallet_before);
    assert_no_temporaries(&dir);
    drop(small);

    // The next enrolment gets the id no wallet took.
    let out = dir.arg("h2.json");
    let v = json(&CLI.stdout(&[
        "wallet",
        "enroll",
        "--issuer",
        &issuer,
        "--profile",
        "hmac",
        "--out",
        &out,
        "--at",
        &at,
        "--json",
    ]));
    assert_eq!(v["account_id"], 2);
}

// ---------------------------------------------------------------------------
// The issuer's times
// ---------------------------------------------------------------------------

#[test]
fn issuer_init_refuses_times_with_which_the_issuer_could_not_work() {
    let dir = TempDir::new("files-times");
    let out = dir.arg("i.json");
    let t = |x: u64| x.to_string();
    let max = u64::MAX;
    // The latest issuer time whose hour, plus a day's credential, ends within u64.
    let latest = (max - 86_400) / 3_600 * 3_600 + 3_599;
    assert_eq!(T % 3_600, 0);
    let refused: Vec<(Vec<String>, &str)> = vec![
        (vec!["--key-not-before".into(), t(max), "--key-not-after".into(), t(max)], "outside key 1's period"),
        (
            vec!["--key-not-before".into(), t(T + 1), "--key-not-after".into(), t(T), "--at".into(), t(T)],
            "is after --key-not-after",
        ),
        (vec!["--t0".into(), t(T), "--at".into(), t(T - 1)], "before the epoch T0"),
        (
            vec![
                "--key-not-before".into(),
                t(T),
                "--key-not-after".into(),
                t(T + 99),
                "--at".into(),
                t(T - 1),
            ],
            "outside key 1's period",
        ),
        (vec!["--at".into(), t(max)], "does not hold an ed25519 credential"),
        (vec!["--at".into(), t(latest + 1)], "does not hold an ed25519 credential"),
        (
            vec![
                "--key-not-before".into(),
                t(T),
                "--key-not-after".into(),
                t(T + 86_399),
                "--at".into(),
                t(T),
            ],
            "does not hold an ed25519 credential",
        ),
        (
            vec![
                "--key-not-before".into(),
                t(T + 1),
                "--key-not-after".into(),
                t(T + 90_000),
                "--at".into(),
                t(T + 3_599),
            ],
            "does not hold an ed25519 credential",
        ),
    ];
    for (extra, needle) in &refused {
        let mut args = vec!["issuer", "init", "--out", out.as_str()];
        args.extend(extra.iter().map(String::as_str));
        fails(&args, &["cannot create the issuer", needle]);
        assert!(dir.names().is_empty(), "{extra:?}: {:?}", dir.names());
    }
    // At the boundaries allowed, the issuer enrolls both profiles at its own
    // time, and their codes are accepted then.
    let allowed: Vec<(Vec<String>, u64)> = vec![
        (vec![], 0),
        (vec!["--t0".into(), t(T)], T),
        (vec!["--key-not-before".into(), t(T), "--key-not-after".into(), t(T + 86_400)], T),
        (vec![], latest),
        (vec!["--key-not-before".into(), "0".into(), "--key-not-after".into(), t(max)], latest - 3_599),
    ];
    for (n, (extra, at)) in allowed.iter().enumerate() {
        let at = t(*at);
        let issuer = dir.arg(format!("i{n}.json"));
        let mut args = vec!["issuer", "init", "--out", issuer.as_str(), "--at", &at];
        args.extend(extra.iter().map(String::as_str));
        CLI.stdout(&args);
        let state = dir.arg(format!("s{n}.db"));
        CLI.stdout(&["state", "init", "--state", &state]);
        for profile in ["hmac", "ed25519"] {
            let wallet = dir.arg(format!("{profile}{n}.json"));
            CLI.stdout(&[
                "wallet",
                "enroll",
                "--issuer",
                &issuer,
                "--profile",
                profile,
                "--out",
                &wallet,
                "--at",
                &at,
            ]);
            let code = code_text(&wallet, &at);
            let (exit, v) = verify(&issuer, &state, &code, at.parse().unwrap(), &[]);
            assert_eq!(
                (exit, &v["verdict"]),
                (0, &Value::from("accepted")),
                "{extra:?} at {at}, {profile}: {v}"
            );
        }
    }
}

/// Runs `args`, expects exit `code` and a message on standard error containing every one of `needles`.
#[cfg(unix)]
fn exits(code: i32, args: &[&str], needles: &[&str]) {
    let out = run_bounded(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {err:?} lacks {n:?}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

/// The vector tools and the conformance runner read vector files and
/// reports only when they are regular files, and never write through a FIFO,
/// a device or a folder: each is refused naming it (exit 2, or 3, the
/// runner's usage error), where a FIFO was waited on forever and /dev/zero
/// read without end.
#[cfg(unix)]
#[test]
fn vectors_and_reports_are_read_and_written_as_regular_files_only() {
    const USAGE: i32 = 3;
    let dir = TempDir::new("files-vectors-fifo");
    let vectors = dir.arg("v");
    std::fs::create_dir(&vectors).unwrap();
    let fifo = format!("{vectors}/fifo.json");
    mkfifo(&fifo);
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/paycode-v3.md");
    let is_fifo = "it is a FIFO, not a regular file";
    exits(2, &["vectors", "check", &vectors], &["fifo.json", is_fifo]);
    exits(2, &["vectors", "trace", "--spec", spec, "--vectors", &vectors], &["fifo.json", is_fifo]);
    let out = dir.arg("o");
    exits(
        USAGE,
        &["conformance", "run", "--builtin", "--quiet", "--vectors", &vectors, "--out", &out],
        &["fifo.json", is_fifo],
    );
    assert!(!Path::new(&out).exists());

    // Reports that are a FIFO or a device.
    let report = dir.arg("ff.json");
    mkfifo(&report);
    let html = dir.arg("m.html");
    for (input, node) in [
        (report.as_str(), "is a FIFO (named pipe), not a regular file"),
        ("/dev/zero", "is a character device, not a regular file"),
        (vectors.as_str(), "is a folder, not a regular file"),
    ] {
        exits(USAGE, &["conformance", "compare", input, input], &[input, node]);
        exits(USAGE, &["conformance", "matrix", input, "--out", &html], &[input, node]);
    }
    assert!(!Path::new(&html).exists());

    // Outputs whose name a FIFO, a device or a folder takes.
    let good = dir.arg("good");
    let include = "primitive.base45.decode*";
    let args = ["conformance", "run", "--builtin", "--quiet", "--include", include, "--out", &good];
    assert_eq!(run_bounded(&args).status.code(), Some(4));
    let good_report = format!("{good}/report.json");
    let outf = dir.arg("outf");
    std::fs::create_dir(&outf).unwrap();
    mkfifo(&format!("{outf}/report.json"));
    std::fs::create_dir(format!("{outf}/summary.md")).unwrap();
    exits(
        USAGE,
        &["conformance", "run", "--builtin", "--quiet", "--include", include, "--out", &outf],
        &["report.json", is_fifo],
    );
    assert!(!Path::new(&format!("{outf}/junit.xml")).exists(), "a report was written");
    for out in [report.as_str(), "/dev/null", outf.as_str()] {
        exits(USAGE, &["conformance", "matrix", &good_report, "--out", out], &[out, "not a regular file"]);
    }
    let genf = dir.arg("genf");
    std::fs::create_dir(&genf).unwrap();
    mkfifo(&format!("{genf}/params.json"));
    exits(2, &["vectors", "generate", "--out", &genf], &["params.json", is_fifo]);
}

#[test]
fn an_issuer_file_listing_one_account_twice_is_refused() {
    // Two seeds for one account id: a verifier would take one of them silently.
    let dir = TempDir::new("files-account-twice");
    let (issuer, h, _e, state) = world(&dir);
    let mut v = json(&std::fs::read_to_string(&issuer).unwrap());
    let mut twin = v["accounts"][0].clone();
    twin["seed"] = Value::from("11".repeat(32));
    v["accounts"].as_array_mut().unwrap().insert(0, twin);
    std::fs::write(&issuer, serde_json::to_vec(&v).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&issuer, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let code = code_text(&h, &T.to_string());
    let at = T.to_string();
    fails(
        &["verify", "--issuer", &issuer, "--state", &state, "--at", &at, "--", &code],
        &["issuer file", "account 1 is listed twice"],
    );
    fails(
        &[
            "wallet",
            "enroll",
            "--issuer",
            &issuer,
            "--profile",
            "hmac",
            "--out",
            &dir.arg("n.json"),
            "--at",
            &at,
        ],
        &["account 1 is listed twice"],
    );
}

#[test]
fn force_replaces_only_a_file_of_the_kind_it_writes() {
    // A state database is a terminal's memory of the codes it accepted, and a
    // key file holds seeds: --force asks to replace a wallet or an issuer file.
    let dir = TempDir::new("files-force-kind");
    let (issuer, h, e, state) = world(&dir);
    let at = T.to_string();
    let code = code_text(&h, &at);
    assert_eq!(verify(&issuer, &state, &code, T, &[]).0, 0);
    let other = dir.arg("other-issuer.json");
    CLI.stdout(&["issuer", "init", "--out", &other, "--at", &at]);
    let read = |p: &str| std::fs::read(p).unwrap();
    let before = [read(&state), read(&e), read(&other)];
    let enroll = ["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--force", "--at", &at];
    for (out, found) in [(&state, "state database"), (&other, "issuer file")] {
        fails(
            &[&enroll[..], &["--out", out]].concat(),
            &["the wallet file", &format!("is the {found}; refusing to overwrite it")],
        );
    }
    for out in [&state, &e] {
        fails(&["issuer", "init", "--out", out, "--force", "--at", &at], &["refusing to overwrite it"]);
    }
    assert_eq!([read(&state), read(&e), read(&other)], before);
    assert_eq!(verify(&issuer, &state, &code, T, &[]).1["code"], "replayed");
    // A wallet over a wallet, an issuer over an issuer, as asked.
    CLI.stdout(&[&enroll[..], &["--out", &e]].concat());
    CLI.stdout(&["issuer", "init", "--out", &other, "--force", "--at", &at]);
}

#[test]
fn wallet_enroll_refuses_a_first_counter_with_which_no_code_can_be_made() {
    // spec: R-GEN-1: at 2^32 - 1 the counters are used up: the issuer would
    // record an account or a batch whose wallet makes no code.
    let dir = TempDir::new("files-enroll-counter");
    let (issuer, ..) = world(&dir);
    let at = T.to_string();
    for profile in ["hmac", "ed25519"] {
        let before = std::fs::read(&issuer).unwrap();
        let out = dir.arg(format!("{profile}-exhausted.json"));
        let args =
            ["wallet", "enroll", "--issuer", &issuer, "--profile", profile, "--out", &out, "--at", &at];
        fails(&[&args[..], &["--counter", "4294967295"]].concat(), &["--counter", "4294967295"]);
        assert!(!Path::new(&out).exists());
        assert_eq!(std::fs::read(&issuer).unwrap(), before, "the issuer recorded nothing");
        // The last counter a wallet can use is taken, and its one code is made.
        CLI.stdout(&[&args[..], &["--counter", "4294967294"]].concat());
        assert_eq!(
            json(&CLI.stdout(&["code", "--wallet", &out, "--at", &at, "--json"]))["counter"],
            4_294_967_294_u64
        );
    }
}

#[test]
fn the_numeric_form_is_refused_for_its_counter_only() {
    // spec: R-HMAC-4: the counter (>= 2^16) decides, not the account id,
    // which the numeric form carries as a handle.
    let dir = TempDir::new("files-numeric-unavailable");
    let (issuer, ..) = world(&dir);
    let at = T.to_string();
    let big = dir.arg("big.json");
    let args = ["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &big, "--at", &at];
    CLI.stdout(&[&args[..], &["--account-id", "1073741824"]].concat());
    assert_eq!(CLI.stdout(&["code", "--wallet", &big, "--at", &at, "--only", "digits"]).trim().len(), 24);
    let high = dir.arg("high.json");
    let args = ["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &high, "--at", &at];
    CLI.stdout(&[&args[..], &["--counter", "65536"]].concat());
    let before = std::fs::read(&high).unwrap();
    let err = fails(&["code", "--wallet", &high, "--at", &at, "--only", "digits"], &["numeric-unavailable"]);
    assert!(err.contains("counter is 65536 or more") && !err.contains("account id"), "{err}");
    assert_eq!(std::fs::read(&high).unwrap(), before, "nothing was spent");
}
