//! The consumed side of the join: each `consumes` http entry with its operations, matched to
//! OpenAPI operations, and the inputs each operation needs.

use serde_json::Value;

use crate::load::capability::interpret::{placeholders, template_names};
use crate::load::capability::model::{
    self as cap_model, BodyType, Capability, ConsumedInputParameter, ConsumesHttp, ParamLocation,
    RequestBody,
};
use crate::load::diagnostics::{Code, Diagnostic};
use crate::model::capability::{
    ConsumedApi, ConsumedOperation, DeclaredBody, DeclaredRequest, Input, Location, MultipartPart,
    OpenApiRef, Origin, RawFormat, WireLocation, WireParameter,
};
use crate::model::join::schema::{self, Found};
use crate::model::join::{
    Ctx, auth, bound_value, normalize_template, output, template_key, template_variables,
};

pub fn consumed_apis(ctx: &mut Ctx<'_>) -> Vec<ConsumedApi> {
    let mut res: Vec<ConsumedApi> = Vec::new();
    let cap: &Capability = ctx.cap;
    let imports = ctx.imports;
    for (pointer, consumes) in cap.all_consumes() {
        let namespace = consumes.namespace();
        if let Some(first) = res.iter().find(|it| it.namespace == namespace) {
            let message = format!(
                "consumed namespace `{namespace}` is declared twice (first at {})",
                first.pointer
            );
            let at = match consumes {
                crate::load::capability::model::Consumes::Http(_) => "namespace",
                crate::load::capability::model::Consumes::Imported(_) => "import",
            };
            ctx.report(
                Diagnostic::error(Code::DuplicateName, message),
                format!("{pointer}/{at}"),
            );
            continue;
        }
        match consumes.as_http() {
            Some(http) => res.push(consumed_api(ctx, http, &pointer, namespace)),
            None => {
                // An import: read in its own file, known here by its alias.
                let Some(import) = imports.iter().find(|it| it.pointer == pointer) else {
                    continue;
                };
                let importing = ctx.file;
                ctx.file = &import.file;
                let mut api = consumed_api(ctx, &import.http, &import.source_pointer, namespace);
                ctx.file = importing;
                api.pointer = pointer.clone();
                res.push(api);
            }
        }
    }
    res
}

