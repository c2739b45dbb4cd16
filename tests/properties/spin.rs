//! Spin's runs of the Promela model, replayed against the real verifier.
//!
//! `spec/model/trails.sh` runs `spec/model/paycode.pml` in Spin (random
//! simulations and runs to a goal of the correct model, and the
//! counterexample of each broken variant) and writes the actions the model
//! printed to `spec/model/runs.txt`. Here each run becomes a list of the
//! world's actions, so that the Promela model, the executable model of
//! `model.rs` and the real `Verifier` meet on the same runs: the world checks
//! the verifier against `model.rs` after every action, and this module checks
//! both against the verdicts and windows Spin printed.
//!
//! The Promela model has one identity, a bitmap of `W` counters and steps
//! from 0. Its identity is replayed as an hmac account and as an ed25519
//! credential; its counters are spread onto the verifier's 64-wide window by
//! `c ↦ ⌊c / W⌋·64 + c mod W`, which keeps every comparison C3 makes (order,
//! equality, and whether two counters are `W`, or 64, or more apart); its
//! step `s` is the time `T0 + s·X`. Its throttle allows `MAXFAIL` failures
//! per step, the spec 8, so each forged call of the model is 8 / `MAXFAIL`
//! forged calls here.

use std::collections::BTreeMap;

use paycode::replay::Window;
use paycode::{Error, Profile};

use crate::model::Ident;
use crate::world::{Action, Amount, CredCfg, Kind, With, World, WorldCfg};

/// The runs, as `spec/model/trails.sh` wrote them.
const RUNS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/model/runs.txt"));

/// The epoch and step length the runs are replayed with.
const T0: u64 = 1_800_000_000;
const X: u64 = 60;

/// The spec's invalid-code verdicts per account and step (R-HMAC-6).
const SPEC_MAXFAIL: u32 = 8;

/// One run of the model.
#[derive(Clone, Debug)]
pub struct Run {
    /// `simulation`, `witness` (a run to a goal) or `counterexample`.
    pub kind: String,
    /// The configuration's or broken variant's name.
    pub name: String,
    /// The `-D` values it was built with.
    pub defines: BTreeMap<String, String>,
    pub steps: Vec<Step>,
}

/// One action the model printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Gen { code: usize, step: u64, counter: u32 },
    Clock { step: u64 },
    Verify { code: usize, clock: u64, verdict: String, entry: bool, high: u32, bitmap: u32, top: u64 },
    Observe { clock: u64 },
    Forge { clock: u64, verdict: String },
    Evict { clock: u64 },
    RestartState { clock: u64 },
    RestartLost { clock: u64 },
}

impl Run {
    fn define(&self, key: &str) -> u64 {
        let v = self.defines.get(key).unwrap_or_else(|| panic!("{}: no {key} in the header", self.name));
        v.parse().unwrap_or_else(|_| panic!("{}: {key}={v}", self.name))
    }

    fn has(&self, key: &str) -> bool {
        self.defines.contains_key(key)
    }

    pub fn title(&self) -> String {
        let seed = self.defines.get("seed").map_or(String::new(), |s| format!(" seed {s}"));
        format!("{} {}{seed}", self.kind, self.name)
    }
}

/// Parses `runs.txt`: `run KIND NAME KEY=VALUE...`, one action per line, `end`.
pub fn runs() -> Vec<Run> {
    let mut out = Vec::new();
    let mut current: Option<Run> = None;
    for (n, line) in RUNS.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let head = words.next().unwrap();
        let fields: BTreeMap<&str, &str> = words.clone().filter_map(|w| w.split_once('=')).collect();
        let num = |k: &str| -> u64 {
            fields
                .get(k)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("runs.txt:{}: {k} in {line:?}", n + 1))
        };
        let text = |k: &str| {
            fields.get(k).unwrap_or_else(|| panic!("runs.txt:{}: {k} in {line:?}", n + 1)).to_string()
        };
        let step = match head {
            "run" => {
                assert!(current.is_none(), "runs.txt:{}: run inside a run", n + 1);
                let kind = words.next().unwrap().to_string();
                let name = words.next().unwrap().to_string();
                let defines =
                    words.filter_map(|w| w.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect();
                current = Some(Run { kind, name, defines, steps: Vec::new() });
                continue;
            }
            "end" => {
                out.push(current.take().unwrap_or_else(|| panic!("runs.txt:{}: end outside a run", n + 1)));
                continue;
            }
            "gen" => {
                Step::Gen { code: num("code") as usize, step: num("step"), counter: num("counter") as u32 }
            }
            "clock" => Step::Clock { step: num("step") },
            "verify" => Step::Verify {
                code: num("code") as usize,
                clock: num("clock"),
                verdict: text("verdict"),
                entry: num("entry") == 1,
                high: num("high") as u32,
                bitmap: num("bitmap") as u32,
                top: num("top"),
            },
            "observe" => Step::Observe { clock: num("clock") },
            "forge" => Step::Forge { clock: num("clock"), verdict: text("verdict") },
            "evict" => Step::Evict { clock: num("clock") },
            "restart-state" => Step::RestartState { clock: num("clock") },
            "restart-lost" => Step::RestartLost { clock: num("clock") },
            other => panic!("runs.txt:{}: unknown action {other:?}", n + 1),
        };
        current
            .as_mut()
            .unwrap_or_else(|| panic!("runs.txt:{}: action outside a run", n + 1))
            .steps
            .push(step);
    }
    assert!(current.is_none(), "runs.txt: the last run has no end");
    out
}

/// What the model and the verifier did at one verify or forge call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub index: usize,
    pub model: String,
    pub verifier: String,
    /// The model's window and the verifier's, both in the verifier's counters,
    /// when the model's entry is live.
    pub windows: Option<(Window, Option<Window>)>,
}

