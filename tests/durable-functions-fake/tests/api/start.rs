//! `POST /orchestrators/{functionName}[/{instanceId}]` (§4.1).

use durable_functions_fake::{FakeConfig, Profile};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Fake, long};

fn keys(value: &Value) -> Vec<String> {
    value.as_object().expect("object").keys().cloned().collect()
}

#[tokio::test]
async fn start_without_id_is_202_with_a_guid_n_id() {
    let fake = Fake::new().await;
    let reply = fake
        .post_json("/orchestrators/Echo", &json!({"a": 1}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    reply.assert_json_content_type();
    let id = reply.json()["id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 32);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[tokio::test]
async fn start_body_has_exactly_the_eight_keys_in_order() {
    let fake = Fake::new().await;
    let reply = fake.post("/orchestrators/Echo").await;
    assert_eq!(
        keys(&reply.json()),
        [
            "id",
            "statusQueryGetUri",
            "sendEventPostUri",
            "terminatePostUri",
            "purgeHistoryDeleteUri",
            "restartPostUri",
            "suspendPostUri",
            "resumePostUri"
        ]
    );
}

#[tokio::test]
async fn start_links_use_the_request_host_hub_connection_and_placeholders() {
    let fake = Fake::new().await;
    let reply = fake.post("/orchestrators/Echo/abc").await;
    let body = reply.json();
    let base = format!(
        "http://{}/runtime/webhooks/durabletask/instances/abc",
        fake.server.addr()
    );
    let q = "taskHub=TestHubName&connection=Storage";
    assert_eq!(body["id"], "abc");
    assert_eq!(body["statusQueryGetUri"], format!("{base}?{q}"));
    assert_eq!(
        body["sendEventPostUri"],
        format!("{base}/raiseEvent/{{eventName}}?{q}")
    );
    assert_eq!(
        body["terminatePostUri"],
        format!("{base}/terminate?reason={{text}}&{q}")
    );
    assert_eq!(body["purgeHistoryDeleteUri"], format!("{base}?{q}"));
    assert_eq!(body["restartPostUri"], format!("{base}/restart?{q}"));
    assert_eq!(
        body["suspendPostUri"],
        format!("{base}/suspend?reason={{text}}&{q}")
    );
    assert_eq!(
        body["resumePostUri"],
        format!("{base}/resume?reason={{text}}&{q}")
    );
}

#[tokio::test]
async fn start_sets_location_to_the_status_uri_and_retry_after_10() {
    let fake = Fake::new().await;
    let reply = fake.post("/orchestrators/Echo").await;
    assert_eq!(reply.header("location"), reply.json()["statusQueryGetUri"]);
    assert_eq!(reply.header("retry-after"), "10");
}

#[tokio::test]
async fn start_links_carry_the_code_when_a_key_is_configured() {
    let fake = Fake::with(FakeConfig {
        key: Some("secret".into()),
        ..FakeConfig::default()
    })
    .await;
    let reply = fake.post("/orchestrators/Echo/k1?code=secret").await;
    let status_uri = reply.json()["statusQueryGetUri"]
        .as_str()
        .expect("uri")
        .to_string();
    assert!(
        status_uri.ends_with("?taskHub=TestHubName&connection=Storage&code=secret"),
        "{status_uri}"
    );
}

#[tokio::test]
async fn start_links_follow_task_hub_and_connection_query_overrides() {
    let fake = Fake::new().await;
    let reply = fake
        .post("/orchestrators/Echo/x?taskHub=OtherHub&connection=MyConn")
        .await;
    assert!(
        reply.json()["statusQueryGetUri"]
            .as_str()
            .expect("uri")
            .ends_with("/instances/x?taskHub=OtherHub&connection=MyConn")
    );
}

#[tokio::test]
async fn start_links_ignore_blank_task_hub() {
    let fake = Fake::new().await;
    let reply = fake.post("/orchestrators/Echo/x?taskHub=%20").await;
    assert!(
        reply.json()["statusQueryGetUri"]
            .as_str()
            .expect("uri")
            .ends_with("?taskHub=TestHubName&connection=Storage")
    );
}

#[tokio::test]
async fn start_links_url_encode_the_id_with_plus_for_space() {
    let fake = Fake::new().await;
    let reply = fake.post("/orchestrators/Echo/my%20id").await;
    let body = reply.json();
    assert_eq!(body["id"], "my id");
    assert!(
        body["statusQueryGetUri"]
            .as_str()
            .expect("uri")
            .contains("/instances/my+id?")
    );
}

#[tokio::test]
async fn start_stores_the_json_body_as_input() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &json!({"b": [1, 2], "a": "x"})).await;
    let (_, body) = fake.status(&id).await;
    assert_eq!(body["input"], json!({"b": [1, 2], "a": "x"}));
    assert_eq!(keys(&body["input"]), ["b", "a"]);
}

#[tokio::test]
async fn start_without_body_has_null_input() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &Value::Null).await;
    let (_, body) = fake.status(&id).await;
    assert!(body.as_object().expect("object").contains_key("input"));
    assert_eq!(body["input"], Value::Null);
}

