//! The hmac profile's verification against its floor, raw HMAC-SHA256 over
//! the same MAC input with the keyed state precomputed, and against the
//! `totp-rs` crate's `check` (skew 1) as the peer; and the Base45 decoder
//! on its own, against a plain copy of its input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::hint::black_box;

use common::{ACCOUNTS, NOW, over_pool};
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime};
use hmac::{Hmac, KeyInit, Mac};
use paycode::code::{DS_HMAC_QR, QR_PREFIX};
use paycode::hazmat::base45::{decode_into, decoded_len};
use paycode::hazmat::keys::{
    HandleKey, LABEL_HMAC_HANDLE_KEY, LABEL_HMAC_NUMERIC_KEY, LABEL_HMAC_QR_KEY, derive,
};
use paycode::{Challenge, Code, Payment, Purpose, Verifier};
use sha2::Sha256;

/// Codes per account in a pool; the pool is used once per fresh verifier.
const PER_ACCOUNT: u32 = 64;

fn hmac(c: &mut Criterion) {
    let run = common::Run::start("hmac");
    let mut g = c.benchmark_group("hmac");
    let wallets = common::hmac_wallets(0..ACCOUNTS);
    let step = common::step();
    // The pool: counter 1..=64 of every account, round robin, as a stream of
    // scans from many wallets; counter 0 of each is used to warm the verifier.
    let codes: Vec<_> =
        (1..=PER_ACCOUNT).flat_map(|n| wallets.iter().map(move |w| w.code_for(step, n))).collect();
    // A code carries a handle, not its account: the pool's order names it,
    // account i % ACCOUNTS with counter 1 + i / ACCOUNTS.
    let account_of = |i: usize| i % ACCOUNTS as usize;
    let counter_of = |i: usize| 1 + (i / ACCOUNTS as usize) as u32;
    let fresh = || {
        let v = common::hmac_verifier(0..ACCOUNTS);
        for w in &wallets {
            v.verify(&Code::Hmac(w.code_for(step, 0)), NOW, 0).unwrap();
        }
        v
    };

    // The floor: HMAC-SHA256 of each pool code's 46-byte MAC input under its
    // account's precomputed keyed state, in the pool's order (so the floor
    // sees the same inputs, keys and memory traffic as the verifier).
    let keyed = |label: &[u8]| -> Vec<Hmac<Sha256>> {
        (0..ACCOUNTS)
            .map(|id| {
                let key = derive(&common::account_seed(id), label, &id.to_be_bytes());
                <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose()).unwrap()
            })
            .collect()
    };
    let qr_keys = keyed(LABEL_HMAC_QR_KEY);
    let inputs: Vec<(usize, [u8; 46])> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| (account_of(i), [DS_HMAC_QR, &c.maced()].concat().try_into().unwrap()))
        .collect();
    // It is the MAC the verifier checks.
    let (id, input) = &inputs[0];
    let mut mac = qr_keys[*id].clone();
    mac.update(input);
    assert_eq!(mac.finalize().into_bytes()[..16], codes[0].tag()[..]);
    let texts: Vec<String> = codes.iter().map(|c| c.to_qr_text()).collect();

    // Each form of code verified from text beside its own floor, the HMAC of
    // exactly what that form's MAC covers: the QR form (and its decoded
    // code) and the 24 digits, whose MAC input is longer.
    form(&mut g, Floor { name: "raw_hmac", keys: &qr_keys, inputs: &inputs }, ("verify_text", &texts), fresh);
    let decoded: Vec<Code> = codes.iter().map(|c| Code::Hmac(*c)).collect();
    g.bench_function("verify_decoded", |b| {
        b.iter_custom(|iters| {
            over_pool(iters, &decoded, fresh, |v, code| {
                assert!(v.verify(code, NOW, 0).is_ok());
            })
        })
    });
    // The library's own HMAC-SHA256, which the verifier's MAC runs, of the
    // same inputs in the same order, under a key per account (the handle
    // key: every key of an account is kept the same way). It is the MAC
    // the hmac crate computes under the same key.
    let own: Vec<HandleKey> =
        (0..ACCOUNTS).map(|id| HandleKey::derive(id, &common::account_seed(id))).collect();
    let handle_key = derive(&common::account_seed(0), LABEL_HMAC_HANDLE_KEY, &0u64.to_be_bytes());
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(handle_key.expose()).unwrap();
    mac.update(&inputs[0].1);
    assert_eq!(own[inputs[0].0].mac(&inputs[0].1)[..], mac.finalize().into_bytes()[..]);
    g.bench_function("own_mac", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &inputs,
                || (),
                |(), (id, input)| {
                    black_box(own[*id].mac(input));
                },
            )
        })
    });
    // Challenge mode: every pool code made for a challenge of its own (a
    // challenge pays once), decoded, verified with that challenge: one
    // SHA-256 of the challenge more, and a MAC input 32 bytes longer.
    let challenges: Vec<Challenge> = (0..codes.len())
        .map(|i| {
            let mut nonce = [0u8; 16];
            nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
            Challenge::new(1, 250, NOW, nonce)
        })
        .collect();
    let challenged: Vec<(Code, &Challenge)> = codes
        .iter()
        .zip(&challenges)
        .enumerate()
        .map(|(i, (_, ch))| {
            let wallet = &wallets[account_of(i)];
            (Code::Hmac(wallet.code_as(step, counter_of(i), Purpose::Challenge(ch))), ch)
        })
        .collect();
    // Its floor: the HMAC of each challenge code's 78-byte MAC input,
    // `DS || payload[0..22] || SHA-256(challenge)`, under its account's
    // precomputed keyed state; the first is the code's tag.
    let challenge_inputs: Vec<(usize, [u8; 78])> = challenged
        .iter()
        .enumerate()
        .map(|(i, (code, ch))| {
            let Code::Hmac(c) = code else { unreachable!("an hmac pool") };
            (account_of(i), [DS_HMAC_QR, &c.maced(), &ch.digest()].concat().try_into().unwrap())
        })
        .collect();
    let (id, input) = &challenge_inputs[0];
    let mut mac = qr_keys[*id].clone();
    mac.update(input);
    let Code::Hmac(first) = &challenged[0].0 else { unreachable!("an hmac pool") };
    assert_eq!(mac.finalize().into_bytes()[..16], first.tag()[..]);
    floor(&mut g, Floor { name: "raw_hmac_challenge", keys: &qr_keys, inputs: &challenge_inputs });
    g.bench_function("verify_challenge", |b| {
        b.iter_custom(|iters| {
            over_pool(iters, &challenged, fresh, |v, (code, ch)| {
                assert!(v.verify_payment(code, NOW, Payment { amount: 250, challenge: Some(ch) }).is_ok());
            })
        })
    });
    // The text's share: Base45 decoding and parsing into a `Code`.
    g.bench_function("parse_text", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &texts,
                || (),
                |(), text| {
                    black_box(Code::parse(text)).unwrap();
                },
            )
        })
    });

    let num_keys = keyed(LABEL_HMAC_NUMERIC_KEY);
    let num_inputs: Vec<(usize, [u8; 51])> = (0..codes.len())
        .map(|i| {
            let input = paycode::numeric::mac_input(account_of(i) as u64, step, counter_of(i));
            (account_of(i), input.try_into().unwrap())
        })
        .collect();
    assert_eq!(paycode::numeric::DS_HMAC_NUMERIC.len() + 22, 51);
    let digits: Vec<String> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| wallets[account_of(i)].numeric(c).unwrap().to_digits())
        .collect();
    let floor = Floor { name: "raw_hmac_numeric", keys: &num_keys, inputs: &num_inputs };
    form(&mut g, floor, ("verify_numeric", &digits), fresh);

    // The peer: totp-rs check with skew 1 of a token of the current step
    // (it tries step - 1 first, then matches), 6 digits, 60 s steps.
    for (name, algorithm) in [
        ("totp_rs_check_sha1", totp_rs::Algorithm::SHA1),
        ("totp_rs_check_sha256", totp_rs::Algorithm::SHA256),
    ] {
        let totp = totp_rs::Builder::new()
            .with_algorithm(algorithm)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(60)
            // 160 bits (what the crate takes without its alloc feature); any
            // key up to 64 bytes costs HMAC the same.
            .with_secret(<[u8; 20]>::try_from(&common::account_seed(7).expose()[..20]).unwrap())
            .build()
            .unwrap();
        let token = totp.generate(NOW).to_string();
        assert_eq!(totp.check(&token, NOW), Some(NOW / 60));
        g.bench_function(name, |b| b.iter(|| totp.check(black_box(&token), black_box(NOW))));
    }
    g.finish();
    run.finish("");
}

