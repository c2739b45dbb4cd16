//! Round trips through decoders that are not ours: random codes of each
//! profile are rendered to PNG, read back by the `image` crate's PNG decoder
//! and `rqrr`'s QR decoder to the exact text, which then verifies; the QR
//! version and error-correction level are the spec's (R-ENC-5). The hmac
//! numeric form's Code 128 barcode is read back from its PNG's pixels.
//!
//! With `PAYCODE_IMAGE_DIR` set, the round-trip tests also write every image
//! and its expected text into that directory, for `scripts/zbar-check.sh`,
//! which has `zbarimg` decode the very same files.
//!
//! The CLI's `code --qr/--barcode`, `terminal challenge --qr` and `scan` are tested at
//! the end.

// Helpers outside `#[test]` functions are test code too (clippy.toml allows these in tests).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};

use paycode::issuer::KeyPeriod;
use paycode::{CredentialFields, Ed25519Wallet, HmacWallet, Issuer, Params, Verifier};
use paycode_render::barcode::{self, Barcode};
use paycode_render::qr::Symbol;
use paycode_test_support::trust;
use paycode_test_support::{Cli, SplitMix64, TempDir};

/// Random codes per profile.
const CODES_PER_PROFILE: usize = 200;
/// Largest lifetime of a credential, seconds (spec: R-ED-4).
const MAX_LIFETIME: u64 = 7 * 24 * 3600;

/// Where to write images for zbarimg, if asked to.
fn image_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("PAYCODE_IMAGE_DIR")?);
    std::fs::create_dir_all(&dir).unwrap();
    Some(dir)
}

fn save(dir: Option<&Path>, name: &str, png: &[u8], text: &str) {
    if let Some(dir) = dir {
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        std::fs::write(dir.join(format!("{name}.txt")), text).unwrap();
    }
}

/// What rqrr reads in a PNG: (version, raw error-correction bits, text bytes) of each symbol.
fn rqrr_read(png: &[u8]) -> Vec<(usize, u16, Vec<u8>)> {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap().to_luma8();
    rqrr_read_luma(&img)
}

fn rqrr_read_luma(img: &image::GrayImage) -> Vec<(usize, u16, Vec<u8>)> {
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(img.width() as usize, img.height() as usize, |x, y| {
            img.get_pixel(x as u32, y as u32).0[0]
        });
    prepared
        .detect_grids()
        .iter()
        .map(|g| {
            let mut text = Vec::new();
            let meta = g.decode_to(&mut text).unwrap();
            (meta.version.0, meta.ecc_level, text)
        })
        .collect()
}

/// Format information bits of level M (ISO/IEC 18004 table: L 01, M 00, Q 11, H 10),
/// which is what rqrr reports as `ecc_level`.
const LEVEL_M_BITS: u16 = 0b00;

/// Decodes `png` with rqrr, checks it is one level-M symbol of `version`
/// holding `text`, and returns the text read.
fn assert_qr_reads(png: &[u8], text: &str, version: usize, what: &str) -> String {
    let mut read = rqrr_read(png);
    assert_eq!(read.len(), 1, "{what}: {} symbols found", read.len());
    let (v, level, bytes) = read.remove(0);
    assert_eq!(bytes, text.as_bytes(), "{what}: text differs");
    assert_eq!(v, version, "{what}: QR version");
    assert_eq!(level, LEVEL_M_BITS, "{what}: error-correction level");
    String::from_utf8(bytes).unwrap()
}

