//! Entities: get, signal, list (§4.12).

use durable_functions_fake::Profile;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Fake, Reply};

const TOKEN: &str = "x-ms-continuation-token";

async fn send(
    fake: &Fake,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Option<&str>,
) -> Reply {
    fake.send_url(method, &fake.url(path), content_type, body, &[])
        .await
}

#[tokio::test]
async fn signal_is_202_empty_and_get_returns_the_raw_state() {
    let fake = Fake::new().await;
    let reply = fake.signal("counter", "k", "add", &json!(5)).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    reply.assert_empty();
    fake.signal("counter", "k", "add", &json!(2)).await;
    let reply = fake.get("/entities/counter/k").await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_json_content_type();
    assert_eq!(reply.text, "7");
}

#[tokio::test]
async fn get_of_a_missing_entity_is_404_empty() {
    let fake = Fake::new().await;
    let reply = fake.get("/entities/counter/none").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
}

#[tokio::test]
async fn signalling_an_unknown_entity_name_is_400_with_a_message() {
    let fake = Fake::new().await;
    let reply = fake.signal("nosuch", "k", "add", &json!(1)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    reply.assert_json_content_type();
    let body = reply.json();
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["Message"]);
    assert!(
        body["Message"]
            .as_str()
            .expect("text")
            .starts_with("The function 'nosuch' doesn't exist")
    );
}

#[tokio::test]
async fn signal_without_a_name_is_400() {
    let fake = Fake::new().await;
    let reply = fake.post("/entities").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["Message"].is_string());
}

#[tokio::test]
async fn entity_names_are_lower_cased_and_keys_keep_their_case() {
    let fake = Fake::new().await;
    fake.signal("Counter", "Key", "add", &json!(1)).await;
    assert_eq!(fake.get("/entities/COUNTER/Key").await.text, "1");
    assert_eq!(
        fake.get("/entities/counter/key").await.status,
        StatusCode::NOT_FOUND
    );
    let list = fake.get("/entities?fetchState=true").await.json();
    assert_eq!(
        list[0]["entityId"],
        json!({"name": "counter", "key": "Key"})
    );
}

#[tokio::test]
async fn dollar_key_reads_the_empty_key() {
    let fake = Fake::new().await;
    // A signal without a key segment addresses the empty key.
    let reply = fake.post_json("/entities/counter?op=add", &json!(3)).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let reply = fake.get("/entities/counter/$").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "3");
}

