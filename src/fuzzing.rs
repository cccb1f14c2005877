//! Entry points shared by the fuzz targets (`fuzz/`), the property tests and the regression tests of
//! crashes the fuzzers found (`tests/fuzz_regressions.rs`). Each one feeds arbitrary bytes to a parser the
//! way the tool does, and panics on what must never happen: a panic inside the parser, or an error that
//! does not say where it is.
#![doc(hidden)]

use crate::compose;
use crate::nginx::{self, Layer, Vfs};
use crate::span::path_arc;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Text the way the tool gets it from a file that is not UTF-8.
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The nginx lexer, parser, loader (includes through an in-memory container file system: the input as
/// `nginx.conf` and as `conf.d/fuzz.conf`, so includes and cycles happen), the target extraction and the
/// crossplane JSON.
pub fn nginx(data: &[u8]) {
    let t = text(data);
    let file = path_arc(Path::new("/fuzz/nginx.conf"));
    let parsed = nginx::parse_partial(&t, &file);
    if let Some(p) = &parsed.problem {
        let l = p.loc.as_ref().expect("a syntax error has a location");
        assert!(l.line >= 1 && l.column >= 1, "{p:?}");
    }
    let mut vfs = Vfs::new();
    vfs.add_inline(
        "/etc/nginx/nginx.conf",
        "/fuzz/nginx.conf",
        t.as_str(),
        Layer::Mount,
        None,
    );
    vfs.add_inline(
        "/etc/nginx/conf.d/fuzz.conf",
        "/fuzz/conf.d/fuzz.conf",
        t.as_str(),
        Layer::Mount,
        None,
    );
    let cfg = nginx::load(&vfs, "/etc/nginx/nginx.conf");
    for p in &cfg.problems {
        use nginx::ProblemKind::*;
        if matches!(
            p.kind,
            Syntax | IncludeCycle | Context | Invalid | IncludeMissing
        ) {
            assert!(p.loc.is_some(), "no location: {p:?}");
        }
    }
    let _ = nginx::targets(&cfg);
    let _ = nginx::crossplane_payload(&cfg);
}

/// compose's variable interpolation, with a small fixed environment.
pub fn interpolation(data: &[u8]) {
    let t = text(data);
    let env: BTreeMap<&str, &str> = [("A", "a"), ("EMPTY", ""), ("X", "$Y"), ("PORT", "8080")]
        .into_iter()
        .collect();
    let lookup = |k: &str| env.get(k).map(|v| v.to_string());
    let mut unset = Vec::new();
    let _ = compose::interp::substitute(&t, &lookup, &mut unset);
}

/// `.env` parsing (with variable expansion).
pub fn dotenv(data: &[u8]) {
    let t = text(data);
    let lookup = |k: &str| (k == "HOME").then(|| "/home/x".to_string());
    if let Err(e) = compose::dotenv::parse(&t, &lookup) {
        assert!(e.line >= 1, "{e:?}");
    }
}

/// The whole compose loader on the input as `compose.yaml` in a scratch project directory (YAML with
/// positions, interpolation, merge, extends/include, conversion); a fatal error must carry a location.
pub fn compose_file(data: &[u8], scratch: &Path) {
    let dir = scratch.join("project");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("compose.yaml");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    let opts = compose::LoadOptions {
        files: vec![PathBuf::from("compose.yaml")],
        working_dir: dir.clone(),
        environ: [("TAG".to_string(), "1".to_string())].into_iter().collect(),
        ..Default::default()
    };
    if let Err(e) = compose::load(&opts) {
        assert!(
            e.location.is_some(),
            "a compose error without a location: {e}"
        );
    }
    // the YAML layer alone, on the same bytes
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = compose::yaml::parse_documents(s, &file);
    }
}
