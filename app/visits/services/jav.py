"""Jäv over time (DESIGN.md 4.1): a reviewer of an open visit may not join the unit meanwhile."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.core import signals
from app.core.errors import InvalidInput
from app.extensions import db
from app.visits.models import (
    TeamMember,
    Visit,
    VisitStatus,
)

# ---- jäv over time (DESIGN.md 4.6) ---------------------------------------------------------------

# The visits whose team must not take the unit's side: from planned to out for comment.
JAV_OPEN_STATUSES = (VisitStatus.planned, VisitStatus.in_progress, VisitStatus.draft, VisitStatus.sent_for_comment)


def visits_reviewed_by(person_id: uuid.UUID, unit_ids: Iterable[uuid.UUID]) -> list[Visit]:
    """The open visits (planned to out for comment) of these units that have the person on their team, by
    case number: what a membership of those units would put them on both sides of."""
    ids = list(unit_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Visit)
            .where(
                Visit.unit_id.in_(ids),
                Visit.status.in_(JAV_OPEN_STATUSES),
                Visit.team.any(TeamMember.user_id == person_id),
            )
            .order_by(Visit.case_number)
        )
    )


def refuse_membership_with_open_visits(person: User, *, unit_ids: Iterable[uuid.UUID], **_kwargs: Any) -> None:
    """Receiver of ``signals.before_membership_added``: jäv holds over time (DESIGN.md 4.6). A membership that
    would make the person a member of a unit whose open visit has them on its team is refused (InvalidInput on
    ``units``) naming the visits, until they are replaced on those teams."""
    conflicting = visits_reviewed_by(person.id, unit_ids)
    if conflicting:
        raise InvalidInput(
            {
                "units": [
                    _(
                        "Conflict of interest (jäv): %(name)s is on the review team of %(visits)s of this unit. "
                        "Replace them on those teams before making them a member of the unit.",
                        name=person.name,
                        visits=", ".join(f"{v.case_number} ({v.unit.name})" for v in conflicting),
                    )
                ]
            }
        )


def connect() -> None:
    """The visits domain's receivers of other domains' events (called by app.visits.init_app)."""
    signals.before_membership_added.connect(refuse_membership_with_open_visits)
