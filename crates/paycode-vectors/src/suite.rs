//! The one loader of vector files: `check`, `trace` and the conformance
//! runner read vectors through it. A file loads only if it is a paycode v3
//! vector file of the format's types throughout (`deny_unknown_fields`, known
//! ops, flags, profiles, error codes), and every case's input, expected
//! output and intermediates have its op's types: nothing is skipped silently.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::errors::VectorError;
use crate::format::{Case, FORMAT, TRACE_FORMAT, TraceFile, VectorFile};
use crate::reference;

/// The file of requirements that vectors cannot test.
pub const TRACE_FILE: &str = "traceability.json";
/// The JSON Schema of the files.
pub const SCHEMA_FILE: &str = "schema.json";

/// A loaded set of vector files.
#[derive(Clone, Debug)]
pub struct Suite {
    files: Vec<SuiteFile>,
    hash: String,
}

/// One vector file of a suite.
#[derive(Clone, Debug)]
pub struct SuiteFile {
    /// The file name, for example `verify-hmac.json`.
    pub name: String,
    /// Its contents.
    pub file: VectorFile,
}

impl Suite {
    /// Loads every vector file of `dir`: each `*.json` but the schema and the
    /// traceability file.
    ///
    /// # Errors
    ///
    /// The folder or a file cannot be read, a file does not load (see
    /// [`load_file`]), or there is no vector file.
    pub fn load_dir(dir: &Path) -> Result<Suite, VectorError> {
        let mut texts = Vec::new();
        for path in vector_paths(dir)? {
            let text = read(&path)?;
            texts.push((file_name(&path), text));
        }
        if texts.is_empty() {
            return Err(VectorError::NoVectorFiles { dir: dir.to_owned() });
        }
        Suite::from_texts(texts.iter().map(|(name, text)| (name.as_str(), text.as_str())))
    }

    /// Loads vector files given as (file name, contents), such as files
    /// embedded in a program.
    ///
    /// # Errors
    ///
    /// A file does not load (see [`load_file`]), or there is none.
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Suite, VectorError> {
        let mut texts: Vec<(&str, &str)> = texts.into_iter().collect();
        texts.sort_by_key(|(name, _)| *name);
        if texts.is_empty() {
            return Err(VectorError::NoVectorFiles { dir: PathBuf::new() });
        }
        let mut hash = Sha256::new();
        let mut files = Vec::with_capacity(texts.len());
        for (name, text) in texts {
            hash.update(name.as_bytes());
            hash.update([0]);
            hash.update(text.as_bytes());
            files.push(SuiteFile { name: name.to_owned(), file: load_file(name, text)? });
        }
        let hash = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Suite { files, hash })
    }

    /// The files, by name.
    pub fn files(&self) -> &[SuiteFile] {
        &self.files
    }

    /// Every case with its file, in file and then file order.
    pub fn cases(&self) -> impl Iterator<Item = (&SuiteFile, &Case)> {
        self.files.iter().flat_map(|f| f.file.cases.iter().map(move |c| (f, c)))
    }

    /// How many cases the files hold.
    pub fn case_count(&self) -> usize {
        self.files.iter().map(|f| f.file.cases.len()).sum()
    }

    /// SHA-256 over the files in name order (each file's name, a zero byte,
    /// its contents), lowercase hex: the suite's identity in reports.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The spec version the files follow.
    pub fn spec_version(&self) -> &str {
        paycode::SPEC_VERSION
    }
}

/// Loads one vector file from its text.
///
/// # Errors
///
/// [`VectorError::Format`] if it is not JSON of the format's types,
/// [`VectorError::Header`] if its `format`, `spec_version` or `name` are not
/// those of this file, and [`VectorError::Case`] if a case's input, expected
/// output or intermediates do not have its op's types.
pub fn load_file(name: &str, text: &str) -> Result<VectorFile, VectorError> {
    let file: VectorFile =
        serde_json::from_str(text).map_err(|source| VectorError::Format { file: name.to_owned(), source })?;
    let header =
        |field, found: &str| VectorError::Header { file: name.to_owned(), field, found: found.to_owned() };
    if file.format != FORMAT {
        return Err(header("format", &file.format));
    }
    if file.spec_version != paycode::SPEC_VERSION {
        return Err(header("spec_version", &file.spec_version));
    }
    if name.strip_suffix(".json") != Some(file.name.as_str()) {
        return Err(header("name", &file.name));
    }
    for case in &file.cases {
        let typed = reference::check_input(case.op, &case.input)
            .and_then(|()| reference::check_output(case.op, &case.expected, case.intermediates.as_ref()));
        typed.map_err(|source| VectorError::Case {
            file: name.to_owned(),
            id: case.id.clone(),
            source: Box::new(source),
        })?;
    }
    Ok(file)
}

/// Reads `traceability.json`.
///
/// # Errors
///
/// The file cannot be read, is not of the format's types, or is not a
/// paycode v3 traceability file.
pub fn load_trace(path: &Path) -> Result<TraceFile, VectorError> {
    let name = file_name(path);
    let text = read(path)?;
    let file: TraceFile =
        serde_json::from_str(&text).map_err(|source| VectorError::Format { file: name.clone(), source })?;
    let header =
        |field, found: &str| VectorError::Header { file: name.clone(), field, found: found.to_owned() };
    if file.format != TRACE_FORMAT {
        return Err(header("format", &file.format));
    }
    if file.spec_version != paycode::SPEC_VERSION {
        return Err(header("spec_version", &file.spec_version));
    }
    Ok(file)
}

/// The vector files of `dir`, sorted: every `*.json` but the schema and the
/// traceability file.
///
/// # Errors
///
/// The folder cannot be read.
pub fn vector_paths(dir: &Path) -> Result<Vec<PathBuf>, VectorError> {
    let unreadable = |source| VectorError::Read { path: dir.to_owned(), source };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let name = file_name(&path);
        if name.ends_with(".json") && name != SCHEMA_FILE && name != TRACE_FILE {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// The text of `path`, a regular file of at most
/// [`MAX_VECTOR_FILE`](crate::files::MAX_VECTOR_FILE) bytes.
pub(crate) fn read(path: &Path) -> Result<String, VectorError> {
    crate::files::read_text(path, crate::files::MAX_VECTOR_FILE)
        .map_err(|source| VectorError::Read { path: path.to_owned(), source })
}

/// The file name of `path`, or its whole text if it has none.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
