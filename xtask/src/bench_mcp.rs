//! `cargo xtask bench mcp`: MCP `tools/call` throughput and latency of the generated server
//! versus FastMCP's OpenAPI provider (PyPI `fastmcp`, pinned in `tests/bench/requirements.txt`),
//! both in front of the same upstream, in one run.
//!
//! Everything runs on loopback: the release build of the Durable Functions test double, the
//! release build of `durable-orchestrations-server` in front of it, and
//! `tests/bench/fastmcp_server.py` (`FastMCP.from_openapi` over the same OpenAPI document capgen
//! generates from: the seed plus overlay of `specs/durable-functions/capgen.toml`) in front of it
//! too, from a virtualenv `.venv-bench` that this command creates when it is missing.
//!
//! One load driver, written here, drives both servers the same way: N MCP sessions in the legacy
//! era (2025-11-25: `initialize`, `notifications/initialized`, then requests carrying
//! `Mcp-Session-Id` and `MCP-Protocol-Version`), each calling the read-only
//! get-instance-status tool of a completed instance back to back for the measured time, after a
//! short warm-up. Every answer is read (JSON or SSE) and checked: a JSON-RPC result, not
//! `isError`, carrying the completed instance. Results are printed as a Markdown table with the
//! machine they were measured on.
//!
//! The driver shares the machine with the servers, so it always runs optimized: a debug build of
//! xtask (`cargo xtask` is one) hands the benchmark to a release build of itself. Scratch files
//! (the bundled document, FastMCP's log) go to `target/bench-mcp/`.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::bench::Processes;
use capgen::load::diagnostics::Diagnostics;
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// The MCP protocol revision the driver negotiates (the last one with `initialize`).
const PROTOCOL: &str = "2025-11-25";
/// The FastMCP release compared against (kept in step with `tests/bench/requirements.txt`).
const FASTMCP_VERSION: &str = "4.1.6";
const KEY: &str = "bench-key-0123456789";
const INSTANCE: &str = "bench-instance";
/// The tool both servers derive from `GET …/instances/{instanceId}` (`getInstanceStatus`),
/// compared with names lower-cased and stripped of everything but letters and digits.
const TOOL: &str = "getinstancestatus";
const WARM_UP: Duration = Duration::from_secs(1);
const MANIFEST: &str = "specs/durable-functions/capgen.toml";
/// Set for the release build of xtask that a debug build hands the benchmark to.
const RELEASE_DRIVER: &str = "XTASK_BENCH_MCP_RELEASE";

/// One measured run against one server at one session count.
#[derive(Debug, Clone, Default)]
pub struct Measurement {
    pub calls: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub requests_per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
}

/// What one session did during a run.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn error(&mut self, err: String) {
        self.errors += 1;
        self.first_error.get_or_insert(err);
    }
}

/// The `q` quantile (0..=1) of sorted values, nearest rank.
pub fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn measurement(tallies: Vec<Tally>, elapsed: Duration) -> Measurement {
    let mut all = Vec::new();
    let mut res = Measurement::default();
    for tally in tallies {
        all.extend(tally.latencies_us);
        res.errors += tally.errors;
        if res.first_error.is_none() {
            res.first_error = tally.first_error;
        }
    }
    all.sort_unstable();
    res.calls = all.len() as u64;
    res.requests_per_second = all.len() as f64 / elapsed.as_secs_f64();
    res.p50_us = percentile(&all, 0.50);
    res.p99_us = percentile(&all, 0.99);
    res
}

