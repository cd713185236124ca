//! The command line: options, start-up errors, shutdown.

use std::time::Duration;

use crate::harness::{
    ENTITIES, KEY_VARIABLE, Launch, ORCHESTRATIONS, PREFIX, Upstream, closed_port, crate_version,
};

/// Every option the README of a generated server documents.
const OPTIONS: &[&str] = &[
    "--upstream-url",
    "--app-name",
    "--rest-addr",
    "--no-rest",
    "--mcp-addr",
    "--no-mcp",
    "--stdio",
    "--upstream-timeout",
    "--body-limit",
    "--allowed-origin",
    "--allowed-host",
    "--public-url",
    "--help",
    "--version",
];

#[test]
fn help_lists_every_option_and_the_secret() {
    for binary in [ORCHESTRATIONS, ENTITIES] {
        let run = Launch::new(binary, "http://unused").args(&["--help"]).run();
        assert!(run.status.success(), "{binary} --help: {run:?}");
        for option in OPTIONS {
            assert!(
                run.stdout.contains(option),
                "{binary} --help does not list {option}:\n{}",
                run.stdout
            );
        }
        assert!(run.stdout.contains(KEY_VARIABLE), "{}", run.stdout);
    }
}

#[test]
fn version_prints_the_name_and_version() {
    for binary in [ORCHESTRATIONS, ENTITIES] {
        let run = Launch::new(binary, "http://unused")
            .args(&["--version"])
            .run();
        assert!(run.status.success(), "{run:?}");
        assert_eq!(
            run.stdout.trim(),
            format!("{binary} {}", crate_version(binary))
        );
    }
}

#[test]
fn no_upstream_is_a_clear_error_with_exit_code_2() {
    for binary in [ORCHESTRATIONS, ENTITIES] {
        let run = Launch::new(binary, "http://unused")
            .without_upstream()
            .run();
        assert_eq!(run.status.code(), Some(2), "{run:?}");
        assert!(
            run.stderr.contains("--upstream-url") && run.stderr.contains("--app-name"),
            "the message names both ways to give the upstream: {}",
            run.stderr
        );
    }
}

#[test]
fn a_missing_secret_is_a_start_up_error_naming_the_variable() {
    for binary in [ORCHESTRATIONS, ENTITIES] {
        let run = Launch::new(binary, "http://127.0.0.1:9")
            .without_key()
            .run();
        assert!(!run.status.success(), "{run:?}");
        assert!(run.stderr.contains(KEY_VARIABLE), "{}", run.stderr);
        assert!(!run.stderr.contains("listening"), "{}", run.stderr);
    }
}

#[test]
fn an_empty_secret_is_a_start_up_error_naming_the_variable() {
    let run = Launch::new(ORCHESTRATIONS, "http://127.0.0.1:9")
        .key("")
        .run();
    assert!(!run.status.success(), "{run:?}");
    assert!(run.stderr.contains(KEY_VARIABLE), "{}", run.stderr);
}

#[tokio::test]
async fn the_app_name_alone_is_an_upstream() {
    let server = Launch::new(ORCHESTRATIONS, "unused")
        .without_upstream()
        .args(&["--app-name", "capgen-e2e-offline"])
        .start()
        .await;
    server.get("/healthz").await.assert_status(200);
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_shuts_down_promptly_with_exit_code_0() {
    let upstream = Upstream::start().await;
    let mut server = Launch::new(ORCHESTRATIONS, &upstream.url()).start().await;
    server
        .get(&format!("{PREFIX}/instances"))
        .await
        .assert_status(200);
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let status = server.wait_exit(Duration::from_secs(5)).await;
    let status = status.unwrap_or_else(|| panic!("still running 5 s after SIGTERM"));
    assert_eq!(status.code(), Some(0), "{status}");
}

#[tokio::test]
async fn no_rest_serves_only_the_mcp_adapter() {
    let upstream = Upstream::start().await;
    let port = closed_port();
    let rest_addr = format!("127.0.0.1:{port}");
    let server = Launch::new(ENTITIES, &upstream.url())
        .option("--rest-addr", &rest_addr)
        .args(&["--no-rest"])
        .wait_for("mcp")
        .start()
        .await;
    assert!(server.mcp_addr().is_some());
    assert!(
        !server.log().contains("adapter=\"rest\""),
        "{}",
        server.log()
    );
    let refused = crate::harness::http()
        .get(format!("http://{rest_addr}/healthz"))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "nothing listens on {rest_addr}: {refused:?}"
    );
}

#[tokio::test]
async fn body_limit_sets_the_413_threshold() {
    let upstream = Upstream::start().await;
    let server = Launch::new(ORCHESTRATIONS, &upstream.url())
        .args(&["--body-limit", "64"])
        .start()
        .await;
    let path = format!("{PREFIX}/orchestrators/Echo");
    let small = format!("\"{}\"", "x".repeat(62));
    server.post_json(&path, &small).await.assert_status(202);
    let large = format!("\"{}\"", "x".repeat(63));
    server.post_json(&path, &large).await.problem(413);
}
