//! Adapters: the stdio adapter process of `conformance/README.md`, behind a
//! trait that the in-process reference adapter implements too.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use paycode::Profile;
use paycode_vectors::format::Op;
use serde_json::{Value, json};

use super::CONTRACT;

/// Longest line an adapter may write, bytes.
const MAX_LINE: u64 = 16 << 20;
/// How much of the adapter's standard error a report keeps, bytes.
const MAX_STDERR: usize = 64 << 10;
/// How much of the end of the adapter's standard error an error message shows, bytes.
pub const STDERR_TAIL: usize = 4 << 10;

/// An adapter failure that makes the run meaningless
/// ([`ExitStatus::AdapterError`](crate::ExitStatus::AdapterError)).
#[non_exhaustive]
#[derive(Debug)]
pub enum AdapterError {
    /// The adapter program could not be started.
    Start {
        /// The command.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// The adapter's standard input, output or error could not be connected.
    Pipes,
    /// The adapter exited before it answered `hello`.
    ExitedBeforeHello {
        /// How it exited.
        status: String,
        /// The end of what it wrote on standard error (at most [`STDERR_TAIL`] bytes).
        stderr: String,
    },
    /// The adapter did not answer `hello` in time.
    HelloTimeout,
    /// The first answer is not a `hello`.
    NotHello(String),
    /// The adapter speaks another contract version.
    Contract(String),
    /// The `hello` claims a class the runner does not know.
    UnknownClass(String),
    /// A line that is not JSON.
    NotJson(String),
    /// A line that is JSON but not an object.
    NotObject(String),
    /// A line longer than 16 MiB.
    LineTooLong,
    /// An answer whose `seq` is not the request's.
    Sequence {
        /// The request's `seq`.
        request: u64,
        /// The answer's `seq`, as written, or `none`.
        answer: String,
    },
    /// An answer with neither an `output` nor an `error`.
    NoOutput(String),
    /// The adapter crashed or hung on this many cases in a row.
    Broken {
        /// The cases in a row.
        consecutive: usize,
    },
    /// Starting the adapter again after a CRASH or HANG failed.
    Restart(Box<AdapterError>),
    /// `--list-mutants` could not be run.
    ListMutants {
        /// The adapter command.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// `--list-mutants` failed or listed no mutant.
    NoMutants(String),
    /// `--list-mutants` did not finish in time.
    ListMutantsTimeout {
        /// The adapter command.
        command: String,
        /// How long it was given.
        timeout: Duration,
    },
    /// `--list-mutants` wrote more than [`MAX_MUTANT_LIST`](crate::kill::MAX_MUTANT_LIST) bytes.
    MutantListTooLong {
        /// The adapter command.
        command: String,
    },
}

impl core::fmt::Display for AdapterError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AdapterError::Start { command, source } => {
                write!(f, "cannot start adapter {command:?}: {source}")
            }
            AdapterError::Pipes => f.write_str("adapter pipes unavailable"),
            AdapterError::ExitedBeforeHello { status, stderr } if stderr.trim().is_empty() => {
                write!(f, "no hello: {status}, and it wrote nothing on standard error")
            }
            AdapterError::ExitedBeforeHello { status, stderr } => {
                write!(f, "no hello: {status}; the end of its standard error:\n{}", stderr.trim_end())
            }
            AdapterError::HelloTimeout => f.write_str("adapter did not answer hello in time"),
            AdapterError::NotHello(answer) => write!(f, "expected a hello answer, got {answer}"),
            AdapterError::Contract(contract) => {
                write!(f, "adapter speaks contract {contract:?}, the runner {CONTRACT:?}")
            }
            AdapterError::UnknownClass(name) => {
                write!(f, "the hello claims class {name:?}, which is not a conformance class")
            }
            AdapterError::NotJson(line) => write!(f, "adapter wrote a line that is not JSON: {line}"),
            AdapterError::NotObject(line) => write!(f, "adapter wrote a non-object: {line}"),
            AdapterError::LineTooLong => f.write_str("adapter wrote a line longer than 16 MiB"),
            AdapterError::Sequence { request, answer } => {
                write!(f, "adapter answered seq {answer} to request seq {request}")
            }
            AdapterError::NoOutput(answer) => write!(f, "answer has neither output nor error: {answer}"),
            AdapterError::Broken { consecutive } => {
                write!(f, "the adapter crashed or hung on {consecutive} cases in a row")
            }
            AdapterError::Restart(e) => write!(f, "restart failed: {e}"),
            AdapterError::ListMutants { command, source } => write!(f, "cannot run {command}: {source}"),
            AdapterError::NoMutants(command) => write!(f, "{command} --list-mutants listed no mutants"),
            AdapterError::ListMutantsTimeout { command, timeout } => write!(
                f,
                "{command} --list-mutants did not list its mutants and exit within {} s; it was stopped",
                timeout.as_secs_f64()
            ),
            AdapterError::MutantListTooLong { command } => write!(
                f,
                "{command} --list-mutants wrote more than {} bytes; it was stopped",
                crate::kill::MAX_MUTANT_LIST
            ),
        }
    }
}

