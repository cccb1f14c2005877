//! Loading a compose project the way `docker compose` does: discovery, YAML with positions, `.env` and
//! interpolation, `include:`, `extends:`, merge of override files, profiles.
//!
//! The order follows compose-go: `COMPOSE_*` variables from `.env` first, then the files (`-f`, else
//! `COMPOSE_FILE`, else discovery upwards from the working directory), the project directory and its `.env`
//! (the process environment wins), the project name, then per file and per YAML document: interpolation,
//! `extends`, `include`, merge into the previous documents/files; finally the typed conversion with path
//! resolution, `env_file` reading, duplicate removal and profiles.
//!
//! Deliberate differences from `docker compose`, so that a static doctor can still reason about a checkout:
//! - a missing required `env_file` is a [`Warning`](crate::error::Warning) ("env_file X not found; its values
//!   are unknown"), not an error (real projects commit only `*.env-sample` files);
//! - references compose refuses at load time (undefined network, `depends_on` an undefined service or a
//!   cycle, `network_mode` together with `networks`) are warnings, so the diagnosis can go on;
//! - the legacy v1 format (services at the top level) is read, with a warning and `legacy_v1: true`; its
//!   services get `network_mode: bridge` (docker-compose v1 ran them on Docker's default bridge network);
//! - no schema validation: unknown keys are ignored, but a wrong type for a field we use is an error;
//! - remote `include`/`extends` (git, OCI, http) are errors: only local files are read;
//! - the obsolete `version:` is ignored silently (compose prints a warning).

mod convert;
pub mod dotenv;
pub mod interp;
mod load;
mod merge;
pub mod model;
pub mod syntax;
pub mod yaml;

pub use model::*;

use crate::error::Error;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What the command line (and the environment) say about which project to load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f/--file`, in order. Empty: `COMPOSE_FILE` from the environment (split on `COMPOSE_PATH_SEPARATOR`,
    /// default `:`), else discovery in `working_dir` and its parents (compose.yaml, compose.yml,
    /// docker-compose.yaml, docker-compose.yml, plus the matching `.override` file).
    pub files: Vec<PathBuf>,
    /// `--project-directory`; default: the directory of the first compose file.
    pub project_directory: Option<PathBuf>,
    /// `-p/--project-name`; else `COMPOSE_PROJECT_NAME`, else top-level `name:`, else the directory name.
    pub project_name: Option<String>,
    /// `--env-file` (repeatable); default `.env` in the project directory when present.
    pub env_files: Vec<PathBuf>,
    /// `--profile` (repeatable); else `COMPOSE_PROFILES` (comma separated). `*` enables all.
    pub profiles: Vec<String>,
    /// The directory the tool was started in.
    pub working_dir: PathBuf,
    /// The process environment (passed in so tests control it). It wins over `.env` values.
    pub environ: BTreeMap<String, String>,
    /// Read files that the compose files name (`include:`, `extends: file:`, `env_file:`) also when they are
    /// outside the project directory (symlinks resolved). Without it, such a file is not read: an `include`
    /// or `extends` of it is an error, an `env_file` a warning (its values unknown). Files given on the
    /// command line (`-f`, `--env-file`) are always read.
    pub allow_outside: bool,
}

/// Loads the compose project the way `docker compose` does (see the module documentation), into the typed
/// model. A fatal problem (unreadable or invalid file, a required variable missing, a cycle, a wrong type
/// for a field we use...) is an [`Error`] with its location; everything else is kept going with a
/// [`crate::error::Warning`] in [`Project::warnings`].
pub fn load(opts: &LoadOptions) -> Result<Project, Error> {
    load::Loader::new(opts).run()
}

pub use load::{DEFAULT_FILE_NAMES, DEFAULT_OVERRIDE_FILE_NAMES};
