//! The project configuration file, `.compose-doctor.toml` in the project directory (or `--config FILE`):
//! severities per rule, ignores with a reason (optionally scoped to a service or a file glob), the default
//! failure threshold, and probe settings (read and validated now, used by the probe later).
//!
//! ```toml
//! fail-on = "warning"            # error (default) | warning | info | never
//!
//! [severity]                     # per rule, by code or name: error | warning | info | off
//! CD110 = "off"
//! wrong-port = "warning"
//!
//! [[ignore]]
//! code = "CD106"                 # or a list: ["CD106", "no-resolver"]
//! reason = "app listens on 80 through its entrypoint script"
//! service = "app"                # optional: only findings of this proxy or upstream service
//! path = "nginx/legacy/*.conf"   # optional: only findings in these files (relative to this file)
//!
//! [probe]
//! timeout = "5s"                 # ms, s or m; at most 10 minutes
//! ```
//!
//! Unknown keys, unknown rules and bad values are errors (exit 2) with the file, line and column.

use crate::checks::{self, Rule, Severity};
use crate::error::{Error, Result};
use crate::span::Location;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file looked for in the project directory.
pub const FILE_NAME: &str = ".compose-doctor.toml";

/// The lowest severity that fails the run (exit code 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
    /// Findings never fail the run (only "could not do the job" does, with exit code 2).
    Never,
}

impl FailOn {
    pub fn parse(s: &str) -> Option<FailOn> {
        Some(match s {
            "error" => FailOn::Error,
            "warning" => FailOn::Warning,
            "info" => FailOn::Info,
            "never" => FailOn::Never,
            _ => return None,
        })
    }
    /// The lowest failing severity, `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
    pub fn fails(self, s: Severity) -> bool {
        self.threshold().is_some_and(|t| s >= t)
    }
}

/// A severity override: a new severity, or `off` (the rule does not run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    Is(Severity),
}

/// One `[[ignore]]` entry.
#[derive(Debug, Clone)]
pub struct Ignore {
    pub codes: Vec<&'static str>,
    pub reason: Option<String>,
    pub service: Option<String>,
    /// The glob as written, and compiled as an absolute pattern below the config file's directory.
    pub path: Option<(String, glob::Pattern)>,
    /// Where the entry is written.
    pub loc: Location,
}

#[derive(Debug, Clone)]
pub struct ProbeSettings {
    pub timeout: Duration,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            timeout: Duration::from_secs(5),
        }
    }
}

/// The project configuration, read and validated.
#[derive(Debug, Clone, Default)]
pub struct ProjectConfig {
    /// The file it was read from (`None`: no file, all defaults).
    pub file: Option<PathBuf>,
    pub fail_on: Option<FailOn>,
    /// Per rule code.
    pub severity: BTreeMap<&'static str, Level>,
    pub ignores: Vec<Ignore>,
    pub probe: ProbeSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    fail_on: Option<toml::Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    ignore: Vec<toml::Spanned<RawIgnore>>,
    probe: Option<RawProbe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    code: toml::Spanned<OneOrMany>,
    reason: Option<String>,
    service: Option<String>,
    path: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    timeout: Option<toml::Spanned<String>>,
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line as u32, col as u32)
}

/// Parses a duration such as `500ms`, `5s`, `1.5s` or `2m`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return None,
    };
    (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs))
}

/// `p` made absolute against the current directory, `.` and `..` resolved without touching the file system
/// (so that a glob written relative to the config file matches however the files were named on the command line).
pub fn absolute(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Looks up rule codes or names (case-insensitive).
pub fn resolve_rule(key: &str) -> Option<&'static Rule> {
    checks::find_rule(key.trim())
}

