//! `paycode serve`: the verification service (crate `paycode-service`) on
//! the issuer's keys, and `paycode serve token add|list|revoke`.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use paycode::StoreError;
use paycode_cli::files::{self, IssuerFile};
use paycode_cli::{FileError, Role};
use paycode_service::stores::{BadStoreUrl, PostgresBackend, SqliteBackend, StoreUrl};
use paycode_service::token::{BadTokenId, NewToken, TokenId};
use paycode_service::{Backend, Clock, Config, Keys, Listener, RateLimit, Service, StartError};

use super::{Done, EXIT_OK, Error, now_or};

/// Where the state and the tokens are, unless `--store` says otherwise.
const DEFAULT_STORE: &str = "sqlite:paycode.db";

/// `paycode serve`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ServeArgs {
    #[command(subcommand)]
    command: Option<ServeCommand>,
    /// The issuer file (hmac accounts, trust list, revocation list).
    #[arg(long, required = true)]
    issuer: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArg,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// TLS certificate chain (PEM); with --tls-key, the service speaks HTTPS only.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Terminal id in the hmac profile's acceptance records (the same on every node).
    #[arg(long, default_value_t = 0)]
    verifier_id: u32,
    /// Requests per second per token on this node.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    rate: u32,
    /// Requests a token may make at once (default: twice --rate).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    burst: Option<u32>,
    /// Largest request body, bytes: from 512 to 65536 (a request is one
    /// code: at most 432 bytes written plainly, about 2.4 KiB with every
    /// character escaped, larger only with added whitespace).
    #[arg(long, default_value_t = 4096, value_parser = max_body_parser())]
    max_body: usize,
    /// Threads that verify on this node, and its store connections: each
    /// thread takes the requests queued at that moment, up to 32, and
    /// verifies them in one store transaction.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    workers: u16,
    /// The store may have lost committed changes (restored from a backup, an
    /// asynchronous replica took over): enter quarantine first (spec R-STATE-5).
    #[arg(long)]
    quarantine: bool,
    /// Seconds between two evictions, which remove from the store the
    /// replay entries, ledger entries and challenge nonces no verdict needs
    /// any more (spec R-REPLAY-4).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    evict_every: u32,
}

/// Reads `--max-body`: a number of bytes the service takes.
fn max_body_parser() -> clap::builder::RangedU64ValueParser<usize> {
    let (min, max) = (paycode_service::MIN_MAX_BODY, paycode_service::MAX_MAX_BODY);
    clap::builder::RangedU64ValueParser::new().range(min as u64..=max as u64)
}

#[derive(Args)]
struct StoreArg {
    /// The state store: sqlite:PATH (created if absent) or postgres://… (shared by every node).
    #[arg(long, default_value = DEFAULT_STORE, value_parser = StoreParser)]
    store: StoreUrl,
}

/// Reads `--store`. A value that names no store is shown without what could
/// be a password in it, where clap's own message would repeat it whole.
#[derive(Clone)]
struct StoreParser;

impl clap::builder::TypedValueParser for StoreParser {
    type Value = StoreUrl;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<StoreUrl, clap::Error> {
        let name = arg.map_or_else(|| "--store".to_owned(), ToString::to_string);
        let invalid = |why: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for '{name}': {why}\n"),
            )
            .with_cmd(cmd)
        };
        let text = value.to_str().ok_or_else(|| invalid("not UTF-8".to_owned()))?;
        text.parse().map_err(|e: BadStoreUrl| invalid(e.to_string()))
    }
}

