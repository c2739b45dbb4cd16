//! `paycode issuer init|revoke|trust-list`.

use std::path::PathBuf;

use clap::Subcommand;
use paycode::Params;
use paycode::codec::to_hex;
use paycode::issuer::NOT_BEFORE_ALIGNMENT;
use paycode_cli::files::{DEFAULT_REVOCATION_GRACE, DEFAULT_REVOCATION_INTERVAL, IssuerFile, KeyFile};
use paycode_cli::fsio::{self, Locked};
use paycode_cli::{FileError, Role};

use super::wallet::DEFAULT_LIFETIME;
use super::{EXIT_OK, Error, now_or, seed_or_random};

/// `paycode issuer ...`.
#[derive(Subcommand)]
pub enum Command {
    /// Create an issuer: an Ed25519 key (id 1) and an empty account registry.
    Init(InitArgs),
    /// Revoke credential serials, or with none publish a fresh list: the
    /// issuer signs a new revocation list, which the next verification
    /// installs. Terminals accept no ed25519 code once their list is past
    /// its next update and grace, so publish at least once an interval.
    Revoke(RevokeArgs),
    /// Publish a new trust list of the issuer's keys (after they changed):
    /// numbered one above the last and signed by the issuer's root key.
    /// Terminals install it if it is newer than theirs, and never go back
    /// to an older one. Prints the sequence number and the root key.
    TrustList(TrustListArgs),
}

/// `paycode issuer trust-list`.
#[derive(clap::Args)]
pub struct TrustListArgs {
    /// The issuer file.
    #[arg(long)]
    issuer: PathBuf,
    /// Unix time of issue of the new list (default: the system clock).
    #[arg(long)]
    at: Option<u64>,
    /// Also write the new list, in hex, to this file (for `verify --trust-list`).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `paycode issuer init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// Where to write the issuer file (mode 0600).
    #[arg(long)]
    out: PathBuf,
    /// Overwrite an existing issuer file (never a file of another kind: a wallet
    /// file, a state database).
    #[arg(long)]
    force: bool,
    /// Unix time now (default: the system clock); key 1 is valid from a day before to a year after.
    #[arg(long)]
    at: Option<u64>,
    /// Import this issuer seed (64 hex digits) instead of drawing a fresh one.
    #[arg(long)]
    seed: Option<String>,
    #[command(flatten)]
    params: ParamsArgs,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    lists: ListArgs,
}

/// How often revocation lists are published (spec §4.7, R-REVOKE-4).
#[derive(clap::Args)]
#[command(next_help_heading = "Revocation lists")]
pub struct ListArgs {
    /// Seconds from a list's issue to its next update (60 to 604800).
    #[arg(long, default_value_t = DEFAULT_REVOCATION_INTERVAL,
          value_parser = clap::value_parser!(u64).range(60..=604_800))]
    revocation_interval: u64,
    /// Seconds a terminal may go on using a list after its next update (0 to 604800).
    #[arg(long, default_value_t = DEFAULT_REVOCATION_GRACE,
          value_parser = clap::value_parser!(u32).range(0..=604_800))]
    revocation_grace: u32,
}

/// The parameters (spec §2.1), as options.
#[derive(clap::Args)]
#[command(next_help_heading = "Parameters")]
pub struct ParamsArgs {
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
    /// Challenge lifetime C, seconds (30 to 600): how long a terminal's
    /// challenge stays open for a code made for it.
    #[arg(long, default_value_t = Params::DEFAULT_CHALLENGE_LIFETIME)]
    challenge_lifetime: u64,
    /// Numeric ceiling A_num, minor units: the largest amount a code in
    /// numeric form (24 digits) may pay.
    #[arg(long, default_value_t = Params::DEFAULT_NUMERIC_CEILING)]
    numeric_ceiling: u64,
}

impl ParamsArgs {
    fn params(&self) -> Result<Params, Error> {
        Params::new(self.t0, self.step, self.back, self.forward)
            .and_then(|p| p.with_challenge_lifetime(self.challenge_lifetime))
            .map(|p| p.with_numeric_ceiling(self.numeric_ceiling))
            .map_err(Error::Params)
    }
}

/// Key 1's validity period.
#[derive(clap::Args)]
#[command(next_help_heading = "Issuer key 1")]
pub struct KeyArgs {
    /// Start of key 1's validity, unix seconds (default: a day before --at).
    #[arg(long)]
    key_not_before: Option<u64>,
    /// End of key 1's validity, unix seconds (default: a year after --at).
    #[arg(long)]
    key_not_after: Option<u64>,
}

impl KeyArgs {
    fn key(&self, now: u64) -> KeyFile {
        KeyFile {
            key_id: 1,
            not_before: self.key_not_before.unwrap_or(now.saturating_sub(86_400)),
            not_after: self.key_not_after.unwrap_or(now.saturating_add(365 * 86_400)),
        }
    }
}

