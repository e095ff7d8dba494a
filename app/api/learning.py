"""/api/v1 endpoints of the learning domain (API.md): proposing a strength as a good example, the unit's consent,
decline and withdrawal, the library with its Swedish full-text search, writing to an example's unit, and the unit's
self-assessment."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request, url_for
from flask_login import current_user
from marshmallow import Schema, fields, validate

from app.api.blueprint import blp
from app.api.idempotency import idempotent
from app.api.schemas import PageArgs, PersonRefSchema, page_of
from app.core import access
from app.learning import policy, services
from app.learning.models import ExampleStatus, GoodExample
from app.learning.services import self_assessment
from app.units.models import UnitKind


def _unit(example: GoodExample) -> dict[str, Any]:
    """The unit as the library may show it: named only with the unit's consent (its own side always sees it)."""
    own_or_named = example.named or not example.in_library or access.supervises(current_user, example.unit_id)
    own_or_named = own_or_named or example.unit_id in current_user.unit_ids
    return {
        "id": example.unit_id if own_or_named else None,
        "name": example.unit.name if own_or_named else None,
        "kind": example.unit.kind.value,
        "municipality": example.unit.municipality,
    }


class ExampleUnitSchema(Schema):
    id = fields.UUID(allow_none=True, metadata={"description": "Empty when the unit chose to be shown by kind only"})
    name = fields.String(allow_none=True)
    kind = fields.String()
    municipality = fields.String(allow_none=True, metadata={"description": "The municipality the unit is in"})


class ExamplePhotoSchema(Schema):
    id = fields.UUID()
    url = fields.String()
    thumbnail_url = fields.String()


class GoodExampleSchema(Schema):
    id = fields.UUID()
    status = fields.Enum(ExampleStatus, by_value=True)
    review_area = fields.String(allow_none=True, metadata={"description": "The review area's title"})
    guiding_questions = fields.List(fields.String())
    text = fields.String()
    year = fields.Integer()
    unit = fields.Nested(ExampleUnitSchema)
    photos = fields.List(fields.Nested(ExamplePhotoSchema))
    named = fields.Boolean()
    proposed_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    actions = fields.List(
        fields.String(validate=validate.OneOf(policy.EXAMPLE_ACTIONS)),
        metadata={"description": "What the caller may do with the example now: " + ", ".join(policy.EXAMPLE_ACTIONS)},
    )


GoodExamplePage = page_of(GoodExampleSchema, "GoodExamplePage")


class LibraryArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=200), metadata={"description": "Words in Swedish"})
    area = fields.String(load_default=None, validate=validate.Length(max=200), metadata={"description": "Area title"})
    unit_kind = fields.Enum(UnitKind, by_value=True, load_default=None)
    year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=9999))


class ConsentSchema(Schema):
    named = fields.Boolean(load_default=False, metadata={"description": "Show the unit's name (else its kind)"})
    photo_ids = fields.List(fields.UUID(), load_default=list, metadata={"description": "The finding's photos to show"})


class ContactSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_CONTACT_LENGTH))


class ContactResultSchema(Schema):
    sent = fields.Integer(metadata={"description": "How many of the unit's members were written to"})


def _json(example: GoodExample) -> dict[str, Any]:
    area = example.finding.review_area
    shown = example.in_library or not access.takes_unit_side(current_user, example.unit_id)
    return {
        "id": example.id,
        "status": example.status,
        "review_area": area.title if area else None,
        "guiding_questions": area.question_list if area else [],
        "text": example.finding.text,
        "year": example.year,
        "unit": _unit(example),
        "photos": [
            {
                "id": p.id,
                "url": url_for("learning.photo", example_id=example.id, evidence_id=p.id),
                "thumbnail_url": url_for("learning.photo", example_id=example.id, evidence_id=p.id, thumb=1),
            }
            for p in (example.shown_photos if shown else [])
        ],
        "named": example.named,
        "proposed_at": example.proposed_at,
        "answered_at": example.answered_at,
        "withdrawn_at": example.withdrawn_at,
    }


