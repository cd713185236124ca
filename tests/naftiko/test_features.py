"""Engine behaviours the engine's own test capabilities leave out, on capgen's capability
`specs/naftiko-features/features.naftiko.yaml` (generated alone, no OpenAPI document): credentials of
every kind from binds (an API key in the query from an environment bind; basic and digest from a
JSON binds file), `in: environment` and `cookie` parameters, Mustache sections, form, text and
multipart bodies, an unresolved template, and a server that refuses to start without its binds."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import urllib.parse

import pytest

from harness import REPO, Answer, MockUpstream, binary, call_tool, http, run_server, text

TOKEN = "tok/en+with=chars"
FILE_SECRETS = {"basic-user": "ada", "basic-password": "s3cret pw", "digest-user": "mufasa", "digest-password": "Circle Of Life"}
REALM, NONCE, OPAQUE = "features", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "5ccc069c403ebaf9f0171e9517f40e41"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def digest_protected(request):
    """A digest-protected resource (RFC 7616, MD5, qop=auth), checking the client's answer."""
    header = request.headers.get("authorization", "")
    if not header.startswith("Digest "):
        challenge = f'Digest realm="{REALM}", qop="auth", nonce="{NONCE}", opaque="{OPAQUE}", algorithm=MD5'
        return Answer(401, b"{}", headers={"www-authenticate": challenge})
    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header[len("Digest "):]))
    ha1 = md5(f"{FILE_SECRETS['digest-user']}:{REALM}:{FILE_SECRETS['digest-password']}")
    ha2 = md5(f"{request.method}:{fields['uri']}")
    expected = md5(f"{ha1}:{NONCE}:{fields['nc']}:{fields['cnonce']}:{fields['qop']}:{ha2}")
    if fields.get("response") != expected or fields.get("opaque") != OPAQUE:
        return Answer(401, b'{"error":"bad digest"}')
    return Answer(200, json.dumps({"secret": "behind digest", "other": 1}))


def forwarded_echo(request):
    """The keyed API answering a forwarded request with its own address and the key in it."""
    host = request.headers.get("host", "")
    link = f"http://{host}/api/deep/down/here?api_key={request.query.get('api_key', [''])[0]}"
    return Answer(200, json.dumps({"self": link, "trace": request.headers.get("x-trace")}),
                  headers={"location": link})


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    work = tmp_path_factory.mktemp("features")
    (work / "features-secrets.json").write_text(json.dumps(FILE_SECRETS))
    keyed = MockUpstream({
        ("GET", "/api/things/gadgets"): Answer(body='{"things": []}'),
        ("GET", "/api/deep/down/here"): forwarded_echo,
    })
    basic = MockUpstream({
        ("POST", "/form"): Answer(body="{}"),
        ("PUT", "/form"): Answer(body="{}"),
        ("POST", "/upload"): Answer(body='{"stored": true}'),
        ("POST", "/voyages"): Answer(201, '{"voyageId": "VOY-001"}'),
    })
    digest = MockUpstream({("GET", "/secure"): digest_protected})
    with keyed, basic, digest:
        flags = ["--keyed-url", f"{keyed.url}/api", "--basic-url", basic.url, "--digest-url", digest.url]
        env = {"FEATURES_KEYED_TOKEN": TOKEN, "FEATURES_REGION": "eu-west"}
        with run_server("features-server", flags=flags, env=env, cwd=work, log_dir=work) as server:
            yield server, keyed, basic, digest


def test_api_key_in_the_query_from_an_environment_bind(stack):
    server, keyed, _, _ = stack
    reply = http("GET", f"{server.rest_url}/things/gadgets?q=blue&tags=a,b")
    assert reply.status == 200, reply.body
    sent = keyed.last()
    assert sent.path == "/api/things/gadgets"
    # Query values are percent-encoded, the key too (the alpha2 engine sends it raw).
    assert sent.query["api_key"] == [TOKEN]
    assert sent.query["q"] == ["blue"]
    # A Mustache section over the array input.
    assert sent.query["tags"] == ["a;b;"]
    # `in: environment` puts FEATURES_REGION into the parameters, which the header template reads.
    assert sent.headers["x-region"] == "eu-west"
    assert sent.headers["cookie"] == "session=s-blue"


def test_pattern_of_an_exposed_input_is_enforced(stack):
    server, keyed, _, _ = stack
    before = len(keyed.requests)
    reply = http("GET", f"{server.rest_url}/things/GADGETS")
    assert reply.status == 400
    assert reply.content_type == "application/problem+json"
    assert "kind" in reply.json()["detail"]
    assert len(keyed.requests) == before


