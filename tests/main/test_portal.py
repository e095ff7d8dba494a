"""The unit's portal (a unit member's start page): what waits for them, each a link to where it is done; their
units with trust level; who in the unit did what; and a fixed number of queries however much there is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.visits import services as visit_services


def test_a_report_out_for_comment_waits_with_its_deadline_and_a_link_to_respond(browser, make_visit, make_user):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)

    page = browser.get("/start").text

    assert f'href="/visits/{visit.id}/respond"' in page
    assert visit.comment_deadline.strftime("%Y") in page
    assert "Rapporter där ni kan lämna synpunkter" in page


def test_a_colleagues_response_shows_who_answered_for_the_unit(browser, make_visit, make_user, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit], name="Ulla Unitmember")
    colleague = make_user("unit_member", units=[visit.unit], name="Kalle Kollega")
    visit_services.submit_response(visit.id, actor=colleague, overall="Vi instämmer i stort.")
    db.session.commit()
    browser.login(member)

    page = browser.get("/start").text

    assert "Kalle Kollega lämnade yttrande för enheten den" in page


def test_follow_ups_wait_with_links_to_their_pages(browser, make_visit, make_user, follow_up_row):
    visit = make_visit("final")
    member = make_user("unit_member", units=[visit.unit], name="Ulla Unitmember")
    to_accept = follow_up_row(visit.unit, member, status="proposed", title="Ny rutin för nattbemanning")
    to_report = follow_up_row(
        visit.unit,
        member,
        status="agreed",
        title="Uppdatera genomförandeplaner",
        due_date=date.today() - timedelta(days=2),
    )
    follow_up_row(visit.unit, member, status="done_reported", title="Redan rapporterad")
    browser.login(member)

    page = browser.get("/start").text

    assert f'href="/follow-ups/{to_accept.id}">Ny rutin för nattbemanning</a>' in page
    assert f'href="/follow-ups/{to_report.id}">Uppdatera genomförandeplaner</a>' in page
    assert "Försenad" in page and "du är ansvarig" in page
    waiting = page.split('id="activity-h"')[0]  # the history below may name it; the list of what waits may not
    assert "Redan rapporterad" not in waiting


def test_new_messages_wait_with_links_to_their_conversations(browser, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    write(visit.lead, finding=visit.findings[0], text="Vad säger ni om detta?")
    browser.login(member)

    page = browser.get("/start").text

    assert f'href="/findings/{visit.findings[0].id}/messages"' in page
    assert "1 nytt meddelande" in page


def test_nothing_waits_says_so(browser, make_unit, make_user):
    member = make_user("unit_member", units=[make_unit("Lugna enheten")])
    browser.login(member)
    page = browser.get("/start").text
    assert "Inget väntar på dig just nu." in page
    assert "Lugna enheten" in page and "Grundförtroende" in page


def test_units_are_shown_with_trust_level_and_counts(browser, make_visit, make_user, write):
    from app.units.models import TrustLevel

    visit = make_visit("sent_for_comment")
    visit.unit.trust_level = TrustLevel.closer_review
    member = make_user("unit_member", units=[visit.unit])
    make_user("unit_member", units=[visit.unit])
    write(visit.lead, visit=visit)
    browser.login(member)

    page = browser.get("/start").text

    assert "Fördjupad granskning" in page
    assert "2 medlemmar · 1 rapport på kommunicering · 1 nytt meddelande" in page


def test_who_did_what_in_the_unit_lately(browser, make_visit, make_user, write, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit], name="Ulla Unitmember")
    colleague = make_user("unit_member", units=[visit.unit], name="Kalle Kollega")
    write(colleague, visit=visit, text="Vi har en fråga.")
    browser.login(member)

    page = browser.get("/start").text
    activity = page.split('id="activity-h"')[1]

    assert "Kalle Kollega skrev ett meddelande för enhetens räkning." in activity
    assert visit.case_number in activity
    assert "iakttagelse" not in activity  # the team's working material stays out


def test_another_units_matters_never_show(browser, make_visit, make_user, write, follow_up_row):
    own = make_visit("sent_for_comment")
    other = make_visit("sent_for_comment", lead=own.lead)
    member = make_user("unit_member", units=[own.unit])
    other_member = make_user("unit_member", units=[other.unit], name="Otto Other")
    write(own.lead, visit=other, text="Till den andra enheten.")
    follow_up_row(other.unit, other_member, title="Den andra enhetens åtgärd")
    browser.login(member)

    page = browser.get("/start").text

    for trace in (other.case_number, other.unit.name, "Otto Other", "Den andra enhetens åtgärd"):
        assert trace not in page


# Statements of one GET of the portal below, the login session's lookup included (SQLite and PostgreSQL): the
# items' units come from the session, people are read by name without their roles (app/main/portal.py).
PORTAL_STATEMENTS = 25


def test_portal_queries_do_not_grow_with_what_waits(
    browser, make_visit, make_user, write, follow_up_row, count_queries, db
):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    colleague = make_user("unit_member", units=[visit.unit])
    visit_services.submit_response(visit.id, actor=colleague, overall="Synpunkt.")
    db.session.commit()
    follow_up_row(visit.unit, member, status="proposed")
    follow_up_row(visit.unit, colleague, status="agreed")
    write(visit.lead, visit=visit)
    write(visit.lead, finding=visit.findings[0])
    make_visit("planned", unit=visit.unit, lead=visit.lead)
    browser.login(member)
    browser.get("/start")  # the session's touch is written on a first view
    few = count_queries.get(browser, "/start")
    assert few <= PORTAL_STATEMENTS  # a regression fails here (45 before the portal was made lean, issue 17)

    for i in range(6):
        more = make_visit("sent_for_comment", unit=visit.unit, lead=visit.lead)
        visit_services.submit_response(more.id, actor=colleague, overall=f"Synpunkt {i}.")
        db.session.commit()
        follow_up_row(visit.unit, member, status="proposed", title=f"Förslag {i}")
        follow_up_row(visit.unit, colleague, status="agreed", title=f"Åtgärd {i}")
        write(visit.lead, visit=more, text=f"Meddelande {i}.")
        write(visit.lead, finding=more.findings[0], text=f"Om iakttagelsen {i}.")
        write(colleague, visit=visit, text=f"Från kollegan {i}.")
        make_visit("planned", unit=visit.unit, lead=visit.lead)

    assert count_queries.get(browser, "/start") == few


def test_a_report_whose_deadline_has_passed_no_longer_waits(browser, make_visit, make_user):
    import time_machine

    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    with time_machine.travel(visit.comment_deadline + timedelta(days=1)):
        browser.login(member)
        page = browser.get("/start").text
    assert f'href="/visits/{visit.id}/respond"' not in page


def test_a_boundary_proposal_of_the_review_team_waits_for_the_units_answer(
    browser, make_unit, make_user, make_indicator, db
):
    from app.trust import services as trust_services

    unit = make_unit("Björkbackens äldreboende")
    member = make_user("unit_member", units=[unit])
    reviewer = make_user("reviewer", name="Gustav Granskare")
    indicator = make_indicator(name_sv="Andel larm besvarade inom 10 minuter")
    trust_services.propose_boundary(
        unit.id,
        actor=reviewer,
        kind="indicator",
        indicator=indicator.key,
        comparator="<",
        threshold=90,
        periods=3,
        rationale="Larm som inte besvaras i tid är en risk.",
    )
    db.session.commit()
    browser.login(member)

    page = browser.get("/start").text

    assert "Förtroendegränser att svara på" in page
    assert f'href="/units/{unit.id}/boundaries#boundary-' in page
    assert "Andel larm besvarade inom 10 minuter" in page
    assert "Inget väntar på dig just nu." not in page


def test_a_units_own_proposal_does_not_wait_for_the_unit(browser, make_unit, make_user, make_indicator, db):
    from app.trust import services as trust_services

    unit = make_unit()
    member = make_user("unit_member", units=[unit])
    trust_services.propose_boundary(
        unit.id, actor=member, kind="serious_deviation", rationale="Allvarliga brister tittar vi på ihop."
    )
    db.session.commit()
    browser.login(member)

    assert "Förtroendegränser att svara på" not in browser.get("/start").text


def test_a_month_without_a_reading_for_a_watched_indicator_waits(
    browser, make_unit, make_user, make_indicator, make_boundary, report
):
    import time_machine

    unit = make_unit()
    member = make_user("unit_member", units=[unit])
    indicator = make_indicator(name_sv="Antal fall per 1000 vårddygn")
    make_boundary(unit, indicator=indicator, comparator=">", threshold=5)
    report(unit, indicator, {"2026-08": 3.0, "2026-09": 2.5}, today=date(2026, 11, 23))

    with time_machine.travel(datetime(2026, 11, 23, 12, tzinfo=UTC), tick=False):
        browser.login(member)
        page = browser.get("/start").text

    assert "Mätvärden att rapportera" in page
    assert f'href="/units/{unit.id}/readings"' in page
    assert "Antal fall per 1000 vårddygn för 2026-10" in page
    assert "senast rapporterat 2026-09" in page


def test_a_reported_month_no_longer_waits(browser, make_unit, make_user, make_indicator, make_boundary, report):
    import time_machine

    unit = make_unit()
    member = make_user("unit_member", units=[unit])
    indicator = make_indicator()
    make_boundary(unit, indicator=indicator)
    report(unit, indicator, {"2026-10": 95.0}, today=date(2026, 11, 23))

    with time_machine.travel(datetime(2026, 11, 23, 12, tzinfo=UTC), tick=False):
        browser.login(member)
        assert "Mätvärden att rapportera" not in browser.get("/start").text


def test_a_follow_up_prepared_on_a_draft_does_not_show_to_the_unit(browser, make_visit, make_user, follow_up_row):
    visit = make_visit("draft")
    member = make_user("unit_member", units=[visit.unit])
    follow_up_row(visit.unit, member, status="proposed", title="Utkast till åtgärd", finding=visit.findings[0])
    browser.login(member)

    assert "Utkast till åtgärd" not in browser.get("/start").text
