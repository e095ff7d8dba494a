"""The trust pages: the unit page's section with charts, the agreement pages, breaches and restoring baseline, the
indicator catalogue, the coordinators' overview (paginated, filtered, without N+1), and CSRF on every form."""

from __future__ import annotations

import re

import pytest
import time_machine
from sqlalchemy import select

from app.trust.models import Boundary, Breach, Indicator, VersionStatus
from app.units.models import TrustLevel

CLOCK = time_machine.travel("2026-06-15 10:00:00+02:00", tick=False)


@pytest.fixture(autouse=True)
def _frozen():
    with CLOCK:
        yield


@pytest.fixture
def unit_in_closer_review(db, make_unit, make_user, make_indicator, make_boundary, report, make_visit, enqueued):
    unit = make_unit("Björkbacken")
    make_visit("planned", unit=unit)
    member = make_user("unit_member", units=[unit], name="Elin Enhet")
    indicator = make_indicator("larm")
    make_boundary(unit, indicator=indicator, periods=2, acceptor=member)
    report(unit, indicator, {"2025-12": 95, "2026-01": 92.5, "2026-02": 91, "2026-03": 85, "2026-04": 84})
    return unit, member, indicator


# ---- the unit page --------------------------------------------------------------------------------


def test_the_unit_page_shows_the_boundaries_as_sentences_and_the_open_breach(browser, unit_in_closer_review):
    unit, member, _indicator = unit_in_closer_review
    browser.login(member)
    page = browser.get(f"/units/{unit.id}").text
    assert "Villkorat förtroende" in page
    assert (
        "Vi tittar närmare på det tillsammans när var och en av de 2 senast rapporterade månaderna är under 90 %."
        in page
    )
    assert "Öppna gränsöverskridanden" in page
    assert "Förtroendegränsen ”Andel larm besvarade inom 10 minuter” överskreds." in page  # the trust history


