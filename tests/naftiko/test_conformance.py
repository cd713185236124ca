"""Conformance with the Naftiko engine: the engine's own test capabilities (alpha2, copied into
`specs/naftiko-conformance/`), each generated from the capability alone, run against a mock upstream
that serves the engine's sample payloads (`../shared/naftiko/framework-tests/resources/schemas/`).

Each test names the engine test (`io.naftiko.engine.<package>.<Class>.<method>`) whose assertion it
checks on the generated server, over the wire. Where capgen deliberately differs from the engine, the
test says so and why."""

from __future__ import annotations

import json

import pytest
from mcp import StdioServerParameters

from harness import (
    SAMPLES,
    Answer,
    MockUpstream,
    binary,
    call_tool,
    http,
    list_tools,
    mcp_session,
    run_server,
    text,
)

USERS = [
    {"id": "1", "name": "Alice Smith", "email": "alice@example.com"},
    {"id": "2", "name": "Bob Johnson", "email": "bob@example.com"},
    {"id": "3", "name": "Carol White", "email": "carol@example.com"},
]


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def logs(tmp_path):
    return tmp_path


def serve_sample(logs, crate: str, path: str, payload: bytes, content_type: str, route: str):
    """Runs `crate` against an upstream answering `GET path` with `payload`; returns the reply to
    `GET route` and the request the upstream received."""
    with MockUpstream({("GET", path): Answer(body=payload, content_type=content_type)}) as upstream:
        with run_server(crate, [upstream.url], mcp=False, log_dir=logs) as server:
            reply = http("GET", f"{server.rest_url}{route}")
            return reply, upstream.last()


# --- outputRawFormat conversions ------------------------------------------------------------------


def test_csv_rows_become_objects_keyed_by_the_header(logs):
    """consumes.http.CsvIntegrationTest.testCsvResponseConversion: three users, string fields."""
    reply, sent = serve_sample(logs, "conformance-formats-csv", "/api/users", sample("sample-users.csv"), "text/csv", "/csv/users")
    assert reply.status == 200, reply.body
    assert reply.content_type == "application/json"
    assert reply.json() == USERS
    # The consumed adapter-level header parameter is sent (HeaderQueryIntegrationTest's mechanism).
    assert sent.headers["user-agent"] == "Naftiko/1.0.0-alpha2"


def test_yaml_is_read_as_json(logs):
    """consumes.http.YamlIntegrationTest.testYamlResponseConversion and
    testYamlDeserializationWithJsonPath: `$.users` selects the three users."""
    reply, _ = serve_sample(logs, "conformance-formats-yaml", "/api/users", sample("sample-users.yaml"), "application/yaml", "/yaml/users")
    assert reply.status == 200, reply.body
    assert reply.json() == USERS


def test_xml_drops_the_root_element(logs):
    """consumes.http.XmlIntegrationTest.testXmlResponseConversion asserts the converted document
    `has("user")` (Jackson's XmlMapper drops the root element). The fixture's own mapping is
    `$.root.user`, which therefore selects nothing in the engine too: the answer is `[]`."""
    reply, _ = serve_sample(logs, "conformance-formats-xml", "/api/users", sample("sample-users.xml"), "application/xml", "/xml/users")
    assert reply.status == 200, reply.body
    assert reply.json() == []


def test_xml_repeated_elements_are_an_array(logs):
    """consumes.http.XmlIntegrationTest.testXmlDeserializationWithJsonPath: repeated `<user>`
    elements form an array whose items map per element (a document whose root wraps a `<root>`
    element, so that the fixture's `$.root.user` selects them)."""
    wrapped = sample("sample-users.xml").replace(b"<root>", b"<response><root>").replace(b"</root>", b"</root></response>")
    reply, _ = serve_sample(logs, "conformance-formats-xml", "/api/users", wrapped, "application/xml", "/xml/users")
    assert reply.status == 200, reply.body
    assert reply.json() == USERS