def test_form_body_and_basic_credentials_from_a_binds_file(stack):
    server, _, basic, _ = stack
    reply = http("POST", f"{server.rest_url}/form", {"name": "Ada Lovelace"})
    assert reply.status == 200, reply.body
    sent = basic.last()
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(sent.body.decode()) == {"name": ["Ada Lovelace"], "note": ["fixed & sent"]}
    user, password = FILE_SECRETS["basic-user"], FILE_SECRETS["basic-password"]
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_text_body(stack):
    server, _, basic, _ = stack
    reply = http("PUT", f"{server.rest_url}/form", {"name": "Ada", "text": "hello"})
    assert reply.status == 200, reply.body
    sent = basic.last()
    assert sent.headers["content-type"] == "text/plain"
    assert sent.body == b"Note for Ada: hello"


def test_a_template_left_unresolved_is_a_bad_request(stack):
    """A rendered body that still holds `{{` is refused (the engine: "Unresolved template
    parameters"), as 400 problem+json, and nothing goes upstream."""
    server, _, basic, _ = stack
    before = len(basic.requests)
    reply = http("PUT", f"{server.rest_url}/form", {"name": "Ada", "text": "use {{braces}}"})
    assert reply.status == 400
    assert reply.content_type == "application/problem+json"
    assert len(basic.requests) == before


def test_digest_credentials_answer_the_challenge(stack):
    server, _, _, digest = stack
    reply = http("GET", f"{server.rest_url}/secure")
    assert reply.status == 200, reply.body
    assert reply.json() == {"secret": "behind digest"}
    first, second = digest.requests[-2:]
    assert "authorization" not in first.headers
    assert second.headers["authorization"].startswith('Digest username="mufasa"')


def test_multipart_upload_over_mcp(stack):
    server, _, basic, _ = stack
    result = call_tool(server.mcp_url, "upload", {"title": "Minutes", "content": "line one"})
    assert not result.is_error, text(result)
    assert result.structured_content == {"stored": True}
    sent = basic.last()
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = sent.body.decode()
    assert 'name="title"' in body and "Minutes" in body
    assert 'name="file"; filename="notes.txt"' in body and "line one" in body
    assert "Content-Type: text/plain" in body or "content-type: text/plain" in body


def test_no_credential_in_answers_or_logs(stack):
    server, _, _, _ = stack
    http("GET", f"{server.rest_url}/things/gadgets?q=x")
    http("GET", f"{server.rest_url}/secure")
    logs = server.logs()
    for secret in (TOKEN, urllib.parse.quote(TOKEN, safe=""), FILE_SECRETS["basic-password"], FILE_SECRETS["digest-password"]):
        assert secret not in logs


