//! One project's live facts: list, parallel inspects, networks, sockets, nginx files and log.

use super::{DockerError, DockerOptions, errorlog, fmt_duration, procnet, tar, time};
use crate::compose::Project;
use crate::live::{
    Endpoint, ErrorLogEntry, Health, Listener, LiveContainer, LiveFacts, LiveNetwork, NginxLive,
};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerInspectResponse, NetworkInspect};
use bollard::query_parameters::{
    DownloadFromContainerOptionsBuilder, ListContainersOptionsBuilder, LogsOptionsBuilder,
};
use futures_util::{Stream, StreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;
use tokio::time::Instant;

/// How many engine calls run at once (inspects, network inspects, per-container reads).
const PARALLEL: usize = 16;
/// The most log lines asked for, and the most bytes read of them.
const LOG_TAIL: &str = "5000";
const LOG_MAX_BYTES: usize = 8 << 20;
/// The most bytes read of a config directory archive, and the largest file kept from it.
const ARCHIVE_MAX_BYTES: usize = 32 << 20;
const CONFIG_FILE_MAX_BYTES: u64 = 1 << 20;
/// The most bytes read of an exec's output.
const EXEC_MAX_BYTES: usize = 4 << 20;
/// Health output is cut to about this many characters.
const HEALTH_OUTPUT_CHARS: usize = 300;

const LABEL_PROJECT: &str = "com.docker.compose.project";
const LABEL_SERVICE: &str = "com.docker.compose.service";
const LABEL_NUMBER: &str = "com.docker.compose.container-number";
const LABEL_ONEOFF: &str = "com.docker.compose.oneoff";
const LABEL_VERSION: &str = "com.docker.compose.version";

pub(crate) struct Ctx<'a> {
    pub docker: &'a Docker,
    pub endpoint: String,
    /// The engine shares our `/proc` (a local socket).
    pub local: bool,
    /// The negotiated API version.
    pub api: (u64, u64),
    pub opts: &'a DockerOptions,
}

/// A failed call: the error, and whether the engine said "no such object" (404).
pub(crate) struct Fail {
    pub error: DockerError,
    pub not_found: bool,
}

impl Ctx<'_> {
    /// Awaits `fut` within the timeout; maps bollard's errors.
    async fn call<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, Fail> {
        match tokio::time::timeout(self.opts.timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                let not_found = matches!(
                    e,
                    bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        ..
                    }
                );
                Err(Fail {
                    error: map_error(e, &self.endpoint, what, self.opts.timeout),
                    not_found,
                })
            }
            Err(_) => Err(Fail {
                error: DockerError::Timeout {
                    endpoint: self.endpoint.clone(),
                    message: format!(
                        "no answer within {} to {what}",
                        fmt_duration(self.opts.timeout)
                    ),
                },
                not_found: false,
            }),
        }
    }
}

/// What a bollard error means for the user.
pub(crate) fn map_error(
    e: bollard::errors::Error,
    endpoint: &str,
    what: &str,
    timeout: Duration,
) -> DockerError {
    use bollard::errors::Error as B;
    let endpoint = endpoint.to_string();
    match e {
        B::RequestTimeoutError => DockerError::Timeout {
            endpoint,
            message: format!("no answer within {} to {what}", fmt_duration(timeout)),
        },
        B::SocketNotFoundError(path) => DockerError::NoDaemon {
            endpoint,
            message: format!("no Docker daemon: socket {path} does not exist"),
        },
        B::DockerResponseServerError {
            status_code,
            message,
        } => DockerError::Protocol {
            endpoint,
            message: format!(
                "{what}: the engine answered HTTP {status_code}: {}",
                one_line(&message, 200)
            ),
        },
        B::JsonDataError { message, .. } => DockerError::Protocol {
            endpoint,
            message: format!("{what}: unexpected answer: {}", one_line(&message, 200)),
        },
        B::JsonSerdeError { err } => DockerError::Protocol {
            endpoint,
            message: format!("{what}: unexpected answer: {err}"),
        },
        other => {
            // A connection problem shows up as an io::Error somewhere in the source chain.
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&other);
            while let Some(s) = source {
                if let Some(io) = s.downcast_ref::<std::io::Error>() {
                    return super::handshake::connect_error(&endpoint, io, "the engine");
                }
                source = s.source();
            }
            DockerError::Protocol {
                endpoint,
                message: format!("{what}: {}", one_line(&other.to_string(), 200)),
            }
        }
    }
}

