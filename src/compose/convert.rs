//! The merged tree → the typed [`Project`]: every field compose-doctor uses, each with its location, with
//! compose's short/long syntaxes, defaults, path resolution, env_file reading and duplicate removal.
//! A value of the wrong type for a field we use is an [`Error`] at its location.

use super::dotenv;
use super::load::{Env, Loader};
use super::model::*;
use super::syntax::{self, is_remote_context, parse_expose, parse_port_short, parse_protocol};
use super::yaml::{Node, Value};
use crate::error::{Error, Warning};
use crate::span::{Location, Spanned};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

type R<T> = Result<T, Error>;

fn type_error(what: &str, expected: &str, n: &Node) -> Error {
    Error::at(
        format!("`{what}` must be {expected}, not {}", n.kind()),
        n.loc.clone(),
    )
}

/// A scalar's text (strings, numbers and booleans alike).
fn text(n: &Node, what: &str) -> R<String> {
    match &n.value {
        Value::Scalar(s, _) => Ok(s.clone()),
        _ => Err(type_error(what, "a string", n)),
    }
}

fn opt_text(n: Option<&Node>, what: &str) -> R<Option<Spanned<String>>> {
    match n {
        None => Ok(None),
        Some(n) if n.is_null() => Ok(None),
        Some(n) => Ok(Some(Spanned::new(text(n, what)?, n.loc.clone()))),
    }
}

fn seq<'n>(n: &'n Node, what: &str) -> R<&'n [Node]> {
    match &n.value {
        Value::Seq(items) => Ok(items),
        Value::Null => Ok(&[]),
        _ => Err(type_error(what, "a list", n)),
    }
}

/// A string or a list of strings.
fn text_list(n: &Node, what: &str) -> R<Vec<Spanned<String>>> {
    match &n.value {
        Value::Null => Ok(vec![]),
        Value::Scalar(s, _) => Ok(vec![Spanned::new(s.clone(), n.loc.clone())]),
        Value::Seq(items) => items
            .iter()
            .filter(|i| !i.is_null())
            .map(|i| Ok(Spanned::new(text(i, what)?, i.loc.clone())))
            .collect(),
        _ => Err(type_error(what, "a string or a list of strings", n)),
    }
}

fn boolean(n: &Node, what: &str) -> R<bool> {
    match n.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(type_error(what, "a boolean (true or false)", n)),
    }
}

fn opt_bool(n: Option<&Node>, what: &str, default: bool) -> R<bool> {
    match n {
        None => Ok(default),
        Some(n) if n.is_null() => Ok(default),
        Some(n) => boolean(n, what),
    }
}

fn map_entries<'n>(n: &'n Node, what: &str) -> R<&'n [(Node, Node)]> {
    match &n.value {
        Value::Map(m) => Ok(m),
        Value::Null => Ok(&[]),
        _ => Err(type_error(what, "a mapping", n)),
    }
}

/// `KEY=VALUE` lists and `KEY: VALUE` mappings: (key, value or None, location).
fn key_values(n: &Node, what: &str) -> R<Vec<(String, Option<String>, Location)>> {
    let mut out: Vec<(String, Option<String>, Location)> = Vec::new();
    let mut push = |k: String, v: Option<String>, loc: Location| {
        if let Some(e) = out.iter_mut().find(|(ek, _, _)| *ek == k) {
            *e = (k, v, loc);
        } else {
            out.push((k, v, loc));
        }
    };
    match &n.value {
        Value::Null => {}
        Value::Seq(items) => {
            for i in items {
                let s = text(i, what)?;
                match s.split_once('=') {
                    Some((k, v)) => push(k.to_string(), Some(v.to_string()), i.loc.clone()),
                    None => push(s, None, i.loc.clone()),
                }
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries {
                let key = text(k, what)?;
                let value = match &v.value {
                    Value::Null => None,
                    Value::Scalar(s, _) => Some(s.clone()),
                    _ => {
                        return Err(Error::at(
                            format!(
                                "`{what}.{key}` must be a string, a number, a boolean or null, not {}",
                                v.kind()
                            ),
                            v.loc.clone(),
                        ));
                    }
                };
                push(key, value, k.loc.clone());
            }
        }
        Value::Scalar(..) => return Err(type_error(what, "a list or a mapping", n)),
    }
    Ok(out)
}

/// Keeps the first position of each key and the last value (compose's duplicate removal).
fn dedup_by<T, K: PartialEq>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        let k = key(&item);
        match out.iter().position(|o| key(o) == k) {
            Some(i) => out[i] = item,
            None => out.push(item),
        }
    }
    out
}

