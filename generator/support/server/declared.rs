//! Consumed operations sent as the capability declares them, the way the Naftiko engine builds
//! its requests: the call's parameters (exposed inputs and `with` values) and the bound
//! variables render the Mustache templates of the path, the consumed `inputParameters`, the
//! body and the credentials.
//!
//! Where capgen deliberately differs from the alpha2 engine (each a bug there): values put into
//! the path are percent-encoded, query values always are (API keys too), credentials may use
//! bound variables, adapter-level headers are rendered like any other, `cookie` parameters are
//! sent, and a consumed `in: body` parameter without a `body` template is sent as the JSON body.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::support::formats::Format;
use crate::support::mustache;
use crate::support::upstream::{CallError, UpstreamResponse};

/// A consumed API.
#[derive(Debug)]
pub struct ApiSpec {
    /// Its namespace.
    pub namespace: &'static str,
    /// Its credentials.
    pub auth: Option<AuthSpec>,
    /// Its own `inputParameters` (every operation has them too; a `forward` sends only these).
    pub parameters: &'static [ParamSpec],
}

/// Where an API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPlacement {
    /// A header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// Outbound credentials; every value is a Mustache template.
#[derive(Debug)]
pub enum AuthSpec {
    /// An API key.
    ApiKey {
        /// Header, query parameter or cookie name.
        name: &'static str,
        /// Where it goes.
        placement: KeyPlacement,
        /// The key.
        value: &'static str,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: &'static str,
    },
    /// `Authorization: Basic …`.
    Basic {
        /// User name.
        username: &'static str,
        /// Password.
        password: &'static str,
    },
    /// HTTP Digest, answered after the upstream's `401` challenge.
    Digest {
        /// User name.
        username: &'static str,
        /// Password.
        password: &'static str,
    },
}

/// `in` of a consumed parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireIn {
    /// Appended to the query string.
    Query,
    /// Set as a header.
    Header,
    /// Only named by the path template.
    Path,
    /// Sent as a cookie.
    Cookie,
    /// The JSON body, when the operation has no `body` template.
    Body,
    /// Read from the server's environment into the parameters.
    Environment,
}

/// A consumed input parameter.
#[derive(Debug)]
pub struct ParamSpec {
    /// The parameter name (on the wire and in the call's parameters).
    pub name: &'static str,
    /// Where it goes.
    pub location: WireIn,
    /// A Mustache template; `None` takes the call parameter of the same name.
    pub value: Option<&'static str>,
}

/// A `multipartForm` part.
#[derive(Debug)]
pub struct PartSpec {
    /// The field name.
    pub name: &'static str,
    /// The value (a template).
    pub value: &'static str,
    /// A file name, making the part a file.
    pub filename: Option<&'static str>,
    /// The part's media type.
    pub content_type: Option<&'static str>,
}

