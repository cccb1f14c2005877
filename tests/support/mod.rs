//! Real-Docker test harness: local images, compose examples brought up for real, and requests through
//! the nginx they run.
//!
//! Rules this module enforces for every live test:
//! - traffic goes only to 127.0.0.1 (the proxy is published on an ephemeral loopback port);
//! - every project has a unique name (`cdt-<example>-<pid>-<n>`) and is torn down on drop, even when
//!   the test panics (`down -v --remove-orphans -t 2`, then a sweep by the project label);
//! - every external command and every network operation is bounded by a timeout;
//! - without Docker, tests skip with one message, unless `COMPOSE_DOCTOR_REQUIRE_DOCKER=1`.
#![allow(dead_code)] // each integration test binary uses a different part of this module

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Env var that turns "Docker is unreachable" from a skip into a failure.
pub const REQUIRE_DOCKER_ENV: &str = "COMPOSE_DOCTOR_REQUIRE_DOCKER";
/// The two local images built by `tests/images/build.sh`.
pub const NGINX_IMAGE: &str = "compose-doctor-test/nginx:1";
pub const BUSYBOX_IMAGE: &str = "compose-doctor-test/busybox:1";

/// How long one request through nginx may take before it counts as [`Real::Timeout`].
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Upper bound for one docker / compose command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);
/// Upper bound for the proxy to start serving or exit after `up`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound for an `after-up` `wait-exited` step.
const WAIT_EXITED_TIMEOUT: Duration = Duration::from_secs(60);
/// At most this many projects run at once in one test process.
const MAX_RUNNING: usize = 2;

// ---------------------------------------------------------------------------------------------
// Paths

/// The crate root (where `Cargo.toml`, `compose-examples/` and `tests/` live).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `compose-examples/` in the crate root.
pub fn examples_dir() -> PathBuf {
    repo_root().join("compose-examples")
}

/// Names of every example directory, sorted.
pub fn example_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(examples_dir())
        .expect("read compose-examples/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("expected.tsv").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Writes a line to the test process's stderr even when the test harness captures output (the
/// print macros are captured, a direct write is not): skip notices and timings must be seen.
pub fn say(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

// ---------------------------------------------------------------------------------------------
// Running external commands with a timeout

/// What a finished (or killed) command produced.
#[derive(Debug, Clone)]
pub struct CmdOutput {
    /// Exit code; `None` when killed by a signal or by the timeout.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl CmdOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl fmt::Display for CmdOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.timed_out, self.code) {
            (true, _) => write!(f, "timed out")?,
            (false, Some(c)) => write!(f, "exit {c}")?,
            (false, None) => write!(f, "killed by a signal")?,
        }
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let text = text.trim_end();
            if !text.is_empty() {
                write!(f, "\n--- {name}:\n{text}")?;
            }
        }
        Ok(())
    }
}

/// Runs `program args...` with stdin closed, capturing both outputs, killing it after `timeout`.
pub fn run_cmd(program: &str, args: &[String], timeout: Duration) -> CmdOutput {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Compose reads these from the environment; a developer's shell must not change what we run.
    for var in [
        "COMPOSE_FILE",
        "COMPOSE_PROJECT_NAME",
        "COMPOSE_PROFILES",
        "COMPOSE_PATH_SEPARATOR",
    ] {
        cmd.env_remove(var);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return CmdOutput {
                code: None,
                stdout: String::new(),
                stderr: format!("cannot run {program}: {e}"),
                timed_out: false,
            };
        }
    };
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(Duration::from_millis(25)),
            Err(_) => break None,
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    CmdOutput {
        code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        timed_out,
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// `docker ARGS...` with the default command timeout.
pub fn docker(args: &[&str]) -> CmdOutput {
    run_cmd("docker", &strings(args), COMMAND_TIMEOUT)
}

// ---------------------------------------------------------------------------------------------
// Docker availability, compose CLI, images

static DOCKER_STATUS: OnceLock<Result<String, String>> = OnceLock::new();

fn docker_status() -> &'static Result<String, String> {
    DOCKER_STATUS.get_or_init(|| {
        let v = run_cmd(
            "docker",
            &strings(&["version", "--format", "{{.Server.Version}}"]),
            Duration::from_secs(20),
        );
        if !v.success() || v.stdout.trim().is_empty() {
            let why = v
                .stderr
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no answer");
            return Err(format!(
                "the Docker daemon is not reachable ({})",
                why.trim()
            ));
        }
        if compose_cli_detect().is_none() {
            return Err("neither `docker compose` nor `docker-compose` works".to_string());
        }
        Ok(v.stdout.trim().to_string())
    })
}

