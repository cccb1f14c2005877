//! Puts the git revision into `--version` when the source is a git checkout; `unknown` otherwise.
//! Never fails the build: a missing `git`, a tarball, or a shallow CI clone all give `unknown`.

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
    let rev = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
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
