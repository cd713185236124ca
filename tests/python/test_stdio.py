"""`durable-orchestrations-server --stdio`, driven by the Python `mcp` client's stdio transport
(the client launches the server as its subprocess), in both protocol eras."""

from __future__ import annotations

import json

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import KEY_ENV, binary, key_forms, server_env
from mcp_helpers import PROTOCOL, assert_ok, unique


def test_stdio_tools_list_and_call(stack, mode, tmp_path):
    params = StdioServerParameters(
        command=str(binary("durable-orchestrations-server")),
        args=["--stdio", "--upstream-url", stack.fake_url],
        env=server_env(stack.key),
    )
    assert params.env[KEY_ENV] == stack.key
    stderr_path = tmp_path / "stdio.stderr.log"
    instance_id = unique("stdio")

    async def main():
        with open(stderr_path, "w", encoding="utf-8") as errlog:
            async with Client(stdio_client(params, errlog=errlog), mode=mode, cache=None) as client:
                assert client.protocol_version == PROTOCOL[mode]
                tools = (await client.list_tools()).tools
                started = await client.call_tool(
                    "start-orchestration-explicit-instance-id",
                    {"functionName": "Echo", "instanceId": instance_id, "body": [1, 2]},
                )
                return tools, started

    tools, started = anyio.run(main)
    assert [tool.name for tool in tools] == [tool["name"] for tool in stack.orchestrations.tools_json["tools"]]
    assert_ok(started)
    assert started.structured_content["id"] == instance_id
    dumped = json.dumps(started.model_dump(by_alias=True, mode="json"))
    log = stderr_path.read_text(encoding="utf-8")
    for form in key_forms(stack.key):
        assert form not in dumped
        assert form not in log
