//! The facts every check reads: the compose project, each nginx service with the configuration it runs with,
//! and its upstream targets. Loading fills this once; checks never touch the file system or Docker.

use crate::compose::Project;
use crate::nginx::{Config, Target};
use crate::span::Location;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Facts {
    pub project: Project,
    pub proxies: Vec<Proxy>,
    /// Per enabled service: what its image and command are known to do.
    pub images: std::collections::BTreeMap<String, ImageInfo>,
    /// What really runs, when a Docker daemon was asked (live mode).
    pub live: Option<crate::live::LiveFacts>,
}

/// A compose service that runs nginx.
#[derive(Debug, Clone)]
pub struct Proxy {
    pub service: String,
    /// Why we think this service runs nginx (image, build, command, mounts).
    pub reason: String,
    pub config: ProxyConfig,
    /// How the files of the container were put together (mounts, COPY, rendered templates, defaults).
    pub sources: Vec<ConfigSource>,
    /// Problems with how the configuration reaches the container (a bind source that does not exist, ...).
    pub delivery_problems: Vec<DeliveryProblem>,
    /// Live mode: files whose text in the running container differs from what the project provides.
    pub drift: Vec<Drift>,
    /// Probe mode: one result per target of `targets()` (same order), `None` where not probed.
    pub probes: Vec<Option<crate::live::ProbeResult>>,
}

/// A configuration file whose text in the running container is not the project's.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub container_path: String,
    pub host_path: PathBuf,
    /// `differs` or `missing` (the container does not have the file).
    pub kind: &'static str,
    /// Where the file is put into the container (the mount or `COPY` line).
    pub origin: Option<Location>,
}

#[derive(Debug, Clone)]
pub enum ProxyConfig {
    /// The configuration nginx loads, with the targets found in it.
    Loaded {
        config: Config,
        targets: Vec<Target>,
    },
    /// The configuration cannot be seen from the project (baked into a prebuilt image, generated at run time).
    NotFound { reason: String, hint: String },
}

/// One way a file reaches the nginx container.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigSource {
    /// `mount`, `config`, `copy`, `template`, `envsubst`, `image-default`.
    pub kind: &'static str,
    pub container_path: String,
    pub host_path: Option<PathBuf>,
    pub origin: Option<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// A bind mount's source does not exist on the host.
    MountSourceMissing,
    /// A `configs:` entry names no top-level config, or its `file:` does not exist.
    ConfigFileMissing,
    /// An `envsubst` input or template that does not exist.
    RenderInputMissing,
    /// `envsubst` without a variable list rewrites nginx's own `$variables` to empty strings.
    EnvsubstWipesVariables,
}

#[derive(Debug, Clone)]
pub struct DeliveryProblem {
    pub kind: DeliveryKind,
    pub message: String,
    pub help: String,
    pub loc: Option<Location>,
    /// nginx will not start with the result (e.g. a blanked variable leaves a directive without its
    /// argument).
    pub fatal: bool,
}

impl Proxy {
    pub fn targets(&self) -> &[Target] {
        match &self.config {
            ProxyConfig::Loaded { targets, .. } => targets,
            ProxyConfig::NotFound { .. } => &[],
        }
    }
    pub fn loaded(&self) -> Option<&Config> {
        match &self.config {
            ProxyConfig::Loaded { config, .. } => Some(config),
            ProxyConfig::NotFound { .. } => None,
        }
    }
}

/// What is known of a service's image and process from the project's files (its Dockerfile and compose
/// entry): ports it exposes, the command it runs, its environment.
#[derive(Debug, Clone, Default)]
pub struct ImageInfo {
    /// The image reference, or the Dockerfile's final base image when built.
    pub image: Option<String>,
    /// `EXPOSE` in the Dockerfile the project builds.
    pub expose: Vec<(u16, Location)>,
    /// The command the container runs: compose `entrypoint` + `command`, else the Dockerfile's.
    pub argv: Vec<String>,
    /// Where that command is written.
    pub argv_loc: Option<Location>,
    /// The Dockerfile's `ENV` then the service's `environment` (values known from the files).
    pub env: std::collections::BTreeMap<String, String>,
}
