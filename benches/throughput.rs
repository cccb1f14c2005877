//! Parser and loader throughput (`cargo bench`), on the inputs of `bench/gen.py` (generated on the fly into
//! the target directory when `bench/generated` is absent):
//!
//! ```sh
//! python3 bench/gen.py && cargo bench --bench throughput
//! ```
//!
//! divan, not criterion: a bench here is "parse this file", and divan reports bytes per second and, with its
//! allocation profiler, the allocations per run -- the number the parser work was about -- with a fraction
//! of criterion's compile time and dependencies. The whole-process comparisons (crossplane, docker-compose,
//! peak memory) are `bench/run.sh`.

use compose_doctor::{compose, nginx};
use divan::{AllocProfiler, Bencher, counter::BytesCount};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    divan::main();
}

/// The generated inputs (made once per run when missing).
fn generated() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("bench/generated");
        if !dir.join("nginx-10000/nginx.conf").exists() {
            let ok = std::process::Command::new("python3")
                .arg(root.join("bench/gen.py"))
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "python3 bench/gen.py failed");
        }
        dir
    })
}

const SERVERS: &[usize] = &[10, 100, 1000, 10000];
const SERVICES: &[usize] = &[10, 100, 1000];

/// Lexing and parsing one file (the 10 MB `sites.conf` at 10,000 servers), no includes.
#[divan::bench(args = SERVERS, sample_count = 20)]
fn nginx_parse(b: Bencher, servers: usize) {
    let path = generated().join(format!("nginx-{servers}/conf.d/sites.conf"));
    let text = std::fs::read_to_string(&path).unwrap();
    let file = compose_doctor::span::path_arc(&path);
    b.counter(BytesCount::of_str(&text))
        .bench(|| nginx::parse_str(&text, &file).unwrap());
}

/// The whole configuration from disk: read, parse, includes, context checks (what `parse nginx` does).
#[divan::bench(args = SERVERS, sample_count = 20)]
fn nginx_load(b: Bencher, servers: usize) {
    let main = generated().join(format!("nginx-{servers}/nginx.conf"));
    let bytes = std::fs::metadata(main.parent().unwrap().join("conf.d/sites.conf"))
        .unwrap()
        .len();
    b.counter(BytesCount::new(bytes as usize)).bench(|| {
        let cfg = nginx::load_host_file(&main);
        assert!(cfg.problems.is_empty());
        cfg
    });
}

/// The compose loader: discovery, `.env`, YAML with positions, interpolation, merge, conversion.
#[divan::bench(args = SERVICES, sample_count = 20)]
fn compose_load(b: Bencher, services: usize) {
    let dir = generated().join(format!("compose-{services}"));
    let bytes = std::fs::metadata(dir.join("compose.yaml")).unwrap().len();
    let opts = compose::LoadOptions {
        working_dir: dir,
        ..Default::default()
    };
    b.counter(BytesCount::new(bytes as usize))
        .bench(|| compose::load(&opts).unwrap());
}

/// The whole static check in process: compose, discovery, nginx (10 * services servers), targets, checks.
#[divan::bench(args = SERVICES, sample_count = 10)]
fn static_check(b: Bencher, services: usize) {
    let dir = generated().join(format!("project-{services}"));
    let opts = compose::LoadOptions {
        working_dir: dir,
        ..Default::default()
    };
    b.bench(|| {
        let facts = compose_doctor::load_facts(&opts).unwrap();
        let analysis = compose_doctor::checks::run(&facts);
        (facts, analysis)
    });
}
