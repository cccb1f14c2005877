//! A positioned YAML tree built from `saphyr-parser` events.
//!
//! Compose reads YAML through go-yaml (YAML 1.2 core schema): `yes`/`no`/`on`/`off` are plain strings, only
//! `~`, `null` (any case form of the core schema) and the empty scalar are null. We keep every scalar as text
//! (with its style, so that type-sensitive consumers can tell `80` from `"80"`), every node with the location
//! it was written at, and resolve anchors, aliases and `<<` merge keys while building the tree.
//!
//! Limits, so that hostile input errors instead of exhausting the machine: nesting depth
//! ([`MAX_DEPTH`]), nodes produced by alias expansion ([`MAX_ALIAS_NODES`]) and file size
//! ([`MAX_FILE_SIZE`], checked by [`read_source`]).

use crate::error::Error;
use crate::span::Location;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Deepest nesting of collections accepted in one document.
pub const MAX_DEPTH: usize = 1_000;
/// Most nodes that alias expansion may create in one file ("billion laughs" guard).
pub const MAX_ALIAS_NODES: usize = 250_000;
/// Largest compose or env file read.
pub const MAX_FILE_SIZE: u64 = 32 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// The scalar's text and whether it was written plain (unquoted, not a block scalar).
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub loc: Location,
    /// A local tag such as `!reset` or `!override` (written with its `!`), or a core tag like `!!str`.
    pub tag: Option<String>,
}

impl Node {
    pub fn new(value: Value, loc: Location) -> Self {
        Node {
            value,
            loc,
            tag: None,
        }
    }

    pub fn scalar(s: impl Into<String>, loc: Location) -> Self {
        Node::new(Value::Scalar(s.into(), false), loc)
    }

