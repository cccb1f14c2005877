//! Merging compose trees (override files, `extends:`) with compose's rules:
//! - mappings merge by key, recursively; scalars are replaced; a null override keeps the base value;
//! - sequences are appended (duplicates are removed later, per field, by the typed conversion);
//! - `command`, `entrypoint`, `healthcheck.test` are replaced;
//! - `environment`, `labels`, `build.args`, ... are merged by key, whether written as lists or mappings;
//! - service `networks` and `depends_on` are merged by name (list and mapping forms alike);
//! - `build` as a string is the same as `build: {context: ...}`;
//! - `x-*` keys are replaced, not merged;
//! - `!reset` removes the base value, `!override` replaces it without merging.

use super::yaml::{Node, Value};

fn matches(path: &[String], pattern: &[&str]) -> bool {
    path.len() == pattern.len() && path.iter().zip(pattern).all(|(p, q)| *q == "*" || p == q)
}

const REPLACED: &[&[&str]] = &[
    &["services", "*", "command"],
    &["services", "*", "entrypoint"],
    &["services", "*", "healthcheck", "test"],
];

const KEY_VALUE: &[&[&str]] = &[
    &["services", "*", "environment"],
    &["services", "*", "labels"],
    &["services", "*", "annotations"],
    &["services", "*", "sysctls"],
    &["services", "*", "build", "args"],
    &["services", "*", "build", "labels"],
    &["services", "*", "deploy", "labels"],
    &["networks", "*", "labels"],
    &["volumes", "*", "labels"],
];

const BY_NAME: &[&[&str]] = &[
    &["services", "*", "networks"],
    &["services", "*", "depends_on"],
];

/// Converts a list of `KEY=VALUE` (or `KEY`) strings to a mapping; mappings are returned unchanged.
pub fn key_value_to_map(node: Node) -> Node {
    let Value::Seq(items) = node.value else {
        return node;
    };
    let mut entries: Vec<(Node, Node)> = Vec::new();
    for item in items {
        let loc = item.loc.clone();
        let (k, v) = match item.as_str() {
            Some(s) => match s.split_once('=') {
                Some((k, v)) => (k.to_string(), Node::scalar(v, loc.clone())),
                None => (s.to_string(), Node::null(loc.clone())),
            },
            None => continue,
        };
        let key = Node::scalar(k, loc);
        match entries
            .iter_mut()
            .find(|(ek, _)| ek.as_str() == key.as_str())
        {
            Some(e) => *e = (key, v),
            None => entries.push((key, v)),
        }
    }
    Node {
        value: Value::Map(entries),
        loc: node.loc,
        tag: node.tag,
    }
}

/// Converts a list of names to a mapping of name → null; mappings are returned unchanged.
pub fn names_to_map(node: Node) -> Node {
    let Value::Seq(items) = node.value else {
        return node;
    };
    let mut entries: Vec<(Node, Node)> = Vec::new();
    for item in items {
        if item.as_str().is_none() {
            continue;
        }
        let v = Node::null(item.loc.clone());
        if !entries.iter().any(|(k, _)| k.as_str() == item.as_str()) {
            entries.push((item, v));
        }
    }
    Node {
        value: Value::Map(entries),
        loc: node.loc,
        tag: node.tag,
    }
}

/// Fields that may be a string or a list: a string is a one-element list.
const STRING_OR_LIST: &[&[&str]] = &[
    &["services", "*", "dns"],
    &["services", "*", "dns_search"],
    &["services", "*", "env_file"],
    &["services", "*", "tmpfs"],
];

fn scalar_to_seq(node: Node) -> Node {
    match node.value {
        Value::Scalar(..) => {
            let loc = node.loc.clone();
            Node {
                value: Value::Seq(vec![node]),
                loc,
                tag: None,
            }
        }
        _ => node,
    }
}

fn build_to_map(node: Node) -> Node {
    match node.value {
        Value::Scalar(..) => {
            let loc = node.loc.clone();
            let key = Node::scalar("context", loc.clone());
            Node {
                value: Value::Map(vec![(key, node)]),
                loc,
                tag: None,
            }
        }
        _ => node,
    }
}

