//! Loader behaviour on small inline projects: discovery, environment, project names, every short/long form
//! of the fields we use, the merge rule of each field, profiles, the legacy v1 format.

use compose_doctor::compose::{LoadOptions, MountKind, Project, Protocol, load};
use compose_doctor::error::Error;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory `…/<name>` with the given files.
fn project_dir(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!(
        "cd-loader-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let d = root.join(name);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&d).unwrap();
    for (f, content) in files {
        let p = d.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    d
}

fn opts(dir: &Path, files: &[&str], env: &[(&str, &str)]) -> LoadOptions {
    let mut environ = BTreeMap::from([("HOME".to_string(), "/home/tester".to_string())]);
    for (k, v) in env {
        environ.insert(k.to_string(), v.to_string());
    }
    LoadOptions {
        files: files.iter().map(|f| dir.join(f)).collect(),
        working_dir: dir.to_path_buf(),
        environ,
        ..Default::default()
    }
}

fn one(yaml: &str) -> Project {
    let d = project_dir("proj", &[("compose.yaml", yaml)]);
    load(&opts(&d, &["compose.yaml"], &[])).unwrap_or_else(|e| panic!("{e}"))
}

fn fail(yaml: &str) -> Error {
    let d = project_dir("proj", &[("compose.yaml", yaml)]);
    match load(&opts(&d, &["compose.yaml"], &[])) {
        Ok(_) => panic!("loaded: {yaml}"),
        Err(e) => e,
    }
}

/// Loads `base` then `over` as two -f files.
fn merged(base: &str, over: &str) -> Project {
    let d = project_dir("proj", &[("compose.yaml", base), ("override.yaml", over)]);
    load(&opts(&d, &["compose.yaml", "override.yaml"], &[])).unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------- discovery and environment

#[test]
fn discovery_searches_parents_and_adds_the_override() {
    let d = project_dir(
        "App_Name",
        &[
            ("docker-compose.yml", "services:\n  web:\n    image: a\n"),
            (
                "docker-compose.override.yml",
                "services:\n  web:\n    image: b\n",
            ),
            ("sub/deeper/.keep", ""),
        ],
    );
    let mut o = opts(&d.join("sub/deeper"), &[], &[]);
    o.files.clear();
    let p = load(&o).unwrap();
    assert_eq!(
        p.files,
        vec![
            d.join("docker-compose.yml"),
            d.join("docker-compose.override.yml")
        ]
    );
    assert_eq!(p.services["web"].image.as_ref().unwrap().value, "b");
    assert_eq!(p.name, "app_name");
    assert_eq!(p.working_dir, d);
}

#[test]
fn discovery_prefers_compose_yaml_and_warns_on_several() {
    let d = project_dir(
        "p",
        &[
            ("compose.yaml", "services:\n  a:\n    image: a\n"),
            ("docker-compose.yml", "services:\n  b:\n    image: b\n"),
        ],
    );
    let p = load(&opts(&d, &[], &[])).unwrap();
    assert_eq!(p.files, vec![d.join("compose.yaml")]);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.message.contains("multiple config files"))
    );
}

#[test]
fn no_compose_file_is_an_error() {
    let d = project_dir("empty", &[]);
    assert!(
        load(&opts(&d, &[], &[]))
            .unwrap_err()
            .message
            .contains("no configuration file")
    );
    let e = load(&opts(&d, &["missing.yaml"], &[])).unwrap_err();
    assert!(e.message.contains("missing.yaml"));
}

#[test]
fn compose_file_variable_with_separator() {
    let d = project_dir(
        "p",
        &[
            ("a.yml", "services:\n  web:\n    image: a\n"),
            ("b.yml", "services:\n  web:\n    image: b\n"),
        ],
    );
    let p = load(&opts(&d, &[], &[("COMPOSE_FILE", "a.yml:b.yml")])).unwrap();
    assert_eq!(p.services["web"].image.as_ref().unwrap().value, "b");
    let p = load(&opts(
        &d,
        &[],
        &[
            ("COMPOSE_FILE", "b.yml;a.yml"),
            ("COMPOSE_PATH_SEPARATOR", ";"),
        ],
    ))
    .unwrap();
    assert_eq!(p.services["web"].image.as_ref().unwrap().value, "a");
}

#[test]
fn project_directory_option_moves_dot_env_and_relative_paths() {
    let d = project_dir(
        "files",
        &[(
            "compose.yaml",
            "services:\n  web:\n    image: ${IMG}\n    volumes: [./conf:/etc/x]\n",
        )],
    );
    let other = d.parent().unwrap().join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join(".env"), "IMG=from-other\n").unwrap();
    let mut o = opts(&d, &["compose.yaml"], &[]);
    o.project_directory = Some(other.clone());
    let p = load(&o).unwrap();
    assert_eq!(p.name, "elsewhere");
    assert_eq!(
        p.services["web"].image.as_ref().unwrap().value,
        "from-other"
    );
    assert_eq!(
        p.services["web"].volumes[0].host_path.as_deref(),
        Some(other.join("conf").as_path())
    );
}

