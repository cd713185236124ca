//! `POST /instances/{id}/raiseEvent/{eventName}` (§4.6), in the documented
//! order of checks.

use durable_functions_fake::Profile;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Fake, long};

async fn raise(
    fake: &Fake,
    path: &str,
    content_type: Option<&str>,
    body: Option<&str>,
) -> crate::common::Reply {
    fake.send_url(Method::POST, &fake.url(path), content_type, body, &[])
        .await
}

#[tokio::test]
async fn missing_instance_is_404_empty() {
    let fake = Fake::new().await;
    let reply = raise(
        &fake,
        "/instances/nope/raiseEvent/Approval",
        Some("application/json"),
        Some("1"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
}

#[tokio::test]
async fn terminal_instance_is_410_empty_before_the_content_type_check() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &Value::Null).await;
    fake.wait_for(&id, "Completed").await;
    let reply = raise(
        &fake,
        &format!("/instances/{id}/raiseEvent/x"),
        Some("text/plain"),
        Some("nope"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::GONE);
    reply.assert_empty();
}

#[tokio::test]
async fn failed_instance_is_410() {
    let fake = Fake::new().await;
    let id = fake.start("Fail", &Value::Null).await;
    fake.wait_for(&id, "Failed").await;
    let reply = fake
        .post_json(&format!("/instances/{id}/raiseEvent/x"), &json!(1))
        .await;
    assert_eq!(reply.status, StatusCode::GONE);
}

#[tokio::test]
async fn non_json_content_type_is_400_with_a_message() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    for content_type in [Some("text/plain"), None] {
        let reply = raise(
            &fake,
            "/instances/w/raiseEvent/Approval",
            content_type,
            Some("1"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        reply.assert_json_content_type();
        assert_eq!(
            reply.json(),
            json!({"Message": "Only application/json request content is supported"})
        );
    }
}

#[tokio::test]
async fn empty_body_is_400_invalid_json() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = raise(
        &fake,
        "/instances/w/raiseEvent/Approval",
        Some("application/json"),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(body["Message"], "Invalid JSON content");
    assert!(body["ExceptionMessage"].is_string());
    assert!(body["ExceptionType"].is_string());
}

#[tokio::test]
async fn invalid_json_is_400_invalid_json() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = raise(
        &fake,
        "/instances/w/raiseEvent/Approval",
        Some("application/json"),
        Some("{oops"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["Message"], "Invalid JSON content");
}

#[tokio::test]
async fn accepted_event_is_202_empty_and_completes_wait_for_event() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = fake
        .post_json("/instances/w/raiseEvent/Approval", &json!({"ok": true}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    reply.assert_empty();
    let body = fake.wait_for("w", "Completed").await;
    assert_eq!(body["output"], json!({"ok": true}));
}

#[tokio::test]
async fn json_media_type_is_matched_case_insensitively_with_parameters() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = raise(
        &fake,
        "/instances/w/raiseEvent/Approval",
        Some("Application/JSON; charset=utf-8"),
        Some("\"yes\""),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(fake.wait_for("w", "Completed").await["output"], "yes");
}

#[tokio::test]
async fn any_json_value_is_accepted() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &json!({"eventName": "never"}))
        .await;
    for body in ["\"incr\"", "5", "null", "[1,2]"] {
        let reply = raise(
            &fake,
            "/instances/w/raiseEvent/other",
            Some("application/json"),
            Some(body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{body}");
    }
    assert_eq!(fake.runtime_status("w").await, "Running");
}

#[tokio::test]
async fn event_names_come_from_the_input_and_match_case_insensitively() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &json!({"eventName": "Go"}))
        .await;
    fake.post_json("/instances/w/raiseEvent/Approval", &json!(1))
        .await;
    assert_eq!(fake.runtime_status("w").await, "Running");
    fake.post_json("/instances/w/raiseEvent/GO", &json!(2))
        .await;
    assert_eq!(fake.wait_for("w", "Completed").await["output"], 2);
}

#[tokio::test]
async fn raise_event_segment_is_case_insensitive() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = fake
        .post_json("/instances/w/raiseevent/Approval", &json!(1))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn events_to_a_suspended_instance_wait_for_resume() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    fake.post("/instances/w/suspend").await;
    let reply = fake
        .post_json("/instances/w/raiseEvent/Approval", &json!("late"))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(fake.runtime_status("w").await, "Suspended");
    fake.post("/instances/w/resume").await;
    assert_eq!(fake.wait_for("w", "Completed").await["output"], "late");
}

#[tokio::test]
async fn events_to_a_pending_instance_are_accepted() {
    let fake = Fake::timing(Profile::New, long(600, 0)).await;
    fake.start_id("WaitForEvent", "p", &Value::Null).await;
    let reply = fake
        .post_json("/instances/p/raiseEvent/Approval", &json!(1))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(fake.runtime_status("p").await, "Pending");
}

#[tokio::test]
async fn get_on_the_raise_event_route_is_404() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = fake.get("/instances/w/raiseEvent/Approval").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
}
