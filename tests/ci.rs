//! The tool in CI and in a developer's hands: every output format (snapshots), SARIF against the official
//! schema, JUnit parsed back, thresholds, rule selection, suppressions, generated docs and shell helpers.
//!
//! Snapshots live in `tests/snapshots/`; `UPDATE_SNAPSHOTS=1 cargo test --test ci` rewrites them.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_compose-doctor"));
    c.args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .env_remove("COMPOSE_DOCTOR_FORMAT")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run compose-doctor")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_env(dir, args, &[])
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn example(name: &str) -> PathBuf {
    root().join("compose-examples").join(name)
}

fn fixture(name: &str) -> PathBuf {
    root().join("testdata/suppress").join(name)
}

/// Compares with (or, with UPDATE_SNAPSHOTS=1, writes) `tests/snapshots/NAME`.
fn snapshot(name: &str, actual: &str) {
    let path = root().join("tests/snapshots").join(name);
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("no snapshot {name}; run `UPDATE_SNAPSHOTS=1 cargo test --test ci` to create it")
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  - {a}\n  + {b}", i + 1))
            .collect();
        panic!(
            "snapshot {name} differs ({} vs {} lines):\n{}\nrun `UPDATE_SNAPSHOTS=1 cargo test --test ci` if the change is intended",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

/// (format flag, snapshot extension)
const FORMATS: &[(&str, &str)] = &[
    ("table", "txt"),
    ("json", "json"),
    ("sarif", "sarif"),
    ("junit", "junit.xml"),
    ("github", "github.txt"),
    ("gitlab", "gitlab.json"),
    ("graph", "mmd"),
    ("graph-dot", "dot"),
];

#[test]
fn snapshots_of_every_format() {
    let source_root = root();
    let cases: Vec<(String, PathBuf)> = [
        "wrong-port",
        "healthy-basic",
        "unknown-host",
        "partial-upstream",
    ]
    .iter()
    .map(|n| (n.to_string(), example(n)))
    .chain([("suppress-nginx-inline".to_string(), fixture("nginx-inline"))])
    .collect();
    for (name, dir) in &cases {
        for (format, ext) in FORMATS {
            let o = run(
                dir,
                &[
                    "--format",
                    format,
                    "--source-root",
                    source_root.to_str().unwrap(),
                ],
            );
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{name} {format}: {:?} {}",
                o.status,
                err(&o)
            );
            let text = out(&o);
            assert!(
                !text.contains(source_root.to_str().unwrap()),
                "{name} {format}: a machine path:\n{text}"
            );
            snapshot(&format!("{name}.{ext}"), &text);
        }
    }
}

fn sarif_validator() -> jsonschema::Validator {
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/sarif/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    // The OASIS file's pattern for `language` (of `run` and `toolComponent`) has a stray `]`, which a strict
    // validator refuses to compile. Our logs never set `language`; the test mends that pattern in memory (the
    // vendored file stays as published) so that the rest of the schema is enforced.
    let mended = ["run", "toolComponent"]
        .iter()
        .filter(|d| {
            let p = &mut schema["definitions"][**d]["properties"]["language"]["pattern"];
            let bad = p == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
            if bad {
                *p = Value::String("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into());
            }
            bad
        })
        .count();
    assert_eq!(mended, 2, "the schema's known erratum");
    jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
}

/// Every example and fixture gives SARIF that the OASIS schema accepts, plus what GitHub code scanning needs
/// beyond the schema: a location on every result, relative URIs, rules for every result.
#[test]
fn sarif_is_valid_for_every_example() {
    let validator = sarif_validator();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("compose-examples"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.extend(
        std::fs::read_dir(root().join("testdata/suppress"))
            .unwrap()
            .flatten()
            .map(|e| e.path()),
    );
    dirs.sort();
    assert!(dirs.len() > 30);
    let mut results = 0;
    for dir in &dirs {
        let o = run(dir, &["--format", "sarif", "-v"]);
        let v: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", dir.display(), err(&o)));
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", dir.display());
        let run = &v["runs"][0];
        let ids: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        for r in run["results"].as_array().unwrap() {
            results += 1;
            assert!(ids.contains(&r["ruleId"].as_str().unwrap()));
            let rule_index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(ids[rule_index], r["ruleId"].as_str().unwrap());
            let loc = &r["locations"][0]["physicalLocation"];
            let uri = loc["artifactLocation"]["uri"].as_str().expect("a location");
            assert!(!uri.starts_with('/') && !uri.contains(':'), "{uri}");
            assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        }
    }
    assert!(results > 30, "only {results} results");
}

#[test]
fn sarif_schema_rejects_a_broken_log() {
    let validator = sarif_validator();
    let o = run(&example("wrong-port"), &["--format", "sarif"]);
    let mut v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
    assert!(
        !validator.is_valid(&v),
        "the validator must catch a bad level"
    );
}

#[test]
fn sarif_rules_carry_the_docs_and_suppressions_are_marked() {
    let o = run(&fixture("nginx-inline"), &["--format", "sarif"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "CD106")
        .unwrap();
    assert_eq!(rule["name"], "wrong-port");
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    assert_eq!(rule["properties"]["category"], "wrong-port");
    assert!(
        rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Fix")
    );
    let suppressed: Vec<&Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 2);
    let s = &suppressed[0]["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
    assert!(s["justification"].as_str().unwrap().contains("entrypoint"));
    let related = &run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "CD106" && r.get("suppressions").is_none())
        .unwrap()["relatedLocations"][0];
    assert!(
        related["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("compose.yaml")
    );
}

/// JUnit parsed back: a test case per route and per proxy-level finding, failures where errors are.
#[test]
fn junit_parses_back() {
    for name in [
        "wrong-port",
        "healthy-basic",
        "wrong-context",
        "unknown-host",
        "partial-upstream",
    ] {
        let dir = example(name);
        let json: Value = serde_json::from_slice(&run(&dir, &["--format", "json"]).stdout).unwrap();
        let o = run(&dir, &["--format", "junit"]);
        let xml = out(&o);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{name}: {e}\n{xml}"));
        let cases: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let routes = json["routes"].as_array().unwrap();
        let proxy_level = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["route"].is_null())
            .count();
        assert_eq!(cases.len(), routes.len() + proxy_level, "{name}\n{xml}");
        for (r, c) in routes.iter().zip(&cases) {
            assert_eq!(c.attribute("classname"), r["proxy_service"].as_str());
            assert!(
                c.attribute("name")
                    .unwrap()
                    .starts_with(&format!("{} -> ", r["proxy_service"].as_str().unwrap()))
            );
            let failed = c.children().any(|n| n.has_tag_name("failure"));
            assert_eq!(
                failed,
                r["status"] == "error",
                "{name}: {:?}\n{xml}",
                c.attribute("name")
            );
        }
        let root_el = doc.root_element();
        assert_eq!(root_el.tag_name().name(), "testsuites");
        let failures: usize = root_el.attribute("failures").unwrap().parse().unwrap();
        let counted = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        assert_eq!(failures, counted, "{name}");
        assert_eq!(
            o.status.code(),
            Some(if failures > 0 { 1 } else { 0 }),
            "{name}"
        );
    }
}

#[test]
fn github_annotations() {
    let o = run(
        &fixture("nginx-inline"),
        &[
            "--format",
            "github",
            "--source-root",
            root().to_str().unwrap(),
        ],
    );
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with(
        "::error file=testdata/suppress/nginx-inline/nginx/default.conf,line=11,col=9,title=CD106 wrong-port::"
    )), "{text}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::warning ") && l.contains("CD901"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::notice ") && l.contains("CD110"))
    );
    // suppressed findings are not annotated
    assert_eq!(
        lines.iter().filter(|l| l.contains("title=CD106")).count(),
        1,
        "{text}"
    );
    // every command is one line: newlines in messages are escaped
    assert!(
        lines
            .iter()
            .filter(|l| l.starts_with("::"))
            .all(|l| l.contains("%0Ahelp%3A") || l.contains("%0Ahelp:"))
    );
}

#[test]
fn fail_on_and_severity() {
    let dir = example("partial-upstream");
    // the example has only a warning (and infos)
    let json: Value = serde_json::from_slice(&run(&dir, &["--format", "json"]).stdout).unwrap();
    assert_eq!(json["summary"]["findings"]["error"], 0, "{json:#}");
    assert!(json["summary"]["findings"]["warning"].as_u64().unwrap() > 0);
    assert_eq!(run(&dir, &[]).status.code(), Some(0));
    assert_eq!(run(&dir, &["--fail-on", "warning"]).status.code(), Some(1));
    assert_eq!(run(&dir, &["--fail-on", "info"]).status.code(), Some(1));
    let dir = example("wrong-port");
    assert_eq!(run(&dir, &["--fail-on", "never"]).status.code(), Some(0));
    // what is shown does not change what fails
    let o = run(&dir, &["--severity", "error", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(
        &example("partial-upstream"),
        &[
            "--severity",
            "error",
            "--fail-on",
            "warning",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn select_and_ignore() {
    let dir = example("wrong-port");
    let codes = |args: &[&str]| -> (Vec<String>, Option<i32>) {
        let mut a = vec!["--format", "json"];
        a.extend_from_slice(args);
        let o = run(&dir, &a);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", err(&o)));
        (
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap().to_string())
                .collect(),
            o.status.code(),
        )
    };
    assert_eq!(codes(&["--ignore", "CD106"]), (vec![], Some(0)));
    assert_eq!(codes(&["--ignore", "wrong-port"]).1, Some(0));
    assert_eq!(codes(&["--ignore", "CD1"]).1, Some(0));
    assert_eq!(codes(&["--select", "CD2,unknown-host"]).1, Some(0));
    let (c, code) = codes(&["--select", "wrong-port"]);
    assert_eq!((c.len(), code), (2, Some(1)));
    // a category
    assert_eq!(codes(&["--select", "config-missing"]).1, Some(0));
    // --ignore wins
    assert_eq!(
        codes(&["--select", "CD106", "--ignore", "CD106"]).1,
        Some(0)
    );
    let o = run(&dir, &["--select", "CD999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("CD999") && out(&o).is_empty());
}

#[test]
fn output_file_and_streams() {
    let dir = std::env::temp_dir().join(format!("cd-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.sarif");
    let o = run(
        &example("wrong-port"),
        &["--format", "sarif", "-o", file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let _ = std::fs::remove_dir_all(&dir);
    // colours only when asked for, or on a terminal (never here: stdout is a pipe)
    let o = run_env(&example("wrong-port"), &[], &[("NO_COLOR", "")]);
    assert!(!out(&o).contains('\u{1b}'));
    let o = run(&example("wrong-port"), &["--color", "always"]);
    assert!(out(&o).contains('\u{1b}'));
    // -q: findings and summary only
    let o = run(&example("wrong-port"), &["-q"]);
    assert!(!out(&o).contains("PROXY") && out(&o).contains("error[CD106]"));
    // the format from the environment (for CI images)
    let o = run_env(
        &example("wrong-port"),
        &[],
        &[("COMPOSE_DOCTOR_FORMAT", "github")],
    );
    assert!(out(&o).starts_with("::error "));
}

fn json_of(dir: &Path, args: &[&str]) -> (Value, Option<i32>) {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let o = run(dir, &a);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", err(&o)));
    (v, o.status.code())
}

fn findings<'a>(v: &'a Value, code: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

#[test]
fn suppression_inline_nginx() {
    let (v, code) = json_of(&fixture("nginx-inline"), &[]);
    let wrong = findings(&v, "CD106");
    assert_eq!(wrong.len(), 3);
    let suppressed: Vec<&&Value> = wrong
        .iter()
        .filter(|f| !f["suppressed"].is_null())
        .collect();
    assert_eq!(suppressed.len(), 2);
    assert_eq!(suppressed[0]["suppressed"]["kind"], "inline");
    assert_eq!(
        suppressed[0]["suppressed"]["reason"],
        "the image's entrypoint relays port 80 to 8080"
    );
    assert_eq!(suppressed[0]["suppressed"]["location"]["line"], 4);
    // a trailing comment with a name instead of a code, and no reason: suppressed, but a warning
    assert_eq!(suppressed[1]["suppressed"]["reason"], Value::Null);
    let cd901 = findings(&v, "CD901");
    assert_eq!(cd901.len(), 1);
    assert_eq!(cd901[0]["location"]["line"], 8);
    assert_eq!(findings(&v, "CD903").len(), 1, "the typo CD1O6");
    // the unsuppressed one still fails the run
    assert_eq!(code, Some(1));
    assert_eq!(v["summary"]["suppressed"], 2);
    assert_eq!(v["summary"]["findings"]["error"], 1);
    // unused suppressions only with -v
    assert!(findings(&v, "CD902").is_empty());
    let (v, _) = json_of(&fixture("nginx-inline"), &["-v"]);
    let unused = findings(&v, "CD902");
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0]["location"]["line"], 11);
}

#[test]
fn suppression_compose_comment() {
    let (v, code) = json_of(&fixture("compose-comment"), &[]);
    let wrong = findings(&v, "CD106");
    assert_eq!(wrong.len(), 2);
    assert!(wrong.iter().all(|f| f["suppressed"]["kind"] == "compose"));
    // above the service key: the whole service; at the end of a line: what points at that line
    assert_eq!(wrong[0]["suppressed"]["location"]["line"], 6);
    assert_eq!(wrong[1]["suppressed"]["location"]["line"], 12);
    assert!(
        v["routes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "ok")
    );
    assert_eq!(code, Some(0), "suppressed findings do not fail the run");
}

#[test]
fn suppression_x_compose_doctor() {
    let (v, code) = json_of(&fixture("x-extension"), &[]);
    let wrong = findings(&v, "CD106");
    assert_eq!(wrong[0]["suppressed"]["kind"], "compose");
    assert!(
        wrong[0]["suppressed"]["reason"]
            .as_str()
            .unwrap()
            .contains("entrypoint")
    );
    let unknown = findings(&v, "CD101");
    assert_eq!(unknown[0]["suppressed"]["location"]["line"], 3);
    // the top-level entry has no reason: a warning, which fails only at --fail-on warning
    assert_eq!(findings(&v, "CD901").len(), 1);
    assert_eq!(code, Some(0));
    assert_eq!(
        json_of(&fixture("x-extension"), &["--fail-on", "warning"]).1,
        Some(1)
    );
}

#[test]
fn suppression_config_file() {
    let dir = fixture("config-file");
    let (v, code) = json_of(&dir, &["-v"]);
    let wrong = findings(&v, "CD106");
    assert_eq!(wrong[0]["suppressed"]["kind"], "config");
    assert_eq!(
        wrong[0]["suppressed"]["location"]["file"],
        ".compose-doctor.toml"
    );
    // [severity] raised not-a-service to a warning, and fail-on = "warning" fails on it
    assert_eq!(findings(&v, "CD114")[0]["severity"], "warning");
    assert_eq!(code, Some(1));
    // the command line wins over the file
    assert_eq!(json_of(&dir, &["--fail-on", "error"]).1, Some(0));
    // the second entry: no reason (CD901) and, with -v, unused (CD902)
    assert_eq!(findings(&v, "CD901")[0]["location"]["line"], 14);
    assert_eq!(findings(&v, "CD902")[0]["location"]["line"], 14);
    // --config names another file; a broken one is "could not do the job"
    let tmp = std::env::temp_dir().join(format!("cd-cfg-{}.toml", std::process::id()));
    std::fs::write(&tmp, "[severity]\nwrong-port = \"loud\"\n").unwrap();
    let o = run(&dir, &["--config", tmp.to_str().unwrap()]);
    let _ = std::fs::remove_file(&tmp);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains(":2:") && err(&o).contains("loud"),
        "{}",
        err(&o)
    );
    assert!(out(&o).is_empty());
    let o = run(&dir, &["--config", "missing.toml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn explain_exists_for_every_rule() {
    let o = run(&root(), &["rules", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = v["rules"].as_array().unwrap();
    let lib: Vec<&str> = compose_doctor::checks::rules()
        .iter()
        .map(|r| r.code)
        .collect();
    assert_eq!(rules.len(), lib.len());
    for r in rules {
        let code = r["code"].as_str().unwrap();
        assert!(lib.contains(&code));
        for key in [code, r["name"].as_str().unwrap()] {
            let o = run(&root(), &["explain", key]);
            assert_eq!(o.status.code(), Some(0), "{key}");
            let t = out(&o);
            assert!(t.starts_with(code), "{key}");
            for h in [
                "## What it checks",
                "## Why it breaks",
                "## Example",
                "## Fix",
            ] {
                assert!(t.contains(h), "{key} lacks {h}");
            }
        }
    }
    let md = out(&run(&root(), &["rules", "--format", "markdown"]));
    assert_eq!(md.lines().count(), lib.len() + 2);
}

/// The README's rules table is generated from the rule docs.
#[test]
fn readme_rules_table_is_current() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let updated = compose_doctor::report::rules::update_readme(&readme)
        .expect("README.md lacks the rules table markers");
    if updated != readme {
        if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
            std::fs::write(&path, updated).unwrap();
        } else {
            panic!(
                "README.md's rules table is out of date with the rule docs: run `UPDATE_SNAPSHOTS=1 cargo test --test ci readme` (it writes the output of `compose-doctor rules --format markdown` between the markers)"
            );
        }
    }
}

#[test]
fn completions_man_and_version() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run(&root(), &["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(out(&o).contains("compose-doctor"), "{shell}");
        assert!(out(&o).contains("fail-on"), "{shell}");
    }
    let o = run(&root(), &["man"]);
    assert_eq!(o.status.code(), Some(0));
    let man = out(&o);
    assert!(man.starts_with(".ie") || man.contains(".TH"), "{man}");
    assert!(man.contains("compose\\-doctor"));
    let o = run(&root(), &["--version"]);
    let v = out(&o);
    assert!(
        v.starts_with(&format!("compose-doctor {} (", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(v.trim_end().ends_with(')'));
}
