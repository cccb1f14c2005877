use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD301",
    name: "upstream-down",
    category: "upstream-down",
    severity: Severity::Error,
    summary: "The upstream's container is not running (never created, exited, restarting, dead, unhealthy)",
    doc: "## What it checks
Live mode: the containers of the service a target resolves to. None created, none running (`exited` with its
exit code, `created`, `dead`, `paused`), restarting in a loop, or running but reported `unhealthy` by its
healthcheck.

## Why it breaks
A stopped container has no address: a static `proxy_pass` name that does not resolve when nginx starts keeps
nginx from starting at all (`host not found in upstream`); if the upstream dies after nginx started, requests
fail with `connect() failed (113: No route to host)` after about 3 s, or hang, and clients get 502 or 504. An
unhealthy container often accepts connections and answers errors or nothing.

## Example
```text
app  exited (1)  — nginx: connect() failed (113: No route to host) while connecting to upstream
```

## Fix
Find out why it stopped: `docker compose logs app`, `docker compose ps -a`. Fix the cause, then
`docker compose up -d app`. With `depends_on: {app: {condition: service_healthy}}` nginx starts only after the
upstream is healthy.",
};

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let Some(live) = &rc.ctx.facts.live else {
        return;
    };
    let Some(service) = rc.service_name() else {
        return;
    };
    if service == rc.proxy.service {
        return;
    }
    let cs: Vec<_> = live.containers_of(service).collect();
    let loc = Some(rc.target.loc.clone());
    let svc_loc = rc.ctx.service(service).map(|s| s.loc.clone());
    let with_svc = |f: Finding| match &svc_loc {
        Some(l) => f.related(l, format!("service `{service}`")),
        None => f,
    };
    if cs.is_empty() {
        out.push(with_svc(
            Finding::new(
                &RULE,
                format!("no container of `{service}` exists: the service was never started (or was removed)"),
                format!("start it: `docker compose up -d {service}`"),
            )
            .at(loc),
        ));
        return;
    }
    if cs
        .iter()
        .any(|c| c.is_running() && c.health.as_ref().is_none_or(|h| h.status != "unhealthy"))
    {
        return;
    }
    let c = cs[0];
    let (msg, help) = if c.is_running() {
        let h = c.health.as_ref().unwrap();
        let last = h
            .last_output
            .as_deref()
            .map(|o| format!("; last check: {}", o.trim()))
            .unwrap_or_default();
        (
            format!(
                "`{}` is running but unhealthy ({} failed checks in a row{last})",
                c.name, h.failing_streak
            ),
            format!(
                "see `docker inspect --format '{{{{json .State.Health}}}}' {}` and `docker compose logs {service}`",
                c.name
            ),
        )
    } else if c.state == "restarting" {
        (
            format!(
                "`{}` is restarting (restarted {} times, last exit code {})",
                c.name,
                c.restart_count,
                c.exit_code.unwrap_or(0)
            ),
            format!("it crashes after starting: `docker compose logs {service}`"),
        )
    } else {
        let code = match c.exit_code {
            Some(137) => {
                " with code 137 (killed by SIGKILL: `docker stop` after its timeout, or the kernel)"
                    .to_string()
            }
            Some(143) => " with code 143 (stopped by SIGTERM)".to_string(),
            Some(e) => format!(" with code {e}"),
            None => String::new(),
        };
        let err = c
            .error
            .as_deref()
            .filter(|e| !e.is_empty())
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        (
            match c.state.as_str() {
                "exited" | "dead" => format!("`{}` has {}{code}{err}", c.name, c.state),
                "created" => format!("`{}` was created but never started{err}", c.name),
                s => format!("`{}` is {s}{err}", c.name),
            },
            format!(
                "see why: `docker compose logs {service}`; start it: `docker compose up -d {service}`"
            ),
        )
    };
    out.push(with_svc(Finding::new(&RULE, msg, help).at(loc)));
}
