mod cli;

use clap::Parser;
use cli::{CheckArgs, Cli, ColorChoice, Command, Format};
use compose_doctor::{checks, compose, report};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Exit codes: 0 no errors, 1 errors found, 2 the tool could not do its job.
const EXIT_FINDINGS: u8 = 1;
const EXIT_TROUBLE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_TROUBLE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Some(Command::Explain { rule }) => explain(&rule),
        Some(Command::Rules) => {
            list_rules();
            ExitCode::SUCCESS
        }
        Some(Command::Check(args)) => check(&args),
        None => check(&cli.check),
    }
}

fn print_out(s: &str) {
    let mut out = std::io::stdout().lock();
    // a closed pipe (`| head`) is not an error worth a panic
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

fn explain(key: &str) -> ExitCode {
    match checks::find_rule(key) {
        Some(r) => {
            print_out(&format!(
                "{} {} ({}, default severity {})\n{}\n\n{}\n",
                r.code,
                r.name,
                r.category,
                r.severity.as_str(),
                r.summary,
                r.doc
            ));
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: no check is called `{key}`; `compose-doctor rules` lists them");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

fn list_rules() {
    let mut s = String::new();
    for r in checks::rules() {
        s.push_str(&format!(
            "{:<6} {:<26} {:<24} {:<8} {}\n",
            r.code,
            r.name,
            r.category,
            r.severity.as_str(),
            r.summary
        ));
    }
    print_out(&s);
}

fn check(args: &CheckArgs) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot read the current directory: {e}");
            return ExitCode::from(EXIT_TROUBLE);
        }
    };
    let opts = compose::LoadOptions {
        files: args.project.files.clone(),
        project_directory: args.project.project_directory.clone(),
        project_name: args.project.project_name.clone(),
        env_files: args.project.env_files.clone(),
        profiles: args.project.profiles.clone(),
        working_dir: cwd,
        environ: std::env::vars().collect(),
    };
    let facts = match compose_doctor::load_facts(&opts) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_TROUBLE);
        }
    };
    let analysis = checks::run(&facts);
    let mode = "static";
    match args.format {
        Format::Json => {
            let v = report::json::render(&facts, &analysis, mode);
            print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ));
        }
        Format::Table => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            let opts = report::text::Options {
                color,
                verbose: args.verbose,
                quiet: args.quiet,
            };
            print_out(&report::text::render(&facts, &analysis, mode, opts));
        }
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
    } else if analysis.count(checks::Severity::Error) > 0 {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}
