//! The Docker layer against engines that misbehave: none at all, one that never answers, one that answers
//! garbage, an old API, a bad endpoint configuration, containers that vanish between list and inspect.
//! Each fake engine is a small server on a unix socket in a temporary directory, created and removed by the
//! test. No real Docker needed.

use compose_doctor::compose;
use compose_doctor::docker::{self, DockerError, DockerOptions};
use compose_doctor::live::ErrorKind;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Upper bound for any one call under test: a hang fails the test instead of blocking the suite.
const LIVENESS: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Temporary directories and fake engines

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        // Short: unix socket paths are limited to ~100 bytes.
        let p = std::env::temp_dir().join(format!(
            "cdf-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What the fake engine does with one request.
#[derive(Clone)]
enum Reply {
    /// Status, content type, body.
    Http(u16, &'static str, Vec<u8>),
    /// Bytes that are not HTTP.
    Raw(Vec<u8>),
    /// Keep the connection open and say nothing.
    Hang,
}

type Router = dyn Fn(&str) -> Reply + Send + Sync;

/// A fake engine on a unix socket; records the request paths; stops and removes its socket on drop.
struct FakeEngine {
    /// Holds the socket; removed on drop.
    _dir: TempDir,
    socket: PathBuf,
    stop: Arc<AtomicBool>,
    paths: Arc<Mutex<Vec<String>>>,
    /// Connections told to hang, closed when the engine stops.
    held: Arc<Mutex<Vec<UnixStream>>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl FakeEngine {
    fn start(tag: &str, router: impl Fn(&str) -> Reply + Send + Sync + 'static) -> FakeEngine {
        let dir = TempDir::new(tag);
        let socket = dir.0.join("d.sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let router: Arc<Router> = Arc::new(router);
        let held = Arc::new(Mutex::new(Vec::new()));
        let (stop2, paths2, held2) = (stop.clone(), paths.clone(), held.clone());
        let thread = thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (router, paths, held) = (router.clone(), paths2.clone(), held2.clone());
                thread::spawn(move || serve(conn, &*router, &paths, &held));
            }
        });
        FakeEngine {
            _dir: dir,
            socket,
            stop,
            paths,
            held,
            thread: Some(thread),
        }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

impl Drop for FakeEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = UnixStream::connect(&self.socket); // wakes the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        for conn in self.held.lock().unwrap().drain(..) {
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn serve(
    mut conn: UnixStream,
    router: &Router,
    paths: &Mutex<Vec<String>>,
    held: &Mutex<Vec<UnixStream>>,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
    paths.lock().unwrap().push(target.clone());
    let path = target.split('?').next().unwrap_or("").to_string();
    match router(&path) {
        Reply::Http(status, ctype, body) => {
            let reason = if status == 200 { "OK" } else { "Error" };
            let head = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
        }
        Reply::Raw(bytes) => {
            let _ = conn.write_all(&bytes);
        }
        Reply::Hang => {
            // Keep the connection open, never answer.
            held.lock().unwrap().push(conn);
            return;
        }
    }
    let _ = conn.shutdown(std::net::Shutdown::Both);
}

fn json(v: serde_json::Value) -> Reply {
    Reply::Http(200, "application/json", v.to_string().into_bytes())
}

fn not_found(what: &str) -> Reply {
    Reply::Http(
        404,
        "application/json",
        serde_json::json!({ "message": format!("No such {what}") })
            .to_string()
            .into_bytes(),
    )
}

fn version(api: &str) -> Reply {
    json(serde_json::json!({
        "Version": "fake", "ApiVersion": api, "MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64"
    }))
}

// ---------------------------------------------------------------------------------------------
// Calling the Docker layer with a given environment, bounded

fn opts(timeout: Duration) -> DockerOptions {
    DockerOptions {
        timeout,
        ..DockerOptions::default()
    }
}

/// `docker::connect_with_env` with `DOCKER_HOST=host` (nothing else of this process's environment), in a
/// thread so that a hang fails the test.
fn connect_to(host: &str, timeout: Duration) -> Result<(docker::Client, String), DockerError> {
    connect_env(&[("DOCKER_HOST", host)], timeout)
}

fn connect_env(
    vars: &[(&str, &str)],
    timeout: Duration,
) -> Result<(docker::Client, String), DockerError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let r = docker::connect_with_env(&|k| vars.get(k).cloned(), &opts(timeout))
            .map(|(c, e)| (c, e.negotiated_api));
        let _ = tx.send(r);
    });
    rx.recv_timeout(LIVENESS)
        .expect("connect did not return: it hangs")
}

/// The unversioned requests of the handshake (`/_ping` and `/version` are asked at once), sorted.
fn first_contact(paths: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = paths
        .iter()
        .map(|p| p.as_str())
        .filter(|p| matches!(*p, "/_ping" | "/version"))
        .collect();
    v.sort();
    v
}

fn expect_err(r: Result<(docker::Client, String), DockerError>) -> DockerError {
    match r {
        Ok((c, api)) => panic!("expected an error, connected to {c:?} at API {api}"),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains('\n'), "one line: {text}");
            assert!(text.contains("hint:"), "{text}");
            e
        }
    }
}

