//! A structural walk over a raw OpenAPI document.
//!
//! OpenAPI gives the same keyword different meanings in different places (`type` is a keyword
//! in a schema but may be a property name inside `properties`), so every rewrite of the raw
//! JSON must know what kind of object it is looking at. [`slots`] lists every position that
//! holds a schema, parameter, response, … together with its JSON pointer; the normaliser and
//! the `$ref` bundler work from that list.

use serde_json::Value;

use crate::load::diagnostics::pointer_join;

/// The kind of object a position holds. Each kind except [`Kind::Operation`] may be a `$ref`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Schema,
    Parameter,
    RequestBody,
    Response,
    Header,
    Example,
    Link,
    Callback,
    PathItem,
    SecurityScheme,
}

impl Kind {
    /// The `components` section objects of this kind live in.
    pub fn component_section(self) -> &'static str {
        match self {
            Kind::Schema => "schemas",
            Kind::Parameter => "parameters",
            Kind::RequestBody => "requestBodies",
            Kind::Response => "responses",
            Kind::Header => "headers",
            Kind::Example => "examples",
            Kind::Link => "links",
            Kind::Callback => "callbacks",
            Kind::PathItem => "pathItems",
            Kind::SecurityScheme => "securitySchemes",
        }
    }

    pub fn from_component_section(section: &str) -> Option<Kind> {
        Some(match section {
            "schemas" => Kind::Schema,
            "parameters" => Kind::Parameter,
            "requestBodies" => Kind::RequestBody,
            "responses" => Kind::Response,
            "headers" => Kind::Header,
            "examples" => Kind::Example,
            "links" => Kind::Link,
            "callbacks" => Kind::Callback,
            "pathItems" => Kind::PathItem,
            "securitySchemes" => Kind::SecurityScheme,
            _ => return None,
        })
    }
}

/// One position in the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub kind: Kind,
    pub pointer: String,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Keywords whose value is one schema.
pub const SCHEMA_SINGLE: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "additionalItems",
];
/// Keywords whose value is a list of schemas.
pub const SCHEMA_LIST: &[&str] = &["allOf", "oneOf", "anyOf", "prefixItems"];
/// Keywords whose value is a map of schemas.
pub const SCHEMA_MAP: &[&str] = &[
    "properties",
    "$defs",
    "patternProperties",
    "dependentSchemas",
];

/// Lists every slot of the document at `root`, which holds an object of `kind` (the whole
/// document when `kind` is `None`).
pub fn slots(root: &Value, root_pointer: &str, kind: Option<Kind>) -> Vec<Slot> {
    let mut out = Vec::new();
    match kind {
        None => document(root, root_pointer, &mut out),
        Some(kind) => slot(root, root_pointer, kind, &mut out),
    }
    out
}

fn document(doc: &Value, pointer: &str, out: &mut Vec<Slot>) {
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        let base = pointer_join(pointer, "paths");
        for (path, item) in paths {
            slot(item, &pointer_join(&base, path), Kind::PathItem, out);
        }
    }
    if let Some(components) = doc.get("components").and_then(Value::as_object) {
        let base = pointer_join(pointer, "components");
        for (section, entries) in components {
            let (Some(kind), Some(entries)) =
                (Kind::from_component_section(section), entries.as_object())
            else {
                continue;
            };
            let section_pointer = pointer_join(&base, section);
            for (name, value) in entries {
                slot(value, &pointer_join(&section_pointer, name), kind, out);
            }
        }
    }
}

fn map_of(value: &Value, pointer: &str, key: &str, kind: Kind, out: &mut Vec<Slot>) {
    if let Some(entries) = value.get(key).and_then(Value::as_object) {
        let base = pointer_join(pointer, key);
        for (name, child) in entries {
            slot(child, &pointer_join(&base, name), kind, out);
        }
    }
}

fn list_of(value: &Value, pointer: &str, key: &str, kind: Kind, out: &mut Vec<Slot>) {
    if let Some(entries) = value.get(key).and_then(Value::as_array) {
        let base = pointer_join(pointer, key);
        for (idx, child) in entries.iter().enumerate() {
            slot(child, &pointer_join(&base, idx), kind, out);
        }
    }
}

fn one(value: &Value, pointer: &str, key: &str, kind: Kind, out: &mut Vec<Slot>) {
    if let Some(child) = value.get(key) {
        slot(child, &pointer_join(pointer, key), kind, out);
    }
}

