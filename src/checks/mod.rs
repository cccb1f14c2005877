//! The checks: pure functions from the facts to findings. One file per check, each with its rule (code, name,
//! category, default severity) and the text `explain` prints.

pub mod context;
pub mod ports;
pub mod resolve;
pub mod server;

mod config_context;
mod config_not_found;
mod config_syntax;
mod default_bridge;
mod envsubst_wipe;
mod include_missing;
mod live_config_drift;
mod live_error_log;
mod live_network;
mod live_oom_killed;
mod live_proxy_down;
mod live_stale_ip;
mod live_upstream_down;
mod localhost;
mod loopback_bind;
mod mount_missing;
mod no_resolver;
mod no_shared_network;
mod not_a_service;
mod partial_upstream;
mod probe_findings;
mod protocol_mismatch;
mod published_port;
mod resolver_not_docker;
mod static_resolution;
pub mod suppression;
mod tls_mismatch;
mod unknown_host;
mod wrong_port;

use crate::model::Facts;
use crate::nginx::Target;
use crate::span::Location;
pub use context::{Ctx, RouteCtx};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A check's identity and documentation. The doc is the single source of `explain`, `rules` and SARIF help.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, e.g. `CD101`.
    pub code: &'static str,
    /// Stable kebab-case name.
    pub name: &'static str,
    /// One of the categories of the JSON schema.
    pub category: &'static str,
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// Markdown: `## What it checks`, `## Why it breaks`, `## Example`, `## Fix`.
    pub doc: &'static str,
}

/// The categories of the JSON schema: every rule has one of these.
pub const CATEGORIES: &[&str] = &[
    "unknown-host",
    "no-shared-network",
    "localhost-in-container",
    "wrong-port",
    "published-port",
    "loopback-bind",
    "upstream-down",
    "oom-killed",
    "stale-ip",
    "no-resolver",
    "invalid-response",
    "timeout",
    "tls-mismatch",
    "protocol-mismatch",
    "config-error",
    "config-missing",
    "default-bridge",
    "not-a-service",
    "partial-upstream",
    // findings about suppressions themselves (CD9xx)
    "suppression",
];

/// Every rule, in code order.
pub fn rules() -> Vec<&'static Rule> {
    let mut v = vec![
        &unknown_host::RULE,
        &no_shared_network::RULE,
        &default_bridge::RULE,
        &localhost::RULE,
        &published_port::RULE,
        &wrong_port::RULE,
        &loopback_bind::RULE,
        &no_resolver::RULE,
        &resolver_not_docker::RULE,
        &static_resolution::RULE,
        &partial_upstream::RULE,
        &tls_mismatch::RULE,
        &protocol_mismatch::RULE,
        &not_a_service::RULE,
        &config_syntax::RULE,
        &config_context::RULE,
        &include_missing::RULE,
        &mount_missing::RULE,
        &config_not_found::RULE,
        &envsubst_wipe::RULE,
        &live_upstream_down::RULE,
        &live_oom_killed::RULE,
        &live_proxy_down::RULE,
        &live_stale_ip::RULE,
        &live_error_log::TIMEOUT,
        &live_error_log::INVALID,
        &live_error_log::TLS,
        &live_error_log::PROTOCOL,
        &live_config_drift::RULE,
        &live_network::RULE,
        &probe_findings::DNS,
        &probe_findings::CONNECT,
        &probe_findings::TIMEOUT,
        &probe_findings::INVALID,
        &probe_findings::TLS,
        &probe_findings::PROTOCOL,
        &probe_findings::UNREACHABLE,
        &suppression::WITHOUT_REASON,
        &suppression::UNUSED,
        &suppression::INVALID,
    ];
    v.sort_by_key(|r| r.code);
    v
}

/// Looks a rule up by code or name (case-insensitive).
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    rules()
        .into_iter()
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

#[derive(Debug, Clone, Serialize)]
pub struct Related {
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
}

/// Where a finding was silenced, and why. A suppressed finding stays in the report (marked), but counts neither
/// in the failure totals nor in the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// The reason written with the suppression (`None` when it gives none, itself a warning: CD901).
    pub reason: Option<String>,
    /// Where the suppression is written.
    pub location: Option<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuppressionKind {
    /// A `# compose-doctor: ignore[...]` comment in an nginx file.
    Inline,
    /// A comment or an `x-compose-doctor` extension in a compose file.
    Compose,
    /// An `[[ignore]]` entry of `.compose-doctor.toml`.
    Config,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Inline => "inline",
            SuppressionKind::Compose => "compose",
            SuppressionKind::Config => "config",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub help: String,
    /// The proxy service whose configuration has the problem.
    pub proxy: Option<String>,
    /// The compose service the target resolves to (or should).
    pub service: Option<String>,
    /// The target as written.
    pub target: Option<String>,
    pub location: Option<Location>,
    pub related: Vec<Related>,
    /// Index into `Analysis::routes`.
    pub route: Option<usize>,
    /// Set when a suppression (inline comment, compose, project config) covers this finding.
    pub suppressed: Option<Suppression>,
}

