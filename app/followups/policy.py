"""Who may see and do what with follow-ups (DESIGN.md 4.4, 4.6).

Every query for a person's follow-ups goes through ``visible_follow_ups`` / ``get_follow_up``. The ``can_*``
predicates say what a person may do with a follow-up now; each is backed by a ``why_not_*`` function returning
the refusal (a ``DomainError`` with the message a person can act on) or None: the services raise it, the
follow-up page (``TEMPLATE_GLOBALS``) and the API's ``actions`` ask the same predicate.

Who speaks for which side: a member of the follow-up's unit always speaks for the unit (even if they are also
a reviewer: jäv); otherwise coordinators, and the reviewers on the visit's team (for a follow-up of no visit:
the reviewer responsible for it, or any reviewer while nobody is), speak for the supervising body.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import Select, select

from app.core import access, audit
from app.core.errors import DomainError, Forbidden, NotFound
from app.extensions import db
from app.followups.models import FollowUp, FollowUpEvidence, FollowUpStatus, Side
from app.visits import policy as visits_policy
from app.visits.models import Visit, VisitStatus

Actor = Any  # app.auth.models.User or app.core.access.OPERATOR

# A visit takes new follow-ups from the visit itself until it is closed.
VISIT_STATUSES_FOR_NEW = (VisitStatus.in_progress, VisitStatus.draft, VisitStatus.sent_for_comment, VisitStatus.final)


# ---- getters (DESIGN.md 4.6) ----------------------------------------------------------------------


def visible_follow_ups(actor: Actor) -> Select[FollowUp]:
    """Staff see every follow-up; a unit member those of their units, except the ones of a visit whose draft
    the unit may not see yet (a follow-up the review team prepares before kommunicering)."""
    query = select(FollowUp)
    own_units = list(actor.unit_ids)
    open_visits = select(Visit.id).where(Visit.unit_id.in_(own_units), Visit.status.in_(visits_policy.OPEN_TO_UNIT))
    seen_by_unit = FollowUp.visit_id.is_(None) | FollowUp.visit_id.in_(open_visits)
    if not actor.is_staff:
        query = query.where(FollowUp.unit_id.in_(own_units), seen_by_unit)
    elif own_units:  # a peer reviewer sees their own unit's follow-ups as the unit does (jäv)
        query = query.where(FollowUp.unit_id.not_in(own_units) | seen_by_unit)
    return query


def get_follow_up(actor: Actor, follow_up_id: uuid.UUID, *, options: Sequence[Any] = ()) -> FollowUp:
    """A follow-up the actor may see; anything else is a 404."""
    follow_up = db.session.get(FollowUp, follow_up_id, options=list(options))
    if (
        follow_up is None
        or not access.can_see_unit(actor, follow_up.unit_id)
        or (follow_up.visit is not None and not visits_policy.can_see_visit_content(actor, follow_up.visit))
    ):
        raise NotFound(_("The follow-up does not exist or you may not see it."))
    return follow_up


def get_follow_up_evidence(actor: Actor, evidence_id: uuid.UUID) -> FollowUpEvidence:
    """A file of a done report, for whoever may see its follow-up."""
    item = db.session.get(FollowUpEvidence, evidence_id)
    if item is None:
        raise NotFound(_("The file does not exist or you may not see it."))
    get_follow_up(actor, item.follow_up_id)
    return item


# ---- sides ----------------------------------------------------------------------------------------


def other_side(side: Side) -> Side:
    """The party across the table."""
    return Side.unit if side == Side.supervisor else Side.supervisor


def side_in(actor: Actor, unit_id: uuid.UUID, visit: Visit | None, reviewer_id: uuid.UUID | None) -> Side:
    """The party the actor speaks for on a follow-up of this unit (and visit), or Forbidden why they may not act."""
    if access.takes_unit_side(actor, unit_id):
        return Side.unit
    if actor.is_coordinator:
        return Side.supervisor
    if actor.is_reviewer:
        if visit is not None and actor.id not in visit.team_ids:
            raise Forbidden(_("Only the visit's review team and coordinators may act on its follow-ups."))
        if visit is None and reviewer_id not in (None, actor.id):
            raise Forbidden(_("Only the reviewer responsible for this follow-up and coordinators may act on it."))
        return Side.supervisor
    raise Forbidden(_("Your role does not allow this."))


def side_of(actor: Actor, follow_up: FollowUp) -> Side:
    """The side the actor acts for on this follow-up (Forbidden: none)."""
    return side_in(actor, follow_up.unit_id, follow_up.visit, follow_up.reviewer_id)


def may_act(actor: Actor, follow_up: FollowUp) -> Side | None:
    """The side the actor may act for, or None."""
    try:
        return side_of(actor, follow_up)
    except Forbidden:
        return None


# ---- what a person may do (DESIGN.md 4.4) ---------------------------------------------------------


def why_not_accept(actor: Actor, follow_up: FollowUp, today: date) -> DomainError | None:
    """The actor's side accepts a proposal it has not accepted yet, while the due date is still ahead."""
    try:
        side = side_of(actor, follow_up)
    except Forbidden as refusal:
        return refusal
    if follow_up.status != FollowUpStatus.proposed:
        return DomainError(_("Only a proposed follow-up can be accepted."))
    if follow_up.accepted_by(side):
        return DomainError(
            _("Your side has already accepted this follow-up. It becomes agreed when the other side accepts it too.")
        )
    if follow_up.due_date < today:
        return DomainError(_("The due date has passed. Change it before accepting."), field="due_date")
    return None


