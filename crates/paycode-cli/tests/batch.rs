//! An ed25519 payer's batch of credentials through the `paycode` command:
//! codes in turn that share nothing a merchant could link, revocation of the
//! payer's whole batch, and a per-terminal limit that the batch splits
//! rather than multiplies (spec R-BATCH-1 to R-BATCH-5).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use paycode_test_support::TempDir;
use serde_json::Value;

mod scripts;
use scripts::{CLI, T, code, s};

/// The byte ranges of a one-way ed25519 payload (spec §4.4) that belong to
/// one credential alone: the serial and device key (16..56), and the issuer's
/// and the code's signatures (76..204). The rest is the version, mode, step
/// and counter, and the terms every credential of the batch shares (key id,
/// not_before, lifetime, limits).
const PER_CREDENTIAL: [(usize, usize); 2] = [(16, 56), (76, 204)];

/// `code --json` of the wallet at `at`.
fn code_json(wallet: &Path, at: u64) -> Value {
    serde_json::from_str(&CLI.stdout(&["code", "--wallet", s(wallet), "--at", &at.to_string(), "--json"]))
        .unwrap()
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
}

/// Verifies `text` at `at` for `amount` with the issuer file and the state:
/// "accepted" or the verdict's code.
fn verify(issuer: &Path, state: &Path, text: &str, at: u64, amount: u64) -> String {
    let (at, amount) = (at.to_string(), amount.to_string());
    let mut args = vec![
        "verify",
        "--issuer",
        s(issuer),
        "--state",
        s(state),
        "--at",
        &at,
        "--json",
        "--amount",
        &amount,
    ];
    if !state.exists() {
        args.push("--init");
    }
    args.extend_from_slice(&["--", text]);
    let out = CLI.run(&args);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    if v["verdict"] == "accepted" { "accepted".to_owned() } else { v["code"].as_str().unwrap().to_owned() }
}

/// An issuer at `T` and a payer's wallet with a batch of `batch`, with `args`.
fn setup(dir: &TempDir, batch: u32, args: &[&str]) -> (std::path::PathBuf, std::path::PathBuf, Value) {
    let issuer = scripts::issuer(dir, &[]);
    let wallet = dir.join("wallet.json");
    let (at, n) = (T.to_string(), batch.to_string());
    let base = [
        "wallet",
        "enroll",
        "--issuer",
        s(&issuer),
        "--profile",
        "ed25519",
        "--out",
        s(&wallet),
        "--at",
        &at,
        "--batch",
        &n,
        "--json",
    ];
    let out: Value = serde_json::from_str(&CLI.stdout(&[&base[..], args].concat())).unwrap();
    (issuer, wallet, out)
}

#[test]
fn consecutive_codes_share_no_serial_no_key_and_no_eight_bytes() {
    // spec: R-BATCH-1, R-BATCH-2, R-BATCH-4
    let dir = TempDir::new("batch-unlinkable");
    let (issuer, wallet, enrolled) = setup(&dir, 8, &[]);
    assert_eq!(enrolled["serials"].as_array().unwrap().len(), 8);
    let (a, b) = (code_json(&wallet, T), code_json(&wallet, T));
    let (pa, pb) = (unhex(a["payload"].as_str().unwrap()), unhex(b["payload"].as_str().unwrap()));
    assert_eq!((pa.len(), pb.len()), (204, 204));
    assert_eq!((a["counter"].as_u64(), b["counter"].as_u64()), (Some(0), Some(0)), "one code per credential");
    assert_ne!(pa[16..24], pb[16..24], "serials");
    assert_ne!(pa[24..56], pb[24..56], "device keys");
    // The terms are the batch's: the same bytes in both.
    assert_eq!(pa[56..76], pb[56..76]);
    for (from, to) in PER_CREDENTIAL {
        for w in pa[from..to].windows(8) {
            assert!(
                !pb.windows(8).any(|x| x == w),
                "an 8-byte window of bytes {from}..{to} is in the other code"
            );
        }
    }
    let state = dir.join("state.db");
    for c in [&a, &b] {
        assert_eq!(verify(&issuer, &state, c["text"].as_str().unwrap(), T, 100), "accepted");
    }
}

