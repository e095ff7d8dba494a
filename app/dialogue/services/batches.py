"""The batched e-mails about new messages and the other side's moves (DESIGN.md 4.2): digest windows,
claiming, resending and the e-mail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.auth.models import User
from app.core import mail
from app.core.models import local_zone, utcnow
from app.core.tasks import enqueue_after_commit
from app.core.urls import external_url
from app.dialogue.models import (
    BatchStatus,
    Message,
    NotificationBatch,
    NotificationMode,
    NotificationSetting,
    PendingNotice,
    PendingNotification,
)
from app.dialogue.services.notices import notice_lines
from app.dialogue.services.read_state import _unread_condition
from app.dialogue.services.summaries import _summaries, _summary_query
from app.extensions import db

# A sending task holds its batch this long; a worker that dies mid-send leaves it to the next flush after it.
BATCH_CLAIM = timedelta(minutes=10)
# A batch still unsent this long after it was made is enqueued again by the flush (a lost enqueue).
BATCH_RESEND_AFTER = timedelta(minutes=5)
MAX_BATCH_ATTEMPTS = 10


# ---- notifications: batching (the periodic flush) ----------------------------------------------------


def _window() -> timedelta:
    return timedelta(minutes=int(current_app.config["DIALOGUE_NOTIFICATION_WINDOW_MINUTES"]))


def latest_digest_moment(now: datetime) -> datetime:
    """The most recent daily digest time at or before ``now`` (the configured hour, Europe/Stockholm), in UTC."""
    local = now.astimezone(local_zone())
    hour = int(current_app.config["DIALOGUE_DIGEST_HOUR"])
    moment = datetime.combine(local.date(), time(hour), tzinfo=local_zone())
    if moment > local:
        moment = datetime.combine(local.date() - timedelta(days=1), time(hour), tzinfo=local_zone())
    return moment.astimezone(now.tzinfo)


@dataclass
class Due:
    recipient_id: uuid.UUID
    is_digest: bool
    # The person's previous e-mail must be at or before this moment (the window, or the digest time).
    previous_not_after: datetime


def due_recipients(*, now: datetime | None = None) -> list[Due]:
    """People whose e-mail about new messages is due now.

    Batched (the default): WINDOW minutes after the first new thing since their last e-mail, so everything within
    one window goes in one e-mail and two e-mails are at least a window apart. Daily: at the digest hour."""
    now = now or utcnow()
    window = _window()
    oldest_waiting: dict[uuid.UUID, datetime] = {}
    for table in (PendingNotification, PendingNotice):  # new messages, and what the other side did
        for recipient_id, oldest in db.session.execute(
            select(table.recipient_id, func.min(table.created_at))
            .where(table.batch_id.is_(None))
            .group_by(table.recipient_id)
        ).all():
            known = oldest_waiting.get(recipient_id)
            oldest_waiting[recipient_id] = oldest if known is None else min(known, oldest)
    waiting = list(oldest_waiting.items())
    if not waiting:
        return []
    settings = {
        s.user_id: s
        for s in db.session.scalars(
            select(NotificationSetting).where(NotificationSetting.user_id.in_([r[0] for r in waiting]))
        )
    }
    digest_moment = latest_digest_moment(now)
    due: list[Due] = []
    for recipient_id, oldest in waiting:
        setting = settings.get(recipient_id)
        mode = setting.mode if setting else NotificationMode.immediate
        last = setting.last_sent_at if setting else None
        if mode == NotificationMode.off:
            continue
        if mode == NotificationMode.daily:
            # What came before the latest digest time goes in that digest (late, after downtime, if need be);
            # what came after waits for the next.
            if oldest <= digest_moment and (last is None or last < digest_moment):
                due.append(Due(recipient_id, True, digest_moment - timedelta(microseconds=1)))
        elif oldest <= now - window and (last is None or last <= now - window):
            due.append(Due(recipient_id, False, now - window))
    return due


def _claim_window(recipient_id: uuid.UUID, now: datetime, previous_not_after: datetime) -> bool:
    """Take the person's window with one conditional update: of two workers, only one makes the batch."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(NotificationSetting)
        .values(id=uuid.uuid4(), user_id=recipient_id, mode=NotificationMode.immediate, updated_at=now)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    claimed = db.session.execute(
        update(NotificationSetting)
        .where(
            NotificationSetting.user_id == recipient_id,
            or_(NotificationSetting.last_sent_at.is_(None), NotificationSetting.last_sent_at <= previous_not_after),
        )
        .values(last_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def make_batch(due: Due, *, now: datetime | None = None) -> NotificationBatch | None:
    """One person's waiting items become one batch (an outbox row), sent by its own task after the commit."""
    now = now or utcnow()
    if not _claim_window(due.recipient_id, now, due.previous_not_after):
        return None
    batch = NotificationBatch(id=uuid.uuid4(), recipient_id=due.recipient_id, is_digest=due.is_digest, created_at=now)
    db.session.add(batch)
    db.session.flush()
    taken = 0
    for table in (PendingNotification, PendingNotice):
        result = db.session.execute(
            update(table)
            .where(table.recipient_id == due.recipient_id, table.batch_id.is_(None), table.created_at <= now)
            .values(batch_id=batch.id)
            .execution_options(synchronize_session=False)
        )
        taken += int(result.rowcount or 0)  # type: ignore[attr-defined]
    if taken == 0:
        batch.status = BatchStatus.skipped
        db.session.flush()
        return None
    enqueue_after_commit("dialogue.send_batch", str(batch.id))
    return batch


def batches_to_resend(*, now: datetime | None = None) -> list[uuid.UUID]:
    """Batches whose sending was lost (an enqueue that never arrived, a worker killed mid-send): send again."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(NotificationBatch.id).where(
                NotificationBatch.status == BatchStatus.pending,
                NotificationBatch.created_at <= now - BATCH_RESEND_AFTER,
                NotificationBatch.attempts < MAX_BATCH_ATTEMPTS,
                or_(NotificationBatch.claimed_until.is_(None), NotificationBatch.claimed_until < now),
            )
        )
    )
    for batch_id in ids:
        enqueue_after_commit("dialogue.send_batch", str(batch_id))
    return ids


# ---- notifications: sending one batch ----------------------------------------------------------------


def claim_batch(batch_id: uuid.UUID, *, now: datetime | None = None) -> bool:
    """Hold a pending batch for sending (conditional update); False if it is sent, held, or given up."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(NotificationBatch)
        .where(
            NotificationBatch.id == batch_id,
            NotificationBatch.status == BatchStatus.pending,
            or_(NotificationBatch.claimed_until.is_(None), NotificationBatch.claimed_until < now),
        )
        .values(claimed_until=now + BATCH_CLAIM, attempts=NotificationBatch.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


def finish_batch(batch_id: uuid.UUID, *, sent: bool, now: datetime | None = None) -> None:
    db.session.execute(
        update(NotificationBatch)
        .where(NotificationBatch.id == batch_id)
        .values(
            status=BatchStatus.sent if sent else BatchStatus.skipped,
            sent_at=(now or utcnow()) if sent else None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )


@dataclass
class NewsLine:
    title: str
    link: str
    messages: int
    internal_notes: int


def batch_news(batch: NotificationBatch, recipient: User) -> list[NewsLine]:
    """What the e-mail lists: per conversation, how many messages are new, among those the recipient may read
    *now* and has not read yet. Counts, titles and links only: never a message's or a finding's text."""
    rows = db.session.execute(
        _summary_query(recipient)
        .join(PendingNotification, PendingNotification.message_id == Message.id)
        .where(PendingNotification.batch_id == batch.id, _unread_condition(recipient))
        .order_by(func.max(Message.created_at).desc())
    ).all()
    return [NewsLine(s.title, s.link, s.message_count - s.internal_count, s.internal_count) for s in _summaries(rows)]


def batch_email(batch_id: uuid.UUID) -> mail.OutgoingEmail | None:
    """The e-mail of a batch in the recipient's language, or None when nothing is left to tell: the new messages
    (``batch_news``) and what the other side did (``notices.notice_lines``, DESIGN.md 4.2), titles and links only."""
    batch = db.session.get(NotificationBatch, batch_id)
    if batch is None:
        return None
    recipient = batch.recipient
    if not recipient.is_active_account:
        return None
    config = current_app.config
    with force_locale(
        recipient.language if recipient.language in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]
    ):
        news = batch_news(batch, recipient)  # the titles in the recipient's language
        moves = notice_lines(batch, recipient)  # what the other side did, in the recipient's language
    if not news and not moves:
        return None
    outgoing = mail.render_email(
        "dialogue/new_messages",
        to=recipient.email,
        language=recipient.language,
        person=recipient,
        news=news,
        moves=moves,
        is_digest=batch.is_digest,
        window_minutes=int(current_app.config["DIALOGUE_NOTIFICATION_WINDOW_MINUTES"]),
        messages_link=external_url("dialogue.index"),
        settings_link=external_url("auth.profile", _anchor="notifications"),
    )
    # One identity per batch: a resend after a lost acknowledgement is recognisable as the same e-mail.
    outgoing.message_id = mail.stable_message_id("dialogue", f"batch:{batch.id}")
    return outgoing
