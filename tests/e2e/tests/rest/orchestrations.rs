//! The orchestrations capability (11 exposed operations) against the test upstream.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{PREFIX, Reply, Server, UPSTREAM_PREFIX, Upstream};

/// The query every management URL of the default task hub carries.
const HUB: &str = "taskHub=TestHubName&connection=Storage";

/// `POST /orchestrators/{function}[/{id}]`, with an optional JSON body.
async fn start(server: &Server, function: &str, id: Option<&str>, body: Option<&str>) -> Reply {
    let path = match id {
        Some(id) => format!("{PREFIX}/orchestrators/{function}/{id}"),
        None => format!("{PREFIX}/orchestrators/{function}"),
    };
    match body {
        Some(body) => server.post_json(&path, body).await,
        None => server.post(&path).await,
    }
}

/// Starts an instance that runs until it gets the event `Approval`.
async fn waiting(server: &Server, id: &str) {
    start(server, "WaitForEvent", Some(id), None)
        .await
        .assert_status(202);
}

/// Starts an instance that completes at once with its input as output.
async fn completed(server: &Server, id: &str) {
    start(server, "Echo", Some(id), Some(r#"{"n":1}"#))
        .await
        .assert_status(202);
}

async fn status(server: &Server, id: &str) -> Reply {
    server.get(&format!("{PREFIX}/instances/{id}")).await
}

/// The `(method, path)` of every exposed operation, with sample values, and a body when needed.
fn every_operation() -> Vec<(Method, String, Option<&'static str>)> {
    let instance = format!("{PREFIX}/instances/none");
    vec![
        (Method::GET, format!("{PREFIX}/instances"), None),
        (
            Method::DELETE,
            format!("{PREFIX}/instances?createdTimeFrom=2000-01-01T00:00:00Z"),
            None,
        ),
        (Method::GET, instance.clone(), None),
        (Method::DELETE, instance.clone(), None),
        (
            Method::POST,
            format!("{instance}/raiseevent/Approval"),
            Some("1"),
        ),
        (Method::POST, format!("{instance}/restart"), None),
        (Method::POST, format!("{instance}/resume"), None),
        (Method::POST, format!("{instance}/rewind"), None),
        (Method::POST, format!("{instance}/suspend"), None),
        (Method::POST, format!("{instance}/terminate"), None),
        (Method::POST, format!("{PREFIX}/orchestrators/Echo"), None),
        (
            Method::POST,
            format!("{PREFIX}/orchestrators/Echo/x1"),
            None,
        ),
    ]
}

// ---- routing ----

#[tokio::test]
async fn every_exposed_operation_reaches_the_upstream() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    for (method, path, body) in every_operation() {
        let mut request = server.request(method.clone(), &path);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let reply = server.send(request).await;
        assert_ne!(
            reply.header("content-type"),
            "application/problem+json",
            "{method} {path} was answered by the server itself: {} {}",
            reply.status,
            reply.text
        );
    }
}

#[tokio::test]
async fn a_wrong_method_on_an_exposed_path_is_405_problem() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    for (method, path) in [
        (Method::PUT, format!("{PREFIX}/instances")),
        (Method::POST, format!("{PREFIX}/instances/x")),
        (Method::GET, format!("{PREFIX}/instances/x/terminate")),
        (Method::DELETE, format!("{PREFIX}/orchestrators/Echo")),
    ] {
        let reply = server.send(server.request(method, &path)).await;
        reply.problem(405);
    }
}

#[tokio::test]
async fn an_unknown_path_is_404_problem() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    for path in [
        "/nope".to_owned(),
        format!("{PREFIX}/instances/x/reset"),
        format!("{UPSTREAM_PREFIX}/instances"),
        format!("{PREFIX}/entities/counter"),
    ] {
        server.get(&path).await.problem(404);
    }
}

