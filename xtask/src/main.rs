//! Project automation, run as `cargo xtask <command>`.
//!
//! - `codegen [--check]`: regenerate `generated/` from `specs/`, or fail when it is stale.
//! - `sandbox`: run the Durable Functions test double with both generated servers against it.
//! - `bench proxy`: throughput and latency through a generated server vs direct.

mod bench;
mod codegen;
mod sandbox;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate everything under `generated/` from the manifests in `specs/`.
    Codegen {
        /// Do not write; fail (exit 1) when a generated file is stale, missing or left over.
        #[arg(long)]
        check: bool,
    },
    /// Start the Durable Functions test double and both generated servers against it (local
    /// sandbox: REST on 8080/8081, MCP on 9090/9091). Ctrl-C stops everything.
    Sandbox,
    /// Benchmarks (release builds; results as Markdown on stdout).
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Throughput and latency through a generated server vs directly against the upstream (wrk).
    Proxy {
        /// Seconds per wrk run.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Codegen { check } => run_codegen(check),
        Command::Sandbox => sandbox::run(&codegen::repo_root()),
        Command::Bench {
            what: Bench::Proxy { seconds },
        } => bench::proxy(&codegen::repo_root(), seconds),
    }
}

fn run_codegen(check: bool) -> ExitCode {
    let root = codegen::repo_root();
    let expected = match codegen::expected(&root) {
        Ok(it) => it,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(1);
        }
    };
    let generated = root.join("generated");
    let drift = codegen::compare(&generated, &expected);
    if drift.is_clean() {
        eprintln!("generated/ is up to date ({} files)", expected.len());
        return ExitCode::SUCCESS;
    }
    if check {
        eprint!("{}", codegen::report(&drift));
        let n = drift.stale.len() + drift.missing.len() + drift.leftover.len();
        eprintln!(
            "error: {n} generated file(s) out of date; run `cargo xtask codegen` and commit the result"
        );
        return ExitCode::from(1);
    }
    if let Err(err) = codegen::apply(&generated, &expected, &drift) {
        eprintln!("error: cannot update generated/: {err}");
        return ExitCode::from(1);
    }
    eprintln!(
        "generated/: {} updated, {} added, {} removed",
        drift.stale.len(),
        drift.missing.len(),
        drift.leftover.len()
    );
    ExitCode::SUCCESS
}