/// The JSON-RPC message answering request `id` in a response body: the body itself for
/// `application/json`, else the SSE `data:` event carrying it (other events, such as priming
/// events with empty data or notifications, are skipped).
pub fn response_message(content_type: &str, body: &str, id: u64) -> Result<Value, String> {
    if !content_type.starts_with("text/event-stream") {
        return serde_json::from_str(body).map_err(|err| format!("not JSON ({err}): {body}"));
    }
    let mut data = String::new();
    // A trailing empty line dispatches the last event even when the stream ends without one.
    for line in body.lines().chain(std::iter::once("")) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            if !data.trim().is_empty()
                && let Ok(message) = serde_json::from_str::<Value>(&data)
                && message.get("id").and_then(Value::as_u64) == Some(id)
            {
                return Ok(message);
            }
            data.clear();
        } else if let Some(rest) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        }
    }
    Err(format!(
        "no answer to request {id} in the event stream: {body}"
    ))
}

/// Checks a `tools/call` result: not an error, and the status of the completed instance (from
/// `structuredContent`, or the JSON text of the first content block).
pub fn check_status_result(result: &Value) -> Result<(), String> {
    if result.get("isError").and_then(Value::as_bool) == Some(true) {
        return Err(format!("tool error: {result}"));
    }
    let text_json = || {
        result
            .pointer("/content/0/text")
            .and_then(Value::as_str)
            .and_then(|it| serde_json::from_str::<Value>(it).ok())
    };
    let status = match result.get("structuredContent") {
        Some(it) => it.clone(),
        None => text_json().unwrap_or(Value::Null),
    };
    let completed = status.get("instanceId").and_then(Value::as_str) == Some(INSTANCE)
        && status.get("runtimeStatus").and_then(Value::as_str) == Some("Completed");
    if completed {
        Ok(())
    } else {
        Err(format!("unexpected result: {result}"))
    }
}

fn normalized(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|it| it.to_ascii_lowercase())
        .collect()
}

/// A legacy-era (2025-11-25) MCP client session over streamable HTTP.
struct Session {
    http: reqwest::Client,
    url: String,
    id: Option<String>,
    next_id: u64,
}

impl Session {
    async fn open(url: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|err| format!("cannot build an HTTP client: {err}"))?;
        let mut session = Session {
            http,
            url: url.to_owned(),
            id: None,
            next_id: 0,
        };
        let params = json!({
            "protocolVersion": PROTOCOL,
            "capabilities": {},
            "clientInfo": {"name": "cargo-xtask-bench-mcp", "version": env!("CARGO_PKG_VERSION")},
        });
        let (result, session_id) = session.send("initialize", Some(params)).await?;
        let version = result.get("protocolVersion").and_then(Value::as_str);
        if version != Some(PROTOCOL) {
            return Err(format!(
                "{url}: initialize negotiated {version:?}, not {PROTOCOL}"
            ));
        }
        session.id = session_id;
        let response = session
            .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .send()
            .await
            .map_err(|err| format!("{url}: notifications/initialized: {err}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "{url}: notifications/initialized answered {}",
                response.status()
            ));
        }
        Ok(session)
    }

    fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .json(body);
        if let Some(id) = &self.id {
            request = request
                .header("mcp-session-id", id)
                .header("mcp-protocol-version", PROTOCOL);
        }
        request
    }

    /// Sends one request; returns its result and the `Mcp-Session-Id` response header.
    async fn send(
        &mut self,
        method: &str,
        params: Option<Value>,
    ) -> Result<(Value, Option<String>), String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut body = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if let Some(params) = params {
            body["params"] = params;
        }
        let response = self
            .post(&body)
            .send()
            .await
            .map_err(|err| format!("{method}: {err}"))?;
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|it| it.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let session_id = header("mcp-session-id");
        let text = response
            .text()
            .await
            .map_err(|err| format!("{method}: reading the answer: {err}"))?;
        if !status.is_success() {
            return Err(format!("{method}: HTTP {status}: {text}"));
        }
        let message = response_message(&content_type, &text, id)?;
        if let Some(error) = message.get("error") {
            return Err(format!("{method}: JSON-RPC error {error}"));
        }
        match message.get("result") {
            Some(result) => Ok((result.clone(), session_id)),
            None => Err(format!("{method}: neither result nor error: {message}")),
        }
    }

    async fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.send(method, Some(params)).await.map(|it| it.0)
    }

    /// Ends the session (DELETE), best effort.
    async fn close(self) {
        if let Some(id) = &self.id {
            let _ = self
                .http
                .delete(&self.url)
                .header("mcp-session-id", id)
                .header("mcp-protocol-version", PROTOCOL)
                .send()
                .await;
        }
    }
}

