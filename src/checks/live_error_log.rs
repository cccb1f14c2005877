//! Findings from nginx's own error log (live mode): what nginx met when it really connected.

use super::{Finding, RouteCtx, Rule, Severity};
use crate::live::{ErrorKind, ErrorLogEntry};

pub static TIMEOUT: Rule = Rule {
    code: "CD305",
    name: "upstream-timeout",
    category: "timeout",
    severity: Severity::Error,
    summary: "nginx's error log shows the upstream timing out (504)",
    doc: "## What it checks
Live mode: `upstream timed out (110: Connection timed out) while reading response header from upstream` (and
while connecting or sending) in the proxy's error log for this target, since the upstream's container started.

## Why it breaks
The upstream accepts the connection but answers later than `proxy_read_timeout` (60 s by default); nginx gives
up and answers 504 Gateway Timeout. Slow queries, a worker pool that is exhausted, or a deadlock.

## Example
```nginx
proxy_read_timeout 3s;   # the upstream needs 30 s for /report
```

## Fix
Make the upstream answer faster, or raise the timeout for that location
(`proxy_read_timeout 120s;`, `fastcgi_read_timeout`, ...). The probe (`--probe`) measures the time.",
};

pub static INVALID: Rule = Rule {
    code: "CD306",
    name: "invalid-response",
    category: "invalid-response",
    severity: Severity::Error,
    summary: "nginx's error log shows the upstream answering something that is not valid HTTP",
    doc: "## What it checks
Live mode: `upstream sent invalid header`, `upstream sent no valid HTTP/1.0 header`, `upstream prematurely
closed connection` in the proxy's error log for this target.

## Why it breaks
The upstream's answer cannot be relayed: a port that speaks another protocol (a database, a raw TCP service,
a debug port), a crash mid-answer, or malformed headers. nginx answers 502, or passes garbage on as HTTP/0.9.

## Example
```text
upstream sent no valid HTTP/1.0 header while reading response header from upstream
```

## Fix
Point nginx at the port that speaks HTTP, use the directive for the upstream's protocol (`fastcgi_pass`,
`uwsgi_pass`, `grpc_pass`), or fix the upstream's crash (its logs).",
};

pub static TLS: Rule = Rule {
    code: "CD307",
    name: "tls-handshake-failed",
    category: "tls-mismatch",
    severity: Severity::Error,
    summary: "nginx's error log shows TLS handshakes to the upstream failing",
    doc: "## What it checks
Live mode: `SSL_do_handshake() failed` (often `wrong version number`: TLS spoken to a plain-HTTP port) in the
proxy's error log for this target.

## Why it breaks
nginx cannot establish TLS to the upstream and answers 502.

## Example
```nginx
proxy_pass https://app:8080;   # app speaks plain HTTP
```

## Fix
`proxy_pass http://...` for a plain upstream; for a TLS upstream, check its certificate setup and
`proxy_ssl_server_name on;` when it needs SNI.",
};

pub static PROTOCOL: Rule = Rule {
    code: "CD308",
    name: "protocol-error",
    category: "protocol-mismatch",
    severity: Severity::Error,
    summary: "nginx's error log shows the upstream speaking another protocol than the directive",
    doc: "## What it checks
Live mode: `upstream sent unsupported FastCGI protocol version` and similar protocol errors in the proxy's
error log for this target.

## Why it breaks
`fastcgi_pass` to an HTTP server (the `72` in the message is the `H` of `HTTP/1.1`), or a uwsgi/scgi/grpc pass
to a server of another protocol: nginx cannot read the answer and returns 502.

## Example
```nginx
fastcgi_pass app:8080;   # app is an HTTP server
```

## Fix
Use `proxy_pass http://app:8080;` for an HTTP upstream, or point `fastcgi_pass` at php-fpm.",
};

/// The error-log entries that belong to this route: by the upstream address nginx used (one of the
/// service's current addresses and the route's port), seen since the upstream's container started.
fn entries<'a>(rc: &'a RouteCtx) -> Vec<&'a ErrorLogEntry> {
    let Some(live) = &rc.ctx.facts.live else {
        return vec![];
    };
    let (Some(service), Some(port)) = (rc.service_name(), rc.port) else {
        return vec![];
    };
    let Some(proxy) = live
        .containers_of(&rc.proxy.service)
        .find(|c| c.nginx.is_some())
    else {
        return vec![];
    };
    let ups: Vec<_> = live.containers_of(service).collect();
    let ips: Vec<std::net::IpAddr> = ups
        .iter()
        .flat_map(|c| c.networks.iter().filter_map(|n| n.ipv4.or(n.ipv6)))
        .collect();
    let since = ups
        .iter()
        .filter_map(|c| c.started_at_unix)
        .fold(f64::MIN, f64::max);
    proxy
        .nginx
        .as_ref()
        .unwrap()
        .errors
        .iter()
        .filter(|e| {
            e.upstream
                .as_deref()
                .and_then(super::context::upstream_addr)
                .is_some_and(|(ip, p)| p == port && ips.contains(&ip))
        })
        .filter(|e| {
            super::context::log_time(e.last_time.as_deref().unwrap_or(&e.time))
                .is_none_or(|t| t + 1.0 >= since)
        })
        .collect()
}

fn push(rc: &RouteCtx, rule: &'static Rule, e: &ErrorLogEntry, out: &mut Vec<Finding>) {
    if out.iter().any(|f| f.rule.category == rule.category) {
        return;
    }
    let times = if e.count > 1 {
        format!(
            " ({} times, last at {})",
            e.count,
            e.last_time.as_deref().unwrap_or(&e.time)
        )
    } else {
        format!(" (at {})", e.time)
    };
    out.push(
        Finding::new(
            rule,
            format!("nginx logged `{}` for {}{times}", e.message, e.upstream.as_deref().unwrap_or("this upstream")),
            match rule.code {
                "CD305" => "make the upstream answer faster, or raise `proxy_read_timeout` for this location",
                "CD306" => "point nginx at a port that speaks HTTP, or use the directive of the upstream's protocol",
                "CD307" => "use `http://` for a plain-HTTP upstream",
                _ => "use the directive that matches the upstream's protocol",
            },
        )
        .at(Some(rc.target.loc.clone())),
    );
}

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    for e in entries(rc) {
        match e.kind {
            ErrorKind::Timeout => push(rc, &TIMEOUT, e, out),
            ErrorKind::InvalidHeader | ErrorKind::PrematureClose => push(rc, &INVALID, e, out),
            ErrorKind::TlsHandshake => push(rc, &TLS, e, out),
            ErrorKind::FastcgiProtocol => push(rc, &PROTOCOL, e, out),
            _ => {}
        }
    }
}
