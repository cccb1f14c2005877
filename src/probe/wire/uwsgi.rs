//! uwsgi: one request packet (header `modifier1`, little-endian data size, `modifier2`, then the CGI variables
//! as little-endian length-prefixed pairs); a uwsgi server answers with an HTTP status line.

/// A `GET` request packet with the variables a WSGI application needs.
pub fn request(uri: &str, host: &str, server_port: u16) -> Vec<u8> {
    let uri = if uri.is_empty() { "/" } else { uri };
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let server_name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let port = server_port.to_string();
    let vars: [(&str, &str); 9] = [
        ("REQUEST_METHOD", "GET"),
        ("REQUEST_URI", uri),
        ("PATH_INFO", path),
        ("QUERY_STRING", query),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("SERVER_NAME", server_name),
        ("SERVER_PORT", &port),
        ("HTTP_HOST", host),
        ("REMOTE_ADDR", "127.0.0.1"),
    ];
    let mut body = Vec::new();
    for (k, v) in vars {
        for part in [k, v] {
            body.extend_from_slice(&(part.len() as u16).to_le_bytes());
            body.extend_from_slice(part.as_bytes());
        }
    }
    let mut out = vec![0];
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.push(0);
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the packet back as uWSGI does.
    fn vars(p: &[u8]) -> Vec<(String, String)> {
        assert_eq!(p[0], 0);
        assert_eq!(p[3], 0);
        let size = u16::from_le_bytes([p[1], p[2]]) as usize;
        assert_eq!(size, p.len() - 4);
        let mut at = 4;
        let mut out = Vec::new();
        let take = |at: &mut usize| {
            let n = u16::from_le_bytes([p[*at], p[*at + 1]]) as usize;
            let s = String::from_utf8(p[*at + 2..*at + 2 + n].to_vec()).unwrap();
            *at += 2 + n;
            s
        };
        while at < p.len() {
            let k = take(&mut at);
            let v = take(&mut at);
            out.push((k, v));
        }
        out
    }

    #[test]
    fn packet() {
        let v = vars(&request("/a?b=1", "app:8000", 80));
        let get = |k: &str| v.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("REQUEST_METHOD"), "GET");
        assert_eq!(get("PATH_INFO"), "/a");
        assert_eq!(get("QUERY_STRING"), "b=1");
        assert_eq!(get("HTTP_HOST"), "app:8000");
        assert_eq!(get("SERVER_NAME"), "app");
        assert_eq!(get("SERVER_PORT"), "80");
    }
}
