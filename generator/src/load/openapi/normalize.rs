//! Rewrites OpenAPI 3.1 (JSON Schema 2020-12) forms into the forms the typed 3.0 model carries.
//!
//! Works on one schema object at a time; the walker in `walk.rs` finds every schema. What has
//! no 3.0 equivalent is removed and reported, never silently dropped.

use serde_json::{Map, Value, json};

use crate::load::diagnostics::{Code, pointer_join};

/// Something the normaliser did or could not do, at a pointer of the document.
#[derive(Debug, Clone)]
pub struct Finding {
    pub code: Code,
    pub pointer: String,
    pub message: String,
}

/// Keywords of JSON Schema 2020-12 that the 3.0 model has no place for.
const NOT_CARRIED: &[&str] = &[
    "prefixItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contains",
    "minContains",
    "maxContains",
    "patternProperties",
    "propertyNames",
    "$dynamicRef",
    "$dynamicAnchor",
    "$anchor",
    "$recursiveRef",
    "contentSchema",
];

/// Keywords that carry no meaning for code generation and are dropped quietly.
const IGNORED: &[&str] = &["$schema", "$id", "$comment", "$vocabulary"];

/// Normalises the schema at `pointer` (already known to be a schema position) in place.
pub fn schema(node: &mut Value, pointer: &str, is_31: bool, findings: &mut Vec<Finding>) {
    // Boolean schemas: `true` accepts anything, `false` nothing.
    if let Value::Bool(accept) = node {
        *node = if *accept {
            json!({})
        } else {
            json!({"not": {}})
        };
        return;
    }
    let Some(object) = node.as_object_mut() else {
        findings.push(Finding {
            code: Code::OpenApiShape,
            pointer: pointer.to_owned(),
            message: format!("a schema must be an object, found {}", kind_of(node)),
        });
        *node = json!({});
        return;
    };
    ref_with_siblings(object, pointer, is_31, findings);
    if object.contains_key("$ref") {
        return;
    }
    type_array(object, pointer, findings);
    if let Some(value) = object.remove("const") {
        object.insert("enum".to_owned(), Value::Array(vec![value]));
    }
    for (exclusive, inclusive) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Number(limit)) = object.get(exclusive).cloned() {
            object.insert(inclusive.to_owned(), Value::Number(limit));
            object.insert(exclusive.to_owned(), Value::Bool(true));
        }
    }
    if let Some(Value::Array(examples)) = object.remove("examples")
        && !object.contains_key("example")
        && let Some(first) = examples.into_iter().next()
    {
        object.insert("example".to_owned(), first);
    }
    content_keywords(object);
    // 3.0 allows `items` only as a schema; a 2019-style tuple array has no equivalent.
    if matches!(object.get("items"), Some(Value::Array(_))) {
        object.remove("items");
        findings.push(Finding {
            code: Code::NotCarried,
            pointer: pointer_join(pointer, "items"),
            message:
                "tuple-form `items` (an array of schemas) is not carried; items are any JSON value"
                    .to_owned(),
        });
    }
    for key in NOT_CARRIED {
        if object.remove(*key).is_some() {
            findings.push(Finding {
                code: Code::NotCarried,
                pointer: pointer_join(pointer, key),
                message: format!(
                    "JSON Schema keyword `{key}` is not carried by capgen's model; ignored"
                ),
            });
        }
    }
    for key in IGNORED {
        object.remove(*key);
    }
    // An `enum` that is not an array would make the whole document unreadable.
    if object.get("enum").is_some_and(|it| !it.is_array()) {
        object.remove("enum");
        findings.push(Finding {
            code: Code::OpenApiShape,
            pointer: pointer_join(pointer, "enum"),
            message: "`enum` must be an array; ignored".to_owned(),
        });
    }
    required_list(object, pointer, findings);
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `$ref` with sibling keywords: in 3.1 the siblings apply too; in 3.0 they are ignored by the
/// spec. Both are carried as `allOf: [{$ref}]` plus the siblings, so descriptions survive.
fn ref_with_siblings(
    object: &mut Map<String, Value>,
    pointer: &str,
    is_31: bool,
    findings: &mut Vec<Finding>,
) {
    if !object.contains_key("$ref") || object.len() == 1 {
        return;
    }
    let siblings: Vec<&str> = object
        .keys()
        .filter(|k| *k != "$ref")
        .map(String::as_str)
        .collect();
    let only_docs = siblings.iter().all(|k| {
        matches!(
            *k,
            "description" | "summary" | "title" | "example" | "examples"
        )
    });
    if !is_31 && !only_docs {
        findings.push(Finding {
            code: Code::NotCarried,
            pointer: pointer.to_owned(),
            message: format!(
                "keywords beside `$ref` ({}) are ignored by OpenAPI 3.0; capgen applies them as in 3.1",
                siblings.join(", ")
            ),
        });
    }
    let Some(reference) = object.remove("$ref") else {
        return;
    };
    let mut wrapper = Map::new();
    wrapper.insert("$ref".to_owned(), reference);
    let all_of = object
        .entry("allOf")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = all_of {
        items.insert(0, Value::Object(wrapper));
    }
}

