//! What to probe for one target, read from the configuration: the protocol nginx speaks to it, where it points,
//! the request nginx would send (URI and `Host`), and the timeouts nginx uses.

use super::time::{Timeouts, timeouts};
use crate::nginx::url::{parse_address, variable_at};
use crate::nginx::{Config, Directive, Host, PassKind, Target};
use crate::span::Location;
use std::net::IpAddr;
use std::time::Duration;

/// The protocol nginx speaks to the target, and so the exchange the probe makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// `proxy_pass http://`
    Http,
    /// `proxy_pass https://`
    Https,
    Fastcgi,
    /// `grpc_pass` / `grpc://`: HTTP/2 in clear text.
    Grpc,
    /// `grpcs://`: HTTP/2 over TLS.
    Grpcs,
    Uwsgi,
    /// `suwsgi://`: uwsgi over TLS.
    Suwsgi,
    Scgi,
    Memcached,
    /// Stream `proxy_pass`: TCP, connect only.
    Tcp,
}

impl Proto {
    pub fn of(target: &Target) -> Proto {
        let scheme = target.scheme.as_deref().unwrap_or("");
        match target.kind {
            PassKind::Proxy if scheme.eq_ignore_ascii_case("https") => Proto::Https,
            PassKind::Proxy => Proto::Http,
            PassKind::Grpc if scheme.eq_ignore_ascii_case("grpcs") => Proto::Grpcs,
            PassKind::Grpc => Proto::Grpc,
            PassKind::Uwsgi if scheme.eq_ignore_ascii_case("suwsgi") => Proto::Suwsgi,
            PassKind::Uwsgi => Proto::Uwsgi,
            PassKind::Fastcgi => Proto::Fastcgi,
            PassKind::Scgi => Proto::Scgi,
            PassKind::Memcached => Proto::Memcached,
            PassKind::Stream => Proto::Tcp,
        }
    }

    /// The `protocol` word of a handshake result.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Http => "http",
            Proto::Https | Proto::Grpcs | Proto::Suwsgi => "tls",
            Proto::Fastcgi => "fastcgi",
            Proto::Grpc => "h2",
            Proto::Uwsgi => "uwsgi",
            Proto::Scgi => "scgi",
            Proto::Memcached => "memcached",
            Proto::Tcp => "tcp",
        }
    }

    /// ALPN to offer in the ClientHello.
    pub fn alpn(self) -> &'static [&'static str] {
        match self {
            Proto::Grpcs => &["h2"],
            _ => &[],
        }
    }
}

/// Where a target points, as far as the probe can go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    Name(String),
    Ip(IpAddr),
    /// A unix socket path inside the proxy container.
    Unix(String),
}

/// Everything the probe needs for one target.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The target's index in `Proxy::targets()`.
    pub index: usize,
    pub proto: Proto,
    /// `None` with a reason when there is nothing to probe (a host from run-time variables, no port).
    pub dest: Result<Dest, String>,
    pub port: u16,
    /// The request URI nginx would send (best effort: the pass's URI, else the location's prefix, else `/`).
    pub uri: String,
    /// The `Host` nginx would send.
    pub host_header: String,
    pub sni: Option<String>,
    pub timeouts: Timeouts,
    /// nginx resolves the name per request (variables + `resolver`, or `server ... resolve`).
    pub runtime: bool,
    /// The `resolver` addresses in effect (for run-time resolution).
    pub resolver: Option<Vec<String>>,
    /// `host:port` for messages.
    pub label: String,
}

/// A name is only usable in `Host` when it is a plain name (no `_` catch-all, wildcard or regex).
fn plain_server_name(names: &[String]) -> Option<&str> {
    names
        .iter()
        .map(|n| n.trim_start_matches('.'))
        .find(|n| !n.is_empty() && *n != "_" && !n.starts_with('~') && !n.contains('*'))
}

fn listen_port(listen: &[String]) -> Option<u16> {
    let first = listen.first()?.split_whitespace().next()?;
    let port = first.rsplit(':').next().unwrap_or(first);
    port.parse().ok()
}

fn host_text(host: &Host) -> Option<String> {
    match host {
        Host::Name(n) => Some(n.clone()),
        Host::Ip(IpAddr::V6(ip)) => Some(format!("[{ip}]")),
        Host::Ip(ip) => Some(ip.to_string()),
        Host::Unix(_) => Some("localhost".to_string()),
        Host::Dynamic(_) => None,
    }
}

/// The directive at `loc` with the blocks around it (outermost first), searching `dirs`.
fn find_path<'a>(dirs: &'a [Directive], loc: &Location, path: &mut Vec<&'a Directive>) -> bool {
    for d in dirs {
        path.push(d);
        if &d.loc == loc {
            return true;
        }
        if let Some(children) = &d.block
            && find_path(children, loc, path)
        {
            return true;
        }
        path.pop();
    }
    false
}

