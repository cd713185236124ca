//! Every operation against Prism: the seed document and the bundled contract (seed + overlay).
//!
//! For each operation and each document: Prism's default answer, then every status the document
//! lists, asked for with `Prefer: code=N`. Each answer must decode into the variant of its
//! status (any other outcome fails, printing what came); documented bodies must decode, and the
//! request on the wire must be exactly the expected one each time.
//!
//! Path parameters carry `a b/c+d?e#f%g` (and the like): percent-encoded, each stays one path
//! segment, so Prism must still route the request to the operation (a `/` decoded too early
//! would make it a 404 of no route, and the default answer would not be a success).

use chrono::{DateTime, Utc};
use durable_functions_client::operations::{
    GetEntityError, GetInstanceStatusError, GetInstanceStatusSuccess, ListEntitiesError,
    ListEntitiesSuccess, ListInstancesError, ListInstancesSuccess, PurgeInstanceError,
    PurgeInstancesError, RaiseEventError, RestartInstanceError, RestartInstanceSuccess,
    ResumeInstanceError, RewindInstanceError, SignalEntityError, StartOrchestrationError,
    StartOrchestrationSuccess, StartOrchestrationWithIdError, StartOrchestrationWithIdSuccess,
    SuspendInstanceError, TerminateInstanceError,
};
use durable_functions_client::types::{
    Entity, InstanceStatus, PurgeResult, RuntimeStatus, StartResponse,
};
use serde_json::{Value, json};

use crate::harness::{CODE, Document, Exchange, Mock, W, Wire};

const FUNCTION: &str = "Hello World+v2/\u{3b2}";
const FUNCTION_ENC: &str = "Hello%20World%2Bv2%2F%CE%B2";
const ID: &str = "a b/c+d?e#f%g";
const ID_ENC: &str = "a%20b%2Fc%2Bd%3Fe%23f%25g";
const EVENT: &str = "Approval step/2";
const EVENT_ENC: &str = "Approval%20step%2F2";
const ENTITY: &str = "my counter";
const ENTITY_ENC: &str = "my%20counter";
const HUB: &str = "hub one";
const HUB_ENC: &str = "hub%20one";
const CONNECTION: &str = "conn+str&x=y";
const CONNECTION_ENC: &str = "conn%2Bstr%26x%3Dy";
const REASON: &str = "done: a&b=c d+e";
const REASON_ENC: &str = "done%3A%20a%26b%3Dc%20d%2Be";
const TOKEN: &str = "c3RhcnQ=+/ next";

fn from() -> DateTime<Utc> {
    "2024-01-02T03:04:05Z".parse().expect("a date-time")
}
const FROM_ENC: &str = "2024-01-02T03%3A04%3A05Z";

fn to() -> DateTime<Utc> {
    "2024-12-31T23:59:59.250Z".parse().expect("a date-time")
}
const TO_ENC: &str = "2024-12-31T23%3A59%3A59.250Z";

fn unexpected(document: Document, exchange: &Exchange, result: &dyn std::fmt::Debug) -> ! {
    panic!(
        "{document:?}: a {} answer ({:?}) was decoded as {result:?}",
        exchange.status,
        String::from_utf8_lossy(&exchange.body)
    )
}

/// A decoded date-time against the wire's text.
fn assert_time(what: &str, decoded: Option<DateTime<Utc>>, raw: &Value) {
    let expected = raw
        .as_str()
        .map(|it| it.parse::<DateTime<Utc>>().expect("an RFC 3339 date-time"));
    assert_eq!(decoded, expected, "{what}");
}

fn assert_start_response(what: &str, body: &StartResponse, raw: &Value) {
    assert!(
        raw.is_object(),
        "{what}: the answer is not an object: {raw}"
    );
    for (name, decoded) in [
        ("id", &body.id),
        ("statusQueryGetUri", &body.status_query_get_uri),
        ("sendEventPostUri", &body.send_event_post_uri),
        ("terminatePostUri", &body.terminate_post_uri),
        ("purgeHistoryDeleteUri", &body.purge_history_delete_uri),
        ("rewindPostUri", &body.rewind_post_uri),
        ("suspendPostUri", &body.suspend_post_uri),
        ("resumePostUri", &body.resume_post_uri),
        ("restartPostUri", &body.restart_post_uri),
    ] {
        assert_eq!(decoded.as_deref(), raw[name].as_str(), "{what}: `{name}`");
    }
    assert!(body.id.is_some(), "{what}: no `id` in {raw}");
}

