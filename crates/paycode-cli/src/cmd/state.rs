//! `paycode state init`.

use std::path::PathBuf;

use clap::Subcommand;
use paycode_cli::state::Store;

use super::{EXIT_OK, Error};

/// `paycode state ...`.
#[derive(Subcommand)]
pub enum Command {
    /// Create the state file of a new terminal: a verifier that has never
    /// accepted a code. `verify` and `scan` need it (or `--init`); a missing
    /// state file is an error, so that a mistyped --state cannot start a
    /// fresh verifier that accepts a code used before.
    Init(InitArgs),
}

/// `paycode state init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// The state file to create; refused if it exists.
    #[arg(long)]
    state: PathBuf,
}

/// Runs a state command.
pub fn run(command: Command) -> Result<u8, Error> {
    match command {
        Command::Init(args) => {
            Store::create(&args.state)?;
            println!("new verifier state written to {}", args.state.display());
            Ok(EXIT_OK)
        }
    }
}
