//! What the user asked for on top of the checks: which rules run (`--select`, `--ignore`, `[severity] = off`),
//! their severities (`[severity]`), suppressions, the failure threshold (`--fail-on`) and the minimum
//! severity shown (`--severity`). The checks stay pure; this layer decides what a finding counts for.

use crate::checks::{self, Analysis, Finding, Severity, Suppression};
use crate::config::{FailOn, Level, ProjectConfig};
use crate::model::Facts;
use crate::suppress::Suppressions;

/// The rules that run. A selector is a code (`CD106`), a name (`wrong-port`), a category (`config-missing`),
/// a code prefix (`CD2`: every configuration check) or `all`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `None`: every rule.
    select: Option<Vec<&'static str>>,
    ignore: Vec<&'static str>,
}

/// The rules a selector names, or an error message.
pub fn resolve_selector(sel: &str) -> Result<Vec<&'static str>, String> {
    let s = sel.trim();
    let rules = checks::rules();
    let hit: Vec<&'static str> = if s.eq_ignore_ascii_case("all") {
        rules.iter().map(|r| r.code).collect()
    } else {
        let upper = s.to_ascii_uppercase();
        rules
            .iter()
            .filter(|r| {
                r.code == upper
                    || r.name.eq_ignore_ascii_case(s)
                    || r.category.eq_ignore_ascii_case(s)
                    || (upper.len() >= 3 && upper.starts_with("CD") && r.code.starts_with(&upper))
            })
            .map(|r| r.code)
            .collect()
    };
    if hit.is_empty() {
        Err(format!(
            "`{s}` is no rule code, name, category or code prefix (`compose-doctor rules` lists them)"
        ))
    } else {
        Ok(hit)
    }
}

fn resolve_all(list: &[String]) -> Result<Vec<&'static str>, String> {
    let mut out = Vec::new();
    for item in list {
        for part in item.split(',').filter(|p| !p.trim().is_empty()) {
            out.extend(resolve_selector(part)?);
        }
    }
    Ok(out)
}

impl Selection {
    /// `--select` and `--ignore` values (each may be comma-separated). `--ignore` wins over `--select`.
    pub fn parse(select: &[String], ignore: &[String]) -> Result<Selection, String> {
        Ok(Selection {
            select: if select.is_empty() {
                None
            } else {
                Some(resolve_all(select)?)
            },
            ignore: resolve_all(ignore)?,
        })
    }
    pub fn allows(&self, code: &str) -> bool {
        !self.ignore.contains(&code) && self.select.as_ref().is_none_or(|s| s.contains(&code))
    }
    /// True when the rule was named by `--select` itself (not only by `all`).
    pub fn names(&self, code: &str) -> bool {
        self.select.as_ref().is_some_and(|s| s.contains(&code))
    }
}

/// Everything the policy needs.
pub struct Policy<'a> {
    pub config: &'a ProjectConfig,
    pub selection: &'a Selection,
    pub suppressions: &'a Suppressions,
    /// Report suppressions that matched nothing (CD902; `-v`).
    pub report_unused: bool,
}

impl Policy<'_> {
    /// Applies selection and severity; `false` drops the finding.
    fn admit(&self, f: &mut Finding) -> bool {
        if !self.selection.allows(f.rule.code) {
            return false;
        }
        match self.config.level(f.rule.code) {
            Some(Level::Off) => return false,
            Some(Level::Is(s)) => f.severity = s,
            None => {}
        }
        true
    }

    /// Runs the checks with this policy, then adds the findings about suppressions themselves.
    pub fn analyze(&self, facts: &Facts) -> Analysis {
        let entries = &self.suppressions.entries;
        let mut used = vec![false; entries.len()];
        let mut analysis = checks::run_with(facts, &mut |f, target| {
            if !self.admit(f) {
                return false;
            }
            if let Some(i) = entries.iter().position(|e| e.covers(f, target)) {
                used[i] = true;
                let e = &entries[i];
                f.suppressed = Some(Suppression {
                    kind: e.kind,
                    reason: e.reason.clone(),
                    location: Some(e.loc.clone()),
                });
            }
            true
        });
        let mut meta: Vec<Finding> = self.suppressions.problems.clone();
        for (i, e) in entries.iter().enumerate() {
            let codes = e.codes.join(", ");
            if e.reason.is_none() {
                meta.push(
                    Finding::new(
                        &checks::suppression::WITHOUT_REASON,
                        format!("the suppression of {codes} gives no reason"),
                        "say why the finding does not apply, after the bracket (or in `reason`)",
                    )
                    .at(Some(e.loc.clone())),
                );
            }
            if !used[i]
                && (self.report_unused || self.selection.names(checks::suppression::UNUSED.code))
            {
                meta.push(
                    Finding::new(
                        &checks::suppression::UNUSED,
                        format!("the suppression of {codes} matches no finding"),
                        "remove it, or narrow it to the codes that still apply here",
                    )
                    .at(Some(e.loc.clone())),
                );
            }
        }
        meta.retain_mut(|f| self.admit(f));
        analysis.findings.extend(meta);
        checks::sort_findings(&mut analysis.findings);
        analysis
    }
}

/// Does the analysis fail the run at this threshold? Suppressed findings never do.
pub fn fails(analysis: &Analysis, fail_on: FailOn) -> bool {
    analysis
        .findings
        .iter()
        .any(|f| f.suppressed.is_none() && fail_on.fails(f.severity))
}

/// The analysis as shown: findings below `min` left out (they still count for `fails`).
pub fn shown(analysis: &Analysis, min: Severity) -> Analysis {
    Analysis {
        routes: analysis.routes.clone(),
        findings: analysis
            .findings
            .iter()
            .filter(|f| f.severity >= min)
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        assert_eq!(resolve_selector("cd106").unwrap(), vec!["CD106"]);
        // a name that is also a category selects the category: the probe's refused connections too
        assert_eq!(
            resolve_selector("wrong-port").unwrap(),
            vec!["CD106", "CD402"]
        );
        assert_eq!(resolve_selector("published-port").unwrap(), vec!["CD105"]);
        assert_eq!(
            resolve_selector("config-missing").unwrap(),
            vec!["CD203", "CD204", "CD205"]
        );
        assert!(resolve_selector("CD2").unwrap().len() >= 6);
        assert!(resolve_selector("CD").is_err(), "too short a prefix");
        assert!(resolve_selector("nope").is_err());
        let s = Selection::parse(&["CD1".into()], &["CD106,no-resolver".into()]).unwrap();
        assert!(
            s.allows("CD101") && !s.allows("CD106") && !s.allows("CD108") && !s.allows("CD201")
        );
        assert!(Selection::default().allows("CD201"));
    }

    #[test]
    fn thresholds() {
        assert!(FailOn::Error.fails(Severity::Error) && !FailOn::Error.fails(Severity::Warning));
        assert!(FailOn::Info.fails(Severity::Info));
        assert!(!FailOn::Never.fails(Severity::Error));
    }
}
