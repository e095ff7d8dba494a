"""Readings keep to their indicator: an allowed range and the unit kinds it applies to (refused with the field named,
by service, form, CSV, API and command line); a wrong reading is withdrawn with a reason, kept in the history,
counted nowhere, and evaluation reruns (issue 13, item 9; DESIGN.md 4.3)."""

from __future__ import annotations

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core import timeline
from app.core.errors import InvalidInput
from app.core.models import AuditEvent
from app.trust import queries, services
from app.trust.models import Breach, Reading

CLOCK = time_machine.travel("2026-06-15 10:00:00+02:00", tick=False)


@pytest.fixture(autouse=True)
def _frozen():
    with CLOCK:
        yield


@pytest.fixture
def care_home(db, make_unit, make_user, make_indicator):
    unit = make_unit("Björkbacken", kind="elderly_care")
    member = make_user("unit_member", units=[unit], name="Elin Enhet")
    make_indicator("larm", min_value=0, max_value=100, unit_kinds=["elderly_care", "disability_care"])
    make_indicator(
        "behorighet",
        name_sv="Andel behöriga lärare",
        name_en="Share of qualified teachers",
        min_value=0,
        max_value=100,
        unit_kinds=["school"],
    )
    return unit, member


def stored(db) -> list[tuple[str, str, float]]:
    db.session.expire_all()
    return [(r.indicator.key, r.period, r.value) for r in db.session.scalars(select(Reading).order_by(Reading.period))]


# ---- range and unit kinds -------------------------------------------------------------------------


def test_150_percent_is_refused_for_a_percentage_naming_the_value(db, care_home):
    unit, member = care_home
    with pytest.raises(InvalidInput) as refused:
        services.record_readings(unit.id, [services.ReadingInput("larm", "2026-05", "150 %")], actor=member)
    [message] = refused.value.errors["value"]
    assert "0" in message and "100" in message
    assert stored(db) == []


def test_the_bounds_themselves_are_allowed(db, care_home):
    unit, member = care_home
    services.record_readings(
        unit.id,
        [services.ReadingInput("larm", "2026-04", 0), services.ReadingInput("larm", "2026-05", 100)],
        actor=member,
    )
    db.session.commit()
    assert [v for _k, _p, v in stored(db)] == [0.0, 100.0]


def test_a_care_home_reporting_a_school_indicator_is_refused(db, care_home):
    unit, member = care_home
    with pytest.raises(InvalidInput) as refused:
        services.record_readings(unit.id, [services.ReadingInput("behorighet", "2026-05", 80)], actor=member)
    [message] = refused.value.errors["indicator"]
    assert "Äldreomsorg" in message
    assert stored(db) == []


def test_an_indicator_without_kinds_applies_to_every_unit(db, care_home, make_indicator):
    unit, member = care_home
    make_indicator("fall", unit_of_measure="per 1000 vårddygn")
    services.record_readings(unit.id, [services.ReadingInput("fall", "2026-05", 1234)], actor=member)
    db.session.commit()
    assert stored(db) == [("fall", "2026-05", 1234.0)]


def test_the_form_refuses_an_out_of_range_value_and_keeps_what_was_typed(browser, db, care_home):
    unit, member = care_home
    browser.login(member)
    response = browser.post(f"/units/{unit.id}/readings", {"indicator": "larm", "period": "2026-05", "value": "150"})
    assert response.status_code == 422
    assert "100" in response.text and 'value="150"' in response.text
    assert stored(db) == []


def test_a_csv_import_names_the_line_of_each_refused_reading(db, care_home):
    unit, member = care_home
    data = "indikator;period;värde\nlarm;2026-04;92\nlarm;2026-05;150\nbehorighet;2026-05;80\n".encode()
    with pytest.raises(services.CsvImportError) as refused:
        services.import_readings_csv(unit.id, data, actor=member)
    lines = [(e.line, e.field) for e in refused.value.lines]
    assert lines == [(3, "value"), (4, "indicator")]
    assert stored(db) == []