#[test]
fn the_batch_is_used_in_turn_then_again_with_the_next_counters() {
    // spec: R-BATCH-4
    let dir = TempDir::new("batch-in-turn");
    let (issuer, wallet, enrolled) = setup(&dir, 3, &[]);
    let serials: Vec<u64> =
        enrolled["serials"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let state = dir.join("state.db");
    let mut seen = Vec::new();
    for _ in 0..7 {
        let c = code_json(&wallet, T);
        let serial = u64::from_str_radix(&c["payload"].as_str().unwrap()[32..48], 16).unwrap();
        seen.push((serial, c["counter"].as_u64().unwrap()));
        assert_eq!(verify(&issuer, &state, c["text"].as_str().unwrap(), T, 10), "accepted");
    }
    let (x, y, z) = (serials[0], serials[1], serials[2]);
    assert_eq!(seen, [(x, 0), (y, 0), (z, 0), (x, 1), (y, 1), (z, 1), (x, 2)]);
}

#[test]
fn revoking_the_payer_revokes_every_credential_of_its_batch() {
    // spec: R-BATCH-5
    let dir = TempDir::new("batch-revoke-payer");
    let (issuer, wallet, enrolled) = setup(&dir, 4, &[]);
    let payer = enrolled["payer"].as_u64().unwrap().to_string();
    let other = scripts::enroll(&dir, &issuer, "ed25519", "other.json", &["--batch", "2"]);
    CLI.stdout(&[
        "issuer",
        "revoke",
        "--issuer",
        s(&issuer),
        "--payer",
        &payer,
        "--at",
        &(T + 1).to_string(),
    ]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&issuer).unwrap()).unwrap();
    let mut listed: Vec<u64> =
        v["revocation"]["serials"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()).collect();
    let mut serials: Vec<u64> =
        enrolled["serials"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()).collect();
    listed.sort_unstable();
    serials.sort_unstable();
    assert_eq!(listed, serials, "the batch's serials and nothing else");
    let state = dir.join("state.db");
    for _ in 0..4 {
        assert_eq!(verify(&issuer, &state, &code(&wallet, T + 2), T + 2, 10), "revoked");
    }
    assert_eq!(verify(&issuer, &state, &code(&other, T + 2), T + 2, 10), "accepted");
    // Revoking one serial keeps working: the other payer's next credential.
    let next: Value = serde_json::from_str(&std::fs::read_to_string(&other).unwrap()).unwrap();
    let hex = next["credentials"][1]["credential"].as_str().unwrap();
    let serial = u64::from_str_radix(&hex[4..20], 16).unwrap().to_string();
    CLI.stdout(&[
        "issuer",
        "revoke",
        "--issuer",
        s(&issuer),
        "--serial",
        &serial,
        "--at",
        &(T + 3).to_string(),
    ]);
    assert_eq!(verify(&issuer, &state, &code(&other, T + 4), T + 4, 10), "revoked");
    assert_eq!(
        verify(&issuer, &state, &code(&other, T + 4), T + 4, 10),
        "accepted",
        "its first credential again"
    );
}

