//! What can go wrong with the command's files. Every error names the file
//! and what it was for, so that a wrong `--wallet` and a wrong `--state`
//! do not read alike.

use std::fmt;
use std::io;
use std::path::PathBuf;

use paycode::{HexError, InstallError, ParamsError};

use crate::files::{ISSUER_FORMAT, STATE_FORMAT, WALLET_FORMAT};

/// What a file is for, as an error message names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// `issuer.json`.
    Issuer,
    /// A wallet file.
    Wallet,
    /// A verifier's state database.
    State,
    /// A JSON state file of earlier versions, which `paycode state import`
    /// migrates into a state database.
    JsonState,
    /// An acceptance log.
    Log,
    /// The QR image `code` writes.
    QrImage,
    /// The barcode image `code` writes.
    BarcodeImage,
    /// The image `scan` reads.
    ScanImage,
    /// The spec `vectors trace` reads.
    Spec,
    /// A conformance report.
    Report,
    /// A folder the command writes into.
    OutputFolder,
    /// A signed trust list, in hex, that `issuer trust-list` writes.
    TrustList,
}

impl Role {
    /// The `format` string of this kind of JSON file, if it is one.
    pub const fn format(self) -> Option<&'static str> {
        match self {
            Role::Issuer => Some(ISSUER_FORMAT),
            Role::Wallet => Some(WALLET_FORMAT),
            Role::JsonState => Some(STATE_FORMAT),
            _ => None,
        }
    }

    /// The kind of file whose `format` string is `format`.
    pub fn of_format(format: &str) -> Option<Role> {
        [Role::Issuer, Role::Wallet, Role::JsonState].into_iter().find(|r| r.format() == Some(format))
    }

    /// The kind of file whose `format` string names the same kind as
    /// `format`, in any version (`paycode-issuer-v9` is an issuer file).
    pub fn of_format_family(format: &str) -> Option<Role> {
        let family = |f: &str| f.rsplit_once("-v").map_or(f.len(), |(head, _)| head.len());
        [Role::Issuer, Role::Wallet, Role::JsonState].into_iter().find(|r| {
            r.format().is_some_and(|own| {
                let n = family(own);
                format.len() >= n && own.get(..n) == format.get(..n) && format.get(n..n + 2) == Some("-v")
            })
        })
    }

    /// "a" or "an", as the noun needs.
    fn article(self) -> &'static str {
        if self.noun().starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
    }

    const fn noun(self) -> &'static str {
        match self {
            Role::Issuer => "issuer file",
            Role::Wallet => "wallet file",
            Role::State => "state database",
            Role::JsonState => "JSON state file",
            Role::Log => "acceptance log",
            Role::QrImage => "QR image",
            Role::BarcodeImage => "barcode image",
            Role::ScanImage => "image",
            Role::Spec => "spec",
            Role::Report => "report",
            Role::OutputFolder => "output folder",
            Role::TrustList => "trust list file",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// What a path that is not a regular file is, as a message names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Node {
    /// A folder.
    Folder,
    /// A character device, such as `/dev/null`.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A FIFO (named pipe).
    Fifo,
    /// A Unix socket.
    Socket,
    /// A symbolic link that was not followed.
    Symlink,
    /// Something else that is not a regular file.
    Other,
}

impl Node {
    /// What `file_type` is, unless it is a regular file.
    pub fn of(file_type: std::fs::FileType) -> Option<Node> {
        if file_type.is_file() {
            return None;
        }
        if file_type.is_dir() {
            return Some(Node::Folder);
        }
        if file_type.is_symlink() {
            return Some(Node::Symlink);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_char_device() {
                return Some(Node::CharDevice);
            }
            if file_type.is_block_device() {
                return Some(Node::BlockDevice);
            }
            if file_type.is_fifo() {
                return Some(Node::Fifo);
            }
            if file_type.is_socket() {
                return Some(Node::Socket);
            }
        }
        Some(Node::Other)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Node::Folder => "a folder",
            Node::CharDevice => "a character device",
            Node::BlockDevice => "a block device",
            Node::Fifo => "a FIFO (named pipe)",
            Node::Socket => "a socket",
            Node::Symlink => "a symbolic link",
            Node::Other => "not a regular file",
        })
    }
}

