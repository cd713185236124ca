//! `openapi.json`: an OpenAPI 3.1 document of a capability's exposed REST surface, served by the
//! generated server at `GET /openapi.json`.
//!
//! Paths, parameters and bodies come from the exposed operations; responses are the consumed
//! OpenAPI operation's (the server passes upstream statuses through) plus what the server itself
//! answers: `400`, `413`, `502`, `504` (and `401` with inbound authentication) as
//! `application/problem+json`. Schemas are the inputs' JSON Schemas with their `$defs` moved
//! into `components/schemas`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::model::capability::{
    CapabilityModel, Forward, Input, Location, Origin, RestAdapter, RestOperation,
};

/// The file name inside the server crate.
pub const FILE: &str = "openapi.json";

struct Components {
    schemas: BTreeMap<String, Value>,
}

impl Components {
    /// Moves `$defs` into `components/schemas` and rewrites references to them.
    fn adopt(&mut self, schema: &Value) -> Value {
        let mut schema = schema.clone();
        if let Some(Value::Object(defs)) = schema.as_object_mut().and_then(|it| it.remove("$defs"))
        {
            for (name, def) in defs {
                let def = rewrite_refs(def);
                self.schemas.entry(name).or_insert(def);
            }
        }
        rewrite_refs(schema)
    }
}

