//! Helpers shared by paycode's tests and fuzz targets: the fixture every
//! hostile-input test and fuzz target builds on, scratch folders and file
//! systems, and a PostgreSQL server of the tests' own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

pub mod fixture;
pub mod postgres;
pub mod scratch;

use std::path::{Path, PathBuf};

/// The repository's root folder, where `spec/`, `vectors/` and `conformance/` are.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}
