//! Terminate, suspend and resume (§4.7–§4.9).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::Fake;

async fn completed(fake: &Fake) -> String {
    let id = fake.start("Echo", &Value::Null).await;
    fake.wait_for(&id, "Completed").await;
    id
}

#[tokio::test]
async fn commands_on_a_missing_instance_are_404_empty() {
    let fake = Fake::new().await;
    for op in ["terminate", "suspend", "resume"] {
        let reply = fake.post(&format!("/instances/nope/{op}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{op}");
        reply.assert_empty();
    }
}

#[tokio::test]
async fn commands_on_a_completed_instance_are_410_empty() {
    let fake = Fake::new().await;
    let id = completed(&fake).await;
    for op in ["terminate", "suspend", "resume"] {
        let reply = fake.post(&format!("/instances/{id}/{op}")).await;
        assert_eq!(reply.status, StatusCode::GONE, "{op}");
        reply.assert_empty();
    }
}

#[tokio::test]
async fn commands_on_a_failed_or_terminated_instance_are_410() {
    let fake = Fake::new().await;
    let failed = fake.start("Fail", &Value::Null).await;
    fake.wait_for(&failed, "Failed").await;
    fake.start_id("WaitForEvent", "t", &Value::Null).await;
    fake.post("/instances/t/terminate").await;
    for id in [failed.as_str(), "t"] {
        for op in ["terminate", "suspend", "resume"] {
            let reply = fake.post(&format!("/instances/{id}/{op}")).await;
            assert_eq!(reply.status, StatusCode::GONE, "{id} {op}");
        }
    }
}

#[tokio::test]
async fn terminate_is_202_empty_and_terminates() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = fake.post("/instances/w/terminate?reason=enough").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    reply.assert_empty();
    let (code, body) = fake.status("w").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["runtimeStatus"], "Terminated");
    assert_eq!(body["output"], "enough");
}

#[tokio::test]
async fn terminate_works_on_a_suspended_instance() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    fake.post("/instances/w/suspend").await;
    let reply = fake.post("/instances/w/terminate").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(fake.runtime_status("w").await, "Terminated");
}

#[tokio::test]
async fn suspend_is_202_empty_and_suspends() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = fake.post("/instances/w/suspend?reason=pause").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    reply.assert_empty();
    assert_eq!(fake.runtime_status("w").await, "Suspended");
}

#[tokio::test]
async fn suspending_a_suspended_instance_is_500() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    fake.post("/instances/w/suspend").await;
    let reply = fake.post("/instances/w/suspend").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    reply.assert_json_content_type();
    let body = reply.json();
    assert_eq!(
        body["Message"],
        "Something went wrong while processing your request"
    );
    assert_eq!(body["ExceptionType"], "System.InvalidOperationException");
    assert!(
        body["ExceptionMessage"]
            .as_str()
            .expect("text")
            .contains("Suspended")
    );
    assert!(body["StackTrace"].is_string());
}

#[tokio::test]
async fn resume_is_202_empty_and_resumes() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    fake.post("/instances/w/suspend").await;
    let reply = fake.post("/instances/w/resume?reason=go").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    reply.assert_empty();
    assert_eq!(fake.runtime_status("w").await, "Running");
}

#[tokio::test]
async fn resuming_a_running_instance_is_500() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = fake.post("/instances/w/resume").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = reply.json();
    assert_eq!(body["ExceptionType"], "System.InvalidOperationException");
    assert!(
        body["ExceptionMessage"]
            .as_str()
            .expect("text")
            .contains("Running")
    );
}

#[tokio::test]
async fn operation_names_are_case_insensitive() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    assert_eq!(
        fake.post("/instances/w/SUSPEND").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        fake.post("/instances/w/Resume").await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        fake.post("/instances/w/TeRmInAtE").await.status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn unknown_operations_and_wrong_verbs_are_404() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = fake.post("/instances/w/explode").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
    assert_eq!(
        fake.get("/instances/w/terminate").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fake.delete("/instances/w/terminate").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fake.post("/instances/w").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(fake.post("/instances").await.status, StatusCode::NOT_FOUND);
    assert_eq!(fake.runtime_status("w").await, "Running");
}

#[tokio::test]
async fn the_body_of_a_command_is_ignored() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = fake
        .post_json("/instances/w/terminate", &json!({"reason": "x"}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(fake.status("w").await.1["output"], Value::Null);
}
