"""The planning page and API (DESIGN.md 4.7): order, filters, "plan a visit", recalculation, who may see it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_units_are_listed_by_due_date_overdue_first(clock, browser, make_user, make_unit, make_visit):
    coordinator = make_user("coordinator")
    overdue = make_unit("Älvgården")
    soon = make_unit("Björkhagen")
    make_visit("final", unit=overdue, visit_date=date(2024, 1, 10))  # due 2026-01-10
    make_visit("final", unit=soon, visit_date=date(2025, 6, 1))  # due 2027-06-01
    never = make_unit("Cedern")  # registered today: due 2028-11-30
    browser.login(coordinator)

    html = browser.get("/planning").get_data(as_text=True)

    assert html.index("Älvgården") < html.index("Björkhagen") < html.index(never.name)
    assert "Försenad" in html


def test_a_planned_visit_takes_the_unit_off_the_due_list(clock, browser, make_user, make_unit, make_visit):
    coordinator = make_user("coordinator")
    unit = make_unit("Solrosen")
    make_visit("final", unit=unit, visit_date=date(2024, 1, 10))
    make_visit("planned", unit=unit, visit_date=date(2026, 12, 10))
    browser.login(coordinator)

    assert "Solrosen" not in browser.get("/planning").get_data(as_text=True)
    assert "Solrosen" in browser.get("/planning?include_planned=1").get_data(as_text=True)


def test_the_filters_keep_only_matching_units(clock, browser, make_user, make_unit, make_visit):
    coordinator = make_user("coordinator")
    lena = make_user("reviewer", name="Lena Lead")
    school = make_unit("Skolan i Åby", kind="school")
    home = make_unit("Hemmet", kind="elderly_care")
    make_visit("final", unit=school, lead=lena, visit_date=date(2025, 1, 10))
    make_visit("final", unit=home, visit_date=date(2025, 1, 10))
    browser.login(coordinator)

    by_kind = browser.get("/planning?unit_kind=elderly_care").get_data(as_text=True)
    by_reviewer = browser.get(f"/planning?reviewer={lena.id}").get_data(as_text=True)
    by_trust = browser.get("/planning?trust_level=closer_review").get_data(as_text=True)

    assert "Hemmet" in by_kind and "Skolan i Åby" not in by_kind
    assert "Skolan i Åby" in by_reviewer and "Hemmet" not in by_reviewer
    assert "Hemmet" not in by_trust and "Skolan i Åby" not in by_trust


def test_bad_filter_values_are_ignored_not_an_error(clock, browser, make_user):
    browser.login(make_user("coordinator"))
    assert browser.get("/planning?unit_kind=x&reviewer=nope&due_before=2026-13-45").status_code == 200
    assert browser.get("/planning?page=-3").status_code == 422  # a page that is not a sane number (API.md)


def test_plan_a_visit_is_prefilled_with_unit_template_and_last_reviewer(
    clock, browser, make_user, make_unit, make_visit
):
    coordinator = make_user("coordinator")
    lena = make_user("reviewer", name="Lena Lead")
    unit = make_unit("Tallen")
    visit = make_visit("final", unit=unit, lead=lena, visit_date=date(2024, 3, 1))
    browser.login(coordinator)

    html = browser.get("/planning").get_data(as_text=True)
    template_id = visit.template_version.template_id
    assert f"unit={unit.id}" in html and f"template={template_id}" in html and f"lead={lena.id}" in html

    form = browser.get(f"/visits/new?unit={unit.id}&template={template_id}&lead={lena.id}").get_data(as_text=True)
    assert f'<option selected value="{lena.id}">' in form or f'value="{lena.id}" selected' in form


def test_the_last_reviewer_is_not_suggested_when_now_a_member_of_the_unit(
    clock, db, browser, make_user, make_unit, make_visit
):
    from app.units.models import Membership

    coordinator = make_user("coordinator")
    lena = make_user("reviewer", name="Lena Lead")
    unit = make_unit("Granen")
    make_visit("final", unit=unit, lead=lena, visit_date=date(2024, 3, 1))
    db.session.add(Membership(unit_id=unit.id, user_id=lena.id))
    db.session.commit()
    browser.login(coordinator)

    html = browser.get("/planning").get_data(as_text=True)

    assert f"unit={unit.id}" in html and f"lead={lena.id}" not in html


def test_a_unit_member_may_not_see_planning(clock, browser, make_user, make_unit, api_token):
    member = make_user("unit_member", units=[make_unit()])
    browser.login(member)

    assert browser.get("/planning").status_code == 403
    assert browser.get("/api/v1/planning", headers=api_token(member)).status_code == 403


def test_the_api_gives_interval_reason_due_date_and_planned_visit(
    clock, client, make_user, make_unit, make_visit, api_token
):
    reviewer = make_user("reviewer", language="en")
    unit = make_unit("Linden")
    make_visit("final", unit=unit, visit_date=date(2025, 2, 1))
    planned = make_visit("planned", unit=unit, visit_date=date(2026, 12, 10))

    body = client.get("/api/v1/planning?due_before=2027-03-01", headers=api_token(reviewer)).get_json()

    [item] = body["items"]
    assert item["unit_name"] == "Linden"
    assert item["interval_months"] == 24
    assert item["interval_reason"].startswith("24 months: only one final visit so far")
    assert item["next_visit_due"] == "2027-02-01"
    assert item["planned_visit"]["case_number"] == planned.case_number


def test_the_unit_page_shows_interval_and_due_date(clock, browser, make_user, make_unit, make_visit):
    unit = make_unit("Eken")
    make_visit("final", unit=unit, visit_date=date(2025, 2, 1))
    browser.login(make_user("unit_member", units=[unit]))

    html = browser.get(f"/units/{unit.id}").get_data(as_text=True)

    assert "24 månader: bara ett avslutat besök hittills" in html
    assert "1 februari 2027" in html


def test_the_interval_follows_finalising_a_breach_and_restored_trust(
    clock, db, app, make_user, make_unit, make_visit, make_boundary
):
    from app.planning.services import unit_plan
    from app.trust import services as trust
    from app.trust.models import Breach

    coordinator = make_user("coordinator")
    unit = make_unit("Ängen")
    make_visit("final", unit=unit, visit_date=date(2023, 10, 1))

    def interval():
        with app.test_request_context():
            return unit_plan(coordinator, unit.id, today=NOW.date()).interval

    assert interval().months == 24
    make_visit("final", unit=unit, visit_date=date(2025, 10, 1))  # a second clean visit becomes final
    assert (interval().months, interval().next_due) == (36, date(2028, 10, 1))

    make_boundary(unit, "serious_deviation")
    make_visit(
        "sent_for_comment", unit=unit, visit_date=date(2026, 11, 2), findings=(("deviation", "serious", "Brist."),)
    )  # the breach opens and the unit goes to closer review
    assert (interval().months, interval().next_due) == (6, date(2026, 4, 1))

    breach = db.session.query(Breach).filter_by(unit_id=unit.id).one()
    trust.close_breach(breach.id, actor=make_user("reviewer"), note="Rutinerna är nu på plats och följs upp.")
    trust.restore_baseline(unit.id, actor=coordinator, reason="Inga öppna gränsöverskridanden kvarstår.")
    db.session.commit()
    assert (interval().months, interval().reason.value) == (24, "breach")
