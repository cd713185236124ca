"""Metrics: `/metrics` on the REST port is OpenMetrics text (read here with the official Python
Prometheus client's parser) that counts REST requests by route template, method and status,
upstream exchanges and their failures by kind, and MCP tool calls by tool and `isError`; it names
neither the upstream's address nor its key; `--no-metrics` turns it off."""

from __future__ import annotations

import uuid

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import binary, free_ports, http_ok, key_forms, launch_server, server_env, start, start_on_free_ports
from http_helpers import request
from mcp_helpers import call_tool

STATUS_ROUTE = "/v1/runtime/webhooks/durabletask/instances/{instanceid}"


def scrape(server) -> dict[str, list]:
    """The samples of `/metrics` by metric family name."""
    response = request("GET", f"{server.rest_url}/metrics")
    assert response.status == 200, response.text()
    assert (response.header("content-type") or "").startswith("application/openmetrics-text"), response.headers
    return {family.name: family.samples for family in text_string_to_metric_families(response.text())}


def value(samples: dict[str, list], sample_name: str, **labels: str) -> float:
    """The value of the sample `sample_name` with exactly these labels (0 when absent)."""
    family = sample_name.removesuffix("_total").removesuffix("_count").removesuffix("_info")
    for sample in samples.get(family, []):
        if sample.name == sample_name and sample.labels == labels:
            return sample.value
    return 0.0


def test_rest_requests_and_upstream_exchanges_are_counted(orch):
    before = scrape(orch)
    for _ in range(3):
        missing = request("GET", f"{orch.rest_url}/v1/runtime/webhooks/durabletask/instances/{uuid.uuid4().hex}")
        assert missing.status == 404, missing.text()
    after = scrape(orch)
    labels = {"route": STATUS_ROUTE, "method": "GET", "status": "404"}
    assert value(after, "http_requests_total", **labels) - value(before, "http_requests_total", **labels) == 3
    route = {"route": STATUS_ROUTE, "method": "GET"}
    took = value(after, "http_request_duration_seconds_count", **route)
    assert took - value(before, "http_request_duration_seconds_count", **route) == 3
    sent = value(after, "upstream_request_duration_seconds_count", method="GET")
    assert sent - value(before, "upstream_request_duration_seconds_count", method="GET") >= 3
    assert value(after, "http_requests_in_flight") == 0
    build = [s for s in after["build"] if s.name == "build_info"]
    assert build and build[0].labels["server"] == "durable-orchestrations-server", build


def test_tool_calls_are_counted_by_tool_and_error(orch):
    before = scrape(orch)
    ok = call_tool(orch.mcp_url, "auto", "get-instance-status", {"instanceId": uuid.uuid4().hex})
    bad = call_tool(orch.mcp_url, "auto", "get-instance-status", {})
    assert bad.is_error
    after = scrape(orch)
    for is_error in ("true", "false"):
        expected = int(bad.is_error) if is_error == "true" else int(not bad.is_error)
        expected += int(ok.is_error) if is_error == "true" else int(not ok.is_error)
        labels = {"tool": "get-instance-status", "is_error": is_error}
        got = value(after, "mcp_tool_calls_total", **labels) - value(before, "mcp_tool_calls_total", **labels)
        assert got == expected, (is_error, got, expected)


def test_upstream_failures_are_counted_by_kind_and_nothing_upstream_is_named(stack):
    closed = free_ports(1)[0]
    dead_upstream = f"http://127.0.0.1:{closed}"
    server = start_on_free_ports(
        2,
        lambda ports: launch_server(
            "durable-orchestrations-server", dead_upstream, stack.key, stack.log_dir, *ports
        ),
    )
    try:
        answer = request("GET", f"{server.rest_url}/v1/runtime/webhooks/durabletask/instances/x")
        assert answer.status == 502, answer.text()
        samples = scrape(server)
        # One try and the two retries of the default `--upstream-retries` (a GET).
        assert value(samples, "upstream_errors_total", kind="connect") == 3
        labels = {"route": STATUS_ROUTE, "method": "GET", "status": "502"}
        assert value(samples, "http_requests_total", **labels) == 1
        text = request("GET", f"{server.rest_url}/metrics").text()
        assert str(closed) not in text
        assert all(form not in text for form in key_forms(stack.key))
    finally:
        server.proc.stop()


def test_no_metrics_turns_the_endpoint_off(stack):
    rest_port, mcp_port = free_ports(2)
    argv = [
        str(binary("durable-orchestrations-server")),
        "--upstream-url",
        stack.fake_url,
        "--rest-addr",
        f"127.0.0.1:{rest_port}",
        "--mcp-addr",
        f"127.0.0.1:{mcp_port}",
        "--no-metrics",
    ]
    rest_url = f"http://127.0.0.1:{rest_port}"
    proc = start("no-metrics", argv, server_env(stack.key), stack.log_dir, lambda: http_ok(f"{rest_url}/healthz"))
    try:
        answer = request("GET", f"{rest_url}/metrics")
        assert answer.status == 404
        assert answer.header("content-type") == "application/problem+json"
    finally:
        proc.stop()
