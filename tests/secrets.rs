//! No environment value of the project (`environment:`, `env_file:`, `.env`) appears in any output of
//! `check` (every format), `status` or `parse compose` unless `--show-secrets`; the one exception is a value
//! that is the upstream address nginx uses (a target rendered from a template), which the report must show.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Tmp(PathBuf);
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn project(tag: &str) -> Tmp {
    let d = std::env::temp_dir().join(format!("cd-secrets-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("templates")).unwrap();
    let w = |rel: &str, text: &str| std::fs::write(d.join(rel), text).unwrap();
    w(
        "compose.yaml",
        r#"services:
  proxy:
    image: nginx:1.27
    environment:
      BACKEND_ADDR: "backend-upstream.internal:9000"
      PROXY_TOKEN: "tok-PROXY-5e1f0a"
    volumes:
      - ./templates:/etc/nginx/templates:ro
  app:
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "--", "${DB_PASSWORD}"]
    env_file: [app.env]
    environment:
      API_KEY: "key-ENVIRONMENT-93b2c7"
      DATABASE_URL: "postgres://app:${DB_PASSWORD}@db/app"
      QUOTED: 'quo"te-SECRET\back'
"#,
    );
    w(".env", "DB_PASSWORD=pw-DOTENV-4c8d21\n");
    w("app.env", "SESSION_SECRET=sess-ENVFILE-77aa10\n");
    w(
        "templates/default.conf.template",
        "server {\n  listen 80;\n  location / { proxy_pass http://${BACKEND_ADDR}; }\n  location /app { proxy_pass http://app:8080; }\n}\n",
    );
    Tmp(d)
}

const SECRETS: &[&str] = &[
    "tok-PROXY-5e1f0a",
    "key-ENVIRONMENT-93b2c7",
    "pw-DOTENV-4c8d21",
    "sess-ENVFILE-77aa10",
    "te-SECRET",
];

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compose-doctor"))
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("DB_PASSWORD")
        .env("NO_COLOR", "1")
        .output()
        .expect("run compose-doctor")
}

fn all(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn no_environment_value_in_any_output() {
    let p = project("masked");
    let runs: &[&[&str]] = &[
        &["check", "--offline"],
        &["check", "--offline", "-v"],
        &["check", "--offline", "--format", "json"],
        &["status", "--offline"],
        &["status", "--offline", "--format", "json"],
        &["parse", "compose"],
    ];
    for args in runs {
        let o = run(&p.0, args);
        let out = all(&o);
        assert!(o.status.code().is_some_and(|c| c <= 1), "{args:?}: {out}");
        for s in SECRETS {
            assert!(!out.contains(s), "{args:?} shows {s}:\n{out}");
        }
    }
    // the upstream address rendered from the environment is the target: it is shown
    let o = run(&p.0, &["check", "--offline", "--format", "json"]);
    assert!(
        all(&o).contains("backend-upstream.internal:9000"),
        "{}",
        all(&o)
    );
    // parse compose masks the environment values structurally
    let v: serde_json::Value =
        serde_json::from_slice(&run(&p.0, &["parse", "compose"]).stdout).unwrap();
    assert_eq!(
        v["services"]["app"]["environment"]["API_KEY"]["value"],
        "********"
    );
}

#[test]
fn show_secrets_shows_them() {
    let p = project("shown");
    let out = all(&run(&p.0, &["parse", "compose", "--show-secrets"]));
    for s in [
        "key-ENVIRONMENT-93b2c7",
        "pw-DOTENV-4c8d21",
        "sess-ENVFILE-77aa10",
    ] {
        assert!(out.contains(s), "{s}: {out}");
    }
}
