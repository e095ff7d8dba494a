"""Feedback on the supervision (DESIGN.md 4.5): after a visit is final each member of the unit may say once how
useful, respectful and clear it was (1–5 each) and write freely; they are invited by e-mail and in the portal.
The unit sees its own; coordinators see averages and distributions per template, year and review team, per
reviewer only with at least ``MIN_ANSWERS_PER_REVIEWER`` answers, and the free texts without names."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core import access, mail
from app.core.access import Actor
from app.core.errors import InvalidInput
from app.core.urls import external_url
from app.extensions import db
from app.learning import policy
from app.learning.models import FEEDBACK_SCORES, SupervisionFeedback
from app.units.models import Membership
from app.visits import policy as visits_policy
from app.visits.models import TeamMember, Template, TemplateVersion, Visit, VisitStatus

QUESTIONS = ("useful", "respectful", "clear")
MAX_FEEDBACK_LENGTH = 5000


def own_feedback(actor: Actor, visit_id: uuid.UUID) -> SupervisionFeedback | None:
    """What the actor gave on the visit, if anything."""
    return db.session.scalar(
        select(SupervisionFeedback).where(
            SupervisionFeedback.visit_id == visit_id, SupervisionFeedback.user_id == actor.id
        )
    )


def unit_feedback(actor: Actor, visit_id: uuid.UUID) -> list[SupervisionFeedback]:
    """The feedback the visit's unit gave (for the unit's own members; the supervising side gets NotFound-free
    empty answers only through the summary). Raises NotFound for another unit's visit."""
    visit = visits_policy.get_visit(actor, visit_id)
    if not access.takes_unit_side(actor, visit.unit_id):
        return []
    return list(
        db.session.scalars(
            select(SupervisionFeedback)
            .where(SupervisionFeedback.visit_id == visit.id)
            .options(selectinload(SupervisionFeedback.user))
            .order_by(SupervisionFeedback.given_at)
        )
    )


def give_feedback(
    visit_id: uuid.UUID, *, actor: Actor, useful: Any, respectful: Any, clear: Any, text: str = ""
) -> SupervisionFeedback:
    """Record the actor's feedback on the visit: ``useful``, ``respectful`` and ``clear`` each an integer 1–5,
    ``text`` free (at most 5,000 characters). Once per member and visit, after final.

    Raises NotFound (another unit's visit), Forbidden (not the unit), DomainError (not final yet, already given),
    InvalidInput naming the field."""
    visit = visits_policy.get_visit(actor, visit_id)
    given = own_feedback(actor, visit.id) is not None
    if (refusal := policy.why_not_give_feedback(actor, visit, given=given)) is not None:
        raise refusal
    scores: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for name, value in (("useful", useful), ("respectful", respectful), ("clear", clear)):
        if isinstance(value, bool) or not isinstance(value, int) or value not in FEEDBACK_SCORES:
            errors[name] = [_("Choose a number from 1 to 5.")]
        else:
            scores[name] = value
    text = (text or "").strip()
    if len(text) > MAX_FEEDBACK_LENGTH:
        errors["text"] = [_("At most %(n)d characters.", n=MAX_FEEDBACK_LENGTH)]
    if errors:
        raise InvalidInput(errors)
    feedback = SupervisionFeedback(visit_id=visit.id, unit_id=visit.unit_id, user_id=actor.id, text=text, **scores)
    db.session.add(feedback)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        refusal = policy.why_not_give_feedback(actor, visit, given=True)
        raise refusal if refusal else RuntimeError("feedback refused") from None
    return feedback


def feedback_waiting(actor: Actor, unit_ids: Sequence[uuid.UUID]) -> list[Visit]:
    """Final visits of the units on which the actor has not given feedback yet (for the portal; one query). A
    visit's unit is read lazily: from the session, where the portal has loaded the person's units (issue 17)."""
    if not unit_ids:
        return []
    given = select(SupervisionFeedback.visit_id).where(SupervisionFeedback.user_id == actor.id)
    return list(
        db.session.scalars(
            select(Visit)
            .where(Visit.unit_id.in_(list(unit_ids)), Visit.status == VisitStatus.final, Visit.id.not_in(given))
            .order_by(Visit.finalised_at.desc().nulls_last(), Visit.id)
        )
    )


def invite_to_feedback(visit: Visit) -> int:
    """E-mail each active member of the visit's unit an invitation to give feedback (through the outbox, in the
    caller's transaction). Returns how many were queued."""
    members = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == visit.unit_id, User.is_active_account.is_(True))
        .order_by(User.id)
    ).all()
    for person in members:
        mail.queue(
            mail.render_email(
                "learning/feedback_invitation",
                to=person.email,
                language=person.language,
                person=person,
                visit=visit,
                link=external_url("learning.feedback_page", visit_id=visit.id),
            ),
            source=f"learning.feedback_invitation:{visit.id}",
        )
    return len(members)


