//! A small reader for the tar archives the Docker archive API returns (Go's `archive/tar`: ustar, with PAX
//! extended headers for long names, and GNU long-name entries from other writers). Only what we need:
//! entry names, types and the data of regular files.

/// One entry of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path as stored (relative, e.g. `nginx/conf.d/default.conf`).
    pub name: String,
    pub kind: EntryKind,
    /// The size the header announces.
    pub size: u64,
    /// The file's data for regular files no larger than the reader's limit; `None` otherwise.
    pub data: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Other,
}

/// What could be read, and whether the archive ended early (cut off or malformed after that point).
#[derive(Debug, Clone, Default)]
pub struct Archive {
    pub entries: Vec<Entry>,
    /// Why reading stopped before the end-of-archive marker, if it did.
    pub truncated: Option<String>,
}

const BLOCK: usize = 512;

/// Reads every entry of `bytes`; keeps the data of regular files up to `max_file` bytes.
pub fn read(bytes: &[u8], max_file: u64) -> Archive {
    let mut archive = Archive::default();
    let mut pos = 0usize;
    // Names carried over from a PAX `x` header or a GNU `L` entry to the next real entry.
    let mut long_name: Option<String> = None;
    loop {
        let Some(header) = bytes.get(pos..pos + BLOCK) else {
            archive.truncated = Some(if pos < bytes.len() {
                "a partial header block".into()
            } else {
                "no end-of-archive marker".into()
            });
            break;
        };
        if header.iter().all(|&b| b == 0) {
            break; // end of archive (two zero blocks; one is enough for us)
        }
        if !checksum_ok(header) {
            archive.truncated = Some(format!("bad header checksum at byte {pos}"));
            break;
        }
        let Some(size) = parse_size(&header[124..136]) else {
            archive.truncated = Some(format!("bad size field at byte {pos}"));
            break;
        };
        let data_start = pos + BLOCK;
        let padded = size.div_ceil(BLOCK as u64).saturating_mul(BLOCK as u64);
        let Some(next) = usize::try_from(padded)
            .ok()
            .and_then(|p| data_start.checked_add(p))
        else {
            archive.truncated = Some("an entry larger than memory".into());
            break;
        };
        let data_end = data_start.saturating_add(size as usize);
        let data = bytes.get(data_start..data_end.min(bytes.len()));
        let complete = data_end <= bytes.len();
        let typeflag = header[156];
        match typeflag {
            b'x' | b'L' => {
                let Some(data) = data.filter(|_| complete) else {
                    archive.truncated = Some("a cut-off extended header".into());
                    break;
                };
                long_name = if typeflag == b'x' {
                    pax_path(data).or(long_name)
                } else {
                    Some(cstr(data))
                };
                pos = next;
                continue;
            }
            b'g' | b'K' => {
                // Global PAX header, GNU long link name: nothing we use.
                pos = next;
                continue;
            }
            _ => {}
        }
        let name = long_name.take().unwrap_or_else(|| ustar_name(header));
        let kind = match typeflag {
            b'0' | 0 | b'7' => EntryKind::File,
            b'5' => EntryKind::Dir,
            b'2' => EntryKind::Symlink,
            b'1' => EntryKind::Hardlink,
            _ => EntryKind::Other,
        };
        let data = match (kind, data) {
            (EntryKind::File, Some(d)) if complete && size <= max_file => Some(d.to_vec()),
            _ => None,
        };
        archive.entries.push(Entry {
            name,
            kind,
            size,
            data,
        });
        if !complete {
            archive.truncated = Some("the last file is cut off".into());
            break;
        }
        pos = next;
    }
    archive
}