/// Normalises the forms that merge by key so both sides of a merge look the same.
fn normalize(node: Node, path: &[String]) -> Node {
    if KEY_VALUE.iter().any(|p| matches(path, p)) {
        key_value_to_map(node)
    } else if BY_NAME.iter().any(|p| matches(path, p)) {
        names_to_map(node)
    } else if matches(path, &["services", "*", "build"]) {
        build_to_map(node)
    } else if STRING_OR_LIST.iter().any(|p| matches(path, p)) {
        scalar_to_seq(node)
    } else {
        node
    }
}

/// Merges `over` on top of `base`; `path` is the position of both in the document (`["services", "web"]`).
pub fn merge(base: Node, over: Node, path: &mut Vec<String>) -> Node {
    if over.has_tag("!override") || REPLACED.iter().any(|p| matches(path, p)) {
        return over;
    }
    if over.is_null() && over.tag.is_none() {
        return base;
    }
    let base = normalize(base, path);
    let over = normalize(over, path);
    match (base.value, over.value) {
        (Value::Map(mut entries), Value::Map(over_entries)) => {
            for (k, v) in over_entries {
                let name = k.as_str().unwrap_or("").to_string();
                let pos = entries
                    .iter()
                    .position(|(ek, _)| ek.as_str() == Some(&name));
                if v.has_tag("!reset") {
                    if let Some(i) = pos {
                        entries.remove(i);
                    }
                    continue;
                }
                match pos {
                    Some(i) if !name.starts_with("x-") => {
                        let (_, old) = entries.remove(i);
                        path.push(name);
                        let merged = merge(old, v, path);
                        path.pop();
                        entries.insert(i, (k, merged));
                    }
                    Some(i) => entries[i] = (k, v),
                    None => entries.push((k, v)),
                }
            }
            Node {
                value: Value::Map(entries),
                loc: over.loc,
                tag: None,
            }
        }
        (Value::Seq(mut items), Value::Seq(more)) => {
            items.extend(more);
            Node {
                value: Value::Seq(items),
                loc: base.loc,
                tag: None,
            }
        }
        (_, value) => Node {
            value,
            loc: over.loc,
            tag: over.tag,
        },
    }
}