def test_each_indicator_is_an_accessible_svg_chart_with_its_threshold_and_breach_marked(browser, unit_in_closer_review):
    unit, member, _indicator = unit_in_closer_review
    browser.login(member)
    page = browser.get(f"/units/{unit.id}").text
    svg = re.search(r"<svg class=\"chart-svg\".*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg
    title_id, desc_id = re.search(r'aria-labelledby="([^" ]+) ([^"]+)"', svg).groups()
    assert f'<title id="{title_id}">Andel larm besvarade inom 10 minuter</title>' in svg
    desc = re.search(rf'<desc id="{desc_id}">(.*?)</desc>', svg, re.S).group(1)
    assert "5 månadsvärden från 2025-12 till 2026-04" in desc
    assert "Senaste: 84 % för 2026-04." in desc
    assert "2 månader ingår i ett registrerat gränsöverskridande." in desc
    assert svg.count('class="threshold"') == 1
    assert svg.count('class="breach-band"') == 2
    assert svg.count('class="point wrong"') == 2  # 85 and 84 are below 90
    table = re.search(r"<details>.*?</details>", page[page.index(svg) :], re.S).group(0)
    assert '<th scope="row">2026-04</th><td>84</td><td>Ja</td><td>Ja</td>' in table
    assert '<th scope="row">2026-01</th><td>92,5</td><td>Nej</td><td>Nej</td>' in table


def test_the_unit_page_asks_the_other_party_to_answer_a_proposal(browser, db, make_unit, make_user):
    from app.trust import services

    unit = make_unit("Solrosen")
    member = make_user("unit_member", units=[unit])
    services.propose_boundary(
        unit.id, actor=make_user("reviewer"), kind="serious_deviation", rationale="Följs alltid upp tillsammans."
    )
    db.session.commit()
    browser.login(member)
    assert "En föreslagen förtroendegräns väntar på ert svar." in browser.get(f"/units/{unit.id}").text


def test_unit_page_queries_do_not_grow_with_the_number_of_readings(
    count_queries, app, browser, unit_in_closer_review, report
):
    unit, member, indicator = unit_in_closer_review
    browser.login(member)
    url = f"/units/{unit.id}"
    browser.get(url)
    with count_queries() as few:
        assert browser.get(url).status_code == 200
    report(unit, indicator, {f"2025-{m:02d}": 95 for m in range(1, 12)})
    with count_queries() as many:
        assert browser.get(url).status_code == 200
    assert many.count == few.count


# ---- agreeing on boundaries in the browser ---------------------------------------------------------


def test_a_reviewer_proposes_and_the_unit_member_accepts_in_the_browser(
    browser, new_browser, db, make_unit, make_user, make_indicator, enqueued
):
    unit = make_unit("Solrosen")
    member = make_user("unit_member", units=[unit], name="Ulla Unit")
    make_indicator("personalomsattning", name_sv="Personalomsättning")
    browser.login(make_user("reviewer", name="Rita Reviewer"))
    response = browser.post(
        f"/units/{unit.id}/boundaries",
        {
            "kind": "indicator",
            "indicator": "personalomsattning",
            "comparator": ">",
            "threshold": "25",
            "periods": "3",
            "rationale": "Barnen behöver kända vuxna.",
        },
    )
    assert response.status_code == 302
    other = new_browser()
    other.login(member)
    page = other.get(f"/units/{unit.id}/boundaries").text
    assert "Föreslagen gräns (version 1)" in page
    assert "Föreslogs av Rita Reviewer (tillsynsmyndigheten)" in page
    version = db.session.scalar(select(Boundary)).versions[0]

    assert other.post(f"/boundary-versions/{version.id}/accept").status_code == 302

    db.session.expire_all()
    assert version.status == VersionStatus.active
    page = other.get(f"/units/{unit.id}/boundaries").text
    assert "Godtogs av Ulla Unit" in page


def test_a_bad_proposal_keeps_what_was_typed_and_names_the_fields(browser, db, make_unit, make_user, make_indicator):
    unit = make_unit("Solrosen")
    make_indicator("larm")
    browser.login(make_user("reviewer"))
    response = browser.post(
        f"/units/{unit.id}/boundaries",
        {
            "kind": "indicator",
            "indicator": "larm",
            "comparator": "<",
            "threshold": "nittio",
            "periods": "3",
            "rationale": "Viktigt för de boende.",
        },
    )
    assert response.status_code == 422
    assert "Skriv värdet som ett tal" in response.text
    assert 'value="nittio"' in response.text
    assert "Viktigt för de boende." in response.text
    assert db.session.scalar(select(Boundary)) is None


def test_the_limit_is_explained_on_the_boundaries_page(app, browser, db, make_unit, make_user):
    from app.trust import services

    app.config["MAX_ACTIVE_BOUNDARIES"] = 1
    unit = make_unit("Solrosen")
    services.propose_boundary(unit.id, actor=make_user("reviewer"), kind="serious_deviation", rationale="Viktigt.")
    db.session.commit()
    browser.login(make_user("coordinator"))
    page = browser.get(f"/units/{unit.id}/boundaries").text
    assert "så många som tillåts (1)" in page
    response = browser.post(
        f"/units/{unit.id}/boundaries", {"kind": "overdue_follow_up", "days": "30", "rationale": "Åtgärder i tid."}
    )
    assert response.status_code == 409
    assert "högst 1 förtroendegränser" in response.text


def test_declining_with_a_reason_shows_it_to_both_parties(browser, new_browser, db, make_unit, make_user):
    from app.trust import services

    unit = make_unit("Solrosen")
    member = make_user("unit_member", units=[unit])
    reviewer = make_user("reviewer")
    version = services.propose_boundary(
        unit.id, actor=member, kind="overdue_follow_up", days="10", rationale="Vi vill hålla tiderna."
    )
    db.session.commit()
    browser.login(reviewer)
    browser.post(f"/boundary-versions/{version.id}/reject", {"reason": "Tio dagar är för snävt."})
    other = new_browser()
    other.login(member)
    assert "Tio dagar är för snävt." in other.get(f"/units/{unit.id}/boundaries").text


# ---- breaches and baseline ------------------------------------------------------------------------


def test_restoring_baseline_in_the_browser_is_refused_while_a_breach_is_open(
    browser, db, unit_in_closer_review, make_user
):
    unit, _member, _indicator = unit_in_closer_review
    browser.login(make_user("coordinator"))
    response = browser.post(f"/units/{unit.id}/restore-baseline", {"reason": "Allt ser bra ut igen."})
    assert response.status_code == 409
    assert "Grundförtroende kan återställas först när inget gränsöverskridande är öppet" in response.text
    assert "Allt ser bra ut igen." in response.text


def test_a_too_long_reason_to_restore_baseline_is_shown_at_the_field_and_kept(
    browser, db, unit_in_closer_review, make_user
):
    """Found by trying it: a reason over 5000 characters fails the form's own check, and the view redirected
    without a word, throwing away what the coordinator typed."""
    unit, _member, _indicator = unit_in_closer_review
    breach = db.session.scalar(select(Breach))
    reviewer = make_user("reviewer")
    from app.trust import services as trust_services

    trust_services.close_breach(breach.id, actor=reviewer, note="Vi har ändrat larmrutinen nattetid.")
    db.session.commit()
    browser.login(make_user("coordinator"))
    typed = "Larmen besvaras i tid igen. " * 200
    response = browser.post(f"/units/{unit.id}/restore-baseline", {"reason": typed})
    assert response.status_code == 422
    assert "Larmen besvaras i tid igen. Larmen besvaras" in response.text
    assert "5000 tecken" in response.text
    db.session.expire_all()
    assert unit.trust_level != TrustLevel.baseline


def test_a_reviewer_closes_the_breach_and_a_coordinator_restores_baseline(
    browser, new_browser, db, unit_in_closer_review, make_user
):
    unit, _member, _indicator = unit_in_closer_review
    breach = db.session.scalar(select(Breach))
    browser.login(make_user("reviewer"))
    assert browser.post(f"/breaches/{breach.id}/close", {"note": "kort"}).status_code == 422
    assert (
        browser.post(f"/breaches/{breach.id}/close", {"note": "Vi har ändrat larmrutinen nattetid."}).status_code == 302
    )
    coordinator = new_browser()
    coordinator.login(make_user("coordinator"))
    response = coordinator.post(f"/units/{unit.id}/restore-baseline", {"reason": "Larmen besvaras i tid igen."})
    assert response.status_code == 302
    db.session.expire_all()
    assert unit.trust_level == TrustLevel.baseline
    page = coordinator.get(f"/units/{unit.id}/breaches").text
    assert "Vi har ändrat larmrutinen nattetid." in page
    assert "Larmen besvaras i tid igen." in page


def test_a_unit_member_sees_the_breaches_but_no_close_or_restore_forms(browser, unit_in_closer_review):
    unit, member, _indicator = unit_in_closer_review
    browser.login(member)
    page = browser.get(f"/units/{unit.id}/breaches").text
    assert "Andel larm besvarade inom 10 minuter" in page
    assert "Avsluta gränsöverskridandet" not in page
    assert "restore-baseline" not in page


# ---- the indicator catalogue ----------------------------------------------------------------------


def test_a_coordinator_adds_and_edits_an_indicator(browser, db, make_user):
    browser.login(make_user("coordinator"))
    response = browser.post(
        "/indicators/new",
        {
            "key": "fall",
            "name_sv": "Antal fall per 1000 vårddygn",
            "name_en": "Falls per 1,000 care days",
            "unit_of_measure": "per 1000 vårddygn",
            "description": "Rapporterade fall.",
        },
    )
    assert response.status_code == 302
    indicator = db.session.scalar(select(Indicator))
    response = browser.post(
        f"/indicators/{indicator.id}/edit",
        {"name_sv": "Fall per 1000 vårddygn", "name_en": "Falls", "unit_of_measure": "st", "description": ""},
    )
    assert response.status_code == 302
    assert "Fall per 1000 vårddygn" in browser.get("/indicators").text


def test_an_indicator_with_a_bad_key_is_refused_keeping_the_names(browser, db, make_user):
    browser.login(make_user("coordinator"))
    response = browser.post("/indicators/new", {"key": "Larm Inom", "name_sv": "Larm", "name_en": "Alarms"})
    assert response.status_code == 422
    assert "små bokstäver a–z" in response.text
    assert 'value="Larm Inom"' in response.text


def test_only_coordinators_manage_the_catalogue(browser, make_user):
    browser.login(make_user("reviewer"))
    assert browser.get("/indicators").status_code == 200
    assert browser.get("/indicators/new").status_code == 403


# ---- the coordinators' overview -------------------------------------------------------------------


@pytest.fixture
def many_units(db, make_unit, make_user, make_indicator, make_boundary, report, enqueued):
    indicator = make_indicator("larm")
    reviewer = make_user("reviewer")

    def make(count: int, prefix: str) -> None:
        for i in range(count):
            unit = make_unit(f"{prefix} {i:02d}")
            make_boundary(unit, indicator=indicator, periods=2, proposer=reviewer)
            report(unit, indicator, {"2026-01": 95, "2026-02": 96 if i % 2 else 80, "2026-03": 95 if i % 2 else 70})

    return make


def test_the_overview_lists_units_in_closer_review_first_with_their_latest_readings(browser, many_units, make_user):
    many_units(3, "Enhet")
    browser.login(make_user("coordinator"))
    page = browser.get("/trust").text
    rows = re.findall(r'<th scope="row"><a href="/units/[^"]+">([^<]+)</a>', page)
    assert rows[:2] == ["Enhet 00", "Enhet 02"]  # in closer review, with an open breach
    assert "70 %" in page and "(2026-03)" in page
    assert "fel sida" in page


def test_the_overview_is_filtered_and_paginated(browser, many_units, make_user):
    many_units(4, "Enhet")
    browser.login(make_user("coordinator"))
    page = browser.get("/trust?breaches=open").text
    assert "2 enheter" in page
    page = browser.get("/trust?trust_level=baseline&per_page=1&page=2").text
    assert "Sida 2 av 2" in page
    assert browser.get("/trust?q=enhet%2003").text.count('<th scope="row">') == 1


def test_overview_queries_do_not_grow_with_the_number_of_units(count_queries, app, browser, many_units, make_user):
    many_units(2, "Först")
    browser.login(make_user("coordinator"))
    browser.get("/trust")
    with count_queries() as few:
        assert browser.get("/trust").status_code == 200
    many_units(6, "Sedan")
    with count_queries() as many:
        assert browser.get("/trust").status_code == 200
    assert many.count == few.count


def test_the_overview_is_for_the_supervising_body(browser, make_user, make_unit):
    browser.login(make_user("unit_member", units=[make_unit()]))
    assert browser.get("/trust").status_code == 403


# ---- CSRF -----------------------------------------------------------------------------------------


def test_every_trust_form_refuses_a_post_without_its_csrf_token(client, browser, db, unit_in_closer_review, make_user):
    unit, _member, _indicator = unit_in_closer_review
    breach = db.session.scalar(select(Breach))
    version = db.session.scalar(select(Boundary)).versions[0]
    indicator = db.session.scalar(select(Indicator))
    browser.login(make_user("coordinator"))
    for url, data in (
        (f"/units/{unit.id}/boundaries", {"kind": "serious_deviation", "rationale": "Viktigt att följa upp."}),
        (f"/boundary-versions/{version.id}/accept", {}),
        (f"/boundary-versions/{version.id}/reject", {"reason": "Nej."}),
        (f"/boundary-versions/{version.id}/withdraw", {}),
        (f"/units/{unit.id}/readings", {"indicator": "larm", "period": "2026-05", "value": "1"}),
        (f"/units/{unit.id}/readings/import", {}),
        (f"/breaches/{breach.id}/close", {"note": "Stängt utan token."}),
        (f"/units/{unit.id}/restore-baseline", {"reason": "Återställt utan token."}),
        ("/indicators/new", {"key": "x", "name_sv": "X", "name_en": "X"}),
        (f"/indicators/{indicator.id}/edit", {"name_sv": "X", "name_en": "X"}),
    ):
        assert client.post(url, data=data).status_code == 400, url
    db.session.expire_all()
    assert db.session.scalar(select(Breach)).closed_at is None
    assert len(db.session.scalars(select(Boundary)).all()) == 1
    assert len(db.session.scalars(select(Indicator)).all()) == 1
    assert db.session.scalars(select(Indicator)).one().name_sv != "X"
