//! memcached text protocol: `version` asks the server for its version and changes nothing.

pub const REQUEST: &[u8] = b"version\r\n";

/// A memcached answer line (`VERSION 1.6.21`, or an error line a memcached server would send).
pub fn is_memcached(buf: &[u8]) -> bool {
    ["VERSION ", "ERROR", "CLIENT_ERROR", "SERVER_ERROR"]
        .iter()
        .any(|p| buf.starts_with(p.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn answers() {
        assert!(super::is_memcached(b"VERSION 1.6.21\r\n"));
        assert!(!super::is_memcached(b"HTTP/1.1 400 Bad Request\r\n"));
    }
}
