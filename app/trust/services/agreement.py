"""Boundaries agreed as versions between the two parties: proposing, accepting, declining, withdrawing, and
the limit of boundaries in force (DESIGN.md 4.3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core import client_ids
from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.core.models import utcnow
from app.extensions import db
from app.trust import labels
from app.trust import notices as trust_notices
from app.trust import policy as trust_policy
from app.trust.models import (
    Boundary,
    BoundaryKind,
    BoundaryVersion,
    Comparator,
    Indicator,
    Side,
    VersionStatus,
)
from app.trust.services.catalogue import find_indicator
from app.trust.services.common import (
    MAX_DAYS,
    MAX_PERIODS,
    _actor_id,
    _lock_unit,
    _text,
    side_of,
)
from app.trust.services.evaluation import evaluate_unit
from app.trust.services.readings import parse_value
from app.units import policy as units_policy
from app.units.models import Unit

# ---- boundaries and their agreement ---------------------------------------------------------------


@dataclass
class _Terms:
    indicator: Indicator | None = None
    comparator: Comparator | None = None
    threshold: float | None = None
    periods: int | None = None
    days: int | None = None


def _whole(raw: Any, field: str, low: int, high: int, errors: dict[str, list[str]], message: str) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors[field] = [message]
        return None
    try:
        if isinstance(raw, bool):
            raise ValueError
        number = int(str(raw).strip()) if not isinstance(raw, int) else raw
    except ValueError:
        errors[field] = [message]
        return None
    if not low <= number <= high:
        errors[field] = [message]
        return None
    return number


def _validated_terms(
    kind: BoundaryKind,
    *,
    indicator: str | uuid.UUID | None,
    comparator: str | None,
    threshold: Any,
    periods: Any,
    days: Any,
    errors: dict[str, list[str]],
) -> _Terms:
    terms = _Terms()
    if kind == BoundaryKind.indicator:
        terms.indicator = find_indicator(indicator) if indicator else None
        if terms.indicator is None:
            errors["indicator"] = [_("Choose an indicator of the catalogue.")]
        try:
            terms.comparator = Comparator(comparator) if comparator else None
        except ValueError:
            terms.comparator = None
        if terms.comparator is None:
            errors["comparator"] = [
                _("Choose when the value is on the wrong side: above, at or above, below, at or below.")
            ]
        try:
            terms.threshold = parse_value(threshold)
        except ValueError as exc:
            errors["threshold"] = [str(exc)]
        terms.periods = _whole(
            periods,
            "periods",
            1,
            MAX_PERIODS,
            errors,
            _("Enter how many of the latest months count, a whole number from 1 to %(n)d.", n=MAX_PERIODS),
        )
    elif kind == BoundaryKind.overdue_follow_up:
        terms.days = _whole(
            days,
            "days",
            0,
            MAX_DAYS,
            errors,
            _("Enter the number of days past the due date, a whole number from 0 to %(n)d.", n=MAX_DAYS),
        )
    return terms


def counted_boundaries(unit_id: uuid.UUID) -> int:
    """Boundaries in force plus new ones waiting for acceptance: what the limit of MAX_ACTIVE_BOUNDARIES counts."""
    live = select(BoundaryVersion.id).where(
        BoundaryVersion.boundary_id == Boundary.id,
        BoundaryVersion.status.in_([VersionStatus.active, VersionStatus.proposed]),
        BoundaryVersion.ends_boundary.is_(False),
    )
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Boundary)
            .where(Boundary.unit_id == unit_id, Boundary.ended_at.is_(None), exists(live))
        )
        or 0
    )


def active_boundaries(unit_id: uuid.UUID) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(BoundaryVersion)
            .join(Boundary)
            .where(Boundary.unit_id == unit_id, BoundaryVersion.status == VersionStatus.active)
        )
        or 0
    )


def _limit_message(unit: Unit, count: int) -> str:
    limit = current_app.config["MAX_ACTIVE_BOUNDARIES"]
    return _(
        "%(unit)s already has %(count)d of at most %(max)d trust boundaries (those in force and new ones waiting "
        "for acceptance). Few boundaries keep trust meaningful: end or withdraw one before proposing another.",
        unit=unit.name,
        count=count,
        max=limit,
    )


def propose_boundary(
    unit_id: uuid.UUID,
    *,
    actor: User,
    rationale: str,
    kind: str | BoundaryKind | None = None,
    indicator: str | uuid.UUID | None = None,
    comparator: str | None = None,
    threshold: Any = None,
    periods: Any = None,
    days: Any = None,
    boundary_id: uuid.UUID | None = None,
    ends_boundary: bool = False,
    version_id: uuid.UUID | None = None,
) -> BoundaryVersion:
    """Propose a new boundary, or (with ``boundary_id``) a new version of one or its end. Nothing changes in what
    is in force until the other party accepts (DESIGN.md 4.3)."""
    unit = units_policy.get_unit(actor, unit_id)
    side = side_of(actor, unit.id)
    if side is None:
        raise Forbidden(_("Your role does not allow this."))
    if (
        existing := client_ids.replayed(
            BoundaryVersion,
            version_id,
            is_replay=lambda v: v.boundary.unit_id == unit.id and v.proposed_by_id == actor.id,
        )
    ) is not None:
        return existing  # a repeated create with the client's id (API.md); another's id is a 422 saying nothing of it
    _lock_unit(unit.id)
    errors: dict[str, list[str]] = {}
    boundary: Boundary | None = None
    if boundary_id is not None:
        boundary = trust_policy.get_boundary(actor, boundary_id)
        if boundary.unit_id != unit.id:
            raise NotFound(_("The trust boundary does not exist or you may not see it."))
        if boundary.ended_at is not None:
            raise DomainError(_("This boundary has ended. Propose a new boundary instead."))
        if boundary.pending_version is not None:
            raise DomainError(
                _("A proposal for this boundary already awaits an answer: accept, decline or withdraw it first.")
            )
        if kind and str(kind) != boundary.kind.value:
            errors["kind"] = [_("The kind of a boundary cannot change: propose a new boundary instead.")]
        boundary_kind = boundary.kind
    else:
        if ends_boundary:
            raise InvalidInput({"boundary_id": [_("Choose the boundary to end.")]})
        try:
            boundary_kind = BoundaryKind(kind or "")
        except ValueError:
            raise InvalidInput({"kind": [_("Choose what the boundary watches.")]}) from None
    rationale = _text(
        rationale,
        "rationale",
        errors,
        required=(
            _("Write why the boundary should end.")
            if ends_boundary
            else _("Write in plain words why this boundary matters.")
        ),
        limit=2000,
    )
    if ends_boundary:
        assert boundary is not None
        current = boundary.active_version
        if current is None:
            raise DomainError(_("Only a boundary in force can be ended."))
        terms = _Terms(current.indicator, current.comparator, current.threshold, current.periods, current.days)
    else:
        terms = _validated_terms(
            boundary_kind,
            indicator=indicator,
            comparator=comparator,
            threshold=threshold,
            periods=periods,
            days=days,
            errors=errors,
        )
    if errors:
        raise InvalidInput(errors)
    if boundary is None:
        if boundary_kind != BoundaryKind.indicator and _has_live_boundary(unit.id, boundary_kind):
            raise DomainError(
                _("The unit already has a boundary of this kind: propose a change to it instead."), field="kind"
            )
        count = counted_boundaries(unit.id)
        if count >= current_app.config["MAX_ACTIVE_BOUNDARIES"]:
            raise DomainError(_limit_message(unit, count))
        boundary = Boundary(id=uuid.uuid4(), unit_id=unit.id, kind=boundary_kind)
        db.session.add(boundary)
        number = 1
    else:
        number = boundary.latest_version.number + 1
    try:
        with db.session.begin_nested():
            version = BoundaryVersion(
                id=version_id or uuid.uuid4(),
                boundary=boundary,
                number=number,
                status=VersionStatus.proposed,
                ends_boundary=ends_boundary,
                indicator=terms.indicator,
                comparator=terms.comparator,
                threshold=terms.threshold,
                periods=terms.periods,
                days=terms.days,
                rationale=rationale,
                proposed_by_id=_actor_id(actor),
                proposed_by_side=side,
                proposed_at=utcnow(),
            )
            db.session.add(version)
            db.session.flush()
    except IntegrityError:
        raise DomainError(
            _("A proposal for this boundary already awaits an answer: accept, decline or withdraw it first.")
        ) from None
    trust_notices.record_proposal(version, actor=actor)  # the other party is told in its next batch (4.2)
    return version


def _has_live_boundary(unit_id: uuid.UUID, kind: BoundaryKind) -> bool:
    live = select(BoundaryVersion.id).where(
        BoundaryVersion.boundary_id == Boundary.id,
        BoundaryVersion.status.in_([VersionStatus.active, VersionStatus.proposed]),
    )
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Boundary.unit_id == unit_id, Boundary.kind == kind, Boundary.ended_at.is_(None), exists(live)
                )
            )
        )
    )


def _pending(actor: User, version_id: uuid.UUID) -> tuple[BoundaryVersion, Side | None]:
    version = trust_policy.get_boundary_version(actor, version_id)
    if version.status != VersionStatus.proposed:
        raise DomainError(
            _(
                "This proposal is no longer waiting for an answer (%(status)s).",
                status=labels.VERSION_STATUS[version.status.value],
            )
        )
    return version, side_of(actor, version.boundary.unit_id)


def accept_version(version_id: uuid.UUID, *, actor: User) -> BoundaryVersion:
    """The other party agrees: the proposal comes into force and the version it replaces goes out of force."""
    version, _side = _pending(actor, version_id)
    if (refusal := trust_policy.why_not_answer(actor, version, "accept")) is not None:
        raise refusal
    boundary = version.boundary
    unit = _lock_unit(boundary.unit_id)
    current = boundary.active_version
    if current is None and not version.ends_boundary:
        count = active_boundaries(unit.id)
        if count >= current_app.config["MAX_ACTIVE_BOUNDARIES"]:
            raise DomainError(_limit_message(unit, count))
    now = utcnow()
    if current is not None:
        current.status = VersionStatus.superseded
        current.superseded_at = now
        db.session.flush()  # out of force before its successor comes in (one version in force, by the database)
    version.accepted_by_id = _actor_id(actor)
    version.accepted_at = now
    if version.ends_boundary:
        version.status = VersionStatus.ended
        boundary.ended_at = now
    else:
        version.status = VersionStatus.active
        boundary.agreed_at = boundary.agreed_at or now
    db.session.flush()
    trust_notices.record_answer(version, actor=actor, accepted=True)
    if version.status == VersionStatus.active:
        evaluate_unit(unit.id)
    return version


def reject_version(version_id: uuid.UUID, *, actor: User, reason: str | None = None) -> BoundaryVersion:
    """The other party declines; what was in force stays in force."""
    version, _side = _pending(actor, version_id)
    if (refusal := trust_policy.why_not_answer(actor, version, "reject")) is not None:
        raise refusal
    errors: dict[str, list[str]] = {}
    text = _text(reason, "reason", errors, required=None, limit=2000)
    if errors:
        raise InvalidInput(errors)
    version.status = VersionStatus.rejected
    version.rejected_by_id = _actor_id(actor)
    version.rejected_at = utcnow()
    version.rejection_reason = text or None
    db.session.flush()
    trust_notices.record_answer(version, actor=actor, accepted=False)
    return version


def withdraw_version(version_id: uuid.UUID, *, actor: User) -> BoundaryVersion:
    """The proposing party takes its proposal back before it is answered."""
    version, _side = _pending(actor, version_id)
    if (refusal := trust_policy.why_not_answer(actor, version, "withdraw")) is not None:
        raise refusal
    version.status = VersionStatus.withdrawn
    version.withdrawn_by_id = _actor_id(actor)
    version.withdrawn_at = utcnow()
    db.session.flush()
    return version


def boundaries_of(unit_id: uuid.UUID) -> list[Boundary]:
    """A unit's boundaries with every version and the people on them, newest first, in a fixed number of queries."""
    return list(
        db.session.scalars(
            select(Boundary)
            .where(Boundary.unit_id == unit_id)
            .options(
                selectinload(Boundary.versions).selectinload(BoundaryVersion.indicator),
                selectinload(Boundary.versions).selectinload(BoundaryVersion.proposed_by),
                selectinload(Boundary.versions).selectinload(BoundaryVersion.accepted_by),
                selectinload(Boundary.versions).selectinload(BoundaryVersion.rejected_by),
                selectinload(Boundary.versions).selectinload(BoundaryVersion.withdrawn_by),
            )
            .order_by(Boundary.ended_at.is_not(None), Boundary.created_at.desc())
        )
    )
