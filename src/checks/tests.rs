//! Every check on hand-built models: no files, no Docker.

use super::*;
use crate::compose::{Network, Port, PortRange, Project, Protocol, Service, ServiceNetwork};
use crate::live::{
    ConnectOutcome, ConnectResult, DnsResult, Endpoint, ErrorKind, ErrorLogEntry, HandshakeOutcome,
    HandshakeResult, Health, Listener, LiveContainer, LiveFacts, NginxLive, ProbeResult,
};
use crate::model::{DeliveryKind, DeliveryProblem, Facts, ImageInfo, Proxy, ProxyConfig};
use crate::nginx::{Config, Host, PassKind, Problem, ProblemKind, Target, UpstreamRef};
use crate::span::{Location, Spanned};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn loc(file: &str, line: u32) -> Location {
    Location::new(PathBuf::from(file), line, 5)
}

fn sp<T>(v: T, line: u32) -> Spanned<T> {
    Spanned::new(v, loc("compose.yaml", line))
}

fn svc(name: &str) -> Service {
    Service {
        name: name.into(),
        loc: loc("compose.yaml", 1),
        enabled: true,
        profiles: vec![],
        image: None,
        build: None,
        container_name: None,
        hostname: None,
        domainname: None,
        networks: vec![net("default", true)],
        network_mode: None,
        links: vec![],
        external_links: vec![],
        extra_hosts: vec![],
        ports: vec![],
        expose: vec![],
        volumes: vec![],
        configs: vec![],
        environment: BTreeMap::new(),
        env_files: vec![],
        command: None,
        entrypoint: None,
        depends_on: vec![],
        healthcheck: None,
        restart: None,
        mem_limit: None,
        dns: vec![],
        dns_opt: vec![],
        x_compose_doctor: None,
    }
}

fn net(name: &str, implicit: bool) -> ServiceNetwork {
    ServiceNetwork {
        name: name.into(),
        aliases: vec![],
        ipv4_address: None,
        ipv6_address: None,
        implicit,
        loc: loc("compose.yaml", 3),
    }
}

fn on(mut s: Service, nets: &[&str]) -> Service {
    s.networks = nets.iter().map(|n| net(n, false)).collect();
    s
}

fn expose(mut s: Service, p: u16) -> Service {
    s.expose.push(sp(
        PortRange {
            start: p,
            end: p,
            protocol: Protocol::Tcp,
        },
        7,
    ));
    s
}

fn cmd(mut s: Service, c: &str) -> Service {
    s.command = Some(sp(crate::discover::shell::split(c), 6));
    s
}

