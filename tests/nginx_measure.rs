//! A quick measurement, not a timed test (timings are printed, never asserted):
//!
//! ```sh
//! cargo test --release --test nginx_measure -- --ignored --nocapture
//! ```
//!
//! It generates a ~10 MB configuration with 10,000 server blocks and reports how long parsing, loading and
//! target extraction take.

use compose_doctor::nginx::{Layer, Vfs, load, parse_str, targets};
use compose_doctor::span::path_arc;
use std::fmt::Write;
use std::path::Path;
use std::time::Instant;

fn big_config(servers: usize) -> String {
    let mut s = String::from(
        "user nginx;\nworker_processes auto;\nevents { worker_connections 1024; }\nhttp {\n",
    );
    s.push_str("    resolver 127.0.0.11 valid=10s;\n    upstream pool { server app1:8080; server app2:8080 backup; }\n");
    for i in 0..servers {
        let _ = write!(
            s,
            r#"    # site {i}: generated
    server {{
        listen 80;
        listen [::]:8443 ssl http2;
        server_name site{i}.example.com www.site{i}.example.com;
        access_log /var/log/nginx/site{i}.log main;
        add_header Content-Security-Policy "default-src 'self'; img-src 'self' data: https://cdn{i}.example.com" always;
        location / {{
            proxy_pass http://app{i}:3000;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 60s;
        }}
        location /api/ {{
            set $backend "api{i}.internal";
            proxy_pass http://$backend:8080$request_uri;
        }}
        location ~ \.php$ {{ fastcgi_pass php{i}:9000; include fastcgi_params; }}
        location /static/ {{ alias /srv/static/{i}/; try_files $uri $uri/ =404; }}
        location = /health {{ return 200 'ok\n'; }}
        location /pool {{ proxy_pass http://pool; }}
    }}
"#
        );
    }
    s.push_str("}\n");
    s
}

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn measure_big_config() {
    let text = big_config(10_000);
    let file = path_arc(Path::new("/big/nginx.conf"));
    // the first parse in a fresh process (what the tool does), then repeated ones: glibc's malloc pays for
    // freeing the previous tree in the next run's allocations, so repeated runs are slower, not faster
    let t = Instant::now();
    let ds = parse_str(&text, &file).unwrap();
    let first = t.elapsed().as_secs_f64();
    assert_eq!(ds[3].block.as_ref().unwrap().len(), 10_002);
    drop(ds);
    let mut runs = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let ds = parse_str(&text, &file).unwrap();
        runs.push(t.elapsed().as_secs_f64() * 1e3);
        drop(ds);
    }
    println!(
        "parse_str: {:.1} MB, 10,000 server blocks: first run {:.1} ms, then {:?} ms",
        text.len() as f64 / 1e6,
        first * 1e3,
        runs.iter()
            .map(|r| (r * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );

    let mut vfs = Vfs::new();
    vfs.add_inline(
        "/etc/nginx/nginx.conf",
        "/big/nginx.conf",
        text.as_str(),
        Layer::Mount,
        None,
    );
    vfs.add_inline(
        "/etc/nginx/fastcgi_params",
        "/big/fastcgi_params",
        "fastcgi_param QUERY_STRING $query_string;\nfastcgi_param REQUEST_METHOD $request_method;\n",
        Layer::Image,
        None,
    );
    let t = Instant::now();
    let cfg = load(&vfs, "/etc/nginx/nginx.conf");
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    assert!(cfg.problems.is_empty(), "{:?}", &cfg.problems[..1]);
    let t = Instant::now();
    let ts = targets(&cfg);
    let targets_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(ts.len(), 2 + 3 * 10_000);
    println!(
        "load (parse + 10,000 includes + context checks): {load_ms:.1} ms; targets ({} targets): {targets_ms:.1} ms",
        ts.len()
    );
}
