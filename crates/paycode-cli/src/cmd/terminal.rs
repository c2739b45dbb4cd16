//! `paycode terminal challenge`: the challenge a terminal shows for one
//! payment (spec §4.9), as text and QR symbol.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use paycode::Challenge;
use paycode::codec::to_hex;
use paycode_cli::Role;
use paycode_cli::fsio;
use paycode_render::qr::Symbol;
use serde::Serialize;

use super::code::{ImageFormat, QrOutput, render_qr};
use super::{EXIT_OK, Error, Usage, now_or, print_json};

/// `paycode terminal ...`.
#[derive(Subcommand)]
pub enum Command {
    /// Make the challenge of one payment and print it (text, QR symbol).
    ///
    /// The challenge names this terminal, the amount and the time, and holds
    /// a fresh random nonce. The wallet pays it with `code --challenge`;
    /// `verify --challenge` takes it with the code, which is then accepted
    /// only at this terminal, for this amount, while the challenge is open
    /// (the issuer's challenge lifetime C), and once.
    Challenge(ChallengeArgs),
}

/// `paycode terminal challenge`.
#[derive(clap::Args)]
pub struct ChallengeArgs {
    /// The terminal's id: the one its `verify --terminal-id` gives.
    #[arg(long, visible_alias = "terminal")]
    terminal_id: u32,
    /// The amount to pay, in minor units.
    #[arg(long)]
    amount: u64,
    /// Unix time of the challenge (default: the system clock).
    #[arg(long, visible_alias = "now")]
    at: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Print only the challenge's text (`PT3:...`), on one line: for shell
    /// variables and pipes.
    #[arg(long, value_enum, conflicts_with = "json")]
    only: Option<Field>,
    /// Also show the QR symbol: in the terminal, or as SVG or PNG into --out.
    #[arg(long, value_enum, help_heading = "Images")]
    qr: Option<QrOutput>,
    /// Output file for --qr svg|png. Not a symbolic link, nor a key or state
    /// file; replaced atomically.
    #[arg(long, requires = "qr", help_heading = "Images")]
    out: Option<PathBuf>,
}

/// What `terminal challenge --only` prints.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Field {
    /// The challenge's text, `PT3:...`.
    Text,
}

/// What `terminal challenge --json` prints; absent fields are left out.
#[derive(Serialize)]
struct Printed<'a> {
    terminal_id: u32,
    amount: u64,
    issued_at: u64,
    nonce: String,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_version: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_file: Option<&'a std::path::Path>,
}

/// Runs a terminal command.
pub fn run(command: &Command) -> Result<u8, Error> {
    match command {
        Command::Challenge(args) => challenge(args),
    }
}

/// Makes and prints a challenge; every option and the output path are
/// checked before the nonce is drawn.
fn challenge(args: &ChallengeArgs) -> Result<u8, Error> {
    let now = now_or(args.at);
    let target = match args.qr {
        Some(QrOutput::Svg) => Some(ImageFormat::Svg),
        Some(QrOutput::Png) => Some(ImageFormat::Png),
        Some(QrOutput::Term) | None => None,
    };
    let out = match target {
        Some(format) => {
            let path = args.out.as_deref().ok_or(Usage::QrNeedsOut)?;
            fsio::check_output(path, Role::QrImage, &[])?;
            Some((path, format))
        }
        None => None,
    };
    // spec: R-CHAL-1: a fresh nonce from the operating system's CSPRNG.
    let challenge = Challenge::random(args.terminal_id, args.amount, now).map_err(Error::Randomness)?;
    let text = challenge.to_qr_text();
    let symbol = args.qr.map(|_| Symbol::new(&text)).transpose()?;
    if let (Some((path, format)), Some(s)) = (out, &symbol) {
        fsio::write_output(path, Role::QrImage, &render_qr(s, format), &[])?;
    }
    let wrote = out.map(|(path, format)| format!("wrote {} (QR code, {})", path.display(), format.name()));
    match args.only {
        Some(Field::Text) => {
            outln!("{text}")?;
            if let Some(line) = wrote {
                errln!("{line}");
            }
        }
        None if args.json => print_json(&Printed {
            terminal_id: challenge.terminal_id(),
            amount: challenge.amount(),
            issued_at: challenge.issued_at(),
            nonce: to_hex(challenge.nonce()),
            text: &text,
            qr_version: symbol.as_ref().map(Symbol::version),
            qr_file: out.map(|(path, _)| path),
        })?,
        None => {
            if let (Some(QrOutput::Term), Some(s)) = (args.qr, &symbol) {
                outln!("{}", s.to_terminal())?;
            }
            outln!(
                "challenge: terminal {}, amount {}, issued at {}",
                challenge.terminal_id(),
                challenge.amount(),
                challenge.issued_at()
            )?;
            outln!("text: {text}")?;
            if let Some(line) = wrote {
                outln!("{line}")?;
            }
        }
    }
    Ok(EXIT_OK)
}
