//! Stateful scenarios as data: ordered steps on one verifier (verifier time,
//! input, the verdict the spec requires, the relevant state after), and the
//! reconciliation of terminals' logs.

mod batch;
mod challenge;
mod clock;
mod enrol;
mod evict;
mod handles;
mod limits;
mod reconcile;
mod replay;
mod restart;
mod revocation;
mod rotation;
mod throttle;

use paycode::Error;

use super::builder::{Case, FileBuilder, Intent};
use super::fixtures::{fresh_state, with_standing_list};
use super::flags::Flag;
use crate::errors::VectorError;
use crate::format::{
    Op, RestartMode, ScenarioInput, ScenarioStep, StateBefore, VectorFile, Verdict, VerifierConfig,
};

/// `scenarios-*.json`.
pub(super) fn files() -> Result<Vec<VectorFile>, VectorError> {
    Ok(vec![
        replay::file()?,
        clock::file()?,
        restart::file()?,
        revocation::file()?,
        limits::file()?,
        rotation::file()?,
        throttle::file()?,
        handles::file()?,
        enrol::file()?,
        evict::file()?,
        challenge::file()?,
        batch::file()?,
        reconcile::file()?,
    ])
}

/// One scenario: steps on a fresh verifier, in order.
struct Scenario<'a> {
    id: &'a str,
    requirements: &'a [&'a str],
    flags: &'a [Flag],
    comment: &'a str,
    verifier: &'a VerifierConfig,
    steps: Vec<Step>,
}

/// One step and the outcome the spec requires of it.
enum Step {
    /// Verify `text` at `time` for `amount`: accepted, or rejected with the error.
    Verify { time: u64, text: String, amount: u64, verdict: Result<(), Error> },
    /// The same, in challenge mode with the challenge's text.
    Challenged { time: u64, text: String, amount: u64, challenge: String, verdict: Result<(), Error> },
    /// Install a revocation list (hex) at `time`: installed or refused.
    InstallRevocationList { time: u64, list: String, installed: bool },
    /// Install a trust list (hex) at `time`: installed or refused.
    InstallTrustList { time: u64, trust_list: String, installed: bool },
    /// Restart the verifier at `time`, with its durable state or without.
    Restart { mode: RestartMode, time: u64 },
    /// A restart without state at `time` that fails with `error` (a time before T0).
    RestartFails { time: u64, error: Error },
    /// Enrol account `account_id` with `seed`, or give it that new seed.
    Enrol { account_id: u64, seed: [u8; 32] },
    /// The evict transition at `time`.
    Evict { time: u64 },
}

/// `text` at `time`, amount 0, accepted.
fn accept(time: u64, text: String) -> Step {
    Step::Verify { time, text, amount: 0, verdict: Ok(()) }
}

/// `text` at `time`, amount 0, rejected with `error`.
fn reject(time: u64, text: String, error: Error) -> Step {
    Step::Verify { time, text, amount: 0, verdict: Err(error) }
}

/// `text` at `time` for `amount`, with its verdict.
fn pay(time: u64, text: String, amount: u64, verdict: Result<(), Error>) -> Step {
    Step::Verify { time, text, amount, verdict }
}

/// Installing revocation list `list` (hex) at `time`: installed or refused.
fn install_revocation_list(time: u64, list: String, installed: bool) -> Step {
    Step::InstallRevocationList { time, list, installed }
}

/// Installing trust list `trust_list` (hex) at `time`: installed or refused.
fn install_trust_list(time: u64, trust_list: String, installed: bool) -> Step {
    Step::InstallTrustList { time, trust_list, installed }
}

/// A restart at `time` with the durable state kept or lost.
fn restart(mode: RestartMode, time: u64) -> Step {
    Step::Restart { mode, time }
}

/// A restart without state at `time` before T0: it fails with `time-before-epoch`.
fn restart_before_epoch(time: u64) -> Step {
    Step::RestartFails { time, error: Error::TimeBeforeEpoch }
}

/// Enrolling account `account_id` with `seed` (a new account, or a new seed).
fn enrol(account_id: u64, seed: [u8; 32]) -> Step {
    Step::Enrol { account_id, seed }
}

/// The evict transition at `time`.
fn evict(time: u64) -> Step {
    Step::Evict { time }
}

/// Adds `scenario`, on a fresh verifier.
fn add(file: &mut FileBuilder, scenario: Scenario<'_>) -> Result<(), VectorError> {
    add_from(file, scenario, fresh_state())
}

/// Adds `scenario`, on a verifier in `state`.
fn add_from(file: &mut FileBuilder, scenario: Scenario<'_>, state: StateBefore) -> Result<(), VectorError> {
    let state = with_standing_list(scenario.verifier, state)?;
    let mut steps = Vec::new();
    let mut verdicts = Vec::new();
    for step in scenario.steps {
        let (step, verdict) = match step {
            Step::Verify { time, text, amount, verdict } => (
                ScenarioStep::Verify { time, text, amount, challenge: None },
                verdict.map_or_else(Verdict::invalid, |()| Verdict::VALID),
            ),
            Step::Challenged { time, text, amount, challenge, verdict } => (
                ScenarioStep::Verify { time, text, amount, challenge: Some(challenge) },
                verdict.map_or_else(Verdict::invalid, |()| Verdict::VALID),
            ),
            Step::InstallRevocationList { time, list, installed } => {
                (ScenarioStep::InstallRevocationList { time, list }, validity(installed))
            }
            Step::InstallTrustList { time, trust_list, installed } => {
                (ScenarioStep::InstallTrustList { time, trust_list }, validity(installed))
            }
            Step::Restart { mode, time } => (ScenarioStep::Restart { mode, time }, Verdict::VALID),
            Step::RestartFails { time, error } => {
                (ScenarioStep::Restart { mode: RestartMode::Lost, time }, Verdict::invalid(error))
            }
            Step::Enrol { account_id, seed } => {
                (ScenarioStep::Enrol { account_id, seed: super::fixtures::hex(&seed) }, Verdict::VALID)
            }
            Step::Evict { time } => (ScenarioStep::Evict { time }, Verdict::VALID),
        };
        steps.push(step);
        verdicts.push(verdict);
    }
    file.add(Case {
        id: scenario.id,
        requirements: scenario.requirements,
        flags: scenario.flags,
        comment: scenario.comment,
        op: Op::Scenario,
        input: ScenarioInput { verifier: scenario.verifier.clone(), state, steps },
        intent: Intent::steps(verdicts),
    })
}

fn validity(valid: bool) -> Verdict {
    if valid { Verdict::VALID } else { Verdict::REJECTED }
}
