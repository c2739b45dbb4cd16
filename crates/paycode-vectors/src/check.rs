//! The checker: loads vector files through [`crate::suite`], checks their
//! invariants, runs the reference over every case, and checks the suite's
//! completeness. Every problem is reported with its file and case, and a
//! case's problem with the whole case.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::path::Path;

use paycode::Error;
use serde_json::Value;

use crate::errors::{CaseError, VectorError};
use crate::format::{Case, ErrorCode, Op, Outcome, VectorFile, Verdict};
use crate::reference;
use crate::requirements::RequirementIndex;
use crate::suite::{self, SCHEMA_FILE};

/// Fewest cases a complete suite has.
pub const MIN_CASES: usize = 300;

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
    pub errors: HashSet<Error>,
    /// Case ids per requirement id.
    pub requirements: BTreeMap<String, Vec<String>>,
}

/// One problem the checker found.
#[non_exhaustive]
#[derive(Debug)]
pub enum Problem {
    /// A file that does not load.
    Load(VectorError),
    /// A case id used twice.
    DuplicateId {
        /// The file of the second use.
        file: String,
        /// The id.
        id: String,
    },
    /// A case that uses a retired id.
    RetiredId {
        /// The file.
        file: String,
        /// The id.
        id: String,
    },
    /// A note on a flag no case of the file uses.
    UnusedNote {
        /// The file.
        file: String,
        /// The flag.
        flag: String,
    },
    /// A case that does not hold.
    Case {
        /// The file.
        file: String,
        /// The case id.
        id: String,
        /// What is wrong.
        error: CaseError,
        /// The whole case as JSON.
        case: String,
    },
    /// Fewer cases than a complete suite has.
    TooFewCases {
        /// The cases found.
        found: usize,
        /// [`MIN_CASES`].
        minimum: usize,
    },
    /// A spec error code that no verify case or scenario step expects.
    CodeNeverExpected(Error),
    /// The schema's closed lists differ from the format's, or the schema
    /// cannot be read.
    Schema(SchemaProblem),
}

/// How the schema's closed lists differ from the format's.
#[non_exhaustive]
#[derive(Debug)]
pub enum SchemaProblem {
    /// The schema cannot be read.
    Unreadable(VectorError),
    /// The op list differs from [`Op::ALL`].
    Ops(Vec<String>),
    /// The verifier error codes differ from [`Error::ALL`].
    ErrorCodes(Vec<String>),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Load(e) => write!(f, "{e}"),
            Problem::DuplicateId { file, id } => write!(f, "{file}: {id}: duplicate id"),
            Problem::RetiredId { file, id } => write!(f, "{file}: {id}: the id is retired"),
            Problem::UnusedNote { file, flag } => write!(f, "{file}: note {flag} is used by no case"),
            Problem::Case { file, id, error, case } => write!(f, "{file}: {id}: {error}\n  case: {case}"),
            Problem::TooFewCases { found, minimum } => {
                write!(f, "only {found} cases; a complete suite has at least {minimum}")
            }
            Problem::CodeNeverExpected(e) => write!(f, "no case expects the error code {}", e.code()),
            Problem::Schema(SchemaProblem::Unreadable(e)) => write!(f, "{SCHEMA_FILE}: {e}"),
            Problem::Schema(SchemaProblem::Ops(found)) => {
                write!(f, "{SCHEMA_FILE}: the op list {found:?} differs from the format's")
            }
            Problem::Schema(SchemaProblem::ErrorCodes(found)) => {
                write!(f, "{SCHEMA_FILE}: the error codes {found:?} differ from the library's")
            }
        }
    }
}

/// Checks every vector file in `dir` and its schema's closed lists, runs
/// every case, and checks the suite's completeness: at least [`MIN_CASES`]
/// cases, unique ids, every requirement id in the spec's index, and every
/// spec error code expected somewhere.
///
/// # Errors
///
/// [`VectorError::Check`] with every problem found; [`VectorError::Spec`] if
/// the built-in spec's index cannot be read; [`VectorError::Read`] if the
/// folder cannot be.
pub fn check_dir(dir: &Path) -> Result<Report, VectorError> {
    let index = RequirementIndex::built_in()?;
    let mut checker = Checker::new(&index);
    let paths = suite::vector_paths(dir)?;
    if paths.is_empty() {
        return Err(VectorError::NoVectorFiles { dir: dir.to_owned() });
    }
    for path in paths {
        let name = suite::file_name(&path);
        match suite::read(&path).and_then(|text| suite::load_file(&name, &text)) {
            Ok(file) => checker.file(&name, &file),
            Err(e) => checker.problems.push(Problem::Load(e)),
        }
    }
    if let Err(problem) = check_schema_lists(&dir.join(SCHEMA_FILE)) {
        checker.problems.push(Problem::Schema(problem));
    }
    checker.finish()
}

