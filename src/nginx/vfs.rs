//! The file system nginx sees inside its container, rebuilt from the project: files baked into the image
//! (the official image's defaults, Dockerfile `COPY`), bind mounts and `configs:` over them, and files the
//! entrypoint renders at start (templates, `envsubst` in the command) over everything.

use crate::span::Location;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a file of the container comes from, in the order Docker stacks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// In the image: the base image's defaults, then the Dockerfile's `COPY`/`ADD`.
    Image,
    /// Bind mounts, `configs:` and volumes: they hide whatever the image has at and below their path.
    Mount,
    /// Written when the container starts (templates rendered by the official image's entrypoint,
    /// `envsubst` in the service's command).
    Runtime,
}

#[derive(Debug, Clone)]
pub enum Source {
    /// A host file or directory.
    Host(PathBuf),
    /// Text we know without a host file (a rendered template, a built-in default); `display` names it.
    Inline { display: PathBuf, text: Arc<str> },
    /// A mount whose content cannot be seen from the project (a named volume, tmpfs): it hides the image's
    /// files and provides none we know of.
    Opaque { display: String },
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// Absolute path inside the container, without a trailing slash.
    pub container_path: String,
    pub source: Source,
    pub layer: Layer,
    /// The compose or Dockerfile line that put it there.
    pub origin: Option<Location>,
}

/// A file found in the container file system.
#[derive(Debug, Clone)]
pub struct Found {
    pub container_path: String,
    /// The host file that holds it, or the display name of inline text.
    pub host_path: PathBuf,
    /// Inline text, when the file is not a host file.
    pub inline: Option<Arc<str>>,
    pub origin: Option<Location>,
    pub layer: Layer,
    /// Why the file is not read although it is there: it resolves (through symlinks) outside the directories
    /// the Vfs may read (see [`Vfs::restrict_to`]).
    pub blocked: Option<String>,
}