impl std::error::Error for AdapterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AdapterError::Start { source, .. } | AdapterError::ListMutants { source, .. } => Some(source),
            AdapterError::Restart(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

/// The adapter's answer to one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// An `output` object.
    Output(Value),
    /// An `error` response: the adapter could not process the request.
    Error(String),
    /// The adapter exited.
    Crash(String),
    /// No answer within the timeout.
    Hang,
}

/// The adapter's `hello`: identity and capabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct Hello {
    /// The whole answer, for the report.
    pub raw: Value,
    /// Ops claimed.
    pub ops: BTreeSet<String>,
    /// Profiles claimed.
    pub profiles: BTreeSet<String>,
    /// Declined ops (or profiles) with reasons.
    pub declined: BTreeMap<String, String>,
    /// The conformance classes claimed, if the `hello` lists them; `None`
    /// claims every class its ops and profiles cover.
    pub classes: Option<BTreeSet<String>>,
}

impl Hello {
    /// Parses and checks a `hello` answer.
    ///
    /// # Errors
    ///
    /// [`AdapterError`] if it is not a `hello` of this contract, or claims a
    /// class that does not exist.
    pub fn parse(v: &Value) -> Result<Hello, AdapterError> {
        if v.get("type").and_then(Value::as_str) != Some("hello") {
            return Err(AdapterError::NotHello(truncate(&v.to_string())));
        }
        let contract = v.get("contract").and_then(Value::as_str).unwrap_or_default();
        if contract != CONTRACT {
            return Err(AdapterError::Contract(contract.to_owned()));
        }
        let set = |k: &str| -> BTreeSet<String> {
            v.get(k)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let declined = v
            .get("declined")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, r)| (k.clone(), r.as_str().unwrap_or_default().to_owned())).collect())
            .unwrap_or_default();
        let classes = match v.get("classes") {
            None | Some(Value::Null) => None,
            Some(_) => {
                let names = set("classes");
                if let Some(unknown) = names.iter().find(|n| crate::classes::Class::named(n).is_none()) {
                    return Err(AdapterError::UnknownClass(unknown.clone()));
                }
                Some(names)
            }
        };
        Ok(Hello { raw: v.clone(), ops: set("ops"), profiles: set("profiles"), declined, classes })
    }

    /// `Some(reason)` if the adapter does not claim `op` or `profile` (the
    /// profile a case's id names, if any).
    pub fn declines(&self, op: Op, profile: Option<Profile>) -> Option<String> {
        let reason = |key: &str, what: &str| {
            let why = self.declined.get(key).cloned().unwrap_or_else(|| "not claimed".to_owned());
            format!("{what} {key}: {why}")
        };
        if !self.ops.contains(op.name()) {
            return Some(reason(op.name(), "op"));
        }
        match profile {
            Some(p) if !self.profiles.contains(p.name()) => Some(reason(p.name(), "profile")),
            _ => None,
        }
    }

    /// The `hello` request.
    pub fn request(seq: u64) -> Value {
        json!({ "type": "hello", "seq": seq, "contract": CONTRACT, "spec": paycode::SPEC_VERSION })
    }
}

/// An implementation under test.
pub trait Adapter {
    /// Starts the implementation and returns its `hello`.
    ///
    /// # Errors
    ///
    /// [`AdapterError`] if it cannot be started or its `hello` is wrong.
    fn start(&mut self) -> Result<Hello, AdapterError>;
    /// Starts it again after a CRASH or HANG.
    ///
    /// # Errors
    ///
    /// As [`Adapter::start`].
    fn restart(&mut self) -> Result<(), AdapterError>;
    /// Runs one stateless case.
    ///
    /// # Errors
    ///
    /// [`AdapterError`] on a protocol violation.
    fn case(&mut self, id: &str, op: &str, input: &Value) -> Result<Reply, AdapterError>;
    /// Starts a scenario.
    ///
    /// # Errors
    ///
    /// [`AdapterError`] on a protocol violation.
    fn reset(&mut self, id: &str, verifier: &Value, state: &Value) -> Result<Reply, AdapterError>;
    /// Runs one scenario step.
    ///
    /// # Errors
    ///
    /// [`AdapterError`] on a protocol violation.
    fn step(&mut self, id: &str, index: usize, step: &Value) -> Result<Reply, AdapterError>;
    /// Ends the implementation.
    fn stop(&mut self);
    /// How the report names it.
    fn describe(&self) -> String;
    /// What it wrote on standard error.
    fn stderr(&self) -> String;
}

