//! The last fallback, only with `--exec`: commands run inside the proxy container through `docker exec` (the
//! `docker` CLI for now, with the environment's DOCKER_HOST/context). Files come out with `docker cp` (no tool
//! needed in the image): `/etc/hosts` and `/etc/resolv.conf`. Names are looked up with `getent ahosts`, else
//! `nslookup NAME 127.0.0.11` (busybox), only when the container's resolver is Docker's 127.0.0.11; TCP is
//! checked with `nc -z`, else `wget`. No protocol handshake in this mode.

use super::dns::{ContainerResolv, parse_hosts, parse_nameservers};
use super::plan::{Dest, Plan};
use super::time::Limit;
use crate::live::{ConnectOutcome, ConnectResult, DnsResult, LiveContainer, ProbeResult};
use std::collections::HashSet;
use std::io::Read;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one `docker` command gave.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// `None` when killed (by the time limit) or by a signal.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs `docker ARGS` with stdin closed, killed after `limit`.
pub fn docker(args: &[&str], limit: Duration) -> Output {
    let mut child = match Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            return Output {
                stderr: format!("cannot run docker: {e}"),
                ..Output::default()
            };
        }
    };
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = o.take(4 << 20).read_to_end(&mut b);
        }
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        if let Some(e) = err.as_mut() {
            let _ = e.take(64 << 10).read_to_end(&mut b);
        }
        String::from_utf8_lossy(&b).into_owned()
    });
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    Output {
        code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

/// The first regular file in a tar stream (what `docker cp CONTAINER:FILE -` writes).
pub fn first_tar_file(tar: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    while at + 512 <= tar.len() {
        let header = &tar[at..at + 512];
        if header.iter().all(|&b| b == 0) {
            return None;
        }
        let size_field = std::str::from_utf8(&header[124..136]).ok()?;
        let size =
            usize::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .ok()?;
        let kind = header[156];
        let data = at + 512;
        if kind == b'0' || kind == 0 {
            return tar.get(data..data + size);
        }
        at = data + size.div_ceil(512) * 512;
    }
    None
}

fn copy_out(id: &str, path: &str) -> Option<String> {
    let out = docker(
        &["cp", &format!("{id}:{path}"), "-"],
        Duration::from_secs(20),
    );
    if out.code != Some(0) {
        return None;
    }
    first_tar_file(&out.stdout).map(|b| String::from_utf8_lossy(b).into_owned())
}

/// The tool was not there (as opposed to: it ran and said no).
fn missing_tool(out: &Output) -> bool {
    matches!(out.code, Some(126 | 127))
        || out.stderr.contains("executable file not found")
        || out.stderr.contains("no such file or directory")
        || out.stderr.contains("applet not found")
}

/// IPs in the first column of `getent ahosts` / `getent hosts` output.
pub fn parse_getent(text: &str) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(ip) = line.split_whitespace().next().and_then(|w| w.parse().ok())
            && !out.contains(&ip)
        {
            out.push(ip);
        }
    }
    out
}

/// The answer addresses of busybox/bind `nslookup` output (the `Address` lines after a `Name:` line), or the
/// error word it printed.
pub fn parse_nslookup(text: &str) -> Result<Vec<IpAddr>, String> {
    let mut out = Vec::new();
    let mut in_answer = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("Name:") {
            in_answer = true;
        } else if in_answer && let Some(rest) = line.strip_prefix("Address") {
            // `Address: 172.19.0.2` (busybox 1.35) or `Address 1: 172.19.0.2 app` (older busybox)
            let ip = rest
                .split_whitespace()
                .find_map(|w| w.parse::<IpAddr>().ok());
            if let Some(ip) = ip
                && !out.contains(&ip)
            {
                out.push(ip);
            }
        } else if line.contains("NXDOMAIN") {
            return Err("NXDOMAIN".into());
        } else if line.contains("SERVFAIL") {
            return Err("SERVFAIL".into());
        } else if line.contains("REFUSED") {
            return Err("REFUSED".into());
        } else if line.contains("timed out") {
            return Err("timeout".into());
        }
    }
    if out.is_empty() {
        Err("NODATA".into())
    } else {
        Ok(out)
    }
}

