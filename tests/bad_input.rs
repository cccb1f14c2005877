//! Bad input through the command line: every file of `testdata/bad/**` (and the large or odd ones this test
//! generates: 10,000 nesting levels, 100 MB files, thousands of glob matches, symlink loops, files outside
//! the project) must end with exit 2 and a message naming the file and the line, never a hang, a panic or
//! a byte of a file outside the project. No timing is asserted: the limits are in the code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compose-doctor"))
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .env_remove("DOCKER_HOST")
        .env("NO_COLOR", "1")
        .output()
        .expect("run compose-doctor")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Exit 2, no panic, and `error: FILE:LINE:` on stderr for a file whose name ends with `file_end`.
fn assert_located(o: &Output, file_end: &str) {
    let err = text(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{file_end}: {err}{}",
        text(&o.stdout)
    );
    assert!(!err.contains("panicked"), "{err}");
    let ok = err.lines().any(|l| {
        l.strip_prefix("error: ").is_some_and(|rest| {
            rest.split_once(':').is_some_and(|(f, after)| {
                f.ends_with(file_end)
                    && after
                        .split(':')
                        .next()
                        .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 1))
            })
        })
    });
    assert!(ok, "no `error: ...{file_end}:LINE:` in: {err}");
}

struct Tmp(PathBuf);
impl Tmp {
    fn new(tag: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("cd-bad-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("testdata/bad").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn every_bad_compose_file_exits_2_with_file_and_line() {
    let fs = files("compose");
    assert!(fs.len() >= 30);
    for f in fs {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let o = run(&root(), &["check", "--offline", "-f", f.to_str().unwrap()]);
        assert_located(&o, &name);
        // the same through `parse compose`
        let o = run(&root(), &["parse", "compose", "-f", f.to_str().unwrap()]);
        assert_located(&o, &name);
    }
}

#[test]
fn every_bad_nginx_file_exits_2_with_file_and_line() {
    let fs = files("nginx");
    assert!(fs.len() >= 20);
    for f in fs {
        let o = run(&root(), &["parse", "nginx", f.to_str().unwrap()]);
        // cycles are reported where the include that closes them is
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let expect = if name.starts_with("cycle-") {
            ".inc"
        } else {
            &name
        };
        assert_located(&o, expect);
    }
}

#[test]
fn no_byte_of_a_file_outside_is_printed() {
    // a secret of "the machine": a file outside the project directory
    let outside = Tmp::new("outside");
    let secret = "TOP-SECRET-7f3a9c shadow:$y$j9T$hash:19000:0:99999:7:::";
    outside.write("shadow", secret);
    outside.write(
        "conf.d/evil.conf",
        &format!("server {{ listen 80; return 200 \"{secret}\" }}\n"),
    );
    let secret_path = outside.0.join("shadow");

    let t = Tmp::new("policy");
    t.write(
        "nginx/nginx.conf",
        &format!(
            "events {{}}\nhttp {{\n  include conf.d/*.conf;\n  include {};\n}}\n",
            secret_path.display()
        ),
    );
    t.write(
        "nginx/conf.d/ok.conf",
        "server { listen 80; location / { proxy_pass http://app:8080; } }\n",
    );
    // a symlink in the project that points outside it
    std::os::unix::fs::symlink(&secret_path, t.0.join("nginx/conf.d/link.conf")).unwrap();
    t.write(
        "compose.yaml",
        &format!(
            "services:\n  proxy:\n    image: nginx:1.25\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./nginx/conf.d:/etc/nginx/conf.d:ro\n      - {}:/etc/nginx/extra:ro\n  app:\n    image: busybox\n    command: [httpd, -f, -p, '8080']\n",
            outside.0.join("conf.d").display()
        ),
    );
    for format in ["table", "json"] {
        let o = run(&t.0, &["check", "--offline", "--format", format, "-v"]);
        let all = text(&o.stdout) + &text(&o.stderr);
        assert!(!all.contains("TOP-SECRET"), "{all}");
        assert!(!all.contains("$y$j9T"), "{all}");
        assert!(all.contains("outside the project directory"), "{all}");
        assert_eq!(o.status.code(), Some(2), "{all}");
    }
    // `parse nginx` of the same file: includes outside the file's directory are not read
    let o = run(&t.0, &["parse", "nginx", "nginx/nginx.conf"]);
    let all = text(&o.stdout) + &text(&o.stderr);
    assert!(!all.contains("TOP-SECRET"), "{all}");
    assert_located(&o, "nginx.conf");
    // with --allow-outside it is read (and its syntax error shown): the flag is what opens the door
    let o = run(
        &t.0,
        &["parse", "nginx", "--allow-outside", "nginx/nginx.conf"],
    );
    assert_located(&o, "shadow");
}

#[test]
fn generated_extremes() {
    let t = Tmp::new("extremes");
    // 10,000 nesting levels
    let deep_nginx = t.write("deep.conf", &("a {".repeat(10_000) + &"}".repeat(10_000)));
    assert_located(
        &run(&t.0, &["parse", "nginx", deep_nginx.to_str().unwrap()]),
        "deep.conf",
    );
    let deep_yaml = t.write(
        "deep.yaml",
        &format!(
            "services:\n  web:\n    labels: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    assert_located(
        &run(
            &t.0,
            &["check", "--offline", "-f", deep_yaml.to_str().unwrap()],
        ),
        "deep.yaml",
    );
    let deep_block = t.write("deep-block.yaml", &{
        let mut s = String::from("services:\n  web:\n    labels:\n");
        for i in 0..10_000 {
            s.push_str(&" ".repeat(6 + i));
            s.push_str("k:\n");
        }
        s
    });
    assert_located(
        &run(
            &t.0,
            &["check", "--offline", "-f", deep_block.to_str().unwrap()],
        ),
        "deep-block.yaml",
    );
    // 100 MB files (sparse: no disk used): refused by size before reading
    for name in ["huge.conf", "huge.yaml"] {
        let f = std::fs::File::create(t.0.join(name)).unwrap();
        f.set_len(100 << 20).unwrap();
    }
    assert_located(&run(&t.0, &["parse", "nginx", "huge.conf"]), "huge.conf");
    assert_located(
        &run(&t.0, &["check", "--offline", "-f", "huge.yaml"]),
        "huge.yaml",
    );
    // a glob matching 3,000 files, one of them broken
    let g = Tmp::new("glob");
    g.write(
        "nginx.conf",
        "events {}\nhttp {\n  include many/*.conf;\n}\n",
    );
    for i in 0..3000 {
        g.write(
            &format!("many/s{i:04}.conf"),
            &format!("server {{ listen {}; }}\n", 10000 + i),
        );
    }
    g.write("many/s2999.conf", "server { listen 80 }\n");
    let o = run(&g.0, &["parse", "nginx", "nginx.conf"]);
    assert_located(&o, "s2999.conf");
    // symlink loops
    let l = Tmp::new("loops");
    std::os::unix::fs::symlink("loop-b.conf", l.0.join("loop-a.conf")).unwrap();
    std::os::unix::fs::symlink("loop-a.conf", l.0.join("loop-b.conf")).unwrap();
    l.write(
        "nginx.conf",
        "events {}\nhttp {\n  include loop-a.conf;\n}\n",
    );
    assert_located(&run(&l.0, &["parse", "nginx", "nginx.conf"]), "nginx.conf");
    std::os::unix::fs::symlink("loop.yaml", l.0.join("loop.yaml")).unwrap();
    let o = run(&l.0, &["check", "--offline", "-f", "loop.yaml"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("loop.yaml"), "{}", text(&o.stderr));
    // a FIFO and a device are refused, not read (reading would block or never end)
    let fifo = l.0.join("fifo.conf");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        l.write("fifo-main.conf", "events {}\nhttp { include fifo.conf; }\n");
        assert_located(
            &run(&l.0, &["parse", "nginx", "fifo-main.conf"]),
            "fifo-main.conf",
        );
    }
    l.write("zero-main.conf", "events {}\nhttp { include /dev/zero; }\n");
    assert_located(
        &run(
            &l.0,
            &["parse", "nginx", "--allow-outside", "zero-main.conf"],
        ),
        "zero-main.conf",
    );
}

#[test]
fn compose_files_outside_the_project_are_not_read() {
    let outside = Tmp::new("c-outside");
    outside.write("secret.env", "TOKEN=TOP-SECRET-c0ffee\n");
    outside.write(
        "other.yaml",
        "services:\n  leaked:\n    image: TOP-SECRET-image\n",
    );
    let t = Tmp::new("c-policy");
    let env = outside.0.join("secret.env");
    let other = outside.0.join("other.yaml");
    t.write(
        "compose.yaml",
        &format!(
            "services:\n  web:\n    image: nginx\n    env_file: [{}]\n",
            env.display()
        ),
    );
    let o = run(&t.0, &["parse", "compose", "--show-secrets"]);
    let all = text(&o.stdout) + &text(&o.stderr);
    assert!(!all.contains("TOP-SECRET"), "{all}");
    assert!(all.contains("outside the project directory"), "{all}");
    // the flag reads it
    let o = run(
        &t.0,
        &["parse", "compose", "--show-secrets", "--allow-outside"],
    );
    assert!(text(&o.stdout).contains("TOP-SECRET-c0ffee"));

    for (key, yaml) in [
        (
            "include",
            format!(
                "include: [{}]\nservices:\n  web:\n    image: nginx\n",
                other.display()
            ),
        ),
        (
            "extends",
            format!(
                "services:\n  web:\n    extends:\n      file: {}\n      service: leaked\n",
                other.display()
            ),
        ),
    ] {
        t.write("compose.yaml", &yaml);
        let o = run(&t.0, &["check", "--offline"]);
        let all = text(&o.stdout) + &text(&o.stderr);
        assert!(!all.contains("TOP-SECRET"), "{key}: {all}");
        assert!(all.contains("--allow-outside"), "{key}: {all}");
        assert_located(&o, "compose.yaml");
    }
}