struct Conv<'l, 'a> {
    loader: &'l mut Loader<'a>,
    env: &'l Env,
    project_dir: PathBuf,
    project: String,
    home: Option<PathBuf>,
}

impl Conv<'_, '_> {
    /// The directory relative paths written at `loc` resolve against.
    fn base(&self, loc: &Location) -> PathBuf {
        self.loader
            .base_dirs
            .get(&loc.file.to_path_buf())
            .cloned()
            .unwrap_or_else(|| self.project_dir.clone())
    }

    fn resolve(&self, raw: &str, loc: &Location) -> PathBuf {
        syntax::resolve_path(raw, &self.base(loc), self.home.as_deref())
    }

    fn warn(&mut self, msg: impl Into<String>, loc: Option<Location>) {
        self.loader.warnings.push(Warning::new(msg, loc));
    }

    fn service(&mut self, key: &Node, node: &Node, enabled_profiles: &[String]) -> R<Service> {
        let name = text(key, "services")?;
        let p = |f: &str| format!("services.{name}.{f}");
        let empty = Node::new(Value::Map(vec![]), key.loc.clone());
        let s = match &node.value {
            Value::Map(_) => node,
            Value::Null => &empty,
            _ => return Err(type_error(&format!("services.{name}"), "a mapping", node)),
        };
        let profiles: Vec<String> = match s.get("profiles") {
            Some(n) => text_list(n, &p("profiles"))?
                .into_iter()
                .map(|x| x.value)
                .collect(),
            None => vec![],
        };
        let profiles = dedup_by(profiles, |x| x.clone());
        let enabled = profiles.is_empty()
            || enabled_profiles
                .iter()
                .any(|e| e == "*" || profiles.contains(e));

        let build = match s.entry("build") {
            None => None,
            Some((_, v)) if v.is_null() => None,
            Some((k, v)) => Some(self.build(k, v, &p("build"))?),
        };

        let network_mode = opt_text(s.get("network_mode"), &p("network_mode"))?;
        let mut networks = match s.get("networks") {
            None => vec![],
            Some(n) => self.service_networks(n, &p("networks"))?,
        };
        // compose attaches the service to `default` whenever it names no network (also `networks: {}`).
        if networks.is_empty() && network_mode.is_none() {
            networks.push(ServiceNetwork {
                name: "default".into(),
                aliases: vec![],
                ipv4_address: None,
                ipv6_address: None,
                implicit: true,
                loc: key.loc.clone(),
            });
        }
        if network_mode.is_some() && !networks.is_empty() {
            self.warn(
                format!(
                    "service \"{name}\" declares both `network_mode` and `networks`, which compose refuses \
                     (mutually exclusive)"
                ),
                Some(key.loc.clone()),
            );
        }

        let links = match s.get("links") {
            None => vec![],
            Some(n) => pairs(n, &p("links"), ':')?,
        };
        let external_links = match s.get("external_links") {
            None => vec![],
            Some(n) => pairs(n, &p("external_links"), ':')?,
        };
        let extra_hosts = match s.get("extra_hosts") {
            None => vec![],
            Some(n) => extra_hosts(n, &p("extra_hosts"))?,
        };
        let ports = match s.get("ports") {
            None => vec![],
            Some(n) => ports(n, &p("ports"))?,
        };
        let expose = match s.get("expose") {
            None => vec![],
            Some(n) => {
                let mut out = Vec::new();
                for i in seq(n, &p("expose"))? {
                    let t = text(i, &p("expose"))?;
                    let r = parse_expose(&t).map_err(|e| Error::at(e, i.loc.clone()))?;
                    out.push(Spanned::new(r, i.loc.clone()));
                }
                dedup_by(out, |x| x.value)
            }
        };
        let volumes = match s.get("volumes") {
            None => vec![],
            Some(n) => self.mounts(n, &p("volumes"))?,
        };
        let configs = match s.get("configs") {
            None => vec![],
            Some(n) => service_configs(n, &p("configs"))?,
        };

        // env_file, then environment on top.
        let raw_env = match s.get("environment") {
            None => vec![],
            Some(n) => key_values(n, &p("environment"))?,
        };
        let mut environment: BTreeMap<String, Spanned<Option<String>>> = BTreeMap::new();
        let mut env_files = Vec::new();
        if let Some(n) = s.get("env_file") {
            for (path, required, loc) in self.env_file_entries(n, &p("env_file"))? {
                env_files.push(Spanned::new(path.clone(), loc.clone()));
                if let Some(real) = self.loader.outside(&path) {
                    self.warn(
                        format!(
                            "env_file {} is outside the project directory ({}): not read, its values are \
                             unknown (--allow-outside reads it)",
                            path.display(),
                            real.display()
                        ),
                        Some(loc),
                    );
                    continue;
                }
                if !path.is_file() {
                    if required {
                        let shown = path
                            .file_name()
                            .map(|f| f.to_string_lossy().to_string())
                            .unwrap_or_else(|| path.display().to_string());
                        self.warn(
                            format!(
                                "env_file {shown} not found; its values are unknown (docker compose would \
                                 refuse to start: {})",
                                path.display()
                            ),
                            Some(loc),
                        );
                    }
                    continue;
                }
                let project_env = self.env;
                let lookup = |k: &str| {
                    project_env.get(k).cloned().or_else(|| {
                        raw_env
                            .iter()
                            .find(|(rk, _, _)| rk == k)
                            .and_then(|(_, v, _)| v.clone())
                    })
                };
                let entries = dotenv::read_file(&path, &lookup)?;
                for e in entries {
                    environment.insert(
                        e.key,
                        Spanned::new(Some(e.value), Location::new(path.as_path(), e.line, 1)),
                    );
                }
            }
        }
        for (k, v, loc) in raw_env {
            let v = v.or_else(|| self.env.get(&k).cloned());
            environment.insert(k, Spanned::new(v, loc));
        }
        let env_files = dedup_by(env_files, |x| x.value.clone());

        let command = self.command(s.get("command"), &p("command"))?;
        let entrypoint = self.command(s.get("entrypoint"), &p("entrypoint"))?;

        let depends_on = match s.get("depends_on") {
            None => vec![],
            Some(n) => depends_on(n, &p("depends_on"))?,
        };
        let healthcheck = match s.entry("healthcheck") {
            None => None,
            Some((_, v)) if v.is_null() => None,
            Some((k, v)) => Some(healthcheck(k, v, &p("healthcheck"))?),
        };
        let mut mem_limit = opt_text(s.get("mem_limit"), &p("mem_limit"))?;
        if mem_limit.is_none() {
            let m = s
                .get("deploy")
                .and_then(|d| d.get("resources"))
                .and_then(|r| r.get("limits"))
                .and_then(|l| l.get("memory"));
            mem_limit = opt_text(m, &p("deploy.resources.limits.memory"))?;
        }
        let dns = match s.get("dns") {
            None => vec![],
            Some(n) => dedup_by(text_list(n, &p("dns"))?, |x| x.value.clone()),
        };
        let dns_opt = match s.get("dns_opt") {
            None => vec![],
            Some(n) => dedup_by(text_list(n, &p("dns_opt"))?, |x| x.value.clone()),
        };

        Ok(Service {
            loc: key.loc.clone(),
            enabled,
            profiles,
            image: opt_text(s.get("image"), &p("image"))?,
            build,
            container_name: opt_text(s.get("container_name"), &p("container_name"))?,
            hostname: opt_text(s.get("hostname"), &p("hostname"))?,
            domainname: opt_text(s.get("domainname"), &p("domainname"))?,
            networks,
            network_mode,
            links,
            external_links,
            extra_hosts,
            ports,
            expose,
            volumes,
            configs,
            environment,
            env_files,
            command,
            entrypoint,
            depends_on,
            healthcheck,
            restart: opt_text(s.get("restart"), &p("restart"))?,
            mem_limit,
            dns,
            dns_opt,
            x_compose_doctor: s.get("x-compose-doctor").map(Node::to_json),
            name,
        })
    }

