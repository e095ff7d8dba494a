"""The evaluation of every boundary kind, the breach rule, and the domain events that set it off (DESIGN.md 4.3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from app.core import signals
from app.core.models import local_today, utcnow
from app.extensions import db
from app.trust.models import (
    Boundary,
    BoundaryKind,
    BoundaryVersion,
    Breach,
    Comparator,
    Reading,
    VersionStatus,
)
from app.trust.services.common import (
    _as_system,
    _lock_unit,
)
from app.trust.services.consequences import _consequences

# ---- evaluation -----------------------------------------------------------------------------------


def is_wrong_side(value: float, comparator: Comparator, threshold: float) -> bool:
    """Exactly at the threshold is on the wrong side only for ``>=`` and ``<=`` (DESIGN.md 4.3)."""
    if comparator == Comparator.gt:
        return value > threshold
    if comparator == Comparator.ge:
        return value >= threshold
    if comparator == Comparator.lt:
        return value < threshold
    return value <= threshold


@dataclass
class Verdict:
    breached: bool
    keys: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)


def indicator_verdict(version: BoundaryVersion, newest_first: Sequence[tuple[str, float]]) -> Verdict:
    """``newest_first``: the unit's readings of the indicator, newest period first (at least the k newest)."""
    k = version.periods or 1
    window = list(newest_first[:k])
    if len(window) < k or version.comparator is None or version.threshold is None:
        return Verdict(False)
    if not all(is_wrong_side(value, version.comparator, version.threshold) for _period, value in window):
        return Verdict(False)
    return Verdict(
        True,
        keys=[f"{version.indicator_id}:{window[0][0]}"],
        evidence={"readings": [[period, value] for period, value in window]},
    )


def _recent_readings(
    versions: Sequence[BoundaryVersion], unit_id: uuid.UUID
) -> dict[uuid.UUID, list[tuple[str, float]]]:
    """The k newest readings of each indicator the versions watch, newest first, in one statement whose cost
    depends on k, never on how many readings the unit has (each part is an index range scan with a LIMIT)."""
    depth: dict[uuid.UUID, int] = {}
    for version in versions:
        if version.indicator_id is not None:
            depth[version.indicator_id] = max(depth.get(version.indicator_id, 0), version.periods or 1)
    if not depth:
        return {}
    parts = [
        select(Reading.indicator_id, Reading.period, Reading.value)
        .where(Reading.unit_id == unit_id, Reading.indicator_id == indicator_id, Reading.withdrawn_at.is_(None))
        .order_by(Reading.period.desc())
        .limit(k)
        .subquery()
        for indicator_id, k in depth.items()
    ]
    statement = union_all(*(select(p.c.indicator_id, p.c.period, p.c.value) for p in parts))
    found: dict[uuid.UUID, list[tuple[str, float]]] = {i: [] for i in depth}
    for indicator_id, period, value in db.session.execute(statement):
        found[indicator_id if isinstance(indicator_id, uuid.UUID) else uuid.UUID(str(indicator_id))].append(
            (period, float(value))
        )
    for rows in found.values():
        rows.sort(reverse=True)
    return found


def _serious_deviations(unit_id: uuid.UUID) -> list[dict[str, Any]]:
    """Serious deviations in the unit's visits that have reached kommunicering (or were finalised without it)."""
    from app.visits.models import Finding, FindingKind, Severity, Visit, VisitStatus

    rows = db.session.execute(
        select(Finding.id, Visit.id, Visit.case_number, Visit.sent_for_comment_at, Visit.finalised_at)
        .join(Visit, Visit.id == Finding.visit_id)
        .where(
            Visit.unit_id == unit_id,
            Visit.status.in_([VisitStatus.sent_for_comment, VisitStatus.final, VisitStatus.closed]),
            Finding.kind == FindingKind.deviation,
            Finding.severity == Severity.serious,
        )
        .order_by(Visit.case_number, Finding.created_at)
    ).all()
    return [
        {"finding_id": str(fid), "visit_id": str(vid), "case_number": case, "at": sent or final}
        for fid, vid, case, sent, final in rows
    ]


