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
use crate::support::mcp::McpServer;
use crate::support::problem::Problem;

/// Logs to stderr (stdout is the MCP channel with `--stdio`); `RUST_LOG` filters.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
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

/// Serves `router` on `addr` until `token` is cancelled.
pub async fn serve(name: &str, addr: SocketAddr, router: Router, token: CancellationToken) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(adapter = name, address = %listener.local_addr()?, "listening");
    axum::serve(listener, router).with_graceful_shutdown(async move { token.cancelled().await }).await
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
    let service = StreamableHttpService::new(move || Ok(server.clone()), LocalSessionManager::default().into(), config);
    let router = Router::new().nest_service("/mcp", service);
    match settings.auth {
        Some(auth) => router.layer(axum::middleware::from_fn(move |request: Request, next: Next| {
            let auth = auth.clone();
            async move {
                if auth.allows(request.headers(), request.uri().query()) {
                    next.run(request).await
                } else {
                    Problem::unauthorized().into_response()
                }
            }
        })),
        None => router,
    }
    .fallback(|request: Request| async move { Response::from(Problem::not_found(request.uri().path()).into_response()) })
}

/// Serves the MCP adapter over stdin/stdout until the client disconnects.
pub async fn serve_stdio<S: Clone + Send + Sync + 'static>(server: McpServer<S>) -> std::io::Result<()> {
    let running = server.serve(rmcp::transport::stdio()).await.map_err(std::io::Error::other)?;
    running.waiting().await.map_err(std::io::Error::other)?;
    Ok(())
}
