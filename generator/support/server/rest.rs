//! The REST adapter: one route per exposed operation, each read, validated, mapped to its
//! consumed operation's arguments, sent upstream, and answered with the upstream status and
//! body (shaped by the output mappings, management URLs rewritten, credentials removed); or, in
//! mock mode, answered with the output parameters' values.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::{Map, Value};

use crate::support::admission;
use crate::support::auth::InboundAuth;
use crate::support::mapping::{self, Compiled, Output};
use crate::support::metrics;
use crate::support::params::{self, BodyRead, CompiledInput, InputSpec, Location};
use crate::support::problem::Problem;
use crate::support::rewrite::{Rewriter, is_absolute_http_url};
use crate::support::steps::{self, FailureKind, Orchestration, Outcome, StepFailure};
use crate::support::upstream::{self, ArgSpec, CallError, CallFn, UpstreamResponse};

/// One exposed REST operation.
pub struct RouteSpec<S: 'static> {
    /// The operation's name (for logs).
    pub name: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The exposed path template (`/v1/instances/{instanceid}`).
    pub path: &'static str,
    /// The request inputs.
    pub inputs: &'static [InputSpec],
    /// How each consumed input gets its value.
    pub arguments: &'static [ArgSpec],
    /// The call of the consumed operation; `None` in mock mode and for orchestrations.
    pub call: Option<CallFn<S>>,
    /// Orchestrated `steps` (instead of one call).
    pub steps: Option<&'static Orchestration<S>>,
    /// Whether every input reaches the call (a declared request, whose templates may read any).
    pub all_inputs: bool,
    /// What the operation answers.
    pub output: Output,
}

/// A `forward` resource: requests at (or, with `below`, under) `prefix` go to a consumed API as
/// they came, with only the trusted headers, and come back as a plain call's answer does (URLs
/// rewritten, secrets removed).
pub struct ForwardSpec<S: 'static> {
    /// The resource's path without its trailing `{path}` variable (`/notion`).
    pub prefix: &'static str,
    /// Whether the path below `prefix` is forwarded (the resource path ends with `{path}`).
    pub below: bool,
    /// Request headers passed on (case-insensitive); every other one is dropped.
    pub trusted_headers: &'static [&'static str],
    /// The generated call into the consumed API.
    pub send: ForwardFn<S>,
}

/// The generated call of a `forward`.
pub type ForwardFn<S> = fn(S, crate::support::declared::Forwarded) -> upstream::CallFuture;

/// Everything a request handler needs.
pub struct RestContext<S: 'static> {
    /// The upstream (the generated client and its configuration).
    pub upstream: S,
    /// URL rewriting and secret scrubbing.
    pub rewriter: Rewriter,
    /// Bound variables by name.
    pub variables: Arc<BTreeMap<String, String>>,
    /// Inbound authentication, when the adapter declares it.
    pub auth: Option<InboundAuth>,
    /// The largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Whether path literals match case-insensitively (as the Azure Functions host routes).
    pub case_insensitive_paths: bool,
}

struct Route<S: 'static> {
    spec: &'static RouteSpec<S>,
    /// `None` while metrics are off.
    metrics: Option<metrics::RouteMetrics>,
    inputs: Vec<CompiledInput>,
    output: Compiled,
    steps: Option<steps::Compiled<S>>,
}

