//! The API IR: an OpenAPI document lowered once into plain data that every emitter reads.
//!
//! [`lower`] decides all names ([`crate::model::names`]) and all types ([`TypeSpace`]), so the
//! client, the server and the MCP tables agree on them. Operations keep their document order and
//! the JSON pointers of everything that came from the document, for diagnostics.
//!
//! How an emitter calls the generated client for an [`Operation`]: `client.<rust_name>(<required
//! params in [`Operation::positional`] order>)`, then `.<rust_name>(value)` (or
//! `.maybe_<rust_name>(Option<_>)`) for each optional parameter and `.body(..)` for an optional
//! body, then `.send()` (typed) or `.send_raw()` (status, headers and bytes as received). Types of
//! parameters come from [`crate::model::types::type_tokens`].

use serde::Serialize;
use serde_json::{Map, Value};

use crate::load::diagnostics::{
    Code, Diagnostic, Diagnostics, escape_pointer_segment, pointer_join,
};
use crate::load::openapi::OpenApiDocument;
use crate::model::names::{self, Scope};
use crate::model::types::{Lowerer, Scalar, TypeRef, TypeSpace};

/// Method names of the generated `Client` itself; operations never take them.
pub const CLIENT_METHODS: &[&str] = &[
    "new",
    "with_base_url",
    "with_http_client",
    "base_url",
    "http_client",
    "clone",
    "fmt",
    "default",
];

/// Names the operation builders use themselves; parameters never take them.
pub const BUILDER_METHODS: &[&str] = &[
    "new",
    "send",
    "send_raw",
    "body",
    "maybe_body",
    "pages",
    "client",
];

/// Names in the generated `operations` module that operation items never take.
pub const OPERATION_MODULE_NAMES: &[&str] = &[
    "String",
    "Option",
    "Vec",
    "Box",
    "Result",
    "Client",
    "Error",
    "RawResponse",
    "ErrorResponse",
    "RequestError",
    "TransportError",
    "DecodeError",
    "RequestParts",
    "Style",
    "Scheme",
    "PageTokens",
];

/// The whole API.
#[derive(Clone, Debug, Serialize)]
pub struct Api {
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    pub servers: Vec<Server>,
    pub security_schemes: Vec<SecurityScheme>,
    pub types: TypeSpace,
    pub operations: Vec<Operation>,
}

/// An entry of `servers`.
#[derive(Clone, Debug, Serialize)]
pub struct Server {
    /// The URL template as written (`https://{appName}.azurewebsites.net`).
    pub url: String,
    pub description: Option<String>,
    pub variables: Vec<ServerVariable>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServerVariable {
    pub name: String,
    pub rust_name: String,
    pub default: String,
    /// The allowed values (`enum`), if restricted.
    pub values: Vec<String>,
    pub description: Option<String>,
}

/// A security scheme the client can apply.
#[derive(Clone, Debug, Serialize)]
pub struct SecurityScheme {
    /// The key in `components.securitySchemes`.
    pub name: String,
    /// Snake-case name: the client setter is `with_<rust_name>`.
    pub rust_name: String,
    pub kind: SecurityKind,
    pub description: Option<String>,
    pub pointer: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SecurityKind {
    /// A key sent as a query parameter, header or cookie named `name`.
    ApiKey {
        location: ApiKeyLocation,
        name: String,
    },
    /// HTTP basic authentication.
    Basic,
    /// `Authorization: Bearer <token>` (HTTP bearer; OAuth 2 and OpenID Connect tokens too).
    Bearer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyLocation {
    Query,
    Header,
    Cookie,
}

/// One operation.
#[derive(Clone, Debug, Serialize)]
pub struct Operation {
    /// `METHOD /path/template`, exactly as in the document (method uppercase).
    pub key: String,
    /// Uppercase HTTP method.
    pub method: String,
    pub path: String,
    pub operation_id: Option<String>,
    /// The client method (`snake_case`), unique among operations.
    pub rust_name: String,
    /// The `UpperCamelCase` stem of the operation's items (`<type_name>`, `<type_name>Error`, …).
    pub type_name: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub tags: Vec<String>,
    /// All parameters, path ones first in template order, then the others in document order.
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub responses: Vec<Response>,
    /// Alternatives of security requirements; each is a list of scheme names to apply together.
    pub security: Vec<Vec<String>>,
    pub paging: Option<Paging>,
    pub pointer: String,
}

impl Operation {
    /// Parameters the caller passes (credential parameters are filled in by the client).
    pub fn call_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|it| it.credential.is_none())
    }

