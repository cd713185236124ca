//! Request routing and the 14 operations.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, LOCATION, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::model::{
    Builtin, ENTITY_NAMES, Entity, Instance, RuntimeStatus, ToggleError, apply_entity_operation,
    known_list, missing_function_message, parse_status_filter,
};
use crate::query::{Query, url_decode, url_encode};
use crate::timefmt::{format_seconds, format_ticks, parse_datetime};
use crate::{Profile, Shared, WEBHOOK_PATH};

const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
const CONTINUATION: HeaderName = HeaderName::from_static("x-ms-continuation-token");
const FUNCTIONS_KEY: &str = "x-functions-key";
const MAX_BODY: usize = 16 * 1024 * 1024;
const DEFAULT_PAGE_SIZE: usize = 100;
const ARGUMENTS_INCORRECT: &str = "One or more of the arguments submitted is incorrect";
const SOMETHING_WRONG: &str = "Something went wrong while processing your request";
const RESTART_NOT_FOUND: &str = "InstanceId does not match a valid orchestration instance.";
const ARGUMENT_EXCEPTION: &str = "System.ArgumentException";
const INVALID_OPERATION: &str = "System.InvalidOperationException";
const JSON_READER_EXCEPTION: &str = "Newtonsoft.Json.JsonReaderException";

// ---------------------------------------------------------------------------
// Response helpers: the three error body shapes plus JSON and empty bodies.

fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"null".to_vec());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

/// `CreateErrorResponse(code, msg)`: `{"Message": ...}`.
fn message(status: StatusCode, text: &str) -> Response {
    json_response(status, &json!({ "Message": text }))
}

/// `CreateErrorResponse(code, msg, ex)`: the four-key PascalCase object.
fn exception(
    status: StatusCode,
    text: &str,
    exception_message: &str,
    exception_type: &str,
) -> Response {
    json_response(
        status,
        &json!({
            "Message": text,
            "ExceptionMessage": exception_message,
            "ExceptionType": exception_type,
            "StackTrace": "   at Microsoft.Azure.WebJobs.Extensions.DurableTask.HttpApiHandler.HandleRequestAsync(HttpRequestMessage request, CancellationToken cancellationToken) (durable-functions-fake)",
        }),
    )
}

/// `CreateResponse(code, "text")`: a bare JSON string.
fn bare_string(status: StatusCode, text: &str) -> Response {
    json_response(status, &Value::String(text.to_string()))
}

/// The router's global `catch (Exception)`: 500 with the exception shape.
fn internal_error(exception_message: &str, exception_type: &str) -> Response {
    exception(
        StatusCode::INTERNAL_SERVER_ERROR,
        SOMETHING_WRONG,
        exception_message,
        exception_type,
    )
}

fn set_header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn new_instance_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

// ---------------------------------------------------------------------------
// Request context.

struct Ctx {
    shared: Arc<Shared>,
    method: Method,
    headers: HeaderMap,
    query: Query,
    body: Bytes,
    /// `scheme://authority` for generated links.
    origin: String,
    /// The absolute request URI (for the status 202 `Location`).
    request_uri: String,
    /// The effective task hub and connection names.
    hub: String,
    connection: String,
}

impl Ctx {
    fn profile(&self) -> Profile {
        self.shared.config.profile
    }

    /// The media type of the request's `Content-Type`, lower-cased.
    fn media_type(&self) -> Option<String> {
        let value = self.headers.get(CONTENT_TYPE)?.to_str().ok()?;
        let media = value.split(';').next().unwrap_or("").trim();
        Some(media.to_ascii_lowercase())
    }

    fn is_json_content(&self) -> bool {
        self.media_type().as_deref() == Some("application/json")
    }

    /// The links of the check-status response for `id`.
    fn links(&self, id: &str) -> Links {
        let base = format!("{}{WEBHOOK_PATH}/instances/{}", self.origin, url_encode(id));
        let mut query = format!(
            "taskHub={}&connection={}",
            url_encode(&self.hub),
            url_encode(&self.connection)
        );
        if let Some(key) = &self.shared.config.key {
            query.push_str("&code=");
            query.push_str(&url_encode(key));
        }
        Links {
            id: id.to_string(),
            status: format!("{base}?{query}"),
            send_event: format!("{base}/raiseEvent/{{eventName}}?{query}"),
            terminate: format!("{base}/terminate?reason={{text}}&{query}"),
            purge: format!("{base}?{query}"),
            restart: format!("{base}/restart?{query}"),
            suspend: format!("{base}/suspend?reason={{text}}&{query}"),
            resume: format!("{base}/resume?reason={{text}}&{query}"),
        }
    }
}

struct Links {
    id: String,
    status: String,
    send_event: String,
    terminate: String,
    purge: String,
    restart: String,
    suspend: String,
    resume: String,
}

