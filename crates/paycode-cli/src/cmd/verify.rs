//! `paycode verify` and `paycode scan`: one set of verifier options, one
//! path from the code's text to the verdict.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use paycode::codec::from_hex;
use paycode::{Acceptance, Profile, PublicKey, Rejection, TextPayment, TrustList, Verifier};
use paycode_cli::files::IssuerFile;
use paycode_cli::fsio;
use paycode_cli::state::{self, ConfigureError, LossError, Start, StateError, TerminalTrust};
use paycode_cli::{ContentError, FileError, Role};
use serde_json::json;

use super::{Done, EXIT_OK, EXIT_REJECTED, Error, Usage, now_or, print_json};

/// Longest input read from standard input, bytes.
const MAX_STDIN: u64 = 1 << 20;

/// Longest `--busy-timeout`, milliseconds: SQLite takes its busy timeout as
/// a C `int` of milliseconds.
const MAX_BUSY_TIMEOUT: u64 = i32::MAX as u64;

/// `--busy-timeout`: milliseconds, at most [`MAX_BUSY_TIMEOUT`].
fn busy_timeout(text: &str) -> Result<u64, String> {
    let ms: u64 = text.parse().map_err(|e| format!("not a number of milliseconds: {e}"))?;
    if ms > MAX_BUSY_TIMEOUT {
        return Err(format!(
            "{ms} ms is above the largest busy timeout SQLite takes, {MAX_BUSY_TIMEOUT} ms (about 24.8 days)"
        ));
    }
    Ok(ms)
}

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
    /// The verifier's state database (`paycode state init` creates one; a
    /// missing one is an error). Each verification is one transaction of it,
    /// so any number of processes may verify against one state at once.
    #[arg(long)]
    state: PathBuf,
    /// The issuer's root public key (64 hex digits) this terminal is
    /// configured with, under which it installs trust lists (default: the
    /// issuer file's).
    #[arg(long, value_name = "HEX")]
    root_key: Option<String>,
    /// The trust list this terminal received (a file of its hex, from
    /// `issuer trust-list --out`), installed if it is signed by the root key
    /// and newer than the one the state holds (default: the issuer file's).
    #[arg(long, value_name = "FILE")]
    trust_list: Option<PathBuf>,
    /// A new terminal: create the state database first (refused if it exists).
    #[arg(long, conflicts_with = "state_lost")]
    init: bool,
    /// The state may have lost committed changes (restored from a backup,
    /// say): enter quarantine (spec R-STATE-5), keeping the records it holds;
    /// with no state database at all, start a new one in quarantine. The
    /// quarantine is taken at the verifier time, never below the time floor
    /// (spec R-TIME-8): the issuer file's revocation list's issued_at and what
    /// the database holds, its high-water step and its log's last acceptance.
    /// The log is in the database, so a restored backup bounds the time only
    /// as far as the backup and the issuer file go. To recover from a clock
    /// that had jumped forward (spec §12.8), export and archive the log, then
    /// move the state database away first.
    #[arg(long)]
    state_lost: bool,
    /// How long to wait for another process's transaction on the state, in
    /// milliseconds (at most 2147483647), before rejecting as
    /// `state-unavailable`.
    #[arg(long, default_value_t = 5_000, value_parser = busy_timeout)]
    busy_timeout: u64,
    /// Unix time of verification (default: the system clock).
    #[arg(long)]
    at: Option<u64>,
    /// Amount of the payment in minor units: checked against a capped
    /// code's cap, the numeric ceiling, the ed25519 limits and the
    /// challenge's amount.
    #[arg(long, default_value_t = 0)]
    amount: u64,
    /// This terminal's id: written into log records, and the terminal a
    /// challenge must name.
    #[arg(long, default_value_t = 1)]
    terminal_id: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Challenge mode: the challenge this terminal showed for this payment
    /// (`PT3:...`, from `terminal challenge`). Only a code made for it is
    /// accepted, for its amount (--amount) at its terminal (--terminal-id),
    /// while it is open, once.
    #[arg(long, value_name = "TEXT")]
    challenge: Option<OsString>,
    /// As --challenge, read from the challenge's QR symbol in a PNG or JPEG
    /// image.
    #[cfg(feature = "scan")]
    #[arg(long, value_name = "IMAGE", conflicts_with = "challenge")]
    challenge_image: Option<PathBuf>,
}

