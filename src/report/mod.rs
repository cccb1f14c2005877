//! Reports: the human table and snippets, JSON, SARIF, JUnit, GitHub workflow commands, GitLab code quality,
//! and a graph of the routes (Mermaid or DOT), plus the rule documentation in several forms.

pub mod github;
pub mod gitlab;
pub mod graph;
pub mod json;
pub mod junit;
pub mod rules;
pub mod sarif;
pub mod text;

use crate::checks::{Finding, Severity};
use crate::model::Facts;
use crate::span::Location;
use std::path::{Path, PathBuf};

/// The directory the paths of SARIF, GitHub and GitLab reports are relative to: the repository root, where
/// code scanning and annotations look for files.
#[derive(Debug, Clone)]
pub struct SourceRoot {
    root: PathBuf,
    cwd: PathBuf,
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    p.canonicalize()
        .unwrap_or_else(|_| crate::compose::syntax::clean(&p))
}

impl SourceRoot {
    /// `explicit` (`--source-root`), else the git work tree around `cwd` (a `.git` directory or file), else
    /// `cwd` itself.
    pub fn new(explicit: Option<&Path>, cwd: &Path) -> SourceRoot {
        let cwd = absolute(cwd, Path::new("."));
        let root = match explicit {
            Some(p) => absolute(&cwd, p),
            None => cwd
                .ancestors()
                .find(|d| d.join(".git").exists())
                .unwrap_or(&cwd)
                .to_path_buf(),
        };
        SourceRoot { root, cwd }
    }

    /// The path of `p` relative to the root, with `/` separators; `None` when it lies outside.
    pub fn relative(&self, p: &Path) -> Option<String> {
        let abs = absolute(&self.cwd, p);
        let rel = abs.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    /// Where to anchor a finding in a report that needs a file in the repository: its own location when it
    /// lies inside the root; else its proxy service's key in the compose file; else the first compose file.
    pub fn anchor(&self, facts: &Facts, f: &Finding) -> (String, u32, u32) {
        if let Some(l) = &f.location
            && let Some(r) = self.relative(&l.file)
        {
            return (r, l.line, l.column);
        }
        let service = f
            .proxy
            .as_ref()
            .or(f.service.as_ref())
            .and_then(|s| facts.project.services.get(s));
        if let Some(s) = service
            && let Some(r) = self.relative(&s.loc.file)
        {
            return (r, s.loc.line, s.loc.column);
        }
        let first = facts
            .project
            .files
            .first()
            .and_then(|p| self.relative(p))
            .unwrap_or_else(|| "compose.yaml".into());
        (first, 1, 1)
    }

    pub fn location(&self, l: &Location) -> Option<(String, u32, u32)> {
        Some((self.relative(&l.file)?, l.line, l.column))
    }
}

/// A finding's message with its help, on two lines.
pub fn message_with_help(f: &Finding) -> String {
    if f.help.is_empty() {
        f.message.clone()
    } else {
        format!("{}\nhelp: {}", f.message, f.help)
    }
}

/// A finding's primary location as text, when it lies outside what a report can point at.
pub fn outside_note(f: &Finding, root: &SourceRoot) -> Option<String> {
    let l = f.location.as_ref()?;
    root.relative(&l.file).is_none().then(|| format!("at {l}"))
}

/// SARIF's names for severities.
pub fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A route's target as the table shows it: `host:port`, or the host alone (unix sockets, variables).
pub fn target_text(r: &crate::checks::Route) -> String {
    use crate::nginx::Host;
    match r.target.effective_port() {
        Some(p) if !matches!(r.target.host, Host::Unix(_) | Host::Dynamic(_)) => {
            format!("{}:{p}", json::host_text(&r.target.host))
        }
        _ => json::host_text(&r.target.host),
    }
}

/// The categories of a route's verdict, as the table shows them (`error: wrong-port`).
pub fn verdict_text(r: &crate::checks::Route) -> String {
    use crate::checks::Status;
    let mut names: Vec<&str> = r
        .codes
        .iter()
        .filter_map(|c| crate::checks::find_rule(c))
        .filter(|x| x.severity != Severity::Info || r.status == Status::Unknown)
        .map(|x| x.category)
        .collect();
    names.dedup();
    if names.is_empty() || r.status == Status::Ok {
        r.status.as_str().to_string()
    } else {
        format!("{}: {}", r.status.as_str(), names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let tmp = std::env::temp_dir();
        let root = SourceRoot::new(Some(&tmp), &tmp);
        assert_eq!(
            root.relative(Path::new("a/./b/../c.conf")).as_deref(),
            Some("a/c.conf")
        );
        assert_eq!(root.relative(Path::new("/nowhere/else")), None);
    }
}
