"""/api/v1 endpoints of visits: visits, their plan, transitions and follow-ups, the report, and templates.

Handlers read their arguments, fetch through the access policy, call one service of ``app.visits`` and
shape the answer; the rules live in the services. ``idempotent`` commits once per write.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from app.api.blueprint import blp
from app.api.idempotency import idempotent
from app.api.visits_common import (
    IDEMPOTENCY_KEY,
    VisitOut,
    api_field_names,
    binary,
    problems,
    visit_detail_options,
    visit_list_options,
)
from app.api.visits_schemas import (
    FollowUpVisitSchema,
    TemplateDetailSchema,
    TemplatePage,
    TemplateQueryArgs,
    TransitionSchema,
    VisitCreateSchema,
    VisitDetailSchema,
    VisitPage,
    VisitPatchSchema,
    VisitQueryArgs,
)
from app.core.errors import InvalidInput
from app.core.pagination import paginate, paginate_deferred
from app.visits import policy as visits_policy
from app.visits import services
from app.visits.models import Visit
from app.visits.report_views import pdf_response

# ---- the operations (shared by the endpoints and POST /sync) --------------------------------------


def op_create_visit(data: dict[str, Any]) -> VisitOut:
    with api_field_names():
        visit = services.create_visit(
            actor=current_user,
            unit_id=data["unit_id"],
            template_id=data["template_id"],
            visit_date=data.get("visit_date"),
            lead_id=data["lead_id"],
            member_ids=data.get("member_ids") or [],
            purpose=data["purpose"],
            aim=data.get("aim") or "",
            visit_id=data.get("id"),
        )
    return VisitOut(visit)


def op_update_visit(visit_id: uuid.UUID, data: dict[str, Any]) -> VisitOut:
    """The plan (date, team, aim) and the lead's ``summary``: a body with only ``summary`` leaves the plan alone
    (and is refused only by the summary's rule, DESIGN.md 4.1)."""
    visit = visits_policy.get_visit(current_user, visit_id)
    lead = visit.lead
    with api_field_names():
        if "summary" in data:
            visit = services.write_summary(visit.id, actor=current_user, summary=data["summary"])
            if not set(data) - {"summary"}:
                return VisitOut(visit)
        visit = services.update_plan(
            visit.id,
            actor=current_user,
            visit_date=data.get("visit_date", visit.visit_date),
            lead_id=data.get("lead_id", lead.id if lead else None),
            member_ids=(
                data["member_ids"] if "member_ids" in data else [m.user_id for m in visit.team if not m.is_lead]
            ),
            aim=data.get("aim", visit.aim),
        )
    return VisitOut(visit)


def op_transition(visit_id: uuid.UUID, data: dict[str, Any]) -> VisitOut:
    with api_field_names():
        visit = services.transition(
            visit_id,
            actor=current_user,
            to=data["to"],
            comment_deadline=data.get("comment_deadline"),
            waiver_reason=data.get("waiver_reason"),
            reason=data.get("reason"),
        )
    return VisitOut(visit)


# ---- visits ---------------------------------------------------------------------------------------


@blp.route("/visits", methods=["GET"])
@blp.arguments(VisitQueryArgs, location="query")
@blp.response(200, VisitPage)
@problems(422)
def list_visits(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Visits the caller may see, newest first; filter by unit, status and a reviewer on the team.

    A unit member sees their own units' visits; before kommunicering only the date, the team, the status
    and the case number of each."""
    reviewer = args.get("reviewer")
    reviewer_id: uuid.UUID | None = None
    if reviewer == "me":
        reviewer_id = current_user.id
    elif reviewer:
        try:
            reviewer_id = uuid.UUID(reviewer)
        except ValueError:
            raise InvalidInput({"reviewer": [_('Enter a reviewer\'s id or "me".')]}) from None
    query = services.visit_query(
        current_user, status=args.get("status"), unit_id=args.get("unit"), reviewer_id=reviewer_id
    ).options(*visit_list_options())
    page = paginate_deferred(query, args, Visit, per_page=50)  # a deep page reads the index, not the rows before
    return {
        "items": [VisitOut(v) for v in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
    }


@blp.route("/visits", methods=["POST"])
@idempotent
@blp.arguments(VisitCreateSchema)
@blp.response(201, VisitDetailSchema)
@problems(403, 404, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def create_visit(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Plan a visit (reviewers, coordinators): it gets its case number; a member of the unit on the team is
    refused (jäv). A client-generated ``id`` makes a repeated create return the first visit."""
    return op_create_visit(data)


@blp.route("/visits/<uuid:visit_id>", methods=["GET"])
@blp.response(200, VisitDetailSchema)
@problems(404)
def get_visit(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """One visit with the review areas of its template version (before kommunicering, for a unit member:
    only the date, the team, the status and the case number)."""
    return VisitOut(visits_policy.get_visit(current_user, visit_id, options=visit_detail_options()))


@blp.route("/visits/<uuid:visit_id>", methods=["PATCH"])
@idempotent
@blp.arguments(VisitPatchSchema)
@blp.response(200, VisitDetailSchema)
@problems(403, 404, 409, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def update_visit(data: dict[str, Any], visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Change the plan: date, team (lead and others), aim (the team and coordinators, until final); and the
    report's ``summary`` (the lead reviewer or a coordinator, from ``in_progress`` until final)."""
    return op_update_visit(visit_id, data)


@blp.route("/visits/<uuid:visit_id>/transition", methods=["POST"])
@idempotent
@blp.arguments(TransitionSchema)
@blp.response(200, VisitDetailSchema)
@problems(403, 404, 409, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def transition_visit(data: dict[str, Any], visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Move the visit along planned → in_progress → draft → sent_for_comment → final → closed.

    The review team and coordinators move it; only the lead reviewer (or a coordinator) finalises, and only
    after the unit's response or the comment deadline, or with ``waiver_reason``. A move a rule forbids is a
    409 whose ``detail`` says which rule."""
    return op_transition(visit_id, data)


@blp.route("/visits/<uuid:visit_id>/follow-up", methods=["POST"])
@idempotent
@blp.arguments(FollowUpVisitSchema)
@blp.response(201, VisitDetailSchema)
@problems(403, 404, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def start_follow_up(data: dict[str, Any], visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Start a follow-up visit: same unit, template (current version) and team; ``previous_visit_id`` links
    the earlier visit, whose findings the team sees beside the new ones."""
    with api_field_names():
        visit = services.start_follow_up(
            visit_id, actor=current_user, visit_date=data.get("visit_date"), visit_id=data.get("id")
        )
    return VisitOut(visit)


@blp.route("/visits/<uuid:visit_id>/report.pdf", methods=["GET"])
@blp.doc(
    responses=binary(
        ("application/pdf",),
        "The report. Before final a draft rendered now (marked DRAFT); once final the stored PDF, byte-identical "
        "every time, with its SHA-256.",
        {
            "X-Report-SHA256": {"schema": {"type": "string"}, "description": "Hex SHA-256 of a final report."},
            "Repr-Digest": {"schema": {"type": "string"}, "description": "RFC 9530 digest of a final report."},
        },
    )
)
@problems(404)
def visit_report_pdf(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The report as a PDF (the team and coordinators always; the unit from kommunicering on)."""
    return pdf_response(visits_policy.get_visit_with_content(current_user, visit_id, options=visit_detail_options()))


# ---- templates ------------------------------------------------------------------------------------


@blp.route("/templates", methods=["GET"])
@blp.arguments(TemplateQueryArgs, location="query")
@blp.response(200, TemplatePage)
@problems(403, 422)
def list_templates(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Review templates with their current version's areas and guiding questions (reviewers, coordinators)."""
    page = paginate(services.template_query(actor=current_user, include_archived=args["include_archived"]), args)
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


@blp.route("/templates/<uuid:template_id>", methods=["GET"])
@blp.response(200, TemplateDetailSchema)
@problems(403, 404)
def get_template(template_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A template with every version (a visit keeps the version it was planned with)."""
    return services.get_template(template_id, actor=current_user)