/// A request body.
#[derive(Debug)]
pub enum BodySpec {
    /// A template sent with a media type.
    Template {
        /// `Content-Type`.
        media_type: &'static str,
        /// The body template.
        template: &'static str,
    },
    /// `application/x-www-form-urlencoded` fields (values are templates).
    Form(&'static [(&'static str, &'static str)]),
    /// `multipart/form-data` parts.
    Multipart(&'static [PartSpec]),
}

/// A consumed operation.
#[derive(Debug)]
pub struct OperationSpec {
    /// Index into the APIs.
    pub api: usize,
    /// The operation name (for errors).
    pub name: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path relative to the base URI, a Mustache template.
    pub path: &'static str,
    /// The consumed parameters: the API's, the resource's, the operation's.
    pub parameters: &'static [ParamSpec],
    /// The body.
    pub body: Option<BodySpec>,
    /// How the answer is read before output mappings.
    pub format: Format,
    /// `outputSchema`: a CSS selector (html) or heading prefix (markdown).
    pub selector: Option<&'static str>,
}

#[derive(Debug)]
struct Api {
    spec: &'static ApiSpec,
    base: String,
    /// Sends every request but multipart ones.
    client: crate::support::http_client::HttpClient,
    /// Sends multipart bodies (`reqwest` builds them).
    http: reqwest::Client,
}

/// The consumed APIs of a server, ready to call.
#[derive(Debug, Clone)]
pub struct Declared {
    apis: Arc<Vec<Api>>,
    variables: Arc<BTreeMap<String, String>>,
}

impl Declared {
    /// One HTTP client per API (`urls` and `timeouts` in the same order as `specs`).
    pub fn new(
        specs: &'static [ApiSpec],
        urls: &[String],
        timeouts: &[Duration],
        variables: Arc<BTreeMap<String, String>>,
    ) -> Result<Declared, String> {
        let mut apis = Vec::with_capacity(specs.len());
        for (index, spec) in specs.iter().enumerate() {
            let timeout = timeouts
                .get(index)
                .copied()
                .unwrap_or(Duration::from_secs(30));
            let http = reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
            let base = urls.get(index).cloned().unwrap_or_default();
            reqwest::Url::parse(&base).map_err(|err| {
                format!(
                    "the URL of the consumed API `{}` is not valid ({base}): {err}",
                    spec.namespace
                )
            })?;
            let client = crate::support::http_client::HttpClient::new(timeout)?;
            apis.push(Api {
                spec,
                base,
                client,
                http,
            });
        }
        Ok(Declared {
            apis: Arc::new(apis),
            variables,
        })
    }

    /// Sends `op` with the call's parameters `args`.
    pub async fn call(
        &self,
        op: &'static OperationSpec,
        args: Map<String, Value>,
    ) -> Result<UpstreamResponse, CallError> {
        let Some(api) = self.apis.get(op.api) else {
            return Err(CallError::Unreachable);
        };
        let request = build(api, op, args, &self.variables)?;
        let (status, headers, body) = send(api, request).await?;
        Ok(UpstreamResponse {
            status,
            headers,
            body,
            format: op.format,
            selector: op.selector,
        })
    }
}

/// A request ready to send (kept so that a digest challenge can be answered by sending it
/// again).
struct Prepared {
    method: reqwest::Method,
    url: reqwest::Url,
    headers: HeaderMap,
    body: Option<PreparedBody>,
    digest: Option<(String, String)>,
}

enum PreparedBody {
    Bytes(String, Vec<u8>),
    #[cfg(feature = "multipart")]
    Multipart(Vec<(String, String, Option<String>, Option<String>)>),
    #[cfg(not(feature = "multipart"))]
    Multipart,
}

impl PreparedBody {
    fn is_multipart(&self) -> bool {
        match self {
            PreparedBody::Bytes(..) => false,
            #[cfg(feature = "multipart")]
            PreparedBody::Multipart(_) => true,
            #[cfg(not(feature = "multipart"))]
            PreparedBody::Multipart => true,
        }
    }
}

fn invalid(name: &str, message: String) -> CallError {
    CallError::InvalidArgument {
        name: name.to_owned(),
        message,
    }
}

fn transport_error(err: reqwest::Error) -> CallError {
    if err.is_timeout() {
        CallError::Timeout
    } else {
        CallError::Unreachable
    }
}

/// The call's parameters and the variables, as a template context.
struct Scope<'a> {
    params: &'a Map<String, Value>,
    variables: &'a BTreeMap<String, String>,
}

impl Scope<'_> {
    fn render(&self, template: &str) -> String {
        let params = self.params;
        let variables = self.variables;
        let lookup = |name: &str| -> Option<Value> {
            if let Some(found) = params.get(name) {
                return Some(found.clone());
            }
            if let Some(found) = variables.get(name) {
                return Some(Value::String(found.clone()));
            }
            // A dotted name into an object parameter (a step's output).
            mustache::lookup_dotted(params, name).cloned()
        };
        mustache::render(template, &lookup)
    }
}