fn consumed_api(
    ctx: &mut Ctx<'_>,
    http: &ConsumesHttp,
    pointer: &str,
    namespace: &str,
) -> ConsumedApi {
    let host_end = http.base_uri.find("://").map(|it| it + 3).unwrap_or(0);
    let variables = template_variables(&normalize_template(&http.base_uri[host_end..]));
    let auth = http
        .authentication
        .as_ref()
        .and_then(|it| auth(ctx, it, &format!("{pointer}/authentication"), false));
    let mut secret_params = ctx
        .openapi
        .map(schema::secret_parameters)
        .unwrap_or_default();
    if let Some(crate::model::capability::OutboundAuth::ApiKey {
        name, placement, ..
    }) = &auth
    {
        let location = match placement {
            crate::model::capability::KeyPlacement::Query => Location::Query,
            crate::model::capability::KeyPlacement::Header => Location::Header,
            crate::model::capability::KeyPlacement::Cookie => Location::Cookie,
        };
        secret_params.push((name.clone(), location));
    }
    let mut operations = Vec::new();
    for (ri, oi, resource, op) in http.operations() {
        let op_pointer = format!("{pointer}/resources/{ri}/operations/{oi}");
        if let Some(first) = operations
            .iter()
            .find(|it: &&ConsumedOperation| it.name == op.name)
        {
            let message = format!(
                "operation `{}` is declared twice in `{namespace}` (first at {})",
                op.name, first.pointer
            );
            ctx.report(
                Diagnostic::error(Code::DuplicateName, message),
                format!("{op_pointer}/name"),
            );
            continue;
        }
        let path = normalize_template(&resource.path);
        let declared: Vec<(String, &ConsumedInputParameter)> =
            http.input_parameters
                .iter()
                .enumerate()
                .map(|(i, it)| (format!("{pointer}/inputParameters/{i}"), it))
                .chain(
                    resource.input_parameters.iter().enumerate().map(|(i, it)| {
                        (format!("{pointer}/resources/{ri}/inputParameters/{i}"), it)
                    }),
                )
                .chain(
                    op.input_parameters
                        .iter()
                        .enumerate()
                        .map(|(i, it)| (format!("{op_pointer}/inputParameters/{i}"), it)),
                )
                .collect();
        let method = op.method.as_str();
        let path_pointer = format!("{pointer}/resources/{ri}/path");
        let found = find_operation(ctx, method, &path, &op_pointer, &path_pointer);
        let request = declared_request(ctx, &resource.path, &declared, op.body.as_ref());
        let mut inputs = inputs(
            ctx,
            &path,
            &declared,
            found.as_ref(),
            &secret_params,
            &op_pointer,
        );
        add_template_inputs(&mut inputs, &request);
        let openapi = found.as_ref().map(|found| {
            let (success_schema, success_without_body) = ctx
                .openapi
                .map(|doc| schema::success(doc, found))
                .unwrap_or((None, true));
            OpenApiRef {
                method: found.method.to_owned(),
                path: found.path.to_owned(),
                operation_id: found.operation.operation_id.clone(),
                success_schema,
                success_without_body,
                responses: ctx
                    .openapi
                    .map(|doc| schema::responses(doc, found))
                    .unwrap_or_default(),
            }
        });
        operations.push(ConsumedOperation {
            name: op.name.clone(),
            method: method.to_owned(),
            path,
            description: op.description.clone().or_else(|| op.label.clone()),
            openapi,
            inputs,
            request,
            format: raw_format(op.output_raw_format),
            selector: op.output_schema.clone(),
            outputs: op
                .output_parameters
                .iter()
                .map(output::step_projection)
                .collect(),
            pointer: op_pointer,
        });
    }
    ConsumedApi {
        namespace: namespace.to_owned(),
        description: http.description.clone(),
        base_uri: normalize_template(&http.base_uri),
        variables,
        auth,
        parameters: http
            .input_parameters
            .iter()
            .map(|param| WireParameter {
                name: param.name.clone(),
                location: wire_location(param.location),
                value: param.value.clone(),
            })
            .collect(),
        operations,
        pointer: pointer.to_owned(),
        file: ctx.file.display_path().to_owned(),
    }
}

fn raw_format(format: Option<cap_model::RawFormat>) -> RawFormat {
    use cap_model::RawFormat as F;
    match format.unwrap_or_default() {
        F::Json => RawFormat::Json,
        F::Xml => RawFormat::Xml,
        F::Yaml => RawFormat::Yaml,
        F::Csv => RawFormat::Csv,
        F::Tsv => RawFormat::Tsv,
        F::Psv => RawFormat::Psv,
        F::Html => RawFormat::Html,
        F::Markdown => RawFormat::Markdown,
        F::Avro => RawFormat::Avro,
        F::Protobuf => RawFormat::Protobuf,
        F::Unrecognized => RawFormat::Raw,
    }
}

/// `{x}` (seed dialect) read as `{{x}}`; `{{x}}` kept.
fn mustache_path(path: &str) -> String {
    let mut res = String::with_capacity(path.len() + 8);
    let mut last = 0;
    for placeholder in placeholders(path) {
        res.push_str(&path[last..placeholder.range.start]);
        res.push_str(&format!("{{{{{}}}}}", placeholder.name));
        last = placeholder.range.end;
    }
    res.push_str(&path[last..]);
    res
}

fn wire_location(location: ParamLocation) -> WireLocation {
    match location {
        ParamLocation::Query => WireLocation::Query,
        ParamLocation::Header => WireLocation::Header,
        ParamLocation::Path => WireLocation::Path,
        ParamLocation::Cookie => WireLocation::Cookie,
        ParamLocation::Body => WireLocation::Body,
        ParamLocation::Environment => WireLocation::Environment,
    }
}