/// `paycode issuer revoke`.
#[derive(clap::Args)]
pub struct RevokeArgs {
    /// The issuer file.
    #[arg(long)]
    issuer: PathBuf,
    /// The serial to revoke (`wallet enroll` prints it); repeatable. None:
    /// publish a fresh list with the same serials.
    #[arg(long)]
    serial: Vec<u64>,
    /// Revoke every unexpired credential of this payer's batches (`wallet
    /// enroll` prints the payer); repeatable.
    #[arg(long)]
    payer: Vec<u64>,
    /// Unix time of issue of the new list (default: the system clock).
    #[arg(long)]
    at: Option<u64>,
}

/// Runs an issuer command.
pub fn run(command: Command) -> Result<u8, Error> {
    match command {
        Command::Init(args) => init(&args),
        Command::Revoke(args) => revoke(&args),
        Command::TrustList(args) => trust_list(&args),
    }
}

fn init(args: &InitArgs) -> Result<u8, Error> {
    let params = args.params.params()?;
    let now = now_or(args.at);
    let key = args.key.key(now);
    check_times(params, key, now).map_err(Error::IssuerTimes)?;
    let seed = seed_or_random(args.seed.as_deref())?;
    let lock = Locked::acquire(&args.out, Role::Issuer)?;
    if lock.exists() {
        if !args.force {
            return Err(FileError::Exists { role: Role::Issuer, path: args.out.clone() }.into());
        }
        fsio::check_replace(&args.out, Role::Issuer)?;
    }
    let mut file = IssuerFile::create(params, &seed, key);
    file.revocation.interval = args.lists.revocation_interval;
    file.revocation.grace = args.lists.revocation_grace;
    // spec: R-REVOKE-4: a list from the start, with no serial.
    file.revoke(&[], now);
    // spec: R-TRUST-3: trust list 1, issued with the issuer.
    file.trust.issued_at = now;
    lock.write(&file, true)?;
    outln!("issuer written to {} (mode 0600); key id 1; revocation list 1", args.out.display())?;
    Ok(EXIT_OK)
}

/// Checks that an issuer made at unix time `now` with key 1 valid over
/// `key` can work:
///
/// - the key's period is not empty (a trust list refuses an entry with
///   `not_before > not_after`, so the file could not be read back);
/// - `now` is not before the epoch `T0`: it has a step;
/// - `now` is within the key's period: the first revocation list is issued
///   at `now` and signed with key 1, and a terminal refuses a list whose key
///   is not valid at its issue time (spec: R-REVOKE-1), and with it the
///   issuer file;
/// - the key's period holds the credential `wallet enroll` issues at `now`
///   by default: from `now` aligned down to the hour, for the default
///   lifetime, its end computed without overflow (spec: R-BATCH-2, R-ED-4);
///   else no ed25519 wallet could be enrolled with the issuer as it starts.
///
/// # Errors
///
/// The first condition that fails.
fn check_times(params: Params, key: KeyFile, now: u64) -> Result<(), TimeError> {
    let KeyFile { not_before, not_after, .. } = key;
    if not_before > not_after {
        return Err(TimeError::EmptyPeriod { not_before, not_after });
    }
    if params.step_at(now).is_err() {
        return Err(TimeError::BeforeEpoch { at: now, t0: params.t0() });
    }
    if now < not_before || now > not_after {
        return Err(TimeError::OutsidePeriod { at: now, not_before, not_after });
    }
    let start = now - now % NOT_BEFORE_ALIGNMENT;
    let end = start.checked_add(u64::from(DEFAULT_LIFETIME));
    if start < not_before || end.is_none_or(|end| end > not_after) {
        return Err(TimeError::NoCredential { at: now, not_before, not_after });
    }
    Ok(())
}

/// A key period or a time with which `issuer init` would make an issuer
/// that cannot work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeError {
    /// The key's period ends before it starts.
    EmptyPeriod {
        /// Its start.
        not_before: u64,
        /// Its end.
        not_after: u64,
    },
    /// The issuer's time is before the epoch `T0`.
    BeforeEpoch {
        /// The issuer's time.
        at: u64,
        /// The epoch.
        t0: u64,
    },
    /// The issuer's time, when its first revocation list is issued, is
    /// outside the key's period.
    OutsidePeriod {
        /// The issuer's time.
        at: u64,
        /// The key's period's start.
        not_before: u64,
        /// The key's period's end.
        not_after: u64,
    },
    /// The credential of the default lifetime issued at the issuer's time
    /// does not fit in the key's period.
    NoCredential {
        /// The issuer's time.
        at: u64,
        /// The key's period's start.
        not_before: u64,
        /// The key's period's end.
        not_after: u64,
    },
}

