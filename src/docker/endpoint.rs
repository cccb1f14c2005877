//! Which Docker Engine to ask, decided like the docker CLI does: `DOCKER_HOST`, else the context named by
//! `DOCKER_CONTEXT`, else `currentContext` of `$DOCKER_CONFIG/config.json` (default `~/.docker`), else the
//! local socket. A context's endpoint is in `$DOCKER_CONFIG/contexts/meta/<digest>/meta.json`.

use super::DockerError;
use std::path::{Path, PathBuf};

/// The local socket when nothing else is configured.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// The docker CLI's default port for `tcp://` without one.
const DEFAULT_TCP_PORT: u16 = 2375;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Unix(PathBuf),
    Tcp { host: String, port: u16 },
}

/// Where the endpoint came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    DockerHost,
    Context(String),
    Default,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub transport: Transport,
    /// The address as configured (`unix:///var/run/docker.sock`, `tcp://10.0.0.5:2375`).
    pub url: String,
    pub source: Source,
}

impl Endpoint {
    /// `unix:///var/run/docker.sock`, with the context name when one was used.
    pub fn describe(&self) -> String {
        match &self.source {
            Source::Context(name) => format!("{} (context {name})", self.url),
            Source::DockerHost => format!("{} (DOCKER_HOST)", self.url),
            Source::Default => self.url.clone(),
        }
    }

    /// True when the engine runs on this machine, so its container PIDs can be looked up in our `/proc`
    /// (still checked per container: the engine may live in another PID namespace).
    pub fn is_local(&self) -> bool {
        match &self.transport {
            Transport::Unix(_) => true,
            Transport::Tcp { host, .. } => {
                host == "localhost"
                    || host
                        .parse::<std::net::IpAddr>()
                        .map(|ip| ip.is_loopback())
                        .unwrap_or(false)
            }
        }
    }
}

/// Resolves the endpoint from the process environment.
pub fn resolve_from_env() -> Result<Endpoint, DockerError> {
    resolve(&|key| std::env::var(key).ok())
}

/// Resolves the endpoint from `env` (a lookup of environment variables: `DOCKER_HOST`, `DOCKER_CONTEXT`,
/// `DOCKER_CONFIG`, `HOME`, `DOCKER_TLS_VERIFY`).
pub fn resolve(env: &dyn Fn(&str) -> Option<String>) -> Result<Endpoint, DockerError> {
    let get = |key: &str| env(key).filter(|v| !v.trim().is_empty());
    let tls_env = get("DOCKER_TLS_VERIFY").is_some_and(|v| v != "0");
    if let Some(host) = get("DOCKER_HOST") {
        let transport = parse_host(&host).map_err(|m| config_error(&host, m))?;
        if tls_env && matches!(transport, Transport::Tcp { .. }) {
            return Err(tls_unsupported(&host, "DOCKER_TLS_VERIFY is set"));
        }
        return Ok(Endpoint {
            transport,
            url: host.trim().to_string(),
            source: Source::DockerHost,
        });
    }
    let config_dir = get("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| get("HOME").map(|h| Path::new(&h).join(".docker")));
    let context = match get("DOCKER_CONTEXT") {
        Some(name) => Some(name),
        None => match &config_dir {
            Some(dir) => current_context(dir)?,
            None => None,
        },
    };
    let context = context.filter(|c| c != "default");
    let Some(name) = context else {
        return Ok(default_endpoint());
    };
    let Some(dir) = config_dir else {
        return Err(DockerError::Config {
            endpoint: format!("context {name}"),
            message: format!(
                "context `{name}` is selected but neither DOCKER_CONFIG nor HOME is set"
            ),
        });
    };
    let (host, tls) = context_host(&dir, &name)?;
    let transport = parse_host(&host).map_err(|m| config_error(&host, m))?;
    if matches!(transport, Transport::Tcp { .. }) && (tls || tls_env) {
        return Err(tls_unsupported(&host, "the context has TLS material"));
    }
    Ok(Endpoint {
        transport,
        url: host,
        source: Source::Context(name),
    })
}

fn default_endpoint() -> Endpoint {
    Endpoint {
        transport: parse_host(DEFAULT_HOST).expect("valid default"),
        url: DEFAULT_HOST.to_string(),
        source: Source::Default,
    }
}

fn config_error(host: &str, message: String) -> DockerError {
    DockerError::Config {
        endpoint: host.to_string(),
        message,
    }
}

fn tls_unsupported(host: &str, why: &str) -> DockerError {
    DockerError::Config {
        endpoint: host.to_string(),
        message: format!("TLS connections to the engine are not supported ({why})"),
    }
}

/// `unix:///path`, `tcp://host[:port]`, `http://host[:port]`, or `host:port` (taken as tcp, like the CLI).
pub fn parse_host(url: &str) -> Result<Transport, String> {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None if url.starts_with('/') => {
            return Err(format!(
                "`{url}` has no scheme: write unix://{url} for a socket"
            ));
        }
        None => ("tcp".to_string(), url),
    };
    match scheme.as_str() {
        "unix" => {
            if rest.is_empty() || !rest.starts_with('/') {
                return Err(format!("`{url}` does not name an absolute socket path"));
            }
            Ok(Transport::Unix(PathBuf::from(rest)))
        }
        "tcp" | "http" => {
            let authority = rest.trim_end_matches('/');
            if authority.contains('/') {
                return Err(format!(
                    "`{url}` has a path after the address; only `{scheme}://host:port` is supported"
                ));
            }
            let (host, port) = split_host_port(authority)
                .ok_or_else(|| format!("`{url}` is not `{scheme}://host:port`"))?;
            Ok(Transport::Tcp { host, port })
        }
        "https" => Err(format!(
            "`{url}`: TLS connections to the engine are not supported"
        )),
        "ssh" => Err(format!(
            "`{url}`: ssh endpoints are not supported; forward the socket (ssh -L /tmp/docker.sock:/var/run/docker.sock HOST) and use unix:///tmp/docker.sock"
        )),
        "npipe" | "fd" => Err(format!("`{url}`: {scheme}:// endpoints are not supported")),
        _ => Err(format!(
            "`{url}`: unknown scheme `{scheme}` (expected unix://, tcp:// or http://)"
        )),
    }
}

