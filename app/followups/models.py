"""Agreed follow-up actions (överenskomna åtgärder) of DESIGN.md 4.4, the evidence of their done reports,
the reminder outbox, and personal calendar feeds."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core.models import Auditable, IdMixin, StoredFileMixin, TimestampMixin, UTCDateTime, utcnow
from app.extensions import Model
from app.units.models import Unit
from app.visits.models import Finding, Visit


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class FollowUpStatus(enum.StrEnum):
    proposed = "proposed"
    agreed = "agreed"
    done_reported = "done_reported"
    verified = "verified"
    cancelled = "cancelled"


class Side(enum.StrEnum):
    """The two parties that must both accept a follow-up: the supervising body and the reviewed unit."""

    supervisor = "supervisor"
    unit = "unit"


# A follow-up in one of these states gets no more reminders and no longer blocks closing its visit.
CLOSED_STATUSES = frozenset({FollowUpStatus.verified, FollowUpStatus.cancelled})
# Both sides have agreed to it (and nobody cancelled it since): what the report lists and the final gate counts.
AGREED_STATUSES = frozenset({FollowUpStatus.agreed, FollowUpStatus.done_reported, FollowUpStatus.verified})


class FollowUp(IdMixin, TimestampMixin, Auditable, Model):
    __tablename__ = "follow_ups"
    __audit_type__ = "follow_up"

    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    # The visit it was agreed in (always set when it comes from a finding); gates that visit's closing.
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    finding_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("findings.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The unit member responsible for carrying it out.
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # The reviewer who follows it up for the supervising body when it belongs to no visit (for a visit's
    # follow-up that is the visit's review team, with its lead reviewer first).
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[FollowUpStatus] = mapped_column(_enum(FollowUpStatus), default=FollowUpStatus.proposed, index=True)

    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    proposed_by_side: Mapped[Side] = mapped_column(_enum(Side, 10))
    # Each side's acceptance; the proposer's side counts as accepted when proposed.
    supervisor_accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    supervisor_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit_accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    unit_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # What the unit did, reported with "report done".
    done_description: Mapped[str | None] = mapped_column(Text)
    done_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_reported_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    # Why a reviewer sent a done report back (the latest reopening).
    reopen_note: Mapped[str | None] = mapped_column(Text)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the reviewer checked the effect.
    verification_note: Mapped[str | None] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()
    visit: Mapped[Visit | None] = relationship()
    finding: Mapped[Finding | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    supervisor_accepted_by: Mapped[User | None] = relationship(foreign_keys=[supervisor_accepted_by_id])
    unit_accepted_by: Mapped[User | None] = relationship(foreign_keys=[unit_accepted_by_id])
    done_reported_by: Mapped[User | None] = relationship(foreign_keys=[done_reported_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    evidence: Mapped[list[FollowUpEvidence]] = relationship(
        back_populates="follow_up", cascade="all, delete-orphan", order_by="FollowUpEvidence.created_at"
    )

    __table_args__ = (
        Index("ix_follow_ups_unit_status_due", "unit_id", "status", "due_date"),
        # The lists' default order (due date, then creation, then id: issue 16), read in index order a page at a time.
        Index("ix_follow_ups_due_order", "due_date", "created_at", "id"),
        # The list's other sorts, each a range of one index per keyset page (issue 17); the unit's and the
        # responsible person's names come through a join, each one's follow-ups in this index's order.
        Index("ix_follow_ups_title_order", "title", "due_date", "created_at", "id"),
        Index("ix_follow_ups_status_order", "status", "due_date", "created_at", "id"),
        Index("ix_follow_ups_unit_order", "unit_id", "due_date", "created_at", "id"),
        Index("ix_follow_ups_owner_order", "owner_id", "due_date", "created_at", "id"),
    )

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, (("visit", self.visit_id) if self.visit_id else None)

    def is_overdue(self, today: date) -> bool:
        """Derived (DESIGN.md 4.4): agreed, due date passed, not reported done."""
        return self.status == FollowUpStatus.agreed and self.due_date < today

    def accepted_by(self, side: Side) -> bool:
        at = self.supervisor_accepted_at if side == Side.supervisor else self.unit_accepted_at
        return at is not None

    @property
    def is_agreed(self) -> bool:
        """Both sides have agreed to it and it was not cancelled (it may be reported done or verified since)."""
        return self.status in AGREED_STATUSES


class FollowUpEvidence(IdMixin, StoredFileMixin, Auditable, Model):
    """A photo or document the unit attaches to its done report; stored like a finding's evidence."""

    __tablename__ = "follow_up_evidence"
    __audit_type__ = "follow_up_evidence"

    follow_up_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))

    follow_up: Mapped[FollowUp] = relationship(back_populates="evidence")

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return (self.follow_up.unit_id if self.follow_up else None), ("follow_up", self.follow_up_id)


# ---- the reminder outbox -----------------------------------------------------------------------------


class ReminderStatus(enum.StrEnum):
    pending = "pending"  # written with the change that caused it; waits for its time
    queued = "queued"  # claimed by a sweep, a send task is on its way (leased)
    sending = "sending"  # claimed by a send task that is talking to the mail server (leased)
    sent = "sent"
    skipped = "skipped"  # a later reminder of the same follow-up was due too and went instead
    obsolete = "obsolete"  # no longer applies: done, cancelled, new due date or deadline, visit moved on
    failed = "failed"  # refused for good (SMTP 5xx) or given up after the last attempt: shown to coordinators