#[tokio::test]
async fn healthz_and_readyz_answer_200() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    assert_eq!(
        server.get("/healthz").await.assert_status(200).json()["status"],
        "ok"
    );
    server.get("/readyz").await.assert_status(200);
}

#[tokio::test]
async fn openapi_json_describes_exactly_the_exposed_operations() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let reply = server.get("/openapi.json").await;
    reply.assert_status(200);
    assert!(reply.header("content-type").starts_with("application/json"));
    let document = reply.json();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|it| it.starts_with("3.1"))
    );
    let mut served: Vec<String> = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in ["get", "post", "delete", "put", "patch"] {
            if item.get(method).is_some() {
                served.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    served.sort();
    let mut expected: Vec<String> = every_operation()
        .into_iter()
        .map(|(method, path, _)| {
            let path = path.split('?').next().unwrap_or_default().to_owned();
            let path = path
                .replace("/instances/none", "/instances/{instanceid}")
                .replace("/raiseevent/Approval", "/raiseevent/{eventname}")
                .replace(
                    "/orchestrators/Echo/x1",
                    "/orchestrators/{functionname}/{instanceid}",
                )
                .replace("/orchestrators/Echo", "/orchestrators/{functionname}");
            format!("{method} {path}")
        })
        .collect();
    expected.sort();
    assert_eq!(served, expected);
}

// ---- start ----

#[tokio::test]
async fn start_passes_202_and_headers_through() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let reply = start(&server, "Echo", None, Some(r#"{"a":[1,2]}"#)).await;
    reply.assert_status(202).assert_upstream_json();
    assert_eq!(reply.header("retry-after"), "10");
    let body = reply.json();
    assert_eq!(reply.header("location"), body["statusQueryGetUri"]);
    let keys: Vec<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "statusQueryGetUri",
            "sendEventPostUri",
            "terminatePostUri",
            "purgeHistoryDeleteUri",
            "restartPostUri",
            "suspendPostUri",
            "resumePostUri"
        ],
        "the upstream's key order is kept"
    );
}

#[tokio::test]
async fn start_rewrites_management_urls_to_the_servers_own_routes() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let body = start(&server, "WaitForEvent", Some("order-7"), None)
        .await
        .assert_status(202)
        .json();
    let instance = format!("{}{PREFIX}/instances/order-7", server.base());
    assert_eq!(body["id"], "order-7");
    assert_eq!(body["statusQueryGetUri"], format!("{instance}?{HUB}"));
    assert_eq!(body["purgeHistoryDeleteUri"], format!("{instance}?{HUB}"));
    assert_eq!(
        body["sendEventPostUri"],
        format!("{instance}/raiseevent/{{eventName}}?{HUB}")
    );
    for operation in ["terminate", "suspend", "resume"] {
        assert_eq!(
            body[format!("{operation}PostUri")],
            format!("{instance}/{operation}?reason={{text}}&{HUB}")
        );
    }
}

/// `restart` is not among the capability's operations: its link still never names the
/// upstream; it points at this server, under the prefix every exposed route adds.
#[tokio::test]
async fn a_url_without_an_exposed_route_moves_onto_the_server() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let body = start(&server, "WaitForEvent", Some("order-8"), None)
        .await
        .json();
    assert_eq!(
        body["restartPostUri"],
        format!("{}{PREFIX}/instances/order-8/restart?{HUB}", server.base())
    );
}

#[tokio::test]
async fn management_urls_follow_x_forwarded_proto_and_host() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let reply = server
        .send(
            server
                .request(
                    Method::POST,
                    &format!("{PREFIX}/orchestrators/WaitForEvent/fw"),
                )
                .header("x-forwarded-proto", "https")
                .header("x-forwarded-host", "gateway.example:8443"),
        )
        .await;
    let expected = format!("https://gateway.example:8443{PREFIX}/instances/fw?{HUB}");
    assert_eq!(reply.json()["statusQueryGetUri"], expected);
    assert_eq!(reply.header("location"), expected);
}