/// Which handler asked for a synchronous wait: their `ArgumentException`s
/// are reported differently.
#[derive(Clone, Copy)]
enum Caller {
    Start,
    Restart,
}

// ---------------------------------------------------------------------------
// Entry point and routing.

/// The single axum handler: host-level checks, then the extension's router.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let raw_path = parts.uri.path().to_string();
    let method = parts.method.clone();
    let response = handle_inner(shared, parts, body, &raw_path).await;
    tracing::debug!(%method, path = %raw_path, status = %response.status(), "request");
    response
}

async fn handle_inner(
    shared: Arc<Shared>,
    parts: axum::http::request::Parts,
    body: Body,
    raw_path: &str,
) -> Response {
    // Host-level routing: only the durabletask webhook (any case) exists.
    let Some(rest) = strip_webhook_prefix(raw_path) else {
        return empty(StatusCode::NOT_FOUND);
    };
    if !matches!(parts.method, Method::GET | Method::POST | Method::DELETE) {
        return empty(StatusCode::NOT_FOUND);
    }
    let query = Query::parse(parts.uri.query().unwrap_or(""));
    // Host-level authorization.
    if let Some(key) = &shared.config.key {
        let header_ok = parts
            .headers
            .get(FUNCTIONS_KEY)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value == key);
        let query_ok = query.values("code").iter().any(|value| value == key);
        if !header_ok && !query_ok {
            return empty(StatusCode::UNAUTHORIZED);
        }
    }
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return empty(StatusCode::PAYLOAD_TOO_LARGE),
    };
    let host = parts
        .headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_string());
    let mut origin = format!("http://{host}");
    if shared.config.use_forwarded_host {
        let forwarded = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(',').next())
                .map(|value| value.trim().to_string())
        };
        if let (Some(fwd_host), Some(proto)) = (
            forwarded("x-forwarded-host"),
            forwarded("x-forwarded-proto"),
        ) {
            origin = format!("{proto}://{fwd_host}");
        }
    }
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| raw_path.to_string());
    let request_uri = format!("http://{host}{path_and_query}");
    let hub = query
        .get_non_blank("taskHub")
        .unwrap_or_else(|| shared.config.task_hub.clone());
    let connection = query
        .get_non_blank("connection")
        .unwrap_or_else(|| shared.config.connection.clone());
    // The new extension URL-decodes the whole path before routing; the old
    // one routes the path as sent.
    let path = match shared.config.profile {
        Profile::New => url_decode(rest),
        Profile::Old => rest.to_string(),
    };
    let ctx = Ctx {
        shared,
        method: parts.method,
        headers: parts.headers,
        query,
        body,
        origin,
        request_uri,
        hub,
        connection,
    };
    route(&ctx, &path).await
}

/// The part of the path after `/runtime/webhooks/durabletask` (matched
/// case-insensitively), or `None` for any other path.
fn strip_webhook_prefix(path: &str) -> Option<&str> {
    let prefix = path.get(..WEBHOOK_PATH.len())?;
    if !prefix.eq_ignore_ascii_case(WEBHOOK_PATH) {
        return None;
    }
    let rest = &path[WEBHOOK_PATH.len()..];
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

async fn route(ctx: &Ctx, path: &str) -> Response {
    let trimmed = path.trim_matches('/');
    let segments: Vec<&str> = if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    };
    if segments.is_empty() || segments.iter().any(|segment| segment.is_empty()) {
        return empty(StatusCode::NOT_FOUND);
    }
    let first = segments[0];
    let method = &ctx.method;
    if first.eq_ignore_ascii_case("orchestrators") && (2..=3).contains(&segments.len()) {
        return if *method == Method::POST {
            start(ctx, segments[1], segments.get(2).copied()).await
        } else {
            empty(StatusCode::NOT_FOUND)
        };
    }
    if first.eq_ignore_ascii_case("entities") && segments.len() <= 3 {
        let name = segments.get(1).copied();
        let key = segments.get(2).copied().unwrap_or("");
        return match *method {
            Method::GET if !key.is_empty() => get_entity(ctx, name.unwrap_or(""), key),
            Method::GET => list_entities(ctx, name),
            Method::POST | Method::DELETE => signal_entity(ctx, name.unwrap_or(""), key),
            _ => empty(StatusCode::NOT_FOUND),
        };
    }
    if first.eq_ignore_ascii_case("instances") && segments.len() <= 3 {
        match (segments.len(), method) {
            (1, &Method::GET) => return list_instances(ctx),
            (1, &Method::DELETE) => return purge_many(ctx),
            (2, &Method::GET) => return get_status(ctx, segments[1], None),
            (2, &Method::DELETE) => return purge_one(ctx, segments[1]),
            (3, &Method::POST) => {
                let id = segments[1];
                let operation = segments[2];
                if operation.eq_ignore_ascii_case("terminate") {
                    return terminate(ctx, id);
                } else if operation.eq_ignore_ascii_case("rewind") {
                    return rewind(ctx, id);
                } else if operation.eq_ignore_ascii_case("restart") {
                    return restart(ctx, id).await;
                } else if operation.eq_ignore_ascii_case("suspend") {
                    return suspend(ctx, id);
                } else if operation.eq_ignore_ascii_case("resume") {
                    return resume(ctx, id);
                }
                // An unknown operation falls through to the remaining routes.
            }
            _ => return empty(StatusCode::NOT_FOUND),
        }
    }
    if first.eq_ignore_ascii_case("instances")
        && segments.len() == 4
        && segments[2].eq_ignore_ascii_case("raiseEvent")
    {
        return if *method == Method::POST {
            raise_event(ctx, segments[1], segments[3])
        } else {
            empty(StatusCode::NOT_FOUND)
        };
    }
    empty(StatusCode::NOT_FOUND)
}