/// True when Docker (daemon and a compose CLI) is usable. Otherwise prints why, once per process,
/// and returns false, so the caller returns early: unless `COMPOSE_DOCTOR_REQUIRE_DOCKER=1`, in
/// which case it panics.
pub fn docker_or_skip() -> bool {
    static REPORTED: OnceLock<()> = OnceLock::new();
    match docker_status() {
        Ok(_) => true,
        Err(why) => {
            if std::env::var(REQUIRE_DOCKER_ENV).as_deref() == Ok("1") {
                panic!("{why}, and {REQUIRE_DOCKER_ENV}=1 requires Docker for the live tests");
            }
            REPORTED.get_or_init(|| {
                say(&format!(
                    "SKIPPING live Docker tests: {why}. Set {REQUIRE_DOCKER_ENV}=1 to make this a failure."
                ));
            });
            false
        }
    }
}

fn compose_cli_detect() -> Option<Vec<String>> {
    let quick = Duration::from_secs(20);
    if run_cmd("docker", &strings(&["compose", "version"]), quick).success() {
        return Some(strings(&["docker", "compose"]));
    }
    if run_cmd("docker-compose", &strings(&["version"]), quick).success() {
        return Some(strings(&["docker-compose"]));
    }
    None
}

/// The compose command line: `["docker", "compose"]` when the v2 plugin works, else
/// `["docker-compose"]`.
pub fn compose_cli() -> Vec<String> {
    static CLI: OnceLock<Vec<String>> = OnceLock::new();
    CLI.get_or_init(|| compose_cli_detect().unwrap_or_else(|| strings(&["docker-compose"])))
        .clone()
}

/// Runs the compose CLI with `args`.
pub fn compose(args: &[String], timeout: Duration) -> CmdOutput {
    let cli = compose_cli();
    let mut all: Vec<String> = cli[1..].to_vec();
    all.extend(args.iter().cloned());
    run_cmd(&cli[0], &all, timeout)
}

/// Builds the local images once per test process (`tests/images/build.sh`), and removes what
/// earlier, killed test processes left behind.
pub fn ensure_images() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        sweep_dead_projects();
        let out = build_images();
        if out.success() {
            Ok(())
        } else {
            Err(format!("tests/images/build.sh failed: {out}"))
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Runs `tests/images/build.sh` and returns what it printed.
pub fn build_images() -> CmdOutput {
    let script = repo_root().join("tests/images/build.sh");
    run_cmd(
        "bash",
        &[script.to_string_lossy().into_owned()],
        Duration::from_secs(900),
    )
}

/// Removes containers, networks and volumes of `cdt-*-<pid>-<n>` projects whose test process no
/// longer exists (a test binary killed before its guards could run).
fn sweep_dead_projects() {
    let mut projects = BTreeSet::new();
    for kind in [
        &["ps", "-a"][..],
        &["network", "ls"][..],
        &["volume", "ls"][..],
    ] {
        let mut args = kind.to_vec();
        args.extend([
            "--filter",
            "label=com.docker.compose.project",
            "--format",
            "{{.Label \"com.docker.compose.project\"}}",
        ]);
        for line in docker(&args).stdout.lines() {
            projects.insert(line.trim().to_string());
        }
    }
    for project in projects {
        let Some(pid) = project_pid(&project) else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        say(&format!(
            "removing leftovers of dead test project {project}"
        ));
        remove_project_resources(&project);
    }
}

/// The pid in a `cdt-<example>-<pid>-<n>` project name.
fn project_pid(project: &str) -> Option<u32> {
    let rest = project.strip_prefix("cdt-")?;
    let mut parts = rest.rsplitn(3, '-');
    let _counter: u32 = parts.next()?.parse().ok()?;
    let pid = parts.next()?.parse().ok()?;
    parts.next()?; // the example name
    Some(pid)
}

/// Removes every container, network and volume labelled with `project`. Returns what failed.
fn remove_project_resources(project: &str) -> Vec<String> {
    let label = format!("label=com.docker.compose.project={project}");
    let mut errors = Vec::new();
    let ids = |args: &[&str]| -> Vec<String> {
        docker(args)
            .stdout
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let containers = ids(&["ps", "-a", "-q", "--filter", &label]);
    if !containers.is_empty() {
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(containers.iter().map(String::as_str));
        let out = docker(&args);
        if !out.success() {
            errors.push(format!("docker rm: {out}"));
        }
    }
    let networks = ids(&["network", "ls", "-q", "--filter", &label]);
    if !networks.is_empty() {
        let mut args = vec!["network", "rm"];
        args.extend(networks.iter().map(String::as_str));
        let out = docker(&args);
        if !out.success() {
            errors.push(format!("docker network rm: {out}"));
        }
    }
    let volumes = ids(&["volume", "ls", "-q", "--filter", &label]);
    if !volumes.is_empty() {
        let mut args = vec!["volume", "rm", "-f"];
        args.extend(volumes.iter().map(String::as_str));
        let out = docker(&args);
        if !out.success() {
            errors.push(format!("docker volume rm: {out}"));
        }
    }
    errors
}

// ---------------------------------------------------------------------------------------------
// What a request through nginx gave

/// What a request through the proxy really gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Real {
    /// nginx answered with this HTTP status.
    Status(u16),
    /// Nothing serves the published port: the proxy container is not running, or the connection
    /// was refused.
    Down,
    /// No complete status line within [`REQUEST_TIMEOUT`].
    Timeout,
    /// Bytes came back, but not an HTTP status line (nginx relays an HTTP/0.9 reply as is), or
    /// the connection closed with nothing at all while the proxy was running. Holds the first
    /// bytes, lossily decoded.
    Invalid(String),
}

impl fmt::Display for Real {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Real::Status(s) => write!(f, "{s}"),
            Real::Down => write!(f, "down"),
            Real::Timeout => write!(f, "timeout"),
            Real::Invalid(_) => write!(f, "invalid"),
        }
    }
}