def start_without(tmp_path, env: dict[str, str], cwd):
    return subprocess.run(
        [str(binary("features-server")), "--rest-addr", "127.0.0.1:0", "--mcp-addr", "127.0.0.1:0"],
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_missing_environment_bind_stops_the_server(tmp_path):
    """util.BindingResolverTest: a bind variable that cannot be resolved stops start-up, naming it."""
    (tmp_path / "features-secrets.json").write_text(json.dumps(FILE_SECRETS))
    done = start_without(tmp_path, {}, tmp_path)
    assert done.returncode == 2
    assert "FEATURES_KEYED_TOKEN" in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


def test_a_missing_binds_file_stops_the_server(tmp_path):
    done = start_without(tmp_path, {"FEATURES_KEYED_TOKEN": TOKEN}, tmp_path)
    assert done.returncode == 2
    assert "features-secrets.json" in done.stderr


def test_a_key_missing_from_the_binds_file_stops_the_server(tmp_path):
    partial = {k: v for k, v in FILE_SECRETS.items() if k != "digest-password"}
    (tmp_path / "features-secrets.json").write_text(json.dumps(partial))
    done = start_without(tmp_path, {"FEATURES_KEYED_TOKEN": TOKEN}, tmp_path)
    assert done.returncode == 2
    assert "digest-password" in done.stderr and "DIGEST_PASSWORD" in done.stderr


def test_a_declared_body_input_reads_its_field(stack):
    """exposes.rest.RestNamespaceRefWithResolutionTest.withNamespaceRefsShouldResolveToActualValuesInUpstreamBody:
    a body input without `value` is the same-named field of the request body, and
    `with: shipImo: features.shipImo` puts it into the consumed body template."""
    server, _, basic, _ = stack
    reply = http("POST", f"{server.rest_url}/voyages", {"shipImo": "IMO-9321483"})
    assert reply.status == 201, reply.body
    assert basic.last().json() == {"shipImo": "IMO-9321483"}
    # A body that is not an object with the field is the value itself (the engine's fallback).
    http("POST", f"{server.rest_url}/voyages", "IMO-1")
    assert basic.last().json() == {"shipImo": "IMO-1"}


def test_an_undeclared_query_parameter_is_400_not_dropped(stack):
    """No silent drops, in the official dialect too: a query parameter the exposed operation does
    not declare is answered 400 problem+json naming it, and nothing goes upstream."""
    server, keyed, _, _ = stack
    before = len(keyed.requests)
    reply = http("GET", f"{server.rest_url}/things/gadgets?q=blue&colour=red")
    assert reply.status == 400
    assert reply.content_type == "application/problem+json"
    assert "colour" in reply.json()["detail"]
    assert len(keyed.requests) == before


def test_routes_accept_a_trailing_slash_but_not_other_cases(stack):
    """A trailing slash is accepted everywhere; path literals match exactly unless the manifest
    says the upstream routes case-insensitively (the engine matches exactly)."""
    server, _, _, _ = stack
    assert http("GET", f"{server.rest_url}/things/gadgets/?q=x").status == 200
    assert http("GET", f"{server.rest_url}/Things/gadgets?q=x").status == 404


def test_forward_adds_the_key_passes_trusted_headers_and_scrubs_the_answer(stack):
    server, keyed, _, _ = stack
    reply = http("GET", f"{server.rest_url}/proxy/deep/down/here?q=1&api_key=callers-own",
                 headers={"x-trace": "t-1", "x-other": "no", "authorization": "Bearer caller"})
    assert reply.status == 200, reply.body
    sent = keyed.last()
    assert sent.path == "/api/deep/down/here"
    assert sent.query == {"q": ["1"], "api_key": [TOKEN]}
    assert sent.headers["x-trace"] == "t-1"
    assert "x-other" not in sent.headers and "authorization" not in sent.headers
    # The upstream's own address and the key never come back.
    for text in (reply.body.decode(), reply.headers.get("location", "")):
        assert keyed.url.split("//")[1] not in text
        assert TOKEN not in text and urllib.parse.quote(TOKEN, safe="") not in text
    assert reply.json()["trace"] == "t-1"


@pytest.mark.parametrize("path", ["../things/gadgets", "deep/%2e%2e/%2E%2E/things", "./here", "deep/%ZZ", "deep/%C3%28"])
def test_forward_refuses_paths_that_would_leave_the_base_path(stack, path):
    server, keyed, _, _ = stack
    before = len(keyed.requests)
    reply = http("GET", f"{server.rest_url}/proxy/{path}")
    assert reply.status == 400, reply.body
    assert reply.content_type == "application/problem+json"
    assert len(keyed.requests) == before


def test_skill_directories_are_generated_and_served(tmp_path):
    """The skill adapter: `skills/things/` holds the SKILL.md capgen wrote (front matter, each tool
    with how to call it) and the files of its `location`; the catalog serves exactly those files,
    and its download is a zip of the directory."""
    import io
    import zipfile

    skill_dir = REPO / "generated" / "features-server" / "skills" / "things"
    written = {p.relative_to(skill_dir).as_posix(): p.read_bytes() for p in skill_dir.rglob("*") if p.is_file()}
    assert set(written) == {"SKILL.md", "things-guide.md", "references/kinds.md"}
    skill_md = written["SKILL.md"].decode()
    front, body = skill_md.split("\n---\n", 1)
    assert front.startswith("---\n") and "name: things\n" in front
    assert 'allowed-tools: "list-things upload"' in front and '  "author": "capgen"' in front
    assert "`GET /things/{kind}`" in body and "The MCP tool `upload`" in body
    assert "[things-guide.md](things-guide.md)" in body
    (tmp_path / "features-secrets.json").write_text(json.dumps(FILE_SECRETS))
    env = {"FEATURES_KEYED_TOKEN": TOKEN, "FEATURES_REGION": "eu"}
    nowhere = "http://127.0.0.1:9"
    flags = ["--keyed-url", nowhere, "--basic-url", nowhere, "--digest-url", nowhere]
    with run_server("features-server", flags=flags, env=env, cwd=tmp_path, rest=False, mcp=False, skill=True,
                    log_dir=tmp_path) as server:
        files = http("GET", f"{server.skill_url}/skills/things/contents").json()["files"]
        served = {it["path"]: http("GET", f"{server.skill_url}/skills/things/contents/{it['path']}") for it in files}
        archive = http("GET", f"{server.skill_url}/skills/things/download")
        missing = http("GET", f"{server.skill_url}/skills/things/contents/nope.md")
    assert {path: reply.body for path, reply in served.items()} == written
    assert served["SKILL.md"].content_type.startswith("text/markdown")
    with zipfile.ZipFile(io.BytesIO(archive.body)) as zipped:
        assert {name: zipped.read(name) for name in zipped.namelist()} == {f"things/{k}": v for k, v in written.items()}
    assert missing.status == 404 and missing.content_type == "application/problem+json"
