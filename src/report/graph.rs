//! The routes as a graph (`--format graph`, Mermaid; `--graph-format dot` or `--format graph-dot`, DOT):
//! each nginx service, its routes (the target as written, with the config line), the compose service each
//! route reaches, and the networks those services join. A route's edge to its service carries the verdict:
//! red for an error, orange for a warning, grey and dashed for unknown.

use super::{target_text, verdict_text};
use crate::checks::{Analysis, Status};
use crate::model::Facts;
use crate::span::display_path;
use std::collections::BTreeSet;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Mermaid,
    Dot,
}

enum Shape {
    Proxy,
    Route,
    Service,
    Missing,
    Network,
}

struct Node {
    id: String,
    label: String,
    shape: Shape,
}

struct Edge {
    from: String,
    to: String,
    label: String,
    status: Option<Status>,
    membership: bool,
}

struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

/// Node ids: a prefix and the name made safe for both syntaxes, so the same service is one node.
fn slug(prefix: &str, name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{s}")
}

fn build(facts: &Facts, analysis: &Analysis) -> Graph {
    let mut g = Graph {
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    let mut seen = BTreeSet::new();
    let mut services = BTreeSet::new();
    let mut add = |g: &mut Graph, id: String, label: String, shape: Shape| {
        if seen.insert(id.clone()) {
            g.nodes.push(Node { id, label, shape });
        }
    };
    for p in &facts.proxies {
        add(
            &mut g,
            slug("proxy", &p.service),
            format!("{} (nginx)", p.service),
            Shape::Proxy,
        );
        services.insert(p.service.clone());
    }
    for (i, r) in analysis.routes.iter().enumerate() {
        let rid = format!("route_{i}");
        add(
            &mut g,
            rid.clone(),
            format!(
                "{}\n{}:{}",
                target_text(r),
                display_path(&r.target.loc.file),
                r.target.loc.line
            ),
            Shape::Route,
        );
        let directive = match &r.target.upstream {
            Some(u) => format!("{} (upstream {})", r.target.directive, u.name),
            None => r.target.directive.clone(),
        };
        g.edges.push(Edge {
            from: slug("proxy", &r.proxy),
            to: rid.clone(),
            label: directive,
            status: None,
            membership: false,
        });
        let to = match &r.service {
            Some(s) => {
                services.insert(s.clone());
                let id = slug("service", s);
                // a proxy that is also an upstream stays one node
                if facts.proxies.iter().any(|p| &p.service == s) {
                    slug("proxy", s)
                } else {
                    add(&mut g, id.clone(), s.clone(), Shape::Service);
                    id
                }
            }
            None => {
                let id = format!("missing_{i}");
                add(
                    &mut g,
                    id.clone(),
                    format!("{} (no service)", json_host(r)),
                    Shape::Missing,
                );
                id
            }
        };
        g.edges.push(Edge {
            from: rid,
            to,
            label: verdict_text(r),
            status: Some(r.status),
            membership: false,
        });
    }
    for name in &services {
        let Some(s) = facts.project.services.get(name) else {
            continue;
        };
        let from = if facts.proxies.iter().any(|p| &p.service == name) {
            slug("proxy", name)
        } else {
            slug("service", name)
        };
        if let Some(mode) = &s.network_mode {
            let id = slug("netmode", &mode.value);
            add(
                &mut g,
                id.clone(),
                format!("network_mode: {}", mode.value),
                Shape::Network,
            );
            g.edges.push(Edge {
                from,
                to: id,
                label: String::new(),
                status: None,
                membership: true,
            });
            continue;
        }
        for n in &s.networks {
            let id = slug("network", &n.name);
            add(
                &mut g,
                id.clone(),
                format!("network {}", n.name),
                Shape::Network,
            );
            g.edges.push(Edge {
                from: from.clone(),
                to: id,
                label: String::new(),
                status: None,
                membership: true,
            });
        }
    }
    g
}

fn json_host(r: &crate::checks::Route) -> String {
    super::json::host_text(&r.target.host)
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;").replace('\n', "<br/>")
}

fn mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for n in &g.nodes {
        let l = mermaid_text(&n.label);
        let _ = match n.shape {
            Shape::Proxy => writeln!(out, "    {}[[\"{l}\"]]", n.id),
            Shape::Route => writeln!(out, "    {}[\"{l}\"]", n.id),
            Shape::Service => writeln!(out, "    {}(\"{l}\")", n.id),
            Shape::Missing => writeln!(out, "    {}{{\"{l}\"}}", n.id),
            Shape::Network => writeln!(out, "    {}[(\"{l}\")]", n.id),
        };
    }
    let mut styles = Vec::new();
    for (i, e) in g.edges.iter().enumerate() {
        let arrow = if e.membership {
            "-.-".to_string()
        } else if e.label.is_empty() {
            "-->".to_string()
        } else {
            format!("-->|\"{}\"|", mermaid_text(&e.label))
        };
        let _ = writeln!(out, "    {} {arrow} {}", e.from, e.to);
        let style = match e.status {
            Some(Status::Error) => Some("stroke:#d32f2f,stroke-width:3px,color:#d32f2f"),
            Some(Status::Warning) => Some("stroke:#f57c00,stroke-width:2px,color:#f57c00"),
            Some(Status::Unknown) => Some("stroke:#9e9e9e,stroke-dasharray:4 3"),
            Some(Status::Ok) => Some("stroke:#388e3c,stroke-width:2px"),
            None => None,
        };
        if let Some(s) = style {
            styles.push(format!("    linkStyle {i} {s}"));
        }
    }
    for s in styles {
        out.push_str(&s);
        out.push('\n');
    }
    out
}

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn dot(g: &Graph) -> String {
    let mut out = String::from(
        "digraph compose_doctor {\n    rankdir=LR;\n    node [fontname=\"Helvetica\", fontsize=11];\n    edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    for n in &g.nodes {
        let attrs = match n.shape {
            Shape::Proxy => "shape=box, style=\"bold,rounded\"",
            Shape::Route => "shape=note",
            Shape::Service => "shape=box, style=rounded",
            Shape::Missing => "shape=diamond, color=\"#d32f2f\"",
            Shape::Network => "shape=ellipse, style=dashed",
        };
        let _ = writeln!(
            out,
            "    {} [label=\"{}\", {attrs}];",
            n.id,
            dot_text(&n.label)
        );
    }
    for e in &g.edges {
        let mut attrs = Vec::new();
        if !e.label.is_empty() {
            attrs.push(format!("label=\"{}\"", dot_text(&e.label)));
        }
        if e.membership {
            attrs.push("style=dotted, arrowhead=none".to_string());
        }
        match e.status {
            Some(Status::Error) => {
                attrs.push("color=\"#d32f2f\", fontcolor=\"#d32f2f\", penwidth=2".into())
            }
            Some(Status::Warning) => attrs.push("color=\"#f57c00\", fontcolor=\"#f57c00\"".into()),
            Some(Status::Unknown) => attrs.push("color=\"#9e9e9e\", style=dashed".into()),
            Some(Status::Ok) => attrs.push("color=\"#388e3c\"".into()),
            None => {}
        }
        let _ = writeln!(out, "    {} -> {} [{}];", e.from, e.to, attrs.join(", "));
    }
    out.push_str("}\n");
    out
}

pub fn render(facts: &Facts, analysis: &Analysis, flavor: Flavor) -> String {
    let g = build(facts, analysis);
    match flavor {
        Flavor::Mermaid => mermaid(&g),
        Flavor::Dot => dot(&g),
    }
}
