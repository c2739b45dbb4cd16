//! Hostile input: thousands of generated inputs derived from valid codes of
//! both profiles and the numeric form (truncations, extensions, every
//! single-byte substitution, overlong and huge inputs, non-ASCII, control
//! characters, NUL, wrong prefixes, lowercase Base45, surrounding whitespace,
//! non-UTF-8 bytes), through the library and through `paycode verify`.
//!
//! Each input must be rejected with exactly the error code the spec's rules
//! give for it: an oracle derives that code from the byte layouts and the
//! check order (spec §4, §5, §7.4), with its own Base45 decoder. Nothing may
//! panic and nothing may be accepted; the CLI must exit with 1 and print the
//! code, or 2 for IO errors, never 101.
//!
//! Challenges (spec §4.9) get the same treatment: hostile challenge texts
//! and images given with a challenge code to `verify` and to the library,
//! and to `code --challenge`, each judged by the oracle's own decoder of a
//! challenge; and the new options' out-of-range values are usage errors.
//!
//! The tests are in this file; `hostile/oracle.rs` is the oracle,
//! `hostile/inputs.rs` makes the inputs, `hostile/library.rs` checks them
//! through the library and `hostile/cli.rs` sets up and feeds the command.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

// A test crate's root finds its modules beside it, so the paths are spelled out.
#[path = "hostile/cli.rs"]
mod cli;
#[path = "hostile/inputs.rs"]
mod inputs;
#[path = "hostile/library.rs"]
mod library;
#[path = "hostile/oracle.rs"]
mod oracle;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use paycode::revocation::RevocationList;
use paycode::trust::TrustList;
use paycode::{Challenge, Credential, Error, Purpose, TextPayment, Verifier};
use paycode_test_support::{Cli, SplitMix64, TempDir, fixture};
use serde_json::Value;

use cli::{Via, cli_world, sample};
use inputs::{Case, Ed25519Substitutions, hostile_cases, hostile_challenges, qr};
use library::check_library;
use oracle::{ChallengeWorld, World, b45_decode, b45_encode};

/// The command under test.
const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

/// The time the command's world is set up at, and its codes are verified at.
const T: u64 = 1_800_000_000;

// ---------------------------------------------------------------------------
// Through the library
// ---------------------------------------------------------------------------

#[test]
fn library_rejects_hostile_input_with_the_spec_code() {
    let world = World::fixture();
    let cases = hostile_cases(&world, Ed25519Substitutions::Sample);
    let checked = check_library(&cases);
    assert!(checked >= 10_000, "only {checked} inputs");
}

/// Every single-byte substitution of the ed25519 code, in its text (every
/// ASCII byte) and in its payload (every byte value, re-encoded canonically):
/// about 90,000 signature checks, a few seconds optimized.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "90,000 Ed25519 checks: run optimized (scripts/test.sh uses --release)"
)]
fn library_rejects_every_substitution_of_an_ed25519_code() {
    let world = World { genuine: vec![fixture::valid_codes()[2].text.clone()], ..World::fixture() };
    let cases = hostile_cases(&world, Ed25519Substitutions::Every);
    let checked = check_library(&cases);
    assert!(checked >= 80_000, "only {checked} inputs");
}

/// The oracle is not vacuous: it accepts the genuine codes and gives each
/// region of a payload its own code, and its Base45 agrees with the RFC.
#[test]
fn oracle_agrees_with_known_answers() {
    let world = World::fixture();
    for g in &world.genuine {
        assert_eq!(world.expect(g.as_bytes()), Ok(()));
    }
    assert_eq!(b45_encode(b"AB"), "BB8");
    assert_eq!(b45_encode(b"Hello!!"), "%69 VD92EX0");
    assert_eq!(b45_decode(b"%69 VD92EX0").unwrap(), b"Hello!!");
    assert_eq!(b45_decode(b"GGW"), None);
    let ed = b45_decode(&world.genuine[2].as_bytes()[4..]).unwrap();
    let with = |pos: usize, b: u8| {
        let mut p = ed.clone();
        p[pos] = b;
        world.expect(&qr(&p))
    };
    assert_eq!(with(0, 1), Err(Error::UnsupportedVersion));
    assert_eq!(with(1, 3), Err(Error::UnsupportedProfile));
    assert_eq!(with(1, 1), Err(Error::Malformed));
    assert_eq!(with(15, 9), Err(Error::UnknownIssuer));
    assert_eq!(with(15, 2), Err(Error::BadCredential));
    assert_eq!(with(50, 0), Err(Error::BadCredential));
    assert_eq!(with(5, 0xaa), Err(Error::InvalidCode));
    assert_eq!(with(203, 0), Err(Error::InvalidCode));
    // The modes (spec R-MODE-1): a challenge code without a challenge, a
    // capped code's length, and its credential 4 bytes further on.
    assert_eq!(with(1, 0x22), Err(Error::NoChallenge));
    assert_eq!(with(1, 0x12), Err(Error::Malformed));
    assert_eq!(with(1, 0x32), Err(Error::UnsupportedProfile));
    let mut capped = ed.clone();
    capped[1] = 0x12;
    capped.splice(14..14, [0, 0, 0, 250]);
    assert_eq!(world.expect(&qr(&capped)), Err(Error::InvalidCode));
    capped[54] ^= 1;
    assert_eq!(world.expect(&qr(&capped)), Err(Error::BadCredential));
    let mut hmac = b45_decode(&world.genuine[0].as_bytes()[4..]).unwrap();
    hmac[1] = 0x21;
    assert_eq!(world.expect(&qr(&hmac)), Err(Error::NoChallenge));
    hmac[1] = 0x11;
    assert_eq!(world.expect(&qr(&hmac)), Err(Error::Malformed));
    hmac.splice(22..22, [0, 0, 0, 250]);
    assert_eq!(world.expect(&qr(&hmac)), Err(Error::InvalidCode));
}

