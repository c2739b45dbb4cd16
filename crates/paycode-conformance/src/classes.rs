//! Conformance classes (spec section 1.4, `conformance/README.md` section 4):
//! the roles an implementation can conform in, each defined by the vector
//! cases it must pass.
//!
//! A class requires every case of its ops, and the `verify`, `code-decode`
//! and `scenario` cases of its verifier subjects ([`Subject`]). An
//! implementation conforms to a class only when every case the class
//! requires passes: a case it skips or does not pass fails the class.

use paycode_vectors::format::{Case, Op};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a `verify`, `code-decode` or `scenario` case is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// hmac codes in QR text: ids `hmac.`, and scenarios of a verifier with
    /// hmac accounts whose steps verify no digits.
    Hmac,
    /// hmac codes in the numeric form: ids `numeric.`, and scenarios of a
    /// verifier with hmac accounts in which a step verifies digits.
    Numeric,
    /// ed25519 codes: ids `ed25519.`, and scenarios of a verifier with a trust list.
    Ed25519,
}

impl Subject {
    /// The subject's name, as the README's class table writes it.
    pub const fn name(self) -> &'static str {
        match self {
            Subject::Hmac => "hmac",
            Subject::Numeric => "numeric",
            Subject::Ed25519 => "ed25519",
        }
    }
}

/// A conformance class: a role, and the cases that define it.
#[derive(Debug, PartialEq, Eq)]
pub struct Class {
    /// The class's name, as an adapter's `hello` claims it (`hmac-verifier`).
    pub name: &'static str,
    /// The role, in one line.
    pub role: &'static str,
    /// Ops all of whose cases the class requires.
    pub ops: &'static [Op],
    /// Subjects whose `verify`, `code-decode` and `scenario` cases the class requires.
    pub subjects: &'static [Subject],
}

/// The ops the verifier subjects select cases of.
pub const VERIFIER_OPS: [Op; 3] = [Op::CodeDecode, Op::Verify, Op::Scenario];

/// Every class, in report order.
pub const CLASSES: [Class; 8] = [
    Class {
        name: "primitives",
        role: "HMAC-SHA256, HKDF, Ed25519 signing, signature and point checks, Base45, parameters, key derivation, hmac handles",
        ops: &[
            Op::HmacSha256,
            Op::HkdfSha256,
            Op::Ed25519Sign,
            Op::Ed25519Verify,
            Op::Ed25519Point,
            Op::Base45Encode,
            Op::Base45Decode,
            Op::ParamsCheck,
            Op::DeriveKey,
            Op::HmacHandle,
        ],
        subjects: &[],
    },
    Class {
        name: "hmac-verifier",
        role: "online verifier of hmac codes in QR text",
        ops: &[Op::ChallengeEncode, Op::ChallengeDecode],
        subjects: &[Subject::Hmac],
    },
    Class {
        name: "numeric-verifier",
        role: "online verifier of hmac codes in QR text and in the numeric form",
        ops: &[Op::ChallengeEncode, Op::ChallengeDecode],
        subjects: &[Subject::Hmac, Subject::Numeric],
    },
    Class {
        name: "ed25519-terminal",
        role: "offline terminal: ed25519 codes, credentials, trust and revocation lists, signature and point checks",
        ops: &[
            Op::Ed25519Verify,
            Op::Ed25519Point,
            Op::CredentialDecode,
            Op::TrustListDecode,
            Op::RevocationListDecode,
            Op::ChallengeEncode,
            Op::ChallengeDecode,
        ],
        subjects: &[Subject::Ed25519],
    },
    Class {
        name: "hmac-wallet",
        role: "wallet of the hmac profile: QR text and numeric form",
        ops: &[Op::HmacGenerate, Op::HmacCodeEncode, Op::NumericEncode, Op::ChallengeDecode],
        subjects: &[],
    },
    Class {
        name: "ed25519-wallet",
        role: "wallet of the ed25519 profile",
        ops: &[Op::Ed25519Generate, Op::Ed25519BatchGenerate, Op::Ed25519CodeEncode, Op::ChallengeDecode],
        subjects: &[],
    },
    Class {
        name: "issuer",
        role: "issuer: credentials, trust lists, revocation lists",
        ops: &[Op::CredentialIssue, Op::CredentialBatchIssue, Op::TrustListEncode, Op::RevocationListIssue],
        subjects: &[],
    },
    Class {
        name: "reconciler",
        role: "reconciliation of acceptance logs",
        ops: &[Op::Reconcile, Op::LogDecode, Op::LogRecordEncode],
        subjects: &[],
    },
];

