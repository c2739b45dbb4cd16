//! How the command touches the file system: JSON files read with their kind
//! checked, written atomically under an advisory lock, and images and logs
//! written without following a symbolic link or destroying a key file or a
//! state database.
//!
//! Every read-modify-write of a wallet or issuer file holds the lock of that
//! file ([`Locked`]): a lock file `.NAME.lock` next to it, locked with
//! `flock`. Two `paycode code` processes on one wallet therefore never use
//! the same counter (spec: R-GEN-1, R-GEN-3), and two enrolments never lose
//! one another's account. The lock file stays: removing it would let a third
//! process lock a new file while a second still waits on the old one. The
//! verifier's state database has SQLite's own locks ([`crate::state`]).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::errors::{Action, FileError, Node, Role};

/// The most bytes read of a wallet file. A wallet holds at most one batch of
/// 1024 credentials (`wallet enroll --batch`), about 330 bytes each as the
/// command writes them: some 340 KiB.
pub const MAX_WALLET: u64 = 4 << 20;
/// The most bytes read of an issuer file. It grows with its registry: some
/// 130 bytes an hmac account, and some 30 bytes a credential serial in its
/// payer's batch and as many again on the revocation list. The cap leaves
/// room for about two million accounts, or four million credentials all
/// revoked; an issuer file is rewritten whole at each enrolment, so one that
/// large is already far beyond what the file is for.
pub const MAX_ISSUER: u64 = 256 << 20;
/// The most bytes read of a JSON state file of earlier versions: a replay
/// window of some 100 bytes an account or credential, and a ledger entry of
/// each credential; ten million of each fit.
pub const MAX_JSON_STATE: u64 = 1 << 30;
/// The most bytes read of one acceptance log: records of 40 to 270 bytes
/// (spec §4.8), so at least four million acceptances of the largest kind.
pub const MAX_LOG: u64 = 1 << 30;
/// The most bytes read of a trust list file: the hex of a list of 65535 keys
/// (19 + 65535 * 50 + 64 bytes, about 6.3 MiB as hex), with room for white
/// space.
pub const MAX_TRUST_LIST: u64 = 8 << 20;
/// The most bytes read of the spec that `vectors trace` reads.
pub const MAX_SPEC: u64 = 16 << 20;
/// The most bytes read of a conformance report (`report.json`) that
/// `conformance compare` and `conformance matrix` read: some 500 bytes a
/// case, so a suite a hundred times the committed one, with long details,
/// still fits.
pub const MAX_REPORT: u64 = 64 << 20;

/// The most bytes read of an image that `scan` decodes: far above any photo
/// of a payment code.
pub const MAX_SCAN_IMAGE: u64 = 64 << 20;

/// The most bytes read of a file of kind `role` ([`read_regular`]).
pub const fn read_limit(role: Role) -> u64 {
    match role {
        Role::Wallet => MAX_WALLET,
        Role::Issuer => MAX_ISSUER,
        Role::JsonState => MAX_JSON_STATE,
        Role::Log => MAX_LOG,
        Role::TrustList => MAX_TRUST_LIST,
        Role::Report => MAX_REPORT,
        Role::Spec => MAX_SPEC,
        Role::ScanImage => MAX_SCAN_IMAGE,
        // Never read whole: a database SQLite opens, files the command
        // only writes, and folders.
        Role::State | Role::QrImage | Role::BarcodeImage | Role::OutputFolder => 0,
    }
}

