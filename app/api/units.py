"""/api/v1/units"""

from __future__ import annotations

import uuid

from flask_login import current_user

from app.api.blueprint import blp
from app.api.idempotency import idempotent
from app.api.schemas import UnitPage, UnitQueryArgs, UnitSchema
from app.core.input import fold
from app.core.pagination import paginate
from app.units import policy as units_policy
from app.units import services
from app.units.models import Unit


@blp.route("/units", methods=["GET"])
@blp.arguments(UnitQueryArgs, location="query")
@blp.response(200, UnitPage)
def list_units(args: dict):  # type: ignore[no-untyped-def]
    """Units the caller may see (own units for a unit member), with their trust level."""
    query = units_policy.visible_units(current_user).order_by(Unit.name_key, Unit.id)
    if args.get("q"):
        query = query.where(Unit.name_key.contains(fold(args["q"]), autoescape=True))
    if args.get("trust_level"):
        query = query.where(Unit.trust_level == args["trust_level"])
    if args.get("unit_kind"):
        query = query.where(Unit.kind == args["unit_kind"])
    if args.get("owner"):
        query = query.where(Unit.owner == args["owner"])
    page = paginate(query, args, per_page=50)
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


@blp.route("/units", methods=["POST"])
@idempotent
@blp.arguments(UnitSchema)
@blp.response(201, UnitSchema)
def create_unit(data: dict):  # type: ignore[no-untyped-def]
    """Create a unit (coordinators)."""
    return services.create_unit(
        actor=current_user,
        name=data["name"],
        kind=data["kind"],
        contact_email=data.get("contact_email"),
        unit_id=data.get("id"),
        address=data.get("address"),
        owner=data.get("owner"),
        organisation_number=data.get("organisation_number"),
        municipality=data.get("municipality"),
    )


@blp.route("/units/<uuid:unit_id>", methods=["GET"])
@blp.response(200, UnitSchema)
def get_unit(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """One unit; another unit's id answers 404 for a unit member."""
    return units_policy.get_unit(current_user, unit_id)