#[test]
fn hmac_codes_round_trip_through_rqrr_and_the_barcode() {
    let dir = image_dir();
    let mut rng = SplitMix64::new(0x7061_7963_6f64_6501);
    let params = Params::default();
    let decoder = Code128Reader::new();
    for i in 0..CODES_PER_PROFILE {
        let seed = rng.seed();
        // Accounts and counters the numeric form carries (spec: R-HMAC-4).
        let account = rng.range(0, (1 << 30) - 1);
        let counter = rng.range(0, 0xffff) as u32;
        let now = rng.range(0, 1 << 40);
        let mut wallet = HmacWallet::new(params, account, &seed, counter);
        let code = wallet.generate(now).unwrap();
        let text = code.to_qr_text();
        let what = format!("hmac code {i} (account {account}, counter {counter}, t {now})");

        let symbol = Symbol::new(&text).unwrap();
        assert_eq!(symbol.version(), 3, "{what}");
        let png = symbol.to_png(rng.range(2, 8) as u8);
        let read = assert_qr_reads(&png, &text, 3, &what);
        save(dir.as_deref(), &format!("qr-hmac-{i:03}"), &png, &text);

        let mut verifier = Verifier::new(params, 1);
        verifier.add_account(account, &seed);
        let acc = verifier.verify_text(&read, now, 0).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!((acc.subject, acc.counter), (account, counter), "{what}");
        // The record names what the code carries: the step's handle and the masked counter.
        let handle = u64::from_be_bytes(code.handle());
        assert_eq!((acc.record.subject(), acc.record.counter()), (handle, code.masked_counter()), "{what}");
        assert_ne!(handle, account, "{what}");

        // The numeric form as Code 128, read back from the PNG's pixels, verifies too.
        let digits = wallet.numeric(&code).unwrap().to_digits();
        let px = rng.range(2, 4) as u32;
        let png = Barcode::new(&digits).unwrap().to_png(px as u8);
        assert_eq!(decoder.read_png(&png, px).as_deref(), Some(digits.as_str()), "{what}: barcode");
        save(dir.as_deref(), &format!("code128-{i:03}"), &png, &digits);
        let mut verifier = Verifier::new(params, 1);
        verifier.add_account(account, &seed);
        let acc = verifier.verify_text(&digits, now, 0).unwrap_or_else(|e| panic!("{what}: numeric: {e}"));
        assert_eq!((acc.subject, acc.counter), (account, counter), "{what}");
    }
}

#[test]
fn ed25519_codes_round_trip_through_rqrr() {
    let dir = image_dir();
    let mut rng = SplitMix64::new(0x7061_7963_6f64_6502);
    let params = Params::default();
    for i in 0..CODES_PER_PROFILE {
        let now = rng.range(MAX_LIFETIME, 1 << 40);
        let issuer = Issuer::from_seed(&rng.seed());
        let key_id = rng.range(0, 0xffff) as u16;
        // A credential valid now: not_before <= now <= not_before + lifetime.
        let age = rng.range(0, MAX_LIFETIME);
        let per_payment = rng.range(1, u64::from(u32::MAX)) as u32;
        let device_seed = rng.seed();
        let fields = CredentialFields {
            key_id,
            serial: rng.next_u64(),
            device_key: Ed25519Wallet::device_public_key(&device_seed, 0),
            not_before: now - age,
            lifetime: rng.range(age, MAX_LIFETIME) as u32,
            per_payment_limit: per_payment,
            cumulative_limit: rng.range(u64::from(per_payment), u64::from(u32::MAX)) as u32,
        };
        // The key's period holds the credential's (spec: R-ED-4).
        let period = KeyPeriod {
            key_id,
            not_before: fields.not_before.saturating_sub(rng.range(0, 1 << 30)),
            not_after: fields.not_after().unwrap() + rng.range(0, 1 << 30),
        };
        let counter = rng.next_u64() as u32 % (u32::MAX - 1);
        let mut wallet = Ed25519Wallet::new(params, &device_seed, 0, issuer.issue(fields), counter).unwrap();
        let text = wallet.generate(now).unwrap().to_qr_text();
        let what = format!("ed25519 code {i} (serial {}, counter {counter}, t {now})", fields.serial);

        let symbol = Symbol::new(&text).unwrap();
        assert_eq!(symbol.version(), 10, "{what}");
        let png = symbol.to_png(rng.range(2, 8) as u8);
        let read = assert_qr_reads(&png, &text, 10, &what);
        save(dir.as_deref(), &format!("qr-ed25519-{i:03}"), &png, &text);

        let mut verifier = Verifier::new(params, 1);
        trust(&mut verifier, &issuer, &[period]);
        // A fresh list, issued when the key's period starts (spec: R-REVOKE-4).
        let header = paycode::ListHeader {
            key_id,
            number: 1,
            issued_at: period.not_before,
            next_update: u64::MAX,
            grace: 0,
        };
        verifier.install_revocation_list(issuer.revocation_list(header, vec![]).unwrap(), now).unwrap();
        let amount = rng.range(0, u64::from(per_payment));
        let acc = verifier.verify_text(&read, now, amount).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            (acc.record.subject(), acc.record.counter(), acc.record.amount),
            (fields.serial, counter, amount)
        );
    }
}