def _overdue_follow_ups(unit_id: uuid.UUID, today: date, least_days: int) -> list[dict[str, Any]]:
    """Agreed follow-ups of the unit past their due date by more than ``least_days`` days, not reported done."""
    from app.followups.models import FollowUp, FollowUpStatus

    rows = db.session.execute(
        select(FollowUp.id, FollowUp.title, FollowUp.due_date)
        .where(
            FollowUp.unit_id == unit_id,
            FollowUp.status == FollowUpStatus.agreed,
            FollowUp.due_date < today - timedelta(days=least_days),
        )
        .order_by(FollowUp.due_date)
    ).all()
    return [{"follow_up_id": str(fid), "title": title, "due_date": due} for fid, title, due in rows]


def _verdict(
    version: BoundaryVersion,
    *,
    readings: dict[uuid.UUID, list[tuple[str, float]]],
    deviations: list[dict[str, Any]],
    overdue: list[dict[str, Any]],
    today: date,
) -> Verdict:
    kind = version.boundary.kind
    if kind == BoundaryKind.indicator:
        return indicator_verdict(version, readings.get(version.indicator_id, []) if version.indicator_id else [])
    if kind == BoundaryKind.serious_deviation:
        since = version.boundary.agreed_at
        hits = [d for d in deviations if d["at"] is not None and (since is None or d["at"] >= since)]
        return Verdict(
            bool(hits),
            keys=[f"finding:{d['finding_id']}" for d in hits],
            evidence={
                "findings": [
                    {"finding_id": d["finding_id"], "visit_id": d["visit_id"], "case_number": d["case_number"]}
                    for d in hits
                ]
            },
        )
    limit = today - timedelta(days=version.days or 0)
    late = [f for f in overdue if f["due_date"] < limit]
    return Verdict(
        bool(late),
        keys=[f"follow_up:{f['follow_up_id']}:{f['due_date'].isoformat()}" for f in late],
        evidence={
            "follow_ups": [
                {"follow_up_id": f["follow_up_id"], "title": f["title"], "due_date": f["due_date"].isoformat()}
                for f in late
            ]
        },
    )


