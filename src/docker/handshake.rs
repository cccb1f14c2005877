//! The first contact with the engine: an unversioned `GET /version` over a plain socket, the docker CLI's
//! way of learning the engine's API version. Done by hand rather than through bollard so that "nothing
//! there", "not allowed", "no answer" and "not a Docker Engine" come out as distinct errors (through
//! bollard they are all a hyper error), and so that the version is known before bollard is set up.

use super::DockerError;
use super::endpoint::{Endpoint, Transport};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most we read of a `/version` answer (a real one is about 1 KiB).
const MAX_ANSWER: usize = 256 * 1024;

/// What `/version` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: String,
    pub api_version: String,
    pub min_api_version: Option<String>,
    pub os: String,
}

/// Connects to `ep` and asks `GET /version`. The caller bounds it in time.
pub async fn get_version(ep: &Endpoint) -> Result<VersionInfo, DockerError> {
    let url = ep.describe();
    let body = match &ep.transport {
        Transport::Unix(path) => {
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| connect_error(&url, &e, &format!("socket {}", path.display())))?;
            exchange(stream, &url).await?
        }
        Transport::Tcp { host, port } => {
            let stream = tokio::net::TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|e| connect_error(&url, &e, &format!("{host}:{port}")))?;
            exchange(stream, &url).await?
        }
    };
    parse_version(&body).map_err(|message| DockerError::Protocol {
        endpoint: url.clone(),
        message,
    })
}

/// Asks `GET /_ping`, which a Docker Engine answers at once (about 0.1 ms here, where `/version` takes 5 to
/// 10 ms: the engine asks containerd for its version), with `Api-Version` and
/// `Server: Docker/VERSION (OS)` headers. `Ok(None)` when the answer lacks them (an engine that does not say,
/// or something that is not an engine): the caller then relies on `/version`. The minimum API version is
/// not in these headers. The caller bounds it in time.
pub async fn ping(ep: &Endpoint) -> Result<Option<VersionInfo>, DockerError> {
    let url = ep.describe();
    let head = match &ep.transport {
        Transport::Unix(path) => {
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| connect_error(&url, &e, &format!("socket {}", path.display())))?;
            ping_exchange(stream).await
        }
        Transport::Tcp { host, port } => {
            let stream = tokio::net::TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|e| connect_error(&url, &e, &format!("{host}:{port}")))?;
            ping_exchange(stream).await
        }
    };
    Ok(head.as_deref().and_then(parse_ping))
}

/// The head of the answer to `GET /_ping` (`None` when there is no complete head within 16 KiB).
async fn ping_exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> Option<String> {
    stream
        .write_all(
            b"GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: compose-doctor\r\nConnection: close\r\n\r\n",
        )
        .await
        .ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 16 << 10 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(String::from_utf8_lossy(&buf[..end]).into_owned());
        }
    }
}