/// Builds the router for `routes`, with `/healthz`, `/readyz`, `/metrics`, `/openapi.json`, and
/// problem+json answers for unknown paths (404) and methods (405).
pub fn router<S: Clone + Send + Sync + 'static>(
    context: RestContext<S>,
    routes: &'static [RouteSpec<S>],
    forwards: &'static [ForwardSpec<S>],
    openapi: &'static str,
) -> Router {
    let context = Arc::new(context);
    let mut by_path: BTreeMap<&'static str, MethodRouter> = BTreeMap::new();
    for spec in routes {
        let route = Arc::new(Route {
            spec,
            metrics: metrics::RouteMetrics::new(spec.path, spec.method),
            inputs: spec.inputs.iter().map(CompiledInput::new).collect(),
            output: spec.output.compile(),
            steps: spec.steps.map(Orchestration::compile),
        });
        let filter = match spec.method {
            "GET" => MethodFilter::GET,
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            "PATCH" => MethodFilter::PATCH,
            _ => MethodFilter::DELETE,
        };
        let ctx = context.clone();
        let handler = move |request: Request| {
            let ctx = ctx.clone();
            let route = route.clone();
            async move { handle(&ctx, &route, request).await }
        };
        let entry = by_path.remove(spec.path).unwrap_or_default();
        by_path.insert(spec.path, entry.merge(on(filter, handler)));
    }
    let templates: Arc<Vec<&'static str>> = Arc::new(by_path.keys().copied().collect());
    let case_insensitive = context.case_insensitive_paths;
    let mut app = Router::new();
    for (path, methods) in by_path {
        let methods = methods.fallback(|method: Method, request: Request| async move {
            Problem::method_not_allowed(method.as_str(), request.uri().path())
        });
        app = app.route(path, methods);
    }
    for spec in forwards {
        let ctx = context.clone();
        let handler = move |request: Request| {
            let ctx = ctx.clone();
            async move { forward(&ctx, spec, request).await }
        };
        let pattern = if spec.below {
            format!("{}/{{*path}}", spec.prefix.trim_end_matches('/'))
        } else {
            spec.prefix.to_owned()
        };
        app = app.route(&pattern, axum::routing::any(handler));
    }
    let app = app
        .route(
            "/healthz",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route(
            "/readyz",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ready"})) }),
        )
        .route(
            "/metrics",
            axum::routing::get(|| async {
                match metrics::render() {
                    Some(text) => (
                        [(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static(metrics::CONTENT_TYPE),
                        )],
                        text,
                    )
                        .into_response(),
                    None => Problem::not_found("/metrics").into_response(),
                }
            }),
        )
        .route(
            "/openapi.json",
            axum::routing::get(move || async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    )],
                    openapi,
                )
            }),
        )
        // The built-in routes' 405 is problem+json too.
        .method_not_allowed_fallback(method_not_allowed);
    // A path that differs from a route only by a trailing slash, or (when the upstream routes so)
    // by the case of its literals, is answered by that route: clients of the upstream send such
    // paths. The exact path is routed first, so this costs nothing on the common path.
    let routed = Arc::new(std::sync::OnceLock::<Router>::new());
    let again = routed.clone();
    let app = app.fallback(move |request: Request| {
        let again = again.clone();
        let templates = templates.clone();
        async move {
            let canonical = canonical_path(request.uri().path(), &templates, case_insensitive);
            match (canonical, again.get()) {
                (Some(path), Some(router)) => {
                    let mut request = request;
                    let uri = match request.uri().query() {
                        Some(query) => format!("{path}?{query}"),
                        None => path,
                    };
                    match uri.parse() {
                        Ok(uri) => *request.uri_mut() = uri,
                        Err(_) => return Problem::not_found(request.uri().path()).into_response(),
                    }
                    let mut router = router.clone();
                    match tower::Service::call(&mut router, request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                }
                _ => Problem::not_found(request.uri().path()).into_response(),
            }
        }
    });
    let _ = routed.set(app.clone());
    app
}

/// The problem+json 405 of a route asked with a method it does not have.
pub async fn method_not_allowed(method: Method, request: Request) -> Problem {
    Problem::method_not_allowed(method.as_str(), request.uri().path())
}

