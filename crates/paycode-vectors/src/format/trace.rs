//! `vectors/traceability.json`.

use serde::{Deserialize, Serialize};

/// `vectors/traceability.json`: what vectors cannot test, and where else it is tested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceFile {
    /// Always [`TRACE_FORMAT`](super::TRACE_FORMAT).
    pub format: String,
    /// `"paycode v3"`.
    pub spec_version: String,
    /// Requirements covered (also) by named tests.
    pub named_tests: Vec<NamedTests>,
    /// Requirements no vector can exercise, with the reason.
    pub untestable: Vec<Untestable>,
}

/// Tests that exercise a requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedTests {
    /// Requirement id.
    pub id: String,
    /// Tests as `path/to/file.rs::test_fn`.
    pub tests: Vec<String>,
}

/// A requirement that vectors cannot test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Untestable {
    /// Requirement id.
    pub id: String,
    /// Why.
    pub reason: String,
}
