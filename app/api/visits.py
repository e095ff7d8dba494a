"""/api/v1 endpoints of visits: visits, findings, evidence, responses, transitions, the report, templates,
the audit trail and the tablet's offline queue (``POST /sync``).

Handlers read their arguments, fetch through the access policy, call one service of ``app.visits`` and
shape the answer; the rules live in the services. ``idempotent`` commits once per write.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import selectinload

from app.api.blueprint import blp
from app.api.idempotency import IdempotencyRecord, idempotent
from app.api.visits_schemas import (
    AuditPage,
    AuditQueryArgs,
    AuthorityCommentSchema,
    EvidenceFileSchema,
    EvidenceFormSchema,
    EvidenceSchema,
    EvidenceUploadSchema,
    FindingCreateSchema,
    FindingPage,
    FindingPageArgs,
    FindingPatchSchema,
    FindingSchema,
    FollowUpVisitSchema,
    NewAuthorityCommentSchema,
    NewFindingResponseSchema,
    NewVisitResponseSchema,
    ProblemSchema,
    SyncRequestSchema,
    SyncResponseSchema,
    TemplateDetailSchema,
    TemplatePage,
    TemplateQueryArgs,
    TransitionSchema,
    UnitResponseList,
    UnitResponsePage,
    UnitResponseSchema,
    VisitCreateSchema,
    VisitDetailSchema,
    VisitPage,
    VisitPatchSchema,
    VisitQueryArgs,
)
from app.auth.models import Role
from app.core import access
from app.core import input as input_layer
from app.core.errors import DomainError, InvalidInput
from app.core.files import stored_file_response
from app.core.pagination import paginate
from app.core.timeline import sentence
from app.core.web import ERROR_TITLES, flatten_errors
from app.extensions import db
from app.visits import evidence, report, services
from app.visits import policy as visits_policy
from app.visits.models import TeamMember, TemplateVersion, Visit
from app.visits.report_views import pdf_response

# ---- documentation helpers ------------------------------------------------------------------------

PROBLEM_DESCRIPTIONS = {
    403: "Visible to the caller, but their role may not do this (e.g. not on the review team).",
    404: "Does not exist, or the caller may not know of it (another unit's, or a draft for the unit).",
    409: "A rule of DESIGN.md 4 forbids it now; `detail` says which.",
    413: "The request is larger than the upload limit allows.",
    422: "Invalid input; `errors` names each field and what is wrong with it.",
}

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Repeating this write with the same key (per person) returns the first answer and changes "
    "nothing more; the same key with another request is a 422.",
}


def problems(*codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the problem+json answers an endpoint may give."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for code in codes:
            func = blp.alt_response(
                code,
                schema=ProblemSchema,
                content_type="application/problem+json",
                description=PROBLEM_DESCRIPTIONS[code],
            )(func)
        return func

    return decorate


def binary(content_types: tuple[str, ...], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"schema": {"type": "string", "format": "binary"}}
    answer: dict[str, Any] = {"description": description, "content": dict.fromkeys(content_types, body)}
    if headers:
        answer["headers"] = headers
    return {"200": answer}


# Field names of the services' (and the browser forms') errors → the API's names for the same fields.
API_FIELD_NAMES = {
    "template": "template_id",
    "lead": "lead_id",
    "team": "member_ids",
    "unit": "unit_id",
    "review_area": "review_area_id",
    "overall": "text",
}


@contextmanager
def api_field_names() -> Iterator[None]:
    """A service names a field as the browser form does; the API caller sent it under the API's name."""
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput({API_FIELD_NAMES.get(k, k): v for k, v in exc.errors.items()}, exc.message) from None
    except DomainError as exc:
        if exc.field in API_FIELD_NAMES:
            raise type(exc)(exc.message, field=API_FIELD_NAMES[exc.field]) from None
        raise


# ---- the object in the URL first ------------------------------------------------------------------

# The objects a URL names are fetched through their domain's policy before a write's body is read
# (app.core.access.guard_url_objects, run for the whole API by app.api.blueprint).


# ---- how a visit is shown to one person -----------------------------------------------------------


class VisitOut:
    """A visit as the caller may see it: before kommunicering a unit member gets only the fields of
    ``visits_policy.VISIT_FIELDS_BEFORE_KOMMUNICERING`` (a missing attribute is left out of the answer)."""

    def __init__(self, visit: Visit) -> None:
        self._visit = visit
        self._visible = visits_policy.visit_fields_visible(current_user, visit)

    def __getattr__(self, name: str) -> Any:
        if self._visible is not None and name not in self._visible:
            raise AttributeError(name)
        visit = self._visit
        if name == "template":
            version = visit.template_version
            return {
                "id": version.template_id,
                "name": version.template.name,
                "version_id": version.id,
                "version_number": version.number,
            }
        if name == "review_areas":
            return visit.template_version.areas
        if name == "final_report_sha256":
            stored = report.stored_report(visit)
            return stored.sha256 if stored else None
        return getattr(visit, name)