const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The path with each substituted value percent-encoded as a path segment.
fn render_path(template: &str, scope: &Scope<'_>) -> String {
    let params = scope.params;
    let variables = scope.variables;
    let lookup = |name: &str| -> Option<Value> {
        let raw = params
            .get(name)
            .map(mustache::text)
            .or_else(|| variables.get(name).cloned())?;
        Some(Value::String(
            percent_encoding::utf8_percent_encode(&raw, PATH_SEGMENT).to_string(),
        ))
    };
    mustache::render(template, &lookup)
}

/// `base` and `path` joined with exactly one `/`.
fn join(base: &str, path: &str) -> String {
    if path.is_empty() {
        return base.to_owned();
    }
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

fn build(
    api: &Api,
    op: &'static OperationSpec,
    mut params: Map<String, Value>,
    variables: &BTreeMap<String, String>,
) -> Result<Prepared, CallError> {
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers = HeaderMap::new();
    let mut cookies: Vec<String> = Vec::new();
    let mut body_param: Option<Value> = None;
    for spec in op.parameters {
        let value = match (spec.value, spec.location) {
            (Some(template), _) => {
                let scope = Scope {
                    params: &params,
                    variables,
                };
                let rendered = scope.render(template);
                // An optional value whose template found nothing is not sent.
                if rendered.is_empty() && mustache::has_tags(template) {
                    None
                } else {
                    Some(Value::String(rendered))
                }
            }
            (None, WireIn::Environment) => {
                variables.get(spec.name).map(|it| Value::String(it.clone()))
            }
            (None, _) => params.get(spec.name).cloned(),
        };
        let Some(value) = value.filter(|it| !it.is_null()) else {
            continue;
        };
        let text = mustache::text(&value);
        if text.contains("{{") {
            continue;
        }
        match spec.location {
            WireIn::Query => query.push((spec.name.to_owned(), text)),
            WireIn::Header => insert_header(&mut headers, spec.name, &text)?,
            WireIn::Cookie => cookies.push(format!("{}={text}", spec.name)),
            WireIn::Body => body_param = Some(value.clone()),
            WireIn::Path | WireIn::Environment => {}
        }
        params.insert(spec.name.to_owned(), value);
    }
    let scope = Scope {
        params: &params,
        variables,
    };
    let path = render_path(op.path, &scope);
    if path.contains("{{") {
        return Err(invalid(
            "path",
            format!("unresolved template parameters in the path `{path}`"),
        ));
    }
    let digest = credentials(api, &scope, &mut headers, &mut query, &mut cookies)?;
    if !cookies.is_empty() {
        insert_header(&mut headers, "cookie", &cookies.join("; "))?;
    }
    let mut url = join(&api.base, &path);
    append_query(&mut url, &query);
    let url = reqwest::Url::parse(&url)
        .map_err(|err| invalid("path", format!("the request URL is not valid: {err}")))?;
    let body = match &op.body {
        Some(BodySpec::Template {
            media_type,
            template,
        }) => {
            let text = scope.render(template);
            if text.contains("{{") {
                return Err(invalid(
                    "body",
                    "unresolved template parameters in the request body".to_owned(),
                ));
            }
            Some(PreparedBody::Bytes(
                (*media_type).to_owned(),
                text.into_bytes(),
            ))
        }
        Some(BodySpec::Form(fields)) => {
            let encoded: Vec<String> = fields
                .iter()
                .map(|(name, value)| {
                    format!(
                        "{}={}",
                        percent_encoding::utf8_percent_encode(name, QUERY_VALUE),
                        percent_encoding::utf8_percent_encode(&scope.render(value), QUERY_VALUE)
                    )
                })
                .collect();
            Some(PreparedBody::Bytes(
                "application/x-www-form-urlencoded".to_owned(),
                encoded.join("&").into_bytes(),
            ))
        }
        Some(BodySpec::Multipart(parts)) => Some(multipart(parts, &scope)),
        None => body_param.map(|value| {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            PreparedBody::Bytes("application/json".to_owned(), text.into_bytes())
        }),
    };
    let method = reqwest::Method::from_bytes(op.method.as_bytes())
        .map_err(|_| invalid("method", format!("unknown HTTP method `{}`", op.method)))?;
    Ok(Prepared {
        method,
        url,
        headers,
        body,
        digest,
    })
}

/// Applies the API's credentials: headers, query parameters and cookies added, or (digest)
/// the user and password to answer the upstream's challenge with.
fn credentials(
    api: &Api,
    scope: &Scope<'_>,
    headers: &mut HeaderMap,
    query: &mut Vec<(String, String)>,
    cookies: &mut Vec<String>,
) -> Result<Option<(String, String)>, CallError> {
    match &api.spec.auth {
        Some(AuthSpec::ApiKey {
            name,
            placement,
            value,
        }) => {
            let value = scope.render(value);
            match placement {
                KeyPlacement::Header => insert_header(headers, name, &value)?,
                KeyPlacement::Query => query.push(((*name).to_owned(), value)),
                KeyPlacement::Cookie => cookies.push(format!("{name}={value}")),
            }
        }
        Some(AuthSpec::Bearer { token }) => {
            let token = scope.render(token);
            insert_header(headers, "authorization", &format!("Bearer {token}"))?;
        }
        Some(AuthSpec::Basic { username, password }) => {
            use base64::Engine as _;
            let credentials = format!("{}:{}", scope.render(username), scope.render(password));
            let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
            insert_header(headers, "authorization", &format!("Basic {encoded}"))?;
        }
        Some(AuthSpec::Digest { username, password }) => {
            return Ok(Some((scope.render(username), scope.render(password))));
        }
        None => {}
    }
    Ok(None)
}

/// Appends percent-encoded query parameters to `url`.
fn append_query(url: &mut String, query: &[(String, String)]) {
    if query.is_empty() {
        return;
    }
    let encoded: Vec<String> = query
        .iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(name, QUERY_VALUE),
                percent_encoding::utf8_percent_encode(value, QUERY_VALUE)
            )
        })
        .collect();
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(&encoded.join("&"));
}

