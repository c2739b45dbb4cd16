//! Hostile inputs through `paycode verify`: the world the command is set up
//! with, and which inputs it is given and how.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use paycode::Error;
use paycode_test_support::TempDir;
use serde_json::Value;

use crate::inputs::Case;
use crate::oracle::World;
use crate::{CLI, T};

/// An issuer with one hmac and one ed25519 wallet, made with the CLI at T,
/// and one code of each (with the hmac code's digits).
pub fn cli_world(dir: &TempDir) -> (PathBuf, World) {
    let issuer = dir.join("issuer.json");
    let at = T.to_string();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    // Imported seeds, so that the inputs are the same on every run.
    CLI.stdout(&["issuer", "init", "--out", &s(&issuer), "--at", &at, "--seed", &"44".repeat(32)]);
    let mut genuine = Vec::new();
    for (profile, seed) in [("hmac", "55"), ("ed25519", "66")] {
        let wallet = dir.join(format!("{profile}.json"));
        let (i, w, seed) = (s(&issuer), s(&wallet), seed.repeat(32));
        CLI.stdout(&[
            "wallet",
            "enroll",
            "--issuer",
            &i,
            "--profile",
            profile,
            "--out",
            &w,
            "--at",
            &at,
            "--seed",
            &seed,
        ]);
        let code: Value =
            serde_json::from_str(&CLI.stdout(&["code", "--wallet", &s(&wallet), "--at", &at, "--json"]))
                .unwrap();
        genuine.push(code["text"].as_str().unwrap().to_owned());
        if let Some(d) = code["digits"].as_str() {
            // The digits are the same code (same counter) as the QR text.
            genuine.push(d.to_owned());
        }
    }
    (issuer, World { trusted: vec![1], genuine })
}

/// How an input reaches `paycode verify`.
#[derive(Clone, Copy, Debug)]
pub enum Via {
    Argument,
    Stdin,
}

/// Picks about `n` cases, evenly spaced within each expected error code (at
/// least 20 of each), and how to deliver each: standard input for NUL bytes
/// and inputs too long for an argument, and for every third of the others
/// unless a trailing line ending would be taken off; the argument otherwise.
pub fn sample(world: &World, cases: Vec<Case>, n: usize) -> Vec<(Case, Via)> {
    let total = cases.len();
    let mut groups: BTreeMap<&'static str, Vec<Case>> = BTreeMap::new();
    for c in cases {
        let code = world.expect(&c.input).err().map_or("accepted", Error::code);
        groups.entry(code).or_default().push(c);
    }
    let mut out = Vec::new();
    for group in groups.into_values() {
        let want = (group.len() * n / total).max(20);
        let stride = group.len().div_ceil(want).max(1);
        for (i, c) in group.into_iter().enumerate() {
            if i % stride != 0 && c.input.len() <= 100_000 {
                continue;
            }
            let must_stdin = c.input.contains(&0) || c.input.len() > 100_000;
            let via = if must_stdin || (out.len() % 3 == 0 && !c.input.ends_with(b"\n")) {
                Via::Stdin
            } else {
                Via::Argument
            };
            out.push((c, via));
        }
    }
    out
}
