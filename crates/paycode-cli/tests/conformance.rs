//! `paycode conformance run` and its conformance classes, against real
//! adapter processes: `cat`, a shell script that dies, and a Python proxy in
//! front of the reference adapter that claims one class and may answer one
//! case wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::process::Output;

use paycode_test_support::{Cli, TempDir};
use serde_json::Value;

const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

/// The exit codes of `conformance/README.md`, section 3.
const PASS: i32 = 0;
const FAIL: i32 = 1;
const ADAPTER_ERROR: i32 = 2;
const NO_CLASS: i32 = 4;

/// Runs the built-in suite against `adapter`, reports into `dir/report`.
fn run(dir: &TempDir, adapter: &str) -> (Output, Value) {
    let out = CLI.run(&["conformance", "run", "--adapter", adapter, "--quiet", "--out", &dir.arg("report")]);
    let report = std::fs::read_to_string(dir.join("report/report.json"))
        .unwrap_or_else(|e| panic!("no report.json: {e}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out, serde_json::from_str(&report).unwrap())
}

/// The names of the report's classes with `status`.
fn classes(report: &Value, status: &str) -> Vec<String> {
    report["classes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == status)
        .map(|c| c["class"].as_str().unwrap().to_owned())
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A Python adapter that starts the reference adapter (`paycode conformance
/// adapter`) and passes its answers on, but claims only the ops, profiles
/// and classes given, and answers the case `wrong` (if any) with the
/// opposite verdict.
fn proxy(dir: &TempDir, ops: &str, classes: &str, wrong: &str) -> String {
    let script = format!(
        r#"import json, subprocess, sys
ref = subprocess.Popen([{paycode:?}, "conformance", "adapter"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
for line in sys.stdin:
    m = json.loads(line)
    ref.stdin.write(line)
    ref.stdin.flush()
    if m["type"] == "stop":
        break
    out = json.loads(ref.stdout.readline())
    if m["type"] == "hello":
        out["ops"] = {ops}
        out["profiles"] = ["hmac"]
        out["classes"] = {classes}
    elif m.get("id") == {wrong:?} and "output" in out:
        out["output"] = {{"result": "invalid", "error": "replayed"}} if out["output"]["result"] == "valid" else {{"result": "valid"}}
    print(json.dumps(out), flush=True)
ref.wait()
"#,
        paycode = env!("CARGO_BIN_EXE_paycode"),
    );
    let path = dir.join("proxy.py");
    std::fs::write(&path, script).unwrap();
    format!("python3 {}", path.display())
}

const HMAC_VERIFIER_OPS: &str =
    r#"["code-decode", "verify", "scenario", "challenge-encode", "challenge-decode"]"#;

#[test]
fn an_adapter_claiming_nothing_meets_no_class_and_is_not_conformant() {
    let dir = TempDir::new("conf-cat");
    // `cat` echoes the hello back: the right contract, and not one op.
    let (out, report) = run(&dir, "cat");
    assert_eq!(out.status.code(), Some(NO_CLASS), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("conforms to: none"), "{}", text(&out.stdout));
    let cases = report["cases"].as_array().unwrap();
    assert!(!cases.is_empty() && cases.iter().all(|c| c["verdict"] == "SKIP"));
    assert!(classes(&report, "met").is_empty() && classes(&report, "failed").is_empty());
    assert_eq!(classes(&report, "not-claimed").len(), 8);
    let summary = std::fs::read_to_string(dir.join("report/summary.md")).unwrap();
    assert!(summary.contains("NOT conformant: meets no conformance class"), "{summary}");
}

#[test]
fn r_conf_1_an_hmac_verifier_conforms_to_that_class_only() {
    let dir = TempDir::new("conf-hmac-verifier");
    let (out, report) = run(&dir, &proxy(&dir, HMAC_VERIFIER_OPS, r#"["hmac-verifier"]"#, ""));
    assert_eq!(out.status.code(), Some(PASS), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(classes(&report, "met"), ["hmac-verifier"]);
    let class = report["classes"].as_array().unwrap().iter().find(|c| c["class"] == "hmac-verifier").unwrap();
    assert_eq!(class["passed"], class["cases"]);
    // Its cases are the hmac ones: every hmac.verify case ran, no numeric or ed25519 case did.
    let ran = |prefix: &str| {
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"].as_str().unwrap().starts_with(prefix))
            .map(|c| c["verdict"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(ran("hmac.verify.").iter().all(|v| v == "PASS") && ran("hmac.verify.").len() > 50);
    assert!(ran("numeric.verify.").iter().all(|v| v == "SKIP"));
    assert!(ran("ed25519.verify.").iter().all(|v| v == "SKIP"));
    assert!(text(&out.stdout).contains("conforms to: hmac-verifier\n"), "{}", text(&out.stdout));
}

#[test]
fn r_conf_2_one_wrong_answer_loses_the_class() {
    let dir = TempDir::new("conf-one-wrong");
    let wrong = "hmac.verify.window-b2-f1-back-edge";
    let (out, report) = run(&dir, &proxy(&dir, HMAC_VERIFIER_OPS, r#"["hmac-verifier"]"#, wrong));
    assert_eq!(out.status.code(), Some(FAIL), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert!(classes(&report, "met").is_empty());
    assert_eq!(classes(&report, "failed"), ["hmac-verifier"]);
    let class = report["classes"].as_array().unwrap().iter().find(|c| c["class"] == "hmac-verifier").unwrap();
    assert_eq!(class["failing"], serde_json::json!([wrong]));
    assert!(text(&out.stdout).contains("claimed but failed: hmac-verifier"), "{}", text(&out.stdout));
    // The HTML report of one run says so in its title, and shows the failure before any pass.
    let html = std::fs::read_to_string(dir.join("report/report.html")).unwrap();
    assert!(html.contains("<title>paycode conformance report: paycode-rs"), "{}", &html[..300]);
    let failure = html.find(&format!("<td>{wrong}</td>")).unwrap();
    let first_pass = html.find("class=\"PASS\">PASS</td>").unwrap();
    assert!(failure < first_pass, "the failing case comes after a passing one");
}

#[test]
fn r_conf_2_a_claimed_class_with_a_skipped_case_is_not_met() {
    let dir = TempDir::new("conf-skipped");
    // Claims the class but not `scenario`, which the class requires.
    let ops = r#"["code-decode", "verify", "challenge-encode", "challenge-decode"]"#;
    let (out, report) = run(&dir, &proxy(&dir, ops, r#"["hmac-verifier"]"#, ""));
    assert_eq!(out.status.code(), Some(FAIL), "{}\n{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(classes(&report, "failed"), ["hmac-verifier"]);
    let class = report["classes"].as_array().unwrap().iter().find(|c| c["class"] == "hmac-verifier").unwrap();
    let failing = class["failing"].as_array().unwrap();
    assert!(!failing.is_empty() && failing.iter().all(|id| id.as_str().unwrap().starts_with("scenario.")));
}

#[test]
fn an_adapter_dying_before_its_hello_shows_its_stderr_and_leaves_a_report() {
    let dir = TempDir::new("conf-dies");
    let script = dir.join("dies.sh");
    std::fs::write(&script, "echo 'adapter.py: cannot open the key file /nonexistent' >&2\nexit 3\n")
        .unwrap();
    let (out, report) = run(&dir, &format!("sh {}", script.display()));
    assert_eq!(out.status.code(), Some(ADAPTER_ERROR));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("adapter error: no hello: "), "{stderr}");
    assert!(stderr.contains("cannot open the key file /nonexistent"), "{stderr}");
    assert!(report["failed_to_start"].as_str().unwrap().contains("cannot open the key file"), "{report}");
    assert!(report["stderr"].as_str().unwrap().contains("cannot open the key file"));
    assert_eq!(report["cases"], serde_json::json!([]));
    let summary = std::fs::read_to_string(dir.join("report/summary.md")).unwrap();
    assert!(summary.contains("adapter failed to start"), "{summary}");
    assert!(dir.join("report/report.html").exists() && dir.join("report/junit.xml").exists());
}

#[test]
fn the_reference_conforms_to_every_class() {
    let dir = TempDir::new("conf-builtin");
    let out = CLI.run(&["conformance", "run", "--builtin", "--quiet", "--out", &dir.arg("report")]);
    assert_eq!(out.status.code(), Some(PASS), "{}", text(&out.stdout));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report/report.json")).unwrap()).unwrap();
    assert_eq!(
        classes(&report, "met"),
        [
            "primitives",
            "hmac-verifier",
            "numeric-verifier",
            "ed25519-terminal",
            "hmac-wallet",
            "ed25519-wallet",
            "issuer",
            "reconciler"
        ]
    );
}

/// Vectors that do not load and reports that cannot be written are the
/// runner's usage errors, exit 3 (conformance/README.md §3), with the file named.
#[test]
fn unloadable_vectors_and_unwritable_reports_are_usage_errors() {
    const USAGE: i32 = 3;
    let dir = TempDir::new("conformance-usage");
    let missing = dir.arg("no-such-vectors");
    let out = CLI.run(&[
        "conformance",
        "run",
        "--builtin",
        "--quiet",
        "--vectors",
        &missing,
        "--out",
        &dir.arg("r1"),
    ]);
    assert_eq!(out.status.code(), Some(USAGE), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no-such-vectors"), "{}", text(&out.stderr));
    // The report folder's place is taken by a file.
    std::fs::write(dir.join("taken"), b"not a folder").unwrap();
    let out = CLI.run(&["conformance", "run", "--builtin", "--quiet", "--out", &dir.arg("taken")]);
    assert_eq!(out.status.code(), Some(USAGE), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("taken"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(dir.join("taken")).unwrap(), b"not a folder");
}

/// `conformance --help` gives a file that cannot be read or written the
/// exit code the runner gives it: 3, a usage error, not 2.
#[test]
fn the_help_gives_unreadable_files_the_exit_code_they_get() {
    let help =
        text(&CLI.run(&["conformance", "--help"]).stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    let two =
        help.split("; 2 ").nth(1).and_then(|s| s.split("; 3 ").next()).unwrap_or_else(|| panic!("{help}"));
    assert!(!two.contains("file"), "{two}");
    let three =
        help.split("; 3 ").nth(1).and_then(|s| s.split("; 4 ").next()).unwrap_or_else(|| panic!("{help}"));
    assert!(three.contains("a file that could not be read or written"), "{three}");
    let dir = TempDir::new("conformance-help");
    let missing = dir.arg("missing.json");
    let out = CLI.run(&["conformance", "compare", &missing, &missing]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("missing.json"), "{}", text(&out.stderr));
}

/// An adapter that never lists its mutants is stopped after `--timeout`:
/// exit 2, saying so, and no kill matrix.
#[test]
fn kill_matrix_stops_an_adapter_that_never_lists_its_mutants() {
    let dir = TempDir::new("conformance-list-hang");
    let script = dir.join("hang.py");
    std::fs::write(&script, "import time\ntime.sleep(300)\n").unwrap();
    let adapter = format!("exec python3 {}", script.display());
    let start = std::time::Instant::now();
    let out = CLI.run(&[
        "conformance",
        "kill-matrix",
        "--adapter",
        &adapter,
        "--timeout",
        "2",
        "--out",
        &dir.arg("km"),
    ]);
    assert!(start.elapsed() < std::time::Duration::from_secs(30), "took {:?}", start.elapsed());
    assert_eq!(out.status.code(), Some(ADAPTER_ERROR), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--list-mutants did not list its mutants and exit within 2 s"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.join("km").exists());
}
