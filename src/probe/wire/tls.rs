//! TLS without a TLS library: a ClientHello built by hand (TLS 1.2 and 1.3, SNI, optional ALPN), and the first
//! record of the answer read just far enough to tell a TLS server from something else. The handshake is never
//! finished: the probe only needs to know which protocol the port speaks.

use super::{be16, be24};

/// The parts of a ClientHello that vary between connections.
#[derive(Debug, Clone)]
pub struct Hello<'a> {
    /// A DNS name for the `server_name` extension (none for an IP address).
    pub sni: Option<&'a str>,
    /// ALPN protocols (`h2` for gRPC); empty for none.
    pub alpn: &'a [&'a str],
    pub random: [u8; 32],
    pub session_id: [u8; 32],
    /// An X25519 public key: any 32 bytes are one, and the handshake never gets far enough to need the secret.
    pub key_share: [u8; 32],
}

const CIPHER_SUITES: [u16; 13] = [
    0x1301, 0x1302, 0x1303, // TLS 1.3 AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305
    0xc02b, 0xc02f, 0xc02c, 0xc030, // ECDHE-ECDSA/RSA with AES-GCM
    0xcca9, 0xcca8, // ECDHE with CHACHA20-POLY1305
    0x009c, 0x009d, 0x002f, 0x0035, // RSA with AES-GCM / AES-CBC, for old servers
];
const GROUPS: [u16; 3] = [0x001d, 0x0017, 0x0018]; // x25519, secp256r1, secp384r1
const SIGNATURE_ALGORITHMS: [u16; 9] = [
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201,
];

fn push16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends `body()` preceded by its length in `width` bytes (1, 2 or 3).
fn with_len(out: &mut Vec<u8>, width: usize, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend(std::iter::repeat_n(0, width));
    body(out);
    let len = (out.len() - at - width) as u32;
    let bytes = len.to_be_bytes();
    out[at..at + width].copy_from_slice(&bytes[4 - width..]);
}

fn extension(out: &mut Vec<u8>, kind: u16, body: impl FnOnce(&mut Vec<u8>)) {
    push16(out, kind);
    with_len(out, 2, body);
}

/// A complete TLS record holding one ClientHello.
pub fn client_hello(h: &Hello<'_>) -> Vec<u8> {
    let mut out = vec![0x16, 0x03, 0x01]; // handshake record, legacy version TLS 1.0 as clients send it
    with_len(&mut out, 2, |rec| {
        rec.push(0x01); // ClientHello
        with_len(rec, 3, |hs| {
            hs.extend_from_slice(&[0x03, 0x03]); // legacy_version TLS 1.2
            hs.extend_from_slice(&h.random);
            with_len(hs, 1, |s| s.extend_from_slice(&h.session_id));
            with_len(hs, 2, |s| CIPHER_SUITES.iter().for_each(|c| push16(s, *c)));
            hs.extend_from_slice(&[0x01, 0x00]); // compression: null only
            with_len(hs, 2, |ext| {
                if let Some(name) = h.sni {
                    extension(ext, 0x0000, |e| {
                        with_len(e, 2, |list| {
                            list.push(0x00); // host_name
                            with_len(list, 2, |n| n.extend_from_slice(name.as_bytes()));
                        })
                    });
                }
                extension(ext, 0x000a, |e| {
                    with_len(e, 2, |g| GROUPS.iter().for_each(|x| push16(g, *x)))
                });
                extension(ext, 0x000b, |e| e.extend_from_slice(&[0x01, 0x00]));
                extension(ext, 0x000d, |e| {
                    with_len(e, 2, |s| {
                        SIGNATURE_ALGORITHMS.iter().for_each(|x| push16(s, *x))
                    })
                });
                if !h.alpn.is_empty() {
                    extension(ext, 0x0010, |e| {
                        with_len(e, 2, |list| {
                            for p in h.alpn {
                                with_len(list, 1, |n| n.extend_from_slice(p.as_bytes()));
                            }
                        })
                    });
                }
                extension(ext, 0x0017, |_| {}); // extended_master_secret
                extension(ext, 0x002b, |e| {
                    with_len(e, 1, |v| v.extend_from_slice(&[0x03, 0x04, 0x03, 0x03]))
                });
                extension(ext, 0x002d, |e| e.extend_from_slice(&[0x01, 0x01])); // psk_dhe_ke
                extension(ext, 0x0033, |e| {
                    with_len(e, 2, |shares| {
                        push16(shares, 0x001d);
                        with_len(shares, 2, |k| k.extend_from_slice(&h.key_share));
                    })
                });
                extension(ext, 0xff01, |e| e.push(0x00)); // renegotiation_info, empty
            });
        });
    });
    out
}

