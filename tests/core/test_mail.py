"""Outgoing e-mail: rendering in the recipient's language, the SMTP and .eml backends, the outbox pages, what a
set-password e-mail may carry, the durable outbox (written with its cause, sent once by ``mail.send`` with a stable
Message-ID, swept when its task is lost), how temporary and permanent SMTP refusals are treated, and links built
by ``external_url``."""

from __future__ import annotations

import email
import email.policy
import html
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, update

from app.auth import services
from app.auth.models import SetPasswordToken, hash_secret
from app.core import mail
from app.core.models import OutboxEmail, OutboxStatus, utcnow
from app.core.urls import external_url

ENGLISH_SUBJECT = "Choose your password for Lärande tillsyn"
SWEDISH_SUBJECT = "Välj ditt lösenord för Lärande tillsyn"
LINK = "http://localhost/set-password/a-link-only-for-this-test"


def set_password_email(*, language: str | None = "en", to: str = "greta@example.se") -> mail.OutgoingEmail:
    outgoing = mail.render_email(
        "auth/set_password",
        to=to,
        language=language,
        person=SimpleNamespace(name="Greta Granskare"),
        link=LINK,
        hours=72,
    )
    outgoing.message_id = mail.stable_message_id("test", to)
    return outgoing


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def content(message: email.message.EmailMessage, subtype: str) -> str:
    """The decoded text of one alternative, with the line endings the wire may have added taken away."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return part.get_content().replace("\r\n", "\n").rstrip("\n")


def use_smtp(app: Any, port: int) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_USER=None, SMTP_PASSWORD=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- rendering ------------------------------------------------------------------------------------


def test_email_is_rendered_in_english_for_an_english_recipient(app):
    outgoing = set_password_email(language="en")
    assert outgoing.subject == ENGLISH_SUBJECT
    assert "Hello Greta Granskare," in outgoing.text
    assert "You now have an account in Lärande tillsyn" in outgoing.text
    assert '<html lang="en">' in outgoing.html
    assert f"<title>{ENGLISH_SUBJECT}</title>" in outgoing.html
    assert "Hello Greta Granskare," in outgoing.html


@pytest.mark.parametrize("language", ["sv", None], ids=["swedish", "no-language-chosen"])
def test_email_is_rendered_in_swedish_for_a_swedish_recipient_or_by_default(app, language):
    outgoing = set_password_email(language=language)
    assert outgoing.subject == SWEDISH_SUBJECT
    assert '<html lang="sv">' in outgoing.html
    assert f"<title>{SWEDISH_SUBJECT}</title>" in outgoing.html
    for english in ("Hello Greta Granskare", "You now have an account", "If you did not expect this e-mail"):
        assert english not in outgoing.text
        assert english not in outgoing.html
    assert "This e-mail was sent by Lärande tillsyn" not in outgoing.html
    assert LINK in outgoing.text


# ---- backends -------------------------------------------------------------------------------------


def test_smtp_backend_delivers_a_multipart_alternative_message(app, smtp_server):
    use_smtp(app, smtp_server.port)
    outgoing = set_password_email(to="greta@example.se")

    mail.deliver(outgoing)

    [received] = smtp_server.messages
    assert received.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in received.iter_parts()] == ["text/plain", "text/html"]
    assert received["From"] == app.config["MAIL_FROM"]
    assert received["To"] == "greta@example.se"
    assert received["Subject"] == ENGLISH_SUBJECT
    assert received["Message-ID"] == outgoing.message_id
    assert content(received, "plain") == outgoing.text.rstrip("\n")
    assert content(received, "html") == outgoing.html.replace("\r\n", "\n").rstrip("\n")


def test_outbox_backend_writes_one_parseable_eml_file_per_message(app):
    assert not app.config["SMTP_HOST"]
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    first, second = set_password_email(to="anna@example.se"), set_password_email(to="bertil@example.se")

    mail.deliver(first)
    mail.deliver(second)

    files = sorted(folder.iterdir())
    assert len(files) == 2
    assert all(f.suffix == ".eml" and not f.name.startswith(".") for f in files)  # no half-written leftovers
    written = {m["Message-ID"]: m for m in (parse(f.read_bytes()) for f in files)}
    assert set(written) == {first.message_id, second.message_id}
    for outgoing in (first, second):
        message = written[outgoing.message_id]
        assert message.get_content_type() == "multipart/alternative"
        assert message["To"] == outgoing.to
        assert message["From"] == app.config["MAIL_FROM"]
        assert message["Subject"] == outgoing.subject
        assert content(message, "plain") == outgoing.text.rstrip("\n")
        assert content(message, "html") == outgoing.html.replace("\r\n", "\n").rstrip("\n")


# ---- the outbox pages -----------------------------------------------------------------------------


def test_coordinator_reads_the_outbox_from_the_table_and_opens_a_message(app, db, browser, make_user):
    row = mail.queue(set_password_email(to="greta@example.se"), source="test")
    db.session.commit()
    browser.login(make_user("coordinator"))

    listing = browser.get("/admin/outbox")
    assert listing.status_code == 200
    assert ENGLISH_SUBJECT in listing.text
    assert "greta@example.se" in listing.text
    assert re.findall(r'href="/admin/outbox/([^"]+)"', listing.text) == [str(row.id)]

    message = browser.get(f"/admin/outbox/{row.id}")
    assert message.status_code == 200
    assert ENGLISH_SUBJECT in message.text
    assert "Hello Greta Granskare," in message.text
    assert LINK in message.text


NEXT_RE = re.compile(r'href="([^"]+)" rel="next"')


def test_the_outbox_pages_newest_first(app, db, browser, make_user):
    for n in range(3):
        with time_machine.travel(datetime(2026, 11, 2, 9, n, tzinfo=UTC), tick=False):
            mail.queue(set_password_email(to=f"person{n}@example.se"), source="test")
    db.session.commit()
    browser.login(make_user("coordinator"))

    first = browser.get("/admin/outbox?per_page=2").text
    second = browser.get(html.unescape(NEXT_RE.search(first).group(1))).text

    assert first.index("person2@") < first.index("person1@") and "person0@" not in first
    assert "person0@" in second and "person1@" not in second
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_an_unknown_outbox_email_is_not_found(app, browser, make_user):
    browser.login(make_user("coordinator"))

    assert browser.get(f"/admin/outbox/{uuid.uuid4()}").status_code == 404


def test_reviewer_may_not_read_the_outbox(app, db, browser, make_user):
    row = mail.queue(set_password_email(), source="test")
    db.session.commit()
    browser.login(make_user("reviewer"))

    assert browser.get("/admin/outbox").status_code == 403
    assert browser.get(f"/admin/outbox/{row.id}").status_code == 403


@pytest.mark.parametrize("name", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "x.eml"])
def test_outbox_refuses_names_that_are_not_outbox_files(app, browser, make_user, name):
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    # A readable e-mail really is there under the unsafe name: only the name check stands in the way.
    (folder / "x.eml").write_bytes(bytes(set_password_email().to_message(app.config["MAIL_FROM"])))
    browser.login(make_user("coordinator"))

    response = browser.get(f"/admin/outbox/{name}")

    assert response.status_code == 404
    assert ENGLISH_SUBJECT not in response.text
    assert "root:" not in response.text


# ---- what a set-password e-mail carries -----------------------------------------------------------


def test_set_password_email_carries_the_link_but_never_the_token_hash(app, db, make_user, enqueued):
    person = make_user("reviewer", language="en")

    link = services.issue_set_password_link(person.id)
    db.session.commit()

    [row] = db.session.scalars(select(OutboxEmail)).all()
    assert enqueued.ids("mail.send") == [str(row.id)]
    token_hash = db.session.scalar(select(SetPasswordToken.token_hash).where(SetPasswordToken.user_id == person.id))
    assert token_hash == hash_secret(link.rsplit("/", 1)[-1])  # the hash we look for is the stored one
    for text in (row.subject, row.text, row.html):
        assert token_hash not in text
    assert link in row.text
    assert link == f"http://localhost/set-password/{link.rsplit('/', 1)[-1]}"


# ---- the outbox: written with its cause, sent once --------------------------------------------------


def queue_one(db: Any, **kwargs: Any) -> OutboxEmail:
    row = mail.queue(set_password_email(**kwargs), source="test")
    db.session.commit()
    return row


def test_a_queued_email_is_a_row_and_its_send_task_is_enqueued_only_after_the_commit(app, db, enqueued):
    outgoing = set_password_email()
    outgoing.message_id = ""

    row = mail.queue(outgoing, source="test")
    db.session.flush()
    assert enqueued.calls == []  # nothing on the queue before the commit
    db.session.commit()

    assert enqueued.ids("mail.send") == [str(row.id)]
    stored = db.session.get(OutboxEmail, row.id)
    assert (stored.status, stored.recipient, stored.subject) == (
        OutboxStatus.queued,
        "greta@example.se",
        ENGLISH_SUBJECT,
    )
    assert stored.message_id == mail.stable_message_id("outbox", str(row.id))  # derived from the row's identity


def test_a_rolled_back_email_leaves_no_row_and_enqueues_nothing(app, db, enqueued):
    mail.queue(set_password_email(), source="test")
    db.session.flush()
    db.session.rollback()

    assert db.session.scalars(select(OutboxEmail)).all() == []
    assert enqueued.calls == []


def test_the_send_task_delivers_once_with_the_rows_message_id(app, db, enqueued, smtp_server):
    use_smtp(app, smtp_server.port)
    row = queue_one(db)
    send = enqueued.calls[0]

    assert enqueued.send_mail() == ["sent"]
    assert app.extensions["celery"].tasks["mail.send"].apply(args=send.args).result == "not claimed"

    [received] = smtp_server.messages
    assert received["Message-ID"] == row.message_id
    db.session.expire_all()
    stored = db.session.get(OutboxEmail, row.id)
    assert (stored.status, stored.attempts) == (OutboxStatus.sent, 1)
    assert stored.sent_at is not None


def test_the_embedded_default_writes_the_queued_email_to_the_outbox_folder(app, db, enqueued):
    row = queue_one(db)

    enqueued.send_mail()

    [eml] = Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")
    assert parse(eml.read_bytes())["Message-ID"] == row.message_id


def test_queueing_the_same_message_id_twice_writes_one_row(app, db, enqueued):
    first = queue_one(db)
    second = queue_one(db)

    assert second.id == first.id
    assert len(db.session.scalars(select(OutboxEmail)).all()) == 1
    assert enqueued.ids("mail.send") == [str(first.id)]


def test_queueing_a_failed_message_id_again_sends_it_again(app, db, enqueued):
    row = queue_one(db)
    mail.record_failed(row.id, error="550 no such user")
    db.session.commit()
    enqueued.clear()

    again = queue_one(db)

    assert again.id == row.id
    assert (again.status, again.attempts) == (OutboxStatus.queued, 0)
    assert enqueued.ids("mail.send") == [str(row.id)]


# ---- the sweep: what a lost task left behind -----------------------------------------------------------


def test_the_sweep_sends_again_an_email_whose_task_was_lost(app, db, enqueued):
    row = queue_one(db)
    enqueued.clear()  # the task is lost (Redis flushed)
    later = utcnow() + timedelta(seconds=app.config["MAIL_LEASE_SECONDS"] + 1)

    assert mail.sweep(now=later) == 1
    db.session.commit()

    assert enqueued.ids("mail.send") == [str(row.id)]
    assert enqueued.send_mail() == ["sent"]


def test_the_sweep_leaves_an_email_whose_task_is_still_on_its_way(app, db, enqueued):
    queue_one(db)
    enqueued.clear()

    assert mail.sweep() == 0
    db.session.commit()
    assert enqueued.calls == []


def test_the_sweep_takes_back_an_email_whose_sender_died_mid_send(app, db, enqueued):
    row = queue_one(db)
    assert mail.claim_for_sending(row.id) is not None  # a worker has it in hand, then dies
    db.session.commit()
    enqueued.clear()
    later = utcnow() + timedelta(seconds=app.config["MAIL_LEASE_SECONDS"] + 1)

    assert mail.sweep(now=later) == 1
    db.session.commit()

    assert db.session.get(OutboxEmail, row.id).status == OutboxStatus.queued
    assert enqueued.ids("mail.send") == [str(row.id)]


def test_the_sweep_leaves_sent_and_failed_emails_alone(app, db, enqueued):
    sent, failed = queue_one(db, to="a@example.se"), queue_one(db, to="b@example.se")
    mail.record_sent(sent.id)
    mail.record_failed(failed.id, error="550")
    db.session.commit()
    enqueued.clear()

    assert mail.sweep(now=utcnow() + timedelta(days=1)) == 0


def test_flask_mail_sweep_runs_the_sweep_once(app, db, enqueued):
    row = queue_one(db)
    db.session.execute(
        update(OutboxEmail).where(OutboxEmail.id == row.id).values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    enqueued.clear()

    result = app.test_cli_runner().invoke(args=["mail", "sweep"])

    assert result.exit_code == 0, result.output
    assert "queued 1 e-mails for sending" in result.output
    assert enqueued.ids("mail.send") == [str(row.id)]


def test_beat_sweeps_the_outbox_every_minute():
    from workers.schedule import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["mail.sweep"]["task"] == "mail.sweep"
    assert BEAT_SCHEDULE["mail.sweep"]["schedule"] == 60.0


# ---- the send task and SMTP refusals ----------------------------------------------------------


class RefusingHandler:
    """Answers ``reply`` to RCPT TO or to DATA, and counts how often it was asked."""

    def __init__(self, stage: str, reply: str) -> None:
        self.stage = stage
        self.reply = reply
        self.attempts = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.stage == "RCPT":
            self.attempts += 1
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        return self.reply


@pytest.fixture
def refusing_smtp() -> Iterator[Callable[[str, str], Any]]:
    """A real SMTP server that refuses every message with the given reply at the given stage."""
    from aiosmtpd.controller import Controller

    controllers: list[Controller] = []

    def start(stage: str, reply: str) -> Any:
        handler = RefusingHandler(stage, reply)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return SimpleNamespace(handler=handler, port=port)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_temporary_smtp_refusal_is_retried_until_the_last_attempt(app, db, enqueued, refusing_smtp, stage):
    server = refusing_smtp(stage, "451 4.3.0 try later")
    use_smtp(app, server.port)
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    row = queue_one(db)

    assert enqueued.send_mail() == ["failed"]  # eager: Celery runs each retry at once

    assert server.handler.attempts == 3
    db.session.expire_all()
    stored = db.session.get(OutboxEmail, row.id)
    assert (stored.status, stored.attempts) == (OutboxStatus.failed, 3)
    assert "451" in stored.detail


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_permanent_smtp_refusal_is_not_retried(app, db, enqueued, refusing_smtp, stage):
    server = refusing_smtp(stage, "550 5.1.1 no such user")
    use_smtp(app, server.port)
    row = queue_one(db)
    refused: list[tuple[str, str]] = []

    def listen(source: str, *, error: str, **_kwargs: Any) -> None:
        refused.append((source, error))

    mail.email_refused.connect(listen)
    try:
        assert enqueued.send_mail() == ["failed"]
    finally:
        mail.email_refused.disconnect(listen)

    assert server.handler.attempts == 1
    db.session.expire_all()
    assert db.session.get(OutboxEmail, row.id).status == OutboxStatus.failed
    assert [source for source, _error in refused] == ["test"]  # a domain learns it (reminders do)


def test_a_temporary_failure_leaves_the_email_to_its_retry_and_then_the_sweep(app, db, enqueued):
    row = queue_one(db)
    assert mail.claim_for_sending(row.id) is not None
    db.session.commit()

    assert mail.release_for_retry(row.id, error="451", delay=120)
    db.session.commit()

    stored = db.session.get(OutboxEmail, row.id)
    assert stored.status == OutboxStatus.queued
    lease = app.config["MAIL_LEASE_SECONDS"]
    assert mail.sweep(now=utcnow() + timedelta(seconds=lease + 60)) == 0  # the retry is still on its way
    assert mail.sweep(now=utcnow() + timedelta(seconds=lease + 121)) == 1  # the retry was lost


# ---- links in e-mails -------------------------------------------------------------------------------------


def test_external_url_builds_on_the_public_base_url_outside_any_request(app):
    app.config["PUBLIC_BASE_URL"] = "https://tillsyn.example.se/"
    assert external_url("auth.set_password", token="abc") == "https://tillsyn.example.se/set-password/abc"
    assert external_url("auth.profile", _anchor="notifications") == "https://tillsyn.example.se/profile#notifications"


def test_external_url_keeps_a_path_prefix_and_ignores_the_requests_host(app):
    app.config["PUBLIC_BASE_URL"] = "https://kommun.example.se/tillsyn"
    with app.test_request_context("/", base_url="http://internal:8000"):
        assert external_url("dialogue.index") == "https://kommun.example.se/tillsyn/messages"
