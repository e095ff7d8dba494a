"""Thin views of conditional trust: each reads its form, calls one service, commits, and flashes and redirects
(or shows the page again with the errors beside the fields and what was typed kept)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.models import Role
from app.core import access
from app.core import input as input_layer
from app.core.errors import InvalidInput
from app.core.forms import EmptyForm
from app.core.pagination import paginate
from app.core.run import run_service
from app.extensions import db
from app.trust import bp, labels, queries, services
from app.trust import policy as trust_policy
from app.trust.forms import (
    BoundaryForm,
    CloseBreachForm,
    CsvForm,
    EndBoundaryForm,
    IndicatorForm,
    ReadingForm,
    RejectForm,
    RestoreForm,
    WithdrawReadingForm,
)
from app.trust.models import BoundaryVersion
from app.units import policy as units_policy
from app.units.forms import TRUST_LABELS
from app.units.models import Unit
from app.visits import services as visit_services


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def unit_panel(unit: Unit) -> dict[str, Any]:
    """The trust section of the unit page (templates/trust/_unit_panel.html), for the person looking at it."""
    panel = queries.unit_panel(current_user, unit)
    return {
        "panel": panel,
        "side": services.side_of(current_user, unit.id),
        "may_report": trust_policy.can_report_readings(current_user, unit.id),
        "action_form": EmptyForm(),
    }


# ---- the coordinators' overview -------------------------------------------------------------------


@bp.get("/trust")
@login_required
def overview():  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator, Role.reviewer)
    page, rows = queries.overview(request.args)
    return render_template(
        "trust/overview.html",
        page=page,
        rows=rows,
        q=request.args.get("q", ""),
        trust=request.args.get("trust_level", ""),
        breaches=request.args.get("breaches", ""),
        trust_labels=TRUST_LABELS,
    )


# ---- the indicator catalogue ----------------------------------------------------------------------


@bp.get("/indicators")
@login_required
def indicators():  # type: ignore[no-untyped-def]
    return render_template("trust/indicators.html", indicators=services.all_indicators())


@bp.route("/indicators/new", methods=["GET", "POST"])
@login_required
def indicator_new():  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator)
    form = IndicatorForm()
    if form.validate_on_submit():
        created = run_service(
            lambda: services.create_indicator(
                actor=current_user,
                key=form.key.data or "",
                name_sv=form.name_sv.data or "",
                name_en=form.name_en.data or "",
                unit_of_measure=form.unit_of_measure.data or "",
                description=form.description.data or "",
                min_value=form.min_value.data or None,
                max_value=form.max_value.data or None,
                unit_kinds=form.unit_kinds.data or [],
            ),
            form=form,
        )
        if created.value is not None:
            flash(_("The indicator %(name)s is added.", name=created.value.name), "success")
            return redirect(url_for("trust.indicators"))
    return render_template("trust/indicator_form.html", form=form, indicator=None), 422 if form.errors else 200


@bp.route("/indicators/<uuid:indicator_id>/edit", methods=["GET", "POST"])
@login_required
def indicator_edit(indicator_id: uuid.UUID):  # type: ignore[no-untyped-def]
    indicator = trust_policy.get_indicator(current_user, indicator_id)
    access.require_role(current_user, Role.coordinator)
    if request.method == "GET":
        form = IndicatorForm(obj=indicator)
        form.min_value.data = "" if indicator.min_value is None else format_decimal(indicator.min_value)
        form.max_value.data = "" if indicator.max_value is None else format_decimal(indicator.max_value)
        form.unit_kinds.data = indicator.kinds
    else:
        form = IndicatorForm()
    if form.validate_on_submit():
        saved = run_service(
            lambda: services.update_indicator(
                indicator.id,
                actor=current_user,
                name_sv=form.name_sv.data or "",
                name_en=form.name_en.data or "",
                unit_of_measure=form.unit_of_measure.data or "",
                description=form.description.data or "",
                min_value=form.min_value.data or None,
                max_value=form.max_value.data or None,
                unit_kinds=form.unit_kinds.data or [],
            ),
            form=form,
        )
        if saved:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("trust.indicators"))
    return render_template("trust/indicator_form.html", form=form, indicator=indicator), (422 if form.errors else 200)


# ---- boundaries and their agreement ---------------------------------------------------------------


def _boundary_form(data: Any = None) -> BoundaryForm:
    form = BoundaryForm(formdata=data) if data is not None else BoundaryForm()
    form.indicator.choices = [("", _("Choose…"))] + [(i.key, f"{i.name} ({i.key})") for i in services.all_indicators()]
    return form


def _boundaries_page(unit: Unit, *, form: BoundaryForm | None = None, status: int = 200, **extra: Any) -> Any:
    boundaries = services.boundaries_of(unit.id)
    change_id = _uuid(request.args.get("change")) if form is None else _uuid(form.boundary_id.data)
    changing = next((b for b in boundaries if b.id == change_id and b.ended_at is None), None)
    if form is None:
        form = _boundary_form()
        if changing is not None and (base := changing.active_version or changing.latest_version) is not None:
            form.boundary_id.data = str(changing.id)
            form.kind.data = changing.kind.value
            form.indicator.data = base.indicator.key if base.indicator else ""
            form.comparator.data = base.comparator.value if base.comparator else ""
            form.threshold.data = _typed_number(base.threshold)
            form.periods.data = str(base.periods) if base.periods else ""
            form.days.data = str(base.days) if base.days is not None else ""
            form.rationale.data = base.rationale
    side = services.side_of(current_user, unit.id)
    return render_template(
        "trust/boundaries.html",
        unit=unit,
        boundaries=boundaries,
        form=form,
        changing=changing,
        side=side,
        end_form=extra.pop("end_form", None) or EndBoundaryForm(),
        reject_form=RejectForm(),
        action_form=EmptyForm(),
        counted=services.counted_boundaries(unit.id),
        limit=_max_boundaries(),
        **extra,
    ), status


def _typed_number(value: float | None) -> str:
    """A value as a person would type it back into the form (no thousands separators)."""
    if value is None:
        return ""
    return labels.number(value).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")


def _max_boundaries() -> int:
    from flask import current_app

    return int(current_app.config["MAX_ACTIVE_BOUNDARIES"])


@bp.get("/units/<uuid:unit_id>/boundaries")
@login_required
def boundaries(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    return _boundaries_page(unit)


@bp.post("/units/<uuid:unit_id>/boundaries")
@login_required
def propose(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    ending = request.form.get("ends") == "1"
    form: Any = EndBoundaryForm() if ending else _boundary_form(request.form)
    if form.validate_on_submit():

        def send() -> BoundaryVersion:
            if ending:
                return services.propose_boundary(
                    unit.id,
                    actor=current_user,
                    boundary_id=_uuid(form.boundary_id.data),
                    ends_boundary=True,
                    rationale=form.rationale.data or "",
                )
            return services.propose_boundary(
                unit.id,
                actor=current_user,
                boundary_id=_uuid(form.boundary_id.data),
                kind=form.kind.data,
                indicator=form.indicator.data or None,
                comparator=form.comparator.data or None,
                threshold=form.threshold.data,
                periods=form.periods.data,
                days=form.days.data,
                rationale=form.rationale.data or "",
            )

        sent = run_service(send, form=form)
        if (version := sent.value) is None:
            if ending:
                return _boundaries_page(unit, status=sent.status, end_form=form, ending_id=_uuid(form.boundary_id.data))
            return _boundaries_page(unit, form=form, status=sent.status)
        flash(_("Your proposal is sent. It comes into force when the other party accepts it."), "success")
        return redirect(url_for("trust.boundaries", unit_id=unit.id) + f"#boundary-{version.boundary_id}")
    if ending:
        return _boundaries_page(unit, status=422, end_form=form, ending_id=_uuid(form.boundary_id.data))
    return _boundaries_page(unit, form=form, status=422)


def _decide(version_id: uuid.UUID, action: str) -> Any:
    version: BoundaryVersion = trust_policy.get_boundary_version(current_user, version_id)
    unit_id = version.boundary.unit_id
    form: Any = RejectForm() if action == "reject" else EmptyForm()
    if form.validate_on_submit():

        def answer() -> str:
            if action == "accept":
                services.accept_version(version.id, actor=current_user)
                if version.ends_boundary:
                    return _("The boundary has ended, as both parties agreed.")
                return _("The proposal is accepted and now in force.")
            if action == "reject":
                services.reject_version(version.id, actor=current_user, reason=form.reason.data)
                return _("The proposal is declined. What was in force stays in force.")
            services.withdraw_version(version.id, actor=current_user)
            return _("Your proposal is withdrawn.")

        answered = run_service(answer, flash_refusal=True)
        if not answered:
            return redirect(url_for("trust.boundaries", unit_id=unit_id))
        flash(answered.value or "", "success")
    return redirect(url_for("trust.boundaries", unit_id=unit_id) + f"#boundary-{version.boundary_id}")


@bp.post("/boundary-versions/<uuid:boundary_version_id>/accept")
@login_required
def accept(boundary_version_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _decide(boundary_version_id, "accept")


@bp.post("/boundary-versions/<uuid:boundary_version_id>/reject")
@login_required
def reject(boundary_version_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _decide(boundary_version_id, "reject")


@bp.post("/boundary-versions/<uuid:boundary_version_id>/withdraw")
@login_required
def withdraw(boundary_version_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _decide(boundary_version_id, "withdraw")


# ---- readings -------------------------------------------------------------------------------------


def _reading_form(unit: Unit, data: Any = None) -> ReadingForm:
    """The form offers the indicators that apply to the unit's kind (the service refuses the others anyway)."""
    form = ReadingForm(formdata=data) if data is not None else ReadingForm()
    offered = [i for i in services.all_indicators() if i.applies_to(unit.kind)]
    form.indicator.choices = [("", _("Choose…"))] + [(i.key, i.name) for i in offered]
    return form


