"""Tasks of the follow-ups domain: the reminder sweep (beat, every minute) and handing one reminder to the
e-mail outbox.

Both take ids only, are safe to run twice and commit per step (DESIGN.md 4.4, app.followups.reminders)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from celery import shared_task

from app.extensions import db
from app.followups import reminders

log = logging.getLogger(__name__)


@shared_task(name="followups.sweep_reminders", acks_late=True)
def sweep_reminders() -> dict[str, Any]:
    """Claim what is due (and what a dead worker left) and fan out one send task each, after the commit."""
    result = reminders.sweep()
    db.session.commit()
    if result.claimed or result.skipped or result.obsolete:
        log.info("reminder sweep: %s", result.as_dict())
    return result.as_dict()


@shared_task(
    name=reminders.SEND_TASK,
    acks_late=True,  # acknowledged only once it has run, so a lost worker's message is not lost with it
    reject_on_worker_lost=True,  # a pool process killed mid-task puts the message back instead of dropping it
)
def send_reminder(reminder_id: str) -> str:
    """Hand one reminder to the e-mail outbox: claim its row, check it still applies, write one e-mail per
    recipient to the outbox and mark it sent, in one transaction (the outbox's task sends them after it)."""
    rid = uuid.UUID(reminder_id)
    if not reminders.claim_for_sending(rid):
        db.session.rollback()
        return "not claimed"  # sent, taken by another task, or no longer due: nothing to do
    outgoing = reminders.prepare(rid)
    if outgoing:
        reminders.hand_to_outbox(rid, outgoing)
    db.session.commit()
    return "queued" if outgoing else "nothing to send"
