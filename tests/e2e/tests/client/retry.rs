//! `Client::with_retry`: idempotent requests sent again after 503 + `Retry-After` (the wait
//! honoured) and 502, up to the policy's count; POSTs never; nothing retried without a policy.
//! `Client::with_hooks`: run before and after each try. Against a scripted upstream counting
//! what arrives.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use durable_functions_client::operations::GetInstanceStatusError;
use durable_functions_client::{Client, RetryPolicy};

/// An upstream answering each request with `answers[n]` (the last one repeating); returns its
/// URL and the count of requests it received (only those carrying `x-hook: yes` when
/// `only_hooked`).
async fn scripted(answers: Vec<(u16, Option<&'static str>)>) -> (String, Arc<AtomicUsize>) {
    scripted_counting(answers, false).await
}

async fn scripted_counting(
    answers: Vec<(u16, Option<&'static str>)>,
    only_hooked: bool,
) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let answers = Arc::new(answers);
    let handler = move |headers: axum::http::HeaderMap| {
        let seen = seen.clone();
        let answers = answers.clone();
        async move {
            let hooked = headers.get("x-hook").is_some_and(|it| it == "yes");
            let n = if only_hooked && !hooked {
                usize::MAX
            } else {
                seen.fetch_add(1, Ordering::SeqCst)
            };
            let (status, retry_after) = answers[n.min(answers.len() - 1)];
            let status = if n == usize::MAX { 400 } else { status };
            let mut response: Response = (
                StatusCode::from_u16(status).expect("a status"),
                [("content-type", "application/json")],
                r#"{"name":"Echo","instanceId":"x","runtimeStatus":"Running"}"#,
            )
                .into_response();
            if let Some(wait) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", wait.parse().expect("a header value"));
            }
            response
        }
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, count)
}

#[tokio::test]
async fn a_503_with_retry_after_is_waited_for_and_retried() {
    let (url, count) = scripted(vec![(503, Some("1")), (200, None)]).await;
    let client = Client::with_base_url(url).with_retry(RetryPolicy::default());
    let started = Instant::now();
    let status = client.get_instance_status("x").send().await;
    assert!(status.is_ok(), "{status:?}");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn retries_stop_at_the_policys_count() {
    let (url, count) = scripted(vec![(502, None)]).await;
    let policy = RetryPolicy::new(3).initial_backoff(Duration::from_millis(1));
    let client = Client::with_base_url(url).with_retry(policy);
    let status = client.get_instance_status("x").send().await;
    assert!(status.is_err(), "{status:?}");
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_wait_beyond_the_policys_longest_is_not_waited() {
    let (url, count) = scripted(vec![(429, Some("3600"))]).await;
    let client = Client::with_base_url(url).with_retry(RetryPolicy::default());
    let started = Instant::now();
    let status = client.get_instance_status("x").send().await;
    assert!(status.is_err());
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn posts_and_clients_without_a_policy_send_once() {
    let (url, count) = scripted(vec![(503, Some("0"))]).await;
    let client = Client::with_base_url(&url).with_retry(RetryPolicy::default());
    let raised = client
        .raise_event("x", "go", serde_json::json!(1))
        .send()
        .await;
    assert!(raised.is_err());
    assert_eq!(count.load(Ordering::SeqCst), 1);

    let plain = Client::with_base_url(&url);
    let status = plain.get_instance_status("x").send().await;
    assert!(
        matches!(status, Err(GetInstanceStatusError::UnexpectedStatus(ref raw)) if raw.status() == 503),
        "{status:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

/// Adds `x-hook: yes` to every try and counts the answers.
struct Tagging {
    answers: Arc<AtomicUsize>,
}

impl durable_functions_client::Hooks for Tagging {
    fn before_request<'a>(
        &'a self,
        request: &'a mut axum::http::Request<bytes::Bytes>,
    ) -> durable_functions_client::HookFuture<'a> {
        Box::pin(async move {
            request
                .headers_mut()
                .insert("x-hook", axum::http::HeaderValue::from_static("yes"));
        })
    }

    fn after_response(
        &self,
        method: &axum::http::Method,
        uri: &axum::http::Uri,
        result: &Result<durable_functions_client::RawResponse, durable_functions_client::Error>,
    ) {
        assert_eq!(method, axum::http::Method::GET);
        assert!(uri.path().ends_with("/instances/x"), "{uri}");
        if result.is_ok() {
            self.answers.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn hooks_run_around_every_try() {
    let (url, count) = scripted_counting(vec![(503, Some("0")), (200, None)], true).await;
    let answers = Arc::new(AtomicUsize::new(0));
    let client = Client::with_base_url(url)
        .with_retry(RetryPolicy::default())
        .with_hooks(Tagging {
            answers: answers.clone(),
        });
    let status = client.get_instance_status("x").send().await;
    assert!(status.is_ok(), "{status:?}");
    // Both tries carried the hook's header, and the hook saw both answers.
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert_eq!(answers.load(Ordering::SeqCst), 2);
}
