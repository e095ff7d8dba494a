"""What a breach sets off (closer review, a closer-review visit planned by the visits domain, e-mail), closing a
breach and restoring baseline trust (DESIGN.md 4.3)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.core import mail
from app.core.errors import DomainError, InvalidInput
from app.core.models import utcnow
from app.core.urls import external_url
from app.extensions import db
from app.trust import labels
from app.trust import policy as trust_policy
from app.trust.models import (
    BoundaryVersion,
    Breach,
    TrustChange,
)
from app.trust.services.common import (
    MIN_NOTE,
    _actor_id,
    _lock_unit,
    _people,
)
from app.units import policy as units_policy
from app.units.models import TrustLevel, Unit
from app.visits import policy as visit_policy
from app.visits import services as visit_services

# ---- consequences of a breach ---------------------------------------------------------------------


def _change_trust_level(
    unit: Unit,
    to: TrustLevel,
    *,
    reason: str,
    actor_id: uuid.UUID | None = None,
    breach_id: uuid.UUID | None = None,
) -> TrustChange:
    """The one place a unit's trust level changes, always with a row of its history."""
    change = TrustChange(
        id=uuid.uuid4(),
        unit_id=unit.id,
        from_level=unit.trust_level,
        to_level=to,
        reason=reason,
        actor_id=actor_id,
        breach_id=breach_id,
        changed_at=utcnow(),
    )
    db.session.add(change)
    unit.trust_level = to
    return change


def _consequences(unit: Unit, opened: list[Breach]) -> None:
    """A new breach: closer review, a closer-review visit unless one is open, and e-mail to the unit and the
    coordinators once the transaction has committed (DESIGN.md 4.3)."""
    if unit.trust_level != TrustLevel.closer_review:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            reason = _("The trust boundary “%(title)s” was crossed.", title=labels.title(opened[0].version))
        _change_trust_level(unit, TrustLevel.closer_review, reason=reason, breach_id=opened[0].id)
    visit = visit_services.open_closer_review_visit(unit.id) or _plan_closer_review(unit, opened)
    for breach in opened:
        breach.visit_id = visit.id if visit else None
    db.session.flush()
    _notify_breaches(unit, opened, visit)


