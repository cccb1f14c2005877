//! Source locations carried by every fact and finding, so that every output can point at the line to change.

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in a source file: 1-based line, 1-based column (in Unicode characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The file on the host as it was read (absolute or relative to the working directory).
    #[serde(serialize_with = "ser_path")]
    pub file: Arc<Path>,
    pub line: u32,
    pub column: u32,
}

fn ser_path<S: serde::Serializer>(p: &Arc<Path>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::span::display_path(p))
}

impl Location {
    pub fn new(file: impl Into<Arc<Path>>, line: u32, column: u32) -> Self {
        Location {
            file: file.into(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            display_path(&self.file),
            self.line,
            self.column
        )
    }
}

/// A value with the location where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Spanned<T> {
    pub value: T,
    pub loc: Location,
}

impl<T> Spanned<T> {
    pub fn new(value: T, loc: Location) -> Self {
        Spanned { value, loc }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Paths are shown relative to the current directory when they are below it, so output is short and portable.
pub fn display_path(p: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(rel) = p.strip_prefix(&cwd)
    {
        let r = rel.display().to_string();
        return if r.is_empty() { ".".into() } else { r };
    }
    p.display().to_string()
}

/// Interns paths so that many locations share one allocation.
pub fn path_arc(p: &Path) -> Arc<Path> {
    Arc::from(PathBuf::from(p).into_boxed_path())
}
