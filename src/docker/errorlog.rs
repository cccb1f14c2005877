//! nginx's error log, as the container's output carries it: lines of the form
//! `YYYY/MM/DD HH:MM:SS [level] pid#tid: *cid message, client: ..., server: ..., request: "...",
//! upstream: "...", host: "..."`, or `nginx: [level] message` when nginx writes to stderr before its log
//! is open. Access-log lines and everything else are ignored; notices and info lines too.

use crate::live::{ErrorKind, ErrorLogEntry};

/// Levels kept: what can explain a failure.
const KEPT_LEVELS: [&str; 5] = ["emerg", "alert", "crit", "error", "warn"];

/// Parses every error-log line of `text` (at level warn and above) and folds identical ones (same level,
/// kind, message, upstream and host) into one entry with a count, in order of first appearance.
pub fn parse_log(text: &str) -> Vec<ErrorLogEntry> {
    let mut out: Vec<ErrorLogEntry> = Vec::new();
    let mut index: std::collections::HashMap<(String, ErrorKind, String, Option<String>), usize> =
        std::collections::HashMap::new();
    for line in text.lines() {
        let Some(entry) = parse_line(line) else {
            continue;
        };
        let key = (
            entry.level.clone(),
            entry.kind,
            entry.message.clone(),
            entry.upstream.clone(),
        );
        match index.get(&key) {
            Some(&i) => {
                out[i].count += 1;
                if !entry.time.is_empty() {
                    out[i].last_time = Some(entry.time);
                }
            }
            None => {
                index.insert(key, out.len());
                out.push(entry);
            }
        }
    }
    out
}

/// One error-log line, or `None` for anything else (access log, notices, noise).
pub fn parse_line(line: &str) -> Option<ErrorLogEntry> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (time, rest) = if let Some(rest) = line.strip_prefix("nginx: ") {
        (String::new(), rest)
    } else {
        let time = line.get(..19)?;
        if !is_nginx_time(time) {
            return None;
        }
        (time.to_string(), line.get(19..)?.strip_prefix(' ')?)
    };
    let rest = rest.strip_prefix('[')?;
    let (level, rest) = rest.split_once("] ")?;
    if !KEPT_LEVELS.contains(&level) {
        return None;
    }
    // `pid#tid: ` (absent in the stderr form), then `*cid ` for messages about a connection.
    let rest = match rest.split_once(": ") {
        Some((ids, msg)) if is_pid_tid(ids) => msg,
        _ => rest,
    };
    let rest = match rest.strip_prefix('*') {
        Some(r) => match r.split_once(' ') {
            Some((cid, msg)) if !cid.is_empty() && cid.bytes().all(|b| b.is_ascii_digit()) => msg,
            _ => rest,
        },
        None => rest,
    };
    let (message, context) = split_context(rest);
    let upstream = context_field(context, "upstream");
    let kind = classify(level, message);
    let host = match kind {
        ErrorKind::HostNotFound => between(message, "host not found in upstream \"", "\"")
            .map(|h| strip_port(h).to_string()),
        ErrorKind::NoResolver => message
            .strip_prefix("no resolver defined to resolve ")
            .map(|h| h.trim().to_string()),
        ErrorKind::CouldNotResolve => message
            .split_once(" could not be resolved")
            .map(|(h, _)| h.trim().to_string()),
        _ => None,
    };
    Some(ErrorLogEntry {
        time,
        level: level.to_string(),
        kind,
        message: message.to_string(),
        upstream,
        host,
        count: 1,
        last_time: None,
    })
}

/// `2026/11/21 06:21:19`
fn is_nginx_time(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'/',
            10 => c == b' ',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        })
}

