//! `paycode verify` and `paycode scan`: one set of verifier options, one
//! path from the code's text to the verdict.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;

use paycode::{Acceptance, Profile};
use paycode_cli::files::IssuerFile;
use paycode_cli::state::{Start, StateFile, Store};
use paycode_cli::{FileError, Role, fsio};
use serde_json::json;

use super::{EXIT_OK, EXIT_REJECTED, Error, now_or, print_json};

/// Longest input read from standard input, bytes.
const MAX_STDIN: u64 = 1 << 20;

/// `paycode verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The code; read from standard input when absent.
    code: Option<OsString>,
    #[command(flatten)]
    verifier: VerifierArgs,
}

/// `paycode scan`.
#[derive(clap::Args)]
pub struct ScanArgs {
    /// The image file (PNG or JPEG).
    image: PathBuf,
    #[command(flatten)]
    verifier: VerifierArgs,
}

/// The verifier options `verify` and `scan` share.
#[derive(clap::Args)]
pub struct VerifierArgs {
    /// The issuer file (accounts, trust list, revocation list).
    #[arg(long)]
    issuer: PathBuf,
    /// The verifier's state file (`paycode state init` creates one; a missing
    /// file is an error). Locked while in use, replaced atomically.
    #[arg(long)]
    state: PathBuf,
    /// A new terminal: create the state file first (refused if it exists).
    #[arg(long, conflicts_with = "state_lost")]
    init: bool,
    /// The state was lost or cannot be trusted (restored from a backup, say):
    /// start in quarantine (spec R-REPLAY-5) and replace the state file. A
    /// surviving state file's high-water step is kept when it is ahead of the
    /// clock, so a clock that went back reopens no code accepted before; to
    /// recover from a clock that had jumped forward (spec §12.8), move the
    /// state file away first.
    #[arg(long)]
    state_lost: bool,
    /// Unix time of verification (default: the system clock).
    #[arg(long)]
    at: Option<u64>,
    /// Amount of the payment in minor units (ed25519 limits).
    #[arg(long, default_value_t = 0)]
    amount: u64,
    /// Append the acceptance record to this log file.
    #[arg(long)]
    log: Option<PathBuf>,
    /// Terminal id written into log records.
    #[arg(long, default_value_t = 1)]
    terminal_id: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `verify`.
pub fn run(args: VerifyArgs) -> Result<u8, Error> {
    let text = match args.code {
        // Non-UTF-8 bytes become U+FFFD, which no code contains: `malformed`.
        Some(a) => a.to_string_lossy().into_owned(),
        None => {
            let mut buf = Vec::new();
            std::io::stdin().take(MAX_STDIN).read_to_end(&mut buf).map_err(Error::Stdin)?;
            // One trailing line ending is how shells deliver a line; anything else is the code's.
            let end =
                buf.strip_suffix(b"\r\n").or_else(|| buf.strip_suffix(b"\n")).map_or(buf.len(), <[u8]>::len);
            buf.truncate(end);
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    verify_text(&text, &args.verifier)
}

/// Runs `scan`.
#[cfg(feature = "scan")]
pub fn scan(args: &ScanArgs) -> Result<u8, Error> {
    let text = super::scan::qr_text(&args.image)?;
    verify_text(&text, &args.verifier)
}

/// Verifies `text` and records the outcome: the state file stays locked from
/// reading it to replacing it, and the log record and the state are durable
/// before "accepted" is printed (spec: R-LOG-1).
fn verify_text(text: &str, o: &VerifierArgs) -> Result<u8, Error> {
    let now = now_or(o.at);
    let issuer = IssuerFile::load(&o.issuer)?;
    let params = issuer.params.params().map_err(FileError::content(Role::Issuer, &o.issuer))?;
    let start = match (o.init, o.state_lost) {
        (true, _) => Start::New,
        (false, true) => Start::Lost { now },
        (false, false) => Start::Existing,
    };
    if let Some(log) = &o.log {
        // Before the state moves: a bad --log must not cost an acceptance.
        fsio::check_not_key_file(log, Role::Log, &[(&o.issuer, Role::Issuer), (&o.state, Role::State)])?;
    }
    let (store, state) = Store::open(&o.state, start, params)?;
    let verifier =
        issuer.verifier(o.terminal_id, &state).map_err(FileError::content(Role::Issuer, &o.issuer))?;
    let verdict = verifier.verify_text(text, now, o.amount);
    if let (Ok(acc), Some(log)) = (&verdict, &o.log) {
        let protect = [(o.issuer.as_path(), Role::Issuer), (store.path(), Role::State)];
        fsio::append(log, Role::Log, &acc.record.encode(), &protect)?;
    }
    store.save(&StateFile::of(&verifier))?;
    drop(store);
    print_verdict(&verdict, o.json)?;
    Ok(if verdict.is_ok() { EXIT_OK } else { EXIT_REJECTED })
}

fn print_verdict(verdict: &Result<Acceptance, paycode::Error>, json: bool) -> Result<(), Error> {
    match (verdict, json) {
        (Ok(a), true) => print_json(&json!({ "verdict": "accepted", "record": a.record }))?,
        (Err(e), true) => {
            print_json(&json!({ "verdict": "rejected", "code": e.code(), "message": e.to_string() }))?;
        }
        (Ok(a), false) => {
            let r = &a.record;
            let (subject, amount) = match r.profile {
                Profile::Hmac => ("account", String::new()),
                Profile::Ed25519 => ("serial", format!(" amount {}", r.amount)),
            };
            println!(
                "accepted: {} {subject} {} counter {} step {}{amount}",
                r.profile.name(),
                r.subject,
                r.counter,
                r.step
            );
        }
        (Err(e), false) => println!("rejected: {e}"),
    }
    Ok(())
}
