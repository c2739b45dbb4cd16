//! `paycode conformance ...`: the runner's command line, a thin wrapper over
//! `paycode-conformance`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use paycode_cli::errors::Action;
use paycode_cli::{FileError, Role, fsio};
use paycode_conformance::adapter::{Adapter, StdioAdapter};
use paycode_conformance::builtin::{Builtin, serve};
use paycode_conformance::classes::ClassStatus;
use paycode_conformance::kill::{kill_matrix, list_mutants};
use paycode_conformance::report::{self, compare, matrix};
use paycode_conformance::{ExitStatus, Run, Selection, Suite, Verdict, embedded};
use paycode_vectors::VectorError;

use super::Error;

/// The runner's exit codes, as `paycode conformance --help` lists them.
pub const EXIT_STATUS_HELP: &str = "\
Exit status: 0 conformant: the implementation meets at least one conformance class, every
class it claims, and no case failed (cases outside its classes may be skipped); 1 a case
failed (FAIL, WRONG-REASON, ERROR) or a claimed class was not met (a case it requires was
skipped or failed), or compare found a regression, or kill-matrix a surviving mutant; 2 the
adapter crashed, hung or could not be run (run still writes its reports), or standard output
could not be written; 3 usage error: bad options, vectors that do not load, or a file that could
not be read or written; 4 run: nothing failed but the implementation meets no conformance class
(it claims none, or the run left out cases of each it claims).";

/// Why a conformance command failed: the runner's usage error (exit 3,
/// [`ExitStatus::Usage`]), which [`run`] prints.
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure {
    /// The vectors could not be loaded.
    Suite(VectorError),
    /// A file could not be read or written.
    File(FileError),
    /// A file is not a conformance report.
    Report {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// The kill matrix could not be serialized.
    Json(serde_json::Error),
}

impl core::fmt::Display for Failure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::Suite(e) => write!(f, "cannot load the vectors: {e}"),
            Failure::File(e) => e.fmt(f),
            Failure::Report { path, source } => write!(f, "{}: not a report.json: {source}", path.display()),
            Failure::Json(e) => write!(f, "cannot write the kill matrix as JSON: {e}"),
        }
    }
}

impl std::error::Error for Failure {}

