//! Ground truth: every runnable compose example is brought up for real (real nginx, real upstreams,
//! real Docker), every route in its `expected.tsv` is requested through nginx, and the measured
//! result must equal the `real` column.
//!
//! Needs Docker; without it these tests skip (or fail with `COMPOSE_DOCTOR_REQUIRE_DOCKER=1`).
//! At most two examples run at once (see `support::Example::up`).

mod support;

use std::time::Instant;

use support::{Example, Real};

/// Brings `name` up, checks every row, tears it down; panics with everything needed to debug.
fn ground_truth(name: &str) {
    let example = Example::load(name);
    if let Some(reason) = &example.norun {
        support::say(&format!("ground truth {name}: not run ({reason})"));
        return;
    }
    if !support::docker_or_skip() {
        return;
    }
    support::ensure_images();
    let start = Instant::now();
    let running = example.up();
    let up_time = start.elapsed();
    let verbose = std::env::var_os("CDT_VERBOSE").is_some();
    let mut measured = Vec::new();
    let mut failures = Vec::new();
    for row in &example.rows {
        if row.path == "-" {
            continue;
        }
        let got = running.request_via(&row.proxy, &row.path);
        measured.push(format!("{} {}={got}", row.path, row.target));
        if !got.matches_column(&row.real) {
            let detail = match &got {
                Real::Invalid(bytes) => format!(" ({bytes:?})"),
                _ => String::new(),
            };
            failures.push(format!(
                "expected.tsv:{}: GET {} via {} (target {}): measured {got}{detail}, expected {}",
                row.line, row.path, row.proxy, row.target, row.real
            ));
        }
    }
    failures.extend(extra_checks(name, &running));
    let by_row = measured_by_row(&example, &measured);
    failures.extend(live_verdicts(&example, &running, &by_row, false));
    failures.extend(live_verdicts(&example, &running, &by_row, true));
    if verbose {
        eprintln!("{name}: up -d: {}", running.up_output());
        for (step, out) in running.steps() {
            eprintln!("{name}: after-up `{step}`: {out}");
        }
        for proxy in example.proxies() {
            eprintln!("{name}: {proxy} logs:\n{}", running.logs(&proxy));
        }
        eprintln!(
            "{name}: IPs at start {:?}, now {:?}",
            running.ips_at_start(),
            running.service_ips()
        );
    }
    if !failures.is_empty() {
        failures.push(format!("up -d: {}", running.up_output()));
        for (step, out) in running.steps() {
            failures.push(format!("after-up `{step}`: {out}"));
        }
        for proxy in example.proxies() {
            failures.push(format!(
                "{proxy} state {:?}, logs:\n{}",
                running.state(&proxy),
                running.logs(&proxy)
            ));
        }
    }
    let project = running.project().to_string();
    let teardown = running.down();
    support::say(&format!(
        "ground truth {name}: up {:.1}s, total {:.1}s ({project}): {}",
        up_time.as_secs_f64(),
        start.elapsed().as_secs_f64(),
        measured.join(", ")
    ));
    assert!(
        failures.is_empty(),
        "{name}: {} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    if let Err(e) = teardown {
        panic!("{name}: {e}");
    }
}

/// The measured result of each row (by `expected.tsv` line), from the `path target=result` notes.
fn measured_by_row(example: &Example, measured: &[String]) -> Vec<(usize, String)> {
    example
        .rows
        .iter()
        .filter(|r| r.path != "-")
        .zip(measured)
        .map(|(r, m)| (r.line, m.rsplit('=').next().unwrap_or("").to_string()))
        .collect()
}