#[test]
fn dot_env_compose_variables_and_profiles() {
    let d = project_dir(
        "p",
        &[
            (".env", "COMPOSE_PROFILES=debug\nTAG=1.2\n"),
            (
                "compose.yaml",
                "services:\n  web:\n    image: nginx:${TAG}\n  dbg:\n    image: busybox\n    profiles: [debug]\n  \
                 tools:\n    image: alpine\n    profiles: [tools]\n",
            ),
        ],
    );
    let p = load(&opts(&d, &["compose.yaml"], &[])).unwrap();
    assert_eq!(p.services["web"].image.as_ref().unwrap().value, "nginx:1.2");
    assert!(p.services["web"].enabled);
    assert!(p.services["dbg"].enabled);
    assert!(!p.services["tools"].enabled);
    let names: Vec<&str> = p.enabled_services().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["dbg", "web"]);
    // --profile wins over COMPOSE_PROFILES; `*` enables all; unknown profiles are reported.
    let mut o = opts(&d, &["compose.yaml"], &[]);
    o.profiles = vec!["tools".into(), "nope".into()];
    let p = load(&o).unwrap();
    assert!(!p.services["dbg"].enabled && p.services["tools"].enabled);
    assert!(p.warnings.iter().any(|w| w.message.contains("\"nope\"")));
    o.profiles = vec!["*".into()];
    assert!(load(&o).unwrap().services.values().all(|s| s.enabled));
}

#[test]
fn unset_variables_warn_at_their_location() {
    let p =
        one("services:\n  web:\n    image: nginx:${TAG}\n    environment:\n      - A=${A:-x}\n");
    assert_eq!(p.services["web"].image.as_ref().unwrap().value, "nginx:");
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    let w = &p.warnings[0];
    assert_eq!(
        w.message,
        "The \"TAG\" variable is not set. Defaulting to a blank string."
    );
    assert_eq!(w.location.as_ref().unwrap().line, 3);
    assert_eq!(
        p.services["web"].environment["A"].value.as_deref(),
        Some("x")
    );
}

#[test]
fn project_name_variable_and_dollar_escape() {
    let p = one(
        "name: MyProj\nservices:\n  web:\n    image: nginx\n    environment:\n      - P=${COMPOSE_PROJECT_NAME}\n    \
         command: echo $$HOME\n",
    );
    assert_eq!(p.name, "myproj");
    assert_eq!(
        p.services["web"].environment["P"].value.as_deref(),
        Some("myproj")
    );
    assert_eq!(
        p.services["web"].command.as_ref().unwrap().value,
        vec!["echo", "$HOME"]
    );
}

#[test]
fn environment_forms_and_resolution() {
    let d = project_dir(
        "p",
        &[(
            "compose.yaml",
            "services:\n  a:\n    image: x\n    environment:\n      - K=V\n      - FROM_SHELL\n      - NOT_SET\n      \
             - EMPTY=\n  b:\n    image: x\n    environment:\n      N: 1\n      B: true\n      FROM_SHELL:\n      Q: \"a=b\"\n",
        )],
    );
    let p = load(&opts(&d, &["compose.yaml"], &[("FROM_SHELL", "sh")])).unwrap();
    let a = &p.services["a"].environment;
    assert_eq!(a["K"].value.as_deref(), Some("V"));
    assert_eq!(a["FROM_SHELL"].value.as_deref(), Some("sh"));
    assert_eq!(a["NOT_SET"].value, None);
    assert_eq!(a["EMPTY"].value.as_deref(), Some(""));
    assert_eq!(a["K"].loc.line, 5);
    let b = &p.services["b"].environment;
    assert_eq!(b["N"].value.as_deref(), Some("1"));
    assert_eq!(b["B"].value.as_deref(), Some("true"));
    assert_eq!(b["FROM_SHELL"].value.as_deref(), Some("sh"));
    assert_eq!(b["Q"].value.as_deref(), Some("a=b"));
}