impl ProjectConfig {
    /// Reads `--config FILE` when given (it must exist), else `.compose-doctor.toml` in the project directory
    /// when there is one.
    pub fn discover(explicit: Option<&Path>, project_dir: &Path) -> Result<ProjectConfig> {
        match explicit {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| Error::new(format!("{}: cannot read: {e}", p.display())))?;
                ProjectConfig::parse(&text, p)
            }
            None => {
                let p = project_dir.join(FILE_NAME);
                match std::fs::read_to_string(&p) {
                    Ok(text) => ProjectConfig::parse(&text, &p),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Ok(ProjectConfig::default())
                    }
                    Err(e) => Err(Error::new(format!("{}: cannot read: {e}", p.display()))),
                }
            }
        }
    }

    /// Parses and validates the text of a configuration file read from `file`.
    pub fn parse(text: &str, file: &Path) -> Result<ProjectConfig> {
        let at = |offset: usize| {
            let (line, col) = line_col(text, offset);
            Location::new(file.to_path_buf(), line, col)
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let msg = e.message().trim().to_string();
            match e.span() {
                Some(sp) => Error::at(msg, at(sp.start)),
                None => Error::new(format!("{}: {msg}", file.display())),
            }
        })?;
        let mut cfg = ProjectConfig {
            file: Some(file.to_path_buf()),
            ..Default::default()
        };
        if let Some(f) = &raw.fail_on {
            cfg.fail_on = Some(FailOn::parse(f.get_ref()).ok_or_else(|| {
                Error::at(
                    format!(
                        "fail-on must be error, warning, info or never, not `{}`",
                        f.get_ref()
                    ),
                    at(f.span().start),
                )
            })?);
        }
        for (key, level) in &raw.severity {
            let rule = resolve_rule(key).ok_or_else(|| {
                Error::at(
                    format!(
                        "[severity]: no rule is called `{key}` (`compose-doctor rules` lists them)"
                    ),
                    at(level.span().start),
                )
            })?;
            let l = match level.get_ref().as_str() {
                "off" => Level::Off,
                "error" => Level::Is(Severity::Error),
                "warning" => Level::Is(Severity::Warning),
                "info" => Level::Is(Severity::Info),
                other => {
                    return Err(Error::at(
                        format!(
                            "[severity] {key}: must be error, warning, info or off, not `{other}`"
                        ),
                        at(level.span().start),
                    ));
                }
            };
            cfg.severity.insert(rule.code, l);
        }
        let base = absolute(file.parent().unwrap_or(Path::new("")));
        for entry in &raw.ignore {
            let loc = at(entry.span().start);
            let e = entry.get_ref();
            let keys: Vec<String> = match e.code.get_ref() {
                OneOrMany::One(s) => vec![s.clone()],
                OneOrMany::Many(v) => v.clone(),
            };
            if keys.is_empty() {
                return Err(Error::at(
                    "[[ignore]]: `code` names no rule",
                    at(e.code.span().start),
                ));
            }
            let mut codes = Vec::new();
            for k in &keys {
                let r = resolve_rule(k).ok_or_else(|| {
                    Error::at(
                        format!("[[ignore]]: no rule is called `{k}` (`compose-doctor rules` lists them)"),
                        at(e.code.span().start),
                    )
                })?;
                codes.push(r.code);
            }
            let path = match &e.path {
                Some(p) => {
                    let full = base.join(p.get_ref());
                    let pat = glob::Pattern::new(&full.to_string_lossy()).map_err(|err| {
                        Error::at(
                            format!("[[ignore]] path `{}`: {err}", p.get_ref()),
                            at(p.span().start),
                        )
                    })?;
                    Some((p.get_ref().clone(), pat))
                }
                None => None,
            };
            cfg.ignores.push(Ignore {
                codes,
                reason: e.reason.clone().filter(|r| !r.trim().is_empty()),
                service: e.service.clone(),
                path,
                loc,
            });
        }
        if let Some(p) = &raw.probe
            && let Some(t) = &p.timeout
        {
            let d = parse_duration(t.get_ref())
                .filter(|d| *d <= Duration::from_secs(600))
                .ok_or_else(|| {
                    Error::at(
                        format!(
                            "[probe] timeout: `{}` is not a duration between 1ms and 10m (write 500ms, 5s, 1m)",
                            t.get_ref()
                        ),
                        at(t.span().start),
                    )
                })?;
            cfg.probe.timeout = d;
        }
        Ok(cfg)
    }

    pub fn level(&self, code: &str) -> Option<Level> {
        self.severity.get(code).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ProjectConfig> {
        ProjectConfig::parse(s, Path::new("proj/.compose-doctor.toml"))
    }

    #[test]
    fn full_file() {
        let c = parse(
            r#"
fail-on = "warning"
[severity]
CD110 = "off"
wrong-port = "warning"
[[ignore]]
code = ["CD106", "no-resolver"]
reason = "entrypoint listens on 80"
service = "app"
path = "nginx/*.conf"
[[ignore]]
code = "CD101"
[probe]
timeout = "1.5s"
"#,
        )
        .unwrap();
        assert_eq!(c.fail_on, Some(FailOn::Warning));
        assert_eq!(c.level("CD110"), Some(Level::Off));
        assert_eq!(c.level("CD106"), Some(Level::Is(Severity::Warning)));
        assert_eq!(c.ignores[0].codes, vec!["CD106", "CD108"]);
        assert_eq!(c.ignores[0].loc.line, 6);
        let pat = &c.ignores[0].path.as_ref().unwrap().1;
        assert!(pat.matches_path(&absolute(Path::new("proj/nginx/default.conf"))));
        assert!(!pat.matches_path(&absolute(Path::new("proj/other/default.conf"))));
        assert_eq!(c.ignores[1].reason, None);
        assert_eq!(c.probe.timeout, Duration::from_millis(1500));
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, needle) in [
            ("fail-on = \"sometimes\"\n", 1, "fail-on"),
            ("\n[severity]\nCD999 = \"off\"\n", 3, "CD999"),
            ("[severity]\nCD101 = \"loud\"\n", 2, "loud"),
            ("[[ignore]]\ncode = \"nope\"\n", 2, "nope"),
            ("[probe]\ntimeout = \"5 parsecs\"\n", 2, "duration"),
            ("[probe]\ntimeout = \"11m\"\n", 2, "duration"),
            ("colour = true\n", 1, "colour"),
            ("[[ignore]]\nreason = \"x\"\n", 1, "code"),
        ] {
            let e = parse(text).unwrap_err();
            let loc = e.location.clone().unwrap_or_else(|| panic!("{text}: {e}"));
            assert_eq!(loc.line, line, "{text}: {e}");
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("-1s"), None);
    }
}
