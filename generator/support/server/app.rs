//! Start-up and serving: logging, graceful shutdown, and the REST and MCP listeners.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::support::auth::InboundAuth;
use crate::support::logs::Logs;
use crate::support::mcp::McpServer;
use crate::support::problem::Problem;

/// Logs to stderr (stdout is the MCP channel with `--stdio`); `RUST_LOG` filters. Lines are
/// batched and written by a background thread (see [`Logs`]). Keep the returned value until
/// exit: dropping it writes what is left.
pub fn init_tracing() -> Logs {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = Logs::start();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(crate::support::log_format::LineFormat)
        .with_writer(logs.make_writer())
        .init();
    logs
}

/// Cancels `token` on SIGINT or SIGTERM.
pub async fn shutdown_on_signal(token: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
    token.cancel();
}

/// Whether an address only accepts connections from this machine.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// How long a client may take to send a request head, and how large a head may be.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time allowed for a request's head (request line and headers); slower clients are cut off.
    pub header_timeout: std::time::Duration,
}

/// The longest request target (path and query) answered, in bytes; longer ones get 414.
pub const MAX_URI: usize = 8 * 1024;
/// The largest header section answered, in bytes; larger ones get 431.
pub const MAX_HEADERS: usize = 32 * 1024;
/// hyper's own limit on a request head (above [`MAX_URI`] and [`MAX_HEADERS`], so that the
/// problem+json answers come first; beyond it hyper answers 431 without a body).
const MAX_HEAD: usize = 64 * 1024;

/// The problem for an oversized request target (414) or header section (431), if any.
pub fn head_problem(uri: &axum::http::Uri, headers: &axum::http::HeaderMap) -> Option<Problem> {
    let target = uri.path_and_query().map_or(0, |it| it.as_str().len());
    if target > MAX_URI {
        return Some(Problem::new(
            axum::http::StatusCode::URI_TOO_LONG,
            "URI Too Long",
            format!("the request target exceeds {MAX_URI} bytes"),
        ));
    }
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (size > MAX_HEADERS).then(|| {
        Problem::new(
            axum::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request Header Fields Too Large",
            format!("the request headers exceed {MAX_HEADERS} bytes"),
        )
    })
}

/// [`head_problem`] as a middleware (the MCP adapter; the REST routes check in their handler,
/// which costs a proxied request less).
pub async fn head_limits(request: Request, next: Next) -> Response {
    match head_problem(request.uri(), request.headers()) {
        Some(problem) => problem.into_response(),
        None => next.run(request).await,
    }
}

/// Serves `router` on `addr` until `token` is cancelled, then lets in-flight requests finish.
pub async fn serve(
    name: &str,
    addr: SocketAddr,
    router: Router,
    token: CancellationToken,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(adapter = name, address = %listener.local_addr()?, "listening");
    serve_listener(name, listener, router, token, limits).await
}

/// Serves `router` on `listener` until `token` is cancelled, then drains (see [`serve`]).
async fn serve_listener(
    name: &str,
    listener: tokio::net::TcpListener,
    router: Router,
    token: CancellationToken,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = token.cancelled() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(adapter = name, "accept failed: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        // Responses (MCP's server-sent events especially) go out in several small writes; with
        // Nagle's algorithm on, a kept-alive client waits for a delayed ACK (~40 ms) each time.
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!("connection ended: {err}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(std::time::Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            adapter = name,
            "requests still running after 30 s; stopping anyway"
        );
    }
    Ok(())
}

/// The REST adapter as nginx runs a proxy: one thread per core, each with a single-threaded
/// runtime, its own listener on the same address (`SO_REUSEPORT`: the kernel spreads
/// connections over them) and its own upstream connection pool. A request is read, sent
/// upstream and answered on one thread, with no wake-up across threads; against one
/// work-stealing runtime this cut the CPU time per proxied request by a third on two cores
/// (README, `cargo xtask bench proxy`).
struct RestThreads<S: 'static> {
    spec: &'static ServerSpec<S>,
    make_upstream: MakeUpstream<S>,
    rewriter: crate::support::rewrite::Rewriter,
    variables: std::sync::Arc<std::collections::BTreeMap<String, String>>,
    auth: Option<InboundAuth>,
    body_limit: usize,
    limits: ConnectionLimits,
}