/// A JSON value as template text: strings as they are, anything else as JSON.
fn template_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn declared_body(body: &RequestBody) -> DeclaredBody {
    let template = |media_type: &str, template: String| DeclaredBody::Template {
        media_type: media_type.to_owned(),
        template,
    };
    let typed = match body {
        RequestBody::Raw(text) => return template("application/json", text.clone()),
        RequestBody::Typed(typed) => typed,
    };
    match typed.ty {
        BodyType::Json => template("application/json", template_text(&typed.data)),
        BodyType::Text => template("text/plain", template_text(&typed.data)),
        BodyType::Xml => template("application/xml", template_text(&typed.data)),
        BodyType::Sparql => template("application/sparql-query", template_text(&typed.data)),
        BodyType::FormUrlEncoded => match &typed.data {
            Value::Object(fields) => DeclaredBody::Form {
                fields: fields
                    .iter()
                    .map(|(name, value)| (name.clone(), template_text(value)))
                    .collect(),
            },
            other => template("application/x-www-form-urlencoded", template_text(other)),
        },
        BodyType::MultipartForm => {
            let parts = typed
                .data
                .as_array()
                .into_iter()
                .flatten()
                .map(|part| {
                    let text = |key: &str| part.get(key).map(template_text);
                    MultipartPart {
                        name: text("name").unwrap_or_default(),
                        value: text("value").unwrap_or_default(),
                        filename: text("filename"),
                        content_type: text("contentType"),
                    }
                })
                .collect();
            DeclaredBody::Multipart { parts }
        }
    }
}

/// The request as declared: templates, parameters, body, and the caller-supplied variables
/// the templates read.
fn declared_request(
    ctx: &Ctx<'_>,
    path: &str,
    declared: &[(String, &ConsumedInputParameter)],
    body: Option<&RequestBody>,
) -> DeclaredRequest {
    let path = mustache_path(path);
    let parameters: Vec<WireParameter> = declared
        .iter()
        .map(|(_, param)| WireParameter {
            name: param.name.clone(),
            location: wire_location(param.location),
            value: param.value.clone(),
        })
        .collect();
    let body = body.map(declared_body);
    let mut texts: Vec<&str> = vec![path.as_str()];
    texts.extend(parameters.iter().filter_map(|it| it.value.as_deref()));
    match &body {
        Some(DeclaredBody::Template { template, .. }) => texts.push(template),
        Some(DeclaredBody::Form { fields }) => texts.extend(fields.iter().map(|it| it.1.as_str())),
        Some(DeclaredBody::Multipart { parts }) => {
            texts.extend(parts.iter().map(|it| it.value.as_str()))
        }
        None => {}
    }
    let bound = super::bound_names(ctx.cap);
    let mut template_variables: Vec<String> = Vec::new();
    for name in texts.into_iter().flat_map(template_names) {
        let known = bound.contains(&name)
            || parameters.iter().any(|it| it.name == name)
            || template_variables.contains(&name);
        if !known {
            template_variables.push(name);
        }
    }
    DeclaredRequest {
        path,
        parameters,
        body,
        template_variables,
    }
}

/// Variables the declared templates read that no input supplies yet become inputs: where they
/// are used decides where an exposed REST operation reads them (path, query or body field).
fn add_template_inputs(inputs: &mut Vec<Input>, request: &DeclaredRequest) {
    for name in &request.template_variables {
        if inputs.iter().any(|it| it.name == *name) {
            continue;
        }
        let in_path = template_names(&request.path).contains(name);
        let in_params = request
            .parameters
            .iter()
            .filter_map(|it| it.value.as_deref())
            .any(|value| template_names(value).contains(name));
        let location = if in_path {
            Location::Path
        } else if in_params {
            Location::Query
        } else {
            Location::Body
        };
        inputs.push(Input {
            name: name.clone(),
            location,
            required: in_path,
            schema: serde_json::json!({}),
            description: None,
            origin: Origin::Template,
            fixed: None,
            body_path: None,
        });
    }
}

