"""The access policy of DESIGN.md 4.6, in one place.

Every query a view, the API or a service makes *for a person* starts here. Coordinators see everything;
reviewers see every unit (and edit only what they are on the team of, later issues); unit members see only
their own units. Another unit's object is a 404, never a 403, so existence does not leak.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Select, exists, select

from app.core.errors import Forbidden, NotFound
from app.extensions import db
from app.units.models import Membership, Unit

if TYPE_CHECKING:
    from app.auth.models import Role, User
    from app.followups.models import FollowUp, FollowUpEvidence
    from app.visits.models import Evidence, Finding, Visit


def visible_units(actor: User) -> Select[Unit]:
    query = select(Unit)
    if not actor.is_staff:
        query = query.where(Unit.id.in_(select(Membership.unit_id).where(Membership.user_id == actor.id)))
    return query


def can_see_unit(actor: User, unit_id: uuid.UUID) -> bool:
    return actor.is_staff or unit_id in actor.unit_ids


def get_unit(actor: User, unit_id: uuid.UUID) -> Unit:
    unit = db.session.get(Unit, unit_id) if can_see_unit(actor, unit_id) else None
    if unit is None:
        raise NotFound(_("The unit does not exist or you may not see it."))
    return unit


def visible_users(actor: User) -> Select[User]:
    """Staff see everyone; a unit member sees the people who share a unit with them (and themselves)."""
    from app.auth.models import User

    query = select(User)
    if not actor.is_staff:
        shared = (
            select(Membership.id)
            .where(Membership.user_id == User.id)
            .where(Membership.unit_id.in_(select(Membership.unit_id).where(Membership.user_id == actor.id)))
        )
        query = query.where((User.id == actor.id) | exists(shared))
    return query


def get_user(actor: User, user_id: uuid.UUID) -> User:
    from app.auth.models import User

    person: User | None = db.session.scalars(visible_users(actor).where(User.id == user_id)).first()
    if person is None:
        raise NotFound(_("The person does not exist or you may not see them."))
    return person


def require_role(actor: User, *roles: Role) -> None:
    """For actions on something the actor may see but their role may not do (403)."""
    if not actor.has_role(*roles):
        raise Forbidden(_("Your role does not allow this."))


def may_see_audit_of_unit(actor: User, unit_id: uuid.UUID | None) -> bool:
    if actor.is_coordinator:
        return True
    return unit_id is not None and can_see_unit(actor, unit_id)


class Operator:
    """Whoever runs the command line on the server: acts with every role; the audit trail names them "cli"."""

    id = None
    is_staff = True
    is_coordinator = True
    is_reviewer = True
    unit_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def roles(self) -> frozenset[Role]:
        from app.auth.models import Role

        return frozenset(Role)

    def has_role(self, *roles: Role) -> bool:
        return True


OPERATOR = Operator()


# ---- visits (DESIGN.md 4.1, 4.6) ------------------------------------------------------------------


def visible_visits(actor: User) -> Select[Visit]:
    """Staff see every visit; a unit member sees the visits of their units (before kommunicering only
    the date and the team, which the views enforce with ``can_see_visit_content``)."""
    from app.visits.models import Visit

    query = select(Visit)
    if not actor.is_staff:
        query = query.where(Visit.unit_id.in_(select(Membership.unit_id).where(Membership.user_id == actor.id)))
    return query


def get_visit(actor: User, visit_id: uuid.UUID, *, options: Sequence[Any] = ()) -> Visit:
    """A visit the actor may know of; ``options`` are loader options for the page about to show it."""
    from app.visits.models import Visit

    visit = db.session.get(Visit, visit_id, options=list(options))
    if visit is None or not can_see_unit(actor, visit.unit_id):
        raise NotFound(_("The visit does not exist or you may not see it."))
    return visit


def can_see_visit_content(actor: User, visit: Visit) -> bool:
    """Findings, evidence and the report: staff always, the unit from kommunicering on."""
    return actor.is_staff or visit.is_open_to_unit


def get_visit_with_content(actor: User, visit_id: uuid.UUID, *, options: Sequence[Any] = ()) -> Visit:
    """A visit whose findings the actor is about to see; a draft is a 404 to the unit (it may not know of it)."""
    visit = get_visit(actor, visit_id, options=options)
    if not can_see_visit_content(actor, visit):
        raise NotFound(_("The report does not exist or you may not see it yet."))
    return visit


def can_edit_visit(actor: User, visit: Visit) -> bool:
    """Coordinators, and reviewers on the visit's team (DESIGN.md 4.6)."""
    return actor.is_coordinator or (actor.is_reviewer and actor.id in visit.team_ids)