/// Reads a connect outcome from what `nc`/`wget` printed.
pub fn parse_tcp_check(code: Option<i32>, stderr: &str) -> ConnectOutcome {
    let low = stderr.to_ascii_lowercase();
    if low.contains("refused") {
        ConnectOutcome::Refused
    } else if low.contains("no route") || low.contains("unreachable") {
        ConnectOutcome::Unreachable
    } else if low.contains("can't connect") && low.contains("timed out")
        || low.contains("connection timed out")
    {
        ConnectOutcome::Timeout
    } else if code == Some(0)
        || low.contains("server returned error")
        || low.contains("remote file exists")
        || low.contains("http/")
        || low.contains("download timed out")
        || low.contains("bad header")
        || low.contains("connection reset")
    {
        // wget got as far as talking to the port
        ConnectOutcome::Connected
    } else if code.is_none() {
        ConnectOutcome::Timeout
    } else {
        ConnectOutcome::Error(stderr.lines().next().unwrap_or("failed").trim().to_string())
    }
}

struct Exec<'a> {
    id: &'a str,
    resolv: Option<ContainerResolv>,
}

impl Exec<'_> {
    fn lookup(&self, name: &str, use_hosts: bool, limit: Duration) -> (DnsResult, Option<String>) {
        let start = Instant::now();
        let done = |server: &str, addrs: Vec<IpAddr>, error: Option<String>| DnsResult {
            name: name.to_string(),
            server: server.to_string(),
            addrs,
            error,
            millis: (start.elapsed().as_secs_f64() * 1e6).round() / 1e3,
        };
        let Some(resolv) = &self.resolv else {
            return (
                done("-", vec![], Some("error".into())),
                Some("could not read the proxy's /etc/resolv.conf: no lookup made".into()),
            );
        };
        if use_hosts {
            let bare = name.trim_end_matches('.');
            let found: Vec<IpAddr> = resolv
                .hosts
                .iter()
                .filter(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(bare)))
                .map(|(ip, _)| *ip)
                .collect();
            if !found.is_empty() {
                return (done("/etc/hosts", found, None), None);
            }
        }
        if !resolv.uses_docker_dns() {
            return (
                done("resolv.conf", vec![], Some("no-docker-dns".into())),
                Some(
                    "the proxy's resolv.conf does not name 127.0.0.11: no other server is asked"
                        .into(),
                ),
            );
        }
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let wait = limit + Duration::from_secs(10);
        let out = docker(&["exec", self.id, "getent", "ahosts", &fqdn], wait);
        if !missing_tool(&out) {
            let text = String::from_utf8_lossy(&out.stdout);
            let addrs = parse_getent(&text);
            let error = match (addrs.is_empty(), out.code) {
                (false, _) => None,
                (true, None) => Some("timeout".to_string()),
                (true, _) => Some("not-found".to_string()),
            };
            return (
                done("getent (exec; resolv.conf: 127.0.0.11)", addrs, error),
                None,
            );
        }
        let out = docker(&["exec", self.id, "nslookup", &fqdn, "127.0.0.11"], wait);
        if missing_tool(&out) {
            return (
                done("-", vec![], Some("error".into())),
                Some("neither getent nor nslookup in the proxy image: no lookup made".into()),
            );
        }
        let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), out.stderr);
        match parse_nslookup(&text) {
            Ok(addrs) => (done("127.0.0.11:53 (exec nslookup)", addrs, None), None),
            Err(word) => (
                done("127.0.0.11:53 (exec nslookup)", vec![], Some(word)),
                None,
            ),
        }
    }

    fn tcp(&self, ip: IpAddr, port: u16, limit: Limit) -> (ConnectResult, Option<String>) {
        let capped = limit.capped();
        let limit = limit.probe;
        let start = Instant::now();
        let secs = limit.as_secs().max(1).to_string();
        let host = ip.to_string();
        let port_s = port.to_string();
        let wait = limit + Duration::from_secs(10);
        let out = docker(
            &["exec", self.id, "nc", "-z", "-w", &secs, &host, &port_s],
            wait,
        );
        let usage = out.stderr.contains("Usage")
            || out.stderr.contains("invalid option")
            || out.stderr.contains("unrecognized option");
        let (outcome, tool) = if !missing_tool(&out) && !usage {
            (parse_tcp_check(out.code, &out.stderr), None)
        } else {
            let url = match ip {
                IpAddr::V6(v6) => format!("http://[{v6}]:{port}/"),
                IpAddr::V4(v4) => format!("http://{v4}:{port}/"),
            };
            let mut w = docker(
                &["exec", self.id, "wget", "--spider", "-T", &secs, &url],
                wait,
            );
            // Some static busybox builds crash on -T: once more without it (bounded by `wait` here only).
            if matches!(w.code, Some(c) if c >= 128) || w.stderr.contains("Usage") {
                w = docker(&["exec", self.id, "wget", "--spider", &url], wait);
            }
            if missing_tool(&w) {
                (
                    ConnectOutcome::Error("no nc -z nor wget in the proxy image".into()),
                    Some("no TCP check possible in this image".to_string()),
                )
            } else {
                let text = format!("{}\n{}", String::from_utf8_lossy(&w.stdout), w.stderr);
                (
                    parse_tcp_check(w.code, &text),
                    Some("TCP checked with wget --spider".to_string()),
                )
            }
        };
        (
            ConnectResult {
                addr: ip,
                port,
                unix_path: None,
                outcome,
                millis: (start.elapsed().as_secs_f64() * 1e6).round() / 1e3,
                timeout_millis: limit.as_millis() as u64,
                capped,
            },
            tool,
        )
    }
}

