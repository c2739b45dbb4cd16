//! The deterministic generator of `vectors/`. Every key comes from a seed
//! derived from a label (`SHA-256("paycode/v1/vectors/seed" 0x00 || label)`),
//! every time is fixed, and every case states the verdict the spec requires:
//! the generator runs the reference and refuses to write a case whose
//! outcome differs from that intent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::format::{Case, FORMAT, Note, Op, Source, VectorFile};
use super::{VResult, VectorError, run};

/// A 32-byte seed derived from a label, so anyone can regenerate the keys.
pub fn seed_bytes(label: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"paycode/v1/vectors/seed\0");
    h.update(label.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(&h.finalize());
    out
}

/// What a case must come out as, stated by the generator from the spec.
#[derive(Clone, Debug, Default)]
pub(crate) struct Want {
    /// `"valid"` or `"invalid"`.
    pub result: Option<&'static str>,
    /// The error code, if invalid with one.
    pub error: Option<&'static str>,
    /// Fields the expected object must contain with these values (published values).
    pub fields: Option<Value>,
    /// Scenario steps: (result, error) each.
    pub steps: Option<Vec<(&'static str, Option<&'static str>)>>,
}

impl Want {
    pub(crate) fn valid() -> Want {
        Want { result: Some("valid"), ..Want::default() }
    }

    pub(crate) fn invalid(error: &'static str) -> Want {
        Want { result: Some("invalid"), error: Some(error), ..Want::default() }
    }

    pub(crate) fn rejected() -> Want {
        Want { result: Some("invalid"), ..Want::default() }
    }

    pub(crate) fn verdict(v: Result<(), &'static str>) -> Want {
        match v {
            Ok(()) => Want::valid(),
            Err(e) => Want::invalid(e),
        }
    }

    pub(crate) fn with(mut self, fields: Value) -> Want {
        self.fields = Some(fields);
        self
    }

    pub(crate) fn steps(steps: Vec<(&'static str, Option<&'static str>)>) -> Want {
        Want { steps: Some(steps), ..Want::default() }
    }

