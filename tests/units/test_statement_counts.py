"""The unit page runs a fixed, small number of statements for every role, however much the unit holds (issue 17):
the same count with one boundary, a few readings and members as with more of each, a longer history and more
visits, and no more than the counts measured when the page was made flat (a regression fails here)."""

from __future__ import annotations

import pytest

from app.trust import services as trust_services

# Statements of one GET of /units/<id> here, the login session's lookup included, the same on SQLite and PostgreSQL
# (49–50 before the page was made flat: the trust panel alone ran 21, lazy-loading what it had already read).
UNIT_PAGE_STATEMENTS = {"coordinator": 23, "reviewer": 23, "unit_member": 22}


@pytest.fixture
def rich_unit(db, make_unit, make_user, make_indicator, make_boundary, report, make_visit, follow_up_row, enqueued):
    """A unit in closer review (an open breach and a trust change), with a chart, members, a planned visit, a
    follow-up and a history; returns the unit, a member and a function that adds more of everything."""
    unit = make_unit("Björkbacken", address="Storgatan 1", owner="Exempel kommun")
    visit = make_visit("sent_for_comment", unit=unit)
    make_visit("planned", unit=unit, lead=visit.lead)
    member = make_user("unit_member", units=[unit], name="Elin Enhet")
    indicator = make_indicator("larm")
    make_boundary(unit, indicator=indicator, periods=2, acceptor=member)
    report(unit, indicator, {"2025-12": 95, "2026-01": 92.5, "2026-02": 91, "2026-03": 85, "2026-04": 84})
    follow_up_row(unit, member, status="agreed")

    def grow() -> None:
        for n in range(4):
            make_user("unit_member", units=[unit], name=f"Medlem {n}")
            make_visit("final", unit=unit, lead=visit.lead)
            follow_up_row(unit, member, status="proposed", title=f"Åtgärd {n}")
        make_visit("sent_for_comment", unit=unit, lead=visit.lead)
        other = make_indicator("personal", name_sv="Personalomsättning", name_en="Staff turnover")
        make_boundary(unit, indicator=other, threshold=20, comparator=">", acceptor=member)
        report(unit, other, {f"2025-{m:02d}": 10 + m for m in range(1, 13)})
        report(unit, indicator, {f"2025-{m:02d}": 96 for m in range(1, 12)})
        trust_services.propose_boundary(
            unit.id, actor=visit.lead, kind="serious_deviation", rationale="Följs alltid upp tillsammans."
        )
        db.session.commit()

    return unit, member, grow


@pytest.mark.parametrize("role", ["coordinator", "reviewer", "unit_member"])
def test_the_unit_page_runs_the_same_few_statements_however_much_the_unit_holds(
    role, browser, make_user, count_queries, rich_unit
):
    unit, member, grow = rich_unit
    browser.login(member if role == "unit_member" else make_user(role))
    url = f"/units/{unit.id}"
    browser.get(url)  # the session's touch is written on a first view
    few = count_queries.get(browser, url)

    grow()

    page = browser.get(url).text
    assert "Personalomsättning" in page and "Öppna gränsöverskridanden" in page  # the grown parts are shown
    assert count_queries.get(browser, url) == few
    assert few <= UNIT_PAGE_STATEMENTS[role]