fn one_line(s: &str, max: usize) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cut(s.trim(), max)
}

/// At most `max` characters, with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

pub(crate) async fn run(
    ctx: &Ctx<'_>,
    project: &Project,
    nginx_services: &[(String, String)],
) -> Result<LiveFacts, DockerError> {
    let mut facts = LiveFacts::default();

    // 1. One list call for the whole project.
    let mut filters = HashMap::new();
    filters.insert("label", vec![format!("{LABEL_PROJECT}={}", project.name)]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let list = ctx
        .call(
            &format!("list the containers of project {}", project.name),
            ctx.docker.list_containers(Some(options)),
        )
        .await
        .map_err(|f| f.error)?;
    let mut ids: Vec<(String, String)> = list
        .into_iter()
        .filter(|c| {
            let labels = c.labels.as_ref();
            // Compose writes `True`/`False`; anything true-ish is a one-off `run` container.
            let oneoff = labels
                .and_then(|l| l.get(LABEL_ONEOFF))
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            // The filter is the engine's; check the label ourselves too (a fake or odd engine).
            let ours = labels.and_then(|l| l.get(LABEL_PROJECT)) == Some(&project.name);
            !oneoff && ours
        })
        .filter_map(|c| {
            let name = c
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default();
            c.id.map(|id| (id, name))
        })
        .collect();
    ids.sort_by(|a, b| a.1.cmp(&b.1));

    // 2. Inspect every container, in parallel.
    let inspects: Vec<_> = futures_util::stream::iter(ids.iter())
        .map(|(id, name)| async move {
            let what = format!("inspect container {name}");
            (
                name,
                ctx.call(&what, ctx.docker.inspect_container(id, None))
                    .await,
            )
        })
        .buffered(PARALLEL)
        .collect()
        .await;
    let mut versions = Vec::new();
    for (name, result) in inspects {
        match result {
            Ok(inspect) => {
                versions.push(
                    inspect
                        .config
                        .as_ref()
                        .and_then(|c| c.labels.as_ref())
                        .and_then(|l| l.get(LABEL_VERSION))
                        .cloned(),
                );
                facts
                    .containers
                    .push(container_from_inspect(&inspect, ctx.api));
            }
            Err(f) if f.not_found => facts.incomplete.push(format!(
                "container {name} was removed between listing and inspecting it"
            )),
            Err(f) => match f.error {
                e @ (DockerError::NoDaemon { .. } | DockerError::PermissionDenied { .. }) => {
                    return Err(e);
                }
                e => facts
                    .incomplete
                    .push(format!("container {name}: {}", e.message())),
            },
        }
    }
    facts
        .containers
        .sort_by(|a, b| (&a.service, a.number, &a.name).cmp(&(&b.service, b.number, &b.name)));
    facts.compose_naming = compose_naming(&project.name, &facts.containers, &versions);

    // 3. The networks they are on, plus the project's declared networks that exist.
    let mut wanted: Vec<(String, bool)> = Vec::new(); // (id or name, declared only)
    let mut seen = BTreeSet::new();
    for c in &facts.containers {
        for ep in &c.networks {
            if !ep.network_id.is_empty() && seen.insert(ep.network_id.clone()) {
                wanted.push((ep.network_id.clone(), false));
            }
        }
    }
    let attached_names: BTreeSet<&str> = facts
        .containers
        .iter()
        .flat_map(|c| c.networks.iter().map(|e| e.network.as_str()))
        .collect();
    for net in project.networks.values() {
        if !attached_names.contains(net.docker_name.as_str())
            && seen.insert(net.docker_name.clone())
        {
            wanted.push((net.docker_name.clone(), true));
        }
    }
    let networks: Vec<_> = futures_util::stream::iter(wanted.iter())
        .map(|(key, declared)| async move {
            let what = format!("inspect network {key}");
            let r = ctx.call(&what, ctx.docker.inspect_network(key, None)).await;
            (key, *declared, r)
        })
        .buffered(PARALLEL)
        .collect()
        .await;
    let mut net_ids = BTreeSet::new();
    for (key, declared, r) in networks {
        match r {
            Ok(n) => {
                let n = network_from_inspect(&n);
                if net_ids.insert(n.id.clone()) {
                    facts.networks.push(n);
                }
            }
            Err(f) if f.not_found && declared => {} // declared but not created: not live
            Err(f) if f.not_found => facts
                .incomplete
                .push(format!("network {key} was removed while reading it")),
            Err(f) => facts
                .incomplete
                .push(format!("network {key}: {}", f.error.message())),
        }
    }
    facts.networks.sort_by(|a, b| a.name.cmp(&b.name));

    // 4. Per container: listening sockets; for nginx containers, files and log. In parallel.
    let nginx_dirs: BTreeMap<&str, &str> = nginx_services
        .iter()
        .map(|(s, d)| (s.as_str(), d.as_str()))
        .collect();
    let extras: Vec<_> = futures_util::stream::iter(facts.containers.iter())
        .map(|c| {
            let dir = nginx_dirs.get(c.service.as_str()).copied();
            async move { container_extras(ctx, c, dir).await }
        })
        .buffered(PARALLEL)
        .collect()
        .await;
    for (c, extra) in facts.containers.iter_mut().zip(extras) {
        c.listening = extra.listening;
        c.listening_source = extra.listening_source;
        c.nginx = extra.nginx;
        facts.incomplete.extend(extra.notes);
    }
    Ok(facts)
}

struct Extras {
    listening: Option<Vec<Listener>>,
    listening_source: Option<String>,
    nginx: Option<NginxLive>,
    notes: Vec<String>,
}

async fn container_extras(ctx: &Ctx<'_>, c: &LiveContainer, nginx_dir: Option<&str>) -> Extras {
    let mut extras = Extras {
        listening: None,
        listening_source: None,
        nginx: None,
        notes: Vec::new(),
    };
    let wanted = match &ctx.opts.sockets_for {
        None => true,
        Some(names) => {
            let has = |n: &str| names.contains(&n.to_ascii_lowercase());
            has(&c.service)
                || has(&c.name)
                || c.networks.iter().any(|e| {
                    e.aliases.iter().chain(&e.dns_names).any(|a| has(a))
                        || e.ipv4.is_some_and(|ip| has(&ip.to_string()))
                        || e.ipv6.is_some_and(|ip| has(&ip.to_string()))
                })
        }
    };
    let sockets = async {
        if ctx.opts.read_sockets && wanted && c.pid.is_some() {
            Some(listening(ctx, c).await)
        } else {
            None
        }
    };
    let nginx = async {
        match nginx_dir {
            Some(dir) => Some(nginx_live(ctx, c, dir).await),
            None => None,
        }
    };
    let (sockets, nginx) = futures_util::join!(sockets, nginx);
    if let Some((result, notes)) = sockets {
        if let Some((list, source)) = result {
            extras.listening = Some(list);
            extras.listening_source = Some(source.to_string());
        }
        extras.notes.extend(notes);
    }
    if let Some((live, notes)) = nginx {
        extras.nginx = Some(live);
        extras.notes.extend(notes);
    }
    extras
}

/// Listening sockets from `/proc/<pid>/net/tcp*` on a local engine, else from `cat` in the container.
async fn listening(
    ctx: &Ctx<'_>,
    c: &LiveContainer,
) -> (Option<(Vec<Listener>, &'static str)>, Vec<String>) {
    let mut why_not_proc = "the engine is not local".to_string();
    if ctx.local
        && let Some(pid) = c.pid
    {
        // The kernel walks its whole TCP hash table for each read (~1.5 ms here): off the I/O thread, so
        // that containers are read in parallel and the engine calls go on meanwhile.
        let id = c.id.clone();
        let read = tokio::task::spawn_blocking(move || read_proc_listeners(pid, &id)).await;
        match read {
            Ok(Ok(list)) => return (Some((list, "proc")), Vec::new()),
            Ok(Err(e)) => why_not_proc = e,
            Err(e) => why_not_proc = format!("reading /proc failed ({e})"),
        }
    }
    if c.state != "running" {
        return (
            None,
            vec![format!(
                "listening sockets of {}: {why_not_proc}, and it is {} (no exec)",
                c.name, c.state
            )],
        );
    }
    match exec_listeners(ctx, &c.id, &c.name).await {
        Ok(list) => (Some((list, "exec")), Vec::new()),
        Err(e) => (
            None,
            vec![format!(
                "listening sockets of {}: {why_not_proc}, and reading them inside the container failed: {e}",
                c.name
            )],
        ),
    }
}

/// Reads the container's network namespace tables through the host's `/proc`, after checking that the PID
/// really is this container's (a remote or namespaced engine's PIDs mean nothing here).
pub(crate) fn read_proc_listeners(pid: u32, container_id: &str) -> Result<Vec<Listener>, String> {
    let base = std::path::PathBuf::from(format!("/proc/{pid}"));
    let cgroup = std::fs::read_to_string(base.join("cgroup"))
        .map_err(|e| format!("cannot read /proc/{pid}/cgroup ({e})"))?;
    if container_id.len() < 12 || !cgroup.contains(container_id) {
        return Err(format!(
            "PID {pid} in this machine's /proc is not the container's process"
        ));
    }
    let v4 = std::fs::read_to_string(base.join("net/tcp"))
        .map_err(|e| format!("cannot read /proc/{pid}/net/tcp ({e})"))?;
    // No tcp6 table when IPv6 is disabled in the kernel.
    let v6 = std::fs::read_to_string(base.join("net/tcp6")).unwrap_or_default();
    Ok(procnet::parse_listeners(&format!("{v4}{v6}")))
}

/// `cat /proc/net/tcp /proc/net/tcp6` in the container (images without `cat` cannot do this).
pub(crate) async fn exec_listeners(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
) -> Result<Vec<Listener>, String> {
    let config = CreateExecOptions {
        cmd: Some(vec!["cat", "/proc/net/tcp", "/proc/net/tcp6"]),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let what = format!("create an exec in {name}");
    let created = ctx
        .call(&what, ctx.docker.create_exec(id, config))
        .await
        .map_err(|f| f.error.message().to_string())?;
    let what = format!("start an exec in {name}");
    let started = ctx
        .call(&what, ctx.docker.start_exec(&created.id, None))
        .await
        .map_err(|f| f.error.message().to_string())?;
    let StartExecResults::Attached { output, .. } = started else {
        return Err("the exec did not attach".into());
    };
    let collected = collect_logs(output, ctx.opts.timeout, EXEC_MAX_BYTES).await;
    let out = String::from_utf8_lossy(&collected.stdout).into_owned();
    if procnet::looks_like_table(&out) {
        return Ok(procnet::parse_listeners(&out));
    }
    if collected.timed_out {
        return Err(format!(
            "no output within {}",
            fmt_duration(ctx.opts.timeout)
        ));
    }
    let err = String::from_utf8_lossy(&collected.stderr);
    let exit = ctx
        .call("inspect the exec", ctx.docker.inspect_exec(&created.id))
        .await
        .ok()
        .and_then(|i| i.exit_code);
    let mut why = match exit {
        Some(code) => format!("`cat` exited with {code}"),
        None => "`cat` gave no table".to_string(),
    };
    if let Some(e) = collected.error {
        why.push_str(&format!(" ({})", one_line(&e, 160)));
    } else if !err.trim().is_empty() {
        why.push_str(&format!(" ({})", one_line(&err, 160)));
    } else if !out.trim().is_empty() {
        // The runtime's own complaint (no `cat` in the image) arrives on the output stream.
        why.push_str(&format!(" ({})", one_line(&out, 160)));
    }
    Err(why)
}

struct Collected {
    /// Both streams in the order they arrived.
    combined: Vec<u8>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    timed_out: bool,
    too_big: bool,
    error: Option<String>,
}

/// Reads a log-style stream until it ends, the deadline passes or `max` bytes arrived.
async fn collect_logs(
    mut stream: impl Stream<Item = Result<LogOutput, bollard::errors::Error>> + Unpin,
    timeout: Duration,
    max: usize,
) -> Collected {
    let deadline = Instant::now() + timeout;
    let mut c = Collected {
        combined: Vec::new(),
        stdout: Vec::new(),
        stderr: Vec::new(),
        timed_out: false,
        too_big: false,
        error: None,
    };
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => {
                c.timed_out = true;
                break;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                c.error = Some(e.to_string());
                break;
            }
            Ok(Some(Ok(item))) => {
                match item {
                    LogOutput::StdErr { message } => {
                        c.stderr.extend_from_slice(&message);
                        c.combined.extend_from_slice(&message);
                    }
                    LogOutput::StdOut { message } | LogOutput::Console { message } => {
                        c.stdout.extend_from_slice(&message);
                        c.combined.extend_from_slice(&message);
                    }
                    LogOutput::StdIn { .. } => {}
                }
                if c.combined.len() > max {
                    c.too_big = true;
                    break;
                }
            }
        }
    }
    c
}

/// How reading an archive stream ended.
enum StreamEnd {
    Complete,
    TimedOut,
    TooBig,
    Failed(Fail),
}

/// Reads a byte stream (an archive) until it ends, the deadline passes or `max` bytes arrived.
async fn collect_bytes<B: AsRef<[u8]>>(
    ctx: &Ctx<'_>,
    what: &str,
    mut stream: impl Stream<Item = Result<B, bollard::errors::Error>> + Unpin,
    max: usize,
) -> (Vec<u8>, StreamEnd) {
    let deadline = Instant::now() + ctx.opts.timeout;
    let mut buf = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => return (buf, StreamEnd::TimedOut),
            Ok(None) => return (buf, StreamEnd::Complete),
            Ok(Some(Err(e))) => {
                let not_found = matches!(
                    e,
                    bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        ..
                    }
                );
                let error = map_error(e, &ctx.endpoint, what, ctx.opts.timeout);
                return (buf, StreamEnd::Failed(Fail { error, not_found }));
            }
            Ok(Some(Ok(chunk))) => {
                buf.extend_from_slice(chunk.as_ref());
                if buf.len() > max {
                    return (buf, StreamEnd::TooBig);
                }
            }
        }
    }
}

