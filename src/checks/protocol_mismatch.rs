use super::resolve::Resolved;
use super::server::Speaks;
use super::{Finding, RouteCtx, Rule, Severity};
use crate::nginx::PassKind;

pub static RULE: Rule = Rule {
    code: "CD113",
    name: "protocol-mismatch",
    category: "protocol-mismatch",
    severity: Severity::Error,
    summary: "The directive's protocol is not the one the upstream speaks (FastCGI, uwsgi, HTTP, gRPC)",
    doc: "## What it checks
Each `*_pass` speaks one protocol: `proxy_pass` HTTP, `fastcgi_pass` FastCGI, `uwsgi_pass` uwsgi, `scgi_pass`
SCGI, `grpc_pass` HTTP/2 gRPC. This compares it with what the upstream's command or image says it speaks:
`php-fpm` (FastCGI), `uwsgi --socket` (uwsgi), `gunicorn`/`httpd`/`uvicorn`/`uwsgi --http` (HTTP/1).

## Why it breaks
The upstream cannot parse what nginx sends, or nginx cannot parse the answer:
`upstream sent unsupported FastCGI protocol version: 72` (HTTP answered to FastCGI), `upstream prematurely closed
connection`, `upstream sent invalid header`; the client gets 502.

## Example
```nginx
location ~ \\.php$ { proxy_pass http://php:9000; }   # php-fpm speaks FastCGI
```

## Fix
Use the directive that matches the upstream (`fastcgi_pass php:9000;` with `include fastcgi_params;`), or
switch the upstream to the protocol nginx speaks (`uwsgi --http`).",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let t = rc.target;
    let service = match &rc.resolved {
        Resolved::Service { service, .. } => service.clone(),
        Resolved::Loopback => match &rc.loopback_service {
            Some(s) => s.clone(),
            None => return,
        },
        _ => return,
    };
    let Some((speaks, why)) = rc.ctx.speaks(&service) else {
        return;
    };
    let (ours, mismatch) = match t.kind {
        PassKind::Proxy if matches!(t.scheme.as_deref(), Some("http") | Some("https") | None) => {
            (Speaks::PlainHttp.describe(), speaks != Speaks::PlainHttp)
        }
        PassKind::Fastcgi => (Speaks::FastCgi.describe(), speaks != Speaks::FastCgi),
        PassKind::Uwsgi => (Speaks::Uwsgi.describe(), speaks != Speaks::Uwsgi),
        // gRPC needs HTTP/2, SCGI and memcached have their own protocols: none of the servers we recognise
        // answers them
        PassKind::Grpc => ("HTTP/2 (gRPC)", true),
        PassKind::Scgi => ("SCGI", true),
        PassKind::Memcached => ("the memcached protocol", true),
        _ => return,
    };
    if !mismatch {
        return;
    }
    out.push(
        Finding::new(
            &RULE,
            format!(
                "`{}` speaks {ours} to `{service}`, which speaks {}: {why}",
                t.kind.directive(),
                speaks.describe()
            ),
            format!("use {} for this upstream", directive_for(speaks)),
        )
        .at(Some(t.loc.clone())),
    );
}

fn directive_for(s: Speaks) -> &'static str {
    match s {
        Speaks::PlainHttp => "`proxy_pass http://...`",
        Speaks::FastCgi => "`fastcgi_pass` (with `include fastcgi_params;`)",
        Speaks::Uwsgi => "`uwsgi_pass` (with `include uwsgi_params;`)",
    }
}
