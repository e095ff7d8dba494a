"""Who may see the planning of visits (DESIGN.md 4.6, 4.7).

Planning is the supervising side's work: reviewers and coordinators see it for every unit; a unit member never
sees it (the page answers 403, the API 403). A unit's own interval and due date are shown on its unit page to
everyone who may see the unit.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.core.errors import Forbidden


def can_see_planning(actor: Any) -> bool:
    """Reviewers and coordinators plan visits (DESIGN.md 4.7)."""
    return bool(getattr(actor, "is_staff", False))


def require_planning(actor: Any) -> None:
    """Raise ``Forbidden`` (403) for anyone but reviewers and coordinators."""
    if not can_see_planning(actor):
        raise Forbidden(_("Only reviewers and coordinators plan visits."))
