//! The `capgen` command line: `generate`, `check` and `ir`.
//!
//! Exit codes: 0 success, 1 the inputs have errors, 2 usage errors (bad flags, missing files
//! named on the command line are input errors, not usage errors).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use capgen::load::diagnostics::{Diagnostic, Diagnostics};
use capgen::plan::{self, Plan, ServerPlan};
use capgen::{pipeline, write};

/// Generation allocates and frees millions of small token and syntax-tree nodes; mimalloc does
/// that in far fewer instructions than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "capgen",
    version,
    about = "Generate typed Rust clients, axum proxies and MCP servers from OpenAPI documents and Naftiko capabilities",
    long_about = None,
    after_help = "Examples:
  capgen generate --capability orders.naftiko.yaml --out generated
  capgen generate --openapi api.yaml --out generated
  capgen generate --openapi api.yaml --overlay fixes.yaml --capability orders.naftiko.yaml --out generated
  capgen generate --manifest specs/durable-functions/capgen.toml --out generated
  capgen check orders.naftiko.yaml --openapi api.yaml --strict
  capgen ir --openapi api.yaml --capability orders.naftiko.yaml > model.json"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the client crate and one server crate per capability into a directory.
    #[command(
        after_help = "Each crate is written to <OUT>/<crate-name>/ and replaces what was there.
Nothing is written when any input has an error."
    )]
    Generate(GenerateArgs),
    /// Validate and lint the inputs without generating anything.
    #[command(after_help = "Examples:
  capgen check orders.naftiko.yaml --openapi api.yaml
  capgen check --openapi api.yaml --format json")]
    Check(CheckArgs),
    /// Print the joined intermediate model as stable, sorted JSON.
    Ir(InputArgs),
    /// Print the OpenAPI document with its overlays applied, as JSON (the effective contract).
    #[command(after_help = "Example:
  capgen bundle --openapi api.yaml --overlay fixes.yaml > effective.json")]
    Bundle(InputArgs),
}

#[derive(Args)]
struct InputArgs {
    /// The OpenAPI document (3.0 or 3.1, YAML or JSON) of the consumed API.
    #[arg(long, value_name = "FILE")]
    openapi: Option<PathBuf>,
    /// An OpenAPI Overlay 1.0 document applied to the OpenAPI document (repeatable, in order).
    #[arg(long = "overlay", value_name = "FILE", requires = "openapi")]
    overlays: Vec<PathBuf>,
    /// A Naftiko capability (repeatable).
    #[arg(long = "capability", value_name = "FILE")]
    capabilities: Vec<PathBuf>,
    /// A capgen.toml manifest naming the documents and crate names (instead of the flags above).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["openapi", "capabilities"])]
    manifest: Option<PathBuf>,
    /// Validate capabilities against the official Naftiko JSON Schema; seed-dialect deviations
    /// become errors.
    #[arg(long)]
    strict: bool,
    /// How diagnostics are printed on stderr.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Args)]
struct GenerateArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Output directory; each crate goes to a directory of its own inside it.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Name of the client crate (default: from the OpenAPI title).
    #[arg(long, value_name = "NAME")]
    client_crate: Option<String>,
    /// Name of the server crate, when one capability is given (default: from its file name).
    #[arg(long, value_name = "NAME", conflicts_with = "manifest")]
    server_crate: Option<String>,
    /// Print how long each phase took (load, lower, emit, write) on stderr.
    #[arg(long)]
    timings: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Capabilities to check (same as --capability).
    #[arg(value_name = "CAPABILITY")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    inputs: InputArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Generate(args) => run_generate(args),
        Command::Check(mut args) => {
            args.inputs.capabilities.extend(args.files);
            run_check(args.inputs)
        }
        Command::Ir(args) => run_ir(args),
        Command::Bundle(args) => run_bundle(args),
    }
}

fn plan_from(inputs: &InputArgs) -> Result<Plan, Diagnostic> {
    let mut plan = match &inputs.manifest {
        Some(path) => plan::read_manifest(path)?,
        None => Plan {
            openapi: inputs.openapi.clone(),
            overlays: inputs.overlays.clone(),
            client_crate: None,
            servers: inputs
                .capabilities
                .iter()
                .map(|it| ServerPlan {
                    capability: it.clone(),
                    crate_name: None,
                    overlays: Vec::new(),
                    case_insensitive_paths: false,
                })
                .collect(),
            strict: false,
        },
    };
    plan.strict = inputs.strict;
    Ok(plan)
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\nFor more information, try '--help'.");
    ExitCode::from(2)
}

