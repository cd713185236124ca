"""tools/call of every tool of the entities server against the fake, in both protocol eras."""

from __future__ import annotations

from mcp_helpers import assert_accepted, assert_ok, assert_upstream_error, text, unique, with_client


def test_signal_entity_is_accepted(ent, mode):
    async def body(client):
        return await client.call_tool(
            "signal-entity", {"entityName": "counter", "entityKey": unique("k"), "op": "add", "body": 1}
        )

    assert_accepted(with_client(ent.mcp_url, mode, body))


def test_signal_get_list_counter(ent, mode):
    """signal-entity counter add → get-entity → list-entities."""
    key = unique("counter")

    async def body(client):
        assert_accepted(
            await client.call_tool("signal-entity", {"entityName": "counter", "entityKey": key, "op": "add", "body": 5})
        )
        assert_accepted(
            await client.call_tool("signal-entity", {"entityName": "counter", "entityKey": key, "op": "add", "body": 2})
        )
        got = await client.call_tool("get-entity", {"entityName": "counter", "entityKey": key})
        listed = await client.call_tool("list-entities", {"entityName": "counter", "fetchState": True})
        return got, listed

    got, listed = with_client(ent.mcp_url, mode, body)
    assert_ok(got)
    assert got.structured_content == {"result": 7}
    assert_ok(listed)
    mine = [item for item in listed.structured_content["result"] if item["entityId"]["key"] == key]
    assert len(mine) == 1
    assert mine[0]["entityId"] == {"name": "counter", "key": key}
    assert mine[0]["state"] == 7


def test_get_entity_wraps_an_object_state_as_result(ent, mode):
    key = unique("store")

    async def body(client):
        assert_accepted(
            await client.call_tool(
                "signal-entity", {"entityName": "store", "entityKey": key, "op": "set", "body": {"a": [1, 2]}}
            )
        )
        return await client.call_tool("get-entity", {"entityName": "store", "entityKey": key})

    result = with_client(ent.mcp_url, mode, body)
    assert_ok(result)
    assert result.structured_content == {"result": {"a": [1, 2]}}


def test_get_entity_of_a_missing_key_is_an_upstream_404(ent, mode):
    async def body(client):
        return await client.call_tool("get-entity", {"entityName": "counter", "entityKey": unique("missing")})

    assert_upstream_error(with_client(ent.mcp_url, mode, body), 404)


def test_signal_entity_of_an_unknown_entity_is_an_upstream_400(ent, mode):
    async def body(client):
        return await client.call_tool("signal-entity", {"entityName": "nosuch", "entityKey": "k", "op": "set"})

    result = with_client(ent.mcp_url, mode, body)
    assert_upstream_error(result, 400)
    assert "nosuch" in text(result)


def test_list_entities_without_fetch_state_has_null_state(ent, mode):
    key = unique("nostate")

    async def body(client):
        assert_accepted(
            await client.call_tool("signal-entity", {"entityName": "counter", "entityKey": key, "op": "add", "body": 3})
        )
        return await client.call_tool("list-entities", {"entityName": "counter"})

    result = with_client(ent.mcp_url, mode, body)
    assert_ok(result)
    mine = [item for item in result.structured_content["result"] if item["entityId"]["key"] == key]
    assert len(mine) == 1
    assert mine[0].get("state") is None


def test_list_entities_of_an_entity_without_instances_is_an_empty_result(ent, mode):
    async def body(client):
        return await client.call_tool("list-entities", {"entityName": "store", "taskHub": unique("EmptyHub")})

    result = with_client(ent.mcp_url, mode, body)
    assert_ok(result)
    assert result.structured_content == {"result": []}