/// The route a request path means when it is not one exactly: the path without a trailing
/// slash, with (if `case_insensitive`) the literals of the template they match regardless of
/// case. `None` when no route matches that way either.
fn canonical_path(
    path: &str,
    templates: &[&'static str],
    case_insensitive: bool,
) -> Option<String> {
    let trimmed = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    let segments: Vec<&str> = trimmed.split('/').collect();
    let same = |pattern: &str, segment: &str| {
        pattern == segment || (case_insensitive && pattern.eq_ignore_ascii_case(segment))
    };
    for template in templates {
        let patterns: Vec<&str> = template.split('/').collect();
        if patterns.len() != segments.len() {
            continue;
        }
        let matches = patterns.iter().zip(&segments).all(|(pattern, segment)| {
            if pattern.starts_with('{') && pattern.ends_with('}') {
                !segment.is_empty()
            } else {
                same(pattern, segment)
            }
        });
        if !matches {
            continue;
        }
        let canonical: Vec<&str> = patterns
            .iter()
            .zip(&segments)
            .map(|(pattern, segment)| {
                if pattern.starts_with('{') {
                    *segment
                } else {
                    *pattern
                }
            })
            .collect();
        let canonical = canonical.join("/");
        return (canonical != path).then_some(canonical);
    }
    None
}

async fn handle<S: Clone + Send + Sync + 'static>(
    ctx: &RestContext<S>,
    route: &Route<S>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let _in_flight = metrics::in_flight();
    let permit = admission::admit();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|it| it.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let response = match permit {
        None => admission::overloaded(),
        Some(_permit) => match respond(ctx, route, request).await {
            Ok(response) => response,
            Err(problem) => problem.into_response(),
        },
    };
    let took = started.elapsed();
    let status = response.status().as_u16();
    if let Some(metrics) = &route.metrics {
        metrics.record(status, took);
    }
    // Display (`%`) rather than Debug: no quoting and escaping of known-clean text per line.
    tracing::info!(
        request_id = %request_id,
        method = %route.spec.method,
        route = %route.spec.path,
        operation = %route.spec.name,
        status,
        latency_us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

async fn respond<S: Clone + Send + Sync + 'static>(
    ctx: &RestContext<S>,
    route: &Route<S>,
    request: Request,
) -> Result<Response, Problem> {
    let (parts, body) = request.into_parts();
    if let Some(problem) = crate::support::app::head_problem(&parts.uri, &parts.headers) {
        return Err(problem);
    }
    if let Some(auth) = &ctx.auth
        && !auth.allows(&parts.headers, parts.uri.query())
    {
        return Err(Problem::unauthorized());
    }
    let public_base = public_base(&parts.headers);
    let query = params::parse_query(parts.uri.query());
    // No silent drops: a query parameter the operation does not declare is an error, not
    // something quietly left out of the upstream call.
    for name in query.keys() {
        let declared = route
            .inputs
            .iter()
            .any(|it| it.spec.location == Location::Query && it.spec.name == name);
        let credential = ctx
            .auth
            .as_ref()
            .is_some_and(|auth| auth.query_name() == Some(name.as_str()));
        if !declared && !credential {
            return Err(Problem::invalid_parameter(
                name,
                format!("`{name}` is not a query parameter of this operation"),
            ));
        }
    }
    let path_values = path_values(route.spec.path, parts.uri.path())?;
    let mut inputs = Map::new();
    for input in &route.inputs {
        let spec = input.spec;
        let value = match spec.location {
            Location::Path => path_values
                .get(spec.name)
                .map(|it| params::coerce(spec.name, it, &input.schema))
                .transpose()?,
            Location::Query => match query.get(spec.name) {
                Some(values) => Some(params::coerce(spec.name, &values.join(","), &input.schema)?),
                None => None,
            },
            Location::Header => parts
                .headers
                .get(spec.name)
                .and_then(|it| it.to_str().ok())
                .map(|it| params::coerce(spec.name, it, &input.schema))
                .transpose()?,
            Location::Body => None,
        };
        let Some(value) = value else {
            if spec.required && spec.location != Location::Body {
                return Err(Problem::invalid_parameter(
                    spec.name,
                    format!("`{}` is required", spec.name),
                ));
            }
            continue;
        };
        input.validate(&value)?;
        inputs.insert(spec.name.to_owned(), value);
    }
    if route
        .inputs
        .iter()
        .any(|it| it.spec.location == Location::Body)
    {
        let bytes = axum::body::to_bytes(body, ctx.body_limit)
            .await
            .map_err(|_| {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Payload Too Large",
                    format!("the request body exceeds {} bytes", ctx.body_limit),
                )
            })?;
        read_body(route, &bytes, &mut inputs)?;
    }
    if let Some(orchestration) = &route.steps {
        return match steps::run(orchestration, &ctx.upstream, &inputs, &ctx.variables).await {
            Ok(Outcome::Mapped(mut value)) => {
                ctx.rewriter.rewrite_json(&mut value, &public_base);
                Ok(json_response(StatusCode::OK, &value))
            }
            Ok(Outcome::Last(response)) => Ok(pass_through(ctx, response, &public_base)),
            Err(failure) => Err(step_problem(ctx, failure, &public_base)),
        };
    }
    let Some(call) = route.spec.call else {
        let Compiled::Mock(parameters) = &route.output else {
            return Err(Problem::upstream_unreachable());
        };
        let value = mapping::mock_first(parameters, &inputs);
        return Ok(json_response(StatusCode::OK, &value));
    };
    let arguments = upstream::arguments(
        route.spec.arguments,
        &inputs,
        &ctx.variables,
        route.spec.all_inputs,
    );
    let response = call(ctx.upstream.clone(), arguments)
        .await
        .map_err(call_problem)?;
    if let Compiled::Mapped(parameters) = &route.output {
        return mapped(ctx, parameters, &inputs, response, &public_base);
    }
    Ok(pass_through(ctx, response, &public_base))
}

