//! `cargo xtask bench generate`: wall time and peak RSS of `capgen generate` (release build) per
//! OpenAPI document, with the peer generators run on the same documents in the same run.
//!
//! Documents: the seed (`specs/durable-functions/capgen.toml`: OpenAPI + overlay + both
//! capabilities) and every document of `<corpus>/openapi`. Each generator runs `--runs` times
//! per document under `/usr/bin/time` (peak RSS) and the median wall time is reported.
//!
//! Peers, where they can run here: `cargo-progenitor` (crates.io, found on `PATH` or in
//! `target/bench-tools/bin`; install with `cargo install cargo-progenitor --version 0.15.1
//! --locked --root target/bench-tools`) and openapi-generator's `rust` generator (PyPI
//! `openapi-generator-cli`, found on `PATH` or in `target/bench-tools/venv/bin`; runs on Java).
//! A peer that is not installed is reported as such, never silently left out.
//!
//! Last, `cargo check` time of the generated client for the largest document, next to
//! progenitor's output for the largest document it handles (dependencies built first, then
//! `touch src/lib.rs && cargo check`, as the peer notes measure it).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// What one generator did with one document.
#[derive(Debug, Clone)]
enum Run {
    /// Median wall seconds and the largest peak RSS (MB) over the runs.
    Ok { seconds: f64, peak_mb: f64 },
    /// Exit status other than 0: the first meaningful line of its output.
    Failed(String),
    /// The generator is not installed here.
    Missing,
}

impl Run {
    fn cell(&self) -> String {
        match self {
            Run::Ok { seconds, peak_mb } => format!("{} / {peak_mb:.0} MB", fmt_seconds(*seconds)),
            Run::Failed(reason) => format!("fails: {}", short(reason)),
            Run::Missing => "not installed".to_owned(),
        }
    }

    fn seconds(&self) -> Option<f64> {
        match self {
            Run::Ok { seconds, .. } => Some(*seconds),
            _ => None,
        }
    }
}

fn fmt_seconds(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1e3)
    } else {
        format!("{seconds:.2} s")
    }
}

fn short(reason: &str) -> String {
    let reason = reason.replace('|', "\\|");
    let mut out: String = reason.chars().take(90).collect();
    if reason.chars().count() > 90 {
        out.push('…');
    }
    out
}

struct Doc {
    name: String,
    bytes: u64,
    /// Arguments to `capgen generate` naming the inputs.
    capgen_inputs: Vec<String>,
    /// The OpenAPI file given to the peers.
    openapi: PathBuf,
}

struct Peers {
    progenitor: Option<PathBuf>,
    openapi_generator: Option<PathBuf>,
}

fn find_tool(root: &Path, name: &str, local: &[&str]) -> Option<PathBuf> {
    for dir in local {
        let candidate = root.join(dir).join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|it| it.is_file())
}

fn documents(root: &Path, corpus: &Path) -> Vec<Doc> {
    let seed = root.join("specs/durable-functions");
    let mut docs = vec![Doc {
        name: "seed (durable-functions, overlay + 2 capabilities)".to_owned(),
        bytes: file_size(&seed.join("openapi.yaml")),
        capgen_inputs: vec![
            "--manifest".to_owned(),
            seed.join("capgen.toml").display().to_string(),
        ],
        openapi: seed.join("openapi.yaml"),
    }];
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join("openapi"))
        .map(|it| it.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|it| {
        matches!(
            it.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        )
    });
    files.sort();
    for path in files {
        docs.push(Doc {
            name: path
                .file_name()
                .and_then(|it| it.to_str())
                .unwrap_or("?")
                .to_owned(),
            bytes: file_size(&path),
            capgen_inputs: vec!["--openapi".to_owned(), path.display().to_string()],
            openapi: path,
        });
    }
    docs
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|it| it.len()).unwrap_or(0)
}

