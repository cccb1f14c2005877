//! Every compose example gets the static verdicts its `expected.tsv` states (column `static`), and the tool
//! finds exactly the targets listed there.

mod common_static;
use common_static::*;

#[test]
fn every_example_matches_its_expected_static_diagnosis() {
    let dir = root().join("compose-examples");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("compose-examples")
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for ex in names {
        let expected = ex.join("expected.tsv");
        if !expected.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&expected).unwrap();
        let (_, analysis) = analyze(&ex, &["compose.yaml"]);
        let name = ex.file_name().unwrap().to_string_lossy().to_string();
        let mut seen = vec![false; analysis.routes.len()];
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(
                cols.len() >= 6,
                "{name}: expected.tsv row has too few columns: {line}"
            );
            let (proxy, target, want) = (cols[1], cols[2], cols[3]);
            let (want_status, want_cat) = want.split_once(':').unwrap_or((want, ""));
            if target == "-" {
                // a problem of the proxy itself (no readable config, a missing mount): a proxy-level finding
                let want_sev = if want_status == "error" {
                    "error"
                } else {
                    "warning"
                };
                let ok = analysis.findings.iter().any(|f| {
                    f.route.is_none()
                        && f.proxy.as_deref() == Some(proxy)
                        && f.rule.category == want_cat
                        && f.severity.as_str() == want_sev
                });
                if !ok {
                    failures.push(format!(
                        "{name}: no {want_sev} {want_cat} finding on proxy {proxy}"
                    ));
                }
                continue;
            }
            let found = analysis
                .routes
                .iter()
                .enumerate()
                .find(|(i, r)| !seen[*i] && r.proxy == proxy && route_key(r) == target);
            let Some((i, r)) = found else {
                failures.push(format!(
                    "{name}: no route {proxy} -> {target}; routes: {:?}",
                    analysis.routes.iter().map(route_key).collect::<Vec<_>>()
                ));
                continue;
            };
            seen[i] = true;
            let cats = categories(r);
            if r.status.as_str() != want_status
                || (!want_cat.is_empty() && !cats.contains(&want_cat))
            {
                failures.push(format!(
                    "{name}: {proxy} -> {target}: expected {want}, got {}:{} (codes {:?}, notes {:?})",
                    r.status.as_str(),
                    cats.join(","),
                    r.codes,
                    r.notes
                ));
            }
        }
        for (i, r) in analysis.routes.iter().enumerate() {
            if !seen[i] {
                failures.push(format!(
                    "{name}: route {} -> {} is not in expected.tsv",
                    r.proxy,
                    route_key(r)
                ));
            }
        }
        checked += 1;
    }
    assert!(
        checked >= 15,
        "only {checked} examples have an expected.tsv"
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
