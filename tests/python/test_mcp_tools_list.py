"""tools/list of both servers, through the real Python `mcp` client in both protocol eras, equals
the committed `generated/<server>/mcp-tools.json` (names, titles, descriptions, input and output
schemas, annotations, and order)."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from mcp_helpers import with_client

SERVERS = ["durable-orchestrations-server", "durable-entities-server"]


def listed_tools(url: str, mode: str) -> list[dict]:
    async def body(client):
        result = await client.list_tools()
        assert result.next_cursor is None, "the whole table fits in one page"
        return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in result.tools]

    return with_client(url, mode, body)


@pytest.mark.parametrize("server", SERVERS)
def test_tool_names_and_order_match_the_committed_table(stack, server, mode):
    committed = [tool["name"] for tool in stack.server(server).tools_json["tools"]]
    listed = [tool["name"] for tool in listed_tools(stack.server(server).mcp_url, mode)]
    assert listed == committed


@pytest.mark.parametrize("server", SERVERS)
def test_tools_equal_the_committed_table(stack, server, mode):
    committed = stack.server(server).tools_json["tools"]
    listed = listed_tools(stack.server(server).mcp_url, mode)
    assert {t["name"]: t for t in listed} == {t["name"]: t for t in committed}


def test_orchestrations_server_lists_eleven_tools(orch):
    assert len(orch.tools_json["tools"]) == 12


def test_entities_server_lists_three_tools(ent):
    assert [t["name"] for t in ent.tools_json["tools"]] == ["list-entities", "get-entity", "signal-entity"]


@pytest.mark.parametrize("server", SERVERS)
def test_tool_names_follow_the_spec_charset(stack, server):
    for tool in stack.server(server).tools_json["tools"]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", tool["name"]), tool["name"]


@pytest.mark.parametrize("server", SERVERS)
def test_tool_schemas_are_valid_json_schema_2020_12(stack, server):
    for tool in stack.server(server).tools_json["tools"]:
        Draft202012Validator.check_schema(tool["inputSchema"])
        if "outputSchema" in tool:
            Draft202012Validator.check_schema(tool["outputSchema"])


@pytest.mark.parametrize("server", SERVERS)
def test_input_schemas_are_closed_objects(stack, server):
    for tool in stack.server(server).tools_json["tools"]:
        assert tool["inputSchema"]["type"] == "object", tool["name"]
        assert tool["inputSchema"]["additionalProperties"] is False, tool["name"]


@pytest.mark.parametrize("server", SERVERS)
def test_output_schemas_have_object_roots_for_2025_11_25_clients(stack, server):
    for tool in stack.server(server).tools_json["tools"]:
        if "outputSchema" in tool:
            assert tool["outputSchema"]["type"] == "object", tool["name"]
