//! Attacks on the revocation lists of offline terminals, each replayed as a
//! script against the `paycode` command and refused with the spec's error
//! code: a terminal kept from newer lists, a list numbered at the end of
//! its range, and a list signed by a key the trust list has dropped (spec
//! §10.5, §12.13).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use paycode_test_support::TempDir;
use serde_json::Value;

mod scripts;
use scripts::{CLI, T, code, edit, s};

/// An issuer made at `T` with `args`, and one ed25519 wallet enrolled at `T`.
fn setup(dir: &TempDir, args: &[&str]) -> (PathBuf, PathBuf) {
    let issuer = scripts::issuer(dir, args);
    let wallet = enroll(dir, &issuer, "wallet.json");
    (issuer, wallet)
}

/// Another ed25519 wallet of `issuer`, enrolled at `T`, written to `name`:
/// a batch of one credential, whose serial alone revokes the wallet.
fn enroll(dir: &TempDir, issuer: &Path, name: &str) -> PathBuf {
    scripts::enroll(dir, issuer, "ed25519", name, &["--batch", "1"])
}

/// The serial of an ed25519 wallet's credential (bytes 2..10 of it).
fn serial(wallet: &Path) -> u64 {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(wallet).unwrap()).unwrap();
    let credential = v["credentials"][0]["credential"].as_str().unwrap();
    u64::from_str_radix(&credential[4..20], 16).unwrap()
}

/// Verifies `text` at `at` for 100 with the issuer file `issuer` (the lists
/// the terminal has received) and the state `state`: exit status and the
/// verdict's code, "accepted" for an acceptance. Nothing on standard error.
fn verify(issuer: &Path, state: &Path, text: &str, at: u64) -> (i32, String) {
    let at = at.to_string();
    let mut args =
        vec!["verify", "--issuer", s(issuer), "--state", s(state), "--at", &at, "--json", "--amount", "100"];
    if !state.exists() {
        args.push("--init");
    }
    args.extend_from_slice(&["--", text]);
    let out = CLI.run(&args);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdict = if v["verdict"] == "accepted" {
        "accepted".to_owned()
    } else {
        v["code"].as_str().unwrap().to_owned()
    };
    (out.status.code().unwrap(), verdict)
}

/// `issuer revoke` at `at`, of `serials` (none: a fresh list).
fn revoke(issuer: &Path, at: u64, serials: &[u64]) {
    let at = at.to_string();
    let serials: Vec<String> = serials.iter().map(u64::to_string).collect();
    let mut args = vec!["issuer", "revoke", "--issuer", s(issuer), "--at", &at];
    for serial in &serials {
        args.extend_from_slice(&["--serial", serial]);
    }
    CLI.stdout(&args);
}

/// A copy of `issuer` at `to`: what a terminal received then.
fn snapshot(issuer: &Path, to: &Path) {
    std::fs::copy(issuer, to).unwrap();
}

#[test]
fn an_issuer_publishes_a_list_with_no_revoked_serial() {
    // spec: R-REVOKE-5: from `issuer init` on, so an ed25519 terminal works at once.
    let dir = TempDir::new("attack-lists-init");
    let (issuer, wallet) = setup(&dir, &[]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&issuer).unwrap()).unwrap();
    assert_eq!(v["revocation"]["number"], 1);
    assert_eq!(v["revocation"]["serials"].as_array().unwrap().len(), 0);
    assert_eq!(
        (v["revocation"]["interval"].as_u64(), v["revocation"]["grace"].as_u64()),
        (Some(86_400), Some(86_400))
    );
    let state = dir.join("state.db");
    assert_eq!(verify(&issuer, &state, &code(&wallet, T), T), (0, "accepted".into()));
    // Fresh through issue + interval + grace, exactly.
    let dir = TempDir::new("attack-lists-edge");
    let (issuer, wallet) = setup(&dir, &["--revocation-interval", "600", "--revocation-grace", "60"]);
    let state = dir.join("state.db");
    let edge = T + 660;
    assert_eq!(verify(&issuer, &state, &code(&wallet, edge), edge), (0, "accepted".into()));
    assert_eq!(verify(&issuer, &state, &code(&wallet, edge + 1), edge + 1), (1, "revocation-stale".into()));
}

#[test]
fn a_terminal_kept_from_newer_lists_refuses_every_credential_once_its_list_is_stale() {
    // spec: R-REVOKE-4. Lists every minute, no grace.
    let dir = TempDir::new("attack-lists-stale");
    let (issuer, honest) = setup(&dir, &["--revocation-interval", "60", "--revocation-grace", "0"]);
    let stolen = enroll(&dir, &issuer, "stolen.json");
    // The terminal receives list 1, then is cut off from the issuer.
    let received = dir.join("received.json");
    snapshot(&issuer, &received);
    let state = dir.join("state.db");
    assert_eq!(verify(&received, &state, &code(&honest, T + 30), T + 30), (0, "accepted".into()));
    // The stolen wallet's credential is revoked; the terminal never hears of it.
    revoke(&issuer, T + 40, &[serial(&stolen)]);
    // Until next_update + grace the terminal still trusts list 1: the exposure the issuer chose.
    assert_eq!(verify(&received, &state, &code(&stolen, T + 60), T + 60), (0, "accepted".into()));
    // Past it, nothing: the revoked credential and the honest one alike.
    assert_eq!(verify(&received, &state, &code(&stolen, T + 61), T + 61), (1, "revocation-stale".into()));
    assert_eq!(verify(&received, &state, &code(&honest, T + 62), T + 62), (1, "revocation-stale".into()));
    // Once the newer list arrives, the revoked credential is revoked and the honest one accepted.
    assert_eq!(verify(&issuer, &state, &code(&stolen, T + 63), T + 63), (1, "revoked".into()));
    assert_eq!(verify(&issuer, &state, &code(&honest, T + 64), T + 64), (0, "accepted".into()));
}

