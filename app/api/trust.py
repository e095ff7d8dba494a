"""/api/v1 endpoints of conditional trust (API.md): the indicator catalogue, readings (one or a batch), boundaries
with every version and its agreement, accept/reject/withdraw, breaches, restoring baseline and the trust history.
The handlers hold no rule: they call the same services as the browser UI."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from app.api.blueprint import blp
from app.api.idempotency import idempotent
from app.api.schemas import ApiSchema, PageArgs, PersonRefSchema, actions_field, page_of
from app.core.errors import InvalidInput
from app.core.pagination import paginate
from app.trust import labels, queries, services
from app.trust import policy as trust_policy
from app.trust.models import Boundary, BoundaryKind, Comparator, Side, VersionStatus
from app.units import policy as units_policy
from app.units.models import TrustLevel, UnitKind

# ---- schemas --------------------------------------------------------------------------------------


class IndicatorSchema(ApiSchema):
    # Optional on create: a client-generated id makes a repeated create return the first result (API.md).
    id = fields.UUID(load_default=None)
    key = fields.String(required=True, validate=validate.Length(min=1, max=60))
    name_sv = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    unit_of_measure = fields.String(load_default="", validate=validate.Length(max=40))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    min_value = fields.Float(
        load_default=None, allow_none=True, metadata={"description": "lowest allowed value (inclusive); null: none"}
    )
    max_value = fields.Float(
        load_default=None, allow_none=True, metadata={"description": "highest allowed value (inclusive); null: none"}
    )
    unit_kinds = fields.List(
        fields.String(validate=validate.OneOf([k.value for k in UnitKind])),
        attribute="kinds",
        load_default=list,
        metadata={"description": "the kinds of unit that report this indicator; empty: every kind"},
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class IndicatorPatchSchema(ApiSchema):
    name_sv = fields.String(validate=validate.Length(min=1, max=200))
    name_en = fields.String(validate=validate.Length(min=1, max=200))
    unit_of_measure = fields.String(validate=validate.Length(max=40))
    description = fields.String(validate=validate.Length(max=5000))
    min_value = fields.Float(allow_none=True)
    max_value = fields.Float(allow_none=True)
    unit_kinds = fields.List(
        fields.String(validate=validate.OneOf([k.value for k in UnitKind])),
        attribute="kinds",
        metadata={"description": "the kinds of unit that report this indicator; empty: every kind"},
    )


IndicatorPage = page_of(IndicatorSchema, "IndicatorPage")


class ReadingSchema(ApiSchema):
    id = fields.UUID()
    unit_id = fields.UUID()
    indicator = fields.Function(lambda r: r.indicator.key)
    indicator_id = fields.UUID()
    period = fields.String(metadata={"example": "2026-03"})
    value = fields.Float()
    source = fields.String()
    reported_by_id = fields.UUID(allow_none=True)
    reported_at = fields.DateTime()
    corrected_at = fields.DateTime(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True, metadata={"description": "set when the reading was withdrawn"})
    withdrawn_by_id = fields.UUID(allow_none=True)
    withdrawal_reason = fields.String(allow_none=True)
    actions = actions_field(
        trust_policy.reading_actions, ("withdraw",), "the reading (``POST /readings/{id}/withdraw``)"
    )


class WithdrawReadingSchema(ApiSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


ReadingPage = page_of(ReadingSchema, "ReadingPage")


class ReadingInSchema(ApiSchema):
    """One reading; each field is checked by the service, which names the field and the problem."""

    indicator = fields.String(load_default=None, metadata={"description": "the indicator's key (or id)"})
    period = fields.String(load_default=None, metadata={"description": "YYYY-MM", "example": "2026-03"})
    value = fields.Raw(
        load_default=None, metadata={"description": 'a number (or a string like "93,5")', "number": True}
    )


class ReadingsInSchema(ReadingInSchema):
    """One reading ``{indicator, period, value}``, or a batch ``{"readings": [...]}`` stored all or nothing."""

    readings = fields.List(fields.Nested(ReadingInSchema), load_default=None)

    @validates_schema
    def _one_or_batch(self, data: dict[str, Any], **kwargs: Any) -> None:
        single = any(data.get(k) is not None for k in ("indicator", "period", "value"))
        if data.get("readings") is not None and single:
            raise ValidationError("Send one reading or a batch in 'readings', not both.", "readings")


class BreachSchema(ApiSchema):
    id = fields.UUID()
    unit_id = fields.UUID()
    boundary_id = fields.UUID()
    boundary_version_id = fields.UUID()
    title = fields.Function(lambda b: labels.title(b.version))
    opened_at = fields.DateTime()
    evidence = fields.Dict()
    visit_id = fields.UUID(allow_none=True)
    condition_cleared_at = fields.DateTime(allow_none=True)
    is_open = fields.Boolean()
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.Nested(PersonRefSchema, allow_none=True)
    close_note = fields.String(allow_none=True)
    actions = actions_field(trust_policy.breach_actions, ("close",), "the breach (``POST /breaches/{id}/close``)")


BreachPage = page_of(BreachSchema, "BreachPage")


class StoredReadingsSchema(ApiSchema):
    readings = fields.List(fields.Nested(ReadingSchema))
    created = fields.Integer()
    corrected = fields.Integer()
    unchanged = fields.Integer()
    breaches = fields.List(fields.Nested(BreachSchema), metadata={"description": "breaches these readings opened"})


class ReadingQueryArgs(PageArgs):
    indicator = fields.String(load_default=None, metadata={"description": "an indicator's key or id"})
    start = fields.String(
        data_key="from", load_default=None, validate=validate.Regexp(r"^\d{4}-\d{2}$"), metadata={"example": "2025-01"}
    )
    end = fields.String(
        data_key="to", load_default=None, validate=validate.Regexp(r"^\d{4}-\d{2}$"), metadata={"example": "2026-12"}
    )


class BoundaryVersionSchema(ApiSchema):
    id = fields.UUID()
    boundary_id = fields.UUID()
    number = fields.Integer()
    status = fields.Enum(VersionStatus, by_value=True)
    ends_boundary = fields.Boolean()
    indicator = fields.Function(lambda v: v.indicator.key if v.indicator else None)
    comparator = fields.Enum(Comparator, by_value=True, allow_none=True)
    threshold = fields.Float(allow_none=True)
    periods = fields.Integer(allow_none=True)
    days = fields.Integer(allow_none=True)
    rationale = fields.String()
    sentence = fields.Function(labels.sentence, metadata={"description": "the boundary in plain words"})
    proposed_by = fields.Nested(PersonRefSchema, allow_none=True)
    proposed_by_side = fields.Enum(Side, by_value=True)
    proposed_at = fields.DateTime()
    accepted_by = fields.Nested(PersonRefSchema, allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    rejected_by = fields.Nested(PersonRefSchema, allow_none=True)
    rejected_at = fields.DateTime(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    withdrawn_by = fields.Nested(PersonRefSchema, allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    superseded_at = fields.DateTime(allow_none=True)
    actions = actions_field(
        trust_policy.version_actions,
        ("accept", "reject", "withdraw"),
        "the proposal (``POST /boundary-versions/{id}/<action>``)",
    )


def _state(boundary: Boundary) -> str:
    if boundary.ended_at is not None:
        return "ended"
    if boundary.active_version is not None:
        return "active"
    if boundary.pending_version is not None:
        return "proposed"
    return "not_agreed"


class BoundarySchema(ApiSchema):
    id = fields.UUID()
    unit_id = fields.UUID()
    kind = fields.Enum(BoundaryKind, by_value=True)
    state = fields.Function(_state, metadata={"description": "active, proposed (a new boundary), ended or not_agreed"})
    created_at = fields.DateTime()
    agreed_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    active_version_id = fields.Function(lambda b: str(b.active_version.id) if b.active_version else None)
    pending_version_id = fields.Function(lambda b: str(b.pending_version.id) if b.pending_version else None)
    versions = fields.List(fields.Nested(BoundaryVersionSchema))


BoundaryPage = page_of(BoundarySchema, "BoundaryPage")


class ProposeSchema(ApiSchema):
    id = fields.UUID(load_default=None, metadata={"description": "client-generated id of the new version"})
    boundary_id = fields.UUID(
        load_default=None, metadata={"description": "propose a new version of this boundary (or its end)"}
    )
    kind = fields.String(load_default=None, metadata={"description": "indicator, serious_deviation, overdue_follow_up"})
    indicator = fields.String(load_default=None, metadata={"description": "indicator key (kind indicator)"})
    comparator = fields.String(load_default=None, metadata={"description": ">, >=, < or <= (the wrong side)"})
    threshold = fields.Raw(load_default=None)
    periods = fields.Raw(load_default=None, metadata={"description": "k, 1–24 (kind indicator)"})
    days = fields.Raw(load_default=None, metadata={"description": "d, 0–365 (kind overdue_follow_up)"})
    rationale = fields.String(load_default="")
    ends_boundary = fields.Boolean(load_default=False)


class RejectSchema(ApiSchema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class BreachQueryArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(["open", "closed"]))


class CloseSchema(ApiSchema):
    note = fields.String(load_default="")


class RestoreSchema(ApiSchema):
    reason = fields.String(load_default="")
    cancel_closer_review = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Also cancel the unit's open closer-review visit (planned or in progress) with the "
            "same reason (DESIGN.md 4.1)."
        },
    )


class TrustChangeSchema(ApiSchema):
    id = fields.UUID()
    unit_id = fields.UUID()
    from_level = fields.Enum(TrustLevel, by_value=True)
    to_level = fields.Enum(TrustLevel, by_value=True)
    reason = fields.String()
    actor = fields.Nested(PersonRefSchema, allow_none=True)
    breach_id = fields.UUID(allow_none=True)
    changed_at = fields.DateTime()


TrustChangePage = page_of(TrustChangeSchema, "TrustChangePage")


def _page(page: Any) -> dict[str, Any]:
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


# ---- indicators -----------------------------------------------------------------------------------


@blp.route("/indicators", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, IndicatorPage)
def list_indicators(args: dict):  # type: ignore[no-untyped-def]
    """The indicator catalogue (everyone)."""
    from app.trust.models import Indicator

    return _page(paginate(select(Indicator).order_by(Indicator.key), args, per_page=50))


@blp.route("/indicators", methods=["POST"])
@idempotent
@blp.arguments(IndicatorSchema)
@blp.response(201, IndicatorSchema)
def create_indicator(data: dict):  # type: ignore[no-untyped-def]
    """Add an indicator to the catalogue (coordinators)."""
    return services.create_indicator(
        actor=current_user,
        key=data["key"],
        name_sv=data["name_sv"],
        name_en=data["name_en"],
        unit_of_measure=data["unit_of_measure"],
        description=data["description"],
        min_value=data.get("min_value"),
        max_value=data.get("max_value"),
        unit_kinds=data.get("kinds") or [],
        indicator_id=data.get("id"),
    )


@blp.route("/indicators/<uuid:indicator_id>", methods=["GET"])
@blp.response(200, IndicatorSchema)
def get_indicator(indicator_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return trust_policy.get_indicator(current_user, indicator_id)


@blp.route("/indicators/<uuid:indicator_id>", methods=["PATCH"])
@idempotent
@blp.arguments(IndicatorPatchSchema)
@blp.response(200, IndicatorSchema)
def update_indicator(data: dict, indicator_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Change an indicator's names, unit of measure or description (coordinators); the key never changes."""
    indicator = trust_policy.get_indicator(current_user, indicator_id)
    return services.update_indicator(
        indicator.id,
        actor=current_user,
        name_sv=data.get("name_sv", indicator.name_sv),
        name_en=data.get("name_en", indicator.name_en),
        unit_of_measure=data.get("unit_of_measure", indicator.unit_of_measure),
        description=data.get("description", indicator.description),
        min_value=data.get("min_value", indicator.min_value),
        max_value=data.get("max_value", indicator.max_value),
        unit_kinds=data.get("kinds", indicator.kinds),
    )


