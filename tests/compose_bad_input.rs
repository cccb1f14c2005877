//! Broken, hostile or awkward input (`testdata/compose/bad`): every file gives an `Error` with its file and
//! line, never a panic; valid files with a BOM or CRLF line ends load normally.

use compose_doctor::compose::{LoadOptions, Project, load};
use compose_doctor::error::Error;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/compose")
}

fn try_load(path: &Path) -> Result<Project, Error> {
    let opts = LoadOptions {
        files: vec![path.to_path_buf()],
        working_dir: path.parent().unwrap().to_path_buf(),
        environ: BTreeMap::from([("HOME".to_string(), "/home/t".to_string())]),
        ..Default::default()
    };
    load(&opts)
}

/// (file, the file the error points at, line, a word of the message)
const CASES: &[(&str, &str, u32, &str)] = &[
    ("alias-unknown.yaml", "alias-unknown.yaml", 2, "anchor"),
    ("bad-port.yaml", "bad-port.yaml", 6, "invalid port"),
    ("bad-volume.yaml", "bad-volume.yaml", 5, "empty section"),
    (
        "billion-laughs.yaml",
        "billion-laughs.yaml",
        6,
        "aliases expand",
    ),
    ("binary.yaml", "binary.yaml", 3, "UTF-8"),
    ("bool-wrong.yaml", "bool-wrong.yaml", 8, "boolean"),
    ("broken-flow.yaml", "broken-flow.yaml", 5, "invalid YAML"),
    (
        "comment-only.yaml",
        "comment-only.yaml",
        1,
        "empty compose file",
    ),
    (
        "crlf-duplicate.yaml",
        "crlf-duplicate.yaml",
        4,
        "duplicate key \"image\"",
    ),
    ("deep-flow.yaml", "deep-flow.yaml", 3, "invalid YAML"),
    (
        "duplicate-keys.yaml",
        "duplicate-keys.yaml",
        6,
        "already defined at line 3",
    ),
    (
        "duplicate-services.yaml",
        "duplicate-services.yaml",
        4,
        "duplicate key \"web\"",
    ),
    ("empty.yaml", "empty.yaml", 1, "empty compose file"),
    ("env-file-invalid.yaml", "invalid.env", 2, "unterminated"),
    (
        "environment-nested.yaml",
        "environment-nested.yaml",
        6,
        "environment.A",
    ),
    (
        "extends-cycle.yaml",
        "extends-cycle.yaml",
        3,
        "circular reference",
    ),
    (
        "extends-missing.yaml",
        "extends-missing.yaml",
        3,
        "not found",
    ),
    (
        "healthcheck-retries.yaml",
        "healthcheck-retries.yaml",
        6,
        "retries",
    ),
    (
        "include-conflict.yaml",
        "include-conflict.yaml",
        4,
        "conflicts with imported resource",
    ),
    (
        "include-cycle-a.yaml",
        "include-cycle-b.yaml",
        2,
        "include cycle",
    ),
    (
        "invalid-template-braces.yaml",
        "invalid-template-braces.yaml",
        3,
        "interpolation format",
    ),
    ("invalid-template.yaml", "invalid-template.yaml", 4, "$$"),
    ("latin1.yaml", "latin1.yaml", 4, "UTF-8"),
    (
        "merge-key-scalar.yaml",
        "merge-key-scalar.yaml",
        4,
        "merge key",
    ),
    (
        "networks-number.yaml",
        "networks-number.yaml",
        4,
        "services.web.networks",
    ),
    ("nul.yaml", "nul.yaml", 3, "invalid YAML"),
    (
        "ports-scalar.yaml",
        "ports-scalar.yaml",
        4,
        "services.web.ports` must be a list",
    ),
    (
        "required-variable.yaml",
        "required-variable.yaml",
        5,
        "TOKEN must be set",
    ),
    (
        "services-list.yaml",
        "services-list.yaml",
        2,
        "`services` must be a mapping",
    ),
    ("tabs.yaml", "tabs.yaml", 3, "tabs"),
    (
        "top-level-list.yaml",
        "top-level-list.yaml",
        1,
        "must be a mapping",
    ),
    (
        "unterminated-quote.yaml",
        "unterminated-quote.yaml",
        3,
        "quoted scalar",
    ),
    (
        "unterminated-single.yaml",
        "unterminated-single.yaml",
        3,
        "quoted scalar",
    ),
];

#[test]
fn every_bad_file_is_an_error_with_file_and_line() {
    for (file, at, line, word) in CASES {
        let e = match try_load(&dir().join("bad").join(file)) {
            Ok(_) => panic!("{file} loaded"),
            Err(e) => e,
        };
        let l = e
            .location
            .as_ref()
            .unwrap_or_else(|| panic!("{file}: no location: {e}"));
        assert!(
            l.file.ends_with(at),
            "{file}: error in {}, expected {at}",
            l.file.display()
        );
        assert_eq!(l.line, *line, "{file}: {e}");
        assert!(l.column >= 1);
        assert!(e.message.contains(word), "{file}: {e}");
    }
}

