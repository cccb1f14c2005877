//! `envsubst` as GNU gettext implements it, and the official nginx image's template rendering
//! (`/docker-entrypoint.d/20-envsubst-on-templates.sh`) built on it.
//!
//! GNU `envsubst` replaces `$NAME` and `${NAME}` (NAME = `[A-Za-z_][A-Za-z0-9_]*`; no `${NAME:-default}`, no
//! escaping: `${NAME:-x}` and `$$` stay as written).
//! - `envsubst < file` (no SHELL-FORMAT) replaces EVERY reference, unset variables by the empty string: it wipes
//!   nginx's own `$host`, `$remote_addr`, `$uri`... from a configuration.
//! - `envsubst '$A ${B}' < file` replaces only the variables named in the SHELL-FORMAT (unset ones by the empty
//!   string too) and leaves every other `$...` as written.

use std::collections::BTreeMap;

fn is_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// One `$NAME` / `${NAME}` reference found at a `$`: (name, end index), or `None` when the `$` does not start a
/// valid reference (then it is copied as written).
fn reference_at(b: &[u8], i: usize) -> Option<(usize, usize, usize)> {
    let mut j = i + 1;
    let brace = j < b.len() && b[j] == b'{';
    if brace {
        j += 1;
    }
    if j >= b.len() || !is_start(b[j]) {
        return None;
    }
    let name_start = j;
    while j < b.len() && is_name(b[j]) {
        j += 1;
    }
    let name_end = j;
    if brace {
        if j < b.len() && b[j] == b'}' {
            j += 1;
        } else {
            return None;
        }
    }
    Some((name_start, name_end, j))
}

/// GNU `envsubst`: with `only = None` every `$NAME`/`${NAME}` is replaced (unset: by the empty string); with
/// `only = Some(names)` only those names are replaced and every other reference stays as written.
pub fn envsubst(text: &str, env: &BTreeMap<String, String>, only: Option<&[String]>) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let Some((ns, ne, end)) = reference_at(b, i) else {
            i += 1;
            continue;
        };
        let name = &text[ns..ne];
        let wanted = match only {
            None => true,
            Some(list) => list.iter().any(|n| n == name),
        };
        if wanted {
            out.push_str(&text[copied..i]);
            if let Some(v) = env.get(name) {
                out.push_str(v);
            }
            copied = end;
        }
        i = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The variable names of an envsubst SHELL-FORMAT argument (`'$A ${B}'` -> `["A", "B"]`), in order, without
/// duplicates.
pub fn shell_format_names(format: &str) -> Vec<String> {
    let b = format.as_bytes();
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$'
            && let Some((ns, ne, end)) = reference_at(b, i)
        {
            let n = &format[ns..ne];
            if !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
            i = end;
            continue;
        }
        i += 1;
    }
    names
}

/// The variable references (`$NAME`/`${NAME}`) a text contains, as envsubst sees them, without duplicates.
pub fn referenced_names(text: &str) -> Vec<String> {
    shell_format_names(text)
}

/// The names the official image's entrypoint substitutes: every variable of the container's environment
/// (the image's `ENV`, compose `environment:`, and what Docker sets such as `HOSTNAME`, `HOME`, `PATH`) whose
/// name matches `NGINX_ENVSUBST_FILTER` (awk `name ~ /FILTER/`, unanchored). An empty or absent filter
/// matches every name. A filter outside the supported regex subset (see [`Regex`]) matches nothing, like the
/// script whose awk call fails and leaves envsubst without variables.
pub fn template_variables(env: &BTreeMap<String, String>, filter: Option<&str>) -> Vec<String> {
    let re = match filter {
        None | Some("") => None,
        Some(f) => match Regex::new(f) {
            Some(r) => Some(r),
            None => return Vec::new(),
        },
    };
    env.keys()
        .filter(|k| re.as_ref().is_none_or(|r| r.is_match(k)))
        .cloned()
        .collect()
}

/// Renders a template like `20-envsubst-on-templates.sh` (`envsubst "$defined_envs" < template`): only the
/// variables DEFINED in `env` (and matching `filter`, `NGINX_ENVSUBST_FILTER`) are replaced; every other `$var`,
/// such as nginx's own `$host`, stays as written.
pub fn render_template(text: &str, env: &BTreeMap<String, String>, filter: Option<&str>) -> String {
    let names = template_variables(env, filter);
    envsubst(text, env, Some(&names))
}

/// A small POSIX ERE subset for `NGINX_ENVSUBST_FILTER`: literals, `.`, `[...]` / `[^...]` with ranges,
/// `^`, `$`, `*`, `+`, `?`, `|`, `( )` and `\` escapes. No `{m,n}` and no `[:classes:]` (a filter using them
/// is rejected). Matching is by sets of positions, so no pattern can make it loop or blow up.
#[derive(Debug, Clone)]
pub struct Regex {
    alt: Alt,
}

