//! Small grammars inside compose values: port specs, volume specs, shell-style command strings, project
//! names and paths. Each returns a plain error message; callers attach the location.

use super::model::{PortRange, Protocol};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// A port mapping in short syntax, before locations are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub host_ip: Option<String>,
    pub published: Option<(u16, u16)>,
    pub target: PortRange,
}

pub fn parse_protocol(s: &str) -> Result<Protocol, String> {
    match s.to_ascii_lowercase().as_str() {
        "" | "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Ok(Protocol::Sctp),
        other => Err(format!("invalid protocol \"{other}\" (tcp, udp or sctp)")),
    }
}

fn parse_port_number(s: &str) -> Result<u16, String> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid port \"{s}\""));
    }
    t.parse::<u16>()
        .map_err(|_| format!("invalid port \"{s}\": must be between 0 and 65535"))
}

/// `8000` or `8000-8010`.
pub fn parse_range(s: &str) -> Result<(u16, u16), String> {
    match s.split_once('-') {
        None => {
            let p = parse_port_number(s)?;
            Ok((p, p))
        }
        Some((a, b)) => {
            let (a, b) = (parse_port_number(a)?, parse_port_number(b)?);
            if b < a {
                return Err(format!("invalid port range \"{s}\": end before start"));
            }
            Ok((a, b))
        }
    }
}

/// `expose:` entries: `3000`, `3000-3005`, `3000/udp`.
pub fn parse_expose(s: &str) -> Result<PortRange, String> {
    let (ports, proto) = match s.split_once('/') {
        Some((p, proto)) => (p, parse_protocol(proto)?),
        None => (s, Protocol::Tcp),
    };
    let (start, end) = parse_range(ports)?;
    Ok(PortRange {
        start,
        end,
        protocol: proto,
    })
}

/// Short port syntax like Docker's `nat.ParsePortSpec`: `80`, `8080:80`, `127.0.0.1:8080:80`,
/// `127.0.0.1::80`, `8000-8010:8000-8010`, `[::1]:8080:80`, `::1:8080:80`, each with an optional `/proto`.
pub fn parse_port_short(spec: &str) -> Result<PortSpec, String> {
    let (raw, proto) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, parse_protocol(p)?),
        None => (spec, Protocol::Tcp),
    };
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1];
    let (ip, host) = match n {
        1 => ("".to_string(), ""),
        2 => ("".to_string(), parts[0]),
        3 => (parts[0].to_string(), parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2]),
    };
    let host_ip = if ip.is_empty() {
        None
    } else {
        let bare = ip
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(&ip);
        if bare.parse::<IpAddr>().is_err() {
            return Err(format!("invalid IP address \"{ip}\" in port \"{spec}\""));
        }
        Some(bare.to_string())
    };
    if container.is_empty() {
        return Err(format!("no container port in \"{spec}\""));
    }
    let (cs, ce) = parse_range(container).map_err(|e| format!("{e} in \"{spec}\""))?;
    let published = if host.is_empty() {
        None
    } else {
        let (hs, he) = parse_range(host).map_err(|e| format!("{e} in \"{spec}\""))?;
        if ce != cs && (he - hs) != (ce - cs) {
            return Err(format!(
                "invalid ranges in \"{spec}\": the host and container ranges differ in size"
            ));
        }
        Some((hs, he))
    };
    Ok(PortSpec {
        host_ip,
        published,
        target: PortRange {
            start: cs,
            end: ce,
            protocol: proto,
        },
    })
}

/// A volume in short syntax (`[source:]target[:options]`), as compose's `format.ParseVolume` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    /// The source is a host path (starts with `.`, `/`, `~`, `\\` or a Windows drive).
    pub bind: bool,
}

fn is_windows_drive(buffer: &[char], c: char) -> bool {
    c == ':' && buffer.len() == 1 && buffer[0].is_ascii_alphabetic()
}

pub fn is_file_path(source: &str) -> bool {
    if source.is_empty() {
        return false;
    }
    if source.starts_with(['.', '/', '~']) || source.starts_with("\\\\") {
        return true;
    }
    let mut it = source.chars();
    match (it.next(), it.next()) {
        (Some(a), Some(':')) => a.is_ascii_alphabetic(),
        _ => false,
    }
}