async fn forward<S: Clone + Send + Sync + 'static>(
    ctx: &RestContext<S>,
    spec: &'static ForwardSpec<S>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let _in_flight = metrics::in_flight();
    let method = request.method().clone();
    let response = match admission::admit() {
        None => admission::overloaded(),
        Some(_permit) => match forward_request(ctx, spec, request).await {
            Ok(response) => response,
            Err(problem) => problem.into_response(),
        },
    };
    let took = started.elapsed();
    let status = response.status().as_u16();
    metrics::request(spec.prefix, metrics::method_label(&method), status, took);
    tracing::info!(
        method = %method,
        route = %spec.prefix,
        operation = "forward",
        status,
        latency_us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

async fn forward_request<S: Clone + Send + Sync + 'static>(
    ctx: &RestContext<S>,
    spec: &'static ForwardSpec<S>,
    request: Request,
) -> Result<Response, Problem> {
    let (parts, body) = request.into_parts();
    if let Some(problem) = crate::support::app::head_problem(&parts.uri, &parts.headers) {
        return Err(problem);
    }
    if let Some(auth) = &ctx.auth
        && !auth.allows(&parts.headers, parts.uri.query())
    {
        return Err(Problem::unauthorized());
    }
    let public_base = public_base(&parts.headers);
    let path = parts
        .uri
        .path()
        .strip_prefix(spec.prefix.trim_end_matches('/'))
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned();
    forwardable_path(&path)?;
    let mut headers = HeaderMap::new();
    for name in spec.trusted_headers {
        for value in parts.headers.get_all(*name) {
            if let Ok(header) = axum::http::HeaderName::from_bytes(name.as_bytes()) {
                headers.append(header, value.clone());
            }
        }
    }
    let body = axum::body::to_bytes(body, ctx.body_limit)
        .await
        .map_err(|_| {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large",
                format!("the request body exceeds {} bytes", ctx.body_limit),
            )
        })?;
    let forwarded = crate::support::declared::Forwarded {
        method: parts.method.clone(),
        path,
        query: parts.uri.query().map(str::to_owned),
        headers,
        body,
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|it| it.to_str().ok())
            .map(str::to_owned),
    };
    let response = (spec.send)(ctx.upstream.clone(), forwarded)
        .await
        .map_err(call_problem)?;
    Ok(pass_through(ctx, response, &public_base))
}

/// The answer to an upstream call that got no answer of its own.
fn call_problem(err: CallError) -> Problem {
    match err {
        CallError::InvalidArgument { name, message } => {
            Problem::invalid_parameter(&name, format!("`{name}`: {message}"))
        }
        CallError::Unreachable => Problem::upstream_unreachable(),
        CallError::Timeout => Problem::upstream_timeout(),
    }
}

/// Refuses a forwarded path that is not one the upstream would read as written: malformed
/// percent-encoding, text that is not UTF-8, and dot segments (plain or encoded) or backslashes,
/// which URL parsing would resolve and so climb out of the consumed API's base path. An encoded
/// slash stays encoded: it cannot climb.
fn forwardable_path(path: &str) -> Result<(), Problem> {
    for raw in path.split('/') {
        let segment = decode_segment("path", raw)?;
        if segment == "." || segment == ".." || raw.contains('\\') {
            return Err(Problem::invalid_parameter(
                "path",
                format!("`path` may not hold the segment `{raw}`"),
            ));
        }
    }
    Ok(())
}