    fn build(&mut self, key: &Node, v: &Node, what: &str) -> R<Build> {
        let (ctx_node, map) = match &v.value {
            Value::Scalar(..) => (Some(v), None),
            Value::Map(_) => (v.get("context").filter(|c| !c.is_null()), Some(v)),
            _ => return Err(type_error(what, "a string or a mapping", v)),
        };
        let (context_raw, ctx_loc) = match ctx_node {
            Some(c) => (text(c, &format!("{what}.context"))?, c.loc.clone()),
            None => (".".to_string(), v.loc.clone()),
        };
        let context = if is_remote_context(&context_raw) {
            None
        } else {
            Some(self.resolve(&context_raw, &ctx_loc))
        };
        let mut b = Build {
            context,
            context_raw,
            dockerfile: "Dockerfile".into(),
            dockerfile_inline: None,
            target: None,
            args: BTreeMap::new(),
            loc: key.loc.clone(),
        };
        if let Some(m) = map {
            if let Some(d) = opt_text(m.get("dockerfile"), &format!("{what}.dockerfile"))? {
                b.dockerfile = d.value;
            }
            b.dockerfile_inline = opt_text(
                m.get("dockerfile_inline"),
                &format!("{what}.dockerfile_inline"),
            )?
            .map(|x| x.value);
            b.target = opt_text(m.get("target"), &format!("{what}.target"))?.map(|x| x.value);
            if let Some(a) = m.get("args") {
                for (k, val, _) in key_values(a, &format!("{what}.args"))? {
                    let val = val.or_else(|| self.env.get(&k).cloned());
                    b.args.insert(k, val);
                }
            }
        }
        Ok(b)
    }

