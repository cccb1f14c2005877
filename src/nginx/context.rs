//! The checks nginx makes on where a directive is, and a few on the arguments of the directives that lead to
//! upstreams. Only what nginx really refuses at start is reported; unknown (third-party) directives are left
//! alone, and the bodies of blocks that are not directives (`map`, `types`, `geo`, ...) are not looked into.

use super::ast::{ConfigFile, Directive, PassKind, Problem, ProblemKind};
use super::url::{HostText, parse_address};
use crate::span::Location;
use std::collections::HashMap;
use std::path::Path;

/// The context a directive is in, as far as the checks need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ctx {
    Main,
    Events,
    Http,
    HttpServer,
    Location,
    /// `if` inside `location`.
    LocationIf,
    /// `if` inside `server`.
    ServerIf,
    LimitExcept,
    HttpUpstream,
    Stream,
    StreamServer,
    StreamUpstream,
    /// `mail {}` and anything in it, bodies that are not directives, unknown blocks: not checked.
    Unchecked,
}

impl Ctx {
    fn name(self) -> &'static str {
        match self {
            Ctx::Main => "main",
            Ctx::Events => "events",
            Ctx::Http => "http",
            Ctx::HttpServer | Ctx::StreamServer => "server",
            Ctx::Location => "location",
            Ctx::LocationIf | Ctx::ServerIf => "if",
            Ctx::LimitExcept => "limit_except",
            Ctx::HttpUpstream | Ctx::StreamUpstream => "upstream",
            Ctx::Stream => "stream",
            Ctx::Unchecked => "block",
        }
    }
}

/// Where a simple directive may be, for the directives that have a single place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// The main context only.
    MainOnly,
    /// `events {}` only.
    EventsOnly,
    /// The `http {}` or `stream {}` level only.
    HttpOrStreamMain,
    /// The `http {}` level only.
    HttpMain,
    Other,
}

fn class(name: &str) -> Class {
    match name {
        "user"
        | "worker_processes"
        | "pid"
        | "daemon"
        | "master_process"
        | "worker_rlimit_nofile"
        | "worker_rlimit_core"
        | "load_module"
        | "env"
        | "worker_cpu_affinity"
        | "worker_priority"
        | "lock_file"
        | "pcre_jit"
        | "thread_pool"
        | "working_directory"
        | "timer_resolution"
        | "worker_shutdown_timeout"
        | "ssl_engine"
        | "debug_points" => Class::MainOnly,
        "worker_connections"
        | "use"
        | "multi_accept"
        | "accept_mutex"
        | "accept_mutex_delay"
        | "debug_connection"
        | "worker_aio_requests" => Class::EventsOnly,
        "map"
        | "geo"
        | "split_clients"
        | "log_format"
        | "limit_conn_zone"
        | "variables_hash_max_size"
        | "variables_hash_bucket_size"
        | "map_hash_max_size"
        | "map_hash_bucket_size" => Class::HttpOrStreamMain,
        "limit_req_zone"
        | "proxy_cache_path"
        | "fastcgi_cache_path"
        | "uwsgi_cache_path"
        | "scgi_cache_path"
        | "server_names_hash_max_size"
        | "server_names_hash_bucket_size" => Class::HttpMain,
        _ => Class::Other,
    }
}

/// Blocks whose bodies are not directives.
const OPAQUE_BODIES: &[&str] = &[
    "map",
    "geo",
    "split_clients",
    "types",
    "charset_map",
    "match",
];

pub(crate) fn http_pass_kind(name: &str) -> Option<PassKind> {
    Some(match name {
        "proxy_pass" => PassKind::Proxy,
        "fastcgi_pass" => PassKind::Fastcgi,
        "uwsgi_pass" => PassKind::Uwsgi,
        "scgi_pass" => PassKind::Scgi,
        "grpc_pass" => PassKind::Grpc,
        "memcached_pass" => PassKind::Memcached,
        _ => return None,
    })
}

struct Checker<'a> {
    included_from: HashMap<&'a Path, Option<&'a Location>>,
    problems: &'a mut Vec<Problem>,
    /// upstream blocks by (stream?, lower-case name): the first definition
    upstreams: HashMap<(bool, String), Location>,
    /// static passes naming a host with a port: (stream?, lower-case host, port, location)
    passes_with_port: Vec<(bool, String, u16, Location)>,
    /// static passes naming a host without port where nginx has no default port:
    /// (stream?, lower-case host, directive name, location)
    passes_without_port: Vec<(bool, String, String, Location)>,
}

