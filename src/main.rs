mod app;
mod cli;

use clap::Parser;
use cli::{CheckArgs, Cli, Command, ParseWhat};
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
        Some(Command::Parse { what }) => parse(what),
        None => check(&cli.check, app::View::default()),
    }
}

/// Environment values to mask in everything printed (set once the project is loaded).
static REDACT: std::sync::OnceLock<compose_doctor::redact::Redactor> = std::sync::OnceLock::new();

/// `s` with every environment value of the project masked (unless `--show-secrets`).
pub(crate) fn redacted(s: &str) -> std::borrow::Cow<'_, str> {
    match REDACT.get() {
        Some(r) => r.apply(s),
        None => std::borrow::Cow::Borrowed(s),
    }
}

pub(crate) fn print_out(s: &str) {
    let s = redacted(s);
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
        allow_outside: args.allow_outside,
    };
    let mut facts = match compose_doctor::load_facts_with(&opts, args.allow_outside) {
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
    if !args.show_secrets {
        let env_files: Vec<&std::path::Path> =
            args.project.env_files.iter().map(|p| p.as_path()).collect();
        let _ = REDACT.set(compose_doctor::redact::Redactor::for_facts(
            &facts, &env_files,
        ));
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

/// `compose-doctor parse nginx FILE` / `parse compose [-f FILE]...`: the loaded input as JSON.
fn parse(what: ParseWhat) -> ExitCode {
    match what {
        ParseWhat::Nginx {
            file,
            allow_outside,
        } => {
            let cfg = compose_doctor::nginx::load_host_file_with(&file, allow_outside);
            // straight to the file descriptor: stdout's line buffering would scan every byte for newlines
            use std::os::fd::AsFd;
            let stdout = std::io::stdout();
            let _ = stdout.lock().flush();
            match stdout.as_fd().try_clone_to_owned() {
                Ok(fd) => {
                    let mut f = std::fs::File::from(fd);
                    let _ = compose_doctor::dump::write_nginx_json(&cfg, &mut f);
                }
                Err(_) => {
                    let _ = compose_doctor::dump::write_nginx_json(&cfg, &mut stdout.lock());
                }
            }
            // nginx refuses to start with any of these problems: the configuration did not load
            for p in &cfg.problems {
                match &p.loc {
                    Some(l) => eprintln!("error: {l}: {}", p.message),
                    None => eprintln!("error: {}: {}", file.display(), p.message),
                }
            }
            let code = if cfg.problems.is_empty() {
                0
            } else {
                EXIT_TROUBLE
            };
            // a large tree is not worth freeing one node at a time on the way out
            std::mem::forget(cfg);
            ExitCode::from(code)
        }
        ParseWhat::Compose {
            project,
            show_secrets,
            allow_outside,
        } => {
            let cwd = match std::env::current_dir() {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("error: cannot read the current directory: {e}");
                    return ExitCode::from(EXIT_TROUBLE);
                }
            };
            let opts = compose::LoadOptions {
                files: project.files.clone(),
                project_directory: project.project_directory.clone(),
                project_name: project.project_name.clone(),
                env_files: project.env_files.clone(),
                profiles: project.profiles.clone(),
                working_dir: cwd,
                environ: std::env::vars().collect(),
                allow_outside,
            };
            let p = match compose::load(&opts) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(EXIT_TROUBLE);
                }
            };
            let env_files: Vec<&std::path::Path> =
                project.env_files.iter().map(|p| p.as_path()).collect();
            let redactor = if show_secrets {
                compose_doctor::redact::Redactor::default()
            } else {
                compose_doctor::redact::Redactor::for_project(&p, &env_files)
            };
            let text = compose_doctor::dump::compose_json_text(&p, show_secrets, &redactor);
            print_out(&(text + "\n"));
            ExitCode::SUCCESS
        }
    }
}