# ---- readings -------------------------------------------------------------------------------------


@blp.route("/units/<uuid:unit_id>/readings", methods=["POST"])
@idempotent
@blp.arguments(ReadingsInSchema)
@blp.response(201, StoredReadingsSchema)
def post_readings(data: dict, unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Report one reading or a batch (all or nothing). A period reported again is corrected. Answers the stored
    readings and the breaches they opened."""
    batch = data.get("readings")
    items = [
        services.ReadingInput(r.get("indicator"), r.get("period"), r.get("value"))
        for r in (batch if batch is not None else [data])
    ]
    return services.record_readings(
        unit_id,
        items,
        actor=current_user,
        source="api",
        error_key=(lambda e: f"readings[{e.index}].{e.field}") if batch is not None else (lambda e: e.field),
    )


@blp.route("/units/<uuid:unit_id>/readings", methods=["GET"])
@blp.arguments(ReadingQueryArgs, location="query")
@blp.response(200, ReadingPage)
def list_readings(args: dict, unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The unit's readings, newest period first; ``indicator``, ``from`` and ``to`` narrow them."""
    unit = units_policy.get_unit(current_user, unit_id)
    indicator_id = None
    if args.get("indicator"):
        indicator = services.find_indicator(args["indicator"])
        if indicator is None:
            raise InvalidInput(
                {"indicator": [_("There is no indicator with the key “%(key)s”.", key=args["indicator"])]}
            )
        indicator_id = indicator.id
    query = services.readings_query(unit.id, indicator_id=indicator_id, start=args.get("start"), end=args.get("end"))
    return _page(paginate(query, args, per_page=50))


@blp.route("/readings/<uuid:reading_id>/withdraw", methods=["POST"])
@idempotent
@blp.arguments(WithdrawReadingSchema)
@blp.response(200, ReadingSchema)
def withdraw_reading(data: dict, reading_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Withdraw a wrong reading with a reason.

    Whoever may report the unit's readings may withdraw one. It stays in the history,
    no longer counts in charts or evaluation, and the unit's boundaries are evaluated again; a breach it opened
    stays open until someone closes it. 404 for a reading of a unit the caller cannot see; 422 when already
    withdrawn."""
    return services.withdraw_reading(reading_id, actor=current_user, reason=data["reason"])


# ---- boundaries -----------------------------------------------------------------------------------


@blp.route("/units/<uuid:unit_id>/boundaries", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, BoundaryPage)
def list_boundaries(args: dict, unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The unit's boundaries with every version: who proposed, who accepted or declined, and when."""
    unit = units_policy.get_unit(current_user, unit_id)
    boundaries = services.boundaries_of(unit.id)
    page = max(1, args["page"])
    size = args["per_page"]
    return {
        "items": boundaries[(page - 1) * size : page * size],
        "page": page,
        "per_page": size,
        "total": len(boundaries),
    }


@blp.route("/units/<uuid:unit_id>/boundaries", methods=["POST"])
@idempotent
@blp.arguments(ProposeSchema)
@blp.response(201, BoundaryVersionSchema)
def propose_boundary(data: dict, unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Propose a boundary, or a new version of one (``boundary_id``), or its end (``ends_boundary``). Nothing is in
    force until the other party accepts. A new boundary beyond MAX_ACTIVE_BOUNDARIES is refused (409)."""

    return services.propose_boundary(
        unit_id,
        actor=current_user,
        kind=data.get("kind"),
        indicator=data.get("indicator"),
        comparator=data.get("comparator"),
        threshold=data.get("threshold"),
        periods=data.get("periods"),
        days=data.get("days"),
        rationale=data.get("rationale") or "",
        boundary_id=data.get("boundary_id"),
        ends_boundary=data.get("ends_boundary", False),
        version_id=data.get("id"),
    )


@blp.route("/boundary-versions/<uuid:boundary_version_id>/accept", methods=["POST"])
@idempotent
@blp.response(200, BoundaryVersionSchema)
def accept_version(boundary_version_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The other party accepts the proposal: it comes into force, replacing the version that was."""
    return services.accept_version(boundary_version_id, actor=current_user)


@blp.route("/boundary-versions/<uuid:boundary_version_id>/reject", methods=["POST"])
@idempotent
@blp.arguments(RejectSchema)
@blp.response(200, BoundaryVersionSchema)
def reject_version(data: dict, boundary_version_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The other party declines, with an optional reason; what was in force stays in force."""
    return services.reject_version(boundary_version_id, actor=current_user, reason=data.get("reason"))


@blp.route("/boundary-versions/<uuid:boundary_version_id>/withdraw", methods=["POST"])
@idempotent
@blp.response(200, BoundaryVersionSchema)
def withdraw_version(boundary_version_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The proposing party takes its proposal back."""
    return services.withdraw_version(boundary_version_id, actor=current_user)


# ---- breaches and the trust level -----------------------------------------------------------------


@blp.route("/units/<uuid:unit_id>/breaches", methods=["GET"])
@blp.arguments(BreachQueryArgs, location="query")
@blp.response(200, BreachPage)
def list_breaches(args: dict, unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The unit's breaches, open first; ``status=open|closed``."""
    unit = units_policy.get_unit(current_user, unit_id)
    return _page(paginate(queries.breaches_query(unit.id, args.get("status")), args, per_page=50))


@blp.route("/breaches/<uuid:breach_id>/close", methods=["POST"])
@idempotent
@blp.arguments(CloseSchema)
@blp.response(200, BreachSchema)
def close_breach(data: dict, breach_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A reviewer closes the breach with a ``note`` of what the closer look found."""
    return services.close_breach(breach_id, actor=current_user, note=data.get("note") or "")


@blp.route("/units/<uuid:unit_id>/restore-baseline", methods=["POST"])
@idempotent
@blp.arguments(RestoreSchema)
@blp.response(200, TrustChangeSchema)
def restore_baseline(data: dict, unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A coordinator restores baseline trust with a ``reason``; 409 while a breach is open."""
    return services.restore_baseline(
        unit_id,
        actor=current_user,
        reason=data.get("reason") or "",
        cancel_closer_review=bool(data.get("cancel_closer_review")),
    )


@blp.route("/units/<uuid:unit_id>/trust-history", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, TrustChangePage)
def trust_history(args: dict, unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Every change of the unit's trust level with its reason, who decided, and when; newest first."""
    unit = units_policy.get_unit(current_user, unit_id)
    return _page(paginate(services.trust_history_query(unit.id), args, per_page=50))
