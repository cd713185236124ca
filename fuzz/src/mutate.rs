//! A structure-aware mutator: most mutations parse the document, change its tree (replace,
//! remove, insert, rename, wrap in `allOf`/`oneOf`, point a node at another one with `$ref`,
//! splice subtrees and strings across the documents of an input) and print it again as YAML or
//! JSON. Byte-level mutations (libFuzzer's own) still run a third of the time, for syntax.

use serde_json::{Map, Value, json};

/// What the target reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One YAML document (JSON is printed now and then: it is YAML too).
    Yaml,
    /// One JSON document.
    Json,
    /// A YAML capability whose syntax follows its first character (`{` means JSON).
    Sniffed,
    /// Up to three YAML documents separated by NUL bytes (the `pipeline` target).
    Parts,
}

/// The `fuzz_mutator!` body.
pub fn mutate(data: &mut [u8], size: usize, max_size: usize, seed: u32, shape: Shape) -> usize {
    let mut rng = Rng::new(seed);
    if rng.below(3) == 0 {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    let input = String::from_utf8_lossy(&data[..size]).into_owned();
    let out = match shape {
        Shape::Parts => mutate_parts(&input, &mut rng),
        Shape::Json => mutate_document(&input, Syntax::Json, &[], &mut rng),
        Shape::Yaml => mutate_document(&input, Syntax::Yaml, &[], &mut rng),
        Shape::Sniffed if input.trim_start().starts_with('{') => mutate_document(&input, Syntax::Json, &[], &mut rng),
        Shape::Sniffed => mutate_document(&input, Syntax::Yaml, &[], &mut rng),
    };
    match out {
        Some(out) if out.len() <= max_size && !out.is_empty() => {
            data[..out.len()].copy_from_slice(out.as_bytes());
            out.len()
        }
        _ => libfuzzer_sys::fuzzer_mutate(data, size, max_size),
    }
}

fn mutate_parts(input: &str, rng: &mut Rng) -> Option<String> {
    let mut parts: Vec<String> = input.splitn(3, '\0').map(str::to_owned).collect();
    let others: Vec<Value> = parts.iter().filter_map(|it| parse(it, Syntax::Yaml)).collect();
    let idx = rng.below(parts.len());
    parts[idx] = mutate_document(&parts[idx], Syntax::Yaml, &others, rng)?;
    Some(parts.join("\0"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Yaml,
    Json,
}

fn parse(text: &str, syntax: Syntax) -> Option<Value> {
    match syntax {
        Syntax::Json => serde_json::from_str(text).ok(),
        Syntax::Yaml => yaml_serde::from_str(text).ok(),
    }
}

/// Applies one to four tree mutations; `others` are documents to splice from.
fn mutate_document(text: &str, syntax: Syntax, others: &[Value], rng: &mut Rng) -> Option<String> {
    let mut doc = parse(text, syntax)?;
    for _ in 0..1 + rng.below(4) {
        mutate_once(&mut doc, others, rng);
    }
    match syntax {
        Syntax::Json if rng.below(2) == 0 => serde_json::to_string(&doc).ok(),
        Syntax::Json => serde_json::to_string_pretty(&doc).ok(),
        Syntax::Yaml if rng.below(5) == 0 => serde_json::to_string_pretty(&doc).ok(),
        Syntax::Yaml => yaml_serde::to_string(&doc).ok(),
    }
}

/// Keys worth inserting: OpenAPI and Naftiko keywords.
const KEYS: &[&str] = &[
    "openapi", "info", "title", "version", "paths", "components", "schemas", "parameters", "responses",
    "requestBody", "requestBodies", "headers", "securitySchemes", "security", "servers", "url", "variables",
    "default", "enum", "description", "get", "put", "post", "delete", "patch", "head", "options", "trace",
    "operationId", "content", "application/json", "application/x-www-form-urlencoded", "multipart/form-data",
    "text/plain", "schema", "$ref", "type", "items", "properties", "additionalProperties", "required",
    "allOf", "oneOf", "anyOf", "not", "discriminator", "propertyName", "mapping", "format", "nullable",
    "const", "examples", "example", "readOnly", "writeOnly", "prefixItems", "$defs", "minimum",
    "exclusiveMinimum", "in", "name", "style", "explode", "webhooks", "callbacks", "links", "x-capgen",
    "200", "201", "204", "2XX", "4XX", "naftiko", "capability", "consumes", "exposes", "binds", "namespace",
    "keys", "baseUri", "authentication", "placement", "value", "key", "resources", "path", "operations",
    "method", "inputParameters", "outputParameters", "outputRawFormat", "call", "with", "tools", "hints",
    "port", "transport", "label", "steps", "aggregates", "ref", "token", "username", "password",
];

fn literals() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1),
        json!(65536),
        json!(1.5),
        json!(1e300),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(""),
        json!("x"),
        json!("/a/{x}/b"),
        json!("{x}"),
        json!("{{x}}"),
        json!("{{env.X}}"),
        json!("$."),
        json!("$.items[0].id"),
        json!("object"),
        json!("array"),
        json!("string"),
        json!("integer"),
        json!("number"),
        json!("boolean"),
        json!("null"),
        json!("3.0.3"),
        json!("3.1.0"),
        json!("1.0.0-alpha1"),
        json!("1.0.0-alpha2"),
        json!("GET"),
        json!("query"),
        json!("path"),
        json!("header"),
        json!("body"),
        json!("#/components/schemas/Pet"),
        json!("common.yaml#/Pet"),
        json!("common.json#/Owner"),
        json!("back.yaml#/Back"),
        json!("broken.yaml#/X"),
        json!([]),
        json!({}),
        json!(["string", "null"]),
        json!({"type": "object"}),
        json!({"type": "array", "items": {}}),
        json!({"$ref": "#"}),
    ]
}