def _merge_evidence(evidence: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    merged = {key: list(value) for key, value in evidence.items()}
    for key, items in more.items():
        have = merged.setdefault(key, [])
        for item in items:
            if item not in have:
                have.append(item)
    return merged


def active_versions_query(unit_id: uuid.UUID | None = None) -> Select[Any]:
    query = (
        select(BoundaryVersion)
        .join(BoundaryVersion.boundary)
        .where(BoundaryVersion.status == VersionStatus.active)
        .options(contains_eager(BoundaryVersion.boundary), selectinload(BoundaryVersion.indicator))
    )
    if unit_id is not None:
        query = query.where(Boundary.unit_id == unit_id)
    return query


@dataclass
class _Assessment:
    """What each boundary version's facts say, against the breaches already recorded for its boundary."""

    verdicts: dict[uuid.UUID, Verdict]
    covered: dict[uuid.UUID, set[str]]
    open_breach: dict[uuid.UUID, Breach]

    def new_keys(self, version: BoundaryVersion) -> list[str]:
        seen = self.covered.get(version.boundary_id, set())
        return [k for k in self.verdicts[version.id].keys if k not in seen]

    def changes(self, version: BoundaryVersion) -> bool:
        current = self.open_breach.get(version.id)
        if not self.verdicts[version.id].breached:
            return current is not None and current.condition_cleared_at is None
        if current is not None:
            return current.condition_cleared_at is not None or bool(self.new_keys(version))
        return bool(self.new_keys(version))


def _assess(unit_id: uuid.UUID, versions: list[BoundaryVersion], today: date) -> _Assessment:
    """Read the facts each version watches and the breaches of their boundaries: a fixed number of statements
    (at most four), whatever the number of readings, findings or follow-ups."""
    by_kind = {v.boundary.kind for v in versions}
    readings = _recent_readings(versions, unit_id) if BoundaryKind.indicator in by_kind else {}
    deviations = _serious_deviations(unit_id) if BoundaryKind.serious_deviation in by_kind else []
    overdue: list[dict[str, Any]] = []
    if BoundaryKind.overdue_follow_up in by_kind:
        least = min(v.days or 0 for v in versions if v.boundary.kind == BoundaryKind.overdue_follow_up)
        overdue = _overdue_follow_ups(unit_id, today, least)
    history = db.session.scalars(
        select(Breach)
        .where(Breach.boundary_id.in_({v.boundary_id for v in versions}))
        .execution_options(populate_existing=True)  # what another transaction committed meanwhile
    ).all()
    assessment = _Assessment(
        verdicts={
            v.id: _verdict(v, readings=readings, deviations=deviations, overdue=overdue, today=today) for v in versions
        },
        covered={},
        open_breach={},
    )
    for breach in history:
        assessment.covered.setdefault(breach.boundary_id, set()).update(breach.trigger_keys or [])
        if breach.closed_at is None:
            assessment.open_breach[breach.boundary_version_id] = breach
    return assessment


def evaluate_unit(
    unit_id: uuid.UUID,
    *,
    kinds: Iterable[BoundaryKind] | None = None,
    indicator_ids: Iterable[uuid.UUID] | None = None,
    today: date | None = None,
) -> list[Breach]:
    """Evaluate the unit's boundaries in force (those of ``kinds``, and for indicators those of ``indicator_ids``)
    and open a breach for each one newly crossed; returns the breaches opened. Safe to run any number of times,
    also at once: the same facts never open a second breach.

    A first look reads without locking; only when something is to change is the unit's row locked and everything
    read again, so that simultaneous evaluations decide one after the other and the periodic sweep writes nothing
    (and waits for no one) where nothing changed."""
    today = today or local_today()
    query = active_versions_query(unit_id)
    if kinds is not None:
        query = query.where(Boundary.kind.in_(list(kinds)))
    watched = set(indicator_ids) if indicator_ids is not None else None
    versions = [
        v
        for v in db.session.scalars(query).unique()
        if watched is None or v.boundary.kind != BoundaryKind.indicator or v.indicator_id in watched
    ]
    if not versions or not any(map(_assess(unit_id, versions, today).changes, versions)):
        return []
    unit = _lock_unit(unit_id)
    assessment = _assess(unit_id, versions, today)
    opened: list[Breach] = []
    now = utcnow()
    with _as_system():
        for version in versions:
            verdict = assessment.verdicts[version.id]
            current = assessment.open_breach.get(version.id)
            if not verdict.breached:
                if current is not None and current.condition_cleared_at is None:
                    current.condition_cleared_at = now
                continue
            new_keys = assessment.new_keys(version)
            if current is not None:
                if current.condition_cleared_at is not None:
                    current.condition_cleared_at = None
                if new_keys:  # more of the same while the closer look is under way: it covers them too
                    current.trigger_keys = [*current.trigger_keys, *new_keys]
                    current.evidence = _merge_evidence(current.evidence, verdict.evidence)
                continue
            if not new_keys:
                continue  # these facts were looked at already, in a breach now closed
            breach = Breach(
                id=uuid.uuid4(),
                unit_id=unit_id,
                boundary_id=version.boundary_id,
                boundary_version_id=version.id,
                opened_at=now,
                evidence=verdict.evidence,
                trigger_keys=list(verdict.keys),
            )
            try:
                with db.session.begin_nested():
                    db.session.add(breach)
                    db.session.flush()
            except IntegrityError:
                continue  # another evaluation opened it at the same moment (the database's own guard)
            breach.version = version
            opened.append(breach)
        db.session.flush()
        if opened:
            _consequences(unit, opened)
    return opened


def units_to_evaluate() -> list[uuid.UUID]:
    """Units with at least one boundary in force, sorted. The periodic sweep fans out over fewer: only those whose
    verdict may change (``sweep.units_whose_verdict_may_change``); this is the whole set it is checked against."""
    return list(
        db.session.scalars(
            select(Boundary.unit_id)
            .join(BoundaryVersion, BoundaryVersion.boundary_id == Boundary.id)
            .where(BoundaryVersion.status == VersionStatus.active)
            .distinct()
            .order_by(Boundary.unit_id)
        )
    )


# ---- domain events --------------------------------------------------------------------------------


def _on_visit_status_changed(visit: Any, **kwargs: Any) -> None:
    if visit.is_open_to_unit:
        evaluate_unit(visit.unit_id, kinds={BoundaryKind.serious_deviation})


def _on_finding_changed(visit: Any, **kwargs: Any) -> None:
    evaluate_unit(visit.unit_id, kinds={BoundaryKind.serious_deviation})


def _on_follow_up_changed(follow_up: Any, **kwargs: Any) -> None:
    evaluate_unit(follow_up.unit_id, kinds={BoundaryKind.overdue_follow_up})


def connect_signals() -> None:
    signals.visit_status_changed.connect(_on_visit_status_changed)
    signals.finding_changed.connect(_on_finding_changed)
    signals.follow_up_changed.connect(_on_follow_up_changed)