// ---------------------------------------------------------------------------
// Orchestrations.

fn status_payload(instance: &Instance, show_input: bool, history: Option<Vec<Value>>) -> Value {
    let mut map = Map::new();
    map.insert("name".into(), Value::String(instance.name.clone()));
    map.insert("instanceId".into(), Value::String(instance.id.clone()));
    map.insert(
        "runtimeStatus".into(),
        Value::String(instance.status().name().into()),
    );
    map.insert(
        "input".into(),
        if show_input {
            instance.input.clone()
        } else {
            Value::Null
        },
    );
    map.insert("customStatus".into(), instance.custom_status.clone());
    map.insert("output".into(), instance.output.clone());
    map.insert(
        "createdTime".into(),
        Value::String(format_seconds(instance.created)),
    );
    map.insert(
        "lastUpdatedTime".into(),
        Value::String(format_seconds(instance.last_updated)),
    );
    if let Some(history) = history {
        map.insert("historyEvents".into(), Value::Array(history));
    }
    Value::Object(map)
}

/// Instance ids the old start path (`DurableClient.StartNewAsync`) rejects.
fn invalid_instance_id(id: &str) -> Option<&'static str> {
    if id.chars().count() > 256 {
        Some("Instance ID lengths must not exceed 256 characters.")
    } else if id.starts_with('@') {
        Some("Orchestration instance ids must not start with @.")
    } else if id
        .chars()
        .any(|c| matches!(c, '/' | '\\' | '#' | '?') || c.is_control())
    {
        Some("Orchestration instance ids must not contain /, \\, #, ?, or control characters.")
    } else {
        None
    }
}

fn already_exists_message(status: RuntimeStatus) -> String {
    format!(
        "An Orchestration instance with the status {} already exists.",
        status.name()
    )
}

/// `POST /orchestrators/{functionName}[/{instanceId}]`.
async fn start(ctx: &Ctx, function_name: &str, instance_id: Option<&str>) -> Response {
    let profile = ctx.profile();
    let input = if ctx.body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice::<Value>(&ctx.body) {
            Ok(value) => value,
            Err(error) => {
                return exception(
                    StatusCode::BAD_REQUEST,
                    "Invalid JSON content",
                    &error.to_string(),
                    JSON_READER_EXCEPTION,
                );
            }
        }
    };
    let builtin = Builtin::lookup(function_name);
    let explicit_id = instance_id.filter(|id| !id.is_empty());
    let id = explicit_id.map_or_else(new_instance_id, str::to_string);
    let at = now();
    {
        let mut store = ctx.shared.lock();
        let seq = store.next_seq();
        let hub = store.hub(&ctx.hub);
        if profile == Profile::Old {
            if builtin.is_none() {
                return exception(
                    StatusCode::BAD_REQUEST,
                    ARGUMENTS_INCORRECT,
                    &missing_function_message(function_name),
                    ARGUMENT_EXCEPTION,
                );
            }
            if let Some(problem) = explicit_id.and_then(invalid_instance_id) {
                return exception(
                    StatusCode::BAD_REQUEST,
                    ARGUMENTS_INCORRECT,
                    problem,
                    ARGUMENT_EXCEPTION,
                );
            }
        }
        if let Some(existing) = hub.instance(&id, at) {
            let status = existing.status();
            if status.blocks_start() {
                let text = already_exists_message(status);
                return match profile {
                    Profile::New => message(StatusCode::CONFLICT, &text),
                    Profile::Old => internal_error(&text, INVALID_OPERATION),
                };
            }
        }
        let timing = ctx.shared.config.timing;
        let instance = Instance::start(
            seq,
            id.clone(),
            function_name.to_string(),
            input,
            builtin,
            timing,
            at,
        );
        hub.instances.insert(id.clone(), instance);
    }
    wait_or_check_status(ctx, &id, Caller::Start).await
}

