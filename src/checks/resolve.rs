//! What a host name in nginx's configuration means inside the proxy container, decided from the compose
//! project the way Docker's embedded DNS (127.0.0.11), `/etc/hosts` and network namespaces decide it.

use crate::compose::{Project, Service};
use crate::nginx::Host;
use crate::span::Location;
use std::net::IpAddr;

/// How a container is attached to networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetMode {
    /// User-defined networks (by key in the top-level `networks:`), each with Docker's embedded DNS.
    Networks(Vec<String>),
    /// `network_mode: bridge`: Docker's default bridge, no name resolution but `links` and `/etc/hosts`.
    DefaultBridge,
    /// `network_mode: host`: the host's network stack and resolver.
    Host,
    /// `network_mode: none`.
    NoNetwork,
    /// `network_mode: container:NAME` (a container outside the project, or one we cannot follow).
    Container(String),
}

/// How a name matched a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    ServiceName,
    /// A network alias, on the network with this key.
    Alias {
        network: String,
        loc: Location,
    },
    ContainerName {
        loc: Location,
    },
    /// The service's `hostname:` (Docker's embedded DNS answers for it on the service's networks; measured
    /// with Engine 20.10).
    Hostname {
        loc: Location,
    },
    /// A `links:` entry of the proxy (or its network-namespace owner).
    Link {
        loc: Location,
    },
    /// A fixed `ipv4_address`.
    FixedIp {
        loc: Location,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A compose service. `shared` lists the networks (keys) the proxy and the service are both on.
    Service {
        service: String,
        how: How,
        shared: Vec<String>,
    },
    /// `localhost`, `127.0.0.0/8`, `::1`: the proxy container's own network namespace.
    Loopback,
    /// An `extra_hosts` entry of the proxy.
    ExtraHost {
        name: String,
        address: String,
        loc: Location,
    },
    /// `host.docker.internal` and friends without an `extra_hosts` entry.
    HostGateway(String),
    /// An IP literal that is no service's fixed address.
    Ip(IpAddr),
    /// A dotted name that is nothing in the project: an outside domain.
    External(String),
    /// A name that nothing in the project answers for.
    Unknown {
        suggestions: Vec<String>,
    },
    /// Decided per request from variables.
    Dynamic(String),
    Unix(String),
}

/// The service whose network namespace `name` uses (follows `network_mode: service:X`), with a cycle guard.
pub fn netns_root<'a>(project: &'a Project, name: &'a str) -> &'a str {
    let mut cur = name;
    for _ in 0..16 {
        let Some(svc) = project.services.get(cur) else {
            return cur;
        };
        match svc
            .network_mode
            .as_ref()
            .and_then(|m| m.value.strip_prefix("service:"))
        {
            Some(next) if project.services.contains_key(next) => {
                cur = project.services.get_key_value(next).unwrap().0
            }
            _ => return cur,
        }
    }
    cur
}

pub fn net_mode(project: &Project, name: &str) -> NetMode {
    let root = netns_root(project, name);
    let Some(svc) = project.services.get(root) else {
        return NetMode::NoNetwork;
    };
    match svc.network_mode.as_ref().map(|m| m.value.as_str()) {
        Some("host") => NetMode::Host,
        Some("none") => NetMode::NoNetwork,
        Some("bridge") | Some("default") => NetMode::DefaultBridge,
        Some(m) if m.starts_with("container:") => {
            NetMode::Container(m["container:".len()..].to_string())
        }
        Some(m) if m.starts_with("service:") => NetMode::Container(m.to_string()),
        _ => NetMode::Networks(svc.networks.iter().map(|n| n.name.clone()).collect()),
    }
}

/// Services sharing `name`'s network namespace (including itself).
pub fn netns_members<'a>(project: &'a Project, name: &str) -> Vec<&'a Service> {
    let root = netns_root(project, name);
    project
        .enabled_services()
        .filter(|s| netns_root(project, &s.name) == root)
        .collect()
}

fn docker_name<'a>(project: &'a Project, key: &'a str) -> &'a str {
    project
        .networks
        .get(key)
        .map(|n| n.docker_name.as_str())
        .unwrap_or(key)
}

