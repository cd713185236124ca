"""capgen's own capability for MCP resources and prompts (`specs/naftiko-features/library.naftiko.yaml`),
generated alone and driven by the real Python MCP client: a directory of files (text and binary, path
traversal refused), a URI template read through a call and through steps, a fixed-URI resource, a
prompt from a file and one from inline messages."""

from __future__ import annotations

import base64
import json

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from harness import REPO, Answer, MockUpstream, mcp_session, run_server

SPEC_DIR = REPO / "specs" / "naftiko-features"
DOCS = SPEC_DIR / "library" / "docs"
BOOK = {"isbn": "978-1", "title": "The Rust Book", "authorId": "a-7"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("library")
    catalog = MockUpstream({
        ("GET", "/books/978-1"): Answer(body=json.dumps(BOOK)),
        ("GET", "/authors/a-7"): Answer(body=json.dumps({"id": "a-7", "name": "Steve Klabnik"})),
        ("GET", "/books/shelf-plan"): Answer(body=json.dumps({"shelves": ["A", "B"]})),
    })
    with catalog:
        # `file:///./library/...` locations are relative to the working directory.
        with run_server("library-server", [catalog.url], rest=False, cwd=SPEC_DIR, log_dir=logs) as server:
            yield server, catalog


def session(url: str, body, mode: str = "auto"):
    if mode == "auto":
        return mcp_session(url, body)

    async def main():
        async with Client(url, mode=mode, cache=None) as client:
            return await body(client)

    return anyio.run(main)


def test_the_directory_lists_every_file_with_its_media_type(stack):
    server, _ = stack

    async def body(client):
        return await client.list_resources()

    listed = {it.uri: (it.name, it.title, it.mime_type) for it in session(server.mcp_url, body).resources}
    assert listed == {
        "library://docs/guide.md": ("docs", "Library documents", "text/markdown"),
        "library://docs/logo.png": ("docs", "Library documents", "image/png"),
        "library://docs/sub/shelves.json": ("docs", "Library documents", "application/json"),
        # Templates are not listed here; a fixed URI is.
        "library://shelf-plan": ("shelf-plan", "shelf-plan", "application/json"),
    }


def test_files_are_read_as_text_or_blob(stack):
    server, _ = stack

    async def body(client):
        return (
            await client.read_resource("library://docs/guide.md"),
            await client.read_resource("library://docs/logo.png"),
        )

    guide, logo = session(server.mcp_url, body)
    assert guide.contents[0].text == (DOCS / "guide.md").read_text()
    assert guide.contents[0].mime_type == "text/markdown"
    assert base64.b64decode(logo.contents[0].blob) == (DOCS / "logo.png").read_bytes()


@pytest.mark.parametrize("uri", [
    "library://docs/../library.naftiko.yaml",
    "library://docs/sub/../guide.md",
    "library://docs/%2e%2e/library.naftiko.yaml",
    "library://docs//guide.md",
    "library://docs/sub",
    "library://docs",
])
def test_paths_that_could_leave_the_directory_are_refused(stack, uri):
    server, _ = stack

    async def body(client):
        with pytest.raises(MCPError) as refused:
            await client.read_resource(uri)
        return refused.value.error.code

    assert session(server.mcp_url, body) == -32602


def test_unknown_uris_are_not_found_in_both_eras(stack):
    server, _ = stack

    async def body(client):
        with pytest.raises(MCPError) as missing:
            await client.read_resource("library://nothing")
        return missing.value.error.code

    # MCP 2025-11-25 recommends -32002; 2026-07-28 asks for -32602.
    assert session(server.mcp_url, body, "legacy") == -32002
    assert session(server.mcp_url, body) == -32602


def test_templates_read_through_a_call_and_through_steps(stack):
    server, catalog = stack

    async def body(client):
        templates = await client.list_resource_templates()
        return (
            templates,
            await client.read_resource("library://books/978-1/title"),
            await client.read_resource("library://books/978-1/card"),
            await client.read_resource("library://shelf-plan"),
        )

    templates, title, card, plan = session(server.mcp_url, body)
    assert [(it.uri_template, it.name) for it in templates.resource_templates] == [
        ("library://books/{isbn}/title", "book-title"),
        ("library://books/{isbn}/card", "book-card"),
    ]
    # A mapped string is JSON text, as the engine returns it.
    assert title.contents[0].text == '"The Rust Book"'
    assert title.contents[0].mime_type == "application/json"
    assert json.loads(card.contents[0].text) == {"title": "The Rust Book", "author": "Steve Klabnik"}
    assert json.loads(plan.contents[0].text) == {"shelves": ["A", "B"]}
    paths = [request.path for request in catalog.requests]
    assert "/authors/a-7" in paths, "the author step read `{{book.authorId}}`"


def test_prompts_from_a_file_and_from_messages(stack):
    server, _ = stack

    async def body(client):
        return (
            await client.list_prompts(),
            await client.get_prompt("review", {"title": "The Rust Book", "audience": "beginners"}),
            await client.get_prompt("recommend", {"genre": "fantasy"}),
        )

    listed, review, recommend = session(server.mcp_url, body)
    prompts = {it.name: it for it in listed.prompts}
    assert [(a.name, a.required) for a in prompts["review"].arguments] == [("title", True), ("audience", False)]
    assert [(m.role, m.content.text) for m in review.messages] == [
        ("user", "Write a short review of The Rust Book for beginners.\n")
    ]
    assert [(m.role, m.content.text) for m in recommend.messages] == [
        ("user", "Recommend a fantasy book."),
        ("assistant", "Which era do you prefer?"),
    ]
