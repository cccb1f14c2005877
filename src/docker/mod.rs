//! The Docker layer of live mode: asks the Docker Engine (through bollard) what really runs for a compose
//! project, and fills [`crate::live::LiveFacts`].
//!
//! - [`connect`] finds the engine like the docker CLI does (`DOCKER_HOST`, `DOCKER_CONTEXT`, the current
//!   context of `config.json`, the local socket), asks an unversioned `GET /version` by hand, and talks to
//!   it at `min(engine API, bollard's API)` from then on (every path prefixed with `/vX.Y`: bollard 0.21
//!   drops its own prefix, see `with_version_prefix`).
//! - [`gather`] reads one project: one list call, parallel inspects, networks, listening sockets, and for
//!   the nginx services their config files and error log. Whatever cannot be read is noted in
//!   `LiveFacts::incomplete`, never guessed.
//!
//! The CLI is synchronous: a [`Client`] owns a current-thread tokio runtime, and every call to the engine
//! is bounded by [`DockerOptions::timeout`] (per call, and per stream for logs, archives and exec output).

pub mod endpoint;
pub mod errorlog;
mod gather;
pub mod handshake;
pub mod procnet;
pub mod tar;
pub mod time;

use crate::compose;
use crate::live;
use std::fmt;
use std::time::Duration;

/// The oldest engine API we talk to (Docker 1.12, 2016): health status and label filters are there.
pub const MIN_API: (u64, u64) = (1, 24);

/// How to talk to the engine and what to read.
#[derive(Debug, Clone)]
pub struct DockerOptions {
    /// Upper bound for each call to the engine and for each stream (logs, archive, exec output).
    pub timeout: Duration,
    /// Read nginx's error log from the nginx containers' output.
    pub read_logs: bool,
    /// Read the nginx config directory out of the nginx containers (archive API).
    pub read_files: bool,
    /// Read every running container's listening TCP sockets.
    pub read_sockets: bool,
    /// Read the sockets only of containers that one of these names (lowercase: a service, container name,
    /// network alias or DNS name, or an IP address) designates; `None`: of every running container. Each
    /// read walks the kernel's whole TCP hash tables (about 1.5 ms per container here, whatever the
    /// container holds), so reading only the upstreams that routes lead to keeps live mode close to the
    /// engine's own speed on large projects.
    pub sockets_for: Option<std::collections::BTreeSet<String>>,
}

impl Default for DockerOptions {
    fn default() -> Self {
        DockerOptions {
            timeout: Duration::from_secs(10),
            read_logs: true,
            read_files: true,
            read_sockets: true,
            sockets_for: None,
        }
    }
}

/// Why the engine could not be asked. Each carries the endpoint and a one-line message; [`DockerError::hint`]
/// says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerError {
    /// Nothing answers at the endpoint (no socket file, connection refused, unknown host).
    NoDaemon { endpoint: String, message: String },
    /// The socket exists but we may not use it.
    PermissionDenied { endpoint: String, message: String },
    /// The engine accepted the connection but did not answer in time.
    Timeout { endpoint: String, message: String },
    /// Something answered, but not what a Docker Engine answers (garbage, an unexpected API answer, an
    /// engine too old).
    Protocol { endpoint: String, message: String },
    /// The endpoint configuration is wrong or unsupported (bad `DOCKER_HOST`, unknown context, TLS, ssh).
    Config { endpoint: String, message: String },
}

impl DockerError {
    pub fn endpoint(&self) -> &str {
        match self {
            DockerError::NoDaemon { endpoint, .. }
            | DockerError::PermissionDenied { endpoint, .. }
            | DockerError::Timeout { endpoint, .. }
            | DockerError::Protocol { endpoint, .. }
            | DockerError::Config { endpoint, .. } => endpoint,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            DockerError::NoDaemon { message, .. }
            | DockerError::PermissionDenied { message, .. }
            | DockerError::Timeout { message, .. }
            | DockerError::Protocol { message, .. }
            | DockerError::Config { message, .. } => message,
        }
    }