#[derive(Subcommand)]
enum ServeCommand {
    /// Bearer tokens: one per terminal, kept in the state store as hashes.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a token for a terminal; it is printed once, on standard output.
    Add {
        #[command(flatten)]
        store: StoreArg,
        /// The terminal the token speaks for.
        #[arg(long)]
        terminal: u32,
        /// A name for people.
        #[arg(long)]
        name: String,
    },
    /// List the tokens: ids, terminals, names, times; never secrets.
    List {
        #[command(flatten)]
        store: StoreArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id: every node refuses it within a second.
    Revoke {
        #[command(flatten)]
        store: StoreArg,
        /// The token's id (16 hex digits, as `token list` shows it).
        id: String,
    },
}

/// Why `paycode serve` could not run.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The state store could not be opened, read or written.
    Store(StoreUrl, StoreError),
    /// The node could not start on the store.
    Start(StoreUrl, StartError),
    /// The TLS certificate or key cannot be used.
    Tls(paycode_service::server::TlsError),
    /// The address cannot be listened on, or the runtime or signals failed.
    Io(String, std::io::Error),
    /// No live token has this id.
    NoToken(TokenId),
    /// Not a token id.
    BadId(String, BadTokenId),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Store(url, e) => write!(f, "{url}: {e}"),
            ServeError::Start(url, e) => write!(f, "{url}: {e}"),
            ServeError::Tls(e) => write!(f, "TLS: {e}"),
            ServeError::Io(what, e) => write!(f, "{what}: {e}"),
            ServeError::NoToken(id) => write!(f, "no live token {id}"),
            ServeError::BadId(id, e) => write!(f, "{id:?}: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

impl From<ServeError> for Error {
    fn from(e: ServeError) -> Error {
        Error::Serve(e)
    }
}

/// Runs `paycode serve …`.
pub fn run(args: ServeArgs) -> Result<u8, Error> {
    match args.command {
        Some(ServeCommand::Token { command }) => token(command),
        None => {
            let url = args.store.store.clone();
            let store = |e| ServeError::Store(url.clone(), e);
            match &url {
                // The store must exist: tokens are made first, and that makes it.
                StoreUrl::Sqlite(path) => {
                    serve(SqliteBackend::open_existing(path).map_err(store)?, &url, args)
                }
                StoreUrl::Postgres(pg) => serve(
                    PostgresBackend::connect_existing(pg, usize::from(args.workers)).map_err(store)?,
                    &url,
                    args,
                ),
            }
        }
    }
}

fn serve<B: Backend>(backend: B, url: &StoreUrl, args: ServeArgs) -> Result<u8, Error> {
    // clap requires --issuer unless a subcommand is given.
    let issuer = args.issuer.unwrap_or_default();
    let keys = keys(&IssuerFile::load(&issuer)?).map_err(FileError::content(Role::Issuer, &issuer))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(paycode_service::tls_config(cert, key).map_err(ServeError::Tls)?),
        _ => None,
    };
    let config = Config {
        verifier_id: args.verifier_id,
        max_body: args.max_body,
        rate: RateLimit { per_second: args.rate, burst: args.burst.unwrap_or(args.rate.saturating_mul(2)) },
        quarantine: args.quarantine,
        workers: usize::from(args.workers),
        evict_every: std::time::Duration::from_secs(u64::from(args.evict_every)),
        ..Config::default()
    };
    let service = Service::start(keys, backend, config, Clock::system())
        .map_err(|e| ServeError::Start(url.clone(), e))?;
    let io = |what: String| move |e| ServeError::Io(what, e);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io("the async runtime".into()))?;
    let served: Result<(), Error> = runtime.block_on(async {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let listener = Listener::bind(args.listen, tls).await.map_err(io(args.listen.to_string()))?;
        let addr = listener.local_addr().map_err(io(args.listen.to_string()))?;
        let shutdown = paycode_service::server::termination().map_err(io("signal handlers".into()))?;
        // The first line says where the node listens (port 0 picks a free one);
        // a node that cannot say it stops before it serves.
        outln!("listening on {scheme}://{addr}")?;
        errln!("paycode serve: state in {url}; SIGTERM or Ctrl-C stops");
        service.run(listener, shutdown).await.map_err(io(addr.to_string()))?;
        errln!("paycode serve: stopped");
        Ok(())
    });
    served?;
    Ok(EXIT_OK)
}

