"""Learning (DESIGN.md 4.5): good examples of the library (proposed by the team, shared only with the unit's
consent) and the unit's self-assessment before a visit."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.auth.models import User
from app.core.models import Auditable, IdMixin, UTCDateTime, utcnow
from app.extensions import Model
from app.units.models import Unit
from app.visits.models import Finding, Visit


class ExampleStatus(enum.StrEnum):
    """proposed → consented (in the library) or declined; consented → withdrawn (out again, history kept)."""

    proposed = "proposed"
    consented = "consented"
    declined = "declined"
    withdrawn = "withdrawn"


class GoodExample(IdMixin, Auditable, Model):
    """A strength the review team proposed as a good example (one per finding). It is in the library only while
    ``status`` is consented; the unit chose whether it is named (else shown by its kind) and which photos show."""

    __tablename__ = "good_examples"
    __audit_type__ = "good_example"

    finding_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("findings.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    status: Mapped[ExampleStatus] = mapped_column(
        Enum(ExampleStatus, native_enum=False, length=20, validate_strings=True),
        default=ExampleStatus.proposed,
        index=True,
    )
    # The year of the visit, the library's "year" (fixed when proposed).
    year: Mapped[int] = mapped_column(Integer, index=True)
    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Shown with the unit's name (True) or only as "a <kind>" (False).
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    # The ids of the finding's photos the unit let the library show (strings, in the finding's order).
    photo_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

    finding: Mapped[Finding] = relationship()
    unit: Mapped[Unit] = relationship()
    visit: Mapped[Visit] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, ("visit", self.visit_id)

    @property
    def in_library(self) -> bool:
        return self.status == ExampleStatus.consented

    @property
    def shown_photos(self) -> list:
        """The finding's photos the unit consented to show, in the finding's order."""
        chosen = set(self.photo_ids or [])
        return [e for e in self.finding.evidence if str(e.id) in chosen and e.kind.value == "photo"]


# ---- the unit's self-assessment (DESIGN.md 4.5) -------------------------------------------------------

# The four steps of the scale, from "stämmer inte" (1) to "stämmer helt" (4).
RATINGS = (1, 2, 3, 4)


class SelfAssessmentDraft(IdMixin, Model):
    """What the unit's members have typed so far, before submitting: one per visit, changed freely.

    ``answers`` maps "<review area id>:<question index>" to {"rating": 1–4 or None, "text": str}."""

    __tablename__ = "self_assessment_drafts"

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    updated_by: Mapped[User | None] = relationship()


class SelfAssessment(IdMixin, Auditable, Model):
    """The unit's submitted self-assessment of a visit: an incoming document, received once and never changed or
    removed (the ORM refuses, and the database: see the migration's triggers). One per visit."""

    __tablename__ = "self_assessments"
    __audit_type__ = "self_assessment"

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="RESTRICT"), unique=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[Visit] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    answers: Mapped[list[SelfAssessmentAnswer]] = relationship(
        back_populates="assessment",
        order_by="(SelfAssessmentAnswer.area_position, SelfAssessmentAnswer.question_index)",
    )

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, ("visit", self.visit_id)

    def answers_of_area(self, area_id: uuid.UUID) -> list[SelfAssessmentAnswer]:
        return [a for a in self.answers if a.review_area_id == area_id]


class SelfAssessmentAnswer(IdMixin, Model):
    """One guiding question's answer, part of its submitted self-assessment (written with it, never changed).
    The question's wording is kept as it was asked."""

    __tablename__ = "self_assessment_answers"

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("self_assessments.id", ondelete="RESTRICT"), index=True
    )
    review_area_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("review_areas.id", ondelete="SET NULL"), index=True
    )
    area_position: Mapped[int] = mapped_column(Integer)
    area_title: Mapped[str] = mapped_column(Text)
    question_index: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    # 1 "stämmer inte" … 4 "stämmer helt"; empty when the unit left the scale unanswered.
    rating: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")

    assessment: Mapped[SelfAssessment] = relationship(back_populates="answers")


def refuse_changes_to_self_assessments(session: Session, flush_context: Any, instances: Any) -> None:
    """A submitted self-assessment and its answers are never changed or removed through the ORM (DESIGN.md 4.5;
    the database refuses too)."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (SelfAssessment, SelfAssessmentAnswer)) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise RuntimeError(f"{obj.__tablename__} rows are never changed once written")


# ---- feedback on the supervision (DESIGN.md 4.5) ----------------------------------------------------------

FEEDBACK_SCORES = (1, 2, 3, 4, 5)


class SupervisionFeedback(IdMixin, Auditable, Model):
    """One unit member's feedback on the supervision of one visit, given once after it is final: how useful,
    respectful and clear it was (1–5 each) and free text. Coordinators see it only summed up (never a name)."""

    __tablename__ = "supervision_feedback"
    __audit_type__ = "supervision_feedback"
    # Who gave which scores is not repeated in the trail: the trail says that feedback was given.
    __audit_redact__ = frozenset({"useful", "respectful", "clear", "text"})

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    useful: Mapped[int] = mapped_column(Integer)
    respectful: Mapped[int] = mapped_column(Integer)
    clear: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[Visit] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("visit_id", "user_id"),)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, ("visit", self.visit_id)