#[tokio::test]
async fn management_urls_follow_the_host_header() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let reply = server
        .send(
            server
                .request(
                    Method::POST,
                    &format!("{PREFIX}/orchestrators/WaitForEvent/hh"),
                )
                .header("host", "api.example:9000"),
        )
        .await;
    let expected = format!("http://api.example:9000{PREFIX}/instances/hh?{HUB}");
    assert_eq!(reply.json()["statusQueryGetUri"], expected);
    assert_eq!(reply.header("location"), expected);
}

#[tokio::test]
async fn a_task_hub_given_at_start_stays_in_the_urls_and_they_lead_back() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let body = server
        .post(&format!(
            "{PREFIX}/orchestrators/WaitForEvent/hub-1?taskHub=OtherHub&connection=Other"
        ))
        .await
        .assert_status(202)
        .json();
    let url = body["statusQueryGetUri"].as_str().expect("a URL");
    assert_eq!(
        url,
        format!(
            "{}{PREFIX}/instances/hub-1?taskHub=OtherHub&connection=Other",
            server.base()
        )
    );
    status(&server, "hub-1").await.assert_status(404);
    let reply = server.follow(Method::GET, url).await;
    reply.assert_status(202);
    assert_eq!(reply.json()["instanceId"], "hub-1");
}

#[tokio::test]
async fn the_start_body_is_the_orchestrator_input() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    start(
        &server,
        "Echo",
        Some("in-1"),
        Some(r#"{"a":[1,"two",null]}"#),
    )
    .await
    .assert_status(202);
    let body = status(&server, "in-1").await.assert_status(200).json();
    assert_eq!(body["input"], json!({"a": [1, "two", null]}));
    assert_eq!(body["output"], json!({"a": [1, "two", null]}));
}

#[tokio::test]
async fn a_malformed_json_start_body_is_400_problem() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    start(&server, "Echo", None, Some(r#"{"a":"#))
        .await
        .bad_parameter("body");
}

#[tokio::test]
async fn a_start_body_over_the_default_limit_is_413_problem() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let big = format!("\"{}\"", "x".repeat(1024 * 1024));
    start(&server, "Echo", Some("big"), Some(&big))
        .await
        .problem(413);
    status(&server, "big").await.assert_status(404);
}

// ---- status ----

#[tokio::test]
async fn a_running_instance_is_202_with_a_rewritten_location() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    waiting(&server, "run-1").await;
    let reply = status(&server, "run-1").await;
    reply.assert_status(202).assert_upstream_json();
    assert_eq!(reply.header("retry-after"), "5");
    assert_eq!(
        reply.header("location"),
        format!("{}{PREFIX}/instances/run-1", server.base())
    );
    assert_eq!(reply.json()["runtimeStatus"], "Running");
}

#[tokio::test]
async fn the_status_location_keeps_the_query_but_not_the_key() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    waiting(&server, "run-2").await;
    let reply = server
        .get(&format!(
            "{PREFIX}/instances/run-2?showInput=false&showHistory=true&taskHub=TestHubName"
        ))
        .await;
    reply.assert_status(202);
    let location = reply.header("location");
    let (path, query) = location.split_once('?').expect("a query");
    assert_eq!(path, format!("{}{PREFIX}/instances/run-2", server.base()));
    let mut pairs: Vec<&str> = query.split('&').collect();
    pairs.sort_unstable();
    assert_eq!(
        pairs,
        ["showHistory=true", "showInput=false", "taskHub=TestHubName"]
    );
}

#[tokio::test]
async fn a_completed_instance_is_200_with_its_output() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    completed(&server, "done-1").await;
    let reply = status(&server, "done-1").await;
    reply.assert_status(200).assert_upstream_json();
    let body = reply.json();
    assert_eq!(body["runtimeStatus"], "Completed");
    assert_eq!(body["output"], json!({"n": 1}));
    assert!(body.get("historyEvents").is_none());
}