fn is_pid_tid(s: &str) -> bool {
    match s.split_once('#') {
        Some((p, t)) => {
            !p.is_empty()
                && !t.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && t.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Splits `message, client: ..., server: ...` at the first context field nginx appends.
fn split_context(rest: &str) -> (&str, &str) {
    const FIELDS: [&str; 4] = [", client: ", ", server: ", ", upstream: ", ", host: "];
    let cut = FIELDS.iter().filter_map(|f| rest.find(f)).min();
    match cut {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    }
}

/// The quoted value of `, name: "value"` in the context part.
fn context_field(context: &str, name: &str) -> Option<String> {
    let key = format!(", {name}: \"");
    let start = context.find(&key)? + key.len();
    let end = context[start..].find('"')? + start;
    Some(context[start..end].to_string())
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(&s[start..end])
}

/// `app:8080` → `app`, `[::1]:80` → `::1`, `app` → `app`.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

fn classify(level: &str, m: &str) -> ErrorKind {
    if m.starts_with("connect() failed (111:") {
        ErrorKind::ConnectionRefused
    } else if m.starts_with("connect() failed (113:")
        || m.starts_with("connect() failed (110:")
        || m.starts_with("connect() failed (101:")
        || (m.starts_with("upstream timed out") && m.contains("while connecting to upstream"))
    {
        ErrorKind::NoRoute
    } else if m.starts_with("upstream timed out") {
        ErrorKind::Timeout
    } else if m.starts_with("no live upstreams") {
        ErrorKind::NoLiveUpstreams
    } else if m.contains("host not found in upstream \"") {
        ErrorKind::HostNotFound
    } else if m.starts_with("no resolver defined to resolve ") {
        ErrorKind::NoResolver
    } else if m.contains(" could not be resolved (") {
        ErrorKind::CouldNotResolve
    } else if m.starts_with("upstream sent invalid header")
        || m.starts_with("upstream sent no valid HTTP/1.0 header")
        || m.starts_with("upstream sent invalid status")
    {
        ErrorKind::InvalidHeader
    } else if m.starts_with("upstream sent unsupported FastCGI protocol version") {
        ErrorKind::FastcgiProtocol
    } else if m.starts_with("SSL_do_handshake() failed") {
        ErrorKind::TlsHandshake
    } else if m.starts_with("upstream prematurely closed connection") {
        ErrorKind::PrematureClose
    } else if level == "emerg" {
        ErrorKind::Emerg
    } else {
        ErrorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<ErrorLogEntry> {
        let path = format!("{}/testdata/docker/{name}.log", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        parse_log(&text)
    }

    /// The only entry of a fixture (notices and access-log lines dropped).
    fn only(name: &str) -> ErrorLogEntry {
        let mut all = fixture(name);
        assert_eq!(all.len(), 1, "{name}: {all:#?}");
        all.remove(0)
    }

    #[test]
    fn wrong_port_two_upstreams() {
        let all = fixture("wrong-port");
        assert_eq!(all.len(), 2, "{all:#?}");
        for e in &all {
            assert_eq!(e.kind, ErrorKind::ConnectionRefused);
            assert_eq!(e.level, "error");
            assert_eq!(
                e.message,
                "connect() failed (111: Connection refused) while connecting to upstream"
            );
            assert_eq!(e.count, 1);
        }
        assert_eq!(all[0].upstream.as_deref(), Some("http://192.168.80.2:80/"));
        assert_eq!(
            all[1].upstream.as_deref(),
            Some("http://192.168.80.2:8000/")
        );
        assert_eq!(all[0].time, "2026/11/21 06:21:19");
    }

    #[test]
    fn unknown_host_emerg_at_start() {
        let e = only("unknown-host");
        assert_eq!(e.kind, ErrorKind::HostNotFound);
        assert_eq!(e.level, "emerg");
        assert_eq!(e.host.as_deref(), Some("bakend"));
        assert_eq!(e.upstream, None);
        assert_eq!(
            e.message,
            "host not found in upstream \"bakend\" in /etc/nginx/conf.d/default.conf:6"
        );
    }

    #[test]
    fn resolver_cases() {
        let e = only("no-resolver-variable");
        assert_eq!(e.kind, ErrorKind::NoResolver);
        assert_eq!(e.host.as_deref(), Some("app"));
        assert_eq!(e.upstream, None);
        let e = only("unknown-host-resolver");
        assert_eq!(e.kind, ErrorKind::CouldNotResolve);
        assert_eq!(e.host.as_deref(), Some("bakend"));
        assert_eq!(
            e.message,
            "bakend could not be resolved (3: Host not found)"
        );
    }

    #[test]
    fn protocol_cases() {
        let e = only("https-to-plain");
        assert_eq!(e.kind, ErrorKind::TlsHandshake);
        assert_eq!(e.upstream.as_deref(), Some("https://192.168.128.2:8080/"));
        let e = only("fastcgi-to-http");
        assert_eq!(e.kind, ErrorKind::FastcgiProtocol);
        assert_eq!(e.upstream.as_deref(), Some("fastcgi://192.168.144.2:8080"));
        let e = only("invalid-header");
        assert_eq!(e.kind, ErrorKind::InvalidHeader);
        assert!(
            e.message
                .starts_with("upstream sent invalid header: \"Content\\x20...\"")
        );
        let all = fixture("not-http-upstream");
        assert_eq!(all[0].kind, ErrorKind::InvalidHeader);
        assert_eq!(all[1].kind, ErrorKind::Other, "readv() reset");
    }

    #[test]
    fn timeouts_and_dead_upstreams() {
        let e = only("upstream-timeout");
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert_eq!(
            e.upstream.as_deref(),
            Some("http://192.168.160.2:8080/cgi-bin/report")
        );
        let e = only("upstream-stopped");
        assert_eq!(e.kind, ErrorKind::NoRoute);
        assert_eq!(e.upstream.as_deref(), Some("http://192.168.176.2:8080/"));
    }

    #[test]
    fn partial_upstream_folds_identical_lines() {
        let all = fixture("partial-upstream");
        assert_eq!(all.len(), 2, "{all:#?}");
        assert_eq!(all[0].kind, ErrorKind::ConnectionRefused);
        assert_eq!(all[0].count, 2, "one per worker");
        assert_eq!(all[0].last_time.as_deref(), Some("2026/11/21 06:22:03"));
        assert_eq!(all[1].level, "warn");
        assert_eq!(all[1].kind, ErrorKind::Other);
        assert_eq!(all[1].count, 2);
    }

    /// Lines in the formats of nginx 1.22's source for cases the examples do not produce.
    #[test]
    fn other_messages() {
        let cases = [
            (
                "2026/11/21 06:30:00 [error] 7#7: *9 no live upstreams while connecting to upstream, client: 10.0.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://backend/\", host: \"example\"",
                ErrorKind::NoLiveUpstreams,
            ),
            (
                "2026/11/21 06:30:00 [error] 7#7: *9 upstream prematurely closed connection while reading response header from upstream, client: 10.0.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.2:8080/\", host: \"example\"",
                ErrorKind::PrematureClose,
            ),
            (
                "2026/11/21 06:30:00 [error] 7#7: *9 upstream timed out (110: Connection timed out) while connecting to upstream, client: 10.0.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.2:8080/\", host: \"example\"",
                ErrorKind::NoRoute,
            ),
            (
                "2026/11/21 06:30:00 [emerg] 1#1: unknown directive \"proxy_passs\" in /etc/nginx/conf.d/default.conf:3",
                ErrorKind::Emerg,
            ),
            (
                "nginx: [emerg] host not found in upstream \"app:8080\" in /etc/nginx/conf.d/default.conf:6",
                ErrorKind::HostNotFound,
            ),
        ];
        for (line, kind) in cases {
            let e = parse_line(line).unwrap_or_else(|| panic!("not parsed: {line}"));
            assert_eq!(e.kind, kind, "{line}");
        }
        let e = parse_line(cases[4].0).unwrap();
        assert_eq!(e.time, "");
        assert_eq!(e.host.as_deref(), Some("app"));
        let e = parse_line(cases[0].0).unwrap();
        assert_eq!(e.upstream.as_deref(), Some("http://backend/"));
        assert_eq!(e.message, "no live upstreams while connecting to upstream");
    }

    #[test]
    fn noise_is_ignored() {
        for line in [
            "192.168.80.1 - - [21/Nov/2026:06:21:19 +0000] \"GET / HTTP/1.1\" 502 157 \"-\" \"-\" \"-\"",
            "2026/11/21 06:21:19 [notice] 1#1: start worker processes",
            "2026/11/21 06:21:19 [info] 7#7: *1 client closed connection while waiting for request",
            "2026/11/21 06:21:19 garbage",
            "2026-11-21 06:21:19 [error] 1#1: not nginx's time format",
            "",
            "[error]",
            "2026/11/21 06:21:19 [error]",
        ] {
            assert!(parse_line(line).is_none(), "{line}");
        }
    }

    #[test]
    fn strip_port_forms() {
        assert_eq!(strip_port("app:8080"), "app");
        assert_eq!(strip_port("app"), "app");
        assert_eq!(strip_port("[::1]:80"), "::1");
        assert_eq!(strip_port("::1"), "::1");
    }
}
