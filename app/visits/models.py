"""Review templates (versioned), visits with their team and case number, findings, evidence, the unit's
responses and the stored final report."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.auth.models import User
from app.core.models import Auditable, FileKind, IdMixin, StoredFileMixin, TimestampMixin, UTCDateTime, utcnow
from app.extensions import Model
from app.units.models import Unit


def _enum(cls: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class Template(IdMixin, TimestampMixin, Auditable, Model):
    """A review template (granskningsmall); its content lives in versions, the newest is current."""

    __tablename__ = "templates"
    __audit_type__ = "template"

    name: Mapped[str] = mapped_column(String(200))
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)

    versions: Mapped[list[TemplateVersion]] = relationship(
        back_populates="template", order_by="TemplateVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> TemplateVersion:
        return self.versions[-1]


class TemplateVersion(IdMixin, Auditable, Model):
    """One version of a template. A version that a visit uses is never changed again: editing makes a new one."""

    __tablename__ = "template_versions"
    __audit_type__ = "template_version"

    template_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("templates.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    # What the review is for and the law it rests on; the report quotes both (DESIGN.md 4.1).
    purpose: Mapped[str] = mapped_column(Text, default="", server_default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[Template] = relationship(back_populates="versions")
    areas: Mapped[list[ReviewArea]] = relationship(
        back_populates="version", order_by="ReviewArea.position", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("template_id", "number"),)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return None, ("template", self.template_id)


class ReviewArea(IdMixin, Model):
    """A heading of a template (granskningsområde) with its guiding questions, one per line."""

    __tablename__ = "review_areas"

    version_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("template_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    # Guiding questions, one per line, in order.
    questions: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[TemplateVersion] = relationship(back_populates="areas")

    @property
    def question_list(self) -> list[str]:
        return [q for q in self.questions.splitlines() if q.strip()]


class VisitPurpose(enum.StrEnum):
    planned = "planned"
    follow_up = "follow_up"
    closer_review = "closer_review"


class VisitStatus(enum.StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    draft = "draft"
    sent_for_comment = "sent_for_comment"
    final = "final"
    closed = "closed"
    # Outside the line: a planned or started visit the lead or a coordinator called off (DESIGN.md 4.1).
    cancelled = "cancelled"


# The order of the status machine; the unit sees findings and the report from sent_for_comment on.
# ``cancelled`` stands outside it (a cancelled visit was never open to the unit).
STATUS_ORDER: list[VisitStatus] = [status for status in VisitStatus if status != VisitStatus.cancelled]
# A visit that is not closed or cancelled: it is still someone's work (lists of work, jäv over time).
OPEN_STATUSES = (
    VisitStatus.planned,
    VisitStatus.in_progress,
    VisitStatus.draft,
    VisitStatus.sent_for_comment,
    VisitStatus.final,
)


class CaseCounter(Model):
    """The last case number given out per year; incremented in the visit's own transaction (gap-free)."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Visit(IdMixin, TimestampMixin, Auditable, Model):
    __tablename__ = "visits"
    __audit_type__ = "visit"

    case_number: Mapped[str] = mapped_column(String(30), unique=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    template_version_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("template_versions.id", ondelete="RESTRICT"), index=True
    )
    purpose: Mapped[VisitPurpose] = mapped_column(_enum(VisitPurpose), default=VisitPurpose.planned)
    status: Mapped[VisitStatus] = mapped_column(_enum(VisitStatus), default=VisitStatus.planned, index=True)
    # Empty while a closer review is still unplanned.
    visit_date: Mapped[date | None] = mapped_column(Date, index=True)
    aim: Mapped[str] = mapped_column(Text, default="")
    # The lead's summary of the visit: the report opens with it (DESIGN.md 4.1); written until the report is final.
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    comment_deadline: Mapped[date | None] = mapped_column(Date)
    sent_for_comment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who finalised the report ("fastställd av", DESIGN.md 4.1): the lead reviewer or a coordinator.
    finalised_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The lead reviewer's written reason why kommunicering was clearly unnecessary (förvaltningslagen 25 §).
    kommunicering_waiver: Mapped[str | None] = mapped_column(Text)
    # Why the visit was cancelled, shown to both parties (DESIGN.md 4.1).
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the lead took the draft back from kommunicering (the latest time), shown to the unit (DESIGN.md 4.1).
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The earlier visit this one follows up.
    previous_visit_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("visits.id", ondelete="SET NULL"), index=True
    )

    unit: Mapped[Unit] = relationship()
    template_version: Mapped[TemplateVersion] = relationship()
    team: Mapped[list[TeamMember]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="TeamMember.is_lead.desc()"
    )
    findings: Mapped[list[Finding]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="Finding.created_at"
    )
    previous_visit: Mapped[Visit | None] = relationship(remote_side="Visit.id")
    finalised_by: Mapped[User | None] = relationship(foreign_keys=[finalised_by_id])

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, None

    @property
    def lead(self) -> User | None:
        return next((m.user for m in self.team if m.is_lead), None)

    @property
    def team_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(m.user_id for m in self.team)

    @property
    def is_open_to_unit(self) -> bool:
        """From kommunicering on the unit sees findings and the report (DESIGN.md 4.1)."""
        if self.status == VisitStatus.cancelled:
            return False
        return STATUS_ORDER.index(self.status) >= STATUS_ORDER.index(VisitStatus.sent_for_comment)


