//! `cargo xtask bench proxy`: throughput and latency through a generated server versus directly
//! against the same upstream, in one run, with `wrk` (Debian package `wrk`) as load generator.
//!
//! Everything runs on loopback: the release build of the Durable Functions test double, the
//! release build of `durable-orchestrations-server` in front of it, nginx in front of it too (the
//! reference reverse proxy, `bench_nginx`), and `wrk` at 1, 16 and 64 connections against
//! `GET …/instances/{id}` of a completed instance: directly, through capgen and through nginx,
//! in interleaved rounds so that a noisy moment hits all three alike. Two layouts: all processes
//! sharing all cores, and (with two cores or more) the proxies pinned to a core of their own while
//! wrk and the upstream share another. The CPU time each server spends per request is read from
//! `/proc`. Results are printed as Markdown tables with the machine they were measured on.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

/// Child processes, killed when dropped (also on every early return).
pub struct Processes(pub Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One `wrk` run.
#[derive(Debug, Clone, Copy)]
pub struct Measurement {
    pub requests_per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
}

pub fn release_binary(root: &Path, name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("release").join(name)
}

/// Parses `12.34us`, `1.20ms`, `2.00s` into microseconds.
fn micros(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, factor) = if let Some(it) = text.strip_suffix("us") {
        (it, 1.0)
    } else if let Some(it) = text.strip_suffix("ms") {
        (it, 1000.0)
    } else if let Some(it) = text.strip_suffix('s') {
        (it, 1_000_000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|it| it * factor)
}

/// Reads requests/second and the 50th/99th latency percentiles from `wrk --latency` output.
pub fn parse_wrk(output: &str) -> Option<Measurement> {
    let mut rps = None;
    let mut p50 = None;
    let mut p99 = None;
    for line in output.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            rps = rest.trim().parse::<f64>().ok();
        } else if let Some(rest) = line.strip_prefix("50%") {
            p50 = micros(rest);
        } else if let Some(rest) = line.strip_prefix("99%") {
            p99 = micros(rest);
        }
    }
    Some(Measurement {
        requests_per_second: rps?,
        p50_us: p50?,
        p99_us: p99?,
    })
}

