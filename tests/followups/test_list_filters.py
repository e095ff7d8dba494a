"""Lists that scale (issue 16): the follow-ups list filtered (status, due window, unit, kind, municipality,
reviewer) and sorted by every column both ways in the URL, the same list as CSV, and the API's same filters."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from app.followups import services
from app.units.models import UnitKind


def parse(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode()), "UTF-8 with a byte-order mark"
    assert b";" in raw.splitlines()[0]
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def spread(people, make_follow_up, make_unit, make_user, db):
    """Three follow-ups of Björkbacken (a school of Åby kommun) and one of another unit (elderly care, Byns AB)."""
    people.unit.owner = "Åby kommun"
    db.session.commit()
    today = date.today()
    soon = make_follow_up(title="Brandrutin", due_date=today + timedelta(days=10))
    later = make_follow_up(title="Arkivering", due_date=today + timedelta(days=60))
    mine_lead = make_follow_up(title="Larmkedja", due_date=today + timedelta(days=30), visit=people.visit)
    other_unit = make_unit("Äldreboendet Eken", kind=UnitKind.elderly_care, owner="Byns AB")
    other_member = make_user("unit_member", units=[other_unit], name="Ebba Eken")
    other = services.propose(
        actor=people.coordinator,
        unit_id=other_unit.id,
        title='=HYPERLINK("http://evil.example","x")',
        description="Gör något.",
        due_date=today + timedelta(days=20),
        owner_id=other_member.id,
    )
    db.session.commit()
    return {"soon": soon, "later": later, "lead": mine_lead, "other": other, "other_member": other_member}


def titles(page_html: str, candidates) -> list[str]:
    page_html = page_html[page_html.index("<table") :]
    found = [(page_html.index(t), t) for t in candidates if t in page_html]
    return [t for _i, t in sorted(found)]


ALL = ("Brandrutin", "Arkivering", "Larmkedja", "HYPERLINK")


def test_filters_by_kind_municipality_reviewer_and_due_window(browser, people, spread):
    browser.login(people.coordinator)
    today = date.today()

    def shown(query: str) -> list[str]:
        return titles(browser.get(f"/follow-ups?status=all&{query}").text, ALL)

    assert shown("unit_kind=elderly_care") == ["HYPERLINK"]
    assert shown("owner=Åby kommun") == ["Brandrutin", "Larmkedja", "Arkivering"]
    assert shown(f"reviewer={people.lead.id}") == ["Larmkedja"]
    assert shown(f"unit={spread['other'].unit_id}") == ["HYPERLINK"]
    assert shown("unit_name=ÄLDRE") == ["HYPERLINK"]  # part of the unit's name, any case
    window = f"due_from={today + timedelta(days=15)}&due_to={today + timedelta(days=30)}"
    assert shown(window) == ["HYPERLINK", "Larmkedja"]
    assert shown("unit_kind=castle&due_from=not-a-date") == ["Brandrutin", "HYPERLINK", "Larmkedja", "Arkivering"]


@pytest.mark.parametrize(
    ("column", "ascending"),
    [
        ("title", ["Arkivering", "Brandrutin", "HYPERLINK", "Larmkedja"]),  # the formula one, stored as typed
        ("due", ["Brandrutin", "HYPERLINK", "Larmkedja", "Arkivering"]),
        ("unit", ["Brandrutin", "Larmkedja", "Arkivering", "HYPERLINK"]),  # Björkbacken, then Äldreboendet
    ],
)
def test_every_column_sorts_both_ways(browser, people, spread, column, ascending):
    browser.login(people.coordinator)

    up = titles(browser.get(f"/follow-ups?status=all&sort={column}").text, ALL)
    down = titles(browser.get(f"/follow-ups?status=all&sort={column}&dir=desc").text, ALL)

    if column == "title":  # "=" before letters in byte order (SQLite), ignored by PostgreSQL's collations
        up, down = [t for t in up if t != "HYPERLINK"], [t for t in down if t != "HYPERLINK"]
        ascending = [t for t in ascending if t != "HYPERLINK"]
    assert up == ascending
    assert down == list(reversed(ascending))


def test_sorting_by_responsible_and_status_is_offered_and_stable(browser, people, spread):
    browser.login(people.coordinator)
    html = browser.get("/follow-ups?status=all&owner=Åby+kommun").text
    for column in ("title", "unit", "responsible", "due", "status"):
        assert f"sort={column}" in html
    assert "owner=%C3%85by+kommun" in html or "owner=Åby" in html  # the filters stay in the sorting links
    first = titles(browser.get("/follow-ups?status=all&sort=responsible").text, ALL)
    again = titles(browser.get("/follow-ups?status=all&sort=responsible").text, ALL)
    assert first == again and len(first) == 4


def test_the_csv_has_the_columns_the_filtered_rows_and_inert_formulas(browser, people, spread):
    browser.login(people.coordinator)

    response = browser.get("/follow-ups?status=all&sort=due", headers={"Accept": "text/csv"})

    assert response.headers["Content-Type"].startswith("text/csv")
    rows = parse(response)
    assert rows[0] == [
        "Uppföljning",
        "Diarienummer",
        "Enhet",
        "Typ av enhet",
        "Ansvarig",
        "Slutdatum",
        "Status",
        "Försenad",
    ]
    assert [r[0] for r in rows[1:]] == [
        "Brandrutin",
        '\'=HYPERLINK("http://evil.example","x")',
        "Larmkedja",
        "Arkivering",
    ]
    brand = rows[1]
    assert brand[2:4] == ["Björkbacken", "Skola"] and brand[5] == str(spread["soon"].due_date)
    assert rows[3][1] == people.visit.case_number
    link = browser.get("/follow-ups?status=all&unit_kind=school").text
    assert "format=csv" in link and "unit_kind=school" in link and "Ladda ner (CSV)" in link


def test_a_unit_member_gets_nothing_of_another_unit_in_the_list_or_the_csv(browser, people, spread):
    browser.login(people.owner)

    html = browser.get(f"/follow-ups?status=all&unit={spread['other'].unit_id}&owner=Byns+AB").text
    rows = parse(browser.get("/follow-ups?status=all&format=csv"))

    assert "HYPERLINK" not in html and "Eken" not in html
    assert all("Eken" not in ";".join(r) and "HYPERLINK" not in ";".join(r) for r in rows)
    assert 'name="reviewer"' not in html  # the reviewer filter is the staff's
    assert browser.get(f"/units/{spread['other'].unit_id}/follow-ups?format=csv").status_code == 404


def test_the_api_takes_the_same_filters(client, api_token, people, spread):
    headers = api_token(people.coordinator)
    today = date.today()

    def titles_of(query: str) -> list[str]:
        response = client.get(f"/api/v1/follow-ups?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [i["title"] for i in response.json["items"]]

    assert titles_of("unit_kind=elderly_care") == ['=HYPERLINK("http://evil.example","x")']
    assert titles_of("owner=Åby kommun&sort=title&dir=desc") == ["Larmkedja", "Brandrutin", "Arkivering"]
    assert titles_of(f"reviewer={people.lead.id}") == ["Larmkedja"]
    assert titles_of(f"due_to={today + timedelta(days=15)}") == ["Brandrutin"]
    assert client.get("/api/v1/follow-ups?sort=owner_name", headers=headers).status_code == 422
    assert client.get("/api/v1/follow-ups?due_from=tomorrow", headers=headers).status_code == 422
