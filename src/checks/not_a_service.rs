use super::resolve::Resolved;
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD114",
    name: "not-a-service",
    category: "not-a-service",
    severity: Severity::Info,
    summary: "The target is outside the compose project (IP literal, host gateway, outside domain)",
    doc: "## What it checks
Targets that are not compose services: IP literals that are no service's fixed address, `extra_hosts` entries
(such as `host.docker.internal:host-gateway`), and dotted names nothing in the project answers for.

## Why it breaks
It may not: these are reported so that the verdict is honest. compose-doctor cannot see from the files whether
something listens there, so the route is `unknown`, never `ok`. IP literals of containers break whenever the
container is recreated; host services must listen on an address the Docker bridge reaches (not 127.0.0.1).

## Example
```nginx
proxy_pass http://172.17.0.1:8080;
```

## Fix
Nothing if it is intended. For a service of the project, use its name instead of its IP.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let (msg, help) = match &rc.resolved {
        Resolved::Ip(ip) => (
            format!(
                "{ip} is an IP address, not a compose service; nothing in the project says what answers there"
            ),
            "if this is a container of the project, use its service name: container IPs change when containers are recreated",
        ),
        Resolved::ExtraHost { name, address, .. } if address == "host-gateway" => (
            format!(
                "`{name}` is the Docker host (extra_hosts host-gateway); the service there is outside the project"
            ),
            "the host service must listen on an address containers reach (0.0.0.0 or the bridge address), not 127.0.0.1",
        ),
        Resolved::ExtraHost { name, address, .. } => (
            format!("`{name}` is an extra_hosts entry for {address}, outside the project"),
            "nothing to do if intended",
        ),
        Resolved::External(name) => (
            format!("`{name}` is not a name in this project; it is resolved outside (DNS)"),
            "nothing to do if intended; if it should be a service of the project, use the service name",
        ),
        _ => return,
    };
    let mut f = Finding::new(&RULE, msg, help).at(Some(rc.target.loc.clone()));
    if let Resolved::ExtraHost { loc, .. } = &rc.resolved {
        f = f.related(loc, "extra_hosts entry");
    }
    out.push(f);
}
