//! Helpers shared by paycode's tests and fuzz targets: temporary folders
//! ([`TempDir`]), the `paycode` command under test ([`Cli`]), a deterministic
//! pseudo-random generator ([`SplitMix64`]), the fixture every hostile-input
//! test and fuzz target builds on ([`fixture`]), small file systems that fill
//! up or turn read-only ([`scratch`]), a PostgreSQL server of the tests' own
//! ([`postgres`]), a TCP proxy that loses a connection's answers
//! ([`proxy`]), and the repository's root folder ([`repo_root`]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli;
pub mod fixture;
pub mod postgres;
pub mod proxy;
mod rng;
pub mod scratch;
mod temp_dir;

pub use cli::Cli;
pub use rng::SplitMix64;
pub use temp_dir::TempDir;

use std::path::{Path, PathBuf};

use paycode::issuer::KeyPeriod;
use paycode::{Issuer, StateStore, TrustHeader, Verifier};

/// Configures `v` with the issuer's root key and installs the issuer's next
/// trust list of `periods`: numbered one above the installed list, issued at
/// time 0, so that it is newer at any time (spec: R-TRUST-3, R-TRUST-4).
pub fn trust<S: StateStore>(v: &mut Verifier<S>, issuer: &Issuer, periods: &[KeyPeriod]) {
    let sequence = v.trust_list().map_or(1, |t| t.sequence() + 1);
    v.set_root_key(issuer.root_public_key().unwrap());
    let list = issuer.trust_list(TrustHeader { sequence, issued_at: 0 }, periods).unwrap();
    // Not newer: another verifier over the same store installed it first.
    match v.install_trust_list(list, 0) {
        Ok(()) | Err(paycode::InstallError::NotNewer) => {}
        Err(e) => panic!("trust list {sequence}: {e}"),
    }
}

/// The repository's root folder, where `spec/`, `vectors/` and `conformance/` are.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}