struct World {
    services: Vec<Service>,
    nets: Vec<(&'static str, bool)>,
    targets: Vec<Target>,
    problems: Vec<Problem>,
    delivery: Vec<DeliveryProblem>,
    live: Option<LiveFacts>,
    probes: Vec<Option<ProbeResult>>,
}

impl World {
    fn new(services: Vec<Service>) -> Self {
        World {
            services,
            nets: vec![("default", false)],
            targets: vec![],
            problems: vec![],
            delivery: vec![],
            live: None,
            probes: vec![],
        }
    }
    fn networks(mut self, n: &[(&'static str, bool)]) -> Self {
        self.nets.extend_from_slice(n);
        self
    }
    fn target(mut self, t: Target) -> Self {
        self.targets.push(t);
        self
    }
    fn live(mut self, containers: Vec<LiveContainer>) -> Self {
        self.live = Some(LiveFacts {
            containers,
            ..Default::default()
        });
        self
    }
    fn probe(mut self, p: ProbeResult) -> Self {
        self.probes.push(Some(p));
        self
    }
    fn run(self) -> Analysis {
        let mut networks = BTreeMap::new();
        for (k, external) in &self.nets {
            networks.insert(
                k.to_string(),
                Network {
                    key: k.to_string(),
                    docker_name: if *external {
                        k.to_string()
                    } else {
                        format!("p_{k}")
                    },
                    external: *external,
                    internal: false,
                    driver: None,
                    declared: *k != "default",
                    loc: None,
                },
            );
        }
        let mut images = BTreeMap::new();
        for s in &self.services {
            let mut argv = s
                .entrypoint
                .as_ref()
                .map(|e| e.value.clone())
                .unwrap_or_default();
            argv.extend(
                s.command
                    .as_ref()
                    .map(|c| c.value.clone())
                    .unwrap_or_default(),
            );
            images.insert(
                s.name.clone(),
                ImageInfo {
                    image: s.image.as_ref().map(|i| i.value.clone()),
                    argv,
                    argv_loc: s.command.as_ref().map(|c| c.loc.clone()),
                    ..Default::default()
                },
            );
        }
        let project = Project {
            name: "p".into(),
            working_dir: PathBuf::from("."),
            files: vec![],
            services: self
                .services
                .into_iter()
                .map(|s| (s.name.clone(), s))
                .collect(),
            networks,
            configs: BTreeMap::new(),
            volumes: BTreeMap::new(),
            legacy_v1: false,
            warnings: vec![],
        };
        let config = Config {
            entry: "/etc/nginx/nginx.conf".into(),
            directives: vec![],
            files: vec![],
            problems: self.problems,
        };
        let proxy = Proxy {
            service: "proxy".into(),
            reason: "test".into(),
            config: ProxyConfig::Loaded {
                config,
                targets: self.targets,
            },
            sources: vec![],
            delivery_problems: self.delivery,
            drift: Vec::new(),
            probes: self.probes,
        };
        let facts = Facts {
            project,
            proxies: vec![proxy],
            images,
            live: self.live,
        };
        run(&facts)
    }
}

fn target(kind: PassKind, scheme: Option<&str>, host: Host, port: Option<u16>) -> Target {
    let raw = match (&host, port) {
        (Host::Name(n), Some(p)) => format!(
            "{}{n}:{p}",
            scheme.map(|s| format!("{s}://")).unwrap_or_default()
        ),
        (Host::Name(n), None) => format!(
            "{}{n}",
            scheme.map(|s| format!("{s}://")).unwrap_or_default()
        ),
        (h, _) => format!("{h:?}"),
    };
    Target {
        kind,
        directive: kind.directive().into(),
        raw,
        loc: loc("default.conf", 10),
        scheme: scheme.map(str::to_string),
        host,
        port,
        default_port: match scheme {
            Some("https") => Some(443),
            Some(_) => Some(80),
            None => None,
        },
        upstream: None,
        via: vec![],
        runtime_resolution: false,
        unresolved_variables: vec![],
        resolver: None,
        timeouts: vec![],
        context: "http".into(),
        location: Some("/".into()),
        listen: vec!["80".into()],
        server_names: vec![],
    }
}

fn http(host: &str, port: u16) -> Target {
    let h = match host.parse() {
        Ok(ip) => Host::Ip(ip),
        Err(_) => Host::Name(host.into()),
    };
    target(PassKind::Proxy, Some("http"), h, Some(port))
}

fn proxy() -> Service {
    let mut p = svc("proxy");
    p.image = Some(sp("nginx".into(), 2));
    p
}

fn app() -> Service {
    cmd(svc("app"), "httpd -f -p 8080")
}

fn only(a: &Analysis) -> (&Route, Vec<&'static str>) {
    assert_eq!(a.routes.len(), 1, "{:?}", a.routes);
    let r = &a.routes[0];
    (
        r,
        a.findings
            .iter()
            .filter(|f| f.route == Some(0))
            .map(|f| f.rule.name)
            .collect(),
    )
}

#[test]
fn healthy_service_name() {
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 8080))
        .run();
    let (r, names) = only(&a);
    assert_eq!(r.status, Status::Ok);
    assert_eq!(r.service.as_deref(), Some("app"));
    assert_eq!(names, vec!["static-resolution"]);
}

#[test]
fn unknown_host_suggests_the_service() {
    let a = World::new(vec![proxy(), app()])
        .target(http("ap", 8080))
        .run();
    let (r, names) = only(&a);
    assert_eq!(r.status, Status::Error);
    assert_eq!(names, vec!["unknown-host"]);
    assert!(
        a.findings[0].help.contains("`app`"),
        "{}",
        a.findings[0].help
    );
}

#[test]
fn unknown_host_on_external_network_is_only_a_warning() {
    let a = World::new(vec![on(proxy(), &["shared"]), on(app(), &["shared"])])
        .networks(&[("shared", true)])
        .target(http("other-project-api", 8080))
        .run();
    assert_eq!(only(&a).0.status, Status::Warning);
}

#[test]
fn aliases_container_names_and_hostnames_resolve() {
    let mut b = app();
    b.networks[0].aliases.push(sp("api".into(), 4));
    b.container_name = Some(sp("app-container".into(), 5));
    b.hostname = Some(sp("app-host".into(), 6));
    for host in ["api", "app-container", "app-host", "APP"] {
        let a = World::new(vec![proxy(), b.clone()])
            .target(http(host, 8080))
            .run();
        assert_eq!(only(&a).0.status, Status::Ok, "{host}");
    }
}

#[test]
fn no_shared_network() {
    let a = World::new(vec![on(proxy(), &["front"]), on(app(), &["back"])])
        .networks(&[("front", false), ("back", false)])
        .target(http("app", 8080))
        .run();
    let (r, names) = only(&a);
    assert_eq!(r.status, Status::Error);
    assert_eq!(names, vec!["no-shared-network"]);
    // an alias declared on a network the proxy is not on
    let mut b = on(app(), &["front", "back"]);
    b.networks[1].aliases.push(sp("api".into(), 4));
    let a = World::new(vec![on(proxy(), &["front"]), b])
        .networks(&[("front", false), ("back", false)])
        .target(http("api", 8080))
        .run();
    assert_eq!(only(&a).1, vec!["no-shared-network"]);
}

#[test]
fn default_bridge_unless_linked() {
    let mut p = proxy();
    p.network_mode = Some(sp("bridge".into(), 3));
    let mut b = app();
    b.network_mode = Some(sp("bridge".into(), 3));
    let a = World::new(vec![p.clone(), b.clone()])
        .target(http("app", 8080))
        .run();
    assert_eq!(only(&a).1, vec!["default-bridge"]);
    p.links.push(sp(("app".into(), "app".into()), 4));
    let a = World::new(vec![p, b]).target(http("app", 8080)).run();
    assert_eq!(only(&a).0.status, Status::Ok);
}

#[test]
fn localhost_is_the_proxy_itself() {
    let a = World::new(vec![proxy(), app()])
        .target(http("localhost", 8080))
        .run();
    let (r, names) = only(&a);
    assert_eq!(r.status, Status::Error);
    assert_eq!(names, vec!["localhost-in-container"]);
    assert!(
        a.findings[0].help.contains("app:8080"),
        "{}",
        a.findings[0].help
    );
}

#[test]
fn localhost_is_right_in_a_shared_namespace() {
    let mut side = app();
    side.network_mode = Some(sp("service:proxy".into(), 3));
    side.networks.clear();
    let a = World::new(vec![proxy(), side])
        .target(http("127.0.0.1", 8080))
        .run();
    let (r, _) = only(&a);
    assert_eq!(r.status, Status::Ok);
    assert_eq!(r.service.as_deref(), Some("app"));
}

#[test]
fn published_host_port_instead_of_container_port() {
    let mut b = app();
    b.ports.push(Port {
        target: PortRange {
            start: 8080,
            end: 8080,
            protocol: Protocol::Tcp,
        },
        published: Some((38181, 38181)),
        host_ip: Some("127.0.0.1".into()),
        mode: None,
        loc: loc("compose.yaml", 9),
    });
    let a = World::new(vec![proxy(), b])
        .target(http("app", 38181))
        .run();
    let (r, names) = only(&a);
    assert_eq!(r.status, Status::Error);
    assert_eq!(names, vec!["published-port"]);
    assert!(a.findings[0].help.contains("app:8080"));
}

#[test]
fn wrong_port_strength_depends_on_evidence() {
    // the command names its port: error
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 9090))
        .run();
    assert_eq!(only(&a).0.status, Status::Error);
    assert!(only(&a).1.contains(&"wrong-port"));
    // only a declaration: warning
    let a = World::new(vec![proxy(), expose(svc("app"), 8080)])
        .target(http("app", 9090))
        .run();
    assert_eq!(only(&a).0.status, Status::Warning);
    // nothing declared: unknown, no finding but the info
    let a = World::new(vec![proxy(), svc("app")])
        .target(http("app", 9090))
        .run();
    let (r, names) = only(&a);
    assert_eq!(r.status, Status::Unknown);
    assert_eq!(names, vec!["static-resolution"]);
}

