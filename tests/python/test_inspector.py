"""The MCP Inspector CLI (node, `tests/tools/node_modules/.bin/mcp-inspector`) against the
orchestrations server. Exit codes: 0 ok, 5 a tool returned isError. Its default era is legacy
(2025-11-25); the modern era (2026-07-28) is selected through a config file with
`"protocolEra": "modern"`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO
from mcp_helpers import unique

INSPECTOR = REPO / "tests" / "tools" / "node_modules" / ".bin" / "mcp-inspector"


def inspector(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    if not INSPECTOR.exists():
        pytest.fail(f"{INSPECTOR} is missing: run `npm ci` in tests/tools", pytrace=False)
    env = dict(os.environ, MCP_INSPECTOR_SECRET_STORE="memory", NO_COLOR="1")
    return subprocess.run(
        [str(INSPECTOR), "--cli", *args], capture_output=True, text=True, timeout=60, env=env, cwd=cwd
    )


def test_tools_list_lists_the_eleven_orchestration_tools(orch):
    run = inspector(orch.mcp_url, "--method", "tools/list")
    assert run.returncode == 0, run.stderr
    listed = [tool["name"] for tool in json.loads(run.stdout)["tools"]]
    assert listed == [tool["name"] for tool in orch.tools_json["tools"]]
    assert len(listed) == 12


def test_successful_tools_call_exits_0(orch):
    instance_id = unique("inspector")
    run = inspector(
        orch.mcp_url,
        "--method",
        "tools/call",
        "--tool-name",
        "start-orchestration-explicit-instance-id",
        "--tool-args-json",
        json.dumps({"functionName": "Echo", "instanceId": instance_id, "body": {"from": "inspector"}}),
        "--format",
        "json",
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)["result"]
    assert result.get("isError") in (None, False)
    assert result["structuredContent"]["id"] == instance_id


def test_tools_call_on_a_missing_instance_exits_5(orch):
    run = inspector(
        orch.mcp_url,
        "--method",
        "tools/call",
        "--tool-name",
        "get-instance-status",
        "--tool-arg",
        f"instanceId={unique('missing')}",
        "--format",
        "json",
    )
    assert run.returncode == 5, (run.returncode, run.stdout, run.stderr)
    assert "tool_is_error" in run.stderr


def test_modern_era_through_a_config_file(orch, tmp_path):
    config = {"mcpServers": {"gen": {"type": "streamable-http", "url": orch.mcp_url, "protocolEra": "modern"}}}
    (tmp_path / "mcp.json").write_text(json.dumps(config), encoding="utf-8")
    initialize = inspector("--config", "./mcp.json", "--server", "gen", "--method", "initialize", cwd=tmp_path)
    assert initialize.returncode == 0, initialize.stderr
    assert json.loads(initialize.stdout)["protocolVersion"] == "2026-07-28"
    listed = inspector("--config", "./mcp.json", "--server", "gen", "--method", "tools/list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)["tools"]) == 12