def can_accept(actor: Actor, follow_up: FollowUp, today: date) -> bool:
    """True when ``why_not_accept`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_accept(actor, follow_up, today) is None


def why_not_update(actor: Actor, follow_up: FollowUp) -> DomainError | None:
    """Either side changes a proposal; once agreed, the unit hands it to another member and the supervising body
    changes the rest; done, verified and cancelled ones stay as they are."""
    try:
        side_of(actor, follow_up)
    except Forbidden as refusal:
        return refusal
    if follow_up.status not in (FollowUpStatus.proposed, FollowUpStatus.agreed):
        return DomainError(_("A follow-up that is reported done, verified or cancelled can no longer be changed."))
    return None


def can_update(actor: Actor, follow_up: FollowUp) -> bool:
    """True when ``why_not_update`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_update(actor, follow_up) is None


def may_change_terms(actor: Actor, follow_up: FollowUp) -> bool:
    """Title, description and due date: either side while proposed, the supervising body once agreed (the unit
    then changes only who is responsible)."""
    side = may_act(actor, follow_up)
    return can_update(actor, follow_up) and (follow_up.status == FollowUpStatus.proposed or side == Side.supervisor)


def why_not_report_done(actor: Actor, follow_up: FollowUp) -> DomainError | None:
    """The unit reports an agreed follow-up done."""
    if may_act(actor, follow_up) != Side.unit:
        return Forbidden(_("The unit reports its follow-ups done; the review team verifies them."))
    if follow_up.status != FollowUpStatus.agreed:
        return DomainError(_("Only an agreed follow-up can be reported done."))
    return None


def can_report_done(actor: Actor, follow_up: FollowUp) -> bool:
    """True when ``why_not_report_done`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_report_done(actor, follow_up) is None


def why_not_verify(actor: Actor, follow_up: FollowUp) -> DomainError | None:
    """The review team verifies a follow-up reported done."""
    if may_act(actor, follow_up) != Side.supervisor:
        return Forbidden(_("The review team verifies follow-ups."))
    if follow_up.status != FollowUpStatus.done_reported:
        return DomainError(_("Only a follow-up reported done can be verified."))
    return None