#[test]
fn loopback_bind() {
    let a = World::new(vec![
        proxy(),
        cmd(svc("app"), "uvicorn main:app --host 127.0.0.1 --port 8000"),
    ])
    .target(http("app", 8000))
    .run();
    assert_eq!(only(&a).1, vec!["loopback-bind"]);
}

#[test]
fn variables_need_a_docker_resolver() {
    let mut t = http("app", 8080);
    t.runtime_resolution = true;
    let a = World::new(vec![proxy(), app()]).target(t.clone()).run();
    assert_eq!(only(&a).1, vec!["no-resolver"]);
    t.resolver = Some(Spanned::new(vec!["8.8.8.8".into()], loc("default.conf", 2)));
    let a = World::new(vec![proxy(), app()]).target(t.clone()).run();
    assert_eq!(only(&a).1, vec!["resolver-not-docker"]);
    t.resolver = Some(Spanned::new(
        vec!["127.0.0.11".into(), "valid=10s".into()],
        loc("default.conf", 2),
    ));
    let a = World::new(vec![proxy(), app()]).target(t).run();
    let (r, names) = only(&a);
    assert_eq!(r.status, Status::Ok);
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn partial_upstream_downgrades_connect_errors_only() {
    let up = |name: &str, port: u16, n: usize| {
        let mut t = http(name, port);
        t.directive = "server".into();
        t.loc = loc("default.conf", 3 + n as u32);
        t.upstream = Some(UpstreamRef {
            name: "pool".into(),
            block_loc: loc("default.conf", 2),
            params: vec![],
            servers: 2,
            unused: false,
        });
        t
    };
    let a = World::new(vec![proxy(), app()])
        .target(up("app", 8080, 0))
        .target(up("app", 9999, 1))
        .run();
    assert_eq!(a.routes[0].status, Status::Ok);
    assert_eq!(a.routes[1].status, Status::Warning);
    assert!(a.routes[1].codes.contains(&"CD111"));
    assert_eq!(a.count(Severity::Error), 0);
    // a name that does not resolve stops nginx from starting: stays an error
    let a = World::new(vec![proxy(), app()])
        .target(up("app", 8080, 0))
        .target(up("nope", 8080, 1))
        .run();
    assert_eq!(a.routes[1].status, Status::Error);
}

#[test]
fn tls_and_protocol_mismatches() {
    let a = World::new(vec![proxy(), app()])
        .target(target(
            PassKind::Proxy,
            Some("https"),
            Host::Name("app".into()),
            Some(8080),
        ))
        .run();
    assert!(only(&a).1.contains(&"tls-mismatch"));
    let a = World::new(vec![proxy(), app()])
        .target(target(
            PassKind::Fastcgi,
            None,
            Host::Name("app".into()),
            Some(8080),
        ))
        .run();
    assert!(only(&a).1.contains(&"protocol-mismatch"));
    let mut php = expose(svc("php"), 9000);
    php.image = Some(sp("php:8.3-fpm".into(), 2));
    let a = World::new(vec![proxy(), php.clone()])
        .target(http("php", 9000))
        .run();
    assert!(only(&a).1.contains(&"protocol-mismatch"));
    let a = World::new(vec![proxy(), php])
        .target(target(
            PassKind::Fastcgi,
            None,
            Host::Name("php".into()),
            Some(9000),
        ))
        .run();
    assert_eq!(only(&a).0.status, Status::Ok);
}

#[test]
fn outside_targets_are_unknown_never_ok() {
    for host in ["172.17.0.1", "api.example.com"] {
        let a = World::new(vec![proxy(), app()])
            .target(http(host, 8080))
            .run();
        let (r, names) = only(&a);
        assert_eq!(r.status, Status::Unknown, "{host}");
        assert_eq!(names, vec!["not-a-service"]);
    }
}

#[test]
fn config_problems_fail_every_route_of_the_proxy() {
    let mut w = World::new(vec![proxy(), app()]).target(http("app", 8080));
    w.problems.push(Problem {
        kind: ProblemKind::Context,
        message: "\"http\" directive is not allowed here".into(),
        loc: Some(loc("default.conf", 1)),
        help: None,
    });
    w.delivery.push(DeliveryProblem {
        kind: DeliveryKind::MountSourceMissing,
        message: "missing".into(),
        help: "fix".into(),
        loc: Some(loc("compose.yaml", 8)),
        fatal: true,
    });
    let a = w.run();
    assert_eq!(a.routes[0].status, Status::Error);
    assert!(a.routes[0].codes.contains(&"CD202"));
    assert!(a.routes[0].codes.contains(&"CD204"));
}

#[test]
fn every_rule_is_documented_and_unique() {
    let rules = rules();
    let mut codes: Vec<&str> = rules.iter().map(|r| r.code).collect();
    codes.dedup();
    assert_eq!(codes.len(), rules.len());
    for r in rules {
        assert!(super::CATEGORIES.contains(&r.category), "{}", r.code);
        for h in [
            "## What it checks",
            "## Why it breaks",
            "## Example",
            "## Fix",
        ] {
            assert!(r.doc.contains(h), "{} lacks {h}", r.code);
        }
        assert_eq!(find_rule(r.name).unwrap().code, r.code);
    }
}

fn container(service: &str, ip: &str, started: f64) -> LiveContainer {
    LiveContainer {
        id: format!("{service}-id"),
        name: format!("p_{service}_1"),
        service: service.into(),
        number: Some(1),
        state: "running".into(),
        exit_code: Some(0),
        oom_killed: false,
        restart_count: 0,
        error: None,
        health: None,
        started_at: Some(format!("t{started}")),
        started_at_unix: Some(started),
        finished_at: None,
        finished_at_unix: None,
        image: "x".into(),
        exposed_ports: vec![],
        network_mode: "p_default".into(),
        networks: vec![Endpoint {
            network: "p_default".into(),
            network_id: "n".into(),
            aliases: vec![service.into()],
            dns_names: vec![service.into()],
            ipv4: Some(ip.parse().unwrap()),
            ipv6: None,
        }],
        memory_limit: None,
        pid: Some(1),
        listening: None,
        listening_source: None,
        nginx: None,
    }
}

fn listening(mut c: LiveContainer, addr: &str, port: u16) -> LiveContainer {
    c.listening.get_or_insert_with(Vec::new).push(Listener {
        addr: addr.parse().unwrap(),
        port,
    });
    c
}

fn log(kind: ErrorKind, upstream: &str, time: &str) -> ErrorLogEntry {
    ErrorLogEntry {
        time: time.into(),
        level: "error".into(),
        kind,
        message: format!("{kind:?}"),
        upstream: Some(upstream.into()),
        host: None,
        count: 1,
        last_time: None,
    }
}

fn nginx_with(mut c: LiveContainer, errors: Vec<ErrorLogEntry>) -> LiveContainer {
    c.nginx = Some(NginxLive {
        fatal: None,
        files: None,
        errors,
        log_read: true,
    });
    c
}

#[test]
fn live_upstream_states() {
    let px = || container("proxy", "172.20.0.2", 50.0);
    let mut app_c = container("app", "172.20.0.3", 100.0);
    app_c.state = "exited".into();
    app_c.exit_code = Some(1);
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 8080))
        .live(vec![px(), app_c.clone()])
        .run();
    assert!(only(&a).1.contains(&"upstream-down"));
    assert!(
        a.findings
            .iter()
            .any(|f| f.message.contains("has exited with code 1"))
    );
    // never created
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 8080))
        .live(vec![px()])
        .run();
    assert!(only(&a).1.contains(&"upstream-down"));
    // running but unhealthy
    app_c.state = "running".into();
    app_c.health = Some(Health {
        status: "unhealthy".into(),
        failing_streak: 3,
        last_output: Some("refused".into()),
    });
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 8080))
        .live(vec![px(), app_c.clone()])
        .run();
    assert!(only(&a).1.contains(&"upstream-down"));
    // OOM-killed
    app_c.health = None;
    app_c.state = "exited".into();
    app_c.oom_killed = true;
    app_c.memory_limit = Some(8 << 20);
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 8080))
        .live(vec![px(), app_c])
        .run();
    assert!(only(&a).1.contains(&"oom-killed"));
    assert!(a.findings.iter().any(|f| f.message.contains("8 MiB")));
}

