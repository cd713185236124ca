"""The official Durable Functions SDK for JavaScript (`durable-functions`, npm, pinned in
`tests/tools/package.json`) driving both generated servers through a full scenario
(`sdk_js/scenario.mjs`: start with and without id and version, status with history, raise event,
suspend/resume, terminate, rewind, list with filters and continuation paging, purge one and by filter,
every check-status link followed, entities), each step a test here, and everything the SDK read
scanned for the key and the upstream's address."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, key_forms

SCRIPT = Path(__file__).parent / "sdk_js" / "scenario.mjs"
STEPS = [
    "start without an id, then status",
    "start with an id and a version",
    "status with history",
    "raise an event",
    "suspend, resume, terminate",
    "rewind a failed orchestration",
    "list, filter and page",
    "purge one and by filter",
    "check-status links are served",
    "entities: signal and read",
]


@pytest.fixture(scope="module")
def results(stack) -> dict:
    modules = REPO / "tests" / "tools" / "node_modules"
    assert (modules / "durable-functions").is_dir(), "run `npm ci` in tests/tools (tests/run.sh does)"
    done = subprocess.run(
        ["node", str(SCRIPT), stack.orchestrations.rest_url, stack.entities.rest_url],
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "NODE_PATH": str(modules)},
        cwd=REPO / "tests" / "tools",
    )
    # `split("\n")`, not `splitlines()`: JSON text may hold U+2028 and other line separators.
    lines = [json.loads(line) for line in done.stdout.split("\n") if line.startswith("{")]
    assert lines, f"the scenario printed nothing:\n{done.stderr}"
    return {line["step"]: line for line in lines}


@pytest.mark.parametrize("step", STEPS)
def test_step(results, step):
    assert step in results, f"step not run: {step}"
    outcome = results[step]
    assert outcome["ok"], outcome.get("error")


def test_no_key_and_no_upstream_address_in_anything_the_sdk_read(stack, results):
    upstream = stack.fake_url.rstrip("/").lower()
    seen = [answer for outcome in results.values() for answer in outcome["seen"]]
    assert len(seen) > 20
    for answer in seen:
        for form in key_forms(stack.key):
            assert form not in answer
        assert upstream not in answer.lower(), answer
