use super::{Finding, Rule, Severity};
use crate::model::Proxy;

pub static RULE: Rule = Rule {
    code: "CD310",
    name: "config-drift",
    category: "config-error",
    severity: Severity::Warning,
    summary: "The running proxy's configuration files differ from the project's",
    doc: "## What it checks
Live mode: every configuration file the project puts into the proxy (through `COPY` in its Dockerfile, bind
mounts, `configs:`) is read back from the running container and compared with the project's file.

## Why it breaks
What you read is not what runs. A Dockerfile that `COPY`s the configuration bakes the version of the last
build: edits do nothing until the image is rebuilt (`docker compose up --build`). A mount of a single file
keeps the old text when an editor replaces the file (new inode). The checks of the files then judge a
configuration nginx does not have.

## Example
```text
/etc/nginx/conf.d/default.conf in the container differs from nginx/default.conf
```

## Fix
Rebuild and recreate the proxy (`docker compose up -d --build proxy`); for single-file mounts, mount the
directory instead, or recreate the container after editing. Then reload nginx.",
};

pub fn check(proxy: &Proxy, out: &mut Vec<Finding>) {
    for d in &proxy.drift {
        let what = if d.kind == "missing" {
            "is missing from"
        } else {
            "differs in"
        };
        let mut f = Finding::new(
            &RULE,
            format!(
                "{} {what} the running container (project file: {})",
                d.container_path,
                crate::span::display_path(&d.host_path)
            ),
            format!(
                "rebuild and recreate the proxy: `docker compose up -d --build {}`",
                proxy.service
            ),
        );
        if let Some(o) = &d.origin {
            f = f.at(Some(o.clone()));
        }
        out.push(f);
    }
}
