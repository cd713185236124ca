"""The generated deployment files mean what they say for the real binary: the container arguments
of `deploy/kubernetes.yaml` (with the ports moved to free ones) start the server, its probes answer
on the port they name, the MCP adapter accepts the Service's name as `Host` and still refuses
others, every variable the server needs at start comes from the manifest (Secret or ConfigMap), and
the Dockerfile runs the same arguments. (Schema and lint checks of the same files: tests/run.sh.)"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml

from conftest import REPO, binary, free_ports, http_ok, server_env, start, tcp_open
from http_helpers import request
from test_security import legacy_initialize

SERVERS = ["durable-orchestrations-server", "durable-entities-server", "shipyard-server"]


def manifest(name: str) -> dict[str, dict]:
    """The resources of the server's manifest by kind."""
    text = (REPO / "generated" / name / "deploy" / "kubernetes.yaml").read_text(encoding="utf-8")
    return {doc["kind"]: doc for doc in yaml.safe_load_all(text) if doc}


def container(name: str) -> dict:
    return manifest(name)["Deployment"]["spec"]["template"]["spec"]["containers"][0]


def dockerfile_cmd(name: str) -> list[str]:
    text = (REPO / "generated" / name / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert cmd, text
    return json.loads(cmd.group(1))


@pytest.mark.parametrize("name", SERVERS)
def test_the_dockerfile_runs_what_the_manifest_runs(name):
    assert dockerfile_cmd(name) == container(name)["args"]


def mounted_files(name: str, root) -> None:
    """Puts the files the manifest mounts from its `-files` Secret where it mounts them, under
    `root` for the container's working directory (their contents from specs/)."""
    spec = container(name)
    for mount in spec.get("volumeMounts", []):
        relative = mount["mountPath"].removeprefix(spec["workingDir"] + "/")
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        sources = list((REPO / "specs").rglob(mount["subPath"]))
        assert len(sources) == 1, sources
        target.write_bytes(sources[0].read_bytes())


@pytest.mark.parametrize("name", SERVERS)
def test_the_manifest_arguments_start_the_server_and_its_probes_answer(stack, name, tmp_path):
    spec = container(name)
    mounted_files(name, tmp_path)
    ports = {port["name"]: port["containerPort"] for port in spec["ports"]}
    free = dict(zip(ports, free_ports(len(ports))))
    # The same arguments, each `0.0.0.0:<port>` moved to a free loopback port.
    args = []
    for arg in spec["args"]:
        moved = arg
        for port_name, port in ports.items():
            if arg == f"0.0.0.0:{port}":
                moved = f"127.0.0.1:{free[port_name]}"
        args.append(moved)
    env = server_env(stack.key)
    if name != "shipyard-server":
        env["UPSTREAM_URL"] = stack.fake_url
    probe = spec["readinessProbe"]["httpGet"]
    live = spec["livenessProbe"]["httpGet"]
    probe_port = free[probe["port"]]
    proc = start(
        f"{name}-manifest",
        [str(binary(name)), *args],
        env,
        stack.log_dir,
        lambda: http_ok(f"http://127.0.0.1:{probe_port}{probe['path']}")
        and all(tcp_open(port) for port in free.values()),
        cwd=tmp_path,
    )
    try:
        assert request("GET", f"http://127.0.0.1:{free[live['port']]}{live['path']}").status == 200
        if "mcp" in free:
            service = manifest(name)["Service"]["metadata"]["name"]
            mcp = f"http://127.0.0.1:{free['mcp']}/mcp"
            # shipyard's MCP adapter declares a bearer token (its value in specs/shipyard/shared).
            auth = {"Authorization": "Bearer sk-mcp-YYYYYYYYYYYY"} if name == "shipyard-server" else {}
            accepted = legacy_initialize(mcp, Host=f"{service}:{ports['mcp']}", **auth)
            assert accepted.status == 200, accepted.text()
            refused = legacy_initialize(mcp, Host="evil.example", **auth)
            assert refused.status == 403, refused.text()
    finally:
        proc.stop()


def test_every_variable_the_server_requires_comes_from_the_manifest(stack):
    name = "durable-orchestrations-server"
    spec = container(name)
    secrets = {item["name"] for item in spec.get("env", []) if "secretKeyRef" in item["valueFrom"]}
    assert secrets == {"DURABLE_FUNCTIONS_API_KEY"}
    assert spec["envFrom"][0]["configMapRef"]["name"] == f"{name}-config"
    # Without the Secret's variable the server refuses to start and names it.
    env = server_env(stack.key)
    for secret in secrets:
        env.pop(secret, None)
    env["UPSTREAM_URL"] = stack.fake_url
    rest, mcp = free_ports(2)
    done = subprocess.run(
        [str(binary(name)), "--rest-addr", f"127.0.0.1:{rest}", "--mcp-addr", f"127.0.0.1:{mcp}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert "DURABLE_FUNCTIONS_API_KEY" in done.stderr, done.stderr
