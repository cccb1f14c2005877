//! The human report: a table of routes, then each finding as an annotated snippet (like rustc), then a summary.

use super::json::host_text;
use crate::checks::{Analysis, Finding, Severity, Status};
use crate::model::{Facts, ProxyConfig};
use crate::span::{Location, display_path};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub color: bool,
    pub verbose: bool,
    /// Print only the findings and the summary.
    pub quiet: bool,
}

/// Source files read once for snippets.
#[derive(Default)]
struct Sources {
    files: HashMap<PathBuf, Option<String>>,
}

impl Sources {
    fn get(&mut self, p: &Path) -> Option<&str> {
        self.files
            .entry(p.to_path_buf())
            .or_insert_with(|| {
                let meta = std::fs::metadata(p).ok()?;
                if meta.len() > 64 * 1024 * 1024 {
                    return None;
                }
                std::fs::read(p)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            })
            .as_deref()
    }
}

/// The line of `loc`, with the byte range from its column to the end of the statement on that line.
fn line_span(text: &str, loc: &Location) -> Option<(String, std::ops::Range<usize>)> {
    let line = text.lines().nth(loc.line.checked_sub(1)? as usize)?;
    let line = line.trim_end_matches('\r').to_string();
    // binary garbage makes no useful snippet
    if line.chars().any(|c| c.is_control() && c != '\t') || line.contains('\u{FFFD}') {
        return None;
    }
    let start = line
        .char_indices()
        .nth(loc.column.saturating_sub(1) as usize)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let rest = &line[start..];
    // to the end of the directive on this line (`;` or `{`), else the end of the line
    let end = rest
        .find([';', '{'])
        .map(|i| start + i + 1)
        .unwrap_or_else(|| start + rest.trim_end().len())
        .max(start + 1)
        .min(line.len());
    Some((line, start..end))
}

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

fn render_finding(f: &Finding, sources: &mut Sources, renderer: &Renderer) -> String {
    let title = format!("{} [{}]", f.message, f.rule.name);
    let mut snippets: Vec<(Location, String, std::ops::Range<usize>, Option<String>)> = Vec::new();
    if let Some(l) = &f.location
        && let Some((line, span)) = sources.get(&l.file).and_then(|t| line_span(t, l))
    {
        snippets.push((l.clone(), line, span, None));
    }
    for r in &f.related {
        if let Some((line, span)) = sources
            .get(&r.location.file)
            .and_then(|t| line_span(t, &r.location))
        {
            snippets.push((r.location.clone(), line, span, Some(r.message.clone())));
        }
    }
    let paths: Vec<String> = snippets.iter().map(|s| display_path(&s.0.file)).collect();
    let mut group = Group::with_title(level(f.severity).primary_title(&title).id(f.rule.code));
    for (i, (l, line, span, label)) in snippets.iter().enumerate() {
        let kind = if label.is_none() {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        let mut ann = kind.span(span.clone());
        if let Some(lb) = label {
            ann = ann.label(lb);
        }
        group = group.element(
            Snippet::source(line.as_str())
                .line_start(l.line as usize)
                .path(paths[i].as_str())
                .annotation(ann),
        );
    }
    let mut groups = vec![group];
    // the primary location has no readable source (a built-in default): name it
    if let Some(l) = &f.location
        && snippets.first().is_none_or(|s| s.3.is_some())
    {
        groups.push(Group::with_title(
            Level::NOTE.secondary_title(format!("at {l}")),
        ));
    }
    if !f.help.is_empty() {
        groups.push(Group::with_title(
            Level::HELP.secondary_title(f.help.as_str()),
        ));
    }
    let mut out = renderer.render(&groups);
    let _ = write!(out, "\n  = see: compose-doctor explain {}\n", f.rule.code);
    out
}

/// Categories of the suppressed findings of route `i`.
fn suppressed_categories(analysis: &Analysis, i: usize) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = analysis
        .findings
        .iter()
        .filter(|f| f.route == Some(i) && f.suppressed.is_some())
        .map(|f| f.rule.category)
        .collect();
    v.sort();
    v.dedup();
    v
}

fn status_cell(s: Status, codes: &[&str], color: bool, suppressed: &[&str]) -> Cell {
    let names: Vec<&str> = codes
        .iter()
        .filter_map(|c| crate::checks::find_rule(c))
        .filter(|r| r.severity != Severity::Info || s == Status::Unknown)
        .map(|r| r.category)
        .collect();
    let mut text = s.as_str().to_string();
    if !names.is_empty() && s != Status::Ok {
        let mut n = names.clone();
        n.dedup();
        text = format!("{text}: {}", n.join(", "));
    }
    if !suppressed.is_empty() {
        text = format!("{text} (suppressed: {})", suppressed.join(", "));
    }
    let cell = Cell::new(text);
    if !color {
        return cell;
    }
    match s {
        Status::Ok => cell.fg(Color::Green),
        Status::Error => cell.fg(Color::Red),
        Status::Warning => cell.fg(Color::Yellow),
        Status::Unknown => cell.fg(Color::Cyan),
    }
}