/// `host:port`, `host`, `[v6]:port`, `[v6]`.
fn split_host_port(s: &str) -> Option<(String, u16)> {
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => DEFAULT_TCP_PORT,
            p => p.strip_prefix(':')?.parse().ok()?,
        };
        return (!host.is_empty()).then(|| (host.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => {
            let port = p.parse().ok()?;
            (!h.is_empty()).then(|| (h.to_string(), port))
        }
        Some(_) => None, // a bare IPv6 address must be bracketed
        None => Some((s.to_string(), DEFAULT_TCP_PORT)),
    }
}

/// `currentContext` of `<dir>/config.json`. A missing file means none; a broken one is ignored like the
/// docker CLI does (it warns and goes on with the defaults).
fn current_context(dir: &Path) -> Result<Option<String>, DockerError> {
    let Ok(text) = std::fs::read_to_string(dir.join("config.json")) else {
        return Ok(None);
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(None);
    };
    Ok(value
        .get("currentContext")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string))
}

/// The docker endpoint of context `name`, and whether the context carries TLS material.
fn context_host(dir: &Path, name: &str) -> Result<(String, bool), DockerError> {
    let meta_root = dir.join("contexts").join("meta");
    let unknown = || DockerError::Config {
        endpoint: format!("context {name}"),
        message: format!(
            "context `{name}` does not exist (no meta.json under {} names it)",
            meta_root.display()
        ),
    };
    let entries = std::fs::read_dir(&meta_root).map_err(|_| unknown())?;
    for entry in entries.flatten() {
        let meta = entry.path().join("meta.json");
        let Ok(text) = std::fs::read_to_string(&meta) else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if value.get("Name").and_then(|v| v.as_str()) != Some(name) {
            continue;
        }
        let host = value
            .pointer("/Endpoints/docker/Host")
            .and_then(|v| v.as_str())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| DockerError::Config {
                endpoint: format!("context {name}"),
                message: format!(
                    "context `{name}` has no docker endpoint ({} lacks Endpoints.docker.Host)",
                    meta.display()
                ),
            })?;
        let tls_dir = dir
            .join("contexts")
            .join("tls")
            .join(entry.file_name())
            .join("docker");
        let tls = std::fs::read_dir(tls_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        return Ok((host.to_string(), tls));
    }
    Err(unknown())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> TempDir {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let p =
                std::env::temp_dir().join(format!("cd-endpoint-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn resolve_with(vars: &[(&str, &str)]) -> Result<Endpoint, DockerError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(&|k| map.get(k).cloned())
    }

    fn write_context(dir: &Path, digest: &str, name: &str, host: &str) {
        let meta = dir.join("contexts/meta").join(digest);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            format!(
                r#"{{"Name":"{name}","Metadata":{{"Description":"test"}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#
            ),
        )
        .unwrap();
    }

    #[test]
    fn hosts() {
        assert_eq!(
            parse_host("unix:///var/run/docker.sock"),
            Ok(Transport::Unix("/var/run/docker.sock".into()))
        );
        let tcp = |h: &str, p| Transport::Tcp {
            host: h.to_string(),
            port: p,
        };
        assert_eq!(parse_host("tcp://10.0.0.5:2376"), Ok(tcp("10.0.0.5", 2376)));
        assert_eq!(parse_host("tcp://docker"), Ok(tcp("docker", 2375)));
        assert_eq!(
            parse_host("http://127.0.0.1:8080/"),
            Ok(tcp("127.0.0.1", 8080))
        );
        assert_eq!(parse_host("TCP://[::1]:2375"), Ok(tcp("::1", 2375)));
        assert_eq!(parse_host("localhost:2375"), Ok(tcp("localhost", 2375)));
        for bad in [
            "unix://",
            "unix://relative.sock",
            "/var/run/docker.sock",
            "ssh://user@host",
            "https://host:2376",
            "npipe:////./pipe/docker_engine",
            "gopher://host",
            "tcp://",
            "tcp://host:notaport",
            "tcp://host:99999",
            "tcp://::1:2375",
            "tcp://host:2375/prefix",
        ] {
            assert!(parse_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn docker_host_wins() {
        let dir = TempDir::new("host");
        write_context(&dir.0, "abc", "remote", "tcp://10.1.1.1:2375");
        let e = resolve_with(&[
            ("DOCKER_HOST", "unix:///tmp/x.sock"),
            ("DOCKER_CONTEXT", "remote"),
            ("DOCKER_CONFIG", dir.0.to_str().unwrap()),
        ])
        .unwrap();
        assert_eq!(e.transport, Transport::Unix("/tmp/x.sock".into()));
        assert_eq!(e.source, Source::DockerHost);
        assert!(e.is_local());
        let err = resolve_with(&[("DOCKER_HOST", "ssh://me@box")]).unwrap_err();
        assert!(matches!(err, DockerError::Config { .. }), "{err}");
        let err = resolve_with(&[("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_TLS_VERIFY", "1")])
            .unwrap_err();
        assert!(err.to_string().contains("TLS"), "{err}");
    }

    #[test]
    fn default_without_anything() {
        let e = resolve_with(&[]).unwrap();
        assert_eq!(e.url, DEFAULT_HOST);
        assert_eq!(e.source, Source::Default);
        let dir = TempDir::new("empty");
        let e = resolve_with(&[("DOCKER_CONFIG", dir.0.to_str().unwrap())]).unwrap();
        assert_eq!(e.source, Source::Default);
        // A broken config.json is ignored, like the CLI does.
        std::fs::write(dir.0.join("config.json"), "{not json").unwrap();
        let e = resolve_with(&[("DOCKER_CONFIG", dir.0.to_str().unwrap())]).unwrap();
        assert_eq!(e.source, Source::Default);
    }

    #[test]
    fn current_context_from_config_json() {
        let dir = TempDir::new("current");
        write_context(&dir.0, "d1", "other", "unix:///other.sock");
        write_context(&dir.0, "d2", "work", "tcp://192.0.2.10:2375");
        std::fs::write(
            dir.0.join("config.json"),
            r#"{"auths":{},"currentContext":"work"}"#,
        )
        .unwrap();
        let e = resolve_with(&[("DOCKER_CONFIG", dir.0.to_str().unwrap())]).unwrap();
        assert_eq!(
            e.transport,
            Transport::Tcp {
                host: "192.0.2.10".into(),
                port: 2375
            }
        );
        assert_eq!(e.source, Source::Context("work".into()));
        assert!(!e.is_local());
        assert!(e.describe().contains("context work"));
        // DOCKER_CONTEXT overrides currentContext; `default` means the local socket.
        let e = resolve_with(&[
            ("DOCKER_CONFIG", dir.0.to_str().unwrap()),
            ("DOCKER_CONTEXT", "other"),
        ])
        .unwrap();
        assert_eq!(e.transport, Transport::Unix("/other.sock".into()));
        let e = resolve_with(&[
            ("DOCKER_CONFIG", dir.0.to_str().unwrap()),
            ("DOCKER_CONTEXT", "default"),
        ])
        .unwrap();
        assert_eq!(e.source, Source::Default);
    }

    #[test]
    fn home_dot_docker_and_unknown_context() {
        let home = TempDir::new("home");
        let docker = home.0.join(".docker");
        write_context(&docker, "d1", "lab", "unix:///lab.sock");
        std::fs::write(docker.join("config.json"), r#"{"currentContext":"lab"}"#).unwrap();
        let e = resolve_with(&[("HOME", home.0.to_str().unwrap())]).unwrap();
        assert_eq!(e.transport, Transport::Unix("/lab.sock".into()));
        let err = resolve_with(&[
            ("HOME", home.0.to_str().unwrap()),
            ("DOCKER_CONTEXT", "nope"),
        ])
        .unwrap_err();
        assert!(matches!(err, DockerError::Config { .. }));
        assert!(err.to_string().contains("`nope` does not exist"), "{err}");
    }

    #[test]
    fn context_with_tls_material_is_refused() {
        let dir = TempDir::new("tls");
        write_context(&dir.0, "d9", "secure", "tcp://192.0.2.10:2376");
        let tls = dir.0.join("contexts/tls/d9/docker");
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(tls.join("ca.pem"), "x").unwrap();
        let err = resolve_with(&[
            ("DOCKER_CONFIG", dir.0.to_str().unwrap()),
            ("DOCKER_CONTEXT", "secure"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("TLS"), "{err}");
    }
}