impl std::fmt::Display for TimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            TimeError::EmptyPeriod { not_before, not_after } => write!(
                f,
                "--key-not-before {not_before} is after --key-not-after {not_after}: key 1 would never be valid"
            ),
            TimeError::BeforeEpoch { at, t0 } => {
                write!(f, "the issuer's time {at} (--at, or the clock) is before the epoch T0 = {t0} (--t0)")
            }
            TimeError::OutsidePeriod { at, not_before, not_after } => write!(
                f,
                "the issuer's time {at} (--at, or the clock) is outside key 1's period {not_before} to \
                 {not_after}: its first revocation list, issued then and signed with key 1, would be \
                 refused by every terminal"
            ),
            TimeError::NoCredential { at, not_before, not_after } => write!(
                f,
                "key 1's period {not_before} to {not_after} does not hold an ed25519 credential issued \
                 at the issuer's time {at}: from the hour it falls in, for {DEFAULT_LIFETIME} s \
                 (`wallet enroll`'s default); no ed25519 wallet could be enrolled"
            ),
        }
    }
}

impl std::error::Error for TimeError {}

fn trust_list(args: &TrustListArgs) -> Result<u8, Error> {
    let lock = Locked::acquire_existing(&args.issuer, Role::Issuer)?;
    let mut file = IssuerFile::load_locked(&lock)?;
    let sequence = file.publish_trust_list(now_or(args.at)).sequence;
    let list = file.trust_list().map_err(FileError::content(Role::Issuer, &args.issuer))?;
    let root =
        file.issuer().map_err(FileError::content(Role::Issuer, &args.issuer))?.root_key().public_bytes();
    // The list is written in full beside --out before the issuer file
    // records it: an --out that cannot be written publishes nothing.
    let protect = [(args.issuer.as_path(), Role::Issuer)];
    let staged = args
        .out
        .as_deref()
        .map(|out| {
            let text = format!("{}\n", to_hex(&list.encode()));
            fsio::stage_output(out, Role::TrustList, text.as_bytes(), &protect)
        })
        .transpose()?;
    lock.write(&file, true)?;
    if let Some(s) = staged {
        s.place(&protect)?;
    }
    outln!("trust list {sequence} published; root key {}", to_hex(&root))?;
    Ok(EXIT_OK)
}

fn revoke(args: &RevokeArgs) -> Result<u8, Error> {
    let lock = Locked::acquire_existing(&args.issuer, Role::Issuer)?;
    let mut file = IssuerFile::load_locked(&lock)?;
    let now = now_or(args.at);
    let mut serials = args.serial.clone();
    for payer in &args.payer {
        // spec: R-BATCH-5: the payer's whole batch, by the issuer's mapping.
        let of = file
            .payer_serials(*payer, now)
            .map_err(|source| Error::Registry { path: args.issuer.clone(), source })?;
        serials.extend(of);
    }
    let list = file.revoke(&serials, now).clone();
    // Checked before it is written: its issue time never goes back, so a
    // list no terminal installs could not be replaced by a later one.
    signed_usable(&file).map_err(|e| match e {
        Unusable::File(e) => Error::File(FileError::content(Role::Issuer, &args.issuer)(e)),
        Unusable::Key(e) => Error::ListKey(e),
    })?;
    lock.write(&file, true)?;
    outln!("revocation list {} now lists {} serial(s)", list.number, list.serials.len())?;
    Ok(EXIT_OK)
}

/// Why a revocation list the issuer is about to publish is not written.
enum Unusable {
    /// The issuer file's keys or list cannot be made.
    File(paycode_cli::ContentError),
    /// The list's key is not valid at its issue time.
    Key(ListKeyError),
}

/// Checks that the issuer file's revocation list is one a terminal
/// installs: signed with a key of its trust list that is valid at the
/// list's issue time (spec: R-REVOKE-1). A terminal refuses any other, and
/// with it the issuer file, so that it verifies no code at all.
fn signed_usable(file: &IssuerFile) -> Result<(), Unusable> {
    let trust = file.trust_list().map_err(Unusable::File)?;
    let Some(list) = file.revocation_list().map_err(Unusable::File)? else { return Ok(()) };
    list.check(&trust).map_err(|_| {
        let key = file.keys.iter().find(|k| k.key_id == file.current_key_id);
        Unusable::Key(ListKeyError {
            issued_at: list.issued_at(),
            key_id: file.current_key_id,
            period: key.map(|k| (k.not_before, k.not_after)),
        })
    })
}

/// `issuer revoke`: the new list would be signed with a key that is not
/// valid at its issue time, and every terminal would refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListKeyError {
    /// The list's issue time: the time of the command, or the last list's if later.
    pub issued_at: u64,
    /// The issuer's current key id, which signs it.
    pub key_id: u16,
    /// That key's validity period, if the issuer file lists the key.
    pub period: Option<(u64, u64)>,
}

impl std::fmt::Display for ListKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ListKeyError { issued_at, key_id, period } = *self;
        write!(
            f,
            "cannot publish a revocation list issued at {issued_at}: it is signed with key {key_id}, "
        )?;
        match period {
            Some((not_before, not_after)) => write!(f, "valid from {not_before} to {not_after}")?,
            None => f.write_str("which the issuer's trust list does not hold")?,
        }
        f.write_str(
            ", and every terminal refuses a list whose key is not valid at its issue time, and with it \
             the issuer file; nothing was written",
        )
    }
}

impl std::error::Error for ListKeyError {}