/// A request to pass on to a consumed API as it came (a REST `forward`).
#[derive(Debug)]
pub struct Forwarded {
    /// The method, as received.
    pub method: axum::http::Method,
    /// The path below the forwarding resource, as received (still percent-encoded).
    pub path: String,
    /// The query string, as received.
    pub query: Option<String>,
    /// The trusted headers of the request (every other header is dropped).
    pub headers: HeaderMap,
    /// The body, as received.
    pub body: bytes::Bytes,
    /// The body's media type (it goes with the body, trusted header or not).
    pub content_type: Option<String>,
}

impl Declared {
    /// Sends `request` to the consumed API at `api`: its base URL and the path below the
    /// forwarding resource, with the API's own parameters (headers and query values of its
    /// `inputParameters`, rendered over the bound variables) and credentials.
    pub async fn forward(
        &self,
        api: usize,
        request: Forwarded,
    ) -> Result<UpstreamResponse, CallError> {
        let Some(api) = self.apis.get(api) else {
            return Err(CallError::Unreachable);
        };
        let empty = Map::new();
        let scope = Scope {
            params: &empty,
            variables: &self.variables,
        };
        let mut headers = request.headers;
        let mut query: Vec<(String, String)> = Vec::new();
        let mut cookies: Vec<String> = Vec::new();
        for spec in api.spec.parameters {
            // Only fixed values: a forwarded request has no call parameters to read.
            let Some(template) = spec.value else {
                continue;
            };
            let value = scope.render(template);
            if value.is_empty() || value.contains("{{") {
                continue;
            }
            match spec.location {
                WireIn::Query => query.push((spec.name.to_owned(), value)),
                WireIn::Header => insert_header(&mut headers, spec.name, &value)?,
                WireIn::Cookie => cookies.push(format!("{}={value}", spec.name)),
                WireIn::Path | WireIn::Body | WireIn::Environment => {}
            }
        }
        let digest = credentials(api, &scope, &mut headers, &mut query, &mut cookies)?;
        if !cookies.is_empty() {
            insert_header(&mut headers, "cookie", &cookies.join("; "))?;
        }
        let mut url = join(&api.base, &request.path);
        if let Some(received) = request.query.as_deref() {
            // The caller's own values of the parameters this server sets (an API key in the
            // query) are dropped: the upstream would see two and might read the caller's.
            let ours = |pair: &&str| {
                let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
                let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
                query.iter().any(|(set, _)| *set == name)
            };
            let kept: Vec<&str> = received
                .split('&')
                .filter(|pair| !pair.is_empty())
                .filter(|pair| !ours(pair))
                .collect();
            if !kept.is_empty() {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&kept.join("&"));
            }
        }
        append_query(&mut url, &query);
        let url = reqwest::Url::parse(&url)
            .map_err(|err| invalid("path", format!("the request URL is not valid: {err}")))?;
        let method =
            reqwest::Method::from_bytes(request.method.as_str().as_bytes()).map_err(|_| {
                invalid(
                    "method",
                    format!("unknown HTTP method `{}`", request.method),
                )
            })?;
        let media_type = request
            .content_type
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let body = (!request.body.is_empty())
            .then(|| PreparedBody::Bytes(media_type, request.body.to_vec()));
        let prepared = Prepared {
            method,
            url,
            headers,
            body,
            digest,
        };
        let (status, headers, body) = send(api, prepared).await?;
        Ok(UpstreamResponse::json(status, headers, body))
    }
}

