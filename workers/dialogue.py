"""Tasks of the dialogue domain: the periodic flush that turns waiting notifications into batches (one e-mail per
person per window), and the sending of one batch. JSON arguments (ids), safe to run twice, commit per item."""

from __future__ import annotations

import uuid

from celery import shared_task
from celery.exceptions import Retry

from app.core import mail
from app.dialogue import services
from app.extensions import db
from workers.mail import MAX_RETRIES, backoff_seconds, is_temporary


@shared_task(name="dialogue.flush_notifications")
def flush_notifications() -> int:
    """Beat runs this every minute: each person whose e-mail is due gets one batch (claimed with a conditional
    update, committed on its own), sent by ``dialogue.send_batch`` after the commit; lost sends are sent again."""
    made = 0
    for due in services.due_recipients():
        if services.make_batch(due) is not None:
            made += 1
        db.session.commit()
    services.batches_to_resend()
    db.session.commit()
    return made


@shared_task(bind=True, name="dialogue.send_batch", max_retries=MAX_RETRIES)
def send_batch(self, batch_id: str) -> str:  # type: ignore[no-untyped-def]
    """Send one batch at most once: claim it (committed), deliver, mark it sent. A temporary SMTP failure frees
    the claim and retries with back-off; a worker killed mid-send leaves it to the flush once the claim expires."""
    batch = uuid.UUID(batch_id)
    if not services.claim_batch(batch):
        db.session.rollback()
        return "not pending"
    db.session.commit()
    try:
        email = services.batch_email(batch)
        if email is not None:
            mail.deliver(email)
    except Retry:
        raise
    except Exception as exc:
        db.session.rollback()
        temporary = is_temporary(exc) and self.request.retries < MAX_RETRIES
        services.release_batch(batch, give_up=not temporary)
        db.session.commit()
        if temporary:
            raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
        raise
    services.finish_batch(batch, sent=email is not None)
    db.session.commit()
    return "sent" if email is not None else "nothing new"
