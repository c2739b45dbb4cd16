//! The checker: loads vector files with the format's types, checks their
//! invariants, and runs the reference implementation over every case.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::format::{Case, FORMAT, Op, Outcome, TRACE_FORMAT, TraceFile, VectorFile};
use super::{REQUIREMENT_IDS, VResult, VectorError, run};
use paycode::Error;

/// Fewest cases a complete suite has.
pub const MIN_CASES: usize = 300;
/// The file of requirements that vectors cannot test.
pub const TRACE_FILE: &str = "traceability.json";
/// The JSON Schema of the files.
pub const SCHEMA_FILE: &str = "schema.json";

/// Wallet error codes that generation cases may expect.
const WALLET_ERRORS: [&str; 3] = ["time-before-epoch", "counter-exhausted", "numeric-unavailable"];

/// What a check found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Vector files read.
    pub files: usize,
    /// Cases run.
    pub cases: usize,
    /// Cases per op.
    pub ops: BTreeMap<Op, usize>,
    /// Spec error codes expected by some verify case or scenario step.
    pub errors: BTreeSet<String>,
    /// Case ids per requirement id.
    pub requirements: BTreeMap<String, Vec<String>>,
}

/// Reads one vector file.
///
/// # Errors
///
/// The file cannot be read or does not have the format's types.
pub fn load(path: &Path) -> VResult<VectorFile> {
    let text = std::fs::read_to_string(path)?;
    let file: VectorFile = serde_json::from_str(&text).map_err(|e| VectorError::new(e.to_string()))?;
    for case in &file.cases {
        run::validate(case.op, &case.expected, case.intermediates.as_ref())
            .map_err(|e| e.context(&case.id))?;
    }
    Ok(file)
}

/// Reads `traceability.json`.
///
/// # Errors
///
/// The file cannot be read or does not have the format's types.
pub fn load_trace(path: &Path) -> VResult<TraceFile> {
    let text = std::fs::read_to_string(path)?;
    let file: TraceFile = serde_json::from_str(&text).map_err(|e| VectorError::new(e.to_string()))?;
    if file.format != TRACE_FORMAT || file.spec_version != paycode::SPEC_VERSION {
        return Err(VectorError::new("not a paycode v1 traceability file"));
    }
    Ok(file)
}