impl Class {
    /// The class named `name`.
    ///
    /// ```
    /// use paycode_conformance::classes::Class;
    /// assert_eq!(Class::named("issuer").map(|c| c.name), Some("issuer"));
    /// assert!(Class::named("everything").is_none());
    /// ```
    pub fn named(name: &str) -> Option<&'static Class> {
        CLASSES.iter().find(|c| c.name == name)
    }

    /// Whether the class requires `case`.
    pub fn requires(&self, case: &Case) -> bool {
        self.ops.contains(&case.op) || subjects(case).iter().any(|s| self.subjects.contains(s))
    }
}

/// The classes that require `case`.
pub fn of(case: &Case) -> impl Iterator<Item = &'static Class> + '_ {
    CLASSES.iter().filter(move |c| c.requires(case))
}

/// The subjects of a `verify`, `code-decode` or `scenario` case; none for other ops.
pub fn subjects(case: &Case) -> Vec<Subject> {
    match case.op {
        Op::Verify | Op::CodeDecode => match case.id.split('.').next() {
            Some("hmac") => vec![Subject::Hmac],
            Some("numeric") => vec![Subject::Numeric],
            Some("ed25519") => vec![Subject::Ed25519],
            _ => Vec::new(),
        },
        Op::Scenario => {
            let verifier = case.input.get("verifier");
            let enabled = |key: &str| verifier.and_then(|v| v.get(key)).is_some_and(|v| !v.is_null());
            let mut out = Vec::new();
            if enabled("hmac_accounts") {
                out.push(if verifies_digits(&case.input) { Subject::Numeric } else { Subject::Hmac });
            }
            if enabled("trust_list") {
                out.push(Subject::Ed25519);
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Whether a scenario has a `verify` step whose text is all ASCII digits.
fn verifies_digits(input: &Value) -> bool {
    input.get("steps").and_then(Value::as_array).is_some_and(|steps| {
        steps.iter().any(|s| {
            s.get("action").and_then(Value::as_str) == Some("verify")
                && s.get("text")
                    .and_then(Value::as_str)
                    .is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

/// How a run went for one class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassStatus {
    /// Claimed, and every case the class requires passed.
    Met,
    /// Claimed, and a case the class requires was skipped or did not pass.
    Failed,
    /// Claimed, every case that ran passed, but the run left cases of the
    /// class out (`--include`, `--exclude`, `--fail-fast`, an aborted run).
    Incomplete,
    /// Not claimed by the implementation.
    NotClaimed,
}

impl ClassStatus {
    /// The status as reports write it.
    pub const fn name(self) -> &'static str {
        match self {
            ClassStatus::Met => "met",
            ClassStatus::Failed => "FAILED",
            ClassStatus::Incomplete => "not judged (cases left out of the run)",
            ClassStatus::NotClaimed => "not claimed",
        }
    }
}

/// One class's result in a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassResult {
    /// The class's name.
    pub class: String,
    /// The result.
    pub status: ClassStatus,
    /// The cases of the suite the class requires.
    pub cases: usize,
    /// Of those, the cases that passed.
    pub passed: usize,
    /// The cases the class requires that were skipped or did not pass, in suite order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
    /// The cases the class requires that the run left out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_run: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_of_the_built_in_suite_is_in_a_class() {
        let suite = crate::embedded::suite().unwrap();
        let orphans: Vec<&str> =
            suite.cases().filter(|(_, c)| of(c).next().is_none()).map(|(_, c)| c.id.as_str()).collect();
        assert!(orphans.is_empty(), "cases in no class: {orphans:?}");
        for class in &CLASSES {
            assert!(suite.cases().any(|(_, c)| class.requires(c)), "{} requires no case", class.name);
        }
    }

    #[test]
    fn scenarios_are_classed_by_their_verifier_and_steps() {
        let suite = crate::embedded::suite().unwrap();
        let subject =
            |id: &str| suite.cases().find(|(_, c)| c.id == id).map(|(_, c)| subjects(c)).unwrap_or_default();
        assert_eq!(subject("scenario.replay.same-code-again"), [Subject::Hmac]);
        assert_eq!(subject("scenario.replay.qr-then-numeric"), [Subject::Numeric]);
        assert_eq!(subject("scenario.rotation.key-added"), [Subject::Ed25519]);
        assert_eq!(subject("numeric.verify.profile-not-enabled"), [Subject::Numeric]);
        assert!(subject("scenario.reconcile.no-logs").is_empty());
        let numeric: Vec<&str> = suite
            .cases()
            .find(|(_, c)| c.id == "scenario.replay.qr-then-numeric")
            .map(|(_, c)| of(c).map(|k| k.name).collect())
            .unwrap_or_default();
        assert_eq!(numeric, ["numeric-verifier"], "an hmac verifier need not take digits");
    }
}