/// Runs `compose-doctor check --live --format json` on the running project and compares every route's
/// verdict with the `live` column, and with reality: a request that failed must be an `error` route with
/// the right category, a request answered 200 must not be an error.
/// With `probe`, the same with `--probe`: what nginx sees from its own network namespace must not change a
/// verdict that reality confirms.
fn live_verdicts(
    example: &Example,
    running: &support::Running,
    measured: &[(usize, String)],
    probe: bool,
) -> Vec<String> {
    let mode = if probe { "probe" } else { "live" };
    let mut args: Vec<String> = vec![
        "check".into(),
        format!("--{mode}"),
        "--format".into(),
        "json".into(),
    ];
    args.extend(running.compose_args());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_compose-doctor"))
        .args(&args)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .output()
        .expect("run compose-doctor");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: serde_json::Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => {
            return vec![format!(
                "compose-doctor --{mode}: no JSON ({e}); exit {:?}; stderr: {stderr}",
                out.status.code()
            )];
        }
    };
    let mut failures = Vec::new();
    if v["mode"] != mode {
        failures.push(format!(
            "compose-doctor ran in mode {} (stderr: {stderr})",
            v["mode"]
        ));
    }
    let routes = v["routes"].as_array().cloned().unwrap_or_default();
    let findings = v["findings"].as_array().cloned().unwrap_or_default();
    let categories = |i: usize| -> Vec<String> {
        // the route's own findings, and the errors of its proxy (which fail every route of it)
        findings
            .iter()
            .filter(|f| {
                f["route"].as_u64() == Some(i as u64)
                    || (f["route"].is_null()
                        && f["severity"] == "error"
                        && f["proxy_service"] == routes[i]["proxy_service"])
            })
            .map(|f| f["category"].as_str().unwrap_or("").to_string())
            .collect()
    };
    for row in &example.rows {
        let (want_status, want_cat) = row
            .live_verdict
            .split_once(':')
            .unwrap_or((&row.live_verdict, ""));
        if row.target == "-" {
            let sev = if want_status == "error" {
                "error"
            } else {
                "warning"
            };
            if !findings.iter().any(|f| {
                f["route"].is_null()
                    && f["proxy_service"] == row.proxy.as_str()
                    && f["category"] == want_cat
                    && f["severity"] == sev
            }) {
                failures.push(format!(
                    "expected.tsv:{}: {mode}: no {sev} {want_cat} finding on {}",
                    row.line, row.proxy
                ));
            }
            continue;
        }
        let Some(i) = routes.iter().position(|r| {
            r["proxy_service"] == row.proxy.as_str()
                && format!("{}:{}", r["host"].as_str().unwrap_or(""), r["port"]) == row.target
        }) else {
            failures.push(format!(
                "expected.tsv:{}: {mode}: no route {} -> {}",
                row.line, row.proxy, row.target
            ));
            continue;
        };
        let status = routes[i]["status"].as_str().unwrap_or("").to_string();
        let cats = categories(i);
        if status != want_status || (!want_cat.is_empty() && !cats.iter().any(|c| c == want_cat)) {
            failures.push(format!(
                "expected.tsv:{}: {mode} verdict for {} is {status} {cats:?}, expected {}",
                row.line, row.target, row.live_verdict
            ));
        }
        // reality: a failed request is an error route, a 200 is not
        if let Some((_, real)) = measured.iter().find(|(l, _)| *l == row.line) {
            let failed = real != "200";
            if failed != (status == "error") {
                failures.push(format!(
                    "expected.tsv:{}: nginx answered {real} for {}, but the {mode} verdict is {status} {cats:?}",
                    row.line, row.target
                ));
            }
        }
    }
    failures
}

/// Facts an example exists to demonstrate, beyond the HTTP status.
fn extra_checks(name: &str, running: &support::Running) -> Vec<String> {
    let mut failures = Vec::new();
    match name {
        "oom-killed" => {
            let oom = running.oom_killed("app");
            if oom != Some(true) {
                failures.push(format!("app: State.OOMKilled is {oom:?}, want Some(true)"));
            }
        }
        "stale-ip" | "upstream-recreated-same-ip" => {
            let before = running.ips_at_start().get("app").cloned();
            let now = running.service_ips().get("app").cloned();
            let want_change = name == "stale-ip";
            if before.is_none() || now.is_none() || (before != now) != want_change {
                failures.push(format!(
                    "app IP before the after-up steps {before:?}, after {now:?}: want {}",
                    if want_change {
                        "a different IP"
                    } else {
                        "the same IP"
                    }
                ));
            }
        }
        "mount-missing" => {
            let out = running.up_output();
            if out.success() {
                failures.push("up -d succeeded, want it to fail on the missing bind source".into());
            }
        }
        _ => {}
    }
    failures
}

macro_rules! ground_truth_tests {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                ground_truth($name);
            }
        )*

        const ALL: &[&str] = &[$($name),*];
    };
}

