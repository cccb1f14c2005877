//! The real projects of `../shared/corpus/projects`: every target of the answer key is found, and no target the
//! key calls OK gets an error.

mod common_static;
use common_static::*;

fn compose_file(project: &str) -> &'static str {
    if project.starts_with("testdrivenio/") {
        "docker-compose.prod.yml"
    } else {
        "compose.yaml"
    }
}

#[test]
fn answer_key_targets_found_and_never_false_errors() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let key = std::fs::read_to_string(corpus.join("projects/answer-key.tsv")).unwrap();
    let mut failures = Vec::new();
    let mut rows = 0;
    for line in key.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let c: Vec<&str> = line.split('\t').collect();
        let (project, nginx_service, host, port, verdict) = (c[0], c[1], c[5], c[6], c[7]);
        let dir = corpus.join("projects").join(project);
        let (facts, analysis) = analyze(&dir, &[compose_file(project)]);
        rows += 1;
        if !facts.proxies.iter().any(|p| p.service == nginx_service) {
            failures.push(format!(
                "{project}: nginx service `{nginx_service}` not detected"
            ));
            continue;
        }
        if verdict == "N/A" {
            let n = analysis
                .routes
                .iter()
                .filter(|r| r.proxy == nginx_service)
                .count();
            if n != 0 {
                failures.push(format!("{project}: expected no targets, found {n}"));
            }
            continue;
        }
        let want = format!("{host}:{port}");
        match analysis
            .routes
            .iter()
            .find(|r| r.proxy == nginx_service && route_key(r) == want)
        {
            None => failures.push(format!(
                "{project}: target {want} not found; routes: {:?}",
                analysis.routes.iter().map(route_key).collect::<Vec<_>>()
            )),
            Some(r) if verdict == "OK" && r.status.as_str() == "error" => failures.push(format!(
                "{project}: {want} is OK in the answer key but got error {:?}",
                r.codes
            )),
            Some(_) => {}
        }
        // nothing in a project the key calls healthy may be an error
        for f in analysis
            .findings
            .iter()
            .filter(|f| f.severity == compose_doctor::checks::Severity::Error)
        {
            failures.push(format!(
                "{project}: unexpected error {} {}",
                f.rule.code, f.message
            ));
        }
    }
    assert!(rows >= 12, "answer key has only {rows} rows");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
