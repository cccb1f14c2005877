//! nginx's tokenizer, written after the behaviour of `ngx_conf_read_token()` (nginx 1.2x):
//!
//! - words are separated by space, tab, CR and LF; `;` and `{` also end a word, `}` does not (`a}` is one word);
//! - `;`, `{`, `}` are tokens of their own where a word may start;
//! - `"..."` and `'...'` quote a word when the quote starts it (a quote inside a word is an ordinary character);
//!   after the closing quote only whitespace, `;`, `{` or `)` may follow (`"a"b` is an error);
//! - `\` escapes the next character everywhere; in the value nginx keeps the backslash except for `\"`, `\'`,
//!   `\\` (the character) and `\t`, `\r`, `\n` (the control character) -- in quoted and unquoted words alike;
//! - `${` inside a word does not start a block;
//! - `#` starts a comment only where a word may start (`a#b` is one word);
//! - a word of 4096 bytes or more is an error (nginx's configuration buffer).
//!
//! The lexer works on bytes and keeps the line and the column (in characters) of every token. It also reads the
//! body of `*_by_lua_block { ... }` directives as one verbatim word (as lua-nginx-module and crossplane's lua
//! extension do), because that body is Lua, not nginx syntax.

use std::borrow::Cow;

/// nginx's configuration buffer: a single word must be shorter.
pub const MAX_WORD_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Word,
    Semicolon,
    BlockStart,
    BlockEnd,
    Comment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokenKind,
    /// Word: the value nginx sees (quotes removed, escapes processed). Comment: the text after `#`.
    /// `;`, `{`, `}`: the character (the `;` that ends a Lua block directive is not written: its `raw` is the
    /// closing `}` of the Lua body).
    pub value: Cow<'a, str>,
    /// The source text: for a word without its surrounding quotes, for a comment with its `#`.
    pub raw: &'a str,
    /// `Some(b'"')` or `Some(b'\'')` when the word was quoted.
    pub quote: Option<u8>,
    /// The body of a `*_by_lua_block`, taken verbatim (its `line`/`column` are those of the `{`).
    pub lua: bool,
    /// 1-based line and column (in characters) of the token's first character (the opening quote if any).
    pub line: u32,
    pub column: u32,
    /// Byte offset of the token's first character.
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub message: String,
    pub help: Option<String>,
    pub line: u32,
    pub column: u32,
}

pub struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
    /// Column cache: the column of byte `col_pos` (on the line starting at `col_line_start`).
    col_line_start: usize,
    col_pos: usize,
    col: u32,
    /// The next word is a directive name.
    stmt_start: bool,
    /// The current directive is a `*_by_lua_block`: its `{` starts a Lua body.
    lua_pending: bool,
    /// A `;` to hand out after a Lua body (line, column, offset).
    queued_semicolon: Option<(u32, u32, usize)>,
    failed: bool,
    /// The whole text is ASCII: a column is a byte distance.
    ascii: bool,
}

/// Bytes that need a look inside an unquoted word: what ends it, `\\`, `$` and `{`.
const WORD_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t[b';' as usize] = true;
    t[b'{' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'$' as usize] = true;
    t[0] = true;
    t
};

/// Bytes that need a look inside a quoted word.
const QUOTED_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'\n' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t[0] = true;
    t
};

#[inline]
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// nginx's escape processing, applied to every word.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.as_bytes().contains(&b'\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('"') | Some('\'') | Some('\\') => {
                    out.push(chars.next().unwrap_or('\\'));
                    continue;
                }
                Some('t') => {
                    chars.next();
                    out.push('\t');
                    continue;
                }
                Some('r') => {
                    chars.next();
                    out.push('\r');
                    continue;
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    Cow::Owned(out)
}

