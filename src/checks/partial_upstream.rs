use super::{Finding, Route, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD111",
    name: "partial-upstream",
    category: "partial-upstream",
    severity: Severity::Warning,
    summary: "Some servers of an `upstream {}` block fail while others work",
    doc: "## What it checks
Upstream blocks in which at least one server works and at least one fails at connect time (wrong port,
published port, loopback-only, wrong protocol).

## Why it breaks
It often does not show: nginx marks the failing server down for `fail_timeout` and retries the request on the
next server, so clients get 200. The failure is visible only in nginx's error log
(`connect() failed ... while connecting to upstream`), every request pays the failed attempt, and when the good
server fails too the site is down. A server whose *name* does not resolve is different: nginx refuses to start,
and that stays an error.

## Example
```nginx
upstream app { server app1:8080; server app2:9999; }   # app2 listens on 8080
```

## Fix
Fix the failing server line (see the finding that names its cause), or remove it.",
};

/// Errors that nginx meets when it connects, not when it starts.
const CONNECT_TIME: &[&str] = &[
    "CD104", "CD105", "CD106", "CD107", "CD112", "CD113", "CD301", "CD302", "CD304", "CD305",
    "CD402", "CD403", "CD404", "CD405", "CD406", "CD407",
];

/// In each upstream block with a working server, connect-time errors of the other servers become warnings,
/// each with a partial-upstream finding.
pub fn adjust(routes: &[Route], offset: usize, findings: &mut Vec<Finding>) {
    // the routes of each upstream block, and the error findings of each route, indexed once (scanning all
    // routes per block and all findings per route was quadratic on large configurations)
    let mut blocks: std::collections::BTreeMap<&crate::span::Location, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, r) in routes.iter().enumerate() {
        if let Some(u) = &r.target.upstream {
            blocks.entry(&u.block_loc).or_default().push(i + offset);
        }
    }
    let mut errors_of: std::collections::HashMap<usize, Vec<usize>> =
        std::collections::HashMap::new();
    for (k, f) in findings.iter().enumerate() {
        if let Some(i) = f.route
            && f.severity == Severity::Error
            && i >= offset
            && i < offset + routes.len()
        {
            errors_of.entry(i).or_default().push(k);
        }
    }
    for members in blocks.values() {
        let good = members
            .iter()
            .filter(|i| !errors_of.contains_key(i))
            .count();
        if good == 0 || good == members.len() {
            continue;
        }
        for &i in members {
            let errs: &[usize] = errors_of.get(&i).map(|v| v.as_slice()).unwrap_or(&[]);
            if errs.is_empty()
                || !errs
                    .iter()
                    .all(|&k| CONNECT_TIME.contains(&findings[k].rule.code))
            {
                continue;
            }
            for &k in errs {
                findings[k].severity = Severity::Warning;
            }
            let r = &routes[i - offset];
            let up = r.target.upstream.as_ref().unwrap();
            let mut f = Finding::new(
                &RULE,
                format!(
                    "server `{}` of upstream `{}` fails, but nginx retries the other servers: requests succeed and the failures show only in nginx's error log",
                    r.target.raw, up.name
                ),
                "fix or remove this server line (see the other finding on it for the cause)",
            )
            .at(Some(r.target.loc.clone()))
            .related(&up.block_loc, format!("upstream `{}`", up.name));
            f.route = Some(i);
            f.proxy = Some(r.proxy.clone());
            f.target = Some(r.target.raw.clone());
            f.service = r.service.clone();
            findings.push(f);
        }
    }
}
