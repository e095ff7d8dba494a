"""Who may see and do what with visits, findings, evidence and the unit's responses (DESIGN.md 4.1, 4.6).

Every query for a person goes through the getters here (another unit's visit, or a draft's finding for the
unit, is a 404). The ``can_*`` predicates say what a person may do now; each is backed by a ``why_not_*``
function that returns the refusal (a ``DomainError`` with the message a person can act on) or None. The
services raise that refusal, the templates (``register_template_globals``) and the API's ``actions`` ask the
same predicate, so a page never offers what the service then refuses.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Flask, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true

from app.core import access, audit
from app.core.errors import DomainError, Forbidden, NotFound
from app.extensions import db
from app.visits.models import STATUS_ORDER, Evidence, Finding, Response, Visit, VisitStatus

if TYPE_CHECKING:
    pass

Actor = Any  # app.auth.models.User or app.core.access.OPERATOR

# (from, to): the moves DESIGN.md 4.1 allows; draft → final only with a recorded kommunicering waiver.
ALLOWED_MOVES = {
    (VisitStatus.planned, VisitStatus.in_progress),
    (VisitStatus.in_progress, VisitStatus.draft),
    (VisitStatus.draft, VisitStatus.in_progress),
    (VisitStatus.draft, VisitStatus.sent_for_comment),
    (VisitStatus.sent_for_comment, VisitStatus.final),
    (VisitStatus.draft, VisitStatus.final),
    (VisitStatus.final, VisitStatus.closed),
    # Cancelled: a visit planned by mistake or no longer needed, with a written reason.
    (VisitStatus.planned, VisitStatus.cancelled),
    (VisitStatus.in_progress, VisitStatus.cancelled),
    # Withdrawn for revision: the lead takes the draft back from kommunicering, with a written reason.
    (VisitStatus.sent_for_comment, VisitStatus.draft),
}
# The moves only the lead reviewer (or a coordinator) makes, each with a written reason (DESIGN.md 4.1).
LEAD_MOVES = {
    (VisitStatus.planned, VisitStatus.cancelled),
    (VisitStatus.in_progress, VisitStatus.cancelled),
    (VisitStatus.sent_for_comment, VisitStatus.draft),
    (VisitStatus.sent_for_comment, VisitStatus.final),
    (VisitStatus.draft, VisitStatus.final),
}
# While findings (and their evidence) may be recorded, changed and removed.
EDITABLE = (VisitStatus.in_progress, VisitStatus.draft)
# A visit's plan (date, team, aim) is changed until the report is final.
PLAN_CHANGEABLE = (VisitStatus.planned, VisitStatus.in_progress, VisitStatus.draft, VisitStatus.sent_for_comment)
# The lead's summary is written from the start of the visit until the report is final (DESIGN.md 4.1).
SUMMARY_CHANGEABLE = (VisitStatus.in_progress, VisitStatus.draft, VisitStatus.sent_for_comment)
OPEN_TO_UNIT = tuple(STATUS_ORDER[STATUS_ORDER.index(VisitStatus.sent_for_comment) :])


# ---- getters (DESIGN.md 4.6) ----------------------------------------------------------------------


def visible_visits(actor: Actor) -> Select[Visit]:
    """Staff see every visit; a unit member sees the visits of their units (before kommunicering only
    the date and the team, which the views enforce with ``can_see_visit_content``)."""
    query = select(Visit)
    if not actor.is_staff:
        query = query.where(Visit.unit_id.in_(list(actor.unit_ids)))
    return query


def get_visit(actor: Actor, visit_id: uuid.UUID, *, options: Sequence[Any] = ()) -> Visit:
    """A visit the actor may know of; ``options`` are loader options for the page about to show it."""
    visit = db.session.get(Visit, visit_id, options=list(options))
    if visit is None or not access.can_see_unit(actor, visit.unit_id):
        raise NotFound(_("The visit does not exist or you may not see it."))
    return visit


def can_see_visit_content(actor: Actor, visit: Visit) -> bool:
    """Findings, evidence and the report: the supervising side always, the unit from kommunicering on."""
    return access.supervises(actor, visit.unit_id) or visit.is_open_to_unit


def visit_content_condition(actor: Actor) -> ColumnElement[bool]:
    """``can_see_visit_content`` as a condition over Visit, for searches and lists of findings: the supervising
    side always (never in the actor's own unit: jäv), the unit from kommunicering on."""
    own_units = list(actor.unit_ids)
    open_to_unit = Visit.status.in_(OPEN_TO_UNIT)
    if actor.is_staff:
        return or_(Visit.unit_id.not_in(own_units), open_to_unit) if own_units else true()
    return and_(Visit.unit_id.in_(own_units), open_to_unit)


def get_visit_with_content(actor: Actor, visit_id: uuid.UUID, *, options: Sequence[Any] = ()) -> Visit:
    """A visit whose findings the actor is about to see; a draft is a 404 to the unit (it may not know of it)."""
    visit = get_visit(actor, visit_id, options=options)
    if not can_see_visit_content(actor, visit):
        raise NotFound(_("The report does not exist or you may not see it yet."))
    return visit


def get_finding(actor: Actor, finding_id: uuid.UUID) -> Finding:
    """A finding of a visit whose content the actor may see; NotFound otherwise. During kommunicering the
    finding's edit page is refused too: ``why_not_change_findings`` (the same predicate as on save)."""
    finding = db.session.get(Finding, finding_id)
    if (
        finding is None
        or not access.can_see_unit(actor, finding.visit.unit_id)
        or not can_see_visit_content(actor, finding.visit)
    ):
        raise NotFound(_("The finding does not exist or you may not see it."))
    return finding


def get_evidence(actor: Actor, evidence_id: uuid.UUID) -> Evidence:
    """A photo or document of a finding the actor may see; NotFound otherwise."""
    item = db.session.get(Evidence, evidence_id)
    if item is None:
        raise NotFound(_("The file does not exist or you may not see it."))
    get_finding(actor, item.finding_id)
    return item


# What a unit member may know of a visit before kommunicering (DESIGN.md 4.1, issue 3): when, who comes, where
# the case stands and its number. Everything else (aim, purpose, template, findings…) is the team's draft.
VISIT_FIELDS_BEFORE_KOMMUNICERING = frozenset(
    {
        "id",
        "case_number",
        "unit",
        "unit_id",
        "status",
        "visit_date",
        "team",
        "actions",
        "cancel_reason",
        "cancelled_at",
        "withdrawal_reason",
        "withdrawn_at",
    }
)
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
        "cancel_reason",
        "cancelled_at",
        "withdrawal_reason",
        "withdrawn_at",
    }
)


