"""The follow-ups in the browser: proposing and agreeing, the workflow on a follow-up's page (what was typed is
kept on refusal), the lists (sorted, overdue marked, paginated, constant queries), CSRF, the coordinators'
reminder page, and the start pages."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.followups.models import FollowUp, FollowUpEvidence, FollowUpStatus, Reminder, ReminderStatus
from tests.fixtures_followups import local


def new_form(people, **overrides):
    return {
        "title": "Rutin för nattlarm",
        "description": "Ta fram en rutin för att besvara larm nattetid.",
        "owner": str(people.owner.id),
        "due_date": (date.today() + timedelta(days=30)).isoformat(),
        "visit": "",
        "finding": "",
        **overrides,
    }


def serious(visit):
    return next(f for f in visit.findings if f.severity and f.severity.value == "serious")


# ---- proposing and agreeing -----------------------------------------------------------------------------


def test_the_lead_reviewer_proposes_for_a_finding_and_the_unit_accepts(people, new_browser, db):
    lead = new_browser()
    lead.login(people.lead)
    finding = serious(people.visit)
    form = lead.get(f"/units/{people.unit.id}/follow-ups/new?finding={finding.id}")
    assert "Två larm nattetid" in form.text  # the finding it is for

    response = lead.post(f"/units/{people.unit.id}/follow-ups/new", new_form(people, finding=str(finding.id)))

    assert response.status_code == 302
    follow_up = db.session.scalar(select(FollowUp))
    assert (follow_up.finding_id, follow_up.visit_id, follow_up.status) == (
        finding.id,
        people.visit.id,
        FollowUpStatus.proposed,
    )
    unit = new_browser()
    unit.login(people.owner)
    page = unit.get(f"/follow-ups/{follow_up.id}").text
    assert "Accept the follow-up" in page
    assert unit.post(f"/follow-ups/{follow_up.id}/accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).status == FollowUpStatus.agreed


def test_a_refused_proposal_keeps_what_was_typed_and_names_the_field(people, browser, db):
    browser.login(people.lead)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    response = browser.post(
        f"/units/{people.unit.id}/follow-ups/new", new_form(people, title="Min rubrik", due_date=yesterday)
    )
    assert response.status_code == 422
    assert "Slutdatumet kan inte ligga bakåt i tiden." in response.text
    assert 'value="Min rubrik"' in response.text
    assert "Ta fram en rutin för att besvara larm nattetid." in response.text
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0


def test_a_unit_member_proposes_on_their_own_and_is_responsible(people, browser, db):
    browser.login(people.colleague)
    response = browser.post(f"/units/{people.unit.id}/follow-ups/new", new_form(people, owner=""))
    assert response.status_code == 302
    follow_up = db.session.scalar(select(FollowUp))
    assert (follow_up.owner_id, follow_up.proposed_by_side.value) == (people.colleague.id, "unit")


# ---- the workflow on the follow-up's page ---------------------------------------------------------------


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_unit_reports_done_with_a_photo_and_the_reviewer_sees_it(people, make_follow_up, new_browser, db):
    follow_up = make_follow_up("agreed")
    unit = new_browser()
    unit.login(people.owner)
    response = unit.post(
        f"/follow-ups/{follow_up.id}/report-done",
        {"description": "Rutinen är införd.", "files": [(io.BytesIO(png()), "rutin.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    item = db.session.scalar(select(FollowUpEvidence))
    reviewer = new_browser()
    reviewer.login(people.reviewer)
    page = reviewer.get(f"/follow-ups/{follow_up.id}").text
    assert "Rutinen är införd." in page
    assert f"/follow-up-evidence/{item.id}/thumb" in page
    thumb = reviewer.get(f"/follow-up-evidence/{item.id}/thumb")
    assert (thumb.status_code, thumb.mimetype) == (200, "image/jpeg")
    thumb.close()


def test_a_done_report_without_a_description_is_refused_and_nothing_is_stored(people, make_follow_up, browser, db, app):
    from pathlib import Path

    follow_up = make_follow_up("agreed")
    browser.login(people.owner)
    response = browser.post(
        f"/follow-ups/{follow_up.id}/report-done",
        {"description": "", "files": [(io.BytesIO(png()), "rutin.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Describe what was done." in response.text
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).status == FollowUpStatus.agreed
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_verifying_without_a_note_keeps_the_page_and_the_typed_text(people, make_follow_up, browser, db):
    follow_up = make_follow_up("done_reported")
    browser.login(people.reviewer)
    response = browser.post(f"/follow-ups/{follow_up.id}/verify", {"note": "ok"})
    assert response.status_code == 422
    assert "Beskriv hur effekten har kontrollerats" in response.text
    assert "ok</textarea>" in response.text
    response = browser.post(f"/follow-ups/{follow_up.id}/verify", {"note": "Kontrollerat i larmloggen."})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).status == FollowUpStatus.verified


def test_a_reviewer_reopens_and_cancels_from_the_page(people, make_follow_up, browser, db):
    follow_up = make_follow_up("done_reported")
    browser.login(people.reviewer)
    assert browser.post(f"/follow-ups/{follow_up.id}/reopen", {"note": "Nattpersonalen saknas."}).status_code == 302
    assert browser.post(f"/follow-ups/{follow_up.id}/cancel", {"reason": ""}).status_code == 422
    assert browser.post(f"/follow-ups/{follow_up.id}/cancel", {"reason": "Ersätts."}).status_code == 302
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).status == FollowUpStatus.cancelled


def test_the_unit_cannot_verify_through_the_page(people, make_follow_up, browser, db):
    follow_up = make_follow_up("done_reported")
    browser.login(people.owner)
    assert "Verify the effect" not in browser.get(f"/follow-ups/{follow_up.id}").text
    assert browser.post(f"/follow-ups/{follow_up.id}/verify", {"note": "Vi har kollat själva."}).status_code == 403


def test_the_unit_changes_who_is_responsible_for_an_agreed_follow_up(people, make_follow_up, browser, db):
    follow_up = make_follow_up("agreed")
    browser.login(people.owner)
    page = browser.get(f"/follow-ups/{follow_up.id}/edit").text
    assert 'name="due_date"' not in page  # the review team changes dates
    response = browser.post(f"/follow-ups/{follow_up.id}/edit", {"owner": str(people.colleague.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).owner_id == people.colleague.id


def test_the_review_team_moves_the_due_date_and_the_reminders_follow(people, make_follow_up, browser, db):
    follow_up = make_follow_up("agreed")
    new_due = follow_up.due_date + timedelta(days=14)
    browser.login(people.reviewer)
    response = browser.post(
        f"/follow-ups/{follow_up.id}/edit",
        {
            "title": follow_up.title,
            "description": follow_up.description,
            "owner": str(follow_up.owner_id),
            "due_date": new_due.isoformat(),
        },
    )
    assert response.status_code == 302
    pending = db.session.scalars(
        select(Reminder.due_date).where(Reminder.follow_up_id == follow_up.id, Reminder.status == "pending")
    ).all()
    assert set(pending) == {new_due}


# ---- CSRF -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["accept", "report-done", "verify", "reopen", "cancel", "edit"],
)
def test_every_follow_up_form_needs_its_csrf_token(people, make_follow_up, browser, db, path):
    follow_up = make_follow_up("proposed")
    browser.login(people.owner)
    response = browser.client.post(f"/follow-ups/{follow_up.id}/{path}", data={"note": "x", "reason": "x"})
    assert response.status_code in (302, 400)  # a refused token: the error page, or back with the text kept
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).status == FollowUpStatus.proposed


@pytest.mark.parametrize("path", ["/profile/calendar", "/profile/calendar/revoke"])
def test_the_calendar_buttons_need_their_csrf_token(people, browser, db, path):
    from app.followups.models import CalendarFeed

    browser.login(people.owner)
    browser.client.post(path)
    assert db.session.scalar(select(func.count()).select_from(CalendarFeed)) == 0


def test_proposing_needs_the_csrf_token(people, browser, db):
    browser.login(people.lead)
    browser.client.post(f"/units/{people.unit.id}/follow-ups/new", data=new_form(people))
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0


# ---- lists ----------------------------------------------------------------------------------------------


@pytest.fixture
def several(make_follow_up):
    with time_machine.travel(local(2026, 3, 1, 12, 0), tick=False):
        return {
            days: make_follow_up("agreed", due_date=date(2026, 3, 1) + timedelta(days=days), title=f"Åtgärd {days}")
            for days in (20, 5, 10)
        }


def titles(html: str) -> list[str]:
    return re.findall(r">(Åtgärd \d+)</a>", html)


def test_the_list_is_sorted_by_due_date_both_ways(people, several, browser):
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        browser.login(people.coordinator)
        assert titles(browser.get("/follow-ups").text) == ["Åtgärd 5", "Åtgärd 10", "Åtgärd 20"]
        assert titles(browser.get("/follow-ups?sort=-due").text) == ["Åtgärd 20", "Åtgärd 10", "Åtgärd 5"]


def test_overdue_follow_ups_are_marked_in_words_not_only_colour(people, several, browser):
    with time_machine.travel(local(2026, 3, 12, 9, 0), tick=False):
        browser.login(people.owner)
        page = browser.get(f"/units/{people.unit.id}/follow-ups").text
        overdue_only = browser.get("/follow-ups?status=overdue").text
    rows = re.findall(r"<tr( class=\"overdue\")?>\s*<td><a href=\"/follow-ups/[^\"]+\">(Åtgärd \d+)", page)
    assert [(bool(mark), title) for mark, title in rows] == [
        (True, "Åtgärd 5"),
        (True, "Åtgärd 10"),
        (False, "Åtgärd 20"),
    ]
    assert page.count('<span class="badge overdue-badge">Overdue</span>') == 2
    assert titles(overdue_only) == ["Åtgärd 5", "Åtgärd 10"]


def test_the_list_is_paginated(people, several, browser):
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        browser.login(people.coordinator)
        first = browser.get("/follow-ups?per_page=2").text
        page = browser.get(html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))).text
        last = browser.get(html.unescape(re.search(r'href="([^"]+)">Sista sidan</a>', first).group(1))).text
    assert titles(page) == ["Åtgärd 20"]
    assert 'rel="next"' not in page and "Sista sidan" not in page and "Första sidan" in page
    assert titles(last) == titles(first)[1:] + titles(page)  # the last two rows, read from the end
    assert "3 uppföljningar" in first and "3 uppföljningar" in page  # the caption keeps the total


def test_a_reviewer_sees_their_own_by_default_and_all_on_request(people, make_follow_up, browser):
    make_follow_up("agreed", title="Åtgärd 1", finding=serious(people.visit))  # the lead's visit
    make_follow_up("agreed", title="Åtgärd 2")  # Rolf's own
    browser.login(people.lead)
    assert titles(browser.get("/follow-ups").text) == ["Åtgärd 1"]
    assert sorted(titles(browser.get("/follow-ups?mine=").text)) == ["Åtgärd 1", "Åtgärd 2"]


@pytest.mark.parametrize("path", ["/follow-ups?mine=", "/follow-ups?status=all&mine=", "unit"])
def test_list_pages_make_the_same_number_of_queries_however_many_follow_ups(
    count_queries, people, make_follow_up, make_user, browser, db, path
):
    browser.login(people.coordinator)
    url = f"/units/{people.unit.id}/follow-ups" if path == "unit" else path
    owners = [make_user("unit_member", units=[people.unit], name=f"Ägare {i}") for i in range(12)]
    make_follow_up("agreed", finding=serious(people.visit), owner=owners[0])
    make_follow_up("proposed", owner=owners[1])
    few = count_queries.get(browser, url)
    for i in range(2, 12):
        make_follow_up("agreed" if i % 2 else "proposed", owner=owners[i], visit=people.visit if i % 3 else None)
    many = count_queries.get(browser, url)
    assert many == few


def test_the_unit_member_does_not_see_a_follow_up_of_a_draft_visit(people, make_visit, make_follow_up, browser):
    draft = make_visit("draft", unit=people.unit, lead=people.lead, findings=(("deviation", "serious", "Brist"),))
    hidden = make_follow_up("proposed", finding=draft.findings[0], title="Förberedd av teamet")
    browser.login(people.owner)
    assert "Förberedd av teamet" not in browser.get("/follow-ups?status=all").text
    assert browser.get(f"/follow-ups/{hidden.id}").status_code == 404


# ---- reminders, for coordinators ------------------------------------------------------------------------


@pytest.fixture
def failed_reminder(make_follow_up, db):
    follow_up = make_follow_up("agreed", title="Rutin för nattlarm")
    reminder = db.session.scalars(select(Reminder).where(Reminder.follow_up_id == follow_up.id)).first()
    reminder.status = ReminderStatus.failed
    reminder.attempts = 1
    reminder.detail = "refused for x: SMTPRecipientsRefused: 550 no such mailbox"
    db.session.commit()
    return reminder


def test_coordinators_see_failed_reminders_and_send_them_again(people, failed_reminder, browser, db):
    browser.login(people.coordinator)
    page = browser.get("/reminders").text
    assert "Rutin för nattlarm" in page
    assert "550 no such mailbox" in page
    assert browser.post(f"/reminders/{failed_reminder.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(Reminder, failed_reminder.id).status == ReminderStatus.pending


def test_the_reminder_page_is_for_coordinators_only(people, failed_reminder, browser, db):
    browser.login(people.lead)
    assert browser.get("/reminders").status_code == 403
    assert browser.post(f"/reminders/{failed_reminder.id}/retry").status_code == 404
    db.session.expire_all()
    assert db.session.get(Reminder, failed_reminder.id).status == ReminderStatus.failed


def test_the_start_page_counts_what_waits(people, make_follow_up, browser):
    make_follow_up("proposed", proposer=people.colleague)  # waits for the supervising body
    make_follow_up("done_reported")
    browser.login(people.reviewer)
    page = browser.get("/start").text
    assert re.search(r'<span class="stat">1</span> väntar på att din part godtar', page)
    assert re.search(r'<span class="stat">1</span> rapporterade klara, att verifiera', page)


def test_the_follow_up_page_names_the_proposing_party_with_a_capital_letter(people, make_follow_up, browser):
    # The trust pages' lower-case words ("the supervising body", for use inside a sentence) once replaced these.
    follow_up = make_follow_up("agreed")
    browser.login(people.owner)
    page = browser.get(f"/follow-ups/{follow_up.id}").text
    proposed = re.search(r"<dt>Proposed by</dt><dd>([^<,(]+)", page)
    assert proposed is not None and proposed.group(1).strip() == "The supervising body"


def _grouped_counts(db) -> dict[str, int]:
    """The old way: count every reminder by status."""
    from sqlalchemy import func

    rows = dict(db.session.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all())
    return {s.value: int(rows.get(s, 0)) for s in ReminderStatus}


def test_the_status_counters_equal_counting_every_reminder(people, make_follow_up, db):
    """The per-status counters (kept by triggers, migration 0024) against a GROUP BY over the table, through
    inserts, changes by the ORM and by bulk UPDATE, and deletes."""
    from sqlalchemy import delete, update

    from app.followups import reminders

    follow_ups = [make_follow_up("agreed", title=f"Rutin {n}") for n in range(4)]
    assert reminders.status_counts() == _grouped_counts(db)
    assert sum(reminders.status_counts().values()) > 0
    rows = db.session.scalars(
        select(Reminder).where(Reminder.follow_up_id.in_([follow_ups[0].id, follow_ups[3].id])).order_by(Reminder.id)
    ).all()
    rows[0].status = ReminderStatus.failed
    rows[1].status = ReminderStatus.sent
    rows[2].attempts = 3  # no change of status
    db.session.commit()
    assert reminders.status_counts() == _grouped_counts(db)
    db.session.execute(
        update(Reminder).where(Reminder.follow_up_id == follow_ups[1].id).values(status=ReminderStatus.obsolete)
    )
    db.session.commit()
    assert reminders.status_counts() == _grouped_counts(db)
    db.session.execute(delete(Reminder).where(Reminder.follow_up_id == follow_ups[2].id))
    db.session.commit()
    counts = reminders.status_counts()
    assert counts == _grouped_counts(db)
    assert reminders.failed_count() == counts["failed"] == 1
    rolled = db.session.scalars(select(Reminder).where(Reminder.status == ReminderStatus.pending)).first()
    rolled.status = ReminderStatus.failed
    db.session.flush()
    db.session.rollback()  # a change rolled back leaves the counters as they were
    assert reminders.status_counts() == counts


def test_the_reminder_page_shows_the_counts_and_every_reminder_once_across_its_pages(
    people, make_follow_up, browser, db
):
    import html
    import re

    for n in range(5):
        make_follow_up("agreed", title=f"Rutin {n}")
    browser.login(people.coordinator)
    counts = _grouped_counts(db)
    page = browser.get("/reminders?status=pending&per_page=4").text
    assert f"({counts['pending']})" in page and "(0)" in page  # the statuses without reminders too
    rows = len(re.findall(r'href="/(?:follow-ups|visits)/[0-9a-f-]{36}"', page))
    link = re.search(r'href="([^"]+)" rel="next"', page)
    pages = 1
    while link:
        page = browser.get(html.unescape(link.group(1))).text
        rows += len(re.findall(r'href="/(?:follow-ups|visits)/[0-9a-f-]{36}"', page))
        link = re.search(r'href="([^"]+)" rel="next"', page)
        pages += 1
    assert rows == counts["pending"] and pages == -(-counts["pending"] // 4)


def test_the_start_page_counts_equal_counting_each_status_separately(people, make_follow_up, db):
    """``services.summary`` in one statement against the three separate counts it replaced (issue 17)."""
    from datetime import date, timedelta

    from sqlalchemy import func

    from app.followups import services
    from app.followups.models import FollowUp, FollowUpStatus
    from app.followups.services import ListFilter, _filtered

    for n, status in enumerate(["proposed", "proposed", "agreed", "agreed", "done_reported", "verified"]):
        make_follow_up(status, title=f"Rutin {n}", visit=people.visit if n % 2 else None)
    for agreed in db.session.scalars(select(FollowUp).where(FollowUp.status == FollowUpStatus.agreed)):
        agreed.due_date = date(2020, 1, 1)  # through the session, which keeps the start page's counts
    db.session.commit()
    today = date.today() + timedelta(days=1)
    for actor in (people.coordinator, people.lead, people.owner):
        mine = actor.is_reviewer and not actor.is_coordinator
        ids = _filtered(actor, ListFilter(status="all", mine=mine), today).with_only_columns(FollowUp.id)

        def count(*conditions, ids=ids):
            counted = select(func.count()).select_from(FollowUp).where(FollowUp.id.in_(ids), *conditions)
            return db.session.scalar(counted)

        side = FollowUp.supervisor_accepted_at if actor.is_staff else FollowUp.unit_accepted_at
        expected = (
            count(FollowUp.status == FollowUpStatus.proposed, side.is_(None)),
            count(FollowUp.status == FollowUpStatus.done_reported) if actor.is_staff else 0,
            count(FollowUp.status == FollowUpStatus.agreed, FollowUp.due_date < today),
        )
        got = services.summary(actor, today=today)
        assert (got.waiting_for_acceptance, got.waiting_for_verification, got.overdue) == expected, actor.name
        assert got.overdue >= 1