#[test]
fn live_sockets_decide_the_port() {
    let p = container("proxy", "172.20.0.2", 50.0);
    // nothing declared statically (unknown), the socket confirms: ok
    let app_c = listening(container("app", "172.20.0.3", 40.0), "0.0.0.0", 9000);
    let a = World::new(vec![proxy(), svc("app")])
        .target(http("app", 9000))
        .live(vec![p.clone(), app_c.clone()])
        .run();
    assert_eq!(only(&a).0.status, Status::Ok);
    // another port: nothing listens there
    let a = World::new(vec![proxy(), svc("app")])
        .target(http("app", 9090))
        .live(vec![p.clone(), app_c])
        .run();
    assert_eq!(only(&a).1, vec!["wrong-port"]);
    assert_eq!(a.findings[0].severity, Severity::Error);
    // loopback only
    let app_c = listening(container("app", "172.20.0.3", 40.0), "127.0.0.1", 9000);
    let a = World::new(vec![proxy(), svc("app")])
        .target(http("app", 9000))
        .live(vec![p, app_c])
        .run();
    assert_eq!(only(&a).1, vec!["loopback-bind"]);
}

#[test]
fn live_proxy_down_fails_every_route() {
    let mut p = container("proxy", "172.20.0.2", 50.0);
    p.state = "exited".into();
    p.exit_code = Some(1);
    let mut e = log(ErrorKind::HostNotFound, "x", "2026/11/21 06:00:00");
    e.level = "emerg".into();
    e.message = "host not found in upstream \"app:8080\"".into();
    let p = nginx_with(p, vec![e]);
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 8080))
        .live(vec![p, container("app", "172.20.0.3", 40.0)])
        .run();
    assert_eq!(a.routes[0].status, Status::Error);
    assert!(a.routes[0].codes.contains(&"CD303"));
    assert!(
        a.findings
            .iter()
            .any(|f| f.rule.code == "CD303" && f.message.contains("host not found"))
    );
}