def visit_list_options() -> list[Any]:
    return [
        selectinload(Visit.unit),
        selectinload(Visit.team).selectinload(TeamMember.user),
        selectinload(Visit.template_version).selectinload(TemplateVersion.template),
        selectinload(Visit.findings),  # ``actions``: sending for comment needs a finding (app.visits.policy)
    ]


def visit_detail_options() -> list[Any]:
    return [*visit_list_options(), selectinload(Visit.template_version).selectinload(TemplateVersion.areas)]


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
    visit = visits_policy.get_visit(current_user, visit_id)
    lead = visit.lead
    with api_field_names():
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


def op_add_finding(visit_id: uuid.UUID, data: dict[str, Any]) -> Any:
    with api_field_names():
        return services.add_finding(
            visit_id,
            actor=current_user,
            kind=data["kind"],
            severity=data.get("severity"),
            text=data["text"],
            review_area_id=data.get("review_area_id"),
            finding_id=data.get("id"),
        )


def op_update_finding(finding_id: uuid.UUID, data: dict[str, Any]) -> Any:
    finding = visits_policy.get_finding(current_user, finding_id)
    with api_field_names():
        return services.update_finding(
            finding.id,
            actor=current_user,
            kind=data.get("kind", finding.kind),
            severity=data.get("severity", finding.severity),
            text=data.get("text", finding.text),
            review_area_id=data.get("review_area_id", finding.review_area_id),
        )


def op_delete_finding(finding_id: uuid.UUID, data: dict[str, Any]) -> None:
    services.delete_finding(finding_id, actor=current_user)


def op_delete_evidence(evidence_id: uuid.UUID, data: dict[str, Any]) -> None:
    evidence.delete_evidence(evidence_id, actor=current_user)


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
    page = paginate(query, args, per_page=50)
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
    """Change the plan: date, team (lead and others), aim (the team and coordinators, until final)."""
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


# ---- findings -------------------------------------------------------------------------------------


