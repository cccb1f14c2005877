//! Suppressions: where a user says "this finding does not apply here, because ...". Collected from
//!
//! - nginx files: `# compose-doctor: ignore[CD106] reason` at the end of the directive's line, or alone on the
//!   line above it (the next line that is not blank or a comment);
//! - compose files: the same comment on a service's key line or above it (the whole service), or on/above
//!   any other line (findings pointing at that line); an `x-compose-doctor: {ignore: [{code, reason}]}`
//!   extension on a service (that service) or at the top level (the whole project);
//! - the project configuration's `[[ignore]]` entries (optionally scoped to a service or a file glob).
//!
//! A service scope covers findings whose proxy or upstream service it is. Codes may be written as codes or
//! names, comma-separated. Collecting reads files (it is part of loading); matching is pure.

use crate::checks::{self, Finding, SuppressionKind};
use crate::compose::yaml::{self, Node};
use crate::config::ProjectConfig;
use crate::model::Facts;
use crate::nginx::Target;
use crate::span::Location;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a suppression covers.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Findings pointing at this line of this file.
    Line { file: PathBuf, line: u32 },
    /// Findings of this proxy or upstream service.
    Service(String),
    /// Every finding of the project.
    Project,
    /// A `[[ignore]]` entry: optionally a service, optionally a glob on the finding's file.
    Config {
        service: Option<String>,
        path: Option<glob::Pattern>,
    },
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: SuppressionKind,
    pub codes: Vec<&'static str>,
    pub reason: Option<String>,
    /// Where the suppression is written.
    pub loc: Location,
    pub scope: Scope,
}

#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    pub entries: Vec<Entry>,
    /// Suppressions that could not be read (CD903 findings).
    pub problems: Vec<Finding>,
}

const MARKER: &str = "compose-doctor:";

/// A parsed `compose-doctor: ignore[...] reason` comment.
struct Comment {
    codes: Vec<&'static str>,
    reason: Option<String>,
}

fn invalid(message: String, loc: Location) -> Finding {
    Finding::new(
        &checks::suppression::INVALID,
        message,
        "write `# compose-doctor: ignore[CODE,...] reason`, with codes or names from `compose-doctor rules`",
    )
    .at(Some(loc))
}

/// Splits `CD106, wrong-port` into rule codes; unknown ones become problems.
fn resolve_codes(
    list: &[String],
    loc: &Location,
    problems: &mut Vec<Finding>,
) -> Vec<&'static str> {
    let mut codes = Vec::new();
    for k in list {
        let k = k.trim();
        if k.is_empty() {
            continue;
        }
        match checks::find_rule(k) {
            Some(r) => {
                if !codes.contains(&r.code) {
                    codes.push(r.code)
                }
            }
            None => problems.push(invalid(
                format!("the suppression names `{k}`, which is no rule"),
                loc.clone(),
            )),
        }
    }
    codes
}

/// Parses the text after `#`. `None`: not a compose-doctor comment.
fn parse_comment(text: &str, loc: &Location, problems: &mut Vec<Finding>) -> Option<Comment> {
    let body = text.trim_start_matches('#').trim_start();
    let rest = body.strip_prefix(MARKER)?.trim_start();
    let Some(after) = rest.strip_prefix("ignore[") else {
        problems.push(invalid(
            format!("cannot read the suppression `{}`", body.trim_end()),
            loc.clone(),
        ));
        return None;
    };
    let Some(close) = after.find(']') else {
        problems.push(invalid(
            "the suppression's `[` is not closed".to_string(),
            loc.clone(),
        ));
        return None;
    };
    let list: Vec<String> = after[..close].split(',').map(str::to_string).collect();
    let codes = resolve_codes(&list, loc, problems);
    if codes.is_empty() {
        if !list.iter().any(|k| !k.trim().is_empty()) {
            problems.push(invalid(
                "the suppression names no rule".to_string(),
                loc.clone(),
            ));
        }
        return None;
    }
    let reason = after[close + 1..]
        .trim()
        .trim_start_matches([':', '-', '\u{2014}'])
        .trim();
    Some(Comment {
        codes,
        reason: (!reason.is_empty()).then(|| reason.to_string()),
    })
}

/// Comments that carry the marker: (line, column of `#`, text from `#`, the line it applies to).
fn marked_comments(text: &str) -> Vec<(u32, u32, String, u32)> {
    let lines: Vec<&str> = text.lines().collect();
    let is_filler = |l: &str| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    };
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.contains(MARKER) {
            continue;
        }
        // a comment starts at a `#` at the line's start or after whitespace (nginx and YAML agree on that)
        let mut hash = None;
        let mut prev_space = true;
        for (bi, c) in line.char_indices() {
            if c == '#' && prev_space && line[bi..].contains(MARKER) {
                hash = Some(bi);
                break;
            }
            prev_space = c.is_whitespace() || c == ';' || c == '{' || c == '}';
        }
        let Some(bi) = hash else { continue };
        let col = line[..bi].chars().count() as u32 + 1;
        let own = (i + 1) as u32;
        let applies = if line[..bi].trim().is_empty() {
            // a comment alone on its line: the next line with content
            match (i + 1..lines.len()).find(|&j| !is_filler(lines[j])) {
                Some(j) => (j + 1) as u32,
                None => continue,
            }
        } else {
            own
        };
        out.push((own, col, line[bi..].trim_end().to_string(), applies));
    }
    out
}