impl Real {
    /// Whether this result matches one alternative of a `real` column (`200`, `down`, `timeout`,
    /// `invalid`).
    pub fn matches(&self, word: &str) -> bool {
        match (self, word.trim()) {
            (Real::Status(s), w) => w.parse::<u16>().ok() == Some(*s),
            (Real::Down, "down") | (Real::Timeout, "timeout") | (Real::Invalid(_), "invalid") => {
                true
            }
            _ => false,
        }
    }

    /// Whether this result matches a `real` column, whose alternatives are separated by `|`.
    pub fn matches_column(&self, column: &str) -> bool {
        column.split('|').any(|w| self.matches(w))
    }
}

/// Result of one raw HTTP exchange with 127.0.0.1:`port`.
enum Exchange {
    Status(u16),
    Refused,
    Timeout,
    /// Not a status line; `bytes` may be empty (closed without an answer).
    Other(Vec<u8>),
}

/// Sends `request` to 127.0.0.1:`port` and reads up to the end of the status line.
fn exchange(port: u16, request: &[u8], timeout: Duration) -> Exchange {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT.min(timeout)) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Exchange::Refused,
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Exchange::Timeout,
        Err(_) => return Exchange::Refused,
    };
    let _ = stream.set_write_timeout(Some(CONNECT_TIMEOUT));
    if stream.write_all(request).is_err() {
        return Exchange::Other(Vec::new());
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if got.windows(2).any(|w| w == b"\r\n") || got.contains(&b'\n') {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Exchange::Timeout;
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Exchange::Timeout;
            }
            Err(_) => break,
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    match parse_status_line(&got) {
        Some(s) => Exchange::Status(s),
        None => Exchange::Other(got),
    }
}

/// `HTTP/1.x NNN ...` -> NNN.
fn parse_status_line(bytes: &[u8]) -> Option<u16> {
    let line = bytes.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_whitespace();
    if !words.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = words.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Examples

/// One row of an example's `expected.tsv`.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line number in `expected.tsv`.
    pub line: usize,
    pub path: String,
    pub proxy: String,
    pub target: String,
    pub static_verdict: String,
    pub live_verdict: String,
    /// Measured result, alternatives separated by `|`; `-` when not runnable.
    pub real: String,
}

/// A compose example from `compose-examples/<name>/`.
#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub dir: PathBuf,
    pub compose_file: PathBuf,
    pub rows: Vec<Row>,
    /// `Some(reason)` when `expected.tsv` starts with `# norun: reason`.
    pub norun: Option<String>,
    /// Steps from `after-up` (one compose sub-command per line, or a harness step).
    pub after_up: Vec<String>,
}