pub fn parse_volume_short(spec: &str) -> Result<VolumeSpec, String> {
    if spec.is_empty() {
        return Err("invalid empty volume spec".into());
    }
    if spec.chars().count() <= 2 {
        return Ok(VolumeSpec {
            source: None,
            target: spec.to_string(),
            read_only: false,
            bind: false,
        });
    }
    let mut source: Option<String> = None;
    let mut target: Option<String> = None;
    let mut read_only = false;
    let mut buffer: Vec<char> = Vec::new();
    let chars: Vec<char> = spec.chars().collect();
    let mut fields: Vec<(String, bool)> = Vec::new(); // (text, ended by ':')
    for &c in &chars {
        if is_windows_drive(&buffer, c) {
            buffer.push(c);
        } else if c == ':' {
            fields.push((buffer.iter().collect(), true));
            buffer.clear();
        } else {
            buffer.push(c);
        }
    }
    fields.push((buffer.iter().collect(), false));
    for (text, by_colon) in fields {
        if text.is_empty() {
            return Err(format!(
                "invalid volume \"{spec}\": empty section between colons"
            ));
        }
        if source.is_none() && !by_colon && target.is_none() {
            target = Some(text);
        } else if source.is_none() {
            source = Some(text);
        } else if target.is_none() {
            target = Some(text);
        } else if by_colon {
            return Err(format!("invalid volume \"{spec}\": too many colons"));
        } else {
            for opt in text.split(',') {
                match opt {
                    "ro" => read_only = true,
                    "rw" => read_only = false,
                    _ => {}
                }
            }
        }
    }
    let target = target.unwrap_or_default();
    let bind = source.as_deref().is_some_and(is_file_path);
    Ok(VolumeSpec {
        source,
        target,
        read_only,
        bind,
    })
}

/// The result of splitting a command string like go-shellwords (what compose uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellWords {
    pub args: Vec<String>,
    /// The unquoted operator (`;`, `&`, `|`, `<`, `>`) at which go-shellwords stops; the rest is dropped.
    pub cut_at: Option<char>,
}