/// The floor of one form of code: HMAC-SHA256 of each pool code's MAC
/// input under its account's precomputed keyed state, in the pool's order
/// (so the floor sees the same inputs, keys and memory traffic as the verifier).
struct Floor<'a, const N: usize> {
    name: &'a str,
    /// Each account's keyed state for this form, by account id.
    keys: &'a [Hmac<Sha256>],
    /// Each pool code's account id and MAC input.
    inputs: &'a [(usize, [u8; N])],
}

/// One form of code: its floor, then `text.0`, the verifier's check of the
/// same codes from their text, on a verifier fresh from `fresh` for each
/// pass over the pool.
fn form<const N: usize>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    floor: Floor<'_, N>,
    text: (&str, &[String]),
    fresh: impl Fn() -> Verifier + Copy,
) {
    self::floor(g, floor);
    let (name, texts) = text;
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            over_pool(iters, texts, fresh, |v, text| {
                assert!(v.verify_text(text, NOW, 0).is_ok());
            })
        })
    });
}

/// A floor alone: the HMAC of each pool code's MAC input under its
/// account's precomputed keyed state, in the pool's order.
fn floor<const N: usize>(g: &mut BenchmarkGroup<'_, WallTime>, floor: Floor<'_, N>) {
    let Floor { name, keys, inputs } = floor;
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                inputs,
                || (),
                |(), (id, input)| {
                    let mut mac = keys[*id].clone();
                    mac.update(input);
                    black_box(mac.finalize().into_bytes());
                },
            )
        })
    });
}

