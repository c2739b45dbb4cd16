//! The README's tour of the command, run as written: the shell block under
//! "A five-minute tour of the command", line by line, in bash, with the exit
//! code of every line checked against its comment (`(exit N)`, else 0).
//!
//! The one line changed is the definition of `paycode`: the tour builds the
//! command with `cargo run`, and the test runs the binary under test instead
//! (a `cargo run` inside `cargo test` would wait for the build lock the test
//! run holds). That line is checked to be the README's, word for word.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The definition of `paycode` the tour uses.
const CARGO_RUN: &str = r#"paycode() { cargo run -q --release --manifest-path "$repo/Cargo.toml" -- "$@"; }"#;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The tour's lines, continuation lines joined: (line number in the README, text).
fn tour() -> Vec<(usize, String)> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let heading =
        lines.iter().position(|l| *l == "## A five-minute tour of the command").expect("no tour heading");
    let start = heading + lines[heading..].iter().position(|l| *l == "```sh").expect("no sh block") + 1;
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut continued = false;
    for (i, line) in lines.iter().enumerate().skip(start) {
        if *line == "```" {
            break;
        }
        if continued {
            out.last_mut().unwrap().1.push_str(&format!("\n{line}"));
        } else if !line.trim().is_empty() {
            out.push((i + 1, (*line).to_owned()));
        }
        continued = line.trim_end().ends_with('\\');
    }
    out
}

/// The exit code a tour line's comment documents: `(exit N)`, else 0.
fn documented_exit(line: &str) -> i32 {
    line.rsplit_once("(exit ").and_then(|(_, rest)| rest.split(')').next()?.parse().ok()).unwrap_or(0)
}

#[test]
fn the_readme_tour_runs_as_written() {
    let tour = tour();
    assert!(tour.len() > 20, "{tour:?}");
    assert!(
        tour[0].1.starts_with(r#"repo="$PWD""#) && tour[1].1.starts_with(r#"cd "$(mktemp -d)""#),
        "{tour:?}"
    );
    assert_eq!(tour[2].1, CARGO_RUN, "the tour defines paycode otherwise; update this test");
    // No placeholder for the user to replace.
    assert!(tour.iter().all(|(_, l)| !l.contains("'PC3:") && !l.contains("/path")), "{tour:?}");

    let mut script = String::from("set -o pipefail\n");
    for (n, line) in &tour {
        let line = if line == CARGO_RUN { r#"paycode() { "$PAYCODE_BIN" "$@"; }"# } else { line.as_str() };
        let want = documented_exit(line);
        script.push_str(line);
        script.push_str(&format!(
            "\nrc=$?; if [ $rc -ne {want} ]; then echo \"README line {n}: exit $rc, documented {want}\" >&2; exit 100; fi\n"
        ));
    }
    script.push_str("pwd\n");
    // mktemp -d makes its folder here, which the test removes.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tour-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(repo_root())
        .env("PAYCODE_BIN", env!("CARGO_BIN_EXE_paycode"))
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");

    // The tour ran in its own folder, and wrote what it says there.
    let folder = PathBuf::from(stdout.lines().last().unwrap());
    assert!(folder.starts_with(&tmp), "{folder:?}");
    for f in ["issuer.json", "alice.json", "bob.json", "a.png", "a-bar.png", "state.db", "terminal.log"] {
        assert!(folder.join(f).exists(), "{f} missing");
    }
    assert!(!folder.join("stat.db").exists());
    // The two exported logs: three acceptances at the first terminal, one at the second.
    let records =
        |f: &str| paycode::log::LogRecord::decode_log(&std::fs::read(folder.join(f)).unwrap()).unwrap();
    assert_eq!(records("terminal.log").len(), 3);
    assert_eq!(records("other-terminal.log").len(), 1);
    // What the comments say it prints.
    for said in [
        "account id 1",
        "payer 1, 8 credential(s)",
        "text: PC3:",
        "digits: ",
        "wrote a.png (QR code, PNG)",
        "wrote a-bar.png (barcode, PNG)",
        "rejected: replayed",
        "3 acceptance record(s) written to terminal.log",
        "0 double acceptance(s), 1 copy, 0 identities flagged",
        "rejected: revoked",
    ] {
        assert!(stdout.contains(said), "{said:?} not printed:\n{stdout}");
    }
    assert!(stderr.contains("stat.db does not exist"), "{stderr}");
    // Run in the repository itself, the tour would leave nothing untracked:
    // .gitignore covers every file it writes, lock files included.
    let written: Vec<String> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(written.iter().any(|n| n == ".alice.json.lock"), "{written:?}");
    let ignored = Command::new("git")
        .args(["check-ignore", "--no-index", "--verbose", "--non-matching", "--"])
        .args(&written)
        .current_dir(repo_root())
        .output()
        .expect("git is needed to read .gitignore");
    let report = String::from_utf8_lossy(&ignored.stdout);
    let unmatched: Vec<&str> = report.lines().filter(|l| l.starts_with("::")).collect();
    assert!(
        unmatched.is_empty() && report.lines().count() == written.len(),
        "not in .gitignore: {unmatched:?}"
    );
    std::fs::remove_dir_all(&tmp).unwrap();
}

#[test]
fn documented_exits_are_read_from_the_comment() {
    assert_eq!(documented_exit("paycode verify x   # rejected: replayed (exit 1)"), 1);
    assert_eq!(documented_exit("paycode state init --state s.db"), 0);
    assert_eq!(documented_exit("a \\\n  b   # accepted (exit 0)"), 0);
    assert_eq!(documented_exit("x  # an error (exit 2)"), 2);
}
