//! Building requests: path, query, header and cookie parameters encoded per their OpenAPI
//! `style`, bodies, and sending.
//!
//! Values go through `serde_json::to_value`, so every type encodes the way it serialises:
//! strings as they are, booleans as `true`/`false`, date-times as RFC 3339, enums as their wire
//! values. Path segments and query values are percent-encoded except for unreserved characters,
//! so `a b/c+d?e#f%g` arrives intact.

#![allow(dead_code)]

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, RawResponse, RequestError, TransportError};
use crate::retry::RetryPolicy;
use crate::transport::Hooks;
use crate::transport::Transport;

/// Everything but the unreserved characters of RFC 3986 is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How a parameter is serialised (OpenAPI `style`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Simple,
    Label,
    Matrix,
    Form,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
    /// `content` parameters: the value as JSON text.
    Json,
}

/// A credential applied through the `Authorization` header.
#[derive(Clone)]
pub(crate) enum Authorization {
    Basic { username: String, password: String },
    Bearer(String),
}

/// A request being built by an operation.
pub(crate) struct RequestParts {
    method: reqwest::Method,
    /// The operation's path template, for the `tracing` span.
    route: &'static str,
    path: String,
    query: Vec<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    cookies: Vec<String>,
    authorization: Option<Authorization>,
    body: Option<(Bytes, &'static str)>,
    custom_body: Option<Box<dyn FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder + Send>>,
    error: Option<RequestError>,
}

/// How a request is sent: the client's HTTP stacks, retry policy and hooks.
#[derive(Clone, Copy)]
pub(crate) struct Sender<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) transport: Option<&'a dyn Transport>,
    pub(crate) retry: Option<&'a RetryPolicy>,
    pub(crate) hooks: Option<&'a dyn Hooks>,
    pub(crate) base_url: &'a str,
    pub(crate) base: Option<&'a reqwest::Url>,
}

/// Sends a complete request through a [`Transport`].
async fn send_http(
    transport: &dyn Transport,
    request: http::Request<Bytes>,
) -> Result<RawResponse, Error> {
    let response = transport
        .send(request)
        .await
        .map_err(|err| Error::Transport(TransportError::custom(err)))?;
    let (parts, body) = response.into_parts();
    Ok(RawResponse::new(parts.status, parts.headers, body))
}

/// Sends a complete request through `reqwest`.
async fn send_reqwest(
    http: &reqwest::Client,
    request: http::Request<Bytes>,
) -> Result<RawResponse, Error> {
    let request = reqwest::Request::try_from(request)
        .map_err(|_| Error::Request(RequestError::new("the request URL cannot be sent")))?;
    let response = http
        .execute(request)
        .await
        .map_err(|err| Error::Transport(TransportError::new(err)))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|err| Error::Transport(TransportError::new(err)))?;
    Ok(RawResponse::new(status, headers, body))
}

impl RequestParts {
    pub(crate) fn new(method: reqwest::Method, route: &'static str) -> RequestParts {
        RequestParts {
            method,
            route,
            path: String::new(),
            query: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            authorization: None,
            body: None,
            custom_body: None,
            error: None,
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(RequestError::new(message));
        }
    }

    fn value<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Option<Value> {
        match serde_json::to_value(value) {
            Ok(Value::Null) => None,
            Ok(value) => Some(value),
            Err(err) => {
                self.fail(format!("parameter `{name}` cannot be encoded: {err}"));
                None
            }
        }
    }

    /// Appends a literal piece of the path template.
    pub(crate) fn path(&mut self, literal: &str) {
        self.path.push_str(literal);
    }