def _dump(example: GoodExample) -> dict[str, Any]:
    """The example as the API answers it, with what the caller may do with it now (``policy.example_actions``)."""
    return {**_json(example), "actions": policy.example_actions(current_user, example)}


@blp.route("/good-examples", methods=["GET"])
@blp.arguments(LibraryArgs, location="query")
@blp.response(200, GoodExamplePage)
def list_good_examples(args: dict):  # type: ignore[no-untyped-def]
    """The library: consented examples only (open to everyone), best match first for ``q`` (Swedish word forms:
    "skolor" finds "skola"), filtered by review area title, unit kind and year."""
    page = services.library(
        current_user,
        q=args["q"],
        area=args["area"],
        unit_kind=args["unit_kind"].value if args["unit_kind"] else None,
        year=args["year"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return {"items": [_dump(e) for e in page.items], "page": page.page, "per_page": page.per_page, "total": page.total}


@blp.route("/good-examples/<uuid:example_id>", methods=["GET"])
@blp.response(200, GoodExampleSchema)
def get_good_example(example_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """One example: a consented one for everyone; a proposal, declined or withdrawn one only for its unit and the
    supervising side (404 otherwise)."""
    return _dump(policy.get_example(current_user, example_id))


@blp.route("/findings/<uuid:finding_id>/good-example", methods=["POST"])
@idempotent
@blp.response(201, GoodExampleSchema)
def propose_good_example(finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The review team proposes a strength (from the draft on); the unit then consents or declines."""
    return _dump(services.propose(finding_id, actor=current_user)), 201


@blp.route("/good-examples/<uuid:example_id>/consent", methods=["POST"])
@idempotent
@blp.arguments(ConsentSchema)
@blp.response(200, GoodExampleSchema)
def consent_good_example(data: dict, example_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A member of the unit consents: the example enters the library at once."""
    example = services.answer(
        example_id, actor=current_user, consent=True, named=data["named"], photo_ids=data["photo_ids"]
    )
    return _dump(example)


@blp.route("/good-examples/<uuid:example_id>/decline", methods=["POST"])
@idempotent
@blp.response(200, GoodExampleSchema)
def decline_good_example(example_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A member of the unit declines: the example is never shared."""
    return _dump(services.answer(example_id, actor=current_user, consent=False))


@blp.route("/good-examples/<uuid:example_id>/withdraw", methods=["POST"])
@idempotent
@blp.response(200, GoodExampleSchema)
def withdraw_good_example(example_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A member of the unit withdraws consent: out of the library, the API and the search at once."""
    return _dump(services.withdraw(example_id, actor=current_user))


@blp.route("/good-examples/<uuid:example_id>/contact", methods=["POST"])
@idempotent
@blp.arguments(ContactSchema)
@blp.response(200, ContactResultSchema)
def contact_good_example_unit(data: dict, example_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Write to the unit of a consented example; its members get an e-mail, their addresses are never shown."""
    return {"sent": services.contact_unit(example_id, actor=current_user, text=data["text"])}


# ---- the unit's self-assessment --------------------------------------------------------------------------


class AnswerSchema(Schema):
    area_id = fields.UUID(required=True)
    question_index = fields.Integer(required=True, validate=validate.Range(min=0, max=999))
    question = fields.String(dump_only=True)
    rating = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=4),
        metadata={"description": "1 stämmer inte … 4 stämmer helt"},
    )
    text = fields.String(load_default="", validate=validate.Length(max=services.MAX_ANSWER_LENGTH))


class SelfAssessmentSchema(Schema):
    visit_id = fields.UUID()
    status = fields.String(metadata={"description": "none, draft (the unit's own) or submitted"})
    received_at = fields.DateTime(allow_none=True)
    submitted_by = fields.Nested(PersonRefSchema, allow_none=True)
    answers = fields.List(fields.Nested(AnswerSchema))
    actions = fields.List(fields.String(), metadata={"description": "save and submit, while the unit may"})


class SelfAssessmentInSchema(Schema):
    answers = fields.List(fields.Nested(AnswerSchema), load_default=list)
    submit = fields.Boolean(load_default=False, metadata={"description": "Submit (once, never changed after)"})


def _self_assessment_json(view: Any) -> dict[str, Any]:
    if view.submitted is not None:
        s = view.submitted
        return {
            "visit_id": view.visit.id,
            "status": "submitted",
            "received_at": s.received_at,
            "submitted_by": {"id": s.submitted_by.id, "name": s.submitted_by.name} if s.submitted_by else None,
            "answers": [
                {
                    "area_id": a.review_area_id,
                    "question_index": a.question_index,
                    "question": a.question,
                    "rating": a.rating,
                    "text": a.text,
                }
                for a in s.answers
            ],
            "actions": [],
        }
    answers = []
    for area in view.areas:
        for index, question in enumerate(area.question_list):
            given = view.draft.get(self_assessment.answer_key(area.id, index), {})
            answers.append(
                {
                    "area_id": area.id,
                    "question_index": index,
                    "question": question,
                    "rating": given.get("rating"),
                    "text": given.get("text", ""),
                }
            )
    may = policy.can_fill_self_assessment(current_user, view.visit, False)
    return {
        "visit_id": view.visit.id,
        "status": "draft" if view.draft else "none",
        "received_at": None,
        "submitted_by": None,
        "answers": answers,
        "actions": ["save", "submit"] if may else [],
    }


@blp.route("/visits/<uuid:visit_id>/self-assessment", methods=["GET"])
@blp.response(200, SelfAssessmentSchema)
def get_self_assessment(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The unit's self-assessment: its members see their draft or what they submitted; the review team and
    coordinators only what was submitted (before that ``status`` none, no answers given)."""
    return _self_assessment_json(services.self_assessment_view(current_user, visit_id))


@blp.route("/visits/<uuid:visit_id>/self-assessment", methods=["POST"])
@idempotent
@blp.arguments(SelfAssessmentInSchema)
@blp.response(200, SelfAssessmentSchema)
def save_self_assessment(data: dict, visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Save the unit's answers as its draft, or submit them with ``submit`` (201; once, while the visit is planned
    or in progress; 409 after)."""
    answers = {
        self_assessment.answer_key(a["area_id"], a["question_index"]): (a["rating"], a["text"]) for a in data["answers"]
    }
    services.save_self_assessment(visit_id, actor=current_user, answers=answers, submit=data["submit"])
    return _self_assessment_json(services.self_assessment_view(current_user, visit_id)), 201 if data["submit"] else 200


# ---- feedback on the supervision ---------------------------------------------------------------------------


class FeedbackInSchema(Schema):
    useful = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    respectful = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    clear = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    text = fields.String(load_default="", validate=validate.Length(max=services.MAX_FEEDBACK_LENGTH))


class FeedbackOutSchema(Schema):
    id = fields.UUID()
    visit_id = fields.UUID()
    useful = fields.Integer()
    respectful = fields.Integer()
    clear = fields.Integer()
    text = fields.String()
    given_at = fields.DateTime()


class FiguresSchema(Schema):
    count = fields.Integer()
    averages = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    distributions = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "question → score 1–5 → how many"},
    )


class GroupFiguresSchema(FiguresSchema):
    group = fields.String()


class FeedbackSummarySchema(Schema):
    overall = fields.Nested(FiguresSchema)
    by_template = fields.List(fields.Nested(GroupFiguresSchema))
    by_year = fields.List(fields.Nested(GroupFiguresSchema))
    by_team = fields.List(
        fields.Nested(GroupFiguresSchema), metadata={"description": "Only review teams with at least 5 answers"}
    )
    by_reviewer = fields.List(
        fields.Nested(GroupFiguresSchema), metadata={"description": "Only reviewers with at least 5 answers"}
    )
    hidden_reviewers = fields.Integer()
    hidden_teams = fields.Integer()
    texts = fields.List(fields.String(), metadata={"description": "The free texts, newest first, without names"})


class FeedbackSummaryArgs(Schema):
    template = fields.UUID(load_default=None)
    year = fields.Integer(load_default=None, validate=validate.Range(min=1900, max=9999))


def _figures(f: Any, group: Any = None) -> dict[str, Any]:
    data = {"count": f.count, "averages": f.averages, "distributions": f.distributions}
    return data if group is None else {"group": str(group), **data}


@blp.route("/visits/<uuid:visit_id>/feedback", methods=["POST"])
@idempotent
@blp.arguments(FeedbackInSchema)
@blp.response(201, FeedbackOutSchema)
def give_feedback(data: dict, visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A member of the unit gives feedback on the supervision, once per visit, after it is final (409 otherwise)."""
    return services.give_feedback(visit_id, actor=current_user, **data), 201


@blp.route("/feedback/summary", methods=["GET"])
@blp.arguments(FeedbackSummaryArgs, location="query")
@blp.response(200, FeedbackSummarySchema)
def feedback_summary(args: dict):  # type: ignore[no-untyped-def]
    """Coordinators: averages and distributions per template and year; per review team and
    reviewer only from 5 answers."""
    summary = services.feedback_summary(current_user, template_id=args["template"], year=args["year"])
    return {
        "overall": _figures(summary.overall),
        "by_template": [_figures(f, g) for g, f in summary.by_template.items()],
        "by_year": [_figures(f, g) for g, f in summary.by_year.items()],
        "by_team": [_figures(f, g) for g, f in summary.by_team.items()],
        "by_reviewer": [_figures(f, g) for g, f in summary.by_reviewer.items()],
        "hidden_reviewers": summary.hidden_reviewers,
        "hidden_teams": summary.hidden_teams,
        "texts": summary.texts,
    }


# ---- the years at a glance ---------------------------------------------------------------------------------------


class StatisticsArgs(Schema):
    by = fields.String(load_default="area", validate=validate.OneOf(["area"]))
    period = fields.String(load_default="year", validate=validate.OneOf(["year", "quarter"]))
    unit = fields.UUID(load_default=None)
    unit_kind = fields.Enum(UnitKind, by_value=True, load_default=None)


class StatisticsRowSchema(Schema):
    area = fields.String()
    period = fields.String(metadata={"description": "2025, or 2025 Q2"})
    strength = fields.Integer()
    development = fields.Integer()
    minor = fields.Integer()
    serious = fields.Integer()


class StatisticsSchema(Schema):
    period = fields.String()
    rows = fields.List(fields.Nested(StatisticsRowSchema))


@blp.route("/statistics/findings", methods=["GET"])
@blp.arguments(StatisticsArgs, location="query")
@blp.response(200, StatisticsSchema)
@blp.alt_response(200, content_type="text/csv", description="With Accept: text/csv")
def finding_statistics(args: dict):  # type: ignore[no-untyped-def]
    """Counts per review area and year or quarter (one grouped query); reviewers and coordinators for all, a unit
    member for their own units. ``Accept: text/csv`` answers CSV (UTF-8 with BOM, semicolons)."""
    stats = services.finding_statistics(
        current_user,
        period=args["period"],
        unit_id=args["unit"],
        unit_kind=args["unit_kind"].value if args["unit_kind"] else None,
    )
    if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
        headers = {"area": "area", "period": "period", **{b: b for b in services.BUCKETS}}
        return Response(services.statistics_csv(stats, headers), mimetype="text/csv")
    return {"period": stats.period, "rows": [{"area": a, "period": p, **c} for a, p, c in stats.rows()]}
