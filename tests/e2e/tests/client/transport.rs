//! `Client::with_transport`: another HTTP stack under the generated operations. A recording
//! transport answers in-process; the request it receives is the one the client would put on the
//! wire (URL with the base's own query, encoded path and query, credentials, body), and its
//! failures come back as transport errors of the right kind.

use std::sync::{Arc, Mutex};

use durable_functions_client::operations::{GetInstanceStatusError, StartOrchestrationSuccess};
use durable_functions_client::{Client, Transport, TransportFailure, TransportFuture};

/// What the transport received: method, URI, headers, body.
type Sent = (String, String, Vec<(String, String)>, Vec<u8>);

/// Answers every request with a started orchestration (or fails with `failure`), keeping what
/// it received.
#[derive(Clone, Default)]
struct Recording {
    sent: Arc<Mutex<Vec<Sent>>>,
    failure: Option<TransportFailure>,
}

impl Transport for Recording {
    fn send(&self, request: axum::http::Request<bytes::Bytes>) -> TransportFuture {
        let (parts, body) = request.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
            .collect();
        self.sent.lock().expect("lock").push((
            parts.method.to_string(),
            parts.uri.to_string(),
            headers,
            body.to_vec(),
        ));
        let failure = self.failure.clone();
        Box::pin(async move {
            if let Some(failure) = failure {
                return Err(failure);
            }
            let body = r#"{"id":"abc","statusQueryGetUri":"http://h/x","sendEventPostUri":"http://h/x","terminatePostUri":"http://h/x","purgeHistoryDeleteUri":"http://h/x"}"#;
            Ok(axum::http::Response::builder()
                .status(202)
                .header("content-type", "application/json")
                .header("location", "http://h/x")
                .body(bytes::Bytes::from_static(body.as_bytes()))
                .expect("a response"))
        })
    }
}

#[tokio::test]
async fn the_transport_gets_the_whole_request() {
    let transport = Recording::default();
    let client = Client::with_base_url("http://upstream.test/api/?fixed=1")
        .with_transport(transport.clone())
        .with_system_key("k/ey");
    let answer = client
        .start_orchestration("Hello World")
        .version("2.0")
        .body(serde_json::json!({"a": [1, 2]}))
        .send()
        .await;
    assert!(
        matches!(answer, Ok(StartOrchestrationSuccess::Accepted { .. })),
        "{answer:?}"
    );
    let sent = transport.sent.lock().expect("lock");
    let (method, uri, headers, body) = &sent[0];
    assert_eq!(method, "POST");
    assert_eq!(
        uri,
        "http://upstream.test/api/runtime/webhooks/durabletask/orchestrators/Hello%20World?fixed=1&version=2.0&code=k%2Fey"
    );
    assert!(headers.contains(&("content-type".to_owned(), "application/json".to_owned())));
    assert_eq!(body, br#"{"a":[1,2]}"#);
}

#[tokio::test]
async fn transport_failures_are_transport_errors() {
    for (failure, timeout, connect) in [
        (TransportFailure::timeout("slow"), true, false),
        (TransportFailure::connect("refused"), false, true),
        (TransportFailure::other("broken"), false, false),
    ] {
        let transport = Recording {
            failure: Some(failure),
            ..Recording::default()
        };
        let client = Client::with_base_url("http://upstream.test").with_transport(transport);
        match client.get_instance_status("x").send().await {
            Err(GetInstanceStatusError::Transport(it)) => {
                assert_eq!((it.is_timeout(), it.is_connect()), (timeout, connect));
            }
            other => panic!("expected a transport error, got {other:?}"),
        }
    }
}
