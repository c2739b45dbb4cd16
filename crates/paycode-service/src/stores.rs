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

/// Where the state lives, as `--store` names it. It shows, and prints for
/// debugging, without a password.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite:PATH`: a SQLite file, created if absent.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`: a PostgreSQL database, whose
    /// paycode schema is created if absent.
    Postgres(String),
}

/// A `--store` value that names no store. It shows, and prints for
/// debugging, without what could be a password.
#[derive(Clone, PartialEq, Eq)]
pub struct BadStoreUrl(String);

impl core::fmt::Debug for BadStoreUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("BadStoreUrl").field(&redact(&self.0)).finish()
    }
}

impl core::fmt::Display for BadStoreUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?} is not sqlite:PATH or postgres://…", redact(&self.0))
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

impl core::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StoreUrl::Sqlite(p) => f.debug_tuple("Sqlite").field(p).finish(),
            StoreUrl::Postgres(url) => f.debug_tuple("Postgres").field(&redact(url)).finish(),
        }
    }
}

impl core::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StoreUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            StoreUrl::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// Shown in place of a password.
const HIDDEN: &str = "…";

/// The parameters the PostgreSQL client reads from a URL's query, which end
/// a password given there: a password may hold `&`, but not `&` followed by
/// one of these and `=`.
const PARAMETERS: [&str; 23] = [
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslcert",
    "sslkey",
    "sslmode",
    "sslnegotiation",
    "sslrootcert",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
    "replication",
];

/// `text`, a store URL or what was given as one, with every password in it
/// replaced by `…`: the user information's after its first `:`, whether it
/// ends at the first `@` (as the PostgreSQL client reads it) or at the last
/// (a password holding an unescaped `@`); the value of each query parameter
/// whose name holds `password` in any case, percent-encoded or not, up to
/// the next parameter the client knows; and, in text that is not a URL (a
/// `key=value` connection string), all that follows the word `password`.
fn redact(text: &str) -> String {
    let mut hidden = vec![false; text.len()];
    let mut hide = |from: usize, to: usize| {
        if let Some(span) = hidden.get_mut(from..to) {
            span.fill(true);
        }
    };
    let start = text.find("://").map(|i| i + 3);
    let Some(start) = start else {
        if let Some(i) = text.to_ascii_lowercase().find("password") {
            hide(i + "password".len(), text.len());
        }
        if let Some((colon, at)) = credentials(text, 0, text.rfind('@')) {
            hide(colon + 1, at);
        }
        return show(text, &hidden);
    };
    // Query parameters, from any `?` or `&`: a password may hold either.
    let mut values = Vec::new();
    for (i, _) in text.match_indices(['?', '&']) {
        let key = text.get(i + 1..).unwrap_or("");
        let Some(eq) = key.find(['=', '&', '?']).filter(|&e| key.get(e..e + 1) == Some("=")) else {
            continue;
        };
        if !decode(key.get(..eq).unwrap_or("")).contains("password") {
            continue;
        }
        let from = i + 1 + eq + 1;
        let to = next_parameter(text, from).unwrap_or(text.len());
        values.push((from, to));
    }
    for &(from, to) in &values {
        hide(from, to);
    }
    let in_value = |at: &usize| values.iter().any(|&(from, to)| (from..to).contains(at));
    // The user information as the client reads it, to the first `@`; and to
    // the last `@` outside the query's passwords.
    let first = text.get(start..).and_then(|r| r.find('@')).map(|at| start + at);
    let last = text.rmatch_indices('@').map(|(at, _)| at).find(|at| *at >= start && !in_value(at));
    for at in [first, last] {
        if let Some((colon, at)) = credentials(text, start, at) {
            hide(colon + 1, at);
        }
    }
    show(text, &hidden)
}

/// The first `:` in `text` from `start` to `at`, with `at`, if there is one.
fn credentials(text: &str, start: usize, at: Option<usize>) -> Option<(usize, usize)> {
    let at = at?;
    let colon = text.get(start..at)?.find(':')?;
    Some((start + colon, at))
}

