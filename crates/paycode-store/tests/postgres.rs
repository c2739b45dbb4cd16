//! The PostgreSQL store against a real server that the test starts itself
//! (`paycode_test_support::postgres::Cluster`): schema and versions, many
//! threads and nodes racing on the same and on different codes, a server
//! that stops and comes back, import, export, quarantine and eviction.
//!
//! `PAYCODE_STORE_FULL=1` runs the full-size races.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use paycode::store::{StateStore, StoreErrorKind};
use paycode::{Error, MemoryStore, TextPayment};
use paycode_store::{Contents, PostgresOptions, PostgresStore, SCHEMA_VERSION};
use paycode_test_support::postgres::Cluster;
use paycode_test_support::proxy::{Cut, Proxy};

/// The server the tests running now share; each test works in a schema of
/// its own, and holds the handle until it ends.
fn cluster() -> Arc<Cluster> {
    Cluster::shared()
}

/// A fresh schema named `name` in `c` and a store created in it.
fn store_in(c: &Cluster, name: &str) -> PostgresStore {
    c.psql(&format!("DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name};"));
    PostgresStore::create(&c.url_with_schema(name), PostgresOptions::default()).unwrap()
}

fn full_size() -> bool {
    std::env::var_os("PAYCODE_STORE_FULL").is_some()
}

#[test]
fn creating_is_explicit_and_a_newer_schema_is_refused() {
    let c = cluster();
    c.psql("DROP SCHEMA IF EXISTS versions CASCADE; CREATE SCHEMA versions;");
    let url = c.url_with_schema("versions");
    let e = PostgresStore::connect(&url, PostgresOptions::default()).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Incompatible, "{e}");
    assert!(e.to_string().contains("no paycode schema"), "{e}");
    drop(PostgresStore::create(&url, PostgresOptions::default()).unwrap());
    let e = PostgresStore::create(&url, PostgresOptions::default()).unwrap_err();
    assert!(e.to_string().contains("already"), "{e}");
    drop(PostgresStore::connect(&url, PostgresOptions::default()).unwrap());
    let newer = SCHEMA_VERSION + 1;
    c.psql(&format!("UPDATE versions.schema_version SET version = {newer}"));
    let e = PostgresStore::connect(&url, PostgresOptions::default()).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Incompatible);
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("version {newer}")) && msg.contains(&format!("({SCHEMA_VERSION})")),
        "{msg}"
    );
}

#[test]
fn verdicts_log_and_restart() {
    let c = cluster();
    let v = verifier(store_in(&c, "basics"), 3);
    let a = v.verify_text(&hmac_text(1, NOW, 5), NOW, 0).unwrap();
    let b = v.verify_text(&ed25519_text(0, NOW, 2), NOW, 700).unwrap();
    assert_eq!(v.verify_text(&hmac_text(1, NOW, 5), NOW, 0).unwrap_err(), Error::Replayed);
    assert_eq!(v.verify_text(&ed25519_text(0, NOW, 3), NOW, 2_000).unwrap_err(), Error::OverLimit);
    for c in 0..4 {
        assert_eq!(v.verify_text(&numeric_bad_text(2, NOW, c), NOW, 0).unwrap_err(), Error::InvalidCode);
    }
    assert_eq!(v.verify_text(&numeric_text(2, NOW, 0), NOW, 0).unwrap_err(), Error::Throttled);
    assert_eq!(v.store().export_log(None).unwrap(), vec![a.record, b.record]);
    drop(v);
    let url = c.url_with_schema("basics");
    let v = verifier(PostgresStore::connect(&url, PostgresOptions::default()).unwrap(), 3);
    assert_eq!(v.verify_text(&ed25519_text(0, NOW, 2), NOW, 700).unwrap_err(), Error::Replayed);
    // spec: R-STATE-6: another node (a restart) sees the same budget, in a later step too;
    // the account's QR code is not throttled (spec: R-HMAC-6).
    let later = NOW + 60;
    assert_eq!(v.verify_text(&numeric_text(2, later, 0), later, 0).unwrap_err(), Error::Throttled);
    assert_eq!(v.store().export_log(Some(3)).unwrap().len(), 2);
    v.verify_text(&hmac_text(2, later, 1), later, 0).unwrap();
}

