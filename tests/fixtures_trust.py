"""Factories for the trust domain: indicators, agreed boundaries (through the real agreement services), readings,
and FollowUp rows made directly (the follow-ups services are another engineer's)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import pytest


@pytest.fixture
def make_indicator(db) -> Callable[..., Any]:
    from app.core import access
    from app.trust import services

    def make(
        key: str | None = None,
        name_sv: str = "Andel larm besvarade inom 10 minuter",
        name_en: str = "Share of alarms answered within 10 minutes",
        unit_of_measure: str = "%",
        *,
        min_value: float | None = None,
        max_value: float | None = None,
        unit_kinds: list[str] | None = None,
    ) -> Any:
        indicator = services.create_indicator(
            actor=access.OPERATOR,  # type: ignore[arg-type]
            key=key or f"ind_{uuid.uuid4().hex[:8]}",
            name_sv=name_sv,
            name_en=name_en,
            unit_of_measure=unit_of_measure,
            min_value=min_value,
            max_value=max_value,
            unit_kinds=unit_kinds,
        )
        db.session.commit()
        return indicator

    return make


@pytest.fixture
def make_boundary(db, make_user) -> Callable[..., Any]:
    """A boundary proposed by a reviewer and accepted by a member of the unit: returns the version in force."""
    from app.trust import services

    def make(
        unit: Any,
        kind: str = "indicator",
        *,
        indicator: Any = None,
        comparator: str = "<",
        threshold: float = 90,
        periods: int = 3,
        days: int | None = None,
        rationale: str = "Larm som inte besvaras i tid är en risk för de boende.",
        proposer: Any = None,
        acceptor: Any = None,
    ) -> Any:
        proposer = proposer or make_user("reviewer", name="Petra Proposer")
        acceptor = acceptor or make_user("unit_member", units=[unit], name="Anna Acceptor")
        version = services.propose_boundary(
            unit.id,
            actor=proposer,
            kind=kind,
            indicator=indicator.key if indicator is not None else None,
            comparator=comparator if kind == "indicator" else None,
            threshold=threshold if kind == "indicator" else None,
            periods=periods if kind == "indicator" else None,
            days=days,
            rationale=rationale,
        )
        db.session.commit()
        services.accept_version(version.id, actor=acceptor)
        db.session.commit()
        return version

    return make


@pytest.fixture
def report(db) -> Callable[..., Any]:
    """Store readings ``{period: value}`` of one indicator through the service, as the operator; commits."""
    from app.core import access
    from app.trust import services

    def store(unit: Any, indicator: Any, values: Mapping[str, float], *, today: date | None = None) -> Any:
        result = services.record_readings(
            unit.id,
            [services.ReadingInput(indicator.key, period, value) for period, value in values.items()],
            actor=access.OPERATOR,  # type: ignore[arg-type]
            source="cli",
            today=today or date(2030, 1, 1),
        )
        db.session.commit()
        return result

    return store
