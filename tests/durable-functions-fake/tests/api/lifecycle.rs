//! The built-in orchestrators' lives.

use std::time::Duration;

use durable_functions_fake::{Profile, Timing};
use serde_json::{Value, json};

use crate::common::{Fake, long};

#[tokio::test]
async fn echo_completes_with_its_input() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &json!({"x": [1, 2]})).await;
    let body = fake.wait_for(&id, "Completed").await;
    assert_eq!(body["output"], json!({"x": [1, 2]}));
}

#[tokio::test]
async fn echo_runs_for_the_configured_run_time() {
    let fake = Fake::timing(Profile::New, long(0, 600)).await;
    let id = fake.start("Echo", &json!(1)).await;
    assert_eq!(fake.runtime_status(&id).await, "Running");
}

#[tokio::test]
async fn new_instances_are_pending_for_the_configured_time() {
    let fake = Fake::timing(Profile::New, long(600, 0)).await;
    let id = fake.start("Echo", &json!(1)).await;
    assert_eq!(fake.runtime_status(&id).await, "Pending");
}

#[tokio::test]
async fn pending_instances_start_running_afterwards() {
    let fake = Fake::timing(
        Profile::New,
        Timing {
            pending: Duration::from_millis(100),
            ..Timing::default()
        },
    )
    .await;
    let id = fake.start("WaitForEvent", &Value::Null).await;
    fake.wait_for(&id, "Running").await;
}

#[tokio::test]
async fn fail_fails_with_its_message_as_output() {
    let fake = Fake::new().await;
    let id = fake.start("Fail", &Value::Null).await;
    let body = fake.wait_for(&id, "Failed").await;
    assert_eq!(
        body["output"],
        "Orchestrator function 'Fail' failed: Simulated failure requested by the Fail orchestrator."
    );
}

#[tokio::test]
async fn inputs_double_encoded_as_json_strings_are_understood() {
    let fake = Fake::new().await;
    let id = fake
        .start("Fail", &json!("{\"message\": \"from python\"}"))
        .await;
    let body = fake.wait_for(&id, "Failed").await;
    assert_eq!(
        body["output"],
        "Orchestrator function 'Fail' failed: from python"
    );
}

#[tokio::test]
async fn sleep_is_running_while_it_sleeps() {
    let fake = Fake::new().await;
    let id = fake.start("Sleep", &json!({"seconds": 600})).await;
    assert_eq!(fake.runtime_status(&id).await, "Running");
}

#[tokio::test]
async fn sleep_completes_after_its_seconds() {
    let fake = Fake::new().await;
    let id = fake.start("Sleep", &json!({"seconds": 0.1})).await;
    let body = fake.wait_for(&id, "Completed").await;
    assert_eq!(body["output"], json!({"seconds": 0.1}));
}

#[tokio::test]
async fn time_scale_shortens_sleeps() {
    let fake = Fake::timing(
        Profile::New,
        Timing {
            time_scale: 0.001,
            ..Timing::default()
        },
    )
    .await;
    let id = fake.start("Sleep", &json!({"seconds": 100})).await;
    fake.wait_for(&id, "Completed").await;
}

#[tokio::test]
async fn a_suspended_sleep_does_not_finish_until_resumed() {
    let fake = Fake::new().await;
    let id = fake.start("Sleep", &json!({"seconds": 1.5})).await;
    let reply = fake.post(&format!("/instances/{id}/suspend")).await;
    assert_eq!(reply.status, reqwest::StatusCode::ACCEPTED);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(fake.runtime_status(&id).await, "Suspended");
    fake.post(&format!("/instances/{id}/resume")).await;
    fake.wait_for(&id, "Completed").await;
}

#[tokio::test]
async fn continue_as_new_shows_continued_as_new_between_iterations() {
    let fake = Fake::new().await;
    let id = fake
        .start("ContinueAsNew", &json!({"iterations": 2, "seconds": 1}))
        .await;
    let between = fake.wait_for(&id, "ContinuedAsNew").await;
    assert_eq!(between["customStatus"], 1);
    let body = fake.wait_for(&id, "Completed").await;
    assert_eq!(body["output"], 2);
    assert_eq!(body["customStatus"], 2);
}

#[tokio::test]
async fn wait_for_event_defaults_to_approval() {
    let fake = Fake::new().await;
    let id = fake.start("WaitForEvent", &Value::Null).await;
    fake.post_json(
        &format!("/instances/{id}/raiseEvent/Approval"),
        &json!("ok"),
    )
    .await;
    assert_eq!(fake.wait_for(&id, "Completed").await["output"], "ok");
}

#[tokio::test]
async fn wait_for_event_fails_after_its_timeout() {
    let fake = Fake::new().await;
    let id = fake
        .start("WaitForEvent", &json!({"timeoutSeconds": 0.1}))
        .await;
    let body = fake.wait_for(&id, "Failed").await;
    assert!(body["output"].as_str().expect("text").contains("Timeout"));
}

#[tokio::test]
async fn history_records_raised_events() {
    let fake = Fake::new().await;
    let id = fake.start("WaitForEvent", &Value::Null).await;
    fake.post_json(&format!("/instances/{id}/raiseEvent/Approval"), &json!(7))
        .await;
    fake.wait_for(&id, "Completed").await;
    let body = fake
        .get(&format!("/instances/{id}?showHistory=true"))
        .await
        .json();
    let events = body["historyEvents"].as_array().expect("array");
    let raised = events
        .iter()
        .find(|e| e["EventType"] == "EventRaised")
        .expect("an EventRaised event");
    assert_eq!(raised["Name"], "Approval");
    assert_eq!(raised["Input"], 7);
}
