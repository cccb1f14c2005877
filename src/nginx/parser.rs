//! Directives from tokens, the way `ngx_conf_parse()` groups them: `name args ;` or `name args { ... }`.
//! No recursion: blocks are kept on an explicit stack, nested at most [`MAX_DEPTH`] levels.

use super::ast::{Arg, Directive, Problem, ProblemKind, Str};
use super::lexer::{LexError, Lexer, TokenKind};
use crate::span::Location;
use std::path::Path;
use std::sync::Arc;

/// Blocks nested deeper than this are refused (real configurations use fewer than ten levels).
pub const MAX_DEPTH: usize = 200;

/// What a file parses to: the directives read before the first error (with open blocks closed), and that
/// error. nginx stops at the first syntax error; we keep what came before it so that the rest of the
/// analysis still sees those directives.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub directives: Vec<Directive>,
    pub problem: Option<Problem>,
}

fn syntax(
    file: &Arc<Path>,
    line: u32,
    column: u32,
    message: String,
    help: Option<String>,
) -> Problem {
    Problem {
        kind: ProblemKind::Syntax,
        message,
        loc: Some(Location {
            file: file.clone(),
            line,
            column,
        }),
        help,
    }
}

fn from_lex(file: &Arc<Path>, e: LexError) -> Problem {
    syntax(file, e.line, e.column, e.message, e.help)
}

struct Open {
    name: Str,
    args: Arc<[Arg]>,
    loc: Location,
    /// Where its children start in the shared list of pending directives.
    start: usize,
}

/// Closes the innermost open block: its children move out of `pending` into one exactly-sized allocation.
fn close(open: Open, pending: &mut Vec<Directive>) {
    let children: Box<[Directive]> = pending.drain(open.start..).collect();
    pending.push(Directive {
        name: open.name,
        args: open.args,
        loc: open.loc,
        block: Some(children),
    });
}

/// Moves the collected arguments out in an exactly-sized allocation (none for a directive without arguments).
fn take_args(scratch: &mut Vec<Arg>) -> Arc<[Arg]> {
    if scratch.is_empty() {
        return Arc::new([]);
    }
    let out: Arc<[Arg]> = scratch.drain(..).collect();
    out
}

