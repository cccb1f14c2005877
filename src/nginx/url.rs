//! The address forms of `*_pass` arguments and upstream `server` lines, split the way `ngx_parse_url()` does.

use super::ast::PassKind;

/// What an address argument says, before any name is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The scheme as written, lower-cased (`http`, `https`, `grpc`, `grpcs`, `uwsgi`, `suwsgi`, ...).
    pub scheme: Option<String>,
    pub host: HostText,
    /// The port text after `:` (digits, or text with variables).
    pub port_text: Option<String>,
    /// The port, when `port_text` is a valid port number.
    pub port: Option<u16>,
    /// The URI part (`/path`, `?args`), for `proxy_pass` only.
    pub uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostText {
    /// `unix:/path` (the path).
    Unix(String),
    /// `[::1]` (without brackets).
    Bracketed(String),
    /// A name or IPv4 address, possibly with variables.
    Plain(String),
}

impl HostText {
    pub fn text(&self) -> &str {
        match self {
            HostText::Unix(s) | HostText::Bracketed(s) | HostText::Plain(s) => s,
        }
    }
}

/// Variables whose value starts a URI (`/...` or `?...`): `http://app$request_uri` has the host `app`.
const URI_VARIABLES: &[&str] = &[
    "request_uri",
    "uri",
    "document_uri",
    "is_args",
    "args",
    "query_string",
    "fastcgi_script_name",
];

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

