//! What an operation call returns, and the arguments it takes: the boundary between the
//! generic adapters and the generated per-operation calls into the client crate.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde_json::{Map, Value};

/// The upstream answer, undecoded.
#[derive(Debug)]
pub struct UpstreamResponse {
    /// The upstream status, passed through.
    pub status: StatusCode,
    /// The upstream headers.
    pub headers: HeaderMap,
    /// The upstream body bytes.
    pub body: Bytes,
}

/// Why a call produced no upstream response.
#[derive(Debug)]
pub enum CallError {
    /// An argument could not be converted to the client's type.
    InvalidArgument {
        /// The consumed input's name.
        name: String,
        /// Why.
        message: String,
    },
    /// The upstream could not be reached.
    Unreachable,
    /// The upstream did not answer in time.
    Timeout,
}

/// A boxed call future.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<UpstreamResponse, CallError>> + Send>>;

/// One generated operation call: arguments by consumed input name.
pub type CallFn<S> = fn(S, Map<String, Value>) -> CallFuture;

/// Where an argument's value comes from.
#[derive(Debug)]
pub enum ArgSource {
    /// An exposed input (REST parameter or MCP argument) of this name.
    Input(&'static str),
    /// A fixed JSON value (as JSON text).
    Literal(&'static str),
    /// A bound variable (secret) of this name.
    Secret(&'static str),
    /// A `{{name}}` template over inputs and variables.
    Template(&'static str),
}

/// How one consumed input gets its value.
#[derive(Debug)]
pub struct ArgSpec {
    /// The consumed input's name.
    pub consumed: &'static str,
    /// Where the value comes from.
    pub source: ArgSource,
}

/// Resolves `specs` against the exposed `inputs` and the bound `variables`.
pub fn arguments(
    specs: &[ArgSpec],
    inputs: &Map<String, Value>,
    variables: &BTreeMap<String, String>,
) -> Map<String, Value> {
    let mut res = Map::new();
    for spec in specs {
        let value = match &spec.source {
            ArgSource::Input(name) => inputs.get(*name).cloned(),
            ArgSource::Literal(json) => serde_json::from_str(json).ok(),
            ArgSource::Secret(name) => variables.get(*name).map(|it| Value::String(it.clone())),
            ArgSource::Template(template) => {
                Some(Value::String(render(template, inputs, variables)))
            }
        };
        if let Some(value) = value {
            res.insert(spec.consumed.to_owned(), value);
        }
    }
    res
}

/// Renders `{{name}}` placeholders (inputs first, then variables; missing names render empty).
fn render(
    template: &str,
    inputs: &Map<String, Value>,
    variables: &BTreeMap<String, String>,
) -> String {
    let mut res = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        res.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            res.push_str(&rest[start..]);
            return res;
        };
        let name = rest[start + 2..start + end].trim();
        let name = name.rsplit('.').next().unwrap_or(name);
        match (inputs.get(name), variables.get(name)) {
            (Some(Value::String(text)), _) => res.push_str(text),
            (Some(other), _) => res.push_str(&other.to_string()),
            (None, Some(text)) => res.push_str(text),
            (None, None) => {}
        }
        rest = &rest[start + end + 2..];
    }
    res.push_str(rest);
    res
}

/// Converts one argument to the client's parameter type.
pub fn convert<T: serde::de::DeserializeOwned>(name: &str, value: Value) -> Result<T, CallError> {
    serde_json::from_value(value).map_err(|err| CallError::InvalidArgument {
        name: name.to_owned(),
        message: err.to_string(),
    })
}

/// Takes and converts a required argument.
pub fn required<T: serde::de::DeserializeOwned>(
    args: &mut Map<String, Value>,
    name: &str,
) -> Result<T, CallError> {
    match args.remove(name) {
        Some(value) => convert(name, value),
        None => Err(CallError::InvalidArgument {
            name: name.to_owned(),
            message: "is required".to_owned(),
        }),
    }
}

/// Takes and converts an optional argument.
pub fn optional<T: serde::de::DeserializeOwned>(
    args: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<T>, CallError> {
    match args.remove(name) {
        Some(Value::Null) | None => Ok(None),
        Some(value) => convert(name, value).map(Some),
    }
}