#[test]
fn env_file_forms_required_and_precedence() {
    let d = project_dir(
        "p",
        &[
            ("a.env", "A=from_a\nSHARED=from_a\n"),
            ("conf/b.env", "B=from_b\nSHARED=from_b\n"),
            (
                "compose.yaml",
                "services:\n  s:\n    image: x\n    env_file:\n      - a.env\n      - path: ./conf/b.env\n      \
                 - path: ./optional.env\n        required: false\n    environment:\n      SHARED: from_environment\n  \
                 t:\n    image: x\n    env_file: ./missing.env\n",
            ),
        ],
    );
    let p = load(&opts(&d, &["compose.yaml"], &[])).unwrap();
    let s = &p.services["s"];
    assert_eq!(s.environment["A"].value.as_deref(), Some("from_a"));
    assert_eq!(s.environment["B"].value.as_deref(), Some("from_b"));
    assert_eq!(
        s.environment["SHARED"].value.as_deref(),
        Some("from_environment")
    );
    assert_eq!(s.env_files.len(), 3);
    assert_eq!(s.env_files[1].value, d.join("conf/b.env"));
    // A missing required env_file is a warning (compose refuses; we keep going), an optional one is silent.
    let w: Vec<_> = p
        .warnings
        .iter()
        .filter(|w| w.message.contains("not found"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", p.warnings);
    assert!(
        w[0].message
            .starts_with("env_file missing.env not found; its values are unknown")
    );
    assert_eq!(w[0].location.as_ref().unwrap().line, 13);
}

// ---------------------------------------------------------------- ports, expose, volumes, networks

#[test]
fn every_port_form() {
    let p = one(
        "services:\n  web:\n    image: x\n    ports:\n      - 80\n      - \"8080:80\"\n      - 127.0.0.1:8081:81\n      \
         - \"127.0.0.1::82\"\n      - \"8000-8002:9000-9002\"\n      - \"[::1]:8443:443\"\n      - \"53:53/udp\"\n      \
         - target: 5000\n        published: \"5001\"\n        host_ip: 0.0.0.0\n        protocol: tcp\n        mode: host\n      \
         - target: 6000\n        published: 6001-6003\n      - target: \"7000\"\n      - \"8080:80\"\n",
    );
    let ports = &p.services["web"].ports;
    assert_eq!(ports.len(), 10, "duplicate 8080:80 removed: {ports:#?}");
    assert_eq!((ports[0].target.start, ports[0].published), (80, None));
    assert_eq!(ports[1].published, Some((8080, 8080)));
    assert_eq!(ports[2].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        (ports[3].host_ip.as_deref(), ports[3].published),
        (Some("127.0.0.1"), None)
    );
    assert_eq!((ports[4].target.start, ports[4].target.end), (9000, 9002));
    assert_eq!(ports[4].published, Some((8000, 8002)));
    assert_eq!(ports[5].host_ip.as_deref(), Some("::1"));
    assert_eq!(ports[6].target.protocol, Protocol::Udp);
    assert_eq!(ports[7].published, Some((5001, 5001)));
    assert_eq!(ports[7].mode.as_deref(), Some("host"));
    assert_eq!(ports[8].published, Some((6001, 6003)));
    assert_eq!((ports[9].target.start, ports[9].published), (7000, None));
    // The later duplicate replaces the earlier one in place (compose's rule), location included.
    assert_eq!(ports[1].loc.line, 20);
}

#[test]
fn expose_forms() {
    let p = one(
        "services:\n  web:\n    image: x\n    expose: [3000, \"4000-4002\", \"5000/udp\", \"3000\"]\n",
    );
    let e = &p.services["web"].expose;
    assert_eq!(e.len(), 3);
    assert_eq!((e[1].start, e[1].end), (4000, 4002));
    assert_eq!(e[2].protocol, Protocol::Udp);
}

#[test]
fn every_volume_form() {
    let p = one(
        "services:\n  web:\n    image: x\n    volumes:\n      - ./conf/nginx.conf:/etc/nginx/nginx.conf:ro\n      \
         - ~/certs:/certs\n      - data:/var/lib/data\n      - /anon\n      - /abs/host:/abs/ctr:rw,z\n      \
         - type: bind\n        source: ./site\n        target: /usr/share/nginx/html\n        read_only: true\n        \
         bind:\n          create_host_path: false\n      - type: volume\n        source: data\n        target: /data2\n      \
         - type: tmpfs\n        target: /tmp\n      - ../up:/up\nvolumes:\n  data:\n",
    );
    let d = p.working_dir.clone();
    let v = &p.services["web"].volumes;
    assert_eq!(v.len(), 9);
    assert_eq!(v[0].kind, MountKind::Bind);
    assert_eq!(
        v[0].host_path.as_deref(),
        Some(d.join("conf/nginx.conf").as_path())
    );
    assert_eq!(v[0].source.as_deref(), Some("./conf/nginx.conf"));
    assert!(v[0].read_only && v[0].create_host_path);
    assert_eq!(
        v[1].host_path.as_deref(),
        Some(Path::new("/home/tester/certs"))
    );
    assert_eq!(
        (v[2].kind, v[2].source.as_deref(), v[2].host_path.as_deref()),
        (MountKind::Volume, Some("data"), None)
    );
    assert_eq!(
        (v[3].kind, v[3].source.as_deref(), v[3].target.as_str()),
        (MountKind::Volume, None, "/anon")
    );
    assert_eq!(v[4].host_path.as_deref(), Some(Path::new("/abs/host")));
    assert!(!v[4].read_only);
    assert_eq!(v[5].host_path.as_deref(), Some(d.join("site").as_path()));
    assert!(v[5].read_only && !v[5].create_host_path);
    assert_eq!(v[6].kind, MountKind::Volume);
    assert_eq!(v[7].kind, MountKind::Tmpfs);
    assert_eq!(
        v[8].host_path.as_deref(),
        Some(d.parent().unwrap().join("up").as_path())
    );
    assert_eq!(p.volumes["data"].docker_name, "proj_data");
}

#[test]
fn network_forms_and_docker_names() {
    let p = one(
        "services:\n  a:\n    image: x\n    networks: [front, back]\n  b:\n    image: x\n    networks:\n      front:\n        \
         aliases: [api, api2]\n        ipv4_address: 172.20.0.5\n        ipv6_address: \"2001:db8::5\"\n      back:\n  \
         c:\n    image: x\n  d:\n    image: x\n    network_mode: host\n  e:\n    image: x\n    network_mode: \"service:a\"\n\
         networks:\n  front:\n    name: shared-front\n  back:\n    internal: true\n    driver: bridge\n  ext:\n    external: true\n  \
         ext2:\n    external: true\n    name: real-ext2\n  legacy:\n    external:\n      name: old-style\n",
    );
    let a = &p.services["a"].networks;
    assert_eq!(
        a.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
        vec!["front", "back"]
    );
    assert!(a.iter().all(|n| !n.implicit));
    let b = &p.services["b"].networks;
    assert_eq!(
        b[0].aliases
            .iter()
            .map(|x| x.value.as_str())
            .collect::<Vec<_>>(),
        vec!["api", "api2"]
    );
    assert_eq!(b[0].ipv4_address.as_ref().unwrap().value, "172.20.0.5");
    assert_eq!(b[0].ipv6_address.as_ref().unwrap().value, "2001:db8::5");
    assert_eq!(b[1].name, "back");
    let c = &p.services["c"].networks;
    assert_eq!(
        (c.len(), c[0].name.as_str(), c[0].implicit),
        (1, "default", true)
    );
    assert!(p.services["d"].networks.is_empty());
    assert_eq!(p.services["d"].network_mode.as_ref().unwrap().value, "host");
    assert_eq!(
        p.services["e"].network_mode.as_ref().unwrap().value,
        "service:a"
    );
    let n = &p.networks;
    assert_eq!(n["front"].docker_name, "shared-front");
    assert_eq!(n["back"].docker_name, "proj_back");
    assert!(n["back"].internal);
    assert_eq!(n["back"].driver.as_deref(), Some("bridge"));
    assert_eq!(
        (n["ext"].docker_name.as_str(), n["ext"].external),
        ("ext", true)
    );
    assert_eq!(n["ext2"].docker_name, "real-ext2");
    assert_eq!(
        (n["legacy"].docker_name.as_str(), n["legacy"].external),
        ("old-style", true)
    );
    assert_eq!(n["default"].docker_name, "proj_default");
    assert!(!n["default"].declared && n["default"].loc.is_none());
}

#[test]
fn empty_networks_still_means_default_and_env_file_can_be_disabled() {
    let p = one("services:\n  a:\n    image: x\n    networks: {}\n");
    assert_eq!(p.services["a"].networks[0].name, "default");
    assert!(p.services["a"].networks[0].implicit);
    let d = project_dir(
        "p",
        &[
            (".env", "TAG=env\n"),
            (
                "compose.yaml",
                "services:\n  a:\n    image: x:${TAG:-none}\n",
            ),
        ],
    );
    let p = load(&opts(&d, &["compose.yaml"], &[])).unwrap();
    assert_eq!(p.services["a"].image.as_ref().unwrap().value, "x:env");
    let p = load(&opts(
        &d,
        &["compose.yaml"],
        &[("COMPOSE_DISABLE_ENV_FILE", "1")],
    ))
    .unwrap();
    assert_eq!(p.services["a"].image.as_ref().unwrap().value, "x:none");
}

#[test]
fn nesting_just_below_the_limit_loads() {
    let deep = "[".repeat(200) + &"]".repeat(200);
    let p = one(&format!(
        "services:\n  a:\n    image: x\n    x-deep: {deep}\n"
    ));
    assert!(p.services.contains_key("a"));
    let mut s = String::from("services:\n  a:\n    image: x\n    x-deep:\n");
    s.push_str(&format!("      {}x\n", "- ".repeat(990)));
    assert!(one(&s).services.contains_key("a"));
}

#[test]
fn declared_default_network_is_used_and_undefined_networks_warn() {
    let p = one(
        "services:\n  a:\n    image: x\n  b:\n    image: x\n    networks: [nope]\nnetworks:\n  default:\n    \
         name: my-net\n    external: true\n",
    );
    assert_eq!(p.networks["default"].docker_name, "my-net");
    assert!(p.networks["default"].declared);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.message.contains("undefined network \"nope\""))
    );
}

