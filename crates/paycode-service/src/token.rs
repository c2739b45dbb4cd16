//! Bearer tokens: one per terminal (or back end), 256 random bits, shown once
//! when made and kept only as a hash.
//!
//! A token's text is `pct_` + 16 hex digits of its id + `_` + 64 hex digits
//! of its secret. The id is public: it names the token in `token list` and
//! `token revoke`, and finds the stored hash. The hash is SHA-256 over a
//! domain-separation string, the id and the secret, so a stored hash is of
//! no use under another id; it is compared in constant time.

use core::fmt;
use core::str::FromStr;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use paycode::StoreError;

/// The prefix of every token's text.
pub const TOKEN_PREFIX: &str = "pct_";
/// Domain separation of the stored hash.
const HASH_LABEL: &[u8] = b"paycode/service/token-hash\0";
/// Length of a token's text: prefix, 16 hex, `_`, 64 hex.
const TOKEN_TEXT_LEN: usize = TOKEN_PREFIX.len() + 16 + 1 + 64;

/// The public id of a token: 8 random bytes, written as 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId([u8; 8]);

impl TokenId {
    /// The id with these bytes.
    pub const fn from_bytes(bytes: [u8; 8]) -> TokenId {
        TokenId(bytes)
    }

    /// The id's bytes.
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({self})")
    }
}

/// A token id that is not 16 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadTokenId;

impl fmt::Display for BadTokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a token id is 16 hex digits")
    }
}

impl std::error::Error for BadTokenId {}

impl FromStr for TokenId {
    type Err = BadTokenId;

    fn from_str(s: &str) -> Result<TokenId, BadTokenId> {
        let mut id = [0u8; 8];
        hex_into(s, &mut id).ok_or(BadTokenId)?;
        Ok(TokenId(id))
    }
}

/// The stored form of a token's secret: SHA-256 over the domain-separation
/// string, the id and the secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash with these bytes (as a store keeps them).
    pub const fn from_bytes(bytes: [u8; 32]) -> TokenHash {
        TokenHash(bytes)
    }

    /// The hash's bytes.
    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    fn of(id: TokenId, secret: &[u8; 32]) -> TokenHash {
        let mut h = Sha256::new();
        h.update(HASH_LABEL);
        h.update(id.0);
        h.update(secret);
        TokenHash(h.finalize().into())
    }

    /// Whether `self` equals `other`, in time independent of the bytes.
    pub(crate) fn matches(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenHash").finish_non_exhaustive()
    }
}

/// A token as a store keeps it: never the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// The public id.
    pub id: TokenId,
    /// The hash of the secret.
    pub hash: TokenHash,
    /// The terminal the token speaks for: the ed25519 profile's replay and
    /// spend state of the codes it forwards are that terminal's, and the
    /// acceptance records name it.
    pub terminal_id: u32,
    /// A name for people (`till 3`, `back end`).
    pub name: String,
    /// When it was made, unix seconds.
    pub created_at: u64,
    /// When it was revoked, unix seconds; a revoked token authenticates nothing.
    pub revoked_at: Option<u64>,
}

/// A token just made: the only time its secret exists outside the caller's
/// hands. Zeroized on drop; `Debug` shows the id only.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct NewToken {
    #[zeroize(skip)]
    id: TokenId,
    secret: [u8; 32],
}

impl NewToken {
    /// A fresh token from the operating system's CSPRNG.
    ///
    /// # Errors
    ///
    /// The operating system could not provide random bytes.
    pub fn generate() -> Result<NewToken, getrandom::Error> {
        let mut id = [0u8; 8];
        getrandom::fill(&mut id)?;
        let mut token = NewToken { id: TokenId(id), secret: [0; 32] };
        getrandom::fill(&mut token.secret)?;
        Ok(token)
    }

    /// The token's id.
    pub const fn id(&self) -> TokenId {
        self.id
    }

    /// The record to store for this token.
    pub fn record(&self, terminal_id: u32, name: &str, created_at: u64) -> TokenRecord {
        TokenRecord {
            id: self.id,
            hash: TokenHash::of(self.id, &self.secret),
            terminal_id,
            name: name.to_owned(),
            created_at,
            revoked_at: None,
        }
    }

    /// The token's text, to show once and hand to the terminal.
    pub fn expose(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(TOKEN_TEXT_LEN));
        text.push_str(TOKEN_PREFIX);
        text.push_str(&self.id.to_string());
        text.push('_');
        for b in &self.secret {
            text.push(hex_digit(b >> 4));
            text.push(hex_digit(b & 15));
        }
        text
    }
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The id and hash of a presented token's text, if it has the token form.
pub(crate) fn presented(text: &str) -> Option<(TokenId, TokenHash)> {
    if text.len() != TOKEN_TEXT_LEN {
        return None;
    }
    let rest = text.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id: TokenId = id.parse().ok()?;
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex_into(secret, bytes.as_mut_slice())?;
    Some((id, TokenHash::of(id, &bytes)))
}

