//! JUnit XML (`--format junit`) for CI test reports: one test suite per nginx service, one test case per
//! route (`proxy -> target`, class name the proxy service) that fails when a finding on it reaches the
//! `--fail-on` threshold (`error` when it is `never`), and one test case per finding about the proxy's
//! configuration. Findings below the threshold and suppressed ones go to the test case's output.
//! A test case has at most one `<failure>` (what JUnit readers accept): it names the first failing finding
//! and its text lists them all.

use super::{SourceRoot, target_text};
use crate::checks::{Analysis, Finding, Severity};
use crate::config::FailOn;
use crate::model::Facts;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;

fn place(f: &Finding, root: &SourceRoot, facts: &Facts) -> String {
    let (file, line, col) = root.anchor(facts, f);
    format!("{file}:{line}:{col}")
}

fn describe(f: &Finding, root: &SourceRoot, facts: &Facts) -> String {
    let mut s = format!(
        "{}[{}] {} ({})\n  --> {}\n",
        f.severity.as_str(),
        f.rule.code,
        f.message,
        f.rule.name,
        place(f, root, facts)
    );
    if !f.help.is_empty() {
        s.push_str(&format!("  help: {}\n", f.help));
    }
    if let Some(sup) = &f.suppressed {
        s.push_str(&format!(
            "  suppressed ({}): {}\n",
            sup.kind.as_str(),
            sup.reason.as_deref().unwrap_or("no reason given")
        ));
    }
    s
}

/// A test case that fails with `failing` (if any) and prints `others`.
fn case(
    name: String,
    classname: &str,
    failing: &[&Finding],
    others: &[&Finding],
    extra: &[String],
    root: &SourceRoot,
    facts: &Facts,
) -> TestCase {
    let status = match failing.first() {
        None => TestCaseStatus::success(),
        Some(first) => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(format!(
                "{} {}: {}",
                first.rule.code, first.rule.name, first.message
            ));
            let mut codes: Vec<&str> = failing.iter().map(|f| f.rule.code).collect();
            codes.dedup();
            st.set_type(codes.join(","));
            st.set_description(
                failing
                    .iter()
                    .map(|f| describe(f, root, facts))
                    .collect::<String>(),
            );
            st
        }
    };
    let mut tc = TestCase::new(name, status);
    tc.set_classname(classname);
    let mut out: String = others.iter().map(|f| describe(f, root, facts)).collect();
    for e in extra {
        out.push_str(e);
        out.push('\n');
    }
    if !out.is_empty() {
        tc.set_system_out(out);
    }
    tc
}

fn suite<'a>(suites: &'a mut BTreeMap<String, TestSuite>, name: &str) -> &'a mut TestSuite {
    suites
        .entry(name.to_string())
        .or_insert_with(|| TestSuite::new(name.to_string()))
}

pub fn render(facts: &Facts, analysis: &Analysis, fail_on: FailOn, root: &SourceRoot) -> String {
    let threshold = fail_on.threshold().unwrap_or(Severity::Error);
    let fails = |f: &&Finding| f.suppressed.is_none() && f.severity >= threshold;
    let mut suites: BTreeMap<String, TestSuite> = BTreeMap::new();
    for (i, r) in analysis.routes.iter().enumerate() {
        let mine: Vec<&Finding> = analysis
            .findings
            .iter()
            .filter(|f| f.route == Some(i))
            .collect();
        // errors of the proxy's configuration that keep nginx from starting fail its routes too
        let proxy_fatal: Vec<&Finding> = analysis
            .findings
            .iter()
            .filter(|f| {
                f.route.is_none()
                    && f.proxy.as_deref() == Some(r.proxy.as_str())
                    && f.severity == Severity::Error
                    && r.codes.contains(&f.rule.code)
            })
            .collect();
        let mut failing: Vec<&Finding> = mine.iter().copied().filter(fails).collect();
        failing.extend(proxy_fatal.iter().copied().filter(fails));
        let others: Vec<&Finding> = mine.iter().copied().filter(|f| !fails(f)).collect();
        let mut extra = vec![format!(
            "{} {} at {}:{}",
            r.target.directive,
            r.target.raw,
            root.relative(&r.target.loc.file).unwrap_or_else(|| r
                .target
                .loc
                .file
                .display()
                .to_string()),
            r.target.loc.line
        )];
        extra.extend(r.notes.iter().cloned());
        let tc = case(
            format!("{} -> {}", r.proxy, target_text(r)),
            &r.proxy,
            &failing,
            &others,
            &extra,
            root,
            facts,
        );
        suite(&mut suites, &r.proxy).add_test_case(tc);
    }
    for f in analysis.findings.iter().filter(|f| f.route.is_none()) {
        let owner = f.proxy.as_deref().unwrap_or("project");
        let name = format!(
            "{owner}: {} {} at {}",
            f.rule.code,
            f.rule.name,
            place(f, root, facts)
        );
        let (failing, others) = if fails(&f) {
            (vec![f], vec![])
        } else {
            (vec![], vec![f])
        };
        let tc = case(name, owner, &failing, &others, &[], root, facts);
        suite(&mut suites, owner).add_test_case(tc);
    }
    let mut report = Report::new("compose-doctor");
    report.add_test_suites(suites.into_values());
    report.to_string().unwrap_or_default()
}
