//! The entities capability (3 exposed operations) against the test upstream.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{PREFIX, Server, Upstream};

fn entity(name: &str, key: &str) -> String {
    format!("{PREFIX}/entities/{name}/{key}")
}

#[tokio::test]
async fn every_exposed_operation_reaches_the_upstream() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    for (method, path) in [
        (Method::GET, format!("{PREFIX}/entities/counter")),
        (Method::GET, entity("counter", "k")),
        (Method::POST, entity("counter", "k")),
    ] {
        let reply = server.send(server.request(method.clone(), &path)).await;
        assert_ne!(
            reply.header("content-type"),
            "application/problem+json",
            "{method} {path} was answered by the server itself: {} {}",
            reply.status,
            reply.text
        );
    }
}

#[tokio::test]
async fn openapi_json_describes_exactly_the_exposed_operations() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    let document = server.get("/openapi.json").await.assert_status(200).json();
    let paths = document["paths"].as_object().expect("paths");
    let mut served: Vec<String> = paths
        .iter()
        .flat_map(|(path, item)| {
            ["get", "post", "delete", "put", "patch"]
                .into_iter()
                .filter(|method| item.get(*method).is_some())
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    served.sort();
    assert_eq!(
        served,
        [
            format!("GET {PREFIX}/entities/{{entityname}}"),
            format!("GET {PREFIX}/entities/{{entityname}}/{{entitykey}}"),
            format!("POST {PREFIX}/entities/{{entityname}}/{{entitykey}}"),
        ]
    );
}

#[tokio::test]
async fn health_readiness_and_unknown_routes() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    server.get("/healthz").await.assert_status(200);
    server.get("/readyz").await.assert_status(200);
    server
        .get(&format!("{PREFIX}/instances"))
        .await
        .problem(404);
    server.get(&format!("{PREFIX}/entities")).await.problem(404);
}

#[tokio::test]
async fn a_wrong_method_is_405_problem() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    server.delete(&entity("counter", "k")).await.problem(405);
    server
        .post(&format!("{PREFIX}/entities/counter"))
        .await
        .problem(405);
}

#[tokio::test]
async fn signals_are_202_empty_and_change_the_state() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    let path = entity("counter", "cats");
    for amount in ["5", "2"] {
        server
            .post_json(&format!("{path}?op=add"), amount)
            .await
            .assert_status(202)
            .assert_empty();
    }
    let reply = server.get(&path).await;
    reply.assert_status(200).assert_upstream_json();
    assert_eq!(reply.json(), json!(7));
}

#[tokio::test]
async fn a_signal_body_is_the_operation_input() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    let path = entity("store", "doc");
    server
        .post_json(&format!("{path}?op=set"), r#"{"title":"x","tags":["a"]}"#)
        .await
        .assert_status(202);
    assert_eq!(
        server.get(&path).await.assert_status(200).json(),
        json!({"title": "x", "tags": ["a"]})
    );
}

#[tokio::test]
async fn the_dollar_key_reads_the_empty_key() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    upstream
        .call(Method::POST, "/entities/counter?op=add", Some("3"))
        .await
        .assert_status(202);
    let reply = server.get(&entity("counter", "$")).await;
    reply.assert_status(200).assert_upstream_json();
    assert_eq!(reply.json(), json!(3));
    server
        .get(&entity("counter", "%24"))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn keys_are_passed_as_sent() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    server
        .post_json(&format!("{}?op=set", entity("store", "a%20b+c")), "\"v\"")
        .await
        .assert_status(202);
    let listed = server
        .get(&format!("{PREFIX}/entities/store?fetchState=true"))
        .await
        .json();
    assert_eq!(
        listed[0]["entityId"],
        json!({"name": "store", "key": "a b+c"})
    );
    assert_eq!(
        server.get(&entity("store", "a%20b%2Bc")).await.json(),
        json!("v")
    );
}

#[tokio::test]
async fn a_missing_entity_is_404_empty() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    server
        .get(&entity("counter", "nobody"))
        .await
        .assert_status(404)
        .assert_empty();
}

#[tokio::test]
async fn an_unknown_entity_passes_the_upstream_400_through() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    let reply = server
        .post_json(&format!("{}?op=add", entity("nope", "k")), "1")
        .await;
    reply.assert_status(400).assert_upstream_json();
    assert!(
        reply.json()["Message"]
            .as_str()
            .is_some_and(|it| it.contains("nope")),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn a_malformed_signal_body_is_400_problem() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    server
        .post_json(&format!("{}?op=add", entity("counter", "k")), "[1,")
        .await
        .bad_parameter("body");
    server.get(&entity("counter", "k")).await.assert_status(404);
}

#[tokio::test]
async fn list_fetches_state_and_pages_with_the_continuation_header() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    for key in ["a", "b"] {
        server
            .post_json(&format!("{}?op=add", entity("counter", key)), "1")
            .await
            .assert_status(202);
    }
    let all = server
        .get(&format!("{PREFIX}/entities/counter?fetchState=true"))
        .await;
    all.assert_status(200).assert_upstream_json();
    assert!(all.headers.contains_key("x-ms-continuation-token"));
    let items = all.json();
    assert_eq!(items.as_array().map(Vec::len), Some(2), "{items}");
    assert_eq!(items[0]["state"], json!(1));
    let without = server
        .get(&format!("{PREFIX}/entities/counter"))
        .await
        .json();
    assert_eq!(without[0]["state"], Value::Null);

    let first = server
        .get(&format!("{PREFIX}/entities/counter?top=1"))
        .await;
    let token = first.header("x-ms-continuation-token").to_owned();
    assert!(!token.is_empty(), "a next page");
    let second = server
        .send(
            server
                .request(Method::GET, &format!("{PREFIX}/entities/counter?top=1"))
                .header("x-ms-continuation-token", &token),
        )
        .await
        .json();
    assert_eq!(first.json()[0]["entityId"]["key"], "a");
    assert_eq!(second[0]["entityId"]["key"], "b");
}

#[tokio::test]
async fn list_parameters_are_typed_and_validated() {
    let upstream = Upstream::start().await;
    let server = Server::entities(&upstream).await;
    let list = format!("{PREFIX}/entities/counter");
    server
        .get(&format!("{list}?fetchState=1"))
        .await
        .bad_parameter("fetchState");
    server
        .get(&format!("{list}?top=x"))
        .await
        .bad_parameter("top");
    server
        .get(&format!("{list}?lastOperationTimeFrom=today"))
        .await
        .bad_parameter("lastOperationTimeFrom");
    server
        .get(&format!(
            "{list}?lastOperationTimeFrom=2000-01-01T00:00:00Z&fetchState=FALSE"
        ))
        .await
        .assert_status(200);
    server
        .get(&format!("{list}?unknown=1"))
        .await
        .bad_parameter("unknown");
}