def on_visit_status_changed(visit: Visit, *, actor: Any = None, previous: Any = None, **_: Any) -> None:
    """Receiver of ``visit_status_changed``: a visit that has just become final invites its unit to feedback."""
    if visit.status == VisitStatus.final and previous != VisitStatus.final:
        invite_to_feedback(visit)


# ---- the coordinators' summary ----------------------------------------------------------------------------


@dataclass
class Figures:
    """Averages (1 decimal; None without answers) and distributions (score → count) of the three questions."""

    count: int = 0
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(QUESTIONS, 0))
    distributions: dict[str, dict[int, int]] = field(
        default_factory=lambda: {q: dict.fromkeys(FEEDBACK_SCORES, 0) for q in QUESTIONS}
    )

    def add(self, row: SupervisionFeedback) -> None:
        self.count += 1
        for q in QUESTIONS:
            value = getattr(row, q)
            self.sums[q] += value
            self.distributions[q][value] += 1

    @property
    def averages(self) -> dict[str, float | None]:
        return {q: (round(self.sums[q] / self.count, 1) if self.count else None) for q in QUESTIONS}


@dataclass
class FeedbackSummary:
    """The coordinators' view: ``overall``; ``by_template`` (name), ``by_year``, ``by_team`` (the team's names
    joined; only teams with enough answers, since a team of one is a reviewer) and ``by_reviewer`` (name; only
    reviewers with enough answers) → Figures; ``texts``: the free texts, newest first, without names;
    ``hidden_reviewers``/``hidden_teams``: how many reviewers/teams had too few answers to be shown (DESIGN.md 4.5)."""

    overall: Figures
    by_template: dict[str, Figures]
    by_year: dict[int, Figures]
    by_team: dict[str, Figures]
    by_reviewer: dict[str, Figures]
    hidden_reviewers: int
    hidden_teams: int
    texts: list[str]
    templates: list[tuple[uuid.UUID, str]]
    years: list[int]


def _figures(rows: Iterable[SupervisionFeedback]) -> Figures:
    figures = Figures()
    for row in rows:
        figures.add(row)
    return figures


def feedback_summary(actor: Actor, *, template_id: uuid.UUID | None = None, year: int | None = None) -> FeedbackSummary:
    """The summary for coordinators (Forbidden otherwise), optionally of one template and one year (of the visit
    date). Three queries whatever the number of answers."""
    if (refusal := policy.why_not_read_feedback_summary(actor)) is not None:
        raise refusal
    query = (
        select(SupervisionFeedback, Visit, Template)
        .join(Visit, Visit.id == SupervisionFeedback.visit_id)
        .join(TemplateVersion, TemplateVersion.id == Visit.template_version_id)
        .join(Template, Template.id == TemplateVersion.template_id)
        .order_by(SupervisionFeedback.given_at.desc())
    )
    if template_id is not None:
        query = query.where(Template.id == template_id)
    rows = db.session.execute(query).all()
    years = sorted({r.Visit.visit_date.year for r in rows if r.Visit.visit_date}, reverse=True)
    if year is not None:
        rows = [r for r in rows if r.Visit.visit_date and r.Visit.visit_date.year == year]
    visit_ids = {r.Visit.id for r in rows}
    teams: dict[uuid.UUID, list[str]] = defaultdict(list)
    if visit_ids:
        for member, name in db.session.execute(
            select(TeamMember, User.name)
            .join(User, User.id == TeamMember.user_id)
            .where(TeamMember.visit_id.in_(visit_ids))
        ):
            teams[member.visit_id].append(name)
    by_template: dict[str, Figures] = defaultdict(Figures)
    by_year: dict[int, Figures] = defaultdict(Figures)
    by_team: dict[str, Figures] = defaultdict(Figures)
    by_reviewer: dict[str, Figures] = defaultdict(Figures)
    for feedback, visit, template in rows:
        by_template[template.name].add(feedback)
        if visit.visit_date:
            by_year[visit.visit_date.year].add(feedback)
        names = sorted(teams.get(visit.id, []))
        by_team[", ".join(names)].add(feedback)
        for name in names:
            by_reviewer[name].add(feedback)
    shown = {n: f for n, f in sorted(by_reviewer.items()) if f.count >= policy.MIN_ANSWERS_PER_REVIEWER}
    # A team is named by its reviewers, and a team of one is a reviewer: the same 5-answer rule holds for teams.
    teams_shown = {n: f for n, f in sorted(by_team.items()) if f.count >= policy.MIN_ANSWERS_PER_REVIEWER}
    all_templates = db.session.execute(select(Template.id, Template.name).order_by(Template.name)).all()
    return FeedbackSummary(
        overall=_figures(r.SupervisionFeedback for r in rows),
        by_template=dict(sorted(by_template.items())),
        by_year=dict(sorted(by_year.items(), reverse=True)),
        by_team=teams_shown,
        by_reviewer=shown,
        hidden_reviewers=len(by_reviewer) - len(shown),
        hidden_teams=len(by_team) - len(teams_shown),
        texts=[r.SupervisionFeedback.text for r in rows if r.SupervisionFeedback.text],
        templates=[(t.id, t.name) for t in all_templates],
        years=years,
    )
