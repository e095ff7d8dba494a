"""Outgoing e-mail (DESIGN.md 4.9): rendered from ``templates/emails/<domain>/<name>.{txt,html}`` in the
recipient's language, written to the durable outbox (``outbox_emails``) in the transaction of its cause, sent by
the one send task ``mail.send`` with a stable Message-ID, and found again by the sweep if that task was lost.

1. **Written with the change.** ``queue(email, source=…)`` adds a row, rendered now in the recipient's language
   (so the row holds exactly what goes out: a resend is the same e-mail, and no cause has to survive until the
   sending), and enqueues ``mail.send`` after the commit. A rollback leaves no row and sends nothing.
2. **Sent.** The send task claims the row with a conditional update (two tasks for one row send once), delivers
   it through the configured backend (SMTP, or ``.eml`` files in the outbox folder) and records it as sent.
   A temporary failure (SMTP 4xx, a refused connection) puts it back with a lease covering the retry's
   back-off; a permanent one (5xx), or the last attempt, marks it ``failed`` and tells ``email_refused``.
3. **Recovered.** ``sweep()`` (beat, every minute; ``flask mail sweep``) re-enqueues every row whose lease ran
   out: its task was lost with Redis, or its worker died. A worker killed between the server's "250 OK" and
   the commit that records it causes one duplicate, with the same Message-ID; nothing is ever lost.

E-mails carry titles and links only, never confidential content (DESIGN.md 4.2).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any, Protocol

from blinker import Namespace
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from app.core.models import OutboxEmail, OutboxStatus, utcnow
from app.core.organisation import current_organisation
from app.core.pagination import Key, KeysetPage, keyset_page
from app.core.tasks import enqueue_after_commit
from app.extensions import db

log = logging.getLogger(__name__)

SEND_TASK = "mail.send"

# sender: the outbox row's ``source`` (str); kwargs: error (str). Sent inside the transaction that marks an
# e-mail failed for good, so a domain can record it (a reminder shown as failed to coordinators).
email_refused = Namespace().signal("email-refused")


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    # Stable ids let a receiving system recognise a duplicate: given by the caller when the e-mail has an
    # identity of its own (a reminder, a batch), otherwise derived from the outbox row's id by ``queue``.
    message_id: str = ""

    def to_message(self, sender: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = self.to
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=False)
        if self.message_id:
            msg["Message-ID"] = self.message_id
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        return msg


def render_email(template: str, *, to: str, language: str | None, **context: Any) -> OutgoingEmail:
    """Render ``emails/<template>.txt`` (with a ``subject`` block) and ``.html`` in ``language``, each signed with
    the authority's name and contact (``emails/_layout/signature.txt``, and the HTML layout's footer) from
    ``current_organisation()`` (DESIGN.md 4.1, 4.2); templates get it as ``organisation``."""
    lang = language if language in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(lang):
        env = current_app.jinja_env
        txt = env.get_template(f"emails/{template}.txt")
        ctx = {"lang": lang, "organisation": current_organisation(), **context}
        block_ctx = txt.new_context({**current_app.jinja_env.globals, **ctx})
        subject = " ".join("".join(txt.blocks["subject"](block_ctx)).split())
        text = "".join(txt.blocks["body"](block_ctx))
        signature = render_template("emails/_layout/signature.txt", **ctx)
        html = render_template(f"emails/{template}.html", subject=subject, **ctx)
    return OutgoingEmail(to=to, subject=subject, text=text.strip() + "\n\n" + signature.strip() + "\n", html=html)


def sender() -> str:
    """The From header: the authority's name (``ORGANISATION_NAME``) as the display name on ``MAIL_FROM``'s address,
    so the unit sees who writes to it; ``MAIL_FROM`` as configured while no name is set (DESIGN.md 4.2)."""
    configured = current_app.config["MAIL_FROM"]
    name = current_organisation().name
    if not name:
        return str(configured)
    return str(Address(display_name=name, addr_spec=parseaddr(configured)[1]))


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
        self.sender = sender()

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
        self.sender = sender()

    def send(self, email: OutgoingEmail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(bytes(email.to_message(self.sender)))
        tmp.replace(self.folder / name)  # readers never see half a file


def backend() -> MailBackend:
    config = current_app.config
    return SmtpBackend(config) if config["SMTP_HOST"] else OutboxBackend(config)


def deliver(email: OutgoingEmail) -> None:
    """Send now, in this process, through the configured backend. Only the send task calls this; everything
    else calls ``queue``. Raises what the backend raises (``smtplib`` errors, ``OSError``)."""
    backend().send(email)


def _domain() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "tillsyn.local"


def stable_message_id(kind: str, identity: str) -> str:
    """``<kind.<hash of identity>@<MAIL_FROM's domain>>``: the same for every attempt at the same identity."""
    digest = hashlib.sha256(identity.encode()).hexdigest()[:40]
    return f"<{kind}.{digest}@{_domain()}>"


def _lease() -> timedelta:
    return timedelta(seconds=float(current_app.config["MAIL_LEASE_SECONDS"]))