    /// The positional arguments of the client method, in order: required parameters, then the
    /// required body (named `body`).
    pub fn positional(&self) -> impl Iterator<Item = &Param> {
        self.call_params().filter(|it| it.required)
    }

    /// Optional parameters: builder setters.
    pub fn optional(&self) -> impl Iterator<Item = &Param> {
        self.call_params().filter(|it| !it.required)
    }

    pub fn successes(&self) -> impl Iterator<Item = &Response> {
        self.responses.iter().filter(|it| it.success)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Response> {
        self.responses.iter().filter(|it| !it.success)
    }

    pub fn param(&self, rust_name: &str) -> Option<&Param> {
        self.params.iter().find(|it| it.rust_name == rust_name)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Param {
    pub wire_name: String,
    pub rust_name: String,
    pub location: ParamLocation,
    pub required: bool,
    pub style: ParamStyle,
    pub explode: bool,
    /// The type of a value (optional parameters are not wrapped in `Option` here).
    pub ty: TypeRef,
    pub description: Option<String>,
    pub deprecated: bool,
    /// The security scheme that supplies this parameter (an API key declared both as a
    /// parameter and as a scheme); the client fills it in and the caller never passes it.
    pub credential: Option<String>,
    pub pointer: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ParamStyle {
    Simple,
    Label,
    Matrix,
    Form,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
    /// A parameter with `content` instead of `schema`: the value is sent as JSON text.
    Json,
}

#[derive(Clone, Debug, Serialize)]
pub struct Body {
    pub media_type: String,
    pub kind: BodyKind,
    pub required: bool,
    /// The type of the body value (`Any` for multipart bodies, which take a form).
    pub ty: TypeRef,
    pub description: Option<String>,
    pub pointer: String,
}

/// How a body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`: the caller builds a `reqwest::multipart::Form`.
    Multipart,
    /// `text/*`: a `String`.
    Text,
    /// Anything else: bytes as given, with the media type as `Content-Type`.
    Binary,
}

#[derive(Clone, Debug, Serialize)]
pub struct Response {
    pub status: Status,
    /// Whether the response is a success (2xx; `default` when no 2xx is documented).
    pub success: bool,
    /// The variant name in the operation's success or error enum (`Ok`, `NotFound`, …).
    pub variant: String,
    pub description: Option<String>,
    pub media_type: Option<String>,
    /// How the body is decoded; `None` when no content is documented.
    pub kind: Option<BodyKind>,
    pub ty: Option<TypeRef>,
    pub headers: Vec<ResponseHeader>,
    pub pointer: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Code(u16),
    /// `4XX`: the class digit.
    Range(u8),
    Default,
}

#[derive(Clone, Debug, Serialize)]
pub struct ResponseHeader {
    pub wire_name: String,
    pub rust_name: String,
    pub ty: TypeRef,
    pub required: bool,
    pub description: Option<String>,
}

/// Continuation-token paging: the operation takes a token parameter and a success response
/// returns the next token in a header of the same name.
#[derive(Clone, Debug, Serialize)]
pub struct Paging {
    /// The Rust name of the token parameter.
    pub param: String,
    /// The response variant carrying the token header.
    pub response: String,
    /// The Rust name of the token header in that response.
    pub header: String,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Lowers `doc` into the API IR. Never fails: problems are diagnostics, and whatever cannot be
/// expressed is left out (with a warning) or typed as any JSON value.
pub fn lower(doc: &OpenApiDocument, diags: &mut Diagnostics) -> Api {
    let raw = &doc.raw;
    let mut lowerer = Lowerer::new(doc);
    lowerer.lower_components();
    let mut ctx = Ctx {
        doc,
        diags: Diagnostics::new(),
    };
    let security_schemes = ctx.security_schemes();
    let mut method_scope = Scope::with_reserved(CLIENT_METHODS);
    for scheme in &security_schemes {
        method_scope.reserve(&format!("with_{}", scheme.rust_name));
    }
    let mut type_scope = Scope::with_reserved(OPERATION_MODULE_NAMES);
    let global_security = raw.get("security").cloned();
    let mut operations = Vec::new();
    if let Some(paths) = raw.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let item_pointer = pointer_join("/paths", path);
            for method in METHODS {
                let Some(operation) = item.get(*method).filter(|it| it.is_object()) else {
                    continue;
                };
                let pointer = pointer_join(&item_pointer, method);
                let input = OperationInput {
                    path,
                    method,
                    item,
                    operation,
                    pointer: &pointer,
                };
                let lowered = ctx.operation(
                    &mut lowerer,
                    &input,
                    &security_schemes,
                    global_security.as_ref(),
                    &mut method_scope,
                    &mut type_scope,
                );
                operations.extend(lowered);
            }
        }
    }
    let types = lowerer.finish(&mut ctx.diags);
    diags.extend(ctx.diags);
    let info = raw.get("info");
    Api {
        title: text(info, "title").unwrap_or_default(),
        version: text(info, "version").unwrap_or_default(),
        description: text(info, "description"),
        servers: servers(raw),
        security_schemes,
        types,
        operations,
    }
}

fn text(value: Option<&Value>, key: &str) -> Option<String> {
    value?
        .get(key)?
        .as_str()
        .map(str::trim)
        .filter(|it| !it.is_empty())
        .map(str::to_owned)
}

fn servers(raw: &Value) -> Vec<Server> {
    let Some(list) = raw.get("servers").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|server| {
            let url = server.get("url")?.as_str()?.to_owned();
            let mut scope = Scope::new();
            let variables = server
                .get("variables")
                .and_then(Value::as_object)
                .map(|vars| {
                    vars.iter()
                        .map(|(name, var)| ServerVariable {
                            name: name.clone(),
                            rust_name: scope.claim(&names::param_name(name)),
                            default: var.get("default").map(scalar_text).unwrap_or_default(),
                            values: var
                                .get("enum")
                                .and_then(Value::as_array)
                                .map(|it| it.iter().map(scalar_text).collect())
                                .unwrap_or_default(),
                            description: text(Some(var), "description"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(Server {
                url,
                description: text(Some(server), "description"),
                variables,
            })
        })
        .collect()
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(it) => it.clone(),
        other => other.to_string(),
    }
}

struct Ctx<'a> {
    doc: &'a OpenApiDocument,
    diags: Diagnostics,
}

struct OperationInput<'v> {
    path: &'v str,
    method: &'v str,
    item: &'v Value,
    operation: &'v Value,
    pointer: &'v str,
}

impl<'a> Ctx<'a> {
    fn warn(&mut self, code: Code, pointer: &str, message: impl Into<String>) {
        let diagnostic = Diagnostic::warning(code, message);
        self.diags.push(self.doc.at(diagnostic, pointer));
    }

    fn note(&mut self, code: Code, pointer: &str, message: impl Into<String>) {
        let diagnostic = Diagnostic::note(code, message);
        self.diags.push(self.doc.at(diagnostic, pointer));
    }

    /// Follows a `$ref` to a component (one level): the target and its pointer.
    fn deref<'v>(&self, value: &'v Value, pointer: &str) -> (&'v Value, String)
    where
        'a: 'v,
    {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let target = reference.trim_start_matches('#');
                match self.doc.raw.pointer(target) {
                    Some(it) => (it, target.to_owned()),
                    None => (value, pointer.to_owned()),
                }
            }
            None => (value, pointer.to_owned()),
        }
    }

    fn security_schemes(&mut self) -> Vec<SecurityScheme> {
        let raw = &self.doc.raw;
        let Some(schemes) = raw
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        let mut scope = Scope::new();
        let mut res = Vec::new();
        for (name, scheme) in schemes {
            let pointer = format!(
                "/components/securitySchemes/{}",
                escape_pointer_segment(name)
            );
            let (scheme, pointer) = self.deref(scheme, &pointer);
            let ty = scheme.get("type").and_then(Value::as_str).unwrap_or("");
            let kind = match ty {
                "apiKey" => {
                    let location = match scheme.get("in").and_then(Value::as_str) {
                        Some("query") => ApiKeyLocation::Query,
                        Some("header") => ApiKeyLocation::Header,
                        Some("cookie") => ApiKeyLocation::Cookie,
                        _ => {
                            self.warn(
                                Code::OpenApiInconsistent,
                                &pointer,
                                "an apiKey scheme needs `in`; ignored",
                            );
                            continue;
                        }
                    };
                    let Some(key) = scheme.get("name").and_then(Value::as_str) else {
                        self.warn(
                            Code::OpenApiInconsistent,
                            &pointer,
                            "an apiKey scheme needs `name`; ignored",
                        );
                        continue;
                    };
                    SecurityKind::ApiKey {
                        location,
                        name: key.to_owned(),
                    }
                }
                "http" => match scheme
                    .get("scheme")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    Some("basic") => SecurityKind::Basic,
                    Some("bearer") => SecurityKind::Bearer,
                    other => {
                        self.warn(
                            Code::Unsupported,
                            &pointer,
                            format!(
                                "HTTP authentication scheme `{}` is not generated; ignored",
                                other.unwrap_or("")
                            ),
                        );
                        continue;
                    }
                },
                "oauth2" | "openIdConnect" => {
                    self.note(
                        Code::Unsupported,
                        &pointer,
                        format!("`{ty}` is applied as a bearer token the caller obtains; no token flow is generated"),
                    );
                    SecurityKind::Bearer
                }
                other => {
                    self.warn(
                        Code::Unsupported,
                        &pointer,
                        format!("security scheme type `{other}` is not generated"),
                    );
                    continue;
                }
            };
            res.push(SecurityScheme {
                name: name.clone(),
                rust_name: scope.claim(&names::field_name(name)),
                kind,
                description: text(Some(scheme), "description"),
                pointer,
            });
        }
        res
    }

