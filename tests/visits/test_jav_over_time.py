"""DESIGN.md 4.6: jäv holds over time. A membership that would make a reviewer a member of a unit whose open visit
(planned to out for comment) has them on its team is refused, naming the visits, in the service, the people
page and the CLI; once the visit is closed, or someone else replaces them, it is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth import services as auth_services
from app.core import access
from app.core.errors import InvalidInput
from app.visits import services

REASON = "Besöket planerades av misstag och behövs inte."


@pytest.fixture
def reviewing(make_visit, make_user, db) -> Any:
    """Rita reviews an open visit of the unit (she is its lead) and is also a member of another unit."""
    rita = make_user("reviewer", name="Rita Granskare", email="rita@tillsyn.se")
    visit = make_visit("in_progress", lead=rita)
    visit.rita = rita
    return visit


def join(person: Any, unit_ids: list[Any], actor: Any = access.OPERATOR) -> Any:
    return auth_services.update_user(
        person.id,
        actor=actor,
        email=person.email,
        name=person.name,
        roles=["reviewer", "unit_member"],
        unit_ids=unit_ids,
        language=None,
    )


def test_a_membership_of_a_unit_whose_open_visit_she_reviews_is_refused_naming_the_visit(reviewing, db):
    with pytest.raises(InvalidInput) as refused:
        join(reviewing.rita, [reviewing.unit_id])
    [message] = refused.value.errors["units"]
    assert reviewing.case_number in message and "Rita Granskare" in message
    db.session.rollback()
    assert reviewing.unit_id not in reviewing.rita.unit_ids


def test_a_membership_of_another_unit_is_allowed(reviewing, make_unit, db):
    other = make_unit("Annan enhet")
    join(reviewing.rita, [other.id])
    db.session.commit()
    assert other.id in reviewing.rita.unit_ids


def test_once_the_visit_is_cancelled_the_membership_is_allowed(reviewing, db):
    services.transition(reviewing.id, actor=reviewing.rita, to="cancelled", reason=REASON)
    join(reviewing.rita, [reviewing.unit_id])
    db.session.commit()
    assert reviewing.unit_id in reviewing.rita.unit_ids


def test_the_people_page_shows_the_refusal_at_the_units_field(reviewing, make_user, browser, db):
    coordinator = make_user("coordinator")
    browser.login(coordinator)
    page = browser.get(f"/people/{reviewing.rita.id}/edit")
    assert page.status_code == 200
    answer = browser.post(
        f"/people/{reviewing.rita.id}/edit",
        {
            "name": reviewing.rita.name,
            "email": reviewing.rita.email,
            "roles": ["reviewer", "unit_member"],
            "units": [str(reviewing.unit_id)],
            "language": "",
        },
    )
    assert answer.status_code == 422
    assert reviewing.case_number in answer.text
    db.session.expire_all()
    assert reviewing.unit_id not in reviewing.rita.unit_ids


def test_the_cli_refuses_the_membership_naming_the_visit(reviewing, app, db):
    result = app.test_cli_runner().invoke(
        args=["users", "add-unit", reviewing.rita.email, "--unit", str(reviewing.unit_id)]
    )
    assert result.exit_code != 0
    assert "units:" in result.output and reviewing.case_number in result.output
    db.session.expire_all()
    assert reviewing.unit_id not in reviewing.rita.unit_ids


def test_the_cli_adds_a_membership_without_conflict(reviewing, make_unit, app, db):
    other = make_unit("Annan enhet")
    result = app.test_cli_runner().invoke(args=["users", "add-unit", reviewing.rita.email, "--unit", str(other.id)])
    assert result.exit_code == 0, result.output