/// The Base45 decoder on its own, against its floor: a plain copy of as
/// many bytes as the text has characters. The text is a QR code's after its
/// `PC3:` prefix: 57 characters for an hmac code, 306 for an ed25519 code.
fn base45(c: &mut Criterion) {
    let run = common::Run::start("base45");
    let mut g = c.benchmark_group("base45");
    let step = common::step();
    let hmac: Vec<String> =
        common::hmac_wallets(0..64).iter().map(|w| w.code_for(step, 1).to_qr_text()).collect();
    let issuer = common::issuer();
    let ed: Vec<String> = (0..8)
        .map(|n| common::ed25519_wallet(&issuer, n, 1_000 + n).code_for(step, 1).to_qr_text())
        .collect();
    for pool in [hmac, ed] {
        let bodies: Vec<&str> = pool.iter().map(|t| t.strip_prefix(QR_PREFIX).unwrap()).collect();
        let chars = bodies[0].len();
        assert!(bodies.iter().all(|b| b.len() == chars));
        let mut copy = vec![0u8; chars];
        g.bench_function(format!("copy_{chars}"), |b| {
            b.iter_custom(|iters| {
                over_pool(
                    iters,
                    &bodies,
                    || (),
                    |(), body| {
                        copy.copy_from_slice(body.as_bytes());
                        black_box(&mut copy);
                    },
                )
            })
        });
        let mut out = vec![0u8; decoded_len(chars).unwrap()];
        g.bench_function(format!("decode_{chars}"), |b| {
            b.iter_custom(|iters| {
                over_pool(
                    iters,
                    &bodies,
                    || (),
                    |(), body| {
                        black_box(decode_into(body, &mut out)).unwrap();
                    },
                )
            })
        });
    }
    g.finish();
    run.finish("");
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = hmac, base45
}
criterion_main!(benches);
