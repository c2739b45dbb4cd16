//! What the benches share: the criterion settings, fixtures, the runner that
//! times operations over a pool of prepared inputs, and the record of the
//! machine and curve25519-dalek backend a run used.

// Each bench binary uses a different part of this module.
#![allow(dead_code)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::Criterion;
use paycode::issuer::KeyPeriod;
use paycode::trust::TrustList;
use paycode::{CredentialFields, Ed25519Wallet, HmacWallet, Issuer, Params, Seed, Verifier};

/// The verifier's clock in every bench (2027-01-15).
pub const NOW: u64 = 1_800_000_000;
/// Accounts (or credentials) a verifier holds while a bench runs.
pub const ACCOUNTS: u64 = 1_000;

/// A few seconds per benchmark; `cargo bench -- --measurement-time ...`
/// and the other criterion options override these.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(60)
        .nresamples(20_000)
        .without_plots()
}

/// The step of [`NOW`].
pub fn step() -> u64 {
    NOW / Params::default().step_secs()
}

/// Runs `op` `iters` times over `pool`, in order, and returns the time spent
/// in `op` alone. Each pass over the pool starts on a state from `fresh`,
/// built untimed, so every operation sees the state a real stream of fresh
/// codes would (the pool's codes are used once per state).
pub fn over_pool<S, T>(
    iters: u64,
    pool: &[T],
    mut fresh: impl FnMut() -> S,
    mut op: impl FnMut(&S, &T),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let state = fresh();
        let n = left.min(pool.len() as u64) as usize;
        let start = Instant::now();
        for item in &pool[..n] {
            op(&state, black_box(item));
        }
        total += start.elapsed();
        left -= n as u64;
    }
    total
}

/// The seed of hmac account `id`.
pub fn account_seed(id: u64) -> Seed {
    let mut bytes = [0x5a; 32];
    bytes[..8].copy_from_slice(&id.to_be_bytes());
    Seed::from_bytes(&bytes)
}

/// Wallets of accounts `ids`.
pub fn hmac_wallets(ids: std::ops::Range<u64>) -> Vec<HmacWallet> {
    ids.map(|id| HmacWallet::new(Params::default(), id, &account_seed(id), 0)).collect()
}

/// A verifier with accounts `ids` enrolled.
pub fn hmac_verifier(ids: std::ops::Range<u64>) -> Verifier {
    let mut v = Verifier::new(Params::default(), 1);
    for id in ids {
        v.add_account(id, &account_seed(id));
    }
    v
}

/// The issuer of every ed25519 bench.
pub fn issuer() -> Issuer {
    Issuer::from_seed(&Seed::from_bytes(&[0x11; 32]))
}

/// The trust list of [`issuer`]'s key 1, list 1 signed by its root key.
pub fn trust_list(issuer: &Issuer) -> TrustList {
    let period = KeyPeriod { key_id: 1, not_before: NOW - 86_400 * 60, not_after: NOW + 86_400 * 60 };
    match issuer.trust_list(paycode::TrustHeader { sequence: 1, issued_at: NOW - 3_600 }, &[period]) {
        Ok(t) => t,
        Err(e) => panic!("trust list: {e}"),
    }
}

/// The device seed of ed25519 wallet `n`.
pub fn device_seed(n: u64) -> Seed {
    let mut bytes = [0xd7; 32];
    bytes[..8].copy_from_slice(&n.to_be_bytes());
    Seed::from_bytes(&bytes)
}

/// Ed25519 wallet `n`: device key `n`, credential serial `serial`.
pub fn ed25519_wallet(issuer: &Issuer, n: u64, serial: u64) -> Ed25519Wallet {
    let seed = device_seed(n);
    let credential = issuer.issue(CredentialFields {
        key_id: 1,
        serial,
        device_key: Ed25519Wallet::device_public_key(&seed, 0),
        not_before: NOW - 3_600,
        lifetime: 86_400,
        per_payment_limit: 1_000_000,
        cumulative_limit: u32::MAX,
    });
    match Ed25519Wallet::new(Params::default(), &seed, 0, credential, 0) {
        Ok(w) => w,
        Err(e) => panic!("wallet: {e}"),
    }
}

