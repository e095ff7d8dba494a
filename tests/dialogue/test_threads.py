"""Conversations in the browser: who may read and write where (DESIGN.md 4.2, 4.6), the order of messages and
of conversations, attachments under the evidence rules, what was typed kept on errors, and CSRF."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from app.dialogue.models import Attachment, Message, Thread
from tests.fixtures_dialogue import jpeg_with_gps


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def positions(page: str, *texts: str) -> list[int]:
    return [page.index(text) for text in texts]


# ---- writing and reading ----------------------------------------------------------------------------


def test_lead_writes_to_the_unit_and_the_unit_reads_it(browser, new_browser, make_visit, make_user, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit], name="Ulla Unitmember")
    browser.login(visit.lead)

    response = browser.post(f"/visits/{visit.id}/messages", {"text": "Hör av er om utkastet är oklart."})

    assert response.status_code == 302
    message = db.session.scalar(select(Message))
    assert response.headers["Location"].endswith(f"/visits/{visit.id}/messages#message-{message.id}")
    assert (message.author_side.value, message.is_internal) == ("supervisor", False)
    unit = new_browser()
    unit.login(member)
    page = unit.get(f"/visits/{visit.id}/messages").text
    assert "Hör av er om utkastet är oklart." in page
    assert "Lena Lead" in page
    assert "Granskningsteamet" in page  # the side the author wrote for


def test_messages_in_a_thread_run_oldest_first(browser, make_visit, make_user, write):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    write(visit.lead, visit=visit, text="Första meddelandet.")
    write(member, visit=visit, text="Andra meddelandet.")
    write(visit.lead, visit=visit, text="Tredje meddelandet.")
    browser.login(member)

    page = browser.get(f"/visits/{visit.id}/messages").text

    first, second, third = positions(page, "Första meddelandet.", "Andra meddelandet.", "Tredje meddelandet.")
    assert first < second < third


def test_unit_member_may_ask_about_a_planned_visit_before_kommunicering(browser, make_visit, make_user, db):
    visit = make_visit("planned")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)
    assert "frågor om det planerade besöket" in browser.get(f"/visits/{visit.id}").text

    response = browser.post(f"/visits/{visit.id}/messages", {"text": "Kan ni komma på förmiddagen i stället?"})

    assert response.status_code == 302
    message = db.session.scalar(select(Message))
    assert (message.author_side.value, message.is_internal) == ("unit", False)


def test_a_findings_conversation_is_unknown_to_the_unit_before_kommunicering(browser, make_visit, make_user, db):
    visit = make_visit("draft")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)
    finding = visit.findings[0]

    assert browser.get(f"/findings/{finding.id}/messages").status_code == 404
    assert browser.post(f"/findings/{finding.id}/messages", {"text": "Hej"}).status_code == 404
    assert count(db, Message) == 0


def test_before_kommunicering_a_finding_takes_only_internal_notes(browser, make_visit, db):
    visit = make_visit("draft")
    browser.login(visit.lead)
    url = f"/findings/{visit.findings[0].id}/messages"
    assert 'name="internal" value="y"' in browser.get(url).text  # the form says so and sends a note

    refused = browser.post(url, {"text": "Till enheten om iakttagelsen."})
    accepted = browser.post(url, {"text": "Notering för teamet.", "internal": "y"})

    assert refused.status_code == 422
    assert "Till enheten om iakttagelsen." in refused.text  # what was typed is kept
    assert "först när rapporten skickas för synpunkter" in refused.text
    assert accepted.status_code == 302
    assert [m.is_internal for m in db.session.scalars(select(Message))] == [True]


def test_a_reviewer_outside_the_team_reads_along_but_may_not_write(browser, make_visit, make_user, write, db):
    visit = make_visit("sent_for_comment")
    write(visit.lead, visit=visit, text="Från teamet.")
    outsider = make_user("reviewer", name="Otto Outsider")
    browser.login(outsider)

    page = browser.get(f"/visits/{visit.id}/messages")
    response = browser.post(f"/visits/{visit.id}/messages", {"text": "Jag vill också säga något."})

    assert page.status_code == 200 and "Från teamet." in page.text
    assert 'name="text"' not in page.text
    assert response.status_code == 403
    assert count(db, Message) == 1


def test_a_unit_member_cannot_write_an_internal_note(browser, make_visit, make_user, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)
    assert 'name="internal"' not in browser.get(f"/visits/{visit.id}/messages").text

    response = browser.post(f"/visits/{visit.id}/messages", {"text": "Smygnotering", "internal": "y"})

    assert response.status_code == 403
    assert count(db, Message) == 0


def test_a_closed_case_keeps_its_conversation_readable_but_takes_no_new_messages(browser, make_visit, write, db):
    visit = make_visit("final")
    write(visit.lead, visit=visit, text="Skrivet innan ärendet stängdes.")
    from app.core import access
    from app.visits import services as visit_services

    visit_services.transition(visit.id, actor=access.OPERATOR, to="closed")
    db.session.commit()
    browser.login(visit.lead)

    page = browser.get(f"/visits/{visit.id}/messages").text
    response = browser.post(f"/visits/{visit.id}/messages", {"text": "Ett till?"})

    assert "Skrivet innan ärendet stängdes." in page
    assert "Ärendet är avslutat" in page
    assert response.status_code == 422
    assert count(db, Message) == 1


def test_an_empty_message_is_refused_with_a_clear_message(browser, make_visit, db):
    visit = make_visit("sent_for_comment")
    browser.login(visit.lead)

    response = browser.post(f"/visits/{visit.id}/messages", {"text": "   "})

    assert response.status_code == 422
    assert "Skriv ett meddelande eller bifoga en fil." in response.text
    assert count(db, Message) == 0 and count(db, Thread) == 0


def test_posting_without_a_csrf_token_is_refused_and_saves_nothing(client, browser, make_visit, db):
    visit = make_visit("sent_for_comment")
    browser.login(visit.lead)

    response = client.post(f"/visits/{visit.id}/messages", data={"text": "Utan token."})

    assert response.status_code == 400
    assert count(db, Message) == 0


# ---- attachments ------------------------------------------------------------------------------------


def test_a_photo_is_attached_without_its_camera_and_position_data(app, browser, make_visit, db):
    visit = make_visit("sent_for_comment")
    browser.login(visit.lead)

    response = browser.post(
        f"/visits/{visit.id}/messages",
        {"text": "Se bild.", "files": [(io.BytesIO(jpeg_with_gps()), "IMG_0042.jpg")]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    item = db.session.scalar(select(Attachment))
    with Image.open(Path(app.config["UPLOAD_DIR"]) / item.storage_name) as stored:
        assert not stored.getexif() and "exif" not in stored.info
    assert (item.kind.value, item.content_type, item.original_name) == ("photo", "image/jpeg", "IMG_0042.jpg")
    page = browser.get(f"/visits/{visit.id}/messages").text
    assert f"/attachments/{item.id}/thumb" in page
    served = browser.get(f"/attachments/{item.id}")
    served.close()
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Content-Security-Policy"].endswith("sandbox")


def test_a_file_that_is_neither_photo_nor_pdf_is_refused_and_nothing_is_saved(app, browser, make_visit, db):
    visit = make_visit("sent_for_comment")
    browser.login(visit.lead)
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"

    response = browser.post(
        f"/visits/{visit.id}/messages",
        {
            "text": "Två filer.",
            "files": [(io.BytesIO(jpeg_with_gps()), "ok.jpg"), (io.BytesIO(html), "rapport.pdf")],
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "rapport.pdf är varken ett foto eller en PDF" in response.text
    assert "Två filer." in response.text
    assert count(db, Message) == 0 and count(db, Attachment) == 0
    folder = Path(app.config["UPLOAD_DIR"])
    assert not folder.exists() or not any(folder.iterdir())


def test_a_message_may_be_only_a_photo(browser, make_visit, make_user, db):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)

    response = browser.post(
        f"/visits/{visit.id}/messages",
        {"text": "", "files": [(io.BytesIO(jpeg_with_gps()), "larm.jpg")]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert count(db, Attachment) == 1


# ---- internal notes as the supervising side sees them -----------------------------------------------


def test_an_internal_note_is_visibly_marked_for_the_team(browser, conversation):
    browser.login(conversation.lead)

    page = browser.get(f"/visits/{conversation.visit.id}/messages").text

    note = re.search(rf'<li id="message-{conversation.note.id}" class="([^"]*)">(.*?)</li>', page, re.S)
    public = re.search(rf'<li id="message-{conversation.public.id}" class="([^"]*)">(.*?)</li>', page, re.S)
    assert "internal" in note.group(1).split()
    assert "Intern anteckning – visas inte för enheten" in note.group(2)
    assert "internal" not in public.group(1).split()
    assert "Intern anteckning – visas inte för enheten" not in public.group(2)


def test_a_reviewer_who_belongs_to_the_unit_never_sees_its_internal_notes(browser, conversation, make_user):
    peer = make_user("reviewer", "unit_member", units=[conversation.visit.unit], name="Petra Peer")
    browser.login(peer)

    page = browser.get(f"/visits/{conversation.visit.id}/messages").text

    assert "Välkomna att lämna synpunkter" in page
    assert "HEMLIG-INTERN" not in page
    assert browser.get(f"/attachments/{conversation.note.attachments[0].id}").status_code == 404


# ---- lists -----------------------------------------------------------------------------------------


def test_conversations_are_listed_newest_activity_first(browser, make_visit, make_user, write, db):
    older = make_visit("sent_for_comment")
    newer = make_visit("sent_for_comment", lead=older.lead)
    write(older.lead, visit=older, text="Först.")
    write(older.lead, visit=newer, text="Sedan.")
    write(older.lead, finding=older.findings[0], text="Senast, om en iakttagelse.")
    browser.login(older.lead)

    page = browser.get("/messages").text

    finding_link = f"/findings/{older.findings[0].id}/messages"
    assert (
        page.index(finding_link)
        < page.index(f"/visits/{newer.id}/messages")
        < page.index(f"/visits/{older.id}/messages")
    )


def test_an_internal_note_does_not_move_a_conversation_up_for_the_unit(browser, make_visit, make_user, write):
    first = make_visit("sent_for_comment")
    second = make_visit("sent_for_comment", unit=first.unit, lead=first.lead)
    member = make_user("unit_member", units=[first.unit])
    write(first.lead, visit=first, text="Till enheten, först.")
    write(first.lead, visit=second, text="Till enheten, sedan.")
    write(first.lead, visit=first, text="Intern, senast.", internal=True)
    browser.login(member)

    page = browser.get("/messages").text

    assert page.index(f"/visits/{second.id}/messages") < page.index(f"/visits/{first.id}/messages")
    assert "intern" not in page.lower()


def test_the_visit_page_links_each_conversation_with_its_counts(browser, conversation, write):
    write(conversation.member, finding=conversation.finding, text="Vi håller inte med helt.")
    browser.login(conversation.lead)

    page = browser.get(f"/visits/{conversation.visit.id}").text

    assert f"/visits/{conversation.visit.id}/messages" in page
    assert f"/findings/{conversation.finding.id}/messages" in page
    at_finding = re.search(rf'href="/findings/{conversation.finding.id}/messages">[^<]*</a>([^\n]*)', page)
    assert "2 meddelanden, <strong>1 nytt</strong>" in at_finding.group(1)


def test_list_and_thread_pages_run_as_many_queries_for_many_messages_as_for_one(
    browser, make_visit, make_user, write, count_queries
):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    browser.login(member)
    urls = (f"/visits/{visit.id}/messages", "/messages", "/start", f"/visits/{visit.id}")

    def measured() -> dict[str, int]:
        # A page view renews the session's last_seen_at once 15 s have passed (one UPDATE that has nothing to do with
        # the messages): on a loaded machine the setup takes longer, so one view first takes that write upon itself.
        # (Freezing the clock instead gave every event the same time, and the portal's latest events then depended
        # on the order of random ids.)
        browser.get("/start")
        return {url: count_queries.get(browser, url) for url in urls}

    # One of each kind of conversation first, so that only the numbers grow afterwards.
    write(visit.lead, visit=visit, text="Ett.")
    write(visit.lead, finding=visit.findings[0], text="Om iakttagelsen.")
    few = measured()
    for i in range(10):
        other = make_visit("sent_for_comment", unit=visit.unit, lead=visit.lead)
        write(visit.lead, visit=other, text=f"Besök {i}.")
        write(member, visit=visit, text=f"Svar {i}.")
        write(visit.lead, finding=visit.findings[0], text=f"Om iakttagelsen {i}.", internal=bool(i % 2))
    many = measured()
    assert many == few


def test_removing_a_finding_while_recording_takes_its_notes_and_their_files_along(app, browser, make_visit, write, db):
    from app.core.models import AuditEvent
    from app.dialogue import services

    visit = make_visit("draft", findings=(("strength", None, "Ett."), ("development", None, "Två.")))
    doomed = visit.findings[0]
    note = write(
        visit.lead, finding=doomed, text="Om den.", internal=True, uploads=(services.Upload("a.jpg", jpeg_with_gps()),)
    )
    files = [Path(app.config["UPLOAD_DIR"]) / note.attachments[0].storage_name]
    browser.login(visit.lead)

    assert browser.post(f"/findings/{doomed.id}/delete", {"confirmed": "yes"}).status_code == 302

    assert count(db, Message) == 0 and count(db, Thread) == 0 and count(db, Attachment) == 0
    assert not any(path.exists() for path in files)
    removal = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_id == str(note.id), AuditEvent.action == "delete")
    )
    assert removal is not None and removal.object_type == "internal_note"
    assert browser.get("/messages").status_code == 200
