use super::resolve::{How, NetMode, Resolved};
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD102",
    name: "no-shared-network",
    category: "no-shared-network",
    severity: Severity::Error,
    summary: "The proxy and the upstream service share no network",
    doc: "## What it checks
The proxy service and the service it sends traffic to must be attached to at least one common network (a network
alias must be on a common network too). `network_mode: host` and `none` on the proxy leave it without Docker's DNS.

## Why it breaks
Docker's embedded DNS answers a service name only to containers on a network that service is on. Across networks
the name does not resolve: nginx refuses to start (`host not found in upstream`), or with a `resolver` answers 502.

## Example
```yaml
services:
  proxy: {image: nginx, networks: [front]}
  app: {image: myapp, networks: [back]}
```

## Fix
Attach one of them to the other's network: `app: {networks: [front, back]}`.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let Resolved::Service {
        service,
        how,
        shared,
    } = &rc.resolved
    else {
        return;
    };
    if !shared.is_empty() || rc.target_is_guest().is_some() {
        return;
    }
    let project = rc.ctx.project;
    let target_mode = super::resolve::net_mode(project, service);
    // the default bridge has its own check
    if rc.proxy_mode == NetMode::DefaultBridge || target_mode == NetMode::DefaultBridge {
        return;
    }
    let host = rc.host_text();
    let loc = Some(rc.target.loc.clone());
    let f = match (&rc.proxy_mode, &target_mode) {
        (NetMode::Host, _) => Finding::new(
            &RULE,
            format!("the proxy runs with `network_mode: host`, where Docker's DNS does not answer for `{host}`"),
            "with host networking, reach services through their published ports on 127.0.0.1, or drop `network_mode: host` and join the service's network".to_string(),
        ),
        (NetMode::NoNetwork, _) => Finding::new(&RULE, "the proxy runs with `network_mode: none` and reaches nothing", "remove `network_mode: none` from the proxy service"),
        (_, NetMode::Host) => Finding::new(
            &RULE,
            format!("service `{service}` runs with `network_mode: host`; it has no address on the proxy's networks"),
            "reach it through the Docker host (`extra_hosts: [\"host.docker.internal:host-gateway\"]` on the proxy), or give it a normal network",
        ),
        (NetMode::Networks(p), NetMode::Networks(t)) => {
            let alias_net = match how {
                How::Alias { network, .. } => Some(network.clone()),
                _ => None,
            };
            let msg = match &alias_net {
                Some(n) if t.iter().any(|x| p.contains(x)) => format!(
                    "`{host}` is a network alias of `{service}` on network `{n}` only, and the proxy is not on `{n}`"
                ),
                _ => format!(
                    "the proxy (networks: {}) and `{service}` (networks: {}) share no network",
                    p.join(", "),
                    t.join(", ")
                ),
            };
            let help = match &alias_net {
                Some(n) => format!("attach the proxy to `{n}`, or declare the alias on a network both are on"),
                None => format!(
                    "attach `{service}` to one of the proxy's networks ({}), or the proxy to one of `{service}`'s ({})",
                    p.join(", "),
                    t.join(", ")
                ),
            };
            Finding::new(&RULE, msg, help)
        }
        _ => Finding::new(&RULE, format!("the proxy and `{service}` share no network"), "put both services on a common network"),
    };
    let mut f = f.at(loc);
    if let Some(s) = project.services.get(service.as_str()) {
        f = f.related(&s.loc, format!("service `{service}` defined here"));
        if let Some(n) = s.networks.iter().find(|n| !n.implicit) {
            f = f.related(&n.loc, format!("`{service}` joins `{}` here", n.name));
        }
    }
    if let Some(p) = project.services.get(&rc.proxy.service) {
        if let Some(n) = p.networks.iter().find(|n| !n.implicit) {
            f = f.related(&n.loc, format!("the proxy joins `{}` here", n.name));
        } else if let Some(m) = &p.network_mode {
            f = f.related(&m.loc, "the proxy's network mode");
        }
    }
    out.push(f);
}
