//! Reading the OpenAPI side of the join: operations by method and path, their parameters,
//! bodies and success responses, as JSON Schema.

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, PathItem, ReferenceOr, RequestBody,
    Response, SecurityScheme, StatusCode,
};
use serde_json::{Value, json};

use crate::load::capability::model::ParamType;
use crate::load::openapi::OpenApiDocument;
use crate::model::capability::{Location, ResponseInfo};
use crate::model::json_schema::Localizer;

/// One OpenAPI operation, found by method and path.
pub struct Found<'a> {
    pub path: &'a str,
    pub method: &'static str,
    pub item: &'a PathItem,
    pub operation: &'a Operation,
}

const METHODS: &[&str] = &[
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
];

fn operation_of<'a>(item: &'a PathItem, method: &str) -> Option<&'a Operation> {
    match method {
        "GET" => item.get.as_ref(),
        "PUT" => item.put.as_ref(),
        "POST" => item.post.as_ref(),
        "DELETE" => item.delete.as_ref(),
        "OPTIONS" => item.options.as_ref(),
        "HEAD" => item.head.as_ref(),
        "PATCH" => item.patch.as_ref(),
        "TRACE" => item.trace.as_ref(),
        _ => None,
    }
}

/// Every operation of the document, in document order.
pub fn operations(spec: &OpenAPI) -> Vec<Found<'_>> {
    let mut res = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for method in METHODS {
            if let Some(operation) = operation_of(item, method) {
                res.push(Found {
                    path,
                    method,
                    item,
                    operation,
                });
            }
        }
    }
    res
}

pub fn resolve_parameter<'a>(
    spec: &'a OpenAPI,
    param: &'a ReferenceOr<Parameter>,
) -> Option<&'a Parameter> {
    match param {
        ReferenceOr::Item(it) => Some(it),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/")?;
            match spec.components.as_ref()?.parameters.get(name)? {
                ReferenceOr::Item(it) => Some(it),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }
}

fn resolve_body<'a>(
    spec: &'a OpenAPI,
    body: &'a ReferenceOr<RequestBody>,
) -> Option<&'a RequestBody> {
    match body {
        ReferenceOr::Item(it) => Some(it),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/requestBodies/")?;
            match spec.components.as_ref()?.request_bodies.get(name)? {
                ReferenceOr::Item(it) => Some(it),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }
}

fn resolve_response<'a>(
    spec: &'a OpenAPI,
    response: &'a ReferenceOr<Response>,
) -> Option<&'a Response> {
    match response {
        ReferenceOr::Item(it) => Some(it),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/responses/")?;
            match spec.components.as_ref()?.responses.get(name)? {
                ReferenceOr::Item(it) => Some(it),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }
}

fn resolve_header<'a>(
    spec: &'a OpenAPI,
    header: &'a ReferenceOr<openapiv3::Header>,
) -> Option<&'a openapiv3::Header> {
    match header {
        ReferenceOr::Item(it) => Some(it),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/headers/")?;
            match spec.components.as_ref()?.headers.get(name)? {
                ReferenceOr::Item(it) => Some(it),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }
}

/// A parameter as the join sees it.
pub struct ParamInfo {
    pub name: String,
    pub location: Location,
    pub required: bool,
    pub schema: Value,
    pub description: Option<String>,
}

/// The parameters of an operation (path-level ones first, overridden by operation-level ones),
/// without those that carry credentials of an apiKey security scheme.
pub fn parameters(
    doc: &OpenApiDocument,
    found: &Found<'_>,
    secret_params: &[(String, Location)],
) -> Vec<ParamInfo> {
    let spec = &doc.spec;
    let mut res: Vec<ParamInfo> = Vec::new();
    let all = found
        .item
        .parameters
        .iter()
        .chain(found.operation.parameters.iter());
    for param in all.filter_map(|it| resolve_parameter(spec, it)) {
        let (data, location) = match param {
            Parameter::Path { parameter_data, .. } => (parameter_data, Location::Path),
            Parameter::Query { parameter_data, .. } => (parameter_data, Location::Query),
            Parameter::Header { parameter_data, .. } => (parameter_data, Location::Header),
            Parameter::Cookie { parameter_data, .. } => (parameter_data, Location::Cookie),
        };
        if secret_params
            .iter()
            .any(|(name, loc)| *loc == location && name.eq_ignore_ascii_case(&data.name))
        {
            continue;
        }
        let raw_schema = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => {
                serde_json::to_value(schema).unwrap_or(json!({}))
            }
            ParameterSchemaOrContent::Content(content) => content
                .values()
                .next()
                .and_then(|media| media.schema.as_ref())
                .and_then(|schema| serde_json::to_value(schema).ok())
                .unwrap_or(json!({})),
        };
        let info = ParamInfo {
            name: data.name.clone(),
            location,
            required: data.required || location == Location::Path,
            schema: localize(doc, &raw_schema),
            description: data.description.clone(),
        };
        match res
            .iter_mut()
            .find(|it| it.name == info.name && it.location == info.location)
        {
            Some(existing) => *existing = info,
            None => res.push(info),
        }
    }
    res
}

