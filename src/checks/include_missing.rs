use super::{Finding, Rule, Severity};
use crate::model::Proxy;
use crate::nginx::ProblemKind;

pub static RULE: Rule = Rule {
    code: "CD203",
    name: "include-missing",
    category: "config-missing",
    severity: Severity::Error,
    summary: "An `include` (or the main file) names a file the container does not have",
    doc: "## What it checks
Every `include` without wildcards must find its file in the proxy container, as the container really is: the
image's files, hidden by mounts over them, plus what mounts, `configs:` and `COPY` add. (An `include` with
wildcards that matches nothing is fine for nginx.)

## Why it breaks
nginx refuses to start: `[emerg] open() \"/etc/nginx/snippets/proxy.conf\" failed (2: No such file or
directory)`. Every route is down.

## Example
```nginx
include /etc/nginx/snippets/proxy.conf;   # snippets/ is not mounted
```

## Fix
Mount or copy the file to that path, or correct the path (relative paths are relative to `/etc/nginx`).",
};

pub fn check(proxy: &Proxy, out: &mut Vec<Finding>) {
    let Some(cfg) = proxy.loaded() else { return };
    for p in &cfg.problems {
        if matches!(
            p.kind,
            ProblemKind::IncludeMissing | ProblemKind::FileMissing
        ) {
            out.push(
                Finding::new(
                    &RULE,
                    p.message.clone(),
                    p.help.clone().unwrap_or_else(|| {
                        "mount the file into the container, or fix the path".into()
                    }),
                )
                .at(p.loc.clone()),
            );
        }
    }
}