impl<S: Clone + Send + Sync + 'static> RestThreads<S> {
    /// Starts `count` threads (one where `SO_REUSEPORT` does not spread connections) and
    /// returns once each listens, or with the first error.
    async fn start(
        &self,
        addr: SocketAddr,
        count: usize,
        token: &CancellationToken,
    ) -> std::io::Result<Vec<std::thread::JoinHandle<std::io::Result<()>>>> {
        let count = if cfg!(target_os = "linux") {
            count.max(1)
        } else {
            1
        };
        let mut handles = Vec::with_capacity(count);
        // The first listener decides the port (port 0: any free one); the others share it.
        let mut addr = addr;
        for index in 0..count {
            let (ready, listening) = tokio::sync::oneshot::channel();
            let thread = self.thread(addr, count > 1, token.clone(), ready);
            let handle = std::thread::Builder::new()
                .name(format!("rest-{index}"))
                .spawn(thread)?;
            match listening.await {
                Ok(Ok(bound)) => {
                    addr = bound;
                    handles.push(handle);
                }
                Ok(Err(err)) => return Err(err),
                Err(_) => return Err(std::io::Error::other("a REST thread stopped at start")),
            }
        }
        tracing::info!(adapter = "rest", address = %addr, threads = count, "listening");
        Ok(handles)
    }

    /// One REST thread: its runtime, upstream clients, router and listener.
    fn thread(
        &self,
        addr: SocketAddr,
        shared_port: bool,
        token: CancellationToken,
        ready: tokio::sync::oneshot::Sender<std::io::Result<SocketAddr>>,
    ) -> impl FnOnce() -> std::io::Result<()> + Send + 'static {
        let spec = self.spec;
        let make_upstream = self.make_upstream.clone();
        let (rewriter, variables, auth) = (
            self.rewriter.clone(),
            self.variables.clone(),
            self.auth.clone(),
        );
        let (body_limit, limits) = (self.body_limit, self.limits);
        move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(err) => {
                    let _ = ready.send(Err(std::io::Error::other(err.to_string())));
                    return Ok(());
                }
            };
            runtime.block_on(async move {
                let prepared =
                    make_upstream()
                        .map_err(std::io::Error::other)
                        .and_then(|upstream| {
                            let listener = listen(addr, shared_port)?;
                            let bound = listener.local_addr()?;
                            Ok((upstream, listener, bound))
                        });
                let (upstream, listener) = match prepared {
                    Ok((upstream, listener, bound)) => {
                        let _ = ready.send(Ok(bound));
                        (upstream, listener)
                    }
                    Err(err) => {
                        let _ = ready.send(Err(err));
                        return Ok(());
                    }
                };
                let context = crate::support::rest::RestContext {
                    upstream,
                    rewriter,
                    variables,
                    auth,
                    body_limit,
                    case_insensitive_paths: spec.case_insensitive_paths,
                };
                let router =
                    crate::support::rest::router(context, spec.routes, spec.forwards, spec.openapi)
                        .layer(axum::extract::DefaultBodyLimit::max(body_limit));
                serve_listener("rest", listener, router, token, limits).await
            })
        }
    }
}

/// A listener on `addr`; with `shared_port`, one of several on the same address.
fn listen(addr: SocketAddr, shared_port: bool) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    #[cfg(target_os = "linux")]
    if shared_port {
        socket.set_reuseport(true)?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = shared_port;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Where MCP requests may come from.
pub struct McpHttpSettings {
    /// Allowed `Origin` values (with scheme; `:*` matches any port).
    pub allowed_origins: Vec<String>,
    /// Allowed `Host` values.
    pub allowed_hosts: Vec<String>,
    /// Inbound authentication, when the adapter declares it.
    pub auth: Option<InboundAuth>,
}

/// The streamable-HTTP MCP endpoint at `/mcp`.
pub fn mcp_router<S: Clone + Send + Sync + 'static>(
    server: McpServer<S>,
    settings: McpHttpSettings,
    token: &CancellationToken,
) -> Router {
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(settings.allowed_hosts)
        .with_allowed_origins(settings.allowed_origins)
        .with_cancellation_token(token.child_token());
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        LocalSessionManager::default().into(),
        config,
    );
    let router = Router::new().nest_service("/mcp", service);
    crate::support::auth::guarded(router, settings.auth).fallback(|request: Request| async move {
        Response::from(Problem::not_found(request.uri().path()).into_response())
    })
}

