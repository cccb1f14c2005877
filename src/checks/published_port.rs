use super::ports::PortVerdict;
use super::resolve::Resolved;
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD105",
    name: "published-port",
    category: "published-port",
    severity: Severity::Error,
    summary: "The target uses the port published on the host instead of the container port",
    doc: "## What it checks
Whether the port nginx connects to is the *host* side of a `ports:` mapping of the upstream service
(`\"8081:8080\"` publishes container port 8080 as host port 8081) and not a port the container listens on.

## Why it breaks
Between containers, traffic goes straight to the container's address; the host-side port mapping is not
involved. Nothing listens on 8081 inside the container: `connect() failed (111: Connection refused)`, 502.

## Example
```yaml
app:
  ports: [\"8081:8080\"]
```
```nginx
proxy_pass http://app:8081;
```

## Fix
Use the container port: `proxy_pass http://app:8080;`. The proxy does not need the upstream's `ports:` at all.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let Resolved::Service { service, .. } = &rc.resolved else {
        return;
    };
    let Some(PortVerdict::PublishedHostPort(p)) = &rc.port_verdict else {
        return;
    };
    out.push(
        Finding::new(
            &RULE,
            format!(
                "{} is the port `{service}` publishes on the host; inside the network it listens on {}",
                p.host_port, p.container_port
            ),
            format!("use the container port: `{}:{}`", rc.host_text(), p.container_port),
        )
        .at(Some(rc.target.loc.clone()))
        .related(&p.loc, format!("{}:{} published here", p.host_port, p.container_port)),
    );
}
