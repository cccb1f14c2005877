use super::{Finding, Rule, Severity};
use crate::live::{ErrorKind, LiveFacts};
use crate::model::Proxy;

pub static RULE: Rule = Rule {
    code: "CD303",
    name: "proxy-not-running",
    category: "config-error",
    severity: Severity::Error,
    summary: "The nginx container itself is not running, with the reason nginx gave",
    doc: "## What it checks
Live mode: the proxy service's container. When it is not running, the reason: nginx's last `[emerg]` line
(`host not found in upstream`, a directive not allowed, a missing file), Docker's own error (a mount that
could not be made), or the exit code.

## Why it breaks
No nginx, no site: clients get `connection refused` instead of a 502. nginx exits at start when it cannot
resolve a static upstream name (an upstream that is down, on another network, or misspelt) or when its
configuration does not load; with `restart: always` it restarts in a loop.

## Example
```text
nginx: [emerg] host not found in upstream \"app:8080\" in /etc/nginx/conf.d/default.conf:6
```

## Fix
Fix the cause the message names (the other findings on this proxy's routes point at the line), then
`docker compose up -d` the proxy. To let nginx start while an upstream is away, resolve it per request
(`resolver 127.0.0.11; set $up app:8080; proxy_pass http://$up;`).",
};

pub fn check(proxy: &Proxy, live: &LiveFacts, out: &mut Vec<Finding>) {
    let cs: Vec<_> = live.containers_of(&proxy.service).collect();
    if cs.iter().any(|c| c.is_running()) {
        return;
    }
    let Some(c) = cs.first() else {
        out.push(Finding::new(
            &RULE,
            format!(
                "no container of the proxy service `{}` exists",
                proxy.service
            ),
            format!("start it: `docker compose up -d {}`", proxy.service),
        ));
        return;
    };
    let emerg = c.nginx.as_ref().and_then(|n| {
        n.fatal.as_ref().or_else(|| {
            n.errors.iter().rev().find(|e| {
                e.level == "emerg" || matches!(e.kind, ErrorKind::HostNotFound | ErrorKind::Emerg)
            })
        })
    });
    let why = match (emerg, c.error.as_deref().filter(|e| !e.is_empty())) {
        (Some(e), _) => format!(": nginx said \"{}\"", e.message),
        (None, Some(err)) => format!(": Docker said \"{err}\""),
        _ => c
            .exit_code
            .map(|x| format!(" (exit code {x})"))
            .unwrap_or_default(),
    };
    out.push(Finding::new(
        &RULE,
        format!("the proxy container `{}` is {}{why}", c.name, c.state),
        format!(
            "fix the cause (see the findings on its routes), then `docker compose up -d {}`; `docker compose logs {}` shows nginx's output",
            proxy.service, proxy.service
        ),
    ));
}