/// The 202 check-status response (start, restart, sync-wait timeout).
fn check_status_response(ctx: &Ctx, id: &str) -> Response {
    let links = ctx.links(id);
    let mut body = Map::new();
    body.insert("id".into(), Value::String(links.id.clone()));
    body.insert(
        "statusQueryGetUri".into(),
        Value::String(links.status.clone()),
    );
    body.insert("sendEventPostUri".into(), Value::String(links.send_event));
    body.insert("terminatePostUri".into(), Value::String(links.terminate));
    body.insert("purgeHistoryDeleteUri".into(), Value::String(links.purge));
    body.insert("restartPostUri".into(), Value::String(links.restart));
    body.insert("suspendPostUri".into(), Value::String(links.suspend));
    body.insert("resumePostUri".into(), Value::String(links.resume));
    let mut response = json_response(StatusCode::ACCEPTED, &Value::Object(body));
    set_header(&mut response, LOCATION, &links.status);
    set_header(&mut response, RETRY_AFTER, "10");
    response
}

/// Seconds as a `Duration`, clamped to `[0, 1 day]`.
fn seconds(value: f64) -> Duration {
    Duration::from_secs_f64(value.clamp(0.0, 86_400.0))
}

/// With `timeout` and `pollingInterval`: wait for a terminal status
/// (Completed → 200 with the raw output; Failed/Terminated/Canceled → the
/// status response; otherwise the check-status 202). Without: 202.
async fn wait_or_check_status(ctx: &Ctx, id: &str, caller: Caller) -> Response {
    let (Some(timeout), Some(interval)) = (
        ctx.query.get_f64("timeout"),
        ctx.query.get_f64("pollingInterval"),
    ) else {
        return check_status_response(ctx, id);
    };
    if interval > timeout {
        let text =
            format!("Total timeout {timeout} should be bigger than retry timeout {interval}");
        return match (caller, ctx.profile()) {
            (Caller::Start, Profile::New) => message(StatusCode::BAD_REQUEST, &text),
            (Caller::Start, Profile::Old) => exception(
                StatusCode::BAD_REQUEST,
                ARGUMENTS_INCORRECT,
                &text,
                ARGUMENT_EXCEPTION,
            ),
            (Caller::Restart, _) => exception(
                StatusCode::BAD_REQUEST,
                RESTART_NOT_FOUND,
                &text,
                ARGUMENT_EXCEPTION,
            ),
        };
    }
    let timeout = seconds(timeout);
    let interval = seconds(interval).max(Duration::from_millis(5));
    let started = Instant::now();
    let outcome = loop {
        let snapshot = {
            let mut store = ctx.shared.lock();
            store
                .hub(&ctx.hub)
                .instance(id, now())
                .map(|instance| (instance.status(), instance.output.clone()))
        };
        if let Some((status, output)) = snapshot
            && status.is_terminal()
        {
            break Some((status, output));
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            break None;
        }
        tokio::time::sleep(interval.min(timeout - elapsed)).await;
    };
    match outcome {
        Some((RuntimeStatus::Completed, output)) => json_response(StatusCode::OK, &output),
        Some(_) => get_status(ctx, id, Some(false)),
        None => check_status_response(ctx, id),
    }
}

/// `GET /instances/{id}`.
fn get_status(ctx: &Ctx, id: &str, error_on_failure: Option<bool>) -> Response {
    let query = &ctx.query;
    let show_history = query.get_bool("showHistory").unwrap_or(false);
    let show_history_output = query.get_bool("showHistoryOutput").unwrap_or(false);
    let show_input = query.get_bool("showInput").unwrap_or(true);
    let error_on_failure = error_on_failure.unwrap_or_else(|| {
        query
            .get_bool("returnInternalServerErrorOnFailure")
            .unwrap_or(false)
    });
    let mut store = ctx.shared.lock();
    let Some(instance) = store.hub(&ctx.hub).instance(id, now()) else {
        return empty(StatusCode::NOT_FOUND);
    };
    let history = if show_history {
        instance.history(show_input, show_history_output)
    } else {
        None
    };
    let body = status_payload(instance, show_input, history);
    let code = match instance.status() {
        RuntimeStatus::Running
        | RuntimeStatus::Pending
        | RuntimeStatus::ContinuedAsNew
        | RuntimeStatus::Suspended => StatusCode::ACCEPTED,
        RuntimeStatus::Failed if error_on_failure => StatusCode::INTERNAL_SERVER_ERROR,
        RuntimeStatus::Failed
        | RuntimeStatus::Canceled
        | RuntimeStatus::Terminated
        | RuntimeStatus::Completed => StatusCode::OK,
    };
    drop(store);
    let mut response = json_response(code, &body);
    if code == StatusCode::ACCEPTED {
        set_header(&mut response, LOCATION, &ctx.request_uri);
        set_header(&mut response, RETRY_AFTER, "5");
    }
    response
}

