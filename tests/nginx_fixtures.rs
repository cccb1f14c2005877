//! Snapshot tests over the fixtures in testdata/nginx/<case>/:
//! - `root/` is the container's file system (`root/etc/nginx/nginx.conf` is `/etc/nginx/nginx.conf`);
//! - `env` (optional) is the container's environment: every `root/etc/nginx/templates/*.template` is rendered
//!   with it the way the official image's entrypoint does, into `/etc/nginx/conf.d/`;
//! - `expected.json` is what `load` + `targets` make of it (files, problems, targets, as serialized).
//!
//! `UPDATE_SNAPSHOTS=1 cargo test --test nginx_fixtures` rewrites the snapshots; review the diff.

use compose_doctor::nginx::{Layer, Vfs, load, render_template, targets};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FIXTURES: &str = "testdata/nginx";

fn rel(p: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

fn case_vfs(dir: &Path) -> Vfs {
    let root = dir.join("root");
    let mut vfs = Vfs::new();
    vfs.add_host("/", &root, Layer::Image, None);
    let env_file = dir.join("env");
    if env_file.is_file() {
        let env: BTreeMap<String, String> = std::fs::read_to_string(&env_file)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let templates = root.join("etc/nginx/templates");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&templates)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        names.sort();
        for t in names {
            let name = t.file_name().unwrap().to_string_lossy().into_owned();
            let Some(out) = name.strip_suffix(".template") else {
                continue;
            };
            let text = render_template(&std::fs::read_to_string(&t).unwrap(), &env, None);
            vfs.add_inline(
                &format!("/etc/nginx/conf.d/{out}"),
                PathBuf::from(rel(&t)),
                text,
                Layer::Runtime,
                None,
            );
        }
    }
    vfs
}

fn snapshot(dir: &Path) -> Value {
    let cfg = load(&case_vfs(dir), "/etc/nginx/nginx.conf");
    let files: Vec<Value> = cfg
        .files
        .iter()
        .map(|f| {
            json!({
                "container_path": f.container_path,
                "host_path": rel(&f.host_path),
                "included_from": f.included_from.as_ref().map(|l| l.to_string()),
            })
        })
        .collect();
    json!({
        "files": files,
        "problems": serde_json::to_value(&cfg.problems).unwrap(),
        "targets": serde_json::to_value(targets(&cfg)).unwrap(),
    })
}

#[test]
fn fixtures_match_their_snapshots() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("root").is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5);
    let update = std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1");
    let mut failed = Vec::new();
    for case in cases {
        let got = snapshot(&case);
        let file = case.join("expected.json");
        if update {
            std::fs::write(&file, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            continue;
        }
        let want: Value = match std::fs::read_to_string(&file) {
            Ok(t) => serde_json::from_str(&t).unwrap(),
            Err(_) => {
                failed.push(format!(
                    "{}: no expected.json (run with UPDATE_SNAPSHOTS=1)",
                    rel(&case)
                ));
                continue;
            }
        };
        if got != want {
            failed.push(format!(
                "{}: snapshot differs; got:\n{}",
                rel(&case),
                serde_json::to_string_pretty(&got).unwrap()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
