"""Processes and a mock upstream for the Naftiko capability tests.

`MockUpstream` is a real HTTP server on a free loopback port that answers from a route table and
records every request it receives (method, path, query, headers, body), so a test can check both
what the generated server sent upstream and what it answered. `run_server` starts a generated
server binary from `target/debug` with its upstream URLs, addresses and environment, waits until
its adapters listen, and stops it at the end of the `with` block.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import anyio
from mcp import Client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "naftiko" / "framework-tests" / "resources" / "schemas"
STARTUP_TIMEOUT = 30.0


def target_dir() -> Path:
    configured = os.environ.get("CARGO_TARGET_DIR")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else REPO / path
    return REPO / "target"


def binary(name: str) -> Path:
    path = target_dir() / "debug" / name
    if not os.access(path, os.X_OK):
        raise AssertionError(
            f"binary `{name}` not found at {path}: run `cargo build --workspace --bins` in {REPO}"
        )
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Recorded:
    """One request the mock upstream received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Recorded], Answer]


class MockUpstream:
    """An HTTP server answering `(method, path)` from `routes` (404 otherwise), recording requests."""

    def __init__(self, routes: dict[tuple[str, str], Answer | Route]):
        self.routes = routes
        self.requests: list[Recorded] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Recorded(
                    method=self.command,
                    path=parsed.path,
                    query=urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                upstream.requests.append(request)
                route = upstream.routes.get((self.command, parsed.path))
                if route is None:
                    answer = Answer(404, b'{"error":"not found"}')
                elif callable(route):
                    answer = route(request)
                else:
                    answer = route
                payload = answer.body.encode() if isinstance(answer.body, str) else answer.body
                self.send_response(answer.status)
                self.send_header("content-type", answer.content_type)
                self.send_header("content-length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "MockUpstream":
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()

    def last(self) -> Recorded:
        assert self.requests, "the upstream received no request"
        return self.requests[-1]


@dataclass
class Running:
    """A started generated server."""

    rest_url: str | None
    mcp_url: str | None
    popen: subprocess.Popen
    log: Path
    skill_url: str | None = None
    control_url: str | None = None

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def run_server(
    crate: str,
    upstreams: list[str] | None = None,
    *,
    flags: list[str] | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    rest: bool = True,
    mcp: bool = True,
    skill: bool = False,
    control: bool = False,
    log_dir: Path,
) -> Iterator[Running]:
    """Starts `crate` with `--upstream-url` (or the given per-API `flags`) and free addresses. A
    crate with a skill catalog serves it only with `skill`, one with a control adapter only with
    `control`."""
    rest_port, mcp_port, skill_port = free_port(), free_port(), free_port()
    control_port = free_port()
    argv = [str(binary(crate))]
    for url in upstreams or []:
        argv += ["--upstream-url", url]
    argv += flags or []
    argv += ["--rest-addr", f"127.0.0.1:{rest_port}", "--mcp-addr", f"127.0.0.1:{mcp_port}"]
    if not rest:
        argv.append("--no-rest")
    if not mcp:
        argv.append("--no-mcp")
    if skill:
        argv += ["--skill-addr", f"127.0.0.1:{skill_port}"]
    elif (REPO / "generated" / crate / "skills").is_dir():
        argv.append("--no-skill")
    if control:
        argv += ["--control-addr", f"127.0.0.1:{control_port}"]
    elif "no_control" in (REPO / "generated" / crate / "src" / "main.rs").read_text(encoding="utf-8"):
        argv.append("--no-control")
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
    environment["RUST_LOG"] = "debug"
    environment.update(env or {})
    log = log_dir / f"{crate}.{rest_port}.log"
    with open(log, "wb") as sink:
        popen = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, env=environment, cwd=cwd
        )
    running = Running(
        f"http://127.0.0.1:{rest_port}" if rest else None,
        f"http://127.0.0.1:{mcp_port}/mcp" if mcp else None,
        popen,
        log,
        f"http://127.0.0.1:{skill_port}" if skill else None,
        f"http://127.0.0.1:{control_port}" if control else None,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if popen.poll() is not None:
                raise AssertionError(f"{crate} exited with {popen.returncode}:\n{running.logs()}")
            up = (not rest or tcp_open(rest_port)) and (not mcp or tcp_open(mcp_port))
            up = up and (not control or tcp_open(control_port))
            if up and (not skill or tcp_open(skill_port)):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{crate} did not start:\n{running.logs()}")
            time.sleep(0.05)
        yield running
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=5)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def http(method: str, url: str, body=None, headers: dict[str, str] | None = None) -> Reply:
    data = None
    all_headers = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers.setdefault("content-type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def mcp_session(server, body, headers: dict[str, str] | None = None):
    """Runs `body(client)` in one session of the real Python MCP client; `server` is the MCP URL
    (streamable HTTP, with `headers` on every request) or `StdioServerParameters`."""

    async def main():
        target = server
        if headers:
            target = streamable_http_client(server, http_client=create_mcp_http_client(headers=headers))
        async with Client(target, cache=None) as client:
            return await body(client)

    return anyio.run(main)


def list_tools(url: str, headers: dict[str, str] | None = None):
    async def body(client):
        return await client.list_tools()

    return mcp_session(url, body, headers)


def call_tool(url: str, name: str, arguments: dict, headers: dict[str, str] | None = None):
    async def body(client):
        return await client.call_tool(name, arguments)

    return mcp_session(url, body, headers)


def text(result) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", None) == "text")