/// The state of the containers of a service, in a few words (live mode).
fn container_state(facts: &Facts, service: Option<&str>) -> String {
    let (Some(live), Some(service)) = (&facts.live, service) else {
        return "-".into();
    };
    let cs: Vec<_> = live.containers_of(service).collect();
    if cs.is_empty() {
        return "not created".into();
    }
    let mut states: Vec<String> = cs
        .iter()
        .map(|c| {
            let mut s = c.state.clone();
            if let (Some(code), true) = (c.exit_code, c.state == "exited" || c.state == "dead") {
                s = format!("{s} ({code})");
            }
            if c.oom_killed {
                s.push_str(", oom-killed");
            }
            if let Some(h) = c.health.as_ref().filter(|h| h.status != "healthy") {
                s = format!("{s}, {}", h.status);
            }
            s
        })
        .collect();
    states.dedup();
    states.join("; ")
}

/// A probe result in a few words: `http 200, 2 ms`, `refused`, `dns: NXDOMAIN`.
fn probe_summary(p: &crate::live::ProbeResult) -> String {
    use crate::live::ConnectOutcome;
    if let Some(e) = p.dns.as_ref().and_then(|d| d.error.as_ref()) {
        return format!("dns: {e}");
    }
    if let Some(c) = p
        .connect
        .iter()
        .find(|c| c.outcome != ConnectOutcome::Connected)
        && !p
            .connect
            .iter()
            .any(|c| c.outcome == ConnectOutcome::Connected)
    {
        return match &c.outcome {
            ConnectOutcome::Refused => "refused".into(),
            ConnectOutcome::Timeout => "connect timeout".into(),
            ConnectOutcome::Unreachable => "unreachable".into(),
            ConnectOutcome::Error(e) => e.clone(),
            ConnectOutcome::Connected => unreachable!(),
        };
    }
    match &p.handshake {
        Some(h) => {
            let what = match (h.outcome, h.status) {
                (crate::live::HandshakeOutcome::Ok, Some(s)) => format!("{} {s}", h.protocol),
                (crate::live::HandshakeOutcome::Ok, None) => format!("{} ok", h.protocol),
                (o, _) => format!(
                    "{}: {}",
                    h.protocol,
                    serde_json::to_value(o)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                ),
            };
            format!("{what}, {:.0} ms", h.millis)
        }
        None => p.note.clone().unwrap_or_else(|| "-".into()),
    }
}