#[test]
fn live_stale_ip_risk_and_proof() {
    let app_c = || listening(container("app", "172.20.0.3", 90.0), "0.0.0.0", 8080);
    // the upstream started after nginx: a risk
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 8080))
        .live(vec![container("proxy", "172.20.0.2", 50.0), app_c()])
        .run();
    assert_eq!(only(&a).0.status, Status::Warning);
    assert_eq!(only(&a).1, vec!["stale-ip"]);
    // nginx's log shows the old address: proof
    let p = nginx_with(
        container("proxy", "172.20.0.2", 50.0),
        vec![log(
            ErrorKind::ConnectionRefused,
            "http://172.20.0.9:8080/",
            "2026/11/21 06:00:00",
        )],
    );
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 8080))
        .live(vec![p, app_c()])
        .run();
    assert_eq!(only(&a).0.status, Status::Error);
    assert!(
        a.findings
            .iter()
            .any(|f| f.rule.code == "CD304" && f.message.contains("172.20.0.9"))
    );
    // resolved per request: no stale address possible
    let mut t = http("app", 8080);
    t.runtime_resolution = true;
    t.resolver = Some(Spanned::new(
        vec!["127.0.0.11".into()],
        loc("default.conf", 2),
    ));
    let a = World::new(vec![proxy(), app()])
        .target(t)
        .live(vec![container("proxy", "172.20.0.2", 50.0), app_c()])
        .run();
    assert_eq!(only(&a).0.status, Status::Ok);
}

