//! The conformance runner against adapters that misbehave: it must report
//! them (exit code 2 and a clear reason), never hang, and judge verdicts right.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::time::{Duration, Instant};

use paycode_conformance::adapter::{self, StdioAdapter};
use paycode_conformance::classes::ClassStatus;
use paycode_conformance::report::{self, compare};
use paycode_conformance::{self as conformance, AdapterError, ExitStatus, Selection, Suite, Verdict};
use paycode_test_support::TempDir;

/// A suite of six base45-decode cases and one two-step scenario, the first
/// case's id starting with `first` (its profile, if `hmac` or `ed25519`).
/// The expected values are made up: the runner compares, it does not compute.
fn suite_named(dir: &TempDir, first: &str) -> Suite {
    let mut cases: Vec<serde_json::Value> = (0..6)
        .map(|i| {
            let area = if i == 0 { first } else { "base45" };
            serde_json::json!({
                "id": format!("{area}.decode.case-{i}"), "requirements": ["R-ENC-2"], "comment": "A case.", "flags": ["Valid"],
                "op": "base45-decode", "input": {"text": format!("T{i}")},
                "expected": if i % 2 == 0 { serde_json::json!({"result": "valid", "bytes": "00"}) }
                            else { serde_json::json!({"result": "invalid", "error": "malformed"}) }
            })
        })
        .collect();
    let verifier = serde_json::json!({"params": {"t0": 0, "step": 60, "back": 2, "forward": 1}, "terminal_id": 1,
                                      "hmac_accounts": [], "trust_list": null});
    let state = serde_json::json!({"t_hw": 0, "q": 0, "entries": [], "spent": [], "revocation_list": null});
    cases.push(serde_json::json!({
        "id": "hmac.scenario.two-steps", "requirements": ["R-REPLAY-1"], "comment": "Two steps.", "flags": ["Valid"],
        "op": "scenario",
        "input": {"verifier": verifier, "state": state,
                  "steps": [{"action": "verify", "time": 1, "text": "A", "amount": 0},
                            {"action": "verify", "time": 1, "text": "A", "amount": 0}]},
        "expected": {"steps": [{"result": "valid"}, {"result": "invalid", "error": "replayed"}]}
    }));
    let file = serde_json::json!({"format": "paycode-vectors-v1", "spec_version": "paycode v3", "name": "cases",
        "description": "Cases of the runner's tests.", "sources": [], "notes": {}, "retired": [], "cases": cases});
    std::fs::write(dir.join("cases.json"), file.to_string()).unwrap();
    Suite::load_dir(dir.path()).unwrap()
}

fn suite(dir: &TempDir) -> Suite {
    suite_named(dir, "base45")
}

/// A Python adapter whose behaviour is given as a snippet deciding the answer.
fn adapter(dir: &TempDir, name: &str, body: &str, timeout: Duration) -> StdioAdapter {
    let script = format!(
        r#"import json, sys, time
n = 0
for line in sys.stdin:
    m = json.loads(line)
    if m["type"] == "stop":
        break
    n += 1
    if m["type"] == "hello":
        out = {{"seq": m["seq"], "type": "hello", "contract": "paycode-adapter/1",
               "implementation": {{"name": "{name}", "version": "0"}},
               "ops": ["base45-decode", "scenario"], "profiles": ["hmac"]}}
    else:
{body}
    print(json.dumps(out), flush=True)
"#
    );
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, script).unwrap();
    StdioAdapter::new(&format!("python3 {}", path.display()), timeout)
}

const RIGHT: &str = r#"        i = m.get("input", {}).get("text", "T0")
        if m["type"] == "reset":
            out = {"seq": m["seq"], "output": {"result": "valid"}}
        elif m["type"] == "step":
            out = {"seq": m["seq"], "output": {"result": "valid"} if m["index"] == 0 else {"result": "invalid", "error": "replayed"}}
        elif int(i[1:]) % 2 == 0:
            out = {"seq": m["seq"], "output": {"result": "valid", "bytes": "00"}}
        else:
            out = {"seq": m["seq"], "output": {"result": "invalid", "error": "malformed"}}"#;

fn run(a: &mut StdioAdapter, s: &Suite) -> conformance::Run {
    let start = Instant::now();
    let r = conformance::run(s, a, &Selection::default(), |_, _, _| {}).unwrap();
    assert!(start.elapsed() < Duration::from_secs(30), "runner took too long");
    r
}

