"""E-mails about new messages (DESIGN.md 4.2): batched, at most one per person per window, listing titles and
links only; each person's choice (batched, daily digest, off) obeyed; sent by Celery after the commit, at most
once and never lost; delivered to a real SMTP server in the recipient's language. Time is frozen throughout."""

from __future__ import annotations

import itertools
import smtplib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.core import mail
from app.core.models import OutboxEmail, OutboxStatus
from app.dialogue import services
from app.dialogue.models import BatchStatus, NotificationBatch, NotificationMode, PendingNotification

# Tuesday 10 March 2026, 09:00 UTC = 10:00 in Stockholm.
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def smtp(app, smtp_server):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_STARTTLS=False, SMTP_USER=None)
    return smtp_server


@pytest.fixture
def setting(clock, make_visit, make_user):
    """A visit out for comment and one member of its unit, who gets the team's messages."""
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit], name="Ulla Unitmember", email="ulla@example.se")
    return visit, member


def at(clock, minutes: float) -> None:
    clock.move_to(T0 + timedelta(minutes=minutes))


def flush(enqueued) -> None:
    """What beat and a worker do: the periodic flush, then every task it enqueued after its commits."""
    enqueued.celery.tasks["dialogue.flush_notifications"].apply().get()
    enqueued.run_all()


def mails_to(smtp, address: str) -> list:
    return [m for m in smtp.messages if m["To"] == address]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# ---- batching --------------------------------------------------------------------------------------


def test_three_messages_within_the_window_give_one_email(clock, setting, write, enqueued, smtp):
    visit, member = setting
    for minute, text in ((0, "Första hemliga innehållet."), (4, "Andra."), (9, "Tredje.")):
        at(clock, minute)
        write(visit.lead, visit=visit, text=text)

    at(clock, 14)
    flush(enqueued)
    assert mails_to(smtp, member.email) == []

    at(clock, 15)
    flush(enqueued)
    [email] = mails_to(smtp, member.email)
    body = text_of(email)
    assert email["Subject"] == "Nya meddelanden i Lärande tillsyn"
    assert f"{visit.case_number} {visit.unit.name}: besöket: 3 nya meddelanden" in body
    assert f"http://localhost/visits/{visit.id}/messages" in body
    assert "hemliga" not in body and "Andra." not in body  # titles and links, never the content


def test_a_second_email_waits_a_whole_window_after_the_first(clock, setting, write, enqueued, smtp):
    visit, member = setting
    write(visit.lead, visit=visit, text="Ett.")
    at(clock, 15)
    flush(enqueued)
    at(clock, 16)
    write(visit.lead, visit=visit, text="Två.")

    at(clock, 30)
    flush(enqueued)
    assert len(mails_to(smtp, member.email)) == 1
    at(clock, 31)
    flush(enqueued)
    assert len(mails_to(smtp, member.email)) == 2


def test_no_two_emails_to_one_person_come_closer_than_the_window(clock, setting, write, enqueued, db, smtp):
    visit, member = setting
    sent_at = []
    for minute in range(0, 61):
        at(clock, minute)
        if minute % 7 == 0:
            write(visit.lead, visit=visit, text=f"Minut {minute}.")
        before = len(mails_to(smtp, member.email))
        flush(enqueued)
        if len(mails_to(smtp, member.email)) > before:
            sent_at.append(minute)
    assert len(sent_at) >= 3
    assert all(later - earlier >= 15 for earlier, later in itertools.pairwise(sent_at))


def test_the_window_is_configurable(app, clock, setting, write, enqueued, smtp):
    app.config["DIALOGUE_NOTIFICATION_WINDOW_MINUTES"] = 5
    visit, member = setting
    write(visit.lead, visit=visit)
    at(clock, 5)
    flush(enqueued)
    assert len(mails_to(smtp, member.email)) == 1


def test_each_unit_member_gets_their_own_email_and_who_answered_none(clock, setting, make_user, write, enqueued, smtp):
    visit, member = setting
    colleague = make_user("unit_member", units=[visit.unit], email="kalle@example.se")
    write(member, visit=visit, text="Fråga från enheten.")
    at(clock, 1)
    write(visit.lead, visit=visit, text="Svar från teamet.")
    at(clock, 16)
    flush(enqueued)
    assert len(mails_to(smtp, colleague.email)) == 1
    assert len(mails_to(smtp, member.email)) == 1  # the team's answer, not their own message
    assert "1 nytt meddelande" in text_of(mails_to(smtp, member.email)[0])
    assert mails_to(smtp, visit.lead.email) == []  # they answered in the thread: what one writes in, one has read