/// Networks two services are both on (keys of the first), comparing Docker network names.
pub fn shared_networks(project: &Project, a: &str, b: &str) -> Vec<String> {
    match (net_mode(project, a), net_mode(project, b)) {
        (NetMode::Networks(x), NetMode::Networks(y)) => x
            .into_iter()
            .filter(|k| {
                y.iter()
                    .any(|j| docker_name(project, j) == docker_name(project, k))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn is_loopback_name(h: &str) -> bool {
    let h = h.to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost") || h == "ip6-localhost" || h == "ip6-loopback"
}

pub const HOST_GATEWAY_NAMES: &[&str] = &[
    "host.docker.internal",
    "gateway.docker.internal",
    "host.containers.internal",
];

/// Resolves a target's host from the proxy service's point of view.
pub fn resolve(project: &Project, proxy: &str, host: &Host) -> Resolved {
    match host {
        Host::Unix(p) => Resolved::Unix(p.clone()),
        Host::Dynamic(s) => Resolved::Dynamic(s.clone()),
        Host::Ip(ip) => {
            if ip.is_loopback() {
                return Resolved::Loopback;
            }
            for svc in project.enabled_services() {
                for n in &svc.networks {
                    for a in n.ipv4_address.iter().chain(n.ipv6_address.iter()) {
                        if a.value.parse::<IpAddr>().ok() == Some(*ip) {
                            return Resolved::Service {
                                service: svc.name.clone(),
                                how: How::FixedIp { loc: a.loc.clone() },
                                shared: shared_networks(project, proxy, &svc.name),
                            };
                        }
                    }
                }
            }
            Resolved::Ip(*ip)
        }
        Host::Name(name) => resolve_name(project, proxy, name),
    }
}

fn resolve_name(project: &Project, proxy: &str, name: &str) -> Resolved {
    if is_loopback_name(name) {
        return Resolved::Loopback;
    }
    let lname = name.to_ascii_lowercase();
    let root = netns_root(project, proxy);
    let proxy_svc = project.services.get(proxy);
    let root_svc = project.services.get(root);
    // /etc/hosts of the proxy: extra_hosts, then links
    for svc in [proxy_svc, root_svc].into_iter().flatten() {
        for eh in &svc.extra_hosts {
            if eh.value.0.eq_ignore_ascii_case(name) {
                return Resolved::ExtraHost {
                    name: name.to_string(),
                    address: eh.value.1.clone(),
                    loc: eh.loc.clone(),
                };
            }
        }
    }
    for svc in [proxy_svc, root_svc].into_iter().flatten() {
        for l in &svc.links {
            if l.value.1.eq_ignore_ascii_case(name) || l.value.0.eq_ignore_ascii_case(name) {
                let target = l.value.0.clone();
                let shared = shared_networks(project, proxy, &target);
                return Resolved::Service {
                    service: target,
                    how: How::Link { loc: l.loc.clone() },
                    shared,
                };
            }
        }
    }
    // Docker's DNS: service names, aliases, container names. On the default bridge, none of these.
    let mut hostname_match = None;
    for svc in project.enabled_services() {
        // computed only for the service that matches (once per service and route made large projects slow)
        let shared = || shared_networks(project, proxy, &svc.name);
        if svc.name.eq_ignore_ascii_case(name) {
            return Resolved::Service {
                service: svc.name.clone(),
                how: How::ServiceName,
                shared: shared(),
            };
        }
        if let Some(cn) = &svc.container_name
            && cn.value.eq_ignore_ascii_case(name)
        {
            return Resolved::Service {
                service: svc.name.clone(),
                how: How::ContainerName {
                    loc: cn.loc.clone(),
                },
                shared: shared(),
            };
        }
        for n in &svc.networks {
            if let Some(a) = n
                .aliases
                .iter()
                .find(|a| a.value.eq_ignore_ascii_case(name))
            {
                // an alias answers only on its own network
                let shared: Vec<String> = shared().into_iter().filter(|k| *k == n.name).collect();
                return Resolved::Service {
                    service: svc.name.clone(),
                    how: How::Alias {
                        network: n.name.clone(),
                        loc: a.loc.clone(),
                    },
                    shared,
                };
            }
        }
        if let Some(h) = &svc.hostname {
            let full = match &svc.domainname {
                Some(d) => format!("{}.{}", h.value, d.value),
                None => h.value.clone(),
            };
            if h.value.eq_ignore_ascii_case(name) || full.eq_ignore_ascii_case(name) {
                hostname_match = Some(Resolved::Service {
                    service: svc.name.clone(),
                    how: How::Hostname { loc: h.loc.clone() },
                    shared: shared(),
                });
            }
        }
    }
    if let Some(m) = hostname_match {
        return m;
    }
    if HOST_GATEWAY_NAMES.contains(&lname.as_str()) {
        return Resolved::HostGateway(name.to_string());
    }
    if name.contains('.') {
        return Resolved::External(name.to_string());
    }
    Resolved::Unknown {
        suggestions: suggestions(project, name),
    }
}

/// Every name Docker's DNS answers for in the project (service names, aliases, container names).
pub fn known_names(project: &Project) -> Vec<String> {
    let mut v = Vec::new();
    for svc in project.enabled_services() {
        v.push(svc.name.clone());
        if let Some(c) = &svc.container_name {
            v.push(c.value.clone());
        }
        for n in &svc.networks {
            v.extend(n.aliases.iter().map(|a| a.value.clone()));
        }
    }
    v.sort();
    v.dedup();
    v
}

/// Names close to `name` (typos, case, `_` vs `-`), best first.
pub fn suggestions(project: &Project, name: &str) -> Vec<String> {
    closest(name, known_names(project))
}

pub fn closest(name: &str, candidates: impl IntoIterator<Item = String>) -> Vec<String> {
    let lname = name.to_ascii_lowercase();
    let mut scored: Vec<(f64, String)> = candidates
        .into_iter()
        .map(|c| {
            let lc = c.to_ascii_lowercase();
            let mut s = strsim::jaro_winkler(&lname, &lc);
            if lc.replace('_', "-") == lname.replace('_', "-") {
                s = 1.0;
            } else if lc.contains(&lname) || lname.contains(&lc) {
                s = s.max(0.85);
            }
            (s, c)
        })
        .filter(|(s, _)| *s >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, c)| c).take(3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names() {
        let c = vec![
            "backend".to_string(),
            "db".to_string(),
            "frontend".to_string(),
        ];
        assert_eq!(closest("bakend", c.clone()), vec!["backend"]);
        assert_eq!(closest("Backend", c.clone()), vec!["backend"]);
        assert!(closest("zzz", c).is_empty());
        assert_eq!(
            closest("my_app", vec!["my-app".to_string()]),
            vec!["my-app"]
        );
    }
}