/// A compose project named `name` with one service `web` on the default network.
fn project(dir: &Path, name: &str) -> compose::Project {
    let file = dir.join("compose.yaml");
    std::fs::write(&file, "services:\n  web:\n    image: nginx\n").unwrap();
    compose::load(&compose::LoadOptions {
        files: vec![file],
        project_directory: Some(dir.to_path_buf()),
        project_name: Some(name.to_string()),
        env_files: Vec::new(),
        profiles: Vec::new(),
        working_dir: dir.to_path_buf(),
        environ: Default::default(),
        allow_outside: false,
    })
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn no_daemon_socket_missing() {
    let e = expect_err(connect_to(
        "unix:///nonexistent/docker.sock",
        Duration::from_secs(2),
    ));
    assert!(matches!(e, DockerError::NoDaemon { .. }), "{e}");
    assert!(e.message().contains("does not exist"), "{e}");
    assert!(e.endpoint().contains("/nonexistent/docker.sock"), "{e}");
}

#[test]
fn no_daemon_stale_socket_file() {
    let dir = TempDir::new("stale");
    let path = dir.0.join("d.sock");
    drop(UnixListener::bind(&path).unwrap()); // the file stays, nobody listens
    let e = expect_err(connect_to(
        &format!("unix://{}", path.display()),
        Duration::from_secs(2),
    ));
    assert!(matches!(e, DockerError::NoDaemon { .. }), "{e}");
    assert!(e.message().contains("refuses connections"), "{e}");
}

#[test]
fn no_daemon_tcp_refused() {
    // A port that was free a moment ago: bind, learn it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = expect_err(connect_to(
        &format!("tcp://127.0.0.1:{port}"),
        Duration::from_secs(2),
    ));
    assert!(matches!(e, DockerError::NoDaemon { .. }), "{e}");
}

#[test]
fn silent_engine_times_out() {
    let fake = FakeEngine::start("silent", |_| Reply::Hang);
    let e = expect_err(connect_to(&fake.host(), Duration::from_secs(1)));
    assert!(matches!(e, DockerError::Timeout { .. }), "{e}");
    assert!(e.message().contains("within 1 s"), "{e}");
    assert_eq!(first_contact(&fake.paths()), ["/_ping", "/version"]);
}

#[test]
fn garbage_is_a_protocol_error() {
    let cases: Vec<(&str, Reply)> = vec![
        ("ssh", Reply::Raw(b"SSH-2.0-OpenSSH_9.2p1\r\n".to_vec())),
        ("binary", Reply::Raw((0u8..=255).collect())),
        ("empty", Reply::Raw(Vec::new())),
        (
            "html",
            Reply::Http(200, "text/html", b"<html>hello</html>".to_vec()),
        ),
        (
            "no-api",
            json(serde_json::json!({"Version": "1.0", "Name": "not docker"})),
        ),
        (
            "404",
            Reply::Http(404, "text/plain", b"page not found".to_vec()),
        ),
    ];
    for (name, reply) in cases {
        let fake = FakeEngine::start(name, move |_| reply.clone());
        let e = expect_err(connect_to(&fake.host(), Duration::from_secs(5)));
        assert!(matches!(e, DockerError::Protocol { .. }), "{name}: {e}");
    }
}

