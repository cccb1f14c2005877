//! What the project's files say a service listens on: `expose`, `ports`, Dockerfile `EXPOSE`, the listen
//! flags of its command (`-p 8080`, `--bind 0.0.0.0:8000`, `runserver 0.0.0.0:8000` ...) and port variables.

use crate::compose::Service;
use crate::model::ImageInfo;
use crate::span::Location;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `expose:` in the compose file.
    Expose,
    /// The container side of `ports:`.
    PortsTarget,
    /// `EXPOSE` in the Dockerfile the project builds.
    DockerfileExpose,
    /// A listen flag in the command.
    Command,
    /// A `PORT`-like environment variable (confirms, never contradicts).
    Env(String),
    /// A listening socket of the running container (live mode): the truth.
    Live,
    /// `ExposedPorts` of the running container's image (live mode): a declaration.
    ImageExpose,
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Expose => "`expose`".into(),
            Source::PortsTarget => "`ports` (container side)".into(),
            Source::DockerfileExpose => "Dockerfile `EXPOSE`".into(),
            Source::Command => "its command".into(),
            Source::Env(k) => format!("environment `{k}`"),
            Source::Live => "its listening sockets".into(),
            Source::ImageExpose => "its image's `EXPOSE`".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Evidence {
    pub start: u16,
    pub end: u16,
    pub source: Source,
    /// For command listen flags: the address bound, when written (`127.0.0.1`, `0.0.0.0`, `::`).
    pub bind: Option<String>,
    pub loc: Option<Location>,
}

impl Evidence {
    pub fn covers(&self, p: u16) -> bool {
        self.start <= p && p <= self.end
    }
}

#[derive(Debug, Clone)]
pub struct Published {
    pub host_port: u16,
    pub container_port: u16,
    pub loc: Location,
}

/// Everything known about a service's ports.
#[derive(Debug, Clone, Default)]
pub struct PortFacts {
    pub evidence: Vec<Evidence>,
    pub published: Vec<Published>,
    /// The running container's listening sockets, when live mode could read them: they decide.
    pub live: Option<Vec<Evidence>>,
}

pub fn is_loopback_addr(a: &str) -> bool {
    let a = a.trim_matches(['[', ']']);
    a == "localhost" || a.starts_with("127.") || a == "::1"
}

/// `[ADDR:]PORT`, `:PORT`, `[::]:PORT`, `http://+:PORT` → (addr, port).
fn addr_port(s: &str) -> Option<(Option<String>, u16)> {
    let s = s.trim_end_matches('/');
    let s = s.split("://").last().unwrap_or(s);
    if let Ok(p) = s.parse::<u16>() {
        return Some((None, p));
    }
    let (addr, port) = s.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let addr = addr.trim_matches(['[', ']']);
    Some((
        (!addr.is_empty() && addr != "*" && addr != "+").then(|| addr.to_string()),
        port,
    ))
}

/// Listen addresses written in a command's words.
pub fn command_listens(argv: &[String]) -> Vec<(Option<String>, u16)> {
    let mut words: Vec<String> = argv
        .iter()
        .flat_map(|w| crate::discover::shell::split(w))
        .collect();
    // `wait-for-it db:5432 -- gunicorn ...`: what runs is after the last `--`
    if let Some(pos) = words.iter().rposition(|w| w == "--") {
        words.drain(..=pos);
    }
    let mut out = Vec::new();
    let mut host_flag: Option<String> = None;
    let mut port_flag: Option<u16> = None;
    let program = words
        .iter()
        .find(|w| !w.contains('='))
        .map(|w| w.rsplit('/').next().unwrap_or(w).to_string());
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        let next = words.get(i + 1).map(String::as_str);
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f, Some(v)),
            _ => (w, None),
        };
        let val = inline.or(next);
        let consumed = if inline.is_some() { 1 } else { 2 };
        match flag {
            // busybox httpd -p [IP:]PORT, flask/uvicorn/serve --port, node servers -p
            "-p" | "--port" | "-port" | "--http-port" | "--listen-port" => {
                if let Some((a, p)) = val.and_then(addr_port) {
                    if a.is_some() {
                        out.push((a, p));
                    } else {
                        port_flag = Some(p);
                    }
                    i += consumed;
                    continue;
                }
            }
            "-h" | "--host" | "-H" | "--hostname" | "--address" | "--ip"
                if program.as_deref() != Some("nginx") =>
            {
                if let Some(v) = val {
                    // `httpd -h /www` is a home directory, not an address
                    if !v.starts_with('-') && !v.contains('/') {
                        host_flag = Some(v.to_string());
                        i += consumed;
                        continue;
                    }
                }
            }
            // gunicorn -b/--bind, uwsgi --http/--socket/--http-socket, generic --listen
            "-b" | "--bind" | "--listen" | "-l" | "--http" | "--http-socket" | "--socket"
            | "--uwsgi-socket" | "-s" => {
                if let Some((a, p)) = val.and_then(addr_port) {
                    out.push((a, p));
                    i += consumed;
                    continue;
                }
            }
            _ => {}
        }
        // `manage.py runserver 0.0.0.0:8000`, `php -S 0.0.0.0:8000`, `http.server 8000`
        if i > 0 {
            let prev = words[i - 1].as_str();
            if (prev == "runserver" || prev == "-S" || prev == "http.server")
                && let Some(ap) = addr_port(w)
            {
                out.push(ap);
            }
        }
        i += 1;
    }
    // `-h db -p 5432` names a server to connect to, not an address to listen on
    let host_is_remote = host_flag.as_deref().is_some_and(|h| {
        h.parse::<std::net::IpAddr>().is_err() && h != "localhost" && h != "*" && !h.is_empty()
    });
    if let Some(p) = port_flag {
        if !host_is_remote {
            out.push((host_flag, p));
        }
    } else if program.as_deref() == Some("python") || program.as_deref() == Some("python3") {
        // `python -m http.server` listens on 8000 by default
        if words
            .windows(2)
            .any(|w| w[0] == "-m" && w[1] == "http.server")
            && out.is_empty()
        {
            out.push((host_flag, 8000));
        }
    }
    out
}