#[test]
fn live_error_log_categories() {
    let app_c = listening(
        container("app", "172.20.0.3", 1_795_240_000.0),
        "0.0.0.0",
        8080,
    );
    let px = |time: &str, kind| {
        nginx_with(
            container("proxy", "172.20.0.2", 1_795_240_500.0),
            vec![log(kind, "http://172.20.0.3:8080/", time)],
        )
    };
    for (kind, name) in [
        (ErrorKind::Timeout, "upstream-timeout"),
        (ErrorKind::InvalidHeader, "invalid-response"),
        (ErrorKind::FastcgiProtocol, "protocol-error"),
    ] {
        let a = World::new(vec![proxy(), svc("app")])
            .target(http("app", 8080))
            .live(vec![px("2026/11/21 06:01:02", kind), app_c.clone()])
            .run();
        assert_eq!(only(&a).1, vec![name], "{kind:?}");
        // an entry from before the upstream's current start does not count
        let a = World::new(vec![proxy(), svc("app")])
            .target(http("app", 8080))
            .live(vec![px("2026/11/21 05:00:00", kind), app_c.clone()])
            .run();
        assert_eq!(only(&a).0.status, Status::Ok, "{kind:?}");
    }
}

#[test]
fn live_networks_and_image_expose() {
    // the files say both are on `default`; the containers are on different networks
    let p = container("proxy", "172.20.0.2", 50.0);
    let mut app_c = listening(container("app", "172.21.0.3", 40.0), "0.0.0.0", 8080);
    app_c.networks[0].network_id = "other".into();
    app_c.networks[0].network = "p_back".into();
    let a = World::new(vec![proxy(), app()])
        .target(http("app", 8080))
        .live(vec![p.clone(), app_c])
        .run();
    assert_eq!(only(&a).1, vec!["live-no-shared-network"]);
    // a prebuilt image's EXPOSE confirms an undeclared port when sockets cannot be read
    let mut app_c = container("app", "172.20.0.3", 40.0);
    app_c.exposed_ports = vec![3000];
    let a = World::new(vec![proxy(), svc("app")])
        .target(http("app", 3000))
        .live(vec![p, app_c])
        .run();
    assert_eq!(only(&a).0.status, Status::Ok);
    assert!(
        a.routes[0].notes.iter().any(|n| n.contains("EXPOSE")),
        "{:?}",
        a.routes[0].notes
    );
}

