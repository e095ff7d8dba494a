"""/api/v1 endpoints of the followups domain (API.md): a unit's follow-ups, one follow-up, its workflow, and
the personal calendar feed (``GET /api/v1/follow-ups.ics?token=``, authenticated by its secret link, not by a
bearer token, so calendar programs can subscribe to it)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, abort, request
from flask_login import current_user
from marshmallow import fields, validate

from app.api.blueprint import blp
from app.api.idempotency import idempotent
from app.api.schemas import ApiSchema, PageArgs, actions_field, page_of
from app.core.models import local_today
from app.core.pagination import paginate_deferred
from app.extensions import db
from app.followups import calendar, services
from app.followups import policy as followups_policy
from app.followups.models import FollowUp, FollowUpStatus, Side
from app.units import policy as units_policy
from app.units.models import UnitKind

# ---- schemas ----------------------------------------------------------------------------------------------


class FollowUpSchema(ApiSchema):
    id = fields.UUID(dump_only=True)
    unit_id = fields.UUID(dump_only=True)
    visit_id = fields.UUID(dump_only=True, allow_none=True)
    finding_id = fields.UUID(dump_only=True, allow_none=True)
    title = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    owner_id = fields.UUID(dump_only=True)
    reviewer_id = fields.UUID(dump_only=True, allow_none=True)
    due_date = fields.Date(dump_only=True)
    status = fields.Enum(FollowUpStatus, by_value=True, dump_only=True)
    overdue = fields.Method("get_overdue", dump_only=True, metadata={"type": "boolean"})
    proposed_by_side = fields.Enum(Side, by_value=True, dump_only=True)
    supervisor_accepted_at = fields.DateTime(dump_only=True, allow_none=True)
    unit_accepted_at = fields.DateTime(dump_only=True, allow_none=True)
    agreed_at = fields.DateTime(dump_only=True, allow_none=True)
    done_description = fields.String(dump_only=True, allow_none=True)
    done_reported_at = fields.DateTime(dump_only=True, allow_none=True)
    reopen_note = fields.String(dump_only=True, allow_none=True)
    reopened_at = fields.DateTime(dump_only=True, allow_none=True)
    verification_note = fields.String(dump_only=True, allow_none=True)
    verified_at = fields.DateTime(dump_only=True, allow_none=True)
    cancel_reason = fields.String(dump_only=True, allow_none=True)
    cancelled_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    actions = actions_field(
        lambda actor, follow_up: followups_policy.follow_up_actions(actor, follow_up, local_today()),
        followups_policy.FOLLOW_UP_ACTIONS,
        "the follow-up (each a ``POST /follow-ups/{id}/<action>``; ``update``: ``PATCH``)",
    )

    def get_overdue(self, obj: FollowUp) -> bool:
        return obj.is_overdue(local_today())


class FollowUpCreateSchema(ApiSchema):
    # Optional: a client-generated id makes a repeated create return the first result (API.md).
    id = fields.UUID(load_default=None)
    title = fields.String(load_default="", validate=validate.Length(max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    owner_id = fields.UUID(load_default=None, allow_none=True)
    due_date = fields.Date(load_default=None, allow_none=True)
    visit_id = fields.UUID(load_default=None, allow_none=True)
    finding_id = fields.UUID(load_default=None, allow_none=True)


class FollowUpPatchSchema(ApiSchema):
    title = fields.String(validate=validate.Length(max=200))
    description = fields.String(validate=validate.Length(max=5000))
    owner_id = fields.UUID()
    due_date = fields.Date()


class ReportDoneSchema(ApiSchema):
    description = fields.String(load_default="", validate=validate.Length(max=5000))


class NoteSchema(ApiSchema):
    note = fields.String(load_default="", validate=validate.Length(max=5000))


class ReasonSchema(ApiSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=5000))


class FollowUpQueryArgs(PageArgs):
    status = fields.String(load_default="all", validate=validate.OneOf(services.STATUS_FILTERS))
    sort = fields.String(load_default="due", validate=validate.OneOf([*services.SORT_COLUMNS, "-due"]))
    dir = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))
    unit = fields.UUID(load_default=None, metadata={"description": "one unit's follow-ups"})
    unit_kind = fields.Enum(UnitKind, by_value=True, load_default=None)
    owner = fields.String(
        load_default=None, validate=validate.Length(max=200), metadata={"description": "the unit's owner (huvudman)"}
    )
    reviewer = fields.UUID(load_default=None, metadata={"description": "on the visit's team or responsible"})
    due_from = fields.Date(load_default=None)
    due_to = fields.Date(load_default=None)


FollowUpPage = page_of(FollowUpSchema, "FollowUpPage")


def _page(args: dict[str, Any], unit_id: uuid.UUID | None = None) -> dict[str, Any]:
    filters = services.ListFilter(
        status=args["status"],
        sort=args["sort"],
        descending=args["dir"] == "desc",
        unit_id=unit_id or args.get("unit"),
        unit_kind=args.get("unit_kind"),
        unit_owner=args.get("owner") or None,
        reviewer_id=args.get("reviewer"),
        due_from=args.get("due_from"),
        due_to=args.get("due_to"),
    )
    today = local_today()
    total = services.list_count(current_user, filters, today=today)
    query = services.list_query(current_user, filters, today=today)
    page = paginate_deferred(query, args, FollowUp, per_page=50, total=total)  # a deep page reads the index only
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


# ---- endpoints --------------------------------------------------------------------------------------------


@blp.route("/follow-ups", methods=["GET"])
@blp.arguments(FollowUpQueryArgs, location="query")
@blp.response(200, FollowUpPage)
def list_follow_ups(args: dict):  # type: ignore[no-untyped-def]
    """Every follow-up the caller may see (``status``: open, overdue, all, or one status), by due date."""
    return _page(args)


@blp.route("/units/<uuid:unit_id>/follow-ups", methods=["GET"])
@blp.arguments(FollowUpQueryArgs, location="query")
@blp.response(200, FollowUpPage)
def list_unit_follow_ups(args: dict, unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A unit's follow-ups, by due date."""
    unit = units_policy.get_unit(current_user, unit_id)
    return _page(args, unit.id)


