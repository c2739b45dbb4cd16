//! Hostile input: thousands of generated inputs derived from valid codes of
//! both profiles and the numeric form (truncations, extensions, every
//! single-byte substitution, overlong and huge inputs, non-ASCII, control
//! characters, NUL, wrong prefixes, lowercase Base45, surrounding whitespace,
//! non-UTF-8 bytes), through the library and through `paycode verify`.
//!
//! Each input must be rejected with exactly the error code the spec's rules
//! give for it: an oracle in this file derives that code from the byte
//! layouts and the check order (spec §4, §5, §7.4), with its own Base45
//! decoder. Nothing may panic and nothing may be accepted; the CLI must exit
//! with 1 and print the code, or 2 for IO errors, never 101.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use paycode_test_support::fixture;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use paycode::revocation::RevocationList;
use paycode::trust::TrustList;
use paycode::{Credential, Error, Verifier};
use serde_json::Value;

/// The RFC 9285 alphabet, in value order.
const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

// ---------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------

/// What the verifier under test knows, as far as the oracle needs it.
struct World {
    /// The enrolled hmac account.
    account: u64,
    /// The trusted issuer key ids.
    trusted: Vec<u16>,
    /// The genuine codes (QR text or digits); the only inputs that may be accepted.
    genuine: Vec<String>,
}

impl World {
    fn fixture() -> World {
        World {
            account: fixture::ACCOUNT,
            trusted: vec![fixture::KEY_ID, fixture::OTHER_KEY_ID],
            genuine: fixture::valid_codes().into_iter().map(|v| v.text).collect(),
        }
    }

    /// The credential bytes of the genuine ed25519 codes.
    fn credentials(&self) -> Vec<Vec<u8>> {
        self.genuine
            .iter()
            .filter_map(|t| t.strip_prefix("PC1:"))
            .filter_map(|rest| b45_decode(rest.as_bytes()))
            .filter(|p| p.len() == 204)
            .map(|p| p[14..140].to_vec())
            .collect()
    }

    /// The verdict the spec requires for `input` at a verifier with fresh
    /// state, at the genuine codes' time, for an amount within the limits.
    fn expect(&self, input: &[u8]) -> Result<(), Error> {
        // Only genuine codes can pass a MAC or signature check.
        let genuine = self.genuine.iter().any(|g| g.as_bytes() == input);
        let Ok(text) = std::str::from_utf8(input) else { return Err(Error::Malformed) };
        if let Some(rest) = text.strip_prefix("PC1:") {
            let payload = b45_decode(rest.as_bytes()).ok_or(Error::Malformed)?;
            return self.expect_payload(&payload, genuine);
        }
        if text.len() != 24 {
            return Err(Error::Malformed);
        }
        // spec §4.3, §5.3: exactly 24 ASCII digits, value below 2^79.
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Malformed);
        }
        let n: u128 = text.parse().map_err(|_| Error::Malformed)?;
        if n >= 1 << 79 {
            return Err(Error::Malformed);
        }
        if (n >> 49) as u64 != self.account {
            return Err(Error::UnknownAccount);
        }
        if genuine { Ok(()) } else { Err(Error::InvalidCode) }
    }

    /// Steps V1, H1-H3 and E1-E5 on a decoded payload (spec §7.4).
    fn expect_payload(&self, p: &[u8], genuine: bool) -> Result<(), Error> {
        match p {
            [] => return Err(Error::Malformed),
            [v, ..] if *v != 1 => return Err(Error::UnsupportedVersion),
            [_] => return Err(Error::Malformed),
            [_, 1 | 2, ..] => {}
            _ => return Err(Error::UnsupportedProfile),
        }
        if p[1] == 1 {
            if p.len() != 38 {
                return Err(Error::Malformed);
            }
            if u64::from_be_bytes(p[2..10].try_into().unwrap()) != self.account {
                return Err(Error::UnknownAccount);
            }
        } else {
            if p.len() != 204 {
                return Err(Error::Malformed);
            }
            if !self.trusted.contains(&u16::from_be_bytes([p[14], p[15]])) {
                return Err(Error::UnknownIssuer);
            }
            if !self.credentials().iter().any(|c| c[..] == p[14..140]) {
                return Err(Error::BadCredential);
            }
        }
        if genuine { Ok(()) } else { Err(Error::InvalidCode) }
    }
}

