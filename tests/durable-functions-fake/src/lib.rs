//! A stateful **test double** of the Azure Durable Functions built-in HTTP
//! API (`/runtime/webhooks/durabletask/...`). It is not Azure and runs no
//! functions: it reproduces the wire behaviour of the Durable Functions
//! extension (status codes, headers, body shapes, paging, error bodies) over
//! an in-memory store, with a few built-in orchestrators and entities whose
//! life a test can drive.
//!
//! # Starting it in-process
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use durable_functions_fake::{spawn, FakeConfig};
//!
//! let fake = spawn(FakeConfig::default()).await?; // binds 127.0.0.1:0
//! let base = fake.webhook_url(); // http://127.0.0.1:PORT/runtime/webhooks/durabletask
//! // ... POST {base}/orchestrators/Echo with a JSON body ...
//! fake.shutdown().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Built-in orchestrators
//!
//! Names match case-insensitively; the status shows the name as sent. All of
//! them accept their parameters as a JSON object input (or as a JSON string
//! holding such an object, as Python v1 clients send it). Durations given in
//! seconds are multiplied by [`Timing::time_scale`]. Every new instance is
//! first `Pending` for [`Timing::pending`].
//!
//! | name | input | behaviour |
//! |---|---|---|
//! | `Echo` | anything | `Running` for [`Timing::run`], then `Completed` with output = input |
//! | `WaitForEvent` | `{"eventName": "Approval", "timeoutSeconds": N}` (both optional) | `Running` until an event with that name (case-insensitive, default `Approval`) is raised, then `Completed` with the event data as output; with `timeoutSeconds`, `Failed` when it elapses first |
//! | `Fail` | `{"message": "...", "seconds": N}` (both optional) | `Running` for N seconds (default [`Timing::run`]), then `Failed`; output is the text `Orchestrator function 'Fail' failed: <message>` |
//! | `Sleep` | `{"seconds": N}` (default 1) | `Running` for N seconds (a durable timer), then `Completed` with output = input |
//! | `ContinueAsNew` | `{"iterations": N, "seconds": S}` (defaults 3 and 1) | N executions: each `Running` for S seconds, separated by S seconds of `ContinuedAsNew`; `customStatus` is the number of finished iterations; finally `Completed` with output N |
//!
//! A rewound `Failed` instance becomes `Running` again and, after
//! [`Timing::run`], `Completed` with its input as output.
//!
//! Unknown orchestrator names: the **old** profile answers 400 (the
//! `ArgumentException` body, as the real `ThrowIfFunctionDoesNotExist`); the
//! **new** profile (whose start path skips that check) answers 202, and the
//! instance becomes `Failed` right after its `Pending` phase with the output
//! `The function 'X' doesn't exist, is disabled, or is not an orchestrator
//! function. ...`.
//!
//! # Built-in entities
//!
//! | entity | operations |
//! |---|---|
//! | `counter` | `add` (number input, or a numeric string), `reset` (state 0), `get` (no change), `delete` |
//! | `store` | `set` (state = input; `null` without input), `get` (no change), `delete` |
//!
//! Operation names are case-insensitive. Signals are applied at once (the
//! real service applies them asynchronously). An entity exists while it has
//! state: the first `add`/`reset`/`set` creates it, `delete` (or an HTTP
//! `DELETE`) removes it; an unknown operation or unusable input leaves it as
//! it was. Other entity names are rejected with 400.
//!
//! # Profiles
//!
//! See [`Profile`]. The README of the crate lists every difference.
#![warn(missing_docs)]

mod http;
mod model;
mod query;
mod timefmt;

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The base path of the built-in HTTP API on a Functions v2+ host.
pub const WEBHOOK_PATH: &str = "/runtime/webhooks/durabletask";

/// Which version of the Durable Functions extension to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// The 2025/26 extension: start skips function/id validation, duplicate
    /// start → 409, purge of a non-terminal instance → 412, rewind →
    /// 404/412 with bare JSON string bodies, the request path is URL-decoded
    /// before routing.
    #[default]
    New,
    /// The 2024-10 extension: unknown orchestrator → 400, duplicate start →
    /// 500, purge of any status → 200, rewind → 410/500, the request path is
    /// not decoded (ids are matched as sent, escapes and all).
    Old,
}