/// Every node's pointer (at most a few thousand).
fn pointers(value: &Value, at: &mut String, out: &mut Vec<String>) {
    if out.len() >= 4096 {
        return;
    }
    out.push(at.clone());
    let len = at.len();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                at.push('/');
                at.push_str(&key.replace('~', "~0").replace('/', "~1"));
                pointers(child, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (idx, child) in items.iter().enumerate() {
                at.push('/');
                at.push_str(&idx.to_string());
                pointers(child, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(it) if out.len() < 4096 => out.push(it.clone()),
        Value::Object(map) => {
            for (key, child) in map {
                if out.len() < 4096 {
                    out.push(key.clone());
                }
                strings(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|it| strings(it, out)),
        _ => {}
    }
}

fn pick<'v, T>(items: &'v [T], rng: &mut Rng) -> Option<&'v T> {
    if items.is_empty() { None } else { items.get(rng.below(items.len())) }
}

fn mutate_once(doc: &mut Value, others: &[Value], rng: &mut Rng) {
    let mut all = Vec::new();
    pointers(doc, &mut String::new(), &mut all);
    let Some(target) = pick(&all, rng).cloned() else { return };
    // A node to splice in: from this document or another one of the input.
    let source: &Value = match pick(others, rng) {
        Some(other) if rng.below(3) == 0 => other,
        _ => doc,
    };
    let mut source_pointers = Vec::new();
    pointers(source, &mut String::new(), &mut source_pointers);
    let spliced = pick(&source_pointers, rng).and_then(|it| source.pointer(it)).cloned().unwrap_or(Value::Null);
    let mut words = Vec::new();
    strings(source, &mut words);
    let word = pick(&words, rng).cloned().unwrap_or_default();
    let literal = pick(&literals(), rng).cloned().unwrap_or(Value::Null);
    let key = if rng.below(2) == 0 { pick(KEYS, rng).map(|it| (*it).to_owned()).unwrap_or_default() } else { word.clone() };
    let reference = match rng.below(4) {
        0 => pick(&literals(), rng).and_then(|it| it.as_str().map(str::to_owned)).unwrap_or_default(),
        _ => format!("#{}", pick(&all, rng).cloned().unwrap_or_default()),
    };
    let choice = rng.below(12);
    let Some(node) = doc.pointer_mut(&target) else { return };
    match choice {
        0 => *node = literal,
        1 => *node = spliced,
        2 => match node {
            Value::Object(map) if !map.is_empty() => {
                if let Some(name) = map.keys().nth(rng.below(map.len())).cloned() {
                    map.shift_remove(&name);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                items.remove(rng.below(items.len()));
            }
            _ => *node = Value::Null,
        },
        3 => match node {
            Value::Object(map) => {
                let value = if rng.below(2) == 0 { spliced } else { literal };
                map.insert(key, value);
            }
            Value::Array(items) => items.push(spliced),
            _ => *node = Value::Object(Map::from_iter([(key, spliced)])),
        },
        4 => *node = json!({ "$ref": reference }),
        5 => {
            if let Value::Object(map) = node
                && !map.is_empty()
            {
                if let Some(name) = map.keys().nth(rng.below(map.len())).cloned()
                    && let Some(value) = map.shift_remove(&name)
                {
                    map.insert(key, value);
                }
            }
        }
        6 => match node {
            Value::Array(items) if !items.is_empty() => {
                let item = items[rng.below(items.len())].clone();
                items.insert(rng.below(items.len() + 1), item);
            }
            Value::Object(map) => {
                map.insert("$ref".to_owned(), Value::String(reference));
            }
            _ => *node = Value::Array(vec![node.clone(), spliced]),
        },
        7 => {
            let keyword = ["allOf", "oneOf", "anyOf"][rng.below(3)];
            let parts = if rng.below(2) == 0 { vec![node.clone()] } else { vec![node.clone(), spliced] };
            let mut wrapper = Map::new();
            wrapper.insert(keyword.to_owned(), Value::Array(parts));
            *node = Value::Object(wrapper);
        }
        8 => {
            let fragments = ["{x}", "{{", "}}", "/", "~1", "%2F", "#", ".", "$", "\u{0}", "é", "\n", " ", "{{env.X}}", "-"];
            let fragment = fragments[rng.below(fragments.len())];
            *node = match node {
                Value::String(text) if rng.below(2) == 0 => {
                    let mut cut = rng.below(text.len() + 1);
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    Value::String(format!("{}{fragment}{}", &text[..cut], &text[cut..]))
                }
                _ => Value::String(word),
            };
        }
        9 => {
            *node = match node {
                Value::Number(n) => match rng.below(4) {
                    0 => Value::String(n.to_string()),
                    1 => json!(n.as_f64().unwrap_or_default() * -1.0),
                    2 => json!(0),
                    _ => json!(n.as_i64().unwrap_or_default().wrapping_add(1)),
                },
                Value::Bool(b) => Value::Bool(!*b),
                Value::String(s) => match s.parse::<f64>() {
                    Ok(n) => json!(n),
                    Err(_) => Value::Array(vec![Value::String(s.clone())]),
                },
                Value::Null => json!({}),
                Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
                Value::Object(map) => Value::Array(map.values().cloned().collect()),
            }
        }
        // Moves: swap this node with another one of the document.
        _ => {
            let other = pick(&all, rng).cloned().unwrap_or_default();
            if other.starts_with(&target) || target.starts_with(&other) {
                return;
            }
            let Some(a) = doc.pointer(&target).cloned() else { return };
            let Some(b) = doc.pointer(&other).cloned() else { return };
            if let Some(node) = doc.pointer_mut(&target) {
                *node = b;
            }
            if let Some(node) = doc.pointer_mut(&other) {
                *node = a;
            }
        }
    }
}

/// xorshift64*: small, deterministic for a given seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u32) -> Rng {
        Rng(u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}
