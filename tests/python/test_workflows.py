"""capgen's own orchestrated capability (`specs/durable-functions/workflows.naftiko.yaml`), end to
end against the Durable Functions test double: one request starts an orchestration (step `start`),
reads the new instance's status (step `status`, which reads `{{start.id}}`), and maps both into one
answer, over REST and over MCP in both protocol eras."""

from __future__ import annotations

import pytest

from conftest import Server, key_forms, launch_server, start_on_free_ports
from http_helpers import request
from mcp_helpers import assert_ok, with_client

SERVER = "durable-workflows-server"


@pytest.fixture(scope="module")
def workflows(stack) -> Server:
    server = start_on_free_ports(2, lambda ports: launch_server(SERVER, stack.fake_url, stack.key, stack.log_dir, *ports))
    yield server
    server.proc.stop()


def assert_no_key(stack, body: bytes) -> None:
    for form in key_forms(stack.key):
        assert form.encode() not in body


def test_rest_starts_reads_and_maps_in_one_request(stack, workflows):
    reply = request("POST", f"{workflows.rest_url}/v1/workflows/Echo", {"order": 42, "items": ["a", "b"]})
    assert reply.status == 200, reply.text()
    assert reply.header("content-type") == "application/json"
    answer = reply.json()
    assert set(answer) == {"instanceId", "orchestrator", "runtimeStatus", "input", "createdTime", "links"}
    # `orchestrator` and `runtimeStatus` come from the status step, which used the start step's id.
    assert answer["orchestrator"] == "Echo"
    assert answer["runtimeStatus"] in {"Pending", "Running", "Completed"}
    assert answer["input"] == {"order": 42, "items": ["a", "b"]}
    assert len(answer["instanceId"]) == 32
    # The upstream's management URL is moved onto this server's own status route, without the key.
    link = answer["links"]["status"]
    assert link.startswith(f"{workflows.rest_url}/v1/workflows/instances/{answer['instanceId']}"), link
    assert_no_key(stack, reply.body)
    assert stack.fake_url not in reply.text()
    followed = request("GET", link)
    assert followed.status == 200, followed.text()
    assert followed.json()["instanceId"] == answer["instanceId"]
    assert_no_key(stack, followed.body)


def test_rest_a_failing_step_is_a_problem_naming_it(stack, workflows, tmp_path):
    # A server holding the wrong key: the upstream refuses the first step.
    wrong = start_on_free_ports(2, lambda ports: launch_server(SERVER, stack.fake_url, "not-the-key", tmp_path, *ports))
    try:
        reply = request("POST", f"{wrong.rest_url}/v1/workflows/Echo", {"x": 1})
    finally:
        wrong.proc.stop()
    assert reply.header("content-type") == "application/problem+json"
    problem = reply.json()
    assert reply.status == 401 and problem["status"] == 401
    assert problem["step"] == "start"
    assert problem["upstreamStatus"] == 401
    assert "durable.start-orchestration" in problem["detail"]
    assert b"not-the-key" not in reply.body


def test_rest_input_is_validated_before_any_step(workflows):
    reply = request("POST", f"{workflows.rest_url}/v1/workflows/Echo", b"[1, 2]", {"content-type": "application/json"})
    assert reply.status == 400, reply.text()
    assert reply.header("content-type") == "application/problem+json"
    assert reply.json()["parameter"] == "input"


def test_openapi_describes_the_mapped_answer(workflows):
    document = request("GET", workflows.openapi_url).json()
    operation = document["paths"]["/v1/workflows/{functionName}"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["type"] == "object"
    assert schema["properties"]["links"]["properties"]["status"] == {"type": ["string", "null"]}


def test_mcp_tool_runs_the_steps(stack, workflows, mode):
    tools = workflows.tools_json["tools"]
    tool = next(it for it in tools if it["name"] == "start-and-read-status")
    assert tool["inputSchema"]["required"] == ["functionName"]

    async def body(client):
        return await client.call_tool("start-and-read-status", {"functionName": "Echo", "input": {"mode": mode}})

    result = with_client(workflows.mcp_url, mode, body)
    assert_ok(result)
    content = result.structured_content
    assert content["input"] == {"mode": mode}
    assert content["runtimeStatus"] in {"Pending", "Running", "Completed"}
    assert len(content["instanceId"]) == 32
