//! What an operation call returns, and the arguments it takes: the boundary between the
//! generic adapters and the generated per-operation calls into the client crate.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde_json::{Map, Value};

use crate::support::formats::Format;

/// The upstream answer, undecoded.
#[derive(Debug)]
pub struct UpstreamResponse {
    /// The upstream status, passed through.
    pub status: StatusCode,
    /// The upstream headers.
    pub headers: HeaderMap,
    /// The upstream body bytes.
    pub body: Bytes,
    /// How the body is read as JSON before output mappings (`outputRawFormat`).
    pub format: Format,
    /// `outputSchema` of the consumed operation (a CSS selector, a heading prefix).
    pub selector: Option<&'static str>,
}

impl UpstreamResponse {
    /// A response whose body is JSON (or passed through untouched).
    pub fn json(status: StatusCode, headers: HeaderMap, body: Bytes) -> UpstreamResponse {
        UpstreamResponse {
            status,
            headers,
            body,
            format: Format::Json,
            selector: None,
        }
    }

    /// The body as JSON, converted from its `outputRawFormat`.
    pub fn to_json(&self) -> Result<Value, String> {
        crate::support::formats::to_json(self.format, self.selector, &self.body)
    }
}

/// Why a call produced no upstream response.
#[derive(Debug)]
pub enum CallError {
    /// An argument could not be converted to the client's type, or a template could not be
    /// resolved.
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

/// The parameters of one call: each consumed input's value from `specs`, resolved against the
/// exposed `inputs` and the bound `variables`. With `all_inputs` every exposed input comes first
/// (as the Naftiko engine puts them in the call's parameter map, where a declared request's
/// templates may read them); calls through the generated client need only their own.
pub fn arguments(
    specs: &[ArgSpec],
    inputs: &Map<String, Value>,
    variables: &BTreeMap<String, String>,
    all_inputs: bool,
) -> Map<String, Value> {
    let mut res = if all_inputs {
        inputs.clone()
    } else {
        Map::new()
    };
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

/// Renders a Mustache template over the inputs, then the variables (missing names render
/// empty).
fn render(
    template: &str,
    inputs: &Map<String, Value>,
    variables: &BTreeMap<String, String>,
) -> String {
    let context = |name: &str| -> Option<Value> {
        if let Some(found) = inputs.get(name) {
            return Some(found.clone());
        }
        if let Some(found) = variables.get(name) {
            return Some(Value::String(found.clone()));
        }
        crate::support::mustache::lookup_dotted(inputs, name).cloned()
    };
    crate::support::mustache::render(template, &context)
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
