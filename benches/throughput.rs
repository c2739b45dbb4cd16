//! Verifier throughput with 1 and 2 threads sharing one verifier: hmac codes
//! from QR text, each thread scanning codes of its own 1,000 accounts (as two
//! scanners of one online verifier would). An iteration is one code per
//! thread, so the 2-thread time per iteration is the time for 2 codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use common::{ACCOUNTS, NOW};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paycode::{Code, Verifier};

/// Codes per account in a thread's pool.
const PER_ACCOUNT: u32 = 32;

fn throughput(c: &mut Criterion) {
    common::write_record("throughput", "");
    let mut g = c.benchmark_group("throughput");
    let step = common::step();
    let wallets = common::hmac_wallets(0..2 * ACCOUNTS);
    // Thread t scans accounts t*1000 .. t*1000 + 999.
    let pools: Vec<Vec<String>> = (0..2)
        .map(|t| {
            let mine = &wallets[t * ACCOUNTS as usize..(t + 1) * ACCOUNTS as usize];
            (1..=PER_ACCOUNT)
                .flat_map(|n| mine.iter().map(move |w| w.code_for(step, n).to_qr_text()))
                .collect()
        })
        .collect();
    let fresh = || {
        let v = common::hmac_verifier(0..2 * ACCOUNTS);
        for w in &wallets {
            v.verify(&Code::Hmac(w.code_for(step, 0)), NOW, 0).unwrap();
        }
        v
    };
    for threads in [1usize, 2] {
        g.throughput(Throughput::Elements(threads as u64));
        g.bench_function(format!("hmac_text_{threads}_thread{}", if threads > 1 { "s" } else { "" }), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let v = fresh();
                    let n = left.min(pools[0].len() as u64) as usize;
                    total += run(&v, &pools[..threads], n);
                    left -= n as u64;
                }
                total
            })
        });
    }
    g.finish();
}

/// Each pool's first `n` codes verified on its own thread, all threads
/// released together; the time from the first start to the last finish.
fn run(v: &Verifier, pools: &[Vec<String>], n: usize) -> Duration {
    let start = Barrier::new(pools.len() + 1);
    std::thread::scope(|s| {
        let workers: Vec<_> = pools
            .iter()
            .map(|pool| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    let began = Instant::now();
                    for text in &pool[..n] {
                        assert!(v.verify_text(black_box(text), NOW, 0).is_ok());
                    }
                    (began, Instant::now())
                })
            })
            .collect();
        start.wait();
        let spans: Vec<(Instant, Instant)> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let began = spans.iter().map(|s| s.0).min().unwrap();
        let ended = spans.iter().map(|s| s.1).max().unwrap();
        ended - began
    })
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = throughput
}
criterion_main!(benches);
