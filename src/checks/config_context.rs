use super::{Finding, Rule, Severity};
use crate::model::Proxy;
use crate::nginx::ProblemKind;

pub static RULE: Rule = Rule {
    code: "CD202",
    name: "config-context",
    category: "config-error",
    severity: Severity::Error,
    summary: "A directive nginx rejects at start: in a place it is not allowed (e.g. `http {}` inside conf.d), or with invalid arguments",
    doc: "## What it checks
Each directive in the context nginx allows: `http`, `events` and `stream` only at the top of the main file,
`server` inside `http`/`stream`, `location` inside `server`, `proxy_pass` inside `location`; and arguments nginx
rejects when it starts (a wrong number of arguments, an `upstream` block named with a port in `proxy_pass`, the
same `upstream` defined twice). The usual mistake is
a complete `nginx.conf` (with `events {}` and `http {}`) mounted into `/etc/nginx/conf.d/`, which the image's
main file already includes *inside* `http {}`.

## Why it breaks
nginx refuses to start: `[emerg] \"http\" directive is not allowed here in /etc/nginx/conf.d/default.conf:1`.
The proxy container exits; every route is down.

## Example
```yaml
volumes: [\"./nginx.conf:/etc/nginx/conf.d/default.conf\"]   # nginx.conf has http { ... }
```

## Fix
Mount a complete file over the main file instead (`./nginx.conf:/etc/nginx/nginx.conf`), or keep only the
`server {}` blocks in the conf.d file.",
};

pub fn check(proxy: &Proxy, out: &mut Vec<Finding>) {
    let Some(cfg) = proxy.loaded() else { return };
    for p in cfg
        .problems
        .iter()
        .filter(|p| matches!(p.kind, ProblemKind::Context | ProblemKind::Invalid))
    {
        let mut f = Finding::new(
            &RULE,
            p.message.clone(),
            p.help
                .clone()
                .unwrap_or_else(|| "move the directive to a context nginx allows".into()),
        )
        .at(p.loc.clone());
        // show how the file got there
        if let Some(loc) = &p.loc
            && let Some(src) = proxy
                .sources
                .iter()
                .find(|s| s.host_path.as_deref() == Some(&*loc.file))
            && let Some(o) = &src.origin
        {
            f = f.related(o, format!("mounted at {} here", src.container_path));
        }
        out.push(f);
    }
}