#[test]
fn links_hosts_dns_and_friends() {
    let p = one(
        "services:\n  web:\n    image: x\n    links: [db, \"cache:redis\"]\n    external_links: [\"other_c:alias\"]\n    \
         extra_hosts:\n      - \"host1:10.0.0.1\"\n      - \"host2=10.0.0.2\"\n      - \"v6:::1\"\n      \
         - \"gw:host-gateway\"\n      - \"b6=[::2]\"\n    dns: 8.8.8.8\n    dns_opt: [\"ndots:1\"]\n    \
         mem_limit: 512m\n    restart: unless-stopped\n    hostname: h\n    domainname: example.org\n    \
         container_name: c1\n  api:\n    image: x\n    extra_hosts:\n      one: 1.1.1.1\n    dns: [1.1.1.1, 9.9.9.9]\n    \
         deploy:\n      resources:\n        limits:\n          memory: 1g\n",
    );
    let w = &p.services["web"];
    let links: Vec<_> = w.links.iter().map(|l| l.value.clone()).collect();
    assert_eq!(
        links,
        vec![("db".into(), "db".into()), ("cache".into(), "redis".into())]
    );
    assert_eq!(
        w.external_links[0].value,
        ("other_c".into(), "alias".into())
    );
    let hosts: Vec<_> = w.extra_hosts.iter().map(|h| h.value.clone()).collect();
    assert_eq!(
        hosts,
        vec![
            ("host1".to_string(), "10.0.0.1".to_string()),
            ("host2".into(), "10.0.0.2".into()),
            ("v6".into(), "::1".into()),
            ("gw".into(), "host-gateway".into()),
            ("b6".into(), "::2".into()),
        ]
    );
    assert_eq!(w.dns[0].value, "8.8.8.8");
    assert_eq!(w.dns_opt[0].value, "ndots:1");
    assert_eq!(w.mem_limit.as_ref().unwrap().value, "512m");
    assert_eq!(w.restart.as_ref().unwrap().value, "unless-stopped");
    assert_eq!(w.domainname.as_ref().unwrap().value, "example.org");
    assert_eq!(w.container_name.as_ref().unwrap().value, "c1");
    let api = &p.services["api"];
    assert_eq!(api.extra_hosts[0].value, ("one".into(), "1.1.1.1".into()));
    assert_eq!(api.dns.len(), 2);
    assert_eq!(api.mem_limit.as_ref().unwrap().value, "1g");
}

