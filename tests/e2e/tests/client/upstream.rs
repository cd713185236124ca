//! Scenarios through the typed client against the Durable Functions test upstream
//! (`durable-functions-fake`, in-process, behind the recording proxy): the statuses a stateful
//! service gives (202 while running and 200 when done, 404, 409, 410, 412, 500, paging with
//! continuation tokens, `ContinuedAsNew`), decoded into their typed variants.
//!
//! Every request's key is checked to be in the query only, and every error's `Display` and
//! `Debug` output to be without it.

use std::fmt::{Debug, Display};
use std::time::{Duration, Instant};

use durable_functions_client::operations::{
    GetEntityError, GetInstanceStatusError, GetInstanceStatusSuccess, ListEntitiesError,
    ListInstancesError, PurgeInstanceError, PurgeInstancesError, RaiseEventError,
    RestartInstanceError, RestartInstanceSuccess, ResumeInstanceError, RewindInstanceError,
    SignalEntityError, StartOrchestrationSuccess, StartOrchestrationWithIdError,
    StartOrchestrationWithIdSuccess, SuspendInstanceError, TerminateInstanceError,
};
use durable_functions_client::types::{ErrorBody, ErrorMessage, InstanceStatus, RuntimeStatus};
use durable_functions_client::{Client, ErrorResponse};
use durable_functions_fake::{Profile, Timing};
use serde_json::{Value, json};

use crate::harness::{CODE, Upstream, W, assert_error_hides_key};

/// The error of a result that must have failed; its `Display` and `Debug` must hide the key.
fn error<S: Debug, E: Display + Debug>(what: &str, result: Result<S, E>) -> E {
    match result {
        Ok(value) => panic!("{what}: expected an error, got {value:?}"),
        Err(err) => {
            assert_error_hides_key(&err);
            err
        }
    }
}

/// The value of a result that must have succeeded.
fn ok<S: Debug, E: Display + Debug>(what: &str, result: Result<S, E>) -> S {
    match result {
        Ok(value) => value,
        Err(err) => {
            assert_error_hides_key(&err);
            panic!("{what}: expected a success, got {err:?} ({err})")
        }
    }
}

/// Asserts an error response without a body (the extension's 404/410/401 and command errors).
fn assert_empty<T: Debug>(what: &str, status: u16, response: &ErrorResponse<T>) {
    assert_eq!(response.status().as_u16(), status, "{what}: the status");
    assert!(
        response.body().is_none() && response.raw().body().is_empty(),
        "{what}: expected no body, got {:?}",
        response.raw()
    );
}

/// Asserts an error object body (`{"Message": ...}`) whose message contains `message`.
fn assert_message(what: &str, status: u16, response: &ErrorResponse<ErrorBody>, message: &str) {
    assert_eq!(response.status().as_u16(), status, "{what}: the status");
    match response.body() {
        Some(ErrorBody::ErrorMessage(ErrorMessage {
            message: Some(text),
            ..
        })) if text.contains(message) => {}
        other => panic!("{what}: expected an error object saying {message:?}, got {other:?}"),
    }
}

/// Asserts the four-key exception object of the older extension, of this exception type.
fn assert_exception(what: &str, response: &ErrorResponse<ErrorBody>, exception_type: &str) {
    assert_eq!(response.status().as_u16(), 500, "{what}: the status");
    match response.body() {
        Some(ErrorBody::ErrorMessage(ErrorMessage {
            message: Some(_),
            exception_message: Some(_),
            exception_type: Some(kind),
            stack_trace: Some(_),
        })) if kind == exception_type => {}
        other => panic!("{what}: expected the exception object of {exception_type}, got {other:?}"),
    }
}

/// Asserts a bare JSON string body containing `text`.
fn assert_string(what: &str, status: u16, response: &ErrorResponse<ErrorBody>, text: &str) {
    assert_eq!(response.status().as_u16(), status, "{what}: the status");
    match response.body() {
        Some(ErrorBody::String(body)) if body.contains(text) => {}
        other => panic!("{what}: expected a JSON string saying {text:?}, got {other:?}"),
    }
}

