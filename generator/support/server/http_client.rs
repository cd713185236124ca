//! The server's HTTP client towards a consumed API: hyper's pooled client (keep-alive
//! connections reused across requests), over TCP or TLS (rustls with the platform's trust
//! store, as `reqwest` uses), with the API's timeout on each whole exchange. It is the
//! transport of the generated client crate: a proxied request costs a third of what it costs
//! through `reqwest`, whose redirect and retry layers parse the URL again and again.

use std::time::Duration;

use axum::http;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A pooled HTTP/1.1 client with a timeout per exchange. Clones share the pool.
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

/// Why no answer came.
#[derive(Debug)]
pub enum Failure {
    /// Not within the timeout.
    Timeout,
    /// No connection could be made.
    Connect(String),
    /// The connection broke, or the answer was not HTTP.
    Other(String),
}

impl HttpClient {
    /// A client whose exchanges (connect, send, the whole answer read) take at most `timeout`.
    pub fn new(timeout: Duration) -> Result<HttpClient, String> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .try_with_platform_verifier()
            .map_err(|err| format!("cannot set up TLS: {err}"))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(https);
        Ok(HttpClient { inner, timeout })
    }

    /// Sends `request` and reads the whole answer.
    pub async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Failure> {
        let exchange = async {
            let response = self
                .inner
                .request(request.map(Full::new))
                .await
                .map_err(|err| {
                    // The error's text names no URL (which may carry a key).
                    if err.is_connect() {
                        Failure::Connect(err.to_string())
                    } else {
                        Failure::Other(err.to_string())
                    }
                })?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|err| Failure::Other(format!("the answer broke off: {err}")))?
                .to_bytes();
            Ok(http::Response::from_parts(parts, body))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| Failure::Timeout)?
    }
}
