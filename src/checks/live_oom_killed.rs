use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD302",
    name: "oom-killed",
    category: "oom-killed",
    severity: Severity::Error,
    summary: "The upstream's container was killed for running out of memory",
    doc: "## What it checks
Live mode: whether the last run of the upstream's container ended with `OOMKilled: true`, and its memory
limit (`mem_limit`, `deploy.resources.limits.memory`).

## Why it breaks
The kernel kills the process when the container exceeds its memory limit. Requests in flight get
`upstream prematurely closed connection` (502), later ones `connect() failed` (502) until it restarts; with
`restart:` it may loop, failing intermittently.

## Example
```yaml
app:
  mem_limit: 64m   # the app needs more under load
```

## Fix
Raise the limit (`mem_limit`, `deploy.resources.limits.memory`) or reduce the app's memory use (fewer
workers, smaller caches); `docker stats` shows the real use.",
};

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let Some(live) = &rc.ctx.facts.live else {
        return;
    };
    let Some(service) = rc.service_name() else {
        return;
    };
    if let Some(c) = live.containers_of(service).find(|c| c.oom_killed) {
        let limit = c
            .memory_limit
            .map(|m| format!(" (memory limit {})", human(m)))
            .unwrap_or_default();
        let now = if c.is_running() {
            ", and was restarted"
        } else {
            ""
        };
        let mut f = Finding::new(
            &RULE,
            format!("`{}` was killed for running out of memory{limit}{now}", c.name),
            format!("raise the memory limit of `{service}` or make it use less; `docker stats` shows its use"),
        )
        .at(Some(rc.target.loc.clone()));
        if let Some(m) = rc.ctx.service(service).and_then(|s| s.mem_limit.as_ref()) {
            f = f.related(&m.loc, "memory limit set here");
        }
        out.push(f);
    }
}
