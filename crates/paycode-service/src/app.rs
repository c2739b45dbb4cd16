//! The routes: authentication and rate limit in front of every one, then
//! `POST /v1/verify`, `GET /v1/health` and `GET /metrics`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Request, State};
use axum::http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;

use paycode::code::qr_profile;
use paycode::store::StoreErrorKind;
use paycode::{
    Acceptance, Error, InstallError, Params, Profile, StateStore, StoreError, TextPayment, Verifier,
};

use crate::api::{Health, Record, Refusal, VerifyRequest, VerifyResponse};
use crate::auth::{Caller, Keyring};
use crate::backend::Backend;
use crate::limit::Limiter;
use crate::metrics::{self, Metrics};
use crate::server::MAX_HEAD;
use crate::workers::Workers;
use crate::{Clock, Config, Keys};

/// How long a client may take to send a request's body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most verifications a worker takes from the queue at once, which the
/// issuer's store commits together (see [`crate::workers`]).
const MAX_BATCH: usize = 32;

/// A verification waiting in the workers' queue.
pub(crate) struct Verification<B: Backend> {
    app: Arc<App<B>>,
    caller: Caller,
    text: String,
    amount: u64,
    challenge: Option<String>,
    now: u64,
    reply: tokio::sync::oneshot::Sender<Outcome>,
}

impl<B: Backend> Verification<B> {
    fn payment(&self) -> TextPayment<'_> {
        TextPayment { text: &self.text, amount: self.amount, challenge: self.challenge.as_deref() }
    }

    /// The verifier this verification goes to.
    fn route(&self) -> Route {
        let terminal = self.caller.terminal_id;
        if qr_profile(&self.text) == Some(Profile::Ed25519) {
            Route::Terminal(terminal)
        } else if self.challenge.is_some() {
            Route::Challenge(terminal)
        } else {
            Route::Issuer
        }
    }
}

/// Which verifier a verification goes to. The ed25519 profile's state is
/// the terminal's; everything else, including input that decodes to no
/// profile, is the issuer's verifier's, which pays a terminal's challenge
/// as that terminal: a challenge is checked against the terminal the
/// request's token is bound to (spec: R-CHAL-3), and its nonce goes into
/// that terminal's nonce set (spec: R-CHAL-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// The issuer's verifier: hmac codes without a challenge.
    Issuer,
    /// The issuer's state, as the verifier of this terminal: hmac codes
    /// with a challenge.
    Challenge(u32),
    /// This terminal's verifier: ed25519 codes.
    Terminal(u32),
}

/// A node's verifiers, tokens, limits and counters.
pub(crate) struct App<B: Backend> {
    pub(crate) backend: B,
    keys: Keys,
    issuer: Arc<Verifier<B::Store>>,
    terminals: RwLock<HashMap<u32, Arc<Verifier<B::Store>>>>,
    /// The issuer's state as each terminal's verifier, for the hmac codes
    /// that pay its challenges; made on a terminal's first such code.
    challengers: RwLock<HashMap<u32, Arc<Verifier<B::Store>>>>,
    pub(crate) keyring: Keyring,
    limiter: Limiter,
    metrics: Metrics,
    pub(crate) config: Config,
    clock: Clock,
    workers: Workers<Verification<B>>,
}

impl<B: Backend> App<B> {
    /// The issuer's verifier over `backend`, with the revocation list
    /// installed and, if asked, quarantine entered. Blocks on the store.
    pub(crate) fn new(
        keys: Keys,
        backend: B,
        config: Config,
        clock: Clock,
    ) -> Result<App<B>, crate::StartError> {
        if !(crate::MIN_MAX_BODY..=crate::MAX_MAX_BODY).contains(&config.max_body) {
            return Err(crate::StartError::MaxBody(config.max_body));
        }
        let issuer = Arc::new(hmac_verifier(&keys, config.verifier_id, backend.issuer()?));
        let app = App {
            issuer,
            terminals: RwLock::new(HashMap::new()),
            challengers: RwLock::new(HashMap::new()),
            keyring: Keyring::default(),
            limiter: Limiter::new(config.rate),
            metrics: Metrics::default(),
            backend,
            keys,
            workers: Workers::new(config.workers, MAX_BATCH, App::verify_all)
                .map_err(crate::StartError::Threads)?,
            config,
            clock,
        };
        let tokens = app.backend.tokens().list()?;
        app.keyring.load(&tokens);
        if app.config.quarantine {
            // spec: R-STATE-5: every verifier this store holds, before the first verification.
            let step = app.keys.params.step_at(app.clock.now()).map_err(crate::StartError::Clock)?;
            let floor = step.saturating_add(app.keys.params.forward()).saturating_add(1);
            app.issuer.store().quarantine(floor, step)?;
            let mut terminals: Vec<u32> = tokens.iter().map(|t| t.terminal_id).collect();
            terminals.sort_unstable();
            terminals.dedup();
            for id in terminals {
                app.backend.terminal(id)?.quarantine(floor, step)?;
            }
        }
        Ok(app)
    }

