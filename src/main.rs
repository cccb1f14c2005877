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
        Some(Command::Check(args)) => check(&args),
        None => check(&cli.check),
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
    app::finish(args, &facts, "static")
}
