from __future__ import annotations

from flask import jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, text

from app.core import access
from app.extensions import db
from app.main import bp
from app.units.forms import KIND_LABELS, TRUST_LABELS
from app.units.models import TrustLevel, Unit


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    return redirect(url_for("main.start") if current_user.is_authenticated else url_for("auth.login"))


@bp.get("/start")
@login_required
def start():  # type: ignore[no-untyped-def]
    """One start page per role; a person with several roles sees the coordinator's, then the reviewer's."""
    if current_user.is_coordinator:
        counts = dict(db.session.execute(select(Unit.trust_level, func.count()).group_by(Unit.trust_level)).all())
        closer = db.session.scalars(
            select(Unit).where(Unit.trust_level == TrustLevel.closer_review).order_by(Unit.name).limit(10)
        ).all()
        from app.visits.services import my_visits

        visits = my_visits(current_user) if current_user.is_reviewer else []
        return render_template(
            "main/start_coordinator.html", counts=counts, closer=closer, trust_labels=TRUST_LABELS, visits=visits
        )
    if current_user.is_reviewer:
        from app.visits.views import my_visits

        units = db.session.scalars(access.visible_units(current_user).order_by(Unit.name).limit(20)).all()
        return render_template(
            "main/start_reviewer.html",
            units=units,
            visits=my_visits(current_user),
            trust_labels=TRUST_LABELS,
            kind_labels=KIND_LABELS,
        )
    from app.dialogue import portal

    return render_template(
        "main/start_unit.html",
        portal=portal.unit_portal(current_user),
        trust_labels=TRUST_LABELS,
        kind_labels=KIND_LABELS,
    )


@bp.get("/accessibility")
def accessibility():  # type: ignore[no-untyped-def]
    return render_template("main/accessibility.html")


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
