//! `paycode log export`: the acceptance log kept in a state database, as
//! the file `paycode reconcile` reads.

use std::path::PathBuf;

use clap::Subcommand;
use paycode_cli::state;

use super::{EXIT_OK, Error};

/// `paycode log ...`.
#[derive(Subcommand)]
pub enum Command {
    /// Write the acceptance log in the spec's format (records with the codes
    /// they accepted, in commit order), for `paycode reconcile`. The file is replaced
    /// atomically; a link, a key file or a state database is refused.
    Export(ExportArgs),
}

/// `paycode log export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The state database.
    #[arg(long)]
    state: PathBuf,
    /// The log file to write.
    #[arg(long)]
    out: PathBuf,
    /// Only this terminal's records (default: every terminal's).
    #[arg(long)]
    terminal_id: Option<u32>,
}

/// Runs a log command.
pub fn run(command: &Command) -> Result<u8, Error> {
    match command {
        Command::Export(args) => {
            let records = state::export_log(&args.state, &args.out, args.terminal_id)?;
            outln!("{} acceptance record(s) written to {}", records.len(), args.out.display())?;
        }
    }
    Ok(EXIT_OK)
}