impl Finding {
    pub fn new(rule: &'static Rule, message: impl Into<String>, help: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message: message.into(),
            help: help.into(),
            proxy: None,
            service: None,
            target: None,
            location: None,
            related: Vec::new(),
            route: None,
            suppressed: None,
        }
    }
    pub fn at(mut self, loc: Option<Location>) -> Self {
        self.location = loc;
        self
    }
    pub fn related(mut self, loc: &Location, message: impl Into<String>) -> Self {
        if Some(loc) != self.location.as_ref() && !self.related.iter().any(|r| &r.location == loc) {
            self.related.push(Related {
                location: loc.clone(),
                message: message.into(),
            });
        }
        self
    }
    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Unknown,
    Warning,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Unknown => "unknown",
            Status::Warning => "warning",
            Status::Error => "error",
        }
    }
}

/// One upstream target of one proxy service, with its verdict.
#[derive(Debug, Clone)]
pub struct Route {
    pub proxy: String,
    pub target: Target,
    /// The compose service the host resolves to.
    pub service: Option<String>,
    pub status: Status,
    pub codes: Vec<&'static str>,
    /// Why the verdict is what it is, in a few words each (shown with `-v` and in JSON).
    pub notes: Vec<String>,
    /// What the probe saw (probe mode).
    pub probe: Option<crate::live::ProbeResult>,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    pub routes: Vec<Route>,
    pub findings: Vec<Finding>,
}

impl Analysis {
    /// Findings of this severity that are not suppressed.
    pub fn count(&self, s: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == s && f.suppressed.is_none())
            .count()
    }
    /// Suppressed findings.
    pub fn suppressed(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_some())
            .count()
    }
}

/// Runs every check over the facts.
pub fn run(facts: &Facts) -> Analysis {
    run_with(facts, &mut |_, _| true)
}

/// Decides, for each finding as it is made, whether it is kept (`false` drops it, e.g. a rule that is not
/// selected), its severity and whether it is suppressed, before the route verdicts are computed. It gets the
/// route's target for route findings.
pub type Policy<'a> = dyn FnMut(&mut Finding, Option<&Target>) -> bool + 'a;