def test_the_api_refuses_single_and_batch_readings_naming_the_field(client, db, care_home, api_token):
    unit, member = care_home
    headers = api_token(member)
    single = client.post(
        f"/api/v1/units/{unit.id}/readings",
        json={"indicator": "larm", "period": "2026-05", "value": 150},
        headers=headers,
    )
    assert single.status_code == 422
    assert list(single.json["errors"]) == ["value"]
    batch = client.post(
        f"/api/v1/units/{unit.id}/readings",
        json={
            "readings": [
                {"indicator": "larm", "period": "2026-05", "value": 90},
                {"indicator": "behorighet", "period": "2026-05", "value": 90},
            ]
        },
        headers=headers,
    )
    assert batch.status_code == 422
    assert list(batch.json["errors"]) == ["readings[1].indicator"]
    assert stored(db) == []


def test_the_command_line_import_refuses_an_out_of_range_value(app, db, care_home, tmp_path):
    unit, _member = care_home
    path = tmp_path / "import.csv"
    path.write_text("indicator,period,value\nlarm,2026-05,-3\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["readings", "import", str(path), "--unit", unit.name])
    assert result.exit_code != 0
    assert "line 2" in result.output.lower() or "rad 2" in result.output.lower()
    assert stored(db) == []


def test_a_coordinator_sets_the_range_and_kinds_of_an_indicator_through_the_api(client, db, make_user, api_token):
    headers = api_token(make_user("coordinator"))
    body = {
        "key": "andel",
        "name_sv": "Andel",
        "name_en": "Share",
        "unit_of_measure": "%",
        "min_value": 0,
        "max_value": 100,
        "unit_kinds": ["school", "preschool"],
    }
    created = client.post("/api/v1/indicators", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert (created.json["min_value"], created.json["max_value"], created.json["unit_kinds"]) == (
        0,
        100,
        ["school", "preschool"],
    )
    patched = client.patch(
        f"/api/v1/indicators/{created.json['id']}", json={"unit_kinds": [], "max_value": None}, headers=headers
    )
    assert (patched.json["min_value"], patched.json["max_value"], patched.json["unit_kinds"]) == (0, None, [])


def test_a_range_upside_down_or_an_unknown_kind_is_a_422_naming_the_field(client, make_user, api_token):
    headers = api_token(make_user("coordinator"))
    body = {"key": "andel", "name_sv": "Andel", "name_en": "Share", "min_value": 10, "max_value": 5}
    assert list(client.post("/api/v1/indicators", json=body, headers=headers).json["errors"]) == ["max_value"]
    body = {"key": "andel", "name_sv": "Andel", "name_en": "Share", "unit_kinds": ["castle"]}
    assert list(client.post("/api/v1/indicators", json=body, headers=headers).json["errors"]) == ["unit_kinds.0"]


def test_the_indicator_form_sets_the_range_and_kinds(browser, db, make_user):
    browser.login(make_user("coordinator"))
    response = browser.post(
        "/indicators/new",
        {
            "key": "andel",
            "name_sv": "Andel",
            "name_en": "Share",
            "min_value": "0",
            "max_value": "100",
            "unit_kinds": ["school", "preschool"],
        },
    )
    assert response.status_code == 302
    indicator = services.find_indicator("andel")
    assert (indicator.min_value, indicator.max_value, indicator.kinds) == (0, 100, ["school", "preschool"])


# ---- withdrawing a reading ------------------------------------------------------------------------


@pytest.fixture
def reported(db, care_home, report):
    unit, member = care_home
    indicator = services.find_indicator("larm")
    report(unit, indicator, {"2026-03": 85, "2026-04": 95, "2026-05": 85})
    by_period = {r.period: r for r in db.session.scalars(select(Reading))}
    return unit, member, indicator, by_period


def withdraw(client, api_token, person, reading, reason="Fel månad i rapporten."):
    return client.post(f"/api/v1/readings/{reading.id}/withdraw", json={"reason": reason}, headers=api_token(person))


def test_a_withdrawn_reading_is_kept_but_no_longer_charted(client, db, reported, api_token):
    unit, member, _indicator, by_period = reported
    response = withdraw(client, api_token, member, by_period["2026-04"])
    assert response.status_code == 200, response.json
    assert response.json["withdrawal_reason"] == "Fel månad i rapporten."
    assert response.json["actions"] == []
    [chart] = queries.unit_charts(unit.id)
    assert [p.period for p in chart.points] == ["2026-03", "2026-05"]
    assert len(stored(db)) == 3


def test_withdrawing_reruns_evaluation(client, db, reported, api_token, make_boundary):
    unit, member, indicator, by_period = reported
    make_boundary(unit, indicator=indicator, comparator="<", threshold=90, periods=2)
    assert db.session.scalars(select(Breach)).all() == []  # newest two: 85, 95
    withdraw(client, api_token, member, by_period["2026-04"])
    db.session.expire_all()
    [breach] = db.session.scalars(select(Breach)).all()  # without 95 the newest two are 85, 85
    assert [p for p, _v in breach.evidence["readings"]] == ["2026-05", "2026-03"]


def test_a_breach_that_depended_on_a_withdrawn_reading_stays_open(client, db, reported, api_token, make_boundary):
    unit, member, indicator, by_period = reported
    make_boundary(unit, indicator=indicator, comparator="<", threshold=90, periods=1)
    [breach] = db.session.scalars(select(Breach)).all()  # the newest, 2026-05: 85
    withdraw(client, api_token, member, by_period["2026-05"])
    db.session.expire_all()
    assert db.session.get(Breach, breach.id).closed_at is None
    assert len(db.session.scalars(select(Breach)).all()) == 1


def test_a_withdrawal_is_in_the_history_in_both_languages(client, db, reported, api_token):
    _unit, member, _indicator, by_period = reported
    withdraw(client, api_token, member, by_period["2026-04"])
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "reading", AuditEvent.action == "update")
        .options(selectinload(AuditEvent.actor))
    ).one()
    with force_locale("sv"):
        assert timeline.sentence(event) == "Elin Enhet drog tillbaka ett mätvärde: Fel månad i rapporten."
    with force_locale("en"):
        assert timeline.sentence(event) == "Elin Enhet withdrew a reading: Fel månad i rapporten."