/// Where the tokens live: beside the verifier state, so that every node of a
/// fleet sees the same tokens.
pub trait TokenStore: Send + Sync {
    /// Stores a new token.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be written, or a token with this id exists.
    fn insert(&self, token: &TokenRecord) -> Result<(), StoreError>;

    /// Every token, revoked ones included, oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be read.
    fn list(&self) -> Result<Vec<TokenRecord>, StoreError>;

    /// Marks the token `id` revoked at unix time `at`; returns whether a token
    /// with that id was live until now.
    ///
    /// # Errors
    ///
    /// [`StoreError`] if the store could not be written.
    fn revoke(&self, id: TokenId, at: u64) -> Result<bool, StoreError>;
}

/// Tokens kept in this process only (tests, and a service whose state is in memory).
#[derive(Debug, Default)]
pub struct MemoryTokens {
    tokens: std::sync::Mutex<Vec<TokenRecord>>,
}

impl TokenStore for MemoryTokens {
    fn insert(&self, token: &TokenRecord) -> Result<(), StoreError> {
        let mut tokens = self.tokens.lock().map_err(|_| poisoned())?;
        if tokens.iter().any(|t| t.id == token.id) {
            return Err(StoreError::of_kind(paycode::store::StoreErrorKind::Other));
        }
        tokens.push(token.clone());
        Ok(())
    }

    fn list(&self) -> Result<Vec<TokenRecord>, StoreError> {
        Ok(self.tokens.lock().map_err(|_| poisoned())?.clone())
    }

    fn revoke(&self, id: TokenId, at: u64) -> Result<bool, StoreError> {
        let mut tokens = self.tokens.lock().map_err(|_| poisoned())?;
        Ok(tokens.iter_mut().find(|t| t.id == id && t.revoked_at.is_none()).is_some_and(|t| {
            t.revoked_at = Some(at);
            true
        }))
    }
}

fn poisoned() -> StoreError {
    StoreError::of_kind(paycode::store::StoreErrorKind::Corrupt)
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).unwrap_or('0')
}

/// Fills `out` from exactly `2 * out.len()` lowercase hex digits.
fn hex_into(s: &str, out: &mut [u8]) -> Option<()> {
    let s = s.as_bytes();
    if s.len() != out.len().checked_mul(2)? {
        return None;
    }
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        *o = (digit(*pair.first()?)? << 4) | digit(*pair.get(1)?)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_authenticates_as_its_own_id_only() {
        let token = NewToken::generate().unwrap();
        let record = token.record(7, "till", 1);
        let text = token.expose();
        assert_eq!(text.len(), TOKEN_TEXT_LEN);
        let (id, hash) = presented(&text).unwrap();
        assert_eq!(id, record.id);
        assert!(hash.matches(&record.hash));
        // The same secret under another id hashes differently.
        let other = format!("{TOKEN_PREFIX}{}{}", "0".repeat(16), &text[TOKEN_PREFIX.len() + 16..]);
        let (other_id, other_hash) = presented(&other).unwrap();
        assert_ne!(other_id, id);
        assert!(!other_hash.matches(&record.hash));
        // One flipped secret digit does not match.
        let mut flipped = text.to_string();
        let last = if flipped.ends_with('0') { "1" } else { "0" };
        flipped.replace_range(flipped.len() - 1.., last);
        assert!(!presented(&flipped).unwrap().1.matches(&record.hash));
    }

    #[test]
    fn only_the_exact_form_is_a_token() {
        let token = NewToken::generate().unwrap();
        let text = token.expose();
        assert!(presented(&text.to_uppercase()).is_none());
        assert!(presented(&text[1..]).is_none());
        assert!(presented(&format!("{}x", &text[..text.len() - 1])).is_none());
        assert!(presented(&text.replacen('_', "-", 2)).is_none());
        assert!(presented("").is_none());
        assert!(presented(&"é".repeat(TOKEN_TEXT_LEN / 2)).is_none());
        assert_eq!("00112233445566ff".parse::<TokenId>().unwrap().to_string(), "00112233445566ff");
        assert_eq!("00112233445566f".parse::<TokenId>(), Err(BadTokenId));
    }

    #[test]
    fn memory_tokens_revoke_once() {
        let store = MemoryTokens::default();
        let token = NewToken::generate().unwrap();
        store.insert(&token.record(1, "a", 5)).unwrap();
        assert!(store.insert(&token.record(1, "a", 5)).is_err());
        assert!(store.revoke(token.id(), 9).unwrap());
        assert!(!store.revoke(token.id(), 10).unwrap());
        assert_eq!(store.list().unwrap()[0].revoked_at, Some(9));
        assert_eq!(format!("{token:?}"), format!("NewToken {{ id: {:?}, .. }}", token.id()));
    }
}