/// Starts `function` as `id` with `input`; the 202 body's id.
async fn start(client: &Client, function: &str, id: &str, input: Value) -> String {
    let started = client
        .start_orchestration_with_id(function, id)
        .body(input)
        .send()
        .await;
    match ok("start", started) {
        StartOrchestrationWithIdSuccess::Accepted { body, .. } => body.id.expect("an id"),
        other => panic!("start {function} {id}: expected 202, got {other:?}"),
    }
}

/// The status of a finished instance (200).
async fn finished(client: &Client, id: &str) -> InstanceStatus {
    match ok("status", client.get_instance_status(id).send().await) {
        GetInstanceStatusSuccess::Ok(status) => status,
        other => panic!("the status of {id}: expected 200, got {other:?}"),
    }
}

/// The status of a running instance (202).
async fn running(client: &Client, id: &str) -> InstanceStatus {
    match ok("status", client.get_instance_status(id).send().await) {
        GetInstanceStatusSuccess::Accepted { body, .. } => body,
        other => panic!("the status of {id}: expected 202, got {other:?}"),
    }
}

#[tokio::test]
async fn wait_for_event_runs_202_until_the_event_then_completes_200() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    // The new extension decodes the path before routing: `%20` and `%2B` come back intact.
    let id = "order 42+a";
    let started = client
        .start_orchestration_with_id("WaitForEvent", id)
        .body(json!({"eventName": "Approval"}))
        .send()
        .await;
    let exchange = upstream.single();
    assert_eq!(
        exchange.request.target,
        format!("{W}/orchestrators/WaitForEvent/order%2042%2Ba?{CODE}")
    );
    match ok("start", started) {
        StartOrchestrationWithIdSuccess::Accepted {
            location,
            retry_after,
            body,
        } => {
            assert_eq!(body.id.as_deref(), Some(id));
            assert_eq!(
                location, body.status_query_get_uri,
                "Location is the status URL"
            );
            assert_eq!(retry_after, Some(10));
            assert!(body.restart_post_uri.is_some(), "{body:?}");
            assert!(body.suspend_post_uri.is_some(), "{body:?}");
            assert_eq!(body.rewind_post_uri, None, "not sent since 2.0");
        }
        other => panic!("expected 202 Accepted, got {other:?}"),
    }

    let status = client.get_instance_status(id).send().await;
    let exchange = upstream.single();
    match ok("status", status) {
        GetInstanceStatusSuccess::Accepted {
            location,
            retry_after,
            body,
        } => {
            assert_eq!(body.runtime_status, Some(RuntimeStatus::Running));
            assert_eq!(body.instance_id.as_deref(), Some(id));
            assert_eq!(body.name.as_deref(), Some("WaitForEvent"));
            assert_eq!(body.input, json!({"eventName": "Approval"}));
            assert!(body.created_time.is_some() && body.last_updated_time.is_some());
            assert_eq!(retry_after, Some(5));
            let location = location.expect("a Location");
            assert!(
                location.ends_with(&exchange.request.target),
                "Location {location} is the request URI {}",
                exchange.request.target
            );
        }
        other => panic!("a running instance: expected 202 Accepted, got {other:?}"),
    }

    // Event names match case-insensitively; the data becomes the output.
    ok(
        "raise",
        client
            .raise_event(id, "approval", json!({"ok": [1, "two"]}))
            .send()
            .await,
    );
    let exchange = upstream.single();
    assert_eq!(
        exchange.request.target,
        format!("{W}/instances/order%2042%2Ba/raiseEvent/approval?{CODE}")
    );
    assert_eq!(&exchange.request.body[..], br#"{"ok":[1,"two"]}"#);
    assert_eq!(exchange.status, 202);

    let done = finished(&client, id).await;
    assert_eq!(done.runtime_status, Some(RuntimeStatus::Completed));
    assert_eq!(done.output, json!({"ok": [1, "two"]}));

    // A completed instance takes no more events or commands: 410.
    match error("raise", client.raise_event(id, "Approval", 1).send().await) {
        RaiseEventError::Gone(it) => assert_empty("raise after completion", 410, &it),
        other => panic!("expected 410 Gone, got {other:?}"),
    }
    match error("terminate", client.terminate_instance(id).send().await) {
        TerminateInstanceError::Gone(it) => assert_empty("terminate a completed", 410, &it),
        other => panic!("expected 410 Gone, got {other:?}"),
    }
    match error("suspend", client.suspend_instance(id).send().await) {
        SuspendInstanceError::Gone(it) => assert_empty("suspend a completed", 410, &it),
        other => panic!("expected 410 Gone, got {other:?}"),
    }
    match error("resume", client.resume_instance(id).send().await) {
        ResumeInstanceError::Gone(it) => assert_empty("resume a completed", 410, &it),
        other => panic!("expected 410 Gone, got {other:?}"),
    }
    upstream.forget();
}

