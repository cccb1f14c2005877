//! Finds the services that run nginx and rebuilds the configuration each one really runs with: the image's
//! defaults, the Dockerfile's `COPY`, bind mounts and `configs:`, templates rendered by the entrypoint and
//! `envsubst` in the command.

pub mod defaults;
pub mod dockerfile;
pub mod shell;

use crate::compose::{MountKind, Project, Service};
use crate::model::{ConfigSource, DeliveryKind, DeliveryProblem, ImageInfo, Proxy, ProxyConfig};
use crate::nginx::{self, Layer, Vfs};
use crate::span::Location;
use defaults::Flavor;
use dockerfile::Dockerfile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Directories that exist in nginx images, so `COPY file /etc/nginx/conf.d` puts the file inside.
pub fn is_known_dir(path: &str) -> bool {
    matches!(
        path.trim_end_matches('/'),
        "/etc/nginx"
            | "/etc/nginx/conf.d"
            | "/etc/nginx/templates"
            | "/usr/share/nginx/html"
            | "/docker-entrypoint.d"
            | "/etc/nginx/sites-enabled"
            | "/etc/nginx/sites-available"
            | "/etc/nginx/snippets"
            | "/usr/local/openresty/nginx/conf"
            | "/opt/bitnami/nginx/conf/server_blocks"
    )
}

/// Largest configuration file we read (nginx itself has no limit; a bigger file is almost surely a mistake).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

struct Detected {
    flavor: Option<Flavor>,
    reason: String,
    /// The parsed Dockerfile with its context and the final stage's index.
    build: Option<(Dockerfile, PathBuf, usize)>,
}

/// Every service that runs nginx, with the configuration it runs with. Reads no host file outside the
/// project directory (see [`discover_with`]).
pub fn discover(project: &Project) -> Vec<Proxy> {
    discover_with(project, false).0
}

/// [`discover`], plus what the files say of every enabled service's image and process; each Dockerfile is
/// read once for both. `allow_outside` lets it read bind-mount sources and files outside the project
/// directory.
///
/// Without it, a bind mount whose source is outside the project directory (`/etc:/etc/nginx/conf.d`) is
/// taken as a mount whose content cannot be seen (includes into it are reported as not read), and every host
/// file is read only when its real path (symlinks resolved) is inside the project directory: a pull request
/// cannot make the tool print a file of the machine it runs on.
pub fn discover_with(
    project: &Project,
    allow_outside: bool,
) -> (Vec<Proxy>, BTreeMap<String, ImageInfo>) {
    let mut proxies = Vec::new();
    let mut infos = BTreeMap::new();
    for svc in project.enabled_services() {
        let build = read_dockerfile(svc);
        infos.insert(svc.name.clone(), image_info(svc, build.as_ref()));
        if let Some(d) = detect(svc, build) {
            proxies.push(build_proxy(project, svc, d, allow_outside));
        }
    }
    (proxies, infos)
}

/// What the files say of a service's image and process.
fn image_info(svc: &Service, build: Option<&(Dockerfile, PathBuf, usize)>) -> ImageInfo {
    let stage = build.map(|(df, _, i)| &df.stages[*i]);
    let argv_loc = svc
        .command
        .as_ref()
        .map(|c| c.loc.clone())
        .or_else(|| svc.entrypoint.as_ref().map(|e| e.loc.clone()))
        .or_else(|| {
            stage
                .and_then(|s| s.cmd.as_ref().or(s.entrypoint.as_ref()))
                .map(|c| c.1.clone())
        });
    ImageInfo {
        image: stage
            .map(|s| s.base.clone())
            .or_else(|| svc.image.as_ref().map(|i| i.value.clone())),
        expose: stage.map(|s| s.expose.clone()).unwrap_or_default(),
        argv: effective_argv(svc, build),
        argv_loc,
        env: environment(svc, build),
    }
}

