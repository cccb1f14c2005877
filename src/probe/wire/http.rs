//! HTTP/1.x: the request a probe sends (what nginx would send, in short) and the reading of a response head the
//! way nginx's upstream parser reads it.

/// `GET <uri> HTTP/1.1` with the `Host` nginx would send and `Connection: close`.
pub fn request(uri: &str, host: &str) -> Vec<u8> {
    let uri = if uri.is_empty() { "/" } else { uri };
    format!(
        "GET {uri} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: compose-doctor-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// What the first bytes of an HTTP/1 response say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// Still a possible response: more bytes are needed.
    Incomplete,
    /// A valid status line and header lines, up to the empty line that ends them.
    Complete {
        status: u16,
        /// The status line without its line end (`HTTP/1.1 200 OK`).
        line: String,
        /// Where the body starts.
        body_at: usize,
    },
    /// A valid status line, then a header line nginx refuses (`upstream sent invalid header`: 502).
    InvalidHeader {
        status: u16,
        line: String,
        /// The offending header line, cut to 60 characters.
        header: String,
    },
    /// Not an HTTP/1.x status line: nginx takes it for HTTP/0.9 and relays the bytes as they are.
    NotHttp,
}

/// `HTTP/<digits>.<digits> <3 digits>[ reason]` as `ngx_http_parse_status_line()` accepts it. Returns the
/// status, or `Err(true)` when `line` could still become a status line with more bytes (`line` has no line
/// end yet), `Err(false)` when it cannot.
fn status_line(line: &[u8], complete: bool) -> Result<u16, bool> {
    const PREFIX: &[u8] = b"HTTP/";
    let n = line.len().min(PREFIX.len());
    if line[..n] != PREFIX[..n] {
        return Err(false);
    }
    if line.len() < PREFIX.len() {
        return Err(!complete);
    }
    let mut i = PREFIX.len();
    let more = !complete;
    for sep in [b'.', b' '] {
        let start = i;
        while i < line.len() && line[i].is_ascii_digit() {
            i += 1;
        }
        if i == line.len() {
            return Err(more);
        }
        if i == start || line[i] != sep {
            return Err(false);
        }
        i += 1;
    }
    while i < line.len() && line[i] == b' ' {
        i += 1;
    }
    let digits = &line[i..line.len().min(i + 3)];
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(false);
    }
    if digits.len() < 3 {
        return Err(more);
    }
    i += 3;
    if i < line.len() && line[i] != b' ' && line[i] != b'.' {
        return Err(false);
    }
    if !complete {
        return Err(true);
    }
    let text = std::str::from_utf8(digits).map_err(|_| false)?;
    text.parse().map_err(|_| false)
}

/// A header line nginx accepts: a name of visible characters, a `:`, a value without NUL.
fn header_ok(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let name = &line[..colon];
    !name.is_empty() && name.iter().all(|&b| b > 0x20 && b != 0x7f) && !line[colon..].contains(&0)
}

fn cut(line: &[u8]) -> String {
    String::from_utf8_lossy(line).chars().take(60).collect()
}

/// Reads a response head from the first bytes of an answer.
pub fn parse_head(buf: &[u8]) -> Head {
    let mut lines = Lines { buf, at: 0 };
    let Some(first) = lines.next() else {
        return match status_line(buf, false) {
            Err(false) => Head::NotHttp,
            _ => Head::Incomplete,
        };
    };
    let status = match status_line(first, true) {
        Ok(s) => s,
        Err(_) => return Head::NotHttp,
    };
    let line = String::from_utf8_lossy(first).into_owned();
    loop {
        let Some(h) = lines.next() else {
            return Head::Incomplete;
        };
        if h.is_empty() {
            return Head::Complete {
                status,
                line,
                body_at: lines.at,
            };
        }
        // IIS repeats the status line; nginx skips a header line that starts with `HTTP/`.
        if h.starts_with(b"HTTP/") {
            continue;
        }
        if !header_ok(h) {
            return Head::InvalidHeader {
                status,
                line,
                header: cut(h),
            };
        }
    }
}

/// Lines ending in LF or CRLF (without the line end); the last unterminated part is not returned.
struct Lines<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = &self.buf[self.at..];
        let nl = rest.iter().position(|&b| b == b'\n')?;
        self.at += nl + 1;
        let line = &rest[..nl];
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

/// The status line or the start of an answer that looks like HTTP/1 (for other protocols that must not get one).
pub fn looks_like_http(buf: &[u8]) -> bool {
    buf.starts_with(b"HTTP/")
}

/// The status of the first line, if it is an HTTP/1 status line.
pub fn first_status(buf: &[u8]) -> Option<(u16, String)> {
    let line = buf.split(|&b| b == b'\n').next()?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let status = status_line(line, true).ok()?;
    Some((status, String::from_utf8_lossy(line).into_owned()))
}