#[tokio::test]
async fn a_missing_instance_is_404_for_every_instance_operation() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    let id = "nobody";
    match error("status", client.get_instance_status(id).send().await) {
        GetInstanceStatusError::NotFound(it) => assert_empty("status", 404, &it),
        other => panic!("status: expected 404, got {other:?}"),
    }
    match error(
        "raise",
        client.raise_event(id, "e", json!(null)).send().await,
    ) {
        RaiseEventError::NotFound(it) => assert_empty("raise", 404, &it),
        other => panic!("raise: expected 404, got {other:?}"),
    }
    match error("terminate", client.terminate_instance(id).send().await) {
        TerminateInstanceError::NotFound(it) => assert_empty("terminate", 404, &it),
        other => panic!("terminate: expected 404, got {other:?}"),
    }
    match error("suspend", client.suspend_instance(id).send().await) {
        SuspendInstanceError::NotFound(it) => assert_empty("suspend", 404, &it),
        other => panic!("suspend: expected 404, got {other:?}"),
    }
    match error("resume", client.resume_instance(id).send().await) {
        ResumeInstanceError::NotFound(it) => assert_empty("resume", 404, &it),
        other => panic!("resume: expected 404, got {other:?}"),
    }
    match error("purge", client.purge_instance(id).send().await) {
        PurgeInstanceError::NotFound(it) => assert_empty("purge", 404, &it),
        other => panic!("purge: expected 404, got {other:?}"),
    }
    // The newer extension says why in a bare JSON string.
    match error("rewind", client.rewind_instance(id).send().await) {
        RewindInstanceError::NotFound(it) => assert_string("rewind", 404, &it, "nobody"),
        other => panic!("rewind: expected 404, got {other:?}"),
    }
    // Restart goes through start: an unknown id is a bad argument.
    match error("restart", client.restart_instance(id).send().await) {
        RestartInstanceError::BadRequest(it) => assert_message(
            "restart",
            400,
            &it,
            "InstanceId does not match a valid orchestration instance",
        ),
        other => panic!("restart: expected 400, got {other:?}"),
    }
    upstream.forget();
}

