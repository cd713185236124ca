//! `cargo xtask corpus [--quick]`: capgen against real-world documents.
//!
//! Generates a client for every OpenAPI document of the corpus (`../shared/corpus/openapi`),
//! client + servers + tools for every (OpenAPI, capability) pair (`../shared/corpus/pairs`),
//! and a server from every Naftiko capability alone, with no OpenAPI document
//! (`../shared/corpus/naftiko`, tutorials included, shared consumer files only as imports),
//! each with the `capgen` binary as its own process (wall time and peak memory from GNU
//! `time`), then runs `cargo clippy -D warnings` over every generated crate in one temporary
//! workspace with a shared target directory. Prints one Markdown row per document: version,
//! operations, types, generation time, peak memory, result (compiles / rejected with a code /
//! compile error / panic). Exits 1 on a panic or a compile error.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use capgen::load::diagnostics::Diagnostics;

/// Documents CI runs with `--quick`: small and large, 3.0 and 3.1, a pair with capabilities.
const QUICK: &[&str] = &[
    "openapi/naftiko-fw-petstore-3.1.yaml",
    "openapi/oai-v31-tictactoe.yaml",
    "openapi/progenitor-keeper.json",
    "openapi/openapiv3-petstore-discriminated.yaml",
    "openapi/openapiv3-petstore.yaml",
    "openapi/oas3rs-issue-318.yaml",
    "pairs/openuv",
    "naftiko/fw-a2-test-formats-xml.yml",
    "naftiko/ae-weatherapi-alerts.yml",
    "naftiko/tutorial-alpha2/step-5-shipyard-multi-source.yml",
];

struct Case {
    name: String,
    /// `None`: a capability generated on its own.
    openapi: Option<PathBuf>,
    capabilities: Vec<PathBuf>,
}

struct Row {
    name: String,
    version: String,
    operations: usize,
    types: usize,
    seconds: f64,
    peak_mb: f64,
    outcome: Outcome,
}

enum Outcome {
    Generated(Vec<String>),
    Rejected(String),
    Panic(String),
}

fn cases(corpus: &Path, quick: bool) -> Vec<Case> {
    let mut res = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("openapi"))
        .map(|it| it.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for path in files {
        let relative = format!(
            "openapi/{}",
            path.file_name().and_then(|it| it.to_str()).unwrap_or("")
        );
        if quick && !QUICK.contains(&relative.as_str()) {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|it| it.to_str())
            .unwrap_or("doc")
            .to_owned();
        res.push(Case {
            name,
            openapi: Some(path),
            capabilities: Vec::new(),
        });
    }
    let mut pairs: Vec<PathBuf> = std::fs::read_dir(corpus.join("pairs"))
        .map(|it| it.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    pairs.sort();
    for dir in pairs {
        let provider = dir
            .file_name()
            .and_then(|it| it.to_str())
            .unwrap_or("pair")
            .to_owned();
        if quick && !QUICK.contains(&format!("pairs/{provider}").as_str()) {
            continue;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|it| it.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        let openapi = entries.iter().find(|it| {
            it.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("openapi"))
        });
        let Some(openapi) = openapi else { continue };
        let capabilities = entries
            .iter()
            .filter(|it| {
                it.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("capability"))
            })
            .cloned()
            .collect();
        res.push(Case {
            name: format!("pair-{provider}"),
            openapi: Some(openapi.clone()),
            capabilities,
        });
    }
    res.extend(capability_cases(corpus, quick));
    res.extend(own_cases(quick));
    res
}

/// capgen's own corpus: small regression documents (`tests/corpus/openapi`, always run) and
/// real public documents gathered for it (`tests/corpus/real`, see its SOURCES.md; a directory
/// is a multi-file document whose `ROOT` file names the root document).
fn own_cases(quick: bool) -> Vec<Case> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("corpus");
    let mut res = documents(&corpus.join("openapi"), "own");
    res.extend(
        documents(&corpus.join("real"), "real")
            .into_iter()
            .filter(|case| !quick || QUICK_REAL.contains(&case.name.as_str())),
    );
    res
}

/// Real documents CI runs with `--quick`: a Dropshot service and a multi-file document.
const QUICK_REAL: &[&str] = &["real-crucible-pantry-2.0.0", "real-blockfrost"];

/// The OpenAPI documents of `dir`, one case each, named `{prefix}-{stem}`.
fn documents(dir: &Path, prefix: &str) -> Vec<Case> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|it| it.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
        .into_iter()
        .filter_map(|path| {
            let stem = path.file_stem()?.to_str()?.to_owned();
            let document = if path.is_dir() {
                let root = std::fs::read_to_string(path.join("ROOT")).ok()?;
                path.join(root.trim())
            } else {
                let ext = path.extension()?.to_str()?;
                if !matches!(ext, "json" | "yaml" | "yml") {
                    return None;
                }
                path
            };
            Some(Case {
                name: format!("{prefix}-{stem}"),
                openapi: Some(document),
                capabilities: Vec::new(),
            })
        })
        .collect()
}