/// The file `path` names: the target of a symbolic link, so that a wallet
/// reached through a link is updated in place and shares its lock.
pub fn resolve(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// A file held under its lock for a read-modify-write. The lock is released
/// when this is dropped.
#[derive(Debug)]
pub struct Locked {
    /// The path as given, for messages.
    given: PathBuf,
    /// The file itself (a link resolved).
    real: PathBuf,
    role: Role,
    _lock: File,
}

impl Locked {
    /// Takes the lock of `path`, waiting for another process that holds it.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`] (naming `path`) if the lock file cannot be created
    /// or locked, for instance because the folder does not exist.
    pub fn acquire(path: &Path, role: Role) -> Result<Locked, FileError> {
        let real = resolve(path);
        let lock_path = sibling(&real, "lock", None);
        let mut opts = OpenOptions::new();
        opts.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&lock_path).map_err(FileError::io(Action::Lock, role, path))?;
        file.lock().map_err(FileError::io(Action::Lock, role, path))?;
        Ok(Locked { given: path.to_path_buf(), real, role, _lock: file })
    }

    /// Takes the lock of `path`, which must exist and be a regular file: a
    /// mistyped path, a folder or a device (`/dev/zero`) leaves no lock file
    /// behind.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`] (naming `path`) if it does not exist or cannot be
    /// locked; [`FileError::NotRegular`] if it is not a regular file.
    pub fn acquire_existing(path: &Path, role: Role) -> Result<Locked, FileError> {
        let meta = fs::metadata(path).map_err(FileError::io(Action::Read, role, path))?;
        if let Some(node) = Node::of(meta.file_type()) {
            return Err(FileError::NotRegular { role, path: path.to_path_buf(), node });
        }
        Locked::acquire(path, role)
    }

    /// The path as the user gave it.
    pub fn path(&self) -> &Path {
        &self.given
    }

    /// Whether the file exists.
    pub fn exists(&self) -> bool {
        fs::symlink_metadata(&self.real).is_ok()
    }

    /// Reads the file as JSON of its kind; see [`read_json`].
    ///
    /// # Errors
    ///
    /// As [`read_json`].
    pub fn read<T: DeserializeOwned>(&self, secret: bool) -> Result<T, FileError> {
        read_at(&self.real, &self.given, self.role, secret)
    }

    /// Replaces the file with `value` as JSON, atomically: a temporary file
    /// next to it (created new, after removing the ones a killed process may
    /// have left, which only a holder of this lock writes), flushed to disk,
    /// then renamed over it. `secret` files get mode 0600.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`] naming the file; the file is then unchanged.
    pub fn write<T: Serialize>(&self, value: &T, secret: bool) -> Result<(), FileError> {
        self.stage(value, secret)?.place(&[])
    }

    /// Writes `value` as JSON to the temporary file of [`Locked::write`],
    /// flushed to disk, and leaves it there: [`Staged::place`] renames it
    /// over the file. Another file can so be written in between, with the
    /// file known to be writable first.
    ///
    /// # Errors
    ///
    /// [`FileError::Io`] naming the file; the file is then unchanged and no
    /// temporary file is left.
    pub fn stage<T: Serialize>(&self, value: &T, secret: bool) -> Result<Staged, FileError> {
        let mut text = WipingBuffer(Zeroizing::new(Vec::with_capacity(4096)));
        let io = || FileError::io(Action::Write, self.role, &self.given);
        serde_json::to_writer_pretty(&mut text, value).map_err(|e| io()(std::io::Error::other(e)))?;
        text.0.push(b'\n');
        remove_stale_temporaries(&self.real);
        let tmp = sibling(&self.real, "tmp", Some(std::process::id()));
        write_temporary(&tmp, &text.0, if secret { 0o600 } else { 0o644 }).map_err(io())?;
        Ok(Staged {
            path: self.real.clone(),
            given: self.given.clone(),
            tmp,
            role: self.role,
            output: false,
            placed: false,
        })
    }
}

/// Reads a JSON file of kind `role`, checking its `format` field first: a
/// file of another kind says which kind it is, and an unknown format is
/// refused. A `secret` file is then refused when its mode lets others read
/// or write it (spec: R-KEY-4).
///
/// # Errors
///
/// [`FileError`] naming `path`: [`FileError::Io`], [`FileError::Insecure`],
/// [`FileError::WrongKind`], [`FileError::UnknownFormat`], [`FileError::Json`].
pub fn read_json<T: DeserializeOwned>(path: &Path, role: Role, secret: bool) -> Result<T, FileError> {
    read_at(path, path, role, secret)
}

/// Opens `real` (a link followed; `given` names it in errors) to read it as
/// a file of kind `role`, and returns it with its length if it is a regular
/// file. The opened file is the one checked, so a file swapped for another
/// after a look at the path is still refused. A FIFO is opened without
/// waiting for a writer (`O_NONBLOCK`, which a regular file's reads ignore),
/// so that it is refused rather than waited on.
///
/// # Errors
///
/// [`FileError::Io`] if it cannot be opened; [`FileError::NotRegular`] if
/// it is a folder, a device, a FIFO or a socket.
pub fn open_regular(real: &Path, given: &Path, role: Role) -> Result<(File, u64), FileError> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = opts.open(real).map_err(FileError::io(Action::Read, role, given))?;
    let meta = file.metadata().map_err(FileError::io(Action::Read, role, given))?;
    if let Some(node) = Node::of(meta.file_type()) {
        return Err(FileError::NotRegular { role, path: given.to_path_buf(), node });
    }
    Ok((file, meta.len()))
}

