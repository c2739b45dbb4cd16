#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// `eprintln!` that drops a line standard error cannot take (a full disk),
/// where `eprintln!` panics: there is nowhere else to report it.
macro_rules! log_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, $($arg)*);
    }};
}

pub mod api;
mod app;
mod auth;
pub mod backend;
pub mod client;
mod limit;
pub mod load;
mod metrics;
pub mod server;
pub mod stores;
pub mod token;
mod workers;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use paycode::revocation::RevocationList;
use paycode::{Params, PublicKey, Seed, StoreError, TrustList};

pub use auth::Caller;
pub use backend::{Backend, MemoryBackend};
pub use limit::RateLimit;
pub use server::{Listener, serve, tls_config};

/// What the service verifies with: the issuer's parameters, the hmac
/// accounts' seeds, the root key and the trust list and the current revocation list.
#[derive(Clone, Debug)]
pub struct Keys {
    /// The time parameters, the same on every node (spec: R-TIME-6).
    pub params: Params,
    /// The enrolled hmac accounts.
    pub accounts: Vec<(u64, Seed)>,
    /// The issuer's root public key, under which the trust list is checked
    /// (spec: R-TRUST-3).
    pub root: PublicKey,
    /// The issuer's keys, for the ed25519 codes terminals forward.
    pub trust: TrustList,
    /// The issuer's current revocation list, if it has one.
    pub revocation: Option<RevocationList>,
}

/// The smallest [`Config::max_body`] a node takes, bytes. The largest verify
/// request written without spaces or escapes is 432 bytes: a 208-byte
/// ed25519 code (316 characters of QR text), a challenge (60 characters) and
/// an amount of 20 digits. A smaller limit would refuse codes.
pub const MIN_MAX_BODY: usize = 512;

/// The largest [`Config::max_body`] a node takes, bytes. The request is one
/// code: the largest one is 432 bytes written plainly, and 2407 bytes (about
/// 2.4 KiB) with every character of its names and strings escaped
/// (`\u0050`), which the default limit of 4096 bytes holds. Whitespace
/// between its parts can make a request any size: 64 KiB leaves room for
/// some, while it bounds what the bodies of 4096 connections can make a
/// node hold to 256 MiB.
pub const MAX_MAX_BODY: usize = 64 * 1024;

/// How a node runs.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// The terminal id in the hmac profile's acceptance records: the
    /// issuer's online verifier's own id, the same on every node.
    pub verifier_id: u32,
    /// Largest request body, bytes (413 above): from [`MIN_MAX_BODY`] to
    /// [`MAX_MAX_BODY`], or the node does not start.
    pub max_body: usize,
    /// The per-token rate limit on this node (429 above).
    pub rate: RateLimit,
    /// How often the node reloads the token table: a token added or revoked
    /// takes effect at every node within this time.
    pub token_refresh: Duration,
    /// Enter quarantine before the first verification, for a store that may
    /// have lost committed changes (spec: R-STATE-5).
    pub quarantine: bool,
    /// Threads that run verifications, which block on the store: the most
    /// store transactions in progress at once on this node (a PostgreSQL
    /// store wants about as many connections). Each takes the requests
    /// queued at that moment, up to 32, into one transaction.
    pub workers: usize,
    /// How often the node removes from the store what eviction allows
    /// (spec: R-REPLAY-4, R-LIMIT-2, R-CHAL-4): replay entries that are no
    /// longer live, ledger entries and counter marks past their
    /// credential's validity, the nonces of closed challenges. Without it
    /// the store grows with every payer and every challenge.
    pub evict_every: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            verifier_id: 0,
            max_body: 4096,
            rate: RateLimit::default(),
            token_refresh: Duration::from_secs(1),
            quarantine: false,
            workers: 4,
            evict_every: Duration::from_secs(60),
        }
    }
}

/// The clock the service reads: the one place that reads time (spec: R-TIME-7).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// The system clock, in unix seconds.
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
        }))
    }

    /// A clock that reads `f` (for tests).
    pub fn from_fn(f: impl Fn() -> u64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }

    /// The time now, unix seconds.
    pub fn now(&self) -> u64 {
        (self.0)()
    }
}

impl core::fmt::Debug for Clock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Clock").finish_non_exhaustive()
    }
}

/// Why a node could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The state store could not be opened or read.
    Store(StoreError),
    /// The clock reads a time before the epoch `T0`.
    Clock(paycode::Error),
    /// The verification threads could not be started.
    Threads(std::io::Error),
    /// [`Config::max_body`] is outside [`MIN_MAX_BODY`] to [`MAX_MAX_BODY`].
    MaxBody(usize),
}

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StartError::Store(e) => write!(f, "state store: {e}"),
            StartError::Clock(e) => write!(f, "clock: {e}"),
            StartError::Threads(e) => write!(f, "starting the verification threads: {e}"),
            StartError::MaxBody(n) => write!(
                f,
                "the largest request body, {n} bytes, is not from {MIN_MAX_BODY} to {MAX_MAX_BODY} bytes"
            ),
        }
    }
}