/// Environment variables that name a port the service itself listens on.
fn env_ports(env: &std::collections::BTreeMap<String, String>) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    for (k, v) in env {
        let ku = k.to_ascii_uppercase();
        if ku == "ASPNETCORE_URLS" || ku == "URLS" || ku == "ASPNETCORE_HTTP_PORTS" {
            for part in v.split([';', ',']) {
                if let Some((_, p)) = addr_port(part.trim()) {
                    out.push((k.clone(), p));
                }
            }
        } else if (ku == "PORT" || ku.ends_with("_PORT") || ku.ends_with("_HTTP_PORT"))
            && let Ok(p) = v.trim().parse::<u16>()
        {
            out.push((k.clone(), p));
        }
    }
    out
}

pub fn port_facts(svc: &Service, image: Option<&ImageInfo>) -> PortFacts {
    let mut f = PortFacts::default();
    for e in &svc.expose {
        f.evidence.push(Evidence {
            start: e.value.start,
            end: e.value.end,
            source: Source::Expose,
            bind: None,
            loc: Some(e.loc.clone()),
        });
    }
    for p in &svc.ports {
        f.evidence.push(Evidence {
            start: p.target.start,
            end: p.target.end,
            source: Source::PortsTarget,
            bind: None,
            loc: Some(p.loc.clone()),
        });
        if let Some((hs, he)) = p.published {
            // a range maps one to one
            for (k, hp) in (hs..=he).enumerate() {
                let cp = p.target.start.saturating_add(k as u16).min(p.target.end);
                f.published.push(Published {
                    host_port: hp,
                    container_port: cp,
                    loc: p.loc.clone(),
                });
                if hp == u16::MAX {
                    break;
                }
            }
        }
    }
    if let Some(img) = image {
        for (p, loc) in &img.expose {
            f.evidence.push(Evidence {
                start: *p,
                end: *p,
                source: Source::DockerfileExpose,
                bind: None,
                loc: Some(loc.clone()),
            });
        }
        for (addr, p) in command_listens(&img.argv) {
            f.evidence.push(Evidence {
                start: p,
                end: p,
                source: Source::Command,
                bind: addr,
                loc: img.argv_loc.clone(),
            });
        }
        for (k, p) in env_ports(&img.env) {
            let loc = svc.environment.get(&k).map(|v| v.loc.clone());
            f.evidence.push(Evidence {
                start: p,
                end: p,
                source: Source::Env(k),
                bind: None,
                loc,
            });
        }
    }
    f
}

/// What the files say about one port of a service.
#[derive(Debug, Clone)]
pub enum PortVerdict {
    /// The command listens there on all interfaces, or a declaration names it.
    Confirmed(Evidence),
    /// The command binds that port on loopback only.
    LoopbackOnly(Evidence),
    /// The port is a published host port of the service, not a container port.
    PublishedHostPort(Published),
    /// The command names its listen ports, and this is not one of them.
    NotListening(Vec<Evidence>),
    /// Declarations exist, and this port is not among them.
    NotDeclared(Vec<Evidence>),
    /// Nothing in the files says which ports the service listens on.
    Unknown,
}

