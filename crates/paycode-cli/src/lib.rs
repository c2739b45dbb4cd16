//! The `paycode` command's library: the files it reads and writes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod files;
