"""Reviewed units (granskade enheter) and who belongs to them."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.input import fold
from app.core.models import Auditable, IdMixin, TimestampMixin
from app.extensions import Model


class UnitKind(enum.StrEnum):
    school = "school"
    preschool = "preschool"
    elderly_care = "elderly_care"
    disability_care = "disability_care"
    social_services = "social_services"
    municipal_office = "municipal_office"
    other = "other"


class TrustLevel(enum.StrEnum):
    baseline = "baseline"
    closer_review = "closer_review"


class Unit(IdMixin, TimestampMixin, Auditable, Model):
    __tablename__ = "units"
    __audit_type__ = "unit"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The name folded for comparing and searching (app.core.input.fold): set with the name, unique, so "åby skola"
    # is the same unit as "Åby skola" on SQLite (whose lower() folds only A–Z) and PostgreSQL alike.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[UnitKind] = mapped_column(
        Enum(UnitKind, native_enum=False, length=30, validate_strings=True), default=UnitKind.other
    )
    contact_email: Mapped[str | None] = mapped_column(String(320))
    # Where the unit is (the calendar's location), who runs it (huvudman) and its organisation number
    # (organisationsnummer, NNNNNN-NNNN, Luhn-checked), all optional (issue 16).
    address: Mapped[str | None] = mapped_column(String(300))
    owner: Mapped[str | None] = mapped_column(String(200))
    # The municipality the unit is in (not always its owner's): how a good example shown without the unit's name
    # still says where it is (DESIGN.md 4.5), and a filter of the lists.
    municipality: Mapped[str | None] = mapped_column(String(100))
    organisation_number: Mapped[str | None] = mapped_column(String(11))
    trust_level: Mapped[TrustLevel] = mapped_column(
        Enum(TrustLevel, native_enum=False, length=20, validate_strings=True),
        default=TrustLevel.baseline,
        index=True,
    )

    memberships: Mapped[list[Membership]] = relationship(back_populates="unit", cascade="all, delete-orphan")

    __audit_ignore__ = frozenset({"updated_at", "created_at", "name_key"})

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = fold(name or "")
        return name

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.id, None

    def __repr__(self) -> str:
        return f"<Unit {self.name!r}>"


class Membership(IdMixin, TimestampMixin, Auditable, Model):
    """A person belongs to a unit (företrädare för granskad enhet). The person's side of the link is
    ``User.memberships`` (app.auth): units know no people, so the two domains do not import each other."""

    __tablename__ = "unit_memberships"
    __audit_type__ = "membership"

    unit_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("units.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)

    unit: Mapped[Unit] = relationship(back_populates="memberships")

    __table_args__ = (UniqueConstraint("unit_id", "user_id"),)

    def audit_scope(self) -> tuple[uuid.UUID | None, tuple[str, uuid.UUID] | None]:
        return self.unit_id, ("user", self.user_id)
