//! Keeps environment values out of the output. Compose files pass passwords and tokens through
//! `environment:`, `env_file:` and `.env`; none of those values may appear in a report (CI logs are often
//! public) unless `--show-secrets` is given.
//!
//! The last step of every output is [`Redactor::apply`]: each value of the project's environments (every
//! service's `environment` after `env_file`, and the project's `.env` / `--env-file` files) is replaced by
//! `********` wherever it appears, as written and as JSON escapes it. Values that cannot be secrets or that
//! the report must show are kept:
//! - short or plain values (fewer than 4 characters, numbers, `true`/`false`, lowercase words of fewer than
//!   8 letters such as `warn`, absolute paths such as `/etc/nginx`): ports, switches, log levels, paths;
//! - a value is replaced only as a whole word (not inside a longer run of letters and digits);
//! - names the project itself shows: service, network, container and host names, aliases, images;
//! - a value that is the upstream address nginx uses (a target rendered from a template, `proxy_pass
//!   http://$BACKEND` with `BACKEND=app:8080`): the target *is* that value, and hiding it would hide the
//!   diagnosis.

use crate::compose::Project;
use crate::model::Facts;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

pub const MASK: &str = "********";

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a value containing another is replaced whole.
    values: Vec<String>,
}

fn trivial(v: &str) -> bool {
    // an absolute path (`/etc/nginx`, `/run/php/php-fpm.sock`): the report prints paths, and masking one
    // would cut every path below it
    let path_like = v.starts_with('/')
        && v.len() > 1
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'));
    path_like
        || v.chars().count() < 4
        // short plain words: log levels, modes (`warn`, `debug`, `prod`)
        || (v.len() < 8 && v.bytes().all(|b| b.is_ascii_lowercase()))
        || v.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b':')
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "none" | "null"
        )
}

/// Every value of the project's environments and of its `.env` files.
pub fn environment_values(project: &Project, env_files: &[&Path]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for svc in project.services.values() {
        for v in svc.environment.values() {
            if let Some(v) = &v.value {
                out.insert(v.clone());
            }
        }
        if let Some(b) = &svc.build {
            out.extend(b.args.values().flatten().cloned());
        }
    }
    let mut files: Vec<std::path::PathBuf> = env_files.iter().map(|p| p.to_path_buf()).collect();
    files.push(project.working_dir.join(".env"));
    for f in files {
        if let Ok(entries) = crate::compose::dotenv::read_file(&f, &|_| None) {
            out.extend(entries.into_iter().map(|e| e.value));
        }
    }
    out
}

/// Names the output must keep even when a variable holds them.
fn shown_names(project: &Project) -> BTreeSet<String> {
    let mut keep = BTreeSet::new();
    keep.insert(project.name.clone());
    for (name, svc) in &project.services {
        keep.insert(name.clone());
        for s in [&svc.container_name, &svc.hostname, &svc.image]
            .into_iter()
            .flatten()
        {
            keep.insert(s.value.clone());
        }
        for n in &svc.networks {
            keep.insert(n.name.clone());
            keep.extend(n.aliases.iter().map(|a| a.value.clone()));
        }
    }
    for n in project.networks.values() {
        keep.insert(n.key.clone());
        keep.insert(n.docker_name.clone());
    }
    keep
}

impl Redactor {
    /// A redactor of `values`, keeping those in `keep` and those contained in an upstream target of `targets`.
    pub fn new(values: BTreeSet<String>, keep: &BTreeSet<String>, targets: &[String]) -> Self {
        let mut out: Vec<String> = Vec::new();
        for v in values {
            let v = v.trim().to_string();
            if trivial(&v) || keep.contains(&v) || targets.iter().any(|t| t.contains(v.as_str())) {
                continue;
            }
            // the JSON form too (quotes, backslashes, control characters escaped)
            if let Ok(j) = serde_json::to_string(&v) {
                let j = j[1..j.len() - 1].to_string();
                if j != v {
                    out.push(j);
                }
            }
            out.push(v);
        }
        out.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        out.dedup();
        Redactor { values: out }
    }

    /// For a project alone (`parse compose`).
    pub fn for_project(project: &Project, env_files: &[&Path]) -> Self {
        Redactor::new(
            environment_values(project, env_files),
            &shown_names(project),
            &[],
        )
    }

    /// For a check: the project's values, keeping the upstream targets nginx really uses.
    pub fn for_facts(facts: &Facts, env_files: &[&Path]) -> Self {
        let targets: Vec<String> = facts
            .proxies
            .iter()
            .flat_map(|p| p.targets().iter().map(|t| t.raw.clone()))
            .collect();
        Redactor::new(
            environment_values(&facts.project, env_files),
            &shown_names(&facts.project),
            &targets,
        )
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every value replaced by [`MASK`] where it stands as a whole word.
    pub fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = Cow::Owned(replace_words(&out, v));
            }
        }
        out
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `text` with each occurrence of `v` that is not glued to more letters or digits replaced by [`MASK`].
fn replace_words(text: &str, v: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in text.match_indices(v) {
        if i < last {
            continue;
        }
        let end = i + v.len();
        let glued_before = i > 0
            && is_word_byte(bytes[i - 1])
            && v.as_bytes().first().is_some_and(|&b| is_word_byte(b));
        let glued_after = end < bytes.len()
            && is_word_byte(bytes[end])
            && v.as_bytes().last().is_some_and(|&b| is_word_byte(b));
        if glued_before || glued_after {
            continue;
        }
        out.push_str(&text[last..i]);
        out.push_str(MASK);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_values_keeps_names_ports_and_targets() {
        let values: BTreeSet<String> = [
            "s3cr3t-password",
            "8080",
            "app",
            "backend:8080",
            "with\"quote\"x",
            "true",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let keep: BTreeSet<String> = ["app".to_string()].into_iter().collect();
        let r = Redactor::new(values, &keep, &["http://backend:8080".to_string()]);
        assert_eq!(
            r.apply("pw=s3cr3t-password port 8080 app backend:8080 true"),
            "pw=******** port 8080 app backend:8080 true"
        );
        assert_eq!(
            r.apply(r#"{"v": "with\"quote\"x"}"#),
            r#"{"v": "********"}"#
        );
        // only whole words
        let values: BTreeSet<String> = ["warn", "Secret99"].into_iter().map(String::from).collect();
        let r = Redactor::new(values, &BTreeSet::new(), &[]);
        assert_eq!(
            r.apply("warning: Secret99, xSecret99x"),
            "warning: ********, xSecret99x"
        );
    }
}
