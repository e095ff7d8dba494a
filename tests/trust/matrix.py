"""The trust domain's part of the isolation matrix (tests/test_access_matrix.py): its URL parameters, and an
indicator, boundaries with a pending proposal and an open breach in the own and the other unit."""

from __future__ import annotations

from typing import Any

PARAMS: dict[str, tuple[str, Any, Any]] = {
    "indicator_id": ("unscoped", lambda w, actor: w.extra["indicator"].id, lambda w, actor: w.extra["indicator"].id),
    "boundary_version_id": (
        "unit",
        lambda w, actor: w.extra["own_proposal"].id,
        lambda w, actor: w.extra["other_proposal"].id,
    ),
    "breach_id": ("unit", lambda w, actor: w.extra["own_breach"].id, lambda w, actor: w.extra["other_breach"].id),
    "reading_id": ("unit", lambda w, actor: w.extra["own_reading"].id, lambda w, actor: w.extra["other_reading"].id),
}


def extend(world: Any, request: Any) -> None:
    from app.core import access
    from app.extensions import db
    from app.trust import services

    make_indicator = request.getfixturevalue("make_indicator")
    make_boundary = request.getfixturevalue("make_boundary")
    report = request.getfixturevalue("report")
    indicator = make_indicator("larm_inom_10_min")
    world.extra["indicator"] = indicator
    for side, unit in (("own", world.own_unit), ("other", world.other_unit)):
        make_boundary(unit, indicator=indicator, comparator="<", threshold=90, periods=2)
        result = report(unit, indicator, {"2029-01": 80, "2029-02": 82})
        world.extra[f"{side}_breach"] = result.breaches[0]
        world.extra[f"{side}_reading"] = result.readings[0]
        proposal = services.propose_boundary(
            unit.id,
            actor=access.OPERATOR,  # type: ignore[arg-type]
            kind="serious_deviation",
            rationale="En allvarlig brist ska alltid följas upp tillsammans.",
        )
        db.session.commit()
        world.extra[f"{side}_proposal"] = proposal
