//! GitLab code quality (`--format gitlab`): the Code Climate JSON subset GitLab reads from a
//! `codequality` report artifact. Suppressed findings are left out.

use super::{SourceRoot, message_with_help};
use crate::checks::{Analysis, Severity};
use crate::model::Facts;
use serde_json::{Value, json};

/// A stable fingerprint: 128 bits of FNV-1a over the parts, as hex (no hashing crate needed).
fn fingerprint(parts: &[&str]) -> String {
    let mut out = String::new();
    for seed in [0xcbf2_9ce4_8422_2325u64, 0x6c62_272e_07bb_0142u64] {
        let mut h = seed;
        for p in parts {
            for b in p.bytes().chain([0u8]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

pub fn render(facts: &Facts, analysis: &Analysis, root: &SourceRoot) -> Value {
    let issues: Vec<Value> = analysis
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| {
            let (path, line, _) = root.anchor(facts, f);
            let severity = match f.severity {
                Severity::Error => "critical",
                Severity::Warning => "major",
                Severity::Info => "info",
            };
            let line_text = line.to_string();
            json!({
                "type": "issue",
                "check_name": f.rule.code,
                "description": format!("{} [{}]", f.message, f.rule.name),
                "content": {"body": message_with_help(f)},
                "categories": ["Bug Risk"],
                "severity": severity,
                "fingerprint": fingerprint(&[
                    f.rule.code,
                    &path,
                    &line_text,
                    f.proxy.as_deref().unwrap_or(""),
                    f.target.as_deref().unwrap_or(""),
                    &f.message,
                ]),
                "location": {"path": path, "lines": {"begin": line}},
            })
        })
        .collect();
    Value::Array(issues)
}