impl Found {
    /// The file's text (reads the host file, at most `limit` bytes; larger files are an error).
    pub fn read(&self, limit: u64) -> std::io::Result<Arc<str>> {
        if let Some(t) = &self.inline {
            return Ok(t.clone());
        }
        if let Some(why) = &self.blocked {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                why.clone(),
            ));
        }
        let bytes = match crate::fsread::read_limited(&self.host_path, limit) {
            Ok(b) => b,
            Err(crate::fsread::ReadError::Io(e)) => return Err(e),
            Err(crate::fsread::ReadError::TooLarge(n)) => {
                return Err(std::io::Error::other(format!(
                    "file is {n} bytes or more, more than the {limit} byte limit"
                )));
            }
            Err(e) => return Err(std::io::Error::other(e.to_string())),
        };
        match String::from_utf8(bytes) {
            Ok(s) => Ok(Arc::from(s)),
            // nginx reads bytes; comments and strings in Latin-1 are common. Keep the text, mark bad bytes.
            Err(e) => Ok(Arc::from(
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
            )),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Vfs {
    entries: Vec<Entry>,
    /// When set, host files are read only when their real path (symlinks resolved) is inside one of these
    /// directories (canonical paths).
    roots: Option<Vec<PathBuf>>,
}

/// `path`'s real location when it is outside every root; `None` when it is inside one (or cannot be resolved,
/// which the read reports on its own).
pub fn outside_roots(path: &Path, roots: &[PathBuf]) -> Option<PathBuf> {
    let real = path.canonicalize().ok()?;
    if roots.iter().any(|r| real.starts_with(r)) {
        None
    } else {
        Some(real)
    }
}

/// Normalises a container path: absolute, no `//`, no trailing `/`, `.` and `..` folded.
pub fn normalize(path: &str) -> String {
    // the common case: already normal (one allocation, no splitting)
    if path.starts_with('/')
        && (path.len() == 1 || !path.ends_with('/'))
        && !path.contains("//")
        && !path.contains("/./")
        && !path.contains("/../")
        && !path.ends_with("/.")
        && !path.ends_with("/..")
    {
        return path.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `rest` when `path` is `prefix` or below it.
fn strip_dir_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix == "/" {
        return Some(path.trim_start_matches('/'));
    }
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

impl Vfs {
    pub fn new() -> Self {
        Vfs::default()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Reads host files only inside these directories (after resolving symlinks): a symlink in a mounted
    /// directory that points at `/etc/shadow` is reported as not read, never read. Roots that do not exist
    /// are ignored.
    pub fn restrict_to(&mut self, roots: &[PathBuf]) {
        self.roots = Some(roots.iter().filter_map(|r| r.canonicalize().ok()).collect());
    }

    pub fn add(
        &mut self,
        container_path: &str,
        source: Source,
        layer: Layer,
        origin: Option<Location>,
    ) {
        self.entries.push(Entry {
            container_path: normalize(container_path),
            source,
            layer,
            origin,
        });
    }

    pub fn add_host(
        &mut self,
        container_path: &str,
        host: impl Into<PathBuf>,
        layer: Layer,
        origin: Option<Location>,
    ) {
        self.add(container_path, Source::Host(host.into()), layer, origin);
    }

    pub fn add_inline(
        &mut self,
        container_path: &str,
        display: impl Into<PathBuf>,
        text: impl Into<Arc<str>>,
        layer: Layer,
        origin: Option<Location>,
    ) {
        self.add(
            container_path,
            Source::Inline {
                display: display.into(),
                text: text.into(),
            },
            layer,
            origin,
        );
    }

    /// The entry of `layer` that covers `path` most closely (the deepest, and of equal depth the last added).
    fn covering<'s, 'p>(&'s self, path: &'p str, layer: Layer) -> Vec<(&'s Entry, &'p str)> {
        let mut v: Vec<(usize, &Entry, &str)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.layer == layer)
            .filter_map(|(i, e)| strip_dir_prefix(path, &e.container_path).map(|rest| (i, e, rest)))
            .collect();
        // deepest first; among equals, the last added first
        v.sort_by(|a, b| {
            b.1.container_path
                .len()
                .cmp(&a.1.container_path.len())
                .then(b.0.cmp(&a.0))
        });
        v.into_iter().map(|(_, e, r)| (e, r)).collect()
    }

    fn found_in(&self, entry: &Entry, rest: &str, path: &str) -> Option<Found> {
        match &entry.source {
            Source::Host(h) => {
                let hp = if rest.is_empty() {
                    h.clone()
                } else {
                    h.join(rest)
                };
                if hp.exists() {
                    let blocked = self
                        .roots
                        .as_ref()
                        .and_then(|roots| outside_roots(&hp, roots))
                        .map(|real| {
                            format!(
                                "{} resolves to {}, outside the project directory: not read (--allow-outside reads it)",
                                hp.display(),
                                real.display()
                            )
                        });
                    Some(Found {
                        container_path: path.to_string(),
                        host_path: hp,
                        inline: None,
                        origin: entry.origin.clone(),
                        layer: entry.layer,
                        blocked,
                    })
                } else {
                    None
                }
            }
            Source::Inline { display, text } if rest.is_empty() => Some(Found {
                container_path: path.to_string(),
                host_path: display.clone(),
                inline: Some(text.clone()),
                origin: entry.origin.clone(),
                layer: entry.layer,
                blocked: None,
            }),
            _ => None,
        }
    }

    /// Looks a container path up through the layers. `Err(entry)` when a mount hides the path and does not
    /// provide it (the file is known to be absent, or unknowable for an opaque mount).
    pub fn lookup(&self, path: &str) -> Result<Found, Option<&Entry>> {
        let path = normalize(path);
        // files written at start sit on top of everything; a runtime directory that lacks the file hides nothing
        for (e, rest) in self.covering(&path, Layer::Runtime) {
            if let Some(f) = self.found_in(e, rest, &path) {
                return Ok(f);
            }
        }
        if let Some((e, rest)) = self.covering(&path, Layer::Mount).into_iter().next() {
            return self.found_in(e, rest, &path).ok_or(Some(e));
        }
        for (e, rest) in self.covering(&path, Layer::Image) {
            if let Some(f) = self.found_in(e, rest, &path) {
                return Ok(f);
            }
        }
        Err(None)
    }

    /// The file at `path`, if the container has one we can see.
    pub fn get(&self, path: &str) -> Option<Found> {
        self.lookup(path).ok()
    }

    /// The names directly inside container directory `dir`, from every layer that shows there.
    fn names_in_dir(&self, dir: &str) -> Vec<String> {
        let dir = normalize(dir);
        let mut names: Vec<String> = Vec::new();
        let push_host_dir = |h: &Path, names: &mut Vec<String>| {
            if let Ok(rd) = std::fs::read_dir(h) {
                for de in rd.flatten() {
                    names.push(de.file_name().to_string_lossy().into_owned());
                }
            }
        };
        // entries that sit directly inside `dir`
        for e in &self.entries {
            if let Some(rest) = strip_dir_prefix(&e.container_path, &dir)
                && !rest.is_empty()
                && !rest.contains('/')
            {
                names.push(rest.to_string());
            }
        }
        // the listing of the directory itself, from the layer that provides it
        let mount = self.covering(&dir, Layer::Mount).into_iter().next();
        let mut dirs: Vec<(&Entry, &str)> = Vec::new();
        if let Some(m) = mount {
            dirs.push(m);
        } else {
            dirs.extend(self.covering(&dir, Layer::Image));
        }
        dirs.extend(self.covering(&dir, Layer::Runtime));
        for (e, rest) in dirs {
            if let Source::Host(h) = &e.source {
                let hp = if rest.is_empty() {
                    h.clone()
                } else {
                    h.join(rest)
                };
                if hp.is_dir() {
                    push_host_dir(&hp, &mut names);
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// Container paths matching a glob pattern (wildcards in any component), sorted the way nginx's
    /// glob(3) returns them (byte order). Only paths that resolve to a visible file are returned.
    pub fn glob(&self, pattern: &str) -> Vec<String> {
        let pattern = normalize(pattern);
        let comps: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
        let mut current: Vec<String> = vec![String::new()];
        for comp in &comps {
            let has_magic = comp.contains(['*', '?', '[']);
            let mut next = Vec::new();
            for base in &current {
                let dir = if base.is_empty() {
                    "/".to_string()
                } else {
                    base.clone()
                };
                if has_magic {
                    let Ok(pat) = glob::Pattern::new(comp) else {
                        continue;
                    };
                    let opts = glob::MatchOptions {
                        case_sensitive: true,
                        require_literal_separator: true,
                        require_literal_leading_dot: true,
                    };
                    for name in self.names_in_dir(&dir) {
                        if pat.matches_with(&name, opts) {
                            next.push(format!("{base}/{name}"));
                        }
                    }
                } else {
                    next.push(format!("{base}/{comp}"));
                }
            }
            current = next;
        }
        let mut out: Vec<String> = current
            .into_iter()
            .filter(|p| {
                self.get(p)
                    .map(|f| f.inline.is_some() || f.host_path.is_file())
                    .unwrap_or(false)
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "cd-vfs-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("conf.d")).unwrap();
        std::fs::write(d.join("conf.d/a.conf"), "a").unwrap();
        std::fs::write(d.join("conf.d/b.conf"), "b").unwrap();
        std::fs::write(d.join("conf.d/c.conf.example"), "c").unwrap();
        d
    }

    #[test]
    fn mount_hides_image_files_below_it() {
        let d = tmp();
        let mut v = Vfs::new();
        v.add_inline(
            "/etc/nginx/conf.d/default.conf",
            "image:default.conf",
            "server {}",
            Layer::Image,
            None,
        );
        v.add_inline(
            "/etc/nginx/nginx.conf",
            "image:nginx.conf",
            "http {}",
            Layer::Image,
            None,
        );
        v.add_host("/etc/nginx/conf.d", d.join("conf.d"), Layer::Mount, None);
        assert!(v.get("/etc/nginx/conf.d/default.conf").is_none());
        assert!(v.get("/etc/nginx/nginx.conf").is_some());
        assert_eq!(
            v.get("/etc/nginx/conf.d/a.conf").unwrap().host_path,
            d.join("conf.d/a.conf")
        );
        assert_eq!(
            v.glob("/etc/nginx/conf.d/*.conf"),
            vec!["/etc/nginx/conf.d/a.conf", "/etc/nginx/conf.d/b.conf"]
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn deeper_mount_and_runtime_files_win() {
        let d = tmp();
        let mut v = Vfs::new();
        v.add_host("/etc/nginx/conf.d", d.join("conf.d"), Layer::Mount, None);
        v.add_host(
            "/etc/nginx/conf.d/a.conf",
            d.join("conf.d/b.conf"),
            Layer::Mount,
            None,
        );
        v.add_inline(
            "/etc/nginx/conf.d/z.conf",
            "rendered",
            "x",
            Layer::Runtime,
            None,
        );
        assert_eq!(
            v.get("/etc/nginx/conf.d/a.conf").unwrap().host_path,
            d.join("conf.d/b.conf")
        );
        assert_eq!(
            v.glob("/etc/nginx/conf.d/*.conf"),
            vec![
                "/etc/nginx/conf.d/a.conf",
                "/etc/nginx/conf.d/b.conf",
                "/etc/nginx/conf.d/z.conf"
            ]
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn image_copy_of_directory_merges_with_base() {
        let d = tmp();
        let mut v = Vfs::new();
        v.add_inline(
            "/etc/nginx/conf.d/default.conf",
            "image",
            "x",
            Layer::Image,
            None,
        );
        v.add_host("/etc/nginx/conf.d", d.join("conf.d"), Layer::Image, None);
        assert!(v.get("/etc/nginx/conf.d/default.conf").is_some());
        assert!(v.get("/etc/nginx/conf.d/a.conf").is_some());
        assert_eq!(v.glob("/etc/nginx/conf.d/*.conf").len(), 3);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn every_runtime_entry_is_tried() {
        let d = tmp();
        let mut v = Vfs::new();
        v.add_host("/etc/nginx", &d, Layer::Runtime, None);
        v.add_host("/etc/nginx/conf.d", d.join("empty"), Layer::Runtime, None);
        assert_eq!(
            v.get("/etc/nginx/conf.d/a.conf").unwrap().host_path,
            d.join("conf.d/a.conf")
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn normalize_paths() {
        assert_eq!(
            normalize("/etc//nginx/./conf.d/../nginx.conf"),
            "/etc/nginx/nginx.conf"
        );
        assert_eq!(normalize("/"), "/");
    }
}
