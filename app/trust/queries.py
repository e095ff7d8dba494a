"""What the trust pages show, read in a fixed number of queries however much data there is (no N+1)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, exists, func, select, true
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app.auth.models import User
from app.core.input import fold
from app.core.models import local_today
from app.core.pagination import Page, paginate
from app.extensions import db
from app.trust import charts, services
from app.trust.models import (
    Boundary,
    BoundaryKind,
    BoundaryVersion,
    Breach,
    Indicator,
    Reading,
    Side,
    TrustChange,
    VersionStatus,
)
from app.units.models import TrustLevel, Unit

CHART_MONTHS = 24


def _breach_periods(breaches: list[Breach]) -> dict[uuid.UUID, set[str]]:
    """Per indicator, the months that were part of a breach of one of its boundaries."""
    found: dict[uuid.UUID, set[str]] = {}
    for breach in breaches:
        indicator_id = breach.version.indicator_id
        if indicator_id is None:
            continue
        found.setdefault(indicator_id, set()).update(p for p, _v in breach.evidence.get("readings", []))
    return found


def unit_charts(unit_id: uuid.UUID, today: Any = None) -> list[charts.Chart]:
    """One chart per indicator the unit reports or has a boundary on: the latest two years."""
    versions = list(
        db.session.scalars(
            services.active_versions_query(unit_id).where(Boundary.kind == BoundaryKind.indicator)
        ).unique()
    )
    breaches = list(
        db.session.scalars(
            select(Breach)
            .join(Breach.version)
            .where(Breach.unit_id == unit_id, BoundaryVersion.indicator_id.is_not(None))
            .options(selectinload(Breach.version))
        )
    )
    rows = _chart_readings(unit_id, today)
    ids = {indicator_id for indicator_id, _p, _v in rows} | {v.indicator_id for v in versions if v.indicator_id}
    if not ids:
        return []
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(Indicator.id.in_(ids)))}
    return _charts(rows, versions, breaches, indicators)


def _chart_readings(unit_id: uuid.UUID, today: Any = None) -> list[Any]:
    """The unit's readings of the latest two years, withdrawn ones aside: (indicator id, period, value)."""
    today = today or local_today()
    start = f"{today.year - 2:04d}-{today.month:02d}"
    return list(
        db.session.execute(
            select(Reading.indicator_id, Reading.period, Reading.value)
            .where(Reading.unit_id == unit_id, Reading.period > start, Reading.withdrawn_at.is_(None))
            .order_by(Reading.indicator_id, Reading.period)
        ).all()
    )


def _charts(
    rows: list[Any],
    versions: list[BoundaryVersion],
    breaches: list[Breach],
    indicators: Mapping[uuid.UUID, Indicator],
) -> list[charts.Chart]:
    """The charts of ``rows`` (indicator id, period, value; by indicator then period), the indicator boundaries in
    force (``versions``) and the breaches of indicator boundaries, sorted by the indicator's name."""
    by_indicator: dict[uuid.UUID, list[tuple[str, float]]] = {}
    for indicator_id, period, value in rows:
        by_indicator.setdefault(indicator_id, []).append((period, value))
    ids = set(by_indicator) | {v.indicator_id for v in versions if v.indicator_id}
    marks = _breach_periods(breaches)
    result = [
        charts.build_chart(
            indicators[indicator_id],
            by_indicator.get(indicator_id, []),
            [v for v in versions if v.indicator_id == indicator_id],
            marks.get(indicator_id, set()),
        )
        for indicator_id in ids
    ]
    return sorted(result, key=lambda c: c.indicator.name.lower())


@dataclass
class UnitPanel:
    boundaries: list[Boundary]
    open_breaches: list[Breach]
    charts: list[charts.Chart]
    history: list[TrustChange]
    awaiting_me: list[BoundaryVersion] = field(default_factory=list)

    @property
    def active(self) -> list[BoundaryVersion]:
        return [v for b in self.boundaries if (v := b.active_version) is not None]

    @property
    def pending(self) -> list[BoundaryVersion]:
        return [v for b in self.boundaries if (v := b.pending_version) is not None]


