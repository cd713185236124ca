//! Instructions per request, counted by `valgrind --tool=callgrind`: the part of `bench proxy`
//! that repeats to within a fraction of a percent on a shared, noisy machine, where wall-clock
//! figures move by ±25 % between runs. Counts are user space only (the kernel's loopback work
//! is not in them), so they compare the servers' own code, before and after a change.
//!
//! The server under test runs under callgrind with instrumentation off; after a warm-up,
//! `callgrind_control -i on` starts counting, a keep-alive client sends the measured requests,
//! `-i off` stops, and the process is interrupted so callgrind writes its totals.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::bench::{
    ADDRESSES, KEY, Processes, release_binary, spawn_fake, spawn_server, start_instance, wait_for,
};

const WARM_UP: u32 = 300;
const MEASURED: u32 = 2000;

/// Prints the instructions per request of the upstream answering directly and of the proxy
/// answering through it.
pub fn report(root: &Path) -> Result<(), String> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("Instructions per request: skipped (valgrind is not installed).\n");
        return Ok(());
    }
    let (upstream, rest, _) = ADDRESSES;
    let out = OutDir::new()?;
    let fake_binary = release_binary(root, "durable-functions-fake");
    let status_path = "/runtime/webhooks/durabletask/instances/bench-instance";

    let mut processes = Processes(vec![spawn_fake(under_callgrind(
        &out.0.join("fake.out"),
        &fake_binary,
    ))?]);
    if !wait_for_port(upstream) || !start_instance() {
        return Err("the fake did not come up under valgrind".to_owned());
    }
    let direct = count(
        &mut processes.0[0],
        upstream,
        &format!("{status_path}?code={KEY}"),
    )?;
    stop(&mut processes.0[0]);
    let fake_ir = totals(&out.0.join("fake.out"))?;

    // The proxy's upstream runs natively: only the proxy is counted.
    processes.0.push(spawn_fake(Command::new(&fake_binary))?);
    processes.0.push(spawn_server(under_callgrind(
        &out.0.join("proxy.out"),
        &release_binary(root, "durable-orchestrations-server"),
    ))?);
    if !wait_for_port(upstream) || !wait_for(&format!("http://{rest}/healthz")) {
        return Err("the server did not come up under valgrind".to_owned());
    }
    if !start_instance() {
        return Err("cannot start the measured instance".to_owned());
    }
    let proxied = count(&mut processes.0[2], rest, &format!("/v1{status_path}"))?;
    stop(&mut processes.0[2]);
    let proxy_ir = totals(&out.0.join("proxy.out"))?;

    let nginx = if crate::bench_nginx::available() {
        // One process (no master), so that callgrind sees the worker's work.
        let dir = crate::bench_nginx::NginxDir::new(None)?;
        let mut nginx = dir.spawn(Some(callgrind(&out.0.join("nginx.out"))))?;
        if !wait_for_port(crate::bench_nginx::NGINX_ADDR) {
            return Err("nginx did not come up under valgrind".to_owned());
        }
        let counted = count(
            &mut nginx.child,
            crate::bench_nginx::NGINX_ADDR,
            &format!("/v1{status_path}"),
        )?;
        // SIGQUIT is nginx's graceful stop, after which callgrind writes its totals.
        crate::bench_nginx::stop(&mut nginx.child, "-QUIT");
        Some(totals(&out.0.join("nginx.out"))? / u64::from(counted))
    } else {
        None
    };

    let (direct, proxied) = (fake_ir / u64::from(direct), proxy_ir / u64::from(proxied));
    println!(
        "Instructions per request (callgrind, user space, {MEASURED} requests on one keep-alive \
         connection after {WARM_UP} of warm-up; repeatable to < 1 %):\n"
    );
    println!(
        "| upstream, direct request | capgen, proxied request | nginx, proxied request | capgen / nginx |"
    );
    println!("|---|---|---|---|");
    #[allow(clippy::cast_precision_loss)]
    let (nginx_cell, ratio) = match nginx {
        Some(nginx) => (
            nginx.to_string(),
            format!("{:.1}×", proxied as f64 / nginx as f64),
        ),
        None => ("—".to_owned(), "—".to_owned()),
    };
    println!("| {direct} | {proxied} | {nginx_cell} | {ratio} |\n");
    Ok(())
}

