//! One vector file under construction. A case is a typed input with the
//! outcome the spec requires; the builder runs the reference on it and refuses
//! a case whose outcome differs from that intent.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use paycode::Error;
use serde::Serialize;
use serde_json::Value;

use super::flags::Flag;
use crate::errors::{CaseError, InputError, SpecError, VectorError};
use crate::format::{self, ErrorCode, FORMAT, Note, Op, Retired, Source, VectorFile, Verdict};
use crate::reference;
use crate::requirements::RequirementIndex;

/// One case as the generator states it.
pub(crate) struct Case<'a, I> {
    /// Stable namespaced id, `area.operation.what`.
    pub id: &'a str,
    /// The requirement ids the case exercises.
    pub requirements: &'a [&'a str],
    /// The bug classes it catches.
    pub flags: &'a [Flag],
    /// What the case is about.
    pub comment: &'a str,
    /// The operation.
    pub op: Op,
    /// Its input, a type of [`format`].
    pub input: I,
    /// The outcome the spec requires.
    pub intent: Intent,
}

/// The outcome a case must have, stated from the spec: its verdicts (one, or
/// one per scenario step) and, for published values, fields of `expected`.
#[derive(Clone, Debug)]
pub(crate) struct Intent {
    verdicts: Vec<Verdict>,
    fields: Vec<(&'static str, Value)>,
}

impl Intent {
    /// Accepted, or computed.
    pub(crate) fn valid() -> Intent {
        Intent { verdicts: vec![Verdict::VALID], fields: Vec::new() }
    }

    /// Rejected with `code`.
    pub(crate) fn invalid(code: impl Into<ErrorCode>) -> Intent {
        Intent { verdicts: vec![Verdict::invalid(code)], fields: Vec::new() }
    }

    /// Rejected by a check that has no error code (signatures, points, parameters).
    pub(crate) fn rejected() -> Intent {
        Intent { verdicts: vec![Verdict::REJECTED], fields: Vec::new() }
    }

    /// Accepted, or rejected with the error.
    pub(crate) fn verdict(verdict: Result<(), Error>) -> Intent {
        match verdict {
            Ok(()) => Intent::valid(),
            Err(e) => Intent::invalid(e),
        }
    }

    /// Valid or rejected without a code.
    pub(crate) fn validity(valid: bool) -> Intent {
        if valid { Intent::valid() } else { Intent::rejected() }
    }

    /// One verdict per scenario step.
    pub(crate) fn steps(verdicts: Vec<Verdict>) -> Intent {
        Intent { verdicts, fields: Vec::new() }
    }

    /// The same, with `field` of `expected` equal to `value` (a published value).
    pub(crate) fn with(mut self, field: &'static str, value: impl Into<Value>) -> Intent {
        self.fields.push((field, value.into()));
        self
    }

    fn check(&self, answer: &reference::Answer) -> Result<(), CaseError> {
        let differs = || CaseError::Intent { intended: self.to_string(), reference: answer.expected.clone() };
        if answer.verdicts != self.verdicts {
            return Err(differs());
        }
        for (field, value) in &self.fields {
            if answer.expected.get(field) != Some(value) {
                return Err(differs());
            }
        }
        Ok(())
    }
}

impl core::fmt::Display for Intent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (n, v) in self.verdicts.iter().enumerate() {
            write!(f, "{}{v}", if n > 0 { ", " } else { "" })?;
        }
        for (field, value) in &self.fields {
            write!(f, ", {field} = {value}")?;
        }
        Ok(())
    }
}

/// The requirement index of the built-in spec, read once.
fn spec_index() -> Result<&'static RequirementIndex, SpecError> {
    static INDEX: OnceLock<Result<RequirementIndex, SpecError>> = OnceLock::new();
    INDEX.get_or_init(RequirementIndex::built_in).as_ref().map_err(Clone::clone)
}

/// A vector file being built.
pub(crate) struct FileBuilder {
    name: &'static str,
    description: &'static str,
    sources: Vec<Source>,
    notes: BTreeMap<String, Note>,
    cases: Vec<format::Case>,
    retired: Vec<Retired>,
}

impl FileBuilder {
    /// An empty file named `name` (without `.json`).
    pub(crate) fn new(name: &'static str, description: &'static str) -> FileBuilder {
        FileBuilder {
            name,
            description,
            sources: Vec::new(),
            notes: BTreeMap::new(),
            cases: Vec::new(),
            retired: Vec::new(),
        }
    }