/// Probes `plans` inside `container` with `docker exec`. Connects only to `allowed` addresses.
pub fn probe(
    container: &LiveContainer,
    plans: &[Plan],
    allowed: &HashSet<IpAddr>,
    on_done: &(dyn Fn() + Sync),
) -> (Vec<(usize, ProbeResult)>, Vec<String>) {
    let mut notes = vec![format!(
        "{}: probed with `docker exec` (the docker CLI): DNS and TCP only, no protocol handshake",
        container.name
    )];
    let resolv = match (
        copy_out(&container.id, "/etc/resolv.conf"),
        copy_out(&container.id, "/etc/hosts"),
    ) {
        (Some(r), hosts) => Some(ContainerResolv {
            hosts: hosts.map(|h| parse_hosts(&h)).unwrap_or_default(),
            nameservers: Some(parse_nameservers(&r)),
        }),
        (None, _) => {
            notes.push(format!(
                "{}: `docker cp` of /etc/resolv.conf failed: names are not looked up",
                container.name
            ));
            None
        }
    };
    let ex = Exec {
        id: &container.id,
        resolv,
    };
    let results = std::sync::Mutex::new(Vec::new());
    // A few `docker exec` at a time.
    for chunk in plans.chunks(6) {
        std::thread::scope(|scope| {
            for plan in chunk {
                let ex = &ex;
                let results = &results;
                scope.spawn(move || {
                    let r = probe_one(ex, plan, allowed);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((plan.index, r));
                    on_done();
                });
            }
        });
    }
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    (results, notes)
}

