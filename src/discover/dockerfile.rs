//! Just enough of a Dockerfile to know what an image holds: stages, base images, `WORKDIR`, `COPY`/`ADD`
//! (from the context or from another stage), `EXPOSE`, `CMD`/`ENTRYPOINT`.

use crate::span::Location;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone)]
pub struct Stage {
    /// `FROM image [AS name]`.
    pub base: String,
    pub name: Option<String>,
    pub loc: Location,
    pub copies: Vec<Copy>,
    /// Ports from `EXPOSE` (in this stage and inherited stages of this file).
    pub expose: Vec<(u16, Location)>,
    pub cmd: Option<(Vec<String>, Location)>,
    pub entrypoint: Option<(Vec<String>, Location)>,
    /// Environment set with `ENV`.
    pub env: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Copy {
    /// Sources as written (relative to the context, or paths in another stage with `from`).
    pub sources: Vec<String>,
    /// The destination, absolute (resolved against `WORKDIR`); a trailing `/` kept when written.
    pub dest: String,
    pub from: Option<String>,
    pub loc: Location,
}

/// Splits a Dockerfile into logical lines (continuations joined), each with the line it starts on.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0u32;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim_start();
        if cur.is_empty() {
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            start = i as u32 + 1;
        } else if trimmed.starts_with('#') {
            // comment lines inside a continuation are dropped
            continue;
        }
        if let Some(stripped) = line.trim_end().strip_suffix('\\') {
            cur.push_str(stripped);
            cur.push(' ');
        } else {
            cur.push_str(line);
            out.push((start, std::mem::take(&mut cur)));
        }
    }
    if !cur.trim().is_empty() {
        out.push((start, cur));
    }
    out
}

/// `["a", "b"]` (JSON form) or a shell-form string split on white space.
fn args_of(rest: &str) -> (Vec<String>, bool) {
    let t = rest.trim();
    if t.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<String>>(t)
    {
        return (v, true);
    }
    (crate::discover::shell::split(t), false)
}

fn substitute(s: &str, vars: &[(String, String)]) -> String {
    if !s.contains('$') {
        return s.to_string();
    }
    let map: std::collections::BTreeMap<String, String> = vars.iter().cloned().collect();
    crate::discover::shell::expand_simple(s, &map)
}