/// The server name to put in SNI: a DNS name, never an IP address (RFC 6066).
pub fn sni_for(host: &str) -> Option<&str> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    (bare.parse::<std::net::IpAddr>().is_err() && !bare.is_empty()).then_some(host)
}

/// What the first bytes of the answer to a ClientHello say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Fewer than 5 bytes so far.
    Incomplete,
    /// A handshake record: the port speaks TLS. A few words about it (`TLS 1.3 ServerHello`).
    Handshake(String),
    /// An alert record: the port speaks TLS and refused this hello (`handshake_failure (40)`).
    Alert(String),
    /// An HTTP/1 answer: a plain HTTP server on the port.
    Http,
    /// Anything else.
    Other,
}

/// The random a HelloRetryRequest carries instead of a real one (RFC 8446, 4.1.3).
const HELLO_RETRY: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

pub fn classify(buf: &[u8]) -> Answer {
    if buf.starts_with(b"HTTP/") {
        return Answer::Http;
    }
    if buf.len() < 5 {
        let could_be_tls = match buf {
            [] => true,
            [t] => *t == 0x15 || *t == 0x16,
            [t, 3, ..] => *t == 0x15 || *t == 0x16,
            _ => false,
        };
        let could_be_http = b"HTTP/".starts_with(buf);
        return if could_be_tls || could_be_http {
            Answer::Incomplete
        } else {
            Answer::Other
        };
    }
    match (buf[0], buf[1]) {
        (0x16, 0x03) => Answer::Handshake(server_hello(buf)),
        (0x15, 0x03) => Answer::Alert(match (buf.get(5), buf.get(6)) {
            (Some(_), Some(d)) => format!("{} ({d})", alert_name(*d)),
            _ => "alert".to_string(),
        }),
        _ => Answer::Other,
    }
}

/// `TLS 1.3 ServerHello`, `TLS 1.2 ServerHello`, `TLS HelloRetryRequest`, or `TLS handshake` when the record
/// is cut or holds something else.
fn server_hello(buf: &[u8]) -> String {
    let generic = "TLS handshake".to_string();
    // record header (5), handshake type (1) and length (3), legacy_version (2), random (32)
    if buf.get(5) != Some(&0x02) {
        return generic;
    }
    let Some(end) = be24(buf, 6).map(|l| 9 + l as usize) else {
        return generic;
    };
    let Some(random) = buf.get(11..43) else {
        return generic;
    };
    if random == HELLO_RETRY {
        return "TLS 1.3 HelloRetryRequest".to_string();
    }
    let legacy = be16(buf, 9).unwrap_or(0);
    let mut version = legacy;
    // session id, cipher suite (2), compression (1), then extensions
    let walk = || -> Option<u16> {
        let sid = *buf.get(43)? as usize;
        let mut at = 44 + sid + 3;
        let ext_len = be16(buf, at)? as usize;
        at += 2;
        let ext_end = (at + ext_len).min(end).min(buf.len());
        while at + 4 <= ext_end {
            let kind = be16(buf, at)?;
            let len = be16(buf, at + 2)? as usize;
            if kind == 0x002b && len == 2 {
                return be16(buf, at + 4);
            }
            at += 4 + len;
        }
        None
    };
    if let Some(v) = walk() {
        version = v;
    }
    let name = match version {
        0x0304 => "TLS 1.3",
        0x0303 => "TLS 1.2",
        0x0302 => "TLS 1.1",
        0x0301 => "TLS 1.0",
        _ => "TLS",
    };
    format!("{name} ServerHello")
}

