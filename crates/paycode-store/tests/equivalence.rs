//! The SQLite and PostgreSQL stores give the same verdicts and end in the
//! same state as the in-memory store, over the same random sequences of
//! verifications (both profiles, good and bad codes, replays, throttling,
//! limits, challenges paid once or twice, open or closed), clock moves both ways, evictions, revocation lists and
//! quarantines. The decision is the core's; this checks that each store
//! keeps exactly the records the core decided on.
//!
//! `PAYCODE_STORE_FULL=1` runs more and longer sequences.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::*;
use paycode::store::StateStore;
use paycode::{Challenge, Error, MemoryStore, TextPayment, Verifier};
use paycode_store::{Contents, PostgresOptions, PostgresStore, SqliteStore};
use paycode_test_support::TempDir;
use paycode_test_support::postgres::Cluster;

/// A small deterministic generator, so that a failing sequence is named by its seed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[derive(Debug)]
enum Op {
    Verify { text: String, amount: u64, challenge: Option<String> },
    Clock(i64),
    Evict,
    Install { number: u64, serials: Vec<u64> },
    Quarantine,
}

fn sequence(seed: u64, len: usize) -> Vec<Op> {
    let mut r = Lcg(seed);
    let mut clock = NOW;
    let mut ops: Vec<Op> = Vec::with_capacity(len);
    let mut shown: Vec<(String, u64, Option<String>)> = Vec::new();
    let mut challenges: Vec<Challenge> = Vec::new();
    while ops.len() < len {
        let op = match r.below(125) {
            100..=107 if !shown.is_empty() => {
                // A code presented again: a replay, or a second try after a rejection.
                let (text, amount, challenge) =
                    shown[usize::try_from(r.below(shown.len() as u64)).unwrap()].clone();
                Op::Verify { text, amount, challenge }
            }
            110..=124 => {
                // A challenge: a new one, made around now by this terminal or
                // (rarely) another, or one shown before, paid by a payer.
                let ch = match r.below(3) {
                    0 if !challenges.is_empty() => {
                        challenges[usize::try_from(r.below(challenges.len() as u64)).unwrap()]
                    }
                    _ => {
                        let terminal = if r.below(12) == 0 { 2 } else { 1 };
                        let issued = clock.saturating_add_signed(i64::try_from(r.below(240)).unwrap() - 170);
                        let nonce = [u8::try_from(r.below(256)).unwrap(); 16];
                        let ch = Challenge::new(terminal, 1 + r.below(1_100), issued, nonce);
                        challenges.push(ch);
                        ch
                    }
                };
                let s = clock.saturating_add_signed(60 * (i64::try_from(r.below(3)).unwrap() - 1));
                let counter = u32::try_from(r.below(90)).unwrap();
                let shown_ch = Some(ch.to_qr_text());
                match r.below(12) {
                    0 => Op::Verify {
                        text: hmac_text(1 + r.below(3), s, counter),
                        amount: ch.amount(),
                        challenge: shown_ch,
                    },
                    1 => Op::Verify {
                        text: hmac_challenge_text(1 + r.below(3), s, counter, &ch),
                        amount: ch.amount(),
                        challenge: None,
                    },
                    2 => Op::Verify {
                        text: hmac_challenge_text(1 + r.below(3), s, counter, &ch),
                        amount: ch.amount(),
                        challenge: Some("PT3:garbage".to_owned()),
                    },
                    3..=6 => Op::Verify {
                        text: ed25519_challenge_text(r.below(SERIALS), s, counter, &ch),
                        amount: ch.amount(),
                        challenge: shown_ch,
                    },
                    _ => Op::Verify {
                        text: hmac_challenge_text(1 + r.below(3), s, counter, &ch),
                        amount: ch.amount(),
                        challenge: shown_ch,
                    },
                }
            }
            100..=109 => {
                // A burst of bad numeric tags for one account: its budget,
                // then a valid numeric code (throttled) and a QR code (not).
                let account = 1 + r.below(3);
                for c in 0..5 {
                    ops.push(Op::Verify {
                        text: numeric_bad_text(account, clock, c),
                        amount: 0,
                        challenge: None,
                    });
                }
                ops.push(Op::Verify { text: numeric_text(account, clock, 94), amount: 0, challenge: None });
                Op::Verify { text: hmac_text(account, clock, 95), amount: 0, challenge: None }
            }
            0..=39 => {
                let account = 1 + r.below(3);
                let s = clock.saturating_add_signed(60 * (i64::try_from(r.below(7)).unwrap() - 4));
                let counter = u32::try_from(r.below(90)).unwrap();
                let text = match r.below(7) {
                    0 => hmac_bad_text(account, s, counter),
                    6 => numeric_bad_text(account, s, counter),
                    1 => {
                        hmac(account).numeric(&hmac(account).code_for(step(s), counter)).unwrap().to_digits()
                    }
                    _ => hmac_text(account, s, counter),
                };
                Op::Verify { text, amount: 0, challenge: None }
            }
            40..=69 => {
                let i = r.below(SERIALS);
                let s = clock.saturating_add_signed(60 * (i64::try_from(r.below(7)).unwrap() - 4));
                let counter = u32::try_from(r.below(90)).unwrap();
                Op::Verify { text: ed25519_text(i, s, counter), amount: r.below(1_200), challenge: None }
            }
            70..=72 => Op::Verify { text: "PC3:not a code".to_owned(), amount: 0, challenge: None },
            73..=86 => Op::Clock(i64::try_from(r.below(200)).unwrap() - 60),
            87..=91 => Op::Evict,
            92..=96 => Op::Install { number: 1 + r.below(5), serials: vec![100 + r.below(SERIALS)] },
            _ => Op::Quarantine,
        };
        match &op {
            Op::Clock(d) => clock = clock.saturating_add_signed(*d),
            Op::Verify { text, amount, challenge } => shown.push((text.clone(), *amount, challenge.clone())),
            _ => {}
        }
        ops.push(op);
    }
    ops
}

