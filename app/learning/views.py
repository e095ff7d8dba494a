"""Thin views of the library of good examples (DESIGN.md 4.5): the library with its search, one example (the
unit's consent, decline and withdrawal there, and writing to the unit), proposing a strength, consented photos."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.core.files import stored_file_response
from app.core.run import run_service
from app.learning import bp, charts, labels, policy, services
from app.learning.forms import ConsentForm, ContactForm, FeedbackForm
from app.learning.services import self_assessment
from app.units.forms import KIND_LABELS
from app.visits import policy as visits_policy
from app.visits.labels import STATUS as VISIT_STATUS

PER_PAGE = 20


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number < 10000 else None


@bp.get("/good-examples")
@login_required
def library() -> Any:
    """The library: search in Swedish, filter by review area, kind of unit and year; open to everyone."""
    q = request.args.get("q", "")[:200]
    area = request.args.get("area", "")[:200]
    unit_kind = request.args.get("unit_kind", "")
    if unit_kind not in KIND_LABELS:
        unit_kind = ""
    page = services.library(
        current_user,
        q=q,
        area=area or None,
        unit_kind=unit_kind or None,
        year=_int_arg("year"),
        page=_int_arg("page") or 1,
        per_page=PER_PAGE,
    )
    return render_template(
        "learning/library.html",
        page=page,
        filters=services.library_filters(),
        q=q,
        area=area,
        unit_kind=unit_kind,
        year=_int_arg("year"),
        kind_labels=KIND_LABELS,
    )


def _consent_form(example: Any) -> ConsentForm:
    form = ConsentForm()
    form.photos.choices = [(str(e.id), e.original_name) for e in example.finding.evidence if e.kind.value == "photo"]
    return form


def _example_page(
    example: Any, *, consent_form: ConsentForm | None = None, contact_form: ContactForm | None = None
) -> str:
    return render_template(
        "learning/example.html",
        example=example,
        consent_form=consent_form or _consent_form(example),
        contact_form=contact_form or ContactForm(),
        kind_labels=KIND_LABELS,
        visit_status=VISIT_STATUS,
    )


@bp.get("/good-examples/<uuid:example_id>")
@login_required
def example(example_id: uuid.UUID) -> Any:
    return _example_page(policy.get_example(current_user, example_id))


@bp.post("/findings/<uuid:finding_id>/good-example")
@login_required
def propose(finding_id: uuid.UUID) -> Response:
    """The team proposes a strength; back to the visit's page at the finding."""
    outcome = run_service(lambda: services.propose(finding_id, actor=current_user), flash_refusal=True)
    if outcome.value is not None:
        flash(_("Proposed as a good example. The unit decides whether it is shared."), "success")
        return redirect(url_for("visits.show", visit_id=outcome.value.visit_id, _anchor=f"finding-{finding_id}"))
    return redirect(request.referrer or url_for("learning.library"))


@bp.post("/good-examples/<uuid:example_id>/consent")
@login_required
def consent(example_id: uuid.UUID) -> Any:
    example = policy.get_example(current_user, example_id)
    form = _consent_form(example)
    if form.validate_on_submit():
        photo_ids: list[uuid.UUID] = []
        try:
            photo_ids = [uuid.UUID(p) for p in form.photos.data or []]
        except ValueError:
            form.photos.errors = [_("Choose only among the finding's photos.")]
        else:
            outcome = run_service(
                lambda: services.answer(
                    example_id,
                    actor=current_user,
                    consent=True,
                    named=form.show_as.data == "named",
                    photo_ids=photo_ids,
                ),
                form=form,
            )
            if outcome:
                flash(_("Thank you. The example is now in the library of good examples."), "success")
                return redirect(url_for("learning.example", example_id=example_id))
    return _example_page(example, consent_form=form), 422


@bp.post("/good-examples/<uuid:example_id>/decline")
@login_required
def decline(example_id: uuid.UUID) -> Response:
    policy.get_example(current_user, example_id)
    outcome = run_service(lambda: services.answer(example_id, actor=current_user, consent=False), flash_refusal=True)
    if outcome:
        flash(_("You declined. The example is not shared."), "success")
    return redirect(url_for("learning.example", example_id=example_id))


@bp.post("/good-examples/<uuid:example_id>/withdraw")
@login_required
def withdraw(example_id: uuid.UUID) -> Response:
    policy.get_example(current_user, example_id)
    outcome = run_service(lambda: services.withdraw(example_id, actor=current_user), flash_refusal=True)
    if outcome:
        flash(_("The example has left the library."), "success")
    return redirect(url_for("learning.example", example_id=example_id))


@bp.post("/good-examples/<uuid:example_id>/contact")
@login_required
def contact(example_id: uuid.UUID) -> Any:
    example = policy.get_example(current_user, example_id)
    form = ContactForm()
    if form.validate_on_submit():
        outcome = run_service(
            lambda: services.contact_unit(example_id, actor=current_user, text=form.text.data or ""), form=form
        )
        if outcome:
            flash(_("Your message is sent to the unit."), "success")
            return redirect(url_for("learning.example", example_id=example_id))
    return _example_page(example, contact_form=form), 422


@bp.get("/good-examples/<uuid:example_id>/photos/<uuid:evidence_id>")
@login_required
def photo(example_id: uuid.UUID, evidence_id: uuid.UUID) -> Response:
    """A photo the unit let the library show (``?thumb=1`` for its thumbnail)."""
    item = policy.get_example_photo(current_user, example_id, evidence_id)
    return stored_file_response(item, thumbnail=request.args.get("thumb") == "1")


