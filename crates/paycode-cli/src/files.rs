//! The key files of the `paycode` command: the issuer's and a wallet's.
//! Their formats are documented in the README; they are written with mode
//! 0600 and refused when others can read them. The verifier's state
//! database is [`crate::state`]'s; enrolment and revocation are
//! [`crate::registry`]'s.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use paycode::codec::from_hex;
use paycode::hazmat::keys::HmacKeys;
use paycode::{
    BatchCredential, Credential, Issuer, KeyPeriod, ListHeader, Params, Profile, RevocationList, Seed,
    TrustHeader, TrustList,
};

use crate::errors::{ContentError, FileError, Role};
use crate::fsio::{self, Locked};

/// The parameters (spec §2.1) as stored in files. The challenge lifetime
/// `C` and the numeric ceiling `A_num` affect only verifiers; a file written
/// before they existed, or with their defaults, leaves them out, and then
/// the defaults apply (spec: R-TIME-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsFile {
    /// `T0`, unix seconds.
    pub t0: u64,
    /// `X`, seconds.
    pub step: u64,
    /// `B`, steps.
    pub back: u64,
    /// `F`, steps.
    pub forward: u64,
    /// `C`, seconds (default 120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_lifetime: Option<u64>,
    /// `A_num`, minor units (default 5000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numeric_ceiling: Option<u64>,
}

impl ParamsFile {
    /// The validated parameters.
    ///
    /// # Errors
    ///
    /// [`ContentError::Params`] if out of the spec's ranges (spec: R-TIME-6).
    pub fn params(&self) -> Result<Params, ContentError> {
        let mut p = Params::new(self.t0, self.step, self.back, self.forward).map_err(ContentError::Params)?;
        if let Some(c) = self.challenge_lifetime {
            p = p.with_challenge_lifetime(c).map_err(ContentError::Params)?;
        }
        if let Some(a) = self.numeric_ceiling {
            p = p.with_numeric_ceiling(a);
        }
        Ok(p)
    }
}

impl From<Params> for ParamsFile {
    /// The file form of `p`; `C` and `A_num` only where they are not the defaults.
    fn from(p: Params) -> ParamsFile {
        let c = p.challenge_lifetime();
        let a = p.numeric_ceiling();
        ParamsFile {
            t0: p.t0(),
            step: p.step_secs(),
            back: p.back(),
            forward: p.forward(),
            challenge_lifetime: (c != Params::DEFAULT_CHALLENGE_LIFETIME).then_some(c),
            numeric_ceiling: (a != Params::DEFAULT_NUMERIC_CEILING).then_some(a),
        }
    }
}

/// An enrolled hmac account at the issuer. `Debug` leaves the seed out; it
/// is wiped from memory on drop (spec: R-KEY-4).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountFile {
    /// The account id.
    pub account_id: u64,
    /// The shared seed, hex.
    pub seed: String,
}

/// An issuer key and its validity period.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Key id.
    pub key_id: u16,
    /// First valid second.
    pub not_before: u64,
    /// Last valid second.
    pub not_after: u64,
}

/// The issuer's revocation state: the latest list and how often lists are
/// published (spec §4.7, R-REVOKE-4).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationFile {
    /// Number of the latest list.
    pub number: u64,
    /// When it was issued.
    pub issued_at: u64,
    /// Revoked serials.
    pub serials: Vec<u64>,
    /// Seconds from a list's issue to its `next_update`.
    #[serde(default = "default_revocation_interval")]
    pub interval: u64,
    /// The lists' `grace`, seconds (at most 604800).
    #[serde(default = "default_revocation_grace")]
    pub grace: u32,
}

/// The trust list the issuer publishes: its sequence number and issue time
/// (spec §4.6). An issuer file without it holds list 1 issued at time 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustFile {
    /// Sequence number of the latest trust list.
    pub sequence: u64,
    /// When it was issued.
    pub issued_at: u64,
}

impl Default for TrustFile {
    fn default() -> TrustFile {
        TrustFile { sequence: 1, issued_at: 0 }
    }
}

/// A list a day, as the EU Digital COVID Certificate's trust list was refreshed.
pub const DEFAULT_REVOCATION_INTERVAL: u64 = 86_400;
/// A day's grace after `next_update`.
pub const DEFAULT_REVOCATION_GRACE: u32 = 86_400;

const fn default_revocation_interval() -> u64 {
    DEFAULT_REVOCATION_INTERVAL
}

const fn default_revocation_grace() -> u32 {
    DEFAULT_REVOCATION_GRACE
}

