//! `paycode reconcile`: what terminals' logs prove against the issuer's keys.

use std::path::PathBuf;

use paycode::log::{IssuerKeys, LogRecord, Policy, reconcile};
use paycode_cli::files::IssuerFile;
use paycode_cli::fsio;
use paycode_cli::{FileError, Role};

use super::{EXIT_OK, EXIT_REJECTED, Error, print_json};

/// `paycode reconcile`.
#[derive(clap::Args)]
pub struct Args {
    /// The issuer file: its hmac accounts' keys and its trust list check each
    /// record's evidence (spec R-LOG-2).
    #[arg(long)]
    issuer: PathBuf,
    /// Acceptance logs (`paycode log export`).
    #[arg(required = true)]
    logs: Vec<PathBuf>,
    /// Steps by which a lower counter's step may exceed a higher counter's
    /// before the identity is flagged out of order (spec R-LOG-2): `B + F` of
    /// the issuer's parameters (3 with the defaults), plus twice the largest
    /// clock error of its terminals, in steps.
    #[arg(long, default_value_t = 3, value_name = "STEPS")]
    tolerance: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `reconcile`: exit 1 when an identity is flagged on proven records
/// (two codes for one counter, counters and steps that do not rise
/// together, counters far apart, or more spent than a credential's limit).
/// Records whose evidence does not verify are listed apart and flag no one.
pub fn run(args: &Args) -> Result<u8, Error> {
    let file = IssuerFile::load(&args.issuer)?;
    let keys = IssuerKeys {
        trust: Some(file.trust_list().map_err(FileError::content(Role::Issuer, &args.issuer))?),
        accounts: file.account_keys().map_err(FileError::content(Role::Issuer, &args.issuer))?,
    };
    let mut logs: Vec<Vec<LogRecord>> = Vec::new();
    for p in &args.logs {
        let bytes = fsio::read_regular(p, Role::Log)?;
        logs.push(LogRecord::decode_log(&bytes).map_err(|source| Error::Log { path: p.clone(), source })?);
    }
    // spec: R-BATCH-5: the issuer's mapping relates a payer's serials.
    let policy = Policy::with_tolerance(args.tolerance).with_holders(file.holders());
    let rec = reconcile(&logs, &keys, &policy);
    if args.json {
        print_json(&rec)?;
    } else {
        outln!(
            "{} record(s), {} unproven, {} double acceptance(s), {} cop{}, {} identit{} flagged",
            rec.records,
            rec.unproven.len(),
            rec.doubles.len(),
            rec.copies.len(),
            if rec.copies.len() == 1 { "y" } else { "ies" },
            rec.flagged.len(),
            if rec.flagged.len() == 1 { "y" } else { "ies" }
        )?;
        for u in &rec.unproven {
            let path = args.logs.get(u.log).map_or_else(String::new, |p| p.display().to_string());
            outln!("  unproven: {path} record {}: {}", u.index, u.why.name())?;
        }
        for (what, list) in [("codes for", &rec.doubles), ("copies of one code for", &rec.copies)] {
            for d in list {
                let terminals: Vec<String> = d.records.iter().map(|r| r.terminal_id.to_string()).collect();
                outln!(
                    "  {} {} counter {}: {} records, {what} one counter (terminals {})",
                    d.profile.name(),
                    d.subject,
                    d.counter,
                    d.records.len(),
                    terminals.join(", ")
                )?;
            }
        }
        for f in &rec.flagged {
            let why: Vec<&str> = f.reasons.iter().map(|r| r.name()).collect();
            outln!("  {} {}: {}", f.profile.name(), f.subject, why.join(", "))?;
        }
        let list = |ids: &[u64]| ids.iter().map(u64::to_string).collect::<Vec<_>>().join(" ");
        for p in &rec.payers {
            let most = p.terminals.iter().max_by_key(|t| t.total);
            outln!(
                "  payer {}: {} code(s) on serial(s) {}{}{}{}",
                p.payer,
                p.codes,
                list(&p.serials),
                most.map_or_else(String::new, |t| format!(
                    "; most at one terminal: {} of {} at terminal {}",
                    t.total, t.limit, t.terminal_id
                )),
                if p.over_batch_limit { "; over its batch's limit at a terminal" } else { "" },
                if p.flagged_serials.is_empty() {
                    String::new()
                } else {
                    format!("; flagged serial(s) {}", list(&p.flagged_serials))
                }
            )?;
        }
        if !rec.revoke_serials.is_empty() {
            outln!("revoke serials: {}", list(&rec.revoke_serials))?;
        }
        if !rec.flagged_accounts.is_empty() {
            outln!("disable hmac accounts: {}", list(&rec.flagged_accounts))?;
        }
        if !rec.flagged_payers.is_empty() {
            outln!("revoke payers: {}", list(&rec.flagged_payers))?;
        }
    }
    Ok(if rec.flagged.is_empty() && rec.flagged_payers.is_empty() { EXIT_OK } else { EXIT_REJECTED })
}
