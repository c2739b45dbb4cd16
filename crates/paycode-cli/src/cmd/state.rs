//! `paycode state init|import`.

use std::path::PathBuf;

use clap::Subcommand;
use paycode_cli::state;

use super::{EXIT_OK, Error};

/// `paycode state ...`.
#[derive(Subcommand)]
pub enum Command {
    /// Create the state database of a new terminal: a verifier that has never
    /// accepted a code. `verify` and `scan` need it (or `--init`); a missing
    /// state database is an error, so that a mistyped --state cannot start a
    /// fresh verifier that accepts a code used before.
    Init(InitArgs),
    /// Migrate a JSON state file of earlier versions (`paycode-state-v1`)
    /// into a state database, created unless it exists and is empty.
    Import(ImportArgs),
}

/// `paycode state init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// The state database to create; refused if it exists.
    #[arg(long)]
    state: PathBuf,
}

/// `paycode state import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The JSON state file.
    json: PathBuf,
    /// The state database.
    #[arg(long)]
    state: PathBuf,
}

/// Runs a state command.
pub fn run(command: Command) -> Result<u8, Error> {
    match command {
        Command::Init(args) => {
            state::create(&args.state)?;
            outln!("new verifier state database written to {}", args.state.display())?;
        }
        Command::Import(args) => {
            let windows = state::import(&args.json, &args.state)?;
            outln!(
                "{} imported into {} ({windows} replay windows)",
                args.json.display(),
                args.state.display()
            )?;
        }
    }
    Ok(EXIT_OK)
}
