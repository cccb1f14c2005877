//! What the checks of one route share: the project's indexes, and per route the resolution of the host and
//! the verdict on the port, computed once.

use super::ports::{self, PortFacts, PortVerdict};
use super::resolve::{self, NetMode, Resolved};
use crate::compose::{Project, Service};
use crate::model::{Facts, ImageInfo, Proxy};
use crate::nginx::{Directive, Target};
use std::collections::BTreeMap;

pub struct Ctx<'a> {
    pub facts: &'a Facts,
    pub project: &'a Project,
    pub port_facts: BTreeMap<&'a str, PortFacts>,
    /// Names of the `upstream {}` blocks of each proxy's configuration (by proxy service), collected once:
    /// a walk of the whole tree per route made a 10,000-server configuration take half a minute.
    pub upstream_names: BTreeMap<&'a str, Vec<String>>,
    /// Resolutions by (proxy, host): many routes name the same host, and a resolution looks at every service.
    resolved:
        std::cell::RefCell<std::collections::HashMap<(&'a str, crate::nginx::Host), Resolved>>,
    /// What each service's command speaks ([`super::server::speaks`]), by service, computed once.
    speaks_cache: std::cell::RefCell<BTreeMap<String, Option<(super::server::Speaks, String)>>>,
}

impl<'a> Ctx<'a> {
    pub fn new(facts: &'a Facts) -> Self {
        let project = &facts.project;
        let port_facts = project
            .enabled_services()
            .map(|s| {
                let mut f = ports::port_facts(s, facts.images.get(&s.name));
                if let Some(l) = &facts.live {
                    f.live = live_listeners(l, &s.name);
                    // the image's EXPOSE, which the files may not show (a prebuilt image)
                    for p in l
                        .containers_of(&s.name)
                        .flat_map(|c| c.exposed_ports.iter().copied())
                    {
                        if !f.evidence.iter().any(|e| e.covers(p)) {
                            f.evidence.push(ports::Evidence {
                                start: p,
                                end: p,
                                source: ports::Source::ImageExpose,
                                bind: None,
                                loc: None,
                            });
                        }
                    }
                }
                (s.name.as_str(), f)
            })
            .collect();
        let upstream_names = facts
            .proxies
            .iter()
            .map(|p| {
                let mut names = Vec::new();
                if let Some(cfg) = p.loaded() {
                    upstream_names(&cfg.directives, &mut names);
                }
                (p.service.as_str(), names)
            })
            .collect();
        Ctx {
            facts,
            project,
            port_facts,
            upstream_names,
            resolved: Default::default(),
            speaks_cache: Default::default(),
        }
    }

    /// [`super::server::speaks`] of a service's image info, computed once per service.
    pub fn speaks(&self, service: &str) -> Option<(super::server::Speaks, String)> {
        if let Some(v) = self.speaks_cache.borrow().get(service) {
            return v.clone();
        }
        let v = self.image(service).and_then(super::server::speaks);
        self.speaks_cache
            .borrow_mut()
            .insert(service.to_string(), v.clone());
        v
    }

    pub fn service(&self, name: &str) -> Option<&'a Service> {
        self.project.services.get(name)
    }

    pub fn image(&self, name: &str) -> Option<&'a ImageInfo> {
        self.facts.images.get(name)
    }
}

/// The listening sockets of a service's running containers, as port evidence; `None` when no running
/// container's sockets could be read.
fn live_listeners(live: &crate::live::LiveFacts, service: &str) -> Option<Vec<ports::Evidence>> {
    let mut out: Option<Vec<ports::Evidence>> = None;
    for c in live.containers_of(service).filter(|c| c.is_running()) {
        if let Some(ls) = &c.listening {
            let v = out.get_or_insert_with(Vec::new);
            v.extend(ls.iter().map(|l| ports::Evidence {
                start: l.port,
                end: l.port,
                source: ports::Source::Live,
                bind: Some(l.addr.to_string()),
                loc: None,
            }));
        }
    }
    if let Some(v) = &mut out {
        v.sort_by_key(|e| (e.start, e.bind.clone()));
        v.dedup_by(|a, b| a.start == b.start && a.bind == b.bind);
    }
    out
}

/// Where the target leads, for the checks of one route.
pub struct RouteCtx<'a> {
    pub ctx: &'a Ctx<'a>,
    pub proxy: &'a Proxy,
    pub target: &'a Target,
    pub resolved: Resolved,
    pub proxy_mode: NetMode,
    /// The port nginx connects to.
    pub port: Option<u16>,
    /// For a target that is a compose service (or, for loopback targets, a service sharing the proxy's
    /// network namespace that listens there): what the files say about that port.
    pub port_verdict: Option<PortVerdict>,
    /// The service a loopback target reaches (a sidecar in the proxy's network namespace).
    pub loopback_service: Option<String>,
    /// Names of `upstream {}` blocks in the proxy's configuration.
    pub upstream_names: &'a [String],
}