    fn service_networks(&mut self, n: &Node, what: &str) -> R<Vec<ServiceNetwork>> {
        let plain = |name: String, loc: Location| ServiceNetwork {
            name,
            aliases: vec![],
            ipv4_address: None,
            ipv6_address: None,
            implicit: false,
            loc,
        };
        let mut out: Vec<ServiceNetwork> = Vec::new();
        match &n.value {
            Value::Null => {}
            Value::Seq(items) => {
                for i in items {
                    out.push(plain(text(i, what)?, i.loc.clone()));
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    let name = text(k, what)?;
                    let mut sn = plain(name.clone(), k.loc.clone());
                    match &v.value {
                        Value::Null => {}
                        Value::Map(_) => {
                            let w = format!("{what}.{name}");
                            if let Some(a) = v.get("aliases") {
                                sn.aliases =
                                    dedup_by(text_list(a, &format!("{w}.aliases"))?, |x| {
                                        x.value.clone()
                                    });
                            }
                            sn.ipv4_address =
                                opt_text(v.get("ipv4_address"), &format!("{w}.ipv4_address"))?;
                            sn.ipv6_address =
                                opt_text(v.get("ipv6_address"), &format!("{w}.ipv6_address"))?;
                        }
                        _ => {
                            return Err(type_error(
                                &format!("{what}.{name}"),
                                "a mapping or null",
                                v,
                            ));
                        }
                    }
                    out.push(sn);
                }
            }
            Value::Scalar(..) => return Err(type_error(what, "a list or a mapping", n)),
        }
        Ok(dedup_by(out, |x| x.name.clone()))
    }

    fn mounts(&mut self, n: &Node, what: &str) -> R<Vec<Mount>> {
        let mut out = Vec::new();
        for i in seq(n, what)? {
            match &i.value {
                Value::Scalar(s, _) => {
                    let v =
                        syntax::parse_volume_short(s).map_err(|e| Error::at(e, i.loc.clone()))?;
                    let host_path = if v.bind {
                        v.source.as_deref().map(|src| self.resolve(src, &i.loc))
                    } else {
                        None
                    };
                    out.push(Mount {
                        kind: if v.bind {
                            MountKind::Bind
                        } else {
                            MountKind::Volume
                        },
                        source: v.source,
                        host_path,
                        target: v.target,
                        read_only: v.read_only,
                        create_host_path: true,
                        loc: i.loc.clone(),
                    });
                }
                Value::Map(_) => {
                    let kind = match opt_text(i.get("type"), &format!("{what}.type"))?
                        .map(|t| t.value)
                        .as_deref()
                    {
                        Some("bind") => MountKind::Bind,
                        Some("volume") | None => MountKind::Volume,
                        Some("tmpfs") => MountKind::Tmpfs,
                        Some("npipe") => MountKind::Npipe,
                        Some("cluster") => MountKind::Cluster,
                        Some("image") => MountKind::Image,
                        Some(other) => {
                            return Err(Error::at(
                                format!(
                                    "unknown volume type \"{other}\" (bind, volume, tmpfs, npipe, cluster, image)"
                                ),
                                i.get("type").map_or(i.loc.clone(), |t| t.loc.clone()),
                            ));
                        }
                    };
                    let source = opt_text(i.get("source"), &format!("{what}.source"))?;
                    let target =
                        opt_text(i.get("target"), &format!("{what}.target"))?.ok_or_else(|| {
                            Error::at(format!("`{what}` entry needs a `target`"), i.loc.clone())
                        })?;
                    let host_path = match (&kind, &source) {
                        (MountKind::Bind, Some(src)) => Some(self.resolve(&src.value, &src.loc)),
                        _ => None,
                    };
                    let create_host_path = match i.get("bind") {
                        Some(b) if !b.is_null() => {
                            map_entries(b, &format!("{what}.bind"))?;
                            opt_bool(
                                b.get("create_host_path"),
                                &format!("{what}.bind.create_host_path"),
                                true,
                            )?
                        }
                        _ => true,
                    };
                    out.push(Mount {
                        kind,
                        source: source.map(|s| s.value),
                        host_path,
                        target: target.value,
                        read_only: opt_bool(
                            i.get("read_only"),
                            &format!("{what}.read_only"),
                            false,
                        )?,
                        create_host_path,
                        loc: i.loc.clone(),
                    });
                }
                _ => return Err(type_error(what, "a list of strings or mappings", i)),
            }
        }
        Ok(dedup_by(out, |m| m.target.clone()))
    }