/// A failed orchestration step as a problem naming the step: its upstream's client errors keep
/// their status, server errors are `502`; the upstream's answer (URLs rewritten, secrets
/// removed) goes along as `upstream`.
fn step_problem(ctx: &RestContext<impl Sized>, failure: StepFailure, public_base: &str) -> Problem {
    let StepFailure {
        step,
        operation,
        kind,
    } = failure;
    let problem = match kind {
        FailureKind::Call(CallError::InvalidArgument { name, message }) => Problem::new(
            StatusCode::BAD_REQUEST,
            "Invalid request parameter",
            format!("step `{step}` (`{operation}`): `{name}`: {message}"),
        ),
        FailureKind::Call(CallError::Unreachable) => Problem::new(
            StatusCode::BAD_GATEWAY,
            "Bad Gateway",
            format!("step `{step}`: the upstream API (`{operation}`) could not be reached"),
        ),
        FailureKind::Call(CallError::Timeout) => Problem::new(
            StatusCode::GATEWAY_TIMEOUT,
            "Gateway Timeout",
            format!("step `{step}`: the upstream API (`{operation}`) did not answer in time"),
        ),
        FailureKind::Script(message) => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Script failed",
            format!("step `{step}` (`{operation}`): {message}"),
        ),
        FailureKind::Status(response) => {
            let status = if response.status.is_client_error() {
                response.status
            } else {
                StatusCode::BAD_GATEWAY
            };
            let title = status.canonical_reason().unwrap_or("Upstream error");
            let detail = format!(
                "step `{step}`: `{operation}` answered HTTP {}",
                response.status.as_u16()
            );
            let upstream = match serde_json::from_slice::<Value>(&response.body) {
                Ok(mut value) => {
                    ctx.rewriter.rewrite_json(&mut value, public_base);
                    value
                }
                Err(_) => {
                    let text = String::from_utf8_lossy(&response.body);
                    Value::String(
                        ctx.rewriter
                            .rewrite_text(&text, public_base)
                            .unwrap_or_else(|| text.into_owned()),
                    )
                }
            };
            Problem::new(status, title, detail)
                .with("upstreamStatus", Value::from(response.status.as_u16()))
                .with("upstream", upstream)
        }
    };
    problem.with("step", Value::String(step.to_owned()))
}

/// The path variables of `template` in the request `path`, each decoded strictly: a `%` not
/// followed by two hex digits, or bytes that are not UTF-8 once decoded, are a 400 naming the
/// variable (never forwarded upstream).
fn path_values(
    template: &'static str,
    path: &str,
) -> Result<BTreeMap<&'static str, String>, Problem> {
    let mut values = BTreeMap::new();
    for (pattern, raw) in template.split('/').zip(path.split('/')) {
        let Some(name) = pattern
            .strip_prefix('{')
            .and_then(|it| it.strip_suffix('}'))
        else {
            continue;
        };
        values.insert(name, decode_segment(name, raw)?);
    }
    Ok(values)
}

fn decode_segment(name: &str, raw: &str) -> Result<String, Problem> {
    let bytes = raw.as_bytes();
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'%', &bytes[at..]) {
        let escape = at + offset;
        let valid = bytes
            .get(escape + 1..escape + 3)
            .is_some_and(|it| it.iter().all(u8::is_ascii_hexdigit));
        if !valid {
            return Err(Problem::invalid_parameter(
                name,
                format!(
                    "`{name}` has a malformed percent-encoding (`%` must be followed by two hex digits)"
                ),
            ));
        }
        at = escape + 3;
    }
    percent_encoding::percent_decode(bytes)
        .decode_utf8()
        .map(|it| it.into_owned())
        .map_err(|_| {
            Problem::invalid_parameter(name, format!("`{name}` is not UTF-8 once percent-decoded"))
        })
}

