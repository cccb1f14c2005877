//! Every upstream target of a loaded configuration: the hosts nginx connects to, with where they are written.
//!
//! - A `*_pass` names a host directly, or names an `upstream {}` block; then the block's `server` lines are the
//!   targets (once each, with the passes that lead to them in `via`). Blocks no pass names are targets too
//!   (`unused`): nginx resolves their names at start all the same.
//! - A pass with variables is resolved by nginx per request. What can be known statically is substituted:
//!   `set $v ...;` executed on the way to the pass (the enclosing server's `set`s, then those of the location
//!   that holds the pass, in order; `set`s inside an `if` that does not hold the pass may or may not run, so
//!   both values are kept), and `map ... $v { ... }` whose values are all constants. A pass whose variable can
//!   take several constant values gives one target per value (at most [`MAX_VARIANTS`]).
//! - What stays unknown is listed in `unresolved_variables`; an unknown host part is [`Host::Dynamic`].

use super::ast::{Config, Directive, Host, PassKind, Target, UpstreamRef};
use super::context::http_pass_kind;
use super::url::{HostText, parse_address, variable_at};
use crate::span::{Location, Spanned};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// At most this many statically known values of one pass (the product over its variables).
pub const MAX_VARIANTS: usize = 16;

/// One statically known value of a variable (or of a pass argument), and the `set`/`map` lines it comes from.
/// Variables that stay unknown remain in `value` as written (`$host`).
#[derive(Debug, Clone, PartialEq)]
struct Cand {
    value: String,
    via: Vec<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Family {
    Http,
    Stream,
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::Http => "http",
            Family::Stream => "stream",
        }
    }
}

/// The part of the configuration around a pass that its target depends on.
#[derive(Debug, Clone, Default)]
struct Site {
    location: Option<String>,
    listen: Vec<String>,
    server_names: Vec<String>,
    resolver: Option<Spanned<Vec<String>>>,
    timeouts: Vec<(String, Spanned<String>)>,
}

struct PassRef {
    kind: PassKind,
    scheme: Option<String>,
    via: Vec<Location>,
    /// Kept for the first pass only.
    site: Option<Site>,
}

struct UpstreamBlock<'a> {
    name: String,
    family: Family,
    d: &'a Directive,
    /// document order of each `server` line
    servers: Vec<(usize, &'a Directive)>,
    refs: Vec<PassRef>,
    /// The `resolver` of the upstream block itself, else of the enclosing `http`/`stream` level: what resolves
    /// `server ... resolve` names.
    resolver: Option<Spanned<Vec<String>>>,
}

struct Collector<'a> {
    order: usize,
    upstreams: Vec<UpstreamBlock<'a>>,
    upstream_index: HashMap<(Family, String), usize>,
    maps: HashMap<(Family, String), &'a Directive>,
    /// (document order, pass directive, its ancestors from the outermost block)
    passes: Vec<(usize, &'a Directive, Vec<&'a Directive>, Family, PassKind)>,
}

const OPAQUE: &[&str] = &[
    "map",
    "geo",
    "split_clients",
    "types",
    "charset_map",
    "match",
];

impl<'a> Collector<'a> {
    fn walk(&mut self, ds: &'a [Directive], path: &mut Vec<&'a Directive>, family: Option<Family>) {
        for d in ds {
            self.order += 1;
            let order = self.order;
            let name = d.name.as_str();
            match (name, family) {
                ("map", Some(f)) if d.block.is_some() && d.args.len() == 2 => {
                    if let Some(v) = d.args[1].value.strip_prefix('$') {
                        let v = v.trim_start_matches('{').trim_end_matches('}').to_string();
                        self.maps.entry((f, v)).or_insert(d);
                    }
                }
                // upstream blocks count where nginx accepts them: directly in http {} or stream {}
                ("upstream", Some(f))
                    if d.block.is_some()
                        && d.args.len() == 1
                        && path.last().is_some_and(|p| p.name == f.name()) =>
                {
                    let key = (f, d.args[0].value.as_str().to_ascii_lowercase());
                    let mut servers = Vec::new();
                    for s in d.block.as_deref().unwrap_or_default() {
                        self.order += 1;
                        if s.name == "server" && s.block.is_none() && !s.args.is_empty() {
                            servers.push((self.order, s));
                        }
                    }
                    if !self.upstream_index.contains_key(&key) {
                        let resolver = resolver_of(d).or_else(|| {
                            path.iter()
                                .rev()
                                .filter(|p| is_config_level(p))
                                .find_map(|p| resolver_of(p))
                        });
                        self.upstream_index.insert(key, self.upstreams.len());
                        self.upstreams.push(UpstreamBlock {
                            name: d.args[0].value.to_string(),
                            family: f,
                            d,
                            servers,
                            refs: Vec::new(),
                            resolver,
                        });
                    }
                    continue;
                }
                _ => {}
            }
            if d.block.is_none() {
                let kind = match family {
                    Some(Family::Stream) if name == "proxy_pass" => Some(PassKind::Stream),
                    Some(Family::Http) => http_pass_kind(name),
                    _ => None,
                };
                if let (Some(kind), Some(f)) = (kind, family)
                    && d.args.len() == 1
                {
                    self.passes.push((order, d, path.clone(), f, kind));
                }
                continue;
            }
            if OPAQUE.contains(&name) {
                continue;
            }
            let family = match name {
                "http" => Some(Family::Http),
                "stream" => Some(Family::Stream),
                "mail" => None,
                _ => family,
            };
            path.push(d);
            self.walk(d.block.as_deref().unwrap_or_default(), path, family);
            path.pop();
        }
    }
}

