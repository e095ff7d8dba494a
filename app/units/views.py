"""Thin views of units; every query goes through app.units.policy."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.core import access, audit
from app.core.errors import InvalidInput
from app.core.models import AuditEvent, local_today
from app.core.pagination import Page, paginate
from app.core.run import run_service
from app.extensions import db
from app.planning import services as planning
from app.units import bp, services
from app.units import policy as units_policy
from app.units.forms import KIND_LABELS, TRUST_LABELS, UnitForm
from app.units.models import Membership, TrustLevel, Unit
from app.visits import timeline as visit_timeline


@bp.get("/units")
@login_required
def index():  # type: ignore[no-untyped-def]
    query = units_policy.visible_units(current_user).order_by(func.lower(Unit.name))
    q = (request.args.get("q") or "").strip()
    trust = request.args.get("trust_level") or ""
    if q:
        query = query.where(func.lower(Unit.name).like(f"%{q.lower()}%"))
    if trust in TrustLevel.__members__:
        query = query.where(Unit.trust_level == TrustLevel(trust))
    page = paginate(query, request.args)
    return render_template(
        "units/index.html", page=page, q=q, trust=trust, kind_labels=KIND_LABELS, trust_labels=TRUST_LABELS
    )


HISTORY_PER_PAGE = 50


@bp.get("/units/<uuid:unit_id>")
@login_required
def show(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    members = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit.id)
        .order_by(func.lower(User.name))
    ).all()
    history = Page(items=[], page=1, per_page=HISTORY_PER_PAGE, total=0)
    if access.may_see_audit_of_unit(current_user, unit.id):
        query = audit.unit_history_query(
            unit.id,
            for_unit_member=not access.supervises(current_user, unit.id),
            with_internal=access.supervises(current_user, unit.id),  # internal notes: the supervising side's
        )
        # A unit's history grows with every reading and message: the newest first, a page at a time.
        newest_first = query.order_by(None).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        history = paginate(newest_first, request.args, per_page=HISTORY_PER_PAGE)
    return render_template(
        "units/show.html",
        unit=unit,
        plan=planning.unit_plan(current_user, unit.id, today=local_today()),
        members=members,
        history=history,
        visits=visit_timeline.visit_refs(history.items),
        kind_labels=KIND_LABELS,
        trust_labels=TRUST_LABELS,
    )


@bp.route("/units/new", methods=["GET", "POST"])
@login_required
def new():  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator)
    form = UnitForm()
    if form.validate_on_submit():
        created = run_service(
            lambda: services.create_unit(
                actor=current_user,
                name=form.name.data or "",
                kind=form.kind.data,
                contact_email=form.contact_email.data,
            ),
            form=form,
            refusals=InvalidInput,
        )
        if (unit := created.value) is not None:
            flash(_("The unit %(name)s is created.", name=unit.name), "success")
            return redirect(url_for("units.show", unit_id=unit.id))
    return render_template("units/form.html", form=form, unit=None), 422 if form.errors else 200


@bp.route("/units/<uuid:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    access.require_role(current_user, Role.coordinator)
    form = UnitForm(obj=unit) if request.method == "GET" else UnitForm()
    if form.validate_on_submit():
        saved = run_service(
            lambda: services.update_unit(
                unit.id,
                actor=current_user,
                name=form.name.data or "",
                kind=form.kind.data,
                contact_email=form.contact_email.data,
            ),
            form=form,
            refusals=InvalidInput,
        )
        if saved:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("units.show", unit_id=unit.id))
    return render_template("units/form.html", form=form, unit=unit), 422 if form.errors else 200
