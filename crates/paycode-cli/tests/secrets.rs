//! Secret hygiene (spec: R-KEY-4): no seed, derived key or signing key in
//! any output of the `paycode` command, in its state or log files, or in the
//! `Debug` form of any type that holds one; key files are written with mode
//! 0600 and refused when others may read or write them; the secret types
//! zeroize on drop.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use paycode::hazmat::keys::{
    self, LABEL_DEVICE_KEY, LABEL_HMAC_NUMERIC_KEY, LABEL_HMAC_QR_KEY, LABEL_ISSUER_KEY,
};
use paycode::{Code, Ed25519Wallet, HmacWallet, Params, Seed};
use paycode_cli::files::{self, IssuerFile, WalletFile};
use paycode_test_support::{Cli, TempDir};
use serde_json::Value;
use sha2::{Digest, Sha512};

const T: u64 = 1_800_000_000;

// ---------------------------------------------------------------------------
// Secrets and where to look for them
// ---------------------------------------------------------------------------

/// A named secret.
struct Secret {
    name: String,
    bytes: Vec<u8>,
}

/// Every secret that follows from a seed used as `role`: the seed, its HKDF
/// PRK, and the keys derived from it (spec §3).
fn secrets_of(role: &str, seed: &Seed, account: Option<u64>, issuer_key_ids: &[u16]) -> Vec<Secret> {
    let mut out = vec![
        Secret { name: format!("{role} seed"), bytes: seed.expose().to_vec() },
        Secret { name: format!("{role} PRK"), bytes: keys::prk(seed).expose().to_vec() },
    ];
    let mut ed25519 = |name: String, secret: [u8; 32]| {
        // RFC 8032 §5.1.5: the expanded key is SHA-512(secret) = scalar source || nonce prefix.
        let h = Sha512::digest(secret);
        let mut scalar = [0u8; 32];
        scalar.copy_from_slice(&h[..32]);
        scalar[0] &= 248;
        scalar[31] &= 127;
        scalar[31] |= 64;
        out.push(Secret { name: format!("{name} nonce prefix"), bytes: h[32..].to_vec() });
        out.push(Secret { name: format!("{name} clamped scalar"), bytes: scalar.to_vec() });
        out.push(Secret { name, bytes: secret.to_vec() });
    };
    if let Some(id) = account {
        let ctx = id.to_be_bytes();
        ed25519(format!("{role} K_qr"), *keys::derive(seed, LABEL_HMAC_QR_KEY, &ctx).expose());
        ed25519(format!("{role} K_num"), *keys::derive(seed, LABEL_HMAC_NUMERIC_KEY, &ctx).expose());
    }
    // Every device key of a batch and of its renewals, by index (spec: R-BATCH-1).
    for i in 0..32u32 {
        ed25519(
            format!("{role} device key {i}"),
            *keys::derive(seed, LABEL_DEVICE_KEY, &i.to_be_bytes()).expose(),
        );
    }
    for k in issuer_key_ids {
        ed25519(
            format!("{role} issuer key {k}"),
            *keys::derive(seed, LABEL_ISSUER_KEY, &k.to_be_bytes()).expose(),
        );
    }
    out
}

/// Where `secret` (or any 8 bytes of it) appears in `haystack`, in any of the
/// encodings an output might use: raw, hex (either case), Base45, Base64
/// (standard and URL-safe), and as a list of decimal bytes. Base45 texts in
/// the haystack are decoded and searched as bytes too.
fn leak(haystack: &[u8], secret: &Secret) -> Option<String> {
    let s = &secret.bytes;
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    for w in 0..=s.len() - 8 {
        let part = &s[w..w + 8];
        needles.push((format!("raw bytes {w}..{}", w + 8), part.to_vec()));
        needles.push((format!("hex of bytes {w}..{}", w + 8), paycode::codec::to_hex(part).into_bytes()));
        needles.push((
            format!("HEX of bytes {w}..{}", w + 8),
            paycode::codec::to_hex(part).to_uppercase().into_bytes(),
        ));
    }
    for w in (0..=s.len() - 8).step_by(2) {
        let b45 = paycode::hazmat::base45::encode(&s[w..w + 8]);
        needles.push((format!("Base45 of bytes {w}..{}", w + 8), b45.into_bytes()));
    }
    for w in (0..=s.len() - 9).step_by(3) {
        let b64 = base64(&s[w..w + 9]);
        needles.push((format!("Base64 of bytes {w}..{}", w + 9), b64.clone().into_bytes()));
        needles.push((
            format!("Base64url of bytes {w}..{}", w + 9),
            b64.replace('+', "-").replace('/', "_").into_bytes(),
        ));
    }
    let decimal = |sep: &str| s.iter().map(u8::to_string).collect::<Vec<_>>().join(sep);
    needles.push(("decimal list".into(), decimal(",").into_bytes()));
    needles.push(("decimal list (Debug)".into(), decimal(", ").into_bytes()));
    let mut hay = vec![haystack.to_vec()];
    hay.extend(base45_texts(haystack));
    for h in &hay {
        for (how, n) in &needles {
            if h.windows(n.len()).any(|x| x == n.as_slice()) {
                return Some(format!("{} found as {how}", secret.name));
            }
        }
    }
    None
}

