//! Helpers shared by paycode's tests and fuzz targets: temporary folders
//! ([`TempDir`]), the `paycode` command under test ([`Cli`]), a deterministic
//! pseudo-random generator ([`SplitMix64`]), the fixture every hostile-input
//! test and fuzz target builds on ([`fixture`]), small file systems that fill
//! up or turn read-only ([`scratch`]), a PostgreSQL server of the tests' own
//! ([`postgres`]), and the repository's root folder ([`repo_root`]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli;
pub mod fixture;
pub mod postgres;
mod rng;
pub mod scratch;
mod temp_dir;

pub use cli::Cli;
pub use rng::SplitMix64;
pub use temp_dir::TempDir;

use std::path::{Path, PathBuf};

/// The repository's root folder, where `spec/`, `vectors/` and `conformance/` are.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}