/// Continuation tokens are opaque to clients; here they carry the sequence
/// number of the last item returned.
fn encode_token(seq: u64) -> String {
    format!("fake-{seq:016x}")
}

enum Token {
    Start,
    After(u64),
    Invalid,
}

fn read_token(headers: &HeaderMap) -> Token {
    let Some(value) = headers.get(&CONTINUATION) else {
        return Token::Start;
    };
    let Ok(text) = value.to_str() else {
        return Token::Invalid;
    };
    let text = text.trim();
    // An empty token, and the legacy base64 "null", mean "from the start".
    if text.is_empty() || text == "bnVsbA==" {
        return Token::Start;
    }
    match text
        .strip_prefix("fake-")
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
    {
        Some(seq) => Token::After(seq),
        None => Token::Invalid,
    }
}

fn invalid_token() -> Response {
    internal_error(
        "The continuation token is not valid for this fake server.",
        "System.FormatException",
    )
}

fn page_size(query: &Query) -> usize {
    match query.get_i32("top") {
        Some(top) if top > 0 => usize::try_from(top).unwrap_or(DEFAULT_PAGE_SIZE),
        _ => DEFAULT_PAGE_SIZE,
    }
}

/// Cuts one page out of `items` (sorted by sequence number) and returns the
/// page with the next token ("" at the end).
fn paginate<T>(items: Vec<(u64, T)>, token: &Token, top: usize) -> (Vec<T>, String) {
    let after = match token {
        Token::After(seq) => *seq,
        _ => 0,
    };
    let mut remaining = items.into_iter().filter(|(seq, _)| *seq > after).peekable();
    let mut page = Vec::new();
    let mut last = after;
    while page.len() < top {
        match remaining.next() {
            Some((seq, item)) => {
                last = seq;
                page.push(item);
            }
            None => break,
        }
    }
    let next = if remaining.peek().is_some() {
        encode_token(last)
    } else {
        String::new()
    };
    (page, next)
}

fn with_continuation(mut response: Response, token: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(token) {
        response.headers_mut().insert(CONTINUATION, value);
    }
    response
}

/// `GET /instances`.
fn list_instances(ctx: &Ctx) -> Response {
    let query = &ctx.query;
    let prefix = query.get("instanceIdPrefix");
    let from = query
        .get("createdTimeFrom")
        .and_then(|v| parse_datetime(&v));
    let to = query.get("createdTimeTo").and_then(|v| parse_datetime(&v));
    let statuses = parse_status_filter(&query.values("runtimeStatus"));
    let show_input = query.get_bool("showInput").unwrap_or(true);
    let top = page_size(query);
    let token = read_token(&ctx.headers);
    if matches!(token, Token::Invalid) {
        return invalid_token();
    }
    let mut store = ctx.shared.lock();
    let hub = store.hub(&ctx.hub);
    hub.advance_all(now());
    let mut matching: Vec<(u64, &Instance)> = hub
        .instances
        .values()
        .filter(|i| prefix.as_deref().is_none_or(|p| i.id.starts_with(p)))
        .filter(|i| from.is_none_or(|from| i.created >= from))
        .filter(|i| to.is_none_or(|to| i.created <= to))
        .filter(|i| {
            statuses
                .as_ref()
                .is_none_or(|codes| codes.contains(&i.status().code()))
        })
        .map(|i| (i.seq, i))
        .collect();
    matching.sort_by_key(|(seq, _)| *seq);
    let (page, next) = paginate(matching, &token, top);
    let body: Vec<Value> = page
        .into_iter()
        .map(|instance| status_payload(instance, show_input, None))
        .collect();
    drop(store);
    with_continuation(json_response(StatusCode::OK, &Value::Array(body)), &next)
}

/// Splits an entity scheduler id `@name@key`.
fn entity_instance_id(id: &str) -> Option<(String, String)> {
    let rest = id.strip_prefix('@')?;
    let (name, key) = rest.split_once('@')?;
    Some((name.to_lowercase(), key.to_string()))
}

fn purged(count: usize) -> Response {
    json_response(StatusCode::OK, &json!({ "instancesDeleted": count }))
}

