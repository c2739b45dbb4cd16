//! Requirement traceability: every requirement id of the spec maps to vector
//! cases, to named tests, or to a stated reason why it cannot be tested.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use super::check::{TRACE_FILE, load, load_trace, vector_paths};
use super::{VResult, VectorError};

/// Case ids shown per requirement before the list is abbreviated.
const SHOWN: usize = 6;

/// The printed map and the ids it found uncovered.
#[derive(Clone, Debug, Default)]
pub struct TraceMap {
    /// One line per requirement id.
    pub text: String,
    /// Requirement ids of the spec with no case, no named test and no reason.
    pub uncovered: Vec<String>,
}

/// The requirement ids in `spec`, in order of first appearance: `R-` followed
/// by upper-case letters, `-`, and digits.
pub fn spec_ids(spec: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let bytes = spec.as_bytes();
    let mut i = 0;
    while let Some(pos) = spec.get(i..).and_then(|s| s.find("R-")) {
        let start = i + pos;
        let mut j = start + 2;
        while bytes.get(j).is_some_and(u8::is_ascii_uppercase) {
            j += 1;
        }
        let letters_end = j;
        if letters_end > start + 2 && bytes.get(j) == Some(&b'-') {
            j += 1;
            while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            let before_ok = start == 0 || !bytes.get(start - 1).is_some_and(|b| b.is_ascii_alphanumeric());
            if j > letters_end + 1 && before_ok {
                let id = spec.get(start..j).unwrap_or_default().to_owned();
                if seen.insert(id.clone()) {
                    out.push(id);
                }
            }
        }
        i = start + 2;
    }
    out
}

/// Builds the map for `spec` from the vectors in `dir` and its traceability
/// file; named tests are looked up relative to `root`.
///
/// # Errors
///
/// Unreadable files, a named test that does not exist, an empty reason, or a
/// vector requirement id that the spec does not define.
pub fn trace(spec: &str, dir: &Path, root: &Path) -> VResult<TraceMap> {
    let ids = spec_ids(spec);
    let known: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let mut cases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in vector_paths(dir)? {
        let file = load(&path).map_err(|e| e.context(&path.display().to_string()))?;
        for case in file.cases {
            for r in &case.requirements {
                cases.entry(r.clone()).or_default().push(case.id.clone());
            }
        }
    }
    let unknown: Vec<&String> = cases.keys().filter(|r| !known.contains(r.as_str())).collect();
    if !unknown.is_empty() {
        return Err(VectorError::new(format!(
            "vectors name requirement ids the spec does not define: {unknown:?}"
        )));
    }
    let trace_file = load_trace(&dir.join(TRACE_FILE))?;
    let mut tests: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for named in &trace_file.named_tests {
        for t in &named.tests {
            check_test_exists(root, t)?;
            tests.entry(named.id.as_str()).or_default().push(t.as_str());
        }
    }
    let mut reasons: BTreeMap<&str, &str> = BTreeMap::new();
    for u in &trace_file.untestable {
        if u.reason.trim().is_empty() {
            return Err(VectorError::new(format!("{}: an untestable requirement needs a reason", u.id)));
        }
        reasons.insert(u.id.as_str(), u.reason.as_str());
    }
    for id in tests.keys().chain(reasons.keys()) {
        if !known.contains(id) {
            return Err(VectorError::new(format!("{TRACE_FILE} names {id}, which the spec does not define")));
        }
    }
    let mut map = TraceMap::default();
    for id in &ids {
        let c = cases.get(id).map(Vec::as_slice).unwrap_or_default();
        let t = tests.get(id.as_str()).map(Vec::as_slice).unwrap_or_default();
        let mut line = format!("{id:<11}");
        if !c.is_empty() {
            let shown: Vec<&str> = c.iter().take(SHOWN).map(String::as_str).collect();
            let more = if c.len() > SHOWN { format!(", ... (+{})", c.len() - SHOWN) } else { String::new() };
            let _ = write!(line, " vectors {}: {}{more}", c.len(), shown.join(", "));
        }
        if !t.is_empty() {
            let _ = write!(line, " | tests: {}", t.join(", "));
        }
        if let Some(r) = reasons.get(id.as_str()) {
            let _ = write!(line, " | untestable by vectors: {r}");
        }
        if c.is_empty() && t.is_empty() && !reasons.contains_key(id.as_str()) {
            line.push_str(" UNCOVERED");
            map.uncovered.push(id.clone());
        }
        map.text.push_str(&line);
        map.text.push('\n');
    }
    let _ = writeln!(
        map.text,
        "{} requirement ids: {} with vectors, {} uncovered",
        ids.len(),
        ids.iter().filter(|i| cases.contains_key(*i)).count(),
        map.uncovered.len()
    );
    Ok(map)
}

/// `path/file.rs::name` must name a file under `root` that defines `fn name`.
fn check_test_exists(root: &Path, test: &str) -> VResult<()> {
    let (path, name) = test
        .rsplit_once("::")
        .ok_or_else(|| VectorError::new(format!("{test}: expected path::test_name")))?;
    let file = path.split("::").next().unwrap_or(path);
    let text = std::fs::read_to_string(root.join(file))
        .map_err(|e| VectorError::new(format!("{test}: cannot read {file}: {e}")))?;
    if text.contains(&format!("fn {name}(")) {
        Ok(())
    } else {
        Err(VectorError::new(format!("{test}: no fn {name} in {file}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ids_once_in_order() {
        let spec = "**R-TIME-2.** text R-TIME-1, R-TIME-2 and (R-ED-10). Not XR-A-1, not R-1, not R-ABC-.";
        assert_eq!(spec_ids(spec), ["R-TIME-2", "R-TIME-1", "R-ED-10"]);
    }
}