/// Canonical Base45 decoding (RFC 9285 with the spec's canonical rules,
/// spec §5.2), written independently of the library's.
fn b45_decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() % 3 == 1 {
        return None;
    }
    let mut out = Vec::new();
    for group in s.chunks(3) {
        let mut n = 0u32;
        for (i, c) in group.iter().enumerate() {
            let v = ALPHABET.iter().position(|a| a == c)? as u32;
            n += v * 45u32.pow(i as u32);
        }
        if group.len() == 3 {
            out.extend_from_slice(&u16::try_from(n).ok()?.to_be_bytes());
        } else {
            out.push(u8::try_from(n).ok()?);
        }
    }
    Some(out)
}

/// Base45 encoding, written independently of the library's.
fn b45_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(2) {
        let (mut n, digits) = match chunk {
            [a, b] => (u32::from(*a) * 256 + u32::from(*b), 3),
            _ => (u32::from(chunk[0]), 2),
        };
        for _ in 0..digits {
            out.push(char::from(ALPHABET[(n % 45) as usize]));
            n /= 45;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The hostile inputs
// ---------------------------------------------------------------------------

/// One hostile input and how it was made.
struct Case {
    what: String,
    input: Vec<u8>,
}

/// How thoroughly to substitute in ed25519 codes: each is a signature check.
#[derive(Clone, Copy, PartialEq)]
enum Ed25519Substitutions {
    /// Every position, a few substitutes each.
    Sample,
    /// Every position, every byte value: of the text (ASCII) and of the payload.
    Every,
    /// None (the caller covers them elsewhere).
    Skip,
}

/// Hostile inputs derived from `world`'s genuine codes.
fn hostile_cases(world: &World, ed25519: Ed25519Substitutions) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |what: String, input: Vec<u8>| cases.push(Case { what, input });
    for (gi, g) in world.genuine.iter().enumerate() {
        let g = g.as_bytes();
        let is_ed = g.len() > 100;
        let substitute_ed = if is_ed { ed25519 } else { Ed25519Substitutions::Every };
        if substitute_ed != Ed25519Substitutions::Skip {
            // Every single-byte substitution of the text: ASCII here; bytes
            // >= 0x80 make it non-UTF-8, covered below.
            for pos in 0..g.len() {
                for b in 0..=127u8 {
                    let keep = match substitute_ed {
                        Ed25519Substitutions::Sample => {
                            // One alphabet and one other character per position.
                            b == ALPHABET[(pos * 7 + 1) % 45] || b == [b'a', 0, b'#', 0x7f][pos % 4]
                        }
                        _ => true,
                    };
                    if b != g[pos] && keep {
                        let mut v = g.to_vec();
                        v[pos] = b;
                        add(format!("code {gi}: byte {pos} := {b:#04x}"), v);
                    }
                }
            }
        }
        // Non-UTF-8: a high byte in every position.
        for pos in 0..g.len() {
            let b = [0x80, 0xc3, 0xff, 0xe9][pos % 4];
            let mut v = g.to_vec();
            v[pos] = b;
            add(format!("code {gi}: byte {pos} := {b:#04x} (not UTF-8)"), v);
        }
        // Payload substitutions, re-encoded canonically: these pass Base45
        // and reach the checks behind it.
        if let Some(payload) = g.strip_prefix(b"PC1:").and_then(b45_decode)
            && substitute_ed != Ed25519Substitutions::Skip
        {
            for pos in 0..payload.len() {
                for b in 0..=255u8 {
                    let keep = match substitute_ed {
                        Ed25519Substitutions::Sample => b == payload[pos] ^ (1 << (pos % 8)),
                        _ => true,
                    };
                    if b != payload[pos] && keep {
                        let mut p = payload.clone();
                        p[pos] = b;
                        add(format!("code {gi}: payload byte {pos} := {b:#04x}"), qr(&p));
                    }
                }
            }
        }
        // Truncations.
        for len in 0..g.len() {
            add(format!("code {gi}: first {len} bytes"), g[..len].to_vec());
        }
        // Extensions.
        let suffixes: [&[u8]; 12] =
            [b"0", b"00", b"000", b"A", b"AA", b" ", b":", b"PC1:", b"0000", b"\xc3\xa9", b"\0", b"%%%"];
        for s in suffixes {
            add(format!("code {gi} + {:?}", String::from_utf8_lossy(s)), [g, s].concat());
            add(format!("{:?} + code {gi}", String::from_utf8_lossy(s)), [s, g].concat());
        }
        add(format!("code {gi} twice"), [g, g].concat());
        // Surrounding whitespace (Unicode spaces included).
        for ws in
            [" ", "\t", "\n", "\r\n", "\r", "\u{a0}", "\u{3000}", "\u{feff}", "\u{200b}", "\x0b", "\x0c"]
        {
            let ws = ws.as_bytes();
            add(format!("{ws:?} around code {gi}"), [ws, g, ws].concat());
            add(format!("{ws:?} before code {gi}"), [ws, g].concat());
            add(format!("code {gi} then {ws:?}"), [g, ws].concat());
        }
        // Control characters, NUL included, at the start, middle and end.
        for c in (0u8..0x20).chain([0x7f]) {
            for at in [0, g.len() / 2, g.len()] {
                let mut v = g.to_vec();
                v.insert(at, c);
                add(format!("code {gi}: control {c:#04x} inserted at {at}"), v);
            }
        }
        // Non-ASCII look-alikes in the middle.
        for s in ["é", "Ａ", "٠", "０", "\u{fffd}", "🙂", "\u{301}", "ß", "İ", "\u{2028}"] {
            let mut v = g.to_vec();
            let at = g.len() / 2;
            v.splice(at..at + 1, s.bytes());
            add(format!("code {gi}: byte {at} := {s:?}"), v);
        }
        if let Some(rest) = g.strip_prefix(b"PC1:") {
            // Wrong prefixes.
            for p in [
                "",
                "pc1:",
                "Pc1:",
                "PC2:",
                "PC0:",
                "PC1",
                "PC1;",
                "PC1::",
                "PC1: ",
                "PC:",
                "PC01:",
                "HC1:",
                "PC1:PC1:",
                "\u{feff}PC1:",
                "ＰＣ１:",
                "PC1\0:",
            ] {
                add(format!("code {gi} with prefix {p:?}"), [p.as_bytes(), rest].concat());
            }
            // Lowercase Base45, whole and one letter.
            add(format!("code {gi} lowercase"), [b"PC1:", rest.to_ascii_lowercase().as_slice()].concat());
            add(format!("code {gi} all lowercase"), g.to_ascii_lowercase());
            if let Some(i) = rest.iter().position(u8::is_ascii_uppercase) {
                let mut v = g.to_vec();
                v[4 + i] = v[4 + i].to_ascii_lowercase();
                add(format!("code {gi}: one letter lowercase"), v);
            }
        } else {
            // The numeric form: lengths, signs, separators, other digits.
            let digits = std::str::from_utf8(g).unwrap();
            for s in [
                format!("+{}", &digits[1..]),
                format!("-{}", &digits[1..]),
                format!("{} {}", &digits[..12], &digits[12..]),
                format!("{}-{}", &digits[..12], &digits[12..]),
                format!("{}.0", &digits[..22]),
                format!("0x{}", &digits[2..]),
                format!("{}e5", &digits[..22]),
                format!("PC1:{digits}"),
                "9".repeat(24),
                "604462909807314587353088".to_owned(),
                format!("{}", u128::MAX),
                "٠".repeat(24),
                "０".repeat(12),
            ] {
                add(format!("numeric variant {s:?}"), s.into_bytes());
            }
        }
    }
    // Overlong inputs, 10 kB and more.
    let first = world.genuine[0].as_bytes();
    for len in [10_000usize, 10_001, 10_002, 65_536, 200_000] {
        add(format!("{len} x 'A'"), vec![b'A'; len]);
        add(format!("PC1: + {len} x '0'"), [b"PC1:".as_slice(), &vec![b'0'; len]].concat());
        add(format!("code 0 repeated to {len}"), first.iter().copied().cycle().take(len).collect());
        add(format!("{len} digits"), vec![b'7'; len]);
        add(format!("{len} NUL bytes"), vec![0; len]);
        add(format!("{len} x 0xff"), vec![0xff; len]);
    }
    // Huge payloads: the version byte decides first, then the profile, then the length.
    for len in [10_000usize, 100_000] {
        for head in [[2u8, 1], [0, 1], [0xff, 0xff], [1, 0], [1, 3], [1, 0xff], [1, 1], [1, 2]] {
            let mut p = vec![0u8; len];
            p[..2].copy_from_slice(&head);
            add(format!("payload of {len} bytes starting {head:?}"), qr(&p));
        }
    }
    // Short payloads of every length below the real ones.
    for len in 0..=210usize {
        for profile in [1u8, 2] {
            let p: Vec<u8> = [1, profile].into_iter().chain((0..len).map(|i| i as u8)).take(len).collect();
            add(format!("payload of {len} bytes, profile {profile}"), qr(&p));
        }
    }
    // Pseudo-random strings: alphabet only, and any ASCII.
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for i in 0..300 {
        let len = (rng.next() % 400) as usize;
        let body: Vec<u8> = if i % 2 == 0 {
            (0..len).map(|_| ALPHABET[(rng.next() % 45) as usize]).collect()
        } else {
            (0..len).map(|_| (rng.next() % 128) as u8).collect()
        };
        add(format!("random {i}, {len} characters after PC1:"), [b"PC1:".as_slice(), &body].concat());
    }
    cases
}

/// `PC1:` + Base45 of `payload`.
fn qr(payload: &[u8]) -> Vec<u8> {
    format!("PC1:{}", b45_encode(payload)).into_bytes()
}

/// xorshift64*: a fixed stream of pseudo-random numbers.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

// ---------------------------------------------------------------------------
// Through the library
// ---------------------------------------------------------------------------

/// Verifies every case that is UTF-8 through the library at the fixture's
/// time, with an amount within the limits, and checks the verdict against the
/// oracle. hmac-derived inputs get a fresh verifier each, so the throttle
/// never hides a check; the rest share one verifier.
fn check_library(cases: &[Case]) -> usize {
    let world = World::fixture();
    let shared = fixture::verifier();
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in cases {
        let expected = world.expect(&case.input);
        assert!(expected.is_err(), "generator made an acceptable input: {}", case.what);
        let Ok(text) = std::str::from_utf8(&case.input) else { continue };
        let fresh;
        let v = if text.len() < 100 {
            fresh = fixture::verifier();
            &fresh
        } else {
            &shared
        };
        let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            v.verify_text(text, fixture::NOW, 250).map(|_| ())
        }));
        match got {
            Err(_) => failures.push(format!("{}: PANIC", case.what)),
            Ok(verdict) if verdict != expected => {
                failures.push(format!("{}: got {verdict:?}, the spec says {expected:?}", case.what));
            }
            Ok(Err(e)) => assert_eq!(Error::from_code(e.code()), Some(e)),
            Ok(Ok(())) => unreachable!("expected is an error"),
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{} of {checked} wrong:\n{}", failures.len(), failures.join("\n"));
    eprintln!("{checked} hostile inputs through the library");
    // The genuine codes still verify: the rejections consumed nothing, and the
    // set-up can accept.
    for g in &world.genuine {
        assert_eq!(shared.verify_text(g, fixture::NOW, 250).map(|_| ()), Ok(()), "genuine {g}");
        assert_eq!(shared.verify_text(g, fixture::NOW, 250).map(|_| ()), Err(Error::Replayed));
    }
    checked
}

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
    assert_eq!(with(0, 2), Err(Error::UnsupportedVersion));
    assert_eq!(with(1, 3), Err(Error::UnsupportedProfile));
    assert_eq!(with(1, 1), Err(Error::Malformed));
    assert_eq!(with(15, 9), Err(Error::UnknownIssuer));
    assert_eq!(with(15, 2), Err(Error::BadCredential));
    assert_eq!(with(50, 0), Err(Error::BadCredential));
    assert_eq!(with(5, 0xaa), Err(Error::InvalidCode));
    assert_eq!(with(203, 0), Err(Error::InvalidCode));
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
        t[1..3].copy_from_slice(&count.to_be_bytes());
        let want = if count == 2 { Ok(()) } else { Err(Error::Malformed) };
        assert_eq!(TrustList::decode(&t).map(|_| ()), want, "trust count {count}");
        n += 1;
    }
    for count in [0u32, 1, 2, 4, 0x1fff_ffff, 0x2000_0000, u32::MAX] {
        let mut r = revocation.clone();
        r[19..23].copy_from_slice(&count.to_be_bytes());
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
    // A log of a million bytes that is not a multiple of 44, and one that is
    // but holds an unknown version byte (malformed: only code payloads have
    // `unsupported-version`).
    assert_eq!(paycode::log::LogRecord::decode_log(&huge).map(|_| ()), Err(Error::Malformed));
    assert_eq!(
        paycode::log::LogRecord::decode_log(&vec![0xff; 44 * 20_000]).map(|_| ()),
        Err(Error::Malformed)
    );
    assert!(n > 100);
}

