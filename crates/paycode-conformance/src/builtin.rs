//! The reference implementation as an adapter: in process (`--builtin`), and
//! over stdio (`paycode conformance adapter`), both answering from
//! [`paycode_vectors::reference`].

use std::io::{BufRead, Write};

use serde_json::{Value, json};

use super::CONTRACT;
use super::adapter::{Adapter, AdapterError, Hello, Reply};
use super::classes::CLASSES;
use paycode_vectors::InputError;
use paycode_vectors::format::{Op, ScenarioStep, StateBefore, VerifierConfig};
use paycode_vectors::reference::{ScenarioRunner, run};

/// The reference's `hello` answer, for the request with sequence number `seq`.
pub fn hello(seq: u64) -> Value {
    let ops: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
    let classes: Vec<&str> = CLASSES.iter().map(|c| c.name).collect();
    json!({
        "seq": seq, "type": "hello", "contract": CONTRACT,
        "implementation": { "name": "paycode-rs", "version": env!("CARGO_PKG_VERSION"), "language": "Rust" },
        "ops": ops, "profiles": ["hmac", "ed25519"], "classes": classes,
    })
}

/// Why the reference cannot answer a request; an adapter sends it as the
/// text of an `error` response.
#[non_exhaustive]
#[derive(Debug)]
pub enum RequestError {
    /// A request of a `type` the contract does not have (or none).
    UnknownType(Option<String>),
    /// A field of the request does not have its type.
    Field {
        /// The field: `op`, `verifier`, `state` or `step`.
        field: &'static str,
        /// What serde found.
        source: serde_json::Error,
    },
    /// A `step` before any `reset`.
    StepBeforeReset,
    /// The reference cannot run the input (not a verdict: verdicts are outputs).
    Input(InputError),
    /// The output does not serialize (which the vectors' types never do).
    Output(serde_json::Error),
}

impl core::fmt::Display for RequestError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RequestError::UnknownType(kind) => write!(f, "unknown request type {kind:?}"),
            RequestError::Field { field, source } => write!(f, "{field}: {source}"),
            RequestError::StepBeforeReset => f.write_str("step before reset"),
            RequestError::Input(e) => write!(f, "{e}"),
            RequestError::Output(e) => write!(f, "output: {e}"),
        }
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RequestError::Field { source, .. } | RequestError::Output(source) => Some(source),
            RequestError::Input(e) => Some(e),
            RequestError::UnknownType(_) | RequestError::StepBeforeReset => None,
        }
    }
}

/// The reference answering requests: stateless cases, and one scenario at a time.
#[derive(Default)]
pub struct Reference {
    scenario: Option<ScenarioRunner>,
}

impl Reference {
    /// Answers one request message (without its `seq`): `Ok(output)` or `Err(error)`.
    ///
    /// # Errors
    ///
    /// A message the reference cannot process ([`RequestError`]).
    pub fn answer(&mut self, msg: &Value) -> Result<Value, RequestError> {
        fn field<T: serde::de::DeserializeOwned>(
            msg: &Value,
            field: &'static str,
        ) -> Result<T, RequestError> {
            let value = msg.get(field).cloned().unwrap_or(Value::Null);
            serde_json::from_value(value).map_err(|source| RequestError::Field { field, source })
        }
        match msg.get("type").and_then(Value::as_str) {
            Some("case") => {
                let op: Op = field(msg, "op")?;
                let input = msg.get("input").unwrap_or(&Value::Null);
                run(op, input).map(|answer| answer.expected).map_err(RequestError::Input)
            }
            Some("reset") => {
                let config: VerifierConfig = field(msg, "verifier")?;
                let state: StateBefore = field(msg, "state")?;
                self.scenario = Some(ScenarioRunner::new(&config, &state).map_err(RequestError::Input)?);
                Ok(json!({ "result": "valid" }))
            }
            Some("step") => {
                let step: ScenarioStep = field(msg, "step")?;
                let runner = self.scenario.as_mut().ok_or(RequestError::StepBeforeReset)?;
                let expected = runner.step(&step).map_err(RequestError::Input)?;
                serde_json::to_value(expected).map_err(RequestError::Output)
            }
            other => Err(RequestError::UnknownType(other.map(str::to_owned))),
        }
    }
}

/// The in-process adapter: the reference without a process in between.
#[derive(Default)]
pub struct Builtin {
    reference: Reference,
}