fn children(d: &Directive) -> &[Directive] {
    d.block.as_deref().unwrap_or_default()
}

fn join_args(d: &Directive) -> String {
    d.args
        .iter()
        .map(|a| a.value.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn timeout_names(kind: PassKind) -> &'static [&'static str] {
    match kind {
        PassKind::Proxy => &[
            "proxy_connect_timeout",
            "proxy_send_timeout",
            "proxy_read_timeout",
        ],
        PassKind::Fastcgi => &[
            "fastcgi_connect_timeout",
            "fastcgi_send_timeout",
            "fastcgi_read_timeout",
        ],
        PassKind::Uwsgi => &[
            "uwsgi_connect_timeout",
            "uwsgi_send_timeout",
            "uwsgi_read_timeout",
        ],
        PassKind::Scgi => &[
            "scgi_connect_timeout",
            "scgi_send_timeout",
            "scgi_read_timeout",
        ],
        PassKind::Grpc => &[
            "grpc_connect_timeout",
            "grpc_send_timeout",
            "grpc_read_timeout",
        ],
        PassKind::Memcached => &[
            "memcached_connect_timeout",
            "memcached_send_timeout",
            "memcached_read_timeout",
        ],
        PassKind::Stream => &["proxy_connect_timeout", "proxy_timeout"],
    }
}

/// Blocks whose settings a pass inherits (nginx merges http -> server -> location -> nested location).
fn is_config_level(d: &Directive) -> bool {
    matches!(d.name.as_str(), "http" | "server" | "location" | "stream")
}

fn resolver_of(d: &Directive) -> Option<Spanned<Vec<String>>> {
    children(d)
        .iter()
        .find(|c| c.name == "resolver" && c.block.is_none())
        .map(|r| {
            Spanned::new(
                r.args
                    .iter()
                    .filter(|a| !a.value.contains('='))
                    .map(|a| a.value.to_string())
                    .collect(),
                r.loc.clone(),
            )
        })
}

/// What a pass needs from one enclosing block, read once per block (a block with thousands of children is
/// not scanned again for every pass in it).
#[derive(Default)]
struct BlockInfo<'a> {
    resolver: Option<Spanned<Vec<String>>>,
    /// The first simple directive of each name (for the timeouts).
    first: HashMap<&'a str, &'a Directive>,
    listen: Vec<String>,
    server_names: Vec<String>,
    /// The `set`s the block runs, in order, with the `if` blocks around each (innermost last).
    sets: Vec<(&'a Directive, Vec<&'a Directive>)>,
}

fn collect_sets<'a>(
    block: &'a [Directive],
    ifs: &mut Vec<&'a Directive>,
    out: &mut Vec<(&'a Directive, Vec<&'a Directive>)>,
) {
    for d in block {
        match d.name.as_str() {
            "set" if d.block.is_none() => out.push((d, ifs.clone())),
            "if" if d.block.is_some() => {
                ifs.push(d);
                collect_sets(children(d), ifs, out);
                ifs.pop();
            }
            _ => {}
        }
    }
}

impl<'a> BlockInfo<'a> {
    fn new(d: &'a Directive) -> Self {
        let mut info = BlockInfo {
            resolver: resolver_of(d),
            ..Default::default()
        };
        for c in children(d) {
            if c.block.is_none() && !c.args.is_empty() {
                info.first.entry(c.name.as_str()).or_insert(c);
            }
            match c.name.as_str() {
                "listen" => info.listen.push(join_args(c)),
                "server_name" => info
                    .server_names
                    .extend(c.args.iter().map(|a| a.value.to_string())),
                _ => {}
            }
        }
        collect_sets(children(d), &mut Vec::new(), &mut info.sets);
        info
    }
}

#[derive(Default)]
struct Blocks<'a> {
    by_ptr: HashMap<*const Directive, BlockInfo<'a>>,
}

