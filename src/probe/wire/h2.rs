//! HTTP/2 (what `grpc_pass` speaks): the client connection preface and an empty SETTINGS frame, and the reading
//! of the first frame of the answer, which a server must make a SETTINGS frame (RFC 9113, 3.4).

pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;

/// The preface followed by a SETTINGS frame without parameters.
pub fn preface() -> Vec<u8> {
    let mut out = PREFACE.to_vec();
    out.extend_from_slice(&[0, 0, 0, SETTINGS, 0, 0, 0, 0, 0]);
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Fewer than the 9 bytes of a frame header.
    Incomplete,
    /// A SETTINGS frame on stream 0: the server speaks HTTP/2.
    Settings(String),
    /// A GOAWAY frame first: HTTP/2, but the server hangs up (its error code).
    GoAway(u32),
    /// An HTTP/1 answer (nginx without `http2` on that port answers 400 to the preface).
    Http,
    /// Bytes that are not an HTTP/2 frame header a server would send first.
    Other,
}

pub fn classify(buf: &[u8]) -> Answer {
    if buf.starts_with(b"HTTP/") {
        return Answer::Http;
    }
    if buf.len() < 9 {
        return if b"HTTP/".starts_with(&buf[..buf.len().min(5)]) || buf.first() == Some(&0) {
            Answer::Incomplete
        } else {
            Answer::Other
        };
    }
    let len = super::be24(buf, 0).unwrap_or(0);
    let kind = buf[3];
    let stream = super::be32(buf, 5).unwrap_or(1) & 0x7fff_ffff;
    match kind {
        SETTINGS if stream == 0 && len.is_multiple_of(6) && len <= 16_384 => {
            Answer::Settings(format!("HTTP/2 SETTINGS ({} parameters)", len / 6))
        }
        GOAWAY if stream == 0 => Answer::GoAway(super::be32(buf, 13).unwrap_or(0)),
        _ => Answer::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preface_bytes() {
        let p = preface();
        assert_eq!(p.len(), 24 + 9);
        assert!(p.starts_with(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
        assert_eq!(&p[24..], &[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn classifies_answers() {
        // What grpc-go sends first: a SETTINGS frame with one parameter (MAX_FRAME_SIZE 16384).
        let settings = [0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0x40, 0];
        assert_eq!(
            classify(&settings),
            Answer::Settings("HTTP/2 SETTINGS (1 parameters)".into())
        );
        // nginx 1.22 with `http2` on the port: three parameters and a WINDOW_UPDATE.
        assert!(matches!(
            classify(&[0, 0, 18, 4, 0, 0, 0, 0, 0]),
            Answer::Settings(_)
        ));
        let goaway = [0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(classify(&goaway), Answer::GoAway(1));
        assert_eq!(classify(b"HTTP/1.1 400 Bad Request\r\n"), Answer::Http);
        assert_eq!(classify(&settings[..5]), Answer::Incomplete);
        assert_eq!(classify(b"220 mail.test"), Answer::Other);
        assert_eq!(classify(b"22"), Answer::Other);
    }
}
