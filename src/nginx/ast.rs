//! The parsed nginx configuration and the upstream targets found in it.

use crate::span::{Location, Spanned};
use serde::Serialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The strings of the tree: up to 24 bytes are stored inline (no allocation). Nearly every directive name and
/// argument of a real configuration fits, so a parsed tree is a few large arrays instead of a million small
/// strings (see the README's performance section).
pub type Str = compact_str::CompactString;

/// One directive: `name arg arg;` or `name arg { ... }`.
///
/// Sizes matter here (a 10 MB configuration has about 300,000 directives): 80 bytes, args and children in
/// exactly-sized slices (the arguments shared between the copies of a file included many times).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Directive {
    pub name: Str,
    pub args: Arc<[Arg]>,
    /// Where the directive's name starts.
    pub loc: Location,
    /// The children of a block directive (`http`, `server`, `location`, `upstream`, ...), `None` for a simple one.
    /// `include` directives are replaced by the directives of the files they include (which keep their own
    /// locations), so a walk of this tree sees the configuration the way nginx does.
    pub block: Option<Box<[Directive]>>,
}

/// One argument, unquoted and with `\` escapes processed the way nginx does. It is in the file of its
/// directive ([`Arg::loc`] gives its full location). 32 bytes: the quote flag shares a word with the column.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub value: Str,
    /// 1-based line where the argument starts.
    pub line: u32,
    /// 1-based column (in characters) where it starts (its opening quote if quoted), and the quote flag in
    /// the top bit: see [`Arg::column`] and [`Arg::quoted`].
    col_quoted: u32,
}

const QUOTED_BIT: u32 = 1 << 31;

impl Arg {
    pub fn new(value: Str, line: u32, column: u32, quoted: bool) -> Arg {
        Arg {
            value,
            line,
            col_quoted: column.min(QUOTED_BIT - 1) | if quoted { QUOTED_BIT } else { 0 },
        }
    }

    /// 1-based column (in characters) where the argument starts (its opening quote if quoted).
    pub fn column(&self) -> u32 {
        self.col_quoted & !QUOTED_BIT
    }

    /// Written in single or double quotes.
    pub fn quoted(&self) -> bool {
        self.col_quoted & QUOTED_BIT != 0
    }

    /// The argument's location, in `file` (its directive's: `d.loc.file`).
    pub fn loc(&self, file: &Arc<Path>) -> Location {
        Location {
            file: file.clone(),
            line: self.line,
            column: self.column(),
        }
    }
}

impl Serialize for Arg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Arg", 4)?;
        st.serialize_field("value", self.value.as_str())?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("column", &self.column())?;
        st.serialize_field("quoted", &self.quoted())?;
        st.end()
    }
}

impl Directive {
    /// The children of a block directive (empty for a simple one).
    pub fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }

    /// The first argument's value, if any.
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(|a| a.value.as_str())
    }
}

/// A file that took part in the configuration.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigFile {
    /// The path nginx sees inside the container.
    pub container_path: String,
    /// Where its text came from on the host (a file, or a display name for rendered/built-in text).
    pub host_path: PathBuf,
    /// The `include` that loaded it (`None` for the main file).
    pub included_from: Option<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The text does not parse (unbalanced braces, missing `;`, unterminated quote).
    Syntax,
    /// An `include` (without glob characters) names a file that is not there: nginx refuses to start.
    IncludeMissing,
    /// A file includes itself, directly or through others.
    IncludeCycle,
    /// A directive in a context where nginx does not allow it (e.g. `http {}` inside `conf.d/*.conf`, which the
    /// default `nginx.conf` includes inside `http {}`): nginx refuses to start.
    Context,
    /// The main file (or an included directory) is not there at all.
    FileMissing,
    /// The file could not be read (permissions, not UTF-8 where that matters, too large), or the configuration
    /// is larger than the loader's limits.
    Unreadable,
    /// A directive nginx rejects at start because of its arguments: a wrong number of arguments, an `upstream`
    /// block named by a `*_pass` that also gives a port, the same `upstream` name defined twice.
    Invalid,
}

/// Something wrong with the configuration itself, found while loading it.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
    pub loc: Option<Location>,
    pub help: Option<String>,
}

/// A configuration as nginx would load it from one entry file.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    /// The entry file's path inside the container (normally `/etc/nginx/nginx.conf`).
    pub entry: String,
    pub directives: Vec<Directive>,
    pub files: Vec<ConfigFile>,
    pub problems: Vec<Problem>,
}

/// The directive that sends traffic to an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PassKind {
    Proxy,
    Fastcgi,
    Uwsgi,
    Scgi,
    Grpc,
    Memcached,
    /// `proxy_pass host:port;` inside `stream {}` (TCP/UDP, no scheme).
    Stream,
}

