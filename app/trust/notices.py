"""The trust domain's notices of what the other side did (DESIGN.md 4.2): a boundary proposed (to the other party,
whose acceptance it waits for) or answered (accepted or declined, to the proposing party). Told in the dialogue's
batched e-mail through ``app.core.notices``: the boundary's name and the unit, never a reason."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import Role, User, UserRole
from app.core import access, notices
from app.core.errors import NotFound
from app.core.urls import external_url
from app.extensions import db
from app.trust import labels
from app.trust.models import BoundaryVersion, Side
from app.units import policy as units_policy
from app.units.models import Membership

PROPOSED = "boundary.proposed"
PROPOSED_CHANGE = "boundary.proposed_change"
PROPOSED_END = "boundary.proposed_end"
ACCEPTED = "boundary.accepted"
REJECTED = "boundary.rejected"


def _describe(version_id: uuid.UUID, recipient: Any) -> notices.NoticeSubject | None:
    """No case number (a boundary belongs to the unit, not a visit); the boundary's name and unit; the unit's
    boundaries page. None when the recipient may no longer see the unit."""
    version = db.session.get(BoundaryVersion, version_id)
    if version is None:
        return None
    try:
        unit = units_policy.get_unit(recipient, version.boundary.unit_id)
    except NotFound:
        return None
    return notices.NoticeSubject(
        None,
        _("Trust boundary “%(title)s” of %(unit)s", title=labels.title(version), unit=unit.name),
        external_url("trust.boundaries", unit_id=unit.id),
    )


def register() -> None:
    """Declare the trust domain's notice kinds and its subject (at start-up)."""
    notices.register_notice_subject("boundary_version", _describe)
    sentences = {
        PROPOSED: lambda who: _("%(who)s proposed it; it comes into force only if your side accepts it.", who=who),
        PROPOSED_CHANGE: lambda who: _("%(who)s proposed a change; it waits for your side's answer.", who=who),
        PROPOSED_END: lambda who: _("%(who)s proposed to end it; it waits for your side's answer.", who=who),
        ACCEPTED: lambda who: _("%(who)s accepted your side's proposal.", who=who),
        REJECTED: lambda who: _("%(who)s declined your side's proposal.", who=who),
    }
    # Once the reader's own side has answered the proposal before their batch went out (DESIGN.md 4.2).
    answered = {
        PROPOSED: lambda who: _("%(who)s proposed it; your side has answered it since.", who=who),
        PROPOSED_CHANGE: lambda who: _("%(who)s proposed a change; your side has answered it since.", who=who),
        PROPOSED_END: lambda who: _("%(who)s proposed to end it; your side has answered it since.", who=who),
    }
    notices.register_notice_kinds(sentences, answered=answered)


def _people_of(side: Side, version: BoundaryVersion) -> list[uuid.UUID]:
    """The unit's active members; for the supervising body the coordinators who do not take the unit's side (jäv),
    and the reviewer who proposed the version."""
    unit_id = version.boundary.unit_id
    active = select(User).where(User.is_active_account.is_(True))
    if side == Side.unit:
        members = active.where(User.id.in_(select(Membership.user_id).where(Membership.unit_id == unit_id)))
        return [p.id for p in db.session.scalars(members)]
    coordinators = active.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.coordinator)))
    people = [p.id for p in db.session.scalars(coordinators) if not access.takes_unit_side(p, unit_id)]
    if version.proposed_by_side == Side.supervisor and version.proposed_by_id is not None:
        people.append(version.proposed_by_id)
    return people


def record_proposal(version: BoundaryVersion, *, actor: User) -> None:
    """A proposal waits for the other party's answer: they are told (DESIGN.md 4.2, 4.3)."""
    kind = PROPOSED_END if version.ends_boundary else PROPOSED_CHANGE if version.number > 1 else PROPOSED
    other = Side.supervisor if version.proposed_by_side == Side.unit else Side.unit
    notices.record(
        kind,
        object_type="boundary_version",
        object_id=version.id,
        actor_id=actor.id,
        recipient_ids=_people_of(other, version),
    )


def record_answer(version: BoundaryVersion, *, actor: User, accepted: bool) -> None:
    """A proposal accepted or declined: the proposing party is told."""
    notices.record(
        ACCEPTED if accepted else REJECTED,
        object_type="boundary_version",
        object_id=version.id,
        actor_id=actor.id,
        recipient_ids=_people_of(version.proposed_by_side, version),
    )
