//! Every real project of `../shared/corpus/projects` (INDEX.md) loads, with the services and networks the
//! index states.

use compose_doctor::compose::{LoadOptions, MountKind, Project, load};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/projects");

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(CORPUS);
    if p.is_dir() {
        return Some(p.canonicalize().unwrap());
    }
    if std::env::var("COMPOSE_DOCTOR_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("{CORPUS} is missing and COMPOSE_DOCTOR_REQUIRE_SHARED=1");
    }
    println!("skipped: ../shared not present");
    None
}

fn environ() -> BTreeMap<String, String> {
    BTreeMap::from([("HOME".to_string(), "/home/tester".to_string())])
}

fn load_project(dir: &Path, file: &str) -> Project {
    let opts = LoadOptions {
        files: vec![dir.join(file)],
        working_dir: dir.to_path_buf(),
        environ: environ(),
        ..Default::default()
    };
    load(&opts).unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
}

/// (project, compose file, services, networks each service joins (None = only the implicit default)).
type Case = (&'static str, &'static str, &'static [&'static str]);

const CASES: &[Case] = &[
    (
        "awesome-compose/nginx-aspnet-mysql",
        "compose.yaml",
        &["backend", "db", "proxy"],
    ),
    (
        "awesome-compose/nginx-flask-mongo",
        "compose.yaml",
        &["backend", "mongo", "web"],
    ),
    (
        "awesome-compose/nginx-flask-mysql",
        "compose.yaml",
        &["backend", "db", "proxy"],
    ),
    (
        "awesome-compose/nginx-golang",
        "compose.yaml",
        &["backend", "proxy"],
    ),
    (
        "awesome-compose/nginx-golang-mysql",
        "compose.yaml",
        &["backend", "db", "proxy"],
    ),
    (
        "awesome-compose/nginx-golang-postgres",
        "compose.yaml",
        &["backend", "db", "proxy"],
    ),
    (
        "awesome-compose/nginx-nodejs-redis",
        "compose.yaml",
        &["nginx", "redis", "web1", "web2"],
    ),
    (
        "awesome-compose/nginx-wsgi-flask",
        "compose.yaml",
        &["flask-app", "nginx-proxy"],
    ),
    ("awesome-compose/react-nginx", "compose.yaml", &["frontend"]),
    (
        "testdrivenio/django-on-docker",
        "docker-compose.prod.yml",
        &["db", "nginx", "web"],
    ),
    (
        "testdrivenio/flask-on-docker",
        "docker-compose.prod.yml",
        &["db", "nginx", "web"],
    ),
];

