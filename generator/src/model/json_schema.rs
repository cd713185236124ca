//! OpenAPI schemas as self-contained JSON Schema 2020-12 documents, for MCP `inputSchema` /
//! `outputSchema` and request validation.
//!
//! The loader reads every schema into OpenAPI 3.0 forms; this module turns one back into JSON
//! Schema: `nullable` becomes a `null` type, boolean `exclusiveMinimum` becomes numeric,
//! `example` becomes `examples`, and every `#/components/schemas/X` reference becomes
//! `#/$defs/X` with `X` (and what it references, transitively) copied into `$defs`. Recursive
//! schemas stay recursive through `$defs`, so nothing is expanded without bound.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

const COMPONENT_PREFIX: &str = "#/components/schemas/";

/// Converts `schema` (OpenAPI 3.0 form, references into `doc`'s components) into a
/// self-contained JSON Schema.
pub fn to_json_schema(schema: &Value, doc: &Value) -> Value {
    let mut localizer = Localizer::new(doc);
    let res = localizer.convert(schema);
    localizer.finish(res)
}

/// Converts several schemas that end up in one JSON Schema document (e.g. the properties of a
/// tool's input schema), sharing one `$defs`.
pub struct Localizer<'a> {
    doc: &'a Value,
    defs: BTreeMap<String, Option<Value>>,
}

impl<'a> Localizer<'a> {
    pub fn new(doc: &'a Value) -> Localizer<'a> {
        Localizer {
            doc,
            defs: BTreeMap::new(),
        }
    }

    pub fn convert(&mut self, schema: &Value) -> Value {
        convert(schema, self.doc, &mut self.defs)
    }

    /// Attaches the collected `$defs` to `root`.
    pub fn finish(self, mut root: Value) -> Value {
        if !self.defs.is_empty()
            && let Value::Object(object) = &mut root
        {
            let defs: Map<String, Value> = self
                .defs
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
            object.insert("$defs".to_owned(), Value::Object(defs));
        }
        root
    }
}

/// `defs` maps a component name to its converted schema; `None` while it is being converted, so
/// recursion stops at the first repeat.
fn convert(schema: &Value, doc: &Value, defs: &mut BTreeMap<String, Option<Value>>) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
        return reference_to_def(reference, doc, defs);
    }
    let mut out = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "properties" | "patternProperties" => {
                let converted: Map<String, Value> = value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, it)| (name.clone(), convert(it, doc, defs)))
                    .collect();
                out.insert(key.clone(), Value::Object(converted));
            }
            "items" | "not" | "additionalProperties" => {
                let converted = if value.is_object() {
                    convert(value, doc, defs)
                } else {
                    value.clone()
                };
                out.insert(key.clone(), converted);
            }
            "allOf" | "oneOf" | "anyOf" => {
                let converted: Vec<Value> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|it| convert(it, doc, defs))
                    .collect();
                out.insert(key.clone(), Value::Array(converted));
            }
            "example" => {
                out.insert("examples".to_owned(), Value::Array(vec![value.clone()]));
            }
            // OpenAPI-only keywords with no JSON Schema meaning.
            "nullable" | "discriminator" | "xml" | "externalDocs" => {}
            _ if key.starts_with("x-") => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    for (exclusive, inclusive) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if out.get(exclusive) == Some(&Value::Bool(true)) {
            match out.remove(inclusive) {
                Some(limit) => out.insert(exclusive.to_owned(), limit),
                None => out.remove(exclusive),
            };
        } else if out.get(exclusive) == Some(&Value::Bool(false)) {
            out.remove(exclusive);
        }
    }
    if object.get("nullable") == Some(&Value::Bool(true)) {
        return nullable(out);
    }
    Value::Object(out)
}

fn nullable(mut out: Map<String, Value>) -> Value {
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match out.get("type").cloned() {
        Some(Value::String(ty)) => {
            out.insert("type".to_owned(), json!([ty, "null"]));
            Value::Object(out)
        }
        Some(_) => Value::Object(out),
        None if out.contains_key("allOf")
            || out.contains_key("oneOf")
            || out.contains_key("anyOf") =>
        {
            json!({"anyOf": [Value::Object(out), {"type": "null"}]})
        }
        None => Value::Object(out),
    }
}

fn reference_to_def(
    reference: &str,
    doc: &Value,
    defs: &mut BTreeMap<String, Option<Value>>,
) -> Value {
    let Some(name) = reference.strip_prefix(COMPONENT_PREFIX) else {
        // The loader bundles every reference into components; anything else accepts any value.
        return json!({});
    };
    let unescaped = name.replace("~1", "/").replace("~0", "~");
    if !defs.contains_key(&unescaped) {
        defs.insert(unescaped.clone(), None);
        let target = doc
            .pointer(&format!("/components/schemas/{name}"))
            .cloned()
            .unwrap_or(json!({}));
        let converted = convert(&target, doc, defs);
        defs.insert(unescaped.clone(), Some(converted));
    }
    json!({ "$ref": format!("#/$defs/{name}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_string_gets_a_null_type() {
        let out = to_json_schema(&json!({"type": "string", "nullable": true}), &json!({}));
        assert_eq!(out, json!({"type": ["string", "null"]}));
    }

    #[test]
    fn references_are_localised_into_defs() {
        let doc = json!({"components": {"schemas": {
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}
        }}});
        let out = to_json_schema(&json!({"$ref": "#/components/schemas/Node"}), &doc);
        assert_eq!(
            out,
            json!({
                "$ref": "#/$defs/Node",
                "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}}
            })
        );
    }

    #[test]
    fn boolean_exclusive_minimum_becomes_numeric() {
        let out = to_json_schema(
            &json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true}),
            &json!({}),
        );
        assert_eq!(out, json!({"type": "integer", "exclusiveMinimum": 0}));
    }
}