def visit_fields_visible(actor: Actor, visit: Visit) -> frozenset[str] | None:
    """The fields of a visit the actor may read; None: all of them."""
    return None if can_see_visit_content(actor, visit) else VISIT_FIELDS_BEFORE_KOMMUNICERING


def hidden_visit_ids(unit_ids: Sequence[uuid.UUID] | None) -> list[str]:
    """The ids (as the audit trail writes them) of the visits of these units the unit may not see the content
    of yet: what the team prepares in them is not the unit's to read (DESIGN.md 4.1). Read once per GET request
    and set of units (each audit type of a visit's children asks for them; a GET changes no visit's status)."""
    memo: dict[Any, list[str]] | None = None
    if has_request_context() and request.method in ("GET", "HEAD"):  # on the request: g may outlive it
        memo = request.__dict__.setdefault("_hidden_visit_ids", {})
    key = None if unit_ids is None else frozenset(unit_ids)
    if memo is not None and key in memo:
        return memo[key]
    query = select(Visit.id).where(Visit.status.not_in(OPEN_TO_UNIT))
    if unit_ids is not None:
        query = query.where(Visit.unit_id.in_(list(unit_ids)))
    found = [str(visit_id) for visit_id in db.session.scalars(query)]
    if memo is not None:
        memo[key] = found
    return found


def events_of_hidden_visits(object_types: Sequence[str]) -> Any:
    """For ``register_audit_type(hidden_from_unit=…)`` of another domain's objects that belong to a visit:
    their events while the visit is not yet open to the unit."""
    from app.core.models import AuditEvent

    def condition(unit_ids: Any) -> ColumnElement[bool] | None:
        hidden = hidden_visit_ids(unit_ids)
        if not hidden:
            return None
        return (
            AuditEvent.object_type.in_(list(object_types))
            & (AuditEvent.parent_type == "visit")
            & AuditEvent.parent_id.in_(hidden)
        )

    return condition


# ---- what a person may do ------------------------------------------------------------------------


def can_edit_visit(actor: Actor, visit: Visit) -> bool:
    """Coordinators, and reviewers on the visit's team (DESIGN.md 4.6); never a member of the unit (jäv)."""
    if not access.supervises(actor, visit.unit_id):
        return False
    return actor.is_coordinator or (actor.is_reviewer and actor.id in visit.team_ids)


