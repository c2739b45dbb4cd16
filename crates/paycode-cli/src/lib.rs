//! The `paycode` command's library: the files it reads and writes, how it
//! writes them, and the issuer's registry operations on its file. The
//! command itself (`src/main.rs`, `src/cmd/`) is a thin shell over this and
//! the protocol library.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod errors;
pub mod files;
pub mod fsio;
pub mod registry;
pub mod state;

pub use errors::{ContentError, FileError, RegistryError, Role};