#[test]
fn old_api_is_negotiated_down_and_used() {
    let fake = FakeEngine::start("old", |path| match path {
        "/version" => version("1.24"),
        "/v1.24/containers/json" => json(serde_json::json!([])),
        p if p.starts_with("/v1.24/networks/") => not_found("network"),
        p => Reply::Http(
            400,
            "text/plain",
            format!("unexpected path {p}").into_bytes(),
        ),
    });
    let (client, api) = connect_to(&fake.host(), Duration::from_secs(5)).unwrap();
    assert_eq!(api, "1.24");
    assert_eq!(client.engine().api_version, "1.24");
    let dir = TempDir::new("oldp");
    let facts = docker::gather(
        &client,
        &project(&dir.0, "oldp"),
        &[],
        &opts(Duration::from_secs(5)),
    )
    .unwrap();
    assert!(facts.containers.is_empty());
    assert!(
        facts.networks.is_empty(),
        "the declared network does not exist"
    );
    assert!(facts.incomplete.is_empty(), "{:?}", facts.incomplete);
    let paths = fake.paths();
    assert!(
        first_contact(&paths).contains(&"/version"),
        "unversioned first contact"
    );
    assert!(
        paths
            .iter()
            .filter(|p| !matches!(p.as_str(), "/_ping" | "/version"))
            .all(|p| p.starts_with("/v1.24/")),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/v1.24/containers/json?")
                && p.contains("all=true")
                && p.contains("com.docker.compose.project%3Doldp")),
        "{paths:?}"
    );
}

#[test]
fn too_old_or_too_new_engines_are_refused() {
    let fake = FakeEngine::start("ancient", |_| version("1.18"));
    let e = expect_err(connect_to(&fake.host(), Duration::from_secs(5)));
    assert!(matches!(e, DockerError::Protocol { .. }), "{e}");
    assert!(e.message().contains("1.18"), "{e}");
    let fake = FakeEngine::start("future", |_| {
        json(serde_json::json!({"Version": "99", "ApiVersion": "9.99", "MinAPIVersion": "9.0"}))
    });
    let e = expect_err(connect_to(&fake.host(), Duration::from_secs(5)));
    assert!(matches!(e, DockerError::Protocol { .. }), "{e}");
    assert!(e.message().contains("9.0"), "{e}");
}

#[test]
fn bad_endpoint_configuration() {
    for host in [
        "ftp://example",
        "ssh://me@example",
        "https://example:2376",
        "unix://",
        "/var/run/docker.sock",
        "tcp://example:notaport",
    ] {
        let e = expect_err(connect_to(host, Duration::from_secs(2)));
        assert!(matches!(e, DockerError::Config { .. }), "{host}: {e}");
    }
    let dir = TempDir::new("ctx");
    let e = expect_err(connect_env(
        &[
            ("DOCKER_CONFIG", dir.0.to_str().unwrap()),
            ("DOCKER_CONTEXT", "missing"),
        ],
        Duration::from_secs(2),
    ));
    assert!(matches!(e, DockerError::Config { .. }), "{e}");
}

