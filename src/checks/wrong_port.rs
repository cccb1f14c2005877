use super::ports::PortVerdict;
use super::resolve::Resolved;
use super::{Finding, RouteCtx, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CD106",
    name: "wrong-port",
    category: "wrong-port",
    severity: Severity::Error,
    summary: "The upstream does not listen on the port nginx connects to",
    doc: "## What it checks
The port of each target against what the project says the upstream listens on: listen flags in its command
(`-p 8080`, `--bind 0.0.0.0:8000`, `runserver 0.0.0.0:8000`, `--port`), `expose:`, the container side of
`ports:`, and `EXPOSE` in a Dockerfile the project builds. A command that names its listen port is proof (error);
declarations alone are a strong hint (warning). When nothing in the project names a port the verdict is
`unknown`, never an error: many real projects run fine on undeclared ports.

## Why it breaks
Nothing accepts connections on that port: `connect() failed (111: Connection refused)`, 502.

## Example
```yaml
app:
  command: gunicorn --bind 0.0.0.0:8000 app:app
```
```nginx
proxy_pass http://app:5000;
```

## Fix
Point nginx at the port the service listens on (`http://app:8000`), or change the service's listen port.",
};

fn ports_text(evs: &[super::ports::Evidence]) -> (String, String) {
    let mut ports: Vec<String> = evs
        .iter()
        .map(|e| {
            if e.start == e.end {
                e.start.to_string()
            } else {
                format!("{}-{}", e.start, e.end)
            }
        })
        .collect();
    ports.dedup();
    let mut srcs: Vec<String> = evs.iter().map(|e| e.source.describe()).collect();
    srcs.sort();
    srcs.dedup();
    (ports.join(", "), srcs.join(", "))
}

pub fn check(rc: &RouteCtx, out: &mut Vec<Finding>) {
    let Resolved::Service { service, .. } = &rc.resolved else {
        return;
    };
    let Some(port) = rc.port else { return };
    let (evs, severity) = match &rc.port_verdict {
        Some(PortVerdict::NotListening(evs)) => (evs, Severity::Error),
        Some(PortVerdict::NotDeclared(evs)) => (evs, Severity::Warning),
        _ => return,
    };
    let (ports, srcs) = ports_text(evs);
    let first = evs.iter().map(|e| e.start).next().unwrap_or(port);
    let verb = if severity == Severity::Error {
        "listens on"
    } else {
        "declares"
    };
    let mut f = Finding::new(
        &RULE,
        format!("`{service}` {verb} {ports} ({srcs}), but nginx connects to {port}"),
        format!(
            "use the port the service listens on: `{}:{first}`",
            rc.host_text()
        ),
    )
    .severity(severity)
    .at(Some(rc.target.loc.clone()));
    for e in evs {
        if let Some(l) = &e.loc {
            f = f.related(l, format!("{} here ({})", e.start, e.source.describe()));
        }
    }
    out.push(f);
}
