//! Responses as received, and the errors every operation can return.

use std::fmt;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

/// A response as received: status, headers and body bytes, not decoded.
///
/// Every operation's `send_raw` returns one; typed errors keep one so nothing the server said
/// is lost. It is small to move around (the parts live on the heap).
#[derive(Clone)]
pub struct RawResponse {
    parts: Box<Parts>,
}

#[derive(Clone)]
struct Parts {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl RawResponse {
    /// A response from its parts.
    pub fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> RawResponse {
        RawResponse {
            parts: Box::new(Parts {
                status,
                headers,
                body,
            }),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.parts.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// The body, exactly as received.
    pub fn body(&self) -> &Bytes {
        &self.parts.body
    }

    /// The status, headers and body.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, Bytes) {
        let parts = *self.parts;
        (parts.status, parts.headers, parts.body)
    }

    /// The value of header `name` as text, when present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|it| it.to_str().ok())
    }

    /// The value of header `name` read as `T`: as a JSON string first (strings, enums, dates),
    /// then as JSON text (numbers, booleans). `None` when absent or unreadable.
    pub fn header_as<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let text = self.header(name)?;
        serde_json::from_value(serde_json::Value::String(text.to_owned()))
            .ok()
            .or_else(|| serde_json::from_str(text).ok())
    }

    /// Decodes the body as JSON. On failure the response is kept in the error.
    pub fn json<T: DeserializeOwned>(self) -> Result<T, DecodeError> {
        match serde_json::from_slice(&self.parts.body) {
            Ok(value) => Ok(value),
            Err(source) => Err(DecodeError {
                response: self,
                source: Box::new(source),
            }),
        }
    }

    /// The body as UTF-8 text. On failure the response is kept in the error.
    pub fn text(self) -> Result<String, DecodeError> {
        match String::from_utf8(self.parts.body.to_vec()) {
            Ok(text) => Ok(text),
            Err(source) => Err(DecodeError {
                response: self,
                source: Box::new(source),
            }),
        }
    }

    /// An error response with a JSON body read leniently: an empty or non-matching body gives
    /// `body: None`, never an error.
    pub fn error_json<T: DeserializeOwned>(self) -> ErrorResponse<T> {
        let body = serde_json::from_slice(&self.parts.body).ok();
        ErrorResponse::new(body, self)
    }

    /// An error response with a text body.
    pub fn error_text(self) -> ErrorResponse<String> {
        let body = std::str::from_utf8(&self.parts.body)
            .ok()
            .filter(|it| !it.is_empty())
            .map(str::to_owned);
        ErrorResponse::new(body, self)
    }

    /// An error response with a binary body.
    pub fn error_bytes(self) -> ErrorResponse<Bytes> {
        let body = Some(self.parts.body.clone()).filter(|it| !it.is_empty());
        ErrorResponse::new(body, self)
    }

    /// A human-readable message from a JSON error body, whatever its shape: a bare JSON
    /// string, or an object with `message`, `Message`, `ExceptionMessage`, `error`, `detail` or
    /// `title`. Non-JSON text is returned as is.
    pub fn message(&self) -> Option<String> {
        let body = &self.parts.body;
        if body.is_empty() {
            return None;
        }
        let value: serde_json::Value = match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(_) => {
                return std::str::from_utf8(body)
                    .ok()
                    .map(|it| it.trim().to_owned())
                    .filter(|it| !it.is_empty());
            }
        };
        message_of(&value)
    }
}

