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

/// Random edits of the fixtures through load, targets, the JSON view and envsubst: nothing may panic.
/// (A release run of 200,000 edits found nothing; this keeps a quick version in the suite.)
#[test]
fn mutated_fixtures_never_panic() {
    use compose_doctor::nginx::{crossplane_payload, envsubst};
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    let seeds: Vec<String> = [
        "compose-proxy/root/etc/nginx/conf.d/app.conf",
        "broken/root/etc/nginx/conf.d/c-context.conf",
        "stream-and-templates/root/etc/nginx/stream.d/db.conf",
        "official-default/root/etc/nginx/nginx.conf",
    ]
    .iter()
    .map(|p| std::fs::read_to_string(base.join(p)).unwrap())
    .collect();
    let pieces = [
        "{",
        "}",
        ";",
        "\"",
        "'",
        "\\",
        "$",
        "${",
        "#",
        "\n",
        " ",
        "é",
        "upstream",
        "server",
        "location",
        "proxy_pass",
        "http://",
        "unix:",
        "[::1]",
        ":",
        "set",
        "map",
        "if",
        "include",
        "*",
        "stream",
        "http",
        "$x",
        "grpc://",
        "fastcgi_pass",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let env: BTreeMap<String, String> = [("x".to_string(), "y".to_string())].into_iter().collect();
    for _ in 0..2_000 {
        let mut text: Vec<char> = seeds[(rnd() as usize) % seeds.len()].chars().collect();
        for _ in 0..(1 + rnd() % 8) {
            let at = (rnd() as usize) % (text.len() + 1);
            if rnd() % 3 == 0 && at < text.len() {
                text.remove(at);
            } else {
                let p = pieces[(rnd() as usize) % pieces.len()];
                for (k, c) in p.chars().enumerate() {
                    text.insert(at + k, c);
                }
            }
        }
        let text: String = text.into_iter().collect();
        let mut vfs = Vfs::new();
        vfs.add_inline(
            "/etc/nginx/nginx.conf",
            "/f/nginx.conf",
            text.as_str(),
            Layer::Mount,
            None,
        );
        let cfg = load(&vfs, "/etc/nginx/nginx.conf");
        let _ = targets(&cfg);
        let _ = crossplane_payload(&cfg);
        let _ = envsubst(&text, &env, None);
        let _ = render_template(&text, &env, Some("^(x|y)*$"));
    }
}
