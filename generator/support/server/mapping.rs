//! Naftiko output mappings: projecting an upstream JSON body through `outputParameters`
//! (`type`, `mapping` as an RFC 9535 JSONPath, `value`, `properties`, `items`), as the Naftiko
//! specification describes. `$` and `$.` select the whole document.

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

fn select(path: &str, root: &Value) -> Value {
    let path = path.trim();
    if path == "$" || path == "$." {
        return root.clone();
    }
    let Ok(compiled) = JsonPath::parse(path) else {
        return Value::Null;
    };
    let nodes = compiled.query(root).all();
    match nodes.as_slice() {
        [] => Value::Null,
        [one] => (*one).clone(),
        many if path.contains('*') || path.contains("..") || path.contains('?') => {
            Value::Array(many.iter().map(|it| (*it).clone()).collect())
        }
        many => many.first().map(|it| (*it).clone()).unwrap_or(Value::Null),
    }
}

/// Projects `root` through one output parameter (as JSON, the capability's own form).
pub fn project(parameter: &Value, root: &Value) -> Value {
    let kind = parameter
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object");
    if let Some(value) = parameter.get("value").and_then(Value::as_str) {
        return Value::String(value.to_owned());
    }
    let mapping = parameter.get("mapping").and_then(Value::as_str);
    match kind {
        "object" => {
            let Some(properties) = parameter.get("properties").and_then(Value::as_object) else {
                return mapping
                    .map(|it| select(it, root))
                    .unwrap_or_else(|| root.clone());
            };
            // Property mappings are evaluated against the response root.
            let object: Map<String, Value> = properties
                .iter()
                .map(|(name, property)| (name.clone(), project(property, root)))
                .collect();
            Value::Object(object)
        }
        "array" => {
            let selected = mapping
                .map(|it| select(it, root))
                .unwrap_or_else(|| root.clone());
            let Value::Array(elements) = selected else {
                return Value::Array(Vec::new());
            };
            let items = parameter.get("items");
            match items {
                Some(items) if items.is_object() => {
                    // Item mappings are evaluated relative to each element.
                    Value::Array(
                        elements
                            .iter()
                            .map(|element| project(items, element))
                            .collect(),
                    )
                }
                _ => Value::Array(elements),
            }
        }
        _ => mapping.map(|it| select(it, root)).unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_properties_map_from_the_root() {
        let parameter = json!({"type": "object", "properties": {
            "id": {"type": "string", "mapping": "$.instanceId"},
            "status": {"type": "string", "mapping": "$.runtimeStatus"}
        }});
        let out = project(
            &parameter,
            &json!({"instanceId": "a", "runtimeStatus": "Running", "x": 1}),
        );
        assert_eq!(out, json!({"id": "a", "status": "Running"}));
    }

    #[test]
    fn array_items_map_per_element() {
        let parameter = json!({"type": "array", "mapping": "$.items", "items": {"type": "object", "properties": {
            "n": {"type": "string", "mapping": "$.name"}
        }}});
        let out = project(
            &parameter,
            &json!({"items": [{"name": "a"}, {"name": "b"}]}),
        );
        assert_eq!(out, json!([{"n": "a"}, {"n": "b"}]));
    }
}