fn message_of(value: &serde_json::Value) -> Option<String> {
    const KEYS: &[&str] = &[
        "message",
        "Message",
        "ExceptionMessage",
        "error_description",
        "error",
        "detail",
        "title",
    ];
    match value {
        serde_json::Value::String(text) => Some(text.clone()).filter(|it| !it.is_empty()),
        serde_json::Value::Object(object) => KEYS
            .iter()
            .find_map(|key| object.get(*key).and_then(message_of)),
        _ => None,
    }
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = String::from_utf8_lossy(&self.parts.body);
        let preview: String = body.chars().take(512).collect();
        f.debug_struct("RawResponse")
            .field("status", &self.parts.status)
            .field(
                "headers",
                &self
                    .parts
                    .headers
                    .keys()
                    .map(|it| it.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("body", &preview)
            .finish()
    }
}

/// A documented error response: the body decoded leniently as the documented type, and the
/// response as received. Small to move around (the parts live on the heap).
#[derive(Clone, Debug)]
pub struct ErrorResponse<T> {
    parts: Box<ErrorParts<T>>,
}

#[derive(Clone, Debug)]
struct ErrorParts<T> {
    body: Option<T>,
    raw: RawResponse,
}

impl<T> ErrorResponse<T> {
    fn new(body: Option<T>, raw: RawResponse) -> ErrorResponse<T> {
        ErrorResponse {
            parts: Box::new(ErrorParts { body, raw }),
        }
    }

    /// The body as the documented type; `None` when it was empty or did not match.
    pub fn body(&self) -> Option<&T> {
        self.parts.body.as_ref()
    }

    /// The body as the documented type, taken out.
    pub fn into_body(self) -> Option<T> {
        self.parts.body
    }

    /// The response as received.
    pub fn raw(&self) -> &RawResponse {
        &self.parts.raw
    }

    /// The response as received, taken out.
    pub fn into_raw(self) -> RawResponse {
        self.parts.raw
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.parts.raw.status()
    }

    /// A human-readable message from the body, if it has one (see [`RawResponse::message`]).
    pub fn message(&self) -> Option<String> {
        self.parts.raw.message()
    }
}

/// Why a request got no response: it could not be built or sent.
#[derive(Debug)]
pub enum Error {
    /// The request could not be built (a value that cannot be encoded, an invalid base URL).
    Request(RequestError),
    /// No response was received (connection, TLS, timeout, or the body could not be read).
    Transport(TransportError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Request(it) => it.fmt(f),
            Error::Transport(it) => it.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Request(it) => Some(it),
            Error::Transport(it) => Some(it),
        }
    }
}

/// A request that could not be built. The message never contains credentials.
#[derive(Clone, Debug)]
pub struct RequestError {
    message: String,
}

impl RequestError {
    pub(crate) fn new(message: impl Into<String>) -> RequestError {
        RequestError {
            message: message.into(),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid request: {}", self.message)
    }
}

impl std::error::Error for RequestError {}

/// No response was received. The URL (which may carry an API key) is stripped from it.
#[derive(Debug)]
pub struct TransportError {
    source: Source,
}

#[derive(Debug)]
enum Source {
    Reqwest(reqwest::Error),
    Custom(crate::transport::TransportFailure),
}

impl TransportError {
    pub(crate) fn new(source: reqwest::Error) -> TransportError {
        TransportError {
            source: Source::Reqwest(source.without_url()),
        }
    }

    /// A failure of the client's [`Transport`](crate::Transport).
    pub(crate) fn custom(source: crate::transport::TransportFailure) -> TransportError {
        TransportError {
            source: Source::Custom(source),
        }
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        match &self.source {
            Source::Reqwest(it) => it.is_timeout(),
            Source::Custom(it) => it.is_timeout(),
        }
    }

    /// Whether the connection could not be established.
    pub fn is_connect(&self) -> bool {
        match &self.source {
            Source::Reqwest(it) => it.is_connect(),
            Source::Custom(it) => it.is_connect(),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Reqwest(it) => write!(f, "no response: {it}"),
            Source::Custom(it) => write!(f, "no response: {it}"),
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.source {
            Source::Reqwest(it) => Some(it),
            Source::Custom(it) => Some(it),
        }
    }
}

/// A response whose body does not have the documented shape. The response is kept.
#[derive(Debug)]
pub struct DecodeError {
    /// The response as received.
    pub response: RawResponse,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} response body cannot be decoded: {}",
            self.response.status(),
            self.source
        )
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}
