use super::ports::PortVerdict;
use super::resolve::{NetMode, Resolved};
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD104",
    name: "localhost-in-container",
    category: "localhost-in-container",
    severity: Severity::Error,
    summary: "`localhost` or 127.0.0.1 inside the proxy container is the proxy itself",
    doc: "## What it checks
Targets on `localhost`, `127.0.0.0/8` or `::1`. Inside a container these are the container's own network
namespace. They are right only when the upstream shares it (`network_mode: service:proxy` on the upstream, or
the proxy with `network_mode: service:app`), when nginx proxies to one of its own `listen` ports, or when the proxy
uses `network_mode: host` and the upstream publishes that port on the host.

## Why it breaks
Nothing listens on that port in the proxy's own namespace, so the connection is refused:
`connect() failed (111: Connection refused) while connecting to upstream`, and the client gets 502. This is the
most common mistake when moving a config that worked on a laptop (where the app ran on the host) into compose.

## Example
```nginx
location / { proxy_pass http://localhost:8080; }
```

## Fix
Use the service name and its container port: `proxy_pass http://app:8080;`.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    if rc.resolved != Resolved::Loopback {
        return;
    }
    let Some(port) = rc.port else { return };
    if rc.nginx_listens().contains(&port) {
        return;
    }
    let project = rc.ctx.project;
    if rc.proxy_mode == NetMode::Host {
        // localhost is the host: a service publishing that port answers
        return;
    }
    match &rc.port_verdict {
        Some(PortVerdict::Confirmed(_))
        | Some(PortVerdict::LoopbackOnly(_))
        | Some(PortVerdict::Unknown) => return,
        _ => {}
    }
    // where the user probably meant to go
    let mut help = None;
    for (name, facts) in &rc.ctx.port_facts {
        if let Some(p) = facts.published.iter().find(|p| p.host_port == port) {
            help = Some(format!(
                "`{}` publishes {port} on the host for its container port {}; from the proxy use `{name}:{}`",
                name, p.container_port, p.container_port
            ));
            break;
        }
    }
    if help.is_none() {
        for (name, facts) in &rc.ctx.port_facts {
            if *name != rc.proxy.service && facts.evidence.iter().any(|e| e.covers(port)) {
                help = Some(format!(
                    "`{name}` listens on {port}; use `{name}:{port}` instead of `{}`",
                    rc.host_text()
                ));
                break;
            }
        }
    }
    let sidecars: Vec<String> = super::resolve::netns_members(project, &rc.proxy.service)
        .into_iter()
        .map(|s| s.name.clone())
        .filter(|n| *n != rc.proxy.service)
        .collect();
    let msg = if sidecars.is_empty() {
        format!(
            "`{}` inside the `{}` container is the proxy itself, and nginx does not listen on {port} there",
            rc.host_text(),
            rc.proxy.service
        )
    } else {
        format!(
            "`{}` is the network namespace the proxy shares with {}, and none of them listens on {port}",
            rc.host_text(),
            sidecars.join(", ")
        )
    };
    out.push(
        Finding::new(
            &RULE,
            msg,
            help.unwrap_or_else(|| {
                "use the upstream's service name and container port (e.g. `http://app:8080`)".into()
            }),
        )
        .at(Some(rc.target.loc.clone())),
    );
}