def _readings_page(
    unit: Unit,
    *,
    form: ReadingForm | None = None,
    csv_form: CsvForm | None = None,
    csv_errors: list[str] | None = None,
    status: int = 200,
) -> Any:
    indicator = services.find_indicator(request.args.get("indicator")) if request.args.get("indicator") else None
    page = paginate(
        services.readings_query(unit.id, indicator_id=indicator.id if indicator else None), request.args, per_page=36
    )
    return render_template(
        "trust/readings.html",
        unit=unit,
        page=page,
        form=form or _reading_form(unit),
        csv_form=csv_form or CsvForm(),
        csv_errors=csv_errors or [],
        indicators=services.all_indicators(),
        chosen=indicator,
        may_report=trust_policy.can_report_readings(current_user, unit.id),
    ), status


@bp.get("/units/<uuid:unit_id>/readings")
@login_required
def readings(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    return _readings_page(unit)


def _flash_stored(result: services.StoredReadings) -> None:
    parts = []
    if result.created:
        parts.append(ngettext("%(num)d reading saved.", "%(num)d readings saved.", result.created))
    if result.corrected:
        parts.append(
            ngettext(
                "%(num)d earlier value corrected (the old one is kept in the history).",
                "%(num)d earlier values corrected (the old ones are kept in the history).",
                result.corrected,
            )
        )
    if result.unchanged:
        parts.append(
            ngettext("%(num)d value was already saved.", "%(num)d values were already saved.", result.unchanged)
        )
    flash(" ".join(parts), "success")
    if result.breaches:
        flash(
            _("A trust boundary was crossed. The unit now has closer review; the unit and the coordinators are told."),
            "error",
        )


@bp.post("/units/<uuid:unit_id>/readings")
@login_required
def report_reading(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    form = _reading_form(unit, request.form)
    if form.validate_on_submit():
        stored = run_service(
            lambda: services.record_readings(
                unit.id,
                [services.ReadingInput(form.indicator.data or None, form.period.data, form.value.data)],
                actor=current_user,
                source="form",
            ),
            form=form,
        )
        if stored.value is None:
            return _readings_page(unit, form=form, status=stored.status)
        _flash_stored(stored.value)
        return redirect(url_for("trust.readings", unit_id=unit.id))
    return _readings_page(unit, form=form, status=422)


@bp.route("/readings/<uuid:reading_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_reading(reading_id: uuid.UUID):  # type: ignore[no-untyped-def]
    reading = trust_policy.get_reading(current_user, reading_id)
    form = WithdrawReadingForm()
    if form.validate_on_submit():
        done = run_service(
            lambda: services.withdraw_reading(reading.id, actor=current_user, reason=form.reason.data or ""),
            form=form,
        )
        if done.value is not None:
            flash(_("The reading is withdrawn. It is kept in the history and no longer counts."), "success")
            return redirect(url_for("trust.readings", unit_id=reading.unit_id))
    status = 422 if form.errors else 200
    return render_template("trust/reading_withdraw.html", reading=reading, form=form), status


@bp.post("/units/<uuid:unit_id>/readings/import")
@login_required
def import_readings(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    form = CsvForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            form.file.errors = [_("Choose a CSV file to upload.")]
            return _readings_page(unit, csv_form=form, status=422)
        try:
            data = input_layer.clean_csv(upload.read())
        except InvalidInput as bad:
            return _readings_page(unit, csv_form=form, csv_errors=[bad.message, *bad.errors["file"]], status=422)
        imported = run_service(lambda: services.import_readings_csv(unit.id, data, actor=current_user))
        if (exc := imported.error) is not None:
            lines = exc.errors["file"] if isinstance(exc, services.CsvImportError) else []  # every bad line
            return _readings_page(unit, csv_form=form, csv_errors=[exc.message, *lines], status=exc.status)
        if imported.value is not None:
            _flash_stored(imported.value)
    return redirect(url_for("trust.readings", unit_id=unit.id))


# ---- breaches and the trust level -----------------------------------------------------------------


def _breaches_page(unit: Unit, *, status: int = 200, errors: dict[str, Any] | None = None, **forms: Any) -> Any:
    page = paginate(queries.breaches_query(unit.id, request.args.get("status")), request.args)
    return render_template(
        "trust/breaches.html",
        unit=unit,
        page=page,
        status_filter=request.args.get("status", ""),
        close_form=forms.get("close_form") or CloseBreachForm(),
        closing_id=forms.get("closing_id"),
        restore_form=forms.get("restore_form") or RestoreForm(),
        open_count=len(services.open_breaches(unit.id)),
        may_restore=trust_policy.can_restore_baseline(current_user, unit.id),
        closer_review_visit=visit_services.open_closer_review_visit(unit.id),
        trust_labels=TRUST_LABELS,
        history=db.session.scalars(services.trust_history_query(unit.id)).all(),
        errors=errors or {},
    ), status


@bp.get("/units/<uuid:unit_id>/breaches")
@login_required
def breaches(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    return _breaches_page(unit)


@bp.post("/breaches/<uuid:breach_id>/close")
@login_required
def close_breach(breach_id: uuid.UUID):  # type: ignore[no-untyped-def]
    breach = trust_policy.get_breach(current_user, breach_id)
    unit = breach.unit
    form = CloseBreachForm()
    if form.validate_on_submit():
        closed = run_service(
            lambda: services.close_breach(breach.id, actor=current_user, note=form.note.data or ""), form=form
        )
        if not closed:
            return _breaches_page(
                units_policy.get_unit(current_user, unit.id),
                status=closed.status,
                close_form=form,
                closing_id=breach_id,
            )
        flash(_("The breach is closed with your note."), "success")
    return redirect(url_for("trust.breaches", unit_id=unit.id))


@bp.post("/units/<uuid:unit_id>/restore-baseline")
@login_required
def restore_baseline(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    form = RestoreForm()
    if form.validate_on_submit():
        restored = run_service(
            lambda: services.restore_baseline(
                unit.id,
                actor=current_user,
                reason=form.reason.data or "",
                cancel_closer_review=bool(form.cancel_closer_review.data),
            ),
            form=form,
        )
        if not restored:
            return _breaches_page(
                units_policy.get_unit(current_user, unit.id), status=restored.status, restore_form=form
            )
        flash(_("%(unit)s has baseline trust again.", unit=unit.name), "success")
        return redirect(url_for("units.show", unit_id=unit.id))
    if form.errors:  # a field the form itself refuses (a reason over 5000 characters): shown, the text kept
        return _breaches_page(units_policy.get_unit(current_user, unit.id), status=422, restore_form=form)
    return redirect(url_for("trust.breaches", unit_id=unit.id))