    pub(crate) fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/v1/verify", post(verify::<B>))
            .route("/v1/health", get(health::<B>))
            .route("/metrics", get(metrics::<B>))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            // Nothing, not even a 404, answers without a good token.
            .layer(middleware::from_fn_with_state(Arc::clone(self), authenticate::<B>))
            // Outermost: a head over the limit is read no further, token or not.
            .layer(middleware::from_fn_with_state(Arc::clone(self), limit_head::<B>))
            .with_state(Arc::clone(self))
    }

    /// Verifies `item` alone. Blocks on the store.
    fn verify(&self, item: &Verification<B>) -> Outcome {
        match self.verifier(item.route()) {
            Ok(v) => Outcome::of(v.verify_text_payment(item.payment(), item.now)),
            Err(e) => Outcome::StoreFailed { kind: e.kind(), cause: e.to_string() },
        }
    }

    /// The verifier of `route`.
    fn verifier(&self, route: Route) -> Result<Arc<Verifier<B::Store>>, StoreError> {
        match route {
            Route::Issuer => Ok(Arc::clone(&self.issuer)),
            Route::Challenge(id) => self.challenger(id),
            Route::Terminal(id) => self.terminal(id),
        }
    }

    /// Verifies queued requests in order, and answers each. A run of
    /// verifications for the same hmac verifier at the same time goes to the
    /// store as one call ([`Verifier::verify_payments_with_cause`]); a
    /// terminal's ed25519 codes go one by one.
    fn verify_all(items: Vec<Verification<B>>) {
        let mut run: Vec<Verification<B>> = Vec::new();
        for item in items {
            let route = item.route();
            let hmac = !matches!(route, Route::Terminal(_));
            if hmac && run.first().is_none_or(|first| first.now == item.now && first.route() == route) {
                run.push(item);
                continue;
            }
            Self::verify_run(std::mem::take(&mut run));
            if hmac {
                run.push(item);
            } else {
                let outcome = item.app.verify(&item);
                let _ = item.reply.send(outcome);
            }
        }
        Self::verify_run(run);
    }

    /// Verifies a run of verifications for one hmac verifier at one time.
    fn verify_run(run: Vec<Verification<B>>) {
        let Some(first) = run.first() else { return };
        let (app, now) = (Arc::clone(&first.app), first.now);
        app.metrics.run(run.len());
        if run.len() == 1 {
            for item in run {
                let outcome = app.verify(&item);
                let _ = item.reply.send(outcome);
            }
            return;
        }
        let verifier = match app.verifier(first.route()) {
            Ok(v) => v,
            Err(e) => {
                for item in run {
                    let failed = Outcome::StoreFailed { kind: e.kind(), cause: e.to_string() };
                    let _ = item.reply.send(failed);
                }
                return;
            }
        };
        let payments: Vec<TextPayment<'_>> = run.iter().map(Verification::payment).collect();
        let verdicts = verifier.verify_payments_with_cause(&payments, now);
        drop(payments);
        for (item, verdict) in run.into_iter().zip(verdicts) {
            let _ = item.reply.send(Outcome::of(verdict));
        }
    }

    /// The issuer's state as terminal `id`'s verifier, for the hmac codes
    /// that pay its challenges, made on its first such code at this node.
    /// It shares the issuer's verifier's hmac keys: a node keeps one copy of
    /// them however many terminals take challenge payments.
    fn challenger(&self, id: u32) -> Result<Arc<Verifier<B::Store>>, StoreError> {
        if let Some(v) = self.challengers.read().ok().and_then(|t| t.get(&id).cloned()) {
            return Ok(v);
        }
        let v = Arc::new(self.issuer.for_terminal(id, self.backend.issuer_for(id)?));
        if let Ok(mut challengers) = self.challengers.write() {
            return Ok(Arc::clone(challengers.entry(id).or_insert(v)));
        }
        Ok(v)
    }

    /// The verifier of terminal `id`, made on its first code at this node.
    fn terminal(&self, id: u32) -> Result<Arc<Verifier<B::Store>>, StoreError> {
        if let Some(v) = self.terminals.read().ok().and_then(|t| t.get(&id).cloned()) {
            return Ok(v);
        }
        let mut v = Verifier::with_store(self.keys.params, id, self.backend.terminal(id)?);
        v.set_root_key(self.keys.root);
        match v.install_trust_list(self.keys.trust.clone(), self.clock.now()) {
            // Not newer: the store holds this list or a newer one, now installed.
            Ok(()) | Err(InstallError::NotNewer) => {}
            // Not kept: the next code makes the terminal again.
            Err(InstallError::StateUnavailable) => {
                return Err(StoreError::of_kind(StoreErrorKind::Unavailable));
            }
            // The issuer file's own list, signed by its own root key.
            Err(_) => {}
        }
        if let Some(list) = &self.keys.revocation {
            match v.install_revocation_list(list.clone(), self.clock.now()) {
                Ok(()) | Err(InstallError::NotNewer) => {}
                Err(InstallError::StateUnavailable) => {
                    return Err(StoreError::of_kind(StoreErrorKind::Unavailable));
                }
                // Checked against the same trust list at start.
                Err(_) => {}
            }
        }
        let v = Arc::new(v);
        if let Ok(mut terminals) = self.terminals.write() {
            return Ok(Arc::clone(terminals.entry(id).or_insert(v)));
        }
        Ok(v)
    }

    /// Removes what eviction allows, at the clock's time now, from the
    /// issuer's state and the state of every terminal that has a token
    /// (spec: R-REPLAY-4, R-LIMIT-2, R-CHAL-4). Blocks on the store.
    pub(crate) fn evict(&self) -> Result<(), StoreError> {
        let now = self.now();
        let mut terminals: Vec<u32> = self.backend.tokens().list()?.iter().map(|t| t.terminal_id).collect();
        terminals.sort_unstable();
        terminals.dedup();
        for store in self.backend.sweep(&terminals)? {
            Verifier::with_store(self.keys.params, 0, store)
                .evict(now)
                .map_err(|e| StoreError::new(StoreErrorKind::Unavailable, format!("eviction: {e}")))?;
        }
        Ok(())
    }

    /// Builds the hmac handle indexes of the steps a code may name at the
    /// clock's time now and of the next step, those not built yet (spec:
    /// R-HANDLE-3). Every verifier of the node shares them.
    pub(crate) fn prepare_handles(&self) -> Result<(), paycode::Error> {
        self.issuer.prepare_handles(self.now())
    }

    /// The steps whose hmac handle index is built.
    pub(crate) fn indexed_steps(&self) -> Vec<u64> {
        self.issuer.indexed_steps()
    }

    /// Whether any hmac account is enrolled.
    pub(crate) fn has_accounts(&self) -> bool {
        !self.keys.accounts.is_empty()
    }

    /// Evicts (as [`App::evict`]) on a worker thread.
    pub(crate) async fn evict_on_worker(self: &Arc<Self>) -> Option<Result<(), StoreError>> {
        let app = Arc::clone(self);
        self.workers.run(move || app.evict()).await
    }

    /// Reloads the token table on a worker thread.
    pub(crate) async fn reload_tokens(self: &Arc<Self>) -> Option<Result<(), StoreError>> {
        let app = Arc::clone(self);
        self.workers
            .run(move || {
                let tokens = app.backend.tokens().list()?;
                app.keyring.load(&tokens);
                Ok(())
            })
            .await
    }

    pub(crate) const fn params(&self) -> &Params {
        &self.keys.params
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now()
    }

    fn refuse(&self, refusal: metrics::Refusal, message: impl Into<String>) -> Response {
        self.metrics.refusal(refusal);
        let (status, error) = match refusal {
            metrics::Refusal::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            metrics::Refusal::BadRequest => (StatusCode::BAD_REQUEST, "bad-request"),
            metrics::Refusal::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too-large"),
            metrics::Refusal::HeadTooLarge => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "too-large"),
            metrics::Refusal::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate-limited"),
            metrics::Refusal::Timeout => (StatusCode::REQUEST_TIMEOUT, "timeout"),
        };
        json(status, &Refusal { error: error.into(), message: message.into() })
    }
}

