//! Where the keys go on the wire, and that no error or `Debug` output shows them.
//!
//! The seed's only security scheme is `systemKey` (`apiKey`, `in: query`, `name: code`); the
//! overlay adds `functionsKey` (`in: header`, `name: x-functions-key`) as a second alternative.

use durable_functions_client::operations::{GetInstanceStatusError, ListInstancesError};
use serde_json::json;

use crate::harness::{
    CODE, Document, KEY, Mock, Recorder, Upstream, W, assert_error_hides_key, assert_no_key,
    bare_client, client,
};

#[tokio::test]
async fn without_a_key_no_code_is_sent_and_401_is_unauthorized() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let result = mock
            .bare_client()
            .get_instance_status("x")
            .show_input(true)
            .send()
            .await;
        let exchange = mock.recorder().single();
        assert_eq!(
            exchange.request.target,
            format!("{W}/instances/x?showInput=true"),
            "{document:?}: no `code` without a key"
        );
        assert_eq!(exchange.status, 401, "{document:?}: Prism checks the key");
        match result {
            Err(GetInstanceStatusError::Unauthorized(it)) => {
                assert_eq!(it.status().as_u16(), 401);
                assert_eq!(it.raw().body(), &exchange.body, "the raw body is kept");
            }
            other => panic!("{document:?}: expected Unauthorized, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_functions_key_goes_in_the_x_functions_key_header_only() {
    let mock = Mock::start(Document::Bundle).await;
    let client = bare_client(mock.recorder().url()).with_functions_key(KEY);
    let result = client.list_instances().top(1).send().await;
    let exchange = mock.recorder().single();
    assert_eq!(exchange.request.target, format!("{W}/instances?top=1"));
    assert_eq!(exchange.request.header("x-functions-key"), Some(KEY));
    assert_eq!(
        exchange.status, 200,
        "the bundle documents the header scheme"
    );
    assert!(result.is_ok(), "{result:?}");

    // The test upstream accepts the header as the Functions host does.
    let upstream = Upstream::start().await;
    let client = bare_client(upstream.recorder().url()).with_functions_key(KEY);
    let result = client.list_instances().send().await;
    let exchange = upstream.recorder().single();
    assert_eq!(exchange.request.target, format!("{W}/instances"));
    assert_eq!(exchange.request.header("x-functions-key"), Some(KEY));
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn with_both_keys_only_the_first_alternative_the_code_is_sent() {
    let upstream = Upstream::start().await;
    let client = client(upstream.recorder().url()).with_functions_key("anotherKey");
    let result = client.get_entity("counter", "k").send().await;
    let exchange = upstream.single();
    assert_eq!(
        exchange.request.target,
        format!("{W}/entities/counter/k?{CODE}")
    );
    assert_eq!(exchange.request.header("x-functions-key"), None);
    assert_eq!(
        exchange.status, 404,
        "authorized: the entity does not exist"
    );
    assert!(result.is_err(), "{result:?}");
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_and_no_error_shows_either_key() {
    let upstream = Upstream::start().await;
    let wrong = "capgenE2eKeyWrong/+==";
    let client = bare_client(upstream.recorder().url()).with_system_key(wrong);
    let result = client.list_instances().show_input(false).send().await;
    let exchange = upstream.recorder().single();
    assert_eq!(
        exchange.request.target,
        format!("{W}/instances?showInput=false&code=capgenE2eKeyWrong%2F%2B%3D%3D")
    );
    match result {
        Err(err @ ListInstancesError::Unauthorized(_)) => {
            assert_eq!(err.status().map(|it| it.as_u16()), Some(401));
            assert!(
                err.raw_response().is_some_and(|it| it.body().is_empty()),
                "the host's 401 has no body: {err:?}"
            );
            assert_error_hides_key(&err);
            assert!(err.to_string().contains("401"), "{err}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn a_transport_error_does_not_show_the_key() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|it| it.local_addr())
        .expect("a free port")
        .port();
    let client = client(&format!("http://127.0.0.1:{port}"));
    let result = client.get_instance_status("x").send().await;
    match result {
        Err(err @ GetInstanceStatusError::Transport(_)) => {
            assert_eq!(err.status(), None);
            assert_error_hides_key(&err);
            match &err {
                GetInstanceStatusError::Transport(inner) => assert!(inner.is_connect(), "{err}"),
                _ => unreachable!(),
            }
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_key_that_cannot_be_sent_fails_before_sending_without_showing_it() {
    let recorder = Recorder::start("http://127.0.0.1:9").await;
    let client = bare_client(recorder.url()).with_functions_key("capgenE2eKey\nbroken");
    let result = client.raise_event("x", "e", json!({"a": 1})).send().await;
    match result {
        Err(err @ durable_functions_client::operations::RaiseEventError::Request(_)) => {
            assert_error_hides_key(&err);
            assert!(
                err.to_string().contains("x-functions-key"),
                "names the header: {err}"
            );
        }
        other => panic!("expected a request error, got {other:?}"),
    }
    assert!(recorder.take().is_empty(), "nothing was sent");
}

#[test]
fn the_client_debug_output_names_the_schemes_not_the_keys() {
    let client = client("http://127.0.0.1:1").with_functions_key("capgenE2eKeyHeader");
    let debug = format!("{client:?}");
    assert_no_key("the client's Debug output", &debug);
    assert!(
        debug.contains("systemKey") && debug.contains("functionsKey"),
        "{debug}"
    );
}
