//! `paycode wallet enroll|renew`.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use paycode::Profile;
use paycode_cli::files::{IssuerFile, WalletFile};
use paycode_cli::fsio::{self, Locked, same_file};
use paycode_cli::registry::CredentialTerms;
use paycode_cli::{FileError, Role};
use serde::Serialize;

use super::{EXIT_OK, Error, Usage, now_or, print_json, seed_or_random};

/// An ed25519 credential's lifetime when none is given, seconds: a day.
pub const DEFAULT_LIFETIME: u32 = 86_400;

/// `paycode wallet ...`.
#[derive(Subcommand)]
pub enum Command {
    /// Enroll a new wallet with the issuer and write its wallet file; print
    /// the hmac account id, or the ed25519 credential's serial (what
    /// `issuer revoke --serial` takes).
    Enroll(EnrollArgs),
    /// Renew an ed25519 wallet: the issuer issues its payer a new batch,
    /// for device keys whose indexes continue after the wallet's last, and
    /// the wallet file holds it in place of the old one.
    Renew(RenewArgs),
}

/// `paycode wallet renew`.
#[derive(clap::Args)]
pub struct RenewArgs {
    /// The issuer file (updated with the new batch).
    #[arg(long)]
    issuer: PathBuf,
    /// The ed25519 wallet file (updated with the new batch).
    #[arg(long)]
    wallet: PathBuf,
    /// Unix time now (default: the system clock): the batch's start.
    #[arg(long)]
    at: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    credential: CredentialArgs,
}

/// `paycode wallet enroll`.
#[derive(clap::Args)]
pub struct EnrollArgs {
    /// The issuer file (updated with the new account or serial).
    #[arg(long)]
    issuer: PathBuf,
    /// Profile of the wallet.
    #[arg(long, value_enum)]
    profile: ProfileArg,
    /// Where to write the wallet file (mode 0600).
    #[arg(long)]
    out: PathBuf,
    /// Overwrite an existing wallet file (never a file of another kind: an issuer
    /// file, a state database).
    #[arg(long)]
    force: bool,
    /// Unix time now (default: the system clock): the credential's start.
    #[arg(long)]
    at: Option<u64>,
    /// Import this wallet seed (64 hex digits) instead of drawing a fresh one.
    #[arg(long)]
    seed: Option<String>,
    /// The wallet's first counter (0 to 4294967294: at 4294967295 the
    /// counters are used up, and the wallet could make no code).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=4_294_967_294))]
    counter: u32,
    /// hmac: use this account id instead of the issuer's next one.
    #[arg(long)]
    account_id: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    // Last: a heading applies to the options after it.
    #[command(flatten)]
    credential: CredentialArgs,
}

/// What an ed25519 batch of credentials grants.
#[derive(clap::Args)]
#[command(next_help_heading = "ed25519 credentials")]
pub struct CredentialArgs {
    /// ed25519: the number of credentials in the batch, each with its own
    /// device key and serial; the wallet uses them in turn.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    batch: u32,
    /// ed25519: serials from this one up instead of random ones.
    #[arg(long)]
    serial: Option<u64>,
    /// ed25519: start of the credentials' validity (default: --at), aligned
    /// down to the hour by the issuer.
    #[arg(long)]
    not_before: Option<u64>,
    /// ed25519: credential lifetime, seconds (at most 604800).
    #[arg(long, default_value_t = DEFAULT_LIFETIME)]
    lifetime: u32,
    /// ed25519: the payer's cumulative offline limit per terminal, minor
    /// units, split over the batch (default: 20000, or the payer's on renewal).
    #[arg(long)]
    payer_limit: Option<u64>,
    /// ed25519: per-payment offline limit, minor units (default: 5000, or
    /// each credential's cumulative limit if lower).
    #[arg(long)]
    per_payment: Option<u32>,
    /// ed25519: each credential's cumulative offline limit per terminal,
    /// minor units (default: the payer limit divided by --batch); the batch's
    /// together may not exceed the payer's limit.
    #[arg(long)]
    cumulative: Option<u32>,
}

impl CredentialArgs {
    fn terms(&self, now: u64) -> CredentialTerms {
        CredentialTerms {
            serial: self.serial,
            not_before: self.not_before.unwrap_or(now),
            lifetime: self.lifetime,
            per_payment: self.per_payment,
            cumulative: self.cumulative,
            payer_limit: self.payer_limit,
            batch: self.batch,
        }
    }
}

/// A profile on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    /// Shared-seed HMAC codes, verified by the issuer's back end.
    Hmac,
    /// Device-signed codes with an issuer credential, verified offline.
    Ed25519,
}

/// What `wallet enroll --json` prints; absent fields are left out.
#[derive(Serialize)]
struct Enrolled<'a> {
    profile: Profile,
    wallet: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payer: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    serials: Vec<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_after: Option<u64>,
}

/// Runs a wallet command.
pub fn run(command: Command) -> Result<u8, Error> {
    match command {
        Command::Enroll(args) => enroll(&args),
        Command::Renew(args) => renew(&args),
    }
}

