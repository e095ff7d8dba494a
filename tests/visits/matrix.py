"""The visits' own objects in the isolation matrix (tests/test_access_matrix.py) beyond those it builds: a
response of each unit to its visit out for comment (the authority comments on it)."""

from __future__ import annotations

from typing import Any

PARAMS = {
    "response_id": (
        "unit",
        lambda w, actor: w.extra["own_response"].id,
        lambda w, actor: w.extra["other_response"].id,
    ),
}


def extend(world: Any, request: Any) -> None:
    from app.extensions import db
    from app.visits import services

    [world.extra["own_response"]] = services.submit_response(
        world.own_visit.id, actor=world.own_member, overall="Vi har synpunkter på rapporten."
    )
    [world.extra["other_response"]] = services.submit_response(
        world.other_visit.id, actor=world.other_member, overall="Vi har också synpunkter."
    )
    db.session.commit()