/// Decoders of the other structures with hostile length fields: no
/// allocation from a count, no panic, an error.
#[test]
fn list_decoders_reject_hostile_lengths() {
    let trust = fixture::trust_list().encode();
    let revocation = fixture::revocation_list(true).encode();
    let mut n = 0;
    // Counts up to the maximum with nothing behind them.
    for count in [0u16, 1, 2, 3, 0x7fff, u16::MAX] {
        let mut t = trust.clone();
        t[17..19].copy_from_slice(&count.to_be_bytes());
        let want = if count == 2 { Ok(()) } else { Err(Error::Malformed) };
        assert_eq!(TrustList::decode(&t).map(|_| ()), want, "trust count {count}");
        n += 1;
    }
    for count in [0u32, 1, 2, 4, 0x1fff_ffff, 0x2000_0000, u32::MAX] {
        let mut r = revocation.clone();
        r[31..35].copy_from_slice(&count.to_be_bytes());
        let want = if count == 3 { Ok(()) } else { Err(Error::Malformed) };
        assert_eq!(RevocationList::decode(&r).map(|_| ()), want, "revocation count {count}");
        n += 1;
    }
    // Every truncation and a huge extension of each.
    for len in 0..trust.len() {
        assert_eq!(
            TrustList::decode(&trust[..len]).map(|_| ()),
            Err(Error::Malformed),
            "trust list, {len} bytes"
        );
        n += 1;
    }
    for len in 0..revocation.len() {
        assert_eq!(
            RevocationList::decode(&revocation[..len]).map(|_| ()),
            Err(Error::Malformed),
            "revocation, {len} bytes"
        );
        n += 1;
    }
    let credential = fixture::credential();
    for len in 0..paycode::credential::CREDENTIAL_LEN {
        assert_eq!(Credential::decode(&credential.as_bytes()[..len]), Err(Error::Malformed));
        n += 1;
    }
    let huge = vec![0xff; 1 << 20];
    let long = |bytes: &[u8]| [bytes, &huge].concat();
    assert_eq!(TrustList::decode(&long(&trust)).map(|_| ()), Err(Error::Malformed));
    assert_eq!(RevocationList::decode(&long(&revocation)).map(|_| ()), Err(Error::Malformed));
    assert_eq!(Credential::decode(&long(credential.as_bytes())).map(|_| ()), Err(Error::Malformed));
    // A log of a million bytes with an unknown version and kind, and one of
    // 68-byte records of kind 0x01 whose version byte is unknown (malformed:
    // only code payloads have `unsupported-version`).
    assert_eq!(paycode::log::LogRecord::decode_log(&huge).map(|_| ()), Err(Error::Malformed));
    let mut record = vec![0xffu8, 0x01];
    record.resize(68, 0xff);
    assert_eq!(
        paycode::log::LogRecord::decode_log(&record.repeat(20_000)).map(|_| ()),
        Err(Error::Malformed)
    );
    assert!(n > 100);
}

/// The verifier keeps working after hostile input: a sample of hostile
/// inputs, then a genuine code, at one shared verifier.
#[test]
fn verifier_survives_hostile_input() {
    let world = World::fixture();
    let v: Verifier = fixture::verifier();
    for case in hostile_cases(&world, Ed25519Substitutions::Skip).iter().step_by(7) {
        if let Ok(text) = std::str::from_utf8(&case.input) {
            assert!(v.verify_text(text, fixture::NOW, 250).is_err(), "{}", case.what);
        }
    }
    // One step later the ed25519 code and the hmac code pass (a QR code is never throttled).
    let later = fixture::NOW + 60;
    for g in [&world.genuine[2], &world.genuine[0]] {
        assert!(v.verify_text(g, later, 250).is_ok(), "{g}");
    }
}

// ---------------------------------------------------------------------------
// Through the CLI
// ---------------------------------------------------------------------------