/// A Code 128 code set C reader of our PNGs' pixel rows. Its pattern table
/// is taken from barcodes of single digit pairs, its check character is
/// computed here, so that it checks the check arithmetic, the layout, the
/// quiet zones and the pixels of the PNG (the pattern table itself is
/// checked by zbarimg in scripts/zbar-check.sh).
struct Code128Reader {
    /// Modules of symbol values 0..=102, 11 each.
    patterns: Vec<Vec<bool>>,
    start: Vec<bool>,
    stop: Vec<bool>,
}

impl Code128Reader {
    fn new() -> Code128Reader {
        let modules = |digits: String| Barcode::new(&digits).unwrap().modules().to_vec();
        // Data values 0..=99: the second character of a one-pair symbol.
        let mut patterns: Vec<Vec<bool>> =
            (0..100).map(|v| modules(format!("{v:02}"))[11..22].to_vec()).collect();
        // Values 100..=102 occur only as check characters: find two pairs (v, w) whose
        // check (105 + v + 2w) mod 103 is the value, and take the fourth character.
        for check in 100..103 {
            let (v, w) = (0..100u64)
                .flat_map(|v| (0..100u64).map(move |w| (v, w)))
                .find(|(v, w)| (105 + v + 2 * w) % 103 == check)
                .unwrap();
            patterns.push(modules(format!("{v:02}{w:02}"))[33..44].to_vec());
        }
        let any = modules("00".into());
        Code128Reader { patterns, start: any[..11].to_vec(), stop: any[33..].to_vec() }
    }

    /// The digits in a barcode PNG drawn at `px` pixels per module, or `None`.
    fn read_png(&self, png: &[u8], px: u32) -> Option<String> {
        let img = image::load_from_memory_with_format(png, image::ImageFormat::Png).unwrap().to_luma8();
        let row = img.height() / 2;
        let modules: Vec<bool> =
            (0..img.width() / px).map(|m| img.get_pixel(m * px + px / 2, row).0[0] < 128).collect();
        // Quiet zones of at least 10 light modules on both sides.
        let first = modules.iter().position(|&d| d)?;
        let last = modules.iter().rposition(|&d| d)?;
        if first < barcode::QUIET_ZONE || modules.len() - 1 - last < barcode::QUIET_ZONE {
            return None;
        }
        let symbol = &modules[first..=last];
        if symbol.len() < 11 + 11 + 13 || !(symbol.len() - 13).is_multiple_of(11) {
            return None;
        }
        let (chars, stop) = symbol.split_at(symbol.len() - 13);
        let mut chars = chars.chunks(11);
        if chars.next()? != self.start || stop != self.stop {
            return None;
        }
        let values: Vec<u64> = chars
            .map(|c| self.patterns.iter().position(|p| p == c).map(|v| v as u64))
            .collect::<Option<_>>()?;
        let (check, data) = values.split_last()?;
        let sum = data.iter().zip(1..).fold(105, |s, (v, i)| s + v * i);
        if sum % 103 != *check || data.iter().any(|&v| v > 99) {
            return None;
        }
        Some(data.iter().map(|v| format!("{v:02}")).collect())
    }
}

#[test]
fn code128_reader_rejects_a_damaged_barcode() {
    // The reader used above must be able to fail: a wrong check character is refused.
    let reader = Code128Reader::new();
    let good = Barcode::new("123456").unwrap();
    assert_eq!(reader.read_png(&good.to_png(2), 2).as_deref(), Some("123456"));
    // Same data characters, the check character of "123457" in place of its own.
    let other = Barcode::new("123457").unwrap().modules().to_vec();
    let mut bad = good.modules().to_vec();
    let at = 11 * 4;
    bad[at..at + 11].copy_from_slice(&other[at..at + 11]);
    let w = (bad.len() + 2 * barcode::QUIET_ZONE) as u32;
    let mut img = image::GrayImage::from_pixel(w, 4, image::Luma([255]));
    for (i, _) in bad.iter().enumerate().filter(|(_, d)| **d) {
        for y in 0..4 {
            img.put_pixel((i + barcode::QUIET_ZONE) as u32, y, image::Luma([0]));
        }
    }
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    assert_eq!(reader.read_png(&png, 1), None);
}

// ---------------------------------------------------------------- CLI

const T: u64 = 1_800_000_000;

/// The command under test.
const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

