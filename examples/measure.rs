//! In-process measurements for the README (timings printed, never asserted), with a counting allocator so
//! the heap held by a parsed tree is exact:
//!
//! ```sh
//! cargo run --release --example measure -- nginx-parse bench/generated/nginx-10000/conf.d/sites.conf
//! cargo run --release --example measure -- nginx-load  bench/generated/nginx-10000/nginx.conf
//! cargo run --release --example measure -- compose     bench/generated/compose-1000/compose.yaml
//! ```
//!
//! Each prints the first run (cold: a fresh process, as the CLI runs), the best and the median of the next
//! runs, the heap the result holds, the heap's peak and the process's peak RSS.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
            COUNT.fetch_add(1, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new > l.size() {
                let now = LIVE.fetch_add(new - l.size(), Relaxed) + new - l.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Relaxed);
            }
            COUNT.fetch_add(1, Relaxed);
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

fn maxrss_kb() -> i64 {
    // SAFETY: getrusage fills the struct it is given.
    unsafe {
        let mut u: libc_rusage = std::mem::zeroed();
        getrusage(0, &mut u);
        u.ru_maxrss
    }
}

#[repr(C)]
struct libc_rusage {
    ru_utime: [i64; 2],
    ru_stime: [i64; 2],
    ru_maxrss: i64,
    _rest: [i64; 13],
}

unsafe extern "C" {
    fn getrusage(who: i32, usage: *mut libc_rusage) -> i32;
}

fn mb(b: usize) -> f64 {
    b as f64 / 1e6
}

fn run<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let c0 = COUNT.load(Relaxed);
    let t = Instant::now();
    let out = f();
    let first = t.elapsed().as_secs_f64() * 1e3;
    let held = LIVE.load(Relaxed) - before;
    let peak = PEAK.load(Relaxed) - before;
    let allocs = COUNT.load(Relaxed) - c0;
    drop(out);
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let out = f();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        drop(out);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let (best, median) = if times.is_empty() {
        (first, first)
    } else {
        (times[0], times[times.len() / 2])
    };
    println!(
        "{label}: first {first:.1} ms, best {best:.1} ms, median {median:.1} ms of {runs}; result holds {:.1} MB \
         in {allocs} allocations (heap peak {:.1} MB); process max RSS {:.1} MB",
        mb(held),
        mb(peak),
        maxrss_kb() as f64 / 1e3
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (what, file) = match args.as_slice() {
        [w, f, ..] => (w.as_str(), PathBuf::from(f)),
        _ => {
            eprintln!("usage: measure nginx-parse|nginx-load|compose FILE [RUNS]");
            std::process::exit(2);
        }
    };
    let runs: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(10);
    match what {
        "nginx-parse" => {
            let text = std::fs::read_to_string(&file).expect("read");
            let arc = compose_doctor::span::path_arc(&file);
            println!("{}: {:.1} MB", file.display(), mb(text.len()));
            run("nginx parse_str", runs, || {
                compose_doctor::nginx::parse_str(&text, &arc).expect("parses")
            });
        }
        "nginx-load" => run("nginx load_host_file", runs, || {
            let c = compose_doctor::nginx::load_host_file(&file);
            assert!(c.problems.is_empty(), "{:?}", c.problems.first());
            c
        }),
        "compose" => {
            let file = std::fs::canonicalize(&file).expect("compose file");
            let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
            let opts = compose_doctor::compose::LoadOptions {
                files: vec![file.clone()],
                working_dir: dir,
                ..Default::default()
            };
            run("compose load", runs, || {
                compose_doctor::compose::load(&opts).expect("loads")
            });
        }
        other => {
            eprintln!("unknown measurement {other}");
            std::process::exit(2);
        }
    }
}