fn verdict(outcome: Result<paycode::Acceptance, paycode::Rejection>) -> String {
    match outcome {
        Ok(a) => format!("accepted {:?}", a.record),
        Err(r) => {
            assert!(r.store_error().is_none(), "the store failed: {r}");
            r.error().code().to_owned()
        }
    }
}

/// Runs `ops` on `v`; returns every verdict (as the error code, or the log record).
fn run<S: StateStore>(v: &Verifier<S>, ops: &[Op]) -> (Vec<String>, u64) {
    run_in_batches(v, ops, 1)
}

/// [`run`], with up to `batch` verifications in a row made as one
/// [`Verifier::verify_texts_with_cause`] call.
fn run_in_batches<S: StateStore>(v: &Verifier<S>, ops: &[Op], batch: usize) -> (Vec<String>, u64) {
    let mut clock = NOW;
    let mut out = Vec::new();
    let mut pending: Vec<TextPayment<'_>> = Vec::new();
    let flush = |pending: &mut Vec<TextPayment<'_>>, out: &mut Vec<String>, clock: u64| {
        match pending.len() {
            0 => {}
            1 => out.extend(pending.iter().map(|&p| verdict(v.verify_text_payment(p, clock)))),
            _ => out.extend(v.verify_payments_with_cause(pending, clock).into_iter().map(verdict)),
        }
        pending.clear();
    };
    for op in ops {
        if let Op::Verify { text, amount, challenge } = op {
            pending.push(TextPayment { text, amount: *amount, challenge: challenge.as_deref() });
            if pending.len() >= batch {
                flush(&mut pending, &mut out, clock);
            }
            continue;
        }
        flush(&mut pending, &mut out, clock);
        let verdict = match op {
            Op::Verify { .. } => unreachable!(),
            Op::Clock(d) => {
                clock = clock.saturating_add_signed(*d);
                continue;
            }
            Op::Evict => format!("{:?}", v.evict(clock)),
            Op::Install { number, serials } => {
                format!("{:?}", v.install_revocation_list(revocation_list(*number, serials.clone()), NOW))
            }
            Op::Quarantine => format!("{:?}", v.quarantine(clock).map_err(|r| r.error())),
        };
        out.push(verdict);
    }
    flush(&mut pending, &mut out, clock);
    (out, clock)
}

fn memory_contents(v: &Verifier<MemoryStore>) -> Contents {
    Contents { state: v.state() }
}

fn cases() -> (u64, usize) {
    if std::env::var_os("PAYCODE_STORE_FULL").is_some() { (64, 300) } else { (6, 120) }
}