impl Default for RevocationFile {
    fn default() -> RevocationFile {
        RevocationFile {
            number: 0,
            issued_at: 0,
            serials: Vec::new(),
            interval: DEFAULT_REVOCATION_INTERVAL,
            grace: DEFAULT_REVOCATION_GRACE,
        }
    }
}

/// `issuer.json`: the issuer's secrets and registry (mode 0600). `Debug`
/// leaves the seeds out; they are wiped from memory on drop (spec: R-KEY-4).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerFile {
    /// `"paycode-issuer-v1"`.
    pub format: String,
    /// The parameters; the verifiers of this issuer use its `B`, `F`, `C` and `A_num`.
    pub params: ParamsFile,
    /// Seed of the issuer's Ed25519 keys, hex.
    pub issuer_seed: String,
    /// Issuer keys with validity periods.
    pub keys: Vec<KeyFile>,
    /// The key id that signs new credentials.
    pub current_key_id: u16,
    /// Enrolled hmac accounts.
    pub accounts: Vec<AccountFile>,
    /// Next hmac account id.
    pub next_account_id: u64,
    /// Next credential serial.
    pub next_serial: u64,
    /// Revocation state.
    pub revocation: RevocationFile,
    /// The latest trust list's sequence number and issue time.
    #[serde(default)]
    pub trust: TrustFile,
    /// The ed25519 payers and their batches: which payer, batch and index
    /// each serial is for (spec: R-BATCH-5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payers: Vec<PayerFile>,
    /// Next payer id.
    #[serde(default = "first_payer")]
    pub next_payer: u64,
}

const fn first_payer() -> u64 {
    1
}

/// An ed25519 payer at the issuer, with every batch issued to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerFile {
    /// The payer id.
    pub payer: u64,
    /// The payer's per-terminal cumulative limit, which each batch splits
    /// (spec: R-BATCH-3).
    pub limit: u64,
    /// The batches, oldest first.
    pub batches: Vec<BatchFile>,
}

/// One batch of a payer: its credentials' serials in index order, and the
/// terms they share (spec: R-BATCH-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchFile {
    /// The batch's number, from 1 per payer.
    pub batch: u32,
    /// The serials, by index in the batch.
    pub serials: Vec<u64>,
    /// The last valid second of the batch's credentials.
    pub not_after: u64,
    /// Each credential's cumulative limit.
    pub cumulative: u32,
}

/// One credential of an ed25519 wallet's batch, with its device key's index
/// and its counter (spec: R-BATCH-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldFile {
    /// The device key index (spec: R-BATCH-1).
    pub index: u32,
    /// The credential, hex.
    pub credential: String,
    /// The counter of this credential's next code.
    pub next_counter: u32,
}

/// `wallet.json`: a wallet's secrets and counter (mode 0600). `Debug` leaves
/// the seed out; it is wiped from memory on drop (spec: R-KEY-4).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletFile {
    /// `"paycode-wallet-v1"`.
    pub format: String,
    /// The profile, `"hmac"` or `"ed25519"`.
    pub profile: Profile,
    /// The parameters (the wallet uses `T0` and `X`).
    pub params: ParamsFile,
    /// hmac: the account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<u64>,
    /// The wallet seed, hex (hmac: shared with the issuer; ed25519: device secret).
    pub seed: String,
    /// ed25519 wallets of an earlier version: the one credential, hex
    /// (read as a batch of one at index 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// hmac: the counter of the next code; ed25519: that of the next
    /// credential in turn (each credential keeps its own in `credentials`).
    pub next_counter: u32,
    /// ed25519: the payer id at the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<u64>,
    /// ed25519: the batch, in turn order (spec: R-BATCH-4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<HeldFile>,
    /// ed25519: the device key index the next batch starts at; never reused
    /// (spec: R-BATCH-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_key_index: Option<u32>,
}

impl core::fmt::Debug for AccountFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccountFile").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

impl core::fmt::Debug for IssuerFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerFile")
            .field("format", &self.format)
            .field("params", &self.params)
            .field("keys", &self.keys)
            .field("current_key_id", &self.current_key_id)
            .field("accounts", &self.accounts)
            .field("next_account_id", &self.next_account_id)
            .field("next_serial", &self.next_serial)
            .field("revocation", &self.revocation)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for WalletFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WalletFile")
            .field("format", &self.format)
            .field("profile", &self.profile)
            .field("params", &self.params)
            .field("account_id", &self.account_id)
            .field("credential", &self.credential)
            .field("next_counter", &self.next_counter)
            .field("payer", &self.payer)
            .field("credentials", &self.credentials)
            .field("next_key_index", &self.next_key_index)
            .finish_non_exhaustive()
    }
}

