//! The command families, one module each, and what they share: the exit
//! codes, the clock and the command's error type.

pub mod code;
pub mod conformance;
pub mod demo;
pub mod issuer;
pub mod log;
pub mod out;
pub mod reconcile;
#[cfg(feature = "scan")]
pub mod scan;
pub mod serve;
pub mod state;
pub mod terminal;
pub mod vectors;
pub mod verify;
pub mod wallet;

use std::fmt;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use paycode::{GenerateError, ParamsError};
use paycode_cli::files::SeedError;
use paycode_cli::state::StateError;
use paycode_cli::{FileError, RegistryError};

/// Exit code of success: the command did what it was asked, a code was accepted.
pub const EXIT_OK: u8 = 0;
/// Exit code of a rejected code (the spec's error code is printed), and of
/// `reconcile` when it finds a code accepted more than once.
pub const EXIT_REJECTED: u8 = 1;
/// Exit code of a usage or I/O error.
pub const EXIT_USAGE: u8 = 2;

/// The exit codes, as the top-level `--help` lists them.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success: the command did what it was asked; verify/scan: the code was accepted
  1  verify/scan: the code was rejected, and its error code (replayed, too-old, ...) is printed;
     reconcile: an identity is flagged on verified records (two codes for one counter, counters
     out of order or far apart, or more spent than a credential's limit); demo: a verdict differs
     from the spec
  2  usage error, or a file that cannot be read, written or used, or a standard output that cannot be
     written (the message names it, and says what the command had done: a code spent, a code accepted)
  conformance has exit codes of its own (0 conformant, 1 not conformant, 2 adapter error,
  3 usage error, 4 meets no conformance class): see `paycode conformance --help`";

/// The exit codes of `reconcile`.
pub const RECONCILE_EXIT_HELP: &str = "\
Every record's evidence is checked against the issuer's keys first; a record that fails is
listed as unproven and flags no one, and one code recorded several times is a copy.
Exit status: 0 nothing flagged; 1 an identity is flagged: two codes for one counter,
counters out of order or far apart, or more spent than a credential's limit (the issuer's follow-up is printed: serials to revoke, hmac accounts
to disable, each with its reasons); 2 a log or the issuer file cannot be read.";

/// The system clock, unless `--at` was given (spec: R-TIME-7: the command,
/// not the library, reads the clock).
pub fn now_or(at: Option<u64>) -> u64 {
    at.unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// Why a command failed: a usage or I/O error (exit 2). A rejected code is
/// not an error: it is a verdict (exit 1).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be used; the error names it.
    File(FileError),
    /// A verifier's state could not be used.
    State(StateError),
    /// The issuer refused an enrolment.
    Registry {
        /// The issuer file.
        path: PathBuf,
        /// Why.
        source: RegistryError,
    },
    /// `--t0`, `--step`, `--back`, `--forward` or `--challenge-lifetime` out of the spec's ranges.
    Params(ParamsError),
    /// `issuer init`: a key period or a time with which the issuer could not work.
    IssuerTimes(issuer::TimeError),
    /// `issuer revoke`: a list whose key is not valid at its issue time.
    ListKey(issuer::ListKeyError),
    /// `--seed` is not a seed.
    Seed(SeedError),
    /// The operating system gave no random bytes.
    Randomness(getrandom::Error),
    /// Options that do not go together, or a value out of range.
    Usage(Usage),
    /// The wallet cannot generate a code.
    Generate(GenerateError),
    /// `code --challenge|--challenge-image`: the challenge does not decode (spec: R-CHAL-1, R-GEN-5).
    Challenge(paycode::Error),
    /// A code cannot be drawn as a QR symbol.
    Qr(paycode_render::qr::QrError),
    /// A code cannot be drawn as a barcode.
    Barcode(paycode_render::barcode::BarcodeError),
    /// An image holds no single readable QR code.
    #[cfg(feature = "scan")]
    Scan(scan::ScanError),
    /// Standard input could not be read.
    Stdin(std::io::Error),
    /// A file given to `reconcile` is not an acceptance log.
    Log {
        /// The file.
        path: PathBuf,
        /// Why.
        source: paycode::Error,
    },
    /// The demo's tampered code no longer decodes.
    Demo(paycode::Error),
    /// The demo's terminal refused the demo issuer's revocation list (a bug).
    DemoList(paycode::InstallError),
    /// The demo issuer refused its batch (a bug).
    DemoBatch(paycode::BatchError),
    /// A result could not be printed as JSON.
    Json(serde_json::Error),
    /// The vectors tool failed.
    Vectors(paycode_vectors::VectorError),
    /// Requirement ids neither covered nor listed as untestable.
    Uncovered(Vec<String>),
    /// The conformance runner failed.
    Conformance(conformance::Failure),
    /// `paycode serve` failed.
    Serve(serve::ServeError),
    /// A file could not be written after the command had done something
    /// that stays done (a wallet's counter saved).
    After {
        /// Why the file could not be written; it names the file.
        source: FileError,
        /// What the command had done before.
        done: Done,
    },
    /// Standard output could not be written.
    Stdout {
        /// The operating system's reason.
        source: std::io::Error,
        /// What the command had done before it failed to print it.
        done: Done,
    },
}