/// The pass that sends traffic to `target` and the blocks around it: the target's own directive, or for a
/// `server` line of an upstream block the first pass in `via` that names the block.
fn pass_path<'a>(config: &'a Config, target: &Target) -> Option<Vec<&'a Directive>> {
    let wanted = target.kind.directive();
    let mut locs = vec![&target.loc];
    if target.upstream.is_some() {
        locs = target.via.iter().collect();
    }
    for loc in locs {
        let mut path = Vec::new();
        if find_path(&config.directives, loc, &mut path)
            && path.last().is_some_and(|d| d.name == wanted)
        {
            return Some(path);
        }
    }
    None
}

/// `proxy_set_header Host` in effect at the pass: the innermost level with any `proxy_set_header` decides
/// (nginx inherits the directive only into levels that have none of their own).
fn set_host_header(path: &[&Directive]) -> Option<String> {
    for level in path.iter().rev().skip(1) {
        let sets: Vec<&Directive> = level
            .block
            .iter()
            .flatten()
            .filter(|d| d.name == "proxy_set_header" && d.block.is_none())
            .collect();
        if sets.is_empty() {
            continue;
        }
        return sets
            .iter()
            .rev()
            .find(|d| {
                d.args
                    .first()
                    .is_some_and(|a| a.value.eq_ignore_ascii_case("host"))
            })
            .and_then(|d| d.args.get(1))
            .map(|a| a.value.to_string());
    }
    None
}

