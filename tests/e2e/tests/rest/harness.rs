//! The test harness: the Durable Functions test upstream in-process, the generated servers as
//! real processes, and an HTTP client whose every reply is checked for the upstream secret.
//!
//! Each test starts its own upstream and server, so tests are independent and run in
//! parallel. A server binds port 0; its log (stderr, at `debug`) tells where it listens. When a
//! [`Server`] is dropped its process is killed and its log is checked for the secret; when the
//! test failed, the log is printed instead.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use durable_functions_fake::{FakeConfig, RunningFake, spawn};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::Value;

/// The orchestrations capability's server binary.
pub const ORCHESTRATIONS: &str = "durable-orchestrations-server";
/// The entities capability's server binary.
pub const ENTITIES: &str = "durable-entities-server";
/// The prefix of every exposed route.
pub const PREFIX: &str = "/v1/runtime/webhooks/durabletask";
/// The upstream's webhook path (what the consumed operations call).
pub const UPSTREAM_PREFIX: &str = "/runtime/webhooks/durabletask";
/// The secret's environment variable.
pub const KEY_VARIABLE: &str = "DURABLE_FUNCTIONS_API_KEY";

/// How long a server may take to start listening.
const STARTUP: Duration = Duration::from_secs(20);

/// The upstream key: long, random, per test run. No response, header or log line may carry it.
pub fn secret() -> &'static str {
    static SECRET: OnceLock<String> = OnceLock::new();
    SECRET.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|it| it.as_nanos())
            .unwrap_or_default();
        let mut res = String::from("e2eKey");
        for round in 0..3_u64 {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u64(round);
            hasher.write_u128(nanos);
            hasher.write_u32(std::process::id());
            res.push_str(&format!("{:016x}", hasher.finish()));
        }
        res
    })
}

/// Panics when `bytes` contain the secret.
pub fn assert_no_secret(what: &str, bytes: &[u8]) {
    let secret = secret().as_bytes();
    assert!(
        !bytes.windows(secret.len()).any(|window| window == secret),
        "the upstream secret leaked into {what}: {}",
        String::from_utf8_lossy(bytes)
    );
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// The path of a built binary of the workspace; panics with the build command when it is missing.
pub fn binary(name: &str) -> PathBuf {
    let path = target_dir()
        .join("debug")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "the binary `{name}` is not built (looked for {}); run `cargo build --workspace --bins` before `cargo test`",
        path.display()
    );
    path
}

/// A port on which nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("a local address").port()
}

/// The version of a generated crate, from its `Cargo.toml`.
pub fn crate_version(name: &str) -> String {
    let manifest = workspace_root()
        .join("generated")
        .join(name)
        .join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("read the generated manifest");
    text.lines()
        .find_map(|line| {
            line.strip_prefix("version = \"")
                .and_then(|it| it.strip_suffix('"'))
        })
        .expect("a version line")
        .to_owned()
}

