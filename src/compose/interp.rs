//! Variable interpolation with compose's grammar: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, nested templates in the
//! default/replacement/error words, and `$$` for a literal `$`. Any other `$` is an invalid template, as in
//! compose ("Invalid interpolation format").
//!
//! Interpolation applies to every scalar value of the tree; mapping keys are left alone, like compose does.

use super::yaml::{Node, Value};
use crate::error::{Error, Warning};

/// Why a template could not be substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpError {
    /// The template is malformed (`${`, `${ }`, `$(`, a lone `$`...).
    Invalid,
    /// `${VAR:?message}` / `${VAR?message}` with the variable missing.
    Required { var: String, message: String },
    /// The result would be larger than [`MAX_VALUE_BYTES`] (variables that expand to ever larger values).
    TooLarge,
}

/// The largest result of one template: a value that doubles at every `.env` line (`A=$A$A`) must not
/// exhaust the memory.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// The most bytes interpolation may produce for one project, all values together.
pub const MAX_TOTAL_BYTES: usize = 256 << 20;

impl InterpError {
    pub fn describe(&self, template: &str) -> String {
        match self {
            InterpError::Invalid => {
                format!("invalid interpolation format in \"{template}\": write $$ for a literal $")
            }
            InterpError::Required { var, message } if message.is_empty() => {
                format!("required variable {var} is missing a value")
            }
            InterpError::Required { var, message } => {
                format!("required variable {var} is missing a value: {message}")
            }
            InterpError::TooLarge => format!(
                "the value of \"{}\" would be larger than {MAX_VALUE_BYTES} bytes after variable expansion",
                template.chars().take(60).collect::<String>()
            ),
        }
    }
}

fn is_name_start(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// Substitutes variables in `template`. `lookup` answers `None` for an unset variable. The names of unset
/// variables that were substituted by a blank string are appended to `unset`.
pub fn substitute(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, InterpError> {
    let b = template.as_bytes();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < b.len() {
        // Copy everything up to the next `$` (all positions we stop at are ASCII, so slicing is safe).
        let Some(off) = template[i..].find('$') else {
            out.push_str(&template[i..]);
            break;
        };
        out.push_str(&template[i..i + off]);
        i += off;
        match b.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                let (value, next) = braced(template, i + 2, lookup, unset)?;
                if out.len() + value.len() > MAX_VALUE_BYTES {
                    return Err(InterpError::TooLarge);
                }
                out.push_str(&value);
                i = next;
            }
            Some(&c) if is_name_start(c) => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && is_name_char(b[j]) {
                    j += 1;
                }
                let name = &template[start..j];
                match lookup(name) {
                    Some(v) if out.len() + v.len() > MAX_VALUE_BYTES => {
                        return Err(InterpError::TooLarge);
                    }
                    Some(v) => out.push_str(&v),
                    None => unset.push(name.to_string()),
                }
                i = j;
            }
            _ => return Err(InterpError::Invalid),
        }
    }
    if out.len() > MAX_VALUE_BYTES {
        return Err(InterpError::TooLarge);
    }
    Ok(out)
}