/// `DELETE /instances/{id}`.
fn purge_one(ctx: &Ctx, id: &str) -> Response {
    let at = now();
    let mut store = ctx.shared.lock();
    let hub = store.hub(&ctx.hub);
    if ctx.profile() == Profile::New && id.starts_with('@') {
        // Entity ids skip the status check; the purge reports what it found.
        let mut count = usize::from(hub.instances.remove(id).is_some());
        if let Some(entity) = entity_instance_id(id) {
            count += usize::from(hub.entities.remove(&entity).is_some());
        }
        return purged(count);
    }
    let status = hub.instance(id, at).map(|instance| instance.status());
    match (status, ctx.profile()) {
        (Some(status), Profile::New) if !status.is_terminal() => bare_string(
            StatusCode::PRECONDITION_FAILED,
            &format!(
                "Only orchestrations in a terminal state can be purged, but the orchestration with instance ID {id} has status {}",
                status.name()
            ),
        ),
        (Some(_), _) => {
            hub.instances.remove(id);
            purged(1)
        }
        (None, _) => {
            if let Some(entity) = entity_instance_id(id)
                && hub.entities.remove(&entity).is_some()
            {
                return purged(1);
            }
            empty(StatusCode::NOT_FOUND)
        }
    }
}

/// `DELETE /instances?createdTimeFrom=...`.
fn purge_many(ctx: &Ctx) -> Response {
    let query = &ctx.query;
    let Some(from) = query
        .get("createdTimeFrom")
        .and_then(|v| parse_datetime(&v))
    else {
        return bare_string(
            StatusCode::BAD_REQUEST,
            "Please provide value for 'createdTimeFrom' parameter.",
        );
    };
    let at = now();
    let to = query
        .get("createdTimeTo")
        .and_then(|v| parse_datetime(&v))
        .unwrap_or(at);
    let statuses = parse_status_filter(&query.values("runtimeStatus"));
    let mut store = ctx.shared.lock();
    let hub = store.hub(&ctx.hub);
    hub.advance_all(at);
    let before = hub.instances.len();
    hub.instances.retain(|_, instance| {
        let in_range = instance.created >= from && instance.created <= to;
        let status_ok = statuses
            .as_ref()
            .is_none_or(|codes| codes.contains(&instance.status().code()));
        !(in_range && status_ok)
    });
    let deleted = before - hub.instances.len();
    if deleted == 0 {
        empty(StatusCode::NOT_FOUND)
    } else {
        purged(deleted)
    }
}

/// `POST /instances/{id}/raiseEvent/{eventName}`.
fn raise_event(ctx: &Ctx, id: &str, event_name: &str) -> Response {
    let at = now();
    let mut store = ctx.shared.lock();
    let Some(instance) = store.hub(&ctx.hub).instance(id, at) else {
        return empty(StatusCode::NOT_FOUND);
    };
    if instance.status().is_terminal() {
        return empty(StatusCode::GONE);
    }
    if !ctx.is_json_content() {
        return message(
            StatusCode::BAD_REQUEST,
            "Only application/json request content is supported",
        );
    }
    let data = match serde_json::from_slice::<Value>(&ctx.body) {
        Ok(data) => data,
        Err(error) => {
            return exception(
                StatusCode::BAD_REQUEST,
                "Invalid JSON content",
                &error.to_string(),
                JSON_READER_EXCEPTION,
            );
        }
    };
    instance.raise_event(event_name.to_string(), data, at);
    empty(StatusCode::ACCEPTED)
}

/// Looks the instance up for a command: 404 when missing, 410 when terminal.
fn with_live_instance(
    ctx: &Ctx,
    id: &str,
    command: impl FnOnce(&mut Instance, OffsetDateTime) -> Response,
) -> Response {
    let at = now();
    let mut store = ctx.shared.lock();
    let Some(instance) = store.hub(&ctx.hub).instance(id, at) else {
        return empty(StatusCode::NOT_FOUND);
    };
    if instance.status().is_terminal() {
        return empty(StatusCode::GONE);
    }
    command(instance, at)
}

/// `POST /instances/{id}/terminate`.
fn terminate(ctx: &Ctx, id: &str) -> Response {
    let reason = ctx.query.get("reason");
    with_live_instance(ctx, id, |instance, at| {
        instance.terminate(reason.as_deref(), at);
        empty(StatusCode::ACCEPTED)
    })
}

/// `POST /instances/{id}/suspend`.
fn suspend(ctx: &Ctx, id: &str) -> Response {
    let reason = ctx.query.get("reason");
    with_live_instance(ctx, id, |instance, at| {
        match instance.suspend(reason.as_deref(), at) {
            Ok(()) => empty(StatusCode::ACCEPTED),
            Err(_) => internal_error(
                &format!(
                    "Cannot suspend orchestration instance {id} because instance is in Suspended state"
                ),
                INVALID_OPERATION,
            ),
        }
    })
}

/// `POST /instances/{id}/resume`.
fn resume(ctx: &Ctx, id: &str) -> Response {
    let reason = ctx.query.get("reason");
    with_live_instance(ctx, id, |instance, at| {
        match instance.resume(reason.as_deref(), at) {
            Ok(()) => empty(StatusCode::ACCEPTED),
            Err(ToggleError::NotSuspended(status)) => internal_error(
                &format!(
                    "Cannot resume orchestration instance {id} because instance is in {} state",
                    status.name()
                ),
                INVALID_OPERATION,
            ),
            Err(ToggleError::AlreadySuspended) => empty(StatusCode::ACCEPTED),
        }
    })
}

