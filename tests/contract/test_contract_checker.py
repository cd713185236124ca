"""The checker itself, on made-up answers: it must reject what is outside the bundled contract
(otherwise a passing suite would prove nothing)."""

from __future__ import annotations

import json

import pytest

from df_contract import Exchange

BASE = "http://127.0.0.1:1/runtime/webhooks/durabletask"
JSON = {"content-type": "application/json; charset=utf-8"}
STATUS = {
    "name": "Echo", "instanceId": "x", "runtimeStatus": "Running", "input": None,
    "customStatus": None, "output": None, "createdTime": "2026-01-02T03:04:05Z",
    "lastUpdatedTime": "2026-01-02T03:04:05Z",
}


def answer(op, method, path, status, body=b"", headers=None):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return Exchange("synthetic", "synthetic", op, method, BASE + path, {}, b"", status, "",
                    dict(headers or {}), body)


GOOD = [
    answer("getInstanceStatus", "GET", "/instances/x", 202, STATUS,
           {**JSON, "location": "http://h/x", "retry-after": "5"}),
    answer("getInstanceStatus", "GET", "/instances/x", 200,
           {**STATUS, "runtimeStatus": "ContinuedAsNew"}, JSON),
    answer("getInstanceStatus", "GET", "/instances/x", 404),
    answer("purgeInstance", "DELETE", "/instances/x", 412, "not terminal", JSON),
    answer("purgeInstances", "DELETE", "/instances", 400, "Please provide value", JSON),
    answer("listEntities", "GET", "/entities/counter", 200,
           [{"entityId": {"name": "counter", "key": "k"},
             "lastOperationTime": "2019-12-18T21:45:44.6326361Z", "state": 5}],
           {**JSON, "x-ms-continuation-token": ""}),
    answer("terminateInstance", "POST", "/instances/x/terminate", 401),
    answer("rewindInstance", "POST", "/instances/x/rewind", 404),  # lenient: empty error body
]

BAD = [
    ("undocumented status",
     answer("getInstanceStatus", "GET", "/instances/x", 418), "status 418 is not documented"),
    ("unknown runtimeStatus",
     answer("getInstanceStatus", "GET", "/instances/x", 200,
            {**STATUS, "runtimeStatus": "Bogus"}, JSON), "is not one of"),
    ("second-less timestamp",
     answer("getInstanceStatus", "GET", "/instances/x", 200,
            {**STATUS, "createdTime": "2026-01-02 03:04"}, JSON), "is not a 'date-time'"),
    ("Retry-After not an integer",
     answer("getInstanceStatus", "GET", "/instances/x", 202, STATUS,
            {**JSON, "retry-after": "soon"}), "header Retry-After"),
    ("body where none is documented",
     answer("terminateInstance", "POST", "/instances/x/terminate", 202, {"ok": 1}, JSON),
     "documents no content"),
    ("empty 2xx body where content is documented",
     answer("startOrchestration", "POST", "/orchestrators/Echo", 202), "empty body"),
    ("wrong content type",
     answer("listInstances", "GET", "/instances", 200, [], {"content-type": "text/plain"}),
     "is not documented for 200"),
    ("body without content type",
     answer("listInstances", "GET", "/instances", 200, []), "without a Content-Type"),
    ("not JSON",
     answer("listInstances", "GET", "/instances", 200, b"[", JSON), "not JSON"),
    ("error body of the wrong shape",
     answer("purgeInstance", "DELETE", "/instances/x", 412, 42, JSON), "not valid under any"),
    ("purge count not an integer",
     answer("purgeInstances", "DELETE", "/instances", 200, {"instancesDeleted": "1"}, JSON),
     "is not of type 'integer'"),
    ("request not of the operation",
     answer("getInstanceStatus", "GET", "/instances/x/terminate", 200, STATUS, JSON),
     "is not getInstanceStatus"),
]


@pytest.mark.parametrize("exchange", GOOD, ids=lambda e: f"{e.operation} {e.status}")
def test_accepts(contract, exchange):
    assert contract.check(exchange).problems == []


@pytest.mark.parametrize("exchange, expected", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_rejects(contract, exchange, expected):
    problems = contract.check(exchange).problems
    assert any(expected in p for p in problems), problems