@blp.route("/visits/<uuid:visit_id>/findings", methods=["GET"])
@blp.arguments(FindingPageArgs, location="query")
@blp.response(200, FindingPage)
@problems(404, 422)
def list_findings(args: dict[str, Any], visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A visit's findings in the order they were recorded, with their evidence (the unit: from kommunicering on)."""
    visit = visits_policy.get_visit_with_content(current_user, visit_id)
    page = paginate(services.finding_query(visit), args, per_page=args["per_page"])
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


@blp.route("/visits/<uuid:visit_id>/findings", methods=["POST"])
@idempotent
@blp.arguments(FindingCreateSchema)
@blp.response(201, FindingSchema)
@problems(403, 404, 409, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def add_finding(data: dict[str, Any], visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Record a finding (the review team, while the visit is in progress or a draft)."""
    return op_add_finding(visit_id, data)


@blp.route("/findings/<uuid:finding_id>", methods=["GET"])
@blp.response(200, FindingSchema)
@problems(404)
def get_finding(finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """One finding with its evidence."""
    return visits_policy.get_finding(current_user, finding_id)


@blp.route("/findings/<uuid:finding_id>", methods=["PATCH"])
@idempotent
@blp.arguments(FindingPatchSchema)
@blp.response(200, FindingSchema)
@problems(403, 404, 409, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def update_finding(data: dict[str, Any], finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Change a finding (the review team, while the visit is in progress or a draft)."""
    return op_update_finding(finding_id, data)


@blp.route("/findings/<uuid:finding_id>", methods=["DELETE"])
@idempotent
@blp.response(204)
@problems(403, 404, 409)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def delete_finding(finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Remove a finding with its evidence (the review team, while the visit is in progress or a draft)."""
    op_delete_finding(finding_id, {})


# ---- evidence -------------------------------------------------------------------------------------


@blp.route("/findings/<uuid:finding_id>/evidence", methods=["POST"])
@idempotent
@blp.arguments(EvidenceFormSchema, location="form")
@blp.arguments(EvidenceFileSchema, location="files")
@blp.response(201, EvidenceSchema)
@problems(403, 404, 409, 413, 422)
@blp.doc(
    parameters=[IDEMPOTENCY_KEY],
    requestBody={"required": True, "content": {"multipart/form-data": {"schema": EvidenceUploadSchema}}},
)
def upload_evidence(form: dict[str, Any], files: dict[str, Any], finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Attach a photo (JPEG, PNG, HEIC/HEIF) or a PDF to a finding (the review team).

    The type is read from the content, never the name; a file over the size limit (default 15 MB) is a 422
    naming the limit. Photos are stored without their EXIF/GPS metadata (HEIC as JPEG) and get a thumbnail."""
    upload = files["file"]
    with api_field_names():
        return evidence.store_upload(
            finding_id,
            actor=current_user,
            filename=upload.filename or "",
            data=upload.read(),
            evidence_id=form.get("id"),
        )


@blp.route("/evidence/<uuid:evidence_id>", methods=["GET"])
@blp.doc(
    responses=binary(
        ("image/jpeg", "image/png", "application/pdf"), "The stored file (photos inline, PDFs as a download)."
    )
)
@problems(404)
def get_evidence_file(evidence_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The stored file, with ``Content-Disposition`` and ``X-Content-Type-Options: nosniff``."""
    return stored_file_response(visits_policy.get_evidence(current_user, evidence_id))


@blp.route("/evidence/<uuid:evidence_id>/thumbnail", methods=["GET"])
@blp.doc(responses=binary(("image/jpeg",), "A JPEG of at most 480 pixels (photos only)."))
@problems(404)
def get_evidence_thumbnail(evidence_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A photo's thumbnail (documents have none: 404)."""
    return stored_file_response(visits_policy.get_evidence(current_user, evidence_id), thumbnail=True)


@blp.route("/evidence/<uuid:evidence_id>", methods=["DELETE"])
@idempotent
@blp.response(204)
@problems(403, 404, 409)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def delete_evidence(evidence_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Remove a photo or document (the review team, while the visit is in progress or a draft)."""
    op_delete_evidence(evidence_id, {})


# ---- the unit's response --------------------------------------------------------------------------


@blp.route("/findings/<uuid:finding_id>/response", methods=["POST"])
@idempotent
@blp.arguments(NewFindingResponseSchema)
@blp.response(201, UnitResponseSchema)
@problems(403, 404, 409, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def respond_to_finding(data: dict[str, Any], finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The unit's response to one finding (a member of the unit, while the report is out for comment and
    the deadline has not passed; 409 otherwise). Received now and never changed: send a new one to correct it."""
    finding = visits_policy.get_finding(current_user, finding_id)
    answer = services.FindingAnswer(finding_id=finding.id, stance=data["stance"], text=data.get("text") or "")
    with api_field_names():
        [row] = services.submit_response(finding.visit_id, actor=current_user, answers=[answer])
    return row


@blp.route("/visits/<uuid:visit_id>/response", methods=["POST"])
@idempotent
@blp.arguments(NewVisitResponseSchema)
@blp.response(201, UnitResponseList)
@problems(403, 404, 409, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def respond_to_visit(data: dict[str, Any], visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The unit's response to the report as a whole (``text``) and to any findings, in one submission (a
    member of the unit, during kommunicering; 409 otherwise). Every row is received now and never changed."""
    answers = [
        services.FindingAnswer(finding_id=a["finding_id"], stance=a["stance"], text=a.get("text") or "")
        for a in data.get("findings") or []
    ]
    with api_field_names():
        rows = services.submit_response(visit_id, actor=current_user, overall=data.get("text") or "", answers=answers)
    return {"items": rows}


@blp.route("/visits/<uuid:visit_id>/responses", methods=["GET"])
@blp.arguments(FindingPageArgs, location="query")
@blp.response(200, UnitResponsePage)
@problems(404, 422)
def list_responses(args: dict[str, Any], visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Every response the unit has given, newest first: the newest per finding (or for the whole report) is
    the current one; earlier ones stay as they were received."""
    visit = visits_policy.get_visit_with_content(current_user, visit_id)
    page = paginate(services.responses_query(visit), args, per_page=args["per_page"])
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


@blp.route("/responses/<uuid:response_id>/comment", methods=["POST"])
@idempotent
@blp.arguments(NewAuthorityCommentSchema)
@blp.response(200, AuthorityCommentSchema)
@problems(403, 404, 409, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
def comment_on_response(data: dict[str, Any], response_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The authority's comment on one of the unit's responses: how it was taken into account (DESIGN.md 4.1).
    The review team and coordinators, while the report is out for comment, on a response to the current draft
    (409 otherwise); writing again replaces the comment. It is printed beside the response in the final report."""
    with api_field_names():
        return services.comment_on_response(response_id, actor=current_user, text=data.get("text") or "")


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


# ---- the audit trail ------------------------------------------------------------------------------


class AuditOut:
    def __init__(self, event: Any) -> None:
        self._event = event

    def __getattr__(self, name: str) -> Any:
        event = self._event
        if name == "summary":
            return sentence(event)
        if name == "changes":
            return access.visible_audit_changes(current_user, event)
        if name == "client_address" and not current_user.is_coordinator:
            raise AttributeError(name)
        return getattr(event, name)


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditQueryArgs, location="query")
@blp.response(200, AuditPage)
@problems(403, 404, 422)
def list_audit_events(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The audit trail, oldest first: with ``object_type`` and ``object_id`` the events of that object and of
    its parts (for ``unit``: everything that happened in the unit, as its timeline shows).

    Coordinators read everything. Reviewers read the trail of units, visits and templates (not people's
    accounts: 403 for those). A unit member reads only their own units' events of the kinds a unit may see,
    without the review team's working text; any other object is a 404."""
    query = access.audit_events(current_user, object_type=args.get("object_type"), object_id=args.get("object_id"))
    page = paginate(query, args, per_page=50)
    return {
        "items": [AuditOut(e) for e in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
    }


# ---- the tablet's offline queue -------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    run: Callable[..., Any]
    body: type[Schema] | None  # the arguments besides the object's id
    object_arg: str | None  # the argument naming the object ("visit_id"…)
    status: int
    answer: type[Schema] | None


OPERATIONS: dict[str, Operation] = {
    "create_visit": Operation(
        lambda _oid, data: op_create_visit(data), VisitCreateSchema, None, 201, VisitDetailSchema
    ),
    "update_visit": Operation(op_update_visit, VisitPatchSchema, "visit_id", 200, VisitDetailSchema),
    "transition": Operation(op_transition, TransitionSchema, "visit_id", 200, VisitDetailSchema),
    "add_finding": Operation(op_add_finding, FindingCreateSchema, "visit_id", 201, FindingSchema),
    "update_finding": Operation(op_update_finding, FindingPatchSchema, "finding_id", 200, FindingSchema),
    "delete_finding": Operation(op_delete_finding, None, "finding_id", 204, None),
    "delete_evidence": Operation(op_delete_evidence, None, "evidence_id", 204, None),
}


def _problem_body(status: int, detail: str = "", errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    title = _("Not applied") if status == 424 else ERROR_TITLES.get(status, ERROR_TITLES[500])()
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def _load_operation(operation: Operation, args: dict[str, Any]) -> tuple[uuid.UUID | None, dict[str, Any]]:
    """The object's id and the validated body, or a ValidationError naming the fields under ``args``."""
    rest = dict(args)
    object_id: uuid.UUID | None = None
    errors: dict[str, Any] = {}
    if operation.object_arg:
        raw = rest.pop(operation.object_arg, None)
        try:
            object_id = uuid.UUID(str(raw)) if raw is not None else None
        except ValueError:
            object_id = None
        if object_id is None:
            errors[operation.object_arg] = [_("Enter an id (a UUID).")]
    data: dict[str, Any] = {}
    if operation.body is not None:
        try:
            data = operation.body().load(rest)
        except ValidationError as exc:
            errors.update(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})
    elif rest:
        errors.update({key: [_("This field is not part of the request.")] for key in rest})
    if errors:
        raise ValidationError(errors)
    return object_id, data


# Characters no text of the product holds: C0 controls but tab and line breaks, DEL, and lone surrogates (which
# JSON can carry but UTF-8 and PostgreSQL cannot). API.md: such text is a 422 naming the field, never a 500.
_REFUSED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _unstorable_text(value: Any, path: str) -> dict[str, list[str]]:
    """``{"args.text": [msg]}`` for every string under ``value`` (dicts and lists walked) holding a character
    that text may not hold; empty when all is well."""
    if isinstance(value, str):
        return {path: [_("Remove the control characters from this text.")]} if _REFUSED_CHARACTERS.search(value) else {}
    found: dict[str, list[str]] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            found.update(_unstorable_text(inner, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.update(_unstorable_text(inner, f"{path}.{index}"))
    return found


def _stored(key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.key == key)
    )


def _replayed(item: dict[str, Any], record: IdempotencyRecord, fingerprint: str) -> dict[str, Any]:
    if record.fingerprint != fingerprint:
        return {
            **item,
            "status": 422,
            "replayed": False,
            "problem": _problem_body(
                422,
                _("This operation id was already used for a different operation."),
                {"id": [_("Use a new id for a different operation.")]},
            ),
        }
    body = json.loads(record.body)
    return {**item, "status": record.status_code, "replayed": True, **({"body": body} if body is not None else {})}


def apply_operation(raw: dict[str, Any]) -> dict[str, Any]:
    """Apply one queued write in a savepoint of its own; its result is kept under the operation's id, so a
    replay answers that result and changes nothing. A failure leaves nothing behind (not even a result):
    sending the operation again, once what stopped it is fixed, tries it again."""
    item = {"id": raw["id"], "op": raw["op"]}
    operation = OPERATIONS[raw["op"]]
    key = f"sync:{raw['id']}"
    fingerprint = hashlib.sha256(
        json.dumps({"op": raw["op"], "args": raw.get("args") or {}}, sort_keys=True, default=str).encode()
    ).hexdigest()
    if unstorable := _unstorable_text(raw.get("args") or {}, "args"):
        first = next(iter(unstorable.values()))[0]
        return {**item, "status": 422, "replayed": False, "problem": _problem_body(422, first, unstorable)}
    if (record := _stored(key)) is not None:
        return _replayed(item, record, fingerprint)
    try:
        object_id, data = _load_operation(operation, raw.get("args") or {})
    except ValidationError as exc:
        errors = {f"args.{k}": v for k, v in flatten_errors(exc.messages).items()}
        first = next(iter(errors.values()), [""])[0]
        return {**item, "status": 422, "replayed": False, "problem": _problem_body(422, first, errors)}
    savepoint = db.session.begin_nested()
    try:
        result = operation.run(object_id, data)
        body = operation.answer().dump(result) if operation.answer is not None else None
        db.session.add(
            IdempotencyRecord(
                user_id=current_user.id,
                key=key,
                fingerprint=fingerprint,
                status_code=operation.status,
                body=json.dumps(body),
            )
        )
        db.session.flush()
        savepoint.commit()
    except DomainError as exc:
        savepoint.rollback()
        named = {f"args.{k}": v for k, v in exc.errors.items()}
        return {
            **item,
            "status": exc.status,
            "replayed": False,
            "problem": _problem_body(exc.status, exc.message, named or None),
        }
    except DataError:
        savepoint.rollback()  # a value the database cannot hold (say, a number out of its range): this item only
        return {
            **item,
            "status": 422,
            "replayed": False,
            "problem": _problem_body(422, _("A value of this operation cannot be stored. Check what was typed.")),
        }
    except IntegrityError:
        savepoint.rollback()  # the same operation, applied by a concurrent request meanwhile
        if (record := _stored(key)) is not None:
            return _replayed(item, record, fingerprint)
        return {
            **item,
            "status": 409,
            "replayed": False,
            "problem": _problem_body(409, _("Someone changed the same thing at the same time. Send it again.")),
        }
    return {**item, "status": operation.status, "replayed": False, **({"body": body} if body is not None else {})}


@blp.route("/sync", methods=["POST"])
@idempotent
@blp.arguments(SyncRequestSchema)
@blp.response(200, SyncResponseSchema)
@problems(403, 422)
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@input_layer.checks_items_itself
def sync(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The tablet's offline queue (reviewers and coordinators): writes made without a connection, applied in
    the order given, each in a savepoint of its own, each answered as its endpoint would answer it.

    Each operation carries the client's ``id``; an operation already applied is not applied again (its first
    result is answered with ``replayed: true``), so the whole batch can be sent again after a lost answer and
    changes nothing more. A failed operation changes nothing; with ``on_error: stop`` (the default) the
    operations after it are not tried (status 424), since they may build on it. The answer is 200 whenever
    the batch was read; look at each result's ``status``."""
    access.require_role(current_user, Role.coordinator, Role.reviewer)
    results: list[dict[str, Any]] = []
    stopped = False
    for raw in data["operations"]:
        if stopped:
            detail = _("Not applied: an earlier operation in the batch failed.")
            results.append(
                {
                    "id": raw["id"],
                    "op": raw["op"],
                    "status": 424,
                    "replayed": False,
                    "problem": _problem_body(424, detail),
                }
            )
            continue
        result = apply_operation(raw)
        results.append(result)
        if result["status"] >= 400 and data["on_error"] == "stop":
            stopped = True
    return {
        "results": results,
        "applied": sum(1 for r in results if r["status"] < 400),
        "failed": sum(1 for r in results if r["status"] >= 400 and r["status"] != 424),
        "skipped": sum(1 for r in results if r["status"] == 424),
    }
