//! The verifier's state: the replay window check alone, account lookup
//! among 10^3, 10^5 and 10^6 enrolled wallets, and the memory the replay
//! state takes per active credential at 10^6 credentials.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::hint::black_box;

use common::over_pool;
use criterion::{Criterion, criterion_group, criterion_main};
use paycode::Params;
use paycode::replay::{ReplayState, Window};

/// Identities in the replay-state benches.
const IDS: u64 = 1_000;
/// Credentials for the memory measurement.
const CREDENTIALS: u64 = 1_000_000;

fn replay(c: &mut Criterion) {
    let run = common::Run::start("replay");
    let mut g = c.benchmark_group("replay");
    let step = common::step();

    // The window arithmetic alone: check, then record, the next counter.
    g.bench_function("window_check", |b| {
        let mut w = Window::first(0, step);
        let mut counter = 0u32;
        b.iter(|| {
            counter = counter.wrapping_add(1);
            let ok = black_box(&w).check(black_box(counter)).is_ok();
            if ok {
                w.record(counter, step);
            }
            ok
        })
    });

    // The verifier's steps C1-C5 as it runs them: lock, sweep check, time
    // window, window lookup, check and record, for 1,000 identities with a
    // window each and fresh counters.
    let pool: Vec<(u64, u32)> = (1..=64u32).flat_map(|n| (0..IDS).map(move |id| (id, n))).collect();
    let fresh = || {
        let s = ReplayState::new(Params::default());
        s.observe(step);
        for id in 0..IDS {
            s.admit(id, step, 0, step, None).unwrap();
        }
        s
    };
    g.bench_function("admit", |b| {
        b.iter_custom(|iters| {
            over_pool(iters, &pool, fresh, |s, &(id, n)| {
                assert!(s.admit(id, step, n, step, None).is_ok());
            })
        })
    });
    g.finish();
    run.finish("");
}

fn lookup(c: &mut Criterion) {
    let run = common::Run::start("lookup");
    let mut g = c.benchmark_group("lookup");
    for (name, n) in [("accounts_1e3", 1_000u64), ("accounts_1e5", 100_000), ("accounts_1e6", 1_000_000)] {
        let v = common::hmac_verifier(0..n);
        // Enrolled ids drawn at random (xorshift, about a nanosecond), so a
        // large table is looked up all over rather than in a cached corner.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let found = black_box(&v).has_account(black_box(x % n));
                assert!(found);
                found
            })
        });
    }
    g.finish();
    run.finish("");
}

/// Replay windows for 10^6 credentials, as a terminal holds them when 10^6
/// credentials each had a code accepted within the time window; written to
/// the run record (bytes per credential) rather than timed.
fn memory(_: &mut Criterion) {
    let run = common::Run::start("replay_memory");
    let step = common::step();
    let rss_before = resident_bytes();
    let state = ReplayState::new(Params::default());
    state.observe(step);
    for serial in 1..=CREDENTIALS {
        state.admit(serial, step, 0, step, None).unwrap();
    }
    let rss_after = resident_bytes();
    assert_eq!(state.len() as u64, CREDENTIALS);
    let ours = state.window_bytes() as f64 / CREDENTIALS as f64;
    // What a std HashMap<u64, Window> holding the same windows allocates:
    // hashbrown keeps (key, value) pairs of 32 bytes plus one control byte
    // per bucket, with 2^k buckets at most 7/8 full.
    let mut map: HashMap<u64, Window> = HashMap::new();
    for serial in 1..=CREDENTIALS {
        map.insert(serial, Window::first(0, step));
    }
    let buckets = (map.capacity() * 8 / 7).next_power_of_two();
    let pair = size_of::<(u64, Window)>();
    let map_bytes = (buckets * (pair + 1)) as f64 / CREDENTIALS as f64;
    let rss = match (rss_before, rss_after) {
        (Some(a), Some(b)) => format!("{:.1}", b.saturating_sub(a) as f64 / CREDENTIALS as f64),
        _ => "null".to_string(),
    };
    println!(
        "replay state: {ours:.1} bytes per credential at {CREDENTIALS} (resident set growth {rss}; a HashMap<u64, Window> would take {map_bytes:.1})"
    );
    run.finish(
        &format!(
            "\"credentials\": {CREDENTIALS},\n  \"window_bytes_per_credential\": {ours:.2},\n  \"rss_growth_bytes_per_credential\": {rss},\n  \"hashmap_bytes_per_credential\": {map_bytes:.2},\n  \"hashmap_pair_bytes\": {pair},\n  \"hmac_keys_bytes\": {}",
            size_of::<paycode::hazmat::keys::HmacKeys>()
        ),
    );
}

/// The process's resident set size, from `/proc/self/statm` (Linux, 4 KiB pages).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = memory, replay, lookup
}
criterion_main!(benches);