fn describe_char(s: &str) -> String {
    match s.chars().next() {
        Some(c) if c.is_control() => format!("{:?}", c).trim_matches('\'').to_string(),
        Some(c) => c.to_string(),
        None => String::new(),
    }
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer {
            src,
            b: src.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            col_line_start: 0,
            col_pos: 0,
            col: 1,
            stmt_start: true,
            lua_pending: false,
            queued_semicolon: None,
            failed: false,
            ascii: src.is_ascii(),
        }
    }

    /// Starts after `skip` bytes (a byte order mark), which do not count as a column.
    pub fn starting_at(src: &'a str, skip: usize) -> Self {
        let mut l = Lexer::new(src);
        l.pos = skip;
        l.line_start = skip;
        l.col_line_start = skip;
        l.col_pos = skip;
        l
    }

    /// Line and column of the end of the input (where an "unexpected end of file" is).
    pub fn eof_position(&mut self) -> (u32, u32) {
        let end = self.b.len();
        (self.line, self.column_at(end))
    }

    #[inline]
    fn newline_at(&mut self, lf: usize) {
        self.line += 1;
        self.line_start = lf + 1;
    }

    /// Column (in characters) of byte `pos` on the current line. Positions must not go backwards.
    fn column_at(&mut self, pos: usize) -> u32 {
        if self.ascii && pos >= self.line_start {
            return (pos - self.line_start) as u32 + 1;
        }
        if self.col_line_start != self.line_start || pos < self.col_pos {
            self.col_line_start = self.line_start;
            self.col_pos = self.line_start;
            self.col = 1;
        }
        let chars = self.b[self.col_pos..pos]
            .iter()
            .filter(|&&c| (c & 0xC0) != 0x80)
            .count() as u32;
        self.col += chars;
        self.col_pos = pos;
        self.col
    }

    fn error_at(&mut self, pos: usize, message: String, help: Option<String>) -> LexError {
        let column = self.column_at(pos);
        self.failed = true;
        LexError {
            message,
            help,
            line: self.line,
            column,
        }
    }

    fn simple(&mut self, kind: TokenKind, text: &'a str) -> Token<'a> {
        let start = self.pos;
        let column = self.column_at(start);
        self.pos += 1;
        Token {
            kind,
            value: Cow::Borrowed(text),
            raw: &self.src[start..start + 1],
            quote: None,
            lua: false,
            line: self.line,
            column,
            offset: start,
        }
    }

    /// The next token; `Ok(None)` at the end of the input. After an error, always `Ok(None)`.
    pub fn next_token(&mut self) -> Result<Option<Token<'a>>, LexError> {
        if self.failed {
            return Ok(None);
        }
        if let Some((line, column, offset)) = self.queued_semicolon.take() {
            self.stmt_start = true;
            return Ok(Some(Token {
                kind: TokenKind::Semicolon,
                value: Cow::Borrowed(";"),
                raw: &self.src[offset..offset + 1],
                quote: None,
                lua: false,
                line,
                column,
                offset,
            }));
        }
        let b = self.b;
        let len = b.len();
        // whitespace
        while let Some(&c) = b.get(self.pos) {
            if c == b' ' {
                self.pos += 1;
            } else if c == b'\n' {
                self.newline_at(self.pos);
                self.pos += 1;
            } else if c == b'\t' || c == b'\r' {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos >= len {
            return Ok(None);
        }
        match b[self.pos] {
            b';' => {
                self.stmt_start = true;
                self.lua_pending = false;
                Ok(Some(self.simple(TokenKind::Semicolon, ";")))
            }
            b'{' => {
                if self.lua_pending {
                    self.lua_pending = false;
                    return self.lua_body().map(Some);
                }
                self.stmt_start = true;
                Ok(Some(self.simple(TokenKind::BlockStart, "{")))
            }
            b'}' => {
                self.stmt_start = true;
                self.lua_pending = false;
                Ok(Some(self.simple(TokenKind::BlockEnd, "}")))
            }
            b'#' => {
                let start = self.pos;
                let column = self.column_at(start);
                let mut end = start;
                while end < len && b[end] != b'\n' {
                    end += 1;
                }
                self.pos = end;
                let mut text_end = end;
                if text_end > start + 1 && b[text_end - 1] == b'\r' {
                    text_end -= 1;
                }
                let raw = &self.src[start..text_end];
                Ok(Some(Token {
                    kind: TokenKind::Comment,
                    value: Cow::Borrowed(&raw[1..]),
                    raw,
                    quote: None,
                    lua: false,
                    line: self.line,
                    column,
                    offset: start,
                }))
            }
            q @ (b'"' | b'\'') => self.quoted_word(q).map(Some),
            _ => self.word().map(Some),
        }
    }

    /// Notes a directive name (a `*_by_lua_block` name makes the next `{` start a Lua body).
    #[inline]
    fn note_word(&mut self, value: &str) {
        if self.stmt_start {
            self.stmt_start = false;
            self.lua_pending = value.ends_with("_by_lua_block");
        }
    }

    fn nul(&mut self, line: u32, column: u32) -> LexError {
        self.failed = true;
        LexError {
            message: "unexpected NUL byte: this does not look like a text file".into(),
            help: Some("check that the path points to an nginx configuration file".into()),
            line,
            column,
        }
    }

    fn too_long(&mut self, line: u32, column: u32, quote: Option<u8>) -> LexError {
        self.failed = true;
        let message = match quote {
            Some(q) => format!(
                "too long parameter, probably missing terminating \"{}\" character",
                q as char
            ),
            None => "too long parameter".to_string(),
        };
        LexError {
            message,
            help: Some(format!(
                "nginx rejects a single parameter of {MAX_WORD_BYTES} bytes or more: check for a missing \
                 closing quote, or split the value into several shorter parameters"
            )),
            line,
            column,
        }
    }

    fn word(&mut self) -> Result<Token<'a>, LexError> {
        let b = self.b;
        let len = b.len();
        let start = self.pos;
        let line = self.line;
        let column = self.column_at(start);
        let mut pos = start;
        let mut variable = false;
        let mut escaped = false;
        loop {
            // fast path: ordinary bytes (no bounds check per byte)
            if let Some(n) = b[pos..].iter().position(|&c| WORD_SPECIAL[c as usize]) {
                if n > 0 {
                    variable = false;
                }
                pos += n;
            } else {
                pos = len;
            }
            if pos >= len {
                break;
            }
            let c = b[pos];
            if c == b'{' && variable {
                pos += 1;
                continue;
            }
            variable = false;
            match c {
                b'\\' => {
                    escaped = true;
                    pos += 1;
                    if pos < len {
                        if b[pos] == b'\n' {
                            self.newline_at(pos);
                        }
                        pos += 1;
                    }
                    continue;
                }
                b'$' => {
                    variable = true;
                    pos += 1;
                }
                0 => return Err(self.nul(line, column)),
                // space, tab, CR, LF, ";" and "{" (not after "$") end the word
                _ => break,
            }
        }
        // keep the end on a character boundary (an escaped multi-byte character)
        while pos < len && !self.src.is_char_boundary(pos) {
            pos += 1;
        }
        self.pos = pos;
        if pos - start >= MAX_WORD_BYTES {
            return Err(self.too_long(line, column, None));
        }
        let raw = &self.src[start..pos];
        let tok = Token {
            kind: TokenKind::Word,
            value: if escaped {
                unescape(raw)
            } else {
                Cow::Borrowed(raw)
            },
            raw,
            quote: None,
            lua: false,
            line,
            column,
            offset: start,
        };
        self.note_word(&tok.value);
        Ok(tok)
    }

    fn quoted_word(&mut self, q: u8) -> Result<Token<'a>, LexError> {
        let b = self.b;
        let len = b.len();
        let open = self.pos;
        let line = self.line;
        let column = self.column_at(open);
        let start = open + 1;
        let mut pos = start;
        let mut escaped = false;
        loop {
            pos += b[pos..]
                .iter()
                .position(|&c| QUOTED_SPECIAL[c as usize])
                .unwrap_or(len - pos);
            if pos >= len {
                self.failed = true;
                return Err(LexError {
                    message: format!(
                        "unterminated quoted string: missing closing {} character",
                        q as char
                    ),
                    help: Some(format!(
                        "close the string opened here with {0} (a {0} inside it must be written \\{0})",
                        q as char
                    )),
                    line,
                    column,
                });
            }
            let c = b[pos];
            if c == b'\\' {
                escaped = true;
                pos += 1;
                if pos < len {
                    if b[pos] == b'\n' {
                        self.newline_at(pos);
                    }
                    pos += 1;
                }
                continue;
            }
            if c == q {
                break;
            }
            if c == 0 {
                return Err(self.nul(line, column));
            }
            if c == b'\n' {
                self.newline_at(pos);
            }
            pos += 1;
        }
        while !self.src.is_char_boundary(pos) {
            pos += 1;
        }
        let end = pos;
        self.pos = end + 1;
        if end + 1 - start >= MAX_WORD_BYTES {
            return Err(self.too_long(line, column, Some(q)));
        }
        // nginx: after a closing quote only whitespace, ";", "{" or ")" may follow
        if self.pos < len {
            let n = b[self.pos];
            if !(is_space(n) || n == b';' || n == b'{' || n == b')') {
                let at = self.pos;
                let shown = describe_char(&self.src[at..]);
                return Err(self.error_at(
                    at,
                    format!("unexpected \"{shown}\" after a quoted string"),
                    Some(format!(
                        "nginx needs a space, \";\" or \"{{\" after the closing {} quote",
                        q as char
                    )),
                ));
            }
        }
        let raw = &self.src[start..end];
        let tok = Token {
            kind: TokenKind::Word,
            value: if escaped {
                unescape(raw)
            } else {
                Cow::Borrowed(raw)
            },
            raw,
            quote: Some(q),
            lua: false,
            line,
            column,
            offset: open,
        };
        self.note_word(&tok.value);
        Ok(tok)
    }

    /// Skips a Lua long bracket (`[[`, `[==[`) starting at `pos` if there is one; returns the position after it.
    fn skip_long_bracket(&mut self, pos: usize) -> Option<usize> {
        let b = self.b;
        let len = b.len();
        if pos >= len || b[pos] != b'[' {
            return None;
        }
        let mut p = pos + 1;
        let mut level = 0;
        while p < len && b[p] == b'=' {
            level += 1;
            p += 1;
        }
        if p >= len || b[p] != b'[' {
            return None;
        }
        p += 1;
        while p < len {
            if b[p] == b'\n' {
                self.newline_at(p);
            } else if b[p] == b']' {
                let mut e = p + 1;
                let mut l = 0;
                while e < len && b[e] == b'=' {
                    l += 1;
                    e += 1;
                }
                if l == level && e < len && b[e] == b']' {
                    return Some(e + 1);
                }
            }
            p += 1;
        }
        Some(len)
    }

    fn lua_body(&mut self) -> Result<Token<'a>, LexError> {
        let b = self.b;
        let len = b.len();
        let open = self.pos;
        let line = self.line;
        let column = self.column_at(open);
        let start = open + 1;
        let mut pos = start;
        let mut depth = 1usize;
        loop {
            if pos >= len {
                self.failed = true;
                return Err(LexError {
                    message: "unexpected end of file in a Lua block, expecting \"}\"".into(),
                    help: Some(
                        "the Lua code opened here has unbalanced braces or an unterminated string"
                            .into(),
                    ),
                    line,
                    column,
                });
            }
            let c = b[pos];
            match c {
                b'\n' => {
                    self.newline_at(pos);
                    pos += 1;
                }
                b'-' if pos + 1 < len && b[pos + 1] == b'-' => {
                    pos += 2;
                    if let Some(p) = self.skip_long_bracket(pos) {
                        pos = p;
                    } else {
                        while pos < len && b[pos] != b'\n' {
                            pos += 1;
                        }
                    }
                }
                b'"' | b'\'' => {
                    pos += 1;
                    while pos < len && b[pos] != c {
                        if b[pos] == b'\\' {
                            pos += 1;
                        }
                        if pos < len && b[pos] == b'\n' {
                            self.newline_at(pos);
                        }
                        pos += 1;
                    }
                    pos += 1;
                }
                b'[' => {
                    pos = self.skip_long_bracket(pos).unwrap_or(pos + 1);
                }
                b'{' => {
                    depth += 1;
                    pos += 1;
                }
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    pos += 1;
                }
                _ => pos += 1,
            }
        }
        let close_column = self.column_at(pos);
        self.queued_semicolon = Some((self.line, close_column, pos));
        self.pos = pos + 1;
        let raw = &self.src[start..pos];
        Ok(Token {
            kind: TokenKind::Word,
            value: Cow::Borrowed(raw),
            raw,
            quote: None,
            lua: true,
            line,
            column,
            offset: open,
        })
    }
}

