"""The official Durable Functions SDK for Python (`azure-functions-durable`, PyPI) driving the generated
servers as if they were the Functions host: `DurableOrchestrationClient` with `rpcBaseUrl` pointed at the
orchestrations server (entities at the entities server), the key held by the servers, the test double
behind them. Every SDK operation of a full scenario, every management link the SDK hands out followed,
and every answer the SDK received scanned for the key and the upstream's address.

SDK quirks the tests account for (notes: durable-functions-http-api.md, "Python azure-functions-durable"):
the input is JSON-encoded twice (it arrives as a JSON string), booleans go as `True`, datetimes as
`%Y-%m-%dT%H:%M:%S.%fZ`, list and purge-by-filter use `…/instances/?…`, `raiseEvent` is camel-cased."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest

import azure.functions as func  # noqa: E402
from azure.durable_functions import DurableOrchestrationClient, EntityId  # noqa: E402
from azure.durable_functions.models import OrchestrationRuntimeStatus  # noqa: E402
from azure.durable_functions.models.utils import http_utils  # noqa: E402

from conftest import key_forms  # noqa: E402
from http_helpers import request  # noqa: E402
from mcp_helpers import unique  # noqa: E402

HUB = "TestHubName"
WEBHOOKS = "/v1/runtime/webhooks/durabletask"
SEEN: list[str] = []


def binding(rest_url: str) -> str:
    """The client binding the host would give a function, its URLs on the generated server."""
    base = f"{rest_url}{WEBHOOKS}"
    query = f"taskHub={HUB}&connection=Storage"
    instance = f"{base}/instances/INSTANCEID"
    return json.dumps({
        "taskHubName": HUB,
        "creationUrls": {
            "createNewInstancePostUri": f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]?{query}",
            "createAndWaitOnNewInstancePostUri": f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]?timeout={{timeoutInSeconds}}&pollingInterval={{intervalInSeconds}}&{query}",
        },
        "managementUrls": {
            "id": "INSTANCEID",
            "statusQueryGetUri": f"{instance}?{query}",
            "sendEventPostUri": f"{instance}/raiseEvent/{{eventName}}?{query}",
            "terminatePostUri": f"{instance}/terminate?reason={{text}}&{query}",
            "rewindPostUri": f"{instance}/rewind?reason={{text}}&{query}",
            "purgeHistoryDeleteUri": f"{instance}?{query}",
            "restartPostUri": f"{instance}/restart?{query}",
            "suspendPostUri": f"{instance}/suspend?reason={{text}}&{query}",
            "resumePostUri": f"{instance}/resume?reason={{text}}&{query}",
        },
        "rpcBaseUrl": f"{base}/",
        "requiredQueryStringParameters": "",
    })


def run(coroutine):
    """Runs one SDK interaction in a fresh event loop (the SDK keeps one aiohttp session per
    process, bound to the loop that created it), recording every answer it reads."""
    http_utils._client_session = None

    async def main():
        try:
            return await coroutine
        finally:
            await http_utils._close_session()

    return asyncio.run(main())


@pytest.fixture(scope="module")
def orch_client(stack):
    client = DurableOrchestrationClient(binding(stack.orchestrations.rest_url))
    record(client)
    return client


@pytest.fixture(scope="module")
def ent_client(stack):
    client = DurableOrchestrationClient(binding(stack.entities.rest_url))
    record(client)
    return client


def record(client: DurableOrchestrationClient) -> None:
    """Keeps every answer the SDK reads, for the leak scan."""

    def wrap(original):
        async def wrapper(*args, **kwargs):
            response = await original(*args, **kwargs)
            SEEN.append(json.dumps(response, default=str))
            return response

        return wrapper

    client._get_async_request = wrap(client._get_async_request)
    client._post_async_request = wrap(client._post_async_request)
    client._delete_async_request = wrap(client._delete_async_request)


async def wait_for(client, instance_id: str, wanted: OrchestrationRuntimeStatus, timeout: float = 10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await client.get_status(instance_id)
        if status.runtime_status == wanted:
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{instance_id} is {status.runtime_status}, not {wanted}")
        await asyncio.sleep(0.05)


def test_start_new_without_an_id_and_get_status(orch_client):
    async def scenario():
        instance_id = await orch_client.start_new("Echo", None, {"order": 1})
        return instance_id, await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Completed)

    instance_id, status = run(scenario())
    assert len(instance_id) == 32
    # The SDK JSON-encodes the input twice: the orchestration receives a JSON string.
    assert json.loads(status.output) == {"order": 1}


def test_start_new_with_an_id_and_a_version(orch_client):
    instance_id = unique("sdk-version")

    async def scenario():
        started = await orch_client.start_new("Echo", instance_id, "x", version="2.0")
        return started, await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Completed)

    started, status = run(scenario())
    assert started == instance_id
    assert status.instance_id == instance_id


def test_status_with_history(orch_client):
    instance_id = unique("sdk-history")

    async def scenario():
        await orch_client.start_new("Echo", instance_id, 5)
        await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Completed)
        return await orch_client.get_status(instance_id, show_history=True, show_history_output=True, show_input=True)

    status = run(scenario())
    # The SDK reads `history`, the host sends `historyEvents` (an SDK quirk): look at the answer.
    assert status.history is None
    assert '"historyEvents"' in SEEN[-1], "showHistory=True reaches the upstream"
    assert status.input_ == "5"


def test_raise_event_completes_a_waiting_orchestration(orch_client):
    instance_id = unique("sdk-event")

    async def scenario():
        await orch_client.start_new("WaitForEvent", instance_id)
        await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Running)
        await orch_client.raise_event(instance_id, "Approval", {"approved": True})
        return await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Completed)

    status = run(scenario())
    assert status.output is not None


def test_suspend_resume_and_terminate(orch_client):
    instance_id = unique("sdk-suspend")

    async def scenario():
        await orch_client.start_new("WaitForEvent", instance_id)
        await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Running)
        await orch_client.suspend(instance_id, "pause")
        suspended = await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Suspended)
        await orch_client.resume(instance_id, "go")
        resumed = await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Running)
        await orch_client.terminate(instance_id, "done")
        terminated = await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Terminated)
        return suspended, resumed, terminated

    suspended, resumed, terminated = run(scenario())
    assert terminated.output == "done"


def test_rewind_a_failed_orchestration(orch_client):
    instance_id = unique("sdk-rewind")

    async def scenario():
        await orch_client.start_new("Fail", instance_id, {"message": "once"})
        await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Failed)
        await orch_client.rewind(instance_id, "retry")
        return await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Completed)

    status = run(scenario())
    assert status.runtime_status == OrchestrationRuntimeStatus.Completed


def test_restart_with_and_without_a_new_id(orch_client):
    instance_id = unique("sdk-restart")

    async def scenario():
        await orch_client.start_new("Echo", instance_id, {"n": 3})
        await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Completed)
        renewed = await orch_client.restart(instance_id)
        same = await orch_client.restart(instance_id, restart_with_new_instance_id=False)
        return renewed, same

    renewed, same = run(scenario())
    assert renewed, "restart answers 202 with a body"
    assert same


def test_list_and_filter(orch_client):
    instance_id = unique("sdk-list")
    since = datetime.now(timezone.utc) - timedelta(minutes=1)

    async def scenario():
        await orch_client.start_new("Echo", instance_id, 1)
        await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Completed)
        everything = await orch_client.get_status_all()
        completed = await orch_client.get_status_by(
            created_time_from=since, runtime_status=[OrchestrationRuntimeStatus.Completed]
        )
        return everything, completed

    everything, completed = run(scenario())
    assert instance_id in {it.instance_id for it in everything}
    assert instance_id in {it.instance_id for it in completed}
    assert all(it.runtime_status == OrchestrationRuntimeStatus.Completed for it in completed)


def test_purge_one_and_by_filter(orch_client):
    one = unique("sdk-purge")
    hub_filter_time = datetime.now(timezone.utc) - timedelta(seconds=30)

    async def scenario():
        await orch_client.start_new("Echo", one, 1)
        await wait_for(orch_client, one, OrchestrationRuntimeStatus.Completed)
        single = await orch_client.purge_instance_history(one)
        again = await orch_client.purge_instance_history(one)
        for n in range(2):
            other = unique(f"sdk-purge-{n}")
            await orch_client.start_new("Echo", other, n)
            await wait_for(orch_client, other, OrchestrationRuntimeStatus.Completed)
        by_filter = await orch_client.purge_instance_history_by(
            created_time_from=hub_filter_time, runtime_status=[OrchestrationRuntimeStatus.Completed]
        )
        return single, again, by_filter

    single, again, by_filter = run(scenario())
    assert single.instances_deleted == 1
    assert again.instances_deleted == 0
    # Through `…/instances/?…`: a 404 here would read as "0 deleted" in the SDK.
    assert by_filter.instances_deleted >= 2


def follow(method: str, url: str, body=None) -> int:
    """Follows a link the SDK handed out; the answer joins the leak scan."""
    reply = request(method, url, body)
    SEEN.append(reply.text() + json.dumps(reply.headers))
    return reply.status


def test_check_status_links_are_served(stack, orch_client):
    """The links of `wait_for_completion_or_create_check_status_response` (from the binding's
    management URLs, on the generated server) are followed, each with its method."""
    instance_id = unique("sdk-links")
    incoming = func.HttpRequest("POST", f"{stack.orchestrations.rest_url}/api/start", body=b"")

    async def scenario():
        await orch_client.start_new("WaitForEvent", instance_id)
        return await orch_client.wait_for_completion_or_create_check_status_response(
            incoming, instance_id, timeout_in_milliseconds=300, retry_interval_in_milliseconds=100
        )

    response = run(scenario())
    assert response.status_code == 202
    links = json.loads(response.get_body())
    assert response.headers["Location"] == links["statusQueryGetUri"]
    # A running instance's status is 202 on the host.
    assert follow("GET", links["statusQueryGetUri"]) == 202
    assert follow("POST", links["suspendPostUri"].replace("{text}", "pause")) == 202
    assert follow("POST", links["resumePostUri"].replace("{text}", "go")) == 202
    assert follow("POST", links["sendEventPostUri"].replace("{eventName}", "Approval"), {"ok": 1}) == 202

    async def completed():
        return await wait_for(orch_client, instance_id, OrchestrationRuntimeStatus.Completed)

    run(completed())
    assert follow("POST", links["restartPostUri"]) == 202
    assert follow("POST", links["terminatePostUri"].replace("{text}", "stop")) in (202, 410)
    assert follow("DELETE", links["purgeHistoryDeleteUri"]) in (200, 404)


def test_entities_signal_and_read(ent_client):
    entity = EntityId("counter", unique("sdk-counter"))

    async def scenario():
        await ent_client.signal_entity(entity, "add", 5)
        await ent_client.signal_entity(entity, "add", 2)
        for _ in range(100):
            state = await ent_client.read_entity_state(entity)
            if state.entity_exists and state.entity_state == 7:
                return state
            await asyncio.sleep(0.05)
        return state

    state = run(scenario())
    assert state.entity_exists
    assert state.entity_state == 7


def test_no_key_and_no_upstream_address_in_anything_the_sdk_read(stack):
    assert SEEN, "the scenario ran first"
    upstream = stack.fake_url.rstrip("/").lower()
    for answer in SEEN:
        for form in key_forms(stack.key):
            assert form not in answer
        assert upstream not in answer.lower(), answer
