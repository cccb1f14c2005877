//! The probe: what nginx itself would see, from inside the proxy container's network namespace.
//!
//! For every target of every proxy with a running container, concurrently: the name lookup (the container's
//! `/etc/hosts`, then Docker's embedded DNS at 127.0.0.11), a TCP connection to every address (or the socket of
//! a `unix:` target), and the protocol exchange the pass implies (an HTTP request with nginx's `Host`, a TLS
//! ClientHello, FastCGI `FCGI_GET_VALUES`, the HTTP/2 preface, a uwsgi or SCGI request), bounded by the
//! configuration's timeouts, each capped by `--probe-timeout`.
//!
//! How, per proxy container, in order of preference:
//! - `setns`: a dedicated OS thread joins the container's network namespace (`/proc/PID/ns/net`; needs root,
//!   or CAP_SYS_ADMIN + CAP_SYS_PTRACE, and a local engine) and runs its own tokio runtime there;
//! - `exec` (only with `--exec`): `docker exec` of getent/nslookup and nc/wget inside the proxy container;
//! - `host`: connections from the host to the container addresses on a network shared with the proxy, names
//!   taken from the live facts (never from a DNS server); local engines only.
//!
//! Nothing is changed: no container is created, started or restarted. Connections go only to the addresses of
//! the project's own containers (from the live facts) and, inside the proxy's namespace, to its loopback.

mod dns;
mod exchange;
mod exec;
mod plan;
mod time;
pub mod wire;

pub use plan::{Dest, Plan, Proto, plan, plans};
pub use time::{Limit, Timeouts, parse_nginx_time, timeouts};

use crate::live::{LiveContainer, LiveFacts, ProbeResult};
use crate::model::Facts;
use exchange::Addr;
use futures_util::future::join_all;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the probe runs.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// `--probe-timeout`: caps every per-target timeout (default 5 s).
    pub cap: Duration,
    /// `--exec`: where setns is impossible, probe with `docker exec` inside the proxy container.
    pub exec_fallback: bool,
    /// Show a progress bar on stderr (only when stderr is a terminal).
    pub progress: bool,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            cap: Duration::from_secs(5),
            exec_fallback: false,
            progress: true,
        }
    }
}

/// What every proxy job shares.
struct Shared {
    live: LiveFacts,
    /// Addresses of the project's containers: the only ones the probe connects to.
    allowed: HashSet<IpAddr>,
    /// Of those, the addresses on a bridge of this machine (`br-<network id>`, `docker0`): the only ones the
    /// host fallback connects to, so no probe packet ever leaves the machine (Docker Desktop, remote engines,
    /// rootless engines and macvlan networks have none).
    allowed_from_host: HashSet<IpAddr>,
    /// The engine runs on this machine (a unix socket or a loopback TCP address, not Docker Desktop).
    local: bool,
    opts: ProbeOptions,
    way: Way,
    bar: indicatif::ProgressBar,
}

struct Job {
    proxy: usize,
    container: LiveContainer,
    plans: Vec<Plan>,
}

/// Whether `e`'s network is a Linux bridge of this machine, so its addresses are reachable from here without
/// any packet leaving the machine.
fn bridge_is_here(e: &crate::live::Endpoint) -> bool {
    let net = std::path::Path::new("/sys/class/net");
    if e.network == "bridge" {
        return net.join("docker0").exists();
    }
    e.network_id.len() >= 12
        && e.network_id.is_char_boundary(12)
        && net.join(format!("br-{}", &e.network_id[..12])).exists()
}

/// Whether the engine runs on this machine, where its container PIDs and bridge addresses are ours to use.
fn engine_is_local(live: &LiveFacts) -> Result<(), String> {
    let e = &live.engine;
    if e.os.contains("Docker Desktop") || e.endpoint.contains("desktop-linux") {
        return Err(format!(
            "the engine is Docker Desktop ({}): containers run in a VM",
            e.os
        ));
    }
    let endpoint = e.endpoint.split_whitespace().next().unwrap_or("");
    if endpoint.is_empty() || endpoint.starts_with("unix://") {
        return Ok(());
    }
    if let Some(rest) = endpoint.strip_prefix("tcp://") {
        let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
            return Ok(());
        }
    }
    Err(format!("the engine is remote ({endpoint})"))
}