#[derive(Debug, Clone)]
struct Alt(Vec<Vec<(Node, Rep)>>);

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
    Start,
    End,
    Group(Alt),
}

#[derive(Debug, Clone, Copy)]
enum Rep {
    One,
    Star,
    Plus,
    Opt,
}

struct ReParser<'a> {
    s: &'a [char],
    i: usize,
}

impl ReParser<'_> {
    fn alt(&mut self, depth: usize) -> Option<Alt> {
        if depth > 32 {
            return None;
        }
        let mut branches = vec![Vec::new()];
        while self.i < self.s.len() {
            let c = self.s[self.i];
            match c {
                '|' => {
                    self.i += 1;
                    branches.push(Vec::new());
                    continue;
                }
                ')' => break,
                _ => {}
            }
            self.i += 1;
            let node = match c {
                '(' => {
                    let a = self.alt(depth + 1)?;
                    if self.i >= self.s.len() || self.s[self.i] != ')' {
                        return None;
                    }
                    self.i += 1;
                    Node::Group(a)
                }
                '.' => Node::Any,
                '^' => Node::Start,
                '$' => Node::End,
                '[' => self.class()?,
                '\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    Node::Char(e)
                }
                '*' | '+' | '?' | '{' => return None,
                c => Node::Char(c),
            };
            let rep = match self.s.get(self.i) {
                Some('*') => Rep::Star,
                Some('+') => Rep::Plus,
                Some('?') => Rep::Opt,
                Some('{') => return None,
                _ => Rep::One,
            };
            if !matches!(rep, Rep::One) {
                self.i += 1;
            }
            branches.last_mut()?.push((node, rep));
        }
        Some(Alt(branches))
    }

    fn class(&mut self) -> Option<Node> {
        let mut neg = false;
        if self.s.get(self.i) == Some(&'^') {
            neg = true;
            self.i += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = *self.s.get(self.i)?;
            self.i += 1;
            if c == ']' && !first {
                break;
            }
            if c == '[' && self.s.get(self.i) == Some(&':') {
                return None;
            }
            first = false;
            if self.s.get(self.i) == Some(&'-') && self.s.get(self.i + 1).is_some_and(|&n| n != ']')
            {
                let hi = self.s[self.i + 1];
                self.i += 2;
                ranges.push((c, hi));
            } else {
                ranges.push((c, c));
            }
        }
        Some(Node::Class(ranges, neg))
    }
}

impl Regex {
    pub fn new(pattern: &str) -> Option<Regex> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut p = ReParser { s: &chars, i: 0 };
        let alt = p.alt(0)?;
        if p.i != chars.len() {
            return None;
        }
        Some(Regex { alt })
    }

    /// Whether the pattern matches anywhere in `s` (like awk's `~`).
    pub fn is_match(&self, s: &str) -> bool {
        let chars: Vec<char> = s.chars().collect();
        // every start position at once: the set of positions reachable after the pattern
        let from = vec![true; chars.len() + 1];
        alt_ends(&self.alt, &chars, &from).iter().any(|&b| b)
    }
}

/// Positions (0..=len) as a set.
type Set = Vec<bool>;

fn step(n: &Node, s: &[char], from: &Set) -> Set {
    let mut out = vec![false; from.len()];
    match n {
        Node::Group(a) => return alt_ends(a, s, from),
        Node::Start => out[0] = from[0],
        Node::End => out[s.len()] = from[s.len()],
        _ => {
            for (p, &c) in s.iter().enumerate() {
                if !from[p] {
                    continue;
                }
                let ok = match n {
                    Node::Char(x) => *x == c,
                    Node::Any => true,
                    Node::Class(ranges, neg) => {
                        ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg
                    }
                    _ => false,
                };
                if ok {
                    out[p + 1] = true;
                }
            }
        }
    }
    out
}