/// Asserts that no secret appears in `what`'s `bytes`.
fn assert_no_leak(what: &str, bytes: &[u8], secrets: &[Secret]) {
    for s in secrets {
        if let Some(found) = leak(bytes, s) {
            panic!("{what}: {found}\n{}", String::from_utf8_lossy(bytes));
        }
    }
}

/// The payloads of every `PC3:` text in `haystack`.
fn base45_texts(haystack: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(haystack);
    text.match_indices("PC3:")
        .filter_map(|(i, _)| {
            let rest = &text[i + 4..];
            let end = rest.find(|c: char| !"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(c));
            let body = rest[..end.unwrap_or(rest.len())].trim_end();
            paycode::hazmat::base45::decode(body).ok()
        })
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - c.len()));
        for i in 0..=c.len() {
            out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[test]
fn leak_finder_finds_what_it_looks_for() {
    let secret = Secret { name: "s".into(), bytes: (100..132).collect() };
    let b = &secret.bytes;
    assert!(leak(b"nothing here", &secret).is_none());
    assert!(leak(paycode::codec::to_hex(&b[3..11]).as_bytes(), &secret).is_some());
    assert!(leak(paycode::codec::to_hex(&b[20..28]).to_uppercase().as_bytes(), &secret).is_some());
    assert!(leak(paycode::hazmat::base45::encode(&b[4..12]).as_bytes(), &secret).is_some());
    assert!(leak(format!("x PC3:{} y", paycode::hazmat::base45::encode(b)).as_bytes(), &secret).is_some());
    assert!(leak(base64(&b[6..15]).as_bytes(), &secret).is_some());
    assert!(leak(format!("{b:?}").as_bytes(), &secret).is_some());
    assert!(leak(&[b"..", &b[24..32], b".."].concat(), &secret).is_some());
    // RFC 4648 §10.
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(b"fo"), "Zm8");
}

// ---------------------------------------------------------------------------
// The CLI's outputs
// ---------------------------------------------------------------------------

/// The command under test.
const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

/// stdout then stderr.
fn both(out: &Output) -> Vec<u8> {
    [out.stdout.as_slice(), &out.stderr].concat()
}

