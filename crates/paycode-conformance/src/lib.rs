//! The conformance runner: runs the vectors against any implementation
//! through the adapter contract of `conformance/README.md`, and reports.
//!
//! The runner never shows an adapter an expected result. It compares each
//! output with the vector itself and tells a wrong verdict (`FAIL`) from a
//! right verdict for the wrong reason (`WRONG-REASON`). The suite is loaded
//! by the vectors crate's one loader ([`Suite`]); the committed `vectors/`
//! are built into the runner ([`embedded`]). Each run says which
//! conformance [`classes`] the implementation meets: a class only when every
//! case it requires passes. Every command's exit status is an [`ExitStatus`].

pub mod adapter;
pub mod builtin;
pub mod classes;
pub mod embedded;
mod exit;
pub mod kill;
pub mod report;

use std::collections::BTreeMap;
use std::time::Instant;

use classes::{CLASSES, Class, ClassResult, ClassStatus};
use paycode_vectors::format::{Case, Op};
use paycode_vectors::suite::SuiteFile;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use adapter::{Adapter, AdapterError, Hello, Reply};
pub use exit::ExitStatus;
pub use paycode_vectors::suite::Suite;

/// The adapter contract this runner speaks.
pub const CONTRACT: &str = "paycode-adapter/1";
/// The runner's name and version, as reports give them.
pub const RUNNER: &str = concat!("paycode-conformance ", env!("CARGO_PKG_VERSION"));
/// After this many CRASH or HANG verdicts in a row the run stops: the adapter is broken.
pub const MAX_CONSECUTIVE_FAILURES: usize = 3;

/// The verdict on one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Verdict {
    /// The output matches every expected field.
    #[serde(rename = "PASS")]
    Pass,
    /// Wrong verdict or wrong value.
    #[serde(rename = "FAIL")]
    Fail,
    /// Rejected as expected, with another error code.
    #[serde(rename = "WRONG-REASON")]
    WrongReason,
    /// Not among the adapter's capabilities.
    #[serde(rename = "SKIP")]
    Skip,
    /// The adapter answered with an error.
    #[serde(rename = "ERROR")]
    Error,
    /// The adapter exited.
    #[serde(rename = "CRASH")]
    Crash,
    /// The adapter did not answer in time.
    #[serde(rename = "HANG")]
    Hang,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 7] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::WrongReason,
        Verdict::Skip,
        Verdict::Error,
        Verdict::Crash,
        Verdict::Hang,
    ];

    /// The verdict's name, `PASS`, `WRONG-REASON`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::WrongReason => "WRONG-REASON",
            Verdict::Skip => "SKIP",
            Verdict::Error => "ERROR",
            Verdict::Crash => "CRASH",
            Verdict::Hang => "HANG",
        }
    }

    /// Whether the verdict breaks conformance.
    pub const fn is_failure(self) -> bool {
        !matches!(self, Verdict::Pass | Verdict::Skip)
    }
}

/// What happened to one case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// Vector file.
    pub file: String,
    /// Op.
    pub op: String,
    /// Requirement ids.
    pub requirements: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, for anything but PASS: the first differing field, the skip reason, the error.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// For scenarios: the index of the step the verdict is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// The case's input (kept for cases that did not pass).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub input: Value,
    /// The expected output (of the step, for scenarios).
    pub expected: Value,
    /// The adapter's output (of the step, for scenarios), or null.
    pub actual: Value,
}

/// Which cases to run.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Run only ids matching one of these globs (`*` any run of characters); empty: all.
    pub include: Vec<String>,
    /// Skip ids matching one of these globs.
    pub exclude: Vec<String>,
    /// Stop at the first case that does not pass.
    pub fail_fast: bool,
}

impl Selection {
    fn wants(&self, id: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|g| glob(g, id)))
            && !self.exclude.iter().any(|g| glob(g, id))
    }
}

/// A finished run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    /// Runner name and version.
    pub runner: String,
    /// Contract version.
    pub contract: String,
    /// Spec version of the suite.
    pub spec: String,
    /// Suite hash.
    pub suite_hash: String,
    /// The adapter's command (or `builtin`).
    pub adapter: String,
    /// The adapter's `hello` answer.
    pub implementation: Value,
    /// Milliseconds the run took.
    pub duration_ms: u128,
    /// Count per verdict name.
    pub totals: BTreeMap<String, usize>,
    /// Adapter failure that ended the run early, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<String>,
    /// Why the adapter did not start (its `hello` failed), if it did not;
    /// the run then has no cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_to_start: Option<String>,
    /// What the adapter wrote on standard error (truncated).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Per conformance class with cases in the suite, in [`CLASSES`] order.
    #[serde(default)]
    pub classes: Vec<ClassResult>,
    /// Per case.
    pub cases: Vec<CaseResult>,
}