pub fn routes_table(facts: &Facts, analysis: &Analysis, color: bool) -> String {
    let mut t = Table::new();
    t.load_style(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header({
            let mut h = vec!["PROXY", "CONFIG", "DIRECTIVE", "TARGET", "SERVICE"];
            if facts.live.is_some() {
                h.push("STATE");
            }
            if analysis.routes.iter().any(|r| r.probe.is_some()) {
                h.push("PROBE");
            }
            h.push("VERDICT");
            h
        });
    if !color {
        t.force_no_tty();
    }
    for (i, r) in analysis.routes.iter().enumerate() {
        let target = match r.target.effective_port() {
            Some(p)
                if !matches!(
                    r.target.host,
                    crate::nginx::Host::Unix(_) | crate::nginx::Host::Dynamic(_)
                ) =>
            {
                format!("{}:{p}", host_text(&r.target.host))
            }
            _ => host_text(&r.target.host),
        };
        let directive = match &r.target.upstream {
            Some(u) => format!("upstream {}", u.name),
            None => r.target.directive.clone(),
        };
        let mut row = vec![
            Cell::new(&r.proxy),
            Cell::new(format!(
                "{}:{}",
                display_path(&r.target.loc.file),
                r.target.loc.line
            )),
            Cell::new(directive),
            Cell::new(target),
            Cell::new(r.service.as_deref().unwrap_or("-")),
        ];
        if facts.live.is_some() {
            row.push(Cell::new(container_state(facts, r.service.as_deref())));
        }
        if analysis.routes.iter().any(|r| r.probe.is_some()) {
            row.push(Cell::new(
                r.probe
                    .as_ref()
                    .map(probe_summary)
                    .unwrap_or_else(|| "-".into()),
            ));
        }
        row.push(status_cell(
            r.status,
            &r.codes,
            color,
            &suppressed_categories(analysis, i),
        ));
        t.add_row(row);
    }
    t.to_string()
}

pub fn render(facts: &Facts, analysis: &Analysis, mode: &str, opts: Options) -> String {
    let mut out = String::new();
    let project = &facts.project;
    let files: Vec<String> = project.files.iter().map(|f| display_path(f)).collect();
    if !opts.quiet {
        let _ = writeln!(
            out,
            "compose-doctor: project `{}` ({}), {mode} check{}",
            project.name,
            files.join(", "),
            match &facts.live {
                Some(l) => format!(
                    " (Docker {} at {}, {} container(s))",
                    l.engine.version,
                    l.engine.endpoint,
                    l.containers.len()
                ),
                None => String::new(),
            }
        );
        for p in &facts.proxies {
            match &p.config {
                ProxyConfig::Loaded { config, targets } => {
                    let _ = writeln!(
                        out,
                        "  nginx service `{}` ({}): {} file(s) from {}, {} target(s)",
                        p.service,
                        p.reason,
                        config.files.len(),
                        config.entry,
                        targets.len()
                    );
                    if opts.verbose {
                        for f in &config.files {
                            let _ = writeln!(
                                out,
                                "    {} <- {}",
                                f.container_path,
                                display_path(&f.host_path)
                            );
                        }
                    }
                }
                ProxyConfig::NotFound { reason, .. } => {
                    let _ = writeln!(
                        out,
                        "  nginx service `{}` ({}): configuration not found: {reason}",
                        p.service, p.reason
                    );
                }
            }
        }
        if facts.proxies.is_empty() {
            let _ = writeln!(
                out,
                "  no service runs nginx (by image, Dockerfile, command or mounts into /etc/nginx)"
            );
        }
        for w in &project.warnings {
            match &w.location {
                Some(l) => {
                    let _ = writeln!(out, "warning: {l}: {}", w.message);
                }
                None => {
                    let _ = writeln!(out, "warning: {}", w.message);
                }
            }
        }
        if !analysis.routes.is_empty() {
            out.push('\n');
            out.push_str(&routes_table(facts, analysis, opts.color));
            out.push('\n');
            if opts.verbose {
                for r in &analysis.routes {
                    let _ = writeln!(
                        out,
                        "  {} -> {}: {}",
                        r.proxy,
                        r.target.raw,
                        r.notes.join("; ")
                    );
                }
            }
        }
        out.push('\n');
    }
    let renderer = if opts.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut sources = Sources::default();
    let (shown, infos): (Vec<&Finding>, Vec<&Finding>) = analysis
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .partition(|f| f.severity != Severity::Info);
    for f in shown {
        out.push_str(&render_finding(f, &mut sources, &renderer));
        out.push('\n');
    }
    if !infos.is_empty() && !opts.quiet {
        if opts.verbose {
            for f in infos {
                out.push_str(&render_finding(f, &mut sources, &renderer));
                out.push('\n');
            }
        } else {
            // one line per rule: the hint once, then where it applies
            let mut rules: Vec<&'static crate::checks::Rule> =
                infos.iter().map(|f| f.rule).collect();
            rules.sort_by_key(|r| r.code);
            rules.dedup_by_key(|r| r.code);
            for rule in rules {
                let mine: Vec<&&Finding> =
                    infos.iter().filter(|f| f.rule.code == rule.code).collect();
                let places: Vec<String> = mine
                    .iter()
                    .map(|f| {
                        let at = f
                            .location
                            .as_ref()
                            .map(|l| format!(" ({}:{})", display_path(&l.file), l.line));
                        format!(
                            "{}{}",
                            f.target.as_deref().unwrap_or("?"),
                            at.unwrap_or_default()
                        )
                    })
                    .collect();
                let _ = writeln!(out, "info[{}]: {} [{}]", rule.code, rule.summary, rule.name);
                let _ = writeln!(out, "  {}", places.join(", "));
            }
            let _ = writeln!(out, "  (-v shows each in full)\n");
        }
    }
    let suppressed: Vec<&Finding> = analysis
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .collect();
    if opts.verbose && !suppressed.is_empty() {
        let _ = writeln!(out, "suppressed ({}):", suppressed.len());
        for f in &suppressed {
            let at = f
                .location
                .as_ref()
                .map(|l| format!("{l}: "))
                .unwrap_or_default();
            let s = f.suppressed.as_ref().unwrap();
            let by = s
                .location
                .as_ref()
                .map(|l| format!(" at {l}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {at}{}[{}] {} -- by {}{by}: {}",
                f.severity.as_str(),
                f.rule.code,
                f.message,
                s.kind.as_str(),
                s.reason.as_deref().unwrap_or("(no reason)")
            );
        }
        out.push('\n');
    }
    let count = |s: Status| analysis.routes.iter().filter(|r| r.status == s).count();
    let suppressed_text = if suppressed.is_empty() {
        String::new()
    } else if opts.verbose {
        format!(", {} suppressed", suppressed.len())
    } else {
        format!(", {} suppressed (-v lists them)", suppressed.len())
    };
    let _ = writeln!(
        out,
        "{} route(s): {} ok, {} error, {} warning, {} unknown; findings: {} error(s), {} warning(s), {} info{suppressed_text}",
        analysis.routes.len(),
        count(Status::Ok),
        count(Status::Error),
        count(Status::Warning),
        count(Status::Unknown),
        analysis.count(Severity::Error),
        analysis.count(Severity::Warning),
        analysis.count(Severity::Info),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_directive() {
        let l = Location::new(PathBuf::from("x"), 2, 5);
        let (line, span) = line_span("server {\n    proxy_pass http://a:1;  # c\n}", &l).unwrap();
        assert_eq!(&line[span], "proxy_pass http://a:1;");
        let l = Location::new(PathBuf::from("x"), 9, 1);
        assert!(line_span("a", &l).is_none());
    }
}