#[tokio::test]
async fn a_missing_instance_is_404_with_an_empty_body() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    status(&server, "missing")
        .await
        .assert_status(404)
        .assert_empty();
}

#[tokio::test]
async fn status_booleans_are_passed_upstream() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    completed(&server, "hist").await;
    let with = server
        .get(&format!(
            "{PREFIX}/instances/hist?showHistory=TRUE&showInput=false"
        ))
        .await
        .assert_status(200)
        .json();
    assert!(with["historyEvents"].is_array(), "{with}");
    assert_eq!(with["input"], Value::Null);
    let without = server
        .get(&format!("{PREFIX}/instances/hist?showHistory=false"))
        .await
        .json();
    assert!(without.get("historyEvents").is_none(), "{without}");
}

#[tokio::test]
async fn a_non_boolean_status_flag_is_400_naming_it() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    server
        .get(&format!("{PREFIX}/instances/x?showHistory=yes"))
        .await
        .bad_parameter("showHistory");
    server
        .get(&format!("{PREFIX}/instances/x?showInput=1"))
        .await
        .bad_parameter("showInput");
}

#[tokio::test]
async fn a_failed_instance_is_500_when_asked_for() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    start(&server, "Fail", Some("f-1"), Some(r#"{"message":"boom"}"#))
        .await
        .assert_status(202);
    status(&server, "f-1").await.assert_status(200);
    let reply = server
        .get(&format!(
            "{PREFIX}/instances/f-1?returnInternalServerErrorOnFailure=true"
        ))
        .await;
    reply.assert_status(500).assert_upstream_json();
    assert_eq!(reply.json()["runtimeStatus"], "Failed");
}

#[tokio::test]
async fn the_status_url_of_an_id_with_a_space_leads_back_to_the_instance() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let body = start(&server, "WaitForEvent", Some("my%20order"), None)
        .await
        .assert_status(202)
        .json();
    assert_eq!(body["id"], "my order");
    let url = body["statusQueryGetUri"].as_str().expect("a URL");
    assert!(url.starts_with(&server.base()), "{url}");
    let reply = server.follow(Method::GET, url).await;
    reply.assert_status(202);
    assert_eq!(reply.json()["instanceId"], "my order");
}

// ---- list ----

#[tokio::test]
async fn list_pages_with_the_continuation_header() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    completed(&server, "page-a").await;
    completed(&server, "page-b").await;
    let first = server.get(&format!("{PREFIX}/instances?top=1")).await;
    first.assert_status(200).assert_upstream_json();
    let token = first.header("x-ms-continuation-token").to_owned();
    assert!(!token.is_empty(), "a next page");
    let second = server
        .send(
            server
                .request(Method::GET, &format!("{PREFIX}/instances?top=1"))
                .header("x-ms-continuation-token", &token),
        )
        .await
        .assert_status(200)
        .json();
    let ids = [&first.json()[0]["instanceId"], &second[0]["instanceId"]];
    assert_eq!(ids, [&json!("page-a"), &json!("page-b")]);
}