/// `type: [T, "null"]` becomes `type: T, nullable: true`; several non-null types become `anyOf`.
fn type_array(object: &mut Map<String, Value>, pointer: &str, findings: &mut Vec<Finding>) {
    let types = match object.get("type") {
        Some(Value::Array(types)) => types.clone(),
        Some(Value::String(single)) if single == "null" => vec![Value::String("null".to_owned())],
        _ => return,
    };
    let nullable = types.iter().any(|it| it == "null");
    let rest: Vec<Value> = types.into_iter().filter(|it| it != "null").collect();
    object.remove("type");
    if nullable {
        object.insert("nullable".to_owned(), Value::Bool(true));
    }
    match rest.len() {
        0 => {
            // `type: null` alone: only null is valid; carried as a nullable any.
            object.insert("nullable".to_owned(), Value::Bool(true));
        }
        1 => {
            object.insert("type".to_owned(), rest[0].clone());
        }
        _ => {
            if object.contains_key("anyOf") || object.contains_key("oneOf") {
                findings.push(Finding {
                    code: Code::NotCarried,
                    pointer: pointer_join(pointer, "type"),
                    message: "a type list next to `anyOf`/`oneOf` is not carried; the type list is ignored"
                        .to_owned(),
                });
                return;
            }
            let variants = rest.into_iter().map(|ty| json!({"type": ty})).collect();
            object.insert("anyOf".to_owned(), Value::Array(variants));
        }
    }
}

/// `contentEncoding`/`contentMediaType` (3.1) map onto the 3.0 string formats.
fn content_keywords(object: &mut Map<String, Value>) {
    let encoding = object.remove("contentEncoding");
    let media = object.remove("contentMediaType");
    if object.contains_key("format") {
        return;
    }
    if encoding.as_ref().and_then(Value::as_str) == Some("base64") {
        object.insert("format".to_owned(), "byte".into());
    } else if media.is_some() {
        object.insert("format".to_owned(), "binary".into());
    }
}

/// `required` must be a list of names; OpenAPI 2-style `required: true` on a schema is dropped.
fn required_list(object: &mut Map<String, Value>, pointer: &str, findings: &mut Vec<Finding>) {
    match object.get("required") {
        None | Some(Value::Array(_)) => {}
        Some(_) => {
            object.remove("required");
            findings.push(Finding {
                code: Code::OpenApiShape,
                pointer: pointer_join(pointer, "required"),
                message: "`required` in a schema must be a list of property names; ignored"
                    .to_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mut value: Value) -> (Value, Vec<Finding>) {
        let mut findings = Vec::new();
        schema(&mut value, "/s", true, &mut findings);
        (value, findings)
    }

    #[test]
    fn nullable_type_array() {
        let (out, findings) = run(json!({"type": ["string", "null"]}));
        assert_eq!(out, json!({"type": "string", "nullable": true}));
        assert!(findings.is_empty());
    }

    #[test]
    fn multi_type_array_becomes_any_of() {
        let (out, _) = run(json!({"type": ["string", "integer"]}));
        assert_eq!(
            out,
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
        );
    }

    #[test]
    fn const_becomes_single_enum() {
        let (out, _) = run(json!({"type": "string", "const": "x"}));
        assert_eq!(out, json!({"type": "string", "enum": ["x"]}));
    }

    #[test]
    fn numeric_exclusive_minimum() {
        let (out, _) = run(json!({"type": "integer", "exclusiveMinimum": 0}));
        assert_eq!(
            out,
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true})
        );
    }

    #[test]
    fn ref_with_description_keeps_both() {
        let (out, _) = run(json!({"$ref": "#/components/schemas/A", "description": "d"}));
        assert_eq!(
            out,
            json!({"description": "d", "allOf": [{"$ref": "#/components/schemas/A"}]})
        );
    }

    #[test]
    fn boolean_schemas() {
        assert_eq!(run(json!(true)).0, json!({}));
        assert_eq!(run(json!(false)).0, json!({"not": {}}));
    }

    #[test]
    fn prefix_items_is_reported() {
        let (out, findings) = run(json!({"type": "array", "prefixItems": [{"type": "string"}]}));
        assert_eq!(out, json!({"type": "array"}));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, Code::NotCarried);
        assert_eq!(findings[0].pointer, "/s/prefixItems");
    }
}