def test_html_tables_by_css_selector(logs):
    """consumes.http.HtmlIntegrationTest.testHtmlResponseConversion: `outputSchema: table.products`
    gives one table of two rows keyed by the header cells (`Widget`, `$99`)."""
    reply, _ = serve_sample(logs, "conformance-formats-html", "/api/products", sample("sample-products.html"), "text/html", "/html/products")
    assert reply.status == 200, reply.body
    assert reply.json() == [
        {"name": "Widget", "price": "$42", "stock": "150"},
        {"name": "Gadget", "price": "$99", "stock": "30"},
    ]


def test_markdown_tables(logs):
    """consumes.http.MarkdownIntegrationTest.testMarkdownResponseConversion: the first table of
    the document (`Status` of the first row is `GA`)."""
    reply, _ = serve_sample(logs, "conformance-formats-markdown", "/api/readme", sample("sample-readme.md"), "text/markdown", "/markdown/features")
    assert reply.status == 200, reply.body
    assert reply.json()[0] == {"feature": "HTML support", "status": "GA"}


def test_unparsable_upstream_bodies_are_a_bad_gateway(logs):
    """capgen's own behaviour (the engine answers 500 "Failed to map output parameters"): a body
    that is not the declared format is the upstream's fault, 502 problem+json."""
    reply, _ = serve_sample(logs, "conformance-formats-yaml", "/api/users", b"users: [unclosed", "application/yaml", "/yaml/users")
    assert reply.status == 502
    assert reply.content_type == "application/problem+json"


# --- request building ----------------------------------------------------------------------------


def test_body_inputs_by_jsonpath_fill_the_body_template(logs):
    """exposes.rest.HttpBodyIntegrationTest.testClientRequestBodyTemplating: `userId` and
    `userName` read from the request body at `$.user.id` and `$.user.name` render the consumed
    body template `{"id":"{{userId}}","name":"{{userName}}"}`."""
    with MockUpstream({("POST", "/create"): Answer(body="{}")}) as upstream:
        with run_server("conformance-http-http-body", [upstream.url], mcp=False, log_dir=logs) as server:
            reply = http("POST", f"{server.rest_url}/users", {"user": {"id": "123", "name": "Alice"}})
            assert reply.status == 200, reply.body
            sent = upstream.last()
    assert sent.method == "POST" and sent.path == "/create"
    assert b'"id":"123"' in sent.body and b'"name":"Alice"' in sent.body
    assert sent.json() == {"id": "123", "name": "Alice"}


def test_query_from_template_and_adapter_header(logs):
    """exposes.rest.HeaderQueryIntegrationTest.testHeadersAndQueryPopulation: the adapter-level
    header `X-API-Key: ABC123` is sent, and the query value `{{userId}}` renders the body field as
    text (`q=999`, not the JSON `"999"`)."""
    with MockUpstream({("POST", "/items"): Answer(body="{}")}) as upstream:
        with run_server("conformance-http-http-header-query", [upstream.url], mcp=False, log_dir=logs) as server:
            reply = http("POST", f"{server.rest_url}/search", {"user": {"id": "999"}})
            assert reply.status == 200, reply.body
            sent = upstream.last()
    assert sent.headers["x-api-key"] == "ABC123"
    assert sent.query == {"q": ["999"]}


def test_a_missing_body_field_leaves_the_query_parameter_out(logs):
    """capgen: an optional value whose template renders empty is not sent (the engine skips
    values that still contain `{{`)."""
    with MockUpstream({("POST", "/items"): Answer(body="{}")}) as upstream:
        with run_server("conformance-http-http-header-query", [upstream.url], mcp=False, log_dir=logs) as server:
            assert http("POST", f"{server.rest_url}/search", {"user": {}}).status == 200
            assert upstream.last().query == {}


# --- MCP -----------------------------------------------------------------------------------------

NOTION_RESULTS = {
    "results": [
        {"properties": {"Name": {"title": [{"text": {"content": "Ada"}}]}, "Status": {"select": {"name": "Committed"}}}},
        {"properties": {"Name": {"title": [{"text": {"content": "Linus"}}]}, "Status": {"select": {"name": "Committed"}}}},
    ]
}