/// Several nodes (stores with pools of their own) and threads verify the
/// same codes at once: each code is accepted once and logged once, and no
/// acceptance of another code is lost (spec: R-STATE-3).
#[test]
fn nodes_and_threads_racing_accept_each_code_once() {
    let c = cluster();
    let (nodes, threads, rounds) = if full_size() { (4, 8, 40) } else { (2, 4, 6) };
    let first = store_in(&c, "race");
    let url = c.url_with_schema("race");
    let mut verifiers = vec![verifier(first, 1)];
    for n in 1..nodes {
        let s = PostgresStore::connect(&url, PostgresOptions::default()).unwrap();
        verifiers.push(verifier(s, 1 + n));
    }
    // Every code is presented by every thread; codes of many identities.
    let texts: Vec<String> = (0..rounds)
        .flat_map(|c| {
            (1..=4u64)
                .map(move |a| hmac_text(a, NOW, c))
                .chain((0..SERIALS).map(move |i| ed25519_text(i, NOW, c)))
        })
        .collect();
    let barrier = Barrier::new(nodes as usize * threads);
    let accepted: Vec<String> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for v in &verifiers {
            for t in 0..threads {
                let (texts, barrier) = (&texts, &barrier);
                handles.push(s.spawn(move || {
                    barrier.wait();
                    // Each thread in its own order, so that they collide
                    // everywhere; every other thread in batches (one
                    // transaction per run of hmac codes) of its own size.
                    let order: Vec<&str> =
                        (0..texts.len()).map(|k| texts[(k * (2 * t + 1)) % texts.len()].as_str()).collect();
                    let size = if t % 2 == 0 { 1 } else { 2 + 3 * t };
                    let mut mine = Vec::new();
                    for chunk in order.chunks(size) {
                        let items: Vec<(&str, u64)> = chunk.iter().map(|&text| (text, 10)).collect();
                        for (text, outcome) in chunk.iter().zip(v.verify_texts_with_cause(&items, NOW)) {
                            match outcome {
                                Ok(_) => mine.push((*text).to_owned()),
                                Err(r) => assert_eq!(r.error(), Error::Replayed, "{r}"),
                            }
                        }
                    }
                    mine
                }));
            }
        }
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = accepted.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), accepted.len(), "a code was accepted twice");
    assert_eq!(accepted.len(), texts.len(), "a code was never accepted");
    let log = verifiers[0].store().export_log(None).unwrap();
    assert_eq!(log.len(), texts.len(), "log and acceptances disagree");
    // No lost update: every acceptance is in the windows and the ledger.
    let contents = verifiers[0].store().contents().unwrap();
    for (_, w) in &contents.state.hmac.windows {
        assert_eq!(w.bitmap.count_ones(), rounds, "{w:?}");
    }
    for (_, s) in &contents.state.ed25519.spent {
        assert_eq!(s.total, 10 * u64::from(rounds));
    }
}

#[test]
fn a_stopped_server_is_unavailable_and_the_next_call_works_once_it_is_back() {
    // A server of its own: stopping the shared one would disturb the other tests.
    let own = Cluster::start();
    let options =
        PostgresOptions { connect_timeout: std::time::Duration::from_secs(2), ..PostgresOptions::default() };
    let s = PostgresStore::create(&own.url(), options).unwrap();
    let v = verifier(s, 1);
    v.verify_text(&hmac_text(9, NOW, 0), NOW, 0).unwrap();
    own.stop();
    let r = v.verify_text_with_cause(&hmac_text(9, NOW, 1), NOW, 0).unwrap_err();
    assert_eq!(r.error(), Error::StateUnavailable);
    assert_eq!(r.store_error().unwrap().kind(), StoreErrorKind::Unavailable, "{r}");
    assert!(r.to_string().contains(&format!("127.0.0.1:{}", own.port())), "{r}");
    // Nor does a new node get in.
    let e = PostgresStore::connect(&own.url(), PostgresOptions::default()).unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Unavailable, "{e}");
    own.restart();
    // spec: R-STATE-4: no restart of the node; the pool reconnects.
    v.verify_text(&hmac_text(9, NOW, 1), NOW, 0).unwrap();
    assert_eq!(v.store().export_log(None).unwrap().len(), 2);
    // A restart while the pool's connections are idle: the closed ones are
    // noticed before a call is sent on them, so no call fails for it.
    own.stop();
    own.restart();
    v.verify_text(&hmac_text(9, NOW, 2), NOW, 0).unwrap();
    assert_eq!(v.store().export_log(None).unwrap().len(), 3);
}