// ---------------------------------------------------------------------------
// Through the CLI
// ---------------------------------------------------------------------------

const T: u64 = 1_800_000_000;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn p(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn paycode(args: &[&std::ffi::OsStr], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_paycode"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // The CLI reads at most 1 MiB and may exit before reading it all.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    child.wait_with_output().unwrap()
}

/// The arguments as `OsStr`s.
fn os<'a>(args: &[&'a str]) -> Vec<&'a std::ffi::OsStr> {
    args.iter().map(|a| std::ffi::OsStr::new(*a)).collect()
}

fn run(args: &[&str]) -> String {
    let out = paycode(&os(args), None);
    assert!(out.status.success(), "{args:?}: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// An issuer with one hmac and one ed25519 wallet, made with the CLI at T,
/// and one code of each (with the hmac code's digits).
fn cli_world(dir: &Dir) -> (PathBuf, World) {
    let issuer = dir.p("issuer.json");
    let at = T.to_string();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    // Imported seeds, so that the inputs are the same on every run.
    run(&["issuer", "init", "--out", &s(&issuer), "--at", &at, "--seed", &"44".repeat(32)]);
    let mut genuine = Vec::new();
    let mut account = 0;
    for (profile, seed) in [("hmac", "55"), ("ed25519", "66")] {
        let wallet = dir.p(&format!("{profile}.json"));
        let (i, w, seed) = (s(&issuer), s(&wallet), seed.repeat(32));
        run(&[
            "wallet",
            "enroll",
            "--issuer",
            &i,
            "--profile",
            profile,
            "--out",
            &w,
            "--at",
            &at,
            "--seed",
            &seed,
        ]);
        let code: Value =
            serde_json::from_str(&run(&["code", "--wallet", &s(&wallet), "--at", &at, "--json"])).unwrap();
        genuine.push(code["text"].as_str().unwrap().to_owned());
        if let Some(d) = code["digits"].as_str() {
            // The digits are the same code (same counter) as the QR text.
            genuine.push(d.to_owned());
            let n: u128 = d.parse().unwrap();
            account = (n >> 49) as u64;
        }
    }
    (issuer, World { account, trusted: vec![1], genuine })
}

/// How an input reaches `paycode verify`.
#[derive(Clone, Copy, Debug)]
enum Via {
    Argument,
    Stdin,
}

/// Picks about `n` cases, evenly spaced within each expected error code (at
/// least 20 of each), and how to deliver each: standard input for NUL bytes
/// and inputs too long for an argument, and for every third of the others
/// unless a trailing line ending would be taken off; the argument otherwise.
fn sample(world: &World, cases: Vec<Case>, n: usize) -> Vec<(Case, Via)> {
    let total = cases.len();
    let mut groups: BTreeMap<&'static str, Vec<Case>> = BTreeMap::new();
    for c in cases {
        let code = world.expect(&c.input).err().map_or("accepted", Error::code);
        groups.entry(code).or_default().push(c);
    }
    let mut out = Vec::new();
    for group in groups.into_values() {
        let want = (group.len() * n / total).max(20);
        let stride = group.len().div_ceil(want).max(1);
        for (i, c) in group.into_iter().enumerate() {
            if i % stride != 0 && c.input.len() <= 100_000 {
                continue;
            }
            let must_stdin = c.input.contains(&0) || c.input.len() > 100_000;
            let via = if must_stdin || (out.len() % 3 == 0 && !c.input.ends_with(b"\n")) {
                Via::Stdin
            } else {
                Via::Argument
            };
            out.push((c, via));
        }
    }
    out
}

#[test]
fn cli_rejects_hostile_input_with_the_spec_code_and_exit_1() {
    let started = Instant::now();
    let dir = Dir::new("cli");
    let (issuer, world) = cli_world(&dir);
    let state = dir.p("state.json");
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
        // Each input is judged on its own, from a fresh state: the state file
        // keeps the throttle count, which would otherwise turn the later
        // `invalid-code` verdicts into `throttled` (tested in tests/cli.rs).
        let _ = std::fs::remove_file(&state);
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
            "--init".as_ref(),
        ];
        // Text output for one case in ten, JSON for the rest.
        let json = i % 10 != 0;
        if json {
            args.push("--json".as_ref());
        }
        let out = match via {
            Via::Argument => {
                args.extend(["--".as_ref(), std::ffi::OsStr::from_bytes(&case.input)]);
                paycode(&args, None)
            }
            Via::Stdin => paycode(&args, Some(&case.input)),
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
    // Every decode-stage and authentication-stage code occurs.
    for code in [
        "malformed",
        "unsupported-version",
        "unsupported-profile",
        "unknown-account",
        "unknown-issuer",
        "bad-credential",
        "invalid-code",
    ] {
        assert!(by_code.get(code).copied().unwrap_or(0) > 0, "no case gave {code}: {by_code:?}");
    }
    // Positive control: the genuine codes are accepted once, after all that
    // (one step later: the hmac account may be throttled in step T).
    let later = (T + 60).to_string();
    // (genuine[1] is the digits of the same hmac code, so a replay of genuine[0].)
    for g in [&world.genuine[0], &world.genuine[2]] {
        let verify = |g: &str| {
            let (i, s) = (issuer.to_str().unwrap(), state.to_str().unwrap());
            paycode(
                &os(&["verify", "--issuer", i, "--state", s, "--at", &later, "--amount", "250", "--", g]),
                None,
            )
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
    let dir = Dir::new("io");
    let (issuer, world) = cli_world(&dir);
    let code = world.genuine[0].as_str();
    let at = T.to_string();
    let i = issuer.to_str().unwrap();
    let garbage = dir.p("garbage.json");
    std::fs::write(&garbage, b"{\"format\": \"paycode-state-v1\", \"state\": [").unwrap();
    let missing_dir = dir.p("no/such/dir/state.json");
    let state = dir.p("state.json");
    run(&["state", "init", "--state", state.to_str().unwrap()]);
    let cases: [(&str, Vec<&str>); 5] = [
        (
            "missing issuer file",
            vec!["--issuer", "/nonexistent/issuer.json", "--state", state.to_str().unwrap()],
        ),
        (
            "issuer file is a folder",
            vec!["--issuer", dir.0.to_str().unwrap(), "--state", state.to_str().unwrap()],
        ),
        ("state file is not JSON of the format", vec!["--issuer", i, "--state", garbage.to_str().unwrap()]),
        ("state file cannot be written", vec!["--issuer", i, "--state", missing_dir.to_str().unwrap()]),
        ("state file is the issuer file", vec!["--issuer", i, "--state", i]),
    ];
    for (what, opts) in cases {
        let mut args = vec!["verify"];
        args.extend(opts);
        args.extend(["--at", &at, "--", code]);
        let out = paycode(&os(&args), None);
        assert_eq!(out.status.code(), Some(2), "{what}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("paycode: ") && !stderr.contains("panicked"), "{what}: {stderr}");
    }
    // Standard input that cannot be read (a folder).
    let out = Command::new(env!("CARGO_BIN_EXE_paycode"))
        .args(["verify", "--issuer", i, "--state", state.to_str().unwrap(), "--at", &at])
        .stdin(std::fs::File::open(&dir.0).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "stdin is a folder: {out:?}");
    // The issuer file is untouched by all of that, and still works.
    let ok = paycode(
        &os(&["verify", "--issuer", i, "--state", state.to_str().unwrap(), "--at", &at, "--", code]),
        None,
    );
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
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
    // One step later (the throttle of step T may be used up), the ed25519 code and the hmac code pass.
    let later = fixture::NOW + 60;
    for g in [&world.genuine[2], &world.genuine[0]] {
        assert!(v.verify_text(g, later, 250).is_ok(), "{g}");
    }
}

/// Extreme numeric arguments to every command: an error or a verdict, never
/// a panic (an unoptimized build also turns integer overflow into a panic).
#[test]
fn cli_survives_extreme_arguments() {
    let dir = Dir::new("extreme");
    let s = |f: &str| dir.p(f).to_str().unwrap().to_owned();
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
            "PC1:00",
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
    let mut rng = XorShift(7);
    for (i, len) in [0usize, 1, 43, 44, 45, 88, 44 * 1000, 1 << 20].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        std::fs::write(dir.p(&format!("log{i}")), &bytes).unwrap();
        add(&["reconcile", &s(&format!("log{i}")), "--json"]);
    }
    let mut record = vec![1u8, 1];
    record.resize(44, 0xff);
    std::fs::write(dir.p("maxlog"), record.repeat(3)).unwrap();
    add(&["reconcile", &s("maxlog"), &s("maxlog")]);
    for args in &runs {
        let out =
            Command::new(env!("CARGO_BIN_EXE_paycode")).args(args).stdin(Stdio::null()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0..=2)) && !stderr.contains("panicked"),
            "{args:?}: {:?}\n{stderr}",
            out.status
        );
    }
    assert!(runs.len() > 100, "{}", runs.len());
}