#[test]
fn context_selects_the_fake_engine() {
    let fake = FakeEngine::start("ctxeng", |_| version("1.41"));
    let dir = TempDir::new("ctxcfg");
    let meta = dir.0.join("contexts/meta/0123abcd");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("meta.json"),
        serde_json::json!({
            "Name": "fake", "Metadata": {}, "Endpoints": {"docker": {"Host": fake.host(), "SkipTLSVerify": false}}
        })
        .to_string(),
    )
    .unwrap();
    std::fs::write(dir.0.join("config.json"), r#"{"currentContext":"fake"}"#).unwrap();
    let (client, api) = connect_env(
        &[("DOCKER_CONFIG", dir.0.to_str().unwrap())],
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(api, "1.41");
    assert!(client.engine().endpoint.contains("context fake"));
    // the ping may not have gone out before /version answered
    assert!(first_contact(&fake.paths()).contains(&"/version"));
    assert_eq!(first_contact(&fake.paths()).len(), fake.paths().len());
}

/// Docker's multiplexed log stream: 8-byte frame headers (stream, 0, 0, 0, big-endian length).
fn log_frames(lines: &[(u8, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (stream, line) in lines {
        let payload = format!("{line}\n");
        out.extend([*stream, 0, 0, 0]);
        out.extend((payload.len() as u32).to_be_bytes());
        out.extend(payload.as_bytes());
    }
    out
}

#[test]
fn vanished_containers_and_partial_reads_are_incomplete_not_fatal() {
    const P: &str = "fakep";
    let labels = |svc: &str, n: u32| {
        serde_json::json!({
            "com.docker.compose.project": P, "com.docker.compose.service": svc,
            "com.docker.compose.container-number": n.to_string(), "com.docker.compose.oneoff": "False",
            "com.docker.compose.version": "1.29.2"
        })
    };
    let list = serde_json::json!([
        {"Id": "aaaaaaaaaaaaaaaa", "Names": ["/fakep_web_1"], "Labels": labels("web", 1)},
        {"Id": "bbbbbbbbbbbbbbbb", "Names": ["/fakep_gone_1"], "Labels": labels("gone", 1)},
        {"Id": "cccccccccccccccc", "Names": ["/fakep_web_run_1"],
         "Labels": {"com.docker.compose.project": P, "com.docker.compose.service": "web",
                    "com.docker.compose.oneoff": "True"}},
        {"Id": "dddddddddddddddd", "Names": ["/other"], "Labels": {"com.docker.compose.project": "other"}}
    ]);
    let inspect = serde_json::json!({
        "Id": "aaaaaaaaaaaaaaaa", "Name": "/fakep_web_1", "RestartCount": 3,
        "State": {"Status": "exited", "Running": false, "OOMKilled": false, "Pid": 0, "ExitCode": 1,
                  "Error": "", "StartedAt": "2026-11-21T06:21:23.5Z", "FinishedAt": "2026-11-21T06:21:24Z"},
        "Config": {"Image": "nginx:1.22", "Labels": labels("web", 1), "ExposedPorts": {"80/tcp": {}, "53/udp": {}}},
        "HostConfig": {"NetworkMode": "fakep_default", "Memory": 33554432},
        "NetworkSettings": {"Networks": {"fakep_default": {
            "NetworkID": "net1", "Aliases": ["web", "aaaaaaaaaaaa"], "IPAddress": "", "GlobalIPv6Address": ""}}}
    });
    let frames = log_frames(&[
        (
            2,
            "2026/11/21 06:21:23 [notice] 1#1: using the \"epoll\" event method",
        ),
        (
            1,
            "10.0.0.1 - - [21/Nov/2026:06:21:23 +0000] \"GET / HTTP/1.1\" 502 157 \"-\" \"-\" \"-\"",
        ),
        (
            2,
            "2026/11/21 06:21:23 [emerg] 1#1: host not found in upstream \"app\" in /etc/nginx/conf.d/default.conf:6",
        ),
    ]);
    let fake = FakeEngine::start("vanish", move |path| match path {
        "/version" => version("1.41"),
        "/v1.41/containers/json" => json(list.clone()),
        "/v1.41/containers/aaaaaaaaaaaaaaaa/json" => json(inspect.clone()),
        "/v1.41/containers/bbbbbbbbbbbbbbbb/json" => not_found("container: bbbbbbbbbbbbbbbb"),
        "/v1.41/containers/aaaaaaaaaaaaaaaa/logs" => {
            Reply::Http(200, "application/vnd.docker.raw-stream", frames.clone())
        }
        "/v1.41/containers/aaaaaaaaaaaaaaaa/archive" => Reply::Hang,
        "/v1.41/networks/net1" => json(serde_json::json!({
            "Name": "fakep_default", "Id": "net1", "Driver": "bridge", "Internal": false,
            "Labels": {"com.docker.compose.project": P}
        })),
        _ => Reply::Http(400, "text/plain", b"unexpected".to_vec()),
    });
    let (client, _) = connect_to(&fake.host(), Duration::from_secs(2)).unwrap();
    let dir = TempDir::new("vanp");
    let project = project(&dir.0, P);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let r = docker::gather(
            &client,
            &project,
            &[("web".to_string(), "/etc/nginx".to_string())],
            &opts(Duration::from_secs(1)),
        );
        let _ = tx.send(r);
    });
    let facts = rx.recv_timeout(LIVENESS).expect("gather hangs").unwrap();

    // The one-off and the other project's container are not ours; the vanished one is a note.
    assert_eq!(facts.containers.len(), 1, "{:#?}", facts.containers);
    let web = &facts.containers[0];
    assert_eq!(web.name, "fakep_web_1");
    assert_eq!((web.service.as_str(), web.number), ("web", Some(1)));
    assert_eq!(web.state, "exited");
    assert_eq!(web.exit_code, Some(1));
    assert_eq!(web.restart_count, 3);
    assert_eq!(web.error, None);
    assert_eq!(web.started_at_unix, Some(1_795_242_083.5));
    assert_eq!(web.exposed_ports, vec![80], "tcp only");
    assert_eq!(web.memory_limit, Some(32 << 20));
    assert_eq!(web.pid, None);
    assert_eq!(web.listening, None, "not running: no sockets to read");
    let ep = &web.networks[0];
    assert_eq!(ep.ipv4, None);
    assert_eq!(
        ep.dns_names,
        vec!["fakep_web_1", "web", "aaaaaaaaaaaa"],
        "derived on API 1.41"
    );
    assert_eq!(facts.compose_naming.as_deref(), Some("v1"));
    assert_eq!(facts.networks.len(), 1);
    assert_eq!(facts.networks[0].project.as_deref(), Some(P));

    let nginx = web.nginx.as_ref().unwrap();
    assert!(nginx.log_read);
    assert_eq!(nginx.errors.len(), 1, "{:#?}", nginx.errors);
    assert_eq!(nginx.errors[0].kind, ErrorKind::HostNotFound);
    let fatal = nginx.fatal.as_ref().expect("exited with an emerg");
    assert_eq!(fatal.host.as_deref(), Some("app"));
    assert_eq!(nginx.files, None, "the archive never answered");

    let notes = facts.incomplete.join("\n");
    assert!(
        notes.contains("fakep_gone_1 was removed between listing and inspecting"),
        "{notes}"
    );
    assert!(
        notes.contains("read /etc/nginx from fakep_web_1"),
        "{notes}"
    );
    let paths = fake.paths();
    let logs = paths.iter().find(|p| p.contains("/logs?")).unwrap();
    // since = StartedAt, whole seconds.
    assert!(logs.contains("since=1795242083"), "{logs}");
    assert!(logs.contains("tail=5000"), "{logs}");
}

#[test]
fn list_call_timing_out_is_fatal() {
    let fake = FakeEngine::start("listhang", |path| match path {
        "/version" => version("1.41"),
        _ => Reply::Hang,
    });
    let (client, _) = connect_to(&fake.host(), Duration::from_secs(1)).unwrap();
    let dir = TempDir::new("lhp");
    let project = project(&dir.0, "lhp");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(docker::gather(
            &client,
            &project,
            &[],
            &opts(Duration::from_secs(1)),
        ));
    });
    let e = rx
        .recv_timeout(LIVENESS)
        .expect("gather hangs")
        .unwrap_err();
    assert!(matches!(e, DockerError::Timeout { .. }), "{e}");
    assert!(e.message().contains("list the containers"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The command line against misbehaving engines: partial results marked incomplete within the timeout,
// exit 2 when `--live` can check nothing, never a hang or a panic.

/// Runs the CLI with `DOCKER_HOST=host` (and `prefix` before it, e.g. `setpriv ...`), killed and failed
/// after [`LIVENESS`].
fn cli(dir: &Path, host: &str, prefix: &[&str], args: &[&str]) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_compose-doctor");
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = std::process::Command::new(first);
            c.args(rest).arg(bin);
            c
        }
        None => std::process::Command::new(bin),
    };
    let mut child = cmd
        .args(args)
        .current_dir(dir)
        .env("DOCKER_HOST", host)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run compose-doctor");
    let deadline = std::time::Instant::now() + LIVENESS;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("compose-doctor {args:?} hangs");
        }
        thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    out
}

