//! Reports of a conformance run: JSON, JUnit XML, a Markdown summary by
//! requirement id and error code, a static HTML matrix, and comparisons.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use paycode_vectors::files::{check_output, write_output};
use serde_json::Value;

use super::classes::{ClassResult, ClassStatus};
use super::{CaseResult, ExitStatus, Run, Verdict};

/// Writes `report.json`, `junit.xml`, `summary.md` and `report.html` into `dir`.
///
/// # Errors
///
/// I/O errors; one of the four names taken by something other than a
/// regular file (a FIFO, a device, a folder), and then none is written.
pub fn write_all(run: &Run, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(run).map_err(std::io::Error::other)?;
    // A name taken by a FIFO, a device or a folder is refused before any is written.
    for name in ["report.json", "junit.xml", "summary.md", "report.html"] {
        check_output(&dir.join(name)).map_err(|e| std::io::Error::new(e.kind(), format!("{name}: {e}")))?;
    }
    write_output(&dir.join("report.json"), (json + "\n").as_bytes())?;
    write_output(&dir.join("junit.xml"), junit(run).as_bytes())?;
    write_output(&dir.join("summary.md"), summary(run).as_bytes())?;
    write_output(&dir.join("report.html"), matrix(std::slice::from_ref(run)).as_bytes())?;
    Ok(())
}

/// The implementation's name and version from its `hello`.
pub fn implementation_name(run: &Run) -> String {
    let imp = field(&run.implementation, "implementation");
    match (field(imp, "name").as_str(), field(imp, "version").as_str()) {
        (Some(n), Some(v)) => format!("{n} {v}"),
        (Some(n), None) => n.to_owned(),
        _ => run.adapter.clone(),
    }
}

/// JUnit XML, one test case per vector case.
pub fn junit(run: &Run) -> String {
    let count = |v: Verdict| run.cases.iter().filter(|c| c.verdict == v).count();
    let failures = count(Verdict::Fail) + count(Verdict::WrongReason);
    let errors = count(Verdict::Error) + count(Verdict::Crash) + count(Verdict::Hang);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites><testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{}\" time=\"{:.3}\">",
        esc(&implementation_name(run)),
        run.cases.len(),
        count(Verdict::Skip),
        run.duration_ms as f64 / 1000.0
    );
    for c in &run.cases {
        let _ = write!(x, "  <testcase classname=\"{}\" name=\"{}\"", esc(&c.file), esc(&c.id));
        let body = format!("expected: {}\nactual: {}", c.expected, c.actual);
        match c.verdict {
            Verdict::Pass => x.push_str("/>\n"),
            Verdict::Skip => {
                let _ = writeln!(x, "><skipped message=\"{}\"/></testcase>", esc(&c.detail));
            }
            Verdict::Fail | Verdict::WrongReason => {
                let _ = writeln!(
                    x,
                    "><failure type=\"{}\" message=\"{}\">{}</failure></testcase>",
                    c.verdict.name(),
                    esc(&c.detail),
                    esc(&body)
                );
            }
            Verdict::Error | Verdict::Crash | Verdict::Hang => {
                let _ = writeln!(
                    x,
                    "><error type=\"{}\" message=\"{}\">{}</error></testcase>",
                    c.verdict.name(),
                    esc(&c.detail),
                    esc(&body)
                );
            }
        }
    }
    x.push_str("</testsuite></testsuites>\n");
    x
}

/// Error codes a case expects (its own, or its scenario steps').
fn expected_codes(c: &CaseResult) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut add = |v: &Value| match (field(v, "result").as_str(), field(v, "error").as_str()) {
        (_, Some(e)) => {
            codes.insert(e.to_owned());
        }
        (Some("valid"), None) => {
            codes.insert("accepted".to_owned());
        }
        _ => {}
    };
    match field(&c.expected, "steps").as_array() {
        Some(steps) => steps.iter().for_each(&mut add),
        None => add(&c.expected),
    }
    codes
}

