"""Who may see and do what with good examples and the unit's self-assessment (DESIGN.md 4.5, 4.6).

The library is the one deliberate exception to unit isolation: a *consented* example is open to everyone logged in
(members of every unit, reviewers, coordinators). Anything else of a unit — a proposal, a declined or withdrawn
example — stays with the supervising side and the unit itself (404 to everyone else). The unit sees a proposal only
once it may see the finding (from kommunicering on)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask_babel import gettext as _

from app.core import access, audit
from app.core.access import Actor
from app.core.errors import DomainError, Forbidden, NotFound
from app.extensions import db
from app.learning.models import ExampleStatus, GoodExample
from app.visits import policy as visits_policy
from app.visits.models import STATUS_ORDER, Finding, FindingKind, Visit, VisitStatus

# From draft on the team may propose (DESIGN.md 4.5: "any time from draft on").
PROPOSABLE_FROM = VisitStatus.draft


def can_see_example(actor: Actor, example: GoodExample) -> bool:
    """A consented example: everyone. Otherwise the supervising side, and the unit once the finding is open to it."""
    if example.status == ExampleStatus.consented:
        return True
    if access.supervises(actor, example.unit_id):
        return True
    return access.takes_unit_side(actor, example.unit_id) and example.visit.is_open_to_unit


def get_example(actor: Actor, example_id: uuid.UUID) -> GoodExample:
    """A good example the actor may see (``can_see_example``); NotFound otherwise (never 403)."""
    example = db.session.get(GoodExample, example_id)
    if example is None or not can_see_example(actor, example):
        raise NotFound(_("The good example does not exist or you may not see it."))
    return example


def get_example_photo(actor: Actor, example_id: uuid.UUID, evidence_id: uuid.UUID) -> Any:
    """A photo the unit let the library show, of an example the actor may see; the supervising side and the unit
    itself (who see the finding anyway) any photo of the finding, to choose from. NotFound otherwise."""
    example = get_example(actor, example_id)
    own_side = access.supervises(actor, example.unit_id) or access.takes_unit_side(actor, example.unit_id)
    photos = [e for e in example.finding.evidence if e.kind.value == "photo"] if own_side else example.shown_photos
    photo = next((p for p in photos if p.id == evidence_id), None)
    if photo is None:
        raise NotFound(_("The photo does not exist or you may not see it."))
    return photo


def why_not_propose(actor: Actor, finding: Finding, existing: GoodExample | None) -> DomainError | None:
    """The review team (or a coordinator) proposes a strength, from the draft on, once per finding (``existing``:
    the finding's example if any; a declined or withdrawn one may be proposed again)."""
    visit = finding.visit
    if not visits_policy.can_edit_visit(actor, visit):
        return Forbidden(_("Only the review team and coordinators may propose good examples."))
    if finding.kind != FindingKind.strength:
        return DomainError(_("Only a strength can be proposed as a good example."))
    if visit.status not in STATUS_ORDER[STATUS_ORDER.index(PROPOSABLE_FROM) :]:  # a cancelled visit is in none
        return DomainError(_("A good example can be proposed once the report is a draft."))
    if existing is not None and existing.status in (ExampleStatus.proposed, ExampleStatus.consented):
        return DomainError(_("This strength is already proposed as a good example."))
    return None


def can_propose(actor: Actor, finding: Finding, existing: GoodExample | None) -> bool:
    return why_not_propose(actor, finding, existing) is None


def why_not_answer(actor: Actor, example: GoodExample) -> DomainError | None:
    """A member of the unit consents to or declines a proposal (only the unit, only while proposed)."""
    if not access.takes_unit_side(actor, example.unit_id):
        return Forbidden(_("Only the unit's members may answer a proposal."))
    if example.status != ExampleStatus.proposed:
        return DomainError(_("The proposal is already answered."))
    return None


def can_answer(actor: Actor, example: GoodExample) -> bool:
    return why_not_answer(actor, example) is None


def why_not_withdraw(actor: Actor, example: GoodExample) -> DomainError | None:
    """A member of the unit withdraws its consent at any time."""
    if not access.takes_unit_side(actor, example.unit_id):
        return Forbidden(_("Only the unit's members may withdraw a good example."))
    if example.status != ExampleStatus.consented:
        return DomainError(_("The good example is not in the library."))
    return None


def can_withdraw(actor: Actor, example: GoodExample) -> bool:
    return why_not_withdraw(actor, example) is None


def why_not_contact(actor: Actor, example: GoodExample) -> DomainError | None:
    """Anyone who reads a consented example may write to its unit (not the unit to itself)."""
    if example.status != ExampleStatus.consented:
        return DomainError(_("The good example is not in the library."))
    if example.unit_id in actor.unit_ids:
        return DomainError(_("This is your own unit's example."))
    return None


def can_contact(actor: Actor, example: GoodExample) -> bool:
    return why_not_contact(actor, example) is None


EXAMPLE_ACTIONS = ("consent", "decline", "withdraw", "contact")


def example_actions(actor: Actor, example: GoodExample) -> list[str]:
    """What the actor may do with the example now (the API's ``actions``)."""
    actions = []
    if can_answer(actor, example):
        actions += ["consent", "decline"]
    if can_withdraw(actor, example):
        actions.append("withdraw")
    if can_contact(actor, example):
        actions.append("contact")
    return actions


TEMPLATE_GLOBALS = {
    "can_propose_good_example": can_propose,
    "can_answer_good_example": can_answer,
    "can_withdraw_good_example": can_withdraw,
    "can_contact_good_example": can_contact,
}


def register_template_globals(app: Flask) -> None:
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)