#[test]
fn cli_rejects_hostile_input_with_the_spec_code_and_exit_1() {
    let started = Instant::now();
    let dir = TempDir::new("hostile-cli");
    let (issuer, world) = cli_world(&dir);
    let (state, fresh) = (dir.join("state.db"), dir.join("fresh.db"));
    CLI.stdout(&["state", "init", "--state", fresh.to_str().unwrap()]);
    let cases = hostile_cases(&world, Ed25519Substitutions::Sample);
    let total = cases.len();
    let mut sampled = sample(&world, cases, 1_100);
    // Standard input has its own rules: one trailing line ending is the
    // shell's, not the code's; more than that, or a lone CR, is the code's.
    let code0 = world.genuine[0].as_bytes();
    for tail in [&b"\n\n"[..], b"\r\n\r\n", b" \n", b"\r", b"\n\r", b"\x00\n"] {
        sampled.push((
            Case { what: format!("stdin: code 0 + {tail:?}"), input: [code0, tail].concat() },
            Via::Stdin,
        ));
    }
    sampled.push((Case { what: "stdin: 2 MiB".into(), input: vec![b'A'; 2 << 20] }, Via::Stdin));
    let mut by_code: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, (case, via)) in sampled.iter().enumerate() {
        use std::os::unix::ffi::OsStrExt;
        // Each input is judged on its own, from a fresh state: the state
        // keeps the numeric failure budgets, which would otherwise turn the
        // later `invalid-code` verdicts into `throttled` (tested in tests/cli.rs).
        // A copy of a new state database is a new state, without the cost of creating one.
        std::fs::copy(&fresh, &state).unwrap();
        let at = T.to_string();
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "verify".as_ref(),
            "--issuer".as_ref(),
            issuer.as_os_str(),
            "--state".as_ref(),
            state.as_os_str(),
            "--at".as_ref(),
            at.as_ref(),
            "--amount".as_ref(),
            "250".as_ref(),
        ];
        // Text output for one case in ten, JSON for the rest.
        let json = i % 10 != 0;
        if json {
            args.push("--json".as_ref());
        }
        let out = match via {
            Via::Argument => {
                args.extend(["--".as_ref(), std::ffi::OsStr::from_bytes(&case.input)]);
                CLI.run(&args)
            }
            Via::Stdin => CLI.run_stdin(&args, &case.input),
        };
        // What the CLI verifies: from standard input, one line ending less;
        // capped at 1 MiB.
        let seen: &[u8] = match via {
            Via::Argument => &case.input,
            Via::Stdin => {
                let capped = &case.input[..case.input.len().min(1 << 20)];
                capped.strip_suffix(b"\r\n").or_else(|| capped.strip_suffix(b"\n")).unwrap_or(capped)
            }
        };
        let expected = world.expect(seen).expect_err("hostile input the spec accepts");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let printed = if json {
            serde_json::from_str::<Value>(&stdout)
                .ok()
                .filter(|v| v["verdict"] == "rejected")
                .and_then(|v| v["code"].as_str().map(str::to_owned))
        } else {
            stdout.strip_prefix("rejected: ").and_then(|r| r.split(':').next()).map(str::to_owned)
        };
        if out.status.code() != Some(1) || printed.as_deref() != Some(expected.code()) || !stderr.is_empty() {
            failures.push(format!(
                "{} via {via:?}: exit {:?}, printed {printed:?}, the spec says {}; stderr {stderr:?}",
                case.what,
                out.status.code(),
                expected.code()
            ));
        }
        *by_code.entry(expected.code()).or_default() += 1;
    }
    assert!(failures.is_empty(), "{} of {} wrong:\n{}", failures.len(), sampled.len(), failures.join("\n"));
    assert!(sampled.len() >= 1_000, "only {} of {total} inputs sampled", sampled.len());
    // Every decode-stage and authentication-stage code occurs (an unknown
    // account is invalid-code, spec: R-HMAC-9).
    for code in [
        "malformed",
        "unsupported-version",
        "unsupported-profile",
        "unknown-issuer",
        "bad-credential",
        "invalid-code",
    ] {
        assert!(by_code.get(code).copied().unwrap_or(0) > 0, "no case gave {code}: {by_code:?}");
    }
    // Positive control: the genuine codes are accepted once, after all that
    // (one step later).
    let later = (T + 60).to_string();
    // (genuine[1] is the digits of the same hmac code, so a replay of genuine[0].)
    for g in [&world.genuine[0], &world.genuine[2]] {
        let verify = |g: &str| {
            let (i, s) = (issuer.to_str().unwrap(), state.to_str().unwrap());
            CLI.run(&["verify", "--issuer", i, "--state", s, "--at", &later, "--amount", "250", "--", g])
        };
        let first = verify(g);
        assert_eq!(first.status.code(), Some(0), "{g}: {}", String::from_utf8_lossy(&first.stdout));
        let again = verify(g);
        assert_eq!(again.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&again.stdout).starts_with("rejected: replayed:"));
    }
    let elapsed = started.elapsed();
    eprintln!("{} CLI runs ({total} cases generated) in {elapsed:?}", sampled.len() + 4);
    assert!(elapsed < Duration::from_secs(120), "too slow for CI: {elapsed:?}");
}