impl Run {
    /// The report of a run whose adapter failed its `hello`: no cases, and
    /// what the adapter wrote on standard error.
    pub fn failed_to_start(suite: &Suite, adapter: &dyn Adapter, error: &AdapterError) -> Run {
        Run {
            runner: RUNNER.to_owned(),
            contract: CONTRACT.to_owned(),
            spec: suite.spec_version().to_owned(),
            suite_hash: suite.hash().to_owned(),
            adapter: adapter.describe(),
            implementation: Value::Null,
            duration_ms: 0,
            totals: Verdict::ALL.iter().map(|v| (v.name().to_owned(), 0)).collect(),
            aborted: None,
            failed_to_start: Some(error.to_string()),
            stderr: adapter.stderr(),
            classes: Vec::new(),
            cases: Vec::new(),
        }
    }

    /// The run's exit status: [`ExitStatus::AdapterError`] if the adapter
    /// failed to start, the run was aborted or a case is CRASH or HANG;
    /// [`ExitStatus::Fail`] if another case is FAIL, WRONG-REASON or ERROR,
    /// or a claimed class failed; [`ExitStatus::NoClass`] if the
    /// implementation meets no class; [`ExitStatus::Pass`] (conformant)
    /// otherwise.
    pub fn status(&self) -> ExitStatus {
        let broken = self.failed_to_start.is_some()
            || self.aborted.is_some()
            || self.cases.iter().any(|c| matches!(c.verdict, Verdict::Crash | Verdict::Hang));
        if broken {
            ExitStatus::AdapterError
        } else if self.cases.iter().any(|c| c.verdict.is_failure())
            || self.classes.iter().any(|c| c.status == ClassStatus::Failed)
        {
            ExitStatus::Fail
        } else if self.met().next().is_none() {
            ExitStatus::NoClass
        } else {
            ExitStatus::Pass
        }
    }

    /// The run's outcome in words, as reports give it.
    pub fn outcome(&self) -> &'static str {
        match self.status() {
            ExitStatus::Pass => "conformant",
            ExitStatus::Fail => "NOT conformant",
            ExitStatus::NoClass => "NOT conformant: meets no conformance class",
            _ if self.failed_to_start.is_some() => "adapter failed to start",
            _ => "adapter error",
        }
    }

    /// The names of the classes the implementation conforms to.
    pub fn met(&self) -> impl Iterator<Item = &str> {
        self.with_status(ClassStatus::Met)
    }

    /// The names of the classes with `status`.
    pub fn with_status(&self, status: ClassStatus) -> impl Iterator<Item = &str> {
        self.classes.iter().filter(move |c| c.status == status).map(|c| c.class.as_str())
    }
}

/// Runs the selected cases of `suite` against `adapter`; `progress` is
/// called after each case with (done, total, the result).
///
/// A case runs when the adapter claims its op and profile and, if its
/// `hello` lists classes, a claimed class requires it; otherwise it is SKIP.
/// The run judges every class with cases in the suite ([`Run::classes`]).
///
/// # Errors
///
/// [`AdapterError`] when the adapter fails its `hello` (see
/// [`Run::failed_to_start`] for its report); later adapter errors end the
/// run early and are recorded in [`Run::aborted`].
pub fn run(
    suite: &Suite,
    adapter: &mut dyn Adapter,
    select: &Selection,
    mut progress: impl FnMut(usize, usize, &CaseResult),
) -> Result<Run, AdapterError> {
    let started = Instant::now();
    let hello = adapter.start()?;
    let chosen: Vec<(&SuiteFile, &Case)> = suite.cases().filter(|(_, c)| select.wants(&c.id)).collect();
    let mut results = Vec::with_capacity(chosen.len());
    let mut aborted = None;
    let mut consecutive = 0usize;
    for (i, &(file, case)) in chosen.iter().enumerate() {
        let case = CaseInFile { file: &file.name, case };
        let skip = hello.declines(case.case.op, case.case.profile()).or_else(|| outside(&hello, case.case));
        let result = match skip {
            Some(reason) => result(case, Verdict::Skip, reason, None, Value::Null, Value::Null),
            None => match run_case(adapter, case) {
                Ok(r) => r,
                Err(e) => {
                    aborted = Some(e.to_string());
                    break;
                }
            },
        };
        consecutive =
            if matches!(result.verdict, Verdict::Crash | Verdict::Hang) { consecutive + 1 } else { 0 };
        progress(i + 1, chosen.len(), &result);
        let stop = select.fail_fast && result.verdict.is_failure();
        results.push(result);
        if consecutive >= MAX_CONSECUTIVE_FAILURES {
            aborted = Some(AdapterError::Broken { consecutive }.to_string());
            break;
        }
        if stop {
            break;
        }
        if consecutive > 0
            && let Err(e) = adapter.restart()
        {
            aborted = Some(AdapterError::Restart(Box::new(e)).to_string());
            break;
        }
    }
    adapter.stop();
    let mut totals: BTreeMap<String, usize> = Verdict::ALL.iter().map(|v| (v.name().to_owned(), 0)).collect();
    for r in &results {
        *totals.entry(r.verdict.name().to_owned()).or_default() += 1;
    }
    let classes = judge_classes(suite, &hello, &results);
    Ok(Run {
        runner: RUNNER.to_owned(),
        contract: CONTRACT.to_owned(),
        spec: suite.spec_version().to_owned(),
        suite_hash: suite.hash().to_owned(),
        adapter: adapter.describe(),
        implementation: hello.raw.clone(),
        duration_ms: started.elapsed().as_millis(),
        totals,
        aborted,
        failed_to_start: None,
        stderr: adapter.stderr(),
        classes,
        cases: results,
    })
}

