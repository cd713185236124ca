"""The same request set against Prism (mocking the seed document) and the Durable Functions fake
(both profiles); every answer must be documented by the bundled document (seed + overlay).

Test items, per target and step:

* `test_answer_is_documented`: every exchange of the step (polls and pages included) has a
  documented status, a documented content type, a body valid against the response schema (or
  no body where none is documented) and valid documented headers. See df_contract.py.
* `test_scenario_reaches_its_case`: the answer has the status the step is about (the fake's
  documented behaviour per profile, or the status asked of Prism), so the error cases really are
  exercised.
"""

from __future__ import annotations

import pytest

from df_request_set import SCENARIO, TARGETS, UNAUTHORIZED, prism_matrix, seed_statuses
from df_servers import seed_document

SEED = seed_document()
CASES = [
    pytest.param(target, step, id=f"{target.name}: {step.id}")
    for target in TARGETS
    for step in target.steps(SEED)
]


@pytest.mark.parametrize("target, step", CASES)
def test_answer_is_documented(runs, contract, target, step):
    result = runs.result(target)[step.id]
    failures = []
    for exchange in result.exchanges:
        verdict = contract.check(exchange)
        if verdict.problems:
            failures.append(
                exchange.describe() + "\n" + "\n".join(f"  ✗ {p}" for p in verdict.problems)
            )
    if result.error and not result.exchanges:
        pytest.fail(f"no answer: {result.error}", pytrace=False)
    if failures:
        pytest.fail(
            f"{len(failures)} of {len(result.exchanges)} answer(s) outside the bundled "
            f"contract of {step.op}:\n" + "\n".join(failures),
            pytrace=False,
        )


@pytest.mark.parametrize("target, step", CASES)
def test_scenario_reaches_its_case(runs, target, step):
    result = runs.result(target)[step.id]
    if result.error:
        pytest.fail(result.error + "\n" + "\n".join(e.describe() for e in result.exchanges[-2:]),
                    pytrace=False)
    expected = target.expected(step, seed_statuses(SEED))
    checked = result.exchanges if step.pages else result.exchanges[-1:]
    wrong = [e for e in checked if e.status != expected]
    if wrong:
        pytest.fail(
            f"expected {expected}{' (' + step.why + ')' if step.why else ''}:\n"
            + "\n".join(e.describe() for e in wrong),
            pytrace=False,
        )


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_every_operation_is_exercised(contract, target):
    seed_ops = set(seed_statuses(SEED))
    assert len(seed_ops) == 14, sorted(seed_ops)
    exercised = {step.op for step in target.steps(SEED)}
    wanted = seed_ops | (set(contract.operations) if target.kind == "fake" else set())
    assert wanted <= exercised, f"not exercised: {sorted(wanted - exercised)}"


def test_every_seed_status_is_asked_of_prism():
    asked = {(s.op, s.prefer) for s in prism_matrix(SEED)}
    documented = {(op, code) for op, codes in seed_statuses(SEED).items() for code in codes}
    assert asked == documented


def test_step_names_are_unique():
    names = [s.id for s in SCENARIO + UNAUTHORIZED + prism_matrix(SEED)]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
