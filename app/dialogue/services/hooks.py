"""Session hooks of conversations: kept unread counters and removed findings' conversations (DESIGN.md 4.6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from app.core import files
from app.dialogue.models import (
    Message,
    PendingNotification,
    Thread,
    ThreadRead,
)
from app.dialogue.services.read_state import _count_message, _recount_after_flush
from app.visits.models import Finding

# ---- a finding removed while the visit is still being recorded ---------------------------------------


def _drop_conversations_of_removed_findings(session: Any, flush_context: Any, instances: Any) -> None:
    """A finding removed during recording takes its conversation along (its internal notes, their files), in the
    same flush, through the ORM: the audit trail records each note's removal and the files go after the commit.
    (SQLite does not enforce the foreign keys' ON DELETE, so this cannot be left to the database.)"""
    finding_ids = [obj.id for obj in session.deleted if isinstance(obj, Finding)]
    if not finding_ids:
        return
    threads = list(session.scalars(select(Thread).where(Thread.finding_id.in_(finding_ids))))
    if not threads:
        return
    thread_ids = [t.id for t in threads]
    messages = list(
        session.scalars(
            select(Message).where(Message.thread_id.in_(thread_ids)).options(selectinload(Message.attachments))
        )
    )
    message_ids = [m.id for m in messages]
    if message_ids:
        session.execute(delete(PendingNotification).where(PendingNotification.message_id.in_(message_ids)))
    session.execute(delete(ThreadRead).where(ThreadRead.thread_id.in_(thread_ids)))
    for message in messages:
        _count_message(message.id, -1)
        for item in message.attachments:
            files.remove_files_after_commit(item)
        session.delete(message)
    for thread in threads:
        session.delete(thread)


def install() -> None:
    from sqlalchemy import event

    from app.dialogue.services import notices

    notices.connect()
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_flush", _recount_after_flush):
        event.listen(Session, "after_flush", _recount_after_flush)
    if not event.contains(Session, "before_flush", _drop_conversations_of_removed_findings):
        event.listen(Session, "before_flush", _drop_conversations_of_removed_findings)