/// The request body: (required, JSON Schema, description), preferring a JSON media type.
pub fn body(doc: &OpenApiDocument, found: &Found<'_>) -> Option<(bool, Value, Option<String>)> {
    let body = resolve_body(&doc.spec, found.operation.request_body.as_ref()?)?;
    let media = body
        .content
        .iter()
        .find(|(name, _)| is_json(name))
        .or_else(|| body.content.iter().next())
        .map(|(_, media)| media)?;
    let schema = media
        .schema
        .as_ref()
        .and_then(|it| serde_json::to_value(it).ok())
        .unwrap_or(json!({}));
    Some((
        body.required,
        localize(doc, &schema),
        body.description.clone(),
    ))
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// The schema every 2xx body satisfies (when they all have the same one), and whether some 2xx
/// response has no body.
pub fn success(doc: &OpenApiDocument, found: &Found<'_>) -> (Option<Value>, bool) {
    let mut schemas: Vec<Value> = Vec::new();
    let mut without_body = false;
    let mut any = false;
    for (status, response) in &found.operation.responses.responses {
        let success = match status {
            StatusCode::Code(code) => (200..300).contains(code),
            StatusCode::Range(range) => *range == 2,
        };
        if !success {
            continue;
        }
        any = true;
        let Some(response) = resolve_response(&doc.spec, response) else {
            continue;
        };
        match response.content.iter().find(|(name, _)| is_json(name)) {
            Some((_, media)) => {
                let schema = media
                    .schema
                    .as_ref()
                    .and_then(|it| serde_json::to_value(it).ok())
                    .unwrap_or(json!({}));
                schemas.push(schema);
            }
            None => without_body = true,
        }
    }
    if !any {
        return (None, true);
    }
    schemas.dedup();
    let schema = match schemas.as_slice() {
        [one] => Some(localize(doc, one)),
        _ => None,
    };
    (schema, without_body)
}

/// Every documented response of an operation.
pub fn responses(doc: &OpenApiDocument, found: &Found<'_>) -> Vec<ResponseInfo> {
    let mut res = Vec::new();
    let all = found
        .operation
        .responses
        .responses
        .iter()
        .map(|(status, response)| (status.to_string(), response))
        .chain(
            found
                .operation
                .responses
                .default
                .iter()
                .map(|it| ("default".to_owned(), it)),
        );
    for (status, response) in all {
        let Some(response) = resolve_response(&doc.spec, response) else {
            continue;
        };
        let media = response
            .content
            .iter()
            .find(|(name, _)| is_json(name))
            .or_else(|| response.content.iter().next());
        let (media_type, schema) = match media {
            Some((name, media)) => {
                let schema = media
                    .schema
                    .as_ref()
                    .and_then(|it| serde_json::to_value(it).ok())
                    .unwrap_or(json!({}));
                (Some(name.clone()), Some(localize(doc, &schema)))
            }
            None => (None, None),
        };
        let headers = response
            .headers
            .iter()
            .filter_map(|(name, header)| {
                let header = resolve_header(&doc.spec, header)?;
                let schema = match &header.format {
                    ParameterSchemaOrContent::Schema(schema) => {
                        serde_json::to_value(schema).unwrap_or(json!({}))
                    }
                    ParameterSchemaOrContent::Content(_) => json!({}),
                };
                Some((name.clone(), localize(doc, &schema)))
            })
            .collect();
        res.push(ResponseInfo {
            status,
            description: response.description.clone(),
            media_type,
            schema,
            headers,
        });
    }
    res
}

/// Names and locations of parameters that carry apiKey credentials.
pub fn secret_parameters(doc: &OpenApiDocument) -> Vec<(String, Location)> {
    let Some(components) = doc.spec.components.as_ref() else {
        return Vec::new();
    };
    components
        .security_schemes
        .values()
        .filter_map(|it| match it {
            ReferenceOr::Item(SecurityScheme::APIKey { location, name, .. }) => {
                let location = match location {
                    openapiv3::APIKeyLocation::Query => Location::Query,
                    openapiv3::APIKeyLocation::Header => Location::Header,
                    openapiv3::APIKeyLocation::Cookie => Location::Cookie,
                };
                Some((name.clone(), location))
            }
            _ => None,
        })
        .collect()
}

fn localize(doc: &OpenApiDocument, schema: &Value) -> Value {
    let mut localizer = Localizer::new(&doc.raw);
    let converted = localizer.convert(schema);
    localizer.finish(converted)
}

/// The JSON Schema of a declared Naftiko parameter type.
pub fn declared_schema(ty: Option<ParamType>) -> Value {
    match ty {
        // Naftiko declares no item type: any items.
        Some(ParamType::Array) => json!({ "type": "array", "items": {} }),
        Some(ty) => json!({ "type": ty.as_str() }),
        None => json!({ "type": "string" }),
    }
}

/// The JSON Schema `type` of a schema, when it names exactly one (ignoring `null`).
pub fn schema_type(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(ty) => Some(ty),
        Value::Array(types) => {
            let mut non_null = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|it| *it != "null");
            let first = non_null.next()?;
            non_null.next().is_none().then_some(first)
        }
        _ => None,
    }
}

/// Whether a declared Naftiko type fits an OpenAPI schema (`integer` fits `number`, anything
/// fits a schema without a type).
pub fn compatible(declared: ParamType, schema: &Value) -> bool {
    match schema_type(schema) {
        None => true,
        Some(ty) => ty == declared.as_str() || (ty == "number" && declared == ParamType::Integer),
    }
}