/// Reads the regular file `path` of kind `role` whole, at most
/// [`read_limit`] of `role` bytes. The bytes are wiped from memory when
/// dropped.
///
/// # Errors
///
/// As [`open_regular`]; [`FileError::TooLarge`] if it holds more than the
/// limit; [`FileError::Io`] if it cannot be read.
pub fn read_regular(path: &Path, role: Role) -> Result<Zeroizing<Vec<u8>>, FileError> {
    read_regular_at(path, path, role)
}

fn read_regular_at(real: &Path, given: &Path, role: Role) -> Result<Zeroizing<Vec<u8>>, FileError> {
    let limit = read_limit(role);
    let too_large = || FileError::TooLarge { role, path: given.to_path_buf(), limit };
    let (file, len) = open_regular(real, given, role)?;
    if len > limit {
        return Err(too_large());
    }
    // Room for the whole file and one byte more, so that reading it to its
    // end moves no secret to a larger allocation; one that grew since its
    // length was taken is read up to one byte past the limit.
    let room = usize::try_from(len).unwrap_or(0).saturating_add(1);
    let mut bytes = Zeroizing::new(Vec::with_capacity(room));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(FileError::io(
        Action::Read,
        role,
        given,
    ))?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > limit) {
        return Err(too_large());
    }
    Ok(bytes)
}

fn read_at<T: DeserializeOwned>(real: &Path, given: &Path, role: Role, secret: bool) -> Result<T, FileError> {
    let io = FileError::io(Action::Read, role, given);
    let bytes = read_regular_at(real, given, role)?;
    if paycode_store::sqlite::is_state_database(&bytes) {
        return Err(FileError::WrongKind { role, path: given.to_path_buf(), found: Role::State });
    }
    let text = Zeroizing::new(
        std::str::from_utf8(&bytes)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?
            .to_owned(),
    );
    if let Some(want) = role.format() {
        let found = probe_format(&text);
        match found.as_deref() {
            Some(f) if f == want => {}
            Some(f) => {
                return Err(match Role::of_format_family(f) {
                    Some(other) if other != role => {
                        FileError::WrongKind { role, path: given.to_path_buf(), found: other }
                    }
                    _ => FileError::UnknownFormat { role, path: given.to_path_buf(), found },
                });
            }
            // Not JSON, or JSON without a format: the parser's message says which.
            None if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err() => {}
            None => return Err(FileError::UnknownFormat { role, path: given.to_path_buf(), found: None }),
        }
    }
    // The kind first, so that a state file given as a wallet says so.
    if secret {
        check_private(real, given, role)?;
    }
    serde_json::from_str(&text).map_err(|source| FileError::Json { role, path: given.to_path_buf(), source })
}

/// The `format` string of a JSON object, if `text` is one that has it.
fn probe_format(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Probe {
        format: Option<String>,
    }
    serde_json::from_str::<Probe>(text).ok().and_then(|p| p.format)
}

#[cfg(unix)]
fn check_private(real: &Path, given: &Path, role: Role) -> Result<(), FileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(real).map_err(FileError::io(Action::Read, role, given))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(FileError::Insecure { role, path: given.to_path_buf(), mode: mode & 0o777 });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &Path, _: Role) -> Result<(), FileError> {
    Ok(())
}

/// Checks that `path` may receive an output of kind `role`: it is absent, in
/// a folder that exists, or a regular file that is neither one of `protect`
/// nor a paycode key or state file, and not a symbolic link (which would be
/// written through).
///
/// # Errors
///
/// [`FileError::Symlink`], [`FileError::NotRegular`], [`FileError::Clobber`];
/// [`FileError::Io`] if the folder of an absent `path` is not a folder.
pub fn check_output(path: &Path, role: Role, protect: &[(&Path, Role)]) -> Result<(), FileError> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        // Found now, before the caller does what the output is for (a
        // wallet's counter moves before its code's image is written).
        let is_folder =
            fs::metadata(folder(path)).map_err(FileError::io(Action::Write, role, path))?.is_dir();
        return if is_folder {
            Ok(())
        } else {
            Err(FileError::io(Action::Write, role, path)(std::io::Error::from(
                std::io::ErrorKind::NotADirectory,
            )))
        };
    };
    let given = || path.to_path_buf();
    if meta.file_type().is_symlink() {
        return Err(FileError::Symlink { role, path: given() });
    }
    if let Some(node) = Node::of(meta.file_type()) {
        return Err(FileError::NotRegular { role, path: given(), node });
    }
    check_not_key_file(path, role, protect)
}