/// One server under test.
struct Target {
    label: &'static str,
    url: String,
    tool: String,
}

impl Target {
    /// Finds the get-instance-status tool in `tools/list` and checks one call of it.
    async fn discover(label: &'static str, url: String) -> Result<Self, String> {
        let mut session = Session::open(&url).await?;
        let listed = session.request("tools/list", json!({})).await?;
        let names: Vec<&str> = listed
            .get("tools")
            .and_then(Value::as_array)
            .map(|it| {
                it.iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let Some(tool) = names.iter().find(|it| normalized(it) == TOOL) else {
            return Err(format!(
                "{label}: no get-instance-status tool in tools/list: {names:?}"
            ));
        };
        let target = Target {
            label,
            url,
            tool: (*tool).to_owned(),
        };
        let result = session.request("tools/call", target.call_params()).await?;
        check_status_result(&result).map_err(|err| format!("{label}: {err}"))?;
        session.close().await;
        Ok(target)
    }

    fn call_params(&self) -> Value {
        json!({"name": self.tool, "arguments": {"instanceId": INSTANCE}})
    }

    /// Opens `sessions` sessions, warms them up, then measures for `seconds`.
    async fn measure(&self, sessions: u32, seconds: u32) -> Result<Measurement, String> {
        let mut open = Vec::new();
        for _ in 0..sessions {
            open.push(
                Session::open(&self.url)
                    .await
                    .map_err(|err| format!("{}: {err}", self.label))?,
            );
        }
        let (open, _) = self.phase(open, WARM_UP).await;
        let started = Instant::now();
        let (open, tallies) = self
            .phase(open, Duration::from_secs(u64::from(seconds)))
            .await;
        let elapsed = started.elapsed();
        for session in open {
            session.close().await;
        }
        if tallies.len() != sessions as usize {
            return Err(format!("{}: a session task failed", self.label));
        }
        Ok(measurement(tallies, elapsed))
    }

    /// Every session calls the tool back to back until `length` has passed.
    async fn phase(&self, sessions: Vec<Session>, length: Duration) -> (Vec<Session>, Vec<Tally>) {
        let until = Instant::now() + length;
        let mut tasks = JoinSet::new();
        for mut session in sessions {
            let params = self.call_params();
            tasks.spawn(async move {
                let mut tally = Tally::default();
                while Instant::now() < until {
                    let started = Instant::now();
                    match session.request("tools/call", params.clone()).await {
                        Ok(result) => match check_status_result(&result) {
                            Ok(()) => {
                                let micros = started.elapsed().as_micros();
                                tally
                                    .latencies_us
                                    .push(u32::try_from(micros).unwrap_or(u32::MAX));
                            }
                            Err(err) => tally.error(err),
                        },
                        Err(err) => tally.error(err),
                    }
                }
                (session, tally)
            });
        }
        let mut open = Vec::new();
        let mut tallies = Vec::new();
        while let Some(done) = tasks.join_next().await {
            if let Ok((session, tally)) = done {
                open.push(session);
                tallies.push(tally);
            }
        }
        (open, tallies)
    }
}

fn release_binary(root: &Path, name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("release").join(name)
}

fn scratch_dir(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("bench-mcp")
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|it| {
            it.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism()
        .map(|it| it.get())
        .unwrap_or(0);
    format!("{cores} cores ({cpu}), {}", std::env::consts::OS)
}

/// A free loopback port (bound, then released).
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|it| it.local_addr())
        .map(|it| it.port())
        .map_err(|err| format!("cannot find a free port: {err}"))
}

/// Writes the bundled OpenAPI document (seed + overlays) of [`MANIFEST`] to `out`, as JSON.
fn bundle(root: &Path, out: &Path) -> Result<(), String> {
    let plan = capgen::plan::read_manifest(&root.join(MANIFEST)).map_err(|it| it.render())?;
    let Some(openapi) = &plan.openapi else {
        return Err(format!("{MANIFEST} has no [openapi] section"));
    };
    let overlays: Vec<&Path> = plan.overlays.iter().map(PathBuf::as_path).collect();
    let mut diags = Diagnostics::new();
    let doc = capgen::load::openapi::with_overlays(openapi, &overlays, &mut diags);
    let Some(doc) = doc.filter(|_| !diags.has_errors()) else {
        let rendered: Vec<String> = diags.sorted().into_iter().map(|it| it.render()).collect();
        return Err(format!(
            "cannot bundle {MANIFEST}:\n{}",
            rendered.join("\n")
        ));
    };
    let text = serde_json::to_string_pretty(&doc).map_err(|err| err.to_string())?;
    std::fs::write(out, text).map_err(|err| format!("cannot write {}: {err}", out.display()))
}

/// The virtualenv's Python with FastMCP installed: creates `.venv-bench` with `python3` and
/// installs `tests/bench/requirements*.txt` into it when FastMCP is missing or another version.
fn fastmcp_python(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join(".venv-bench");
    let python = venv.join("bin").join("python");
    let check = format!(
        "import fastmcp, sys; sys.exit(0 if fastmcp.__version__ == '{FASTMCP_VERSION}' else 1)"
    );
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", &check])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|it| it.success())
            .unwrap_or(false)
    };
    if python.is_file() && ready(&python) {
        return Ok(python);
    }
    if !python.is_file() {
        eprintln!("bench mcp: creating {} (python3 -m venv)", venv.display());
        let created = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|err| {
                format!("cannot run python3 (Python >= 3.10 with the venv module is needed): {err}")
            })?;
        if !created.success() {
            return Err(format!(
                "`python3 -m venv {}` failed (on Debian: apt-get install python3-venv)",
                venv.display()
            ));
        }
    }
    eprintln!(
        "bench mcp: installing fastmcp=={FASTMCP_VERSION} into {}",
        venv.display()
    );
    let bench = root.join("tests").join("bench");
    let steps: [&[&str]; 2] = [
        &["-r", "requirements-deps.txt"],
        &["--no-deps", "-r", "requirements.txt"],
    ];
    for args in steps {
        let ok = Command::new(&python)
            .current_dir(&bench)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(args)
            .status()
            .map(|it| it.success())
            .unwrap_or(false);
        if !ok {
            return Err(format!(
                "cannot install FastMCP: `pip install {}` in {} failed (see above)",
                args.join(" "),
                bench.display()
            ));
        }
    }
    if ready(&python) {
        Ok(python)
    } else {
        Err(format!(
            "fastmcp {FASTMCP_VERSION} still cannot be imported by {}",
            python.display()
        ))
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Waits until `url` answers a request with a 2xx, while `child` is still running.
async fn wait_for(
    http: &reqwest::Client,
    url: &str,
    child: &mut Child,
    log: Option<&Path>,
    what: &str,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let tail = log.map(log_tail).unwrap_or_default();
            return Err(format!(
                "{what} exited ({status}) before it was ready\n{tail}"
            ));
        }
        let ok = http
            .get(url)
            .send()
            .await
            .map(|it| it.status().is_success())
            .unwrap_or(false);
        if ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{what} did not come up within 60 s ({url})"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until an MCP session can be opened at `url`, while `child` is still running.
async fn wait_for_mcp(
    url: &str,
    child: &mut Child,
    log: Option<&Path>,
    what: &str,
) -> Result<(), String> {
    let tail = || log.map(|it| format!("\nits log ({}):\n{}", it.display(), log_tail(it)));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{what} exited ({status}) before it was ready{}",
                tail().unwrap_or_default()
            ));
        }
        match Session::open(url).await {
            Ok(session) => {
                session.close().await;
                return Ok(());
            }
            Err(err) if Instant::now() > deadline => {
                return Err(format!(
                    "{what} did not come up within 60 s: {err}{}",
                    tail().unwrap_or_default()
                ));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

struct Addresses {
    upstream: String,
    rest: String,
    mcp: String,
    fastmcp_port: u16,
}

/// Starts an `Echo` instance on the fake and waits until it is `Completed`.
async fn completed_instance(http: &reqwest::Client, upstream: &str) -> Result<(), String> {
    let base = format!("http://{upstream}/runtime/webhooks/durabletask");
    let started = http
        .post(format!("{base}/orchestrators/Echo/{INSTANCE}?code={KEY}"))
        .json(&json!({"n": 1}))
        .send()
        .await
        .map_err(|err| format!("cannot start the instance: {err}"))?;
    if !started.status().is_success() {
        return Err(format!(
            "starting the instance answered {}",
            started.status()
        ));
    }
    for _ in 0..100 {
        let status: Value = http
            .get(format!("{base}/instances/{INSTANCE}?code={KEY}"))
            .send()
            .await
            .map_err(|err| format!("cannot read the instance: {err}"))?
            .json()
            .await
            .map_err(|err| format!("cannot read the instance: {err}"))?;
        if status.get("runtimeStatus").and_then(Value::as_str) == Some("Completed") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the instance did not complete".to_owned())
}

/// Microseconds below 1 ms, else milliseconds with one decimal.
fn format_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

async fn drive(
    processes: &mut Processes,
    addresses: &Addresses,
    fastmcp_log: &Path,
    seconds: u32,
    sessions: &[u32],
) -> Result<bool, String> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|err| err.to_string())?;
    let [fake, server, fastmcp] = &mut processes.0[..] else {
        return Err("expected three processes".to_owned());
    };
    let upstream = &addresses.upstream;
    wait_for(
        &http,
        &format!("http://{upstream}/runtime/webhooks/durabletask/instances?code={KEY}"),
        fake,
        None,
        "the fake",
    )
    .await?;
    wait_for(
        &http,
        &format!("http://{}/healthz", addresses.rest),
        server,
        None,
        "the generated server",
    )
    .await?;
    let capgen_url = format!("http://{}/mcp", addresses.mcp);
    let fastmcp_url = format!("http://127.0.0.1:{}/mcp", addresses.fastmcp_port);
    wait_for_mcp(&capgen_url, server, None, "the generated server").await?;
    wait_for_mcp(
        &fastmcp_url,
        fastmcp,
        Some(fastmcp_log),
        "the FastMCP server",
    )
    .await?;
    completed_instance(&http, upstream).await?;

    let targets = [
        Target::discover("capgen", capgen_url).await?,
        Target::discover("FastMCP", fastmcp_url).await?,
    ];
    println!(
        "# cargo xtask bench mcp\n\nMachine: {}. Each run {seconds} s (after a {} s warm-up) per server and session count.",
        machine(),
        WARM_UP.as_secs()
    );
    println!(
        "Call: `tools/call` of `{}` (capgen, `durable-orchestrations-server`, release) vs `{}` (FastMCP {FASTMCP_VERSION} `from_openapi`, same bundled OpenAPI document) for a completed instance of the same Durable Functions test double.",
        targets[0].tool, targets[1].tool
    );
    println!(
        "Driver: one Rust client (reqwest, one tokio thread) for both; protocol {PROTOCOL} sessions (initialize, Mcp-Session-Id), each calling back to back; every answer checked (result, not isError, instance Completed). Servers with default streamable-HTTP settings (SSE answers), logging at warn.\n"
    );
    println!(
        "| sessions | capgen calls/s | FastMCP calls/s | ratio | capgen p50 | FastMCP p50 | capgen p99 | FastMCP p99 | errors (capgen / FastMCP) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let _ = std::io::stdout().flush();
    let mut clean = true;
    let mut notes = Vec::new();
    for &count in sessions {
        let ours = targets[0].measure(count, seconds).await?;
        let theirs = targets[1].measure(count, seconds).await?;
        println!(
            "| {count} | {:.0} | {:.0} | {:.1}× | {} | {} | {} | {} | {} / {} |",
            ours.requests_per_second,
            theirs.requests_per_second,
            ours.requests_per_second / theirs.requests_per_second,
            format_us(ours.p50_us),
            format_us(theirs.p50_us),
            format_us(ours.p99_us),
            format_us(theirs.p99_us),
            ours.errors,
            theirs.errors,
        );
        let _ = std::io::stdout().flush();
        for (label, run) in [("capgen", &ours), ("FastMCP", &theirs)] {
            if let Some(err) = &run.first_error {
                notes.push(format!(
                    "{label} at {count} sessions: {} error(s), first: {err}",
                    run.errors
                ));
            }
        }
        clean &= ours.errors == 0;
    }
    for note in notes {
        eprintln!("bench mcp: {note}");
    }
    Ok(clean)
}

pub fn run(root: &Path, seconds: u32, sessions: &[u32]) -> ExitCode {
    if sessions.is_empty() || sessions.contains(&0) || seconds == 0 {
        eprintln!("error: --seconds and every --sessions value must be at least 1");
        return ExitCode::from(2);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // The load driver shares the two cores with the servers: an unoptimized driver would slow
    // the faster server down more than the slower one, so the measuring xtask is a release build.
    if cfg!(debug_assertions) && std::env::var_os(RELEASE_DRIVER).is_none() {
        eprintln!("bench mcp: running the load driver as a release build of xtask");
        let list: Vec<String> = sessions.iter().map(u32::to_string).collect();
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(["run", "--release", "--package", "xtask", "--bin", "xtask"])
            .args(["--", "bench", "mcp", "--seconds", &seconds.to_string()])
            .args(["--sessions", &list.join(",")])
            .env(RELEASE_DRIVER, "1")
            .status();
        return match status.map(|it| it.code()) {
            Ok(Some(0)) => ExitCode::SUCCESS,
            Ok(Some(code)) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Ok(None) | Err(_) => {
                eprintln!("error: cannot run the release build of xtask");
                ExitCode::from(1)
            }
        };
    }
    if !crate::bench::build_release(root, crate::bench::SERVERS) {
        eprintln!("error: release build failed");
        return ExitCode::from(1);
    }
    let python = match fastmcp_python(root) {
        Ok(it) => it,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(1);
        }
    };
    let scratch = scratch_dir(root);
    let openapi = scratch.join("openapi.json");
    let fastmcp_log = scratch.join("fastmcp.log");
    if let Err(err) = std::fs::create_dir_all(&scratch)
        .map_err(|err| format!("cannot create {}: {err}", scratch.display()))
        .and_then(|()| bundle(root, &openapi))
    {
        eprintln!("error: {err}");
        return ExitCode::from(1);
    }
    let ports = (free_port(), free_port(), free_port(), free_port());
    let (Ok(upstream), Ok(rest), Ok(mcp), Ok(fastmcp_port)) = ports else {
        eprintln!("error: cannot find free loopback ports");
        return ExitCode::from(1);
    };
    let addresses = Addresses {
        upstream: format!("127.0.0.1:{upstream}"),
        rest: format!("127.0.0.1:{rest}"),
        mcp: format!("127.0.0.1:{mcp}"),
        fastmcp_port,
    };

    let mut processes = Processes(Vec::new());
    let fake = Command::new(release_binary(root, "durable-functions-fake"))
        .args(["--addr", &addresses.upstream, "--key", KEY])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match fake {
        Ok(it) => processes.0.push(it),
        Err(err) => {
            eprintln!("error: cannot start the fake: {err}");
            return ExitCode::from(1);
        }
    }
    let server = Command::new(release_binary(root, "durable-orchestrations-server"))
        .args([
            "--upstream-url",
            &format!("http://{}", addresses.upstream),
            "--rest-addr",
            &addresses.rest,
            "--mcp-addr",
            &addresses.mcp,
        ])
        .env("DURABLE_FUNCTIONS_API_KEY", KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match server {
        Ok(it) => processes.0.push(it),
        Err(err) => {
            eprintln!("error: cannot start the generated server: {err}");
            return ExitCode::from(1);
        }
    }
    let log = match std::fs::File::create(&fastmcp_log) {
        Ok(it) => it,
        Err(err) => {
            eprintln!("error: cannot create {}: {err}", fastmcp_log.display());
            return ExitCode::from(1);
        }
    };
    let fastmcp = Command::new(&python)
        .arg(root.join("tests").join("bench").join("fastmcp_server.py"))
        .arg("--openapi")
        .arg(&openapi)
        .args([
            "--upstream",
            &format!("http://{}", addresses.upstream),
            "--host",
            "127.0.0.1",
            "--port",
            &fastmcp_port.to_string(),
        ])
        .env("DURABLE_FUNCTIONS_API_KEY", KEY)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn();
    match fastmcp {
        Ok(it) => processes.0.push(it),
        Err(err) => {
            eprintln!("error: cannot start the FastMCP server: {err}");
            return ExitCode::from(1);
        }
    }

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(it) => it,
        Err(err) => {
            eprintln!("error: cannot start the tokio runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(drive(
        &mut processes,
        &addresses,
        &fastmcp_log,
        seconds,
        sessions,
    ));
    drop(processes);
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("error: the generated server answered with errors (see above)");
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_answers_are_read() {
        let body = "data: \nid: 0/0\nretry: 3000\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"ok\":true}}\nid: 1/0\n";
        let it = response_message("text/event-stream", body, 7).expect("found");
        assert_eq!(it["result"]["ok"], true);
        let crlf = body.replace('\n', "\r\n");
        assert!(response_message("text/event-stream", &crlf, 7).is_ok());
        assert!(response_message("text/event-stream", body, 8).is_err());
    }

    #[test]
    fn json_answers_are_read() {
        let it =
            response_message("application/json", "{\"id\":1,\"result\":{}}", 1).expect("parsed");
        assert!(it["result"].is_object());
    }

    #[test]
    fn results_are_checked() {
        let done = json!({"instanceId": INSTANCE, "runtimeStatus": "Completed"});
        assert!(check_status_result(&json!({"structuredContent": done, "isError": false})).is_ok());
        let text = json!({"content": [{"type": "text", "text": done.to_string()}]});
        assert!(check_status_result(&text).is_ok());
        let error = json!({"structuredContent": done, "isError": true});
        assert!(check_status_result(&error).is_err());
        let running =
            json!({"structuredContent": {"instanceId": INSTANCE, "runtimeStatus": "Running"}});
        assert!(check_status_result(&running).is_err());
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let values: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.5), 50.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        assert_eq!(percentile(&[5], 0.99), 5.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn latencies_are_formatted() {
        assert_eq!(format_us(338.2), "338 µs");
        assert_eq!(format_us(7022.0), "7.0 ms");
        assert_eq!(format_us(41_234.0), "41.2 ms");
    }

    #[test]
    fn tool_names_are_matched_loosely() {
        assert_eq!(normalized("get-instance-status"), TOOL);
        assert_eq!(normalized("getInstanceStatus"), TOOL);
    }
}
