//! When the tests run as root, a small file system of their own that can be
//! filled or made read-only, to see how a store fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::TempDir;

/// Whether this process runs as root (it can mount file systems and ignores
/// file modes).
pub fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|effective| effective == "0")
}

/// Whether a test case that needs root (a file system of its own to fill
/// or make read-only) can run: `true` as root. Otherwise it says on stderr
/// that `case` is left out, and returns `false`; unless the environment
/// variable `PAYCODE_ROOT_CASES` is `required` (CI sets it), when it fails
/// the test instead, so that no such case is left out where it must run.
pub fn root_case(case: &str) -> bool {
    if is_root() {
        return true;
    }
    assert!(
        std::env::var("PAYCODE_ROOT_CASES").as_deref() != Ok("required"),
        "not root, and PAYCODE_ROOT_CASES=required: {case} needs root"
    );
    eprintln!(
        "not root: {case} runs as root only (CI runs it; PAYCODE_ROOT_CASES=required makes it fail here)"
    );
    false
}

/// A tmpfs of a few kilobytes mounted on a fresh folder (root only),
/// unmounted and removed on drop.
pub struct SmallFs {
    dir: TempDir,
}

impl SmallFs {
    /// Mounts a tmpfs of `kib` KiB. Panics unless running as root.
    pub fn mount(kib: u32) -> SmallFs {
        assert!(is_root(), "mounting a tmpfs needs root");
        let dir = TempDir::new("smallfs");
        run(Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k,mode=0755",), "tmpfs"])
            .arg(dir.path()));
        SmallFs { dir }
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the file system.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Fills the file system: writes a filler file until a write fails for
    /// lack of space. Returns the filler's path; removing it frees the space.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.join("filler");
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&filler).unwrap();
        let block = [0xA5u8; 4096];
        loop {
            match f.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling {}: {e}", filler.display()),
            }
        }
        // The last partial block, byte by byte.
        while f.write(&[0]).is_ok_and(|n| n == 1) {}
        let _ = f.sync_all();
        filler
    }

    /// Remounts the file system read-only (`true`) or read-write (`false`).
    pub fn set_read_only(&self, read_only: bool) {
        let opt = if read_only { "remount,ro" } else { "remount,rw" };
        run(Command::new("mount").args(["-o", opt]).arg(self.path()));
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

/// Runs `cmd`, panicking with its output if it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