/// Input/output failures exit with 2, with the reason on standard error.
#[test]
fn cli_io_errors_exit_2() {
    let dir = TempDir::new("hostile-io");
    let (issuer, world) = cli_world(&dir);
    let code = world.genuine[0].as_str();
    let at = T.to_string();
    let i = issuer.to_str().unwrap();
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, b"{\"format\": \"paycode-state-v1\", \"state\": [").unwrap();
    let missing_dir = dir.join("no/such/dir/state.json");
    let state = dir.join("state.db");
    CLI.stdout(&["state", "init", "--state", state.to_str().unwrap()]);
    let cases: [(&str, Vec<&str>); 5] = [
        (
            "missing issuer file",
            vec!["--issuer", "/nonexistent/issuer.json", "--state", state.to_str().unwrap()],
        ),
        (
            "issuer file is a folder",
            vec!["--issuer", dir.path().to_str().unwrap(), "--state", state.to_str().unwrap()],
        ),
        ("state is not a state database", vec!["--issuer", i, "--state", garbage.to_str().unwrap()]),
        ("state is in a missing folder", vec!["--issuer", i, "--state", missing_dir.to_str().unwrap()]),
        ("state is the issuer file", vec!["--issuer", i, "--state", i]),
    ];
    for (what, opts) in cases {
        let mut args = vec!["verify"];
        args.extend(opts);
        args.extend(["--at", &at, "--", code]);
        let out = CLI.run(&args);
        assert_eq!(out.status.code(), Some(2), "{what}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("paycode: ") && !stderr.contains("panicked"), "{what}: {stderr}");
    }
    // Standard input that cannot be read (a folder).
    let out = CLI
        .command()
        .args(["verify", "--issuer", i, "--state", state.to_str().unwrap(), "--at", &at])
        .stdin(std::fs::File::open(dir.path()).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "stdin is a folder: {out:?}");
    // The issuer file is untouched by all of that, and still works.
    let ok = CLI.run(&["verify", "--issuer", i, "--state", state.to_str().unwrap(), "--at", &at, "--", code]);
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
}

/// Extreme numeric arguments to every command: an error or a verdict, never
/// a panic (an unoptimized build also turns integer overflow into a panic).
#[test]
fn cli_survives_extreme_arguments() {
    let dir = TempDir::new("hostile-extreme");
    let s = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    let max = u64::MAX.to_string();
    let times: Vec<String> =
        [0, 1, 172_799, 172_800, T, u64::MAX / 2, u64::MAX / 2 + 1, u64::MAX - 1, u64::MAX]
            .map(|t| t.to_string())
            .into();
    let u32max = u32::MAX.to_string();
    let mut runs: Vec<Vec<String>> = Vec::new();
    let mut add = |args: &[&str]| runs.push(args.iter().map(|a| (*a).to_owned()).collect());
    add(&["state", "init", "--state", &s("st.json")]);
    add(&["state", "init", "--state", &s("st2.json")]);
    for at in &times {
        add(&["demo", "--seed", &"77".repeat(32), "--at", at, "--json"]);
        add(&["issuer", "init", "--force", "--out", &s("i.json"), "--seed", &"44".repeat(32), "--at", at]);
        add(&[
            "issuer",
            "init",
            "--force",
            "--out",
            &s("t.json"),
            "--t0",
            at,
            "--step",
            "86400",
            "--back",
            "8",
            "--forward",
            "7",
            "--at",
            at,
        ]);
        add(&[
            "wallet",
            "enroll",
            "--force",
            "--issuer",
            &s("i.json"),
            "--profile",
            "ed25519",
            "--out",
            &s("e.json"),
            "--at",
            at,
            "--lifetime",
            "604800",
            "--per-payment",
            &u32max,
            "--cumulative",
            &u32max,
        ]);
        add(&[
            "wallet",
            "enroll",
            "--force",
            "--issuer",
            &s("t.json"),
            "--profile",
            "hmac",
            "--out",
            &s("h.json"),
            "--at",
            at,
            "--counter",
            &(u32::MAX - 1).to_string(),
        ]);
        add(&["code", "--wallet", &s("h.json"), "--at", at, "--json"]);
        add(&["code", "--wallet", &s("h.json"), "--at", at]);
        add(&["code", "--wallet", &s("e.json"), "--at", at, "--json"]);
        add(&[
            "verify",
            "--issuer",
            &s("i.json"),
            "--state",
            &s("st.json"),
            "--at",
            at,
            "--amount",
            &max,
            "--terminal-id",
            &u32max,
            "--",
            "PC3:00",
        ]);
        add(&[
            "verify",
            "--issuer",
            &s("t.json"),
            "--state",
            &s("st2.json"),
            "--at",
            at,
            "--",
            &"0".repeat(24),
        ]);
        add(&[
            "verify",
            "--issuer",
            &s("i.json"),
            "--state",
            &s("st3.json"),
            "--state-lost",
            "--at",
            at,
            "--",
            &"9".repeat(24),
        ]);
        add(&["issuer", "revoke", "--issuer", &s("i.json"), "--serial", &max, "--serial", "0", "--at", at]);
        // Challenges and caps at every time, with the largest terminal id and amount.
        let t: u64 = at.parse().unwrap();
        let challenge = Challenge::new(u32::MAX, u64::MAX, t, NONCE).to_qr_text();
        add(&["terminal", "challenge", "--terminal-id", &u32max, "--amount", &max, "--at", at, "--json"]);
        add(&["code", "--wallet", &s("h.json"), "--at", at, "--cap", &u32max, "--json"]);
        add(&["code", "--wallet", &s("e.json"), "--at", at, "--cap", "0"]);
        add(&["code", "--wallet", &s("e.json"), "--at", at, "--challenge", &challenge, "--json"]);
        add(&["code", "--wallet", &s("h.json"), "--at", at, "--challenge", &challenge, "--only", "text"]);
        add(&[
            "verify",
            "--issuer",
            &s("i.json"),
            "--state",
            &s("st.json"),
            "--at",
            at,
            "--amount",
            &max,
            "--terminal-id",
            &u32max,
            "--challenge",
            &challenge,
            "--",
            "PC3:00",
        ]);
        add(&[
            "issuer",
            "init",
            "--force",
            "--out",
            &s("c.json"),
            "--at",
            at,
            "--challenge-lifetime",
            "600",
            "--numeric-ceiling",
            &max,
        ]);
    }
    for extreme in [&max, &u32max, "0"] {
        add(&[
            "wallet",
            "enroll",
            "--force",
            "--issuer",
            &s("i.json"),
            "--profile",
            "hmac",
            "--out",
            &s("x.json"),
            "--account-id",
            extreme,
        ]);
        add(&[
            "wallet",
            "enroll",
            "--force",
            "--issuer",
            &s("i.json"),
            "--profile",
            "ed25519",
            "--out",
            &s("y.json"),
            "--serial",
            extreme,
            "--not-before",
            extreme,
        ]);
        add(&["code", "--wallet", &s("x.json"), "--at", extreme, "--json"]);
        add(&["code", "--wallet", &s("y.json"), "--at", extreme, "--json"]);
    }
    // Hostile acceptance logs.
    let mut rng = SplitMix64::new(7);
    for (i, len) in [0usize, 1, 43, 44, 45, 88, 44 * 1000, 1 << 20].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        std::fs::write(dir.join(format!("log{i}")), &bytes).unwrap();
        add(&["reconcile", "--issuer", &s("i.json"), &s(&format!("log{i}")), "--json"]);
    }
    let mut record = vec![paycode::VERSION, 1];
    record.resize(68, 0xff);
    std::fs::write(dir.join("maxlog"), record.repeat(3)).unwrap();
    add(&["reconcile", "--issuer", &s("i.json"), &s("maxlog"), &s("maxlog")]);
    for args in &runs {
        let out = CLI.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0..=2)) && !stderr.contains("panicked"),
            "{args:?}: {:?}\n{stderr}",
            out.status
        );
    }
    assert!(runs.len() > 100, "{}", runs.len());
}