impl Drop for AccountFile {
    fn drop(&mut self) {
        self.seed.zeroize();
    }
}

impl Drop for IssuerFile {
    fn drop(&mut self) {
        self.issuer_seed.zeroize();
    }
}

impl Drop for WalletFile {
    fn drop(&mut self) {
        self.seed.zeroize();
    }
}

/// Format string of issuer files.
pub const ISSUER_FORMAT: &str = "paycode-issuer-v1";
/// Format string of wallet files.
pub const WALLET_FORMAT: &str = "paycode-wallet-v1";
/// Format string of the JSON state files of earlier versions, which
/// `paycode state import` migrates into a state database.
pub const STATE_FORMAT: &str = "paycode-state-v1";

impl IssuerFile {
    /// Reads and checks an issuer file: its kind, its mode, its contents. To
    /// change it, use [`IssuerFile::load_locked`].
    ///
    /// # Errors
    ///
    /// [`FileError`] naming `path`.
    pub fn load(path: &Path) -> Result<IssuerFile, FileError> {
        IssuerFile::checked(fsio::read_json(path, Role::Issuer, true)?, path)
    }

    /// Reads and checks the issuer file held under `lock`, as [`IssuerFile::load`].
    ///
    /// # Errors
    ///
    /// [`FileError`] naming the file.
    pub fn load_locked(lock: &Locked) -> Result<IssuerFile, FileError> {
        IssuerFile::checked(lock.read(true)?, lock.path())
    }

    fn checked(file: IssuerFile, path: &Path) -> Result<IssuerFile, FileError> {
        file.params
            .params()
            .and_then(|_| file.trust_list())
            .map_err(FileError::content(Role::Issuer, path))?;
        for a in &file.accounts {
            seed_field(&a.seed, "accounts[].seed").map_err(FileError::content(Role::Issuer, path))?;
        }
        // One seed per account: a verifier would take one of two silently.
        if let Some(account_id) = repeated(file.accounts.iter().map(|a| a.account_id).collect()) {
            return Err(FileError::content(Role::Issuer, path)(ContentError::AccountTwice { account_id }));
        }
        Ok(file)
    }

    /// The issuer of this file.
    ///
    /// # Errors
    ///
    /// [`ContentError`] on a bad seed.
    pub fn issuer(&self) -> Result<Issuer, ContentError> {
        Ok(Issuer::from_seed(&seed_field(&self.issuer_seed, "issuer_seed")?))
    }

    /// The keys of the enrolled hmac accounts, by account id.
    ///
    /// # Errors
    ///
    /// [`ContentError`] on a bad seed.
    pub fn account_keys(&self) -> Result<BTreeMap<u64, HmacKeys>, ContentError> {
        self.accounts
            .iter()
            .map(|a| {
                Ok((a.account_id, HmacKeys::derive(a.account_id, &seed_field(&a.seed, "accounts[].seed")?)))
            })
            .collect()
    }

    /// The trust list of the issuer's keys, numbered and dated as the file
    /// says and signed by the issuer's root key (spec: R-TRUST-3).
    ///
    /// # Errors
    ///
    /// [`ContentError`] on a bad seed, or a key list that is not a valid trust list.
    pub fn trust_list(&self) -> Result<TrustList, ContentError> {
        let periods: Vec<KeyPeriod> = self
            .keys
            .iter()
            .map(|k| KeyPeriod { key_id: k.key_id, not_before: k.not_before, not_after: k.not_after })
            .collect();
        let header = TrustHeader { sequence: self.trust.sequence, issued_at: self.trust.issued_at };
        self.issuer()?.trust_list(header, &periods).map_err(ContentError::TrustList)
    }

    /// The current signed revocation list, if one was ever published: an
    /// issuer publishes one from `issuer init` on, revoked serials or not
    /// (spec: R-REVOKE-4).
    ///
    /// # Errors
    ///
    /// [`ContentError`] on a bad seed, or an interval or grace the list
    /// cannot carry.
    pub fn revocation_list(&self) -> Result<Option<RevocationList>, ContentError> {
        let r = &self.revocation;
        if r.number == 0 {
            return Ok(None);
        }
        let header = ListHeader {
            key_id: self.current_key_id,
            number: r.number,
            issued_at: r.issued_at,
            next_update: r.issued_at.saturating_add(r.interval),
            grace: r.grace,
        };
        self.issuer()?
            .revocation_list(header, r.serials.clone())
            .map(Some)
            .map_err(|_| ContentError::RevocationSchedule)
    }
}

