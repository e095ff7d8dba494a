"""The interval computed on read, unit by unit, as the product did before plans were stored (DESIGN.md 4.7): the
reference the stored plans are checked against (tests/planning/test_stored_plans.py). Deliberately plain: one
unit at a time, whole rows, sorting in Python."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.core.models import local_zone
from app.extensions import db
from app.planning.services import FINAL_STATUSES, Interval, UnitFacts, interval_for
from app.trust.models import Breach, TrustChange
from app.units.models import TrustLevel
from app.visits.models import Finding, FindingKind, Severity, Visit


def _day(moment: Any) -> date | None:
    return moment.astimezone(local_zone()).date() if moment is not None else None


def interval_on_read(unit: Any, today: date) -> Interval:
    """The interval of ``unit`` on ``today`` from its rows, computed now."""
    visits = db.session.scalars(select(Visit).where(Visit.unit_id == unit.id, Visit.status.in_(FINAL_STATUSES))).all()
    latest = sorted(visits, key=lambda v: (v.visit_date, v.finalised_at), reverse=True)[:2]
    finals = []
    for visit in latest:
        findings = db.session.scalars(select(Finding).where(Finding.visit_id == visit.id)).all()
        serious = any(f.kind == FindingKind.deviation and f.severity == Severity.serious for f in findings)
        finals.append((visit.visit_date, serious))
    breaches = db.session.scalars(select(Breach).where(Breach.unit_id == unit.id)).all()
    changes = db.session.scalars(
        select(TrustChange).where(TrustChange.unit_id == unit.id, TrustChange.to_level == TrustLevel.closer_review)
    ).all()
    facts = UnitFacts(
        trust_level=unit.trust_level,
        registered=_day(unit.created_at) or today,
        final_visits=tuple(finals),
        latest_breach=_day(max((b.opened_at for b in breaches), default=None)),
        closer_since=_day(max((c.changed_at for c in changes), default=None)),
    )
    return interval_for(facts, today)