/// The issuer file's keys: accounts, trust list, revocation list.
fn keys(file: &IssuerFile) -> Result<Keys, paycode_cli::ContentError> {
    let accounts = file
        .accounts
        .iter()
        .map(|a| Ok((a.account_id, files::seed_from_hex(&a.seed).map_err(seed_error)?)))
        .collect::<Result<Vec<_>, paycode_cli::ContentError>>()?;
    Ok(Keys {
        params: file.params.params()?,
        accounts,
        root: file.issuer()?.root_public_key().map_err(paycode_cli::ContentError::TrustList)?,
        trust: file.trust_list()?,
        revocation: file.revocation_list()?,
    })
}

fn token(command: TokenCommand) -> Result<u8, Error> {
    let url = match &command {
        TokenCommand::Add { store, .. }
        | TokenCommand::List { store, .. }
        | TokenCommand::Revoke { store, .. } => store.store.clone(),
    };
    let store = |e| ServeError::Store(url.clone(), e);
    match &url {
        StoreUrl::Sqlite(path) => token_on(&SqliteBackend::open(path).map_err(store)?, &url, command),
        StoreUrl::Postgres(pg) => token_on(&PostgresBackend::connect(pg, 1).map_err(store)?, &url, command),
    }
}

fn token_on<B: Backend>(backend: &B, url: &StoreUrl, command: TokenCommand) -> Result<u8, Error> {
    let tokens = backend.tokens();
    let failed = |e| ServeError::Store(url.clone(), e);
    match command {
        TokenCommand::Add { terminal, name, .. } => {
            let token = NewToken::generate().map_err(Error::Randomness)?;
            tokens.insert(&token.record(terminal, &name, now_or(None))).map_err(failed)?;
            errln!(
                "paycode serve: token {} for terminal {terminal} ({name}); it is shown once, below",
                token.id()
            );
            // The secret is stored before it is shown; one that cannot be
            // shown was never delivered, and its token must not stay live.
            match outln!("{}", token.expose().as_str()) {
                Ok(()) => Ok(EXIT_OK),
                Err(Error::Stdout { source, .. }) => {
                    let id = token.id().to_string();
                    let done = match tokens.revoke(token.id(), now_or(None)) {
                        Ok(true) => Done::TokenRevoked { id },
                        Ok(false) => Done::TokenLive { id, why: "the store does not hold it".into() },
                        Err(e) => Done::TokenLive { id, why: e.to_string() },
                    };
                    Err(Error::Stdout { source, done })
                }
                Err(other) => Err(other),
            }
        }
        TokenCommand::List { json, .. } => {
            let list = tokens.list().map_err(failed)?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t.id.to_string(), "terminal_id": t.terminal_id, "name": t.name,
                            "created_at": t.created_at, "revoked_at": t.revoked_at,
                        })
                    })
                    .collect();
                outln!("{}", serde_json::Value::Array(rows))?;
            } else {
                outln!("{:<16}  {:>10}  {:>10}  {:>10}  name", "id", "terminal", "created", "revoked")?;
                for t in &list {
                    let revoked = t.revoked_at.map_or_else(|| "-".to_owned(), |r| r.to_string());
                    outln!(
                        "{}  {:>10}  {:>10}  {:>10}  {}",
                        t.id,
                        t.terminal_id,
                        t.created_at,
                        revoked,
                        t.name
                    )?;
                }
            }
            Ok(EXIT_OK)
        }
        TokenCommand::Revoke { id, .. } => {
            let parsed: TokenId = id.parse().map_err(|e| ServeError::BadId(id, e))?;
            if tokens.revoke(parsed, now_or(None)).map_err(failed)? {
                errln!("paycode serve: token {parsed} revoked");
                Ok(EXIT_OK)
            } else {
                Err(ServeError::NoToken(parsed).into())
            }
        }
    }
}

fn seed_error(e: files::SeedError) -> paycode_cli::ContentError {
    match e {
        files::SeedError::Hex(source) => paycode_cli::ContentError::Hex { field: "accounts[].seed", source },
        _ => paycode_cli::ContentError::SeedLength { field: "accounts[].seed" },
    }
}
