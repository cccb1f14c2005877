//! One target as nginx would try it: a connection to each address, then the protocol exchange on the first one
//! that connected. Runs on whatever tokio runtime the caller drives (inside the proxy's network namespace, or on
//! the host).

use super::plan::{Plan, Proto};
use super::time::Limit;
use super::wire::{self, describe_bytes, http::Head, tls};
use crate::live::{ConnectOutcome, ConnectResult, HandshakeOutcome, HandshakeResult};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

/// A connected byte stream (TCP or unix socket).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
pub type Stream = Box<dyn Io>;

/// Where to connect.
#[derive(Debug, Clone)]
pub enum Addr {
    Tcp(SocketAddr),
    /// A unix socket: the path as the probe opens it (through `/proc/PID/root`), and as nginx names it.
    Unix {
        open: PathBuf,
        path: String,
    },
}

/// At most this much of an answer is read.
const MAX_ANSWER: usize = 16 * 1024;
/// A TLS probe without any answer after this long starts the plain-HTTP check beside it, so a silent port
/// costs one timeout, not two.
const HEDGE: Duration = Duration::from_millis(1000);

fn millis(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

/// `3 s`, `500 ms`, `1.5 s`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn connect_error(e: &std::io::Error) -> ConnectOutcome {
    use std::io::ErrorKind as K;
    match (e.kind(), e.raw_os_error()) {
        (K::ConnectionRefused, _) | (_, Some(111)) => ConnectOutcome::Refused,
        (K::TimedOut, _) | (_, Some(110)) => ConnectOutcome::Timeout,
        (K::HostUnreachable | K::NetworkUnreachable, _) | (_, Some(113 | 101)) => {
            ConnectOutcome::Unreachable
        }
        _ => ConnectOutcome::Error(e.to_string()),
    }
}

async fn open(addr: &Addr, limit: Duration) -> Result<Stream, ConnectOutcome> {
    let attempt = async {
        match addr {
            Addr::Tcp(sa) => tokio::net::TcpStream::connect(sa)
                .await
                .map(|s| Box::new(s) as Stream),
            Addr::Unix { open, .. } => tokio::net::UnixStream::connect(open)
                .await
                .map(|s| Box::new(s) as Stream),
        }
    };
    match timeout(limit, attempt).await {
        Err(_) => Err(ConnectOutcome::Timeout),
        Ok(Err(e)) => Err(connect_error(&e)),
        Ok(Ok(s)) => Ok(s),
    }
}

/// Connects to `addr` within the connect timeout.
pub async fn connect(addr: &Addr, limit: Limit) -> (ConnectResult, Option<Stream>) {
    let start = Instant::now();
    let got = open(addr, limit.probe).await;
    let (ip, port, unix_path) = match addr {
        Addr::Tcp(sa) => (sa.ip(), sa.port(), None),
        Addr::Unix { path, .. } => (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0, Some(path.clone())),
    };
    let (outcome, stream) = match got {
        Ok(s) => (ConnectOutcome::Connected, Some(s)),
        Err(o) => (o, None),
    };
    let result = ConnectResult {
        addr: ip,
        port,
        unix_path,
        outcome,
        millis: millis(start),
        timeout_millis: limit.probe.as_millis() as u64,
        capped: limit.capped(),
    };
    (result, stream)
}

/// How a read of an answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The answer says enough to classify.
    Enough,
    Eof,
    /// The connection was reset (or another read error).
    Reset,
    Timeout,
    /// [`MAX_ANSWER`] bytes without a conclusion.
    Full,
}

struct Got {
    bytes: Vec<u8>,
    end: End,
}

/// Sends `request`, then reads until `enough` says so, the peer closes, or `limit` passes.
async fn exchange(
    stream: &mut Stream,
    request: &[u8],
    limit: Duration,
    enough: &(dyn Fn(&[u8]) -> bool + Sync),
) -> Got {
    let deadline = tokio::time::Instant::now() + limit;
    // A server that spoke first and closed may refuse the write; what it sent still counts.
    let _ = tokio::time::timeout_at(deadline, stream.write_all(request)).await;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        if !bytes.is_empty() && enough(&bytes) {
            break End::Enough;
        }
        if bytes.len() >= MAX_ANSWER {
            break End::Full;
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => break End::Timeout,
            Ok(Ok(0)) => break End::Eof,
            Ok(Ok(n)) => bytes.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => break End::Reset,
        }
    };
    Got { bytes, end }
}