/// The Markdown summary: totals, by requirement id, by error code, and every case that did not pass.
pub fn summary(run: &Run) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# Conformance report: {}\n", implementation_name(run));
    let _ = writeln!(m, "- runner: {} (contract {})", run.runner, run.contract);
    let _ = writeln!(m, "- suite: {} (sha256 {})", run.spec, run.suite_hash);
    let _ = writeln!(m, "- adapter: `{}`", run.adapter);
    let _ = writeln!(m, "- duration: {} ms", run.duration_ms);
    let _ = writeln!(m, "- result: **{}** (exit status {})", run.outcome(), run.status().code());
    let _ = writeln!(m, "- conforms to: {}", class_list(run, ClassStatus::Met));
    let _ = writeln!(m, "- claimed but failed: {}", class_list(run, ClassStatus::Failed));
    if run.with_status(ClassStatus::Incomplete).next().is_some() {
        let _ = writeln!(
            m,
            "- not judged, cases left out of the run: {}",
            class_list(run, ClassStatus::Incomplete)
        );
    }
    if let Some(e) = &run.failed_to_start {
        let _ = writeln!(m, "- the adapter failed to start: {}", e.replace('\n', " / "));
    }
    if let Some(a) = &run.aborted {
        let _ = writeln!(m, "- run aborted: {a}");
    }
    if run.failed_to_start.is_some() && !run.stderr.is_empty() {
        m.push_str("\n## The adapter's standard error\n\n~~~text\n");
        m.push_str(run.stderr.trim_end());
        m.push_str("\n~~~\n");
    }
    if !run.classes.is_empty() {
        m.push_str("\n## Conformance classes\n\n| class | result | passed / cases | not passing or skipped | left out |\n|---|---|---|---|---|\n");
        for c in &run.classes {
            let shown: Vec<&str> = c.failing.iter().take(6).map(String::as_str).collect();
            let more = c.failing.len().saturating_sub(shown.len());
            let more = if more > 0 { format!(" (+{more})") } else { String::new() };
            let _ = writeln!(
                m,
                "| {} | {} | {} / {} | {}{more} | {} |",
                c.class,
                c.status.name(),
                c.passed,
                c.cases,
                shown.join(", "),
                c.not_run
            );
        }
    }
    m.push_str("\n| verdict | cases |\n|---|---|\n");
    for (k, v) in &run.totals {
        let _ = writeln!(m, "| {k} | {v} |");
    }
    let by = |keys: &dyn Fn(&CaseResult) -> BTreeSet<String>| {
        let mut table: BTreeMap<String, (usize, usize, Vec<String>)> = BTreeMap::new();
        for c in &run.cases {
            for k in keys(c) {
                let e = table.entry(k).or_default();
                e.1 += 1;
                if c.verdict == Verdict::Pass {
                    e.0 += 1;
                } else if c.verdict != Verdict::Skip {
                    e.2.push(c.id.clone());
                }
            }
        }
        table
    };
    m.push_str("\n## By requirement\n\n| requirement | passed / cases | not passing |\n|---|---|---|\n");
    for (k, (p, n, bad)) in by(&|c: &CaseResult| c.requirements.iter().cloned().collect()) {
        let _ = writeln!(m, "| {k} | {p} / {n} | {} |", bad.join(", "));
    }
    m.push_str("\n## By expected outcome\n\n| error code | passed / cases | not passing |\n|---|---|---|\n");
    for (k, (p, n, bad)) in by(&expected_codes) {
        let _ = writeln!(m, "| {k} | {p} / {n} | {} |", bad.join(", "));
    }
    let mut failing: Vec<&CaseResult> = run.cases.iter().filter(|c| c.verdict != Verdict::Pass).collect();
    failing.sort_by_key(|c| !c.verdict.is_failure());
    if !failing.is_empty() {
        m.push_str("\n## Cases not passing\n\n| case | verdict | rules | detail |\n|---|---|---|---|\n");
        for c in failing {
            let step = c.step.map(|s| format!(" (step {s})")).unwrap_or_default();
            let _ = writeln!(
                m,
                "| {}{step} | {} | {} | {} |",
                c.id,
                c.verdict.name(),
                c.requirements.join(" "),
                c.detail.replace('|', "\\|")
            );
        }
    }
    m
}

