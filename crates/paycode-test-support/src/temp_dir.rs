//! Temporary folders for tests that write files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// An empty folder of its own under the system's temporary folder
/// ([`std::env::temp_dir`], never the repository), removed with everything in
/// it when dropped, also when the test fails.
///
/// The folder is `paycode-{name}-{process id}-{n}`, `n` counting the folders
/// the process made: tests running at once, in one process or in several,
/// never share one. On Unix only its owner may read it (mode 0700).
///
/// ```
/// use paycode_test_support::TempDir;
///
/// let dir = TempDir::new("example");
/// std::fs::write(dir.join("state.json"), "{}").unwrap();
/// let kept = dir.path().to_owned();
/// assert!(kept.join("state.json").exists());
/// drop(dir);
/// assert!(!kept.exists());
/// ```
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates the folder; `name` says which test it is for.
    ///
    /// # Panics
    ///
    /// If the folder cannot be created.
    pub fn new(name: &str) -> TempDir {
        static MADE: AtomicU32 = AtomicU32::new(0);
        let pid = std::process::id();
        loop {
            let n = MADE.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("paycode-{name}-{pid}-{n}"));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&path) {
                Ok(()) => return TempDir { path },
                // Left by an earlier process with the same id: take the next number.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => panic!("cannot create {}: {e}", path.display()),
            }
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` inside the folder.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }

    /// The path of `name` inside the folder as a string, for a command line.
    ///
    /// # Panics
    ///
    /// If the path is not UTF-8.
    pub fn arg(&self, name: impl AsRef<Path>) -> String {
        let path = self.join(name);
        path.to_str().unwrap_or_else(|| panic!("not UTF-8: {}", path.display())).to_owned()
    }

    /// The names of the entries in the folder, sorted.
    ///
    /// # Panics
    ///
    /// If the folder cannot be read or a name is not UTF-8.
    pub fn names(&self) -> std::collections::BTreeSet<String> {
        std::fs::read_dir(&self.path)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", self.path.display()))
            .map(|e| {
                e.unwrap_or_else(|e| panic!("cannot list: {e}")).file_name().into_string().unwrap_or_default()
            })
            .collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