def test_mcp_tool_calls_the_templated_path_with_the_literal_with(logs):
    """exposes.mcp.McpIntegrationTest (testMcpToolSpecDeserialized, testMcpToolsBuilt,
    testHttpClientAdapterWired): one tool `query-database` calling `mock-api.query-db` with
    `datasource_id: test-db-id-123` into `databases/{{datasource_id}}/query` under
    `http://…/v1`, the JSON body and the adapter-level `Content-Type` header."""
    route = ("POST", "/v1/databases/test-db-id-123/query")
    with MockUpstream({route: Answer(body=json.dumps(NOTION_RESULTS))}) as upstream:
        with run_server("conformance-mcp-mcp", [f"{upstream.url}/v1"], rest=False, log_dir=logs) as server:
            tools = list_tools(server.mcp_url).tools
            assert [tool.name for tool in tools] == ["query-database"]
            assert "Query the test database" in tools[0].description
            result = call_tool(server.mcp_url, "query-database", {})
            sent = upstream.last()
    assert not result.is_error, text(result)
    assert result.structured_content == {"result": [{"name": "Ada", "status": "Committed"}, {"name": "Linus", "status": "Committed"}]}
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {"filter": {"property": "Status", "select": {"equals": "Committed"}}}


def test_mcp_with_mustache_reads_the_argument(logs):
    """exposes.mcp.ToolHandlerTest (mcp-tool-handler-with-mustache): `with: imo_number: "{{imo}}"`
    renders the tool argument into the consumed path; without output parameters the upstream
    JSON comes back as it is."""
    ship = {"imo_number": "IMO-1", "vessel_name": "Ada"}
    with MockUpstream({("GET", "/ships/IMO-1"): Answer(body=json.dumps(ship))}) as upstream:
        with run_server("conformance-mcp-mcp-tool-handler-with-mustache", [upstream.url], rest=False, log_dir=logs) as server:
            tools = list_tools(server.mcp_url).tools
            assert tools[0].input_schema["required"] == ["imo"]
            result = call_tool(server.mcp_url, "get-ship", {"imo": "IMO-1"})
    assert not result.is_error, text(result)
    assert result.structured_content == ship


def test_mcp_missing_required_argument_is_an_error_result(logs):
    """capgen validates arguments against the advertised input schema (the engine does not): a
    missing required argument is an `isError` result naming it, and nothing goes upstream."""
    with MockUpstream({}) as upstream:
        with run_server("conformance-mcp-mcp-tool-handler-with-mustache", [upstream.url], rest=False, log_dir=logs) as server:
            result = call_tool(server.mcp_url, "get-ship", {})
    assert result.is_error
    assert "imo" in text(result)
    assert upstream.requests == []


def test_nested_object_outputs(logs):
    """exposes.mcp.NestedObjectOutputMappingIntegrationTest.applyOutputMappingsShouldProduceNestedSpecsObject:
    `specs` is an object of its properties, each mapped against the response root."""
    response = {
        "imo_number": "IMO-9321483", "vessel_name": "Northern Star", "operational_status": "active",
        "year_built": 2015, "gross_tonnage": 42000, "dimensions": {"length_overall": 229},
    }
    with MockUpstream({("GET", "/ships/IMO-9321483"): Answer(body=json.dumps(response))}) as upstream:
        with run_server("conformance-nested-object-output", [upstream.url], rest=False, log_dir=logs) as server:
            tool = list_tools(server.mcp_url).tools[0]
            result = call_tool(server.mcp_url, "get-ship", {"imo": "IMO-9321483"})
    assert result.structured_content == {
        "imo": "IMO-9321483", "name": "Northern Star", "status": "active",
        "specs": {"yearBuilt": 2015, "tonnage": 42000, "length": 229},
    }
    # capgen advertises the mapped shape as the tool's output schema.
    assert tool.output_schema["properties"]["specs"]["type"] == "object"


def test_tool_hints_become_annotations(logs):
    """exposes.mcp.McpToolHintsIntegrationTest: hints map to the MCP annotations, `label` to the
    title, and a tool without hints gets the MCP defaults."""
    with MockUpstream({}) as upstream:
        with run_server("conformance-mcp-mcp-hints", [upstream.url], rest=False, log_dir=logs) as server:
            tools = {tool.name: tool for tool in list_tools(server.mcp_url).tools}
    read = tools["read-data"].annotations
    assert tools["read-data"].title == "Read Data"
    assert (read.read_only_hint, read.open_world_hint) == (True, True)
    delete = tools["delete-record"].annotations
    assert (delete.read_only_hint, delete.destructive_hint, delete.idempotent_hint, delete.open_world_hint) == (False, True, True, False)
    plain = tools["no-hints-tool"].annotations
    assert (plain.read_only_hint, plain.destructive_hint, plain.idempotent_hint, plain.open_world_hint) == (False, True, False, True)


