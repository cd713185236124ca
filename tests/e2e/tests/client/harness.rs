//! The test harness: Prism mocking the seed document and the bundled contract (started once per
//! test binary), the Durable Functions test upstream in-process, and a recording reverse proxy
//! between the generated client and either of them.
//!
//! The client's base URL is always the proxy. The proxy records each request exactly as it
//! arrived (method, request target as sent on the wire, headers, body), adds `Prefer: code=N`
//! when the test asked for status `N` (Prism answers that documented status), forwards the
//! request, and returns the answer unchanged (and records it too). A test then checks the wire
//! request and the typed result of `send()` against the recorded answer.

use std::collections::BTreeSet;
use std::fmt::{Debug, Display};
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use durable_functions_client::{Client, ErrorResponse};
use durable_functions_fake::{FakeConfig, Profile, RunningFake, Timing, spawn};
use serde_json::Value;

/// The system key every client sends (realistic: keys are base64, with `+`, `/` and `=`).
pub const KEY: &str = "capgenE2eKey+/x==";
/// The `code` query pair as it must appear on the wire: the key percent-encoded.
pub const CODE: &str = "code=capgenE2eKey%2B%2Fx%3D%3D";
/// A part of the key that survives any encoding: no output may contain it.
const KEY_MARK: &str = "capgenE2eKey";
/// The webhook prefix of every operation.
pub const W: &str = "/runtime/webhooks/durabletask";

/// How long a Prism may take to listen (it takes 5-10 s on an idle machine).
const PRISM_STARTUP: Duration = Duration::from_secs(90);

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

/// A directory for this test binary's logs and files.
fn work_dir() -> PathBuf {
    let dir = target_dir()
        .join("capgen-e2e-logs")
        .join(format!("client-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the log directory");
    dir
}

// --- The key --------------------------------------------------------------------------------

/// Panics when `text` carries the key (raw, percent-encoded or in part).
pub fn assert_no_key(what: &str, text: &str) {
    assert!(
        !text.contains(KEY_MARK),
        "the key leaked into {what}: {text}"
    );
}

/// Panics when the `Display` or `Debug` output of `err` carries the key.
pub fn assert_error_hides_key<E: Display + Debug>(err: &E) {
    assert_no_key("an error's Display output", &err.to_string());
    assert_no_key("an error's Debug output", &format!("{err:?}"));
}

// --- The recording proxy --------------------------------------------------------------------

/// A request as the proxy received it.
#[derive(Clone, Debug)]
pub struct WireRequest {
    pub method: String,
    /// The request target as sent: path and query, encoding untouched.
    pub target: String,
    /// Every header but `host` and `content-length`, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl WireRequest {
    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |it| it.0)
    }

    /// The query pairs of the target, as sent.
    pub fn query(&self) -> Vec<&str> {
        self.target
            .split_once('?')
            .map(|it| it.1.split('&').collect())
            .unwrap_or_default()
    }

    /// A header's value, if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(it, _)| it == name)
            .map(|(_, value)| value.as_str())
    }

    /// Asserts the key is in the query as `code`, exactly once, and nowhere else.
    pub fn assert_key_only_in_query(&self) {
        let codes: Vec<&str> = self
            .query()
            .into_iter()
            .filter(|it| it.starts_with("code="))
            .collect();
        assert_eq!(
            codes,
            [CODE],
            "the key must be sent once, as query parameter `code`; the target was {}",
            self.target
        );
        self.assert_key_not_outside_query();
    }

    /// Asserts the key is not in the path, a header or the body.
    pub fn assert_key_not_outside_query(&self) {
        assert_no_key("the request path", self.path());
        for (name, value) in &self.headers {
            assert_no_key(&format!("the request header `{name}`"), value);
        }
        assert_no_key("the request body", &String::from_utf8_lossy(&self.body));
    }
}

/// One request and the answer the client got.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub request: WireRequest,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Exchange {
    /// A response header's value, if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|it| it.to_str().ok())
            .map(str::to_owned)
    }

    /// The response body as JSON (`null` when empty).
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "the {} answer is not JSON ({err}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    prefer: Mutex<Option<u16>>,
    exchanges: Mutex<Vec<Exchange>>,
}

