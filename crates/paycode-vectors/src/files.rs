//! Reading the files the vector tools take and checking the paths they
//! write: only regular files are read, up to a size of their kind, so that a
//! FIFO is refused rather than waited on and a device such as `/dev/zero`
//! rather than read without end; and an output path taken by something other
//! than a regular file, a symbolic link among them, is refused rather than
//! written through.
//!
//! The path is looked at before the file is opened, so that opening a FIFO
//! never waits for a writer, and the opened file is looked at again: a path
//! swapped for another between the two is the doing of whoever swapped it,
//! and is still refused if what was opened is not a regular file.

use std::fs::{self, File, FileType};
use std::io::{self, Read};
use std::path::Path;

/// The most bytes read of a vector file, the traceability file or the
/// schema. The largest committed vector file is a few hundred KiB; a suite
/// of other implementations may hold much larger inputs.
pub const MAX_VECTOR_FILE: u64 = 64 << 20;
/// The most bytes read of a test's source file that the trace looks for a
/// test in.
pub const MAX_SOURCE_FILE: u64 = 16 << 20;

/// What a file type is, if it is not a regular file: `a folder`, `a FIFO`...
pub fn not_regular(kind: FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_char_device() || kind.is_block_device() {
            return Some("a device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

fn refused(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("it is {what}, not a regular file"))
}

/// The text of the regular file `path` (a link followed), at most `limit` bytes.
///
/// # Errors
///
/// It cannot be opened or read, is not a regular file, holds more than
/// `limit` bytes or is not UTF-8.
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    if let Some(what) = not_regular(fs::metadata(path)?.file_type()) {
        return Err(refused(what));
    }
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if let Some(what) = not_regular(meta.file_type()) {
        return Err(refused(what));
    }
    let too_large = || io::Error::new(io::ErrorKind::InvalidData, format!("it is larger than {limit} bytes"));
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut text = String::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_string(&mut text)?;
    if u64::try_from(text.len()).map_or(true, |n| n > limit) {
        return Err(too_large());
    }
    Ok(text)
}

/// Checks that `path` may be written as an output file: it is absent or a
/// regular file, not a symbolic link (which writing would follow to a file
/// anywhere, a key file among them), a FIFO whose opening would wait for a
/// reader, a device, or a folder.
///
/// # Errors
///
/// It exists and is not a regular file.
pub fn check_output(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(refused("a symbolic link"));
    }
    match fs::metadata(path) {
        Ok(meta) => not_regular(meta.file_type()).map_or(Ok(()), |what| Err(refused(what))),
        Err(_) => Ok(()),
    }
}

/// Writes `bytes` to the output file `path` after [`check_output`]: to a
/// new file `.NAME.tmpPID` beside it, then renamed over it, so that a file
/// that `path` is another name of (a hard link) keeps its contents.
///
/// # Errors
///
/// As [`check_output`], or it cannot be written; the new file is removed then.
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    check_output(path)?;
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut temporary = std::ffi::OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".tmp{}", std::process::id()));
    let temporary = path.with_file_name(temporary);
    // One a killed run of this process id left.
    let _ = fs::remove_file(&temporary);
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut f| io::Write::write_all(&mut f, bytes).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_regular_files_up_to_the_limit_are_read() {
        let dir = std::env::temp_dir().join(format!("paycode-vectors-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let f = dir.join("f.json");
        fs::write(&f, "12345").unwrap();
        assert_eq!(read_text(&f, 5).unwrap(), "12345");
        assert!(read_text(&f, 4).unwrap_err().to_string().contains("larger than 4 bytes"));
        assert!(read_text(&dir, 5).unwrap_err().to_string().contains("a folder"));
        assert!(check_output(&dir).unwrap_err().to_string().contains("a folder"));
        check_output(&f).unwrap();
        check_output(&dir.join("absent")).unwrap();
        #[cfg(unix)]
        {
            let e = read_text(Path::new("/dev/zero"), 5).unwrap_err();
            assert!(e.to_string().contains("a device"), "{e}");
            assert!(write_output(Path::new("/dev/null"), b"x").unwrap_err().to_string().contains("a device"));
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn an_output_is_never_written_through_a_link() {
        let dir = std::env::temp_dir().join(format!("paycode-vectors-links-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let key = dir.join("wallet.json");
        fs::write(&key, "secret").unwrap();
        // A symbolic link is refused, and the file it names keeps its contents.
        let link = dir.join("report.json");
        std::os::unix::fs::symlink(&key, &link).unwrap();
        let e = write_output(&link, b"report").unwrap_err();
        assert!(e.to_string().contains("a symbolic link"), "{e}");
        assert!(check_output(&link).is_err());
        assert_eq!(fs::read(&key).unwrap(), b"secret");
        // A hard link is replaced by a new file: the other name keeps its contents.
        let hard = dir.join("summary.md");
        fs::hard_link(&key, &hard).unwrap();
        write_output(&hard, b"summary").unwrap();
        assert_eq!(
            (fs::read(&hard).unwrap(), fs::read(&key).unwrap()),
            (b"summary".to_vec(), b"secret".to_vec())
        );
        // Nothing is left beside it.
        let mut names: Vec<String> =
            fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["report.json", "summary.md", "wallet.json"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