def test_stdio_transport(logs):
    """exposes.mcp.StdioIntegrationTest: `transport: stdio` serves MCP over stdin/stdout (the
    generated binary defaults to it) and calls the upstream."""
    route = ("POST", "/v1/databases/test-db-id-123/query")
    with MockUpstream({route: Answer(body=json.dumps(NOTION_RESULTS))}) as upstream:
        params = StdioServerParameters(
            command=str(binary("conformance-mcp-mcp-stdio")),
            args=["--upstream-url", f"{upstream.url}/v1"],
        )

        async def body(client):
            tools = await client.list_tools()
            result = await client.call_tool("query-database", {})
            return tools, result

        tools, result = mcp_session(params, body)
    assert [tool.name for tool in tools.tools] == ["query-database"]
    assert result.structured_content["result"][0]["name"] == "Ada"


# --- aggregates and ref --------------------------------------------------------------------------


def test_ref_tools_take_the_function(logs):
    """aggregates.AggregateIntegrationTest / AggregateRefResolverTest (aggregate-basic): a tool
    with `ref` and no name of its own is named after nothing but its `name`, inherits the
    function's description, input parameters and `semantics` (safe → read-only, not destructive;
    idempotent), and calls the function's operation; the REST operations with `ref` too."""
    with MockUpstream({("GET", "/v1/forecast"): Answer(body=json.dumps({"forecast": "sunny"}))}) as upstream:
        with run_server("conformance-aggregates-aggregate-basic", [f"{upstream.url}/v1"], log_dir=logs) as server:
            tools = {tool.name: tool for tool in list_tools(server.mcp_url).tools}
            result = call_tool(server.mcp_url, "get-forecast-inherited", {"location": "Paris"})
            rest = http("GET", f"{server.rest_url}/forecast/Paris")
    assert set(tools) == {"get-forecast", "get-forecast-inherited"}
    assert tools["get-forecast"].description == "Get the weather forecast."
    inherited = tools["get-forecast-inherited"]
    assert inherited.description == "Fetch current weather forecast for a location."
    assert inherited.input_schema["properties"]["location"]["type"] == "string"
    assert (inherited.annotations.read_only_hint, inherited.annotations.destructive_hint, inherited.annotations.idempotent_hint) == (True, False, True)
    assert result.structured_content == {"result": "sunny"}
    assert rest.status == 200 and rest.json() == "sunny"


def test_tool_hints_override_function_semantics(logs):
    """aggregates.AggregateFunctionTest (aggregate-hints-override): the tool's own hints win over
    the derived ones, field by field."""
    with MockUpstream({}) as upstream:
        with run_server("conformance-aggregates-aggregate-hints-override", [f"{upstream.url}/v1"], rest=False, log_dir=logs) as server:
            tools = {tool.name: tool.annotations for tool in list_tools(server.mcp_url).tools}
    assert (tools["read-items"].read_only_hint, tools["read-items"].destructive_hint) == (True, False)
    assert tools["read-items-open"].open_world_hint is True
    delete = tools["delete-item"]
    assert (delete.read_only_hint, delete.destructive_hint, delete.idempotent_hint, delete.open_world_hint) == (False, True, True, False)
    plain = tools["plain-tool"]
    assert (plain.read_only_hint, plain.destructive_hint) == (False, True)


def test_mock_function_answers_the_same_over_mcp_and_rest(logs):
    """exposes.rest.AggregateSharedMockIntegrationTest.aggregateMockShouldReturnSamePayloadForMcpAndRest:
    a mock function (no call) answers `{"message": "Hello, Nina!", "source": "aggregate-mock"}` on
    both adapters, and nothing goes upstream."""
    with run_server("conformance-aggregates-aggregate-shared-mock", log_dir=logs) as server:
        result = call_tool(server.mcp_url, "hello", {"name": "Nina"})
        rest = http("GET", f"{server.rest_url}/hello?name=Nina")
    expected = {"message": "Hello, Nina!", "source": "aggregate-mock"}
    assert not result.is_error, text(result)
    assert result.structured_content == expected
    assert rest.status == 200 and rest.json() == expected