impl Call {
    pub fn agrees(&self) -> bool {
        self.model == self.verifier && self.windows.as_ref().is_none_or(|(m, v)| Some(*m) == *v)
    }
}

/// What a replay saw.
#[derive(Debug, Default)]
pub struct Replayed {
    /// Every verify and forge call, in order.
    pub calls: Vec<Call>,
    /// Second acceptances after a restart with the clock set back (spec §12.8).
    pub exposures: usize,
}

/// Replays `run` with its identity as an account or credential of `profile`.
/// A verifier that disagrees with `model.rs` fails inside the world; the
/// comparison with Spin's verdicts is returned for the caller to judge.
pub fn replay(run: &Run, profile: Profile) -> Replayed {
    let w = run.define("W");
    assert!((2..=64).contains(&w), "{}: W={w}", run.title());
    let map = |c: u32| (c / w as u32) * 64 + c % w as u32;
    let spread = |high: u32, bitmap: u32| {
        (0..w as u32)
            .filter(|k| bitmap >> k & 1 == 1)
            .filter_map(|k| high.checked_sub(k))
            .fold(0u64, |m, c| m | 1u64 << (map(high) - map(c)))
    };
    let per_forge = if run.has("THROTTLE") {
        let maxfail = run.define("MAXFAIL") as u32;
        assert_eq!(SPEC_MAXFAIL % maxfail, 0, "{}: MAXFAIL must divide 8", run.title());
        SPEC_MAXFAIL / maxfail
    } else {
        0
    };
    let who = match profile {
        Profile::Hmac => 0,
        Profile::Ed25519 => 3,
    };
    let mut world = World::start(config(run.define("B"), run.define("F")));
    let id: Ident = world.ident(who);
    let mut out = Replayed::default();
    let (mut now, mut next) = (0u64, 0u32);
    let title = run.title();
    for (index, step) in run.steps.iter().enumerate() {
        let at = format!("{title} ({profile:?}), step {index} {step:?}:");
        let clock_is = |c: u64, now: u64| assert_eq!(c, now, "{at} the model's clock");
        match step {
            Step::Gen { code, step, counter } => {
                assert_eq!(*code, world.pool_len(), "{at} codes in order");
                let c = map(*counter);
                world.act(
                    &Action::Stash {
                        who,
                        offset: *step as i64 - now as i64,
                        jitter: 0,
                        skip: c - next,
                        kind: Kind::OneWay,
                    },
                    &at,
                );
                assert_eq!(world.pool_len(), code + 1, "{at} the wallet made no code");
                next = c + 1;
            }
            Step::Clock { step } => {
                now = *step;
                world.act(&Action::Jump(T0 + now * X), &at);
            }
            Step::Verify { code, clock, verdict, entry, high, bitmap, top } => {
                clock_is(*clock, now);
                world.act(
                    &Action::Replay {
                        pick: *code,
                        recent: false,
                        numeric: false,
                        amount: Amount::Zero,
                        with: With::Nothing,
                    },
                    &at,
                );
                let got = code_of(world.last.unwrap());
                // The model's entry, when live (top >= L), in the verifier's counters.
                let low = world.model.low();
                let windows = (*entry && *top >= low).then(|| {
                    (Window { high: map(*high), bitmap: spread(*high, *bitmap), top: *top }, world.window(id))
                });
                if !*entry || *top < low {
                    let real = world.window(id);
                    assert!(
                        real.is_none_or(|r| r.top < low) || run.kind == "counterexample",
                        "{at} the model has no live entry, the verifier has {real:?}"
                    );
                }
                out.calls.push(Call { index, model: verdict.clone(), verifier: got, windows });
            }
            Step::Observe { clock } => {
                clock_is(*clock, now);
                world.act(&Action::Garbage(0), &at);
            }
            Step::Forge { clock, verdict } => {
                clock_is(*clock, now);
                assert!(per_forge > 0, "{at} a forged code in a run without the throttle");
                let mut seen = Vec::new();
                for _ in 0..per_forge {
                    world.act(&Action::Forge { who }, &at);
                    seen.push(code_of(world.last.unwrap()));
                }
                seen.dedup();
                let got = if seen.len() == 1 { seen.remove(0) } else { format!("{seen:?}") };
                out.calls.push(Call { index, model: verdict.clone(), verifier: got, windows: None });
            }
            Step::Evict { clock } => {
                clock_is(*clock, now);
                world.act(&Action::Evict, &at);
            }
            Step::RestartState { clock } => {
                clock_is(*clock, now);
                world.act(&Action::RestartFromSnapshot { pick: 0 }, &at);
            }
            Step::RestartLost { clock } => {
                clock_is(*clock, now);
                world.act(&Action::RestartLostStateNow, &at);
            }
        }
    }
    out.exposures = world.exposures.len();
    out
}

/// The world of a replay: the run's window, every profile on, counters from
/// 0, credentials valid throughout and limits that never bind.
fn config(b: u64, f: u64) -> WorldCfg {
    let cred = |serial| CredCfg {
        key_id: 1,
        serial,
        back: 0,
        lifetime: 604_800,
        per_payment: u32::MAX,
        total: u32::MAX,
        first: 0,
    };
    WorldCfg {
        t0: T0,
        x: X,
        b,
        f,
        start: T0,
        hmac_on: true,
        ed_on: true,
        accounts: [(1, 0), (2, 0), (3, 0)],
        creds: [cred(1), cred(2)],
        key2: (u64::MAX, u64::MAX),
        lifetime: 120,
        ceiling: 5000,
    }
}

/// A verdict as the model writes it.
fn code_of(v: Result<(), Error>) -> String {
    v.map_or_else(|e| e.code().to_string(), |()| "accepted".to_string())
}