impl<'a> Blocks<'a> {
    fn get(&mut self, d: &'a Directive) -> &BlockInfo<'a> {
        self.by_ptr
            .entry(d as *const Directive)
            .or_insert_with(|| BlockInfo::new(d))
    }

    fn site(&mut self, path: &[&'a Directive], kind: PassKind) -> Site {
        let location = path
            .iter()
            .rev()
            .find(|d| d.name == "location")
            .map(|d| join_args(d));
        let (listen, server_names) = match path.iter().rev().find(|d| d.name == "server") {
            Some(s) => {
                let i = self.get(s);
                (i.listen.clone(), i.server_names.clone())
            }
            None => (Vec::new(), Vec::new()),
        };
        let levels: Vec<&'a Directive> = path
            .iter()
            .rev()
            .copied()
            .filter(|d| is_config_level(d))
            .collect();
        let mut resolver = None;
        for l in &levels {
            if let Some(r) = &self.get(l).resolver {
                resolver = Some(r.clone());
                break;
            }
        }
        let mut timeouts = Vec::new();
        for name in timeout_names(kind) {
            for l in &levels {
                if let Some(t) = self.get(l).first.get(name) {
                    timeouts.push((
                        name.to_string(),
                        Spanned::new(t.args[0].value.to_string(), t.loc.clone()),
                    ));
                    break;
                }
            }
        }
        Site {
            location,
            listen,
            server_names,
            resolver,
            timeouts,
        }
    }
}

/// Segments of a text with variables: literal text, or a variable (its name and the text as written).
fn segments(s: &str) -> Vec<(bool, &str, &str)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut lit = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let (name, end) = variable_at(s, i);
            if !name.is_empty() {
                if lit < i {
                    out.push((false, &s[lit..i], &s[lit..i]));
                }
                out.push((true, name, &s[i..end]));
                i = end;
                lit = end;
                continue;
            }
        }
        i += 1;
    }
    if lit < b.len() {
        out.push((false, &s[lit..], &s[lit..]));
    }
    out
}

/// The variable names still in a text.
fn variables_in(s: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for (is_var, name, _) in segments(s) {
        if is_var && !v.iter().any(|x| x == name) {
            v.push(name.to_string());
        }
    }
    v
}

fn push_unique(list: &mut Vec<Location>, more: &[Location]) {
    for l in more {
        if !list.contains(l) {
            list.push(l.clone());
        }
    }
}