# --- orchestrated steps -----------------------------------------------------------------------------


def test_step_with_reads_the_tool_argument_by_namespace(logs):
    """exposes.mcp.StepWithNamespaceIntegrationTest / util.OperationStepExecutorBranchTest
    .executeStepsShouldResolveNamespaceQualifiedReferencesInStepWith (issue #290): a call step's
    `with: {voyageId: shipyard-tools.voyageId}` reads the tool argument, fills the consumed path
    template, and `mappings` build the answer from the step's output."""
    voyage = {"voyageId": "VOY-2026-042", "status": "planned", "ship": "IMO-1"}
    with MockUpstream({("GET", "/voyages/VOY-2026-042"): Answer(body=json.dumps(voyage))}) as upstream:
        with run_server("conformance-mcp-mcp-step-with-namespace", [upstream.url], rest=False, log_dir=logs) as server:
            tools = {tool.name: tool for tool in list_tools(server.mcp_url).tools}
            result = call_tool(server.mcp_url, "get-voyage-manifest", {"voyageId": "VOY-2026-042"})
            missing = call_tool(server.mcp_url, "get-voyage-manifest", {"voyageId": "VOY-0"})
        sent = upstream.requests
    assert not result.is_error, text(result)
    assert sent[0].path == "/voyages/VOY-2026-042"
    # Only the mapped target, typed by the declared output parameters.
    assert result.structured_content == {"voyageId": "VOY-2026-042"}
    assert tools["get-voyage-manifest"].output_schema == {
        "type": "object", "properties": {"voyageId": {"type": ["string", "null"]}},
    }
    # capgen differs: a step whose upstream answers an error stops with an error naming the step
    # (the engine maps the error body as if it were the voyage).
    assert missing.is_error
    assert "Step `get-voyage` (`registry.get-voyage`) failed" in text(missing)
    assert "404" in text(missing)


def test_function_steps_read_inputs_by_the_aggregate_namespace(logs):
    """aggregates.AggregateStepNamespaceIntegrationTest (issue #290): inside an aggregate
    function, `with: {voyage-id: shipyard.voyage-id}` names the function's input by the
    aggregate's namespace; a tool with `ref` runs the function's steps and mappings."""
    voyage = {"voyageId": "VOY-2026-042"}
    with MockUpstream({("GET", "/voyages/VOY-2026-042"): Answer(body=json.dumps(voyage))}) as upstream:
        with run_server("conformance-aggregates-aggregate-step-with-namespace", [upstream.url], rest=False, log_dir=logs) as server:
            tools = {tool.name: tool for tool in list_tools(server.mcp_url).tools}
            result = call_tool(server.mcp_url, "get-voyage-manifest", {"voyage-id": "VOY-2026-042"})
        sent = upstream.last()
    assert tools["get-voyage-manifest"].input_schema["properties"]["voyage-id"]["type"] == "string"
    assert sent.path == "/voyages/VOY-2026-042"
    assert not result.is_error, text(result)
    assert result.structured_content == {"voyage-id": "VOY-2026-042"}


# --- MCP resources and prompts ------------------------------------------------------------------------


def resources_and_prompts(url: str):
    async def body(client):
        capabilities = client.server_capabilities
        return {
            "capabilities": capabilities,
            "resources": await client.list_resources(),
            "templates": await client.list_resource_templates(),
            "fixed": await client.read_resource("data://databases/pre-release/schema"),
            "templated": await client.read_resource("data://users/42/profile"),
            "prompts": await client.list_prompts(),
            "outreach": await client.get_prompt(
                "participant-outreach", {"participant_name": "Alice", "product_name": "Naftiko"}
            ),
            "summary": await client.get_prompt("summary-prompt", {"data": "item1, item2, item3", "format": "bullet-points"}),
            "optional": await client.get_prompt("summary-prompt", {"data": "x"}),
        }

    return mcp_session(url, body)


