//! The spec's §11.4 run as written: every command of its shell block, in
//! order, in an empty folder, with `paycode` this command. The codes they
//! print must be the worked examples' values of §11.1 to §11.3, read from
//! the spec's `example` blocks, so the text cannot drift from the tool.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use paycode_test_support::TempDir;
use serde_json::Value;

const SPEC: &str = include_str!("../../../spec/paycode-v3.md");

/// Every `key: value` line of the spec's ```example blocks.
fn example_values() -> BTreeMap<&'static str, &'static str> {
    let mut values = BTreeMap::new();
    let mut inside = false;
    for line in SPEC.lines() {
        if line.trim_start().starts_with("```") {
            inside = line.trim() == "```example";
            continue;
        }
        if inside {
            let (k, v) = line.split_once(": ").unwrap();
            values.insert(k.trim(), v);
        }
    }
    values
}

/// The commands of the shell block of §11.4, continuation lines joined.
fn section_11_4_commands() -> Vec<String> {
    let start = SPEC.find("### 11.4 ").expect("spec §11.4");
    let section = &SPEC[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let block = section.split("```sh\n").nth(1).expect("a ```sh block in §11.4");
    let block = &block[..block.find("```").unwrap()];
    block.replace("\\\n", " ").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn run(dir: &Path, command: &str) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_paycode")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("sh").arg("-c").arg(command).current_dir(dir).env("PATH", path).output().unwrap();
    assert!(out.status.success(), "{command}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_commands_of_section_11_4_print_the_worked_examples() {
    let values = example_values();
    let commands = section_11_4_commands();
    assert!(commands.iter().all(|c| c.starts_with("paycode ")), "{commands:?}");
    let dir = TempDir::new("spec-11-4");
    let mut codes = Vec::new();
    for command in &commands {
        let out = run(dir.path(), command);
        if command.starts_with("paycode code ") {
            codes.push(serde_json::from_str::<Value>(&out).unwrap());
        }
    }
    // The four codes the section names, in its order.
    assert_eq!(codes.len(), 4, "{commands:?}");
    let field =
        |i: usize, name: &str| codes[i][name].as_str().unwrap_or_else(|| panic!("code {i} lacks {name}"));
    for (i, name, key) in [
        (0, "text", "hmac.qr_text"),
        (0, "digits", "hmac.digits"),
        (0, "payload", "hmac.payload"),
        (1, "text", "challenge.qr_text"),
        (2, "text", "capped.qr_text"),
        (3, "text", "ed25519.qr_text"),
        (3, "payload", "ed25519.payload"),
    ] {
        assert_eq!(field(i, name), values[key], "§11.4 code {i} `{name}` against §11's {key}");
    }
    assert!(codes[3].get("digits").is_none_or(Value::is_null), "an ed25519 code has no digits");
}