def test_an_internal_note_tells_the_rest_of_the_team_only(clock, make_visit, make_user, write, enqueued, smtp):
    colleague = make_user("reviewer", name="Rut Reviewer", email="rut@example.se")
    visit = make_visit("sent_for_comment", members=(colleague,))
    member = make_user("unit_member", units=[visit.unit], email="ulla@example.se")
    write(visit.lead, visit=visit, text="Notering.", internal=True)
    at(clock, 15)
    flush(enqueued)
    assert [m["To"] for m in smtp.messages] == [colleague.email]
    assert "1 ny intern anteckning" in text_of(smtp.messages[0])
    assert mails_to(smtp, member.email) == []


def test_what_was_read_in_the_app_is_not_emailed(clock, setting, write, enqueued, smtp):
    visit, member = setting
    write(visit.lead, visit=visit)
    at(clock, 3)
    services.mark_read(actor=member, visit_id=visit.id)
    from app.extensions import db

    db.session.commit()
    at(clock, 15)
    flush(enqueued)
    assert mails_to(smtp, member.email) == []


def test_the_email_is_in_the_recipients_language(clock, make_visit, make_user, write, enqueued, smtp):
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit], language="en", email="eve@example.se", name="Eve")
    write(visit.lead, visit=visit)
    at(clock, 15)
    flush(enqueued)
    [email] = mails_to(smtp, member.email)
    assert email["Subject"] == "New messages in Lärande tillsyn"
    assert "Hello Eve," in text_of(email)
    assert f"{visit.case_number} {visit.unit.name}: the visit: 1 new message" in text_of(email)
    html = email.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="en">' in html and f'href="http://localhost/visits/{visit.id}/messages"' in html


# ---- each person's choice ---------------------------------------------------------------------------


def choose(db, person, mode: str) -> None:
    services.set_notification_mode(actor=person, mode=mode)
    db.session.commit()


