#![no_main]
//! See compose_doctor::fuzzing::compose_file: the input as a compose.yaml in a scratch directory.
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

static SCRATCH: OnceLock<PathBuf> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = SCRATCH.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("cd-fuzz-compose-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&d);
        d
    });
    compose_doctor::fuzzing::compose_file(data, dir);
});
