//! What a verifier's handle index costs (spec §4.3): for each account count
//! given, one step's index built from that many handle keys, timed, into
//! fresh memory and (as a running verifier builds it) into the memory of the
//! index of the step before, beside the raw HMAC-SHA256 of every account's
//! 31-byte handle input under the same keys, precomputed as the hmac crate
//! keeps them (the floor, as in the benchmarks), and the library's own MAC
//! of it, which the build runs; the index's memory; and the memory the keys
//! take per account.
//!
//! ```sh
//! cargo run --release --example handle_index -- 1000000 10000000
//! ```
//!
//! Deriving the keys (one HKDF per account) is setup, not timed. Each build
//! runs `PAYCODE_REPEAT` times (default 3); the fastest is reported beside
//! the median.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use paycode::Params;
use paycode::Seed;
use paycode::hazmat::handle::{StepIndex, mac_input};
use paycode::hazmat::keys::{HandleKey, HmacKeys, LABEL_HMAC_HANDLE_KEY, derive};
use sha2::Sha256;

/// The accounts measured when none are given.
const DEFAULT_COUNTS: [usize; 2] = [1_000_000, 10_000_000];
/// The step every index is built for (that of 2027-01-15 with 60 s steps).
const STEP: u64 = 30_000_000;

fn main() -> ExitCode {
    let mut counts = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.replace('_', "").parse::<usize>() {
            Ok(n) if n > 0 => counts.push(n),
            _ => {
                eprintln!(
                    "usage: handle_index [ACCOUNTS...]   (positive integers; default 1000000 10000000)"
                );
                return ExitCode::from(2);
            }
        }
    }
    if counts.is_empty() {
        counts.extend(DEFAULT_COUNTS);
    }
    let repeat =
        std::env::var("PAYCODE_REPEAT").ok().and_then(|r| r.parse::<usize>().ok()).unwrap_or(3).max(1);
    let params = Params::default();
    // The verifier keeps the window's steps and the next one.
    let kept = params.back() + params.forward() + 2;
    println!(
        "keys per account: {} bytes for an account's three keyed states (HmacKeys), {} of them the handle key",
        size_of::<HmacKeys>(),
        size_of::<HandleKey>()
    );
    println!("handle input: {} bytes; index entry: 16 bytes", mac_input(STEP).len());
    for n in counts {
        measure(n, repeat, kept);
    }
    ExitCode::SUCCESS
}

fn measure(n: usize, repeat: usize, kept: u64) {
    let start = Instant::now();
    let keys: Vec<HandleKey> = (0..n as u64).map(|id| HandleKey::derive(id, &seed(id))).collect();
    let raw: Vec<Hmac<Sha256>> = (0..n as u64)
        .filter_map(|id| {
            let key = derive(&seed(id), LABEL_HMAC_HANDLE_KEY, &id.to_be_bytes());
            <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose()).ok()
        })
        .collect();
    println!();
    println!("{n} accounts: keys derived in {:.1} s (setup, not timed)", start.elapsed().as_secs_f64());
    let input: [u8; 31] = mac_input(STEP).try_into().unwrap_or([0; 31]);
    let mut floor = Vec::with_capacity(repeat);
    let mut own = Vec::with_capacity(repeat);
    let mut build = Vec::with_capacity(repeat);
    let mut rebuild = Vec::with_capacity(repeat);
    let mut memory = 0;
    for _ in 0..repeat {
        // The floor: every account's MAC and nothing else, over the same keys
        // in the same order, by the hmac crate from its precomputed state.
        let t = Instant::now();
        let mut acc = 0u8;
        for key in &raw {
            let mut mac = key.clone();
            mac.update(&input);
            acc ^= black_box(mac.finalize().into_bytes()).first().copied().unwrap_or(0);
        }
        black_box(acc);
        floor.push(t.elapsed());
        // The same MACs as the library computes them, in the build.
        let t = Instant::now();
        let mut acc = 0u8;
        for key in &keys {
            acc ^= black_box(key.mac(&input))[0];
        }
        black_box(acc);
        own.push(t.elapsed());
        let t = Instant::now();
        let index = black_box(StepIndex::build(STEP, &keys));
        build.push(t.elapsed());
        assert_len(&index, n);
        memory = index.memory();
        // A running verifier builds the next step's index in the memory
        // of the step that leaves its window.
        let t = Instant::now();
        let next = black_box(index.rebuild(STEP + 1, &keys));
        rebuild.push(t.elapsed());
        assert_len(&next, n);
    }
    let (floor_best, floor_median) = stats(&mut floor);
    let (own_best, own_median) = stats(&mut own);
    let (build_best, build_median) = stats(&mut build);
    let (rebuild_best, rebuild_median) = stats(&mut rebuild);
    let per = |d: Duration| d.as_secs_f64() * 1e9 / n as f64;
    println!(
        "  build one step's index: {:.3} s (median {:.3} s of {repeat}), {:.0} ns per handle",
        build_best.as_secs_f64(),
        build_median.as_secs_f64(),
        per(build_best)
    );
    println!(
        "  raw HMAC-SHA256 of the 31-byte input, same keys: {:.3} s (median {:.3} s), {:.0} ns per handle",
        floor_best.as_secs_f64(),
        floor_median.as_secs_f64(),
        per(floor_best)
    );
    println!(
        "  the library's own MAC of it, same keys: {:.3} s (median {:.3} s), {:.0} ns per handle ({:.2}× raw HMAC)",
        own_best.as_secs_f64(),
        own_median.as_secs_f64(),
        per(own_best),
        ratio(own_best, floor_best)
    );
    println!(
        "  build / raw HMAC: {:.2}× (fastest runs), {:.2}× (medians)",
        ratio(build_best, floor_best),
        ratio(build_median, floor_median)
    );
    println!(
        "  the next step's index in the memory of the last (a running verifier's build): {:.3} s (median {:.3} s), {:.0} ns per handle",
        rebuild_best.as_secs_f64(),
        rebuild_median.as_secs_f64(),
        per(rebuild_best)
    );
    println!(
        "  rebuild / raw HMAC: {:.2}× (fastest runs), {:.2}× (medians)",
        ratio(rebuild_best, floor_best),
        ratio(rebuild_median, floor_median)
    );
    println!(
        "  index memory: {memory} bytes ({:.1} bytes per account); {kept} steps kept: {} bytes",
        memory as f64 / n as f64,
        memory as u64 * kept
    );
    println!(
        "  keys: {} bytes ({} per account, all three keys)",
        size_of::<HmacKeys>() as u64 * n as u64,
        size_of::<HmacKeys>()
    );
}

/// Fails loudly (but without a panic) if the index lost entries.
fn assert_len(index: &StepIndex, n: usize) {
    if index.len() != n {
        eprintln!("the index holds {} entries, not {n}", index.len());
        std::process::exit(1);
    }
}

/// The fastest and the median of `times`.
fn stats(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort_unstable();
    let best = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    (best, median)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(f64::MIN_POSITIVE)
}

/// Account `id`'s seed (any distinct seeds do: the cost does not depend on them).
fn seed(id: u64) -> Seed {
    let mut bytes = [0x5a; 32];
    for (b, i) in bytes.iter_mut().zip(id.to_be_bytes()) {
        *b = i;
    }
    Seed::from_bytes(&bytes)
}
