use super::resolve::Resolved;
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD304",
    name: "stale-ip",
    category: "stale-ip",
    severity: Severity::Error,
    summary: "nginx keeps an upstream address from before the upstream's container was recreated",
    doc: "## What it checks
Live mode, for upstreams nginx resolves once at start (a literal name in `proxy_pass` or `server`): whether the
upstream's container started after nginx did (it was recreated or restarted since nginx resolved it: a risk,
warning), and whether nginx's error log shows it connecting to an address the service no longer has (proof,
error).

## Why it breaks
nginx keeps the addresses it resolved at start. `docker compose up` recreates a changed service; the new
container usually gets the old address back, but not when another container took it in between. nginx then
connects to the old address: `connect() failed (113: No route to host)` or a refused connection to whatever
container has that address now, and 502 until nginx is reloaded.

## Example
```text
nginx log: connect() failed (111: Connection refused) ... upstream: \"http://172.20.0.2:8080/\"
app now:   172.20.0.4
```

## Fix
Reload nginx (`docker compose exec proxy nginx -s reload`) or recreate it with the upstream. For good: resolve
per request, `resolver 127.0.0.11 valid=10s; set $up app:8080; proxy_pass http://$up;`.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let t = rc.target;
    if t.runtime_resolution || !matches!(t.host, crate::nginx::Host::Name(_)) {
        return;
    }
    let Resolved::Service { service, .. } = &rc.resolved else {
        return;
    };
    let Some((proxy, ups)) = rc.running_pair() else {
        return;
    };
    let current: Vec<std::net::IpAddr> = ups
        .iter()
        .flat_map(|c| c.networks.iter().filter_map(|n| n.ipv4.or(n.ipv6)))
        .collect();
    // proof: nginx connected to an address on this port that the service no longer has
    if let (Some(port), Some(n)) = (rc.port, &proxy.nginx) {
        let stale = n.errors.iter().rev().find_map(|e| {
            let (ip, p) = super::context::upstream_addr(e.upstream.as_deref()?)?;
            (p == port && !current.contains(&ip)).then_some(ip)
        });
        if let Some(ip) = stale {
            let now: Vec<String> = current.iter().map(|i| i.to_string()).collect();
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "nginx still connects to {ip}:{port} for `{}`, an address `{service}` no longer has (it has {} now)",
                        rc.host_text(),
                        now.join(", ")
                    ),
                    format!("reload nginx: `docker compose exec {} nginx -s reload`; for good, resolve per request with `resolver 127.0.0.11 valid=10s;` and a variable", rc.proxy.service),
                )
                .at(Some(t.loc.clone())),
            );
            return;
        }
    }
    // risk: the upstream started after nginx resolved it
    let (Some(p_start), Some(u)) = (
        proxy.started_at_unix,
        ups.iter()
            .filter_map(|c| c.started_at_unix.map(|s| (s, c)))
            .max_by(|a, b| a.0.total_cmp(&b.0)),
    ) else {
        return;
    };
    if u.0 > p_start + 1.0 {
        out.push(
            Finding::new(
                &RULE,
                format!(
                    "`{}` started after nginx resolved `{}` ({} vs {}); if its address changed, nginx still uses the old one",
                    u.1.name,
                    rc.host_text(),
                    u.1.started_at.as_deref().unwrap_or("?"),
                    proxy.started_at.as_deref().unwrap_or("?")
                ),
                format!("reload nginx after recreating upstreams (`docker compose exec {} nginx -s reload`), or resolve per request with `resolver 127.0.0.11 valid=10s;` and a variable", rc.proxy.service),
            )
            .severity(Severity::Warning)
            .at(Some(t.loc.clone())),
        );
    }
}