def unit_panel(actor: Any, unit: Unit) -> UnitPanel:
    """The trust section of the unit page in five statements whatever the unit's history (issue 17): its
    boundaries with their versions; the latest two years' readings; the indicators those and the versions name (one
    query); the breaches that are open or belong to an indicator boundary (the chart marks them); the latest ten
    changes of trust level with their actors and breaches. A breach's version and boundary and a version's indicator
    are then read from the session (all of the unit's are loaded above), never with a statement of their own."""
    boundaries = list(
        db.session.scalars(
            select(Boundary)
            .where(Boundary.unit_id == unit.id)
            .options(joinedload(Boundary.versions))  # a unit has a handful of boundaries, each a few versions
            .order_by(Boundary.ended_at.is_not(None), Boundary.created_at.desc())
        ).unique()
    )
    versions = [v for b in boundaries for v in b.versions]
    rows = _chart_readings(unit.id)
    ids = {indicator_id for indicator_id, _p, _v in rows} | {v.indicator_id for v in versions if v.indicator_id}
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(Indicator.id.in_(ids)))} if ids else {}
    breaches = list(
        db.session.scalars(
            select(Breach)
            .join(Breach.version)
            .where(
                Breach.unit_id == unit.id,
                Breach.closed_at.is_(None) | BoundaryVersion.indicator_id.is_not(None),
            )
            .order_by(Breach.opened_at)
        )
    )
    history = list(
        db.session.scalars(
            select(TrustChange)
            .where(TrustChange.unit_id == unit.id)
            # Only the actor's name is shown: their roles are not read (User.role_rows loads eagerly otherwise).
            .options(joinedload(TrustChange.actor).lazyload(User.role_rows), joinedload(TrustChange.breach))
            .order_by(TrustChange.changed_at.desc())
            .limit(10)
        )
    )
    in_force = [
        v
        for b in boundaries
        if b.kind == BoundaryKind.indicator
        for v in b.versions
        if v.status == VersionStatus.active
    ]
    side = services.side_of(actor, unit.id)
    panel = UnitPanel(
        boundaries=boundaries,
        open_breaches=[b for b in breaches if b.closed_at is None],
        charts=_charts(rows, in_force, [b for b in breaches if b.version.indicator_id is not None], indicators),
        history=history,
    )
    panel.awaiting_me = [v for v in panel.pending if side is not None and v.proposed_by_side != side]
    return panel


# ---- the coordinators' overview ------------------------------------------------------------------


@dataclass
class LatestReading:
    indicator: Indicator
    period: str
    value: float
    wrong_side: bool


@dataclass
class OverviewRow:
    unit: Unit
    open_breaches: int
    boundaries: int
    pending: int
    latest: list[LatestReading]


def overview(args: Mapping[str, Any]) -> tuple[Page, list[OverviewRow]]:
    """Units by trust level (closer review first), with open breaches, boundaries in force, proposals waiting and
    the latest reading of each indicator; filtered by name, trust level and open breaches; a page at a time."""
    open_count = (
        select(func.count())
        .where(Breach.unit_id == Unit.id, Breach.closed_at.is_(None))
        .correlate(Unit)
        .scalar_subquery()
    )
    query = select(Unit)
    q = (args.get("q") or "").strip()
    if q:
        query = query.where(Unit.name_key.contains(fold(q), autoescape=True))
    if args.get("trust_level") in TrustLevel.__members__:
        query = query.where(Unit.trust_level == TrustLevel(args["trust_level"]))
    if args.get("breaches") == "open":
        query = query.where(exists().where(Breach.unit_id == Unit.id, Breach.closed_at.is_(None)))
    query = query.order_by(
        case((Unit.trust_level == TrustLevel.closer_review, 0), else_=1), open_count.desc(), func.lower(Unit.name)
    )
    page = paginate(query, args)
    ids = [u.id for u in page.items]
    if not ids:
        return page, []
    breaches = dict(
        db.session.execute(
            select(Breach.unit_id, func.count())
            .where(Breach.unit_id.in_(ids), Breach.closed_at.is_(None))
            .group_by(Breach.unit_id)
        ).all()
    )
    status_counts = db.session.execute(
        select(Boundary.unit_id, BoundaryVersion.status, func.count())
        .join(BoundaryVersion, BoundaryVersion.boundary_id == Boundary.id)
        .where(
            Boundary.unit_id.in_(ids),
            BoundaryVersion.status.in_([VersionStatus.active, VersionStatus.proposed]),
        )
        .group_by(Boundary.unit_id, BoundaryVersion.status)
    ).all()
    active: dict[uuid.UUID, int] = {}
    pending: dict[uuid.UUID, int] = {}
    for unit_id, status, count in status_counts:
        (active if status == VersionStatus.active else pending)[unit_id] = count
    # The latest reading per (unit, indicator) of the page, a withdrawn one aside: one index probe per pair through
    # the (unit, indicator, period) index, ``ORDER BY period DESC LIMIT 1`` (what LATERAL … LIMIT 1 does on
    # PostgreSQL, written as a correlated subquery so SQLite runs it too), never every period of the page's units.
    newest_id = (
        select(Reading.id)
        .where(Reading.unit_id == Unit.id, Reading.indicator_id == Indicator.id, Reading.withdrawn_at.is_(None))
        .order_by(Reading.period.desc())
        .limit(1)
        .correlate(Unit, Indicator)
        .scalar_subquery()
    )
    latest_ids = select(newest_id).select_from(Unit).join(Indicator, true()).where(Unit.id.in_(ids))
    latest_rows = db.session.scalars(
        select(Reading).where(Reading.id.in_(latest_ids)).options(selectinload(Reading.indicator))
    ).all()
    versions = list(
        db.session.scalars(
            services.active_versions_query().where(Boundary.unit_id.in_(ids), Boundary.kind == BoundaryKind.indicator)
        ).unique()
    )
    latest: dict[uuid.UUID, list[LatestReading]] = {}
    for reading in latest_rows:
        watching = [
            v for v in versions if v.boundary.unit_id == reading.unit_id and v.indicator_id == reading.indicator_id
        ]
        latest.setdefault(reading.unit_id, []).append(
            LatestReading(
                indicator=reading.indicator,
                period=reading.period,
                value=reading.value,
                wrong_side=any(
                    v.comparator is not None
                    and v.threshold is not None
                    and services.is_wrong_side(reading.value, v.comparator, v.threshold)
                    for v in watching
                ),
            )
        )
    rows = [
        OverviewRow(
            unit=unit,
            open_breaches=breaches.get(unit.id, 0),
            boundaries=active.get(unit.id, 0),
            pending=pending.get(unit.id, 0),
            latest=sorted(latest.get(unit.id, []), key=lambda r: r.indicator.name.lower()),
        )
        for unit in page.items
    ]
    return page, rows