impl PortFacts {
    pub fn verdict(&self, port: u16) -> PortVerdict {
        if let Some(live) = &self.live {
            let on_port: Vec<&Evidence> = live.iter().filter(|e| e.covers(port)).collect();
            if let Some(e) = on_port
                .iter()
                .find(|e| !e.bind.as_deref().is_some_and(is_loopback_addr))
            {
                return PortVerdict::Confirmed((*e).clone());
            }
            if let Some(e) = on_port.first() {
                return PortVerdict::LoopbackOnly((*e).clone());
            }
            if let Some(p) = self.published.iter().find(|p| p.host_port == port) {
                return PortVerdict::PublishedHostPort(p.clone());
            }
            return PortVerdict::NotListening(live.clone());
        }
        let cmd: Vec<&Evidence> = self
            .evidence
            .iter()
            .filter(|e| e.source == Source::Command)
            .collect();
        let on_port: Vec<&Evidence> = cmd.iter().copied().filter(|e| e.covers(port)).collect();
        if !on_port.is_empty() {
            if let Some(e) = on_port
                .iter()
                .find(|e| !e.bind.as_deref().is_some_and(is_loopback_addr))
            {
                return PortVerdict::Confirmed((*e).clone());
            }
            return PortVerdict::LoopbackOnly(on_port[0].clone());
        }
        if let Some(e) = self.evidence.iter().find(|e| e.covers(port)) {
            return PortVerdict::Confirmed(e.clone());
        }
        if let Some(p) = self.published.iter().find(|p| p.host_port == port) {
            return PortVerdict::PublishedHostPort(p.clone());
        }
        if !cmd.is_empty() {
            return PortVerdict::NotListening(cmd.into_iter().cloned().collect());
        }
        let decl: Vec<Evidence> = self
            .evidence
            .iter()
            .filter(|e| !matches!(e.source, Source::Env(_)))
            .cloned()
            .collect();
        if !decl.is_empty() {
            return PortVerdict::NotDeclared(decl);
        }
        PortVerdict::Unknown
    }

    /// Ports the service is known to listen on (for suggestions), lowest first.
    pub fn known_ports(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .evidence
            .iter()
            .filter(|e| !e.bind.as_deref().is_some_and(is_loopback_addr))
            .map(|e| e.start)
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        crate::discover::shell::split(s)
    }

    #[test]
    fn listen_flags() {
        assert_eq!(
            command_listens(&argv("httpd -f -p 8080 -h /www")),
            vec![(None, 8080)]
        );
        assert_eq!(
            command_listens(&argv("httpd -f -p 127.0.0.1:8080")),
            vec![(Some("127.0.0.1".into()), 8080)]
        );
        assert_eq!(
            command_listens(&argv("gunicorn -w 4 --bind 0.0.0.0:8000 app:app")),
            vec![(Some("0.0.0.0".into()), 8000)]
        );
        assert_eq!(
            command_listens(&argv("gunicorn -b=:5000 app")),
            vec![(None, 5000)]
        );
        assert_eq!(
            command_listens(&argv("python manage.py runserver 0.0.0.0:8000")),
            vec![(Some("0.0.0.0".into()), 8000)]
        );
        assert_eq!(
            command_listens(&argv("uvicorn main:app --host 127.0.0.1 --port 8001")),
            vec![(Some("127.0.0.1".into()), 8001)]
        );
        assert_eq!(command_listens(&argv("flask run --host=0.0.0.0")), vec![]);
        assert_eq!(
            command_listens(&argv("python3 -m http.server")),
            vec![(None, 8000)]
        );
        assert_eq!(
            command_listens(&argv("uwsgi --socket :3031 --module app")),
            vec![(None, 3031)]
        );
        assert_eq!(command_listens(&argv("nginx -g 'daemon off;'")), vec![]);
        assert_eq!(
            command_listens(&argv("./wait-for-it.sh -h db -p 5432 -- npm start")),
            vec![]
        );
        assert_eq!(
            command_listens(&argv("sh -c 'wait-for db:5432 -- gunicorn -b :8000 app'")),
            vec![(None, 8000)]
        );
    }

    #[test]
    fn env_port_forms() {
        let mut env = std::collections::BTreeMap::new();
        env.insert("ASPNETCORE_URLS".to_string(), "http://+:8000".to_string());
        env.insert("FLASK_SERVER_PORT".to_string(), "9091".to_string());
        env.insert("NAME".to_string(), "x".to_string());
        let mut v = env_ports(&env);
        v.sort();
        assert_eq!(
            v,
            vec![
                ("ASPNETCORE_URLS".to_string(), 8000),
                ("FLASK_SERVER_PORT".to_string(), 9091)
            ]
        );
    }
}