fn probe_result(connect: ConnectOutcome, handshake: Option<HandshakeOutcome>) -> ProbeResult {
    ProbeResult {
        how: "setns".into(),
        target: "app:8080".into(),
        dns: Some(DnsResult {
            name: "app".into(),
            server: "127.0.0.11:53".into(),
            addrs: vec!["172.20.0.3".parse().unwrap()],
            error: None,
            millis: 0.4,
        }),
        connect: vec![ConnectResult {
            addr: "172.20.0.3".parse().unwrap(),
            port: 8080,
            unix_path: None,
            outcome: connect,
            millis: 0.2,
            timeout_millis: 5000,
            capped: false,
        }],
        handshake: handshake.map(|o| HandshakeResult {
            protocol: "http".into(),
            outcome: o,
            detail: "HTTP/1.1 200 OK".into(),
            status: Some(200),
            millis: 1.0,
            request: "GET / HTTP/1.1".into(),
            timeout_millis: 5000,
            capped: false,
        }),
        note: None,
    }
}

#[test]
fn probe_results_decide() {
    let live = || {
        vec![
            container("proxy", "172.20.0.2", 50.0),
            container("app", "172.20.0.3", 40.0),
        ]
    };
    // a working probe overrules a static port warning, and turns unknown into ok
    let a = World::new(vec![proxy(), expose(svc("app"), 9999)])
        .target(http("app", 8080))
        .live(live())
        .probe(probe_result(
            ConnectOutcome::Connected,
            Some(HandshakeOutcome::Ok),
        ))
        .run();
    let (r, names) = only(&a);
    assert_eq!(r.status, Status::Ok, "{names:?}");
    assert!(r.notes.iter().any(|n| n.starts_with("probe via setns")));
    for (c, h, name) in [
        (ConnectOutcome::Refused, None, "probe-refused"),
        (ConnectOutcome::Unreachable, None, "probe-unreachable"),
        (
            ConnectOutcome::Connected,
            Some(HandshakeOutcome::Timeout),
            "probe-timeout",
        ),
        (
            ConnectOutcome::Connected,
            Some(HandshakeOutcome::Invalid),
            "probe-invalid-response",
        ),
        (
            ConnectOutcome::Connected,
            Some(HandshakeOutcome::PlainHttpOnTls),
            "probe-tls-mismatch",
        ),
        (
            ConnectOutcome::Connected,
            Some(HandshakeOutcome::WrongProtocol),
            "probe-protocol-mismatch",
        ),
    ] {
        let a = World::new(vec![proxy(), svc("app")])
            .target(http("app", 8080))
            .live(live())
            .probe(probe_result(c, h))
            .run();
        assert_eq!(only(&a).0.status, Status::Error, "{name}");
        assert!(only(&a).1.contains(&name), "{name}: {:?}", only(&a).1);
    }
    // the name answers with another container's address
    let mut p = probe_result(ConnectOutcome::Connected, Some(HandshakeOutcome::Ok));
    p.dns.as_mut().unwrap().addrs = vec!["172.30.0.9".parse().unwrap()];
    let a = World::new(vec![proxy(), svc("app")])
        .target(http("app", 8080))
        .live(live())
        .probe(p)
        .run();
    assert!(only(&a).1.contains(&"probe-dns"));
    // NXDOMAIN
    let mut p = probe_result(ConnectOutcome::Connected, None);
    p.dns.as_mut().unwrap().error = Some("NXDOMAIN".into());
    p.connect.clear();
    let a = World::new(vec![proxy(), svc("app")])
        .target(http("app", 8080))
        .live(live())
        .probe(p)
        .run();
    assert_eq!(only(&a).1, vec!["probe-dns"]);
}

