"""Thin views of units; every query goes through app.units.policy."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from app.auth.models import Role, User
from app.core import access, audit, csvexport, timeline
from app.core.errors import InvalidInput
from app.core.imports import ImportForm, upload_page
from app.core.input import parse_page
from app.core.models import AuditEvent, local_today
from app.core.pagination import Key, KeysetPage, Page, keyset_page
from app.core.run import run_service
from app.extensions import db
from app.planning import services as planning
from app.units import bp, services
from app.units import policy as units_policy
from app.units.forms import KIND_LABELS, TRUST_LABELS, UnitForm
from app.units.models import Membership, TrustLevel, UnitKind
from app.visits import timeline as visit_timeline

UNIT_COLUMNS = ("name", "kind", "trust_level", "last_visit", "next_due")


@bp.get("/units")
@login_required
def index():  # type: ignore[no-untyped-def]
    """The units with filters and sorting kept in the URL; ``Accept: text/csv`` or ``?format=csv``: the same
    list as CSV (issue 16)."""
    today = local_today()
    args = request.args
    q = (args.get("q") or "").strip()[:200]
    kind, trust = args.get("unit_kind") or "", args.get("trust_level") or ""
    sort = args.get("sort") if args.get("sort") in UNIT_COLUMNS else "name"
    descending = args.get("dir") == "desc"
    filters: dict[str, Any] = {
        "q": q,
        "unit_kind": UnitKind(kind) if kind in UnitKind.__members__ else None,
        "owner": (args.get("owner") or "").strip()[:200] or None,
        "trust_level": TrustLevel(trust) if trust in TrustLevel.__members__ else None,
        "reviewer_id": _uuid(args.get("reviewer")) if current_user.is_staff else None,
        "due_before": _date(args.get("due_before")),
        "sort": sort,
        "descending": descending,
    }
    if csvexport.wants_csv():
        plans = planning.unit_list(current_user, today=today, **filters)
        return csvexport.csv_response(
            "enheter.csv",
            [_("Name"), _("Kind"), _("Trust level"), _("Latest visit"), _("Next visit due"), _("Interval (months)")],
            [
                (
                    p.unit.name,
                    KIND_LABELS[p.unit.kind.value],
                    TRUST_LABELS[p.unit.trust_level.value],
                    p.last_visit_date,
                    p.next_due,
                    p.interval.months,
                )
                for p in plans
            ],
        )
    number = parse_page(args.get("page"))
    items, total = planning.unit_list_page(current_user, today=today, page=number, per_page=PER_PAGE, **filters)
    page = Page(items=items, page=number, per_page=PER_PAGE, total=total)
    return render_template(
        "units/index.html",
        page=page,
        q=q,
        kind=kind,
        trust=trust,
        args=args,
        sort=sort,
        descending=descending,
        columns=UNIT_COLUMNS,
        reviewers=planning.active_reviewers() if current_user.is_staff else [],
        owners=units_policy.owners(current_user),
        today=today,
        kind_labels=KIND_LABELS,
        trust_labels=TRUST_LABELS,
    )


PER_PAGE = 25


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
        .options(lazyload(User.role_rows))  # names only: their roles are not read
    ).all()
    history = KeysetPage(items=[], per_page=HISTORY_PER_PAGE)
    timeline.remember_names("unit", {str(unit.id): unit.name})  # the history names the unit without a lookup
    if access.may_see_audit_of_unit(current_user, unit.id):
        query = audit.unit_history_query(
            unit.id,
            for_unit_member=not access.supervises(current_user, unit.id),
            with_internal=access.supervises(current_user, unit.id),  # internal notes: the supervising side's
            load_actors=False,  # named by the timeline's one lookup of people's names
        )
        # A unit's history grows with every reading and message: the newest first, a page after (or before) an
        # event's (occurred_at, id) key, so an old page costs what the first does (issue 17).
        keys = [Key(AuditEvent.occurred_at, descending=True), Key(AuditEvent.id, descending=True)]
        history = keyset_page(query.order_by(None), request.args, keys, per_page=HISTORY_PER_PAGE)
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
                address=form.address.data,
                owner=form.owner.data,
                organisation_number=form.organisation_number.data,
                municipality=form.municipality.data,
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
                address=form.address.data,
                owner=form.owner.data,
                organisation_number=form.organisation_number.data,
                municipality=form.municipality.data,
            ),
            form=form,
            refusals=InvalidInput,
        )
        if saved:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("units.show", unit_id=unit.id))
    return render_template("units/form.html", form=form, unit=unit), 422 if form.errors else 200


@bp.route("/units/import", methods=["GET", "POST"])
@login_required
def import_units():  # type: ignore[no-untyped-def]
    """The coordinators' units import (issue 16): a file is checked as a dry run showing what would change or
    every bad line (422); confirming imports the checked text, all or nothing."""
    access.require_role(current_user, Role.coordinator)
    form = ImportForm()
    return upload_page(
        form,
        run=lambda text, dry_run: services.import_units(actor=current_user, text=text, dry_run=dry_run),
        summary=lambda r: _(
            "Imported. New units: %(created)d. Units updated: %(updated)d.",
            created=len(r.created),
            updated=len(r.updated),
        ),
        preview_summary=lambda r: _(
            "New units: %(created)d. Units updated: %(updated)d.", created=len(r.created), updated=len(r.updated)
        ),
        done_url=url_for("units.index"),
        template_args={
            "title": _("Import units"),
            "columns": ", ".join(services.IMPORT_COLUMNS),
            "explanation": _(
                "A unit whose name is already in the register (any case) is updated; the others are created. "
                "kind is one of school, preschool, elderly_care, disability_care, social_services, "
                "municipal_office, other."
            ),
            "back_url": url_for("units.index"),
            "back_label": _("Back to the units"),
        },
    )
