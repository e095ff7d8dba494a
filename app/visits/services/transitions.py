"""The status machine of a visit (DESIGN.md 4.1): transitions, the kommunicering gate, finalising and the
unit's e-mails about them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.core import mail, signals
from app.core.errors import DomainError, InvalidInput
from app.core.models import local_today, utcnow
from app.core.urls import external_url
from app.extensions import db
from app.units.models import Membership
from app.visits import notices as visit_notices
from app.visits import policy, report
from app.visits.models import (
    Visit,
    VisitStatus,
)
from app.visits.services.planning import MAX_COMMENT_DEADLINE_DAYS

# ---- the status machine ---------------------------------------------------------------------------

ALLOWED_MOVES = policy.ALLOWED_MOVES  # the status machine lives in the policy (app.visits.policy)


has_response = policy.has_response


def transition(
    visit_id: uuid.UUID,
    *,
    actor: User,
    to: VisitStatus | str,
    comment_deadline: date | None = None,
    waiver_reason: str | None = None,
    reason: str | None = None,
    today: date | None = None,
    tell_unit: bool = True,
) -> Visit:
    """Move a visit along DESIGN.md 4.1's status machine, or raise why not (409 in the API).

    ``reason`` is the written reason of the lead's two moves back: cancelling a planned or started visit
    (``to="cancelled"``) and taking the draft back from kommunicering for revision (``sent_for_comment →
    draft``); both are shown to the unit and told to its members in their next batched e-mail (DESIGN.md 4.2),
    unless ``tell_unit`` is False: a caller whose own e-mail to the unit already says it (restoring baseline trust
    names the closer-review visit it cancels, DESIGN.md 4.3) passes False, so one act is told once.
    Raises InvalidInput (``reason``, ``comment_deadline``, ``waiver_reason``, ``to``), Forbidden, or DomainError
    when the move is not allowed."""
    visit = policy.get_visit(actor, visit_id)
    policy.require_visit_editor(actor, visit)
    try:
        target = VisitStatus(to)
    except ValueError:
        raise InvalidInput({"to": [_("Unknown status.")]}) from None
    if (refusal := policy.why_not_transition(actor, visit, target)) is not None:
        raise refusal
    today = today or local_today()
    now = utcnow()
    previous = visit.status
    withdrawing = previous == VisitStatus.sent_for_comment and target == VisitStatus.draft
    if target == VisitStatus.cancelled or withdrawing:
        written = _written_reason(reason)
        if target == VisitStatus.cancelled:
            visit.cancel_reason = written
            visit.cancelled_at = now
        else:
            visit.withdrawal_reason = written
            visit.withdrawn_at = now
            # Sending again starts a new kommunicering with a new deadline; the responses given so far now
            # answer the earlier draft (``Response.answers_earlier_draft``, derived from ``withdrawn_at``).
            visit.comment_deadline = None
    if target == VisitStatus.sent_for_comment:
        deadline = comment_deadline or today + timedelta(days=current_app.config["COMMENT_DEADLINE_DAYS"])
        if deadline <= today:
            raise InvalidInput({"comment_deadline": [_("The deadline for comments must be after today.")]})
        if deadline > today + timedelta(days=MAX_COMMENT_DEADLINE_DAYS):
            raise InvalidInput({"comment_deadline": [_("The deadline for comments may be at most a year from today.")]})
        visit.comment_deadline = deadline
        visit.sent_for_comment_at = now
        _notify_unit_of_kommunicering(visit)
    if target == VisitStatus.final:
        _check_may_finalise(visit, actor, waiver_reason, today)
        visit.finalised_at = now
        visit.finalised_by_id = actor.id  # None when the command line (OPERATOR) finalises
    # Other domains' gates (follow-ups: a serious deviation needs an agreed follow-up before final, closing
    # needs every follow-up verified or cancelled) refuse the move by raising a DomainError.
    signals.before_visit_transition.send(visit, actor=actor, to=target, today=today)
    if target == VisitStatus.closed:
        visit.closed_at = now
    visit.status = target
    db.session.flush()
    signals.visit_status_changed.send(visit, actor=actor, previous=previous)
    if (target == VisitStatus.cancelled or withdrawing) and tell_unit:
        # The unit's members are told in their next batched e-mail (DESIGN.md 4.2): one path, never a second
        # e-mail of its own. The reason is read on the visit's page, not in the e-mail.
        kind = visit_notices.CANCELLED if target == VisitStatus.cancelled else visit_notices.WITHDRAWN
        visit_notices.record(kind, visit, actor=actor, to_unit=True)
    if target == VisitStatus.final:
        report.store_final_report(visit)
    return visit


def _check_may_finalise(visit: Visit, actor: User, waiver_reason: str | None, today: date) -> None:
    reason = (waiver_reason or "").strip()
    if visit.status == VisitStatus.draft:
        if len(reason) < 10:
            raise InvalidInput(
                {"waiver_reason": [_("Write why kommunicering is clearly unnecessary (förvaltningslagen 25 §).")]}
            )
        visit.kommunicering_waiver = reason
        return
    deadline_passed = policy.comment_deadline_passed(visit, today)
    if not (has_response(visit) or deadline_passed or len(reason) >= 10):
        raise DomainError(
            _(
                "The report can be finalised when the unit has responded, after the deadline %(deadline)s, "
                "or with a written reason why kommunicering is clearly unnecessary.",
                deadline=visit.comment_deadline.isoformat() if visit.comment_deadline else "–",
            )
        )
    if reason and not has_response(visit) and not deadline_passed:
        visit.kommunicering_waiver = reason


MIN_REASON = 10
MAX_REASON = 5000


def _written_reason(reason: str | None) -> str:
    """The written reason of a cancellation or withdrawal: at least 10 characters, at most 5000."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise InvalidInput(
            {"reason": [_("Write the reason (at least %(n)d characters); the unit sees it.", n=MIN_REASON)]}
        )
    if len(text) > MAX_REASON:
        raise InvalidInput({"reason": [_("The reason may be at most %(n)d characters long.", n=MAX_REASON)]})
    return text


def _unit_members(visit: Visit) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == visit.unit_id, User.is_active_account.is_(True))
            .order_by(User.email)
        )
    )


def _notify_unit_of_kommunicering(visit: Visit) -> None:
    for person in _unit_members(visit):
        mail.queue(
            mail.render_email(
                "visits/sent_for_comment",
                to=person.email,
                language=person.language,
                person=person,
                visit=visit,
                link=external_url("visits.show", visit_id=visit.id),
            ),
            source=f"visits.sent_for_comment:{visit.id}",
        )


status_label = policy.status_label