/// What a TLS-only port says to a plain HTTP request: nginx's 400 page, Go's `net/http`, Apache.
pub fn says_tls_port(body: &[u8]) -> bool {
    const PHRASES: [&str; 3] = [
        "plain HTTP request was sent to HTTPS port",
        "HTTP request to an HTTPS server",
        "speaking plain HTTP to an SSL-enabled server port",
    ];
    let text = String::from_utf8_lossy(body);
    PHRASES.iter().any(|p| text.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded from `busybox httpd -f -p 8080 -h /www` (the examples' upstream) for the probe's request.
    const BUSYBOX_200: &[u8] = b"HTTP/1.1 200 OK\r\nDate: Sat, 21 Nov 2026 06:43:20 GMT\r\nConnection: close\r\nContent-type: text/html\r\nAccept-Ranges: bytes\r\nLast-Modified: Sat, 21 Nov 2026 05:52:13 GMT\r\nETag: \"6b01318d-50\"\r\nContent-Length: 80\r\n\r\n<!DOCTYPE html>\n<html><body><h1>compose-doctor test upstream</h1></body></html>\n";
    /// Recorded from the same busybox httpd for the HTTP/2 preface (and for memcached's `version`).
    const BUSYBOX_400: &[u8] = b"HTTP/1.1 400 Bad Request\r\nDate: Sat, 21 Nov 2026 06:43:20 GMT\r\nConnection: close\r\nContent-type: text/html\r\n\r\n<HTML><HEAD><TITLE>400 Bad Request</TITLE></HEAD>\n<BODY><H1>400 Bad Request</H1>\nUnsupported method\n</BODY></HTML>\n";

    #[test]
    fn request_has_host_and_close() {
        let r = String::from_utf8(request("/cgi-bin/report", "app:8080")).unwrap();
        assert!(r.starts_with("GET /cgi-bin/report HTTP/1.1\r\nHost: app:8080\r\n"));
        assert!(r.contains("\r\nConnection: close\r\n"));
        assert!(r.ends_with("\r\n\r\n"));
        assert!(
            String::from_utf8(request("", "app"))
                .unwrap()
                .starts_with("GET / ")
        );
    }

    #[test]
    fn complete_head() {
        match parse_head(BUSYBOX_200) {
            Head::Complete {
                status,
                line,
                body_at,
            } => {
                assert_eq!(status, 200);
                assert_eq!(line, "HTTP/1.1 200 OK");
                assert!(BUSYBOX_200[body_at..].starts_with(b"<!DOCTYPE html>"));
            }
            other => panic!("{other:?}"),
        }
        // LF only, no reason phrase, HTTP/1.0
        assert!(matches!(
            parse_head(b"HTTP/1.0 204\n\n"),
            Head::Complete { status: 204, .. }
        ));
    }

    #[test]
    fn incomplete_until_the_empty_line() {
        for n in 0..BUSYBOX_200.len() - 5 {
            let part = &BUSYBOX_200[..n];
            if part.ends_with(b"\r\n\r\n") {
                break;
            }
            assert_eq!(parse_head(part), Head::Incomplete, "{n} bytes");
        }
    }

    #[test]
    fn not_http() {
        // The examples' not-http-upstream: an SMTP-like greeting.
        assert_eq!(parse_head(b"220 mail.test ESMTP ready\n"), Head::NotHttp);
        assert_eq!(parse_head(b"2"), Head::NotHttp);
        assert_eq!(parse_head(b"HTTP/x"), Head::NotHttp);
        assert_eq!(parse_head(b"HTTP/1.1 20x OK\r\n"), Head::NotHttp);
        assert_eq!(parse_head(b"HTTP/1.1 2000\r\n"), Head::NotHttp);
        assert_eq!(parse_head(&[0x15, 0x03, 0x03, 0x00, 0x02]), Head::NotHttp);
        assert_eq!(parse_head(b"HTT"), Head::Incomplete);
        assert_eq!(parse_head(b"HTTP/1.1 2"), Head::Incomplete);
    }

    #[test]
    fn invalid_header_like_nginx() {
        // The examples' invalid-header upstream: a space in a header name.
        let got = parse_head(b"HTTP/1.1 200 OK\r\nContent Type: text/plain\r\n\r\nhello\n");
        assert_eq!(
            got,
            Head::InvalidHeader {
                status: 200,
                line: "HTTP/1.1 200 OK".into(),
                header: "Content Type: text/plain".into()
            }
        );
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"),
            Head::InvalidHeader { .. }
        ));
        // A repeated status line (IIS) is skipped, as nginx does.
        assert!(matches!(
            parse_head(b"HTTP/1.1 100 Continue\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\n"),
            Head::Complete { status: 100, .. }
        ));
    }

    #[test]
    fn tls_port_answers() {
        // Recorded from nginx 1.22 (`listen 8443 ssl`, the http-to-tls example) for a plain `GET /`.
        let nginx = b"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nDate: Sat, 21 Nov 2026 06:43:20 GMT\r\nContent-Type: text/html\r\nContent-Length: 255\r\nConnection: close\r\n\r\n<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
        let Head::Complete {
            status: 400,
            body_at,
            ..
        } = parse_head(nginx)
        else {
            panic!()
        };
        assert!(says_tls_port(&nginx[body_at..]));
        assert!(says_tls_port(
            b"Client sent an HTTP request to an HTTPS server.\n"
        ));
        let Head::Complete {
            status: 400,
            body_at,
            ..
        } = parse_head(BUSYBOX_400)
        else {
            panic!()
        };
        assert!(!says_tls_port(&BUSYBOX_400[body_at..]));
    }

    #[test]
    fn first_status_line() {
        assert_eq!(
            first_status(b"HTTP/1.1 400 Bad Request\r\n"),
            Some((400, "HTTP/1.1 400 Bad Request".into()))
        );
        assert_eq!(first_status(b"Status: 200 OK\r\n"), None);
        assert!(looks_like_http(b"HTTP/1.0 200 OK"));
    }
}
