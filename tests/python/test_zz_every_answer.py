"""Runs last (files run in name order): every MCP tool result the whole suite received, through
`mcp_helpers.with_client`, holds neither the upstream key (plain or percent-encoded) nor the
upstream's address. The REST suite (`tests/e2e`) checks every reply the same way, in its harness."""

from __future__ import annotations

from conftest import key_forms
from mcp_helpers import RESULTS


def test_no_tool_result_of_the_suite_holds_the_key_or_the_upstream_address(stack):
    assert len(RESULTS) > 100, f"only {len(RESULTS)} results recorded: run the whole suite"
    upstream = stack.fake_url.rstrip("/").lower()
    for result in RESULTS:
        for form in key_forms(stack.key):
            assert form not in result
        assert upstream not in result.lower(), result