/// `POST /instances/{id}/rewind`.
fn rewind(ctx: &Ctx, id: &str) -> Response {
    let reason = ctx.query.get("reason");
    let at = now();
    let profile = ctx.profile();
    let mut store = ctx.shared.lock();
    let Some(instance) = store.hub(&ctx.hub).instance(id, at) else {
        return match profile {
            Profile::New => bare_string(
                StatusCode::NOT_FOUND,
                &format!("No orchestration with instance ID \"${id}\" found."),
            ),
            Profile::Old => empty(StatusCode::NOT_FOUND),
        };
    };
    let status = instance.status();
    if status == RuntimeStatus::Failed {
        instance.rewind(reason.as_deref(), at);
        return empty(StatusCode::ACCEPTED);
    }
    match profile {
        Profile::New => bare_string(
            StatusCode::PRECONDITION_FAILED,
            &format!(
                "This orchestration has status {}, but only orchestrations in the \"Failed\" state can be rewound.",
                status.name()
            ),
        ),
        Profile::Old if status.is_terminal() => empty(StatusCode::GONE),
        Profile::Old => internal_error(
            "The rewind operation is only supported on failed orchestration instances.",
            INVALID_OPERATION,
        ),
    }
}

/// `POST /instances/{id}/restart`.
async fn restart(ctx: &Ctx, id: &str) -> Response {
    let new_id = ctx
        .query
        .get_bool("restartWithNewInstanceId")
        .unwrap_or(true);
    let at = now();
    let target = {
        let mut store = ctx.shared.lock();
        let seq = store.next_seq();
        let hub = store.hub(&ctx.hub);
        let Some(original) = hub.instance(id, at) else {
            return exception(
                StatusCode::BAD_REQUEST,
                RESTART_NOT_FOUND,
                &format!("An orchestrastion with the instanceId {id} was not found."),
                ARGUMENT_EXCEPTION,
            );
        };
        let name = original.name.clone();
        let input = original.input.clone();
        // Restart goes through StartNewAsync, which checks the function.
        let Some(builtin) = Builtin::lookup(&name) else {
            return exception(
                StatusCode::BAD_REQUEST,
                RESTART_NOT_FOUND,
                &missing_function_message(&name),
                ARGUMENT_EXCEPTION,
            );
        };
        let target = if new_id {
            new_instance_id()
        } else {
            id.to_string()
        };
        if let Some(existing) = hub.instance(&target, at) {
            let status = existing.status();
            if status.blocks_start() {
                let text = already_exists_message(status);
                return match ctx.profile() {
                    Profile::New => exception(
                        StatusCode::CONFLICT,
                        "A non-terminal instance with this instance ID already exists.",
                        &text,
                        "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
                    ),
                    Profile::Old => internal_error(&text, INVALID_OPERATION),
                };
            }
        }
        let instance = Instance::start(
            seq,
            target.clone(),
            name,
            input,
            Some(builtin),
            ctx.shared.config.timing,
            at,
        );
        hub.instances.insert(target.clone(), instance);
        target
    };
    wait_or_check_status(ctx, &target, Caller::Restart).await
}

// ---------------------------------------------------------------------------
// Entities.

/// `GET /entities/{name}/{key}` (`$` = the empty key).
fn get_entity(ctx: &Ctx, name: &str, key: &str) -> Response {
    let name = name.to_lowercase();
    let key = if key == "$" { "" } else { key };
    let mut store = ctx.shared.lock();
    match store.hub(&ctx.hub).entities.get(&(name, key.to_string())) {
        Some(entity) => json_response(StatusCode::OK, &entity.state),
        None => empty(StatusCode::NOT_FOUND),
    }
}

/// `GET /entities[/{name}]`.
fn list_entities(ctx: &Ctx, name: Option<&str>) -> Response {
    let query = &ctx.query;
    let at = now();
    let name = name.map(str::to_lowercase);
    let from = query
        .get("lastOperationTimeFrom")
        .and_then(|v| parse_datetime(&v));
    let to = query
        .get("lastOperationTimeTo")
        .and_then(|v| parse_datetime(&v))
        .unwrap_or(at);
    let fetch_state = query.get_bool("fetchState").unwrap_or(false);
    let top = page_size(query);
    let token = read_token(&ctx.headers);
    if matches!(token, Token::Invalid) {
        return invalid_token();
    }
    let mut store = ctx.shared.lock();
    let hub = store.hub(&ctx.hub);
    let mut matching: Vec<(u64, &Entity)> = hub
        .entities
        .values()
        .filter(|e| name.as_deref().is_none_or(|n| e.name == n))
        .filter(|e| from.is_none_or(|from| e.last_operation >= from))
        .filter(|e| e.last_operation <= to)
        .map(|e| (e.seq, e))
        .collect();
    matching.sort_by_key(|(seq, _)| *seq);
    let (page, next) = paginate(matching, &token, top);
    let body: Vec<Value> = page
        .into_iter()
        .map(|entity| {
            json!({
                "entityId": { "name": entity.name, "key": entity.key },
                "lastOperationTime": format_ticks(entity.last_operation),
                "state": if fetch_state { entity.state.clone() } else { Value::Null },
            })
        })
        .collect();
    drop(store);
    with_continuation(json_response(StatusCode::OK, &Value::Array(body)), &next)
}

