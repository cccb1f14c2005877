use super::resolve::{NetMode, Resolved};
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD109",
    name: "resolver-not-docker",
    category: "no-resolver",
    severity: Severity::Error,
    summary: "The `resolver` is not Docker's embedded DNS, so service names do not resolve",
    doc: "## What it checks
For targets that nginx resolves at request time (variables, `server ... resolve`), the `resolver` in scope must
include `127.0.0.11`, Docker's embedded DNS server on compose networks, when the name is a compose service.

## Why it breaks
A public resolver such as `8.8.8.8`, or the host's, knows nothing of compose service names:
`app could not be resolved (3: Host not found)` and 502, or `upstream timed out` when the resolver is
unreachable.

## Example
```nginx
resolver 8.8.8.8;
set $up app:8080;
proxy_pass http://$up;
```

## Fix
`resolver 127.0.0.11 valid=10s;`. Add `ipv6=off` if the service has no IPv6 address.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let t = rc.target;
    if !t.runtime_resolution {
        return;
    }
    let Some(res) = &t.resolver else { return };
    if !matches!(rc.resolved, Resolved::Service { .. }) || rc.proxy_mode == NetMode::Host {
        return;
    }
    let addrs: Vec<&str> = res
        .value
        .iter()
        .map(String::as_str)
        .filter(|a| !a.contains('='))
        .collect();
    if addrs.iter().any(|a| {
        let a = a.trim_start_matches('[');
        a == "127.0.0.11" || a.starts_with("127.0.0.11:") || a.starts_with("127.0.0.11]")
    }) {
        return;
    }
    out.push(
        Finding::new(
            &RULE,
            format!(
                "`{}` is resolved through `resolver {}`, which does not know compose service names",
                rc.host_text(),
                addrs.join(" ")
            ),
            "use Docker's embedded DNS: `resolver 127.0.0.11 valid=10s;`",
        )
        .at(Some(t.loc.clone()))
        .related(&res.loc, "resolver set here"),
    );
}