#[test]
fn build_command_healthcheck_depends_configs_extension() {
    let p = one(
        "services:\n  web:\n    build:\n      context: ./app\n      dockerfile: Dockerfile.prod\n      target: prod\n      \
         args:\n        - VERSION=1\n        - FROM_SHELL\n    entrypoint: [\"/docker-entrypoint.sh\"]\n    \
         command: nginx -g 'daemon off;'\n    healthcheck:\n      test: curl -f http://localhost/\n      interval: 10s\n      \
         timeout: 2s\n      retries: 3\n      start_period: 5s\n    depends_on:\n      db:\n        condition: service_healthy\n        \
         required: false\n      cache:\n    configs:\n      - site\n      - source: site\n        target: /etc/nginx/conf.d/site.conf\n    \
         x-compose-doctor:\n      ignore: [N001]\n      level: 2\n  db:\n    image: x\n    healthcheck:\n      disable: true\n  \
         cache:\n    image: x\n    depends_on: [db]\n    command: [redis-server, --port, \"6380\"]\n    \
         healthcheck:\n      test: [\"NONE\"]\nconfigs:\n  site:\n    file: ./site.conf\n  inline:\n    content: hello\n  \
         env:\n    environment: SITE\n  ext:\n    external: true\n",
    );
    let w = &p.services["web"];
    let b = w.build.as_ref().unwrap();
    assert_eq!(
        b.context.as_deref(),
        Some(p.working_dir.join("app").as_path())
    );
    assert_eq!(b.context_raw, "./app");
    assert_eq!(
        (b.dockerfile.as_str(), b.target.as_deref()),
        ("Dockerfile.prod", Some("prod"))
    );
    assert_eq!(b.args["VERSION"].as_deref(), Some("1"));
    assert_eq!(b.args["FROM_SHELL"], None);
    assert_eq!(
        w.entrypoint.as_ref().unwrap().value,
        vec!["/docker-entrypoint.sh"]
    );
    assert_eq!(
        w.command.as_ref().unwrap().value,
        vec!["nginx", "-g", "daemon off;"]
    );
    let h = w.healthcheck.as_ref().unwrap();
    assert_eq!(h.test, vec!["CMD-SHELL", "curl -f http://localhost/"]);
    assert_eq!(
        (
            h.interval.as_deref(),
            h.timeout.as_deref(),
            h.retries,
            h.start_period.as_deref()
        ),
        (Some("10s"), Some("2s"), Some(3), Some("5s"))
    );
    assert!(!h.disable);
    assert_eq!(w.depends_on.len(), 2);
    assert_eq!(
        (w.depends_on[0].condition.as_str(), w.depends_on[0].required),
        ("service_healthy", false)
    );
    assert_eq!(
        (w.depends_on[1].condition.as_str(), w.depends_on[1].required),
        ("service_started", true)
    );
    assert_eq!(w.configs.len(), 2);
    assert_eq!(w.configs[0].target, "/site");
    assert_eq!(w.configs[1].target, "/etc/nginx/conf.d/site.conf");
    assert_eq!(
        w.x_compose_doctor,
        Some(serde_json::json!({"ignore": ["N001"], "level": 2}))
    );
    assert!(p.services["db"].healthcheck.as_ref().unwrap().disable);
    assert!(p.services["cache"].healthcheck.as_ref().unwrap().disable);
    assert_eq!(
        p.services["cache"].command.as_ref().unwrap().value,
        vec!["redis-server", "--port", "6380"]
    );
    assert_eq!(
        p.configs["site"].file.as_deref(),
        Some(p.working_dir.join("site.conf").as_path())
    );
    assert_eq!(p.configs["inline"].content.as_deref(), Some("hello"));
    assert_eq!(p.configs["env"].environment.as_deref(), Some("SITE"));
    assert!(p.configs["ext"].external);
}

