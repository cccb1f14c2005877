use super::{Finding, Rule, Severity};
use crate::model::{DeliveryKind, Proxy};

pub static RULE: Rule = Rule {
    code: "CD204",
    name: "mount-source-missing",
    category: "config-missing",
    severity: Severity::Error,
    summary: "A bind mount, config or template that should deliver nginx configuration does not exist",
    doc: "## What it checks
The host side of every bind mount into nginx's configuration paths, every `configs:` file, and every file an
`envsubst` in the command reads, must exist. Relative paths are relative to the compose file's directory.

## Why it breaks
Docker creates an empty *directory* where a missing bind source should be. Mounted where the image has a file
(`/etc/nginx/nginx.conf`, `conf.d/default.conf`) the container does not start at all (`not a directory: Are you
trying to mount a directory onto a file (or vice-versa)?`); elsewhere nginx starts without your configuration.
Either way the proxy does not route.

## Example
```yaml
volumes: [\"./nginx/defualt.conf:/etc/nginx/conf.d/default.conf:ro\"]
```

## Fix
Correct the path, or add the file. Remove the empty directory Docker created in its place.",
};

pub fn check(proxy: &Proxy, out: &mut Vec<Finding>) {
    for p in &proxy.delivery_problems {
        if matches!(
            p.kind,
            DeliveryKind::MountSourceMissing
                | DeliveryKind::ConfigFileMissing
                | DeliveryKind::RenderInputMissing
        ) {
            out.push(Finding::new(&RULE, p.message.clone(), p.help.clone()).at(p.loc.clone()));
        }
    }
}
