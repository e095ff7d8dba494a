"""The unit's self-assessment (DESIGN.md 4.5): while a visit is planned or in progress the unit's members answer
the template's guiding questions per review area (a four-step scale, 1 "stämmer inte" … 4 "stämmer helt", and
text), keep a draft, and submit once; the submitted self-assessment is an incoming document, never changed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.core import access
from app.core.access import Actor
from app.core.errors import DomainError, InvalidInput, NotFound
from app.core.models import utcnow
from app.extensions import db
from app.learning import policy
from app.learning.models import RATINGS, SelfAssessment, SelfAssessmentAnswer, SelfAssessmentDraft
from app.visits.models import ReviewArea, Visit

MAX_ANSWER_LENGTH = 5000

# One answer as the services take it: (rating 1–4 or None, text).
Answer = tuple[int | None, str]


def answer_key(area_id: uuid.UUID, index: int) -> str:
    """The key of one guiding question's answer: "<review area id>:<question index from 0>"."""
    return f"{area_id}:{index}"


@dataclass
class SelfAssessmentView:
    """What the self-assessment page shows: the visit, its review areas, the submitted self-assessment (if any)
    and otherwise the draft's answers by ``answer_key`` ({"rating": int | None, "text": str})."""

    visit: Visit
    areas: list[ReviewArea]
    submitted: SelfAssessment | None
    draft: dict[str, dict[str, Any]]
    draft_saved_at: Any = None


def self_assessment_of_visit(visit_id: uuid.UUID) -> SelfAssessment | None:
    """The visit's submitted self-assessment with its answers (one query each), or None."""
    return db.session.scalar(
        select(SelfAssessment)
        .where(SelfAssessment.visit_id == visit_id)
        .options(selectinload(SelfAssessment.answers), selectinload(SelfAssessment.submitted_by))
    )


def self_assessment_view(actor: Actor, visit_id: uuid.UUID) -> SelfAssessmentView:
    """The self-assessment of a visit as the actor may see it: the unit its draft or what it submitted, the
    supervising side only what was submitted (before that: ``submitted`` None and no draft). Raises NotFound
    (another unit's visit)."""
    visit = policy.get_visit_for_self_assessment(actor, visit_id)
    submitted = self_assessment_of_visit(visit.id)
    own_unit = access.takes_unit_side(actor, visit.unit_id)
    if submitted is not None and not policy.can_read_submitted_self_assessment(actor, visit):
        raise NotFound(_("The self-assessment does not exist or you may not see it."))
    draft_row = None
    if own_unit and submitted is None:
        draft_row = db.session.scalar(select(SelfAssessmentDraft).where(SelfAssessmentDraft.visit_id == visit.id))
    return SelfAssessmentView(
        visit=visit,
        areas=list(visit.template_version.areas),
        submitted=submitted,
        draft=dict(draft_row.answers) if draft_row else {},
        draft_saved_at=draft_row.updated_at if draft_row else None,
    )


def _validated(areas: Sequence[ReviewArea], answers: Mapping[str, Answer]) -> dict[str, dict[str, Any]]:
    known = {answer_key(a.id, i) for a in areas for i in range(len(a.question_list))}
    errors: dict[str, list[str]] = {}
    clean: dict[str, dict[str, Any]] = {}
    for key, (rating, text) in answers.items():
        if key not in known:
            errors.setdefault("answers", []).append(_("There is no such guiding question: %(key)s", key=key))
            continue
        if rating is not None and rating not in RATINGS:
            errors[f"rating-{key}"] = [_("Choose one of the four steps of the scale.")]
        text = (text or "").strip()
        if len(text) > MAX_ANSWER_LENGTH:
            errors[f"text-{key}"] = [_("At most %(n)d characters.", n=MAX_ANSWER_LENGTH)]
        if rating is not None or text:
            clean[key] = {"rating": rating, "text": text}
    if errors:
        raise InvalidInput(errors)
    return clean


def save_self_assessment(
    visit_id: uuid.UUID, *, actor: Actor, answers: Mapping[str, Answer], submit: bool = False
) -> SelfAssessmentDraft | SelfAssessment:
    """Keep the unit's answers as its draft (``submit`` False: replaces the draft) or submit them (the draft's
    answers are replaced by ``answers``; received now, never changed; the draft is removed).

    ``answers`` maps ``answer_key(area id, question index)`` to (rating 1–4 or None, text). Raises NotFound,
    Forbidden (not the unit), DomainError (not planned/in progress, already submitted, nothing answered on
    submit), InvalidInput naming ``rating-<key>``/``text-<key>``/``answers``."""
    visit = policy.get_visit_for_self_assessment(actor, visit_id)
    submitted = self_assessment_of_visit(visit.id) is not None
    if (refusal := policy.why_not_fill_self_assessment(actor, visit, submitted=submitted)) is not None:
        raise refusal
    areas = list(visit.template_version.areas)
    clean = _validated(areas, answers)
    draft = db.session.scalar(select(SelfAssessmentDraft).where(SelfAssessmentDraft.visit_id == visit.id))
    if not submit:
        draft = draft or SelfAssessmentDraft(visit_id=visit.id)
        draft.answers = clean
        draft.updated_by_id = actor.id
        draft.updated_at = utcnow()
        db.session.add(draft)
        db.session.flush()
        return draft
    if not clean:
        raise DomainError(_("Answer at least one guiding question before submitting."), field="answers")
    assessment = SelfAssessment(
        visit_id=visit.id, unit_id=visit.unit_id, submitted_by_id=actor.id, received_at=utcnow()
    )
    db.session.add(assessment)
    for area in areas:
        for index, question in enumerate(area.question_list):
            given = clean.get(answer_key(area.id, index))
            db.session.add(
                SelfAssessmentAnswer(
                    assessment=assessment,
                    review_area_id=area.id,
                    area_position=area.position,
                    area_title=area.title,
                    question_index=index,
                    question=question,
                    rating=given["rating"] if given else None,
                    text=given["text"] if given else "",
                )
            )
    if draft is not None:
        db.session.delete(draft)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("The self-assessment is already submitted; it is not changed after that.")) from None
    return assessment


def self_assessments_waiting(unit_ids: Sequence[uuid.UUID]) -> list[Visit]:
    """Visits of the units that are planned or in progress and have no submitted self-assessment yet, soonest
    first; for the unit's portal (one query). A visit's unit is read lazily: from the session, where the portal
    has loaded the person's units (issue 17)."""
    if not unit_ids:
        return []
    submitted = select(SelfAssessment.visit_id)
    return list(
        db.session.scalars(
            select(Visit)
            .where(
                Visit.unit_id.in_(list(unit_ids)),
                Visit.status.in_(policy.SELF_ASSESSMENT_OPEN),
                Visit.id.not_in(submitted),
            )
            .order_by(Visit.visit_date.asc().nulls_last(), Visit.id)
        )
    )