fn mode(path: &str) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &str, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn demo_output_holds_no_secret_byte() {
    let hex = "5eed".repeat(16);
    let base = files::seed_from_hex(&hex).unwrap();
    // The demo derives its three seeds from --seed (src/demo.rs); recompute
    // them, and check below that they are the demo's by reproducing its codes.
    let tweak = |n: u8| Seed::from_bytes(keys::derive(&base, b"paycode/demo\0", &[n]).expose());
    let (account_seed, issuer_seed, device_seed) = (tweak(1), tweak(2), tweak(3));
    let mut secrets = secrets_of("demo base", &base, None, &[]);
    secrets.extend(secrets_of("hmac account", &account_seed, Some(42), &[]));
    secrets.extend(secrets_of("issuer", &issuer_seed, None, &[1]));
    secrets.extend(secrets_of("device", &device_seed, None, &[]));
    assert!(secrets.len() > 20);

    let at = T.to_string();
    let json = CLI.run(&["demo", "--json", "--seed", &hex, "--at", &at]);
    assert!(json.status.success(), "{json:?}");
    assert_no_leak("demo --json", &both(&json), &secrets);
    let text = CLI.run(&["demo", "--seed", &hex, "--at", &at]);
    assert!(text.status.success(), "{text:?}");
    assert_no_leak("demo", &both(&text), &secrets);

    // The secrets searched for are the demo's: its hmac code is the account
    // seed's, and its ed25519 credential binds the device seed's key under the
    // issuer seed's key 1.
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let hmac = &report["profiles"][0];
    let wallet = HmacWallet::new(Params::default(), 42, &account_seed, 0);
    let code = wallet.code_for(hmac["step"].as_u64().unwrap(), hmac["counter"].as_u64().unwrap() as u32);
    assert_eq!(hmac["text"].as_str(), Some(code.to_qr_text().as_str()));
    let Ok(Code::Ed25519(ed)) = Code::parse(report["profiles"][1]["text"].as_str().unwrap()) else {
        panic!("no ed25519 code in the demo report");
    };
    let cred = ed.credential();
    assert_eq!(cred.fields().device_key, Ed25519Wallet::device_public_key(&device_seed, 0));
    let issuer_key = paycode::Issuer::from_seed(&issuer_seed).key(1).public_bytes();
    let issuer_key = paycode::hazmat::eddsa::PublicKey::from_bytes(&issuer_key).unwrap();
    let sig: [u8; 64] = cred.as_bytes()[62..].try_into().unwrap();
    assert!(issuer_key.verify(&cred.signing_input(), &sig));
}

