//! Rewind (§4.10, both profiles) and restart (§4.11).

use durable_functions_fake::Profile;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Fake, long};

async fn failed(fake: &Fake, input: &Value) -> String {
    let id = fake.start("Fail", input).await;
    fake.wait_for(&id, "Failed").await;
    id
}

#[tokio::test]
async fn new_rewind_of_a_missing_instance_is_404_with_a_json_string() {
    let fake = Fake::new().await;
    let reply = fake.post("/instances/ghost/rewind").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_json_content_type();
    assert_eq!(
        reply.json(),
        json!("No orchestration with instance ID \"$ghost\" found.")
    );
}

#[tokio::test]
async fn new_rewind_of_a_non_failed_instance_is_412_with_a_json_string() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "run", &Value::Null).await;
    fake.start_id("Echo", "done", &Value::Null).await;
    fake.wait_for("done", "Completed").await;
    for (id, status) in [("run", "Running"), ("done", "Completed")] {
        let reply = fake.post(&format!("/instances/{id}/rewind")).await;
        assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED, "{id}");
        assert_eq!(
            reply.json(),
            json!(format!(
                "This orchestration has status {status}, but only orchestrations in the \"Failed\" state can be rewound."
            ))
        );
    }
}

#[tokio::test]
async fn rewind_of_a_failed_instance_is_202_and_makes_it_running() {
    for profile in [Profile::New, Profile::Old] {
        let fake = Fake::timing(profile, long(0, 600)).await;
        let id = failed(&fake, &json!({"seconds": 0})).await;
        let reply = fake
            .post(&format!("/instances/{id}/rewind?reason=retry"))
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{profile}");
        reply.assert_empty();
        let body = fake.status(&id).await.1;
        assert_eq!(body["runtimeStatus"], "Running", "{profile}");
        assert_eq!(body["output"], Value::Null);
    }
}

#[tokio::test]
async fn a_rewound_instance_then_completes_with_its_input() {
    let fake = Fake::new().await;
    let id = failed(&fake, &json!({"message": "flaky"})).await;
    fake.post(&format!("/instances/{id}/rewind")).await;
    let body = fake.wait_for(&id, "Completed").await;
    assert_eq!(body["output"], json!({"message": "flaky"}));
}

#[tokio::test]
async fn old_rewind_of_a_missing_instance_is_404_empty() {
    let fake = Fake::profile(Profile::Old).await;
    let reply = fake.post("/instances/ghost/rewind").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
}

#[tokio::test]
async fn old_rewind_of_completed_or_terminated_is_410_empty() {
    let fake = Fake::profile(Profile::Old).await;
    fake.start_id("Echo", "done", &Value::Null).await;
    fake.wait_for("done", "Completed").await;
    fake.start_id("WaitForEvent", "term", &Value::Null).await;
    fake.post("/instances/term/terminate").await;
    for id in ["done", "term"] {
        let reply = fake.post(&format!("/instances/{id}/rewind")).await;
        assert_eq!(reply.status, StatusCode::GONE, "{id}");
        reply.assert_empty();
    }
}

#[tokio::test]
async fn old_rewind_of_running_pending_or_suspended_is_500() {
    let fake = Fake::timing(Profile::Old, long(600, 0)).await;
    fake.start_id("Echo", "pending", &Value::Null).await;
    fake.start_id("WaitForEvent", "suspended", &Value::Null)
        .await;
    fake.post("/instances/suspended/suspend").await;
    for id in ["pending", "suspended"] {
        let reply = fake.post(&format!("/instances/{id}/rewind")).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{id}");
        assert_eq!(
            reply.json()["ExceptionType"],
            "System.InvalidOperationException"
        );
    }
    let running = Fake::profile(Profile::Old).await;
    running.start_id("WaitForEvent", "run", &Value::Null).await;
    let reply = running.post("/instances/run/rewind").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        reply.json()["Message"],
        "Something went wrong while processing your request"
    );
}

#[tokio::test]
async fn restart_is_a_202_check_status_response_for_a_new_id() {
    let fake = Fake::new().await;
    fake.start_id("Echo", "orig", &json!({"v": 1})).await;
    fake.wait_for("orig", "Completed").await;
    let reply = fake.post("/instances/orig/restart").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.header("retry-after"), "10");
    let body = reply.json();
    let new_id = body["id"].as_str().expect("id").to_string();
    assert_ne!(new_id, "orig");
    assert_eq!(new_id.len(), 32);
    assert_eq!(reply.header("location"), body["statusQueryGetUri"]);
    let restarted = fake.wait_for(&new_id, "Completed").await;
    assert_eq!(restarted["name"], "Echo");
    assert_eq!(restarted["input"], json!({"v": 1}));
    assert_eq!(fake.status("orig").await.0, StatusCode::OK);
}

#[tokio::test]
async fn restart_with_the_same_id_replaces_a_terminal_instance() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "same", &Value::Null).await;
    fake.post("/instances/same/terminate").await;
    let reply = fake
        .post("/instances/same/restart?restartWithNewInstanceId=false")
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.json()["id"], "same");
    assert_eq!(fake.runtime_status("same").await, "Running");
}

#[tokio::test]
async fn restart_of_a_missing_instance_is_400() {
    for profile in [Profile::New, Profile::Old] {
        let fake = Fake::profile(profile).await;
        let reply = fake.post("/instances/ghost/restart").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let body = reply.json();
        assert_eq!(
            body["Message"],
            "InstanceId does not match a valid orchestration instance."
        );
        assert_eq!(body["ExceptionType"], "System.ArgumentException");
    }
}

#[tokio::test]
async fn restart_of_a_running_instance_with_the_same_id_conflicts() {
    let new = Fake::new().await;
    new.start_id("WaitForEvent", "busy", &Value::Null).await;
    let reply = new
        .post("/instances/busy/restart?restartWithNewInstanceId=false")
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(
        reply.json()["Message"],
        "A non-terminal instance with this instance ID already exists."
    );

    let old = Fake::profile(Profile::Old).await;
    old.start_id("WaitForEvent", "busy", &Value::Null).await;
    let reply = old
        .post("/instances/busy/restart?restartWithNewInstanceId=false")
        .await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn restart_of_a_running_instance_with_a_new_id_is_allowed() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "busy", &Value::Null).await;
    let reply = fake.post("/instances/busy/restart").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(fake.runtime_status("busy").await, "Running");
}

#[tokio::test]
async fn restart_supports_the_synchronous_wait() {
    let fake = Fake::new().await;
    fake.start_id("Echo", "e", &json!("again")).await;
    let reply = fake
        .post("/instances/e/restart?timeout=5&pollingInterval=0.05")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!("again"));
}
