//! The `paycode` command's library: the files it reads and writes, and the
//! verifier's state database.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod files;
pub mod store;