    fn check(&self, expected: &Value) -> VResult<()> {
        let get = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        if let Some(r) = self.result {
            if get(expected, "result").as_deref() != Some(r) {
                return Err(VectorError::new(format!("intended result {r}, the reference gives {expected}")));
            }
            if get(expected, "error").as_deref() != self.error {
                return Err(VectorError::new(format!(
                    "intended error {:?}, the reference gives {expected}",
                    self.error
                )));
            }
        }
        if let Some(Value::Object(fields)) = &self.fields {
            for (k, v) in fields {
                if expected.get(k) != Some(v) {
                    return Err(VectorError::new(format!(
                        "intended {k} = {v}, the reference gives {expected}"
                    )));
                }
            }
        }
        if let Some(steps) = &self.steps {
            let got = expected.get("steps").and_then(Value::as_array).cloned().unwrap_or_default();
            if got.len() != steps.len() {
                return Err(VectorError::new("step count differs from the intent"));
            }
            for (n, ((r, e), g)) in steps.iter().zip(&got).enumerate() {
                if get(g, "result").as_deref() != Some(*r) || get(g, "error").as_deref() != *e {
                    return Err(VectorError::new(format!(
                        "step {n}: intended {r} {e:?}, the reference gives {g}"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// One file under construction.
pub(crate) struct FileBuilder {
    name: &'static str,
    description: &'static str,
    sources: Vec<Source>,
    cases: Vec<Case>,
}

impl FileBuilder {
    pub(crate) fn new(name: &'static str, description: &'static str) -> FileBuilder {
        FileBuilder { name, description, sources: Vec::new(), cases: Vec::new() }
    }

    pub(crate) fn source(&mut self, name: &str, reference: &str) {
        self.sources.push(Source { name: name.into(), reference: reference.into() });
    }

    /// Adds a case: runs the reference on `input` and checks the outcome against `want`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        id: &str,
        requirements: &[&str],
        flags: &[&str],
        comment: &str,
        op: Op,
        input: impl Serialize,
        want: Want,
    ) -> VResult<()> {
        let input = serde_json::to_value(input)?;
        let actual = run::run(op, &input).map_err(|e| e.context(id))?;
        want.check(&actual.expected).map_err(|e| e.context(id))?;
        self.cases.push(Case {
            id: id.into(),
            requirements: requirements.iter().map(|s| (*s).to_owned()).collect(),
            comment: comment.into(),
            flags: flags.iter().map(|s| (*s).to_owned()).collect(),
            op,
            input,
            expected: actual.expected,
            intermediates: actual.intermediates,
        });
        Ok(())
    }

    pub(crate) fn finish(self) -> VResult<VectorFile> {
        let mut notes = BTreeMap::new();
        for case in &self.cases {
            for flag in &case.flags {
                let (bug_class, description) = flag_note(flag)
                    .ok_or_else(|| VectorError::new(format!("{}: flag {flag} is not described", case.id)))?;
                notes.insert(
                    flag.clone(),
                    Note { bug_class: bug_class.into(), description: description.into() },
                );
            }
        }
        Ok(VectorFile {
            format: FORMAT.into(),
            spec_version: paycode::SPEC_VERSION.into(),
            name: self.name.into(),
            description: self.description.into(),
            sources: self.sources,
            notes,
            retired: Vec::new(),
            cases: self.cases,
        })
    }
}

/// Every flag: (bug class, description).
fn flag_note(flag: &str) -> Option<(&'static str, &'static str)> {
    Some(match flag {
        "Published" => (
            "wrong primitive",
            "Expected values are published test vectors; a mismatch means the primitive itself is wrong.",
        ),
        "Valid" => (
            "false rejection",
            "A well-formed input that a conforming implementation must accept, with exactly these outputs.",
        ),
        "Derived" => (
            "wrong derivation",
            "Key material derived with the protocol's HKDF salt and labels; a mismatch points at a label, its zero byte, the context encoding or the salt.",
        ),
        "DomainSeparation" => (
            "missing or wrong domain separation",
            "The MAC or signature input starts with a domain-separation string; the intermediates show the exact bytes.",
        ),
        "NonCanonicalBase45" => (
            "malleable encoding",
            "A Base45 text that decodes under a lax decoder but is not the canonical encoding of any byte string.",
        ),
        "Base45Alphabet" => (
            "lax character set",
            "A character outside the 45-character alphabet (lower case, white space, non-ASCII).",
        ),
        "Prefix" => ("lax prefix", "The QR prefix must be exactly PC1: in upper case."),
        "Length" => (
            "missing length check",
            "A structure one byte too short or too long, or otherwise of the wrong length.",
        ),
        "Version" => ("missing version check", "A version byte other than 0x01."),
        "Profile" => (
            "missing profile check",
            "A profile byte that is unknown, or a profile the verifier has not enabled.",
        ),
        "NumericSyntax" => (
            "lax numeric parsing",
            "Digits that are not exactly 24 ASCII digits, or a value of 2^79 or more.",
        ),
        "NumericLayout" => (
            "wrong bit layout",
            "Fields packed into or read from the wrong bits of the 79-bit numeric value.",
        ),
        "NumericUnavailable" => (
            "numeric form for values it cannot carry",
            "Account ids of 2^30 or more and counters of 2^16 or more have no numeric form.",
        ),
        "StepReconstruction" => (
            "wrong step reconstruction",
            "The numeric form carries 4 bits of the step; the verifier must pick the one step in its 16-step range.",
        ),
        "SharedIdentity" => (
            "separate replay state per form",
            "The QR and numeric forms of one code share one replay identity.",
        ),
        "WindowEdge" => (
            "off-by-one window",
            "A code exactly at, or one step beyond, an edge of the acceptance window [T_hw - B, T + F].",
        ),
        "HighWater" => (
            "window from the clock instead of T_hw",
            "The lower window edge uses the high-water step T_hw, not the current step, so a clock set back reopens nothing.",
        ),
        "U64Extreme" => (
            "overflow or wrap-around",
            "Times, steps, counters or amounts at the ends of their unsigned ranges; arithmetic must saturate or compare exactly.",
        ),
        "BeforeEpoch" => (
            "panic or underflow before T0",
            "A time before the epoch gives time-before-epoch, never a crash or a wrapped step.",
        ),
        "Precedence" => (
            "wrong error precedence",
            "Two or more checks fail at once; only the first in the spec's order may be reported.",
        ),
        "UnknownAccount" => (
            "unknown account accepted or mis-reported",
            "The code names an account the verifier does not hold keys for.",
        ),
        "BadTag" => (
            "MAC not checked or checked wrongly",
            "The tag does not match the code's fields under the account's key.",
        ),
        "Throttle" => (
            "missing throttle",
            "At most 8 invalid-code verdicts per account per verifier step; then throttled, even for a valid code.",
        ),
        "Replay" => ("replay accepted", "A (identity, counter) that was already accepted."),
        "StaleCounter" => (
            "window too wide or too narrow",
            "A counter 64 or more below the highest accepted one cannot be told apart from a used one.",
        ),
        "OutOfOrder" => {
            ("in-order-only replay check", "Counters accepted out of order inside the 64-counter window.")
        }
        "Eviction" => (
            "state evicted too early or never",
            "Entries whose top step fell below the window are treated as absent, and no sooner.",
        ),
        "Quarantine" => (
            "replay hole after restart",
            "After losing its state a verifier rejects codes below Q = T + F + 1 with state-unavailable.",
        ),
        "Restart" => (
            "state not kept across restart",
            "A restart with durable state keeps T_hw, Q, the entries and the ledger.",
        ),
        "ClockJump" => ("clock manipulation", "The verifier's clock goes back or jumps forward."),
        "UnknownIssuer" => {
            ("credential checked against the wrong key", "The credential's key id is not in the trust list.")
        }
        "BadCredential" => (
            "credential not validated",
            "Issuer signature, device key, lifetime, or validity outside the issuer key's period.",
        ),
        "CredentialValidity" => (
            "off-by-one validity",
            "Credential validity is inclusive at both ends: not_before <= t <= not_before + lifetime.",
        ),
        "Revocation" => (
            "revocation ignored or mis-installed",
            "Revoked serials are rejected; a list installs only when signed by a trusted key valid at its issue time and newer than the installed one.",
        ),
        "Rotation" => (
            "key rotation",
            "Several issuer keys with overlapping validity; each credential is checked against the key its key id names.",
        ),
        "BadSignature" => ("signature not checked", "A device or issuer signature that does not verify."),
        "Limit" => (
            "offline limits",
            "Per-payment and cumulative per-terminal limits, exact at the boundary and without overflow.",
        ),
        "Reconciliation" => (
            "double acceptance missed",
            "Logs of several terminals are grouped by (profile, subject, counter); groups of two or more are double acceptances.",
        ),
        "LogRecord" => ("wrong log record", "The 44-byte acceptance log record of an accepted code."),
        "NonCanonicalS" => {
            ("malleable signature", "S >= L: the same signature modulo L; must be rejected (S < L).")
        }
        "SmallOrder" => {
            ("small-order point accepted", "A public key or R of small order (one of the 8 torsion points).")
        }
        "NonCanonicalPoint" => {
            ("non-canonical point accepted", "A point encoding with y >= p, or x = 0 with the sign bit set.")
        }
        "Cofactored" => (
            "cofactored equation",
            "A signature that the cofactored equation (the spec's) accepts and the cofactorless one rejects: a verifier built on a cofactorless library (OpenSSL, libsodium, verify_strict) gets it wrong.",
        ),
        "MixedOrder" => (
            "mixed-order key rejected",
            "A public key with a torsion component but not of small order is a valid point.",
        ),
        "Params" => ("parameters out of range", "X in [1, 86400], B <= 8, F <= 7."),
        "Generation" => ("wrong generation", "Byte-exact wallet output for given keys, time and counter."),
        "CounterExhausted" => {
            ("counter wrap-around", "The wallet never uses counter 2^32 - 1, whose successor does not exist.")
        }
        "SpecExample" => ("disagreement with the spec", "The worked example of the spec, byte for byte."),
        _ => return None,
    })
}

/// Every vector file, in a fixed order.
///
/// # Errors
///
/// A case whose reference outcome differs from its stated intent.
pub fn generate() -> VResult<Vec<VectorFile>> {
    let mut files = Vec::new();
    files.extend(super::generate_primitives::files()?);
    files.extend(super::generate_encoding::files()?);
    files.extend(super::generate_verify::files()?);
    files.extend(super::generate_scenarios::files()?);
    files.push(super::generate_speccheck::file()?);
    Ok(files)
}

/// The canonical text of a file: pretty JSON with two-space indents and a final newline.
///
/// # Errors
///
/// Serialization failed.
pub fn to_text(file: &VectorFile) -> VResult<String> {
    Ok(serde_json::to_string_pretty(file)? + "\n")
}

/// Generates every file into `out` (created if absent), returning the paths written.
///
/// # Errors
///
/// Generation or writing failed.
pub fn write(out: &Path) -> VResult<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for file in generate()? {
        let path = out.join(format!("{}.json", file.name));
        std::fs::write(&path, to_text(&file)?)?;
        written.push(path);
    }
    Ok(written)
}