def can_verify(actor: Actor, follow_up: FollowUp) -> bool:
    """True when ``why_not_verify`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_verify(actor, follow_up) is None


def why_not_reopen(actor: Actor, follow_up: FollowUp) -> DomainError | None:
    """The review team sends a done report back (agreed again)."""
    if may_act(actor, follow_up) != Side.supervisor:
        return Forbidden(_("Only the review team can reopen a follow-up."))
    if follow_up.status != FollowUpStatus.done_reported:
        return DomainError(_("Only a follow-up reported done can be reopened."))
    return None


def can_reopen(actor: Actor, follow_up: FollowUp) -> bool:
    """True when ``why_not_reopen`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_reopen(actor, follow_up) is None


def why_not_cancel(actor: Actor, follow_up: FollowUp) -> DomainError | None:
    """Either side withdraws or declines a proposal; an agreed one is cancelled by the supervising body."""
    try:
        side = side_of(actor, follow_up)
    except Forbidden as refusal:
        return refusal
    if follow_up.status in (FollowUpStatus.verified, FollowUpStatus.cancelled):
        return DomainError(_("A verified or cancelled follow-up cannot be cancelled."))
    if follow_up.status != FollowUpStatus.proposed and side != Side.supervisor:
        return Forbidden(_("An agreed follow-up is cancelled by the review team. Ask them if it no longer applies."))
    return None


def can_cancel(actor: Actor, follow_up: FollowUp) -> bool:
    """True when ``why_not_cancel`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_cancel(actor, follow_up) is None


def can_propose_for_visit(actor: Actor, visit: Visit) -> bool:
    """Proposing a follow-up from a visit's page: the unit's members once they see the report, the team and
    coordinators, while the visit takes new follow-ups (from its start until the case is closed)."""
    if visit.status not in VISIT_STATUSES_FOR_NEW:
        return False
    if access.takes_unit_side(actor, visit.unit_id):
        return visits_policy.can_see_visit_content(actor, visit)
    return visits_policy.can_edit_visit(actor, visit)


def awaiting_acceptance(follow_ups: Sequence[FollowUp], finding_id: uuid.UUID) -> FollowUp | None:
    """The proposed follow-up of a finding that waits for the other party's acceptance (DESIGN.md 4.4), if any:
    the visit page then names it rather than asking for another proposal."""
    return next(
        (f for f in follow_ups if f.finding_id == finding_id and f.status == FollowUpStatus.proposed),
        None,
    )


FOLLOW_UP_ACTIONS = ("accept", "update", "report_done", "verify", "reopen", "cancel")


def follow_up_actions(actor: Actor, follow_up: FollowUp, today: date) -> list[str]:
    """What the actor may do with the follow-up now, as the API reports it (``actions``)."""
    checks = (
        ("accept", can_accept(actor, follow_up, today)),
        ("update", can_update(actor, follow_up)),
        ("report_done", can_report_done(actor, follow_up)),
        ("verify", can_verify(actor, follow_up)),
        ("reopen", can_reopen(actor, follow_up)),
        ("cancel", can_cancel(actor, follow_up)),
    )
    return [name for name, allowed in checks if allowed]


TEMPLATE_GLOBALS = {
    "can_accept_follow_up": can_accept,
    "follow_up_accept_refusal": lambda actor, f, today: (why_not_accept(actor, f, today) or DomainError("")).message,
    "can_update_follow_up": can_update,
    "can_change_follow_up_terms": may_change_terms,
    "can_report_follow_up_done": can_report_done,
    "can_verify_follow_up": can_verify,
    "can_reopen_follow_up": can_reopen,
    "can_cancel_follow_up": can_cancel,
    "can_propose_follow_up_for_visit": can_propose_for_visit,
    "follow_up_side": may_act,
}


def register_template_globals(app: Flask) -> None:
    """The predicates above, for templates deciding which actions to show."""
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)


access.register_guarded_object("follow_up_id", get_follow_up)
audit.register_audit_type(
    "follow_up",
    get=get_follow_up,
    unit_may_read=True,
    hidden_from_unit=visits_policy.events_of_hidden_visits(["follow_up"]),
)
audit.register_audit_type("follow_up_evidence", unit_may_read=True)
