//! Request inputs: reading path, query, header and body values into JSON, typed by each
//! input's JSON Schema, and validating them before anything goes upstream.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::support::problem::Problem;

/// Where an input is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A path template variable.
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
    /// The JSON request body, or a field of it.
    Body,
}

/// One input of an exposed operation.
#[derive(Debug)]
pub struct InputSpec {
    /// The exposed name (path variable, query parameter, header, or `body`).
    pub name: &'static str,
    /// Where it is read from.
    pub location: Location,
    /// Whether the request must carry it.
    pub required: bool,
    /// Its JSON Schema, as JSON text.
    pub schema: &'static str,
    /// How a body input is read from the JSON body (ignored for other locations).
    pub body: BodyRead,
}

/// How a body input is read from the JSON request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRead {
    /// The whole body.
    Whole,
    /// What a JSONPath selects.
    Path(&'static str),
    /// The same-named field of an object body, else the whole body (the engine's rule for a
    /// declared body input without `value`).
    FieldOrWhole,
}

/// Splits a raw query string into decoded name/value pairs (`+` is a space).
pub fn parse_query(raw: Option<&str>) -> BTreeMap<String, Vec<String>> {
    let mut res: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in raw
        .unwrap_or_default()
        .split('&')
        .filter(|it| !it.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        res.entry(decode(name)).or_default().push(decode(value));
    }
    res
}

fn decode(text: &str) -> String {
    if !text.contains(['+', '%']) {
        return text.to_owned();
    }
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The single JSON Schema type a schema names (ignoring `null`), following nothing.
fn schema_type(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(ty) => Some(ty),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|it| *it != "null"),
        _ => None,
    }
}

/// Converts the text of a path, query or header value into JSON of the schema's type.
pub fn coerce(name: &str, text: &str, schema: &Value) -> Result<Value, Problem> {
    match schema_type(schema) {
        Some("boolean") => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(Problem::invalid_parameter(
                name,
                format!("`{name}` must be `true` or `false`, got `{text}`"),
            )),
        },
        Some("integer") => text.parse::<i64>().map(Value::from).map_err(|_| {
            Problem::invalid_parameter(name, format!("`{name}` must be an integer, got `{text}`"))
        }),
        Some("number") => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| {
                Problem::invalid_parameter(name, format!("`{name}` must be a number, got `{text}`"))
            }),
        Some("array") => {
            let items = schema.get("items").cloned().unwrap_or(Value::Null);
            let values: Result<Vec<Value>, Problem> =
                text.split(',').map(|it| coerce(name, it, &items)).collect();
            values.map(Value::Array)
        }
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// A compiled input schema.
pub struct CompiledInput {
    /// The input.
    pub spec: &'static InputSpec,
    /// Its schema as JSON.
    pub schema: Value,
    validator: Option<jsonschema::Validator>,
}

impl CompiledInput {
    /// Compiles the schema of `spec`. A schema that does not compile validates nothing (it
    /// was produced by the generator, so this does not happen in practice).
    pub fn new(spec: &'static InputSpec) -> CompiledInput {
        let schema: Value = serde_json::from_str(spec.schema).unwrap_or(Value::Bool(true));
        let validator = jsonschema::validator_for(&schema).ok();
        CompiledInput {
            spec,
            schema,
            validator,
        }
    }

    /// Checks `value` against the schema; the problem names the input and every violation.
    pub fn validate(&self, value: &Value) -> Result<(), Problem> {
        let Some(validator) = &self.validator else {
            return Ok(());
        };
        // Valid input is the common case; collecting errors costs allocations.
        if validator.is_valid(value) {
            return Ok(());
        }
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|it| it.to_string())
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        let name = self.spec.name;
        Err(Problem::invalid_parameter(
            name,
            format!("`{name}` is invalid: {}", errors.join("; ")),
        ))
    }
}

/// Validates a whole argument object (MCP tool arguments) against a schema; returns every
/// problem found, as readable lines.
pub fn argument_errors(
    validator: &jsonschema::Validator,
    arguments: &Map<String, Value>,
) -> Vec<String> {
    let instance = Value::Object(arguments.clone());
    validator
        .iter_errors(&instance)
        .map(|it| {
            let path = it.instance_path().to_string();
            if path.is_empty() {
                it.to_string()
            } else {
                format!("{path}: {it}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_values_are_decoded() {
        let query = parse_query(Some("a=1&b=x+y&c=%2B01%3A00&a=2"));
        assert_eq!(query["a"], vec!["1", "2"]);
        assert_eq!(query["b"], vec!["x y"]);
        assert_eq!(query["c"], vec!["+01:00"]);
    }

    #[test]
    fn booleans_and_integers_are_typed() {
        assert_eq!(
            coerce("x", "TRUE", &json!({"type": "boolean"})).ok(),
            Some(json!(true))
        );
        assert!(coerce("x", "yes", &json!({"type": "boolean"})).is_err());
        assert_eq!(
            coerce("n", "50", &json!({"type": "integer"})).ok(),
            Some(json!(50))
        );
        assert!(coerce("n", "5x", &json!({"type": "integer"})).is_err());
    }
}
