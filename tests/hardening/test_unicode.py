"""Å, Ä and Ö on SQLite and PostgreSQL alike (issue 13 item 7): search, lookup and duplicates through the folded
name key (``app.core.input.fold``); run with TEST_DB=postgres for the PostgreSQL half."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.input import fold
from app.units.models import Unit


@pytest.mark.parametrize(
    ("a", "b"),
    [("Åby skola", "åby skola"), ("ÄLVSJÖ", "älvsjö"), ("Östra  gymnasiet", "östra gymnasiet"), ("Straße", "STRASSE")],
)
def test_fold_makes_case_and_spacing_variants_meet(a, b):
    assert fold(a) == fold(b)


def test_unit_search_on_the_page_finds_any_case_of_a_swedish_letter(browser, make_user, make_unit):
    make_unit("Älvsjö förskola")
    make_unit("Åby skola")
    browser.login(make_user("coordinator"))
    page = browser.get("/units?q=%C3%A4lvsj%C3%B6").get_data(as_text=True)  # "älvsjö"
    assert "Älvsjö förskola" in page
    assert "Åby skola" not in page


def test_unit_search_in_the_api_finds_any_case(client, make_user, make_unit, api_token):
    make_unit("Östra gymnasiet")
    response = client.get("/api/v1/units?q=%C3%96STRA", headers=api_token(make_user("reviewer")))
    assert [u["name"] for u in response.json["items"]] == ["Östra gymnasiet"]


def test_a_search_with_like_wildcards_matches_them_literally(client, make_user, make_unit, api_token):
    make_unit("Åby skola")
    response = client.get("/api/v1/units?q=%25", headers=api_token(make_user("reviewer")))
    assert response.json["items"] == []


def test_a_unit_differing_only_in_case_is_a_duplicate(client, make_user, make_unit, api_token, db):
    make_unit("Åby skola")
    response = client.post("/api/v1/units", json={"name": "åby skola"}, headers=api_token(make_user("coordinator")))
    assert response.status_code == 422
    assert "name" in response.json["errors"]
    assert db.session.scalar(select(Unit.name).where(Unit.name == "åby skola")) is None


def test_the_database_refuses_a_case_duplicate_too(db, make_unit):
    make_unit("Åby skola")
    db.session.add(Unit(name="ÅBY SKOLA"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_readings_import_finds_the_unit_by_name_in_any_case(app, make_unit, tmp_path, request):
    make_indicator = request.getfixturevalue("make_indicator")
    unit = make_unit("Östra gymnasiet")
    make_indicator("larm_inom_10_min")
    csv = tmp_path / "avlasningar.csv"
    csv.write_text("indicator,period,value\nlarm_inom_10_min,2026-01,95\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["readings", "import", str(csv), "--unit", "östra GYMNASIET"])
    assert result.exit_code == 0, result.output
    from app.trust.models import Reading

    assert app.extensions["sqlalchemy"].session.scalar(select(Reading.unit_id)) == unit.id


def test_people_search_finds_any_case_of_a_swedish_letter(browser, make_user):
    make_user("reviewer", name="Åsa Ärlig")
    make_user("reviewer", name="Örjan Östlund")
    make_user("reviewer", name="Anna Andersson")
    browser.login(make_user("coordinator", name="Cora Coordinator"))
    page = browser.get("/people?q=%C3%A4RLIG").get_data(as_text=True)  # "äRLIG"
    assert "Åsa Ärlig" in page
    assert "Örjan Östlund" not in page and "Anna Andersson" not in page
    page = browser.get("/people?q=%C3%B6stl").get_data(as_text=True)  # "östl"
    assert "Örjan Östlund" in page and "Åsa Ärlig" not in page


def test_people_search_matches_like_wildcards_literally(browser, make_user):
    make_user("reviewer", name="Åsa Ärlig")
    browser.login(make_user("coordinator", name="Cora Coordinator"))
    page = browser.get("/people?q=%25").get_data(as_text=True)
    assert "Åsa Ärlig" not in page


def test_a_renamed_person_is_found_by_the_new_name(db, browser, make_user):
    person = make_user("reviewer", name="Anna Andersson")
    person.name = "Ängla Åberg"
    db.session.commit()
    browser.login(make_user("coordinator", name="Cora Coordinator"))
    assert "Ängla Åberg" in browser.get("/people?q=%C3%A5berg").get_data(as_text=True)  # "åberg"