#[test]
fn a_clone_through_the_whole_batch_gets_at_most_the_payer_limit_at_one_terminal() {
    // spec: R-BATCH-3: 4 credentials share the payer's 1000 at one terminal: 250 each.
    let dir = TempDir::new("batch-limit");
    let (issuer, wallet, _) = setup(&dir, 4, &["--payer-limit", "1000"]);
    let clone = dir.join("clone.json");
    std::fs::copy(&wallet, &clone).unwrap();
    let state = dir.join("state.db");
    let mut total = 0;
    // The clone spends through every credential of the batch, and again;
    // then the owner's codes, which it copied, come too late.
    let tries = [(&clone, 250u64), (&clone, 250), (&clone, 250), (&clone, 250), (&clone, 250), (&clone, 1)];
    let tries = tries.into_iter().chain([(&clone, 1), (&clone, 1), (&wallet, 1), (&wallet, 250)]);
    let mut verdicts = Vec::new();
    for (n, (from, amount)) in tries.enumerate() {
        let at = T + n as u64;
        let verdict = verify(&issuer, &state, &code(from, at), at, amount);
        if verdict == "accepted" {
            total += amount;
        }
        verdicts.push(verdict);
    }
    assert_eq!(verdicts[..5], ["accepted", "accepted", "accepted", "accepted", "over-limit"]);
    assert_eq!(total, 1000, "the payer's limit at this terminal, not 4 times it");
    // A batch whose limits add up to more than the payer's is refused.
    let out = CLI.run(&[
        "wallet",
        "enroll",
        "--issuer",
        s(&issuer),
        "--profile",
        "ed25519",
        "--out",
        s(&dir.join("w2.json")),
        "--at",
        &T.to_string(),
        "--batch",
        "4",
        "--payer-limit",
        "1000",
        "--cumulative",
        "251",
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("add up to more"));
}

#[test]
fn renewal_gives_new_keys_and_serials_that_verify() {
    // spec: R-BATCH-1: the new batch's indexes continue after the old one's.
    let dir = TempDir::new("batch-renew");
    let (issuer, wallet, enrolled) = setup(&dir, 2, &[]);
    let first = code_json(&wallet, T);
    let out = CLI.stdout(&[
        "wallet",
        "renew",
        "--issuer",
        s(&issuer),
        "--wallet",
        s(&wallet),
        "--at",
        &T.to_string(),
        "--batch",
        "3",
        "--json",
    ]);
    let renewed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(renewed["payer"], enrolled["payer"]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&wallet).unwrap()).unwrap();
    let indexes: Vec<u64> =
        v["credentials"].as_array().unwrap().iter().map(|c| c["index"].as_u64().unwrap()).collect();
    assert_eq!((indexes, v["next_key_index"].as_u64()), (vec![2, 3, 4], Some(5)));
    let old: Vec<&Value> = enrolled["serials"].as_array().unwrap().iter().collect();
    assert!(renewed["serials"].as_array().unwrap().iter().all(|s| !old.contains(&s)));
    let state = dir.join("state.db");
    assert_eq!(verify(&issuer, &state, first["text"].as_str().unwrap(), T, 10), "accepted");
    let next = code_json(&wallet, T);
    assert_ne!(next["payload"].as_str().unwrap()[48..112], first["payload"].as_str().unwrap()[48..112]);
    assert_eq!(verify(&issuer, &state, next["text"].as_str().unwrap(), T, 10), "accepted");
    // Revoking the payer takes the old batch and the new one.
    let payer = enrolled["payer"].as_u64().unwrap().to_string();
    CLI.stdout(&[
        "issuer",
        "revoke",
        "--issuer",
        s(&issuer),
        "--payer",
        &payer,
        "--at",
        &(T + 1).to_string(),
    ]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&issuer).unwrap()).unwrap();
    assert_eq!(v["revocation"]["serials"].as_array().unwrap().len(), 5);
}