def require_visit_editor(actor: User, visit: Visit) -> None:
    if not can_edit_visit(actor, visit):
        raise Forbidden(_("Only the review team and coordinators may change this visit."))


def get_finding(actor: User, finding_id: uuid.UUID) -> Finding:
    from app.visits.models import Finding

    finding = db.session.get(Finding, finding_id)
    if (
        finding is None
        or not can_see_unit(actor, finding.visit.unit_id)
        or not can_see_visit_content(actor, finding.visit)
    ):
        raise NotFound(_("The finding does not exist or you may not see it."))
    return finding


def get_evidence(actor: User, evidence_id: uuid.UUID) -> Evidence:
    from app.visits.models import Evidence

    item = db.session.get(Evidence, evidence_id)
    if item is None:
        raise NotFound(_("The file does not exist or you may not see it."))
    get_finding(actor, item.finding_id)
    return item


# ---- follow-ups (DESIGN.md 4.4, 4.6) --------------------------------------------------------------


def visible_follow_ups(actor: User) -> Select[FollowUp]:
    """Staff see every follow-up; a unit member those of their units, except the ones of a visit whose draft
    the unit may not see yet (a follow-up the review team prepares before kommunicering)."""
    from app.followups.models import FollowUp
    from app.visits.models import STATUS_ORDER, Visit, VisitStatus

    query = select(FollowUp)
    if not actor.is_staff:
        own_units = select(Membership.unit_id).where(Membership.user_id == actor.id)
        open_statuses = STATUS_ORDER[STATUS_ORDER.index(VisitStatus.sent_for_comment) :]
        open_visits = select(Visit.id).where(Visit.unit_id.in_(own_units), Visit.status.in_(open_statuses))
        query = query.where(
            FollowUp.unit_id.in_(own_units),
            (FollowUp.visit_id.is_(None)) | FollowUp.visit_id.in_(open_visits),
        )
    return query


def get_follow_up(actor: User, follow_up_id: uuid.UUID, *, options: Sequence[Any] = ()) -> FollowUp:
    """A follow-up the actor may see; anything else is a 404."""
    from app.followups.models import FollowUp

    follow_up = db.session.get(FollowUp, follow_up_id, options=list(options))
    if (
        follow_up is None
        or not can_see_unit(actor, follow_up.unit_id)
        or (follow_up.visit is not None and not can_see_visit_content(actor, follow_up.visit))
    ):
        raise NotFound(_("The follow-up does not exist or you may not see it."))
    return follow_up


def get_follow_up_evidence(actor: User, evidence_id: uuid.UUID) -> FollowUpEvidence:
    """A file of a done report, for whoever may see its follow-up."""
    from app.followups.models import FollowUpEvidence

    item = db.session.get(FollowUpEvidence, evidence_id)
    if item is None:
        raise NotFound(_("The file does not exist or you may not see it."))
    get_follow_up(actor, item.follow_up_id)
    return item


# ---- conditional trust (DESIGN.md 4.3, 4.6) -------------------------------------------------------


# ---- dialogue (DESIGN.md 4.2, 4.6) ----------------------------------------------------------------