/// A static HTML page: cases × implementations; a cell that does not pass
/// opens to the rules, the input, the expected and the actual result.
pub fn matrix(runs: &[Run]) -> String {
    let mut ids: Vec<(String, Vec<String>)> = Vec::new();
    let mut seen = BTreeSet::new();
    for r in runs {
        for c in &r.cases {
            if seen.insert(c.id.clone()) {
                ids.push((c.id.clone(), c.requirements.clone()));
            }
        }
    }
    let cells: Vec<BTreeMap<&str, &CaseResult>> =
        runs.iter().map(|r| r.cases.iter().map(|c| (c.id.as_str(), c)).collect()).collect();
    // Failures first, then skips, then the rest; each group in suite order.
    let rank = |id: &str| {
        let verdicts = || cells.iter().filter_map(|col| col.get(id)).map(|c| c.verdict);
        if verdicts().any(Verdict::is_failure) {
            0
        } else if verdicts().any(|v| v == Verdict::Skip) {
            1
        } else {
            2
        }
    };
    ids.sort_by_key(|(id, _)| rank(id));
    let title = match runs {
        [run] => format!("paycode conformance report: {}", implementation_name(run)),
        _ => format!("paycode conformance matrix: {} runs compared", runs.len()),
    };
    let what = match runs {
        [_] => {
            "One implementation's run of the suite: its conformance classes, then every case, \
those that did not pass first."
        }
        _ => {
            "Several runs side by side (implementations, or the mutants of a kill matrix): their \
conformance classes, then cases × runs, the cases that did not pass somewhere first."
        }
    };
    let mut h = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    let _ = writeln!(h, "<title>{}</title>", esc(&title));
    h.push_str(
        "<style>\
body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:13px}\
td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}th{background:#f4f4f4;position:sticky;top:0}\
.PASS{background:#d9f2d9}.FAIL{background:#f8c9c9}.WRONG-REASON{background:#fde3b5}.SKIP{background:#eee;color:#666}\
.ERROR,.CRASH,.HANG{background:#e0c8f2}pre{white-space:pre-wrap;max-width:60em;margin:2px 0}summary{cursor:pointer}\
.met{background:#d9f2d9}.FAILED{background:#f8c9c9}.not-claimed,.not-judged{background:#eee;color:#666}\
</style></head><body>\n",
    );
    let _ = writeln!(h, "<h1>{}</h1>\n<p>{}</p>", esc(&title), esc(what));
    h.push_str("<table><tr><th>implementation</th><th>suite</th><th>result</th>");
    for v in Verdict::ALL {
        let _ = write!(h, "<th>{}</th>", v.name());
    }
    h.push_str("</tr>\n");
    for r in runs {
        let result = r.outcome();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{} {}</td><td>{result}</td>",
            esc(&implementation_name(r)),
            esc(&r.spec),
            esc(r.suite_hash.get(..12).unwrap_or_default())
        );
        for v in Verdict::ALL {
            let _ = write!(h, "<td>{}</td>", r.totals.get(v.name()).copied().unwrap_or_default());
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    for r in runs.iter().filter(|r| r.failed_to_start.is_some() || r.aborted.is_some()) {
        let why = r.failed_to_start.as_deref().or(r.aborted.as_deref()).unwrap_or_default();
        let _ = writeln!(
            h,
            "<p><b>{}</b>: {}</p>\n<pre>{}</pre>",
            esc(&implementation_name(r)),
            esc(r.outcome()),
            esc(why)
        );
    }
    h.push_str("<h2>Conformance classes</h2>\n<table><tr><th>class</th>");
    for r in runs {
        let _ = write!(h, "<th>{}</th>", esc(&implementation_name(r)));
    }
    h.push_str("</tr>\n");
    let mut classes: Vec<&str> = Vec::new();
    for c in runs.iter().flat_map(|r| &r.classes) {
        if !classes.contains(&c.class.as_str()) {
            classes.push(&c.class);
        }
    }
    for class in classes {
        let _ = write!(h, "<tr><td>{}</td>", esc(class));
        for r in runs {
            match r.classes.iter().find(|c| c.class == class) {
                Some(c) => {
                    let _ = write!(h, "<td class=\"{}\">{}</td>", css(c), esc(&class_cell(c)));
                }
                None => h.push_str("<td>-</td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n<h2>Cases</h2>\n<table><tr><th>case</th><th>rules</th>");
    for r in runs {
        let _ = write!(h, "<th>{}</th>", esc(&implementation_name(r)));
    }
    h.push_str("</tr>\n");
    for (id, reqs) in &ids {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", esc(id), esc(&reqs.join(" ")));
        for col in &cells {
            match col.get(id.as_str()) {
                None => h.push_str("<td>-</td>"),
                Some(c) if c.verdict == Verdict::Pass => h.push_str("<td class=\"PASS\">PASS</td>"),
                Some(c) => {
                    let step = c.step.map(|s| format!("step {s}: ")).unwrap_or_default();
                    let _ = write!(
                        h,
                        "<td class=\"{v}\"><details><summary>{v}</summary><b>rules</b> {}<br><b>why</b> {step}{}\
<br><b>input</b><pre>{}</pre><b>expected</b><pre>{}</pre><b>actual</b><pre>{}</pre></details></td>",
                        esc(&c.requirements.join(" ")),
                        esc(&c.detail),
                        esc(&pretty(&c.input)),
                        esc(&pretty(&c.expected)),
                        esc(&pretty(&c.actual)),
                        v = c.verdict.name()
                    );
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n</body></html>\n");
    h
}

/// The names of the classes of `run` with `status`, or `none`.
fn class_list(run: &Run, status: ClassStatus) -> String {
    let names: Vec<&str> = run.with_status(status).collect();
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

/// A class's cell of the HTML matrix.
fn class_cell(c: &ClassResult) -> String {
    match c.status {
        ClassStatus::Met => format!("met ({} cases)", c.cases),
        ClassStatus::Failed => format!("FAILED ({} of {} cases not passing)", c.failing.len(), c.cases),
        ClassStatus::Incomplete => format!("not judged ({} of {} cases left out)", c.not_run, c.cases),
        ClassStatus::NotClaimed => "not claimed".to_owned(),
    }
}

/// A class's CSS class in the HTML matrix.
fn css(c: &ClassResult) -> &'static str {
    match c.status {
        ClassStatus::Met => "met",
        ClassStatus::Failed => "FAILED",
        ClassStatus::Incomplete => "not-judged",
        ClassStatus::NotClaimed => "not-claimed",
    }
}

/// Regressions and fixes between two runs of the same suite.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Cases that passed before and do not now: (id, old verdict, new verdict).
    pub regressions: Vec<(String, Verdict, Verdict)>,
    /// Cases that did not pass before and do now.
    pub fixes: Vec<(String, Verdict, Verdict)>,
    /// Cases in the new run only.
    pub added: Vec<String>,
    /// Cases in the old run only.
    pub removed: Vec<String>,
    /// Whether the suites differ.
    pub suite_changed: bool,
}

impl Comparison {
    /// [`ExitStatus::Fail`] if a case regressed, [`ExitStatus::Pass`] otherwise.
    pub fn status(&self) -> ExitStatus {
        if self.regressions.is_empty() { ExitStatus::Pass } else { ExitStatus::Fail }
    }
}

/// Compares two runs.
pub fn compare(old: &Run, new: &Run) -> Comparison {
    let o: BTreeMap<&str, Verdict> = old.cases.iter().map(|c| (c.id.as_str(), c.verdict)).collect();
    let n: BTreeMap<&str, Verdict> = new.cases.iter().map(|c| (c.id.as_str(), c.verdict)).collect();
    let mut cmp = Comparison { suite_changed: old.suite_hash != new.suite_hash, ..Comparison::default() };
    for (id, &nv) in &n {
        match o.get(id) {
            None => cmp.added.push((*id).to_owned()),
            Some(&ov) if ov == Verdict::Pass && nv != Verdict::Pass => {
                cmp.regressions.push(((*id).to_owned(), ov, nv))
            }
            Some(&ov) if ov != Verdict::Pass && nv == Verdict::Pass => {
                cmp.fixes.push(((*id).to_owned(), ov, nv))
            }
            Some(_) => {}
        }
    }
    cmp.removed = o.keys().filter(|id| !n.contains_key(*id)).map(|id| (*id).to_owned()).collect();
    cmp
}

/// `v[key]`, or null.
fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&Value::Null)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Escapes text for HTML and XML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 allows no other control characters, not even as references.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
