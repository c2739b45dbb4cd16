//! The ed25519 profile's verification against its floor, ed25519-dalek's
//! `verify_strict` of one signature over the same message: with the
//! credential already verified and cached, with a credential never seen,
//! and in batches of 64 and of 256 codes, each batch beside ed25519-dalek's
//! own `verify_batch` of the same signatures (the peer). The group is named
//! after the curve25519-dalek backend the run selected (`ed25519_avx512ifma`,
//! `ed25519_avx2`, ...), so runs with different backends sit side by side.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::hint::black_box;

use common::{NOW, over_pool};
use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::Scalar;
use paycode::hazmat::eddsa::{PublicKey, Signed, verify_batch};
use paycode::{Code, Ed25519Wallet, Verifier};
use sha2::{Digest, Sha512};

/// Wallets (and credentials) in the single-verification pool.
const WALLETS: usize = 64;
/// Codes per wallet in that pool.
const PER_WALLET: u32 = 64;
/// Batch sizes: one code from each of that many wallets. curve25519-dalek
/// picks its multiscalar algorithm by the number of points (2n + 1 here).
const BATCHES: [usize; 2] = [64, 256];

/// One code's signature check: wallet index, signed input, signature.
type Check = (usize, [u8; 164], [u8; 64]);

struct Fixture {
    root: PublicKey,
    trust: paycode::trust::TrustList,
    /// A fresh revocation list revoking none of the wallets: an ed25519
    /// verifier without one accepts no code (spec: R-REVOKE-4).
    revocation: paycode::RevocationList,
    wallets: Vec<Ed25519Wallet>,
    devices: Vec<[u8; 32]>,
    keys: Vec<PublicKey>,
    dalek_keys: Vec<ed25519_dalek::VerifyingKey>,
}

impl Fixture {
    fn new(wallets: usize) -> Fixture {
        let issuer = common::issuer();
        let wallets: Vec<Ed25519Wallet> =
            (0..wallets as u64).map(|n| common::ed25519_wallet(&issuer, n, 1_000 + n)).collect();
        let devices: Vec<[u8; 32]> = wallets.iter().map(|w| w.credential().fields().device_key).collect();
        let keys = devices.iter().map(|d| PublicKey::from_bytes(d).unwrap()).collect();
        let dalek_keys =
            devices.iter().map(|d| ed25519_dalek::VerifyingKey::from_bytes(d).unwrap()).collect();
        let header = paycode::ListHeader {
            key_id: 1,
            number: 1,
            issued_at: NOW - 3_600,
            next_update: NOW + 86_400,
            grace: 86_400,
        };
        let revocation = issuer.revocation_list(header, Vec::new()).unwrap();
        let root = issuer.root_public_key().unwrap();
        Fixture { root, trust: common::trust_list(&issuer), revocation, wallets, devices, keys, dalek_keys }
    }

    fn verifier(&self) -> Verifier {
        let mut v = Verifier::new(paycode::Params::default(), 1);
        v.set_root_key(self.root);
        v.install_trust_list(self.trust.clone(), NOW).unwrap();
        v.install_revocation_list(self.revocation.clone(), NOW).unwrap();
        v
    }

    /// A verifier that has checked and cached the first `n` wallets'
    /// credentials (with each wallet's counter 0).
    fn warm(&self, n: usize) -> Verifier {
        let v = self.verifier();
        for w in &self.wallets[..n] {
            v.verify(&Code::Ed25519(Box::new(w.code_for(common::step(), 0))), NOW, 1).unwrap();
        }
        v
    }

    /// Counters 1..=`per_wallet` of the first `n` wallets, round robin: `n`
    /// consecutive codes come from `n` different wallets.
    fn pool(&self, n: usize, per_wallet: u32) -> Vec<Code> {
        let wallets = &self.wallets[..n];
        (1..=per_wallet)
            .flat_map(|c| wallets.iter().map(move |w| Code::Ed25519(Box::new(w.code_for(common::step(), c)))))
            .collect()
    }
}

/// Each pool code's signature check, in the pool's order, so that the floor
/// and the primitives see the same inputs (and branch patterns) as the verifier.
fn checks(pool: &[Code], wallets: usize) -> Vec<Check> {
    pool.iter()
        .enumerate()
        .map(|(i, c)| match c {
            Code::Ed25519(e) => (i % wallets, e.signing_input().try_into().unwrap(), e.signature()),
            _ => unreachable!(),
        })
        .collect()
}

