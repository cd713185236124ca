"""tools/call of every tool of the orchestrations server against the fake, in both protocol eras.

Success results: `structuredContent` where the tool advertises an outputSchema (`{"result": …}`
for list tools), the fixed "Accepted" text for empty 202s. Upstream 4xx/5xx: `isError` with the
upstream status in the text.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from mcp_helpers import (
    assert_accepted,
    assert_ok,
    assert_upstream_error,
    text,
    unique,
    wait_status,
    with_client,
)

START_KEYS = {
    "id",
    "statusQueryGetUri",
    "sendEventPostUri",
    "terminatePostUri",
    "purgeHistoryDeleteUri",
    "restartPostUri",
    "suspendPostUri",
    "resumePostUri",
}


async def start_with_id(client, function: str, instance_id: str, body=None, **extra) -> dict:
    args = {"functionName": function, "instanceId": instance_id, **extra}
    if body is not None:
        args["body"] = body
    result = await client.call_tool("start-orchestration-explicit-instance-id", args)
    assert_ok(result)
    return result.structured_content


# --- start-orchestration ---------------------------------------------------------------------


def test_start_orchestration_returns_management_urls_on_the_rest_adapter(orch, mode):
    async def body(client):
        return await client.call_tool("start-orchestration", {"functionName": "Echo", "body": {"n": 1}})

    result = with_client(orch.mcp_url, mode, body)
    assert_ok(result)
    started = result.structured_content
    assert set(started) == START_KEYS
    assert len(started["id"]) == 32
    instance = f"{orch.rest_url}/v1/runtime/webhooks/durabletask/instances/{started['id']}"
    assert started["statusQueryGetUri"] == f"{instance}?taskHub=TestHubName&connection=Storage"
    assert started["sendEventPostUri"].startswith(f"{instance}/raiseevent/{{eventName}}?")
    assert started["terminatePostUri"].startswith(f"{instance}/terminate?reason={{text}}&")


def test_start_orchestration_input_becomes_the_echo_output(orch, mode):
    async def body(client):
        started = await client.call_tool("start-orchestration", {"functionName": "Echo", "body": {"n": [1, "two"]}})
        assert_ok(started)
        return await wait_status(client, started.structured_content["id"], "Completed")

    status = with_client(orch.mcp_url, mode, body)
    assert status["name"] == "Echo"
    assert status["input"] == {"n": [1, "two"]}
    assert status["output"] == {"n": [1, "two"]}


def test_start_orchestration_without_body_has_null_input(orch, mode):
    async def body(client):
        started = await client.call_tool("start-orchestration", {"functionName": "Echo"})
        assert_ok(started)
        return await wait_status(client, started.structured_content["id"], "Completed")

    assert with_client(orch.mcp_url, mode, body)["input"] is None


# --- start-orchestration-explicit-instance-id -------------------------------------------------


def test_start_with_explicit_id_uses_that_id(orch, mode):
    instance_id = unique("explicit")

    async def body(client):
        return await start_with_id(client, "WaitForEvent", instance_id)

    started = with_client(orch.mcp_url, mode, body)
    assert started["id"] == instance_id
    assert set(started) == START_KEYS


def test_start_with_explicit_id_of_a_running_instance_is_an_upstream_409(orch, mode):
    instance_id = unique("dup")

    async def body(client):
        await start_with_id(client, "WaitForEvent", instance_id)
        return await client.call_tool(
            "start-orchestration-explicit-instance-id", {"functionName": "WaitForEvent", "instanceId": instance_id}
        )

    result = with_client(orch.mcp_url, mode, body)
    assert_upstream_error(result, 409)
    assert "already exists" in text(result)


# --- get-instance-status ----------------------------------------------------------------------


def test_get_instance_status_of_a_running_instance_is_structured(orch, mode):
    instance_id = unique("running")

    async def body(client):
        await start_with_id(client, "WaitForEvent", instance_id, {"eventName": "Go"})
        return await client.call_tool("get-instance-status", {"instanceId": instance_id})

    result = with_client(orch.mcp_url, mode, body)
    assert_ok(result)
    status = result.structured_content
    assert status["instanceId"] == instance_id
    assert status["runtimeStatus"] == "Running"
    assert status["input"] == {"eventName": "Go"}
    assert "historyEvents" not in status


def test_get_instance_status_with_history_and_without_input(orch, mode):
    instance_id = unique("history")

    async def body(client):
        await start_with_id(client, "Echo", instance_id, {"x": 1})
        return await wait_status(
            client, instance_id, "Completed", showHistory=True, showHistoryOutput=True, showInput=False
        )

    status = with_client(orch.mcp_url, mode, body)
    assert status["input"] is None
    events = [event["EventType"] for event in status["historyEvents"]]
    assert events[0] == "ExecutionStarted" and events[-1] == "ExecutionCompleted"
    assert status["historyEvents"][-1]["Result"] == {"x": 1}


def test_get_instance_status_of_a_missing_instance_is_an_upstream_404(orch, mode):
    async def body(client):
        return await client.call_tool("get-instance-status", {"instanceId": unique("missing")})

    assert_upstream_error(with_client(orch.mcp_url, mode, body), 404)


def test_get_instance_status_of_a_failed_instance_with_500_on_failure(orch, mode):
    instance_id = unique("failed")

    async def body(client):
        await start_with_id(client, "Fail", instance_id, {"message": "boom"})
        await wait_status(client, instance_id, "Failed")
        return await client.call_tool(
            "get-instance-status", {"instanceId": instance_id, "returnInternalServerErrorOnFailure": True}
        )

    result = with_client(orch.mcp_url, mode, body)
    assert_upstream_error(result, 500)
    assert "boom" in text(result)


# --- list-instances ---------------------------------------------------------------------------


def test_list_instances_wraps_the_array_as_result(orch, mode):
    prefix = unique("list")

    async def body(client):
        await start_with_id(client, "Echo", f"{prefix}-a", 1)
        await start_with_id(client, "WaitForEvent", f"{prefix}-b")
        return await client.call_tool("list-instances", {"instanceIdPrefix": prefix})

    result = with_client(orch.mcp_url, mode, body)
    assert_ok(result)
    assert set(result.structured_content) == {"result"}
    listed = {item["instanceId"]: item["runtimeStatus"] for item in result.structured_content["result"]}
    assert listed == {f"{prefix}-a": "Completed", f"{prefix}-b": "Running"}


def test_list_instances_of_nothing_is_an_empty_result(orch, mode):
    async def body(client):
        return await client.call_tool("list-instances", {"instanceIdPrefix": unique("none")})

    result = with_client(orch.mcp_url, mode, body)
    assert_ok(result)
    assert result.structured_content == {"result": []}


def test_list_instances_filters_by_runtime_status(orch, mode):
    prefix = unique("filter")

    async def body(client):
        await start_with_id(client, "Echo", f"{prefix}-done", 1)
        await start_with_id(client, "WaitForEvent", f"{prefix}-running")
        return await client.call_tool("list-instances", {"instanceIdPrefix": prefix, "runtimeStatus": ["Running"]})

    result = with_client(orch.mcp_url, mode, body)
    assert_ok(result)
    assert [item["instanceId"] for item in result.structured_content["result"]] == [f"{prefix}-running"]


def test_list_instances_filters_by_created_time_with_an_offset(orch, mode):
    """`+01:00` must reach the upstream as an offset, not as a space (the upstream decodes `+`)."""
    prefix = unique("created")

    async def body(client):
        await start_with_id(client, "Echo", f"{prefix}-a", 1)
        future = await client.call_tool(
            "list-instances", {"instanceIdPrefix": prefix, "createdTimeFrom": "2999-01-01T00:00:00+01:00"}
        )
        past = await client.call_tool(
            "list-instances", {"instanceIdPrefix": prefix, "createdTimeFrom": "2000-01-01T00:00:00+01:00"}
        )
        return future, past

    future, past = with_client(orch.mcp_url, mode, body)
    assert future.structured_content == {"result": []}
    assert [item["instanceId"] for item in past.structured_content["result"]] == [f"{prefix}-a"]


def test_list_instances_exposes_the_continuation_token_of_the_next_page(stack, orch, mode):
    """The tool takes `x-ms-continuation-token` ("from the previous response's header"), so its
    result must carry the token of the next page; otherwise an MCP client can never get past the
    first page."""
    prefix = unique("paged")

    async def body(client):
        for index in range(3):
            await start_with_id(client, "Echo", f"{prefix}-{index}", index)
        return await client.call_tool("list-instances", {"instanceIdPrefix": prefix, "top": 2})

    result = with_client(orch.mcp_url, mode, body)
    assert_ok(result)
    assert len(result.structured_content["result"]) == 2
    # The token the upstream hands out for the same page (asked directly, with the key).
    query = urllib.parse.urlencode({"instanceIdPrefix": prefix, "top": 2, "code": stack.key})
    with urllib.request.urlopen(f"{stack.fake_url}/runtime/webhooks/durabletask/instances?{query}") as response:
        token = response.headers["x-ms-continuation-token"]
    assert token, "the fake has a next page"
    everything = json.dumps(result.model_dump(by_alias=True, mode="json"))
    assert token in everything, f"next-page token {token!r} is nowhere in the tool result: {everything}"


# --- purge-single-instance-history ------------------------------------------------------------


def test_purge_single_instance_history_reports_the_count(orch, mode):
    instance_id = unique("purge")

    async def body(client):
        await start_with_id(client, "Echo", instance_id, 1)
        await wait_status(client, instance_id, "Completed")
        purged = await client.call_tool("purge-single-instance-history", {"instanceId": instance_id})
        after = await client.call_tool("get-instance-status", {"instanceId": instance_id})
        return purged, after

    purged, after = with_client(orch.mcp_url, mode, body)
    assert_ok(purged)
    assert purged.structured_content == {"instancesDeleted": 1}
    assert_upstream_error(after, 404)


def test_purge_single_instance_history_of_a_missing_instance_is_an_upstream_404(orch, mode):
    async def body(client):
        return await client.call_tool("purge-single-instance-history", {"instanceId": unique("missing")})

    assert_upstream_error(with_client(orch.mcp_url, mode, body), 404)


def test_purge_single_instance_history_of_a_running_instance_is_an_upstream_412(orch, mode):
    instance_id = unique("purge-running")

    async def body(client):
        await start_with_id(client, "WaitForEvent", instance_id)
        return await client.call_tool("purge-single-instance-history", {"instanceId": instance_id})

    assert_upstream_error(with_client(orch.mcp_url, mode, body), 412)


# --- purge-multiple-instance-histories --------------------------------------------------------


def test_purge_multiple_instance_histories_in_a_task_hub(orch, mode):
    hub = unique("PurgeHub").replace("-", "")

    async def body(client):
        for index in range(2):
            await start_with_id(client, "Echo", f"p{index}", index, taskHub=hub)
        purged = await client.call_tool(
            "purge-multiple-instance-histories", {"createdTimeFrom": "2000-01-01T00:00:00Z", "taskHub": hub}
        )
        again = await client.call_tool(
            "purge-multiple-instance-histories", {"createdTimeFrom": "2000-01-01T00:00:00Z", "taskHub": hub}
        )
        return purged, again

    purged, again = with_client(orch.mcp_url, mode, body)
    assert_ok(purged)
    assert purged.structured_content == {"instancesDeleted": 2}
    assert_upstream_error(again, 404)


# --- raise-event ------------------------------------------------------------------------------


def test_raise_event_is_accepted_and_completes_the_waiter(orch, mode):
    instance_id = unique("event")

    async def body(client):
        await start_with_id(client, "WaitForEvent", instance_id, {"eventName": "Go"})
        raised = await client.call_tool(
            "raise-event", {"instanceId": instance_id, "eventName": "Go", "body": {"ok": True}}
        )
        return raised, await wait_status(client, instance_id, "Completed")

    raised, status = with_client(orch.mcp_url, mode, body)
    assert_accepted(raised)
    assert status["output"] == {"ok": True}


def test_raise_event_on_a_missing_instance_is_an_upstream_404(orch, mode):
    async def body(client):
        return await client.call_tool(
            "raise-event", {"instanceId": unique("missing"), "eventName": "Go", "body": 1}
        )

    assert_upstream_error(with_client(orch.mcp_url, mode, body), 404)


def test_raise_event_on_a_completed_instance_is_an_upstream_410(orch, mode):
    instance_id = unique("done")

    async def body(client):
        await start_with_id(client, "Echo", instance_id, 1)
        await wait_status(client, instance_id, "Completed")
        return await client.call_tool("raise-event", {"instanceId": instance_id, "eventName": "Go", "body": 1})

    assert_upstream_error(with_client(orch.mcp_url, mode, body), 410)


# --- suspend-instance / resume-instance -------------------------------------------------------


def test_suspend_instance_is_accepted_and_suspends(orch, mode):
    instance_id = unique("suspend")

    async def body(client):
        await start_with_id(client, "WaitForEvent", instance_id)
        suspended = await client.call_tool("suspend-instance", {"instanceId": instance_id, "reason": "pause"})
        return suspended, await wait_status(client, instance_id, "Suspended")

    suspended, status = with_client(orch.mcp_url, mode, body)
    assert_accepted(suspended)
    assert status["runtimeStatus"] == "Suspended"


def test_suspend_instance_of_a_missing_instance_is_an_upstream_404(orch, mode):
    async def body(client):
        return await client.call_tool("suspend-instance", {"instanceId": unique("missing")})

    assert_upstream_error(with_client(orch.mcp_url, mode, body), 404)


def test_suspend_instance_twice_is_an_upstream_500(orch, mode):
    instance_id = unique("suspend-twice")

    async def body(client):
        await start_with_id(client, "WaitForEvent", instance_id)
        assert_accepted(await client.call_tool("suspend-instance", {"instanceId": instance_id}))
        return await client.call_tool("suspend-instance", {"instanceId": instance_id})

    result = with_client(orch.mcp_url, mode, body)
    assert_upstream_error(result, 500)
    assert "InvalidOperationException" in text(result)


def test_resume_instance_is_accepted_and_resumes(orch, mode):
    instance_id = unique("resume")

    async def body(client):
        await start_with_id(client, "WaitForEvent", instance_id)
        assert_accepted(await client.call_tool("suspend-instance", {"instanceId": instance_id}))
        resumed = await client.call_tool("resume-instance", {"instanceId": instance_id, "reason": "go on"})
        return resumed, await wait_status(client, instance_id, "Running")

    resumed, status = with_client(orch.mcp_url, mode, body)
    assert_accepted(resumed)
    assert status["runtimeStatus"] == "Running"


def test_resume_instance_of_a_completed_instance_is_an_upstream_410(orch, mode):
    instance_id = unique("resume-done")

    async def body(client):
        await start_with_id(client, "Echo", instance_id, 1)
        await wait_status(client, instance_id, "Completed")
        return await client.call_tool("resume-instance", {"instanceId": instance_id})

    assert_upstream_error(with_client(orch.mcp_url, mode, body), 410)


# --- terminate-instance -----------------------------------------------------------------------


def test_terminate_instance_is_accepted_and_keeps_the_reason(orch, mode):
    instance_id = unique("terminate")

    async def body(client):
        await start_with_id(client, "WaitForEvent", instance_id)
        terminated = await client.call_tool("terminate-instance", {"instanceId": instance_id, "reason": "stop it"})
        return terminated, await wait_status(client, instance_id, "Terminated")

    terminated, status = with_client(orch.mcp_url, mode, body)
    assert_accepted(terminated)
    assert status["output"] == "stop it"


def test_terminate_instance_of_a_completed_instance_is_an_upstream_410(orch, mode):
    instance_id = unique("terminate-done")

    async def body(client):
        await start_with_id(client, "Echo", instance_id, 1)
        await wait_status(client, instance_id, "Completed")
        return await client.call_tool("terminate-instance", {"instanceId": instance_id})

    assert_upstream_error(with_client(orch.mcp_url, mode, body), 410)


# --- rewind-instance-preview ------------------------------------------------------------------


def test_rewind_instance_of_a_failed_instance_is_accepted_and_completes(orch, mode):
    instance_id = unique("rewind")

    async def body(client):
        await start_with_id(client, "Fail", instance_id, {"message": "once"})
        await wait_status(client, instance_id, "Failed")
        rewound = await client.call_tool("rewind-instance-preview", {"instanceId": instance_id, "reason": "retry"})
        return rewound, await wait_status(client, instance_id, "Completed")

    rewound, status = with_client(orch.mcp_url, mode, body)
    assert_accepted(rewound)
    assert status["output"] == {"message": "once"}


def test_rewind_instance_of_a_missing_instance_is_an_upstream_404(orch, mode):
    instance_id = unique("missing")

    async def body(client):
        return await client.call_tool("rewind-instance-preview", {"instanceId": instance_id})

    result = with_client(orch.mcp_url, mode, body)
    assert_upstream_error(result, 404)
    assert instance_id in text(result), "the upstream's bare-string message is passed on"


def test_rewind_instance_of_a_running_instance_is_an_upstream_412(orch, mode):
    instance_id = unique("rewind-running")

    async def body(client):
        await start_with_id(client, "WaitForEvent", instance_id)
        return await client.call_tool("rewind-instance-preview", {"instanceId": instance_id})

    assert_upstream_error(with_client(orch.mcp_url, mode, body), 412)


def test_restart_instance_starts_it_again_under_a_new_id(orch, mode):
    """`restart-instance` comes from the orchestrations overlay (the published capability has no
    restart): the restarted instance has a new id and the original input."""
    instance_id = unique("restart")

    async def body(client):
        await start_with_id(client, "Echo", instance_id, {"n": 7})
        await wait_status(client, instance_id, "Completed")
        restarted = await client.call_tool("restart-instance", {"instanceId": instance_id})
        assert_ok(restarted)
        new_id = restarted.structured_content["id"]
        return new_id, await wait_status(client, new_id, "Completed")

    new_id, status = with_client(orch.mcp_url, mode, body)
    assert new_id != instance_id
    assert status["input"] == {"n": 7}