/// The config files and the error log of an nginx container.
async fn nginx_live(ctx: &Ctx<'_>, c: &LiveContainer, dir: &str) -> (NginxLive, Vec<String>) {
    let files = async {
        if ctx.opts.read_files {
            Some(read_config_files(ctx, c, dir).await)
        } else {
            None
        }
    };
    let log = async {
        if ctx.opts.read_logs {
            Some(read_error_log(ctx, c).await)
        } else {
            None
        }
    };
    let (files, log) = futures_util::join!(files, log);
    let mut live = NginxLive::default();
    let mut notes = Vec::new();
    if let Some((files, n)) = files {
        live.files = files;
        notes.extend(n);
    }
    if let Some((errors, read, n)) = log {
        live.errors = errors;
        live.log_read = read;
        notes.extend(n);
    }
    if !c.is_running() {
        live.fatal = last_emerg(&live.errors);
    }
    (live, notes)
}

/// The last `[emerg]` entry (what made nginx exit, when it is not running).
pub(crate) fn last_emerg(errors: &[ErrorLogEntry]) -> Option<ErrorLogEntry> {
    errors
        .iter()
        .filter(|e| e.level == "emerg")
        .max_by(|a, b| {
            let ta = a.last_time.as_deref().unwrap_or(&a.time);
            let tb = b.last_time.as_deref().unwrap_or(&b.time);
            ta.cmp(tb)
        })
        .cloned()
}

