//! `paycode reconcile`: codes accepted more than once, across terminals' logs.

use std::path::PathBuf;

use paycode::log::{LogRecord, Policy, reconcile};
use paycode_cli::errors::Action;
use paycode_cli::{FileError, Role};

use super::{EXIT_OK, EXIT_REJECTED, Error, Usage, print_json};

/// `paycode reconcile`.
#[derive(clap::Args)]
pub struct Args {
    /// Acceptance logs (`paycode log export`).
    #[arg(required = true)]
    logs: Vec<PathBuf>,
    /// Steps by which a lower counter's step may exceed a higher counter's
    /// before the identity is flagged out of order (spec R-LOG-2): `B + F` of
    /// the issuer's parameters (3 with the defaults), plus twice the largest
    /// clock error of its terminals, in steps.
    #[arg(long, default_value_t = 3, value_name = "STEPS")]
    tolerance: u64,
    /// The cumulative limit of a credential, as SERIAL=AMOUNT (repeat for
    /// each serial): a serial whose amounts across the logs add up to more is
    /// flagged for overspending (spec R-LOG-2).
    #[arg(long = "limit", value_name = "SERIAL=AMOUNT", value_parser = parse_limit)]
    limits: Vec<(u64, u64)>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `reconcile`: exit 1 when an identity is flagged (a code accepted more
/// than once, counters and steps that do not rise together, counters far
/// apart, or more spent than a credential's limit).
pub fn run(args: &Args) -> Result<u8, Error> {
    let mut records: Vec<LogRecord> = Vec::new();
    for p in &args.logs {
        let bytes = std::fs::read(p).map_err(FileError::io(Action::Read, Role::Log, p))?;
        let mut log =
            LogRecord::decode_log(&bytes).map_err(|source| Error::Log { path: p.clone(), source })?;
        records.append(&mut log);
    }
    let mut policy = Policy::with_tolerance(args.tolerance);
    for &(serial, limit) in &args.limits {
        if policy.limits.insert(serial, limit).is_some() {
            return Err(Error::Usage(Usage::LimitTwice));
        }
    }
    let rec = reconcile(records, &policy);
    if args.json {
        print_json(&rec)?;
    } else {
        println!(
            "{} record(s), {} double acceptance(s), {} identit{} flagged",
            rec.records,
            rec.duplicates.len(),
            rec.flagged.len(),
            if rec.flagged.len() == 1 { "y" } else { "ies" }
        );
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
        for f in &rec.flagged {
            let why: Vec<&str> = f.reasons.iter().map(|r| r.name()).collect();
            println!("  {} {}: {}", f.profile.name(), f.subject, why.join(", "));
        }
        let list = |ids: &[u64]| ids.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
        if !rec.revoke_serials.is_empty() {
            println!("revoke serials: {}", list(&rec.revoke_serials));
        }
        if !rec.flagged_accounts.is_empty() {
            println!("disable hmac accounts: {}", list(&rec.flagged_accounts));
        }
    }
    Ok(if rec.flagged.is_empty() { EXIT_OK } else { EXIT_REJECTED })
}

/// `SERIAL=AMOUNT`, both decimal u64.
fn parse_limit(s: &str) -> Result<(u64, u64), String> {
    let (serial, amount) = s.split_once('=').ok_or_else(|| format!("{s:?} is not SERIAL=AMOUNT"))?;
    let number = |what: &str, v: &str| v.parse::<u64>().map_err(|e| format!("{what} {v:?}: {e}"));
    Ok((number("serial", serial)?, number("amount", amount)?))
}
