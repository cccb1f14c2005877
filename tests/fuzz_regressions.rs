//! Every input a fuzzer ever crashed on (`testdata/fuzz/<target>/*`), run through the same entry point as
//! the fuzz target: none may panic again.

use std::path::PathBuf;

fn cases(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fuzz")
        .join(target);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut v: Vec<_> = rd
        .flatten()
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn nginx() {
    for (p, b) in cases("nginx") {
        eprintln!("{}", p.display());
        compose_doctor::fuzzing::nginx(&b);
    }
}

#[test]
fn interpolation() {
    for (_, b) in cases("interpolation") {
        compose_doctor::fuzzing::interpolation(&b);
    }
}

#[test]
fn dotenv() {
    for (_, b) in cases("dotenv") {
        compose_doctor::fuzzing::dotenv(&b);
    }
}

#[test]
fn compose() {
    let scratch = std::env::temp_dir().join(format!("cd-fuzzreg-{}", std::process::id()));
    for (p, b) in cases("compose") {
        eprintln!("{}", p.display());
        compose_doctor::fuzzing::compose_file(&b, &scratch);
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