impl VerifierArgs {
    /// The root key and trust list given on the command line.
    fn terminal_trust(&self) -> Result<TerminalTrust, Error> {
        let root = match &self.root_key {
            Some(hex) => Some(
                from_hex(hex)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                    .and_then(|b| PublicKey::from_bytes(&b))
                    .ok_or(Usage::RootKey)?,
            ),
            None => None,
        };
        let trust_list = match &self.trust_list {
            Some(path) => {
                let bytes = fsio::read_regular(path, Role::TrustList)?;
                let text = std::str::from_utf8(&bytes).map_err(|_| Usage::TrustListFile)?;
                let bytes = from_hex(text.trim()).map_err(|_| Usage::TrustListFile)?;
                Some(TrustList::decode(&bytes).map_err(|_| Usage::TrustListFile)?)
            }
            None => None,
        };
        Ok(TerminalTrust { root, trust_list })
    }

    /// The challenge's text, if the payment has one. An image without a
    /// single readable QR code is a usage error; a text that is not a
    /// challenge is the verifier's to judge (`malformed`).
    fn challenge_text(&self) -> Result<Option<String>, Error> {
        // Non-UTF-8 bytes become U+FFFD, which no challenge contains: `malformed`.
        if let Some(t) = &self.challenge {
            return Ok(Some(t.to_string_lossy().into_owned()));
        }
        #[cfg(feature = "scan")]
        if let Some(image) = &self.challenge_image {
            return super::scan::qr_text(image).map(Some);
        }
        Ok(None)
    }
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

/// Verifies `text` against the state database. The verification is one
/// transaction of the store, which commits the state changes and the log
/// record together before "accepted" is printed (spec: R-LOG-1, R-STATE-1,
/// R-STATE-2). A store that fails is a `state-unavailable` verdict naming
/// the cause (exit 1, spec: R-STATE-4); a missing state database or a file
/// of another kind is the operator's mistake (exit 2).
fn verify_text(text: &str, o: &VerifierArgs) -> Result<u8, Error> {
    let now = now_or(o.at);
    let challenge = o.challenge_text()?;
    let issuer = IssuerFile::load(&o.issuer)?;
    let params = issuer.params.params().map_err(FileError::content(Role::Issuer, &o.issuer))?;
    let start = match (o.init, o.state_lost) {
        (true, _) => Start::New,
        (false, true) => Start::Lost { now },
        (false, false) => Start::Existing,
    };
    // Read before the state is opened, so that a bad --root-key or
    // --trust-list leaves no new state behind (--init).
    let terminal = o.terminal_trust()?;
    let time_before_epoch = || StateError::TimeBeforeEpoch { path: o.state.clone() };
    if o.state_lost && params.step_at(now).is_err() {
        // Before the state is touched: nothing is written.
        return Err(time_before_epoch().into());
    }
    let store = match state::open(&o.state, start) {
        Ok(store) => store,
        Err(StateError::Unavailable(e)) => return rejected(&e.into(), o.json),
        Err(e) => return Err(e.into()),
    };
    if let Err(e) = store.set_busy_timeout(Duration::from_millis(o.busy_timeout)) {
        return rejected(&e.into(), o.json);
    }
    let verifier =
        match issuer.configure_with(Verifier::with_store(params, o.terminal_id, store), now, &terminal) {
            Ok(v) => v,
            Err(ConfigureError::Store(e)) => return rejected(&e.into(), o.json),
            Err(ConfigureError::Content(e)) => {
                let (role, path) = match (&e, &o.trust_list) {
                    (ContentError::ReceivedTrustList(_), Some(list)) => (Role::TrustList, list),
                    _ => (Role::Issuer, &o.issuer),
                };
                return Err(FileError::content(role, path)(e).into());
            }
        };
    // spec: R-TIME-8: a clock below the floor is wrong; the verifier uses the floor.
    let floor = verifier.time_floor();
    if now < floor {
        errln!(
            "paycode: warning: the clock reads {now}, below the time floor {floor} (the installed list's issued_at, the last acceptance, the high-water step); verifying at {floor}"
        );
    }
    if let Start::Lost { now } = start {
        // spec: R-STATE-5: quarantine, keeping the records, at the verifier time.
        match state::after_loss(verifier.store(), params, verifier.verifier_time(now)) {
            Ok(()) => {}
            Err(LossError::Store(e)) => return rejected(&e.into(), o.json),
            Err(LossError::TimeBeforeEpoch) => return Err(time_before_epoch().into()),
        }
    }
    // spec: R-CHAL-3: the challenge comes from this terminal, with the payment.
    let payment = TextPayment { text, amount: o.amount, challenge: challenge.as_deref() };
    let verdict = verifier.verify_text_payment(payment, now);
    // The verdict is in the state: one that cannot be printed says what it was.
    print_verdict(&verdict, o.json).map_err(|e| {
        e.after(|| Done::Verdict { rejection: verdict.as_ref().err().map(|r| r.error().to_string()) })
    })?;
    Ok(if verdict.is_ok() { EXIT_OK } else { EXIT_REJECTED })
}

/// Prints the rejection `r` (a `state-unavailable` names the store's cause): exit 1.
fn rejected(r: &Rejection, json: bool) -> Result<u8, Error> {
    print_rejection(r, json)
        .map_err(|e| e.after(|| Done::Verdict { rejection: Some(r.error().to_string()) }))?;
    Ok(EXIT_REJECTED)
}

fn print_verdict(verdict: &Result<Acceptance, Rejection>, json: bool) -> Result<(), Error> {
    match (verdict, json) {
        (Ok(a), true) => {
            // A one-way or capped code's record has no challenge: left out, as every absent field.
            let mut record = serde_json::to_value(&a.record).map_err(Error::Json)?;
            if let Some(fields) = record.as_object_mut() {
                fields.retain(|_, v| !v.is_null());
            }
            // The record names what the code carries (an hmac code's handle and
            // masked counter); the verdict names the account it resolved to and
            // the real counter.
            print_json(&json!({ "verdict": "accepted", "subject": a.subject, "counter": a.counter,
                                "record": record }))?;
        }
        (Ok(a), false) => {
            let r = &a.record;
            let (subject, amount) = match r.profile() {
                Profile::Hmac => ("account", String::new()),
                Profile::Ed25519 => ("serial", format!(" amount {}", r.amount)),
            };
            outln!(
                "accepted: {} {subject} {} counter {} step {}{amount}",
                r.profile().name(),
                a.subject,
                a.counter,
                r.step()
            )?;
        }
        (Err(r), _) => print_rejection(r, json)?,
    }
    Ok(())
}

/// A rejection: the spec's error code, and the store's cause of a
/// `state-unavailable` that the store caused.
fn print_rejection(r: &Rejection, json: bool) -> Result<(), Error> {
    let e = r.error();
    let message = match r.store_error() {
        // spec: R-STATE-4: the one failure after which the code may have
        // been recorded: if it was, it is replayed from now on.
        Some(cause) if cause.kind() == paycode::store::StoreErrorKind::InDoubt => {
            format!("{e}: {cause}; the code may have been recorded: pay with a new code")
        }
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    };
    if json {
        print_json(&json!({ "verdict": "rejected", "code": e.code(), "message": message }))
    } else {
        outln!("rejected: {message}")?;
        Ok(())
    }
}
