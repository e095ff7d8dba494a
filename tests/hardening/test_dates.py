"""Dates in sane ranges (issue 13 item 8; DESIGN.md 4.1): a visit date within a year before and three years after
the case's registration, a comment deadline within a year, and the case number's year the registration's."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from app.core.errors import InvalidInput

TODAY = date(2026, 11, 30)


@pytest.fixture
def frozen():
    with time_machine.travel("2026-11-30 10:00:00+01:00", tick=False):
        yield


def _create(make_unit, make_user, make_template, visit_date):
    from app.visits import services

    lead = make_user("reviewer")
    return services.create_visit(
        actor=lead, unit_id=make_unit().id, template_id=make_template().id, visit_date=visit_date, lead_id=lead.id
    )


@pytest.mark.parametrize("visit_date", [date(364, 12, 13), TODAY - timedelta(days=366), date(2029, 12, 1)])
def test_a_visit_date_far_from_registration_is_refused(frozen, make_unit, make_user, make_template, visit_date):
    with pytest.raises(InvalidInput) as refused:
        _create(make_unit, make_user, make_template, visit_date)
    assert "visit_date" in refused.value.errors


@pytest.mark.parametrize("visit_date", [TODAY - timedelta(days=365), date(2029, 11, 30)])
def test_a_visit_date_at_the_edges_is_accepted(frozen, make_unit, make_user, make_template, visit_date):
    visit = _create(make_unit, make_user, make_template, visit_date)
    assert visit.visit_date == visit_date


def test_the_case_number_carries_the_registration_year_not_the_visit_dates(frozen, make_unit, make_user, make_template):
    visit = _create(make_unit, make_user, make_template, date(2027, 3, 1))
    assert visit.case_number.startswith("TS-2026-")


def test_the_api_refuses_a_visit_in_the_year_364(client, make_unit, make_user, make_template, api_token, frozen):
    lead = make_user("reviewer")
    body = {
        "unit_id": str(make_unit().id),
        "template_id": str(make_template().id),
        "lead_id": str(lead.id),
        "visit_date": "0364-12-13",
    }
    response = client.post("/api/v1/visits", json=body, headers=api_token(lead))
    assert response.status_code == 422
    assert "visit_date" in response.json["errors"]


def test_a_comment_deadline_beyond_a_year_is_refused(frozen, make_visit):
    from app.core import access
    from app.visits import services

    visit = make_visit("draft", today=TODAY)
    with pytest.raises(InvalidInput) as refused:
        services.transition(visit.id, actor=access.OPERATOR, to="sent_for_comment", comment_deadline=date(9999, 12, 31))
    assert "comment_deadline" in refused.value.errors
