"""What the other side did, as lines of the batched e-mail (DESIGN.md 4.2, third bullet).

Other domains record a move with ``app.core.notices.record`` in the move's transaction; :func:`on_notice_recorded`
(connected at start-up) writes one waiting :class:`PendingNotice` per recipient in that same transaction, unless the
person has switched these e-mails off. A move supersedes what still waits about the same object (DESIGN.md 4.2: a
batch never tells a state that is over): a waiting line of someone told of the new move is deleted (the new line says
where the object stands now: one line per object), and the waiting line of anyone else — the actor's own side, the
actor too — is marked answered, so it is written without "it waits for your side". The next batch of that person
takes the waiting notices with the waiting messages (``batches.make_batch``) and :func:`notice_lines` writes them as
lines in the recipient's language, leaving out what the person may no longer see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from app.auth.models import User
from app.core import notices
from app.core.models import utcnow
from app.dialogue.models import NotificationBatch, NotificationMode, NotificationSetting, PendingNotice
from app.extensions import db


def on_notice_recorded(notice: notices.Notice, **_kwargs: Any) -> None:
    """One waiting row per recipient who is an active account and has not switched e-mails off; flushed in the
    transaction of the move (DESIGN.md 4.9: a rollback leaves nothing to send). What waited about the same object
    is superseded first (:func:`supersede_waiting`)."""
    supersede_waiting(notice)
    if not notice.recipient_ids:
        return
    people = list(
        db.session.execute(
            select(User.id, NotificationSetting.mode)
            .outerjoin(NotificationSetting, NotificationSetting.user_id == User.id)
            .where(User.id.in_(notice.recipient_ids), User.is_active_account.is_(True))
        ).all()
    )
    now = utcnow()
    for person_id, mode in people:
        if mode == NotificationMode.off:
            continue
        db.session.add(
            PendingNotice(
                id=uuid.uuid4(),
                recipient_id=person_id,
                kind=notice.kind,
                object_type=notice.object_type,
                object_id=notice.object_id,
                actor_id=notice.actor_id,
                created_at=now,
            )
        )
    db.session.flush()


def supersede_waiting(notice: notices.Notice) -> None:
    """A later move on an object supersedes the lines still waiting about it (not yet taken into a batch): the
    waiting line of someone told of ``notice`` is deleted, its line replacing the earlier one; the waiting line of
    anyone else is marked answered (``PendingNotice.answered_at``): their own side made the move. Flushes."""
    about = (
        PendingNotice.object_type == notice.object_type,
        PendingNotice.object_id == notice.object_id,
        PendingNotice.batch_id.is_(None),
    )
    if notice.recipient_ids:
        db.session.execute(
            delete(PendingNotice)
            .where(*about, PendingNotice.recipient_id.in_(notice.recipient_ids))
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(PendingNotice)
        .where(*about, PendingNotice.answered_at.is_(None))
        .values(answered_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def connect() -> None:
    """Listen to ``app.core.notices`` (connecting twice keeps one receiver)."""
    notices.notice_recorded.connect(on_notice_recorded)


@dataclass(frozen=True)
class NoticeLine:
    """One line of the e-mail: ``case_number`` (or None), ``title``, ``what`` (a sentence naming who did it) and
    ``link``."""

    case_number: str | None
    title: str
    what: str
    link: str


def notice_lines(batch: NotificationBatch, recipient: User) -> list[NoticeLine]:
    """The batch's notices as lines, oldest first, in the current locale; a notice whose object is gone or no
    longer visible to ``recipient`` is left out, and the same move told twice (two identical rows) once. A notice
    answered since by the reader's own side says so (``NOTICE_ANSWERED``) instead of that it waits for them."""
    rows = db.session.scalars(
        select(PendingNotice).where(PendingNotice.batch_id == batch.id).order_by(PendingNotice.created_at)
    ).all()
    lines: list[NoticeLine] = []
    seen: set[tuple[str, uuid.UUID, uuid.UUID | None, Any]] = set()
    for row in rows:
        key = (row.kind, row.object_id, row.actor_id, row.created_at)
        sentence = notices.NOTICE_KINDS.get(row.kind)
        if row.answered_at is not None:  # answered by the reader's own side since: no longer "waits for you"
            sentence = notices.NOTICE_ANSWERED.get(row.kind, sentence)
        describe = notices.NOTICE_SUBJECTS.get(row.object_type)
        if key in seen or sentence is None or describe is None:
            continue
        seen.add(key)
        subject = describe(row.object_id, recipient)
        if subject is None:
            continue
        who = row.actor.name if row.actor is not None else _("The system")
        lines.append(NoticeLine(subject.case_number, subject.title, sentence(who), subject.link))
    return lines