/// Checks files one by one and collects the problems.
pub struct Checker<'a> {
    index: &'a RequirementIndex,
    report: Report,
    ids: BTreeSet<String>,
    problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    /// A checker that knows the requirement ids of `index`.
    pub fn new(index: &'a RequirementIndex) -> Checker<'a> {
        Checker { index, report: Report::default(), ids: BTreeSet::new(), problems: Vec::new() }
    }

    /// Checks one loaded file named `name` and runs its cases.
    pub fn file(&mut self, name: &str, file: &VectorFile) {
        let retired: BTreeSet<&str> = file.retired.iter().map(|r| r.id.as_str()).collect();
        let mut used_flags = BTreeSet::new();
        self.report.files += 1;
        for case in &file.cases {
            if !self.ids.insert(case.id.clone()) {
                self.problems.push(Problem::DuplicateId { file: name.into(), id: case.id.clone() });
            }
            if retired.contains(case.id.as_str()) {
                self.problems.push(Problem::RetiredId { file: name.into(), id: case.id.clone() });
            }
            used_flags.extend(case.flags.iter().map(String::as_str));
            self.report.cases += 1;
            *self.report.ops.entry(case.op).or_default() += 1;
            for r in &case.requirements {
                self.report.requirements.entry(r.clone()).or_default().push(case.id.clone());
            }
            let result = match case.flags.iter().find(|flag| !file.notes.contains_key(*flag)) {
                Some(flag) => Err(CaseError::UnknownFlag(flag.clone())),
                None => check_case(case, self.index),
            };
            match result {
                Ok(verdicts) if matches!(case.op, Op::Verify | Op::Scenario) => {
                    self.report.errors.extend(verdicts.iter().filter_map(|v| match v.error {
                        Some(ErrorCode::Verdict(e)) => Some(e),
                        _ => None,
                    }));
                }
                Ok(_) => {}
                Err(error) => self.problems.push(Problem::Case {
                    file: name.into(),
                    id: case.id.clone(),
                    error,
                    case: case_json(case),
                }),
            }
        }
        for flag in file.notes.keys().filter(|flag| !used_flags.contains(flag.as_str())) {
            self.problems.push(Problem::UnusedNote { file: name.into(), flag: flag.clone() });
        }
    }

    /// The report, or every problem found, with the suite-wide ones: too few
    /// cases, and error codes no case expects.
    ///
    /// # Errors
    ///
    /// [`VectorError::Check`].
    pub fn finish(mut self) -> Result<Report, VectorError> {
        if self.report.cases < MIN_CASES {
            self.problems.push(Problem::TooFewCases { found: self.report.cases, minimum: MIN_CASES });
        }
        for e in Error::ALL {
            if !self.report.errors.contains(&e) {
                self.problems.push(Problem::CodeNeverExpected(e));
            }
        }
        if self.problems.is_empty() { Ok(self.report) } else { Err(VectorError::Check(self.problems)) }
    }
}

/// The whole case as JSON, for failure messages.
pub fn case_json(case: &Case) -> String {
    serde_json::to_string(case).unwrap_or_default()
}

/// Checks one case: its metadata against the requirement index, its types,
/// its outcomes, and that the reference gives exactly its `expected` and
/// `intermediates`. Returns the verdicts it states.
///
/// # Errors
///
/// The first thing wrong with it.
pub fn check_case(case: &Case, index: &RequirementIndex) -> Result<Vec<Verdict>, CaseError> {
    check_metadata(case, index)?;
    reference::check_input(case.op, &case.input)?;
    let verdicts = reference::check_output(case.op, &case.expected, case.intermediates.as_ref())?;
    for verdict in &verdicts {
        check_verdict(case.op, verdict)?;
    }
    let answer = reference::run(case.op, &case.input)?;
    if answer.expected != case.expected {
        return Err(CaseError::Differs {
            field: "expected",
            stated: Some(case.expected.clone()),
            reference: Some(answer.expected),
        });
    }
    if answer.intermediates != case.intermediates {
        return Err(CaseError::Differs {
            field: "intermediates",
            stated: case.intermediates.clone(),
            reference: answer.intermediates,
        });
    }
    Ok(verdicts)
}

fn check_metadata(case: &Case, index: &RequirementIndex) -> Result<(), CaseError> {
    let id_ok = case.id.split('.').count() >= 3
        && case.id.split('.').all(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if !id_ok {
        return Err(CaseError::Id);
    }
    if case.requirements.is_empty() {
        return Err(CaseError::NoRequirements);
    }
    if let Some(r) = case.requirements.iter().find(|r| !index.contains(r)) {
        return Err(CaseError::UnknownRequirement(r.clone()));
    }
    if case.comment.trim().is_empty() || case.flags.is_empty() {
        return Err(CaseError::NoCommentOrFlag);
    }
    Ok(())
}

fn check_verdict(op: Op, verdict: &Verdict) -> Result<(), CaseError> {
    match (verdict.result, verdict.error) {
        (Outcome::Acceptable, _) => Err(CaseError::Acceptable),
        (Outcome::Valid, Some(_)) => Err(CaseError::ValidWithError),
        (Outcome::Invalid, None) if op == Op::Verify => Err(CaseError::RejectionWithoutCode),
        (Outcome::Invalid, Some(ErrorCode::Wallet(e))) if !e.is_spec_code() => {
            Err(CaseError::CodeNotForOp(e.code()))
        }
        _ => Ok(()),
    }
}

/// The schema's closed lists must equal the format's: the ops and the error
/// codes. (The full JSON Schema validation is `scripts/validate-vectors.sh`;
/// here the serde types with `deny_unknown_fields` check the same structure.)
///
/// # Errors
///
/// The schema is missing, unreadable, or its lists differ.
pub fn check_schema_lists(path: &Path) -> Result<(), SchemaProblem> {
    let text = suite::read(path).map_err(SchemaProblem::Unreadable)?;
    let schema: Value = serde_json::from_str(&text).map_err(|source| {
        SchemaProblem::Unreadable(VectorError::Format { file: suite::file_name(path), source })
    })?;
    let list = |pointer: &str| -> Vec<String> {
        schema
            .pointer(pointer)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let ops = list("/$defs/case/properties/op/enum");
    if ops.iter().map(String::as_str).ne(Op::ALL.iter().map(|op| op.name())) {
        return Err(SchemaProblem::Ops(ops));
    }
    let codes = list("/$defs/verifierError/enum");
    if codes.iter().map(String::as_str).ne(Error::ALL.iter().map(|e| e.code())) {
        return Err(SchemaProblem::ErrorCodes(codes));
    }
    Ok(())
}