fn read_dockerfile(svc: &Service) -> Option<(Dockerfile, PathBuf, usize)> {
    let build = svc.build.as_ref()?;
    let context = build.context.clone()?;
    let (text, path) = match &build.dockerfile_inline {
        Some(t) => (t.clone(), build.loc.file.to_path_buf()),
        None => {
            let p = context.join(&build.dockerfile);
            (std::fs::read_to_string(&p).ok()?, p)
        }
    };
    let df = dockerfile::parse(&text, &path);
    let idx = match &build.target {
        Some(t) => df
            .stages
            .iter()
            .position(|s| s.name.as_deref() == Some(t.as_str()))?,
        None => df.stages.len().checked_sub(1)?,
    };
    Some((df, context, idx))
}

/// The words of the command the container runs (entrypoint + command), from compose or the Dockerfile.
fn effective_argv(svc: &Service, build: Option<&(Dockerfile, PathBuf, usize)>) -> Vec<String> {
    let stage = build.map(|(df, _, i)| &df.stages[*i]);
    let mut v = Vec::new();
    match (&svc.entrypoint, stage.and_then(|s| s.entrypoint.as_ref())) {
        (Some(e), _) => v.extend(e.value.iter().cloned()),
        (None, Some((e, _))) => v.extend(e.iter().cloned()),
        _ => {}
    }
    match (&svc.command, stage.and_then(|s| s.cmd.as_ref())) {
        (Some(c), _) => v.extend(c.value.iter().cloned()),
        (None, Some((c, _))) if svc.entrypoint.is_none() => v.extend(c.iter().cloned()),
        _ => {}
    }
    v
}

fn mentions_nginx(argv: &[String]) -> bool {
    argv.iter().any(|w| {
        shell::split_commands(w).iter().any(|c| {
            c.iter()
                .any(|x| x == "nginx" || x.ends_with("/nginx") || x == "nginx-debug")
        })
    })
}

fn detect(svc: &Service, build: Option<(Dockerfile, PathBuf, usize)>) -> Option<Detected> {
    if let Some(img) = &svc.image
        && svc.build.is_none()
        && let Some(f) = defaults::flavor_of_image(&img.value)
    {
        return Some(Detected {
            flavor: Some(f),
            reason: format!("image `{}`", img.value),
            build: None,
        });
    }
    if let Some((df, ctx, i)) = &build {
        let base = &df.stages[*i].base;
        if let Some(f) = defaults::flavor_of_image(base) {
            return Some(Detected {
                flavor: Some(f),
                reason: format!("built FROM `{base}`"),
                build: Some((df.clone(), ctx.clone(), *i)),
            });
        }
    }
    let argv = effective_argv(svc, build.as_ref());
    let mounts_nginx = svc
        .volumes
        .iter()
        .any(|m| m.target.starts_with("/etc/nginx"))
        || svc
            .configs
            .iter()
            .any(|c| c.target.starts_with("/etc/nginx"));
    let named_nginx = svc
        .image
        .as_ref()
        .is_some_and(|i| defaults::looks_like_nginx(&i.value))
        || build
            .as_ref()
            .is_some_and(|(df, _, i)| defaults::looks_like_nginx(&df.stages[*i].base));
    if mentions_nginx(&argv) || mounts_nginx || named_nginx {
        // an image we do not know that runs nginx or receives its configuration
        let why = match (&svc.image, named_nginx, mounts_nginx) {
            (Some(img), true, _) => format!(
                "image `{}`, not one compose-doctor knows the files of",
                img.value
            ),
            (None, true, _) => "built from an nginx image compose-doctor does not know".to_string(),
            (_, _, true) => "mounts files into /etc/nginx".to_string(),
            _ => "its command runs nginx".to_string(),
        };
        return Some(Detected {
            flavor: None,
            reason: why,
            build,
        });
    }
    None
}

fn origin_text(
    kind: &'static str,
    container_path: &str,
    host: Option<&Path>,
    origin: Option<&Location>,
) -> ConfigSource {
    ConfigSource {
        kind,
        container_path: container_path.to_string(),
        host_path: host.map(Path::to_path_buf),
        origin: origin.cloned(),
    }
}

