"""The REST adapters' own OpenAPI documents (`GET /openapi.json`) describe what the servers answer:
the content type of the 400s the servers make themselves, and the response headers they pass
through (Location, Retry-After, x-ms-continuation-token), which the input document declares."""

from __future__ import annotations

import pytest

from http_helpers import request
from mcp_helpers import unique

ORCH = "durable-orchestrations-server"
ENT = "durable-entities-server"
PREFIX = "/v1/runtime/webhooks/durabletask"


def document(server) -> dict:
    response = request("GET", server.openapi_url)
    assert response.status == 200
    return response.json()


def operation(doc: dict, operation_id: str) -> dict:
    for methods in doc["paths"].values():
        for op in methods.values():
            if op.get("operationId") == operation_id:
                return op
    raise AssertionError(f"no operation {operation_id}")


def essence(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


# Requests that break the document's own rules, so the server rejects them itself (problem+json)
# before anything goes upstream. The getinstancestatus row is the control: its 400 is documented
# as problem+json, and it passes.
INVALID_REQUESTS = [
    pytest.param(
        ORCH, "raiseevent", "POST", f"{PREFIX}/instances/{{id}}/raiseevent/Go", None, {}, id="raiseevent-no-body"
    ),
    pytest.param(
        ORCH,
        "startorchestration",
        "POST",
        f"{PREFIX}/orchestrators/Echo",
        b"{not json",
        {"Content-Type": "application/json"},
        id="startorchestration-invalid-json",
    ),
    pytest.param(
        ORCH,
        "startorchestrationwithid",
        "POST",
        f"{PREFIX}/orchestrators/Echo/{{id}}",
        b"{not json",
        {"Content-Type": "application/json"},
        id="startorchestrationwithid-invalid-json",
    ),
    pytest.param(ORCH, "purgeinstances", "DELETE", f"{PREFIX}/instances", None, {}, id="purgeinstances-no-createdTimeFrom"),
    pytest.param(
        ENT,
        "signalentity",
        "POST",
        f"{PREFIX}/entities/counter/{{id}}?op=add",
        b"{not json",
        {"Content-Type": "application/json"},
        id="signalentity-invalid-json",
    ),
    pytest.param(
        ORCH,
        "getinstancestatus",
        "GET",
        f"{PREFIX}/instances/{{id}}?showHistory=maybe",
        None,
        {},
        id="getinstancestatus-bad-boolean",
    ),
]


@pytest.mark.parametrize(("server", "operation_id", "method", "path", "body", "headers"), INVALID_REQUESTS)
def test_server_made_400_has_a_documented_content_type(stack, server, operation_id, method, path, body, headers):
    target = stack.server(server)
    response = request(method, target.rest_url + path.format(id=unique("doc")), body, headers)
    assert response.status == 400, response.text()
    assert essence(response.header("Content-Type")) == "application/problem+json", "made by the server itself"
    documented = operation(document(target), operation_id)["responses"]["400"].get("content", {})
    assert essence(response.header("Content-Type")) in documented, (
        f"{operation_id}: the server answers 400 as {response.header('Content-Type')} "
        f"({response.text()}), but its document declares 400 only as {sorted(documented)}"
    )


def start_running(stack) -> str:
    instance_id = unique("headers")
    response = request("POST", f"{stack.orchestrations.rest_url}{PREFIX}/orchestrators/WaitForEvent/{instance_id}")
    assert response.status == 202
    return instance_id


# (server, operationId, documented status, header, how to make the server send it)
SENT_HEADERS = [
    (ORCH, "listinstances", "200", "x-ms-continuation-token", lambda stack: ("GET", f"{PREFIX}/instances?top=1")),
    (ORCH, "getinstancestatus", "202", "Location", lambda stack: ("GET", f"{PREFIX}/instances/{start_running(stack)}")),
    (ORCH, "getinstancestatus", "202", "Retry-After", lambda stack: ("GET", f"{PREFIX}/instances/{start_running(stack)}")),
    (ORCH, "startorchestration", "202", "Location", lambda stack: ("POST", f"{PREFIX}/orchestrators/Echo")),
    (ORCH, "startorchestration", "202", "Retry-After", lambda stack: ("POST", f"{PREFIX}/orchestrators/Echo")),
    (
        ORCH,
        "startorchestrationwithid",
        "202",
        "Location",
        lambda stack: ("POST", f"{PREFIX}/orchestrators/Echo/{unique('h')}"),
    ),
    (ENT, "listentities", "200", "x-ms-continuation-token", lambda stack: ("GET", f"{PREFIX}/entities/counter")),
]


@pytest.mark.parametrize(
    ("server", "operation_id", "status", "header", "make"),
    [pytest.param(*row, id=f"{row[1]}-{row[2]}-{row[3]}") for row in SENT_HEADERS],
)
def test_sent_response_header_is_documented(stack, server, operation_id, status, header, make):
    target = stack.server(server)
    method, path = make(stack)
    response = request(method, target.rest_url + path)
    assert str(response.status) == status, response.text()
    assert response.header(header) is not None, f"the server sends no {header}"
    documented = operation(document(target), operation_id)["responses"][status].get("headers", {})
    assert header.lower() in {name.lower() for name in documented}, (
        f"{operation_id} answers {status} with `{header}: {response.header(header)}` (declared by the input "
        f"document), but the served document declares no such response header: headers={documented}"
    )


def test_list_with_an_unusable_continuation_token_answers_a_documented_status(orch):
    """The upstream answers an unusable `x-ms-continuation-token` with 500 (the extension's global
    exception handler; the fake does the same); the server passes it through, so the document must
    list it."""
    response = request(
        "GET", f"{orch.rest_url}{PREFIX}/instances", headers={"x-ms-continuation-token": "not-a-token"}
    )
    documented = operation(document(orch), "listinstances")["responses"]
    assert str(response.status) in documented, (
        f"listinstances answered {response.status} ({response.text()[:200]}), documented: {sorted(documented)}"
    )