/// The regular text files under `dir` in the container (archive API), as (container path, text).
async fn read_config_files(
    ctx: &Ctx<'_>,
    c: &LiveContainer,
    dir: &str,
) -> (Option<Vec<(String, String)>>, Vec<String>) {
    let dir = match dir.trim_end_matches('/') {
        "" => "/",
        d => d,
    };
    let what = format!("read {dir} from {}", c.name);
    let options = DownloadFromContainerOptionsBuilder::new().path(dir).build();
    let stream = ctx.docker.download_from_container(&c.id, Some(options));
    let (bytes, end) = collect_bytes(ctx, &what, stream, ARCHIVE_MAX_BYTES).await;
    let mut notes = Vec::new();
    let complete = matches!(end, StreamEnd::Complete);
    match end {
        StreamEnd::Complete => {}
        StreamEnd::Failed(f) if f.not_found => {
            notes.push(format!("{dir} does not exist in {}", c.name));
            return (None, notes);
        }
        StreamEnd::Failed(f) => {
            notes.push(format!("cannot {what}: {}", f.error.message()));
            return (None, notes);
        }
        StreamEnd::TimedOut => notes.push(format!(
            "cannot {what} completely: no end within {}",
            fmt_duration(ctx.opts.timeout)
        )),
        StreamEnd::TooBig => notes.push(format!(
            "{dir} in {} is larger than {} MiB: read only the first files",
            c.name,
            ARCHIVE_MAX_BYTES >> 20
        )),
    }
    let (files, more) = files_from_archive(&bytes, dir, &c.name);
    if !complete && files.is_empty() {
        // Nothing arrived before the stream stopped: the files are unknown, not absent.
        return (None, notes);
    }
    notes.extend(more);
    (Some(files), notes)
}