fn alt_ends(a: &Alt, s: &[char], from: &Set) -> Set {
    let mut all = vec![false; from.len()];
    for branch in &a.0 {
        let mut cur = from.clone();
        for (node, rep) in branch {
            cur = match rep {
                Rep::One => step(node, s, &cur),
                Rep::Opt => {
                    let more = step(node, s, &cur);
                    cur.iter().zip(more).map(|(a, b)| *a || b).collect()
                }
                Rep::Star | Rep::Plus => {
                    let mut reached = if matches!(rep, Rep::Star) {
                        cur.clone()
                    } else {
                        vec![false; cur.len()]
                    };
                    let mut frontier = step(node, s, &cur);
                    loop {
                        let mut new = vec![false; cur.len()];
                        let mut any = false;
                        for (i, f) in frontier.iter().enumerate() {
                            if *f && !reached[i] {
                                reached[i] = true;
                                new[i] = true;
                                any = true;
                            }
                        }
                        if !any {
                            break;
                        }
                        frontier = step(node, s, &new);
                    }
                    reached
                }
            };
            if !cur.iter().any(|&b| b) {
                break;
            }
        }
        for (i, b) in cur.into_iter().enumerate() {
            all[i] |= b;
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const CONF: &str =
        "proxy_pass http://${BACKEND}:$PORT;\nproxy_set_header Host $host;\nset $x \"${UNSET}\";";

    #[test]
    fn envsubst_without_format_wipes_every_variable() {
        let e = env(&[("BACKEND", "app"), ("PORT", "8080")]);
        assert_eq!(
            envsubst(CONF, &e, None),
            "proxy_pass http://app:8080;\nproxy_set_header Host ;\nset  \"\";"
        );
    }

    #[test]
    fn envsubst_with_format_replaces_only_those() {
        let e = env(&[("BACKEND", "app"), ("PORT", "8080"), ("host", "evil")]);
        let only = shell_format_names("$BACKEND ${PORT} $UNSET");
        assert_eq!(only, ["BACKEND", "PORT", "UNSET"]);
        assert_eq!(
            envsubst(CONF, &e, Some(&only)),
            "proxy_pass http://app:8080;\nproxy_set_header Host $host;\nset $x \"\";"
        );
    }

    #[test]
    fn what_envsubst_leaves_alone() {
        let e = env(&[("A", "1")]);
        assert_eq!(
            envsubst("$$A ${A:-x} ${A ${ $1 $-", &e, None),
            "$1 ${A:-x} ${A ${ $1 $-"
        );
        assert_eq!(envsubst("é$A€${A}", &e, None), "é1€1");
        assert_eq!(envsubst("$A_B$A", &e, None), "1");
        assert_eq!(envsubst("trailing $", &e, None), "trailing $");
    }

    #[test]
    fn shell_format_parsing() {
        assert_eq!(shell_format_names("'$A ${B}'"), ["A", "B"]);
        assert_eq!(shell_format_names("$A,$A;${_x9}${bad"), ["A", "_x9"]);
        assert!(shell_format_names("${} $1 $").is_empty());
    }

    #[test]
    fn template_rendering_keeps_undefined_variables() {
        let e = env(&[("BACKEND", "app"), ("PORT", "8080")]);
        assert_eq!(
            render_template(CONF, &e, None),
            "proxy_pass http://app:8080;\nproxy_set_header Host $host;\nset $x \"${UNSET}\";"
        );
        // the container's own variables are substituted too (HOSTNAME, PATH, ...)
        let e = env(&[("HOSTNAME", "c0ffee"), ("APP_PORT", "1")]);
        assert_eq!(render_template("$HOSTNAME $APP_PORT", &e, None), "c0ffee 1");
        assert_eq!(
            render_template("$HOSTNAME $APP_PORT", &e, Some("APP_")),
            "$HOSTNAME 1"
        );
        assert_eq!(
            render_template("$HOSTNAME $APP_PORT", &e, Some("")),
            "c0ffee 1"
        );
        // an unsupported filter substitutes nothing
        assert_eq!(
            render_template("$HOSTNAME", &e, Some("[[:upper:]]")),
            "$HOSTNAME"
        );
    }

    #[test]
    fn filter_regex_subset() {
        let m = |p: &str, s: &str| Regex::new(p).unwrap().is_match(s);
        assert!(m("NGINX_", "MY_NGINX_HOST"));
        assert!(!m("^NGINX_", "MY_NGINX_HOST"));
        assert!(m("^(NGINX|APP)_", "APP_PORT"));
        assert!(!m("^(NGINX|APP)_$", "APP_PORT"));
        assert!(m("^[A-C]+_[0-9]?X*$", "ABBA_"));
        assert!(m("^[^a-z]*$", "UPPER_1"));
        assert!(!m("^[^a-z]*$", "lower"));
        assert!(m("PORT$|HOST$", "DB_HOST"));
        assert!(m("a.c", "xabcx"));
        assert!(m("\\.", "a.b"));
        assert!(!m("\\.", "ab"));
        assert!(m("(a*)*b", "aaab"));
        assert!(!m("(a*)*b", &"a".repeat(200)));
        assert!(m("^$", ""));
        assert!(!m("^x", "ax"));
        assert!(m("x$", "ax"));
        assert!(Regex::new("a{2}").is_none());
        assert!(Regex::new("(a").is_none());
        assert!(Regex::new("a)").is_none());
    }
}
