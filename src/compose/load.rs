//! Discovery, `.env`, project name, per-file processing (interpolation, `extends:`, `include:`) and the merge
//! of all files into one tree, in the order `docker compose` (compose-go) does it.

use super::LoadOptions;
use super::dotenv;
use super::interp;
use super::merge::{merge, strip_tags};
use super::model::Project;
use super::syntax::{clean, normalize_project_name};
use super::yaml::{self, Node, Value};
use crate::error::{Error, Warning};
use crate::span::Location;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Main compose file names, in compose's order of preference.
pub const DEFAULT_FILE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
/// Override file names, in compose's order of preference.
pub const DEFAULT_OVERRIDE_FILE_NAMES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Top-level keys of the compose specification (anything else at the top, without `services:`, is v1).
const TOP_LEVEL_KEYS: &[&str] = &[
    "version", "name", "services", "networks", "volumes", "configs", "secrets", "include", "models",
];

pub type Env = BTreeMap<String, String>;

pub(crate) struct Loader<'a> {
    pub opts: &'a LoadOptions,
    pub warnings: Vec<Warning>,
    /// For every file read: the directory its relative paths resolve against.
    pub base_dirs: HashMap<PathBuf, PathBuf>,
    /// Every compose file read, in order of first reading.
    pub files: Vec<PathBuf>,
    pub legacy_v1: bool,
    docs_cache: HashMap<PathBuf, std::rc::Rc<Vec<Node>>>,
    /// The project directory (canonical) files named by compose files must be in, unless `allow_outside`.
    inside: Option<PathBuf>,
    /// Bytes variable expansion may still produce for the whole project.
    interp_budget: usize,
}

fn abs(base: &Path, p: &Path) -> PathBuf {
    clean(&if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    })
}

/// Remote resources (git, OCI, http) that compose can fetch for `include`/`extends`; we read local files only.
fn is_remote(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@")
}

/// The location of a whole file (line 1), for errors about the file itself.
fn file_loc(p: &Path) -> Location {
    Location::new(p, 1, 1)
}

/// Reads env files into `env` without overriding what is already there. `lookup` order inside the files:
/// the values already in `env` (process environment first), then earlier files.
fn load_env_files(files: &[PathBuf], env: &Env) -> Result<Vec<(String, String, Location)>, Error> {
    let mut loaded: Vec<(String, String, Location)> = Vec::new();
    for f in files {
        if !f.exists() {
            return Err(Error::new(format!(
                "couldn't find env file: {}",
                f.display()
            )));
        }
        let entries = {
            let lookup = |k: &str| {
                env.get(k).cloned().or_else(|| {
                    loaded
                        .iter()
                        .rev()
                        .find(|(lk, _, _)| lk == k)
                        .map(|(_, v, _)| v.clone())
                })
            };
            dotenv::read_file(f, &lookup)?
        };
        for e in entries {
            loaded.push((e.key, e.value, Location::new(f.as_path(), e.line, 1)));
        }
    }
    Ok(loaded)
}

impl<'a> Loader<'a> {
    pub fn new(opts: &'a LoadOptions) -> Self {
        Loader {
            opts,
            warnings: Vec::new(),
            base_dirs: HashMap::new(),
            files: Vec::new(),
            legacy_v1: false,
            docs_cache: HashMap::new(),
            inside: None,
            interp_budget: interp::MAX_TOTAL_BYTES,
        }
    }

    /// Where `path` really is when it is outside the project directory and may not be read (see
    /// [`LoadOptions::allow_outside`]).
    pub(crate) fn outside(&self, path: &Path) -> Option<PathBuf> {
        let root = self.inside.as_ref()?;
        let real = path.canonicalize().ok()?;
        (!real.starts_with(root)).then_some(real)
    }

    /// The error for an `include`/`extends` of a file outside the project directory.
    fn outside_error(&self, what: &str, path: &Path, real: &Path, loc: &Location) -> Error {
        Error::at(
            format!(
                "{what} {} is outside the project directory ({}): not read",
                path.display(),
                real.display()
            ),
            loc.clone(),
        )
        .with_note("pass --allow-outside to read files outside the project directory")
    }

