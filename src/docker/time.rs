//! RFC 3339 timestamps as Docker writes them (`2026-05-21T10:11:12.123456789Z`, or with an offset), to Unix
//! seconds. Docker's zero time (`0001-01-01T00:00:00Z`: never started, never finished) is `None`.

/// Seconds since the Unix epoch (with fractions), or `None` for Docker's zero time and for anything that is
/// not an RFC 3339 date-time.
pub fn rfc3339_to_unix(s: &str) -> Option<f64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = num(0, 4)?;
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    let hour = num(11, 2)?;
    let minute = num(14, 2)?;
    let second = num(17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    if year <= 1 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        // Year 1 is Go's zero time: Docker's "never".
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut fraction = 0.0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        fraction = format!("0.{}", &frac[..digits]).parse().ok()?;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let ob = rest.as_bytes();
            if ob.len() != 6 || !matches!(ob[0], b'+' | b'-') || ob[3] != b':' {
                return None;
            }
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            let sign = if ob[0] == b'-' { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(secs as f64 + fraction)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `Some(text)` unless it is empty or Docker's zero time.
pub fn non_zero_time(s: Option<&str>) -> Option<String> {
    let s = s?.trim();
    if s.is_empty() || s.starts_with("0001-01-01") {
        None
    } else {
        Some(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(rfc3339_to_unix("1970-01-01T00:00:00Z"), Some(0.0));
        // `date -u -d 2024-02-29T12:34:56Z +%s`
        assert_eq!(
            rfc3339_to_unix("2024-02-29T12:34:56Z"),
            Some(1_709_210_096.0)
        );
        assert_eq!(rfc3339_to_unix("2000-03-01T00:00:00Z"), Some(951_868_800.0));
        assert_eq!(rfc3339_to_unix("1969-12-31T23:59:59Z"), Some(-1.0));
    }

    #[test]
    fn docker_nanoseconds() {
        let t = rfc3339_to_unix("2026-05-21T10:11:12.123456789Z").unwrap();
        let whole = rfc3339_to_unix("2026-05-21T10:11:12Z").unwrap();
        assert!((t - whole - 0.123456789).abs() < 1e-6, "{t} {whole}");
        assert_eq!(whole, 1_779_358_272.0);
    }

    #[test]
    fn offsets() {
        let utc = rfc3339_to_unix("2026-05-21T10:11:12Z").unwrap();
        assert_eq!(rfc3339_to_unix("2026-05-21T12:11:12+02:00"), Some(utc));
        assert_eq!(
            rfc3339_to_unix("2026-05-21T05:41:12.5-04:30"),
            Some(utc + 0.5)
        );
    }

    #[test]
    fn zero_time_and_garbage() {
        assert_eq!(rfc3339_to_unix("0001-01-01T00:00:00Z"), None);
        assert_eq!(non_zero_time(Some("0001-01-01T00:00:00Z")), None);
        assert_eq!(non_zero_time(Some("")), None);
        assert_eq!(
            non_zero_time(Some("2026-05-21T10:11:12Z")).as_deref(),
            Some("2026-05-21T10:11:12Z")
        );
        for bad in [
            "",
            "yesterday",
            "2026-05-21",
            "2026-13-01T00:00:00Z",
            "2026-05-21T10:11:12",
            "2026-05-21T10:11:12.Z",
            "2026-05-21T10:11:12+0200",
            "２０２６-05-21T10:11:12Z",
        ] {
            assert_eq!(rfc3339_to_unix(bad), None, "{bad:?}");
        }
    }
}
