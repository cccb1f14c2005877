//! `.env` files as compose reads them (compose-go's `dotenv` package): `KEY=value`, `KEY: value`,
//! `export KEY=value`, `#` comments, inline ` #` comments after unquoted values, single quotes literal,
//! double quotes with escapes (`\n`, `\t`, `\"`, `\\`, `\$`...) and `${VAR}` expansion, quoted values
//! spanning several lines, `KEY` alone (taken from the lookup when set there), a leading BOM, CRLF.
//!
//! Variable expansion inside values asks `lookup` first (the process environment, as compose does), then
//! the keys defined earlier in the same file.

use super::interp::substitute;
use crate::error::Error;
use crate::span::Location;
use std::collections::HashMap;
use std::path::Path;

/// One variable with the 1-based line its key is written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: u32,
}

/// A parse error at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub message: String,
}

/// Whitespace that is not a line break (compose-go's `isSpace`).
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

struct Lines<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
}

impl Lines<'_> {
    /// The line of byte offset `at` (offsets must not decrease between calls).
    fn at(&mut self, at: usize) -> u32 {
        if at > self.pos {
            self.line += self.src[self.pos..at].matches('\n').count() as u32;
            self.pos = at;
        }
        self.line
    }
}

/// Parses `.env` text. Later definitions of a key replace earlier ones (keeping the later line).
pub fn parse(src: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Entry>, ParseError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut lines = Lines {
        src,
        pos: 0,
        line: 1,
    };
    let mut out: Vec<Entry> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut pos = 0;
    loop {
        // Statement start: skip whitespace (line breaks included) and comment lines.
        let rest = &src[pos..];
        let Some(off) = rest.find(|c: char| !c.is_whitespace()) else {
            break;
        };
        pos += off;
        if src[pos..].starts_with('#') {
            match src[pos..].find('\n') {
                Some(nl) => {
                    pos += nl;
                    continue;
                }
                None => break,
            }
        }
        let line = lines.at(pos);
        // `export` prefix (followed by whitespace).
        let mut s = &src[pos..];
        if let Some(after) = s.strip_prefix("export")
            && after.starts_with(|c: char| c.is_whitespace() && c != '\n')
        {
            s = after.trim_start_matches(is_space);
        }
        let key_start = src.len() - s.len();
        // Key: up to `=`, `:` or a line break.
        let mut key_end = None;
        let mut inherited = false;
        for (i, c) in s.char_indices() {
            if is_space(c) {
                continue;
            }
            match c {
                '=' | ':' => {
                    key_end = Some(i);
                    break;
                }
                '\n' => {
                    key_end = Some(i);
                    inherited = true;
                    break;
                }
                '_' | '.' | '-' | '[' | ']' => {}
                c if c.is_alphanumeric() => {}
                c => {
                    let first_line = s.split('\n').next().unwrap_or("").trim_end();
                    return Err(ParseError {
                        line,
                        message: format!(
                            "unexpected character {c:?} in variable name {first_line:?}"
                        ),
                    });
                }
            }
        }
        let key_end = match key_end {
            Some(k) => k,
            None => {
                // `KEY` alone on the last line, without a line break.
                inherited = true;
                s.len()
            }
        };
        let key = s[..key_end].trim_end().to_string();
        if key.contains(' ') {
            return Err(ParseError {
                line,
                message: format!("key cannot contain a space: {key:?}"),
            });
        }
        let after_key = key_start + key_end + if key_end < s.len() { 1 } else { 0 };
        if inherited {
            if let Some(v) = lookup(&key) {
                set(&mut out, &mut index, key, v, line);
            }
            pos = after_key;
            continue;
        }
        // Value.
        let value_src = &src[after_key..];
        let value_src = value_src.trim_start_matches(is_space);
        let value_start = src.len() - value_src.len();
        let known = |k: &str| lookup(k).or_else(|| index.get(k).map(|&i| out[i].value.clone()));
        let (value, next) = match value_src.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let mut chars = String::new();
                let mut escaped = false;
                let mut end = None;
                for (i, c) in value_src.char_indices().skip(1) {
                    if c == q {
                        if escaped {
                            escaped = false;
                            chars.push(c);
                            continue;
                        }
                        end = Some(i);
                        break;
                    }
                    if escaped {
                        escaped = false;
                        chars.push('\\');
                        chars.push(c);
                        continue;
                    }
                    if c == '\\' {
                        escaped = true;
                        continue;
                    }
                    chars.push(c);
                }
                let Some(end) = end else {
                    let first = value_src.split('\n').next().unwrap_or("").trim_end();
                    return Err(ParseError {
                        line,
                        message: format!("unterminated quoted value {first}"),
                    });
                };
                let value = if q == '"' {
                    expand(&expand_escapes(&chars), &known, line)?
                } else {
                    chars
                };
                (value, value_start + end + 1)
            }
            _ => {
                let (raw, next) = match value_src.find('\n') {
                    Some(nl) => (&value_src[..nl], value_start + nl),
                    None => (value_src, src.len()),
                };
                let raw = raw.split(" #").next().unwrap_or("");
                let raw = raw.trim_end();
                (expand(raw, &known, line)?, next)
            }
        };
        if !key.is_empty() {
            set(&mut out, &mut index, key, value, line);
        }
        pos = next;
    }
    Ok(out)
}

