//! The hmac profile's verification against its floor, raw HMAC-SHA256 over
//! the same MAC input with the keyed state precomputed, and against the
//! `totp-rs` crate's `check` (skew 1) as the peer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::hint::black_box;

use common::{ACCOUNTS, NOW, over_pool};
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use paycode::Code;
use paycode::code::DS_HMAC_QR;
use paycode::hazmat::keys::{LABEL_HMAC_NUMERIC_KEY, LABEL_HMAC_QR_KEY, derive};
use sha2::Sha256;

/// Codes per account in a pool; the pool is used once per fresh verifier.
const PER_ACCOUNT: u32 = 64;

fn hmac(c: &mut Criterion) {
    common::write_record("hmac", "");
    let mut g = c.benchmark_group("hmac");
    let wallets = common::hmac_wallets(0..ACCOUNTS);
    let step = common::step();
    // The pool: counter 1..=64 of every account, round robin, as a stream of
    // scans from many wallets; counter 0 of each is used to warm the verifier.
    let codes: Vec<_> =
        (1..=PER_ACCOUNT).flat_map(|n| wallets.iter().map(move |w| w.code_for(step, n))).collect();
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
        .map(|c| (c.account_id() as usize, [DS_HMAC_QR, &c.maced()].concat().try_into().unwrap()))
        .collect();
    // It is the MAC the verifier checks.
    let (id, input) = &inputs[0];
    let mut mac = qr_keys[*id].clone();
    mac.update(input);
    assert_eq!(mac.finalize().into_bytes()[..16], codes[0].tag()[..]);
    g.bench_function("raw_hmac", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &inputs,
                || (),
                |(), (id, input)| {
                    let mut mac = qr_keys[*id].clone();
                    mac.update(input);
                    black_box(mac.finalize().into_bytes());
                },
            )
        })
    });

    let decoded: Vec<Code> = codes.iter().map(|c| Code::Hmac(*c)).collect();
    g.bench_function("verify_decoded", |b| {
        b.iter_custom(|iters| {
            over_pool(iters, &decoded, fresh, |v, code| {
                assert!(v.verify(code, NOW, 0).is_ok());
            })
        })
    });

    let texts: Vec<String> = codes.iter().map(|c| c.to_qr_text()).collect();
    g.bench_function("verify_text", |b| {
        b.iter_custom(|iters| {
            over_pool(iters, &texts, fresh, |v, text| {
                assert!(v.verify_text(text, NOW, 0).is_ok());
            })
        })
    });

    // The numeric form: its own key and 51-byte MAC input, floor as above.
    let num_keys = keyed(LABEL_HMAC_NUMERIC_KEY);
    let num_inputs: Vec<(usize, [u8; 51])> = codes
        .iter()
        .map(|c| {
            let input = paycode::numeric::mac_input(c.account_id(), step, c.counter());
            (c.account_id() as usize, input.try_into().unwrap())
        })
        .collect();
    assert_eq!(paycode::numeric::DS_HMAC_NUMERIC.len() + 22, 51);
    g.bench_function("raw_hmac_numeric", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &num_inputs,
                || (),
                |(), (id, input)| {
                    let mut mac = num_keys[*id].clone();
                    mac.update(input);
                    black_box(mac.finalize().into_bytes());
                },
            )
        })
    });
    let digits: Vec<String> =
        codes.iter().map(|c| wallets[c.account_id() as usize].numeric(c).unwrap().to_digits()).collect();
    g.bench_function("verify_numeric", |b| {
        b.iter_custom(|iters| {
            over_pool(iters, &digits, fresh, |v, text| {
                assert!(v.verify_text(text, NOW, 0).is_ok());
            })
        })
    });

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
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = hmac
}
criterion_main!(benches);