impl Outcome {
    /// The outcome of a verifier's verdict.
    fn of(verdict: Result<Acceptance, paycode::Rejection>) -> Outcome {
        match verdict {
            Ok(a) => Outcome::Accepted(Box::new(a)),
            Err(r) => match r.store_error() {
                Some(e) => Outcome::StoreFailed { kind: e.kind(), cause: e.to_string() },
                None => Outcome::Rejected(r.error()),
            },
        }
    }
}

/// What became of a verification.
pub(crate) enum Outcome {
    /// Accepted and committed (boxed: the record carries the code).
    Accepted(Box<Acceptance>),
    /// Rejected on the code's merits (or by quarantine): a verdict.
    Rejected(Error),
    /// The store failed: `state-unavailable`, and nothing changed, unless
    /// the kind is `InDoubt` (spec: R-STATE-4).
    StoreFailed {
        /// The failure's kind.
        kind: StoreErrorKind,
        /// The failure, for the node's log.
        cause: String,
    },
}

/// Refuses a request whose head is over [`MAX_HEAD`] with 431. hyper reads
/// heads up to twice that (and answers a larger one itself, without a body),
/// so that this answer carries the service's JSON body.
async fn limit_head<B: Backend>(State(app): State<Arc<App<B>>>, request: Request, next: Next) -> Response {
    let size = head_size(&request);
    if size > MAX_HEAD {
        let message = format!("the request head is larger than {MAX_HEAD} bytes");
        let mut response = app.refuse(metrics::Refusal::HeadTooLarge, message);
        // As hyper does after its own 431: the body, if any, is not read.
        response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    next.run(request).await
}

/// The size of `request`'s head as HTTP/1.1 sends it: the request line, each
/// header field as `name: value` and the blank line, each line with its CRLF.
/// The spaces a client may put around a field's value are not counted.
fn head_size(request: &Request) -> usize {
    let uri = request.uri();
    let target = match (uri.scheme_str(), uri.authority()) {
        // The absolute form, `http://host/path`.
        (Some(scheme), Some(authority)) => scheme.len() + "://".len() + authority.as_str().len(),
        _ => 0,
    } + uri.path_and_query().map_or(0, |p| p.as_str().len());
    let line = request.method().as_str().len() + " ".len() + target + " HTTP/1.1\r\n".len();
    let fields: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + ": \r\n".len() + value.len())
        .sum();
    line.saturating_add(fields).saturating_add("\r\n".len())
}

