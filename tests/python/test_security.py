"""Security: MCP requests from a foreign Origin are refused (403), and the upstream key (the fake's
`--key`, given to the servers in `DURABLE_FUNCTIONS_API_KEY`) never leaves the servers: not in
tool results, not in REST bodies or headers, not in the servers' stderr logs. Neither does the
upstream's own address (scheme, host and port) reach a client."""

from __future__ import annotations

import json

import pytest

from conftest import key_forms
from http_helpers import request
from mcp_helpers import unique, with_client

SERVERS = ["durable-orchestrations-server", "durable-entities-server"]
LEGACY_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "pytest", "version": "0"},
    },
}
MODERN_TOOLS_LIST = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/list",
    "params": {
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "pytest", "version": "0"},
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    },
}
ACCEPT = "application/json, text/event-stream"


def legacy_initialize(url: str, **headers: str):
    return request("POST", url, LEGACY_INITIALIZE, {"Accept": ACCEPT, **headers})


def modern_tools_list(url: str, **headers: str):
    return request(
        "POST",
        url,
        MODERN_TOOLS_LIST,
        {"Accept": ACCEPT, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list", **headers},
    )


def assert_no_key(stack, where: str, text: str) -> None:
    """Neither the key (plain or percent-encoded) nor the upstream's scheme, host and port."""
    for form in key_forms(stack.key):
        assert form not in text, f"the upstream key ({form!r}) leaked into {where}"
    upstream = stack.fake_url.rstrip("/").lower()
    assert upstream not in text.lower(), f"the upstream's address ({upstream}) leaked into {where}"


# --- Origin / Host validation -----------------------------------------------------------------


@pytest.mark.parametrize("server", SERVERS)
def test_initialize_from_a_foreign_origin_is_403(stack, server):
    response = legacy_initialize(stack.server(server).mcp_url, Origin="http://evil.example")
    assert response.status == 403, response.text()


@pytest.mark.parametrize("server", SERVERS)
def test_modern_request_from_a_foreign_origin_is_403(stack, server):
    response = modern_tools_list(stack.server(server).mcp_url, Origin="http://evil.example")
    assert response.status == 403, response.text()


@pytest.mark.parametrize("server", SERVERS)
def test_initialize_from_the_loopback_origin_is_accepted(stack, server):
    """The control for the 403s above: the same request from a loopback origin succeeds."""
    target = stack.server(server)
    response = legacy_initialize(target.mcp_url, Origin=f"http://127.0.0.1:{target.mcp_port}")
    assert response.status == 200, response.text()
    assert response.header("mcp-session-id")


@pytest.mark.parametrize("server", SERVERS)
def test_modern_request_without_origin_is_accepted(stack, server):
    response = modern_tools_list(stack.server(server).mcp_url)
    assert response.status == 200, response.text()
    assert "tools" in response.text()


@pytest.mark.parametrize("server", SERVERS)
def test_foreign_host_header_is_403(stack, server):
    response = legacy_initialize(stack.server(server).mcp_url, Host="evil.example")
    assert response.status == 403, response.text()


# --- the key never leaves the servers ---------------------------------------------------------


def test_key_is_in_no_orchestration_tool_result(stack, orch, mode):
    results = []

    async def body(client):
        async def call(name, args):
            results.append((name, await client.call_tool(name, args)))

        running = unique("leak-run")
        await call("start-orchestration", {"functionName": "Echo", "body": {"a": 1}})
        await call("start-orchestration-explicit-instance-id", {"functionName": "WaitForEvent", "instanceId": running})
        await call("get-instance-status", {"instanceId": running, "showHistory": True})
        await call("list-instances", {"top": 5})
        await call("list-instances", {"x-ms-continuation-token": "not-a-token"})  # upstream 500
        await call("raise-event", {"instanceId": running, "eventName": "x", "body": 1})
        await call("suspend-instance", {"instanceId": running})
        await call("suspend-instance", {"instanceId": running})  # upstream 500 with a stack trace
        await call("resume-instance", {"instanceId": running})
        await call("rewind-instance-preview", {"instanceId": running})  # upstream 412
        await call("terminate-instance", {"instanceId": running, "reason": "done"})
        await call("get-instance-status", {"instanceId": unique("missing")})  # upstream 404
        await call("purge-single-instance-history", {"instanceId": running})
        hub = unique("LeakHub").replace("-", "")
        await call("start-orchestration", {"functionName": "Echo", "body": 1, "taskHub": hub})
        await call("purge-multiple-instance-histories", {"createdTimeFrom": "2000-01-01T00:00:00Z", "taskHub": hub})
        await call("start-orchestration", {"functionName": "Echo", "body": "x", "taskHub": "bad hub!"})

    with_client(orch.mcp_url, mode, body)
    assert len(results) == 16
    for name, result in results:
        assert_no_key(stack, f"the result of {name}", json.dumps(result.model_dump(by_alias=True, mode="json")))


def test_key_is_in_no_entity_tool_result(stack, ent, mode):
    results = []

    async def body(client):
        key = unique("leak")
        for name, args in [
            ("signal-entity", {"entityName": "counter", "entityKey": key, "op": "add", "body": 1}),
            ("get-entity", {"entityName": "counter", "entityKey": key}),
            ("get-entity", {"entityName": "counter", "entityKey": unique("missing")}),
            ("list-entities", {"entityName": "counter", "fetchState": True}),
            ("signal-entity", {"entityName": "nosuch", "entityKey": key}),  # upstream 400
        ]:
            results.append((name, await client.call_tool(name, args)))

    with_client(ent.mcp_url, mode, body)
    for name, result in results:
        assert_no_key(stack, f"the result of {name}", json.dumps(result.model_dump(by_alias=True, mode="json")))


def rest_traffic(stack) -> list:
    """REST calls covering URL-bearing bodies and headers (202 start with Location, 202 status with
    Location, list with a continuation token) and upstream errors."""
    orch = stack.orchestrations.rest_url + "/v1/runtime/webhooks/durabletask"
    ent = stack.entities.rest_url + "/v1/runtime/webhooks/durabletask"
    running = unique("rest-leak")
    calls = [
        ("POST", f"{orch}/orchestrators/Echo", {"in": 1}),
        ("POST", f"{orch}/orchestrators/WaitForEvent/{running}", None),
        ("GET", f"{orch}/instances/{running}?showHistory=true", None),
        ("GET", f"{orch}/instances?top=1", None),
        ("GET", f"{orch}/instances/{unique('missing')}", None),
        ("POST", f"{orch}/instances/{running}/suspend", None),
        ("POST", f"{orch}/instances/{running}/suspend", None),
        ("POST", f"{orch}/instances/{running}/rewind", None),
        ("POST", f"{orch}/instances/{running}/terminate?reason=x", None),
        ("DELETE", f"{orch}/instances/{running}", None),
        ("POST", f"{ent}/entities/counter/{running}?op=add", 1),
        ("GET", f"{ent}/entities/counter/{running}", None),
        ("GET", f"{ent}/entities/counter", None),
        ("POST", f"{ent}/entities/nosuch/{running}", None),
    ]
    return [(method, url, request(method, url, body)) for method, url, body in calls]


def test_key_is_in_no_rest_response(stack):
    responses = rest_traffic(stack)
    statuses = [response.status for _, _, response in responses]
    assert statuses == [202, 202, 202, 200, 404, 202, 500, 412, 202, 200, 202, 200, 200, 400], statuses
    for method, url, response in responses:
        where = f"the response to {method} {url}"
        assert_no_key(stack, f"{where} (body)", response.text())
        assert_no_key(stack, f"{where} (headers)", json.dumps(response.headers))


def test_rest_management_urls_point_at_the_rest_adapter(stack):
    base = stack.orchestrations.rest_url
    response = request("POST", f"{base}/v1/runtime/webhooks/durabletask/orchestrators/Echo", {"x": 1})
    assert response.status == 202
    started = response.json()
    assert response.header("Location") == started["statusQueryGetUri"]
    assert started["statusQueryGetUri"].startswith(f"{base}/v1/runtime/webhooks/durabletask/instances/")


@pytest.mark.parametrize("server", SERVERS)
def test_key_is_in_no_server_log_line(stack, server):
    # Traffic first, so that the logs hold request lines for both adapters, errors included.
    rest_traffic(stack)
    target = stack.server(server)
    with_client(target.mcp_url, "legacy", lambda client: client.list_tools())
    log = target.proc.stderr()
    assert log.strip(), "the server logged nothing"
    for number, line in enumerate(log.splitlines(), start=1):
        assert_no_key(stack, f"{target.proc.stderr_path} line {number}", line)
