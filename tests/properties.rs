//! Property tests of the parsers the fuzzers cover (see `fuzz/`): on generated input that looks like the
//! real thing (nginx syntax characters, YAML structure, `${...}` templates, `.env` lines), nothing panics and
//! every error says where it is. The checks themselves are in `compose_doctor::fuzzing`, shared with the
//! fuzz targets.

use compose_doctor::fuzzing;
use proptest::prelude::*;
use std::path::PathBuf;

/// nginx-ish text: words, quotes, braces, semicolons, escapes, comments, variables, includes.
fn nginx_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("server".to_string()),
        Just("location".to_string()),
        Just("http".to_string()),
        Just("upstream u".to_string()),
        Just("proxy_pass".to_string()),
        Just("include conf.d/*.conf".to_string()),
        Just("include nginx.conf".to_string()),
        Just("content_by_lua_block".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(";".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("\\".to_string()),
        Just("#".to_string()),
        Just("$".to_string()),
        Just("${".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        Just("\u{feff}".to_string()),
        Just("é".to_string()),
        Just("\0".to_string()),
        "[a-z0-9_:/.$]{1,12}",
        "http://[a-z$]{1,8}(:[0-9]{1,5})?",
    ];
    prop::collection::vec(piece, 0..80).prop_map(|v| v.concat())
}

fn yaml_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("services:".to_string()),
        Just("  web:".to_string()),
        Just("    image: nginx".to_string()),
        Just("    ports: [\"80:80\", 8080]".to_string()),
        Just("    ports:".to_string()),
        Just("      - \"127.0.0.1:${PORT:-80}:80\"".to_string()),
        Just("    networks: [a, b]".to_string()),
        Just("    environment:".to_string()),
        Just("      A: ${TAG?need}".to_string()),
        Just("      - B=$$x".to_string()),
        Just("    depends_on: {db: {condition: service_healthy}}".to_string()),
        Just("    extends: web".to_string()),
        Just("    volumes: [\"./a:/etc/nginx/conf.d:ro\"]".to_string()),
        Just("    healthcheck: {test: [CMD, x], interval: 1s}".to_string()),
        Just("    command: \"httpd -p 8080\"".to_string()),
        Just("    network_mode: service:web".to_string()),
        Just("x-a: &a {image: nginx}".to_string()),
        Just("  db: *a".to_string()),
        Just("  db: {<<: *a}".to_string()),
        Just("networks: {a: {}, b: {internal: true}}".to_string()),
        Just("include: [other.yaml]".to_string()),
        Just("---".to_string()),
        Just("\t".to_string()),
        "[ a-z:{}\\[\\],\"'$&*!|>-]{0,30}",
    ];
    prop::collection::vec(line, 0..30).prop_map(|v| v.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn nginx_never_panics_and_locates_errors(t in nginx_text()) {
        fuzzing::nginx(t.as_bytes());
    }

    #[test]
    fn nginx_arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..300)) {
        fuzzing::nginx(&b);
    }

    #[test]
    fn interpolation_never_panics(t in "[$${}:?+\\-A-Za-z_0-9 é]{0,40}") {
        fuzzing::interpolation(t.as_bytes());
    }

    #[test]
    fn dotenv_never_panics_and_locates_errors(t in "(((export )?[A-Z_]{1,4}[=:] ?(\"[^\"]{0,8}\"?|'[^']{0,8}'?|[a-z$#{} \\\\]{0,8})|#[a-z ]{0,5}|[ \t])\r?\n){0,8}") {
        fuzzing::dotenv(t.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn compose_never_panics_and_locates_errors(t in yaml_text()) {
        let scratch = scratch();
        fuzzing::compose_file(t.as_bytes(), &scratch);
    }
}

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "cd-prop-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::create_dir_all(&d);
    d
}