// ---------------------------------------------------------------------------
// Challenges
// ---------------------------------------------------------------------------

/// The nonce of the hostile tests' genuine challenge: fixed, so that the
/// inputs are the same on every run.
const NONCE: [u8; 16] = [0x5a; 16];

/// The genuine challenge of terminal `terminal` for 250 at `now`, and what
/// the oracle knows of a payment made with it.
fn challenge_world(terminal: u32, now: u64) -> (Challenge, ChallengeWorld) {
    let genuine = Challenge::new(terminal, 250, now, NONCE);
    let world = ChallengeWorld {
        genuine: genuine.to_qr_text(),
        terminal_id: terminal,
        amount: 250,
        now,
        lifetime: paycode::Params::DEFAULT_CHALLENGE_LIFETIME,
        step: 60,
    };
    (genuine, world)
}

/// Every hostile challenge, given with an hmac and an ed25519 code made for
/// the genuine one, through the library: the verdict the oracle derives
/// (V1.C `malformed`, V2 `challenge-mismatch` or `challenge-expired`, else
/// `invalid-code`), never a panic, never an acceptance; nothing recorded.
#[test]
fn library_rejects_hostile_challenges_with_the_spec_code() {
    let (genuine, world) = challenge_world(fixture::TERMINAL, fixture::NOW);
    let step = fixture::step_now();
    let hmac = fixture::hmac_wallet(0).code_as(step, 0, Purpose::Challenge(&genuine)).to_qr_text();
    let ed = fixture::ed25519_wallet(0).code_as(step, 0, Purpose::Challenge(&genuine)).to_qr_text();
    let shared = fixture::verifier();
    let cases = hostile_challenges(&world.genuine);
    let (mut checked, mut failures) = (0, Vec::new());
    let mut by_code: BTreeMap<&'static str, usize> = BTreeMap::new();
    for case in &cases {
        let expected = world.expect(&case.input);
        assert!(expected.is_err(), "generator made an acceptable challenge: {}", case.what);
        let Ok(challenge) = std::str::from_utf8(&case.input) else { continue };
        // hmac: a fresh verifier each, so that the throttle never hides a check.
        let fresh = fixture::verifier();
        for (code, v) in [(&hmac, &fresh), (&ed, &shared)] {
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let payment = TextPayment { text: code, amount: 250, challenge: Some(challenge) };
                v.verify_text_payment(payment, fixture::NOW).map(|_| ()).map_err(|r| r.error())
            }));
            match got {
                Err(_) => failures.push(format!("{}: PANIC", case.what)),
                Ok(verdict) if verdict != expected => {
                    failures.push(format!("{}: got {verdict:?}, the spec says {expected:?}", case.what));
                }
                Ok(_) => {}
            }
            checked += 1;
        }
        *by_code.entry(expected.unwrap_err().code()).or_default() += 1;
    }
    assert!(failures.is_empty(), "{} of {checked} wrong:\n{}", failures.len(), failures.join("\n"));
    assert!(checked >= 5_000, "only {checked} verifications");
    for code in ["malformed", "challenge-mismatch", "challenge-expired", "invalid-code"] {
        assert!(by_code.get(code).copied().unwrap_or(0) >= 10, "few cases gave {code}: {by_code:?}");
    }
    // Nothing was recorded: the genuine challenge pays, once.
    let pay = |code: &str| {
        let payment = TextPayment { text: code, amount: 250, challenge: Some(&world.genuine) };
        shared.verify_text_payment(payment, fixture::NOW).map(|_| ()).map_err(|r| r.error())
    };
    assert_eq!(pay(&ed), Ok(()));
    assert_eq!(pay(&hmac), Err(Error::ChallengeUsed));
}