/// An HTTP client that never uses a proxy and never follows redirects.
pub fn http() -> Client {
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// A response read completely.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("read the response body");
        Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// No header or body names the upstream's `host:port`.
    fn assert_no_upstream(&self, authority: &str) {
        if authority.is_empty() {
            return;
        }
        for (name, value) in &self.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).to_ascii_lowercase();
            assert!(
                !value.contains(authority),
                "the response header `{name}` names the upstream: {value}"
            );
        }
        assert!(
            !self.text.to_ascii_lowercase().contains(authority),
            "a response body names the upstream: {}",
            self.text
        );
    }

    fn assert_no_secret(&self) {
        for (name, value) in &self.headers {
            assert_no_secret(&format!("the response header `{name}`"), value.as_bytes());
        }
        assert_no_secret("a response body", self.text.as_bytes());
    }

    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|err| panic!("the body is not JSON ({err}): {:?}", self.text))
    }

    /// A header's value (`""` when it is missing).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|it| it.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status, showing the body when it differs.
    pub fn assert_status(&self, status: u16) -> &Reply {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; headers {:?}, body {:?}",
            self.headers,
            self.text
        );
        self
    }

    /// Asserts a problem document of the server itself with this status; returns it.
    pub fn problem(&self, status: u16) -> Value {
        self.assert_status(status);
        assert_eq!(self.header("content-type"), "application/problem+json");
        let body = self.json();
        assert_eq!(body["status"], status, "{body}");
        assert!(body["title"].is_string(), "{body}");
        assert!(body["detail"].is_string(), "{body}");
        body
    }

    /// Asserts a `400` problem naming `parameter`.
    pub fn bad_parameter(&self, parameter: &str) {
        let body = self.problem(400);
        assert_eq!(body["parameter"], parameter, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|it| it.contains(parameter)),
            "the detail names `{parameter}`: {body}"
        );
    }

    /// Asserts an empty body without a content type, as the upstream sends it.
    pub fn assert_empty(&self) {
        assert_eq!(self.text, "", "expected an empty body");
        assert_eq!(
            self.header("content-type"),
            "",
            "no content type on an empty body"
        );
    }

    /// Asserts the upstream's JSON content type, passed through unchanged.
    pub fn assert_upstream_json(&self) {
        assert_eq!(
            self.header("content-type"),
            "application/json; charset=utf-8"
        );
    }
}

/// The Durable Functions test upstream, in-process, requiring the secret as its key.
pub struct Upstream {
    fake: RunningFake,
    http: Client,
}

impl Upstream {
    pub async fn start() -> Upstream {
        let fake = spawn(FakeConfig {
            key: Some(secret().to_owned()),
            ..FakeConfig::default()
        })
        .await
        .expect("start the test upstream");
        Upstream { fake, http: http() }
    }

    /// `http://127.0.0.1:PORT`: the server's `--upstream-url`.
    pub fn url(&self) -> String {
        self.fake.base_url()
    }

    /// Calls the upstream directly (with the key), e.g. to prepare state the exposed routes
    /// cannot create. The reply is not checked for the secret.
    pub async fn call(&self, method: Method, path_and_query: &str, json: Option<&str>) -> Reply {
        let separator = if path_and_query.contains('?') {
            '&'
        } else {
            '?'
        };
        let url = format!(
            "{}{UPSTREAM_PREFIX}{path_and_query}{separator}code={}",
            self.url(),
            secret()
        );
        let mut request = self.http.request(method, url);
        if let Some(json) = json {
            request = request
                .header("content-type", "application/json")
                .body(json.to_owned());
        }
        Reply::read(request.send().await.expect("call the upstream")).await
    }
}

/// How to start a server.
pub struct Launch {
    binary: &'static str,
    /// `host:port` of the upstream, which no reply may name.
    upstream: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    key: Option<String>,
    rust_log: &'static str,
    wait_for: &'static str,
}

impl Launch {
    /// `binary` against `upstream_url`, REST and MCP on port 0, the secret set.
    pub fn new(binary: &'static str, upstream_url: &str) -> Launch {
        Launch {
            binary,
            upstream: upstream_url
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_ascii_lowercase(),
            args: vec![
                "--upstream-url".into(),
                upstream_url.into(),
                "--rest-addr".into(),
                "127.0.0.1:0".into(),
                "--mcp-addr".into(),
                "127.0.0.1:0".into(),
            ],
            env: Vec::new(),
            key: Some(secret().to_owned()),
            rust_log: "debug",
            wait_for: "rest",
        }
    }

    /// More command-line arguments.
    pub fn args(mut self, args: &[&str]) -> Launch {
        self.args.extend(args.iter().map(|it| (*it).to_owned()));
        self
    }

