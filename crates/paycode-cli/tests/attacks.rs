//! The published attacks on offline payment codes, each replayed as a
//! script against the `paycode` command, and refused with the spec's error
//! code: codes made in advance, overspending across terminals, and the
//! lifting of codes that challenge mode, capped codes and the numeric
//! ceiling answer (spec §7.5, §12.5).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use paycode_test_support::TempDir;
use serde_json::Value;

mod scripts;
use scripts::{CLI, T, s};

/// [`setup`], with more `issuer init` arguments.
fn setup_with(dir: &TempDir, profile: &str, params: &[&str]) -> (PathBuf, PathBuf) {
    let issuer = scripts::issuer(dir, params);
    // An ed25519 wallet of one credential: its codes share one counter sequence.
    let one: &[&str] = if profile == "ed25519" { &["--batch", "1"] } else { &[] };
    let wallet = scripts::enroll(dir, &issuer, profile, &format!("{profile}.json"), one);
    (issuer, wallet)
}

const X: u64 = 60;

/// An issuer and one wallet of `profile`, enrolled at `T`.
fn setup(dir: &TempDir, profile: &str) -> (PathBuf, PathBuf) {
    setup_with(dir, profile, &[])
}

/// The wallet's next code, made with the phone's clock at `at`.
fn code(wallet: &Path, at: u64) -> (String, u64) {
    let out = CLI.stdout(&["code", "--wallet", s(wallet), "--at", &at.to_string(), "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    (v["text"].as_str().unwrap().to_owned(), v["counter"].as_u64().unwrap())
}

/// Verifies `text` at `at` with the state in `state` (created on first use):
/// the exit status and the verdict's code, "accepted" for an acceptance.
fn verify(issuer: &Path, state: &Path, text: &str, at: u64) -> (i32, String) {
    verify_with(issuer, state, text.as_ref(), at, &["--amount".as_ref(), "100".as_ref()])
}

/// [`verify`] with the payment's arguments `extra` (amount, terminal,
/// challenge). The command never panics: nothing on standard error.
fn verify_with(issuer: &Path, state: &Path, text: &OsStr, at: u64, extra: &[&OsStr]) -> (i32, String) {
    let at = at.to_string();
    let mut args: Vec<&OsStr> = ["verify", "--issuer", s(issuer), "--state", s(state), "--at", &at, "--json"]
        .into_iter()
        .map(OsStr::new)
        .collect();
    if !state.exists() {
        args.push("--init".as_ref());
    }
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--".as_ref(), text]);
    let out = CLI.run(&args);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    let verdict = if v["verdict"] == "accepted" {
        "accepted".to_owned()
    } else {
        v["code"].as_str().unwrap().to_owned()
    };
    (out.status.code().unwrap(), verdict)
}

/// A payment of `amount` at terminal `terminal` (its state `state`), in
/// challenge mode when `challenge` is given: (exit status, verdict).
fn pay(
    issuer: &Path,
    state: &Path,
    text: &str,
    at: u64,
    (terminal, amount): (u32, u64),
    challenge: Option<&str>,
) -> (i32, String) {
    let (terminal, amount) = (terminal.to_string(), amount.to_string());
    let mut extra: Vec<&OsStr> =
        ["--terminal-id", &terminal, "--amount", &amount].into_iter().map(OsStr::new).collect();
    if let Some(c) = challenge {
        extra.extend([OsStr::new("--challenge"), OsStr::new(c)]);
    }
    verify_with(issuer, state, text.as_ref(), at, &extra)
}

/// The challenge terminal `terminal` shows for `amount` at `at`.
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

/// The wallet's next code at `at`, with `code` arguments `extra` (`--cap`,
/// `--challenge`), as QR text.
fn code_for(wallet: &Path, at: u64, extra: &[&str]) -> String {
    let at = at.to_string();
    let args = [&["code", "--wallet", s(wallet), "--at", &at, "--only", "text"][..], extra].concat();
    CLI.stdout(&args).trim_end().to_owned()
}

fn accepted() -> (i32, String) {
    (0, "accepted".to_owned())
}

fn rejected(code: &str) -> (i32, String) {
    (1, code.to_owned())
}

/// Codes made in advance (spec §12.12, R-REPLAY-7): with a moment's access
/// to the phone, an attacker sets its clock three steps ahead and takes a
/// code; the owner goes on paying with higher counters; when the taken
/// code's step comes, the verifier that accepted the owner's later codes
/// refuses it with `counter-behind`.
fn made_in_advance(profile: &str) {
    let dir = TempDir::new(&format!("attack-advance-{profile}"));
    let (issuer, wallet) = setup(&dir, profile);
    let state = dir.join("terminal.db");
    let (taken, counter) = code(&wallet, T + 3 * X);
    assert_eq!(counter, 0);
    for i in 0..3 {
        let (text, counter) = code(&wallet, T + i * X);
        assert_eq!(counter, i + 1);
        assert_eq!(verify(&issuer, &state, &text, T + i * X), (0, "accepted".to_owned()), "{profile} {i}");
    }
    assert_eq!(verify(&issuer, &state, &taken, T + 3 * X), (1, "counter-behind".to_owned()), "{profile}");
    // The refusal recorded nothing: refused again, and the owner's next code is accepted.
    assert_eq!(verify(&issuer, &state, &taken, T + 3 * X + 1), (1, "counter-behind".to_owned()));
    let (text, _) = code(&wallet, T + 3 * X);
    assert_eq!(verify(&issuer, &state, &text, T + 3 * X + 2), (0, "accepted".to_owned()));
    // At a terminal that accepted none of the owner's later codes the taken
    // code passes once (spec §12.12); made for 3 steps ahead, it is within
    // the order check's tolerance D = B + F = 3 (R-LOG-2).
    let other = dir.join("other-terminal.db");
    assert_eq!(verify(&issuer, &other, &taken, T + 3 * X), (0, "accepted".to_owned()));
    let reconciled = reconcile(&dir, &[&state, &other]);
    assert_eq!(reconciled["flagged"], serde_json::json!([]), "{profile}");
    // A code taken for 10 steps ahead, used at a third terminal when its step
    // comes: its counter is below the owner's, its step far above: out of
    // order, and the identity is to be revoked (or disabled).
    let (far, _) = code(&wallet, T + 10 * X);
    let third = dir.join("third-terminal.db");
    assert_eq!(verify(&issuer, &third, &far, T + 10 * X), (0, "accepted".to_owned()));
    let (later, _) = code(&wallet, T + 4 * X);
    assert_eq!(verify(&issuer, &state, &later, T + 4 * X), (0, "accepted".to_owned()));
    let reconciled = reconcile(&dir, &[&state, &other, &third]);
    let subject = &reconciled["flagged"][0]["subject"];
    assert_eq!(reconciled["flagged"][0]["reasons"], serde_json::json!(["order"]), "{profile}: {reconciled}");
    let listed =
        if profile == "hmac" { &reconciled["flagged_accounts"] } else { &reconciled["revoke_serials"] };
    assert_eq!(listed, &serde_json::json!([subject]));
}

/// The logs of the terminals whose states are `states`, reconciled: the JSON report.
fn reconcile(dir: &TempDir, states: &[&Path]) -> Value {
    reconcile_with(dir, states, &[])
}

/// [`reconcile`] with more arguments.
fn reconcile_with(dir: &TempDir, states: &[&Path], extra: &[&str]) -> Value {
    let mut logs = Vec::new();
    for (i, state) in states.iter().enumerate() {
        let log = dir.join(format!("terminal-{i}.log"));
        CLI.stdout(&["log", "export", "--state", s(state), "--out", s(&log)]);
        logs.push(log);
    }
    // The issuer's keys check every record (spec R-LOG-2).
    let issuer = dir.join("issuer.json");
    let mut args = vec!["reconcile", "--json", "--issuer", s(&issuer)];
    args.extend_from_slice(extra);
    args.extend(logs.iter().map(|l| s(l)));
    let out = CLI.run(&args);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flagged = !report["flagged"].as_array().unwrap().is_empty();
    assert_eq!(out.status.code(), Some(i32::from(flagged)), "{report}");
    report
}

#[test]
fn codes_made_in_advance_are_counter_behind_hmac() {
    made_in_advance("hmac");
}

#[test]
fn codes_made_in_advance_are_counter_behind_ed25519() {
    made_in_advance("ed25519");
}

/// Spending the full offline allowance at every terminal (spec R-LOG-2,
/// `overspend`): each offline terminal enforces the cumulative limit (20000,
/// the enrolment's default) on what it alone accepted, so a clone and its
/// original can spend it at each; the issuer flags the serial once the logs
/// come in, with the limit of the credential the records carry.
#[test]
fn spending_the_limit_at_every_terminal_is_overspend() {
    let dir = TempDir::new("attack-overspend");
    let (issuer, wallet) = setup(&dir, "ed25519");
    let terminals = [dir.join("terminal-a.db"), dir.join("terminal-b.db")];
    for (i, state) in terminals.iter().enumerate() {
        for n in 0..4 {
            let at = T + 60 * i as u64 + n;
            let (text, _) = code(&wallet, at);
            let args =
                ["verify", &text, "--issuer", s(&issuer), "--state", s(state), "--at", &at.to_string()];
            let mut args = args.to_vec();
            if n == 0 {
                args.push("--init");
            }
            args.extend_from_slice(&["--amount", "5000", "--json"]);
            let out = CLI.run(&args);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
        }
        // The terminal's own limit holds: a fifth payment is over it.
        let (text, _) = code(&wallet, T + 60 * i as u64 + 5);
        let at = (T + 60 * i as u64 + 5).to_string();
        let args =
            ["verify", &text, "--issuer", s(&issuer), "--state", s(state), "--at", &at, "--amount", "1"];
        assert_eq!(CLI.run(&args).status.code(), Some(1));
    }
    let refs: Vec<&Path> = terminals.iter().map(PathBuf::as_path).collect();
    let limited = reconcile(&dir, &refs);
    // The totals, as (serial, total) pairs.
    let serial = limited["totals"][0][0].as_u64().unwrap();
    assert_eq!(limited["totals"][0][1], 40_000);
    assert_eq!(
        limited["flagged"],
        serde_json::json!([{"profile": "ed25519", "subject": serial, "reasons": ["overspend"]}])
    );
    assert_eq!(limited["revoke_serials"], serde_json::json!([serial]));
    // The text report names the serial and its reason.
    let log = dir.join("terminal-0.log");
    let text = CLI.run(&["reconcile", "--issuer", s(&issuer), s(&log), s(&dir.join("terminal-1.log"))]);
    assert_eq!(text.status.code(), Some(1));
    let said = String::from_utf8_lossy(&text.stdout);
    assert!(said.contains(&format!("ed25519 {serial}: overspend")), "{said}");
    // Without the issuer's keys nothing can be checked: a usage error.
    assert_eq!(CLI.run(&["reconcile", s(&log)]).status.code(), Some(2));
}

/// Lifting a challenge code ([Bai17], spec §12.5, R-CHAL-2, R-CHAL-3): a
/// scanner that jams the till's and forwards what it read, or a camera,
/// takes the code the payer made for the till's challenge and presents it
/// first, at the attacker's terminal or for another amount. The code covers
/// the till's challenge only: with a challenge of the attacker's it fails
/// its MAC or signature (`invalid-code`), with the till's it names another
/// terminal or amount (`challenge-mismatch`), and with none it is
/// `no-challenge`. Nothing of that is recorded: the payer's own presentation
/// then pays the till what the payer confirmed.
fn lifted_challenge_code(profile: &str) {
    let dir = TempDir::new(&format!("attack-lifted-{profile}"));
    let (issuer, wallet) = setup(&dir, profile);
    let (till, theirs) = (dir.join("till.db"), dir.join("attacker.db"));
    let ch = challenge(1, 250, T);
    let lifted = code_for(&wallet, T, &["--challenge", &ch]);
    // At the attacker's terminal 2, with a challenge of its own, for the same amount or its own.
    for amount in [250, 9_000] {
        let own = challenge(2, amount, T);
        assert_eq!(pay(&issuer, &theirs, &lifted, T + 1, (2, amount), Some(&own)), rejected("invalid-code"));
    }
    // With the till's challenge, lifted too: another terminal.
    assert_eq!(pay(&issuer, &theirs, &lifted, T + 1, (2, 250), Some(&ch)), rejected("challenge-mismatch"));
    // At the till, for another amount: with the till's challenge, or a new one for that amount.
    assert_eq!(pay(&issuer, &till, &lifted, T + 1, (1, 900), Some(&ch)), rejected("challenge-mismatch"));
    let bigger = challenge(1, 900, T);
    assert_eq!(pay(&issuer, &till, &lifted, T + 1, (1, 900), Some(&bigger)), rejected("invalid-code"));
    // As a one-way code, at any terminal.
    assert_eq!(pay(&issuer, &theirs, &lifted, T + 1, (2, 9_000), None), rejected("no-challenge"));
    assert_eq!(pay(&issuer, &till, &lifted, T + 1, (1, 250), None), rejected("no-challenge"));
    // The payer's own presentation: accepted once.
    assert_eq!(pay(&issuer, &till, &lifted, T + 2, (1, 250), Some(&ch)), accepted());
    assert_eq!(pay(&issuer, &till, &lifted, T + 3, (1, 250), Some(&ch)), rejected("replayed"));
    // The attacker's terminal accepted nothing: its log is empty.
    let log = dir.join("attacker.log");
    let out = CLI.stdout(&["log", "export", "--state", s(&theirs), "--out", s(&log)]);
    assert_eq!(std::fs::read(&log).unwrap().len(), 0, "{out}");
}

#[test]
fn a_lifted_challenge_code_pays_only_its_terminal_and_amount_hmac() {
    lifted_challenge_code("hmac");
}

#[test]
fn a_lifted_challenge_code_pays_only_its_terminal_and_amount_ed25519() {
    lifted_challenge_code("ed25519");
}

/// A challenge paid twice (spec R-CHAL-4): a second code made for the same
/// challenge, by the same wallet or another one, is `challenge-used`; the
/// same code again is `replayed`, its counter being checked first (C3).
fn challenge_reused(profile: &str) {
    let dir = TempDir::new(&format!("attack-reused-{profile}"));
    let (issuer, wallet) = setup(&dir, profile);
    let other = dir.join("other-wallet.json");
    let enroll = ["wallet", "enroll", "--issuer", s(&issuer), "--profile", profile, "--out", s(&other)];
    CLI.stdout(&[&enroll[..], &["--at", &T.to_string()]].concat());
    let till = dir.join("till.db");
    let ch = challenge(1, 250, T);
    let first = code_for(&wallet, T, &["--challenge", &ch]);
    let second = code_for(&wallet, T, &["--challenge", &ch]);
    let another = code_for(&other, T, &["--challenge", &ch]);
    assert_eq!(pay(&issuer, &till, &first, T + 1, (1, 250), Some(&ch)), accepted());
    assert_eq!(pay(&issuer, &till, &second, T + 2, (1, 250), Some(&ch)), rejected("challenge-used"));
    assert_eq!(pay(&issuer, &till, &another, T + 2, (1, 250), Some(&ch)), rejected("challenge-used"));
    assert_eq!(pay(&issuer, &till, &first, T + 3, (1, 250), Some(&ch)), rejected("replayed"));
    // The refusals recorded nothing: the wallet's next payment, for a new challenge, goes through.
    let next = challenge(1, 250, T + 4);
    let code = code_for(&wallet, T + 4, &["--challenge", &next]);
    assert_eq!(pay(&issuer, &till, &code, T + 5, (1, 250), Some(&next)), accepted());
    // The challenge stays used to its end, and after it is `challenge-expired`.
    assert_eq!(pay(&issuer, &till, &another, T + 120, (1, 250), Some(&ch)), rejected("challenge-used"));
    assert_eq!(pay(&issuer, &till, &another, T + 121, (1, 250), Some(&ch)), rejected("challenge-expired"));
}

#[test]
fn a_challenge_pays_once_hmac() {
    challenge_reused("hmac");
}

#[test]
fn a_challenge_pays_once_ed25519() {
    challenge_reused("ed25519");
}

/// A challenge code kept for later (spec R-CHAL-3, V2.3): after `C`
/// seconds (120 by default) its challenge is closed, `challenge-expired`; a
/// challenge more than one step in the future is refused too. An issuer's
/// `--challenge-lifetime` moves the first bound.
fn expired_challenge(profile: &str) {
    let dir = TempDir::new(&format!("attack-expired-{profile}"));
    let (issuer, wallet) = setup(&dir, profile);
    let till = dir.join("till.db");
    let ch = challenge(1, 250, T);
    let kept = code_for(&wallet, T, &["--challenge", &ch]);
    assert_eq!(pay(&issuer, &till, &kept, T + 121, (1, 250), Some(&ch)), rejected("challenge-expired"));
    assert_eq!(pay(&issuer, &till, &kept, T + 600, (1, 250), Some(&ch)), rejected("challenge-expired"));
    // A challenge made by a clock set ahead: open from one step before its time.
    let ahead = challenge(1, 250, T + X + 1);
    let early = code_for(&wallet, T, &["--challenge", &ahead]);
    assert_eq!(
        pay(&issuer, &dir.join("t2.db"), &early, T, (1, 250), Some(&ahead)),
        rejected("challenge-expired")
    );
    assert_eq!(pay(&issuer, &dir.join("t2.db"), &early, T + 1, (1, 250), Some(&ahead)), accepted());
    // The refusal recorded nothing; at the last second of C the code is accepted.
    assert_eq!(pay(&issuer, &dir.join("t3.db"), &kept, T + 120, (1, 250), Some(&ch)), accepted());

    // An issuer whose verifiers keep challenges open for 300 s.
    let long = TempDir::new(&format!("attack-expired-long-{profile}"));
    let (issuer, wallet) = setup_with(&long, profile, &["--challenge-lifetime", "300"]);
    let ch = challenge(1, 250, T);
    let kept = code_for(&wallet, T, &["--challenge", &ch]);
    assert_eq!(
        pay(&issuer, &long.join("a.db"), &kept, T + 301, (1, 250), Some(&ch)),
        rejected("challenge-expired")
    );
    assert_eq!(pay(&issuer, &long.join("b.db"), &kept, T + 121, (1, 250), Some(&ch)), accepted());
}

#[test]
fn an_expired_challenge_is_refused_hmac() {
    expired_challenge("hmac");
}

#[test]
fn an_expired_challenge_is_refused_ed25519() {
    expired_challenge("ed25519");
}

/// A lifted capped code (spec R-CAP-1, R-CAP-2): presented first, at any
/// terminal, it pays at most the cap the payer confirmed, `over-cap` above
/// it, whatever else would allow; a cap changed in the code breaks its MAC or
/// signature.
fn capped_over_cap(profile: &str) {
    let dir = TempDir::new(&format!("attack-cap-{profile}"));
    let (issuer, wallet) = setup(&dir, profile);
    let (till, theirs) = (dir.join("till.db"), dir.join("attacker.db"));
    let capped = code_for(&wallet, T, &["--cap", "250"]);
    assert_eq!(pay(&issuer, &theirs, &capped, T + 1, (2, 251), None), rejected("over-cap"));
    // Above the cap and the ed25519 per-payment limit (5000): the cap is checked first (C4).
    assert_eq!(pay(&issuer, &theirs, &capped, T + 1, (2, 9_000), None), rejected("over-cap"));
    assert_eq!(pay(&issuer, &theirs, &capped, T + 1, (2, u64::MAX), None), rejected("over-cap"));
    // A cap raised in the payload: the tag or signature covers it.
    let mut payload = paycode::hazmat::base45::decode(capped.strip_prefix("PC3:").unwrap()).unwrap();
    let at = if profile == "hmac" { 22 } else { 14 };
    assert_eq!(payload[at..at + 4], 250u32.to_be_bytes());
    payload[at..at + 4].copy_from_slice(&9_000u32.to_be_bytes());
    let raised = format!("PC3:{}", paycode::hazmat::base45::encode(&payload));
    assert_eq!(pay(&issuer, &theirs, &raised, T + 1, (2, 9_000), None), rejected("invalid-code"));
    // A challenge does not unlock it either.
    let ch = challenge(1, 9_000, T);
    assert_eq!(pay(&issuer, &till, &capped, T + 1, (1, 9_000), Some(&ch)), rejected("challenge-required"));
    // Up to the cap it pays, once.
    assert_eq!(pay(&issuer, &till, &capped, T + 2, (1, 250), None), accepted());
    assert_eq!(pay(&issuer, &till, &capped, T + 3, (1, 1), None), rejected("replayed"));
}

#[test]
fn a_capped_code_pays_at_most_its_cap_hmac() {
    capped_over_cap("hmac");
}

#[test]
fn a_capped_code_pays_at_most_its_cap_ed25519() {
    capped_over_cap("ed25519");
}

/// A lifted or guessed numeric code (spec R-CAP-3, §12.1): the numeric form
/// carries no cap and only a 29-bit tag, so it pays at most the issuer's
/// ceiling `A_num` (5000 by default, or `issuer init --numeric-ceiling`),
/// `over-ceiling` above it. The QR text of the same wallet's one-way code is
/// not bounded by it.
#[test]
fn a_numeric_code_pays_at_most_the_ceiling() {
    for (name, params, ceiling) in
        [("default", &[][..], 5_000u64), ("set", &["--numeric-ceiling", "1000"][..], 1_000)]
    {
        let dir = TempDir::new(&format!("attack-ceiling-{name}"));
        let (issuer, wallet) = setup_with(&dir, "hmac", params);
        let till = dir.join("till.db");
        let at = T.to_string();
        let digits = || {
            CLI.stdout(&["code", "--wallet", s(&wallet), "--at", &at, "--only", "digits"])
                .trim_end()
                .to_owned()
        };
        let lifted = digits();
        assert_eq!(
            pay(&issuer, &till, &lifted, T + 1, (1, ceiling + 1), None),
            rejected("over-ceiling"),
            "{name}"
        );
        assert_eq!(
            pay(&issuer, &till, &lifted, T + 1, (1, u64::MAX), None),
            rejected("over-ceiling"),
            "{name}"
        );
        assert_eq!(pay(&issuer, &till, &lifted, T + 2, (1, ceiling), None), accepted(), "{name}");
        // The QR form of a one-way code: no ceiling (the hmac profile has no limits).
        let text = code_for(&wallet, T, &[]);
        assert_eq!(pay(&issuer, &till, &text, T + 3, (1, ceiling + 1), None), accepted(), "{name}");
    }
}

/// A challenge that is not one (spec R-CHAL-1, V1.C): whatever the terminal
/// is handed as the challenge, a text that does not decode is `malformed`,
/// exit 1, never a panic, and records nothing. The code is decoded first, so
/// a code that does not decode keeps its own verdict.
fn garbage_challenge(profile: &str) {
    let dir = TempDir::new(&format!("attack-garbage-{profile}"));
    let (issuer, wallet) = setup(&dir, profile);
    let till = dir.join("till.db");
    let ch = challenge(1, 250, T);
    let code = code_for(&wallet, T, &["--challenge", &ch]);
    let mut version_1 = paycode::hazmat::base45::decode(&ch[4..]).unwrap();
    version_1[0] = 1;
    let version_1 = format!("PT3:{}", paycode::hazmat::base45::encode(&version_1));
    let long = format!("PT3:{}", paycode::hazmat::base45::encode(&[1u8; 38]));
    let texts: Vec<Vec<u8>> = [
        "",
        "garbage",
        "PT3:",
        &ch[..59],
        &format!("{ch}0"),
        &format!(" {ch}"),
        &ch.to_lowercase(),
        &ch.replacen("PT3:", "PC3:", 1),
        &code,
        &version_1,
        &long,
        &"PT3:".repeat(10_000),
    ]
    .iter()
    .map(|t| t.as_bytes().to_vec())
    .chain([[b"PT3:".as_slice(), &[0xff; 56]].concat(), ch.replacen('0', "\u{e9}", 1).into_bytes()])
    .collect();
    for bad in &texts {
        let extra = [
            "--terminal-id".as_ref(),
            "1".as_ref(),
            "--amount".as_ref(),
            "250".as_ref(),
            "--challenge".as_ref(),
            OsStr::from_bytes(bad),
        ];
        let verdict = verify_with(&issuer, &till, code.as_ref(), T + 1, &extra);
        assert_eq!(verdict, rejected("malformed"), "{:?}", String::from_utf8_lossy(bad));
    }
    // A code that does not decode is judged first.
    let bad_version = {
        let mut p = paycode::hazmat::base45::decode(&code[4..]).unwrap();
        p[0] = 9;
        format!("PC3:{}", paycode::hazmat::base45::encode(&p))
    };
    assert_eq!(
        pay(&issuer, &till, &bad_version, T + 1, (1, 250), Some("garbage")),
        rejected("unsupported-version")
    );
    // Nothing was recorded: the code pays with its challenge.
    assert_eq!(pay(&issuer, &till, &code, T + 2, (1, 250), Some(&ch)), accepted());
}

#[test]
fn a_garbage_challenge_is_malformed_hmac() {
    garbage_challenge("hmac");
}

#[test]
fn a_garbage_challenge_is_malformed_ed25519() {
    garbage_challenge("ed25519");
}