/// All tokens of a text (comments included), and the error that stopped the lexer, if any.
pub fn tokenize(text: &str) -> (Vec<Token<'_>>, Option<LexError>) {
    let mut lx = Lexer::new(text);
    let mut out = Vec::new();
    loop {
        match lx.next_token() {
            Ok(Some(t)) => out.push(t),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let (toks, err) = tokenize(text);
        assert!(err.is_none(), "{err:?}");
        toks.into_iter()
            .filter(|t| t.kind != TokenKind::Comment)
            .map(|t| t.value.into_owned())
            .collect()
    }

    fn err(text: &str) -> LexError {
        tokenize(text).1.expect("an error")
    }

    #[test]
    fn separators_and_blocks() {
        assert_eq!(
            words("http{server {listen 80;}}"),
            ["http", "{", "server", "{", "listen", "80", ";", "}", "}"]
        );
        assert_eq!(words("a\tb\r\nc;"), ["a", "b", "c", ";"]);
    }

    #[test]
    fn right_brace_inside_a_word_is_a_character() {
        // nginx: `}` only ends something where a word could start
        assert_eq!(words("return 200 ok};"), ["return", "200", "ok}", ";"]);
    }

    #[test]
    fn quotes_and_escapes_like_nginx() {
        assert_eq!(
            words(r#"a "x y" 'z;{}' "q\"q" 'q\'q' "b\\s" "t\tn\nr\r" "k\$\x";"#),
            [
                "a",
                "x y",
                "z;{}",
                "q\"q",
                "q'q",
                "b\\s",
                "t\tn\nr\r",
                "k\\$\\x",
                ";"
            ]
        );
        // unquoted words are unescaped the same way
        assert_eq!(words(r"a\ b\;c;"), ["a\\ b\\;c", ";"]);
        assert_eq!(words(r"x\nq\\;"), ["x\nq\\", ";"]);
        // a quote inside a word is an ordinary character
        assert_eq!(
            words(r#"right-"quote" in"side";"#),
            [r#"right-"quote""#, r#"in"side""#, ";"]
        );
        assert_eq!(words(r#""" '';"#), ["", "", ";"]);
    }

    #[test]
    fn quoted_then_paren_is_allowed() {
        assert_eq!(
            words(r#"if ($a = "b") { }"#),
            ["if", "($a", "=", "b", ")", "{", "}"]
        );
    }

    #[test]
    fn variables_in_braces_do_not_open_blocks() {
        assert_eq!(
            words("try_files /a/${uri} /b/${uri}.html =404;"),
            ["try_files", "/a/${uri}", "/b/${uri}.html", "=404", ";"]
        );
        assert_eq!(words("set $x ${y}z;"), ["set", "$x", "${y}z", ";"]);
        // `{` not right after `$` ends the word and opens a block
        assert_eq!(words("location /a{ }"), ["location", "/a", "{", "}"]);
    }

    #[test]
    fn hash_is_a_comment_only_at_word_start() {
        let (toks, e) = tokenize("a#b #c d\n e; # f\r\n");
        assert!(e.is_none());
        let v: Vec<_> = toks.iter().map(|t| (t.kind, t.raw)).collect();
        assert_eq!(
            v,
            [
                (TokenKind::Word, "a#b"),
                (TokenKind::Comment, "#c d"),
                (TokenKind::Word, "e"),
                (TokenKind::Semicolon, ";"),
                (TokenKind::Comment, "# f"),
            ]
        );
        assert_eq!(words(r"location /\#x;"), ["location", r"/\#x", ";"]);
    }

    #[test]
    fn right_brace_inside_quotes() {
        assert_eq!(words("log_format x '}';"), ["log_format", "x", "}", ";"]);
    }

    #[test]
    fn lines_and_columns() {
        let (toks, _) = tokenize("a  b;\n  \"c\nd\" é;\r\n\tf;");
        let v: Vec<_> = toks.iter().map(|t| (t.raw, t.line, t.column)).collect();
        assert_eq!(
            v,
            [
                ("a", 1, 1),
                ("b", 1, 4),
                (";", 1, 5),
                ("c\nd", 2, 3),
                ("é", 3, 4),
                (";", 3, 5),
                ("f", 4, 2),
                (";", 4, 3),
            ]
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let (toks, _) = tokenize("return 200 \"Müller\" ü;");
        let v: Vec<_> = toks.iter().map(|t| t.column).collect();
        assert_eq!(v, [1, 8, 12, 21, 22]);
    }

    #[test]
    fn replacement_characters_from_latin1_are_kept() {
        assert_eq!(
            words("return 200 M\u{fffd}lln;"),
            ["return", "200", "M\u{fffd}lln", ";"]
        );
    }

    #[test]
    fn unterminated_quote_points_at_the_opening_quote() {
        let e = err("a;\nb \"xyz;\n}\n");
        assert_eq!((e.line, e.column), (2, 3));
        assert!(e.message.contains("unterminated"), "{}", e.message);
    }

    #[test]
    fn junk_after_closing_quote() {
        let e = err("\"left\"-quote;");
        assert_eq!((e.line, e.column), (1, 7));
        assert!(e.message.contains("\"-\""), "{}", e.message);
        let e = err("a 'b'#c;");
        assert_eq!((e.line, e.column), (1, 6));
        let e = err("a \"b\"};");
        assert_eq!((e.line, e.column), (1, 6));
    }

    #[test]
    fn too_long_word() {
        let long = "x".repeat(MAX_WORD_BYTES);
        let e = err(&format!("a {long};"));
        assert!(e.message.contains("too long"));
        assert_eq!((e.line, e.column), (1, 3));
        let ok = "x".repeat(MAX_WORD_BYTES - 1);
        assert_eq!(words(&format!("a {ok};")).len(), 3);
        let e = err(&format!("a \"{long}\";\n"));
        assert!(e.message.contains("missing terminating"), "{}", e.message);
        // an unterminated quote says so, wherever the file ends
        let e = err(&format!("a \"{long};\n"));
        assert!(e.message.contains("unterminated"), "{}", e.message);
    }

    #[test]
    fn nul_bytes_are_an_error() {
        let e = err("a\0b;");
        assert!(e.message.contains("NUL"));
    }

    #[test]
    fn escaped_newline_counts_lines() {
        let (toks, _) = tokenize("a\\\nb c;");
        let v: Vec<_> = toks.iter().map(|t| (t.raw, t.line)).collect();
        assert_eq!(v, [("a\\\nb", 1), ("c", 2), (";", 2)]);
    }

    #[test]
    fn lua_blocks_are_one_word() {
        let src = "content_by_lua_block {\n  ngx.say(\"}\") -- }\n  local t = { [[}]] }\n}\nx;";
        let (toks, e) = tokenize(src);
        assert!(e.is_none(), "{e:?}");
        let v: Vec<_> = toks
            .iter()
            .map(|t| (t.kind, t.value.as_ref(), t.line))
            .collect();
        assert_eq!(
            v,
            [
                (TokenKind::Word, "content_by_lua_block", 1),
                (
                    TokenKind::Word,
                    "\n  ngx.say(\"}\") -- }\n  local t = { [[}]] }\n",
                    1
                ),
                (TokenKind::Semicolon, ";", 4),
                (TokenKind::Word, "x", 5),
                (TokenKind::Semicolon, ";", 5),
            ]
        );
        // only in directive-name position
        assert_eq!(
            words("server_name content_by_lua_block; upstream content_by_lua_block { }"),
            [
                "server_name",
                "content_by_lua_block",
                ";",
                "upstream",
                "content_by_lua_block",
                "{",
                "}"
            ]
        );
        let e = err("access_by_lua_block { if x then ");
        assert_eq!((e.line, e.column), (1, 21));
    }
}
