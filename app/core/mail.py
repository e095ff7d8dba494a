"""Outgoing e-mail: rendered from ``templates/emails/<domain>/<name>.{txt,html}`` in the recipient's
language, delivered by one of two backends (SMTP, or ``.eml`` files in the outbox folder).

E-mails carry titles and links only, never confidential content (DESIGN.md 4.2).
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol

from flask import current_app, render_template
from flask_babel import force_locale

from app.core.tasks import enqueue_after_commit


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    # Stable ids let a receiving system recognise a duplicate (reminders derive it from their identity).
    message_id: str = field(default_factory=lambda: make_msgid(domain="tillsyn.local"))

    def to_message(self, sender: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = self.to
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = self.message_id
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        return msg

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def render_email(template: str, *, to: str, language: str | None, **context: Any) -> OutgoingEmail:
    """Render ``emails/<template>.txt`` (with a ``subject`` block) and ``.html`` in ``language``."""
    lang = language if language in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with force_locale(lang):
        env = current_app.jinja_env
        txt = env.get_template(f"emails/{template}.txt")
        ctx = {"base_url": base, "lang": lang, **context}
        block_ctx = txt.new_context({**current_app.jinja_env.globals, **ctx})
        subject = " ".join("".join(txt.blocks["subject"](block_ctx)).split())
        text = "".join(txt.blocks["body"](block_ctx))
        html = render_template(f"emails/{template}.html", subject=subject, **ctx)
    return OutgoingEmail(to=to, subject=subject, text=text.strip() + "\n", html=html)


class MailBackend(Protocol):
    def send(self, email: OutgoingEmail) -> None: ...


class SmtpBackend:
    """SMTP with STARTTLS and login when configured; errors propagate so tasks can retry temporary ones."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host = config["SMTP_HOST"]
        self.port = config["SMTP_PORT"]
        self.user = config["SMTP_USER"]
        self.password = config["SMTP_PASSWORD"]
        self.starttls = config["SMTP_STARTTLS"]
        self.timeout = config["SMTP_TIMEOUT_SECONDS"]
        self.sender = config["MAIL_FROM"]

    def send(self, email: OutgoingEmail) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(email.to_message(self.sender))


class OutboxBackend:
    """Writes each e-mail as an ``.eml`` file; the embedded mode's mail, readable at /admin/outbox."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.folder = Path(config["MAIL_OUTBOX_DIR"])
        self.sender = config["MAIL_FROM"]

    def send(self, email: OutgoingEmail) -> None:
        from app.core.models import utcnow

        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(bytes(email.to_message(self.sender)))
        tmp.replace(self.folder / name)  # readers never see half a file


def backend() -> MailBackend:
    config = current_app.config
    return SmtpBackend(config) if config["SMTP_HOST"] else OutboxBackend(config)


def deliver(email: OutgoingEmail) -> None:
    """Send now, in this process. Tasks call this; request code calls ``queue``."""
    backend().send(email)


def queue(email: OutgoingEmail) -> None:
    """Send by Celery once the current transaction has committed."""
    enqueue_after_commit("mail.deliver", email.to_dict())
