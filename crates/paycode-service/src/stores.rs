//! The service's backends on the database stores: `sqlite:PATH`, the
//! embedded default, and `postgres://…`, which any number of nodes share.
//! The issuer's verifier is the store's terminal 0; each terminal's
//! ed25519 records and nonce set are that terminal's, in the same tables,
//! and the issuer's hmac codes that pay a terminal's challenge use that
//! terminal's nonce set (see [`paycode_store::Scope`]); the tokens are in
//! the store's `tokens` table.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use paycode::revocation::{ListMark, RevocationList};
use paycode::store::{Call, Eviction, StoreErrorKind};
use paycode::{StateStore, StoreError};
use paycode_store::{PostgresOptions, PostgresStore, Scope, SqliteStore, TokenRow};

use crate::backend::Backend;
use crate::token::{TokenHash, TokenId, TokenRecord, TokenStore};

/// Where the state lives, as `--store` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite:PATH`: a SQLite file, created if absent.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`: a PostgreSQL database, whose
    /// paycode schema is created if absent.
    Postgres(String),
}

/// A `--store` value that names no store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadStoreUrl(String);

impl core::fmt::Display for BadStoreUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?} is not sqlite:PATH or postgres://…", self.0)
    }
}

impl std::error::Error for BadStoreUrl {}

impl FromStr for StoreUrl {
    type Err = BadStoreUrl;

    fn from_str(s: &str) -> Result<StoreUrl, BadStoreUrl> {
        if let Some(path) = s.strip_prefix("sqlite:").filter(|p| !p.is_empty()) {
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(s.to_owned()));
        }
        Err(BadStoreUrl(s.to_owned()))
    }
}

impl core::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StoreUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            // Without the password, if the URL has one.
            StoreUrl::Postgres(url) => match url.split_once('@') {
                Some((head, tail)) if head.contains(':') && head.matches(':').count() > 1 => {
                    let user = head.rsplit_once(':').map_or(head, |(u, _)| u);
                    write!(f, "{user}:…@{tail}")
                }
                _ => f.write_str(url),
            },
        }
    }
}

/// A store's records seen as one verifier's: the issuer's (terminal 0),
/// the issuer's paying one terminal's challenges, or a terminal's.
#[derive(Debug)]
pub struct Scoped<S> {
    store: Arc<S>,
    scope: Scope,
}