impl Example {
    /// Reads `compose-examples/<name>/`. Panics with a clear message on a malformed example.
    pub fn load(name: &str) -> Example {
        let dir = examples_dir().join(name);
        let compose_file = [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yml",
            "docker-compose.yaml",
        ]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name}: no compose file in {}", dir.display()));
        let tsv_path = dir.join("expected.tsv");
        let tsv = std::fs::read_to_string(&tsv_path)
            .unwrap_or_else(|e| panic!("{name}: cannot read expected.tsv: {e}"));
        let mut rows = Vec::new();
        let mut norun = None;
        for (i, line) in tsv.lines().enumerate() {
            if i == 0
                && let Some(reason) = line.strip_prefix("# norun:")
            {
                norun = Some(reason.trim().to_string());
                continue;
            }
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                cols.len(),
                6,
                "{name}/expected.tsv:{}: want 6 tab-separated columns, got {}",
                i + 1,
                cols.len()
            );
            rows.push(Row {
                line: i + 1,
                path: cols[0].to_string(),
                proxy: cols[1].to_string(),
                target: cols[2].to_string(),
                static_verdict: cols[3].to_string(),
                live_verdict: cols[4].to_string(),
                real: cols[5].to_string(),
            });
        }
        let after_up = match std::fs::read_to_string(dir.join("after-up")) {
            Ok(text) => text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect(),
            Err(_) => Vec::new(),
        };
        Example {
            name: name.to_string(),
            dir,
            compose_file,
            rows,
            norun,
            after_up,
        }
    }

    /// The proxy services named in `expected.tsv` (at least `proxy`).
    pub fn proxies(&self) -> Vec<String> {
        let mut set: BTreeSet<String> = self.rows.iter().map(|r| r.proxy.clone()).collect();
        if set.is_empty() {
            set.insert("proxy".to_string());
        }
        set.into_iter().collect()
    }

    /// Brings the example up under a unique project name, waits for the proxy to serve or exit,
    /// runs the `after-up` steps. A failing `up` is recorded, not fatal: see [`Running::up_output`].
    /// Panics for an example marked `# norun`.
    pub fn up(&self) -> Running {
        if let Some(reason) = &self.norun {
            panic!(
                "{} is marked norun ({reason}) and must never be brought up",
                self.name
            );
        }
        ensure_images();
        let permit = Permit::acquire();
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let project = format!(
            "cdt-{}-{}-{}",
            self.name,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut running = Running {
            example: self.clone(),
            project,
            before: snapshot(&self.dir),
            up_output: None,
            ports: BTreeMap::new(),
            ips_at_start: BTreeMap::new(),
            steps: Vec::new(),
            torn_down: false,
            _permit: permit,
        };
        let out = running.compose(&["up", "-d"]);
        running.up_output = Some(out);
        running.wait_for_proxies();
        running.ips_at_start = running.service_ips();
        for step in self.after_up.clone() {
            let out = running.run_step(&step);
            running.steps.push((step, out));
        }
        running
    }
}

/// Every path under `dir`, to find what Docker created there (a missing bind source becomes an
/// empty directory).
fn snapshot(dir: &Path) -> BTreeSet<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p.clone());
            }
            seen.insert(p);
        }
    }
    seen
}

/// Limits how many projects run at once in this process.
struct Permit;

static SLOTS: Mutex<usize> = Mutex::new(0);
static SLOT_FREED: Condvar = Condvar::new();

impl Permit {
    fn acquire() -> Permit {
        let mut used = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
        while *used >= MAX_RUNNING {
            used = SLOT_FREED.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += 1;
        Permit
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut used = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
        *used -= 1;
        SLOT_FREED.notify_one();
    }
}

/// A running example project. Dropping it tears everything down.
pub struct Running {
    example: Example,
    project: String,
    before: BTreeSet<PathBuf>,
    up_output: Option<CmdOutput>,
    /// Published loopback port of each proxy service that was serving after `up`.
    ports: BTreeMap<String, u16>,
    ips_at_start: BTreeMap<String, Vec<String>>,
    steps: Vec<(String, CmdOutput)>,
    torn_down: bool,
    _permit: Permit,
}

impl Running {
    pub fn project(&self) -> &str {
        &self.project
    }

    pub fn example(&self) -> &Example {
        &self.example
    }

