//! The Docker layer against real Docker: compose examples brought up by `tests/support` (unique project
//! names, torn down even on failure), then `docker::gather` compared with what the examples are known to
//! do and with what the docker CLI reports.
//!
//! Needs Docker; without it these tests skip (or fail with `COMPOSE_DOCTOR_REQUIRE_DOCKER=1`).

mod support;

use compose_doctor::compose;
use compose_doctor::docker::{self, DockerOptions};
use compose_doctor::live::{ErrorKind, LiveContainer, LiveFacts};
use std::time::{Duration, Instant};
use support::{Example, Real, Running};

const NGINX_DIR: &str = "/etc/nginx";

fn load_project(running: &Running) -> compose::Project {
    let example = running.example();
    compose::load(&compose::LoadOptions {
        files: vec![example.compose_file.clone()],
        project_directory: Some(example.dir.clone()),
        project_name: Some(running.project().to_string()),
        env_files: Vec::new(),
        profiles: Vec::new(),
        working_dir: example.dir.clone(),
        environ: Default::default(),
        allow_outside: false,
    })
    .unwrap_or_else(|e| panic!("{}: {e}", example.name))
}

fn client() -> docker::Client {
    match docker::connect(&DockerOptions::default()) {
        Ok((client, engine)) => {
            assert!(!engine.negotiated_api.is_empty());
            client
        }
        Err(e) => panic!("the docker CLI reaches the engine but docker::connect does not: {e}"),
    }
}