/// `Api-Version` and `Server: Docker/VERSION (OS)` from a `/_ping` answer's head (status 200 only).
pub(crate) fn parse_ping(head: &str) -> Option<VersionInfo> {
    let mut lines = head.split("\r\n");
    let status = lines.next()?;
    if status.split_whitespace().nth(1) != Some("200") {
        return None;
    }
    let (mut api, mut server) = (None, None);
    for l in lines {
        let (k, v) = l.split_once(':')?;
        match k.trim().to_ascii_lowercase().as_str() {
            "api-version" => api = Some(v.trim().to_string()),
            "server" => server = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let api = api.filter(|a| parse_api(a).is_some())?;
    let rest = server?.strip_prefix("Docker/")?.to_string();
    let (version, os) = match rest.split_once(' ') {
        Some((v, os)) => (v.to_string(), os.trim_matches(['(', ')']).to_string()),
        None => (rest, String::new()),
    };
    Some(VersionInfo {
        version,
        api_version: api,
        min_api_version: None,
        os,
    })
}

/// Maps a failed connect to what it means for the user.
pub(crate) fn connect_error(url: &str, e: &std::io::Error, what: &str) -> DockerError {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::PermissionDenied => DockerError::PermissionDenied {
            endpoint: url.to_string(),
            message: format!("permission denied connecting to {what}"),
        },
        K::NotFound => DockerError::NoDaemon {
            endpoint: url.to_string(),
            message: format!("no Docker daemon: {what} does not exist"),
        },
        K::ConnectionRefused => DockerError::NoDaemon {
            endpoint: url.to_string(),
            message: format!("no Docker daemon: {what} refuses connections"),
        },
        _ => DockerError::NoDaemon {
            endpoint: url.to_string(),
            message: format!("cannot connect to {what}: {e}"),
        },
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    url: &str,
) -> Result<Vec<u8>, DockerError> {
    let io = |e: std::io::Error| DockerError::Protocol {
        endpoint: url.to_string(),
        message: format!("the connection failed while asking /version: {e}"),
    };
    stream
        .write_all(
            b"GET /version HTTP/1.1\r\nHost: docker\r\nUser-Agent: compose-doctor\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        )
        .await
        .map_err(io)?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk).await.map_err(io)?;
        if n > 0 {
            buf.extend_from_slice(&chunk[..n]);
        }
        match parse_response(&buf, n == 0) {
            Parsed::Incomplete if n > 0 && buf.len() <= MAX_ANSWER => continue,
            Parsed::Incomplete => {
                let why = if buf.len() > MAX_ANSWER {
                    format!("an answer larger than {MAX_ANSWER} bytes")
                } else if buf.is_empty() {
                    "the connection was closed without an answer".to_string()
                } else {
                    format!("an incomplete HTTP answer ({})", preview(&buf))
                };
                return Err(DockerError::Protocol {
                    endpoint: url.to_string(),
                    message: format!("GET /version: {why}"),
                });
            }
            Parsed::Garbage(why) => {
                return Err(DockerError::Protocol {
                    endpoint: url.to_string(),
                    message: format!("the endpoint does not speak HTTP: {why}"),
                });
            }
            Parsed::Done { status, body } => {
                if status != 200 {
                    return Err(DockerError::Protocol {
                        endpoint: url.to_string(),
                        message: format!(
                            "GET /version answered HTTP {status} ({})",
                            preview(&body)
                        ),
                    });
                }
                return Ok(body);
            }
        }
    }
}

/// The first bytes of `b`, printable.
fn preview(b: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(&b[..b.len().min(80)])
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    format!("{text:?}")
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    Incomplete,
    Garbage(String),
    Done { status: u16, body: Vec<u8> },
}

/// Parses an HTTP/1.x response in `buf`; `eof` says the peer closed the connection.
pub(crate) fn parse_response(buf: &[u8], eof: bool) -> Parsed {
    // The status line must look like HTTP from the first bytes on.
    let head_len = buf.len().min(5);
    if buf[..head_len] != b"HTTP/"[..head_len] {
        return Parsed::Garbage(format!("it answered {}", preview(buf)));
    }
    let Some(head_end) = find(buf, b"\r\n\r\n") else {
        if buf.len() > 64 * 1024 {
            return Parsed::Garbage("no end of the HTTP headers".into());
        }
        return Parsed::Incomplete;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut words = status_line.split_whitespace();
    let _version = words.next();
    let Some(status) = words
        .next()
        .filter(|s| s.len() == 3)
        .and_then(|s| s.parse::<u16>().ok())
    else {
        return Parsed::Garbage(format!("a bad status line {status_line:?}"));
    };
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let body = &buf[head_end + 4..];
    if chunked {
        return match dechunk(body) {
            Some(Ok(b)) => Parsed::Done { status, body: b },
            Some(Err(why)) => Parsed::Garbage(why),
            None => Parsed::Incomplete,
        };
    }
    match content_length {
        Some(n) if body.len() >= n => Parsed::Done {
            status,
            body: body[..n].to_vec(),
        },
        Some(_) => Parsed::Incomplete,
        None if eof => Parsed::Done {
            status,
            body: body.to_vec(),
        },
        None => Parsed::Incomplete,
    }
}

/// Decodes a chunked body: `None` while incomplete.
fn dechunk(mut b: &[u8]) -> Option<Result<Vec<u8>, String>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(b, b"\r\n")?;
        let size_text = String::from_utf8_lossy(&b[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            return Some(Err(format!("a bad chunk size {size_text:?}")));
        };
        b = &b[line_end + 2..];
        if size == 0 {
            return Some(Ok(out));
        }
        if b.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The fields we need from a `/version` body.
pub(crate) fn parse_version(body: &[u8]) -> Result<VersionInfo, String> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("GET /version did not answer JSON ({e}): {}", preview(body)))?;
    let field = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let api_version = field("ApiVersion").ok_or_else(|| {
        format!(
            "GET /version has no ApiVersion: this is not a Docker Engine API ({})",
            preview(body)
        )
    })?;
    if parse_api(&api_version).is_none() {
        return Err(format!(
            "the engine's ApiVersion {api_version:?} is not a version"
        ));
    }
    Ok(VersionInfo {
        version: field("Version").unwrap_or_default(),
        api_version,
        min_api_version: field("MinAPIVersion"),
        os: field("Os").unwrap_or_default(),
    })
}

/// `1.41` → (1, 41).
pub fn parse_api(s: &str) -> Option<(u64, u64)> {
    let (major, minor) = s.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_headers_give_the_versions() {
        let head = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nDate: x";
        let v = parse_ping(head).unwrap();
        assert_eq!(
            (v.version.as_str(), v.api_version.as_str(), v.os.as_str()),
            ("20.10.24+dfsg1", "1.41", "linux")
        );
        assert_eq!(v.min_api_version, None);
        // not an engine, or an engine that does not say: ask /version
        assert!(parse_ping("HTTP/1.1 200 OK\r\nServer: nginx\r\nApi-Version: 1.41").is_none());
        assert!(
            parse_ping("HTTP/1.1 404 Not Found\r\nApi-Version: 1.41\r\nServer: Docker/1 (linux)")
                .is_none()
        );
        assert!(parse_ping("HTTP/1.1 200 OK\r\nServer: Docker/1 (linux)").is_none());
    }

    #[test]
    fn content_length_chunked_and_eof_bodies() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}extra";
        assert_eq!(
            parse_response(r, false),
            Parsed::Done {
                status: 200,
                body: b"{}".to_vec()
            }
        );
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}";
        assert_eq!(parse_response(r, false), Parsed::Incomplete);
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(r, false),
            Parsed::Done {
                status: 200,
                body: b"{\"a\":1}".to_vec()
            }
        );
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n";
        assert_eq!(parse_response(r, false), Parsed::Incomplete);
        let r = b"HTTP/1.0 404 Not Found\r\n\r\nnope";
        assert_eq!(parse_response(r, false), Parsed::Incomplete);
        assert_eq!(
            parse_response(r, true),
            Parsed::Done {
                status: 404,
                body: b"nope".to_vec()
            }
        );
        assert_eq!(parse_response(b"HTT", false), Parsed::Incomplete);
    }

    #[test]
    fn garbage() {
        assert!(matches!(
            parse_response(b"SSH-2.0-OpenSSH_9.2\r\n", false),
            Parsed::Garbage(_)
        ));
        assert!(matches!(
            parse_response(b"HTTP/1.1 abc\r\n\r\n", false),
            Parsed::Garbage(_)
        ));
        assert!(matches!(
            parse_response(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                false
            ),
            Parsed::Garbage(_)
        ));
    }

    #[test]
    fn connect_errors_by_kind() {
        use std::io::{Error, ErrorKind};
        let e = connect_error("u", &Error::from(ErrorKind::PermissionDenied), "socket /s");
        assert!(matches!(e, DockerError::PermissionDenied { .. }), "{e}");
        assert!(e.hint().contains("docker"));
        for kind in [
            ErrorKind::NotFound,
            ErrorKind::ConnectionRefused,
            ErrorKind::Other,
        ] {
            let e = connect_error("u", &Error::from(kind), "socket /s");
            assert!(matches!(e, DockerError::NoDaemon { .. }), "{kind:?}: {e}");
        }
    }

    #[test]
    fn version_bodies() {
        let v = parse_version(
            br#"{"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"}"#,
        )
        .unwrap();
        assert_eq!(v.api_version, "1.41");
        assert_eq!(v.min_api_version.as_deref(), Some("1.12"));
        assert_eq!(v.os, "linux");
        assert!(parse_version(b"<html>").is_err());
        assert!(parse_version(br#"{"Version":"1"}"#).is_err());
        assert!(parse_version(br#"{"ApiVersion":"one"}"#).is_err());
        assert_eq!(parse_api("1.41"), Some((1, 41)));
        assert_eq!(parse_api("1.9"), Some((1, 9)));
        assert_eq!(parse_api("x"), None);
    }
}
