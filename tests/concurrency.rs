//! Several threads share one verifier (spec §8.7): however the calls
//! interleave, every code is accepted exactly once and every other attempt is
//! `replayed` (R-REPLAY-1, R-REPLAY-3); the failure budget holds under concurrent
//! attempts (R-HMAC-6); and nothing deadlocks: a watchdog ends the test
//! process with a failure if a run does not finish in time.

// Test code: clippy.toml allows these inside #[test] functions; the helpers
// here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, mpsc};
use std::time::{Duration, Instant};

use paycode::issuer::KeyPeriod;
use paycode::{CredentialFields, Ed25519Wallet, Error, HmacWallet, Issuer, Params, Profile, Seed, Verifier};
use paycode_test_support::SplitMix64;
use paycode_test_support::trust;

const THREADS: usize = 4;
/// Counters per identity: one bitmap width, so no code is ever stale.
const COUNTERS: u32 = 64;
const HMAC_ACCOUNTS: u64 = 500;
const ED_CREDENTIALS: u64 = 8;
/// A run that takes longer than this has deadlocked (release runs take seconds).
const WATCHDOG: Duration = Duration::from_secs(600);
const T: u64 = 1_800_000_000;

/// One code, with the text each thread presents.
struct Case {
    profile: Profile,
    subject: u64,
    counter: u32,
    /// QR text, and for hmac also the numeric digits (same identity).
    texts: Vec<String>,
    accepted: AtomicUsize,
}

/// Runs `f`; if it has not returned after `limit`, prints what was running and
/// ends the process with a failure instead of hanging.
fn with_watchdog<R>(what: &str, limit: Duration, f: impl FnOnce() -> R) -> R {
    let (done, finished) = mpsc::channel::<()>();
    let name = what.to_string();
    let dog = std::thread::spawn(move || {
        if finished.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout) {
            eprintln!("{name}: no result after {limit:?}: deadlock");
            std::process::exit(101);
        }
    });
    let r = f();
    done.send(()).ok();
    dog.join().unwrap();
    r
}

/// A permutation of `0..n` from a seed (splitmix64 + Fisher-Yates).
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed);
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        p.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    p
}

struct Setup {
    verifier: Verifier,
    hmac: Vec<(u64, Seed)>,
    ed: Vec<Ed25519Wallet>,
}

fn setup(p: Params) -> Setup {
    let mut verifier = Verifier::new(p, 1);
    let hmac: Vec<(u64, Seed)> = (0..HMAC_ACCOUNTS)
        .map(|a| {
            let mut bytes = [0u8; 32];
            bytes[..8].copy_from_slice(&a.to_be_bytes());
            (1000 + a, Seed::from_bytes(&bytes))
        })
        .collect();
    for (id, seed) in &hmac {
        verifier.add_account(*id, seed);
    }
    let issuer = Issuer::from_seed(&Seed::from_bytes(&[0xee; 32]));
    let period = KeyPeriod { key_id: 1, not_before: 0, not_after: u64::MAX };
    trust(&mut verifier, &issuer, &[period]);
    // A list fresh at every time, revoking nothing (spec: R-REVOKE-4).
    let always = paycode::ListHeader { key_id: 1, number: 1, issued_at: 0, next_update: u64::MAX, grace: 0 };
    verifier.install_revocation_list(issuer.revocation_list(always, vec![]).unwrap(), 0).unwrap();
    let ed = (0..ED_CREDENTIALS)
        .map(|i| {
            let seed = Seed::from_bytes(&[0x40 + i as u8; 32]);
            let fields = CredentialFields {
                key_id: 1,
                serial: 500 + i,
                device_key: Ed25519Wallet::device_public_key(&seed, 0),
                not_before: T - 3600,
                lifetime: 7 * 24 * 3600,
                per_payment_limit: 10,
                cumulative_limit: 1_000_000,
            };
            Ed25519Wallet::new(p, &seed, 0, issuer.issue(fields), 0).unwrap()
        })
        .collect();
    Setup { verifier, hmac, ed }
}

