//! Standard output and standard error, written without panicking:
//! `println!` panics when standard output cannot be written (a full disk,
//! a closed pipe), often after the command's action happened. A line that
//! cannot be written is an [`Error::Stdout`] (exit 2); a message that
//! cannot be written to standard error is dropped, since there is nowhere
//! else to report it, and the command keeps its exit code.

use std::fmt;
use std::io::{self, Write};

use super::Error;

/// Writes `args` and a line ending to standard output and flushes it, so
/// that a failed write is seen here rather than at exit.
pub fn line(args: fmt::Arguments<'_>) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    out.write_fmt(args).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush()).map_err(Error::stdout)
}

/// Writes `text` to standard output as it is, and flushes it.
pub fn text(text: &str) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(Error::stdout)
}

/// Flushes standard output: what a command wrote and a buffer still holds.
pub fn flush() -> Result<(), Error> {
    io::stdout().lock().flush().map_err(Error::stdout)
}

/// Writes `args` and a line ending to standard error; a failure is ignored.
pub fn err_line(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n")).and_then(|()| err.flush());
}