/// Regular text files of an archive of `dir` (entries are named relative to `dir`'s parent), by container
/// path; notes for files skipped because of their size or a cut-off archive. Binary files (a NUL byte) and
/// links are left out silently.
pub(crate) fn files_from_archive(
    bytes: &[u8],
    dir: &str,
    container: &str,
) -> (Vec<(String, String)>, Vec<String>) {
    let archive = tar::read(bytes, CONFIG_FILE_MAX_BYTES);
    let parent = match dir.rsplit_once('/') {
        Some(("", _)) | None => "",
        Some((p, _)) => p,
    };
    let mut files = Vec::new();
    let mut notes = Vec::new();
    for e in &archive.entries {
        if e.kind != tar::EntryKind::File {
            continue;
        }
        let name = e.name.trim_start_matches("./").trim_end_matches('/');
        if name.split('/').any(|part| part == "..") {
            continue;
        }
        let path = format!("{parent}/{name}");
        match &e.data {
            Some(data) if data.contains(&0) => {}
            Some(data) => files.push((path, String::from_utf8_lossy(data).into_owned())),
            None => notes.push(format!(
                "{path} in {container} was not read: {} bytes, over the {} KiB limit",
                e.size,
                CONFIG_FILE_MAX_BYTES >> 10
            )),
        }
    }
    if let Some(why) = &archive.truncated {
        notes.push(format!(
            "the archive of {dir} from {container} ended early ({why})"
        ));
    }
    files.sort();
    (files, notes)
}

