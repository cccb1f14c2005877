//! FastCGI: an `FCGI_GET_VALUES` management record (asks the server for its limits and runs no script), and
//! the reading of the first record of the answer, as nginx reads a FastCGI header.

pub const VERSION: u8 = 1;
pub const GET_VALUES: u8 = 9;
pub const GET_VALUES_RESULT: u8 = 10;
pub const UNKNOWN_TYPE: u8 = 11;

const NAMES: [&str; 3] = ["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"];

/// Appends a FastCGI name-value length: one byte below 128, else four bytes with the high bit set.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 128 {
        out.push(len as u8);
    } else {
        out.extend_from_slice(&((len as u32) | 0x8000_0000).to_be_bytes());
    }
}

/// Reads a name-value length at `at`; returns it and the index after it.
fn read_len(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let first = *b.get(at)?;
    if first < 128 {
        Some((first as usize, at + 1))
    } else {
        let v = super::be32(b, at)? & 0x7fff_ffff;
        Some((v as usize, at + 4))
    }
}

/// One record: header (version, type, request id 0, content length, padding to 8 bytes) and content.
fn record(kind: u8, content: &[u8]) -> Vec<u8> {
    let pad = (8 - content.len() % 8) % 8;
    let mut out = vec![VERSION, kind, 0, 0];
    out.extend_from_slice(&(content.len() as u16).to_be_bytes());
    out.push(pad as u8);
    out.push(0);
    out.extend_from_slice(content);
    out.extend(std::iter::repeat_n(0, pad));
    out
}

/// `FCGI_GET_VALUES` for the three standard variables, with empty values.
pub fn get_values() -> Vec<u8> {
    let mut content = Vec::new();
    for name in NAMES {
        push_len(&mut content, name.len());
        push_len(&mut content, 0);
        content.extend_from_slice(name.as_bytes());
    }
    record(GET_VALUES, &content)
}

/// What the first bytes of a FastCGI answer say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Fewer than the 8 bytes of a record header.
    Incomplete,
    /// A FastCGI record (version 1): a few words about it.
    Record(String),
    /// An HTTP/1 answer (nginx: `upstream sent unsupported FastCGI protocol version: 72`).
    Http,
    /// The first byte is not FastCGI version 1 (nginx logs that byte as the version).
    BadVersion(u8),
}

pub fn classify(buf: &[u8]) -> Answer {
    if buf.starts_with(b"HTTP/") {
        return Answer::Http;
    }
    let Some(&version) = buf.first() else {
        return Answer::Incomplete;
    };
    if version != VERSION {
        if b"HTTP/".starts_with(&buf[..buf.len().min(5)]) {
            return Answer::Incomplete;
        }
        return Answer::BadVersion(version);
    }
    if buf.len() < 8 {
        return Answer::Incomplete;
    }
    let kind = buf[1];
    let len = super::be16(buf, 4).unwrap_or(0) as usize;
    let content = &buf[8..buf.len().min(8 + len)];
    let text = match kind {
        GET_VALUES_RESULT => {
            let pairs = pairs(content);
            if pairs.is_empty() {
                "FCGI_GET_VALUES_RESULT".to_string()
            } else {
                format!("FCGI_GET_VALUES_RESULT {}", pairs.join(" "))
            }
        }
        UNKNOWN_TYPE => {
            "FCGI_UNKNOWN_TYPE (a FastCGI server without management records)".to_string()
        }
        other => format!("FastCGI record of type {other}"),
    };
    Answer::Record(text)
}

/// `NAME=value` pairs of a name-value content (what fits in the bytes received).
fn pairs(content: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < content.len() {
        let Some((nl, next)) = read_len(content, at) else {
            break;
        };
        let Some((vl, next)) = read_len(content, next) else {
            break;
        };
        let Some(name) = content.get(next..next + nl) else {
            break;
        };
        let Some(value) = content.get(next + nl..next + nl + vl) else {
            break;
        };
        out.push(format!(
            "{}={}",
            String::from_utf8_lossy(name),
            String::from_utf8_lossy(value)
        ));
        at = next + nl + vl;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_values_record() {
        let r = get_values();
        assert_eq!(&r[..4], &[1, GET_VALUES, 0, 0]);
        let len = u16::from_be_bytes([r[4], r[5]]) as usize;
        let pad = r[6] as usize;
        assert_eq!(r.len(), 8 + len + pad);
        assert_eq!((8 + len + pad) % 8, 0);
        assert_eq!(
            pairs(&r[8..8 + len]),
            ["FCGI_MAX_CONNS=", "FCGI_MAX_REQS=", "FCGI_MPXS_CONNS="]
        );
    }

    #[test]
    fn long_lengths() {
        let mut b = Vec::new();
        push_len(&mut b, 300);
        assert_eq!(b, [0x80, 0, 1, 44]);
        assert_eq!(read_len(&b, 0), Some((300, 4)));
    }

    #[test]
    fn classifies_answers() {
        // What PHP-FPM answers (its fastcgi.c fills the three values).
        let mut content = Vec::new();
        for (n, v) in [
            ("FCGI_MAX_CONNS", "1"),
            ("FCGI_MAX_REQS", "1"),
            ("FCGI_MPXS_CONNS", "0"),
        ] {
            push_len(&mut content, n.len());
            push_len(&mut content, v.len());
            content.extend_from_slice(n.as_bytes());
            content.extend_from_slice(v.as_bytes());
        }
        let answer = record(GET_VALUES_RESULT, &content);
        assert_eq!(
            classify(&answer),
            Answer::Record(
                "FCGI_GET_VALUES_RESULT FCGI_MAX_CONNS=1 FCGI_MAX_REQS=1 FCGI_MPXS_CONNS=0".into()
            )
        );
        assert!(matches!(
            classify(&record(UNKNOWN_TYPE, &[GET_VALUES, 0, 0, 0, 0, 0, 0, 0])),
            Answer::Record(_)
        ));
        // The examples' fastcgi-to-http upstream answers every connection with an HTTP 400.
        assert_eq!(
            classify(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"),
            Answer::Http
        );
        assert_eq!(classify(b"HTT"), Answer::Incomplete);
        assert_eq!(classify(&[1, 10, 0]), Answer::Incomplete);
        assert_eq!(classify(b"220 mail"), Answer::BadVersion(b'2'));
        assert_eq!(classify(b""), Answer::Incomplete);
    }
}