    /// What to do about it, in one line.
    pub fn hint(&self) -> &'static str {
        match self {
            DockerError::NoDaemon { .. } => {
                "start the Docker daemon, or point DOCKER_HOST / DOCKER_CONTEXT at a running engine"
            }
            DockerError::PermissionDenied { .. } => {
                "run as root or as a member of the `docker` group (then log in again)"
            }
            DockerError::Timeout { .. } => {
                "the engine is busy or the endpoint is not a Docker Engine: check it, or allow a longer timeout"
            }
            DockerError::Protocol { .. } => {
                "check that DOCKER_HOST / the context points at a Docker Engine API (1.24 or newer)"
            }
            DockerError::Config { .. } => {
                "set DOCKER_HOST to unix:///path/to/docker.sock or tcp://host:port, or select an existing context"
            }
        }
    }

    /// A short name of the kind (`no-daemon`, `permission-denied`, `timeout`, `protocol`, `config`).
    pub fn kind(&self) -> &'static str {
        match self {
            DockerError::NoDaemon { .. } => "no-daemon",
            DockerError::PermissionDenied { .. } => "permission-denied",
            DockerError::Timeout { .. } => "timeout",
            DockerError::Protocol { .. } => "protocol",
            DockerError::Config { .. } => "config",
        }
    }
}

impl fmt::Display for DockerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Docker ({}): {} [{}]; hint: {}",
            self.kind(),
            self.message(),
            self.endpoint(),
            self.hint()
        )
    }
}

impl std::error::Error for DockerError {}

/// A connection to one engine: bollard at the negotiated API version, and the runtime it runs on.
pub struct Client {
    rt: tokio::runtime::Runtime,
    docker: bollard::Docker,
    endpoint: endpoint::Endpoint,
    engine: live::Engine,
    timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.describe())
            .field("api", &self.engine.negotiated_api)
            .finish()
    }
}

impl Client {
    /// The engine answering, as [`connect`] found it.
    pub fn engine(&self) -> &live::Engine {
        &self.engine
    }

    pub fn endpoint(&self) -> &endpoint::Endpoint {
        &self.endpoint
    }

    /// The bollard client (at the negotiated API version), for callers that need more calls (probes).
    pub fn docker(&self) -> &bollard::Docker {
        &self.docker
    }

    /// Runs `fut` on the client's runtime, bounded by the client's timeout.
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> Option<F::Output> {
        self.rt
            .block_on(async { tokio::time::timeout(self.timeout, fut).await.ok() })
    }
}

/// Connects to the engine the environment selects (see [`endpoint::resolve`]), negotiates the API version
/// and returns the engine info. Bounded by `opts.timeout`; never hangs.
pub fn connect(opts: &DockerOptions) -> Result<(Client, live::Engine), DockerError> {
    connect_with_env(&|key| std::env::var(key).ok(), opts)
}

/// [`connect`] with the environment given as a lookup function (tests, and callers with their own
/// environment).
pub fn connect_with_env(
    env: &dyn Fn(&str) -> Option<String>,
    opts: &DockerOptions,
) -> Result<(Client, live::Engine), DockerError> {
    let ep = endpoint::resolve(env)?;
    let url = ep.describe();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DockerError::Config {
            endpoint: url.clone(),
            message: format!("cannot start the I/O runtime: {e}"),
        })?;
    // `/_ping` and `/version` at once: the engine answers the ping at once (with the API and engine
    // versions in its headers), `/version` takes it 5 to 10 ms; an endpoint whose ping says nothing useful
    // is asked the slow way.
    let handshake = async {
        let version = handshake::get_version(&ep);
        let ping = handshake::ping(&ep);
        tokio::pin!(version);
        tokio::pin!(ping);
        tokio::select! {
            biased;
            v = &mut version => v,
            p = &mut ping => match p {
                Ok(Some(info)) => Ok(info),
                _ => version.await,
            },
        }
    };
    let info = rt.block_on(async {
        tokio::time::timeout(opts.timeout, handshake)
            .await
            .unwrap_or_else(|_| {
                Err(DockerError::Timeout {
                    endpoint: url.clone(),
                    message: format!(
                        "no answer to GET /version within {}",
                        fmt_duration(opts.timeout)
                    ),
                })
            })
    })?;
    let server = handshake::parse_api(&info.api_version).unwrap_or((0, 0));
    let ours = (
        bollard::API_DEFAULT_VERSION.major_version as u64,
        bollard::API_DEFAULT_VERSION.minor_version as u64,
    );
    let negotiated = server.min(ours);
    if negotiated < MIN_API {
        return Err(DockerError::Protocol {
            endpoint: url,
            message: format!(
                "the engine speaks API {} (Docker {}), older than {}.{}, the oldest compose-doctor supports",
                info.api_version, info.version, MIN_API.0, MIN_API.1
            ),
        });
    }
    if let Some(min) = info
        .min_api_version
        .as_deref()
        .and_then(handshake::parse_api)
        && negotiated < min
    {
        return Err(DockerError::Protocol {
            endpoint: url,
            message: format!(
                "the engine needs API {}.{} or newer; compose-doctor speaks up to {}.{}",
                min.0, min.1, ours.0, ours.1
            ),
        });
    }
    let version = bollard::ClientVersion {
        major_version: negotiated.0 as usize,
        minor_version: negotiated.1 as usize,
    };
    // bollard's own timeout (whole seconds, headers only) is a backstop; ours bounds every call.
    let backstop = opts.timeout.as_secs() + 2;
    let docker = {
        let _guard = rt.enter();
        match &ep.transport {
            endpoint::Transport::Unix(path) => {
                bollard::Docker::connect_with_unix(&path.to_string_lossy(), backstop, &version)
            }
            endpoint::Transport::Tcp { host, port } => {
                let addr = if host.contains(':') {
                    format!("tcp://[{host}]:{port}")
                } else {
                    format!("tcp://{host}:{port}")
                };
                bollard::Docker::connect_with_http(&addr, backstop, &version)
            }
        }
    }
    .map_err(|e| gather::map_error(e, &url, "connect", opts.timeout))?
    .with_request_modifier(move |req| with_version_prefix(req, negotiated));
    let engine = live::Engine {
        version: info.version,
        api_version: info.api_version,
        negotiated_api: format!("{}.{}", negotiated.0, negotiated.1),
        os: info.os,
        endpoint: url,
    };
    let client = Client {
        rt,
        docker,
        endpoint: ep,
        engine: engine.clone(),
        timeout: opts.timeout,
    };
    Ok((client, engine))
}

