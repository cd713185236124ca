//! What an exposed operation or tool returns: its `outputParameters` read as a projection of
//! the upstream body (or, in mock mode, as fixed values), and the JSON Schema of the result.
//!
//! The schema follows what the runtime projection produces (`support/server/mapping.rs`): a
//! scalar whose path selects nothing is `null`, so scalars are nullable; objects are built from
//! their properties and arrays default to `[]`, so neither is ever `null`.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::load::capability::model::{OutputItems, OutputParameter, ParamType};
use crate::model::capability::OutputShape;

/// The output of an item with these `outputParameters`. `mock` is set when the item calls
/// nothing (the parameters carry `value`s).
pub fn shape(params: &[OutputParameter], mock: bool) -> OutputShape {
    if mock {
        let named = params.iter().all(|it| it.name.is_some());
        let schema = if named {
            let properties: IndexMap<String, OutputParameter> = params
                .iter()
                .map(|it| (it.name.clone().unwrap_or_default(), it.clone()))
                .collect();
            object_schema(&properties, mock_schema)
        } else {
            first_of(params.iter().map(mock_schema).collect())
        };
        return OutputShape::Mock {
            parameters: params.iter().map(to_json).collect(),
            schema,
        };
    }
    let Some(first) = params.first() else {
        return OutputShape::Passthrough;
    };
    let whole = matches!(first.mapping.as_deref(), None | Some("$") | Some("$."));
    let no_properties = first.properties.as_ref().is_none_or(IndexMap::is_empty);
    // Seed dialect (C104): `type: object, mapping: $.` means the whole body.
    if params.len() == 1 && first.ty == ParamType::Object && no_properties && whole {
        return OutputShape::Passthrough;
    }
    OutputShape::Mapped {
        parameters: params.iter().map(to_json).collect(),
        schema: first_of(params.iter().map(mapped_schema).collect()),
    }
}

/// A consumed operation's output parameter as a step projection reads it: a `value` that is a
/// JSONPath (the alpha2 consumed form, `value: $.imo_number`) is its `mapping`, as the
/// engine's deserializer reads it.
pub fn step_projection(param: &OutputParameter) -> Value {
    let mut json = to_json(param);
    if let Value::Object(object) = &mut json
        && !object.contains_key("mapping")
        && let Some(Value::String(value)) = object.get("value")
        && value.starts_with('$')
    {
        let value = Value::String(value.clone());
        object.shift_remove("value");
        object.insert("mapping".to_owned(), value);
    }
    json
}

/// The schema of an orchestration's answer: an object with the declared outputs as nullable
/// properties (the runtime sets each, `null` when no mapping fills it, and keeps mapped names
/// that are not declared).
pub fn orchestrated_schema(params: &[OutputParameter]) -> Value {
    let properties: Map<String, Value> = params
        .iter()
        .filter_map(|it| Some((it.name.clone()?, orchestrated_property(it))))
        .collect();
    if properties.is_empty() {
        return json!({"type": "object"});
    }
    json!({"type": "object", "properties": properties})
}

fn orchestrated_property(param: &OutputParameter) -> Value {
    match param.ty {
        ParamType::Object => match &param.properties {
            Some(properties) if !properties.is_empty() => {
                let members: Map<String, Value> = properties
                    .iter()
                    .map(|(name, it)| (name.clone(), orchestrated_property(it)))
                    .collect();
                json!({"type": ["object", "null"], "properties": members})
            }
            _ => json!({"type": ["object", "null"]}),
        },
        ParamType::Array => {
            let items = match &param.items {
                Some(OutputItems::One(item)) => orchestrated_property(item),
                Some(OutputItems::Many(items)) if items.iter().all(|it| it.name.is_some()) => {
                    let members: Map<String, Value> = items
                        .iter()
                        .filter_map(|it| Some((it.name.clone()?, orchestrated_property(it))))
                        .collect();
                    json!({"type": ["object", "null"], "properties": members})
                }
                Some(OutputItems::Many(items)) if items.len() == 1 => {
                    orchestrated_property(&items[0])
                }
                _ => json!({}),
            };
            json!({"type": ["array", "null"], "items": items})
        }
        ty => json!({"type": [scalar_type(ty), "null"]}),
    }
}

/// The parameter as the runtime reads it: its JSON form without absent (`null`) fields.
pub fn to_json(param: &OutputParameter) -> Value {
    strip_nulls(serde_json::to_value(param).unwrap_or(Value::Null))
}

fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(_, it)| !it.is_null())
                .map(|(key, it)| (key, strip_nulls(it)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// One schema, or `anyOf` when the first non-null of several parameters is returned.
fn first_of(mut schemas: Vec<Value>) -> Value {
    if schemas.len() == 1 {
        return schemas.remove(0);
    }
    json!({ "anyOf": schemas })
}

fn scalar_type(ty: ParamType) -> &'static str {
    match ty {
        ParamType::String => "string",
        ParamType::Number => "number",
        ParamType::Integer => "integer",
        ParamType::Boolean => "boolean",
        ParamType::Array => "array",
        ParamType::Object => "object",
    }
}

/// The schema of a mapped output parameter (simple mode).
pub fn mapped_schema(param: &OutputParameter) -> Value {
    if param.value.is_some() {
        // A static or Mustache value is rendered as text.
        return json!({"type": "string"});
    }
    match param.ty {
        ParamType::Object => match &param.properties {
            Some(properties) if !properties.is_empty() => object_schema(properties, mapped_schema),
            // No properties: the selected subtree, whatever it is.
            _ => json!({}),
        },
        ParamType::Array => {
            let items = match &param.items {
                Some(OutputItems::One(item)) => mapped_schema(item),
                Some(OutputItems::Many(items)) if items.len() == 1 => mapped_schema(&items[0]),
                _ => json!({}),
            };
            json!({"type": "array", "items": items})
        }
        ty => json!({"type": [scalar_type(ty), "null"]}),
    }
}

fn mock_schema(param: &OutputParameter) -> Value {
    if param.value.is_some() {
        // Mock values are written as text and returned as such (numbers and booleans too).
        return json!({"type": "string"});
    }
    if let Some(constant) = &param.constant {
        return json!({ "const": constant });
    }
    match param.ty {
        ParamType::Object => match &param.properties {
            Some(properties) => object_schema(properties, mock_schema),
            None => json!({"type": "object"}),
        },
        ParamType::Array => match &param.items {
            Some(OutputItems::One(item)) => json!({"type": "array", "items": mock_schema(item)}),
            _ => json!({"type": "array"}),
        },
        _ => json!({"type": "string"}),
    }
}

fn object_schema(
    properties: &IndexMap<String, OutputParameter>,
    of: fn(&OutputParameter) -> Value,
) -> Value {
    let members: Map<String, Value> = properties
        .iter()
        .map(|(name, property)| (name.clone(), of(property)))
        .collect();
    let required: Vec<&String> = properties.keys().collect();
    json!({"type": "object", "properties": members, "required": required})
}

/// Whether a schema's root is an object that is never `null` (MCP output schemas need one).
pub fn is_object_root(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Vec<OutputParameter> {
        yaml_serde::from_str(yaml).expect("output parameters")
    }

    #[test]
    fn objects_list_their_properties_and_scalars_are_nullable() {
        let params = parse(
            "- type: object\n  properties:\n    id: {type: string, mapping: $.id}\n    n: {type: number, mapping: $.n}\n",
        );
        let OutputShape::Mapped { schema, .. } = shape(&params, false) else {
            panic!("mapped");
        };
        assert_eq!(
            schema,
            json!({"type": "object", "properties": {
                "id": {"type": ["string", "null"]},
                "n": {"type": ["number", "null"]}
            }, "required": ["id", "n"]})
        );
        assert!(is_object_root(&schema));
    }

    #[test]
    fn arrays_describe_their_items() {
        let params = parse(
            "- type: array\n  mapping: $.users\n  items:\n    type: object\n    properties:\n      id: {type: string, mapping: $.id}\n",
        );
        let OutputShape::Mapped { schema, .. } = shape(&params, false) else {
            panic!("mapped");
        };
        assert_eq!(schema["type"], "array");
        assert_eq!(
            schema["items"]["properties"]["id"]["type"],
            json!(["string", "null"])
        );
        assert!(!is_object_root(&schema));
    }

    #[test]
    fn whole_body_object_is_a_passthrough_and_no_parameters_too() {
        let params = parse("- type: object\n  mapping: $.\n");
        assert!(matches!(shape(&params, false), OutputShape::Passthrough));
        assert!(matches!(shape(&[], false), OutputShape::Passthrough));
    }

    #[test]
    fn several_parameters_are_alternatives() {
        let params = parse("- {type: string, mapping: $.a}\n- {type: number, mapping: $.b}\n");
        let OutputShape::Mapped { schema, parameters } = shape(&params, false) else {
            panic!("mapped");
        };
        assert_eq!(parameters.len(), 2);
        assert_eq!(schema["anyOf"].as_array().map(Vec::len), Some(2));
    }
}