@blp.route("/units/<uuid:unit_id>/follow-ups", methods=["POST"])
@idempotent
@blp.arguments(FollowUpCreateSchema)
@blp.response(201, FollowUpSchema)
def create_follow_up(data: dict, unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Propose a follow-up (from a finding with ``finding_id``, from a visit with ``visit_id``, or on its own);
    the proposer's side has accepted it. A unit member who names no ``owner_id`` is responsible themselves."""
    return services.propose(
        actor=current_user,
        unit_id=unit_id,
        title=data["title"],
        description=data["description"],
        due_date=data["due_date"],
        owner_id=data["owner_id"],
        visit_id=data["visit_id"],
        finding_id=data["finding_id"],
        follow_up_id=data["id"],
    )


@blp.route("/follow-ups/<uuid:follow_up_id>", methods=["GET"])
@blp.response(200, FollowUpSchema)
def get_follow_up(follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return followups_policy.get_follow_up(current_user, follow_up_id)


@blp.route("/follow-ups/<uuid:follow_up_id>", methods=["PATCH"])
@idempotent
@blp.arguments(FollowUpPatchSchema)
@blp.response(200, FollowUpSchema)
def patch_follow_up(data: dict, follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Change the title, description, owner or due date (who may change what: DESIGN.md 4.4, API.md)."""
    return services.update(follow_up_id, actor=current_user, **data)


@blp.route("/follow-ups/<uuid:follow_up_id>/accept", methods=["POST"])
@idempotent
@blp.response(200, FollowUpSchema)
def accept_follow_up(follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The caller's side accepts; agreed when both sides have."""
    return services.accept(follow_up_id, actor=current_user)


@blp.route("/follow-ups/<uuid:follow_up_id>/report-done", methods=["POST"])
@idempotent
@blp.arguments(ReportDoneSchema)
@blp.response(200, FollowUpSchema)
def report_follow_up_done(data: dict, follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The unit reports what was done (``description`` required)."""
    return services.report_done(follow_up_id, actor=current_user, description=data["description"])


@blp.route("/follow-ups/<uuid:follow_up_id>/verify", methods=["POST"])
@idempotent
@blp.arguments(NoteSchema)
@blp.response(200, FollowUpSchema)
def verify_follow_up(data: dict, follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The review team verifies, with a ``note`` on how the effect was checked."""
    return services.verify(follow_up_id, actor=current_user, note=data["note"])


@blp.route("/follow-ups/<uuid:follow_up_id>/reopen", methods=["POST"])
@idempotent
@blp.arguments(NoteSchema)
@blp.response(200, FollowUpSchema)
def reopen_follow_up(data: dict, follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A reviewer sends a done report back to agreed, with a ``note`` on what remains."""
    return services.reopen(follow_up_id, actor=current_user, note=data["note"])


@blp.route("/follow-ups/<uuid:follow_up_id>/cancel", methods=["POST"])
@idempotent
@blp.arguments(ReasonSchema)
@blp.response(200, FollowUpSchema)
def cancel_follow_up(data: dict, follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Cancel, with a ``reason``."""
    return services.cancel(follow_up_id, actor=current_user, reason=data["reason"])


# ---- the calendar feed ------------------------------------------------------------------------------------

calendar_bp = Blueprint("followups_calendar", __name__, url_prefix="/api/v1")


@calendar_bp.get("/follow-ups.ics")
def feed() -> Response:
    """The owner's follow-up due dates and planned visits as iCalendar; an unknown or revoked link is a 404."""
    found = calendar.feed_for_token(request.args.get("token"))
    if found is None:
        abort(404)
    body = calendar.render_ics(found.user)
    calendar.touch(found)
    db.session.commit()
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="tillsyn.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