/// The stores that keep each terminal's records apart.
trait PerTerminal: StateStore {
    fn transact_at(&self, scope: Scope, call: &mut Call<'_>) -> Result<(), StoreError>;

    fn transact_all_at(&self, scope: Scope, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>>;
}

impl PerTerminal for SqliteStore {
    fn transact_at(&self, scope: Scope, call: &mut Call<'_>) -> Result<(), StoreError> {
        SqliteStore::transact_at(self, scope, call)
    }

    fn transact_all_at(&self, scope: Scope, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>> {
        SqliteStore::transact_all_at(self, scope, calls)
    }
}

impl PerTerminal for PostgresStore {
    fn transact_at(&self, scope: Scope, call: &mut Call<'_>) -> Result<(), StoreError> {
        PostgresStore::transact_at(self, scope, call)
    }

    fn transact_all_at(&self, scope: Scope, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>> {
        PostgresStore::transact_all_at(self, scope, calls)
    }
}

#[allow(private_bounds)]
impl<S: PerTerminal> StateStore for Scoped<S> {
    fn transact_call(&self, call: &mut Call<'_>) -> Result<(), StoreError> {
        self.store.transact_at(self.scope, call)
    }

    fn transact_all(&self, calls: &mut [Call<'_>]) -> Vec<Result<(), StoreError>> {
        self.store.transact_all_at(self.scope, calls)
    }

    fn observe(&self, step: u64) -> Result<(), StoreError> {
        self.store.observe(step)
    }

    fn high_water(&self) -> Result<u64, StoreError> {
        self.store.high_water()
    }

    fn quarantine(&self, floor: u64, high_water: u64) -> Result<(), StoreError> {
        self.store.quarantine(floor, high_water)
    }

    fn install_revocation_list(
        &self,
        list: &RevocationList,
        newer: &dyn Fn(ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.store.install_revocation_list(list, newer)
    }

    fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
        self.store.revocation_list()
    }

    fn withdraw_revocation_list(&self) -> Result<(), StoreError> {
        self.store.withdraw_revocation_list()
    }

    fn revocation_withdrawn(&self) -> Result<bool, StoreError> {
        self.store.revocation_withdrawn()
    }

    fn install_trust_list(
        &self,
        list: &paycode::TrustList,
        newer: &dyn Fn(paycode::revocation::ListMark) -> bool,
    ) -> Result<bool, StoreError> {
        self.store.install_trust_list(list, newer)
    }

    fn trust_list(&self) -> Result<Option<paycode::TrustList>, StoreError> {
        self.store.trust_list()
    }

    fn last_accepted_at(&self) -> Result<Option<u64>, StoreError> {
        self.store.last_accepted_at()
    }

    fn evict(&self, step: u64, plan: &dyn Fn(u64) -> Eviction) -> Result<(), StoreError> {
        self.store.evict(step, plan)
    }
}

/// The state and tokens in a SQLite file.
#[derive(Debug)]
pub struct SqliteBackend(Arc<SqliteStore>);

/// The state and tokens in a PostgreSQL database.
#[derive(Debug)]
pub struct PostgresBackend(Arc<PostgresStore>);

impl SqliteBackend {
    /// Opens the file at `path`, creating the store if the file is absent.
    ///
    /// # Errors
    ///
    /// [`StoreError`] naming the file if it cannot be opened or created.
    pub fn open(path: &std::path::Path) -> Result<SqliteBackend, StoreError> {
        let store = if path.exists() { SqliteStore::open(path)? } else { SqliteStore::create(path)? };
        Ok(SqliteBackend(Arc::new(store)))
    }

    /// The store.
    pub fn store(&self) -> &SqliteStore {
        &self.0
    }
}

impl PostgresBackend {
    /// Connects to the database at `url` with up to `connections`
    /// connections, creating the paycode schema if the database has none.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the server cannot be reached or the schema is not
    /// one this version reads.
    pub fn connect(url: &str, connections: usize) -> Result<PostgresBackend, StoreError> {
        let options = PostgresOptions { max_connections: connections.max(1), ..PostgresOptions::default() };
        let store = match PostgresStore::connect(url, options.clone()) {
            Ok(store) => store,
            // No schema yet: create it; if another node just did, connect to it.
            Err(e) if e.kind() == StoreErrorKind::Incompatible => {
                match PostgresStore::create(url, options.clone()) {
                    Ok(store) => store,
                    Err(_) => PostgresStore::connect(url, options)?,
                }
            }
            Err(e) => return Err(e),
        };
        Ok(PostgresBackend(Arc::new(store)))
    }

    /// The store.
    pub fn store(&self) -> &PostgresStore {
        &self.0
    }
}

impl Backend for SqliteBackend {
    type Store = Scoped<SqliteStore>;

    fn issuer(&self) -> Result<Scoped<SqliteStore>, StoreError> {
        Ok(Scoped { store: Arc::clone(&self.0), scope: Scope::terminal(0) })
    }

    fn issuer_for(&self, terminal: u32) -> Result<Scoped<SqliteStore>, StoreError> {
        Ok(Scoped { store: Arc::clone(&self.0), scope: Scope { records: 0, nonces: terminal } })
    }

    fn terminal(&self, terminal: u32) -> Result<Scoped<SqliteStore>, StoreError> {
        Ok(Scoped { store: Arc::clone(&self.0), scope: Scope::terminal(terminal) })
    }

    fn tokens(&self) -> &dyn TokenStore {
        self
    }

    /// Eviction deletes the rows past their bounds whichever terminal they
    /// are, so the issuer's store reaches every terminal's.
    fn sweep(&self, _terminals: &[u32]) -> Result<Vec<Scoped<SqliteStore>>, StoreError> {
        Ok(vec![self.issuer()?])
    }
}

impl Backend for PostgresBackend {
    type Store = Scoped<PostgresStore>;

    fn issuer(&self) -> Result<Scoped<PostgresStore>, StoreError> {
        Ok(Scoped { store: Arc::clone(&self.0), scope: Scope::terminal(0) })
    }

    fn issuer_for(&self, terminal: u32) -> Result<Scoped<PostgresStore>, StoreError> {
        Ok(Scoped { store: Arc::clone(&self.0), scope: Scope { records: 0, nonces: terminal } })
    }

    fn terminal(&self, terminal: u32) -> Result<Scoped<PostgresStore>, StoreError> {
        Ok(Scoped { store: Arc::clone(&self.0), scope: Scope::terminal(terminal) })
    }

    fn tokens(&self) -> &dyn TokenStore {
        self
    }

    /// Eviction deletes the rows past their bounds whichever terminal they
    /// are, so the issuer's store reaches every terminal's.
    fn sweep(&self, _terminals: &[u32]) -> Result<Vec<Scoped<PostgresStore>>, StoreError> {
        Ok(vec![self.issuer()?])
    }
}

impl TokenStore for SqliteBackend {
    fn insert(&self, token: &TokenRecord) -> Result<(), StoreError> {
        self.0.insert_token(&row(token))
    }

    fn list(&self) -> Result<Vec<TokenRecord>, StoreError> {
        Ok(self.0.tokens()?.into_iter().map(record).collect())
    }

    fn revoke(&self, id: TokenId, at: u64) -> Result<bool, StoreError> {
        self.0.revoke_token(id.to_bytes(), at)
    }
}

impl TokenStore for PostgresBackend {
    fn insert(&self, token: &TokenRecord) -> Result<(), StoreError> {
        self.0.insert_token(&row(token))
    }

    fn list(&self) -> Result<Vec<TokenRecord>, StoreError> {
        Ok(self.0.tokens()?.into_iter().map(record).collect())
    }

    fn revoke(&self, id: TokenId, at: u64) -> Result<bool, StoreError> {
        self.0.revoke_token(id.to_bytes(), at)
    }
}

fn row(t: &TokenRecord) -> TokenRow {
    TokenRow {
        id: t.id.to_bytes(),
        hash: t.hash.to_bytes(),
        terminal_id: t.terminal_id,
        name: t.name.clone(),
        created_at: t.created_at,
        revoked_at: t.revoked_at,
    }
}

fn record(r: TokenRow) -> TokenRecord {
    TokenRecord {
        id: TokenId::from_bytes(r.id),
        hash: TokenHash::from_bytes(r.hash),
        terminal_id: r.terminal_id,
        name: r.name,
        created_at: r.created_at,
        revoked_at: r.revoked_at,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn store_urls() {
        assert_eq!("sqlite:a/b.db".parse(), Ok(StoreUrl::Sqlite("a/b.db".into())));
        assert!("sqlite:".parse::<StoreUrl>().is_err());
        assert!("mysql://x".parse::<StoreUrl>().is_err());
        assert!("a.db".parse::<StoreUrl>().is_err());
        let pg: StoreUrl = "postgres://paycode:secret@db:5432/pay".parse().unwrap();
        assert_eq!(pg, StoreUrl::Postgres("postgres://paycode:secret@db:5432/pay".into()));
        assert_eq!(pg.to_string(), "postgres://paycode:…@db:5432/pay");
        let plain: StoreUrl = "postgresql://paycode@127.0.0.1:5432/postgres".parse().unwrap();
        assert_eq!(plain.to_string(), "postgresql://paycode@127.0.0.1:5432/postgres");
    }
}
