use super::ports::PortVerdict;
use super::resolve::Resolved;
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD107",
    name: "loopback-bind",
    category: "loopback-bind",
    severity: Severity::Error,
    summary: "The upstream listens only on 127.0.0.1 inside its own container",
    doc: "## What it checks
Whether the upstream's command binds its port to `127.0.0.1`/`localhost`/`::1` (`--host 127.0.0.1`,
`-b 127.0.0.1:8000`, `runserver 127.0.0.1:8000`, `httpd -p 127.0.0.1:8080`). Live mode confirms it from the
container's listening sockets.

## Why it breaks
A socket bound to loopback accepts connections only from inside the same container. nginx connects to the
container's network address and is refused: `connect() failed (111: Connection refused)`, 502. Many dev servers
(Flask, Django's runserver, Vite, uvicorn) bind to 127.0.0.1 by default.

## Example
```yaml
app:
  command: uvicorn main:app --host 127.0.0.1 --port 8000
```

## Fix
Bind to all interfaces inside the container: `--host 0.0.0.0` (or `-b 0.0.0.0:8000`, `runserver 0.0.0.0:8000`).",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let Resolved::Service { service, .. } = &rc.resolved else {
        return;
    };
    let Some(PortVerdict::LoopbackOnly(e)) = &rc.port_verdict else {
        return;
    };
    let addr = e.bind.clone().unwrap_or_else(|| "127.0.0.1".into());
    let mut f = Finding::new(
        &RULE,
        format!(
            "`{service}` listens on {addr}:{} only, which other containers cannot reach",
            e.start
        ),
        format!(
            "make `{service}` listen on 0.0.0.0:{} (all interfaces of its container)",
            e.start
        ),
    )
    .at(Some(rc.target.loc.clone()));
    if let Some(l) = &e.loc {
        f = f.related(l, format!("binds {addr}:{} here", e.start));
    }
    out.push(f);
}