fn cstr(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// `prefix/name` of a ustar header (the prefix only when the magic says ustar).
fn ustar_name(h: &[u8]) -> String {
    let name = cstr(&h[0..100]);
    let prefix = if &h[257..262] == b"ustar" && &h[257..263] != b"ustar " {
        cstr(&h[345..500])
    } else {
        String::new()
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

/// Octal (NUL/space terminated) or base-256 (high bit set, for big files).
fn parse_size(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// The header checksum: the byte sum with the checksum field taken as spaces (signed sums from old
/// writers accepted too).
fn checksum_ok(h: &[u8]) -> bool {
    let Some(stored) = parse_size(&h[148..156]) else {
        return false;
    };
    let unsigned: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    let signed: i64 = h
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(b as i8)
            }
        })
        .sum();
    stored == unsigned || stored as i64 == signed
}

/// The `path=` record of a PAX extended header (`"<len> path=<value>\n"` records).
fn pax_path(data: &[u8]) -> Option<String> {
    let mut rest = data;
    let mut found = None;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..sp]).ok()?.parse().ok()?;
        if len <= sp || len > rest.len() {
            return found;
        }
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(value) = record.strip_prefix(b"path=") {
            found = Some(String::from_utf8_lossy(value).into_owned());
        }
        rest = &rest[len..];
    }
    found
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a ustar header block (what Go's archive/tar writes), for tests.
    pub(crate) fn header(name: &str, typeflag: u8, size: u64, prefix: &str) -> Vec<u8> {
        let mut h = vec![0u8; BLOCK];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        let size = format!("{size:011o}");
        h[124..135].copy_from_slice(size.as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = typeflag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        let sum = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(sum.as_bytes());
        h
    }

    pub(crate) fn entry(out: &mut Vec<u8>, name: &str, typeflag: u8, data: &[u8]) {
        out.extend(header(name, typeflag, data.len() as u64, ""));
        out.extend_from_slice(data);
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        out.extend(std::iter::repeat_n(0u8, pad));
    }

    pub(crate) fn finish(out: &mut Vec<u8>) {
        out.extend(std::iter::repeat_n(0u8, 2 * BLOCK));
    }

    #[test]
    fn files_dirs_links() {
        let mut t = Vec::new();
        entry(&mut t, "nginx/", b'5', b"");
        entry(&mut t, "nginx/nginx.conf", b'0', b"events {}\n");
        entry(&mut t, "nginx/modules", b'2', b"");
        entry(&mut t, "nginx/big", b'0', &[b'x'; 1000]);
        finish(&mut t);
        let a = read(&t, 100);
        assert_eq!(a.truncated, None);
        let names: Vec<_> = a
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.kind))
            .collect();
        assert_eq!(
            names,
            vec![
                ("nginx/", EntryKind::Dir),
                ("nginx/nginx.conf", EntryKind::File),
                ("nginx/modules", EntryKind::Symlink),
                ("nginx/big", EntryKind::File),
            ]
        );
        assert_eq!(a.entries[1].data.as_deref(), Some(&b"events {}\n"[..]));
        assert_eq!(a.entries[3].size, 1000);
        assert_eq!(a.entries[3].data, None, "over the limit");
    }

    #[test]
    fn pax_and_gnu_long_names_and_prefix() {
        let long = format!("nginx/{}/site.conf", "d".repeat(120));
        let mut t = Vec::new();
        let record = format!("path={long}\n");
        // "<len> path=...\n" where len counts itself.
        let mut len = record.len() + 2;
        while record.len() + 1 + len.to_string().len() != len {
            len = record.len() + 1 + len.to_string().len();
        }
        entry(
            &mut t,
            "PaxHeaders/x",
            b'x',
            format!("{len} {record}").as_bytes(),
        );
        entry(&mut t, "nginx/truncated-name", b'0', b"a");
        let mut gnu_name = long.clone().into_bytes();
        gnu_name.push(0);
        entry(&mut t, "././@LongLink", b'L', &gnu_name);
        entry(&mut t, "short", b'0', b"b");
        t.extend(header("f.conf", b'0', 1, "nginx/conf.d"));
        t.push(b'c');
        t.extend(std::iter::repeat_n(0u8, BLOCK - 1));
        finish(&mut t);
        let a = read(&t, 1 << 20);
        assert_eq!(a.truncated, None);
        let names: Vec<_> = a.entries.iter().map(|e| e.name.clone()).collect();
        assert_eq!(
            names,
            vec![long.clone(), long, "nginx/conf.d/f.conf".into()]
        );
        assert_eq!(a.entries[2].data.as_deref(), Some(&b"c"[..]));
    }

    #[test]
    fn cut_off_and_corrupt_archives_do_not_panic() {
        let mut t = Vec::new();
        entry(&mut t, "a.conf", b'0', b"hello");
        entry(&mut t, "b.conf", b'0', &[b'y'; 700]);
        finish(&mut t);
        for cut in [0, 100, 512, 513, 1024, 1030, 1536, 2000, t.len() - 1024] {
            let a = read(&t[..cut], 1 << 20);
            assert!(a.entries.len() <= 2);
            if cut > 0 && cut < t.len() - 1024 {
                assert!(a.truncated.is_some(), "cut at {cut}");
            }
        }
        let a = read(&t[..1024], 1 << 20);
        assert_eq!(a.entries.len(), 1);
        assert_eq!(a.entries[0].data.as_deref(), Some(&b"hello"[..]));
        let mut bad = t.clone();
        bad[10] ^= 0x55; // breaks the first header's checksum
        let a = read(&bad, 1 << 20);
        assert!(a.entries.is_empty());
        assert!(a.truncated.unwrap().contains("checksum"));
        // Random bytes.
        let noise: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let a = read(&noise, 1 << 20);
        assert!(a.entries.is_empty());
    }
}
