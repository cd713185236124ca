//! The server's HTTP client towards a consumed API: HTTP/1.1 connections kept alive and reused
//! (a small pool of idle connections per origin), over TCP or TLS (rustls with the platform's
//! trust store, as `reqwest` uses), with the API's timeout on each whole exchange.
//!
//! Idempotent requests are tried again after transient failures ([`retry`]); connecting has
//! its own, shorter timeout.
//!
//! It is the transport of the generated client crate. It sits on hyper's connection API rather
//! than `reqwest` or hyper-util's pooled client: a proxied request through `reqwest` cost
//! ~45k more instructions (its redirect and retry layers parse the URL again and again), and
//! hyper-util's pool hashes its key with SipHash and moves `Extensions` for every request. Each
//! REST thread builds its own client, so its connections stay on its runtime.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::{self, HeaderValue, Uri, header};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::client::legacy::connect::HttpConnector;
use tower::Service as _;

use crate::support::metrics::{self, UpstreamError};
use crate::support::retry;

/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// The most idle connections kept per client.
const MAX_IDLE: usize = 256;

/// A pooled HTTP/1.1 client with a timeout per exchange. Clones share the pool.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    connector: hyper_rustls::HttpsConnector<HttpConnector>,
    idle: Mutex<Vec<Idle>>,
    timeout: Duration,
}