/// The environment nginx's entrypoint and `envsubst` see: the image's `ENV`, then the service's.
fn environment(
    svc: &Service,
    build: Option<&(Dockerfile, PathBuf, usize)>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    if let Some((df, _, i)) = build {
        for (k, v) in &df.stages[*i].env {
            env.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in &svc.environment {
        if let Some(val) = &v.value {
            env.insert(k.clone(), val.clone());
        }
    }
    env
}

/// nginx's own variables that a blanket `envsubst` would wipe (referenced, and not in the environment).
fn wiped_variables(text: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let mut v: Vec<String> = nginx::envsubst::referenced_names(text)
        .into_iter()
        .filter(|n| !env.contains_key(n))
        .collect();
    v.dedup();
    v
}

fn build_proxy(project: &Project, svc: &Service, det: Detected, allow_outside: bool) -> Proxy {
    let mut vfs = Vfs::new();
    let roots = [project.working_dir.clone()];
    if !allow_outside {
        vfs.restrict_to(&roots);
    }
    let outside = |p: &Path| -> Option<PathBuf> {
        if allow_outside {
            return None;
        }
        let canon_roots: Vec<PathBuf> =
            roots.iter().filter_map(|r| r.canonicalize().ok()).collect();
        nginx::outside_roots(p, &canon_roots)
    };
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    let flavor = det.flavor.unwrap_or(Flavor::Official);

    if flavor == Flavor::Generated {
        return Proxy {
            service: svc.name.clone(),
            reason: det.reason,
            config: ProxyConfig::NotFound {
                reason: "this image writes its nginx configuration at run time (from container labels or its own \
                         settings)"
                    .into(),
                hint: "compose-doctor cannot read a generated configuration from the files; check the generated file in \
                       the running container (`docker compose exec SERVICE nginx -T`)"
                    .into(),
            },
            sources,
            delivery_problems: problems,
            drift: Vec::new(),
            probes: Vec::new(),
        };
    }

    // 1. what the image holds. For an image we do not know, assume the official layout only when the
    // project itself provides nginx configuration (mounts, configs, COPY into /etc/nginx).
    let known_image = det.flavor.is_some();
    let provides_config = svc
        .volumes
        .iter()
        .any(|m| m.target.starts_with(flavor.conf_dir()))
        || svc
            .configs
            .iter()
            .any(|c| c.target.starts_with(flavor.conf_dir()))
        || det.build.as_ref().is_some_and(|(df, _, i)| {
            df.stages[*i]
                .copies
                .iter()
                .any(|c| c.dest.starts_with(flavor.conf_dir()))
        });
    if !known_image && !provides_config {
        return Proxy {
            service: svc.name.clone(),
            reason: det.reason,
            config: ProxyConfig::NotFound {
                reason: "the image is not one whose files compose-doctor knows, and the project mounts or copies no                          nginx configuration into it"
                    .into(),
                hint: "if the image bakes its own configuration, mount it from the project or build the image from a                        Dockerfile in the project, so that the files checked are the files nginx runs with"
                    .into(),
            },
            sources,
            delivery_problems: problems,
            drift: Vec::new(),
            probes: Vec::new(),
        };
    }
    if let Some(main) = flavor.default_main() {
        let display = PathBuf::from(format!("<image default>{}", flavor.main_file()));
        vfs.add_inline(flavor.main_file(), display, main, Layer::Image, None);
        sources.push(origin_text("image-default", flavor.main_file(), None, None));
        for (name, text) in defaults::SHIPPED_FILES {
            let p = format!("{}/{}", flavor.conf_dir(), name);
            vfs.add_inline(
                &p,
                PathBuf::from(format!("<image default>{p}")),
                *text,
                Layer::Image,
                None,
            );
        }
        if flavor == Flavor::Official {
            let p = "/etc/nginx/conf.d/default.conf";
            vfs.add_inline(
                p,
                PathBuf::from(format!("<image default>{p}")),
                defaults::OFFICIAL_DEFAULT_CONF,
                Layer::Image,
                None,
            );
            sources.push(origin_text("image-default", p, None, None));
        }
    }
    if let Some((df, ctx, idx)) = &det.build {
        let stage = &df.stages[*idx];
        for c in &stage.copies {
            for src in &c.sources {
                let (host, dest) = match &c.from {
                    None => {
                        let h = ctx.join(src.trim_start_matches("./"));
                        let dest = copy_dest(&c.dest, src, h.is_dir(), c.sources.len());
                        (Some(h), dest)
                    }
                    Some(stage_ref) => {
                        let dir_like = !src.rsplit('/').next().unwrap_or("").contains('.');
                        let dest = copy_dest(&c.dest, src, dir_like, c.sources.len());
                        (df.host_source(stage_ref, src, ctx, 0), dest)
                    }
                };
                if let Some(h) = host
                    && h.exists()
                {
                    vfs.add_host(&dest, &h, Layer::Image, Some(c.loc.clone()));
                    sources.push(origin_text("copy", &dest, Some(&h), Some(&c.loc)));
                }
            }
        }
    }

    // 2. mounts and configs
    for m in &svc.volumes {
        match m.kind {
            MountKind::Bind => {
                let Some(host) = &m.host_path else { continue };
                let file_like = m.target.ends_with(".conf")
                    || m.target.ends_with(".template")
                    || m.target.ends_with(".types")
                    || m.target.ends_with("_params");
                let empty_dir = host.is_dir()
                    && std::fs::read_dir(host)
                        .map(|mut d| d.next().is_none())
                        .unwrap_or(false);
                if empty_dir && file_like {
                    // what Docker leaves behind when a bind source was missing at `up`
                    problems.push(DeliveryProblem {
                        kind: DeliveryKind::MountSourceMissing,
                        message: format!(
                            "bind mount source `{}` is an empty directory, mounted where nginx expects the file `{}`",
                            m.source.as_deref().unwrap_or("?"),
                            m.target
                        ),
                        help: "Docker creates an empty directory when a bind source is missing at `up`, and the \
                               container cannot start (\"not a directory\"). Remove the directory, put the file \
                               there (or fix the path), and recreate the service."
                            .into(),
                        loc: Some(m.loc.clone()),
                        fatal: true,
                    });
                    vfs.add(
                        &m.target,
                        nginx::Source::Opaque {
                            display: format!("empty directory {}", host.display()),
                        },
                        Layer::Mount,
                        Some(m.loc.clone()),
                    );
                } else if let Some(real) = host.exists().then(|| outside(host)).flatten() {
                    vfs.add(
                        &m.target,
                        nginx::Source::Opaque {
                            display: format!(
                                "host path {} (outside the project directory: not read; --allow-outside reads it)",
                                real.display()
                            ),
                        },
                        Layer::Mount,
                        Some(m.loc.clone()),
                    );
                } else if host.exists() {
                    vfs.add_host(&m.target, host, Layer::Mount, Some(m.loc.clone()));
                    sources.push(origin_text("mount", &m.target, Some(host), Some(&m.loc)));
                } else {
                    let looks_config = m.target.starts_with("/etc/nginx")
                        || m.target.ends_with(".conf")
                        || m.target.ends_with(".template")
                        || m.target.starts_with(flavor.conf_dir());
                    if looks_config {
                        problems.push(DeliveryProblem {
                        kind: DeliveryKind::MountSourceMissing,
                        message: format!(
                            "bind mount source `{}` does not exist{}",
                            m.source.as_deref().unwrap_or("?"),
                            if looks_config { format!(", so nginx will not get `{}`", m.target) } else { String::new() }
                        ),
                        help: if m.create_host_path {
                            "Docker creates an empty directory at a missing bind source; mounted where a file is \
                             expected the container fails to start (\"not a directory\"). Fix the path (it is \
                             relative to the compose file's directory) or add the file."
                                .into()
                        } else {
                            "compose refuses to start a service whose bind source is missing. Fix the path (it is \
                             relative to the compose file's directory) or add the file."
                                .into()
                        },
                        loc: Some(m.loc.clone()),
                        fatal: false,
                    });
                    }
                    vfs.add(
                        &m.target,
                        nginx::Source::Opaque {
                            display: format!("missing bind source {}", host.display()),
                        },
                        Layer::Mount,
                        Some(m.loc.clone()),
                    );
                }
            }
            MountKind::Tmpfs => vfs.add(
                &m.target,
                nginx::Source::Opaque {
                    display: "tmpfs".into(),
                },
                Layer::Mount,
                Some(m.loc.clone()),
            ),
            // named volumes start as a copy of the image's files at that path; their later content is unknown
            _ => {}
        }
    }
    for c in &svc.configs {
        let Some(def) = project.configs.get(&c.source) else {
            problems.push(DeliveryProblem {
                kind: DeliveryKind::ConfigFileMissing,
                message: format!(
                    "config `{}` is not defined in the top-level `configs:`",
                    c.source
                ),
                help: "add it under `configs:` with `file:` or `content:`".into(),
                loc: Some(c.loc.clone()),
                fatal: false,
            });
            continue;
        };
        if let Some(f) = &def.file {
            if f.exists() {
                vfs.add_host(&c.target, f, Layer::Mount, Some(c.loc.clone()));
                sources.push(origin_text("config", &c.target, Some(f), Some(&c.loc)));
            } else {
                problems.push(DeliveryProblem {
                    kind: DeliveryKind::ConfigFileMissing,
                    message: format!("config `{}` points at `{}`, which does not exist", c.source, f.display()),
                    help: "fix `file:` in the top-level `configs:` entry (relative to the compose file)".into(),
                    loc: Some(def.loc.clone()),
                    fatal: false,
                });
            }
        } else if let Some(text) = &def.content {
            vfs.add_inline(
                &c.target,
                format!("<config {}>", c.source),
                text.as_str(),
                Layer::Mount,
                Some(c.loc.clone()),
            );
            sources.push(origin_text("config", &c.target, None, Some(&c.loc)));
        } else {
            vfs.add(
                &c.target,
                nginx::Source::Opaque {
                    display: format!("config {}", c.source),
                },
                Layer::Mount,
                Some(c.loc.clone()),
            );
        }
    }

    // 3. what is rendered when the container starts
    let env = environment(svc, det.build.as_ref());
    let argv = effective_argv(svc, det.build.as_ref());
    let entrypoint_overridden = svc.entrypoint.is_some()
        || det
            .build
            .as_ref()
            .is_some_and(|(df, _, i)| df.stages[*i].entrypoint.is_some());
    let runs_nginx_directly = argv
        .first()
        .map(|w| w == "nginx" || w == "nginx-debug")
        .unwrap_or(true);
    if flavor == Flavor::Official && known_image && !entrypoint_overridden && runs_nginx_directly {
        render_templates(&mut vfs, &mut sources, &mut problems, &env);
    }
    let cmd_loc = svc
        .command
        .as_ref()
        .or(svc.entrypoint.as_ref())
        .map(|c| c.loc.clone());
    let mut seen: Vec<shell::Envsubst> = Vec::new();
    for script in scripts_of(&argv, &vfs, cmd_loc) {
        for e in shell::find_envsubst(&script.text) {
            // the same run can be seen in the whole command line and in its `sh -c` argument
            if seen.contains(&e) {
                continue;
            }
            seen.push(e.clone());
            render_envsubst(
                &mut vfs,
                &mut sources,
                &mut problems,
                &env,
                &e,
                script.loc.as_ref(),
            );
        }
    }

    // 4. the entry file and the parse
    let entry = config_flag(&argv).unwrap_or_else(|| flavor.main_file().to_string());
    let config = {
        let config = nginx::load(&vfs, &entry);
        let targets = nginx::targets(&config);
        ProxyConfig::Loaded { config, targets }
    };
    Proxy {
        service: svc.name.clone(),
        reason: det.reason,
        config,
        sources,
        delivery_problems: problems,
        drift: Vec::new(),
        probes: Vec::new(),
    }
}

/// Where `COPY src dest` puts `src` in the image.
fn copy_dest(dest: &str, src: &str, src_is_dir: bool, nsources: usize) -> String {
    if src_is_dir {
        return dest.trim_end_matches('/').to_string();
    }
    let name = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
    if dest.ends_with('/') || nsources > 1 || is_known_dir(dest) {
        format!("{}/{}", dest.trim_end_matches('/'), name)
    } else {
        dest.to_string()
    }
}

/// `-c FILE` given to nginx.
fn config_flag(argv: &[String]) -> Option<String> {
    let words: Vec<String> = argv.iter().flat_map(|w| shell::split(w)).collect();
    let start = words
        .iter()
        .position(|x| x == "nginx" || x.ends_with("/nginx") || x == "nginx-debug")?;
    let mut it = words[start + 1..].iter();
    while let Some(w) = it.next() {
        if w == "-c" {
            return it.next().cloned();
        }
    }
    None
}

struct Script {
    text: String,
    loc: Option<Location>,
}

/// Shell text the container runs at start: `sh -c '...'` arguments, and scripts it executes that the project
/// provides (copied by the Dockerfile or mounted).
fn scripts_of(argv: &[String], vfs: &Vfs, cmd_loc: Option<Location>) -> Vec<Script> {
    let mut out = vec![Script {
        text: argv.join(" "),
        loc: cmd_loc.clone(),
    }];
    for w in argv {
        if w.contains(char::is_whitespace) {
            out.push(Script {
                text: w.clone(),
                loc: cmd_loc.clone(),
            });
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for w in argv.iter().flat_map(|w| shell::split(w)) {
        if (w.starts_with('/') || w.starts_with("./"))
            && (w.ends_with(".sh") || !w.contains('.'))
            && seen.insert(w.clone())
            && let Some(f) = vfs.get(&w)
            && let Ok(text) = f.read(1024 * 1024)
        {
            let loc = Location::new(crate::span::path_arc(&f.host_path), 1, 1);
            out.push(Script {
                text: text.to_string(),
                loc: Some(loc),
            });
        }
    }
    out
}

fn render_envsubst(
    vfs: &mut Vfs,
    sources: &mut Vec<ConfigSource>,
    problems: &mut Vec<DeliveryProblem>,
    env: &BTreeMap<String, String>,
    e: &shell::Envsubst,
    loc: Option<&Location>,
) {
    let (Some(input), Some(output)) = (&e.input, &e.output) else {
        return;
    };
    if !output.contains("nginx") && !output.ends_with(".conf") {
        return;
    }
    let Some(found) = vfs.get(input) else {
        problems.push(DeliveryProblem {
            kind: DeliveryKind::RenderInputMissing,
            message: format!("`envsubst` reads `{input}`, which is not in the container"),
            help: "mount the template at that path, or fix the path in the command".into(),
            loc: loc.cloned(),
            fatal: false,
        });
        return;
    };
    let Ok(text) = found.read(MAX_FILE_BYTES) else {
        return;
    };
    let only: Option<Vec<String>> = e.format.as_deref().map(nginx::envsubst::shell_format_names);
    if only.is_none() {
        let wiped = wiped_variables(&text, env);
        // a variable that is a whole argument (`proxy_set_header Host $host;`) leaves the directive one
        // argument short, which nginx refuses at start
        let fatal = wiped.iter().any(|w| {
            [
                format!(" ${w};"),
                format!(" ${{{w}}};"),
                format!(" ${w} "),
                format!(" ${{{w}}} "),
            ]
            .iter()
            .any(|pat| text.contains(pat.as_str()))
        });
        if !wiped.is_empty() {
            problems.push(DeliveryProblem {
                kind: DeliveryKind::EnvsubstWipesVariables,
                message: format!(
                    "`envsubst` without a variable list replaces every `$name` in `{input}`, including nginx's own: {} become empty",
                    wiped.iter().map(|w| format!("${w}")).collect::<Vec<_>>().join(", ")
                ),
                help: "name the variables to substitute: envsubst '$VAR1 $VAR2' < in > out (or use the official image's \
                       /etc/nginx/templates, which only replaces defined variables)"
                    .into(),
                loc: loc.cloned().or(found.origin.clone()),
                fatal,
            });
        }
    }
    let rendered = nginx::envsubst::envsubst(&text, env, only.as_deref());
    sources.push(origin_text(
        "envsubst",
        output,
        Some(&found.host_path),
        found.origin.as_ref(),
    ));
    // locations point at the template the user edits; envsubst keeps its lines where they were
    vfs.add_inline(
        output,
        found.host_path.clone(),
        rendered,
        Layer::Runtime,
        found.origin.clone(),
    );
}

/// The official image's entrypoint renders `$NGINX_ENVSUBST_TEMPLATE_DIR/**/*$NGINX_ENVSUBST_TEMPLATE_SUFFIX`
/// into `$NGINX_ENVSUBST_OUTPUT_DIR`, replacing only variables defined in the environment.
fn render_templates(
    vfs: &mut Vfs,
    sources: &mut Vec<ConfigSource>,
    _problems: &mut [DeliveryProblem],
    env: &BTreeMap<String, String>,
) {
    let dir = env
        .get("NGINX_ENVSUBST_TEMPLATE_DIR")
        .map(String::as_str)
        .unwrap_or("/etc/nginx/templates");
    let suffix = env
        .get("NGINX_ENVSUBST_TEMPLATE_SUFFIX")
        .map(String::as_str)
        .unwrap_or(".template");
    let out_dir = env
        .get("NGINX_ENVSUBST_OUTPUT_DIR")
        .map(String::as_str)
        .unwrap_or("/etc/nginx/conf.d");
    let filter = env.get("NGINX_ENVSUBST_FILTER").map(String::as_str);
    let dir = nginx::normalize(dir);
    let mut files = Vec::new();
    for depth in ["*", "*/*", "*/*/*"] {
        files.extend(vfs.glob(&format!("{dir}/{depth}{suffix}")));
    }
    for path in files {
        let Some(found) = vfs.get(&path) else {
            continue;
        };
        let Ok(text) = found.read(MAX_FILE_BYTES) else {
            continue;
        };
        let rel = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .trim_start_matches('/');
        let out = format!(
            "{}/{}",
            out_dir.trim_end_matches('/'),
            rel.strip_suffix(suffix).unwrap_or(rel)
        );
        let rendered = nginx::envsubst::render_template(&text, env, filter);
        sources.push(origin_text(
            "template",
            &out,
            Some(&found.host_path),
            found.origin.as_ref(),
        ));
        vfs.add_inline(
            &out,
            found.host_path.clone(),
            rendered,
            Layer::Runtime,
            found.origin.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_destinations() {
        assert_eq!(
            copy_dest("/etc/nginx/conf.d/default.conf", "conf", false, 1),
            "/etc/nginx/conf.d/default.conf"
        );
        assert_eq!(
            copy_dest("/etc/nginx/conf.d", "nginx.conf", false, 1),
            "/etc/nginx/conf.d/nginx.conf"
        );
        assert_eq!(
            copy_dest("/etc/nginx/conf.d/", "nginx/app.conf", false, 1),
            "/etc/nginx/conf.d/app.conf"
        );
        assert_eq!(copy_dest("/etc/nginx/", "conf", true, 1), "/etc/nginx");
    }

    #[test]
    fn nginx_flags() {
        let argv: Vec<String> = vec!["nginx".into(), "-c".into(), "/etc/nginx/custom.conf".into()];
        assert_eq!(
            config_flag(&argv).as_deref(),
            Some("/etc/nginx/custom.conf")
        );
        assert!(mentions_nginx(&[
            "/bin/sh".into(),
            "-c".into(),
            "envsubst < a > b && exec nginx -g 'daemon off;'".into()
        ]));
        assert!(!mentions_nginx(&["gunicorn".into(), "app:app".into()]));
    }

    #[test]
    fn wiped_variables_are_the_undefined_ones() {
        let mut env = BTreeMap::new();
        env.insert("FLASK_SERVER_ADDR".to_string(), "backend:9091".to_string());
        let text = "proxy_pass http://$FLASK_SERVER_ADDR;\nproxy_set_header Host $host;\nlog $1 ${remote_addr}";
        assert_eq!(wiped_variables(text, &env), vec!["host", "remote_addr"]);
    }
}
