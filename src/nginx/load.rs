//! Loading a configuration the way nginx does at start: the entry file, then every `include` replaced by the
//! directives of the files it names (through the container file system), then the checks nginx makes on
//! where directives are. Loading never fails: whatever goes wrong is a [`Problem`] in [`Config::problems`].

use super::ast::{Config, ConfigFile, Directive, Problem, ProblemKind};
use super::context;
use super::parser::parse_partial;
use super::vfs::{Layer, Source, Vfs, normalize};
use crate::span::{Location, path_arc};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// At most this many different files in one configuration.
pub const MAX_FILES: usize = 10_000;
/// At most this many inclusions (a file included twice counts twice).
pub const MAX_INCLUSIONS: usize = 200_000;
/// Files larger than this are not read.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// At most this many bytes of text in all inclusions together.
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;
/// Blocks (across included files) nested deeper than this are cut off.
pub const MAX_TREE_DEPTH: usize = 256;

/// Loads the configuration nginx would run with from `entry` (a container path, normally
/// `/etc/nginx/nginx.conf`). Relative `include` paths are resolved against the entry's directory, which is
/// nginx's configuration prefix (`/etc/nginx/` for the official image, the directory of `-c FILE` otherwise).
pub fn load(vfs: &Vfs, entry: &str) -> Config {
    let entry = normalize(entry);
    let prefix = match entry.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => entry[..i].to_string(),
    };
    let mut l = Loader {
        vfs,
        prefix,
        files: Vec::new(),
        seen: HashSet::new(),
        problems: Vec::new(),
        cache: HashMap::new(),
        inclusions: 0,
        bytes: 0,
        limit_reported: false,
    };
    let mut chain = Vec::new();
    let directives = match l.read(&entry, None) {
        Some(ds) => {
            chain.push(entry.clone());
            l.expand(ds, &mut chain, 0)
        }
        None => Vec::new(),
    };
    let mut problems = l.problems;
    context::check(&directives, &l.files, &mut problems);
    Config {
        entry,
        directives,
        files: l.files,
        problems,
    }
}

/// Loads a configuration file straight from the host, as `nginx -c FILE` would (its includes are resolved
/// against its own directory on the host). For `compose-doctor parse nginx FILE`.
pub fn load_host_file(path: &Path) -> Config {
    load_host_file_with(path, true)
}

/// [`load_host_file`]; without `allow_outside`, includes are read only inside the file's own directory
/// (symlinks resolved): `include /etc/shadow;` is reported as not read.
pub fn load_host_file_with(path: &Path, allow_outside: bool) -> Config {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let text = abs.to_string_lossy().into_owned();
    let mut vfs = Vfs::new();
    vfs.add_host("/", "/", Layer::Mount, None);
    if !allow_outside && let Some(dir) = abs.parent() {
        vfs.restrict_to(&[dir.to_path_buf()]);
    }
    load(&vfs, &text)
}

/// What the loader remembers of a file it read.
#[derive(Clone)]
enum Cached {
    /// Could not be read (reported where it was first included).
    Failed,
    /// Read and parsed once, its tree handed out without a copy (most files are included once: a 10 MB
    /// `sites.conf` must not be held twice). A second inclusion parses it again and keeps that tree.
    Once(u64),
    /// Included more than once: the tree to copy for every further inclusion, and the size in bytes.
    Shared(Arc<Vec<Directive>>, u64),
}

struct Loader<'v> {
    vfs: &'v Vfs,
    prefix: String,
    files: Vec<ConfigFile>,
    seen: HashSet<String>,
    problems: Vec<Problem>,
    /// Files read, by container path.
    cache: HashMap<String, Cached>,
    inclusions: usize,
    bytes: u64,
    limit_reported: bool,
}

