"""The personal calendar feed: RFC 5545 text (escaping, folding, stable UIDs, all-day dates), what it holds
for whom, and its secret, revocable link (shown on the profile page)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from app.followups import calendar
from app.followups.models import CalendarFeed


def unfold(ics: str) -> list[str]:
    return ics.replace("\r\n ", "").split("\r\n")


def events(ics: str) -> list[dict[str, str]]:
    found, current = [], None
    for line in unfold(ics):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            key, _sep, value = line.partition(":")
            current[key] = value
    return found


# ---- the text format ------------------------------------------------------------------------------------


def test_text_values_are_escaped():
    assert calendar.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_long_lines_are_folded_at_75_octets_without_splitting_a_character():
    line = "SUMMARY:" + "åäö" * 40
    folded = calendar.fold(line)
    parts = folded.split("\r\n ")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert "".join(parts) == line  # each part decodes on its own: no character is cut


# ---- the feed -------------------------------------------------------------------------------------------


def feed_url(app, person, db):
    feed = calendar.create_feed(actor=person)
    db.session.commit()
    return f"/api/v1/follow-ups.ics?token={calendar.token_for(feed)}"


def test_the_owner_subscribes_to_their_due_dates(people, make_follow_up, client, db, app):
    follow_up = make_follow_up("agreed", title="Larm, rutiner; och mer", due_date=date.today() + timedelta(days=9))
    make_follow_up("proposed", title="Bara ett förslag")
    response = client.get(feed_url(app, people.owner, db))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    ics = response.get_data(as_text=True)
    assert ics.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    [event] = events(ics)
    assert event["UID"] == f"follow-up-{follow_up.id}@tillsyn.local"
    assert event["DTSTART;VALUE=DATE"] == follow_up.due_date.strftime("%Y%m%d")
    assert event["DTEND;VALUE=DATE"] == (follow_up.due_date + timedelta(days=1)).strftime("%Y%m%d")
    assert event["SUMMARY"] == "Follow-up due: Larm\\, rutiner\\; och mer"  # the owner reads English
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
    assert "Ta fram en rutin" not in ics  # titles and links only


def test_the_uid_of_an_event_stays_the_same_between_fetches(people, make_follow_up, client, db, app):
    make_follow_up("agreed")
    url = feed_url(app, people.owner, db)
    first = [e["UID"] for e in events(client.get(url).get_data(as_text=True))]
    second = [e["UID"] for e in events(client.get(url).get_data(as_text=True))]
    assert first == second


def test_a_reviewer_gets_their_follow_ups_to_verify_and_their_planned_visits(
    people, make_follow_up, make_visit, client, db, app
):
    make_follow_up("done_reported", finding=people.visit.findings[0], title="Att verifiera")
    planned = make_visit("planned", unit=people.unit, lead=people.lead, visit_date=date.today() + timedelta(days=5))
    summaries = {
        e["UID"]: e["SUMMARY"] for e in events(client.get(feed_url(app, people.lead, db)).get_data(as_text=True))
    }
    assert "Uppföljning ska vara klar: Att verifiera (Björkbacken)" in summaries.values()
    assert summaries[f"visit-{planned.id}@tillsyn.local"] == f"Granskningsbesök {planned.case_number} – Björkbacken"


def test_a_forged_or_unknown_token_is_a_404(people, client, db, app):
    url = feed_url(app, people.owner, db)
    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert client.get(forged).status_code == 404
    assert client.get("/api/v1/follow-ups.ics?token=nonsense").status_code == 404
    assert client.get("/api/v1/follow-ups.ics").status_code == 404


def test_a_revoked_or_replaced_link_stops_working(people, client, db, app):
    old = feed_url(app, people.owner, db)
    new = feed_url(app, people.owner, db)  # a new link replaces the old one
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    calendar.revoke_feed(actor=people.owner)
    db.session.commit()
    assert client.get(new).status_code == 404


def test_a_deactivated_persons_link_stops_working(people, client, db, app):
    url = feed_url(app, people.owner, db)
    people.owner.is_active_account = False
    db.session.commit()
    assert client.get(url).status_code == 404


def test_the_profile_page_makes_shows_and_stops_the_link(people, browser, db):
    browser.login(people.owner)
    assert "Make a calendar link" in browser.get("/profile").text
    assert browser.post("/profile/calendar").status_code == 302
    feed = db.session.query(CalendarFeed).one()
    page = browser.get("/profile").text
    assert f"/api/v1/follow-ups.ics?token={calendar.token_for(feed)}" in page
    assert browser.post("/profile/calendar/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(CalendarFeed, feed.id).revoked_at is not None
    assert "Make a calendar link" in browser.get("/profile").text


def test_the_links_secret_is_never_stored_in_the_database(people, db, app):
    from sqlalchemy import select

    feed = calendar.create_feed(actor=people.owner)
    db.session.commit()
    secret = calendar.token_for(feed)[32:]
    everything = repr([db.session.execute(select(table)).all() for table in db.metadata.sorted_tables])
    assert secret not in everything
