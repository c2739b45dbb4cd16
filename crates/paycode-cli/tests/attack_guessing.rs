//! Online guessing of the numeric form (spec §12.1, R-HMAC-6 to R-HMAC-9),
//! replayed as a script against the `paycode` command: its 29-bit tag can
//! be guessed, so each guess spends failure budgets that outlive the step
//! and the process, while the account's QR codes are never throttled and a
//! code of an account the verifier does not hold tells nothing. Every call
//! is a new process on the same state database: a restart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use paycode_test_support::{Cli, TempDir};
use serde_json::Value;

const T: u64 = 1_800_000_000;
const X: u64 = 60;
/// An account's budget forgives one failure a day: `P_acct = 86400 / X` steps.
const DAY: u64 = 86_400;

/// The command under test.
const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An issuer at `dir/name.json` with `wallets` hmac wallets enrolled at `T`.
fn enrolled(dir: &TempDir, name: &str, wallets: usize) -> (PathBuf, Vec<PathBuf>) {
    let issuer = dir.join(format!("{name}.json"));
    CLI.stdout(&["issuer", "init", "--out", s(&issuer), "--at", &T.to_string()]);
    let wallets = (0..wallets)
        .map(|i| {
            let wallet = dir.join(format!("{name}-wallet-{i}.json"));
            CLI.stdout(&[
                "wallet",
                "enroll",
                "--issuer",
                s(&issuer),
                "--profile",
                "hmac",
                "--out",
                s(&wallet),
                "--at",
                &T.to_string(),
            ]);
            wallet
        })
        .collect();
    (issuer, wallets)
}

/// The wallet's next code at `at`: its 24 digits, or its QR text.
fn next(wallet: &Path, at: u64, only: &str) -> String {
    CLI.stdout(&["code", "--wallet", s(wallet), "--at", &at.to_string(), "--only", only])
        .trim_end()
        .to_owned()
}

/// `digits` with the integer's bits `mask` flipped: a guess.
fn flipped(digits: &str, mask: u128) -> String {
    format!("{:024}", digits.parse::<u128>().unwrap() ^ mask)
}

/// Verifies `text` at `at` in a new process on `state` (created on first
/// use): the verdict's code, "accepted" for an acceptance. Nothing on
/// standard error: no guess makes the command fail otherwise.
fn verify(issuer: &Path, state: &Path, text: &str, at: u64) -> String {
    let at = at.to_string();
    let mut args =
        vec!["verify", "--issuer", s(issuer), "--state", s(state), "--at", &at, "--json", "--amount", "100"];
    if !state.exists() {
        args.push("--init");
    }
    args.extend(["--", text]);
    let out = CLI.run(&args);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdict = if v["verdict"] == "accepted" { "accepted" } else { v["code"].as_str().unwrap() };
    let status = out.status.code().unwrap();
    assert_eq!(status, i32::from(verdict != "accepted"), "exit status of {verdict}");
    verdict.to_owned()
}

/// A burst of wrong numeric codes for one account is `invalid-code` 4 times
/// (R-HMAC-7), then every numeric code of that account is `throttled`, the
/// valid one too, in that step, in later steps and in new processes: the
/// budget is durable state (R-STATE-6). The account's QR codes still pay
/// (R-HMAC-6). A day later one more numeric failure is allowed.
#[test]
fn a_burst_of_numeric_guesses_is_throttled_across_steps_and_restarts() {
    let dir = TempDir::new("attack-guessing-burst");
    let (issuer, wallets) = enrolled(&dir, "issuer", 1);
    let wallet = &wallets[0];
    let till = dir.join("till.db");
    let digits = next(wallet, T, "digits");
    for i in 0..4u64 {
        assert_eq!(
            verify(&issuer, &till, &flipped(&digits, u128::from(i) + 1), T + i),
            "invalid-code",
            "guess {i}"
        );
    }
    for i in 4..10u64 {
        assert_eq!(
            verify(&issuer, &till, &flipped(&digits, u128::from(i) + 1), T + i),
            "throttled",
            "guess {i}"
        );
    }
    assert_eq!(verify(&issuer, &till, &digits, T + 10), "throttled", "the valid numeric code");
    for later in [T + X, T + 10 * X, T + DAY - X] {
        let digits = next(wallet, later, "digits");
        assert_eq!(verify(&issuer, &till, &digits, later + 1), "throttled", "at {later}");
        let qr = next(wallet, later, "text");
        assert_eq!(verify(&issuer, &till, &qr, later + 2), "accepted", "the QR code at {later}");
    }
    // A day after the burst, one failure is forgiven: one more guess, then throttled again.
    let day = T + DAY;
    let digits = next(wallet, day, "digits");
    assert_eq!(verify(&issuer, &till, &flipped(&digits, 1), day), "invalid-code");
    assert_eq!(verify(&issuer, &till, &digits, day + 1), "throttled");
    // Another day on, the payer's numeric code pays again.
    let digits = next(wallet, day + DAY, "digits");
    assert_eq!(verify(&issuer, &till, &digits, day + DAY), "accepted");
}

/// A code of an account the verifier holds no keys for is `invalid-code`,
/// numeric or QR, as a wrong tag is (R-HMAC-9): nothing tells which
/// accounts exist. Numeric guesses that name 64 accounts, none enrolled,
/// spend the terminal's source budget (R-HMAC-8): after them even an
/// enrolled account's valid numeric code through that terminal is
/// `throttled`, while its QR code pays.
#[test]
fn an_unknown_account_is_an_invalid_code() {
    let dir = TempDir::new("attack-guessing-unknown");
    let (issuer, wallets) = enrolled(&dir, "issuer", 1);
    // Another issuer's second account: an account id the first does not hold.
    let (_, strangers) = enrolled(&dir, "other", 2);
    let till = dir.join("till.db");
    let stranger = &strangers[1];
    assert_eq!(verify(&issuer, &till, &next(stranger, T, "text"), T), "invalid-code");
    let digits = next(stranger, T, "digits");
    assert_eq!(verify(&issuer, &till, &digits, T), "invalid-code");
    // 63 more numeric guesses, each naming another account (bits 49 and up
    // hold the account id): the source's 64 failures.
    for k in 1..64u128 {
        assert_eq!(
            verify(&issuer, &till, &flipped(&digits, (k + 16) << 49), T + 1),
            "invalid-code",
            "guess {k}"
        );
    }
    let payer = &wallets[0];
    assert_eq!(verify(&issuer, &till, &next(payer, T, "digits"), T + 2), "throttled");
    assert_eq!(verify(&issuer, &till, &next(payer, T, "text"), T + 3), "accepted");
    // An hour later the terminal may fail once more, and its valid code pays.
    let hour = T + 3_600;
    assert_eq!(verify(&issuer, &till, &next(payer, hour, "digits"), hour), "accepted");
}