/// Gathers the project's live facts, with `proxy` as the nginx service.
fn gather(client: &docker::Client, running: &Running) -> LiveFacts {
    let project = load_project(running);
    let start = Instant::now();
    let facts = docker::gather(
        client,
        &project,
        &[("proxy".to_string(), NGINX_DIR.to_string())],
        &DockerOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{}: gather: {e}", running.project()));
    support::say(&format!(
        "docker_live {}: gather {:.0} ms, {} containers",
        running.example().name,
        start.elapsed().as_secs_f64() * 1000.0,
        facts.containers.len()
    ));
    facts
}

fn one<'a>(facts: &'a LiveFacts, service: &'a str) -> &'a LiveContainer {
    let all: Vec<_> = facts.containers_of(service).collect();
    assert_eq!(
        all.len(),
        1,
        "containers of {service}: {:#?}",
        facts.containers
    );
    all[0]
}

/// Gathers until `ok` holds, a bounded number of times (the engine copies a container's output to its log
/// asynchronously).
fn gather_until(
    client: &docker::Client,
    running: &Running,
    ok: impl Fn(&LiveFacts) -> bool,
) -> LiveFacts {
    let mut facts = gather(client, running);
    for _ in 0..40 {
        if ok(&facts) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
        facts = gather(client, running);
    }
    facts
}

fn up(name: &str) -> Option<Running> {
    if !support::docker_or_skip() {
        return None;
    }
    support::ensure_images();
    Some(Example::load(name).up())
}

#[test]
fn healthy_basic_inventory() {
    let Some(running) = up("healthy-basic") else {
        return;
    };
    assert_eq!(running.request("/"), Real::Status(200));
    let client = client();
    let facts = gather(&client, &running);
    assert!(facts.incomplete.is_empty(), "{:?}", facts.incomplete);
    assert_eq!(facts.containers.len(), 2);

    let expected_naming = if support::compose_cli() == ["docker-compose"] {
        "v1"
    } else {
        "v2"
    };
    assert_eq!(facts.compose_naming.as_deref(), Some(expected_naming));

    let app = one(&facts, "app");
    let proxy = one(&facts, "proxy");
    let ips = running.service_ips();
    for (c, service) in [(app, "app"), (proxy, "proxy")] {
        assert!(c.is_running(), "{service}: {}", c.state);
        assert_eq!(c.exit_code, None);
        assert!(!c.oom_killed);
        assert!(c.pid.is_some());
        assert!(c.started_at_unix.is_some() && c.finished_at.is_none());
        assert_eq!(c.number, Some(1));
        // Same container as the CLI sees, same state.
        assert!(running.container_ids(service).contains(&c.id));
        assert_eq!(running.state(service).as_deref(), Some(c.state.as_str()));
        // One network, the project's `web`, with the IP the CLI reports and the service as an alias.
        assert_eq!(c.networks.len(), 1, "{:#?}", c.networks);
        let ep = &c.networks[0];
        assert_eq!(ep.network, format!("{}_web", running.project()));
        assert_eq!(
            ep.ipv4.map(|ip| ip.to_string()),
            ips.get(service).and_then(|v| v.first()).cloned()
        );
        assert!(ep.aliases.iter().any(|a| a == service), "{ep:?}");
        for name in [service, c.name.as_str(), &c.id[..12]] {
            assert!(ep.dns_names.iter().any(|n| n == name), "{name} in {ep:?}");
        }
        assert_eq!(c.listening_source.as_deref(), Some("proc"));
    }
    assert_eq!(app.image, support::BUSYBOX_IMAGE);
    assert_eq!(proxy.image, support::NGINX_IMAGE);
    assert_eq!(proxy.exposed_ports, vec![80], "the image's EXPOSE");
    assert_eq!(app.networks[0].network_id, proxy.networks[0].network_id);

    assert_eq!(facts.networks.len(), 1, "{:#?}", facts.networks);
    let net = &facts.networks[0];
    assert_eq!(net.id, app.networks[0].network_id);
    assert_eq!(net.driver, "bridge");
    assert!(!net.internal);
    assert_eq!(net.project.as_deref(), Some(running.project()));

    // busybox httpd listens on every address, port 8080; nginx on port 80.
    let app_listens = app.listening.as_ref().unwrap();
    assert!(
        app_listens
            .iter()
            .any(|l| l.port == 8080 && !l.is_loopback()),
        "{app_listens:?}"
    );
    let proxy_listens = proxy.listening.as_ref().unwrap();
    assert!(
        proxy_listens
            .iter()
            .any(|l| l.port == 80 && !l.is_loopback()),
        "{proxy_listens:?}"
    );
    assert!(app.nginx.is_none());

    // The config as the container has it: the mounted file equals the example's.
    let nginx = proxy.nginx.as_ref().unwrap();
    let files = nginx.files.as_ref().unwrap();
    let default_conf = files
        .iter()
        .find(|(p, _)| p == "/etc/nginx/conf.d/default.conf")
        .unwrap_or_else(|| panic!("{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>()));
    let on_disk =
        std::fs::read_to_string(running.example().dir.join("nginx/default.conf")).unwrap();
    assert_eq!(default_conf.1, on_disk);
    assert!(
        files.iter().any(|(p, t)| p == "/etc/nginx/nginx.conf"
            && t.contains("include /etc/nginx/conf.d/*.conf;"))
    );
    assert!(nginx.log_read);
    assert!(nginx.errors.is_empty(), "{:#?}", nginx.errors);
    assert!(nginx.fatal.is_none());

    // Read from inside the container: busybox has `cat`, the nginx image has not.
    let opts = DockerOptions::default();
    let inside = docker::listening_via_exec(&client, &app.id, &opts).unwrap();
    assert_eq!(&inside, app_listens, "exec and /proc agree");
    let err = docker::listening_via_exec(&client, &proxy.id, &opts).unwrap_err();
    assert!(err.contains("cat"), "{err}");
}

#[test]
fn wrong_port_error_log_names_the_address() {
    let Some(running) = up("wrong-port") else {
        return;
    };
    assert_eq!(running.request("/"), Real::Status(502));
    let client = client();
    let refused = |f: &LiveFacts| {
        one(f, "proxy").nginx.as_ref().is_some_and(|n| {
            n.errors
                .iter()
                .any(|e| e.kind == ErrorKind::ConnectionRefused)
        })
    };
    let facts = gather_until(&client, &running, refused);
    let app_ip = one(&facts, "app").networks[0].ipv4.unwrap();
    let nginx = one(&facts, "proxy").nginx.as_ref().unwrap();
    assert!(nginx.log_read);
    let e = nginx
        .errors
        .iter()
        .find(|e| e.kind == ErrorKind::ConnectionRefused)
        .unwrap_or_else(|| panic!("{:#?}", nginx.errors));
    assert_eq!(e.level, "error");
    assert_eq!(
        e.upstream.as_deref(),
        Some(&*format!("http://{app_ip}:80/"))
    );
    assert!(nginx.fatal.is_none(), "nginx runs");
    // The app listens where the proxy does not knock.
    let app = one(&facts, "app");
    assert_eq!(app.exposed_ports, vec![8080]);
    assert!(
        app.listening
            .as_ref()
            .unwrap()
            .iter()
            .all(|l| l.port == 8080)
    );
}

#[test]
fn upstream_exited_state_and_exit_code() {
    let Some(running) = up("upstream-exited") else {
        return;
    };
    let client = client();
    let facts = gather_until(&client, &running, |f| !one(f, "app").is_running());
    let app = one(&facts, "app");
    assert_eq!(app.state, "exited");
    assert_eq!(app.exit_code, Some(1));
    assert!(app.pid.is_none());
    assert!(
        app.listening.is_none(),
        "no sockets to read for a stopped container"
    );
    // Docker stamps StartedAt after the process has started, so a process that exits at once can show a
    // FinishedAt a few microseconds *before* StartedAt (seen here once in a clean CI run): both are set,
    // and they are close
    let (started, finished) = (app.started_at_unix.unwrap(), app.finished_at_unix.unwrap());
    assert!(
        (finished - started).abs() < 60.0,
        "started {started}, finished {finished}"
    );
    assert_eq!(running.state("app").as_deref(), Some("exited"));
}

#[test]
fn oom_killed_is_seen() {
    let Some(running) = up("oom-killed") else {
        return;
    };
    let client = client();
    let facts = gather_until(&client, &running, |f| one(f, "app").oom_killed);
    let app = one(&facts, "app");
    assert_eq!(Some(app.oom_killed), running.oom_killed("app"));
    assert!(app.oom_killed, "{app:#?}");
    assert_eq!(app.memory_limit, Some(32 << 20));
    assert!(!app.is_running());
    assert_eq!(app.exit_code, Some(137));
}

#[test]
fn loopback_bind_listens_on_127_0_0_1_only() {
    let Some(running) = up("loopback-bind") else {
        return;
    };
    let client = client();
    let facts = gather(&client, &running);
    let app = one(&facts, "app");
    let listening = app.listening.as_ref().unwrap();
    let on_8080: Vec<_> = listening.iter().filter(|l| l.port == 8080).collect();
    assert!(!on_8080.is_empty(), "{listening:?}");
    assert!(
        on_8080.iter().all(|l| l.addr.to_string() == "127.0.0.1"),
        "{listening:?}"
    );
    // Docker's embedded DNS listener (127.0.0.11) is not the app's.
    assert!(listening.iter().all(|l| l.addr.to_string() != "127.0.0.11"));
}

#[test]
fn unknown_host_proxy_exits_with_host_not_found() {
    let Some(running) = up("unknown-host") else {
        return;
    };
    let client = client();
    let facts = gather_until(&client, &running, |f| {
        one(f, "proxy")
            .nginx
            .as_ref()
            .is_some_and(|n| n.fatal.is_some())
    });
    let proxy = one(&facts, "proxy");
    assert_eq!(proxy.state, "exited");
    assert_eq!(proxy.exit_code, Some(1));
    let nginx = proxy.nginx.as_ref().unwrap();
    let fatal = nginx.fatal.as_ref().unwrap_or_else(|| panic!("{nginx:#?}"));
    assert_eq!(fatal.kind, ErrorKind::HostNotFound);
    assert_eq!(fatal.level, "emerg");
    assert_eq!(fatal.host.as_deref(), Some("bakend"));
    assert!(fatal.message.contains("/etc/nginx/conf.d/default.conf:"));
    // The archive API reads a stopped container too.
    assert!(
        nginx
            .files
            .as_ref()
            .unwrap()
            .iter()
            .any(|(p, _)| p == "/etc/nginx/conf.d/default.conf")
    );
    assert!(proxy.listening.is_none());
}
