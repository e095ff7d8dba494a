"""Lists that scale (issue 16): units and visits filtered and sorted in the URL, and the same list as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
import time_machine

from app.core.csvexport import cell, csv_text


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def parse(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_csv_cells_use_decimal_commas_and_iso_dates():
    assert [cell(3.5), cell(12), cell(date(2026, 5, 1)), cell(None)] == ["3,5", "12", "2026-05-01", ""]


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x.se","klicka")', "+46 8 123", "-1+1", "@SUM(A1)", "\t=1"])
def test_a_cell_that_starts_like_a_formula_comes_out_as_text(value):
    [_header, row] = list(csv.reader(io.StringIO(csv_text(["a"], [[value]]).lstrip("\ufeff")), delimiter=";"))
    assert row == ["'" + value]


def test_the_units_csv_has_the_columns_and_the_filtered_rows(clock, browser, make_user, make_unit, make_visit):
    school = make_unit("Skolan i Åby", kind="school")
    make_unit('=HYPERLINK("http://evil.example","x")', kind="school")
    make_unit("Hemmet", kind="elderly_care")
    make_visit("final", unit=school, visit_date=date(2025, 3, 1))
    browser.login(make_user("coordinator"))

    rows = parse(browser.get("/units?unit_kind=school", headers={"Accept": "text/csv"}))

    assert rows[0] == ["Namn", "Typ", "Förtroendenivå", "Senaste besök", "Nästa besök senast", "Intervall (månader)"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"Skolan i Åby", '\'=HYPERLINK("http://evil.example","x")'}
    assert by_name["Skolan i Åby"][3:] == ["2025-03-01", "2027-03-01", "24"]


def test_the_download_link_keeps_the_filters(clock, browser, make_user):
    browser.login(make_user("coordinator"))

    html = browser.get("/units?unit_kind=school&sort=next_due&dir=desc").get_data(as_text=True)

    assert "format=csv" in html and "unit_kind=school" in html and "Ladda ner (CSV)" in html


def test_units_sort_by_next_visit_due_both_ways(clock, browser, make_user, make_unit, make_visit):
    early, late = make_unit("Tidig"), make_unit("Sen")
    make_visit("final", unit=early, visit_date=date(2024, 2, 1))
    make_visit("final", unit=late, visit_date=date(2025, 2, 1))
    browser.login(make_user("coordinator"))

    ascending = browser.get("/units?sort=next_due").get_data(as_text=True)
    descending = browser.get("/units?sort=next_due&dir=desc").get_data(as_text=True)

    assert ascending.index(">Tidig<") < ascending.index(">Sen<")
    assert descending.index(">Sen<") < descending.index(">Tidig<")
    assert 'aria-sort="descending"' in descending


def test_a_unit_member_exports_only_their_own_units(clock, browser, make_user, make_unit):
    own = make_unit("Egen")
    make_unit("Annan")
    browser.login(make_user("unit_member", units=[own]))

    rows = parse(browser.get("/units?format=csv"))

    assert [r[0] for r in rows[1:]] == ["Egen"]


def test_visits_filter_by_part_of_the_unit_name_and_export(clock, browser, make_user, make_unit, make_visit):
    wanted = make_visit("planned", unit=make_unit("Ängsgården"), visit_date=date(2026, 12, 3))
    make_visit("planned", unit=make_unit("Björken"), visit_date=date(2026, 12, 4))
    browser.login(make_user("coordinator"))

    html = browser.get("/visits?unit_q=ängs").get_data(as_text=True)
    rows = parse(browser.get("/visits?unit_q=ängs&sort=visit_date", headers={"Accept": "text/csv"}))

    assert wanted.case_number in html and "Björken" not in html
    assert rows[0][:3] == ["Diarienummer", "Enhet", "Datum"]
    assert [r[:3] for r in rows[1:]] == [[wanted.case_number, "Ängsgården", "2026-12-03"]]


def test_visits_sort_by_unit_name(clock, browser, make_user, make_unit, make_visit):
    b = make_visit("planned", unit=make_unit("Bäcken"), visit_date=date(2026, 12, 3))
    a = make_visit("planned", unit=make_unit("Alen"), visit_date=date(2026, 12, 4))
    browser.login(make_user("coordinator"))

    html = browser.get("/visits?sort=unit").get_data(as_text=True)

    assert html.index(a.case_number) < html.index(b.case_number)


def test_units_filter_by_municipality_on_the_page_and_in_the_csv(clock, browser, make_user, make_unit):
    make_unit("Ekskolan", owner="Norrviks kommun")
    make_unit("Björkskolan", owner="Söderå kommun")
    make_unit("Friskolan Lärkan", owner="Lärkan AB")
    browser.login(make_user("coordinator"))

    html = browser.get("/units").get_data(as_text=True)
    assert 'id="owner"' in html and "<option>Söderå kommun</option>" in html  # the choices are the owners
    page = browser.get("/units?owner=Norrviks+kommun").get_data(as_text=True)
    rows = parse(browser.get("/units?owner=Norrviks+kommun&format=csv"))

    table = page[page.index("<table") : page.index("</table>")]
    assert "Ekskolan" in table and "Björkskolan" not in table and "Lärkan" not in table
    assert "<option selected>Norrviks kommun</option>" in page
    assert [r[0] for r in rows[1:]] == ["Ekskolan"]


def test_a_unit_member_sees_only_the_owners_of_their_own_units(clock, browser, make_user, make_unit):
    own = make_unit("Ekskolan", owner="Norrviks kommun")
    make_unit("Björkskolan", owner="Söderå kommun")
    browser.login(make_user("unit_member", units=[own]))

    html = browser.get("/units").get_data(as_text=True)

    assert "Norrviks kommun" in html and "Söderå kommun" not in html