class TeamMember(IdMixin, Auditable, Model):
    __tablename__ = "visit_team_members"
    __audit_type__ = "team_member"

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)

    visit: Mapped[Visit] = relationship(back_populates="team")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("visit_id", "user_id"),)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return (self.visit.unit_id if self.visit else None), ("visit", self.visit_id)


class FindingKind(enum.StrEnum):
    strength = "strength"
    development = "development"
    deviation = "deviation"


class Severity(enum.StrEnum):
    minor = "minor"
    serious = "serious"


class Finding(IdMixin, TimestampMixin, Auditable, Model):
    __tablename__ = "findings"
    __audit_type__ = "finding"

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    review_area_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("review_areas.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[FindingKind] = mapped_column(_enum(FindingKind))
    # Only deviations have a severity.
    severity: Mapped[Severity | None] = mapped_column(_enum(Severity, 10))
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    visit: Mapped[Visit] = relationship(back_populates="findings")
    created_by: Mapped[User | None] = relationship()
    review_area: Mapped[ReviewArea | None] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="finding", cascade="all, delete-orphan", order_by="Evidence.created_at"
    )

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return (self.visit.unit_id if self.visit else None), ("visit", self.visit_id)


# The kind of a stored upload is the kernel's (app.core.models.FileKind); the old name stays for callers.
EvidenceKind = FileKind


class Evidence(IdMixin, StoredFileMixin, Auditable, Model):
    """A photo or document attached to a finding; stored under a server-generated name outside static/."""

    __tablename__ = "evidence"
    __audit_type__ = "evidence"

    finding_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    # What the photo shows, in a sentence: the report's caption and the image's alt text (DESIGN.md 4.1).
    caption: Mapped[str] = mapped_column(Text, default="", server_default="")

    finding: Mapped[Finding] = relationship(back_populates="evidence")

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        unit_id = self.finding.visit.unit_id if self.finding and self.finding.visit else None
        return unit_id, ("finding", self.finding_id)


class Stance(enum.StrEnum):
    agree = "agree"
    partly = "partly"
    disagree = "disagree"


class Response(IdMixin, Auditable, Model):
    """The unit's comment (yttrande) on the report as a whole (no finding) or on one finding.

    An incoming document: received-at is set when submitted and the row is never changed; a correction
    is a new response. The newest response per finding (or for the whole report) is the current one."""

    __tablename__ = "responses"
    __audit_type__ = "response"

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    finding_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    stance: Mapped[Stance | None] = mapped_column(_enum(Stance, 10))
    text: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by: Mapped[User | None] = relationship()
    visit: Mapped[Visit] = relationship()
    finding: Mapped[Finding | None] = relationship()

    __table_args__ = (Index("ix_responses_visit_finding", "visit_id", "finding_id", "received_at"),)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.visit.unit_id, ("visit", self.visit_id)

    @property
    def answers_earlier_draft(self) -> bool:
        """It answered a draft the lead later took back for revision (DESIGN.md 4.1): kept as it came in, but
        no longer the unit's answer to the report out for comment. Derived from the time of the latest
        withdrawal, so the incoming document itself never changes."""
        withdrawn = self.visit.withdrawn_at
        return withdrawn is not None and self.received_at <= withdrawn


class ResponseComment(IdMixin, TimestampMixin, Auditable, Model):
    """The authority's comment on one of the unit's responses: how it was taken into account (DESIGN.md 4.1).
    The team's own text beside the incoming document, which itself never changes; written and changed until
    the report is final, then part of it."""

    __tablename__ = "response_comments"
    __audit_type__ = "response_comment"

    response_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("responses.id", ondelete="CASCADE"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    # One way only: a comment never touches its response (an incoming document whose row never changes).
    response: Mapped[Response] = relationship()
    written_by: Mapped[User | None] = relationship()

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.response.visit.unit_id, ("visit", self.response.visit_id)


class FinalReport(IdMixin, Auditable, Model):
    """The final report's PDF, stored once when the visit becomes final and served byte-identical after."""

    __tablename__ = "final_reports"
    __audit_type__ = "final_report"
    __audit_redact__ = frozenset({"pdf"})

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="RESTRICT"), unique=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[Visit] = relationship()

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.visit.unit_id, ("visit", self.visit_id)


def refuse_changes_to_documents(session: Session, flush_context: Any, instances: Any) -> None:
    """A response or a final report is written once and never changed or removed through the ORM (the
    database refuses an UPDATE too, see the migration): a correction is a new response."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (Response, FinalReport)) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError(f"{obj.__tablename__} rows are never changed once written")