def test_another_units_reading_is_a_404(client, db, reported, api_token, make_unit, make_user):
    _unit, _member, _indicator, by_period = reported
    stranger = make_user("unit_member", units=[make_unit("Ekbacken")])
    assert withdraw(client, api_token, stranger, by_period["2026-04"]).status_code == 404
    assert db.session.get(Reading, by_period["2026-04"].id).withdrawn_at is None


def test_a_withdrawal_without_a_reason_is_refused_and_twice_is_refused(client, db, reported, api_token):
    _unit, member, _indicator, by_period = reported
    assert withdraw(client, api_token, member, by_period["2026-04"], reason="  ").status_code == 422
    assert withdraw(client, api_token, member, by_period["2026-04"]).status_code == 200
    assert withdraw(client, api_token, member, by_period["2026-04"]).status_code == 422


def test_reporting_a_withdrawn_period_again_brings_it_back(client, db, reported, api_token, report):
    unit, member, indicator, by_period = reported
    withdraw(client, api_token, member, by_period["2026-04"])
    report(unit, indicator, {"2026-04": 96})
    reading = db.session.get(Reading, by_period["2026-04"].id)
    assert (reading.value, reading.withdrawn_at, reading.withdrawal_reason) == (96, None, None)


def test_the_withdraw_page_asks_for_a_reason_and_withdraws(browser, db, reported):
    unit, member, _indicator, by_period = reported
    browser.login(member)
    page = browser.get(f"/units/{unit.id}/readings")
    assert f"/readings/{by_period['2026-04'].id}/withdraw" in page.text
    path = f"/readings/{by_period['2026-04'].id}/withdraw"
    assert browser.get(path).status_code == 200
    assert browser.post(path, {"reason": ""}).status_code == 422
    done = browser.post(path, {"reason": "Dubbelrapporterat."}, follow_redirects=True)
    assert done.status_code == 200
    assert "Dubbelrapporterat." in done.text


def test_the_form_offers_only_the_indicators_of_the_units_kind_and_refuses_another(browser, db, care_home):
    unit, member = care_home
    browser.login(member)
    page = browser.get(f"/units/{unit.id}/readings").text
    assert (
        'value="larm"' in page and 'value="behorighet"' not in page.split('name="indicator"')[1].split("</select>")[0]
    )
    response = browser.post(
        f"/units/{unit.id}/readings", {"indicator": "behorighet", "period": "2026-05", "value": "80"}
    )
    assert response.status_code == 422
    assert "rapporteras inte av enheter av slaget ”Äldreomsorg”" in response.text
    assert stored(db) == []
