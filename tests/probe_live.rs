//! The probe against real containers: examples brought up with the test harness, their live facts gathered
//! with the `docker` module, probed from inside the proxy's network namespace, and the results compared with
//! what each example is built to show.

mod support;

use compose_doctor::compose::LoadOptions;
use compose_doctor::docker::{self, DockerOptions};
use compose_doctor::live::{ConnectOutcome, HandshakeOutcome, ProbeResult};
use compose_doctor::model::Facts;
use compose_doctor::probe::{self, ProbeOptions, Way};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::{Example, Running, docker_or_skip, say};

/// The example's facts as the CLI loads them in live mode (`add_live`) for the running project.
fn facts(run: &Running) -> Facts {
    let ex = run.example();
    let opts = LoadOptions {
        files: vec![ex.compose_file.clone()],
        project_directory: Some(ex.dir.clone()),
        project_name: Some(run.project().to_string()),
        working_dir: ex.dir.clone(),
        environ: BTreeMap::new(),
        ..Default::default()
    };
    let mut facts = compose_doctor::load_facts(&opts).expect("load the example");
    let docker_opts = DockerOptions::default();
    let (client, _) = docker::connect(&docker_opts)
        .unwrap_or_else(|e| panic!("the docker CLI works but docker::connect does not: {e}"));
    compose_doctor::add_live(&mut facts, &client, &docker_opts)
        .unwrap_or_else(|e| panic!("{}: gather: {e}", run.project()));
    facts
}

/// `COMPOSE_DOCTOR_TEST_PROGRESS=1` shows the progress bar (run with `--nocapture` in a terminal).
fn opts() -> ProbeOptions {
    ProbeOptions {
        cap: Duration::from_secs(5),
        exec_fallback: false,
        progress: std::env::var("COMPOSE_DOCTOR_TEST_PROGRESS").is_ok(),
    }
}

/// Brings `name` up, probes it, returns the proxy's results (by target label) and the notes.
fn probe_example(name: &str, way: Way) -> Option<(Vec<ProbeResult>, Vec<String>)> {
    if !docker_or_skip() {
        return None;
    }
    let run = Example::load(name).up();
    let mut facts = facts(&run);
    let start = Instant::now();
    let notes = probe::run_way(&mut facts, &opts(), way);
    say(&format!(
        "{name}: probed in {:.2} s: {}",
        start.elapsed().as_secs_f64(),
        notes.join(" | ")
    ));
    let proxy = facts
        .proxies
        .iter()
        .find(|p| p.service == "proxy")
        .expect("a proxy service");
    assert_eq!(proxy.probes.len(), proxy.targets().len());
    let results: Vec<ProbeResult> = proxy
        .probes
        .iter()
        .map(|p| {
            p.clone()
                .unwrap_or_else(|| panic!("{name}: a target was not probed: {notes:?}"))
        })
        .collect();
    for r in &results {
        say(&format!("{name}: {}", serde_json::to_string(r).unwrap()));
    }
    run.down().expect("teardown");
    Some((results, notes))
}

fn one(results: &[ProbeResult], target: &str) -> ProbeResult {
    results
        .iter()
        .find(|r| r.target == target)
        .unwrap_or_else(|| panic!("no result for {target} in {results:#?}"))
        .clone()
}

fn handshake(r: &ProbeResult) -> (HandshakeOutcome, Option<u16>) {
    let h = r
        .handshake
        .as_ref()
        .unwrap_or_else(|| panic!("no handshake: {r:#?}"));
    (h.outcome, h.status)
}

fn connected(r: &ProbeResult) {
    assert!(!r.connect.is_empty(), "{r:#?}");
    assert_eq!(r.connect[0].outcome, ConnectOutcome::Connected, "{r:#?}");
}

#[test]
fn healthy_basic() {
    let Some((results, _)) = probe_example("healthy-basic", Way::Auto) else {
        return;
    };
    let r = one(&results, "app:8080");
    assert_eq!(r.how, "setns");
    let dns = r.dns.as_ref().expect("a lookup");
    assert_eq!(dns.server, "127.0.0.11:53");
    assert_eq!(dns.error, None);
    assert_eq!(dns.addrs.len(), 1, "{dns:?}");
    connected(&r);
    assert_eq!(handshake(&r), (HandshakeOutcome::Ok, Some(200)));
    let h = r.handshake.unwrap();
    assert_eq!(h.protocol, "http");
    assert_eq!(h.request, "GET / HTTP/1.1, Host: app:8080");
}

#[test]
fn wrong_port_is_refused() {
    let Some((results, _)) = probe_example("wrong-port", Way::Auto) else {
        return;
    };
    for target in ["app:80", "app:8000"] {
        let r = one(&results, target);
        assert_eq!(r.dns.as_ref().unwrap().error, None);
        assert_eq!(r.connect.len(), 1);
        assert_eq!(r.connect[0].outcome, ConnectOutcome::Refused, "{r:#?}");
        assert!(r.handshake.is_none());
    }
}