#[test]
fn sqlite_and_postgres_agree_with_memory() {
    let (cases, len) = cases();
    let cluster = Cluster::start();
    let dir = TempDir::new("equivalence");
    for seed in 0..cases {
        let ops = sequence(seed, len);
        let memory = verifier(MemoryStore::new(params()).with_log(), 1);
        let (want, end) = run(&memory, &ops);
        assert!(want.iter().any(|v| v.starts_with("accepted")), "seed {seed}: nothing accepted");
        // Every eviction rule applied at the end, so that the states compare
        // whatever each store removed on its way.
        memory.evict(end).unwrap();
        let want_state = memory_contents(&memory);
        let want_log = memory.store().log().unwrap();

        let sqlite = verifier(SqliteStore::create(&dir.join(format!("{seed}.db"))).unwrap(), 1);
        let (got, _) = run(&sqlite, &ops);
        assert_eq!(got, want, "seed {seed}: SQLite verdicts differ");
        sqlite.evict(end).unwrap();
        assert_eq!(sqlite.store().contents().unwrap(), want_state, "seed {seed}: SQLite state differs");
        assert_eq!(sqlite.store().export_log(None).unwrap(), want_log, "seed {seed}: SQLite log differs");

        let schema = format!("eq{seed}");
        cluster.psql(&format!("CREATE SCHEMA {schema}"));
        let pg =
            PostgresStore::create(&cluster.url_with_schema(&schema), PostgresOptions::default()).unwrap();
        let postgres = verifier(pg, 1);
        let (got, _) = run(&postgres, &ops);
        assert_eq!(got, want, "seed {seed}: PostgreSQL verdicts differ");
        postgres.evict(end).unwrap();
        assert_eq!(postgres.store().contents().unwrap(), want_state, "seed {seed}: PostgreSQL state differs");
        assert_eq!(
            postgres.store().export_log(None).unwrap(),
            want_log,
            "seed {seed}: PostgreSQL log differs"
        );
    }
}

#[test]
fn verifications_in_batches_agree_with_one_at_a_time() {
    // The same sequences, with runs of verifications made as one call: on
    // the in-memory store (one step per code), on SQLite and on PostgreSQL
    // (one transaction per run), the verdicts, the state and the log are
    // those of one call per code.
    let (cases, len) = cases();
    let cluster = Cluster::start();
    let dir = TempDir::new("batches");
    for seed in 0..cases {
        let ops = sequence(seed, len);
        let memory = verifier(MemoryStore::new(params()).with_log(), 1);
        let (want, end) = run(&memory, &ops);
        memory.evict(end).unwrap();
        let (want_state, want_log) = (memory_contents(&memory), memory.store().log().unwrap());
        for batch in [3, 16] {
            let batched = verifier(MemoryStore::new(params()).with_log(), 1);
            let (got, _) = run_in_batches(&batched, &ops, batch);
            assert_eq!(got, want, "seed {seed}, batches of {batch}: in-memory verdicts differ");
            batched.evict(end).unwrap();
            assert_eq!(
                memory_contents(&batched),
                want_state,
                "seed {seed}, batches of {batch}: state differs"
            );
            assert_eq!(
                batched.store().log().unwrap(),
                want_log,
                "seed {seed}, batches of {batch}: log differs"
            );

            let sqlite =
                verifier(SqliteStore::create(&dir.join(format!("batch{seed}x{batch}.db"))).unwrap(), 1);
            let (got, _) = run_in_batches(&sqlite, &ops, batch);
            assert_eq!(got, want, "seed {seed}, batches of {batch}: SQLite verdicts differ");
            sqlite.evict(end).unwrap();
            assert_eq!(sqlite.store().contents().unwrap(), want_state, "seed {seed}: SQLite state differs");
            assert_eq!(sqlite.store().export_log(None).unwrap(), want_log, "seed {seed}: SQLite log differs");

            let schema = format!("batch{seed}x{batch}");
            cluster.psql(&format!("CREATE SCHEMA {schema}"));
            let pg =
                PostgresStore::create(&cluster.url_with_schema(&schema), PostgresOptions::default()).unwrap();
            let postgres = verifier(pg, 1);
            let (got, _) = run_in_batches(&postgres, &ops, batch);
            assert_eq!(got, want, "seed {seed}, batches of {batch}: PostgreSQL verdicts differ");
            postgres.evict(end).unwrap();
            assert_eq!(
                postgres.store().contents().unwrap(),
                want_state,
                "seed {seed}: PostgreSQL state differs"
            );
            assert_eq!(
                postgres.store().export_log(None).unwrap(),
                want_log,
                "seed {seed}: PostgreSQL log differs"
            );
        }
    }
}

#[test]
fn the_sequences_reach_every_verdict() {
    // A check on the generator: the comparison above means little unless the
    // sequences reach the interesting verdicts.
    let (cases, len) = cases();
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..cases {
        let v = verifier(MemoryStore::new(params()), 1);
        let (verdicts, _) = run(&v, &sequence(seed, len));
        seen.extend(verdicts.into_iter().map(|v| v.split(' ').next().unwrap().to_owned()));
    }
    for e in [
        Error::Replayed,
        Error::StaleCounter,
        Error::CounterBehind,
        Error::TooOld,
        Error::TooNew,
        Error::InvalidCode,
        Error::Throttled,
        Error::Revoked,
        Error::OverLimit,
        Error::Malformed,
        Error::StateUnavailable,
        Error::ChallengeUsed,
        Error::ChallengeMismatch,
        Error::ChallengeExpired,
        Error::ChallengeRequired,
        Error::NoChallenge,
    ] {
        assert!(seen.contains(e.code()), "no {e:?} in {seen:?}");
    }
    assert!(seen.contains("accepted"));
}