/// Splits a command string as go-shellwords does with compose's settings: whitespace separates words,
/// quotes group, backslash escapes (not inside single quotes), `$(...)` and backquotes are kept as text,
/// and parsing stops at the first unquoted `;`, `&`, `|`, `<` or `>`.
pub fn shell_split(line: &str) -> Result<ShellWords, String> {
    let mut args = Vec::new();
    let mut buf = String::new();
    let (mut escaped, mut dq, mut sq, mut bq, mut dollar) = (false, false, false, false, false);
    let mut got = false;
    let mut cut_at = None;
    for r in line.chars() {
        if escaped {
            buf.push(r);
            escaped = false;
            continue;
        }
        if r == '\\' {
            if sq {
                buf.push(r);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if sq || dq || bq || dollar {
                buf.push(r);
            } else if got {
                args.push(std::mem::take(&mut buf));
                got = false;
            }
            continue;
        }
        match r {
            '`' if !sq && !dq && !dollar => bq = !bq,
            ')' if !sq && !dq && !bq => dollar = !dollar,
            '(' if !sq && !dq && !bq => {
                if !dollar && buf.ends_with('$') {
                    dollar = true;
                    buf.push('(');
                    continue;
                }
                return Err("invalid command line string: unexpected `(`".into());
            }
            '"' if !sq && !dollar => {
                if dq && buf.is_empty() {
                    got = true;
                }
                dq = !dq;
                continue;
            }
            '\'' if !dq && !dollar => {
                if sq && buf.is_empty() {
                    got = true;
                }
                sq = !sq;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if !(sq || dq || bq || dollar) => {
                if r == '>' && buf.starts_with(|c: char| c.is_ascii_digit()) {
                    got = false;
                }
                cut_at = Some(r);
                break;
            }
            _ => {}
        }
        got = true;
        buf.push(r);
    }
    if got {
        args.push(buf);
    }
    if cut_at.is_none() && (escaped || sq || dq || bq || dollar) {
        return Err("invalid command line string: unterminated quote or escape".into());
    }
    Ok(ShellWords { args, cut_at })
}

/// Compose's project name normalisation: lowercase, keep `[a-z0-9_-]`, no leading `_` or `-`.
pub fn normalize_project_name(s: &str) -> String {
    let lower = s.to_lowercase();
    let kept: String = lower
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// A build context that is not a local directory (git URL, http(s) tarball...).
pub fn is_remote_context(s: &str) -> bool {
    [
        "http://",
        "https://",
        "git://",
        "git@",
        "github.com/",
        "ssh://",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

/// A Windows absolute path (`C:\x`, `C:/x`, `\\server\share`): kept as is on any platform.
pub fn is_windows_abs(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || s.starts_with("\\\\")
}

/// Resolves a host path as compose does: `~` expanded with `home`, relative paths joined to `base`,
/// `.` and `..` components folded lexically.
pub fn resolve_path(raw: &str, base: &Path, home: Option<&Path>) -> PathBuf {
    if is_windows_abs(raw) {
        return PathBuf::from(raw);
    }
    let p = if raw == "~" {
        home.map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(raw))
    } else if let Some(rest) = raw.strip_prefix("~/") {
        match home {
            Some(h) => h.join(rest),
            None => PathBuf::from(raw),
        }
    } else {
        PathBuf::from(raw)
    };
    let joined = if p.is_absolute() { p } else { base.join(p) };
    clean(&joined)
}

/// Lexical normalisation of `.` and `..` (like Go's `filepath.Clean`, which compose relies on).
pub fn clean(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(s: &str) -> PortSpec {
        parse_port_short(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn tcp(a: u16, b: u16) -> PortRange {
        PortRange {
            start: a,
            end: b,
            protocol: Protocol::Tcp,
        }
    }

    #[test]
    fn short_ports() {
        assert_eq!(
            port("80"),
            PortSpec {
                host_ip: None,
                published: None,
                target: tcp(80, 80)
            }
        );
        assert_eq!(port("8080:80").published, Some((8080, 8080)));
        let p = port("127.0.0.1:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.published, Some((8080, 8080)));
        let p = port("127.0.0.1::80");
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.published, None);
        let p = port("8000-8010:8000-8010");
        assert_eq!(p.published, Some((8000, 8010)));
        assert_eq!(p.target, tcp(8000, 8010));
        let p = port("[::1]:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        assert_eq!(p.published, Some((8080, 8080)));
        let p = port("::1:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        let p = port("53:53/udp");
        assert_eq!(p.target.protocol, Protocol::Udp);
        let p = port("9090-9091:8080-8081");
        assert_eq!(
            (p.published, p.target),
            (Some((9090, 9091)), tcp(8080, 8081))
        );
        let p = port("8000-8010:80");
        assert_eq!((p.published, p.target), (Some((8000, 8010)), tcp(80, 80)));
    }

    #[test]
    fn bad_ports() {
        for s in [
            "",
            "abc",
            "80:abc",
            "1.2.3:80:80",
            "70000",
            "80/foo",
            "8000-7000:80",
            "1-3:1-2",
        ] {
            assert!(parse_port_short(s).is_err(), "{s}");
        }
    }

    #[test]
    fn expose() {
        assert_eq!(parse_expose("3000").unwrap(), tcp(3000, 3000));
        assert_eq!(parse_expose("3000-3005").unwrap(), tcp(3000, 3005));
        assert_eq!(parse_expose("53/udp").unwrap().protocol, Protocol::Udp);
        assert!(parse_expose("x").is_err());
    }

    #[test]
    fn volumes() {
        let v = parse_volume_short("/data").unwrap();
        assert_eq!(
            (v.source, v.target.as_str(), v.bind),
            (None, "/data", false)
        );
        let v = parse_volume_short("./x:/y:ro,z").unwrap();
        assert_eq!(v.source.as_deref(), Some("./x"));
        assert_eq!(v.target, "/y");
        assert!(v.read_only && v.bind);
        let v = parse_volume_short("db-data:/var/lib/mysql").unwrap();
        assert!(!v.bind);
        assert_eq!(v.source.as_deref(), Some("db-data"));
        let v = parse_volume_short("~/x:/y").unwrap();
        assert!(v.bind);
        let v = parse_volume_short("C:\\data:/data").unwrap();
        assert_eq!(v.source.as_deref(), Some("C:\\data"));
        assert!(v.bind);
        let v = parse_volume_short("/a:/b:rw").unwrap();
        assert!(!v.read_only);
        assert!(parse_volume_short("/a::/b").is_err());
        assert!(parse_volume_short("/a:/b:ro:x").is_err());
        assert!(parse_volume_short("").is_err());
    }

    #[test]
    fn shell_words() {
        let w = |s: &str| shell_split(s).unwrap();
        assert_eq!(w("a b  c").args, vec!["a", "b", "c"]);
        assert_eq!(
            w("/bin/bash -c \"envsubst < /tmp/x > /y && nginx -g 'daemon off;'\"").args,
            vec![
                "/bin/bash",
                "-c",
                "envsubst < /tmp/x > /y && nginx -g 'daemon off;'"
            ]
        );
        assert_eq!(w("echo 'a b' \"\" x").args, vec!["echo", "a b", "", "x"]);
        assert_eq!(w("a\\ b").args, vec!["a b"]);
        let cut = w("echo a && echo b");
        assert_eq!(cut.args, vec!["echo", "a"]);
        assert_eq!(cut.cut_at, Some('&'));
        assert_eq!(w("echo $(id -u)").args, vec!["echo", "$(id -u)"]);
        assert!(shell_split("echo 'open").is_err());
        assert!(shell_split("echo (x)").is_err());
        assert_eq!(w("gunicorn -w 3 -b 0.0.0.0:8000 app:app").args.len(), 6);
    }

    #[test]
    fn project_names() {
        assert_eq!(normalize_project_name("My App.v2"), "myappv2");
        assert_eq!(normalize_project_name("__x-y"), "x-y");
        assert_eq!(
            normalize_project_name("UNNORMALIZED PATH"),
            "unnormalizedpath"
        );
        assert_eq!(normalize_project_name("..."), "");
    }

    #[test]
    fn paths() {
        let base = Path::new("/p");
        assert_eq!(resolve_path("./x", base, None), PathBuf::from("/p/x"));
        assert_eq!(resolve_path("../x/./y", base, None), PathBuf::from("/x/y"));
        assert_eq!(resolve_path("/abs", base, None), PathBuf::from("/abs"));
        assert_eq!(
            resolve_path("~/c", base, Some(Path::new("/home/u"))),
            PathBuf::from("/home/u/c")
        );
        assert_eq!(resolve_path("C:\\x", base, None), PathBuf::from("C:\\x"));
        assert!(is_remote_context("https://github.com/docker/compose.git"));
        assert!(!is_remote_context("./app"));
    }
}
