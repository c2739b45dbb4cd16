//! Verifier throughput with 1 and 2 threads: hmac codes from QR text, each
//! thread scanning codes of its own 1,000 accounts (as two scanners of one
//! online verifier would). An iteration is one code per thread, so the
//! 2-thread time per iteration is the time for 2 codes.
//!
//! The same run measures raw HMAC-SHA256 over the same codes' MAC inputs with
//! 1 and 2 threads sharing nothing: the scaling the machine itself gives an
//! embarrassingly parallel load, against which the verifier's is judged. Two
//! threads with a verifier each (sharing nothing but the code) separate what
//! sharing the verifier costs from what the machine does to two threads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use common::{ACCOUNTS, NOW};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use paycode::Code;
use paycode::code::DS_HMAC_QR;
use paycode::hazmat::keys::{LABEL_HMAC_QR_KEY, derive};
use sha2::Sha256;

/// Codes per account in a thread's pool.
const PER_ACCOUNT: u32 = 32;

fn throughput(c: &mut Criterion) {
    let run = common::Run::start("throughput");
    let mut g = c.benchmark_group("throughput");
    let step = common::step();
    let wallets = common::hmac_wallets(0..2 * ACCOUNTS);
    // Thread t scans accounts t*1000 .. t*1000 + 999.
    let codes: Vec<Vec<_>> = (0..2)
        .map(|t| {
            let mine = &wallets[t * ACCOUNTS as usize..(t + 1) * ACCOUNTS as usize];
            (1..=PER_ACCOUNT).flat_map(|n| mine.iter().map(move |w| w.code_for(step, n))).collect()
        })
        .collect();
    let texts: Vec<Vec<String>> = codes.iter().map(|p| p.iter().map(|c| c.to_qr_text()).collect()).collect();
    let fresh = || {
        let v = common::hmac_verifier(0..2 * ACCOUNTS);
        for w in &wallets {
            v.verify(&Code::Hmac(w.code_for(step, 0)), NOW, 0).unwrap();
        }
        v
    };
    let keys: Vec<Hmac<Sha256>> = (0..2 * ACCOUNTS)
        .map(|id| {
            let key = derive(&common::account_seed(id), LABEL_HMAC_QR_KEY, &id.to_be_bytes());
            <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose()).unwrap()
        })
        .collect();
    let inputs: Vec<Vec<(usize, [u8; 46])>> = codes
        .iter()
        .enumerate()
        .map(|(t, p)| {
            // Pool t's code i is account t * ACCOUNTS + i % ACCOUNTS's.
            let base = t * ACCOUNTS as usize;
            p.iter()
                .enumerate()
                .map(|(i, c)| {
                    (base + i % ACCOUNTS as usize, [DS_HMAC_QR, &c.maced()].concat().try_into().unwrap())
                })
                .collect()
        })
        .collect();
    for threads in [1usize, 2] {
        let suffix = if threads > 1 { "threads" } else { "thread" };
        g.throughput(Throughput::Elements(threads as u64));
        g.bench_function(format!("hmac_text_{threads}_{suffix}"), |b| {
            b.iter_custom(|iters| {
                per_thread(iters, &texts[..threads], fresh, |v, _, text| {
                    assert!(v.verify_text(text, NOW, 0).is_ok());
                })
            })
        });
        g.bench_function(format!("raw_hmac_{threads}_{suffix}"), |b| {
            b.iter_custom(|iters| {
                per_thread(
                    iters,
                    &inputs[..threads],
                    || (),
                    |(), _, (id, input)| {
                        let mut mac = keys[*id].clone();
                        mac.update(input);
                        black_box(mac.finalize().into_bytes());
                    },
                )
            })
        });
    }
    // Each thread with a verifier of its own.
    g.bench_function("hmac_text_2_verifiers", |b| {
        b.iter_custom(|iters| {
            per_thread(
                iters,
                &texts,
                || [fresh(), fresh()],
                |v, t, text| {
                    assert!(v[t].verify_text(text, NOW, 0).is_ok());
                },
            )
        })
    });
    g.finish();
    run.finish("");
}

/// Runs `op` `iters` times on each of `pools.len()` threads, thread `t` over
/// `pools[t]` in order, all on one `fresh()` state per pass over the pools
/// (built untimed; `op` gets the thread's index beside it); returns the wall
/// time from the first thread's start to the last one's finish, summed over
/// the passes.
fn per_thread<S: Sync, T: Sync>(
    iters: u64,
    pools: &[Vec<T>],
    mut fresh: impl FnMut() -> S,
    op: impl Fn(&S, usize, &T) + Sync,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let state = fresh();
        let n = left.min(pools[0].len() as u64) as usize;
        let start = Barrier::new(pools.len());
        let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
            let workers: Vec<_> = pools
                .iter()
                .enumerate()
                .map(|(t, pool)| {
                    let (start, state, op) = (&start, &state, &op);
                    s.spawn(move || {
                        start.wait();
                        let began = Instant::now();
                        for item in &pool[..n] {
                            op(state, t, black_box(item));
                        }
                        (began, Instant::now())
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let began = spans.iter().map(|s| s.0).min().unwrap();
        let ended = spans.iter().map(|s| s.1).max().unwrap();
        total += ended - began;
        left -= n as u64;
    }
    total
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = throughput
}
criterion_main!(benches);
