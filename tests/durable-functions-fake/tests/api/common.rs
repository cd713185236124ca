//! Helpers shared by the integration tests: each test starts its own fake
//! on 127.0.0.1:0 and talks to it over HTTP with reqwest.

use std::time::{Duration, Instant};

use durable_functions_fake::{FakeConfig, Profile, RunningFake, Timing, spawn};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

/// How long a test waits for an asynchronous transition before failing.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A running fake plus an HTTP client.
pub struct Fake {
    pub server: RunningFake,
    pub http: Client,
}

/// A response read completely.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body parsed as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {:?}", self.text))
    }

    /// A header's value ("" when it is missing, see `has`).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    pub fn has(&self, name: &str) -> bool {
        self.headers.contains_key(name)
    }

    /// Asserts the JSON content type of the real API.
    pub fn assert_json_content_type(&self) {
        assert_eq!(
            self.header("content-type"),
            "application/json; charset=utf-8"
        );
    }

    /// Asserts an empty body.
    pub fn assert_empty(&self) {
        assert_eq!(self.text, "", "expected an empty body");
    }
}

impl Fake {
    /// New profile, default timing, no key.
    pub async fn new() -> Self {
        Self::with(FakeConfig::default()).await
    }

    pub async fn profile(profile: Profile) -> Self {
        Self::with(FakeConfig {
            profile,
            ..FakeConfig::default()
        })
        .await
    }

    pub async fn timing(profile: Profile, timing: Timing) -> Self {
        Self::with(FakeConfig {
            profile,
            timing,
            ..FakeConfig::default()
        })
        .await
    }

    pub async fn with(config: FakeConfig) -> Self {
        let server = spawn(config).await.expect("the fake starts");
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Fake { server, http }
    }

    /// `http://127.0.0.1:PORT/runtime/webhooks/durabletask` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.webhook_url())
    }

    /// Sends a request to an absolute URL.
    pub async fn send_url(
        &self,
        method: Method,
        url: &str,
        content_type: Option<&str>,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.http.request(method, url);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("request is answered");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        Reply {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send_url(Method::GET, &self.url(path), None, None, &[])
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send_url(Method::DELETE, &self.url(path), None, None, &[])
            .await
    }

    /// POST without a body.
    pub async fn post(&self, path: &str) -> Reply {
        self.send_url(Method::POST, &self.url(path), None, None, &[])
            .await
    }

    /// POST with a JSON body and `Content-Type: application/json`.
    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send_url(
            Method::POST,
            &self.url(path),
            Some("application/json"),
            Some(&body.to_string()),
            &[],
        )
        .await
    }

    /// Starts `name` with `input` (`Value::Null` = no body), returns the id.
    pub async fn start(&self, name: &str, input: &Value) -> String {
        let path = format!("/orchestrators/{name}");
        self.start_at(&path, input).await
    }

    /// Starts `name` with an explicit (already URL-safe) id.
    pub async fn start_id(&self, name: &str, id: &str, input: &Value) -> String {
        let path = format!("/orchestrators/{name}/{id}");
        self.start_at(&path, input).await
    }

    async fn start_at(&self, path: &str, input: &Value) -> String {
        let reply = if input.is_null() {
            self.post(path).await
        } else {
            self.post_json(path, input).await
        };
        assert_eq!(reply.status, StatusCode::ACCEPTED, "start: {}", reply.text);
        reply.json()["id"]
            .as_str()
            .expect("id is a string")
            .to_string()
    }

    /// `GET /instances/{id}` → (status code, body).
    pub async fn status(&self, id: &str) -> (StatusCode, Value) {
        let reply = self.get(&format!("/instances/{id}")).await;
        let body = if reply.text.is_empty() {
            Value::Null
        } else {
            reply.json()
        };
        (reply.status, body)
    }

    pub async fn runtime_status(&self, id: &str) -> String {
        let (_, body) = self.status(id).await;
        body["runtimeStatus"].as_str().unwrap_or("").to_string()
    }

    /// Polls the status until `runtimeStatus == expected`; returns the body.
    pub async fn wait_for(&self, id: &str, expected: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (_, body) = self.status(id).await;
            if body["runtimeStatus"] == expected {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{id} never became {expected}; last status {body}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Signals an entity with a JSON body.
    pub async fn signal(&self, entity: &str, key: &str, op: &str, input: &Value) -> Reply {
        self.post_json(&format!("/entities/{entity}/{key}?op={op}"), input)
            .await
    }
}

/// Timing that keeps instances in one phase "forever" for the test's life.
pub fn long(pending: u64, run: u64) -> Timing {
    Timing {
        pending: Duration::from_secs(pending),
        run: Duration::from_secs(run),
        time_scale: 1.0,
    }
}