/// An issuer with one hmac and one ed25519 wallet.
fn setup(s: &TempDir) {
    let at = T.to_string();
    CLI.stdout(&["issuer", "init", "--out", &s.arg("issuer.json"), "--at", &at]);
    CLI.stdout(&["state", "init", "--state", &s.arg("state.db")]);
    for p in ["hmac", "ed25519"] {
        CLI.stdout(&[
            "wallet",
            "enroll",
            "--issuer",
            &s.arg("issuer.json"),
            "--profile",
            p,
            "--out",
            &s.arg(p),
            "--at",
            &at,
        ]);
    }
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out.trim()).unwrap()
}

#[test]
fn cli_code_writes_qr_and_barcode_images_that_decode() {
    let s = TempDir::new("qr-code");
    setup(&s);
    let at = T.to_string();
    let out = CLI.stdout(&[
        "code",
        "--wallet",
        &s.arg("hmac"),
        "--at",
        &at,
        "--qr",
        "png",
        "--out",
        &s.arg("q.png"),
        "--barcode",
        "png",
        "--barcode-out",
        &s.arg("b.png"),
        "--json",
    ]);
    let v = json(&out);
    let text = v["text"].as_str().unwrap();
    let digits = v["digits"].as_str().unwrap();
    assert_qr_reads(&std::fs::read(s.join("q.png")).unwrap(), text, 3, "cli hmac");
    let b = std::fs::read(s.join("b.png")).unwrap();
    let px = image::load_from_memory(&b).unwrap().width() / 187;
    assert_eq!(Code128Reader::new().read_png(&b, px).as_deref(), Some(digits));

    // ed25519: version 10; SVG output; a barcode is refused before the counter moves.
    let out = CLI.stdout(&[
        "code",
        "--wallet",
        &s.arg("ed25519"),
        "--at",
        &at,
        "--qr",
        "png",
        "--out",
        &s.arg("e.png"),
        "--json",
    ]);
    let v = json(&out);
    assert_eq!(v["qr_version"], 10);
    assert_qr_reads(&std::fs::read(s.join("e.png")).unwrap(), v["text"].as_str().unwrap(), 10, "cli ed25519");
    let ed25519 = s.arg("ed25519");
    CLI.stdout(&["code", "--wallet", &ed25519, "--at", &at, "--qr", "svg", "--out", &s.arg("e.svg")]);
    assert!(std::fs::read_to_string(s.join("e.svg")).unwrap().contains("<svg"));
    let refused =
        CLI.run(&["code", "--wallet", &ed25519, "--at", &at, "--barcode", "png", "--out", &s.arg("x")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!s.join("x").exists());
    // Two codes so far, of the batch's first two credentials: the next is the third's first.
    let spent = || -> u64 {
        let v = json(&std::fs::read_to_string(&ed25519).unwrap());
        v["credentials"].as_array().unwrap().iter().map(|c| c["next_counter"].as_u64().unwrap()).sum()
    };
    assert_eq!(spent(), 2, "a refused --barcode must not spend a counter value");
    let next = json(&CLI.stdout(&["code", "--wallet", &ed25519, "--at", &at, "--json"]));
    assert_eq!((next["counter"].as_u64(), spent()), (Some(0), 3));

    // --qr png and --barcode both writing --out is refused, as is --qr png without --out.
    let y = s.arg("y");
    for args in
        [&["--qr", "png", "--out", &y, "--barcode", "svg"][..], &["--qr", "png"], &["--barcode", "svg"]]
    {
        let mut a = vec!["code", "--wallet", &s.arg("hmac"), "--at", &at]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        a.extend(args.iter().map(|x| x.to_string()));
        assert_eq!(CLI.run(&a).status.code(), Some(2), "{args:?}");
        assert!(!s.join("y").exists());
    }
    let next = json(&CLI.stdout(&[
        "code",
        "--wallet",
        &s.arg("hmac"),
        "--at",
        &at,
        "--qr",
        "term",
        "--barcode",
        "svg",
        "--out",
        &s.arg("b.svg"),
        "--json",
    ]));
    assert_eq!(next["counter"], 1, "refused options must not spend a counter value");
    assert!(std::fs::read_to_string(s.join("b.svg")).unwrap().contains("<svg"));
}

/// `code --cap` and `--challenge --qr png`: the versions of spec §5.4's
/// table (R-ENC-5): a capped code one version above a one-way code (4-M,
/// 11-M), a challenge code the same as a one-way code (3-M, 10-M); each reads
/// back to its text.
#[test]
fn cli_capped_and_challenge_codes_have_the_spec_qr_versions() {
    let s = TempDir::new("qr-modes");
    setup(&s);
    let at = T.to_string();
    let challenge = paycode::Challenge::new(7, 250, T, [3; 16]).to_qr_text();
    for (profile, purpose, version, len) in [
        ("hmac", ["--cap", "4294967295"], 4, 67),
        ("hmac", ["--challenge", challenge.as_str()], 3, 61),
        ("ed25519", ["--cap", "0"], 11, 316),
        ("ed25519", ["--challenge", challenge.as_str()], 10, 310),
    ] {
        let png = s.join(format!("{profile}-{}.png", &purpose[0][2..]));
        let args = [
            "code",
            "--wallet",
            &s.arg(profile),
            "--at",
            &at,
            "--qr",
            "png",
            "--out",
            png.to_str().unwrap(),
            "--json",
        ];
        let v = json(&CLI.stdout(&[&args[..], &purpose].concat()));
        let text = v["text"].as_str().unwrap();
        assert_eq!((v["qr_version"].as_u64(), text.len()), (Some(version), len), "{profile} {purpose:?}");
        assert_qr_reads(
            &std::fs::read(&png).unwrap(),
            text,
            version as usize,
            &format!("{profile} {purpose:?}"),
        );
    }
}

/// `terminal challenge --qr png`: the challenge's 60 characters in one
/// version 3-M symbol (spec: R-CHAL-1, R-ENC-5), which reads back to the text.
#[test]
fn cli_terminal_challenge_writes_a_qr_that_decodes() {
    let s = TempDir::new("qr-challenge");
    let at = T.to_string();
    for (terminal, amount) in [("7", "250"), ("4294967295", "18446744073709551615"), ("0", "0")] {
        let png = s.join(format!("c{terminal}.png"));
        let out = CLI.stdout(&[
            "terminal",
            "challenge",
            "--terminal-id",
            terminal,
            "--amount",
            amount,
            "--at",
            &at,
            "--qr",
            "png",
            "--out",
            png.to_str().unwrap(),
            "--json",
        ]);
        let v = json(&out);
        let text = v["text"].as_str().unwrap();
        assert_eq!(v["qr_version"], 3);
        let read = assert_qr_reads(&std::fs::read(&png).unwrap(), text, 3, "challenge");
        let c = paycode::Challenge::parse(&read).unwrap();
        assert_eq!(
            (c.terminal_id().to_string(), c.amount().to_string()),
            (terminal.to_owned(), amount.to_owned())
        );
    }
}

#[cfg(feature = "scan")]
mod scan {
    use std::process::Output;

    use super::*;

    fn scan(s: &TempDir, image: &str, extra: &[&str]) -> Output {
        let mut args = vec!["scan".to_string(), image.to_string()];
        args.extend(["--issuer".into(), s.arg("issuer.json"), "--state".into(), s.arg("state.db")]);
        args.extend(["--at".into(), T.to_string(), "--json".into()]);
        args.extend(extra.iter().map(|x| x.to_string()));
        CLI.run(&args)
    }

    fn verdict(out: &Output) -> (Option<i32>, serde_json::Value) {
        (out.status.code(), json(std::str::from_utf8(&out.stdout).unwrap()))
    }

    #[test]
    fn cli_scan_verifies_png_and_jpeg() {
        let s = TempDir::new("qr-scan");
        setup(&s);
        let at = T.to_string();
        let v = json(&CLI.stdout(&[
            "code",
            "--wallet",
            &s.arg("hmac"),
            "--at",
            &at,
            "--qr",
            "png",
            "--out",
            &s.arg("q.png"),
            "--json",
        ]));
        let (code, out) = verdict(&scan(&s, &s.arg("q.png"), &[]));
        assert_eq!((code, &out["verdict"]), (Some(0), &"accepted".into()), "{out}");
        // The verdict names the wallet's counter; the record, the masked one the code carries.
        assert_eq!((&out["subject"], &out["counter"]), (&1.into(), &0.into()), "{out}");
        assert_eq!(out["record"]["counter"], v["masked_counter"], "{out}");
        let handle = u64::from_str_radix(v["handle"].as_str().unwrap(), 16).unwrap();
        assert_eq!(out["record"]["subject"], handle, "{out}");
        // Same image again: replayed, exit 1, like `verify`.
        let (code, out) = verdict(&scan(&s, &s.arg("q.png"), &[]));
        assert_eq!((code, &out["code"]), (Some(1), &"replayed".into()));
        // The numeric form of the same code is the same replay identity.
        let digits = v["digits"].as_str().unwrap();
        let (issuer, state) = (s.arg("issuer.json"), s.arg("state.db"));
        let out = CLI.run(&["verify", digits, "--issuer", &issuer, "--state", &state, "--at", &at, "--json"]);
        let (code, out) = verdict(&out);
        assert_eq!((code, &out["code"]), (Some(1), &"replayed".into()));

        // ed25519 code as a JPEG (lossy, grey edges): accepted, with the amount.
        CLI.stdout(&[
            "code",
            "--wallet",
            &s.arg("ed25519"),
            "--at",
            &at,
            "--qr",
            "png",
            "--out",
            &s.arg("e.png"),
        ]);
        let img = image::open(s.join("e.png")).unwrap().to_luma8();
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 75).encode_image(&img).unwrap();
        std::fs::write(s.join("e.jpg"), &jpeg).unwrap();
        let (code, out) = verdict(&scan(&s, &s.arg("e.jpg"), &["--amount", "250"]));
        assert_eq!((code, &out["record"]["amount"]), (Some(0), &250.into()), "{out}");

        // A screenshot-like image: scaled by a non-integer factor with smoothing,
        // turned a quarter, on a grey page.
        CLI.stdout(&[
            "code",
            "--wallet",
            &s.arg("hmac"),
            "--at",
            &at,
            "--qr",
            "png",
            "--out",
            &s.arg("h.png"),
        ]);
        let img = image::open(s.join("h.png")).unwrap().to_luma8();
        let (w, h) = (img.width() * 7 / 10, img.height() * 7 / 10);
        let small =
            image::imageops::rotate90(&image::imageops::resize(&img, w, h, image::imageops::Triangle));
        let mut page = image::GrayImage::from_pixel(w + 300, h + 200, image::Luma([128]));
        image::imageops::replace(&mut page, &small, 170, 60);
        page.save(s.join("shot.png")).unwrap();
        let (code, out) = verdict(&scan(&s, &s.arg("shot.png"), &[]));
        assert_eq!((code, &out["counter"]), (Some(0), &1.into()), "{out}");
    }

    #[test]
    fn cli_scan_rejects_what_is_not_a_paycode_image() {
        let s = TempDir::new("qr-scan-bad");
        setup(&s);
        let fails = |image: &Path, expect: &str| {
            let out = scan(&s, image.to_str().unwrap(), &[]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{image:?}: {err}");
            assert!(err.contains(expect), "{image:?}: {err}");
            assert!(out.stdout.is_empty());
        };
        // Not an image; a missing file.
        fails(&s.join("issuer.json"), "not a PNG or JPEG image");
        fails(&s.join("absent.png"), "cannot read the image");
        // A PNG cut short.
        let png = Symbol::new("PC3:ABC").unwrap().to_png(4);
        std::fs::write(s.join("cut.png"), &png[..png.len() / 2]).unwrap();
        fails(&s.join("cut.png"), "cannot decode");
        // An image with no QR code in it: a barcode.
        std::fs::write(s.join("bar.png"), Barcode::new("0123456789").unwrap().to_png(3)).unwrap();
        fails(&s.join("bar.png"), "no QR code found");
        // Two different QR codes side by side.
        let (a, b) = (Symbol::new("PC3:AAAA").unwrap(), Symbol::new("PC3:BBBB").unwrap());
        let (a, b) = (
            image::load_from_memory(&a.to_png(4)).unwrap().to_luma8(),
            image::load_from_memory(&b.to_png(4)).unwrap().to_luma8(),
        );
        let mut both = image::GrayImage::from_pixel(a.width() + b.width(), a.height(), image::Luma([255]));
        image::imageops::replace(&mut both, &a, 0, 0);
        image::imageops::replace(&mut both, &b, i64::from(a.width()), 0);
        both.save(s.join("two.png")).unwrap();
        fails(&s.join("two.png"), "2 different QR codes");

        // A QR code whose text is not a paycode: a verdict, `malformed`, exit 1.
        std::fs::write(s.join("hello.png"), Symbol::new("HELLO WORLD").unwrap().to_png(4)).unwrap();
        let (code, out) = verdict(&scan(&s, &s.arg("hello.png"), &[]));
        assert_eq!((code, &out["code"]), (Some(1), &"malformed".into()), "{out}");
    }

    /// A white image with `cols × rows` QR finder patterns of `module`
    /// pixels a module, `gap` pixels apart and from the top and left edges.
    fn finder_tiles(cols: u32, rows: u32, module: u32, gap: u32) -> image::GrayImage {
        let cell = 7 * module + gap;
        image::GrayImage::from_fn(cols * cell + gap, rows * cell + gap, |x, y| {
            let (Some(x), Some(y)) = (x.checked_sub(gap), y.checked_sub(gap)) else {
                return image::Luma([255]);
            };
            let (col, row) = ((x % cell) / module, (y % cell) / module);
            let inside = x / cell < cols && y / cell < rows && col < 7 && row < 7;
            let ring = col == 0 || col == 6 || row == 0 || row == 6;
            let stone = (2..=4).contains(&col) && (2..=4).contains(&row);
            image::Luma([if inside && (ring || stone) { 0 } else { 255 }])
        })
    }

    /// An image tiled with thousands of finder patterns, which the QR
    /// detector would pair up for minutes, is refused at once: exit 2.
    #[test]
    fn cli_scan_refuses_an_image_tiled_with_finder_patterns() {
        let s = TempDir::new("qr-scan-finders");
        setup(&s);
        let refused = |name: &str, image: &image::GrayImage| {
            image.save(s.join(name)).unwrap();
            let started = std::time::Instant::now();
            let out = scan(&s, &s.arg(name), &[]);
            let took = started.elapsed();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {err}");
            assert!(err.contains("more than 20 QR finder patterns"), "{name}: {err}");
            assert!(out.stdout.is_empty() && !err.contains("panicked"), "{name}: {err}");
            // Unbounded, the 2009-pixel image took over 150 s, optimized.
            assert!(took < std::time::Duration::from_secs(60), "{name}: {took:?}");
        };
        // 69 × 69 patterns of 3-pixel modules, 8 pixels apart, as a PNG of 13 KB.
        refused("tiled.png", &finder_tiles(69, 69, 3, 8));
        // 21 patterns: one more than allowed.
        refused("21.png", &finder_tiles(7, 3, 4, 20));
        // 20: searched, and no code is found in them.
        finder_tiles(5, 4, 4, 20).save(s.join("20.png")).unwrap();
        let out = scan(&s, &s.arg("20.png"), &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("no QR code found") && !err.contains("finder patterns"), "{err}");
        // Twice as large, 4018 pixels a side: shrunk to half before the count.
        refused("large.png", &finder_tiles(69, 69, 6, 16));
    }

    /// A code in an image larger than the detector's 2048 pixels a side is
    /// shrunk to it and still read; so is one beside a few finder patterns.
    #[test]
    fn cli_scan_reads_a_code_in_a_large_image() {
        let s = TempDir::new("qr-scan-large");
        setup(&s);
        let at = T.to_string();
        let page = |name: &str, scale: u32, side: u32, tiles: Option<image::GrayImage>| {
            let png = s.join(format!("{name}-code.png"));
            CLI.stdout(&[
                "code",
                "--wallet",
                &s.arg("hmac"),
                "--at",
                &at,
                "--qr",
                "png",
                "--out",
                png.to_str().unwrap(),
            ]);
            let img = image::open(&png).unwrap().to_luma8();
            let (w, h) = (img.width() * scale, img.height() * scale);
            let big = image::imageops::resize(&img, w, h, image::imageops::Nearest);
            let mut page = image::GrayImage::from_pixel(side, side * 3 / 4, image::Luma([200]));
            image::imageops::replace(&mut page, &big, i64::from(side / 3), i64::from(side / 8));
            if let Some(tiles) = tiles {
                image::imageops::replace(&mut page, &tiles, 40, 40);
            }
            page.save(s.join(name)).unwrap();
        };
        // 5000 pixels wide: shrunk by 3.
        page("large.png", 4, 5000, None);
        let (code, out) = verdict(&scan(&s, &s.arg("large.png"), &[]));
        assert_eq!((code, &out["verdict"]), (Some(0), &"accepted".into()), "{out}");
        // With 3 × 3 finder patterns beside it: 12 in all.
        page("beside.png", 2, 2000, Some(finder_tiles(3, 3, 8, 24)));
        let (code, out) = verdict(&scan(&s, &s.arg("beside.png"), &[]));
        assert_eq!((code, &out["verdict"]), (Some(0), &"accepted".into()), "{out}");
    }
}
