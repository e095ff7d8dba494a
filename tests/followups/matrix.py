"""The follow-ups' objects in the isolation matrix (tests/test_access_matrix.py): a follow-up of each unit,
reported done with a photo, and its reminders."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

PARAMS = {
    "follow_up_id": (
        "unit",
        lambda w, actor: w.extra["own_follow_up"].id,
        lambda w, actor: w.extra["other_follow_up"].id,
    ),
    "follow_up_evidence_id": (
        "unit",
        lambda w, actor: w.extra["own_follow_up_evidence"].id,
        lambda w, actor: w.extra["other_follow_up_evidence"].id,
    ),
    "reminder_id": (
        "unit",
        lambda w, actor: w.extra["own_reminder"].id,
        lambda w, actor: w.extra["other_reminder"].id,
    ),
}


def _photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def _follow_up_done(reviewer: Any, unit: Any, owner: Any) -> tuple[Any, Any, Any]:
    from app.extensions import db
    from app.followups import services
    from app.followups.models import Reminder

    follow_up = services.propose(
        actor=reviewer,
        unit_id=unit.id,
        title=f"Åtgärd för {unit.name}",
        description="Gör något bra.",
        owner_id=owner.id,
        due_date=date.today() + timedelta(days=30),
    )
    services.accept(follow_up.id, actor=owner)
    services.report_done(follow_up.id, actor=owner, description="Gjort.", files=[("bevis.png", _photo())])
    db.session.flush()
    reminder = db.session.scalars(select(Reminder).where(Reminder.follow_up_id == follow_up.id)).first()
    return follow_up, follow_up.evidence[0], reminder


def extend(world: Any, request: Any) -> None:
    reviewer = world.actors["reviewer"]
    own = _follow_up_done(reviewer, world.own_unit, world.own_member)
    other = _follow_up_done(reviewer, world.other_unit, world.other_member)
    for side, (follow_up, evidence, reminder) in (("own", own), ("other", other)):
        world.extra[f"{side}_follow_up"] = follow_up
        world.extra[f"{side}_follow_up_evidence"] = evidence
        world.extra[f"{side}_reminder"] = reminder
