//! Attacks on an offline terminal's clock, each replayed as a script against
//! the `paycode` command and refused with the spec's error code: a clock set
//! back to make a stale revocation list fresh again, to revive an expired
//! credential, and, after the state was restored from a backup, to reopen a
//! code accepted before the loss (spec §2.6, §12.7).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use paycode_test_support::TempDir;
use serde_json::Value;

mod scripts;
use scripts::{CLI, T, code, s};

/// An issuer made at `T` with `args`, and one ed25519 wallet enrolled at `T`
/// with `enroll` added to its arguments.
fn setup(dir: &TempDir, args: &[&str], enroll: &[&str]) -> (PathBuf, PathBuf) {
    let issuer = scripts::issuer(dir, args);
    let wallet = scripts::enroll(dir, &issuer, "ed25519", "wallet.json", enroll);
    (issuer, wallet)
}

/// What one `verify` printed.
struct Verdict {
    status: i32,
    /// "accepted", or the rejection's code.
    code: String,
    stderr: String,
}

/// Verifies `text` at `at` for 100 with the issuer file `issuer` and the
/// state `state` (created if missing), with `more` arguments.
fn verify(issuer: &Path, state: &Path, text: &str, at: u64, more: &[&str]) -> Verdict {
    let at = at.to_string();
    let mut args =
        vec!["verify", "--issuer", s(issuer), "--state", s(state), "--at", &at, "--json", "--amount", "100"];
    if !state.exists() && !more.contains(&"--state-lost") {
        args.push("--init");
    }
    args.extend_from_slice(more);
    args.extend_from_slice(&["--", text]);
    let out = CLI.run(&args);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let code = if v["verdict"] == "accepted" {
        "accepted".to_owned()
    } else {
        v["code"].as_str().unwrap().to_owned()
    };
    Verdict {
        status: out.status.code().unwrap(),
        code,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Asserts that the verdict is `code` (exit 0 for "accepted", else 1) and
/// whether the clock was reported below the time floor.
fn assert_verdict(v: &Verdict, code: &str, clock_below_floor: bool) {
    assert_eq!(v.code, code, "stderr: {}", v.stderr);
    assert_eq!(v.status, i32::from(code != "accepted"));
    assert_eq!(v.stderr.contains("below the time floor"), clock_below_floor, "stderr: {}", v.stderr);
}

#[test]
fn a_clock_set_back_does_not_make_a_stale_list_fresh() {
    // spec: R-TIME-8, R-REVOKE-4. A list every minute, no grace: stale after T + 60.
    let dir = TempDir::new("attack-clock-stale");
    let (issuer, wallet) = setup(&dir, &["--revocation-interval", "60", "--revocation-grace", "0"], &[]);
    let state = dir.join("state.db");
    assert_verdict(&verify(&issuer, &state, &code(&wallet, T + 30), T + 30, &[]), "accepted", false);
    // The terminal, cut off from newer lists, sees its list go stale at T + 125 ...
    assert_verdict(
        &verify(&issuer, &state, &code(&wallet, T + 125), T + 125, &[]),
        "revocation-stale",
        false,
    );
    // ... and a clock set back to T + 40 does not make it fresh: the verifier
    // time is the floor T + 120, the start of the high-water step. Without
    // it, the code below would be inside the window and accepted.
    let back = verify(&issuer, &state, &code(&wallet, T + 40), T + 40, &[]);
    assert_verdict(&back, "revocation-stale", true);
}

#[test]
fn a_clock_set_back_does_not_revive_an_expired_credential() {
    // spec: R-TIME-8, E3 (`expired`). The credential is valid through T + 3600.
    let dir = TempDir::new("attack-clock-expired");
    let (issuer, wallet) = setup(&dir, &[], &["--lifetime", "3600"]);
    let state = dir.join("state.db");
    assert_verdict(&verify(&issuer, &state, &code(&wallet, T + 3_590), T + 3_590, &[]), "accepted", false);
    assert_verdict(&verify(&issuer, &state, &code(&wallet, T + 3_665), T + 3_665, &[]), "expired", false);
    // Clock back to T + 3595: the code made then would be in the window
    // (T_hw is the step of T + 3660, B = 2), but the verifier time is T + 3660.
    let back = verify(&issuer, &state, &code(&wallet, T + 3_595), T + 3_595, &[]);
    assert_verdict(&back, "expired", true);
}

/// Copies the state database `from` (and any journal beside it) to `to`.
fn copy_state(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let (mut a, mut b) = (from.as_os_str().to_owned(), to.as_os_str().to_owned());
        a.push(suffix);
        b.push(suffix);
        let _ = std::fs::remove_file(&b);
        if Path::new(&a).exists() {
            std::fs::copy(&a, &b).unwrap();
        }
    }
}

#[test]
fn a_clock_set_back_after_a_restored_backup_does_not_reopen_a_code_accepted_before() {
    // spec: R-TIME-8, R-REPLAY-5, §8.6.
    let dir = TempDir::new("attack-clock-restore");
    let (issuer, wallet) = setup(&dir, &[], &[]);
    let state = dir.join("state.db");
    let backup = dir.join("backup.db");
    assert_verdict(&verify(&issuer, &state, &code(&wallet, T + 10), T + 10, &[]), "accepted", false);
    copy_state(&state, &backup);
    // A payment at T + 600, which the backup does not hold.
    let paid = code(&wallet, T + 600);
    assert_verdict(&verify(&issuer, &state, &paid, T + 600, &[]), "accepted", false);
    // The issuer's next list, issued at T + 900, reaches the terminal's configuration.
    CLI.stdout(&["issuer", "revoke", "--issuer", s(&issuer), "--at", &(T + 900).to_string()]);
    // The state is lost and restored from the backup; the clock is set back
    // to T + 480. Quarantined from the clock, Q would be the step of T + 480
    // plus F + 1, the step of the payment, which would then pass again.
    copy_state(&backup, &state);
    let restart = verify(&issuer, &state, &code(&wallet, T + 480), T + 480, &["--state-lost"]);
    assert_verdict(&restart, "too-old", true);
    // The list's issued_at kept in the configuration puts the verifier time at
    // T + 900: the payment's code stays refused at its own time.
    let replay = verify(&issuer, &state, &paid, T + 600, &[]);
    assert_verdict(&replay, "too-old", true);
}