/// `command args…`, under `taskset -c cpus` when `cpus` is given.
fn pinned(cpus: Option<&str>, program: impl AsRef<std::ffi::OsStr>) -> Command {
    match cpus {
        Some(cpus) => {
            let mut command = Command::new("taskset");
            command.args(["-c", cpus]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

fn wrk(
    url: &str,
    connections: u32,
    seconds: u32,
    cpus: Option<&str>,
) -> Result<Measurement, String> {
    let threads = connections.clamp(1, 2).to_string();
    let output = pinned(cpus, "wrk")
        .args([
            "-t",
            &threads,
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--latency",
            url,
        ])
        .output()
        .map_err(|err| format!("cannot run wrk (install the Debian package `wrk`): {err}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        return Err(format!("{url} answered non-2xx during the run:\n{text}"));
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk output:\n{text}"))
}

pub fn wait_for(url: &str) -> bool {
    for _ in 0..100 {
        let ok = Command::new("curl")
            .args(["-sf", "-o", "/dev/null", url])
            .status()
            .map(|it| it.success());
        if ok.unwrap_or(false) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

pub fn machine() -> String {
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

/// CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start at `) `.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|it| String::from_utf8_lossy(&it.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Runs `wrk` and returns its measurement with the CPU microseconds per request each of `pids`
/// spent during the run.
fn wrk_with_cpu(
    url: &str,
    connections: u32,
    seconds: u32,
    cpus: Option<&str>,
    pids: &[u32],
) -> Result<(Measurement, Vec<f64>), String> {
    let before: Vec<Option<f64>> = pids.iter().map(|pid| cpu_seconds(*pid)).collect();
    let run = wrk(url, connections, seconds, cpus)?;
    let requests = run.requests_per_second * f64::from(seconds);
    let per_request = pids
        .iter()
        .zip(before)
        .map(|(pid, before)| match (before, cpu_seconds(*pid)) {
            (Some(before), Some(after)) if requests > 0.0 => (after - before) * 1e6 / requests,
            _ => f64::NAN,
        })
        .collect();
    Ok((run, per_request))
}

/// `cargo build --release -p …` of `packages`; false (after cargo's own message) when it fails.
pub fn build_release(root: &Path, packages: &[&str]) -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.current_dir(root).args(["build", "--release"]);
    for package in packages {
        command.args(["-p", package]);
    }
    command.status().is_ok_and(|it| it.success())
}

/// The release builds of the test double and the orchestrations server.
pub const SERVERS: &[&str] = &["durable-functions-fake", "durable-orchestrations-server"];

/// What `bench proxy` measures.
pub struct ProxyRun {
    /// Seconds per wrk run.
    pub seconds: u32,
    /// Interleaved rounds per row (the median is reported).
    pub rounds: u32,
    /// One row per connection count.
    pub connections: Vec<u32>,
}

pub fn proxy(root: &Path, run: &ProxyRun, instructions_only: bool) -> ExitCode {
    if !build_release(root, SERVERS) {
        eprintln!("error: release build failed");
        return ExitCode::from(1);
    }
    println!("# cargo xtask bench proxy\n\nMachine: {}.", machine());
    if !instructions_only && !wall_clock(root, run) {
        return ExitCode::from(1);
    }
    if let Err(err) = crate::bench_instructions::report(root) {
        eprintln!("error: {err}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// The `wrk` tables; false (after the error) when a run failed.
fn wall_clock(root: &Path, run: &ProxyRun) -> bool {
    println!(
        "Each cell: the median of {} interleaved rounds (direct, capgen, nginx, then again) of {} s of \
         `wrk --latency`.",
        run.rounds, run.seconds
    );
    println!(
        "Request: `GET …/instances/{{id}}` of a completed instance (200, JSON status, no URLs in it).\n"
    );
    if !crate::bench_nginx::available() {
        println!("nginx is not installed (Debian package `nginx-light`): its columns are empty.\n");
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut layouts = vec![(
        "Shared: wrk, the upstream and the proxies on all cores.",
        None,
    )];
    if cores >= 2 {
        layouts.push((
            "Pinned: wrk and the upstream on CPU 0, the proxies on CPU 1 (`taskset`), as when a \
             proxy has a core of its own.",
            Some(("0", "1")),
        ));
    }
    for (title, cpus) in layouts {
        println!("{title}\n");
        if let Err(err) = proxy_layout(root, run, cpus) {
            eprintln!("error: {err}");
            return false;
        }
        println!();
    }
    println!(
        "capgen: the generated orchestrations server (one REST thread per core, each with its own \
         runtime, listener and upstream pool); nginx: \
         `worker_processes` = cores, `proxy_pass` to a keep-alive upstream pool, access log on. \
         CPU/req: CPU time (user + system, from /proc; nginx's workers summed) per request.\n"
    );
    true
}

/// The upstream's key in every bench run.
pub const KEY: &str = "bench-key-0123456789";

/// The upstream, REST and MCP addresses of every bench run.
pub const ADDRESSES: (&str, &str, &str) = ("127.0.0.1:17171", "127.0.0.1:18080", "127.0.0.1:19090");

/// Starts the test double at the bench address: `command` is its binary, possibly behind a
/// launcher (`taskset`, `valgrind`).
pub fn spawn_fake(mut command: Command) -> Result<Child, String> {
    command
        .args(["--addr", ADDRESSES.0, "--key", KEY])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| format!("cannot start the fake: {err}"))
}

/// Starts the orchestrations server in front of the test double; `command` as for
/// [`spawn_fake`].
pub fn spawn_server(mut command: Command) -> Result<Child, String> {
    let (upstream, rest, mcp) = ADDRESSES;
    command
        .args(["--upstream-url", &format!("http://{upstream}")])
        .args(["--rest-addr", rest, "--mcp-addr", mcp])
        .env("DURABLE_FUNCTIONS_API_KEY", KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| format!("cannot start the server: {err}"))
}

/// Creates (or recreates) the completed instance `bench-instance` the measured requests read.
pub fn start_instance() -> bool {
    let (upstream, key) = (ADDRESSES.0, KEY);
    Command::new("curl")
        .args(["-sf", "-o", "/dev/null", "-X", "POST", "-H", "content-type: application/json", "-d", "{\"n\":1}"])
        .arg(format!(
            "http://{upstream}/runtime/webhooks/durabletask/orchestrators/Echo/bench-instance?code={key}"
        ))
        .status()
        .is_ok_and(|it| it.success())
}

/// One measurement table; `cpus` is (CPUs of wrk and the upstream, CPUs of the proxies).
fn proxy_layout(root: &Path, run: &ProxyRun, cpus: Option<(&str, &str)>) -> Result<(), String> {
    let (load_cpus, proxy_cpus) = match cpus {
        Some((load, proxy)) => (Some(load), Some(proxy)),
        None => (None, None),
    };
    let key = KEY;
    let (upstream, rest, _) = ADDRESSES;
    let mut processes = Processes(Vec::new());
    processes.0.push(spawn_fake(pinned(
        load_cpus,
        release_binary(root, "durable-functions-fake"),
    ))?);
    processes.0.push(spawn_server(pinned(
        proxy_cpus,
        release_binary(root, "durable-orchestrations-server"),
    ))?);
    let nginx = if crate::bench_nginx::available() {
        let cores = std::thread::available_parallelism().map_or(1, |it| it.get());
        let workers = if proxy_cpus.is_some() { 1 } else { cores };
        let dir = crate::bench_nginx::NginxDir::new(Some(u32::try_from(workers).unwrap_or(1)))?;
        let launcher = proxy_cpus.map(|cpus| {
            let mut command = Command::new("taskset");
            command.args(["-c", cpus]);
            command
        });
        Some(dir.spawn(launcher)?)
    } else {
        None
    };
    if !wait_for(&format!("http://{rest}/healthz")) {
        return Err("the server did not come up".to_owned());
    }
    start_instance();
    std::thread::sleep(Duration::from_millis(500));
    let path = "/runtime/webhooks/durabletask/instances/bench-instance";
    let direct = format!("http://{upstream}{path}?code={key}");
    let proxied = format!("http://{rest}/v1{path}");
    let through_nginx = format!("http://{}/v1{path}", crate::bench_nginx::NGINX_ADDR);
    if nginx.is_some() && !wait_for(&through_nginx) {
        return Err("nginx did not come up".to_owned());
    }
    // `taskset` execs the program, so the children's ids are the servers' own.
    let (fake_pid, server_pid) = (processes.0[0].id(), processes.0[1].id());
    let nginx_pids: Vec<u32> = nginx
        .as_ref()
        .map(|it| workers_of(it.child.id()))
        .unwrap_or_default();
    println!(
        "| connections | direct req/s | capgen req/s | nginx req/s | capgen / nginx | direct p50 | capgen added p50 | nginx added p50 | capgen p99 | nginx p99 | upstream CPU/req | capgen CPU/req | nginx CPU/req |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &connections in &run.connections {
        let mut rows: [Vec<(Measurement, f64)>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..run.rounds {
            let (it, cpu) =
                wrk_with_cpu(&direct, connections, run.seconds, load_cpus, &[fake_pid])?;
            rows[0].push((it, cpu[0]));
            let (it, cpu) =
                wrk_with_cpu(&proxied, connections, run.seconds, load_cpus, &[server_pid])?;
            rows[1].push((it, cpu[0]));
            if nginx.is_some() {
                let (it, cpu) = wrk_with_cpu(
                    &through_nginx,
                    connections,
                    run.seconds,
                    load_cpus,
                    &nginx_pids,
                )?;
                rows[2].push((it, cpu.iter().sum()));
            }
        }
        let [direct_row, capgen_row, nginx_row] = rows.map(|it| median(&it));
        let cell = |value: Option<f64>, unit: &str| {
            value.map_or_else(|| "—".to_owned(), |it| format!("{it:.0}{unit}"))
        };
        let field = |row: Option<(Measurement, f64)>, pick: fn(&Measurement) -> f64| {
            row.map(|(it, _)| pick(&it))
        };
        let direct_p50 = field(direct_row, |it| it.p50_us).unwrap_or(0.0);
        println!(
            "| {connections} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(field(direct_row, |it| it.requests_per_second), ""),
            cell(field(capgen_row, |it| it.requests_per_second), ""),
            cell(field(nginx_row, |it| it.requests_per_second), ""),
            match (capgen_row, nginx_row) {
                (Some((capgen, _)), Some((nginx, _))) => format!(
                    "{:.0} %",
                    100.0 * capgen.requests_per_second / nginx.requests_per_second
                ),
                _ => "—".to_owned(),
            },
            cell(Some(direct_p50), " µs"),
            cell(
                field(capgen_row, |it| it.p50_us).map(|it| it - direct_p50),
                " µs"
            ),
            cell(
                field(nginx_row, |it| it.p50_us).map(|it| it - direct_p50),
                " µs"
            ),
            cell(field(capgen_row, |it| it.p99_us), " µs"),
            cell(field(nginx_row, |it| it.p99_us), " µs"),
            cell(direct_row.map(|it| it.1), " µs"),
            cell(capgen_row.map(|it| it.1), " µs"),
            cell(nginx_row.map(|it| it.1), " µs"),
        );
    }
    drop(nginx);
    Ok(())
}

/// The run with the median throughput (`None` for no runs).
fn median(runs: &[(Measurement, f64)]) -> Option<(Measurement, f64)> {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.0.requests_per_second.total_cmp(&b.0.requests_per_second));
    sorted.get(sorted.len() / 2).copied()
}

/// nginx's worker processes (the children of its master), or the master itself without any.
fn workers_of(master: u32) -> Vec<u32> {
    for _ in 0..50 {
        let children: Vec<u32> =
            std::fs::read_to_string(format!("/proc/{master}/task/{master}/children"))
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|it| it.parse().ok())
                .collect();
        if !children.is_empty() {
            return children;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    vec![master]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let text = "Running 1s test\n  Latency Distribution\n     50%   61.00us\n     75%   80.00us\n     90%    1.20ms\n     99%    2.50ms\n  1000 requests in 1.00s\nRequests/sec:  12345.67\nTransfer/sec: 1MB\n";
        let it = parse_wrk(text).expect("parsed");
        assert_eq!(it.requests_per_second, 12345.67);
        assert_eq!(it.p50_us, 61.0);
        assert_eq!(it.p99_us, 2500.0);
    }
}