/// `POST|DELETE /entities/{name}[/{key}]`.
fn signal_entity(ctx: &Ctx, name: &str, key: &str) -> Response {
    if name.is_empty() {
        return message(
            StatusCode::BAD_REQUEST,
            "Value cannot be null. (Parameter 'entityName')",
        );
    }
    let name = name.to_lowercase();
    if !ENTITY_NAMES.contains(&name.as_str()) {
        return message(
            StatusCode::BAD_REQUEST,
            &format!(
                "The function '{name}' doesn't exist, is disabled, or is not an entity function. \
                 Additional info: The following are the known entity functions: {}.",
                known_list(&ENTITY_NAMES)
            ),
        );
    }
    if key
        .chars()
        .any(|c| matches!(c, '/' | '\\' | '#' | '?') || c.is_control())
    {
        return message(
            StatusCode::BAD_REQUEST,
            "Entity keys must not contain /, \\, #, ?, or control characters.",
        );
    }
    let operation = if ctx.method == Method::DELETE {
        "delete".to_string()
    } else {
        ctx.query.get("op").unwrap_or_default()
    };
    let input = if ctx.body.is_empty() {
        None
    } else if ctx.is_json_content() {
        match serde_json::from_slice::<Value>(&ctx.body) {
            Ok(value) => Some(value),
            Err(error) => {
                return message(
                    StatusCode::BAD_REQUEST,
                    &format!("Could not parse JSON content: {error}"),
                );
            }
        }
    } else {
        Some(Value::String(
            String::from_utf8_lossy(&ctx.body).into_owned(),
        ))
    };
    let at = now();
    let mut store = ctx.shared.lock();
    let seq = store.next_seq();
    let hub = store.hub(&ctx.hub);
    let entity_key = (name.clone(), key.to_string());
    let current = hub.entities.get(&entity_key).map(|e| e.state.clone());
    match apply_entity_operation(&name, &operation, input.as_ref(), current) {
        Some(state) => {
            let entity = hub.entities.entry(entity_key).or_insert_with(|| Entity {
                seq,
                name: name.clone(),
                key: key.to_string(),
                state: Value::Null,
                last_operation: at,
            });
            entity.state = state;
            entity.last_operation = at;
        }
        None => {
            hub.entities.remove(&entity_key);
        }
    }
    empty(StatusCode::ACCEPTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_prefix_is_case_insensitive() {
        assert_eq!(
            strip_webhook_prefix("/runtime/webhooks/DurableTask/instances"),
            Some("/instances")
        );
        assert_eq!(
            strip_webhook_prefix("/runtime/webhooks/durabletask"),
            Some("")
        );
        assert_eq!(strip_webhook_prefix("/runtime/webhooks/durabletaskx"), None);
        assert_eq!(strip_webhook_prefix("/api/x"), None);
    }

    #[test]
    fn status_filter_parsing() {
        assert_eq!(
            parse_status_filter(&["Running,Completed", "Failed"]),
            Some(vec![0, 1, 3])
        );
        assert_eq!(parse_status_filter(&["running,bogus"]), None);
        assert_eq!(parse_status_filter(&[" Pending , 7"]), Some(vec![6, 7]));
        assert_eq!(parse_status_filter(&[]), None);
    }

    #[test]
    fn pagination_marks_the_end_with_an_empty_token() {
        let items: Vec<(u64, u64)> = (1..=5).map(|n| (n, n)).collect();
        let (page, next) = paginate(items.clone(), &Token::Start, 2);
        assert_eq!(page, vec![1, 2]);
        let Token::After(seq) = read_token_str(&next) else {
            panic!("token expected")
        };
        let (page, next) = paginate(items.clone(), &Token::After(seq), 3);
        assert_eq!(page, vec![3, 4, 5]);
        assert_eq!(next, "");
    }

    fn read_token_str(text: &str) -> Token {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(text) {
            headers.insert(CONTINUATION, value);
        }
        read_token(&headers)
    }

    #[test]
    fn model_module_is_linked() {
        assert!(Builtin::lookup("echo").is_some());
    }
}
