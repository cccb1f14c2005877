use super::resolve::Resolved;
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD110",
    name: "static-resolution",
    category: "stale-ip",
    severity: Severity::Info,
    summary: "nginx resolves this service once at start and keeps the IP until reloaded",
    doc: "## What it checks
Targets named literally (`proxy_pass http://app:8080;`, `server app:8080;` without `resolve`). nginx looks such
names up once when it starts (or reloads) and keeps the addresses.

## Why it breaks
When the upstream's container is recreated (`docker compose up` after a change, a crash with `restart:`), it can
get a different IP. nginx keeps connecting to the old one: `connect() failed (113: No route to host)` or a
connection to whatever container got that address, and clients get 502 or 504 until nginx is reloaded. Live mode
turns this hint into a finding when the container really started after nginx or its IP changed.

## Example
```nginx
location / { proxy_pass http://app:8080; }
```

## Fix
Let nginx re-resolve: `resolver 127.0.0.11 valid=10s; set $up app:8080; proxy_pass http://$up;` (note that a
variable `proxy_pass` does not add the URI the way a literal one does), or reload nginx after recreating the
upstream (`docker compose exec proxy nginx -s reload`), or recreate the proxy with it.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let t = rc.target;
    if t.runtime_resolution || !matches!(t.host, crate::nginx::Host::Name(_)) {
        return;
    }
    let Resolved::Service {
        service, shared, ..
    } = &rc.resolved
    else {
        return;
    };
    if shared.is_empty() {
        return;
    }
    out.push(
        Finding::new(
            &RULE,
            format!("nginx resolves `{}` once at start; if `{service}` is recreated with a new IP, nginx keeps the old one", rc.host_text()),
            "reload nginx after recreating the upstream, or resolve per request: `resolver 127.0.0.11 valid=10s;` with `set $up ...; proxy_pass http://$up;`",
        )
        .at(Some(t.loc.clone())),
    );
}
