"""Starting and stopping the two servers under test: Prism mocking the seed document, and the
Durable Functions fake (one process per profile). Both log to files (never to an undrained pipe)
and are stopped by their own process group id."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT / "specs" / "durable-functions"
SEED = SPEC_DIR / "openapi.yaml"
MANIFEST = SPEC_DIR / "capgen.toml"
# Binaries come from `$CARGO_TARGET_DIR/debug` when it is set (relative to the repository root), else `target/debug`.
_TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or "target")
_DEBUG = (_TARGET if _TARGET.is_absolute() else ROOT / _TARGET) / "debug"
CAPGEN = _DEBUG / "capgen"
FAKE = _DEBUG / "durable-functions-fake"
PRISM = ROOT / "tests" / "tools" / "node_modules" / ".bin" / "prism"
WEBHOOK = "/runtime/webhooks/durabletask"

PRISM_START_TIMEOUT = 60.0
FAKE_START_TIMEOUT = 15.0


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_executable(path: Path, how: str) -> None:
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise ServerError(f"{path} is missing or not executable; {how}")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)  # the group we created for it
        except ProcessLookupError:
            return
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)


def _spawn(name: str, argv: list[str], log: Path, env: dict[str, str] | None = None) -> Process:
    handle = open(log, "wb")
    try:
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    finally:
        handle.close()
    return Process(name, popen, log)


class PrismServer:
    """`prism mock <seed> -p PORT -h 127.0.0.1 --seed ...`, started at once, awaited lazily so
    its 5-10 s start-up overlaps the fake's tests."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.process: Process | None = None
        self.port = 0
        self.error: str | None = None
        self._ready = False
        self._attempts = 0
        try:
            require_executable(PRISM, "run `npm ci` in tests/tools (see tests/run.sh)")
            self._launch()
        except ServerError as error:
            self.error = str(error)

    def _launch(self) -> None:
        self._attempts += 1
        self.port = free_port()
        self.process = _spawn(
            "prism",
            [
                str(PRISM), "mock", str(SEED),
                "-p", str(self.port), "-h", "127.0.0.1",
                "--seed", "capgen-contract",
            ],
            self.log_dir / f"prism-{self._attempts}.log",
        )

    def base_url(self) -> str:
        """Waits until Prism listens; raises ServerError when it does not."""
        if self.error:
            raise ServerError(self.error)
        if not self._ready:
            self._wait()
        return f"http://127.0.0.1:{self.port}{WEBHOOK}"

    def _wait(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + PRISM_START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.process.log_text()
            if "Prism is listening" in text:
                self._ready = True
                return
            if self.process.popen.poll() is not None:
                if "EADDRINUSE" in text and self._attempts < 3:
                    self._launch()
                    deadline = time.monotonic() + PRISM_START_TIMEOUT
                    continue
                break
            time.sleep(0.1)
        self.stop()
        self.error = (
            f"Prism did not start within {PRISM_START_TIMEOUT:.0f} s "
            f"(exit code {self.process.popen.poll()}); log:\n{self.process.log_text()[-3000:]}"
        )
        raise ServerError(self.error)

    def stop(self) -> None:
        if self.process:
            self.process.stop()


class FakeServer:
    """`durable-functions-fake --addr 127.0.0.1:0 --key KEY --profile P`: the port is read from
    the line it prints once it listens."""

    LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)(/\S*)")

    def __init__(self, profile: str, key: str, log_dir: Path):
        self.profile = profile
        self.key = key
        self.log_dir = log_dir
        self.process: Process | None = None
        self._base_url: str | None = None
        self.error: str | None = None

    def base_url(self) -> str:
        if self.error:
            raise ServerError(self.error)
        if self._base_url is None:
            try:
                self._start()
            except ServerError as error:
                self.error = str(error)
                raise
        assert self._base_url is not None
        return self._base_url

    def _start(self) -> None:
        require_executable(FAKE, "build it with `cargo build --workspace --bins` (or -p durable-functions-fake)")
        self.process = _spawn(
            f"fake-{self.profile}",
            [str(FAKE), "--addr", "127.0.0.1:0", "--key", self.key, "--profile", self.profile],
            self.log_dir / f"fake-{self.profile}.log",
            env={"RUST_LOG": "warn", "NO_COLOR": "1"},
        )
        deadline = time.monotonic() + FAKE_START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.process.log_text()
            match = self.LISTENING.search(text)
            if match:
                if match.group(2).rstrip("/") != WEBHOOK:
                    raise ServerError(f"unexpected webhook path in {match.group(0)!r}")
                self._base_url = match.group(1) + WEBHOOK
                return
            if self.process.popen.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise ServerError(
            f"the fake ({self.profile}) did not start; log:\n{self.process.log_text()[-3000:]}"
        )

    def stop(self) -> None:
        if self.process:
            self.process.stop()


def bundle_document() -> dict:
    """`capgen bundle --manifest specs/durable-functions/capgen.toml` (JSON on stdout)."""
    import json

    require_executable(CAPGEN, "build it with `cargo build -p capgen`")
    result = subprocess.run(
        [str(CAPGEN), "bundle", "--manifest", str(MANIFEST.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise ServerError(
            f"capgen bundle failed ({result.returncode}):\n{result.stderr.decode(errors='replace')}"
        )
    return json.loads(result.stdout)


def seed_document() -> dict:
    import yaml

    with open(SEED, encoding="utf-8") as handle:
        return yaml.safe_load(handle)