/// nginx's error log from the container's output since it started: (entries, read completely, notes).
async fn read_error_log(
    ctx: &Ctx<'_>,
    c: &LiveContainer,
) -> (Vec<ErrorLogEntry>, bool, Vec<String>) {
    let since = c
        .started_at_unix
        .map(|t| t.floor().clamp(0.0, f64::from(i32::MAX)) as i32)
        .unwrap_or(0);
    let options = LogsOptionsBuilder::new()
        .stdout(true)
        .stderr(true)
        .since(since)
        .tail(LOG_TAIL)
        .timestamps(false)
        .build();
    let stream = ctx.docker.logs(&c.id, Some(options));
    let collected = collect_logs(stream, ctx.opts.timeout, LOG_MAX_BYTES).await;
    let errors = errorlog::parse_log(&String::from_utf8_lossy(&collected.combined));
    let mut notes = Vec::new();
    let mut read = true;
    if let Some(e) = &collected.error {
        read = false;
        notes.push(format!(
            "cannot read the log of {}: {}",
            c.name,
            one_line(e, 200)
        ));
    } else if collected.timed_out {
        read = false;
        notes.push(format!(
            "the log of {} did not end within {}: read only its start",
            c.name,
            fmt_duration(ctx.opts.timeout)
        ));
    } else if collected.too_big {
        notes.push(format!(
            "the log of {} is larger than {} MiB: read only its start",
            c.name,
            LOG_MAX_BYTES >> 20
        ));
    }
    (errors, read, notes)
}