/// Removes the entries whose value is tagged `!reset` (a reset with nothing below it to reset) and drops
/// `!override` tags, after all merges are done.
pub fn strip_tags(node: &mut Node) {
    if node.has_tag("!override") {
        node.tag = None;
    }
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|(_, v)| !v.has_tag("!reset"));
            for (_, v) in entries {
                strip_tags(v);
            }
        }
        Value::Seq(items) => {
            items.retain(|v| !v.has_tag("!reset"));
            for v in items {
                strip_tags(v);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse_documents;
    use std::path::Path;

    fn doc(s: &str, file: &str) -> Node {
        parse_documents(s, Path::new(file)).unwrap().remove(0)
    }

    fn m(a: &str, b: &str) -> Node {
        let mut n = merge(doc(a, "a.yml"), doc(b, "b.yml"), &mut Vec::new());
        strip_tags(&mut n);
        n
    }

    fn svc<'a>(n: &'a Node, s: &str) -> &'a Node {
        n.get("services").unwrap().get(s).unwrap()
    }

    #[test]
    fn scalars_replaced_maps_merged() {
        let n = m(
            "services:\n  web:\n    image: a\n    restart: always\n",
            "services:\n  web:\n    image: b\n",
        );
        let web = svc(&n, "web");
        assert_eq!(web.get("image").unwrap().as_str(), Some("b"));
        assert_eq!(web.get("image").unwrap().loc.file.to_str(), Some("b.yml"));
        assert_eq!(web.get("restart").unwrap().as_str(), Some("always"));
        let (k, _) = n.get("services").unwrap().entry("web").unwrap();
        assert_eq!(k.loc.file.to_str(), Some("b.yml"));
    }

    #[test]
    fn sequences_appended_command_replaced() {
        let n = m(
            "services:\n  web:\n    ports: ['80:80']\n    command: [a, b]\n    healthcheck: {test: [CMD, x]}\n",
            "services:\n  web:\n    ports: ['81:81']\n    command: [c]\n    healthcheck: {test: [CMD, y]}\n",
        );
        let web = svc(&n, "web");
        assert_eq!(web.get("ports").unwrap().as_seq().unwrap().len(), 2);
        assert_eq!(web.get("command").unwrap().as_seq().unwrap().len(), 1);
        let t = web.get("healthcheck").unwrap().get("test").unwrap();
        assert_eq!(t.as_seq().unwrap()[1].as_str(), Some("y"));
    }

    #[test]
    fn environment_list_and_map_merge_by_key() {
        let n = m(
            "services:\n  web:\n    environment: [A=1, B=2, C]\n",
            "services:\n  web:\n    environment:\n      B: 3\n      D: 4\n",
        );
        let env = svc(&n, "web").get("environment").unwrap();
        assert_eq!(env.get("A").unwrap().as_str(), Some("1"));
        assert_eq!(env.get("B").unwrap().as_str(), Some("3"));
        assert!(env.get("C").unwrap().is_null());
        assert_eq!(env.get("D").unwrap().as_str(), Some("4"));
    }

    #[test]
    fn networks_and_depends_on_by_name() {
        let n = m(
            "services:\n  web:\n    networks: [front]\n    depends_on: [db]\n",
            "services:\n  web:\n    networks:\n      front: {aliases: [w]}\n      back:\n    depends_on:\n      db: {condition: service_healthy}\n",
        );
        let web = svc(&n, "web");
        let nets = web.get("networks").unwrap();
        assert_eq!(nets.as_map().unwrap().len(), 2);
        assert!(nets.get("front").unwrap().get("aliases").is_some());
        let dep = web.get("depends_on").unwrap().get("db").unwrap();
        assert_eq!(
            dep.get("condition").unwrap().as_str(),
            Some("service_healthy")
        );
    }

    #[test]
    fn build_string_merges_with_map() {
        let n = m(
            "services:\n  web:\n    build: ./app\n",
            "services:\n  web:\n    build:\n      target: prod\n",
        );
        let b = svc(&n, "web").get("build").unwrap();
        assert_eq!(b.get("context").unwrap().as_str(), Some("./app"));
        assert_eq!(b.get("target").unwrap().as_str(), Some("prod"));
    }

    #[test]
    fn reset_and_override() {
        let n = m(
            "services:\n  web:\n    ports: ['80:80']\n    environment: {A: 1, B: 2}\n    command: x\n",
            "services:\n  web:\n    ports: !reset []\n    environment: !override {C: 3}\n    command: !reset null\n",
        );
        let web = svc(&n, "web");
        assert!(web.get("ports").is_none());
        assert!(web.get("command").is_none());
        let env = web.get("environment").unwrap();
        assert!(env.get("A").is_none());
        assert_eq!(env.get("C").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn null_override_keeps_base_and_extensions_replace() {
        let n = m(
            "services:\n  web:\n    image: a\nx-a: {k: 1}\n",
            "services:\n  web:\n    image:\nx-a: {j: 2}\n",
        );
        assert_eq!(svc(&n, "web").get("image").unwrap().as_str(), Some("a"));
        assert!(n.get("x-a").unwrap().get("k").is_none());
    }

    #[test]
    fn string_or_list_fields_are_appended() {
        let n = m(
            "services:\n  web:\n    dns: 1.1.1.1\n    env_file: a.env\n",
            "services:\n  web:\n    dns: [8.8.8.8]\n    env_file: b.env\n",
        );
        let web = svc(&n, "web");
        assert_eq!(web.get("dns").unwrap().as_seq().unwrap().len(), 2);
        assert_eq!(web.get("env_file").unwrap().as_seq().unwrap().len(), 2);
    }

    #[test]
    fn reset_in_a_single_file_is_removed() {
        let mut n = doc("a: !reset\nb: 1\n", "a.yml");
        strip_tags(&mut n);
        assert!(n.get("a").is_none());
    }
}
