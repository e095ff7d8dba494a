"""The planning page (DESIGN.md 4.7): thin; the rule lives in app.planning.services."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import render_template, request
from flask_login import current_user, login_required

from app.core.input import parse_page
from app.core.models import local_today
from app.core.pagination import Page
from app.planning import bp, policy, services
from app.units.forms import KIND_LABELS, TRUST_LABELS
from app.units.models import TrustLevel, UnitKind

PER_PAGE = 50


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filters(args: Any) -> dict[str, Any]:
    """The planning filters from a query string; an unknown value is ignored (never a 500)."""
    kind, trust = args.get("unit_kind") or "", args.get("trust_level") or ""
    return {
        "unit_kind": UnitKind(kind) if kind in UnitKind.__members__ else None,
        "trust_level": TrustLevel(trust) if trust in TrustLevel.__members__ else None,
        "reviewer_id": _uuid(args.get("reviewer")),
        "due_before": _date(args.get("due_before")),
    }


@bp.get("/planning")
@login_required
def index():  # type: ignore[no-untyped-def]
    policy.require_planning(current_user)
    today = local_today()
    include_planned = request.args.get("include_planned") == "1"
    number = parse_page(request.args.get("page"))
    items, total = services.planning_page(
        current_user,
        today=today,
        page=number,
        per_page=PER_PAGE,
        include_planned=include_planned,
        **filters(request.args),
    )
    page = Page(items=items, page=number, per_page=PER_PAGE, total=total)
    return render_template(
        "planning/index.html",
        page=page,
        today=today,
        args=request.args,
        include_planned=include_planned,
        reviewers=services.active_reviewers(),
        kind_labels=KIND_LABELS,
        trust_labels=TRUST_LABELS,
        plan_link_values=services.plan_link_values,
        may_plan_for=services.may_plan_for,
    )