/// What was being done to a file when the operating system refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Reading it.
    Read,
    /// Writing it (a temporary file next to it, then a rename).
    Write,
    /// Creating it.
    Create,
    /// Taking the lock that serializes its updates.
    Lock,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Read => "read",
            Action::Write => "write",
            Action::Create => "create",
            Action::Lock => "lock",
        })
    }
}

/// Why a file could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileError {
    /// The operating system refused an operation on the file.
    Io {
        /// What was being done.
        action: Action,
        /// What the file is for.
        role: Role,
        /// The file as given.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A state database that does not exist: a verifier's state is created
    /// explicitly, so that a mistyped `--state` cannot start a fresh one.
    NoState {
        /// The file as given.
        path: PathBuf,
    },
    /// The file is not JSON of its kind.
    Json {
        /// What the file is for.
        role: Role,
        /// The file as given.
        path: PathBuf,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// The file is another kind of paycode file.
    WrongKind {
        /// What the file was given as.
        role: Role,
        /// The file as given.
        path: PathBuf,
        /// What it is.
        found: Role,
    },
    /// The file's `format` is not the one this version reads.
    UnknownFormat {
        /// What the file is for.
        role: Role,
        /// The file as given.
        path: PathBuf,
        /// Its `format` field, if it has one.
        found: Option<String>,
    },
    /// A key file that others than its owner may read or write (spec: R-KEY-4).
    Insecure {
        /// What the file is for.
        role: Role,
        /// The file as given.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file exists and `--force` was not given.
    Exists {
        /// What the file would have been.
        role: Role,
        /// The file as given.
        path: PathBuf,
    },
    /// An output path that is a symbolic link: nothing is written through one.
    Symlink {
        /// What the file would have been.
        role: Role,
        /// The file as given.
        path: PathBuf,
    },
    /// A path that is not a regular file (a folder, a device, a FIFO):
    /// nothing is read from or written to one.
    NotRegular {
        /// What the file would have been.
        role: Role,
        /// The file as given.
        path: PathBuf,
        /// What it is.
        node: Node,
    },
    /// An empty file where a state database was expected: a state database
    /// is never empty, and an empty file is not used as a new one.
    Empty {
        /// What the file was given as.
        role: Role,
        /// The file as given.
        path: PathBuf,
    },
    /// A file larger than the most the command reads of its kind.
    TooLarge {
        /// What the file is for.
        role: Role,
        /// The file as given.
        path: PathBuf,
        /// The most bytes read of this kind of file.
        limit: u64,
    },
    /// An output path that is a file of another kind, which writing would destroy.
    Clobber {
        /// What the file would have been.
        role: Role,
        /// The file as given.
        path: PathBuf,
        /// What it is.
        other: Role,
    },
    /// The file is JSON of its kind, but a value in it is not usable.
    Content {
        /// What the file is for.
        role: Role,
        /// The file as given.
        path: PathBuf,
        /// What is wrong.
        source: ContentError,
    },
}

impl FileError {
    /// An [`FileError::Io`] maker for `map_err`.
    pub fn io(action: Action, role: Role, path: &std::path::Path) -> impl FnOnce(io::Error) -> FileError {
        let path = path.to_path_buf();
        move |source| FileError::Io { action, role, path, source }
    }

    /// A [`FileError::Content`] maker for `map_err`.
    pub fn content(role: Role, path: &std::path::Path) -> impl FnOnce(ContentError) -> FileError {
        let path = path.to_path_buf();
        move |source| FileError::Content { role, path, source }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Io { action, role, path, source } => {
                write!(f, "cannot {action} the {role} {}: {}", path.display(), os_reason(source))
            }
            FileError::NoState { path } => write!(
                f,
                "the state database {} does not exist; create a new terminal's state with \
                 `paycode state init --state {0}` (or `verify --init`), migrate a JSON state \
                 file with `paycode state import`, or pass --state-lost if a terminal lost its state",
                path.display()
            ),
            FileError::Json { role, path, source } => {
                write!(f, "the {role} {} is not a valid {role}: {source}", path.display())
            }
            FileError::WrongKind { role: Role::State, path, found: Role::JsonState } => write!(
                f,
                "{} is a JSON state file of an earlier version, not a state database; \
                 `paycode state import {0} --state NEW.db` migrates it",
                path.display()
            ),
            FileError::WrongKind { role, path, found } => {
                write!(f, "{} is {} {found}, not {} {role}", path.display(), found.article(), role.article())
            }
            FileError::UnknownFormat { role, path, found: Some(found) } => write!(
                f,
                "the {role} {} has format {found:?}; this version reads {:?}",
                path.display(),
                role.format().unwrap_or_default()
            ),
            FileError::UnknownFormat { role, path, found: None } => {
                write!(f, "{} has no \"format\" field: it is not a paycode {role}", path.display())
            }
            FileError::Insecure { role, path, mode } => write!(
                f,
                "insecure key file: the {role} {} has mode {mode:o}; run chmod 600 on it",
                path.display()
            ),
            FileError::Exists { role: Role::State, path } => write!(
                f,
                "the state database {} exists: it is a terminal's memory of the codes it accepted; \
                 to start a new one, move it away first",
                path.display()
            ),
            FileError::Exists { role, path } => {
                write!(f, "the {role} {} exists; pass --force to overwrite it", path.display())
            }
            FileError::Symlink { role, path } => {
                write!(f, "the {role} {} is a symbolic link; refusing to write through it", path.display())
            }
            FileError::NotRegular { role, path, node: Node::Other } => {
                write!(f, "the {role} {} is not a regular file", path.display())
            }
            FileError::NotRegular { role, path, node } => {
                write!(f, "the {role} {} is {node}, not a regular file", path.display())
            }
            FileError::Empty { role: Role::State, path } => write!(
                f,
                "the state database {} is an empty file, not a state database (which `paycode state \
                 init` creates); an empty file is not taken for a new verifier's state, which would \
                 accept a code used before",
                path.display()
            ),
            FileError::Empty { role, path } => write!(f, "the {role} {} is an empty file", path.display()),
            FileError::TooLarge { role, path, limit } => write!(
                f,
                "the {role} {} is larger than {}, the most this command reads of {} {role}",
                path.display(),
                size(*limit),
                role.article()
            ),
            FileError::Clobber { role, path, other } => {
                write!(f, "the {role} {} is the {other}; refusing to overwrite it", path.display())
            }
            FileError::Content { role, path, source } => write!(f, "the {role} {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileError::Io { source, .. } => Some(source),
            FileError::Json { source, .. } => Some(source),
            FileError::Content { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `bytes` for a message: in MiB when a whole number of them, else in bytes.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// The operating system's reason without its "(os error N)" suffix.
pub fn os_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" (os error ") {
        Some((reason, _)) => reason.to_owned(),
        None => text,
    }
}

/// A value in a file that is not usable, or one it lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentError {
    /// A hex field that is not hex.
    Hex {
        /// The field.
        field: &'static str,
        /// Why.
        source: HexError,
    },
    /// A seed field that is not 32 bytes.
    SeedLength {
        /// The field.
        field: &'static str,
    },
    /// Time parameters outside the spec's ranges (spec: R-TIME-6).
    Params(ParamsError),
    /// A field the file's profile needs is absent.
    Missing {
        /// The field.
        field: &'static str,
    },
    /// The ed25519 wallet's credential does not decode.
    Credential(paycode::Error),
    /// The issuer's key list is not a valid trust list.
    TrustList(paycode::Error),
    /// The issuer's revocation list cannot be installed.
    RevocationList(InstallError),
    /// The trust list does not install under the issuer's root key.
    TrustInstall(InstallError),
    /// The trust list the terminal received (`verify --trust-list`) does
    /// not install under its root key.
    ReceivedTrustList(InstallError),
    /// The issuer's revocation `grace` is above 604800 s (spec: R-REVOKE-1).
    RevocationSchedule,
    /// The issuer file lists one hmac account twice.
    AccountTwice {
        /// The account id.
        account_id: u64,
    },
    /// An ed25519 wallet holds two credentials of one device key index.
    KeyIndexTwice {
        /// The index.
        index: u32,
    },
    /// An ed25519 wallet's `next_key_index` is not above the index of a
    /// credential it holds.
    NextKeyIndex {
        /// `next_key_index`.
        next: u32,
        /// The highest index held.
        held: u32,
    },
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentError::Hex { field, source } => write!(f, "{field:?} holds {source}"),
            ContentError::SeedLength { field } => write!(f, "{field:?} must be 32 bytes (64 hex digits)"),
            ContentError::Params(e) => write!(f, "\"params\": {e}"),
            ContentError::Missing { field } => write!(f, "{field:?} is missing"),
            ContentError::Credential(e) => write!(f, "\"credential\" does not decode: {e}"),
            ContentError::TrustList(e) => write!(f, "\"keys\" is not a valid trust list: {e}"),
            ContentError::RevocationList(e) => write!(f, "\"revocation\": {e}"),
            ContentError::TrustInstall(e) => write!(f, "\"trust\": {e}"),
            ContentError::ReceivedTrustList(e) => {
                write!(f, "not installed under the root key (--root-key, or the issuer file's): {e}")
            }
            ContentError::RevocationSchedule => {
                write!(f, "\"revocation\": \"grace\" must be at most 604800 seconds")
            }
            ContentError::AccountTwice { account_id } => {
                write!(f, "\"accounts\": account {account_id} is listed twice, each with a seed of its own")
            }
            ContentError::KeyIndexTwice { index } => write!(
                f,
                "\"credentials\": device key index {index} is held twice, and its counters would be used twice"
            ),
            ContentError::NextKeyIndex { next, held } => write!(
                f,
                "\"next_key_index\" {next} is not above {held}, the index of a credential held: a renewal \
                 would use a device key again"
            ),
        }
    }
}

impl std::error::Error for ContentError {}

/// Why an issuer could not enroll a wallet.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The hmac account id is enrolled already.
    AccountTaken(u64),
    /// No account id is left after the requested one.
    AccountsExhausted,
    /// No serial is left after the requested one.
    SerialsExhausted,
    /// The issuer's current key id is not in its key list.
    NoCurrentKey(u16),
    /// The credential would be rejected by every terminal: its validity lies
    /// outside the issuer key's, or its lifetime is too long (spec: R-ED-4).
    Credential(paycode::Error),
    /// The issuer file's contents are not usable.
    Content(ContentError),
    /// The batch's terms are refused (spec: R-BATCH-2, R-BATCH-3).
    Batch(paycode::BatchError),
    /// The issuer knows no payer of this id.
    UnknownPayer(u64),
    /// No device key index is left for a new batch (spec: R-BATCH-1).
    IndexesExhausted,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::AccountTaken(id) => write!(f, "account {id} is already enrolled"),
            RegistryError::AccountsExhausted => f.write_str("account ids are exhausted"),
            RegistryError::SerialsExhausted => f.write_str("credential serials are exhausted"),
            RegistryError::NoCurrentKey(id) => write!(f, "the current key id {id} is not in the key list"),
            RegistryError::Credential(e) => write!(f, "cannot issue this credential: {e}"),
            RegistryError::Content(e) => e.fmt(f),
            RegistryError::Batch(e) => write!(f, "cannot issue this batch: {e}"),
            RegistryError::UnknownPayer(p) => write!(f, "the issuer knows no payer {p}"),
            RegistryError::IndexesExhausted => f.write_str("the wallet's device key indexes are exhausted"),
        }
    }
}