fn find_operation<'a>(
    ctx: &mut Ctx<'a>,
    method: &str,
    path: &str,
    pointer: &str,
    path_pointer: &str,
) -> Option<Found<'a>> {
    let doc = ctx.openapi?;
    let key = template_key(path);
    let found = schema::operations(&doc.spec)
        .into_iter()
        .find(|it| it.method == method && template_key(it.path) == key);
    let Some(found) = found else {
        let message = format!(
            "no operation `{method} {path}` in the OpenAPI document; inputs come from the capability only"
        );
        ctx.report(Diagnostic::warning(Code::NoOpenApiMatch, message), pointer);
        return None;
    };
    if blank_vars(found.path) != blank_vars(path) {
        let message = format!(
            "`{path}` matches the OpenAPI path `{}` only when case is ignored",
            found.path
        );
        ctx.report(
            Diagnostic::warning(Code::CaseInsensitiveMatch, message),
            path_pointer,
        );
    }
    Some(found)
}

fn blank_vars(path: &str) -> String {
    let key = template_key(path);
    let lower = path.to_lowercase();
    if key == lower.trim_end_matches('/') {
        return path.trim_end_matches('/').to_owned();
    }
    // Keep the case of the literals, blank the variables.
    let mut res = String::new();
    let mut in_var = false;
    for ch in path.chars() {
        match ch {
            '{' => {
                in_var = true;
                res.push('{');
            }
            '}' => {
                in_var = false;
                res.push('}');
            }
            _ if in_var => {}
            _ => res.push(ch),
        }
    }
    res.trim_end_matches('/').to_owned()
}

fn location_of(location: ParamLocation) -> Option<Location> {
    Some(match location {
        ParamLocation::Path => Location::Path,
        ParamLocation::Query => Location::Query,
        ParamLocation::Header => Location::Header,
        ParamLocation::Cookie => Location::Cookie,
        ParamLocation::Body => Location::Body,
        ParamLocation::Environment => return None,
    })
}

/// The inputs of one consumed operation: path variables, declared parameters, OpenAPI
/// parameters nobody declared, and the body.
fn inputs(
    ctx: &mut Ctx<'_>,
    path: &str,
    declared: &[(String, &ConsumedInputParameter)],
    found: Option<&Found<'_>>,
    secret_params: &[(String, Location)],
    pointer: &str,
) -> Vec<Input> {
    let openapi_params = match (ctx.openapi, found) {
        (Some(doc), Some(found)) => schema::parameters(doc, found, secret_params),
        _ => Vec::new(),
    };
    let mut res: Vec<Input> = Vec::new();
    let mut inferred = Vec::new();
    for var in template_variables(path) {
        let from_openapi = openapi_params
            .iter()
            .find(|it| it.location == Location::Path && it.name.eq_ignore_ascii_case(&var));
        let from_capability = declared.iter().find(|(_, it)| {
            it.location == ParamLocation::Path && it.name.eq_ignore_ascii_case(&var)
        });
        let origin = match (from_capability, from_openapi) {
            (Some(_), _) => Origin::Declared,
            (None, Some(_)) => Origin::OpenApi,
            (None, None) => {
                inferred.push(format!("`{var}` (path template)"));
                Origin::PathTemplate
            }
        };
        let schema = pick_schema(ctx, from_capability, from_openapi.map(|it| &it.schema));
        res.push(Input {
            name: var,
            location: Location::Path,
            required: true,
            schema,
            description: from_capability
                .and_then(|(_, it)| it.description.clone())
                .or_else(|| from_openapi.and_then(|it| it.description.clone())),
            origin,
            fixed: None,
            body_path: None,
        });
    }
    for (param_pointer, param) in declared {
        if param.location == ParamLocation::Path {
            continue;
        }
        if param.location == ParamLocation::Environment {
            // Read from the server's environment into the call parameters; never an input.
            continue;
        }
        let Some(location) = location_of(param.location) else {
            continue;
        };
        if location == Location::Body {
            continue;
        }
        let from_openapi = openapi_params
            .iter()
            .find(|it| it.location == location && it.name == param.name);
        let schema = pick_schema(
            ctx,
            Some(&(param_pointer.clone(), *param)),
            from_openapi.map(|it| &it.schema),
        );
        let fixed = param.value.as_ref().map(|it| bound_value(ctx, it));
        res.push(Input {
            name: param.name.clone(),
            location,
            required: param
                .required
                .or(from_openapi.map(|it| it.required))
                .unwrap_or(false),
            schema,
            description: param
                .description
                .clone()
                .or_else(|| from_openapi.and_then(|it| it.description.clone())),
            origin: Origin::Declared,
            fixed,
            body_path: None,
        });
    }
    for param in &openapi_params {
        let known = res.iter().any(|it| {
            it.location == param.location
                && if param.location == Location::Path {
                    it.name.eq_ignore_ascii_case(&param.name)
                } else {
                    it.name == param.name
                }
        });
        if known {
            continue;
        }
        if param.location == Location::Path {
            let message = format!(
                "OpenAPI path parameter `{}` has no variable in the capability path `{path}`",
                param.name
            );
            ctx.report(
                Diagnostic::warning(Code::OpenApiInconsistent, message),
                pointer,
            );
            continue;
        }
        inferred.push(format!(
            "`{}` ({})",
            param.name,
            location_name(param.location)
        ));
        res.push(Input {
            name: param.name.clone(),
            location: param.location,
            required: param.required,
            schema: param.schema.clone(),
            description: param.description.clone(),
            origin: Origin::OpenApi,
            fixed: None,
            body_path: None,
        });
    }
    if let Some(body) = body_input(ctx, declared, found) {
        if body.origin == Origin::OpenApi {
            inferred.push(format!("`{}` (request body)", body.name));
        }
        res.push(body);
    }
    if !inferred.is_empty() {
        let message = format!(
            "inputs inferred for this operation: {}",
            inferred.join(", ")
        );
        ctx.report(
            Diagnostic::note(Code::InferredInput, message),
            format!("{pointer}/name"),
        );
    }
    res
}