fn rewrite_refs(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| {
                    let value = match (key.as_str(), value) {
                        ("$ref", Value::String(target)) => {
                            Value::String(target.replacen("#/$defs/", "#/components/schemas/", 1))
                        }
                        (_, other) => rewrite_refs(other),
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(rewrite_refs).collect()),
        other => other,
    }
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

fn parameter(components: &mut Components, input: &Input) -> Value {
    let location = match input.location {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
        Location::Cookie => "cookie",
        Location::Body => "query",
    };
    let mut param = json!({
        "name": input.name,
        "in": location,
        "required": input.required || input.location == Location::Path,
        "schema": components.adopt(&input.schema),
    });
    if let Some(description) = &input.description {
        param["description"] = json!(description);
    }
    param
}

fn operation(
    components: &mut Components,
    model: &CapabilityModel,
    adapter: &RestAdapter,
    op: &RestOperation,
) -> Value {
    let consumed = op
        .call
        .as_ref()
        .map(|call| &model.consumes[call.api].operations[call.index]);
    let mut responses = Map::new();
    if let Some(schema) = op.output.schema() {
        // The output mappings shape every answer, whatever the upstream status.
        responses.insert(
            "200".to_owned(),
            json!({
                "description": "The result, shaped by the capability's output parameters",
                "content": {"application/json": {"schema": components.adopt(schema)}}
            }),
        );
    } else if let Some(openapi) = consumed.and_then(|it| it.openapi.as_ref()) {
        for response in &openapi.responses {
            let mut entry = json!({"description": if response.description.is_empty() { "Upstream response" } else { &response.description }});
            if let (Some(media), Some(schema)) = (&response.media_type, &response.schema) {
                entry["content"] = json!({ media: {"schema": components.adopt(schema)} });
            }
            if !response.headers.is_empty() {
                let headers: Map<String, Value> = response
                    .headers
                    .iter()
                    .map(|(name, schema)| {
                        (name.clone(), json!({"schema": components.adopt(schema)}))
                    })
                    .collect();
                entry["headers"] = Value::Object(headers);
            }
            responses.insert(response.status.clone(), entry);
        }
    }
    if !responses.keys().any(|it| it.starts_with('2')) {
        responses.insert(
            "200".to_owned(),
            json!({"description": "Upstream response, passed through"}),
        );
    }
    let mut own = vec![
        ("400", "Invalid request parameters or body"),
        ("413", "Request body too large"),
        ("502", "The upstream API could not be reached"),
        ("504", "The upstream API did not answer in time"),
    ];
    if adapter.inbound_auth.is_some() {
        own.push(("401", "Missing or invalid credentials"));
    }
    for (status, description) in own {
        match responses.get_mut(status) {
            // The upstream documents this status too: both bodies are possible.
            Some(existing) => {
                let problem = json!({"schema": {"$ref": "#/components/schemas/Problem"}});
                match existing.get_mut("content").and_then(Value::as_object_mut) {
                    Some(content) => {
                        content.insert("application/problem+json".to_owned(), problem);
                    }
                    None => existing["content"] = json!({"application/problem+json": problem}),
                }
            }
            None => {
                responses.insert(status.to_owned(), problem_response(description));
            }
        }
    }
    let parameters: Vec<Value> = op
        .inputs
        .iter()
        .filter(|it| it.location != Location::Body)
        .map(|it| parameter(components, it))
        .collect();
    let summary = op
        .summary
        .clone()
        .or_else(|| op.description.clone())
        .unwrap_or_else(|| op.name.clone());
    let mut res = json!({
        "operationId": op.name,
        "summary": summary,
        "description": op.description.clone().unwrap_or_else(|| summary.clone()),
        "tags": [adapter.namespace],
        "parameters": parameters,
        "responses": responses,
    });
    let body: Vec<&Input> = op
        .inputs
        .iter()
        .filter(|it| it.location == Location::Body)
        .collect();
    match body.as_slice() {
        [] => {}
        [whole] if whole.body_path.is_none() && whole.origin != Origin::Declared => {
            let mut request_body = json!({
                "required": whole.required,
                "content": {"application/json": {"schema": components.adopt(&whole.schema)}},
            });
            if let Some(description) = &whole.description {
                request_body["description"] = json!(description);
            }
            res["requestBody"] = request_body;
        }
        fields => {
            // Inputs read from fields of one JSON body.
            let mut properties = Map::new();
            let mut required = Vec::new();
            for field in fields {
                let name = field
                    .body_path
                    .as_deref()
                    .and_then(top_level_field)
                    .unwrap_or(&field.name)
                    .to_owned();
                let mut schema = components.adopt(&field.schema);
                if let (Some(description), Value::Object(object)) =
                    (&field.description, &mut schema)
                {
                    object
                        .entry("description")
                        .or_insert_with(|| json!(description));
                }
                if field.required {
                    required.push(json!(name));
                }
                properties.insert(name, schema);
            }
            let mut schema = json!({"type": "object", "properties": properties});
            if !required.is_empty() {
                schema["required"] = Value::Array(required.clone());
            }
            res["requestBody"] = json!({
                "required": !required.is_empty(),
                "content": {"application/json": {"schema": schema}},
            });
        }
    }
    res
}

/// `name` of a JSONPath `$.name` or `$['name']`; `None` for deeper paths.
fn top_level_field(path: &str) -> Option<&str> {
    let rest = path.trim().strip_prefix("$")?;
    if let Some(name) = rest.strip_prefix('.') {
        return (!name.is_empty() && !name.contains(['.', '[', '*'])).then_some(name);
    }
    let inner = rest.strip_prefix("['")?.strip_suffix("']")?;
    (!inner.contains('\'')).then_some(inner)
}

/// The path item of a `forward` resource: every method, the rest of the path as one parameter
/// (OpenAPI has no way to say it may hold slashes, so the description does), the upstream's
/// answer passed through.
fn forward_item(
    model: &CapabilityModel,
    adapter: &RestAdapter,
    forward: &Forward,
) -> (String, Value) {
    let namespace = &model.consumes[forward.api].namespace;
    let path = if forward.below {
        format!("{}/{{path}}", forward.prefix.trim_end_matches('/'))
    } else {
        forward.prefix.clone()
    };
    let below = if forward.below {
        " and every path below it"
    } else {
        ""
    };
    let trusted = if forward.trusted_headers.is_empty() {
        "no header of the caller".to_owned()
    } else {
        format!(
            "only the caller's headers {}",
            forward.trusted_headers.join(", ")
        )
    };
    let description = format!(
        "{}Forwarded to the `{namespace}` API as it comes ({}{below}): same method, query string and body, {trusted}.",
        forward
            .description
            .as_deref()
            .map(|it| format!("{it}\n\n"))
            .unwrap_or_default(),
        forward.prefix,
    );
    let mut item = Map::new();
    for method in ["get", "put", "post", "delete", "patch"] {
        let mut op = json!({
            "operationId": format!("forward-{}-{method}", namespace),
            "summary": format!("{} {path} (forwarded to `{namespace}`)", method.to_uppercase()),
            "description": description,
            "tags": [adapter.namespace],
            "responses": {
                "200": {"description": "The upstream's answer, passed through (any status)"},
                "400": problem_response("A path segment with malformed percent-encoding or a dot segment"),
                "413": problem_response("Request body too large"),
                "502": problem_response("The upstream API could not be reached"),
                "504": problem_response("The upstream API did not answer in time"),
            },
        });
        if forward.below {
            op["parameters"] = json!([{
                "name": "path",
                "in": "path",
                "required": true,
                "description": "The rest of the path, slashes included",
                "schema": {"type": "string"},
            }]);
        }
        if matches!(method, "put" | "post" | "patch") {
            op["requestBody"] = json!({"required": false, "content": {"*/*": {"schema": {}}}});
        }
        if adapter.inbound_auth.is_some() {
            op["responses"]["401"] = problem_response("Missing or invalid credentials");
        }
        item.insert(method.to_owned(), op);
    }
    (path, Value::Object(item))
}

/// The OpenAPI document of the capability's REST adapters.
pub fn document(
    model: &CapabilityModel,
    crate_version: &str,
    case_insensitive_paths: bool,
) -> Value {
    let mut components = Components {
        schemas: BTreeMap::new(),
    };
    components.schemas.insert(
        "Problem".to_owned(),
        json!({
            "type": "object",
            "description": "An RFC 9457 problem document",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"}
            },
            "required": ["title", "status"]
        }),
    );
    let mut paths: Map<String, Value> = Map::new();
    let mut tags = Vec::new();
    let mut servers = Vec::new();
    for adapter in &model.rest {
        tags.push(json!({"name": adapter.namespace, "description": format!("Operations of the `{}` REST adapter", adapter.namespace)}));
        servers.push(json!({"url": format!("http://localhost:{}", adapter.port), "description": "Local server"}));
        for op in &adapter.operations {
            let entry = paths.entry(op.path.clone()).or_insert_with(|| json!({}));
            entry[op.method.to_lowercase()] = operation(&mut components, model, adapter, op);
        }
        for forward in &adapter.forwards {
            let (path, item) = forward_item(model, adapter, forward);
            paths.insert(path, item);
        }
    }
    let title = model
        .label
        .clone()
        .unwrap_or_else(|| "REST adapter".to_owned());
    let mut description = model.description.clone().unwrap_or_else(|| title.clone());
    // What OpenAPI cannot express about the routes, said in words.
    description.push_str(if case_insensitive_paths {
        "\n\nPath literals match regardless of case, and a trailing slash is accepted. A query parameter an operation does not list is answered 400."
    } else {
        "\n\nA trailing slash is accepted. A query parameter an operation does not list is answered 400."
    });
    if model.rest.iter().any(|it| !it.forwards.is_empty()) {
        description.push_str(
            " Forwarded paths match their prefix as written and pass any query parameter on.",
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "description": description,
            "version": crate_version,
            "contact": {"name": "Generated by capgen", "url": "https://github.com/capgen"}
        },
        "servers": servers,
        "tags": tags,
        "paths": paths,
        "components": {"schemas": components.schemas},
    })
}