    /// Retires the case id `id`: a case whose meaning changed gets a new id,
    /// and the old one is listed with `reason`, never to be used again.
    pub(crate) fn retire(&mut self, id: &str, reason: &str) {
        self.retired.push(Retired { id: id.into(), reason: reason.into() });
    }

    /// The same, citing a published source of its expected values.
    pub(crate) fn source(mut self, name: &str, reference: &str) -> FileBuilder {
        self.sources.push(Source { name: name.into(), reference: reference.into() });
        self
    }

    /// Adds a case: runs the reference on its input and checks the outcome
    /// against its intent.
    pub(crate) fn add<I: Serialize>(&mut self, case: Case<'_, I>) -> Result<(), VectorError> {
        self.build(&case).map_err(|source| VectorError::Case {
            file: format!("{}.json", self.name),
            id: case.id.to_owned(),
            source: Box::new(source),
        })
    }

    fn build<I: Serialize>(&mut self, case: &Case<'_, I>) -> Result<(), CaseError> {
        if case.comment.trim().is_empty() || case.flags.is_empty() {
            return Err(CaseError::NoCommentOrFlag);
        }
        if case.requirements.is_empty() {
            return Err(CaseError::NoRequirements);
        }
        let index = spec_index().map_err(|_| CaseError::UnknownRequirement(case.requirements.join(" ")))?;
        if let Some(unknown) = case.requirements.iter().find(|r| !index.contains(r)) {
            return Err(CaseError::UnknownRequirement((*unknown).to_owned()));
        }
        let input = serde_json::to_value(&case.input).map_err(|e| CaseError::Input(InputError::Json(e)))?;
        let answer = reference::run(case.op, &input)?;
        case.intent.check(&answer)?;
        for flag in case.flags {
            let note = Note { bug_class: flag.bug_class().into(), description: flag.description().into() };
            self.notes.insert(flag.name().to_owned(), note);
        }
        self.cases.push(format::Case {
            id: case.id.to_owned(),
            requirements: case.requirements.iter().map(|r| (*r).to_owned()).collect(),
            comment: case.comment.to_owned(),
            flags: case.flags.iter().map(|f| f.name().to_owned()).collect(),
            op: case.op,
            input,
            expected: answer.expected,
            intermediates: answer.intermediates,
        });
        Ok(())
    }

    /// The file, with a note for every flag its cases use.
    pub(crate) fn finish(self) -> VectorFile {
        VectorFile {
            format: FORMAT.into(),
            spec_version: paycode::SPEC_VERSION.into(),
            name: self.name.into(),
            description: self.description.into(),
            sources: self.sources,
            notes: self.notes,
            retired: self.retired,
            cases: self.cases,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::TextInput;

    fn decode_bb8(requirements: &'static [&'static str], intent: Intent) -> Case<'static, TextInput> {
        Case {
            id: "primitive.base45.test",
            requirements,
            flags: &[Flag::Valid],
            comment: "BB8 decodes to AB.",
            op: Op::Base45Decode,
            input: TextInput { text: "BB8".into() },
            intent,
        }
    }

    fn refusal(file: &mut FileBuilder, case: Case<'static, TextInput>) -> CaseError {
        match file.add(case) {
            Err(VectorError::Case { source, .. }) => *source,
            other => panic!("not refused as a case: {other:?}"),
        }
    }

    #[test]
    fn a_case_is_written_only_as_intended() {
        let mut file = FileBuilder::new("test", "Cases of this test.");
        file.add(decode_bb8(&["R-ENC-2"], Intent::valid().with("bytes", "4142"))).unwrap();
        let refused = [
            refusal(&mut file, decode_bb8(&["R-ENC-2"], Intent::invalid(Error::Malformed))),
            refusal(&mut file, decode_bb8(&["R-ENC-2"], Intent::valid().with("bytes", "4143"))),
            refusal(&mut file, decode_bb8(&["R-ENC-2"], Intent::rejected())),
        ];
        for e in refused {
            assert!(matches!(e, CaseError::Intent { .. }), "{e}");
        }
        let e = refusal(&mut file, decode_bb8(&["R-ENC-99"], Intent::valid()));
        assert!(matches!(&e, CaseError::UnknownRequirement(r) if r == "R-ENC-99"), "{e}");
        assert!(matches!(refusal(&mut file, decode_bb8(&[], Intent::valid())), CaseError::NoRequirements));
        let written = file.finish();
        assert_eq!(written.cases.len(), 1);
        assert_eq!(written.notes.keys().collect::<Vec<_>>(), ["Valid"]);
    }
}
