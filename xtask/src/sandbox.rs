//! `cargo xtask sandbox`: the local sandbox. Starts the Durable Functions test double and both
//! generated servers against it, so the REST and MCP adapters can be tried with no cloud
//! account. Stops everything on Ctrl-C, SIGTERM, or when one of them exits.

use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn binary(root: &std::path::Path, name: &str) -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("debug").join(name)
}

pub fn run(root: &std::path::Path) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let packages = [
        "durable-functions-fake",
        "durable-orchestrations-server",
        "durable-entities-server",
        "durable-workflows-server",
    ];
    let mut build = Command::new(cargo);
    build.current_dir(root).arg("build");
    for package in packages {
        build.args(["-p", package]);
    }
    match build.status() {
        Ok(status) if status.success() => {}
        _ => {
            eprintln!("error: building the sandbox failed");
            return ExitCode::from(1);
        }
    }
    // A fresh key per run: the sandbox shows that it never leaves the servers.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|it| it.as_nanos())
        .unwrap_or_default();
    let key = format!("sandbox-{nanos:x}");
    let spawn = |name: &str, args: &[&str]| {
        Command::new(binary(root, name))
            .args(args)
            .env("DURABLE_FUNCTIONS_API_KEY", &key)
            .stdin(Stdio::null())
            .spawn()
    };
    let mut processes = Processes(Vec::new());
    let plan: [(&str, &[&str]); 4] = [
        (
            "durable-functions-fake",
            &["--addr", "127.0.0.1:7071", "--key", &key],
        ),
        (
            "durable-orchestrations-server",
            &[
                "--upstream-url",
                "http://127.0.0.1:7071",
                "--rest-addr",
                "127.0.0.1:8080",
                "--mcp-addr",
                "127.0.0.1:9090",
            ],
        ),
        (
            "durable-entities-server",
            &[
                "--upstream-url",
                "http://127.0.0.1:7071",
                "--rest-addr",
                "127.0.0.1:8081",
                "--mcp-addr",
                "127.0.0.1:9091",
            ],
        ),
        (
            "durable-workflows-server",
            &[
                "--upstream-url",
                "http://127.0.0.1:7071",
                "--rest-addr",
                "127.0.0.1:8082",
                "--mcp-addr",
                "127.0.0.1:9092",
            ],
        ),
    ];
    for (name, args) in plan {
        match spawn(name, args) {
            Ok(child) => processes.0.push(child),
            Err(err) => {
                eprintln!("error: cannot start {name}: {err}");
                return ExitCode::from(1);
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    eprintln!(
        "\nsandbox running (Ctrl-C stops it):
  test double of the Durable Functions API   http://127.0.0.1:7071/runtime/webhooks/durabletask (key {key})
  orchestrations REST                        http://127.0.0.1:8080/v1/runtime/webhooks/durabletask/instances
  orchestrations MCP                         http://127.0.0.1:9090/mcp
  entities REST                              http://127.0.0.1:8081/v1/runtime/webhooks/durabletask/entities/counter
  entities MCP                               http://127.0.0.1:9091/mcp
  workflows REST (orchestrated steps)        http://127.0.0.1:8082/v1/workflows/Echo (POST)
  workflows MCP                              http://127.0.0.1:9092/mcp

try:
  curl -X POST http://127.0.0.1:8080/v1/runtime/webhooks/durabletask/orchestrators/Echo -H 'content-type: application/json' -d '{{\"hello\":\"world\"}}'
"
    );
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("error: cannot wait for signals");
        return ExitCode::from(1);
    };
    // `processes` is dropped on every return below, which stops the children: a SIGTERM to this
    // process alone (not to its group, as Ctrl-C is) must not leave them running.
    runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut terminate), Ok(mut interrupt)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            eprintln!("error: cannot wait for signals");
            return ExitCode::from(1);
        };
        loop {
            tokio::select! {
                _ = terminate.recv() => return ExitCode::SUCCESS,
                _ = interrupt.recv() => return ExitCode::SUCCESS,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            for child in &mut processes.0 {
                if let Ok(Some(status)) = child.try_wait() {
                    eprintln!("a sandbox process exited ({status}); stopping");
                    return ExitCode::from(1);
                }
            }
        }
    })
}