fn run_generate(args: GenerateArgs) -> ExitCode {
    if args.inputs.manifest.is_none()
        && args.inputs.openapi.is_none()
        && args.inputs.capabilities.is_empty()
    {
        return usage("nothing to generate: give --openapi, --capability or --manifest");
    }
    let mut diags = Diagnostics::new();
    let mut plan = match plan_from(&args.inputs) {
        Ok(plan) => plan,
        Err(diagnostic) => return finish(&single(diagnostic), args.inputs.format),
    };
    if args.client_crate.is_some() {
        plan.client_crate = args.client_crate.clone();
    }
    if let Some(name) = &args.server_crate {
        let [server] = plan.servers.as_mut_slice() else {
            return usage("--server-crate names the crate of one capability: give exactly one");
        };
        server.crate_name = Some(name.clone());
    }
    let mut timings = pipeline::Timings::default();
    let Some(output) = pipeline::generate_timed(&plan, &mut diags, &mut timings) else {
        return finish(&diags, args.inputs.format);
    };
    timings.phase("write");
    if let Err(err) = write::write_output(&args.out, &output) {
        eprintln!("error: cannot write to `{}`: {err}", args.out.display());
        return ExitCode::from(1);
    }
    timings.end();
    if args.timings {
        eprint!("{}", timings.report());
    }
    let code = finish(&diags, args.inputs.format);
    eprintln!(
        "capgen: wrote {} files to {}",
        output.len(),
        args.out.display()
    );
    code
}

fn run_check(inputs: InputArgs) -> ExitCode {
    if inputs.manifest.is_none() && inputs.openapi.is_none() && inputs.capabilities.is_empty() {
        return usage("nothing to check: give a capability, --openapi or --manifest");
    }
    let plan = match plan_from(&inputs) {
        Ok(plan) => plan,
        Err(diagnostic) => return finish(&single(diagnostic), inputs.format),
    };
    let mut diags = Diagnostics::new();
    pipeline::check(&plan, &mut diags);
    finish(&diags, inputs.format)
}

fn run_ir(inputs: InputArgs) -> ExitCode {
    let plan = match plan_from(&inputs) {
        Ok(plan) => plan,
        Err(diagnostic) => return finish(&single(diagnostic), inputs.format),
    };
    let mut diags = Diagnostics::new();
    let Some(ir) = pipeline::ir(&plan, &mut diags) else {
        return finish(&diags, inputs.format);
    };
    let text = serde_json::to_string_pretty(&ir).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    finish(&diags, inputs.format)
}

fn run_bundle(inputs: InputArgs) -> ExitCode {
    let plan = match plan_from(&inputs) {
        Ok(plan) => plan,
        Err(diagnostic) => return finish(&single(diagnostic), inputs.format),
    };
    let Some(openapi) = &plan.openapi else {
        return usage(
            "nothing to bundle: give --openapi or a --manifest with an [openapi] section",
        );
    };
    let mut diags = Diagnostics::new();
    let overlays: Vec<&std::path::Path> = plan.overlays.iter().map(|it| it.as_path()).collect();
    let Some(doc) = capgen::load::openapi::with_overlays(openapi, &overlays, &mut diags) else {
        return finish(&diags, inputs.format);
    };
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
    finish(&diags, inputs.format)
}

fn single(diagnostic: Diagnostic) -> Diagnostics {
    let mut diags = Diagnostics::new();
    diags.push(diagnostic);
    diags
}

/// Prints the diagnostics and turns them into the exit code.
fn finish(diags: &Diagnostics, format: Format) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    match format {
        Format::Text => {
            for it in diags.sorted() {
                let _ = writeln!(stderr, "{}", it.render());
            }
            let (errors, warnings) = (diags.error_count(), diags.warning_count());
            if errors + warnings > 0 {
                let _ = writeln!(stderr, "capgen: {errors} error(s), {warnings} warning(s)");
            }
        }
        Format::Json => {
            let items: Vec<serde_json::Value> =
                diags.sorted().into_iter().map(|it| it.to_json()).collect();
            let _ = writeln!(stderr, "{}", serde_json::Value::Array(items));
        }
    }
    if diags.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
