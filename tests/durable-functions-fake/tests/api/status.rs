//! `GET /instances/{instanceId}` (§3, §4.2).

use durable_functions_fake::Profile;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Fake, long};

fn is_second_precision_utc(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && bytes[19] == b'Z'
        && text
            .chars()
            .enumerate()
            .all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16 | 19) || c.is_ascii_digit())
}

#[tokio::test]
async fn running_is_202_with_the_request_uri_as_location_and_retry_after_5() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "r", &Value::Null).await;
    let path = "/instances/r?showInput=true&x=a%20b";
    let reply = fake.get(path).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    reply.assert_json_content_type();
    assert_eq!(reply.header("location"), fake.url(path));
    assert_eq!(reply.header("retry-after"), "5");
    assert_eq!(reply.json()["runtimeStatus"], "Running");
}

#[tokio::test]
async fn completed_is_200_without_location_or_retry_after() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &json!(1)).await;
    fake.wait_for(&id, "Completed").await;
    let reply = fake.get(&format!("/instances/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(!reply.has("location"));
    assert!(!reply.has("retry-after"));
    assert_eq!(reply.json()["output"], 1);
}

#[tokio::test]
async fn failed_is_200_by_default() {
    let fake = Fake::new().await;
    let id = fake.start("Fail", &Value::Null).await;
    fake.wait_for(&id, "Failed").await;
    let reply = fake.get(&format!("/instances/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn failed_is_500_with_return_internal_server_error_on_failure() {
    let fake = Fake::new().await;
    let id = fake.start("Fail", &json!({"message": "boom"})).await;
    fake.wait_for(&id, "Failed").await;
    let reply = fake
        .get(&format!(
            "/instances/{id}?returnInternalServerErrorOnFailure=true"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!reply.has("location"));
    let body = reply.json();
    assert_eq!(body["runtimeStatus"], "Failed");
    assert_eq!(body["output"], "Orchestrator function 'Fail' failed: boom");
}

#[tokio::test]
async fn return_internal_server_error_does_not_affect_completed() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &Value::Null).await;
    fake.wait_for(&id, "Completed").await;
    let reply = fake
        .get(&format!(
            "/instances/{id}?returnInternalServerErrorOnFailure=true"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn terminated_is_200() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "t", &Value::Null).await;
    fake.post("/instances/t/terminate?reason=stop").await;
    let reply = fake.get("/instances/t").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["runtimeStatus"], "Terminated");
}

#[tokio::test]
async fn pending_and_suspended_are_202() {
    let fake = Fake::timing(Profile::New, long(600, 0)).await;
    fake.start_id("Echo", "p", &Value::Null).await;
    let reply = fake.get("/instances/p").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.json()["runtimeStatus"], "Pending");
    fake.post("/instances/p/suspend").await;
    let reply = fake.get("/instances/p").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.header("retry-after"), "5");
    assert_eq!(reply.json()["runtimeStatus"], "Suspended");
}

#[tokio::test]
async fn missing_instance_is_404_with_an_empty_body() {
    let fake = Fake::new().await;
    let reply = fake.get("/instances/nope").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
}

#[tokio::test]
async fn payload_has_the_documented_keys_in_order_and_no_history() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &json!({"k": "v"})).await;
    let body = fake.wait_for(&id, "Completed").await;
    let keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "name",
            "instanceId",
            "runtimeStatus",
            "input",
            "customStatus",
            "output",
            "createdTime",
            "lastUpdatedTime"
        ]
    );
    assert_eq!(body["name"], "Echo");
    assert_eq!(body["instanceId"], id.as_str());
    assert_eq!(body["customStatus"], Value::Null);
}

#[tokio::test]
async fn timestamps_have_second_precision_and_z() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &Value::Null).await;
    let body = fake.wait_for(&id, "Completed").await;
    for key in ["createdTime", "lastUpdatedTime"] {
        let text = body[key].as_str().expect("string");
        assert!(is_second_precision_utc(text), "{key}: {text}");
    }
}

#[tokio::test]
async fn show_input_false_nulls_the_input() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &json!("secret")).await;
    fake.wait_for(&id, "Completed").await;
    let reply = fake.get(&format!("/instances/{id}?showInput=FALSE")).await;
    let body = reply.json();
    assert_eq!(body["input"], Value::Null);
    assert_eq!(body["output"], "secret");
}

#[tokio::test]
async fn non_boolean_show_input_counts_as_not_supplied() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &json!("shown")).await;
    let reply = fake.get(&format!("/instances/{id}?showInput=0")).await;
    assert_eq!(reply.json()["input"], "shown");
}

#[tokio::test]
async fn show_history_adds_history_events_without_results_by_default() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &json!("x")).await;
    fake.wait_for(&id, "Completed").await;
    let body = fake
        .get(&format!("/instances/{id}?showHistory=true"))
        .await
        .json();
    let events = body["historyEvents"].as_array().expect("array");
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["EventType"].as_str().expect("type"))
        .collect();
    assert_eq!(types, ["ExecutionStarted", "ExecutionCompleted"]);
    assert_eq!(events[0]["FunctionName"], "Echo");
    assert_eq!(events[1]["OrchestrationStatus"], "Completed");
    assert!(events[1].get("Result").is_none());
    let stamp = events[1]["Timestamp"].as_str().expect("timestamp");
    assert_eq!(stamp.len(), 28, "{stamp}");
    assert!(stamp.ends_with('Z'));
}

#[tokio::test]
async fn show_history_output_adds_results() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &json!("x")).await;
    fake.wait_for(&id, "Completed").await;
    let body = fake
        .get(&format!(
            "/instances/{id}?showHistory=true&showHistoryOutput=true"
        ))
        .await
        .json();
    assert_eq!(body["historyEvents"][1]["Result"], "x");
}

#[tokio::test]
async fn show_history_is_omitted_for_pending_instances() {
    let fake = Fake::timing(Profile::New, long(600, 0)).await;
    fake.start_id("Echo", "p", &Value::Null).await;
    let body = fake.get("/instances/p?showHistory=true").await.json();
    assert_eq!(body["runtimeStatus"], "Pending");
    assert!(body.get("historyEvents").is_none());
}

#[tokio::test]
async fn terminated_output_is_the_reason_parsed_as_json_when_possible() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "a", &Value::Null).await;
    fake.start_id("WaitForEvent", "b", &Value::Null).await;
    fake.start_id("WaitForEvent", "c", &Value::Null).await;
    fake.post("/instances/a/terminate?reason=no+more").await;
    fake.post("/instances/b/terminate?reason=42").await;
    fake.post("/instances/c/terminate").await;
    assert_eq!(fake.status("a").await.1["output"], "no more");
    assert_eq!(fake.status("b").await.1["output"], 42);
    assert_eq!(fake.status("c").await.1["output"], Value::Null);
}