    fn env_file_entries(&mut self, n: &Node, what: &str) -> R<Vec<(PathBuf, bool, Location)>> {
        let mut out = Vec::new();
        let items: Vec<&Node> = match &n.value {
            Value::Null => vec![],
            Value::Scalar(..) => vec![n],
            Value::Seq(items) => items.iter().collect(),
            _ => return Err(type_error(what, "a string or a list", n)),
        };
        for i in items {
            match &i.value {
                Value::Scalar(s, _) => out.push((self.resolve(s, &i.loc), true, i.loc.clone())),
                Value::Map(_) => {
                    let path =
                        opt_text(i.get("path"), &format!("{what}.path"))?.ok_or_else(|| {
                            Error::at(format!("`{what}` entry needs a `path`"), i.loc.clone())
                        })?;
                    let required = opt_bool(i.get("required"), &format!("{what}.required"), true)?;
                    out.push((
                        self.resolve(&path.value, &path.loc),
                        required,
                        i.loc.clone(),
                    ));
                }
                Value::Null => {}
                _ => return Err(type_error(what, "a list of paths", i)),
            }
        }
        Ok(out)
    }

    fn command(&mut self, n: Option<&Node>, what: &str) -> R<Option<Spanned<Vec<String>>>> {
        let Some(n) = n else { return Ok(None) };
        match &n.value {
            Value::Null => Ok(None),
            Value::Scalar(s, _) => {
                let w = syntax::shell_split(s)
                    .map_err(|e| Error::at(format!("`{what}`: {e}"), n.loc.clone()))?;
                if let Some(op) = w.cut_at {
                    self.warn(
                        format!(
                            "`{what}` is cut at the unquoted `{op}`: docker compose splits a string command \
                             like go-shellwords and drops the rest; use a list or `sh -c \"...\"`"
                        ),
                        Some(n.loc.clone()),
                    );
                }
                Ok(Some(Spanned::new(w.args, n.loc.clone())))
            }
            Value::Seq(items) => {
                let args = items.iter().map(|i| text(i, what)).collect::<R<Vec<_>>>()?;
                Ok(Some(Spanned::new(args, n.loc.clone())))
            }
            Value::Map(_) => Err(type_error(what, "a string or a list", n)),
        }
    }

    /// Whether a top-level network or volume is external, and its Docker name: `name:` (or the legacy
    /// `external: {name: ...}`), else the key for an external one, else `PROJECT_KEY`.
    fn resource_name(&self, key: &str, v: &Node, w: &str) -> R<(bool, String)> {
        if !v.is_null() && v.as_map().is_none() {
            return Err(type_error(w, "a mapping or null", v));
        }
        let (external, ext_name) = match v.get("external") {
            None => (false, None),
            Some(e) if e.is_null() => (false, None),
            Some(e) if e.as_map().is_some() => (
                true,
                opt_text(e.get("name"), &format!("{w}.external.name"))?.map(|x| x.value),
            ),
            Some(e) => (boolean(e, &format!("{w}.external"))?, None),
        };
        let name = opt_text(v.get("name"), &format!("{w}.name"))?
            .map(|x| x.value)
            .or(ext_name);
        let docker_name = match name {
            Some(n) => n,
            None if external => key.to_string(),
            None => format!("{}_{key}", self.project),
        };
        Ok((external, docker_name))
    }

    fn network_defs(&mut self, n: Option<&Node>) -> R<BTreeMap<String, Network>> {
        let mut out = BTreeMap::new();
        let Some(n) = n else { return Ok(out) };
        for (k, v) in map_entries(n, "networks")? {
            let key = text(k, "networks")?;
            let w = format!("networks.{key}");
            let (external, docker_name) = self.resource_name(&key, v, &w)?;
            out.insert(
                key.clone(),
                Network {
                    key: key.clone(),
                    docker_name,
                    external,
                    internal: opt_bool(v.get("internal"), &format!("{w}.internal"), false)?,
                    driver: opt_text(v.get("driver"), &format!("{w}.driver"))?.map(|x| x.value),
                    declared: true,
                    loc: Some(k.loc.clone()),
                },
            );
        }
        Ok(out)
    }

    fn volume_defs(&mut self, n: Option<&Node>) -> R<BTreeMap<String, VolumeDef>> {
        let mut out = BTreeMap::new();
        let Some(n) = n else { return Ok(out) };
        for (k, v) in map_entries(n, "volumes")? {
            let key = text(k, "volumes")?;
            let w = format!("volumes.{key}");
            let (external, docker_name) = self.resource_name(&key, v, &w)?;
            out.insert(
                key.clone(),
                VolumeDef {
                    name: key.clone(),
                    docker_name,
                    external,
                    driver: opt_text(v.get("driver"), &format!("{w}.driver"))?.map(|x| x.value),
                    loc: k.loc.clone(),
                },
            );
        }
        Ok(out)
    }