/// Parses one file. Never fails: see [`Parsed`].
pub fn parse_partial(text: &str, file: &Arc<Path>) -> Parsed {
    let mut problem: Option<Problem> = None;
    let skip = if text.starts_with('\u{feff}') {
        problem = Some(syntax(
            file,
            1,
            1,
            "the file starts with a UTF-8 byte order mark (BOM)".into(),
            Some(
                "nginx reads the BOM as part of the first directive's name and refuses to start \
                 (unknown directive); save the file as UTF-8 without BOM"
                    .into(),
            ),
        ));
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut lx = Lexer::starting_at(text, skip);
    // the directives of every open level, innermost last (no vector per block while it grows)
    let mut pending: Vec<Directive> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    // the directive being read: name, its location, arguments
    let mut cur: Option<(Str, Location)> = None;
    // arguments are collected here and moved out with an exact-size allocation
    let mut scratch: Vec<Arg> = Vec::with_capacity(16);
    let loc = |line: u32, column: u32| Location {
        file: file.clone(),
        line,
        column,
    };

    let err: Option<Problem> = loop {
        let tok = match lx.next_token() {
            Ok(Some(t)) => t,
            Ok(None) => {
                let (line, column) = lx.eof_position();
                if let Some((name, l)) = &cur {
                    break Some(syntax(
                        file,
                        line,
                        column,
                        "unexpected end of file, expecting \";\" or \"}\"".into(),
                        Some(format!(
                            "directive \"{name}\" at line {}:{} is not terminated by \";\"",
                            l.line, l.column
                        )),
                    ));
                }
                if let Some(open) = stack.last() {
                    break Some(syntax(
                        file,
                        line,
                        column,
                        "unexpected end of file, expecting \"}\"".into(),
                        Some(format!(
                            "the \"{}\" block opened at line {}:{} is not closed",
                            open.name, open.loc.line, open.loc.column
                        )),
                    ));
                }
                break None;
            }
            Err(e) => break Some(from_lex(file, e)),
        };
        match tok.kind {
            TokenKind::Comment => {}
            TokenKind::Word => match &mut cur {
                None => cur = Some((Str::from(tok.value), loc(tok.line, tok.column))),
                Some(_) => scratch.push(Arg::new(
                    Str::from(tok.value),
                    tok.line,
                    tok.column,
                    tok.quote.is_some(),
                )),
            },
            TokenKind::Semicolon => match cur.take() {
                Some((name, l)) => {
                    let args = take_args(&mut scratch);
                    let d = Directive {
                        name,
                        args,
                        loc: l,
                        block: None,
                    };
                    pending.push(d);
                }
                None => {
                    break Some(syntax(
                        file,
                        tok.line,
                        tok.column,
                        "unexpected \";\"".into(),
                        Some("there is no directive before this \";\": remove it".into()),
                    ));
                }
            },
            TokenKind::BlockStart => match cur.take() {
                Some((name, l)) => {
                    let args = take_args(&mut scratch);
                    if stack.len() >= MAX_DEPTH {
                        break Some(syntax(
                            file,
                            tok.line,
                            tok.column,
                            format!("blocks are nested more than {MAX_DEPTH} levels deep"),
                            Some(
                                "check the braces: this is not a configuration nginx can use"
                                    .into(),
                            ),
                        ));
                    }
                    stack.push(Open {
                        name,
                        args,
                        loc: l,
                        start: pending.len(),
                    });
                }
                None => {
                    break Some(syntax(
                        file,
                        tok.line,
                        tok.column,
                        "unexpected \"{\"".into(),
                        Some("a block needs a directive name before \"{\"".into()),
                    ));
                }
            },
            TokenKind::BlockEnd => {
                if let Some((name, l)) = &cur {
                    break Some(syntax(
                        file,
                        tok.line,
                        tok.column,
                        format!(
                            "unexpected \"}}\": directive \"{name}\" is not terminated by \";\""
                        ),
                        Some(format!(
                            "add \";\" after the last argument of \"{name}\" (line {}:{})",
                            l.line, l.column
                        )),
                    ));
                }
                match stack.pop() {
                    Some(open) => close(open, &mut pending),
                    None => {
                        break Some(syntax(
                            file,
                            tok.line,
                            tok.column,
                            "unexpected \"}\"".into(),
                            Some(
                                "there is no open block to close here: remove this \"}\" or look for a block \
                                 closed too early above (every file must have balanced braces on its own)"
                                    .into(),
                            ),
                        ));
                    }
                }
            }
        }
    };

    // close what is still open (after an error)
    while let Some(open) = stack.pop() {
        close(open, &mut pending);
    }
    pending.shrink_to_fit();
    Parsed {
        directives: pending,
        problem: err.or(problem),
    }
}

/// Parses one file as nginx would: the directives, or the first syntax error with its location.
pub fn parse_str(text: &str, file: &Arc<Path>) -> Result<Vec<Directive>, Problem> {
    let p = parse_partial(text, file);
    match p.problem {
        Some(e) => Err(e),
        None => Ok(p.directives),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::path_arc;

    fn f() -> Arc<Path> {
        path_arc(Path::new("/t/nginx.conf"))
    }

    fn ok(text: &str) -> Vec<Directive> {
        parse_str(text, &f()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn bad(text: &str) -> (u32, u32, String) {
        let e = parse_str(text, &f()).expect_err("a syntax error");
        assert_eq!(e.kind, ProblemKind::Syntax);
        let l = e.loc.unwrap();
        (l.line, l.column, e.message)
    }

    /// (name, args, children) as a compact string
    fn show(ds: &[Directive]) -> String {
        ds.iter()
            .map(|d| {
                let mut s = d.name.clone();
                for a in d.args.iter() {
                    s.push(' ');
                    s.push_str(&a.value);
                }
                match &d.block {
                    Some(b) => format!("{s} {{{}}}", show(b)),
                    None => format!("{s};"),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn simple_tree_with_positions() {
        let ds = ok(
            "events {}\nhttp {\n  server {\n    listen 80;\n    location / { proxy_pass http://app:3000; }\n  }\n}\n",
        );
        assert_eq!(
            show(&ds),
            "events {} http {server {listen 80; location / {proxy_pass http://app:3000;}}}"
        );
        let loc = &ds[1].block.as_ref().unwrap()[0].block.as_ref().unwrap()[1];
        assert_eq!((loc.loc.line, loc.loc.column), (5, 5));
        let pass = &loc.block.as_ref().unwrap()[0];
        assert_eq!((pass.loc.line, pass.loc.column), (5, 18));
        assert_eq!((pass.args[0].line, pass.args[0].column()), (5, 29));
        assert_eq!(&*pass.loc.file, Path::new("/t/nginx.conf"));
    }

    #[test]
    fn quoted_flags_and_empty_args() {
        let ds = ok("map $a $b { '' 1; default \"x y\"; }");
        let m = ds[0].block.as_ref().unwrap();
        assert_eq!(m[0].name, "");
        assert_eq!(m[1].args[0].value, "x y");
        assert!(m[1].args[0].quoted());
        assert!(!ds[0].args[0].quoted());
    }

    #[test]
    fn comments_anywhere_between_args() {
        let ds = ok("http { #c1\n log_format #c2\n \\#arg\\ 1 #c3\n '#arg 2' #c4\n ;\n}");
        assert_eq!(show(&ds), "http {log_format \\#arg\\ 1 #arg 2;}");
    }

    #[test]
    fn crlf_and_bom() {
        assert_eq!(show(&ok("a 1;\r\nb {\r\n c;\r\n}\r\n")), "a 1; b {c;}");
        let p = parse_partial("\u{feff}user nginx;\nworker_processes 1;", &f());
        assert_eq!(show(&p.directives), "user nginx; worker_processes 1;");
        let e = p.problem.unwrap();
        assert!(e.message.contains("byte order mark"));
        assert_eq!(e.loc.unwrap().column, 1);
        let p = parse_partial("\u{feff}user nginx;", &f());
        assert_eq!(p.directives[0].loc.column, 1);
    }

    #[test]
    fn missing_semicolon_before_brace() {
        let (l, c, m) =
            bad("http {\n  server {\n    location / {\n      proxy_pass http://x\n    }\n  }\n}\n");
        assert_eq!((l, c), (5, 5));
        assert!(m.contains("\"proxy_pass\" is not terminated"), "{m}");
    }

    #[test]
    fn missing_semicolon_at_eof() {
        let (l, c, m) = bad("user nginx;\nworker_processes 1");
        assert_eq!((l, c), (2, 19));
        assert!(m.contains("unexpected end of file"), "{m}");
        // a word glued to `}` is still one word: nginx reads `80}` and then misses the `;`
        let (l, _, m) = bad("server { listen 80}\n");
        assert_eq!(l, 2);
        assert!(m.contains("expecting \";\""), "{m}");
    }

    #[test]
    fn unexpected_right_brace() {
        let (l, c, m) = bad("http {\n}\n}\n");
        assert_eq!((l, c), (3, 1));
        assert_eq!(m, "unexpected \"}\"");
    }

    #[test]
    fn unclosed_block_at_eof() {
        let (l, c, m) = bad("http {\n  server {\n  }\n");
        assert_eq!((l, c), (4, 1));
        assert!(m.contains("expecting \"}\""), "{m}");
    }

    #[test]
    fn semicolon_or_brace_after_nothing() {
        let (l, c, m) = bad("a;\n  ;");
        assert_eq!((l, c, m.as_str()), (2, 3, "unexpected \";\""));
        let (l, c, m) = bad("a;\n{ }");
        assert_eq!((l, c, m.as_str()), (2, 1, "unexpected \"{\""));
    }

    #[test]
    fn unterminated_quote() {
        let (l, c, m) = bad("a;\nreturn 200 \"oops;\n}\n");
        assert_eq!((l, c), (2, 12));
        assert!(m.contains("unterminated"), "{m}");
    }

    #[test]
    fn partial_result_keeps_what_came_before() {
        let p = parse_partial(
            "http {\n server {\n  location /a { proxy_pass http://a:1; }\n  location /b { proxy_pass http://b:2 }\n }\n}\n",
            &f(),
        );
        assert!(p.problem.is_some());
        assert_eq!(
            show(&p.directives),
            "http {server {location /a {proxy_pass http://a:1;} location /b {}}}"
        );
    }

    #[test]
    fn deep_nesting_is_a_problem_not_a_crash() {
        let depth = 10_000;
        let text = "a {".repeat(depth) + &"}".repeat(depth);
        let (l, c, m) = bad(&text);
        assert_eq!(l, 1);
        assert_eq!(c as usize, (MAX_DEPTH + 1) * 3);
        assert!(m.contains("nested"), "{m}");
        // exactly at the limit is fine
        let text = "a {".repeat(MAX_DEPTH) + &"}".repeat(MAX_DEPTH);
        assert_eq!(ok(&text).len(), 1);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        for round in 0..300 {
            let len = (round * 7) % 400;
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let pick = (seed % 20) as u8;
                bytes.push(match pick {
                    0 => b'{',
                    1 => b'}',
                    2 => b';',
                    3 => b'"',
                    4 => b'\'',
                    5 => b'\\',
                    6 => b'#',
                    7 => b'\n',
                    8 => b' ',
                    9 => b'$',
                    10 => 0xC3,
                    11 => 0xFF,
                    _ => b'a' + (seed % 26) as u8,
                });
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_partial(&text, &f());
        }
        assert!(parse_str("\0\0\0\0", &f()).is_err());
    }

    #[test]
    fn lua_block_is_a_directive_with_one_argument() {
        let ds = ok(
            "http { init_by_lua_block { print(\"{\") } server { set_by_lua_block $res { return 1 } } }",
        );
        let http = ds[0].block.as_ref().unwrap();
        assert_eq!(http[0].name, "init_by_lua_block");
        assert_eq!(http[0].args[0].value, " print(\"{\") ");
        assert!(http[0].block.is_none());
        let s = &http[1].block.as_ref().unwrap()[0];
        assert_eq!(s.args.len(), 2);
        assert_eq!(s.args[0].value, "$res");
    }
}
