//! Nodes in this process on one PostgreSQL database, which the test starts
//! itself: each node with its own clock, so that the shared high-water step
//! (spec: R-STATE-7) and the per-terminal ed25519 state can be seen across
//! nodes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use paycode::{
    Challenge, CredentialFields, Ed25519Wallet, Error, HmacWallet, Issuer, KeyPeriod, Params, Purpose, Seed,
};
use paycode_service::backend::Backend;
use paycode_service::client::{Answer, Client};
use paycode_service::stores::PostgresBackend;
use paycode_service::token::NewToken;
use paycode_service::{Clock, Config, Keys, Listener, Service};
use paycode_test_support::postgres::Cluster;
use tokio::sync::oneshot;

const NOW: u64 = 1_800_000_000;

fn issuer() -> Issuer {
    Issuer::from_seed(&Seed::from_bytes(&[3; 32]))
}

fn keys() -> Keys {
    let period = KeyPeriod { key_id: 1, not_before: NOW - 86_400, not_after: NOW + 86_400 };
    Keys {
        params: Params::default(),
        accounts: vec![(42, Seed::from_bytes(&[4; 32])), (43, Seed::from_bytes(&[5; 32]))],
        root: issuer().root_public_key().unwrap(),
        trust: issuer()
            .trust_list(paycode::TrustHeader { sequence: 1, issued_at: NOW - 86_400 }, &[period])
            .unwrap(),
        // An ed25519 terminal needs a fresh list (spec: R-REVOKE-4).
        revocation: Some(
            issuer()
                .revocation_list(
                    paycode::ListHeader {
                        key_id: 1,
                        number: 1,
                        issued_at: NOW - 60,
                        next_update: NOW + 86_400,
                        grace: 86_400,
                    },
                    vec![],
                )
                .unwrap(),
        ),
    }
}

fn hmac(step: u64, counter: u32) -> String {
    HmacWallet::new(Params::default(), 42, &Seed::from_bytes(&[4; 32]), 0)
        .code_for(step, counter)
        .to_qr_text()
}

