"""Tasks of the follow-ups domain: the reminder sweep (beat, every minute) and the sending of one reminder.

Both take ids only, are safe to run twice and commit per step (DESIGN.md 4.4, app.followups.reminders)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from celery import shared_task
from flask import current_app

from app.core import mail
from app.extensions import db
from app.followups import reminders
from app.followups.models import Reminder
from workers.mail import backoff_seconds, is_temporary

log = logging.getLogger(__name__)


@shared_task(name="followups.sweep_reminders", acks_late=True)
def sweep_reminders() -> dict[str, Any]:
    """Claim what is due (and what a dead worker left) and fan out one send task each, after the commit."""
    result = reminders.sweep()
    db.session.commit()
    if result.claimed or result.skipped or result.obsolete:
        log.info("reminder sweep: %s", result.as_dict())
    return result.as_dict()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


@shared_task(
    bind=True,
    name=reminders.SEND_TASK,
    acks_late=True,  # acknowledged only once it has run, so a lost worker's message is not lost with it
    reject_on_worker_lost=True,  # a pool process killed mid-send puts the message back instead of dropping it
    max_retries=None,  # attempts are counted on the row (REMINDER_MAX_ATTEMPTS), across sweeps and retries
)
def send_reminder(self, reminder_id: str) -> str:  # type: ignore[no-untyped-def]
    """Send one reminder: claim its row, send each recipient's e-mail, record each delivery as it happens."""
    rid = uuid.UUID(reminder_id)
    if not reminders.claim_for_sending(rid):
        db.session.rollback()
        return "not claimed"  # sent, taken by another task, or no longer due: nothing to do
    db.session.commit()
    outgoing = reminders.prepare(rid)
    db.session.commit()
    for item in outgoing:
        try:
            mail.deliver(item.email)
        except Exception as exc:
            db.session.rollback()
            if not is_temporary(exc):
                log.warning("reminder %s refused for good for %s: %s", rid, item.recipient_id, exc)
                reminders.record_refused(rid, item.recipient_id, _describe(exc))
                db.session.commit()
                continue
            config = current_app.config
            row = db.session.get(Reminder, rid)
            attempts = row.attempts if row is not None else 1
            delay = backoff_seconds(
                max(0, attempts - 1),
                base=float(config["REMINDER_BACKOFF_BASE_SECONDS"]),
                cap=float(config["REMINDER_BACKOFF_MAX_SECONDS"]),
            )
            retrying = reminders.release_for_retry(rid, error=_describe(exc), delay=delay)
            db.session.commit()
            if not retrying:
                log.error("reminder %s failed after %d attempts: %s", rid, attempts, exc)
                return "failed"
            raise self.retry(exc=exc, countdown=delay) from exc
        reminders.record_delivered(rid, item.recipient_id)
        db.session.commit()
    reminders.finish(rid)
    db.session.commit()
    return "sent"