fn enroll(args: &EnrollArgs) -> Result<u8, Error> {
    if same_file(&args.out, &args.issuer) {
        return Err(Usage::WalletIsIssuer.into());
    }
    let seed = seed_or_random(args.seed.as_deref())?;
    // The issuer's lock first, then the wallet's: every command takes them in this order.
    let issuer_lock = Locked::acquire_existing(&args.issuer, Role::Issuer)?;
    let wallet_lock = Locked::acquire(&args.out, Role::Wallet)?;
    if wallet_lock.exists() {
        if !args.force {
            return Err(FileError::Exists { role: Role::Wallet, path: args.out.clone() }.into());
        }
        fsio::check_replace(&args.out, Role::Wallet)?;
    }
    let mut issuer = IssuerFile::load_locked(&issuer_lock)?;
    let registry = |source| Error::Registry { path: args.issuer.clone(), source };
    let wallet = match args.profile {
        ProfileArg::Hmac => issuer.enroll_hmac(&seed, args.account_id, args.counter),
        ProfileArg::Ed25519 => {
            issuer.enroll_ed25519(&seed, &args.credential.terms(now_or(args.at)), args.counter)
        }
    }
    .map_err(registry)?;
    let serials = match wallet.profile {
        Profile::Ed25519 => serials(&wallet).map_err(FileError::content(Role::Wallet, &args.out))?,
        Profile::Hmac => Vec::new(),
    };
    record_then_hand_out(&issuer_lock, &issuer, &wallet_lock, &wallet)?;
    report(&wallet, &args.out, &serials, args.json)
}

fn renew(args: &RenewArgs) -> Result<u8, Error> {
    if same_file(&args.wallet, &args.issuer) {
        return Err(Usage::WalletIsIssuer.into());
    }
    let issuer_lock = Locked::acquire_existing(&args.issuer, Role::Issuer)?;
    let wallet_lock = Locked::acquire_existing(&args.wallet, Role::Wallet)?;
    let mut issuer = IssuerFile::load_locked(&issuer_lock)?;
    let mut wallet = WalletFile::load_locked(&wallet_lock)?;
    let content = || FileError::content(Role::Wallet, &args.wallet);
    let seed = wallet.seed().map_err(content())?;
    issuer
        .renew_ed25519(&mut wallet, &seed, &args.credential.terms(now_or(args.at)))
        .map_err(|source| Error::Registry { path: args.issuer.clone(), source })?;
    let serials = serials(&wallet).map_err(content())?;
    record_then_hand_out(&issuer_lock, &issuer, &wallet_lock, &wallet)?;
    report(&wallet, &args.wallet, &serials, args.json)
}

/// Writes the issuer file, then the wallet file, each durably (flushed to
/// disk and renamed into place). The issuer records the account or batch
/// before any wallet holds it: a wallet whose issuer file was not written
/// would hold keys or credentials the issuer never recorded, whose account id
/// or payer id the next enrolment would hand out again, and which revoking
/// that payer would miss.
///
/// The wallet is first written in full beside its path, so that a wallet
/// that cannot be written (a full disk, a name too long) is found before
/// the issuer records anything. Only if its rename then fails has the
/// issuer an account, or a batch of serials, that no wallet holds: no code
/// can be made for it, and revoking it changes nothing else. Renewal leaves
/// the wallet's next device key index as it was, so the next batch is
/// issued for those device keys instead.
fn record_then_hand_out(
    issuer_lock: &Locked,
    issuer: &IssuerFile,
    wallet_lock: &Locked,
    wallet: &WalletFile,
) -> Result<(), FileError> {
    let staged = wallet_lock.stage(wallet, true)?;
    issuer_lock.write(issuer, true)?;
    staged.place(&[])
}

/// The serials of an ed25519 wallet's batch, in turn order.
fn serials(wallet: &WalletFile) -> Result<Vec<u64>, paycode_cli::ContentError> {
    Ok(wallet.batch()?.iter().map(|b| b.credential.fields().serial).collect())
}

fn report(wallet: &WalletFile, path: &std::path::Path, serials: &[u64], json: bool) -> Result<u8, Error> {
    let credential = match wallet.profile {
        Profile::Ed25519 => Some(wallet.credential().map_err(FileError::content(Role::Wallet, path))?),
        Profile::Hmac => None,
    };
    let fields = credential.as_ref().map(paycode::Credential::fields);
    let out = path.display().to_string();
    if json {
        let serial = fields.map(|f| f.serial);
        let not_after = fields.and_then(|f| f.not_after());
        print_json(&Enrolled {
            profile: wallet.profile,
            wallet: &out,
            account_id: wallet.account_id,
            serial,
            payer: wallet.payer,
            serials: serials.to_vec(),
            not_after,
        })?;
        return Ok(EXIT_OK);
    }
    let list = serials.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
    match (wallet.account_id, fields) {
        (Some(id), _) => outln!("hmac wallet written to {out} (mode 0600): account id {id}")?,
        (None, Some(f)) => outln!(
            "ed25519 wallet written to {out} (mode 0600): payer {}, {} credential(s), serial(s) {list} \
             (revoke them with `paycode issuer revoke --payer {0}`), valid from {} to {}",
            wallet.payer.map_or_else(|| "?".into(), |p| p.to_string()),
            serials.len(),
            f.not_before,
            f.not_after().map_or_else(|| "?".into(), |t| t.to_string())
        )?,
        (None, None) => outln!("wallet written to {out} (mode 0600)")?,
    }
    Ok(EXIT_OK)
}