/// The curve25519-dalek backend this binary runs with: the backends it was
/// built with (the `curve25519_dalek_backend` cfg, as curve25519-dalek's
/// build script reads it) narrowed by what the CPU has, in the order
/// curve25519-dalek tries them.
pub fn dalek_backend() -> &'static str {
    #[cfg(all(
        target_arch = "x86_64",
        any(
            curve25519_dalek_backend = "avx512",
            all(
                not(any(
                    curve25519_dalek_backend = "simd",
                    curve25519_dalek_backend = "serial",
                    curve25519_dalek_backend = "fiat"
                )),
                target_feature = "avx512ifma",
                target_feature = "avx512vl"
            )
        )
    ))]
    if std::is_x86_feature_detected!("avx512ifma") && std::is_x86_feature_detected!("avx512vl") {
        return "avx512ifma";
    }
    #[cfg(all(
        target_arch = "x86_64",
        target_pointer_width = "64",
        not(any(curve25519_dalek_backend = "serial", curve25519_dalek_backend = "fiat"))
    ))]
    if std::is_x86_feature_detected!("avx2") {
        return "avx2";
    }
    "serial"
}

/// The backend cfg this binary was built with.
pub fn dalek_backend_cfg() -> &'static str {
    if cfg!(curve25519_dalek_backend = "avx512") {
        "avx512"
    } else if cfg!(curve25519_dalek_backend = "simd") {
        "simd"
    } else if cfg!(curve25519_dalek_backend = "serial") {
        "serial"
    } else if cfg!(curve25519_dalek_backend = "fiat") {
        "fiat"
    } else {
        "default"
    }
}

/// CPU features the run detected at run time.
pub fn cpu_features() -> Vec<(&'static str, bool)> {
    #[cfg(target_arch = "x86_64")]
    {
        vec![
            ("sha", std::is_x86_feature_detected!("sha")),
            ("avx2", std::is_x86_feature_detected!("avx2")),
            ("avx512ifma", std::is_x86_feature_detected!("avx512ifma")),
            ("avx512vl", std::is_x86_feature_detected!("avx512vl")),
        ]
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Vec::new()
    }
}

/// Where criterion writes its results, found the way criterion finds it,
/// with the bench executable's location (`<target>/release/deps/`) in place
/// of asking cargo.
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    let exe = std::env::current_exe().ok();
    match exe.as_deref().and_then(|e| e.parent()?.parent()?.parent()) {
        Some(target) => target.join("criterion"),
        None => PathBuf::from("target/criterion"),
    }
}

/// The record of one bench group's run, for the report: what the binary ran
/// with, when, and the machine's load as it started and as it finished (the
/// machine may be shared). [`Run::start`] writes it; [`Run::finish`] writes
/// it again with the end.
pub struct Run {
    name: String,
    started: u64,
    load: String,
}

impl Run {
    /// Starts the record of group `name`.
    pub fn start(name: &str) -> Run {
        let run = Run { name: name.to_string(), started: unix_now(), load: load_average() };
        run.write("");
        run
    }

    /// Completes the record, with `extra` fields (a JSON object body, or empty).
    pub fn finish(self, extra: &str) {
        let end =
            format!("\"finished_unix\": {},\n  \"load_average_1min_end\": {}", unix_now(), load_average());
        self.write(&if extra.is_empty() { end } else { format!("{end},\n  {extra}") });
    }

    /// Writes `<criterion home>/paycode/<name>.json`.
    fn write(&self, extra: &str) {
        let dir = criterion_home().join("paycode");
        let features: Vec<String> = cpu_features().iter().map(|(f, on)| format!("\"{f}\": {on}")).collect();
        let mut json = format!(
            "{{\n  \"bench\": \"{}\",\n  \"dalek_backend\": \"{}\",\n  \"dalek_backend_cfg\": \"{}\",\n  \"cpu_features\": {{{}}},\n  \"started_unix\": {},\n  \"load_average_1min\": {}",
            self.name,
            dalek_backend(),
            dalek_backend_cfg(),
            features.join(", "),
            self.started,
            self.load
        );
        if !extra.is_empty() {
            json.push_str(",\n  ");
            json.push_str(extra);
        }
        json.push_str("\n}\n");
        let written = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join(format!("{}.json", self.name)), json));
        if let Err(e) = written {
            eprintln!("could not write the run record to {}: {e}", dir.display());
        }
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The 1-minute load average, as JSON (`null` if unknown).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "null".to_string())
}
