//! Routing, key check, path decoding, task hubs (§1).

use durable_functions_fake::{FakeConfig, Profile};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::Fake;

fn keyed() -> FakeConfig {
    FakeConfig {
        key: Some("secret".into()),
        ..FakeConfig::default()
    }
}

#[tokio::test]
async fn unknown_routes_are_404_with_an_empty_body() {
    let fake = Fake::new().await;
    for path in [
        "/runtime/webhooks/durabletask",
        "/runtime/webhooks/durabletask/nothing",
        "/runtime/webhooks/durabletask/instances/a/b/c/d",
        "/runtime/webhooks/durabletaskx/instances",
        "/api/hello",
        "/",
    ] {
        let url = format!("{}{path}", fake.server.base_url());
        let reply = fake.send_url(Method::GET, &url, None, None, &[]).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        reply.assert_empty();
    }
}

#[tokio::test]
async fn other_verbs_are_404() {
    let fake = Fake::new().await;
    for method in [Method::PUT, Method::PATCH] {
        let reply = fake
            .send_url(method.clone(), &fake.url("/instances"), None, None, &[])
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
    }
    let reply = fake.get("/orchestrators/Echo").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
}

#[tokio::test]
async fn literal_segments_and_the_webhook_name_are_case_insensitive() {
    let fake = Fake::new().await;
    let url = format!(
        "{}/Runtime/Webhooks/DurableTask/Orchestrators/Echo/ci",
        fake.server.base_url()
    );
    let reply = fake.send_url(Method::POST, &url, None, None, &[]).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let url = format!(
        "{}/runtime/webhooks/durableTask/INSTANCES/ci",
        fake.server.base_url()
    );
    let reply = fake.send_url(Method::GET, &url, None, None, &[]).await;
    assert_eq!(reply.json()["instanceId"], "ci");
    let reply = fake.get("/Entities").await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn generated_links_use_the_canonical_webhook_path() {
    let fake = Fake::new().await;
    let url = format!(
        "{}/runtime/webhooks/DurableTask/orchestrators/Echo/x",
        fake.server.base_url()
    );
    let reply = fake.send_url(Method::POST, &url, None, None, &[]).await;
    assert!(
        reply.json()["statusQueryGetUri"]
            .as_str()
            .expect("uri")
            .contains("/runtime/webhooks/durabletask/instances/x?")
    );
}

#[tokio::test]
async fn missing_or_wrong_key_is_401_with_an_empty_body() {
    let fake = Fake::with(keyed()).await;
    for path in ["/instances", "/instances?code=wrong", "/instances/nope"] {
        let reply = fake.get(path).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        reply.assert_empty();
    }
    let reply = fake.post("/orchestrators/Echo").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn key_is_accepted_as_code_or_x_functions_key() {
    let fake = Fake::with(keyed()).await;
    assert_eq!(
        fake.get("/instances?code=secret").await.status,
        StatusCode::OK
    );
    let reply = fake
        .send_url(
            Method::GET,
            &fake.url("/instances"),
            None,
            None,
            &[("x-functions-key", "secret")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn links_from_a_keyed_start_work_as_they_are() {
    let fake = Fake::with(keyed()).await;
    let reply = fake.post("/orchestrators/Echo?code=secret").await;
    let status_uri = reply.json()["statusQueryGetUri"]
        .as_str()
        .expect("uri")
        .to_string();
    let reply = fake
        .send_url(Method::GET, &status_uri, None, None, &[])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_paths_are_404_even_without_a_key() {
    let fake = Fake::with(keyed()).await;
    let url = format!("{}/api/x", fake.server.base_url());
    let reply = fake.send_url(Method::GET, &url, None, None, &[]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn new_profile_decodes_percent_encoded_ids() {
    let fake = Fake::new().await;
    let reply = fake.post("/orchestrators/Echo/my%20id").await;
    let status_uri = reply.json()["statusQueryGetUri"]
        .as_str()
        .expect("uri")
        .to_string();
    assert_eq!(
        fake.get("/instances/my%20id").await.json()["instanceId"],
        "my id"
    );
    // The generated URL writes the space as `+`, which the path decoding
    // turns back into a space.
    let reply = fake
        .send_url(Method::GET, &status_uri, None, None, &[])
        .await;
    assert_eq!(reply.json()["instanceId"], "my id");
}

#[tokio::test]
async fn new_profile_encoded_slash_breaks_routing() {
    let fake = Fake::new().await;
    fake.start_id("Echo", "plain", &Value::Null).await;
    let reply = fake.get("/instances/a%2Fb").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
}

#[tokio::test]
async fn old_profile_routes_the_path_as_sent() {
    let fake = Fake::profile(Profile::Old).await;
    let reply = fake.post("/orchestrators/Echo/my%20id").await;
    let body = reply.json();
    assert_eq!(body["id"], "my%20id");
    assert_eq!(
        fake.get("/instances/my%20id").await.json()["instanceId"],
        "my%20id"
    );
    // The generated link re-encodes the `%`, so it does not find the instance.
    let status_uri = body["statusQueryGetUri"].as_str().expect("uri").to_string();
    assert!(status_uri.contains("/instances/my%2520id?"), "{status_uri}");
    let reply = fake
        .send_url(Method::GET, &status_uri, None, None, &[])
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn task_hubs_are_separate_and_case_insensitive() {
    let fake = Fake::new().await;
    fake.post("/orchestrators/Echo/h?taskHub=OtherHub").await;
    assert_eq!(fake.status("h").await.0, StatusCode::NOT_FOUND);
    let reply = fake.get("/instances/h?taskHub=otherhub").await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = fake.get("/instances/h?taskHub=TestHubName").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn forwarded_host_is_used_only_when_enabled() {
    let headers = [
        ("x-forwarded-host", "example.org"),
        ("x-forwarded-proto", "https"),
    ];
    let plain = Fake::new().await;
    let reply = plain
        .send_url(
            Method::POST,
            &plain.url("/orchestrators/Echo/f"),
            None,
            None,
            &headers,
        )
        .await;
    assert!(
        reply.json()["statusQueryGetUri"]
            .as_str()
            .expect("uri")
            .starts_with("http://127.0.0.1:")
    );
    let forwarded = Fake::with(FakeConfig {
        use_forwarded_host: true,
        ..FakeConfig::default()
    })
    .await;
    let reply = forwarded
        .send_url(
            Method::POST,
            &forwarded.url("/orchestrators/Echo/f"),
            None,
            None,
            &headers,
        )
        .await;
    assert!(
        reply.json()["statusQueryGetUri"]
            .as_str()
            .expect("uri")
            .starts_with("https://example.org/runtime/webhooks/durabletask/instances/f?")
    );
}

#[tokio::test]
async fn query_parameter_names_are_case_insensitive() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &json!("in")).await;
    let reply = fake.get(&format!("/instances/{id}?SHOWINPUT=false")).await;
    assert_eq!(reply.json()["input"], Value::Null);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let fake = Fake::new().await;
    let url = fake.url("/instances");
    let Fake { server, http } = fake;
    server.shutdown().await.expect("clean shutdown");
    assert!(http.get(&url).send().await.is_err());
}