fn location_name(location: Location) -> &'static str {
    match location {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
        Location::Cookie => "cookie",
        Location::Body => "body",
    }
}

fn body_input(
    ctx: &mut Ctx<'_>,
    declared: &[(String, &ConsumedInputParameter)],
    found: Option<&Found<'_>>,
) -> Option<Input> {
    let from_openapi = match (ctx.openapi, found) {
        (Some(doc), Some(found)) => schema::body(doc, found),
        _ => None,
    };
    let from_capability = declared
        .iter()
        .find(|(_, it)| it.location == ParamLocation::Body);
    if from_openapi.is_none() && from_capability.is_none() {
        return None;
    }
    let schema = pick_schema(ctx, from_capability, from_openapi.as_ref().map(|it| &it.1));
    Some(Input {
        name: from_capability
            .map(|(_, it)| it.name.clone())
            .unwrap_or_else(|| "body".to_owned()),
        location: Location::Body,
        required: from_capability
            .and_then(|(_, it)| it.required)
            .or(from_openapi.as_ref().map(|it| it.0))
            .unwrap_or(false),
        schema,
        description: from_capability
            .and_then(|(_, it)| it.description.clone())
            .or_else(|| from_openapi.and_then(|it| it.2)),
        origin: if from_capability.is_some() {
            Origin::Declared
        } else {
            Origin::OpenApi
        },
        fixed: None,
        body_path: None,
    })
}

/// The OpenAPI schema when there is one (it is richer: formats, enums), checked against the
/// declared type; the declared type otherwise.
fn pick_schema(
    ctx: &mut Ctx<'_>,
    declared: Option<&(String, &ConsumedInputParameter)>,
    openapi: Option<&Value>,
) -> Value {
    let declared_type = declared.and_then(|(_, it)| it.ty);
    match (declared_type, openapi) {
        (Some(ty), Some(schema)) if !schema::compatible(ty, schema) => {
            if let Some((pointer, param)) = declared {
                let message = format!(
                    "`{}` is declared `{ty}` but the OpenAPI document says `{}`; capgen uses the OpenAPI type",
                    param.name,
                    schema::schema_type(schema).unwrap_or("?")
                );
                ctx.report(
                    Diagnostic::warning(Code::TypeConflict, message),
                    format!("{pointer}/type"),
                );
            }
            schema.clone()
        }
        (_, Some(schema)) => schema.clone(),
        (ty, None) => schema::declared_schema(ty),
    }
}
