//! Faults and abusive clients: malformed path encodings, oversized heads and slow clients get the
//! server's own problem+json (or are cut off) and nothing goes upstream; an upstream that echoes
//! its own address in an HTML error page or in a link has it replaced before the answer leaves.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{Launch, ORCHESTRATIONS, PREFIX, Reply, Upstream, secret};

/// An upstream that answers every request 500 with an HTML page echoing the absolute URL it was
/// asked for (its own origin, and the key in the query), and counts requests.
async fn echoing_upstream() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the echoing upstream");
    let origin = format!("http://{}", listener.local_addr().expect("its address"));
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let own = origin.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let own = own.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0_u8; 16 * 1024];
                let Ok(read) = stream.read(&mut buffer).await else {
                    return;
                };
                seen.fetch_add(1, Ordering::SeqCst);
                let head = String::from_utf8_lossy(&buffer[..read]);
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let page = format!(
                    "<html><body><h1>Error</h1><p>while serving <a href=\"{own}{target}\">{own}{target}</a></p>\
                     <p>Contact {own}/admin</p></body></html>"
                );
                let reply = format!(
                    "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/html; charset=utf-8\r\nx-upstream-page: {own}/x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    (origin, count)
}

fn assert_no_upstream(reply: &Reply, origin: &str) {
    let authority = origin.trim_start_matches("http://");
    assert!(
        !reply.text.to_ascii_lowercase().contains(authority),
        "the body names the upstream: {}",
        reply.text
    );
    for (name, value) in &reply.headers {
        let value = value.to_str().unwrap_or_default();
        assert!(
            !value.contains(authority),
            "header `{name}` names the upstream: {value}"
        );
    }
}

#[tokio::test]
async fn an_html_error_page_loses_the_upstream_origin_and_the_key() {
    let (origin, _) = echoing_upstream().await;
    let server = Launch::new(ORCHESTRATIONS, &origin).start().await;
    let reply = server.get(&format!("{PREFIX}/instances/abc")).await;
    reply.assert_status(500);
    assert!(reply.text.contains("<h1>Error</h1>"), "{}", reply.text);
    assert_no_upstream(&reply, &origin);
    // The echoed URL points at this server's own route now, without the key.
    let own = format!("{}{PREFIX}/instances/abc", server.base());
    assert!(reply.text.contains(&own), "{}", reply.text);
    assert!(!reply.text.contains(secret()));
    assert!(!reply.text.contains("code="), "{}", reply.text);
}

#[tokio::test]
async fn malformed_percent_encoding_in_a_path_is_400_and_not_forwarded() {
    let (origin, count) = echoing_upstream().await;
    let server = Launch::new(ORCHESTRATIONS, &origin).start().await;
    for segment in ["abc%ZZ", "%G1x", "abc%", "a%2"] {
        let reply = server.get(&format!("{PREFIX}/instances/{segment}")).await;
        let problem = reply.problem(400);
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|it| it.contains("instanceid")),
            "{problem}"
        );
    }
    assert_eq!(count.load(Ordering::SeqCst), 0, "nothing went upstream");
}

#[tokio::test]
async fn invalid_utf8_in_a_path_is_a_problem() {
    let (origin, count) = echoing_upstream().await;
    let server = Launch::new(ORCHESTRATIONS, &origin).start().await;
    let reply = server.get(&format!("{PREFIX}/instances/%FF%FE")).await;
    let problem = reply.problem(400);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|it| it.contains("UTF-8"))
    );
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn encoded_path_values_are_decoded_once() {
    let upstream = Upstream::start().await;
    let server = Launch::new(ORCHESTRATIONS, &upstream.url()).start().await;
    // `%2525` is `%25` once decoded (a literal `%`), never `%` twice over.
    let reply = server.get(&format!("{PREFIX}/instances/a%2525b")).await;
    reply.assert_status(404);
    assert_eq!(
        upstream
            .call(
                reqwest::Method::GET,
                "/runtime/webhooks/durabletask/instances/a%2525b",
                None
            )
            .await
            .status
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn oversized_targets_and_headers_are_problems() {
    let (origin, count) = echoing_upstream().await;
    let server = Launch::new(ORCHESTRATIONS, &origin).start().await;
    let long = "x".repeat(9 * 1024);
    server
        .get(&format!("{PREFIX}/instances/abc?taskHub={long}"))
        .await
        .problem(414);
    let reply = server
        .send(
            server
                .request(reqwest::Method::GET, &format!("{PREFIX}/instances/abc"))
                .header("x-filler", "y".repeat(40 * 1024)),
        )
        .await;
    reply.problem(431);
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_client_that_sends_its_headers_too_slowly_is_cut_off() {
    let (origin, _) = echoing_upstream().await;
    let server = Launch::new(ORCHESTRATIONS, &origin)
        .option("--header-timeout", "1")
        .start()
        .await;
    let mut stream = tokio::net::TcpStream::connect(server.rest_addr())
        .await
        .expect("connect");
    let started = Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("a partial head");
    let mut rest = Vec::new();
    // The server closes the connection (possibly after a 408) instead of waiting for ever.
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection stayed open for 5 s");
    assert!(started.elapsed() < Duration::from_secs(4));
    // A well-behaved client is still served.
    server.get("/healthz").await.assert_status(200);
}