#[test]
fn index_lists_every_case() {
    let Some(root) = corpus() else { return };
    let index = std::fs::read_to_string(root.join("INDEX.md")).unwrap();
    for (project, file, _) in CASES {
        let line = index
            .lines()
            .find(|l| l.contains(&format!("`{project}`")))
            .unwrap_or_else(|| panic!("{project} not in INDEX.md"));
        assert!(
            line.contains(file),
            "{project}: INDEX.md names another file: {line}"
        );
    }
    let numbered = index
        .lines()
        .filter(|l| {
            l.split_once(". `")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(numbered, CASES.len());
}

#[test]
fn every_project_loads_with_its_services() {
    let Some(root) = corpus() else { return };
    for (project, file, services) in CASES {
        let dir = root.join(project);
        let p = load_project(&dir, file);
        let names: Vec<&str> = p.services.keys().map(String::as_str).collect();
        assert_eq!(&names, services, "{project}");
        assert!(p.services.values().all(|s| s.enabled), "{project}");
        let expected_name = Path::new(project).file_name().unwrap().to_str().unwrap();
        assert_eq!(p.name, expected_name, "{project}");
        assert_eq!(p.working_dir, dir, "{project}");
        assert!(!p.legacy_v1);
    }
}

#[test]
fn networks_match_the_index() {
    let Some(root) = corpus() else { return };
    for (project, file, _) in CASES {
        let p = load_project(&root.join(project), file);
        if *project == "awesome-compose/nginx-flask-mysql" {
            let nets = |s: &str| -> Vec<String> {
                p.services[s]
                    .networks
                    .iter()
                    .map(|n| n.name.clone())
                    .collect()
            };
            assert_eq!(nets("proxy"), vec!["frontnet"]);
            assert_eq!(nets("backend"), vec!["backnet", "frontnet"]);
            assert_eq!(nets("db"), vec!["backnet"]);
            assert!(!p.networks.contains_key("default"));
            assert_eq!(
                p.networks["frontnet"].docker_name,
                "nginx-flask-mysql_frontnet"
            );
            assert!(p.networks["frontnet"].declared);
        } else {
            for s in p.services.values() {
                assert_eq!(s.networks.len(), 1, "{project}/{}", s.name);
                assert_eq!(s.networks[0].name, "default");
                assert!(s.networks[0].implicit);
            }
            let d = &p.networks["default"];
            let dir = Path::new(project).file_name().unwrap().to_str().unwrap();
            assert_eq!(d.docker_name, format!("{dir}_default"));
            assert!(!d.declared);
        }
    }
}

#[test]
fn facts_the_checks_rely_on() {
    let Some(root) = corpus() else { return };

    // nginx-flask-mongo: the proxy renders its config with envsubst from its environment.
    let p = load_project(
        &root.join("awesome-compose/nginx-flask-mongo"),
        "compose.yaml",
    );
    let web = &p.services["web"];
    assert_eq!(
        web.environment["FLASK_SERVER_ADDR"].value.as_deref(),
        Some("backend:9091")
    );
    let cmd = &web.command.as_ref().unwrap().value;
    assert_eq!(cmd[0], "/bin/bash");
    assert_eq!(cmd[1], "-c");
    assert!(cmd[2].starts_with("envsubst < /tmp/nginx.conf"));
    let m = &web.volumes[0];
    assert_eq!(m.kind, MountKind::Bind);
    assert_eq!(m.target, "/tmp/nginx.conf");
    assert_eq!(
        m.host_path.as_deref(),
        Some(
            root.join("awesome-compose/nginx-flask-mongo/nginx/nginx.conf")
                .as_path()
        )
    );
    assert_eq!(
        p.services["backend"]
            .build
            .as_ref()
            .unwrap()
            .target
            .as_deref(),
        Some("builder")
    );

    // nginx-golang: long-syntax read-only bind mount of the config.
    let p = load_project(&root.join("awesome-compose/nginx-golang"), "compose.yaml");
    let m = &p.services["proxy"].volumes[0];
    assert_eq!(m.kind, MountKind::Bind);
    assert!(m.read_only);
    assert_eq!(m.target, "/etc/nginx/conf.d/default.conf");
    assert!(
        m.host_path
            .as_ref()
            .unwrap()
            .ends_with("nginx-golang/proxy/nginx.conf")
    );
    assert_eq!(p.services["proxy"].ports[0].published, Some((80, 80)));

    // nginx-nodejs-redis: hostnames and published ports.
    let p = load_project(
        &root.join("awesome-compose/nginx-nodejs-redis"),
        "compose.yaml",
    );
    assert_eq!(
        p.services["web1"].hostname.as_deref().map(String::as_str),
        Some("web1")
    );
    assert_eq!(p.services["web2"].ports[0].published, Some((82, 82)));
    assert_eq!(p.services["web2"].ports[0].target.start, 5000);
    let b = p.services["nginx"].build.as_ref().unwrap();
    assert!(
        b.context
            .as_ref()
            .unwrap()
            .ends_with("nginx-nodejs-redis/nginx")
    );
    assert_eq!(b.dockerfile, "Dockerfile");

    // nginx-flask-mysql: expose lists integers; healthcheck keeps `$$` as `$`.
    let p = load_project(
        &root.join("awesome-compose/nginx-flask-mysql"),
        "compose.yaml",
    );
    let db = &p.services["db"];
    assert_eq!(
        db.expose.iter().map(|e| e.start).collect::<Vec<_>>(),
        vec![3306, 33060]
    );
    let hc = db.healthcheck.as_ref().unwrap();
    assert!(hc.test[1].contains("$(cat /run/secrets/db-password)"));
    assert_eq!(hc.retries, Some(5));
    assert_eq!(
        p.services["backend"].depends_on[0].condition,
        "service_healthy"
    );

    // react-nginx: container_name.
    let p = load_project(&root.join("awesome-compose/react-nginx"), "compose.yaml");
    assert_eq!(
        p.services["frontend"]
            .container_name
            .as_ref()
            .map(|c| c.value.as_str()),
        Some("frontend")
    );

    // nginx-wsgi-flask: string command split like compose.
    let p = load_project(
        &root.join("awesome-compose/nginx-wsgi-flask"),
        "compose.yaml",
    );
    assert_eq!(
        p.services["flask-app"].command.as_ref().unwrap().value,
        vec![
            "gunicorn",
            "-w",
            "3",
            "-t",
            "60",
            "-b",
            "0.0.0.0:8000",
            "app:app"
        ]
    );
}

#[test]
fn missing_env_files_are_warnings_not_errors() {
    let Some(root) = corpus() else { return };
    for project in [
        "testdrivenio/django-on-docker",
        "testdrivenio/flask-on-docker",
    ] {
        let p = load_project(&root.join(project), "docker-compose.prod.yml");
        let w: Vec<&str> = p.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(
            w.iter()
                .any(|m| m.starts_with("env_file .env.prod not found; its values are unknown")),
            "{project}: {w:?}"
        );
        assert!(
            w.iter()
                .any(|m| m.starts_with("env_file .env.prod.db not found")),
            "{project}: {w:?}"
        );
        let web_warn = p
            .warnings
            .iter()
            .find(|w| w.message.starts_with("env_file .env.prod not"))
            .unwrap();
        let loc = web_warn.location.as_ref().unwrap();
        assert!(loc.file.ends_with("docker-compose.prod.yml"));
        assert_eq!(loc.line, 15);
        let web = &p.services["web"];
        assert_eq!(
            web.expose[0].start,
            if project.contains("django") {
                8000
            } else {
                5000
            }
        );
        assert_eq!(web.env_files.len(), 1);
        assert!(web.environment.is_empty());
        assert_eq!(web.build.as_ref().unwrap().dockerfile, "Dockerfile.prod");
        assert_eq!(web.volumes[0].kind, MountKind::Volume);
        assert!(p.volumes.contains_key("static_volume"));
        assert_eq!(
            p.volumes["static_volume"].docker_name,
            format!(
                "{}_static_volume",
                Path::new(project).file_name().unwrap().to_str().unwrap()
            )
        );
    }
}

#[test]
fn dev_files_load_too() {
    let Some(root) = corpus() else { return };
    for project in [
        "testdrivenio/django-on-docker",
        "testdrivenio/flask-on-docker",
    ] {
        let p = load_project(&root.join(project), "docker-compose.yml");
        assert!(p.services.contains_key("web"));
        assert!(!p.services.contains_key("nginx"));
    }
}