impl WalletFile {
    /// Reads and checks a wallet file: its kind, its mode, its contents. To
    /// change it, use [`WalletFile::load_locked`].
    ///
    /// # Errors
    ///
    /// [`FileError`] naming `path`.
    pub fn load(path: &Path) -> Result<WalletFile, FileError> {
        WalletFile::checked(fsio::read_json(path, Role::Wallet, true)?, path)
    }

    /// Reads and checks the wallet file held under `lock`, as [`WalletFile::load`].
    ///
    /// # Errors
    ///
    /// [`FileError`] naming the file.
    pub fn load_locked(lock: &Locked) -> Result<WalletFile, FileError> {
        WalletFile::checked(lock.read(true)?, lock.path())
    }

    fn checked(file: WalletFile, path: &Path) -> Result<WalletFile, FileError> {
        let check = || -> Result<(), ContentError> {
            file.params.params()?;
            file.seed()?;
            match file.profile {
                Profile::Hmac => {
                    file.account_id.map(drop).ok_or(ContentError::Missing { field: "account_id" })
                }
                Profile::Ed25519 => held_indexes(&file.batch()?, file.next_key_index),
            }
        };
        check().map_err(FileError::content(Role::Wallet, path))?;
        Ok(file)
    }

    /// The wallet's seed.
    ///
    /// # Errors
    ///
    /// [`ContentError`] if it is not 32 bytes of hex.
    pub fn seed(&self) -> Result<Seed, ContentError> {
        seed_field(&self.seed, "seed")
    }

    /// The wallet's credential the next code uses, decoded.
    ///
    /// # Errors
    ///
    /// [`ContentError`] if absent or malformed.
    pub fn credential(&self) -> Result<Credential, ContentError> {
        let batch = self.batch()?;
        let next = batch.iter().enumerate().min_by_key(|(i, b)| (b.next_counter, *i)).map(|(_, b)| b);
        next.map(|b| b.credential).ok_or(ContentError::Missing { field: "credentials" })
    }

    /// The wallet's batch, decoded, in turn order: `credentials`, or the
    /// one `credential` of an earlier version's file at index 0.
    ///
    /// # Errors
    ///
    /// [`ContentError`] if there is none, or one is malformed.
    pub fn batch(&self) -> Result<Vec<BatchCredential>, ContentError> {
        let decode = |hex: &str| {
            let bytes = from_hex(hex).map_err(|source| ContentError::Hex { field: "credential", source })?;
            Credential::decode(&bytes).map_err(ContentError::Credential)
        };
        if self.credentials.is_empty() {
            let hex = self.credential.as_deref().ok_or(ContentError::Missing { field: "credentials" })?;
            return Ok(vec![BatchCredential {
                index: 0,
                credential: decode(hex)?,
                next_counter: self.next_counter,
            }]);
        }
        self.credentials
            .iter()
            .map(|h| {
                Ok(BatchCredential {
                    index: h.index,
                    credential: decode(&h.credential)?,
                    next_counter: h.next_counter,
                })
            })
            .collect()
    }

    /// Stores `batch` (its counters after a code) as the wallet's.
    pub fn set_batch(&mut self, batch: &[BatchCredential]) {
        self.credential = None;
        self.credentials = batch
            .iter()
            .map(|b| HeldFile {
                index: b.index,
                credential: paycode::codec::to_hex(b.credential.as_bytes()),
                next_counter: b.next_counter,
            })
            .collect();
        let next = batch.iter().enumerate().min_by_key(|(i, b)| (b.next_counter, *i));
        self.next_counter = next.map_or(0, |(_, b)| b.next_counter);
    }
}

/// Checks the device key indexes of an ed25519 wallet's `batch`: each
/// held once, since two credentials of one index are one credential whose
/// counters would be used twice (spec: R-GEN-1), and all below
/// `next_key_index`, where the next batch starts, so that a renewal never
/// uses a device key again (spec: R-BATCH-1).
fn held_indexes(batch: &[BatchCredential], next_key_index: Option<u32>) -> Result<(), ContentError> {
    let indexes: Vec<u32> = batch.iter().map(|b| b.index).collect();
    if let Some(index) = repeated(indexes.clone()) {
        return Err(ContentError::KeyIndexTwice { index });
    }
    match (next_key_index, indexes.iter().max()) {
        (Some(next), Some(&held)) if next <= held => Err(ContentError::NextKeyIndex { next, held }),
        _ => Ok(()),
    }
}

