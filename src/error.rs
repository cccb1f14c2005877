//! Errors that stop the tool from doing its job (exit code 2), and warnings the loaders collect on the way.

use crate::span::Location;
use serde::Serialize;
use std::fmt;

/// A fatal input error: the tool cannot build its model. Always carries the file (and line where known).
#[derive(Debug, Clone)]
pub struct Error {
    pub message: String,
    pub location: Option<Location>,
    /// Extra lines printed after the message (`note: ...`).
    pub notes: Vec<String>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            location: None,
            notes: Vec::new(),
        }
    }
    pub fn at(message: impl Into<String>, location: Location) -> Self {
        Error {
            message: message.into(),
            location: Some(location),
            notes: Vec::new(),
        }
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{l}: {}", self.message)?,
            None => write!(f, "{}", self.message)?,
        }
        for n in &self.notes {
            write!(f, "\n  note: {n}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A non-fatal observation made while loading (an unset variable, the legacy v1 format, ...).
/// These are reported next to the findings, with their location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub message: String,
    pub location: Option<Location>,
}

impl Warning {
    pub fn new(message: impl Into<String>, location: Option<Location>) -> Self {
        Warning {
            message: message.into(),
            location,
        }
    }
}