#[tokio::test]
async fn start_with_timeout_answers_200_with_the_output_once_completed() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    let input = json!({"x": [1, 2], "y": "z"});
    let started = client
        .start_orchestration("Echo")
        .timeout(2.5)
        .polling_interval(0.5)
        .body(input.clone())
        .send()
        .await;
    let exchange = upstream.single();
    assert_eq!(
        exchange.request.target,
        format!("{W}/orchestrators/Echo?timeout=2.5&pollingInterval=0.5&{CODE}")
    );
    match ok("start and wait", started) {
        StartOrchestrationSuccess::Ok(output) => assert_eq!(output, input),
        other => panic!("expected 200 with the output, got {other:?}"),
    }

    // Without waiting: 202, and the instance completes (200) with its input as output.
    let id = match ok(
        "start",
        client.start_orchestration("Echo").body("hi").send().await,
    ) {
        StartOrchestrationSuccess::Accepted {
            location,
            retry_after,
            body,
        } => {
            assert_eq!(location, body.status_query_get_uri);
            assert_eq!(retry_after, Some(10));
            body.id.expect("an id")
        }
        other => panic!("expected 202, got {other:?}"),
    };
    let done = finished(&client, &id).await;
    assert_eq!(done.runtime_status, Some(RuntimeStatus::Completed));
    assert_eq!(done.output, json!("hi"));

    // Restart, waiting too: 200 with the same output.
    match ok(
        "restart and wait",
        client
            .restart_instance(&id)
            .timeout(2.5)
            .polling_interval(0.5)
            .send()
            .await,
    ) {
        RestartInstanceSuccess::Ok(output) => assert_eq!(output, json!("hi")),
        other => panic!("expected 200 with the output, got {other:?}"),
    }
    upstream.forget();
}

#[tokio::test]
async fn a_duplicate_start_is_409_in_the_new_extension_and_500_in_the_old() {
    for (profile, status) in [(Profile::New, 409), (Profile::Old, 500)] {
        let upstream = Upstream::with(profile, Timing::default()).await;
        let client = upstream.client();
        start(&client, "WaitForEvent", "dup", json!({})).await;
        let again = client
            .start_orchestration_with_id("WaitForEvent", "dup")
            .send()
            .await;
        match (status, error("duplicate start", again)) {
            (409, StartOrchestrationWithIdError::Conflict(it)) => assert_message(
                "409",
                409,
                &it,
                "An Orchestration instance with the status Running already exists.",
            ),
            (500, StartOrchestrationWithIdError::InternalServerError(it)) => {
                assert_exception("500", &it, "System.InvalidOperationException")
            }
            (_, other) => panic!("{profile}: expected {status}, got {other:?}"),
        }
        upstream.forget();
    }
}

#[tokio::test]
async fn suspend_resume_and_terminate_a_running_instance() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    let id = start(&client, "WaitForEvent", "sr", json!({})).await;
    upstream.forget();

    ok(
        "suspend",
        client
            .suspend_instance(&id)
            .reason("pause: 1+1")
            .send()
            .await,
    );
    let exchange = upstream.single();
    assert_eq!(
        exchange.request.target,
        format!("{W}/instances/sr/suspend?reason=pause%3A%201%2B1&{CODE}")
    );
    assert_eq!(exchange.status, 202);
    assert_eq!(
        running(&client, &id).await.runtime_status,
        Some(RuntimeStatus::Suspended)
    );
    // Suspending a suspended instance fails in the extension: 500 with the exception.
    match error("suspend twice", client.suspend_instance(&id).send().await) {
        SuspendInstanceError::InternalServerError(it) => {
            assert_exception("suspend twice", &it, "System.InvalidOperationException")
        }
        other => panic!("expected 500, got {other:?}"),
    }

    ok("resume", client.resume_instance(&id).send().await);
    assert_eq!(
        running(&client, &id).await.runtime_status,
        Some(RuntimeStatus::Running)
    );
    match error("resume twice", client.resume_instance(&id).send().await) {
        ResumeInstanceError::InternalServerError(it) => {
            assert_exception("resume twice", &it, "System.InvalidOperationException")
        }
        other => panic!("expected 500, got {other:?}"),
    }

    ok(
        "terminate",
        client
            .terminate_instance(&id)
            .reason("stop now")
            .send()
            .await,
    );
    let done = finished(&client, &id).await;
    assert_eq!(done.runtime_status, Some(RuntimeStatus::Terminated));
    assert_eq!(done.output, json!("stop now"), "the reason is the output");
    upstream.forget();
}