/// A value that `values` holds more than once, if any.
fn repeated<T: Ord + Copy>(mut values: Vec<T>) -> Option<T> {
    values.sort_unstable();
    values.windows(2).find_map(|w| match w {
        [a, b] if a == b => Some(*a),
        _ => None,
    })
}

/// A seed from 64 hex characters.
///
/// # Errors
///
/// [`SeedError`] if not 32 bytes of hex.
pub fn seed_from_hex(s: &str) -> Result<Seed, SeedError> {
    let bytes = Zeroizing::new(from_hex(s).map_err(SeedError::Hex)?);
    Seed::try_from(bytes.as_slice()).map_err(|_| SeedError::Length)
}

fn seed_field(s: &str, field: &'static str) -> Result<Seed, ContentError> {
    seed_from_hex(s).map_err(|e| match e {
        SeedError::Hex(source) => ContentError::Hex { field, source },
        SeedError::Length => ContentError::SeedLength { field },
    })
}

/// Why a hex string is not a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeedError {
    /// It is not hex.
    Hex(paycode::HexError),
    /// It is not 32 bytes.
    Length,
}

impl core::fmt::Display for SeedError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SeedError::Hex(e) => write!(f, "a seed must be 64 hex digits; this holds {e}"),
            SeedError::Length => f.write_str("a seed must be 32 bytes (64 hex digits)"),
        }
    }
}

impl std::error::Error for SeedError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::FileError;

    #[test]
    fn wallet_profile_is_stored_lowercase() {
        let w = WalletFile {
            format: WALLET_FORMAT.into(),
            profile: Profile::Ed25519,
            params: Params::default().into(),
            account_id: None,
            seed: "00".repeat(32),
            credential: Some("ab".into()),
            next_counter: 3,
            payer: None,
            credentials: Vec::new(),
            next_key_index: None,
        };
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(json["profile"], "ed25519");
        assert!(json.get("account_id").is_none());
        let back: WalletFile = serde_json::from_value(json).unwrap();
        assert_eq!(back.profile, Profile::Ed25519);
        let hmac = serde_json::to_string(&Profile::Hmac).unwrap();
        assert_eq!(hmac, "\"hmac\"");
    }

    // spec: R-KEY-4
    #[cfg(unix)]
    #[test]
    fn secret_files_are_private_and_checked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("paycode-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("k.json");
        let locked = Locked::acquire(&p, Role::Report).unwrap();
        locked.write(&ParamsFile::from(Params::default()), true).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        let back: ParamsFile = locked.read(true).unwrap();
        assert_eq!(back.params().unwrap(), Params::default());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(locked.read::<ParamsFile>(true), Err(FileError::Insecure { mode: 0o644, .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn challenge_lifetime_and_numeric_ceiling_are_optional_and_checked() {
        // A file written before C and A_num existed: the defaults apply.
        let old: ParamsFile = serde_json::from_str(r#"{"t0":0,"step":60,"back":2,"forward":1}"#).unwrap();
        assert_eq!(old.params().unwrap(), Params::default());
        assert_eq!(
            serde_json::to_string(&ParamsFile::from(Params::default())).unwrap(),
            r#"{"t0":0,"step":60,"back":2,"forward":1}"#
        );
        let p = Params::default().with_challenge_lifetime(300).unwrap().with_numeric_ceiling(700);
        let json = serde_json::to_string(&ParamsFile::from(p)).unwrap();
        assert_eq!(
            json,
            r#"{"t0":0,"step":60,"back":2,"forward":1,"challenge_lifetime":300,"numeric_ceiling":700}"#
        );
        let back: ParamsFile = serde_json::from_str(&json).unwrap();
        let read = back.params().unwrap();
        assert_eq!((read.challenge_lifetime(), read.numeric_ceiling()), (300, 700));
        // spec: R-TIME-6: C outside 30..=600 is refused, never clamped.
        for c in [0, 29, 601, u64::MAX] {
            let f = ParamsFile { challenge_lifetime: Some(c), ..back };
            assert_eq!(f.params(), Err(ContentError::Params(paycode::ParamsError::ChallengeLifetime)), "{c}");
        }
    }

    #[test]
    fn seeds_are_64_hex_digits() {
        assert!(seed_from_hex(&"0f".repeat(32)).is_ok());
        assert_eq!(seed_from_hex(&"0f".repeat(31)).err(), Some(SeedError::Length));
        assert!(matches!(seed_from_hex(&"zz".repeat(32)), Err(SeedError::Hex(_))));
        assert!(matches!(seed_from_hex("0"), Err(SeedError::Hex(_))));
    }
}
