//! `GET /instances` with filters and `x-ms-continuation-token` paging (§4.3).

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Fake, Reply};

const TOKEN: &str = "x-ms-continuation-token";

fn ids(reply: &Reply) -> BTreeSet<String> {
    reply
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|item| item["instanceId"].as_str().expect("id").to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Three instances: `done` (Completed), `wait` (Running), `gone` (Terminated).
async fn three(fake: &Fake) {
    fake.start_id("Echo", "done", &json!("i1")).await;
    fake.wait_for("done", "Completed").await;
    fake.start_id("WaitForEvent", "wait", &json!({"eventName": "x"}))
        .await;
    fake.start_id("WaitForEvent", "gone", &Value::Null).await;
    fake.post("/instances/gone/terminate").await;
}

async fn page(fake: &Fake, path: &str, token: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = token.map(|t| (TOKEN, t)).into_iter().collect();
    fake.send_url(Method::GET, &fake.url(path), None, None, &headers)
        .await
}

#[tokio::test]
async fn empty_list_is_200_with_an_empty_array_and_an_empty_token() {
    let fake = Fake::new().await;
    let reply = fake.get("/instances").await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_json_content_type();
    assert_eq!(reply.json(), json!([]));
    assert!(reply.has(TOKEN));
    assert_eq!(reply.header(TOKEN), "");
}

#[tokio::test]
async fn list_returns_status_payloads_without_history() {
    let fake = Fake::new().await;
    three(&fake).await;
    let reply = fake.get("/instances?showHistory=true").await;
    assert_eq!(ids(&reply), set(&["done", "wait", "gone"]));
    for item in reply.json().as_array().expect("array") {
        assert!(item.get("historyEvents").is_none());
        assert!(item["name"].is_string());
    }
}

#[tokio::test]
async fn trailing_slash_also_lists() {
    let fake = Fake::new().await;
    three(&fake).await;
    assert_eq!(ids(&fake.get("/instances/").await).len(), 3);
}

#[tokio::test]
async fn runtime_status_filter_takes_a_comma_list() {
    let fake = Fake::new().await;
    three(&fake).await;
    let reply = fake
        .get("/instances?runtimeStatus=Completed,Terminated")
        .await;
    assert_eq!(ids(&reply), set(&["done", "gone"]));
}

#[tokio::test]
async fn runtime_status_filter_takes_repeated_parameters() {
    let fake = Fake::new().await;
    three(&fake).await;
    let reply = fake
        .get("/instances?runtimeStatus=Running&runtimeStatus=Completed")
        .await;
    assert_eq!(ids(&reply), set(&["done", "wait"]));
}

#[tokio::test]
async fn runtime_status_filter_is_case_sensitive_and_drops_unknown_items() {
    let fake = Fake::new().await;
    three(&fake).await;
    let reply = fake
        .get("/instances?runtimeStatus=running,Bogus,Running")
        .await;
    assert_eq!(ids(&reply), set(&["wait"]));
}

#[tokio::test]
async fn runtime_status_filter_with_nothing_parseable_means_no_filter() {
    let fake = Fake::new().await;
    three(&fake).await;
    let reply = fake.get("/instances?runtimeStatus=running").await;
    assert_eq!(ids(&reply).len(), 3);
}

#[tokio::test]
async fn runtime_status_filter_accepts_numbers() {
    let fake = Fake::new().await;
    three(&fake).await;
    let reply = fake.get("/instances?runtimeStatus=5").await;
    assert_eq!(ids(&reply), set(&["gone"]));
}

#[tokio::test]
async fn instance_id_prefix_filters() {
    let fake = Fake::new().await;
    for id in ["order-1", "order-2", "other"] {
        fake.start_id("Echo", id, &Value::Null).await;
    }
    let reply = fake.get("/instances?instanceIdPrefix=order-").await;
    assert_eq!(ids(&reply), set(&["order-1", "order-2"]));
}

#[tokio::test]
async fn created_time_range_filters() {
    let fake = Fake::new().await;
    three(&fake).await;
    let future = fake
        .get("/instances?createdTimeFrom=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(future.json(), json!([]));
    let past = fake
        .get("/instances?createdTimeTo=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(past.json(), json!([]));
    let all = fake
        .get("/instances?createdTimeFrom=2000-01-01&createdTimeTo=2999-01-01T00:00:00%2B01:00")
        .await;
    assert_eq!(ids(&all).len(), 3);
}

#[tokio::test]
async fn unparseable_dates_count_as_not_supplied() {
    let fake = Fake::new().await;
    three(&fake).await;
    // An unencoded `+` decodes to a space, which makes the value invalid.
    let reply = fake
        .get("/instances?createdTimeFrom=2999-01-01T00:00:00+01:00")
        .await;
    assert_eq!(ids(&reply).len(), 3);
    let reply = fake.get("/instances?createdTimeFrom=tomorrow").await;
    assert_eq!(ids(&reply).len(), 3);
}

#[tokio::test]
async fn show_input_defaults_to_true_and_can_be_switched_off() {
    let fake = Fake::new().await;
    three(&fake).await;
    let shown = fake.get("/instances?instanceIdPrefix=done").await.json();
    assert_eq!(shown[0]["input"], "i1");
    let hidden = fake
        .get("/instances?instanceIdPrefix=done&showInput=false")
        .await
        .json();
    assert_eq!(hidden[0]["input"], Value::Null);
}

#[tokio::test]
async fn paging_with_top_follows_the_token_to_an_empty_one() {
    let fake = Fake::new().await;
    for n in 0..5 {
        fake.start_id("Echo", &format!("i{n}"), &Value::Null).await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let reply = page(&fake, "/instances?top=2", token.as_deref()).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.has(TOKEN));
        let items = reply.json();
        let items = items.as_array().expect("array");
        sizes.push(items.len());
        seen.extend(
            items
                .iter()
                .map(|i| i["instanceId"].as_str().expect("id").to_string()),
        );
        let next = reply.header(TOKEN).to_string();
        if next.is_empty() {
            break;
        }
        token = Some(next);
        assert!(sizes.len() < 10, "paging does not end");
    }
    assert_eq!(sizes, [2, 2, 1]);
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), 5);
    assert_eq!(seen.len(), 5);
}

