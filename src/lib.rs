//! compose-doctor: finds why nginx in Docker Compose answers 502 Bad Gateway, before and after it happens.
//!
//! Data flows one way: the loaders (`compose`, `nginx`, `discover`) fill one model of facts (`model::Facts`),
//! the checks (`checks`) turn facts into findings without any I/O, and `report` renders them.

pub mod checks;
pub mod compose;
pub mod config;
pub mod discover;
pub mod docker;
pub mod dump;
pub mod error;
pub mod fsread;
pub mod fuzzing;
pub mod live;
pub mod model;
pub mod nginx;
pub mod policy;
pub mod probe;
pub mod redact;
pub mod report;
pub mod span;
pub mod suppress;

use model::Facts;

/// Loads the compose project and the configuration of every nginx service in it (no host file outside the
/// project directory is read: see [`discover::discover_with`]).
pub fn load_facts(opts: &compose::LoadOptions) -> error::Result<Facts> {
    load_facts_with(opts, false)
}

/// [`load_facts`]; `allow_outside` reads bind-mount sources and files outside the project directory too.
pub fn load_facts_with(opts: &compose::LoadOptions, allow_outside: bool) -> error::Result<Facts> {
    let project = compose::load(opts)?;
    let (proxies, images) = discover::discover_with(&project, allow_outside);
    Ok(Facts {
        project,
        proxies,
        images,
        live: None,
    })
}

/// The configuration directory of a proxy's image, where live mode reads the files back from.
fn conf_dir(proxy: &model::Proxy) -> String {
    match proxy.loaded() {
        Some(c) => match c.entry.rsplit_once('/') {
            Some((dir, _)) if !dir.is_empty() => dir.to_string(),
            _ => "/etc/nginx".into(),
        },
        None => "/etc/nginx".into(),
    }
}

/// Asks Docker what runs for the project and adds it to the facts (live mode), with the configuration
/// files that differ between the project and the running proxies.
pub fn add_live(
    facts: &mut Facts,
    client: &docker::Client,
    opts: &docker::DockerOptions,
) -> Result<(), docker::DockerError> {
    let nginx: Vec<(String, String)> = facts
        .proxies
        .iter()
        .map(|p| (p.service.clone(), conf_dir(p)))
        .collect();
    let mut opts = opts.clone();
    if opts.sockets_for.is_none() {
        opts.sockets_for = socket_hosts(facts);
    }
    let live = docker::gather(client, &facts.project, &nginx, &opts)?;
    for proxy in &mut facts.proxies {
        proxy.drift = drift(proxy, &live);
    }
    facts.live = Some(live);
    Ok(())
}

/// The names that the routes' targets designate (lowercase), with the services they lead to through
/// `links`, `container_name` and `hostname`; `None` when a target's host is only known at run time (every
/// container's sockets are read then). Live mode reads the listening sockets of these containers only.
fn socket_hosts(facts: &Facts) -> Option<std::collections::BTreeSet<String>> {
    use nginx::Host;
    let mut hosts = std::collections::BTreeSet::new();
    for p in &facts.proxies {
        for t in p.targets() {
            match &t.host {
                Host::Name(n) => {
                    hosts.insert(n.to_ascii_lowercase());
                }
                Host::Ip(ip) => {
                    hosts.insert(ip.to_string());
                }
                Host::Unix(_) => {}
                Host::Dynamic(_) => return None,
            }
        }
    }
    for svc in facts.project.services.values() {
        let named = [&svc.container_name, &svc.hostname]
            .into_iter()
            .flatten()
            .any(|n| hosts.contains(&n.value.to_ascii_lowercase()));
        let linked: Vec<String> = svc
            .links
            .iter()
            .filter(|l| hosts.contains(&l.value.1.to_ascii_lowercase()))
            .map(|l| l.value.0.to_ascii_lowercase())
            .collect();
        let aliased = svc.networks.iter().any(|n| {
            n.aliases
                .iter()
                .any(|a| hosts.contains(&a.value.to_ascii_lowercase()))
        });
        if named || aliased {
            hosts.insert(svc.name.to_ascii_lowercase());
        }
        hosts.extend(linked);
    }
    Some(hosts)
}

/// Project files whose text differs from the same path in the running proxy container.
pub(crate) fn drift(proxy: &model::Proxy, live: &live::LiveFacts) -> Vec<model::Drift> {
    let Some(cfg) = proxy.loaded() else {
        return Vec::new();
    };
    let Some(files) = live
        .containers_of(&proxy.service)
        .find(|c| c.is_running())
        .and_then(|c| c.nginx.as_ref())
        .and_then(|n| n.files.as_ref())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in &cfg.files {
        // rendered templates and the image's own defaults have no project text to compare
        let src = proxy
            .sources
            .iter()
            .rev()
            .find(|s| s.container_path == f.container_path);
        if !src.is_some_and(|s| matches!(s.kind, "mount" | "config" | "copy"))
            || !f.host_path.is_file()
        {
            continue;
        }
        let Ok(text) = std::fs::read(&f.host_path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text);
        let kind = match files.iter().find(|(p, _)| *p == f.container_path) {
            Some((_, t)) if *t == text => continue,
            Some(_) => "differs",
            None => "missing",
        };
        out.push(model::Drift {
            container_path: f.container_path.clone(),
            host_path: f.host_path.clone(),
            kind,
            origin: src.and_then(|s| s.origin.clone()),
        });
    }
    out
}