/// Which way to probe; [`run`] is [`Way::Auto`]. The others exist for tests and for a user who wants to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// setns where possible, else exec (with `exec_fallback`), else host.
    Auto,
    /// Connections from the host only (local engines).
    Host,
    /// `docker exec` only.
    Exec,
}

/// Probes every target of every proxy that has a running container in `facts.live`, concurrently, and
/// stores the results in `facts.proxies[i].probes` (aligned with `targets()`). Never changes anything: no
/// container created or restarted; only the probe connections (and, with exec_fallback, an exec of
/// getent/nc/wget in the proxy).
///
/// Blocking: one OS thread per proxy container, each with its own tokio runtime; the caller's thread only
/// waits (it may be inside a runtime, but is then blocked until the probe ends, about one timeout).
pub fn run(facts: &mut Facts, opts: &ProbeOptions) -> Vec<String> {
    run_way(facts, opts, Way::Auto)
}

/// [`run`], with the way chosen by the caller.
pub fn run_way(facts: &mut Facts, opts: &ProbeOptions, way: Way) -> Vec<String> {
    let mut notes = Vec::new();
    let Some(live) = facts.live.as_ref() else {
        notes.push("probe: no live facts (Docker was not asked): nothing probed".to_string());
        return notes;
    };
    let local = engine_is_local(live);
    let allowed: HashSet<IpAddr> = live
        .containers
        .iter()
        .flat_map(|c| c.networks.iter())
        .flat_map(|e| [e.ipv4, e.ipv6])
        .flatten()
        .collect();
    let allowed_from_host: HashSet<IpAddr> = live
        .containers
        .iter()
        .flat_map(|c| c.networks.iter())
        .filter(|e| bridge_is_here(e))
        .flat_map(|e| [e.ipv4, e.ipv6])
        .flatten()
        .collect();
    // Every proxy gets one slot per target, `None` until probed.
    for p in facts.proxies.iter_mut() {
        p.probes = vec![None; p.targets().len()];
    }

    let mut jobs = Vec::new();
    for (i, proxy) in facts.proxies.iter().enumerate() {
        let targets = proxy.targets();
        if targets.is_empty() {
            continue;
        }
        let mut running: Vec<&LiveContainer> = live
            .containers_of(&proxy.service)
            .filter(|c| c.is_running())
            .collect();
        running.sort_by_key(|c| (c.number.unwrap_or(u32::MAX), c.name.clone()));
        let Some(container) = running.first() else {
            notes.push(format!(
                "probe: {}: no running container, not probed",
                proxy.service
            ));
            continue;
        };
        if running.len() > 1 {
            notes.push(format!(
                "probe: {}: {} running containers, probed from {}",
                proxy.service,
                running.len(),
                container.name
            ));
        }
        jobs.push(Job {
            proxy: i,
            container: (*container).clone(),
            plans: plan::plans(proxy.loaded(), targets, opts.cap),
        });
    }
    if jobs.is_empty() {
        return notes;
    }

    let total: usize = jobs.iter().map(|j| j.plans.len()).sum();
    let bar = if opts.progress && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} probing {pos}/{len} targets {wide_msg}",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let shared = Arc::new(Shared {
        live: live.clone(),
        allowed,
        allowed_from_host,
        local: local.is_ok(),
        opts: opts.clone(),
        way,
        bar,
    });
    if let Err(why) = &local {
        notes.push(format!("probe: {why}: no setns, no host connections"));
    }

    let started = Instant::now();
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let shared = Arc::clone(&shared);
            let name = format!("probe-{}", job.container.name);
            let proxy = job.proxy;
            let n = job.plans.len();
            let handle = std::thread::Builder::new()
                .name(name)
                .spawn(move || run_job(&shared, job));
            (proxy, n, handle)
        })
        .collect();
    for (proxy, n, handle) in handles {
        let mut probes: Vec<Option<ProbeResult>> = vec![None; n];
        match handle.map_err(|e| e.to_string()).and_then(|h| {
            h.join()
                .map_err(|_| "the probe thread panicked".to_string())
        }) {
            Ok((results, job_notes)) => {
                for (i, r) in results {
                    if let Some(slot) = probes.get_mut(i) {
                        *slot = Some(r);
                    }
                }
                notes.extend(job_notes);
            }
            Err(e) => notes.push(format!("probe: {}: {e}", facts.proxies[proxy].service)),
        }
        facts.proxies[proxy].probes = probes;
    }
    shared.bar.finish_and_clear();
    notes.push(format!(
        "probe: {total} targets in {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    notes
}

type JobOutput = (Vec<(usize, ProbeResult)>, Vec<String>);

/// One proxy container, on its own thread: setns if possible, else a fallback.
fn run_job(shared: &Shared, job: Job) -> JobOutput {
    let c = &job.container;
    let mut notes = Vec::new();
    let setns_err = if shared.way != Way::Auto {
        format!("{:?} asked for", shared.way)
    } else if shared.local {
        match netns::enter(c) {
            Ok(()) => {
                let (results, mut more) = drive(shared, &job, Mode::Setns);
                notes.push(format!(
                    "probe: {}: from inside its network namespace (setns, PID {})",
                    c.name,
                    c.pid.unwrap_or(0)
                ));
                notes.append(&mut more);
                return (results, notes);
            }
            Err(e) => e,
        }
    } else {
        "the engine is not local".to_string()
    };
    if shared.way == Way::Exec || (shared.way == Way::Auto && shared.opts.exec_fallback) {
        notes.push(format!(
            "probe: {}: no setns ({setns_err}): fell back to docker exec",
            c.name
        ));
        let bar = shared.bar.clone();
        let (results, more) = exec::probe(c, &job.plans, &shared.allowed, &move || bar.inc(1));
        notes.extend(more);
        return (results, notes);
    }
    if shared.local && shared.allowed_from_host.is_empty() {
        notes.push(format!(
            "probe: {}: not probed (no setns: {setns_err}; and no network of the project is a bridge of this \
             machine, so connections from here would not stay on it): try --exec",
            c.name
        ));
        shared.bar.inc(job.plans.len() as u64);
        return (Vec::new(), notes);
    }
    if shared.local {
        notes.push(format!(
            "probe: {}: no setns ({setns_err}): fell back to connections from the host, names from the live \
             facts (--exec would look names up inside the container)",
            c.name
        ));
        let (results, more) = drive(shared, &job, Mode::Host);
        notes.extend(more);
        return (results, notes);
    }
    notes.push(format!(
        "probe: {}: not probed ({setns_err}; connections from here would not reach its network): try --exec",
        c.name
    ));
    shared.bar.inc(job.plans.len() as u64);
    (Vec::new(), notes)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Setns,
    Host,
}

/// Builds a current-thread runtime on this thread (in whatever network namespace it is) and probes there.
fn drive(shared: &Shared, job: &Job, mode: Mode) -> JobOutput {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return (
                Vec::new(),
                vec![format!("probe: {}: no runtime: {e}", job.container.name)],
            );
        }
    };
    rt.block_on(probe_all(shared, job, mode))
}

