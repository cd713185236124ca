"""Small helpers around the real Python `mcp` 2.x client used by the MCP tests."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
from mcp import Client

T = TypeVar("T")

# What rmcp negotiates with the Python client in each mode (see /work/shared/notes/mcp.md §6).
PROTOCOL = {"auto": "2026-07-28", "legacy": "2025-11-25"}

# The text the servers return for a 2xx answer with an empty body (202 commands).
ACCEPTED = "Accepted: the upstream API answered HTTP 202 Accepted with no body."


# Every tool result any test received, for the leak scan of `test_zz_every_answer.py`.
RESULTS: list[str] = []


def with_client(url: str, mode: str, body: Callable[[Client], Awaitable[T]]) -> T:
    """Opens a client session on `url` in `mode`, checks the negotiated protocol version,
    runs `body(client)` and returns its result. Every tool result is also kept in `RESULTS`."""

    async def main() -> T:
        async with Client(url, mode=mode, cache=None) as client:
            assert client.protocol_version == PROTOCOL[mode], client.protocol_version
            original = client.call_tool

            async def recorded(*args, **kwargs):
                result = await original(*args, **kwargs)
                RESULTS.append(json.dumps(result.model_dump(by_alias=True, mode="json")))
                return result

            client.call_tool = recorded
            return await body(client)

    return anyio.run(main)


def call_tool(url: str, mode: str, name: str, arguments: dict[str, Any]):
    """One tools/call in its own session."""

    async def body(client: Client):
        return await client.call_tool(name, arguments)

    return with_client(url, mode, body)


def text(result) -> str:
    """The concatenated text blocks of a tool result."""
    return "\n".join(block.text for block in result.content if getattr(block, "type", None) == "text")


def dump(result) -> dict:
    """The result as the wire JSON (camelCase keys)."""
    return result.model_dump(by_alias=True, exclude_none=True, mode="json")


def dump_json(result) -> str:
    return json.dumps(dump(result), ensure_ascii=False)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def assert_ok(result) -> None:
    assert not result.is_error, f"unexpected isError result: {text(result)}"


def assert_accepted(result) -> None:
    """A 202 with no body: a success with the fixed "Accepted" text and no structured content."""
    assert_ok(result)
    assert text(result) == ACCEPTED
    assert result.structured_content is None


def assert_upstream_error(result, status: int) -> None:
    """An upstream HTTP error: isError, with the upstream status in the text."""
    assert result.is_error, f"expected isError for HTTP {status}, got: {dump_json(result)}"
    assert f"The upstream API answered HTTP {status}" in text(result), text(result)


async def wait_status(client: Client, instance_id: str, wanted: str, timeout: float = 10.0, **extra) -> dict:
    """Polls get-instance-status until `runtimeStatus == wanted`; returns the structured status."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        result = await client.call_tool("get-instance-status", {"instanceId": instance_id, **extra})
        assert_ok(result)
        last = result.structured_content
        if last.get("runtimeStatus") == wanted:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{instance_id} did not reach {wanted} within {timeout}s; last status: {last}")
        await anyio.sleep(0.05)