# ---- the unit's self-assessment ------------------------------------------------------------------------


def _posted_answers(areas: list[Any]) -> dict[str, tuple[int | None, str]]:
    """The form's answers by ``answer_key``: ``rating-<key>`` (1–4; anything else reaches the service, which
    names the field) and ``text-<key>``."""
    answers: dict[str, tuple[int | None, str]] = {}
    for area in areas:
        for index in range(len(area.question_list)):
            key = self_assessment.answer_key(area.id, index)
            raw = request.form.get(f"rating-{key}", "").strip()
            rating = (int(raw) if raw.isdigit() and len(raw) < 3 else 0) if raw else None
            answers[key] = (rating, request.form.get(f"text-{key}", ""))
    return answers


@bp.route("/visits/<uuid:visit_id>/self-assessment", methods=["GET", "POST"])
@login_required
def self_assessment_page(visit_id: uuid.UUID) -> Any:
    """The unit fills in (draft or submit) its self-assessment; the supervising side reads what was submitted."""
    view = services.self_assessment_view(current_user, visit_id)
    form = FlaskForm()
    errors: dict[str, list[str]] = {}
    posted: dict[str, tuple[int | None, str]] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            errors = {"": [_("The form has expired. Please try again.")]}
        else:
            posted = _posted_answers(view.areas)
            submit = request.form.get("action") == "submit"
            outcome = run_service(
                lambda: services.save_self_assessment(visit_id, actor=current_user, answers=posted, submit=submit)
            )
            if outcome:
                flash(
                    _("Your self-assessment is submitted. Thank you.")
                    if submit
                    else _("Your answers are saved as a draft. You can go on later."),
                    "success",
                )
                return redirect(url_for("learning.self_assessment_page", visit_id=visit_id))
            errors = dict(outcome.error.errors or {"": [outcome.error.message]}) if outcome.error else {}
    shown = {k: {"rating": r, "text": t} for k, (r, t) in posted.items()} if posted else view.draft
    page = render_template(
        "learning/self_assessment.html",
        view=view,
        form=form,
        errors=errors,
        answers=shown,
        answer_key=self_assessment.answer_key,
    )
    return (page, 422 if errors else 200) if request.method == "POST" else page


# ---- feedback on the supervision ---------------------------------------------------------------------------


@bp.route("/visits/<uuid:visit_id>/feedback", methods=["GET", "POST"])
@login_required
def feedback_page(visit_id: uuid.UUID) -> Any:
    """A unit member gives feedback on the supervision once the visit is final; the unit sees its own."""
    visit = visits_policy.get_visit(current_user, visit_id)
    form = FeedbackForm()
    if form.validate_on_submit():
        outcome = run_service(
            lambda: services.give_feedback(
                visit_id,
                actor=current_user,
                useful=int(form.useful.data),
                respectful=int(form.respectful.data),
                clear=int(form.clear.data),
                text=form.text.data or "",
            ),
            form=form,
        )
        if outcome:
            flash(_("Thank you for your feedback."), "success")
            return redirect(url_for("learning.feedback_page", visit_id=visit_id))
    mine = services.own_feedback(current_user, visit.id)
    page = render_template(
        "learning/feedback.html",
        visit=visit,
        form=form,
        mine=mine,
        given=services.unit_feedback(current_user, visit.id),
    )
    return (page, 422) if request.method == "POST" else page


@bp.get("/feedback")
@login_required
def feedback_summary() -> Any:
    """The coordinators' summary of the feedback, per template, year, review team and reviewer (≥ 5 answers)."""
    template_id: uuid.UUID | None = None
    try:
        template_id = uuid.UUID(request.args["template"]) if request.args.get("template") else None
    except ValueError:
        template_id = None
    year = _int_arg("year")
    summary = services.feedback_summary(current_user, template_id=template_id, year=year)
    return render_template("learning/feedback_summary.html", summary=summary, template_id=template_id, year=year)


# ---- the years at a glance -------------------------------------------------------------------------------------


def _statistics_headers() -> dict[str, str]:
    return {"area": _("Review area"), "period": _("Period"), **{k: str(v) for k, v in labels.BUCKETS.items()}}


@bp.get("/statistics/findings")
@login_required
def statistics() -> Any:
    """Per review area and year or quarter: strengths, areas for development, minor and serious deviations, as a
    chart, a table and CSV (``?format=csv``); for everything, a kind of unit or one unit (``unit=``)."""
    unit_id: uuid.UUID | None = None
    if request.args.get("unit"):
        try:
            unit_id = uuid.UUID(request.args["unit"])
        except ValueError:
            abort(404)
    period = request.args.get("period", "year")
    unit_kind = request.args.get("unit_kind", "")
    stats = services.finding_statistics(
        current_user,
        period=period if period in ("year", "quarter") else "year",
        unit_id=unit_id,
        unit_kind=unit_kind if unit_kind in KIND_LABELS else None,
    )
    if request.args.get("format") == "csv":
        return Response(
            services.statistics_csv(stats, _statistics_headers()),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=findings.csv"},
        )
    return render_template(
        "learning/statistics.html",
        stats=stats,
        chart=charts.findings_chart(stats),
        bucket_labels=labels.BUCKETS,
        kind_labels=KIND_LABELS,
    )
