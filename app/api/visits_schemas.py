"""Schemas of the visits API: what the tablet and integrations send and get (API.md), and what the OpenAPI
document says about it.

Messages about bad input are translated like the rest of the product (the caller's language, Swedish by
default): ``TranslatedSchema`` replaces marshmallow's English defaults for every field it binds.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from app.api.schemas import ApiSchema, PageArgs, PersonRefSchema, actions_field, page_of
from app.core.models import local_today
from app.core.pagination import MAX_PER_PAGE
from app.visits import policy as visits_policy
from app.visits.evidence import MAX_CAPTION
from app.visits.models import EvidenceKind, FindingKind, Severity, Stance, VisitPurpose, VisitStatus
from app.visits.services import MAX_SUMMARY

MAX_TEXT = 10000
MAX_AIM = 5000


def _choices(enum_cls: Any) -> str:
    return ", ".join(member.value for member in enum_cls)


class TranslatedSchema(ApiSchema):
    """Field errors in the caller's language, naming the problem in words a person can act on."""

    error_messages = {
        "unknown": _l("This field is not part of the request."),
        "type": _l("Send a JSON object."),
    }

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        messages: dict[str, Any] = {
            "required": _l("This field is required."),
            "null": _l("This field may not be empty."),
            "validator_failed": _l("This value is not valid."),
        }
        if isinstance(field_obj, fields.Enum):
            messages["unknown"] = _l("Choose one of: %(choices)s.", choices=_choices(field_obj.enum))
        elif isinstance(field_obj, fields.UUID):
            messages["invalid_uuid"] = _l("Enter an id (a UUID).")
            messages["invalid"] = _l("Enter an id (a UUID).")
        elif isinstance(field_obj, fields.Date):
            messages["invalid"] = _l("Enter a date as YYYY-MM-DD.")
            messages["format"] = _l("Enter a date as YYYY-MM-DD.")
        elif isinstance(field_obj, fields.String):
            messages["invalid"] = _l("Enter text.")
        elif isinstance(field_obj, fields.Integer):
            messages["invalid"] = _l("Enter a whole number.")
            messages["too_large"] = _l("The number is too large.")
        elif isinstance(field_obj, fields.List):
            messages["invalid"] = _l("Send a list.")
        elif isinstance(field_obj, fields.Nested):
            messages["type"] = _l("Send a JSON object.")
        elif isinstance(field_obj, fields.Dict):
            messages["invalid"] = _l("Send a JSON object.")
        field_obj.error_messages = {**field_obj.error_messages, **messages}
        for validator in field_obj.validators:
            if isinstance(validator, validate.Range) and validator.error is None:
                validator.error = _l("Enter a number from %(min)s to %(max)s.", min=validator.min, max=validator.max)
            elif isinstance(validator, validate.Length) and validator.error is None and validator.max is not None:
                validator.error = _l("At most %(n)d characters.", n=validator.max)


def _at_most(n: int) -> validate.Length:
    return validate.Length(max=n, error=_l("At most %(n)d characters.", n=n))


# ---- problems -------------------------------------------------------------------------------------