#[test]
fn reconciliation_names_the_payer_of_a_clone() {
    // spec: R-BATCH-5: the issuer's mapping relates the serials of the batch.
    let dir = TempDir::new("batch-reconcile");
    let (issuer, wallet, enrolled) = setup(&dir, 2, &["--payer-limit", "1000"]);
    let payer = enrolled["payer"].as_u64().unwrap();
    let clone = dir.join("clone.json");
    std::fs::copy(&wallet, &clone).unwrap();
    let (t1, t2) = (dir.join("t1.db"), dir.join("t2.db"));
    // The clone spends both credentials at terminal 1; the owner, a step later, at terminal 2.
    for _ in 0..2 {
        assert_eq!(verify(&issuer, &t1, &code(&clone, T), T, 500), "accepted");
    }
    for _ in 0..2 {
        let at = (T + 60).to_string();
        let text = code(&wallet, T + 60);
        let args = ["verify", "--issuer", s(&issuer), "--state", s(&t2), "--at", &at, "--amount", "500"];
        let mut args = args.to_vec();
        if !t2.exists() {
            args.push("--init");
        }
        args.extend_from_slice(&["--terminal-id", "2", "--", &text]);
        assert!(CLI.run(&args).status.success());
    }
    let (l1, l2) = (dir.join("t1.log"), dir.join("t2.log"));
    CLI.stdout(&["log", "export", "--state", s(&t1), "--out", s(&l1)]);
    CLI.stdout(&["log", "export", "--state", s(&t2), "--out", s(&l2)]);
    let out = CLI.run(&["reconcile", "--issuer", s(&issuer), s(&l1), s(&l2), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let rec: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rec["flagged_payers"], serde_json::json!([payer]));
    let mut serials: Vec<u64> =
        enrolled["serials"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()).collect();
    serials.sort_unstable();
    let p = &rec["payers"][0];
    assert_eq!(p["payer"].as_u64(), Some(payer));
    assert_eq!(p["serials"], serde_json::json!(serials));
    assert_eq!(p["flagged_serials"], serde_json::json!(serials), "a double on each credential");
    assert_eq!(p["codes"], 4);
    // Each terminal: 1000 of the batch's 2 * 500.
    for t in p["terminals"].as_array().unwrap() {
        assert_eq!((t["total"].as_u64(), t["limit"].as_u64()), (Some(1000), Some(1000)), "{t}");
    }
    let text = CLI.run(&["reconcile", "--issuer", s(&issuer), s(&l1), s(&l2)]);
    assert!(String::from_utf8_lossy(&text.stdout).contains(&format!("revoke payers: {payer}")));
}

#[test]
fn a_wallet_holding_one_device_key_index_twice_makes_no_code() {
    // spec: R-GEN-1: two entries of one index are one credential, whose
    // counters each entry would use again.
    let dir = TempDir::new("batch-index-twice");
    let (_issuer, wallet, _) = setup(&dir, 2, &[]);
    scripts::edit(&wallet, |v| {
        let first = v["credentials"][0].clone();
        v["credentials"] = Value::from(vec![first.clone(), first]);
    });
    let before = std::fs::read(&wallet).unwrap();
    for _ in 0..2 {
        let out = CLI.run(&["code", "--wallet", s(&wallet), "--at", &T.to_string(), "--only", "text"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty(), "no code is shown");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("device key index 0 is held twice"), "{stderr}");
    }
    assert_eq!(std::fs::read(&wallet).unwrap(), before, "no counter moved");
}

#[test]
fn a_renewal_never_uses_a_device_key_index_the_wallet_holds() {
    // spec: R-BATCH-1: a next_key_index at or below a held index is refused.
    let dir = TempDir::new("batch-next-index");
    let (issuer, wallet, _) = setup(&dir, 2, &[]);
    let renew = |wallet: &Path| {
        CLI.run(&["wallet", "renew", "--issuer", s(&issuer), "--wallet", s(wallet), "--at", &T.to_string()])
    };
    scripts::edit(&wallet, |v| v["next_key_index"] = Value::from(1));
    let out = renew(&wallet);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("\"next_key_index\" 1 is not above 1"), "{stderr}");
    // Without next_key_index, the new batch starts after the indexes held.
    scripts::edit(&wallet, |v| {
        v.as_object_mut().unwrap().remove("next_key_index");
    });
    let out = renew(&wallet);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&wallet).unwrap()).unwrap();
    let indexes: Vec<u64> =
        v["credentials"].as_array().unwrap().iter().map(|c| c["index"].as_u64().unwrap()).collect();
    assert_eq!((indexes.first().copied(), v["next_key_index"].as_u64()), (Some(2), Some(10)));
}
