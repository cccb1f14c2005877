use super::resolve::Resolved;
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD108",
    name: "no-resolver",
    category: "no-resolver",
    severity: Severity::Error,
    summary: "A target with variables and no `resolver` directive",
    doc: "## What it checks
A `proxy_pass` (or other `*_pass`) whose argument contains a variable, such as `set $up app:8080;
proxy_pass http://$up;`, makes nginx resolve the name for every request through the `resolver` directive, not
through `/etc/hosts` and the system resolver at start. This checks that such a target has a `resolver` in scope
(unless the variable names an `upstream {}` block or an IP address).

## Why it breaks
Without `resolver`, nginx cannot resolve the name at request time: `no resolver defined to resolve app`, and
the client gets 502. The same configuration with a literal name works, which makes this confusing.

## Example
```nginx
set $up app:8080;
proxy_pass http://$up;
```

## Fix
Add Docker's embedded DNS server: `resolver 127.0.0.11 valid=10s;` in the `http`, `server` or `location` block.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let t = rc.target;
    if !t.runtime_resolution || t.resolver.is_some() || t.upstream.is_some() {
        return;
    }
    let severity = match &rc.resolved {
        Resolved::Ip(_) | Resolved::Unix(_) => return,
        Resolved::Loopback if matches!(t.host, crate::nginx::Host::Ip(_)) => return,
        // a variable host might be an IP or an upstream name at run time
        Resolved::Dynamic(_) => Severity::Warning,
        _ => Severity::Error,
    };
    let mut f = Finding::new(
        &RULE,
        format!("`{}` contains variables, so nginx resolves the host per request, and no `resolver` is set", t.raw),
        "add `resolver 127.0.0.11 valid=10s;` (Docker's embedded DNS) in the enclosing server or http block",
    )
    .severity(severity)
    .at(Some(t.loc.clone()));
    for v in &t.via {
        f = f.related(v, "value set here");
    }
    out.push(f);
}
