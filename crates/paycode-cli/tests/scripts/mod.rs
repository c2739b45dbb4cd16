//! The steps the attack scripts share, against the `paycode` command: an
//! issuer made at [`T`], its wallets enrolled at [`T`], a wallet's next code.

// Each script uses a part of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use paycode_test_support::{Cli, TempDir};
use serde_json::Value;

/// The time the scripts start at, the start of a step.
pub const T: u64 = 1_800_000_000;

/// The command under test.
pub const CLI: Cli = Cli::new(env!("CARGO_BIN_EXE_paycode"));

/// A path as a command argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `issuer init` at [`T`] with `args`, written to `issuer.json` in `dir`.
pub fn issuer(dir: &TempDir, args: &[&str]) -> PathBuf {
    let issuer = dir.join("issuer.json");
    CLI.stdout(&[&["issuer", "init", "--out", s(&issuer), "--at", &T.to_string()][..], args].concat());
    issuer
}

/// A wallet of `profile` enrolled with `issuer` at [`T`], with `args`,
/// written to `name` in `dir`.
pub fn enroll(dir: &TempDir, issuer: &Path, profile: &str, name: &str, args: &[&str]) -> PathBuf {
    let wallet = dir.join(name);
    let at = T.to_string();
    let base =
        ["wallet", "enroll", "--issuer", s(issuer), "--profile", profile, "--out", s(&wallet), "--at", &at];
    CLI.stdout(&[&base[..], args].concat());
    wallet
}

/// The wallet's next code, made with the phone's clock at `at`.
pub fn code(wallet: &Path, at: u64) -> String {
    let out = CLI.stdout(&["code", "--wallet", s(wallet), "--at", &at.to_string(), "--only", "text"]);
    out.trim_end().to_owned()
}

/// Rewrites the issuer file `issuer` with `edit` (kept at mode 0600).
pub fn edit(issuer: &Path, edit: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(issuer).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(issuer, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(issuer, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}
