//! Naftiko output mappings: projecting an upstream JSON body through `outputParameters`
//! (`type`, `mapping` as an RFC 9535 JSONPath, `value`, `properties`, `items`), as the Naftiko
//! engine does. `$` and `$.` select the whole document; a path that selects nothing is `null`;
//! a path that can select several nodes (wildcards, filters, slices, unions, descendants)
//! always gives an array. Of several output parameters the first non-null result is returned.
//! Mock outputs (`value` only) render their Mustache `value`s over the inputs.

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use crate::support::mustache;

/// What an exposed operation or tool returns (the parameter lists are JSON text).
#[derive(Debug, Clone, Copy)]
pub enum Output {
    /// The upstream body as it is.
    Passthrough,
    /// A projection of the upstream body.
    Mapped(&'static str),
    /// No upstream call: the values of the output parameters.
    Mock(&'static str),
}

/// [`Output`] with its parameters parsed once.
#[derive(Debug, Clone)]
pub enum Compiled {
    /// The upstream body as it is.
    Passthrough,
    /// A projection of the upstream body.
    Mapped(Vec<Value>),
    /// Fixed values.
    Mock(Vec<Value>),
}

impl Output {
    /// Parses the parameter lists (generated, so they parse).
    pub fn compile(self) -> Compiled {
        let parse = |text: &str| -> Vec<Value> { serde_json::from_str(text).unwrap_or_default() };
        match self {
            Output::Passthrough => Compiled::Passthrough,
            Output::Mapped(text) => Compiled::Mapped(parse(text)),
            Output::Mock(text) => Compiled::Mock(parse(text)),
        }
    }
}

/// Whether a JSONPath can select several nodes (Jayway's "indefinite" paths).
fn is_indefinite(path: &str) -> bool {
    let mut in_quotes: Option<char> = None;
    let mut in_brackets = false;
    let mut previous = '\0';
    for c in path.chars() {
        match (in_quotes, c) {
            (Some(q), _) if c == q && previous != '\\' => in_quotes = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => in_quotes = Some(c),
            (None, '[') => in_brackets = true,
            (None, ']') => in_brackets = false,
            (None, '*' | '?') => return true,
            (None, ':' | ',') if in_brackets => return true,
            (None, '.') if previous == '.' => return true,
            _ => {}
        }
        previous = c;
    }
    false
}

/// The nodes `path` selects in `root`: one value, `null` when nothing, an array for
/// indefinite paths.
pub fn select(path: &str, root: &Value) -> Value {
    select_found(path, root).unwrap_or(Value::Null)
}

/// Like [`select`], but `None` when a definite path selects nothing (a present `null` is
/// `Some(Value::Null)`).
pub fn select_found(path: &str, root: &Value) -> Option<Value> {
    let path = path.trim();
    if path == "$" || path == "$." {
        return Some(root.clone());
    }
    let compiled = parse(path)?;
    let nodes = compiled.query(root).all();
    if is_indefinite(path) {
        return Some(Value::Array(nodes.into_iter().cloned().collect()));
    }
    nodes.first().map(|it| (*it).clone())
}

/// `path` as RFC 9535 JSONPath. Names that RFC 9535 does not allow in dot notation but Jayway
/// (the engine's JSONPath) does, such as `$.imo-number` or `$.user details`, are read in
/// bracket notation.
fn parse(path: &str) -> Option<JsonPath> {
    JsonPath::parse(path)
        .ok()
        .or_else(|| JsonPath::parse(&bracketed(path)?).ok())
}

/// Dot-notation segments rewritten as `['name']` where the name is not an RFC 9535 shorthand.
fn bracketed(path: &str) -> Option<String> {
    let rest = path.strip_prefix('$')?;
    let mut out = String::with_capacity(path.len() + 8);
    out.push('$');
    let bytes = rest.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'.' => {
                let descendant = bytes.get(at + 1) == Some(&b'.');
                let start = at + if descendant { 2 } else { 1 };
                let end = rest[start..]
                    .find(['.', '['])
                    .map_or(rest.len(), |it| start + it);
                let name = &rest[start..end];
                let shorthand = name == "*"
                    || (!name.is_empty()
                        && !name.starts_with(|c: char| c.is_ascii_digit())
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()));
                if descendant {
                    out.push_str("..");
                }
                if shorthand {
                    if !descendant {
                        out.push('.');
                    }
                    out.push_str(name);
                } else if !name.is_empty() {
                    out.push_str("['");
                    out.push_str(&name.replace('\\', "\\\\").replace('\'', "\\'"));
                    out.push_str("']");
                }
                at = end;
            }
            b'[' => {
                // Copy the bracket as written, quotes respected.
                let mut quote: Option<u8> = None;
                let start = at;
                while at < bytes.len() {
                    let c = bytes[at];
                    match quote {
                        Some(_) if c == b'\\' => at += 1,
                        Some(q) if c == q => quote = None,
                        Some(_) => {}
                        None if c == b'\'' || c == b'"' => quote = Some(c),
                        None if c == b']' => {
                            at += 1;
                            break;
                        }
                        None => {}
                    }
                    at += 1;
                }
                out.push_str(&rest[start..at.min(rest.len())]);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Projects `root` through one output parameter. `inputs` render Mustache `value`s.
pub fn project(parameter: &Value, root: &Value, inputs: &Map<String, Value>) -> Value {
    let kind = parameter
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object");
    if let Some(value) = parameter.get("value").and_then(Value::as_str) {
        return Value::String(render(value, inputs));
    }
    let mapping = parameter.get("mapping").and_then(Value::as_str);
    match kind {
        "object" => {
            let Some(properties) = parameter.get("properties").and_then(Value::as_object) else {
                return mapping
                    .map(|it| select(it, root))
                    .unwrap_or_else(|| root.clone());
            };
            // Property mappings are evaluated against the object's own node: the response root
            // at the top (the engine ignores a top-level object's `mapping`), the selected node
            // below it.
            let node = match (mapping, parameter.get("nested")) {
                (Some(path), Some(Value::Bool(true))) => select(path, root),
                _ => root.clone(),
            };
            let object: Map<String, Value> = properties
                .iter()
                .map(|(name, property)| (name.clone(), project(&nest(property), &node, inputs)))
                .collect();
            Value::Object(object)
        }
        "array" => {
            let selected = mapping
                .map(|it| select(it, root))
                .unwrap_or_else(|| root.clone());
            let elements = match selected {
                Value::Array(elements) => elements,
                Value::Null => return Value::Array(Vec::new()),
                // A single node where a list was expected: a list of one.
                other => vec![other],
            };
            let items = match parameter.get("items") {
                Some(Value::Array(many)) if many.len() == 1 => many.first(),
                Some(one) if one.is_object() => Some(one),
                _ => None,
            };
            match items {
                // Item mappings are evaluated relative to each element.
                Some(items) => Value::Array(
                    elements
                        .iter()
                        .map(|element| project(items, element, inputs))
                        .collect(),
                ),
                None => Value::Array(elements),
            }
        }
        _ => match parameter.get("const").filter(|it| !it.is_null()) {
            Some(constant) => constant.clone(),
            None => mapping.map(|it| select(it, root)).unwrap_or(Value::Null),
        },
    }
}

/// Marks a nested object parameter: its `mapping` selects the node its properties read from.
fn nest(property: &Value) -> Value {
    let is_object = property.get("type").and_then(Value::as_str) == Some("object");
    if !is_object || property.get("mapping").is_none() || property.get("properties").is_none() {
        return property.clone();
    }
    let mut nested = property.clone();
    if let Value::Object(object) = &mut nested {
        object.insert("nested".to_owned(), Value::Bool(true));
    }
    nested
}

/// The first output parameter that yields a non-null value (`null` when none does).
pub fn project_first(parameters: &[Value], root: &Value, inputs: &Map<String, Value>) -> Value {
    for parameter in parameters {
        let value = project(parameter, root, inputs);
        if !value.is_null() {
            return value;
        }
    }
    Value::Null
}

fn render(template: &str, inputs: &Map<String, Value>) -> String {
    let lookup = |name: &str| inputs.get(name).cloned();
    mustache::render(template, &lookup)
}

/// A mock output parameter's value: `value` rendered over the inputs (or `const`), objects
/// built from their properties.
pub fn mock(parameter: &Value, inputs: &Map<String, Value>) -> Value {
    if let Some(value) = parameter.get("value").and_then(Value::as_str) {
        return Value::String(render(value, inputs));
    }
    if let Some(constant) = parameter.get("const").filter(|it| !it.is_null()) {
        return constant.clone();
    }
    if let Some(properties) = parameter.get("properties").and_then(Value::as_object) {
        return Value::Object(
            properties
                .iter()
                .map(|(name, property)| (name.clone(), mock(property, inputs)))
                .collect(),
        );
    }
    // An array of mock items: one example element.
    match parameter.get("items") {
        Some(Value::Array(items)) => {
            Value::Array(items.iter().map(|item| mock(item, inputs)).collect())
        }
        Some(item) if item.is_object() => Value::Array(vec![mock(item, inputs)]),
        _ => Value::Null,
    }
}

/// The mock result: named parameters make an object of their values (as the engine answers a
/// mock operation); unnamed ones give the first non-null value.
pub fn mock_first(parameters: &[Value], inputs: &Map<String, Value>) -> Value {
    let named = !parameters.is_empty()
        && parameters
            .iter()
            .all(|it| it.get("name").and_then(Value::as_str).is_some());
    if named {
        return Value::Object(
            parameters
                .iter()
                .filter_map(|it| {
                    let name = it.get("name")?.as_str()?.to_owned();
                    Some((name, mock(it, inputs)))
                })
                .collect(),
        );
    }
    parameters
        .iter()
        .map(|it| mock(it, inputs))
        .find(|it| !it.is_null())
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn none() -> Map<String, Value> {
        Map::new()
    }

    #[test]
    fn object_properties_map_from_the_root() {
        let parameter = json!({"type": "object", "properties": {
            "id": {"type": "string", "mapping": "$.instanceId"},
            "status": {"type": "string", "mapping": "$.runtimeStatus"}
        }});
        let out = project(
            &parameter,
            &json!({"instanceId": "a", "runtimeStatus": "Running", "x": 1}),
            &none(),
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
            &none(),
        );
        assert_eq!(out, json!([{"n": "a"}, {"n": "b"}]));
    }

    #[test]
    fn indefinite_paths_always_give_arrays() {
        let root = json!({"items": [{"name": "a"}], "n": [1, 2, 3]});
        assert_eq!(select("$.items[*].name", &root), json!(["a"]));
        assert_eq!(select("$.n[0:2]", &root), json!([1, 2]));
        assert_eq!(select("$..name", &root), json!(["a"]));
        assert_eq!(select("$.items[?@.name == 'a'].name", &root), json!(["a"]));
        assert_eq!(select("$.n[1]", &root), json!(2));
        assert_eq!(select("$.missing", &root), Value::Null);
        assert_eq!(select("$['items'][0]['name']", &root), json!("a"));
    }

    #[test]
    fn names_jayway_allows_in_dot_notation_are_read() {
        let root =
            json!({"imo-number": "IMO-1", "user details": {"e-mail": "a@b"}, "l": [{"x-y": 1}]});
        assert_eq!(select("$.imo-number", &root), json!("IMO-1"));
        assert_eq!(select("$.user details.e-mail", &root), json!("a@b"));
        assert_eq!(select("$.l[0].x-y", &root), json!(1));
        assert_eq!(select("$..x-y", &root), json!([1]));
        assert_eq!(select_found("$.absent", &root), None);
        assert_eq!(select_found("$.n", &json!({"n": null})), Some(Value::Null));
    }

    #[test]
    fn the_first_non_null_parameter_wins() {
        let parameters = [
            json!({"type": "string", "mapping": "$.absent"}),
            json!({"type": "string", "mapping": "$.present"}),
        ];
        let out = project_first(&parameters, &json!({"present": "yes"}), &none());
        assert_eq!(out, json!("yes"));
    }

    #[test]
    fn nested_objects_read_from_their_mapping() {
        let parameter = json!({"type": "object", "properties": {
            "owner": {"type": "object", "mapping": "$.owner", "properties": {
                "name": {"type": "string", "mapping": "$.name"}
            }}
        }});
        let out = project(&parameter, &json!({"owner": {"name": "x"}}), &none());
        assert_eq!(out, json!({"owner": {"name": "x"}}));
    }

    #[test]
    fn named_mock_parameters_make_an_object() {
        let mut inputs = Map::new();
        inputs.insert("name".to_owned(), json!("Nina"));
        let parameters = [
            json!({"name": "message", "type": "string", "value": "Hello, {{name}}!"}),
            json!({"name": "source", "type": "string", "value": "aggregate-mock"}),
        ];
        assert_eq!(
            mock_first(&parameters, &inputs),
            json!({"message": "Hello, Nina!", "source": "aggregate-mock"})
        );
    }

    #[test]
    fn mock_values_render_over_the_inputs() {
        let mut inputs = Map::new();
        inputs.insert("who".to_owned(), json!("Ada"));
        let parameter = json!({"type": "object", "properties": {
            "greeting": {"type": "string", "value": "Hello, {{who}}!"},
            "fixed": {"type": "string", "value": "x"}
        }});
        assert_eq!(
            mock(&parameter, &inputs),
            json!({"greeting": "Hello, Ada!", "fixed": "x"})
        );
    }
}
