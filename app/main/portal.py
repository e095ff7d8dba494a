"""The unit's portal: a unit member's start page, with above all what waits for them, each a link to the place
to act, and who in the unit did what. A fixed number of queries however much there is (eager loading, one
aggregate per kind of item). The person's units are loaded first and kept for the whole page: every item's
``unit`` is then read from the session, never with a statement of its own (issue 17); people shown by name are
loaded without their roles.

It lives with the other start pages (app.main) and reads each domain through that domain's own modules: visits
and responses, follow-ups, conversations (app.dialogue.services), boundary proposals to answer and readings due
(app.trust.queries)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.core import audit, timeline
from app.core.models import AuditEvent, local_today
from app.dialogue import services as dialogue_services
from app.extensions import db
from app.followups import policy as followups_policy
from app.followups.models import FollowUp, FollowUpStatus
from app.learning import services as learning_services
from app.learning.models import GoodExample
from app.trust import queries as trust_queries
from app.trust.models import BoundaryVersion
from app.units import policy as units_policy
from app.units.models import Membership, Unit
from app.visits import policy as visits_policy
from app.visits import timeline as visit_timeline
from app.visits.models import Response, Visit, VisitStatus

ACTIVITY_SHOWN = 12
UNREAD_SHOWN = 10


@dataclass
class UnitCard:
    unit: Unit
    members: int
    for_comment: int = 0
    follow_ups_open: int = 0
    unread: int = 0


@dataclass
class Portal:
    units: list[UnitCard]
    for_comment: list[Visit]
    # The newest response per visit out for comment: who answered for the unit, and when.
    responses: dict[uuid.UUID, Response]
    follow_ups_to_accept: list[FollowUp]
    follow_ups_to_report: list[FollowUp]
    proposals_to_answer: list[BoundaryVersion]
    good_examples_to_answer: list[GoodExample]
    self_assessments_to_fill: list[Visit]
    feedback_to_give: list[Visit]
    readings_due: list[trust_queries.ReadingDue]
    unread_threads: list[dialogue_services.ThreadSummary]
    unread_total: int
    activity: Sequence[AuditEvent]
    activity_visits: dict[str, Any]
    upcoming: list[Visit]
    today: date = field(default_factory=local_today)

    @property
    def nothing_waits(self) -> bool:
        return not (
            self.for_comment
            or self.follow_ups_to_accept
            or self.follow_ups_to_report
            or self.proposals_to_answer
            or self.good_examples_to_answer
            or self.self_assessments_to_fill
            or self.feedback_to_give
            or self.readings_due
            or self.unread_threads
        )


def open_follow_ups(actor: User, unit_ids: Sequence[uuid.UUID]) -> tuple[list[FollowUp], list[FollowUp]]:
    """Follow-ups that wait for the unit: proposed by the review team and not yet accepted by the unit, and
    agreed ones to carry out and report done (DESIGN.md 4.4); the soonest due first. Through the access policy:
    a follow-up the review team prepares on a draft the unit may not see yet stays out."""
    rows = db.session.scalars(
        followups_policy.visible_follow_ups(actor)
        .where(
            FollowUp.unit_id.in_(unit_ids),
            (FollowUp.status == FollowUpStatus.agreed)
            | ((FollowUp.status == FollowUpStatus.proposed) & FollowUp.unit_accepted_at.is_(None)),
        )
        # The unit from the session (see the module's docstring); the owner by name, without their roles.
        .options(joinedload(FollowUp.owner).lazyload(User.role_rows))
        .order_by(FollowUp.due_date, FollowUp.id)
    ).all()
    to_accept = [f for f in rows if f.status == FollowUpStatus.proposed]
    to_report = [f for f in rows if f.status == FollowUpStatus.agreed]
    return to_accept, to_report


def _latest_responses(visit_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Response]:
    if not visit_ids:
        return {}
    newest: dict[uuid.UUID, Response] = {}
    for row in db.session.scalars(
        select(Response)
        .join(Visit, Visit.id == Response.visit_id)
        .where(Response.visit_id.in_(visit_ids), visits_policy.current_response_of_joined_visit())
        .options(joinedload(Response.submitted_by).lazyload(User.role_rows))
        .order_by(Response.received_at, Response.id)
    ):
        newest[row.visit_id] = row
    return newest


def unit_activity(unit_ids: Sequence[uuid.UUID], *, limit: int = ACTIVITY_SHOWN) -> list[AuditEvent]:
    """What happened lately in the person's units, newest first: who did what, as the unit may read it. The
    actors are not loaded: the timeline names them in its one lookup of names (app.core.timeline.prefetch)."""
    if not unit_ids:
        return []
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.unit_id.in_(unit_ids),
                AuditEvent.object_type.in_(audit.unit_readable_types()),
                *[~hidden for hidden in audit.hidden_from_unit(unit_ids)],
            )
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def unit_portal(actor: User, *, today: date | None = None) -> Portal:
    today = today or local_today()
    units = list(
        db.session.scalars(units_policy.visible_units(actor).where(Unit.id.in_(actor.unit_ids)).order_by(Unit.name))
    )
    unit_ids = [u.id for u in units]
    timeline.remember_names("unit", {str(u.id): u.name for u in units})  # the timeline's names of them
    mine = visits_policy.visible_visits(actor).where(Visit.unit_id.in_(unit_ids))  # units: from the session
    # Out for comment and the deadline not yet passed: after it, nothing is left for the unit to do there.
    for_comment = list(
        db.session.scalars(
            mine.where(
                Visit.status == VisitStatus.sent_for_comment,
                (Visit.comment_deadline.is_(None)) | (Visit.comment_deadline >= today),
            ).order_by(Visit.comment_deadline)
        )
    )
    upcoming = list(
        db.session.scalars(
            mine.where(Visit.status.in_([VisitStatus.planned, VisitStatus.in_progress])).order_by(
                Visit.visit_date.asc().nulls_last()
            )
        )
    )
    to_accept, to_report = open_follow_ups(actor, unit_ids)
    unread_threads = dialogue_services.unread_threads(actor, unit_ids=unit_ids, limit=UNREAD_SHOWN)
    per_unit = select(Membership.unit_id, func.count()).where(Membership.unit_id.in_(unit_ids))
    members = dict(db.session.execute(per_unit.group_by(Membership.unit_id)).all())
    unread_by_unit = dialogue_services.unread_by_unit(actor, unit_ids)
    cards = []
    for unit in units:
        card = UnitCard(unit, int(members.get(unit.id, 0)), unread=unread_by_unit.get(unit.id, 0))
        card.for_comment = sum(1 for v in for_comment if v.unit_id == unit.id)
        card.follow_ups_open = sum(1 for f in [*to_accept, *to_report] if f.unit_id == unit.id)
        cards.append(card)
    activity = unit_activity(unit_ids)
    return Portal(
        units=cards,
        for_comment=for_comment,
        responses=_latest_responses([v.id for v in for_comment]),
        follow_ups_to_accept=to_accept,
        follow_ups_to_report=to_report,
        proposals_to_answer=trust_queries.proposals_awaiting_unit(unit_ids),
        good_examples_to_answer=learning_services.proposals_awaiting(unit_ids),
        self_assessments_to_fill=learning_services.self_assessments_waiting(unit_ids),
        feedback_to_give=learning_services.feedback_waiting(actor, unit_ids),
        readings_due=trust_queries.readings_due(units, today),
        unread_threads=unread_threads,
        unread_total=sum(unread_by_unit.values()),
        activity=activity,
        activity_visits=visit_timeline.visit_refs(activity),
        upcoming=upcoming,
        today=today,
    )