/// Runs `program args` under `/usr/bin/time` `runs` times in a fresh `out` directory each time.
fn measure(program: &Path, args: &[String], out: &Path, runs: u32) -> Run {
    let mut times = Vec::new();
    let mut peak_kb: f64 = 0.0;
    for _ in 0..runs.max(1) {
        let _ = std::fs::remove_dir_all(out);
        let _ = std::fs::create_dir_all(out);
        let timing = out.with_extension("time");
        let started = Instant::now();
        let output = Command::new("/usr/bin/time")
            .args(["-f", "%M", "-o"])
            .arg(&timing)
            .arg(program)
            .args(args)
            // Backtraces on failure would slow the peers that fail.
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::null())
            .output();
        let elapsed = started.elapsed().as_secs_f64();
        let output = match output {
            Ok(it) => it,
            Err(err) => return Run::Failed(format!("cannot run: {err}")),
        };
        if !output.status.success() {
            return Run::Failed(failure_line(&output.stdout, &output.stderr));
        }
        let rss = std::fs::read_to_string(&timing).unwrap_or_default();
        let rss: f64 = rss
            .lines()
            .last()
            .and_then(|it| it.trim().parse().ok())
            .unwrap_or(0.0);
        peak_kb = peak_kb.max(rss);
        times.push(elapsed);
    }
    times.sort_by(f64::total_cmp);
    Run::Ok {
        seconds: times[times.len() / 2],
        peak_mb: peak_kb / 1024.0,
    }
}

/// The line of a failed run that says why: a panic, an error, else the last line.
fn failure_line(stdout: &[u8], stderr: &[u8]) -> String {
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(stderr),
        String::from_utf8_lossy(stdout)
    );
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // A panic's first line is its location (a path on this machine); the message follows.
    if let Some(at) = lines.iter().position(|l| l.contains("panicked at")) {
        return format!("panics: {}", lines.get(at + 1).copied().unwrap_or(""));
    }
    let pick = lines
        .iter()
        .find(|l| l.contains("not yet implemented") || l.contains("gen fail"))
        .or_else(|| {
            lines.iter().find(|l| {
                l.starts_with("error") || l.starts_with("Error") || l.contains("Exception")
            })
        })
        .or(lines.last());
    pick.map(|it| (*it).to_owned())
        .unwrap_or_else(|| "exit status not 0".to_owned())
}

fn progenitor_args(doc: &Doc, out: &Path) -> Vec<String> {
    vec![
        "progenitor".to_owned(),
        "-i".to_owned(),
        doc.openapi.display().to_string(),
        "-o".to_owned(),
        out.display().to_string(),
        "-n".to_owned(),
        "peer-client".to_owned(),
        "-v".to_owned(),
        "0.1.0".to_owned(),
    ]
}

fn openapi_generator_args(doc: &Doc, out: &Path) -> Vec<String> {
    vec![
        "generate".to_owned(),
        "-g".to_owned(),
        "rust".to_owned(),
        "-i".to_owned(),
        doc.openapi.display().to_string(),
        "-o".to_owned(),
        out.display().to_string(),
        "--package-name".to_owned(),
        "peer_client".to_owned(),
    ]
}