/// Checks that `path` (a link followed) is none of `protect` and no paycode
/// key file, JSON state file or state database, which writing to it would
/// destroy.
///
/// # Errors
///
/// [`FileError::Clobber`].
pub fn check_not_key_file(path: &Path, role: Role, protect: &[(&Path, Role)]) -> Result<(), FileError> {
    if fs::metadata(path).is_err() {
        return Ok(());
    }
    let given = || path.to_path_buf();
    for &(other, other_role) in protect {
        if same_file(path, other) {
            return Err(FileError::Clobber { role, path: given(), other: other_role });
        }
    }
    match kind_of(path) {
        Some(other) => Err(FileError::Clobber { role, path: given(), other }),
        None => Ok(()),
    }
}

/// Checks that `--force` may replace the existing `path` with a file of
/// kind `role`: it is a regular file, and not a paycode file of another
/// kind (a state database, a JSON state file, a key file of the other
/// kind), whose loss `--force` does not ask for.
///
/// # Errors
///
/// [`FileError::NotRegular`], [`FileError::Clobber`].
pub fn check_replace(path: &Path, role: Role) -> Result<(), FileError> {
    // A folder, say, is never replaced: the rename over it would fail only
    // after the command did what the file is for.
    if let Some(node) = fs::metadata(path).ok().and_then(|m| Node::of(m.file_type())) {
        return Err(FileError::NotRegular { role, path: path.to_path_buf(), node });
    }
    match kind_of(path) {
        Some(other) if other != role => Err(FileError::Clobber { role, path: path.to_path_buf(), other }),
        _ => Ok(()),
    }
}

/// What kind of paycode file `path` (a link followed) is, if it is one: a
/// state database, or JSON with a paycode format (an issuer, wallet or JSON
/// state file, of any version). Only a regular file is read, never a pipe,
/// whose reading could block; a file that cannot be read is none.
pub fn kind_of(path: &Path) -> Option<Role> {
    let (mut f, len) = open_regular(path, path, Role::Report).ok()?;
    let mut header = [0u8; paycode_store::sqlite::HEADER_LEN];
    if f.read_exact(&mut header).is_ok() && paycode_store::sqlite::is_state_database(&header) {
        return Some(Role::State);
    }
    if len > 1 << 20 {
        return None;
    }
    let (f, _) = open_regular(path, path, Role::Report).ok()?;
    let mut text = Zeroizing::new(String::new());
    f.take(1 << 20).read_to_string(&mut text).ok()?;
    probe_format(&text).as_deref().and_then(Role::of_format_family)
}

/// Writes `bytes` to the output `path` of kind `role` atomically, after
/// [`check_output`]: a new temporary file next to it (`create_new`, so never
/// through a link), then a rename over it.
///
/// # Errors
///
/// As [`check_output`], or [`FileError::Io`] naming the file.
pub fn write_output(
    path: &Path,
    role: Role,
    bytes: &[u8],
    protect: &[(&Path, Role)],
) -> Result<(), FileError> {
    stage_output(path, role, bytes, protect)?.place(protect)
}

/// An output ([`stage_output`]) or a locked file ([`Locked::stage`])
/// written in full to a temporary file next to it, and not yet in place:
/// [`Staged::place`] renames it over its path. Dropped unplaced, the
/// temporary file is removed and the path is untouched.
///
/// What the output is for may then happen between the two: a wallet's
/// counter is saved only once its code's image is known to be writable,
/// and before the image appears (spec: R-GEN-1).
#[derive(Debug)]
#[must_use = "a staged file is removed unless placed"]
pub struct Staged {
    /// The file renamed over (a link resolved, for a locked file).
    path: PathBuf,
    /// The path as the user gave it, for messages.
    given: PathBuf,
    tmp: PathBuf,
    role: Role,
    /// An output ([`stage_output`]), checked again before it is placed;
    /// else a locked file ([`Locked::stage`]).
    output: bool,
    placed: bool,
}