impl PassKind {
    pub fn directive(self) -> &'static str {
        match self {
            PassKind::Proxy | PassKind::Stream => "proxy_pass",
            PassKind::Fastcgi => "fastcgi_pass",
            PassKind::Uwsgi => "uwsgi_pass",
            PassKind::Scgi => "scgi_pass",
            PassKind::Grpc => "grpc_pass",
            PassKind::Memcached => "memcached_pass",
        }
    }
}

/// Where a target points.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Host {
    /// A DNS name (a compose service, alias, container_name, or an outside domain).
    Name(String),
    Ip(IpAddr),
    /// `unix:/path/to.sock` (the path inside the container).
    Unix(String),
    /// The host part depends on run-time variables that cannot be known statically (`$host`, `$arg_x`, ...).
    Dynamic(String),
}

/// One upstream target: a `*_pass` directive that names a host directly, or one `server` line of an
/// `upstream {}` block.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub kind: PassKind,
    /// `proxy_pass`, `fastcgi_pass`, ... or `server` for a line of an `upstream {}` block.
    pub directive: String,
    /// The target as written (after envsubst rendering, before `set`/`map` substitution).
    pub raw: String,
    /// The directive that names the host (the `*_pass` line, or the `server` line of an upstream block).
    pub loc: Location,
    /// `http`, `https`, `grpc`, `grpcs`, `uwsgi`, `suwsgi`, `memcached`... when written; `None` when none.
    pub scheme: Option<String>,
    pub host: Host,
    /// The port written in the target.
    pub port: Option<u16>,
    /// The port nginx uses when none is written: 80 for `proxy_pass http://`, 443 for `https://`, 80 for a
    /// `server` line of an http `upstream` block (whatever pass uses the block). `None` where nginx has no
    /// default (`grpc_pass` -- also `grpc://`/`grpcs://` --, `fastcgi_pass`, `uwsgi_pass`, `scgi_pass`,
    /// `memcached_pass`, stream `proxy_pass` and stream upstream servers, unix sockets): there a name without
    /// port is only valid as the name of an upstream block (nginx says `no port in upstream` at start).
    pub default_port: Option<u16>,
    /// Set when the target comes from an `upstream {}` block.
    pub upstream: Option<UpstreamRef>,
    /// Every other place that leads to this target: the `*_pass` lines that name the upstream block, the
    /// `set`/`map` that gave a variable its value, the `include` chain is not listed.
    pub via: Vec<Location>,
    /// The argument contains variables, so nginx resolves the name at request time (with `resolver`) instead of
    /// once at start. Also true for an upstream `server ... resolve`.
    pub runtime_resolution: bool,
    /// Variables that stayed in the target after static substitution (`set` with constant values, static `map`).
    pub unresolved_variables: Vec<String>,
    /// The `resolver` in effect where the target is (nearest enclosing context), with its addresses.
    pub resolver: Option<Spanned<Vec<String>>>,
    /// Timeouts in effect (`proxy_connect_timeout`, `proxy_read_timeout`, `fastcgi_read_timeout`, ...), by name.
    pub timeouts: Vec<(String, Spanned<String>)>,
    /// `http` or `stream`.
    pub context: String,
    /// The `location` the directive is in (its arguments joined by a space: `~ \.php$`), if any.
    pub location: Option<String>,
    /// The `listen` directives (each with its arguments joined by spaces: `443 ssl http2`) and the
    /// `server_name`s of the enclosing `server {}` block.
    pub listen: Vec<String>,
    pub server_names: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpstreamRef {
    pub name: String,
    /// The `upstream NAME {` line.
    pub block_loc: Location,
    /// Parameters after the address (`weight=5`, `backup`, `max_fails=3`, `resolve`, ...).
    pub params: Vec<String>,
    /// How many `server` lines the block has.
    pub servers: usize,
    /// No `*_pass` directive refers to this block (nginx still resolves its names at start).
    pub unused: bool,
}

impl Target {
    /// The port nginx will connect to.
    pub fn effective_port(&self) -> Option<u16> {
        self.port.or(self.default_port)
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// The tree's memory is mostly these two: keep them small (see the README's performance section).
    #[test]
    fn node_sizes() {
        assert_eq!(std::mem::size_of::<Arg>(), 32);
        assert_eq!(std::mem::size_of::<Directive>(), 80);
        let a = Arg::new(Str::from("x"), 3, 7, true);
        assert_eq!((a.line, a.column(), a.quoted()), (3, 7, true));
        assert!(!Arg::new(Str::from("x"), 3, 7, false).quoted());
    }
}