UNSENT_STATUSES = (ReminderStatus.pending, ReminderStatus.queued, ReminderStatus.sending)
LEASED_STATUSES = (ReminderStatus.queued, ReminderStatus.sending)


class Reminder(IdMixin, Model):
    """One reminder e-mail (to one or more people), identified by (follow-up, kind, due date) or, for the
    kommunicering deadline, by (visit, kind, deadline). It is sent at most once for that identity."""

    __tablename__ = "reminders"

    follow_up_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    # "follow_up_before_7d", "follow_up_due", "follow_up_after_3d", "comment_deadline_before_3d".
    kind: Mapped[str] = mapped_column(String(40))
    # Days from the due date (or deadline) to the day it is sent: -7, 0, 3.
    offset_days: Mapped[int] = mapped_column(Integer)
    # The follow-up's due date (or the comment deadline) this reminder is about: part of its identity.
    due_date: Mapped[date] = mapped_column(Date)
    # The local (Europe/Stockholm) day it is sent, and the moment it may go: that day at 07:00 local, in UTC.
    send_on: Mapped[date] = mapped_column(Date)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ReminderStatus] = mapped_column(_enum(ReminderStatus), default=ReminderStatus.pending, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Until when the sweep or send task that claimed it owns it; past it, a sweep takes it back.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Ids (as text) of the people whose e-mail was handed to the e-mail outbox, and of those refused for good.
    delivered_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    failed_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Why it was skipped, made obsolete or failed; the last temporary error while it is retried.
    detail: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    follow_up: Mapped[FollowUp | None] = relationship()
    visit: Mapped[Visit | None] = relationship()

    __table_args__ = (
        UniqueConstraint("follow_up_id", "kind", "due_date"),
        UniqueConstraint("visit_id", "kind", "due_date"),
        CheckConstraint("(follow_up_id IS NULL) <> (visit_id IS NULL)", name="one_subject"),
        # The sweep's queries: what is due, and leases that ran out; only unsent rows are indexed.
        Index(
            "ix_reminders_unsent",
            "status",
            "send_after",
            "lease_until",
            postgresql_where=text("status IN ('pending', 'queued', 'sending')"),
            sqlite_where=text("status IN ('pending', 'queued', 'sending')"),
        ),
        # /reminders: a status's page in send_after order, and the count per status, from the index alone.
        Index("ix_reminders_status_send_after", "status", "send_after", "id"),
    )

    @property
    def subject_id(self) -> uuid.UUID:
        return self.follow_up_id or self.visit_id  # type: ignore[return-value]

    @property
    def is_for_follow_up(self) -> bool:
        return self.follow_up_id is not None


class ReminderSweep(Model):
    """One row per sweep kind: its row lock lets only one sweep act at a time, and it tells coordinators
    when the sweep last ran (so a stopped beat is visible)."""

    __tablename__ = "reminder_sweeps"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the last sweep did: {"claimed": n, "recovered": n, "skipped": n, "obsolete": n}.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReminderStatusCount(Model):
    """How many reminders have each status: one small row per status, kept by database triggers on ``reminders``
    (migration 0024: insert, a change of status, delete; statement-level over the transition tables on
    PostgreSQL, one grouped upsert per statement) in the same transaction as the change, so /reminders reads its
    tabs' counts in one primary-key scan whatever the number of reminders (issue 17, cause 5)."""

    __tablename__ = "reminder_status_counts"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)


class FollowUpCount(Model):
    """A person's open follow-ups as their start page counts them (``services.summary``), grouped by ``bucket``
    (``counts.BUCKETS``: the status, and for a proposal which sides have not accepted it yet) and, for agreed ones,
    due date (the others on ``counts.UNDATED``): a few hundred small rows per person at most, read with one index
    range scan whatever the number of follow-ups. Kept by ``app.followups.counts`` in the same transaction as
    every change that moves a follow-up in or out of someone's count (issue 17). The row with bucket ``known`` says the
    person's counts are complete (``due_date``: the day they were counted afresh); without it the start page
    counts the follow-ups directly."""

    __tablename__ = "follow_up_counts"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(20), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        # The rows a change has brought down to nothing, found (and removed) without reading the others.
        Index(
            "ix_follow_up_counts_empty",
            "user_id",
            postgresql_where=text("total = 0"),
            sqlite_where=text("total = 0"),
        ),
    )


# ---- calendar feeds ------------------------------------------------------------------------------------


class CalendarFeed(IdMixin, Auditable, Model):
    """A person's secret calendar link (ICS) of their follow-up due dates and planned visits.

    The secret in the link is an HMAC of the row's id under SECRET_KEY, so the database alone does not
    reveal it and the profile page can show the link again; revoking sets ``revoked_at`` and a new link
    gets a new row."""

    __tablename__ = "calendar_feeds"
    __audit_type__ = "calendar_feed"
    __audit_ignore__ = frozenset({"created_at", "last_used_at"})

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return None, ("user", self.user_id)
