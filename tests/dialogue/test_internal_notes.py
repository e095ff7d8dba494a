"""Internal notes never reach a unit member (DESIGN.md 4.2, 4.6): not in a page, the API, an e-mail, the report
PDF, a timeline, or any count. The ``conversation`` fixture holds a message to the unit and two internal notes
(one with a photo) whose text carries SECRET_NOTE."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.core.models import utcnow
from app.dialogue import services
from app.dialogue.models import PendingNotification
from tests.fixtures_dialogue import SECRET_NOTE

INTERNAL_WORDS = ("HEMLIG-INTERN", "Intern anteckning", "intern anteckning", "interna anteckningar", "internal")


def assert_no_trace(body: str, conversation, words=INTERNAL_WORDS) -> None:
    for word in words:
        assert word not in body, word
    for note in (conversation.note, conversation.finding_note):
        assert str(note.id) not in body
    assert str(conversation.note.attachments[0].id) not in body


@pytest.mark.parametrize(
    "url",
    [
        "/visits/{visit}/messages",
        "/findings/{finding}/messages",
        "/visits/{visit}",
        "/messages",
        "/messages?unread=1",
        "/start",
        "/units/{unit}",
    ],
)
def test_no_page_shows_an_internal_note_to_the_unit(browser, conversation, url):
    browser.login(conversation.member)
    page = browser.get(
        url.format(visit=conversation.visit.id, finding=conversation.finding.id, unit=conversation.visit.unit_id)
    )
    assert page.status_code == 200
    assert_no_trace(page.text, conversation)


def test_the_supervising_side_sees_the_same_pages_with_the_notes(browser, conversation):
    """The other half of the proof: the notes are there, so their absence above is the filter's doing."""
    browser.login(conversation.lead)
    page = browser.get(f"/visits/{conversation.visit.id}/messages").text
    assert SECRET_NOTE in page
    assert f"/attachments/{conversation.note.attachments[0].id}" in page


def test_the_files_of_an_internal_note_are_unknown_to_the_unit(browser, client, api_token, conversation):
    browser.login(conversation.member)
    attachment = conversation.note.attachments[0].id

    assert browser.get(f"/attachments/{attachment}").status_code == 404
    assert browser.get(f"/attachments/{attachment}/thumb").status_code == 404
    response = client.get(f"/api/v1/attachments/{attachment}", headers=api_token(conversation.member))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url", ["/api/v1/visits/{visit}/messages", "/api/v1/findings/{finding}/messages", "/api/v1/threads"]
)
def test_the_api_never_answers_an_internal_note_to_the_unit(client, api_token, conversation, url):
    response = client.get(
        url.format(visit=conversation.visit.id, finding=conversation.finding.id), headers=api_token(conversation.member)
    )
    assert response.status_code == 200
    # Every message carries "internal": false for the unit; nothing else of a note may appear.
    assert_no_trace(response.get_data(as_text=True), conversation, words=INTERNAL_WORDS[:-1])
    assert all(item.get("internal") is not True for item in response.json["items"])


def test_the_api_gives_the_team_the_notes_marked_internal(client, api_token, conversation):
    response = client.get(f"/api/v1/visits/{conversation.visit.id}/messages", headers=api_token(conversation.lead))
    assert [m["internal"] for m in response.json["items"]] == [False, True]


def test_an_internal_note_is_counted_nowhere_for_the_unit(browser, client, api_token, conversation):
    """One message to the unit is new to the member; the two notes count neither as messages nor as new."""
    browser.login(conversation.member)
    start = browser.get("/start").text
    visit_page = browser.get(f"/visits/{conversation.visit.id}").text
    threads = client.get("/api/v1/threads", headers=api_token(conversation.member)).json

    assert services.unread_total(conversation.member) == 1
    assert re.search(r'<span class="count">1<', start)
    assert "1 nytt meddelande" in start
    assert "1 meddelande, <strong>1 nytt</strong>" in visit_page
    assert [(t["message_count"], t["unread_count"]) for t in threads["items"]] == [(1, 1)]
    assert services.unread_total(conversation.lead) == 0  # the lead wrote all three


