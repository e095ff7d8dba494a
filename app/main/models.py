"""Reports of accessibility problems, sent from the accessibility statement (lagen (2018:1937) om tillgänglighet
till digital offentlig service asks for a way to report barriers)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Auditable, IdMixin, UTCDateTime, utcnow
from app.extensions import Model

if TYPE_CHECKING:
    from app.auth.models import User

DESCRIPTION_MAX = 5000
PAGE_MAX = 500
NAME_MAX = 200
NOTE_MAX = 5000


class AccessibilityReport(IdMixin, Auditable, Model):
    """A barrier someone met, logged in or not; open until a coordinator notes what was done about it."""

    __tablename__ = "accessibility_reports"
    __audit_type__ = "accessibility_report"
    # The trail is append-only and may outlive the report: what a person wrote and who they are stay in the
    # report row (which can be erased on request), the trail records only that they were given.
    __audit_redact__ = frozenset({"description", "contact_email", "contact_name"})

    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    description: Mapped[str] = mapped_column(Text)
    # Where the barrier was met, as the person gave it: a path of this site (from the footer link) or free text.
    page: Mapped[str | None] = mapped_column(String(PAGE_MAX))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    # The language of the page the report was sent from: the answer is best given in it.
    language: Mapped[str] = mapped_column(String(5))
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # What was done or answered, written by the coordinator who handled it.
    handled_note: Mapped[str | None] = mapped_column(Text)

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id], lazy="raise")
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id], lazy="raise")

    @property
    def is_handled(self) -> bool:
        return self.handled_at is not None

    def mark_handled(self, *, by_id: uuid.UUID | None, note: str) -> None:
        self.handled_at = utcnow()
        self.handled_by_id = by_id
        self.handled_note = note