/// Substitutes the variables of a `Host` value as well as the probe can know them.
fn expand(value: &str, proxy_host: &str, server_name: &str, server_port: u16, port: u16) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < value.len() {
        if value.as_bytes()[i] == b'$' {
            let (name, next) = variable_at(value, i);
            match name {
                "proxy_host" => out.push_str(proxy_host),
                "host" | "http_host" | "server_name" => out.push_str(server_name),
                "server_port" => out.push_str(&server_port.to_string()),
                "proxy_port" => out.push_str(&port.to_string()),
                _ => {} // unknown at probe time: nginx would put the request's value here
            }
            i = next.max(i + 1);
        } else {
            let c = value[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    if out.is_empty() {
        proxy_host.to_string()
    } else {
        out
    }
}

/// The URI a request to the location would carry once nginx rewrote it for the pass.
fn request_uri(pass_arg: Option<&str>, kind: PassKind, location: Option<&str>) -> String {
    if kind == PassKind::Proxy
        && let Some(uri) = pass_arg.and_then(|a| parse_address(Some(kind), a).uri)
        && !uri.contains('$')
        && uri.starts_with('/')
    {
        return uri;
    }
    let Some(location) = location else {
        return "/".to_string();
    };
    let mut words = location.split_whitespace();
    let first = words.next().unwrap_or("/");
    let path = match first {
        "=" | "^~" => words.next().unwrap_or("/"),
        _ => first,
    };
    if path.starts_with('/') && !path.contains('$') {
        path.to_string()
    } else {
        "/".to_string()
    }
}

/// Plans the probe of every target of a proxy.
pub fn plans(config: Option<&Config>, targets: &[Target], cap: Duration) -> Vec<Plan> {
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| plan(config, t, i, cap))
        .collect()
}

pub fn plan(config: Option<&Config>, target: &Target, index: usize, cap: Duration) -> Plan {
    let proto = Proto::of(target);
    let port = target.effective_port();
    let host = host_text(&target.host);
    let path = config.and_then(|c| pass_path(c, target));
    let pass = path.as_ref().and_then(|p| p.last().copied());
    let pass_arg = pass.and_then(|d| d.args.first()).map(|a| a.value.as_str());

    let dest = match (&target.host, port) {
        (Host::Unix(p), _) => Ok(Dest::Unix(p.clone())),
        (Host::Dynamic(text), _) => Err(format!(
            "the host comes from run-time variables ({text}): it depends on each request"
        )),
        (_, None) => Err("no port: nginx refuses to start (`no port in upstream`)".to_string()),
        (Host::Name(n), Some(_)) => Ok(Dest::Name(n.clone())),
        (Host::Ip(ip), Some(_)) => Ok(Dest::Ip(*ip)),
    };
    let port = port.unwrap_or(0);

    // $proxy_host: the upstream block's name, or host[:port] as written (without a default port).
    let default_port = match proto {
        Proto::Https => 443,
        _ => 80,
    };
    let proxy_host = match (&target.upstream, &host) {
        (Some(u), _) => u.name.clone(),
        (None, Some(h)) if target.port.is_some_and(|p| p != default_port) => {
            format!("{h}:{}", target.port.unwrap_or(default_port))
        }
        (None, Some(h)) => h.clone(),
        (None, None) => "localhost".to_string(),
    };
    let server_name = plain_server_name(&target.server_names)
        .unwrap_or("localhost")
        .to_string();
    let server_port = listen_port(&target.listen).unwrap_or(80);
    let host_header = match (target.kind, path.as_deref().and_then(set_host_header)) {
        (PassKind::Proxy, Some(v)) => expand(&v, &proxy_host, &server_name, server_port, port),
        _ => proxy_host.clone(),
    };
    let sni = match &target.host {
        Host::Name(n) => super::wire::tls::sni_for(n).map(str::to_string),
        _ => None,
    };
    let label = match &target.host {
        Host::Unix(p) => format!("unix:{p}"),
        _ => format!("{}:{}", host.unwrap_or_else(|| target.raw.clone()), port),
    };
    Plan {
        index,
        proto,
        dest,
        port,
        uri: request_uri(pass_arg, target.kind, target.location.as_deref()),
        host_header,
        sni,
        timeouts: timeouts(target, cap),
        runtime: target.runtime_resolution,
        resolver: target.resolver.as_ref().map(|r| r.value.clone()),
        label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::{Layer, Vfs, load, targets};

    fn plans_of(conf: &str) -> Vec<Plan> {
        let mut vfs = Vfs::new();
        vfs.add_inline(
            "/etc/nginx/nginx.conf",
            "/p/nginx.conf",
            conf,
            Layer::Mount,
            None,
        );
        let config = load(&vfs, "/etc/nginx/nginx.conf");
        assert!(config.problems.is_empty(), "{:?}", config.problems);
        let ts = targets(&config);
        plans(Some(&config), &ts, Duration::from_secs(5))
    }

    #[test]
    fn http_defaults() {
        let p = plans_of(
            "events {} http { server { listen 80; server_name localhost; location / { proxy_pass http://app:8080; } } }",
        );
        assert_eq!(p.len(), 1);
        let p = &p[0];
        assert_eq!(p.proto, Proto::Http);
        assert_eq!(p.dest, Ok(Dest::Name("app".into())));
        assert_eq!(p.port, 8080);
        assert_eq!(p.uri, "/");
        assert_eq!(p.host_header, "app:8080");
        assert_eq!(p.timeouts.read.nginx, Duration::from_secs(60));
        assert_eq!(p.timeouts.read.probe, Duration::from_secs(5));
        assert!(p.timeouts.read.capped());
    }

    #[test]
    fn uri_host_header_and_timeouts() {
        let p = plans_of(
            "events {} http { proxy_set_header X-A b; server { listen 8000; server_name _ example.test; \
             location /api/ { proxy_set_header Host $host:$server_port; proxy_read_timeout 3s; \
             proxy_pass https://api:443/v1/; } location /old { proxy_pass http://legacy; } } }",
        );
        assert_eq!(p[0].proto, Proto::Https);
        assert_eq!(p[0].uri, "/v1/");
        assert_eq!(p[0].host_header, "example.test:8000");
        assert_eq!(p[0].sni.as_deref(), Some("api"));
        assert_eq!(p[0].timeouts.read.nginx, Duration::from_secs(3));
        assert!(!p[0].timeouts.read.capped());
        // The location has no proxy_set_header: the server level's (without Host) applies -> $proxy_host.
        assert_eq!(p[1].uri, "/old");
        assert_eq!(p[1].host_header, "legacy");
        assert_eq!(p[1].port, 80);
    }

    #[test]
    fn upstream_servers_use_the_pass() {
        let p = plans_of(
            "events {} http { upstream backend { server app1:8080; server 10.9.9.9:81; } server { \
             location /x/ { proxy_set_header Host static.test; proxy_pass http://backend/y/; } } }",
        );
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].dest, Ok(Dest::Name("app1".into())));
        assert_eq!(p[0].uri, "/y/");
        assert_eq!(p[0].host_header, "static.test");
        assert_eq!(p[1].dest, Ok(Dest::Ip("10.9.9.9".parse().unwrap())));
        assert_eq!(p[1].sni, None);
    }

    #[test]
    fn other_passes() {
        let p = plans_of(
            "events {} http { server { location ~ \\.php$ { fastcgi_read_timeout 1m; fastcgi_pass php:9000; } \
             location /g { grpc_pass grpcs://g:50051; } location /u { uwsgi_pass unix:/run/app.sock; } \
             location /v { set $b $arg_x; proxy_pass http://$b; } } } \
             stream { server { listen 5432; proxy_pass db:5432; } }",
        );
        assert_eq!(p[0].proto, Proto::Fastcgi);
        assert_eq!(p[0].uri, "/");
        assert_eq!(p[0].timeouts.read.nginx, Duration::from_secs(60));
        assert_eq!(p[1].proto, Proto::Grpcs);
        assert_eq!(p[1].proto.alpn(), &["h2"]);
        assert_eq!(p[2].dest, Ok(Dest::Unix("/run/app.sock".into())));
        assert_eq!(p[2].label, "unix:/run/app.sock");
        assert!(p[3].dest.is_err(), "{:?}", p[3].dest);
        assert_eq!(p[4].proto, Proto::Tcp);
        assert_eq!(p[4].timeouts.read.nginx, Duration::from_secs(600));
    }

    #[test]
    fn expand_variables() {
        assert_eq!(
            expand("$proxy_host", "app:8080", "localhost", 80, 8080),
            "app:8080"
        );
        assert_eq!(expand("${host}.x", "a", "s.test", 80, 1), "s.test.x");
        assert_eq!(expand("$unknown", "app", "s", 80, 1), "app");
    }
}
