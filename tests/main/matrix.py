"""Reports of accessibility problems in the isolation matrix (tests/test_access_matrix.py): not unit data, but
coordinators' alone (403 for everyone else, as the other admin pages)."""

from __future__ import annotations

from typing import Any

PARAMS = {
    "report_id": (
        "unscoped",
        lambda w, actor: w.extra["accessibility_report"].id,
        lambda w, actor: w.extra["accessibility_report"].id,
    ),
}


def extend(world: Any, request: Any) -> None:
    from app.extensions import db
    from app.main.models import AccessibilityReport

    report = AccessibilityReport(description="Knappen går inte att nå.", page="/visits", language="sv")
    db.session.add(report)
    db.session.commit()
    world.extra["accessibility_report"] = report
