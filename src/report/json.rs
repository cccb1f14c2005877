//! The JSON report (`--format json`): a stable, versioned schema documented in the README.

use crate::checks::{Analysis, Severity, Status};
use crate::model::{Facts, ProxyConfig};
use crate::nginx::Host;
use crate::span::{Location, display_path};
use serde_json::{Value, json};

fn loc(l: &Location) -> Value {
    json!({"file": display_path(&l.file), "line": l.line, "column": l.column})
}

fn opt_loc(l: Option<&Location>) -> Value {
    l.map(loc).unwrap_or(Value::Null)
}

pub fn host_text(h: &Host) -> String {
    match h {
        Host::Name(n) => n.clone(),
        Host::Ip(ip) => ip.to_string(),
        Host::Unix(p) => format!("unix:{p}"),
        Host::Dynamic(s) => s.clone(),
    }
}

/// What runs for a route's service (live mode), `null` in static mode.
fn live_of(facts: &Facts, service: Option<&str>) -> Value {
    let (Some(live), Some(service)) = (&facts.live, service) else {
        return Value::Null;
    };
    let containers: Vec<Value> = live
        .containers_of(service)
        .map(|c| {
            json!({
                "name": c.name,
                "state": c.state,
                "exit_code": c.exit_code,
                "oom_killed": c.oom_killed,
                "restart_count": c.restart_count,
                "health": c.health.as_ref().map(|h| h.status.clone()),
                "started_at": c.started_at,
                "ips": c.networks.iter().filter_map(|n| n.ipv4.or(n.ipv6)).map(|ip| ip.to_string()).collect::<Vec<_>>(),
                "networks": c.networks.iter().map(|n| n.network.clone()).collect::<Vec<_>>(),
                "listening": c.listening.as_ref().map(|ls| ls.iter().map(|l| format!("{}:{}", l.addr, l.port)).collect::<Vec<_>>()),
            })
        })
        .collect();
    json!({"containers": containers})
}

pub fn render(facts: &Facts, analysis: &Analysis, mode: &str) -> Value {
    let project = &facts.project;
    let proxies: Vec<Value> = facts
        .proxies
        .iter()
        .map(|p| {
            let (config, entry, files, reason) = match &p.config {
                ProxyConfig::Loaded { config, .. } => (
                    "found",
                    Value::String(config.entry.clone()),
                    config
                        .files
                        .iter()
                        .map(|f| json!({"container_path": f.container_path, "host_path": display_path(&f.host_path)}))
                        .collect::<Vec<_>>(),
                    Value::Null,
                ),
                ProxyConfig::NotFound { reason, .. } => ("not-found", Value::Null, Vec::new(), Value::String(reason.clone())),
            };
            json!({
                "service": p.service,
                "detected_by": p.reason,
                "config": config,
                "entry": entry,
                "files": files,
                "not_found_reason": reason,
            })
        })
        .collect();
    let routes: Vec<Value> = analysis
        .routes
        .iter()
        .map(|r| {
            let t = &r.target;
            let mut refs = vec![loc(&t.loc)];
            refs.extend(t.via.iter().map(loc));
            if let Some(u) = &t.upstream {
                refs.push(loc(&u.block_loc));
            }
            json!({
                "proxy_service": r.proxy,
                "host": host_text(&t.host),
                "port": t.effective_port(),
                "target": t.raw,
                "directive": t.directive,
                "scheme": t.scheme,
                "upstream": t.upstream.as_ref().map(|u| u.name.clone()),
                "location": t.location,
                "service": r.service,
                "status": r.status.as_str(),
                "codes": r.codes,
                "references": refs,
                "notes": r.notes,
                "live": live_of(facts, r.service.as_deref()),
                "probe": r.probe,
            })
        })
        .collect();
    let findings: Vec<Value> = analysis
        .findings
        .iter()
        .map(|f| {
            json!({
                "code": f.rule.code,
                "name": f.rule.name,
                "category": f.rule.category,
                "severity": f.severity.as_str(),
                "message": f.message,
                "help": f.help,
                "proxy_service": f.proxy,
                "service": f.service,
                "target": f.target,
                "route": f.route,
                "location": opt_loc(f.location.as_ref()),
                "related": f.related.iter().map(|r| {
                    let mut v = loc(&r.location);
                    v["message"] = Value::String(r.message.clone());
                    v
                }).collect::<Vec<_>>(),
                "suppressed": f.suppressed.as_ref().map(|s| json!({
                    "kind": s.kind.as_str(),
                    "reason": s.reason,
                    "location": opt_loc(s.location.as_ref()),
                })),
            })
        })
        .collect();
    let warnings: Vec<Value> = project
        .warnings
        .iter()
        .map(|w| json!({"message": w.message, "location": opt_loc(w.location.as_ref())}))
        .collect();
    let count = |s: Status| analysis.routes.iter().filter(|r| r.status == s).count();
    json!({
        "version": 1,
        "tool": {"name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION")},
        "mode": mode,
        "project": {
            "name": project.name,
            "directory": display_path(&project.working_dir),
            "files": project.files.iter().map(|f| display_path(f)).collect::<Vec<_>>(),
            "services": project.enabled_services().map(|s| s.name.clone()).collect::<Vec<_>>(),
            "proxies": proxies,
        },
        "live": facts.live.as_ref().map(|l| json!({
            "engine": l.engine,
            "containers": l.containers.len(),
            "compose_naming": l.compose_naming,
            "incomplete": l.incomplete,
        })),
        "routes": routes,
        "findings": findings,
        "warnings": warnings,
        "summary": {
            "routes": analysis.routes.len(),
            "ok": count(Status::Ok),
            "error": count(Status::Error),
            "warning": count(Status::Warning),
            "unknown": count(Status::Unknown),
            "findings": {
                "error": analysis.count(Severity::Error),
                "warning": analysis.count(Severity::Warning),
                "info": analysis.count(Severity::Info),
            },
            "suppressed": analysis.suppressed(),
        },
    })
}
