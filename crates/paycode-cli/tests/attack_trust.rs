//! Attacks on the trust list of offline terminals, each replayed as a script
//! against the `paycode` command and refused as the spec says: a trust list
//! signed by an issuer key or by a foreign root key, an older or replayed
//! trust list that would bring back a dropped key, and a list numbered far
//! ahead to block the issuer's later ones (spec §4.6, §10.5, §12.15).
//!
//! The terminal is configured with the issuer's root public key
//! (`verify --root-key`) and is offered trust lists as files
//! (`verify --trust-list`); its state database keeps the list it installed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use paycode::codec::{from_hex, to_hex};
use paycode::hazmat::eddsa::SecretKey;
use paycode::trust::{TrustHeader, TrustList};
use paycode_test_support::TempDir;
use serde_json::Value;

mod scripts;
use scripts::{CLI, T, code, edit, s};

/// An issuer made at `T` and one ed25519 wallet of its key 1, enrolled at `T`.
fn setup(dir: &TempDir) -> (PathBuf, PathBuf) {
    let issuer = scripts::issuer(dir, &[]);
    let wallet = enroll(dir, &issuer, "wallet.json");
    (issuer, wallet)
}

/// Another ed25519 wallet of `issuer`'s current key, enrolled at `T`, written to `name`.
fn enroll(dir: &TempDir, issuer: &Path, name: &str) -> PathBuf {
    scripts::enroll(dir, issuer, "ed25519", name, &[])
}

/// `issuer trust-list` at `at`, writing the list to `out`: the root key it prints.
fn publish(issuer: &Path, at: u64, out: &Path) -> String {
    let printed = CLI.stdout(&[
        "issuer",
        "trust-list",
        "--issuer",
        s(issuer),
        "--at",
        &at.to_string(),
        "--out",
        s(out),
    ]);
    printed.trim().rsplit(' ').next().unwrap().to_owned()
}

/// Verifies `text` at `at` for 100 at the terminal configured with `root`,
/// offered the trust list in `list`: exit status, the verdict's code
/// ("accepted" for an acceptance) or, for a refused configuration, its
/// message on standard error.
fn verify(issuer: &Path, state: &Path, root: &str, list: &Path, text: &str, at: u64) -> (i32, String) {
    let at = at.to_string();
    let mut args = vec![
        "verify",
        "--issuer",
        s(issuer),
        "--state",
        s(state),
        "--root-key",
        root,
        "--trust-list",
        s(list),
        "--at",
        &at,
        "--json",
        "--amount",
        "100",
    ];
    if !state.exists() {
        args.push("--init");
    }
    args.extend_from_slice(&["--", text]);
    let out = CLI.run(&args);
    let status = out.status.code().unwrap();
    if status == 2 {
        return (status, String::from_utf8_lossy(&out.stderr).into_owned());
    }
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdict = if v["verdict"] == "accepted" {
        "accepted".to_owned()
    } else {
        v["code"].as_str().unwrap().to_owned()
    };
    (status, verdict)
}

/// Adds key 2 (key 1's period) to the issuer file and enrolls a wallet of
/// it, written to `name`; key 1 stays the key that signs revocation lists.
fn add_key_2(dir: &TempDir, issuer: &Path, name: &str) -> PathBuf {
    edit(issuer, |v| {
        let mut key = v["keys"][0].clone();
        key["key_id"] = Value::from(2);
        v["keys"].as_array_mut().unwrap().push(key);
        v["current_key_id"] = Value::from(2);
    });
    let wallet = enroll(dir, issuer, name);
    edit(issuer, |v| v["current_key_id"] = Value::from(1));
    wallet
}

/// The list in `file` (hex), its entries signed again by `key` as list `sequence` issued at `at`.
fn resigned(file: &Path, key: &SecretKey, sequence: u64, at: u64, to: &Path) {
    let list = TrustList::decode(&from_hex(std::fs::read_to_string(file).unwrap().trim()).unwrap()).unwrap();
    let forged =
        TrustList::issue(TrustHeader { sequence, issued_at: at }, key, list.entries().to_vec()).unwrap();
    std::fs::write(to, to_hex(&forged.encode())).unwrap();
}

#[test]
fn a_trust_list_not_signed_by_the_root_key_is_refused() {
    // spec: R-TRUST-3. Key 1's secret leaked: its holder signs a trust list
    // adding a key of the issuer's it controls (key 2), and so does a stranger.
    let dir = TempDir::new("attack-trust-signature");
    let (issuer, wallet) = setup(&dir);
    let state = dir.join("state.db");
    let list_1 = dir.join("list-1.hex");
    let root = publish(&issuer, T, &list_1);
    assert_eq!(verify(&issuer, &state, &root, &list_1, &code(&wallet, T), T), (0, "accepted".into()));
    let rogue = add_key_2(&dir, &issuer, "rogue.json");
    let list_2 = dir.join("list-2.hex");
    publish(&issuer, T + 60, &list_2);
    let seed: Value = serde_json::from_str(&std::fs::read_to_string(&issuer).unwrap()).unwrap();
    let seed = from_hex(seed["issuer_seed"].as_str().unwrap()).unwrap();
    let key_1 = paycode::Issuer::from_seed(&paycode::Seed::try_from(seed.as_slice()).unwrap()).key(1);
    let by_key_1 = dir.join("by-key-1.hex");
    resigned(&list_2, &key_1, 4, T + 60, &by_key_1);
    let by_stranger = dir.join("by-stranger.hex");
    resigned(&list_2, &SecretKey::from_secret(&[0x5a; 32]), 4, T + 60, &by_stranger);
    // Both are refused, with the cause named, and nothing is installed.
    for forged in [&by_key_1, &by_stranger] {
        let (status, message) = verify(&issuer, &state, &root, forged, &code(&rogue, T + 60), T + 60);
        assert_eq!(status, 2, "{message}");
        assert!(message.contains("the list's signature is invalid"), "{message}");
        // The trust list file is named as the cause, not the issuer file.
        let named = format!("the trust list file {}: not installed under the root key", forged.display());
        assert!(message.contains(&named) && !message.contains("the issuer file "), "{message}");
    }
    // The issuer's own list 1 is still in force: key 2 is unknown here.
    assert_eq!(
        verify(&issuer, &state, &root, &list_1, &code(&rogue, T + 61), T + 61),
        (1, "unknown-issuer".into())
    );
    // The list signed by the root key installs.
    assert_eq!(
        verify(&issuer, &state, &root, &list_2, &code(&rogue, T + 62), T + 62),
        (0, "accepted".into())
    );
}