#[test]
fn string_command_cut_at_operator_warns() {
    let p =
        one("services:\n  web:\n    image: x\n    command: nginx -t && nginx -g 'daemon off;'\n");
    assert_eq!(
        p.services["web"].command.as_ref().unwrap().value,
        vec!["nginx", "-t"]
    );
    let w = p
        .warnings
        .iter()
        .find(|w| w.message.contains("cut at"))
        .unwrap();
    assert_eq!(w.location.as_ref().unwrap().line, 4);
}

// ---------------------------------------------------------------- merge rules per field

#[test]
fn merge_scalars_replaced_and_located_in_the_override() {
    let p = merged(
        "services:\n  web:\n    image: a\n    restart: always\n    hostname: h1\n",
        "services:\n  web:\n    image: b\n",
    );
    let w = &p.services["web"];
    assert_eq!(w.image.as_ref().unwrap().value, "b");
    assert!(
        w.image
            .as_ref()
            .unwrap()
            .loc
            .file
            .ends_with("override.yaml")
    );
    assert_eq!(w.restart.as_ref().unwrap().value, "always");
    assert!(w.loc.file.ends_with("override.yaml"));
}

#[test]
fn merge_ports_expose_dns_appended_and_deduplicated() {
    let p = merged(
        "services:\n  web:\n    image: a\n    ports: [\"80:80\", \"443:443\"]\n    expose: [3000]\n    dns: [1.1.1.1]\n",
        "services:\n  web:\n    ports: [\"443:443\", \"8080:8080\"]\n    expose: [3001]\n    dns: 8.8.8.8\n",
    );
    let w = &p.services["web"];
    let published: Vec<u16> = w.ports.iter().map(|p| p.published.unwrap().0).collect();
    assert_eq!(published, vec![80, 443, 8080]);
    assert!(w.ports[1].loc.file.ends_with("override.yaml"));
    assert_eq!(w.expose.len(), 2);
    assert_eq!(
        w.dns.iter().map(|d| d.value.as_str()).collect::<Vec<_>>(),
        vec!["1.1.1.1", "8.8.8.8"]
    );
}

