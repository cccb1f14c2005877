//! Name lookups the way the proxy container makes them: its `/etc/hosts`, then Docker's embedded DNS at
//! 127.0.0.11 (asked with hickory-resolver from inside the container's network namespace, no other server, no
//! search domains). On the host, names come from the live facts only.

use crate::live::{DnsResult, LiveContainer, LiveFacts};
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RecordType;
use hickory_resolver::{Resolver, TokioResolver};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// Docker's embedded DNS server inside a container on a user-defined network.
pub const DOCKER_DNS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 11));

/// `/etc/hosts` lines: address and names.
pub fn parse_hosts(text: &str) -> Vec<(IpAddr, Vec<String>)> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let ip = words.next()?.parse().ok()?;
            let names: Vec<String> = words.map(str::to_string).collect();
            (!names.is_empty()).then_some((ip, names))
        })
        .collect()
}

/// The `nameserver` addresses of a resolv.conf.
pub fn parse_nameservers(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("nameserver")).then(|| w.next().map(str::to_string))?
        })
        .collect()
}

fn hosts_lookup(hosts: &[(IpAddr, Vec<String>)], name: &str) -> Vec<IpAddr> {
    let name = name.trim_end_matches('.');
    let mut out = Vec::new();
    for (ip, names) in hosts {
        if names.iter().any(|n| n.eq_ignore_ascii_case(name)) && !out.contains(ip) {
            out.push(*ip);
        }
    }
    out
}

fn since(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

/// One word for a failed lookup (see `DnsResult::error`).
fn error_word(e: &NetError) -> String {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => match nr.response_code {
            ResponseCode::NXDomain => "NXDOMAIN".into(),
            ResponseCode::NoError => "NODATA".into(),
            other => other.to_string().to_ascii_uppercase(),
        },
        NetError::Dns(DnsError::ResponseCode(code)) => match code {
            ResponseCode::ServFail => "SERVFAIL".into(),
            ResponseCode::Refused => "REFUSED".into(),
            other => other.to_string().to_ascii_uppercase(),
        },
        NetError::Timeout => "timeout".into(),
        _ => "error".into(),
    }
}

/// Which failure says the most: a name that does not exist beats one without records beats a server failure.
fn rank(word: &str) -> u8 {
    match word {
        "NXDOMAIN" => 0,
        "NODATA" => 1,
        "SERVFAIL" | "REFUSED" => 2,
        "timeout" => 3,
        _ => 4,
    }
}

/// What the proxy container's resolver setup is, read from its root file system.
#[derive(Debug, Clone, Default)]
pub struct ContainerResolv {
    pub hosts: Vec<(IpAddr, Vec<String>)>,
    /// The `nameserver` lines of its resolv.conf (`None` when it could not be read).
    pub nameservers: Option<Vec<String>>,
}

impl ContainerResolv {
    /// Whether the container's resolver asks Docker's embedded DNS (user-defined networks), or something else
    /// (the default bridge copies the host's resolv.conf).
    pub fn uses_docker_dns(&self) -> bool {
        match &self.nameservers {
            Some(ns) => ns.iter().any(|n| n == "127.0.0.11"),
            None => true,
        }
    }
}

/// Looks names up through 127.0.0.11 inside the current network namespace. Build it on the runtime that will
/// drive the lookups (the namespace's own).
pub struct DockerDns {
    resolver: TokioResolver,
    pub resolv: ContainerResolv,
}

impl DockerDns {
    pub fn new(timeout: Duration, resolv: ContainerResolv) -> Result<DockerDns, String> {
        let config =
            ResolverConfig::from_name_servers(vec![NameServerConfig::udp_and_tcp(DOCKER_DNS)]);
        let mut opts = ResolverOpts::default();
        opts.timeout = timeout;
        opts.attempts = 1;
        opts.ndots = 0;
        opts.cache_size = 0;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.edns0 = false;
        let resolver = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(|e| format!("cannot build a resolver for 127.0.0.11: {e}"))?;
        Ok(DockerDns { resolver, resolv })
    }

