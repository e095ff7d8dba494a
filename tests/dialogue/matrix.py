"""The dialogue domain's part of the isolation matrix (tests/test_access_matrix.py): attachments of messages.

Each side's visit gets a message to the unit with a photo (which the own unit's member may open) and an internal
note with a photo (which no unit member may open, even of their own unit: checked in tests/dialogue)."""

from __future__ import annotations

import io
from typing import Any

PARAMS: dict[str, tuple[str, Any, Any]] = {
    "attachment_id": (
        "unit",
        lambda w, actor: w.extra["dialogue"]["own_attachment"].id,
        lambda w, actor: w.extra["dialogue"]["other_attachment"].id,
    ),
}


def _photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, format="JPEG")
    return buffer.getvalue()


def extend(world: Any, request: Any) -> None:
    from app.dialogue import services
    from app.extensions import db

    made: dict[str, Any] = {}
    for side, visit in (("own", world.own_visit), ("other", world.other_visit)):
        lead = visit.lead
        message = services.post_message(
            actor=lead, visit_id=visit.id, text="Till enheten.", uploads=[services.Upload("bild.jpg", _photo())]
        )
        services.post_message(
            actor=lead,
            visit_id=visit.id,
            text="Intern anteckning.",
            internal=True,
            uploads=[services.Upload("intern.jpg", _photo())],
        )
        made[f"{side}_attachment"] = message.attachments[0]
    db.session.commit()
    world.extra["dialogue"] = made
