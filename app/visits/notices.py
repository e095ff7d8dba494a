"""The visits domain's notices of what the other side did (DESIGN.md 4.2): the unit's response submitted (to the
review team), a visit cancelled or its draft taken back for revision (to the unit's members, who see every visit
of their unit: its date and team). Told in the dialogue's batched e-mail through ``app.core.notices``."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.core import notices
from app.core.errors import NotFound
from app.core.urls import external_url
from app.extensions import db
from app.units.models import Membership
from app.visits import policy
from app.visits.models import Visit

RESPONSE_SUBMITTED = "visit.response_submitted"
CANCELLED = "visit.cancelled"
WITHDRAWN = "visit.withdrawn"


def _describe(visit_id: uuid.UUID, recipient: Any) -> notices.NoticeSubject | None:
    """The visit's case number, "Review visit to <unit>" and its page; None when the recipient may not see it."""
    try:
        visit = policy.get_visit(recipient, visit_id)
    except NotFound:
        return None
    return notices.NoticeSubject(
        visit.case_number,
        _("Review visit to %(unit)s", unit=visit.unit.name),
        external_url("visits.show", visit_id=visit.id),
    )


def register() -> None:
    """Declare the visits domain's notice kinds and its subject (at start-up)."""
    notices.register_notice_subject("visit", _describe)
    notices.register_notice_kinds(
        {
            RESPONSE_SUBMITTED: lambda who: _("%(who)s submitted the unit's response to the draft report.", who=who),
            CANCELLED: lambda who: _("%(who)s cancelled the visit.", who=who),
            WITHDRAWN: lambda who: _("%(who)s took the draft report back for revision.", who=who),
        }
    )


def unit_member_ids(unit_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of the unit's active members."""
    return list(
        db.session.scalars(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == unit_id, User.is_active_account.is_(True))
        )
    )


def record(kind: str, visit: Visit, *, actor: User, to_unit: bool) -> None:
    """Record ``kind`` about ``visit`` for its unit's members (``to_unit``) or its review team, in the current
    transaction; the actor is never told of their own move."""
    people = unit_member_ids(visit.unit_id) if to_unit else [m.user_id for m in visit.team]
    notices.record(kind, object_type="visit", object_id=visit.id, actor_id=actor.id, recipient_ids=people)
