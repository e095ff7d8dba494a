"""Rules for units: who may create and edit them, and what a valid unit is."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from app.core import access, client_ids
from app.core.errors import InvalidInput
from app.core.input import fold
from app.extensions import db
from app.units import policy as units_policy
from app.units.models import Unit, UnitKind

if TYPE_CHECKING:
    from app.auth.models import User


def normalise_email(value: str | None, field: str, *, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput({field: [_("Enter an e-mail address.")]})
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput({field: [_("Enter a valid e-mail address, like name@example.se.")]}) from None


def _validated(name: str, kind: str | UnitKind, contact_email: str | None, *, unit_id: uuid.UUID | None) -> dict:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the unit's name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name may be at most %(n)d characters long.", n=200)]
    else:
        clash = select(Unit.id).where(Unit.name_key == fold(name))
        if unit_id is not None:
            clash = clash.where(Unit.id != unit_id)
        if db.session.scalar(clash) is not None:
            errors["name"] = [_("There is already a unit with this name.")]
    try:
        kind = UnitKind(kind or UnitKind.other)
    except ValueError:
        errors["kind"] = [_("Choose one of the listed kinds.")]
    try:
        email = normalise_email(contact_email, "contact_email", required=False)
    except InvalidInput as exc:
        errors.update(exc.errors)
        email = None
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "kind": kind, "contact_email": email}


def create_unit(
    *,
    actor: User,
    name: str,
    kind: str | UnitKind = UnitKind.other,
    contact_email: str | None = None,
    unit_id: uuid.UUID | None = None,
) -> Unit:
    """Create a unit. A client-chosen ``unit_id`` makes the call idempotent: repeating it returns the first unit."""
    from app.auth.models import Role

    access.require_role(actor, Role.coordinator)
    if (existing := client_ids.replayed(Unit, unit_id, is_replay=lambda u: True)) is not None:
        return existing  # coordinators see every unit: a repeated create is always theirs to see
    unit = Unit(id=unit_id or uuid.uuid4(), **_validated(name, kind, contact_email, unit_id=None))
    db.session.add(unit)
    db.session.flush()
    return unit


def update_unit(unit_id: uuid.UUID, *, actor: User, name: str, kind: str | UnitKind, contact_email: str | None) -> Unit:
    from app.auth.models import Role

    unit = units_policy.get_unit(actor, unit_id)
    access.require_role(actor, Role.coordinator)
    for key, value in _validated(name, kind, contact_email, unit_id=unit.id).items():
        setattr(unit, key, value)
    db.session.flush()
    return unit


def find_unit(reference: str) -> Unit | None:
    """A unit by id or by name, compared as ``fold`` does (CLI arguments: "östra gymnasiet" finds "Östra gymnasiet")."""
    try:
        found = db.session.get(Unit, uuid.UUID(reference))
        if found is not None:
            return found
    except ValueError:
        pass
    return db.session.scalar(select(Unit).where(Unit.name_key == fold(reference)))
