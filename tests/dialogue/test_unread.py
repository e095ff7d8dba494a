"""Read and unread per person (DESIGN.md 4.2): what someone else wrote after a person's read mark is new to
them; one's own messages never are; reading is marked by the person, up to what they were shown."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from app.core.models import utcnow
from app.dialogue import services


def test_unread_counts_are_kept_per_person(db, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    anna, bo = (make_user("unit_member", units=[visit.unit], name=n) for n in ("Anna", "Bo"))
    write(visit.lead, visit=visit, text="Ett.")
    write(visit.lead, finding=visit.findings[0], text="Två.")
    write(anna, visit=visit, text="Annas svar.")

    services.mark_read(actor=bo, finding_id=visit.findings[0].id)
    db.session.commit()

    assert services.unread_total(anna) == 1  # the finding's message; her own reply is not new to her
    assert services.unread_total(bo) == 2  # the visit's two messages
    assert services.unread_total(visit.lead) == 1  # Anna's reply


def test_marking_read_reaches_only_as_far_as_the_person_was_shown(db, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        shown = write(visit.lead, visit=visit, text="Visat.")
        clock.shift(timedelta(seconds=30))
        write(visit.lead, visit=visit, text="Kom medan sidan var öppen.")
        clock.shift(timedelta(seconds=30))

        remaining = services.mark_read(actor=member, visit_id=visit.id, up_to=shown.created_at)
        db.session.commit()

    assert remaining == 1
    assert services.unread_total(member) == 1


def test_opening_a_thread_marks_it_read_only_through_its_form(browser, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    write(visit.lead, visit=visit, text="Nytt för enheten.")
    browser.login(member)

    page = browser.get(f"/visits/{visit.id}/messages").text
    assert "Nytt</span>" in page and "Markera som läst" in page
    assert services.unread_total(member) == 1  # a GET changes nothing

    token = page.split('name="seen_until" type="hidden" value="')[1].split('"')[0]
    response = browser.post(f"/visits/{visit.id}/messages/read", {"seen_until": token})

    assert response.status_code == 302
    assert services.unread_total(member) == 0
    assert "Markera som läst" not in browser.get(f"/visits/{visit.id}/messages").text


def test_the_page_script_marks_read_and_gets_the_count_back(browser, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    write(visit.lead, visit=visit)
    browser.login(member)

    response = browser.post(f"/visits/{visit.id}/messages/read", {}, headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json == {"unread": 0}


def test_the_menu_counts_new_messages_for_the_person(browser, new_browser, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    for i in range(3):
        write(visit.lead, visit=visit, text=f"Meddelande {i}.")
    browser.login(member)
    assert '<span class="count">3<span class="visually-hidden"> nya</span></span>' in browser.get("/start").text
    lead = new_browser()
    lead.login(visit.lead)
    assert 'class="count"' not in lead.get("/start").text


def test_the_list_filters_to_conversations_with_new_messages(browser, make_visit, make_user, write, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    write(visit.lead, visit=visit, text="Läst.")
    write(visit.lead, finding=visit.findings[0], text="Oläst.")
    services.mark_read(actor=member, visit_id=visit.id)
    db.session.commit()
    browser.login(member)

    page = browser.get("/messages?unread=1").text

    assert f"/findings/{visit.findings[0].id}/messages" in page
    assert f"/visits/{visit.id}/messages" not in page.split("<h1>")[1].split("</ul>")[0]
