//! The JSON files of the `paycode` command: issuer, wallet and verifier
//! state. Their formats are documented in the README; key files are
//! written with mode 0600 and refused when others can read them.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use paycode::store::StateStore;
use paycode::{
    Credential, Error, Issuer, KeyPeriod, Params, RevocationList, Seed, TrustList, Verifier, VerifierState,
};

/// Why a file could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileError {
    /// Reading or writing failed.
    Io(std::io::Error),
    /// The file is not valid JSON of the expected format.
    Format(String),
    /// A key file is readable or writable by others than its owner.
    Permissions(String),
    /// The verifier's state store failed.
    Store(paycode::StoreError),
}

impl core::fmt::Display for FileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FileError::Io(e) => write!(f, "i/o error: {e}"),
            FileError::Format(s) => write!(f, "bad file: {s}"),
            FileError::Permissions(s) => write!(f, "insecure key file: {s}"),
            FileError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for FileError {}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> FileError {
        FileError::Io(e)
    }
}

/// Time parameters as stored in files.
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
}

impl ParamsFile {
    /// The validated parameters.
    ///
    /// # Errors
    ///
    /// [`FileError::Format`] if out of the spec's ranges.
    pub fn params(&self) -> Result<Params, FileError> {
        Params::new(self.t0, self.step, self.back, self.forward).map_err(|e| FileError::Format(e.to_string()))
    }
}

impl From<Params> for ParamsFile {
    fn from(p: Params) -> ParamsFile {
        ParamsFile { t0: p.t0(), step: p.step_secs(), back: p.back(), forward: p.forward() }
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

/// The issuer's revocation state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationFile {
    /// Number of the latest list.
    pub number: u64,
    /// When it was issued.
    pub issued_at: u64,
    /// Revoked serials.
    pub serials: Vec<u64>,
}

/// `issuer.json`: the issuer's secrets and registry (mode 0600). `Debug`
/// leaves the seeds out; they are wiped from memory on drop (spec: R-KEY-4).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerFile {
    /// `"paycode-issuer-v1"`.
    pub format: String,
    /// Time parameters.
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
}

/// `wallet.json`: a wallet's secrets and counter (mode 0600). `Debug` leaves
/// the seed out; it is wiped from memory on drop (spec: R-KEY-4).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletFile {
    /// `"paycode-wallet-v1"`.
    pub format: String,
    /// `"hmac"` or `"ed25519"`.
    pub profile: String,
    /// Time parameters.
    pub params: ParamsFile,
    /// hmac: the account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<u64>,
    /// The wallet seed, hex (hmac: shared with the issuer; ed25519: device secret).
    pub seed: String,
    /// ed25519: the credential, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The counter of the next code.
    pub next_counter: u32,
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

/// `state.json`: a verifier's durable state as earlier versions of the
/// command kept it; `paycode state import` migrates it into a state database.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// `"paycode-state-v1"`.
    pub format: String,
    /// The replay state.
    pub state: VerifierState,
    /// The hmac throttle records (account, step, failures): a command that
    /// runs once per verification keeps them, or every run would reset them
    /// (spec §12.6, R-HMAC-6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub throttle: Vec<(u64, u64, u32)>,
}

/// Format string of issuer files.
pub const ISSUER_FORMAT: &str = "paycode-issuer-v1";
/// Format string of wallet files.
pub const WALLET_FORMAT: &str = "paycode-wallet-v1";
/// Format string of state files.
pub const STATE_FORMAT: &str = "paycode-state-v1";

impl IssuerFile {
    /// The issuer of this file.
    ///
    /// # Errors
    ///
    /// [`FileError::Format`] on a bad seed.
    pub fn issuer(&self) -> Result<Issuer, FileError> {
        Ok(Issuer::from_seed(&seed_from_hex(&self.issuer_seed)?))
    }

    /// The trust list of the issuer's keys.
    ///
    /// # Errors
    ///
    /// [`FileError::Format`] if the key list is not a valid trust list.
    pub fn trust_list(&self) -> Result<TrustList, FileError> {
        let periods: Vec<KeyPeriod> = self
            .keys
            .iter()
            .map(|k| KeyPeriod { key_id: k.key_id, not_before: k.not_before, not_after: k.not_after })
            .collect();
        self.issuer()?.trust_list(&periods).map_err(|e| FileError::Format(e.to_string()))
    }

    /// The current signed revocation list, if any serial was ever revoked.
    ///
    /// # Errors
    ///
    /// [`FileError::Format`] on a bad seed.
    pub fn revocation_list(&self) -> Result<Option<RevocationList>, FileError> {
        if self.revocation.number == 0 {
            return Ok(None);
        }
        let issuer = self.issuer()?;
        Ok(Some(issuer.revocation_list(
            self.current_key_id,
            self.revocation.number,
            self.revocation.issued_at,
            self.revocation.serials.clone(),
        )))
    }

    /// Configures `v` as this issuer's verifier: every enrolled account, the
    /// issuer's trust list, and the current revocation list installed unless
    /// the store holds it (or a newer one) already.
    ///
    /// # Errors
    ///
    /// [`FileError::Format`] on bad key material; [`FileError::Store`] if the
    /// store could not be read or written.
    pub fn configure<S: StateStore>(&self, mut v: Verifier<S>) -> Result<Verifier<S>, FileError> {
        v.enable_hmac();
        for a in &self.accounts {
            v.add_account(a.account_id, &seed_from_hex(&a.seed)?);
        }
        v.set_trust_list(self.trust_list()?);
        if let Some(list) = self.revocation_list()? {
            // The issuer's own list, signed by its own key: checked as any list is.
            list.check(&self.trust_list()?)
                .map_err(|e| FileError::Format(format!("revocation list: {e}")))?;
            // spec: R-REVOKE-2: the store installs it only if it is newer.
            v.store().install_revocation_list(&list).map_err(FileError::Store)?;
        }
        Ok(v)
    }
}

