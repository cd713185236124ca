//! Command-line runner for the Durable Functions HTTP API test double.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use durable_functions_fake::{FakeConfig, Profile, Timing, spawn};

/// A stateful test double of the Azure Durable Functions built-in HTTP API
/// (/runtime/webhooks/durabletask). Not Azure: it runs no functions, only
/// built-in orchestrators (Echo, WaitForEvent, Fail, Sleep, ContinueAsNew)
/// and entities (counter, store).
#[derive(Debug, Parser)]
#[command(name = "durable-functions-fake", version)]
struct Args {
    /// Address to listen on (ADDR:PORT; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:7071")]
    addr: SocketAddr,
    /// Require this key as the `code` query parameter or the
    /// `x-functions-key` header (401 with an empty body otherwise).
    #[arg(long)]
    key: Option<String>,
    /// Extension version to imitate: `new` (2025/26) or `old` (2024-10).
    #[arg(long, default_value = "new")]
    profile: Profile,
    /// Default task hub name put into generated URLs.
    #[arg(long, default_value = "TestHubName")]
    task_hub: String,
    /// Default connection name put into generated URLs.
    #[arg(long, default_value = "Storage")]
    connection: String,
    /// How long new instances stay Pending, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pending_ms: u64,
    /// How long Echo and Fail (and rewound instances) run, in milliseconds.
    #[arg(long, default_value_t = 0)]
    run_ms: u64,
    /// Multiplier for durations given in seconds in orchestrator inputs.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Build generated URLs from X-Forwarded-Proto/X-Forwarded-Host.
    #[arg(long)]
    use_forwarded_host: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = FakeConfig {
        addr: args.addr,
        key: args.key,
        profile: args.profile,
        task_hub: args.task_hub,
        connection: args.connection,
        timing: Timing {
            pending: Duration::from_millis(args.pending_ms),
            run: Duration::from_millis(args.run_ms),
            time_scale: if args.time_scale.is_finite() && args.time_scale >= 0.0 {
                args.time_scale
            } else {
                1.0
            },
        },
        use_forwarded_host: args.use_forwarded_host,
    };
    let profile = config.profile;
    let fake = match spawn(config).await {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!(
                "durable-functions-fake: cannot listen on {}: {error}",
                args.addr
            );
            return ExitCode::FAILURE;
        }
    };
    println!(
        "durable-functions-fake ({profile} profile) listening on {}",
        fake.webhook_url()
    );
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("durable-functions-fake: cannot wait for Ctrl-C: {error}");
    }
    match fake.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("durable-functions-fake: {error}");
            ExitCode::FAILURE
        }
    }
}