enum Names<'a> {
    Docker(Box<dns::DockerDns>),
    Live {
        live: &'a LiveFacts,
        proxy: &'a LiveContainer,
    },
}

impl Names<'_> {
    async fn lookup(&self, name: &str, use_hosts: bool) -> crate::live::DnsResult {
        match self {
            Names::Docker(d) => d.lookup(name, use_hosts).await,
            Names::Live { live, proxy } => dns::live_lookup(live, proxy, name),
        }
    }
}

/// The proxy container's `/etc/hosts` and resolv.conf, read through `/proc/PID/root`.
fn container_resolv(c: &LiveContainer) -> (dns::ContainerResolv, Option<String>) {
    let root = match c.pid {
        Some(pid) if pid > 0 => PathBuf::from(format!("/proc/{pid}/root")),
        _ => return (dns::ContainerResolv::default(), Some("no PID".into())),
    };
    let hosts = std::fs::read_to_string(root.join("etc/hosts"))
        .map(|t| dns::parse_hosts(&t))
        .unwrap_or_default();
    match std::fs::read_to_string(root.join("etc/resolv.conf")) {
        Ok(t) => (
            dns::ContainerResolv {
                hosts,
                nameservers: Some(dns::parse_nameservers(&t)),
            },
            None,
        ),
        Err(e) => (
            dns::ContainerResolv {
                hosts,
                nameservers: None,
            },
            Some(format!(
                "cannot read its /etc/resolv.conf ({e}): asked 127.0.0.11 anyway"
            )),
        ),
    }
}

