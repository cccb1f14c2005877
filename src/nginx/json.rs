//! A crossplane-compatible JSON view of a loaded configuration (`crossplane parse --combine` layout):
//!
//! ```json
//! {"status": "ok"|"failed",
//!  "errors": [{"file": "...", "line": 3, "error": "..."}],
//!  "config": [{"file": "<entry>", "status": "...", "errors": [...],
//!              "parsed": [{"directive": "http", "line": 1, "args": [], "file": "...", "block": [...]}]}]}
//! ```
//!
//! Differences from crossplane: includes are already expanded (every directive carries its own `file`, as
//! with crossplane's `combine=True`), there are no `includes` indices and no comments, argument values are
//! what nginx sees (escapes processed: crossplane keeps `\n` as two characters), and every directive also has
//! a `column`.

use super::ast::{Config, Directive, Problem};
use crate::span::display_path;
use serde_json::{Map, Value, json};

fn directive_json(d: &Directive) -> Value {
    let mut m = Map::new();
    m.insert("directive".into(), Value::String(d.name.to_string()));
    m.insert("line".into(), json!(d.loc.line));
    m.insert("column".into(), json!(d.loc.column));
    m.insert(
        "args".into(),
        Value::Array(
            d.args
                .iter()
                .map(|a| Value::String(a.value.to_string()))
                .collect(),
        ),
    );
    m.insert("file".into(), Value::String(display_path(&d.loc.file)));
    if let Some(b) = &d.block {
        m.insert("block".into(), directives_json(b));
    }
    Value::Object(m)
}

/// The `parsed` array for a list of directives.
pub fn directives_json(ds: &[Directive]) -> Value {
    Value::Array(ds.iter().map(directive_json).collect())
}

fn error_json(p: &Problem, entry: &str) -> Value {
    let mut m = Map::new();
    m.insert(
        "file".into(),
        Value::String(
            p.loc
                .as_ref()
                .map(|l| display_path(&l.file))
                .unwrap_or_else(|| entry.to_string()),
        ),
    );
    m.insert(
        "line".into(),
        p.loc.as_ref().map(|l| json!(l.line)).unwrap_or(Value::Null),
    );
    m.insert("error".into(), Value::String(p.message.clone()));
    m.insert(
        "kind".into(),
        serde_json::to_value(p.kind).unwrap_or(Value::Null),
    );
    Value::Object(m)
}

/// The whole payload for a loaded configuration.
pub fn crossplane_payload(cfg: &Config) -> Value {
    let entry = cfg
        .files
        .first()
        .map(|f| display_path(&f.host_path))
        .unwrap_or_else(|| cfg.entry.clone());
    let errors: Vec<Value> = cfg.problems.iter().map(|p| error_json(p, &entry)).collect();
    let status = if errors.is_empty() { "ok" } else { "failed" };
    json!({
        "status": status,
        "errors": errors.clone(),
        "config": [{
            "file": entry,
            "status": status,
            "errors": errors,
            "parsed": directives_json(&cfg.directives),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::load::load;
    use crate::nginx::vfs::{Layer, Vfs};

    #[test]
    fn payload_shape() {
        let mut v = Vfs::new();
        v.add_inline(
            "/etc/nginx/nginx.conf",
            "/x/nginx.conf",
            "events {}\nhttp {\n  include missing.conf;\n  server { listen 80; }\n}\n",
            Layer::Image,
            None,
        );
        let cfg = load(&v, "/etc/nginx/nginx.conf");
        let p = crossplane_payload(&cfg);
        assert_eq!(p["status"], "failed");
        assert_eq!(p["errors"][0]["line"], 3);
        assert_eq!(p["errors"][0]["kind"], "include-missing");
        let parsed = &p["config"][0]["parsed"];
        assert_eq!(p["config"][0]["file"], "/x/nginx.conf");
        assert_eq!(parsed[0]["directive"], "events");
        assert_eq!(parsed[0]["block"], json!([]));
        assert_eq!(parsed[1]["block"][0]["directive"], "server");
        assert_eq!(parsed[1]["block"][0]["block"][0]["args"], json!(["80"]));
        assert_eq!(parsed[1]["block"][0]["block"][0]["line"], 4);
        assert!(parsed[1]["block"][0]["block"][0].get("block").is_none());
    }
}
