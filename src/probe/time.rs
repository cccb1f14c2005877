//! nginx time values (`60s`, `1m 30s`, `500ms`, bare seconds) and the timeouts a probe uses for one target.

use crate::nginx::{PassKind, Target};
use std::time::Duration;

/// Parses an nginx time value as the `*_timeout` directives read it (`ngx_parse_time()` for milliseconds):
/// `NUMBER UNIT` parts with units in decreasing order (`w`, `d`, `h`, `m`, `s`, `ms`; `y` and `M` are not taken
/// by millisecond directives), spaces allowed after a unit, a bare number counting as seconds. A bare number
/// followed by a space closes the value to further units (`30 1` is 31 s, `30 1s` is refused). At most
/// 2^31-1 ms. `None` where nginx says "invalid value".
pub fn parse_nginx_time(text: &str) -> Option<Duration> {
    // Steps in the order nginx walks them; a unit may only follow a larger one.
    #[derive(Clone, Copy, PartialEq, PartialOrd)]
    enum Step {
        Start,
        Week,
        Day,
        Hour,
        Min,
        Sec,
        Msec,
        Last,
    }
    const MAX: u64 = i32::MAX as u64;
    let b = text.as_bytes();
    let mut step = Step::Start;
    let mut value: u64 = 0;
    let mut total: u64 = 0;
    let mut valid = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c.is_ascii_digit() {
            value = value.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            valid = true;
            continue;
        }
        let (next, ms) = match c {
            b'w' => (Step::Week, 7 * 86_400_000),
            b'd' => (Step::Day, 86_400_000),
            b'h' => (Step::Hour, 3_600_000),
            b'm' if b.get(i) == Some(&b's') => {
                i += 1;
                (Step::Msec, 1)
            }
            b'm' => (Step::Min, 60_000),
            b's' => (Step::Sec, 1000),
            b' ' => {
                if step >= Step::Sec {
                    return None;
                }
                (Step::Last, 1000)
            }
            _ => return None,
        };
        if next != Step::Last && step >= next {
            return None;
        }
        step = next;
        total = total.checked_add(value.checked_mul(ms)?)?;
        if total > MAX {
            return None;
        }
        value = 0;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    if !valid {
        return None;
    }
    let total = total.checked_add(value.checked_mul(1000)?)?;
    (total <= MAX).then(|| Duration::from_millis(total))
}

/// nginx's default for `*_connect_timeout`, `*_read_timeout` (and `proxy_timeout` is 10 minutes).
pub const NGINX_DEFAULT: Duration = Duration::from_secs(60);
const STREAM_PROXY_TIMEOUT: Duration = Duration::from_secs(600);

/// One timeout the probe applies: the value nginx uses and the value the probe waits (capped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What nginx waits (from the configuration, else nginx's default).
    pub nginx: Duration,
    /// What the probe waits: `min(nginx, cap)`.
    pub probe: Duration,
}

impl Limit {
    fn new(nginx: Duration, cap: Duration) -> Limit {
        Limit {
            nginx,
            probe: nginx.min(cap),
        }
    }

    /// The probe waits less than nginx would: a timeout here is "slower than the cap", not nginx's 504.
    pub fn capped(&self) -> bool {
        self.probe < self.nginx
    }
}

/// The connect and read timeouts of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Limit,
    pub read: Limit,
}

/// The directive prefix of a pass's timeouts (`proxy`, `fastcgi`, ...).
fn prefix(kind: PassKind) -> &'static str {
    match kind {
        PassKind::Proxy | PassKind::Stream => "proxy",
        PassKind::Fastcgi => "fastcgi",
        PassKind::Uwsgi => "uwsgi",
        PassKind::Scgi => "scgi",
        PassKind::Grpc => "grpc",
        PassKind::Memcached => "memcached",
    }
}

/// The timeouts nginx uses for `target` (from `target.timeouts`, else its defaults), each capped by `cap`.
/// A value nginx would not accept counts as the default.
pub fn timeouts(target: &Target, cap: Duration) -> Timeouts {
    let p = prefix(target.kind);
    let lookup = |name: &str| {
        target
            .timeouts
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| parse_nginx_time(&v.value))
    };
    let connect = lookup(&format!("{p}_connect_timeout")).unwrap_or(NGINX_DEFAULT);
    let read = if target.kind == PassKind::Stream {
        lookup("proxy_timeout").unwrap_or(STREAM_PROXY_TIMEOUT)
    } else {
        lookup(&format!("{p}_read_timeout")).unwrap_or(NGINX_DEFAULT)
    };
    Timeouts {
        connect: Limit::new(connect, cap),
        read: Limit::new(read, cap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> Option<u128> {
        parse_nginx_time(text).map(|d| d.as_millis())
    }

    #[test]
    fn nginx_time_syntax() {
        assert_eq!(ms("60s"), Some(60_000));
        assert_eq!(ms("60"), Some(60_000));
        assert_eq!(ms("1m"), Some(60_000));
        assert_eq!(ms("500ms"), Some(500));
        assert_eq!(ms("1m30s"), Some(90_000));
        assert_eq!(ms("1m 30s"), Some(90_000));
        assert_eq!(ms("1h 30"), Some(3_630_000));
        assert_eq!(ms("1h 30m"), Some(5_400_000));
        assert_eq!(ms("2d"), Some(2 * 86_400_000));
        assert_eq!(ms("1w"), Some(7 * 86_400_000));
        assert_eq!(ms("3s "), Some(3000));
        assert_eq!(ms("30 1"), Some(31_000));
        assert_eq!(ms("0"), Some(0));
        assert_eq!(ms("1s500ms"), Some(1500));
    }

    #[test]
    fn nginx_time_rejects_what_nginx_rejects() {
        for bad in [
            "",
            "s",
            "3x",
            "1s1m",
            "1s 1s",
            "30 1s",
            "-1s",
            "1.5s",
            "1S",
            "3 s",
            "ms",
            "1y",
            "1M",
            "25d",
            "99999999999999999999",
        ] {
            assert_eq!(ms(bad), None, "{bad:?}");
        }
    }
}
