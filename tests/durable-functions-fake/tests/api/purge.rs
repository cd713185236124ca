//! `DELETE /instances/{id}` and `DELETE /instances?createdTimeFrom=...` (§4.4, §4.5).

use durable_functions_fake::Profile;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::Fake;

#[tokio::test]
async fn purging_a_completed_instance_is_200_with_the_count() {
    let fake = Fake::new().await;
    let id = fake.start("Echo", &Value::Null).await;
    fake.wait_for(&id, "Completed").await;
    let reply = fake.delete(&format!("/instances/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_json_content_type();
    assert_eq!(reply.json(), json!({"instancesDeleted": 1}));
    assert_eq!(fake.status(&id).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn purging_a_missing_instance_is_404_empty() {
    for profile in [Profile::New, Profile::Old] {
        let fake = Fake::profile(profile).await;
        let reply = fake.delete("/instances/nope").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        reply.assert_empty();
    }
}

#[tokio::test]
async fn purging_a_running_instance_is_412_with_a_json_string_in_the_new_profile() {
    let fake = Fake::new().await;
    fake.start_id("WaitForEvent", "run", &Value::Null).await;
    let reply = fake.delete("/instances/run").await;
    assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED);
    reply.assert_json_content_type();
    assert_eq!(
        reply.json(),
        json!(
            "Only orchestrations in a terminal state can be purged, but the orchestration with instance ID run has status Running"
        )
    );
    assert_eq!(fake.status("run").await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn purging_a_running_instance_is_200_in_the_old_profile() {
    let fake = Fake::profile(Profile::Old).await;
    fake.start_id("WaitForEvent", "run", &Value::Null).await;
    let reply = fake.delete("/instances/run").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"instancesDeleted": 1}));
}

#[tokio::test]
async fn purge_many_without_created_time_from_is_400_with_a_json_string() {
    let fake = Fake::new().await;
    for path in ["/instances", "/instances?createdTimeFrom=not-a-date"] {
        let reply = fake.delete(path).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        reply.assert_json_content_type();
        assert_eq!(
            reply.json(),
            json!("Please provide value for 'createdTimeFrom' parameter.")
        );
    }
}

#[tokio::test]
async fn purge_many_with_nothing_to_delete_is_404_empty() {
    let fake = Fake::new().await;
    let reply = fake
        .delete("/instances?createdTimeFrom=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_empty();
}

#[tokio::test]
async fn purge_many_deletes_the_matching_instances() {
    let fake = Fake::new().await;
    fake.start_id("Echo", "a", &Value::Null).await;
    fake.start_id("Echo", "b", &Value::Null).await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    fake.wait_for("b", "Completed").await;
    let reply = fake
        .delete("/instances?createdTimeFrom=2000-01-01T00:00:00Z&runtimeStatus=Completed")
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"instancesDeleted": 2}));
    assert_eq!(fake.status("a").await.0, StatusCode::NOT_FOUND);
    assert_eq!(fake.status("w").await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn purge_many_without_status_filter_deletes_every_status() {
    let fake = Fake::new().await;
    fake.start_id("Echo", "a", &Value::Null).await;
    fake.start_id("WaitForEvent", "w", &Value::Null).await;
    let reply = fake.delete("/instances?createdTimeFrom=2000-01-01").await;
    assert_eq!(reply.json(), json!({"instancesDeleted": 2}));
}

#[tokio::test]
async fn purge_many_respects_created_time_to() {
    let fake = Fake::new().await;
    fake.start_id("Echo", "a", &Value::Null).await;
    let reply = fake
        .delete("/instances?createdTimeFrom=2000-01-01&createdTimeTo=2001-01-01")
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(fake.status("a").await.0, StatusCode::OK);
}

#[tokio::test]
async fn purging_an_entity_id_deletes_the_entity() {
    for profile in [Profile::New, Profile::Old] {
        let fake = Fake::profile(profile).await;
        fake.signal("counter", "c1", "add", &json!(1)).await;
        let reply = fake.delete("/instances/@counter@c1").await;
        assert_eq!(reply.status, StatusCode::OK, "{profile}");
        assert_eq!(reply.json(), json!({"instancesDeleted": 1}));
        assert_eq!(
            fake.get("/entities/counter/c1").await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn purging_a_missing_at_id_skips_the_check_in_the_new_profile() {
    let fake = Fake::new().await;
    let reply = fake.delete("/instances/@counter@none").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"instancesDeleted": 0}));

    let old = Fake::profile(Profile::Old).await;
    assert_eq!(
        old.delete("/instances/@counter@none").await.status,
        StatusCode::NOT_FOUND
    );
}
