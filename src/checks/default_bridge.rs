use super::resolve::{How, NetMode, Resolved};
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD103",
    name: "default-bridge",
    category: "default-bridge",
    severity: Severity::Error,
    summary: "A service on Docker's default bridge network, where service names do not resolve",
    doc: "## What it checks
Whether the proxy or its upstream runs with `network_mode: bridge` (Docker's default bridge network) and the
upstream is named by a service name, alias or container_name.

## Why it breaks
The default bridge has no embedded DNS: containers on it see each other only by IP or through legacy `links`.
nginx cannot resolve the name and refuses to start (`host not found in upstream`).

## Example
```yaml
services:
  proxy: {image: nginx, network_mode: bridge}
  app: {image: myapp, network_mode: bridge}
```

## Fix
Remove `network_mode: bridge` so compose puts both on the project's default network (with DNS), or add
`links: [app]` to the proxy as a stopgap.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let Resolved::Service { service, how, .. } = &rc.resolved else {
        return;
    };
    if rc.target_is_guest().is_some() {
        return;
    }
    let project = rc.ctx.project;
    let target_mode = super::resolve::net_mode(project, service);
    let proxy_on = rc.proxy_mode == NetMode::DefaultBridge;
    let target_on = target_mode == NetMode::DefaultBridge;
    if !proxy_on && !target_on {
        return;
    }
    // legacy links work on the default bridge when both are on it
    if proxy_on && target_on && matches!(how, How::Link { .. }) {
        return;
    }
    let who = match (proxy_on, target_on) {
        (true, true) => format!("the proxy and `{service}` are"),
        (true, false) => "the proxy is".to_string(),
        _ => format!("`{service}` is"),
    };
    let mut f = Finding::new(
        &RULE,
        format!("{who} on Docker's default bridge network, where `{}` does not resolve", rc.host_text()),
        "remove `network_mode: bridge` so both join the project's default network, which has service-name DNS",
    )
    .at(Some(rc.target.loc.clone()));
    for name in [rc.proxy.service.as_str(), service.as_str()] {
        if let Some(m) = project
            .services
            .get(name)
            .and_then(|s| s.network_mode.as_ref())
        {
            f = f.related(&m.loc, format!("`{name}` uses the default bridge here"));
        }
    }
    out.push(f);
}