#[tokio::test]
async fn purge_one_is_412_while_running_then_200_then_404() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    let id = start(&client, "WaitForEvent", "p1", json!({})).await;
    match error("purge running", client.purge_instance(&id).send().await) {
        PurgeInstanceError::PreconditionFailed(it) => {
            assert_string("purge running", 412, &it, "terminal state")
        }
        other => panic!("expected 412, got {other:?}"),
    }
    ok("terminate", client.terminate_instance(&id).send().await);
    let purged = ok("purge", client.purge_instance(&id).send().await);
    assert_eq!(purged.instances_deleted, Some(1));
    match error("purge again", client.purge_instance(&id).send().await) {
        PurgeInstanceError::NotFound(it) => assert_empty("purge again", 404, &it),
        other => panic!("expected 404, got {other:?}"),
    }
    upstream.forget();
}

#[tokio::test]
async fn purge_many_by_filter_is_200_with_the_count_then_404() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    start(&client, "Echo", "e1", json!(1)).await;
    start(&client, "Echo", "e2", json!(2)).await;
    let w = start(&client, "WaitForEvent", "w1", json!({})).await;
    upstream.forget();
    let long_ago: chrono::DateTime<chrono::Utc> =
        "2000-01-01T00:00:00Z".parse().expect("a date-time");
    let purge = || {
        client
            .purge_instances(long_ago)
            .runtime_status(vec![RuntimeStatus::Completed, RuntimeStatus::Failed])
            .send()
    };
    let purged = ok("purge many", purge().await);
    let exchange = upstream.single();
    assert_eq!(
        exchange.request.target,
        format!(
            "{W}/instances?createdTimeFrom=2000-01-01T00%3A00%3A00Z\
             &runtimeStatus=Completed,Failed&{CODE}"
        )
    );
    assert_eq!(purged.instances_deleted, Some(2), "the two completed ones");
    match error("purge many again", purge().await) {
        PurgeInstancesError::NotFound(it) => assert_empty("nothing left", 404, &it),
        other => panic!("expected 404, got {other:?}"),
    }
    // The running instance was not purged.
    assert_eq!(
        running(&client, &w).await.runtime_status,
        Some(RuntimeStatus::Running)
    );
    upstream.forget();
}

#[tokio::test]
async fn restart_under_a_new_id_or_the_same_one() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    let id = start(&client, "Echo", "r1", json!({"v": 1})).await;
    finished(&client, &id).await;

    let fresh = match ok("restart", client.restart_instance(&id).send().await) {
        RestartInstanceSuccess::Accepted {
            location,
            retry_after,
            body,
        } => {
            assert_eq!(location, body.status_query_get_uri);
            assert_eq!(retry_after, Some(10));
            body.id.expect("an id")
        }
        other => panic!("expected 202, got {other:?}"),
    };
    assert_ne!(fresh, id, "a new id by default");
    assert_eq!(finished(&client, &fresh).await.output, json!({"v": 1}));

    upstream.forget();
    let same = client
        .restart_instance(&id)
        .restart_with_new_instance_id(false)
        .send()
        .await;
    let exchange = upstream.single();
    assert_eq!(
        exchange.request.target,
        format!("{W}/instances/r1/restart?restartWithNewInstanceId=false&{CODE}")
    );
    match ok("restart in place", same) {
        RestartInstanceSuccess::Accepted { body, .. } => {
            assert_eq!(body.id.as_deref(), Some("r1"))
        }
        other => panic!("expected 202, got {other:?}"),
    }

    // Restarting a running instance in place conflicts with it.
    let running_id = start(&client, "WaitForEvent", "r2", json!({})).await;
    let conflict = client
        .restart_instance(&running_id)
        .restart_with_new_instance_id(false)
        .send()
        .await;
    match error("restart a running one in place", conflict) {
        RestartInstanceError::Conflict(it) => {
            assert_message("restart conflict", 409, &it, "non-terminal instance")
        }
        other => panic!("expected 409, got {other:?}"),
    }
    upstream.forget();
}

