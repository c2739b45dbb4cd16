//! Requirement traceability: every requirement id of the spec's index maps to
//! vector cases, to named tests, or to a stated reason why it cannot be tested.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::Path;

use crate::errors::VectorError;
use crate::requirements::RequirementIndex;
use crate::suite::{self, Suite, TRACE_FILE};

/// Case ids shown per requirement before the list is abbreviated.
const SHOWN: usize = 6;

/// The printed map and the ids it found uncovered.
#[derive(Clone, Debug, Default)]
pub struct TraceMap {
    /// One line per requirement id, in the index's order, and a total.
    pub text: String,
    /// Requirement ids of the spec with no case, no named test and no reason.
    pub uncovered: Vec<String>,
}

/// Why the traceability map cannot be built.
#[non_exhaustive]
#[derive(Debug)]
pub enum TraceError {
    /// Vector cases name requirement ids the spec's index does not list.
    UnknownInVectors(Vec<String>),
    /// `traceability.json` names an id the spec's index does not list.
    UnknownInTraceFile(String),
    /// A named test is not written as `path/to/file.rs::test_fn`.
    TestName(String),
    /// A named test's file cannot be read.
    TestFile {
        /// The test.
        test: String,
        /// Why.
        source: std::io::Error,
    },
    /// A named test's file defines no such function.
    NoSuchTest(String),
    /// An untestable requirement without its reason.
    NoReason(String),
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::UnknownInVectors(ids) => {
                write!(f, "vectors name requirement ids the spec does not define: {ids:?}")
            }
            TraceError::UnknownInTraceFile(id) => {
                write!(f, "{TRACE_FILE} names {id}, which the spec does not define")
            }
            TraceError::TestName(test) => write!(f, "{test}: expected path::test_name"),
            TraceError::TestFile { test, source } => write!(f, "{test}: cannot read its file: {source}"),
            TraceError::NoSuchTest(test) => write!(f, "{test}: no such fn in its file"),
            TraceError::NoReason(id) => write!(f, "{id}: an untestable requirement needs a reason"),
        }
    }
}

impl std::error::Error for TraceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TraceError::TestFile { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Builds the map for `spec` (its requirement index) from the vectors in
/// `dir` and its traceability file; named tests are looked up relative to `root`.
///
/// # Errors
///
/// A spec without a readable index, vectors that do not load, a named test
/// that does not exist, an empty reason, or an id the index does not list.
pub fn trace(spec: &str, dir: &Path, root: &Path) -> Result<TraceMap, VectorError> {
    let index = RequirementIndex::parse(spec)?;
    let suite = Suite::load_dir(dir)?;
    let mut cases: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (_, case) in suite.cases() {
        for r in &case.requirements {
            cases.entry(r.as_str()).or_default().push(case.id.as_str());
        }
    }
    let unknown: Vec<String> = cases.keys().filter(|r| !index.contains(r)).map(|r| (*r).to_owned()).collect();
    if !unknown.is_empty() {
        return Err(TraceError::UnknownInVectors(unknown).into());
    }
    let trace_file = suite::load_trace(&dir.join(TRACE_FILE))?;
    let mut tests: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for named in &trace_file.named_tests {
        for test in &named.tests {
            check_test_exists(root, test)?;
            tests.entry(named.id.as_str()).or_default().push(test.as_str());
        }
    }
    let mut reasons: BTreeMap<&str, &str> = BTreeMap::new();
    for u in &trace_file.untestable {
        if u.reason.trim().is_empty() {
            return Err(TraceError::NoReason(u.id.clone()).into());
        }
        reasons.insert(u.id.as_str(), u.reason.as_str());
    }
    if let Some(id) = tests.keys().chain(reasons.keys()).find(|id| !index.contains(id)) {
        return Err(TraceError::UnknownInTraceFile((*id).to_owned()).into());
    }
    let mut map = TraceMap::default();
    for requirement in index.iter() {
        let id = requirement.id.as_str();
        let c = cases.get(id).map(Vec::as_slice).unwrap_or_default();
        let t = tests.get(id).map(Vec::as_slice).unwrap_or_default();
        let mut line = format!("{id:<11}");
        if !c.is_empty() {
            let shown: Vec<&str> = c.iter().take(SHOWN).copied().collect();
            let more = if c.len() > SHOWN { format!(", ... (+{})", c.len() - SHOWN) } else { String::new() };
            let _ = write!(line, " vectors {}: {}{more}", c.len(), shown.join(", "));
        }
        if !t.is_empty() {
            let _ = write!(line, " | tests: {}", t.join(", "));
        }
        if let Some(r) = reasons.get(id) {
            let _ = write!(line, " | untestable by vectors: {r}");
        }
        if c.is_empty() && t.is_empty() && !reasons.contains_key(id) {
            line.push_str(" UNCOVERED");
            map.uncovered.push(id.to_owned());
        }
        map.text.push_str(&line);
        map.text.push('\n');
    }
    let _ = writeln!(
        map.text,
        "{} requirement ids: {} with vectors, {} uncovered",
        index.len(),
        index.iter().filter(|r| cases.contains_key(r.id.as_str())).count(),
        map.uncovered.len()
    );
    Ok(map)
}

/// `path/file.rs::name` must name a file under `root` that defines `fn name`.
fn check_test_exists(root: &Path, test: &str) -> Result<(), TraceError> {
    let (path, name) = test.rsplit_once("::").ok_or_else(|| TraceError::TestName(test.to_owned()))?;
    let file = path.split("::").next().unwrap_or(path);
    let text = crate::files::read_text(&root.join(file), crate::files::MAX_SOURCE_FILE)
        .map_err(|source| TraceError::TestFile { test: test.to_owned(), source })?;
    if text.contains(&format!("fn {name}(")) { Ok(()) } else { Err(TraceError::NoSuchTest(test.to_owned())) }
}
