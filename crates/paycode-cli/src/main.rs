//! The `paycode` command: a thin shell over the library. It parses the
//! command line, hands each command family its options whole, and maps the
//! outcome to an exit code. It is the one place that reads the clock (spec:
//! R-TIME-7); every protocol decision is the library's.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `println!` that gives `Err(cmd::Error::Stdout)` where `println!` panics.
macro_rules! outln {
    () => {
        $crate::cmd::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cmd::out::line(format_args!($($arg)*))
    };
}

/// `eprintln!` that drops a message standard error cannot take, where
/// `eprintln!` panics.
macro_rules! errln {
    () => {
        $crate::cmd::out::err_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cmd::out::err_line(format_args!($($arg)*))
    };
}

mod cmd;

use cmd::{
    EXIT_USAGE, code, conformance, demo, issuer, log, reconcile, serve, state, terminal, vectors, verify,
    wallet,
};

#[derive(Parser)]
#[command(
    name = "paycode",
    version,
    about = "paycode v3: offline payment codes (reference implementation)",
    after_help = cmd::EXIT_STATUS_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an end-to-end demonstration of both profiles and of challenge mode, with no set-up.
    Demo(demo::Args),
    /// Issuer commands: create an issuer, revoke credentials.
    #[command(subcommand)]
    Issuer(issuer::Command),
    /// Wallet commands: enroll a wallet with the issuer.
    #[command(subcommand)]
    Wallet(wallet::Command),
    /// Verifier state commands: create a terminal's state database, migrate a JSON state file.
    #[command(subcommand)]
    State(state::Command),
    /// The acceptance log kept in a state database: export it for `reconcile`.
    #[command(subcommand)]
    Log(log::Command),
    /// Terminal commands: make the challenge of one payment (challenge mode).
    #[command(subcommand)]
    Terminal(terminal::Command),
    /// Generate the next code of a wallet (advances and saves its counter first).
    Code(code::Args),
    /// Verify a code (QR text or digits) from the argument or standard input.
    Verify(verify::VerifyArgs),
    /// Decode the QR code in a PNG or JPEG image and verify it, as `verify` does.
    #[cfg(feature = "scan")]
    Scan(verify::ScanArgs),
    /// The verification service: HTTP(S) for an issuer's back end and for terminals
    /// that forward codes; token management (`serve token add|list|revoke`).
    Serve(serve::ServeArgs),
    /// Reconcile acceptance logs: find codes accepted more than once.
    #[command(after_help = cmd::RECONCILE_EXIT_HELP)]
    Reconcile(reconcile::Args),
    /// Test vectors: generate, check, trace requirements.
    #[command(subcommand)]
    Vectors(vectors::Command),
    /// Conformance: run the vectors against any implementation through an adapter.
    #[command(subcommand, after_help = conformance::EXIT_STATUS_HELP)]
    Conformance(conformance::Command),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and the version go to standard output, errors to standard
            // error (whose failure there is nowhere to report).
            let printed = e.print().and_then(|()| std::io::Write::flush(&mut std::io::stdout()));
            // The conformance runner has exit statuses of its own (2 is an adapter error).
            let conformance = std::env::args().nth(1).as_deref() == Some("conformance");
            return match (e.exit_code(), printed) {
                (0, Ok(())) => ExitCode::SUCCESS,
                // Help that cannot be written: exit 2, an output that cannot be written (conformance's too).
                (0, Err(io)) => {
                    errln!("paycode: {}", cmd::Error::stdout(io));
                    ExitCode::from(EXIT_USAGE)
                }
                _ if conformance => ExitCode::from(paycode_conformance::ExitStatus::Usage.code()),
                _ => ExitCode::from(EXIT_USAGE),
            };
        }
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Issuer(command) => issuer::run(command),
        Command::Wallet(command) => wallet::run(command),
        Command::State(command) => state::run(command),
        Command::Log(command) => log::run(&command),
        Command::Terminal(command) => terminal::run(&command),
        Command::Code(args) => code::run(&args),
        Command::Verify(args) => verify::run(args),
        #[cfg(feature = "scan")]
        Command::Scan(args) => verify::scan(&args),
        Command::Reconcile(args) => reconcile::run(&args),
        Command::Serve(args) => serve::run(args),
        Command::Vectors(command) => vectors::run(command),
        Command::Conformance(command) => conformance::run(command),
    };
    // What a command wrote and a buffer still holds is written now, so that its failure is seen.
    match result.and_then(|code| cmd::out::flush().map(|()| code)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            errln!("paycode: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
