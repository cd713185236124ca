"""JavaScript `script` steps (`specs/naftiko-features/scripts.naftiko.yaml`, generated alone), over
REST and the real Python MCP client, against a mock upstream. Each test names the engine test it
mirrors (`engine/scripting/ScriptStepExecutorTest`): the script reads earlier step outputs from
`context[step-name]` and its `with` values, assigns `result`, runs its dependencies first, and is
stopped at the statement limit; the host is out of reach; a missing file is an error. The control
adapter's `management.scripting` gives the default location and language. A Python step is not
generated (capgen runs JavaScript only): its tool is absent."""

from __future__ import annotations

import json

import pytest

from harness import REPO, Answer, MockUpstream, call_tool, http, mcp_session, run_server, text

SPEC_DIR = REPO / "specs" / "naftiko-features"
MEMBERS = [
    {"login": "alice", "id": 1, "type": "User"},
    {"login": "bot-ci", "id": 2, "type": "Bot"},
    {"login": "bob", "id": 3, "type": "User"},
]
ORDERS = [{"amount": 10.5}, {"amount": 20.0}, {"amount": 30.0}]
ITEMS = [{"name": "Widget", "stock": 5}, {"name": "Gadget", "stock": 15}, {"name": "Gizmo", "stock": 3}]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("scripts")
    hub = MockUpstream({
        ("GET", "/orgs/acme/members"): Answer(body=json.dumps(MEMBERS)),
        ("GET", "/orders"): Answer(body=json.dumps(ORDERS)),
        ("GET", "/items"): Answer(body=json.dumps(ITEMS)),
    })
    with hub:
        # `file:///./scripts` is relative to the working directory.
        with run_server("scripts-server", [hub.url], cwd=SPEC_DIR, log_dir=logs) as server:
            yield server, hub


def test_a_script_filters_an_earlier_step_output(stack):
    """executeShouldFilterArrayFromStepContext: the script is the last step, so its result is
    the answer."""
    server, _ = stack
    reply = http("GET", f"{server.rest_url}/orgs/acme/active")
    assert reply.status == 200, reply.body
    assert reply.json() == [{"login": "alice", "id": 1}, {"login": "bob", "id": 3}]


def test_dependencies_are_evaluated_first(stack):
    """executeShouldPreEvaluateDependencies (explicit `location` and `language` on the step)."""
    server, _ = stack
    reply = http("GET", f"{server.rest_url}/orgs/acme/people")
    assert reply.status == 200, reply.body
    assert reply.json() == [{"login": "alice", "id": 1}, {"login": "bob", "id": 3}]


def test_derived_values_are_mapped_into_the_answer(stack):
    """executeShouldComputeDerivedValues, then `mappings` over the script's output."""
    server, _ = stack
    reply = http("GET", f"{server.rest_url}/orders/totals")
    assert reply.status == 200, reply.body
    assert reply.json() == {"total": 60.5, "count": 3}


def test_with_values_reach_the_script(stack):
    """executeShouldInjectWithParameters: `threshold: '{{minStock}}'`."""
    server, _ = stack
    reply = http("GET", f"{server.rest_url}/items/low?minStock=10")
    assert reply.status == 200, reply.body
    assert [it["name"] for it in reply.json()] == ["Widget", "Gizmo"]


def test_a_script_alone_answers(stack):
    """executeShouldRunJavaScriptAndReturnResult."""
    server, _ = stack
    assert http("GET", f"{server.rest_url}/greeting").json() == {"greeting": "hello", "count": 42, "flag": True}


def test_no_result_is_no_output(stack):
    """executeShouldReturnNullWhenResultNotAssigned."""
    server, _ = stack
    reply = http("GET", f"{server.rest_url}/orgs/acme/silent")
    assert reply.status == 200 and reply.json() is None


@pytest.mark.parametrize(
    ("path", "says"),
    [
        # executeShouldEnforceStatementLimit / executeShouldUseConfiguredStatementLimit
        ("/broken/loop", "exceeded the statement limit (50000)"),
        # executeShouldDenyHostAccess
        ("/broken/host", "java is not defined"),
        # executeShouldFailOnMissingFile
        ("/broken/missing", "the script `not-there.js` does not exist"),
    ],
)
def test_a_failing_script_is_a_problem_naming_the_step(stack, path, says):
    server, _ = stack
    reply = http("GET", f"{server.rest_url}{path}")
    assert reply.status == 500, reply.body
    assert reply.content_type == "application/problem+json"
    problem = reply.json()
    assert says in problem["detail"], problem
    assert problem["step"] in {"spin", "escape", "gone"}
    # The server's own paths stay inside it.
    assert str(SPEC_DIR) not in reply.body.decode()


def test_the_server_keeps_serving_after_a_runaway_script(stack):
    server, _ = stack
    for _ in range(3):
        assert http("GET", f"{server.rest_url}/broken/loop").status == 500
    assert http("GET", f"{server.rest_url}/greeting").status == 200


def test_tools_run_scripts_too(stack):
    server, _ = stack
    result = call_tool(server.mcp_url, "active-members", {"org": "acme"})
    assert not result.is_error, text(result)
    assert json.loads(text(result)) == [{"login": "alice", "id": 1}, {"login": "bob", "id": 3}]
    totals = call_tool(server.mcp_url, "order-totals", {})
    assert totals.structured_content == {"total": 60.5, "count": 3}


def test_a_failing_script_is_a_tool_error(stack):
    server, _ = stack
    result = call_tool(server.mcp_url, "loop", {})
    assert result.is_error
    assert "Step `spin`" in text(result) and "statement limit" in text(result)


def test_python_steps_are_not_generated(stack):
    """capgen runs JavaScript only: the tool with a Python step is left out (C202 at generation)."""
    server, _ = stack

    async def body(client):
        return await client.list_tools()

    names = {tool.name for tool in mcp_session(server.mcp_url, body).tools}
    assert names == {"active-members", "order-totals", "loop"}


def test_scripting_switched_off_by_the_environment_fails_every_script_step(stack, tmp_path):
    """requireScriptingPermitted: NAFTIKO_SCRIPTING=false, when the capability does not set
    `management.scripting.enabled`."""
    _, hub = stack
    with run_server("scripts-server", [hub.url], cwd=SPEC_DIR, env={"NAFTIKO_SCRIPTING": "false"},
                    mcp=False, log_dir=tmp_path) as server:
        reply = http("GET", f"{server.rest_url}/greeting")
    assert reply.status == 500
    assert "scripting is disabled (NAFTIKO_SCRIPTING=false)" in reply.json()["detail"]
