"""Lists that scale (issue 16): the people list filtered by role, unit, municipality (the unit's owner) and
active or not, sorted by every column both ways, and the same list as CSV."""

from __future__ import annotations

import csv
import io

import pytest


@pytest.fixture
def crowd(make_unit, make_user):
    aby = make_unit("Åby skola", owner="Åby kommun")
    eken = make_unit("Eken", kind="elderly_care", owner="Byns AB")
    coordinator = make_user("coordinator", name="Cora Samordnare", email="cora@tillsyn.se")
    make_user("reviewer", name="Rolf Granskare", email="rolf@tillsyn.se")
    make_user("unit_member", units=[aby], name="Örjan Öst", email="orjan@aby.se")
    make_user("unit_member", units=[eken], name="Anna Ek", email="anna@eken.se", is_active_account=False)
    make_user("unit_member", units=[eken], name='=cmd|" /C calc"!A0', email="evil@eken.se")
    return {"aby": aby, "eken": eken, "coordinator": coordinator}


NAMES = ("Cora Samordnare", "Rolf Granskare", "Örjan Öst", "Anna Ek", "cmd|")


def order(html: str) -> list[str]:
    html = html[html.index("<table") :]  # the header names the logged-in coordinator
    return [n for _i, n in sorted((html.index(n), n) for n in NAMES if n in html)]


def test_filters_by_role_unit_municipality_and_status(browser, crowd):
    browser.login(crowd["coordinator"])

    def shown(query: str) -> list[str]:
        return order(browser.get(f"/people?{query}").text)

    assert set(shown("role=unit_member")) == {"Anna Ek", "Örjan Öst", "cmd|"}
    assert shown(f"unit={crowd['aby'].id}") == ["Örjan Öst"]
    assert shown("unit_name=ÅBY") == ["Örjan Öst"]
    assert shown("owner=Byns AB&status=active") == ["cmd|"]
    assert shown("status=inactive") == ["Anna Ek"]
    assert set(shown("role=castle&unit=nope")) == set(NAMES)  # an unknown value filters nothing


@pytest.mark.parametrize("column", ["name", "email", "roles", "status"])
def test_every_column_sorts_both_ways(browser, crowd, column):
    browser.login(crowd["coordinator"])

    up = order(browser.get(f"/people?sort={column}").text)
    down = order(browser.get(f"/people?sort={column}&dir=desc").text)

    assert up == list(reversed(down)) and len(up) == 5  # the person's id breaks ties: one order both ways
    html = browser.get("/people?status=active").text
    assert f"sort={column}" in html and "status=active" in html  # the sorting link keeps the filters


def test_roles_sort_coordinators_first(browser, crowd):
    browser.login(crowd["coordinator"])
    assert order(browser.get("/people?sort=roles").text)[:2] == ["Cora Samordnare", "Rolf Granskare"]


def test_the_csv_opens_in_excel_in_swedish(browser, crowd):
    browser.login(crowd["coordinator"])

    response = browser.get("/people?owner=Byns+AB&sort=name", headers={"Accept": "text/csv"})

    raw = response.get_data()
    assert response.headers["Content-Type"].startswith("text/csv") and raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Namn", "E-postadress", "Roller", "Enheter", "Status"]
    by_email = {r[1]: r for r in rows[1:]}
    assert by_email["anna@eken.se"] == ["Anna Ek", "anna@eken.se", "Enhetsföreträdare", "Eken", "Inaktiverad"]
    assert by_email["evil@eken.se"][0] == '\'=cmd|" /C calc"!A0'  # inert: starts with an apostrophe
    assert "Ladda ner (CSV)" in browser.get("/people").text


def test_only_coordinators_see_the_people_list(browser, crowd, make_user):
    browser.login(make_user("unit_member", units=[crowd["aby"]]))
    assert browser.get("/people").status_code == 403
    assert browser.get("/people?format=csv").status_code == 403
