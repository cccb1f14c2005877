// Shared by the static integration tests: load a project through the library the way the CLI does.
#![allow(dead_code)]

use compose_doctor::checks::{self, Analysis};
use compose_doctor::compose::LoadOptions;
use compose_doctor::model::Facts;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus`, or None (with a message) when this clone has no `../shared` beside it.
pub fn shared_corpus() -> Option<PathBuf> {
    let p = root().join("../shared/corpus");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("COMPOSE_DOCTOR_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("../shared/corpus is required (COMPOSE_DOCTOR_REQUIRE_SHARED=1) but absent");
    }
    eprintln!("skipped: ../shared not present beside this clone");
    None
}

/// Loads and checks a project with a clean environment (the test machine's variables must not leak in).
pub fn analyze(dir: &Path, files: &[&str]) -> (Facts, Analysis) {
    let opts = LoadOptions {
        files: files.iter().map(|f| dir.join(f)).collect(),
        working_dir: dir.to_path_buf(),
        environ: BTreeMap::new(),
        ..Default::default()
    };
    let facts =
        compose_doctor::load_facts(&opts).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let analysis = checks::run(&facts);
    (facts, analysis)
}

pub fn route_key(r: &checks::Route) -> String {
    let host = compose_doctor::report::json::host_text(&r.target.host);
    match r.target.effective_port() {
        Some(p) if !host.starts_with("unix:") => format!("{host}:{p}"),
        _ => host,
    }
}

pub fn categories(r: &checks::Route) -> Vec<&'static str> {
    r.codes
        .iter()
        .filter_map(|c| checks::find_rule(c))
        .map(|r| r.category)
        .collect()
}