impl std::error::Error for StartError {}

impl From<StoreError> for StartError {
    fn from(e: StoreError) -> StartError {
        StartError::Store(e)
    }
}

/// One node of the service.
pub struct Service<B: Backend> {
    app: Arc<app::App<B>>,
}

impl<B: Backend> Clone for Service<B> {
    /// Another handle to the same node: its verifiers, store and tokens (to
    /// watch it, say, while [`Service::run`] serves).
    fn clone(&self) -> Service<B> {
        Service { app: Arc::clone(&self.app) }
    }
}

impl<B: Backend> core::fmt::Debug for Service<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

impl<B: Backend> Service<B> {
    /// A node over `backend`: the token table loaded, the issuer's
    /// revocation list installed and, with `config.quarantine`, quarantine
    /// entered. Blocks on the store; call it before serving, or from a
    /// blocking thread.
    ///
    /// # Errors
    ///
    /// [`StartError`] if the store cannot be read or written.
    pub fn start(keys: Keys, backend: B, config: Config, clock: Clock) -> Result<Service<B>, StartError> {
        Ok(Service { app: Arc::new(app::App::new(keys, backend, config, clock)?) })
    }

    /// The routes, to serve with [`serve`] or any other hyper server.
    pub fn router(&self) -> axum::Router {
        self.app.router()
    }

    /// Reloads the token table now. Blocks on the store.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store cannot be read; the node keeps its copy.
    pub fn reload_tokens(&self) -> Result<(), StoreError> {
        let tokens = self.app.backend.tokens().list()?;
        self.app.keyring.load(&tokens);
        Ok(())
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.app.backend
    }

    /// Removes from the store what eviction allows at the clock's time
    /// now, for the issuer and every terminal that has a token. Blocks on
    /// the store.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store cannot be read or written; nothing
    /// that a verdict depends on is lost then.
    pub fn evict(&self) -> Result<(), StoreError> {
        self.app.evict()
    }

    /// Builds the hmac handle indexes of the steps a code may name at the
    /// clock's time now and of the step after (spec: R-HANDLE-3), those not
    /// built yet; [`Service::run`] does so twice a step. A verification that
    /// finds its step's index missing builds it itself. Blocks for the
    /// build: about a second per step and million accounts.
    ///
    /// # Errors
    ///
    /// [`paycode::Error::TimeBeforeEpoch`] if the clock reads before `T0`.
    pub fn prepare_handles(&self) -> Result<(), paycode::Error> {
        self.app.prepare_handles()
    }

    /// The steps whose hmac handle index is built, ascending.
    pub fn indexed_steps(&self) -> Vec<u64> {
        self.app.indexed_steps()
    }

    /// Serves on `listener` until `shutdown` completes, reloading the token
    /// table every `config.token_refresh`, evicting every
    /// `config.evict_every` and, with hmac accounts, building the next
    /// step's handle index twice a step ([`Service::prepare_handles`]), so
    /// that no payment waits for one; then lets the requests in flight
    /// finish.
    ///
    /// # Errors
    ///
    /// The listener failed.
    pub async fn run(self, listener: Listener, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let refresh = self.app.config.token_refresh;
        let app = Arc::clone(&self.app);
        let reloader = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(refresh);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match app.reload_tokens().await {
                    Some(Ok(())) | None => {}
                    // The store is down: keep the copy; revocations wait for it.
                    Some(Err(e)) => log_line!("paycode serve: reloading tokens: {e}"),
                }
            }
        });
        let every = self.app.config.evict_every;
        let app = Arc::clone(&self.app);
        let sweeper = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match app.evict_on_worker().await {
                    Some(Ok(())) | None => {}
                    // The store is down: the rows wait for the next sweep.
                    Some(Err(e)) => log_line!("paycode serve: evicting: {e}"),
                }
            }
        });
        let preparer = self.app.has_accounts().then(|| {
            // Twice a step: a tick that comes late still leaves one in every step.
            let half = Duration::from_millis(self.app.params().step_secs().saturating_mul(500));
            let app = Arc::clone(&self.app);
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(half);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    // A build takes a core for up to seconds: not on the
                    // runtime's threads, nor on the verification threads.
                    let app = Arc::clone(&app);
                    match tokio::task::spawn_blocking(move || app.prepare_handles()).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => log_line!("paycode serve: building the handle index: {e}"),
                        Err(e) => log_line!("paycode serve: building the handle index: {e}"),
                    }
                }
            })
        });
        let served = serve(self.router(), listener, shutdown).await;
        reloader.abort();
        sweeper.abort();
        if let Some(preparer) = preparer {
            preparer.abort();
        }
        served
    }
}
