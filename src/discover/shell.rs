//! The little of POSIX shell we need to read commands: word splitting with quotes, `$VAR` expansion from a
//! known map, and `envsubst` invocations that render nginx configuration at container start.

use std::collections::BTreeMap;

/// Splits a command line into words the way `sh` would (quotes, backslashes; no expansion).
pub fn split(s: &str) -> Vec<String> {
    split_commands(s).into_iter().flatten().collect()
}

/// Splits a script into simple commands (at `;`, `&&`, `||`, `|`, `&` and new lines), each a list of words.
/// Redirections stay as words (`<`, `>`, `>>`, or glued like `>out`).
pub fn split_commands(s: &str) -> Vec<Vec<String>> {
    let mut cmds: Vec<Vec<String>> = vec![Vec::new()];
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    let flush = |word: &mut String, in_word: &mut bool, cmds: &mut Vec<Vec<String>>| {
        if *in_word {
            cmds.last_mut().unwrap().push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    word.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&n @ ('"' | '\\' | '$' | '`')) => {
                                word.push(n);
                                chars.next();
                            }
                            Some('\n') => {
                                chars.next();
                            }
                            _ => word.push('\\'),
                        },
                        _ => word.push(d),
                    }
                }
            }
            '\\' => {
                if let Some(n) = chars.next()
                    && n != '\n'
                {
                    in_word = true;
                    word.push(n);
                }
            }
            '#' if !in_word => {
                // a comment runs to the end of the line
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                flush(&mut word, &mut in_word, &mut cmds);
                cmds.push(Vec::new());
            }
            ';' | '\n' | '|' | '&' => {
                flush(&mut word, &mut in_word, &mut cmds);
                if matches!(chars.peek(), Some('|') | Some('&')) {
                    chars.next();
                }
                cmds.push(Vec::new());
            }
            '<' | '>' => {
                flush(&mut word, &mut in_word, &mut cmds);
                let mut op = c.to_string();
                if chars.peek() == Some(&'>') {
                    op.push('>');
                    chars.next();
                }
                cmds.last_mut().unwrap().push(op);
            }
            c if c.is_whitespace() => flush(&mut word, &mut in_word, &mut cmds),
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut cmds);
    cmds.retain(|c| !c.is_empty());
    cmds
}

/// Expands `$VAR`, `${VAR}` and `${VAR:-default}` from `vars`; unknown variables stay as written.
pub fn expand_simple(s: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            if b[i + 1] == b'{' {
                if let Some(end) = s[i + 2..].find('}') {
                    let inner = &s[i + 2..i + 2 + end];
                    let (name, default) = match inner.split_once(":-") {
                        Some((n, d)) => (n, Some(d)),
                        None => (inner, None),
                    };
                    match (vars.get(name), default) {
                        (Some(v), _) if !v.is_empty() || default.is_none() => out.push_str(v),
                        (_, Some(d)) => out.push_str(d),
                        _ => out.push_str(&s[i..i + 3 + end]),
                    }
                    i += 3 + end;
                    continue;
                }
            } else {
                let name: String = s[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
                    match vars.get(&name) {
                        Some(v) => out.push_str(v),
                        None => {
                            out.push('$');
                            out.push_str(&name);
                        }
                    }
                    i += 1 + name.len();
                    continue;
                }
            }
        }
        let ch = s[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// One `envsubst` run found in a command: `envsubst [FORMAT] < input > output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envsubst {
    /// The SHELL-FORMAT argument (`'$A ${B}'`) when given: only these variables are replaced.
    pub format: Option<String>,
    pub input: Option<String>,
    pub output: Option<String>,
}

/// Finds `envsubst` invocations in a script (also `cat IN | envsubst > OUT`).
pub fn find_envsubst(script: &str) -> Vec<Envsubst> {
    let cmds = split_commands(script);
    let mut out = Vec::new();
    for (ci, words) in cmds.iter().enumerate() {
        let Some(pos) = words
            .iter()
            .position(|w| w == "envsubst" || w.ends_with("/envsubst"))
        else {
            continue;
        };
        let mut e = Envsubst {
            format: None,
            input: None,
            output: None,
        };
        let mut it = words[pos + 1..].iter().peekable();
        while let Some(w) = it.next() {
            match w.as_str() {
                "<" => e.input = it.next().cloned(),
                ">" | ">>" => e.output = it.next().cloned(),
                w if w.starts_with('-') => {}
                w => {
                    if e.format.is_none() {
                        e.format = Some(w.to_string());
                    }
                }
            }
        }
        if e.input.is_none() && ci > 0 {
            // `cat file | envsubst`
            let prev = &cmds[ci - 1];
            if prev
                .first()
                .map(|w| w == "cat" || w.ends_with("/cat"))
                .unwrap_or(false)
                && prev.len() == 2
            {
                e.input = Some(prev[1].clone());
            }
        }
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_sh() {
        assert_eq!(
            split(r#"nginx -g 'daemon off;'"#),
            vec!["nginx", "-g", "daemon off;"]
        );
        assert_eq!(split(r#"a "b \"c\"" d\ e"#), vec!["a", "b \"c\"", "d e"]);
        assert_eq!(
            split_commands("envsubst < /tmp/a > /etc/b && nginx -g 'daemon off;'"),
            vec![
                vec!["envsubst", "<", "/tmp/a", ">", "/etc/b"],
                vec!["nginx", "-g", "daemon off;"]
            ]
        );
    }

    #[test]
    fn finds_envsubst_forms() {
        let s = "/bin/sh -c \"envsubst < /tmp/nginx.conf > /etc/nginx/conf.d/default.conf && nginx -g 'daemon off;'\"";
        // inside sh -c the script is one word; callers pass the script itself
        let inner = &split(s)[2];
        assert_eq!(
            find_envsubst(inner),
            vec![Envsubst {
                format: None,
                input: Some("/tmp/nginx.conf".into()),
                output: Some("/etc/nginx/conf.d/default.conf".into())
            }]
        );
        let s = "#!/bin/sh\nenvsubst '$FLASK_SERVER_ADDR' < /tmp/default.conf > /etc/nginx/conf.d/default.conf\nnginx -g 'daemon off;'\n";
        assert_eq!(
            find_envsubst(s)[0].format.as_deref(),
            Some("$FLASK_SERVER_ADDR")
        );
        let s = "cat /t/x.tpl | envsubst '${A}' > /etc/nginx/nginx.conf";
        assert_eq!(find_envsubst(s)[0].input.as_deref(), Some("/t/x.tpl"));
    }

    #[test]
    fn expands_known_vars_only() {
        let mut m = BTreeMap::new();
        m.insert("A".to_string(), "x".to_string());
        assert_eq!(expand_simple("$A-${A}-$B-${C:-d}", &m), "x-x-$B-d");
    }
}