#[test]
fn https_to_plain_http() {
    let Some((results, _)) = probe_example("https-to-plain", Way::Auto) else {
        return;
    };
    let r = one(&results, "app:8080");
    connected(&r);
    assert_eq!(handshake(&r).0, HandshakeOutcome::PlainHttpOnTls, "{r:#?}");
    assert_eq!(r.handshake.unwrap().protocol, "tls");
}

#[test]
fn http_to_tls_port() {
    let Some((results, _)) = probe_example("http-to-tls", Way::Auto) else {
        return;
    };
    let r = one(&results, "app:8443");
    connected(&r);
    assert_eq!(
        handshake(&r),
        (HandshakeOutcome::TlsOnPlain, Some(400)),
        "{r:#?}"
    );
}

#[test]
fn fastcgi_to_http_server() {
    let Some((results, _)) = probe_example("fastcgi-to-http", Way::Auto) else {
        return;
    };
    let r = one(&results, "app:8080");
    connected(&r);
    assert_eq!(
        handshake(&r),
        (HandshakeOutcome::WrongProtocol, Some(400)),
        "{r:#?}"
    );
    assert_eq!(r.handshake.unwrap().protocol, "fastcgi");
}

#[test]
fn not_http_upstream() {
    let Some((results, _)) = probe_example("not-http-upstream", Way::Auto) else {
        return;
    };
    let r = one(&results, "app:8080");
    connected(&r);
    assert_eq!(handshake(&r), (HandshakeOutcome::Invalid, None), "{r:#?}");
    assert!(r.handshake.unwrap().detail.contains("220 mail.test"));
}

#[test]
fn upstream_timeout_uses_the_configured_read_timeout() {
    let Some((results, _)) = probe_example("upstream-timeout", Way::Auto) else {
        return;
    };
    let r = one(&results, "app:8080");
    connected(&r);
    let h = r.handshake.clone().unwrap();
    assert_eq!(h.outcome, HandshakeOutcome::Timeout, "{r:#?}");
    // proxy_read_timeout 3s, below the 5 s cap: nginx's own timeout, so this is its 504.
    assert_eq!(h.timeout_millis, 3000);
    assert!(!h.capped);
    assert_eq!(h.request, "GET /cgi-bin/report HTTP/1.1, Host: app:8080");
}

#[test]
fn unknown_host_from_docker_dns() {
    let Some((results, _)) = probe_example("unknown-host-resolver", Way::Auto) else {
        return;
    };
    let r = one(&results, "bakend:8080");
    let dns = r.dns.as_ref().expect("a lookup");
    assert_eq!(dns.server, "127.0.0.11:53");
    assert!(dns.addrs.is_empty());
    // Docker 20.10 answers a name it does not know without records when it cannot forward it (the example
    // forwards to the proxy's own loopback); newer engines say NXDOMAIN.
    let err = dns.error.as_deref();
    assert!(matches!(err, Some("NXDOMAIN" | "NODATA")), "{dns:?}");
    assert!(r.connect.is_empty());
}

#[test]
fn upstream_stopped() {
    let Some((results, _)) = probe_example("upstream-stopped", Way::Auto) else {
        return;
    };
    let r = one(&results, "app:8080");
    let dns = r.dns.as_ref().expect("a lookup");
    // The stopped container left Docker's DNS: nothing to connect to, or (with a cached address) no route.
    if dns.addrs.is_empty() {
        assert!(dns.error.is_some());
        assert!(r.connect.is_empty());
    } else {
        assert!(
            matches!(
                r.connect[0].outcome,
                ConnectOutcome::Unreachable | ConnectOutcome::Timeout
            ),
            "{r:#?}"
        );
    }
}

#[test]
fn host_fallback_resolves_from_live_facts() {
    let Some((results, notes)) = probe_example("healthy-basic", Way::Host) else {
        return;
    };
    let r = one(&results, "app:8080");
    assert_eq!(r.how, "host");
    let dns = r.dns.as_ref().unwrap();
    assert_eq!(dns.server, "live facts (Docker API)");
    assert_eq!(dns.addrs.len(), 1);
    connected(&r);
    assert_eq!(handshake(&r), (HandshakeOutcome::Ok, Some(200)));
    assert!(
        notes
            .iter()
            .any(|n| n.contains("connections from the host")),
        "{notes:?}"
    );
}

/// A project under `testdata/probe/`, run with the same harness as the examples.
fn testdata_example(name: &str) -> Example {
    let dir = support::repo_root().join("testdata/probe").join(name);
    Example {
        name: name.to_string(),
        compose_file: dir.join("compose.yaml"),
        dir,
        rows: Vec::new(),
        norun: None,
        after_up: Vec::new(),
    }
}