/// Runs every check over the facts, with a policy (selection, severities, suppressions) applied to each
/// finding: a suppressed or dropped finding does not make a route fail.
pub fn run_with(facts: &Facts, policy: &mut Policy) -> Analysis {
    let ctx = Ctx::new(facts);
    let mut routes = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();

    for proxy in &facts.proxies {
        // problems of the configuration itself and of how it reaches the container
        let mut proxy_findings = Vec::new();
        config_not_found::check(proxy, &mut proxy_findings);
        config_syntax::check(proxy, &mut proxy_findings);
        config_context::check(proxy, &mut proxy_findings);
        include_missing::check(proxy, &mut proxy_findings);
        mount_missing::check(proxy, &mut proxy_findings);
        envsubst_wipe::check(proxy, &mut proxy_findings);
        if let Some(live) = &facts.live {
            live_proxy_down::check(proxy, live, &mut proxy_findings);
            live_config_drift::check(proxy, &mut proxy_findings);
        }
        for f in &mut proxy_findings {
            f.proxy = Some(proxy.service.clone());
        }
        proxy_findings.retain_mut(|f| policy(f, None));
        // a configuration error that stops nginx from starting fails every route of this proxy
        let fatal: Vec<&'static str> = proxy_findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.suppressed.is_none())
            .map(|f| f.rule.code)
            .collect();

        let first_route = routes.len();
        for target in proxy.targets() {
            let rc = RouteCtx::new(&ctx, proxy, target);
            let mut fs = Vec::new();
            unknown_host::check(&rc, &mut fs);
            no_shared_network::check(&rc, &mut fs);
            default_bridge::check(&rc, &mut fs);
            localhost::check(&rc, &mut fs);
            published_port::check(&rc, &mut fs);
            wrong_port::check(&rc, &mut fs);
            loopback_bind::check(&rc, &mut fs);
            no_resolver::check(&rc, &mut fs);
            resolver_not_docker::check(&rc, &mut fs);
            tls_mismatch::check(&rc, &mut fs);
            protocol_mismatch::check(&rc, &mut fs);
            not_a_service::check(&rc, &mut fs);
            if facts.live.is_some() {
                live_upstream_down::check(&rc, &mut fs);
                live_network::check(&rc, &mut fs);
                live_oom_killed::check(&rc, &mut fs);
                live_stale_ip::check(&rc, &mut fs);
                live_error_log::check(&rc, &mut fs);
            }
            let mut notes = rc.notes();
            if let Some(p) = rc.probe() {
                let before = fs.len();
                probe_findings::check(&rc, &mut fs);
                // a probe finding that confirms a finding of the same category becomes part of it
                let probed: Vec<Finding> = fs.drain(before..).collect();
                for pf in probed {
                    match fs.iter_mut().find(|f| f.rule.category == pf.rule.category) {
                        Some(f) => f
                            .message
                            .push_str(&format!("; the probe confirms: {}", pf.message)),
                        None => fs.push(pf),
                    }
                }
                // what the probe saw outranks what the files suggest about ports and protocols
                if probe_findings::proved_ok(p) {
                    fs.retain(|f| !OVERRULED_BY_PROBE.contains(&f.rule.code));
                    notes.retain(|n| !n.starts_with(UNKNOWN_PREFIX));
                    if let Some(h) = &p.handshake {
                        notes.push(format!(
                            "probe via {}: {} {} in {:.0} ms",
                            p.how, h.protocol, h.detail, h.millis
                        ));
                    }
                }
            }
            // the re-resolution hint matters only for a route that otherwise works
            if fs.is_empty() && fatal.is_empty() {
                static_resolution::check(&rc, &mut fs);
            }
            let idx = routes.len();
            for f in &mut fs {
                f.route = Some(idx);
                f.proxy = Some(proxy.service.clone());
                f.target.get_or_insert_with(|| target.raw.clone());
                if f.service.is_none() {
                    f.service = rc.service_name().map(str::to_string);
                }
            }
            routes.push(Route {
                proxy: proxy.service.clone(),
                target: target.clone(),
                service: rc.service_name().map(str::to_string),
                status: Status::Ok,
                codes: Vec::new(),
                notes,
                probe: rc.probe().cloned(),
            });
            fs.retain_mut(|f| policy(f, Some(target)));
            findings.extend(fs);
        }
        let before = findings.len();
        partial_upstream::adjust(&routes[first_route..], first_route, &mut findings);
        let added: Vec<Finding> = findings.drain(before..).collect();
        for mut f in added {
            let target = f.route.map(|i| &routes[i].target);
            if policy(&mut f, target) {
                findings.push(f);
            }
        }
        for r in &mut routes[first_route..] {
            r.codes.extend(fatal.iter().copied());
        }
        findings.extend(proxy_findings);
    }

    // verdicts (findings indexed by route once: a filter per route was quadratic on large projects)
    let mut by_route: Vec<Vec<&Finding>> = vec![Vec::new(); routes.len()];
    // suppressed findings do not count for the verdict
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        if let Some(i) = f.route
            && let Some(v) = by_route.get_mut(i)
        {
            v.push(f);
        }
    }
    for (r, mine) in routes.iter_mut().zip(by_route) {
        let mut codes: Vec<&'static str> = mine.iter().map(|f| f.rule.code).collect();
        // codes already on the route are proxy-level errors that keep nginx from starting
        let fatal = !r.codes.is_empty();
        codes.append(&mut r.codes);
        codes.sort();
        codes.dedup();
        let worst = mine.iter().map(|f| f.severity).max();
        r.status = if fatal || worst == Some(Severity::Error) {
            Status::Error
        } else if worst == Some(Severity::Warning) {
            Status::Warning
        } else if mine.iter().any(|f| f.rule.code == not_a_service::RULE.code)
            || r.notes.iter().any(|n| n.starts_with(UNKNOWN_PREFIX))
        {
            Status::Unknown
        } else {
            Status::Ok
        };
        r.codes = codes;
    }
    sort_findings(&mut findings);
    Analysis { routes, findings }
}

/// The report order: the worst first, then by place, then by code.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.location.cmp(&b.location))
            .then_with(|| a.rule.code.cmp(b.rule.code))
    });
}

/// Findings about ports and protocols that a successful probe proves wrong.
const OVERRULED_BY_PROBE: &[&str] = &["CD104", "CD105", "CD106", "CD107", "CD112", "CD113"];

/// Notes that make a route's verdict `unknown` start with this.
pub const UNKNOWN_PREFIX: &str = "unknown: ";

#[cfg(test)]
mod tests;
