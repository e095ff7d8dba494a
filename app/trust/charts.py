"""Small server-rendered SVG charts of a unit's readings: one per indicator, with the threshold line of each boundary
in force and the months that were part of a breach marked. The geometry is computed here; the template draws it,
with a text alternative and the values as a table beside it (no JavaScript, no CDN, nothing inline that CSP blocks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import ngettext

from app.trust import labels
from app.trust.services import is_wrong_side

if TYPE_CHECKING:
    from app.trust.models import BoundaryVersion, Indicator

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40


@dataclass
class Point:
    period: str
    value: float
    x: float
    y: float
    wrong_side: bool
    in_breach: bool


@dataclass
class Line:
    y: float
    label: str
    description: str


@dataclass
class Tick:
    position: float
    label: str
    anchor: str = "middle"  # where the label sits on its position (SVG text-anchor)


@dataclass
class Chart:
    indicator: Indicator
    points: list[Point]
    thresholds: list[Line]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    versions: list[BoundaryVersion] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _month_index(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def _nice_step(span: float, count: int = 4) -> float:
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def build_chart(
    indicator: Indicator,
    readings: list[tuple[str, float]],
    versions: list[BoundaryVersion],
    breach_periods: set[str],
) -> Chart:
    """``readings``: (period, value), oldest first; ``versions``: the indicator boundaries in force for the unit."""
    values = [v for _p, v in readings] + [v.threshold for v in versions if v.threshold is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:
        low, high = low - 1, high + 1
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return TOP + plot_h - (value - low) / (high - low) * plot_h

    first = _month_index(readings[0][0]) if readings else 0
    last = _month_index(readings[-1][0]) if readings else 0
    span = max(last - first, 1)

    def x_of(period: str) -> float:
        return LEFT + (_month_index(period) - first) / span * plot_w if len(readings) > 1 else LEFT + plot_w / 2

    points = [
        Point(
            period=period,
            value=value,
            x=x_of(period),
            y=y_of(value),
            wrong_side=any(
                v.comparator is not None and v.threshold is not None and is_wrong_side(value, v.comparator, v.threshold)
                for v in versions
            ),
            in_breach=period in breach_periods,
        )
        for period, value in readings
    ]
    thresholds = [
        Line(
            y=y_of(v.threshold),
            label=labels.amount(v.threshold, indicator),
            description=labels.when_closer(v),
        )
        for v in versions
        if v.threshold is not None
    ]
    y_ticks = []
    tick = low
    while tick <= high + step / 2:
        y_ticks.append(Tick(y_of(tick), labels.number(tick)))
        tick += step
    # At most six month labels, evenly spaced back from the newest (which is always labelled).
    every = max(1, math.ceil(len(points) / 6))
    x_ticks = [Tick(p.x, p.period) for i, p in enumerate(points) if (len(points) - 1 - i) % every == 0]
    if x_ticks and len(points) > 1:
        x_ticks[-1].anchor = "end"  # the newest month at the right edge stays inside the chart
    return Chart(
        indicator=indicator,
        points=points,
        thresholds=thresholds,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        summary=_summary(indicator, points, versions),
        versions=versions,
    )


def _summary(indicator: Indicator, points: list[Point], versions: list[BoundaryVersion]) -> str:
    """The chart in words, for screen readers and anyone who prefers text."""
    if not points:
        return _("%(name)s: no readings reported yet.", name=indicator.name)
    latest = points[-1]
    parts = [
        ngettext(
            "%(name)s: %(num)d monthly reading from %(first)s to %(last)s.",
            "%(name)s: %(num)d monthly readings from %(first)s to %(last)s.",
            len(points),
            name=indicator.name,
            first=points[0].period,
            last=latest.period,
        ),
        _("Latest: %(value)s in %(period)s.", value=labels.amount(latest.value, indicator), period=latest.period),
    ]
    parts.extend(labels.when_closer(v) for v in versions)
    wrong = sum(p.wrong_side for p in points)
    if versions:
        parts.append(
            ngettext(
                "%(num)d of the months shown is on the wrong side of the boundary.",
                "%(num)d of the months shown are on the wrong side of the boundary.",
                wrong,
            )
        )
    breached = sum(p.in_breach for p in points)
    if breached:
        parts.append(
            ngettext(
                "%(num)d month is part of a recorded breach.",
                "%(num)d months are part of a recorded breach.",
                breached,
            )
        )
    return " ".join(parts)