#[cfg(feature = "multipart")]
fn multipart(parts: &'static [PartSpec], scope: &Scope<'_>) -> PreparedBody {
    PreparedBody::Multipart(
        parts
            .iter()
            .map(|part| {
                (
                    part.name.to_owned(),
                    scope.render(part.value),
                    part.filename.map(str::to_owned),
                    part.content_type.map(str::to_owned),
                )
            })
            .collect(),
    )
}

#[cfg(not(feature = "multipart"))]
fn multipart(_parts: &'static [PartSpec], _scope: &Scope<'_>) -> PreparedBody {
    PreparedBody::Multipart
}

fn insert_header(headers: &mut HeaderMap, name: &str, value: &str) -> Result<(), CallError> {
    let header = axum::http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| invalid(name, format!("`{name}` is not a valid header name")))?;
    let value = axum::http::HeaderValue::from_str(value).map_err(|_| {
        invalid(
            name,
            format!("the value of the header `{name}` is not valid"),
        )
    })?;
    headers.insert(header, value);
    Ok(())
}

fn request(api: &Api, prepared: &Prepared) -> Result<reqwest::RequestBuilder, CallError> {
    let mut builder = api
        .http
        .request(prepared.method.clone(), prepared.url.clone())
        .headers(prepared.headers.clone());
    match &prepared.body {
        Some(PreparedBody::Bytes(media_type, bytes)) => {
            // A `Content-Type` parameter of the capability wins over the body's default.
            if !prepared.headers.contains_key(reqwest::header::CONTENT_TYPE) {
                builder = builder.header(reqwest::header::CONTENT_TYPE, media_type.as_str());
            }
            builder = builder.body(bytes.clone());
        }
        #[cfg(feature = "multipart")]
        Some(PreparedBody::Multipart(parts)) => {
            let mut form = reqwest::multipart::Form::new();
            for (name, value, filename, content_type) in parts {
                let mut part = reqwest::multipart::Part::text(value.clone());
                if let Some(filename) = filename {
                    part = part.file_name(filename.clone());
                }
                if let Some(content_type) = content_type {
                    part = part.mime_str(content_type).map_err(|_| {
                        invalid(name, format!("`{content_type}` is not a media type"))
                    })?;
                }
                form = form.part(name.clone(), part);
            }
            builder = builder.multipart(form);
        }
        #[cfg(not(feature = "multipart"))]
        Some(PreparedBody::Multipart) => {
            return Err(invalid(
                "body",
                "this server was built without the `multipart` feature".to_owned(),
            ));
        }
        None => {}
    }
    Ok(builder)
}