#[tokio::test]
async fn a_failed_instance_is_200_or_500_on_request_and_can_be_rewound() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    let id = start(&client, "Fail", "f1", json!({"message": "boom"})).await;
    let failed = finished(&client, &id).await;
    assert_eq!(failed.runtime_status, Some(RuntimeStatus::Failed));

    let strict = client
        .get_instance_status(&id)
        .return_internal_server_error_on_failure(true)
        .send()
        .await;
    match error("status of a failed instance", strict) {
        GetInstanceStatusError::InternalServerError(it) => {
            assert_eq!(it.status().as_u16(), 500);
            let body = it.body().expect("the status as body");
            assert_eq!(body.runtime_status, Some(RuntimeStatus::Failed));
            assert_eq!(body.instance_id.as_deref(), Some("f1"));
        }
        other => panic!("expected 500 with the status, got {other:?}"),
    }

    ok(
        "rewind",
        client.rewind_instance(&id).reason("retry").send().await,
    );
    let done = finished(&client, &id).await;
    assert_eq!(done.runtime_status, Some(RuntimeStatus::Completed));

    // Only failed instances can be rewound (newer extension: 412 with a JSON string).
    match error(
        "rewind a completed",
        client.rewind_instance(&id).send().await,
    ) {
        RewindInstanceError::PreconditionFailed(it) => {
            assert_string("rewind a completed", 412, &it, "Failed")
        }
        other => panic!("expected 412, got {other:?}"),
    }
    upstream.forget();
}

#[tokio::test]
async fn the_old_extension_answers_rewind_with_404_410_and_500() {
    let upstream = Upstream::with(Profile::Old, Timing::default()).await;
    let client = upstream.client();
    match error("rewind missing", client.rewind_instance("x").send().await) {
        RewindInstanceError::NotFound(it) => assert_empty("rewind missing", 404, &it),
        other => panic!("expected 404, got {other:?}"),
    }
    let done = start(&client, "Echo", "o1", json!(1)).await;
    finished(&client, &done).await;
    match error(
        "rewind completed",
        client.rewind_instance(&done).send().await,
    ) {
        RewindInstanceError::Gone(it) => assert_empty("rewind completed", 410, &it),
        other => panic!("expected 410, got {other:?}"),
    }
    let busy = start(&client, "WaitForEvent", "o2", json!({})).await;
    match error("rewind running", client.rewind_instance(&busy).send().await) {
        RewindInstanceError::InternalServerError(it) => {
            assert_exception("rewind running", &it, "System.InvalidOperationException")
        }
        other => panic!("expected 500, got {other:?}"),
    }
    // The older extension purges whatever the status.
    let purged = ok("purge running", client.purge_instance(&busy).send().await);
    assert_eq!(purged.instances_deleted, Some(1));
    upstream.forget();
}