#[test]
fn a_right_adapter_is_conformant() {
    let d = TempDir::new("conf-right");
    let s = suite(&d);
    let r = run(&mut adapter(&d, "right", RIGHT, Duration::from_secs(10)), &s);
    assert_eq!(r.status(), ExitStatus::Pass, "{:#?}", r.cases);
    assert_eq!(r.totals["PASS"], 7);
}

#[test]
fn wrong_codes_are_wrong_reason_and_wrong_verdicts_fail() {
    let d = TempDir::new("conf-wrong");
    let s = suite(&d);
    let body = RIGHT
        .replace("\"error\": \"malformed\"", "\"error\": \"too-old\"")
        .replace("{\"result\": \"invalid\", \"error\": \"replayed\"}", "{\"result\": \"valid\"}");
    let r = run(&mut adapter(&d, "wrong", &body, Duration::from_secs(10)), &s);
    assert_eq!(r.status(), ExitStatus::Fail);
    assert_eq!(r.totals["WRONG-REASON"], 3);
    assert_eq!(r.totals["FAIL"], 1);
    let scenario = r.cases.iter().find(|c| c.op == "scenario").unwrap();
    assert_eq!((scenario.verdict, scenario.step), (Verdict::Fail, Some(1)));
    // Against a conformant run of the same suite, every difference is a regression.
    let right = run(&mut adapter(&d, "right", RIGHT, Duration::from_secs(10)), &s);
    let worse = compare(&right, &r);
    assert_eq!((worse.regressions.len(), worse.status()), (4, ExitStatus::Fail));
    let better = compare(&r, &right);
    assert_eq!((better.fixes.len(), better.status()), (4, ExitStatus::Pass));
}

#[test]
fn garbage_is_an_adapter_error() {
    let d = TempDir::new("conf-garbage");
    let s = suite(&d);
    let body = "        print('this is not JSON', flush=True)\n        continue";
    let r = run(&mut adapter(&d, "garbage", body, Duration::from_secs(10)), &s);
    assert_eq!(r.status(), ExitStatus::AdapterError);
    assert!(r.aborted.as_deref().unwrap().contains("not JSON"), "{:?}", r.aborted);
}

#[test]
fn wrong_sequence_number_is_an_adapter_error() {
    let d = TempDir::new("conf-seq");
    let s = suite(&d);
    let body = "        out = {\"seq\": m[\"seq\"] + 1, \"output\": {\"result\": \"valid\"}}";
    let r = run(&mut adapter(&d, "seq", body, Duration::from_secs(10)), &s);
    assert_eq!(r.status(), ExitStatus::AdapterError);
    assert!(r.aborted.as_deref().unwrap().contains("seq"));
}

#[test]
fn a_hanging_adapter_is_stopped() {
    let d = TempDir::new("conf-hang");
    let s = suite(&d);
    let body = "        time.sleep(60)\n        continue";
    let r = run(&mut adapter(&d, "hang", body, Duration::from_millis(1000)), &s);
    assert_eq!(r.status(), ExitStatus::AdapterError);
    // Three hangs in a row end the run (or a restart that itself times out does).
    assert!((1..=conformance::MAX_CONSECUTIVE_FAILURES).contains(&r.totals["HANG"]), "{:?}", r.totals);
    assert!(r.aborted.is_some());
}

#[test]
fn an_adapter_exiting_mid_run_is_restarted_and_reported() {
    let d = TempDir::new("conf-exit");
    let s = suite(&d);
    // Exits on its third request (hello counts), every time it is started.
    let body = format!("        if n == 3:\n            sys.exit(3)\n{RIGHT}");
    let r = run(&mut adapter(&d, "exit", &body, Duration::from_secs(10)), &s);
    assert_eq!(r.status(), ExitStatus::AdapterError);
    assert!(r.totals["CRASH"] >= 2, "{:?}", r.totals);
    assert!(r.totals["PASS"] >= 3, "restarted adapters go on: {:?}", r.totals);
    assert_eq!(r.cases.len(), 7);
}

#[test]
fn an_adapter_that_cannot_start_fails_its_hello() {
    let d = TempDir::new("conf-nostart");
    let s = suite(&d);
    let mut a = StdioAdapter::new("exit 1", Duration::from_secs(5));
    let e = conformance::run(&s, &mut a, &Selection::default(), |_, _, _| {}).unwrap_err();
    assert!(matches!(e, AdapterError::ExitedBeforeHello { .. }), "{e}");
    assert!(e.to_string().contains("wrote nothing on standard error"), "{e}");
}