    /// Appends a path parameter, percent-encoded.
    pub(crate) fn path_param<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
        style: Style,
        explode: bool,
    ) {
        let Some(value) = self.value(name, value) else {
            return;
        };
        let encoded = match style {
            Style::Label => {
                let separator = if explode { "." } else { "," };
                format!(".{}", join(&value, separator, explode, encode))
            }
            Style::Matrix => matrix(name, &value, explode),
            Style::Json => encode(&value.to_string()),
            _ => join(&value, ",", explode, encode),
        };
        self.path.push_str(&encoded);
    }

    /// Adds a query parameter (absent when the value is `None`).
    pub(crate) fn query<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
        style: Style,
        explode: bool,
    ) {
        let Some(value) = self.value(name, value) else {
            return;
        };
        let key = encode(name);
        match (&value, style) {
            (_, Style::Json) => self
                .query
                .push(format!("{key}={}", encode(&value.to_string()))),
            (Value::Array(items), Style::Form) if explode => {
                for item in items {
                    self.query.push(format!("{key}={}", encode(&scalar(item))));
                }
            }
            (Value::Array(_), Style::SpaceDelimited) => {
                self.query
                    .push(format!("{key}={}", join(&value, "%20", false, encode)));
            }
            (Value::Array(_), Style::PipeDelimited) => {
                self.query
                    .push(format!("{key}={}", join(&value, "|", false, encode)));
            }
            (Value::Object(members), Style::DeepObject) => {
                for (member, item) in members {
                    self.query.push(format!(
                        "{key}%5B{}%5D={}",
                        encode(member),
                        encode(&scalar(item))
                    ));
                }
            }
            (Value::Object(members), Style::Form) if explode => {
                for (member, item) in members {
                    self.query
                        .push(format!("{}={}", encode(member), encode(&scalar(item))));
                }
            }
            _ => self
                .query
                .push(format!("{key}={}", join(&value, ",", false, encode))),
        }
    }

    /// Adds a header parameter (absent when the value is `None`).
    pub(crate) fn header<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
        explode: bool,
    ) {
        let Some(value) = self.value(name, value) else {
            return;
        };
        let text = join(&value, ",", explode, |it| it.to_owned());
        self.raw_header(name, &text);
    }

    /// Adds a header from text. Invalid names or values make the request fail before sending;
    /// the message names the header, never its value.
    pub(crate) fn raw_header(&mut self, name: &str, value: &str) {
        let name_parsed = HeaderName::from_bytes(name.as_bytes());
        let value_parsed = HeaderValue::from_str(value);
        match (name_parsed, value_parsed) {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(true);
                self.headers.push((name, value));
            }
            _ => self.fail(format!(
                "header `{name}` has a value that cannot be sent in a header"
            )),
        }
    }

    /// Adds a cookie parameter (absent when the value is `None`).
    pub(crate) fn cookie<T: Serialize + ?Sized>(&mut self, name: &str, value: &T, explode: bool) {
        let Some(value) = self.value(name, value) else {
            return;
        };
        self.raw_cookie(name, &join(&value, ",", explode, encode));
    }

    /// Adds a cookie whose value is already encoded.
    pub(crate) fn raw_cookie(&mut self, name: &str, value: &str) {
        self.cookies.push(format!("{name}={value}"));
    }

    /// Adds a query parameter whose value is text (API keys).
    pub(crate) fn raw_query(&mut self, name: &str, value: &str) {
        self.query
            .push(format!("{}={}", encode(name), encode(value)));
    }

    pub(crate) fn authorization(&mut self, authorization: Authorization) {
        self.authorization = Some(authorization);
    }

    /// Sets the `Accept` header.
    pub(crate) fn accept(&mut self, media_type: &'static str) {
        self.headers.push((
            reqwest::header::ACCEPT,
            HeaderValue::from_static(media_type),
        ));
    }

    /// A JSON body.
    pub(crate) fn json<T: Serialize + ?Sized>(&mut self, value: &T, media_type: &'static str) {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.body = Some((Bytes::from(bytes), media_type)),
            Err(err) => self.fail(format!("the body cannot be encoded as JSON: {err}")),
        }
    }

    /// An `application/x-www-form-urlencoded` body: the members of the value as form fields.
    pub(crate) fn form<T: Serialize + ?Sized>(&mut self, value: &T, media_type: &'static str) {
        let Some(value) = self.value("body", value) else {
            return;
        };
        let mut pairs = Vec::new();
        match &value {
            Value::Object(members) => {
                for (member, item) in members {
                    match item {
                        Value::Null => {}
                        Value::Array(items) => {
                            pairs.extend(
                                items.iter().map(|it| {
                                    format!("{}={}", encode(member), encode(&scalar(it)))
                                }),
                            );
                        }
                        other => {
                            pairs.push(format!("{}={}", encode(member), encode(&scalar(other))))
                        }
                    }
                }
            }
            other => pairs.push(encode(&scalar(other))),
        }
        self.body = Some((Bytes::from(pairs.join("&")), media_type));
    }

    /// A body sent as given.
    pub(crate) fn bytes(&mut self, body: Bytes, media_type: &'static str) {
        self.body = Some((body, media_type));
    }

    /// A body reqwest builds itself (multipart forms).
    pub(crate) fn custom_body(
        &mut self,
        apply: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder + Send + 'static,
    ) {
        self.custom_body = Some(Box::new(apply));
    }

    /// Sends the request as [`Self::send_once`] does, again as the retry policy says for an
    /// idempotent one (not a multipart one, whose body is built once).
    pub(crate) async fn send(self, with: Sender<'_>) -> Result<RawResponse, Error> {
        use tracing::Instrument as _;
        // Method and path template only: the URL may carry credentials. Debug level: a proxy
        // built on the client (the generated servers) logs its own line per request.
        let span = tracing::debug_span!(
            "http_request",
            method = %self.method,
            route = self.route,
            status = tracing::field::Empty,
        );
        let result = self.send_retrying(with).instrument(span.clone()).await;
        if let Ok(answer) = &result {
            span.record("status", answer.status().as_u16());
        }
        result
    }

    async fn send_retrying(self, with: Sender<'_>) -> Result<RawResponse, Error> {
        let Some(policy) = with
            .retry
            .filter(|it| self.custom_body.is_none() && it.applies_to(&self.method))
        else {
            return self.send_once(&with).await;
        };
        let mut attempt = 0;
        loop {
            let result = self.duplicate().send_once(&with).await;
            if attempt >= policy.max_retries() {
                return result;
            }
            let wait = match &result {
                Ok(answer) => policy.after_answer(answer.status(), answer.headers(), attempt),
                Err(Error::Transport(failure)) if !failure.is_timeout() => {
                    Some(policy.backoff(attempt))
                }
                Err(_) => None,
            };
            let Some(wait) = wait else {
                return result;
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// A copy to send (never one with a multipart body, which is built once).
    fn duplicate(&self) -> RequestParts {
        RequestParts {
            method: self.method.clone(),
            route: self.route,
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            cookies: self.cookies.clone(),
            authorization: self.authorization.clone(),
            body: self.body.clone(),
            custom_body: None,
            error: self.error.clone(),
        }
    }

    /// Sends the request to `base_url` (`base` when it parsed) and reads the whole response:
    /// through `transport` when there is one (and the body is not multipart), else `http`;
    /// through the hooks when there are some.
    async fn send_once(self, with: &Sender<'_>) -> Result<RawResponse, Error> {
        let Sender {
            http,
            transport,
            hooks,
            base_url,
            base,
            ..
        } = *with;
        if let Some(error) = self.error {
            return Err(Error::Request(error));
        }
        if let Some(hooks) = hooks
            && self.custom_body.is_none()
        {
            let mut request = self.into_http(base_url)?;
            hooks.before_request(&mut request).await;
            let (method, uri) = (request.method().clone(), request.uri().clone());
            let result = match transport {
                Some(transport) => send_http(transport, request).await,
                None => send_reqwest(http, request).await,
            };
            hooks.after_response(&method, &uri, &result);
            return result;
        }
        if let Some(transport) = transport
            && self.custom_body.is_none()
        {
            let request = self.into_http(base_url)?;
            return send_http(transport, request).await;
        }
        let query = (!self.query.is_empty()).then(|| self.query.join("&"));
        let mut request = match base {
            // Only the path and query are parsed per request, not scheme and host again.
            Some(base) => {
                let mut url = base.clone();
                url.set_path(&format!(
                    "{}{}",
                    base.path().trim_end_matches('/'),
                    self.path
                ));
                let query = match (base.query(), query) {
                    (Some(fixed), Some(ours)) => Some(format!("{fixed}&{ours}")),
                    (fixed, ours) => ours.or(fixed.map(str::to_owned)),
                };
                url.set_query(query.as_deref());
                http.request(self.method, url)
            }
            None => {
                let mut url = format!("{}{}", base_url.trim_end_matches('/'), self.path);
                if let Some(query) = query {
                    url.push(if url.contains('?') { '&' } else { '?' });
                    url.push_str(&query);
                }
                http.request(self.method, url)
            }
        };
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        if !self.cookies.is_empty() {
            match HeaderValue::from_str(&self.cookies.join("; ")) {
                Ok(mut value) => {
                    value.set_sensitive(true);
                    request = request.header(reqwest::header::COOKIE, value);
                }
                Err(_) => {
                    return Err(Error::Request(RequestError::new(
                        "a cookie value cannot be sent",
                    )));
                }
            }
        }
        request = match self.authorization {
            Some(Authorization::Basic { username, password }) => {
                request.basic_auth(username, Some(password))
            }
            Some(Authorization::Bearer(token)) => request.bearer_auth(token),
            None => request,
        };
        if let Some((body, media_type)) = self.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, media_type)
                .body(body);
        }
        if let Some(apply) = self.custom_body {
            request = apply(request);
        }
        let response = request
            .send()
            .await
            .map_err(|err| Error::Transport(TransportError::new(err)))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|err| Error::Transport(TransportError::new(err)))?;
        Ok(RawResponse::new(status, headers, body))
    }
}