def _plan_closer_review(unit: Unit, opened: list[Breach]) -> Any:
    """A closer-review visit planned by the visits domain, its aim naming the boundaries crossed; None if none could
    be planned (no template or eligible reviewer: the coordinators' e-mail says so)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        aim = _(
            "Closer review together with the unit after a crossed trust boundary: %(titles)s.",
            titles=", ".join(dict.fromkeys(labels.title(b.version) for b in opened)),
        )
    return visit_services.plan_closer_review(unit.id, aim=aim)


def _notify_breaches(unit: Unit, opened: list[Breach], visit: Any) -> None:
    versions = [b.version for b in opened]
    for person in _people(unit.id, coordinators=True):
        mail.queue(
            mail.render_email(
                "trust/breach_opened",
                to=person.email,
                language=person.language,
                person=person,
                unit=unit,
                versions=versions,
                visit=visit,
                is_coordinator=person.is_coordinator,
                link=external_url("units.show", unit_id=unit.id),
                visit_link=external_url("visits.show", visit_id=visit.id) if visit is not None else None,
            )
        )


# ---- closing breaches and restoring trust ---------------------------------------------------------


def _require_reviewer_without_conflict(actor: User, unit_id: uuid.UUID, *roles: Role) -> None:
    if (refusal := trust_policy.why_not_decide_trust(actor, unit_id, *roles)) is not None:
        raise refusal


def close_breach(breach_id: uuid.UUID, *, actor: User, note: str) -> Breach:
    """A reviewer closes a breach after the closer look, with a note of what was found and agreed."""
    breach = trust_policy.get_breach(actor, breach_id)
    if (refusal := trust_policy.why_not_close_breach(actor, breach)) is not None:
        raise refusal
    text = (note or "").strip()
    if len(text) < MIN_NOTE:
        raise InvalidInput({"note": [_("Write a note of what the closer look found and what was agreed.")]})
    if len(text) > 5000:
        raise InvalidInput({"note": [_("The text may be at most %(n)d characters long.", n=5000)]})
    breach.closed_at = utcnow()
    breach.closed_by_id = _actor_id(actor)
    breach.close_note = text
    db.session.flush()
    return breach


def open_breaches(unit_id: uuid.UUID) -> list[Breach]:
    return list(
        db.session.scalars(
            select(Breach)
            .where(Breach.unit_id == unit_id, Breach.closed_at.is_(None))
            .options(selectinload(Breach.version).selectinload(BoundaryVersion.indicator))
            .order_by(Breach.opened_at)
        )
    )


def restore_baseline(
    unit_id: uuid.UUID, *, actor: User, reason: str, cancel_closer_review: bool = False
) -> TrustChange:
    """A coordinator returns the unit to baseline trust, with a written reason, once no breach is open
    (DESIGN.md 4.3). With ``cancel_closer_review`` the unit's open closer-review visit, when it is still planned
    or in progress, is cancelled with the same reason (DESIGN.md 4.1): the closer review is no longer needed.
    Raises InvalidInput (``reason``), Forbidden, or DomainError (a breach still open, already baseline)."""
    unit = units_policy.get_unit(actor, unit_id)
    _require_reviewer_without_conflict(actor, unit.id, Role.coordinator)
    text = (reason or "").strip()
    if len(text) < MIN_NOTE:
        raise InvalidInput({"reason": [_("Write why the unit returns to baseline trust.")]})
    if len(text) > 5000:
        raise InvalidInput({"reason": [_("The text may be at most %(n)d characters long.", n=5000)]})
    unit = _lock_unit(unit.id)
    if unit.trust_level == TrustLevel.baseline:
        raise DomainError(_("The unit already has baseline trust."))
    still_open = db.session.scalar(
        select(func.count()).select_from(Breach).where(Breach.unit_id == unit.id, Breach.closed_at.is_(None))
    )
    if still_open:
        raise DomainError(
            _(
                "Baseline trust can be restored only when no breach is open; %(n)d is still open. "
                "A reviewer closes each breach with a note first.",
                n=still_open,
            )
        )
    change = _change_trust_level(unit, TrustLevel.baseline, reason=text, actor_id=_actor_id(actor))
    db.session.flush()
    cancelled = None
    if cancel_closer_review:
        visit = visit_services.open_closer_review_visit(unit.id)
        if visit is not None and visit_policy.can_cancel(actor, visit):
            # One act, one notice: the "baseline again" e-mail below says the visit is cancelled, so the visit's
            # own notice of its cancellation is not told a second time in the unit's next batch (DESIGN.md 4.2).
            cancelled = visit_services.transition(visit.id, actor=actor, to="cancelled", reason=text, tell_unit=False)
    # Never say the closer review is over while its visit stays open (issue 14): the e-mail names it.
    open_visit = visit_services.open_closer_review_visit(unit.id)
    for person in _people(unit.id, coordinators=False):
        mail.queue(
            mail.render_email(
                "trust/baseline_restored",
                to=person.email,
                language=person.language,
                person=person,
                unit=unit,
                cancelled_visit=cancelled,
                open_visit=open_visit,
                link=external_url("units.show", unit_id=unit.id),
            )
        )
    return change


def trust_history_query(unit_id: uuid.UUID) -> Select[Any]:
    return (
        select(TrustChange)
        .where(TrustChange.unit_id == unit_id)
        .options(
            selectinload(TrustChange.actor),
            selectinload(TrustChange.breach).selectinload(Breach.version).selectinload(BoundaryVersion.indicator),
            selectinload(TrustChange.breach).selectinload(Breach.boundary),
        )
        .order_by(TrustChange.changed_at.desc())
    )
