//! Puts the git revision into `--version` when the source is a git checkout; `unknown` otherwise.
//! Never fails the build: a missing `git` or a source tarball gives `unknown` (or the value of the
//! `COMPOSE_DOCTOR_GIT_REV` environment variable, when set).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    // a build without the git metadata (a Docker build context, a source tarball) can pass the revision in
    println!("cargo:rerun-if-env-changed=COMPOSE_DOCTOR_GIT_REV");
    let given = std::env::var("COMPOSE_DOCTOR_GIT_REV")
        .ok()
        .filter(|s| !s.trim().is_empty());
    let rev = given
        .or_else(|| git(&["rev-parse", "--short", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=COMPOSE_DOCTOR_GIT_REV={rev}");
    // rebuild when HEAD moves (a commit, a checkout); works for worktrees, whose HEAD lives elsewhere
    let mut watch = vec!["HEAD".to_string()];
    watch.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for what in &watch {
        // a missing file would rerun this script on every build: watch only files that exist
        if let Some(p) = git(&["rev-parse", "--path-format=absolute", "--git-path", what])
            && std::path::Path::new(&p).exists()
        {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