def require_visit_editor(actor: Actor, visit: Visit) -> None:
    """Forbidden (403) unless ``can_edit_visit``."""
    if not can_edit_visit(actor, visit):
        raise Forbidden(_("Only the review team and coordinators may change this visit."))


def why_not_change_plan(actor: Actor, visit: Visit) -> DomainError | None:
    """Changing the date, the team or the aim: the team and coordinators, until the report is final."""
    if not can_edit_visit(actor, visit):
        return Forbidden(_("Only the review team and coordinators may change this visit."))
    if visit.status == VisitStatus.cancelled:
        return DomainError(_("The visit is cancelled; its plan can no longer be changed."))
    if visit.status not in PLAN_CHANGEABLE:
        return DomainError(_("A final visit's plan can no longer be changed."))
    return None


def can_change_plan(actor: Actor, visit: Visit) -> bool:
    """True when ``why_not_change_plan`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_change_plan(actor, visit) is None


def why_not_change_findings(actor: Actor, visit: Visit) -> DomainError | None:
    """Recording, changing and removing findings and evidence: the team, while in progress or a draft."""
    if not can_edit_visit(actor, visit):
        return Forbidden(_("Only the review team and coordinators may change this visit."))
    if visit.status == VisitStatus.planned:
        return DomainError(_("Start the visit before recording findings."))
    if visit.status not in EDITABLE:
        return DomainError(_("Findings can be changed only while the visit is in progress or a draft."))
    return None


def can_change_findings(actor: Actor, visit: Visit) -> bool:
    """True when ``why_not_change_findings`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_change_findings(actor, visit) is None


def why_not_write_summary(actor: Actor, visit: Visit) -> DomainError | None:
    """Writing the report's summary: the lead reviewer (or a coordinator standing in, as for finalising), from the
    start of the visit until the report is final (DESIGN.md 4.1)."""
    if not can_edit_visit(actor, visit):
        return Forbidden(_("Only the review team and coordinators may change this visit."))
    if not _is_lead_or_coordinator(actor, visit):
        return Forbidden(_("Only the lead reviewer may write the report's summary."))
    if visit.status == VisitStatus.planned:
        return DomainError(_("Start the visit before writing the report's summary."))
    if visit.status not in SUMMARY_CHANGEABLE:
        return DomainError(_("The summary of a final report can no longer be changed."))
    return None


def can_write_summary(actor: Actor, visit: Visit) -> bool:
    """True when ``why_not_write_summary`` finds no refusal: the visit page shows the form, the API lists
    ``write_summary``."""
    return why_not_write_summary(actor, visit) is None


def possible_moves(visit: Visit) -> list[VisitStatus]:
    """The statuses the status machine allows next from the visit's status, in the machine's order."""
    return [target for target in VisitStatus if (visit.status, target) in ALLOWED_MOVES]


def status_label(status: VisitStatus) -> str:
    """A status in the reader's language."""
    from app.visits.labels import STATUS

    return str(STATUS[status.value])


def why_not_transition(actor: Actor, visit: Visit, to: VisitStatus) -> DomainError | None:
    """Whether the actor may move the visit to ``to`` now, as far as the visit itself says (the input of the
    move — a deadline, a waiver — and other domains' gates, such as the agreed follow-ups a serious deviation
    needs, are checked by the service). DESIGN.md 4.1."""
    if not can_edit_visit(actor, visit):
        return Forbidden(_("Only the review team and coordinators may change this visit."))
    if (visit.status, to) not in ALLOWED_MOVES:
        return DomainError(
            _(
                "A visit cannot go from %(from)s to %(to)s.",
                **{"from": status_label(visit.status), "to": status_label(to)},
            )
        )
    if to == VisitStatus.in_progress and visit.visit_date is None:
        return DomainError(_("Set the date of the visit before starting it."), field="visit_date")
    if to == VisitStatus.sent_for_comment and not visit.findings:
        return DomainError(_("Record at least one finding before sending the report for comment."))
    if (visit.status, to) in LEAD_MOVES and not _is_lead_or_coordinator(actor, visit):
        if to == VisitStatus.final:
            return Forbidden(_("Only the lead reviewer may finalise the report."))
        if to == VisitStatus.cancelled:
            return Forbidden(_("Only the lead reviewer or a coordinator may cancel the visit."))
        return Forbidden(_("Only the lead reviewer or a coordinator may take the draft back for revision."))
    return None


def _is_lead_or_coordinator(actor: Actor, visit: Visit) -> bool:
    lead = visit.lead
    return bool(actor.is_coordinator or (lead is not None and lead.id == actor.id))


def can_transition(actor: Actor, visit: Visit, to: VisitStatus | str) -> bool:
    """The visit page's step buttons and the API's ``transition:<status>`` actions."""
    try:
        target = VisitStatus(to)
    except ValueError:
        return False
    return why_not_transition(actor, visit, target) is None


def can_cancel(actor: Actor, visit: Visit) -> bool:
    """The lead or a coordinator may cancel a ``planned`` or ``in_progress`` visit, with a written reason
    (DESIGN.md 4.1). The visit page's "Cancel the visit" and the API's ``transition:cancelled``."""
    return can_transition(actor, visit, VisitStatus.cancelled)


def can_withdraw(actor: Actor, visit: Visit) -> bool:
    """The lead or a coordinator may take a draft back from kommunicering for revision (``sent_for_comment →
    draft``), with a written reason the unit sees (DESIGN.md 4.1). The API's ``transition:draft`` then."""
    return visit.status == VisitStatus.sent_for_comment and can_transition(actor, visit, VisitStatus.draft)


def has_response(visit: Visit) -> bool:
    """Whether the unit has submitted a response to the report now out for comment (DESIGN.md 4.1); responses
    to a draft the lead took back for revision do not count."""
    return bool(db.session.scalar(select(exists().where(Response.visit_id == visit.id, current_response(visit)))))


def current_response(visit: Visit) -> ColumnElement[bool]:
    """A condition on ``Response``: it answers the draft now out for comment (or final), not one the lead took
    back for revision (DESIGN.md 4.1). ``Response.answers_earlier_draft`` is the same rule for one row."""
    if visit.withdrawn_at is None:
        return Response.id.is_not(None)
    return Response.received_at > visit.withdrawn_at


def current_response_of_joined_visit() -> ColumnElement[bool]:
    """``current_response`` for a query of several visits' responses joined with ``Visit``."""
    return Visit.withdrawn_at.is_(None) | (Response.received_at > Visit.withdrawn_at)


def comment_deadline_passed(visit: Visit, today: date) -> bool:
    """The comment deadline lies before ``today`` (Stockholm date); kommunicering is over (DESIGN.md 4.1)."""
    return visit.comment_deadline is not None and today > visit.comment_deadline


def can_finalise(actor: Actor, visit: Visit, today: date) -> bool:
    """The lead (or a coordinator) may finalise without a written waiver: the report is out for comment and the
    unit has responded or the deadline has passed (DESIGN.md 4.1). Otherwise finalising needs the waiver."""
    return (
        can_transition(actor, visit, VisitStatus.final)
        and visit.status == VisitStatus.sent_for_comment
        and (has_response(visit) or comment_deadline_passed(visit, today))
    )


def needs_waiver(visit: Visit, today: date) -> bool:
    """Finalising now needs a written reason why kommunicering is clearly unnecessary (förvaltningslagen 25 §)."""
    if visit.status == VisitStatus.draft:
        return True
    return not (has_response(visit) or comment_deadline_passed(visit, today))


def why_not_respond(actor: Actor, visit: Visit, today: date) -> DomainError | None:
    """The unit's own members respond while the report is out for comment, until the deadline (DESIGN.md 4.1)."""
    if not access.takes_unit_side(actor, visit.unit_id):
        return Forbidden(_("Only the unit's own members can respond to the report."))
    if visit.status != VisitStatus.sent_for_comment:
        return DomainError(_("Responses can be given only while the report is out for comment."))
    if comment_deadline_passed(visit, today):
        return DomainError(_("The deadline for comments has passed."))
    return None


def can_respond(actor: Actor, visit: Visit, today: date) -> bool:
    """The visit page's "Respond to the report" and the API's ``respond``."""
    return why_not_respond(actor, visit, today) is None


def get_response(actor: Actor, response_id: uuid.UUID) -> Response:
    """A response of the unit to a report whose content the actor may see; NotFound otherwise."""
    response = db.session.get(Response, response_id)
    if response is None or not access.can_see_unit(actor, response.visit.unit_id):
        raise NotFound(_("The response does not exist or you may not see it."))
    if not can_see_visit_content(actor, response.visit):
        raise NotFound(_("The response does not exist or you may not see it."))
    return response


def why_not_comment_on_response(actor: Actor, response: Response) -> DomainError | None:
    """The authority's comment on a response (how it was taken into account, DESIGN.md 4.1): the review team
    and coordinators, while the report is out for comment, on a response to the draft now out (not to one the
    lead took back for revision)."""
    visit = response.visit
    if not can_edit_visit(actor, visit):
        return Forbidden(_("Only the review team and coordinators may comment on the unit's responses."))
    if visit.status != VisitStatus.sent_for_comment:
        return DomainError(_("The authority comments on the unit's responses while the report is out for comment."))
    if response.answers_earlier_draft:
        return DomainError(_("This response answered an earlier draft; comment on the responses to the current one."))
    return None


def can_comment_on_response(actor: Actor, response: Response) -> bool:
    """The visit page's "Write the authority's comment" and the API's ``comment`` of a response."""
    return why_not_comment_on_response(actor, response) is None


def why_not_start_follow_up_visit(actor: Actor, visit: Visit) -> DomainError | None:
    """Planning a follow-up visit of a final or closed visit: reviewers and coordinators, as any planning,
    never in their own unit (jäv)."""
    if not access.supervises(actor, visit.unit_id):
        return Forbidden(_("Your role does not allow this."))
    if visit.status not in (VisitStatus.final, VisitStatus.closed):
        return DomainError(_("A follow-up visit is planned once the report is final."))
    return None


def can_start_follow_up_visit(actor: Actor, visit: Visit) -> bool:
    """True when ``why_not_start_follow_up_visit`` finds no refusal: the page shows the action and the API lists it."""
    return why_not_start_follow_up_visit(actor, visit) is None


def visit_actions(actor: Actor, visit: Visit, today: date) -> list[str]:
    """What the actor may do with the visit now, as the API reports it (``actions``)."""
    actions: list[str] = []
    if can_change_plan(actor, visit):
        actions.append("update")
    actions.extend(
        f"transition:{target.value}" for target in possible_moves(visit) if can_transition(actor, visit, target)
    )
    if can_change_findings(actor, visit):
        actions.append("add_finding")
    if can_respond(actor, visit, today):
        actions.append("respond")
    if can_start_follow_up_visit(actor, visit):
        actions.append("start_follow_up")
    if can_write_summary(actor, visit):
        actions.append("write_summary")
    return actions


VISIT_ACTIONS = (
    "update",
    *(f"transition:{status.value}" for status in VisitStatus),
    "add_finding",
    "respond",
    "start_follow_up",
    "write_summary",
)
FINDING_ACTIONS = ("update", "delete", "add_evidence", "respond")


def finding_actions(actor: Actor, finding: Finding, today: date) -> list[str]:
    """What the actor may do with the finding now (``actions`` of the API's finding)."""
    actions: list[str] = []
    if can_change_findings(actor, finding.visit):
        actions.extend(["update", "delete", "add_evidence"])
    if can_respond(actor, finding.visit, today):
        actions.append("respond")
    return actions


TEMPLATE_GLOBALS = {
    "can_see_visit_content": can_see_visit_content,
    "can_edit_visit": can_edit_visit,
    "can_change_plan": can_change_plan,
    "can_change_findings": can_change_findings,
    "can_transition": can_transition,
    "transition_refusal": lambda actor, visit, to: (why_not_transition(actor, visit, to) or DomainError("")).message,
    "possible_moves": possible_moves,
    "can_finalise": can_finalise,
    "needs_waiver": needs_waiver,
    "can_respond": can_respond,
    "can_start_follow_up_visit": can_start_follow_up_visit,
    "can_cancel": can_cancel,
    "can_comment_on_response": can_comment_on_response,
    "can_withdraw": can_withdraw,
    "can_write_summary": can_write_summary,
}


def register_template_globals(app: Flask) -> None:
    """The predicates above, for templates deciding which actions to show (never what to fetch)."""
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)


access.register_guarded_object("visit_id", get_visit)
access.register_guarded_object("finding_id", get_finding)
access.register_guarded_object("evidence_id", get_evidence)
access.register_guarded_object("response_id", get_response)
audit.register_audit_type("visit", get=get_visit, unit_may_read=True, unit_fields=VISIT_AUDIT_FIELDS_FOR_UNIT)
audit.register_audit_type("response", unit_may_read=True)
audit.register_audit_type("final_report", unit_may_read=True)
# The authority's comments are the team's working text until the report reaches the unit, then part of it.
audit.register_audit_type(
    "response_comment", unit_may_read=True, hidden_from_unit=events_of_hidden_visits(["response_comment"])
)
audit.register_audit_type("template", without_unit=True)
audit.register_audit_type("template_version", without_unit=True)
