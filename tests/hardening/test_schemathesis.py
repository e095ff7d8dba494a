"""Schemathesis against /api/v1/openapi.json as a coordinator and as a unit member (issue 13): no input answers a
server error, and every answer matches the schema the document promises.

Bounded: ``MAX_EXAMPLES`` generated cases per operation, valid and invalid ones mixed, generation phase only
(no shrinking), derandomised so a run is repeatable. The operations are walked here rather than through
schemathesis' pytest plugin (whose lazy fixture loader does not run on pytest 9)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, response_schema_conformance]


def _run(app: Any, headers: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert operations > 40
    return failures


def _token(role: str, make_user: Any, make_unit: Any, make_visit: Any, api_token: Any) -> dict[str, str]:
    unit = make_unit("Åby skola")
    make_visit("sent_for_comment", unit=unit)
    return api_token(make_user(role, units=[unit] if role == "unit_member" else []))


@pytest.mark.parametrize("role", ["coordinator", "unit_member"])
def test_the_api_never_errs_and_keeps_to_its_schema(app, make_user, make_unit, make_visit, api_token, role):
    failures = _run(app, _token(role, make_user, make_unit, make_visit, api_token))
    assert not failures, "\n\n".join(failures)
