//! What a conformance command's exit status means: the runner's contract
//! with CI and scripts (`conformance/README.md`, section 3).

use core::fmt;

/// The exit status of `paycode conformance run`, `kill-matrix` and `compare`.
///
/// ```
/// use paycode_conformance::ExitStatus;
/// assert_eq!(ExitStatus::Pass.code(), 0);
/// assert_eq!(ExitStatus::Usage.code(), 3);
/// assert_eq!(ExitStatus::NoClass.code(), 4);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exit code 0. `run`: conformant, the implementation meets at least one
    /// conformance class, every class it claims is met, and no case is FAIL,
    /// WRONG-REASON, ERROR, CRASH or HANG (SKIP is allowed outside the claimed
    /// classes); `kill-matrix`: every mutant is caught; `compare`: no regression.
    Pass,
    /// Exit code 1. `run`: not conformant, some case is FAIL, WRONG-REASON or
    /// ERROR, or a claimed class failed (a case it requires was skipped or did
    /// not pass); `kill-matrix`: a mutant survives; `compare`: a case that
    /// passed before does not now.
    Fail,
    /// Exit code 2. The adapter broke the contract: it failed its `hello`, wrote a line
    /// that is not a JSON object or answered with the wrong `seq`, crashed or
    /// hung on a case, or could not be restarted.
    AdapterError,
    /// Exit code 3. A usage error: bad options, vectors or reports that cannot be read,
    /// or reports that cannot be written.
    Usage,
    /// Exit code 4. `run`: not conformant, because the implementation meets no
    /// conformance class, although nothing it ran failed: it claims no class
    /// (an adapter that claims nothing, every case SKIP), or the run left out
    /// cases of every class it claims.
    NoClass,
}

impl ExitStatus {
    /// The process exit code.
    pub const fn code(self) -> u8 {
        match self {
            ExitStatus::Pass => 0,
            ExitStatus::Fail => 1,
            ExitStatus::AdapterError => 2,
            ExitStatus::Usage => 3,
            ExitStatus::NoClass => 4,
        }
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExitStatus::Pass => "pass",
            ExitStatus::Fail => "fail",
            ExitStatus::AdapterError => "adapter error",
            ExitStatus::Usage => "usage error",
            ExitStatus::NoClass => "no class",
        })
    }
}