/// What a command had done when standard output failed, for the operator
/// to act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Done {
    /// Nothing that an operator needs to know of.
    Nothing,
    /// `code`: the wallet's counter advanced and was saved before the code
    /// was printed; `images` names the image files written.
    CodeSpent {
        /// The image files that hold the code.
        images: Vec<PathBuf>,
    },
    /// `code`: the wallet's counter advanced and was saved before an image of
    /// the code could be put in place; `placed` names the images that were.
    ImageSpent {
        /// The image files already in place, which hold the code.
        placed: Vec<PathBuf>,
    },
    /// `verify`/`scan`: the verdict, which the state holds, was not printed.
    Verdict {
        /// `None`: accepted (and in the state's acceptance log); else the rejection.
        rejection: Option<String>,
    },
    /// `serve token add`: the token's secret was not delivered, and the
    /// token was revoked.
    TokenRevoked {
        /// The token's id.
        id: String,
    },
    /// `serve token add`: the token's secret was not delivered, and
    /// revoking the token failed.
    TokenLive {
        /// The token's id.
        id: String,
        /// Why revoking it failed.
        why: String,
    },
}

impl fmt::Display for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Done::Nothing => Ok(()),
            Done::CodeSpent { images } => {
                f.write_str(
                    "; the wallet's counter had advanced and was saved before the code was printed, so the code \
                     is spent: if it was not shown in full, it can never be used or replayed and there is nothing \
                     to undo (paycode code makes the next one)",
                )?;
                if !images.is_empty() {
                    let names: Vec<String> = images.iter().map(|p| p.display().to_string()).collect();
                    write!(f, "; the code was written to {}", names.join(" and "))?;
                }
                Ok(())
            }
            Done::ImageSpent { placed } => {
                f.write_str(
                    "; the wallet's counter had advanced and was saved before the image was put in place, so the \
                     code's counter value is spent",
                )?;
                if placed.is_empty() {
                    f.write_str(
                        ": the code is in no file and was not printed, so it can never be used or replayed and \
                         there is nothing to undo (paycode code makes the next one)",
                    )
                } else {
                    let names: Vec<String> = placed.iter().map(|p| p.display().to_string()).collect();
                    write!(
                        f,
                        "; the code was written to {} only, and not printed (paycode code makes the next one)",
                        names.join(" and ")
                    )
                }
            }
            Done::Verdict { rejection: None } => f.write_str(
                "; the code WAS accepted: its record is in the state's acceptance log, only the verdict could \
                 not be written (verifying the code again answers replayed)",
            ),
            Done::Verdict { rejection: Some(r) } => {
                write!(f, "; the code was rejected ({r}), only the verdict could not be written")
            }
            Done::TokenRevoked { id } => write!(
                f,
                "; the token {id} was revoked, since its secret was never delivered (serve token add makes another)"
            ),
            Done::TokenLive { id, why } => write!(
                f,
                "; the token {id}'s secret was never delivered, and revoking it failed ({why}): revoke it with \
                 paycode serve token revoke {id} on this store"
            ),
        }
    }
}