#[test]
fn merge_volumes_by_target() {
    let p = merged(
        "services:\n  web:\n    image: a\n    volumes: [\"./a.conf:/etc/nginx/nginx.conf\", \"data:/data\"]\n",
        "services:\n  web:\n    volumes:\n      - type: bind\n        source: ./b.conf\n        target: /etc/nginx/nginx.conf\n",
    );
    let v = &p.services["web"].volumes;
    assert_eq!(v.len(), 2);
    assert!(v[0].host_path.as_ref().unwrap().ends_with("b.conf"));
    assert_eq!(v[1].target, "/data");
}

#[test]
fn merge_environment_labels_by_key() {
    let p = merged(
        "services:\n  web:\n    image: a\n    environment: [A=1, B=2]\n",
        "services:\n  web:\n    environment:\n      B: 3\n      C: 4\n",
    );
    let e = &p.services["web"].environment;
    assert_eq!(
        e.iter()
            .map(|(k, v)| (k.as_str(), v.value.as_deref()))
            .collect::<Vec<_>>(),
        vec![("A", Some("1")), ("B", Some("3")), ("C", Some("4"))]
    );
}

#[test]
fn merge_networks_by_name_with_aliases() {
    let p = merged(
        "services:\n  web:\n    image: a\n    networks:\n      front:\n        aliases: [one]\n\
         networks:\n  front:\n  back:\n",
        "services:\n  web:\n    networks:\n      front:\n        aliases: [two]\n      back:\n",
    );
    let n = &p.services["web"].networks;
    assert_eq!(n.len(), 2);
    assert_eq!(
        n[0].aliases
            .iter()
            .map(|a| a.value.as_str())
            .collect::<Vec<_>>(),
        vec!["one", "two"]
    );
}

#[test]
fn merge_command_entrypoint_replaced_build_merged() {
    let p = merged(
        "services:\n  web:\n    build: ./app\n    command: [a, b, c]\n    entrypoint: x y\n    \
         healthcheck:\n      test: [CMD, a]\n      interval: 5s\n",
        "services:\n  web:\n    build:\n      target: dev\n    command: [d]\n    healthcheck:\n      test: [CMD, b]\n",
    );
    let w = &p.services["web"];
    assert_eq!(w.command.as_ref().unwrap().value, vec!["d"]);
    assert_eq!(w.entrypoint.as_ref().unwrap().value, vec!["x", "y"]);
    let b = w.build.as_ref().unwrap();
    assert_eq!(
        (b.context_raw.as_str(), b.target.as_deref()),
        ("./app", Some("dev"))
    );
    let h = w.healthcheck.as_ref().unwrap();
    assert_eq!(
        (h.test.clone(), h.interval.as_deref()),
        (vec!["CMD".to_string(), "b".into()], Some("5s"))
    );
}

#[test]
fn merge_reset_and_override_tags() {
    let p = merged(
        "services:\n  web:\n    image: a\n    ports: [\"80:80\"]\n    environment: {A: 1, B: 2}\n    networks: [front]\n\
         networks:\n  front:\n",
        "services:\n  web:\n    ports: !reset []\n    environment: !override\n      C: 3\n",
    );
    let w = &p.services["web"];
    assert!(w.ports.is_empty());
    assert_eq!(w.environment.keys().collect::<Vec<_>>(), vec!["C"]);
}

#[test]
fn merge_depends_on_and_extra_hosts() {
    let p = merged(
        "services:\n  web:\n    image: a\n    depends_on: [db]\n    extra_hosts: [\"a:1.1.1.1\"]\n  db:\n    image: d\n",
        "services:\n  web:\n    depends_on:\n      db:\n        condition: service_healthy\n    \
         extra_hosts: [\"a:1.1.1.1\", \"b:2.2.2.2\"]\n",
    );
    let w = &p.services["web"];
    assert_eq!(w.depends_on.len(), 1);
    assert_eq!(w.depends_on[0].condition, "service_healthy");
    assert_eq!(w.extra_hosts.len(), 2);
}

#[test]
fn multi_document_files_merge_in_order() {
    let p = one(
        "services:\n  web:\n    image: a\n---\nservices:\n  web:\n    environment:\n      HELLO: WORLD\n---\n",
    );
    let w = &p.services["web"];
    assert_eq!(w.image.as_ref().unwrap().value, "a");
    assert_eq!(w.environment["HELLO"].value.as_deref(), Some("WORLD"));
}

#[test]
fn anchors_and_merge_keys_in_services() {
    let p = one(
        "x-common: &common\n  restart: always\n  environment:\n    A: 1\nservices:\n  web:\n    <<: *common\n    \
         image: nginx\n  api:\n    <<: *common\n    restart: \"no\"\n    image: api\n",
    );
    assert_eq!(p.services["web"].restart.as_ref().unwrap().value, "always");
    assert_eq!(p.services["web"].restart.as_ref().unwrap().loc.line, 2);
    assert_eq!(p.services["api"].restart.as_ref().unwrap().value, "no");
    assert_eq!(
        p.services["api"].environment["A"].value.as_deref(),
        Some("1")
    );
}