fn set(
    out: &mut Vec<Entry>,
    index: &mut HashMap<String, usize>,
    key: String,
    value: String,
    line: u32,
) {
    match index.get(&key) {
        Some(&i) => {
            out[i].value = value;
            out[i].line = line;
        }
        None => {
            index.insert(key.clone(), out.len());
            out.push(Entry { key, value, line });
        }
    }
}

fn expand(
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    line: u32,
) -> Result<String, ParseError> {
    if !value.contains('$') {
        return Ok(value.to_string());
    }
    let mut unset = Vec::new();
    substitute(value, lookup, &mut unset).map_err(|e| ParseError {
        line,
        message: e.describe(value),
    })
}

/// Escape sequences in double-quoted values. `\$` becomes `$$` so that expansion leaves a literal `$`.
fn expand_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.peek().copied() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('$') => out.push_str("$$"),
            _ => {
                out.push('\\');
                continue;
            }
        }
        it.next();
    }
    out
}

/// Reads and parses an env file; errors carry the file and line.
pub fn read_file(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Entry>, Error> {
    let text = super::yaml::read_source(path)?;
    parse(&text, lookup).map_err(|e| {
        Error::at(
            format!("invalid env file: {}", e.message),
            Location::new(path, e.line, 1),
        )
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn values_that_double_at_every_line_are_bounded() {
        // found by the fuzzer: `A=$A$A` on every line doubles A (2^40 bytes after 40 lines)
        let mut src = String::from("A=0123456789abcdef\n");
        for _ in 0..40 {
            src.push_str("A=$A$A\n");
        }
        let e = parse(&src, &|_| None).unwrap_err();
        assert!(e.message.contains("larger than"), "{}", e.message);
        assert_eq!(e.line, 18, "the line where it passes 1 MiB");
    }
    use super::*;

    fn map(src: &str) -> HashMap<String, String> {
        parse(src, &|_| None)
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect()
    }

    fn one(src: &str) -> (String, String) {
        let v = parse(src, &|_| None).unwrap();
        assert_eq!(v.len(), 1, "{src:?} -> {v:?}");
        (v[0].key.clone(), v[0].value.clone())
    }

    #[test]
    fn parsing_lines() {
        let cases: &[(&str, &str, &str)] = &[
            ("FOO=bar", "FOO", "bar"),
            ("FOO =bar", "FOO", "bar"),
            ("FOO= bar", "FOO", "bar"),
            ("FOO=\"bar\"", "FOO", "bar"),
            ("FOO='bar'", "FOO", "bar"),
            ("FOO=\"escaped\\\"bar\"", "FOO", "escaped\"bar"),
            ("FOO=\"'d'\"", "FOO", "'d'"),
            ("OPTION_A: 1", "OPTION_A", "1"),
            ("OPTION_A: Foo=bar", "OPTION_A", "Foo=bar"),
            ("OPTION_A=1:B", "OPTION_A", "1:B"),
            ("export OPTION_A=2", "OPTION_A", "2"),
            ("export OPTION_B='\\n'", "OPTION_B", "\\n"),
            ("export exportFoo=2", "exportFoo", "2"),
            ("exportFOO=2", "exportFOO", "2"),
            ("export_FOO =2", "export_FOO", "2"),
            ("export.FOO= 2", "export.FOO", "2"),
            ("export\tOPTION_A=2", "OPTION_A", "2"),
            ("  export OPTION_A=2", "OPTION_A", "2"),
            ("FOO=\"bar\\nbaz\"", "FOO", "bar\nbaz"),
            ("FOO.BAR=foobar", "FOO.BAR", "foobar"),
            ("FOO=foobar=", "FOO", "foobar="),
            ("FOO=bar ", "FOO", "bar"),
            ("FOO=bar # this is foo", "FOO", "bar"),
            ("FOO=\"bar#baz\" # comment", "FOO", "bar#baz"),
            ("FOO='bar#baz' # comment", "FOO", "bar#baz"),
            ("FOO=bar#baz", "FOO", "bar#baz"),
            (" KEY =value", "KEY", "value"),
            ("\tKEY=value", "KEY", "value"),
            ("VAR-WITH-DASHES=dashes", "VAR-WITH-DASHES", "dashes"),
            ("K='Let\\'s go!'", "K", "Let's go!"),
            ("K=\"a\\$B\"", "K", "a$B"),
            ("K=\"a\\\\b\"", "K", "a\\b"),
        ];
        for (src, k, v) in cases {
            assert_eq!(one(src), (k.to_string(), v.to_string()), "{src}");
        }
    }

    #[test]
    fn ignored_lines() {
        for src in ["\n", "\r\n", "\t\t ", "# Comment", "\t # comment"] {
            assert!(parse(src, &|_| None).unwrap().is_empty(), "{src:?}");
        }
    }

    #[test]
    fn expansion() {
        let m =
            map("FOO=test\nBAR=$FOO\nBAZ=${FOO}bar\nQ=\"quote $FOO\"\nS='quote $FOO'\nU=$NOPE\n");
        assert_eq!(m["BAR"], "test");
        assert_eq!(m["BAZ"], "testbar");
        assert_eq!(m["Q"], "quote test");
        assert_eq!(m["S"], "quote $FOO");
        assert_eq!(m["U"], "");
        let m = map("FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"\n");
        assert_eq!(m["BAR"], "foo${FOO} test");
        let m = map("A=${A:-1}\nB=${A}_${NOPE:-x}\n");
        assert_eq!(m["A"], "1");
        assert_eq!(m["B"], "1_x");
    }

    #[test]
    fn lookup_wins_over_earlier_keys() {
        let v = parse("A=1\nB=$A\nC\nD\n", &|k| match k {
            "A" => Some("env".into()),
            "C" => Some("from-env".into()),
            _ => None,
        })
        .unwrap();
        let m: HashMap<_, _> = v.into_iter().map(|e| (e.key, e.value)).collect();
        assert_eq!(m["A"], "1");
        assert_eq!(m["B"], "env");
        assert_eq!(m["C"], "from-env");
        assert!(!m.contains_key("D"));
    }

    #[test]
    fn multiline_quoted_and_lines() {
        let v = parse(
            "# c\nA='first\nsecond'\nB=\"x\ny\"\n\nC=3\r\nD = \"last\" # c\n",
            &|_| None,
        )
        .unwrap();
        assert_eq!(v[0].value, "first\nsecond");
        assert_eq!(v[0].line, 2);
        assert_eq!(v[1].value, "x\ny");
        assert_eq!(v[1].line, 4);
        assert_eq!(
            (v[2].key.as_str(), v[2].value.as_str(), v[2].line),
            ("C", "3", 7)
        );
        assert_eq!((v[3].value.as_str(), v[3].line), ("last", 8));
    }

    #[test]
    fn bom_and_crlf() {
        let m = map("\u{feff}A=1\r\nB = 2 \r\n");
        assert_eq!(m["A"], "1");
        assert_eq!(m["B"], "2");
    }

    #[test]
    fn errors_have_lines() {
        let e = parse(
            "# x\nfoo=\"\n  a\n  multine\n\"\nINVALID LINE\nzot=qix",
            &|_| None,
        )
        .unwrap_err();
        assert_eq!(e.line, 6);
        assert!(e.message.contains("space"), "{}", e.message);
        let e = parse("A=1\nB=\"open\n", &|_| None).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unterminated"));
        let e = parse("A=1\nlol$wut\n", &|_| None).unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("A=1\nB=a$(x)\n", &|_| None).unwrap_err();
        assert_eq!(e.line, 2);
    }

    #[test]
    fn key_alone_at_end_of_file() {
        let v = parse("A=1\nLAST", &|k| (k == "LAST").then(|| "v".to_string())).unwrap();
        assert_eq!(v[1].key, "LAST");
        assert_eq!(v[1].value, "v");
    }

    #[test]
    fn later_definition_wins() {
        let v = parse("A=1\nA=2\n", &|_| None).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].value.as_str(), v[0].line), ("2", 2));
    }
}