/// An answer: status, headers, body.
type Answer = (axum::http::StatusCode, HeaderMap, bytes::Bytes);

/// Sends `prepared`, answering a digest challenge once when the API uses digest.
async fn send(api: &Api, prepared: Prepared) -> Result<Answer, CallError> {
    let answer = exchange(api, &prepared, None).await?;
    let Some((username, password)) = &prepared.digest else {
        return Ok(answer);
    };
    if answer.0 != axum::http::StatusCode::UNAUTHORIZED {
        return Ok(answer);
    }
    let challenge = answer
        .1
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|it| it.to_str().ok())
        .map(str::to_owned);
    let Some(challenge) = challenge else {
        return Ok(answer);
    };
    let Some(authorization) = crate::support::declared::digest_authorization(
        &challenge,
        username,
        password,
        prepared.method.as_str(),
        &request_target(&prepared.url),
    ) else {
        return Ok(answer);
    };
    exchange(api, &prepared, Some(authorization)).await
}

/// One request and its whole answer: multipart bodies through `reqwest`, everything else
/// through the pooled hyper client.
async fn exchange(
    api: &Api,
    prepared: &Prepared,
    authorization: Option<String>,
) -> Result<Answer, CallError> {
    let authorization = authorization
        .map(|it| {
            axum::http::HeaderValue::from_str(&it).map_err(|_| {
                invalid(
                    "authorization",
                    "the digest answer cannot be sent".to_owned(),
                )
            })
        })
        .transpose()?;
    if prepared
        .body
        .as_ref()
        .is_some_and(PreparedBody::is_multipart)
    {
        let mut builder = request(api, prepared)?;
        if let Some(value) = authorization {
            builder = builder.header(reqwest::header::AUTHORIZATION, value);
        }
        let response = builder.send().await.map_err(transport_error)?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.bytes().await.map_err(transport_error)?;
        return Ok((status, headers, body));
    }
    let mut headers = prepared.headers.clone();
    let body = match &prepared.body {
        Some(PreparedBody::Bytes(media_type, bytes)) => {
            // A `Content-Type` parameter of the capability wins over the body's default.
            if !headers.contains_key(reqwest::header::CONTENT_TYPE) {
                let value = axum::http::HeaderValue::from_str(media_type)
                    .map_err(|_| invalid("body", format!("`{media_type}` is not a media type")))?;
                headers.insert(reqwest::header::CONTENT_TYPE, value);
            }
            bytes::Bytes::from(bytes.clone())
        }
        _ => bytes::Bytes::new(),
    };
    if let Some(value) = authorization {
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    let mut request = axum::http::Request::builder()
        .method(prepared.method.clone())
        .uri(prepared.url.as_str())
        .body(body)
        .map_err(|_| invalid("path", "the request URL cannot be sent".to_owned()))?;
    *request.headers_mut() = headers;
    let response = api.client.send(request).await.map_err(|failure| {
        use crate::support::http_client::Failure;
        match failure {
            Failure::Timeout => CallError::Timeout,
            Failure::Connect(_) | Failure::Other(_) => CallError::Unreachable,
        }
    })?;
    let (parts, body) = response.into_parts();
    Ok((parts.status, parts.headers, body))
}

fn request_target(url: &reqwest::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// The `Authorization` header answering a `WWW-Authenticate: Digest …` challenge (RFC 7616:
/// MD5 or SHA-256, `qop=auth` or none). `None` when the challenge is not one capgen answers.
#[cfg(feature = "digest")]
pub fn digest_authorization(
    challenge: &str,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
) -> Option<String> {
    use md5::Digest as _;
    let rest = challenge.trim().strip_prefix("Digest")?.trim_start();
    let params = challenge_params(rest);
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|it| it.1.as_str())
    };
    let realm = get("realm")?;
    let nonce = get("nonce")?;
    let algorithm = get("algorithm").unwrap_or("MD5");
    let hash = |text: &str| -> Option<String> {
        let bytes: Vec<u8> = match algorithm.to_ascii_uppercase().as_str() {
            "MD5" => md5::Md5::digest(text.as_bytes()).to_vec(),
            "SHA-256" => sha2::Sha256::digest(text.as_bytes()).to_vec(),
            _ => return None,
        };
        Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
    };
    let ha1 = hash(&format!("{username}:{realm}:{password}"))?;
    let ha2 = hash(&format!("{method}:{uri}"))?;
    let qop = get("qop").and_then(|it| it.split(',').map(str::trim).find(|it| *it == "auth"));
    let mut header = format!(
        "Digest username=\"{username}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm={algorithm}"
    );
    let response = match qop {
        Some(qop) => {
            let cnonce = uuid::Uuid::new_v4().simple().to_string();
            let nc = "00000001";
            header.push_str(&format!(", qop={qop}, nc={nc}, cnonce=\"{cnonce}\""));
            hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"))?
        }
        None => hash(&format!("{ha1}:{nonce}:{ha2}"))?,
    };
    header.push_str(&format!(", response=\"{response}\""));
    if let Some(opaque) = get("opaque") {
        header.push_str(&format!(", opaque=\"{opaque}\""));
    }
    Some(header)
}

