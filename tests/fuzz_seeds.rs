//! The seed corpora of the fuzz targets, `fuzz/seeds/<target>/`, are
//! generated from the fixture's valid codes and lists. This test fails if
//! the committed seeds differ from what the fixture generates now;
//! `PAYCODE_WRITE_FUZZ_SEEDS=1 cargo test --test fuzz_seeds` rewrites them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

// The `challenge` target's input layout, shared with the target.
#[path = "../fuzz/fuzz_targets/challenge/case.rs"]
mod challenge_case;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use challenge_case::{
    CAPPED, CHALLENGE, ChallengeCase, ED25519, LOST, NO_CHALLENGE, NUMERIC, ONE_WAY, OTHER_CHALLENGE,
    RAW_CHALLENGE, RAW_CODE, USED,
};
use paycode::hazmat::base45;
use paycode::log::LogRecord;
use paycode::{Challenge, Code, Error, TextPayment};
use paycode_test_support::fixture::{self, NOW, VerifyCase};

/// Every fuzz target, and the seeds for it: file name -> bytes.
fn seeds() -> BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> {
    let valid = fixture::valid_codes();
    let mut all: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    let mut add = |target: &'static str, name: &str, bytes: &[u8]| {
        let old = all.entry(target).or_default().insert(name.to_owned(), bytes.to_vec());
        assert!(old.is_none(), "two seeds named {target}/{name}");
    };
    let step = fixture::params().step_secs() as i64;
    let verifier = fixture::verifier();
    let mut log = Vec::new();
    for v in &valid {
        add("qr_text", v.label, v.text.as_bytes());
        let code = Code::parse(&v.text).unwrap();
        match &code {
            Code::Hmac(c) => {
                add("payload", v.label, &c.encode());
                add("base45", v.label, &v.text.as_bytes()[4..]);
                add(
                    "verify",
                    &format!("{}-payload", v.label),
                    &VerifyCase::seed(8, 0, 0, false, &c.encode()),
                );
            }
            Code::Ed25519(c) => {
                add("payload", v.label, c.encode());
                add("base45", v.label, &v.text.as_bytes()[4..]);
                add("credential", v.label, c.credential().as_bytes());
                add(
                    "verify",
                    &format!("{}-payload", v.label),
                    &VerifyCase::seed(8, 0, 250, false, c.encode()),
                );
            }
            Code::Numeric(_) => add("numeric", v.label, v.text.as_bytes()),
        }
        let text = v.text.as_bytes();
        add("verify", v.label, &VerifyCase::seed(0, 0, 250, false, text));
        add("verify", &format!("{}-replayed", v.label), &VerifyCase::seed(0, 0, 250, true, text));
        add("verify", &format!("{}-too-old", v.label), &VerifyCase::seed(0, 3 * step, 250, false, text));
        add("verify", &format!("{}-too-new", v.label), &VerifyCase::seed(0, -2 * step, 250, false, text));
        add("verify", &format!("{}-lost", v.label), &VerifyCase::seed(1, 0, 250, false, text));
        add("verify", &format!("{}-revoked", v.label), &VerifyCase::seed(2, 0, 250, false, text));
        add("verify", &format!("{}-throttled", v.label), &VerifyCase::seed(0x80, 0, 250, false, text));
        add("verify", &format!("{}-over-limit", v.label), &VerifyCase::seed(0, 0, 6_000, false, text));
        let acc = verifier.verify_text(&v.text, NOW, 250).unwrap();
        log.extend_from_slice(&acc.record.encode());
    }
    // A log with a copy: the first record again from another terminal.
    let first = paycode::log::record_len(log[1]).unwrap();
    let mut again = LogRecord::decode(&log[..first]).unwrap();
    again.terminal_id += 1;
    log.extend_from_slice(&again.encode());
    add("log", "three-accepted-one-twice", &log);
    add("trust_list", "fixture", &fixture::trust_list().encode());
    add("revocation_list", "lists-fixture", &fixture::revocation_list(true).encode());
    add("revocation_list", "lists-others", &fixture::revocation_list(false).encode());
    // Edges of the encodings.
    add("qr_text", "prefix-only", b"PC3:");
    add("base45", "rfc9285-hello", b"%69 VD92EX0");
    add("base45", "max-group", b"FGW");
    add("numeric", "largest", b"604462909807314587353087");
    add("numeric", "zero", b"000000000000000000000000");
    // The conformance adapter's message loop: a session, and broken lines.
    add(
        "adapter",
        "session",
        concat!(
            "{\"type\":\"hello\",\"seq\":1,\"contract\":\"paycode-adapter/1\"}\n",
            "{\"type\":\"case\",\"seq\":2,\"id\":\"x\",\"op\":\"base45-decode\",\"input\":{\"text\":\"BB8\"}}\n",
            "{\"type\":\"reset\",\"seq\":3,\"id\":\"s\",\"verifier\":{},\"state\":{}}\n",
            "{\"type\":\"step\",\"seq\":4,\"id\":\"s\",\"index\":0,\"step\":{\"action\":\"verify\"}}\n",
            "{\"type\":\"stop\"}\n"
        )
        .as_bytes(),
    );
    add("adapter", "broken-lines", b"not json\n{\"seq\":7}\n[1,2]\n{\"type\":\"case\",\"op\":5}\n");
    for (name, case) in challenge_cases() {
        add("challenge", &name, &case.to_bytes());
    }
    all
}