/// A sample of the hostile challenges through `paycode verify --challenge`,
/// as arguments (non-UTF-8 included), with challenge codes of both profiles
/// from `paycode code`: exit 1 and the oracle's code, nothing on standard
/// error. Then `code --challenge` with the ones that do not decode: exit 2,
/// `malformed`, no counter value spent.
#[test]
fn cli_rejects_hostile_challenges_with_the_spec_code() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("hostile-challenge");
    let (issuer, _) = cli_world(&dir);
    let (_, world) = challenge_world(7, T);
    let at = T.to_string();
    let code = |profile: &str| {
        let w = dir.join(format!("{profile}.json"));
        CLI.stdout(&[
            "code",
            "--wallet",
            w.to_str().unwrap(),
            "--at",
            &at,
            "--challenge",
            &world.genuine,
            "--only",
            "text",
        ])
        .trim_end()
        .to_owned()
    };
    let codes = [code("hmac"), code("ed25519")];
    let (state, fresh) = (dir.join("state.db"), dir.join("fresh.db"));
    CLI.stdout(&["state", "init", "--state", fresh.to_str().unwrap()]);
    // About 25 cases of each verdict, evenly spaced, without NUL (which no argument holds).
    let mut groups: BTreeMap<&'static str, Vec<Case>> = BTreeMap::new();
    for c in hostile_challenges(&world.genuine).into_iter().filter(|c| !c.input.contains(&0)) {
        groups.entry(world.expect(&c.input).unwrap_err().code()).or_default().push(c);
    }
    let mut failures = Vec::new();
    let mut runs = 0;
    for (expected, group) in &groups {
        for case in group.iter().step_by(group.len().div_ceil(25).max(1)) {
            std::fs::copy(&fresh, &state).unwrap();
            let code = &codes[runs % 2];
            let json = runs % 5 != 0;
            let mut args: Vec<&std::ffi::OsStr> =
                ["verify", "--issuer", issuer.to_str().unwrap(), "--state", state.to_str().unwrap()]
                    .into_iter()
                    .chain(["--at", &at, "--terminal-id", "7", "--amount", "250"])
                    .map(std::ffi::OsStr::new)
                    .collect();
            if json {
                args.push("--json".as_ref());
            }
            args.extend([
                "--challenge".as_ref(),
                std::ffi::OsStr::from_bytes(&case.input),
                "--".as_ref(),
                code.as_ref(),
            ]);
            let out = CLI.run(&args);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let printed = if json {
                serde_json::from_str::<Value>(&stdout)
                    .ok()
                    .and_then(|v| v["code"].as_str().map(str::to_owned))
            } else {
                stdout.strip_prefix("rejected: ").and_then(|r| r.split(':').next()).map(str::to_owned)
            };
            if out.status.code() != Some(1) || printed.as_deref() != Some(expected) || !out.stderr.is_empty()
            {
                failures.push(format!(
                    "{}: exit {:?}, printed {printed:?}, the spec says {expected}; stderr {:?}",
                    case.what,
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            runs += 1;
        }
    }
    assert!(failures.is_empty(), "{} of {runs} wrong:\n{}", failures.len(), failures.join("\n"));
    assert!(runs >= 80 && groups.len() == 4, "{runs} runs, verdicts {:?}", groups.keys());

    // The wallet makes no code for a challenge that does not decode (spec R-GEN-5).
    let wallet = dir.join("ed25519.json");
    let counter = || -> Value {
        serde_json::from_slice::<Value>(&std::fs::read(&wallet).unwrap()).unwrap()["next_counter"].clone()
    };
    let before = counter();
    for case in groups["malformed"].iter().step_by(9) {
        let args = [
            "code".as_ref(),
            "--wallet".as_ref(),
            wallet.as_os_str(),
            "--challenge".as_ref(),
            std::ffi::OsStr::from_bytes(&case.input),
        ];
        let out = CLI.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", case.what);
        assert!(
            out.stdout.is_empty() && stderr.starts_with("paycode: the challenge: malformed: "),
            "{}: {stderr}",
            case.what
        );
    }
    assert_eq!(counter(), before, "a refused challenge spends no counter value");
    // Positive control: the genuine challenge pays, once.
    std::fs::copy(&fresh, &state).unwrap();
    for (code, again) in [(&codes[0], "replayed"), (&codes[1], "challenge-used")] {
        let pay = |c: &str| {
            let (i, s) = (issuer.to_str().unwrap(), state.to_str().unwrap());
            CLI.run(&[
                "verify",
                "--issuer",
                i,
                "--state",
                s,
                "--at",
                &at,
                "--terminal-id",
                "7",
                "--amount",
                "250",
                "--challenge",
                &world.genuine,
                "--",
                c,
            ])
        };
        if again == "replayed" {
            assert_eq!(pay(code).status.code(), Some(0));
        }
        let out = pay(code);
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("rejected: {again}:")), "{out:?}");
    }
}

