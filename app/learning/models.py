"""Learning (DESIGN.md 4.5): good examples of the library (proposed by the team, shared only with the unit's
consent)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
