"""The breach rule of an indicator boundary (DESIGN.md 4.3), through the real services and database, against a
reference implementation simple enough to check by eye: comparators, equality, gaps between periods, fewer than k
readings, and corrections that un-breach."""

from __future__ import annotations

import operator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.core import access
from app.trust import services
from app.trust.models import Breach, Comparator

WRONG_SIDE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def reference_breached(readings: dict[str, float], comparator: str, threshold: float, k: int) -> bool:
    """Breached when the k most recent periods that have readings are all on the wrong side of the threshold."""
    newest = [readings[p] for p in sorted(readings, reverse=True)][:k]
    return len(newest) == k and all(WRONG_SIDE[comparator](value, threshold) for value in newest)


# Months spread over five years, so that the periods that have readings come with gaps between them.
months = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2025, 2029), st.integers(1, 12))
# Few distinct values, the threshold drawn from the same ones: equality with the threshold comes up often.
values = st.sampled_from([0.0, 1.5, 2.0, 2.5, 3.0, 4.0, 10.0])
comparators = st.sampled_from([">", ">=", "<", "<="])
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def world(db, make_indicator, make_user, make_unit) -> dict[str, Any]:
    """One indicator and the two parties; each example gets a unit and boundary of its own."""
    return {
        "indicator": make_indicator("matt"),
        "reviewer": make_user("reviewer", name="Rut Reviewer"),
        "make_unit": make_unit,
        "make_user": make_user,
    }


def agreed_unit(db, world: dict[str, Any], comparator: str, threshold: float, k: int) -> Any:
    unit = world["make_unit"]()
    member = world["make_user"]("unit_member", units=[unit])
    version = services.propose_boundary(
        unit.id,
        actor=world["reviewer"],
        kind="indicator",
        indicator=world["indicator"].key,
        comparator=comparator,
        threshold=threshold,
        periods=k,
        rationale="Ett värde att hålla ögonen på tillsammans.",
    )
    services.accept_version(version.id, actor=member)
    db.session.commit()
    return unit


def store(db, unit: Any, indicator: Any, readings: dict[str, float]) -> list[Breach]:
    result = services.record_readings(
        unit.id,
        [services.ReadingInput(indicator.key, p, v) for p, v in readings.items()],
        actor=access.OPERATOR,  # type: ignore[arg-type]
        today=date(2030, 1, 1),
    )
    db.session.commit()
    return result.breaches


def breaches_of(db, unit: Any) -> list[Breach]:
    db.session.expire_all()
    return list(db.session.scalars(select(Breach).where(Breach.unit_id == unit.id)))


@given(
    readings=st.dictionaries(months, values, max_size=8),
    comparator=comparators,
    threshold=values,
    k=st.integers(1, 4),
)
@SETTINGS
def test_a_batch_of_readings_breaches_exactly_when_the_reference_says(db, world, readings, comparator, threshold, k):
    unit = agreed_unit(db, world, comparator, threshold, k)

    opened = store(db, unit, world["indicator"], readings) if readings else []

    expected = reference_breached(readings, comparator, threshold, k)
    assert bool(opened) == expected
    assert len(breaches_of(db, unit)) == (1 if expected else 0)


@given(
    reports=st.lists(st.tuples(st.sampled_from(["2028-01", "2028-02", "2028-05", "2029-03"]), values), max_size=10),
    comparator=comparators,
    threshold=values,
    k=st.integers(1, 3),
)
@SETTINGS
def test_readings_reported_one_by_one_with_corrections_follow_the_reference(
    db, world, reports, comparator, threshold, k
):
    """Reporting a period again corrects it. An open breach stays open when a correction un-breaches (it is only
    marked as no longer crossed), and while it is open no second breach is opened."""
    unit = agreed_unit(db, world, comparator, threshold, k)
    current: dict[str, float] = {}
    ever = False
    for period, value in reports:
        current[period] = value
        store(db, unit, world["indicator"], {period: value})
        now = reference_breached(current, comparator, threshold, k)
        ever = ever or now
        found = breaches_of(db, unit)
        assert len(found) == (1 if ever else 0)
        if found:
            [breach] = found
            assert breach.closed_at is None
            assert (breach.condition_cleared_at is None) == now


@given(
    newest_first=st.lists(values, max_size=6),
    comparator=comparators,
    threshold=values,
    k=st.integers(1, 5),
)
@settings(max_examples=300, deadline=None)
def test_the_verdict_on_a_window_matches_the_reference(newest_first, comparator, threshold, k):
    from app.trust.models import Boundary, BoundaryKind, BoundaryVersion

    version = BoundaryVersion(comparator=Comparator(comparator), threshold=threshold, periods=k)
    version.boundary = Boundary(kind=BoundaryKind.indicator)
    periods = [f"{2029 - i // 12}-{12 - i % 12:02d}" for i in range(len(newest_first))]
    readings = dict(zip(periods, newest_first, strict=True))

    verdict = services.indicator_verdict(version, list(zip(periods, newest_first, strict=True)))

    assert verdict.breached == reference_breached(readings, comparator, threshold, k)


@pytest.mark.parametrize(
    ("comparator", "value", "breached"),
    [(">", 90, False), (">=", 90, True), ("<", 90, False), ("<=", 90, True), (">", 90.01, True), ("<", 89.99, True)],
)
def test_exactly_at_the_threshold_is_on_the_wrong_side_only_for_or_equal(db, world, comparator, value, breached):
    unit = agreed_unit(db, world, comparator, 90, 1)
    assert bool(store(db, unit, world["indicator"], {"2029-06": value})) is breached


def test_fewer_readings_than_k_never_breach(db, world):
    unit = agreed_unit(db, world, "<", 90, 3)
    assert store(db, unit, world["indicator"], {"2029-01": 10, "2029-02": 10}) == []
    assert len(store(db, unit, world["indicator"], {"2027-06": 10})) == 1  # a third period, however long ago


def test_the_k_most_recent_periods_with_readings_count_whatever_the_gaps(db, world):
    unit = agreed_unit(db, world, "<", 90, 2)
    assert store(db, unit, world["indicator"], {"2026-01": 50, "2029-01": 95}) == []
    assert len(store(db, unit, world["indicator"], {"2029-06": 50})) == 0  # the newest two are 2029-01, 2029-06
    assert len(store(db, unit, world["indicator"], {"2029-01": 80})) == 1  # a correction of the older of them


def test_a_correction_that_un_breaches_leaves_the_breach_open_and_marked(db, world):
    unit = agreed_unit(db, world, "<", 90, 2)
    store(db, unit, world["indicator"], {"2029-01": 80, "2029-02": 85})
    [breach] = breaches_of(db, unit)
    assert breach.condition_cleared_at is None

    store(db, unit, world["indicator"], {"2029-02": 95})

    [breach] = breaches_of(db, unit)
    assert breach.closed_at is None
    assert breach.condition_cleared_at is not None
