from __future__ import annotations

from datetime import date

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.core import availability
from app.core.errors import InvalidInput
from app.core.run import run_service
from app.extensions import db, limiter
from app.main import bp, services
from app.main.forms import AccessibilityReportForm
from app.units import policy as units_policy
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
            "main/start_coordinator.html",
            counts=counts,
            closer=closer,
            trust_labels=TRUST_LABELS,
            visits=visits,
            open_accessibility_reports=services.open_report_count(),
        )
    if current_user.is_reviewer:
        from app.visits.views import my_visits

        units = db.session.scalars(units_policy.visible_units(current_user).order_by(Unit.name).limit(20)).all()
        return render_template(
            "main/start_reviewer.html",
            units=units,
            visits=my_visits(current_user),
            trust_labels=TRUST_LABELS,
            kind_labels=KIND_LABELS,
        )
    from app.main import portal

    return render_template(
        "main/start_unit.html",
        portal=portal.unit_portal(current_user),
        trust_labels=TRUST_LABELS,
        kind_labels=KIND_LABELS,
    )


# When the statement itself was last changed (DIGG's model asks for it); change it with the statement's text.
STATEMENT_UPDATED_ON = date(2026, 11, 27)


def _report_limit() -> str:
    return current_app.config["ACCESSIBILITY_REPORT_RATE_LIMIT"]


@bp.route("/accessibility", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"])
def accessibility():  # type: ignore[no-untyped-def]
    """The accessibility statement (DIGG's model) with a form to report a barrier, for everyone, logged in or not:
    a tablet often has no mail client, so reporting must not need one."""
    form = AccessibilityReportForm()
    if request.method == "GET":
        form.page.data = services.same_site_path(request.args.get("from"))
        if current_user.is_authenticated:
            form.contact_email.data = current_user.email
            form.contact_name.data = current_user.name
    elif form.validate_on_submit():
        sent = run_service(
            lambda: services.submit_report(
                description=form.description.data or "",
                page=form.page.data,
                contact_email=form.contact_email.data,
                contact_name=form.contact_name.data,
                language=str(get_locale()),
                reporter=current_user if current_user.is_authenticated else None,
            ),
            form=form,
            refusals=InvalidInput,
        )
        if sent:
            flash(_("Thank you for telling us. We have received your report and will look into it."), "success")
            # To the top of the content, where the thanks is: the form's own #report would otherwise carry over.
            return redirect(url_for("main.accessibility", _anchor="main"))
    config = current_app.config
    return render_template(
        "main/accessibility.html",
        form=form,
        organisation=config["ORGANISATION_NAME"],
        contact_email=config["ACCESSIBILITY_CONTACT_EMAIL"],
        contact_phone=config["ACCESSIBILITY_CONTACT_PHONE"],
        assessed_on=date.fromisoformat(str(config["ACCESSIBILITY_ASSESSED_ON"])),
        updated_on=STATEMENT_UPDATED_ON,
    ), 422 if form.errors else 200


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """The database, Redis and the mail outbox, each reported apart (JSON); 503 when the product cannot work."""
    report, status = availability.health_report()
    return jsonify(report), status