    /// Sets an option that takes a value, replacing the default one.
    pub fn option(mut self, name: &str, value: &str) -> Launch {
        match self.args.iter().position(|it| it == name) {
            Some(at) => value.clone_into(&mut self.args[at + 1]),
            None => self.args.extend([name.to_owned(), value.to_owned()]),
        }
        self
    }

    /// The `RUST_LOG` filter (default `debug`).
    pub fn rust_log(mut self, filter: &'static str) -> Launch {
        self.rust_log = filter;
        self
    }

    /// Which adapter's `listening` line means "ready" (default `rest`).
    pub fn wait_for(mut self, adapter: &'static str) -> Launch {
        self.wait_for = adapter;
        self
    }

    /// The command, with a clean environment for the server's own variables.
    fn command(&self, log: &Path) -> Command {
        let mut command = Command::new(binary(self.binary));
        command
            .args(&self.args)
            .env_remove("UPSTREAM_URL")
            .env_remove("APP_NAME")
            .env_remove("PUBLIC_URL")
            .env_remove(KEY_VARIABLE)
            .env("RUST_LOG", self.rust_log)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("create the log file"));
        for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
            command
                .env_remove(name)
                .env_remove(name.to_ascii_lowercase());
        }
        if let Some(key) = &self.key {
            command.env(KEY_VARIABLE, key);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Starts the server and waits until the adapter listens.
    pub async fn start(self) -> Server {
        let log = log_path(self.binary);
        let child = self
            .command(&log)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start `{}`: {err}", self.binary));
        let mut server = Server {
            name: self.binary,
            upstream: self.upstream.clone(),
            child,
            log,
            rest: None,
            mcp: None,
            http: http(),
        };
        let deadline = Instant::now() + STARTUP;
        loop {
            let log = server.log();
            server.rest = listening(&log, "rest");
            server.mcp = listening(&log, "mcp");
            let ready = match self.wait_for {
                "rest" => server.rest.is_some(),
                _ => server.mcp.is_some(),
            };
            if ready {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "`{}` exited ({status}) before listening:\n{log}",
                    self.binary
                );
            }
            assert!(
                Instant::now() < deadline,
                "`{}` did not listen within {STARTUP:?}:\n{log}",
                self.binary
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Runs the binary to completion (for start-up errors, `--help`, `--version`).
    pub fn run(self) -> Finished {
        let log = log_path(self.binary);
        let mut command = self.command(&log);
        command.stdout(Stdio::piped());
        let output = command
            .spawn()
            .and_then(|child| child.wait_with_output())
            .unwrap_or_else(|err| panic!("cannot run `{}`: {err}", self.binary));
        let stderr = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        Finished {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        }
    }

    /// An environment variable.
    pub fn env(mut self, name: &str, value: &str) -> Launch {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Without the secret in the environment.
    pub fn without_key(mut self) -> Launch {
        self.key = None;
        self
    }

    /// With this value as the secret.
    pub fn key(mut self, value: &str) -> Launch {
        self.key = Some(value.to_owned());
        self
    }

    /// Without any `--upstream-url` (nor `--app-name`).
    pub fn without_upstream(mut self) -> Launch {
        if let Some(at) = self.args.iter().position(|it| it == "--upstream-url") {
            self.args.drain(at..at + 2);
        }
        self
    }
}

/// A process that ran to completion.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

fn log_path(binary: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = target_dir().join("capgen-e2e-logs");
    std::fs::create_dir_all(&dir).expect("create the log directory");
    dir.join(format!(
        "{binary}-{}-{}.log",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Strips ANSI escape sequences (in case colours are on despite `NO_COLOR`).
fn plain(text: &str) -> String {
    let mut res = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            res.push(c);
        }
    }
    res
}

/// The address of the `listening` line of `adapter`.
fn listening(log: &str, adapter: &str) -> Option<SocketAddr> {
    let tag = format!("adapter=\"{adapter}\"");
    plain(log)
        .lines()
        .filter(|line| line.contains("listening") && line.contains(&tag))
        .find_map(|line| {
            let (_, rest) = line.split_once("address=")?;
            rest.split_whitespace().next()?.parse().ok()
        })
}

/// A generated server running as a process.
pub struct Server {
    name: &'static str,
    /// `host:port` of the upstream, which no reply may name.
    upstream: String,
    child: Child,
    log: PathBuf,
    rest: Option<SocketAddr>,
    mcp: Option<SocketAddr>,
    http: Client,
}

impl Server {
    /// The orchestrations server against `upstream`, default options.
    pub async fn orchestrations(upstream: &Upstream) -> Server {
        Launch::new(ORCHESTRATIONS, &upstream.url()).start().await
    }

    /// The entities server against `upstream`, default options.
    pub async fn entities(upstream: &Upstream) -> Server {
        Launch::new(ENTITIES, &upstream.url()).start().await
    }

    /// Where the REST adapter listens.
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest.expect("the REST adapter listens")
    }

    /// Where the MCP adapter listens.
    pub fn mcp_addr(&self) -> Option<SocketAddr> {
        self.mcp
    }

    /// `http://ADDR` of the REST adapter.
    pub fn base(&self) -> String {
        format!("http://{}", self.rest_addr())
    }

    /// An absolute URL of the REST adapter.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base())
    }

    /// A request to the REST adapter (send it with [`Server::send`]).
    pub fn request(&self, method: Method, path_and_query: &str) -> RequestBuilder {
        self.http.request(method, self.url(path_and_query))
    }

    /// Sends a request; the reply is checked for the secret.
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        let reply = Reply::read(request.send().await.expect("the server answers")).await;
        reply.assert_no_secret();
        reply.assert_no_upstream(&self.upstream);
        reply
    }

    /// `GET` a path of the REST adapter.
    pub async fn get(&self, path_and_query: &str) -> Reply {
        self.send(self.request(Method::GET, path_and_query)).await
    }

    /// `DELETE` a path of the REST adapter.
    pub async fn delete(&self, path_and_query: &str) -> Reply {
        self.send(self.request(Method::DELETE, path_and_query))
            .await
    }

    /// `POST` without a body.
    pub async fn post(&self, path_and_query: &str) -> Reply {
        self.send(self.request(Method::POST, path_and_query)).await
    }

    /// `POST` a JSON body (given as text, so it may be malformed).
    pub async fn post_json(&self, path_and_query: &str, json: &str) -> Reply {
        self.send(
            self.request(Method::POST, path_and_query)
                .header("content-type", "application/json")
                .body(json.to_owned()),
        )
        .await
    }

    /// A request to an absolute URL (a management URL the server returned).
    pub fn request_url(&self, method: Method, url: &str) -> RequestBuilder {
        self.http.request(method, url)
    }

    /// Sends a request without a body to an absolute URL (a management URL the server returned).
    pub async fn follow(&self, method: Method, url: &str) -> Reply {
        self.send(self.request_url(method, url)).await
    }

    /// The log so far (stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log once it holds `count` occurrences of `needle`, or after two seconds: the server
    /// writes its log on a background thread, a moment after answering.
    pub async fn log_containing(&self, needle: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let log = self.log();
            if log.matches(needle).count() >= count || Instant::now() >= deadline {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the process to exit.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = self.log();
        if std::thread::panicking() {
            eprintln!(
                "---- log of `{}` ({}) ----\n{log}",
                self.name,
                self.log.display()
            );
            return;
        }
        let _ = std::fs::remove_file(&self.log);
        assert_no_secret(&format!("the log of `{}`", self.name), log.as_bytes());
    }
}

/// An upstream that answers every request, but only after `delay`.
pub async fn slow_upstream(delay: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the slow upstream");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0_u8; 4096];
                let _ = stream.read(&mut buffer).await;
                tokio::time::sleep(delay).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]")
                    .await;
            });
        }
    });
    url
}