#[test]
fn drift_between_project_files_and_the_running_proxy() {
    let dir = std::env::temp_dir().join(format!("cd-drift-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("nginx")).unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  proxy:\n    image: nginx\n    volumes:\n      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro\n",
    )
    .unwrap();
    let conf = "server { listen 80; location / { proxy_pass http://app:8080; } }\n";
    std::fs::write(dir.join("nginx/default.conf"), conf).unwrap();
    let opts = crate::compose::LoadOptions {
        files: vec![dir.join("compose.yaml")],
        working_dir: dir.clone(),
        ..Default::default()
    };
    let facts = crate::load_facts(&opts).unwrap();
    let proxy = &facts.proxies[0];
    let live_with = |text: Option<&str>| {
        let files = text
            .map(|t| vec![("/etc/nginx/conf.d/default.conf".to_string(), t.to_string())])
            .unwrap_or_default();
        let mut c = container("proxy", "172.20.0.2", 1.0);
        c.nginx = Some(NginxLive {
            files: Some(files),
            errors: vec![],
            log_read: true,
            fatal: None,
        });
        LiveFacts {
            containers: vec![c],
            ..Default::default()
        }
    };
    assert!(crate::drift(proxy, &live_with(Some(conf))).is_empty());
    let d = crate::drift(proxy, &live_with(Some("server { listen 80; }\n")));
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].kind, d[0].container_path.as_str()),
        ("differs", "/etc/nginx/conf.d/default.conf")
    );
    assert_eq!(
        d[0].origin.as_ref().unwrap().line,
        5,
        "points at the mount line"
    );
    assert_eq!(crate::drift(proxy, &live_with(None))[0].kind, "missing");
    // and the check reports it on the proxy
    let mut p = proxy.clone();
    p.drift = d;
    let mut out = Vec::new();
    super::live_config_drift::check(&p, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].rule.name, "config-drift");
    let _ = std::fs::remove_dir_all(&dir);
}
