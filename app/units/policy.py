"""Who may see which units (DESIGN.md 4.6): the getters every query for a unit goes through.

Coordinators and reviewers see every unit; a unit member only their own. Another unit is a 404, never a 403.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from app.core import access, audit
from app.core.errors import NotFound
from app.extensions import db
from app.units.models import Membership, Unit

if TYPE_CHECKING:
    from app.auth.models import User


def visible_units(actor: User | access.Actor) -> Select[Unit]:
    """The units a person may see, as a query to filter and order further."""
    query = select(Unit)
    if not actor.is_staff:
        query = query.where(Unit.id.in_(select(Membership.unit_id).where(Membership.user_id == actor.id)))
    return query


def owners(actor: User | access.Actor) -> list[str]:
    """The owners (huvudmän: the municipality, region or company running them) of the units the actor may see,
    distinct and sorted: the choices of a list's municipality filter (issue 16)."""
    query = (
        visible_units(actor)
        .with_only_columns(Unit.owner)
        .where(Unit.owner.is_not(None), Unit.owner != "")
        .distinct()
        .order_by(None)
    )
    return sorted((o for o in db.session.scalars(query) if o), key=str.casefold)


def get_unit(actor: User | access.Actor, unit_id: uuid.UUID) -> Unit:
    """A unit the actor may see; NotFound (404) for another unit's or one that does not exist."""
    unit = db.session.get(Unit, unit_id) if access.can_see_unit(actor, unit_id) else None
    if unit is None:
        raise NotFound(_("The unit does not exist or you may not see it."))
    return unit


def can_manage_units(actor: Any) -> bool:
    """Creating and changing units is the coordinators' (DESIGN.md 4.6)."""
    return bool(actor.is_coordinator)


access.register_guarded_object("unit_id", get_unit)
audit.register_audit_type("unit", get=get_unit, unit_may_read=True)
audit.register_audit_type("membership", unit_may_read=True)
