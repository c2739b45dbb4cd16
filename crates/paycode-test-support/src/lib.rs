//! Helpers shared by paycode's tests and fuzz targets: the fixture every
//! hostile-input test and fuzz target builds on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

pub mod fixture;

use std::path::{Path, PathBuf};

/// The repository's root folder, where `spec/`, `vectors/` and `conformance/` are.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}