fn probe_one(ex: &Exec<'_>, plan: &Plan, allowed: &HashSet<IpAddr>) -> ProbeResult {
    let mut notes = Vec::new();
    let mut result = ProbeResult {
        how: "exec".to_string(),
        target: plan.label.clone(),
        dns: None,
        connect: Vec::new(),
        handshake: None,
        note: None,
    };
    let ips = match &plan.dest {
        Err(why) => {
            result.note = Some(why.clone());
            return result;
        }
        Ok(Dest::Unix(_)) => {
            result.note = Some("unix sockets are not checked in exec mode".into());
            return result;
        }
        Ok(Dest::Ip(ip)) => vec![*ip],
        Ok(Dest::Name(name)) => {
            let (dns, note) = ex.lookup(name, !plan.runtime, plan.timeouts.connect.probe);
            notes.extend(note);
            let ips = dns.addrs.clone();
            result.dns = Some(dns);
            ips
        }
    };
    for ip in ips {
        if !(allowed.contains(&ip) || ip.is_loopback()) {
            notes.push(format!(
                "{ip} is not an address of this project's containers: not connected to"
            ));
            continue;
        }
        let (c, note) = ex.tcp(ip, plan.port, plan.timeouts.connect);
        result.connect.push(c);
        notes.extend(note);
    }
    notes.dedup();
    result.note = (!notes.is_empty()).then(|| notes.join("; "));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_first_file() {
        // A one-file archive as `docker cp` writes it (ustar header, data padded to 512).
        let mut tar = vec![0u8; 512];
        tar[..11].copy_from_slice(b"resolv.conf");
        tar[124..135].copy_from_slice(b"00000000027");
        tar[156] = b'0';
        tar[257..262].copy_from_slice(b"ustar");
        let body = b"nameserver 127.0.0.11\n\0\0";
        tar.extend_from_slice(&body[..23]);
        tar.resize(1024 + 1024, 0);
        assert_eq!(
            first_tar_file(&tar),
            Some(&b"nameserver 127.0.0.11\n\0"[..])
        );
        assert_eq!(first_tar_file(&[0u8; 1024]), None);
    }

    #[test]
    fn getent_output() {
        // `getent ahosts app.` in a Debian-based container.
        let text = "172.20.0.3      STREAM app\n172.20.0.3      DGRAM  \n172.20.0.3      RAW    \n";
        assert_eq!(
            parse_getent(text),
            vec!["172.20.0.3".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn nslookup_output() {
        // Recorded from busybox 1.35 `nslookup app 127.0.0.11` on a compose network.
        let ok = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\n\nNon-authoritative answer:\nName:\tapp\nAddress: 172.19.0.2\n\n";
        assert_eq!(parse_nslookup(ok), Ok(vec!["172.19.0.2".parse().unwrap()]));
        // The same for a name Docker's DNS does not know (it answers without records).
        let none = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\n\nNon-authoritative answer:\n\n";
        assert_eq!(parse_nslookup(none), Err("NODATA".into()));
        assert_eq!(
            parse_nslookup("Name:      app\nAddress 1: 172.19.0.2 app.web\n"),
            Ok(vec!["172.19.0.2".parse().unwrap()])
        );
        assert_eq!(
            parse_nslookup("** server can't find bakend.: NXDOMAIN\n"),
            Err("NXDOMAIN".into())
        );
    }

    #[test]
    fn tcp_check_messages() {
        assert_eq!(parse_tcp_check(Some(0), ""), ConnectOutcome::Connected);
        assert_eq!(
            parse_tcp_check(
                Some(1),
                "wget: can't connect to remote host (172.20.0.3): Connection refused"
            ),
            ConnectOutcome::Refused
        );
        assert_eq!(
            parse_tcp_check(
                Some(1),
                "wget: server returned error: HTTP/1.1 404 Not Found"
            ),
            ConnectOutcome::Connected
        );
        assert_eq!(
            parse_tcp_check(
                Some(1),
                "nc: connect to 172.20.0.3 port 80 (tcp) failed: No route to host"
            ),
            ConnectOutcome::Unreachable
        );
        assert_eq!(parse_tcp_check(None, ""), ConnectOutcome::Timeout);
    }
}
