//! The `paycode` command, run the way its users run it.

use std::ffi::OsStr;
use std::io::{ErrorKind, Write};
use std::process::{Command, Output, Stdio};

/// The `paycode` binary under test.
///
/// Cargo gives a binary's path only to the tests of the package that builds
/// it (`CARGO_BIN_EXE_paycode`, at compile time), so the test passes it in:
/// `const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));`.
///
/// Every run captures standard output and standard error; standard input is
/// empty unless given ([`Cli::run_stdin`]).
///
/// ```no_run
/// use paycode_test_support::Cli;
///
/// const CLI: Cli = Cli::new("target/release/paycode");
/// let report = CLI.stdout(&["demo", "--json"]);
/// let rejected = CLI.run(&["verify", "--bogus"]);
/// assert_eq!(rejected.status.code(), Some(2));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Cli {
    program: &'static str,
}

impl Cli {
    /// The binary at `program`.
    pub const fn new(program: &'static str) -> Cli {
        Cli { program }
    }

    /// A command for the binary, for the runs the other methods do not
    /// cover (such as standard input from a file).
    pub fn command(&self) -> Command {
        Command::new(self.program)
    }

    /// Runs the binary with `args` and empty standard input.
    ///
    /// # Panics
    ///
    /// If the binary cannot be started.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.program))
    }

    /// Runs the binary with `args` and `input` on standard input.
    ///
    /// The input is written while the output is read, so that neither pipe
    /// fills up; a command that exits before it has read all of it (the CLI
    /// reads at most 1 MiB) is not an error.
    ///
    /// # Panics
    ///
    /// If the binary cannot be started or the input cannot be written.
    pub fn run_stdin<S: AsRef<OsStr>>(&self, args: &[S], input: &[u8]) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.program));
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || match pipe.write_all(&input) {
            Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(e),
            _ => Ok(()),
        });
        let out = child.wait_with_output().unwrap();
        if let Err(e) = writer.join().unwrap() {
            panic!("writing standard input of {}: {e}", self.program);
        }
        out
    }

    /// The standard output of a successful run with `args`.
    ///
    /// # Panics
    ///
    /// If the run fails, with the arguments, the exit status and the
    /// standard error in the message; or if the output is not UTF-8.
    pub fn stdout<S: AsRef<OsStr>>(&self, args: &[S]) -> String {
        let out = self.run(args);
        let args: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
        assert!(out.status.success(), "{args:?}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{args:?}: output is not UTF-8: {e}"))
    }
}
