//! The ed25519 profile's verification against its floor, ed25519-dalek's
//! `verify_strict` of one signature over the same message: with the
//! credential already verified and cached, with a credential never seen,
//! and in batches of 64 codes. The group is named after the
//! curve25519-dalek backend the run selected (`ed25519_avx512ifma`,
//! `ed25519_avx2`, ...), so runs with different backends sit side by side.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::hint::black_box;

use common::{NOW, over_pool};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use curve25519_dalek::scalar::Scalar;
use paycode::hazmat::eddsa::{PublicKey, Signed, verify_batch};
use paycode::{Code, Ed25519Wallet, Verifier};
use sha2::{Digest, Sha512};

/// Wallets (and credentials) in the cached and batched pools.
const WALLETS: u64 = 64;
/// Codes per wallet in those pools.
const PER_WALLET: u32 = 64;
/// Codes in a batch.
const BATCH: usize = 64;

fn ed25519(c: &mut Criterion) {
    let backend = common::dalek_backend();
    common::write_record(&format!("ed25519_{backend}"), "");
    let mut g = c.benchmark_group(format!("ed25519_{backend}"));
    let issuer = common::issuer();
    let trust = common::trust_list(&issuer);
    let step = common::step();
    let wallets: Vec<Ed25519Wallet> =
        (0..WALLETS).map(|n| common::ed25519_wallet(&issuer, n, 1_000 + n)).collect();
    let verifier = || {
        let mut v = Verifier::new(paycode::Params::default(), 1);
        v.set_trust_list(trust.clone());
        v
    };
    // A verifier that has checked and cached every wallet's credential (with
    // each wallet's counter 0).
    let warm = || {
        let v = verifier();
        for w in &wallets {
            v.verify(&Code::Ed25519(Box::new(w.code_for(step, 0))), NOW, 1).unwrap();
        }
        v
    };

    // The pool: counter 1..=64 of every wallet, round robin (counter 0 of
    // each warms the verifier's credential cache).
    let pool: Vec<Code> = (1..=PER_WALLET)
        .flat_map(|n| wallets.iter().map(move |w| Code::Ed25519(Box::new(w.code_for(step, n)))))
        .collect();
    // Each pool code's signature check: wallet, signed input, signature. The
    // floor and the primitives below run over these in the pool's order, so
    // they see the same inputs (and branch patterns) as the verifier.
    let checks: Vec<(usize, [u8; 164], [u8; 64])> = pool
        .iter()
        .enumerate()
        .map(|(i, c)| match c {
            Code::Ed25519(e) => (i % WALLETS as usize, e.signing_input().try_into().unwrap(), e.signature()),
            _ => unreachable!(),
        })
        .collect();
    let devices: Vec<[u8; 32]> = wallets.iter().map(|w| w.credential().fields().device_key).collect();

    let dalek_keys: Vec<ed25519_dalek::VerifyingKey> =
        devices.iter().map(|d| ed25519_dalek::VerifyingKey::from_bytes(d).unwrap()).collect();
    let dalek_checks: Vec<(usize, [u8; 164], ed25519_dalek::Signature)> =
        checks.iter().map(|(w, m, s)| (*w, *m, ed25519_dalek::Signature::from_bytes(s))).collect();
    assert!(dalek_checks.iter().all(|(w, m, s)| dalek_keys[*w].verify_strict(m, s).is_ok()));
    g.bench_function("dalek_verify_strict", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &dalek_checks,
                || (),
                |(), (w, m, s)| {
                    black_box(dalek_keys[*w].verify_strict(m, s)).unwrap();
                },
            )
        })
    });
    let keys: Vec<PublicKey> = devices.iter().map(|d| PublicKey::from_bytes(d).unwrap()).collect();
    g.bench_function("eddsa_verify", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &checks,
                || (),
                |(), (w, m, s)| {
                    assert!(keys[*w].verify(m, s));
                },
            )
        })
    });
    // The two parts of a check that every signature needs on its own, batched
    // or not: decoding R (canonical, on the curve, not small order) and the
    // challenge k = SHA-512(R || A || M) mod L.
    g.bench_function("r_decode", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &checks,
                || (),
                |(), (_, _, s)| {
                    assert!(paycode::hazmat::eddsa::point_is_valid(&s[..32].try_into().unwrap()));
                },
            )
        })
    });
    g.bench_function("challenge", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &checks,
                || (),
                |(), (w, m, s)| {
                    let mut h = Sha512::new();
                    h.update(&s[..32]);
                    h.update(devices[*w]);
                    h.update(m);
                    let mut wide = [0u8; 64];
                    wide.copy_from_slice(&h.finalize());
                    black_box(Scalar::from_bytes_mod_order_wide(&wide));
                },
            )
        })
    });

    // Full verification, credential cached: the pool's fresh codes.
    g.bench_function("verify_cached", |b| {
        b.iter_custom(|iters| {
            over_pool(iters, &pool, warm, |v, code| {
                assert!(v.verify(code, NOW, 1).is_ok());
            })
        })
    });

    // Full verification of codes whose credentials the verifier has never seen.
    let strangers: Vec<Code> = (0..256u64)
        .map(|n| {
            let w = common::ed25519_wallet(&issuer, n % WALLETS, 100_000 + n);
            Code::Ed25519(Box::new(w.code_for(step, 1)))
        })
        .collect();
    g.bench_function("verify_uncached", |b| {
        b.iter_custom(|iters| {
            over_pool(iters, &strangers, verifier, |v, code| {
                assert!(v.verify(code, NOW, 1).is_ok());
            })
        })
    });

    // Batches of 64 codes, one per wallet; reported per code.
    let batches: Vec<Vec<(&Code, u64)>> =
        pool.chunks(BATCH).map(|ch| ch.iter().map(|c| (c, 1)).collect()).collect();
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("verify_batch64", |b| {
        b.iter_custom(|iters| {
            over_pool(iters, &batches, warm, |v, batch| {
                let verdicts = v.verify_batch(batch, NOW);
                assert!(verdicts.iter().all(Result::is_ok));
            })
        })
    });

    // The batch equation alone, on the same batches of signatures.
    let signed: Vec<Vec<Signed<'_>>> = checks
        .chunks(BATCH)
        .map(|ch| ch.iter().map(|(w, m, s)| Signed { key: &keys[*w], message: m, signature: s }).collect())
        .collect();
    assert!(signed.iter().all(|b| verify_batch(b)));
    g.bench_function("eddsa_verify_batch64", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &signed,
                || (),
                |(), batch| {
                    assert!(verify_batch(batch));
                },
            )
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = ed25519
}
criterion_main!(benches);