/// Reads the body inputs from a JSON request body, each as its [`BodyRead`] says.
fn read_body<S>(
    route: &Route<S>,
    bytes: &[u8],
    inputs: &mut Map<String, Value>,
) -> Result<(), Problem> {
    let body_inputs = route
        .inputs
        .iter()
        .filter(|it| it.spec.location == Location::Body);
    if bytes.is_empty() {
        for input in body_inputs {
            if input.spec.required {
                return Err(Problem::invalid_parameter(
                    input.spec.name,
                    format!("`{}` is required in the JSON request body", input.spec.name),
                ));
            }
        }
        return Ok(());
    }
    let document: Value = serde_json::from_slice(bytes).map_err(|err| {
        Problem::invalid_parameter("body", format!("the request body is not valid JSON: {err}"))
    })?;
    for input in body_inputs {
        let value = match input.spec.body {
            BodyRead::Whole => Some(document.clone()),
            BodyRead::Path(path) => Some(mapping::select(path, &document)),
            BodyRead::FieldOrWhole => match document.get(input.spec.name) {
                Some(field) => Some(field.clone()),
                None => Some(document.clone()),
            },
        }
        .filter(|it| !it.is_null());
        let Some(value) = value else {
            if input.spec.required {
                return Err(Problem::invalid_parameter(
                    input.spec.name,
                    format!("`{}` is required in the JSON request body", input.spec.name),
                ));
            }
            continue;
        };
        input.validate(&value)?;
        inputs.insert(input.spec.name.to_owned(), value);
    }
    Ok(())
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The upstream answer shaped by the output mappings: the body converted to JSON from its
/// `outputRawFormat` and projected, with the upstream status.
fn mapped(
    ctx: &RestContext<impl Sized>,
    parameters: &[Value],
    inputs: &Map<String, Value>,
    upstream: UpstreamResponse,
    public_base: &str,
) -> Result<Response, Problem> {
    let document = if upstream.body.is_empty() {
        Value::Null
    } else {
        upstream.to_json().map_err(|err| {
            Problem::new(
                StatusCode::BAD_GATEWAY,
                "Bad Gateway",
                format!(
                    "the upstream answer could not be read: {}",
                    ctx.rewriter.rewrite_text(&err, public_base).unwrap_or(err)
                ),
            )
        })?
    };
    let mut value = mapping::project_first(parameters, &document, inputs);
    ctx.rewriter.rewrite_json(&mut value, public_base);
    Ok(json_response(upstream.status, &value))
}

/// The origin clients reached this server at: `X-Forwarded-Proto`/`X-Forwarded-Host` when a
/// proxy set them, else `Host`.
pub fn public_base(headers: &HeaderMap) -> String {
    static FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
    static FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
    let first = |name: &HeaderName| {
        let text = headers.get(name)?.to_str().ok()?;
        Some(text.split(',').next().unwrap_or(text).trim())
    };
    let scheme = first(&FORWARDED_PROTO).unwrap_or("http");
    let host = first(&FORWARDED_HOST)
        .or_else(|| first(&header::HOST))
        .unwrap_or("localhost");
    let mut base = String::with_capacity(scheme.len() + 3 + host.len());
    base.push_str(scheme);
    base.push_str("://");
    base.push_str(host);
    base
}

/// Whether `bytes` may hold an absolute URL (`://`).
fn contains_url(bytes: &[u8]) -> bool {
    static SCHEME_SEPARATOR: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"://"));
    SCHEME_SEPARATOR.find(bytes).is_some()
}

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "proxy-authenticate",
];

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|it| it.to_str().ok())
        .map(|it| {
            let essence = it
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        })
        .unwrap_or(false)
}

/// A body that is not JSON (an HTML error page, plain text, XML): upstream URLs rewritten and
/// secrets removed where it is text; bytes that are not UTF-8 only lose secrets.
fn rewrite_text_body(ctx: &RestContext<impl Sized>, body: bytes::Bytes, public_base: &str) -> Body {
    match std::str::from_utf8(&body) {
        Ok(text) => match ctx.rewriter.rewrite_text(text, public_base) {
            Some(rewritten) => Body::from(rewritten),
            None => Body::from(body),
        },
        Err(_) if ctx.rewriter.leaks(&body) => {
            Body::from(ctx.rewriter.scrub(&String::from_utf8_lossy(&body)))
        }
        Err(_) => Body::from(body),
    }
}

