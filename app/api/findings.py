"""/api/v1 endpoints of findings: findings, their evidence, the unit's responses and the authority's comment.

Handlers read their arguments, fetch through the access policy, call one service of ``app.visits`` and
shape the answer; the rules live in the services. ``idempotent`` commits once per write.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user

from app.api.blueprint import blp
from app.api.idempotency import idempotent
from app.api.visits_common import IDEMPOTENCY_KEY, api_field_names, binary, problems
from app.api.visits_schemas import (
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
    NewAuthorityCommentSchema,
    NewFindingResponseSchema,
    NewVisitResponseSchema,
    UnitResponseList,
    UnitResponsePage,
    UnitResponseSchema,
)
from app.core.files import stored_file_response
from app.core.pagination import paginate
from app.visits import evidence, services
from app.visits import policy as visits_policy


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
            caption=form.get("caption") or "",
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
