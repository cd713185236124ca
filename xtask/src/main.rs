//! Project automation, run as `cargo xtask <command>`.
//!
//! - `codegen [--check]`: regenerate `generated/` from `specs/`, or fail when it is stale.
//! - `sandbox`: run the Durable Functions test double with both generated servers against it.
//! - `bench proxy`: throughput and latency through a generated server vs direct.
//! - `bench mcp`: MCP `tools/call` throughput and latency, generated server vs FastMCP.
//! - `bench generate`: capgen's generation time and memory per document, next to its peers.

mod bench;
mod bench_generate;
mod bench_instructions;
mod bench_mcp;
mod bench_nginx;
mod codegen;
mod corpus;
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
    /// Run capgen on the real-world corpus (`../shared/corpus` and the project's own
    /// `tests/corpus`) and lint every output with `cargo clippy -D warnings`.
    Corpus {
        /// Only a representative subset (what CI runs).
        #[arg(long)]
        quick: bool,
        /// Only the cases of one kind: `openapi` (clients), `pairs` (OpenAPI + capabilities),
        /// `naftiko` (capabilities alone) or `real` (the documents of `tests/corpus/real`).
        #[arg(long, value_name = "KIND")]
        only: Option<String>,
        /// The corpus directory (default: `../shared/corpus` beside the repository).
        #[arg(long, value_name = "DIR")]
        corpus: Option<std::path::PathBuf>,
    },
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
        /// Only the instruction counts (callgrind): repeatable on a busy machine.
        #[arg(long)]
        instructions_only: bool,
        /// Interleaved rounds (direct, capgen, nginx, then again); the median is reported.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// Connections, one measured row per value (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
        connections: Vec<u32>,
    },
    /// MCP `tools/call` throughput and latency: the generated server vs FastMCP's OpenAPI
    /// provider, same upstream, same load driver.
    Mcp {
        /// Seconds per measured run (each server, each session count).
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// Concurrent MCP sessions, one measured run per value (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
        sessions: Vec<u32>,
    },
    /// Wall time and peak RSS of `capgen generate` per document (seed and corpus), with
    /// cargo-progenitor and openapi-generator on the same documents where installed.
    Generate {
        /// Runs per generator and document (the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: u32,
        /// Measure capgen only.
        #[arg(long)]
        no_peers: bool,
        /// The corpus directory (default: `../shared/corpus` beside the repository).
        #[arg(long, value_name = "DIR")]
        corpus: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Codegen { check } => run_codegen(check),
        Command::Sandbox => sandbox::run(&codegen::repo_root()),
        Command::Corpus {
            quick,
            only,
            corpus,
        } => {
            let root = codegen::repo_root();
            let corpus = corpus.unwrap_or_else(|| root.join("..").join("shared").join("corpus"));
            corpus::run(&root, &corpus, quick, only.as_deref())
        }
        Command::Bench {
            what:
                Bench::Proxy {
                    seconds,
                    instructions_only,
                    rounds,
                    connections,
                },
        } => bench::proxy(
            &codegen::repo_root(),
            &bench::ProxyRun {
                seconds,
                rounds: rounds.max(1),
                connections,
            },
            instructions_only,
        ),
        Command::Bench {
            what: Bench::Mcp { seconds, sessions },
        } => bench_mcp::run(&codegen::repo_root(), seconds, &sessions),
        Command::Bench {
            what:
                Bench::Generate {
                    runs,
                    no_peers,
                    corpus,
                },
        } => {
            let root = codegen::repo_root();
            let corpus = corpus.unwrap_or_else(|| root.join("..").join("shared").join("corpus"));
            bench_generate::run(&root, &corpus, runs, !no_peers)
        }
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
