//! The JSON test vectors of paycode v3: their format ([`format`](mod@format)), the one
//! loader ([`suite`]), the reference run of a case ([`reference`](mod@reference)), the
//! checker ([`check`]), the requirement trace ([`trace`]) over the spec's
//! index ([`requirements`]), and, apart from them, the deterministic
//! generator that writes `vectors/` ([`generate`]).
//!
//! `vectors/README.md` defines the format for implementers in other
//! languages; the types in [`format`](mod@format) are the same definition in
//! Rust, read with `deny_unknown_fields` throughout.
//!
//! ```no_run
//! let suite = paycode_vectors::suite::Suite::load_dir(std::path::Path::new("vectors")).unwrap();
//! assert!(suite.case_count() >= paycode_vectors::check::MIN_CASES);
//! let report = paycode_vectors::check::check_dir(std::path::Path::new("vectors")).unwrap();
//! assert_eq!(report.cases, suite.case_count());
//! ```

pub mod check;
mod curve;
mod errors;
pub mod files;
pub mod format;
pub mod generate;
pub mod reference;
pub mod requirements;
pub mod suite;
pub mod trace;

pub use errors::{CaseError, FixtureError, InputError, SpecError, VectorError};