/// Every capability file under `naftiko/` (and its tutorial folders), without the shared
/// consumer files and the secrets they import.
fn capability_cases(corpus: &Path, quick: bool) -> Vec<Case> {
    let root = corpus.join("naftiko");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "shared" {
                    dirs.push(path);
                }
            } else if name.ends_with(".yml") || name.ends_with(".yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path
                .strip_prefix(corpus)
                .ok()?
                .to_string_lossy()
                .into_owned();
            if quick && !QUICK.contains(&relative.as_str()) {
                return None;
            }
            let stem = path
                .strip_prefix(&root)
                .ok()?
                .to_string_lossy()
                .into_owned();
            let stem = stem
                .trim_end_matches(".yml")
                .trim_end_matches(".yaml")
                .replace(['/', '.'], "-");
            Some(Case {
                name: format!("naftiko-{stem}"),
                openapi: None,
                capabilities: vec![path],
            })
        })
        .collect()
}

fn crate_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("corpus-{}", cleaned.trim_matches('-'))
}

/// Operations and types, counted in-process from the API model.
fn counts(path: &Path) -> (String, usize, usize) {
    let mut diags = Diagnostics::new();
    match capgen::load::openapi::load(path, &[], &mut diags) {
        Some(doc) => {
            let api = capgen::model::api::lower(&doc, &mut diags);
            (
                doc.version.clone(),
                api.operations.len(),
                api.types.defs.len(),
            )
        }
        None => ("?".to_owned(), 0, 0),
    }
}

/// The version and the number of exposed operations and tools of a capability.
fn capability_counts(path: &Path) -> (String, usize, usize) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let value: serde_json::Value = yaml_serde::from_str(&text).unwrap_or_default();
    let version = value["naftiko"].as_str().unwrap_or("?").to_owned();
    let exposed: usize = value["capability"]["exposes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|adapter| {
            let tools = adapter["tools"].as_array().map_or(0, Vec::len);
            let operations: usize = adapter["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|it| it["operations"].as_array().map_or(0, Vec::len))
                .sum();
            tools + operations
        })
        .sum();
    (version, exposed, 0)
}