/// The recording reverse proxy, on `127.0.0.1:0`, serving until dropped.
pub struct Recorder {
    url: String,
    state: Arc<ProxyState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    /// A proxy in front of `upstream` (`http://host:port`, no trailing `/`).
    pub async fn start(upstream: &str) -> Recorder {
        let state = Arc::new(ProxyState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .expect("an HTTP client"),
            prefer: Mutex::new(None),
            exchanges: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("the proxy's address")
        );
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the proxy serves");
        });
        Recorder { url, state, task }
    }

    /// The base URL the client uses.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Adds `Prefer: code=N` to the following requests (`None`: no `Prefer`).
    pub fn prefer(&self, status: Option<u16>) {
        *self.state.prefer.lock().expect("prefer") = status;
    }

    /// Every exchange since the last call.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.state.exchanges.lock().expect("exchanges"))
    }

    /// The only exchange since the last call (panics when there were none or several).
    pub fn single(&self) -> Exchange {
        let mut exchanges = self.take();
        assert_eq!(
            exchanges.len(),
            1,
            "expected exactly one request on the wire, got {exchanges:#?}"
        );
        exchanges.remove(0)
    }
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("read the request body");
    let target = parts
        .uri
        .path_and_query()
        .map(|it| it.as_str().to_owned())
        .unwrap_or_default();
    let recorded = WireRequest {
        method: parts.method.to_string(),
        target: target.clone(),
        headers: parts
            .headers
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "host" | "content-length"))
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
    };
    let mut upstream = state
        .http
        .request(parts.method, format!("{}{target}", state.upstream));
    for (name, value) in &parts.headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            upstream = upstream.header(name, value);
        }
    }
    let prefer = *state.prefer.lock().expect("prefer");
    if let Some(status) = prefer {
        upstream = upstream.header("prefer", format!("code={status}"));
    }
    let (status, headers, body) = match upstream.body(body).send().await {
        Ok(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await.unwrap_or_default();
            (status, headers, body)
        }
        Err(err) => (
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            Bytes::from(format!("the recording proxy got no answer: {err}")),
        ),
    };
    state.exchanges.lock().expect("exchanges").push(Exchange {
        request: recorded,
        status: status.as_u16(),
        headers: headers.clone(),
        body: body.clone(),
    });
    let mut response = Response::builder().status(status);
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection" | "keep-alive"
        ) {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(body)).expect("a response")
}

/// A client of `base_url` with the system key, never through a proxy of the environment.
pub fn client(base_url: &str) -> Client {
    bare_client(base_url).with_system_key(KEY)
}

/// A client of `base_url` without credentials.
pub fn bare_client(base_url: &str) -> Client {
    Client::with_base_url(base_url).with_http_client(
        reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client"),
    )
}

// --- The expected wire request --------------------------------------------------------------

/// What a request must look like on the wire.
pub struct Wire {
    method: &'static str,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    /// `method target` with `Accept: */*` (reqwest's default) and no body.
    pub fn new(method: &'static str, target: impl Into<String>) -> Wire {
        Wire {
            method,
            target: target.into(),
            headers: vec![("accept".into(), "*/*".into())],
            body: Vec::new(),
        }
    }

    /// `Accept: application/json` instead of the default.
    pub fn accept_json(self) -> Wire {
        self.replace("accept", "application/json")
    }

    /// A JSON body, exactly these bytes, with `Content-Type: application/json`.
    pub fn json(mut self, body: &str) -> Wire {
        self.body = body.as_bytes().to_vec();
        self.replace("content-type", "application/json")
    }

    /// One more header.
    pub fn header(mut self, name: &str, value: &str) -> Wire {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn replace(mut self, name: &str, value: &str) -> Wire {
        self.headers.retain(|(it, _)| it != name);
        self.header(name, value)
    }

    /// Asserts `request` is exactly this request, and the key is only in the query.
    pub fn assert(&self, request: &WireRequest) {
        assert_eq!(
            (request.method.as_str(), request.target.as_str()),
            (self.method, self.target.as_str()),
            "the request line on the wire (left: sent, right: expected)"
        );
        let mut sent = request.headers.clone();
        sent.sort();
        let mut expected = self.headers.clone();
        expected.sort();
        assert_eq!(
            sent, expected,
            "the request headers on the wire of {} {} (left: sent, right: expected)",
            request.method, request.target
        );
        assert_eq!(
            String::from_utf8_lossy(&request.body),
            String::from_utf8_lossy(&self.body),
            "the request body on the wire of {} {} (left: sent, right: expected)",
            request.method,
            request.target
        );
        request.assert_key_only_in_query();
    }
}

// --- Prism ----------------------------------------------------------------------------------

/// The document a Prism mocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Document {
    /// `specs/durable-functions/openapi.yaml`, as published.
    Seed,
    /// The seed with the overlay applied (`capgen bundle`): what the client was generated from.
    Bundle,
}