/// Why a case is skipped although its op and profile are claimed: the
/// `hello` lists classes, and none of them requires the case.
fn outside(hello: &Hello, case: &Case) -> Option<String> {
    let claimed = hello.classes.as_ref()?;
    if classes::of(case).any(|c| claimed.contains(c.name)) {
        return None;
    }
    let names: Vec<&str> = classes::of(case).map(|c| c.name).collect();
    Some(format!("in no claimed class (it is in: {})", names.join(", ")))
}

/// Each class with cases in `suite`: claimed (as the `hello` lists, or
/// every class whose cases its ops and profiles cover), and met only when
/// every case it requires passed (spec: R-CONF-1, R-CONF-2).
fn judge_classes(suite: &Suite, hello: &Hello, results: &[CaseResult]) -> Vec<ClassResult> {
    let verdicts: BTreeMap<&str, Verdict> = results.iter().map(|r| (r.id.as_str(), r.verdict)).collect();
    let claims = |class: &Class, required: &[&Case]| match &hello.classes {
        Some(names) => names.contains(class.name),
        None => required.iter().all(|c| hello.declines(c.op, c.profile()).is_none()),
    };
    let mut out = Vec::new();
    for class in &CLASSES {
        let required: Vec<&Case> = suite.cases().map(|(_, c)| c).filter(|c| class.requires(c)).collect();
        if required.is_empty() {
            continue;
        }
        let mut result = ClassResult {
            class: class.name.to_owned(),
            status: ClassStatus::NotClaimed,
            cases: required.len(),
            passed: 0,
            failing: Vec::new(),
            not_run: 0,
        };
        for case in &required {
            match verdicts.get(case.id.as_str()) {
                Some(Verdict::Pass) => result.passed += 1,
                Some(_) => result.failing.push(case.id.clone()),
                None => result.not_run += 1,
            }
        }
        result.status = if !claims(class, &required) {
            // What an unclaimed class would lack is no finding: keep the report short.
            result.failing.clear();
            ClassStatus::NotClaimed
        } else if !result.failing.is_empty() {
            ClassStatus::Failed
        } else if result.not_run > 0 {
            ClassStatus::Incomplete
        } else {
            ClassStatus::Met
        };
        out.push(result);
    }
    out
}

/// A case of the suite, with the name of its file.
#[derive(Clone, Copy)]
struct CaseInFile<'a> {
    file: &'a str,
    case: &'a Case,
}

fn run_case(adapter: &mut dyn Adapter, entry: CaseInFile<'_>) -> Result<CaseResult, AdapterError> {
    let case = entry.case;
    if case.op != Op::Scenario {
        let reply = adapter.case(&case.id, case.op.name(), &case.input)?;
        return Ok(judge(entry, &case.expected, reply, None));
    }
    let steps = case.input.get("steps").and_then(Value::as_array).cloned().unwrap_or_default();
    let expected = case.expected.get("steps").and_then(Value::as_array).cloned().unwrap_or_default();
    let verifier = case.input.get("verifier").cloned().unwrap_or(Value::Null);
    let state = case.input.get("state").cloned().unwrap_or(Value::Null);
    let reset = adapter.reset(&case.id, &verifier, &state)?;
    let reset_expected = json!({ "result": "valid" });
    let r = judge(entry, &reset_expected, reset, None);
    if r.verdict != Verdict::Pass {
        return Ok(CaseResult { detail: format!("reset: {}", r.detail), ..r });
    }
    for (i, (step, exp)) in steps.iter().zip(&expected).enumerate() {
        let reply = adapter.step(&case.id, i, step)?;
        let r = judge(entry, exp, reply, Some(i));
        if r.verdict != Verdict::Pass {
            return Ok(r);
        }
    }
    if steps.len() != expected.len() {
        return Ok(result(
            entry,
            Verdict::Fail,
            "vector has unequal steps".into(),
            None,
            case.expected.clone(),
            Value::Null,
        ));
    }
    Ok(result(entry, Verdict::Pass, String::new(), None, case.expected.clone(), Value::Null))
}

