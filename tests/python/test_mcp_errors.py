"""Argument validation (isError listing every problem, nothing sent upstream) and unknown tools
(a JSON-RPC error, which the client raises), in both protocol eras."""

from __future__ import annotations

import pytest
from mcp import MCPError

from mcp_helpers import text, unique, with_client


def call(url, mode, name, arguments):
    async def body(client):
        return await client.call_tool(name, arguments)

    return with_client(url, mode, body)


def invalid(result, tool: str) -> str:
    assert result.is_error, f"expected isError, got {result}"
    assert result.structured_content is None
    message = text(result)
    assert message.startswith(f"Invalid arguments for `{tool}`:"), message
    return message


def test_wrong_type_is_listed(orch, mode):
    message = invalid(call(orch.mcp_url, mode, "list-instances", {"top": "ten"}), "list-instances")
    assert '/top: "ten" is not of type "integer"' in message


def test_missing_required_is_listed(orch, mode):
    message = invalid(call(orch.mcp_url, mode, "get-instance-status", {}), "get-instance-status")
    assert '"instanceId" is a required property' in message


def test_unknown_property_is_listed(orch, mode):
    message = invalid(
        call(orch.mcp_url, mode, "get-instance-status", {"instanceId": "x", "verbose": True}), "get-instance-status"
    )
    assert "'verbose' was unexpected" in message


def test_enum_violation_inside_an_array_is_listed(orch, mode):
    message = invalid(call(orch.mcp_url, mode, "list-instances", {"runtimeStatus": ["Sleeping"]}), "list-instances")
    assert "/runtimeStatus/0" in message and "Sleeping" in message


def test_every_problem_is_listed_once_per_line(orch, mode):
    message = invalid(
        call(orch.mcp_url, mode, "raise-event", {"instanceId": 7, "eventName": "Go", "extra": 1}), "raise-event"
    )
    problems = [line[2:] for line in message.splitlines()[1:]]
    assert all(line.startswith("- ") for line in message.splitlines()[1:]), message
    assert len(problems) == 3, message
    assert any('"body" is a required property' in p for p in problems), message
    assert any(p.startswith("/instanceId: 7 is not of type") for p in problems), message
    assert any("'extra' was unexpected" in p for p in problems), message


def test_invalid_arguments_are_not_sent_upstream(orch, mode):
    """A start with an unknown extra argument must not start anything."""
    instance_id = unique("never")

    async def body(client):
        rejected = await client.call_tool(
            "start-orchestration-explicit-instance-id",
            {"functionName": "Echo", "instanceId": instance_id, "unexpected": True},
        )
        status = await client.call_tool("get-instance-status", {"instanceId": instance_id})
        return rejected, status

    rejected, status = with_client(orch.mcp_url, mode, body)
    invalid(rejected, "start-orchestration-explicit-instance-id")
    assert status.is_error and "HTTP 404" in text(status)


def test_entities_missing_required_arguments_are_listed(ent, mode):
    message = invalid(call(ent.mcp_url, mode, "get-entity", {"entityName": 1}), "get-entity")
    assert '"entityKey" is a required property' in message
    assert '/entityName: 1 is not of type "string"' in message


@pytest.mark.parametrize("server", ["durable-orchestrations-server", "durable-entities-server"])
def test_unknown_tool_is_a_json_rpc_error(stack, server, mode):
    async def body(client):
        with pytest.raises(MCPError) as raised:
            await client.call_tool("no-such-tool", {})
        return raised.value

    error = with_client(stack.server(server).mcp_url, mode, body)
    assert "no-such-tool" in str(error)
    assert error.error.code == -32602