/// The `challenge` target's seeds, named `<what>.<verdict>`: one case per
/// verdict of V1.C, V2, C2-C4 for the modes, and texts given raw.
fn challenge_cases() -> Vec<(String, ChallengeCase)> {
    let pay = |flags| ChallengeCase { flags, amount: 250, ..ChallengeCase::default() };
    let genuine = Challenge::new(fixture::TERMINAL, 250, NOW, [0; 16]);
    let code = fixture::hmac_wallet(0)
        .code_as(fixture::step_now(), 0, paycode::Purpose::Challenge(&genuine))
        .to_qr_text();
    let mut version = genuine.encode();
    version[0] = 1;
    let cases = [
        ("hmac-challenge.accepted", pay(CHALLENGE)),
        ("ed25519-challenge.accepted", pay(CHALLENGE | ED25519)),
        ("hmac-capped.accepted", pay(CAPPED | NO_CHALLENGE)),
        ("ed25519-capped.accepted", pay(CAPPED | ED25519 | NO_CHALLENGE)),
        ("hmac-one-way.accepted", pay(ONE_WAY | NO_CHALLENGE)),
        ("hmac-numeric.accepted", ChallengeCase { more: NUMERIC, ..pay(ONE_WAY | NO_CHALLENGE) }),
        (
            "raw.accepted",
            ChallengeCase {
                raw: format!("{}\n{code}", genuine.to_qr_text()).into_bytes(),
                ..pay(RAW_CHALLENGE | RAW_CODE)
            },
        ),
        ("raw-prefix-only.malformed", ChallengeCase { raw: b"PT3:".to_vec(), ..pay(RAW_CHALLENGE) }),
        (
            "raw-version-1.malformed",
            ChallengeCase {
                raw: format!("PT3:{}", base45::encode(&version)).into_bytes(),
                ..pay(RAW_CHALLENGE)
            },
        ),
        ("without-challenge.no-challenge", pay(CHALLENGE | NO_CHALLENGE)),
        ("one-way-with-challenge.challenge-required", pay(ONE_WAY)),
        ("capped-with-challenge.challenge-required", pay(CAPPED)),
        ("other-terminal.challenge-mismatch", ChallengeCase { terminal_xor: 1, ..pay(CHALLENGE) }),
        ("other-amount.challenge-mismatch", ChallengeCase { amount_xor: 1, ..pay(CHALLENGE) }),
        ("closed.challenge-expired", ChallengeCase { issued: -121, ..pay(CHALLENGE) }),
        ("last-second.accepted", ChallengeCase { issued: -120, ..pay(CHALLENGE) }),
        ("future.challenge-expired", ChallengeCase { issued: 61, ..pay(CHALLENGE) }),
        ("other-challenge.invalid-code", pay(OTHER_CHALLENGE)),
        ("lost-state.state-unavailable", pay(CHALLENGE | LOST)),
        ("paid-before.challenge-used", pay(CHALLENGE | USED)),
        ("above-cap.over-cap", ChallengeCase { cap_xor: 250 ^ 249, ..pay(CAPPED | NO_CHALLENGE) }),
        (
            "numeric-above-ceiling.over-ceiling",
            ChallengeCase { amount: 5_001, more: NUMERIC, ..pay(ONE_WAY | NO_CHALLENGE) },
        ),
    ];
    cases.into_iter().map(|(name, case)| (name.to_owned(), case)).collect()
}

