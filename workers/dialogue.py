"""Tasks of the dialogue domain: the periodic flush that turns waiting notifications into batches (one e-mail per
person per window), and handing one batch to the e-mail outbox (app.core.mail, DESIGN.md 4.9). JSON arguments
(ids), safe to run twice, commit per item."""

from __future__ import annotations

import uuid

from celery import shared_task

from app.core import mail
from app.dialogue import services
from app.extensions import db


@shared_task(name="dialogue.flush_notifications")
def flush_notifications() -> int:
    """Beat runs this every minute: each person whose e-mail is due gets one batch (claimed with a conditional
    update, committed on its own), handed to the e-mail outbox by ``dialogue.send_batch`` after the commit; lost
    hand-overs are done again."""
    made = 0
    for due in services.due_recipients():
        if services.make_batch(due) is not None:
            made += 1
        db.session.commit()
    services.batches_to_resend()
    db.session.commit()
    return made


@shared_task(name="dialogue.send_batch", acks_late=True)
def send_batch(batch_id: str) -> str:
    """Hand one batch to the e-mail outbox at most once: claim it, render what is still news to the recipient,
    write that e-mail to the outbox and mark the batch sent, in one transaction (the outbox's task sends it)."""
    batch = uuid.UUID(batch_id)
    if not services.claim_batch(batch):
        db.session.rollback()
        return "not pending"
    email = services.batch_email(batch)
    if email is not None:
        mail.queue(email, source=f"dialogue.batch:{batch}")
    services.finish_batch(batch, sent=email is not None)
    db.session.commit()
    return "queued" if email is not None else "nothing new"
