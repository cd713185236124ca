//! The capability's `control` adapter on its own port, as the Naftiko engine serves it: health
//! (`/health/live`, `/health/ready`: `{"status":"UP"}`), info (`/status`, `/config`) and the
//! Prometheus `/metrics` (503 when metrics are off, as the engine answers without OpenTelemetry).
//! Every other path is a 404 problem.

use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::support::auth::InboundAuth;
use crate::support::metrics;
use crate::support::problem::Problem;

/// What the control adapter serves, decided at generation time.
pub struct ControlSpec {
    /// `/health/live` and `/health/ready`.
    pub health: bool,
    /// `/status` and `/config`.
    pub info: bool,
    /// `/metrics`.
    pub metrics: bool,
    /// The capability's `naftiko` version.
    pub naftiko: &'static str,
    /// The capability's label.
    pub capability: &'static str,
    /// `/config`: the adapters the server serves, as JSON.
    pub config: &'static str,
}

/// The control router; `server` and `version` name this binary in `/status`.
pub fn router(
    spec: &'static ControlSpec,
    server: &'static str,
    version: &'static str,
    auth: Option<InboundAuth>,
) -> Router {
    let started = Instant::now();
    let mut app = Router::new();
    if spec.health {
        let up = || async { axum::Json(json!({"status": "UP"})) };
        app = app
            .route("/health/live", axum::routing::get(up))
            .route("/health/ready", axum::routing::get(up));
    }
    if spec.info {
        app = app
            .route(
                "/status",
                axum::routing::get(move || async move {
                    axum::Json(json!({
                        "status": "UP",
                        "capability": spec.capability,
                        "naftiko": spec.naftiko,
                        "server": server,
                        "version": version,
                        "uptimeSeconds": started.elapsed().as_secs(),
                    }))
                }),
            )
            .route(
                "/config",
                axum::routing::get(move || async move {
                    let mut response = spec.config.into_response();
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    response
                }),
            );
    }
    if spec.metrics {
        app = app.route("/metrics", axum::routing::get(metrics_text));
    }
    let app = app
        .fallback(|request: Request| async move { Problem::not_found(request.uri().path()) })
        .method_not_allowed_fallback(crate::support::rest::method_not_allowed);
    crate::support::auth::guarded(app, auth)
}

async fn metrics_text() -> Response {
    match metrics::render() {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(metrics::CONTENT_TYPE),
            )],
            text,
        )
            .into_response(),
        None => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "metrics are off (--no-metrics)",
        )
        .into_response(),
    }
}