#[tokio::test]
async fn start_accepts_any_content_type() {
    let fake = Fake::new().await;
    let reply = fake
        .send_url(
            Method::POST,
            &fake.url("/orchestrators/Echo/t"),
            Some("text/plain"),
            Some("\"hello\""),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let (_, body) = fake.status("t").await;
    assert_eq!(body["input"], "hello");
}

#[tokio::test]
async fn start_with_invalid_json_is_400_with_the_exception_shape() {
    for profile in [Profile::New, Profile::Old] {
        let fake = Fake::profile(profile).await;
        let reply = fake
            .send_url(
                Method::POST,
                &fake.url("/orchestrators/Echo"),
                Some("application/json"),
                Some("{not json"),
                &[],
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        reply.assert_json_content_type();
        let body = reply.json();
        assert_eq!(body["Message"], "Invalid JSON content");
        assert_eq!(
            keys(&body),
            ["Message", "ExceptionMessage", "ExceptionType", "StackTrace"]
        );
    }
}

#[tokio::test]
async fn duplicate_start_of_a_running_instance_is_409_in_the_new_profile() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "dup", &Value::Null).await;
    let reply = fake.post("/orchestrators/WaitForEvent/dup").await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    reply.assert_json_content_type();
    assert_eq!(
        reply.json(),
        json!({"Message": "An Orchestration instance with the status Running already exists."})
    );
}

#[tokio::test]
async fn duplicate_start_of_a_running_instance_is_500_in_the_old_profile() {
    let fake = Fake::profile(Profile::Old).await;
    fake.start_id("WaitForEvent", "dup", &Value::Null).await;
    let reply = fake.post("/orchestrators/WaitForEvent/dup").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = reply.json();
    assert_eq!(
        body["Message"],
        "Something went wrong while processing your request"
    );
    assert_eq!(
        body["ExceptionMessage"],
        "An Orchestration instance with the status Running already exists."
    );
    assert_eq!(body["ExceptionType"], "System.InvalidOperationException");
    assert!(body["StackTrace"].is_string());
}

#[tokio::test]
async fn duplicate_start_is_blocked_while_pending() {
    let fake = Fake::timing(Profile::New, long(600, 0)).await;
    fake.start_id("Echo", "p", &Value::Null).await;
    let reply = fake.post("/orchestrators/Echo/p").await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(
        reply.json()["Message"],
        "An Orchestration instance with the status Pending already exists."
    );
}

#[tokio::test]
async fn duplicate_start_is_blocked_while_suspended() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "s", &Value::Null).await;
    assert_eq!(
        fake.post("/instances/s/suspend").await.status,
        StatusCode::ACCEPTED
    );
    let reply = fake.post("/orchestrators/WaitForEvent/s").await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn completed_failed_and_terminated_ids_are_silently_replaced() {
    for profile in [Profile::New, Profile::Old] {
        let fake = Fake::profile(profile).await;
        fake.start_id("Echo", "done", &json!(1)).await;
        fake.wait_for("done", "Completed").await;
        fake.start_id("Fail", "failed", &Value::Null).await;
        fake.wait_for("failed", "Failed").await;
        fake.start_id("WaitForEvent", "term", &Value::Null).await;
        fake.post("/instances/term/terminate").await;
        fake.wait_for("term", "Terminated").await;
        for id in ["done", "failed", "term"] {
            let reply = fake
                .post_json(&format!("/orchestrators/WaitForEvent/{id}"), &json!(2))
                .await;
            assert_eq!(reply.status, StatusCode::ACCEPTED, "{profile} {id}");
            let (_, body) = fake.status(id).await;
            assert_eq!(body["runtimeStatus"], "Running");
            assert_eq!(body["name"], "WaitForEvent");
            assert_eq!(body["input"], 2);
        }
    }
}

