//! The requirement ids of the spec, read from its index (section 14,
//! "Requirement index"): the one list of ids, which the checker, the
//! generator and the trace all use.

use std::collections::BTreeSet;

use crate::errors::SpecError;

/// The spec this crate was built with (`spec/paycode-v3.md`), for callers
/// that are given no other.
pub const SPEC: &str = include_str!("../../../spec/paycode-v3.md");

/// Requirement ids whose rules the design fixed before the spec's index
/// lists them: the index of a spec without them is completed with these
/// rows, and a spec that lists one keeps its own row. Each is then traced
/// like any other id.
pub const PENDING: &[(&str, &str, &str)] = &[
    (
        "R-BATCH-1",
        "3.2",
        "A device key is derived with its key index, u32(i) after the label; a wallet never reuses an index",
    ),
    (
        "R-BATCH-2",
        "4.3",
        "A batch's credentials share key_id, not_before (aligned down to 3600 s), lifetime and limits; each has its own random serial",
    ),
    (
        "R-BATCH-3",
        "4.3",
        "The sum of limit_total over a batch is at most the payer's per-terminal limit; limit_payment <= limit_total",
    ),
    (
        "R-BATCH-4",
        "7.1",
        "A wallet uses its credentials in turn, one code each, then again from the first; counters per credential",
    ),
    (
        "R-BATCH-5",
        "4.7",
        "Revoking a payer lists every unexpired serial of its batches; the issuer keeps the serial mapping",
    ),
];

/// One row of the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// The id, for example `R-TIME-3`.
    pub id: String,
    /// The sections that state it, as the index gives them.
    pub section: String,
    /// The index's one-line summary.
    pub summary: String,
}

/// The requirement index of a spec, in its order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementIndex {
    requirements: Vec<Requirement>,
}

impl RequirementIndex {
    /// Reads the index table of `spec`: the rows `| R-AREA-N | section | summary |`
    /// under the heading that ends in "Requirement index", up to the next
    /// heading. Every id the rest of the text uses must be in it.
    ///
    /// ```
    /// let spec = "Text citing R-A-1.\n\n## 3. Requirement index\n\n| Id | Section | Summary |\n|---|---|---|\n| R-A-1 | 2 | A rule |\n\n## 4. References\n";
    /// let index = paycode_vectors::requirements::RequirementIndex::parse(spec).unwrap();
    /// assert!(index.contains("R-A-1"));
    /// assert_eq!(index.len(), 1);
    /// ```
    ///
    /// # Errors
    ///
    /// No index section, an empty index, a row whose first cell is no id, an
    /// id listed twice, or an id used in the text but not listed.
    pub fn parse(spec: &str) -> Result<RequirementIndex, SpecError> {
        let mut lines =
            spec.lines().skip_while(|l| !(l.starts_with('#') && l.trim_end().ends_with("Requirement index")));
        lines.next().ok_or(SpecError::NoIndex)?;
        let mut requirements: Vec<Requirement> = Vec::new();
        for line in lines.take_while(|l| !l.starts_with('#')) {
            let Some(row) = line.trim().strip_prefix('|') else { continue };
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let (Some(&id), Some(&section), Some(&summary)) = (cells.first(), cells.get(1), cells.get(2))
            else {
                return Err(SpecError::Row(line.to_owned()));
            };
            if id == "Id" || id.chars().all(|c| c == '-' || c == ':') {
                continue;
            }
            if ids_in(id) != [id] {
                return Err(SpecError::Row(line.to_owned()));
            }
            if requirements.iter().any(|r| r.id == id) {
                return Err(SpecError::Duplicate(id.to_owned()));
            }
            requirements.push(Requirement {
                id: id.to_owned(),
                section: section.to_owned(),
                summary: summary.to_owned(),
            });
        }
        if requirements.is_empty() {
            return Err(SpecError::EmptyIndex);
        }
        let index = RequirementIndex { requirements };
        if let Some(id) = ids_in(spec).into_iter().find(|id| !index.contains(id)) {
            return Err(SpecError::NotIndexed(id.to_owned()));
        }
        Ok(index)
    }