#[tokio::test]
async fn list_filters_are_passed_upstream() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    completed(&server, "keep-1").await;
    waiting(&server, "keep-2").await;
    completed(&server, "other").await;
    let ids = |reply: Reply| -> Vec<String> {
        reply.assert_status(200);
        reply
            .json()
            .as_array()
            .expect("an array")
            .iter()
            .map(|it| it["instanceId"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let prefixed = server
        .get(&format!("{PREFIX}/instances?instanceIdPrefix=keep"))
        .await;
    assert_eq!(ids(prefixed), ["keep-1", "keep-2"]);
    let running = server
        .get(&format!("{PREFIX}/instances?runtimeStatus=Running"))
        .await;
    assert_eq!(ids(running), ["keep-2"]);
    let both = server
        .get(&format!(
            "{PREFIX}/instances?runtimeStatus=Running&runtimeStatus=Completed&instanceIdPrefix=keep"
        ))
        .await;
    assert_eq!(ids(both), ["keep-1", "keep-2"]);
    let future = server
        .get(&format!(
            "{PREFIX}/instances?createdTimeFrom=2999-01-01T00:00:00%2B01:00"
        ))
        .await;
    assert!(ids(future).is_empty());
    let no_input = server
        .get(&format!(
            "{PREFIX}/instances?instanceIdPrefix=keep-1&showInput=false"
        ))
        .await
        .json();
    assert_eq!(no_input[0]["input"], Value::Null);
}

#[tokio::test]
async fn a_non_integer_top_is_400_naming_it() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    for top in ["ten", "1.5", "3000000000"] {
        server
            .get(&format!("{PREFIX}/instances?top={top}"))
            .await
            .bad_parameter("top");
    }
}

#[tokio::test]
async fn a_malformed_date_time_is_400_naming_it() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    for value in ["yesterday", "2024-13-01T00:00:00Z"] {
        server
            .get(&format!("{PREFIX}/instances?createdTimeFrom={value}"))
            .await
            .bad_parameter("createdTimeFrom");
    }
    server
        .get(&format!("{PREFIX}/instances?createdTimeTo=now"))
        .await
        .bad_parameter("createdTimeTo");
}

#[tokio::test]
async fn an_unknown_runtime_status_is_400_naming_it() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    for value in ["Bogus", "running", "Running,Nope"] {
        server
            .get(&format!("{PREFIX}/instances?runtimeStatus={value}"))
            .await
            .bad_parameter("runtimeStatus");
    }
}

#[tokio::test]
async fn unknown_query_parameters_are_400_not_dropped() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    completed(&server, "q-1").await;
    server
        .get(&format!("{PREFIX}/instances?foo=bar&top=5"))
        .await
        .bad_parameter("foo");
    // The key has no business here either: the server holds it.
    server
        .get(&format!("{PREFIX}/instances?code=guess"))
        .await
        .bad_parameter("code");
    server
        .get(&format!("{PREFIX}/instances/q-1?verbose=1"))
        .await
        .bad_parameter("verbose");
    server
        .get(&format!("{PREFIX}/instances/q-1?showInput=true"))
        .await
        .assert_status(200);
}

// ---- purge ----

#[tokio::test]
async fn purging_a_terminal_instance_is_200_with_the_count() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    completed(&server, "p-1").await;
    let reply = server.delete(&format!("{PREFIX}/instances/p-1")).await;
    reply.assert_status(200).assert_upstream_json();
    assert_eq!(reply.json(), json!({"instancesDeleted": 1}));
    status(&server, "p-1").await.assert_status(404);
}

#[tokio::test]
async fn purging_a_running_instance_passes_412_through() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    waiting(&server, "p-2").await;
    let reply = server.delete(&format!("{PREFIX}/instances/p-2")).await;
    reply.assert_status(412).assert_upstream_json();
    assert!(reply.json().as_str().is_some_and(|it| it.contains("p-2")));
}

#[tokio::test]
async fn purging_a_missing_instance_is_404_empty() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    server
        .delete(&format!("{PREFIX}/instances/none"))
        .await
        .assert_status(404)
        .assert_empty();
}

#[tokio::test]
async fn purging_many_requires_created_time_from() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    server
        .delete(&format!("{PREFIX}/instances"))
        .await
        .bad_parameter("createdTimeFrom");
}

#[tokio::test]
async fn purging_many_deletes_then_finds_nothing() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    completed(&server, "m-1").await;
    completed(&server, "m-2").await;
    let path =
        format!("{PREFIX}/instances?createdTimeFrom=2000-01-01T00:00:00Z&runtimeStatus=Completed");
    let reply = server.delete(&path).await;
    reply.assert_status(200).assert_upstream_json();
    assert_eq!(reply.json(), json!({"instancesDeleted": 2}));
    server.delete(&path).await.assert_status(404).assert_empty();
}

