"""The learning domain's part of the isolation matrix (tests/test_access_matrix.py): good examples and their photos.

The library is the one deliberate exception to isolation, for consented examples only. So the own unit's example is
consented (named, with the own finding's photo) and the other unit's is only *proposed*: everything of it stays a 404
to the unit member of the own unit — its page, its photo, consent, decline, withdraw, contact — and the library page
never mentions the other unit. Reading another unit's consented example is tested in tests/learning."""

from __future__ import annotations

from typing import Any

PARAMS: dict[str, tuple[str, Any, Any]] = {
    "example_id": (
        "unit",
        lambda w, actor: w.extra["learning"]["own_example"].id,
        lambda w, actor: w.extra["learning"]["other_example"].id,
    ),
}


def extend(world: Any, request: Any) -> None:
    from app.extensions import db
    from app.learning import services

    own = services.propose(world.own_visit.findings[0].id, actor=world.own_visit.lead)
    services.answer(own.id, actor=world.own_member, consent=True, named=True, photo_ids=[world.own_evidence.id])
    other = services.propose(world.other_visit.findings[0].id, actor=world.other_visit.lead)
    db.session.commit()
    world.extra["learning"] = {"own_example": own, "other_example": other}
