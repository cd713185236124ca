"""Property-based tests (schemathesis 4.x + hypothesis) of the REST adapters of the orchestrations
server (and of the entities server), each loaded from its own `GET /openapi.json`, with the fake
upstream behind them.

Generation: positive mode only (inputs the document declares valid), a bounded number of
examples per operation, `derandomize=True` (the same examples on every run) and no example
database (nothing is written to disk). Generated `x-ms-continuation-token` request headers are
dropped: the document describes that header as a token handed out by the upstream, so made-up
values are outside the documented inputs (see `without_continuation_token`).

Checks on every response: the status code is documented for the operation, the Content-Type is
the documented one, the body and the headers conform to the documented schemas, the upstream
key appears nowhere in the response, and "no 5xx caused by the server itself" under this rule:

* The server passes upstream statuses and bodies through. The upstream (the Durable Functions
  extension, here the fake) answers some valid requests with 500 — suspending a suspended
  instance, resuming a running one, an unusable continuation token, `returnInternalServerError
  OnFailure=true` on a failed instance. Those 500s carry the upstream's JSON
  (`application/json`: the four-key `{"Message", "ExceptionMessage", "ExceptionType",
  "StackTrace"}` error object, a `{"Message"}` object, or an instance status) and are not the
  server's fault; whether the status is documented is left to the status-code check.
* Everything the server makes itself is `application/problem+json` (400/404/405/413/502/504,
  see the generated README). So any 5xx in problem+json (502 upstream unreachable, 504 upstream
  timeout, which must not happen with a healthy fake on loopback), any 5xx other than 500, and
  any 500 that is not the upstream's JSON shape, is the server's fault.

The built-in `not_a_server_error` check is not used, since it cannot tell the two apart.

The pytest plugin's lazy loader (`schemathesis.pytest.from_fixture`) does not work with pytest
9.2 (it sets `Function._nodeid`, which pytest 9 no longer has), so each operation is driven
with hypothesis directly, one pytest test per operation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import REPO, key_forms
from http_helpers import request

MAX_EXAMPLES = 60
SERVERS = ["durable-orchestrations-server", "durable-entities-server"]
COMMITTED = {
    server: json.loads((REPO / "generated" / server / "openapi.json").read_text("utf-8")) for server in SERVERS
}
OPERATIONS = [
    pytest.param(server, method.upper(), path, id=f"{server.split('-')[1]}-{operation['operationId']}")
    for server in SERVERS
    for path, methods in COMMITTED[server]["paths"].items()
    for method, operation in methods.items()
]


def header(response, name: str) -> str:
    values = response.headers.get(name.lower()) or []
    return values[0] if isinstance(values, list) and values else (values or "")


def is_upstream_json(body: Any) -> bool:
    """The shapes the upstream sends with a 500: its error objects or an instance status."""
    if not isinstance(body, dict):
        return False
    if "Message" in body and set(body) <= {"Message", "ExceptionMessage", "ExceptionType", "StackTrace"}:
        return True
    return {"instanceId", "runtimeStatus"} <= set(body)


@schemathesis.check
def no_server_made_5xx(ctx, response, case):
    """See the module docstring for the rule."""
    status = response.status_code
    if status < 500:
        return None
    content_type = header(response, "content-type")
    essence = content_type.split(";")[0].strip().lower()
    if essence == "application/problem+json":
        raise AssertionError(f"the server itself answered {status} (problem+json): {response.text[:500]}")
    if status != 500:
        raise AssertionError(f"{status} is never passed through from the upstream: {response.text[:500]}")
    try:
        body = json.loads(response.text)
    except ValueError:
        body = None
    if essence != "application/json" or not is_upstream_json(body):
        raise AssertionError(
            f"a 500 ({content_type or 'no Content-Type'}) that is not the upstream's JSON: {response.text[:500]}"
        )
    return None


# The upstream key's spellings (set by the `api_schemas` fixture).
KEY_FORMS: list[str] = []


@schemathesis.check
def no_upstream_key(ctx, response, case):
    """The upstream key appears in no response body or header."""
    seen = response.text + json.dumps(dict(response.headers))
    for form in KEY_FORMS:
        if form in seen:
            raise AssertionError("the upstream key leaked into the response")
    return None


CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    no_server_made_5xx,
    no_upstream_key,
]


@pytest.fixture(scope="module")
def api_schemas(stack) -> dict:
    KEY_FORMS[:] = key_forms(stack.key)
    schemas = {}
    for server in SERVERS:
        target = stack.server(server)
        schemas[server] = schemathesis.openapi.from_url(target.openapi_url)
        schemas[server].config.update(base_url=target.rest_url)
    return schemas


@pytest.mark.parametrize("server", SERVERS)
def test_served_document_is_the_committed_one(stack, server):
    response = request("GET", stack.server(server).openapi_url)
    assert response.status == 200
    assert response.header("Content-Type").startswith("application/json")
    assert response.json() == COMMITTED[server]


def without_continuation_token(case):
    """The continuation token is documented as "the token of the page to fetch, from the previous
    response's header": an opaque value handed out by the upstream, so a generated one is outside
    the documented inputs (the upstream answers an unusable token with 500, see
    `test_list_with_an_unusable_continuation_token_answers_a_documented_status`)."""
    if case.headers:
        for name in [name for name in case.headers if name.lower() == "x-ms-continuation-token"]:
            del case.headers[name]
    return case


@pytest.mark.parametrize(("server", "method", "path"), OPERATIONS)
def test_operation_conforms(stack, api_schemas, server, method, path):
    base_url = stack.server(server).rest_url
    operation = api_schemas[server][path][method]
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE).map(without_continuation_token)

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    def run(case):
        response = case.call(base_url=base_url, timeout=30)
        case.validate_response(response, checks=CHECKS)

    run()


def test_an_upstream_500_passes_the_rule(orch):
    """The rule above, on a known upstream 500: suspending a suspended instance through REST."""
    base = f"{orch.rest_url}/v1/runtime/webhooks/durabletask"
    started = request("POST", f"{base}/orchestrators/WaitForEvent")
    assert started.status == 202
    suspend = f"{base}/instances/{started.json()['id']}/suspend"
    assert request("POST", suspend).status == 202
    response = request("POST", suspend)
    assert response.status == 500
    assert response.header("Content-Type").split(";")[0] == "application/json"
    assert is_upstream_json(response.json()), response.text()
