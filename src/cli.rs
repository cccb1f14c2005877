//! The command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `--version`: the package version and the git revision it was built from (`unknown` outside git).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("COMPOSE_DOCTOR_GIT_REV"),
    ")"
);

#[derive(Parser, Debug)]
#[command(
    name = "compose-doctor",
    version = VERSION,
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
#[allow(clippy::large_enum_variant)] // parsed once; boxing gains nothing
pub enum Command {
    /// Check every nginx upstream target of the project (the default command)
    Check(CheckArgs),
    /// Explain a check: what it looks at, why it causes a 502, how to fix it
    Explain {
        /// A code (CD101) or name (unknown-host)
        rule: String,
    },
    /// List every check
    Rules {
        /// text: one line per rule; json: every field and doc; markdown: the README's table
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// The routes table alone, with the state of each upstream's container: which upstreams are down now
    Status(CheckArgs),
    /// Probe the upstreams as nginx sees them (`check --probe`), showing the routes of SERVICE (a proxy or
    /// an upstream service) or all
    Probe {
        /// Show only the routes of this nginx service, or the routes that reach this service
        service: Option<String>,
        #[command(flatten)]
        args: CheckArgs,
    },
    /// Print a shell completion script (e.g. `compose-doctor completions bash > /etc/bash_completion.d/compose-doctor`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `compose-doctor man | man -l -`
    Man,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    Markdown,
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
    /// Routes table, annotated snippets and a summary
    #[default]
    Table,
    /// The versioned JSON schema of the README
    Json,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
    /// JUnit XML: one test case per route
    Junit,
    /// GitHub Actions annotations (workflow commands)
    Github,
    /// GitLab code quality (Code Climate JSON)
    Gitlab,
    /// The routes as a graph (Mermaid unless --graph-format dot)
    Graph,
    /// The routes as a Graphviz DOT graph
    GraphDot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum GraphFormat {
    #[default]
    Mermaid,
    Dot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum SeverityArg {
    Error,
    Warning,
    #[default]
    Info,
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
    #[arg(long, value_enum, default_value_t = Format::Table, env = "COMPOSE_DOCTOR_FORMAT")]
    pub format: Format,
    /// Graph syntax for --format graph
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub graph_format: GraphFormat,
    /// Write the report to FILE instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1 (default: the config's fail-on, else error)
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,
    /// Lowest severity shown (the exit code still counts everything)
    #[arg(long, value_enum, default_value_t = SeverityArg::Info)]
    pub severity: SeverityArg,
    /// Run only these rules: codes, names, categories or code prefixes (CD1), comma-separated or repeated
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Do not run these rules (same forms as --select; wins over it)
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Project configuration file (default: .compose-doctor.toml in the project directory, if any)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Paths in SARIF, GitHub and GitLab reports are relative to DIR (default: the enclosing git work tree)
    #[arg(long, value_name = "DIR")]
    pub source_root: Option<PathBuf>,
    /// Colours (auto: only on a terminal, and never with NO_COLOR set)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Say why each verdict was reached, show info findings in full, list suppressed findings and report
    /// suppressions that match nothing (CD902)
    #[arg(short, long)]
    pub verbose: bool,
    /// Print only the findings and the summary
    #[arg(short, long, conflicts_with = "verbose")]
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
    /// Try every upstream the way nginx would, from inside the proxy container's network namespace: DNS
    /// through 127.0.0.11, TCP connect, a protocol handshake (implies --live)
    #[arg(long, conflicts_with = "offline")]
    pub probe: bool,
    /// Upper bound of every probe timeout, in seconds (the configuration's timeouts apply below it)
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub probe_timeout: f64,
    /// Where the probe cannot enter nginx's network namespace (not root, a remote engine), run
    /// getent/nc/wget inside the proxy container instead of connecting from the host
    #[arg(long)]
    pub exec: bool,
    /// Read bind-mount sources and files outside the project directory (default: they are reported as not
    /// read, so a configuration cannot make the tool print a file of the machine it runs on)
    #[arg(long)]
    pub allow_outside: bool,
    /// Show environment values in the output (default: masked, except where one is the upstream address)
    #[arg(long)]
    pub show_secrets: bool,
}