// ---- raise event ----

#[tokio::test]
async fn raising_the_awaited_event_completes_the_instance() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    waiting(&server, "ev-1").await;
    server
        .post_json(
            &format!("{PREFIX}/instances/ev-1/raiseevent/Approval"),
            r#"{"approved":true}"#,
        )
        .await
        .assert_status(202)
        .assert_empty();
    let body = status(&server, "ev-1").await.assert_status(200).json();
    assert_eq!(body["output"], json!({"approved": true}));
}

#[tokio::test]
async fn raising_an_event_on_a_finished_or_missing_instance_passes_410_and_404_through() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    completed(&server, "ev-2").await;
    server
        .post_json(&format!("{PREFIX}/instances/ev-2/raiseevent/Approval"), "1")
        .await
        .assert_status(410)
        .assert_empty();
    server
        .post_json(&format!("{PREFIX}/instances/none/raiseevent/Approval"), "1")
        .await
        .assert_status(404)
        .assert_empty();
}

#[tokio::test]
async fn a_malformed_or_missing_event_body_is_400_problem() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    waiting(&server, "ev-3").await;
    let path = format!("{PREFIX}/instances/ev-3/raiseevent/Approval");
    server.post_json(&path, "{nope").await.bad_parameter("body");
    server.post(&path).await.bad_parameter("body");
    status(&server, "ev-3").await.assert_status(202);
}

#[tokio::test]
async fn the_send_event_url_works_once_its_placeholder_is_filled() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let body = start(&server, "WaitForEvent", Some("ev-4"), None)
        .await
        .json();
    let url = body["sendEventPostUri"]
        .as_str()
        .expect("a URL")
        .replace("{eventName}", "Approval");
    let reply = server
        .send(
            server
                .request_url(Method::POST, &url)
                .header("content-type", "application/json")
                .body("\"yes\""),
        )
        .await;
    reply.assert_status(202);
    assert_eq!(status(&server, "ev-4").await.json()["output"], "yes");
}

// ---- terminate, suspend, resume, rewind ----

#[tokio::test]
async fn terminating_passes_202_then_410_through() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    waiting(&server, "t-1").await;
    let path = format!("{PREFIX}/instances/t-1/terminate?reason=enough");
    server.post(&path).await.assert_status(202).assert_empty();
    let body = status(&server, "t-1").await.json();
    assert_eq!(body["runtimeStatus"], "Terminated");
    assert_eq!(body["output"], "enough");
    server.post(&path).await.assert_status(410).assert_empty();
}

#[tokio::test]
async fn the_terminate_url_works_once_its_placeholder_is_filled() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let body = start(&server, "WaitForEvent", Some("t-2"), None)
        .await
        .json();
    let url = body["terminatePostUri"]
        .as_str()
        .expect("a URL")
        .replace("{text}", "by-url");
    server.follow(Method::POST, &url).await.assert_status(202);
    assert_eq!(status(&server, "t-2").await.json()["output"], "by-url");
}

#[tokio::test]
async fn suspending_and_resuming_pass_202_and_500_through() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    waiting(&server, "s-1").await;
    let suspend = format!("{PREFIX}/instances/s-1/suspend?reason=pause");
    let resume = format!("{PREFIX}/instances/s-1/resume");
    server
        .post(&suspend)
        .await
        .assert_status(202)
        .assert_empty();
    assert_eq!(
        status(&server, "s-1").await.json()["runtimeStatus"],
        "Suspended"
    );
    let again = server.post(&suspend).await;
    again.assert_status(500).assert_upstream_json();
    assert_eq!(
        again.json()["ExceptionType"],
        "System.InvalidOperationException"
    );
    server.post(&resume).await.assert_status(202).assert_empty();
    assert_eq!(
        status(&server, "s-1").await.json()["runtimeStatus"],
        "Running"
    );
    server.post(&resume).await.assert_status(500);
}