#[test]
fn an_adapter_dying_before_its_hello_shows_the_end_of_its_stderr() {
    let d = TempDir::new("conf-stderr");
    let s = suite(&d);
    // 6000 bytes of noise, then the line that says what went wrong.
    let script = d.join("dies.sh");
    std::fs::write(
        &script,
        "i=0; while [ $i -lt 100 ]; do echo 'noise noise noise noise noise noise noise noise noise' >&2; i=$((i+1)); done\n\
         echo 'ModuleNotFoundError: No module named cryptography' >&2\nexit 7\n",
    )
    .unwrap();
    let mut a = StdioAdapter::new(&format!("sh {}", script.display()), Duration::from_secs(5));
    let e = conformance::run(&s, &mut a, &Selection::default(), |_, _, _| {}).unwrap_err();
    let AdapterError::ExitedBeforeHello { status, stderr } = &e else { panic!("{e}") };
    assert!(status.contains('7'), "{status}");
    assert!(stderr.ends_with("No module named cryptography\n"), "{stderr:?}");
    assert!(stderr.len() <= adapter::STDERR_TAIL, "{}", stderr.len());
    assert!(e.to_string().contains("No module named cryptography"), "{e}");
    // The report of the run that did not start says so and keeps the whole stderr.
    let run = conformance::Run::failed_to_start(&s, &a, &e);
    assert_eq!(run.status(), ExitStatus::AdapterError);
    assert!(run.stderr.len() > 5000 && run.cases.is_empty(), "{}", run.stderr.len());
    assert!(report::summary(&run).contains("adapter failed to start"));
}

