//! The upstream key stays inside: no response body, header or log line carries it.
//!
//! Every reply the harness reads, and the log of every server it stops, is checked already;
//! these tests drive each operation once more with the most verbose logging (`trace`) and
//! check the logs explicitly.

use reqwest::Method;

use crate::harness::{
    ENTITIES, Launch, ORCHESTRATIONS, PREFIX, Server, Upstream, assert_no_secret, closed_port,
    secret,
};

/// Log lines are written by a background thread: wait (briefly) until the request lines are in.
async fn assert_log_clean(server: &Server) {
    let log = server.log_containing("request_id=", 1).await;
    assert!(log.contains("request"), "the requests are logged:\n{log}");
    for line in log.lines() {
        assert_no_secret("a log line", line.as_bytes());
    }
}

#[tokio::test]
async fn the_upstream_itself_puts_the_key_into_its_urls() {
    // Without this, the other checks would prove nothing.
    let upstream = Upstream::start().await;
    let reply = upstream
        .call(Method::POST, "/orchestrators/Echo", Some("1"))
        .await;
    reply.assert_status(202);
    let expected = format!("code={}", secret());
    assert!(reply.header("location").contains(&expected));
    assert!(
        reply.json()["statusQueryGetUri"]
            .as_str()
            .is_some_and(|it| it.contains(&expected))
    );
}

#[tokio::test]
async fn every_orchestration_operation_keeps_the_key_inside() {
    let upstream = Upstream::start().await;
    let server = Launch::new(ORCHESTRATIONS, &upstream.url())
        .rust_log("trace")
        .start()
        .await;
    let start = server
        .post_json(&format!("{PREFIX}/orchestrators/WaitForEvent/sec-1"), "{}")
        .await;
    start.assert_status(202);
    // The upstream generated URLs with `code=<key>`: they all come back without it.
    for (field, url) in start.json().as_object().expect("an object") {
        if field != "id" {
            let url = url.as_str().expect("a URL");
            assert!(!url.contains("code="), "{field}: {url}");
        }
    }
    let instance = format!("{PREFIX}/instances/sec-1");
    let steps: Vec<(Method, String, Option<&str>, u16)> = vec![
        (Method::GET, instance.clone(), None, 202),
        (
            Method::GET,
            format!("{instance}?showHistory=true&showHistoryOutput=true"),
            None,
            202,
        ),
        (Method::GET, format!("{PREFIX}/instances?top=1"), None, 200),
        (
            Method::POST,
            format!("{instance}/suspend?reason=s"),
            None,
            202,
        ),
        (
            Method::POST,
            format!("{instance}/resume?reason=r"),
            None,
            202,
        ),
        (Method::POST, format!("{instance}/rewind"), None, 412),
        (
            Method::POST,
            format!("{instance}/raiseevent/Other"),
            Some("1"),
            202,
        ),
        (
            Method::POST,
            format!("{instance}/terminate?reason=t"),
            None,
            202,
        ),
        (Method::DELETE, instance.clone(), None, 200),
        (
            Method::DELETE,
            format!("{PREFIX}/instances?createdTimeFrom=2000-01-01T00:00:00Z"),
            None,
            404,
        ),
        (
            Method::POST,
            format!("{PREFIX}/orchestrators/Echo"),
            Some("\"e\""),
            202,
        ),
        (Method::GET, format!("{PREFIX}/instances?top=x"), None, 400),
    ];
    for (method, path, body, status) in steps {
        let mut request = server.request(method, &path);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        server.send(request).await.assert_status(status);
    }
    assert_log_clean(&server).await;
}

#[tokio::test]
async fn every_entity_operation_keeps_the_key_inside() {
    let upstream = Upstream::start().await;
    let server = Launch::new(ENTITIES, &upstream.url())
        .rust_log("trace")
        .start()
        .await;
    let key = format!("{PREFIX}/entities/counter/sec");
    server
        .post_json(&format!("{key}?op=add"), "4")
        .await
        .assert_status(202);
    server.get(&key).await.assert_status(200);
    server
        .get(&format!("{PREFIX}/entities/counter/$"))
        .await
        .assert_status(404);
    server
        .get(&format!("{PREFIX}/entities/counter?fetchState=true"))
        .await
        .assert_status(200);
    server
        .post_json(&format!("{PREFIX}/entities/unknown/k?op=x"), "1")
        .await
        .assert_status(400);
    assert_log_clean(&server).await;
}

#[tokio::test]
async fn an_unreachable_upstream_keeps_the_key_out_of_the_log() {
    let upstream = format!("http://127.0.0.1:{}", closed_port());
    let server = Launch::new(ORCHESTRATIONS, &upstream)
        .rust_log("trace")
        .start()
        .await;
    server
        .get(&format!("{PREFIX}/instances/x?showInput=true"))
        .await
        .assert_status(502);
    assert_log_clean(&server).await;
}
