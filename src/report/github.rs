//! GitHub Actions workflow commands (`--format github`): one annotation per finding that is not suppressed,
//! `::error`, `::warning` or `::notice` by severity, on the file and line relative to the source root
//! (the repository root, which is where the Actions runner checks out the code).

use super::{SourceRoot, message_with_help, outside_note};
use crate::checks::{Analysis, Severity};
use crate::model::Facts;
use std::fmt::Write;

/// Escapes a command's message (GitHub's rules: `%`, CR, LF).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value (the message rules, plus `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(facts: &Facts, analysis: &Analysis, root: &SourceRoot) -> String {
    let mut out = String::new();
    for f in analysis.findings.iter().filter(|f| f.suppressed.is_none()) {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let (file, line, col) = root.anchor(facts, f);
        let mut text = message_with_help(f);
        if let Some(note) = outside_note(f, root) {
            text.push_str(&format!("\n({note})"));
        }
        text.push_str(&format!("\nsee: compose-doctor explain {}", f.rule.code));
        let _ = writeln!(
            out,
            "::{command} file={},line={line},col={col},title={}::{}",
            escape_property(&file),
            escape_property(&format!("{} {}", f.rule.code, f.rule.name)),
            escape_data(&text)
        );
    }
    let _ = writeln!(
        out,
        "compose-doctor: {} route(s); {} error(s), {} warning(s), {} info, {} suppressed",
        analysis.routes.len(),
        analysis.count(Severity::Error),
        analysis.count(Severity::Warning),
        analysis.count(Severity::Info),
        analysis.suppressed()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