/// Drives every command, normal use and error paths, and searches all their
/// output, and the state, log and SVG files, for every secret of the issuer
/// and both wallets.
#[test]
fn cli_output_holds_no_secret_byte() {
    let dir = TempDir::new("secrets-cli");
    let (issuer, h, e, state, log) =
        (dir.arg("issuer.json"), dir.arg("h.json"), dir.arg("e.json"), dir.arg("s.db"), dir.arg("l.bin"));
    let at = T.to_string();
    let issuer_hex = "1551".repeat(16);
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut record = |what: &str, out: Output| outputs.push((what.to_owned(), both(&out)));
    record("issuer init", CLI.run(&["issuer", "init", "--out", &issuer, "--at", &at, "--seed", &issuer_hex]));
    record(
        "enroll hmac",
        CLI.run(&["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &h, "--at", &at]),
    );
    record(
        "enroll ed25519",
        CLI.run(&["wallet", "enroll", "--issuer", &issuer, "--profile", "ed25519", "--out", &e, "--at", &at]),
    );
    let mut codes = Vec::new();
    for (w, extra) in [(&h, vec!["--json"]), (&h, vec![]), (&e, vec!["--json"]), (&e, vec!["--qr", "term"])] {
        let mut args = vec!["code", "--wallet", w.as_str(), "--at", &at];
        args.extend(extra);
        let out = CLI.run(&args);
        assert!(out.status.success(), "{out:?}");
        codes.extend(base45_or_digits(&out.stdout));
        record("code", out);
    }
    record("state init", CLI.run(&["state", "init", "--state", &state]));
    let svg = dir.arg("c.svg");
    record("code --qr svg", CLI.run(&["code", "--wallet", &h, "--at", &at, "--qr", "svg", "--out", &svg]));
    assert!(codes.len() >= 4, "{codes:?}");
    for (i, c) in codes.iter().enumerate() {
        let json = if i % 2 == 0 { "--json" } else { "--amount=1" };
        let args = ["verify", "--issuer", &issuer, "--state", &state, "--at", &at, json, "--", c];
        record("verify", CLI.run(&args));
        record("verify again", CLI.run(&args));
    }
    record("log export", CLI.run(&["log", "export", "--state", &state, "--out", &log]));
    record(
        "verify garbage",
        CLI.run(&["verify", "--issuer", &issuer, "--state", &state, "--at", &at, "--", "PC3:ZZZ"]),
    );
    record("reconcile", CLI.run(&["reconcile", "--issuer", &issuer, &log, &log]));
    record("reconcile --json", CLI.run(&["reconcile", "--issuer", &issuer, "--json", &log]));
    record("revoke", CLI.run(&["issuer", "revoke", "--issuer", &issuer, "--serial", "1", "--at", &at]));
    // Error paths that read the key files.
    let broken = dir.arg("broken.json");
    let issuer_text = std::fs::read_to_string(&issuer).unwrap();
    for (what, text) in [
        (
            "truncated in the seed",
            issuer_text[..issuer_text.find(&issuer_hex[..40]).unwrap() + 40].to_owned(),
        ),
        ("unknown field", issuer_text.replacen('{', "{\"extra\": 1, ", 1)),
        ("wrong type", issuer_text.replacen("\"next_serial\"", "\"next_serial\": \"x\", \"_\"", 1)),
        ("seed too short", issuer_text.replacen(&issuer_hex, &issuer_hex[..62], 1)),
        ("seed not hex", issuer_text.replacen(&issuer_hex, &format!("{}zz", &issuer_hex[..62]), 1)),
    ] {
        std::fs::write(&broken, text).unwrap();
        chmod(&broken, 0o600);
        let out = CLI.run(&[
            "verify",
            "--issuer",
            &broken,
            "--state",
            &dir.arg("s2.json"),
            "--at",
            &at,
            "--",
            &codes[0],
        ]);
        assert_eq!(out.status.code(), Some(2), "{what}: {out:?}");
        record(what, out);
        chmod(&broken, 0o644);
        record(
            "insecure issuer",
            CLI.run(&["verify", "--issuer", &broken, "--state", &state, "--", &codes[0]]),
        );
    }
    chmod(&h, 0o640);
    record("insecure wallet", CLI.run(&["code", "--wallet", &h, "--at", &at]));
    chmod(&h, 0o600);
    record(
        "state stored in the issuer file",
        CLI.run(&["verify", "--issuer", &issuer, "--state", &issuer, "--", &codes[0]]),
    );

    // The secrets: the issuer's, and both wallets'.
    let issuer_file: IssuerFile = IssuerFile::load(Path::new(&issuer)).unwrap();
    let hmac_file: WalletFile = WalletFile::load(Path::new(&h)).unwrap();
    let ed_file: WalletFile = WalletFile::load(Path::new(&e)).unwrap();
    let account = hmac_file.account_id.unwrap();
    let mut secrets =
        secrets_of("issuer", &files::seed_from_hex(&issuer_file.issuer_seed).unwrap(), None, &[1, 2]);
    secrets.extend(secrets_of(
        "hmac wallet",
        &files::seed_from_hex(&hmac_file.seed).unwrap(),
        Some(account),
        &[],
    ));
    secrets.extend(secrets_of("ed25519 wallet", &files::seed_from_hex(&ed_file.seed).unwrap(), None, &[]));
    assert_eq!(issuer_file.accounts[0].seed, hmac_file.seed);
    assert_eq!(issuer_file.issuer_seed, issuer_hex);

    assert!(outputs.len() > 25);
    for (what, bytes) in &outputs {
        assert_no_leak(what, bytes, &secrets);
    }
    for (what, path) in [("state database", &state), ("log file", &log), ("SVG file", &svg)] {
        assert_no_leak(what, &std::fs::read(path).unwrap(), &secrets);
    }
    // The search is not vacuous: the key files themselves are found out.
    assert!(leak(issuer_text.as_bytes(), &secrets[0]).is_some());
    assert!(secrets.iter().any(|s| leak(&std::fs::read(&e).unwrap(), s).is_some()));
}

/// Every QR text (`PC3:...`) and 24-digit string in `out`.
fn base45_or_digits(out: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(out);
    text.split(['"', '\n'])
        .map(|w| w.strip_prefix("text: ").or_else(|| w.strip_prefix("digits: ")).unwrap_or(w))
        .filter(|w| w.starts_with("PC3:") || (w.len() == 24 && w.bytes().all(|b| b.is_ascii_digit())))
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------
// Key files
// ---------------------------------------------------------------------------

#[test]
fn key_files_are_written_0600() {
    let dir = TempDir::new("secrets-modes");
    let (issuer, h, e) = (dir.arg("issuer.json"), dir.arg("h.json"), dir.arg("e.json"));
    let at = T.to_string();
    CLI.stdout(&["issuer", "init", "--out", &issuer, "--at", &at]);
    assert_eq!(mode(&issuer), 0o600);
    CLI.stdout(&["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &h, "--at", &at]);
    CLI.stdout(&["wallet", "enroll", "--issuer", &issuer, "--profile", "ed25519", "--out", &e, "--at", &at]);
    assert_eq!((mode(&issuer), mode(&h), mode(&e)), (0o600, 0o600, 0o600));
    // Rewritten files keep the mode: code advances the counter; revoke
    // updates the issuer; --force replaces a file, whatever its mode was.
    CLI.stdout(&["code", "--wallet", &h, "--at", &at]);
    CLI.stdout(&["code", "--wallet", &e, "--at", &at]);
    CLI.stdout(&["issuer", "revoke", "--issuer", &issuer, "--serial", "1", "--at", &at]);
    assert_eq!((mode(&issuer), mode(&h), mode(&e)), (0o600, 0o600, 0o600));
    let other = dir.arg("other.json");
    std::fs::write(&other, "{}").unwrap();
    chmod(&other, 0o666);
    CLI.stdout(&["issuer", "init", "--out", &other, "--force", "--at", &at]);
    assert_eq!(mode(&other), 0o600);
    // An owner-only file is accepted, whatever else its mode says.
    chmod(&h, 0o400);
    CLI.stdout(&["code", "--wallet", &h, "--at", &at]);
    assert_eq!(mode(&h), 0o600);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

#[test]
fn key_files_readable_by_others_are_refused() {
    let dir = TempDir::new("secrets-refuse");
    let (issuer, h, state) = (dir.arg("issuer.json"), dir.arg("h.json"), dir.arg("s.db"));
    let at = T.to_string();
    CLI.stdout(&["issuer", "init", "--out", &issuer, "--at", &at]);
    CLI.stdout(&["wallet", "enroll", "--issuer", &issuer, "--profile", "hmac", "--out", &h, "--at", &at]);
    let code = CLI.stdout(&["code", "--wallet", &h, "--at", &at]);
    let code = code.lines().next().unwrap().strip_prefix("text: ").unwrap().to_owned();
    let mut refused = 0;
    for m in [0o640, 0o604, 0o660, 0o606, 0o620, 0o602, 0o610, 0o601, 0o644, 0o666, 0o777, 0o440, 0o404] {
        for (file, args) in [
            (&h, vec!["code", "--wallet", &h, "--at", &at]),
            (&issuer, vec!["verify", "--issuer", &issuer, "--state", &state, "--at", &at, "--", &code]),
            (
                &issuer,
                vec![
                    "wallet",
                    "enroll",
                    "--issuer",
                    &issuer,
                    "--profile",
                    "hmac",
                    "--out",
                    &dir.arg("n.json"),
                ],
            ),
            (&issuer, vec!["issuer", "revoke", "--issuer", &issuer, "--serial", "5"]),
        ] {
            let before = std::fs::read(file).unwrap();
            chmod(file, m);
            let out = CLI.run(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "mode {m:o}, {args:?}: {out:?}");
            assert!(stderr.contains("insecure key file") && stderr.contains("chmod 600"), "{stderr}");
            assert!(out.stdout.is_empty(), "mode {m:o}, {args:?}");
            // Nothing was written: the file is unchanged (no counter
            // advanced, no account added), and no wallet or state appeared.
            assert_eq!(mode(file), m);
            assert_eq!(std::fs::read(file).unwrap(), before);
            assert!(!Path::new(&dir.arg("n.json")).exists() && !Path::new(&state).exists());
            chmod(file, 0o600);
            refused += 1;
        }
    }
    assert_eq!(refused, 13 * 4);
    // A symbolic link is judged by the file it points to.
    let link = dir.arg("link.json");
    std::os::unix::fs::symlink(&h, &link).unwrap();
    chmod(&h, 0o644);
    assert_eq!(CLI.run(&["code", "--wallet", &link, "--at", &at]).status.code(), Some(2));
    chmod(&h, 0o600);
    assert_eq!(CLI.run(&["code", "--wallet", &link, "--at", &at]).status.code(), Some(0));
}

// ---------------------------------------------------------------------------
// In memory
// ---------------------------------------------------------------------------

#[test]
fn debug_output_redacts_every_secret() {
    let seed = Seed::from_bytes(&[0xa7; 32]);
    let secrets = secrets_of("seed", &seed, Some(9), &[1]);
    let issuer = paycode::Issuer::from_seed(&seed);
    let device = Seed::from_bytes(&[0x3c; 32]);
    let mut all = secrets_of("device", &device, None, &[]);
    all.extend(secrets);
    let credential = issuer.issue(paycode::CredentialFields {
        key_id: 1,
        serial: 5,
        device_key: Ed25519Wallet::device_public_key(&device, 0),
        not_before: T,
        lifetime: 600,
        per_payment_limit: 1,
        cumulative_limit: 2,
    });
    let ed_wallet = Ed25519Wallet::new(Params::default(), &device, 0, credential, 0).unwrap();
    let mut verifier = paycode::Verifier::new(Params::default(), 1);
    verifier.add_account(9, &seed);
    let hmac_wallet = HmacWallet::new(Params::default(), 9, &seed, 0);
    let hex = paycode::codec::to_hex(seed.expose());
    let account = files::AccountFile { account_id: 9, seed: hex.clone() };
    let wallet_file = WalletFile {
        format: files::WALLET_FORMAT.into(),
        profile: paycode::Profile::Hmac,
        params: Params::default().into(),
        account_id: Some(9),
        seed: hex.clone(),
        credential: None,
        next_counter: 0,
        payer: None,
        credentials: Vec::new(),
        next_key_index: None,
    };
    let issuer_file = IssuerFile {
        format: files::ISSUER_FORMAT.into(),
        params: Params::default().into(),
        issuer_seed: hex.clone(),
        keys: vec![],
        current_key_id: 1,
        accounts: vec![account.clone()],
        next_account_id: 10,
        next_serial: 1,
        revocation: files::RevocationFile::default(),
        trust: files::TrustFile::default(),
        payers: Vec::new(),
        next_payer: 1,
    };
    let debug = [
        ("Seed", format!("{seed:?} {seed:#?}")),
        ("DerivedKey", format!("{:?}", keys::derive(&seed, LABEL_DEVICE_KEY, &0u32.to_be_bytes()))),
        ("PRK", format!("{:?}", keys::prk(&seed))),
        ("HmacKeys", format!("{:?}", paycode::hazmat::keys::HmacKeys::derive(9, &seed))),
        ("SecretKey", format!("{:?}", issuer.key(1))),
        ("Issuer", format!("{issuer:?}")),
        ("HmacWallet", format!("{hmac_wallet:?}")),
        ("Ed25519Wallet", format!("{ed_wallet:?}")),
        ("Verifier", format!("{verifier:#?}")),
        ("AccountFile", format!("{account:?}")),
        ("WalletFile", format!("{wallet_file:?}")),
        ("IssuerFile", format!("{issuer_file:#?}")),
    ];
    for (what, text) in &debug {
        assert_no_leak(&format!("Debug of {what}"), text.as_bytes(), &all);
    }
    // The redacted forms still say what they are.
    assert!(debug[6].1.contains("account_id: 9") && debug[10].1.contains("WalletFile"));
}

/// The types that hold secrets wipe them when dropped: checked at compile
/// time through the `ZeroizeOnDrop` marker, for paycode's types and for the
/// state the HMAC and Ed25519 implementations keep (hmac 0.13's `Hmac<Sha256>`
/// holds two SHA-256 block cores, which zeroize on drop with sha2's
/// `zeroize` feature; ed25519-dalek's `SigningKey` and its expanded key do).
#[test]
fn secret_types_zeroize_on_drop() {
    fn zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() -> &'static str {
        std::any::type_name::<T>()
    }
    let checked = [
        zeroize_on_drop::<Seed>(),
        zeroize_on_drop::<keys::DerivedKey>(),
        zeroize_on_drop::<ed25519_dalek::SigningKey>(),
        zeroize_on_drop::<<sha2::Sha256 as hmac::digest::block_api::CoreProxy>::Core>(),
        zeroize_on_drop::<sha2::Sha256>(),
        zeroize_on_drop::<zeroize::Zeroizing<Vec<u8>>>(),
    ];
    assert_eq!(checked.len(), 6);
}