async fn probe_all(shared: &Shared, job: &Job, mode: Mode) -> JobOutput {
    let c = &job.container;
    let mut notes = Vec::new();
    let dns_limit = job
        .plans
        .iter()
        .map(|p| p.timeouts.connect.probe)
        .max()
        .unwrap_or(shared.opts.cap);
    let names = match mode {
        Mode::Setns => {
            let (resolv, why) = container_resolv(c);
            if let Some(why) = why {
                notes.push(format!("probe: {}: {why}", c.name));
            }
            if !resolv.uses_docker_dns() {
                notes.push(format!(
                    "probe: {}: its resolv.conf names {} (not Docker's 127.0.0.11, as on the default bridge): \
                     names are looked up in its /etc/hosts only",
                    c.name,
                    resolv.nameservers.clone().unwrap_or_default().join(", ")
                ));
            }
            match dns::DockerDns::new(dns_limit, resolv) {
                Ok(d) => Names::Docker(Box::new(d)),
                Err(e) => {
                    notes.push(format!("probe: {}: {e}", c.name));
                    Names::Live {
                        live: &shared.live,
                        proxy: c,
                    }
                }
            }
        }
        Mode::Host => Names::Live {
            live: &shared.live,
            proxy: c,
        },
    };

    // Each name once (with or without /etc/hosts: nginx's run-time resolver does not read it).
    let mut keys: Vec<(String, bool)> = Vec::new();
    for p in &job.plans {
        if let Ok(Dest::Name(n)) = &p.dest {
            let key = (n.to_ascii_lowercase(), !p.runtime);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let answers = join_all(keys.iter().map(|(n, hosts)| names.lookup(n, *hosts))).await;
    let dns: HashMap<(String, bool), crate::live::DnsResult> =
        keys.into_iter().zip(answers).collect();

    let how = match mode {
        Mode::Setns => "setns",
        Mode::Host => "host",
    };
    let unix_root = c
        .pid
        .filter(|p| *p > 0)
        .map(|pid| PathBuf::from(format!("/proc/{pid}/root")));
    let ctx = Ctx {
        how,
        allowed: match mode {
            Mode::Setns => &shared.allowed,
            Mode::Host => &shared.allowed_from_host,
        },
        loopback_ok: mode == Mode::Setns,
        unix_root,
    };
    let results = join_all(job.plans.iter().map(|p| {
        let answer = match &p.dest {
            Ok(Dest::Name(n)) => dns.get(&(n.to_ascii_lowercase(), !p.runtime)).cloned(),
            _ => None,
        };
        let ctx = &ctx;
        async move {
            let r = probe_one(p, answer, ctx).await;
            shared.bar.inc(1);
            (p.index, r)
        }
    }))
    .await;
    (results, notes)
}

struct Ctx<'a> {
    how: &'static str,
    allowed: &'a HashSet<IpAddr>,
    /// Inside the proxy's namespace its loopback is its own; from the host it is not.
    loopback_ok: bool,
    unix_root: Option<PathBuf>,
}

async fn probe_one(plan: &Plan, dns: Option<crate::live::DnsResult>, ctx: &Ctx<'_>) -> ProbeResult {
    let mut notes: Vec<String> = Vec::new();
    let mut result = ProbeResult {
        how: ctx.how.to_string(),
        target: plan.label.clone(),
        dns: None,
        connect: Vec::new(),
        handshake: None,
        note: None,
    };
    if plan.runtime {
        match plan.resolver.as_deref() {
            None => notes.push(
                "nginx resolves this name per request but has no `resolver` (502: no resolver defined)"
                    .to_string(),
            ),
            Some(r) if !r.iter().any(|a| a.starts_with("127.0.0.11")) => notes.push(format!(
                "nginx asks `resolver {}` per request; the probe asks only Docker's DNS",
                r.join(" ")
            )),
            Some(_) => {}
        }
    }
    let addrs: Vec<Addr> = match &plan.dest {
        Err(why) => {
            result.note = Some(why.clone());
            return result;
        }
        Ok(Dest::Unix(path)) => match &ctx.unix_root {
            Some(root) => vec![Addr::Unix {
                open: root.join(path.trim_start_matches('/')),
                path: path.clone(),
            }],
            None => {
                result.note =
                    Some("the proxy's PID is unknown: its unix sockets cannot be reached".into());
                return result;
            }
        },
        Ok(Dest::Ip(ip)) => vec![Addr::Tcp(SocketAddr::new(*ip, plan.port))],
        Ok(Dest::Name(_)) => {
            let addrs = dns.as_ref().map(|d| d.addrs.clone()).unwrap_or_default();
            let gone = dns.as_ref().and_then(|d| d.error.as_deref());
            if !plan.runtime && matches!(gone, Some("NXDOMAIN" | "NODATA" | "not-found")) {
                notes.push(
                    "nginx resolved this name when it started (it does not start otherwise) and keeps that \
                     address: the name is gone now, so the container behind it stopped or left the network \
                     (nginx: 502 after `No route to host`, or a hang)"
                        .to_string(),
                );
            }
            result.dns = dns;
            addrs
                .into_iter()
                .map(|ip| Addr::Tcp(SocketAddr::new(ip, plan.port)))
                .collect()
        }
    };
    let mut usable = Vec::new();
    for a in addrs {
        match &a {
            Addr::Tcp(sa) if sa.ip().is_loopback() && !ctx.loopback_ok => notes.push(format!(
                "{} is the proxy's own loopback: not reachable from the host",
                sa.ip()
            )),
            Addr::Tcp(sa) if !sa.ip().is_loopback() && !ctx.allowed.contains(&sa.ip()) => {
                notes.push(format!(
                    "{} is not an address of this project's containers{}: the probe does not connect to it",
                    sa.ip(),
                    if ctx.how == "host" { " on a bridge of this machine" } else { "" }
                ))
            }
            _ => usable.push(a),
        }
    }
    let connects = join_all(
        usable
            .iter()
            .map(|a| exchange::connect(a, plan.timeouts.connect)),
    )
    .await;
    let mut first = None;
    for (addr, (c, stream)) in usable.iter().zip(connects) {
        result.connect.push(c);
        if first.is_none()
            && let Some(s) = stream
        {
            first = Some((addr.clone(), s));
        }
    }
    if let Some((addr, stream)) = first {
        result.handshake = Some(exchange::handshake(plan, &addr, stream).await);
    }
    result.note = (!notes.is_empty()).then(|| notes.join("; "));
    result
}

/// Joining a container's network namespace.
mod netns {
    use crate::live::LiveContainer;
    use nix::sched::{CloneFlags, setns};

    /// Moves the calling thread into `c`'s network namespace, after checking that its PID really is that
    /// container here (the container id in `/proc/PID/cgroup`: a PID from another PID namespace or another
    /// machine would name some other process).
    pub fn enter(c: &LiveContainer) -> Result<(), String> {
        let pid = match c.pid {
            Some(p) if p > 0 => p,
            _ => return Err("no PID for the container".to_string()),
        };
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .map_err(|e| format!("cannot read /proc/{pid}/cgroup: {e}"))?;
        if c.id.len() < 12 || !cgroup.contains(&c.id) {
            return Err(format!(
                "PID {pid} is not this container here (its id is not in /proc/{pid}/cgroup: another PID \
                 namespace, or a rootless engine)"
            ));
        }
        let ns = std::fs::File::open(format!("/proc/{pid}/ns/net"))
            .map_err(|e| format!("cannot open /proc/{pid}/ns/net: {e}"))?;
        setns(&ns, CloneFlags::CLONE_NEWNET).map_err(|e| format!("setns: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(endpoint: &str, os: &str) -> LiveFacts {
        let mut live = LiveFacts::default();
        live.engine.endpoint = endpoint.to_string();
        live.engine.os = os.to_string();
        live
    }

    #[test]
    fn local_engines() {
        for ok in [
            "",
            "unix:///var/run/docker.sock",
            "unix:///run/user/1000/docker.sock (context rootless)",
            "tcp://127.0.0.1:2375",
            "tcp://localhost:2375 (DOCKER_HOST)",
            "tcp://[::1]:2375",
        ] {
            assert!(
                engine_is_local(&engine(ok, "Debian GNU/Linux 12")).is_ok(),
                "{ok}"
            );
        }
        for remote in [
            "tcp://10.0.0.5:2376",
            "ssh://me@build",
            "npipe:////./pipe/docker_engine",
        ] {
            assert!(
                engine_is_local(&engine(remote, "linux")).is_err(),
                "{remote}"
            );
        }
        assert!(engine_is_local(&engine("unix:///var/run/docker.sock", "Docker Desktop")).is_err());
    }
}