#[tokio::test]
async fn rewinding_passes_202_and_412_through() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    start(&server, "Fail", Some("r-1"), None)
        .await
        .assert_status(202);
    let path = format!("{PREFIX}/instances/r-1/rewind?reason=retry");
    server.post(&path).await.assert_status(202).assert_empty();
    assert_eq!(
        status(&server, "r-1").await.json()["runtimeStatus"],
        "Completed"
    );
    let reply = server.post(&path).await;
    reply.assert_status(412).assert_upstream_json();
    assert!(
        reply
            .json()
            .as_str()
            .is_some_and(|it| it.contains("Failed"))
    );
}

#[tokio::test]
async fn commands_on_a_missing_instance_pass_404_through() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    for operation in ["terminate", "suspend", "resume"] {
        server
            .post(&format!("{PREFIX}/instances/none/{operation}"))
            .await
            .assert_status(404)
            .assert_empty();
    }
    let rewind = server
        .post(&format!("{PREFIX}/instances/none/rewind"))
        .await;
    rewind.assert_status(404).assert_upstream_json();
    assert!(rewind.json().is_string());
}

// ---- routing as the Functions host does ----

/// The host routes case-insensitively, and its own links and SDKs send `raiseEvent/{eventName}`
/// where the capability writes `raiseevent/{eventname}`.
#[tokio::test]
async fn path_literals_match_regardless_of_case() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    start(&server, "WaitForEvent", Some("Case-1"), None)
        .await
        .assert_status(202);
    server
        .post_json(
            &format!("{PREFIX}/instances/Case-1/raiseEvent/Approval"),
            "\"yes\"",
        )
        .await
        .assert_status(202);
    // The instance id keeps its case: it is a value, not a literal.
    server
        .get("/V1/Runtime/Webhooks/DurableTask/Instances/Case-1")
        .await
        .assert_status(200);
    server
        .get(&format!("{PREFIX}/instances/case-1"))
        .await
        .assert_status(404);
}

/// The SDKs list and purge with `…/instances/?…`.
#[tokio::test]
async fn a_trailing_slash_is_accepted() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    completed(&server, "slash-1").await;
    let list = server.get(&format!("{PREFIX}/instances/?top=5")).await;
    list.assert_status(200);
    assert!(list.json().as_array().is_some_and(|it| !it.is_empty()));
    server
        .get(&format!("{PREFIX}/nothing-here/"))
        .await
        .problem(404);
}

/// Restart is not in the published capability; the orchestrations overlay adds it, so the
/// `restartPostUri` of every start response is a working link of this server.
#[tokio::test]
async fn the_restart_link_of_a_start_response_works() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    let started = start(&server, "Echo", Some("again-1"), Some("42"))
        .await
        .json();
    let link = started["restartPostUri"].as_str().expect("a restart link");
    assert!(link.starts_with(&server.base()), "{link}");
    let restarted = server.follow(Method::POST, link).await;
    restarted.assert_status(202);
    let id = restarted.json()["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(id, "again-1", "a new instance id by default");
    let output = status(&server, &id).await.json();
    assert_eq!(output["input"], json!(42));
}

/// `start_new(..., version=...)` of the Python SDK sends `version`: it reaches the upstream (the
/// OpenAPI overlay documents it), not dropped.
#[tokio::test]
async fn the_orchestration_version_reaches_the_upstream() {
    let upstream = Upstream::start().await;
    let server = Server::orchestrations(&upstream).await;
    start(&server, "Echo", Some("v-1"), None)
        .await
        .assert_status(202);
    server
        .post_json(&format!("{PREFIX}/orchestrators/Echo/v-2?version=2.0"), "1")
        .await
        .assert_status(202);
    server
        .post_json(&format!("{PREFIX}/orchestrators/Echo/v-3?versoin=2.0"), "1")
        .await
        .bad_parameter("versoin");
}