#[tokio::test]
async fn default_page_size_is_100() {
    let fake = Fake::new().await;
    for n in 0..101 {
        fake.start_id("Echo", &format!("n{n}"), &Value::Null).await;
    }
    let first = fake.get("/instances").await;
    assert_eq!(first.json().as_array().expect("array").len(), 100);
    let token = first.header(TOKEN).to_string();
    assert!(!token.is_empty());
    let second = page(&fake, "/instances", Some(&token)).await;
    assert_eq!(second.json().as_array().expect("array").len(), 1);
    assert_eq!(second.header(TOKEN), "");
}

#[tokio::test]
async fn filters_apply_across_pages() {
    let fake = Fake::new().await;
    for n in 0..4 {
        fake.start_id("Echo", &format!("a{n}"), &Value::Null).await;
        fake.start_id("Echo", &format!("b{n}"), &Value::Null).await;
    }
    let first = fake.get("/instances?instanceIdPrefix=a&top=3").await;
    assert_eq!(ids(&first), set(&["a0", "a1", "a2"]));
    let token = first.header(TOKEN).to_string();
    let second = page(&fake, "/instances?instanceIdPrefix=a&top=3", Some(&token)).await;
    assert_eq!(ids(&second), set(&["a3"]));
    assert_eq!(second.header(TOKEN), "");
}

#[tokio::test]
async fn an_invalid_token_is_a_500() {
    let fake = Fake::new().await;
    let reply = page(&fake, "/instances", Some("garbage")).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        reply.json()["Message"],
        "Something went wrong while processing your request"
    );
}
