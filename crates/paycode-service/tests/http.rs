//! The service as a terminal meets it: a real server on a loopback port,
//! started by each test, spoken to over HTTP (and HTTPS) by the crate's
//! client and by raw sockets; stopped at the end of each test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hyper::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use paycode::revocation::{ListHeader, ListMark, RevocationList};
use paycode::store::{Call, Eviction, StoreErrorKind};
use paycode::{
    Challenge, CredentialFields, Ed25519Wallet, Error, HmacWallet, Issuer, KeyPeriod, Params, Profile,
    Purpose, Seed, StateStore, StoreError,
};
use paycode_service::api::{Health, Refusal, VerifyResponse};
use paycode_service::backend::{Backend, MemoryScoped};
use paycode_service::client::{Answer, Client};
use paycode_service::stores::SqliteBackend;
use paycode_service::token::{MemoryTokens, NewToken, TokenStore};
use paycode_service::{Clock, Config, Keys, Listener, MemoryBackend, RateLimit, Service};

const NOW: u64 = 1_800_000_000;
const ACCOUNT: u64 = 42;
/// A second hmac payer.
const PAYER: u64 = 43;

fn params() -> Params {
    Params::default()
}

fn issuer() -> Issuer {
    Issuer::from_seed(&Seed::from_bytes(&[3; 32]))
}

fn keys() -> Keys {
    let period = KeyPeriod { key_id: 1, not_before: NOW - 86_400, not_after: NOW + 86_400 };
    Keys {
        params: params(),
        accounts: vec![(ACCOUNT, Seed::from_bytes(&[4; 32])), (PAYER, Seed::from_bytes(&[5; 32]))],
        root: issuer().root_public_key().unwrap(),
        trust: issuer()
            .trust_list(paycode::TrustHeader { sequence: 1, issued_at: NOW - 86_400 }, &[period])
            .unwrap(),
        revocation: Some(
            issuer()
                .revocation_list(
                    ListHeader {
                        key_id: 1,
                        number: 1,
                        issued_at: NOW - 10,
                        next_update: NOW + 86_400,
                        grace: 86_400,
                    },
                    vec![666],
                )
                .unwrap(),
        ),
    }
}

fn hmac_wallet() -> HmacWallet {
    HmacWallet::new(params(), ACCOUNT, &Seed::from_bytes(&[4; 32]), 0)
}

fn payer_wallet() -> HmacWallet {
    HmacWallet::new(params(), PAYER, &Seed::from_bytes(&[5; 32]), 0)
}

fn hmac_code(counter: u32) -> String {
    hmac_wallet().code_for(NOW / 60, counter).to_qr_text()
}

fn ed_wallet(serial: u64) -> Ed25519Wallet {
    let seed = Seed::from_bytes(&[serial as u8; 32]);
    let credential = issuer().issue(CredentialFields {
        key_id: 1,
        serial,
        device_key: Ed25519Wallet::device_public_key(&seed, 0),
        not_before: NOW - 3_600,
        lifetime: 86_400,
        per_payment_limit: 500,
        cumulative_limit: 1_000,
    });
    Ed25519Wallet::new(params(), &seed, 0, credential, 0).unwrap()
}

/// A running node; stopped (and waited for) on drop of [`Node::stop`].
struct Node<B: Backend> {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    service: Arc<Service<B>>,
}

impl<B: Backend> Node<B> {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(15), &mut self.done).await.unwrap().unwrap().unwrap();
    }
}

/// A token made in `tokens` for `terminal`, as its text.
fn add_token(tokens: &dyn TokenStore, terminal: u32) -> String {
    let token = NewToken::generate().unwrap();
    tokens.insert(&token.record(terminal, "test", NOW)).unwrap();
    token.expose().to_string()
}

async fn start<B: Backend>(
    backend: B,
    config: Config,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
) -> Node<B> {
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap(), tls).await.unwrap();
    start_on(backend, config, listener)
}

fn start_on<B: Backend>(backend: B, config: Config, listener: Listener) -> Node<B> {
    let clock = Clock::from_fn(|| NOW);
    let service = Service::start(keys(), backend, config, clock).unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    // The test keeps a handle for reloading tokens; the node serves its own router.
    let router = service.router();
    let service = Arc::new(service);
    let done = tokio::spawn(async move {
        paycode_service::serve(router, listener, async {
            let _ = rx.await;
        })
        .await
    });
    Node { addr, stop: Some(tx), done, service }
}

async fn memory_node(config: Config) -> (Node<MemoryBackend>, String) {
    let backend = MemoryBackend::new(params());
    let token = add_token(backend.tokens(), 7);
    (start(backend, config, None).await, token)
}

fn verdict(answer: &Answer) -> Result<(), Error> {
    match answer {
        Answer::Verdict { status, response } => {
            let v = response.verdict().map(|_| ());
            assert_eq!(*status, StatusCode::OK, "{answer:?}");
            v
        }
        Answer::Refused { .. } => panic!("refused: {answer:?}"),
    }
}