/// A container as the inspect API shows it (sockets and nginx facts are filled later).
pub(crate) fn container_from_inspect(
    i: &ContainerInspectResponse,
    api: (u64, u64),
) -> LiveContainer {
    let config = i.config.as_ref();
    let labels = config.and_then(|c| c.labels.as_ref());
    let label = |k: &str| labels.and_then(|l| l.get(k)).cloned();
    let host = i.host_config.as_ref();
    let state = i.state.as_ref();
    let status = state
        .and_then(|s| s.status)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let raw_exit = state.and_then(|s| s.exit_code);
    let exit_code = match status.as_str() {
        "running" | "paused" => None,
        "created" if raw_exit.unwrap_or(0) == 0 => None,
        _ => raw_exit,
    };
    let health = state.and_then(|s| s.health.as_ref()).and_then(|h| {
        let status = h.status.map(|s| s.to_string()).unwrap_or_default();
        if status.is_empty() || status == "none" {
            return None;
        }
        Some(Health {
            status,
            failing_streak: h.failing_streak.unwrap_or(0).max(0) as u64,
            last_output: h
                .log
                .as_ref()
                .and_then(|l| l.last())
                .and_then(|r| r.output.as_deref())
                .map(|o| cut(o.trim(), HEALTH_OUTPUT_CHARS))
                .filter(|o| !o.is_empty()),
        })
    });
    let started_at = time::non_zero_time(state.and_then(|s| s.started_at.as_deref()));
    let finished_at = time::non_zero_time(state.and_then(|s| s.finished_at.as_deref()));
    let name = i
        .name
        .as_deref()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_string();
    let service = label(LABEL_SERVICE).unwrap_or_default();
    let network_mode = host
        .and_then(|h| h.network_mode.clone())
        .unwrap_or_default();
    let mut exposed_ports: Vec<u16> = config
        .and_then(|c| c.exposed_ports.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let (port, proto) = p.split_once('/').unwrap_or((p.as_str(), "tcp"));
            (proto == "tcp").then(|| port.parse().ok()).flatten()
        })
        .collect();
    exposed_ports.sort_unstable();
    exposed_ports.dedup();
    let mut networks: Vec<Endpoint> = i
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .into_iter()
        .flatten()
        .map(|(net, ep)| {
            let aliases = dedup(ep.aliases.clone().unwrap_or_default());
            let dns_names = match &ep.dns_names {
                Some(names) if api >= (1, 44) => dedup(names.clone()),
                _ => derived_dns_names(net, &network_mode, &name, &aliases, &service),
            };
            Endpoint {
                network: net.clone(),
                network_id: ep.network_id.clone().unwrap_or_default(),
                aliases,
                dns_names,
                ipv4: parse_ip(ep.ip_address.as_deref()),
                ipv6: parse_ip(ep.global_ipv6_address.as_deref()),
            }
        })
        .collect();
    networks.sort_by(|a, b| a.network.cmp(&b.network));
    LiveContainer {
        id: i.id.clone().unwrap_or_default(),
        name,
        service,
        number: label(LABEL_NUMBER).and_then(|n| n.parse().ok()),
        state: status,
        exit_code,
        oom_killed: state.and_then(|s| s.oom_killed).unwrap_or(false),
        restart_count: i.restart_count.unwrap_or(0).max(0) as u64,
        error: state
            .and_then(|s| s.error.as_deref())
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string),
        health,
        started_at_unix: started_at.as_deref().and_then(time::rfc3339_to_unix),
        started_at,
        finished_at_unix: finished_at.as_deref().and_then(time::rfc3339_to_unix),
        finished_at,
        image: config.and_then(|c| c.image.clone()).unwrap_or_default(),
        exposed_ports,
        network_mode,
        networks,
        memory_limit: host
            .and_then(|h| h.memory)
            .filter(|&m| m > 0)
            .map(|m| m as u64),
        pid: state
            .and_then(|s| s.pid)
            .filter(|&p| p > 0)
            .and_then(|p| u32::try_from(p).ok()),
        listening: None,
        listening_source: None,
        nginx: None,
    }
}