fn read(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > yaml::MAX_FILE_SIZE {
        return None;
    }
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Reads the `ignore` list of an `x-compose-doctor` extension.
fn extension_entries(ext: &Node, scope: Scope, out: &mut Suppressions) {
    let Some(map) = ext.as_map() else {
        out.problems.push(invalid(
            "`x-compose-doctor` must be a mapping with an `ignore` list".into(),
            ext.loc.clone(),
        ));
        return;
    };
    for (k, v) in map {
        if k.as_str() != Some("ignore") {
            out.problems.push(invalid(
                format!(
                    "`x-compose-doctor` has no setting `{}` (only `ignore`)",
                    k.as_str().unwrap_or("?")
                ),
                k.loc.clone(),
            ));
            continue;
        }
        let Some(items) = v.as_seq() else {
            out.problems.push(invalid(
                "`x-compose-doctor.ignore` must be a list".into(),
                v.loc.clone(),
            ));
            continue;
        };
        for item in items {
            let (list, reason): (Vec<String>, Option<String>) = if let Some(s) = item.as_str() {
                (vec![s.to_string()], None)
            } else if item.as_map().is_some() {
                let list = match item.get("code") {
                    Some(c) => match (c.as_str(), c.as_seq()) {
                        (Some(s), _) => s.split(',').map(str::to_string).collect(),
                        (_, Some(seq)) => seq
                            .iter()
                            .filter_map(|n| n.as_str().map(str::to_string))
                            .collect(),
                        _ => Vec::new(),
                    },
                    None => Vec::new(),
                };
                let reason = item
                    .get("reason")
                    .and_then(Node::as_str)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty());
                for (k, _) in item.as_map().unwrap() {
                    if !matches!(k.as_str(), Some("code" | "reason")) {
                        out.problems.push(invalid(
                            format!(
                                "an `x-compose-doctor` ignore entry has no key `{}` (only `code` and `reason`)",
                                k.as_str().unwrap_or("?")
                            ),
                            k.loc.clone(),
                        ));
                    }
                }
                (list, reason)
            } else {
                (Vec::new(), None)
            };
            if list.is_empty() {
                out.problems.push(invalid(
                    "an `x-compose-doctor` ignore entry needs `code`".into(),
                    item.loc.clone(),
                ));
                continue;
            }
            let codes = resolve_codes(&list, &item.loc, &mut out.problems);
            if !codes.is_empty() {
                out.entries.push(Entry {
                    kind: SuppressionKind::Compose,
                    codes,
                    reason,
                    loc: item.loc.clone(),
                    scope: scope.clone(),
                });
            }
        }
    }
}

/// Gathers every suppression of the project: nginx and compose comments, `x-compose-doctor`, the config file.
pub fn collect(facts: &Facts, config: &ProjectConfig) -> Suppressions {
    let mut out = Suppressions::default();

    // nginx files, each once
    let mut seen = BTreeSet::new();
    for p in &facts.proxies {
        let Some(cfg) = p.loaded() else { continue };
        for f in &cfg.files {
            if !seen.insert(f.host_path.clone()) {
                continue;
            }
            let Some(text) = read(&f.host_path) else {
                continue;
            };
            for (line, col, comment, applies) in marked_comments(&text) {
                let loc = Location::new(f.host_path.clone(), line, col);
                if let Some(c) = parse_comment(&comment, &loc, &mut out.problems) {
                    out.entries.push(Entry {
                        kind: SuppressionKind::Inline,
                        codes: c.codes,
                        reason: c.reason,
                        loc,
                        scope: Scope::Line {
                            file: f.host_path.clone(),
                            line: applies,
                        },
                    });
                }
            }
        }
    }

    // compose files: comments and extensions
    let mut with_extension = BTreeSet::new();
    for file in &facts.project.files {
        let Some(text) = read(file) else { continue };
        let docs = yaml::parse_documents(&text, file).unwrap_or_default();
        // service key lines of this file
        let mut service_lines = Vec::new();
        for doc in &docs {
            if let Some(ext) = doc.get("x-compose-doctor") {
                extension_entries(ext, Scope::Project, &mut out);
            }
            if let Some(services) = doc.get("services").and_then(Node::as_map) {
                for (k, v) in services {
                    let Some(name) = k.as_str() else { continue };
                    service_lines.push((k.loc.line, name.to_string()));
                    if let Some(ext) = v.get("x-compose-doctor") {
                        with_extension.insert(name.to_string());
                        extension_entries(ext, Scope::Service(name.to_string()), &mut out);
                    }
                }
            }
        }
        for (line, col, comment, applies) in marked_comments(&text) {
            let loc = Location::new(file.clone(), line, col);
            if let Some(c) = parse_comment(&comment, &loc, &mut out.problems) {
                let scope = match service_lines.iter().find(|(l, _)| *l == applies) {
                    Some((_, name)) => Scope::Service(name.clone()),
                    None => Scope::Line {
                        file: file.clone(),
                        line: applies,
                    },
                };
                out.entries.push(Entry {
                    kind: SuppressionKind::Compose,
                    codes: c.codes,
                    reason: c.reason,
                    loc,
                    scope,
                });
            }
        }
    }
    // extensions that reached a service some other way (`extends`): the service's raw value
    for s in facts.project.services.values() {
        if with_extension.contains(&s.name) {
            continue;
        }
        if let Some(raw) = &s.x_compose_doctor {
            let node = json_node(raw, &s.loc);
            extension_entries(&node, Scope::Service(s.name.clone()), &mut out);
        }
    }

    for ig in &config.ignores {
        out.entries.push(Entry {
            kind: SuppressionKind::Config,
            codes: ig.codes.clone(),
            reason: ig.reason.clone(),
            loc: ig.loc.clone(),
            scope: Scope::Config {
                service: ig.service.clone(),
                path: ig.path.as_ref().map(|p| p.1.clone()),
            },
        });
    }
    out
}