#[tokio::test]
async fn delete_method_signals_the_delete_operation() {
    let fake = Fake::new().await;
    fake.signal("counter", "k", "add", &json!(1)).await;
    let reply = fake.delete("/entities/counter/k").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    reply.assert_empty();
    assert_eq!(
        fake.get("/entities/counter/k").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn non_json_content_is_passed_as_a_raw_string() {
    let fake = Fake::new().await;
    let reply = send(
        &fake,
        Method::POST,
        "/entities/store/s?op=set",
        Some("text/plain"),
        Some("hello {world"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(
        fake.get("/entities/store/s").await.json(),
        json!("hello {world")
    );
    send(
        &fake,
        Method::POST,
        "/entities/counter/c?op=add",
        Some("text/plain"),
        Some("4"),
    )
    .await;
    assert_eq!(fake.get("/entities/counter/c").await.text, "4");
}

#[tokio::test]
async fn json_content_is_parsed() {
    let fake = Fake::new().await;
    fake.signal("store", "s", "set", &json!({"a": [1, "x"]}))
        .await;
    assert_eq!(
        fake.get("/entities/store/s").await.json(),
        json!({"a": [1, "x"]})
    );
}

#[tokio::test]
async fn invalid_json_content_is_400_with_a_message() {
    let fake = Fake::new().await;
    let reply = send(
        &fake,
        Method::POST,
        "/entities/counter/c?op=add",
        Some("application/json"),
        Some("{nope"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let message = reply.json()["Message"].as_str().expect("text").to_string();
    assert!(
        message.starts_with("Could not parse JSON content: "),
        "{message}"
    );
}

#[tokio::test]
async fn a_signal_without_body_has_no_input() {
    let fake = Fake::new().await;
    fake.signal("counter", "c", "add", &json!(9)).await;
    let reply = fake.post("/entities/counter/c?op=reset").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(fake.get("/entities/counter/c").await.text, "0");
}

#[tokio::test]
async fn operations_that_do_not_apply_leave_no_state() {
    let fake = Fake::new().await;
    fake.post("/entities/counter/c?op=get").await;
    fake.signal("counter", "c", "frobnicate", &json!(1)).await;
    assert_eq!(
        fake.get("/entities/counter/c").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn invalid_key_characters_are_400_in_the_new_profile() {
    let fake = Fake::new().await;
    let reply = fake
        .post_json("/entities/counter/a%23b?op=add", &json!(1))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["Message"].is_string());
}

#[tokio::test]
async fn list_omits_state_unless_fetch_state_is_true() {
    let fake = Fake::new().await;
    fake.signal("counter", "a", "add", &json!(1)).await;
    let reply = fake.get("/entities").await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_json_content_type();
    assert!(reply.has(TOKEN));
    assert_eq!(reply.header(TOKEN), "");
    let item = &reply.json()[0];
    let keys: Vec<&String> = item.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["entityId", "lastOperationTime", "state"]);
    assert_eq!(item["state"], Value::Null);
    let fetched = fake.get("/entities?fetchState=true").await.json();
    assert_eq!(fetched[0]["state"], 1);
}

#[tokio::test]
async fn last_operation_time_has_seven_fractional_digits_and_z() {
    let fake = Fake::new().await;
    fake.signal("counter", "a", "add", &json!(1)).await;
    let list = fake.get("/entities").await.json();
    let stamp = list[0]["lastOperationTime"].as_str().expect("string");
    assert_eq!(stamp.len(), 28, "{stamp}");
    assert_eq!(&stamp[19..20], ".");
    assert!(stamp[20..27].chars().all(|c| c.is_ascii_digit()), "{stamp}");
    assert!(stamp.ends_with('Z'));
}

#[tokio::test]
async fn list_by_name_filters_case_insensitively() {
    let fake = Fake::new().await;
    fake.signal("counter", "a", "add", &json!(1)).await;
    fake.signal("store", "b", "set", &json!("x")).await;
    let reply = fake.get("/entities/Counter").await.json();
    let items = reply.as_array().expect("array");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["entityId"]["name"], "counter");
    assert_eq!(
        fake.get("/entities/")
            .await
            .json()
            .as_array()
            .expect("array")
            .len(),
        2
    );
}

#[tokio::test]
async fn list_filters_by_last_operation_time() {
    let fake = Fake::new().await;
    fake.signal("counter", "a", "add", &json!(1)).await;
    let future = fake
        .get("/entities?lastOperationTimeFrom=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(future.json(), json!([]));
    let past = fake
        .get("/entities?lastOperationTimeTo=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(past.json(), json!([]));
    let range = fake
        .get("/entities?lastOperationTimeFrom=2000-01-01&lastOperationTimeTo=2999-01-01")
        .await;
    assert_eq!(range.json().as_array().expect("array").len(), 1);
}

#[tokio::test]
async fn list_pages_with_top_and_the_continuation_header() {
    let fake = Fake::new().await;
    for key in ["a", "b", "c"] {
        fake.signal("counter", key, "add", &json!(1)).await;
    }
    let first = fake.get("/entities?top=2").await;
    assert_eq!(first.json().as_array().expect("array").len(), 2);
    let token = first.header(TOKEN).to_string();
    assert!(!token.is_empty());
    let second = fake
        .send_url(
            Method::GET,
            &fake.url("/entities?top=2"),
            None,
            None,
            &[(TOKEN, &token)],
        )
        .await;
    let items = second.json();
    assert_eq!(items.as_array().expect("array").len(), 1);
    assert_eq!(items[0]["entityId"]["key"], "c");
    assert_eq!(second.header(TOKEN), "");
}

#[tokio::test]
async fn wrong_verbs_and_extra_segments_are_404() {
    let fake = Fake::new().await;
    let reply = send(&fake, Method::GET, "/entities/counter/a/extra", None, None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
}

#[tokio::test]
async fn old_profile_signals_and_reads_the_same_way() {
    let fake = Fake::profile(Profile::Old).await;
    fake.signal("counter", "k", "add", &json!(2)).await;
    assert_eq!(fake.get("/entities/counter/k").await.text, "2");
}