impl std::error::Error for RegistryError {}

impl From<ContentError> for RegistryError {
    fn from(e: ContentError) -> RegistryError {
        RegistryError::Content(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_families() {
        assert_eq!(Role::of_format("paycode-issuer-v1"), Some(Role::Issuer));
        assert_eq!(Role::of_format("paycode-issuer-v9"), None);
        assert_eq!(Role::of_format_family("paycode-issuer-v9"), Some(Role::Issuer));
        assert_eq!(Role::of_format_family("paycode-wallet-v2"), Some(Role::Wallet));
        assert_eq!(Role::of_format_family("paycode-state-v1"), Some(Role::JsonState));
        assert_eq!(Role::of_format_family("paycode-issuerx-v1"), None);
        assert_eq!(Role::of_format_family("paycode"), None);
        assert_eq!(Role::of_format_family(""), None);
    }

    #[test]
    fn io_errors_name_the_file_and_its_role() {
        let e = FileError::Io {
            action: Action::Read,
            role: Role::Wallet,
            path: "wallet.json".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert!(e.to_string().starts_with("cannot read the wallet file wallet.json: "), "{e}");
        let os = io::Error::from_raw_os_error(2);
        assert!(!os_reason(&os).contains("os error"), "{}", os_reason(&os));
    }
}