class ProblemSchema(ApiSchema):
    """RFC 9457 problem details, as every error of the API is answered."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"description": "The kind of problem, in the caller's language."})
    status = fields.Integer()
    detail = fields.String(
        metadata={"description": "What went wrong; for a 409 the rule of DESIGN.md 4 that forbids it."}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Per field (dotted paths into the body for nested fields), what is wrong with it."},
    )


# ---- shared pieces --------------------------------------------------------------------------------


class UnitRefSchema(ApiSchema):
    id = fields.UUID()
    name = fields.String()


class TeamMemberSchema(ApiSchema):
    user_id = fields.UUID()
    name = fields.Function(lambda member: member.user.name, metadata={"type": "string"})
    is_lead = fields.Boolean()


class ReviewAreaSchema(ApiSchema):
    id = fields.UUID()
    position = fields.Integer()
    title = fields.String()
    questions = fields.List(fields.String(), attribute="question_list", metadata={"description": "Guiding questions."})


class TemplateRefSchema(ApiSchema):
    id = fields.UUID()
    name = fields.String()
    version_id = fields.UUID(metadata={"description": "The version the visit uses; it never changes for the visit."})
    version_number = fields.Integer()


# ---- templates ------------------------------------------------------------------------------------


class TemplateVersionSchema(ApiSchema):
    id = fields.UUID()
    number = fields.Integer()
    description = fields.String()
    created_at = fields.DateTime()
    areas = fields.List(fields.Nested(ReviewAreaSchema))


class TemplateSchema(ApiSchema):
    id = fields.UUID()
    name = fields.String()
    is_archived = fields.Boolean()
    current_version = fields.Nested(TemplateVersionSchema, attribute="current")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TemplateDetailSchema(TemplateSchema):
    versions = fields.List(
        fields.Nested(TemplateVersionSchema),
        metadata={"description": "Every version, oldest first; visits keep the version they were planned with."},
    )


class TemplateQueryArgs(TranslatedSchema, PageArgs):
    include_archived = fields.Boolean(load_default=False)


TemplatePage = page_of(TemplateSchema, "TemplatePage")


# ---- visits ---------------------------------------------------------------------------------------


class VisitSchema(ApiSchema):
    """A visit. Before kommunicering a member of the unit gets only ``id``, ``case_number``, ``unit``,
    ``unit_id``, ``status``, ``visit_date`` and ``team`` (and ``cancel_reason``/``cancelled_at``,
    ``withdrawal_reason``/``withdrawn_at``, which the unit is told): every other property is left out."""

    id = fields.UUID(required=True)
    case_number = fields.String(required=True, metadata={"example": "TS-2026-0042"})
    unit = fields.Nested(UnitRefSchema, required=True)
    unit_id = fields.UUID(required=True)
    status = fields.Enum(VisitStatus, by_value=True, required=True)
    visit_date = fields.Date(allow_none=True, required=True, metadata={"description": "Empty while unplanned."})
    team = fields.List(fields.Nested(TeamMemberSchema), required=True)
    purpose = fields.Enum(VisitPurpose, by_value=True)
    template = fields.Nested(TemplateRefSchema)
    aim = fields.String()
    summary = fields.String(
        metadata={"description": "The lead reviewer's summary; the report opens with it (DESIGN.md 4.1)."}
    )
    comment_deadline = fields.Date(allow_none=True)
    sent_for_comment_at = fields.DateTime(allow_none=True)
    finalised_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    kommunicering_waiver = fields.String(
        allow_none=True, metadata={"description": "The written reason why kommunicering was clearly unnecessary."}
    )
    cancel_reason = fields.String(
        allow_none=True, metadata={"description": "Why the visit was cancelled (shown to both parties)."}
    )
    cancelled_at = fields.DateTime(allow_none=True)
    withdrawal_reason = fields.String(
        allow_none=True,
        metadata={"description": "Why the lead last took the draft back from kommunicering for revision."},
    )
    withdrawn_at = fields.DateTime(allow_none=True)
    previous_visit_id = fields.UUID(allow_none=True, metadata={"description": "The visit this one follows up."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    actions = actions_field(
        # ``visit`` is the API's view of it (app.api.visits.VisitOut): the rules read the visit itself.
        lambda actor, visit: visits_policy.visit_actions(actor, getattr(visit, "_visit", visit), local_today()),
        visits_policy.VISIT_ACTIONS,
        "the visit (``transition:<status>``: a move of ``POST /visits/{id}/transition``; moving to ``final`` may "
        "need ``waiver_reason``; to ``cancelled``, and to ``draft`` from ``sent_for_comment``, need ``reason``)",
    )


class VisitDetailSchema(VisitSchema):
    review_areas = fields.List(
        fields.Nested(ReviewAreaSchema),
        metadata={"description": "The review areas of the template version the visit uses (the on-site screens)."},
    )
    final_report_sha256 = fields.String(
        allow_none=True, metadata={"description": "SHA-256 of the stored final PDF, once final."}
    )


VisitPage = page_of(VisitSchema, "VisitPage")


class VisitQueryArgs(TranslatedSchema, PageArgs):
    unit = fields.UUID(load_default=None)
    status = fields.Enum(VisitStatus, by_value=True, load_default=None)
    reviewer = fields.String(
        load_default=None,
        metadata={"description": 'A reviewer\'s id, or "me": only visits with that person on the review team.'},
    )


class VisitCreateSchema(TranslatedSchema):
    id = fields.UUID(
        load_default=None,
        metadata={"description": "A client-generated id: repeating the create with it returns the first visit."},
    )
    unit_id = fields.UUID(required=True)
    template_id = fields.UUID(required=True)
    visit_date = fields.Date(load_default=None, allow_none=True)
    lead_id = fields.UUID(required=True)
    member_ids = fields.List(fields.UUID(), load_default=list, metadata={"description": "Other reviewers."})
    purpose = fields.Enum(VisitPurpose, by_value=True, load_default=VisitPurpose.planned)
    aim = fields.String(load_default="", validate=_at_most(MAX_AIM))


class VisitPatchSchema(TranslatedSchema):
    """The plan: what is left out stays as it is."""

    visit_date = fields.Date(allow_none=True)
    lead_id = fields.UUID()
    member_ids = fields.List(fields.UUID(), metadata={"description": "Other reviewers (the whole list)."})
    aim = fields.String(validate=_at_most(MAX_AIM))
    summary = fields.String(
        validate=_at_most(MAX_SUMMARY),
        metadata={
            "description": "The report's summary: the lead reviewer (or a coordinator) from ``in_progress`` until "
            "``final`` (action ``write_summary``); otherwise 409."
        },
    )


class TransitionSchema(TranslatedSchema):
    to = fields.Enum(VisitStatus, by_value=True, required=True)
    comment_deadline = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "With to=sent_for_comment: the unit's deadline (default: 14 days, configurable)."},
    )
    waiver_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=_at_most(MAX_AIM),
        metadata={
            "description": "With to=final before the unit has responded and before the deadline: why kommunicering "
            "is clearly unnecessary (förvaltningslagen 25 §). Kept in the report and the audit trail."
        },
    )
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=_at_most(MAX_AIM),
        metadata={
            "description": "With to=cancelled (from planned or in_progress) and to=draft from sent_for_comment "
            "(withdrawn for revision): the written reason, at least 10 characters; the unit sees it. Lead or "
            "coordinator only."
        },
    )


class FollowUpVisitSchema(TranslatedSchema):
    id = fields.UUID(load_default=None, metadata={"description": "A client-generated id for the new visit."})
    visit_date = fields.Date(load_default=None, allow_none=True)


# ---- findings and evidence ------------------------------------------------------------------------


class EvidenceSchema(ApiSchema):
    id = fields.UUID()
    finding_id = fields.UUID()
    kind = fields.Enum(EvidenceKind, by_value=True)
    original_name = fields.String()
    content_type = fields.String(
        metadata={"description": "The type found in the content: image/jpeg, image/png or application/pdf."}
    )
    size_bytes = fields.Integer()
    sha256 = fields.String()
    caption = fields.String(
        metadata={"description": "What the photo shows: the report's caption and the image's alt text."}
    )
    created_at = fields.DateTime()
    url = fields.Function(lambda item: f"/api/v1/evidence/{item.id}", metadata={"type": "string"})
    thumbnail_url = fields.Function(
        lambda item: f"/api/v1/evidence/{item.id}/thumbnail" if item.thumbnail_name else None,
        allow_none=True,
        metadata={"type": "string", "description": "Photos only."},  # allow_none adds the "null"
    )


class FindingSchema(ApiSchema):
    id = fields.UUID()
    visit_id = fields.UUID()
    review_area_id = fields.UUID(allow_none=True)
    kind = fields.Enum(FindingKind, by_value=True)
    severity = fields.Enum(Severity, by_value=True, allow_none=True)
    text = fields.String()
    created_by_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    evidence = fields.List(fields.Nested(EvidenceSchema))
    actions = actions_field(
        lambda actor, finding: visits_policy.finding_actions(actor, finding, local_today()),
        visits_policy.FINDING_ACTIONS,
        "the finding (``respond``: ``POST /findings/{id}/response``)",
    )


class FindingPageArgs(TranslatedSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=MAX_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


FindingPage = page_of(FindingSchema, "FindingPage")


class FindingCreateSchema(TranslatedSchema):
    id = fields.UUID(
        load_default=None,
        metadata={"description": "A client-generated id: repeating the create with it returns the first finding."},
    )
    kind = fields.Enum(FindingKind, by_value=True, required=True)
    severity = fields.Enum(
        Severity, by_value=True, load_default=None, allow_none=True, metadata={"description": "Deviations only."}
    )
    text = fields.String(required=True, validate=_at_most(MAX_TEXT))
    review_area_id = fields.UUID(load_default=None, allow_none=True)


class FindingPatchSchema(TranslatedSchema):
    """What is left out stays as it is."""

    kind = fields.Enum(FindingKind, by_value=True)
    severity = fields.Enum(Severity, by_value=True, allow_none=True)
    text = fields.String(validate=_at_most(MAX_TEXT))
    review_area_id = fields.UUID(allow_none=True)


class EvidenceFormSchema(TranslatedSchema):
    id = fields.UUID(
        load_default=None,
        metadata={"description": "A client-generated id: sending the same upload again returns the first one."},
    )
    caption = fields.String(
        load_default="",
        validate=_at_most(MAX_CAPTION),
        metadata={
            "description": "What the photo shows, in a sentence (optional): the report prints it under the photo."
        },
    )


class EvidenceFileSchema(TranslatedSchema):
    file = Upload(
        required=True,
        metadata={"description": "A photo (JPEG, PNG, HEIC/HEIF) or a PDF; the type is read from the content."},
    )


class EvidenceUploadSchema(EvidenceFileSchema, EvidenceFormSchema):
    """The multipart body of an upload, as the OpenAPI document describes it (``file``, ``id`` and ``caption``)."""


# ---- the unit's response --------------------------------------------------------------------------


class UnitResponseSchema(ApiSchema):
    """A response (yttrande) as received: never changed afterwards; a correction is a newer response."""

    id = fields.UUID()
    visit_id = fields.UUID()
    finding_id = fields.UUID(allow_none=True, metadata={"description": "Empty: the report as a whole."})
    stance = fields.Enum(Stance, by_value=True, allow_none=True)
    text = fields.String()
    submitted_by = fields.Nested(PersonRefSchema, allow_none=True)
    received_at = fields.DateTime()
    answers_earlier_draft = fields.Boolean(
        metadata={"description": "It answered a draft the lead later took back for revision (DESIGN.md 4.1)."}
    )


class AuthorityCommentSchema(ApiSchema):
    """The authority's comment on one of the unit's responses (DESIGN.md 4.1)."""

    id = fields.UUID()
    response_id = fields.UUID()
    text = fields.String()
    written_by = fields.Nested(PersonRefSchema, allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class NewAuthorityCommentSchema(TranslatedSchema):
    text = fields.String(
        required=True,
        validate=_at_most(5000),
        metadata={"description": "How the response was taken into account; writing again replaces the comment."},
    )


class UnitResponseList(ApiSchema):
    items = fields.List(fields.Nested(UnitResponseSchema), required=True)


UnitResponsePage = page_of(UnitResponseSchema, "UnitResponsePage")


class NewFindingResponseSchema(TranslatedSchema):
    stance = fields.Enum(Stance, by_value=True, required=True)
    text = fields.String(load_default="", validate=_at_most(MAX_TEXT))


class FindingAnswerSchema(NewFindingResponseSchema):
    finding_id = fields.UUID(required=True)


class NewVisitResponseSchema(TranslatedSchema):
    text = fields.String(
        load_default="", validate=_at_most(MAX_TEXT), metadata={"description": "A comment on the report as a whole."}
    )
    findings = fields.List(fields.Nested(FindingAnswerSchema), load_default=list)


# ---- audit trail ----------------------------------------------------------------------------------


class AuditEventSchema(ApiSchema):
    id = fields.UUID()
    occurred_at = fields.DateTime()
    action = fields.String(metadata={"description": "create, update, delete, login…"})
    object_type = fields.String()
    object_id = fields.String()
    parent_type = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    unit_id = fields.UUID(allow_none=True)
    actor = fields.Nested(PersonRefSchema, allow_none=True)
    actor_label = fields.String(allow_none=True, metadata={"description": '"cli" or "system" when no person acted.'})
    via = fields.String(metadata={"description": "web, api, cli or system"})
    summary = fields.String(metadata={"description": "The event in a sentence, in the caller's language."})
    changes = fields.Dict(
        keys=fields.String(),
        metadata={"description": "{field: [before, after]}; a unit member gets only what a unit may read."},
    )
    client_address = fields.String(allow_none=True, metadata={"description": "Coordinators only."})


AuditPage = page_of(AuditEventSchema, "AuditPage")


class AuditQueryArgs(TranslatedSchema, PageArgs):
    object_type = fields.String(load_default=None, validate=_at_most(40))
    object_id = fields.String(load_default=None, validate=_at_most(64))

    @validates_schema
    def _id_needs_type(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("object_id") and not data.get("object_type"):
            raise ValidationError(str(_l("Give object_type with object_id.")), field_name="object_type")


# ---- the tablet's offline queue -------------------------------------------------------------------

SYNC_OPERATIONS = (
    "create_visit",
    "update_visit",
    "transition",
    "add_finding",
    "update_finding",
    "delete_finding",
    "delete_evidence",
)
MAX_SYNC_OPERATIONS = 200


class SyncOperationSchema(TranslatedSchema):
    id = fields.UUID(
        required=True,
        metadata={
            "description": "The client's id of this operation, its idempotency key: an operation already applied "
            "with this id is not applied again, its first result is answered (replayed: true)."
        },
    )
    op = fields.String(required=True, validate=validate.OneOf(SYNC_OPERATIONS, error=_l("Unknown operation.")))
    args = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={
            "description": "The operation's arguments: the body of the matching endpoint plus the id of its object — "
            "create_visit: POST /visits; update_visit: visit_id + PATCH /visits/{id}; transition: visit_id + "
            "POST /visits/{id}/transition; add_finding: visit_id + POST /visits/{id}/findings; update_finding: "
            "finding_id + PATCH /findings/{id}; delete_finding: finding_id; delete_evidence: evidence_id."
        },
    )


class SyncRequestSchema(TranslatedSchema):
    operations = fields.List(
        fields.Nested(SyncOperationSchema),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_SYNC_OPERATIONS, error=_l("Send from 1 to %(n)d operations.", n=MAX_SYNC_OPERATIONS)
        ),
    )
    on_error = fields.String(
        load_default="stop",
        validate=validate.OneOf(["stop", "continue"], error=_l("Choose stop or continue.")),
        metadata={
            "description": "stop (default): after a failed operation the rest are not applied (status 424), since "
            "they may build on it; continue: every operation is tried."
        },
    )


class SyncResultSchema(ApiSchema):
    id = fields.UUID(required=True)
    op = fields.String(required=True)
    status = fields.Integer(
        required=True, metadata={"description": "The status the matching endpoint would answer; 424: not tried."}
    )
    replayed = fields.Boolean(required=True, metadata={"description": "Applied before: the first result, unchanged."})
    body = fields.Raw(metadata={"description": "On success: what the matching endpoint answers."})
    problem = fields.Nested(ProblemSchema, metadata={"description": "On failure: the problem, as the endpoint would."})


class SyncResponseSchema(ApiSchema):
    results = fields.List(fields.Nested(SyncResultSchema), required=True)
    applied = fields.Integer(required=True, metadata={"description": "Operations applied now or before (2xx)."})
    failed = fields.Integer(required=True)
    skipped = fields.Integer(required=True)
