//! `paycode vectors generate|check|trace`: a thin wrapper over `paycode-vectors`.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use paycode_cli::errors::Action;
use paycode_cli::fsio;
use paycode_cli::{FileError, Role};
use paycode_vectors::{check, generate, trace};

use super::{EXIT_OK, Error, out};

/// `paycode vectors ...`.
#[derive(Subcommand)]
pub enum Command {
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

/// Runs a vectors command.
pub fn run(command: Command) -> Result<u8, Error> {
    match command {
        Command::Generate { out } => {
            let written = generate::write(&out)?;
            outln!("{} vector files written to {}", written.len(), out.display())?;
            Ok(EXIT_OK)
        }
        Command::Check { dir } => {
            let report = check::check_dir(&dir)?;
            outln!(
                "{} files, {} cases, {} error codes expected, {} requirement ids exercised: all pass",
                report.files,
                report.cases,
                report.errors.len(),
                report.requirements.len()
            )?;
            Ok(EXIT_OK)
        }
        Command::Trace { spec, vectors } => {
            let bytes = fsio::read_regular(&spec, Role::Spec)?;
            let text = std::str::from_utf8(&bytes).map_err(|e| {
                FileError::io(Action::Read, Role::Spec, &spec)(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    e,
                ))
            })?;
            let map = trace::trace(text, &vectors, Path::new("."))?;
            out::text(&map.text)?;
            if map.uncovered.is_empty() { Ok(EXIT_OK) } else { Err(Error::Uncovered(map.uncovered)) }
        }
    }
}
