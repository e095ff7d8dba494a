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
from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true

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


def takes_unit_side(actor: User, unit_id: uuid.UUID) -> bool:
    """A member of a unit takes part as the unit in everything of that unit, whatever other roles they hold
    (jäv, DESIGN.md 2): a peer reviewer never gets the supervising side's view or voice in their own unit."""
    return actor.id is not None and unit_id in actor.unit_ids


def supervises(actor: User, unit_id: uuid.UUID) -> bool:
    """Reviewers and coordinators act for the supervising body in every unit but their own."""
    return actor.is_staff and not takes_unit_side(actor, unit_id)


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
    """Findings, evidence and the report: the supervising side always, the unit from kommunicering on."""
    return supervises(actor, visit.unit_id) or visit.is_open_to_unit


def get_visit_with_content(actor: User, visit_id: uuid.UUID, *, options: Sequence[Any] = ()) -> Visit:
    """A visit whose findings the actor is about to see; a draft is a 404 to the unit (it may not know of it)."""
    visit = get_visit(actor, visit_id, options=options)
    if not can_see_visit_content(actor, visit):
        raise NotFound(_("The report does not exist or you may not see it yet."))
    return visit


def can_edit_visit(actor: User, visit: Visit) -> bool:
    """Coordinators, and reviewers on the visit's team (DESIGN.md 4.6); never a member of the unit (jäv)."""
    if not supervises(actor, visit.unit_id):
        return False
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


# What a unit member may know of a visit before kommunicering (DESIGN.md 4.1, issue 3): when, who comes, where
# the case stands and its number. Everything else (aim, purpose, template, findings…) is the team's draft.
VISIT_FIELDS_BEFORE_KOMMUNICERING = frozenset({"id", "case_number", "unit", "unit_id", "status", "visit_date", "team"})
# The columns of a visit whose changes a unit member may read in the audit trail (the aim and the waiver are
# the team's working text until the report reaches them, and the report carries them then).
VISIT_AUDIT_FIELDS_FOR_UNIT = frozenset(
    {
        "case_number",
        "unit_id",
        "status",
        "visit_date",
        "comment_deadline",
        "sent_for_comment_at",
        "finalised_at",
        "closed_at",
    }
)
# Events about people's accounts (logins, roles, tokens) belong to the coordinators, who manage people.
ACCOUNT_AUDIT_TYPES = frozenset({"user", "user_role", "api_token"})
TEMPLATE_AUDIT_TYPES = frozenset({"template", "template_version"})


def visit_fields_visible(actor: User, visit: Visit) -> frozenset[str] | None:
    """The fields of a visit the actor may read; None: all of them."""
    return None if can_see_visit_content(actor, visit) else VISIT_FIELDS_BEFORE_KOMMUNICERING


def audit_events(actor: User, *, object_type: str | None = None, object_id: str | None = None) -> Select[Any]:
    """The audit trail a person may read (DESIGN.md 4.6), oldest first; with an object, its events and its
    children's (for a unit: everything that happened in it, as its timeline shows).

    Coordinators read everything. Reviewers read the trail of the supervision (units, everything in them,
    review templates) as they read the units and visits themselves, but not people's accounts (logins,
    roles, tokens): that is personal data the coordinators who manage people need, reviewers do not. A unit
    member reads only their own units' events of the kinds a unit may see (``UNIT_MEMBER_VISIBLE_TYPES``);
    any other object answers 404."""
    from app.core import audit
    from app.core.models import AuditEvent

    if object_type == "unit" and object_id is not None:
        try:
            unit_id = uuid.UUID(object_id)
        except ValueError:
            raise NotFound(_("The unit does not exist or you may not see it.")) from None
        query = audit.unit_history_query(
            get_unit(actor, unit_id).id,
            for_unit_member=not supervises(actor, unit_id),
            with_internal=supervises(actor, unit_id),
        )
    elif object_type is not None and object_id is not None:
        query = audit.history_query(object_type, object_id)
    else:  # the whole trail, or every event about one kind of object
        from sqlalchemy.orm import selectinload

        query = (
            select(AuditEvent).options(selectinload(AuditEvent.actor)).order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
        if object_type is not None:
            query = query.where(AuditEvent.object_type == object_type)
    if actor.is_coordinator:
        return query
    if actor.is_reviewer:
        if object_type in ACCOUNT_AUDIT_TYPES and object_id is not None:
            raise Forbidden(_("Only coordinators may read the history of people's accounts."))
        query = query.where(AuditEvent.unit_id.is_not(None) | AuditEvent.object_type.in_(TEMPLATE_AUDIT_TYPES))
        if actor.unit_ids:  # in their own units a peer reviewer reads what the unit reads (jäv)
            query = query.where(
                AuditEvent.unit_id.is_(None)
                | AuditEvent.unit_id.not_in(list(actor.unit_ids))
                | AuditEvent.object_type.in_(audit.UNIT_MEMBER_VISIBLE_TYPES)
            )
        return query
    own = AuditEvent.unit_id.in_(select(Membership.unit_id).where(Membership.user_id == actor.id))
    if object_type is not None and object_id is not None and object_type != "unit":
        known = db.session.scalar(
            select(exists().where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id), own))
        )
        if object_type not in audit.UNIT_MEMBER_VISIBLE_TYPES or not known:
            raise NotFound(_("The object does not exist or you may not see its history."))
    return query.where(own, AuditEvent.object_type.in_(audit.UNIT_MEMBER_VISIBLE_TYPES))