    /// The index of the spec this crate was built with ([`SPEC`]).
    ///
    /// # Errors
    ///
    /// As [`RequirementIndex::parse`]; a test keeps the built-in spec readable.
    pub fn built_in() -> Result<RequirementIndex, SpecError> {
        RequirementIndex::parse(SPEC).map(RequirementIndex::with_pending)
    }

    /// The index with the [`PENDING`] rows it does not list, after its own.
    #[must_use]
    pub fn with_pending(mut self) -> RequirementIndex {
        for (id, section, summary) in PENDING {
            if !self.contains(id) {
                self.requirements.push(Requirement {
                    id: (*id).to_owned(),
                    section: (*section).to_owned(),
                    summary: (*summary).to_owned(),
                });
            }
        }
        self
    }

    /// Whether the index lists `id`.
    pub fn contains(&self, id: &str) -> bool {
        self.requirements.iter().any(|r| r.id == id)
    }

    /// The requirements, in the index's order.
    pub fn iter(&self) -> impl Iterator<Item = &Requirement> {
        self.requirements.iter()
    }

    /// How many ids the index lists.
    pub fn len(&self) -> usize {
        self.requirements.len()
    }

    /// Whether the index lists no id (never, for an index that parsed).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }
}

/// The requirement ids in `text`, each once, in order of first appearance:
/// `R-` followed by upper-case letters, `-`, and digits, not preceded by a
/// letter or digit.
pub fn ids_in(text: &str) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text.get(i..).and_then(|s| s.find("R-")) {
        let start = i + pos;
        let mut j = start + 2;
        while bytes.get(j).is_some_and(u8::is_ascii_uppercase) {
            j += 1;
        }
        let letters_end = j;
        if letters_end > start + 2 && bytes.get(j) == Some(&b'-') {
            j += 1;
            while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            let before_ok = start == 0 || !bytes.get(start - 1).is_some_and(u8::is_ascii_alphanumeric);
            if j > letters_end + 1
                && before_ok
                && let Some(id) = text.get(start..j)
                && seen.insert(id)
            {
                out.push(id);
            }
        }
        i = start + 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ids_once_in_order() {
        let text = "**R-TIME-2.** text R-TIME-1, R-TIME-2 and (R-ED-10). Not XR-A-1, not R-1, not R-ABC-.";
        assert_eq!(ids_in(text), ["R-TIME-2", "R-TIME-1", "R-ED-10"]);
    }

    #[test]
    fn the_built_in_spec_has_an_index() {
        let index = RequirementIndex::built_in().unwrap();
        assert!(index.contains("R-TIME-1") && index.contains("R-LOG-3"));
        assert!(PENDING.iter().all(|(id, ..)| index.contains(id) && ids_in(id) == [*id]));
        assert!(!index.contains("R-TIME-99"));
        // Every id the spec lists is stated in the text before the index.
        let body = SPEC.split("Requirement index").next().unwrap();
        let stated = ids_in(body);
        for requirement in RequirementIndex::parse(SPEC).unwrap().iter() {
            assert!(stated.contains(&requirement.id.as_str()), "{} is only in the index", requirement.id);
        }
    }

    #[test]
    fn a_defective_index_is_refused() {
        let table = |rows: &str| {
            format!(
                "Uses R-A-1.\n## 9. Requirement index\n| Id | Section | Summary |\n|---|---|---|\n{rows}\n## 10. Next\n"
            )
        };
        assert_eq!(RequirementIndex::parse("no index here, R-A-1"), Err(SpecError::NoIndex));
        assert_eq!(RequirementIndex::parse(&table("")), Err(SpecError::EmptyIndex));
        assert_eq!(
            RequirementIndex::parse(&table("| R-A-1 | 1 | x |\n| R-A-1 | 1 | y |")),
            Err(SpecError::Duplicate("R-A-1".into()))
        );
        assert!(matches!(
            RequirementIndex::parse(&table("| R-A-1 | 1 | x |\n| A rule | 2 | y |")),
            Err(SpecError::Row(_))
        ));
        assert_eq!(
            RequirementIndex::parse(&table("| R-B-1 | 1 | x |")),
            Err(SpecError::NotIndexed("R-A-1".into()))
        );
        let index = RequirementIndex::parse(&table("| R-A-1 | 1 | x |\n| R-B-2 | 2 | y |")).unwrap();
        assert_eq!(index.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["R-A-1", "R-B-2"]);
    }
}
