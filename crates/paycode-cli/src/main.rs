//! The `paycode` command: a thin shell over the library. It is the one place
//! that reads the clock (spec: R-TIME-7); every protocol decision is the library's.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand, ValueEnum};
use paycode::log::{LogRecord, reconcile};
use paycode::{CredentialFields, Ed25519Wallet, HmacWallet, Params, Profile, Seed};
use paycode_cli::files::{
    self, AccountFile, FileError, ISSUER_FORMAT, IssuerFile, KeyFile, ParamsFile, RevocationFile,
    WALLET_FORMAT, WalletFile,
};
use paycode_cli::store::{self, StateError};
use serde_json::json;

mod conformance_cli;

mod demo;
#[cfg(feature = "scan")]
mod scan;

/// Exit code of a rejected code.
const EXIT_REJECTED: u8 = 1;
/// Exit code of a usage or IO error.
const EXIT_USAGE: u8 = 2;
/// Longest input read from standard input, bytes.
const MAX_STDIN: u64 = 1 << 20;

#[derive(Parser)]
#[command(name = "paycode", version, about = "paycode v1: offline payment codes (reference implementation)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an end-to-end demonstration of both profiles, with no set-up.
    Demo {
        /// Unix time to run at (default: the system clock).
        #[arg(long)]
        at: Option<u64>,
        /// Print a JSON report instead of text.
        #[arg(long)]
        json: bool,
        /// Derive the demo's secrets from this 32-byte hex seed instead of fresh randomness.
        #[arg(long)]
        seed: Option<String>,
    },
    /// Issuer commands.
    Issuer {
        #[command(subcommand)]
        command: IssuerCommand,
    },
    /// Wallet commands.
    Wallet {
        #[command(subcommand)]
        command: WalletCommand,
    },
    /// Generate the next code of a wallet (advances and saves its counter first).
    Code {
        /// The wallet file.
        #[arg(long)]
        wallet: PathBuf,
        /// Unix time to generate for (default: the system clock).
        #[arg(long)]
        at: Option<u64>,
        /// Also show the QR symbol: in the terminal, or as SVG or PNG into --out.
        #[arg(long, value_enum)]
        qr: Option<QrOutput>,
        /// Output file for --qr svg|png, or for --barcode.
        #[arg(long)]
        out: Option<PathBuf>,
        /// hmac wallets: also write the numeric form as a Code 128 barcode, SVG or PNG,
        /// into --out (or --barcode-out when --qr writes --out).
        #[arg(long, value_enum)]
        barcode: Option<ImageOutput>,
        /// Output file for --barcode when --out holds the QR symbol.
        #[arg(long, requires = "barcode")]
        barcode_out: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify a code (QR text or digits) from the argument or standard input.
    Verify {
        /// The code; read from standard input when absent.
        code: Option<std::ffi::OsString>,
        #[command(flatten)]
        verifier: VerifierArgs,
    },
    /// Test vectors: generate, check, trace requirements.
    Vectors {
        #[command(subcommand)]
        command: VectorsCommand,
    },
    /// Conformance: run the vectors against any implementation through an adapter.
    Conformance {
        #[command(subcommand)]
        command: conformance_cli::ConformanceCommand,
    },
    /// Decode the QR code in a PNG or JPEG image and verify it, as `verify` does.
    #[cfg(feature = "scan")]
    Scan {
        /// The image file (PNG or JPEG).
        image: PathBuf,
        #[command(flatten)]
        verifier: VerifierArgs,
    },
    /// The verifier's state database: create one, or migrate a JSON state file.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// The acceptance log kept in the state database.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
    /// Reconcile acceptance logs: find codes accepted more than once.
    Reconcile {
        /// Log files.
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The verifier options `verify` and `scan` share.
#[derive(clap::Args)]
struct VerifierArgs {
    /// The issuer file (accounts, trust list, revocation list).
    #[arg(long)]
    issuer: PathBuf,
    /// The verifier's state database (`paycode state init` creates one; a
    /// missing one is an error). Each verification is one transaction of it,
    /// so any number of processes may verify against one state at once.
    #[arg(long)]
    state: PathBuf,
    /// Create the state database as a new terminal's first (refused if it exists).
    #[arg(long, conflicts_with = "state_lost")]
    init: bool,
    /// The state may have lost committed changes (restored from a backup, say):
    /// enter quarantine (spec R-STATE-5), keeping the records it holds; with no
    /// state database at all, start a new one in quarantine.
    #[arg(long)]
    state_lost: bool,
    /// How long to wait for another process's transaction on the state, in
    /// milliseconds, before rejecting as `state-unavailable`.
    #[arg(long, default_value_t = 5_000)]
    busy_timeout: u64,
    /// Unix time of verification (default: the system clock).
    #[arg(long)]
    at: Option<u64>,
    /// Amount of the payment in minor units (ed25519 limits).
    #[arg(long, default_value_t = 0)]
    amount: u64,
    /// Terminal id written into log records.
    #[arg(long, default_value_t = 1)]
    terminal_id: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl VerifierArgs {
    fn opts(self) -> VerifyOpts {
        let VerifierArgs { issuer, state, init, state_lost, busy_timeout, at, amount, terminal_id, json } =
            self;
        let busy_timeout = std::time::Duration::from_millis(busy_timeout);
        VerifyOpts {
            issuer,
            state,
            init,
            state_lost,
            busy_timeout,
            now: now_or(at),
            amount,
            terminal_id,
            json,
        }
    }
}

#[derive(Subcommand)]
enum IssuerCommand {
    /// Create an issuer: an Ed25519 key (id 1) and an empty account registry.
    Init {
        /// Where to write the issuer file (mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
        /// Unix time now (default: the system clock); key 1 is valid from a day before to a year after.
        #[arg(long)]
        at: Option<u64>,
        /// Epoch T0, unix seconds.
        #[arg(long, default_value_t = 0)]
        t0: u64,
        /// Step length X, seconds.
        #[arg(long, default_value_t = 60)]
        step: u64,
        /// Back window B, steps.
        #[arg(long, default_value_t = 2)]
        back: u64,
        /// Forward window F, steps.
        #[arg(long, default_value_t = 1)]
        forward: u64,
        /// Import this issuer seed (64 hex digits) instead of drawing a fresh one.
        #[arg(long)]
        seed: Option<String>,
        /// Start of key 1's validity, unix seconds (default: a day before --at).
        #[arg(long)]
        key_not_before: Option<u64>,
        /// End of key 1's validity, unix seconds (default: a year after --at).
        #[arg(long)]
        key_not_after: Option<u64>,
    },
    /// Revoke a credential serial: the next revocation list includes it.
    Revoke {
        /// The issuer file.
        #[arg(long)]
        issuer: PathBuf,
        /// The serial to revoke.
        #[arg(long, required = true)]
        serial: Vec<u64>,
        /// Unix time of issue of the new list (default: the system clock).
        #[arg(long)]
        at: Option<u64>,
    },
}

#[derive(Subcommand)]
enum WalletCommand {
    /// Enroll a new wallet with the issuer and write its wallet file.
    Enroll {
        /// The issuer file (updated with the new account or serial).
        #[arg(long)]
        issuer: PathBuf,
        /// Profile of the wallet.
        #[arg(long, value_enum)]
        profile: ProfileArg,
        /// Where to write the wallet file (mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
        /// Unix time now (default: the system clock): the credential's start.
        #[arg(long)]
        at: Option<u64>,
        /// ed25519: credential lifetime, seconds (at most 604800).
        #[arg(long, default_value_t = 86_400)]
        lifetime: u32,
        /// ed25519: per-payment offline limit, minor units.
        #[arg(long, default_value_t = 5_000)]
        per_payment: u32,
        /// ed25519: cumulative offline limit per terminal, minor units.
        #[arg(long, default_value_t = 20_000)]
        cumulative: u32,
        /// Import this wallet seed (64 hex digits) instead of drawing a fresh one.
        #[arg(long)]
        seed: Option<String>,
        /// hmac: use this account id instead of the issuer's next one.
        #[arg(long)]
        account_id: Option<u64>,
        /// ed25519: use this serial instead of the issuer's next one.
        #[arg(long)]
        serial: Option<u64>,
        /// ed25519: start of the credential's validity (default: --at).
        #[arg(long)]
        not_before: Option<u64>,
        /// The wallet's first counter.
        #[arg(long, default_value_t = 0)]
        counter: u32,
    },
}

/// Options of `wallet enroll`.
struct EnrollOpts {
    profile: ProfileArg,
    seed: Option<String>,
    account_id: Option<u64>,
    serial: Option<u64>,
    not_before: u64,
    lifetime: u32,
    per_payment: u32,
    cumulative: u32,
    counter: u32,
}

#[derive(Subcommand)]
enum StateCommand {
    /// Create the state database of a new terminal: a verifier that has
    /// never accepted a code.
    Init {
        /// The state database to create; refused if it exists.
        #[arg(long)]
        state: PathBuf,
    },
    /// Migrate a JSON state file of earlier versions (`paycode-state-v1`)
    /// into a state database, created unless it exists and is empty.
    Import {
        /// The JSON state file.
        json: PathBuf,
        /// The state database.
        #[arg(long)]
        state: PathBuf,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Write the acceptance log in the spec's format (44-byte records, in
    /// commit order), for `paycode reconcile`. The file is replaced atomically.
    Export {
        /// The state database.
        #[arg(long)]
        state: PathBuf,
        /// The log file to write.
        #[arg(long)]
        out: PathBuf,
        /// Only this terminal's records (default: every terminal's).
        #[arg(long)]
        terminal_id: Option<u32>,
    },
}

#[derive(Subcommand)]
enum VectorsCommand {
    /// Write the test vectors (deterministic) into a folder.
    Generate {
        /// Output folder, created if absent.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check every vector file in a folder and run the reference over every case.
    Check {
        /// The vectors folder.
        dir: PathBuf,
    },
    /// Print the map requirement id -> vector cases and tests; fail on an uncovered id.
    Trace {
        /// The spec whose requirement ids must be covered.
        #[arg(long)]
        spec: PathBuf,
        /// The vectors folder (with traceability.json).
        #[arg(long, default_value = "vectors")]
        vectors: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ProfileArg {
    Hmac,
    Ed25519,
}

#[derive(Clone, Copy, ValueEnum)]
enum QrOutput {
    Term,
    Svg,
    Png,
}

#[derive(Clone, Copy, ValueEnum)]
enum ImageOutput {
    Svg,
    Png,
}

/// Pixels per module of SVG and PNG output.
const MODULE_PX: u8 = 8;
/// Pixels per module of the Code 128 barcode's PNG (its modules are narrow; 187 of them).
const BARCODE_MODULE_PX: u8 = 3;

/// What a command failed with: a usage/IO problem (exit 2).
struct Failure(String);

impl From<FileError> for Failure {
    fn from(e: FileError) -> Failure {
        Failure(e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure(format!("i/o error: {e}"))
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // The conformance runner reports usage errors as 3 (2 is an adapter error).
            let conformance = std::env::args().nth(1).as_deref() == Some("conformance");
            return match e.exit_code() {
                0 => ExitCode::SUCCESS,
                _ if conformance => ExitCode::from(3),
                _ => ExitCode::from(EXIT_USAGE),
            };
        }
    };
    let result = match cli.command {
        Command::Demo { at, json, seed } => match seed.as_deref().map(files::seed_from_hex).transpose() {
            Ok(seed) => demo::run(now_or(at), json, seed),
            Err(e) => Err(e.into()),
        },
        Command::Issuer {
            command:
                IssuerCommand::Init {
                    out,
                    force,
                    at,
                    t0,
                    step,
                    back,
                    forward,
                    seed,
                    key_not_before,
                    key_not_after,
                },
        } => {
            let now = now_or(at);
            let key = KeyFile {
                key_id: 1,
                not_before: key_not_before.unwrap_or(now.saturating_sub(86_400)),
                not_after: key_not_after.unwrap_or(now.saturating_add(365 * 86_400)),
            };
            issuer_init(&out, force, seed.as_deref(), key, (t0, step, back, forward))
        }
        Command::Issuer { command: IssuerCommand::Revoke { issuer, serial, at } } => {
            issuer_revoke(&issuer, &serial, now_or(at))
        }
        Command::Wallet {
            command:
                WalletCommand::Enroll {
                    issuer,
                    profile,
                    out,
                    force,
                    at,
                    lifetime,
                    per_payment,
                    cumulative,
                    seed,
                    account_id,
                    serial,
                    not_before,
                    counter,
                },
        } => {
            let not_before = not_before.unwrap_or_else(|| now_or(at));
            let opts = EnrollOpts {
                profile,
                seed,
                account_id,
                serial,
                not_before,
                lifetime,
                per_payment,
                cumulative,
                counter,
            };
            wallet_enroll(&issuer, &out, force, &opts)
        }
        Command::Code { wallet, at, qr, out, barcode, barcode_out, json } => {
            let images = Images { qr, out, barcode, barcode_out };
            code(&wallet, now_or(at), &images, json)
        }
        Command::Verify { code, verifier } => verify(code, &verifier.opts()),
        #[cfg(feature = "scan")]
        Command::Scan { image, verifier } => {
            scan::qr_text(&image).and_then(|text| verify_text(text, &verifier.opts()))
        }
        Command::State { command } => state_command(command),
        Command::Log { command: LogCommand::Export { state, out, terminal_id } } => {
            log_export(&state, &out, terminal_id)
        }
        Command::Reconcile { logs, json } => reconcile_logs(&logs, json),
        Command::Conformance { command } => conformance_cli::main(command),
        Command::Vectors { command } => vectors(command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure(msg)) => {
            eprintln!("paycode: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The system clock, unless `--at` was given.
fn now_or(at: Option<u64>) -> u64 {
    at.unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

fn refuse_overwrite(path: &Path, force: bool) -> Result<(), Failure> {
    if path.exists() && !force {
        return Err(Failure(format!("{} exists; pass --force to overwrite", path.display())));
    }
    Ok(())
}

/// The imported seed, or a fresh one from the CSPRNG (spec: R-KEY-1).
fn seed_or_random(hex: Option<&str>) -> Result<Seed, Failure> {
    match hex {
        Some(h) => Ok(files::seed_from_hex(h)?),
        None => Seed::random().map_err(|e| Failure(format!("no randomness: {e}"))),
    }
}

fn issuer_init(
    out: &Path,
    force: bool,
    seed: Option<&str>,
    key: KeyFile,
    (t0, step, back, forward): (u64, u64, u64, u64),
) -> Result<u8, Failure> {
    refuse_overwrite(out, force)?;
    let params = Params::new(t0, step, back, forward).map_err(|e| Failure(e.to_string()))?;
    let seed = seed_or_random(seed)?;
    let file = IssuerFile {
        format: ISSUER_FORMAT.into(),
        params: params.into(),
        issuer_seed: files::to_hex(seed.expose()),
        keys: vec![key],
        current_key_id: 1,
        accounts: Vec::new(),
        next_account_id: 1,
        next_serial: 1,
        revocation: RevocationFile::default(),
    };
    files::write_json(out, &file, true)?;
    println!("issuer written to {} (mode 0600); key id 1", out.display());
    Ok(0)
}

fn issuer_revoke(path: &Path, serials: &[u64], now: u64) -> Result<u8, Failure> {
    let mut file: IssuerFile = files::read_secret_json(path)?;
    file.revocation.serials.extend_from_slice(serials);
    file.revocation.serials.sort_unstable();
    file.revocation.serials.dedup();
    file.revocation.number = file.revocation.number.saturating_add(1);
    file.revocation.issued_at = now;
    files::write_json(path, &file, true)?;
    println!(
        "revocation list {} now lists {} serial(s)",
        file.revocation.number,
        file.revocation.serials.len()
    );
    Ok(0)
}

fn wallet_enroll(issuer_path: &Path, out: &Path, force: bool, o: &EnrollOpts) -> Result<u8, Failure> {
    refuse_overwrite(out, force)?;
    let mut issuer: IssuerFile = files::read_secret_json(issuer_path)?;
    let seed = seed_or_random(o.seed.as_deref())?;
    let wallet = match o.profile {
        ProfileArg::Hmac => {
            let id = o.account_id.unwrap_or(issuer.next_account_id);
            if issuer.accounts.iter().any(|a| a.account_id == id) {
                return Err(Failure(format!("account {id} is already enrolled")));
            }
            let after = id.checked_add(1).ok_or_else(|| Failure("account ids exhausted".into()))?;
            issuer.next_account_id = issuer.next_account_id.max(after);
            issuer.accounts.push(AccountFile { account_id: id, seed: files::to_hex(seed.expose()) });
            WalletFile {
                format: WALLET_FORMAT.into(),
                profile: "hmac".into(),
                params: issuer.params,
                account_id: Some(id),
                seed: files::to_hex(seed.expose()),
                credential: None,
                next_counter: o.counter,
            }
        }
        ProfileArg::Ed25519 => {
            let serial = o.serial.unwrap_or(issuer.next_serial);
            issuer.next_serial = issuer
                .next_serial
                .max(serial.checked_add(1).ok_or_else(|| Failure("serials exhausted".into()))?);
            let fields = CredentialFields {
                key_id: issuer.current_key_id,
                serial,
                device_key: Ed25519Wallet::device_public_key(&seed),
                not_before: o.not_before,
                lifetime: o.lifetime,
                per_payment_limit: o.per_payment,
                cumulative_limit: o.cumulative,
            };
            let credential = issuer.issuer()?.issue(fields);
            // Refuse to hand out a credential that terminals would reject.
            let trust = issuer.trust_list()?;
            let entry = trust
                .get(fields.key_id)
                .ok_or_else(|| Failure("current key id not in the key list".into()))?;
            credential
                .check(&entry.key, entry.not_before, entry.not_after)
                .map_err(|e| Failure(format!("cannot issue this credential: {e}")))?;
            WalletFile {
                format: WALLET_FORMAT.into(),
                profile: "ed25519".into(),
                params: issuer.params,
                account_id: None,
                seed: files::to_hex(seed.expose()),
                credential: Some(files::to_hex(credential.as_bytes())),
                next_counter: o.counter,
            }
        }
    };
    files::write_json(out, &wallet, true)?;
    files::write_json(issuer_path, &issuer, true)?;
    match wallet.account_id {
        Some(id) => println!("hmac wallet for account {id} written to {} (mode 0600)", out.display()),
        None => println!("ed25519 wallet written to {} (mode 0600)", out.display()),
    }
    Ok(0)
}

/// The images `paycode code` renders and where it writes them.
struct Images {
    qr: Option<QrOutput>,
    out: Option<PathBuf>,
    barcode: Option<ImageOutput>,
    barcode_out: Option<PathBuf>,
}

impl Images {
    /// The QR file, if --qr writes one.
    fn qr_file(&self) -> Result<Option<&Path>, Failure> {
        match self.qr {
            Some(QrOutput::Svg | QrOutput::Png) => {
                self.out.as_deref().map(Some).ok_or_else(|| Failure("--qr svg|png needs --out FILE".into()))
            }
            _ => Ok(None),
        }
    }

    /// The barcode file, if --barcode is given.
    fn barcode_file(&self) -> Result<Option<&Path>, Failure> {
        if self.barcode.is_none() {
            return Ok(None);
        }
        let out = if self.qr_file()?.is_some() { None } else { self.out.as_deref() };
        self.barcode_out.as_deref().or(out).map(Some).ok_or_else(|| {
            Failure("--barcode needs --out FILE (--barcode-out FILE when --qr writes --out)".into())
        })
    }
}

fn code(path: &Path, now: u64, images: &Images, json: bool) -> Result<u8, Failure> {
    let mut file: WalletFile = files::read_secret_json(path)?;
    if file.format != WALLET_FORMAT {
        return Err(Failure(format!("{} is not a {WALLET_FORMAT} file", path.display())));
    }
    // Refuse bad output options before a counter value is spent.
    let (qr, qr_file, barcode_file) = (images.qr, images.qr_file()?, images.barcode_file()?);
    if barcode_file.is_some() && file.profile != "hmac" {
        return Err(Failure("--barcode: only hmac wallets have the numeric form".into()));
    }
    let params = file.params.params()?;
    let seed = files::seed_from_hex(&file.seed)?;
    let gen_err = |e: paycode::GenerateError| Failure(e.to_string());
    let (profile, text, digits, step, counter, payload) = match file.profile.as_str() {
        "hmac" => {
            let id = file.account_id.ok_or_else(|| Failure("hmac wallet without account_id".into()))?;
            let mut w = HmacWallet::new(params, id, &seed, file.next_counter);
            let c = w.generate(now).map_err(gen_err)?;
            file.next_counter = w.next_counter();
            let digits = w.numeric(&c).ok().map(|n| n.to_digits());
            ("hmac", c.to_qr_text(), digits, c.step(), c.counter(), files::to_hex(&c.encode()))
        }
        "ed25519" => {
            let mut w =
                Ed25519Wallet::new(params, &seed, file.credential()?, file.next_counter).map_err(gen_err)?;
            let c = w.generate(now).map_err(gen_err)?;
            file.next_counter = w.next_counter();
            ("ed25519", c.to_qr_text(), None, c.step(), c.counter(), files::to_hex(c.encode()))
        }
        other => return Err(Failure(format!("unknown profile {other:?} in wallet file"))),
    };
    let symbol = match qr {
        Some(_) => Some(paycode_render::qr::Symbol::new(&text).map_err(|e| Failure(e.to_string()))?),
        None => None,
    };
    let qr_image = match (qr, &symbol) {
        (Some(QrOutput::Svg), Some(s)) => Some(s.to_svg(MODULE_PX.into()).into_bytes()),
        (Some(QrOutput::Png), Some(s)) => Some(s.to_png(MODULE_PX)),
        _ => None,
    };
    let barcode_image = match (images.barcode, &digits) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(Failure("--barcode: this code has no numeric form (counter >= 65536?)".into()));
        }
        (Some(format), Some(d)) => {
            let b = paycode_render::barcode::Barcode::new(d).map_err(|e| Failure(e.to_string()))?;
            Some(match format {
                ImageOutput::Svg => b.to_svg(BARCODE_MODULE_PX.into()).into_bytes(),
                ImageOutput::Png => b.to_png(BARCODE_MODULE_PX),
            })
        }
    };
    // spec: R-GEN-1: the counter is saved before the code is shown.
    files::write_json(path, &file, true)?;
    if let (Some(out), Some(bytes)) = (qr_file, qr_image) {
        std::fs::write(out, bytes)?;
    }
    if let (Some(out), Some(bytes)) = (barcode_file, barcode_image) {
        std::fs::write(out, bytes)?;
    }
    if json {
        let v = json!({
            "profile": profile, "step": step, "counter": counter, "text": text, "digits": digits,
            "payload": payload,
            "qr_version": symbol.as_ref().map(paycode_render::qr::Symbol::version),
        });
        println!("{v}");
    } else {
        if let (Some(QrOutput::Term), Some(s)) = (qr, &symbol) {
            print!("{}", s.to_terminal());
            println!();
        }
        println!("{text}");
        if let Some(d) = digits {
            println!("{d}");
        }
    }
    Ok(0)
}

struct VerifyOpts {
    issuer: PathBuf,
    state: PathBuf,
    init: bool,
    state_lost: bool,
    busy_timeout: std::time::Duration,
    now: u64,
    amount: u64,
    terminal_id: u32,
    json: bool,
}

fn verify(arg: Option<std::ffi::OsString>, o: &VerifyOpts) -> Result<u8, Failure> {
    let text = match arg {
        // Non-UTF-8 bytes become U+FFFD, which no code contains: `malformed`.
        Some(a) => a.to_string_lossy().into_owned(),
        None => {
            let mut buf = Vec::new();
            std::io::stdin().take(MAX_STDIN).read_to_end(&mut buf)?;
            // One trailing line ending is how shells deliver a line; anything else is the code's.
            let end =
                buf.strip_suffix(b"\r\n").or_else(|| buf.strip_suffix(b"\n")).map_or(buf.len(), <[u8]>::len);
            buf.truncate(end);
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    verify_text(text, o)
}

/// Verifies `text` against the state database: the shared back half of
/// `verify` and `scan`. The verification is one transaction of the store,
/// which commits the state changes and the log record together before
/// "accepted" is printed (spec: R-LOG-1, R-STATE-1, R-STATE-2).
fn verify_text(text: String, o: &VerifyOpts) -> Result<u8, Failure> {
    let issuer: IssuerFile = files::read_secret_json(&o.issuer)?;
    let params = issuer.params.params()?;
    let opened = match (o.init, o.state_lost) {
        (true, _) => store::create(&o.state),
        // A lost state with no database left starts a new one, in quarantine below.
        (false, true) if std::fs::symlink_metadata(&o.state).is_err() => store::create(&o.state),
        (false, _) => store::open(&o.state),
    };
    // spec: R-STATE-4: a store that fails is a rejection naming the cause; a
    // missing or foreign file is the operator's mistake.
    let db = match opened {
        Ok(db) => db,
        Err(StateError::Store(e)) => return Ok(reject_unavailable(&e.into(), o.json)),
        Err(e) => return Err(Failure(e.to_string())),
    };
    db.set_busy_timeout(o.busy_timeout).map_err(|e| Failure(e.to_string()))?;
    let verifier = match issuer.configure(paycode::Verifier::with_store(params, o.terminal_id, db)) {
        Ok(v) => v,
        Err(FileError::Store(e)) => return Ok(reject_unavailable(&e.into(), o.json)),
        Err(e) => return Err(e.into()),
    };
    if o.state_lost {
        // spec: R-STATE-5: quarantine at the current time, keeping the records.
        if let Err(r) = verifier.quarantine(o.now) {
            if r.store_error().is_some() {
                return Ok(reject_unavailable(&r, o.json));
            }
            return Err(Failure(r.to_string()));
        }
    }
    let verdict = verifier.verify_text_with_cause(&text, o.now, o.amount);
    print_verdict(&verdict, o.json);
    Ok(if verdict.is_ok() { 0 } else { EXIT_REJECTED })
}

/// Prints a `state-unavailable` rejection whose cause is the store's; exit 1.
fn reject_unavailable(r: &paycode::Rejection, json: bool) -> u8 {
    print_rejection(r, json);
    EXIT_REJECTED
}

fn print_verdict(verdict: &Result<paycode::Acceptance, paycode::Rejection>, json: bool) {
    match verdict {
        Ok(a) if json => println!("{}", json!({ "verdict": "accepted", "record": a.record })),
        Ok(a) => {
            let r = &a.record;
            println!(
                "accepted: {} {} {} counter {} step {}{}",
                r.profile.name(),
                if r.profile == Profile::Hmac { "account" } else { "serial" },
                r.subject,
                r.counter,
                r.step,
                if r.profile == Profile::Ed25519 { format!(" amount {}", r.amount) } else { String::new() }
            );
        }
        Err(r) => print_rejection(r, json),
    }
}

/// A rejection; a `state-unavailable` that the store caused names the cause.
fn print_rejection(r: &paycode::Rejection, json: bool) {
    let e = r.error();
    let message = match r.store_error() {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    };
    if json {
        println!("{}", json!({ "verdict": "rejected", "code": e.code(), "message": message }));
    } else {
        println!("rejected: {message}");
    }
}

fn state_command(command: StateCommand) -> Result<u8, Failure> {
    match command {
        StateCommand::Init { state } => {
            store::create(&state).map_err(|e| Failure(e.to_string()))?;
            println!("new verifier state database written to {}", state.display());
        }
        StateCommand::Import { json, state } => {
            let windows = store::import(&json, &state).map_err(|e| Failure(e.to_string()))?;
            println!("{} imported into {} ({windows} replay windows)", json.display(), state.display());
        }
    }
    Ok(0)
}

fn log_export(state: &Path, out: &Path, terminal: Option<u32>) -> Result<u8, Failure> {
    let records = store::export_log(state, out, terminal).map_err(|e| Failure(e.to_string()))?;
    println!("{} acceptance record(s) written to {}", records.len(), out.display());
    Ok(0)
}

fn reconcile_logs(paths: &[PathBuf], json: bool) -> Result<u8, Failure> {
    let mut records: Vec<LogRecord> = Vec::new();
    for p in paths {
        let bytes = std::fs::read(p)?;
        let mut log = LogRecord::decode_log(&bytes)
            .map_err(|e| Failure(format!("{}: not an acceptance log ({e})", p.display())))?;
        records.append(&mut log);
    }
    let rec = reconcile(records);
    if json {
        println!("{}", serde_json::to_string(&rec).map_err(|e| Failure(e.to_string()))?);
    } else {
        println!("{} record(s), {} double acceptance(s)", rec.records, rec.duplicates.len());
        for d in &rec.duplicates {
            let terminals: Vec<String> = d.records.iter().map(|r| r.terminal_id.to_string()).collect();
            println!(
                "  {} {} counter {} accepted {} times (terminals {})",
                d.profile.name(),
                d.subject,
                d.counter,
                d.records.len(),
                terminals.join(", ")
            );
        }
        if !rec.revoke_serials.is_empty() {
            let s: Vec<String> = rec.revoke_serials.iter().map(u64::to_string).collect();
            println!("revoke serials: {}", s.join(" "));
        }
        if !rec.flagged_accounts.is_empty() {
            let s: Vec<String> = rec.flagged_accounts.iter().map(u64::to_string).collect();
            println!("flag hmac accounts: {}", s.join(" "));
        }
    }
    Ok(if rec.duplicates.is_empty() { 0 } else { EXIT_REJECTED })
}

fn vectors(command: VectorsCommand) -> Result<u8, Failure> {
    use paycode_vectors::{check, generate, trace};
    let fail = |e: paycode_vectors::VectorError| Failure(e.to_string());
    match command {
        VectorsCommand::Generate { out } => {
            let written = generate::write(&out).map_err(fail)?;
            println!("{} vector files written to {}", written.len(), out.display());
            Ok(0)
        }
        VectorsCommand::Check { dir } => {
            let report = check::check_dir(&dir).map_err(fail)?;
            println!(
                "{} files, {} cases, {} error codes expected, {} requirement ids exercised: all pass",
                report.files,
                report.cases,
                report.errors.len(),
                report.requirements.len()
            );
            Ok(0)
        }
        VectorsCommand::Trace { spec, vectors } => {
            let text = std::fs::read_to_string(&spec)?;
            let map = trace::trace(&text, &vectors, Path::new(".")).map_err(fail)?;
            print!("{}", map.text);
            if map.uncovered.is_empty() {
                Ok(0)
            } else {
                Err(Failure(format!(
                    "requirement ids neither covered nor untestable: {}",
                    map.uncovered.join(", ")
                )))
            }
        }
    }
}

/// Parameters as stored, for the demo's report.
fn params_json(p: Params) -> serde_json::Value {
    serde_json::to_value(ParamsFile::from(p)).unwrap_or_default()
}