/// An idle connection: its origin (`scheme://authority`), its sender, since when idle.
type Idle = (String, SendRequest<Full<Bytes>>, Instant);

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
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
        http.set_connect_timeout(Some(retry::policy().connect_timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .try_with_platform_verifier()
            .map_err(|err| format!("cannot set up TLS: {err}"))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(HttpClient {
            inner: Arc::new(Inner {
                connector,
                idle: Mutex::new(Vec::new()),
                timeout,
            }),
        })
    }

    /// Sends `request` (absolute URI) and reads the whole answer; an idempotent request is
    /// tried again as [`retry`] says.
    pub async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Failure> {
        let retries = retry::policy().retries;
        if retries == 0 || !retry::is_idempotent(request.method()) {
            return self.try_once(request).await;
        }
        let (parts, body) = request.into_parts();
        let mut attempt = 0;
        loop {
            let mut again = http::Request::new(body.clone());
            *again.method_mut() = parts.method.clone();
            *again.uri_mut() = parts.uri.clone();
            *again.version_mut() = parts.version;
            *again.headers_mut() = parts.headers.clone();
            let result = self.try_once(again).await;
            if attempt == retries {
                return result;
            }
            let outcome = match &result {
                Ok(response) => retry::Outcome::Answer(response.status(), response.headers()),
                Err(Failure::Timeout) => retry::Outcome::TimedOut,
                Err(Failure::Connect(_) | Failure::Other(_)) => retry::Outcome::Failed,
            };
            let Some(wait) = retry::wait_before_retry(outcome, attempt) else {
                return result;
            };
            tracing::debug!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "retrying the upstream"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One exchange within the timeout, recorded in the metrics.
    async fn try_once(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Failure> {
        let started = Instant::now();
        let method = request.method().clone();
        let result = tokio::time::timeout(self.inner.timeout, self.exchange(request))
            .await
            .map_err(|_| Failure::Timeout)
            .and_then(|it| it);
        let error = match &result {
            Ok(response) if response.status().is_server_error() => Some(UpstreamError::Status),
            Ok(_) => None,
            Err(Failure::Timeout) => Some(UpstreamError::Timeout),
            Err(Failure::Connect(_)) => Some(UpstreamError::Connect),
            Err(Failure::Other(_)) => Some(UpstreamError::Protocol),
        };
        metrics::upstream(&method, started.elapsed(), error);
        result
    }

    async fn exchange(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Failure> {
        let (mut parts, body) = request.into_parts();
        let uri = parts.uri.clone();
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(Failure::Other("the request URL is not absolute".to_owned()));
        };
        let origin = format!("{scheme}://{authority}");
        if !parts.headers.contains_key(header::HOST) {
            let host = HeaderValue::from_str(authority.as_str()).map_err(|_| {
                Failure::Other("the upstream host is not a header value".to_owned())
            })?;
            parts.headers.insert(header::HOST, host);
        }
        // HTTP/1.1 requests name the path and query only.
        parts.uri = uri
            .path_and_query()
            .map_or_else(|| Uri::from_static("/"), |it| Uri::from(it.clone()));
        let mut request = http::Request::from_parts(parts, Full::new(body));
        // A reused connection the upstream closed meanwhile gives the request back unsent:
        // it is sent again on a new one.
        let response = loop {
            let (mut sender, reused) = match self.checkout(&origin) {
                Some(sender) => (sender, true),
                None => (self.connect(&uri).await?, false),
            };
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let (parts, incoming) = response.into_parts();
                    let body = incoming
                        .collect()
                        .await
                        .map_err(|err| Failure::Other(format!("the answer broke off: {err}")))?
                        .to_bytes();
                    self.checkin(origin, sender);
                    break http::Response::from_parts(parts, body);
                }
                Err(mut err) => match err.take_message() {
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(Failure::Other(err.into_error().to_string())),
                },
            }
        };
        Ok(response)
    }

    /// An idle connection to `origin` that is still open, the most recently used first.
    fn checkout(&self, origin: &str) -> Option<SendRequest<Full<Bytes>>> {
        let mut idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        idle.retain(|(_, sender, since)| {
            !sender.is_closed() && now.duration_since(*since) < IDLE_TIMEOUT
        });
        let at = idle
            .iter()
            .rposition(|(key, sender, _)| key == origin && sender.is_ready())?;
        Some(idle.swap_remove(at).1)
    }

    /// Puts a connection back once its answer was read whole.
    fn checkin(&self, origin: String, sender: SendRequest<Full<Bytes>>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push((origin, sender, Instant::now()));
        }
    }

    /// A new connection to the origin of `uri`, its protocol task running on this runtime.
    async fn connect(&self, uri: &Uri) -> Result<SendRequest<Full<Bytes>>, Failure> {
        let mut connector = self.inner.connector.clone();
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|err| Failure::Connect(err.to_string()))?;
        // The error's text names no URL (which may carry a key).
        let stream = connector
            .call(uri.clone())
            .await
            .map_err(|err| Failure::Connect(err.to_string()))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(stream)
            .await
            .map_err(|err| Failure::Connect(err.to_string()))?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!("upstream connection ended: {err}");
            }
        });
        sender
            .ready()
            .await
            .map_err(|err| Failure::Connect(err.to_string()))?;
        Ok(sender)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server answering `ok` to every request; with `close_after_each`, it drops each
    /// connection after its answer without saying so. Returns its URL and the connections it
    /// accepted.
    async fn upstream(close_after_each: bool) -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buffer = vec![0; 4096];
                    let mut seen = Vec::new();
                    loop {
                        let Ok(read) = stream.read(&mut buffer).await else {
                            return;
                        };
                        if read == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buffer[..read]);
                        while let Some(end) = seen.windows(4).position(|it| it == b"\r\n\r\n") {
                            seen.drain(..end + 4);
                            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                            if stream.write_all(answer).await.is_err() || close_after_each {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (url, accepted)
    }

    fn get(url: &str) -> http::Request<Bytes> {
        http::Request::get(format!("{url}/x?y=1"))
            .body(Bytes::new())
            .unwrap()
    }

    #[tokio::test]
    async fn connections_are_reused() {
        let (url, accepted) = upstream(false).await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        for _ in 0..3 {
            let answer = client.send(get(&url)).await.unwrap();
            assert_eq!(answer.body().as_ref(), b"ok");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_connection_the_upstream_closed_is_replaced() {
        let (url, accepted) = upstream(true).await;
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        for _ in 0..3 {
            let answer = client.send(get(&url)).await.unwrap();
            assert_eq!(answer.body().as_ref(), b"ok");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn refused_connections_and_silence_are_told_apart() {
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let client = HttpClient::new(Duration::from_secs(5)).unwrap();
        assert!(matches!(
            client.send(get(&url)).await,
            Err(Failure::Connect(_))
        ));

        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", silent.local_addr().unwrap());
        let client = HttpClient::new(Duration::from_millis(100)).unwrap();
        assert!(matches!(
            client.send(get(&url)).await,
            Err(Failure::Timeout)
        ));
        drop(silent);
    }
}
