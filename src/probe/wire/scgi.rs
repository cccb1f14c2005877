//! SCGI: a netstring of NUL-separated headers (`CONTENT_LENGTH` first, then `SCGI` 1), then the empty body. The
//! answer is CGI-style: a `Status:` header or any header line, or an HTTP status line.

pub fn request(uri: &str, host: &str) -> Vec<u8> {
    let uri = if uri.is_empty() { "/" } else { uri };
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut headers = Vec::new();
    for (k, v) in [
        ("CONTENT_LENGTH", "0"),
        ("SCGI", "1"),
        ("REQUEST_METHOD", "GET"),
        ("REQUEST_URI", uri),
        ("PATH_INFO", path),
        ("QUERY_STRING", query),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("HTTP_HOST", host),
    ] {
        headers.extend_from_slice(k.as_bytes());
        headers.push(0);
        headers.extend_from_slice(v.as_bytes());
        headers.push(0);
    }
    let mut out = format!("{}:", headers.len()).into_bytes();
    out.extend_from_slice(&headers);
    out.push(b',');
    out
}

/// What the first line of a CGI-style answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstLine {
    /// No full line yet.
    Incomplete,
    /// The status: from `Status:` or an HTTP status line, 200 when another header line comes first.
    Status(u16),
    /// Not a header line nor a status line.
    NotCgi,
}

pub fn first_line(buf: &[u8]) -> FirstLine {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        return FirstLine::Incomplete;
    };
    let line = &buf[..nl];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if let Some((s, _)) = super::http::first_status(line) {
        return FirstLine::Status(s);
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return FirstLine::NotCgi;
    };
    let name = &line[..colon];
    if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
        return FirstLine::NotCgi;
    }
    if name.eq_ignore_ascii_case(b"status") {
        let value = String::from_utf8_lossy(&line[colon + 1..]);
        let code = value.split_whitespace().next().and_then(|c| c.parse().ok());
        return match code.filter(|c| (100..1000).contains(c)) {
            Some(c) => FirstLine::Status(c),
            None => FirstLine::NotCgi,
        };
    }
    FirstLine::Status(200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netstring() {
        let r = request("/x", "app:4000");
        let text = String::from_utf8(r).unwrap();
        let (len, rest) = text.split_once(':').unwrap();
        let len: usize = len.parse().unwrap();
        assert_eq!(rest.len(), len + 1);
        assert!(rest.ends_with(','));
        assert!(rest.starts_with("CONTENT_LENGTH\u{0}0\u{0}SCGI\u{0}1\u{0}"));
        assert!(rest.contains("REQUEST_URI\u{0}/x\u{0}"));
    }

    #[test]
    fn answers() {
        assert_eq!(
            first_line(b"Status: 404 Not Found\r\n"),
            FirstLine::Status(404)
        );
        assert_eq!(
            first_line(b"Content-Type: text/plain\r\n"),
            FirstLine::Status(200)
        );
        assert_eq!(first_line(b"HTTP/1.1 200 OK\r\n"), FirstLine::Status(200));
        assert_eq!(first_line(b"220 mail.test ESMTP\r\n"), FirstLine::NotCgi);
        assert_eq!(first_line(b"Status: abc\r\n"), FirstLine::NotCgi);
        assert_eq!(first_line(b"Status: 200"), FirstLine::Incomplete);
    }
}