fn alert_name(code: u8) -> &'static str {
    match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "alert",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(sni: Option<&str>, alpn: &[&str]) -> Vec<u8> {
        client_hello(&Hello {
            sni,
            alpn,
            random: [7; 32],
            session_id: [9; 32],
            key_share: [5; 32],
        })
    }

    /// Walks the ClientHello as a server would and returns its extensions (type, body).
    fn extensions(rec: &[u8]) -> Vec<(u16, Vec<u8>)> {
        assert_eq!(&rec[..3], &[0x16, 0x03, 0x01]);
        assert_eq!(
            be16(rec, 3).unwrap() as usize,
            rec.len() - 5,
            "record length"
        );
        assert_eq!(rec[5], 0x01, "ClientHello");
        assert_eq!(
            be24(rec, 6).unwrap() as usize,
            rec.len() - 9,
            "handshake length"
        );
        assert_eq!(&rec[9..11], &[0x03, 0x03]);
        assert_eq!(&rec[11..43], &[7; 32]);
        assert_eq!(rec[43], 32);
        let mut at = 44 + 32;
        let suites = be16(rec, at).unwrap() as usize;
        assert_eq!(suites, CIPHER_SUITES.len() * 2);
        at += 2 + suites;
        assert_eq!(&rec[at..at + 2], &[1, 0]);
        at += 2;
        let ext_len = be16(rec, at).unwrap() as usize;
        at += 2;
        assert_eq!(at + ext_len, rec.len(), "extensions fill the rest");
        let mut out = Vec::new();
        while at < rec.len() {
            let kind = be16(rec, at).unwrap();
            let len = be16(rec, at + 2).unwrap() as usize;
            out.push((kind, rec[at + 4..at + 4 + len].to_vec()));
            at += 4 + len;
        }
        assert_eq!(at, rec.len());
        out
    }

    #[test]
    fn client_hello_is_well_formed() {
        let ext = extensions(&hello(Some("app"), &[]));
        let sni = &ext.iter().find(|(k, _)| *k == 0).unwrap().1;
        assert_eq!(sni, &[0, 6, 0, 0, 3, b'a', b'p', b'p']);
        let versions = &ext.iter().find(|(k, _)| *k == 0x2b).unwrap().1;
        assert_eq!(versions, &[4, 3, 4, 3, 3]);
        let share = &ext.iter().find(|(k, _)| *k == 0x33).unwrap().1;
        assert_eq!(&share[..6], &[0, 36, 0, 0x1d, 0, 32]);
        assert!(!ext.iter().any(|(k, _)| *k == 0x10), "no ALPN unless asked");
    }

    #[test]
    fn client_hello_alpn_and_no_sni_for_ips() {
        let ext = extensions(&hello(None, &["h2"]));
        assert!(!ext.iter().any(|(k, _)| *k == 0));
        let alpn = &ext.iter().find(|(k, _)| *k == 0x10).unwrap().1;
        assert_eq!(alpn, &[0, 3, 2, b'h', b'2']);
        assert_eq!(sni_for("10.0.0.1"), None);
        assert_eq!(sni_for("[::1]"), None);
        assert_eq!(sni_for("app"), Some("app"));
    }

    #[test]
    fn classifies_answers() {
        // Recorded: the first bytes nginx 1.22 (`listen 8443 ssl`, default protocols up to TLS 1.2) answered
        // to a ClientHello; the ServerHello, then the start of the Certificate record.
        let recorded = "1603030045020000410303b03fefbb29e961b319db7e11824734971a373ec40ee7e725f077b5048ff539\
                        1500c030000019ff0100010000000000000b0004030001020023000000170000160303030d0b000309";
        let sh: Vec<u8> = (0..recorded.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&recorded[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(
            classify(&sh),
            Answer::Handshake("TLS 1.2 ServerHello".into())
        );
        assert_eq!(
            classify(&sh[..20]),
            Answer::Handshake("TLS handshake".into())
        );
        // A TLS 1.3 ServerHello: legacy version 1.2, the real one in supported_versions.
        let mut tls13 = vec![
            0x16, 0x03, 0x03, 0x00, 0x5a, 0x02, 0x00, 0x00, 0x56, 0x03, 0x03,
        ];
        tls13.extend_from_slice(&[0x11; 32]); // random
        tls13.push(0); // no session id
        tls13.extend_from_slice(&[0x13, 0x02, 0x00]); // suite, compression
        tls13.extend_from_slice(&[0x00, 0x2e]); // extensions length
        tls13.extend_from_slice(&[0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]);
        tls13.extend_from_slice(&[0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20]);
        tls13.extend_from_slice(&[0x22; 32]);
        assert_eq!(
            classify(&tls13),
            Answer::Handshake("TLS 1.3 ServerHello".into())
        );
        assert_eq!(
            classify(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]),
            Answer::Alert("handshake_failure (40)".into())
        );
        assert_eq!(classify(b"HTTP/1.1 400 Bad Request\r\n"), Answer::Http);
        assert_eq!(classify(b"HTT"), Answer::Incomplete);
        assert_eq!(classify(&[0x16, 0x03]), Answer::Incomplete);
        assert_eq!(classify(b""), Answer::Incomplete);
        assert_eq!(classify(b"220 mail"), Answer::Other);
        assert_eq!(classify(b"SSH-2.0-OpenSSH"), Answer::Other);
        let mut hrr = tls13.clone();
        hrr[11..43].copy_from_slice(&HELLO_RETRY);
        assert_eq!(
            classify(&hrr),
            Answer::Handshake("TLS 1.3 HelloRetryRequest".into())
        );
    }
}