/// An adapter program speaking JSON lines over stdin and stdout.
pub struct StdioAdapter {
    command: String,
    timeout: Duration,
    running: Option<Running>,
    seq: u64,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
}

struct Running {
    child: Child,
    /// Requests for the writer thread, which writes them to the adapter's
    /// standard input: an adapter that does not read its input blocks that
    /// thread, not the runner.
    requests: Sender<Vec<u8>>,
    /// Whether each request was written whole, in order.
    written: Receiver<bool>,
    lines: Receiver<Result<String, AdapterError>>,
}

impl StdioAdapter {
    /// The adapter run as `sh -c command`, each answer awaited at most `timeout`.
    pub fn new(command: &str, timeout: Duration) -> StdioAdapter {
        StdioAdapter {
            command: command.to_owned(),
            timeout,
            running: None,
            seq: 0,
            stderr: Arc::new(Mutex::new(String::new())),
            stderr_reader: None,
        }
    }

    fn spawn(&mut self) -> Result<Hello, AdapterError> {
        self.kill();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A process group of its own, so that killing it reaches the
        // processes the shell starts too ([`kill_group`]).
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .map_err(|source| AdapterError::Start { command: self.command.clone(), source })?;
        let (stdin, stdout, stderr) = match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
            (Some(i), Some(o), Some(e)) => (i, o, e),
            _ => return Err(AdapterError::Pipes),
        };
        let (requests, to_write) = channel::<Vec<u8>>();
        let (done, written) = channel();
        std::thread::spawn(move || {
            let mut stdin = stdin;
            for bytes in to_write {
                let ok = stdin.write_all(&bytes).and_then(|()| stdin.flush()).is_ok();
                if done.send(ok).is_err() || !ok {
                    break;
                }
            }
        });
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut line) {
                    Ok(0) => break,
                    Ok(_) if !line.ends_with(b"\n") && line.len() as u64 >= MAX_LINE => {
                        let _ = tx.send(Err(AdapterError::LineTooLong));
                        break;
                    }
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r']).to_owned();
                        if tx.send(Ok(text)).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let sink = Arc::clone(&self.stderr);
        self.stderr_reader = Some(std::thread::spawn(move || {
            let mut err = stderr;
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let (Ok(mut s), Some(chunk)) = (sink.lock(), buf.get(..n))
                    && s.len() < MAX_STDERR
                {
                    s.push_str(&String::from_utf8_lossy(chunk));
                }
            }
        }));
        self.running = Some(Running { child, requests, written, lines: rx });
        self.seq = 0;
        let seq = self.next_seq();
        match self.exchange(Hello::request(seq))? {
            Answer::Line(v) => Hello::parse(&v),
            Answer::Crash(status) => {
                Err(AdapterError::ExitedBeforeHello { status, stderr: self.stderr_tail() })
            }
            Answer::Hang => Err(AdapterError::HelloTimeout),
        }
    }

    /// The last [`STDERR_TAIL`] bytes of standard error, once the adapter
    /// has closed it (or after a second, if something it started keeps it open).
    fn stderr_tail(&mut self) -> String {
        if let Some(reader) = self.stderr_reader.take() {
            for _ in 0..100 {
                if reader.is_finished() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let all = self.stderr();
        let mut start = all.len().saturating_sub(STDERR_TAIL);
        while !all.is_char_boundary(start) {
            start += 1;
        }
        all.get(start..).unwrap_or_default().to_owned()
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Sends one request and waits for its line. Writing the request and
    /// reading its answer take at most the timeout together: an adapter that
    /// does not read a request larger than the pipe's buffer hangs as one
    /// that does not answer.
    fn exchange(&mut self, request: Value) -> Result<Answer, AdapterError> {
        let seq = request.get("seq").and_then(Value::as_u64);
        let Some(run) = self.running.as_mut() else {
            return Ok(Answer::Crash("adapter not running".into()));
        };
        let deadline = Instant::now().checked_add(self.timeout);
        let mut line = request.to_string();
        line.push('\n');
        if run.requests.send(line.into_bytes()).is_err() {
            return Ok(Answer::Crash(exit_status(&mut run.child)));
        }
        match run.written.recv_timeout(self.timeout) {
            Ok(true) => {}
            Ok(false) | Err(RecvTimeoutError::Disconnected) => {
                return Ok(Answer::Crash(exit_status(&mut run.child)));
            }
            Err(RecvTimeoutError::Timeout) => return Ok(Answer::Hang),
        }
        let left = deadline.map_or(self.timeout, |d| d.saturating_duration_since(Instant::now()));
        match run.lines.recv_timeout(left) {
            Ok(Ok(text)) => {
                let v: Value =
                    serde_json::from_str(&text).map_err(|_| AdapterError::NotJson(truncate(&text)))?;
                if !v.is_object() {
                    return Err(AdapterError::NotObject(truncate(&text)));
                }
                if v.get("seq").and_then(Value::as_u64) != seq {
                    return Err(AdapterError::Sequence {
                        request: seq.unwrap_or_default(),
                        answer: v.get("seq").map_or_else(|| "none".to_owned(), Value::to_string),
                    });
                }
                Ok(Answer::Line(v))
            }
            Ok(Err(e)) => Err(e),
            Err(RecvTimeoutError::Timeout) => Ok(Answer::Hang),
            Err(RecvTimeoutError::Disconnected) => Ok(Answer::Crash(exit_status(&mut run.child))),
        }
    }

    fn request(&mut self, mut body: Value) -> Result<Reply, AdapterError> {
        let seq = self.next_seq();
        if let Some(m) = body.as_object_mut() {
            m.insert("seq".into(), json!(seq));
        }
        Ok(match self.exchange(body)? {
            Answer::Line(v) => match (v.get("output"), v.get("error")) {
                (Some(o), None) => Reply::Output(o.clone()),
                (None, Some(e)) => Reply::Error(e.as_str().map_or_else(|| e.to_string(), str::to_owned)),
                _ => return Err(AdapterError::NoOutput(truncate(&v.to_string()))),
            },
            Answer::Crash(e) => Reply::Crash(e),
            Answer::Hang => Reply::Hang,
        })
    }

    fn kill(&mut self) {
        if let Some(mut run) = self.running.take() {
            kill_group(&mut run.child);
        }
    }
}

enum Answer {
    Line(Value),
    Crash(String),
    Hang,
}

impl Adapter for StdioAdapter {
    fn start(&mut self) -> Result<Hello, AdapterError> {
        self.spawn()
    }

    fn restart(&mut self) -> Result<(), AdapterError> {
        self.spawn().map(|_| ())
    }

    fn case(&mut self, id: &str, op: &str, input: &Value) -> Result<Reply, AdapterError> {
        self.request(json!({ "type": "case", "id": id, "op": op, "input": input }))
    }

    fn reset(&mut self, id: &str, verifier: &Value, state: &Value) -> Result<Reply, AdapterError> {
        self.request(json!({ "type": "reset", "id": id, "verifier": verifier, "state": state }))
    }

    fn step(&mut self, id: &str, index: usize, step: &Value) -> Result<Reply, AdapterError> {
        self.request(json!({ "type": "step", "id": id, "index": index, "step": step }))
    }

    fn stop(&mut self) {
        if let Some(run) = self.running.as_mut() {
            // Not waited on: an adapter that does not read it is killed below.
            let _ = run.requests.send(b"{\"type\":\"stop\"}\n".to_vec());
            // Give it a moment to exit by itself, then make sure.
            for _ in 0..50 {
                if matches!(run.child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        self.kill();
    }

    fn describe(&self) -> String {
        self.command.clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for StdioAdapter {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Kills `child`, spawned as the leader of its own process group, with
/// every process of its group: the adapter command's shell may have forked
/// the program rather than replaced itself with it, and that program may have
/// started others. The group is killed with the `kill` command (no signal is
/// sent from this process's own code), and then the child itself, should
/// that command be missing; then the child is waited for.
pub(crate) fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        // The group outlives its leader while any member is alive, and its id
        // is not reused meanwhile; a group with no process left is ESRCH.
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .arg(format!("-{}", child.id()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn exit_status(child: &mut Child) -> String {
    // Its output is closed: it has exited or is about to; a busy machine may take a while.
    for _ in 0..100 {
        if let Ok(Some(status)) = child.try_wait() {
            return format!("adapter exited ({status})");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    "adapter closed its output".to_owned()
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s.to_owned()
    }
}