/// The values of a `map` whose values are all constants (at most [`MAX_VARIANTS`] different ones). A map
/// without `default` gives the empty string for other inputs: no target is made for that.
fn map_values(m: &Directive) -> Option<Vec<Cand>> {
    let mut out: Vec<Cand> = Vec::new();
    for e in children(m) {
        if e.args.len() != 1 {
            // `hostnames;`, `volatile;` and malformed entries
            continue;
        }
        let v = &e.args[0].value;
        if v.contains('$') {
            return None;
        }
        match out.iter_mut().find(|c| c.value == *v) {
            Some(c) => push_unique(&mut c.via, std::slice::from_ref(&e.loc)),
            None => {
                if out.len() == MAX_VARIANTS {
                    return None;
                }
                out.push(Cand {
                    value: v.to_string(),
                    via: vec![e.loc.clone()],
                })
            }
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// What the variables of one pass can be.
struct Env<'c> {
    family: Family,
    maps: &'c HashMap<(Family, String), Option<Vec<Cand>>>,
    state: HashMap<String, Vec<Cand>>,
}

impl Env<'_> {
    /// A variable's values before any `set`: a `map` with constant values, else unknown (`None`).
    fn initial(&self, name: &str) -> Option<Vec<Cand>> {
        self.maps.get(&(self.family, name.to_string()))?.clone()
    }

    fn values(&self, name: &str) -> Option<Vec<Cand>> {
        if let Some(v) = self.state.get(name) {
            return Some(v.clone());
        }
        self.initial(name)
    }

    /// All values of a text with variables; unknown variables stay as written.
    fn eval(&self, text: &str) -> Vec<Cand> {
        let mut acc = vec![Cand {
            value: String::new(),
            via: Vec::new(),
        }];
        for (is_var, name, written) in segments(text) {
            let vals = if is_var { self.values(name) } else { None };
            match vals {
                Some(vals) if acc.len() * vals.len() <= MAX_VARIANTS => {
                    let mut next = Vec::with_capacity(acc.len() * vals.len());
                    for a in &acc {
                        for v in &vals {
                            let mut via = a.via.clone();
                            push_unique(&mut via, &v.via);
                            next.push(Cand {
                                value: format!("{}{}", a.value, v.value),
                                via,
                            });
                        }
                    }
                    acc = next;
                }
                _ => {
                    for a in &mut acc {
                        a.value.push_str(written);
                    }
                }
            }
        }
        let mut out: Vec<Cand> = Vec::new();
        for c in acc {
            match out.iter_mut().find(|o| o.value == c.value) {
                Some(o) => push_unique(&mut o.via, &c.via),
                None => out.push(c),
            }
        }
        out
    }

    fn set(&mut self, d: &Directive, conditional: bool) {
        if d.args.len() != 2 {
            return;
        }
        let Some(var) = d.args[0].value.strip_prefix('$') else {
            return;
        };
        let mut vals = self.eval(&d.args[1].value);
        for v in &mut vals {
            push_unique(&mut v.via, std::slice::from_ref(&d.loc));
        }
        if conditional && let Some(mut old) = self.values(var) {
            for v in vals {
                if !old.iter().any(|o| o.value == v.value) {
                    old.push(v);
                }
            }
            vals = old;
        }
        if vals.len() > MAX_VARIANTS {
            self.state.remove(var);
            return;
        }
        self.state.insert(var.to_string(), vals);
    }

    /// Runs the `set`s of a block in order; a `set` inside an `if` that does not hold the pass may or may not
    /// run.
    fn run_block(&mut self, info: &BlockInfo, path: &[&Directive]) {
        for (d, ifs) in &info.sets {
            let conditional = ifs
                .iter()
                .any(|i| !path.iter().any(|p| std::ptr::eq(*p, *i)));
            self.set(d, conditional);
        }
    }
}

fn classify(host: &HostText) -> Host {
    match host {
        HostText::Unix(p) => Host::Unix(p.clone()),
        HostText::Bracketed(h) => match h.parse::<Ipv6Addr>() {
            Ok(ip) => Host::Ip(IpAddr::V6(ip)),
            Err(_) => {
                if h.contains('$') {
                    Host::Dynamic(h.clone())
                } else {
                    Host::Name(h.clone())
                }
            }
        },
        HostText::Plain(h) => {
            if h.is_empty() || h.contains('$') {
                Host::Dynamic(h.clone())
            } else if let Ok(ip) = h.parse::<Ipv4Addr>() {
                Host::Ip(IpAddr::V4(ip))
            } else {
                Host::Name(h.clone())
            }
        }
    }
}

fn default_port(kind: PassKind, scheme: Option<&str>) -> Option<u16> {
    match (kind, scheme) {
        (PassKind::Proxy, Some("http")) => Some(80),
        (PassKind::Proxy, Some("https")) => Some(443),
        // grpc_pass, fastcgi_pass, uwsgi_pass, scgi_pass, memcached_pass and stream proxy_pass set no default
        // port: a name without port is only valid as an upstream block ("no port in upstream" otherwise)
        _ => None,
    }
}

/// Every upstream target of the configuration, in configuration order.
pub fn targets(cfg: &Config) -> Vec<Target> {
    let mut c = Collector {
        order: 0,
        upstreams: Vec::new(),
        upstream_index: HashMap::new(),
        maps: HashMap::new(),
        passes: Vec::new(),
    };
    let mut path = Vec::new();
    c.walk(&cfg.directives, &mut path, None);

    let mut out: Vec<(usize, Target)> = Vec::new();
    let passes = std::mem::take(&mut c.passes);
    let maps: HashMap<(Family, String), Option<Vec<Cand>>> = c
        .maps
        .iter()
        .map(|(k, m)| (k.clone(), map_values(m)))
        .collect();
    let mut blocks = Blocks::default();
    for (order, d, path, family, kind) in passes {
        let raw = d.args[0].value.clone();
        let runtime = raw.contains('$');
        let mut env = Env {
            family,
            maps: &maps,
            state: HashMap::new(),
        };
        // the server's rewrite phase, then the location's (outer locations' `set`s do not run for a nested one)
        if runtime {
            if let Some(server) = path.iter().rev().find(|p| p.name == "server") {
                env.run_block(blocks.get(server), &path);
            }
            if let Some(loc) = path.iter().rev().find(|p| p.name == "location") {
                env.run_block(blocks.get(loc), &path);
            }
        }
        let site = blocks.site(&path, kind);
        let cands = env.eval(&raw);
        let last = cands.len().saturating_sub(1);
        let mut site = Some(site);
        for (ci, cand) in cands.into_iter().enumerate() {
            // the last candidate takes the site, the others copy it
            let take_site = |site: &mut Option<Site>| -> Site {
                if ci == last {
                    site.take().unwrap_or_default()
                } else {
                    site.clone().unwrap_or_default()
                }
            };
            let a = parse_address(Some(kind), &cand.value);
            let host = classify(&a.host);
            // a name without port that is an upstream block of the same context is that block (nginx looks
            // upstream blocks up first, at start and for names computed at run time)
            if let Host::Name(n) = &host
                && (a.port_text.is_none() || !runtime)
                && let Some(&i) = c.upstream_index.get(&(family, n.to_ascii_lowercase()))
            {
                let mut via = vec![d.loc.clone()];
                push_unique(&mut via, &cand.via);
                let u = &mut c.upstreams[i];
                // only the first pass's surroundings are used for the servers' targets
                let site = if u.refs.is_empty() {
                    Some(take_site(&mut site))
                } else {
                    None
                };
                u.refs.push(PassRef {
                    kind,
                    scheme: a.scheme.clone(),
                    via,
                    site,
                });
                continue;
            }
            let default_port = default_port(kind, a.scheme.as_deref());
            let site = take_site(&mut site);
            out.push((
                order,
                Target {
                    kind,
                    directive: d.name.to_string(),
                    raw: raw.to_string(),
                    loc: d.loc.clone(),
                    scheme: a.scheme,
                    host,
                    port: a.port,
                    default_port,
                    upstream: None,
                    via: cand.via,
                    runtime_resolution: runtime,
                    unresolved_variables: variables_in(&cand.value),
                    resolver: site.resolver,
                    timeouts: site.timeouts,
                    context: family.name().to_string(),
                    location: site.location,
                    listen: site.listen,
                    server_names: site.server_names,
                },
            ));
        }
    }

    for u in &c.upstreams {
        let first = u.refs.first();
        let kind = first.map(|r| r.kind).unwrap_or(match u.family {
            Family::Http => PassKind::Proxy,
            Family::Stream => PassKind::Stream,
        });
        let mut via: Vec<Location> = Vec::new();
        let mut seen: HashSet<&Location> = HashSet::new();
        for r in &u.refs {
            for l in &r.via {
                if seen.insert(l) {
                    via.push(l.clone());
                }
            }
        }
        for (order, s) in &u.servers {
            let raw = s.args[0].value.clone();
            let a = parse_address(None, &raw);
            let params: Vec<String> = s.args[1..].iter().map(|a| a.value.to_string()).collect();
            let resolve = params.iter().any(|p| p == "resolve");
            let site = first.and_then(|r| r.site.as_ref());
            out.push((
                *order,
                Target {
                    kind,
                    directive: "server".to_string(),
                    raw: raw.to_string(),
                    loc: s.loc.clone(),
                    scheme: first.and_then(|r| r.scheme.clone()),
                    host: classify(&a.host),
                    port: a.port,
                    default_port: match (u.family, &a.host) {
                        (_, HostText::Unix(_)) => None,
                        (Family::Http, _) => Some(80),
                        (Family::Stream, _) => None,
                    },
                    upstream: Some(UpstreamRef {
                        name: u.name.clone(),
                        block_loc: u.d.loc.clone(),
                        params,
                        servers: u.servers.len(),
                        unused: u.refs.is_empty(),
                    }),
                    via: via.clone(),
                    runtime_resolution: resolve,
                    unresolved_variables: Vec::new(),
                    resolver: u.resolver.clone(),
                    timeouts: site.map(|s| s.timeouts.clone()).unwrap_or_default(),
                    context: u.family.name().to_string(),
                    location: site.and_then(|s| s.location.clone()),
                    listen: site.map(|s| s.listen.clone()).unwrap_or_default(),
                    server_names: site.map(|s| s.server_names.clone()).unwrap_or_default(),
                },
            ));
        }
    }
    out.sort_by_key(|(o, _)| *o);
    out.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::load::load;
    use crate::nginx::vfs::{Layer, Vfs};

    fn cfg_with_problems(text: &str) -> Config {
        let mut v = Vfs::new();
        v.add_inline(
            "/etc/nginx/nginx.conf",
            "/p/nginx.conf",
            text,
            Layer::Mount,
            None,
        );
        load(&v, "/etc/nginx/nginx.conf")
    }

    fn cfg(text: &str) -> Config {
        let c = cfg_with_problems(text);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        c
    }

    fn name(s: &str) -> Host {
        Host::Name(s.into())
    }

    /// (directive, host, port, default port, scheme, line)
    fn brief(t: &Target) -> (String, Host, Option<u16>, Option<u16>, Option<String>, u32) {
        (
            t.directive.clone(),
            t.host.clone(),
            t.port,
            t.default_port,
            t.scheme.clone(),
            t.loc.line,
        )
    }

    #[test]
    fn every_target_form_and_default_port() {
        let c = cfg_with_problems(
            r"http {
  server {
    listen 80; server_name example.com www.example.com;
    location /a { proxy_pass http://app; }
    location /b { proxy_pass https://api:8443/v1/; }
    location /c { proxy_pass http://10.0.0.5:81; }
    location /d { proxy_pass http://[::1]:8080; }
    location /e { proxy_pass http://unix:/run/app.sock:/x; }
    location ~ \.php$ { fastcgi_pass php:9000; }
    location /f { fastcgi_pass unix:/run/php.sock; }
    location /g { uwsgi_pass uwsgi://py:3031; }
    location /h { scgi_pass scgi:4000; }
    location /i { grpc_pass grpcs://grpc:50051; }
    location /j { memcached_pass mc:11211; }
    location /k { fastcgi_pass php; }
    location /l { grpc_pass grpc://g; }
  }
}
stream {
  server { listen 5432; proxy_pass db:5432; }
  server { listen 6000; proxy_pass unix:/tmp/s.sock; }
}
",
        );
        // nginx refuses the two names without port at start; the targets are still there
        let lines: Vec<u32> = c
            .problems
            .iter()
            .map(|p| p.loc.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [15, 16]);
        let ts = targets(&c);
        let got: Vec<_> = ts.iter().map(brief).collect();
        let s = |x: &str| Some(x.to_string());
        let e = |d: &str, h: Host, p: Option<u16>, dp: Option<u16>, sc: Option<String>, l: u32| {
            (d.to_string(), h, p, dp, sc, l)
        };
        assert_eq!(
            got,
            vec![
                e("proxy_pass", name("app"), None, Some(80), s("http"), 4),
                e(
                    "proxy_pass",
                    name("api"),
                    Some(8443),
                    Some(443),
                    s("https"),
                    5
                ),
                e(
                    "proxy_pass",
                    Host::Ip("10.0.0.5".parse().unwrap()),
                    Some(81),
                    Some(80),
                    s("http"),
                    6
                ),
                e(
                    "proxy_pass",
                    Host::Ip("::1".parse().unwrap()),
                    Some(8080),
                    Some(80),
                    s("http"),
                    7
                ),
                e(
                    "proxy_pass",
                    Host::Unix("/run/app.sock".into()),
                    None,
                    Some(80),
                    s("http"),
                    8
                ),
                e("fastcgi_pass", name("php"), Some(9000), None, None, 9),
                e(
                    "fastcgi_pass",
                    Host::Unix("/run/php.sock".into()),
                    None,
                    None,
                    None,
                    10
                ),
                e("uwsgi_pass", name("py"), Some(3031), None, s("uwsgi"), 11),
                e("scgi_pass", name("scgi"), Some(4000), None, None, 12),
                e("grpc_pass", name("grpc"), Some(50051), None, s("grpcs"), 13),
                e("memcached_pass", name("mc"), Some(11211), None, None, 14),
                e("fastcgi_pass", name("php"), None, None, None, 15),
                e("grpc_pass", name("g"), None, None, s("grpc"), 16),
                e("proxy_pass", name("db"), Some(5432), None, None, 20),
                e(
                    "proxy_pass",
                    Host::Unix("/tmp/s.sock".into()),
                    None,
                    None,
                    None,
                    21
                ),
            ]
        );
        let kinds: Vec<PassKind> = ts.iter().map(|t| t.kind).collect();
        assert_eq!(kinds[5], PassKind::Fastcgi);
        assert_eq!(kinds[7], PassKind::Uwsgi);
        assert_eq!(kinds[8], PassKind::Scgi);
        assert_eq!(kinds[9], PassKind::Grpc);
        assert_eq!(kinds[10], PassKind::Memcached);
        assert_eq!(kinds[13], PassKind::Stream);
        assert_eq!(ts[0].context, "http");
        assert_eq!(ts[13].context, "stream");
        assert_eq!(ts[0].location.as_deref(), Some("/a"));
        assert_eq!(ts[5].location.as_deref(), Some("~ \\.php$"));
        assert_eq!(ts[0].listen, ["80"]);
        assert_eq!(ts[0].server_names, ["example.com", "www.example.com"]);
        assert_eq!(ts[13].listen, ["5432"]);
        assert_eq!(ts[0].raw, "http://app");
        assert_eq!(ts[0].effective_port(), Some(80));
        assert_eq!(ts[11].effective_port(), None);
        assert!(
            ts.iter()
                .all(|t| !t.runtime_resolution && t.upstream.is_none() && t.via.is_empty())
        );
    }

    #[test]
    fn upstream_blocks_expand_into_their_servers() {
        let c = cfg("http {
  upstream backend {
    server app1:8080 weight=5;
    server app2 backup;
    server unix:/s.sock;
  }
  upstream spare { server old:1 resolve; resolver 10.0.0.2; }
  server {
    location / { proxy_pass http://backend; }
    location /x { grpc_pass grpc://BACKEND; }
    location /y { proxy_pass http://app1:8080; }
  }
}
stream {
  upstream db { server db:5432; }
  server { listen 5432; proxy_pass db; }
}
");
        let ts = targets(&c);
        let got: Vec<_> = ts.iter().map(brief).collect();
        assert_eq!(
            got,
            vec![
                (
                    "server".into(),
                    name("app1"),
                    Some(8080),
                    Some(80),
                    Some("http".into()),
                    3
                ),
                (
                    "server".into(),
                    name("app2"),
                    None,
                    Some(80),
                    Some("http".into()),
                    4
                ),
                (
                    "server".into(),
                    Host::Unix("/s.sock".into()),
                    None,
                    None,
                    Some("http".into()),
                    5
                ),
                ("server".into(), name("old"), Some(1), Some(80), None, 7),
                (
                    "proxy_pass".into(),
                    name("app1"),
                    Some(8080),
                    Some(80),
                    Some("http".into()),
                    11
                ),
                ("server".into(), name("db"), Some(5432), None, None, 15),
            ]
        );
        let u = ts[0].upstream.as_ref().unwrap();
        assert_eq!(
            (u.name.as_str(), u.block_loc.line, u.servers, u.unused),
            ("backend", 2, 3, false)
        );
        assert_eq!(u.params, ["weight=5"]);
        assert_eq!(ts[1].upstream.as_ref().unwrap().params, ["backup"]);
        assert_eq!(ts[0].kind, PassKind::Proxy);
        let via: Vec<u32> = ts[0].via.iter().map(|l| l.line).collect();
        assert_eq!(via, [9, 10]);
        assert_eq!(ts[0].location.as_deref(), Some("/"));
        let spare = &ts[3];
        assert!(spare.upstream.as_ref().unwrap().unused);
        assert!(spare.runtime_resolution);
        assert_eq!(spare.kind, PassKind::Proxy);
        assert_eq!(spare.resolver.as_ref().unwrap().value, ["10.0.0.2"]);
        assert!(spare.via.is_empty());
        let db = &ts[5];
        assert_eq!((db.kind, db.context.as_str()), (PassKind::Stream, "stream"));
        assert_eq!(db.via[0].line, 16);
        assert_eq!(db.listen, ["5432"]);
    }

    #[test]
    fn set_and_map_substitution() {
        let c = cfg(r"http {
  map $host $mapped { default app-a; example.com app-b; www.example.com app-a; }
  map $host $const { default same; x.com same; }
  map $host $dyn { default $host; }
  upstream pool { server p:1; }
  server {
    set $sv srv;
    location /1 { set $up app; proxy_pass http://$up:8080; }
    location /2 { proxy_pass http://$sv$request_uri; }
    location /3 { set $a x; if ($arg_b) { set $a y; } proxy_pass http://$a; }
    location /4 { proxy_pass http://$mapped; }
    location /5 { proxy_pass http://$const; }
    location /6 { proxy_pass http://$dyn; }
    location /7 { proxy_pass http://$host; }
    location /8 { set $p pool; proxy_pass http://$p; }
    location /9 { set $late first; proxy_pass http://$late; set $late second; }
    location /10 { set $o outer; location /10/n { proxy_pass http://$o; } }
    location /11 { if ($x) { set $w inner; proxy_pass http://${w}.svc:81; } }
    location /12 { set $u http://api:9000; proxy_pass $u; }
    location /13 { proxy_pass http://app:3000/$1; }
  }
}
");
        let ts = targets(&c);
        let hosts: Vec<(u32, Host)> = ts.iter().map(|t| (t.loc.line, t.host.clone())).collect();
        assert_eq!(
            hosts,
            vec![
                (5, name("p")),
                (8, name("app")),
                (9, name("srv")),
                (10, name("x")),
                (10, name("y")),
                (11, name("app-a")),
                (11, name("app-b")),
                (12, name("same")),
                (13, Host::Dynamic("$dyn".into())),
                (14, Host::Dynamic("$host".into())),
                (16, name("second")),
                (17, Host::Dynamic("$o".into())),
                (18, name("inner.svc")),
                (19, name("api")),
                (20, name("app")),
            ]
        );
        let by_line = |l: u32| ts.iter().filter(move |t| t.loc.line == l);
        let t1 = by_line(8).next().unwrap();
        assert_eq!(t1.port, Some(8080));
        assert!(t1.runtime_resolution);
        assert!(t1.unresolved_variables.is_empty());
        assert_eq!(t1.via.iter().map(|l| l.line).collect::<Vec<_>>(), [8]);
        assert_eq!(t1.raw, "http://$up:8080");
        let t2 = by_line(9).next().unwrap();
        assert_eq!(t2.unresolved_variables, ["request_uri"]);
        assert_eq!(t2.via[0].line, 7);
        let t4: Vec<_> = by_line(11).collect();
        assert_eq!(
            t4[0]
                .via
                .iter()
                .map(|l| (l.line, l.column))
                .collect::<Vec<_>>(),
            [(2, 23), (2, 57)]
        );
        assert_eq!(t4[1].via.iter().map(|l| l.line).collect::<Vec<_>>(), [2]);
        let t6 = by_line(13).next().unwrap();
        assert_eq!(t6.unresolved_variables, ["dyn"]);
        // the upstream named through a variable: its server gets the pass and the `set` in `via`
        let pool = &ts[0];
        assert_eq!(pool.upstream.as_ref().unwrap().name, "pool");
        assert!(!pool.upstream.as_ref().unwrap().unused);
        assert_eq!(
            pool.via.iter().map(|l| l.line).collect::<Vec<_>>(),
            [15, 15]
        );
        assert_eq!(pool.via[0].column, 32);
        assert_eq!(pool.via[1].column, 19);
        let t12 = by_line(19).next().unwrap();
        assert_eq!(
            (t12.scheme.as_deref(), t12.port),
            (Some("http"), Some(9000))
        );
        let t13 = by_line(20).next().unwrap();
        assert_eq!(t13.unresolved_variables, ["1"]);
        assert!(t13.runtime_resolution);
    }

    #[test]
    fn stream_set_and_map() {
        let c = cfg("stream {
  map $ssl_preread_server_name $name { a.example.com one; default two; }
  upstream one { server one:1; }
  server { listen 443; ssl_preread on; proxy_pass $name; }
}
");
        let ts = targets(&c);
        assert_eq!(ts.len(), 2);
        assert_eq!(ts[0].host, name("one"));
        assert_eq!(ts[0].upstream.as_ref().unwrap().name, "one");
        assert_eq!(ts[0].via.iter().map(|l| l.line).collect::<Vec<_>>(), [4, 2]);
        assert_eq!(
            (ts[1].host.clone(), ts[1].port, ts[1].default_port),
            (name("two"), None, None)
        );
        assert_eq!(ts[1].context, "stream");
    }

    #[test]
    fn resolver_and_timeouts_are_inherited() {
        let c = cfg("http {
  resolver 127.0.0.11 valid=10s;
  proxy_read_timeout 120s;
  fastcgi_read_timeout 30s;
  server {
    proxy_connect_timeout 5s;
    location / { proxy_pass http://a:1; }
    location /b {
      resolver 8.8.8.8 1.1.1.1 ipv6=off;
      proxy_read_timeout 5m;
      location /b/c { if ($x) { proxy_pass http://b:1; } }
    }
    location /php { fastcgi_pass php:9000; }
  }
}
stream {
  resolver 1.1.1.1;
  proxy_connect_timeout 2s;
  server { proxy_timeout 1m; proxy_pass c:1; }
}
");
        let ts = targets(&c);
        let timeouts = |t: &Target| -> Vec<(String, String, u32)> {
            t.timeouts
                .iter()
                .map(|(n, v)| (n.clone(), v.value.clone(), v.loc.line))
                .collect()
        };
        let r = ts[0].resolver.as_ref().unwrap();
        assert_eq!(
            (r.value.clone(), r.loc.line),
            (vec!["127.0.0.11".to_string()], 2)
        );
        assert_eq!(
            timeouts(&ts[0]),
            [
                ("proxy_connect_timeout".to_string(), "5s".to_string(), 6),
                ("proxy_read_timeout".to_string(), "120s".to_string(), 3)
            ]
        );
        assert_eq!(
            ts[1].resolver.as_ref().unwrap().value,
            ["8.8.8.8", "1.1.1.1"]
        );
        assert_eq!(ts[1].location.as_deref(), Some("/b/c"));
        assert_eq!(
            timeouts(&ts[1])[1],
            ("proxy_read_timeout".to_string(), "5m".to_string(), 10)
        );
        assert_eq!(
            timeouts(&ts[2]),
            [("fastcgi_read_timeout".to_string(), "30s".to_string(), 4)]
        );
        assert_eq!(ts[3].resolver.as_ref().unwrap().value, ["1.1.1.1"]);
        assert_eq!(
            timeouts(&ts[3]),
            [
                ("proxy_connect_timeout".to_string(), "2s".to_string(), 18),
                ("proxy_timeout".to_string(), "1m".to_string(), 19)
            ]
        );
    }

    #[test]
    fn targets_keep_the_file_they_are_written_in() {
        let mut v = Vfs::new();
        v.add_inline(
            "/etc/nginx/nginx.conf",
            "/p/nginx.conf",
            "events {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n}\n",
            Layer::Image,
            None,
        );
        v.add_inline(
            "/etc/nginx/conf.d/app.conf",
            "/p/app.conf",
            "server {\n  location / {\n    proxy_pass http://web:8000;\n  }\n}\n",
            Layer::Mount,
            None,
        );
        let c = load(&v, "/etc/nginx/nginx.conf");
        let ts = targets(&c);
        assert_eq!(ts.len(), 1);
        assert_eq!(ts[0].loc.to_string(), "/p/app.conf:3:5");
    }
}