def test_no_timeline_tells_the_unit_that_a_note_was_written(browser, conversation):
    browser.login(conversation.member)
    for url in (f"/visits/{conversation.visit.id}", f"/units/{conversation.visit.unit_id}", "/start"):
        page = browser.get(url).text
        assert "Lena Lead skrev ett meddelande för granskningsteamets räkning." in page, url
        assert "skrev en intern anteckning" not in page, url


def test_the_teams_timeline_shows_that_a_note_was_written(browser, conversation):
    browser.login(conversation.lead)
    page = browser.get(f"/visits/{conversation.visit.id}").text
    assert page.count("Lena Lead skrev en intern anteckning (visas inte för enheten).") == 2
    assert SECRET_NOTE not in page.split('id="timeline-heading"')[1]  # the trail records that, not what


def test_the_audit_trail_keeps_no_text_of_a_message(db, conversation):
    from app.core.models import AuditEvent

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_id == str(conversation.note.id)))
    assert event.object_type == "internal_note"
    assert event.changes["text"] == [None, "***"]


def test_the_report_pdf_the_unit_reads_holds_no_internal_note(app, browser, conversation, db):
    pypdf = pytest.importorskip("pypdf")
    from app.core import access
    from app.visits import services as visit_services

    visit_services.transition(
        conversation.visit.id,
        actor=access.OPERATOR,
        to="final",
        waiver_reason="Enheten har avstått från att yttra sig.",
    )
    db.session.commit()
    browser.login(conversation.member)

    html = browser.get(f"/visits/{conversation.visit.id}/report").text
    response = browser.get(f"/visits/{conversation.visit.id}/report.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    assert conversation.visit.case_number in text  # the text is readable, so its absence below means something
    for body in (html, text):
        assert "HEMLIG-INTERN" not in body


def test_no_email_to_the_unit_mentions_an_internal_note(app, conversation, enqueued, smtp_server):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_STARTTLS=False)
    with time_machine.travel(utcnow() + timedelta(minutes=16), tick=False):
        enqueued.celery.tasks["dialogue.flush_notifications"].apply().get()
        enqueued.run_all()

    to_member = [m for m in smtp_server.messages if m["To"] == conversation.member.email]
    assert len(to_member) == 1
    body = to_member[0].get_body(preferencelist=("plain",)).get_content()
    html = to_member[0].get_body(preferencelist=("html",)).get_content()
    for content in (body, html, to_member[0]["Subject"]):
        assert "intern" not in content.lower()
        assert "HEMLIG" not in content
    assert "1 nytt meddelande" in body


def test_internal_notes_are_queued_for_no_unit_member(db, conversation):
    recipients = set(
        db.session.scalars(
            select(PendingNotification.recipient_id).where(
                PendingNotification.message_id.in_([conversation.note.id, conversation.finding_note.id])
            )
        )
    )
    assert not recipients & {conversation.member.id, conversation.colleague.id}


def test_an_email_leaves_out_a_note_even_if_one_were_queued_for_the_unit(app, db, conversation):
    """Defence in depth: what an e-mail lists is filtered by what its recipient may read when it is sent."""
    from app.dialogue.models import NotificationBatch

    batch = NotificationBatch(id=uuid.uuid4(), recipient_id=conversation.member.id, created_at=utcnow())
    db.session.add(batch)
    # The message to the unit is queued for the member already; add the note as if by mistake.
    db.session.add(
        PendingNotification(id=uuid.uuid4(), recipient_id=conversation.member.id, message_id=conversation.note.id)
    )
    db.session.flush()
    db.session.execute(
        PendingNotification.__table__.update()
        .where(PendingNotification.recipient_id == conversation.member.id)
        .values(batch_id=batch.id)
    )
    db.session.commit()

    outgoing = services.batch_email(batch.id)

    assert outgoing is not None
    assert "1 nytt meddelande" in outgoing.text
    assert "intern" not in outgoing.text.lower() and "HEMLIG" not in outgoing.text
