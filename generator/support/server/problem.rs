//! RFC 9457 problem documents: every error this server produces itself is
//! `application/problem+json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A problem to report to the caller.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short, human-readable summary of the problem type.
    pub title: &'static str,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// The request parameter at fault, if any.
    pub parameter: Option<String>,
    /// Extension members (RFC 9457 §3.2), such as the orchestration step at fault.
    pub extensions: Vec<(&'static str, serde_json::Value)>,
}

impl Problem {
    /// A problem with the given status, title and detail.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            title,
            detail: detail.into(),
            parameter: None,
            extensions: Vec::new(),
        }
    }

    /// `400 Bad Request` about one parameter.
    pub fn invalid_parameter(parameter: &str, detail: impl Into<String>) -> Problem {
        let mut res = Problem::new(StatusCode::BAD_REQUEST, "Invalid request parameter", detail);
        res.parameter = Some(parameter.to_owned());
        res
    }

    /// `404 Not Found` for a path no route serves.
    pub fn not_found(path: &str) -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            "Not Found",
            format!("no route serves `{path}`"),
        )
    }

    /// `405 Method Not Allowed`.
    pub fn method_not_allowed(method: &str, path: &str) -> Problem {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
            format!("`{method}` is not allowed on `{path}`"),
        )
    }

    /// `502 Bad Gateway`: the upstream could not be reached. Never carries transport details,
    /// which could contain the upstream URL and its credentials.
    pub fn upstream_unreachable() -> Problem {
        Problem::new(
            StatusCode::BAD_GATEWAY,
            "Bad Gateway",
            "the upstream API could not be reached",
        )
    }

    /// `504 Gateway Timeout`.
    pub fn upstream_timeout() -> Problem {
        Problem::new(
            StatusCode::GATEWAY_TIMEOUT,
            "Gateway Timeout",
            "the upstream API did not answer in time",
        )
    }

    /// `401 Unauthorized`.
    pub fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "missing or invalid credentials",
        )
    }

    /// The problem with one more extension member.
    pub fn with(mut self, name: &'static str, value: serde_json::Value) -> Problem {
        self.extensions.push((name, value));
        self
    }

    /// The problem document as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(parameter) = &self.parameter {
            body["parameter"] = json!(parameter);
        }
        for (name, value) in &self.extensions {
            body[*name] = value.clone();
        }
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.to_json().to_string();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}