pub fn run(root: &Path, corpus: &Path, runs: u32, peers_wanted: bool) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    if !crate::bench::build_release(root, &["capgen"]) {
        eprintln!("error: cannot build capgen (release)");
        return ExitCode::from(1);
    }
    let capgen = crate::bench::release_binary(root, "capgen");
    let peers = if peers_wanted {
        Peers {
            progenitor: find_tool(root, "cargo-progenitor", &["target/bench-tools/bin"]),
            openapi_generator: find_tool(
                root,
                "openapi-generator-cli",
                &["target/bench-tools/venv/bin"],
            ),
        }
    } else {
        Peers {
            progenitor: None,
            openapi_generator: None,
        }
    };
    let docs = documents(root, corpus);
    let work = std::env::temp_dir().join(format!("capgen-bench-generate-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&work);

    println!("## capgen generate vs peers\n");
    println!(
        "Machine: {}. Median of {runs} run(s) per generator and document, wall time of the whole \
         process / peak RSS.\n",
        crate::bench::machine()
    );
    println!("| document | size | capgen | cargo-progenitor | openapi-generator `rust` |");
    println!("|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (index, doc) in docs.iter().enumerate() {
        let out = work.join(format!("capgen-{index}"));
        let mut args = vec!["generate".to_owned()];
        args.extend(doc.capgen_inputs.iter().cloned());
        args.extend(["--out".to_owned(), out.display().to_string()]);
        let ours = measure(&capgen, &args, &out, runs);
        let progenitor = match &peers.progenitor {
            Some(tool) => {
                let out = work.join(format!("progenitor-{index}"));
                measure(tool, &progenitor_args(doc, &out), &out, runs)
            }
            None => Run::Missing,
        };
        let generator = match &peers.openapi_generator {
            Some(tool) => {
                let out = work.join(format!("openapi-generator-{index}"));
                measure(tool, &openapi_generator_args(doc, &out), &out, runs)
            }
            None => Run::Missing,
        };
        println!(
            "| {} | {:.0} KB | {} | {} | {} |",
            doc.name,
            doc.bytes as f64 / 1024.0,
            ours.cell(),
            progenitor.cell(),
            generator.cell()
        );
        rows.push((index, ours, progenitor, generator));
        let _ = std::fs::remove_dir_all(work.join(format!("openapi-generator-{index}")));
    }
    summary(&docs, &rows);
    check_times(root, &cargo, &peers, &docs, &rows, &work);
    let _ = std::fs::remove_dir_all(&work);
    ExitCode::SUCCESS
}

type Row = (usize, Run, Run, Run);

/// Picks one peer's run out of a row.
type PeerOf = fn(&Row) -> &Run;

fn summary(docs: &[Doc], rows: &[Row]) {
    println!("\n### Summary\n");
    if let Some((_, seed, ..)) = rows.first() {
        println!("- seed: {} (target < 50 ms)", seed.cell());
    }
    if let Some((index, ours, ..)) = rows.iter().max_by_key(|(index, ..)| docs[*index].bytes) {
        println!(
            "- largest document ({}, {:.1} MB): {} (target < 1 s, < 512 MB)",
            docs[*index].name,
            docs[*index].bytes as f64 / 1048576.0,
            ours.cell()
        );
    }
    let ours_ok = rows
        .iter()
        .filter(|(_, ours, ..)| ours.seconds().is_some())
        .count();
    println!("- capgen generated {ours_ok} of {} documents", rows.len());
    let peers: [(&str, PeerOf); 2] = [
        ("cargo-progenitor", |row| &row.2),
        ("openapi-generator `rust`", |row| &row.3),
    ];
    for (label, peer_of) in peers {
        let runs: Vec<(&Run, &Run)> = rows.iter().map(|row| (&row.1, peer_of(row))).collect();
        if runs.iter().all(|(_, peer)| matches!(peer, Run::Missing)) {
            println!("- {label}: not installed, not measured");
            continue;
        }
        let failed: Vec<&str> = rows
            .iter()
            .zip(&runs)
            .filter(|(_, (_, peer))| matches!(peer, Run::Failed(_)))
            .map(|(row, _)| docs[row.0].name.as_str())
            .collect();
        let mut ratios: Vec<f64> = runs
            .iter()
            .filter_map(|(ours, peer)| Some(peer.seconds()? / ours.seconds()?))
            .collect();
        ratios.sort_by(f64::total_cmp);
        let median = ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN);
        let total_ours: f64 = runs
            .iter()
            .filter(|(ours, peer)| ours.seconds().is_some() && peer.seconds().is_some())
            .filter_map(|(ours, _)| ours.seconds())
            .sum();
        let total_peer: f64 = runs
            .iter()
            .filter(|(ours, peer)| ours.seconds().is_some() && peer.seconds().is_some())
            .filter_map(|(_, peer)| peer.seconds())
            .sum();
        println!(
            "- {label}: handled {} of {} documents; on the documents both handle, its time / \
             capgen's time is {:.2}× (median per document), {:.2}× in total; it failed on: {}",
            rows.len() - failed.len(),
            rows.len(),
            median,
            total_peer / total_ours,
            if failed.is_empty() {
                "none".to_owned()
            } else {
                failed.join(", ")
            }
        );
    }
}

