"""The official Naftiko tutorial, step 10, generated from the capability alone (no OpenAPI document),
run end to end: two imported consumed APIs (the Maritime Registry, JSON with a bearer token and a
`Registry-Version` header; the Legacy Dockyard, XML with an `X-Dock-Key` API key), secrets from the
binds file `file:///./shared/secrets.yaml`, exposed over REST and over MCP (bearer-protected) to the
real Python MCP client. Mock upstreams stand in for the two APIs and record what they receive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import REPO, Answer, MockUpstream, call_tool, http, list_tools, run_server, text

SPEC_DIR = REPO / "specs" / "shipyard"
SECRETS = {
    "registry-bearer-token": "dummy-token",
    "registry-api-version": "1.0.0-alpha2",
    "dockyard-api-key": "dummy-dockyard-key",
    "mcp-server-token": "sk-mcp-YYYYYYYYYYYY",
}
MCP_AUTH = {"Authorization": f"Bearer {SECRETS['mcp-server-token']}"}

SHIPS = [
    {"imo_number": "IMO-9321483", "vessel_name": "Northern Star", "vessel_type": "container",
     "flag_code": "NO", "operational_status": "active", "year_built": 2009},
    {"imo_number": "IMO-9400001", "vessel_name": "Southern Cross", "vessel_type": "tanker",
     "flag_code": "PA", "operational_status": "maintenance"},
]
SHIP = {**SHIPS[0], "gross_tonnage": 51000, "dimensions": {"length_overall": 294.1},
        "assignedCrew": ["CREW-3", "CREW-1", "CREW-9"]}
CREW = [
    {"crewId": "CREW-1", "fullName": "Ada Lovelace", "role": "captain", "nationality": "GB"},
    {"crewId": "CREW-2", "fullName": "Grace Hopper", "role": "engineer"},
    {"crewId": "CREW-3", "fullName": "Linus Pauling", "role": "cook"},
]
SHIP_WITH_CREW = {
    "imo": "IMO-9321483", "name": "Northern Star", "type": "container", "flag": "NO",
    "status": "active", "yearBuilt": 2009, "tonnage": 51000, "length": 294.1,
    # In `assignedCrew` order; `CREW-9` is nobody's id and is left out.
    "crew": [{"fullName": "Linus Pauling", "role": "cook"}, {"fullName": "Ada Lovelace", "role": "captain"}],
}
VESSELS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<vessels>
  <vessel><vesselCode>LEG-001</vesselCode><vesselName>Old Faithful</vesselName>
    <category>bulk</category><flagState>GB</flagState><operationalStatus>active</operationalStatus></vessel>
  <vessel><vesselCode>LEG-002</vesselCode><vesselName>Rusty &amp; Co</vesselName>
    <category>tug</category><flagState>NL</flagState><operationalStatus>laid_up</operationalStatus></vessel>
</vessels>"""
LEGACY = [
    {"vesselCode": "LEG-001", "name": "Old Faithful", "type": "bulk", "flag": "GB", "status": "active"},
    {"vesselCode": "LEG-002", "name": "Rusty & Co", "type": "tug", "flag": "NL", "status": "laid_up"},
]


def voyage_created(request):
    sent = request.json()
    return Answer(201, json.dumps({**sent, "voyageId": "VOY-1", "status": "planned"}))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("shipyard")
    registry = MockUpstream({
        ("GET", "/ships"): Answer(body=json.dumps(SHIPS)),
        ("GET", "/ships/IMO-9321483"): Answer(body=json.dumps(SHIP)),
        ("GET", "/ships/IMO%2F1%202"): Answer(body=json.dumps(SHIP)),
        ("POST", "/voyages"): voyage_created,
        ("GET", "/crew"): Answer(body=json.dumps(CREW)),
        ("GET", "/ships/IMO-0"): Answer(404, json.dumps({"error": "no such ship"})),
    })
    dockyard = MockUpstream({
        ("GET", "/vessels"): Answer(body=VESSELS_XML, content_type="application/xml"),
    })
    with registry, dockyard:
        flags = ["--registry-url", registry.url, "--legacy-url", dockyard.url]
        with run_server("shipyard-server", flags=flags, cwd=SPEC_DIR, log_dir=logs) as server:
            yield server, registry, dockyard


