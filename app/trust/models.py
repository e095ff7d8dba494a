"""Conditional trust (villkorat förtroende, DESIGN.md 4.3): the indicator catalogue, the units' readings, boundaries
agreed as versions, breaches of them, and the history of each unit's trust level."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
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
from app.core.models import Auditable, IdMixin, TimestampMixin, UTCDateTime, utcnow
from app.extensions import Model
from app.units.models import TrustLevel, Unit


def _enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class Indicator(IdMixin, TimestampMixin, Auditable, Model):
    """A measure in the catalogue (indikator) that units report values of, once per month."""

    __tablename__ = "indicators"
    __audit_type__ = "indicator"

    # Stable identifier used in CSV files and the API ("larm_inom_10_min"); never changes once created.
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name_sv: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # "%", "per 1000 vårddygn", "dagar"…: written after each value.
    unit_of_measure: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The values a reading may take, inclusive; None means no bound (a percentage: 0 and 100). DESIGN.md 4.3.
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    # The unit kinds (UnitKind values) that report this indicator, comma-separated; empty means every kind.
    unit_kinds: Mapped[str] = mapped_column(String(200), default="")

    @property
    def kinds(self) -> list[str]:
        """The unit kinds this indicator applies to; empty means all."""
        return [k for k in (self.unit_kinds or "").split(",") if k]

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or str(kind) in self.kinds

    def name_in(self, language: str | None) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_sv

    @property
    def name(self) -> str:
        from flask_babel import get_locale

        return self.name_in(str(get_locale() or "sv"))


class Reading(IdMixin, TimestampMixin, Auditable, Model):
    """A unit's value of an indicator for one month (mätvärde). Reporting the month again corrects the value:
    the row is updated, and the audit trail keeps what it was."""

    __tablename__ = "readings"
    __audit_type__ = "reading"
    __audit_ignore__ = frozenset({"updated_at", "created_at", "reported_at"})

    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="CASCADE"))
    indicator_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("indicators.id", ondelete="RESTRICT"), index=True)
    # "YYYY-MM"; sorts chronologically as text.
    period: Mapped[str] = mapped_column(String(7))
    value: Mapped[float] = mapped_column(Float)
    # "form", "csv", "api" or "cli": how the value came in.
    source: Mapped[str] = mapped_column(String(10), default="form")
    reported_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the value was replaced by a later report of the same period.
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when someone who may report the unit's readings takes a wrong value back (with a reason). A withdrawn
    # reading stays in the history but counts nowhere: not in charts, not in evaluation. Reporting the period
    # again brings it back with the new value.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    indicator: Mapped[Indicator] = relationship()
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    # The evaluation reads "the k most recent periods" of one unit and indicator through this index.
    __table_args__ = (UniqueConstraint("unit_id", "indicator_id", "period"),)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, None


class BoundaryKind(enum.StrEnum):
    indicator = "indicator"
    serious_deviation = "serious_deviation"
    overdue_follow_up = "overdue_follow_up"


class Comparator(enum.StrEnum):
    """The wrong side of the threshold: ``<`` means "breached when below"."""

    gt = ">"
    ge = ">="
    lt = "<"
    le = "<="


class Side(enum.StrEnum):
    """The two parties of an agreement: the supervising body and the reviewed unit."""

    supervisor = "supervisor"
    unit = "unit"

    @property
    def other(self) -> Side:
        return Side.unit if self is Side.supervisor else Side.supervisor


class VersionStatus(enum.StrEnum):
    proposed = "proposed"  # waiting for the other party
    active = "active"  # agreed and in force
    superseded = "superseded"  # was in force until a successor was agreed
    ended = "ended"  # an agreed proposal to end the boundary
    rejected = "rejected"  # the other party declined
    withdrawn = "withdrawn"  # the proposing party took it back


class Boundary(IdMixin, Auditable, Model):
    """A trust boundary (förtroendegräns) of a unit; what it says lives in its versions, one of which is in force."""

    __tablename__ = "boundaries"
    __audit_type__ = "boundary"

    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="CASCADE"), index=True)
    kind: Mapped[BoundaryKind] = mapped_column(_enum(BoundaryKind, 30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a first version was agreed: events before it (serious deviations) are not breaches of it.
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    versions: Mapped[list[BoundaryVersion]] = relationship(
        back_populates="boundary", order_by="BoundaryVersion.number", cascade="all, delete-orphan"
    )

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, None

    @property
    def active_version(self) -> BoundaryVersion | None:
        return next((v for v in self.versions if v.status == VersionStatus.active), None)

    @property
    def pending_version(self) -> BoundaryVersion | None:
        return next((v for v in self.versions if v.status == VersionStatus.proposed), None)

    @property
    def latest_version(self) -> BoundaryVersion:
        return self.versions[-1]


class BoundaryVersion(IdMixin, Auditable, Model):
    """One proposal of what a boundary says. It is in force only once the other party has accepted it; the
    version in force stays so until a successor is accepted (DESIGN.md 4.3)."""

    __tablename__ = "boundary_versions"
    __audit_type__ = "boundary_version"

    boundary_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("boundaries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[VersionStatus] = mapped_column(_enum(VersionStatus), default=VersionStatus.proposed, index=True)
    # A proposal to end the boundary rather than to change what it says.
    ends_boundary: Mapped[bool] = mapped_column(Boolean, default=False)

    # kind "indicator": breached when the k most recent readings are all <comparator> threshold.
    indicator_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("indicators.id", ondelete="RESTRICT"), index=True
    )
    comparator: Mapped[Comparator | None] = mapped_column(_enum(Comparator, 2))
    threshold: Mapped[float | None] = mapped_column(Float)
    periods: Mapped[int | None] = mapped_column(Integer)
    # kind "overdue_follow_up": more than this many days past the due date.
    days: Mapped[int | None] = mapped_column(Integer)
    # Why the parties agree on it, in plain words.
    rationale: Mapped[str] = mapped_column(Text, default="")

    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    proposed_by_side: Mapped[Side] = mapped_column(_enum(Side, 10))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a successor (or an agreed end) took this version out of force.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    boundary: Mapped[Boundary] = relationship(back_populates="versions")
    indicator: Mapped[Indicator | None] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])
    rejected_by: Mapped[User | None] = relationship(foreign_keys=[rejected_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    __table_args__ = (
        UniqueConstraint("boundary_id", "number"),
        # At most one version in force and one proposal waiting per boundary, whatever races.
        Index(
            "uq_boundary_versions_active",
            "boundary_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index(
            "uq_boundary_versions_proposed",
            "boundary_id",
            unique=True,
            sqlite_where=text("status = 'proposed'"),
            postgresql_where=text("status = 'proposed'"),
        ),
    )

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return (self.boundary.unit_id if self.boundary else None), ("boundary", self.boundary_id)

    @property
    def kind(self) -> BoundaryKind:
        return self.boundary.kind


class Breach(IdMixin, Auditable, Model):
    """A boundary version found crossed (gränsöverskridande). It stays open until a reviewer closes it with a
    note, even when later data no longer crosses the boundary: trust never drops, nor returns, by itself."""

    __tablename__ = "breaches"
    __audit_type__ = "breach"

    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="CASCADE"), index=True)
    boundary_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("boundaries.id", ondelete="CASCADE"), index=True)
    boundary_version_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("boundary_versions.id", ondelete="CASCADE"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What crossed the boundary: for an indicator the readings of the window ({"readings": [[period, value]…]}),
    # otherwise the findings or follow-ups ({"findings": [...]} / {"follow_ups": [...]}).
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Identities of the facts this breach covers ("<indicator id>:<period>", "finding:<id>", "follow_up:<id>:<due>");
    # a fact already covered by a breach of the boundary never opens another.
    trigger_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The closer-review visit opened (or already open) when this breach was found; empty if none could be planned.
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="SET NULL"), index=True)
    # Set when a later evaluation found the boundary no longer crossed (a correction, a follow-up reported done);
    # cleared again if it is crossed again. The breach stays open either way.
    condition_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    close_note: Mapped[str | None] = mapped_column(Text)

    boundary: Mapped[Boundary] = relationship()
    version: Mapped[BoundaryVersion] = relationship()
    unit: Mapped[Unit] = relationship()
    closed_by: Mapped[User | None] = relationship()

    __table_args__ = (
        # One open breach per boundary version, however often and however concurrently evaluation runs.
        Index(
            "uq_breaches_open_version",
            "boundary_version_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, ("boundary", self.boundary_id)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class TrustChange(IdMixin, Auditable, Model):
    """One change of a unit's trust level, with why and by whom: the unit's trust history."""

    __tablename__ = "trust_changes"
    __audit_type__ = "trust_change"

    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="CASCADE"), index=True)
    from_level: Mapped[TrustLevel] = mapped_column(_enum(TrustLevel))
    to_level: Mapped[TrustLevel] = mapped_column(_enum(TrustLevel))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The person who decided (restoring baseline); empty when a breach moved the unit.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The breach that moved the unit to closer review.
    breach_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("breaches.id", ondelete="SET NULL"), index=True
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()
    breach: Mapped[Breach | None] = relationship()

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, None