fn problem(
    kind: ProblemKind,
    message: String,
    loc: Option<Location>,
    help: Option<String>,
) -> Problem {
    Problem {
        kind,
        message,
        loc,
        help,
    }
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

impl Loader<'_> {
    fn resolve(&self, arg: &str) -> String {
        if arg.starts_with('/') {
            normalize(arg)
        } else {
            normalize(&format!("{}/{}", self.prefix, arg))
        }
    }

    fn limit(&mut self, at: Option<Location>, what: String) {
        if !self.limit_reported {
            self.limit_reported = true;
            self.problems.push(problem(
                ProblemKind::Unreadable,
                what,
                at,
                Some("the rest of the configuration was not read".into()),
            ));
        }
    }

    /// Reads and parses a file (once; later inclusions reuse the result). `None` when it cannot be read.
    fn read(&mut self, path: &str, from: Option<&Location>) -> Option<Vec<Directive>> {
        if self.inclusions >= MAX_INCLUSIONS {
            self.limit(
                from.cloned(),
                format!(
                    "more than {MAX_INCLUSIONS} file inclusions: the configuration was cut off here"
                ),
            );
            return None;
        }
        match self.cache.get(path).cloned() {
            None => {}
            Some(Cached::Failed) => return None,
            Some(Cached::Shared(ds, size)) => {
                if !self.count(size, from) {
                    return None;
                }
                return Some((*ds).clone());
            }
            Some(Cached::Once(size)) => {
                if !self.count(size, from) {
                    return None;
                }
                // the second inclusion: parse again (its problems were reported the first time) and keep it
                let text = self.vfs.get(path).and_then(|f| {
                    f.read(MAX_FILE_BYTES)
                        .ok()
                        .map(|t| (t, path_arc(&f.host_path)))
                });
                let Some((text, file)) = text else {
                    self.cache.insert(path.to_string(), Cached::Failed);
                    return None;
                };
                let ds = Arc::new(parse_partial(&text, &file).directives);
                self.cache
                    .insert(path.to_string(), Cached::Shared(ds.clone(), size));
                return Some((*ds).clone());
            }
        }
        if self.cache.len() >= MAX_FILES {
            self.limit(
                from.cloned(),
                format!(
                    "more than {MAX_FILES} different files: the configuration was cut off here"
                ),
            );
            return None;
        }
        let found = match self.vfs.lookup(path) {
            Ok(f) => f,
            Err(hidden_by) => {
                // not cached: every include of a missing file is reported where it is
                self.missing(
                    path,
                    from,
                    hidden_by
                        .map(|e| (e.source.clone(), e.origin.clone(), e.container_path.clone())),
                );
                return None;
            }
        };
        let text = match found.read(MAX_FILE_BYTES) {
            Ok(t) => t,
            Err(e) => {
                // the main file's problem is at its own start
                let at = from
                    .cloned()
                    .or_else(|| Some(Location::new(path_arc(&found.host_path), 1, 1)));
                self.problems.push(problem(
                    ProblemKind::Unreadable,
                    format!(
                        "cannot read {} (from {}): {e}",
                        path,
                        found.host_path.display()
                    ),
                    at,
                    None,
                ));
                self.cache.insert(path.to_string(), Cached::Failed);
                return None;
            }
        };
        let size = text.len() as u64;
        if !self.count(size, from) {
            return None;
        }
        let file: Arc<Path> = path_arc(&found.host_path);
        let parsed = parse_partial(&text, &file);
        drop(text);
        if let Some(p) = parsed.problem {
            self.problems.push(p);
        }
        if self.seen.insert(path.to_string()) {
            self.files.push(ConfigFile {
                container_path: path.to_string(),
                host_path: found.host_path.clone(),
                included_from: from.cloned(),
            });
        }
        self.cache.insert(path.to_string(), Cached::Once(size));
        Some(parsed.directives)
    }

    /// Counts one more inclusion of `size` bytes; false (and a problem, once) when that is over the limits.
    fn count(&mut self, size: u64, from: Option<&Location>) -> bool {
        if self.bytes + size > MAX_TOTAL_BYTES {
            self.limit(
                from.cloned(),
                format!("more than {MAX_TOTAL_BYTES} bytes of included text: the configuration was cut off here"),
            );
            return false;
        }
        self.inclusions += 1;
        self.bytes += size;
        true
    }

    fn missing(
        &mut self,
        path: &str,
        from: Option<&Location>,
        hidden_by: Option<(Source, Option<Location>, String)>,
    ) {
        let (kind, what) = match from {
            None => (
                ProblemKind::FileMissing,
                format!("the main configuration file {path} is not in the container"),
            ),
            Some(_) => (
                ProblemKind::IncludeMissing,
                format!(
                    "included file {path} does not exist in the container: nginx refuses to start"
                ),
            ),
        };
        let help = match hidden_by {
            Some((Source::Opaque { display }, origin, at)) => {
                let kind = ProblemKind::Unreadable;
                let origin = origin.map(|o| format!(" ({o})")).unwrap_or_default();
                self.problems.push(problem(
                    kind,
                    format!("{path} is inside {display} mounted at {at}{origin}, whose content cannot be seen from the project"),
                    from.cloned(),
                    Some("make sure the volume holds this file, or mount the file from the project instead".into()),
                ));
                return;
            }
            Some((_, origin, at)) => {
                let origin = origin
                    .map(|o| format!(" (mounted at {o})"))
                    .unwrap_or_default();
                format!(
                    "the mount at {at}{origin} hides whatever the image has there and does not provide {path}; \
                     add the file to the mounted directory or fix the path"
                )
            }
            None => match from {
                None => format!("mount or copy a configuration to {path}"),
                Some(_) => format!(
                    "mount or copy the file to {path}, or fix the path (relative include paths are relative to {})",
                    self.prefix
                ),
            },
        };
        self.problems
            .push(problem(kind, what, from.cloned(), Some(help)));
    }

    /// Replaces the includes in `dirs` (and in every block below) by what they include. A list without
    /// includes is kept as it is (no copy).
    fn expand(
        &mut self,
        mut dirs: Vec<Directive>,
        chain: &mut Vec<String>,
        depth: usize,
    ) -> Vec<Directive> {
        let has_include = dirs
            .iter()
            .any(|d| d.name == "include" && d.block.is_none());
        if !has_include {
            for d in &mut dirs {
                self.expand_block(d, chain, depth);
            }
            return dirs;
        }
        let mut out = Vec::with_capacity(dirs.len());
        for mut d in dirs {
            if d.name == "include" && d.block.is_none() {
                self.include(d, chain, depth, &mut out);
                continue;
            }
            self.expand_block(&mut d, chain, depth);
            out.push(d);
        }
        out
    }

    fn expand_block(&mut self, d: &mut Directive, chain: &mut Vec<String>, depth: usize) {
        let Some(block) = d.block.take() else {
            return;
        };
        if depth + 1 >= MAX_TREE_DEPTH {
            self.problems.push(problem(
                ProblemKind::Syntax,
                format!(
                    "blocks are nested more than {MAX_TREE_DEPTH} levels deep (across included files)"
                ),
                Some(d.loc.clone()),
                Some("check the includes: a file is probably included inside its own blocks".into()),
            ));
            d.block = Some(Box::default());
        } else {
            d.block = Some(
                self.expand(block.into_vec(), chain, depth + 1)
                    .into_boxed_slice(),
            );
        }
    }

    fn include(
        &mut self,
        d: Directive,
        chain: &mut Vec<String>,
        depth: usize,
        out: &mut Vec<Directive>,
    ) {
        if d.args.len() != 1 {
            self.problems.push(problem(
                ProblemKind::Invalid,
                "invalid number of arguments in \"include\" directive".into(),
                Some(d.loc.clone()),
                Some("\"include\" takes exactly one file name or glob pattern".into()),
            ));
            return;
        }
        let pattern = self.resolve(&d.args[0].value);
        let paths = if has_glob(&pattern) {
            // a glob that matches nothing is fine for nginx
            self.vfs.glob(&pattern)
        } else {
            vec![pattern]
        };
        for path in paths {
            if let Some(i) = chain.iter().position(|p| *p == path) {
                let cycle: Vec<&str> = chain[i..]
                    .iter()
                    .map(|s| s.as_str())
                    .chain(std::iter::once(path.as_str()))
                    .collect();
                let message = if chain.len() - i == 1 {
                    format!("{path} includes itself")
                } else {
                    format!("include cycle: {}", cycle.join(" -> "))
                };
                self.problems.push(problem(
                    ProblemKind::IncludeCycle,
                    message,
                    Some(d.loc.clone()),
                    Some(format!(
                        "nginx would include {path} again and again and fail; remove this include or narrow its \
                         pattern (\"{}\") so that it does not match the including file",
                        d.args[0].value
                    )),
                ));
                continue;
            }
            let Some(ds) = self.read(&path, Some(&d.loc)) else {
                continue;
            };
            chain.push(path);
            let expanded = self.expand(ds, chain, depth);
            chain.pop();
            out.extend(expanded);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    struct Tmp(PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tmp(name: &str, files: &[(&str, &str)]) -> Tmp {
        let d = std::env::temp_dir().join(format!("cd-load-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for (p, text) in files {
            let f = d.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, text).unwrap();
        }
        Tmp(d)
    }

    fn vfs_at(t: &Tmp) -> Vfs {
        let mut v = Vfs::new();
        v.add_host("/etc/nginx", &t.0, Layer::Mount, None);
        v
    }

    fn names(ds: &[Directive]) -> String {
        ds.iter()
            .map(|d| match &d.block {
                Some(b) => format!("{}{{{}}}", d.name, names(b)),
                None => d.name.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    const MAIN: &str = "events {}\nhttp {\n    include /etc/nginx/conf.d/*.conf;\n}\n";

    #[test]
    fn relative_absolute_and_glob_includes() {
        let t = tmp(
            "rel",
            &[
                (
                    "nginx.conf",
                    "events {}\nhttp {\n include mime.types;\n include /etc/nginx/conf.d/*.conf;\n include sites/*.none;\n}\n",
                ),
                ("mime.types", "types { text/html html; }\n"),
                ("conf.d/b.conf", "server { listen 81; }\n"),
                (
                    "conf.d/a.conf",
                    "server { listen 80; include snippets/proxy.conf; }\n",
                ),
                ("conf.d/c.conf.disabled", "server { listen 82; }\n"),
                ("snippets/proxy.conf", "proxy_set_header Host $host;\n"),
            ],
        );
        let cfg = load(&vfs_at(&t), "/etc/nginx/nginx.conf");
        assert!(cfg.problems.is_empty(), "{:?}", cfg.problems);
        assert_eq!(
            names(&cfg.directives),
            "events{} http{types{text/html} server{listen proxy_set_header} server{listen}}"
        );
        // every directive keeps its own file and line
        let http = cfg.directives[1].block.as_ref().unwrap();
        assert_eq!(&*http[1].loc.file, t.0.join("conf.d/a.conf").as_path());
        assert_eq!(http[1].loc.line, 1);
        let set = &http[1].block.as_ref().unwrap()[1];
        assert_eq!(&*set.loc.file, t.0.join("snippets/proxy.conf").as_path());
        let files: Vec<_> = cfg
            .files
            .iter()
            .map(|f| f.container_path.as_str())
            .collect();
        assert_eq!(
            files,
            [
                "/etc/nginx/nginx.conf",
                "/etc/nginx/mime.types",
                "/etc/nginx/conf.d/a.conf",
                "/etc/nginx/snippets/proxy.conf",
                "/etc/nginx/conf.d/b.conf"
            ]
        );
        assert_eq!(cfg.files[0].included_from, None);
        assert_eq!(cfg.files[2].included_from.as_ref().unwrap().line, 4);
        assert_eq!(cfg.files[2].host_path, t.0.join("conf.d/a.conf"));
    }

    #[test]
    fn missing_include_and_missing_entry() {
        let t = tmp(
            "missing",
            &[("nginx.conf", "http {\n  include conf.d/nope.conf;\n}\n")],
        );
        let cfg = load(&vfs_at(&t), "/etc/nginx/nginx.conf");
        assert_eq!(cfg.problems.len(), 1);
        let p = &cfg.problems[0];
        assert_eq!(p.kind, ProblemKind::IncludeMissing);
        assert!(
            p.message.contains("/etc/nginx/conf.d/nope.conf"),
            "{}",
            p.message
        );
        assert_eq!(p.loc.as_ref().unwrap().line, 2);
        assert!(p.help.as_ref().unwrap().contains("/etc/nginx/conf.d"));

        let cfg = load(&vfs_at(&t), "/etc/nginx/other.conf");
        assert_eq!(cfg.problems[0].kind, ProblemKind::FileMissing);
        assert!(cfg.directives.is_empty());
    }

    #[test]
    fn cycles_and_self_includes() {
        let t = tmp(
            "cycle",
            &[
                ("nginx.conf", "http { include conf.d/*.conf; }\n"),
                (
                    "conf.d/a.conf",
                    "include conf.d/b.conf;\nserver { listen 1; }\n",
                ),
                ("conf.d/b.conf", "include conf.d/a.conf;\n"),
            ],
        );
        let cfg = load(&vfs_at(&t), "/etc/nginx/nginx.conf");
        let cycles: Vec<_> = cfg
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::IncludeCycle)
            .collect();
        assert_eq!(cycles.len(), 2, "{:?}", cfg.problems);
        assert_eq!(
            cycles[0].message,
            "include cycle: /etc/nginx/conf.d/a.conf -> /etc/nginx/conf.d/b.conf -> /etc/nginx/conf.d/a.conf"
        );
        assert_eq!(
            &*cycles[0].loc.as_ref().unwrap().file,
            t.0.join("conf.d/b.conf").as_path()
        );

        let t = tmp(
            "self",
            &[
                ("nginx.conf", MAIN),
                (
                    "conf.d/all.conf",
                    "include /etc/nginx/conf.d/*;\nserver { listen 1; }\n",
                ),
            ],
        );
        let cfg = load(&vfs_at(&t), "/etc/nginx/nginx.conf");
        assert_eq!(cfg.problems.len(), 1, "{:?}", cfg.problems);
        assert_eq!(cfg.problems[0].kind, ProblemKind::IncludeCycle);
        assert_eq!(
            cfg.problems[0].message,
            "/etc/nginx/conf.d/all.conf includes itself"
        );
        // the rest still loads
        assert_eq!(names(&cfg.directives), "events{} http{server{listen}}");
    }

    #[test]
    fn the_same_file_twice_is_not_a_cycle() {
        let t = tmp(
            "twice",
            &[
                (
                    "nginx.conf",
                    "http { server { location /a { include p.conf; } location /b { include p.conf; } } }",
                ),
                ("p.conf", "proxy_pass http://app:80;"),
            ],
        );
        let cfg = load(&vfs_at(&t), "/etc/nginx/nginx.conf");
        assert!(cfg.problems.is_empty(), "{:?}", cfg.problems);
        assert_eq!(
            names(&cfg.directives),
            "http{server{location{proxy_pass} location{proxy_pass}}}"
        );
        assert_eq!(cfg.files.len(), 2);
    }

    #[test]
    fn syntax_error_in_one_file_keeps_the_others() {
        let t = tmp(
            "syntax",
            &[
                ("nginx.conf", MAIN),
                ("conf.d/a.conf", "server { listen 80 }\n"),
                ("conf.d/b.conf", "server { listen 81; }\n"),
            ],
        );
        let cfg = load(&vfs_at(&t), "/etc/nginx/nginx.conf");
        assert_eq!(cfg.problems.len(), 1);
        assert_eq!(cfg.problems[0].kind, ProblemKind::Syntax);
        assert_eq!(
            &*cfg.problems[0].loc.as_ref().unwrap().file,
            t.0.join("conf.d/a.conf").as_path()
        );
        assert_eq!(
            names(&cfg.directives),
            "events{} http{server{} server{listen}}"
        );
    }

    #[test]
    fn image_file_hidden_by_a_mount() {
        let t = tmp(
            "hidden",
            &[("conf.d/app.conf", "server { include snippets/x.conf; }")],
        );
        let mut v = Vfs::new();
        v.add_inline(
            "/etc/nginx/nginx.conf",
            "image:nginx.conf",
            MAIN,
            Layer::Image,
            None,
        );
        v.add_inline(
            "/etc/nginx/snippets/x.conf",
            "image:x.conf",
            "listen 1;",
            Layer::Image,
            None,
        );
        v.add_host(
            "/etc/nginx/snippets",
            t.0.join("nothing"),
            Layer::Mount,
            None,
        );
        v.add_host("/etc/nginx/conf.d", t.0.join("conf.d"), Layer::Mount, None);
        let cfg = load(&v, "/etc/nginx/nginx.conf");
        assert_eq!(cfg.problems.len(), 1, "{:?}", cfg.problems);
        assert_eq!(cfg.problems[0].kind, ProblemKind::IncludeMissing);
        assert!(cfg.problems[0].help.as_ref().unwrap().contains("hides"));
        assert_eq!(cfg.files[0].host_path, PathBuf::from("image:nginx.conf"));
    }

    #[test]
    fn opaque_volume() {
        let mut v = Vfs::new();
        v.add_inline(
            "/etc/nginx/nginx.conf",
            "image",
            "http { include /data/*.conf; include /data/x.conf; }",
            Layer::Image,
            None,
        );
        v.add(
            "/data",
            Source::Opaque {
                display: "volume data".into(),
            },
            Layer::Mount,
            None,
        );
        let cfg = load(&v, "/etc/nginx/nginx.conf");
        assert_eq!(cfg.problems.len(), 1, "{:?}", cfg.problems);
        assert_eq!(cfg.problems[0].kind, ProblemKind::Unreadable);
        assert!(cfg.problems[0].message.contains("volume data"));
    }

    #[test]
    fn exponential_includes_are_capped() {
        let mut files: Vec<(String, String)> =
            vec![("nginx.conf".into(), "include f0.conf;".into())];
        for i in 0..24 {
            files.push((
                format!("f{i}.conf"),
                format!("include f{0}.conf; include f{0}.conf;", i + 1),
            ));
        }
        files.push(("f24.conf".into(), "x;".into()));
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let t = tmp("expo", &refs);
        let cfg = load(&vfs_at(&t), "/etc/nginx/nginx.conf");
        assert!(
            cfg.problems
                .iter()
                .any(|p| p.message.contains("inclusions")),
            "{:?}",
            cfg.problems
        );
    }

    #[test]
    fn host_file_like_nginx_c() {
        let t = tmp(
            "hostfile",
            &[
                ("site/main.conf", "http { include inc/*.conf; }"),
                ("site/inc/a.conf", "server {}"),
            ],
        );
        let cfg = load_host_file(&t.0.join("site/main.conf"));
        assert!(cfg.problems.is_empty(), "{:?}", cfg.problems);
        assert_eq!(names(&cfg.directives), "http{server{}}");
    }
}