/// Everything live mode needs for one compose project: its containers (one list call, then parallel
/// inspects), their networks, listening sockets, and for the nginx services (`(service, config dir)`) the
/// config files from the container and nginx's error log since the container started. A container removed
/// between list and inspect, a stream that times out, an unreadable `/proc`: noted in `incomplete`.
pub fn gather(
    client: &Client,
    project: &compose::Project,
    nginx_services: &[(String, String)],
    opts: &DockerOptions,
) -> Result<live::LiveFacts, DockerError> {
    let ctx = gather::Ctx {
        docker: &client.docker,
        endpoint: client.endpoint.describe(),
        local: client.endpoint.is_local(),
        api: handshake::parse_api(&client.engine.negotiated_api).unwrap_or(MIN_API),
        opts,
    };
    let mut facts = client
        .rt
        .block_on(gather::run(&ctx, project, nginx_services))?;
    facts.engine = client.engine.clone();
    Ok(facts)
}

/// The listening TCP sockets of a running container read from inside it (`cat /proc/net/tcp
/// /proc/net/tcp6` through an exec), the way [`gather`] does when the engine's `/proc` is not ours. Fails
/// for images without `cat` and for containers that are not running.
pub fn listening_via_exec(
    client: &Client,
    container: &str,
    opts: &DockerOptions,
) -> Result<Vec<live::Listener>, String> {
    let ctx = gather::Ctx {
        docker: &client.docker,
        endpoint: client.endpoint.describe(),
        local: client.endpoint.is_local(),
        api: handshake::parse_api(&client.engine.negotiated_api).unwrap_or(MIN_API),
        opts,
    };
    client
        .rt
        .block_on(gather::exec_listeners(&ctx, container, container))
}

/// Puts `/vMAJOR.MINOR` in front of the request path. bollard 0.21 builds its URLs with `Url::join` of an
/// absolute path, which drops the version prefix it meant to add: its requests go out unversioned and the
/// engine answers at its own newest API, whatever was negotiated. Pinning the path keeps the answers in
/// the shape of the negotiated API (an engine newer than bollard's models answers in their version).
fn with_version_prefix(
    mut req: bollard::BollardRequest,
    api: (u64, u64),
) -> bollard::BollardRequest {
    let uri = req.uri();
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if is_versioned(path) {
        return req;
    }
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return req;
    };
    let versioned = format!("{scheme}://{authority}/v{}.{}{path}", api.0, api.1);
    if let Ok(new) = versioned.parse() {
        *req.uri_mut() = new;
    }
    req
}

/// `/v1.41/...`
fn is_versioned(path: &str) -> bool {
    path.strip_prefix("/v")
        .and_then(|rest| rest.split('/').next())
        .and_then(handshake::parse_api)
        .is_some()
}

/// `1.5 s`, `10 s`, `250 ms`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}
