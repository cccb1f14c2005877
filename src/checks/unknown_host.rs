use super::resolve::{NetMode, Resolved};
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD101",
    name: "unknown-host",
    category: "unknown-host",
    severity: Severity::Error,
    summary: "The upstream host is no service, network alias, container_name, link or extra_hosts entry",
    doc: "## What it checks
The host of every `proxy_pass` (and `fastcgi_pass`, `uwsgi_pass`, `grpc_pass`, upstream `server` ...) must be a name
Docker's embedded DNS answers for inside the proxy container: a compose service name, a network alias, a
`container_name`, or an entry of the proxy's `links`/`extra_hosts`.

## Why it breaks
nginx resolves static upstream names once, when it starts. A name nobody answers for makes it refuse to start
(`[emerg] host not found in upstream \"api\"`): the whole site is down, not just one route. With a `resolver` and a
variable, nginx starts but answers `502 Bad Gateway` (`api could not be resolved`). A service running with
`network_mode: service:x` has no name of its own.

## Example
```yaml
services:
  proxy: {image: nginx}
  backend: {image: myapp}
```
```nginx
location / { proxy_pass http://api:8000; }   # no service is called api
```

## Fix
Use the service name (`proxy_pass http://backend:8000;`), or give the service a network alias:
`networks: {default: {aliases: [api]}}`.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let host = rc.host_text();
    match &rc.resolved {
        Resolved::Unknown { suggestions } => {
            let mut sugg = suggestions.clone();
            for s in super::resolve::closest(&host, rc.upstream_names.iter().cloned()) {
                sugg.push(format!("upstream {s}"));
            }
            let external: Vec<String> = match &rc.proxy_mode {
                NetMode::Networks(nets) => nets
                    .iter()
                    .filter(|k| rc.ctx.project.networks.get(*k).is_some_and(|n| n.external))
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            let mut help = match sugg.first() {
                Some(s) if s.starts_with("upstream ") => {
                    format!("did you mean the {s} block? Write its name exactly: `{}`", s.trim_start_matches("upstream "))
                }
                Some(s) => format!("did you mean `{s}`? Use a service name, network alias or container_name"),
                None => "use a compose service name, a network alias or a container_name of a service on a network the proxy shares".into(),
            };
            let mut f = Finding::new(&RULE, format!("`{host}` is not a service, alias or container name in this project"), "");
            if !external.is_empty() {
                f = f.severity(Severity::Warning);
                f.message = format!(
                    "`{host}` is not a service, alias or container name in this project; it may be a container of another project on external network {}",
                    external.join(", ")
                );
                help = format!("if `{host}` runs in another project, make sure it is attached to {} under that name; otherwise {help}", external.join(", "));
            }
            f.help = help;
            out.push(f.at(Some(rc.target.loc.clone())));
        }
        Resolved::Service { service, .. } => {
            if let Some(mode) = rc.target_is_guest() {
                let owner = mode.split_once(':').map(|x| x.1).unwrap_or("");
                let svc = rc.service().unwrap();
                out.push(
                    Finding::new(
                        &RULE,
                        format!("service `{service}` runs with `network_mode: {mode}` and has no DNS name of its own"),
                        format!("reach it through the owner of its network namespace: `{owner}` (same port)"),
                    )
                    .at(Some(rc.target.loc.clone()))
                    .related(&svc.network_mode.as_ref().unwrap().loc, "network namespace shared here"),
                );
            }
        }
        Resolved::HostGateway(name) => out.push(
            Finding::new(
                &RULE,
                format!("`{name}` resolves only on Docker Desktop; on a Linux engine nginx cannot resolve it"),
                format!("add `extra_hosts: [\"{name}:host-gateway\"]` to the proxy service"),
            )
            .severity(Severity::Warning)
            .at(Some(rc.target.loc.clone())),
        ),
        _ => {}
    }
}