/// Parses `NAME[op word]}` starting at `start` (just after `${`); returns the value and the index after `}`.
fn braced(
    t: &str,
    start: usize,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<(String, usize), InterpError> {
    let b = t.as_bytes();
    let mut j = start;
    if j >= b.len() || !is_name_start(b[j]) {
        return Err(InterpError::Invalid);
    }
    while j < b.len() && is_name_char(b[j]) {
        j += 1;
    }
    let name = &t[start..j];
    let op: &str = match (b.get(j), b.get(j + 1)) {
        (Some(b'}'), _) => {
            let v = match lookup(name) {
                Some(v) => v,
                None => {
                    unset.push(name.to_string());
                    String::new()
                }
            };
            return Ok((v, j + 1));
        }
        (Some(b':'), Some(b'-')) => ":-",
        (Some(b':'), Some(b'?')) => ":?",
        (Some(b':'), Some(b'+')) => ":+",
        (Some(b'-'), _) => "-",
        (Some(b'?'), _) => "?",
        (Some(b'+'), _) => "+",
        _ => return Err(InterpError::Invalid),
    };
    let word_start = j + op.len();
    // Find the matching `}`, skipping nested `${...}` and `$$`.
    let mut depth = 1;
    let mut k = word_start;
    while k < b.len() {
        match b[k] {
            b'$' if b.get(k + 1) == Some(&b'$') => k += 2,
            b'$' if b.get(k + 1) == Some(&b'{') => {
                depth += 1;
                k += 2;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                k += 1;
            }
            _ => k += 1,
        }
    }
    if depth != 0 {
        return Err(InterpError::Invalid);
    }
    let word = &t[word_start..k];
    let next = k + 1;
    // Compose evaluates the word eagerly (errors in it surface), but only reports unset variables that
    // actually end up in the result.
    let mut word_unset = Vec::new();
    let word_value = substitute(word, lookup, &mut word_unset)?;
    let value = lookup(name);
    let set = value.is_some();
    let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
    let (result, used_word) = match op {
        ":-" if !non_empty => (word_value, true),
        "-" if !set => (word_value, true),
        ":?" if !non_empty => {
            return Err(InterpError::Required {
                var: name.to_string(),
                message: word_value,
            });
        }
        "?" if !set => {
            return Err(InterpError::Required {
                var: name.to_string(),
                message: word_value,
            });
        }
        ":+" => {
            if non_empty {
                (word_value, true)
            } else {
                (String::new(), false)
            }
        }
        "+" => {
            if set {
                (word_value, true)
            } else {
                (String::new(), false)
            }
        }
        _ => (value.unwrap_or_default(), false),
    };
    if used_word {
        unset.extend(word_unset);
    }
    Ok((result, next))
}

/// Interpolates every scalar value under `node` (keys are not interpolated), with a budget of
/// [`MAX_TOTAL_BYTES`] for this tree.
pub fn interpolate_tree(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    let mut budget = MAX_TOTAL_BYTES;
    interpolate_tree_within(node, lookup, warnings, &mut budget)
}

/// [`interpolate_tree`] within `budget` bytes of substituted values (shared by the calls of one project: a
/// small file whose every value names a 1 MiB variable must not need gigabytes).
pub fn interpolate_tree_within(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Warning>,
    budget: &mut usize,
) -> Result<(), Error> {
    match &mut node.value {
        Value::Scalar(s, _) => {
            if s.contains('$') {
                let mut unset = Vec::new();
                let v = substitute(s, lookup, &mut unset)
                    .map_err(|e| Error::at(e.describe(s), node.loc.clone()))?;
                if v.len() > *budget {
                    return Err(Error::at(
                        format!(
                            "variable expansion produces more than {MAX_TOTAL_BYTES} bytes in all: the configuration \
                             was not loaded"
                        ),
                        node.loc.clone(),
                    ));
                }
                *budget -= v.len();
                for name in unset {
                    warnings.push(unset_warning(&name, &node.loc));
                }
                *s = v;
            }
        }
        Value::Seq(items) => {
            for item in items {
                interpolate_tree_within(item, lookup, warnings, budget)?;
            }
        }
        Value::Map(entries) => {
            for (_, v) in entries {
                interpolate_tree_within(v, lookup, warnings, budget)?;
            }
        }
        Value::Null => {}
    }
    Ok(())
}

pub fn unset_warning(name: &str, loc: &crate::span::Location) -> Warning {
    Warning::new(
        format!("The \"{name}\" variable is not set. Defaulting to a blank string."),
        Some(loc.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env() -> HashMap<&'static str, &'static str> {
        HashMap::from([("FOO", "first"), ("BAR", ""), ("B", "bee")])
    }

    fn sub(t: &str) -> Result<(String, Vec<String>), InterpError> {
        let e = env();
        let lookup = |k: &str| e.get(k).map(|v| v.to_string());
        let mut unset = Vec::new();
        let v = substitute(t, &lookup, &mut unset)?;
        Ok((v, unset))
    }

    fn ok(t: &str) -> String {
        sub(t).unwrap().0
    }

    #[test]
    fn plain_and_braced() {
        assert_eq!(ok("This $FOO var"), "This first var");
        assert_eq!(ok("This ${FOO} var"), "This first var");
        assert_eq!(ok("$FOO-bar"), "first-bar");
        assert_eq!(ok("no vars"), "no vars");
        assert_eq!(ok("${FOO}${FOO}"), "firstfirst");
        assert_eq!(ok("é$FOO€"), "éfirst€");
    }

    #[test]
    fn escapes() {
        assert_eq!(ok("$${foo}"), "${foo}");
        assert_eq!(ok("$$FOO"), "$FOO");
        assert_eq!(ok("a$$"), "a$");
    }

    #[test]
    fn unset_is_blank_and_reported() {
        let (v, unset) = sub("This ${missing} var $OTHER").unwrap();
        assert_eq!(v, "This  var ");
        assert_eq!(unset, vec!["missing", "OTHER"]);
        let (v, unset) = sub("This ${BAR} var").unwrap();
        assert_eq!(v, "This  var");
        assert!(unset.is_empty());
    }

    #[test]
    fn defaults() {
        assert_eq!(ok("ok ${missing:-def}"), "ok def");
        assert_eq!(ok("ok ${missing-def}"), "ok def");
        assert_eq!(ok("ok ${BAR:-def}"), "ok def");
        assert_eq!(ok("ok ${BAR-def}"), "ok ");
        assert_eq!(ok("ok ${FOO:-def}"), "ok first");
        assert_eq!(ok("ok ${BAR:-/non:-alphanumeric}"), "ok /non:-alphanumeric");
        assert_eq!(ok("${UNSET_VAR-myerror?msg}"), "myerror?msg");
    }

    #[test]
    fn nested_defaults() {
        assert_eq!(ok("ok ${UNSET_VAR-$FOO}"), "ok first");
        assert_eq!(ok("ok ${UNSET_VAR-${FOO}}"), "ok first");
        assert_eq!(ok("ok ${UNSET_VAR-${FOO} ${FOO}}"), "ok first first");
        assert_eq!(ok("ok ${BAR:-${FOO} ${FOO}}"), "ok first first");
        assert_eq!(ok("${A:-${B:-c}}"), "bee");
        assert_eq!(ok("${A:-${C:-c}}"), "c");
        assert_eq!(ok("${A:-${C:-${D:-deep}}}x"), "deepx");
    }

    #[test]
    fn unused_default_does_not_warn() {
        let (_, unset) = sub("${FOO:-$NOPE}").unwrap();
        assert!(unset.is_empty());
        let (_, unset) = sub("${MISSING:-$NOPE}").unwrap();
        assert_eq!(unset, vec!["NOPE"]);
    }

    #[test]
    fn required() {
        assert_eq!(
            sub("not ok ${UNSET_VAR:?Mandatory Variable Unset}").unwrap_err(),
            InterpError::Required {
                var: "UNSET_VAR".into(),
                message: "Mandatory Variable Unset".into()
            }
        );
        assert!(sub("${BAR:?empty}").is_err());
        assert_eq!(ok("${BAR?err}"), "");
        assert_eq!(ok("${FOO:?err}"), "first");
        assert_eq!(ok("${FOO?bar-baz}"), "first");
        let e = sub("${UNSET_VAR?Mandatory ${FOO}}").unwrap_err();
        assert_eq!(
            e.describe("x"),
            "required variable UNSET_VAR is missing a value: Mandatory first"
        );
        assert_eq!(
            sub("${UNSET_VAR:?}").unwrap_err().describe("x"),
            "required variable UNSET_VAR is missing a value"
        );
    }

    #[test]
    fn alternates() {
        assert_eq!(ok("${FOO:+alt}"), "alt");
        assert_eq!(ok("${BAR:+alt}"), "");
        assert_eq!(ok("${BAR+alt}"), "alt");
        assert_eq!(ok("${NOPE+alt}"), "");
        assert_eq!(ok("${NOPE:+alt}"), "");
    }

    #[test]
    fn invalid_templates() {
        for t in [
            "${", "$}", "${}", "${ }", "${ foo}", "${foo }", "${foo!}", "$(cat x)", "a $ b",
            "end$", "${FOO:-x", "$1",
        ] {
            assert_eq!(sub(t).unwrap_err(), InterpError::Invalid, "{t}");
        }
    }

    #[test]
    fn tree_interpolation_warns_with_location() {
        let mut docs = super::super::yaml::parse_documents(
            "a: ${NOPE}\n${KEY}: x\nb: [$FOO]\n",
            std::path::Path::new("t.yml"),
        )
        .unwrap();
        let e = env();
        let lookup = |k: &str| e.get(k).map(|v| v.to_string());
        let mut w = Vec::new();
        interpolate_tree(&mut docs[0], &lookup, &mut w).unwrap();
        assert_eq!(docs[0].get("a").unwrap().as_str(), Some(""));
        assert_eq!(docs[0].get("${KEY}").unwrap().as_str(), Some("x"));
        assert_eq!(
            docs[0].get("b").unwrap().as_seq().unwrap()[0].as_str(),
            Some("first")
        );
        assert_eq!(w.len(), 1);
        assert_eq!(
            w[0].message,
            "The \"NOPE\" variable is not set. Defaulting to a blank string."
        );
        assert_eq!(w[0].location.as_ref().unwrap().line, 1);

        let mut docs = super::super::yaml::parse_documents(
            "a:\n  b: ${X:?need X}\n",
            std::path::Path::new("t.yml"),
        )
        .unwrap();
        let err = interpolate_tree(&mut docs[0], &lookup, &mut w).unwrap_err();
        assert_eq!(err.location.unwrap().line, 2);
        assert!(err.message.contains("need X"));
    }
}