    /// `-p P -f FILE --project-directory DIR`: the arguments that address this running project,
    /// for compose or for `compose-doctor check --live`.
    pub fn compose_args(&self) -> Vec<String> {
        vec![
            "-p".to_string(),
            self.project.clone(),
            "-f".to_string(),
            self.example.compose_file.to_string_lossy().into_owned(),
            "--project-directory".to_string(),
            self.example.dir.to_string_lossy().into_owned(),
        ]
    }

    /// Runs a compose sub-command against this project.
    pub fn compose(&self, args: &[&str]) -> CmdOutput {
        let mut all = self.compose_args();
        all.extend(args.iter().map(|s| s.to_string()));
        compose(&all, COMMAND_TIMEOUT)
    }

    /// What `up -d` printed and returned.
    pub fn up_output(&self) -> &CmdOutput {
        self.up_output.as_ref().expect("up ran")
    }

    /// Each `after-up` step with what it printed and returned.
    pub fn steps(&self) -> &[(String, CmdOutput)] {
        &self.steps
    }

    /// Container ids of `service` (including stopped ones, excluding one-off `run` containers).
    pub fn container_ids(&self, service: &str) -> Vec<String> {
        let project = format!("label=com.docker.compose.project={}", self.project);
        let service = format!("label=com.docker.compose.service={service}");
        docker(&[
            "ps",
            "-a",
            "-q",
            "--no-trunc",
            "--filter",
            &project,
            "--filter",
            &service,
            "--filter",
            "label=com.docker.compose.oneoff=False",
        ])
        .stdout
        .split_whitespace()
        .map(str::to_string)
        .collect()
    }

    /// `docker inspect -f FORMAT` of the first container of `service`.
    pub fn inspect(&self, service: &str, format: &str) -> Option<String> {
        let id = self.container_ids(service).into_iter().next()?;
        let out = docker(&["inspect", "-f", format, &id]);
        out.success().then(|| out.stdout.trim().to_string())
    }

    /// `State.Status` of the first container of `service` (`running`, `exited`, `created`...).
    pub fn state(&self, service: &str) -> Option<String> {
        self.inspect(service, "{{.State.Status}}")
    }

    pub fn is_running(&self, service: &str) -> bool {
        self.state(service).as_deref() == Some("running")
    }

    /// Whether the first container of `service` was OOM-killed (`State.OOMKilled`).
    pub fn oom_killed(&self, service: &str) -> Option<bool> {
        self.inspect(service, "{{.State.OOMKilled}}")
            .map(|s| s == "true")
    }

    /// Current IP addresses of every service's containers, by service name.
    pub fn service_ips(&self) -> BTreeMap<String, Vec<String>> {
        let label = format!("label=com.docker.compose.project={}", self.project);
        let mut ips: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let ids = docker(&["ps", "-q", "--no-trunc", "--filter", &label]).stdout;
        for id in ids.split_whitespace() {
            let out = docker(&[
                "inspect",
                "-f",
                "{{index .Config.Labels \"com.docker.compose.service\"}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                id,
            ]);
            let mut words = out.stdout.split_whitespace();
            if let Some(service) = words.next() {
                ips.entry(service.to_string())
                    .or_default()
                    .extend(words.map(str::to_string));
            }
        }
        ips
    }

    /// IPs by service as they were right after `up` (before the `after-up` steps).
    pub fn ips_at_start(&self) -> &BTreeMap<String, Vec<String>> {
        &self.ips_at_start
    }

    /// Output of `docker logs` of the first container of `service` (both streams, last lines).
    pub fn logs(&self, service: &str) -> String {
        let Some(id) = self.container_ids(service).into_iter().next() else {
            return format!("(no container for {service})");
        };
        let out = docker(&["logs", "--tail", "40", &id]);
        format!("{}{}", out.stdout, out.stderr)
    }

    /// The published loopback port of `service`'s port 80, if it is published now.
    fn published_port(&self, service: &str) -> Option<u16> {
        let out = self.compose(&["port", service, "80"]);
        if !out.success() {
            return None;
        }
        let line = out.stdout.lines().find(|l| l.starts_with("127.0.0.1:"))?;
        line.rsplit(':').next()?.trim().parse().ok()
    }

    fn wait_for_proxies(&mut self) {
        for proxy in self.example.proxies() {
            if let Some(port) = self.wait_for_proxy(&proxy) {
                self.ports.insert(proxy, port);
            }
        }
    }