impl Document {
    pub const BOTH: [Document; 2] = [Document::Seed, Document::Bundle];
}

/// A running Prism and the document it mocks (as JSON, for its documented statuses).
struct Mocked {
    url: String,
    document: Value,
}

struct Mocks {
    seed: Mocked,
    bundle: Mocked,
    /// Closing these ends the guards, which then stop the Prisms: at the latest when this
    /// process exits, however it exits.
    _guards: Vec<ChildStdin>,
}

/// Both Prisms, started by the first test that needs one; a failure fails every such test.
fn mocks() -> &'static Mocks {
    static MOCKS: OnceLock<Result<Mocks, String>> = OnceLock::new();
    match MOCKS.get_or_init(start_mocks) {
        Ok(mocks) => mocks,
        Err(message) => panic!("{message}"),
    }
}

fn start_mocks() -> Result<Mocks, String> {
    let root = workspace_root();
    let prism = root.join("tests/tools/node_modules/.bin/prism");
    if !prism.is_file() {
        return Err(format!(
            "Prism is not installed (looked for {}): run `npm ci` in tests/tools \
             (tests/run.sh does), then run the tests again",
            prism.display()
        ));
    }
    let capgen = target_dir()
        .join("debug")
        .join(format!("capgen{}", std::env::consts::EXE_SUFFIX));
    if !capgen.is_file() {
        return Err(format!(
            "the `capgen` binary is not built (looked for {}); it bundles the contract Prism \
             mocks: run `cargo build -p capgen` (or `cargo build --workspace --bins`) first",
            capgen.display()
        ));
    }
    let dir = work_dir();
    let seed = bundle(
        &capgen,
        &["--openapi", "specs/durable-functions/openapi.yaml"],
    )?;
    let bundled = bundle(
        &capgen,
        &["--manifest", "specs/durable-functions/capgen.toml"],
    )?;
    let bundle_file = dir.join("bundle.json");
    std::fs::File::create(&bundle_file)
        .and_then(|mut file| file.write_all(&bundled))
        .map_err(|err| format!("cannot write {}: {err}", bundle_file.display()))?;
    let mut seed_prism = PrismProcess::spawn(
        &prism,
        &root.join("specs/durable-functions/openapi.yaml"),
        &dir.join("prism-seed"),
    )?;
    let mut bundle_prism = PrismProcess::spawn(&prism, &bundle_file, &dir.join("prism-bundle"))?;
    let seed_url = seed_prism.wait()?;
    let bundle_url = bundle_prism.wait()?;
    let parse = |bytes: &[u8]| {
        serde_json::from_slice::<Value>(bytes)
            .map_err(|err| format!("`capgen bundle` printed no JSON: {err}"))
    };
    Ok(Mocks {
        seed: Mocked {
            url: seed_url,
            document: parse(&seed)?,
        },
        bundle: Mocked {
            url: bundle_url,
            document: parse(&bundled)?,
        },
        _guards: vec![seed_prism.into_guard(), bundle_prism.into_guard()],
    })
}

/// `capgen bundle ARGS` in the workspace root: the effective document as JSON.
fn bundle(capgen: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new(capgen)
        .arg("bundle")
        .args(args)
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run `capgen bundle`: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "`capgen bundle {}` failed ({}):\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(output.stdout)
}

/// `prism mock DOCUMENT -p PORT -h 127.0.0.1 --seed capgen-contract`, as the contract suite
/// starts it, plus a guard: `sh` waiting for end of input on a pipe only this process holds,
/// then stopping Prism. The pipe closes when this process ends, however it ends.
struct PrismProcess {
    prism: PathBuf,
    document: PathBuf,
    log_stem: PathBuf,
    attempt: u32,
    log: PathBuf,
    port: u16,
    child: Child,
    guard: Child,
}

impl PrismProcess {
    fn spawn(prism: &Path, document: &Path, log_stem: &Path) -> Result<PrismProcess, String> {
        let (log, port, child, guard) = Self::launch(prism, document, log_stem, 1)?;
        Ok(PrismProcess {
            prism: prism.to_owned(),
            document: document.to_owned(),
            log_stem: log_stem.to_owned(),
            attempt: 1,
            log,
            port,
            child,
            guard,
        })
    }