    fn config_defs(&mut self, n: Option<&Node>) -> R<BTreeMap<String, ConfigDef>> {
        let mut out = BTreeMap::new();
        let Some(n) = n else { return Ok(out) };
        for (k, v) in map_entries(n, "configs")? {
            let key = text(k, "configs")?;
            let w = format!("configs.{key}");
            if !v.is_null() && v.as_map().is_none() {
                return Err(type_error(&w, "a mapping or null", v));
            }
            let file = opt_text(v.get("file"), &format!("{w}.file"))?
                .map(|f| self.resolve(&f.value, &f.loc));
            let external = match v.get("external") {
                Some(e) if e.as_map().is_some() => true,
                other => opt_bool(other, &format!("{w}.external"), false)?,
            };
            out.insert(
                key.clone(),
                ConfigDef {
                    name: key.clone(),
                    file,
                    content: opt_text(v.get("content"), &format!("{w}.content"))?.map(|x| x.value),
                    environment: opt_text(v.get("environment"), &format!("{w}.environment"))?
                        .map(|x| x.value),
                    external,
                    loc: k.loc.clone(),
                },
            );
        }
        Ok(out)
    }
}

/// `svc` / `svc:alias` pairs (links, external_links).
fn pairs(n: &Node, what: &str, sep: char) -> R<Vec<Spanned<(String, String)>>> {
    let mut out = Vec::new();
    for i in seq(n, what)? {
        let s = text(i, what)?;
        let (a, b) = match s.split_once(sep) {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => (s.clone(), s.clone()),
        };
        out.push(Spanned::new((a, b), i.loc.clone()));
    }
    Ok(dedup_by(out, |x| x.value.clone()))
}

fn strip_brackets(s: &str) -> String {
    s.strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s)
        .to_string()
}