fn assert_instance_status(what: &str, body: &InstanceStatus, raw: &Value) {
    assert!(
        raw.is_object(),
        "{what}: the answer is not an object: {raw}"
    );
    assert_eq!(
        body.instance_id.as_deref(),
        raw["instanceId"].as_str(),
        "{what}: `instanceId`"
    );
    assert_eq!(body.name.as_deref(), raw["name"].as_str(), "{what}: `name`");
    let status = raw["runtimeStatus"].as_str().expect("a runtimeStatus");
    assert_eq!(
        body.runtime_status,
        Some(RuntimeStatus::from(status)),
        "{what}: `runtimeStatus`"
    );
    assert!(
        !matches!(body.runtime_status, Some(RuntimeStatus::Unknown(_))),
        "{what}: the documented status `{status}` decoded as unknown"
    );
    assert_eq!(body.input, raw["input"], "{what}: `input`");
    assert_eq!(
        body.custom_status, raw["customStatus"],
        "{what}: `customStatus`"
    );
    assert_eq!(body.output, raw["output"], "{what}: `output`");
    assert_time(
        &format!("{what}: `createdTime`"),
        body.created_time,
        &raw["createdTime"],
    );
    assert_time(
        &format!("{what}: `lastUpdatedTime`"),
        body.last_updated_time,
        &raw["lastUpdatedTime"],
    );
    assert_eq!(
        body.history_events.as_ref().map(Vec::len),
        raw["historyEvents"].as_array().map(Vec::len),
        "{what}: `historyEvents`"
    );
}

fn assert_entity(what: &str, body: &Entity, raw: &Value) {
    let id = body.entity_id.as_ref().expect("an entityId");
    assert_eq!(
        id.name.as_deref(),
        raw["entityId"]["name"].as_str(),
        "{what}: name"
    );
    assert_eq!(
        id.key.as_deref(),
        raw["entityId"]["key"].as_str(),
        "{what}: key"
    );
    assert_time(
        &format!("{what}: `lastOperationTime`"),
        body.last_operation_time,
        &raw["lastOperationTime"],
    );
    assert_eq!(body.state, raw["state"], "{what}: `state`");
}

/// The `Location` and `Retry-After` of a 202, decoded from the answer's headers (present when
/// the document lists them: Prism then sends example values).
fn assert_accepted_headers(
    mock: &Mock,
    exchange: &Exchange,
    location: &Option<String>,
    retry_after: &Option<i32>,
) {
    assert_eq!(
        location,
        &exchange.header("location"),
        "{:?}: `Location`",
        mock.document
    );
    assert_eq!(
        retry_after,
        &exchange
            .header("retry-after")
            .map(|it| it.parse::<i32>().expect("an integer Retry-After")),
        "{:?}: `Retry-After`",
        mock.document
    );
    if mock.document == Document::Bundle {
        assert!(
            location.is_some() && retry_after.is_some(),
            "the bundle documents Location and Retry-After on this 202; headers {:?}",
            exchange.headers
        );
    }
}