/// Without the `digest` feature no challenge is answered.
#[cfg(not(feature = "digest"))]
pub fn digest_authorization(
    _challenge: &str,
    _username: &str,
    _password: &str,
    _method: &str,
    _uri: &str,
) -> Option<String> {
    None
}

/// `key=value` and `key="quoted, value"` pairs of a challenge.
#[cfg(feature = "digest")]
fn challenge_params(text: &str) -> Vec<(String, String)> {
    let mut res = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (quoted[..end].to_owned(), &quoted[end + 1..]),
                None => (quoted.to_owned(), ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (after[..end].trim().to_owned(), &after[end..]),
                None => (after.trim().to_owned(), ""),
            }
        };
        res.push((key, value));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base_and_path_join_with_one_slash() {
        assert_eq!(join("http://h/v1", "forecast"), "http://h/v1/forecast");
        assert_eq!(join("http://h/v1/", "/forecast"), "http://h/v1/forecast");
        assert_eq!(join("http://h", ""), "http://h");
    }

    #[test]
    fn path_values_are_encoded_as_segments() {
        let params = json!({"id": "a/b c"});
        let params = params.as_object().cloned().unwrap_or_default();
        let variables = BTreeMap::new();
        let scope = Scope {
            params: &params,
            variables: &variables,
        };
        assert_eq!(render_path("/items/{{id}}", &scope), "/items/a%2Fb%20c");
        assert_eq!(render_path("/items/{{missing}}/x", &scope), "/items//x");
    }

    #[cfg(feature = "digest")]
    #[test]
    fn digest_answers_the_rfc_2617_example() {
        // RFC 2617 §3.5, with the client nonce fixed by recomputing the expected response.
        let challenge = r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
        let header = digest_authorization(
            challenge,
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
        )
        .unwrap_or_default();
        assert!(header.starts_with("Digest username=\"Mufasa\""), "{header}");
        assert!(header.contains("qop=auth"), "{header}");
        assert!(
            header.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""),
            "{header}"
        );
    }
}
