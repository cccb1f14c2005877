use super::resolve::Resolved;
use super::server::Speaks;
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD112",
    name: "tls-mismatch",
    category: "tls-mismatch",
    severity: Severity::Error,
    summary: "`https://` to a plain-HTTP upstream, or `http://` to a TLS port",
    doc: "## What it checks
The scheme of `proxy_pass`/`grpc_pass` against what is known of the upstream: `https://` (or `grpcs://`) to port
80 or to a server whose command speaks plain HTTP (`gunicorn` without certificates, `httpd`, `uvicorn` without
`--ssl-keyfile`, ...), and `http://` to port 443. When the upstream is itself an nginx service of the project,
its `listen ... ssl` lines decide.

## Why it breaks
nginx starts a TLS handshake and gets an HTTP answer: `SSL_do_handshake() failed (SSL: error:...:wrong version
number) while SSL handshaking to upstream`, 502. The other way round, a TLS server answers plain HTTP with
`400 The plain HTTP request was sent to HTTPS port`, which nginx passes on.

## Example
```nginx
proxy_pass https://app:8080;   # app runs gunicorn --bind 0.0.0.0:8080
```

## Fix
Match the scheme to the upstream: `proxy_pass http://app:8080;` for a plain server; `https://` only for a
port that speaks TLS.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let t = rc.target;
    let Some(scheme) = t.scheme.as_deref() else {
        return;
    };
    let Some(port) = rc.port else { return };
    let tls = matches!(scheme, "https" | "grpcs" | "suwsgi");
    let service = match &rc.resolved {
        Resolved::Service { service, .. } => Some(service.clone()),
        Resolved::Loopback => rc.loopback_service.clone(),
        _ => None,
    };
    let known = service.as_deref().and_then(|s| rc.ctx.speaks(s));
    // an upstream that is itself an nginx service of the project: its `listen` lines decide
    let upstream_listen = service.as_deref().and_then(|s| {
        let p = rc.ctx.facts.proxies.iter().find(|p| p.service == s)?;
        super::context::listen_ports(p.loaded()?)
            .into_iter()
            .find(|(lp, _)| *lp == port)
    });
    if let Some((_, ssl)) = upstream_listen {
        let svc = service.as_deref().unwrap_or("?");
        if tls && !ssl {
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "`{}` starts a TLS handshake, but nginx in `{svc}` listens on {port} without `ssl`",
                        t.raw
                    ),
                    format!("use `http://` for port {port}"),
                )
                .at(Some(t.loc.clone())),
            );
        } else if !tls && ssl && matches!(scheme, "http" | "grpc") {
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "`{}` sends plain HTTP, but nginx in `{svc}` listens on {port} with `ssl` (it answers \
                         400 \"The plain HTTP request was sent to HTTPS port\")",
                        t.raw
                    ),
                    format!("use `{scheme}s://` for port {port}"),
                )
                .at(Some(t.loc.clone())),
            );
        }
        return;
    }
    if tls {
        let why = match (&known, port) {
            (Some((Speaks::PlainHttp, why)), _) => Some(format!(
                "`{}` speaks plain HTTP: {why}",
                service.as_deref().unwrap_or("?")
            )),
            (_, 80) => Some("port 80 is plain HTTP".to_string()),
            _ => None,
        };
        if let Some(why) = why {
            out.push(
                Finding::new(
                    &RULE,
                    format!("`{}` starts a TLS handshake, but {why}", t.raw),
                    format!(
                        "use `{}://` for a plain-HTTP upstream",
                        if scheme == "grpcs" { "grpc" } else { "http" }
                    ),
                )
                .at(Some(t.loc.clone())),
            );
        }
    } else if port == 443 && matches!(scheme, "http" | "grpc") {
        out.push(
            Finding::new(
                &RULE,
                format!("`{}` sends plain HTTP to port 443, which normally speaks TLS (the upstream answers 400)", t.raw),
                format!("use `{}s://` for a TLS port", scheme),
            )
            .severity(Severity::Warning)
            .at(Some(t.loc.clone())),
        );
    }
}