/// Writes `bytes` for the output `path` of kind `role`, after
/// [`check_output`], to a new temporary file next to it (`create_new`, so
/// never through a link), flushed to disk; nothing is at `path` yet.
///
/// # Errors
///
/// As [`check_output`], or [`FileError::Io`] naming `path` if the temporary
/// file cannot be created or written (a read-only folder, a full disk, a
/// name too long); nothing is then left behind.
pub fn stage_output(
    path: &Path,
    role: Role,
    bytes: &[u8],
    protect: &[(&Path, Role)],
) -> Result<Staged, FileError> {
    check_output(path, role, protect)?;
    let tmp = sibling(path, "tmp", Some(std::process::id()));
    write_temporary(&tmp, bytes, 0o644).map_err(FileError::io(Action::Write, role, path))?;
    Ok(Staged { path: path.to_path_buf(), given: path.to_path_buf(), tmp, role, output: true, placed: false })
}

impl Staged {
    /// The path as the user gave it.
    pub fn given(&self) -> &Path {
        &self.given
    }

    /// Renames the temporary file over its path; an output's path is
    /// checked again first ([`check_output`], with `protect`).
    ///
    /// # Errors
    ///
    /// As [`check_output`], or [`FileError::Io`] naming the path; the
    /// temporary file is then removed.
    pub fn place(mut self, protect: &[(&Path, Role)]) -> Result<(), FileError> {
        if self.output {
            check_output(&self.path, self.role, protect)?;
        }
        fs::rename(&self.tmp, &self.path).map_err(FileError::io(Action::Write, self.role, &self.given))?;
        self.placed = true;
        if let Ok(d) = File::open(folder(&self.path)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Whether `a` and `b` are the same file (a hard or symbolic link included).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::metadata(a), fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
}

/// Whether the outputs `a` and `b` name one file, whether it exists yet or
/// not: one path, one existing file (a hard or symbolic link included), or
/// one name in one folder however the folder is spelt (`./q.png`,
/// `d/../q.png`, a path through a linked folder). Two such outputs would be
/// staged to one temporary file, and the second would replace the first.
/// The folders are compared resolved, so they must exist ([`check_output`]);
/// one that cannot be resolved is compared only as the rest allows.
pub fn same_output(a: &Path, b: &Path) -> bool {
    a == b || same_file(a, b) || matches!((output_place(a), output_place(b)), (Some(x), Some(y)) if x == y)
}

/// The resolved folder of `path` joined with its file name, if both are there.
fn output_place(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    fs::canonicalize(folder(path)).ok().map(|d| d.join(name))
}

/// `.NAME.SUFFIX` (or `.NAME.SUFFIXPID`) in the folder of `path`.
fn sibling(path: &Path, suffix: &str, pid: Option<u32>) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let pid = pid.map(|p| p.to_string()).unwrap_or_default();
    folder(path).join(format!(".{name}.{suffix}{pid}"))
}

fn folder(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Removes `.NAME.tmpPID` files next to `path`: the caller holds the lock of
/// `path`, and every writer of `path` does, so any such file was left by a
/// process that died while writing.
fn remove_stale_temporaries(path: &Path) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!(".{name}.tmp");
    let Ok(entries) = fs::read_dir(folder(path)) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        let stale = file
            .strip_prefix(&prefix)
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to the new file `tmp` with `mode`, and flushes it to
/// disk. A leftover file of that name (a killed process whose id was
/// reused) is removed first; on failure, nothing is left.
fn write_temporary(tmp: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    if fs::symlink_metadata(tmp).is_ok() {
        fs::remove_file(tmp)?;
    }
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = opts.open(tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if result.is_err() {
        let _ = fs::remove_file(tmp);
    }
    result
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

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("paycode-fsio-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

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
    fn stale_temporaries_are_removed_and_others_kept() {
        let dir = scratch("stale");
        let p = dir.join("w.json");
        for name in [".w.json.tmp1", ".w.json.tmp424242", ".w.json.tmp", ".w.json.tmpx", "w.json.tmp1"] {
            fs::write(dir.join(name), b"x").unwrap();
        }
        Locked::acquire(&p, Role::Report).unwrap().write(&1u8, false).unwrap();
        let mut left: Vec<String> =
            fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, [".w.json.lock", ".w.json.tmp", ".w.json.tmpx", "w.json", "w.json.tmp1"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
