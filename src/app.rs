//! What the `check` command does once the facts are loaded: the project configuration, selection and
//! suppressions, the report in the chosen format, and the exit code. Also the small commands (`rules`,
//! `completions`, `man`).

use crate::cli::{
    CheckArgs, Cli, ColorChoice, FailOnArg, Format, GraphFormat, RulesFormat, SeverityArg,
};
use crate::{EXIT_FINDINGS, EXIT_TROUBLE, print_out};
use clap::CommandFactory;
use compose_doctor::checks::Severity;
use compose_doctor::config::{FailOn, ProjectConfig};
use compose_doctor::model::Facts;
use compose_doctor::policy::{self, Policy, Selection};
use compose_doctor::report::{self, SourceRoot};
use compose_doctor::suppress;
use std::io::IsTerminal;
use std::process::ExitCode;

fn pretty(v: &serde_json::Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
}

/// What part of the report to show.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The routes table alone (`status`).
    pub status_only: bool,
    /// Only the routes of this nginx service, or the routes that reach this service (`probe SERVICE`).
    pub service: Option<String>,
}

/// Keeps the routes of `service` (as proxy or as upstream), their findings, and the proxy-level findings
/// of that proxy; route indices are renumbered.
fn restrict(
    analysis: compose_doctor::checks::Analysis,
    service: &str,
) -> compose_doctor::checks::Analysis {
    let keep: Vec<usize> = (0..analysis.routes.len())
        .filter(|&i| {
            let r = &analysis.routes[i];
            r.proxy == service || r.service.as_deref() == Some(service)
        })
        .collect();
    let findings = analysis
        .findings
        .into_iter()
        .filter_map(|mut f| match f.route {
            Some(i) => keep.iter().position(|&k| k == i).map(|n| {
                f.route = Some(n);
                f
            }),
            None => (f.proxy.as_deref() == Some(service)).then_some(f),
        })
        .collect();
    let routes = keep.iter().map(|&i| analysis.routes[i].clone()).collect();
    compose_doctor::checks::Analysis { routes, findings }
}

/// Analyses the facts and writes the report the view asks for.
pub fn finish(args: &CheckArgs, facts: &Facts, mode: &str, view: &View) -> ExitCode {
    let status_only = view.status_only;
    let config = match ProjectConfig::discover(args.config.as_deref(), &facts.project.working_dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_TROUBLE);
        }
    };
    let selection = match Selection::parse(&args.select, &args.ignore) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_TROUBLE);
        }
    };
    let suppressions = suppress::collect(facts, &config);
    let analysis = Policy {
        config: &config,
        selection: &selection,
        suppressions: &suppressions,
        report_unused: args.verbose,
    }
    .analyze(facts);
    let fail_on = match args.fail_on {
        Some(FailOnArg::Error) => FailOn::Error,
        Some(FailOnArg::Warning) => FailOn::Warning,
        Some(FailOnArg::Info) => FailOn::Info,
        Some(FailOnArg::Never) => FailOn::Never,
        None => config.fail_on.unwrap_or_default(),
    };
    let min = match args.severity {
        SeverityArg::Error => Severity::Error,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Info => Severity::Info,
    };
    let analysis = match &view.service {
        Some(s) => {
            if !facts.project.services.contains_key(s) {
                eprintln!(
                    "error: `{s}` is not a service of project `{}`",
                    facts.project.name
                );
                return ExitCode::from(EXIT_TROUBLE);
            }
            restrict(analysis, s)
        }
        None => analysis,
    };
    let shown = policy::shown(&analysis, min);
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = SourceRoot::new(args.source_root.as_deref(), &cwd);
    let graph = |flavor| report::graph::render(facts, &shown, flavor);
    let out = match args.format {
        Format::Json => pretty(&report::json::render(facts, &shown, mode)),
        Format::Sarif => pretty(&report::sarif::render(facts, &shown, &root)),
        Format::Gitlab => pretty(&report::gitlab::render(facts, &shown, &root)),
        Format::Junit => report::junit::render(facts, &shown, fail_on, &root),
        Format::Github => report::github::render(facts, &shown, &root),
        Format::Graph if args.graph_format == GraphFormat::Dot => graph(report::graph::Flavor::Dot),
        Format::Graph => graph(report::graph::Flavor::Mermaid),
        Format::GraphDot => graph(report::graph::Flavor::Dot),
        Format::Table => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    args.output.is_none()
                        && std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            if status_only {
                format!("{}\n", report::text::routes_table(facts, &shown, color))
            } else {
                let opts = report::text::Options {
                    color,
                    verbose: args.verbose,
                    quiet: args.quiet,
                };
                report::text::render(facts, &shown, mode, opts)
            }
        }
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, crate::redacted(&out).as_bytes()) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(EXIT_TROUBLE);
            }
        }
        None => print_out(&out),
    }
    // a configuration that could not be read or parsed leaves routes unchecked: the job is not done
    let unparsed = facts.proxies.iter().filter_map(|p| p.loaded()).any(|c| {
        c.problems.iter().any(|p| {
            use compose_doctor::nginx::ProblemKind::*;
            matches!(p.kind, Syntax | IncludeCycle | Unreadable)
        })
    });
    if unparsed {
        eprintln!(
            "error: part of the nginx configuration could not be read or parsed; its routes were not checked"
        );
        ExitCode::from(EXIT_TROUBLE)
    } else if policy::fails(&analysis, fail_on) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn rules(format: RulesFormat) -> ExitCode {
    print_out(&match format {
        RulesFormat::Text => report::rules::text(),
        RulesFormat::Json => pretty(&report::rules::json()),
        RulesFormat::Markdown => report::rules::markdown_table(),
    });
    ExitCode::SUCCESS
}

pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "compose-doctor", &mut buf);
    print_out(&String::from_utf8_lossy(&buf));
    ExitCode::SUCCESS
}

pub fn man() -> ExitCode {
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut buf) {
        eprintln!("error: cannot render the manual page: {e}");
        return ExitCode::from(EXIT_TROUBLE);
    }
    print_out(&String::from_utf8_lossy(&buf));
    ExitCode::SUCCESS
}
