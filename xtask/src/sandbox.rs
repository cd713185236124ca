//! `cargo xtask sandbox`: the local sandbox. Starts the Durable Functions test double and both
//! generated servers against it, so the REST and MCP adapters can be tried with no cloud
//! account. Stops everything on Ctrl-C.

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
    let plan: [(&str, &[&str]); 3] = [
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

try:
  curl -X POST http://127.0.0.1:8080/v1/runtime/webhooks/durabletask/orchestrators/Echo -H 'content-type: application/json' -d '{{\"hello\":\"world\"}}'
"
    );
    loop {
        for child in &mut processes.0 {
            if let Ok(Some(status)) = child.try_wait() {
                eprintln!("a sandbox process exited ({status}); stopping");
                return ExitCode::from(1);
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