/// `paycode conformance ...`.
#[derive(Subcommand)]
pub enum Command {
    /// Run the vectors against an implementation and write the reports.
    Run {
        /// The adapter command, run with `sh -c` (see conformance/README.md).
        #[arg(long, conflicts_with = "builtin", required_unless_present = "builtin")]
        adapter: Option<String>,
        /// Run the reference implementation in process instead of an adapter.
        #[arg(long)]
        builtin: bool,
        /// A vectors folder to run instead of the vectors built into this program.
        #[arg(long)]
        vectors: Option<PathBuf>,
        /// Where to write report.json, junit.xml, summary.md and report.html.
        #[arg(long, default_value = "conformance-report")]
        out: PathBuf,
        /// Seconds to wait for each answer.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        /// Run only case ids matching this glob (`*` wildcard); repeatable.
        #[arg(long)]
        include: Vec<String>,
        /// Leave out case ids matching this glob; repeatable.
        #[arg(long)]
        exclude: Vec<String>,
        /// Stop at the first case that does not pass.
        #[arg(long)]
        fail_fast: bool,
        /// No progress line.
        #[arg(long)]
        quiet: bool,
    },
    /// Serve the reference implementation as a stdio adapter.
    Adapter,
    /// List regressions and fixes between two report.json files.
    Compare {
        /// The older report.
        old: PathBuf,
        /// The newer report.
        new: PathBuf,
    },
    /// One HTML page comparing several runs: cases × implementations.
    Matrix {
        /// report.json files.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// The HTML file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run every mutant of an adapter and write the kill matrix.
    KillMatrix {
        /// The adapter command; mutants are `--mutant NAME`, listed by `--list-mutants`.
        #[arg(long)]
        adapter: String,
        /// A vectors folder to run instead of the vectors built into this program.
        #[arg(long)]
        vectors: Option<PathBuf>,
        /// Where to write kill-matrix.md and kill-matrix.json.
        #[arg(long, default_value = "conformance")]
        out: PathBuf,
        /// Seconds to wait for each answer.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
    },
}

/// Runs a conformance command and gives the exit code of its [`ExitStatus`].
/// Vectors that do not load and reports that cannot be read or written are
/// the runner's usage errors (exit 3, conformance/README.md §3): they are
/// printed here, so that they do not take the command's generic exit code.
pub fn run(cmd: Command) -> Result<u8, Error> {
    match command(cmd) {
        Ok(status) => Ok(status.code()),
        Err(Error::Conformance(failure)) => {
            errln!("paycode: {failure}");
            Ok(ExitStatus::Usage.code())
        }
        Err(other) => Err(other),
    }
}

/// The suite of `--vectors DIR`, or the built-in one.
fn load_suite(vectors: Option<&Path>) -> Result<Suite, Failure> {
    match vectors {
        Some(dir) => Suite::load_dir(dir),
        None => embedded::suite(),
    }
    .map_err(Failure::Suite)
}

fn command(cmd: Command) -> Result<ExitStatus, Error> {
    match cmd {
        Command::Run { adapter, builtin, vectors, out, timeout, include, exclude, fail_fast, quiet } => {
            let Some(timeout) = seconds(timeout) else {
                errln!("paycode: --timeout must be a positive number of seconds");
                return Ok(ExitStatus::Usage);
            };
            // A suite that does not load is a usage error (exit 3), reported by `run`.
            let suite = load_suite(vectors.as_deref())?;
            let select = Selection { include, exclude, fail_fast };
            let mut adapter: Box<dyn Adapter> = match (adapter, builtin) {
                (Some(cmd), false) => Box::new(StdioAdapter::new(&cmd, timeout)),
                _ => Box::new(Builtin::default()),
            };
            run_suite(&suite, adapter.as_mut(), &select, &out, quiet)
        }
        Command::Adapter => {
            let stdin = std::io::stdin();
            let mut out = Output { inner: std::io::stdout().lock(), failed: false };
            match serve(stdin.lock(), &mut out) {
                Ok(()) => Ok(ExitStatus::Pass),
                Err(e) if out.failed => Err(Error::stdout(e)),
                Err(e) => Err(Error::Stdin(e)),
            }
        }
        Command::Compare { old, new } => {
            let (old, new) = (read_run(&old)?, read_run(&new)?);
            let c = compare(&old, &new);
            if c.suite_changed {
                outln!("the suites differ: {} -> {}", old.suite_hash, new.suite_hash)?;
            }
            for (id, o, n) in &c.regressions {
                outln!("REGRESSION {id}: {} -> {}", o.name(), n.name())?;
            }
            for (id, o, n) in &c.fixes {
                outln!("FIXED      {id}: {} -> {}", o.name(), n.name())?;
            }
            for id in &c.added {
                outln!("NEW        {id}")?;
            }
            for id in &c.removed {
                outln!("REMOVED    {id}")?;
            }
            outln!(
                "{} regression(s), {} fix(es), {} new, {} removed",
                c.regressions.len(),
                c.fixes.len(),
                c.added.len(),
                c.removed.len()
            )?;
            Ok(c.status())
        }
        Command::Matrix { reports, out } => {
            let runs = reports.iter().map(|p| read_run(p)).collect::<Result<Vec<Run>, Failure>>()?;
            write(&out, Role::Report, matrix(&runs).as_bytes())?;
            outln!("{} run(s) written to {}", runs.len(), out.display())?;
            Ok(ExitStatus::Pass)
        }
        Command::KillMatrix { adapter, vectors, out, timeout } => {
            let Some(timeout) = seconds(timeout) else {
                errln!("paycode: --timeout must be a positive number of seconds");
                return Ok(ExitStatus::Usage);
            };
            // A suite that does not load is a usage error (exit 3), reported by `run`.
            let suite = load_suite(vectors.as_deref())?;
            let km = match list_mutants(&adapter, timeout)
                .and_then(|names| kill_matrix(&suite, &adapter, &names, timeout))
            {
                Ok(km) => km,
                Err(e) => {
                    errln!("paycode: adapter error: {e}");
                    return Ok(ExitStatus::AdapterError);
                }
            };
            std::fs::create_dir_all(&out)
                .map_err(FileError::io(Action::Create, Role::OutputFolder, &out))
                .map_err(Failure::File)?;
            write(&out.join("kill-matrix.md"), Role::Report, km.markdown().as_bytes())?;
            let json = serde_json::to_string_pretty(&km).map_err(Failure::Json)?;
            write(&out.join("kill-matrix.json"), Role::Report, (json + "\n").as_bytes())?;
            for m in &km.mutants {
                outln!(
                    "{:<28} {}",
                    m.name,
                    if m.caught {
                        format!("caught by {} case(s)", m.caught_by.len())
                    } else {
                        "SURVIVES".into()
                    }
                )?;
            }
            Ok(km.status())
        }
    }
}

fn run_suite(
    suite: &Suite,
    adapter: &mut dyn Adapter,
    select: &Selection,
    out: &Path,
    quiet: bool,
) -> Result<ExitStatus, Error> {
    use std::io::IsTerminal;
    let mut failing = 0usize;
    let terminal = std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize, r: &paycode_conformance::CaseResult| {
        if r.verdict.is_failure() {
            failing += 1;
        }
        let mut e = std::io::stderr();
        if quiet {
        } else if terminal {
            let _ = write!(e, "\r[{done}/{total}] {failing} not passing  {:<60.60}", r.id);
            let _ = e.flush();
        } else if done.is_multiple_of(100) || done == total {
            let _ = writeln!(e, "[{done}/{total}] {failing} not passing");
        }
    };
    let result = paycode_conformance::run(suite, adapter, select, progress);
    if !quiet && terminal {
        errln!();
    }
    let run = match result {
        Ok(r) => r,
        Err(e) => {
            errln!("paycode: adapter error: {e}");
            let run = Run::failed_to_start(suite, adapter, &e);
            report::write_all(&run, out)
                .map_err(|e| Failure::File(FileError::io(Action::Write, Role::OutputFolder, out)(e)))?;
            outln!("{}: failed to start; reports in {}", report::implementation_name(&run), out.display())?;
            return Ok(run.status());
        }
    };
    report::write_all(&run, out)
        .map_err(|e| Failure::File(FileError::io(Action::Write, Role::OutputFolder, out)(e)))?;
    let count = |v: Verdict| run.totals.get(v.name()).copied().unwrap_or_default();
    outln!(
        "{}: {} cases: {} PASS, {} FAIL, {} WRONG-REASON, {} SKIP, {} ERROR, {} CRASH, {} HANG ({} ms); reports in {}",
        report::implementation_name(&run),
        run.cases.len(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::WrongReason),
        count(Verdict::Skip),
        count(Verdict::Error),
        count(Verdict::Crash),
        count(Verdict::Hang),
        run.duration_ms,
        out.display()
    )?;
    if let Some(a) = &run.aborted {
        outln!("run aborted: {a}")?;
    }
    for c in run.cases.iter().filter(|c| c.verdict.is_failure()).take(20) {
        outln!("  {} {}: {}", c.verdict.name(), c.id, c.detail)?;
    }
    let names = |status: ClassStatus| {
        let names: Vec<&str> = run.with_status(status).collect();
        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
    };
    outln!("conforms to: {}", names(ClassStatus::Met))?;
    for c in run.classes.iter().filter(|c| c.status == ClassStatus::Failed) {
        let first = c.failing.first().map(String::as_str).unwrap_or_default();
        outln!(
            "claimed but failed: {} ({} of {} cases skipped or not passing, the first {first})",
            c.class,
            c.failing.len(),
            c.cases
        )?;
    }
    if run.with_status(ClassStatus::Incomplete).next().is_some() {
        outln!("not judged, cases left out of the run: {}", names(ClassStatus::Incomplete))?;
    }
    outln!("result: {}", run.outcome())?;
    Ok(run.status())
}

/// The adapter's standard output, which remembers whether a write failed,
/// so that a failure is put down to standard output rather than to standard input.
struct Output<W> {
    inner: W,
    failed: bool,
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf);
        self.failed |= written.as_ref().is_err_and(|e| e.kind() != std::io::ErrorKind::Interrupted);
        written
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = self.inner.flush();
        self.failed |= flushed.as_ref().is_err_and(|e| e.kind() != std::io::ErrorKind::Interrupted);
        flushed
    }
}

/// Reads a report: a regular file (never a FIFO or a device) of at most
/// [`fsio::MAX_REPORT`] bytes.
fn read_run(path: &Path) -> Result<Run, Failure> {
    let bytes = fsio::read_regular(path, Role::Report).map_err(Failure::File)?;
    serde_json::from_slice(&bytes).map_err(|source| Failure::Report { path: path.to_path_buf(), source })
}

/// Writes an output file as the command's other outputs are written: a path
/// taken by a FIFO, a device, a folder, a link or a key or state file is
/// refused, and the file is replaced atomically.
fn write(path: &Path, role: Role, bytes: &[u8]) -> Result<(), Failure> {
    fsio::write_output(path, role, bytes, &[]).map_err(Failure::File)
}

fn seconds(s: f64) -> Option<Duration> {
    (s.is_finite() && s > 0.0 && s < 1e6).then(|| Duration::from_secs_f64(s))
}