/// The codes of every wallet at `step` with counters `first..first + 64`.
fn cases(s: &Setup, p: Params, step: u64, first: u32) -> Vec<Case> {
    let mut out = Vec::new();
    for (id, seed) in &s.hmac {
        let w = HmacWallet::new(p, *id, seed, 0);
        for c in first..first + COUNTERS {
            let code = w.code_for(step, c);
            let texts = vec![code.to_qr_text(), w.numeric(&code).unwrap().to_digits()];
            out.push(Case {
                profile: Profile::Hmac,
                subject: *id,
                counter: c,
                texts,
                accepted: AtomicUsize::new(0),
            });
        }
    }
    for w in &s.ed {
        let serial = w.credential().fields().serial;
        for c in first..first + COUNTERS {
            let texts = vec![w.code_for(step, c).to_qr_text()];
            out.push(Case {
                profile: Profile::Ed25519,
                subject: serial,
                counter: c,
                texts,
                accepted: AtomicUsize::new(0),
            });
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    attempts: usize,
    accepted: usize,
    replayed: usize,
    records: Vec<(Profile, u64, u32)>,
}

/// Thread `i` presents the cases `order` names, at time `t`, alternating the
/// hmac forms by thread, after all threads reached the barrier.
fn present(v: &Verifier, cases: &[Case], order: &[usize], i: usize, t: u64, start: &Barrier) -> Tally {
    let mut tally = Tally::default();
    start.wait();
    for &k in order {
        let case = &cases[k];
        let text = &case.texts[i % case.texts.len()];
        tally.attempts += 1;
        match v.verify_text(text, t, 1) {
            Ok(a) => {
                case.accepted.fetch_add(1, Ordering::Relaxed);
                tally.accepted += 1;
                tally.records.push((a.record.profile(), a.subject, a.counter));
            }
            Err(Error::Replayed) => tally.replayed += 1,
            Err(e) => panic!("thread {i}: {:?} {} counter {}: {e}", case.profile, case.subject, case.counter),
        }
    }
    tally
}

/// Runs one round: thread `i` presents `orders[i]` at `times[i]`. Checks that
/// every case was accepted exactly once and every other attempt was replayed.
/// Returns the number of races (attempts beyond the first per code).
fn round(v: &Verifier, cases: &[Case], orders: &[Vec<usize>], times: &[u64]) -> usize {
    let start = Barrier::new(orders.len());
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = orders
            .iter()
            .enumerate()
            .map(|(i, order)| {
                let start = &start;
                scope.spawn(move || present(v, cases, order, i, times[i], start))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let attempts: usize = tallies.iter().map(|t| t.attempts).sum();
    let accepted: usize = tallies.iter().map(|t| t.accepted).sum();
    let replayed: usize = tallies.iter().map(|t| t.replayed).sum();
    for case in cases {
        assert_eq!(
            case.accepted.load(Ordering::Relaxed),
            1,
            "R-REPLAY-1: {:?} {} counter {}",
            case.profile,
            case.subject,
            case.counter
        );
    }
    assert_eq!(accepted, cases.len());
    assert_eq!(replayed, attempts - accepted, "every other attempt is replayed");
    let records: BTreeSet<_> = tallies.iter().flat_map(|t| t.records.iter().copied()).collect();
    assert_eq!(records.len(), cases.len(), "R-LOG-1: one log record per code");
    attempts - cases.len()
}

/// The windows after round `rounds`: every identity accepted the 64 counters
/// below `rounds * 64` at `step`, and each ed25519 code paid 1.
fn check_windows(v: &Verifier, s: &Setup, step: u64, rounds: u32) {
    let high = rounds * COUNTERS - 1;
    for (id, _) in &s.hmac {
        let w = v.replay_state(Profile::Hmac).window(*id).unwrap();
        assert_eq!((w.high, w.bitmap, w.top), (high, u64::MAX, step), "hmac {id}");
    }
    for e in &s.ed {
        let serial = e.credential().fields().serial;
        let w = v.replay_state(Profile::Ed25519).window(serial).unwrap();
        assert_eq!((w.high, w.bitmap, w.top), (high, u64::MAX, step), "ed25519 {serial}");
        let spent = v.replay_state(Profile::Ed25519).spent(serial).unwrap();
        assert_eq!(spent.total, u64::from(high + 1), "R-LIMIT-2 ledger of {serial}");
    }
}

/// Round 1: every thread presents every code, each in its own order (the
/// hmac ones alternately as QR text and as digits), so each code is raced by
/// all threads. Round 2, one step later with the next 64 counters:
/// overlapping halves, so each code is raced by two threads, with the
/// threads' clocks one step apart.
#[test]
fn r_replay_3_one_acceptance_per_code_under_concurrency() {
    let p = Params::default();
    let s = setup(p);
    let started = Instant::now();
    let races = with_watchdog("replay races", WATCHDOG, || {
        let step = p.step_at(T).unwrap();
        let first = cases(&s, p, step, 0);
        let n = first.len();
        let orders: Vec<Vec<usize>> = (0..THREADS).map(|i| permutation(n, i as u64 + 1)).collect();
        let times: Vec<u64> = (0..THREADS as u64).map(|i| T + i).collect();
        let mut races = round(&s.verifier, &first, &orders, &times);
        check_windows(&s.verifier, &s, step, 1);

        let second = cases(&s, p, step + 1, COUNTERS);
        let shuffled = permutation(n, 99);
        let orders: Vec<Vec<usize>> = (0..THREADS)
            .map(|i| {
                let from = i * n / THREADS;
                let mut mine: Vec<usize> = (0..n / 2).map(|k| shuffled[(from + k) % n]).collect();
                if i % 2 == 1 {
                    mine.reverse();
                }
                mine
            })
            .collect();
        let covered: BTreeSet<usize> = orders.iter().flatten().copied().collect();
        assert_eq!(covered.len(), n, "the halves cover every code");
        // Two threads one step later than the codes, two on time: T_hw races too.
        let times: Vec<u64> = (0..THREADS as u64).map(|i| T + 60 + (i % 2) * 60 + i).collect();
        races += round(&s.verifier, &second, &orders, &times);
        check_windows(&s.verifier, &s, step + 1, 2);
        assert_eq!(s.verifier.replay_state(Profile::Hmac).high_water(), step + 2);
        races
    });
    eprintln!("{races} races in {:?}", started.elapsed());
    assert!(races >= 100_000, "only {races} races");
}

/// R-HMAC-6, R-HMAC-7 with concurrent calls: however many threads send
/// wrong numeric codes for one account at once, exactly 4 get `invalid-code`
/// (every MAC check in flight holds a reservation) and the rest `throttled`;
/// the valid numeric code is then throttled too, in the next step as well,
/// while the account's QR code is not.
#[test]
fn r_hmac_7_at_most_four_numeric_failures_under_concurrency() {
    let p = Params::default();
    let s = setup(p);
    let (id, seed) = &s.hmac[0];
    let w = HmacWallet::new(p, *id, seed, 0);
    let step = p.step_at(T).unwrap();
    let digits = |counter: u32| w.numeric(&w.code_for(step, counter)).unwrap().to_digits();
    let genuine = digits(0);
    // Invalid: the digits of counter 1 + k with the lowest tag bit flipped.
    let bad: Vec<String> =
        (0..200u32).map(|k| format!("{:024}", digits(1 + k).parse::<u128>().unwrap() ^ 1)).collect();
    let invalid = AtomicUsize::new(0);
    let throttled = AtomicUsize::new(0);
    with_watchdog("budget races", WATCHDOG, || {
        let start = Barrier::new(THREADS);
        std::thread::scope(|scope| {
            for i in 0..THREADS {
                let (bad, start, invalid, throttled, v) = (&bad, &start, &invalid, &throttled, &s.verifier);
                scope.spawn(move || {
                    start.wait();
                    for k in permutation(bad.len(), i as u64 + 7) {
                        match v.verify_text(&bad[k], T, 0) {
                            Err(Error::InvalidCode) => invalid.fetch_add(1, Ordering::Relaxed),
                            Err(Error::Throttled) => throttled.fetch_add(1, Ordering::Relaxed),
                            other => panic!("thread {i}: {other:?}"),
                        };
                    }
                });
            }
        });
    });
    assert_eq!(invalid.load(Ordering::Relaxed), 4);
    assert_eq!(throttled.load(Ordering::Relaxed), THREADS * bad.len() - 4);
    assert_eq!(s.verifier.verify_text(&genuine, T, 0).unwrap_err(), Error::Throttled);
    let next = w.numeric(&w.code_for(step + 1, 300)).unwrap().to_digits();
    assert_eq!(
        s.verifier.verify_text(&next, T + 60, 0).unwrap_err(),
        Error::Throttled,
        "no new count a step later"
    );
    let qr = w.code_for(step + 1, 301).to_qr_text();
    assert!(s.verifier.verify_text(&qr, T + 60, 0).is_ok(), "a QR code is never throttled");
}
