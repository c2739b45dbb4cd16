//! `paycode serve`: the verification service (crate `paycode-service`) on
//! the issuer's keys, and `paycode serve token add|list|revoke`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use paycode_cli::files::{self, IssuerFile};
use paycode_service::stores::{PostgresBackend, SqliteBackend, StoreUrl};
use paycode_service::token::{NewToken, TokenId};
use paycode_service::{Backend, Clock, Config, Keys, Listener, RateLimit, Service};

use crate::{Failure, now_or};

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
    /// Largest request body, bytes.
    #[arg(long, default_value_t = 4096)]
    max_body: usize,
    /// Verifications in progress at once on this node (and store connections).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    workers: u16,
    /// The store may have lost committed changes (restored from a backup, an
    /// asynchronous replica took over): enter quarantine first (spec R-STATE-5).
    #[arg(long)]
    quarantine: bool,
}

#[derive(Args)]
struct StoreArg {
    /// The state store: sqlite:PATH (created if absent) or postgres://… (shared by every node).
    #[arg(long, default_value = DEFAULT_STORE)]
    store: StoreUrl,
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

/// Runs `paycode serve …`.
pub fn main(args: ServeArgs) -> Result<u8, Failure> {
    match args.command {
        Some(ServeCommand::Token { command }) => token(command),
        None => {
            let url = args.store.store.clone();
            match &url {
                StoreUrl::Sqlite(path) => {
                    serve(SqliteBackend::open(path).map_err(|e| store(&url, &e))?, &url, args)
                }
                StoreUrl::Postgres(pg) => {
                    let backend = PostgresBackend::connect(pg, usize::from(args.workers))
                        .map_err(|e| store(&url, &e))?;
                    serve(backend, &url, args)
                }
            }
        }
    }
}

fn serve<B: Backend>(backend: B, url: &StoreUrl, args: ServeArgs) -> Result<u8, Failure> {
    let issuer = args.issuer.ok_or_else(|| Failure("--issuer is required".into()))?;
    let keys = keys(&files::read_secret_json(&issuer)?)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(paycode_service::tls_config(cert, key).map_err(|e| Failure(format!("TLS: {e}")))?)
        }
        _ => None,
    };
    let config = Config {
        verifier_id: args.verifier_id,
        max_body: args.max_body,
        rate: RateLimit { per_second: args.rate, burst: args.burst.unwrap_or(args.rate.saturating_mul(2)) },
        quarantine: args.quarantine,
        workers: usize::from(args.workers),
        ..Config::default()
    };
    let service =
        Service::start(keys, backend, config, Clock::system()).map_err(|e| Failure(format!("{url}: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let listener =
            Listener::bind(args.listen, tls).await.map_err(|e| Failure(format!("{}: {e}", args.listen)))?;
        let addr = listener.local_addr()?;
        let shutdown = paycode_service::server::termination()?;
        // The first line says where the node listens (port 0 picks a free one).
        println!("listening on {scheme}://{addr}");
        eprintln!("paycode serve: state in {url}; SIGTERM or Ctrl-C stops");
        service.run(listener, shutdown).await?;
        eprintln!("paycode serve: stopped");
        Ok(0)
    })
}

/// The issuer file's keys: accounts, trust list, revocation list.
fn keys(file: &IssuerFile) -> Result<Keys, Failure> {
    let accounts = file
        .accounts
        .iter()
        .map(|a| Ok((a.account_id, files::seed_from_hex(&a.seed)?)))
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(Keys {
        params: file.params.params()?,
        accounts,
        trust: file.trust_list()?,
        revocation: file.revocation_list()?,
    })
}

fn token(command: TokenCommand) -> Result<u8, Failure> {
    let url = match &command {
        TokenCommand::Add { store, .. }
        | TokenCommand::List { store, .. }
        | TokenCommand::Revoke { store, .. } => store.store.clone(),
    };
    match &url {
        StoreUrl::Sqlite(path) => {
            token_on(&SqliteBackend::open(path).map_err(|e| store(&url, &e))?, &url, command)
        }
        StoreUrl::Postgres(pg) => {
            token_on(&PostgresBackend::connect(pg, 1).map_err(|e| store(&url, &e))?, &url, command)
        }
    }
}

fn token_on<B: Backend>(backend: &B, url: &StoreUrl, command: TokenCommand) -> Result<u8, Failure> {
    let tokens = backend.tokens();
    let failed = |e: paycode::StoreError| store(url, &e);
    match command {
        TokenCommand::Add { terminal, name, .. } => {
            let token = NewToken::generate().map_err(|e| Failure(format!("no randomness: {e}")))?;
            tokens.insert(&token.record(terminal, &name, now_or(None))).map_err(failed)?;
            eprintln!(
                "paycode serve: token {} for terminal {terminal} ({name}); it is shown once, below",
                token.id()
            );
            println!("{}", token.expose().as_str());
            Ok(0)
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
                println!("{}", serde_json::Value::Array(rows));
            } else {
                println!("{:<16}  {:>10}  {:>10}  {:>10}  name", "id", "terminal", "created", "revoked");
                for t in &list {
                    let revoked = t.revoked_at.map_or_else(|| "-".to_owned(), |r| r.to_string());
                    println!(
                        "{}  {:>10}  {:>10}  {:>10}  {}",
                        t.id, t.terminal_id, t.created_at, revoked, t.name
                    );
                }
            }
            Ok(0)
        }
        TokenCommand::Revoke { id, .. } => {
            let id: TokenId = id.parse().map_err(|e| Failure(format!("{id:?}: {e}")))?;
            if tokens.revoke(id, now_or(None)).map_err(failed)? {
                eprintln!("paycode serve: token {id} revoked");
                Ok(0)
            } else {
                Err(Failure(format!("no live token {id} in {url}")))
            }
        }
    }
}

fn store(url: &StoreUrl, e: &paycode::StoreError) -> Failure {
    Failure(format!("{url}: {e}"))
}