/// Builds the response from the upstream one: same status, headers with URLs rewritten, body
/// passed through with URLs rewritten and secrets removed.
fn pass_through(
    ctx: &RestContext<impl Sized>,
    upstream: UpstreamResponse,
    public_base: &str,
) -> Response {
    let is_json = is_json(&upstream.headers);
    let mut headers = HeaderMap::with_capacity(upstream.headers.len());
    for (name, value) in &upstream.headers {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        let Ok(text) = value.to_str() else { continue };
        // Most headers hold neither a URL nor a secret: they are passed on as they are.
        let rewritten = if is_absolute_http_url(text) {
            ctx.rewriter.rewrite_url(text, public_base)
        } else {
            ctx.rewriter.rewrite_text(text, public_base)
        };
        match rewritten {
            None => headers.append(name.clone(), value.clone()),
            Some(text) => match HeaderValue::from_str(&text) {
                Ok(value) => headers.append(name.clone(), value),
                Err(_) => continue,
            },
        };
    }
    // A body without URLs or secrets goes out as received: no JSON round trip on the hot path.
    let untouched = !contains_url(&upstream.body) && !ctx.rewriter.leaks(&upstream.body);
    let body = if upstream.body.is_empty() {
        Body::empty()
    } else if untouched {
        Body::from(upstream.body)
    } else if is_json {
        match serde_json::from_slice::<Value>(&upstream.body) {
            Ok(mut value) => {
                ctx.rewriter.rewrite_json(&mut value, public_base);
                Body::from(value.to_string())
            }
            Err(_) => rewrite_text_body(ctx, upstream.body, public_base),
        }
    } else {
        rewrite_text_body(ctx, upstream.body, public_base)
    };
    let mut response = Response::new(body);
    *response.status_mut() = upstream.status;
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATES: &[&str] = &[
        "/v1/instances",
        "/v1/instances/{instanceid}/raiseevent/{eventname}",
    ];

    /// Found by the `server_request` fuzz target: a made-up method on `/openapi.json` got
    /// axum's bare 405.
    #[tokio::test]
    async fn built_in_routes_answer_other_methods_with_a_problem() {
        use tower::ServiceExt as _;
        let context = RestContext {
            upstream: (),
            rewriter: Rewriter::new(&[], &[], Vec::new(), Vec::new()),
            variables: Arc::new(BTreeMap::new()),
            auth: None,
            body_limit: 1024,
            case_insensitive_paths: false,
        };
        let app = router(context, &[], &[], "{}");
        for path in ["/openapi.json", "/healthz", "/readyz", "/metrics"] {
            let request = Request::builder()
                .method("SSREA2")
                .uri(path)
                .body(Body::empty())
                .unwrap_or_default();
            let Ok(response) = app.clone().oneshot(request).await;
            assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "application/problem+json",
                "{path}"
            );
        }
    }

    #[test]
    fn a_trailing_slash_means_the_route() {
        assert_eq!(
            canonical_path("/v1/instances/", TEMPLATES, false).as_deref(),
            Some("/v1/instances")
        );
        assert_eq!(canonical_path("/v1/instances", TEMPLATES, false), None);
        assert_eq!(canonical_path("/v1/other/", TEMPLATES, false), None);
    }

    #[test]
    fn literals_match_regardless_of_case_when_asked() {
        let path = "/v1/Instances/AbC/raiseEvent/Go";
        assert_eq!(
            canonical_path(path, TEMPLATES, true).as_deref(),
            Some("/v1/instances/AbC/raiseevent/Go"),
            "variables keep their case"
        );
        assert_eq!(canonical_path(path, TEMPLATES, false), None);
    }

    #[test]
    fn forwarded_paths_cannot_climb_out_of_the_base_path() {
        for fine in ["", "users/1", "a%2Fb/c", "v1.2/x..y/.hidden"] {
            assert!(forwardable_path(fine).is_ok(), "{fine}");
        }
        for refused in [
            "..",
            "a/../b",
            "a/%2e%2E/b",
            "./a",
            "a/%2e",
            "a\\..",
            "a%ZZ",
            "%C3%28",
        ] {
            assert!(forwardable_path(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn path_segments_are_decoded_once_and_strictly() {
        let values = path_values("/v1/instances/{id}", "/v1/instances/a%2520b")
            .ok()
            .unwrap_or_default();
        assert_eq!(values.get("id").map(String::as_str), Some("a%20b"));
        for raw in ["abc%ZZ", "%G1x", "abc%", "a%2"] {
            assert!(decode_segment("id", raw).is_err(), "{raw}");
        }
        assert!(decode_segment("id", "%FF%FE").is_err());
        assert_eq!(
            decode_segment("id", "caf%C3%A9").ok().as_deref(),
            Some("café")
        );
    }
}
