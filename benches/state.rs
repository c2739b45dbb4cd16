//! The verifier's state: the replay window check alone, account lookup
//! among 10^3, 10^5 and 10^6 enrolled wallets, the hmac handle index (one
//! step's index built, against the raw HMAC of every account's handle input,
//! and lookups in an index of 10^6), and the memory the replay state takes
//! per active credential at 10^6 credentials.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::hint::black_box;

use common::over_pool;
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use paycode::Params;
use paycode::hazmat::handle::{StepHandle, StepIndex, mac_input};
use paycode::hazmat::keys::{HandleKey, LABEL_HMAC_HANDLE_KEY, derive};
use paycode::replay::{ReplayState, Window};
use sha2::Sha256;

/// Identities in the replay-state benches.
const IDS: u64 = 1_000;
/// Credentials for the memory measurement.
const CREDENTIALS: u64 = 1_000_000;
/// Accounts whose handle index one step's build makes in the index bench.
const BUILD_ACCOUNTS: u64 = 100_000;
/// Accounts of the larger build, as a running verifier makes it.
const LARGE_ACCOUNTS: u64 = 1_000_000;
/// Entries of the index the lookups search.
const LOOKUP_ACCOUNTS: u64 = 10_000_000;

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

/// The hmac handle index (spec §4.3): one step's index of 10^5 accounts
/// built, per account, beside its floor, the HMAC-SHA256 of the 31-byte
/// handle input under each account's precomputed keyed state in the same
/// order (the `hmac` crate directly); the same at 10^6 accounts, each
/// step's index built in the memory of the one before, as a running
/// verifier builds it; then the lookups a verification makes in an index
/// of 10^7: a QR code's 64-bit handle, a numeric code's 30 bits.
fn handles(c: &mut Criterion) {
    let run = common::Run::start("handles");
    let mut g = c.benchmark_group("handles");
    let step = common::step();
    let input: [u8; 31] = mac_input(step).try_into().unwrap();
    let (keys, raw) = handle_keys(0..BUILD_ACCOUNTS, step, &input);
    g.throughput(Throughput::Elements(BUILD_ACCOUNTS));
    g.sample_size(20);
    g.bench_function("raw_hmac_31", |b| b.iter(|| raw_macs(&raw, &input)));
    g.bench_function("build_1e5", |b| b.iter(|| StepIndex::build(black_box(step), &keys)));
    drop((keys, raw));

    let (keys, raw) = handle_keys(0..LARGE_ACCOUNTS, step, &input);
    g.throughput(Throughput::Elements(LARGE_ACCOUNTS));
    // A build takes a tenth of a second or more: the same few iterations in every sample.
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("raw_hmac_31_1e6", |b| b.iter(|| raw_macs(&raw, &input)));
    // Each iteration builds the next step's index in the memory of the last.
    let mut index = Some(StepIndex::build(step, &keys));
    let mut next = step;
    g.bench_function("rebuild_1e6", |b| {
        b.iter(|| {
            next += 1;
            let built = index.take().unwrap_or_default().rebuild(black_box(next), &keys);
            assert_eq!(built.len(), LARGE_ACCOUNTS as usize);
            index = Some(built);
        })
    });
    drop((keys, raw, index));
    g.sampling_mode(SamplingMode::Auto);

    // The index of 10^7 accounts, built from their handles one account at
    // a time (10^7 keyed states would take gigabytes); probes are handles of
    // enrolled accounts drawn all over it (xorshift).
    let handle = |id: u64| StepHandle::derive(&HandleKey::derive(id, &common::account_seed(id)), step);
    let index = StepIndex::from_handles(step, (0..LOOKUP_ACCOUNTS).map(handle));
    let memory = index.memory();
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let probes: Vec<StepHandle> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            handle(x % LOOKUP_ACCOUNTS)
        })
        .collect();
    g.throughput(Throughput::Elements(1));
    g.sample_size(60);
    let mut i = 0usize;
    g.bench_function("lookup_exact_1e7", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            let found = black_box(&index).exact(black_box(probes[i].value())).len();
            assert_eq!(found, 1);
            found
        })
    });
    g.bench_function("lookup_numeric_1e7", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            let found = black_box(&index).numeric(black_box(probes[i].handle30())).len();
            assert!(found >= 1);
            found
        })
    });
    g.finish();
    run.finish(&format!(
        "\"index_accounts\": {LOOKUP_ACCOUNTS},\n  \"index_bytes\": {memory},\n  \"handle_key_bytes\": {}",
        size_of::<HandleKey>()
    ));
}

/// The handle keys of accounts `ids`, and the same keys as `hmac` crate
/// states (the floor's); the floor computes what the index holds: account
/// 7's entry is its MAC.
fn handle_keys(
    ids: std::ops::Range<u64>,
    step: u64,
    input: &[u8; 31],
) -> (Vec<HandleKey>, Vec<Hmac<Sha256>>) {
    let keys: Vec<HandleKey> =
        ids.clone().map(|id| HandleKey::derive(id, &common::account_seed(id))).collect();
    let raw: Vec<Hmac<Sha256>> = ids
        .map(|id| {
            let key = derive(&common::account_seed(id), LABEL_HMAC_HANDLE_KEY, &id.to_be_bytes());
            <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose()).unwrap()
        })
        .collect();
    let mut mac = raw[7].clone();
    mac.update(input);
    let h = StepHandle::derive(&keys[7], step);
    assert_eq!(mac.finalize().into_bytes()[..8], h.bytes());
    (keys, raw)
}

/// The floor: every account's MAC of the handle input, and nothing else.
fn raw_macs(raw: &[Hmac<Sha256>], input: &[u8; 31]) -> u8 {
    let mut acc = 0u8;
    for state in raw {
        let mut mac = state.clone();
        mac.update(black_box(input));
        acc ^= mac.finalize().into_bytes()[0];
    }
    acc
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
    targets = memory, replay, lookup, handles
}
criterion_main!(benches);