fn refused(answer: &Answer) -> (StatusCode, &Refusal) {
    match answer {
        Answer::Refused { status, refusal } => (*status, refusal),
        Answer::Verdict { .. } => panic!("not refused: {answer:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_accepted_once_and_its_record_is_committed() {
    let (node, token) = memory_node(Config::default()).await;
    let mut client = Client::new(node.addr, Some(&token));
    let answer = client.verify(&hmac_code(1), 250).await.unwrap();
    let Answer::Verdict { status: StatusCode::OK, response: VerifyResponse::Accepted { record } } = &answer
    else {
        panic!("{answer:?}")
    };
    // The hmac profile's record: the issuer's verifier (id 0), the amount accepted, the code (spec §4.8).
    assert_eq!((record.profile, record.subject, record.counter), (Profile::Hmac, ACCOUNT, 1));
    assert_eq!((record.step, record.accepted_at, record.amount, record.terminal_id), (NOW / 60, NOW, 250, 0));
    assert_eq!(record.encoded.len(), 2 * 68);
    assert_eq!(node.service.backend().log(), vec![record.log_record().unwrap()]);
    // The same code again, as QR text and as digits: replayed.
    assert_eq!(verdict(&client.verify(&hmac_code(1), 0).await.unwrap()), Err(Error::Replayed));
    let wallet = hmac_wallet();
    let digits = wallet.numeric(&wallet.code_for(NOW / 60, 1)).unwrap().to_digits();
    assert_eq!(verdict(&client.verify(&digits, 0).await.unwrap()), Err(Error::Replayed));
    let digits = wallet.numeric(&wallet.code_for(NOW / 60, 2)).unwrap().to_digits();
    assert_eq!(verdict(&client.verify(&digits, 0).await.unwrap()), Ok(()));
    // Rejections on the code's merits are verdicts, status 200.
    let mut bad = hmac_wallet().code_for(NOW / 60, 3).encode();
    bad[37] ^= 1;
    let bad = paycode::Code::decode_payload(&bad).unwrap().to_text();
    assert_eq!(verdict(&client.verify(&bad, 0).await.unwrap()), Err(Error::InvalidCode));
    assert_eq!(verdict(&client.verify("PC3:", 0).await.unwrap()), Err(Error::Malformed));
    let old = hmac_wallet().code_for(NOW / 60 - 3, 4).to_qr_text();
    assert_eq!(verdict(&client.verify(&old, 0).await.unwrap()), Err(Error::TooOld));
    assert_eq!(node.service.backend().log().len(), 2);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_a_good_token_are_refused_and_verify_nothing() {
    let backend = MemoryBackend::new(params());
    let good = add_token(backend.tokens(), 7);
    let revoked = NewToken::generate().unwrap();
    backend.tokens().insert(&revoked.record(8, "old till", NOW)).unwrap();
    let node = start(backend, Config::default(), None).await;
    let live =
        |text: &str| text.lines().find_map(|l| l.strip_prefix("paycode_tokens_live ")).map(str::to_owned);
    let metrics = Client::new(node.addr, Some(&good)).send(Method::GET, "/metrics", None).await.unwrap();
    assert_eq!(live(std::str::from_utf8(&metrics.body).unwrap()).as_deref(), Some("2"));
    let revoked_text = revoked.expose().to_string();
    assert!(node.service.backend().tokens().revoke(revoked.id(), NOW).unwrap());
    node.service.reload_tokens().unwrap();
    // The good token's secret under another known id, a flipped secret digit, and junk.
    let mut flipped = good.clone();
    let last = if flipped.ends_with('0') { "1" } else { "0" };
    flipped.replace_range(flipped.len() - 1.., last);
    let borrowed_secret = format!("{}{}", &revoked_text[..20], &good[20..]);
    let code = hmac_code(5);
    for token in
        [None, Some(revoked_text.as_str()), Some(&flipped), Some(&borrowed_secret), Some("pct_"), Some("x")]
    {
        let mut client = Client::new(node.addr, token);
        let answer = client.verify(&code, 0).await.unwrap();
        let (status, refusal) = refused(&answer);
        assert_eq!((status, refusal.error.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"), "{token:?}");
        for path in ["/v1/health", "/metrics", "/nowhere"] {
            let reply = client.send(Method::GET, path, None).await.unwrap();
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path} {token:?}");
            let challenge = reply.headers.get("www-authenticate").unwrap().to_str().unwrap();
            assert!(challenge.starts_with("Bearer "), "{challenge}");
        }
    }
    // Another scheme is no token either.
    let mut raw = TcpStream::connect(node.addr).await.unwrap();
    let reply = raw_request(&mut raw, "GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Zm9vOmJhcg==\r\nConnection: close\r\n\r\n").await;
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    // Two tokens, a good one among them, are none.
    for (first, second) in
        [(good.as_str(), "pct_x"), ("pct_x", good.as_str()), (good.as_str(), good.as_str())]
    {
        let mut raw = TcpStream::connect(node.addr).await.unwrap();
        let request = format!(
            "GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {first}\r\nAuthorization: Bearer {second}\r\nConnection: close\r\n\r\n"
        );
        let reply = raw_request(&mut raw, &request).await;
        assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    }
    // Nothing was verified: the code is still good.
    assert!(node.service.backend().log().is_empty());
    let mut client = Client::new(node.addr, Some(&good));
    assert_eq!(verdict(&client.verify(&code, 0).await.unwrap()), Ok(()));
    let text = metrics_text(&mut client).await;
    assert!(text.contains("paycode_refusals_total{status=\"401\"} 28\n"), "{text}");
    assert_eq!(live(&text).as_deref(), Some("1"), "the revoked token is not live");
    node.stop().await;
}

async fn raw_request(stream: &mut TcpStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await.unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_and_verify_nothing() {
    let (node, token) = memory_node(Config { max_body: 1024, ..Config::default() }).await;
    let mut client = Client::new(node.addr, Some(&token));
    // A declared length over the limit.
    let big = format!(r#"{{"code":"{}","amount":0}}"#, hmac_code(1)).into_bytes();
    let mut padded = big.clone();
    padded.splice(1..1, std::iter::repeat_n(b' ', 1100));
    let reply = client.send(Method::POST, "/v1/verify", Some(padded)).await.unwrap();
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    let refusal: Refusal = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(refusal.error, "too-large");
    assert!(refusal.message.contains("1024"), "{}", refusal.message);
    // A chunked body that grows past the limit without declaring its length.
    let mut raw = TcpStream::connect(node.addr).await.unwrap();
    let mut request = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    for _ in 0..3 {
        request.push_str(&format!("200\r\n{}\r\n", " ".repeat(512)));
    }
    request.push_str("0\r\n\r\n");
    let reply = raw_request(&mut raw, &request).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    // Nothing was verified; the same code in a small body is accepted.
    assert!(node.service.backend().log().is_empty());
    let reply = client.send(Method::POST, "/v1/verify", Some(big)).await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(node.service.backend().log().len(), 1);
    node.stop().await;
}

/// The body limit is bounded: a node does not start with a limit that would
/// let requests hold unbounded memory, nor with one under the largest request.
#[test]
fn a_body_limit_outside_its_range_does_not_start() {
    use paycode_service::{MAX_MAX_BODY, MIN_MAX_BODY, StartError};
    for max_body in [MAX_MAX_BODY + 1, usize::MAX, MIN_MAX_BODY - 1, 0] {
        let backend = MemoryBackend::new(params());
        let started =
            Service::start(keys(), backend, Config { max_body, ..Config::default() }, Clock::from_fn(|| NOW));
        match started {
            Err(e @ StartError::MaxBody(n)) => {
                assert_eq!(n, max_body);
                assert!(e.to_string().contains("512 to 65536"), "{e}");
            }
            other => panic!("{max_body}: {other:?}"),
        }
    }
    for max_body in [MIN_MAX_BODY, MAX_MAX_BODY] {
        let backend = MemoryBackend::new(params());
        Service::start(keys(), backend, Config { max_body, ..Config::default() }, Clock::from_fn(|| NOW))
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_400_naming_the_problem() {
    let (node, token) = memory_node(Config::default()).await;
    let mut client = Client::new(node.addr, Some(&token));
    let code = hmac_code(1);
    let cases: Vec<(String, &str)> = vec![
        (format!(r#"{{"code":"{code}"}}"#), "missing field `amount`"),
        (r#"{"amount":1}"#.into(), "missing field `code`"),
        (format!(r#"{{"code":"{code}","amount":-1}}"#), "invalid value: integer `-1`, expected u64"),
        (format!(r#"{{"code":"{code}","amount":"12"}}"#), "invalid type: string \"12\", expected u64"),
        (format!(r#"{{"code":"{code}","amount":18446744073709551616}}"#), "invalid"),
        (r#"{"code":12,"amount":1}"#.into(), "invalid type: integer `12`, expected a string"),
        (format!(r#"{{"code":"{code}","amount":1,"terminal_id":9}}"#), "unknown field `terminal_id`"),
        (format!(r#"{{"code":"{code}","amount":1}} trailing"#), "trailing characters"),
        ("not json".into(), "expected ident"),
        (String::new(), "EOF while parsing"),
        // serde would take a struct as an array of its fields; the API takes objects only.
        (format!(r#"["{code}",1]"#), "must be a JSON object"),
        ("\u{feff}{}".into(), "expected value"),
    ];
    for (body, expected) in &cases {
        let reply = client.send(Method::POST, "/v1/verify", Some(body.clone().into_bytes())).await.unwrap();
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        let refusal: Refusal = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(refusal.error, "bad-request");
        assert!(refusal.message.contains(expected), "{body}: {}", refusal.message);
    }
    // Bytes that are not UTF-8 inside the JSON string.
    let mut body = br#"{"code":"PC3:"#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe]);
    body.extend_from_slice(br#"","amount":1}"#);
    let reply = client.send(Method::POST, "/v1/verify", Some(body)).await.unwrap();
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // A wrong method on a route, and an unknown route, with a good token.
    assert_eq!(
        client.send(Method::GET, "/v1/verify", None).await.unwrap().status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(client.send(Method::GET, "/v2/verify", None).await.unwrap().status, StatusCode::NOT_FOUND);
    // None of it was verified.
    assert!(node.service.backend().log().is_empty());
    assert_eq!(verdict(&client.verify(&code, 0).await.unwrap()), Ok(()));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_rate_gets_429_with_retry_after() {
    let backend = MemoryBackend::new(params());
    let (a, b) = (add_token(backend.tokens(), 1), add_token(backend.tokens(), 2));
    let config = Config { rate: RateLimit { per_second: 1, burst: 3 }, ..Config::default() };
    let node = start(backend, config, None).await;
    let mut client = Client::new(node.addr, Some(&a));
    for counter in 0..3 {
        assert_eq!(verdict(&client.verify(&hmac_code(counter), 0).await.unwrap()), Ok(()));
    }
    let reply =
        client.send(Method::POST, "/v1/verify", Some(br#"{"code":"x","amount":0}"#.to_vec())).await.unwrap();
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = reply.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert_eq!(retry, 1);
    let refusal: Refusal = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(refusal.error, "rate-limited");
    // The refused request verified nothing; another token has its own bucket.
    assert_eq!(node.service.backend().log().len(), 3);
    let mut other = Client::new(node.addr, Some(&b));
    assert_eq!(verdict(&other.verify(&hmac_code(3), 0).await.unwrap()), Ok(()));
    // After the wait, the first token may go on.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(verdict(&client.verify(&hmac_code(4), 0).await.unwrap()), Ok(()));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ed25519_state_and_records_are_the_token_s_terminal() {
    let backend = MemoryBackend::new(params());
    let (t7, t9) = (add_token(backend.tokens(), 7), add_token(backend.tokens(), 9));
    let node = start(backend, Config::default(), None).await;
    let (mut gate7, mut gate9) = (Client::new(node.addr, Some(&t7)), Client::new(node.addr, Some(&t9)));
    let wallet = ed_wallet(101);
    let code = wallet.code_for(NOW / 60, 1).to_qr_text();
    let answer = gate7.verify(&code, 400).await.unwrap();
    let Answer::Verdict { response: VerifyResponse::Accepted { record }, .. } = &answer else {
        panic!("{answer:?}")
    };
    assert_eq!(
        (record.profile, record.subject, record.amount, record.terminal_id),
        (Profile::Ed25519, 101, 400, 7)
    );
    assert_eq!(verdict(&gate7.verify(&code, 400).await.unwrap()), Err(Error::Replayed));
    // Terminal 9 has its own replay window and ledger, as offline terminals do;
    // reconciliation finds the double acceptance in the two records (spec §10.4).
    let answer = gate9.verify(&code, 400).await.unwrap();
    let Answer::Verdict { response: VerifyResponse::Accepted { record }, .. } = &answer else {
        panic!("{answer:?}")
    };
    assert_eq!(record.terminal_id, 9);
    // The cumulative limit (1000) is per terminal: 400 + 500 fits at 7, then 200 more does not.
    let next = |c| wallet.code_for(NOW / 60, c).to_qr_text();
    assert_eq!(verdict(&gate7.verify(&next(2), 500).await.unwrap()), Ok(()));
    assert_eq!(verdict(&gate7.verify(&next(3), 200).await.unwrap()), Err(Error::OverLimit));
    assert_eq!(verdict(&gate9.verify(&next(3), 200).await.unwrap()), Ok(()));
    // The per-payment limit, and the revocation list installed at start.
    assert_eq!(verdict(&gate9.verify(&next(4), 501).await.unwrap()), Err(Error::OverLimit));
    let revoked = ed_wallet(666).code_for(NOW / 60, 1).to_qr_text();
    assert_eq!(verdict(&gate9.verify(&revoked, 1).await.unwrap()), Err(Error::Revoked));
    // A request cannot name its terminal.
    let body = format!(r#"{{"code":"{}","amount":1,"terminal_id":7}}"#, next(5));
    let reply = gate9.send(Method::POST, "/v1/verify", Some(body.into_bytes())).await.unwrap();
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let log = node.service.backend().log();
    let terminals: Vec<u32> = log.iter().map(|r| r.terminal_id).collect();
    assert_eq!(terminals, [7, 7, 9, 9]);
    node.stop().await;
}

/// A store that fails while `down` is set, and otherwise is a memory store.
/// The node's `/metrics` page, as text.
async fn metrics_text(client: &mut Client) -> String {
    let metrics = client.send(Method::GET, "/metrics", None).await.unwrap();
    String::from_utf8(metrics.body.to_vec()).unwrap()
}

struct Flaky {
    down: Arc<AtomicBool>,
    /// Calls commit, then fail as a commit whose answer was lost.
    doubt: Arc<AtomicBool>,
    inner: MemoryScoped,
}

impl Flaky {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::new(StoreErrorKind::Unavailable, "connection refused (test)"));
        }
        Ok(())
    }
}

impl StateStore for Flaky {
    fn transact_call(&self, call: &mut Call<'_>) -> Result<(), StoreError> {
        self.check()?;
        self.inner.transact_call(call)?;
        if self.doubt.load(Ordering::SeqCst) {
            return Err(StoreError::new(StoreErrorKind::InDoubt, "the commit's answer was lost (test)"));
        }
        Ok(())
    }
    fn observe(&self, step: u64) -> Result<(), StoreError> {
        self.check()?;
        self.inner.observe(step)
    }
    fn high_water(&self) -> Result<u64, StoreError> {
        self.check()?;
        self.inner.high_water()
    }
    fn quarantine(&self, floor: u64, high_water: u64) -> Result<(), StoreError> {
        self.check()?;
        self.inner.quarantine(floor, high_water)
    }
    fn install_revocation_list(
        &self,
        list: &RevocationList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.install_revocation_list(list, newer)
    }
    fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
        self.check()?;
        self.inner.revocation_list()
    }
    fn withdraw_revocation_list(&self) -> Result<(), StoreError> {
        self.check()?;
        self.inner.withdraw_revocation_list()
    }
    fn revocation_withdrawn(&self) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.revocation_withdrawn()
    }
    fn install_trust_list(
        &self,
        list: &paycode::TrustList,
        newer: &dyn Fn(paycode::revocation::ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.install_trust_list(list, newer)
    }
    fn trust_list(&self) -> Result<Option<paycode::TrustList>, StoreError> {
        self.check()?;
        self.inner.trust_list()
    }
    fn evict(&self, step: u64, plan: &dyn Fn(u64) -> Eviction) -> Result<(), StoreError> {
        self.check()?;
        self.inner.evict(step, plan)
    }
}

struct FlakyBackend {
    down: Arc<AtomicBool>,
    doubt: Arc<AtomicBool>,
    memory: MemoryBackend,
    tokens: MemoryTokens,
}

impl Backend for FlakyBackend {
    type Store = Flaky;
    fn issuer(&self) -> Result<Flaky, StoreError> {
        Ok(Flaky {
            down: Arc::clone(&self.down),
            doubt: Arc::clone(&self.doubt),
            inner: self.memory.issuer()?,
        })
    }
    fn issuer_for(&self, id: u32) -> Result<Flaky, StoreError> {
        Ok(Flaky {
            down: Arc::clone(&self.down),
            doubt: Arc::clone(&self.doubt),
            inner: self.memory.issuer_for(id)?,
        })
    }
    fn terminal(&self, id: u32) -> Result<Flaky, StoreError> {
        Ok(Flaky {
            down: Arc::clone(&self.down),
            doubt: Arc::clone(&self.doubt),
            inner: self.memory.terminal(id)?,
        })
    }
    fn tokens(&self) -> &dyn TokenStore {
        &self.tokens
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_store_gets_503_state_unavailable_and_the_next_call_proceeds() {
    let down = Arc::new(AtomicBool::new(false));
    let backend = FlakyBackend {
        down: Arc::clone(&down),
        doubt: Arc::default(),
        memory: MemoryBackend::new(params()),
        tokens: MemoryTokens::default(),
    };
    let token = add_token(&backend.tokens, 7);
    let node = start(backend, Config::default(), None).await;
    let mut client = Client::new(node.addr, Some(&token));
    let health: Health =
        serde_json::from_slice(&client.send(Method::GET, "/v1/health", None).await.unwrap().body).unwrap();
    assert_eq!((health.status.as_str(), health.store.as_str(), health.step), ("ok", "reachable", NOW / 60));
    down.store(true, Ordering::SeqCst);
    // spec: R-STATE-4: state-unavailable, nothing recorded, whatever the profile; and 503.
    let ed = ed_wallet(101).code_for(NOW / 60, 1).to_qr_text();
    for code in [hmac_code(1), ed.clone(), "garbage".to_owned()] {
        let reply = client
            .send(Method::POST, "/v1/verify", Some(format!(r#"{{"code":"{code}","amount":1}}"#).into_bytes()))
            .await
            .unwrap();
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{code}");
        assert_eq!(reply.headers.get("retry-after").unwrap(), "1");
        let response: VerifyResponse = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(response.verdict().unwrap_err(), Error::StateUnavailable);
        let VerifyResponse::Rejected { message, .. } = response else { unreachable!() };
        // The terminal is told what happened, not the store's internals.
        assert!(message.contains("unavailable") && !message.contains("test"), "{message}");
    }
    let reply = client.send(Method::GET, "/v1/health", None).await.unwrap();
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    let health: Health = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(health.status, "unavailable");
    assert!(node.service.backend().memory.log().is_empty());
    // The store is back: the same codes are accepted, with no restart.
    down.store(false, Ordering::SeqCst);
    assert_eq!(verdict(&client.verify(&hmac_code(1), 0).await.unwrap()), Ok(()));
    assert_eq!(verdict(&client.verify(&ed, 1).await.unwrap()), Ok(()));
    let text = metrics_text(&mut client).await;
    assert!(text.contains("paycode_store_errors_total{kind=\"unavailable\"} 3\n"), "{text}");
    assert!(
        text.contains("paycode_verifications_total{verdict=\"rejected\",code=\"state-unavailable\"} 3\n")
    );
    assert!(text.contains("paycode_verifications_total{verdict=\"accepted\",code=\"accepted\"} 2\n"));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_in_doubt_asks_for_a_new_code_without_retry_after() {
    let doubt = Arc::new(AtomicBool::new(true));
    let backend = FlakyBackend {
        down: Arc::default(),
        doubt: Arc::clone(&doubt),
        memory: MemoryBackend::new(params()),
        tokens: MemoryTokens::default(),
    };
    let token = add_token(&backend.tokens, 7);
    let node = start(backend, Config::default(), None).await;
    let mut client = Client::new(node.addr, Some(&token));
    // spec: R-STATE-4: the code may have been accepted; the terminal is told
    // so, and not to send it again.
    let reply = client
        .send(
            Method::POST,
            "/v1/verify",
            Some(format!(r#"{{"code":"{}","amount":0}}"#, hmac_code(1)).into_bytes()),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.headers.get("retry-after").is_none(), "{:?}", reply.headers);
    let response: VerifyResponse = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(response.verdict().unwrap_err(), Error::StateUnavailable);
    let VerifyResponse::Rejected { message, .. } = response else { unreachable!() };
    assert!(message.contains("did not confirm") && message.contains("new code"), "{message}");
    // It was: sent again, it is replayed, never accepted twice.
    doubt.store(false, Ordering::SeqCst);
    assert_eq!(verdict(&client.verify(&hmac_code(1), 0).await.unwrap()), Err(Error::Replayed));
    let text = metrics_text(&mut client).await;
    assert!(text.contains("paycode_store_errors_total{kind=\"in-doubt\"} 1\n"), "{text}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantine_is_a_verdict_with_status_200() {
    let (node, token) = memory_node(Config { quarantine: true, ..Config::default() }).await;
    let mut client = Client::new(node.addr, Some(&token));
    // spec: R-STATE-5: Q = T(t) + F + 1, so on-time codes are state-unavailable...
    let answer = client.verify(&hmac_code(1), 0).await.unwrap();
    assert_eq!(verdict(&answer), Err(Error::StateUnavailable));
    // ... and a code of step Q is decided on its merits.
    let fast = hmac_wallet().code_for(NOW / 60 + 2, 2).to_qr_text();
    assert_eq!(verdict(&client.verify(&fast, 0).await.unwrap()), Err(Error::TooNew));
    node.stop().await;
}

fn self_signed() -> (tempfile_free::Dir, std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile_free::Dir::new("tls");
    let (cert_path, key_path) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    (dir, cert_path, key_path, cert.cert.der().to_vec())
}

mod tempfile_free {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new(name: &str) -> Dir {
            let d = std::env::temp_dir().join(format!("paycode-service-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).unwrap();
            Dir(d)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_with_the_given_certificate() {
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};
    let (_dir, cert, key, der) = self_signed();
    let tls = paycode_service::tls_config(&cert, &key).unwrap();
    let backend = MemoryBackend::new(params());
    let token = add_token(backend.tokens(), 7);
    let node = start(backend, Config::default(), Some(tls)).await;
    let mut roots = RootCertStore::empty();
    roots.add(der.into()).unwrap();
    let config = Arc::new(ClientConfig::builder().with_root_certificates(roots).with_no_client_auth());
    let mut client = Client::new(node.addr, Some(&token)).with_tls(Arc::clone(&config), "localhost").unwrap();
    assert_eq!(verdict(&client.verify(&hmac_code(1), 0).await.unwrap()), Ok(()));
    assert_eq!(verdict(&client.verify(&hmac_code(1), 0).await.unwrap()), Err(Error::Replayed));
    // Plain HTTP on the TLS port gets no answer; a certificate for another name is refused.
    let mut plain = Client::new(node.addr, Some(&token));
    assert!(plain.verify(&hmac_code(2), 0).await.is_err());
    let mut wrong = Client::new(node.addr, Some(&token)).with_tls(config, "example.org").unwrap();
    assert!(wrong.verify(&hmac_code(2), 0).await.is_err());
    assert_eq!(node.service.backend().log().len(), 1);
    // Bad files are named in the error.
    let missing = cert.with_file_name("absent.pem");
    assert!(paycode_service::tls_config(&missing, &key).unwrap_err().to_string().contains("absent.pem"));
    assert!(paycode_service::tls_config(&key, &key).is_err());
    node.stop().await;
}

/// A client may close its side of the connection once its request is sent
/// (HTTP/1.1 allows it; `nc -N` and some proxies do): it still gets the
/// verdict, and the code is verified once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_closes_its_side_after_the_request_gets_the_verdict() {
    let (node, token) = memory_node(Config::default()).await;
    let body = format!(r#"{{"code":"{}","amount":0}}"#, hmac_code(1));
    let request = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    for expect in [r#""verdict":"accepted""#, r#""code":"replayed""#] {
        let mut raw = TcpStream::connect(node.addr).await.unwrap();
        raw.write_all(request.as_bytes()).await.unwrap();
        raw.shutdown().await.unwrap();
        let mut reply = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), raw.read_to_end(&mut reply)).await.unwrap().unwrap();
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(reply.contains(expect), "{reply}");
    }
    assert_eq!(node.service.backend().log().len(), 1);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_inputs_get_verdicts_or_refusals_never_a_failure() {
    let config = Config { rate: RateLimit { per_second: 10_000, burst: 10_000 }, ..Config::default() };
    let (node, token) = memory_node(config).await;
    let mut client = Client::new(node.addr, Some(&token));
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let valid = hmac_code(9);
    for i in 0..300 {
        let code: String = match i % 4 {
            // Random printable text, with and without the prefix.
            0 => (0..next() % 400).map(|_| char::from(b' ' + (next() % 95) as u8)).collect(),
            1 => format!(
                "PC3:{}",
                (0..next() % 300).map(|_| char::from(b'0' + (next() % 43) as u8)).collect::<String>()
            ),
            // One character of a valid code changed.
            2 => {
                let mut b = valid.clone().into_bytes();
                let at = 4 + (next() as usize) % (b.len() - 4);
                b[at] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"[(next() % 45) as usize];
                String::from_utf8(b).unwrap()
            }
            // Digits of every length around 24, and Unicode.
            _ => {
                let digits: String =
                    (0..20 + next() % 8).map(|_| char::from(b'0' + (next() % 10) as u8)).collect();
                if next() % 2 == 0 { digits } else { format!("{digits}\u{0660}\u{1F600}") }
            }
        };
        let answer = client.verify(&code, next()).await.unwrap();
        match &answer {
            Answer::Verdict { status: StatusCode::OK, response } => {
                if response.verdict().is_ok() {
                    // Only the unchanged code can be accepted.
                    assert_eq!(code, valid);
                }
            }
            other => panic!("{code:?}: {other:?}"),
        }
    }
    // Raw protocol garbage: the node answers 400 (or closes), and keeps serving.
    for junk in ["GARBAGE\r\n\r\n", "POST /v1/verify HTTP/9.9\r\n\r\n", "\0\0\0\0\r\n\r\n"] {
        let mut raw = TcpStream::connect(node.addr).await.unwrap();
        let reply = raw_request(&mut raw, junk).await;
        assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 4"), "{junk:?}: {reply}");
    }
    let huge_header = format!("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000));
    let mut raw = TcpStream::connect(node.addr).await.unwrap();
    let reply = raw_request(&mut raw, &huge_header).await;
    assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 431"), "{reply}");
    let reply = client.send(Method::GET, "/v1/health", None).await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    node.stop().await;
}

/// The head and the body of a raw HTTP/1.1 reply.
fn split_reply(reply: &str) -> (&str, &str) {
    reply.split_once("\r\n\r\n").unwrap_or((reply, ""))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_over_the_limit_gets_431_with_a_json_body() {
    let (node, token) = memory_node(Config::default()).await;
    let request = |auth: &str, padding: usize| {
        format!(
            "GET /v1/health HTTP/1.1\r\nHost: x\r\n{auth}X-Big: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(padding)
        )
    };
    let auth = format!("Authorization: Bearer {token}\r\n");
    // Just under 16 KiB, counted as sent: served.
    let under = request(&auth, 0);
    let under = request(&auth, 16 * 1024 - under.len());
    assert_eq!(under.len(), 16 * 1024);
    let reply = raw_request(&mut TcpStream::connect(node.addr).await.unwrap(), &under).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    // One byte more, and 20 000 bytes, with a token and without: 431 with the service's JSON body.
    let over = request(&auth, 16 * 1024 + 1 - request(&auth, 0).len());
    for request in [over, request(&auth, 20_000), request("", 20_000)] {
        let reply = raw_request(&mut TcpStream::connect(node.addr).await.unwrap(), &request).await;
        let (head, body) = split_reply(&reply);
        assert!(head.starts_with("HTTP/1.1 431"), "{reply}");
        assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
        let refusal: Refusal = serde_json::from_str(body).unwrap();
        assert_eq!(refusal.error, "too-large");
        assert!(refusal.message.contains("16384"), "{}", refusal.message);
    }
    // Over twice the limit the HTTP layer refuses the head itself: 431, no
    // body, the connection closed (or reset, if the head is still being sent).
    let mut raw = TcpStream::connect(node.addr).await.unwrap();
    let _ = raw.write_all(request(&auth, 40_000).as_bytes()).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), raw.read_to_end(&mut reply)).await.unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 431"), "{reply}");
    assert_eq!(split_reply(&reply).1, "", "{reply}");
    // The refusals are counted, and the node serves on.
    let mut client = Client::new(node.addr, Some(&token));
    let text = metrics_text(&mut client).await;
    assert!(text.contains("paycode_refusals_total{status=\"431\"} 3\n"), "{text}");
    node.stop().await;
}

/// A request that is not HTTP/1.1 gets the HTTP layer's own answer, as the
/// crate's README says: 400 without a body, and the connection closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_request_line_gets_400_without_a_body() {
    let (node, token) = memory_node(Config::default()).await;
    for junk in ["GARBAGE\r\n\r\n", "GET /v1/health HTTP/9.9\r\n\r\n", "GET /v1 health HTTP/1.1\r\n\r\n"] {
        let reply = raw_request(&mut TcpStream::connect(node.addr).await.unwrap(), junk).await;
        let (head, body) = split_reply(&reply);
        assert!(head.starts_with("HTTP/1.1 400"), "{junk:?}: {reply}");
        assert_eq!(body, "", "{junk:?}: {reply}");
    }
    let reply = Client::new(node.addr, Some(&token)).send(Method::GET, "/v1/health", None).await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    node.stop().await;
}

/// Whether the server closed `stream`: it reads the end within a second.
async fn closed(stream: &mut TcpStream) -> bool {
    let mut buf = [0; 64];
    matches!(tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await, Ok(Ok(0) | Err(_)))
}

/// Idle connections cannot keep clients out: at the limit, a new connection
/// closes the one idle the longest, whether it never sent a request or is
/// kept alive after one, and never one with a request in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_limit_the_longest_idle_connection_makes_room() {
    let backend = MemoryBackend::new(params());
    let token = add_token(backend.tokens(), 7);
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap(), None).await.unwrap().max_connections(4);
    let node = start_on(backend, Config::default(), listener);
    let pause = || tokio::time::sleep(Duration::from_millis(100));
    // Oldest first: two sockets that send nothing, a kept-alive connection
    // that made a request, and one with a request whose body has not arrived.
    let mut silent = Vec::new();
    for _ in 0..2 {
        silent.push(TcpStream::connect(node.addr).await.unwrap());
        pause().await;
    }
    let mut kept = TcpStream::connect(node.addr).await.unwrap();
    let health = format!("GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n");
    kept.write_all(health.as_bytes()).await.unwrap();
    let mut buf = [0; 4096];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    pause().await;
    let mut slow = TcpStream::connect(node.addr).await.unwrap();
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 26\r\n\r\n{{"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    pause().await;
    // Each new client is served at once, well within the 10 s an idle
    // connection may wait; the oldest idle connection is closed for it.
    // The clients keep their connections, so that each new one finds the limit.
    let mut clients = Vec::new();
    let mut ask = async || {
        let mut client = Client::new(node.addr, Some(&token));
        let reply =
            tokio::time::timeout(Duration::from_secs(3), client.send(Method::GET, "/v1/health", None))
                .await
                .expect("a new client waited for a connection slot")
                .unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        clients.push(client);
        pause().await;
    };
    ask().await;
    assert!(closed(&mut silent[0]).await, "the oldest idle connection is closed");
    ask().await;
    assert!(closed(&mut silent[1]).await);
    // The kept-alive connection is idle the longest now; the slow request is in flight.
    ask().await;
    assert!(closed(&mut kept).await);
    ask().await;
    assert!(!closed(&mut slow).await, "a request in flight is never cut");
    // Its body arrives: it gets its verdict.
    slow.write_all(format!("{}}}", r#""code":"PC3:","amount":0"#).as_bytes()).await.unwrap();
    let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf)).await.unwrap().unwrap();
    let reply = String::from_utf8_lossy(&buf[..n]);
    assert!(reply.starts_with("HTTP/1.1 200") && reply.contains("malformed"), "{reply}");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_request_in_flight_finish() {
    /// A store that takes its time.
    struct Slow(MemoryScoped);
    impl StateStore for Slow {
        fn transact_call(&self, call: &mut Call<'_>) -> Result<(), StoreError> {
            std::thread::sleep(Duration::from_millis(600));
            self.0.transact_call(call)
        }
        fn observe(&self, step: u64) -> Result<(), StoreError> {
            self.0.observe(step)
        }
        fn high_water(&self) -> Result<u64, StoreError> {
            self.0.high_water()
        }
        fn quarantine(&self, f: u64, h: u64) -> Result<(), StoreError> {
            self.0.quarantine(f, h)
        }
        fn install_revocation_list(
            &self,
            l: &RevocationList,
            newer: &dyn Fn(ListMark) -> bool,
        ) -> Result<bool, StoreError> {
            self.0.install_revocation_list(l, newer)
        }
        fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
            self.0.revocation_list()
        }
        fn withdraw_revocation_list(&self) -> Result<(), StoreError> {
            self.0.withdraw_revocation_list()
        }
        fn revocation_withdrawn(&self) -> Result<bool, StoreError> {
            self.0.revocation_withdrawn()
        }
        fn install_trust_list(
            &self,
            list: &paycode::TrustList,
            newer: &dyn Fn(paycode::revocation::ListMark) -> bool,
        ) -> Result<bool, StoreError> {
            self.0.install_trust_list(list, newer)
        }
        fn trust_list(&self) -> Result<Option<paycode::TrustList>, StoreError> {
            self.0.trust_list()
        }
        fn evict(&self, step: u64, plan: &dyn Fn(u64) -> Eviction) -> Result<(), StoreError> {
            self.0.evict(step, plan)
        }
    }
    struct SlowBackend(MemoryBackend);
    impl Backend for SlowBackend {
        type Store = Slow;
        fn issuer(&self) -> Result<Slow, StoreError> {
            Ok(Slow(self.0.issuer()?))
        }
        fn issuer_for(&self, id: u32) -> Result<Slow, StoreError> {
            Ok(Slow(self.0.issuer_for(id)?))
        }
        fn terminal(&self, id: u32) -> Result<Slow, StoreError> {
            Ok(Slow(self.0.terminal(id)?))
        }
        fn tokens(&self) -> &dyn TokenStore {
            self.0.tokens()
        }
    }
    let backend = SlowBackend(MemoryBackend::new(params()));
    let token = add_token(backend.tokens(), 7);
    let node = start(backend, Config::default(), None).await;
    let addr = node.addr;
    let in_flight =
        tokio::spawn(async move { Client::new(addr, Some(&token)).verify(&hmac_code(1), 0).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let service = Arc::clone(&node.service);
    node.stop().await;
    // The request that was running got its verdict, and it was committed.
    assert_eq!(verdict(&in_flight.await.unwrap().unwrap()), Ok(()));
    assert_eq!(service.backend().0.log().len(), 1);
    // The port is closed now.
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_state_accept_each_raced_code_once() {
    let backend = Arc::new(MemoryBackend::new(params()));
    let token = add_token(backend.tokens(), 7);
    let config = Config { rate: RateLimit { per_second: 100_000, burst: 100_000 }, ..Config::default() };
    let (a, b) =
        (start(Arc::clone(&backend), config, None).await, start(Arc::clone(&backend), config, None).await);
    // One account and 64 counters: whatever order the copies arrive in, every
    // counter stays inside the account's 64-counter replay window, so each
    // code's verdicts are one acceptance and replays, never stale-counter.
    let plan = paycode_service::load::Plan {
        nodes: vec![a.addr, b.addr],
        tokens: vec![token],
        clients: 16,
        codes: usize::try_from(paycode::replay::WINDOW).unwrap(),
        copies: 3,
        amount: 0,
        rate: None,
        retries: 0,
    };
    let progress = Arc::new(paycode_service::load::Progress::default());
    let tally = paycode_service::load::run(plan, |k| hmac_code(k as u32), Arc::clone(&progress)).await;
    assert_eq!(tally.sent.len(), 192);
    assert_eq!(progress.done(), 192);
    let accepted = tally.accepted();
    let counts = tally.counts();
    // Every code accepted exactly once, at one node or the other; every other copy replayed.
    assert_eq!(accepted.len(), 64, "{counts:?}");
    assert!(accepted.values().all(|r| r.len() == 1));
    assert_eq!(counts.get("replayed"), Some(&128), "{counts:?}");
    // The answers name the wallet's counters; the log holds exactly the records answered.
    let mut counters: Vec<u32> = accepted.values().flatten().map(|r| r.counter).collect();
    counters.sort_unstable();
    assert_eq!(counters, (0..64).collect::<Vec<u32>>());
    let mut answered: Vec<String> = accepted.values().flatten().map(|r| r.encoded.clone()).collect();
    let mut log: Vec<String> = backend.log().iter().map(|r| paycode::codec::to_hex(&r.encode())).collect();
    answered.sort_unstable();
    log.sort_unstable();
    assert_eq!(log, answered);
    // Both nodes took part.
    assert!(tally.sent.iter().any(|s| s.node == 0) && tally.sent.iter().any(|s| s.node == 1));
    a.stop().await;
    b.stop().await;
}

/// A challenge-mode payment through the API (spec §7.4): the challenge is
/// checked against the terminal of the request's token and paid once,
/// whichever payer and profile pays it (spec: R-CHAL-3, R-CHAL-4); a
/// challenge that does not decode is the verdict `malformed`.
async fn a_challenge_is_paid_once_at_the_token_s_terminal<B: Backend>(backend: B) {
    let (t7, t9) = (add_token(backend.tokens(), 7), add_token(backend.tokens(), 9));
    let node = start(backend, Config::default(), None).await;
    let (mut till7, mut till9) = (Client::new(node.addr, Some(&t7)), Client::new(node.addr, Some(&t9)));
    let ch = Challenge::new(7, 250, NOW, [1; 16]);
    let shown = ch.to_qr_text();
    let mut first = hmac_wallet();
    let code = first.generate_for(NOW, Purpose::Challenge(&ch)).unwrap().to_qr_text();
    // Not terminal 9's challenge, whatever the body says; nor for another amount.
    let answer = till9.verify_payment(&code, 250, Some(&shown)).await.unwrap();
    assert_eq!(verdict(&answer), Err(Error::ChallengeMismatch));
    let answer = till7.verify_payment(&code, 251, Some(&shown)).await.unwrap();
    assert_eq!(verdict(&answer), Err(Error::ChallengeMismatch));
    // At terminal 7: accepted, recorded as terminal 7's payment.
    let answer = till7.verify_payment(&code, 250, Some(&shown)).await.unwrap();
    let Answer::Verdict { status: StatusCode::OK, response: VerifyResponse::Accepted { record } } = &answer
    else {
        panic!("{answer:?}")
    };
    assert_eq!((record.profile, record.subject, record.terminal_id), (Profile::Hmac, ACCOUNT, 7));
    // The same code again is replayed; any other code for the challenge is
    // challenge-used: another hmac payer, an ed25519 payer (terminal 7's own
    // records), or the first payer's next code.
    assert_eq!(verdict(&till7.verify_payment(&code, 250, Some(&shown)).await.unwrap()), Err(Error::Replayed));
    let other = payer_wallet().generate_for(NOW, Purpose::Challenge(&ch)).unwrap().to_qr_text();
    assert_eq!(
        verdict(&till7.verify_payment(&other, 250, Some(&shown)).await.unwrap()),
        Err(Error::ChallengeUsed)
    );
    let ed = ed_wallet(101).generate_for(NOW, Purpose::Challenge(&ch)).unwrap().to_qr_text();
    assert_eq!(
        verdict(&till7.verify_payment(&ed, 250, Some(&shown)).await.unwrap()),
        Err(Error::ChallengeUsed)
    );
    let next = first.generate_for(NOW, Purpose::Challenge(&ch)).unwrap().to_qr_text();
    assert_eq!(
        verdict(&till7.verify_payment(&next, 250, Some(&shown)).await.unwrap()),
        Err(Error::ChallengeUsed)
    );
    // A challenge that does not decode is a verdict, not a failure.
    for garbage in ["PT3:garbage", "PC3:", "", &shown[..30]] {
        let answer = till7.verify_payment(&next, 250, Some(garbage)).await.unwrap();
        assert_eq!(verdict(&answer), Err(Error::Malformed), "{garbage:?}");
    }
    // The mode and the call must agree.
    let one_way = first.generate(NOW).unwrap().to_qr_text();
    let answer = till7.verify_payment(&one_way, 250, Some(&shown)).await.unwrap();
    assert_eq!(verdict(&answer), Err(Error::ChallengeRequired));
    assert_eq!(verdict(&till7.verify_payment(&next, 250, None).await.unwrap()), Err(Error::NoChallenge));
    // Terminal 9's challenge, paid by ed25519 at terminal 9: an hmac code for
    // it is then challenge-used, through the issuer's state.
    let ch9 = Challenge::new(9, 100, NOW, [9; 16]);
    let shown9 = ch9.to_qr_text();
    let ed = ed_wallet(102).generate_for(NOW, Purpose::Challenge(&ch9)).unwrap().to_qr_text();
    let answer = till9.verify_payment(&ed, 100, Some(&shown9)).await.unwrap();
    assert_eq!(answer_terminal(&answer), Ok(9));
    let other = payer_wallet().generate_for(NOW, Purpose::Challenge(&ch9)).unwrap().to_qr_text();
    assert_eq!(
        verdict(&till9.verify_payment(&other, 100, Some(&shown9)).await.unwrap()),
        Err(Error::ChallengeUsed)
    );
    // A challenge that is not text is not a verify request.
    let body = format!(r#"{{"code":"{other}","amount":100,"challenge":5}}"#);
    let reply = till9.send(Method::POST, "/v1/verify", Some(body.into_bytes())).await.unwrap();
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    node.stop().await;
}

fn answer_terminal(answer: &Answer) -> Result<u32, Error> {
    verdict(answer)?;
    match answer {
        Answer::Verdict { response: VerifyResponse::Accepted { record }, .. } => Ok(record.terminal_id),
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_is_paid_once_at_the_token_s_terminal_in_memory() {
    let backend = Arc::new(MemoryBackend::new(params()));
    a_challenge_is_paid_once_at_the_token_s_terminal(Arc::clone(&backend)).await;
    let log: Vec<(Profile, u32)> = backend.log().iter().map(|r| (r.profile(), r.terminal_id)).collect();
    assert_eq!(log, [(Profile::Hmac, 7), (Profile::Ed25519, 9)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_is_paid_once_at_the_token_s_terminal_in_sqlite() {
    let dir = paycode_test_support::TempDir::new("service-challenge");
    let backend = Arc::new(SqliteBackend::open(&dir.join("state.db")).unwrap());
    a_challenge_is_paid_once_at_the_token_s_terminal(Arc::clone(&backend)).await;
    let log: Vec<(Profile, u32)> =
        backend.store().export_log(None).unwrap().iter().map(|r| (r.profile(), r.terminal_id)).collect();
    assert_eq!(log, [(Profile::Hmac, 7), (Profile::Ed25519, 9)]);
}

/// Payers at two nodes present codes for the same challenges at once, two
/// hmac and two ed25519 payers for each: each challenge is paid once, and
/// every other code for it is `challenge-used` (spec: R-CHAL-4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payers_racing_at_two_nodes_pay_each_challenge_once() {
    let backend = Arc::new(MemoryBackend::new(params()));
    let token = add_token(backend.tokens(), 7);
    let config = Config { rate: RateLimit { per_second: 100_000, burst: 100_000 }, ..Config::default() };
    let (a, b) =
        (start(Arc::clone(&backend), config, None).await, start(Arc::clone(&backend), config, None).await);
    let challenges: Vec<Challenge> = (0..24).map(|k| Challenge::new(7, 10, NOW, [k; 16])).collect();
    /// A payer's code with counter `k` for a challenge.
    type Payer = fn(u32, &Challenge) -> String;
    let payers: [(SocketAddr, Payer); 4] = [
        (a.addr, |k, ch| hmac_wallet().code_as(NOW / 60, k, Purpose::Challenge(ch)).to_qr_text()),
        (b.addr, |k, ch| payer_wallet().code_as(NOW / 60, k, Purpose::Challenge(ch)).to_qr_text()),
        (a.addr, |k, ch| ed_wallet(101).code_as(NOW / 60, k, Purpose::Challenge(ch)).to_qr_text()),
        (b.addr, |k, ch| ed_wallet(102).code_as(NOW / 60, k, Purpose::Challenge(ch)).to_qr_text()),
    ];
    let mut tasks = Vec::new();
    for (addr, make) in payers {
        let (token, challenges) = (token.clone(), challenges.clone());
        let texts: Vec<(String, String)> =
            challenges.iter().zip(0..).map(|(ch, k)| (make(k, ch), ch.to_qr_text())).collect();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::new(addr, Some(&token));
            let mut out = Vec::new();
            for (code, shown) in texts {
                out.push(verdict(&client.verify_payment(&code, 10, Some(&shown)).await.unwrap()));
            }
            out
        }));
    }
    let mut verdicts = Vec::new();
    for t in tasks {
        verdicts.push(t.await.unwrap());
    }
    for k in 0..challenges.len() {
        let of_k: Vec<Result<(), Error>> = verdicts.iter().map(|v| v[k]).collect();
        assert_eq!(of_k.iter().filter(|r| r.is_ok()).count(), 1, "challenge {k}: {of_k:?}");
        assert!(
            of_k.iter().all(|r| matches!(r, Ok(()) | Err(Error::ChallengeUsed))),
            "challenge {k}: {of_k:?}"
        );
    }
    assert_eq!(backend.log().len(), challenges.len());
    a.stop().await;
    b.stop().await;
}

/// A running node evicts on its own: the replay entry an hmac code made
/// is gone from the store once the window has passed it, and before that
/// the node keeps it (spec: R-REPLAY-4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_node_evicts_what_no_verdict_needs_any_more() {
    use std::sync::atomic::AtomicU64;
    let dir = paycode_test_support::TempDir::new("service-evict");
    let backend = Arc::new(SqliteBackend::open(&dir.join("state.db")).unwrap());
    let token = add_token(backend.tokens(), 7);
    let time = Arc::new(AtomicU64::new(NOW));
    let clock = {
        let time = Arc::clone(&time);
        Clock::from_fn(move || time.load(Ordering::SeqCst))
    };
    let config = Config { evict_every: Duration::from_millis(20), ..Config::default() };
    let service = Service::start(keys(), Arc::clone(&backend), config, clock).unwrap();
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap(), None).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(service.run(listener, async {
        let _ = stopped.await;
    }));
    let windows = || backend.store().contents().unwrap().state.hmac.windows.len();
    let mut client = Client::new(addr, Some(&token));
    verdict(&client.verify(&hmac_code(0), 10).await.unwrap()).unwrap();
    // Several sweeps at a time the entry is still live: it stays.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(windows(), 1);
    // An hour later the window (B = 2 steps behind T_hw) is long past it.
    time.store(NOW + 3_600, Ordering::SeqCst);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while windows() != 0 {
        assert!(tokio::time::Instant::now() < deadline, "the entry was never evicted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(15), done).await.unwrap().unwrap().unwrap();
}

/// A running node with hmac accounts builds each step's handle index ahead
/// of the step, with no request, keeps only the steps a code may name, and
/// stops building once it is shut down (spec: R-HANDLE-3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_node_builds_the_next_steps_handles_ahead() {
    use std::sync::atomic::AtomicU64;
    // One-second steps, B = 2, F = 1: at step s the index holds s - 2 to s + 1, and s + 2 ahead.
    let params = Params::new(0, 1, 2, 1).unwrap();
    let time = Arc::new(AtomicU64::new(NOW));
    let clock = {
        let time = Arc::clone(&time);
        Clock::from_fn(move || time.load(Ordering::SeqCst))
    };
    let backend = MemoryBackend::new(params);
    let service = Service::start(Keys { params, ..keys() }, backend, Config::default(), clock).unwrap();
    let watch = service.clone();
    assert_eq!(watch.indexed_steps(), Vec::<u64>::new(), "nothing is built before the node runs");
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap(), None).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(service.run(listener, async {
        let _ = stopped.await;
    }));
    let built = |from: u64| (from..=from + 4).collect::<Vec<u64>>();
    let wait_for = |want: Vec<u64>| {
        let watch = watch.clone();
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
            while watch.indexed_steps() != want {
                assert!(tokio::time::Instant::now() < deadline, "{:?}, not {want:?}", watch.indexed_steps());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    wait_for(built(NOW - 2)).await;
    // Ten steps later: the old steps are dropped, the new window and the next step built.
    time.store(NOW + 10, Ordering::SeqCst);
    wait_for(built(NOW + 8)).await;
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(15), done).await.unwrap().unwrap().unwrap();
    // Stopped: the clock moves on, and nothing more is built.
    time.store(NOW + 20, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(watch.indexed_steps(), built(NOW + 8));
}

/// A connection still in its TLS handshake has no request in flight: a
/// shutdown does not wait for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_a_tls_handshake() {
    let (_dir, cert, key, _der) = self_signed();
    let tls = paycode_service::tls_config(&cert, &key).unwrap();
    let (node, _token) = {
        let backend = MemoryBackend::new(params());
        let token = add_token(backend.tokens(), 7);
        (start(backend, Config::default(), Some(tls)).await, token)
    };
    // A socket that never starts its handshake.
    let _silent = TcpStream::connect(node.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    node.stop().await;
    assert!(started.elapsed() < Duration::from_secs(3), "shutdown took {:?}", started.elapsed());
}

/// A connection that has sent part of a request head has no request in
/// flight: a shutdown closes it at once, as it does an idle one, rather than
/// wait for the rest of the head.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_a_request_head() {
    let (node, token) = memory_node(Config::default()).await;
    let mut partial = TcpStream::connect(node.addr).await.unwrap();
    partial.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut kept = TcpStream::connect(node.addr).await.unwrap();
    let health = format!("GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n");
    kept.write_all(health.as_bytes()).await.unwrap();
    let mut buf = [0; 4096];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    node.stop().await;
    assert!(started.elapsed() < Duration::from_secs(3), "shutdown took {:?}", started.elapsed());
    assert!(closed(&mut partial).await);
    assert!(closed(&mut kept).await);
}

/// A connection limit larger than the service can count is its largest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_limit_too_large_to_count_serves() {
    let backend = MemoryBackend::new(params());
    let token = add_token(backend.tokens(), 7);
    let listener =
        Listener::bind("127.0.0.1:0".parse().unwrap(), None).await.unwrap().max_connections(usize::MAX);
    let node = start_on(backend, Config::default(), listener);
    let reply = Client::new(node.addr, Some(&token)).send(Method::GET, "/v1/health", None).await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    node.stop().await;
}

/// At the connection limit a connection whose request has arrived is not
/// the idle one that makes room. Clients queue while both connections have
/// a request in flight, each with its request sent before the node accepts
/// its connection; when the two finish, every queued client is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_limit_a_request_that_has_arrived_is_answered() {
    let backend = MemoryBackend::new(params());
    let token = add_token(backend.tokens(), 7);
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap(), None).await.unwrap().max_connections(2);
    let config = Config { rate: RateLimit { per_second: 100_000, burst: 100_000 }, ..Config::default() };
    let node = start_on(backend, config, listener);
    let addr = node.addr;
    let body = r#"{"code":"PC3:","amount":0}"#;
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut holders = Vec::new();
    for _ in 0..2 {
        let mut holder = TcpStream::connect(addr).await.unwrap();
        holder.write_all(head.as_bytes()).await.unwrap();
        holders.push(holder);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let request = format!(
        "GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    let clients: Vec<_> = (0..20)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                raw_request(&mut stream, &request).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for holder in &mut holders {
        holder.write_all(body.as_bytes()).await.unwrap();
    }
    let mut unanswered = 0;
    for client in clients {
        if !client.await.unwrap().starts_with("HTTP/1.1 200") {
            unanswered += 1;
        }
    }
    assert_eq!(unanswered, 0, "requests cut to make room for new connections");
    node.stop().await;
}