fn extra_hosts(n: &Node, what: &str) -> R<Vec<Spanned<(String, String)>>> {
    let mut out = Vec::new();
    match &n.value {
        Value::Null => {}
        Value::Seq(items) => {
            for i in items {
                let s = text(i, what)?;
                let (h, ip) = s
                    .split_once('=')
                    .or_else(|| s.split_once(':'))
                    .ok_or_else(|| {
                        Error::at(
                            format!("invalid extra host \"{s}\": expected HOST:IP or HOST=IP"),
                            i.loc.clone(),
                        )
                    })?;
                out.push(Spanned::new(
                    (h.trim().to_string(), strip_brackets(ip.trim())),
                    i.loc.clone(),
                ));
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries {
                let h = text(k, what)?;
                for ip in text_list(v, &format!("{what}.{h}"))? {
                    out.push(Spanned::new(
                        (h.clone(), strip_brackets(&ip.value)),
                        k.loc.clone(),
                    ));
                }
            }
        }
        Value::Scalar(..) => return Err(type_error(what, "a list or a mapping", n)),
    }
    Ok(dedup_by(out, |x| x.value.clone()))
}

fn ports(n: &Node, what: &str) -> R<Vec<Port>> {
    let mut out = Vec::new();
    for i in seq(n, what)? {
        match &i.value {
            Value::Scalar(s, _) => {
                let spec = parse_port_short(s).map_err(|e| Error::at(e, i.loc.clone()))?;
                out.push(Port {
                    target: spec.target,
                    published: spec.published,
                    host_ip: spec.host_ip,
                    mode: None,
                    loc: i.loc.clone(),
                });
            }
            Value::Map(_) => {
                let target_node = i.get("target").filter(|t| !t.is_null()).ok_or_else(|| {
                    Error::at(
                        format!("`{what}` entry needs a `target` port"),
                        i.loc.clone(),
                    )
                })?;
                let t = text(target_node, &format!("{what}.target"))?;
                let (start, end) =
                    syntax::parse_range(&t).map_err(|e| Error::at(e, target_node.loc.clone()))?;
                let protocol = match opt_text(i.get("protocol"), &format!("{what}.protocol"))? {
                    Some(p) => parse_protocol(&p.value).map_err(|e| Error::at(e, p.loc.clone()))?,
                    None => Protocol::Tcp,
                };
                let published = match opt_text(i.get("published"), &format!("{what}.published"))? {
                    Some(p) if !p.value.is_empty() => Some(
                        syntax::parse_range(&p.value).map_err(|e| Error::at(e, p.loc.clone()))?,
                    ),
                    _ => None,
                };
                out.push(Port {
                    target: PortRange {
                        start,
                        end,
                        protocol,
                    },
                    published,
                    host_ip: opt_text(i.get("host_ip"), &format!("{what}.host_ip"))?
                        .map(|x| strip_brackets(&x.value)),
                    mode: opt_text(i.get("mode"), &format!("{what}.mode"))?.map(|x| x.value),
                    loc: i.loc.clone(),
                });
            }
            _ => return Err(type_error(what, "a list of port strings or mappings", i)),
        }
    }
    Ok(dedup_by(out, |p| {
        (p.host_ip.clone(), p.published, p.target)
    }))
}

fn service_configs(n: &Node, what: &str) -> R<Vec<ServiceConfig>> {
    let mut out = Vec::new();
    for i in seq(n, what)? {
        match &i.value {
            Value::Scalar(s, _) => out.push(ServiceConfig {
                source: s.clone(),
                target: format!("/{s}"),
                loc: i.loc.clone(),
            }),
            Value::Map(_) => {
                let source = opt_text(i.get("source"), &format!("{what}.source"))?
                    .ok_or_else(|| {
                        Error::at(format!("`{what}` entry needs a `source`"), i.loc.clone())
                    })?
                    .value;
                let target = opt_text(i.get("target"), &format!("{what}.target"))?
                    .map(|t| t.value)
                    .unwrap_or_else(|| format!("/{source}"));
                out.push(ServiceConfig {
                    source,
                    target,
                    loc: i.loc.clone(),
                });
            }
            _ => return Err(type_error(what, "a list of names or mappings", i)),
        }
    }
    Ok(dedup_by(out, |c| c.target.clone()))
}

fn depends_on(n: &Node, what: &str) -> R<Vec<Dependency>> {
    let mut out = Vec::new();
    match &n.value {
        Value::Null => {}
        Value::Seq(items) => {
            for i in items {
                out.push(Dependency {
                    service: text(i, what)?,
                    condition: "service_started".into(),
                    required: true,
                    loc: i.loc.clone(),
                });
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries {
                let service = text(k, what)?;
                let w = format!("{what}.{service}");
                if !v.is_null() && v.as_map().is_none() {
                    return Err(type_error(&w, "a mapping", v));
                }
                out.push(Dependency {
                    condition: opt_text(v.get("condition"), &format!("{w}.condition"))?
                        .map(|c| c.value)
                        .unwrap_or_else(|| "service_started".into()),
                    required: opt_bool(v.get("required"), &format!("{w}.required"), true)?,
                    service,
                    loc: k.loc.clone(),
                });
            }
        }
        Value::Scalar(..) => return Err(type_error(what, "a list or a mapping", n)),
    }
    Ok(dedup_by(out, |d| d.service.clone()))
}

fn healthcheck(key: &Node, v: &Node, what: &str) -> R<Healthcheck> {
    map_entries(v, what)?;
    let mut test = match v.get("test") {
        None => vec![],
        Some(t) => match &t.value {
            Value::Null => vec![],
            Value::Scalar(s, _) => vec!["CMD-SHELL".to_string(), s.clone()],
            Value::Seq(items) => items
                .iter()
                .map(|i| text(i, &format!("{what}.test")))
                .collect::<R<Vec<_>>>()?,
            Value::Map(_) => {
                return Err(type_error(&format!("{what}.test"), "a string or a list", t));
            }
        },
    };
    let mut disable = opt_bool(v.get("disable"), &format!("{what}.disable"), false)?;
    if test.first().map(String::as_str) == Some("NONE") {
        disable = true;
    }
    if disable && test.is_empty() {
        test = vec!["NONE".into()];
    }
    let retries = match opt_text(v.get("retries"), &format!("{what}.retries"))? {
        None => None,
        Some(r) => Some(r.value.parse::<u64>().map_err(|_| {
            Error::at(
                format!("`{what}.retries` must be a number, not \"{}\"", r.value),
                r.loc.clone(),
            )
        })?),
    };
    Ok(Healthcheck {
        test,
        disable,
        interval: opt_text(v.get("interval"), &format!("{what}.interval"))?.map(|x| x.value),
        timeout: opt_text(v.get("timeout"), &format!("{what}.timeout"))?.map(|x| x.value),
        retries,
        start_period: opt_text(v.get("start_period"), &format!("{what}.start_period"))?
            .map(|x| x.value),
        loc: key.loc.clone(),
    })
}

/// Builds the project from the merged tree.
pub(crate) fn to_project(
    loader: &mut Loader<'_>,
    model: Node,
    name: String,
    project_dir: PathBuf,
    env: &Env,
    profiles: &[String],
) -> R<Project> {
    let home = env.get("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    let mut c = Conv {
        loader,
        env,
        project_dir: project_dir.clone(),
        project: name.clone(),
        home,
    };
    let mut services = BTreeMap::new();
    if let Some(s) = model.get("services") {
        for (k, v) in map_entries(s, "services")? {
            let svc = c.service(k, v, profiles)?;
            services.insert(svc.name.clone(), svc);
        }
    }
    let mut networks = c.network_defs(model.get("networks"))?;
    let volumes = c.volume_defs(model.get("volumes"))?;
    let configs = c.config_defs(model.get("configs"))?;

    let legacy = c.loader.legacy_v1;
    if legacy {
        // docker-compose v1 put v1-format services on Docker's default bridge network, not a project one.
        for s in services.values_mut() {
            if s.networks.iter().all(|n| n.implicit) && s.network_mode.is_none() {
                s.networks.clear();
                s.network_mode = Some(Spanned::new("bridge".into(), s.loc.clone()));
            }
        }
    }
    if services
        .values()
        .any(|s| s.networks.iter().any(|n| n.name == "default"))
        && !networks.contains_key("default")
    {
        networks.insert(
            "default".into(),
            Network {
                key: "default".into(),
                docker_name: format!("{name}_default"),
                external: false,
                internal: false,
                driver: None,
                declared: false,
                loc: None,
            },
        );
    }
    // References compose would refuse (`undefined network`), kept as warnings so a diagnosis can go on.
    let mut undefined = Vec::new();
    for s in services.values() {
        for n in &s.networks {
            if !networks.contains_key(&n.name) {
                undefined.push((s.name.clone(), n.name.clone(), n.loc.clone()));
            }
        }
    }
    for (s, n, loc) in undefined {
        c.warn(
            format!(
                "service \"{s}\" refers to undefined network \"{n}\" (compose refuses to start it)"
            ),
            Some(loc),
        );
    }
    for (msg, loc) in dependency_problems(&services) {
        c.warn(msg, Some(loc));
    }
    let known: HashSet<&String> = services.values().flat_map(|s| &s.profiles).collect();
    let mut unknown = Vec::new();
    for p in profiles {
        if p != "*" && !known.contains(p) {
            unknown.push(p.clone());
        }
    }
    for p in unknown {
        c.warn(format!("no service has the profile \"{p}\""), None);
    }

    let mut warnings: Vec<Warning> = Vec::new();
    for w in std::mem::take(&mut c.loader.warnings) {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    Ok(Project {
        name,
        working_dir: project_dir,
        files: c.loader.files.clone(),
        services,
        networks,
        configs,
        volumes,
        legacy_v1: legacy,
        warnings,
    })
}

/// `depends_on` references compose refuses: undefined services and cycles (kept as warnings).
fn dependency_problems(services: &BTreeMap<String, Service>) -> Vec<(String, Location)> {
    let mut out = Vec::new();
    for s in services.values() {
        for d in &s.depends_on {
            if !services.contains_key(&d.service) {
                out.push((
                    format!(
                        "service \"{}\" depends on undefined service \"{}\" (compose refuses to start it)",
                        s.name, d.service
                    ),
                    d.loc.clone(),
                ));
            }
        }
    }
    // Cycles: depth-first search with an explicit path; each cycle reported once.
    let mut reported: HashSet<Vec<String>> = HashSet::new();
    let mut done: HashSet<&str> = HashSet::new();
    for start in services.keys() {
        let mut path: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        while let Some(&mut (name, ref mut next)) = path.last_mut() {
            let deps = &services[name].depends_on;
            if *next >= deps.len() || done.contains(name) {
                done.insert(name);
                path.pop();
                continue;
            }
            let d = &deps[*next];
            *next += 1;
            if !services.contains_key(&d.service) {
                continue;
            }
            if let Some(i) = path.iter().position(|(n, _)| *n == d.service) {
                let mut cycle: Vec<String> = path[i..].iter().map(|(n, _)| n.to_string()).collect();
                let min = (0..cycle.len()).min_by_key(|&k| &cycle[k]).unwrap_or(0);
                cycle.rotate_left(min);
                if reported.insert(cycle.clone()) {
                    let mut shown = cycle.clone();
                    shown.push(cycle[0].clone());
                    out.push((
                        format!(
                            "dependency cycle in depends_on: {} (compose refuses to start these services)",
                            shown.join(" -> ")
                        ),
                        d.loc.clone(),
                    ));
                }
                continue;
            }
            if !done.contains(d.service.as_str()) {
                path.push((d.service.as_str(), 0));
            }
        }
    }
    out
}
