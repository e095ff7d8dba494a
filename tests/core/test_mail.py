"""Outgoing e-mail: rendering in the recipient's language, the SMTP and outbox backends, the outbox pages,
what a set-password e-mail may carry, and how the delivery task treats temporary and permanent SMTP refusals."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

import workers.mail  # noqa: F401  (registers the "mail.deliver" task)
from app.auth import services
from app.auth.models import SetPasswordToken, hash_secret
from app.core import mail

ENGLISH_SUBJECT = "Choose your password for Lärande tillsyn"
SWEDISH_SUBJECT = "Välj ditt lösenord för Lärande tillsyn"
LINK = "http://localhost/set-password/a-link-only-for-this-test"


def set_password_email(*, language: str | None = "en", to: str = "greta@example.se") -> mail.OutgoingEmail:
    return mail.render_email(
        "auth/set_password",
        to=to,
        language=language,
        person=SimpleNamespace(name="Greta Granskare"),
        link=LINK,
        hours=72,
    )


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


def test_coordinator_reads_the_outbox_and_opens_a_message(app, browser, make_user):
    mail.deliver(set_password_email(to="greta@example.se"))
    browser.login(make_user("coordinator"))

    listing = browser.get("/admin/outbox")
    assert listing.status_code == 200
    assert ENGLISH_SUBJECT in listing.text
    assert "greta@example.se" in listing.text
    [name] = re.findall(r'href="/admin/outbox/([^"]+)"', listing.text)
    assert [p.name for p in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")] == [name]

    message = browser.get(f"/admin/outbox/{name}")
    assert message.status_code == 200
    assert ENGLISH_SUBJECT in message.text
    assert "Hello Greta Granskare," in message.text
    assert LINK in message.text


def test_reviewer_may_not_read_the_outbox(app, browser, make_user):
    mail.deliver(set_password_email())
    [name] = [p.name for p in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")]
    browser.login(make_user("reviewer"))

    assert browser.get("/admin/outbox").status_code == 403
    assert browser.get(f"/admin/outbox/{name}").status_code == 403


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


def test_set_password_email_carries_the_link_but_never_the_token_hash(app, db, make_user, monkeypatch):
    person = make_user("reviewer", language="en")
    queued: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(
        app.extensions["celery"], "send_task", lambda name, args=(), kwargs=None, **options: queued.append((name, args))
    )

    link = services.issue_set_password_link(person.id)
    db.session.commit()

    [(task_name, (payload,))] = queued
    assert task_name == "mail.deliver"
    token_hash = db.session.scalar(select(SetPasswordToken.token_hash).where(SetPasswordToken.user_id == person.id))
    assert token_hash == hash_secret(link.rsplit("/", 1)[-1])  # the hash we look for is the stored one
    for field in ("subject", "text", "html"):
        assert token_hash not in payload[field]
    assert link in payload["text"]


# ---- the delivery task and SMTP refusals ----------------------------------------------------------


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


def deliver_task(app: Any) -> Any:
    return app.extensions["celery"].tasks["mail.deliver"]


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_temporary_smtp_refusal_is_retried(app, refusing_smtp, stage):
    server = refusing_smtp(stage, "451 4.3.0 try later")
    use_smtp(app, server.port)
    task = deliver_task(app)

    result = task.apply(args=[set_password_email().to_dict()])  # eager: Celery runs each retry at once

    assert result.failed()
    assert server.handler.attempts == 1 + task.max_retries


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_permanent_smtp_refusal_is_not_retried(app, refusing_smtp, stage):
    server = refusing_smtp(stage, "550 5.1.1 no such user")
    use_smtp(app, server.port)
    task = deliver_task(app)

    result = task.apply(args=[set_password_email().to_dict()])

    assert result.failed()
    assert server.handler.attempts == 1