    fn working_dir(&self) -> PathBuf {
        let wd = &self.opts.working_dir;
        if wd.is_absolute() {
            clean(wd)
        } else {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
            abs(&cwd, wd)
        }
    }

    pub fn run(mut self) -> Result<Project, Error> {
        let wd = self.working_dir();
        let mut environ: Env = self.opts.environ.clone();
        let explicit_files: Vec<PathBuf> = self.opts.files.iter().map(|f| abs(&wd, f)).collect();
        let project_dir_opt = self.opts.project_directory.as_ref().map(|p| abs(&wd, p));
        let explicit_env_files: Vec<PathBuf> =
            self.opts.env_files.iter().map(|f| abs(&wd, f)).collect();

        // 1. COMPOSE_* variables from the `.env` of the --project-directory, else of the first -f file's
        //    directory, else of the working directory (as docker compose does before anything else).
        let bootstrap_dir = project_dir_opt
            .clone()
            .or_else(|| {
                explicit_files
                    .first()
                    .and_then(|f| f.parent().map(Path::to_path_buf))
            })
            .unwrap_or_else(|| wd.clone());
        let bootstrap_files = if explicit_env_files.is_empty() {
            let f = bootstrap_dir.join(".env");
            if f.is_file() { vec![f] } else { vec![] }
        } else {
            explicit_env_files.clone()
        };
        for (k, v, _) in load_env_files(&bootstrap_files, &environ)? {
            if k.starts_with("COMPOSE_") && !environ.contains_key(&k) {
                environ.insert(k, v);
            }
        }

        // 2. The compose files.
        let from_env: Vec<PathBuf> = match environ.get("COMPOSE_FILE") {
            Some(cf) => {
                let sep = environ
                    .get("COMPOSE_PATH_SEPARATOR")
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .unwrap_or_else(|| ":".to_string());
                cf.split(sep.as_str())
                    .filter(|s| !s.is_empty())
                    .map(|s| abs(&wd, Path::new(s)))
                    .collect()
            }
            None => vec![],
        };
        let files = if !explicit_files.is_empty() {
            explicit_files
        } else if !from_env.is_empty() {
            from_env
        } else {
            self.discover(project_dir_opt.as_deref().unwrap_or(&wd))?
        };
        for f in &files {
            if !f.is_file() {
                return Err(Error::new(format!(
                    "compose file not found: {}",
                    f.display()
                )));
            }
        }

        // 3. Project directory and the environment used for interpolation.
        let project_dir = project_dir_opt.unwrap_or_else(|| {
            files[0]
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| wd.clone())
        });
        if !self.opts.allow_outside {
            self.inside = project_dir.canonicalize().ok();
        }
        let no_default_env = environ
            .get("COMPOSE_DISABLE_ENV_FILE")
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "t"));
        let env_files = if explicit_env_files.is_empty() {
            let f = project_dir.join(".env");
            if no_default_env {
                vec![]
            } else if f.is_file() {
                vec![f]
            } else {
                vec![]
            }
        } else {
            explicit_env_files
        };
        let mut env = environ.clone();
        for (k, v, _) in load_env_files(&env_files, &environ)? {
            env.entry(k).or_insert(v);
        }

        // 4. Project name: -p, COMPOSE_PROJECT_NAME, the last `name:` in the files, the directory name.
        for f in &files {
            self.docs(f)?;
        }
        let name = self.project_name(&files, &env, &project_dir)?;
        env.insert("COMPOSE_PROJECT_NAME".to_string(), name.clone());

        // 5. Every file: interpolation, extends, include, then the merge in order.
        let mut model: Option<Node> = None;
        for f in &files {
            let node = self.load_file(f, &project_dir, &env, &[])?;
            model = Some(match model {
                None => node,
                Some(m) => merge(m, node, &mut Vec::new()),
            });
        }
        let mut model = model.expect("at least one compose file");
        strip_tags(&mut model);
        if model.as_map().is_none_or(|m| m.is_empty()) {
            return Err(Error::at("empty compose file", file_loc(&files[0])));
        }

        // 6. Profiles.
        let profiles: Vec<String> = if !self.opts.profiles.is_empty() {
            self.opts.profiles.clone()
        } else {
            env.get("COMPOSE_PROFILES")
                .map(|s| {
                    s.split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };

        super::convert::to_project(&mut self, model, name, project_dir, &env, &profiles)
    }

    /// Searches `start` and its parents for a compose file (and the override file beside it).
    fn discover(&mut self, start: &Path) -> Result<Vec<PathBuf>, Error> {
        let mut dir = start.to_path_buf();
        loop {
            let found: Vec<PathBuf> = DEFAULT_FILE_NAMES
                .iter()
                .map(|n| dir.join(n))
                .filter(|p| p.is_file())
                .collect();
            if let Some(first) = found.first() {
                if found.len() > 1 {
                    self.warnings.push(Warning::new(
                        format!(
                            "found multiple config files with supported names: {}; using {}",
                            found
                                .iter()
                                .map(|p| p.display().to_string())
                                .collect::<Vec<_>>()
                                .join(", "),
                            first.display()
                        ),
                        None,
                    ));
                }
                let mut out = vec![first.clone()];
                if let Some(o) = DEFAULT_OVERRIDE_FILE_NAMES
                    .iter()
                    .map(|n| dir.join(n))
                    .find(|p| p.is_file())
                {
                    out.push(o);
                }
                return Ok(out);
            }
            if !dir.pop() {
                return Err(Error::new(format!(
                    "no configuration file provided: no compose.yaml, compose.yml, docker-compose.yml or \
                     docker-compose.yaml in {} or its parents",
                    start.display()
                )));
            }
        }
    }

    /// The parsed documents of a file (parsed once, shared: no copy until someone needs to change them).
    fn docs(&mut self, path: &Path) -> Result<std::rc::Rc<Vec<Node>>, Error> {
        if let Some(d) = self.docs_cache.get(path) {
            return Ok(d.clone());
        }
        let text = yaml::read_source(path)?;
        let docs = std::rc::Rc::new(yaml::parse_documents(&text, path)?);
        self.docs_cache.insert(path.to_path_buf(), docs.clone());
        Ok(docs)
    }

    /// The documents of a file to change: taken out of the cache when this is their last user (the common
    /// case: each file is processed once), copied otherwise.
    fn docs_owned(&mut self, path: &Path) -> Result<Vec<Node>, Error> {
        let rc = self.docs(path)?;
        self.docs_cache.remove(path);
        Ok(std::rc::Rc::try_unwrap(rc).unwrap_or_else(|rc| (*rc).clone()))
    }

    fn project_name(
        &mut self,
        files: &[PathBuf],
        env: &Env,
        project_dir: &Path,
    ) -> Result<String, Error> {
        let imperative = self
            .opts
            .project_name
            .clone()
            .filter(|s| !s.is_empty())
            .map(|n| (n, "-p/--project-name"))
            .or_else(|| {
                env.get("COMPOSE_PROJECT_NAME")
                    .filter(|s| !s.is_empty())
                    .map(|n| (n.clone(), "COMPOSE_PROJECT_NAME"))
            });
        if let Some((n, source)) = imperative {
            if normalize_project_name(&n) != n {
                return Err(Error::new(format!(
                    "invalid project name \"{n}\" (from {source}): must consist only of lowercase alphanumeric \
                     characters, hyphens, and underscores as well as start with a letter or number"
                )));
            }
            return Ok(n);
        }
        let mut from_files: Option<Node> = None;
        for f in files {
            for d in self.docs(f)?.iter() {
                if let Some(n) = d.get("name")
                    && n.as_str().is_some_and(|s| !s.is_empty())
                {
                    from_files = Some(n.clone());
                }
            }
        }
        if let Some(mut n) = from_files {
            let lookup = |k: &str| env.get(k).cloned();
            interp::interpolate_tree_within(
                &mut n,
                &lookup,
                &mut self.warnings,
                &mut self.interp_budget,
            )?;
            let name = normalize_project_name(n.as_str().unwrap_or(""));
            if !name.is_empty() {
                return Ok(name);
            }
        }
        let base = project_dir
            .file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let name = normalize_project_name(&base);
        if name.is_empty() {
            return Err(Error::new(format!(
                "project name must not be empty: the directory name \"{base}\" has no usable character; \
                 use -p or a top-level `name:`"
            )));
        }
        Ok(name)
    }

    fn note_file(&mut self, path: &Path, base_dir: &Path) {
        if !self.files.iter().any(|f| f == path) {
            self.files.push(path.to_path_buf());
        }
        self.base_dirs
            .entry(path.to_path_buf())
            .or_insert_with(|| base_dir.to_path_buf());
    }

    /// Loads one compose file: every document is interpolated, its `extends` and `include` applied, and the
    /// documents are merged in order. Relative paths in the file resolve against `base_dir`.
    pub fn load_file(
        &mut self,
        path: &Path,
        base_dir: &Path,
        env: &Env,
        include_chain: &[PathBuf],
    ) -> Result<Node, Error> {
        self.note_file(path, base_dir);
        let docs = self.docs_owned(path)?;
        let mut acc: Option<Node> = None;
        for mut doc in docs {
            if doc.as_map().is_none() {
                return Err(Error::at(
                    format!(
                        "the top level of a compose file must be a mapping, not {}",
                        doc.kind()
                    ),
                    doc.loc.clone(),
                ));
            }
            self.legacy(&mut doc);
            let lookup = |k: &str| env.get(k).cloned();
            interp::interpolate_tree_within(
                &mut doc,
                &lookup,
                &mut self.warnings,
                &mut self.interp_budget,
            )?;
            self.apply_extends(&mut doc, path, env)?;
            let mut chain = include_chain.to_vec();
            chain.push(path.to_path_buf());
            self.apply_include(&mut doc, base_dir, env, &chain)?;
            acc = Some(match acc {
                None => doc,
                Some(a) => merge(a, doc, &mut Vec::new()),
            });
        }
        Ok(acc.unwrap_or_else(|| Node::new(Value::Map(Vec::new()), file_loc(path))))
    }

    /// The legacy v1 format: services at the top level, no `services:` key.
    fn legacy(&mut self, doc: &mut Node) {
        let Some(entries) = doc.as_map() else { return };
        if entries
            .iter()
            .any(|(k, _)| matches!(k.as_str(), Some("services") | Some("include")))
        {
            return;
        }
        let is_service = |k: &Node, v: &Node| {
            let name = k.as_str().unwrap_or("");
            !TOP_LEVEL_KEYS.contains(&name)
                && !name.starts_with("x-")
                && (v.as_map().is_some() || v.is_null())
        };
        if !entries.iter().any(|(k, v)| is_service(k, v)) {
            return;
        }
        let Some(entries) = doc.as_map_mut() else {
            return;
        };
        let (services, rest): (Vec<_>, Vec<_>) = std::mem::take(entries)
            .into_iter()
            .partition(|(k, v)| is_service(k, v));
        *entries = rest;
        let loc = doc.loc.clone();
        self.warnings.push(Warning::new(
            "legacy compose file format (version 1): services are at the top level without a `services:` \
             key; docker compose v2 refuses this file, and docker-compose v1 runs these services on the \
             default bridge network (reachable by each other only through `links:`)",
            Some(loc.clone()),
        ));
        self.legacy_v1 = true;
        if let Some(m) = doc.as_map_mut() {
            m.push((
                Node::scalar("services", loc.clone()),
                Node::new(Value::Map(services), loc),
            ));
        }
    }

    fn apply_extends(&mut self, doc: &mut Node, file: &Path, env: &Env) -> Result<(), Error> {
        let Some(services) = doc.get_mut("services") else {
            return Ok(());
        };
        let Value::Map(entries) = &mut services.value else {
            return Ok(()); // reported by the typed conversion
        };
        // only the services that extend another (the others need no work, and no copy)
        let names: Vec<String> = entries
            .iter()
            .filter(|(_, v)| v.get("extends").is_some())
            .filter_map(|(k, _)| k.as_str().map(str::to_string))
            .collect();
        for name in names {
            let mut chain = Vec::new();
            self.extend_service(entries, file, &name, env, &mut chain)?;
        }
        Ok(())
    }

    /// Resolves `extends` of service `name` in `services` (the services of `file`), recursively. Returns the
    /// resolved service (also stored back into `services`).
    fn extend_service(
        &mut self,
        services: &mut Vec<(Node, Node)>,
        file: &Path,
        name: &str,
        env: &Env,
        chain: &mut Vec<(PathBuf, String)>,
    ) -> Result<Option<Node>, Error> {
        let Some(pos) = services.iter().position(|(k, _)| k.as_str() == Some(name)) else {
            return Ok(None);
        };
        let svc = services[pos].1.clone();
        let Some((ext_key, ext)) = svc.entry("extends") else {
            return Ok(Some(svc));
        };
        let ext_loc = ext_key.loc.clone();
        let (reference, ref_file) = match &ext.value {
            Value::Scalar(s, _) => (s.clone(), None),
            Value::Map(_) => {
                let service = ext.get("service").and_then(Node::as_str).ok_or_else(|| {
                    Error::at(
                        format!("extends of service \"{name}\" needs `service:` (a string)"),
                        ext.loc.clone(),
                    )
                })?;
                let f = match ext.get("file") {
                    None => None,
                    Some(n) if n.is_null() => None,
                    Some(n) => Some(n.as_str().ok_or_else(|| {
                        Error::at("extends `file:` must be a string", n.loc.clone())
                    })?),
                };
                (service.to_string(), f.map(str::to_string))
            }
            _ => {
                return Err(Error::at(
                    format!(
                        "extends must be a service name or a mapping, not {}",
                        ext.kind()
                    ),
                    ext.loc.clone(),
                ));
            }
        };
        let here = (file.to_path_buf(), name.to_string());
        if chain.contains(&here) || chain.len() > 64 {
            let mut e = Error::at(
                format!("circular reference in extends of service \"{name}\""),
                ext_loc,
            );
            for (f, s) in chain.iter() {
                e = e.with_note(format!("{s} in {} extends", f.display()));
            }
            return Err(e.with_note(format!("{name} in {}", file.display())));
        }
        chain.push(here);
        let base = match ref_file {
            Some(rf) if is_remote(&rf) => {
                return Err(Error::at(
                    format!(
                        "extends of a remote file ({rf}) is not supported: compose-doctor reads local files only"
                    ),
                    ext.loc.clone(),
                ));
            }
            Some(rf) => {
                let dir = self
                    .base_dirs
                    .get(&ext_loc.file.to_path_buf())
                    .cloned()
                    .unwrap_or_else(|| file.parent().unwrap_or(Path::new("/")).to_path_buf());
                let target = abs(&dir, Path::new(&rf));
                if !target.is_file() {
                    return Err(Error::at(
                        format!(
                            "cannot extend service \"{name}\": file {} not found",
                            target.display()
                        ),
                        ext.loc.clone(),
                    ));
                }
                if let Some(real) = self.outside(&target) {
                    return Err(self.outside_error("extended file", &target, &real, &ext.loc));
                }
                let target_dir = target.parent().unwrap_or(Path::new("/")).to_path_buf();
                self.note_file(&target, &target_dir);
                let mut other: Option<Node> = None;
                for mut d in self.docs_owned(&target)? {
                    if d.as_map().is_none() {
                        return Err(Error::at(
                            "the top level of a compose file must be a mapping",
                            d.loc.clone(),
                        ));
                    }
                    let lookup = |k: &str| env.get(k).cloned();
                    interp::interpolate_tree_within(
                        &mut d,
                        &lookup,
                        &mut self.warnings,
                        &mut self.interp_budget,
                    )?;
                    other = Some(match other {
                        None => d,
                        Some(o) => merge(o, d, &mut Vec::new()),
                    });
                }
                let mut other_services = match other
                    .and_then(|mut o| o.remove("services"))
                    .map(|(_, v)| v.value)
                {
                    Some(Value::Map(m)) => m,
                    _ => Vec::new(),
                };
                if !other_services
                    .iter()
                    .any(|(k, _)| k.as_str() == Some(&reference))
                {
                    return Err(Error::at(
                        format!(
                            "cannot extend service \"{name}\": service \"{reference}\" not found in {}",
                            target.display()
                        ),
                        ext.loc.clone(),
                    ));
                }
                self.extend_service(&mut other_services, &target, &reference, env, chain)?
            }
            None => {
                if !services.iter().any(|(k, _)| k.as_str() == Some(&reference)) {
                    return Err(Error::at(
                        format!(
                            "cannot extend service \"{name}\": service \"{reference}\" not found in {}",
                            file.display()
                        ),
                        ext.loc.clone(),
                    ));
                }
                self.extend_service(services, file, &reference, env, chain)?
            }
        };
        chain.pop();
        let mut merged = match base {
            Some(b) if !b.is_null() => {
                let mut path = vec!["services".to_string(), name.to_string()];
                merge(b, svc, &mut path)
            }
            _ => svc,
        };
        merged.remove("extends");
        services[pos].1 = merged.clone();
        Ok(Some(merged))
    }

    fn apply_include(
        &mut self,
        doc: &mut Node,
        base_dir: &Path,
        env: &Env,
        chain: &[PathBuf],
    ) -> Result<(), Error> {
        let Some((inc_key, inc)) = doc.remove("include") else {
            return Ok(());
        };
        let items = match inc.value {
            Value::Null => return Ok(()),
            Value::Seq(items) => items,
            _ => {
                return Err(Error::at(
                    format!("`include` must be a list, not {}", inc.kind()),
                    inc_key.loc,
                ));
            }
        };
        for item in items {
            let str_list = |n: &Node, what: &str| -> Result<Vec<String>, Error> {
                match &n.value {
                    Value::Scalar(s, _) => Ok(vec![s.clone()]),
                    Value::Seq(v) => v
                        .iter()
                        .map(|x| {
                            x.as_str().map(str::to_string).ok_or_else(|| {
                                Error::at(
                                    format!("include `{what}` entries must be strings"),
                                    x.loc.clone(),
                                )
                            })
                        })
                        .collect(),
                    _ => Err(Error::at(
                        format!("include `{what}` must be a string or a list of strings"),
                        n.loc.clone(),
                    )),
                }
            };
            let (paths, project_directory, env_file) = match &item.value {
                Value::Scalar(s, _) => (vec![s.clone()], None, None),
                Value::Map(_) => {
                    let p = item.get("path").ok_or_else(|| {
                        Error::at("include entry needs `path:`", item.loc.clone())
                    })?;
                    let paths = str_list(p, "path")?;
                    let pd = match item.get("project_directory") {
                        Some(n) if !n.is_null() => Some(
                            n.as_str()
                                .ok_or_else(|| {
                                    Error::at(
                                        "include `project_directory` must be a string",
                                        n.loc.clone(),
                                    )
                                })?
                                .to_string(),
                        ),
                        _ => None,
                    };
                    let ef = match item.get("env_file") {
                        Some(n) if !n.is_null() => Some(str_list(n, "env_file")?),
                        _ => None,
                    };
                    (paths, pd, ef)
                }
                _ => {
                    return Err(Error::at(
                        format!(
                            "include entries must be a path or a mapping, not {}",
                            item.kind()
                        ),
                        item.loc.clone(),
                    ));
                }
            };
            if paths.is_empty() {
                return Err(Error::at("include entry has no path", item.loc.clone()));
            }
            if let Some(r) = paths.iter().find(|p| is_remote(p)) {
                return Err(Error::at(
                    format!(
                        "include of a remote resource ({r}) is not supported: compose-doctor reads local files only"
                    ),
                    item.loc.clone(),
                ));
            }
            let paths: Vec<PathBuf> = paths.iter().map(|p| abs(base_dir, Path::new(p))).collect();
            if let Some(pos) = chain.iter().position(|c| c == &paths[0]) {
                let mut e = Error::at("include cycle detected", item.loc.clone());
                for c in &chain[pos..] {
                    e = e.with_note(format!("{} includes", c.display()));
                }
                return Err(e.with_note(paths[0].display().to_string()));
            }
            let inc_dir = match &project_directory {
                Some(pd) => abs(base_dir, Path::new(pd)),
                None => paths[0].parent().unwrap_or(Path::new("/")).to_path_buf(),
            };
            let env_files: Vec<PathBuf> = match &env_file {
                Some(list) => list
                    .iter()
                    .filter(|f| f.as_str() != "/dev/null")
                    .map(|f| abs(base_dir, Path::new(f)))
                    .collect(),
                None => {
                    let f = inc_dir.join(".env");
                    if f.is_file() { vec![f] } else { vec![] }
                }
            };
            let mut inc_env = env.clone();
            for (k, v, _) in load_env_files(&env_files, env).map_err(|mut e| {
                e.location.get_or_insert(item.loc.clone());
                e
            })? {
                inc_env.entry(k).or_insert(v);
            }
            for p in &paths {
                if !p.is_file() {
                    return Err(Error::at(
                        format!("included file {} not found", p.display()),
                        item.loc.clone(),
                    ));
                }
                if let Some(real) = self.outside(p) {
                    return Err(self.outside_error("included file", p, &real, &item.loc));
                }
            }
            let mut imported: Option<Node> = None;
            for p in &paths {
                let node = self.load_file(p, &inc_dir, &inc_env, chain)?;
                imported = Some(match imported {
                    None => node,
                    Some(i) => merge(i, node, &mut Vec::new()),
                });
            }
            let Some(mut imported) = imported else {
                continue;
            };
            strip_tags(&mut imported);
            self.import_resources(doc, imported, &item)?;
        }
        Ok(())
    }

    /// Adds the services, networks, volumes, configs and secrets of an included model to `doc`; a name
    /// defined differently on both sides is an error, as in compose.
    fn import_resources(
        &mut self,
        doc: &mut Node,
        imported: Node,
        item: &Node,
    ) -> Result<(), Error> {
        let Value::Map(entries) = imported.value else {
            return Ok(());
        };
        for (k, v) in entries {
            let Some(kind) = k.as_str().map(str::to_string) else {
                continue;
            };
            if !["services", "volumes", "networks", "secrets", "configs"].contains(&kind.as_str()) {
                continue;
            }
            let Value::Map(from) = v.value else { continue };
            if doc.get(&kind).is_none_or(Node::is_null) {
                doc.remove(&kind);
                if let Some(m) = doc.as_map_mut() {
                    m.push((k.clone(), Node::new(Value::Map(Vec::new()), v.loc.clone())));
                }
            }
            let Some(Value::Map(to)) = doc.get_mut(&kind).map(|n| &mut n.value) else {
                return Err(Error::at(
                    format!("`{kind}` must be a mapping"),
                    k.loc.clone(),
                ));
            };
            for (name_node, value) in from {
                let name = name_node.as_str().unwrap_or("").to_string();
                if let Some((existing_key, existing)) =
                    to.iter().find(|(ek, _)| ek.as_str() == Some(&name))
                {
                    if existing.same_content(&value) {
                        continue;
                    }
                    return Err(Error::at(
                        format!("{kind}.{name} conflicts with imported resource"),
                        existing_key.loc.clone(),
                    )
                    .with_note(format!(
                        "also defined at {} (included at {})",
                        name_node.loc, item.loc
                    )));
                }
                to.push((name_node, value));
            }
        }
        Ok(())
    }
}