    fn operation(
        &mut self,
        lowerer: &mut Lowerer<'_>,
        input: &OperationInput<'_>,
        schemes: &[SecurityScheme],
        global_security: Option<&Value>,
        method_scope: &mut Scope,
        type_scope: &mut Scope,
    ) -> Option<Operation> {
        let OperationInput {
            path,
            method,
            operation,
            pointer,
            ..
        } = *input;
        let operation_id = text(Some(operation), "operationId");
        let base_name = match &operation_id {
            Some(id) => names::field_name(id),
            None => names::field_name(&format!("{method} {}", path.replace(['{', '}'], ""))),
        };
        let rust_name = method_scope.claim(&base_name);
        let type_name = claim_type_stem(type_scope, &names::type_name(&rust_name));

        let params = self.params(lowerer, input, &type_name, schemes);
        let body = self.body(lowerer, operation, pointer, &type_name);
        let responses = self.responses(lowerer, operation, pointer, &type_name);
        let security = self.security(
            operation.get("security").or(global_security),
            pointer,
            schemes,
        );
        let paging = paging(&params, &responses);
        Some(Operation {
            key: format!("{} {path}", method.to_ascii_uppercase()),
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            operation_id,
            rust_name,
            type_name,
            summary: text(Some(operation), "summary"),
            description: text(Some(operation), "description"),
            deprecated: operation
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            tags: operation
                .get("tags")
                .and_then(Value::as_array)
                .map(|it| {
                    it.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            params,
            body,
            responses,
            security,
            paging,
            pointer: pointer.to_owned(),
        })
    }

    fn params(
        &mut self,
        lowerer: &mut Lowerer<'_>,
        input: &OperationInput<'_>,
        type_name: &str,
        schemes: &[SecurityScheme],
    ) -> Vec<Param> {
        let OperationInput {
            path,
            item,
            operation,
            pointer,
            ..
        } = *input;
        let item_pointer = pointer.rsplit_once('/').map(|it| it.0).unwrap_or_default();
        // Path-level parameters first, replaced by operation-level ones with the same name and location.
        let mut declared: Vec<(&Value, String)> = Vec::new();
        for (list, list_pointer) in [
            (
                item.get("parameters"),
                pointer_join(item_pointer, "parameters"),
            ),
            (
                operation.get("parameters"),
                pointer_join(pointer, "parameters"),
            ),
        ] {
            let Some(list) = list.and_then(Value::as_array) else {
                continue;
            };
            for (idx, param) in list.iter().enumerate() {
                let (param, param_pointer) = self.deref(param, &pointer_join(&list_pointer, idx));
                let key = (param.get("name").cloned(), param.get("in").cloned());
                declared.retain(|(it, _)| (it.get("name").cloned(), it.get("in").cloned()) != key);
                declared.push((param, param_pointer));
            }
        }
        let template: Vec<String> = template_variables(path);
        let mut scope = Scope::with_reserved(BUILDER_METHODS);
        let mut res: Vec<Param> = Vec::new();
        let mut path_params: Vec<Param> = Vec::new();
        for (param, param_pointer) in declared {
            let Some(wire_name) = param.get("name").and_then(Value::as_str) else {
                continue;
            };
            let location = match param.get("in").and_then(Value::as_str) {
                Some("path") => ParamLocation::Path,
                Some("query") => ParamLocation::Query,
                Some("header") => ParamLocation::Header,
                Some("cookie") => ParamLocation::Cookie,
                _ => continue,
            };
            if location == ParamLocation::Path && !template.iter().any(|it| it == wire_name) {
                self.warn(
                    Code::OpenApiInconsistent,
                    &param_pointer,
                    format!("path parameter `{wire_name}` does not appear in `{path}`; ignored"),
                );
                continue;
            }
            if location == ParamLocation::Header
                && ["accept", "content-type", "authorization"]
                    .contains(&wire_name.to_ascii_lowercase().as_str())
            {
                self.note(
                    Code::OpenApiInconsistent,
                    &param_pointer,
                    format!(
                        "header parameter `{wire_name}` is ignored (OpenAPI: the client sets it)"
                    ),
                );
                continue;
            }
            let (schema_pointer, style_json) = match (param.get("schema"), param.get("content")) {
                (Some(_), _) => (Some(pointer_join(&param_pointer, "schema")), false),
                (None, Some(Value::Object(content))) => match content.keys().next() {
                    Some(media) => {
                        let media_pointer =
                            pointer_join(&pointer_join(&param_pointer, "content"), media);
                        (Some(pointer_join(&media_pointer, "schema")), true)
                    }
                    None => (None, true),
                },
                _ => (None, false),
            };
            let hint = format!("{type_name}{}", names::type_name(wire_name));
            let ty = match &schema_pointer {
                Some(it) if self.doc.raw.pointer(it).is_some() => lowerer.schema(it, &hint),
                _ => TypeRef::string(),
            };
            let default_style = match location {
                ParamLocation::Path | ParamLocation::Header => ParamStyle::Simple,
                ParamLocation::Query | ParamLocation::Cookie => ParamStyle::Form,
            };
            let style = if style_json {
                ParamStyle::Json
            } else {
                match param.get("style").and_then(Value::as_str) {
                    Some("simple") => ParamStyle::Simple,
                    Some("label") => ParamStyle::Label,
                    Some("matrix") => ParamStyle::Matrix,
                    Some("form") => ParamStyle::Form,
                    Some("spaceDelimited") => ParamStyle::SpaceDelimited,
                    Some("pipeDelimited") => ParamStyle::PipeDelimited,
                    Some("deepObject") => ParamStyle::DeepObject,
                    _ => default_style,
                }
            };
            let explode = param
                .get("explode")
                .and_then(Value::as_bool)
                .unwrap_or(style == ParamStyle::Form);
            let credential = schemes
                .iter()
                .find(|scheme| match &scheme.kind {
                    SecurityKind::ApiKey {
                        location: key_location,
                        name,
                    } => {
                        let same_location = matches!(
                            (key_location, location),
                            (ApiKeyLocation::Query, ParamLocation::Query)
                                | (ApiKeyLocation::Header, ParamLocation::Header)
                                | (ApiKeyLocation::Cookie, ParamLocation::Cookie)
                        );
                        let same_name = if location == ParamLocation::Header {
                            name.eq_ignore_ascii_case(wire_name)
                        } else {
                            name == wire_name
                        };
                        same_location && same_name
                    }
                    _ => false,
                })
                .map(|it| it.name.clone());
            let required = location == ParamLocation::Path
                || param
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            let rust_name = match &credential {
                Some(_) => names::param_name(wire_name),
                None => {
                    let base = names::param_name(wire_name);
                    let base = if scope.contains(&base) && !BUILDER_METHODS.contains(&base.as_str())
                    {
                        format!("{base}_{}", location_word(location))
                    } else {
                        base
                    };
                    let name = scope.claim(&base);
                    scope.reserve(&format!("maybe_{name}"));
                    name
                }
            };
            let res_param = Param {
                wire_name: wire_name.to_owned(),
                rust_name,
                location,
                required,
                style,
                explode,
                ty,
                description: text(Some(param), "description"),
                deprecated: param
                    .get("deprecated")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                credential,
                pointer: param_pointer,
            };
            if location == ParamLocation::Path {
                path_params.push(res_param);
            } else {
                res.push(res_param);
            }
        }
        // Template variables without a declaration are still sent; they are strings.
        for variable in &template {
            if !path_params.iter().any(|it| it.wire_name == *variable) {
                self.warn(
                    Code::OpenApiInconsistent,
                    pointer,
                    format!("path template variable `{variable}` has no parameter; it is generated as a string"),
                );
                let rust_name = scope.claim(&names::param_name(variable));
                path_params.push(Param {
                    wire_name: variable.clone(),
                    rust_name,
                    location: ParamLocation::Path,
                    required: true,
                    style: ParamStyle::Simple,
                    explode: false,
                    ty: TypeRef::string(),
                    description: None,
                    deprecated: false,
                    credential: None,
                    pointer: pointer.to_owned(),
                });
            }
        }
        path_params.sort_by_key(|it| template.iter().position(|v| *v == it.wire_name));
        path_params.extend(res);
        path_params
    }

    fn body(
        &mut self,
        lowerer: &mut Lowerer<'_>,
        operation: &Value,
        pointer: &str,
        type_name: &str,
    ) -> Option<Body> {
        let body = operation.get("requestBody")?;
        let (body, body_pointer) = self.deref(body, &pointer_join(pointer, "requestBody"));
        let content = body.get("content").and_then(Value::as_object)?;
        let (media_type, kind) = pick_media(content)?;
        let media_pointer = pointer_join(&pointer_join(&body_pointer, "content"), &media_type);
        let schema_pointer = pointer_join(&media_pointer, "schema");
        let ty = match kind {
            BodyKind::Json | BodyKind::Form => {
                if self.doc.raw.pointer(&schema_pointer).is_some() {
                    lowerer.schema(&schema_pointer, &format!("{type_name}Body"))
                } else {
                    TypeRef::any()
                }
            }
            BodyKind::Multipart => TypeRef::any(),
            BodyKind::Text => TypeRef::string(),
            BodyKind::Binary => TypeRef::Scalar(Scalar::Bytes),
        };
        Some(Body {
            media_type,
            kind,
            required: body
                .get("required")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ty,
            description: text(Some(body), "description"),
            pointer: body_pointer,
        })
    }

    fn responses(
        &mut self,
        lowerer: &mut Lowerer<'_>,
        operation: &Value,
        pointer: &str,
        type_name: &str,
    ) -> Vec<Response> {
        let responses_pointer = pointer_join(pointer, "responses");
        let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut statuses: Vec<(Status, &Value, String)> = Vec::new();
        for (key, response) in responses {
            let status = match parse_status(key) {
                Some(it) => it,
                None => {
                    if !key.starts_with("x-") {
                        self.warn(
                            Code::OpenApiInconsistent,
                            &pointer_join(&responses_pointer, key),
                            format!("`{key}` is not a status code, a range like `4XX` or `default`; ignored"),
                        );
                    }
                    continue;
                }
            };
            if statuses.iter().any(|it| it.0 == status) {
                self.warn(
                    Code::OpenApiInconsistent,
                    &pointer_join(&responses_pointer, key),
                    format!("`{key}` repeats a status already listed; ignored"),
                );
                continue;
            }
            statuses.push((status, response, pointer_join(&responses_pointer, key)));
        }
        let any_success = statuses
            .iter()
            .any(|(status, ..)| is_success(*status, false));
        let with_content = statuses
            .iter()
            .filter(|(_, response, _)| response.get("content").is_some())
            .count();
        let mut success_scope = Scope::new();
        let mut error_scope =
            Scope::with_reserved(&["Request", "Transport", "Decode", "UnexpectedStatus"]);
        let mut res = Vec::new();
        for (status, response, response_pointer) in statuses {
            let (response, response_pointer) = self.deref(response, &response_pointer);
            let success = is_success(status, !any_success);
            let base_variant = match status {
                Status::Code(code) => names::status_variant(code),
                Status::Range(class) => names::range_variant(class),
                Status::Default => "Default".to_owned(),
            };
            let variant = if success {
                success_scope.claim(&base_variant)
            } else {
                error_scope.claim(&base_variant)
            };
            let picked = response
                .get("content")
                .and_then(Value::as_object)
                .and_then(pick_media);
            let (media_type, kind, ty) = match picked {
                Some((media, kind)) => {
                    let media_pointer =
                        pointer_join(&pointer_join(&response_pointer, "content"), &media);
                    let schema_pointer = pointer_join(&media_pointer, "schema");
                    let hint = if with_content > 1 {
                        format!("{type_name}Response{}", status_suffix(status))
                    } else {
                        format!("{type_name}Response")
                    };
                    let ty = match kind {
                        BodyKind::Text => TypeRef::string(),
                        BodyKind::Binary | BodyKind::Multipart => TypeRef::Scalar(Scalar::Bytes),
                        BodyKind::Json | BodyKind::Form => {
                            if self.doc.raw.pointer(&schema_pointer).is_some() {
                                lowerer.schema(&schema_pointer, &hint)
                            } else {
                                TypeRef::any()
                            }
                        }
                    };
                    let kind = if kind == BodyKind::Multipart {
                        BodyKind::Binary
                    } else {
                        kind
                    };
                    (Some(media), Some(kind), Some(ty))
                }
                None => (None, None, None),
            };
            let headers = self.response_headers(
                lowerer,
                response,
                &response_pointer,
                &format!("{type_name}{variant}"),
            );
            res.push(Response {
                status,
                success,
                variant,
                description: text(Some(response), "description"),
                media_type,
                kind,
                ty,
                headers,
                pointer: response_pointer,
            });
        }
        res
    }

    fn response_headers(
        &mut self,
        lowerer: &mut Lowerer<'_>,
        response: &Value,
        response_pointer: &str,
        hint: &str,
    ) -> Vec<ResponseHeader> {
        let Some(headers) = response.get("headers").and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut scope = Scope::with_reserved(&["body"]);
        let mut res = Vec::new();
        for (name, header) in headers {
            if name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            let header_pointer = pointer_join(&pointer_join(response_pointer, "headers"), name);
            let (header, header_pointer) = self.deref(header, &header_pointer);
            let schema_pointer = pointer_join(&header_pointer, "schema");
            let ty = if self.doc.raw.pointer(&schema_pointer).is_some() {
                lowerer.schema(
                    &schema_pointer,
                    &format!("{hint}{}", names::type_name(name)),
                )
            } else {
                TypeRef::string()
            };
            res.push(ResponseHeader {
                wire_name: name.clone(),
                rust_name: scope.claim(&names::field_name(name)),
                ty,
                required: header
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                description: text(Some(header), "description"),
            });
        }
        res
    }

    fn security(
        &mut self,
        security: Option<&Value>,
        pointer: &str,
        schemes: &[SecurityScheme],
    ) -> Vec<Vec<String>> {
        let Some(list) = security.and_then(Value::as_array) else {
            return Vec::new();
        };
        let mut res = Vec::new();
        for requirement in list {
            let Some(requirement) = requirement.as_object() else {
                continue;
            };
            let mut names = Vec::new();
            let mut usable = true;
            for name in requirement.keys() {
                if schemes.iter().any(|it| it.name == *name) {
                    names.push(name.clone());
                } else {
                    usable = false;
                    if self
                        .doc
                        .raw
                        .pointer(&format!(
                            "/components/securitySchemes/{}",
                            escape_pointer_segment(name)
                        ))
                        .is_none()
                    {
                        self.warn(
                            Code::OpenApiInconsistent,
                            pointer,
                            format!("security requirement names `{name}`, which `components.securitySchemes` lacks"),
                        );
                    }
                }
            }
            if usable && !res.contains(&names) {
                res.push(names);
            }
        }
        res
    }
}

/// Claims an operation's type stem together with the names derived from it (`<stem>Error`,
/// `<stem>Success`, `<stem>Pages`), so no two operations' items collide.
fn claim_type_stem(scope: &mut Scope, base: &str) -> String {
    const SUFFIXES: &[&str] = &["", "Error", "Success", "Pages"];
    let mut candidate = base.to_owned();
    let mut idx = 1;
    while SUFFIXES
        .iter()
        .any(|it| scope.contains(&format!("{candidate}{it}")))
    {
        idx += 1;
        candidate = format!("{base}{idx}");
    }
    for suffix in SUFFIXES {
        scope.reserve(&format!("{candidate}{suffix}"));
    }
    candidate
}

fn location_word(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

/// The `{name}` variables of a path template, in order.
pub fn template_variables(path: &str) -> Vec<String> {
    let mut res = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + end];
        if !name.is_empty() && !res.iter().any(|it| it == name) {
            res.push(name.to_owned());
        }
        rest = &rest[start + end + 1..];
    }
    res
}

fn parse_status(key: &str) -> Option<Status> {
    if key == "default" {
        return Some(Status::Default);
    }
    let bytes = key.as_bytes();
    if bytes.len() != 3 || !(b'1'..=b'5').contains(&bytes[0]) {
        return None;
    }
    if bytes[1..].eq_ignore_ascii_case(b"xx") {
        return Some(Status::Range(bytes[0] - b'0'));
    }
    key.parse::<u16>().ok().map(Status::Code)
}

fn is_success(status: Status, default_is_success: bool) -> bool {
    match status {
        Status::Code(code) => (200..300).contains(&code),
        Status::Range(class) => class == 2,
        Status::Default => default_is_success,
    }
}

fn status_suffix(status: Status) -> String {
    match status {
        Status::Code(code) => code.to_string(),
        Status::Range(class) => format!("{class}xx"),
        Status::Default => "Default".to_owned(),
    }
}

/// Picks the media type to generate for: JSON first, then forms, multipart, text, and anything
/// else as bytes.
fn pick_media(content: &Map<String, Value>) -> Option<(String, BodyKind)> {
    let essence = |media: &str| {
        media
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    let ranked = |media: &str| -> (u8, BodyKind) {
        let it = essence(media);
        if it == "application/json" {
            (0, BodyKind::Json)
        } else if it.ends_with("+json")
            || it.ends_with("/json")
            || it == "*/*"
            || it == "application/*"
        {
            (1, BodyKind::Json)
        } else if it == "application/x-www-form-urlencoded" {
            (2, BodyKind::Form)
        } else if it == "multipart/form-data" || it.starts_with("multipart/") {
            (3, BodyKind::Multipart)
        } else if it.starts_with("text/") {
            (4, BodyKind::Text)
        } else {
            (5, BodyKind::Binary)
        }
    };
    let mut best: Option<(u8, String, BodyKind)> = None;
    for media in content.keys() {
        let (rank, kind) = ranked(media);
        if best.as_ref().is_none_or(|it| rank < it.0) {
            best = Some((rank, media.clone(), kind));
        }
    }
    let (_, media, kind) = best?;
    // `*/*` with a binary schema is bytes, not JSON.
    let schema_format = content
        .get(&media)
        .and_then(|it| it.get("schema"))
        .and_then(|it| it.get("format"));
    let kind = if kind == BodyKind::Json && schema_format.and_then(Value::as_str) == Some("binary")
    {
        BodyKind::Binary
    } else {
        kind
    };
    Some((media, kind))
}

/// An operation pages when a success response has a header named like a token parameter.
fn paging(params: &[Param], responses: &[Response]) -> Option<Paging> {
    let successes: Vec<&Response> = responses.iter().filter(|it| it.success).collect();
    if successes.len() != 1 || successes[0].ty.is_none() {
        return None;
    }
    for response in successes {
        for header in &response.headers {
            let param = params.iter().find(|it| {
                it.credential.is_none()
                    && !it.required
                    && matches!(it.location, ParamLocation::Header | ParamLocation::Query)
                    && it.wire_name.eq_ignore_ascii_case(&header.wire_name)
                    && it.ty == TypeRef::string()
                    && header.ty == TypeRef::string()
            });
            if let Some(param) = param {
                return Some(Paging {
                    param: param.rust_name.clone(),
                    response: response.variant.clone(),
                    header: header.rust_name.clone(),
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