/// What a handshake function decided.
struct Verdict {
    outcome: HandshakeOutcome,
    detail: String,
    status: Option<u16>,
}

fn verdict(outcome: HandshakeOutcome, detail: impl Into<String>, status: Option<u16>) -> Verdict {
    Verdict {
        outcome,
        detail: detail.into(),
        status,
    }
}

/// The verdict for an answer that never became conclusive: a timeout, or a close.
fn unfinished(got: &Got, limit: Limit, asked: &str) -> Verdict {
    match got.end {
        End::Timeout => {
            let why = if limit.capped() {
                format!(
                    "the probe's cap; nginx waits {} before its 504",
                    fmt_duration(limit.nginx)
                )
            } else {
                "nginx's timeout: it answers 504".to_string()
            };
            let what = if got.bytes.is_empty() {
                "no answer".to_string()
            } else {
                format!("an incomplete answer ({})", describe_bytes(&got.bytes))
            };
            verdict(
                HandshakeOutcome::Timeout,
                format!(
                    "{what} to {asked} within {} ({why})",
                    fmt_duration(limit.probe)
                ),
                None,
            )
        }
        End::Eof | End::Reset => {
            let how = if got.end == End::Reset {
                "reset"
            } else {
                "closed"
            };
            let detail = if got.bytes.is_empty() {
                format!("{how} without an answer to {asked}")
            } else {
                format!("{how} after {}", describe_bytes(&got.bytes))
            };
            verdict(HandshakeOutcome::Closed, detail, None)
        }
        End::Full | End::Enough => verdict(
            HandshakeOutcome::Invalid,
            format!(
                "no usable answer to {asked}: {}",
                describe_bytes(&got.bytes)
            ),
            None,
        ),
    }
}

/// The first bytes of a TLS record (handshake or alert).
fn is_tls(b: &[u8]) -> bool {
    b.len() >= 2 && (b[0] == 0x15 || b[0] == 0x16) && b[1] == 0x03
}