#[tokio::test]
async fn start_orchestration_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "startOrchestration";
        let wire = Wire::new(
            "POST",
            format!(
                "{W}/orchestrators/{FUNCTION_ENC}?taskHub={HUB_ENC}&connection={CONNECTION_ENC}\
                 &timeout=2.5&pollingInterval=0.5&{CODE}"
            ),
        )
        .accept_json()
        .json(r#"{"a b":"c&d","n":1,"list":[true,null]}"#);
        let send = || {
            client
                .start_orchestration(FUNCTION)
                .task_hub(HUB)
                .connection(CONNECTION)
                .timeout(2.5)
                .polling_interval(0.5)
                .body(json!({"a b": "c&d", "n": 1, "list": [true, null]}))
                .send()
        };
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (
                202,
                Ok(StartOrchestrationSuccess::Accepted {
                    location,
                    retry_after,
                    body,
                }),
            ) => {
                assert_accepted_headers(&mock, exchange, &location, &retry_after);
                assert_start_response(op, &body, &exchange.json());
            }
            (200, Ok(StartOrchestrationSuccess::Ok(value))) => assert_eq!(value, exchange.json()),
            (400, Err(StartOrchestrationError::BadRequest(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (401, Err(StartOrchestrationError::Unauthorized(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (409, Err(StartOrchestrationError::Conflict(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (500, Err(StartOrchestrationError::InternalServerError(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn start_orchestration_with_id_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "startOrchestrationWithId";
        // No body and no optional parameter: no content type, only the key in the query.
        let wire = Wire::new(
            "POST",
            format!("{W}/orchestrators/{FUNCTION_ENC}/{ID_ENC}?{CODE}"),
        )
        .accept_json();
        let send = || client.start_orchestration_with_id(FUNCTION, ID).send();
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (
                202,
                Ok(StartOrchestrationWithIdSuccess::Accepted {
                    location,
                    retry_after,
                    body,
                }),
            ) => {
                assert_accepted_headers(&mock, exchange, &location, &retry_after);
                assert_start_response(op, &body, &exchange.json());
            }
            (200, Ok(StartOrchestrationWithIdSuccess::Ok(value))) => {
                assert_eq!(value, exchange.json())
            }
            (400, Err(StartOrchestrationWithIdError::BadRequest(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (401, Err(StartOrchestrationWithIdError::Unauthorized(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (409, Err(StartOrchestrationWithIdError::Conflict(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (500, Err(StartOrchestrationWithIdError::InternalServerError(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn list_instances_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "listInstances";
        // Date-times in RFC 3339 (`:` encoded), the status list comma-separated (form,
        // explode=false), booleans as `false`, the continuation token in a header.
        let wire = Wire::new(
            "GET",
            format!(
                "{W}/instances?taskHub={HUB_ENC}&connection={CONNECTION_ENC}\
                 &createdTimeFrom={FROM_ENC}&createdTimeTo={TO_ENC}\
                 &runtimeStatus=Running,Completed,ContinuedAsNew&instanceIdPrefix=a%20b%2Bc\
                 &showInput=false&top=7&{CODE}"
            ),
        )
        .accept_json()
        .header("x-ms-continuation-token", TOKEN);
        let send = || {
            client
                .list_instances()
                .task_hub(HUB)
                .connection(CONNECTION)
                .created_time_from(from())
                .created_time_to(to())
                .runtime_status(vec![
                    RuntimeStatus::Running,
                    RuntimeStatus::Completed,
                    RuntimeStatus::ContinuedAsNew,
                ])
                .instance_id_prefix("a b+c")
                .show_input(false)
                .top(7)
                .x_ms_continuation_token(TOKEN)
                .send()
        };
        let check = |exchange: &Exchange,
                     result: Result<ListInstancesSuccess, ListInstancesError>| {
            match (exchange.status, result) {
                (200, Ok(page)) => {
                    let raw = exchange.json();
                    let items = raw.as_array().expect("an array");
                    assert_eq!(page.body.len(), items.len(), "{document:?}: the page size");
                    assert!(!items.is_empty(), "{document:?}: Prism's example is empty");
                    for (item, raw) in page.body.iter().zip(items) {
                        assert_instance_status(op, item, raw);
                    }
                    assert_eq!(
                        page.x_ms_continuation_token,
                        exchange.header("x-ms-continuation-token"),
                        "{document:?}: the continuation token"
                    );
                    if document == Document::Bundle {
                        assert!(page.x_ms_continuation_token.is_some(), "documented header");
                    }
                }
                (401, Err(ListInstancesError::Unauthorized(it))) => {
                    mock.check_error(op, exchange, &it)
                }
                (500, Err(ListInstancesError::InternalServerError(it))) => {
                    mock.check_error(op, exchange, &it)
                }
                (_, result) => unexpected(document, exchange, &result),
            }
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn purge_instances_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "purgeInstances";
        let wire = Wire::new(
            "DELETE",
            format!(
                "{W}/instances?connection={CONNECTION_ENC}&createdTimeFrom={FROM_ENC}\
                 &createdTimeTo={TO_ENC}&runtimeStatus=Completed,Failed,Terminated&{CODE}"
            ),
        )
        .accept_json();
        let send = || {
            client
                .purge_instances(from())
                .connection(CONNECTION)
                .created_time_to(to())
                .runtime_status(vec![
                    RuntimeStatus::Completed,
                    RuntimeStatus::Failed,
                    RuntimeStatus::Terminated,
                ])
                .send()
        };
        let check = |exchange: &Exchange, result: Result<PurgeResult, PurgeInstancesError>| match (
            exchange.status,
            result,
        ) {
            (200, Ok(purged)) => assert_eq!(
                purged.instances_deleted,
                exchange.json()["instancesDeleted"].as_i64(),
                "{document:?}: `instancesDeleted`"
            ),
            (400, Err(PurgeInstancesError::BadRequest(it))) => mock.check_error(op, exchange, &it),
            (401, Err(PurgeInstancesError::Unauthorized(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (404, Err(PurgeInstancesError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn get_instance_status_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "getInstanceStatus";
        let wire = Wire::new(
            "GET",
            format!(
                "{W}/instances/{ID_ENC}?taskHub={HUB_ENC}&showHistory=true\
                 &showHistoryOutput=false&showInput=true&returnInternalServerErrorOnFailure=false\
                 &{CODE}"
            ),
        )
        .accept_json();
        let send = || {
            client
                .get_instance_status(ID)
                .task_hub(HUB)
                .show_history(true)
                .show_history_output(false)
                .show_input(true)
                .return_internal_server_error_on_failure(false)
                .send()
        };
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (200, Ok(GetInstanceStatusSuccess::Ok(body))) => {
                assert_instance_status(op, &body, &exchange.json())
            }
            (
                202,
                Ok(GetInstanceStatusSuccess::Accepted {
                    location,
                    retry_after,
                    body,
                }),
            ) => {
                assert_accepted_headers(&mock, exchange, &location, &retry_after);
                assert_instance_status(op, &body, &exchange.json());
            }
            (401, Err(GetInstanceStatusError::Unauthorized(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (404, Err(GetInstanceStatusError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (500, Err(GetInstanceStatusError::InternalServerError(it))) => {
                mock.check_error(op, exchange, &it);
                // The documented 500 body is the instance's status.
                let body = it.body().expect("the status of a failed instance");
                assert_instance_status(op, body, &exchange.json());
            }
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn purge_instance_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "purgeInstance";
        let wire = Wire::new(
            "DELETE",
            format!("{W}/instances/{ID_ENC}?taskHub={HUB_ENC}&{CODE}"),
        )
        .accept_json();
        let send = || client.purge_instance(ID).task_hub(HUB).send();
        let check = |exchange: &Exchange, result: Result<PurgeResult, PurgeInstanceError>| match (
            exchange.status,
            result,
        ) {
            (200, Ok(purged)) => assert_eq!(
                purged.instances_deleted,
                exchange.json()["instancesDeleted"].as_i64(),
                "{document:?}: `instancesDeleted`"
            ),
            (400, Err(PurgeInstanceError::BadRequest(it))) => mock.check_error(op, exchange, &it),
            (401, Err(PurgeInstanceError::Unauthorized(it))) => mock.check_error(op, exchange, &it),
            (404, Err(PurgeInstanceError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (412, Err(PurgeInstanceError::PreconditionFailed(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn raise_event_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "raiseEvent";
        let wire = Wire::new(
            "POST",
            format!(
                "{W}/instances/{ID_ENC}/raiseEvent/{EVENT_ENC}?connection={CONNECTION_ENC}&{CODE}"
            ),
        )
        .json(r#"{"approved":true,"by":"a&b"}"#);
        let send = || {
            client
                .raise_event(ID, EVENT, json!({"approved": true, "by": "a&b"}))
                .connection(CONNECTION)
                .send()
        };
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (202, Ok(())) => {}
            (400, Err(RaiseEventError::BadRequest(it))) => mock.check_error(op, exchange, &it),
            (401, Err(RaiseEventError::Unauthorized(it))) => mock.check_error(op, exchange, &it),
            (404, Err(RaiseEventError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (410, Err(RaiseEventError::Gone(it))) => mock.check_error(op, exchange, &it),
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn terminate_instance_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "terminateInstance";
        let wire = Wire::new(
            "POST",
            format!("{W}/instances/{ID_ENC}/terminate?reason={REASON_ENC}&{CODE}"),
        );
        let send = || client.terminate_instance(ID).reason(REASON).send();
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (202, Ok(())) => {}
            (401, Err(TerminateInstanceError::Unauthorized(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (404, Err(TerminateInstanceError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (410, Err(TerminateInstanceError::Gone(it))) => mock.check_error(op, exchange, &it),
            (500, Err(TerminateInstanceError::InternalServerError(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn suspend_instance_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "suspendInstance";
        let wire = Wire::new(
            "POST",
            format!("{W}/instances/{ID_ENC}/suspend?reason={REASON_ENC}&taskHub={HUB_ENC}&{CODE}"),
        );
        let send = || {
            client
                .suspend_instance(ID)
                .reason(REASON)
                .task_hub(HUB)
                .send()
        };
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (202, Ok(())) => {}
            (401, Err(SuspendInstanceError::Unauthorized(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (404, Err(SuspendInstanceError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (410, Err(SuspendInstanceError::Gone(it))) => mock.check_error(op, exchange, &it),
            (500, Err(SuspendInstanceError::InternalServerError(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn resume_instance_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "resumeInstance";
        // Without a reason: no `reason` key at all.
        let wire = Wire::new(
            "POST",
            format!("{W}/instances/{ID_ENC}/resume?connection={CONNECTION_ENC}&{CODE}"),
        );
        let send = || client.resume_instance(ID).connection(CONNECTION).send();
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (202, Ok(())) => {}
            (401, Err(ResumeInstanceError::Unauthorized(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (404, Err(ResumeInstanceError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (410, Err(ResumeInstanceError::Gone(it))) => mock.check_error(op, exchange, &it),
            (500, Err(ResumeInstanceError::InternalServerError(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn rewind_instance_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "rewindInstance";
        let wire = Wire::new(
            "POST",
            format!("{W}/instances/{ID_ENC}/rewind?reason={REASON_ENC}&{CODE}"),
        );
        let send = || client.rewind_instance(ID).reason(REASON).send();
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (202, Ok(())) => {}
            (401, Err(RewindInstanceError::Unauthorized(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (404, Err(RewindInstanceError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (410, Err(RewindInstanceError::Gone(it))) => mock.check_error(op, exchange, &it),
            (412, Err(RewindInstanceError::PreconditionFailed(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (500, Err(RewindInstanceError::InternalServerError(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (501, Err(RewindInstanceError::NotImplemented(it))) => {
                mock.check_error(op, exchange, &it)
            }
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn get_entity_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "getEntity";
        let wire = Wire::new(
            "GET",
            format!("{W}/entities/{ENTITY_ENC}/{ID_ENC}?taskHub={HUB_ENC}&{CODE}"),
        )
        .accept_json();
        let send = || client.get_entity(ENTITY, ID).task_hub(HUB).send();
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (200, Ok(state)) => assert_eq!(state, exchange.json(), "{document:?}: the state"),
            (401, Err(GetEntityError::Unauthorized(it))) => mock.check_error(op, exchange, &it),
            (404, Err(GetEntityError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn signal_entity_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "signalEntity";
        let wire = Wire::new(
            "POST",
            format!("{W}/entities/{ENTITY_ENC}/{ID_ENC}?op=add%20one&{CODE}"),
        )
        .json("5");
        let send = || {
            client
                .signal_entity(ENTITY, ID)
                .op("add one")
                .body(5)
                .send()
        };
        let check = |exchange: &Exchange, result| match (exchange.status, result) {
            (202, Ok(())) => {}
            (400, Err(SignalEntityError::BadRequest(it))) => mock.check_error(op, exchange, &it),
            (401, Err(SignalEntityError::Unauthorized(it))) => mock.check_error(op, exchange, &it),
            (404, Err(SignalEntityError::NotFound(it))) => mock.check_error(op, exchange, &it),
            (_, result) => unexpected(document, exchange, &result),
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

#[tokio::test]
async fn list_entities_every_documented_status() {
    for document in Document::BOTH {
        let mock = Mock::start(document).await;
        let client = mock.client();
        let op = "listEntities";
        let wire = Wire::new(
            "GET",
            format!(
                "{W}/entities/{ENTITY_ENC}?lastOperationTimeFrom={FROM_ENC}\
                 &lastOperationTimeTo={TO_ENC}&fetchState=true&top=3&{CODE}"
            ),
        )
        .accept_json()
        .header("x-ms-continuation-token", TOKEN);
        let send = || {
            client
                .list_entities(ENTITY)
                .last_operation_time_from(from())
                .last_operation_time_to(to())
                .fetch_state(true)
                .top(3)
                .x_ms_continuation_token(TOKEN)
                .send()
        };
        let check = |exchange: &Exchange,
                     result: Result<ListEntitiesSuccess, ListEntitiesError>| {
            match (exchange.status, result) {
                (200, Ok(page)) => {
                    let raw = exchange.json();
                    let items = raw.as_array().expect("an array");
                    assert_eq!(page.body.len(), items.len(), "{document:?}: the page size");
                    assert!(!items.is_empty(), "{document:?}: Prism's example is empty");
                    for (item, raw) in page.body.iter().zip(items) {
                        assert_entity(op, item, raw);
                    }
                    assert_eq!(
                        page.x_ms_continuation_token,
                        exchange.header("x-ms-continuation-token"),
                        "{document:?}: the continuation token"
                    );
                }
                (401, Err(ListEntitiesError::Unauthorized(it))) => {
                    mock.check_error(op, exchange, &it)
                }
                (500, Err(ListEntitiesError::InternalServerError(it))) => {
                    mock.check_error(op, exchange, &it)
                }
                (_, result) => unexpected(document, exchange, &result),
            }
        };
        mock.each_status(op, &wire, send, check).await;
    }
}

fn restart_wire() -> Wire {
    Wire::new(
        "POST",
        format!(
            "{W}/instances/{ID_ENC}/restart?restartWithNewInstanceId=false&timeout=2.5\
             &pollingInterval=0.5&{CODE}"
        ),
    )
    .accept_json()
}

/// Restart exists only in the overlay, so only the bundle's Prism knows it.
#[tokio::test]
async fn restart_instance_every_documented_status() {
    let mock = Mock::start(Document::Bundle).await;
    let client = mock.client();
    let op = "restartInstance";
    let send = || {
        client
            .restart_instance(ID)
            .restart_with_new_instance_id(false)
            .timeout(2.5)
            .polling_interval(0.5)
            .send()
    };
    let check = |exchange: &Exchange, result| match (exchange.status, result) {
        (
            202,
            Ok(RestartInstanceSuccess::Accepted {
                location,
                retry_after,
                body,
            }),
        ) => {
            assert_accepted_headers(&mock, exchange, &location, &retry_after);
            assert_start_response(op, &body, &exchange.json());
        }
        (200, Ok(RestartInstanceSuccess::Ok(value))) => assert_eq!(value, exchange.json()),
        (400, Err(RestartInstanceError::BadRequest(it))) => mock.check_error(op, exchange, &it),
        (401, Err(RestartInstanceError::Unauthorized(it))) => mock.check_error(op, exchange, &it),
        (409, Err(RestartInstanceError::Conflict(it))) => mock.check_error(op, exchange, &it),
        (500, Err(RestartInstanceError::InternalServerError(it))) => {
            mock.check_error(op, exchange, &it)
        }
        (_, result) => unexpected(Document::Bundle, exchange, &result),
    };
    mock.each_status(op, &restart_wire(), send, check).await;
}

/// The seed's Prism has no restart route: its 404 is a status restart does not document, so it
/// comes as `UnexpectedStatus` with the answer kept as received.
#[tokio::test]
async fn restart_against_the_seed_is_an_unexpected_status() {
    let mock = Mock::start(Document::Seed).await;
    let client = mock.client();
    let result = client
        .restart_instance(ID)
        .restart_with_new_instance_id(false)
        .timeout(2.5)
        .polling_interval(0.5)
        .send()
        .await;
    let exchange = mock.recorder().single();
    restart_wire().assert(&exchange.request);
    match &result {
        Err(RestartInstanceError::UnexpectedStatus(raw)) => {
            assert_eq!(raw.status().as_u16(), 404);
            assert_eq!(exchange.status, 404);
            assert_eq!(raw.body(), &exchange.body, "the raw body is kept");
            assert!(
                raw.message().is_some(),
                "Prism's problem document has a message: {raw:?}"
            );
        }
        other => panic!("expected UnexpectedStatus(404), got {other:?}"),
    }
    crate::harness::assert_error_hides_key(&result.expect_err("an error"));
}