audit.register_audit_type("good_example", get=get_example, unit_may_read=True)
access.register_guarded_object("example_id", get_example)


# ---- the unit's self-assessment (DESIGN.md 4.5) ---------------------------------------------------------

SELF_ASSESSMENT_OPEN = (VisitStatus.planned, VisitStatus.in_progress)


def get_visit_for_self_assessment(actor: Actor, visit_id: uuid.UUID) -> Visit:
    """The visit whose self-assessment the actor is about to read or write: its unit's members, and the supervising
    side; NotFound for anyone else (another unit's visit)."""
    return visits_policy.get_visit(actor, visit_id)


def can_read_submitted_self_assessment(actor: Actor, visit: Visit) -> bool:
    """A submitted self-assessment: the unit itself and the supervising side (its draft is the unit's alone)."""
    return access.takes_unit_side(actor, visit.unit_id) or access.supervises(actor, visit.unit_id)


def why_not_fill_self_assessment(actor: Actor, visit: Visit, *, submitted: bool) -> DomainError | None:
    """The unit's members fill in and submit the self-assessment while the visit is planned or in progress, once."""
    if not access.takes_unit_side(actor, visit.unit_id):
        return Forbidden(_("Only the unit's members fill in its self-assessment."))
    if submitted:
        return DomainError(_("The self-assessment is already submitted; it is not changed after that."))
    if visit.status not in SELF_ASSESSMENT_OPEN:
        return DomainError(_("The self-assessment can be filled in while the visit is planned or in progress."))
    return None


def can_fill_self_assessment(actor: Actor, visit: Visit, submitted: bool) -> bool:
    return why_not_fill_self_assessment(actor, visit, submitted=submitted) is None


TEMPLATE_GLOBALS["can_fill_self_assessment"] = can_fill_self_assessment
TEMPLATE_GLOBALS["can_read_submitted_self_assessment"] = can_read_submitted_self_assessment

audit.register_audit_type("self_assessment", unit_may_read=True)


# ---- feedback on the supervision (DESIGN.md 4.5) -----------------------------------------------------------

FEEDBACK_OPEN = (VisitStatus.final, VisitStatus.closed)
# Per reviewer only where at least this many answers exist (people must not be singled out).
MIN_ANSWERS_PER_REVIEWER = 5


def why_not_give_feedback(actor: Actor, visit: Visit, *, given: bool) -> DomainError | None:
    """Each member of the unit, once per visit, after it is final."""
    if not access.takes_unit_side(actor, visit.unit_id):
        return Forbidden(_("Only the unit's members give feedback on the supervision."))
    if visit.status not in FEEDBACK_OPEN:
        return DomainError(_("Feedback can be given once the report is final."))
    if given:
        return DomainError(_("You have already given feedback on this visit. Thank you!"))
    return None


def can_give_feedback(actor: Actor, visit: Visit, given: bool) -> bool:
    return why_not_give_feedback(actor, visit, given=given) is None


def why_not_read_feedback_summary(actor: Actor) -> DomainError | None:
    """The summary of every unit's feedback is the coordinators' (DESIGN.md 4.5)."""
    if not actor.is_coordinator:
        return Forbidden(_("Only coordinators see the summary of the feedback."))
    return None


def can_read_feedback_summary(actor: Actor) -> bool:
    return why_not_read_feedback_summary(actor) is None


TEMPLATE_GLOBALS["can_give_feedback"] = can_give_feedback
TEMPLATE_GLOBALS["can_read_feedback_summary"] = can_read_feedback_summary

audit.register_audit_type("supervision_feedback", unit_may_read=True)