/// Serves the MCP adapter over stdin/stdout until the client disconnects.
pub async fn serve_stdio<S: Clone + Send + Sync + 'static>(
    server: McpServer<S>,
) -> std::io::Result<()> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(std::io::Error::other)?;
    running.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}

/// The constant description of a generated server.
pub struct ServerSpec<S: 'static> {
    /// The server's crate and binary name.
    pub server: &'static str,
    /// `serverInfo.name` of the MCP adapter (the adapter's namespace).
    pub mcp_name: &'static str,
    /// The server's version.
    pub version: &'static str,
    /// `instructions` of the MCP adapter.
    pub instructions: Option<&'static str>,
    /// The REST routes.
    pub routes: &'static [crate::support::rest::RouteSpec<S>],
    /// The REST `forward` resources.
    pub forwards: &'static [crate::support::rest::ForwardSpec<S>],
    /// How upstream URLs map onto the REST routes.
    pub links: &'static [crate::support::rewrite::RouteLink],
    /// The MCP tool bindings.
    pub tools: &'static [crate::support::mcp::ToolSpec<S>],
    /// The MCP resources.
    pub resources: &'static [crate::support::resources::ResourceSpec<S>],
    /// The MCP prompts.
    pub prompts: &'static [crate::support::prompts::PromptSpec],
    /// The skill catalog.
    pub skills: &'static [crate::support::skills::SkillSpec],
    /// The control adapter, when the capability declares one.
    pub control: Option<&'static crate::support::control::ControlSpec>,
    /// `mcp-tools.json`.
    pub tools_json: &'static str,
    /// `openapi.json`.
    pub openapi: &'static str,
    /// Query parameters that carry upstream credentials.
    pub secret_params: &'static [&'static str],
    /// Whether REST path literals match case-insensitively.
    pub case_insensitive_paths: bool,
}

/// Builds the upstream clients of one REST thread (each keeps its own connection pool).
pub type MakeUpstream<S> = std::sync::Arc<dyn Fn() -> Result<S, String> + Send + Sync>;

/// What the command line decided.
pub struct RunOptions {
    /// Threads serving the REST adapter, each with its own single-threaded runtime, listener
    /// (`SO_REUSEPORT`) and upstream connections (0: one per available core).
    pub rest_threads: usize,
    /// Where the REST adapter listens (`None`: not served).
    pub rest_addr: Option<SocketAddr>,
    /// Where the MCP adapter listens (`None`: not served over HTTP).
    pub mcp_addr: Option<SocketAddr>,
    /// Where the skill catalog listens (`None`: not served).
    pub skill_addr: Option<SocketAddr>,
    /// Where the control adapter listens (`None`: not served).
    pub control_addr: Option<SocketAddr>,
    /// Serve the MCP adapter over stdin/stdout instead of anything else.
    pub stdio: bool,
    /// The largest accepted REST request body.
    pub body_limit: usize,
    /// Time and size limits of request heads.
    pub limits: ConnectionLimits,
    /// Allowed `Origin`s for MCP (empty: loopback origins).
    pub allowed_origins: Vec<String>,
    /// Allowed `Host`s for MCP (empty: loopback hosts and the bind address).
    pub allowed_hosts: Vec<String>,
    /// The REST adapter's public URL, for management URLs in MCP results.
    pub public_url: Option<String>,
    /// Whether metrics are recorded and served at `/metrics` on the REST port.
    pub metrics: bool,
    /// Inbound authentication of the REST adapter.
    pub rest_auth: Option<InboundAuth>,
    /// Inbound authentication of the MCP adapter.
    pub mcp_auth: Option<InboundAuth>,
    /// Inbound authentication of the skill catalog.
    pub skill_auth: Option<InboundAuth>,
    /// Inbound authentication of the control adapter.
    pub control_auth: Option<InboundAuth>,
}

