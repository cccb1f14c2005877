//! How the probe chooses its way, without Docker: hand-made live facts around a real project's configuration.
//! No probe traffic is sent in these tests (the addresses are not on any bridge of this machine).

use compose_doctor::compose::LoadOptions;
use compose_doctor::live::{Endpoint, LiveContainer, LiveFacts};
use compose_doctor::model::Facts;
use compose_doctor::probe::{self, ProbeOptions};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

fn facts() -> Facts {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/probe/all-protocols");
    let opts = LoadOptions {
        files: vec![dir.join("compose.yaml")],
        working_dir: dir,
        environ: BTreeMap::new(),
        ..Default::default()
    };
    compose_doctor::load_facts(&opts).expect("load")
}

fn container(service: &str, state: &str, ip: &str, pid: Option<u32>) -> LiveContainer {
    LiveContainer {
        id: format!("{:0>64}", service.len()),
        name: format!("p-{service}-1"),
        service: service.to_string(),
        number: Some(1),
        state: state.to_string(),
        exit_code: None,
        oom_killed: false,
        restart_count: 0,
        error: None,
        health: None,
        started_at: None,
        started_at_unix: None,
        finished_at: None,
        finished_at_unix: None,
        image: String::new(),
        exposed_ports: Vec::new(),
        network_mode: "p_web".to_string(),
        networks: vec![Endpoint {
            network: "p_web".to_string(),
            // no bridge of this machine has this id
            network_id: "f".repeat(64),
            aliases: vec![service.to_string()],
            dns_names: vec![service.to_string(), format!("p-{service}-1")],
            ipv4: ip.parse().ok(),
            ipv6: None,
        }],
        memory_limit: None,
        pid,
        listening: None,
        listening_source: None,
        nginx: None,
    }
}

fn opts() -> ProbeOptions {
    ProbeOptions {
        cap: Duration::from_millis(300),
        exec_fallback: false,
        progress: false,
    }
}

fn live(endpoint: &str, proxy_state: &str) -> LiveFacts {
    let mut live = LiveFacts::default();
    live.engine.endpoint = endpoint.to_string();
    live.containers = vec![
        // this test process stands in for the proxy's PID: its cgroup does not name the container id
        container("proxy", proxy_state, "192.0.2.10", Some(std::process::id())),
        container("web", "running", "192.0.2.11", Some(1)),
        container("tls", "running", "192.0.2.12", Some(1)),
    ];
    live
}

#[test]
fn without_live_facts_nothing_is_probed() {
    let mut f = facts();
    let notes = probe::run(&mut f, &opts());
    assert!(notes[0].contains("no live facts"), "{notes:?}");
    assert!(f.proxies.iter().all(|p| p.probes.is_empty()));
}

#[test]
fn a_stopped_proxy_is_not_probed() {
    let mut f = facts();
    f.live = Some(live("unix:///var/run/docker.sock", "exited"));
    let notes = probe::run(&mut f, &opts());
    let proxy = f.proxies.iter().find(|p| p.service == "proxy").unwrap();
    assert_eq!(proxy.probes.len(), proxy.targets().len());
    assert!(proxy.probes.iter().all(Option::is_none));
    assert!(
        notes.iter().any(|n| n.contains("no running container")),
        "{notes:?}"
    );
}

#[test]
fn a_remote_engine_is_neither_entered_nor_connected_to() {
    let mut f = facts();
    f.live = Some(live("tcp://203.0.113.5:2376 (context prod)", "running"));
    let notes = probe::run(&mut f, &opts());
    let proxy = f.proxies.iter().find(|p| p.service == "proxy").unwrap();
    assert!(
        proxy.probes.iter().all(Option::is_none),
        "{:?}",
        proxy.probes
    );
    assert!(notes.iter().any(|n| n.contains("remote")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("try --exec")), "{notes:?}");
}

#[test]
fn a_pid_that_is_not_the_container_is_not_entered() {
    // Local engine, but the PID's cgroup does not name the container: no setns. No network of the project is
    // a bridge of this machine, so the host fallback is refused too.
    let mut f = facts();
    f.live = Some(live("unix:///var/run/docker.sock", "running"));
    let notes = probe::run(&mut f, &opts());
    assert!(
        notes
            .iter()
            .any(|n| n.contains("is not this container here")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("no network of the project is a bridge")),
        "{notes:?}"
    );
    let proxy = f.proxies.iter().find(|p| p.service == "proxy").unwrap();
    assert!(proxy.probes.iter().all(Option::is_none));
}

#[test]
fn the_host_fallback_connects_only_to_addresses_on_local_bridges() {
    if !std::path::Path::new("/sys/class/net/docker0").exists() {
        eprintln!("skipped: no docker0 bridge on this machine");
        return;
    }
    // One container is also on the default bridge (docker0 exists here), so the host fallback runs; the names
    // resolve (from the live facts) to addresses on the project network, which is no bridge of this machine:
    // refused, nothing is sent.
    let mut f = facts();
    let mut l = live("unix:///var/run/docker.sock", "running");
    l.containers[2].networks.push(Endpoint {
        network: "bridge".to_string(),
        network_id: "e".repeat(64),
        aliases: Vec::new(),
        dns_names: Vec::new(),
        ipv4: "192.0.2.99".parse().ok(),
        ipv6: None,
    });
    f.live = Some(l);
    let notes = probe::run(&mut f, &opts());
    assert!(
        notes
            .iter()
            .any(|n| n.contains("connections from the host")),
        "{notes:?}"
    );
    let proxy = f.proxies.iter().find(|p| p.service == "proxy").unwrap();
    let first = proxy.probes[0].as_ref().expect("probed from the host");
    assert_eq!(first.how, "host");
    let dns = first.dns.as_ref().unwrap();
    assert_eq!(dns.server, "live facts (Docker API)");
    assert_eq!(
        dns.addrs,
        vec!["192.0.2.11".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(first.connect.is_empty(), "{first:?}");
    assert!(
        first
            .note
            .as_deref()
            .unwrap_or("")
            .contains("on a bridge of this machine"),
        "{first:?}"
    );
    // The proxy's own loopback is not reachable from the host.
    let own = proxy
        .targets()
        .iter()
        .position(|t| t.raw.contains("127.0.0.1"))
        .unwrap();
    let own = proxy.probes[own].as_ref().unwrap();
    assert!(own.connect.is_empty());
    assert!(
        own.note.as_deref().unwrap_or("").contains("own loopback"),
        "{own:?}"
    );
}