/// Compares a reply with the expected output.
fn judge(case: CaseInFile<'_>, expected: &Value, reply: Reply, step: Option<usize>) -> CaseResult {
    let output = match reply {
        Reply::Output(v) => v,
        Reply::Error(e) => return result(case, Verdict::Error, e, step, expected.clone(), Value::Null),
        Reply::Crash(e) => return result(case, Verdict::Crash, e, step, expected.clone(), Value::Null),
        Reply::Hang => {
            return result(
                case,
                Verdict::Hang,
                "no answer in time".into(),
                step,
                expected.clone(),
                Value::Null,
            );
        }
    };
    let (verdict, detail) = compare(expected, &output);
    result(case, verdict, detail, step, expected.clone(), output)
}

/// The verdict on `output` against `expected`, and the first difference.
pub fn compare(expected: &Value, output: &Value) -> (Verdict, String) {
    let (Some(exp), Some(out)) = (expected.as_object(), output.as_object()) else {
        return (Verdict::Fail, "output is not an object".into());
    };
    let exp_result = exp.get("result");
    if exp_result != out.get("result") {
        return (
            Verdict::Fail,
            format!("result: expected {}, got {}", show(exp_result), show(out.get("result"))),
        );
    }
    if exp_result.and_then(Value::as_str) == Some("invalid") && exp.get("error") != out.get("error") {
        return (
            Verdict::WrongReason,
            format!("error: expected {}, got {}", show(exp.get("error")), show(out.get("error"))),
        );
    }
    for (k, v) in exp {
        if out.get(k) != Some(v) {
            return (Verdict::Fail, format!("{k}: expected {}, got {}", show(Some(v)), show(out.get(k))));
        }
    }
    (Verdict::Pass, String::new())
}

fn show(v: Option<&Value>) -> String {
    let s = v.map_or_else(|| "nothing".to_owned(), Value::to_string);
    if s.chars().count() > 120 { format!("{}…", s.chars().take(120).collect::<String>()) } else { s }
}

fn result(
    entry: CaseInFile<'_>,
    verdict: Verdict,
    detail: String,
    step: Option<usize>,
    expected: Value,
    actual: Value,
) -> CaseResult {
    let case = entry.case;
    CaseResult {
        id: case.id.clone(),
        file: entry.file.to_owned(),
        op: case.op.name().to_owned(),
        requirements: case.requirements.clone(),
        verdict,
        detail,
        step,
        input: if verdict == Verdict::Pass { Value::Null } else { case.input.clone() },
        expected,
        actual,
    }
}

/// `*` matches any run of characters, everything else itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic two-pointer match with backtracking to the last star.
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None, 0usize);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("hmac.*", "hmac.verify.x"));
        assert!(glob("*replay*", "ed25519.scenario.replay-basic"));
        assert!(!glob("hmac.*", "ed25519.verify"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }

    #[test]
    fn verdicts_tell_wrong_reason_from_fail() {
        let exp = json!({"result": "invalid", "error": "replayed", "state_after": {"t_hw": 5}});
        assert_eq!(compare(&exp, &exp.clone()).0, Verdict::Pass);
        let wrong = json!({"result": "invalid", "error": "too-old", "state_after": {"t_hw": 5}});
        assert_eq!(compare(&exp, &wrong).0, Verdict::WrongReason);
        let accepted = json!({"result": "valid"});
        assert_eq!(compare(&exp, &accepted).0, Verdict::Fail);
        let state = json!({"result": "invalid", "error": "replayed", "state_after": {"t_hw": 6}});
        let (v, d) = compare(&exp, &state);
        assert_eq!(v, Verdict::Fail);
        assert!(d.starts_with("state_after"), "{d}");
        let extra = json!({"result": "invalid", "error": "replayed", "state_after": {"t_hw": 5}, "x": 1});
        assert_eq!(compare(&exp, &extra).0, Verdict::Pass);
        assert_eq!(compare(&exp, &json!("x")).0, Verdict::Fail);
    }
}
