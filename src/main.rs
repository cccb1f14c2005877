mod app;
mod cli;

use clap::Parser;
use cli::{CheckArgs, Cli, Command};
use compose_doctor::{checks, compose, report};
use std::io::Write;
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
        Some(Command::Rules { format }) => app::rules(format),
        Some(Command::Completions { shell }) => app::completions(shell),
        Some(Command::Man) => app::man(),
        Some(Command::Check(args)) => check(&args, app::View::default()),
        Some(Command::Status(args)) => check(
            &args,
            app::View {
                status_only: true,
                service: None,
            },
        ),
        Some(Command::Probe { service, mut args }) => {
            args.probe = true;
            check(
                &args,
                app::View {
                    status_only: false,
                    service,
                },
            )
        }
        None => check(&cli.check, app::View::default()),
    }
}

pub(crate) fn print_out(s: &str) {
    let mut out = std::io::stdout().lock();
    // a closed pipe (`| head`) is not an error worth a panic
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

fn explain(key: &str) -> ExitCode {
    match checks::find_rule(key) {
        Some(r) => {
            print_out(&report::rules::explain(r));
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("error: no check is called `{key}`; `compose-doctor rules` lists them");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

/// Static or live: what the flags ask, and what the daemon allows.
fn live_facts(
    args: &CheckArgs,
    facts: &mut compose_doctor::model::Facts,
) -> Result<Option<String>, String> {
    use compose_doctor::docker;
    if args.offline {
        return Ok(None);
    }
    let timeout = std::time::Duration::from_secs_f64(args.docker_timeout.clamp(0.1, 600.0));
    let opts = docker::DockerOptions {
        timeout,
        ..Default::default()
    };
    // without --live, a daemon that does not answer quickly means a static check, not a wait
    let required = args.live || args.probe;
    let connect_opts = if required {
        opts.clone()
    } else {
        docker::DockerOptions {
            timeout: timeout.min(std::time::Duration::from_secs(3)),
            ..opts.clone()
        }
    };
    let client = match docker::connect(&connect_opts) {
        Ok((c, _)) => c,
        Err(e) if required => return Err(format!("{e}\n  hint: {}", e.hint())),
        Err(e) => {
            return Ok(Some(format!(
                "static check: Docker is not reachable ({})",
                e.message()
            )));
        }
    };
    if let Err(e) = compose_doctor::add_live(facts, &client, &opts) {
        if required {
            return Err(format!("{e}\n  hint: {}", e.hint()));
        }
        facts.live = None;
        return Ok(Some(format!(
            "static check: asking Docker failed ({})",
            e.message()
        )));
    }
    let none_exist = facts.live.as_ref().is_some_and(|l| l.containers.is_empty());
    if none_exist && !required {
        facts.live = None;
        return Ok(Some(format!(
            "static check: no container of project `{}` exists (use --live to check against Docker anyway)",
            facts.project.name
        )));
    }
    Ok(None)
}

fn check(args: &CheckArgs, view: app::View) -> ExitCode {
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
    let mut facts = match compose_doctor::load_facts(&opts) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_TROUBLE);
        }
    };
    match live_facts(args, &mut facts) {
        Ok(Some(note)) if !args.quiet => eprintln!("note: {note}"),
        Ok(_) => {}
        Err(e) => {
            eprintln!("error: --live: {e}");
            return ExitCode::from(EXIT_TROUBLE);
        }
    }
    if let Some(live) = &facts.live {
        for what in &live.incomplete {
            eprintln!("warning: live facts incomplete: {what}");
        }
    }
    if args.probe {
        let opts = compose_doctor::probe::ProbeOptions {
            cap: std::time::Duration::from_secs_f64(args.probe_timeout.clamp(0.05, 600.0)),
            exec_fallback: args.exec,
            progress: !args.quiet,
        };
        for note in compose_doctor::probe::run(&mut facts, &opts) {
            // how each proxy was probed, and what fell back: always worth knowing
            if !args.quiet {
                eprintln!("note: {note}");
            }
        }
    }
    let mode = match (&facts.live, args.probe) {
        (Some(_), true) => "probe",
        (Some(_), false) => "live",
        (None, _) => "static",
    };
    app::finish(args, &facts, mode, &view)
}