#[test]
fn a_lock_held_past_the_lock_timeout_is_busy() {
    let c = cluster();
    let options =
        PostgresOptions { lock_timeout: std::time::Duration::from_millis(300), ..PostgresOptions::default() };
    let _ = store_in(&c, "locked");
    let v = verifier(PostgresStore::connect(&c.url_with_schema("locked"), options).unwrap(), 1);
    v.verify_text(&hmac_text(10, NOW, 0), NOW, 0).unwrap();
    // Another session holds the identity's row for two seconds.
    let holder_cluster = Arc::clone(&c);
    let holder = std::thread::spawn(move || {
        holder_cluster.psql(
            "BEGIN; SELECT 1 FROM locked.windows WHERE subject = 10 FOR UPDATE; SELECT pg_sleep(2); COMMIT;",
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(700));
    let r = v.verify_text_with_cause(&hmac_text(10, NOW, 1), NOW, 0).unwrap_err();
    assert_eq!(r.error(), Error::StateUnavailable);
    assert_eq!(r.store_error().unwrap().kind(), StoreErrorKind::Busy, "{r}");
    holder.join().unwrap();
    v.verify_text(&hmac_text(10, NOW, 1), NOW, 0).unwrap();
}

#[test]
fn marks_outlive_windows_and_go_with_the_ledger() {
    let c = cluster();
    let v = verifier(store_in(&c, "marks"), 1);
    common::marks_outlive_windows_and_go_with_the_ledger(&v, &|| v.store().contents().unwrap());
}

#[test]
fn import_quarantine_revocation_and_eviction() {
    let c = cluster();
    let mem = verifier(MemoryStore::new(params()), 1);
    mem.install_revocation_list(revocation_list(4, vec![103]), NOW).unwrap();
    for c in [1, 2, 50] {
        mem.verify_text(&hmac_text(11, NOW, c), NOW, 0).unwrap();
        mem.verify_text(&ed25519_text(1, NOW, c), NOW, 300).unwrap();
    }
    assert_eq!(mem.verify_text(&numeric_bad_text(12, NOW, 1), NOW, 0).unwrap_err(), Error::InvalidCode);
    let state = mem.state();
    assert!(!state.hmac.budgets.is_empty() && !state.sources.is_empty());
    let s = store_in(&c, "import");
    assert!(!s.revocation_withdrawn().unwrap(), "no list was ever installed");
    s.import(&state).unwrap();
    assert!(!s.revocation_withdrawn().unwrap());
    assert_eq!(s.contents().unwrap(), Contents { state: state.clone() });
    assert!(s.import(&state).unwrap_err().to_string().contains("holds state already"));
    let v = verifier(s, 1);
    assert_eq!(v.revocation_number(), Some(4));
    assert_eq!(v.verify_text(&ed25519_text(3, NOW, 0), NOW, 0).unwrap_err(), Error::Revoked);
    assert_eq!(
        v.install_revocation_list(revocation_list(4, vec![]), NOW),
        Err(paycode::InstallError::NotNewer)
    );
    v.install_revocation_list(revocation_list(6, vec![]), NOW).unwrap();
    v.verify_text(&ed25519_text(3, NOW, 0), NOW, 0).unwrap();
    // spec: R-STATE-5: quarantine keeps the records.
    v.quarantine(NOW).unwrap();
    assert_eq!(v.verify_text(&hmac_text(11, NOW, 3), NOW, 0).unwrap_err(), Error::StateUnavailable);
    let later = NOW + 120;
    assert_eq!(v.verify_text(&hmac_text(11, later, 2), later, 0).unwrap_err(), Error::Replayed);
    // Eviction three steps on: the windows of T(NOW) are dead.
    let t = NOW + 180;
    v.evict(t).unwrap();
    let after = v.store().contents().unwrap();
    assert!(
        after.state.hmac.windows.iter().all(|w| w.1.top >= step(t) - 2),
        "{:?}",
        after.state.hmac.windows
    );
    // The failure's budgets still charge: u = T(NOW) + P > T_hw (spec: R-HMAC-7).
    assert_eq!(after.state.hmac.budgets, [(12, step(NOW) + 1440)]);
    assert_eq!(after.state.sources, [(1, step(NOW) + 60)]);
    assert_eq!(after.state.hmac.high_water, step(t));
    assert_eq!(v.store().high_water().unwrap(), step(t));
    v.evict(NOW + 3600).unwrap();
    assert!(v.store().contents().unwrap().state.sources.is_empty(), "the source's hour is over");
}

#[test]
fn steps_above_two_to_the_63_keep_their_order() {
    let c = cluster();
    let s = store_in(&c, "bigsteps");
    s.observe(u64::MAX - 1).unwrap();
    s.observe(5).unwrap();
    assert_eq!(s.high_water().unwrap(), u64::MAX - 1);
    s.quarantine(u64::MAX, u64::MAX).unwrap();
    let state = s.contents().unwrap().state;
    assert_eq!((state.hmac.high_water, state.hmac.quarantine), (u64::MAX, u64::MAX));
}

#[test]
fn the_high_water_step_is_written_only_when_it_rises() {
    let c = cluster();
    // spec: R-STATE-7. Every UPDATE gives the row a new xmin, so an unchanged
    // xmin shows that no call wrote the row.
    let v = verifier(store_in(&c, "highwater"), 1);
    let xmin = || c.psql("SELECT xmin FROM highwater.meta").trim().to_owned();
    v.verify_text(&hmac_text(13, NOW, 0), NOW, 0).unwrap();
    let written = xmin();
    for c in 1..10 {
        v.verify_text(&hmac_text(13, NOW, c), NOW, 0).unwrap();
        assert_eq!(v.verify_text("PC3:garbage", NOW, 0).unwrap_err(), Error::Malformed);
    }
    assert_eq!(xmin(), written, "calls in the same step wrote T_hw");
    // A second node, whose clock is the same, writes nothing either.
    let other = verifier(
        PostgresStore::connect(&c.url_with_schema("highwater"), PostgresOptions::default()).unwrap(),
        2,
    );
    other.verify_text(&hmac_text(13, NOW, 10), NOW, 0).unwrap();
    assert_eq!(xmin(), written);
    // The next step raises it, once.
    let next = NOW + 60;
    other.verify_text(&hmac_text(13, next, 11), next, 0).unwrap();
    let raised = xmin();
    assert_ne!(raised, written);
    v.verify_text(&hmac_text(13, next, 12), next, 0).unwrap();
    assert_eq!(xmin(), raised);
    assert_eq!(v.store().high_water().unwrap(), step(next));
}

#[test]
fn terminals_have_their_own_windows_and_ledger() {
    let c = cluster();
    let store = store_in(&c, "terminals");
    terminals_keep_their_own_windows_and_ledger(&|scope, call| store.transact_at(scope, call));
    terminals_keep_their_own_nonce_sets(&|scope, call| store.transact_at(scope, call));
    let c = store.contents().unwrap();
    assert!(c.state.ed25519.windows.is_empty() && c.state.challenges.is_empty(), "{c:?}");
}

#[test]
fn tokens_are_kept_hashed_and_revoked_once() {
    let c = cluster();
    let store = store_in(&c, "tokens");
    tokens_round_trip(&|t| store.insert_token(t), &|| store.tokens(), &|id, at| store.revoke_token(id, at));
}

#[test]
fn a_challenge_is_paid_once_and_a_new_node_knows_it() {
    let c = cluster();
    let v = verifier(store_in(&c, "challenge"), TILL);
    common::a_challenge_is_paid_once(&v, &|| v.store().contents().unwrap());
    let before = v.store().contents().unwrap();
    drop(v);
    let url = c.url_with_schema("challenge");
    let v = verifier(PostgresStore::connect(&url, PostgresOptions::default()).unwrap(), TILL);
    let ch = paycode::Challenge::new(TILL, 250, NOW, [1; 16]);
    assert_eq!(pay(&v, &hmac_challenge_text(24, NOW, 0, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
    assert_eq!(pay(&v, &ed25519_challenge_text(2, NOW, 0, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
    assert_eq!(v.store().contents().unwrap(), before);
}

#[test]
fn a_group_commit_pays_a_challenge_once() {
    let c = cluster();
    let mem = verifier(MemoryStore::new(params()), TILL);
    common::a_group_commit_pays_a_challenge_once(&mem, &|| Contents { state: mem.state() });
    let v = verifier(store_in(&c, "challengebatch"), TILL);
    common::a_group_commit_pays_a_challenge_once(&v, &|| v.store().contents().unwrap());
    assert_eq!(v.store().contents().unwrap().state, mem.state());
}

#[test]
fn eviction_drops_closed_nonces_only() {
    let c = cluster();
    let v = verifier(store_in(&c, "challengeevict"), TILL);
    common::eviction_drops_closed_nonces_only(&v, &|| v.store().contents().unwrap());
}

/// Payers at several nodes and threads present codes for the same
/// challenges at once, alone and in group commits: each challenge is paid
/// once (spec: R-CHAL-4, R-STATE-3).
#[test]
fn nodes_racing_pay_each_challenge_once() {
    let c = cluster();
    let (nodes, challenges) = if full_size() { (4, 200) } else { (2, 30) };
    for (name, batch) in [("challengerace", 1), ("challengeraceb", 6)] {
        let first = store_in(&c, name);
        let url = c.url_with_schema(name);
        let mut verifiers = vec![verifier(first, TILL)];
        for _ in 1..nodes {
            verifiers.push(verifier(PostgresStore::connect(&url, PostgresOptions::default()).unwrap(), TILL));
        }
        let accepted = racing_payers_pay_each_challenge_once(&verifiers, 2, challenges, batch);
        assert_eq!(accepted, usize::from(challenges), "batch {batch}");
        let state = verifiers[0].store().contents().unwrap().state;
        assert_eq!(state.challenges, (0..challenges).map(|k| used(k, NOW)).collect::<Vec<_>>());
        assert_eq!(verifiers[1].store().export_log(None).unwrap().len(), usize::from(challenges));
    }
}

#[test]
fn a_version_4_schema_gains_an_empty_nonce_set() {
    let c = cluster();
    let v = verifier(store_in(&c, "version4"), TILL);
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    let before = v.store().contents().unwrap();
    drop(v);
    // The schema as version 4 left it: no nonce table.
    // (Its log is the one the migration to version 8 keeps as `log_v7`.)
    c.psql(
        "DROP TABLE version4.nonces; DROP TABLE version4.budgets; DROP TABLE version4.source_budgets;
         CREATE TABLE version4.throttle (account bigint PRIMARY KEY, step bigint NOT NULL, failures bigint NOT NULL);
         ALTER TABLE version4.revocation DROP COLUMN issued_at, DROP COLUMN fresh_until;
         DROP TABLE version4.log_v7;
         DROP TABLE version4.trust;
         UPDATE version4.schema_version SET version = 4;",
    );
    let url = c.url_with_schema("version4");
    let v = verifier(PostgresStore::connect(&url, PostgresOptions::default()).unwrap(), TILL);
    assert_eq!(c.psql("SELECT version FROM version4.schema_version").trim(), SCHEMA_VERSION.to_string());
    // Version 6 uninstalls the revocation list (its layout changed), keeping
    // its number, not its issue time, as the floor; the rest is kept.
    let number = before.state.revocation_list.as_ref().unwrap().number();
    let floor = paycode::revocation::ListMark { number, issued_at: 0 };
    let before = Contents {
        state: paycode::VerifierState {
            revocation_list: None,
            revocation_withdrawn: true,
            revocation_floor: Some(floor),
            ..before.state
        },
    };
    assert_eq!(v.store().contents().unwrap(), before);
    assert_eq!(v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
    let ch = paycode::Challenge::new(TILL, 9, NOW, [5; 16]);
    pay(&v, &hmac_challenge_text(12, NOW, 4, &ch), &ch, NOW).unwrap();
    assert_eq!(pay(&v, &hmac_challenge_text(13, NOW, 0, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
    assert_eq!(v.store().contents().unwrap().state.challenges, [used(5, NOW)]);
}

#[test]
fn a_version_6_schema_trades_its_throttle_for_budgets() {
    let c = cluster();
    let v = verifier(store_in(&c, "version6"), TILL);
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    let before = v.store().contents().unwrap();
    drop(v);
    // The schema as version 6 left it: a throttle table with a full record
    // of the current step, no budget tables.
    c.psql(&format!(
        "DROP TABLE version6.budgets; DROP TABLE version6.source_budgets;
         CREATE TABLE version6.throttle (account bigint PRIMARY KEY, step bigint NOT NULL, failures bigint NOT NULL);
         INSERT INTO version6.throttle VALUES (12, {}, 8);
         DROP TABLE version6.log_v7;
         DROP TABLE version6.trust;
         UPDATE version6.schema_version SET version = 6;",
        step(NOW)
    ));
    let url = c.url_with_schema("version6");
    let v = verifier(PostgresStore::connect(&url, PostgresOptions::default()).unwrap(), TILL);
    assert_eq!(c.psql("SELECT version FROM version6.schema_version").trim(), SCHEMA_VERSION.to_string());
    assert_eq!(
        c.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'version6' AND tablename = 'throttle'")
            .trim(),
        "0"
    );
    assert_eq!(v.store().contents().unwrap(), before);
    v.verify_text(&numeric_text(12, NOW, 4), NOW, 0).unwrap();
    for c in 5..9 {
        assert_eq!(v.verify_text(&numeric_bad_text(12, NOW, c), NOW, 0).unwrap_err(), Error::InvalidCode);
    }
    assert_eq!(v.verify_text(&numeric_text(12, NOW, 9), NOW, 0).unwrap_err(), Error::Throttled);
    v.verify_text(&hmac_text(12, NOW, 10), NOW, 0).unwrap();
}

#[test]
fn a_version_7_log_is_kept_apart_and_the_new_log_carries_evidence() {
    let c = cluster();
    let v = verifier(store_in(&c, "version7"), TILL);
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    let before = v.store().contents().unwrap();
    drop(v);
    // The schema as version 7 left it: a log of 44-byte records' fields.
    c.psql(
        "DROP TABLE version7.log_v7; DROP TABLE version7.log;
         CREATE TABLE version7.log (
             seq bigserial PRIMARY KEY, profile smallint NOT NULL, key_id bigint NOT NULL,
             subject bigint NOT NULL, counter bigint NOT NULL, step bigint NOT NULL,
             accepted_at bigint NOT NULL, amount bigint NOT NULL, terminal_id bigint NOT NULL);
         INSERT INTO version7.log (profile, key_id, subject, counter, step, accepted_at, amount, terminal_id)
             VALUES (1, 0, 12, 3, 30000000, 1800000000, 0, 7);
         DROP TABLE version7.trust;
         UPDATE version7.schema_version SET version = 7;",
    );
    let url = c.url_with_schema("version7");
    let v = verifier(PostgresStore::connect(&url, PostgresOptions::default()).unwrap(), TILL);
    assert_eq!(c.psql("SELECT version FROM version7.schema_version").trim(), SCHEMA_VERSION.to_string());
    // The old record stays as it was, apart; it is not exported, as it proves nothing.
    assert_eq!(c.psql("SELECT subject, counter, terminal_id FROM version7.log_v7").trim(), "12|3|7");
    assert!(v.store().export_log(None).unwrap().is_empty());
    assert_eq!(v.store().contents().unwrap(), before, "the replay state is untouched");
    assert_eq!(v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
    let text = hmac_text(12, NOW, 4);
    v.verify_text(&text, NOW, 250).unwrap();
    let log = v.store().export_log(None).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].code().unwrap().to_text(), text, "the record holds the code as verified");
    assert_eq!((log[0].amount, log[0].terminal_id), (250, TILL));
}

#[test]
fn import_keeps_the_nonce_set_and_refuses_a_nonce_twice() {
    let c = cluster();
    let mem = verifier(MemoryStore::new(params()), TILL);
    let ch = paycode::Challenge::new(TILL, 9, NOW, [6; 16]);
    pay(&mem, &hmac_challenge_text(12, NOW, 0, &ch), &ch, NOW).unwrap();
    let state = mem.state();
    assert_eq!(state.challenges, [used(6, NOW)]);
    let store = store_in(&c, "importnonces");
    let mut twice = state.clone();
    twice.challenges.push(paycode::UsedChallenge { nonce: [6; 16], closes: NOW });
    let e = store.import(&twice).unwrap_err();
    assert!(e.to_string().contains("06060606060606060606060606060606 twice"), "{e}");
    assert_eq!(store.contents().unwrap(), Contents::default(), "nothing is written");
    store.import(&state).unwrap();
    assert_eq!(store.contents().unwrap().state, state);
    let v = verifier(store, TILL);
    assert_eq!(pay(&v, &hmac_challenge_text(13, NOW, 0, &ch), &ch, NOW).unwrap_err(), Error::ChallengeUsed);
}

#[test]
fn a_withdrawn_revocation_list_is_exported_as_its_floor_and_imported_withdrawn() {
    // spec: R-REVOKE-2, R-REVOKE-6, across an export and an import.
    let c = cluster();
    let exported = common::a_withdrawn_list_is_exported_as_its_floor_and_imported_withdrawn(
        store_in(&c, "withdrawn_a"),
        &|s: &PostgresStore| s.contents().unwrap().state,
        &|name, state| {
            let store = store_in(&c, &format!("withdrawn_{name}"));
            store.import(state).unwrap();
            store
        },
    );
    let store = store_in(&c, "withdrawn_bad");
    let both = paycode::VerifierState { revocation_list: Some(revocation_list(7, vec![])), ..exported };
    let err = store.import(&both).unwrap_err();
    assert!(err.to_string().contains("both a revocation list and a revocation floor"), "{err}");
    assert_eq!(store.contents().unwrap(), Contents::default(), "nothing is written");
}

#[test]
fn a_version_5_schema_uninstalls_its_list_and_keeps_its_number() {
    let c = cluster();
    let v = verifier(store_in(&c, "version5"), TILL);
    v.install_revocation_list(revocation_list(3, vec![101]), NOW).unwrap();
    drop(v);
    // The schema as version 5 left it: a list in the old layout (here any
    // bytes: version 6 drops them), no issued_at or fresh_until columns.
    c.psql(
        "ALTER TABLE version5.revocation DROP COLUMN issued_at, DROP COLUMN fresh_until;
         UPDATE version5.revocation SET encoding = '\\x0100010000000000000003';
         DROP TABLE version5.log_v7;
         DROP TABLE version5.budgets; DROP TABLE version5.source_budgets;
         CREATE TABLE version5.throttle (account bigint PRIMARY KEY, step bigint NOT NULL, failures bigint NOT NULL);
         DROP TABLE version5.trust;
         UPDATE version5.schema_version SET version = 5;",
    );
    let url = c.url_with_schema("version5");
    let store = PostgresStore::connect(&url, PostgresOptions::default()).unwrap();
    assert_eq!(c.psql("SELECT version FROM version5.schema_version").trim(), SCHEMA_VERSION.to_string());
    assert_eq!(store.contents().unwrap().state.revocation_list, None);
    assert!(store.revocation_withdrawn().unwrap(), "uninstalled, its number kept");
    let mut v = paycode::Verifier::with_store(params(), TILL, store);
    assert!(v.revocation_list_withdrawn());
    let period =
        paycode::KeyPeriod { key_id: 1, not_before: NOW - 30 * 86_400, not_after: NOW + 30 * 86_400 };
    trust(&mut v, &issuer(), &[period]);
    // spec: R-REVOKE-4: no list, so every ed25519 code is revocation-stale.
    assert_eq!(v.verify_text(&ed25519_text(2, NOW, 0), NOW, 0).unwrap_err(), Error::RevocationStale);
    // The number stays the floor (spec: R-REVOKE-2).
    assert_eq!(
        v.install_revocation_list(revocation_list(3, vec![]), NOW),
        Err(paycode::InstallError::NotNewer)
    );
    v.install_revocation_list(revocation_list(4, vec![101]), NOW).unwrap();
    assert!(!v.revocation_list_withdrawn());
    assert!(!v.store().revocation_withdrawn().unwrap());
    assert_eq!(v.verify_text(&ed25519_text(1, NOW, 0), NOW, 0).unwrap_err(), Error::Revoked);
    v.verify_text(&ed25519_text(2, NOW, 0), NOW, 0).unwrap();
}

#[test]
fn a_version_8_schema_holds_no_trust_list_until_one_is_installed() {
    let c = cluster();
    let v = verifier(store_in(&c, "version8"), TILL);
    v.verify_text(&hmac_text(12, NOW, 3), NOW, 0).unwrap();
    let before = v.store().contents().unwrap();
    drop(v);
    // The schema as version 8 left it: no trust table.
    c.psql("DROP TABLE version8.trust; UPDATE version8.schema_version SET version = 8;");
    let url = c.url_with_schema("version8");
    let store = PostgresStore::connect(&url, PostgresOptions::default()).unwrap();
    assert_eq!(c.psql("SELECT version FROM version8.schema_version").trim(), SCHEMA_VERSION.to_string());
    assert_eq!(store.trust_list().unwrap(), None);
    assert_eq!(store.contents().unwrap(), before, "the replay state is untouched");
    let v = verifier(store, TILL);
    assert_eq!(v.store().trust_list().unwrap().map(|t| t.sequence()), Some(1));
    // A second node over the same schema loads it, and refuses it again: not newer.
    let other = PostgresStore::connect(&url, PostgresOptions::default()).unwrap();
    let mut w = paycode::Verifier::with_store(params(), TILL, other);
    assert_eq!(w.trust_list().map(|t| t.sequence()), Some(1));
    let period =
        paycode::KeyPeriod { key_id: 1, not_before: NOW - 30 * 86_400, not_after: NOW + 30 * 86_400 };
    let again = issuer().trust_list(paycode::TrustHeader { sequence: 1, issued_at: 0 }, &[period]).unwrap();
    w.set_root_key(issuer().root_public_key().unwrap());
    assert_eq!(w.install_trust_list(again, NOW), Err(paycode::InstallError::NotNewer));
}

#[test]
fn log_columns_name_the_account_and_the_real_counter() {
    let c = cluster();
    let v = verifier(store_in(&c, "columns"), 3);
    let columns = || {
        let rows = c.psql("SELECT subject, counter FROM columns.log ORDER BY seq");
        rows.lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (s, n) = l.split_once('|').unwrap();
                (s.parse().unwrap(), n.parse().unwrap())
            })
            .collect()
    };
    let export = || v.store().export_log(None).unwrap();
    common::log_columns_name_the_account_and_the_real_counter(&v, &columns, &export);
}

/// The schema dropped and made again, empty, while a node uses it (as a
/// restore from an older backup would leave it): the node has read a
/// higher `T_hw` than the store now holds, so it decides nothing on it,
/// alone or in a group commit, where it would accept again a code it
/// accepted before (spec: R-STATE-5, R-STATE-7).
#[test]
fn a_store_that_lost_committed_changes_under_a_running_node_rejects_every_call() {
    let c = cluster();
    let v = verifier(store_in(&c, "madeagain"), 1);
    let code = hmac_text(6, NOW, 0);
    v.verify_text(&code, NOW, 0).unwrap();
    drop(store_in(&c, "madeagain"));
    let export = || v.store().export_log(None).unwrap();
    common::a_store_that_went_back_rejects_every_call(&v, &code, &export);
    // A node that starts on it anew (in quarantine, as the operator must) reads it.
    let url = c.url_with_schema("madeagain");
    let fresh = PostgresStore::connect(&url, PostgresOptions::default()).unwrap();
    assert_eq!(fresh.high_water().unwrap(), 0);
}

/// The simple-query message `COMMIT` as a client sends it: `Q`, its length, the text.
const COMMIT: &[u8] = b"Q\0\0\0\x0bCOMMIT\0";

/// The server's answer to a `COMMIT` that committed: `C`, its length, the tag.
const COMMITTED: &[u8] = b"C\0\0\0\x0bCOMMIT\0";

/// A store in schema `name` of `c`, reached through `proxy`.
fn store_through(c: &Cluster, proxy: &Proxy, name: &str) -> PostgresStore {
    let _ = store_in(c, name);
    let url = c.url_with_schema(name).replace(&format!(":{}/", c.port()), &format!(":{}/", proxy.port()));
    PostgresStore::connect(&url, PostgresOptions::default()).unwrap()
}

#[test]
fn a_commit_whose_answer_is_lost_is_settled_before_the_call_returns() {
    let c = cluster();
    let proxy = Proxy::start(c.port());
    let v = verifier(store_through(&c, &proxy, "lost_answer"), 1);
    let log = || v.store().export_log(None).unwrap().len();
    v.verify_text(&hmac_text(60, NOW, 0), NOW, 0).unwrap();
    // The server commits and its answer never comes: the call is accepted,
    // as the log says it is, and the code is then replayed.
    proxy.cut_after(COMMIT, Cut::Deliver(COMMITTED));
    v.verify_text(&hmac_text(60, NOW, 1), NOW, 0).unwrap();
    assert!(proxy.fired());
    assert_eq!(log(), 2);
    assert_eq!(v.verify_text(&hmac_text(60, NOW, 1), NOW, 0).unwrap_err(), Error::Replayed);
    // The COMMIT never reaches the server, whose session keeps the
    // transaction open and the identity's rows locked: the session is
    // ended, which rolls it back; the call changed nothing (spec: R-STATE-4).
    proxy.cut_after(COMMIT, Cut::Withhold);
    let r = v.verify_text_with_cause(&hmac_text(60, NOW, 2), NOW, 0).unwrap_err();
    assert!(proxy.fired());
    assert_eq!(r.error(), Error::StateUnavailable, "{r}");
    assert_eq!(log(), 2);
    // Nothing holds the rows: the same code is accepted at once.
    v.verify_text(&hmac_text(60, NOW, 2), NOW, 0).unwrap();
    assert_eq!(log(), 3);
    // The server commits and cannot be asked afterwards: the call is
    // state-unavailable and says that whether it committed is unknown. It
    // did, so the code is then replayed: never accepted twice.
    proxy.cut_after(COMMIT, Cut::Deliver(COMMITTED));
    proxy.refuse_new(true);
    let r = v.verify_text_with_cause(&hmac_text(60, NOW, 3), NOW, 0).unwrap_err();
    assert!(proxy.fired());
    assert_eq!(r.error(), Error::StateUnavailable, "{r}");
    assert!(r.to_string().contains("committed is unknown"), "{r}");
    assert_eq!(r.store_error().unwrap().kind(), StoreErrorKind::InDoubt, "{r}");
    proxy.refuse_new(false);
    assert_eq!(log(), 4);
    assert_eq!(v.verify_text(&hmac_text(60, NOW, 3), NOW, 0).unwrap_err(), Error::Replayed);
}

#[test]
fn a_group_commit_whose_answer_is_lost_is_settled_before_the_calls_return() {
    let c = cluster();
    let proxy = Proxy::start(c.port());
    let v = verifier(store_through(&c, &proxy, "lost_group_answer"), 1);
    let texts = [hmac_text(61, NOW, 0), hmac_text(62, NOW, 0), hmac_text(61, NOW, 1)];
    let items: Vec<TextPayment<'_>> =
        texts.iter().map(|text| TextPayment { text, amount: 0, challenge: None }).collect();
    let verdicts =
        |v: &paycode::Verifier<PostgresStore>, items: &[TextPayment<'_>]| -> Vec<Result<u64, Error>> {
            v.verify_payments_with_cause(items, NOW)
                .into_iter()
                .map(|r| r.map(|a| a.subject).map_err(|r| r.error()))
                .collect()
        };
    proxy.cut_after(COMMIT, Cut::Withhold);
    let unavailable = Err(Error::StateUnavailable);
    assert_eq!(verdicts(&v, &items[..2]), [unavailable, unavailable]);
    assert!(proxy.fired());
    assert_eq!(v.store().export_log(None).unwrap().len(), 0);
    proxy.cut_after(COMMIT, Cut::Deliver(COMMITTED));
    assert_eq!(verdicts(&v, &items), [Ok(61), Ok(62), Ok(61)]);
    assert!(proxy.fired());
    assert_eq!(v.store().export_log(None).unwrap().len(), 3);
    assert_eq!(v.verify_text(&texts[1], NOW, 0).unwrap_err(), Error::Replayed);
}

#[test]
fn a_commit_waiting_for_a_synchronous_standby_is_never_reported_accepted() {
    // A server of its own: its replication settings change.
    let own = Cluster::start();
    drop(PostgresStore::create(&own.url(), PostgresOptions::default()).unwrap());
    let options = PostgresOptions {
        operation_timeout: std::time::Duration::from_secs(3),
        ..PostgresOptions::default()
    };
    let v = verifier(PostgresStore::connect(&own.url(), options).unwrap(), 1);
    let log = || v.store().export_log(None).unwrap().len();
    v.verify_text(&hmac_text(63, NOW, 0), NOW, 0).unwrap();
    // A standby that never confirms: every commit waits for it, committed on
    // the primary alone. Ending the session would leave the commit there, to
    // be lost at a failover to a standby: the call's outcome stays unknown.
    // The setting reaches the server's processes a moment after the reload:
    // until then a commit does not wait, and is accepted as before.
    own.psql("ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
    own.psql("SELECT pg_reload_conf()");
    let mut counter = 1;
    let r = loop {
        match v.verify_text_with_cause(&hmac_text(63, NOW, counter), NOW, 0) {
            Ok(_) if counter < 20 => counter += 1,
            Ok(a) => panic!("no commit waited for the standby: {a:?}"),
            Err(r) => break r,
        }
    };
    assert_eq!(r.error(), Error::StateUnavailable, "{r}");
    assert!(r.to_string().contains("committed is unknown"), "{r}");
    assert_eq!(r.store_error().unwrap().kind(), StoreErrorKind::InDoubt, "{r}");
    // A session ended while it waits answers its COMMIT with a FATAL error,
    // after its commit was written: not a rollback, so the call asks, and
    // stays in doubt, as the standby confirms nothing.
    let waiting = || own.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
    let ended = std::thread::scope(|scope| {
        // Another payer: the first session holds payer 63's rows.
        let call = scope.spawn(|| v.verify_text_with_cause(&hmac_text(62, NOW, 0), NOW, 0));
        let waited = std::time::Instant::now();
        while waiting().trim() != "2" && waited.elapsed() < std::time::Duration::from_secs(2) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        own.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
        call.join().unwrap().unwrap_err()
    });
    assert_eq!(ended.store_error().unwrap().kind(), StoreErrorKind::InDoubt, "{ended}");
    // The standby is no longer required: the commits complete (the ended
    // session's stands on the primary), and the codes are in the log, and
    // replayed, never accepted twice.
    own.psql("ALTER SYSTEM RESET synchronous_standby_names");
    own.psql("SELECT pg_reload_conf()");
    let accepted = usize::try_from(counter).unwrap() + 2;
    let waited = std::time::Instant::now();
    while log() < accepted && waited.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(log(), accepted);
    for code in [hmac_text(63, NOW, counter), hmac_text(62, NOW, 0)] {
        assert_eq!(v.verify_text(&code, NOW, 0).unwrap_err(), Error::Replayed);
    }
}