impl WalletFile {
    /// The wallet's credential, decoded.
    ///
    /// # Errors
    ///
    /// [`FileError::Format`] if absent or malformed.
    pub fn credential(&self) -> Result<Credential, FileError> {
        let hex =
            self.credential.as_deref().ok_or_else(|| FileError::Format("wallet has no credential".into()))?;
        Credential::decode(&from_hex(hex)?).map_err(|e: Error| FileError::Format(format!("credential: {e}")))
    }
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Bytes of lowercase or uppercase hex.
///
/// # Errors
///
/// [`FileError::Format`] on an odd length or a non-hex character.
pub fn from_hex(s: &str) -> Result<Vec<u8>, FileError> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return Err(FileError::Format("odd-length hex".into()));
    }
    // Sized once: a growing vector would leave copies of a seed behind.
    let mut out = Vec::with_capacity(b.len() / 2);
    for p in b.chunks(2) {
        let hi = (p.first().copied().unwrap_or(b'x') as char).to_digit(16);
        let lo = (p.get(1).copied().unwrap_or(b'x') as char).to_digit(16);
        match (hi, lo) {
            (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
            _ => {
                out.zeroize();
                return Err(FileError::Format("bad hex".into()));
            }
        }
    }
    Ok(out)
}

/// A seed from 64 hex characters.
///
/// # Errors
///
/// [`FileError::Format`] if not 32 bytes of hex.
pub fn seed_from_hex(s: &str) -> Result<Seed, FileError> {
    let bytes = Zeroizing::new(from_hex(s)?);
    Seed::try_from(bytes.as_slice()).map_err(|_| FileError::Format("seed must be 32 bytes".into()))
}

/// Reads a JSON file.
///
/// # Errors
///
/// [`FileError`] on IO or format errors.
pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, FileError> {
    let text = Zeroizing::new(fs::read_to_string(path)?);
    serde_json::from_str(&text).map_err(|e| FileError::Format(format!("{}: {e}", path.display())))
}

/// Reads a JSON key file, refusing it if its mode lets others read or write it
/// (spec: R-KEY-4).
///
/// # Errors
///
/// [`FileError::Permissions`] for a group- or world-accessible file, else as [`read_json`].
pub fn read_secret_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(FileError::Permissions(format!(
                "{} has mode {:o}; run chmod 600 on it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    read_json(path)
}

/// Writes `value` as JSON atomically: a temporary file in the same folder,
/// flushed to disk, then renamed over `path`. `secret` files get mode 0600.
///
/// # Errors
///
/// [`FileError::Io`] on failure; `path` is then unchanged.
pub fn write_json<T: Serialize>(path: &Path, value: &T, secret: bool) -> Result<(), FileError> {
    let mut text = WipingBuffer(Zeroizing::new(Vec::with_capacity(4096)));
    serde_json::to_writer_pretty(&mut text, value).map_err(|e| FileError::Format(e.to_string()))?;
    text.write_all(b"\n")?;
    replace(path, &text.0, secret)
}

/// Writes `bytes` to `path` atomically, as [`write_json`] does (mode 0644).
///
/// # Errors
///
/// [`FileError::Io`] on failure; `path` is then unchanged.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    replace(path, bytes, false)
}

/// A temporary file in `path`'s folder, flushed to disk, then renamed over `path`.
fn replace(path: &Path, bytes: &[u8], secret: bool) -> Result<(), FileError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(FileError::Io)
}

/// A buffer for serializing secrets: when it must grow, it moves to a
/// larger allocation and wipes the one it leaves, so that no partial copy of
/// a key file stays behind in freed memory (spec: R-KEY-4).
struct WipingBuffer(Zeroizing<Vec<u8>>);

impl Write for WipingBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let need = self.0.len().saturating_add(buf.len());
        if need > self.0.capacity() {
            let mut bigger =
                Zeroizing::new(Vec::with_capacity(need.max(self.0.capacity().saturating_mul(2))));
            bigger.extend_from_slice(&self.0);
            // The old allocation is zeroized as it drops.
            self.0 = bigger;
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiping_buffer_keeps_every_byte_across_growth() {
        let mut b = WipingBuffer(Zeroizing::new(Vec::with_capacity(3)));
        let data: Vec<u8> = (0..=255).cycle().take(10_000).collect();
        for chunk in data.chunks(7) {
            b.write_all(chunk).unwrap();
        }
        assert_eq!(b.0.as_slice(), data.as_slice());
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(to_hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(from_hex("00ABff").unwrap(), [0, 0xab, 0xff]);
        assert!(from_hex("0").is_err());
        assert!(from_hex("zz").is_err());
        assert!(from_hex("é1").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_are_private_and_checked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("paycode-files-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("k.json");
        write_json(&p, &ParamsFile::from(Params::default()), true).unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        let back: ParamsFile = read_secret_json(&p).unwrap();
        assert_eq!(back.params().unwrap(), Params::default());
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(read_secret_json::<ParamsFile>(&p), Err(FileError::Permissions(_))));
        fs::remove_dir_all(&dir).unwrap();
    }
}
