"""The search page: thin; what is found and who may find it is app.search.services."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.search import bp, services

KIND_ORDER = ("unit", "visit", "finding", "follow_up", "message")


def hit_url(hit: services.Hit) -> str:
    """Where a hit leads: the unit, the visit, the finding's visit, the follow-up or the message's conversation."""
    if hit.kind == "unit":
        return url_for("units.show", unit_id=hit.id)
    if hit.kind == "visit":
        return url_for("visits.show", visit_id=hit.id)
    if hit.kind == "finding":
        return url_for("visits.show", visit_id=hit.visit_id, _anchor=f"finding-{hit.id}")
    if hit.kind == "follow_up":
        return url_for("followups.show", follow_up_id=hit.id)
    if hit.finding_id is not None:
        return url_for("dialogue.finding_thread", finding_id=hit.finding_id)
    return url_for("dialogue.visit_thread", visit_id=hit.visit_id)


@bp.get("/search")
@login_required
def index():  # type: ignore[no-untyped-def]
    query = (request.args.get("q") or "").strip()[:200]
    result = services.search(current_user, query) if query else None
    if result is not None and result.visit is not None:
        return redirect(url_for("visits.show", visit_id=result.visit.id))
    return render_template("search/index.html", q=query, result=result, hit_url=hit_url)
