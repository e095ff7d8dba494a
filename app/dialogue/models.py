"""Conversation threads (dialog), their messages and attachments, who has read what, and the batched e-mail
notifications about new messages (DESIGN.md 4.2)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core.models import Auditable, IdMixin, StoredFileMixin, UTCDateTime, utcnow
from app.extensions import Model
from app.units.models import Unit
from app.visits.models import Finding, Visit


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class Side(enum.StrEnum):
    """In which capacity a person wrote: for the supervising body (review team, coordinators) or for the unit."""

    supervisor = "supervisor"
    unit = "unit"


class Thread(IdMixin, Model):
    """The conversation of one visit, or of one finding of it. Made when its first message is written."""

    __tablename__ = "dialogue_threads"

    # "visit:<id>" or "finding:<id>": one conversation per visit and per finding (a unique constraint over
    # (visit_id, finding_id) would let many visit threads through, since NULLs are never equal).
    key: Mapped[str] = mapped_column(String(80), unique=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    # Empty for the visit's own conversation.
    finding_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When its newest message, and its newest message that is not an internal note, were written: kept by
    # post_message, so a list of conversations sorts by an index and aggregates only its page (issue 17).
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_public_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    unit: Mapped[Unit] = relationship()
    visit: Mapped[Visit] = relationship()
    finding: Mapped[Finding | None] = relationship()

    @staticmethod
    def key_for(visit_id: uuid.UUID, finding_id: uuid.UUID | None) -> str:
        return f"finding:{finding_id}" if finding_id else f"visit:{visit_id}"


class Message(IdMixin, Auditable, Model):
    """One message of a thread. Written once and never changed: the conversation is part of the case's record.

    An internal note (``is_internal``) is for the supervising side only and never reaches the unit (DESIGN.md 4.6).
    The audit trail records that a message was written, under a type that tells the two apart, and not its text."""

    __tablename__ = "dialogue_messages"
    __audit_redact__ = frozenset({"text"})

    # Indexed by ix_dialogue_messages_thread_created, which leads with it.
    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("dialogue_threads.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The capacity the author wrote in, fixed when written (a person may hold several roles).
    author_side: Mapped[Side] = mapped_column(_enum(Side, 10))
    text: Mapped[str] = mapped_column(Text, default="")
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Attachment.position"
    )

    __table_args__ = (Index("ix_dialogue_messages_thread_created", "thread_id", "created_at"),)

    @property
    def __audit_type__(self) -> str:  # type: ignore[override]
        """Two types in the trail, so that a timeline can leave internal notes out with a plain filter."""
        return "internal_note" if self.is_internal else "message"

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        thread = self.thread
        return (thread.unit_id, ("visit", thread.visit_id)) if thread else (None, None)


class Attachment(IdMixin, StoredFileMixin, Model):
    """A photo or document sent with a message: checked, cleaned and stored like every upload (app.core.files).

    Part of its message, written in the same transaction and never changed, so the message's audit event covers it."""

    __tablename__ = "dialogue_attachments"

    message_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("dialogue_messages.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    message: Mapped[Message] = relationship(back_populates="attachments")


class ThreadRead(IdMixin, Model):
    """How far a person has read a thread: messages written after ``last_read_at`` are new to them."""

    __tablename__ = "dialogue_thread_reads"

    # Indexed by the unique constraint, which leads with it.
    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("dialogue_threads.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_read_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)


class NotificationMode(enum.StrEnum):
    immediate = "immediate"  # batched: at most one e-mail per window
    daily = "daily"  # one digest a day
    off = "off"


class NotificationSetting(IdMixin, Auditable, Model):
    """A person's choice for e-mails about new messages; no row means the default (batched, right away)."""

    __tablename__ = "dialogue_notification_settings"
    __audit_type__ = "notification_setting"
    __audit_ignore__ = frozenset({"created_at", "updated_at", "last_sent_at"})

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    mode: Mapped[NotificationMode] = mapped_column(_enum(NotificationMode, 10), default=NotificationMode.immediate)
    # When the last batch for this person was made: claimed with a conditional update, so two workers never
    # make two batches within one window.
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return None, ("user", self.user_id)


class PendingNotification(IdMixin, Model):
    """A new message someone is to be told about by e-mail, waiting for their next batch."""

    __tablename__ = "dialogue_notifications"

    # Indexed by the unique constraint, which leads with it.
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("dialogue_messages.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the item is taken into a batch; empty while it waits. Indexed by ix_dialogue_notifications_waiting.
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("dialogue_notification_batches.id", ondelete="CASCADE")
    )

    message: Mapped[Message] = relationship()

    __table_args__ = (
        UniqueConstraint("recipient_id", "message_id"),
        Index("ix_dialogue_notifications_waiting", "batch_id", "recipient_id", "created_at"),
    )


class PendingNotice(IdMixin, Model):
    """A move of the other side someone is to be told about (DESIGN.md 4.2: a response submitted, a follow-up
    proposed…), recorded through ``app.core.notices`` in the transaction of the move and waiting for the person's
    next batch, where it becomes one line. Holds only codes and ids: the line is written at sending time in the
    recipient's language, and left out if they may no longer see the object."""

    __tablename__ = "dialogue_notices"

    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    # A kind registered with app.core.notices.register_notice_kinds ("follow_up.proposed").
    kind: Mapped[str] = mapped_column(String(40))
    # An object type registered with app.core.notices.register_notice_subject ("follow_up"), and its id.
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the notice is taken into a batch; empty while it waits. Indexed by ix_dialogue_notices_waiting.
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("dialogue_notification_batches.id", ondelete="CASCADE")
    )
    # Set when, while it waited, a later move of the recipient's own side answered it: the line then no longer says
    # it waits for them (app.core.notices.NOTICE_ANSWERED). A later move they are told of deletes it instead.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (Index("ix_dialogue_notices_waiting", "batch_id", "recipient_id", "created_at"),)


class BatchStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    skipped = "skipped"  # nothing left to tell (all read meanwhile, or no longer visible)


class NotificationBatch(IdMixin, Model):
    """One e-mail to one person listing what is new: an outbox row, sent at most once and never lost.

    Made by the periodic flush (which claims the person's window), then sent by its own task; a send that fails
    is retried, and one whose worker died is picked up again by the next flush once its claim has expired."""

    __tablename__ = "dialogue_notification_batches"

    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[BatchStatus] = mapped_column(_enum(BatchStatus, 10), default=BatchStatus.pending, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A sending task holds the batch until this moment; after it, another may take it over.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient: Mapped[User] = relationship()
    items: Mapped[list[PendingNotification]] = relationship(order_by="PendingNotification.created_at")


class UnreadCount(Model):
    """How many messages are new to a person over every conversation they may read (DESIGN.md 4.2), kept in the
    same transaction as the message and the read mark so the menu reads one row. No row: not known yet; the next
    read counts it once and stores it (membership, role and visit-status changes remove the row)."""

    __tablename__ = "dialogue_unread_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