impl RequestParts {
    /// The request as an `http::Request`, for a [`Transport`]: the URL is `base_url` (its own
    /// query kept) with the path and query appended, parsed once.
    fn into_http(self, base_url: &str) -> Result<http::Request<Bytes>, Error> {
        let (base, fixed_query) = match base_url.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (base_url, None),
        };
        let mut uri = String::with_capacity(base.len() + self.path.len() + 64);
        uri.push_str(base.trim_end_matches('/'));
        uri.push_str(&self.path);
        let mut separator = '?';
        for part in fixed_query
            .into_iter()
            .chain(self.query.iter().map(String::as_str))
        {
            uri.push(separator);
            uri.push_str(part);
            separator = '&';
        }
        let invalid =
            |what: &str| Error::Request(RequestError::new(format!("{what} cannot be sent")));
        let mut builder = http::Request::builder().method(self.method).uri(uri);
        let Some(headers) = builder.headers_mut() else {
            return Err(invalid("the request URL"));
        };
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        if !self.cookies.is_empty() {
            let mut value = HeaderValue::from_str(&self.cookies.join("; "))
                .map_err(|_| invalid("a cookie value"))?;
            value.set_sensitive(true);
            headers.insert(reqwest::header::COOKIE, value);
        }
        if let Some(authorization) = self.authorization {
            let text = match authorization {
                Authorization::Basic { username, password } => {
                    use base64::Engine as _;
                    let encoded = base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{password}"));
                    format!("Basic {encoded}")
                }
                Authorization::Bearer(token) => format!("Bearer {token}"),
            };
            let mut value = HeaderValue::from_str(&text).map_err(|_| invalid("a credential"))?;
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let body = match self.body {
            Some((body, media_type)) => {
                headers.insert(
                    reqwest::header::CONTENT_TYPE,
                    HeaderValue::from_static(media_type),
                );
                body
            }
            None => Bytes::new(),
        };
        builder.body(body).map_err(|_| invalid("the request URL"))
    }
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// A scalar as text: strings unquoted, everything else as JSON.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Arrays joined with `separator`; objects as `k,v,k,v` (or `k=v` pairs when exploded).
fn join(value: &Value, separator: &str, explode: bool, encode: impl Fn(&str) -> String) -> String {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|it| encode(&scalar(it)))
            .collect::<Vec<_>>()
            .join(separator),
        Value::Object(members) => members
            .iter()
            .map(|(key, item)| {
                let (key, item) = (encode(key), encode(&scalar(item)));
                if explode {
                    format!("{key}={item}")
                } else {
                    format!("{key}{separator}{item}")
                }
            })
            .collect::<Vec<_>>()
            .join(separator),
        other => encode(&scalar(other)),
    }
}

fn matrix(name: &str, value: &Value, explode: bool) -> String {
    let name = encode(name);
    match value {
        Value::Array(items) if explode => items
            .iter()
            .map(|it| format!(";{name}={}", encode(&scalar(it))))
            .collect(),
        Value::Object(members) if explode => members
            .iter()
            .map(|(key, item)| format!(";{}={}", encode(key), encode(&scalar(item))))
            .collect(),
        other => format!(";{name}={}", join(other, ",", false, encode)),
    }
}