/// A Python adapter answering like `RIGHT` whose `hello` lists `ops` and `classes` (JSON).
fn claiming(dir: &TempDir, name: &str, ops: &str, classes: &str) -> StdioAdapter {
    drop(adapter(dir, name, RIGHT, Duration::from_secs(10)));
    let path = dir.join(format!("{name}.py"));
    let script = std::fs::read_to_string(&path).unwrap().replace(
        r#""ops": ["base45-decode", "scenario"], "profiles": ["hmac"]}"#,
        &format!(r#""ops": {ops}, "profiles": ["hmac"], "classes": {classes}}}"#),
    );
    assert!(script.contains("\"classes\""));
    std::fs::write(&path, script).unwrap();
    StdioAdapter::new(&format!("python3 {}", path.display()), Duration::from_secs(10))
}

fn classes_with(r: &conformance::Run, status: ClassStatus) -> Vec<&str> {
    r.with_status(status).collect()
}

#[test]
fn claimed_classes_are_met_or_failed_as_a_whole() {
    let d = TempDir::new("conf-classes");
    let s = suite(&d);
    // Without `classes`, every class the ops cover is claimed: here all three with cases.
    let r = run(&mut adapter(&d, "all", RIGHT, Duration::from_secs(10)), &s);
    assert_eq!(classes_with(&r, ClassStatus::Met), ["primitives", "hmac-verifier", "numeric-verifier"]);
    // Claiming one class runs only its cases.
    let only = r#"["base45-decode", "scenario"]"#;
    let r = run(&mut claiming(&d, "one", only, r#"["hmac-verifier"]"#), &s);
    assert_eq!((r.status(), classes_with(&r, ClassStatus::Met)), (ExitStatus::Pass, vec!["hmac-verifier"]));
    assert_eq!((r.totals["PASS"], r.totals["SKIP"]), (1, 6));
    assert!(r.cases[0].detail.contains("in no claimed class"), "{}", r.cases[0].detail);
    // A claimed class whose op is not claimed: its cases SKIP and the class fails.
    let r = run(&mut claiming(&d, "noop", r#"["base45-decode"]"#, r#"["primitives", "hmac-verifier"]"#), &s);
    assert_eq!(r.status(), ExitStatus::Fail);
    assert_eq!(classes_with(&r, ClassStatus::Met), ["primitives"]);
    assert_eq!(classes_with(&r, ClassStatus::Failed), ["hmac-verifier"]);
    let failed = r.classes.iter().find(|c| c.class == "hmac-verifier").unwrap();
    assert_eq!(failed.failing, ["hmac.scenario.two-steps"]);
    // Claiming classes but no op: nothing runs, nothing is met.
    let r = run(&mut claiming(&d, "none", "[]", "[]"), &s);
    assert_eq!((r.status(), r.totals["SKIP"]), (ExitStatus::NoClass, 7));
    // A class that does not exist is an adapter error.
    let mut bad = claiming(&d, "bad", only, r#"["everything"]"#);
    let e = conformance::run(&s, &mut bad, &Selection::default(), |_, _, _| {}).unwrap_err();
    assert!(matches!(e, AdapterError::UnknownClass(ref n) if n == "everything"), "{e}");
}

#[test]
fn a_selection_leaving_out_cases_of_a_class_does_not_judge_it() {
    let d = TempDir::new("conf-partial");
    let s = suite(&d);
    let some = Selection { include: vec!["base45.decode.case-1".into()], ..Selection::default() };
    let r = conformance::run(
        &s,
        &mut adapter(&d, "partial", RIGHT, Duration::from_secs(10)),
        &some,
        |_, _, _| {},
    )
    .unwrap();
    assert_eq!(r.status(), ExitStatus::NoClass);
    assert_eq!(
        classes_with(&r, ClassStatus::Incomplete),
        ["primitives", "hmac-verifier", "numeric-verifier"]
    );
    assert!(classes_with(&r, ClassStatus::Met).is_empty());
}

#[test]
fn declined_capabilities_are_skipped_with_their_reason() {
    let d = TempDir::new("conf-skip");
    let s = suite(&d);
    let body = RIGHT.to_owned();
    let mut a = adapter(&d, "skip", &body, Duration::from_secs(10));
    let only = Selection { include: vec!["hmac.*".into()], ..Selection::default() };
    let r = conformance::run(&s, &mut a, &only, |_, _, _| {}).unwrap();
    assert_eq!(r.cases.len(), 1);
    assert_eq!(r.status(), ExitStatus::Pass);
    // A suite case whose profile the adapter does not claim.
    let d2 = TempDir::new("skip-ed25519");
    let ed = suite_named(&d2, "ed25519");
    let r = conformance::run(
        &ed,
        &mut adapter(&d, "skip2", &body, Duration::from_secs(10)),
        &Selection::default(),
        |_, _, _| {},
    )
    .unwrap();
    assert_eq!(r.totals["SKIP"], 1);
    assert!(r.cases[0].detail.contains("ed25519"));
}

#[test]
fn the_built_in_suite_is_the_committed_folder() {
    let dir = paycode_test_support::repo_root().join("vectors");
    let committed = Suite::load_dir(&dir).unwrap();
    let built_in = conformance::embedded::suite().unwrap();
    let names = |s: &Suite| s.files().iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&built_in), names(&committed), "list every vector file in embedded.rs");
    for (name, text) in conformance::embedded::FILES {
        assert_eq!(*text, std::fs::read_to_string(dir.join(name)).unwrap(), "{name}");
    }
    assert_eq!(built_in.hash(), committed.hash());
    assert_eq!(built_in.case_count(), committed.case_count());
}

#[test]
fn a_suite_of_another_format_does_not_load() {
    let d = TempDir::new("format");
    suite(&d);
    let path = d.join("cases.json");
    let text = std::fs::read_to_string(&path).unwrap().replace("\"Valid\"", "\"Valid\"],\"surprise\":[1");
    std::fs::write(&path, text).unwrap();
    assert!(Suite::load_dir(d.path()).is_err(), "an unknown field was accepted");
}

#[test]
fn exit_codes_are_the_ones_the_readme_lists() {
    let readme =
        std::fs::read_to_string(paycode_test_support::repo_root().join("conformance/README.md")).unwrap();
    let listed: Vec<(u8, String)> = readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            Some((cells.get(1)?.parse().ok()?, (*cells.get(2)?).to_owned()))
        })
        .collect();
    let ours = [
        ExitStatus::Pass,
        ExitStatus::Fail,
        ExitStatus::AdapterError,
        ExitStatus::Usage,
        ExitStatus::NoClass,
    ]
    .map(|status| (status.code(), status.to_string()));
    assert_eq!(listed, ours, "conformance/README.md section 3 and ExitStatus differ");
}

#[test]
fn the_classes_are_the_ones_the_readme_lists() {
    let readme =
        std::fs::read_to_string(paycode_test_support::repo_root().join("conformance/README.md")).unwrap();
    let section = &readme[readme.find("## 4. Conformance classes").unwrap()..readme.find("## 5.").unwrap()];
    let names = |cell: &str| -> Vec<String> {
        cell.split(',')
            .map(|s| s.trim().trim_matches('`').to_owned())
            .filter(|s| !s.is_empty() && s != "—")
            .collect()
    };
    let listed: Vec<(String, Vec<String>, Vec<String>)> = section
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            (cells.len() == 6).then(|| (name.to_owned(), names(cells[2]), names(cells[3])))
        })
        .collect();
    let ours: Vec<(String, Vec<String>, Vec<String>)> = conformance::classes::CLASSES
        .iter()
        .map(|c| {
            (
                c.name.to_owned(),
                c.ops.iter().map(|op| op.name().to_owned()).collect(),
                c.subjects.iter().map(|s| s.name().to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(listed, ours, "conformance/README.md section 4 and CLASSES differ");
}

#[test]
fn the_html_title_says_one_run_or_several_and_failures_come_first() {
    let d = TempDir::new("conf-html");
    let s = suite(&d);
    let right = run(&mut adapter(&d, "right", RIGHT, Duration::from_secs(10)), &s);
    // Wrong on the last case only, so that suite order would show it last.
    let body = RIGHT.replace("{\"result\": \"invalid\", \"error\": \"replayed\"}", "{\"result\": \"valid\"}");
    let wrong = run(&mut adapter(&d, "wrong", &body, Duration::from_secs(10)), &s);
    let one = report::matrix(std::slice::from_ref(&wrong));
    assert!(one.contains("<title>paycode conformance report: wrong 0</title>"), "{}", &one[..200]);
    let both = report::matrix(&[right, wrong]);
    assert!(both.contains("<title>paycode conformance matrix: 2 runs compared</title>"));
    for html in [&one, &both] {
        let cases = &html[html.find("<h2>Cases</h2>").unwrap()..];
        let first_row = &cases[cases.find("<tr><td>").unwrap()..];
        assert!(first_row.starts_with("<tr><td>hmac.scenario.two-steps</td>"), "{}", &first_row[..80]);
    }
}

/// A suite of three base45-decode cases whose inputs are 1 MiB each, far
/// more than a pipe holds.
fn large_suite(dir: &TempDir) -> Suite {
    let text = "A".repeat(1 << 20);
    let cases: Vec<serde_json::Value> = (0..3)
        .map(|i| {
            serde_json::json!({
                "id": format!("base45.decode.large-{i}"), "requirements": ["R-ENC-2"], "comment": "A large case.",
                "flags": ["Valid"], "op": "base45-decode", "input": {"text": text},
                "expected": {"result": "invalid", "error": "malformed"}
            })
        })
        .collect();
    let file = serde_json::json!({"format": "paycode-vectors-v1", "spec_version": "paycode v3", "name": "large",
        "description": "Large cases.", "sources": [], "notes": {}, "retired": [], "cases": cases});
    std::fs::write(dir.join("large.json"), file.to_string()).unwrap();
    Suite::load_dir(dir.path()).unwrap()
}

/// A Python adapter that answers `hello`, appends its process id and that
/// of a `sleep` it starts to `pids`, and then reads nothing more.
fn deaf_adapter(dir: &TempDir, timeout: Duration) -> StdioAdapter {
    let script = format!(
        r#"import json, os, subprocess, sys, time
child = subprocess.Popen(["sleep", "300"])
with open({pids:?}, "a") as f:
    f.write("%d\n%d\n" % (os.getpid(), child.pid))
m = json.loads(sys.stdin.readline())
print(json.dumps({{"seq": m["seq"], "type": "hello", "contract": "paycode-adapter/1",
                  "implementation": {{"name": "deaf", "version": "0"}},
                  "ops": ["base45-decode", "scenario"], "profiles": ["hmac"]}}), flush=True)
time.sleep(300)
"#,
        pids = dir.join("pids").display().to_string()
    );
    let path = dir.join("deaf.py");
    std::fs::write(&path, script).unwrap();
    StdioAdapter::new(&format!("python3 {}", path.display()), timeout)
}

/// Whether process `pid` is gone: no such process, or one that has exited
/// and waits only to be reaped.
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// The adapter's processes, read from `pids`, are all gone within a grace period.
fn assert_all_gone(dir: &TempDir) {
    let pids = std::fs::read_to_string(dir.join("pids")).unwrap();
    let pids: Vec<&str> = pids.lines().collect();
    assert!(pids.len() >= 2, "{pids:?}");
    let start = Instant::now();
    while !pids.iter().all(|p| gone(p)) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<&&str> = pids.iter().filter(|p| !gone(p)).collect();
    assert!(left.is_empty(), "processes of the adapter still running: {left:?}");
}

#[test]
fn a_request_the_adapter_does_not_read_hangs_within_the_timeout() {
    let d = TempDir::new("conf-deaf");
    let s = large_suite(&d);
    let mut a = deaf_adapter(&d, Duration::from_millis(1000));
    let start = Instant::now();
    let r = conformance::run(&s, &mut a, &Selection::default(), |_, _, _| {}).unwrap();
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert_eq!(r.status(), ExitStatus::AdapterError);
    assert!(r.totals["HANG"] >= 1, "{:?}", r.totals);
    assert!(r.cases.iter().all(|c| c.verdict == Verdict::Hang), "{:#?}", r.cases);
    // Each start of it was killed, with the process it started.
    assert_all_gone(&d);
}

#[test]
fn a_hanging_adapter_is_killed_with_every_process_it_started() {
    let d = TempDir::new("conf-group");
    let s = suite(&d);
    let pids = d.join("pids").display().to_string();
    let body = "        time.sleep(300)\n        continue";
    // Written by `adapter`, then made to record its process id and start a `sleep`.
    drop(adapter(&d, "spin", body, Duration::from_millis(1000)));
    let script = d.join("spin.py");
    let text = std::fs::read_to_string(&script).unwrap().replacen(
        "n = 0\n",
        &format!(
            "import os, subprocess\nchild = subprocess.Popen(['sleep', '300'])\n\
             open({pids:?}, 'a').write('%d\\n%d\\n' % (os.getpid(), child.pid))\nn = 0\n"
        ),
        1,
    );
    std::fs::write(&script, text).unwrap();
    // A command after it, so that the shell forks python3 rather than becoming it.
    let mut a =
        StdioAdapter::new(&format!("python3 {}; exit 0", script.display()), Duration::from_millis(1000));
    let r = run(&mut a, &s);
    assert_eq!(r.status(), ExitStatus::AdapterError);
    assert!(r.totals["HANG"] >= 1, "{:?}", r.totals);
    assert_all_gone(&d);
}

#[test]
fn listing_mutants_is_bounded_in_time_and_size() {
    use paycode_conformance::kill::{MAX_MUTANT_LIST, list_mutants};
    let d = TempDir::new("conf-list");
    let lists = d.join("lists.sh");
    std::fs::write(&lists, "echo one\necho\necho '  two  '\n").unwrap();
    let names = list_mutants(&format!("sh {}", lists.display()), Duration::from_secs(10)).unwrap();
    assert_eq!(names, ["one", "two"]);
    // One that never answers, and starts a process that would outlive it.
    let pids = d.join("pids").display().to_string();
    let hang = d.join("hang.py");
    std::fs::write(
        &hang,
        format!(
            "import os, subprocess, time\nchild = subprocess.Popen(['sleep', '300'])\n\
             open({pids:?}, 'a').write('%d\\n%d\\n' % (os.getpid(), child.pid))\ntime.sleep(300)\n"
        ),
    )
    .unwrap();
    let start = Instant::now();
    let e = list_mutants(&format!("python3 {}; exit 0", hang.display()), Duration::from_secs(2)).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?}", start.elapsed());
    assert!(matches!(e, AdapterError::ListMutantsTimeout { .. }), "{e}");
    assert!(e.to_string().contains("within 2 s"), "{e}");
    assert_all_gone(&d);
    // One that writes without end.
    let start = Instant::now();
    let e = list_mutants("yes mutant #", Duration::from_secs(20)).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?}", start.elapsed());
    assert!(matches!(e, AdapterError::MutantListTooLong { .. }), "{e}");
    assert!(e.to_string().contains(&MAX_MUTANT_LIST.to_string()), "{e}");
    // One that fails.
    assert!(matches!(list_mutants("exit 3", Duration::from_secs(10)), Err(AdapterError::NoMutants(_))));
}