impl Profile {
    /// The profile's name as used on the command line (`new` / `old`).
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::New => "new",
            Profile::Old => "old",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.eq_ignore_ascii_case("new") {
            Ok(Profile::New)
        } else if value.eq_ignore_ascii_case("old") {
            Ok(Profile::Old)
        } else {
            Err(format!(
                "unknown profile `{value}` (expected `new` or `old`)"
            ))
        }
    }
}

/// How long the built-in orchestrators take. Keep the defaults (everything
/// immediate) unless a test needs to observe an intermediate status.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// How long every new (or restarted) instance stays `Pending`.
    pub pending: Duration,
    /// How long `Echo` and `Fail` (and a rewound instance) stay `Running`.
    pub run: Duration,
    /// Multiplier for every duration given in seconds in an input (`Sleep`
    /// `seconds`, `ContinueAsNew` `seconds`, `WaitForEvent`
    /// `timeoutSeconds`); e.g. `0.01` makes a 100 s sleep last one second.
    pub time_scale: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            pending: Duration::ZERO,
            run: Duration::ZERO,
            time_scale: 1.0,
        }
    }
}

/// Configuration of a fake server.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Address to bind; port 0 picks a free port. Default `127.0.0.1:0`.
    pub addr: SocketAddr,
    /// When set, every API request must carry this key as the `code` query
    /// parameter or the `x-functions-key` header, else 401 with an empty
    /// body. Generated URLs then carry `&code=<key>`.
    pub key: Option<String>,
    /// Which extension version to imitate.
    pub profile: Profile,
    /// The default task hub name (`taskHub` in generated URLs). A request's
    /// non-blank `taskHub` query parameter selects another hub; each hub has
    /// its own instances and entities. Default `TestHubName`.
    pub task_hub: String,
    /// The default connection name (`connection` in generated URLs).
    /// Default `Storage`.
    pub connection: String,
    /// Durations of the built-in orchestrators.
    pub timing: Timing,
    /// Build generated URLs from `X-Forwarded-Proto` + `X-Forwarded-Host`
    /// when both are present (the extension's
    /// `httpSettings.useForwardedHost`). Default `false`.
    pub use_forwarded_host: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            key: None,
            profile: Profile::New,
            task_hub: "TestHubName".to_string(),
            connection: "Storage".to_string(),
            timing: Timing::default(),
            use_forwarded_host: false,
        }
    }
}

/// Shared server state.
pub(crate) struct Shared {
    pub(crate) config: FakeConfig,
    store: Mutex<Store>,
}

/// All task hubs plus the sequence counter that orders listings.
#[derive(Default)]
pub(crate) struct Store {
    hubs: HashMap<String, model::Hub>,
    next_seq: u64,
}

impl Store {
    /// The hub with this name (case-insensitive), created on first use.
    pub(crate) fn hub(&mut self, name: &str) -> &mut model::Hub {
        self.hubs.entry(name.to_lowercase()).or_default()
    }

    /// A fresh, increasing sequence number.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Builds the axum application serving the fake API (for embedding it in
/// your own server; [`spawn`] is the simpler way).
pub fn router(config: FakeConfig) -> axum::Router {
    let shared = Arc::new(Shared {
        config,
        store: Mutex::new(Store::default()),
    });
    axum::Router::new()
        .fallback(http::handle)
        .with_state(shared)
}

/// A fake server running on a background task. Dropping it stops the
/// server (without waiting); [`RunningFake::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct RunningFake {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningFake {
    /// The bound address (with the real port when port 0 was requested).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://ADDR:PORT/runtime/webhooks/durabletask`.
    pub fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_PATH}", self.base_url())
    }

    /// Stops accepting connections, lets in-flight requests finish, and
    /// returns the server's result.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningFake {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `config.addr` and serves the fake API on a background tokio task.
/// Must be called within a tokio runtime.
pub async fn spawn(config: FakeConfig) -> std::io::Result<RunningFake> {
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let app = router(config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(%addr, "durable-functions-fake listening");
    Ok(RunningFake {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}