/// Runs the adapters until SIGINT/SIGTERM (or, with `--stdio`, until stdin closes).
pub async fn run<S: Clone + Send + Sync + 'static>(
    spec: &'static ServerSpec<S>,
    upstream: S,
    make_upstream: MakeUpstream<S>,
    upstream_urls: &[String],
    variables: crate::support::binds::Variables,
    options: RunOptions,
) -> std::process::ExitCode {
    use std::process::ExitCode;

    if options.metrics {
        crate::support::metrics::enable(spec.server, spec.version);
    }
    let secret_params = spec
        .secret_params
        .iter()
        .map(|it| (*it).to_owned())
        .collect();
    let rewriter = crate::support::rewrite::Rewriter::new(
        upstream_urls,
        spec.links,
        secret_params,
        variables.secrets.clone(),
    );
    let variables = variables.values;
    let public_base = options
        .public_url
        .clone()
        .or_else(|| options.rest_addr.map(|it| format!("http://{it}")))
        .unwrap_or_default();
    let settings = crate::support::mcp::McpSettings {
        name: spec.mcp_name.to_owned(),
        version: spec.version.to_owned(),
        instructions: spec.instructions.map(str::to_owned),
        public_base,
    };
    let mcp = match McpServer::new(
        spec.tools_json,
        spec.tools,
        crate::support::mcp::Extras {
            resources: spec.resources,
            prompts: spec.prompts,
        },
        upstream.clone(),
        rewriter.clone(),
        variables.clone(),
        settings,
    ) {
        Ok(it) => it,
        Err(err) => {
            tracing::error!("invalid tool table: {err}");
            return ExitCode::from(1);
        }
    };
    if options.stdio {
        return match serve_stdio(mcp).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                tracing::error!("MCP over stdio failed: {err}");
                ExitCode::from(1)
            }
        };
    }
    let token = CancellationToken::new();
    tokio::spawn(shutdown_on_signal(token.clone()));
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(addr) = options.rest_addr {
        if options.rest_auth.is_none() && !is_loopback(&addr) {
            tracing::warn!(address = %addr, "the REST adapter declares no authentication and listens beyond this machine");
        }
        let rest = RestThreads {
            spec,
            make_upstream,
            rewriter: rewriter.clone(),
            variables: variables.clone(),
            auth: options.rest_auth.clone(),
            body_limit: options.body_limit,
            limits: options.limits,
        };
        let threads = match options.rest_threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            count => count,
        };
        match rest.start(addr, threads, &token).await {
            Ok(handles) => {
                for handle in handles {
                    tasks.spawn_blocking(move || {
                        handle.join().unwrap_or_else(|_| {
                            Err(std::io::Error::other("a REST thread panicked"))
                        })
                    });
                }
            }
            Err(err) => {
                tracing::error!(adapter = "rest", address = %addr, "cannot serve: {err}");
                token.cancel();
                return ExitCode::from(1);
            }
        }
    }
    if let Some(addr) = options.mcp_addr {
        if options.mcp_auth.is_none() && !is_loopback(&addr) {
            tracing::warn!(address = %addr, "the MCP adapter declares no authentication and listens beyond this machine");
        }
        let allowed_origins = if options.allowed_origins.is_empty() {
            vec![
                "http://localhost:*".to_owned(),
                "http://127.0.0.1:*".to_owned(),
                "http://[::1]:*".to_owned(),
            ]
        } else {
            options.allowed_origins.clone()
        };
        let mut allowed_hosts = if options.allowed_hosts.is_empty() {
            vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
                "::1".to_owned(),
            ]
        } else {
            options.allowed_hosts.clone()
        };
        if options.allowed_hosts.is_empty() && !addr.ip().is_unspecified() {
            allowed_hosts.push(addr.ip().to_string());
        }
        let settings = McpHttpSettings {
            allowed_origins,
            allowed_hosts,
            auth: options.mcp_auth.clone(),
        };
        let router = mcp_router(mcp, settings, &token);
        let router = router.layer(axum::middleware::from_fn(head_limits));
        tasks.spawn(serve("mcp", addr, router, token.clone(), options.limits));
    }
    if let Some(addr) = options.skill_addr {
        let router = crate::support::skills::router(spec.skills, options.skill_auth.clone())
            .layer(axum::middleware::from_fn(head_limits));
        tasks.spawn(serve("skill", addr, router, token.clone(), options.limits));
    }
    if let (Some(addr), Some(control)) = (options.control_addr, spec.control) {
        let router = crate::support::control::router(
            control,
            spec.server,
            spec.version,
            options.control_auth.clone(),
        )
        .layer(axum::middleware::from_fn(head_limits));
        tasks.spawn(serve(
            "control",
            addr,
            router,
            token.clone(),
            options.limits,
        ));
    }
    let mut code = ExitCode::SUCCESS;
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::error!("server failed: {err}");
                token.cancel();
                code = ExitCode::from(1);
            }
            Err(err) => {
                tracing::error!("server task failed: {err}");
                token.cancel();
                code = ExitCode::from(1);
            }
        }
    }
    code
}