pub fn parse(text: &str, file: &Path) -> Dockerfile {
    let file: Arc<Path> = Arc::from(file);
    let mut df = Dockerfile::default();
    let mut workdir = String::from("/");
    let mut args: Vec<(String, String)> = Vec::new();
    for (line, l) in logical_lines(text) {
        let l = l.trim();
        let (instr, rest) = match l.find(char::is_whitespace) {
            Some(i) => (&l[..i], l[i..].trim()),
            None => (l, ""),
        };
        let loc = Location::new(file.clone(), line, 1);
        match instr.to_ascii_uppercase().as_str() {
            "ARG" => {
                let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
                args.push((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
            }
            "FROM" => {
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let base = substitute(words.first().copied().unwrap_or(""), &args);
                let name = match words.as_slice() {
                    [_, as_kw, n, ..] if as_kw.eq_ignore_ascii_case("as") => Some(n.to_string()),
                    _ => None,
                };
                // a stage built on an earlier stage inherits its files and settings
                let parent = df
                    .stages
                    .iter()
                    .find(|s| s.name.as_deref() == Some(base.as_str()))
                    .cloned();
                workdir = "/".into();
                let mut st = Stage {
                    base: base.clone(),
                    name,
                    loc,
                    copies: Vec::new(),
                    expose: Vec::new(),
                    cmd: None,
                    entrypoint: None,
                    env: Vec::new(),
                };
                if let Some(p) = parent {
                    st.base = p.base;
                    st.copies = p.copies;
                    st.expose = p.expose;
                    st.cmd = p.cmd;
                    st.entrypoint = p.entrypoint;
                    st.env = p.env;
                }
                df.stages.push(st);
            }
            _ if df.stages.is_empty() => {}
            "WORKDIR" => {
                let w = substitute(rest.trim_matches('"'), &args);
                workdir = if w.starts_with('/') {
                    w
                } else {
                    format!("{}/{}", workdir.trim_end_matches('/'), w)
                };
            }
            "ENV" => {
                let st = df.stages.last_mut().unwrap();
                if rest.contains('=') {
                    for w in crate::discover::shell::split(rest) {
                        if let Some((k, v)) = w.split_once('=') {
                            st.env.push((k.to_string(), v.to_string()));
                        }
                    }
                } else if let Some((k, v)) = rest.split_once(char::is_whitespace) {
                    st.env.push((k.to_string(), v.trim().to_string()));
                }
            }
            "COPY" | "ADD" => {
                let (words, _) = args_of(rest);
                let mut from = None;
                let mut paths = Vec::new();
                for w in words {
                    if let Some(f) = w.strip_prefix("--from=") {
                        from = Some(f.to_string());
                    } else if w.starts_with("--") {
                        continue;
                    } else {
                        paths.push(substitute(&w, &args));
                    }
                }
                if paths.len() < 2 {
                    continue;
                }
                let dest_raw = paths.pop().unwrap();
                let dest = if dest_raw.starts_with('/') {
                    dest_raw
                } else {
                    let d = format!(
                        "{}/{}",
                        workdir.trim_end_matches('/'),
                        dest_raw.trim_start_matches("./")
                    );
                    if dest_raw.ends_with('/') || dest_raw == "." {
                        format!("{}/", d.trim_end_matches(['/', '.']))
                    } else {
                        d
                    }
                };
                df.stages.last_mut().unwrap().copies.push(Copy {
                    sources: paths,
                    dest,
                    from,
                    loc,
                });
            }
            "EXPOSE" => {
                for w in rest.split_whitespace() {
                    let w = substitute(w, &args);
                    let p = w.split('/').next().unwrap_or("");
                    let p = p.split('-').next().unwrap_or("");
                    if let Ok(n) = p.parse::<u16>() {
                        df.stages.last_mut().unwrap().expose.push((n, loc.clone()));
                    }
                }
            }
            "CMD" => {
                let (v, json) = args_of(rest);
                let v = if json {
                    v
                } else {
                    vec!["/bin/sh".into(), "-c".into(), rest.to_string()]
                };
                df.stages.last_mut().unwrap().cmd = Some((v, loc));
            }
            "ENTRYPOINT" => {
                let (v, json) = args_of(rest);
                let v = if json {
                    v
                } else {
                    vec!["/bin/sh".into(), "-c".into(), rest.to_string()]
                };
                let st = df.stages.last_mut().unwrap();
                st.entrypoint = Some((v, loc));
                // ENTRYPOINT resets CMD inherited from the base image
                st.cmd = None;
            }
            _ => {}
        }
    }
    df
}

impl Dockerfile {
    /// The stage the image is built from: the one named by `target`, else the last.
    pub fn final_stage(&self, target: Option<&str>) -> Option<&Stage> {
        match target {
            Some(t) => self.stages.iter().find(|s| s.name.as_deref() == Some(t)),
            None => self.stages.last(),
        }
    }

    /// Where a file at `path` in stage `stage` comes from on the host, following `COPY --from` across
    /// stages. Returns the host path inside `context` (file or directory).
    pub fn host_source(
        &self,
        stage: &str,
        path: &str,
        context: &Path,
        depth: usize,
    ) -> Option<PathBuf> {
        if depth > 8 {
            return None;
        }
        let st = self
            .stages
            .iter()
            .find(|s| s.name.as_deref() == Some(stage))
            .or_else(|| stage.parse::<usize>().ok().and_then(|i| self.stages.get(i)))?;
        // the last COPY whose destination covers the path wins
        for c in st.copies.iter().rev() {
            for src in &c.sources {
                if let Some(p) = copy_maps(c, src, path, |s| self.is_dir_source(c, s, context)) {
                    return match &c.from {
                        None => {
                            Some(context.join(p.trim_start_matches("./").trim_start_matches('/')))
                        }
                        Some(f) => self.host_source(f, &p, context, depth + 1),
                    };
                }
            }
        }
        None
    }

    fn is_dir_source(&self, c: &Copy, src: &str, context: &Path) -> bool {
        match &c.from {
            None => context.join(src.trim_start_matches("./")).is_dir(),
            // inside another stage: a source without an extension is most likely a directory
            Some(_) => {
                src.ends_with('/')
                    || src == "."
                    || !src.rsplit('/').next().unwrap_or("").contains('.')
            }
        }
    }
}

/// If `COPY src dest` puts something at container path `path`, the source path (relative to the context or
/// to the other stage) that lands there.
pub fn copy_maps(
    c: &Copy,
    src: &str,
    path: &str,
    src_is_dir: impl Fn(&str) -> bool,
) -> Option<String> {
    let dest = c.dest.trim_end_matches('/');
    let dest_is_dir = c.dest.ends_with('/') || c.sources.len() > 1;
    if src_is_dir(src) {
        // the directory's contents land in dest
        let rest = path.strip_prefix(dest)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        let base = src.trim_end_matches('/');
        return Some(
            format!("{}{}", if base == "." { "" } else { base }, rest)
                .trim_start_matches('/')
                .to_string(),
        );
    }
    let name = src.rsplit('/').next().unwrap_or(src);
    if dest_is_dir || crate::discover::is_known_dir(dest) {
        (path == format!("{dest}/{name}")).then(|| src.to_string())
    } else {
        (path == dest).then(|| src.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_copies_and_expose() {
        let text = "# build\nFROM node:18 AS build\nWORKDIR /app\nCOPY . .\nRUN npm run build\n\nFROM nginx:1.25-alpine\nCOPY --from=build /app/.nginx/nginx.conf \\\n  /etc/nginx/conf.d/default.conf\nCOPY conf /etc/nginx/conf.d/\nEXPOSE 80 443/tcp\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n";
        let df = parse(text, Path::new("Dockerfile"));
        assert_eq!(df.stages.len(), 2);
        let st = df.final_stage(None).unwrap();
        assert_eq!(st.base, "nginx:1.25-alpine");
        assert_eq!(st.copies[0].from.as_deref(), Some("build"));
        assert_eq!(st.copies[0].dest, "/etc/nginx/conf.d/default.conf");
        assert_eq!(st.copies[0].loc.line, 8);
        assert_eq!(
            st.expose.iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![80, 443]
        );
        assert_eq!(
            st.cmd.as_ref().unwrap().0,
            vec!["nginx", "-g", "daemon off;"]
        );
        assert_eq!(df.stages[0].copies[0].dest, "/app/");
    }

    #[test]
    fn host_source_follows_stages() {
        let dir = std::env::temp_dir().join(format!("cd-df-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".nginx")).unwrap();
        std::fs::write(dir.join(".nginx/nginx.conf"), "x").unwrap();
        let text = "FROM node AS build\nWORKDIR /app\nCOPY . .\nFROM nginx\nCOPY --from=build /app/.nginx/nginx.conf /etc/nginx/conf.d/default.conf\n";
        let df = parse(text, Path::new("Dockerfile"));
        let i = (df.stages.len() - 1).to_string();
        let p = df
            .host_source(&i, "/etc/nginx/conf.d/default.conf", &dir, 0)
            .unwrap();
        assert_eq!(p, dir.join(".nginx/nginx.conf"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