#[test]
fn fuzz_seed_corpora_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("seeds");
    let seeds = seeds();
    let write = std::env::var_os("PAYCODE_WRITE_FUZZ_SEEDS").is_some();
    if write {
        let _ = std::fs::remove_dir_all(&root);
    }
    for (target, files) in &seeds {
        let dir = root.join(target);
        if write {
            std::fs::create_dir_all(&dir).unwrap();
        }
        for (name, bytes) in files {
            let path = dir.join(name);
            if write {
                std::fs::write(&path, bytes).unwrap();
            }
            let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(&on_disk == bytes, "{} is stale: rerun with PAYCODE_WRITE_FUZZ_SEEDS=1", path.display());
        }
        let names: Vec<String> = listing(&dir);
        let expected: Vec<String> = files.keys().cloned().collect();
        assert_eq!(names, expected, "unexpected files in {}", dir.display());
    }
    let targets = listing(&root);
    let expected: Vec<String> = seeds.keys().map(|t| (*t).to_owned()).collect();
    assert_eq!(targets, expected, "seed folders do not match the targets");
}

/// Every fuzz target in fuzz/Cargo.toml has a seed folder, and no more.
#[test]
fn every_fuzz_target_has_seeds() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml")).unwrap();
    let mut targets: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "paycode-fuzz")
        .collect();
    targets.sort_unstable();
    let seeds = seeds();
    let with_seeds: Vec<&str> = seeds.keys().copied().collect();
    assert_eq!(targets, with_seeds);
}

/// The seeds are what they claim: the valid ones verify at the fixture's
/// time, and the verify seeds decode to the intended cases.
#[test]
fn seeds_exercise_what_they_name() {
    let seeds = seeds();
    for (name, bytes) in &seeds["verify"] {
        let case = VerifyCase::from_bytes(bytes);
        let verdict = case.verifier().verify_text(&case.text, case.now, case.amount);
        let expect = match name.rsplit_once('-').map_or("", |(_, tail)| tail) {
            "replayed" => Err(Error::Replayed),
            "old" => Err(Error::TooOld),
            "new" => Err(Error::TooNew),
            "lost" => Err(Error::StateUnavailable),
            "revoked" if name.starts_with("ed25519") => Err(Error::Revoked),
            // Only the numeric form is throttled (spec: R-HMAC-6).
            "throttled" if name.starts_with("hmac-numeric") => Err(Error::Throttled),
            "limit" if name.starts_with("ed25519") => Err(Error::OverLimit),
            // 6000 is above the numeric ceiling A_num = 5000 (spec: R-CAP-3);
            // a one-way QR code binds no amount.
            "limit" if name.starts_with("hmac-numeric") => Err(Error::OverCeiling),
            _ => Ok(()),
        };
        assert_eq!(verdict.map(|_| ()), expect, "verify seed {name}");
    }
    for (name, bytes) in &seeds["challenge"] {
        let case = ChallengeCase::from_bytes(bytes);
        assert_eq!(&case.to_bytes(), bytes, "challenge seed {name} round trip");
        let text = case.code_text();
        let challenge = case.challenge_text();
        let payment = TextPayment { text: &text, amount: case.amount, challenge: challenge.as_deref() };
        let verdict = case.verifier().verify_text_payment(payment, case.now()).map_err(|r| r.error());
        let named = name.rsplit_once('.').map_or("", |(_, v)| v);
        let expect = Error::ALL.into_iter().find(|e| e.code() == named).map_or(Ok(()), Err);
        assert!(named == "accepted" || expect.is_err(), "challenge seed {name} names no verdict");
        assert_eq!(verdict.map(|_| ()), expect, "challenge seed {name}");
    }
    for bytes in seeds["base45"].values() {
        let text = std::str::from_utf8(bytes).unwrap();
        assert_eq!(base45::encode(&base45::decode(text).unwrap()), text);
    }
}

fn listing(dir: &PathBuf) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort_unstable();
    names
}