def visible_audit_changes(actor: User, event: Any) -> dict[str, Any]:
    """The before/after values of an event the actor may read (a unit member: not the team's working text)."""
    supervising = supervises(actor, event.unit_id) if event.unit_id is not None else actor.is_staff
    if supervising or event.object_type != "visit":
        return dict(event.changes or {})
    return {k: v for k, v in (event.changes or {}).items() if k in VISIT_AUDIT_FIELDS_FOR_UNIT}


# ---- follow-ups (DESIGN.md 4.4, 4.6) --------------------------------------------------------------


def visible_follow_ups(actor: User) -> Select[FollowUp]:
    """Staff see every follow-up; a unit member those of their units, except the ones of a visit whose draft
    the unit may not see yet (a follow-up the review team prepares before kommunicering)."""
    from app.followups.models import FollowUp
    from app.visits.models import STATUS_ORDER, Visit, VisitStatus

    query = select(FollowUp)
    own_units = select(Membership.unit_id).where(Membership.user_id == actor.id)
    open_statuses = STATUS_ORDER[STATUS_ORDER.index(VisitStatus.sent_for_comment) :]
    open_visits = select(Visit.id).where(Visit.unit_id.in_(own_units), Visit.status.in_(open_statuses))
    seen_by_unit = FollowUp.visit_id.is_(None) | FollowUp.visit_id.in_(open_visits)
    if not actor.is_staff:
        query = query.where(FollowUp.unit_id.in_(own_units), seen_by_unit)
    elif actor.unit_ids:  # a peer reviewer sees their own unit's follow-ups as the unit does (jäv)
        query = query.where(FollowUp.unit_id.not_in(list(actor.unit_ids)) | seen_by_unit)
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

if TYPE_CHECKING:
    from app.trust.models import Boundary, BoundaryVersion, Breach, Indicator


def get_indicator(actor: User, indicator_id: uuid.UUID) -> Indicator:
    """The indicator catalogue is not unit data: everyone logged in may read it."""
    from app.trust.models import Indicator

    indicator: Indicator | None = db.session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(_("The indicator does not exist."))
    return indicator


def get_boundary(actor: User, boundary_id: uuid.UUID) -> Boundary:
    from app.trust.models import Boundary

    boundary: Boundary | None = db.session.get(Boundary, boundary_id)
    if boundary is None or not can_see_unit(actor, boundary.unit_id):
        raise NotFound(_("The trust boundary does not exist or you may not see it."))
    return boundary


def get_boundary_version(actor: User, version_id: uuid.UUID) -> BoundaryVersion:
    from app.trust.models import BoundaryVersion

    version: BoundaryVersion | None = db.session.get(BoundaryVersion, version_id)
    if version is None or not can_see_unit(actor, version.boundary.unit_id):
        raise NotFound(_("The proposal does not exist or you may not see it."))
    return version


def get_breach(actor: User, breach_id: uuid.UUID) -> Breach:
    from app.trust.models import Breach

    breach: Breach | None = db.session.get(Breach, breach_id)
    if breach is None or not can_see_unit(actor, breach.unit_id):
        raise NotFound(_("The breach does not exist or you may not see it."))
    return breach


# ---- dialogue (DESIGN.md 4.2, 4.6) ----------------------------------------------------------------


def sees_internal_notes(actor: User, unit_id: uuid.UUID) -> bool:
    """Internal notes are the supervising side's: reviewers and coordinators, never the unit's own members, even
    when they hold a reviewer's role as well (jäv: they take part as the unit)."""
    return supervises(actor, unit_id)


def writes_for_unit(actor: User, visit: Visit) -> bool:
    """A member of the visited unit takes part in its conversations as the unit, whatever other roles they hold."""
    return takes_unit_side(actor, visit.unit_id)


def can_write_in_dialogue(actor: User, visit: Visit) -> bool:
    """The unit's members, the review team and coordinators; other reviewers read along."""
    return writes_for_unit(actor, visit) or can_edit_visit(actor, visit)


def message_visibility(actor: User) -> ColumnElement[bool]:
    """Which messages a person may read, as one condition over Message joined with its Thread and Visit.

    Every list, count, page, API answer and e-mail about messages uses it, so none can forget a rule: another
    unit's conversations never; a finding's conversation only once the unit may see the finding; internal notes
    only for the supervising side (``sees_internal_notes``)."""
    from app.dialogue.models import Message, Thread
    from app.visits.models import STATUS_ORDER, Visit, VisitStatus

    member_units = list(actor.unit_ids)
    open_to_unit = STATUS_ORDER[STATUS_ORDER.index(VisitStatus.sent_for_comment) :]
    public = Message.is_internal.is_(False)
    if actor.is_staff:
        return or_(public, Thread.unit_id.not_in(member_units)) if member_units else true()
    return and_(
        Thread.unit_id.in_(member_units),
        or_(Thread.finding_id.is_(None), Visit.status.in_(open_to_unit)),
        public,
    )
