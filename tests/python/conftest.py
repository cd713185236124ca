"""Session fixtures: the Durable Functions fake and both generated servers, as real processes.

One fake upstream (`durable-functions-fake`, protected by a random `--key`) and the two generated
servers (`durable-orchestrations-server`, `durable-entities-server`) pointed at it, each on free
loopback ports, with the key in `DURABLE_FUNCTIONS_API_KEY`. Their stderr goes to files (see
`Proc.stderr_path`) so tests can inspect the logs; they are stopped when the session ends.

Binaries come from `$CARGO_TARGET_DIR/debug` (relative paths are taken from the repository root)
or `<repo>/target/debug`; build them with `cargo build --workspace --bins`. A missing binary fails
the session instead of skipping it.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KEY_ENV = "DURABLE_FUNCTIONS_API_KEY"
STARTUP_TIMEOUT = 30.0


def target_dir() -> Path:
    configured = os.environ.get("CARGO_TARGET_DIR")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else REPO / path
    return REPO / "target"


def binary(name: str) -> Path:
    """The path of a built binary; fails (never skips) when it is missing."""
    path = target_dir() / "debug" / name
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"binary `{name}` not found at {path}: run `cargo build --workspace --bins` in {REPO} "
            "(or point CARGO_TARGET_DIR at the build directory)",
            pytrace=False,
        )
    return path


BINARIES = (
    "durable-functions-fake",
    "durable-orchestrations-server",
    "durable-entities-server",
    "durable-workflows-server",
)


def pytest_sessionstart(session) -> None:
    """Stops the whole run, failing, when a binary is missing (one clear message, not one error
    per test)."""
    missing = [
        str(target_dir() / "debug" / name)
        for name in BINARIES
        if not os.access(target_dir() / "debug" / name, os.X_OK)
    ]
    if missing:
        pytest.exit(
            f"missing binaries: {', '.join(missing)}; run `cargo build --workspace --bins` in {REPO} "
            "(or point CARGO_TARGET_DIR at the build directory)",
            returncode=pytest.ExitCode.TESTS_FAILED,
        )


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (all sockets held open until every port is chosen)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def make_key() -> str:
    """A long random secret shaped like an Azure Functions key (base64 alphabet with `/`, `+`, `=`),
    so leaks in raw and in percent-encoded form can both be looked for."""
    return f"{secrets.token_hex(16)}/{secrets.token_hex(8)}+{secrets.token_hex(8)}=="


def key_forms(key: str) -> list[str]:
    """The spellings a leaked key could have on the wire or in a log."""
    forms = {
        key,
        urllib.parse.quote(key, safe=""),
        urllib.parse.quote_plus(key),
        urllib.parse.quote(key),
    }
    return sorted(forms)


def tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class Proc:
    """A started process and where its output goes."""

    name: str
    popen: subprocess.Popen
    stderr_path: Path
    stdout_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.stderr().splitlines()[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


class PortTaken(Exception):
    """The process could not bind its port (another process took it after `free_ports`)."""


def start(name: str, argv: list[str], env: dict[str, str], log_dir: Path, ready, cwd: Path | None = None) -> Proc:
    """Starts `argv` (in `cwd`, by default this one) and waits (polling) until `ready()` holds; fails with the stderr tail if the
    process exits or does not become ready in time (raises `PortTaken` when it exits because its
    address is in use, so that the caller can retry on other ports)."""
    stderr_path = log_dir / f"{name}.stderr.log"
    stdout_path = log_dir / f"{name}.stdout.log"
    with open(stderr_path, "wb") as err, open(stdout_path, "wb") as out:
        popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd)
    proc = Proc(name, popen, stderr_path, stdout_path)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            if "address already in use" in proc.stderr().lower():
                raise PortTaken(name)
            pytest.fail(
                f"{name} exited with status {popen.returncode} during start-up:\n{proc.tail()}",
                pytrace=False,
            )
        if ready():
            return proc
        time.sleep(0.05)
    proc.stop()
    pytest.fail(f"{name} did not become ready within {STARTUP_TIMEOUT}s:\n{proc.tail()}", pytrace=False)


def start_on_free_ports(count: int, launch):
    """`launch(ports)` with `count` free ports, retried on other ports if one was taken meanwhile."""
    for attempt in range(3):
        try:
            return launch(free_ports(count))
        except PortTaken:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass
class Server:
    """One generated server: its REST and MCP endpoints and its committed tool table."""

    name: str
    rest_url: str
    mcp_url: str
    mcp_port: int
    proc: Proc

    @property
    def tools_json(self) -> dict:
        return json.loads((REPO / "generated" / self.name / "mcp-tools.json").read_text(encoding="utf-8"))

    @property
    def openapi_url(self) -> str:
        return f"{self.rest_url}/openapi.json"


@dataclass
class Stack:
    key: str
    fake_url: str
    fake: Proc
    orchestrations: Server
    entities: Server
    log_dir: Path

    @property
    def servers(self) -> list[Server]:
        return [self.orchestrations, self.entities]

    def server(self, name: str) -> Server:
        return {s.name: s for s in self.servers}[name]


def server_env(key: str) -> dict[str, str]:
    env = dict(os.environ)
    env[KEY_ENV] = key
    # Debug level, so that the log leak check also covers what an operator sees when debugging.
    env["RUST_LOG"] = os.environ.get("CAPGEN_TEST_RUST_LOG", "debug")
    env.pop("UPSTREAM_URL", None)
    env.pop("APP_NAME", None)
    env.pop("PUBLIC_URL", None)
    return env


def start_server(name: str, fake_url: str, key: str, log_dir: Path) -> Server:
    return start_on_free_ports(2, lambda ports: launch_server(name, fake_url, key, log_dir, *ports))


def launch_server(name: str, fake_url: str, key: str, log_dir: Path, rest_port: int, mcp_port: int) -> Server:
    argv = [
        str(binary(name)),
        "--upstream-url",
        fake_url,
        "--rest-addr",
        f"127.0.0.1:{rest_port}",
        "--mcp-addr",
        f"127.0.0.1:{mcp_port}",
    ]
    rest_url = f"http://127.0.0.1:{rest_port}"
    proc = start(
        name,
        argv,
        server_env(key),
        log_dir,
        lambda: http_ok(f"{rest_url}/healthz") and tcp_open(mcp_port),
    )
    return Server(name, rest_url, f"http://127.0.0.1:{mcp_port}/mcp", mcp_port, proc)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    # Resolve every binary first, so a missing one fails before anything is started.
    for name in BINARIES:
        binary(name)
    log_dir = tmp_path_factory.mktemp("logs")
    key = make_key()
    fake_env = dict(os.environ)
    fake_env.pop(KEY_ENV, None)

    def launch_fake(ports: list[int]) -> tuple[Proc, str]:
        argv = [str(binary("durable-functions-fake")), "--addr", f"127.0.0.1:{ports[0]}", "--key", key]
        proc = start("durable-functions-fake", argv, fake_env, log_dir, lambda: tcp_open(ports[0]))
        return proc, f"http://127.0.0.1:{ports[0]}"

    started: list[Proc] = []
    try:
        fake, fake_url = start_on_free_ports(1, launch_fake)
        started.append(fake)
        orchestrations = start_server("durable-orchestrations-server", fake_url, key, log_dir)
        started.append(orchestrations.proc)
        entities = start_server("durable-entities-server", fake_url, key, log_dir)
        started.append(entities.proc)
        yield Stack(key, fake_url, fake, orchestrations, entities, log_dir)
    finally:
        for proc in reversed(started):
            proc.stop()


@pytest.fixture(scope="session")
def orch(stack: Stack) -> Server:
    return stack.orchestrations


@pytest.fixture(scope="session")
def ent(stack: Stack) -> Server:
    return stack.entities


@pytest.fixture(params=["auto", "legacy"])
def mode(request) -> str:
    """The Python `mcp` client's negotiation mode: "auto" negotiates 2026-07-28 with rmcp,
    "legacy" the 2025-11-25 initialize handshake."""
    return request.param