/// Hostile images where a challenge is read from one: an image without a
/// single readable QR code is a usage error (exit 2) for the wallet and the
/// verifier; one whose QR text is not a challenge makes no code (exit 2,
/// `malformed`) and is `malformed` to the verifier (exit 1).
#[cfg(feature = "scan")]
#[test]
fn cli_handles_hostile_challenge_images() {
    use paycode_render::barcode::Barcode;
    use paycode_render::qr::Symbol;
    let dir = TempDir::new("hostile-challenge-image");
    let (issuer, _) = cli_world(&dir);
    let (_, world) = challenge_world(7, T);
    let at = T.to_string();
    let wallet = dir.join("ed25519.json");
    let w = wallet.to_str().unwrap();
    let code =
        CLI.stdout(&["code", "--wallet", w, "--at", &at, "--challenge", &world.genuine, "--only", "text"]);
    let code = code.trim_end();
    let png = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let symbol = |text: &str| Symbol::new(text).unwrap().to_png(4);
    let genuine = symbol(&world.genuine);
    let two = {
        let a = image::load_from_memory(&genuine).unwrap().to_luma8();
        let b = image::load_from_memory(&symbol(&Challenge::new(7, 250, T, [1; 16]).to_qr_text()))
            .unwrap()
            .to_luma8();
        let mut both = image::GrayImage::from_pixel(a.width() * 2, a.height(), image::Luma([255]));
        image::imageops::replace(&mut both, &a, 0, 0);
        image::imageops::replace(&mut both, &b, i64::from(a.width()), 0);
        let mut out = std::io::Cursor::new(Vec::new());
        both.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    // 40 × 40 finder patterns, more than the detector is given to pair up.
    let tiled = {
        let cell = 7 * 3 + 8;
        let tiles = image::GrayImage::from_fn(40 * cell + 8, 40 * cell + 8, |x, y| {
            let (Some(x), Some(y)) = (x.checked_sub(8), y.checked_sub(8)) else {
                return image::Luma([255]);
            };
            let (col, row) = ((x % cell) / 3, (y % cell) / 3);
            let ring = col == 0 || col == 6 || row == 0 || row == 6;
            let stone = (2..=4).contains(&col) && (2..=4).contains(&row);
            let black = x / cell < 40 && y / cell < 40 && col < 7 && row < 7 && (ring || stone);
            image::Luma([if black { 0 } else { 255 }])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        tiles.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let unusable = [
        (issuer.clone(), "not a PNG or JPEG image"),
        (dir.join("absent.png"), "cannot read the image"),
        (png("cut.png", &genuine[..genuine.len() / 2]), "cannot decode"),
        (png("bar.png", &Barcode::new("0123456789").unwrap().to_png(3)), "no QR code found"),
        (png("two.png", &two), "2 different QR codes"),
        (png("empty.png", b""), "not a PNG or JPEG image"),
        (png("tiled.png", &tiled), "more than 20 QR finder patterns"),
    ];
    let not_a_challenge = [
        png("code.png", &symbol(code)),
        png("hello.png", &symbol("HELLO WORLD")),
        png("short.png", &symbol(&world.genuine[..59])),
    ];
    let counter = || -> Value {
        serde_json::from_slice::<Value>(&std::fs::read(&wallet).unwrap()).unwrap()["next_counter"].clone()
    };
    let before = counter();
    let state = dir.join("state.db");
    CLI.stdout(&["state", "init", "--state", state.to_str().unwrap()]);
    let verify = |image: &std::path::Path| {
        let (i, s) = (issuer.to_str().unwrap(), state.to_str().unwrap());
        let args =
            ["verify", "--issuer", i, "--state", s, "--at", &at, "--terminal-id", "7", "--amount", "250"];
        CLI.run(&[&args[..], &["--challenge-image", image.to_str().unwrap(), "--json", "--", code]].concat())
    };
    for (image, reason) in &unusable {
        let made = CLI.run(&["code", "--wallet", w, "--challenge-image", image.to_str().unwrap()]);
        let verified = verify(image);
        for out in [&made, &verified] {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{image:?}: {stderr}");
            assert!(
                out.stdout.is_empty() && stderr.contains(reason) && !stderr.contains("panicked"),
                "{image:?}: {stderr}"
            );
        }
    }
    for image in &not_a_challenge {
        let made = CLI.run(&["code", "--wallet", w, "--challenge-image", image.to_str().unwrap()]);
        assert_eq!(made.status.code(), Some(2), "{image:?}");
        assert!(String::from_utf8_lossy(&made.stderr).starts_with("paycode: the challenge: malformed: "));
        let verified = verify(image);
        assert_eq!(verified.status.code(), Some(1), "{image:?}");
        let v: Value = serde_json::from_slice(&verified.stdout).unwrap();
        assert_eq!(v["code"], "malformed", "{image:?}");
    }
    assert_eq!(counter(), before, "a refused challenge image spends no counter value");
    // Positive control: the genuine challenge's image.
    let out = verify(&png("genuine.png", &genuine));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// The new options' values out of their types' ranges, or of the spec's,
/// are usage errors (exit 2) that name the option, before anything is
/// written or spent; in-range extremes are verdicts or success.
#[test]
fn cli_refuses_out_of_range_challenge_cap_and_parameter_values() {
    let dir = TempDir::new("hostile-ranges");
    let (issuer, _) = cli_world(&dir);
    let i = issuer.to_str().unwrap();
    let wallet = dir.join("hmac.json");
    let w = wallet.to_str().unwrap();
    let state = dir.join("state.db");
    let st = state.to_str().unwrap();
    CLI.stdout(&["state", "init", "--state", st]);
    let (u32_over, u64_over) = ("4294967296", "18446744073709551616");
    let genuine = Challenge::new(7, 250, T, NONCE).to_qr_text();
    let refused: Vec<(Vec<&str>, &str)> = vec![
        (vec!["code", "--wallet", w, "--cap", u32_over], "--cap"),
        (vec!["code", "--wallet", w, "--cap", "-1"], "'-1'"),
        (vec!["code", "--wallet", w, "--cap", "1e3"], "--cap"),
        (vec!["code", "--wallet", w, "--cap", ""], "--cap"),
        (vec!["code", "--wallet", w, "--cap", "99999999999999999999999999999"], "--cap"),
        (vec!["code", "--wallet", w, "--cap", "5", "--challenge", &genuine], "--challenge"),
        (vec!["terminal", "challenge", "--terminal-id", u32_over, "--amount", "1"], "--terminal-id"),
        (vec!["terminal", "challenge", "--terminal-id", "-1", "--amount", "1"], "'-1'"),
        (vec!["terminal", "challenge", "--terminal-id", "1", "--amount", u64_over], "--amount"),
        (vec!["terminal", "challenge", "--terminal-id", "1", "--amount", "1", "--at", u64_over], "--at"),
        (vec!["terminal", "challenge", "--amount", "1"], "--terminal-id"),
        (
            vec!["verify", "x", "--issuer", i, "--state", st, "--amount", u64_over, "--challenge", &genuine],
            "--amount",
        ),
        (
            vec!["issuer", "init", "--out", "/nonexistent/i.json", "--challenge-lifetime", u64_over],
            "--challenge-lifetime",
        ),
        (
            vec!["issuer", "init", "--out", "/nonexistent/i.json", "--numeric-ceiling", u64_over],
            "--numeric-ceiling",
        ),
        (
            vec!["issuer", "init", "--out", "/nonexistent/i.json", "--challenge-lifetime", "601"],
            "--challenge-lifetime",
        ),
    ];
    let before = std::fs::read(&wallet).unwrap();
    for (args, option) in &refused {
        let out = CLI.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty() && stderr.contains(option) && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(std::fs::read(&wallet).unwrap(), before, "nothing was spent");
    // In range, however large: a challenge for the largest amount of the largest terminal
    // pays (hmac has no limits) at that terminal, and a cap of 2^32 - 1 too.
    let at = T.to_string();
    let (max32, max64) = (u32::MAX.to_string(), u64::MAX.to_string());
    let huge = CLI.stdout(&[
        "terminal",
        "challenge",
        "--terminal-id",
        &max32,
        "--amount",
        &max64,
        "--at",
        &at,
        "--only",
        "text",
    ]);
    let huge = huge.trim_end();
    let code = CLI.stdout(&["code", "--wallet", w, "--at", &at, "--challenge", huge, "--only", "text"]);
    let pay = |code: &str, amount: &str, extra: &[&str]| {
        let args = [
            "verify",
            "--issuer",
            i,
            "--state",
            st,
            "--at",
            &at,
            "--terminal-id",
            &max32,
            "--amount",
            amount,
        ];
        CLI.run(&[&args[..], extra, &["--", code]].concat()).status.code()
    };
    assert_eq!(pay(code.trim_end(), &max64, &["--challenge", huge]), Some(0));
    let capped = CLI.stdout(&["code", "--wallet", w, "--at", &at, "--cap", &max32, "--only", "text"]);
    assert_eq!(pay(capped.trim_end(), &(u64::from(u32::MAX) + 1).to_string(), &[]), Some(1));
    assert_eq!(pay(capped.trim_end(), &max32, &[]), Some(0));
}