    /// Polls until `service` serves HTTP on its published port (returns the port) or is not
    /// running any more (returns None). Bounded by [`READY_TIMEOUT`].
    fn wait_for_proxy(&self, service: &str) -> Option<u16> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut port = None;
        loop {
            match self.state(service).as_deref() {
                Some("running") | Some("restarting") => {}
                // created (never started), exited, dead, or no container at all
                _ => return None,
            }
            if port.is_none() {
                port = self.published_port(service);
            }
            if let Some(p) = port {
                // An HTTP/1.1 request without Host: nginx answers 400 itself, nothing is proxied.
                if let Exchange::Status(_) = exchange(
                    p,
                    b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
                    Duration::from_secs(5),
                ) {
                    return Some(p);
                }
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "{}: {service} neither served nor exited within {READY_TIMEOUT:?}",
                    self.project
                );
                return port.filter(|_| self.is_running(service));
            }
            thread::sleep(Duration::from_millis(250));
        }
    }

    fn run_step(&self, step: &str) -> CmdOutput {
        let words: Vec<&str> = step.split_whitespace().collect();
        let ok = |text: String| CmdOutput {
            code: Some(0),
            stdout: text,
            stderr: String::new(),
            timed_out: false,
        };
        match words.as_slice() {
            ["sleep", secs] => {
                let secs: f64 = secs.parse().unwrap_or_else(|_| panic!("bad step `{step}`"));
                thread::sleep(Duration::from_secs_f64(secs));
                ok(String::new())
            }
            ["wait-exited", service] => {
                let deadline = Instant::now() + WAIT_EXITED_TIMEOUT;
                loop {
                    let state = self.state(service);
                    if state.as_deref() != Some("running") {
                        return ok(format!("{service}: {}", state.unwrap_or_default()));
                    }
                    if Instant::now() >= deadline {
                        return CmdOutput {
                            code: Some(1),
                            stdout: String::new(),
                            stderr: format!(
                                "{service} still running after {WAIT_EXITED_TIMEOUT:?}"
                            ),
                            timed_out: true,
                        };
                    }
                    thread::sleep(Duration::from_millis(200));
                }
            }
            _ => {
                let out = self.compose(&words);
                if !out.success() {
                    eprintln!("{}: after-up step `{step}` failed: {out}", self.project);
                }
                out
            }
        }
    }

    /// `GET path` through `proxy` (`Host: localhost`, `Connection: close`).
    pub fn request_via(&self, proxy: &str, path: &str) -> Real {
        if !self.is_running(proxy) {
            return Real::Down;
        }
        let port = match self.ports.get(proxy) {
            Some(p) => *p,
            None => match self.published_port(proxy) {
                Some(p) => p,
                None => return Real::Down,
            },
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: compose-doctor-tests\r\nConnection: close\r\n\r\n"
        );
        match exchange(port, request.as_bytes(), REQUEST_TIMEOUT) {
            Exchange::Status(s) => Real::Status(s),
            Exchange::Refused => Real::Down,
            Exchange::Timeout => Real::Timeout,
            Exchange::Other(bytes) if bytes.is_empty() && !self.is_running(proxy) => Real::Down,
            Exchange::Other(bytes) => {
                Real::Invalid(String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned())
            }
        }
    }

    /// `GET path` through the service `proxy`.
    pub fn request(&self, path: &str) -> Real {
        self.request_via("proxy", path)
    }

    /// Tears the project down and reports what could not be removed.
    pub fn down(mut self) -> Result<(), String> {
        self.teardown()
    }

    fn teardown(&mut self) -> Result<(), String> {
        if self.torn_down {
            return Ok(());
        }
        self.torn_down = true;
        let mut errors = Vec::new();
        let out = self.compose(&["down", "-v", "--remove-orphans", "-t", "2"]);
        if !out.success() {
            errors.push(format!("compose down: {out}"));
        }
        // Whatever compose left (services of inactive profiles, failed creations): by label.
        errors.extend(remove_project_resources(&self.project));
        // A missing bind source makes Docker create an empty directory in the example: remove it.
        let created: Vec<PathBuf> = snapshot(&self.example.dir)
            .difference(&self.before)
            .cloned()
            .collect();
        for path in created.iter().rev() {
            if path.is_dir()
                && let Err(e) = std::fs::remove_dir(path)
            {
                errors.push(format!(
                    "cannot remove {} created by Docker: {e}",
                    path.display()
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{}: teardown: {}", self.project, errors.join("; ")))
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            eprintln!("{e}");
        }
    }
}
