"""The periodic sweep decided set-wise (DESIGN.md 4.3; issue 17, cause 6): which units' boundaries in force may
change verdict now, found in a fixed number of statements over every boundary at once, so that only those units are
evaluated through ``evaluate_unit`` (which decides and writes, with the unit's row locked).

For indicator boundaries one statement reads the k newest readings of every boundary in force — a ``LATERAL …
LIMIT k`` per boundary on PostgreSQL (an index range scan of the ``(unit, indicator, period)`` key each), a
``row_number()`` window on SQLite — and keeps only the boundaries whose k newest readings are all on the wrong
side. Serious deviations and overdue follow-ups are read as the few facts that cross their boundaries. Against those
verdicts stand the breaches of the boundaries in force (one statement): a unit is chosen exactly when
``evaluate_unit`` would change something — a new fact to open or extend a breach with, an open breach whose
condition cleared or came back. The rule is the evaluation's own (``evaluation._Assessment.changes``), restated over
rows; tests/trust/test_sweep_setwise.py proves both give the same breaches over a matrix of readings."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select

from app.core.models import local_today
from app.extensions import db
from app.trust.models import Boundary, BoundaryKind, BoundaryVersion, Breach, Comparator, Reading, VersionStatus


@dataclass(frozen=True)
class _Crossed:
    """A boundary version in force whose facts cross it now, with the keys of those facts."""

    unit_id: uuid.UUID
    boundary_id: uuid.UUID
    version_id: uuid.UUID
    keys: tuple[str, ...]


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _wrong_side(value: Any) -> Any:
    """The SQL of ``evaluation.is_wrong_side`` for a reading's value against the version's comparator/threshold."""
    return case(
        (BoundaryVersion.comparator == Comparator.gt, value > BoundaryVersion.threshold),
        (BoundaryVersion.comparator == Comparator.ge, value >= BoundaryVersion.threshold),
        (BoundaryVersion.comparator == Comparator.lt, value < BoundaryVersion.threshold),
        else_=value <= BoundaryVersion.threshold,
    )


def _active_indicator_versions() -> Any:
    return (
        select(
            BoundaryVersion.id.label("version_id"),
            Boundary.id.label("boundary_id"),
            Boundary.unit_id.label("unit_id"),
            BoundaryVersion.indicator_id.label("indicator_id"),
            func.coalesce(BoundaryVersion.periods, 1).label("k"),
        )
        .join(Boundary, Boundary.id == BoundaryVersion.boundary_id)
        .where(
            BoundaryVersion.status == VersionStatus.active,
            Boundary.kind == BoundaryKind.indicator,
            BoundaryVersion.indicator_id.is_not(None),
            BoundaryVersion.comparator.is_not(None),
            BoundaryVersion.threshold.is_not(None),
        )
    )


def crossed_indicator_boundaries() -> list[_Crossed]:
    """Indicator boundaries in force whose k newest readings (withdrawn ones left out) are all on the wrong side:
    one statement for every boundary, ``[_Crossed(unit, boundary, version, ("<indicator>:<newest period>",))]``.
    Fewer than k readings never cross (DESIGN.md 4.3, the breach rule)."""
    if db.session.get_bind().dialect.name == "postgresql":
        newest = (
            select(Reading.period, Reading.value)
            .where(
                Reading.unit_id == Boundary.unit_id,
                Reading.indicator_id == BoundaryVersion.indicator_id,
                Reading.withdrawn_at.is_(None),
            )
            .order_by(Reading.period.desc())
            .limit(func.coalesce(BoundaryVersion.periods, 1))
            .lateral("newest")
        )
        k = func.coalesce(BoundaryVersion.periods, 1)
        statement = (
            select(
                Boundary.unit_id,
                Boundary.id,
                BoundaryVersion.id,
                BoundaryVersion.indicator_id,
                func.max(newest.c.period),
            )
            .select_from(BoundaryVersion)
            .join(Boundary, Boundary.id == BoundaryVersion.boundary_id)
            .join(newest, literal(True))
            .where(
                BoundaryVersion.status == VersionStatus.active,
                Boundary.kind == BoundaryKind.indicator,
                BoundaryVersion.indicator_id.is_not(None),
                BoundaryVersion.comparator.is_not(None),
                BoundaryVersion.threshold.is_not(None),
            )
            .group_by(Boundary.unit_id, Boundary.id, BoundaryVersion.id, BoundaryVersion.indicator_id, k)
            .having(
                and_(
                    func.count() == k,
                    func.sum(case((_wrong_side(newest.c.value), 1), else_=0)) == k,
                )
            )
        )
    else:
        versions = _active_indicator_versions().subquery("v")
        ranked = (
            select(
                versions.c.version_id,
                Reading.period,
                Reading.value,
                func.row_number()
                .over(partition_by=(versions.c.version_id,), order_by=Reading.period.desc())
                .label("position"),
            )
            .join(
                Reading,
                and_(
                    Reading.unit_id == versions.c.unit_id,
                    Reading.indicator_id == versions.c.indicator_id,
                    Reading.withdrawn_at.is_(None),
                ),
            )
            .subquery("ranked")
        )
        k = func.coalesce(BoundaryVersion.periods, 1)
        statement = (
            select(
                Boundary.unit_id,
                Boundary.id,
                BoundaryVersion.id,
                BoundaryVersion.indicator_id,
                func.max(ranked.c.period),
            )
            .select_from(ranked)
            .join(BoundaryVersion, BoundaryVersion.id == ranked.c.version_id)
            .join(Boundary, Boundary.id == BoundaryVersion.boundary_id)
            .where(ranked.c.position <= k)
            .group_by(Boundary.unit_id, Boundary.id, BoundaryVersion.id, BoundaryVersion.indicator_id, k)
            .having(
                and_(
                    func.count() == k,
                    func.sum(case((_wrong_side(ranked.c.value), 1), else_=0)) == k,
                )
            )
        )
    return [
        _Crossed(_uuid(unit_id), _uuid(boundary_id), _uuid(version_id), (f"{_uuid(indicator_id)}:{newest_period}",))
        for unit_id, boundary_id, version_id, indicator_id, newest_period in db.session.execute(statement)
    ]


def _crossed_serious_deviations() -> list[_Crossed]:
    """Serious-deviation boundaries in force and the serious deviations that cross them (in visits open to the
    unit since the boundary was agreed): one statement, rows only for such deviations."""
    from app.visits.models import Finding, FindingKind, Severity, Visit, VisitStatus

    rows = db.session.execute(
        select(
            Boundary.unit_id,
            Boundary.id,
            BoundaryVersion.id,
            Boundary.agreed_at,
            Finding.id,
            Visit.sent_for_comment_at,
            Visit.finalised_at,
        )
        .select_from(BoundaryVersion)
        .join(Boundary, Boundary.id == BoundaryVersion.boundary_id)
        .join(Visit, Visit.unit_id == Boundary.unit_id)
        .join(Finding, Finding.visit_id == Visit.id)
        .where(
            BoundaryVersion.status == VersionStatus.active,
            Boundary.kind == BoundaryKind.serious_deviation,
            Visit.status.in_([VisitStatus.sent_for_comment, VisitStatus.final, VisitStatus.closed]),
            Finding.kind == FindingKind.deviation,
            Finding.severity == Severity.serious,
        )
        .order_by(Visit.case_number, Finding.created_at)
    ).all()
    keys: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], list[str]] = defaultdict(list)
    for unit_id, boundary_id, version_id, since, finding_id, sent, final in rows:
        at: datetime | None = sent or final
        if at is not None and (since is None or at >= since):
            keys[(_uuid(unit_id), _uuid(boundary_id), _uuid(version_id))].append(f"finding:{_uuid(finding_id)}")
    return [_Crossed(*ids, tuple(found)) for ids, found in keys.items()]


def _crossed_overdue_follow_ups(today: date) -> list[_Crossed]:
    """Overdue-follow-up boundaries in force and the agreed follow-ups overdue by more than their d days: one
    statement, rows only for such follow-ups."""
    from app.followups.models import FollowUp, FollowUpStatus

    rows = db.session.execute(
        select(Boundary.unit_id, Boundary.id, BoundaryVersion.id, BoundaryVersion.days, FollowUp.id, FollowUp.due_date)
        .select_from(BoundaryVersion)
        .join(Boundary, Boundary.id == BoundaryVersion.boundary_id)
        .join(FollowUp, FollowUp.unit_id == Boundary.unit_id)
        .where(
            BoundaryVersion.status == VersionStatus.active,
            Boundary.kind == BoundaryKind.overdue_follow_up,
            FollowUp.status == FollowUpStatus.agreed,
            FollowUp.due_date < today,
        )
        .order_by(FollowUp.due_date)
    ).all()
    keys: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], list[str]] = defaultdict(list)
    for unit_id, boundary_id, version_id, days, follow_up_id, due in rows:
        if due < today - timedelta(days=days or 0):
            keys[(_uuid(unit_id), _uuid(boundary_id), _uuid(version_id))].append(
                f"follow_up:{_uuid(follow_up_id)}:{due.isoformat()}"
            )
    return [_Crossed(*ids, tuple(found)) for ids, found in keys.items()]


def units_whose_verdict_may_change(today: date | None = None) -> list[uuid.UUID]:
    """The units ``evaluate_unit`` would change something for now, sorted: a boundary in force crossed by a fact no
    breach of it covers yet, or by facts while its open breach is marked cleared, or an open breach whose facts no
    longer cross. Four statements whatever the number of units, boundaries and readings (DESIGN.md 4.3)."""
    today = today or local_today()
    crossed = [
        *crossed_indicator_boundaries(),
        *_crossed_serious_deviations(),
        *_crossed_overdue_follow_ups(today),
    ]
    active = select(BoundaryVersion.id).where(BoundaryVersion.status == VersionStatus.active)
    live = select(BoundaryVersion.boundary_id).where(BoundaryVersion.status == VersionStatus.active)
    breaches = db.session.execute(
        select(
            Breach.unit_id,
            Breach.boundary_id,
            Breach.boundary_version_id,
            Breach.closed_at,
            Breach.condition_cleared_at,
            Breach.trigger_keys,
            case((Breach.boundary_version_id.in_(active), True), else_=False),
        ).where(Breach.boundary_id.in_(live))
    ).all()
    covered: dict[uuid.UUID, set[str]] = defaultdict(set)
    open_breaches: dict[uuid.UUID, tuple[uuid.UUID, bool]] = {}  # version in force → (unit, condition cleared)
    for unit_id, boundary_id, version_id, closed_at, cleared_at, keys, in_force in breaches:
        covered[_uuid(boundary_id)].update(keys or [])
        if closed_at is None and in_force:
            open_breaches[_uuid(version_id)] = (_uuid(unit_id), cleared_at is not None)
    units: set[uuid.UUID] = set()
    crossing: set[uuid.UUID] = set()
    for item in crossed:
        crossing.add(item.version_id)
        new = any(key not in covered[item.boundary_id] for key in item.keys)
        current = open_breaches.get(item.version_id)
        if new or (current is not None and current[1]):
            units.add(item.unit_id)
    for version_id, (unit_id, cleared) in open_breaches.items():
        if version_id not in crossing and not cleared:
            units.add(unit_id)  # its facts no longer cross: the breach is to be marked cleared
    return sorted(units)