#[test]
fn every_fixture_is_covered() {
    let mut listed = 0;
    for entry in std::fs::read_dir(dir().join("bad")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !name.ends_with(".yaml")
            || name == "include-conflict-other.yaml"
            || name == "include-cycle-b.yaml"
        {
            continue;
        }
        listed += 1;
        assert!(
            CASES.iter().any(|(f, ..)| *f == name),
            "{name} has no expectation"
        );
    }
    assert_eq!(listed, CASES.len());
}

#[test]
fn include_cycle_names_the_chain() {
    let e = try_load(&dir().join("bad/include-cycle-a.yaml")).unwrap_err();
    assert_eq!(e.notes.len(), 3, "{:?}", e.notes);
    assert!(e.notes[0].contains("include-cycle-a.yaml"));
    assert!(e.notes[1].contains("include-cycle-b.yaml"));
}

#[test]
fn deep_block_nesting_is_an_error_not_a_stack_overflow() {
    // 10,000 nested block sequences on one line (`- - - ... x`).
    let d = std::env::temp_dir().join(format!("cd-deep-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("compose.yaml");
    let deep = "- ".repeat(10_000) + "x\n";
    std::fs::write(&f, format!("services:\n  web:\n    x-deep:\n      {deep}")).unwrap();
    let e = try_load(&f).unwrap_err();
    assert!(e.message.contains("nesting"), "{e}");
    assert_eq!(e.location.unwrap().line, 4);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn oversized_file_is_an_error() {
    let d = std::env::temp_dir().join(format!("cd-big-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("compose.yaml");
    let file = std::fs::File::create(&f).unwrap();
    file.set_len(33 * 1024 * 1024).unwrap();
    let e = try_load(&f).unwrap_err();
    assert!(e.message.contains("too large"), "{e}");
    assert_eq!(e.location.unwrap().line, 1);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn bom_and_crlf_files_load() {
    for f in ["bom.yaml", "crlf.yaml"] {
        let p = try_load(&dir().join("ok").join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        let web = &p.services["web"];
        assert_eq!(web.image.as_ref().unwrap().value, "nginx", "{f}");
        assert_eq!(web.ports[0].published, Some((8080, 8080)), "{f}");
        assert_eq!(web.loc.line, 2, "{f}");
        assert_eq!(web.loc.column, 3, "{f}");
    }
    let p = try_load(&dir().join("ok/crlf.yaml")).unwrap();
    assert_eq!(
        p.services["web"].environment["A"].value.as_deref(),
        Some("1")
    );
    assert_eq!(p.services["web"].ports[0].loc.line, 7);
}

/// Deterministic mutations of every fixture we have (byte edits with YAML/interpolation metacharacters):
/// the loader may accept or reject each, but must never panic.
#[test]
fn mutated_inputs_never_panic() {
    let mut sources: Vec<PathBuf> = Vec::new();
    for sub in ["bad", "ok"] {
        for e in std::fs::read_dir(dir().join(sub)).unwrap() {
            sources.push(e.unwrap().path());
        }
    }
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/projects/awesome-compose");
    if let Ok(rd) = std::fs::read_dir(&shared) {
        for e in rd {
            sources.push(e.unwrap().path().join("compose.yaml"));
        }
    }
    let work = std::env::temp_dir().join(format!("cd-mut-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let target = work.join("compose.yaml");
    let specials: &[u8] = b"$${}[]:-&*!|>\"'\t\n#<,?%@`~\\ ";
    let mut seed: u64 = 0x5eed;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut runs = 0;
    for src in sources.iter().filter(|p| p.is_file()) {
        let original = std::fs::read(src).unwrap();
        if original.len() > 100_000 {
            continue;
        }
        for _ in 0..60 {
            let mut b = original.clone();
            for _ in 0..(1 + rnd() % 4) {
                let pos = if b.is_empty() {
                    0
                } else {
                    (rnd() as usize) % b.len()
                };
                match rnd() % 3 {
                    0 if !b.is_empty() => {
                        b.remove(pos);
                    }
                    1 => b.insert(pos, specials[(rnd() as usize) % specials.len()]),
                    _ if !b.is_empty() => b[pos] = specials[(rnd() as usize) % specials.len()],
                    _ => {}
                }
            }
            std::fs::write(&target, &b).unwrap();
            let r = std::panic::catch_unwind(|| try_load(&target));
            assert!(
                r.is_ok(),
                "panic on a mutation of {}:\n{}",
                src.display(),
                String::from_utf8_lossy(&b)
            );
            if let Ok(Err(e)) = r {
                assert!(e.location.is_some() || !e.message.is_empty());
            }
            runs += 1;
        }
    }
    assert!(runs > 1000);
    std::fs::remove_dir_all(&work).ok();
}
