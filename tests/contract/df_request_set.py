"""The request set: one ordered, stateful scenario sent to every target, plus two generated
groups (a 401 per operation for the fakes, and every seed-documented status per operation for
Prism via `Prefer: code=N`).

A step names the operation it exercises (an operationId of the bundled document) and what the
fake is expected to answer in each profile (straight from tests/durable-functions-fake/README.md
and shared/notes/durable-functions-http-api.md). The expectation only proves the scenario
reached the case it is about; conformance itself is checked against the bundled document.

Prism mocks the *seed* document: it gets the steps whose request is valid for the seed, with
`Prefer: code=<the fake's status>` when the seed documents that status for the operation (else no
preference, i.e. Prism's default answer). Requests Prism cannot take are marked `prism=False`:
bodies that are not JSON objects (the seed types start inputs as objects), invalid JSON (Prism
5.16 never answers such a request), wrong content types (Prism answers its own request
validation), the `restart` operation (not in the seed) and requests without the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

from df_contract import Exchange

NO_BODY = object()
NEW, OLD = "new", "old"
PROFILES = (NEW, OLD)
FAR_PAST = "2000-01-01T00:00:00Z"
FAR_FUTURE = "2100-01-01T00:00:00Z"


@dataclass(frozen=True)
class Step:
    id: str
    op: str
    method: str
    path: str  # below /runtime/webhooks/durabletask; `{name}` = a captured value, URL-encoded
    query: tuple[tuple[str, str], ...] = ()
    body: Any = NO_BODY  # a JSON value, or bytes sent as is
    content_type: str | None = None  # defaults to application/json when there is a body
    headers: tuple[tuple[str, str], ...] = ()
    fake: int | dict[str, int] | None = None  # expected status; None = not sent to the fakes
    prism: bool = True
    prefer: int | None = None  # Prism: explicit `Prefer: code=N`
    auth: bool = True  # add code=<key>
    until: Callable[[Exchange], bool] | None = None  # fakes: poll until this holds
    pages: bool = False  # follow x-ms-continuation-token to the last page
    capture: str | None = None  # remember body["id"] under this name
    why: str = ""

    def expected_fake(self, profile: str) -> int | None:
        if isinstance(self.fake, dict):
            return self.fake.get(profile)
        return self.fake

    def encoded_body(self) -> tuple[bytes | None, str | None]:
        if self.body is NO_BODY:
            return None, self.content_type
        if isinstance(self.body, bytes):
            return self.body, self.content_type
        return json.dumps(self.body).encode(), self.content_type or "application/json"

    def render_path(self, state: dict[str, str]) -> str:
        class _Vars(dict):
            def __missing__(self, key: str) -> str:
                return "{" + key + "}"

        values = _Vars({k: quote(v, safe="") for k, v in state.items()})
        return self.path.format_map(values)


def per(new: int, old: int) -> dict[str, int]:
    return {NEW: new, OLD: old}


def runtime_status(*names: str) -> Callable[[Exchange], bool]:
    def check(exchange: Exchange) -> bool:
        try:
            return exchange.json().get("runtimeStatus") in names
        except (ValueError, AttributeError):
            return False

    check.__name__ = f"runtimeStatus in {names}"
    return check


# ---------------------------------------------------------------------------------------------
# The scenario. Instance ids start with `ct-`; every fake process starts empty.

LONG_SLEEP = {"seconds": 3600}
LIST_FILTERS = (
    ("runtimeStatus", "Running,Completed"),
    ("instanceIdPrefix", "ct-"),
    ("createdTimeFrom", FAR_PAST),
    ("createdTimeTo", FAR_FUTURE),
    ("showInput", "false"),
)

SCENARIO: list[Step] = [
    # --- start -------------------------------------------------------------------------------
    Step("start without id", "startOrchestration", "POST", "/orchestrators/Echo",
         body={"greeting": "hello"}, fake=202, capture="echo_auto"),
    Step("start without id, no body", "startOrchestration", "POST", "/orchestrators/Echo",
         fake=202),
    Step("start with id (Echo)", "startOrchestrationWithId", "POST", "/orchestrators/Echo/ct-echo",
         body={"n": 1}, fake=202),
    Step("start with id (WaitForEvent)", "startOrchestrationWithId", "POST",
         "/orchestrators/WaitForEvent/ct-wait", body={"eventName": "Approval"}, fake=202),
    Step("start with id (Sleep, for rewind/restart)", "startOrchestrationWithId", "POST",
         "/orchestrators/Sleep/ct-sleep", body=LONG_SLEEP, fake=202),
    Step("start with id (Sleep, for purge)", "startOrchestrationWithId", "POST",
         "/orchestrators/Sleep/ct-purge-running", body=LONG_SLEEP, fake=202),
    Step("start with id (Sleep, for terminate)", "startOrchestrationWithId", "POST",
         "/orchestrators/Sleep/ct-term", body=LONG_SLEEP, fake=202),
    Step("start with id (Sleep, for suspend)", "startOrchestrationWithId", "POST",
         "/orchestrators/Sleep/ct-susp", body=LONG_SLEEP, fake=202),
    Step("start with id (Fail)", "startOrchestrationWithId", "POST", "/orchestrators/Fail/ct-fail",
         body={"message": "boom"}, fake=202),
    Step("start with id, string input", "startOrchestrationWithId", "POST",
         "/orchestrators/Echo/ct-echo-string", body="just a string", fake=202, prism=False,
         why="the overlay allows any JSON input; the seed types it as an object"),
    Step("start duplicate of a running instance", "startOrchestrationWithId", "POST",
         "/orchestrators/WaitForEvent/ct-wait", body={"eventName": "Approval"},
         fake=per(409, 500)),
    Step("start over a completed instance", "startOrchestrationWithId", "POST",
         "/orchestrators/Echo/ct-echo", body={"n": 2}, fake=202),
    Step("start unknown orchestrator", "startOrchestration", "POST",
         "/orchestrators/NoSuchOrchestrator", body={}, fake=per(202, 400)),
    Step("start with an id starting with @", "startOrchestrationWithId", "POST",
         "/orchestrators/Echo/@ct-bad", body={}, fake=per(202, 400)),
    Step("start with invalid JSON", "startOrchestration", "POST", "/orchestrators/Echo",
         body=b"{not json", content_type="application/json", fake=400, prism=False),
    Step("start, pollingInterval > timeout", "startOrchestration", "POST", "/orchestrators/Echo",
         query=(("timeout", "1"), ("pollingInterval", "2")), body={}, fake=400),
    Step("start and wait, times out", "startOrchestration", "POST", "/orchestrators/Sleep",
         query=(("timeout", "0.2"), ("pollingInterval", "0.05")), body=LONG_SLEEP, fake=202),
    Step("start and wait, completes", "startOrchestration", "POST", "/orchestrators/Echo",
         query=(("timeout", "5"), ("pollingInterval", "0.05")), body={"sync": True}, fake=200,
         why="notes 4.1: Completed -> 200 with the raw output"),
    Step("start and wait, fails", "startOrchestration", "POST", "/orchestrators/Fail",
         query=(("timeout", "5"), ("pollingInterval", "0.05")), body={"message": "sync"},
         fake=200, why="notes 4.1: Failed -> 200 with the status payload"),
    # --- status ------------------------------------------------------------------------------
    Step("status, completed", "getInstanceStatus", "GET", "/instances/ct-echo", fake=200,
         until=runtime_status("Completed")),
    Step("status without input, auto id", "getInstanceStatus", "GET", "/instances/{echo_auto}",
         query=(("showInput", "false"),), fake=200, until=runtime_status("Completed")),
    Step("status, running", "getInstanceStatus", "GET", "/instances/ct-wait", fake=202),
    Step("status, running, with history", "getInstanceStatus", "GET", "/instances/ct-wait",
         query=(("showHistory", "true"), ("showHistoryOutput", "true"), ("showInput", "true")),
         fake=202),
    Step("status, unknown instance", "getInstanceStatus", "GET", "/instances/ct-missing",
         fake=404),
    Step("status, failed", "getInstanceStatus", "GET", "/instances/ct-fail",
         query=(("showHistory", "true"),), fake=200, until=runtime_status("Failed")),
    Step("status, failed, 500 on failure", "getInstanceStatus", "GET", "/instances/ct-fail",
         query=(("returnInternalServerErrorOnFailure", "true"),), fake=500),
    # ContinueAsNew: Running for 1.5 s, then ContinuedAsNew for 1.5 s (polled), then Running.
    Step("start with id (ContinueAsNew)", "startOrchestrationWithId", "POST",
         "/orchestrators/ContinueAsNew/ct-can", body={"iterations": 2, "seconds": 1.5}, fake=202),
    Step("status, ContinuedAsNew", "getInstanceStatus", "GET", "/instances/ct-can", fake=202,
         until=runtime_status("ContinuedAsNew", "Completed")),
    # --- raise event -------------------------------------------------------------------------
    Step("raise event, other name", "raiseEvent", "POST", "/instances/ct-wait/raiseEvent/Other",
         body={"ignored": True}, fake=202),
    Step("raise event, text/plain", "raiseEvent", "POST", "/instances/ct-wait/raiseEvent/Approval",
         body=b"yes", content_type="text/plain", fake=400, prism=False),
    Step("raise event, invalid JSON", "raiseEvent", "POST",
         "/instances/ct-wait/raiseEvent/Approval", body=b"{", content_type="application/json",
         fake=400, prism=False),
    Step("raise event", "raiseEvent", "POST", "/instances/ct-wait/raiseEvent/Approval",
         body={"approved": True}, fake=202),
    Step("status after the event", "getInstanceStatus", "GET", "/instances/ct-wait",
         query=(("showHistory", "true"), ("showHistoryOutput", "true")), fake=200,
         until=runtime_status("Completed")),
    Step("raise event, completed", "raiseEvent", "POST", "/instances/ct-wait/raiseEvent/Approval",
         body={"approved": True}, fake=410),
    Step("raise event, unknown instance", "raiseEvent", "POST",
         "/instances/ct-missing/raiseEvent/Approval", body={}, fake=404),
    # --- terminate ---------------------------------------------------------------------------
    Step("terminate", "terminateInstance", "POST", "/instances/ct-term/terminate",
         query=(("reason", "stopped by the contract test"),), fake=202),
    Step("status, terminated", "getInstanceStatus", "GET", "/instances/ct-term", fake=200,
         until=runtime_status("Terminated")),
    Step("terminate, terminated", "terminateInstance", "POST", "/instances/ct-term/terminate",
         fake=410),
    Step("terminate, unknown instance", "terminateInstance", "POST",
         "/instances/ct-missing/terminate", fake=404),
    # --- suspend / resume --------------------------------------------------------------------
    Step("suspend", "suspendInstance", "POST", "/instances/ct-susp/suspend",
         query=(("reason", "pause"),), fake=202),
    Step("status, suspended", "getInstanceStatus", "GET", "/instances/ct-susp", fake=202,
         until=runtime_status("Suspended")),
    Step("suspend, suspended", "suspendInstance", "POST", "/instances/ct-susp/suspend", fake=500),
    Step("resume", "resumeInstance", "POST", "/instances/ct-susp/resume",
         query=(("reason", "go on"),), fake=202),
    Step("resume, running", "resumeInstance", "POST", "/instances/ct-susp/resume", fake=500),
    Step("suspend, completed", "suspendInstance", "POST", "/instances/ct-echo/suspend", fake=410),
    Step("resume, completed", "resumeInstance", "POST", "/instances/ct-echo/resume", fake=410),
    Step("suspend, unknown instance", "suspendInstance", "POST", "/instances/ct-missing/suspend",
         fake=404),
    Step("resume, unknown instance", "resumeInstance", "POST", "/instances/ct-missing/resume",
         fake=404),
    # --- rewind ------------------------------------------------------------------------------
    Step("rewind, failed", "rewindInstance", "POST", "/instances/ct-fail/rewind",
         query=(("reason", "retry"),), fake=202),
    Step("status after rewind", "getInstanceStatus", "GET", "/instances/ct-fail", fake=200,
         until=runtime_status("Completed")),
    Step("rewind, completed", "rewindInstance", "POST", "/instances/ct-echo/rewind",
         fake=per(412, 410)),
    Step("rewind, running", "rewindInstance", "POST", "/instances/ct-sleep/rewind",
         fake=per(412, 500)),
    Step("rewind, unknown instance", "rewindInstance", "POST", "/instances/ct-missing/rewind",
         fake=404),
    # --- restart (overlay only) --------------------------------------------------------------
    Step("restart, completed", "restartInstance", "POST", "/instances/ct-echo/restart",
         fake=202, prism=False),
    Step("restart in place, running", "restartInstance", "POST", "/instances/ct-sleep/restart",
         query=(("restartWithNewInstanceId", "false"),), fake=per(409, 500), prism=False),
    Step("restart, unknown instance", "restartInstance", "POST", "/instances/ct-missing/restart",
         fake=400, prism=False),
    Step("restart and wait, completes", "restartInstance", "POST", "/instances/ct-echo/restart",
         query=(("timeout", "5"), ("pollingInterval", "0.05")), fake=200, prism=False,
         why="notes 4.11: restart supports timeout/pollingInterval like start"),
    # --- list --------------------------------------------------------------------------------
    Step("list", "listInstances", "GET", "/instances", fake=200),
    Step("list with filters", "listInstances", "GET", "/instances", query=LIST_FILTERS, fake=200),
    Step("list, ContinuedAsNew filter", "listInstances", "GET", "/instances",
         query=(("runtimeStatus", "ContinuedAsNew,Suspended,Pending"),), fake=200),
    Step("list in pages of 2", "listInstances", "GET", "/instances",
         query=(("top", "2"), ("instanceIdPrefix", "ct-")), fake=200, pages=True),
    Step("list, unusable continuation token", "listInstances", "GET", "/instances",
         headers=(("x-ms-continuation-token", "not-a-token"),), fake=500,
         why="the fake's README: an unusable token is a 500"),
    Step("list, key in x-functions-key", "listInstances", "GET", "/instances",
         headers=(("x-functions-key", "{key}"),), auth=False, fake=200, prism=False),
    # --- purge -------------------------------------------------------------------------------
    Step("purge one, completed", "purgeInstance", "DELETE", "/instances/ct-echo", fake=200),
    Step("purge one, already purged", "purgeInstance", "DELETE", "/instances/ct-echo", fake=404),
    Step("purge one, running", "purgeInstance", "DELETE", "/instances/ct-purge-running",
         fake=per(412, 200)),
    Step("purge many without createdTimeFrom", "purgeInstances", "DELETE", "/instances",
         fake=400),
    Step("purge many, terminated", "purgeInstances", "DELETE", "/instances",
         query=(("createdTimeFrom", FAR_PAST), ("createdTimeTo", FAR_FUTURE),
                ("runtimeStatus", "Terminated")), fake=200),
    Step("purge many, nothing left", "purgeInstances", "DELETE", "/instances",
         query=(("createdTimeFrom", FAR_PAST), ("runtimeStatus", "Terminated")), fake=404),
    Step("purge many, nothing in range", "purgeInstances", "DELETE", "/instances",
         query=(("createdTimeFrom", FAR_PAST), ("createdTimeTo", "2001-01-01T00:00:00Z")),
         fake=404),
    # --- entities ----------------------------------------------------------------------------
    Step("signal counter add", "signalEntity", "POST", "/entities/counter/ct-counter",
         query=(("op", "add"),), body=5, fake=202),
    Step("signal counter add again", "signalEntity", "POST", "/entities/counter/ct-counter",
         query=(("op", "add"),), body=2, fake=202),
    Step("signal store set", "signalEntity", "POST", "/entities/store/ct-store",
         query=(("op", "set"),), body={"colour": "blue", "sizes": [1, 2]}, fake=202),
    Step("signal store set, no body", "signalEntity", "POST", "/entities/store/ct-store-null",
         query=(("op", "set"),), fake=202),
    Step("signal store set, text/plain", "signalEntity", "POST", "/entities/store/ct-store-text",
         query=(("op", "set"),), body=b"plain words", content_type="text/plain", fake=202,
         prism=False, why="notes 4.12: any other content type makes the input the raw string"),
    Step("signal unknown entity", "signalEntity", "POST", "/entities/nosuchentity/k",
         query=(("op", "add"),), body=1, fake=400),
    Step("signal, invalid JSON", "signalEntity", "POST", "/entities/counter/ct-counter",
         query=(("op", "add"),), body=b"{", content_type="application/json", fake=400,
         prism=False),
    Step("get entity (counter)", "getEntity", "GET", "/entities/counter/ct-counter", fake=200),
    Step("get entity (store)", "getEntity", "GET", "/entities/store/ct-store", fake=200),
    Step("get entity (string state)", "getEntity", "GET", "/entities/store/ct-store-text",
         fake=200, prism=False),
    Step("get entity (null state)", "getEntity", "GET", "/entities/store/ct-store-null", fake=200),
    Step("get entity, unknown key", "getEntity", "GET", "/entities/counter/ct-missing", fake=404),
    Step("list entities", "listEntities", "GET", "/entities/counter", fake=200),
    Step("list entities with state and time filter", "listEntities", "GET", "/entities/store",
         query=(("fetchState", "true"), ("lastOperationTimeFrom", FAR_PAST),
                ("lastOperationTimeTo", FAR_FUTURE)), fake=200),
    Step("list entities in pages of 1", "listEntities", "GET", "/entities/store",
         query=(("top", "1"), ("fetchState", "true")), fake=200, pages=True),
    Step("list entities, unusable continuation token", "listEntities", "GET", "/entities/store",
         headers=(("x-ms-continuation-token", "not-a-token"),), fake=500,
         why="the fake's README: an unusable token is a 500"),
    Step("signal counter delete", "signalEntity", "POST", "/entities/counter/ct-counter",
         query=(("op", "delete"),), fake=202),
    Step("get entity after delete", "getEntity", "GET", "/entities/counter/ct-counter", fake=404),
    Step("purge an entity's instance", "purgeInstance", "DELETE", "/instances/@store@ct-store",
         fake=200),
]

# ---------------------------------------------------------------------------------------------
# One minimal, seed-valid request per operation: the 401 checks and the Prism status matrix.

TEMPLATES: dict[str, dict[str, Any]] = {
    "startOrchestration": dict(method="POST", path="/orchestrators/Echo", body={}),
    "startOrchestrationWithId": dict(method="POST", path="/orchestrators/Echo/ct-t", body={}),
    "listInstances": dict(method="GET", path="/instances"),
    "purgeInstances": dict(method="DELETE", path="/instances",
                           query=(("createdTimeFrom", FAR_PAST),)),
    "getInstanceStatus": dict(method="GET", path="/instances/ct-t"),
    "purgeInstance": dict(method="DELETE", path="/instances/ct-t"),
    "raiseEvent": dict(method="POST", path="/instances/ct-t/raiseEvent/Approval", body={}),
    "terminateInstance": dict(method="POST", path="/instances/ct-t/terminate"),
    "suspendInstance": dict(method="POST", path="/instances/ct-t/suspend"),
    "resumeInstance": dict(method="POST", path="/instances/ct-t/resume"),
    "rewindInstance": dict(method="POST", path="/instances/ct-t/rewind"),
    "restartInstance": dict(method="POST", path="/instances/ct-t/restart"),
    "getEntity": dict(method="GET", path="/entities/counter/ct-t"),
    "signalEntity": dict(method="POST", path="/entities/counter/ct-t",
                         query=(("op", "add"),), body=1),
    "listEntities": dict(method="GET", path="/entities/counter"),
}

UNAUTHORIZED: list[Step] = [
    Step(f"no key: {op}", op, auth=False, fake=401, prism=False, **template)
    for op, template in TEMPLATES.items()
]


def prism_matrix(seed: dict) -> list[Step]:
    """Every status the seed documents, per operation, asked of Prism with `Prefer: code=N`."""
    steps = []
    for item in seed["paths"].values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            op = operation["operationId"]
            for status in operation.get("responses", {}):
                if status.isdigit():
                    steps.append(Step(f"Prefer {status}: {op}", op, prefer=int(status),
                                      **TEMPLATES[op]))
    return steps


def seed_statuses(seed: dict) -> dict[str, list[int]]:
    out = {}
    for item in seed["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                out[operation["operationId"]] = [
                    int(s) for s in operation.get("responses", {}) if s.isdigit()
                ]
    return out


@dataclass
class Target:
    name: str
    kind: str  # "prism" or "fake"
    profile: str | None = None  # fakes
    dynamic: bool = False  # prism: Prefer dynamic=true

    def steps(self, seed: dict) -> list[Step]:
        if self.kind == "fake":
            return [s for s in SCENARIO + UNAUTHORIZED if s.expected_fake(self.profile) is not None]
        statuses = seed_statuses(seed)
        return [s for s in SCENARIO if s.prism and s.op in statuses] + prism_matrix(seed)

    def expected(self, step: Step, seed_status: dict[str, list[int]]) -> int | None:
        if self.kind == "fake":
            return step.expected_fake(self.profile)
        prefer = self.prefer(step, seed_status)
        if prefer is not None:
            return prefer
        return min(s for s in seed_status[step.op] if 200 <= s < 300)

    def prefer(self, step: Step, seed_status: dict[str, list[int]]) -> int | None:
        if step.prefer is not None:
            return step.prefer
        wanted = step.expected_fake(NEW)
        return wanted if wanted in seed_status.get(step.op, []) else None


TARGETS = [
    Target("fake-new", "fake", profile=NEW),
    Target("fake-old", "fake", profile=OLD),
    Target("prism-static", "prism"),
    Target("prism-dynamic", "prism", dynamic=True),
]


@dataclass
class StepResult:
    exchanges: list[Exchange] = field(default_factory=list)
    error: str | None = None
