//! The bytes a probe sends and how it reads what comes back, one module per protocol. Pure functions: no I/O,
//! so every format is unit-tested against answers recorded from real servers.

pub mod fastcgi;
pub mod h2;
pub mod http;
pub mod memcached;
pub mod scgi;
pub mod tls;
pub mod uwsgi;

/// A few words about bytes that are not what was expected: printable text is quoted (cut to 60 characters),
/// anything else is shown as a byte count and its first bytes in hex.
pub fn describe_bytes(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing".to_string();
    }
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or(bytes);
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    let printable = |b: &u8| (0x20..0x7f).contains(b) || *b == b'\t';
    if !first_line.is_empty() && first_line.iter().all(printable) {
        let text = String::from_utf8_lossy(first_line);
        let cut: String = text.chars().take(60).collect();
        let more = if cut.len() < text.len() { "..." } else { "" };
        return format!("{} bytes: \"{cut}{more}\"", bytes.len());
    }
    let hex: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > 8 { " ..." } else { "" };
    format!("{} bytes of binary ({}{more})", bytes.len(), hex.join(" "))
}

/// Big-endian u16 / u24 / u32 readers that never panic.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

pub(crate) fn be24(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        0,
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
    ]))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_text_and_binary() {
        assert_eq!(describe_bytes(b""), "nothing");
        assert_eq!(
            describe_bytes(b"220 mail.test ESMTP ready\n"),
            "26 bytes: \"220 mail.test ESMTP ready\""
        );
        assert_eq!(
            describe_bytes(&[0x15, 3, 3, 0, 2, 2, 40]),
            "7 bytes of binary (15 03 03 00 02 02 28)"
        );
        assert_eq!(
            describe_bytes(&[1, 2, 3, 4, 5, 6, 7, 8, 9]),
            "9 bytes of binary (01 02 03 04 05 06 07 08 ...)"
        );
        let long = "x".repeat(100);
        assert!(describe_bytes(long.as_bytes()).ends_with("...\""));
    }

    #[test]
    fn readers_stop_at_the_end() {
        assert_eq!(be16(&[1, 2], 0), Some(0x0102));
        assert_eq!(be16(&[1], 0), None);
        assert_eq!(be24(&[1, 2, 3], 0), Some(0x010203));
        assert_eq!(be32(&[1, 2, 3], 0), None);
    }
}