/// The vector files of `dir`: every `*.json` but the schema and the traceability file.
///
/// # Errors
///
/// The folder cannot be read.
pub fn vector_paths(dir: &Path) -> VResult<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.ends_with(".json") && name != SCHEMA_FILE && name != TRACE_FILE {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Checks every vector file in `dir`, runs every case, and checks the suite's
/// completeness: at least [`MIN_CASES`] cases, unique ids, and every spec
/// error code expected somewhere.
///
/// # Errors
///
/// Every problem found, one per line.
pub fn check_dir(dir: &Path) -> VResult<Report> {
    let mut report = Report::default();
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    let paths = vector_paths(dir)?;
    if paths.is_empty() {
        return Err(VectorError::new(format!("no vector files in {}", dir.display())));
    }
    for path in &paths {
        let name = path.display().to_string();
        let file = match load(path) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        problems.extend(
            check_file(&file, stem, &mut report, &mut ids).into_iter().map(|p| format!("{name}: {p}")),
        );
    }
    if let Err(e) = check_schema_lists(&dir.join(SCHEMA_FILE)) {
        problems.push(format!("{SCHEMA_FILE}: {e}"));
    }
    if report.cases < MIN_CASES {
        problems.push(format!("only {} cases; a complete suite has at least {MIN_CASES}", report.cases));
    }
    for e in Error::ALL {
        if !report.errors.contains(e.code()) {
            problems.push(format!("no case expects the error code {}", e.code()));
        }
    }
    if problems.is_empty() { Ok(report) } else { Err(VectorError::new(problems.join("\n"))) }
}

/// Checks one file's invariants and runs its cases; returns the problems.
pub fn check_file(
    file: &VectorFile,
    stem: &str,
    report: &mut Report,
    ids: &mut BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if file.format != FORMAT {
        problems.push(format!("format is {:?}, not {FORMAT:?}", file.format));
    }
    if file.spec_version != paycode::SPEC_VERSION {
        problems.push(format!("spec_version is {:?}", file.spec_version));
    }
    if file.name != stem {
        problems.push(format!("name {:?} does not match the file name", file.name));
    }
    let mut used_flags = BTreeSet::new();
    let retired: BTreeSet<&str> = file.retired.iter().map(|r| r.id.as_str()).collect();
    report.files += 1;
    for case in &file.cases {
        if !ids.insert(case.id.clone()) {
            problems.push(format!("{}: duplicate id", case.id));
        }
        if retired.contains(case.id.as_str()) {
            problems.push(format!("{}: the id is retired", case.id));
        }
        used_flags.extend(case.flags.iter().cloned());
        for flag in &case.flags {
            if !file.notes.contains_key(flag) {
                problems.push(format!("{}: flag {flag} has no note", case.id));
            }
        }
        report.cases += 1;
        *report.ops.entry(case.op).or_default() += 1;
        for r in &case.requirements {
            report.requirements.entry(r.clone()).or_default().push(case.id.clone());
        }
        if let Err(e) = check_case(case, report) {
            problems.push(format!("{}: {e}\n  case: {}", case.id, case_json(case)));
        }
    }
    for flag in file.notes.keys() {
        if !used_flags.contains(flag) {
            problems.push(format!("note {flag} is used by no case"));
        }
    }
    problems
}

/// The whole case as JSON, for failure messages.
pub fn case_json(case: &Case) -> String {
    serde_json::to_string(case).unwrap_or_default()
}

/// Checks one case: its metadata, its error codes, and that the reference
/// gives exactly its `expected` and `intermediates`.
///
/// # Errors
///
/// What differs.
pub fn check_case(case: &Case, report: &mut Report) -> VResult<()> {
    check_metadata(case)?;
    run::validate(case.op, &case.expected, case.intermediates.as_ref())?;
    check_codes(case, report)?;
    let actual = run::run(case.op, &case.input)?;
    if actual.expected != case.expected {
        return Err(VectorError::new(format!(
            "expected {}\n  the reference gives {}",
            case.expected, actual.expected
        )));
    }
    if actual.intermediates != case.intermediates {
        return Err(VectorError::new(format!(
            "intermediates {}\n  the reference gives {}",
            case.intermediates.as_ref().map(Value::to_string).unwrap_or_default(),
            actual.intermediates.as_ref().map(Value::to_string).unwrap_or_default()
        )));
    }
    Ok(())
}

fn check_metadata(case: &Case) -> VResult<()> {
    let id_ok = case.id.split('.').count() >= 3
        && case.id.split('.').all(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if !id_ok {
        return Err(VectorError::new("the id is not namespaced lowercase (a.b.c)"));
    }
    if case.requirements.is_empty() {
        return Err(VectorError::new("no requirement ids"));
    }
    for r in &case.requirements {
        if !REQUIREMENT_IDS.contains(&r.as_str()) {
            return Err(VectorError::new(format!("unknown requirement id {r}")));
        }
    }
    if case.comment.trim().is_empty() || case.flags.is_empty() {
        return Err(VectorError::new("a case needs a comment and at least one flag"));
    }
    Ok(())
}

/// Collects and checks `result` and `error` of a case (or of each scenario step).
fn check_codes(case: &Case, report: &mut Report) -> VResult<()> {
    let outcomes: Vec<&Value> = match case.op {
        Op::Scenario => case
            .expected
            .get("steps")
            .and_then(Value::as_array)
            .map(|s| s.iter().collect())
            .unwrap_or_default(),
        _ => vec![&case.expected],
    };
    for o in outcomes {
        let result: Outcome = serde_json::from_value(o.get("result").cloned().unwrap_or(Value::Null))?;
        if result == Outcome::Acceptable {
            return Err(VectorError::new("acceptable: paycode v1 leaves no verdict to the implementation"));
        }
        let error = o.get("error").and_then(Value::as_str);
        match (result, error) {
            (Outcome::Valid, Some(_)) => return Err(VectorError::new("a valid outcome has no error code")),
            (Outcome::Invalid, Some(code)) => {
                let known = match case.op {
                    Op::HmacGenerate | Op::Ed25519Generate | Op::NumericEncode => {
                        WALLET_ERRORS.contains(&code)
                    }
                    _ => Error::from_code(code).is_some(),
                };
                if !known {
                    return Err(VectorError::new(format!(
                        "error code {code} is not defined for {}",
                        case.op.name()
                    )));
                }
                if matches!(case.op, Op::Verify | Op::Scenario) {
                    report.errors.insert(code.to_owned());
                }
            }
            (Outcome::Invalid, None) if matches!(case.op, Op::Verify) => {
                return Err(VectorError::new("a rejected verification needs its error code"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The schema's closed lists must equal the format's: the ops and the error codes.
/// (The full JSON Schema validation is `scripts/validate-vectors.sh`; here the serde
/// types with `deny_unknown_fields` check the same structure.)
///
/// # Errors
///
/// The schema is missing, unreadable, or its lists differ.
pub fn check_schema_lists(path: &Path) -> VResult<()> {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let list = |pointer: &str| -> Vec<String> {
        schema
            .pointer(pointer)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let ops: Vec<String> = Op::ALL.iter().map(|o| o.name()).collect();
    if list("/$defs/case/properties/op/enum") != ops {
        return Err(VectorError::new(format!("the op list differs from {ops:?}")));
    }
    let codes: Vec<String> = Error::ALL.iter().map(|e| e.code().to_owned()).collect();
    if list("/$defs/verifierError/enum") != codes {
        return Err(VectorError::new(format!("the error codes differ from {codes:?}")));
    }
    Ok(())
}
