//! The `server_request` target: one REST request through the generated-server runtime.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use capgen_server_runtime::support::mapping::Output;
use capgen_server_runtime::support::params::{BodyRead, InputSpec, Location};
use capgen_server_runtime::support::rest::{RestContext, RouteSpec, router};
use capgen_server_runtime::support::rewrite::{RouteLink, Rewriter};
use capgen_server_runtime::support::upstream::{
    ArgSource, ArgSpec, CallFuture, UpstreamResponse,
};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const UPSTREAM: &str = "http://upstream.internal:7071";
const SECRET: &str = "s3cr3t-K3Y/with+chars==";

fn answer((): (), args: Map<String, Value>) -> CallFuture {
    Box::pin(async move {
        let body = json!({
            "args": args,
            "statusQueryGetUri": format!("{UPSTREAM}/runtime/items/{}?code={SECRET}",
                args.get("id").and_then(Value::as_str).unwrap_or("x")),
            "echo": format!("{UPSTREAM}/elsewhere {SECRET}"),
        });
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        if let Ok(location) = HeaderValue::from_str(&format!("{UPSTREAM}/runtime/items/1?code={SECRET}")) {
            headers.insert("location", location);
        }
        Ok(UpstreamResponse::json(StatusCode::ACCEPTED, headers, body.to_string().into()))
    })
}

static ROUTES: &[RouteSpec<()>] = &[
    RouteSpec {
        name: "get-item",
        method: "GET",
        path: "/v1/items/{id}",
        inputs: &[
            InputSpec { name: "id", location: Location::Path, required: true, schema: r#"{"type":"string","pattern":"^[A-Za-z0-9 %é/-]+$"}"#, body: BodyRead::Whole },
            InputSpec { name: "limit", location: Location::Query, required: false, schema: r#"{"type":"integer","minimum":1,"maximum":100}"#, body: BodyRead::Whole },
            InputSpec { name: "tags", location: Location::Query, required: false, schema: r#"{"type":"array","items":{"type":"string"}}"#, body: BodyRead::Whole },
            InputSpec { name: "x-flag", location: Location::Header, required: false, schema: r#"{"type":"boolean"}"#, body: BodyRead::Whole },
        ],
        arguments: &[
            ArgSpec { consumed: "id", source: ArgSource::Input("id") },
            ArgSpec { consumed: "limit", source: ArgSource::Input("limit") },
            ArgSpec { consumed: "key", source: ArgSource::Secret("KEY") },
            ArgSpec { consumed: "label", source: ArgSource::Template("{{id}}-{{tags}}") },
        ],
        call: Some(answer),
        steps: None,
        all_inputs: true,
        output: Output::Passthrough,
    },
    RouteSpec {
        name: "raise-event",
        method: "POST",
        path: "/v1/items/{id}/raiseevent/{event}",
        inputs: &[
            InputSpec { name: "id", location: Location::Path, required: true, schema: r#"{"type":"string"}"#, body: BodyRead::Whole },
            InputSpec { name: "event", location: Location::Path, required: true, schema: r#"{"type":"string"}"#, body: BodyRead::Whole },
            InputSpec { name: "body", location: Location::Body, required: true, schema: r#"{"type":"object","required":["n"],"properties":{"n":{"type":"number"}}}"#, body: BodyRead::Whole },
        ],
        arguments: &[ArgSpec { consumed: "body", source: ArgSource::Input("body") }],
        call: Some(answer),
        steps: None,
        all_inputs: false,
        output: Output::Mapped(r#"[{"type":"object","properties":{"status":{"type":"string","mapping":"$.statusQueryGetUri"},"n":{"type":"number","mapping":"$.args.body.n"}}}]"#),
    },
    RouteSpec {
        name: "mock",
        method: "GET",
        path: "/v1/mock/{name}",
        inputs: &[InputSpec { name: "name", location: Location::Path, required: true, schema: r#"{"type":"string"}"#, body: BodyRead::Whole }],
        arguments: &[],
        call: None,
        steps: None,
        all_inputs: false,
        output: Output::Mock(r#"[{"name":"greeting","type":"string","value":"Hello, {{name}}!"}]"#),
    },
];

static LINKS: &[RouteLink] = &[RouteLink {
    api: 0,
    consumed_path: "/runtime/items/{id}",
    exposed_path: "/v1/items/{id}",
    variables: &[("id", "id")],
    query: &[],
}];

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
});

static ROUTER: LazyLock<axum::Router> = LazyLock::new(|| {
    let variables: BTreeMap<String, String> = [("KEY".to_owned(), SECRET.to_owned())].into();
    let context = RestContext {
        upstream: (),
        rewriter: Rewriter::new(
            &[UPSTREAM.to_owned()],
            LINKS,
            vec!["code".to_owned()],
            vec![SECRET.to_owned()],
        ),
        variables: Arc::new(variables),
        auth: None,
        body_limit: 64 * 1024,
        case_insensitive_paths: true,
    };
    router(context, ROUTES, &[], "{}")
});

/// Splits the input into a request; `None` when it cannot be one at all.
fn request(data: &[u8]) -> Option<Request<Body>> {
    let (head, body) = match data.windows(2).position(|it| it == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let method = lines.next()?.trim();
    let target = lines.next()?.trim();
    let mut builder = Request::builder().method(method).uri(target).header("host", "proxy.example");
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            builder = builder.header(name.trim(), value.trim());
        }
    }
    builder.body(Body::from(body.to_vec())).ok()
}

/// Whether the caller itself wrote one of the markers (plainly or percent-encoded): an answer
/// that echoes the caller's own words is not a leak.
fn mentions_markers(data: &[u8]) -> bool {
    let decoded = percent_encoding::percent_decode(data).decode_utf8_lossy().to_lowercase();
    let raw = String::from_utf8_lossy(data).to_lowercase();
    ["s3cr3t", "upstream.internal", "upstream%2einternal"]
        .iter()
        .any(|marker| decoded.contains(marker) || raw.contains(marker))
}

pub fn request_target(data: &[u8]) {
    let Some(request) = request(data) else {
        return;
    };
    let echoed = mentions_markers(data);
    RUNTIME.block_on(async {
        let Ok(response) = ROUTER.clone().oneshot(request).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "a 500 for a request");
        let text = String::from_utf8_lossy(&body);
        if status.is_client_error() {
            let kind = headers.get("content-type").and_then(|it| it.to_str().ok());
            assert_eq!(kind, Some("application/problem+json"), "{status}: {text}");
        }
        if echoed {
            return;
        }
        for (name, value) in &headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(!value.contains("upstream.internal"), "upstream address in `{name}`: {value}");
            assert!(!value.contains("s3cr3t"), "secret in `{name}`: {value}");
        }
        assert!(!text.contains("upstream.internal"), "upstream address in the body: {text}");
        assert!(!text.contains("s3cr3t"), "secret in the body: {text}");
    });
}