fn content(value: &Value, pointer: &str, out: &mut Vec<Slot>) {
    let Some(media) = value.get("content").and_then(Value::as_object) else {
        return;
    };
    let base = pointer_join(pointer, "content");
    for (name, media_type) in media {
        let media_pointer = pointer_join(&base, name);
        one(media_type, &media_pointer, "schema", Kind::Schema, out);
        map_of(media_type, &media_pointer, "examples", Kind::Example, out);
        if let Some(encoding) = media_type.get("encoding").and_then(Value::as_object) {
            let encoding_base = pointer_join(&media_pointer, "encoding");
            for (field, entry) in encoding {
                map_of(
                    entry,
                    &pointer_join(&encoding_base, field),
                    "headers",
                    Kind::Header,
                    out,
                );
            }
        }
    }
}

fn slot(value: &Value, pointer: &str, kind: Kind, out: &mut Vec<Slot>) {
    out.push(Slot {
        kind,
        pointer: pointer.to_owned(),
    });
    if kind == Kind::Schema {
        // Boolean schemas (3.1) have no children.
        if !value.is_object() {
            return;
        }
    }
    let Some(object) = value.as_object() else {
        return;
    };
    if object.contains_key("$ref") && kind != Kind::Schema {
        return;
    }
    match kind {
        Kind::Schema => {
            for key in SCHEMA_SINGLE {
                if let Some(child) = object.get(*key)
                    && (child.is_object() || child.is_boolean() && *key != "additionalProperties")
                {
                    slot(child, &pointer_join(pointer, key), Kind::Schema, out);
                }
            }
            for key in SCHEMA_LIST {
                list_of(value, pointer, key, Kind::Schema, out);
            }
            for key in SCHEMA_MAP {
                map_of(value, pointer, key, Kind::Schema, out);
            }
        }
        Kind::PathItem => {
            list_of(value, pointer, "parameters", Kind::Parameter, out);
            for method in METHODS {
                if let Some(operation) = object.get(*method) {
                    let op_pointer = pointer_join(pointer, method);
                    list_of(operation, &op_pointer, "parameters", Kind::Parameter, out);
                    one(
                        operation,
                        &op_pointer,
                        "requestBody",
                        Kind::RequestBody,
                        out,
                    );
                    map_of(operation, &op_pointer, "responses", Kind::Response, out);
                    map_of(operation, &op_pointer, "callbacks", Kind::Callback, out);
                }
            }
        }
        Kind::Parameter | Kind::Header => {
            one(value, pointer, "schema", Kind::Schema, out);
            map_of(value, pointer, "examples", Kind::Example, out);
            content(value, pointer, out);
        }
        Kind::RequestBody => content(value, pointer, out),
        Kind::Response => {
            map_of(value, pointer, "headers", Kind::Header, out);
            map_of(value, pointer, "links", Kind::Link, out);
            content(value, pointer, out);
        }
        Kind::Callback => {
            for (expression, item) in object {
                if !expression.starts_with("x-") {
                    slot(
                        item,
                        &pointer_join(pointer, expression),
                        Kind::PathItem,
                        out,
                    );
                }
            }
        }
        Kind::Example | Kind::Link | Kind::SecurityScheme => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn property_named_type_is_a_schema_not_a_keyword() {
        let doc = json!({
            "openapi": "3.1.0",
            "paths": {},
            "components": {"schemas": {"A": {"properties": {"type": {"type": "string"}}}}}
        });
        let found: Vec<String> = slots(&doc, "", None)
            .into_iter()
            .map(|it| it.pointer)
            .collect();
        assert_eq!(
            found,
            vec![
                "/components/schemas/A",
                "/components/schemas/A/properties/type"
            ]
        );
    }

    #[test]
    fn operation_positions_are_found() {
        let doc = json!({"paths": {"/a/{b}": {"get": {
            "parameters": [{"name": "b", "in": "path", "schema": {"type": "string"}}],
            "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/x"}}}}}
        }}}});
        let kinds: Vec<(Kind, String)> = slots(&doc, "", None)
            .into_iter()
            .map(|it| (it.kind, it.pointer))
            .collect();
        assert!(kinds.contains(&(
            Kind::Schema,
            "/paths/~1a~1{b}/get/responses/200/content/application~1json/schema".to_owned()
        )));
        assert!(kinds.contains(&(
            Kind::Parameter,
            "/paths/~1a~1{b}/get/parameters/0".to_owned()
        )));
    }
}