/// A YAML node for a JSON value, every position at `loc`.
fn json_node(v: &serde_json::Value, loc: &Location) -> Node {
    use serde_json::Value as J;
    let value = match v {
        J::Null => yaml::Value::Null,
        J::Bool(b) => yaml::Value::Scalar(b.to_string(), true),
        J::Number(n) => yaml::Value::Scalar(n.to_string(), true),
        J::String(s) => yaml::Value::Scalar(s.clone(), false),
        J::Array(a) => yaml::Value::Seq(a.iter().map(|x| json_node(x, loc)).collect()),
        J::Object(m) => yaml::Value::Map(
            m.iter()
                .map(|(k, x)| (Node::scalar(k.clone(), loc.clone()), json_node(x, loc)))
                .collect(),
        ),
    };
    Node::new(value, loc.clone())
}

/// Every place a finding points at: its location, its related locations, and its route's references.
fn places<'a>(f: &'a Finding, target: Option<&'a Target>) -> Vec<&'a Location> {
    let mut v: Vec<&Location> = f.location.iter().collect();
    v.extend(f.related.iter().map(|r| &r.location));
    if let Some(t) = target {
        v.push(&t.loc);
        v.extend(t.via.iter());
        if let Some(u) = &t.upstream {
            v.push(&u.block_loc);
        }
    }
    v
}

impl Entry {
    /// Does this suppression cover the finding?
    pub fn covers(&self, f: &Finding, target: Option<&Target>) -> bool {
        if !self.codes.contains(&f.rule.code) {
            return false;
        }
        let of_service = |s: &str| f.proxy.as_deref() == Some(s) || f.service.as_deref() == Some(s);
        match &self.scope {
            Scope::Line { file, line } => places(f, target)
                .iter()
                .any(|l| l.line == *line && *l.file == **file),
            Scope::Service(s) => of_service(s),
            Scope::Project => true,
            Scope::Config { service, path } => {
                service.as_deref().is_none_or(of_service)
                    && path.as_ref().is_none_or(|p| {
                        f.location
                            .as_ref()
                            .is_some_and(|l| p.matches_path(&crate::config::absolute(&l.file)))
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_apply_to_their_line_or_the_next() {
        let text = "server {\n    # compose-doctor: ignore[CD106] legacy\n\n    # other\n    proxy_pass http://a;\n    proxy_pass http://b;  # compose-doctor: ignore[CD101,no-resolver]\n    set $x \"# compose-doctor: not a comment\";\n}\n";
        let c = marked_comments(text);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!((c[0].0, c[0].1, c[0].3), (2, 5, 5));
        assert_eq!((c[1].0, c[1].3), (6, 6));
        let mut problems = Vec::new();
        let loc = Location::new(PathBuf::from("x"), 1, 1);
        let p = parse_comment(&c[1].2, &loc, &mut problems).unwrap();
        assert_eq!(p.codes, vec!["CD101", "CD108"]);
        assert_eq!(p.reason, None);
        let p = parse_comment(&c[0].2, &loc, &mut problems).unwrap();
        assert_eq!(p.reason.as_deref(), Some("legacy"));
        assert!(problems.is_empty());
    }

    #[test]
    fn bad_comments_are_problems() {
        let loc = Location::new(PathBuf::from("x"), 1, 1);
        for text in [
            "# compose-doctor: ignore CD106",
            "# compose-doctor: ignore[CD106",
            "# compose-doctor: ignore[] why",
            "# compose-doctor: ignore[CD999] why",
            "# compose-doctor: disable[CD106]",
        ] {
            let mut problems = Vec::new();
            assert!(parse_comment(text, &loc, &mut problems).is_none(), "{text}");
            assert_eq!(problems.len(), 1, "{text}");
            assert_eq!(problems[0].rule.code, "CD903");
        }
        let mut problems = Vec::new();
        let c = parse_comment(
            "# compose-doctor: ignore[CD106, CD999] partly",
            &loc,
            &mut problems,
        )
        .unwrap();
        assert_eq!((c.codes, problems.len()), (vec!["CD106"], 1));
    }
}