/// Where a variable that starts a URI begins in `s` (`app$request_uri` -> 3).
fn uri_variable_start(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let (name, _) = variable_at(s, i);
            if URI_VARIABLES.contains(&name) {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// The variable name at `s[i] == '$'` (`$name` or `${name}`), and the index after it.
pub fn variable_at(s: &str, i: usize) -> (&str, usize) {
    let b = s.as_bytes();
    if i + 1 < b.len() && b[i + 1] == b'{' {
        if let Some(end) = s[i + 2..].find('}') {
            return (&s[i + 2..i + 2 + end], i + 3 + end);
        }
        return ("", i + 1);
    }
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    (&s[i + 1..j], j)
}

/// Splits a `*_pass` argument (or, with `kind = None`, an upstream `server` address).
pub fn parse_address(kind: Option<PassKind>, arg: &str) -> Address {
    let mut rest = arg;
    let mut scheme = None;
    let schemes: &[&str] = match kind {
        Some(PassKind::Proxy) => &["http://", "https://"],
        Some(PassKind::Grpc) => &["grpc://", "grpcs://"],
        Some(PassKind::Uwsgi) => &["uwsgi://", "suwsgi://"],
        _ => &[],
    };
    for s in schemes {
        if let Some(r) = strip_prefix_ci(rest, s) {
            scheme = Some(s.trim_end_matches("://").to_string());
            rest = r;
            break;
        }
    }
    if scheme.is_none() {
        // a scheme nginx does not accept here (`fastcgi_pass http://...`): keep it visible
        if let Some(i) = rest.find("://") {
            let s = &rest[..i];
            // `$scheme://app`: a scheme from a variable is kept as written
            let variable = s.starts_with('$') && variable_at(s, 0).1 == s.len();
            if variable {
                scheme = Some(s.to_string());
                rest = &rest[i + 3..];
            } else if !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'+') {
                scheme = Some(s.to_ascii_lowercase());
                rest = &rest[i + 3..];
            }
        }
    }
    let uri_part = matches!(kind, Some(PassKind::Proxy));

    if let Some(path) = strip_prefix_ci(rest, "unix:") {
        let (path, uri) = if uri_part {
            match path.find(':') {
                Some(i) => (&path[..i], Some(path[i + 1..].to_string())),
                None => (path, None),
            }
        } else {
            (path, None)
        };
        return Address {
            scheme,
            host: HostText::Unix(path.to_string()),
            port_text: None,
            port: None,
            uri,
        };
    }

    let (host, after) = if let Some(r) = rest.strip_prefix('[') {
        match r.find(']') {
            Some(i) => (HostText::Bracketed(r[..i].to_string()), &r[i + 1..]),
            None => (HostText::Plain(rest.to_string()), ""),
        }
    } else {
        let end = rest.find([':', '/', '?']).unwrap_or(rest.len());
        let mut host = &rest[..end];
        let mut end = end;
        if let Some(v) = uri_variable_start(host) {
            host = &rest[..v];
            end = v;
        }
        (HostText::Plain(host.to_string()), &rest[end..])
    };

    let mut port_text = None;
    let mut uri = None;
    if let Some(p) = after.strip_prefix(':') {
        let mut end = p.find(['/', '?']).unwrap_or(p.len());
        if let Some(v) = uri_variable_start(&p[..end]) {
            end = v;
        }
        port_text = Some(p[..end].to_string());
        if end < p.len() {
            uri = Some(p[end..].to_string());
        }
    } else if !after.is_empty() {
        uri = Some(after.to_string());
    }
    let port = port_text
        .as_deref()
        .and_then(|t| t.parse::<u16>().ok())
        .filter(|p| *p > 0);
    Address {
        scheme,
        host,
        port_text,
        port,
        uri,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(
        kind: Option<PassKind>,
        s: &str,
    ) -> (Option<String>, HostText, Option<u16>, Option<String>) {
        let a = parse_address(kind, s);
        (a.scheme, a.host, a.port, a.uri)
    }

    fn plain(s: &str) -> HostText {
        HostText::Plain(s.into())
    }

    #[test]
    fn proxy_urls() {
        let k = Some(PassKind::Proxy);
        assert_eq!(
            p(k, "http://app"),
            (Some("http".into()), plain("app"), None, None)
        );
        assert_eq!(
            p(k, "HTTPS://app:8443/api/?x=1"),
            (
                Some("https".into()),
                plain("app"),
                Some(8443),
                Some("/api/?x=1".into())
            )
        );
        assert_eq!(
            p(k, "http://10.0.0.2:81"),
            (Some("http".into()), plain("10.0.0.2"), Some(81), None)
        );
        assert_eq!(
            p(k, "http://[::1]:8080/x"),
            (
                Some("http".into()),
                HostText::Bracketed("::1".into()),
                Some(8080),
                Some("/x".into())
            )
        );
        assert_eq!(
            p(k, "http://unix:/run/app.sock:/uri"),
            (
                Some("http".into()),
                HostText::Unix("/run/app.sock".into()),
                None,
                Some("/uri".into())
            )
        );
        assert_eq!(
            p(k, "http://app?a=b"),
            (Some("http".into()), plain("app"), None, Some("?a=b".into()))
        );
        assert_eq!(
            p(k, "http://app$request_uri"),
            (
                Some("http".into()),
                plain("app"),
                None,
                Some("$request_uri".into())
            )
        );
        assert_eq!(
            p(k, "http://app:3000$request_uri"),
            (
                Some("http".into()),
                plain("app"),
                Some(3000),
                Some("$request_uri".into())
            )
        );
        assert_eq!(
            p(k, "http://$host"),
            (Some("http".into()), plain("$host"), None, None)
        );
        assert_eq!(
            p(k, "$scheme://app:81"),
            (Some("$scheme".into()), plain("app"), Some(81), None)
        );
        let a = parse_address(k, "http://app:$port/");
        assert_eq!((a.port_text.as_deref(), a.port), (Some("$port"), None));
        let a = parse_address(k, "http://app:0");
        assert_eq!(a.port, None);
        // no scheme: nginx says "invalid URL prefix"; we keep what we can
        assert_eq!(p(k, "app:80"), (None, plain("app"), Some(80), None));
    }

    #[test]
    fn other_kinds() {
        assert_eq!(
            p(Some(PassKind::Fastcgi), "php:9000"),
            (None, plain("php"), Some(9000), None)
        );
        assert_eq!(
            p(Some(PassKind::Fastcgi), "unix:/run/php/php-fpm.sock"),
            (
                None,
                HostText::Unix("/run/php/php-fpm.sock".into()),
                None,
                None
            )
        );
        assert_eq!(
            p(Some(PassKind::Grpc), "grpcs://api:443"),
            (Some("grpcs".into()), plain("api"), Some(443), None)
        );
        assert_eq!(
            p(Some(PassKind::Grpc), "api:50051"),
            (None, plain("api"), Some(50051), None)
        );
        assert_eq!(
            p(Some(PassKind::Uwsgi), "suwsgi://py:3031"),
            (Some("suwsgi".into()), plain("py"), Some(3031), None)
        );
        assert_eq!(
            p(Some(PassKind::Stream), "db:5432"),
            (None, plain("db"), Some(5432), None)
        );
        assert_eq!(
            p(Some(PassKind::Fastcgi), "http://php:9000"),
            (Some("http".into()), plain("php"), Some(9000), None)
        );
        assert_eq!(
            p(None, "unix:/tmp/x.sock"),
            (None, HostText::Unix("/tmp/x.sock".into()), None, None)
        );
        assert_eq!(
            p(None, "[fe80::1]"),
            (None, HostText::Bracketed("fe80::1".into()), None, None)
        );
    }

    #[test]
    fn variables() {
        assert_eq!(variable_at("$abc_1-x", 0), ("abc_1", 6));
        assert_eq!(variable_at("x${a}b", 1), ("a", 5));
        assert_eq!(variable_at("$1/", 0), ("1", 2));
    }
}
