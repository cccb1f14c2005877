//! SARIF 2.1.0 (`--format sarif`) as GitHub code scanning reads it: one run, the rule descriptors from the
//! rule docs, one result per finding with its place in the repository (relative to `%SRCROOT%`, the source
//! root), related places, and suppressions. Columns count Unicode code points, as everywhere in this tool.

use super::{SourceRoot, message_with_help, outside_note, rules, sarif_level};
use crate::checks::{self, Analysis, SuppressionKind};
use crate::model::Facts;
use serde_json::{Value, json};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const BASE: &str = "%SRCROOT%";

fn physical(uri: &str, line: u32, column: u32) -> Value {
    json!({
        "artifactLocation": {"uri": uri, "uriBaseId": BASE},
        "region": {"startLine": line, "startColumn": column},
    })
}

fn rule_descriptor(r: &checks::Rule) -> Value {
    json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": rules::description(r)},
        "help": {"text": r.doc, "markdown": r.doc},
        "defaultConfiguration": {"level": sarif_level(r.severity)},
        "properties": {
            "category": r.category,
            "tags": [r.category, "nginx", "docker-compose"],
        },
    })
}

pub fn render(facts: &Facts, analysis: &Analysis, root: &SourceRoot) -> Value {
    let all = checks::rules();
    let results: Vec<Value> = analysis
        .findings
        .iter()
        .map(|f| {
            let (uri, line, col) = root.anchor(facts, f);
            let mut text = message_with_help(f);
            if let Some(note) = outside_note(f, root) {
                text.push_str(&format!("\n({note})"));
            }
            let related: Vec<Value> = f
                .related
                .iter()
                .filter_map(|r| {
                    let (u, l, c) = root.location(&r.location)?;
                    Some((u, l, c, r.message.clone()))
                })
                .enumerate()
                .map(|(i, (u, l, c, m))| {
                    let mut loc = json!({"id": i + 1, "physicalLocation": physical(&u, l, c)});
                    loc["message"] = json!({"text": m});
                    loc
                })
                .collect();
            let mut v = json!({
                "ruleId": f.rule.code,
                "ruleIndex": all.iter().position(|r| r.code == f.rule.code),
                "level": sarif_level(f.severity),
                "message": {"text": text},
                "locations": [{"physicalLocation": physical(&uri, line, col)}],
            });
            if !related.is_empty() {
                v["relatedLocations"] = Value::Array(related);
            }
            if let Some(s) = &f.suppressed {
                let mut sup = json!({
                    "kind": if s.kind == SuppressionKind::Config { "external" } else { "inSource" },
                    "status": "accepted",
                });
                if let Some(reason) = &s.reason {
                    sup["justification"] = json!(reason);
                }
                if let Some((u, l, c)) = s.location.as_ref().and_then(|l| root.location(l)) {
                    sup["location"] = json!({"physicalLocation": physical(&u, l, c)});
                }
                v["suppressions"] = json!([sup]);
            }
            let mut props = serde_json::Map::new();
            for (k, val) in [
                ("proxyService", &f.proxy),
                ("service", &f.service),
                ("target", &f.target),
            ] {
                if let Some(x) = val {
                    props.insert(k.into(), json!(x));
                }
            }
            props.insert("category".into(), json!(f.rule.category));
            v["properties"] = Value::Object(props);
            v
        })
        .collect();
    let notifications: Vec<Value> = facts
        .project
        .warnings
        .iter()
        .map(|w| {
            let mut n = json!({"level": "warning", "message": {"text": w.message}});
            if let Some((u, l, c)) = w.location.as_ref().and_then(|l| root.location(l)) {
                n["locations"] = json!([{"physicalLocation": physical(&u, l, c)}]);
            }
            n
        })
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": env!("CARGO_PKG_NAME"),
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": all.iter().map(|r| rule_descriptor(r)).collect::<Vec<_>>(),
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {
                BASE: {"description": {"text": "The root of the source tree: the git work tree compose-doctor ran in, or --source-root"}},
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