def queue(email: OutgoingEmail, *, source: str = "", now: datetime | None = None) -> OutboxEmail:
    """Write ``email`` to the outbox in the current transaction and send it (task ``mail.send``) once that
    transaction commits; the caller commits. Without a ``message_id`` the e-mail gets one derived from its row.

    Idempotent per Message-ID: queueing an e-mail whose Message-ID is already in the outbox changes nothing,
    unless that row failed, which is then sent again (a coordinator's retry). ``source`` names the cause for
    ``email_refused`` receivers ("reminder:<id>:<person id>"). Returns the row (flushed)."""
    now = now or utcnow()
    row_id = uuid.uuid4()
    message_id = email.message_id or stable_message_id("outbox", str(row_id))
    existing = db.session.scalar(select(OutboxEmail).where(OutboxEmail.message_id == message_id))
    if existing is not None:
        if existing.status == OutboxStatus.failed:
            existing.status = OutboxStatus.queued
            existing.attempts = 0
            existing.detail = None
            existing.lease_until = now + _lease()
            db.session.flush()
            enqueue_after_commit(SEND_TASK, str(existing.id))
        return existing
    row = OutboxEmail(
        id=row_id,
        message_id=message_id,
        recipient=email.to,
        subject=email.subject[:500],
        text=email.text,
        html=email.html,
        source=source[:200],
        status=OutboxStatus.queued,
        attempts=0,
        lease_until=now + _lease(),
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    enqueue_after_commit(SEND_TASK, str(row.id))
    return row


def sweep(*, now: datetime | None = None) -> int:
    """Re-enqueue (after the commit) every unsent row whose lease ran out, oldest first, at most
    ``MAIL_SWEEP_BATCH``; returns how many. Rows another sweep holds are skipped (``SKIP LOCKED``); two
    tasks for one row still send it once (``claim_for_sending``). The caller commits."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status.in_([OutboxStatus.queued, OutboxStatus.sending]), OutboxEmail.lease_until < now)
        .order_by(OutboxEmail.created_at)
        .limit(int(current_app.config["MAIL_SWEEP_BATCH"]))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:
        if row.status == OutboxStatus.sending:
            log.warning("e-mail %s: its lease ran out while sending, sending it again", row.message_id)
        row.status = OutboxStatus.queued
        row.lease_until = now + _lease()
        enqueue_after_commit(SEND_TASK, str(row.id))
    db.session.flush()
    return len(rows)


def claim_for_sending(outbox_id: uuid.UUID, *, now: datetime | None = None) -> OutgoingEmail | None:
    """Take the row for this send task (a queued row, or one whose sender's lease ran out) and return its
    e-mail; None when it is sent, failed, or another task holds it. The caller commits before sending."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == outbox_id,
            or_(
                OutboxEmail.status == OutboxStatus.queued,
                and_(OutboxEmail.status == OutboxStatus.sending, OutboxEmail.lease_until < now),
            ),
        )
        .values(status=OutboxStatus.sending, lease_until=now + _lease(), attempts=OutboxEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if int(claimed.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return None
    row = db.session.get(OutboxEmail, outbox_id, populate_existing=True)
    assert row is not None
    return OutgoingEmail(to=row.recipient, subject=row.subject, text=row.text, html=row.html, message_id=row.message_id)


def _row(outbox_id: uuid.UUID) -> OutboxEmail:
    row = db.session.get(OutboxEmail, outbox_id, populate_existing=True)
    assert row is not None
    return row


def record_sent(outbox_id: uuid.UUID, *, now: datetime | None = None) -> None:
    row = _row(outbox_id)
    row.status = OutboxStatus.sent
    row.sent_at = now or utcnow()
    row.lease_until = None
    row.detail = None
    db.session.flush()


def record_failed(outbox_id: uuid.UUID, *, error: str) -> None:
    """Failed for good: no more attempts; ``email_refused`` receivers learn it in this transaction."""
    row = _row(outbox_id)
    row.status = OutboxStatus.failed
    row.lease_until = None
    row.detail = error[:2000]
    db.session.flush()
    email_refused.send(row.source, error=error)


def release_for_retry(outbox_id: uuid.UUID, *, error: str, delay: float, now: datetime | None = None) -> bool:
    """After a temporary failure: queued again with a lease covering the retry's countdown (a sweep steps in
    only if the retry itself is lost); False, and ``failed``, when ``MAIL_MAX_ATTEMPTS`` are used up."""
    now = now or utcnow()
    row = _row(outbox_id)
    if row.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
        record_failed(outbox_id, error=f"gave up after {row.attempts} attempts: {error}")
        return False
    row.status = OutboxStatus.queued
    row.lease_until = now + timedelta(seconds=delay) + _lease()
    row.detail = f"attempt {row.attempts} failed, trying again: {error}"[:2000]
    db.session.flush()
    return True


# ---- reading the outbox (the coordinators' /admin/outbox) ----------------------------------------------


def outbox_page(args: Mapping[str, Any], *, per_page: int = 50) -> KeysetPage:
    """The outbox's e-mails, newest first, a ``KeysetPage`` of ``OutboxEmail`` (``?after=`` / ``?before=`` an
    e-mail's (created_at, id)): read from the table by its ``created_at`` index with no OFFSET and no count, so
    every page costs the same at 30 or 300,000 e-mails (DESIGN.md 4.9; issue 17). Who may read it is the
    caller's check; a bad cursor raises ``InvalidInput`` (422)."""
    keys = [Key(OutboxEmail.created_at, descending=True), Key(OutboxEmail.id, descending=True)]
    return keyset_page(select(OutboxEmail), args, keys, per_page=per_page)


def outbox_email(outbox_id: uuid.UUID) -> OutboxEmail | None:
    """One e-mail of the outbox, or None."""
    return db.session.get(OutboxEmail, outbox_id)


def status_labels() -> dict[str, str]:
    """The outbox statuses in the reader's language."""
    return {
        OutboxStatus.queued.value: _("Queued"),
        OutboxStatus.sending.value: _("Sending"),
        OutboxStatus.sent.value: _("Sent"),
        OutboxStatus.failed.value: _("Failed"),
    }