fn ctx_problem(d: &Directive, parent: Ctx, help: String) -> Problem {
    let message = if parent == Ctx::Main {
        format!(
            "\"{}\" directive is not allowed here (at the main level)",
            d.name
        )
    } else {
        format!(
            "\"{}\" directive is not allowed here (inside \"{}\")",
            d.name,
            parent.name()
        )
    };
    Problem {
        kind: ProblemKind::Context,
        message,
        loc: Some(d.loc.clone()),
        help: Some(help),
    }
}

fn invalid(d: &Directive, message: String, help: &str) -> Problem {
    Problem {
        kind: ProblemKind::Invalid,
        message,
        loc: Some(d.loc.clone()),
        help: Some(help.to_string()),
    }
}

impl<'a> Checker<'a> {
    /// Where the file holding `d` was included from, if it was.
    fn include_site(&self, d: &Directive) -> Option<&'a Location> {
        self.included_from.get(&*d.loc.file).copied().flatten()
    }

    fn main_level_help(&self, d: &Directive, parent: Ctx) -> String {
        let what = if matches!(d.name.as_str(), "http" | "events" | "stream" | "mail") {
            format!("an \"{}\" block", d.name)
        } else {
            format!("\"{}\"", d.name)
        };
        match (self.include_site(d), parent) {
            (Some(site), Ctx::Http) => format!(
                "this file is included inside \"http {{}}\" (at {site}), so it must not contain {what}: \
                 keep only server/upstream/map blocks in it and drop the http {{}} wrapper and the events {{}} \
                 block (the official image's nginx.conf includes /etc/nginx/conf.d/*.conf inside http {{}}), \
                 or mount the complete file as /etc/nginx/nginx.conf instead"
            ),
            (Some(site), _) => format!(
                "this file is included inside \"{}\" (at {site}); {what} belongs to the main level of nginx.conf",
                parent.name()
            ),
            (None, _) => {
                format!("move {what} to the main level of nginx.conf (outside every block)")
            }
        }
    }

    fn walk(&mut self, ds: &[Directive], parent: Ctx) {
        for d in ds {
            let child = self.check(d, parent);
            if let Some(b) = &d.block
                && child != Ctx::Unchecked
            {
                self.walk(b, child);
            }
        }
    }

    /// Checks one directive in `parent`; returns the context of its block.
    fn check(&mut self, d: &Directive, parent: Ctx) -> Ctx {
        if parent == Ctx::Unchecked {
            return Ctx::Unchecked;
        }
        let name = d.name.as_str();
        let has_block = d.block.is_some();
        let stream_side = matches!(
            parent,
            Ctx::Stream | Ctx::StreamServer | Ctx::StreamUpstream
        );
        let class = class(name);
        match name {
            "http" | "events" | "stream" | "mail" => {
                if parent != Ctx::Main {
                    let help = self.main_level_help(d, parent);
                    self.problems.push(ctx_problem(d, parent, help));
                }
                match name {
                    "http" => Ctx::Http,
                    "events" => Ctx::Events,
                    "stream" => Ctx::Stream,
                    _ => Ctx::Unchecked,
                }
            }
            _ if class == Class::MainOnly => {
                if parent != Ctx::Main {
                    let help = self.main_level_help(d, parent);
                    self.problems.push(ctx_problem(d, parent, help));
                }
                Ctx::Unchecked
            }
            _ if class == Class::EventsOnly => {
                if parent != Ctx::Events {
                    self.problems.push(ctx_problem(
                        d,
                        parent,
                        format!("\"{name}\" belongs inside the events {{}} block of nginx.conf"),
                    ));
                }
                Ctx::Unchecked
            }
            "server" if has_block => {
                match parent {
                    Ctx::Http => {
                        if !d.args.is_empty() {
                            self.problems.push(invalid(
                                d,
                                "invalid number of arguments in \"server\" directive".into(),
                                "a server block takes no arguments: put the names in \"server_name\"",
                            ));
                        }
                        return Ctx::HttpServer;
                    }
                    Ctx::Stream => return Ctx::StreamServer,
                    _ => {}
                }
                let help = match parent {
                    Ctx::HttpServer | Ctx::StreamServer => {
                        "a server block cannot contain another server block: a \"}\" is probably missing above"
                            .to_string()
                    }
                    Ctx::HttpUpstream | Ctx::StreamUpstream => {
                        "inside upstream, \"server\" names an address and ends with \";\": server app:8080;"
                            .to_string()
                    }
                    Ctx::Main => match self.include_site(d) {
                        Some(site) => format!(
                            "this file is included at the main level (at {site}): server blocks belong inside http {{}}"
                        ),
                        None => "put server blocks inside http {} (or stream {} for TCP/UDP)".to_string(),
                    },
                    _ => "put server blocks directly inside http {} (or stream {} for TCP/UDP)".to_string(),
                };
                self.problems.push(ctx_problem(d, parent, help));
                if stream_side {
                    Ctx::StreamServer
                } else {
                    Ctx::HttpServer
                }
            }
            "server" => {
                match parent {
                    Ctx::HttpUpstream | Ctx::StreamUpstream => {
                        if d.args.is_empty() {
                            self.problems.push(invalid(
                                d,
                                "invalid number of arguments in \"server\" directive".into(),
                                "an upstream server line needs an address: server app:8080;",
                            ));
                        }
                    }
                    Ctx::Http | Ctx::Stream => self.problems.push(Problem {
                        kind: ProblemKind::Context,
                        message: "directive \"server\" has no opening \"{\"".into(),
                        loc: Some(d.loc.clone()),
                        help: Some(
                            "at this level \"server\" starts a block (server { ... }); a server address line \
                             belongs inside an upstream block"
                                .into(),
                        ),
                    }),
                    _ => self.problems.push(ctx_problem(
                        d,
                        parent,
                        "a \"server ADDRESS;\" line belongs inside an upstream block".into(),
                    )),
                }
                Ctx::Unchecked
            }
            "location" => {
                if !matches!(parent, Ctx::HttpServer | Ctx::Location) {
                    let help = match parent {
                        Ctx::LocationIf | Ctx::ServerIf => {
                            "a location cannot be inside if: put the if inside the location"
                                .to_string()
                        }
                        _ => "put location blocks inside a server block (or another location)"
                            .to_string(),
                    };
                    self.problems.push(ctx_problem(d, parent, help));
                }
                if has_block && !(1..=2).contains(&d.args.len()) {
                    self.problems.push(invalid(
                        d,
                        "invalid number of arguments in \"location\" directive".into(),
                        "location takes a path, or a modifier (=, ~, ~*, ^~) and a path",
                    ));
                }
                if has_block {
                    Ctx::Location
                } else {
                    Ctx::Unchecked
                }
            }
            "if" => match parent {
                Ctx::HttpServer => Ctx::ServerIf,
                Ctx::Location => Ctx::LocationIf,
                _ => {
                    self.problems.push(ctx_problem(
                        d,
                        parent,
                        "\"if\" is allowed only inside server and location blocks".into(),
                    ));
                    Ctx::Unchecked
                }
            },
            "limit_except" => {
                if parent != Ctx::Location {
                    self.problems.push(ctx_problem(
                        d,
                        parent,
                        "\"limit_except\" is allowed only inside a location block".into(),
                    ));
                }
                Ctx::LimitExcept
            }
            "upstream" => {
                let stream = match parent {
                    Ctx::Http => Some(false),
                    Ctx::Stream => Some(true),
                    _ => None,
                };
                match stream {
                    None => self.problems.push(ctx_problem(
                        d,
                        parent,
                        "define upstream blocks at the http {} level (next to the server blocks, not inside them), \
                         or in stream {}"
                            .into(),
                    )),
                    Some(stream) => {
                        if d.args.len() != 1 {
                            self.problems.push(invalid(
                                d,
                                "invalid number of arguments in \"upstream\" directive".into(),
                                "upstream takes exactly one name: upstream backend { ... }",
                            ));
                        } else {
                            let key = (stream, d.args[0].value.as_str().to_ascii_lowercase());
                            if let Some(first) = self.upstreams.get(&key) {
                                self.problems.push(invalid(
                                    d,
                                    format!("duplicate upstream \"{}\"", d.args[0].value),
                                    &format!("an upstream of this name is already defined at {first}; rename or remove one"),
                                ));
                            } else {
                                self.upstreams.insert(key, d.loc.clone());
                            }
                        }
                    }
                }
                if stream_side || parent == Ctx::Stream {
                    Ctx::StreamUpstream
                } else {
                    Ctx::HttpUpstream
                }
            }
            _ if matches!(class, Class::HttpOrStreamMain | Class::HttpMain) => {
                let ok = parent == Ctx::Http
                    || (parent == Ctx::Stream && class == Class::HttpOrStreamMain);
                if !ok {
                    self.problems.push(ctx_problem(
                        d,
                        parent,
                        format!("\"{name}\" is allowed only at the http {{}} level (outside server blocks)"),
                    ));
                }
                Ctx::Unchecked
            }
            "proxy_pass" if stream_side => {
                if parent != Ctx::StreamServer {
                    self.problems.push(ctx_problem(
                        d,
                        parent,
                        "in stream {}, proxy_pass belongs directly inside a server block".into(),
                    ));
                }
                self.pass_args(d, PassKind::Stream, true);
                Ctx::Unchecked
            }
            _ if http_pass_kind(name).is_some() => {
                let kind = http_pass_kind(name).unwrap_or(PassKind::Proxy);
                if !matches!(parent, Ctx::Location | Ctx::LocationIf) {
                    let help = match parent {
                        Ctx::ServerIf => format!(
                            "an if at server level cannot hold \"{name}\": move the if into a location block"
                        ),
                        Ctx::Stream | Ctx::StreamServer | Ctx::StreamUpstream => {
                            format!(
                                "\"{name}\" is an http directive; stream servers use proxy_pass host:port"
                            )
                        }
                        _ => format!(
                            "put \"{name}\" inside a location block: location / {{ {name} ...; }}"
                        ),
                    };
                    self.problems.push(ctx_problem(d, parent, help));
                }
                self.pass_args(d, kind, false);
                Ctx::Unchecked
            }
            _ => {
                if has_block && OPAQUE_BODIES.contains(&name) {
                    return Ctx::Unchecked;
                }
                // unknown blocks (third-party modules): not looked into
                Ctx::Unchecked
            }
        }
    }

    fn pass_args(&mut self, d: &Directive, kind: PassKind, stream: bool) {
        if d.args.len() != 1 {
            self.problems.push(invalid(
                d,
                format!("invalid number of arguments in \"{}\" directive", d.name),
                "it takes exactly one address",
            ));
            return;
        }
        let arg = &d.args[0].value;
        if arg.contains('$') {
            return;
        }
        let a = parse_address(Some(kind), arg);
        let accepted: &[&str] = match kind {
            PassKind::Proxy => &["http", "https"],
            PassKind::Grpc => &["grpc", "grpcs"],
            PassKind::Uwsgi => &["uwsgi", "suwsgi"],
            _ => &[],
        };
        match a.scheme.as_deref() {
            Some(s) if !accepted.contains(&s) => {
                let help = if accepted.is_empty() {
                    format!("write the address without a scheme: {} host:port;", d.name)
                } else {
                    format!("use {} or no scheme", accepted.join("://, ") + "://")
                };
                self.problems.push(invalid(
                    d,
                    format!(
                        "\"{}\" does not take a \"{s}://\" address (\"{arg}\")",
                        d.name
                    ),
                    &help,
                ));
                return;
            }
            None if kind == PassKind::Proxy => {
                self.problems.push(invalid(
                    d,
                    format!("invalid URL prefix in \"{arg}\""),
                    "proxy_pass needs http:// or https:// in front of the address: proxy_pass http://app:8080;",
                ));
                return;
            }
            _ => {}
        }
        if let HostText::Plain(h) = &a.host {
            match a.port {
                Some(port) => self.passes_with_port.push((
                    stream,
                    h.to_ascii_lowercase(),
                    port,
                    d.loc.clone(),
                )),
                // proxy_pass has 80/443; the others have no default port
                None if kind != PassKind::Proxy && a.port_text.is_none() => {
                    self.passes_without_port.push((
                        stream,
                        h.to_ascii_lowercase(),
                        d.name.to_string(),
                        d.loc.clone(),
                    ))
                }
                _ => {}
            }
        }
    }

    fn finish(&mut self) {
        for (stream, host, port, loc) in std::mem::take(&mut self.passes_with_port) {
            if let Some(block) = self.upstreams.get(&(stream, host.clone())) {
                self.problems.push(Problem {
                    kind: ProblemKind::Invalid,
                    message: format!("upstream \"{host}\" may not have port {port}"),
                    loc: Some(loc),
                    help: Some(format!(
                        "this names the upstream block at {block}, whose servers carry their own ports: \
                         remove \":{port}\" here, or rename the block if a host \"{host}\" was meant"
                    )),
                });
            }
        }
        for (stream, host, name, loc) in std::mem::take(&mut self.passes_without_port) {
            if !self.upstreams.contains_key(&(stream, host.clone())) {
                self.problems.push(Problem {
                    kind: ProblemKind::Invalid,
                    message: format!("no port in upstream \"{host}\""),
                    loc: Some(loc),
                    help: Some(format!(
                        "\"{name}\" has no default port: write {name} {host}:PORT;{}, or define an upstream \
                         block named \"{host}\"",
                        if name == "fastcgi_pass" { " (php-fpm listens on 9000)" } else { "" }
                    )),
                });
            }
        }
    }
}