def test_the_capability_generates_without_an_openapi_document():
    cargo = (REPO / "generated" / "shipyard-server" / "Cargo.toml").read_text()
    path_dependencies = [line for line in cargo.splitlines() if "{ path = " in line]
    assert path_dependencies == [], "no client crate: the capability alone is enough"
    assert (REPO / "generated" / "shipyard-server" / "src" / "consumes.rs").is_file()


def test_rest_maps_the_registry_json(stack):
    server, registry, _ = stack
    reply = http("GET", f"{server.rest_url}/ships?status=active")
    assert reply.status == 200, reply.body
    assert reply.content_type == "application/json"
    assert reply.json() == [
        {"imo": "IMO-9321483", "name": "Northern Star", "type": "container", "flag": "NO", "status": "active"},
        {"imo": "IMO-9400001", "name": "Southern Cross", "type": "tanker", "flag": "PA", "status": "maintenance"},
    ]
    sent = registry.last()
    assert sent.path == "/ships"
    assert sent.query == {"status": ["active"]}
    # The bearer token and the version header come from the binds file.
    assert sent.headers["authorization"] == "Bearer dummy-token"
    assert sent.headers["registry-version"] == "1.0.0-alpha2"


def test_rest_path_parameter_fills_the_consumed_template(stack):
    server, registry, _ = stack
    reply = http("GET", f"{server.rest_url}/ships/IMO-9321483")
    assert reply.status == 200, reply.body
    assert reply.json() == {
        "imo": "IMO-9321483", "name": "Northern Star", "type": "container", "flag": "NO",
        "status": "active", "specs": {"yearBuilt": 2009, "tonnage": 51000, "length": 294.1},
    }
    assert registry.last().path == "/ships/IMO-9321483"


def test_path_values_are_encoded_as_one_segment(stack):
    server, registry, _ = stack
    reply = http("GET", f"{server.rest_url}/ships/IMO%2F1%202")
    assert reply.status == 200, reply.body
    assert registry.last().path == "/ships/IMO%2F1%202"


def test_rest_optional_query_is_not_sent_when_absent(stack):
    server, registry, _ = stack
    reply = http("GET", f"{server.rest_url}/ships")
    assert reply.status == 200
    assert registry.last().query == {}


def test_rest_converts_the_dockyard_xml(stack):
    server, _, dockyard = stack
    reply = http("GET", f"{server.rest_url}/legacy/vessels?status=active")
    assert reply.status == 200, reply.body
    assert reply.json() == LEGACY
    sent = dockyard.last()
    assert sent.query == {"status": ["active"]}
    assert sent.headers["x-dock-key"] == "dummy-dockyard-key"
    assert "authorization" not in sent.headers


def test_rest_body_fields_fill_the_body_template(stack):
    server, registry, _ = stack
    voyage = {"shipImo": "IMO-9321483", "departurePort": "Oslo", "arrivalPort": "Rotterdam",
              "departureDate": "2026-12-10", "arrivalDate": "2026-12-14",
              "crewIds": ["C1", "C2"], "cargoIds": ["K9"]}
    reply = http("POST", f"{server.rest_url}/voyages", voyage)
    assert reply.status == 201, reply.body
    sent = registry.last()
    assert sent.method == "POST" and sent.path == "/voyages"
    assert sent.headers["content-type"] == "application/json"
    # `{{crewIds}}` renders the array as JSON inside the template.
    assert sent.json() == voyage
    assert reply.json() == {
        "voyageId": "VOY-1", "shipImo": "IMO-9321483",
        "route": {"from": "Oslo", "to": "Rotterdam"},
        "dates": {"departure": "2026-12-10", "arrival": "2026-12-14"},
        "crewIds": ["C1", "C2"], "cargoIds": ["K9"], "status": "planned",
    }