/// Names Docker's embedded DNS answers for a container on `network`, for engines before API 1.44 (which
/// reports them as `DNSNames`): on user-defined networks the container name, its aliases (engines before
/// 25.0 list the short ID there) and the compose service name; on the predefined networks none.
fn derived_dns_names(
    network: &str,
    network_mode: &str,
    name: &str,
    aliases: &[String],
    service: &str,
) -> Vec<String> {
    if matches!(network, "bridge" | "host" | "none") || network_mode.starts_with("container:") {
        return Vec::new();
    }
    let mut names = vec![name.to_string()];
    names.extend(aliases.iter().cloned());
    if !service.is_empty() {
        names.push(service.to_string());
    }
    dedup(names.into_iter().filter(|n| !n.is_empty()).collect())
}

/// Keeps the first of each, in order.
fn dedup(items: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect()
}

fn parse_ip(s: Option<&str>) -> Option<IpAddr> {
    s.map(str::trim).filter(|s| !s.is_empty())?.parse().ok()
}

pub(crate) fn network_from_inspect(n: &NetworkInspect) -> LiveNetwork {
    LiveNetwork {
        id: n.id.clone().unwrap_or_default(),
        name: n.name.clone().unwrap_or_default(),
        driver: n.driver.clone().unwrap_or_default(),
        internal: n.internal.unwrap_or(false),
        project: n
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_PROJECT))
            .cloned(),
    }
}

/// `v1` when containers are named `project_service_N`, `v2` for `project-service-N`; from the compose
/// version label when every container has a custom `container_name`.
pub(crate) fn compose_naming(
    project: &str,
    containers: &[LiveContainer],
    versions: &[Option<String>],
) -> Option<String> {
    for c in containers {
        let Some(n) = c.number else { continue };
        if c.name == format!("{project}_{}_{n}", c.service) {
            return Some("v1".into());
        }
        if c.name == format!("{project}-{}-{n}", c.service) {
            return Some("v2".into());
        }
    }
    versions.iter().flatten().find_map(|v| {
        match v.split('.').next()?.trim().parse::<u32>().ok()? {
            1 => Some("v1".to_string()),
            n if n >= 2 => Some("v2".to_string()),
            _ => None,
        }
    })
}