#[tokio::test]
async fn continue_as_new_is_reported_as_continued_as_new_with_202() {
    let timing = Timing {
        time_scale: 0.5,
        ..Timing::default()
    };
    let upstream = Upstream::with(Profile::New, timing).await;
    let client = upstream.client();
    let id = start(
        &client,
        "ContinueAsNew",
        "can",
        json!({"iterations": 2, "seconds": 1}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let output = loop {
        match ok("status", client.get_instance_status(&id).send().await) {
            GetInstanceStatusSuccess::Accepted { body, .. } => {
                let status = body.runtime_status.expect("a runtime status");
                if seen.last() != Some(&status) {
                    seen.push(status);
                }
            }
            GetInstanceStatusSuccess::Ok(body) => {
                assert_eq!(body.runtime_status, Some(RuntimeStatus::Completed));
                break body.output;
            }
        }
        assert!(
            Instant::now() < deadline,
            "not completed in time; statuses seen: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        seen.contains(&RuntimeStatus::ContinuedAsNew),
        "ContinuedAsNew (202) was never seen: {seen:?}"
    );
    assert_eq!(output, json!(2), "the number of iterations");
    upstream.forget();
}

#[tokio::test]
async fn list_instances_pages_follow_the_continuation_token() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    let ids = ["page-1", "page-2", "page-3", "page-4", "page-5"];
    for id in ids {
        start(&client, "Echo", id, json!(id)).await;
    }
    start(&client, "Echo", "other", json!(0)).await;
    upstream.forget();

    // One page: the next token is in the success.
    let first = ok(
        "one page",
        client
            .list_instances()
            .instance_id_prefix("page-")
            .top(2)
            .send()
            .await,
    );
    let token = first.x_ms_continuation_token.clone().expect("a token");
    assert!(!token.is_empty(), "a next page is announced");
    assert_eq!(first.body.len(), 2);
    upstream.forget();

    let mut pages = client
        .list_instances()
        .instance_id_prefix("page-")
        .show_input(true)
        .top(2)
        .pages();
    let mut sizes = Vec::new();
    let mut listed = Vec::new();
    while let Some(page) = pages.next_page().await {
        let page = ok("a page", page);
        sizes.push(page.len());
        for item in page {
            assert_eq!(item.runtime_status, Some(RuntimeStatus::Completed));
            assert_eq!(item.input, json!(item.instance_id.clone().expect("an id")));
            listed.push(item.instance_id.expect("an id"));
        }
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(listed, ids);

    let exchanges = upstream.recorder().take();
    assert_eq!(exchanges.len(), 3, "one request per page: {exchanges:#?}");
    let mut previous: Option<String> = None;
    for exchange in &exchanges {
        exchange.request.assert_key_only_in_query();
        assert_eq!(
            exchange.request.target,
            format!("{W}/instances?instanceIdPrefix=page-&showInput=true&top=2&{CODE}")
        );
        assert_eq!(
            exchange
                .request
                .header("x-ms-continuation-token")
                .map(str::to_owned),
            previous,
            "each request carries the token of the previous answer (none the first)"
        );
        previous = exchange.header("x-ms-continuation-token");
    }
    assert_eq!(
        previous.as_deref(),
        Some(""),
        "the last answer's token is empty"
    );

    let all = ok(
        "collect_all",
        client.list_instances().top(4).pages().collect_all().await,
    );
    assert_eq!(all.len(), 6);
    upstream.forget();
}

#[tokio::test]
async fn pages_and_items_are_streams_that_fetch_as_they_are_consumed() {
    use futures_util::StreamExt;

    let upstream = Upstream::start().await;
    let client = upstream.client();
    for n in 0..5 {
        let id = format!("stream-{n}");
        start(&client, "Echo", &id, json!(id)).await;
    }
    upstream.forget();
    let listing = || client.list_instances().instance_id_prefix("stream-").top(2);

    let sizes: Vec<usize> = listing()
        .pages()
        .into_stream()
        .map(|page| ok("a page", page).len())
        .collect()
        .await;
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(upstream.recorder().take().len(), 3);

    // Taking three items fetches two pages, not three.
    let first: Vec<String> = listing()
        .pages()
        .items()
        .take(3)
        .map(|item| ok("an item", item).instance_id.expect("an id"))
        .collect()
        .await;
    assert_eq!(first, ["stream-0", "stream-1", "stream-2"]);
    assert_eq!(upstream.recorder().take().len(), 2);

    // An error ends the stream after it is yielded.
    let failed: Vec<bool> = client
        .list_instances()
        .x_ms_continuation_token("not-a-token")
        .pages()
        .items()
        .map(|item| item.is_err())
        .collect()
        .await;
    assert_eq!(failed, [true]);
    upstream.forget();
}

#[tokio::test]
async fn an_unusable_continuation_token_is_500() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    let instances = client
        .list_instances()
        .x_ms_continuation_token("not-a-token")
        .send()
        .await;
    match error("list instances", instances) {
        ListInstancesError::InternalServerError(it) => {
            assert_exception("list instances", &it, "System.FormatException")
        }
        other => panic!("expected 500, got {other:?}"),
    }
    let entities = client
        .list_entities("counter")
        .x_ms_continuation_token("not-a-token")
        .send()
        .await;
    match error("list entities", entities) {
        ListEntitiesError::InternalServerError(it) => {
            assert_exception("list entities", &it, "System.FormatException")
        }
        other => panic!("expected 500, got {other:?}"),
    }
    upstream.forget();
}

#[tokio::test]
async fn entities_signal_get_and_list_with_paging() {
    let upstream = Upstream::start().await;
    let client = upstream.client();
    // Keys keep `+` and spaces through the encoding (the extension decodes the path).
    let key = "cats and dogs+1";
    ok(
        "signal",
        client
            .signal_entity("counter", key)
            .op("add")
            .body(5)
            .send()
            .await,
    );
    let exchange = upstream.single();
    assert_eq!(
        exchange.request.target,
        format!("{W}/entities/counter/cats%20and%20dogs%2B1?op=add&{CODE}")
    );
    assert_eq!(&exchange.request.body[..], b"5");
    assert_eq!(exchange.status, 202);
    ok(
        "signal",
        client
            .signal_entity("Counter", key)
            .op("ADD")
            .body(3)
            .send()
            .await,
    );
    assert_eq!(
        ok("get", client.get_entity("counter", key).send().await),
        json!(8)
    );
    ok(
        "signal store",
        client
            .signal_entity("store", "k")
            .op("set")
            .body(json!({"a": [1, null]}))
            .send()
            .await,
    );
    assert_eq!(
        ok("get store", client.get_entity("store", "k").send().await),
        json!({"a": [1, null]})
    );

    match error(
        "get missing",
        client.get_entity("counter", "none").send().await,
    ) {
        GetEntityError::NotFound(it) => assert_empty("get missing", 404, &it),
        other => panic!("expected 404, got {other:?}"),
    }
    match error(
        "signal unknown entity",
        client.signal_entity("nope", "k").op("add").send().await,
    ) {
        SignalEntityError::BadRequest(it) => {
            assert_message("signal unknown entity", 400, &it, "doesn't exist")
        }
        other => panic!("expected 400, got {other:?}"),
    }

    for other in ["b", "c"] {
        ok(
            "signal",
            client
                .signal_entity("counter", other)
                .op("reset")
                .send()
                .await,
        );
    }
    upstream.forget();
    let listed = ok(
        "list entities",
        client
            .list_entities("counter")
            .fetch_state(true)
            .top(1)
            .pages()
            .collect_all()
            .await,
    );
    let seen: Vec<(Option<String>, Option<String>, Value)> = listed
        .into_iter()
        .map(|it| {
            let id = it.entity_id.expect("an entityId");
            assert!(it.last_operation_time.is_some());
            (id.name, id.key, it.state)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Some("counter".into()), Some(key.into()), json!(8)),
            (Some("counter".into()), Some("b".into()), json!(0)),
            (Some("counter".into()), Some("c".into()), json!(0)),
        ]
    );
    let exchanges = upstream.recorder().take();
    assert_eq!(exchanges.len(), 3, "one request per entity (top=1)");
    for (n, exchange) in exchanges.iter().enumerate() {
        exchange.request.assert_key_only_in_query();
        assert_eq!(
            exchange.request.target,
            format!("{W}/entities/counter?fetchState=true&top=1&{CODE}")
        );
        assert_eq!(
            exchange.request.header("x-ms-continuation-token").is_some(),
            n > 0,
            "the token from the second page on"
        );
    }

    // Without fetchState the state is left out (null).
    let page = ok(
        "list without state",
        client.list_entities("counter").send().await,
    );
    assert_eq!(page.body.len(), 3);
    assert!(page.body.iter().all(|it| it.state.is_null()), "{page:?}");
    assert_eq!(page.x_ms_continuation_token.as_deref(), Some(""));
    upstream.forget();
}
