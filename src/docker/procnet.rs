//! Listening TCP sockets of a network namespace, from the kernel's `/proc/net/tcp` and `/proc/net/tcp6`
//! tables (read on the host as `/proc/<pid>/net/tcp*`, or inside the container with `cat`).

use crate::live::Listener;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `st` of a socket in LISTEN state.
const TCP_LISTEN: &str = "0A";

/// The address Docker's embedded DNS server listens on inside every container attached to a user-defined
/// network (a TCP socket on a random port, reached through NAT from port 53). It is Docker's, not the
/// container's process: leaving it out keeps "what does the app listen on" honest.
pub const DOCKER_DNS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 11);

/// Every LISTEN socket in one or more concatenated `/proc/net/tcp` / `tcp6` tables (header lines and
/// anything that is not a socket line are skipped). IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) become
/// IPv4 addresses. Sorted, without duplicates, without Docker's embedded DNS listener.
pub fn parse_listeners(text: &str) -> Vec<Listener> {
    let mut out: Vec<Listener> = text
        .lines()
        .filter_map(parse_line)
        .filter(|l| l.addr != IpAddr::V4(DOCKER_DNS))
        .collect();
    out.sort_by_key(|l| (l.port, l.addr));
    out.dedup();
    out
}

/// True when `text` looks like at least one `/proc/net/tcp*` table (has the header line).
pub fn looks_like_table(text: &str) -> bool {
    text.lines().any(|l| {
        let mut w = l.split_whitespace();
        w.next() == Some("sl") && w.next() == Some("local_address")
    })
}

/// `   0: 0100007F:1F90 00000000:0000 0A ...` → a listener when the state is LISTEN.
fn parse_line(line: &str) -> Option<Listener> {
    let mut words = line.split_whitespace();
    let slot = words.next()?;
    if !slot.ends_with(':') || !slot[..slot.len() - 1].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let local = words.next()?;
    let _remote = words.next()?;
    let state = words.next()?;
    if !state.eq_ignore_ascii_case(TCP_LISTEN) {
        return None;
    }
    let (addr, port) = local.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let addr = parse_addr(addr)?;
    Some(Listener { addr, port })
}

/// The kernel prints each 32-bit word of the address as a native-endian integer in hex: 8 digits for IPv4,
/// 32 for IPv6.
fn parse_addr(hex: &str) -> Option<IpAddr> {
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        8 => {
            let word = u32::from_str_radix(hex, 16).ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(word.to_ne_bytes())))
        }
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                let word = u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).ok()?;
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word.to_ne_bytes());
            }
            let v6 = Ipv6Addr::from(bytes);
            Some(match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            })
        }
        _ => None,
    }
}

// The fixtures are little-endian kernels' output (x86_64, aarch64), as almost every Docker host is.
#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0B00007F:9B6B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 508141 1 000000002b3b67ae 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 508200 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 508201 1 0000000000000000 100 0 0 10 0
   3: 0300140A:1F90 0200140A:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 508202 1 0000000000000000 20 4 30 10 -1
   4: 0300140A:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 508203 1 0000000000000000 100 0 0 10 0
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
   3: 0000000000000000FFFF00000300140A:1F93 00000000000000000000000000000000:0000 06 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0
   4: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0000000000000000 100 0 0 10 0
";

    fn l(addr: &str, port: u16) -> Listener {
        Listener {
            addr: addr.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn ipv4_listen_only_without_docker_dns() {
        assert_eq!(
            parse_listeners(TCP),
            vec![l("10.20.0.3", 80), l("127.0.0.1", 3000), l("0.0.0.0", 8080)]
        );
    }

    #[test]
    fn ipv6_and_v4_mapped() {
        let got = parse_listeners(TCP6);
        assert_eq!(
            got,
            vec![
                l("::", 80),
                l("2001:db8::1", 443),
                l("::1", 8081),
                l("127.0.0.1", 8082),
            ]
        );
        assert!(got.iter().find(|x| x.port == 8082).unwrap().is_loopback());
        assert!(got.iter().find(|x| x.port == 8081).unwrap().is_loopback());
        assert!(!got.iter().find(|x| x.port == 80).unwrap().is_loopback());
    }

    #[test]
    fn concatenated_tables_as_cat_prints_them() {
        let both = format!("{TCP}{TCP6}");
        assert!(looks_like_table(&both));
        assert_eq!(parse_listeners(&both).len(), 7);
        assert!(!looks_like_table(
            "cat: can't open '/proc/net/tcp6': No such file"
        ));
    }

    #[test]
    fn garbage_is_skipped() {
        let text = "sl local\n x: 0100007F:1F90 0 0A\n 0: 0100007F:ZZZZ 0 0A\n 0: 01007F:1F90 0 0A\n 0: 0100007F:1F90\n";
        assert!(parse_listeners(text).is_empty());
    }
}