def test_resources_and_prompts(logs):
    """exposes.mcp.ResourcesPromptsIntegrationTest (mcp-resources-prompts): `initialize` advertises
    resources and prompts; `resources/list` has the fixed-URI resource, templates are listed apart;
    reading calls the consumed operation (the template's variable reaches `with`); prompts render
    their messages with the arguments, an optional one left out keeps its placeholder."""
    query = lambda request: Answer(body=json.dumps({"results": [{"id": request.path}]}))
    routes = {("POST", "/v1/databases/test-db-id-123/query"): query, ("POST", "/v1/databases/42/query"): query}
    with MockUpstream(routes) as upstream:
        with run_server("conformance-mcp-mcp-resources-prompts", [f"{upstream.url}/v1"], rest=False, log_dir=logs) as server:
            got = resources_and_prompts(server.mcp_url)
            paths = [request.path for request in upstream.requests]
    assert got["capabilities"].resources is not None and got["capabilities"].prompts is not None
    listed = [(it.uri, it.name, it.title, it.mime_type) for it in got["resources"].resources]
    assert listed == [("data://databases/pre-release/schema", "database-schema", "Database Schema", "application/json")]
    templates = [(it.uri_template, it.name, it.title) for it in got["templates"].resource_templates]
    assert templates == [("data://users/{userId}/profile", "user-profile", "User Profile")]
    fixed = got["fixed"].contents
    assert len(fixed) == 1 and fixed[0].uri == "data://databases/pre-release/schema"
    assert json.loads(fixed[0].text) == {"results": [{"id": "/v1/databases/test-db-id-123/query"}]}
    assert json.loads(got["templated"].contents[0].text)["results"][0]["id"] == "/v1/databases/42/query"
    assert paths == ["/v1/databases/test-db-id-123/query", "/v1/databases/42/query"]
    prompts = {it.name: it for it in got["prompts"].prompts}
    assert set(prompts) == {"participant-outreach", "summary-prompt"}
    outreach = prompts["participant-outreach"]
    assert outreach.title == "Participant Outreach"
    assert [(a.name, a.required) for a in outreach.arguments] == [("participant_name", True), ("product_name", True)]
    messages = got["outreach"].messages
    assert len(messages) == 1 and messages[0].role == "user"
    assert messages[0].content.text == (
        "Draft a personalized outreach email to Alice about the upcoming Naftiko pre-release. Be professional but friendly."
    )
    summary = [(m.role, m.content.text) for m in got["summary"].messages]
    assert summary == [
        ("user", "Summarize the following data in bullet-points format:\n\nitem1, item2, item3"),
        ("assistant", "I'll summarize the data for you."),
        ("user", "Please focus on the key insights."),
    ]
    assert "{{format}}" in got["optional"].messages[0].content.text


def test_unknown_resources_and_prompts_are_errors(logs):
    """ResourcesPromptsIntegrationTest / PromptHandlerTest negative cases: an unknown resource or
    prompt is -32602 (what the 2026-07-28 era the client negotiates asks for; 2025-11-25 clients get
    -32002). capgen differs on purpose: a missing required prompt argument is -32602 (MCP asks for
    it; the engine leaves `{{x}}` in the text)."""
    from mcp.shared.exceptions import MCPError

    async def body(client):
        errors = {}
        for name, call in {
            "resource": client.read_resource("data://does-not-exist"),
            "prompt": client.get_prompt("does-not-exist", {}),
            "missing": client.get_prompt("participant-outreach", {"product_name": "Naftiko"}),
        }.items():
            try:
                await call
                errors[name] = None
            except MCPError as err:
                errors[name] = err.error.code
        return errors

    with MockUpstream({}) as upstream:
        with run_server("conformance-mcp-mcp-resources-prompts", [f"{upstream.url}/v1"], rest=False, log_dir=logs) as server:
            errors = mcp_session(server.mcp_url, body)
    assert errors == {"resource": -32602, "prompt": -32602, "missing": -32602}


# --- REST forward -----------------------------------------------------------------------------------