impl Builtin {
    fn reply(&mut self, msg: &Value) -> Reply {
        match self.reference.answer(msg) {
            Ok(v) => Reply::Output(v),
            Err(e) => Reply::Error(e.to_string()),
        }
    }
}

impl Adapter for Builtin {
    fn start(&mut self) -> Result<Hello, AdapterError> {
        Hello::parse(&hello(1))
    }

    fn restart(&mut self) -> Result<(), AdapterError> {
        self.reference = Reference::default();
        Ok(())
    }

    fn case(&mut self, id: &str, op: &str, input: &Value) -> Result<Reply, AdapterError> {
        Ok(self.reply(&json!({ "type": "case", "id": id, "op": op, "input": input })))
    }

    fn reset(&mut self, id: &str, verifier: &Value, state: &Value) -> Result<Reply, AdapterError> {
        Ok(self.reply(&json!({ "type": "reset", "id": id, "verifier": verifier, "state": state })))
    }

    fn step(&mut self, id: &str, index: usize, step: &Value) -> Result<Reply, AdapterError> {
        Ok(self.reply(&json!({ "type": "step", "id": id, "index": index, "step": step })))
    }

    fn stop(&mut self) {}

    fn describe(&self) -> String {
        "builtin".to_owned()
    }

    fn stderr(&self) -> String {
        String::new()
    }
}

/// Serves the adapter contract on `input`/`output` until `stop` or end of input.
///
/// # Errors
///
/// I/O errors on the streams.
pub fn serve(input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    let mut reference = Reference::default();
    for line in input.lines() {
        let line = line?;
        let msg: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                // No seq to echo: the runner treats the missing seq as an adapter error.
                writeln!(output, "{}", json!({ "seq": null, "error": format!("not JSON: {e}") }))?;
                output.flush()?;
                continue;
            }
        };
        let seq = msg.get("seq").cloned().unwrap_or(Value::Null);
        let reply = match msg.get("type").and_then(Value::as_str) {
            Some("stop") => return Ok(()),
            Some("hello") => hello(seq.as_u64().unwrap_or_default()),
            _ => match reference.answer(&msg) {
                Ok(out) => json!({ "seq": seq, "output": out }),
                Err(e) => json!({ "seq": seq, "error": e.to_string() }),
            },
        };
        writeln!(output, "{reply}")?;
        output.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_hello_cases_and_stop() {
        let input = concat!(
            "{\"type\":\"hello\",\"seq\":1,\"contract\":\"paycode-adapter/1\"}\n",
            "{\"type\":\"case\",\"seq\":2,\"id\":\"x\",\"op\":\"base45-decode\",\"input\":{\"text\":\"BB8\"}}\n",
            "{\"type\":\"case\",\"seq\":3,\"id\":\"y\",\"op\":\"no-such-op\",\"input\":{}}\n",
            "{\"type\":\"stop\"}\n",
            "{\"type\":\"case\",\"seq\":4}\n",
        );
        let mut out = Vec::new();
        serve(input.as_bytes(), &mut out).unwrap();
        let lines: Vec<Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3, "nothing after stop");
        assert_eq!(lines[0]["contract"], CONTRACT);
        assert_eq!(lines[1], json!({"seq": 2, "output": {"result": "valid", "bytes": "4142"}}));
        assert_eq!(lines[2]["seq"], 3);
        assert!(lines[2]["error"].as_str().unwrap().contains("op"));
    }

    #[test]
    fn requests_it_cannot_answer_say_why() {
        let mut reference = Reference::default();
        let step = json!({"type": "step", "step": {"action": "restart", "mode": "kept", "time": 0}});
        assert!(matches!(reference.answer(&step), Err(RequestError::StepBeforeReset)));
        let teleport = json!({"type": "teleport"});
        assert!(
            matches!(reference.answer(&teleport), Err(RequestError::UnknownType(Some(t))) if t == "teleport")
        );
        let reset = json!({"type": "reset", "verifier": {"params": {}}, "state": {}});
        assert!(matches!(reference.answer(&reset), Err(RequestError::Field { field: "verifier", .. })));
        let bad_hex = json!({"type": "case", "op": "base45-encode", "input": {"bytes": "ABCD"}});
        assert!(matches!(reference.answer(&bad_hex), Err(RequestError::Input(_))));
    }
}