#[test]
fn a_list_numbered_at_the_end_of_the_range_is_refused() {
    // spec: R-REVOKE-2: a holder of the issuer's key signs list 2^64 - 1 to block every later list.
    let dir = TempDir::new("attack-lists-end-of-range");
    let (issuer, wallet) = setup(&dir, &[]);
    let victim = enroll(&dir, &issuer, "victim.json");
    let state = dir.join("state.db");
    assert_eq!(verify(&issuer, &state, &code(&wallet, T), T), (0, "accepted".into()));
    // The forged list: the issuer's own file, its number set to 2^64 - 2, then one more list.
    let forged = dir.join("forged.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&issuer).unwrap()).unwrap();
    v["revocation"]["number"] = Value::from(u64::MAX - 1);
    std::fs::write(&forged, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&forged, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    revoke(&forged, T + 5, &[]);
    let forged_number = serde_json::from_str::<Value>(&std::fs::read_to_string(&forged).unwrap()).unwrap()
        ["revocation"]["number"]
        .as_u64();
    assert_eq!(forged_number, Some(u64::MAX));
    // The terminal is offered it, and refuses it: it keeps list 1.
    assert_eq!(verify(&forged, &state, &code(&wallet, T + 5), T + 5), (0, "accepted".into()));
    // The issuer's next list, a minute later, is installed: the victim's revocation reaches the terminal.
    revoke(&issuer, T + 65, &[serial(&victim)]);
    assert_eq!(verify(&issuer, &state, &code(&victim, T + 65), T + 65), (1, "revoked".into()));
    // And the forged list stays refused.
    assert_eq!(verify(&forged, &state, &code(&victim, T + 70), T + 70), (1, "revoked".into()));
}

#[test]
fn a_list_signed_by_a_key_the_trust_list_dropped_stops_counting() {
    // spec: R-REVOKE-6. Key 1 may be compromised: a list it signed may leave out revocations.
    let dir = TempDir::new("attack-lists-recheck");
    let (issuer, old) = setup(&dir, &[]);
    let state = dir.join("state.db");
    // The terminal installs list 1, signed by key 1.
    assert_eq!(verify(&issuer, &state, &code(&old, T), T), (0, "accepted".into()));
    // The issuer retires key 1 for key 2 and enrolls a wallet under key 2.
    edit(&issuer, |v| {
        let key = v["keys"][0].clone();
        v["keys"] = Value::from(vec![key]);
        v["keys"][0]["key_id"] = Value::from(2);
        v["current_key_id"] = Value::from(2);
    });
    let new = enroll(&dir, &issuer, "new.json");
    // The issuer publishes the trust list without key 1 (spec: R-TRUST-4: a new sequence number).
    CLI.stdout(&["issuer", "trust-list", "--issuer", s(&issuer), "--at", &T.to_string()]);
    // The terminal receives the trust list without key 1; the list it holds is not replaced
    // (the issuer's list 1, now signed by key 2, is not newer), and no longer counts.
    assert_eq!(verify(&issuer, &state, &code(&new, T + 1), T + 1), (1, "revocation-stale".into()));
    assert_eq!(verify(&issuer, &state, &code(&old, T + 2), T + 2), (1, "unknown-issuer".into()));
    // A list signed by key 2 with a higher number restores service.
    revoke(&issuer, T + 60, &[]);
    assert_eq!(verify(&issuer, &state, &code(&new, T + 61), T + 61), (0, "accepted".into()));
}

#[test]
fn a_list_whose_key_is_not_valid_at_its_issue_time_is_never_written() {
    // spec: R-REVOKE-1: a terminal refuses such a list, and with it the issuer
    // file, for every code; a list's issue time never goes back, so a later
    // list could not replace it.
    let dir = TempDir::new("attack-lists-key-period");
    let (issuer, wallet) = setup(&dir, &[]);
    let hmac = scripts::enroll(&dir, &issuer, "hmac", "hmac.json", &[]);
    let before = std::fs::read(&issuer).unwrap();
    // Key 1 is valid for a year from `issuer init`.
    let late = (T + 366 * 86_400).to_string();
    let out = CLI.run(&["issuer", "revoke", "--issuer", s(&issuer), "--at", &late]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("signed with key 1") && stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(std::fs::read(&issuer).unwrap(), before, "the issuer file is unchanged");
    // The terminal goes on verifying with the issuer file, and a list in the key's period is published.
    let state = dir.join("state.db");
    assert_eq!(verify(&issuer, &state, &code(&hmac, T + 1), T + 1), (0, "accepted".into()));
    revoke(&issuer, T + 60, &[serial(&wallet)]);
    assert_eq!(verify(&issuer, &state, &code(&wallet, T + 61), T + 61), (1, "revoked".into()));
}
