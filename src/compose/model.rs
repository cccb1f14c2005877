//! The compose project after discovery, interpolation, include/extends, merge and profile selection:
//! only the fields compose-doctor reasons about, each with the location it was written at.

use crate::error::Warning;
use crate::span::{Location, Spanned};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// The project name (`-p`, `COMPOSE_PROJECT_NAME`, top-level `name:`, else the directory name), normalised
    /// like compose does (lowercase, only `[a-z0-9_-]`).
    pub name: String,
    /// The project directory: relative paths in the compose files resolve against it.
    pub working_dir: PathBuf,
    /// Every compose file that was read, in merge order (override files and `include:`d files too).
    pub files: Vec<PathBuf>,
    /// Every service, including those whose profiles are not enabled (see `Service::enabled`).
    pub services: BTreeMap<String, Service>,
    /// Top-level networks, including the implicit `default` network when any service uses it.
    pub networks: BTreeMap<String, Network>,
    /// Top-level `configs:`.
    pub configs: BTreeMap<String, ConfigDef>,
    /// Top-level named volumes.
    pub volumes: BTreeMap<String, VolumeDef>,
    /// The legacy v1 format (no `services:` key) was read.
    pub legacy_v1: bool,
    /// Non-fatal observations (unset variables, v1 format, unknown profile, ...).
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub name: String,
    /// Where the service's key is written (`  web:`), in the file that defined it last.
    pub loc: Location,
    /// False when the service has profiles and none of them is enabled: such a service is not started.
    pub enabled: bool,
    pub profiles: Vec<String>,
    pub image: Option<Spanned<String>>,
    pub build: Option<Build>,
    pub container_name: Option<Spanned<String>>,
    pub hostname: Option<Spanned<String>>,
    pub domainname: Option<Spanned<String>>,
    /// Networks the service joins. When the file names none (and no `network_mode`), compose attaches the
    /// service to `default`: the loader fills that in with `implicit: true`.
    pub networks: Vec<ServiceNetwork>,
    /// `network_mode` as written: `host`, `none`, `bridge`, `service:NAME`, `container:NAME`.
    pub network_mode: Option<Spanned<String>>,
    /// `links:` entries as `(service, alias)`; alias equals service when none is given.
    pub links: Vec<Spanned<(String, String)>>,
    pub external_links: Vec<Spanned<(String, String)>>,
    /// `extra_hosts:` entries as `(hostname, address)`.
    pub extra_hosts: Vec<Spanned<(String, String)>>,
    pub ports: Vec<Port>,
    /// `expose:` entries, each a port or range with optional `/protocol`.
    pub expose: Vec<Spanned<PortRange>>,
    pub volumes: Vec<Mount>,
    pub configs: Vec<ServiceConfig>,
    /// The final environment: `env_file` entries in order, then `environment`. A value of `None` means the key
    /// is named without a value (taken from the shell at run time) and not set there.
    pub environment: BTreeMap<String, Spanned<Option<String>>>,
    pub env_files: Vec<Spanned<PathBuf>>,
    /// `command` and `entrypoint` as argument vectors (a string is split like compose does, shell-style).
    pub command: Option<Spanned<Vec<String>>>,
    pub entrypoint: Option<Spanned<Vec<String>>>,
    pub depends_on: Vec<Dependency>,
    pub healthcheck: Option<Healthcheck>,
    pub restart: Option<Spanned<String>>,
    pub mem_limit: Option<Spanned<String>>,
    /// `dns:` servers given to the container.
    pub dns: Vec<Spanned<String>>,
    pub dns_opt: Vec<Spanned<String>>,
    /// `x-compose-doctor:` extension of the service, kept raw for the suppression and settings layer.
    pub x_compose_doctor: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Build {
    /// The build context resolved to a host directory (`None` for a remote context such as a git URL).
    pub context: Option<PathBuf>,
    /// As written.
    pub context_raw: String,
    /// The Dockerfile path relative to the context (default `Dockerfile`).
    pub dockerfile: String,
    /// An inline `dockerfile_inline:`.
    pub dockerfile_inline: Option<String>,
    pub target: Option<String>,
    pub args: BTreeMap<String, Option<String>>,
    pub loc: Location,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceNetwork {
    /// The network's key in the top-level `networks:` (not the Docker name).
    pub name: String,
    pub aliases: Vec<Spanned<String>>,
    pub ipv4_address: Option<Spanned<String>>,
    pub ipv6_address: Option<Spanned<String>>,
    /// True when compose attached the service to `default` because it names no network.
    pub implicit: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
    /// `tcp` unless written otherwise.
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

#[derive(Debug, Clone, Serialize)]
pub struct Port {
    /// The container port (range).
    pub target: PortRange,
    /// The published host port (range); `None` when compose picks an ephemeral port or none is published.
    pub published: Option<(u16, u16)>,
    pub host_ip: Option<String>,
    /// `ingress` or `host` (long syntax `mode:`).
    pub mode: Option<String>,
    pub loc: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
    Npipe,
    Cluster,
    Image,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mount {
    pub kind: MountKind,
    /// As written (a host path for binds, a volume name for volumes).
    pub source: Option<String>,
    /// For binds: the host path, absolute, `~` expanded, relative paths resolved against the project directory.
    pub host_path: Option<PathBuf>,
    /// The path inside the container.
    pub target: String,
    pub read_only: bool,
    /// Long syntax `bind.create_host_path: false` (compose v2) — otherwise Docker creates a missing source.
    pub create_host_path: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceConfig {
    /// The key in top-level `configs:`.
    pub source: String,
    /// Where it appears in the container (default `/<source>`).
    pub target: String,
    pub loc: Location,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigDef {
    pub name: String,
    /// `file:` resolved to a host path.
    pub file: Option<PathBuf>,
    /// `content:` inline.
    pub content: Option<String>,
    /// `environment:` (value taken from an environment variable).
    pub environment: Option<String>,
    pub external: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeDef {
    /// The key in top-level `volumes:`.
    pub name: String,
    /// The Docker volume name: `name:` if given, the key itself for external volumes, else `PROJECT_KEY`.
    pub docker_name: String,
    pub external: bool,
    pub driver: Option<String>,
    pub loc: Location,
}

#[derive(Debug, Clone, Serialize)]
pub struct Network {
    /// The key in top-level `networks:`.
    pub key: String,
    /// The Docker network name: `name:` if given, the key itself for external networks, else `PROJECT_KEY`.
    pub docker_name: String,
    pub external: bool,
    pub internal: bool,
    /// `bridge` unless written otherwise.
    pub driver: Option<String>,
    /// Declared in the files (false for the implicit `default`).
    pub declared: bool,
    pub loc: Option<Location>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    pub service: String,
    /// `service_started` (list form), `service_healthy`, `service_completed_successfully`.
    pub condition: String,
    pub required: bool,
    pub loc: Location,
}

#[derive(Debug, Clone, Serialize)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub disable: bool,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<u64>,
    pub start_period: Option<String>,
    pub loc: Location,
}

impl Project {
    /// Services that compose would start with the selected profiles.
    pub fn enabled_services(&self) -> impl Iterator<Item = &Service> {
        self.services.values().filter(|s| s.enabled)
    }
}