/// A scratch directory for callgrind's output files, removed when dropped.
struct OutDir(std::path::PathBuf);

impl OutDir {
    fn new() -> Result<OutDir, String> {
        let path =
            std::env::temp_dir().join(format!("capgen-bench-callgrind-{}", std::process::id()));
        std::fs::create_dir_all(&path)
            .map_err(|err| format!("cannot create {}: {err}", path.display()))?;
        Ok(OutDir(path))
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        // `CAPGEN_KEEP_CALLGRIND=1` keeps the profiles, for `callgrind_annotate`.
        if std::env::var_os("CAPGEN_KEEP_CALLGRIND").is_some() {
            eprintln!("callgrind profiles kept in {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Waits until something accepts connections on `addr` (callgrind starts programs slowly).
fn wait_for_port(addr: &str) -> bool {
    for _ in 0..300 {
        if TcpStream::connect(addr).is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

fn under_callgrind(out_file: &Path, program: &Path) -> Command {
    let mut command = callgrind(out_file);
    command.arg(program);
    command
}

/// `valgrind --tool=callgrind …`, counting off until `callgrind_control -i on`; the program
/// to run comes next.
fn callgrind(out_file: &Path) -> Command {
    let mut command = Command::new("valgrind");
    command
        .arg("--tool=callgrind")
        .arg("--instr-atstart=no")
        .arg(format!("--callgrind-out-file={}", out_file.display()));
    command
}

/// Warms `child` up, counts [`MEASURED`] requests, and returns how many were counted.
fn count(child: &mut Child, addr: &str, target: &str) -> Result<u32, String> {
    let mut client = KeepAlive::connect(addr)?;
    for _ in 0..WARM_UP {
        client.get(target)?;
    }
    callgrind_control(child.id(), "on")?;
    for _ in 0..MEASURED {
        client.get(target)?;
    }
    callgrind_control(child.id(), "off")?;
    Ok(MEASURED)
}

fn callgrind_control(pid: u32, state: &str) -> Result<(), String> {
    let ok = Command::new("callgrind_control")
        .args(["-i", state, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|it| it.success());
    if ok {
        Ok(())
    } else {
        Err(format!("callgrind_control -i {state} failed"))
    }
}

/// Interrupts `child` (so callgrind writes its output) and waits for it.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// The `totals:` line callgrind wrote.
fn totals(path: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    text.lines()
        .find_map(|line| line.strip_prefix("totals:"))
        .and_then(|it| it.trim().parse().ok())
        .filter(|it| *it > 0)
        .ok_or_else(|| format!("no instruction totals in {}", path.display()))
}

/// A minimal HTTP/1.1 client on one keep-alive connection: enough for `GET` with a
/// `Content-Length` answer, and cheap, so the client is not what the machine is busy with.
struct KeepAlive {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
}

impl KeepAlive {
    fn connect(addr: &str) -> Result<KeepAlive, String> {
        let stream =
            TcpStream::connect(addr).map_err(|err| format!("cannot connect to {addr}: {err}"))?;
        stream.set_nodelay(true).map_err(|err| err.to_string())?;
        let writer = stream.try_clone().map_err(|err| err.to_string())?;
        Ok(KeepAlive {
            reader: BufReader::new(stream),
            writer,
            host: addr.to_owned(),
        })
    }

    fn get(&mut self, target: &str) -> Result<(), String> {
        // One write: split writes meet Nagle and delayed ACKs (40 ms per request).
        let request = format!("GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        self.writer
            .write_all(request.as_bytes())
            .map_err(|err| format!("cannot send: {err}"))?;
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(|err| err.to_string())?;
        if !line.starts_with("HTTP/1.1 200") {
            return Err(format!("GET {target} answered `{}`", line.trim_end()));
        }
        let mut length = None;
        loop {
            line.clear();
            self.reader
                .read_line(&mut line)
                .map_err(|err| err.to_string())?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let length = length.ok_or_else(|| format!("GET {target}: no Content-Length"))?;
        let mut body = vec![0; length];
        self.reader
            .read_exact(&mut body)
            .map_err(|err| err.to_string())
    }
}
