//! Times live mode's Docker part for a running compose project, in process (for `bench/live.sh`):
//!
//! ```sh
//! cargo run --release --example live_gather -- PROJECT_DIR PROJECT_NAME [RUNS]
//! ```
//!
//! Prints the time of `connect` (version negotiation) and of each `gather` (one list call, parallel
//! inspects, networks, listening sockets, nginx files and logs), and how many containers it saw.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, name) = match args.as_slice() {
        [d, n, ..] => (PathBuf::from(d), n.clone()),
        _ => {
            eprintln!("usage: live_gather PROJECT_DIR PROJECT_NAME [RUNS]");
            std::process::exit(2);
        }
    };
    let runs: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let opts = compose_doctor::compose::LoadOptions {
        working_dir: dir,
        project_name: Some(name),
        ..Default::default()
    };
    let mut facts = compose_doctor::load_facts(&opts).expect("project loads");
    // LIVE_GATHER_NO_SOCKETS=1: without reading the listening sockets (to see what they cost)
    let dopts = compose_doctor::docker::DockerOptions {
        read_sockets: std::env::var_os("LIVE_GATHER_NO_SOCKETS").is_none(),
        ..Default::default()
    };
    let t = Instant::now();
    let (client, _) = compose_doctor::docker::connect(&dopts).expect("docker answers");
    println!("connect: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        compose_doctor::add_live(&mut facts, &client, &dopts).expect("gather");
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let live = facts.live.as_ref().unwrap();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    println!(
        "gather: {} containers, {} networks, {} incomplete; ms per run {:?}; median {:.1}",
        live.containers.len(),
        live.networks.len(),
        live.incomplete.len(),
        times
            .iter()
            .map(|t| (t * 10.0).round() / 10.0)
            .collect::<Vec<_>>(),
        sorted[sorted.len() / 2]
    );
}