async fn authenticate<B: Backend>(
    State(app): State<Arc<App<B>>>,
    mut request: Request,
    next: Next,
) -> Response {
    // Two Authorization headers are no token: which one a client meant is not known.
    let mut headers = request.headers().get_all(AUTHORIZATION).iter();
    let (first, second) = (headers.next(), headers.next());
    let header = match second {
        Some(_) => Err(crate::auth::AuthError::Invalid),
        None => app.keyring.authenticate(first.map(HeaderValue::as_bytes)),
    };
    let caller = match header {
        Ok(caller) => caller,
        Err(e) => {
            let message = match e {
                crate::auth::AuthError::Missing => "an Authorization: Bearer token is required",
                crate::auth::AuthError::Invalid => "the bearer token is not valid",
            };
            let mut response = app.refuse(metrics::Refusal::Unauthorized, message);
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"paycode\", error=\"invalid_token\""),
            );
            return response;
        }
    };
    if let Err(wait) = app.limiter.take(caller.token, Instant::now()) {
        let secs = wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0)).max(1);
        let mut response =
            app.refuse(metrics::Refusal::RateLimited, format!("this token's rate limit; retry in {secs} s"));
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
        return response;
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

async fn verify<B: Backend>(
    State(app): State<Arc<App<B>>>,
    Extension(caller): Extension<Caller>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let max = app.config.max_body;
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return app.refuse(metrics::Refusal::TooLarge, format!("the body is larger than {max} bytes"));
    }
    let body = match read_body(request.into_body(), max).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return app.refuse(metrics::Refusal::TooLarge, format!("the body is larger than {max} bytes"));
        }
        Err(BodyError::Timeout) => {
            return app.refuse(metrics::Refusal::Timeout, "the body did not arrive in time");
        }
        Err(BodyError::Broken(e)) => {
            return app.refuse(metrics::Refusal::BadRequest, format!("the body could not be read: {e}"));
        }
    };
    let request: VerifyRequest = match serde_json::from_slice(&body) {
        // serde also reads a struct from an array of its fields; the API is objects only.
        Ok(_) if body.trim_ascii_start().first() != Some(&b'{') => {
            return app.refuse(metrics::Refusal::BadRequest, "the body must be a JSON object");
        }
        Ok(r) => r,
        Err(e) => {
            return app
                .refuse(metrics::Refusal::BadRequest, format!("the body is not a verify request: {e}"));
        }
    };
    let now = app.now();
    let (reply, answer) = tokio::sync::oneshot::channel();
    let item = Verification {
        app: Arc::clone(&app),
        caller,
        text: request.code,
        amount: request.amount,
        challenge: request.challenge,
        now,
        reply,
    };
    let outcome = match app.workers.submit(item) {
        Some(()) => answer.await.ok(),
        None => None,
    };
    // The verification cannot panic; if its thread was lost all the same, nothing was accepted.
    let outcome = outcome.unwrap_or_else(|| Outcome::StoreFailed {
        kind: StoreErrorKind::Other,
        cause: "the verification's thread ended without an answer".into(),
    });
    let (status, body, counted, store) = match outcome {
        Outcome::Accepted(a) => {
            (StatusCode::OK, VerifyResponse::Accepted { record: Record::from(&*a) }, Ok(()), None)
        }
        Outcome::Rejected(e) => (
            StatusCode::OK,
            VerifyResponse::Rejected { code: e.code().into(), message: e.to_string() },
            Err(e),
            None,
        ),
        Outcome::StoreFailed { kind, cause } => {
            log_line!("paycode serve: terminal {}: state-unavailable: {cause}", caller.terminal_id);
            let e = Error::StateUnavailable;
            // spec: R-STATE-4: the store failed, so the code was neither
            // accepted nor rejected on its merits; a later try, at this node
            // or another, decides it. Unless the failure is in doubt: the
            // code may have been accepted, and the terminal asks for a new one.
            let body = VerifyResponse::Rejected { code: e.code().into(), message: store_message(kind) };
            (StatusCode::SERVICE_UNAVAILABLE, body, Err(e), Some(kind))
        }
    };
    app.metrics.verification(counted, store, started.elapsed());
    let mut response = json(status, &body);
    if status == StatusCode::SERVICE_UNAVAILABLE && store != Some(StoreErrorKind::InDoubt) {
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

async fn health<B: Backend>(State(app): State<Arc<App<B>>>) -> Response {
    let step = app.params().step_at(app.now()).unwrap_or(0);
    let worker = Arc::clone(&app);
    let reachable = app.workers.run(move || worker.issuer.store().high_water()).await;
    match reachable {
        Some(Ok(high_water)) => json(
            StatusCode::OK,
            &Health { status: "ok".into(), store: "reachable".into(), high_water: Some(high_water), step },
        ),
        Some(Err(e)) => {
            let store = store_message(e.kind());
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                &Health { status: "unavailable".into(), store, high_water: None, step },
            )
        }
        None => json(
            StatusCode::SERVICE_UNAVAILABLE,
            &Health { status: "unavailable".into(), store: "no answer".into(), high_water: None, step },
        ),
    }
}

