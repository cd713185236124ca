//! Another HTTP stack under the client: a [`Transport`] set with `Client::with_transport`
//! sends every request instead of the `reqwest::Client` (a pooled hyper client in a proxy, a
//! recording double in tests). The request arrives complete: URL, headers, credentials and
//! body; the transport returns the whole answer. Multipart bodies are built by `reqwest` and
//! always go through it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

/// Sends a complete request and reads the whole answer.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request`.
    fn send(&self, request: http::Request<Bytes>) -> TransportFuture;
}

/// Code run around every request a client sends ([`Client::with_hooks`](crate::Client::with_hooks)):
/// refresh a token, add headers, log or count. Both methods do nothing unless overridden.
/// Multipart requests, which `reqwest` builds, do not pass through hooks.
pub trait Hooks: Send + Sync + 'static {
    /// Called with the complete request before each try is sent; it may change anything (the
    /// URL carries any query credentials: do not log it as is).
    fn before_request<'a>(&'a self, request: &'a mut http::Request<Bytes>) -> HookFuture<'a> {
        let _ = request;
        Box::pin(std::future::ready(()))
    }

    /// Called with each try's answer, or why none came.
    fn after_response(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        result: &Result<crate::RawResponse, crate::Error>,
    ) {
        let _ = (method, uri, result);
    }
}

/// What [`Hooks::before_request`] returns.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// What [`Transport::send`] returns.
pub type TransportFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, TransportFailure>> + Send>>;

/// Why a [`Transport`] got no answer.
#[derive(Clone, Debug)]
pub struct TransportFailure {
    kind: FailureKind,
    message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FailureKind {
    Timeout,
    Connect,
    Other,
}

impl TransportFailure {
    /// The answer did not come in time.
    pub fn timeout(message: impl Into<String>) -> TransportFailure {
        TransportFailure {
            kind: FailureKind::Timeout,
            message: message.into(),
        }
    }

    /// No connection could be made.
    pub fn connect(message: impl Into<String>) -> TransportFailure {
        TransportFailure {
            kind: FailureKind::Connect,
            message: message.into(),
        }
    }

    /// Anything else (a broken connection, an answer that is not HTTP).
    pub fn other(message: impl Into<String>) -> TransportFailure {
        TransportFailure {
            kind: FailureKind::Other,
            message: message.into(),
        }
    }

    /// Whether the answer did not come in time.
    pub fn is_timeout(&self) -> bool {
        self.kind == FailureKind::Timeout
    }

    /// Whether no connection could be made.
    pub fn is_connect(&self) -> bool {
        self.kind == FailureKind::Connect
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportFailure {}