fn generate(capgen: &Path, case: &Case, out: &Path) -> (f64, f64, Outcome) {
    let timing = out.join(format!("{}.time", case.name));
    let mut command = Command::new("/usr/bin/time");
    command.args(["-f", "%e %M", "-o"]).arg(&timing).arg(capgen);
    command.arg("generate");
    if let Some(openapi) = &case.openapi {
        command
            .arg("--openapi")
            .arg(openapi)
            .arg("--client-crate")
            .arg(crate_name(&case.name));
    }
    for capability in &case.capabilities {
        command.arg("--capability").arg(capability);
    }
    if case.openapi.is_none() {
        command.arg("--server-crate").arg(crate_name(&case.name));
    }
    command
        .arg("--out")
        .arg(out.join(&case.name))
        .arg("--format")
        .arg("json");
    let output = match command.output() {
        Ok(it) => it,
        Err(err) => {
            return (
                0.0,
                0.0,
                Outcome::Panic(format!("cannot run capgen: {err}")),
            );
        }
    };
    let measured = std::fs::read_to_string(&timing).unwrap_or_default();
    let mut fields = measured
        .split_whitespace()
        .rev()
        .take(2)
        .collect::<Vec<_>>();
    fields.reverse();
    let seconds = fields.first().and_then(|it| it.parse().ok()).unwrap_or(0.0);
    let peak_mb = fields
        .get(1)
        .and_then(|it| it.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let outcome = match output.status.code() {
        Some(0) => {
            let crates = std::fs::read_dir(out.join(&case.name))
                .map(|it| {
                    it.filter_map(Result::ok)
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            Outcome::Generated(crates)
        }
        Some(1) => {
            let json = stderr
                .lines()
                .find(|it| it.starts_with('['))
                .unwrap_or("[]");
            let diagnostics: Vec<serde_json::Value> =
                serde_json::from_str(json).unwrap_or_default();
            let codes: BTreeSet<String> = diagnostics
                .iter()
                .filter(|it| it["severity"] == "error")
                .filter_map(|it| it["code"].as_str().map(str::to_owned))
                .collect();
            let first = diagnostics.iter().find(|it| it["severity"] == "error");
            let place = first
                .map(|it| {
                    format!(
                        " at {}:{}",
                        it["line"].as_u64().unwrap_or(0),
                        it["column"].as_u64().unwrap_or(0)
                    )
                })
                .unwrap_or_default();
            Outcome::Rejected(format!(
                "{}{place}",
                codes.into_iter().collect::<Vec<_>>().join(" ")
            ))
        }
        _ => Outcome::Panic(
            stderr
                .lines()
                .find(|it| it.contains("panicked"))
                .unwrap_or("abnormal exit")
                .to_owned(),
        ),
    };
    (seconds, peak_mb, outcome)
}

/// Lints every generated crate (`cargo clippy -D warnings`, which also type-checks); returns
/// the crates that failed.
fn check(
    target: &Path,
    out: &Path,
    crates: &[(String, PathBuf)],
) -> Result<BTreeSet<String>, String> {
    if crates.is_empty() {
        return Ok(BTreeSet::new());
    }
    let members: Vec<String> = crates
        .iter()
        .map(|(_, dir)| format!("    {:?},", dir.strip_prefix(out).unwrap_or(dir)))
        .collect();
    let manifest = format!(
        "[workspace]\nresolver = \"3\"\nmembers = [\n{}\n]\n",
        members.join("\n")
    );
    std::fs::write(out.join("Cargo.toml"), manifest).map_err(|err| err.to_string())?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(out)
        .env("CARGO_TARGET_DIR", target)
        .args([
            "clippy",
            "--workspace",
            "--keep-going",
            "--message-format",
            "json",
            "--",
            "-D",
            "warnings",
        ])
        .output()
        .map_err(|err| err.to_string())?;
    let mut failed = BTreeSet::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] == "compiler-message" && message["message"]["level"] == "error" {
            let package = message["package_id"].as_str().unwrap_or("");
            if let Some((name, _)) = crates.iter().find(|(name, _)| {
                package.contains(&format!("/{name}#")) || package.contains(&format!("{name}@"))
            }) {
                failed.insert(name.clone());
            }
        }
    }
    if !output.status.success() && failed.is_empty() {
        return Err(String::from_utf8_lossy(&output.stderr)
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .join("\n"));
    }
    Ok(failed)
}

pub fn run(root: &Path, corpus: &Path, quick: bool, only: Option<&str>) -> ExitCode {
    // The full run measures the release build; `--quick` (CI) reuses the debug build and the
    // workspace's target directory, so it adds little to a test run.
    let profile = if quick { "debug" } else { "release" };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(&cargo);
    build.current_dir(root).args(["build", "-p", "capgen"]);
    if !quick {
        build.arg("--release");
    }
    if !build.status().map(|it| it.success()).unwrap_or(false) {
        eprintln!("error: building capgen failed");
        return ExitCode::from(1);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let capgen = target.join(profile).join("capgen");
    let out = std::env::temp_dir().join(format!("capgen-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    if std::fs::create_dir_all(&out).is_err() {
        eprintln!("error: cannot create {}", out.display());
        return ExitCode::from(1);
    }
    let cases: Vec<Case> = cases(corpus, quick)
        .into_iter()
        .filter(|case| match only {
            None => true,
            Some("naftiko") => case.openapi.is_none(),
            Some("pairs") => case.name.starts_with("pair-"),
            Some("real") => case.name.starts_with("real-"),
            Some(_) => case.openapi.is_some() && !case.name.starts_with("pair-"),
        })
        .collect();
    if cases.is_empty() {
        eprintln!("error: no corpus documents under {}", corpus.display());
        return ExitCode::from(1);
    }
    let mut rows = Vec::new();
    let mut crates = Vec::new();
    for case in &cases {
        let (version, operations, types) = match &case.openapi {
            Some(openapi) => counts(openapi),
            None => capability_counts(&case.capabilities[0]),
        };
        let (seconds, peak_mb, outcome) = generate(&capgen, case, &out);
        if let Outcome::Generated(names) = &outcome {
            for name in names {
                crates.push((name.clone(), out.join(&case.name).join(name)));
            }
        }
        rows.push(Row {
            name: case.name.clone(),
            version,
            operations,
            types,
            seconds,
            peak_mb,
            outcome,
        });
    }
    let check_target = if quick {
        target.clone()
    } else {
        target.join("corpus")
    };
    let failed = match check(&check_target, &out, &crates) {
        Ok(it) => it,
        Err(err) => {
            eprintln!("error: cargo check did not run:\n{err}");
            return ExitCode::from(1);
        }
    };
    println!("| document | version | operations | types | generation | peak memory | result |");
    println!("|---|---|---|---|---|---|---|");
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        let result = match &row.outcome {
            Outcome::Generated(names) => {
                let broken: Vec<&String> = names.iter().filter(|it| failed.contains(*it)).collect();
                if broken.is_empty() {
                    *tally.entry("compiles").or_default() += 1;
                    format!(
                        "compiles ({} crate{})",
                        names.len(),
                        if names.len() == 1 { "" } else { "s" }
                    )
                } else {
                    *tally.entry("compile error").or_default() += 1;
                    format!(
                        "**compile error** in {}",
                        broken
                            .iter()
                            .map(|it| it.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            }
            Outcome::Rejected(codes) => {
                *tally.entry("rejected").or_default() += 1;
                format!("rejected: {codes}")
            }
            Outcome::Panic(message) => {
                *tally.entry("panic").or_default() += 1;
                format!("**panic**: {message}")
            }
        };
        println!(
            "| {} | {} | {} | {} | {:.2} s | {:.0} MB | {} |",
            row.name, row.version, row.operations, row.types, row.seconds, row.peak_mb, result
        );
    }
    let summary: Vec<String> = tally.iter().map(|(k, v)| format!("{v} {k}")).collect();
    println!(
        "\n{} documents ({profile} build of capgen): {}",
        rows.len(),
        summary.join(", ")
    );
    let _ = std::fs::remove_dir_all(&out);
    if tally.contains_key("panic") || tally.contains_key("compile error") {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
