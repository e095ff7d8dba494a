"""Agreed follow-up actions (överenskomna åtgärder) of DESIGN.md 4.4."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core.models import Auditable, IdMixin, TimestampMixin, UTCDateTime
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

    __table_args__ = (Index("ix_follow_ups_unit_status_due", "unit_id", "status", "due_date"),)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, (("visit", self.visit_id) if self.visit_id else None)

    def is_overdue(self, today: date) -> bool:
        """Derived (DESIGN.md 4.4): agreed, due date passed, not reported done."""
        return self.status == FollowUpStatus.agreed and self.due_date < today
