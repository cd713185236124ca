//! The upstream down, slow, or refusing the key.

use std::time::{Duration, Instant};

use crate::harness::{
    ENTITIES, Launch, ORCHESTRATIONS, PREFIX, Reply, Upstream, closed_port, slow_upstream,
};

/// A 502/504 problem that says nothing about where the upstream is.
fn assert_gateway_problem(reply: &Reply, status: u16, upstream: &str) {
    let body = reply.problem(status);
    let authority = upstream.trim_start_matches("http://");
    for (name, value) in &reply.headers {
        let value = value.to_str().unwrap_or_default();
        assert!(
            !value.contains(authority),
            "header `{name}` names the upstream: {value}"
        );
    }
    assert!(
        !reply.text.contains(authority),
        "the body names the upstream: {body}"
    );
    assert!(!reply.text.contains("code="), "{body}");
}

#[tokio::test]
async fn an_unreachable_upstream_is_502_problem_for_orchestrations() {
    let upstream = format!("http://127.0.0.1:{}", closed_port());
    let server = Launch::new(ORCHESTRATIONS, &upstream).start().await;
    let reply = server.get(&format!("{PREFIX}/instances/x")).await;
    assert_gateway_problem(&reply, 502, &upstream);
    let start = server
        .post_json(&format!("{PREFIX}/orchestrators/Echo"), "{}")
        .await;
    assert_gateway_problem(&start, 502, &upstream);
}

#[tokio::test]
async fn an_unreachable_upstream_is_502_problem_for_entities() {
    let upstream = format!("http://127.0.0.1:{}", closed_port());
    let server = Launch::new(ENTITIES, &upstream).start().await;
    let reply = server.get(&format!("{PREFIX}/entities/counter/k")).await;
    assert_gateway_problem(&reply, 502, &upstream);
}

#[tokio::test]
async fn health_does_not_depend_on_the_upstream() {
    let upstream = format!("http://127.0.0.1:{}", closed_port());
    let server = Launch::new(ORCHESTRATIONS, &upstream).start().await;
    server.get("/healthz").await.assert_status(200);
    server.get("/readyz").await.assert_status(200);
}

#[tokio::test]
async fn a_slow_upstream_is_504_problem_after_the_timeout_for_orchestrations() {
    let upstream = slow_upstream(Duration::from_secs(5)).await;
    let server = Launch::new(ORCHESTRATIONS, &upstream)
        .args(&["--upstream-timeout", "1"])
        .start()
        .await;
    let started = Instant::now();
    let reply = server.get(&format!("{PREFIX}/instances")).await;
    let elapsed = started.elapsed();
    assert_gateway_problem(&reply, 504, &upstream);
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(4),
        "answered after {elapsed:?}, expected about 1 s"
    );
}

#[tokio::test]
async fn a_slow_upstream_is_504_problem_after_the_timeout_for_entities() {
    let upstream = slow_upstream(Duration::from_secs(5)).await;
    let server = Launch::new(ENTITIES, &upstream)
        .args(&["--upstream-timeout", "1"])
        .start()
        .await;
    let started = Instant::now();
    let reply = server
        .post_json(&format!("{PREFIX}/entities/counter/k?op=add"), "1")
        .await;
    let elapsed = started.elapsed();
    assert_gateway_problem(&reply, 504, &upstream);
    assert!(
        elapsed < Duration::from_secs(4),
        "answered after {elapsed:?}"
    );
}

#[tokio::test]
async fn an_upstream_refusing_the_key_passes_401_through() {
    let upstream = Upstream::start().await;
    let server = Launch::new(ORCHESTRATIONS, &upstream.url())
        .key("a-wrong-key-0123456789")
        .start()
        .await;
    server
        .get(&format!("{PREFIX}/instances"))
        .await
        .assert_status(401)
        .assert_empty();
}

#[tokio::test]
async fn an_upstream_url_with_a_trailing_slash_works() {
    let upstream = Upstream::start().await;
    let server = Launch::new(ORCHESTRATIONS, &format!("{}/", upstream.url()))
        .start()
        .await;
    let body = server
        .post(&format!("{PREFIX}/orchestrators/WaitForEvent/slash"))
        .await
        .assert_status(202)
        .json();
    assert_eq!(
        body["statusQueryGetUri"],
        format!(
            "{}{PREFIX}/instances/slash?taskHub=TestHubName&connection=Storage",
            server.base()
        )
    );
}

#[tokio::test]
async fn the_upstream_url_can_come_from_the_environment() {
    let upstream = Upstream::start().await;
    let server = Launch::new(ENTITIES, "unused")
        .without_upstream()
        .env("UPSTREAM_URL", &upstream.url())
        .start()
        .await;
    server
        .get(&format!("{PREFIX}/entities/counter"))
        .await
        .assert_status(200);
}