#[test]
fn every_protocol_at_once() {
    if !docker_or_skip() {
        return;
    }
    let run = testdata_example("all-protocols").up();
    let mut facts = facts(&run);
    let start = Instant::now();
    let notes = probe::run(&mut facts, &opts());
    let took = start.elapsed();
    let proxy = facts.proxies.iter().find(|p| p.service == "proxy").unwrap();
    let targets = proxy.targets();
    let slow = targets
        .iter()
        .filter(|t| t.timeouts.iter().any(|(n, _)| n.ends_with("read_timeout")))
        .count();
    say(&format!(
        "all-protocols: {} targets ({slow} with a 3 s read timeout) probed in {:.2} s: {}",
        targets.len(),
        took.as_secs_f64(),
        notes.join(" | ")
    ));
    let by_location = |loc: &str| -> ProbeResult {
        let i = targets
            .iter()
            .position(|t| t.location.as_deref() == Some(loc))
            .unwrap_or_else(|| panic!("no target in location {loc}"));
        let r = proxy.probes[i].clone().expect("probed");
        say(&format!(
            "all-protocols {loc}: {}",
            serde_json::to_string(&r).unwrap()
        ));
        r
    };
    let outcome = |loc: &str| handshake(&by_location(loc));

    assert_eq!(outcome("= /"), (HandshakeOutcome::Ok, Some(200)));
    assert_eq!(outcome("/slow-a").0, HandshakeOutcome::Timeout);
    assert_eq!(outcome("/slow-b").0, HandshakeOutcome::Timeout);
    let tls = by_location("/tls");
    assert_eq!(handshake(&tls).0, HandshakeOutcome::Ok);
    assert_eq!(tls.handshake.unwrap().detail, "TLS 1.2 ServerHello");
    assert_eq!(
        outcome("/tls-as-plain"),
        (HandshakeOutcome::TlsOnPlain, Some(400))
    );
    assert_eq!(outcome("/plain-as-tls").0, HandshakeOutcome::PlainHttpOnTls);
    let own = by_location("/self");
    assert_eq!(own.connect[0].addr.to_string(), "127.0.0.1");
    assert_eq!(handshake(&own), (HandshakeOutcome::Ok, Some(200)));
    assert_eq!(
        outcome("/grpc"),
        (HandshakeOutcome::WrongProtocol, Some(400))
    );
    assert_eq!(outcome("/mc"), (HandshakeOutcome::WrongProtocol, Some(400)));
    // busybox httpd waits for a line that a binary request may never contain: a timeout, or a 400.
    for loc in ["/php", "/uwsgi", "/scgi"] {
        let (o, _) = outcome(loc);
        assert!(
            matches!(
                o,
                HandshakeOutcome::Timeout
                    | HandshakeOutcome::WrongProtocol
                    | HandshakeOutcome::Invalid
            ),
            "{loc}: {o:?}"
        );
    }
    // The upstream block: one server answers, the other refuses; the pass's Host header is used.
    let pool: Vec<ProbeResult> = targets
        .iter()
        .zip(&proxy.probes)
        .filter(|(t, _)| t.upstream.is_some())
        .map(|(_, p)| p.clone().unwrap())
        .collect();
    assert_eq!(pool.len(), 2);
    let good = pool.iter().find(|r| r.target == "web:8080").unwrap();
    assert_eq!(handshake(good), (HandshakeOutcome::Ok, Some(200)));
    assert_eq!(
        good.handshake.as_ref().unwrap().request,
        "GET / HTTP/1.1, Host: pool.test"
    );
    let bad = pool.iter().find(|r| r.target == "web:8081").unwrap();
    assert_eq!(bad.connect[0].outcome, ConnectOutcome::Refused);
    run.down().expect("teardown");
}

#[test]
fn exec_fallback_inside_a_busybox_container() {
    if !docker_or_skip() {
        return;
    }
    // The test nginx image has no shell tools; busybox has nslookup and wget. Probe from the `app` container
    // as if it were the proxy (it is on the same network and runs nothing of ours).
    let run = Example::load("healthy-basic").up();
    let mut facts = facts(&run);
    for c in &mut facts.live.as_mut().unwrap().containers {
        c.service = match c.service.as_str() {
            "proxy" => "proxy-not-this-one".to_string(),
            "app" => "proxy".to_string(),
            other => other.to_string(),
        };
    }
    let notes = probe::run_way(&mut facts, &opts(), Way::Exec);
    say(&format!("exec: {}", notes.join(" | ")));
    let proxy = facts.proxies.iter().find(|p| p.service == "proxy").unwrap();
    let r = proxy.probes[0].clone().expect("probed");
    say(&format!("exec: {}", serde_json::to_string(&r).unwrap()));
    assert_eq!(r.how, "exec");
    let dns = r.dns.as_ref().unwrap();
    assert!(dns.server.contains("127.0.0.11"), "{dns:?}");
    assert_eq!(dns.addrs.len(), 1, "{dns:?}");
    assert_eq!(r.connect[0].outcome, ConnectOutcome::Connected, "{r:#?}");
    assert!(r.handshake.is_none());
    run.down().expect("teardown");
}