/// Options that do not go together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Usage {
    /// `--qr svg|png` without `--out`.
    QrNeedsOut,
    /// `--barcode` without a file to write.
    BarcodeNeedsOut,
    /// `--barcode` for an ed25519 wallet.
    BarcodeNeedsHmac,
    /// `--only digits` for an ed25519 wallet.
    DigitsNeedHmac,
    /// `--barcode` or `--only digits` for a code that has no numeric form.
    NoNumericForm,
    /// `--barcode` or `--only digits` for a capped or challenge code.
    NoNumericFormInMode,
    /// `--out` and `--barcode-out` name one file.
    SameOutput,
    /// `wallet enroll --out` names the issuer file.
    WalletIsIssuer,
    /// `demo --at` outside the range the demo's keys can cover.
    DemoTime,
    /// `--root-key` is not 64 hex digits of a valid public key.
    RootKey,
    /// `--trust-list` names a file that cannot be read, or is not the hex of
    /// a well-formed trust list.
    TrustListFile,
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Usage::QrNeedsOut => "--qr svg|png needs --out FILE",
            Usage::BarcodeNeedsOut => {
                "--barcode needs --out FILE (--barcode-out FILE when --qr writes --out)"
            }
            Usage::BarcodeNeedsHmac => "--barcode: only hmac wallets have the numeric form",
            Usage::DigitsNeedHmac => "--only digits: only hmac wallets have the numeric form",
            Usage::NoNumericForm => {
                "numeric-unavailable: this code has no numeric form (its counter is 65536 or more: the QR form carries it); nothing was spent"
            }
            Usage::NoNumericFormInMode => {
                "numeric-unavailable: a capped or challenge code has no numeric form, only its QR text; nothing was spent"
            }
            Usage::SameOutput => "--out and --barcode-out name the same file",
            Usage::WalletIsIssuer => "--out names the issuer file; a wallet file of its own is needed",
            Usage::DemoTime => "the demo needs a time between 1970-01-03 and 2^63 seconds",
            Usage::RootKey => "--root-key: not 64 hex digits of a valid Ed25519 public key",
            Usage::TrustListFile => "--trust-list: not a readable file holding the hex of a well-formed trust list",
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::File(e) => e.fmt(f),
            Error::State(e) => e.fmt(f),
            Error::Registry { path, source } => write!(f, "the issuer file {}: {source}", path.display()),
            Error::Params(e) => write!(f, "--t0/--step/--back/--forward/--challenge-lifetime: {e}"),
            Error::IssuerTimes(e) => write!(f, "cannot create the issuer: {e}"),
            Error::ListKey(e) => e.fmt(f),
            Error::Seed(e) => write!(f, "--seed: {e}"),
            Error::Randomness(e) => write!(f, "no randomness from the operating system: {e}"),
            Error::Usage(u) => u.fmt(f),
            Error::Generate(e) => write!(f, "cannot generate a code: {e}"),
            Error::Challenge(e) => {
                write!(
                    f,
                    "the challenge: {e} (a challenge is PT3: and 56 Base45 characters); no code was made"
                )
            }
            Error::Qr(e) => write!(f, "cannot draw the QR symbol: {e}"),
            Error::Barcode(e) => write!(f, "cannot draw the barcode: {e}"),
            #[cfg(feature = "scan")]
            Error::Scan(e) => e.fmt(f),
            Error::Stdin(e) => {
                write!(f, "cannot read the code from standard input: {}", paycode_cli::errors::os_reason(e))
            }
            Error::Log { path, source } => write!(f, "{} is not an acceptance log: {source}", path.display()),
            Error::Demo(e) => write!(f, "the demo's tampered code no longer decodes: {e}"),
            Error::DemoList(e) => write!(f, "the demo's terminal refused its revocation list: {e}"),
            Error::DemoBatch(e) => write!(f, "the demo's issuer refused its batch: {e}"),
            Error::Json(e) => write!(f, "cannot print JSON: {e}"),
            Error::Vectors(e) => e.fmt(f),
            Error::Uncovered(ids) => {
                write!(f, "requirement ids neither covered nor untestable: {}", ids.join(", "))
            }
            Error::Conformance(e) => e.fmt(f),
            Error::Serve(e) => e.fmt(f),
            Error::After { source, done } => write!(f, "{source}{done}"),
            Error::Stdout { source, done } => {
                write!(f, "cannot write to standard output: {}{done}", paycode_cli::errors::os_reason(source))
            }
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Standard output could not be written, with nothing done before.
    pub fn stdout(source: std::io::Error) -> Error {
        Error::Stdout { source, done: Done::Nothing }
    }

    /// This error, saying `done` if it is a failure to write standard output.
    pub fn after(self, done: impl FnOnce() -> Done) -> Error {
        match self {
            Error::Stdout { source, .. } => Error::Stdout { source, done: done() },
            other => other,
        }
    }
}

impl From<FileError> for Error {
    fn from(e: FileError) -> Error {
        Error::File(e)
    }
}

impl From<StateError> for Error {
    fn from(e: StateError) -> Error {
        Error::State(e)
    }
}

impl From<Usage> for Error {
    fn from(u: Usage) -> Error {
        Error::Usage(u)
    }
}

impl From<GenerateError> for Error {
    fn from(e: GenerateError) -> Error {
        Error::Generate(e)
    }
}

impl From<paycode_render::qr::QrError> for Error {
    fn from(e: paycode_render::qr::QrError) -> Error {
        Error::Qr(e)
    }
}

impl From<paycode_vectors::VectorError> for Error {
    fn from(e: paycode_vectors::VectorError) -> Error {
        Error::Vectors(e)
    }
}

impl From<conformance::Failure> for Error {
    fn from(e: conformance::Failure) -> Error {
        Error::Conformance(e)
    }
}

/// The imported seed, or a fresh one from the operating system (spec: R-KEY-1).
pub fn seed_or_random(hex: Option<&str>) -> Result<paycode::Seed, Error> {
    match hex {
        Some(h) => paycode_cli::files::seed_from_hex(h).map_err(Error::Seed),
        None => paycode::Seed::random().map_err(Error::Randomness),
    }
}

/// `value` as one line of JSON on standard output.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Error> {
    outln!("{}", serde_json::to_string(value).map_err(Error::Json)?)
}
