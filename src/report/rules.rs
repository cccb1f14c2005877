//! The rule documentation in every form it is read: `explain`, `rules` (text, JSON, Markdown), the README's
//! rules table and SARIF's rule descriptors. One source: each rule's `doc`.

use crate::checks::{self, Rule};
use serde_json::{Value, json};
use std::fmt::Write;

/// The text of one `## Heading` section of a rule's doc (without the heading), trimmed.
pub fn section<'a>(rule: &'a Rule, heading: &str) -> Option<&'a str> {
    let marker = format!("## {heading}\n");
    let start = rule.doc.find(&marker)? + marker.len();
    let rest = &rule.doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// The first section as one plain paragraph (line breaks joined): SARIF's `fullDescription`.
pub fn description(rule: &Rule) -> String {
    section(rule, "What it checks")
        .unwrap_or(rule.summary)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `compose-doctor explain CODE`.
pub fn explain(r: &Rule) -> String {
    format!(
        "{} {} ({}, default severity {})\n{}\n\n{}\n",
        r.code,
        r.name,
        r.category,
        r.severity.as_str(),
        r.summary,
        r.doc
    )
}

/// `compose-doctor rules`: one line per rule.
pub fn text() -> String {
    let mut s = String::new();
    for r in checks::rules() {
        let _ = writeln!(
            s,
            "{:<6} {:<26} {:<24} {:<8} {}",
            r.code,
            r.name,
            r.category,
            r.severity.as_str(),
            r.summary
        );
    }
    s
}

/// `compose-doctor rules --format json`.
pub fn json() -> Value {
    let rules: Vec<Value> = checks::rules()
        .into_iter()
        .map(|r| {
            json!({
                "code": r.code,
                "name": r.name,
                "category": r.category,
                "severity": r.severity.as_str(),
                "summary": r.summary,
                "doc": r.doc,
            })
        })
        .collect();
    json!({"version": 1, "rules": rules})
}

/// `compose-doctor rules --format markdown`: the table the README carries between its markers.
pub fn markdown_table() -> String {
    let mut s = String::from(
        "| code | name | category | severity | what |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in checks::rules() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            r.code,
            r.name,
            r.category,
            r.severity.as_str(),
            r.summary.replace('|', "\\|")
        );
    }
    s
}

/// The markers around the generated table in README.md.
pub const README_BEGIN: &str = "<!-- rules table: generated from the rule docs by `compose-doctor rules --format markdown`; do not edit -->";
pub const README_END: &str = "<!-- end of rules table -->";

/// The README with its rules table replaced by the current one; `None` when the markers are missing.
pub fn update_readme(readme: &str) -> Option<String> {
    let b = readme.find(README_BEGIN)? + README_BEGIN.len();
    let e = readme[b..].find(README_END)? + b;
    Some(format!(
        "{}\n{}{}",
        &readme[..b],
        markdown_table(),
        &readme[e..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_every_section() {
        for r in checks::rules() {
            for h in ["What it checks", "Why it breaks", "Example", "Fix"] {
                assert!(
                    section(r, h).is_some_and(|s| !s.is_empty()),
                    "{} lacks `## {h}`",
                    r.code
                );
            }
            assert!(!r.summary.contains('\n'), "{}: one-line summary", r.code);
        }
    }

    #[test]
    fn readme_update_is_idempotent() {
        let doc = format!("intro\n{README_BEGIN}\nold\n{README_END}\nrest\n");
        let once = update_readme(&doc).unwrap();
        assert!(once.contains("| CD101 | unknown-host |"));
        assert_eq!(update_readme(&once).unwrap(), once);
        assert!(once.ends_with(&format!("{README_END}\nrest\n")));
    }
}