def test_rest_orchestrated_operation_runs_the_function_steps(stack):
    server, registry, _ = stack
    # `ref: crew-resolver.resolve-crew-for-ship`: call get-ship and list-crew, look the ship's
    # `assignedCrew` up in the crew list, and map both into one answer.
    before = len(registry.requests)
    reply = http("GET", f"{server.rest_url}/ships/IMO-9321483/crew")
    assert reply.status == 200, reply.body
    assert reply.content_type == "application/json"
    assert reply.json() == SHIP_WITH_CREW
    sent = sorted(request.path for request in registry.requests[before:])
    assert sent == ["/crew", "/ships/IMO-9321483"]


def test_rest_orchestration_step_errors_name_the_step(stack):
    server, _, _ = stack
    reply = http("GET", f"{server.rest_url}/ships/IMO-0/crew")
    assert reply.status == 404, reply.body
    assert reply.content_type == "application/problem+json"
    problem = reply.json()
    assert problem["step"] == "get-ship"
    assert problem["upstreamStatus"] == 404
    assert problem["upstream"] == {"error": "no such ship"}
    assert "registry.get-ship" in problem["detail"]


def test_mcp_requires_the_bound_bearer_token(stack):
    server, _, _ = stack
    reply = http("POST", server.mcp_url, {"jsonrpc": "2.0", "id": 1, "method": "ping"},
                 {"accept": "application/json, text/event-stream"})
    assert reply.status == 401
    assert reply.content_type == "application/problem+json"


def test_mcp_lists_typed_tools_with_output_schemas(stack):
    server, _, _ = stack
    tools = {tool.name: tool for tool in list_tools(server.mcp_url, MCP_AUTH).tools}
    assert set(tools) == {"list-ships", "get-ship", "list-legacy-vessels", "create-voyage", "get-ship-with-crew"}
    crew = tools["get-ship-with-crew"]
    # From the function: its description, input and `semantics` (safe, idempotent).
    assert crew.description == "Get ship details with resolved crew names"
    assert crew.input_schema["required"] == ["imo"]
    assert (crew.annotations.read_only_hint, crew.annotations.idempotent_hint) == (True, True)
    assert crew.output_schema["properties"]["crew"]["items"]["properties"]["role"] == {"type": ["string", "null"]}
    get_ship = tools["get-ship"]
    assert get_ship.input_schema["properties"]["imo"]["type"] == "string"
    assert get_ship.input_schema["required"] == ["imo"]
    assert get_ship.output_schema["properties"]["specs"]["properties"]["tonnage"]["type"] == ["number", "null"]
    # An array result gets an object root.
    assert tools["list-ships"].output_schema["properties"]["result"]["type"] == "array"


def test_mcp_tools_call_both_upstreams(stack):
    server, registry, dockyard = stack
    ships = call_tool(server.mcp_url, "list-ships", {"status": "active"}, MCP_AUTH)
    assert not ships.is_error, text(ships)
    assert ships.structured_content["result"][0]["imo"] == "IMO-9321483"
    assert registry.last().query == {"status": ["active"]}
    vessels = call_tool(server.mcp_url, "list-legacy-vessels", {}, MCP_AUTH)
    assert not vessels.is_error, text(vessels)
    assert vessels.structured_content == {"result": LEGACY}
    assert dockyard.last().query == {}
    ship = call_tool(server.mcp_url, "get-ship", {"imo": "IMO-9321483"}, MCP_AUTH)
    assert ship.structured_content["specs"]["length"] == 294.1


def test_mcp_orchestrated_tool_answers_like_the_rest_operation(stack):
    server, _, _ = stack
    result = call_tool(server.mcp_url, "get-ship-with-crew", {"imo": "IMO-9321483"}, MCP_AUTH)
    assert not result.is_error, text(result)
    assert result.structured_content == SHIP_WITH_CREW
    failed = call_tool(server.mcp_url, "get-ship-with-crew", {"imo": "IMO-0"}, MCP_AUTH)
    assert failed.is_error
    assert "Step `get-ship`" in text(failed) and "404" in text(failed)


def test_no_secret_in_answers_or_logs(stack):
    server, _, _ = stack
    http("GET", f"{server.rest_url}/ships")
    call_tool(server.mcp_url, "list-legacy-vessels", {}, MCP_AUTH)
    logs = server.logs()
    for secret in ("dummy-token", "dummy-dockyard-key", SECRETS["mcp-server-token"]):
        assert secret not in logs