/// Where the `&` of the next parameter the client knows is, from `from`.
fn next_parameter(text: &str, from: usize) -> Option<usize> {
    text.match_indices('&').map(|(at, _)| at).filter(|&at| at >= from).find(|&at| {
        let key = text.get(at + 1..).unwrap_or("");
        key.find('=').is_some_and(|eq| {
            let name = decode(key.get(..eq).unwrap_or(""));
            PARAMETERS.contains(&name.as_str())
        })
    })
}

/// A query key percent-decoded, in lower case.
fn decode(key: &str) -> String {
    let mut out = Vec::with_capacity(key.len());
    let mut bytes = key.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let hex = bytes.clone().take(2).collect::<Vec<u8>>();
        match std::str::from_utf8(&hex)
            .ok()
            .filter(|h| h.len() == 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            Some(byte) => {
                out.push(byte);
                bytes.nth(1);
            }
            None => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).to_ascii_lowercase()
}

/// `text` with each run of hidden bytes shown as one `…`.
fn show(text: &str, hidden: &[bool]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut hiding = false;
    for (i, c) in text.char_indices() {
        let hide = hidden.get(i).copied().unwrap_or(false);
        if hide && !hiding {
            out.push_str(HIDDEN);
        }
        if !hide {
            out.push(c);
        }
        hiding = hide;
    }
    out
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

    /// Opens the store in the file at `path`, which must exist: a service
    /// never starts over a state it made itself, since a store lost and
    /// made again, empty, would accept again every code accepted before
    /// (spec: R-REPLAY-5). Making the tokens makes the store.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Unavailable`] naming the file if there is none;
    /// else as [`SqliteStore::open`].
    pub fn open_existing(path: &std::path::Path) -> Result<SqliteBackend, StoreError> {
        match SqliteStore::open(path) {
            Err(e) if !path.exists() => Err(how_to_make(&e)),
            store => Ok(SqliteBackend(Arc::new(store?))),
        }
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

    /// Connects to the database at `url`, which must hold the paycode
    /// schema already, as [`SqliteBackend::open_existing`] opens a file.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Incompatible`] if the database has no paycode
    /// schema or a newer one; else as [`PostgresBackend::connect`].
    pub fn connect_existing(url: &str, connections: usize) -> Result<PostgresBackend, StoreError> {
        let options = PostgresOptions { max_connections: connections.max(1), ..PostgresOptions::default() };
        match PostgresStore::connect(url, options) {
            Ok(store) => Ok(PostgresBackend(Arc::new(store))),
            // No schema (not a newer one): tokens are made first, and that makes it.
            Err(e)
                if e.kind() == StoreErrorKind::Incompatible
                    && e.to_string().contains("no paycode schema") =>
            {
                Err(how_to_make(&e))
            }
            Err(e) => Err(e),
        }
    }

    /// The store.
    pub fn store(&self) -> &PostgresStore {
        &self.0
    }
}

/// `e`, a store a service needs and does not find, with how it is made.
fn how_to_make(e: &StoreError) -> StoreError {
    let cause = std::error::Error::source(e).map_or_else(String::new, ToString::to_string);
    StoreError::new(
        e.kind(),
        format!(
            "{cause}; `paycode serve token add` with this --store makes it (the service does not make one \
             itself: over a state lost and made again, empty, it would accept again the codes accepted \
             before, spec R-REPLAY-5)"
        ),
    )
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

    fn shown(url: &str) -> String {
        let parsed: StoreUrl = url.parse().unwrap();
        assert_eq!(parsed, StoreUrl::Postgres(url.to_owned()), "kept whole to connect with");
        let shown = parsed.to_string();
        assert_eq!(format!("{parsed:?}"), format!("Postgres({shown:?})"));
        shown
    }

    #[test]
    fn store_urls_show_no_password() {
        for (url, expect) in [
            // No password: all of it.
            ("postgres://pc@127.0.0.1:55432/pc", "postgres://pc@127.0.0.1:55432/pc"),
            ("postgres://db/pay?sslmode=require&user=pc", "postgres://db/pay?sslmode=require&user=pc"),
            ("postgres://u@[::1]:5432/db", "postgres://u@[::1]:5432/db"),
            ("postgres://u:@h/db", "postgres://u:@h/db"),
            // In the user information, after its first ':'.
            ("postgres://u:pw@[::1]:5432/db", "postgres://u:…@[::1]:5432/db"),
            ("postgres://u:pa:SECRET@host/db", "postgres://u:…@host/db"),
            ("postgresql://u:p@ss@host:5432/db", "postgresql://u:…@host:5432/db"),
            ("postgres://u:p%40ss w0rd&x@h/db", "postgres://u:…@h/db"),
            ("postgres://u:pä§/?x@h:1/db", "postgres://u:…@h:1/db"),
            // In the query, in any case and encoding of its name.
            (
                "postgres://pc@127.0.0.1:55432/pc?password=TopSecretPW",
                "postgres://pc@127.0.0.1:55432/pc?password=…",
            ),
            ("postgres://h/db?PassWord=a b&sslmode=disable", "postgres://h/db?PassWord=…&sslmode=disable"),
            ("postgres://h/db?pass%77ord=x&port=5433", "postgres://h/db?pass%77ord=…&port=5433"),
            ("postgres://h/db?sslpassword=x", "postgres://h/db?sslpassword=…"),
            ("postgres://h/db?password=a&b=c&d%&user=pc", "postgres://h/db?password=…&user=pc"),
            ("postgres://h/db?password=a&password=b", "postgres://h/db?password=…&password=…"),
            ("postgres://u:x@h/db?password=y@z&dbname=d", "postgres://u:…@h/db?password=…&dbname=d"),
            // The client reads "h" as the user and "5432/db?password=a" as the password.
            ("postgres://h:5432/db?password=a@b", "postgres://h:…"),
        ] {
            assert_eq!(shown(url), expect, "{url}");
        }
    }

    #[test]
    fn store_urls_hide_passwords_of_any_characters() {
        // Every piece of the password is marked, so that no part of it may show.
        let secrets =
            ["S", "S@S", "S:S", "S&S", "S%25S", "S%S", "S S", "S?S", "S/S", "S@S:S&S=S", "S?password=S@S"];
        for secret in secrets {
            let secret = secret.replace('S', "Zq9");
            for url in [
                format!("postgres://pc:{secret}@db:5432/pay"),
                format!("postgres://pc:{secret}@db:5432/pay?sslmode=disable"),
                format!("postgresql://pc@db:5432/pay?password={secret}"),
                format!("postgres://db/pay?sslmode=disable&password={secret}&application_name=x"),
                format!("postgres://db/pay?password={secret}"),
            ] {
                let shown = shown(&url);
                assert!(!shown.contains("Zq9"), "{url} shows as {shown}");
                assert!(shown.contains('…'), "{url} shows as {shown}");
                // The host shows, unless the password holds what reads as a query's password.
                assert!(shown.contains("db") || secret.contains("password="), "{url} shows as {shown}");
            }
        }
    }

    #[test]
    fn bad_store_urls_show_no_password() {
        let bad = |text: &str| {
            let e = text.parse::<StoreUrl>().unwrap_err();
            assert_eq!(format!("{e:?}"), format!("BadStoreUrl({:?})", redact(text)));
            e.to_string()
        };
        assert_eq!(bad("a.db"), r#""a.db" is not sqlite:PATH or postgres://…"#);
        assert_eq!(bad("mysql://u:pw@h/db"), r#""mysql://u:…@h/db" is not sqlite:PATH or postgres://…"#);
        assert_eq!(
            bad("host=db user=pc password='Top Secret' dbname=pay"),
            r#""host=db user=pc password…" is not sqlite:PATH or postgres://…"#
        );
        assert_eq!(bad("PASSWORD = x host=db"), r#""PASSWORD…" is not sqlite:PATH or postgres://…"#);
        assert_eq!(bad("u:pw@db/pay"), r#""u:…@db/pay" is not sqlite:PATH or postgres://…"#);
    }
}