def test_a_daily_digest_waits_for_the_digest_hour(clock, setting, write, enqueued, db, smtp):
    visit, member = setting
    choose(db, member, "daily")
    write(visit.lead, visit=visit, text="På förmiddagen.")  # 10:00 in Stockholm
    at(clock, 60)
    write(visit.lead, finding=visit.findings[0], text="Om en iakttagelse.")

    at(clock, 120)
    flush(enqueued)
    clock.move_to(datetime(2026, 3, 11, 5, 59, tzinfo=UTC))  # 06:59 in Stockholm
    flush(enqueued)
    assert mails_to(smtp, member.email) == []

    clock.move_to(datetime(2026, 3, 11, 6, 0, tzinfo=UTC))  # 07:00 in Stockholm
    flush(enqueued)
    [digest] = mails_to(smtp, member.email)
    assert digest["Subject"] == "Dagens sammanfattning av nya meddelanden i Lärande tillsyn"
    assert "besöket: 1 nytt meddelande" in text_of(digest)
    assert "en iakttagelse under" in text_of(digest)

    clock.move_to(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    write(visit.lead, visit=visit, text="Samma dag.")
    clock.move_to(datetime(2026, 3, 11, 12, 0, tzinfo=UTC))
    flush(enqueued)
    assert len(mails_to(smtp, member.email)) == 1  # the next digest is tomorrow's


def test_off_means_no_email_about_messages(clock, setting, write, enqueued, db, smtp):
    visit, member = setting
    choose(db, member, "off")
    write(visit.lead, visit=visit)
    at(clock, 20)
    flush(enqueued)
    assert mails_to(smtp, member.email) == []
    assert db.session.scalar(select(func.count()).select_from(PendingNotification)) == 0


def test_switching_off_drops_what_was_waiting(clock, setting, write, enqueued, db, smtp):
    visit, member = setting
    write(visit.lead, visit=visit)
    at(clock, 5)
    choose(db, member, "off")
    at(clock, 20)
    flush(enqueued)
    assert mails_to(smtp, member.email) == []


def test_a_person_chooses_on_their_profile_page_where_reminders_are_said_to_stay(browser, make_user, db):
    member = make_user("unit_member")
    browser.login(member)
    page = browser.get("/profile").text
    assert "E-post om nya meddelanden" in page
    assert "Påminnelser om överenskomna åtgärder" in page and "kan inte stängas av" in page

    response = browser.post("/profile/notifications", {"mode": "daily"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/profile#notifications")
    assert services.notification_mode(member.id) == NotificationMode.daily
    assert (
        'value="daily" checked' in browser.get("/profile").text or 'checked id="mode-1"' in browser.get("/profile").text
    )


def test_an_unknown_choice_is_refused_with_a_message(browser, make_user):
    member = make_user("unit_member")
    browser.login(member)
    browser.post("/profile/notifications", {"mode": "hourly"})
    page = browser.get("/profile").text
    assert services.notification_mode(member.id) == NotificationMode.immediate
    assert 'class="flash flash-error"' in page


# ---- robust sending ---------------------------------------------------------------------------------


def test_the_send_is_enqueued_only_after_the_batch_is_committed(clock, setting, write, enqueued, db):
    visit, _member = setting
    write(visit.lead, visit=visit)
    at(clock, 15)
    [due] = services.due_recipients()
    batch = services.make_batch(due)
    assert batch is not None and enqueued.calls == []
    db.session.commit()
    assert (enqueued.names(), enqueued.ids("dialogue.send_batch")) == (["dialogue.send_batch"], [str(batch.id)])


def test_two_workers_make_one_batch_for_one_person(clock, setting, write, enqueued, db):
    visit, _member = setting
    write(visit.lead, visit=visit)
    at(clock, 15)
    [due] = services.due_recipients()
    first = services.make_batch(due)
    db.session.commit()
    second = services.make_batch(due)  # a second worker that saw the same person due
    db.session.commit()
    assert first is not None and second is None
    assert db.session.scalar(select(func.count()).select_from(NotificationBatch)) == 1


def test_a_batch_sent_twice_is_delivered_once_with_a_stable_message_id(clock, setting, write, enqueued, smtp):
    visit, _member = setting
    write(visit.lead, visit=visit)
    at(clock, 15)
    enqueued.celery.tasks["dialogue.flush_notifications"].apply().get()
    [call] = enqueued.calls
    enqueued.clear()
    enqueued.celery.tasks[call.name].apply(args=call.args).get()
    assert enqueued.celery.tasks[call.name].apply(args=call.args).get() == "not pending"
    enqueued.run_all()
    [email] = smtp.messages
    assert email["Message-ID"] == mail.stable_message_id("dialogue", f"batch:{call.args[0]}")


def test_a_lost_send_is_sent_again_by_a_later_flush(clock, setting, write, enqueued, smtp):
    visit, member = setting
    write(visit.lead, visit=visit)
    at(clock, 15)
    enqueued.celery.tasks["dialogue.flush_notifications"].apply().get()
    enqueued.clear()  # the broker lost it
    at(clock, 18)
    flush(enqueued)
    assert smtp.messages == []
    at(clock, 21)
    flush(enqueued)
    assert len(mails_to(smtp, member.email)) == 1


def test_a_worker_killed_mid_send_leaves_the_batch_to_a_flush_after_its_claim(
    clock, setting, write, enqueued, db, smtp
):
    visit, member = setting
    write(visit.lead, visit=visit)
    at(clock, 15)
    enqueued.celery.tasks["dialogue.flush_notifications"].apply().get()
    [batch_id] = enqueued.ids("dialogue.send_batch")
    enqueued.clear()
    assert services.claim_batch(uuid.UUID(batch_id))  # a worker took it, then died before sending
    db.session.commit()

    at(clock, 24)
    flush(enqueued)
    assert smtp.messages == []  # still held by the dead worker's claim
    at(clock, 26)
    flush(enqueued)
    assert len(mails_to(smtp, member.email)) == 1


def test_a_batch_is_handed_to_the_email_outbox_and_a_permanent_refusal_is_not_retried(
    clock, setting, write, enqueued, db, monkeypatch
):
    visit, member = setting
    write(visit.lead, visit=visit)
    attempts = []

    def refuse(email):
        attempts.append(email)
        raise smtplib.SMTPRecipientsRefused({email.to: (550, b"no such mailbox")})

    monkeypatch.setattr(mail, "deliver", refuse)
    at(clock, 15)
    flush(enqueued)

    at(clock, 60)
    flush(enqueued)
    db.session.expire_all()
    assert db.session.scalar(select(NotificationBatch.status)) == BatchStatus.sent  # handed over
    [row] = db.session.scalars(select(OutboxEmail)).all()
    assert (row.recipient, row.status, row.attempts) == (member.email, OutboxStatus.failed, 1)
    assert len(attempts) == 1
    assert enqueued.calls == []