def test_forward_passes_requests_on_with_the_api_parameters(logs):
    """consumes.http.ForwardValueFieldTest / exposes.rest.ForwardHeaderIntegrationTest
    (http-forward-value): every path under `/forward/` goes to the consumed API's base URL with the
    same method and body, and the API's own `inputParameters` headers; the caller's headers are not
    passed on (no `trustedHeaders` here). capgen differs on purpose: the query string is passed on
    too (the engine drops it), and the upstream's headers come back (URLs rewritten)."""
    def echo(request):
        return Answer(201, json.dumps({"path": request.path, "body": request.body.decode()}),
                      headers={"x-upstream": "yes"})

    with MockUpstream({("GET", "/v1/users/1"): echo, ("POST", "/v1/users"): echo}) as upstream:
        with run_server("conformance-http-http-forward-value", [f"{upstream.url}/v1"], mcp=False, log_dir=logs) as server:
            got = http("GET", f"{server.rest_url}/forward/users/1?fields=name&x=%2F", headers={"x-caller": "no"})
            posted = http("POST", f"{server.rest_url}/forward/users", b'{"name": "Ada"}', {"content-type": "application/json"})
            outside = http("GET", f"{server.rest_url}/elsewhere/users")
        first, second = upstream.requests
    assert got.status == 201, got.body
    assert got.json() == {"path": "/v1/users/1", "body": ""}
    assert got.headers["x-upstream"] == "yes"
    assert first.method == "GET" and first.query == {"fields": ["name"], "x": ["/"]}
    assert first.headers["x-api-version"] == "2026-03-03"
    assert first.headers["x-api-key"] == "secret-key-123"
    assert "x-caller" not in first.headers
    assert posted.status == 201 and second.method == "POST"
    assert second.body == b'{"name": "Ada"}' and second.headers["content-type"] == "application/json"
    assert outside.status == 404 and outside.content_type == "application/problem+json"


# --- Skill adapter -----------------------------------------------------------------------------------


def test_skill_catalog_as_the_engine_serves_it(logs):
    """exposes.skill.SkillIntegrationTest (skill-capability.yaml): `GET /skills` lists both skills
    with a count; the detail of `order-management` has its front matter and two tools, one derived
    from the REST operation (`invocationRef` with `mode: rest`), one an instruction; a descriptive
    skill has no tools; unknown skills are 404. The fixture's `location` is an absolute path, which
    capgen does not read (J010): `contents` lists only the SKILL.md capgen wrote, and the download is
    a zip of it."""
    with run_server("conformance-skill", ["http://127.0.0.1:9"], mcp=False, skill=True, log_dir=logs) as server:
        catalog = http("GET", f"{server.skill_url}/skills")
        detail = http("GET", f"{server.skill_url}/skills/order-management")
        descriptive = http("GET", f"{server.skill_url}/skills/onboarding-guide")
        unknown = http("GET", f"{server.skill_url}/skills/unknown-skill")
        contents = http("GET", f"{server.skill_url}/skills/order-management/contents")
        unknown_contents = http("GET", f"{server.skill_url}/skills/unknown-skill/contents")
        download = http("GET", f"{server.skill_url}/skills/order-management/download")
    assert catalog.status == 200
    body = catalog.json()
    assert body["count"] == 2
    assert [it["name"] for it in body["skills"]] == ["order-management", "onboarding-guide"]
    assert detail.status == 200
    skill = detail.json()
    assert skill["name"] == "order-management"
    assert skill["description"] == "Tools for managing orders"
    assert skill["allowed-tools"] == "list-orders"
    assert skill["argument-hint"] == "Use for order operations"
    derived, instruction = skill["tools"]
    assert derived["name"] == "list-orders" and derived["type"] == "derived"
    assert derived["invocationRef"]["targetNamespace"] == "orders-rest"
    assert derived["invocationRef"]["action"] == "list-orders"
    assert derived["invocationRef"]["mode"] == "rest"
    assert instruction == {"name": "order-guide", "description": "Guide for working with orders",
                           "type": "instruction", "instruction": "order-guide.md"}
    assert descriptive.status == 200 and descriptive.json()["tools"] == []
    assert unknown.status == 404 and unknown.content_type == "application/problem+json"
    assert unknown_contents.status == 404
    assert contents.status == 200
    assert [(it["name"], it["path"]) for it in contents.json()["files"]] == [("SKILL.md", "SKILL.md")]
    assert download.status == 200 and download.body[:2] == b"PK"