fn compose_dir(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    std::fs::write(
        dir.0.join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n  gone:\n    image: busybox\n",
    )
    .unwrap();
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An engine with project `P`'s containers `web` (answers) and `gone` (404 on inspect, or a hang).
fn two_container_engine(tag: &str, gone: Reply) -> FakeEngine {
    const P: &str = "fakecli";
    let labels = |svc: &str| {
        serde_json::json!({
            "com.docker.compose.project": P, "com.docker.compose.service": svc,
            "com.docker.compose.container-number": "1", "com.docker.compose.oneoff": "False"
        })
    };
    let list = serde_json::json!([
        {"Id": "aaaaaaaaaaaaaaaa", "Names": ["/fakecli-web-1"], "Labels": labels("web")},
        {"Id": "bbbbbbbbbbbbbbbb", "Names": ["/fakecli-gone-1"], "Labels": labels("gone")}
    ]);
    let inspect = serde_json::json!({
        "Id": "aaaaaaaaaaaaaaaa", "Name": "/fakecli-web-1", "RestartCount": 0,
        "State": {"Status": "exited", "Running": false, "OOMKilled": false, "Pid": 0, "ExitCode": 0,
                  "Error": "", "StartedAt": "2026-11-21T06:21:23Z", "FinishedAt": "2026-11-21T06:21:24Z"},
        "Config": {"Image": "nginx", "Labels": labels("web")},
        "HostConfig": {"NetworkMode": "fakecli_default"},
        "NetworkSettings": {"Networks": {}}
    });
    FakeEngine::start(tag, move |path| match path {
        "/version" => version("1.41"),
        "/v1.41/containers/json" => json(list.clone()),
        "/v1.41/containers/aaaaaaaaaaaaaaaa/json" => json(inspect.clone()),
        "/v1.41/containers/bbbbbbbbbbbbbbbb/json" => gone.clone(),
        p if p.starts_with("/v1.41/networks/") => not_found("network"),
        _ => Reply::Http(404, "application/json", b"{\"message\":\"no\"}".to_vec()),
    })
}

#[test]
fn cli_container_removed_between_list_and_inspect_is_incomplete() {
    let fake = two_container_engine("clirm", not_found("container: bbbbbbbbbbbbbbbb"));
    let dir = compose_dir("clirm");
    let o = cli(
        &dir.0,
        &fake.host(),
        &[],
        &[
            "check",
            "--live",
            "-p",
            "fakecli",
            "--format",
            "json",
            "--docker-timeout",
            "2",
        ],
    );
    let err = text(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{err}");
    assert!(err.contains("live facts incomplete"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["mode"], "live");
    let incomplete = v["live"]["incomplete"].to_string();
    assert!(
        incomplete.contains("removed between listing and inspecting"),
        "{incomplete}"
    );
}

#[test]
fn cli_hanging_inspect_is_incomplete_within_the_timeout() {
    let fake = two_container_engine("clihang", Reply::Hang);
    let dir = compose_dir("clihang");
    let started = std::time::Instant::now();
    let o = cli(
        &dir.0,
        &fake.host(),
        &[],
        &[
            "status",
            "--live",
            "-p",
            "fakecli",
            "--format",
            "json",
            "--docker-timeout",
            "1",
        ],
    );
    let err = text(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let incomplete = v["live"]["incomplete"].to_string();
    assert!(incomplete.contains("fakecli-gone-1"), "{incomplete}");
    // bounded by the timeout, not by the hang (generous: a loaded machine)
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn cli_live_exits_2_when_nothing_can_be_checked() {
    // the list call never answers
    let fake = FakeEngine::start("clilist", |path| match path {
        "/version" => version("1.41"),
        _ => Reply::Hang,
    });
    let dir = compose_dir("clilist");
    let o = cli(
        &dir.0,
        &fake.host(),
        &[],
        &["check", "--live", "--docker-timeout", "1"],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: --live:") && err.contains("list the containers"),
        "{err}"
    );
    // without --live the same engine means a static check with a note
    let o = cli(
        &dir.0,
        &fake.host(),
        &[],
        &["check", "--docker-timeout", "1"],
    );
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        text(&o.stderr)
    );
    assert!(
        text(&o.stderr).contains("note: static check"),
        "{}",
        text(&o.stderr)
    );
    // garbage instead of HTTP
    let fake = FakeEngine::start("cligarb", |_| {
        Reply::Raw(b"\x00\x01garbage\r\n\r\n".to_vec())
    });
    let o = cli(
        &dir.0,
        &fake.host(),
        &[],
        &["check", "--live", "--docker-timeout", "1"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn cli_permission_denied_on_the_socket() {
    // As root, connect() to a 0600 socket succeeds: the CLI has to run as `nobody` to meet EACCES.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| text(&o.stdout).trim() == "0");
    let setpriv = std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !root || !setpriv {
        eprintln!(
            "skipped: needs root and setpriv(1) to run the CLI as nobody (root={root}, setpriv={setpriv})"
        );
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeEngine::start("cliperm", |path| match path {
        "/version" => version("1.41"),
        _ => json(serde_json::json!([])),
    });
    std::fs::set_permissions(&fake.socket, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dir = compose_dir("cliperm");
    for p in [&dir.0, &fake._dir.0] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(
        dir.0.join("compose.yaml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let nobody = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    let o = cli(&dir.0, &fake.host(), &nobody, &["check", "--live"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.to_lowercase().contains("permission denied"), "{err}");
    assert!(
        err.contains("docker` group"),
        "the hint says what to do: {err}"
    );
    // without --live: a static check and a note saying why
    let o = cli(&dir.0, &fake.host(), &nobody, &["check"]);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        text(&o.stderr)
    );
    assert!(
        text(&o.stderr).to_lowercase().contains("permission denied"),
        "{}",
        text(&o.stderr)
    );
}
