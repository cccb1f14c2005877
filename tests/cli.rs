//! The command line as a user meets it: exit codes, formats, explanations, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compose-doctor"))
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .env("NO_COLOR", "1")
        .output()
        .expect("run compose-doctor")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn example(name: &str) -> PathBuf {
    root().join("compose-examples").join(name)
}

#[test]
fn healthy_example_exits_zero_with_a_table() {
    let o = run(&example("healthy-basic"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("PROXY") && out.contains("app:8080") && out.contains("ok"),
        "{out}"
    );
}

#[test]
fn broken_example_exits_one_with_file_line_and_help() {
    let o = run(&example("wrong-port"), &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("error[CD106]"), "{out}");
    assert!(out.contains("nginx/default.conf:"), "{out}");
    assert!(out.contains("help:"), "{out}");
}

#[test]
fn json_has_the_documented_schema() {
    let o = run(&example("wrong-port"), &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["mode"], "static");
    for k in ["project", "routes", "findings", "summary"] {
        assert!(!v[k].is_null(), "missing {k}");
    }
    let route = &v["routes"][0];
    for k in [
        "proxy_service",
        "host",
        "port",
        "target",
        "directive",
        "service",
        "status",
        "codes",
        "references",
    ] {
        assert!(route.get(k).is_some(), "route lacks {k}: {route}");
    }
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["severity"] == "error")
        .expect("an error finding");
    for k in [
        "code", "name", "category", "severity", "message", "help", "service", "target", "location",
        "related",
    ] {
        assert!(f.get(k).is_some(), "finding lacks {k}: {f}");
    }
    assert!(f["location"]["line"].as_u64().unwrap() > 0);
    assert_eq!(f["category"], "wrong-port");
}

#[test]
fn explain_and_rules() {
    let o = run(&root(), &["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let list = stdout(&o);
    let codes: Vec<String> = list
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert!(codes.len() >= 15, "{list}");
    for code in &codes {
        let o = run(&root(), &["explain", code]);
        assert_eq!(o.status.code(), Some(0), "{code}");
        let t = stdout(&o);
        assert!(
            t.contains("## Why it breaks") && t.contains("## Fix"),
            "{code}: {t}"
        );
    }
    let o = run(&root(), &["explain", "localhost-in-container"]);
    assert!(stdout(&o).starts_with("CD104"));
    let o = run(&root(), &["explain", "no-such-rule"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("compose-doctor rules"));
}

#[test]
fn usage_errors_exit_two() {
    let o = run(&root(), &["--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&root(), &["--version"]);
    assert_eq!(o.status.code(), Some(0));
}

/// Bad compose input: a clear message naming the file (and line where there is one), exit 2, no panic.
#[test]
fn bad_compose_files_exit_two_with_location() {
    let bad = root().join("testdata/compose/bad");
    let mut n = 0;
    for e in std::fs::read_dir(&bad).unwrap().flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("yaml") {
            continue;
        }
        let o = run(&bad, &["-f", p.to_str().unwrap()]);
        let err = stderr(&o);
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        assert!(!err.contains("panicked"), "{name}: {err}");
        if o.status.code() == Some(2) {
            assert!(err.starts_with("error: "), "{name}: {err}");
            assert!(
                err.contains(".yaml") || err.contains(".env"),
                "{name} names no file: {err}"
            );
            n += 1;
        } else {
            // a few files are only odd, not broken (empty, comment-only): they must still not crash
            assert!(
                matches!(o.status.code(), Some(0) | Some(1)),
                "{name}: {:?} {err}",
                o.status
            );
        }
    }
    assert!(n >= 25, "only {n} bad compose files were rejected");
}

#[test]
fn missing_compose_file_and_empty_directory() {
    let o = run(&root(), &["-f", "does-not-exist.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does-not-exist.yaml"));
    let empty = std::env::temp_dir().join(format!("cd-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let o = run(&empty, &[]);
    let _ = std::fs::remove_dir_all(&empty);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("compose"), "{}", stderr(&o));
}

/// Broken nginx input is reported as a finding with file:line, and the exit code says the check is incomplete.
#[test]
fn broken_nginx_configs_are_findings_and_exit_two() {
    for (dir, needle) in [
        ("nginx-syntax", "default.conf:5"),
        ("nginx-cycle", "loop.inc"),
        ("nginx-binary", "default.conf"),
    ] {
        let o = run(&root().join("testdata/cli").join(dir), &[]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(2), "{dir}: {out}{}", stderr(&o));
        assert!(out.contains("[CD201]"), "{dir}: {out}");
        assert!(out.contains(needle), "{dir}: {out}");
        assert!(!stderr(&o).contains("panicked"));
    }
    // the other file of the syntax case is still checked
    let o = run(
        &root().join("testdata/cli/nginx-syntax"),
        &["--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["routes"].as_array().unwrap().iter().any(|r| {
        r["references"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("other.conf")
    }));
}

#[test]
fn huge_compose_file_is_refused_quickly() {
    let dir = std::env::temp_dir().join(format!("cd-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut s = String::from("services:\n  a:\n    image: x\n    environment:\n");
    while s.len() < 50 * 1024 * 1024 {
        s.push_str(
            "      - KEY_WITH_A_LONG_NAME_TO_FILL_THE_FILE=and a value that is long enough\n",
        );
    }
    std::fs::write(dir.join("compose.yaml"), s).unwrap();
    let o = run(&dir, &[]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("compose.yaml"));
}