    fn launch(
        prism: &Path,
        document: &Path,
        log_stem: &Path,
        attempt: u32,
    ) -> Result<(PathBuf, u16, Child, Child), String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|it| it.local_addr())
            .map_err(|err| format!("no free port: {err}"))?
            .port();
        let log = log_stem.with_extension(format!("{attempt}.log"));
        let file = std::fs::File::create(&log)
            .map_err(|err| format!("cannot create {}: {err}", log.display()))?;
        let errors = file
            .try_clone()
            .map_err(|err| format!("cannot share {}: {err}", log.display()))?;
        let mut command = Command::new(prism);
        command
            .arg("mock")
            .arg(document)
            .args(["-p", &port.to_string(), "-h", "127.0.0.1"])
            .args(["--seed", "capgen-contract"])
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(errors);
        for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
            command
                .env_remove(name)
                .env_remove(name.to_ascii_lowercase());
        }
        let mut child = command
            .spawn()
            .map_err(|err| format!("cannot start Prism ({}): {err}", prism.display()))?;
        let guard = Command::new("sh")
            .args(["-c", "read -r _; kill \"$1\" 2>/dev/null", "prism-guard"])
            .arg(child.id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match guard {
            Ok(guard) => Ok((log, port, child, guard)),
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("cannot start the guard of Prism (`sh`): {err}"))
            }
        }
    }

    /// Waits until Prism listens (another port when the first was taken); its base URL.
    fn wait(&mut self) -> Result<String, String> {
        let mut deadline = Instant::now() + PRISM_STARTUP;
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if log.contains("Prism is listening") {
                return Ok(format!("http://127.0.0.1:{}", self.port));
            }
            let exited = self.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                self.stop();
                if exited.is_some() && log.contains("EADDRINUSE") && self.attempt < 3 {
                    self.attempt += 1;
                    let (log, port, child, guard) =
                        Self::launch(&self.prism, &self.document, &self.log_stem, self.attempt)?;
                    (self.log, self.port, self.child, self.guard) = (log, port, child, guard);
                    deadline = Instant::now() + PRISM_STARTUP;
                    continue;
                }
                let tail: String = {
                    let chars: Vec<char> = log.chars().collect();
                    chars[chars.len().saturating_sub(3000)..].iter().collect()
                };
                return Err(format!(
                    "Prism mocking {} did not listen within {PRISM_STARTUP:?} ({}); its log:\n{tail}",
                    self.document.display(),
                    match exited {
                        Some(status) => format!("it exited: {status}"),
                        None => "still running, stopped".to_owned(),
                    }
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops Prism and its guard now (the guard first, so it never signals a stale id).
    fn stop(&mut self) {
        let _ = self.guard.kill();
        let _ = self.guard.wait();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Keeps the guard's input open: Prism runs until it is dropped (or this process ends).
    fn into_guard(mut self) -> ChildStdin {
        self.guard.stdin.take().expect("the guard's input")
    }
}

/// The recording proxy in front of one of the Prisms, with that Prism's document.
pub struct Mock {
    pub document: Document,
    recorder: Recorder,
    spec: &'static Value,
}

impl Mock {
    /// A proxy in front of the Prism mocking `document` (starts both Prisms on first use).
    pub async fn start(document: Document) -> Mock {
        let mocks = tokio::task::spawn_blocking(mocks)
            .await
            .unwrap_or_else(|err| match err.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(err) => panic!("starting Prism was cancelled: {err}"),
            });
        let mocked = match document {
            Document::Seed => &mocks.seed,
            Document::Bundle => &mocks.bundle,
        };
        Mock {
            document,
            recorder: Recorder::start(&mocked.url).await,
            spec: &mocked.document,
        }
    }

    /// A client of this mock with the system key.
    pub fn client(&self) -> Client {
        client(self.recorder.url())
    }

    /// A client of this mock without credentials.
    pub fn bare_client(&self) -> Client {
        bare_client(self.recorder.url())
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    fn operation(&self, operation_id: &str) -> &'static Value {
        let spec: &'static Value = self.spec;
        spec["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .filter_map(Value::as_object)
            .flat_map(|item| item.values())
            .find(|it| it["operationId"] == operation_id)
            .unwrap_or_else(|| panic!("{:?} has no operation `{operation_id}`", self.document))
    }

    /// The statuses the document lists for an operation, in ascending order.
    pub fn statuses(&self, operation_id: &str) -> Vec<u16> {
        let statuses: BTreeSet<u16> = self.operation(operation_id)["responses"]
            .as_object()
            .into_iter()
            .flat_map(|it| it.keys())
            .filter_map(|it| it.parse().ok())
            .collect();
        statuses.into_iter().collect()
    }

    /// Whether the document gives a body for this status of this operation.
    pub fn has_content(&self, operation_id: &str, status: u16) -> bool {
        let mut response = &self.operation(operation_id)["responses"][status.to_string()];
        if let Some(reference) = response["$ref"].as_str() {
            let name = reference
                .strip_prefix("#/components/responses/")
                .unwrap_or_else(|| panic!("an unexpected response reference {reference}"));
            response = &self.spec["components"]["responses"][name];
        }
        response["content"]
            .as_object()
            .is_some_and(|it| !it.is_empty())
    }

    /// Sends the request once without `Prefer` (Prism's default answer, a success) and once
    /// per status the document lists for `operation_id`, asking for it with `Prefer`. Every
    /// time: the wire request must be `wire`, an error must not show the key, and `check`
    /// gets the exchange (the answer as sent) with the decoded result.
    pub async fn each_status<S, E, Fut>(
        &self,
        operation_id: &str,
        wire: &Wire,
        send: impl Fn() -> Fut,
        check: impl Fn(&Exchange, Result<S, E>),
    ) where
        Fut: Future<Output = Result<S, E>>,
        E: Display + Debug,
    {
        let statuses = self.statuses(operation_id);
        assert!(
            !statuses.is_empty(),
            "{:?}: `{operation_id}` lists no status",
            self.document
        );
        for prefer in std::iter::once(None).chain(statuses.into_iter().map(Some)) {
            self.recorder.prefer(prefer);
            let result = send().await;
            self.recorder.prefer(None);
            let exchange = self.recorder.single();
            wire.assert(&exchange.request);
            match prefer {
                Some(status) => assert_eq!(
                    exchange.status,
                    status,
                    "{:?}: Prism did not answer the status asked for with `Prefer: code={status}` ({})",
                    self.document,
                    String::from_utf8_lossy(&exchange.body)
                ),
                None => assert!(
                    (200..300).contains(&exchange.status),
                    "{:?}: Prism's default answer to `{operation_id}` is {} ({})",
                    self.document,
                    exchange.status,
                    String::from_utf8_lossy(&exchange.body)
                ),
            }
            if let Err(err) = &result {
                assert_error_hides_key(err);
            }
            check(&exchange, result);
        }
    }

    /// Checks a documented error response: its status, the raw answer kept byte for byte, and
    /// the body decoded as the documented type when the document gives one (else no body).
    pub fn check_error<T: Debug>(
        &self,
        operation_id: &str,
        exchange: &Exchange,
        response: &ErrorResponse<T>,
    ) {
        let what = format!("{:?} `{operation_id}` {}", self.document, exchange.status);
        assert_eq!(
            response.status().as_u16(),
            exchange.status,
            "{what}: the status"
        );
        assert_eq!(
            response.raw().body(),
            &exchange.body,
            "{what}: the raw body is kept"
        );
        if self.has_content(operation_id, exchange.status) {
            assert!(
                response.body().is_some(),
                "{what}: the documented body {:?} was not decoded",
                String::from_utf8_lossy(&exchange.body)
            );
        } else {
            assert!(
                response.body().is_none() && exchange.body.is_empty(),
                "{what}: an undocumented body {:?} came as {:?}",
                String::from_utf8_lossy(&exchange.body),
                response.body()
            );
        }
    }
}

// --- The Durable Functions test upstream ----------------------------------------------------

/// The test upstream in-process (requiring the key), behind the recording proxy.
pub struct Upstream {
    recorder: Recorder,
    _fake: RunningFake,
}

impl Upstream {
    /// The new profile, everything immediate.
    pub async fn start() -> Upstream {
        Upstream::with(Profile::New, Timing::default()).await
    }

    pub async fn with(profile: Profile, timing: Timing) -> Upstream {
        let fake = spawn(FakeConfig {
            key: Some(KEY.to_owned()),
            profile,
            timing,
            ..FakeConfig::default()
        })
        .await
        .expect("start the test upstream");
        Upstream {
            recorder: Recorder::start(&fake.base_url()).await,
            _fake: fake,
        }
    }

    /// A client of the upstream (through the proxy) with the system key.
    pub fn client(&self) -> Client {
        client(self.recorder.url())
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// The only exchange since the last look, with the key only in its query.
    pub fn single(&self) -> Exchange {
        let exchange = self.recorder.single();
        exchange.request.assert_key_only_in_query();
        exchange
    }

    /// Forgets the exchanges so far, checking the key was only ever in their query.
    pub fn forget(&self) {
        for exchange in self.recorder.take() {
            exchange.request.assert_key_only_in_query();
        }
    }
}
