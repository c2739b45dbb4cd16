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