fn tls_words(b: &[u8]) -> String {
    match tls::classify(b) {
        tls::Answer::Alert(a) => format!("a TLS alert ({a})"),
        tls::Answer::Handshake(h) => format!("a {h}"),
        _ => "a TLS record".to_string(),
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut out = [0u8; N];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(nanos);
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    out
}

fn hello_bytes(plan: &Plan) -> Vec<u8> {
    tls::client_hello(&tls::Hello {
        sni: plan.sni.as_deref(),
        alpn: plan.proto.alpn(),
        random: random_bytes(),
        session_id: random_bytes(),
        key_share: random_bytes(),
    })
}

fn hello_words(plan: &Plan) -> String {
    let mut s = "TLS ClientHello".to_string();
    if let Some(sni) = &plan.sni {
        s.push_str(&format!(", SNI {sni}"));
    }
    if !plan.proto.alpn().is_empty() {
        s.push_str(&format!(", ALPN {}", plan.proto.alpn().join(",")));
    }
    s
}

fn http_words(plan: &Plan) -> String {
    format!("GET {} HTTP/1.1, Host: {}", plan.uri, plan.host_header)
}

fn http_enough(b: &[u8]) -> bool {
    if is_tls(b) {
        return true;
    }
    match wire::http::parse_head(b) {
        Head::Incomplete => false,
        Head::NotHttp | Head::InvalidHeader { .. } => true,
        Head::Complete {
            status, body_at, ..
        } => status != 400 || wire::http::says_tls_port(&b[body_at..]) || b.len() - body_at >= 1024,
    }
}

fn classify_http(got: &Got, limit: Limit, asked: &str) -> Verdict {
    let b = &got.bytes;
    if is_tls(b) {
        return verdict(
            HandshakeOutcome::TlsOnPlain,
            format!("{} to plain HTTP: the port speaks TLS", tls_words(b)),
            None,
        );
    }
    match wire::http::parse_head(b) {
        Head::Complete {
            status,
            line,
            body_at,
        } => {
            if status == 400 && wire::http::says_tls_port(&b[body_at..]) {
                verdict(
                    HandshakeOutcome::TlsOnPlain,
                    format!("{line}: \"plain HTTP request was sent to HTTPS port\""),
                    Some(status),
                )
            } else {
                verdict(HandshakeOutcome::Ok, line, Some(status))
            }
        }
        Head::InvalidHeader {
            status,
            line,
            header,
        } => verdict(
            HandshakeOutcome::Invalid,
            format!(
                "{line}, then the header line \"{header}\" nginx refuses (upstream sent invalid header)"
            ),
            Some(status),
        ),
        Head::NotHttp => verdict(
            HandshakeOutcome::Invalid,
            format!(
                "not HTTP: {} (nginx relays it as HTTP/0.9, without a status line)",
                describe_bytes(b)
            ),
            None,
        ),
        Head::Incomplete => unfinished(got, limit, asked),
    }
}

/// A new connection and a plain `GET`: `Some((status, status line))` when an HTTP/1 status line comes back.
async fn plain_http_check(plan: &Plan, addr: &Addr, limit: Duration) -> Option<(u16, String)> {
    let mut s = open(addr, plan.timeouts.connect.probe.min(limit))
        .await
        .ok()?;
    let got = exchange(
        &mut s,
        &wire::http::request(&plan.uri, &plan.host_header),
        limit,
        &|b: &[u8]| b.contains(&b'\n') || !b"HTTP/".starts_with(&b[..b.len().min(5)]),
    )
    .await;
    wire::http::first_status(&got.bytes)
}

/// A new connection and a ClientHello: `Some(words)` when a TLS record comes back.
async fn tls_check(plan: &Plan, addr: &Addr, limit: Duration) -> Option<String> {
    let mut s = open(addr, plan.timeouts.connect.probe.min(limit))
        .await
        .ok()?;
    let got = exchange(&mut s, &hello_bytes(plan), limit, &|b: &[u8]| {
        tls::classify(b) != tls::Answer::Incomplete
    })
    .await;
    is_tls(&got.bytes).then(|| tls_words(&got.bytes))
}

async fn http(plan: &Plan, addr: &Addr, mut s: Stream, started: Instant) -> Verdict {
    let limit = plan.timeouts.read;
    let asked = "GET";
    let got = exchange(
        &mut s,
        &wire::http::request(&plan.uri, &plan.host_header),
        limit.probe,
        &http_enough,
    )
    .await;
    drop(s);
    let v = classify_http(&got, limit, asked);
    if v.outcome == HandshakeOutcome::Closed && got.bytes.is_empty() {
        // Some TLS servers close on plain text without a word: ask the port in TLS.
        let left = limit.probe.saturating_sub(started.elapsed());
        if let Some(words) = tls_check(plan, addr, left.max(Duration::from_millis(500))).await {
            return verdict(
                HandshakeOutcome::TlsOnPlain,
                format!("closed without an answer to plain HTTP; a ClientHello got {words}"),
                None,
            );
        }
    }
    v
}

fn tls_conclusive(a: &tls::Answer) -> bool {
    matches!(
        a,
        tls::Answer::Handshake(_) | tls::Answer::Alert(_) | tls::Answer::Http
    )
}

async fn tls_exchange(plan: &Plan, addr: &Addr, mut s: Stream) -> Verdict {
    // nginx bounds the TLS handshake with the connect timeout.
    let limit = plan.timeouts.connect;
    let hello = hello_bytes(plan);
    let enough = |b: &[u8]| tls::classify(b) != tls::Answer::Incomplete;
    let attempt = exchange(&mut s, &hello, limit.probe, &enough);
    tokio::pin!(attempt);
    let hedge = HEDGE.min(limit.probe);
    let (got, plain) = match timeout(hedge, &mut attempt).await {
        Ok(got) => {
            let answer = tls::classify(&got.bytes);
            let plain = if tls_conclusive(&answer) {
                None
            } else {
                plain_http_check(plan, addr, limit.probe.saturating_sub(hedge).max(hedge)).await
            };
            (got, plain)
        }
        Err(_) => {
            let check = plain_http_check(plan, addr, limit.probe.saturating_sub(hedge));
            tokio::join!(attempt, check)
        }
    };
    let answer = tls::classify(&got.bytes);
    match answer {
        tls::Answer::Handshake(words) => verdict(HandshakeOutcome::Ok, words, None),
        tls::Answer::Alert(a) => verdict(
            HandshakeOutcome::Ok,
            format!("TLS alert {a}: the port speaks TLS (it refused this ClientHello)"),
            None,
        ),
        tls::Answer::Http => {
            let (status, line) = wire::http::first_status(&got.bytes)
                .map(|(s, l)| (Some(s), l))
                .unwrap_or((None, describe_bytes(&got.bytes)));
            verdict(
                HandshakeOutcome::PlainHttpOnTls,
                format!(
                    "{line} to a ClientHello: plain HTTP, not TLS (nginx: SSL_do_handshake() failed)"
                ),
                status,
            )
        }
        tls::Answer::Other | tls::Answer::Incomplete => {
            let first = match answer {
                tls::Answer::Other => format!("not TLS: {}", describe_bytes(&got.bytes)),
                _ => unfinished(&got, limit, "a ClientHello").detail,
            };
            match plain {
                Some((status, line)) => verdict(
                    HandshakeOutcome::PlainHttpOnTls,
                    format!("{first}; a plain GET got {line}: plain HTTP, not TLS"),
                    Some(status),
                ),
                None if answer == tls::Answer::Other => {
                    verdict(HandshakeOutcome::Invalid, first, None)
                }
                None => unfinished(&got, limit, "a ClientHello"),
            }
        }
    }
}

async fn fastcgi(plan: &Plan, mut s: Stream) -> Verdict {
    use wire::fastcgi::{Answer, classify, get_values};
    let limit = plan.timeouts.read;
    let got = exchange(&mut s, &get_values(), limit.probe, &|b: &[u8]| {
        classify(b) != Answer::Incomplete
    })
    .await;
    match classify(&got.bytes) {
        Answer::Record(words) => verdict(HandshakeOutcome::Ok, words, None),
        Answer::Http => {
            let first = wire::http::first_status(&got.bytes);
            let line = first
                .as_ref()
                .map(|(_, l)| l.clone())
                .unwrap_or_else(|| "HTTP/".into());
            verdict(
                HandshakeOutcome::WrongProtocol,
                format!(
                    "{line}: an HTTP server, not FastCGI (nginx: upstream sent unsupported FastCGI protocol version: 72)"
                ),
                first.map(|(s, _)| s),
            )
        }
        Answer::BadVersion(v) if is_tls(&got.bytes) => verdict(
            HandshakeOutcome::WrongProtocol,
            format!(
                "{}: a TLS port, not FastCGI (nginx: unsupported FastCGI protocol version: {v})",
                tls_words(&got.bytes)
            ),
            None,
        ),
        Answer::BadVersion(v) => verdict(
            HandshakeOutcome::Invalid,
            format!(
                "not FastCGI: {} (nginx: upstream sent unsupported FastCGI protocol version: {v})",
                describe_bytes(&got.bytes)
            ),
            None,
        ),
        Answer::Incomplete => {
            let mut v = unfinished(&got, limit, "FCGI_GET_VALUES");
            if v.outcome == HandshakeOutcome::Timeout {
                v.detail
                    .push_str("; some FastCGI servers never answer management records");
            }
            v
        }
    }
}

async fn grpc(plan: &Plan, mut s: Stream) -> Verdict {
    use wire::h2::{Answer, classify, preface};
    let limit = plan.timeouts.read;
    let got = exchange(&mut s, &preface(), limit.probe, &|b: &[u8]| {
        is_tls(b) || classify(b) != Answer::Incomplete
    })
    .await;
    if is_tls(&got.bytes) {
        return verdict(
            HandshakeOutcome::TlsOnPlain,
            format!(
                "{} to the HTTP/2 preface: the port speaks TLS (grpcs://)",
                tls_words(&got.bytes)
            ),
            None,
        );
    }
    match classify(&got.bytes) {
        Answer::Settings(words) => verdict(HandshakeOutcome::Ok, words, None),
        Answer::GoAway(code) => verdict(
            HandshakeOutcome::Closed,
            format!("HTTP/2 GOAWAY (error code {code}) right after the preface"),
            None,
        ),
        Answer::Http => {
            let first = wire::http::first_status(&got.bytes);
            let line = first.as_ref().map(|(_, l)| l.clone()).unwrap_or_default();
            verdict(
                HandshakeOutcome::WrongProtocol,
                format!("{line} to the HTTP/2 preface: HTTP/1 only, not gRPC"),
                first.map(|(s, _)| s),
            )
        }
        Answer::Other => verdict(
            HandshakeOutcome::Invalid,
            format!("not HTTP/2: {}", describe_bytes(&got.bytes)),
            None,
        ),
        Answer::Incomplete => unfinished(&got, limit, "the HTTP/2 preface"),
    }
}

/// uwsgi and SCGI answer like HTTP/CGI; an HTTP server that gets their binary request answers 400.
async fn cgi_like(plan: &Plan, mut s: Stream, request: Vec<u8>, asked: &str) -> Verdict {
    let limit = plan.timeouts.read;
    let scgi = plan.proto == Proto::Scgi;
    let got = exchange(&mut s, &request, limit.probe, &|b: &[u8]| {
        is_tls(b) || b.contains(&b'\n')
    })
    .await;
    if is_tls(&got.bytes) {
        return verdict(
            HandshakeOutcome::WrongProtocol,
            format!(
                "{} to the {asked} request: a TLS port",
                tls_words(&got.bytes)
            ),
            None,
        );
    }
    let status = if scgi {
        match wire::scgi::first_line(&got.bytes) {
            wire::scgi::FirstLine::Incomplete => None,
            wire::scgi::FirstLine::Status(s) => Some(Some(s)),
            wire::scgi::FirstLine::NotCgi => Some(None),
        }
    } else if got.bytes.contains(&b'\n') {
        Some(wire::http::first_status(&got.bytes).map(|(s, _)| s))
    } else {
        None
    };
    let line = wire::http::first_status(&got.bytes)
        .map(|(_, l)| l)
        .unwrap_or_else(|| describe_bytes(&got.bytes));
    match status {
        None => unfinished(&got, limit, asked),
        Some(None) => verdict(
            HandshakeOutcome::Invalid,
            format!("not a {asked} answer: {}", describe_bytes(&got.bytes)),
            None,
        ),
        Some(Some(400)) if wire::http::looks_like_http(&got.bytes) => verdict(
            HandshakeOutcome::WrongProtocol,
            format!(
                "{line}: what an HTTP server answers to a binary {asked} request (nginx relays the 400)"
            ),
            Some(400),
        ),
        Some(Some(s)) => verdict(HandshakeOutcome::Ok, line, Some(s)),
    }
}

async fn memcached(plan: &Plan, mut s: Stream) -> Verdict {
    let limit = plan.timeouts.read;
    let got = exchange(
        &mut s,
        wire::memcached::REQUEST,
        limit.probe,
        &|b: &[u8]| b.contains(&b'\n'),
    )
    .await;
    if wire::memcached::is_memcached(&got.bytes) {
        let line = got
            .bytes
            .split(|&b| b == b'\r' || b == b'\n')
            .next()
            .unwrap_or(&[]);
        return verdict(
            HandshakeOutcome::Ok,
            String::from_utf8_lossy(line).into_owned(),
            None,
        );
    }
    if let Some((status, line)) = wire::http::first_status(&got.bytes) {
        return verdict(
            HandshakeOutcome::WrongProtocol,
            format!("{line}: an HTTP server, not memcached"),
            Some(status),
        );
    }
    if got.bytes.contains(&b'\n') || got.end == End::Full {
        return verdict(
            HandshakeOutcome::Invalid,
            format!("not memcached: {}", describe_bytes(&got.bytes)),
            None,
        );
    }
    unfinished(&got, limit, "`version`")
}

/// The protocol exchange nginx's pass implies, on a connected stream.
pub async fn handshake(plan: &Plan, addr: &Addr, s: Stream) -> HandshakeResult {
    let started = Instant::now();
    let (request, limit) = match plan.proto {
        Proto::Http => (http_words(plan), plan.timeouts.read),
        Proto::Https | Proto::Grpcs | Proto::Suwsgi => (hello_words(plan), plan.timeouts.connect),
        Proto::Fastcgi => ("FCGI_GET_VALUES".to_string(), plan.timeouts.read),
        Proto::Grpc => ("HTTP/2 preface + SETTINGS".to_string(), plan.timeouts.read),
        Proto::Uwsgi => (
            format!("uwsgi GET {}, HTTP_HOST {}", plan.uri, plan.host_header),
            plan.timeouts.read,
        ),
        Proto::Scgi => (format!("SCGI GET {}", plan.uri), plan.timeouts.read),
        Proto::Memcached => ("memcached `version`".to_string(), plan.timeouts.read),
        Proto::Tcp => (
            "nothing (stream: connect only)".to_string(),
            plan.timeouts.connect,
        ),
    };
    let v = match plan.proto {
        Proto::Http => http(plan, addr, s, started).await,
        Proto::Https | Proto::Grpcs | Proto::Suwsgi => tls_exchange(plan, addr, s).await,
        Proto::Fastcgi => fastcgi(plan, s).await,
        Proto::Grpc => grpc(plan, s).await,
        Proto::Uwsgi => {
            let req = wire::uwsgi::request(&plan.uri, &plan.host_header, plan.port);
            cgi_like(plan, s, req, "uwsgi").await
        }
        Proto::Scgi => {
            let req = wire::scgi::request(&plan.uri, &plan.host_header);
            cgi_like(plan, s, req, "SCGI").await
        }
        Proto::Memcached => memcached(plan, s).await,
        Proto::Tcp => verdict(
            HandshakeOutcome::Ok,
            "connected (stream: connect only)",
            None,
        ),
    };
    HandshakeResult {
        protocol: plan.proto.name().to_string(),
        outcome: v.outcome,
        detail: v.detail,
        status: v.status,
        millis: millis(started),
        request,
        timeout_millis: limit.probe.as_millis() as u64,
        capped: limit.capped(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::time::Timeouts;
    use tokio::net::TcpListener;

    #[test]
    fn durations() {
        assert_eq!(fmt_duration(Duration::from_secs(3)), "3 s");
        assert_eq!(fmt_duration(Duration::from_millis(500)), "500 ms");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn connect_errors() {
        use std::io::{Error, ErrorKind};
        assert_eq!(
            connect_error(&Error::from(ErrorKind::ConnectionRefused)),
            ConnectOutcome::Refused
        );
        assert_eq!(
            connect_error(&Error::from_raw_os_error(113)),
            ConnectOutcome::Unreachable
        );
        assert_eq!(
            connect_error(&Error::from_raw_os_error(110)),
            ConnectOutcome::Timeout
        );
        assert!(matches!(
            connect_error(&Error::from_raw_os_error(2)),
            ConnectOutcome::Error(_)
        ));
    }

    #[test]
    fn random_is_not_constant() {
        let a: [u8; 32] = random_bytes();
        let b: [u8; 32] = random_bytes();
        assert_ne!(a, b);
    }

    /// What a test server does with the first bytes of a connection.
    #[derive(Clone)]
    enum Reply {
        Bytes(Vec<u8>),
        Close,
        Hold,
    }

    /// A server on 127.0.0.1 that answers every connection with `reply(first bytes)`.
    async fn serve(reply: fn(&[u8]) -> Reply) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = timeout(Duration::from_millis(500), s.read(&mut buf))
                        .await
                        .ok()
                        .and_then(|r| r.ok())
                        .unwrap_or(0);
                    match reply(&buf[..n]) {
                        Reply::Bytes(b) => {
                            let _ = s.write_all(&b).await;
                            let _ = s.shutdown().await;
                        }
                        Reply::Close => {}
                        Reply::Hold => tokio::time::sleep(Duration::from_secs(30)).await,
                    }
                });
            }
        });
        addr
    }

    fn plan(proto: Proto, port: u16) -> Plan {
        let limit = Limit {
            nginx: Duration::from_secs(60),
            probe: Duration::from_millis(400),
        };
        Plan {
            index: 0,
            proto,
            dest: Ok(super::super::plan::Dest::Ip(IpAddr::V4(
                Ipv4Addr::LOCALHOST,
            ))),
            port,
            uri: "/".into(),
            host_header: format!("app:{port}"),
            sni: Some("app".into()),
            timeouts: Timeouts {
                connect: limit,
                read: limit,
            },
            runtime: false,
            resolver: None,
            label: format!("app:{port}"),
        }
    }

    async fn probe(proto: Proto, addr: SocketAddr) -> (ConnectResult, Option<HandshakeResult>) {
        let p = plan(proto, addr.port());
        let a = Addr::Tcp(addr);
        let (c, s) = connect(&a, p.timeouts.connect).await;
        let h = match s {
            Some(s) => Some(handshake(&p, &a, s).await),
            None => None,
        };
        (c, h)
    }

    fn ok_200(req: &[u8]) -> Reply {
        if req.starts_with(b"GET ") {
            Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec())
        } else {
            Reply::Close
        }
    }

    fn tls_server(req: &[u8]) -> Reply {
        if req.starts_with(&[0x16, 0x03]) {
            // a TLS 1.2 ServerHello header (cut): enough to say the port speaks TLS
            Reply::Bytes(vec![
                0x16, 0x03, 0x03, 0x00, 0x45, 0x02, 0x00, 0x00, 0x41, 0x03, 0x03,
            ])
        } else {
            Reply::Close
        }
    }

    #[tokio::test]
    async fn http_ok_and_refused() {
        let addr = serve(ok_200).await;
        let (c, h) = probe(Proto::Http, addr).await;
        assert_eq!(c.outcome, ConnectOutcome::Connected);
        let h = h.unwrap();
        assert_eq!((h.outcome, h.status), (HandshakeOutcome::Ok, Some(200)));
        assert!(h.capped);

        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let (c, h) = probe(Proto::Http, closed).await;
        assert_eq!(c.outcome, ConnectOutcome::Refused);
        assert!(h.is_none());
    }

    #[tokio::test]
    async fn silent_and_closing_ports() {
        let silent = serve(|_| Reply::Hold).await;
        let h = probe(Proto::Http, silent).await.1.unwrap();
        assert_eq!(h.outcome, HandshakeOutcome::Timeout, "{h:?}");
        assert!(h.detail.contains("the probe's cap"), "{}", h.detail);

        let closing = serve(|_| Reply::Close).await;
        let h = probe(Proto::Http, closing).await.1.unwrap();
        assert_eq!(h.outcome, HandshakeOutcome::Closed, "{h:?}");
        let h = probe(Proto::Https, closing).await.1.unwrap();
        assert_eq!(h.outcome, HandshakeOutcome::Closed, "{h:?}");
    }

    #[tokio::test]
    async fn tls_both_ways() {
        // A TLS server that closes on plain text without a word: found by the ClientHello that follows.
        let tls = serve(tls_server).await;
        let h = probe(Proto::Http, tls).await.1.unwrap();
        assert_eq!(h.outcome, HandshakeOutcome::TlsOnPlain, "{h:?}");
        let h = probe(Proto::Https, tls).await.1.unwrap();
        assert_eq!(h.outcome, HandshakeOutcome::Ok, "{h:?}");
        assert_eq!(h.detail, "TLS handshake");

        // An HTTP server that closes on a ClientHello without a word: found by the plain GET that follows.
        let plain = serve(ok_200).await;
        let h = probe(Proto::Https, plain).await.1.unwrap();
        assert_eq!(
            (h.outcome, h.status),
            (HandshakeOutcome::PlainHttpOnTls, Some(200)),
            "{h:?}"
        );

        // A TLS alert to plain HTTP.
        let alert = serve(|_| Reply::Bytes(vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])).await;
        let h = probe(Proto::Http, alert).await.1.unwrap();
        assert_eq!(h.outcome, HandshakeOutcome::TlsOnPlain, "{h:?}");
        assert!(h.detail.contains("protocol_version"), "{}", h.detail);
    }

    #[tokio::test]
    async fn fastcgi_grpc_uwsgi_scgi_memcached() {
        let fcgi = serve(|req| {
            if req.first() == Some(&1) && req.get(1) == Some(&9) {
                Reply::Bytes(vec![1, 10, 0, 0, 0, 0, 0, 0])
            } else {
                Reply::Close
            }
        })
        .await;
        let h = probe(Proto::Fastcgi, fcgi).await.1.unwrap();
        assert_eq!(h.outcome, HandshakeOutcome::Ok, "{h:?}");

        let h2 = serve(|req| {
            if req.starts_with(wire::h2::PREFACE) {
                Reply::Bytes(vec![0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0x40, 0])
            } else {
                Reply::Close
            }
        })
        .await;
        let h = probe(Proto::Grpc, h2).await.1.unwrap();
        assert_eq!(h.outcome, HandshakeOutcome::Ok, "{h:?}");

        let http_400 = serve(|_| {
            Reply::Bytes(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n".to_vec())
        })
        .await;
        for proto in [
            Proto::Fastcgi,
            Proto::Grpc,
            Proto::Uwsgi,
            Proto::Scgi,
            Proto::Memcached,
        ] {
            let h = probe(proto, http_400).await.1.unwrap();
            assert_eq!(
                h.outcome,
                HandshakeOutcome::WrongProtocol,
                "{proto:?}: {h:?}"
            );
            assert_eq!(h.status, Some(400));
        }

        let uwsgi = serve(|req| {
            if req.first() == Some(&0) {
                Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhi".to_vec())
            } else {
                Reply::Close
            }
        })
        .await;
        let h = probe(Proto::Uwsgi, uwsgi).await.1.unwrap();
        assert_eq!((h.outcome, h.status), (HandshakeOutcome::Ok, Some(200)));

        let scgi = serve(|req| {
            if req.windows(4).any(|w| w == b"SCGI") {
                Reply::Bytes(b"Status: 404 Not Found\r\n\r\n".to_vec())
            } else {
                Reply::Close
            }
        })
        .await;
        let h = probe(Proto::Scgi, scgi).await.1.unwrap();
        assert_eq!((h.outcome, h.status), (HandshakeOutcome::Ok, Some(404)));

        let mc = serve(|req| {
            if req == b"version\r\n" {
                Reply::Bytes(b"VERSION 1.6.21\r\n".to_vec())
            } else {
                Reply::Close
            }
        })
        .await;
        let h = probe(Proto::Memcached, mc).await.1.unwrap();
        assert_eq!(h.outcome, HandshakeOutcome::Ok);
        assert_eq!(h.detail, "VERSION 1.6.21");

        let h = probe(Proto::Tcp, mc).await.1.unwrap();
        assert_eq!(
            (h.outcome, h.protocol.as_str()),
            (HandshakeOutcome::Ok, "tcp")
        );
    }

    #[tokio::test]
    async fn unix_socket() {
        let dir = std::env::temp_dir().join(format!("cd-probe-unix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("app.sock");
        let _ = std::fs::remove_file(&path);
        let l = tokio::net::UnixListener::bind(&path).unwrap();
        tokio::spawn(async move {
            if let Ok((mut s, _)) = l.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
            }
        });
        let p = plan(Proto::Http, 0);
        let a = Addr::Unix {
            open: path.clone(),
            path: "/run/app.sock".into(),
        };
        let (c, s) = connect(&a, p.timeouts.connect).await;
        assert_eq!(c.outcome, ConnectOutcome::Connected);
        assert_eq!(c.unix_path.as_deref(), Some("/run/app.sock"));
        let h = handshake(&p, &a, s.unwrap()).await;
        assert_eq!((h.outcome, h.status), (HandshakeOutcome::Ok, Some(204)));
        let missing = Addr::Unix {
            open: dir.join("missing.sock"),
            path: "/run/missing.sock".into(),
        };
        let (c, _) = connect(&missing, p.timeouts.connect).await;
        assert!(matches!(c.outcome, ConnectOutcome::Error(_)), "{c:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