/// A node on `url` whose clock reads `clock`; stopped when `stop` is sent or dropped.
async fn node(url: &str, clock: Arc<AtomicU64>) -> (SocketAddr, oneshot::Sender<()>) {
    let url = url.to_owned();
    // The store blocks, and refuses a runtime's thread (spawn_blocking's too).
    let service = off_runtime(move || {
        let backend = PostgresBackend::connect(&url, 4).unwrap();
        let clock = Clock::from_fn(move || clock.load(Ordering::SeqCst));
        Service::start(keys(), backend, Config::default(), clock).unwrap()
    })
    .await;
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap(), None).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(service.run(listener, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

/// Runs `f` on a thread of its own and waits for it.
async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.await.unwrap()
}

fn verdict(answer: Answer) -> Result<u32, Error> {
    match answer {
        Answer::Verdict { response, .. } => response.verdict().map(|r| r.terminal_id),
        Answer::Refused { status, .. } => panic!("refused: {status}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_the_high_water_step_and_each_terminal_s_records() {
    let cluster = off_runtime(Cluster::start).await;
    let url = cluster.url();
    // Tokens for terminals 7 and 9, made before the nodes start.
    let (t7, t9) = (NewToken::generate().unwrap(), NewToken::generate().unwrap());
    {
        let (url, r7, r9) = (url.clone(), t7.record(7, "gate 7", NOW), t9.record(9, "gate 9", NOW));
        off_runtime(move || {
            let backend = PostgresBackend::connect(&url, 1).unwrap();
            backend.tokens().insert(&r7).unwrap();
            backend.tokens().insert(&r9).unwrap();
        })
        .await;
    }
    let (t7, t9) = (t7.expose().to_string(), t9.expose().to_string());
    let (fast_clock, slow_clock) = (Arc::new(AtomicU64::new(NOW)), Arc::new(AtomicU64::new(NOW)));
    let (a, stop_a) = node(&url, Arc::clone(&fast_clock)).await;
    let (b, stop_b) = node(&url, Arc::clone(&slow_clock)).await;
    let step = NOW / 60;

    // An ed25519 code at terminal 7 through node A is replayed at terminal 7
    // through node B; terminal 9 has records of its own. The terminal is the token's.
    let seed = Seed::from_bytes(&[9; 32]);
    let credential = issuer().issue(CredentialFields {
        key_id: 1,
        serial: 500,
        device_key: Ed25519Wallet::device_public_key(&seed, 0),
        not_before: NOW - 60,
        lifetime: 86_400,
        per_payment_limit: 100,
        cumulative_limit: 150,
    });
    let wallet = Ed25519Wallet::new(Params::default(), &seed, 0, credential, 0).unwrap();
    let ed = wallet.code_for(step, 1).to_qr_text();
    let (mut a7, mut b7, mut b9) =
        (Client::new(a, Some(&t7)), Client::new(b, Some(&t7)), Client::new(b, Some(&t9)));
    assert_eq!(verdict(a7.verify(&ed, 100).await.unwrap()), Ok(7));
    assert_eq!(verdict(b7.verify(&ed, 100).await.unwrap()), Err(Error::Replayed));
    assert_eq!(verdict(b9.verify(&ed, 100).await.unwrap()), Ok(9));
    // Terminal 7's ledger holds 100 of 150 whichever node it reaches.
    let ed2 = wallet.code_for(step, 2).to_qr_text();
    assert_eq!(verdict(b7.verify(&ed2, 60).await.unwrap()), Err(Error::OverLimit));
    assert_eq!(verdict(b9.verify(&ed2, 50).await.unwrap()), Ok(9));

    // The hmac profile is the issuer's one verifier: terminal 0 in its records.
    let mut a9 = Client::new(a, Some(&t9));
    assert_eq!(verdict(a9.verify(&hmac(step, 1), 0).await.unwrap()), Ok(0));
    assert_eq!(verdict(b7.verify(&hmac(step, 1), 0).await.unwrap()), Err(Error::Replayed));

    // spec: R-STATE-7: node A's clock runs 4 steps ahead. Its next call raises
    // the shared T_hw, and node B, on time, then finds a code of the current
    // step too old (an outage bounded by the skew, never a second acceptance).
    fast_clock.store(NOW + 4 * 60, Ordering::SeqCst);
    assert_eq!(verdict(a7.verify("not a code", 0).await.unwrap()), Err(Error::Malformed));
    assert_eq!(verdict(b7.verify(&hmac(step, 2), 0).await.unwrap()), Err(Error::TooOld));
    // A code of step T_hw - B is still inside the window at B.
    assert_eq!(verdict(b7.verify(&hmac(step + 2, 3), 0).await.unwrap()), Err(Error::TooNew));
    slow_clock.store(NOW + 2 * 60, Ordering::SeqCst);
    assert_eq!(verdict(b7.verify(&hmac(step + 2, 3), 0).await.unwrap()), Ok(0));
    // The store's T_hw is A's step; B's health shows its own step below it.
    let reply = b7.send(hyper::Method::GET, "/v1/health", None).await.unwrap();
    let health: paycode_service::api::Health = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!((health.high_water, health.step), (Some(step + 4), step + 2));
    // Only the acceptances are in the log: 2 + 2 ed25519, 2 hmac.
    let log = cluster.psql("SELECT kind % 16, terminal_id, count(*) FROM log GROUP BY 1, 2 ORDER BY 1, 2");
    assert_eq!(log.trim(), "1|0|2\n2|7|1\n2|9|2");
    let _ = (stop_a.send(()), stop_b.send(()));
    off_runtime(move || drop(cluster)).await;
}

/// A terminal's challenges at two nodes on one database, paid by payers of
/// both profiles: each challenge once, whichever node and profile comes
/// first, and its nonce in the terminal's own set (spec: R-CHAL-4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_pay_each_challenge_once_whatever_the_profile() {
    let cluster = off_runtime(Cluster::start).await;
    let url = cluster.url();
    let t7 = NewToken::generate().unwrap();
    {
        let (url, r7) = (url.clone(), t7.record(7, "gate 7", NOW));
        off_runtime(move || PostgresBackend::connect(&url, 1).unwrap().tokens().insert(&r7).unwrap()).await;
    }
    let t7 = t7.expose().to_string();
    let clock = Arc::new(AtomicU64::new(NOW));
    let (a, stop_a) = node(&url, Arc::clone(&clock)).await;
    let (b, stop_b) = node(&url, Arc::clone(&clock)).await;
    let step = NOW / 60;
    let hmac_wallet = |account: u64, seed: u8| {
        HmacWallet::new(Params::default(), account, &Seed::from_bytes(&[seed; 32]), 0)
    };
    let ed_wallet = |serial: u64| {
        let seed = Seed::from_bytes(&[u8::try_from(serial % 200).unwrap(); 32]);
        let credential = issuer().issue(CredentialFields {
            key_id: 1,
            serial,
            device_key: Ed25519Wallet::device_public_key(&seed, 0),
            not_before: NOW - 60,
            lifetime: 86_400,
            per_payment_limit: 100,
            cumulative_limit: 10_000,
        });
        Ed25519Wallet::new(Params::default(), &seed, 0, credential, 0).unwrap()
    };
    // An hmac payer at node A, then an ed25519 payer at node B: challenge-used.
    let ch = Challenge::new(7, 20, NOW, [1; 16]);
    let shown = ch.to_qr_text();
    let hmac_code = hmac_wallet(42, 4).code_as(step, 0, Purpose::Challenge(&ch)).to_qr_text();
    let ed_code = ed_wallet(700).code_as(step, 0, Purpose::Challenge(&ch)).to_qr_text();
    let (mut a7, mut b7) = (Client::new(a, Some(&t7)), Client::new(b, Some(&t7)));
    assert_eq!(verdict(a7.verify_payment(&hmac_code, 20, Some(&shown)).await.unwrap()), Ok(7));
    assert_eq!(
        verdict(b7.verify_payment(&ed_code, 20, Some(&shown)).await.unwrap()),
        Err(Error::ChallengeUsed)
    );
    // And the other way round, for another challenge.
    let ch = Challenge::new(7, 20, NOW, [2; 16]);
    let shown = ch.to_qr_text();
    let ed_code = ed_wallet(700).code_as(step, 1, Purpose::Challenge(&ch)).to_qr_text();
    let hmac_code = hmac_wallet(43, 5).code_as(step, 0, Purpose::Challenge(&ch)).to_qr_text();
    assert_eq!(verdict(b7.verify_payment(&ed_code, 20, Some(&shown)).await.unwrap()), Ok(7));
    assert_eq!(
        verdict(a7.verify_payment(&hmac_code, 20, Some(&shown)).await.unwrap()),
        Err(Error::ChallengeUsed)
    );
    // Four payers, two at each node, race on each of 20 challenges.
    let challenges: Vec<Challenge> = (10..30).map(|k| Challenge::new(7, 10, NOW, [k; 16])).collect();
    let mut tasks = Vec::new();
    for payer in 0..4u32 {
        let addr = if payer % 2 == 0 { a } else { b };
        let texts: Vec<(String, String)> = challenges
            .iter()
            .zip(1..)
            .map(|(ch, k)| {
                let code = match payer {
                    0 => hmac_wallet(42, 4).code_as(step, k, Purpose::Challenge(ch)).to_qr_text(),
                    1 => hmac_wallet(43, 5).code_as(step, k, Purpose::Challenge(ch)).to_qr_text(),
                    p => ed_wallet(700 + u64::from(p)).code_as(step, k, Purpose::Challenge(ch)).to_qr_text(),
                };
                (code, ch.to_qr_text())
            })
            .collect();
        let token = t7.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::new(addr, Some(&token));
            let mut out = Vec::new();
            for (code, shown) in texts {
                out.push(verdict(client.verify_payment(&code, 10, Some(&shown)).await.unwrap()));
            }
            out
        }));
    }
    let mut verdicts = Vec::new();
    for t in tasks {
        verdicts.push(t.await.unwrap());
    }
    for k in 0..challenges.len() {
        let of_k: Vec<Result<u32, Error>> = verdicts.iter().map(|v| v[k]).collect();
        assert_eq!(of_k.iter().filter(|r| r.is_ok()).count(), 1, "challenge {k}: {of_k:?}");
        assert!(
            of_k.iter().all(|r| matches!(r, Ok(7) | Err(Error::ChallengeUsed))),
            "challenge {k}: {of_k:?}"
        );
    }
    // Every nonce in terminal 7's set, whichever profile paid it.
    assert_eq!(cluster.psql("SELECT terminal, count(*) FROM nonces GROUP BY 1").trim(), "7|22");
    assert_eq!(cluster.psql("SELECT count(*) FROM log").trim(), "22");
    let _ = (stop_a.send(()), stop_b.send(()));
    off_runtime(move || drop(cluster)).await;
}
