"""The one send task of the e-mail outbox (DESIGN.md 4.9) and its sweep (beat, every minute).

Temporary failures (SMTP 4xx, timeouts, refused connections) are retried with exponential back-off and jitter;
permanent ones (5xx) fail at once instead of retrying forever. Attempts are counted on the row."""

from __future__ import annotations

import logging
import random
import smtplib
import uuid

from celery import shared_task
from flask import current_app

from app.core import mail
from app.core.models import OutboxEmail
from app.extensions import db

log = logging.getLogger(__name__)

# Never schedule a retry further ahead than the broker's visibility timeout (1 h with Redis).
MAX_BACKOFF_SECONDS = 1800


def is_temporary(exc: BaseException) -> bool:
    """SMTP 4xx, a dropped or refused connection, a timeout: worth trying again later."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    # smtplib's other errors (disconnects) and plain network errors all derive from OSError.
    return isinstance(exc, OSError)


def backoff_seconds(retries: int, *, base: float = 30.0, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Exponential back-off with jitter: 30 s, 60 s, 120 s… capped, times a random factor (0.5–1)."""
    return min(cap, base * 2**retries) * random.uniform(0.5, 1.0)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


@shared_task(name="mail.sweep", acks_late=True)
def sweep() -> int:
    """Send again what the outbox holds whose task was lost (its lease ran out)."""
    count = mail.sweep()
    db.session.commit()
    if count:
        log.info("mail sweep: %d e-mails sent again", count)
    return count


@shared_task(
    bind=True,
    name=mail.SEND_TASK,
    acks_late=True,  # acknowledged only once it has run, so a lost worker's message is not lost with it
    reject_on_worker_lost=True,  # a pool process killed mid-send puts the message back instead of dropping it
    max_retries=None,  # attempts are counted on the row (MAIL_MAX_ATTEMPTS), across sweeps and retries
)
def send(self, outbox_id: str) -> str:  # type: ignore[no-untyped-def]
    """Send one outbox row at most once: claim it (committed), deliver, record it as sent."""
    row_id = uuid.UUID(outbox_id)
    email = mail.claim_for_sending(row_id)
    if email is None:
        db.session.rollback()
        return "not claimed"  # sent, failed, or another task has it
    db.session.commit()
    try:
        mail.deliver(email)
    except Exception as exc:
        db.session.rollback()
        if not is_temporary(exc):
            log.warning("e-mail %s refused for good: %s", email.message_id, exc)
            mail.record_failed(row_id, error=_describe(exc))
            db.session.commit()
            return "failed"
        config = current_app.config
        row = db.session.get(OutboxEmail, row_id)
        delay = backoff_seconds(
            max(0, (row.attempts if row is not None else 1) - 1),
            base=float(config["MAIL_BACKOFF_BASE_SECONDS"]),
            cap=float(config["MAIL_BACKOFF_MAX_SECONDS"]),
        )
        retrying = mail.release_for_retry(row_id, error=_describe(exc), delay=delay)
        db.session.commit()
        if not retrying:
            log.error("e-mail %s failed after its last attempt: %s", email.message_id, exc)
            return "failed"
        raise self.retry(exc=exc, countdown=delay) from exc
    mail.record_sent(row_id)
    db.session.commit()
    return "sent"
