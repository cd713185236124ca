"""An orchestration's whole life through MCP alone, in one client session per protocol era:
start-orchestration (WaitForEvent) → raise-event → get-instance-status (Completed with the
event data) → purge-single-instance-history."""

from __future__ import annotations

from mcp_helpers import assert_accepted, assert_ok, assert_upstream_error, wait_status, with_client


def test_wait_for_event_lifecycle(orch, mode):
    steps = {}

    async def body(client):
        started = await client.call_tool(
            "start-orchestration", {"functionName": "WaitForEvent", "body": {"eventName": "Approval"}}
        )
        assert_ok(started)
        instance_id = started.structured_content["id"]
        steps["running"] = await wait_status(client, instance_id, "Running")
        steps["raised"] = await client.call_tool(
            "raise-event",
            {"instanceId": instance_id, "eventName": "Approval", "body": {"approved": True, "by": "pytest"}},
        )
        steps["completed"] = await wait_status(client, instance_id, "Completed")
        steps["purged"] = await client.call_tool("purge-single-instance-history", {"instanceId": instance_id})
        steps["gone"] = await client.call_tool("get-instance-status", {"instanceId": instance_id})
        return instance_id

    instance_id = with_client(orch.mcp_url, mode, body)
    assert steps["running"]["instanceId"] == instance_id
    assert_accepted(steps["raised"])
    assert steps["completed"]["name"] == "WaitForEvent"
    assert steps["completed"]["output"] == {"approved": True, "by": "pytest"}
    assert_ok(steps["purged"])
    assert steps["purged"].structured_content == {"instancesDeleted": 1}
    assert_upstream_error(steps["gone"], 404)