// ---------------------------------------------------------------- include, extends, legacy

#[test]
fn include_env_file_and_relative_paths() {
    let d = project_dir(
        "p",
        &[
            (
                "compose.yaml",
                "include:\n  - path: sub/inc.yaml\n    env_file: sub/inc.env\nservices:\n  web:\n    image: nginx\n",
            ),
            (
                "sub/inc.yaml",
                "services:\n  api:\n    image: api:${API_TAG}\n    volumes: [./data:/data]\n",
            ),
            ("sub/inc.env", "API_TAG=7\n"),
        ],
    );
    let p = load(&opts(&d, &["compose.yaml"], &[])).unwrap();
    assert_eq!(p.services["api"].image.as_ref().unwrap().value, "api:7");
    assert_eq!(
        p.services["api"].volumes[0].host_path.as_deref(),
        Some(d.join("sub/data").as_path())
    );
    assert!(p.files.contains(&d.join("sub/inc.yaml")));
    // The including project's environment wins over the include's env_file.
    let p = load(&opts(&d, &["compose.yaml"], &[("API_TAG", "shell")])).unwrap();
    assert_eq!(p.services["api"].image.as_ref().unwrap().value, "api:shell");
}

#[test]
fn extends_same_file_nested() {
    let p = one(
        "services:\n  base:\n    image: base\n    environment: [A=1]\n    ports: [\"80:80\"]\n  mid:\n    extends: base\n    \
         environment: [B=2]\n  top:\n    extends:\n      service: mid\n    image: top\n    ports: [\"81:81\"]\n",
    );
    let t = &p.services["top"];
    assert_eq!(t.image.as_ref().unwrap().value, "top");
    assert_eq!(t.environment.len(), 2);
    assert_eq!(t.ports.len(), 2);
}

#[test]
fn legacy_v1_format() {
    let p = one("web:\n  image: nginx\n  links: [db]\ndb:\n  image: postgres\n");
    assert!(p.legacy_v1);
    assert_eq!(p.services.len(), 2);
    let w = &p.services["web"];
    assert!(w.networks.is_empty());
    assert_eq!(w.network_mode.as_ref().unwrap().value, "bridge");
    assert!(!p.networks.contains_key("default"));
    let warn = p
        .warnings
        .iter()
        .find(|w| w.message.contains("legacy"))
        .unwrap();
    assert_eq!(warn.location.as_ref().unwrap().line, 1);
}

#[test]
fn wrong_types_are_errors_with_lines() {
    let cases: &[(&str, u32, &str)] = &[
        (
            "services:\n  web:\n    image: [a]\n",
            3,
            "services.web.image",
        ),
        (
            "services:\n  web:\n    expose: 80\n",
            3,
            "services.web.expose",
        ),
        (
            "services:\n  web:\n    volumes: {a: b}\n",
            3,
            "services.web.volumes",
        ),
        (
            "services:\n  web:\n    depends_on: db\n",
            3,
            "services.web.depends_on",
        ),
        (
            "services:\n  web:\n    environment: A=1\n",
            3,
            "services.web.environment",
        ),
        (
            "services:\n  web:\n    build: [x]\n",
            3,
            "services.web.build",
        ),
        (
            "services:\n  web:\n    command: {a: b}\n",
            3,
            "services.web.command",
        ),
        (
            "services:\n  web:\n    ports:\n      - target: 80\n        protocol: xyz\n",
            5,
            "protocol",
        ),
        (
            "services:\n  web:\n    ports:\n      - published: 80\n",
            4,
            "target",
        ),
        (
            "services:\n  web:\n    volumes:\n      - type: weird\n        target: /x\n",
            4,
            "volume type",
        ),
        ("services:\n  web: 5\n", 2, "services.web"),
        (
            "networks: [a]\nservices:\n  web:\n    image: x\n",
            1,
            "networks",
        ),
        ("services:\n  web:\n    extends: [x]\n", 3, "extends"),
        (
            "include: foo.yaml\nservices:\n  web:\n    image: x\n",
            1,
            "include",
        ),
        (
            "services:\n  web:\n    networks:\n      front: 5\n",
            4,
            "services.web.networks.front",
        ),
    ];
    for (yaml, line, word) in cases {
        let e = fail(yaml);
        let l = e.location.as_ref().unwrap_or_else(|| panic!("{yaml}: {e}"));
        assert_eq!(l.line, *line, "{yaml}: {e}");
        assert!(e.message.contains(word), "{yaml}: {e}");
    }
}
