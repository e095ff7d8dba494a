"""The unit's responses to findings and the authority's comment on them (DESIGN.md 4.1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.errors import InvalidInput
from app.core.models import local_today, utcnow
from app.extensions import db
from app.visits import notices as visit_notices
from app.visits import policy
from app.visits.models import (
    Response,
    ResponseComment,
    Stance,
    Visit,
)

# ---- the unit's response (yttrande) ---------------------------------------------------------------


@dataclass
class FindingAnswer:
    finding_id: uuid.UUID
    stance: Stance | str | None
    text: str


def _may_respond(actor: User, visit: Visit, today: date) -> None:
    if (refusal := policy.why_not_respond(actor, visit, today)) is not None:
        raise refusal


def submit_response(
    visit_id: uuid.UUID,
    *,
    actor: User,
    overall: str = "",
    answers: Iterable[FindingAnswer] = (),
    today: date | None = None,
) -> list[Response]:
    """The unit's response: the report as a whole and any findings, received now and never edited after.
    The unit knows of its visits before kommunicering (date and team), so responding then is refused by
    rule (409), not hidden; the findings are read only once the report is out for comment."""
    visit = policy.get_visit(actor, visit_id)
    _may_respond(actor, visit, today or local_today())
    findings = {f.id: f for f in visit.findings}
    errors: dict[str, list[str]] = {}
    rows: list[Response] = []
    received = utcnow()
    overall = (overall or "").strip()
    if overall:
        rows.append(Response(id=uuid.uuid4(), visit=visit, stance=None, text=overall))
    for answer in answers:
        text = (answer.text or "").strip()
        if answer.finding_id not in findings:
            errors.setdefault("findings", []).append(_("A finding in the response is not part of this report."))
            continue
        if not answer.stance and not text:
            continue  # left unanswered
        try:
            stance = Stance(answer.stance) if answer.stance else None
        except ValueError:
            stance = None
        if stance is None:
            errors[f"stance-{answer.finding_id}"] = [_("Choose whether you agree, partly agree or disagree.")]
            continue
        rows.append(
            Response(id=uuid.uuid4(), visit=visit, finding=findings[answer.finding_id], stance=stance, text=text)
        )
    if not rows and not errors:
        errors["overall"] = [_("Write a comment on the report or answer at least one finding.")]
    if errors:
        raise InvalidInput(errors)
    for row in rows:
        row.submitted_by_id = actor.id
        row.received_at = received
        db.session.add(row)
    db.session.flush()
    visit_notices.record(visit_notices.RESPONSE_SUBMITTED, visit, actor=actor, to_unit=False)  # DESIGN.md 4.2
    return rows


MAX_COMMENT = 5000


def comment_on_response(response_id: uuid.UUID, *, actor: User, text: str) -> ResponseComment:
    """Write (or rewrite) the authority's comment on one of the unit's responses: how it was taken into account
    (DESIGN.md 4.1). The response itself never changes; the comment is its own row, one per response, and is
    printed beside the response in the final report. Raises NotFound, Forbidden, DomainError (not out for
    comment, or a response to an earlier draft) or InvalidInput (``text``: 1–5000 characters)."""
    response = policy.get_response(actor, response_id)
    if (refusal := policy.why_not_comment_on_response(actor, response)) is not None:
        raise refusal
    written = (text or "").strip()
    if not written:
        raise InvalidInput({"text": [_("Write how the response was taken into account.")]})
    if len(written) > MAX_COMMENT:
        raise InvalidInput({"text": [_("The text may be at most %(n)d characters long.", n=MAX_COMMENT)]})
    comment = db.session.scalar(select(ResponseComment).where(ResponseComment.response_id == response.id))
    if comment is None:
        comment = ResponseComment(id=uuid.uuid4(), response_id=response.id, response=response, text=written)
        db.session.add(comment)
    else:
        comment.text = written
    comment.written_by_id = actor.id
    db.session.flush()
    return comment


def responses_query(visit: Visit) -> Select[Response]:
    """Every response the unit has given on a visit, newest first (corrections are newer rows)."""
    return (
        select(Response)
        .where(Response.visit_id == visit.id)
        .options(selectinload(Response.submitted_by))
        .order_by(Response.received_at.desc(), Response.id)
    )


def responses_history(visit: Visit) -> list[Response]:
    return list(db.session.scalars(responses_query(visit)))