ground_truth_tests! {
    config_not_found => "config-not-found",
    default_bridge => "default-bridge",
    fastcgi_to_http => "fastcgi-to-http",
    healthy_aliases => "healthy-aliases",
    healthy_basic => "healthy-basic",
    healthy_internal_network => "healthy-internal-network",
    healthy_multi_network => "healthy-multi-network",
    healthy_network_mode_service => "healthy-network-mode-service",
    healthy_resolver_variable => "healthy-resolver-variable",
    healthy_upstream_block => "healthy-upstream-block",
    http_to_tls => "http-to-tls",
    https_to_plain => "https-to-plain",
    invalid_header => "invalid-header",
    localhost_in_container => "localhost-in-container",
    loopback_bind => "loopback-bind",
    mount_missing => "mount-missing",
    no_resolver_variable => "no-resolver-variable",
    no_shared_network => "no-shared-network",
    not_a_service => "not-a-service",
    not_http_upstream => "not-http-upstream",
    oom_killed => "oom-killed",
    partial_upstream => "partial-upstream",
    published_port => "published-port",
    resolver_unreachable => "resolver-unreachable",
    stale_ip => "stale-ip",
    unknown_host => "unknown-host",
    unknown_host_resolver => "unknown-host-resolver",
    upstream_exited => "upstream-exited",
    upstream_recreated_same_ip => "upstream-recreated-same-ip",
    upstream_stopped => "upstream-stopped",
    upstream_timeout => "upstream-timeout",
    include_missing => "include-missing",
    grpc_to_http1 => "grpc-to-http1",
    healthy_templates => "healthy-templates",
    envsubst_wipes_variables => "envsubst-wipes-variables",
    wrong_context => "wrong-context",
    wrong_port => "wrong-port",
}

/// Every example directory has a test above, and every test an example.
#[test]
fn every_example_has_a_test() {
    let mut listed: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(listed, support::example_names());
}

/// Every `expected.tsv` is well formed (no Docker needed).
#[test]
fn expected_files_are_well_formed() {
    const STATUSES: &[&str] = &["ok", "error", "warning", "info", "unknown"];
    let mut problems = Vec::new();
    for name in support::example_names() {
        let ex = Example::load(&name);
        let dir = &ex.dir;
        if !dir.join("README.md").is_file() {
            problems.push(format!("{name}: no README.md"));
        }
        if ex.rows.is_empty() {
            problems.push(format!("{name}: expected.tsv has no rows"));
        }
        for row in &ex.rows {
            let at = format!("{name}/expected.tsv:{}", row.line);
            for verdict in [&row.static_verdict, &row.live_verdict] {
                let (status, category) = match verdict.split_once(':') {
                    Some((s, c)) => (s, Some(c)),
                    None => (verdict.as_str(), None),
                };
                if !STATUSES.contains(&status) {
                    problems.push(format!("{at}: unknown status {status:?}"));
                }
                if let Some(c) = category
                    && !compose_doctor::checks::CATEGORIES.contains(&c)
                {
                    problems.push(format!("{at}: unknown category {c:?}"));
                }
            }
            if ex.norun.is_some() {
                if row.real != "-" {
                    problems.push(format!(
                        "{at}: a norun example has real {:?}, want -",
                        row.real
                    ));
                }
                continue;
            }
            for word in row.real.split('|') {
                let known =
                    word.parse::<u16>().is_ok() || matches!(word, "down" | "timeout" | "invalid");
                if !known {
                    problems.push(format!(
                        "{at}: real {word:?} is not a status, down, timeout or invalid"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A second run of `tests/images/build.sh` builds nothing.
#[test]
fn image_build_is_idempotent() {
    if !support::docker_or_skip() {
        return;
    }
    support::ensure_images();
    let ids = || {
        [support::NGINX_IMAGE, support::BUSYBOX_IMAGE]
            .map(|image| support::docker(&["image", "inspect", "-f", "{{.Id}}", image]).stdout)
    };
    let before = ids();
    let out = support::build_images();
    assert!(out.success(), "build.sh: {out}");
    assert!(
        !out.stdout.contains("built "),
        "second run of build.sh built again:\n{out}"
    );
    assert_eq!(
        out.stdout.matches("up to date ").count(),
        2,
        "build.sh output: {out}"
    );
    assert_eq!(before, ids(), "image ids changed");
}