/// Adds the context problems of a loaded (include-expanded) tree to `problems`.
pub(crate) fn check(directives: &[Directive], files: &[ConfigFile], problems: &mut Vec<Problem>) {
    // `ConfigFile` knows container paths and include sites; directive locations carry host paths.
    let included_from = files
        .iter()
        .map(|f| (f.host_path.as_path(), f.included_from.as_ref()))
        .collect();
    let mut c = Checker {
        included_from,
        problems,
        upstreams: HashMap::new(),
        passes_with_port: Vec::new(),
        passes_without_port: Vec::new(),
    };
    c.walk(directives, Ctx::Main);
    c.finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::parser::parse_str;
    use crate::span::path_arc;
    use std::path::PathBuf;

    fn problems(text: &str) -> Vec<Problem> {
        let f = path_arc(Path::new("/t/nginx.conf"));
        let ds = parse_str(text, &f).unwrap();
        let mut out = Vec::new();
        check(&ds, &[], &mut out);
        out
    }

    fn msgs(text: &str) -> Vec<(u32, String)> {
        problems(text)
            .into_iter()
            .map(|p| (p.loc.unwrap().line, p.message))
            .collect()
    }

    #[test]
    fn a_good_configuration_has_no_problems() {
        let text = "user nginx;\nworker_processes auto;\nevents { worker_connections 1024; }\n\
            http {\n  map $http_upgrade $c { default upgrade; '' close; http x; server y; }\n\
            upstream app { server app:8080; keepalive 4; }\n  types { text/html html; }\n\
            server {\n    listen 80;\n    if ($x) { return 404; }\n    location / {\n      proxy_pass http://app;\n\
            if ($y) { proxy_pass http://other:81; }\n      limit_except GET { deny all; }\n\
            location /php { fastcgi_pass php:9000; }\n    }\n  }\n}\n\
            stream {\n  upstream db { server db:5432; }\n  server { listen 5432; proxy_pass db; }\n}\n\
            mail { server { listen 25; } }\n\
            thirdparty_block { location x; server y; }\n";
        assert_eq!(msgs(text), Vec::<(u32, String)>::new());
    }

    #[test]
    fn blocks_at_the_wrong_level() {
        let m = msgs(
            "http {\n http {}\n events {}\n server {\n  server {}\n  location / { location /x {} }\n }\n}\nlocation / {}\nserver {}\n",
        );
        assert_eq!(
            m,
            [
                (
                    2,
                    "\"http\" directive is not allowed here (inside \"http\")".to_string()
                ),
                (
                    3,
                    "\"events\" directive is not allowed here (inside \"http\")".to_string()
                ),
                (
                    5,
                    "\"server\" directive is not allowed here (inside \"server\")".to_string()
                ),
                (
                    9,
                    "\"location\" directive is not allowed here (at the main level)".to_string()
                ),
                (
                    10,
                    "\"server\" directive is not allowed here (at the main level)".to_string()
                ),
            ]
        );
    }

    #[test]
    fn passes_outside_locations() {
        let m = msgs(
            "http {\n server {\n  proxy_pass http://a;\n  if ($x) { proxy_pass http://b; }\n  location / { limit_except GET { proxy_pass http://c; } }\n }\n proxy_pass http://d;\n}\nstream { proxy_pass x:1; server { fastcgi_pass y:2; proxy_pass z:3; } }\n",
        );
        let lines: Vec<u32> = m.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 4, 5, 7, 9, 9], "{m:?}");
        let ps = problems("http { server { if ($x) { proxy_pass http://b; } } }");
        assert!(
            ps[0]
                .help
                .as_ref()
                .unwrap()
                .contains("move the if into a location")
        );
    }

    #[test]
    fn upstream_and_main_only_directives() {
        let m = msgs(
            "http {\n server {\n  upstream u { server a:1; }\n  map $a $b { default 1; }\n  worker_processes 2;\n  log_format x y;\n }\n server x:80;\n}\nworker_connections 10;\n",
        );
        let lines: Vec<u32> = m.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 4, 5, 6, 8, 10], "{m:?}");
        assert_eq!(m[4].1, "directive \"server\" has no opening \"{\"");
    }

    #[test]
    fn bodies_that_are_not_directives_are_not_checked() {
        assert!(
            msgs("http { map $a $b { http 1; server 2; location 3; } geo $g { proxy_pass 1; } }")
                .is_empty()
        );
    }

    #[test]
    fn upstream_named_with_a_port_and_duplicates() {
        let m = msgs(
            "http {\n upstream app { server a:1; }\n upstream APP { server b:1; }\n server { location / { proxy_pass http://app:8080; } location /b { proxy_pass http://app; } }\n}\n",
        );
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m[0], (3, "duplicate upstream \"APP\"".to_string()));
        assert_eq!(
            m[1],
            (4, "upstream \"app\" may not have port 8080".to_string())
        );
    }

    #[test]
    fn addresses_nginx_refuses_at_start() {
        let mut m = msgs(
            "http {\n upstream php { server php-fpm:9000; }\n server {\n  location /a { fastcgi_pass php; }\n  location /b { fastcgi_pass php2; }\n  location /c { proxy_pass app:80; }\n  location /d { fastcgi_pass http://php:9000; }\n  location /e { grpc_pass grpc://g; }\n  location /f { proxy_pass $scheme://app; }\n  location /g { fastcgi_pass unix:/run/php.sock; }\n }\n}\nstream { server { proxy_pass http://db:5432; } server { proxy_pass db; } }\n",
        );
        m.sort();
        assert_eq!(
            m,
            [
                (5, "no port in upstream \"php2\"".to_string()),
                (6, "invalid URL prefix in \"app:80\"".to_string()),
                (
                    7,
                    "\"fastcgi_pass\" does not take a \"http://\" address (\"http://php:9000\")"
                        .to_string()
                ),
                (8, "no port in upstream \"g\"".to_string()),
                (
                    13,
                    "\"proxy_pass\" does not take a \"http://\" address (\"http://db:5432\")"
                        .to_string()
                ),
                (13, "no port in upstream \"db\"".to_string()),
            ]
        );
    }

    #[test]
    fn wrong_argument_counts() {
        let m = msgs(
            "http { server { location / { proxy_pass; } location /x { proxy_pass a b; } } upstream { } }",
        );
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(
            m.iter()
                .all(|(_, s)| s.starts_with("invalid number of arguments"))
        );
    }

    #[test]
    fn help_names_the_include_site_for_a_full_config_in_conf_d() {
        let main = path_arc(Path::new("/h/nginx.conf"));
        let inc = path_arc(Path::new("/h/conf.d/site.conf"));
        let include_loc = Location::new(main.clone(), 3, 5);
        let mut http = parse_str("http { }", &main).unwrap();
        let site = parse_str("events {}\nhttp { server { listen 80; } }\n", &inc).unwrap();
        http[0].block = Some(site.into_boxed_slice());
        let files = vec![
            ConfigFile {
                container_path: "/etc/nginx/nginx.conf".into(),
                host_path: PathBuf::from("/h/nginx.conf"),
                included_from: None,
            },
            ConfigFile {
                container_path: "/etc/nginx/conf.d/site.conf".into(),
                host_path: PathBuf::from("/h/conf.d/site.conf"),
                included_from: Some(include_loc),
            },
        ];
        let mut ps = Vec::new();
        check(&http, &files, &mut ps);
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[1].loc.as_ref().unwrap().line, 2);
        let help = ps[1].help.as_ref().unwrap();
        assert!(
            help.contains("included inside \"http {}\" (at /h/nginx.conf:3:5)"),
            "{help}"
        );
        assert!(help.contains("drop the http {} wrapper"), "{help}");
    }
}
