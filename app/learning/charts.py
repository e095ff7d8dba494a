"""A server-rendered SVG chart of the years at a glance (as app.trust.charts): per period a group of four bars
(strengths, areas for development, minor and serious deviations). The geometry is computed here; the template
draws it with a text alternative, and the numbers are in a table beside it."""

from __future__ import annotations

from dataclasses import dataclass

from app.learning.services.statistics import BUCKETS, FindingStatistics

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass
class Bar:
    bucket: str
    x: float
    y: float
    width: float
    height: float
    value: int


@dataclass
class Group:
    label: str
    x: float
    bars: list[Bar]


@dataclass
class Chart:
    width: int
    height: int
    baseline: float
    top: int
    groups: list[Group]
    ticks: list[tuple[float, int]]


def findings_chart(stats: FindingStatistics) -> Chart | None:
    """The chart of ``stats.totals`` (None when there is nothing to draw)."""
    if not stats.periods:
        return None
    top = max(max(t.values()) for t in stats.totals.values()) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / len(stats.periods)
    bar_w = group_w * 0.8 / len(BUCKETS)
    groups = []
    for i, label in enumerate(stats.periods):
        x0 = LEFT + i * group_w + group_w * 0.1
        bars = []
        for j, bucket in enumerate(BUCKETS):
            value = stats.totals[label][bucket]
            h = plot_h * value / top
            bars.append(
                Bar(bucket, round(x0 + j * bar_w, 1), round(TOP + plot_h - h, 1), round(bar_w, 1), round(h, 1), value)
            )
        groups.append(Group(label, round(x0 + group_w * 0.4, 1), bars))
    ticks = [(round(TOP + plot_h - plot_h * v / top, 1), v) for v in sorted({0, top // 2, top})]
    return Chart(WIDTH, HEIGHT, TOP + plot_h, top, groups, ticks)
