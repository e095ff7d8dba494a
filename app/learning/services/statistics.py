"""The years at a glance (DESIGN.md 4.5): per review area and year (or quarter) how many strengths, areas for
development and minor and serious deviations were found, for everything, one kind of unit or one unit — with ONE
grouped SQL statement however many findings there are.

A finding counts from kommunicering on (what the unit may see too), in the period of its visit's date: the date of
the visit as the review team set it in Swedish local time, so a visit on 31 March falls in the first quarter and one
on 1 April in the second, whatever the hour in UTC."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.access import Actor
from app.core.csvexport import csv_text
from app.core.errors import Forbidden, InvalidInput
from app.extensions import db
from app.units import policy as units_policy
from app.units.models import Unit, UnitKind
from app.visits import policy as visits_policy
from app.visits.models import Finding, FindingKind, ReviewArea, Severity, Visit

BUCKETS = ("strength", "development", "minor", "serious")
PERIODS = ("year", "quarter")


@dataclass
class FindingStatistics:
    """``counts[(area title, period label)][bucket]`` for the buckets strength, development, minor, serious;
    ``areas`` and ``periods`` in order (periods "2025" or "2025 Q2"); ``totals[period][bucket]``."""

    period: str
    areas: list[str]
    periods: list[str]
    counts: dict[tuple[str, str], dict[str, int]]
    totals: dict[str, dict[str, int]]
    unit: Unit | None = None
    unit_kind: str | None = None

    def rows(self) -> list[tuple[str, str, dict[str, int]]]:
        """(area, period, counts) for every pair that has findings, areas then periods in order."""
        return [(a, p, self.counts[(a, p)]) for a in self.areas for p in self.periods if (a, p) in self.counts]


def _bucket(kind: FindingKind, severity: Severity | None) -> str:
    if kind == FindingKind.deviation:
        return "serious" if severity == Severity.serious else "minor"
    return kind.value


def finding_statistics(
    actor: Actor, *, period: str = "year", unit_id: uuid.UUID | None = None, unit_kind: str | None = None
) -> FindingStatistics:
    """The counts for the actor: reviewers and coordinators for everything, a kind of unit or one unit; a unit member
    only for their own units (one of them with ``unit_id``, else all of theirs). Raises InvalidInput naming
    ``period``/``unit_kind``, NotFound for a unit the actor may not see, Forbidden for a unit member asking for all."""
    if period not in PERIODS:
        raise InvalidInput({"period": [_("Choose year or quarter.")]})
    if unit_kind and unit_kind not in UnitKind.__members__:
        raise InvalidInput({"unit_kind": [_("Choose a kind of unit from the list.")]})
    unit = units_policy.get_unit(actor, unit_id) if unit_id is not None else None
    year = func.extract("year", Visit.visit_date)
    month = func.extract("month", Visit.visit_date)
    query = (
        select(ReviewArea.title, year, month, Finding.kind, Finding.severity, func.count())
        .select_from(Finding)
        .join(Visit, Visit.id == Finding.visit_id)
        .join(ReviewArea, ReviewArea.id == Finding.review_area_id)
        .where(Visit.status.in_(visits_policy.OPEN_TO_UNIT), Visit.visit_date.is_not(None))
        .group_by(ReviewArea.title, year, month, Finding.kind, Finding.severity)
    )
    if unit is not None:
        query = query.where(Visit.unit_id == unit.id)
    elif not actor.is_staff:
        if not actor.unit_ids:
            raise Forbidden(_("Only reviewers and coordinators see the statistics of every unit."))
        query = query.where(Visit.unit_id.in_(list(actor.unit_ids)))
    if unit_kind:
        query = query.join(Unit, Unit.id == Visit.unit_id).where(Unit.kind == UnitKind(unit_kind))
    counts: dict[tuple[str, str], dict[str, int]] = {}
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKETS, 0))
    for title, y, m, kind, severity, n in db.session.execute(query):
        label = f"{int(y)}" if period == "year" else f"{int(y)} Q{(int(m) - 1) // 3 + 1}"
        cell = counts.setdefault((title, label), dict.fromkeys(BUCKETS, 0))
        bucket = _bucket(kind, severity)
        cell[bucket] += n
        totals[label][bucket] += n
    return FindingStatistics(
        period=period,
        areas=sorted({a for a, _p in counts}),
        periods=sorted(totals),
        counts=counts,
        totals=dict(totals),
        unit=unit,
        unit_kind=unit_kind or None,
    )


def statistics_csv(stats: FindingStatistics, headers: dict[str, str]) -> str:
    """The counts as CSV for Excel in Swedish (UTF-8 with BOM, semicolons): area; period; the four buckets.
    ``headers`` gives the column names in the reader's language (keys: area, period and the buckets). Written by
    ``app.core.csvexport.csv_text`` like every list's CSV: a title a coordinator typed that starts like a formula
    (``=``, ``+``, ``-``, ``@``) gets a leading apostrophe, so Excel never runs it."""
    return csv_text(
        [headers["area"], headers["period"], *(headers[b] for b in BUCKETS)],
        ([area, label, *(cell[b] for b in BUCKETS)] for area, label, cell in stats.rows()),
    )


__all__ = ["BUCKETS", "PERIODS", "FindingStatistics", "finding_statistics", "statistics_csv"]