/// `cargo check` of capgen's client for the largest document and of progenitor's output for the
/// largest document progenitor handles (capgen's for that document too).
fn check_times(root: &Path, cargo: &str, peers: &Peers, docs: &[Doc], rows: &[Row], work: &Path) {
    println!("\n### `cargo check` of the generated client\n");
    println!("Dependencies built first; then `touch src/lib.rs && cargo check` (median of 3).\n");
    println!("| document | capgen | cargo-progenitor |");
    println!("|---|---|---|");
    let target = work.join("check-target");
    let by_size = |a: &&Row, b: &&Row| docs[a.0].bytes.cmp(&docs[b.0].bytes);
    let largest = rows
        .iter()
        .filter(|row| row.1.seconds().is_some())
        .max_by(by_size);
    let largest_progenitor = rows
        .iter()
        .filter(|row| row.1.seconds().is_some() && row.2.seconds().is_some())
        .max_by(by_size);
    let mut chosen: Vec<&Row> = largest.into_iter().collect();
    if let Some(row) = largest_progenitor
        && chosen.iter().all(|it| it.0 != row.0)
    {
        chosen.push(row);
    }
    let capgen = crate::bench::release_binary(root, "capgen");
    for row in chosen {
        let doc = &docs[row.0];
        let ours_dir = work.join(format!("check-capgen-{}", row.0));
        let mut args = vec!["generate".to_owned()];
        args.extend(doc.capgen_inputs.iter().cloned());
        args.extend(["--out".to_owned(), ours_dir.display().to_string()]);
        let _ = Command::new(&capgen)
            .args(&args)
            .stderr(Stdio::null())
            .status();
        let client = std::fs::read_dir(&ours_dir).ok().and_then(|entries| {
            entries.filter_map(Result::ok).map(|e| e.path()).find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with("-client"))
            })
        });
        let ours = client
            .map(|dir| check_time(cargo, &dir, &target))
            .unwrap_or_else(|| "no client generated".to_owned());
        let theirs = if row.2.seconds().is_some() {
            let dir = work.join(format!("check-progenitor-{}", row.0));
            let _ = std::fs::remove_dir_all(&dir);
            match &peers.progenitor {
                Some(tool) => {
                    let _ = Command::new(tool)
                        .args(progenitor_args(doc, &dir))
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                    check_time(cargo, &dir, &target)
                }
                None => "not installed".to_owned(),
            }
        } else {
            format!("no output ({})", row.2.cell())
        };
        println!("| {} | {ours} | {theirs} |", doc.name);
    }
}

/// Builds the crate at `dir` once, then times `touch src/lib.rs && cargo check` three times.
fn check_time(cargo: &str, dir: &Path, target: &Path) -> String {
    // A standalone crate: keep cargo from looking for a parent workspace.
    let manifest = dir.join("Cargo.toml");
    if let Ok(text) = std::fs::read_to_string(&manifest)
        && !text.contains("[workspace]")
    {
        let _ = std::fs::write(&manifest, format!("{text}\n[workspace]\n"));
    }
    let check = || {
        Command::new(cargo)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", target)
            .args(["check", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
    };
    match check() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return format!(
                "does not compile: {}",
                short(&failure_line(&[], &out.stderr))
            );
        }
        Err(err) => return format!("cannot run cargo: {err}"),
    }
    let mut times = Vec::new();
    for _ in 0..3 {
        let lib = dir.join("src/lib.rs");
        if let Ok(text) = std::fs::read_to_string(&lib) {
            let _ = std::fs::write(&lib, text);
        }
        let started = Instant::now();
        let _ = check();
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let lines: usize = walk_rs(&dir.join("src"))
        .iter()
        .filter_map(|it| std::fs::read_to_string(it).ok())
        .map(|it| it.lines().count())
        .sum();
    format!("{} ({lines} lines of Rust)", fmt_seconds(times[1]))
}

fn walk_rs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk_rs(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}