    pub fn null(loc: Location) -> Self {
        Node::new(Value::Null, loc)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Vec<(Node, Node)>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Vec<(Node, Node)>> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&Vec<Node>> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut()?
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The key node and value of `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    pub fn remove(&mut self, key: &str) -> Option<(Node, Node)> {
        let m = self.as_map_mut()?;
        let i = m.iter().position(|(k, _)| k.as_str() == Some(key))?;
        Some(m.remove(i))
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tag.as_deref() == Some(tag)
    }

    /// A short name of the node's type for error messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(s, plain) => {
                if *plain && is_int(s) {
                    "an integer"
                } else if *plain && matches!(s.as_str(), "true" | "false" | "True" | "False") {
                    "a boolean"
                } else {
                    "a string"
                }
            }
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Structural equality that ignores locations (tags and values only).
    pub fn same_content(&self, other: &Node) -> bool {
        match (&self.value, &other.value) {
            (Value::Null, Value::Null) => true,
            (Value::Scalar(a, _), Value::Scalar(b, _)) => a == b,
            (Value::Seq(a), Value::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_content(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        b.iter()
                            .any(|(k2, v2)| k.as_str() == k2.as_str() && v.same_content(v2))
                    })
            }
            _ => false,
        }
    }

    /// Number of nodes in this subtree (used for the alias expansion budget).
    fn size(&self) -> usize {
        match &self.value {
            Value::Null | Value::Scalar(..) => 1,
            Value::Seq(s) => 1 + s.iter().map(Node::size).sum::<usize>(),
            Value::Map(m) => 1 + m.iter().map(|(k, v)| k.size() + v.size()).sum::<usize>(),
        }
    }

    /// The JSON value of this node, with YAML 1.2 core typing of plain scalars.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Scalar(s, plain) => {
                if *plain {
                    match s.as_str() {
                        "true" | "True" | "TRUE" => return J::Bool(true),
                        "false" | "False" | "FALSE" => return J::Bool(false),
                        _ => {}
                    }
                    if is_int(s)
                        && let Ok(i) = s.parse::<i64>()
                    {
                        return J::from(i);
                    }
                    if let Ok(f) = s.parse::<f64>()
                        && f.is_finite()
                        && s.chars().any(|c| c.is_ascii_digit())
                        && let Some(n) = serde_json::Number::from_f64(f)
                    {
                        return J::Number(n);
                    }
                }
                J::String(s.clone())
            }
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, v) in entries {
                    m.insert(k.as_str().unwrap_or("").to_string(), v.to_json());
                }
                J::Object(m)
            }
        }
    }
}

fn is_int(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a file for parsing: size limit, UTF-8 check (with the position of the first bad byte), BOM removed.
pub fn read_source(path: &Path) -> Result<String, Error> {
    let file: Arc<Path> = Arc::from(path);
    let bytes = match crate::fsread::read_limited(path, MAX_FILE_SIZE) {
        Ok(b) => b,
        Err(crate::fsread::ReadError::TooLarge(n)) => {
            return Err(Error::at(
                format!(
                    "file is too large ({n} bytes or more; the limit is {MAX_FILE_SIZE} bytes)"
                ),
                Location::new(file, 1, 1),
            ));
        }
        Err(crate::fsread::ReadError::NotAFile("directory")) => {
            return Err(Error::new(format!("{} is a directory", path.display())));
        }
        Err(e) => {
            return Err(Error::new(format!("cannot read {}: {e}", path.display())));
        }
    };
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..'\u{feff}'.len_utf8());
            }
            Ok(s)
        }
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            // `good` is valid UTF-8 by construction.
            let text = std::str::from_utf8(good).unwrap_or("");
            let line = text.matches('\n').count() as u32 + 1;
            let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            Err(Error::at(
                "file is not valid UTF-8 text (is it a binary file?)",
                Location::new(file, line, column),
            ))
        }
    }
}

fn loc_of(file: &Arc<Path>, span: &Span) -> Location {
    Location {
        file: file.clone(),
        line: span.start.line().max(1) as u32,
        column: span.start.col() as u32 + 1,
    }
}

fn scan_error(file: &Arc<Path>, e: &ScanError) -> Error {
    Error::at(
        format!("invalid YAML: {}", e.info()),
        Location {
            file: file.clone(),
            line: e.marker().line().max(1) as u32,
            column: e.marker().col() as u32 + 1,
        },
    )
}

enum Frame {
    Seq {
        node: Node,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        node: Node,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        /// `<<` keys' locations and values, in order (earlier ones win among themselves).
        merges: Vec<(Location, Node)>,
        seen: HashMap<String, Location>,
    },
}

struct Builder {
    file: Arc<Path>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    root: Option<Node>,
}

fn tag_string(tag: Option<&saphyr_parser::Tag>) -> Option<String> {
    let t = tag?;
    if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" {
        Some(format!("!!{}", t.suffix))
    } else {
        Some(format!("{}{}", t.handle, t.suffix))
    }
}

impl Builder {
    fn finish_node(&mut self, node: Node, anchor: usize) -> Result<(), Error> {
        if anchor != 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.push_value(node)
    }

    fn push_value(&mut self, node: Node) -> Result<(), Error> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                pending_key,
                merges,
                seen,
                ..
            }) => match pending_key.take() {
                None => {
                    match &node.value {
                        Value::Scalar(..) => {}
                        Value::Null => {
                            return Err(Error::at("a mapping key must not be null", node.loc));
                        }
                        _ => {
                            return Err(Error::at(
                                format!("a mapping key must be a string, not {}", node.kind()),
                                node.loc,
                            ));
                        }
                    }
                    *pending_key = Some(node);
                    Ok(())
                }
                Some(key) => {
                    let (name, plain) = match &key.value {
                        Value::Scalar(s, p) => (s.clone(), *p),
                        _ => unreachable!("keys are checked when pushed"),
                    };
                    if name == "<<" && plain && key.tag.is_none() {
                        merges.push((key.loc, node));
                        return Ok(());
                    }
                    if let Some(first) = seen.get(&name) {
                        return Err(Error::at(
                            format!(
                                "duplicate key \"{name}\" (already defined at line {})",
                                first.line
                            ),
                            key.loc,
                        ));
                    }
                    seen.insert(name, key.loc.clone());
                    entries.push((key, node));
                    Ok(())
                }
            },
        }
    }

    fn check_depth(&self, loc: &Location) -> Result<(), Error> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Error::at(
                format!("YAML nesting is deeper than {MAX_DEPTH} levels"),
                loc.clone(),
            ));
        }
        Ok(())
    }
}

/// Applies `<<` merge values to a mapping's explicit entries: explicit keys win, then earlier merge sources.
fn apply_merges(
    entries: &mut Vec<(Node, Node)>,
    merges: Vec<(Location, Node)>,
) -> Result<(), Error> {
    for (key_loc, m) in merges {
        let sources: Vec<Node> = match m.value {
            Value::Map(_) => vec![m],
            Value::Seq(items) => items,
            Value::Null => vec![],
            _ => {
                return Err(Error::at(
                    "a merge key `<<` needs a mapping or a list of mappings",
                    key_loc,
                ));
            }
        };
        for src in sources {
            let Value::Map(src_entries) = src.value else {
                return Err(Error::at(
                    "a merge key `<<` needs a mapping or a list of mappings",
                    key_loc,
                ));
            };
            for (k, v) in src_entries {
                if !entries.iter().any(|(ek, _)| ek.as_str() == k.as_str()) {
                    entries.push((k, v));
                }
            }
        }
    }
    Ok(())
}

/// Parses every document of a YAML stream. Empty documents (no content, or a lone null) are skipped.
pub fn parse_documents(src: &str, file: &Path) -> Result<Vec<Node>, Error> {
    let file: Arc<Path> = Arc::from(file);
    // saphyr-parser is not expected to panic, but a panic on hostile input must not take the tool down.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse_inner(src, &file)));
    match result {
        Ok(r) => r,
        Err(_) => Err(Error::at(
            "invalid YAML: the parser failed on this file",
            Location::new(file, 1, 1),
        )),
    }
}

fn parse_inner(src: &str, file: &Arc<Path>) -> Result<Vec<Node>, Error> {
    let mut parser = Parser::new_from_str(src);
    let mut docs = Vec::new();
    let mut b = Builder {
        file: file.clone(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
    };
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| scan_error(file, &e))?;
        let loc = loc_of(&b.file, &span);
        match ev {
            Event::StreamStart | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                b.root = None;
                b.anchors.clear();
            }
            Event::DocumentEnd => {
                if let Some(root) = b.root.take()
                    && (!root.is_null() || root.tag.is_some())
                {
                    docs.push(root);
                }
            }
            Event::Alias(id) => {
                let Some((node, size)) = b.anchors.get(&id) else {
                    return Err(Error::at("alias to an unknown anchor", loc));
                };
                b.alias_nodes += *size;
                if b.alias_nodes > MAX_ALIAS_NODES {
                    return Err(Error::at(
                        format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes (\"billion laughs\"?)"
                        ),
                        loc,
                    ));
                }
                let node = node.clone();
                b.push_value(node)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag_string(tag.as_deref());
                let plain = style == ScalarStyle::Plain;
                let is_null = match tag.as_deref() {
                    Some("!!null") => true,
                    Some("!!str") => false,
                    _ => plain && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL"),
                };
                let value = if is_null {
                    Value::Null
                } else {
                    Value::Scalar(text.into_owned(), plain && tag.is_none())
                };
                let node = Node { value, loc, tag };
                b.finish_node(node, anchor)?;
            }
            Event::SequenceStart(anchor, tag) => {
                b.check_depth(&loc)?;
                let node = Node {
                    value: Value::Null,
                    loc,
                    tag: tag_string(tag.as_deref()),
                };
                b.stack.push(Frame::Seq {
                    node,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                b.check_depth(&loc)?;
                let node = Node {
                    value: Value::Null,
                    loc,
                    tag: tag_string(tag.as_deref()),
                };
                b.stack.push(Frame::Map {
                    node,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                    merges: Vec::new(),
                    seen: HashMap::new(),
                });
            }
            Event::SequenceEnd => match b.stack.pop() {
                Some(Frame::Seq {
                    mut node,
                    anchor,
                    items,
                }) => {
                    node.value = Value::Seq(items);
                    b.finish_node(node, anchor)?;
                }
                _ => return Err(Error::at("invalid YAML: unbalanced sequence", loc)),
            },
            Event::MappingEnd => match b.stack.pop() {
                Some(Frame::Map {
                    mut node,
                    anchor,
                    mut entries,
                    merges,
                    ..
                }) => {
                    apply_merges(&mut entries, merges)?;
                    node.value = Value::Map(entries);
                    b.finish_node(node, anchor)?;
                }
                _ => return Err(Error::at("invalid YAML: unbalanced mapping", loc)),
            },
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<Node>, Error> {
        parse_documents(s, Path::new("t.yaml"))
    }

    fn one(s: &str) -> Node {
        let mut d = parse(s).unwrap();
        assert_eq!(d.len(), 1);
        d.remove(0)
    }

    #[test]
    fn scalars_and_locations() {
        let n = one("a: 1\nb:\n  - x\n  - 'y'\n");
        let a = n.get("a").unwrap();
        assert_eq!(a.as_str(), Some("1"));
        assert_eq!((a.loc.line, a.loc.column), (1, 4));
        let b = n.get("b").unwrap().as_seq().unwrap();
        assert_eq!(b[1].as_str(), Some("y"));
        assert_eq!((b[1].loc.line, b[1].loc.column), (4, 5));
        let (k, _) = n.entry("b").unwrap();
        assert_eq!((k.loc.line, k.loc.column), (2, 1));
    }

    #[test]
    fn yaml_1_2_booleans_are_text_and_nulls_are_null() {
        let n = one("a: yes\nb: on\nc: ~\nd:\ne: null\nf: 'null'\n");
        assert_eq!(n.get("a").unwrap().as_str(), Some("yes"));
        assert_eq!(n.get("b").unwrap().as_str(), Some("on"));
        assert!(n.get("c").unwrap().is_null());
        assert!(n.get("d").unwrap().is_null());
        assert!(n.get("e").unwrap().is_null());
        assert_eq!(n.get("f").unwrap().as_str(), Some("null"));
    }

    #[test]
    fn duplicate_key_is_an_error_at_the_second_key() {
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        let l = e.location.unwrap();
        assert_eq!((l.line, l.column), (3, 1));
        assert!(e.message.contains("duplicate key \"a\""), "{}", e.message);
        assert!(e.message.contains("line 1"), "{}", e.message);
    }

    #[test]
    fn anchors_aliases_keep_anchor_locations() {
        let n = one("x: &a {k: v}\ny: *a\n");
        let y = n.get("y").unwrap();
        assert_eq!(y.get("k").unwrap().as_str(), Some("v"));
        assert_eq!(y.loc.line, 1);
    }

    #[test]
    fn merge_keys_single_and_list_explicit_wins() {
        let n = one(
            "base: &b {a: 1, b: 2}\nother: &o {b: 3, c: 4}\nx:\n  <<: *b\n  a: 9\ny:\n  <<: [*o, *b]\n",
        );
        let x = n.get("x").unwrap();
        assert_eq!(x.get("a").unwrap().as_str(), Some("9"));
        assert_eq!(x.get("b").unwrap().as_str(), Some("2"));
        let y = n.get("y").unwrap();
        assert_eq!(y.get("b").unwrap().as_str(), Some("3"));
        assert_eq!(y.get("a").unwrap().as_str(), Some("1"));
        assert_eq!(y.get("c").unwrap().as_str(), Some("4"));
        assert!(y.get("<<").is_none());
    }

    #[test]
    fn merge_key_with_scalar_is_an_error() {
        assert!(parse("x:\n  <<: 5\n").is_err());
    }

    #[test]
    fn billion_laughs_is_an_error() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = parse(&s).unwrap_err();
        assert!(e.message.contains("aliases expand"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "[".repeat(5000) + &"]".repeat(5000);
        assert!(parse(&s).is_err());
        let mut s = String::new();
        for i in 0..2000 {
            s.push_str(&" ".repeat(i));
            s.push_str("a:\n");
        }
        let e = parse(&s).unwrap_err();
        assert!(e.message.contains("nesting"), "{}", e.message);
        assert_eq!(e.location.unwrap().line, MAX_DEPTH as u32 + 1);
    }

    #[test]
    fn multi_document_and_empty_documents() {
        let d = parse("a: 1\n---\nb: 2\n---\n").unwrap();
        assert_eq!(d.len(), 2);
        assert!(parse("").unwrap().is_empty());
        assert!(parse("# only a comment\n").unwrap().is_empty());
    }

    #[test]
    fn tags_are_kept() {
        let n = one("a: !reset\nb: !override [1]\nc: !!str 5\n");
        assert!(n.get("a").unwrap().has_tag("!reset"));
        assert!(n.get("a").unwrap().is_null());
        assert!(n.get("b").unwrap().has_tag("!override"));
        assert_eq!(n.get("c").unwrap().as_str(), Some("5"));
    }

    #[test]
    fn scan_errors_have_positions() {
        let e = parse("services:\n\tweb: x\n").unwrap_err();
        assert_eq!(e.location.as_ref().unwrap().line, 2);
        let e = parse("a: \"foo\nb: [1\n").unwrap_err();
        assert!(e.location.is_some());
    }

    #[test]
    fn crlf_lines() {
        let n = one("a: 1\r\nb:\r\n  - x\r\n");
        assert_eq!(n.get("b").unwrap().as_seq().unwrap()[0].loc.line, 3);
    }

    #[test]
    fn non_scalar_key_is_an_error() {
        assert!(parse("? [a]\n: 1\n").is_err());
    }

    #[test]
    fn to_json_types() {
        let n = one("a: 1\nb: true\nc: '1'\nd: [x, ~]\ne: 1.5\n");
        let j = n.to_json();
        assert_eq!(j["a"], serde_json::json!(1));
        assert_eq!(j["b"], serde_json::json!(true));
        assert_eq!(j["c"], serde_json::json!("1"));
        assert_eq!(j["d"], serde_json::json!(["x", null]));
        assert_eq!(j["e"], serde_json::json!(1.5));
    }
}
