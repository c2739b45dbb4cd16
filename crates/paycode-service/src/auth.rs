//! Authentication of every request: the bearer token's hash against the
//! node's copy of the token table, which it reloads from the store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::token::{TokenHash, TokenId, TokenRecord, presented};

/// Who sent a request: the token and the terminal it is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's id.
    pub token: TokenId,
    /// The terminal the token is bound to.
    pub terminal_id: u32,
}

/// Why a request was not authenticated. The answer to the client is the
/// same for each (401); the kind is counted in the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No `Authorization: Bearer …` header.
    Missing,
    /// A token that is unknown, revoked, or whose secret does not match.
    Invalid,
}

#[derive(Clone, Debug)]
struct Entry {
    hash: TokenHash,
    terminal_id: u32,
}

/// The live tokens, by id, as last loaded.
#[derive(Debug, Default)]
pub(crate) struct Keyring {
    live: RwLock<Arc<HashMap<TokenId, Entry>>>,
}

impl Keyring {
    /// Replaces the node's copy with `records`, leaving the revoked ones out.
    pub(crate) fn load(&self, records: &[TokenRecord]) {
        let live: HashMap<TokenId, Entry> = records
            .iter()
            .filter(|r| r.revoked_at.is_none())
            .map(|r| (r.id, Entry { hash: r.hash, terminal_id: r.terminal_id }))
            .collect();
        if let Ok(mut slot) = self.live.write() {
            *slot = Arc::new(live);
        }
    }

    /// The number of live tokens.
    pub(crate) fn len(&self) -> usize {
        self.live.read().map_or(0, |l| l.len())
    }

    /// Authenticates the value of an `Authorization` header.
    pub(crate) fn authenticate(&self, header: Option<&[u8]>) -> Result<Caller, AuthError> {
        let header = header.ok_or(AuthError::Missing)?;
        // RFC 6750 §2.1: the scheme is case-insensitive, one space, then the token.
        let (scheme, token) = header.split_at_checked(7).ok_or(AuthError::Invalid)?;
        if !scheme.eq_ignore_ascii_case(b"bearer ") {
            return Err(AuthError::Missing);
        }
        let token = core::str::from_utf8(token).map_err(|_| AuthError::Invalid)?;
        let (id, hash) = presented(token).ok_or(AuthError::Invalid)?;
        let live = self.live.read().map_err(|_| AuthError::Invalid)?.clone();
        let entry = live.get(&id).ok_or(AuthError::Invalid)?;
        if !entry.hash.matches(&hash) {
            return Err(AuthError::Invalid);
        }
        Ok(Caller { token: id, terminal_id: entry.terminal_id })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::token::NewToken;

    #[test]
    fn only_live_tokens_with_their_secret_authenticate() {
        let (a, b) = (NewToken::generate().unwrap(), NewToken::generate().unwrap());
        let mut revoked = b.record(9, "b", 1);
        revoked.revoked_at = Some(2);
        let keyring = Keyring::default();
        keyring.load(&[a.record(7, "a", 1), revoked]);
        let bearer = |t: &NewToken| format!("Bearer {}", t.expose().as_str());
        let caller = keyring.authenticate(Some(bearer(&a).as_bytes())).unwrap();
        assert_eq!(caller, Caller { token: a.id(), terminal_id: 7 });
        let lower = format!("bearer {}", a.expose().as_str());
        assert!(keyring.authenticate(Some(lower.as_bytes())).is_ok());
        assert_eq!(keyring.authenticate(Some(bearer(&b).as_bytes())), Err(AuthError::Invalid));
        assert_eq!(keyring.authenticate(None), Err(AuthError::Missing));
        assert_eq!(keyring.authenticate(Some(b"Basic dXNlcjpwdw==")), Err(AuthError::Missing));
        assert_eq!(keyring.authenticate(Some(b"Bearer")), Err(AuthError::Invalid));
        assert_eq!(keyring.authenticate(Some(b"Bearer \xff\xfe")), Err(AuthError::Invalid));
        assert_eq!(keyring.len(), 1);
        // After a reload without it, the token no longer authenticates.
        keyring.load(&[]);
        assert_eq!(keyring.authenticate(Some(bearer(&a).as_bytes())), Err(AuthError::Invalid));
    }
}