async fn metrics<B: Backend>(State(app): State<Arc<App<B>>>) -> Response {
    let text = app.metrics.render(app.keyring.len());
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

async fn not_found() -> Response {
    json(StatusCode::NOT_FOUND, &Refusal { error: "not-found".into(), message: "no such route".into() })
}

async fn method_not_allowed() -> Response {
    json(
        StatusCode::METHOD_NOT_ALLOWED,
        &Refusal { error: "method-not-allowed".into(), message: "this route takes another method".into() },
    )
}

enum BodyError {
    TooLarge,
    Timeout,
    Broken(String),
}

async fn read_body(body: Body, max: usize) -> Result<bytes::Bytes, BodyError> {
    let collected = tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, max).collect()).await;
    match collected {
        Err(_) => Err(BodyError::Timeout),
        Ok(Ok(c)) => Ok(c.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Ok(Err(e)) => Err(BodyError::Broken(e.to_string())),
    }
}

/// A verifier of the hmac profile with every account enrolled, its log
/// records and its challenges those of terminal `terminal_id`.
fn hmac_verifier<S: StateStore>(keys: &Keys, terminal_id: u32, store: S) -> Verifier<S> {
    let mut v = Verifier::with_store(keys.params, terminal_id, store);
    v.enable_hmac();
    for (id, seed) in &keys.accounts {
        v.add_account(*id, seed);
    }
    v
}

/// What a terminal is told when the store failed; the cause goes to the node's log.
fn store_message(kind: StoreErrorKind) -> String {
    let what = match kind {
        StoreErrorKind::Unavailable => "is unavailable",
        StoreErrorKind::Full => "is full",
        StoreErrorKind::ReadOnly => "is read-only",
        StoreErrorKind::Busy => "stayed busy",
        StoreErrorKind::Incompatible => "has an incompatible format",
        StoreErrorKind::Corrupt => "is damaged",
        // spec: R-STATE-4: the one failure after which the code may have
        // been recorded: if it was, it is replayed from now on.
        StoreErrorKind::InDoubt => {
            return "state-unavailable: the state store did not confirm whether the code was recorded; \
                    pay with a new code"
                .to_owned();
        }
        _ => "failed",
    };
    format!("state-unavailable: the state store {what}; nothing was recorded, try again")
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = (status, body).into_response();
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