fn upstream_names(dirs: &[Directive], out: &mut Vec<String>) {
    for d in dirs {
        if d.name == "upstream"
            && let Some(a) = d.args.first()
        {
            out.push(a.value.to_string());
        }
        if let Some(b) = &d.block {
            upstream_names(b, out);
        }
    }
}

/// The ports an nginx configuration listens on, each with whether it speaks TLS (`listen 443 ssl`).
pub fn listen_ports(cfg: &crate::nginx::Config) -> Vec<(u16, bool)> {
    fn walk(dirs: &[Directive], out: &mut Vec<(u16, bool)>) {
        for d in dirs {
            if d.name == "listen"
                && let Some(a) = d.args.first()
            {
                let v = a.value.as_str();
                let ssl = d.args.iter().skip(1).any(|x| x.value == "ssl");
                let port = v.rsplit_once(':').map(|x| x.1).unwrap_or(v);
                if let Ok(p) = port.parse() {
                    out.push((p, ssl));
                } else if !v.starts_with("unix:") && !v.contains(':') {
                    // `listen 127.0.0.1;` or a name: port 80
                    out.push((80, ssl));
                }
            }
            if let Some(b) = &d.block {
                walk(b, out);
            }
        }
    }
    let mut v = Vec::new();
    walk(&cfg.directives, &mut v);
    v
}

impl<'a> RouteCtx<'a> {
    pub fn new(ctx: &'a Ctx<'a>, proxy: &'a Proxy, target: &'a Target) -> Self {
        let project = ctx.project;
        let key = (proxy.service.as_str(), target.host.clone());
        let cached = ctx.resolved.borrow().get(&key).cloned();
        let resolved = match cached {
            Some(r) => r,
            None => {
                let r = resolve::resolve(project, &proxy.service, &target.host);
                ctx.resolved.borrow_mut().insert(key, r.clone());
                r
            }
        };
        let proxy_mode = resolve::net_mode(project, &proxy.service);
        let port = target.effective_port();
        let mut port_verdict = None;
        let mut loopback_service = None;
        if let Some(p) = port {
            match &resolved {
                Resolved::Service { service, .. } => {
                    port_verdict = ctx.port_facts.get(service.as_str()).map(|f| f.verdict(p));
                }
                Resolved::Loopback => {
                    // the other services in the proxy's network namespace: the best evidence wins
                    let rank = |v: &PortVerdict| match v {
                        PortVerdict::Confirmed(_) | PortVerdict::LoopbackOnly(_) => 2,
                        PortVerdict::Unknown => 1,
                        _ => 0,
                    };
                    let best = resolve::netns_members(project, &proxy.service)
                        .into_iter()
                        .filter(|m| m.name != proxy.service)
                        .filter_map(|m| {
                            ctx.port_facts
                                .get(m.name.as_str())
                                .map(|f| (m.name.clone(), f.verdict(p)))
                        })
                        .max_by_key(|(_, v)| rank(v));
                    if let Some((s, v)) = best {
                        loopback_service = Some(s);
                        port_verdict = Some(v);
                    }
                }
                _ => {}
            }
        }
        let names = ctx
            .upstream_names
            .get(proxy.service.as_str())
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        RouteCtx {
            ctx,
            proxy,
            target,
            resolved,
            proxy_mode,
            port,
            port_verdict,
            loopback_service,
            upstream_names: names,
        }
    }

    /// Ports nginx itself listens on (`listen` in any server block of this configuration).
    pub fn nginx_listens(&self) -> Vec<u16> {
        self.proxy
            .loaded()
            .map(listen_ports)
            .unwrap_or_default()
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    }

