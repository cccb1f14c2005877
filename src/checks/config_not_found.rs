use super::{Finding, Rule, Severity};
use crate::model::{Proxy, ProxyConfig};

pub static RULE: Rule = Rule {
    code: "CD205",
    name: "config-not-found",
    category: "config-missing",
    severity: Severity::Warning,
    summary: "The proxy's nginx configuration cannot be seen from the project",
    doc: "## What it checks
For every service that runs nginx, compose-doctor looks for the configuration it runs with: bind mounts,
`configs:`, a Dockerfile the project builds (`COPY`/`ADD`), templates and `envsubst`. When the configuration is
baked into a prebuilt image, or generated at run time (nginx-proxy, nginx-proxy-manager), it cannot be read.

## Why it breaks
It may not break; but none of this proxy's routes can be checked from the files, so they are reported as not
found, never as OK. Live mode can read the configuration from the running container.

## Example
```yaml
proxy:
  image: registry.example.com/team/edge-proxy:3   # config baked in
```

## Fix
Mount the configuration from the project, or build the image from a Dockerfile in the project, so that the
files CI checks are the files nginx runs with.",
};

pub fn check(proxy: &Proxy, out: &mut Vec<Finding>) {
    if let ProxyConfig::NotFound { reason, hint } = &proxy.config {
        out.push(Finding::new(
            &RULE,
            format!(
                "nginx configuration of `{}` not found: {reason}",
                proxy.service
            ),
            hint.clone(),
        ));
    }
}
