"""Queue work for Celery only once the transaction that needs it has committed.

A task enqueued before the commit can run before its row exists, or for a change that then rolls back
(microblog's mistake, DESIGN.md 5). ``enqueue_after_commit`` hands the call to app.core.transaction, which
sends it after the outermost commit; a rollback (of the transaction or of the savepoint it was queued in)
throws it away.
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
        except Exception:  # the change is committed; a lost enqueue is recovered by the periodic sweeps
            log.exception("could not enqueue %s after commit", task_name)

    transaction.on_commit(send)


def install() -> None:
    transaction.install()