    /// Probe mode: what trying this target from nginx's network namespace showed.
    pub fn probe(&self) -> Option<&'a crate::live::ProbeResult> {
        let i = self
            .proxy
            .targets()
            .iter()
            .position(|t| std::ptr::eq(t, self.target))?;
        self.proxy.probes.get(i)?.as_ref()
    }

    /// Live mode: the running proxy container and the running containers of the service the route reaches
    /// (none when either side is not running).
    pub fn running_pair(
        &self,
    ) -> Option<(
        &crate::live::LiveContainer,
        Vec<&crate::live::LiveContainer>,
    )> {
        let live = self.ctx.facts.live.as_ref()?;
        let Resolved::Service { service, .. } = &self.resolved else {
            return None;
        };
        let proxy = live
            .containers_of(&self.proxy.service)
            .find(|c| c.is_running())?;
        let ups: Vec<_> = live
            .containers_of(service)
            .filter(|c| c.is_running())
            .collect();
        (!ups.is_empty()).then_some((proxy, ups))
    }

    /// The compose service this route reaches, if any.
    pub fn service_name(&self) -> Option<&str> {
        match &self.resolved {
            Resolved::Service { service, .. } => Some(service),
            Resolved::Loopback => self.loopback_service.as_deref(),
            _ => None,
        }
    }

    pub fn service(&self) -> Option<&'a Service> {
        self.service_name().and_then(|n| self.ctx.service(n))
    }

    /// The target's host as written in a message (`app`, `127.0.0.1`).
    pub fn host_text(&self) -> String {
        match &self.target.host {
            crate::nginx::Host::Name(n) => n.clone(),
            crate::nginx::Host::Ip(ip) => ip.to_string(),
            crate::nginx::Host::Unix(p) => format!("unix:{p}"),
            crate::nginx::Host::Dynamic(s) => s.clone(),
        }
    }

    /// True when the name reaches a service whose own network endpoint exists (the target is not a
    /// `network_mode: service:`/`container:` guest, which has no DNS name of its own).
    pub fn target_is_guest(&self) -> Option<String> {
        let svc = self.service()?;
        let m = svc.network_mode.as_ref()?;
        (m.value.starts_with("service:") || m.value.starts_with("container:"))
            .then(|| m.value.clone())
    }

    /// Why the route got its verdict (for `-v` and JSON), including what leaves it `unknown`.
    pub fn notes(&self) -> Vec<String> {
        let mut n = Vec::new();
        match &self.resolved {
            Resolved::Service {
                service,
                how,
                shared,
            } => {
                let how = match how {
                    resolve::How::ServiceName => "service name".to_string(),
                    resolve::How::Alias { network, .. } => format!("network alias on `{network}`"),
                    resolve::How::ContainerName { .. } => "container_name".to_string(),
                    resolve::How::Hostname { .. } => "hostname".to_string(),
                    resolve::How::Link { .. } => "link".to_string(),
                    resolve::How::FixedIp { .. } => "fixed ipv4_address".to_string(),
                };
                n.push(format!(
                    "`{}` is service `{service}` ({how})",
                    self.host_text()
                ));
                if !shared.is_empty() {
                    n.push(format!("shared networks: {}", shared.join(", ")));
                }
            }
            Resolved::Dynamic(s) => n.push(format!(
                "{}the target `{s}` is decided per request",
                super::UNKNOWN_PREFIX
            )),
            Resolved::Unix(p) => n.push(format!(
                "{}unix socket `{p}`: not checked from the files",
                super::UNKNOWN_PREFIX
            )),
            Resolved::ExtraHost { address, .. } => n.push(format!(
                "`{}` is an extra_hosts entry ({address})",
                self.host_text()
            )),
            _ => {}
        }
        match (&self.port_verdict, self.port) {
            (Some(PortVerdict::Confirmed(e)), Some(p)) => {
                n.push(format!("port {p} declared by {}", e.source.describe()))
            }
            (Some(PortVerdict::Unknown), Some(p)) => n.push(format!(
                "{}nothing in the project says which port `{}` listens on (nginx uses {p})",
                super::UNKNOWN_PREFIX,
                self.service_name().unwrap_or("?")
            )),
            (None, Some(p))
                if matches!(self.resolved, Resolved::Loopback)
                    && self.loopback_service.is_none() =>
            {
                n.push(format!(
                    "no other service shares the proxy's network namespace (port {p})"
                ))
            }
            _ => {}
        }
        n
    }
}

/// The address in an nginx log's `upstream: "http://172.20.0.3:8080/path"` (any scheme, IPv6 in brackets).
pub fn upstream_addr(s: &str) -> Option<(std::net::IpAddr, u16)> {
    let rest = s.split_once("://").map(|x| x.1).unwrap_or(s);
    let hostport = rest.split('/').next()?;
    let (h, p) = hostport.rsplit_once(':')?;
    Some((h.trim_matches(['[', ']']).parse().ok()?, p.parse().ok()?))
}

/// nginx's log time `2026/11/21 06:01:02` (UTC in containers unless TZ is set) as Unix seconds.
pub fn log_time(s: &str) -> Option<f64> {
    let (date, time) = s.trim().split_once(' ')?;
    let d: Vec<i64> = date
        .split('/')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if d.len() != 3 || t.len() != 3 {
        return None;
    }
    // days from 1970-01-01 (Howard Hinnant's civil-from-days, inverted)
    let (y, m, day) = (d[0] - i64::from(d[1] <= 2), d[1], d[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some((days * 86400 + t[0] * 3600 + t[1] * 60 + t[2]) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_addresses_and_times() {
        assert_eq!(
            upstream_addr("http://172.20.0.3:8080/x"),
            Some(("172.20.0.3".parse().unwrap(), 8080))
        );
        assert_eq!(
            upstream_addr("fastcgi://[fd00::2]:9000"),
            Some(("fd00::2".parse().unwrap(), 9000))
        );
        assert_eq!(upstream_addr("app:8080"), None);
        assert_eq!(log_time("1970/01/01 00:00:10"), Some(10.0));
        assert_eq!(log_time("2026/11/21 06:01:02"), Some(1_795_240_862.0));
        assert_eq!(log_time("garbage"), None);
    }
}