fn ed25519(c: &mut Criterion) {
    let backend = common::dalek_backend();
    let run = common::Run::start(&format!("ed25519_{backend}"));
    let mut g = c.benchmark_group(format!("ed25519_{backend}"));
    let largest = BATCHES.iter().copied().max().unwrap_or(WALLETS).max(WALLETS);
    let fx = Fixture::new(largest);

    let pool = fx.pool(WALLETS, PER_WALLET);
    let checks = checks(&pool, WALLETS);
    let dalek_checks: Vec<(usize, [u8; 164], ed25519_dalek::Signature)> =
        checks.iter().map(|(w, m, s)| (*w, *m, ed25519_dalek::Signature::from_bytes(s))).collect();
    assert!(dalek_checks.iter().all(|(w, m, s)| fx.dalek_keys[*w].verify_strict(m, s).is_ok()));
    g.bench_function("dalek_verify_strict", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &dalek_checks,
                || (),
                |(), (w, m, s)| {
                    black_box(fx.dalek_keys[*w].verify_strict(m, s)).unwrap();
                },
            )
        })
    });
    g.bench_function("eddsa_verify", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &checks,
                || (),
                |(), (w, m, s)| {
                    assert!(fx.keys[*w].verify(m, s));
                },
            )
        })
    });
    // The two parts of a check that every signature needs on its own, batched
    // or not: decoding R (canonical, on the curve, not small order) and the
    // challenge k = SHA-512(R || A || M) mod L. Beside the first, decoding
    // alone as curve25519-dalek does it: what the validity checks add to it.
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
    g.bench_function("r_decompress", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &checks,
                || (),
                |(), (_, _, s)| {
                    let r = CompressedEdwardsY(s[..32].try_into().unwrap());
                    assert!(black_box(r.decompress()).is_some());
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
                    h.update(fx.devices[*w]);
                    h.update(m);
                    let mut wide = [0u8; 64];
                    wide.copy_from_slice(&h.finalize());
                    black_box(Scalar::from_bytes_mod_order_wide(&wide));
                },
            )
        })
    });
    // A batch's random coefficients: 16 bytes per signature from the
    // operating system, drawn once per batch of 64 (spec: R-ED-6); per signature.
    let mut random = [0u8; 16 * 64];
    g.throughput(Throughput::Elements(64));
    g.bench_function("coefficients64", |b| b.iter(|| getrandom::fill(black_box(&mut random)).unwrap()));
    g.throughput(Throughput::Elements(1));

    // Full verification, credential cached: the pool's fresh codes.
    g.bench_function("verify_cached", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &pool,
                || fx.warm(WALLETS),
                |v, code| {
                    assert!(v.verify(code, NOW, 1).is_ok());
                },
            )
        })
    });

    // Full verification of codes whose credentials the verifier has never seen.
    let issuer = common::issuer();
    let strangers: Vec<Code> = (0..256u64)
        .map(|n| {
            let w = common::ed25519_wallet(&issuer, n % WALLETS as u64, 100_000 + n);
            Code::Ed25519(Box::new(w.code_for(common::step(), 1)))
        })
        .collect();
    g.bench_function("verify_uncached", |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &strangers,
                || fx.verifier(),
                |v, code| {
                    assert!(v.verify(code, NOW, 1).is_ok());
                },
            )
        })
    });

    for n in BATCHES {
        batches(&mut g, &fx, n);
    }
    g.finish();
    run.finish("");
}

/// Batches of `n` codes, one from each of `n` wallets, reported per code:
/// the verifier's, the batch equation alone, and ed25519-dalek's
/// `verify_batch` of the same signatures under the same keys. The peer does
/// less than the spec requires (the cofactorless equation, no validity
/// checks on R, coefficients derived from the batch rather than drawn).
fn batches(g: &mut BenchmarkGroup<'_, WallTime>, fx: &Fixture, n: usize) {
    // 16 batches' worth of codes per pass over the pool.
    let pool = fx.pool(n, 16);
    let checks = checks(&pool, n);
    g.throughput(Throughput::Elements(n as u64));

    let batches: Vec<Vec<(&Code, u64)>> =
        pool.chunks(n).map(|ch| ch.iter().map(|c| (c, 1)).collect()).collect();
    g.bench_function(format!("verify_batch{n}"), |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &batches,
                || fx.warm(n),
                |v, batch| {
                    let verdicts = v.verify_batch(batch, NOW);
                    assert!(verdicts.iter().all(Result::is_ok));
                },
            )
        })
    });

    let signed: Vec<Vec<Signed<'_>>> = checks
        .chunks(n)
        .map(|ch| ch.iter().map(|(w, m, s)| Signed { key: &fx.keys[*w], message: m, signature: s }).collect())
        .collect();
    assert!(signed.iter().all(|b| verify_batch(b)));
    g.bench_function(format!("eddsa_verify_batch{n}"), |b| {
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

    // The peer's inputs, in its own types: messages, signatures, keys.
    type DalekBatch<'a> = (Vec<&'a [u8]>, Vec<ed25519_dalek::Signature>, Vec<ed25519_dalek::VerifyingKey>);
    let dalek: Vec<DalekBatch<'_>> = checks
        .chunks(n)
        .map(|ch| {
            let messages = ch.iter().map(|(_, m, _)| &m[..]).collect();
            let signatures = ch.iter().map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(s)).collect();
            let keys = ch.iter().map(|(w, _, _)| fx.dalek_keys[*w]).collect();
            (messages, signatures, keys)
        })
        .collect();
    assert!(dalek.iter().all(|(m, s, k)| ed25519_dalek::verify_batch(m, s, k).is_ok()));
    g.bench_function(format!("dalek_verify_batch{n}"), |b| {
        b.iter_custom(|iters| {
            over_pool(
                iters,
                &dalek,
                || (),
                |(), (m, s, k)| {
                    black_box(ed25519_dalek::verify_batch(m, s, k)).unwrap();
                },
            )
        })
    });
    g.throughput(Throughput::Elements(1));
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = ed25519
}
criterion_main!(benches);
