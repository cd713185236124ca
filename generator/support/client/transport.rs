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
