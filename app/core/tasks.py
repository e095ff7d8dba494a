"""Queue work for Celery only once the transaction that needs it has committed.

A task enqueued before the commit can run before its row exists, or for a change that then rolls back
(microblog's mistake, DESIGN.md 5). ``enqueue_after_commit`` hands the call to app.core.transaction, which
sends it after the outermost commit; a rollback (of the transaction or of the savepoint it was queued in)
throws it away.

An enqueue can still be lost after the commit (the broker is down, Redis is flushed or restarts). Work that must
not be lost therefore lives in a row written in the same transaction, and a periodic sweep enqueues again what
stays unfinished past its lease: the e-mail outbox (``app.core.mail.sweep``, every minute), reminders
(``app.followups.reminders.sweep``), notification batches (``dialogue.flush_notifications``) and the trust
sweep (hourly). A task enqueued here without such a row and sweep is lost with its message.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from app.core import transaction

log = logging.getLogger(__name__)


def enqueue_after_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Send the task named ``task_name`` (tasks live in ``workers/``; the app names them, never imports them)."""
    celery_app = current_app.extensions["celery"]

    def send() -> None:
        try:
            celery_app.send_task(task_name, args=args, kwargs=kwargs)
        except Exception:  # the change is committed; log it, and let whoever enqueues say how a loss is recovered
            log.exception("could not enqueue %s after commit", task_name)

    transaction.on_commit(send)


def install() -> None:
    transaction.install()