#[tokio::test]
async fn unknown_orchestrator_is_400_in_the_old_profile() {
    let fake = Fake::profile(Profile::Old).await;
    let reply = fake.post("/orchestrators/NoSuchFunction").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let body = reply.json();
    assert_eq!(
        body["Message"],
        "One or more of the arguments submitted is incorrect"
    );
    assert_eq!(body["ExceptionType"], "System.ArgumentException");
    assert!(
        body["ExceptionMessage"]
            .as_str()
            .expect("text")
            .starts_with("The function 'NoSuchFunction' doesn't exist")
    );
}

#[tokio::test]
async fn unknown_orchestrator_starts_then_fails_in_the_new_profile() {
    let fake = Fake::new().await;
    let id = fake.start("NoSuchFunction", &Value::Null).await;
    let body = fake.wait_for(&id, "Failed").await;
    assert_eq!(body["name"], "NoSuchFunction");
    assert!(
        body["output"]
            .as_str()
            .expect("text")
            .starts_with("The function 'NoSuchFunction' doesn't exist")
    );
}

#[tokio::test]
async fn orchestrator_names_match_case_insensitively() {
    let fake = Fake::profile(Profile::Old).await;
    let id = fake.start("echo", &json!("x")).await;
    let body = fake.wait_for(&id, "Completed").await;
    assert_eq!(body["name"], "echo");
    assert_eq!(body["output"], "x");
}

#[tokio::test]
async fn invalid_instance_ids_are_400_only_in_the_old_profile() {
    let old = Fake::profile(Profile::Old).await;
    let reply = old.post("/orchestrators/Echo/@bad").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["ExceptionType"], "System.ArgumentException");
    let long_id = "x".repeat(257);
    let reply = old.post(&format!("/orchestrators/Echo/{long_id}")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    let new = Fake::new().await;
    let reply = new.post("/orchestrators/Echo/@bad").await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn sync_wait_returns_200_with_the_raw_output_when_completed() {
    let fake = Fake::new().await;
    let reply = fake
        .post_json(
            "/orchestrators/Echo?timeout=5&pollingInterval=0.05",
            &json!({"out": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_json_content_type();
    assert_eq!(reply.json(), json!({"out": true}));
    assert!(!reply.has("location"));
}

#[tokio::test]
async fn sync_wait_returns_the_status_payload_when_failed() {
    let fake = Fake::new().await;
    let reply = fake
        .post("/orchestrators/Fail?timeout=5&pollingInterval=0.05")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["runtimeStatus"], "Failed");
}

#[tokio::test]
async fn sync_wait_times_out_into_the_check_status_202() {
    let fake = Fake::new().await;
    let reply = fake
        .post_json(
            "/orchestrators/Sleep?timeout=0.2&pollingInterval=0.05",
            &json!({"seconds": 600}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.header("retry-after"), "10");
    assert!(reply.json()["statusQueryGetUri"].is_string());
}

#[tokio::test]
async fn sync_wait_needs_both_parameters() {
    let fake = Fake::new().await;
    let reply = fake
        .post_json("/orchestrators/Echo?timeout=5", &json!(1))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert!(reply.json()["statusQueryGetUri"].is_string());
}

#[tokio::test]
async fn polling_interval_above_timeout_is_400() {
    let new = Fake::new().await;
    let reply = new
        .post("/orchestrators/Echo?timeout=1&pollingInterval=2")
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        json!({"Message": "Total timeout 1 should be bigger than retry timeout 2"})
    );

    let old = Fake::profile(Profile::Old).await;
    let reply = old
        .post("/orchestrators/Echo?timeout=1&pollingInterval=2")
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json()["Message"],
        "One or more of the arguments submitted is incorrect"
    );
}
