"""/api/v1/planning (DESIGN.md 4.7)"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from marshmallow import fields

from app.api.blueprint import blp
from app.api.schemas import ApiSchema, PageArgs, PersonRefSchema, page_of
from app.core.models import local_today
from app.planning import services
from app.units.models import TrustLevel, UnitKind


class PlanningArgs(PageArgs):
    due_before = fields.Date(load_default=None)
    unit_kind = fields.Enum(UnitKind, by_value=True, load_default=None)
    trust_level = fields.Enum(TrustLevel, by_value=True, load_default=None)
    reviewer = fields.UUID(load_default=None)
    include_planned = fields.Boolean(load_default=True)


class PlannedVisitSchema(ApiSchema):
    id = fields.UUID()
    case_number = fields.String()
    visit_date = fields.Date(allow_none=True)
    status = fields.String()


class PlanSchema(ApiSchema):
    unit_id = fields.Function(lambda p: str(p.unit.id))
    unit_name = fields.Function(lambda p: p.unit.name)
    unit_kind = fields.Function(lambda p: p.unit.kind.value)
    trust_level = fields.Function(lambda p: p.unit.trust_level.value)
    interval_months = fields.Function(lambda p: p.interval.months)
    interval_reason_code = fields.Function(lambda p: p.interval.reason.value)
    interval_reason = fields.Function(lambda p: p.interval.sentence)
    next_visit_due = fields.Date(attribute="next_due")
    last_visit_date = fields.Date(allow_none=True)
    last_reviewer = fields.Nested(PersonRefSchema, allow_none=True)
    planned_visit = fields.Nested(PlannedVisitSchema, allow_none=True)


PlanPage = page_of(PlanSchema, "PlanPage")


@blp.route("/planning", methods=["GET"])
@blp.arguments(PlanningArgs, location="query")
@blp.response(200, PlanPage)
def planning(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Units by next visit due, overdue first, with ``interval_months``, ``interval_reason`` (one sentence in the
    request's language), ``next_visit_due`` and ``planned_visit`` (reviewers and coordinators; 403 otherwise).
    Unlike the page, units with a planned visit are included unless ``include_planned=false``."""
    page, size = args["page"], args["per_page"]
    items, total = services.planning_page(
        current_user,
        today=local_today(),
        page=page,
        per_page=size,
        unit_kind=args["unit_kind"],
        trust_level=args["trust_level"],
        reviewer_id=args["reviewer"],
        due_before=args["due_before"],
        include_planned=args["include_planned"],
    )
    return {"items": items, "page": page, "per_page": size, "total": total}