    /// A and AAAA for `name` (asked as a fully qualified name: no search domains), after `/etc/hosts` when
    /// `use_hosts` (nginx's start-up lookup goes through the C library, which reads the file first; its
    /// `resolver` does not).
    pub async fn lookup(&self, name: &str, use_hosts: bool) -> DnsResult {
        let start = Instant::now();
        if use_hosts {
            let found = hosts_lookup(&self.resolv.hosts, name);
            if !found.is_empty() {
                return DnsResult {
                    name: name.to_string(),
                    server: "/etc/hosts".to_string(),
                    addrs: found,
                    error: None,
                    millis: since(start),
                };
            }
        }
        if !self.resolv.uses_docker_dns() {
            let ns = self
                .resolv
                .nameservers
                .clone()
                .unwrap_or_default()
                .join(", ");
            return DnsResult {
                name: name.to_string(),
                server: format!("resolv.conf: {ns}"),
                addrs: Vec::new(),
                error: Some("no-docker-dns".into()),
                millis: since(start),
            };
        }
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let (a, aaaa) = tokio::join!(
            self.resolver.lookup(fqdn.as_str(), RecordType::A),
            self.resolver.lookup(fqdn.as_str(), RecordType::AAAA)
        );
        let mut addrs = Vec::new();
        let mut errors = Vec::new();
        for r in [a, aaaa] {
            match r {
                Ok(lookup) => {
                    for ip in lookup.answers().iter().filter_map(|rec| rec.data.ip_addr()) {
                        if !addrs.contains(&ip) {
                            addrs.push(ip);
                        }
                    }
                }
                Err(e) => errors.push(error_word(&e)),
            }
        }
        let error = if addrs.is_empty() {
            errors
                .into_iter()
                .min_by_key(|w| rank(w))
                .or(Some("NODATA".into()))
        } else {
            None
        };
        DnsResult {
            name: name.to_string(),
            server: "127.0.0.11:53".to_string(),
            addrs,
            error,
            millis: since(start),
        }
    }
}

/// The networks `proxy` is on: its own, or those of the container whose network stack it shares
/// (`network_mode: service:x` / `container:x`).
fn proxy_networks<'a>(live: &'a LiveFacts, proxy: &'a LiveContainer) -> Vec<&'a str> {
    let mut owner = proxy;
    if let Some(other) = proxy.network_mode.strip_prefix("container:")
        && let Some(c) = live
            .containers
            .iter()
            .find(|c| c.id.starts_with(other) || c.name == other)
    {
        owner = c;
    }
    owner.networks.iter().map(|e| e.network.as_str()).collect()
}

/// Resolves `name` the way Docker's DNS would answer the proxy, from the live facts alone: the running
/// containers on a user-defined network shared with the proxy whose DNS names, aliases or name match.
pub fn live_lookup(live: &LiveFacts, proxy: &LiveContainer, name: &str) -> DnsResult {
    let start = Instant::now();
    let wanted = name.trim_end_matches('.');
    let nets = proxy_networks(live, proxy);
    let mut addrs = Vec::new();
    for c in live.containers.iter().filter(|c| c.is_running()) {
        for e in &c.networks {
            // Docker's DNS serves no names on the default bridge.
            if !nets.contains(&e.network.as_str()) || e.network == "bridge" {
                continue;
            }
            let names = if e.dns_names.is_empty() {
                e.aliases
                    .iter()
                    .chain(std::iter::once(&c.name))
                    .collect::<Vec<_>>()
            } else {
                e.dns_names.iter().collect()
            };
            if names.iter().any(|n| n.eq_ignore_ascii_case(wanted)) {
                for ip in [e.ipv4, e.ipv6].into_iter().flatten() {
                    if !addrs.contains(&ip) {
                        addrs.push(ip);
                    }
                }
            }
        }
    }
    DnsResult {
        name: name.to_string(),
        server: "live facts (Docker API)".to_string(),
        error: addrs.is_empty().then(|| "not-found".to_string()),
        addrs,
        millis: since(start),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file() {
        // Docker writes this for a container on a user-defined network (with `extra_hosts: [api:10.1.2.3]`).
        let text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
                    fe00::0\tip6-localnet\n10.1.2.3\tapi\n172.20.0.3\t6f1c2a9d0b1e # own\n";
        let hosts = parse_hosts(text);
        assert_eq!(
            hosts_lookup(&hosts, "API"),
            vec!["10.1.2.3".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(hosts_lookup(&hosts, "localhost").len(), 2);
        assert!(hosts_lookup(&hosts, "app").is_empty());
    }

    #[test]
    fn resolv_conf() {
        let user_net = "search example.test\nnameserver 127.0.0.11\noptions ndots:1\n";
        let bridge = "nameserver 10.0.0.2\nnameserver 10.0.0.3\n";
        let r = |t: &str| ContainerResolv {
            hosts: vec![],
            nameservers: Some(parse_nameservers(t)),
        };
        assert!(r(user_net).uses_docker_dns());
        assert!(!r(bridge).uses_docker_dns());
        assert_eq!(parse_nameservers(bridge), ["10.0.0.2", "10.0.0.3"]);
    }

    #[test]
    fn error_ranking() {
        let words = ["timeout", "NODATA", "NXDOMAIN"];
        assert_eq!(words.iter().min_by_key(|w| rank(w)), Some(&"NXDOMAIN"));
    }
}
