"""Fixtures of the contract suite: the bundled document, the servers, and one run of the request
set per target (cached for the session, so every test item only inspects recorded exchanges)."""

from __future__ import annotations

import secrets
import time

import pytest

from df_contract import Contract, send
from df_request_set import TARGETS, StepResult, Target, seed_statuses
from df_servers import FakeServer, PrismServer, ServerError, bundle_document, seed_document

POLL_INTERVAL = 0.05
POLL_DEADLINE = 15.0
MAX_PAGES = 25

_NOTES: list[str] = []


class Runs:
    def __init__(self, contract: Contract, seed: dict, servers: dict, keys: dict[str, str]):
        self.contract = contract
        self.seed = seed
        self.seed_status = seed_statuses(seed)
        self.servers = servers
        self.keys = keys
        self._results: dict[str, dict[str, StepResult] | ServerError] = {}

    def result(self, target: Target) -> dict[str, StepResult]:
        if target.name not in self._results:
            try:
                self._results[target.name] = self._run(target)
            except ServerError as error:
                self._results[target.name] = error
        outcome = self._results[target.name]
        if isinstance(outcome, ServerError):
            pytest.fail(f"{target.name}: {outcome}", pytrace=False)
        return outcome

    def _run(self, target: Target) -> dict[str, StepResult]:
        server = self.servers[target.name]
        base = server.base_url()
        key = self.keys[target.kind]
        state = {"key": key}
        results: dict[str, StepResult] = {}
        for step in target.steps(self.seed):
            result = results[step.id] = StepResult()
            try:
                self._run_step(target, step, base, key, state, result)
            except Exception as error:  # a transport error is a finding, not a crash
                result.error = f"{type(error).__name__}: {error}"
            for exchange in result.exchanges:
                verdict = self.contract.check(exchange)
                for note in verdict.notes:
                    _NOTES.append(f"{target.name} / {step.id}: {exchange.status}: {note}")
        return results

    def _run_step(self, target, step, base, key, state, result) -> None:
        path = step.render_path(state)
        query = list(step.query) + ([("code", key)] if step.auth else [])
        body, content_type = step.encoded_body()
        headers = {name: value.format(key=key) for name, value in step.headers}
        if content_type:
            headers["Content-Type"] = content_type
        if target.kind == "prism":
            prefs = []
            code = target.prefer(step, self.seed_status)
            if code is not None:
                prefs.append(f"code={code}")
            if target.dynamic:
                prefs.append("dynamic=true")
            if prefs:
                headers["Prefer"] = ", ".join(prefs)

        def once(extra: dict[str, str] | None = None):
            exchange = send(target.name, step.id, step.op, base, step.method, path, query,
                            {**headers, **(extra or {})}, body)
            result.exchanges.append(exchange)
            return exchange

        exchange = once()
        if step.until is not None and target.kind == "fake":
            deadline = time.monotonic() + POLL_DEADLINE
            while not step.until(exchange):
                if time.monotonic() > deadline:
                    result.error = f"polled {POLL_DEADLINE:.0f} s without {step.until.__name__}"
                    return
                time.sleep(POLL_INTERVAL)
                exchange = once()
        if step.pages:
            seen: set[str] = set()
            while True:
                token = exchange.header("x-ms-continuation-token")
                if not token or token == "bnVsbA==" or token in seen:
                    break
                if len(seen) >= MAX_PAGES:
                    result.error = f"more than {MAX_PAGES} pages"
                    return
                seen.add(token)
                exchange = once({"x-ms-continuation-token": token})
        if step.capture and exchange.status in (200, 202):
            try:
                state[step.capture] = str(exchange.json()["id"])
            except (ValueError, KeyError, TypeError):
                pass


@pytest.fixture(scope="session")
def contract() -> Contract:
    try:
        return Contract(bundle_document())
    except ServerError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def seed() -> dict:
    return seed_document()


@pytest.fixture(scope="session")
def runs(contract, seed, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("contract-servers")
    prism = PrismServer(log_dir)  # starts now; awaited when the first Prism test needs it
    keys = {"fake": "contract-" + secrets.token_hex(8), "prism": "prism-key"}
    servers = {
        "fake-new": FakeServer("new", keys["fake"], log_dir),
        "fake-old": FakeServer("old", keys["fake"], log_dir),
        "prism-static": prism,
        "prism-dynamic": prism,
    }
    try:
        yield Runs(contract, seed, servers, keys)
    finally:
        for server in {id(s): s for s in servers.values()}.values():
            server.stop()


def pytest_terminal_summary(terminalreporter):
    if _NOTES:
        terminalreporter.section("contract: empty error bodies accepted where content is documented")
        for note in sorted(set(_NOTES)):
            terminalreporter.write_line(note)


__all__ = ["TARGETS"]
