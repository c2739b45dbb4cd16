//! `paycode wallet enroll`.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use paycode::Profile;
use paycode_cli::files::IssuerFile;
use paycode_cli::fsio::{Locked, same_file};
use paycode_cli::registry::CredentialTerms;
use paycode_cli::{FileError, Role};
use serde::Serialize;

use super::{EXIT_OK, Error, Usage, now_or, print_json, seed_or_random};

/// `paycode wallet ...`.
#[derive(Subcommand)]
pub enum Command {
    /// Enroll a new wallet with the issuer and write its wallet file; print
    /// the hmac account id, or the ed25519 credential's serial (what
    /// `issuer revoke --serial` takes).
    Enroll(EnrollArgs),
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
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
    /// Unix time now (default: the system clock): the credential's start.
    #[arg(long)]
    at: Option<u64>,
    /// Import this wallet seed (64 hex digits) instead of drawing a fresh one.
    #[arg(long)]
    seed: Option<String>,
    /// The wallet's first counter.
    #[arg(long, default_value_t = 0)]
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

/// What an ed25519 credential grants.
#[derive(clap::Args)]
#[command(next_help_heading = "ed25519 credential")]
pub struct CredentialArgs {
    /// ed25519: use this serial instead of the issuer's next one.
    #[arg(long)]
    serial: Option<u64>,
    /// ed25519: start of the credential's validity (default: --at).
    #[arg(long)]
    not_before: Option<u64>,
    /// ed25519: credential lifetime, seconds (at most 604800).
    #[arg(long, default_value_t = 86_400)]
    lifetime: u32,
    /// ed25519: per-payment offline limit, minor units.
    #[arg(long, default_value_t = 5_000)]
    per_payment: u32,
    /// ed25519: cumulative offline limit per terminal, minor units.
    #[arg(long, default_value_t = 20_000)]
    cumulative: u32,
}

impl CredentialArgs {
    fn terms(&self, now: u64) -> CredentialTerms {
        CredentialTerms {
            serial: self.serial,
            not_before: self.not_before.unwrap_or(now),
            lifetime: self.lifetime,
            per_payment: self.per_payment,
            cumulative: self.cumulative,
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
    not_after: Option<u64>,
}

/// Runs a wallet command.
pub fn run(command: Command) -> Result<u8, Error> {
    match command {
        Command::Enroll(args) => enroll(&args),
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
    if wallet_lock.exists() && !args.force {
        return Err(FileError::Exists { role: Role::Wallet, path: args.out.clone() }.into());
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
    let credential = match wallet.profile {
        Profile::Ed25519 => Some(wallet.credential().map_err(FileError::content(Role::Wallet, &args.out))?),
        Profile::Hmac => None,
    };
    wallet_lock.write(&wallet, true)?;
    issuer_lock.write(&issuer, true)?;
    let fields = credential.as_ref().map(paycode::Credential::fields);
    let out = args.out.display().to_string();
    if args.json {
        let serial = fields.map(|f| f.serial);
        let not_after = fields.and_then(|f| f.not_after());
        print_json(&Enrolled {
            profile: wallet.profile,
            wallet: &out,
            account_id: wallet.account_id,
            serial,
            not_after,
        })?;
        return Ok(EXIT_OK);
    }
    match (wallet.account_id, fields) {
        (Some(id), _) => println!("hmac wallet written to {out} (mode 0600): account id {id}"),
        (None, Some(f)) => println!(
            "ed25519 wallet written to {out} (mode 0600): credential serial {} (revoke it with \
             `paycode issuer revoke --serial {0}`), valid from {} to {}",
            f.serial,
            f.not_before,
            f.not_after().map_or_else(|| "?".into(), |t| t.to_string())
        ),
        (None, None) => println!("wallet written to {out} (mode 0600)"),
    }
    Ok(EXIT_OK)
}
