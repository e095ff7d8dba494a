"""The years at a glance (DESIGN.md 4.5): counts against hand-counted fixtures, quarter boundaries, CSV, access,
and one grouped statement whatever the number of findings."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import insert


@pytest.fixture
def counted(db, make_visit, make_unit):
    """Two visits of a school out for comment: 2025-03-31 (Q1) and 2025-04-01 (Q2), one of an elderly care home in
    2026, and a draft (never counted). Hand-counted below."""
    school = make_unit("Ekskolan", kind="school")
    home = make_unit("Ekbacken", kind="elderly_care")
    q1 = make_visit(
        "sent_for_comment",
        unit=school,
        visit_date=date(2025, 3, 31),
        findings=(("strength", None, "A"), ("strength", None, "B"), ("deviation", "minor", "C")),
    )
    make_visit(
        "sent_for_comment",
        unit=school,
        lead=q1.lead,
        visit_date=date(2025, 4, 1),
        findings=(("development", None, "D"), ("deviation", "serious", "E")),
    )
    make_visit("final", unit=home, lead=q1.lead, visit_date=date(2026, 2, 1), findings=(("strength", None, "F"),))
    make_visit("draft", unit=school, lead=q1.lead, visit_date=date(2025, 5, 5), findings=(("strength", None, "G"),))
    return {"school": school, "home": home, "area": q1.template_version.areas[0].title}


def test_counts_per_year_match_the_hand_count(db, counted, make_user):
    from app.learning import services

    stats = services.finding_statistics(make_user("reviewer"))
    area = counted["area"]
    assert stats.counts[(area, "2025")] == {"strength": 2, "development": 1, "minor": 1, "serious": 1}
    assert stats.counts[(area, "2026")] == {"strength": 1, "development": 0, "minor": 0, "serious": 0}


def test_quarters_split_on_the_swedish_date_of_the_visit(db, counted, make_user):
    from app.learning import services

    stats = services.finding_statistics(make_user("reviewer"), period="quarter")
    area = counted["area"]
    assert stats.counts[(area, "2025 Q1")] == {"strength": 2, "development": 0, "minor": 1, "serious": 0}
    assert stats.counts[(area, "2025 Q2")] == {"strength": 0, "development": 1, "minor": 0, "serious": 1}
    assert stats.periods == ["2025 Q1", "2025 Q2", "2026 Q1"]


def test_a_unit_kind_and_one_unit(db, counted, make_user):
    from app.learning import services

    reviewer = make_user("reviewer")
    assert services.finding_statistics(reviewer, unit_kind="elderly_care").periods == ["2026"]
    assert services.finding_statistics(reviewer, unit_id=counted["school"].id).periods == ["2025"]


def test_a_unit_member_sees_only_their_own_units(db, counted, make_user, browser):
    from app.learning import services

    member = make_user("unit_member", units=[counted["home"]])
    assert services.finding_statistics(member).periods == ["2026"]
    browser.login(member)
    assert browser.get(f"/statistics/findings?unit={counted['school'].id}").status_code == 404
    assert browser.get(f"/statistics/findings?unit={counted['home'].id}").status_code == 200


def test_the_page_draws_a_chart_with_a_table_and_offers_csv(db, counted, make_user, browser):
    browser.login(make_user("coordinator"))
    page = browser.get("/statistics/findings?period=quarter").get_data(as_text=True)
    assert "<svg" in page and "<table>" in page and "2025 Q2" in page
    csv = browser.get("/statistics/findings?format=csv").get_data(as_text=True)
    assert csv.startswith("\ufeff")
    assert f"{counted['area']};2025;2;1;1;1" in csv


def test_the_api_answers_json_and_csv(db, client, counted, make_user):
    from app.auth import services as auth_services

    _token, secret = auth_services.create_api_token(actor=make_user("reviewer"), label="t")
    db.session.commit()
    url = "/api/v1/statistics/findings?by=area&period=year"
    answer = client.get(url, headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert {"area": counted["area"], "period": "2026", "strength": 1, "development": 0, "minor": 0, "serious": 0} in (
        answer["rows"]
    )
    csv = client.get(url, headers={"Authorization": f"Bearer {secret}", "Accept": "text/csv"})
    assert csv.mimetype == "text/csv"
    assert "area;period;strength;development;minor;serious" in csv.get_data(as_text=True)
    bad = client.get("/api/v1/statistics/findings?period=month", headers={"Authorization": f"Bearer {secret}"})
    assert bad.status_code == 422


def _add_findings(db, visit, n):
    from app.visits.models import Finding, FindingKind

    area = visit.template_version.areas[0].id
    kinds = [FindingKind.strength, FindingKind.development]
    db.session.execute(
        insert(Finding),
        [
            {"id": uuid.uuid4(), "visit_id": visit.id, "review_area_id": area, "kind": kinds[i % 2], "text": f"F{i}"}
            for i in range(n)
        ],
    )
    db.session.commit()


def test_statement_count_is_the_same_at_100_and_10000_findings(db, count_queries, make_visit, make_user, browser):
    visit = make_visit("sent_for_comment")
    browser.login(make_user("coordinator"))
    _add_findings(db, visit, 100)
    few = count_queries.get(browser, "/statistics/findings?period=quarter")
    _add_findings(db, visit, 9900)
    assert count_queries.get(browser, "/statistics/findings?period=quarter") == few


def test_the_coordinators_start_page_leads_to_the_years_and_the_feedback(db, browser, make_user):
    """Issue 15: the years at a glance are reachable from a coordinators' overview (their start page)."""
    browser.login(make_user("coordinator"))
    page = browser.get("/start").get_data(as_text=True)
    assert 'href="/statistics/findings"' in page
    assert 'href="/feedback"' in page


def test_the_csv_neutralises_a_formula_in_an_area_title():
    """An area title is typed by a coordinator; in the CSV it must not run as a formula in Excel (as in every list's
    CSV, app/core/csvexport.py), and the counts stay numbers."""
    from app.learning.services import statistics

    stats = statistics.FindingStatistics(
        period="year",
        areas=['=HYPERLINK("http://evil.test")'],
        periods=["2025"],
        counts={
            ('=HYPERLINK("http://evil.test")', "2025"): {"strength": 2, "development": 0, "minor": 1, "serious": 0}
        },
        totals={},
    )
    headers = {"area": "Area", "period": "Period", "strength": "S", "development": "D", "minor": "M", "serious": "X"}
    text = statistics.statistics_csv(stats, headers)
    assert text.startswith("\ufeffArea;Period;S;D;M;X\r\n")
    assert '\r\n"\'=HYPERLINK(""http://evil.test"")";2025;2;0;1;0\r\n' in text
