//! The command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "compose-doctor",
    version,
    about = "Finds why nginx in Docker Compose answers 502 Bad Gateway: checks every proxy_pass target against the compose project",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check every nginx upstream target of the project (the default command)
    Check(CheckArgs),
    /// Explain a check: what it looks at, why it causes a 502, how to fix it
    Explain {
        /// A code (CD101) or name (unknown-host)
        rule: String,
    },
    /// List every check
    Rules,
    /// The routes table alone, with the state of each upstream's container: which upstreams are down now
    Status(CheckArgs),
    /// Print a parsed input as JSON: an nginx configuration (crossplane-like tree with file, line, column)
    /// or the loaded compose project
    Parse {
        #[command(subcommand)]
        what: ParseWhat,
    },
}

#[derive(Subcommand, Debug)]
pub enum ParseWhat {
    /// An nginx configuration file, its includes resolved against its own directory (as `nginx -c FILE`)
    Nginx {
        file: PathBuf,
        /// Follow includes (and symlinks) outside the file's directory
        #[arg(long)]
        allow_outside: bool,
    },
    /// The compose project as compose-doctor loads it (environment values masked)
    Compose {
        #[command(flatten)]
        project: ProjectArgs,
        /// Show environment and build-argument values instead of masking them
        #[arg(long)]
        show_secrets: bool,
        /// Read files the compose files name outside the project directory (include, extends, env_file)
        #[arg(long)]
        allow_outside: bool,
    },
}

#[derive(Args, Debug, Clone, Default)]
pub struct ProjectArgs {
    /// Compose file(s), merged in order (default: compose.yaml, docker-compose.yml, ... and their override)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Directory relative paths in the compose files resolve against (default: the first file's directory)
    #[arg(long, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// Project name (default: COMPOSE_PROJECT_NAME, `name:` in the file, or the directory name)
    #[arg(short = 'p', long, value_name = "NAME")]
    pub project_name: Option<String>,
    /// Environment file(s) for interpolation (default: .env in the project directory)
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Enable a profile (repeatable; default: COMPOSE_PROFILES)
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug, Clone, Default)]
pub struct CheckArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Colours (auto: only on a terminal, and never with NO_COLOR set)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Say why each verdict was reached, and show info findings in full
    #[arg(short, long)]
    pub verbose: bool,
    /// Print only the findings and the summary
    #[arg(short, long)]
    pub quiet: bool,
    /// Check what really runs: require a Docker daemon (exit 2 when it cannot be reached)
    #[arg(long, conflicts_with = "offline")]
    pub live: bool,
    /// Check the files only, never ask Docker (default: live when the daemon answers and the project has
    /// containers, static otherwise)
    #[arg(long)]
    pub offline: bool,
    /// Upper bound for each Docker call and stream, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub docker_timeout: f64,
    /// Read bind-mount sources and files outside the project directory (default: they are reported as not
    /// read, so a configuration cannot make the tool print a file of the machine it runs on)
    #[arg(long)]
    pub allow_outside: bool,
    /// Show environment values in the output (default: masked, except where one is the upstream address)
    #[arg(long)]
    pub show_secrets: bool,
}
