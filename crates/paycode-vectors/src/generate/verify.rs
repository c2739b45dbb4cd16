//! Stateless verification: one call from an explicit configuration and
//! state, for every error code, every window edge, the u64 extremes and the
//! precedence of the checks.

mod ed25519;
mod ed25519_trust;
mod hmac;
mod hmac_state;
mod modes;
mod numeric;
mod precedence;

use paycode::Error;

use super::builder::{Case, FileBuilder, Intent};
use super::fixtures::{TIME, fresh_state, with_standing_list};
use super::flags::Flag;
use crate::errors::VectorError;
use crate::format::{Op, StateBefore, VectorFile, VerifierConfig, VerifyInput};

/// `verify-hmac.json`, `verify-numeric.json` and `verify-ed25519.json`.
pub(super) fn files() -> Result<Vec<VectorFile>, VectorError> {
    let mut hmac = FileBuilder::new(
        "verify-hmac",
        "Stateless verification of hmac QR codes (spec §7.4): the verifier configuration and state before the call are explicit; expected are the verdict, the log record and the relevant state after.",
    );
    hmac::cases(&mut hmac)?;
    hmac_state::cases(&mut hmac)?;
    precedence::hmac(&mut hmac)?;
    let mut numeric = FileBuilder::new(
        "verify-numeric",
        "Stateless verification of the hmac numeric form (spec §5.3, §7.4): step reconstruction from 4 bits, the shared replay identity with the QR form, throttling and u64 edges.",
    );
    numeric::cases(&mut numeric)?;
    precedence::numeric(&mut numeric)?;
    let mut ed25519 = FileBuilder::new(
        "verify-ed25519",
        "Stateless verification of ed25519 codes at an offline terminal (spec §7.4): trust list, credential checks, validity, revocation, device signature, window, replay and limits.",
    );
    ed25519::cases(&mut ed25519)?;
    precedence::ed25519(&mut ed25519)?;
    let mut modes = FileBuilder::new(
        "verify-modes",
        "Stateless verification of capped codes, challenge codes and the numeric ceiling (spec §4.9, §7.4 steps V1.C, V2, C2-C4, §7.5), in both profiles, with the precedence of their checks.",
    );
    modes::cases(&mut modes)?;
    Ok(vec![hmac.finish(), numeric.finish(), ed25519.finish(), modes.finish()])
}

/// One `verify` case: a text presented at `time` to a verifier in `state`.
pub(super) struct VerifyCase<'a> {
    /// Stable namespaced id.
    pub id: &'a str,
    /// The requirement ids the case exercises.
    pub requirements: &'a [&'a str],
    /// The bug classes it catches.
    pub flags: &'a [Flag],
    /// What the case is about.
    pub comment: &'a str,
    /// The verifier's configuration.
    pub verifier: &'a VerifierConfig,
    /// Its state before the call.
    pub state: StateBefore,
    /// The verifier's time.
    pub time: u64,
    /// The scanned text.
    pub text: String,
    /// The payment's amount.
    pub amount: u64,
    /// The challenge's QR text, for a challenge-mode call.
    pub challenge: Option<String>,
    /// Accepted, or the error the spec requires.
    pub verdict: Result<(), Error>,
    /// An ed25519 verifier with no revocation list installed; otherwise one
    /// whose state names none gets the standing list
    /// ([`super::fixtures::with_standing_list`]).
    pub unlisted: bool,
}

impl<'a> VerifyCase<'a> {
    /// The defaults the cases below start from: a fresh `verifier` at the
    /// fixed time, amount 0. Every case sets its own id, requirements,
    /// flags, comment, text and verdict.
    pub(super) fn at(verifier: &'a VerifierConfig) -> VerifyCase<'a> {
        VerifyCase {
            id: "",
            requirements: &[],
            flags: &[],
            comment: "",
            verifier,
            state: fresh_state(),
            time: TIME,
            text: String::new(),
            amount: 0,
            challenge: None,
            verdict: Ok(()),
            unlisted: false,
        }
    }
}

/// Adds a `verify` case to `file`.
pub(super) fn add(file: &mut FileBuilder, case: VerifyCase<'_>) -> Result<(), VectorError> {
    file.add(Case {
        id: case.id,
        requirements: case.requirements,
        flags: case.flags,
        comment: case.comment,
        op: Op::Verify,
        input: VerifyInput {
            verifier: case.verifier.clone(),
            state: if case.unlisted { case.state } else { with_standing_list(case.verifier, case.state)? },
            time: case.time,
            text: case.text,
            amount: case.amount,
            challenge: case.challenge,
        },
        intent: Intent::verdict(case.verdict),
    })
}
