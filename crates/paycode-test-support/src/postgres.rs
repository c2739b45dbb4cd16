//! A PostgreSQL server of the tests' own: a temporary cluster made with
//! `initdb`, started with `pg_ctl` on a free local port with `fsync=on`,
//! stopped and removed on drop (so never keep one in a `static`; see
//! [`Cluster::shared`]). No test depends on a server left running.
//!
//! PostgreSQL refuses to run as root, so when the tests run as root the
//! cluster belongs to a system user, `paycode-test`, created on first use.
//! A machine without PostgreSQL fails the test with how to install it
//! (`scripts/test.sh` installs it when it runs as root).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::TempDir;
use crate::scratch::{is_root, run};

/// The system user that owns the clusters when the tests run as root.
pub const TEST_USER: &str = "paycode-test";

/// A running PostgreSQL server in a temporary folder.
pub struct Cluster {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
    user: Option<&'static str>,
}

impl Cluster {
    /// Makes a cluster and starts it. Panics, saying how to install
    /// PostgreSQL, if `initdb` cannot be found.
    pub fn start() -> Cluster {
        let bin = bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH): \
                 install it with `apt-get install postgresql` (scripts/test.sh does so when run as root)"
            )
        });
        let user = is_root().then(|| {
            ensure_user();
            TEST_USER
        });
        let dir = TempDir::new("pg");
        if user.is_some() {
            run(Command::new("chown").args(["-R", TEST_USER]).arg(dir.path()));
        }
        let cluster = Cluster { bin, dir, port: 0, user };
        run(cluster
            .command("initdb")
            .args(["-U", "paycode", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "-D"])
            .arg(cluster.data()));
        let mut cluster = cluster;
        cluster.port = free_port();
        cluster.launch();
        cluster
    }

    /// A cluster shared by the tests of one process that run at the same
    /// time: started by the first, stopped and removed when the last one
    /// drops its handle. A `static` cluster would never be dropped, and
    /// would leave its server running after the tests.
    pub fn shared() -> Arc<Cluster> {
        static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
        let mut slot = SHARED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = slot.upgrade() {
            return c;
        }
        let c = Arc::new(Cluster::start());
        *slot = Arc::downgrade(&c);
        c
    }

    /// The URL to connect with, as `PostgresStore::connect` takes it.
    pub fn url(&self) -> String {
        format!("postgresql://paycode@127.0.0.1:{}/postgres", self.port)
    }

    /// The URL of the same server with `search_path` set to `schema`, so that
    /// each test case can have tables of its own.
    pub fn url_with_schema(&self, schema: &str) -> String {
        format!("{}?options=-c%20search_path%3D{schema}", self.url())
    }

    /// The port it listens on.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Runs SQL through `psql`; returns its unaligned output.
    pub fn psql(&self, sql: &str) -> String {
        run(self
            .command("psql")
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "paycode",
                "-d",
                "postgres",
                "-p",
            ])
            .arg(self.port.to_string())
            .args(["-c", sql]))
    }

    /// A command of the PostgreSQL installation, run as the cluster's owner.
    pub fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        let mut c = match self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        // The owner may not be allowed into the tests' working folder.
        c.current_dir(self.dir.path());
        c
    }

    /// Stops the server (fast shutdown); [`Cluster::restart`] starts it again.
    pub fn stop(&self) {
        run(self.command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "fast", "-w", "stop"]));
    }

    /// Starts the stopped server again, on the same port.
    pub fn restart(&self) {
        self.launch();
    }

    fn launch(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"]));
        // Ready means accepting connections on the port.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("PostgreSQL did not listen on port {}", self.port);
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// The folder of `initdb`, `pg_ctl` and `postgres`: Debian's newest
/// `/usr/lib/postgresql/N/bin`, else the folder of `initdb` on PATH.
pub fn bin_dir() -> Option<PathBuf> {
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

/// Creates the system user [`TEST_USER`] unless it exists.
fn ensure_user() {
    let exists = || Command::new("id").arg("-u").arg(TEST_USER).output().is_ok_and(|o| o.status.success());
    if exists() {
        return;
    }
    let _ = Command::new("useradd")
        .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER])
        .output();
    // Another test may have created it at the same moment.
    assert!(exists(), "cannot create the system user {TEST_USER} that owns the test clusters");
}

/// A local TCP port nobody listens on now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
