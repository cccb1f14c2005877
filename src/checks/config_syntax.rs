use super::{Finding, Rule, Severity};
use crate::model::Proxy;
use crate::nginx::ProblemKind;

pub static RULE: Rule = Rule {
    code: "CD201",
    name: "config-syntax",
    category: "config-error",
    severity: Severity::Error,
    summary: "nginx cannot parse its configuration (syntax, include cycle, unreadable file)",
    doc: "## What it checks
Every file nginx loads in the proxy container (the main file, and everything it includes through the mounts,
`COPY` and rendered templates) parses the way nginx tokenizes it: balanced braces, `;` after each simple
directive, closed quotes, no include cycle, readable files.

## Why it breaks
nginx refuses to start (`[emerg] unexpected \"}\"`, `unexpected end of file, expecting \";\" or \"}\"`): the
proxy container exits and every route is down. With `restart: always` it restarts in a loop.

## Example
```nginx
location / {
    proxy_pass http://app:8080
}
```

## Fix
Correct the line named in the message; `docker compose exec proxy nginx -t` confirms.",
};

pub fn check(proxy: &Proxy, out: &mut Vec<Finding>) {
    let Some(cfg) = proxy.loaded() else { return };
    for p in &cfg.problems {
        if matches!(
            p.kind,
            ProblemKind::Syntax | ProblemKind::IncludeCycle | ProblemKind::Unreadable
        ) {
            out.push(
                Finding::new(
                    &RULE,
                    p.message.clone(),
                    p.help
                        .clone()
                        .unwrap_or_else(|| "fix the configuration at this line".into()),
                )
                .at(p.loc.clone()),
            );
        }
    }
}