def breaches_query(unit_id: uuid.UUID, status: str | None = None) -> Any:
    query = (
        select(Breach)
        .where(Breach.unit_id == unit_id)
        .options(
            selectinload(Breach.version).selectinload(BoundaryVersion.indicator),
            selectinload(Breach.version).selectinload(BoundaryVersion.boundary),
            selectinload(Breach.closed_by),
        )
        .order_by(Breach.closed_at.is_not(None), Breach.opened_at.desc())
    )
    if status == "open":
        query = query.where(Breach.closed_at.is_(None))
    elif status == "closed":
        query = query.where(Breach.closed_at.is_not(None))
    return query


# ---- what waits for the unit (its portal) ------------------------------------------------------------


@dataclass
class ReadingDue:
    """A month the unit has not reported yet for an indicator an agreed boundary watches."""

    unit: Unit
    indicator: Indicator
    period: str
    last_period: str | None


def previous_month(today: Any) -> str:
    """The last finished month ("YYYY-MM"): a month's value can be reported once it is over."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def proposals_awaiting_unit(unit_ids: list[uuid.UUID]) -> list[BoundaryVersion]:
    """Boundary proposals of the supervising side that wait for the unit's answer, oldest first. The boundary's
    unit is read lazily: from the session, where the portal has loaded the person's units (issue 17)."""
    if not unit_ids:
        return []
    return list(
        db.session.scalars(
            select(BoundaryVersion)
            .join(BoundaryVersion.boundary)
            .where(
                Boundary.unit_id.in_(unit_ids),
                BoundaryVersion.status == VersionStatus.proposed,
                BoundaryVersion.proposed_by_side == Side.supervisor,
            )
            .options(
                contains_eager(BoundaryVersion.boundary),
                joinedload(BoundaryVersion.indicator),
            )
            .order_by(BoundaryVersion.proposed_at)
        )
    )


def readings_due(units: list[Unit], today: Any = None) -> list[ReadingDue]:
    """Per unit, the indicators its agreed boundaries watch whose last finished month has no reading yet:
    without readings the boundary cannot tell anyone anything. Two queries whatever the number of units."""
    if not units:
        return []
    due = previous_month(today or local_today())
    by_id = {u.id: u for u in units}
    watched = {
        (v.boundary.unit_id, v.indicator_id): v.indicator
        for v in db.session.scalars(
            services.active_versions_query().where(
                Boundary.unit_id.in_(list(by_id)), Boundary.kind == BoundaryKind.indicator
            )
        ).unique()
        if v.indicator is not None
    }
    if not watched:
        return []
    latest = dict(
        (((unit_id, indicator_id), period))
        for unit_id, indicator_id, period in db.session.execute(
            select(Reading.unit_id, Reading.indicator_id, func.max(Reading.period))
            .where(
                Reading.unit_id.in_(list(by_id)),
                Reading.withdrawn_at.is_(None),
                Reading.indicator_id.in_({i for _u, i in watched}),
            )
            .group_by(Reading.unit_id, Reading.indicator_id)
        ).all()
    )
    missing = [
        ReadingDue(by_id[unit_id], indicator, due, latest.get((unit_id, indicator.id)))
        for (unit_id, _indicator_id), indicator in watched.items()
        if (latest.get((unit_id, indicator.id)) or "") < due
    ]
    return sorted(missing, key=lambda r: (r.unit.name, r.indicator.key))
