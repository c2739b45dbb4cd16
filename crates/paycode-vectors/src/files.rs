//! Reading the files the vector tools take and checking the paths they
//! write: only regular files are read, up to a size of their kind, so that a
//! FIFO is refused rather than waited on and a device such as `/dev/zero`
//! rather than read without end; and an output path taken by something other
//! than a regular file is refused rather than written through.
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

/// Checks that `path` (a link followed) may be written as an output file:
/// it is absent or a regular file, not a FIFO whose opening would wait for a
/// reader, a device, or a folder.
///
/// # Errors
///
/// It exists and is not a regular file.
pub fn check_output(path: &Path) -> io::Result<()> {
    match fs::metadata(path) {
        Ok(meta) => not_regular(meta.file_type()).map_or(Ok(()), |what| Err(refused(what))),
        Err(_) => Ok(()),
    }
}

/// Writes `bytes` to the output file `path` after [`check_output`].
///
/// # Errors
///
/// As [`check_output`], or it cannot be written.
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    check_output(path)?;
    fs::write(path, bytes)
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
}