#[test]
fn an_older_or_replayed_trust_list_does_not_bring_a_dropped_key_back() {
    // spec: R-TRUST-4. Key 1 leaked; the issuer drops it for key 2.
    let dir = TempDir::new("attack-trust-rollback");
    let (issuer, old) = setup(&dir);
    let state = dir.join("state.db");
    let list_1 = dir.join("list-1.hex");
    let root = publish(&issuer, T, &list_1);
    assert_eq!(verify(&issuer, &state, &root, &list_1, &code(&old, T), T), (0, "accepted".into()));
    edit(&issuer, |v| {
        v["keys"][0]["key_id"] = Value::from(2);
        v["current_key_id"] = Value::from(2);
    });
    let new = enroll(&dir, &issuer, "new.json");
    let list_2 = dir.join("list-2.hex");
    publish(&issuer, T + 60, &list_2);
    // With a revocation list signed by key 2: the one key 1 signed stops counting (R-REVOKE-6).
    CLI.stdout(&["issuer", "revoke", "--issuer", s(&issuer), "--at", &(T + 60).to_string()]);
    // The terminal installs list 2: key 1 is no longer trusted.
    assert_eq!(
        verify(&issuer, &state, &root, &list_2, &code(&old, T + 60), T + 60),
        (1, "unknown-issuer".into())
    );
    // The holder of key 1 replays list 1, validly signed by the root key: not newer, refused.
    assert_eq!(
        verify(&issuer, &state, &root, &list_1, &code(&old, T + 61), T + 61),
        (1, "unknown-issuer".into())
    );
    // List 2 again (a replay of the installed one) changes nothing either.
    assert_eq!(
        verify(&issuer, &state, &root, &list_2, &code(&old, T + 62), T + 62),
        (1, "unknown-issuer".into())
    );
    assert_eq!(verify(&issuer, &state, &root, &list_2, &code(&new, T + 63), T + 63), (0, "accepted".into()));
}

#[test]
fn a_trust_list_numbered_far_ahead_is_refused() {
    // spec: R-TRUST-4. Whoever holds the root key signs list 2^64 - 1, to
    // block every later list; one dated a day ahead is refused too.
    let dir = TempDir::new("attack-trust-far-ahead");
    let (issuer, wallet) = setup(&dir);
    let state = dir.join("state.db");
    let list_1 = dir.join("list-1.hex");
    let root = publish(&issuer, T, &list_1);
    assert_eq!(verify(&issuer, &state, &root, &list_1, &code(&wallet, T), T), (0, "accepted".into()));
    let seed: Value = serde_json::from_str(&std::fs::read_to_string(&issuer).unwrap()).unwrap();
    let seed = from_hex(seed["issuer_seed"].as_str().unwrap()).unwrap();
    let root_key = paycode::Issuer::from_seed(&paycode::Seed::try_from(seed.as_slice()).unwrap()).root_key();
    let rogue = add_key_2(&dir, &issuer, "rogue.json");
    let keys_1_2 = dir.join("keys-1-2.hex");
    let published = publish(&issuer, T + 60, &keys_1_2);
    assert_eq!(published, root);
    let far = dir.join("far.hex");
    resigned(&keys_1_2, &root_key, u64::MAX, T + 60, &far);
    let ahead = dir.join("ahead.hex");
    resigned(&keys_1_2, &root_key, 3, T + 86_400, &ahead);
    // Both are not newer: the terminal keeps list 1, under which key 2 is unknown.
    assert_eq!(
        verify(&issuer, &state, &root, &far, &code(&rogue, T + 60), T + 60),
        (1, "unknown-issuer".into())
    );
    assert_eq!(
        verify(&issuer, &state, &root, &ahead, &code(&rogue, T + 61), T + 61),
        (1, "unknown-issuer".into())
    );
    // The issuer's next list, a minute on, installs as if neither had been offered.
    assert_eq!(
        verify(&issuer, &state, &root, &keys_1_2, &code(&rogue, T + 62), T + 62),
        (0, "accepted".into())
    );
}

#[test]
fn verify_init_with_a_bad_root_key_or_trust_list_makes_no_state() {
    // The terminal's configuration is read before its state is created: a
    // refused one leaves no state database behind.
    let dir = TempDir::new("attack-trust-init");
    let (issuer, wallet) = setup(&dir);
    let list = dir.join("trust.hex");
    let root = publish(&issuer, T, &list);
    let text = code(&wallet, T);
    let garbage = dir.join("garbage.hex");
    std::fs::write(&garbage, "zz").unwrap();
    for (case, root, list) in [("root key", "00", &list), ("trust list", root.as_str(), &garbage)] {
        let state = dir.join(format!("state-{}.db", case.replace(' ', "-")));
        let (status, message) = verify(&issuer, &state, root, list, &text, T);
        assert_eq!(status, 2, "{case}: {message}");
        assert!(!state.exists(), "{case}: {message}");
    }
}
