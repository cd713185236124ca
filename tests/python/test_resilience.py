"""Resilience against a struggling upstream (a scripted HTTP server here, not the fake): idempotent
requests are tried again after 503 + `Retry-After` (the wait honoured) and after refused
connections, never after a timeout or for a POST; a `Retry-After` beyond the limit is passed back
at once; past `--max-in-flight` the server sheds load with 503 problem+json and `Retry-After`."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import binary, free_ports, http_ok, server_env, start
from http_helpers import request

STATUS = "/v1/runtime/webhooks/durabletask/instances/abc"
RAISE = "/v1/runtime/webhooks/durabletask/instances/abc/raiseevent/go"


class Script:
    """Answers in order (status, headers, delay in seconds); the last one repeats. Records when
    each request arrived."""

    def __init__(self, *answers: tuple[int, dict[str, str], float]):
        self.answers = list(answers)
        self.arrivals: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    def next(self, method: str) -> tuple[int, dict[str, str], float]:
        with self.lock:
            self.arrivals.append((method, time.monotonic()))
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def upstream():
    """A scripted upstream: set `.script` before sending."""
    holder: dict[str, Script] = {}

    class Handler(BaseHTTPRequestHandler):
        def answer(self):
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            status, headers, delay = holder["script"].next(self.command)
            time.sleep(delay)
            body = json.dumps({"runtimeStatus": "Running"}).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    holder["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield holder
    server.shutdown()


def launch(stack, url: str, *flags: str):
    rest, mcp = free_ports(2)
    argv = [
        str(binary("durable-orchestrations-server")),
        "--upstream-url",
        url,
        "--rest-addr",
        f"127.0.0.1:{rest}",
        "--mcp-addr",
        f"127.0.0.1:{mcp}",
        *flags,
    ]
    base = f"http://127.0.0.1:{rest}"
    proc = start("resilience", argv, server_env(stack.key), stack.log_dir, lambda: http_ok(f"{base}/healthz"))
    return proc, base


def test_a_503_with_retry_after_is_waited_for_and_tried_again(stack, upstream):
    upstream["script"] = script = Script((503, {"Retry-After": "1"}, 0), (200, {}, 0))
    proc, base = launch(stack, upstream["url"])
    try:
        answer = request("GET", base + STATUS)
        assert answer.status == 200, answer.text()
        assert len(script.arrivals) == 2
        waited = script.arrivals[1][1] - script.arrivals[0][1]
        assert waited >= 0.95, waited
    finally:
        proc.stop()


def test_a_wait_beyond_the_limit_is_passed_back_at_once(stack, upstream):
    upstream["script"] = script = Script((503, {"Retry-After": "3600"}, 0))
    proc, base = launch(stack, upstream["url"])
    try:
        answer = request("GET", base + STATUS)
        assert answer.status == 503
        assert len(script.arrivals) == 1
    finally:
        proc.stop()


def test_retries_stop_after_the_configured_count(stack, upstream):
    upstream["script"] = script = Script((502, {}, 0))
    proc, base = launch(stack, upstream["url"], "--upstream-retries", "3")
    try:
        assert request("GET", base + STATUS).status == 502
        assert len(script.arrivals) == 4
    finally:
        proc.stop()


def test_a_post_is_never_sent_twice(stack, upstream):
    upstream["script"] = script = Script((503, {"Retry-After": "0"}, 0))
    proc, base = launch(stack, upstream["url"])
    try:
        assert request("POST", base + RAISE, {"x": 1}).status == 503
        assert [method for method, _ in script.arrivals] == ["POST"]
    finally:
        proc.stop()


def test_a_timeout_is_not_retried(stack, upstream):
    upstream["script"] = script = Script((200, {}, 2.5))
    proc, base = launch(stack, upstream["url"], "--upstream-timeout", "1")
    try:
        answer = request("GET", base + STATUS)
        assert answer.status == 504
        assert answer.header("content-type") == "application/problem+json"
        assert len(script.arrivals) == 1
    finally:
        proc.stop()


def test_refused_connections_are_tried_again_then_502(stack):
    closed = free_ports(1)[0]
    proc, base = launch(stack, f"http://127.0.0.1:{closed}", "--upstream-retries", "2")
    try:
        answer = request("GET", base + STATUS)
        assert answer.status == 502
        metrics = request("GET", base + "/metrics").text()
        assert 'upstream_errors_total{kind="connect"} 3' in metrics, metrics
    finally:
        proc.stop()


def test_load_beyond_max_in_flight_is_shed_with_503_and_retry_after(stack, upstream):
    upstream["script"] = Script((200, {}, 1.5))
    proc, base = launch(stack, upstream["url"], "--max-in-flight", "2")
    try:
        answers = []

        def call():
            answers.append(request("GET", base + STATUS))

        threads = [threading.Thread(target=call) for _ in range(5)]
        for thread in threads:
            thread.start()
            time.sleep(0.05)
        for thread in threads:
            thread.join()
        statuses = sorted(answer.status for answer in answers)
        assert statuses == [200, 200, 503, 503, 503], statuses
        shed = next(answer for answer in answers if answer.status == 503)
        assert shed.header("retry-after") == "1"
        assert shed.header("content-type") == "application/problem+json"
        # Once the slow calls are done, the server answers again.
        assert request("GET", base + STATUS).status == 200
    finally:
        proc.stop()
